//! Announcements and their per-subscriber deliveries: a draft awaiting its author's 发送, one
//! pending delivery per subscriber queued in one transaction, each delivery's outcome
//! committed as it completes (so a restart resumes where the last process stopped), and the
//! tally for the author's report.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

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

impl Store {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
