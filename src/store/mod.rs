//! SQLite storage: subscribers, announcements and their per-subscriber deliveries, and the
//! question log. Every change is committed when it happens, so a restart resumes where the last
//! process stopped. The question log keeps question text, time, result count and top score, and
//! never a user id. This module knows nothing of Telegram.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::grade::Match;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database task stopped: {0}")]
    Task(String),
    #[error(
        "cannot write the database in {dir} as {user}: give that user write access to the folder (for a Docker bind mount: chown -R 10001 on the host folder, or use a named volume)"
    )]
    NotWritable { dir: String, user: String },
    #[error("cannot create {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// A status stored as text: its SQL form, and a clear error for a value this version does not
/// know.
macro_rules! text_status {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                let text = value.as_str()?;
                $name::ALL
                    .iter()
                    .copied()
                    .find(|s| s.as_str() == text)
                    .ok_or_else(|| {
                        rusqlite::types::FromSqlError::Other(
                            format!("unknown {} {text:?}", stringify!($name)).into(),
                        )
                    })
            }
        }
    };
}

// The tables of one family each, after the macro they use.
mod inbox;

pub use inbox::{InboxState, Received};

text_status! {
    /// Where one delivery stands.
    Delivery {
        Pending => "pending",
        Delivered => "delivered",
        /// The subscriber blocked the bot or the chat is gone; the subscriber is now inactive.
        Blocked => "blocked",
        /// Gave up after retries.
        Failed => "failed",
    }
}

text_status! {
    /// Where an announcement stands.
    AnnouncementStatus {
        /// Previewed, awaiting its author's 发送.
        Draft => "draft",
        /// Confirmed; deliveries are pending.
        Sending => "sending",
        /// Every delivery has an outcome.
        Done => "done",
        Cancelled => "cancelled",
    }
}

/// An announcement as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub id: i64,
    pub author_id: i64,
    pub author_chat: i64,
    pub text: String,
    pub status: AnnouncementStatus,
    pub created_at: i64,
}

/// Delivery counts of one announcement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub pending: u64,
    pub delivered: u64,
    pub blocked: u64,
    pub failed: u64,
}

/// Sums (status, count) rows into a [`Tally`].
fn tally_from(
    rows: impl Iterator<Item = rusqlite::Result<(Delivery, u64)>>,
) -> Result<Tally, StoreError> {
    let mut t = Tally::default();
    for row in rows {
        let (status, n) = row?;
        *match status {
            Delivery::Pending => &mut t.pending,
            Delivery::Delivered => &mut t.delivered,
            Delivery::Blocked => &mut t.blocked,
            Delivery::Failed => &mut t.failed,
        } += n;
    }
    Ok(t)
}

/// Which questions [`Store::frequent_questions`] counts.
enum Frequent {
    /// Answered with a given tier (questions logged before tiers count as `none` when they
    /// had no result).
    Tier(Match),
    Disliked,
}

impl rusqlite::ToSql for Match {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.to_string().into())
    }
}

/// Figures for `/stats`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub subscribers: u64,
    pub questions_24h: u64,
    pub questions_7d: u64,
    pub unanswered_7d: u64,
}

const MIGRATIONS: &[&str] = &[
    "CREATE TABLE subscribers (
        chat_id INTEGER PRIMARY KEY,
        active INTEGER NOT NULL DEFAULT 1,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE announcements (
        id INTEGER PRIMARY KEY,
        author_id INTEGER NOT NULL,
        author_chat INTEGER NOT NULL,
        text TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        finished_at INTEGER
    );
    CREATE TABLE deliveries (
        announcement_id INTEGER NOT NULL REFERENCES announcements(id),
        chat_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (announcement_id, chat_id)
    );
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        asked_at INTEGER NOT NULL,
        text TEXT NOT NULL,
        results INTEGER NOT NULL,
        top_score REAL
    );
    CREATE INDEX questions_asked_at ON questions(asked_at);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // Answers shown per question (for the 原文 button) and citizens' 👍 / 👎.
    "ALTER TABLE questions ADD COLUMN feedback INTEGER;
    CREATE TABLE answers (
        question_id INTEGER NOT NULL REFERENCES questions(id),
        rank INTEGER NOT NULL,
        passage_id TEXT NOT NULL,
        PRIMARY KEY (question_id, rank)
    );",
    // How well each question was answered: direct, related or none.
    "ALTER TABLE questions ADD COLUMN tier TEXT;",
    // Who may press a question's buttons: a keyed hash of the chat and the person, never the
    // ids themselves.
    "ALTER TABLE questions ADD COLUMN asker TEXT;",
    // Updates received and not yet handled (see `inbox.rs`).
    "CREATE TABLE inbox (
        update_id INTEGER PRIMARY KEY,
        received_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        body TEXT NOT NULL,
        finished_at INTEGER
    );
    CREATE INDEX inbox_state ON inbox(state, update_id);",
];

/// Whether a chat is an active subscriber; None when it never subscribed.
fn active(c: &Connection, chat_id: i64) -> Result<Option<bool>, StoreError> {
    Ok(c.query_row(
        "SELECT active FROM subscribers WHERE chat_id = ?1",
        [chat_id],
        |r| r.get(0),
    )
    .optional()?)
}

/// Why the database cannot be opened, when the reason is the folder's permissions.
fn not_writable(path: &Path) -> Option<StoreError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let metadata = std::fs::metadata(dir).ok()?;
    let probe_fails = metadata.permissions().readonly()
        || crate::fsutil::probe_writable(dir, ".write-probe-").is_err();
    probe_fails.then(|| StoreError::NotWritable {
        dir: dir.display().to_string(),
        user: crate::fsutil::process_user(),
    })
}

/// Store key of the secret that asker keys are made with.
const ASKER_SALT: &str = "asker_salt";

/// A fresh secret from the system's randomness.
fn fresh_secret() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Task(format!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

/// The database, shared by the bot's tasks. Each call holds the connection briefly.
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and applies migrations.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|e| not_writable(path).unwrap_or(e.into()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            conn.execute_batch(&format!(
                "BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;",
                i + 1
            ))?;
        }
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on tokio's blocking pool, so that a slow disk never stalls the async workers
    /// that answer citizens.
    pub async fn with<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Subscribes a chat; false when it already was.
    pub fn subscribe(&self, chat_id: i64, now: i64) -> Result<bool, StoreError> {
        let c = self.conn();
        let was = active(&c, chat_id)?;
        c.execute(
            "INSERT INTO subscribers (chat_id, active, updated_at) VALUES (?1, 1, ?2)
             ON CONFLICT(chat_id) DO UPDATE SET active = 1, updated_at = ?2",
            params![chat_id, now],
        )?;
        Ok(was != Some(true))
    }

    /// Unsubscribes a chat; false when it was not subscribed.
    pub fn unsubscribe(&self, chat_id: i64, now: i64) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE subscribers SET active = 0, updated_at = ?2 WHERE chat_id = ?1 AND active = 1",
            params![chat_id, now],
        )?;
        Ok(n > 0)
    }

    pub fn is_subscribed(&self, chat_id: i64) -> Result<bool, StoreError> {
        Ok(active(&self.conn(), chat_id)? == Some(true))
    }

    pub fn subscriber_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM subscribers WHERE active = 1",
            [],
            |r| r.get(0),
        )?)
    }

    /// Records a draft announcement awaiting confirmation.
    pub fn draft_announcement(
        &self,
        author_id: i64,
        author_chat: i64,
        text: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let c = self.conn();
        c.execute(
            "INSERT INTO announcements (author_id, author_chat, text, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![author_id, author_chat, text, AnnouncementStatus::Draft, now],
        )?;
        Ok(c.last_insert_rowid())
    }

    pub fn announcement(&self, id: i64) -> Result<Option<Announcement>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, author_id, author_chat, text, status, created_at FROM announcements WHERE id = ?1",
                [id],
                |r| {
                    Ok(Announcement {
                        id: r.get(0)?,
                        author_id: r.get(1)?,
                        author_chat: r.get(2)?,
                        text: r.get(3)?,
                        status: r.get(4)?,
                        created_at: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }

    /// Queues a draft for sending: one pending delivery per active subscriber, in one
    /// transaction. Returns the number queued, or None when the draft is not the author's or not
    /// a draft any more (a second press of the button changes nothing).
    pub fn confirm_announcement(
        &self,
        id: i64,
        author_id: i64,
        now: i64,
    ) -> Result<Option<u64>, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let n = tx.execute(
            "UPDATE announcements SET status = ?3 WHERE id = ?1 AND author_id = ?2 AND status = ?4",
            params![
                id,
                author_id,
                AnnouncementStatus::Sending,
                AnnouncementStatus::Draft
            ],
        )?;
        if n == 0 {
            return Ok(None);
        }
        let queued = tx.execute(
            "INSERT INTO deliveries (announcement_id, chat_id, status, updated_at)
             SELECT ?1, chat_id, ?3, ?2 FROM subscribers WHERE active = 1",
            params![id, now, Delivery::Pending],
        )?;
        tx.commit()?;
        Ok(Some(queued as u64))
    }

    /// Cancels a draft; false when it is not the author's draft.
    pub fn cancel_announcement(&self, id: i64, author_id: i64) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE announcements SET status = ?3 WHERE id = ?1 AND author_id = ?2 AND status = ?4",
            params![
                id,
                author_id,
                AnnouncementStatus::Cancelled,
                AnnouncementStatus::Draft
            ],
        )?;
        Ok(n > 0)
    }

    /// Announcements still being sent, oldest first (to resume after a restart).
    pub fn sending_announcements(&self) -> Result<Vec<i64>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare("SELECT id FROM announcements WHERE status = ?1 ORDER BY id")?;
        let ids = st
            .query_map([AnnouncementStatus::Sending], |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(ids)
    }

    /// Up to `limit` chats still waiting for announcement `id`.
    pub fn pending_deliveries(&self, id: i64, limit: usize) -> Result<Vec<i64>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT chat_id FROM deliveries WHERE announcement_id = ?1 AND status = ?3 ORDER BY chat_id LIMIT ?2",
        )?;
        let chats = st
            .query_map(params![id, limit as i64, Delivery::Pending], |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(chats)
    }

    /// Records the outcome of one delivery; a blocked chat is also unsubscribed.
    pub fn record_delivery(
        &self,
        id: i64,
        chat_id: i64,
        outcome: Delivery,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute(
            "UPDATE deliveries SET status = ?3, attempts = attempts + 1, updated_at = ?4
             WHERE announcement_id = ?1 AND chat_id = ?2",
            params![id, chat_id, outcome, now],
        )?;
        if outcome == Delivery::Blocked {
            tx.execute(
                "UPDATE subscribers SET active = 0, updated_at = ?2 WHERE chat_id = ?1",
                params![chat_id, now],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn tally(&self, id: i64) -> Result<Tally, StoreError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT status, COUNT(*) FROM deliveries WHERE announcement_id = ?1 GROUP BY status",
        )?;
        let rows = st.query_map([id], |r| {
            Ok((r.get::<_, Delivery>(0)?, r.get::<_, u64>(1)?))
        })?;
        tally_from(rows)
    }

    /// Finished announcements as (finish time in Unix seconds, text), oldest first.
    pub fn finished_announcements(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT finished_at, text FROM announcements WHERE status = ?1 AND finished_at IS NOT NULL ORDER BY id",
        )?;
        let rows = st
            .query_map([AnnouncementStatus::Done], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Deliveries of every announcement so far, by outcome.
    pub fn delivery_totals(&self) -> Result<Tally, StoreError> {
        let c = self.conn();
        let mut st = c.prepare("SELECT status, COUNT(*) FROM deliveries GROUP BY status")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, Delivery>(0)?, r.get::<_, u64>(1)?)))?;
        tally_from(rows)
    }

    /// Marks an announcement done; false when it already was (so the report goes out once).
    pub fn finish_announcement(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE announcements SET status = ?3, finished_at = ?2 WHERE id = ?1 AND status = ?4",
            params![
                id,
                now,
                AnnouncementStatus::Done,
                AnnouncementStatus::Sending
            ],
        )?;
        Ok(n > 0)
    }

    /// Logs a question: its text, time, how well it was answered, result count, top score and
    /// the key of who asked ([`Store::asker_key`]). No user id.
    pub fn log_question(
        &self,
        text: &str,
        tier: Match,
        passages: &[&str],
        top_score: Option<f32>,
        now: i64,
        asker: &str,
    ) -> Result<i64, StoreError> {
        let id = {
            let c = self.conn();
            c.execute(
                "INSERT INTO questions (asked_at, text, tier, results, top_score, asker) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![now, text, tier, passages.len() as i64, top_score.map(f64::from), asker],
            )?;
            c.last_insert_rowid()
        };
        self.add_answers(id, 1, passages)?;
        Ok(id)
    }

    /// Records the passages shown for question `id`, ranked from `first_rank`.
    pub fn add_answers(
        &self,
        id: i64,
        first_rank: usize,
        passages: &[&str],
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        for (i, p) in passages.iter().enumerate() {
            tx.execute(
                "INSERT OR REPLACE INTO answers (question_id, rank, passage_id) VALUES (?1, ?2, ?3)",
                params![id, (first_rank + i) as i64, p],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A key for whoever asks in `chat` (`user` being the person): a hash with this database's
    /// own secret, so the log can tell whether a button is pressed by the asker without keeping
    /// who the asker is.
    pub fn asker_key(&self, chat: i64, user: u64) -> Result<String, StoreError> {
        let salt = match self.meta(ASKER_SALT)? {
            Some(s) => s,
            None => {
                let s = fresh_secret()?;
                // Another task may have set it meanwhile: the first one stays.
                self.conn().execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
                    params![ASKER_SALT, s],
                )?;
                self.meta(ASKER_SALT)?.unwrap_or(s)
            }
        };
        let digest = Sha256::digest(format!("{salt}:{chat}:{user}").as_bytes());
        Ok(hex::encode(&digest[..12]))
    }

    /// Up to `limit` different questions asked lately, newest first.
    pub fn recent_questions(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT text FROM questions GROUP BY text ORDER BY MAX(asked_at) DESC LIMIT ?1",
        )?;
        let rows = st
            .query_map([limit as i64], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(rows)
    }

    /// The asker key of a logged question (None for questions logged before keys, or unknown).
    pub fn question_asker(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT asker FROM questions WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .flatten())
    }

    /// Writes a consistent copy of the database to `path` (SQLite's online backup: the bot may
    /// keep running and writing meanwhile).
    pub fn backup_to(&self, path: &Path) -> Result<(), StoreError> {
        self.conn().backup(rusqlite::MAIN_DB, path, None)?;
        Ok(())
    }

    /// The text of a logged question.
    pub fn question_text(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT text FROM questions WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// The passage shown at `rank` (from 1) in the answer to question `id`.
    pub fn answer_passage(&self, id: i64, rank: usize) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT passage_id FROM answers WHERE question_id = ?1 AND rank = ?2",
                params![id, rank as i64],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records a citizen's 👍 (true) or 👎 (false); the latest press counts. False when the
    /// question is unknown.
    pub fn set_feedback(&self, id: i64, up: bool) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE questions SET feedback = ?2 WHERE id = ?1",
            params![id, if up { 1 } else { -1 }],
        )?;
        Ok(n > 0)
    }

    pub fn stats(&self, now: i64) -> Result<Stats, StoreError> {
        let c = self.conn();
        let count = |sql: &str, since: i64| c.query_row(sql, [since], |r| r.get::<_, u64>(0));
        Ok(Stats {
            subscribers: c.query_row(
                "SELECT COUNT(*) FROM subscribers WHERE active = 1",
                [],
                |r| r.get(0),
            )?,
            questions_24h: count(
                "SELECT COUNT(*) FROM questions WHERE asked_at >= ?1",
                now - 86_400,
            )?,
            questions_7d: count(
                "SELECT COUNT(*) FROM questions WHERE asked_at >= ?1",
                now - 7 * 86_400,
            )?,
            unanswered_7d: count(
                "SELECT COUNT(*) FROM questions WHERE asked_at >= ?1 AND (tier = 'none' OR (tier IS NULL AND results = 0))",
                now - 7 * 86_400,
            )?,
        })
    }

    /// The questions of the last `days` days most often answered with `tier` (`none` or
    /// `related`: the gaps in the knowledge base), with their counts.
    pub fn gaps(
        &self,
        tier: Match,
        now: i64,
        days: i64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        self.frequent_questions(Frequent::Tier(tier), now, days, limit)
    }

    /// The questions most often rated 👎 in the last `days` days, with their counts.
    pub fn disliked(
        &self,
        now: i64,
        days: i64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        self.frequent_questions(Frequent::Disliked, now, days, limit)
    }

    fn frequent_questions(
        &self,
        which: Frequent,
        now: i64,
        days: i64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let (condition, tier) = match which {
            Frequent::Tier(Match::None) => {
                ("(tier = ?3 OR (tier IS NULL AND results = 0))", Match::None)
            }
            Frequent::Tier(t) => ("tier = ?3", t),
            Frequent::Disliked => ("feedback = -1 AND ?3 IS NOT NULL", Match::None),
        };
        let c = self.conn();
        let mut st = c.prepare(&format!(
            "SELECT text, COUNT(*) AS n FROM questions WHERE {condition} AND asked_at >= ?1
             GROUP BY text ORDER BY n DESC, MAX(asked_at) DESC LIMIT ?2"
        ))?;
        let rows = st
            .query_map(params![now - days * 86_400, limit as i64, tier], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_write_permission_is_named_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("lianghui.sqlite");
        assert!(
            not_writable(&db).is_none(),
            "a writable folder is not blamed"
        );
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        let e = not_writable(&db).expect("a read-only folder is named");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let msg = e.to_string();
        assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
        assert!(
            msg.contains("uid ") && msg.contains("chown -R 10001"),
            "{msg}"
        );
    }

    #[test]
    fn statuses_round_trip_through_sql() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let c = s.conn();
        for status in AnnouncementStatus::ALL {
            let back: AnnouncementStatus =
                c.query_row("SELECT ?1", [status], |r| r.get(0)).unwrap();
            assert_eq!(back, *status);
        }
        for d in Delivery::ALL {
            let back: Delivery = c.query_row("SELECT ?1", [d], |r| r.get(0)).unwrap();
            assert_eq!(back, *d);
        }
        let bad: rusqlite::Result<Delivery> = c.query_row("SELECT 'lost'", [], |r| r.get(0));
        assert!(bad.unwrap_err().to_string().contains("unknown Delivery"));
    }

    #[test]
    fn backups_are_consistent_copies_while_the_store_is_open() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db.sqlite")).unwrap();
        for chat in 1..=50 {
            s.subscribe(chat, 0).unwrap();
        }
        let copy = dir.path().join("backup.sqlite");
        s.backup_to(&copy).unwrap();
        s.subscribe(51, 0).unwrap();
        let restored = Store::open(&copy).unwrap();
        assert_eq!(restored.subscriber_count().unwrap(), 50);
    }

    #[test]
    fn subscriptions_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db.sqlite")).unwrap();
        assert!(s.subscribe(1, 0).unwrap());
        assert!(!s.subscribe(1, 0).unwrap());
        assert_eq!(s.subscriber_count().unwrap(), 1);
        assert!(s.unsubscribe(1, 0).unwrap());
        assert!(!s.unsubscribe(1, 0).unwrap());
        assert!(s.subscribe(1, 0).unwrap());
    }

    #[test]
    fn announcement_lifecycle_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        {
            let s = Store::open(&path).unwrap();
            for chat in 1..=3 {
                s.subscribe(chat, 0).unwrap();
            }
            let id = s.draft_announcement(9, 9, "通知", 0).unwrap();
            assert_eq!(
                s.confirm_announcement(id, 8, 0).unwrap(),
                None,
                "only the author confirms"
            );
            assert_eq!(s.confirm_announcement(id, 9, 0).unwrap(), Some(3));
            assert_eq!(
                s.confirm_announcement(id, 9, 0).unwrap(),
                None,
                "a second press queues nothing"
            );
            s.record_delivery(id, 1, Delivery::Delivered, 1).unwrap();
            s.record_delivery(id, 2, Delivery::Blocked, 1).unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.sending_announcements().unwrap(), vec![1]);
        assert_eq!(s.pending_deliveries(1, 10).unwrap(), vec![3]);
        assert_eq!(
            s.subscriber_count().unwrap(),
            2,
            "a blocked chat is unsubscribed"
        );
        s.record_delivery(1, 3, Delivery::Delivered, 2).unwrap();
        assert_eq!(
            s.tally(1).unwrap(),
            Tally {
                pending: 0,
                delivered: 2,
                blocked: 1,
                failed: 0
            }
        );
        assert!(s.finish_announcement(1, 3).unwrap());
        assert!(!s.finish_announcement(1, 3).unwrap());
    }

    #[test]
    fn question_log_feeds_stats_and_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let now = 10 * 86_400;
        let key = s.asker_key(5, 5).unwrap();
        let log = |text: &str, tier, passages: &[&str], at| {
            s.log_question(text, tier, passages, Some(0.5), at, &key)
                .unwrap()
        };
        log("比特币", Match::None, &[], now);
        log("比特币", Match::None, &[], now - 100);
        log("文峰区的项目", Match::Related, &["c-1"], now);
        let q = log("人才公寓", Match::Direct, &["a-1", "b-2"], now);
        log("旧问题", Match::None, &[], now - 30 * 86_400);
        assert_eq!(s.question_asker(q).unwrap(), Some(key.clone()));
        assert_eq!(
            s.asker_key(5, 5).unwrap(),
            key,
            "the same asker, the same key"
        );
        assert_ne!(
            s.asker_key(-100, 5).unwrap(),
            key,
            "another chat, another key"
        );
        assert_ne!(s.asker_key(5, 6).unwrap(), key);
        assert_eq!(key.len(), 24, "a hash, not the ids");
        assert_eq!(s.answer_passage(q, 2).unwrap().as_deref(), Some("b-2"));
        assert_eq!(s.answer_passage(q, 3).unwrap(), None);
        s.add_answers(q, 3, &["c-3"]).unwrap();
        assert_eq!(s.answer_passage(q, 3).unwrap().as_deref(), Some("c-3"));
        assert_eq!(s.question_text(q).unwrap().as_deref(), Some("人才公寓"));
        assert!(s.set_feedback(q, false).unwrap());
        assert!(!s.set_feedback(999, true).unwrap());
        assert_eq!(
            s.disliked(now, 7, 5).unwrap(),
            vec![("人才公寓".to_string(), 1)]
        );
        let st = s.stats(now).unwrap();
        assert_eq!(
            (st.questions_24h, st.questions_7d, st.unanswered_7d),
            (4, 4, 2)
        );
        assert_eq!(
            s.gaps(Match::None, now, 7, 5).unwrap(),
            vec![("比特币".to_string(), 2)]
        );
        assert_eq!(
            s.gaps(Match::Related, now, 7, 5).unwrap(),
            vec![("文峰区的项目".to_string(), 1)]
        );
    }
}
