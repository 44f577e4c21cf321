//! Settings, loaded once by `main` from flags and the environment and passed down.
//!
//! Nothing else in the crate reads the environment. Secrets are wrapped in [`Secret`], whose
//! `Debug` and `Display` never show the value.

use std::fmt;
use std::path::PathBuf;

/// Where the engine reads from and writes to.
#[derive(Debug, Clone)]
pub struct Settings {
    pub knowledge_dir: PathBuf,
    pub data_dir: PathBuf,
    /// How many passages an answer shows.
    pub top: usize,
    /// The area the bot serves first ("北关区"); None: the area the reports named when the
    /// bot first opened them.
    pub home_area: Option<String>,
}

/// How many passages an answer shows unless told otherwise.
pub const DEFAULT_TOP: usize = 3;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            knowledge_dir: PathBuf::from("knowledge"),
            data_dir: PathBuf::from("data"),
            top: DEFAULT_TOP,
            home_area: None,
        }
    }
}

/// What the Telegram front end needs beyond [`Settings`].
#[derive(Debug, Clone)]
pub struct BotSettings {
    pub token: Secret,
    /// Bot API server; None for Telegram's own.
    pub api_url: Option<String>,
    /// Telegram user ids of admins (admins are staff too).
    pub admins: Vec<u64>,
    /// Telegram user ids of staff.
    pub staff: Vec<u64>,
    /// Announcement messages per second over all chats.
    pub broadcast_per_second: f64,
    /// Where to serve `/healthz` and `/metrics`; None to serve nothing.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Receive updates on a webhook instead of long polling.
    pub webhook: Option<Webhook>,
    /// Updates accepted and not yet handled beyond which no more are taken (Telegram keeps
    /// them: polling pauses, the webhook answers 503).
    pub max_backlog: u64,
    /// Handing questions to staff (转人工); None when no staff group is set, and then none
    /// of it runs.
    pub tickets: Option<TicketSettings>,
}

/// Where handed-over questions go and what residents are told about it.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketSettings {
    /// The staff group's chat id (a forum supergroup gets a topic per ticket).
    pub staff_chat: i64,
    /// Who answers, as residents see it (北关区政府办公室); None: the home area's
    /// government office.
    pub office: Option<String>,
    /// Working hours on weekdays, minutes after midnight in China Standard Time.
    pub hours: (u32, u32),
    /// Working days within which a reply is promised (and after which an unanswered ticket is
    /// overdue).
    pub reply_days: u32,
    /// Days without a message after which an open ticket closes.
    pub idle_days: f64,
    /// Days after close after which the mapping to the resident's chat is forgotten.
    pub purge_days: f64,
    /// Open tickets one resident may have.
    pub max_open: usize,
    /// Messages a resident may send into one ticket per minute.
    pub per_minute: u64,
}

impl TicketSettings {
    /// The defaults for a staff group: 9:00–17:30, two working days, idle close after 7 days,
    /// purge 30 days after close, 3 open tickets, 10 messages a minute.
    pub fn new(staff_chat: i64, office: Option<String>) -> TicketSettings {
        TicketSettings {
            staff_chat,
            office,
            hours: (9 * 60, 17 * 60 + 30),
            reply_days: 2,
            idle_days: 7.0,
            purge_days: 30.0,
            max_open: 3,
            per_minute: 10,
        }
    }
}

/// Parses working hours such as `09:00-17:30` into minutes after midnight.
pub fn parse_hours(text: &str) -> Option<(u32, u32)> {
    let minutes = |t: &str| {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let (a, b) = text.split_once('-')?;
    let (a, b) = (minutes(a)?, minutes(b)?);
    (a < b).then_some((a, b))
}

/// The default of [`BotSettings::max_backlog`].
pub const DEFAULT_MAX_BACKLOG: u64 = 10_000;

/// Telegram's webhook: where Telegram posts updates, where the bot listens for them, and the
/// secret every request must carry.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The public HTTPS address given to Telegram (`setWebhook`).
    pub url: String,
    /// The local address the bot listens on (behind the operator's TLS proxy).
    pub listen: std::net::SocketAddr,
    /// The `X-Telegram-Bot-Api-Secret-Token`; a random one when None.
    pub secret: Option<Secret>,
}

/// An item of a user id list that is not a numeric Telegram user id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a numeric Telegram user id")]
pub struct BadId(pub String);

/// Parses a comma-separated list of numeric Telegram user ids ("1, 2,3"); empty items are
/// skipped.
pub fn parse_ids(text: &str) -> Result<Vec<u64>, BadId> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u64>().map_err(|_| BadId(s.to_owned())))
        .collect()
}

/// A value that must never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with the value replaced by `***`, for what is shown to people (an error that
    /// may carry a request URL); logs are redacted once, where they are written.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.0, "***")
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_hours_parse_or_are_refused() {
        assert_eq!(parse_hours("09:00-17:30"), Some((540, 1050)));
        assert_eq!(parse_hours(" 8:30 - 12:00 "), Some((510, 720)));
        for bad in ["", "9-17", "17:00-09:00", "25:00-26:00", "09:60-10:00"] {
            assert_eq!(parse_hours(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_parse_and_secrets_stay_hidden() {
        assert_eq!(parse_ids(" 1, 22 ,,3"), Ok(vec![1, 22, 3]));
        assert_eq!(parse_ids("1,abc"), Err(BadId("abc".into())));
        let s = Secret::new("123:SECRET");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        assert_eq!(s.redact("GET /bot123:SECRET/GetMe"), "GET /bot***/GetMe");
    }
}
