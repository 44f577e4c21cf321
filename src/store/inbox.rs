//! The inbox: every update the bot accepted, kept until it is handled, so that nothing
//! acknowledged to Telegram is lost to a crash, a restart or a SIGKILL.
//!
//! An update is written here before Telegram is told it arrived (the next `getUpdates` offset,
//! or the webhook's 200), and marked done when its handler returns. At start the pending ones
//! are handled again. The row's `update_id` is its key, so an update Telegram delivers twice is
//! handled once. A finished row keeps only its id and times (the body, which holds a citizen's
//! text and ids, is emptied) and is pruned after a while. This file knows nothing of Telegram's
//! types: a body is JSON text.

use rusqlite::params;

use super::{Store, StoreError};

text_status! {
    /// Where an update in the inbox stands.
    InboxState {
        /// Accepted, not handled yet.
        Pending => "pending",
        /// Its handler returned.
        Done => "done",
        /// Left unhandled on purpose (its chat's queue was full).
        Dropped => "dropped",
    }
}

/// An update waiting in the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub update_id: i64,
    pub received_at: i64,
    pub body: String,
}

impl Store {
    /// Adds updates to the inbox in one transaction; returns, for each, whether it is new (an
    /// update already there, handled or not, is not added again).
    pub fn inbox_add(&self, updates: &[(i64, String)], now: i64) -> Result<Vec<bool>, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let mut fresh = Vec::with_capacity(updates.len());
        {
            let mut st = tx.prepare(
                "INSERT OR IGNORE INTO inbox (update_id, received_at, state, body) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (id, body) in updates {
                fresh.push(st.execute(params![id, now, InboxState::Pending, body])? > 0);
            }
        }
        tx.commit()?;
        Ok(fresh)
    }

    /// Marks updates handled (done or dropped) and forgets their bodies.
    pub fn inbox_finish(&self, ids: &[(i64, InboxState)], now: i64) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        {
            let mut st = tx.prepare(
                "UPDATE inbox SET state = ?2, body = '', finished_at = ?3 WHERE update_id = ?1",
            )?;
            for (id, state) in ids {
                st.execute(params![id, state, now])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Up to `limit` pending updates, oldest first.
    pub fn inbox_pending(&self, limit: usize) -> Result<Vec<Received>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT update_id, received_at, body FROM inbox WHERE state = ?1 ORDER BY update_id LIMIT ?2",
        )?;
        let rows = st
            .query_map(params![InboxState::Pending, limit as i64], |r| {
                Ok(Received {
                    update_id: r.get(0)?,
                    received_at: r.get(1)?,
                    body: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// How many updates are pending, and when the oldest of them arrived.
    pub fn inbox_backlog(&self) -> Result<(u64, Option<i64>), StoreError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*), MIN(received_at) FROM inbox WHERE state = ?1",
            [InboxState::Pending],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// When an update was last handled (Unix seconds), if ever.
    pub fn inbox_last_finished(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.conn().query_row(
            "SELECT MAX(finished_at) FROM inbox WHERE state = ?1",
            [InboxState::Done],
            |r| r.get(0),
        )?)
    }

    /// The highest update id ever accepted, to resume polling after it.
    pub fn inbox_last_id(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT MAX(update_id) FROM inbox", [], |r| r.get(0))?)
    }

    /// Forgets finished updates that finished before `before` (Unix seconds), keeping the
    /// newest one so that the last accepted id stays known.
    pub fn inbox_prune(&self, before: i64) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "DELETE FROM inbox WHERE state != ?1 AND finished_at < ?2
             AND update_id < (SELECT MAX(update_id) FROM inbox)",
            params![InboxState::Pending, before],
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_are_kept_until_handled_and_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        {
            let s = Store::open(&path).unwrap();
            let added = s
                .inbox_add(&[(5, "{\"a\":1}".into()), (6, "{}".into())], 100)
                .unwrap();
            assert_eq!(added, vec![true, true]);
            // Delivered again (a webhook retry, a poll after a crash): not added twice.
            assert_eq!(s.inbox_add(&[(5, "{}".into())], 101).unwrap(), vec![false]);
            s.inbox_finish(&[(6, InboxState::Done)], 102).unwrap();
            assert_eq!(s.inbox_add(&[(6, "{}".into())], 103).unwrap(), vec![false]);
        }
        let s = Store::open(&path).unwrap();
        let pending = s.inbox_pending(10).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            (pending[0].update_id, pending[0].body.as_str()),
            (5, "{\"a\":1}")
        );
        assert_eq!(s.inbox_backlog().unwrap(), (1, Some(100)));
        assert_eq!(s.inbox_last_id().unwrap(), Some(6));
        s.inbox_finish(&[(5, InboxState::Dropped)], 200).unwrap();
        assert_eq!(s.inbox_backlog().unwrap(), (0, None));
        // Pruning keeps the newest id, and what a handled row keeps is no text.
        assert_eq!(s.inbox_prune(1_000).unwrap(), 1);
        assert_eq!(s.inbox_last_id().unwrap(), Some(6));
        let body: String = s
            .conn()
            .query_row("SELECT body FROM inbox WHERE update_id = 6", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(body.is_empty());
    }
}
