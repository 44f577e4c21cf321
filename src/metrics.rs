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

    pub fn observe_reload(&self, ok: bool) {
        if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self, subscribers: u64, deliveries: Tally) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP lianghui_questions_total Questions received, by outcome."
        );
        let _ = writeln!(out, "# TYPE lianghui_questions_total counter");
        let _ = writeln!(
            out,
            "lianghui_questions_total{{outcome=\"answered\"}} {}",
            get(&self.answered)
        );
        let _ = writeln!(
            out,
            "lianghui_questions_total{{outcome=\"abstained\"}} {}",
            get(&self.abstained)
        );
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
        let count = get(&self.latency_count);
        let _ = writeln!(out, "lianghui_answer_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "lianghui_answer_seconds_sum {}",
            get(&self.latency_sum_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "lianghui_answer_seconds_count {count}");
        let _ = writeln!(out, "# HELP lianghui_subscribers Active subscribers.");
        let _ = writeln!(out, "# TYPE lianghui_subscribers gauge");
        let _ = writeln!(out, "lianghui_subscribers {subscribers}");
        let _ = writeln!(
            out,
            "# HELP lianghui_broadcast_deliveries_total Announcement deliveries, by outcome."
        );
        let _ = writeln!(out, "# TYPE lianghui_broadcast_deliveries_total counter");
        for (outcome, n) in [
            ("delivered", deliveries.delivered),
            ("blocked", deliveries.blocked),
            ("failed", deliveries.failed),
            ("pending", deliveries.pending),
        ] {
            let _ = writeln!(
                out,
                "lianghui_broadcast_deliveries_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP lianghui_reloads_total Knowledge base reloads, by result."
        );
        let _ = writeln!(out, "# TYPE lianghui_reloads_total counter");
        let _ = writeln!(
            out,
            "lianghui_reloads_total{{result=\"ok\"}} {}",
            get(&self.reloads_ok)
        );
        let _ = writeln!(
            out,
            "lianghui_reloads_total{{result=\"failed\"}} {}",
            get(&self.reloads_failed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::default();
        m.observe_answer(false, Duration::from_micros(500));
        m.observe_answer(true, Duration::from_millis(30));
        m.observe_reload(true);
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
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
    }
}
