//! Counters for whoever runs the service, rendered in the Prometheus text format.
//!
//! In-memory counters cover what happened since the process started (questions, answer
//! latency, reloads); subscriber and delivery figures are read from the store when rendered, so
//! they are exact and survive restarts. No I/O here.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::store::Tally;

/// Upper bounds of the answer latency histogram, in seconds.
const BUCKETS: [f64; 9] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

/// What happened to updates as they arrived: every one is `received`, then at most one of the
/// others.
pub const UPDATE_OUTCOMES: [&str; 5] = [
    "received",
    "ignored",
    "duplicate",
    "dropped_flood",
    "dropped_queue",
];

#[derive(Debug, Default)]
pub struct Metrics {
    answered: AtomicU64,
    abstained: AtomicU64,
    /// Cumulative counts per bucket of [`BUCKETS`].
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    /// Counts by [`UPDATE_OUTCOMES`].
    updates: [AtomicU64; UPDATE_OUTCOMES.len()],
}

impl Metrics {
    /// Records one question: answered or abstained, and the time from update to reply.
    pub fn observe_answer(&self, abstained: bool, elapsed: Duration) {
        if abstained {
            &self.abstained
        } else {
            &self.answered
        }
        .fetch_add(1, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    /// Counts an update's outcome (one of [`UPDATE_OUTCOMES`]; others are ignored).
    pub fn observe_update(&self, outcome: &str) {
        if let Some(i) = UPDATE_OUTCOMES.iter().position(|o| *o == outcome) {
            self.updates[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The count of an update outcome so far.
    pub fn updates(&self, outcome: &str) -> u64 {
        UPDATE_OUTCOMES
            .iter()
            .position(|o| *o == outcome)
            .map_or(0, |i| self.updates[i].load(Ordering::Relaxed))
    }

    pub fn observe_reload(&self, ok: bool) {
        if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every metric (the tickets' apart:
    /// [`render_tickets`]).
    pub fn render(&self, subscribers: u64, deliveries: Tally) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::new();
        family(
            &mut out,
            "lianghui_questions_total",
            "Questions received, by outcome.",
            "counter",
            &[
                ("outcome=\"answered\"".into(), get(&self.answered) as f64),
                ("outcome=\"abstained\"".into(), get(&self.abstained) as f64),
            ],
        );
        self.render_latency(&mut out);
        family(
            &mut out,
            "lianghui_subscribers",
            "Active subscribers.",
            "gauge",
            &[(String::new(), subscribers as f64)],
        );
        let deliveries: Vec<(String, f64)> = [
            ("delivered", deliveries.delivered),
            ("blocked", deliveries.blocked),
            ("failed", deliveries.failed),
            ("pending", deliveries.pending),
        ]
        .iter()
        .map(|(o, n)| (format!("outcome=\"{o}\""), *n as f64))
        .collect();
        family(
            &mut out,
            "lianghui_broadcast_deliveries_total",
            "Announcement deliveries, by outcome.",
            "counter",
            &deliveries,
        );
        family(
            &mut out,
            "lianghui_reloads_total",
            "Knowledge base reloads, by result.",
            "counter",
            &[
                ("result=\"ok\"".into(), get(&self.reloads_ok) as f64),
                ("result=\"failed\"".into(), get(&self.reloads_failed) as f64),
            ],
        );
        let updates: Vec<(String, f64)> = UPDATE_OUTCOMES
            .iter()
            .zip(&self.updates)
            .map(|(o, n)| (format!("outcome=\"{o}\""), get(n) as f64))
            .collect();
        family(
            &mut out,
            "lianghui_updates_total",
            "Updates from Telegram, by what became of them.",
            "counter",
            &updates,
        );
        out
    }
}

impl Metrics {
    /// The answer latency histogram.
    fn render_latency(&self, out: &mut String) {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let count = get(&self.latency_count);
        let _ = writeln!(
            out,
            "# HELP lianghui_answer_seconds Time from a question's arrival to the reply."
        );
        let _ = writeln!(out, "# TYPE lianghui_answer_seconds histogram");
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "lianghui_answer_seconds_bucket{{le=\"{bound}\"}} {}",
                get(bucket)
            );
        }
        let _ = writeln!(out, "lianghui_answer_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "lianghui_answer_seconds_sum {}",
            get(&self.latency_sum_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "lianghui_answer_seconds_count {count}");
    }
}

/// One metric family: its help, its type and a sample per label set (empty: no labels).
fn family(out: &mut String, name: &str, help: &str, kind: &str, samples: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

/// The tickets' figures (转人工) in the Prometheus text exposition.
pub fn render_tickets(t: &crate::store::TicketStats) -> String {
    let mut out = String::new();
    let one = |v: u64| vec![(String::new(), v as f64)];
    family(
        &mut out,
        "lianghui_tickets_open",
        "Tickets not closed.",
        "gauge",
        &one(t.open),
    );
    family(
        &mut out,
        "lianghui_tickets_overdue",
        "Open tickets without a first answer past the reply window.",
        "gauge",
        &one(t.overdue),
    );
    family(
        &mut out,
        "lianghui_tickets_closed",
        "Tickets closed.",
        "gauge",
        &one(t.closed),
    );
    if let Some(secs) = t.median_first_response {
        family(
            &mut out,
            "lianghui_ticket_first_response_median_seconds",
            "Median time from a ticket's confirmation to its first staff answer.",
            "gauge",
            &[(String::new(), secs as f64)],
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_figures_are_gauges_and_the_median_only_when_known() {
        let t = crate::store::TicketStats {
            open: 3,
            overdue: 1,
            median_first_response: Some(5400),
            closed: 7,
        };
        let text = render_tickets(&t);
        for line in [
            "# TYPE lianghui_tickets_open gauge",
            "lianghui_tickets_open 3",
            "lianghui_tickets_overdue 1",
            "lianghui_tickets_closed 7",
            "lianghui_ticket_first_response_median_seconds 5400",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in {text}");
        }
        let none = render_tickets(&crate::store::TicketStats::default());
        assert!(!none.contains("median"), "{none}");
    }

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::default();
        m.observe_answer(false, Duration::from_micros(500));
        m.observe_answer(true, Duration::from_millis(30));
        m.observe_reload(true);
        m.observe_update("received");
        m.observe_update("dropped_flood");
        m.observe_update("no such outcome");
        let text = m.render(
            7,
            Tally {
                pending: 0,
                delivered: 5,
                blocked: 1,
                failed: 0,
            },
        );
        for line in [
            "lianghui_questions_total{outcome=\"answered\"} 1",
            "lianghui_questions_total{outcome=\"abstained\"} 1",
            "lianghui_answer_seconds_bucket{le=\"0.001\"} 1",
            "lianghui_answer_seconds_bucket{le=\"0.05\"} 2",
            "lianghui_answer_seconds_bucket{le=\"+Inf\"} 2",
            "lianghui_answer_seconds_count 2",
            "lianghui_subscribers 7",
            "lianghui_broadcast_deliveries_total{outcome=\"blocked\"} 1",
            "lianghui_reloads_total{result=\"ok\"} 1",
            "lianghui_updates_total{outcome=\"dropped_flood\"} 1",
            "lianghui_updates_total{outcome=\"dropped_queue\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
    }
}
