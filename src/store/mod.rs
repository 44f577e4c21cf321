//! SQLite storage: subscribers, announcements and their per-subscriber deliveries, and the
//! question log. Every change is committed when it happens, so a restart resumes where the last
//! process stopped. The question log keeps question text, time, result count and top score, and
//! never a user id. This module knows nothing of Telegram.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

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
mod announcements;
mod faqs;
mod inbox;
mod questions;
mod subscribers;
mod tickets;

pub use announcements::{Announcement, AnnouncementStatus, Delivery, Tally};
pub use faqs::{FaqDraft, FaqState};
pub use inbox::{InboxState, Received};
pub use questions::Stats;
pub use tickets::{
    Author, Draft, OpenRefused, OutKind, OutState, Outgoing, Ticket, TicketState, TicketStats,
};

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
    // Tickets (转人工), their messages, their messages' places in the staff group, their
    // outbox and the residents blocked from them (see `tickets.rs`).
    "CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        state TEXT NOT NULL,
        question TEXT NOT NULL,
        resident TEXT NOT NULL,
        resident_chat INTEGER,
        resident_msg INTEGER,
        pseudonym TEXT NOT NULL,
        topic TEXT NOT NULL,
        found TEXT NOT NULL,
        staff_chat INTEGER,
        staff_thread INTEGER,
        card_msg INTEGER,
        claimed_by INTEGER,
        created_at INTEGER NOT NULL,
        opened_at INTEGER,
        first_response_at INTEGER,
        closed_at INTEGER,
        close_reason TEXT,
        activity_at INTEGER NOT NULL,
        rating INTEGER
    );
    CREATE INDEX tickets_resident ON tickets(resident, state);
    CREATE INDEX tickets_state ON tickets(state, activity_at);
    CREATE TABLE ticket_messages (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        author TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        source_chat INTEGER,
        source_msg INTEGER,
        UNIQUE (source_chat, source_msg)
    );
    CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, author, created_at);
    CREATE TABLE ticket_links (
        staff_chat INTEGER NOT NULL,
        staff_msg INTEGER NOT NULL,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        PRIMARY KEY (staff_chat, staff_msg)
    );
    CREATE TABLE ticket_outbox (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        target INTEGER,
        to_resident INTEGER NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        not_before INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
    );
    CREATE INDEX ticket_outbox_state ON ticket_outbox(state, not_before, id);
    CREATE TABLE ticket_blocks (resident TEXT PRIMARY KEY, blocked_at INTEGER NOT NULL);
    ALTER TABLE questions ADD COLUMN message_id INTEGER;
    CREATE INDEX questions_asker ON questions(asker, id);",
    // FAQ drafts made from answered tickets (see `faqs.rs`).
    "CREATE TABLE faqs (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        removed TEXT NOT NULL,
        state TEXT NOT NULL,
        staff_chat INTEGER,
        staff_msg INTEGER,
        created_at INTEGER NOT NULL,
        decided_at INTEGER
    );
    CREATE INDEX faqs_message ON faqs(staff_chat, staff_msg);
    CREATE INDEX answers_passage ON answers(passage_id, rank);",
];

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

/// The database, shared by the bot's tasks. Each call holds the connection briefly.
pub struct Store {
    conn: Mutex<Connection>,
    /// The asker keys' secret, once read (see `questions.rs`).
    salt: std::sync::OnceLock<String>,
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
            salt: std::sync::OnceLock::new(),
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

    /// Writes a consistent copy of the database to `path` (SQLite's online backup: the bot may
    /// keep running and writing meanwhile).
    pub fn backup_to(&self, path: &Path) -> Result<(), StoreError> {
        self.conn().backup(rusqlite::MAIN_DB, path, None)?;
        Ok(())
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
}
