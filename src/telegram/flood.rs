//! Flood control: how many updates each person and each group chat may have handled, as token
//! buckets, so that one chat sending thousands of messages costs only that chat.
//!
//! A person may have a few questions (and button presses, and inline queries, each kind with
//! its own bucket) handled in a burst, then one every couple of seconds; a group chat, whoever
//! writes in it, about what Telegram lets a bot send to a group (20 messages a minute). What
//! goes over is dropped and counted, and the first drop of a flood asks for a notice to the
//! flooder, once, until their bucket has filled up again. Staff and admins are not limited
//! as persons (an admin may send ten files at once). Pure bookkeeping over an [`Instant`]
//! given by the caller: no I/O, no Telegram types, deterministic in tests.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What an update asks of the bot, for the bucket it draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A message (a question, a command, a file).
    Message,
    /// A press of an inline button.
    Press,
    /// An inline query (`@bot …` as someone types).
    Inline,
}

/// A bucket's size and how fast it refills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub burst: f64,
    pub per_second: f64,
}

/// The limits, per person and kind, and per group chat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub message: Rate,
    pub press: Rate,
    pub inline: Rate,
    pub group: Rate,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Six questions at once, then one every two seconds.
            message: Rate {
                burst: 6.0,
                per_second: 0.5,
            },
            press: Rate {
                burst: 10.0,
                per_second: 1.0,
            },
            // Typing `@bot 问题` sends a query per keystroke.
            inline: Rate {
                burst: 20.0,
                per_second: 2.0,
            },
            // Telegram lets a bot send about 20 messages a minute to one group.
            group: Rate {
                burst: 10.0,
                per_second: 20.0 / 60.0,
            },
        }
    }
}

/// The verdict on one update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Handle it.
    Admit,
    /// Drop it; `notify` is true for the first drop of a flood (tell the flooder, once).
    Drop { notify: bool },
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
    /// A drop was already told to the flooder in this flood.
    warned: bool,
}

impl Bucket {
    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(rate.burst);
        self.at = now;
        if self.tokens >= rate.burst {
            self.warned = false;
        }
    }

    fn full(&self, rate: Rate, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens + elapsed * rate.per_second >= rate.burst
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Person(u64, Kind),
    Group(i64),
}

/// Who asked what: the person (None for an update without one), whether that person is
/// exempt (staff), and the group chat (None in a private chat or an inline query).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asker {
    pub person: Option<u64>,
    pub exempt: bool,
    pub group: Option<i64>,
}

/// The buckets of every person and group that sent something lately.
#[derive(Debug, Default)]
pub struct Flood {
    limits: Limits,
    buckets: HashMap<Key, Bucket>,
    dropped: u64,
}

impl Flood {
    pub fn new(limits: Limits) -> Flood {
        Flood {
            limits,
            ..Flood::default()
        }
    }

    fn rate(&self, key: Key) -> Rate {
        match key {
            Key::Person(_, Kind::Message) => self.limits.message,
            Key::Person(_, Kind::Press) => self.limits.press,
            Key::Person(_, Kind::Inline) => self.limits.inline,
            Key::Group(_) => self.limits.group,
        }
    }

    /// Whether an update of `kind` from `asker` may be handled now; takes a token from every
    /// bucket it draws from only when all of them have one.
    pub fn check(&mut self, asker: Asker, kind: Kind, now: Instant) -> Verdict {
        let mut keys: Vec<Key> = Vec::with_capacity(2);
        if let Some(p) = asker.person.filter(|_| !asker.exempt) {
            keys.push(Key::Person(p, kind));
        }
        // Inline queries and presses are answered to the person, not posted in the group.
        if let Some(g) = asker.group.filter(|_| kind == Kind::Message) {
            keys.push(Key::Group(g));
        }
        let mut admit = true;
        let mut notify = false;
        for key in &keys {
            let rate = self.rate(*key);
            let b = self.buckets.entry(*key).or_insert(Bucket {
                tokens: rate.burst,
                at: now,
                warned: false,
            });
            b.refill(rate, now);
            if b.tokens < 1.0 {
                admit = false;
                if !b.warned {
                    b.warned = true;
                    notify = true;
                }
            }
        }
        if !admit {
            self.dropped += 1;
            return Verdict::Drop {
                notify: notify && kind == Kind::Message,
            };
        }
        for key in &keys {
            if let Some(b) = self.buckets.get_mut(key) {
                b.tokens -= 1.0;
            }
        }
        Verdict::Admit
    }

    /// Updates dropped since the start.
    #[cfg(test)]
    fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Forgets the buckets that have filled up again (idle people and groups), so the map
    /// stays as large as the set of recent senders.
    pub fn forget_idle(&mut self, now: Instant) {
        let limits = self.limits;
        self.buckets.retain(|key, b| {
            let rate = match key {
                Key::Person(_, Kind::Message) => limits.message,
                Key::Person(_, Kind::Press) => limits.press,
                Key::Person(_, Kind::Inline) => limits.inline,
                Key::Group(_) => limits.group,
            };
            !b.full(rate, now)
        });
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets.len()
    }
}

/// How long after its last drop a flood is over for the idle sweep, at the slowest refill.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: u64) -> Asker {
        Asker {
            person: Some(id),
            exempt: false,
            group: None,
        }
    }

    #[test]
    fn a_flood_is_cut_to_the_burst_then_the_rate_and_told_once() {
        let mut f = Flood::new(Limits::default());
        let t0 = Instant::now();
        let verdicts: Vec<Verdict> = (0..1000)
            .map(|i| f.check(person(1), Kind::Message, t0 + Duration::from_millis(i)))
            .collect();
        let admitted = verdicts.iter().filter(|v| **v == Verdict::Admit).count();
        assert_eq!(admitted, 6, "the burst, and nothing refills in one second");
        let notices = verdicts
            .iter()
            .filter(|v| **v == Verdict::Drop { notify: true })
            .count();
        assert_eq!(notices, 1, "the flooder is told once");
        assert_eq!(f.dropped(), 994);
        // A bystander is not touched by someone else's flood.
        assert_eq!(f.check(person(2), Kind::Message, t0), Verdict::Admit);
        // Two seconds later one more question is taken; the flood is still not over.
        let later = t0 + Duration::from_millis(3000);
        assert_eq!(f.check(person(1), Kind::Message, later), Verdict::Admit);
        assert_eq!(
            f.check(person(1), Kind::Message, later),
            Verdict::Drop { notify: false }
        );
        // Once the bucket is full again, a new flood is told again.
        let calm = later + Duration::from_secs(60);
        for _ in 0..6 {
            assert_eq!(f.check(person(1), Kind::Message, calm), Verdict::Admit);
        }
        assert_eq!(
            f.check(person(1), Kind::Message, calm),
            Verdict::Drop { notify: true }
        );
    }

    #[test]
    fn groups_are_limited_whoever_writes_and_staff_only_as_a_group() {
        let mut f = Flood::new(Limits::default());
        let t0 = Instant::now();
        let in_group = |p: u64| Asker {
            person: Some(p),
            exempt: false,
            group: Some(-5),
        };
        let admitted = (0..150)
            .filter(|p| f.check(in_group(*p), Kind::Message, t0) == Verdict::Admit)
            .count();
        assert_eq!(
            admitted, 10,
            "150 people mentioning the bot at once in one group"
        );
        let other = Asker {
            group: Some(-6),
            ..in_group(1)
        };
        assert_eq!(f.check(other, Kind::Message, t0), Verdict::Admit);
        // Staff are not limited as persons.
        let staff = Asker {
            person: Some(9),
            exempt: true,
            group: None,
        };
        assert!((0..100).all(|_| f.check(staff, Kind::Message, t0) == Verdict::Admit));
        // Presses and inline queries have buckets of their own.
        let mut f = Flood::new(Limits::default());
        for _ in 0..6 {
            f.check(person(1), Kind::Message, t0);
        }
        assert_eq!(f.check(person(1), Kind::Press, t0), Verdict::Admit);
        assert_eq!(f.check(person(1), Kind::Inline, t0), Verdict::Admit);
    }

    #[test]
    fn idle_buckets_are_forgotten() {
        let mut f = Flood::new(Limits::default());
        let t0 = Instant::now();
        for p in 0..1000 {
            f.check(person(p), Kind::Message, t0);
        }
        assert_eq!(f.tracked(), 1000);
        f.forget_idle(t0 + Duration::from_secs(1));
        assert_eq!(f.tracked(), 1000, "not full yet");
        f.forget_idle(t0 + Duration::from_secs(5));
        assert_eq!(f.tracked(), 0);
    }
}
