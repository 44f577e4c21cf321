//! What every inline button carries: one [`Callback`] enum, written to and read from
//! Telegram's `callback_data` (at most 64 bytes) with `Display` and `FromStr`; and what a
//! press gets back ([`Pressed`]: the toast at once, the work after).
//!
//! Callback data comes back from clients and can be forged: parsing accepts exactly what
//! `Display` writes, numbers within their types, and nothing else. What a parsed button may do
//! (who pressed it, whether its question still exists) is checked by the handler that acts on it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;

/// Telegram's limit on `callback_data`, in bytes.
pub const MAX_CALLBACK_BYTES: usize = 64;

/// The step of removing a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveStep {
    /// The admin picked the document: ask for confirmation.
    Ask,
    /// The admin confirmed.
    Confirm,
}

/// What a resident does with a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStep {
    /// 确认 on the confirmation card: hand it to staff.
    Confirm,
    /// 取消 on the confirmation card.
    Cancel,
    /// 结束人工对话.
    End,
}

/// What staff do with a ticket, from its card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardAction {
    /// 认领.
    Claim,
    /// 关闭 (办结).
    Close,
    /// 不属于本区: closed with a pointer to 12345.
    Outside,
    /// 屏蔽此居民 (admins only): no more tickets from them.
    Block,
    /// 转为FAQ: a draft of a common question from the ticket and its answer.
    Faq,
}

const TICKET_STEPS: &[(TicketStep, &str)] = &[
    (TicketStep::Confirm, "ok"),
    (TicketStep::Cancel, "no"),
    (TicketStep::End, "end"),
];

const CARD_ACTIONS: &[(CardAction, &str)] = &[
    (CardAction::Claim, "claim"),
    (CardAction::Close, "close"),
    (CardAction::Outside, "out"),
    (CardAction::Block, "block"),
    (CardAction::Faq, "faq"),
];

/// The word a button writes for `value` in `table`.
fn word_of<T: PartialEq + Copy>(table: &[(T, &'static str)], value: T) -> &'static str {
    table
        .iter()
        .find(|(v, _)| *v == value)
        .map_or("", |(_, w)| w)
}

/// The value `word` stands for in `table`.
fn value_of<T: Copy>(table: &[(T, &'static str)], word: &str) -> Option<T> {
    table.iter().find(|(_, w)| *w == word).map(|(v, _)| *v)
}

/// Every inline button of the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// 原文: the passage shown at `rank` (from 1) in the answer to logged question `question`.
    Source { question: i64, rank: u16 },
    /// 更多: the results after the first `offset` of the answer to `question`.
    More { question: i64, offset: u16 },
    /// 👍 (`up`) or 👎 on the answer to `question`.
    Feedback { question: i64, up: bool },
    /// 发送 (`send`) or 取消 on the preview of announcement `id`.
    Announcement { id: i64, send: bool },
    /// 确认 (`save`) or 取消 on the preview of pending upload `id`.
    Upload { id: u64, save: bool },
    /// Removing document number `doc` of the index with fingerprint suffix `fingerprint`.
    Remove {
        step: RemoveStep,
        doc: u16,
        fingerprint: String,
    },
    /// 取消 on a removal.
    RemoveCancel,
    /// 确认添加 (`save`) or 取消 on the preview of pending synonym groups `id`.
    Synonym { id: u64, save: bool },
    /// 转人工 under the answer to logged question `question`.
    Human { question: i64 },
    /// A resident's step on ticket `id`.
    Ticket { id: i64, step: TicketStep },
    /// A staff action on the card of ticket `id`.
    Card { id: i64, action: CardAction },
    /// 批准 (`approve`, admins) or 放弃 on FAQ draft `id`.
    FaqDraft { id: i64, approve: bool },
    /// The resident's rating of closed ticket `id`: 1 非常不满意 … 5 非常满意.
    Rate { id: i64, level: u8 },
    /// A button that only says something (a thank-you after a vote).
    Noop,
}

/// Callback data that is not a button of this bot (forged, garbled or from an old version).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a button of this bot: {0:?}")]
pub struct UnknownButton(pub String);

impl fmt::Display for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Callback::Source { question, rank } => write!(f, "src:{question}:{rank}"),
            Callback::More { question, offset } => write!(f, "more:{question}:{offset}"),
            Callback::Feedback { question, up } => write!(f, "fb:{question}:{}", u8::from(*up)),
            Callback::Announcement { id, send } => {
                write!(f, "ann:{}:{id}", if *send { "send" } else { "cancel" })
            }
            Callback::Upload { id, save } => {
                write!(f, "up:{}:{id}", if *save { "ok" } else { "no" })
            }
            Callback::Remove {
                step,
                doc,
                fingerprint,
            } => {
                let step = match step {
                    RemoveStep::Ask => "ask",
                    RemoveStep::Confirm => "ok",
                };
                write!(f, "rm:{step}:{doc}:{fingerprint}")
            }
            Callback::RemoveCancel => f.write_str("rm:no"),
            Callback::Synonym { id, save } => {
                write!(f, "syn:{}:{id}", if *save { "ok" } else { "no" })
            }
            Callback::Human { question } => write!(f, "hum:{question}"),
            Callback::Ticket { id, step } => write!(f, "tk:{}:{id}", word_of(TICKET_STEPS, *step)),
            Callback::Card { id, action } => {
                write!(f, "tc:{}:{id}", word_of(CARD_ACTIONS, *action))
            }
            Callback::Rate { id, level } => write!(f, "rate:{id}:{level}"),
            Callback::FaqDraft { id, approve } => {
                write!(f, "faq:{}:{id}", if *approve { "ok" } else { "no" })
            }
            Callback::Noop => f.write_str("noop"),
        }
    }
}

/// A fingerprint suffix as buttons carry it: 1 to 16 lower-case hex digits.
fn is_fingerprint(s: &str) -> bool {
    (1..=16).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A number exactly as `Display` writes it (no sign, no leading zeros, no spaces).
fn number<T: FromStr + ToString>(s: &str) -> Option<T> {
    let n: T = s.parse().ok()?;
    (n.to_string() == s).then_some(n)
}

impl FromStr for Callback {
    type Err = UnknownButton;

    fn from_str(data: &str) -> Result<Callback, UnknownButton> {
        let unknown = || UnknownButton(data.chars().take(MAX_CALLBACK_BYTES).collect());
        if data.len() > MAX_CALLBACK_BYTES {
            return Err(unknown());
        }
        let parts: Vec<&str> = data.split(':').collect();
        let parsed = match parts.as_slice() {
            ["src", q, r] => number(q)
                .zip(number(r))
                .map(|(question, rank)| Callback::Source { question, rank }),
            ["more", q, o] => number(q)
                .zip(number(o))
                .map(|(question, offset)| Callback::More { question, offset }),
            ["fb", q, v @ ("0" | "1")] => number(q).map(|question| Callback::Feedback {
                question,
                up: *v == "1",
            }),
            ["ann", a @ ("send" | "cancel"), id] => number(id).map(|id| Callback::Announcement {
                id,
                send: *a == "send",
            }),
            ["up", a @ ("ok" | "no"), id] => number(id).map(|id| Callback::Upload {
                id,
                save: *a == "ok",
            }),
            ["rm", s @ ("ask" | "ok"), d, fp] if is_fingerprint(fp) => {
                number(d).map(|doc| Callback::Remove {
                    step: if *s == "ask" {
                        RemoveStep::Ask
                    } else {
                        RemoveStep::Confirm
                    },
                    doc,
                    fingerprint: (*fp).to_owned(),
                })
            }
            ["rm", "no"] => Some(Callback::RemoveCancel),
            ["syn", a @ ("ok" | "no"), id] => number(id).map(|id| Callback::Synonym {
                id,
                save: *a == "ok",
            }),
            ["hum", q] => number(q).map(|question| Callback::Human { question }),
            ["tk", s, id] => value_of(TICKET_STEPS, s)
                .zip(number(id))
                .map(|(step, id)| Callback::Ticket { id, step }),
            ["tc", a, id] => value_of(CARD_ACTIONS, a)
                .zip(number(id))
                .map(|(action, id)| Callback::Card { id, action }),
            ["rate", id, l @ ("1" | "2" | "3" | "4" | "5")] => {
                number(id).map(|id| Callback::Rate {
                    id,
                    level: l.parse().unwrap_or(3),
                })
            }
            ["faq", a @ ("ok" | "no"), id] => number(id).map(|id| Callback::FaqDraft {
                id,
                approve: *a == "ok",
            }),
            ["noop"] => Some(Callback::Noop),
            _ => None,
        };
        parsed.ok_or_else(unknown)
    }
}

/// What a button press gets: the toast Telegram shows at once, and the work that follows it
/// (sending the passage, reloading the knowledge base, …), done after the press is answered.
pub struct Pressed {
    pub toast: String,
    pub then: Option<Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>>,
}

impl Pressed {
    /// A toast and nothing more.
    pub fn toast(text: impl Into<String>) -> Pressed {
        Pressed {
            toast: text.into(),
            then: None,
        }
    }

    /// A toast, then `work`.
    pub fn then(
        text: impl Into<String>,
        work: impl Future<Output = anyhow::Result<()>> + Send + 'static,
    ) -> Pressed {
        Pressed {
            toast: text.into(),
            then: Some(Box::pin(work)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_callback() -> impl Strategy<Value = Callback> {
        prop_oneof![
            (any::<i64>(), any::<u16>())
                .prop_map(|(question, rank)| Callback::Source { question, rank }),
            (any::<i64>(), any::<u16>())
                .prop_map(|(question, offset)| Callback::More { question, offset }),
            (any::<i64>(), any::<bool>())
                .prop_map(|(question, up)| Callback::Feedback { question, up }),
            (any::<i64>(), any::<bool>())
                .prop_map(|(id, send)| Callback::Announcement { id, send }),
            (any::<u64>(), any::<bool>()).prop_map(|(id, save)| Callback::Upload { id, save }),
            (any::<bool>(), any::<u16>(), "[0-9a-f]{1,16}").prop_map(|(ask, doc, fingerprint)| {
                Callback::Remove {
                    step: if ask {
                        RemoveStep::Ask
                    } else {
                        RemoveStep::Confirm
                    },
                    doc,
                    fingerprint,
                }
            }),
            Just(Callback::RemoveCancel),
            (any::<u64>(), any::<bool>()).prop_map(|(id, save)| Callback::Synonym { id, save }),
            any::<i64>().prop_map(|question| Callback::Human { question }),
            (any::<i64>(), prop::sample::select(TICKET_STEPS.to_vec()))
                .prop_map(|(id, (step, _))| Callback::Ticket { id, step }),
            (any::<i64>(), prop::sample::select(CARD_ACTIONS.to_vec()))
                .prop_map(|(id, (action, _))| Callback::Card { id, action }),
            (any::<i64>(), 1u8..=5).prop_map(|(id, level)| Callback::Rate { id, level }),
            (any::<i64>(), any::<bool>())
                .prop_map(|(id, approve)| Callback::FaqDraft { id, approve }),
            Just(Callback::Noop),
        ]
    }

    proptest! {
        #[test]
        fn every_button_round_trips_within_telegrams_limit(cb in any_callback()) {
            let data = cb.to_string();
            prop_assert!(data.len() <= MAX_CALLBACK_BYTES, "{} bytes: {data}", data.len());
            prop_assert_eq!(data.parse::<Callback>(), Ok(cb));
        }

        #[test]
        fn any_data_parses_or_is_refused_without_panicking(data in "\\PC{0,80}|[a-z0-9:-]{0,40}") {
            if let Ok(cb) = data.parse::<Callback>() {
                prop_assert_eq!(cb.to_string(), data);
            }
        }
    }

    #[test]
    fn forged_and_old_data_is_refused() {
        for data in [
            "",
            ":::",
            "src:notanumber",
            "src:1:18446744073709551615",
            "more:1:-1",
            "more:01:2",
            "fb:-5:2",
            "fb:1: 1",
            "ann:send:x",
            "up:ok:1:2",
            "rm:ok:99:XYZ",
            "rm:ask:1:",
            "rate:1:0",
            "rate:1:6",
            "tc:delete:1",
            "tk:ok:01",
            "hum:",
            &"more:1:1".repeat(20),
        ] {
            assert!(data.parse::<Callback>().is_err(), "{data:?}");
        }
        assert_eq!(
            "fb:-5:1".parse::<Callback>(),
            Ok(Callback::Feedback {
                question: -5,
                up: true
            })
        );
    }
}
