//! The durable announcement delivery worker.
//!
//! Deliveries are rows in the [`Store`]; the worker sends every pending one through a
//! [`Sender`] and records each outcome as it happens, so a restart resumes with the rows still
//! pending (a crash between a send and its record costs at most one duplicate for that chat).
//! Sends are spaced evenly at the configured rate, and a sliding window over sends in flight or
//! completed keeps any second at the server from holding more, even after a stall; a 429 pauses the broadcast for its
//! `retry_after` and resends, and does not count as a failure; a blocked or vanished chat is marked and unsubscribed with no retry; other errors are
//! retried with backoff a bounded number of times. The worker knows nothing of Telegram: the
//! front end implements [`Sender`] on its own, separate client, so a 429 here never slows the
//! answers to citizens.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::store::{Delivery, Store, StoreError, Tally};
use crate::time::now_unix;

/// What one send attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// Too many requests: wait this long, then resend.
    RetryAfter(Duration),
    /// Blocked by the user, user deactivated, chat not found: never retry.
    Gone,
    /// Anything else; retried with backoff.
    Error(String),
}

/// Sends one announcement text to one chat.
pub trait Sender: Send + Sync + 'static {
    fn send(&self, chat_id: i64, text: &str) -> impl Future<Output = SendOutcome> + Send;
}

/// How fast and how persistently to deliver.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Messages per second over all chats.
    pub per_second: f64,
    /// Attempts for an error other than 429 before giving up.
    pub max_attempts: u32,
    /// First backoff after an error (at least a second: one message per second per chat);
    /// doubled each attempt.
    pub backoff: Duration,
    /// Sends in flight at once.
    pub concurrency: usize,
}

/// Announcement messages per second over all chats unless configured otherwise.
pub const DEFAULT_RATE: f64 = 25.0;

impl Default for Pace {
    fn default() -> Self {
        Pace {
            per_second: DEFAULT_RATE,
            max_attempts: 4,
            backoff: Duration::from_secs(1),
            concurrency: 32,
        }
    }
}

/// How far behind schedule the slots may fall and still catch up.
const CATCH_UP: Duration = Duration::from_millis(100);

/// Send slots shared by every send of the worker. Sends are spaced evenly, and a send may start
/// only while fewer than the rate's worth of sends are in flight or completed within the last
/// second. A request reaches the server between its start and its completion, so however the
/// network or the process stalls, no one-second window at the server can see more than the
/// rate. A 429 pushes every slot back.
struct Clock {
    state: Mutex<ClockState>,
    interval: Duration,
    per_second: usize,
}

struct ClockState {
    next: Instant,
    in_flight: usize,
    /// Completion times of the sends of the last second, oldest first.
    completed: VecDeque<Instant>,
}

impl Clock {
    fn new(per_second: f64) -> Clock {
        Clock {
            state: Mutex::new(ClockState {
                next: Instant::now(),
                in_flight: 0,
                completed: VecDeque::new(),
            }),
            interval: Duration::from_secs_f64(1.0 / per_second.max(0.001)),
            per_second: (per_second.floor() as usize).max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a free slot and takes it; call [`Clock::done`] when the send completes.
    async fn slot(&self) {
        loop {
            let wait = {
                let mut s = self.lock();
                let now = Instant::now();
                while s
                    .completed
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
                {
                    s.completed.pop_front();
                }
                if s.next > now {
                    s.next
                } else if s.in_flight + s.completed.len() >= self.per_second {
                    // Until the oldest completion leaves the window, or soon if all are in flight.
                    s.completed
                        .front()
                        .map_or(now + Duration::from_millis(2), |t| {
                            *t + Duration::from_secs(1)
                        })
                } else {
                    s.in_flight += 1;
                    // Keep to the schedule when a wake-up comes late (timers round up), so the
                    // rate does not drift down; after a long stall start afresh.
                    s.next = s.next.max(now.checked_sub(CATCH_UP).unwrap_or(now)) + self.interval;
                    return;
                }
            };
            tokio::time::sleep_until(wait).await;
        }
    }

    /// A send that took a slot has completed (whatever its outcome).
    fn done(&self) {
        let mut s = self.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        s.completed.push_back(Instant::now());
    }

    /// Nothing is sent before `until`.
    fn pause_until(&self, until: Instant) {
        let mut s = self.lock();
        if s.next < until {
            s.next = until;
        }
    }
}

/// Delivers announcements durably.
pub struct Worker<S: Sender> {
    store: Arc<Store>,
    sender: Arc<S>,
    pace: Pace,
    clock: Arc<Clock>,
}

impl<S: Sender> Worker<S> {
    pub fn new(store: Arc<Store>, sender: S, pace: Pace) -> Self {
        Worker {
            store,
            sender: Arc::new(sender),
            pace,
            clock: Arc::new(Clock::new(pace.per_second)),
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Sends every pending delivery of announcement `id`; returns the final tally, or None when
    /// another run already finished it.
    pub async fn deliver(&self, id: i64) -> Result<Option<Tally>, StoreError> {
        let Some(announcement) = self.store.with(move |s| s.announcement(id)).await? else {
            return Ok(None);
        };
        let text: Arc<str> = announcement.text.into();
        let permits = Arc::new(Semaphore::new(self.pace.concurrency.max(1)));
        loop {
            let batch = self
                .store
                .with(move |s| s.pending_deliveries(id, 256))
                .await?;
            if batch.is_empty() {
                break;
            }
            let mut tasks = tokio::task::JoinSet::new();
            for chat in batch {
                let permit = permits
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("semaphore never closed");
                let (store, sender, clock, text, pace) = (
                    self.store.clone(),
                    self.sender.clone(),
                    self.clock.clone(),
                    text.clone(),
                    self.pace,
                );
                tasks.spawn(async move {
                    let outcome = deliver_one(&*sender, &clock, chat, &text, pace).await;
                    let _permit = permit;
                    let recorded = store
                        .with(move |s| s.record_delivery(id, chat, outcome, now_unix()))
                        .await;
                    if let Err(e) = recorded {
                        log::error!("announcement {id}: cannot record a delivery: {e}");
                    }
                });
            }
            while tasks.join_next().await.is_some() {}
        }
        self.store
            .with(move |s| {
                let tally = s.tally(id)?;
                Ok(s.finish_announcement(id, now_unix())?.then_some(tally))
            })
            .await
    }

    /// Resumes announcements left unfinished by an earlier process.
    pub async fn resume(&self) -> Result<Vec<(i64, Tally)>, StoreError> {
        let mut done = Vec::new();
        for id in self.store.with(|s| s.sending_announcements()).await? {
            log::info!("resuming announcement {id}");
            if let Some(t) = self.deliver(id).await? {
                done.push((id, t));
            }
        }
        Ok(done)
    }
}

async fn deliver_one<S: Sender>(
    sender: &S,
    clock: &Clock,
    chat: i64,
    text: &str,
    pace: Pace,
) -> Delivery {
    let mut errors = 0;
    loop {
        clock.slot().await;
        let outcome = sender.send(chat, text).await;
        clock.done();
        match outcome {
            SendOutcome::Sent => return Delivery::Delivered,
            SendOutcome::Gone => return Delivery::Blocked,
            SendOutcome::RetryAfter(wait) => {
                log::warn!("broadcast: 429, pausing {wait:?}");
                clock.pause_until(Instant::now() + wait);
            }
            SendOutcome::Error(e) => {
                errors += 1;
                if errors >= pace.max_attempts {
                    log::warn!("broadcast: giving up on a subscriber after {errors} errors: {e}");
                    return Delivery::Failed;
                }
                tokio::time::sleep(pace.backoff * 2u32.saturating_pow(errors - 1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Records send times; answers per chat from a script of outcomes.
    #[derive(Default)]
    struct Script {
        outcomes: Mutex<HashMap<i64, Vec<SendOutcome>>>,
        sent: Mutex<Vec<(i64, Instant)>>,
    }

    impl Sender for Arc<Script> {
        async fn send(&self, chat_id: i64, _text: &str) -> SendOutcome {
            self.sent.lock().unwrap().push((chat_id, Instant::now()));
            let mut o = self.outcomes.lock().unwrap();
            match o.get_mut(&chat_id) {
                Some(list) if !list.is_empty() => list.remove(0),
                _ => SendOutcome::Sent,
            }
        }
    }

    fn store_with(subscribers: i64) -> (tempfile::TempDir, Arc<Store>, i64) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("db.sqlite")).unwrap());
        for chat in 1..=subscribers {
            store.subscribe(chat, 0).unwrap();
        }
        let id = store.draft_announcement(100, 100, "停水通知", 0).unwrap();
        store.confirm_announcement(id, 100, 0).unwrap();
        (dir, store, id)
    }

    #[tokio::test(start_paused = true)]
    async fn delivers_to_all_with_outcomes_and_never_exceeds_the_rate() {
        let (_dir, store, id) = store_with(60);
        let script = Arc::new(Script::default());
        script.outcomes.lock().unwrap().extend([
            (2, vec![SendOutcome::Gone]),
            (3, vec![SendOutcome::RetryAfter(Duration::from_secs(3))]),
            (4, vec![SendOutcome::Error("boom".into()); 10]),
            (5, vec![SendOutcome::Error("once".into())]),
        ]);
        let pace = Pace {
            per_second: 10.0,
            max_attempts: 3,
            backoff: Duration::from_millis(100),
            concurrency: 8,
        };
        let worker = Worker::new(store.clone(), script.clone(), pace);
        let tally = worker.deliver(id).await.unwrap().unwrap();
        assert_eq!(
            tally,
            Tally {
                pending: 0,
                delivered: 58,
                blocked: 1,
                failed: 1
            }
        );
        assert!(!store.is_subscribed(2).unwrap());
        assert!(store.is_subscribed(4).unwrap(), "a failure is not a block");
        let sent = script.sent.lock().unwrap().clone();
        assert_eq!(
            sent.iter().filter(|(c, _)| *c == 3).count(),
            2,
            "429 resends once"
        );
        assert_eq!(
            sent.iter().filter(|(c, _)| *c == 4).count(),
            3,
            "bounded retries"
        );
        // No window of one second holds more than the rate.
        let times: Vec<Instant> = sent.iter().map(|(_, t)| *t).collect();
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .filter(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(in_window <= 10, "{in_window} sends within one second");
        }
        assert!(worker.deliver(id).await.unwrap().is_none(), "finished once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_restart_resumes_without_skipping_anyone() {
        let (dir, store, id) = store_with(20);
        // The first process delivered to five chats, then died.
        for chat in 1..=5 {
            store
                .record_delivery(id, chat, Delivery::Delivered, 1)
                .unwrap();
        }
        drop(store);
        let store = Arc::new(Store::open(&dir.path().join("db.sqlite")).unwrap());
        let script = Arc::new(Script::default());
        let worker = Worker::new(store.clone(), script.clone(), Pace::default());
        let done = worker.resume().await.unwrap();
        assert_eq!(
            done,
            vec![(
                id,
                Tally {
                    pending: 0,
                    delivered: 20,
                    blocked: 0,
                    failed: 0
                }
            )]
        );
        let mut chats: Vec<i64> = script
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|(c, _)| *c)
            .collect();
        chats.sort();
        assert_eq!(chats, (6..=20).collect::<Vec<_>>());
    }
}
