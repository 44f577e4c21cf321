//! Subscribers: the chats that asked for announcements, idempotently in and out.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError};

/// Whether a chat is an active subscriber; None when it never subscribed.
fn active(c: &Connection, chat_id: i64) -> Result<Option<bool>, StoreError> {
    Ok(c.query_row(
        "SELECT active FROM subscribers WHERE chat_id = ?1",
        [chat_id],
        |r| r.get(0),
    )
    .optional()?)
}

impl Store {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
