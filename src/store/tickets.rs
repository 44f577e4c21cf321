//! Tickets (转人工): a resident's question handed to staff, its messages both ways, where each
//! lives in the staff group, and the durable outbox every ticket message is sent from.
//!
//! A ticket moves draft → new → claimed → answered → closed ([`TicketState`]); a resident's
//! message reopens an answered one. The resident is known by a keyed hash ([`Ticket::resident`],
//! for limits and blocks) and, until the mapping is purged some days after close, by the chat
//! the answers go to; staff only ever see the pseudonym. Every message of a ticket in the staff
//! group is linked to it by id (`ticket_links`), so a reply is routed by what Telegram says it
//! replies to, never by parsing text. What is to be sent is written to `ticket_outbox` in the
//! same transaction as the change that causes it, and marked sent once Telegram took it: a
//! restart resends at most the one message in flight. An incoming message is recorded once
//! (keyed by its chat and message id), so an update handled again after a crash changes
//! nothing twice. This file knows nothing of Telegram's types.

use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::{Store, StoreError};

text_status! {
    /// Where a ticket stands.
    TicketState {
        /// Shown to the resident for 确认; staff have not seen it.
        Draft => "draft",
        /// Confirmed, waiting for staff.
        New => "new",
        /// A staff member took it.
        Claimed => "claimed",
        /// Staff answered; the resident may still write (which reopens it).
        Answered => "answered",
        /// Done: by staff, by the resident, or idle.
        Closed => "closed",
        /// A draft the resident cancelled or let expire.
        Cancelled => "cancelled",
    }
}

impl TicketState {
    /// Whether the resident's messages go to the ticket.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            TicketState::New | TicketState::Claimed | TicketState::Answered
        )
    }
}

text_status! {
    /// Who a ticket message is from.
    Author {
        Resident => "resident",
        Staff => "staff",
        /// An internal `#备注`: never sent to the resident.
        Note => "note",
    }
}

text_status! {
    /// What an outbox row sends.
    OutKind {
        /// The ticket's card in the staff group (opening its topic first in a forum).
        Card => "card",
        /// Text into the ticket's topic, or under its card.
        ToStaff => "to_staff",
        /// A copy of the resident's photo, voice or file into the ticket's topic.
        CopyToStaff => "copy_to_staff",
        /// Text to the resident, as a reply to the question they asked.
        ToResident => "to_resident",
        /// The notice of a close to the resident, with the rating buttons.
        ClosedNotice => "closed_notice",
        /// The card's text and buttons, edited to its new state.
        EditCard => "edit_card",
        /// Text to one admin (`target`).
        ToAdmin => "to_admin",
    }
}

text_status! {
    /// Where an outbox row stands.
    OutState {
        Pending => "pending",
        /// Handed to Telegram; not known to have arrived. Pending again at start.
        Sending => "sending",
        Sent => "sent",
        /// Telegram refused it for good (the resident blocked the bot).
        Failed => "failed",
    }
}

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: i64,
    pub state: TicketState,
    pub question: String,
    /// The keyed hash of the resident (never their id).
    pub resident: String,
    /// Their chat, until purged.
    pub resident_chat: Option<i64>,
    /// The message that asked, which answers reply to.
    pub resident_msg: Option<i64>,
    /// What staff see instead of the resident: 市民#5F2A.
    pub pseudonym: String,
    pub topic: String,
    /// The bot's best passages, as staff are shown them.
    pub found: String,
    pub staff_chat: Option<i64>,
    pub staff_thread: Option<i64>,
    pub card_msg: Option<i64>,
    pub claimed_by: Option<i64>,
    pub created_at: i64,
    pub opened_at: Option<i64>,
    pub first_response_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub activity_at: i64,
    pub rating: Option<i64>,
}

const TICKET_COLUMNS: &str = "id, state, question, resident, resident_chat, resident_msg, pseudonym, topic, found, staff_chat, staff_thread, card_msg, claimed_by, created_at, opened_at, first_response_at, closed_at, activity_at, rating";

fn ticket(r: &Row) -> rusqlite::Result<Ticket> {
    Ok(Ticket {
        id: r.get(0)?,
        state: r.get(1)?,
        question: r.get(2)?,
        resident: r.get(3)?,
        resident_chat: r.get(4)?,
        resident_msg: r.get(5)?,
        pseudonym: r.get(6)?,
        topic: r.get(7)?,
        found: r.get(8)?,
        staff_chat: r.get(9)?,
        staff_thread: r.get(10)?,
        card_msg: r.get(11)?,
        claimed_by: r.get(12)?,
        created_at: r.get(13)?,
        opened_at: r.get(14)?,
        first_response_at: r.get(15)?,
        closed_at: r.get(16)?,
        activity_at: r.get(17)?,
        rating: r.get(18)?,
    })
}

/// A new draft: what the resident asked and what the bot found.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub question: &'a str,
    pub resident: &'a str,
    pub resident_chat: i64,
    pub resident_msg: Option<i64>,
    pub pseudonym: &'a str,
    pub topic: &'a str,
    pub found: &'a str,
}

/// A message to send from the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub id: i64,
    pub ticket: i64,
    pub kind: OutKind,
    /// Telegram HTML (or, for a copy, empty).
    pub text: String,
    /// The message copied (for [`OutKind::CopyToStaff`]) or the admin's chat (for
    /// [`OutKind::ToAdmin`]).
    pub target: Option<i64>,
    /// Which attempt this is (from 1).
    pub attempts: i64,
}

/// Why a ticket could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenRefused {
    /// The resident has this many open tickets already.
    TooMany(usize),
    /// An admin blocked them from tickets.
    Blocked,
    /// It is not a draft any more (already sent, or cancelled).
    NotDraft,
}

/// Figures for `/stats` and the metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketStats {
    pub open: u64,
    /// Open and waiting for a first response longer than the reply window.
    pub overdue: u64,
    /// Median seconds from confirmation to the first staff answer, over answered tickets.
    pub median_first_response: Option<i64>,
    pub closed: u64,
}

impl Store {
    /// Writes a draft ticket (nothing goes to staff yet); its id.
    pub fn draft_ticket(&self, d: &Draft, now: i64) -> Result<i64, StoreError> {
        let c = self.conn();
        c.execute(
            "INSERT INTO tickets (state, question, resident, resident_chat, resident_msg, pseudonym, topic, found, created_at, activity_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![
                TicketState::Draft,
                d.question,
                d.resident,
                d.resident_chat,
                d.resident_msg,
                d.pseudonym,
                d.topic,
                d.found,
                now
            ],
        )?;
        Ok(c.last_insert_rowid())
    }

    pub fn ticket(&self, id: i64) -> Result<Option<Ticket>, StoreError> {
        let c = self.conn();
        Ok(c.query_row(
            &format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?1"),
            [id],
            ticket,
        )
        .optional()?)
    }

    /// The resident's open ticket their messages go to (the newest), if any.
    pub fn open_ticket_of(&self, resident: &str) -> Result<Option<Ticket>, StoreError> {
        let c = self.conn();
        Ok(c.query_row(
            &format!(
                "SELECT {TICKET_COLUMNS} FROM tickets WHERE resident = ?1 AND state IN ('new', 'claimed', 'answered') ORDER BY id DESC LIMIT 1"
            ),
            [resident],
            ticket,
        )
        .optional()?)
    }

    /// The resident's tickets, newest first (drafts and cancelled ones left out).
    pub fn tickets_of(&self, resident: &str, limit: usize) -> Result<Vec<Ticket>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE resident = ?1 AND state NOT IN ('draft', 'cancelled') ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = st
            .query_map(params![resident, limit as i64], ticket)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// 确认 on a draft: the ticket opens and its card is queued for the staff group, unless
    /// the resident has `max_open` open tickets or is blocked.
    pub fn open_ticket(
        &self,
        id: i64,
        resident: &str,
        card: &str,
        max_open: usize,
        now: i64,
    ) -> Result<Result<Ticket, OpenRefused>, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let draft = tx
            .query_row(
                &format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?1 AND resident = ?2"),
                params![id, resident],
                ticket,
            )
            .optional()?;
        let Some(t) = draft.filter(|t| t.state == TicketState::Draft) else {
            return Ok(Err(OpenRefused::NotDraft));
        };
        let blocked: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM ticket_blocks WHERE resident = ?1)",
            [resident],
            |r| r.get(0),
        )?;
        if blocked {
            return Ok(Err(OpenRefused::Blocked));
        }
        let open: i64 = tx.query_row(
            "SELECT COUNT(*) FROM tickets WHERE resident = ?1 AND state IN ('new', 'claimed', 'answered')",
            [resident],
            |r| r.get(0),
        )?;
        if open as usize >= max_open {
            return Ok(Err(OpenRefused::TooMany(open as usize)));
        }
        tx.execute(
            "UPDATE tickets SET state = 'new', opened_at = ?2, activity_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
        tx.execute(
            "INSERT INTO ticket_messages (ticket_id, author, text, created_at) VALUES (?1, 'resident', ?2, ?3)",
            params![id, t.question, now],
        )?;
        enqueue(&tx, id, OutKind::Card, card, None, now)?;
        tx.commit()?;
        Ok(Ok(Ticket {
            state: TicketState::New,
            opened_at: Some(now),
            ..t
        }))
    }

    /// 取消 on a draft; whether it was one.
    pub fn cancel_draft(&self, id: i64, resident: &str) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "UPDATE tickets SET state = 'cancelled' WHERE id = ?1 AND resident = ?2 AND state = 'draft'",
            params![id, resident],
        )? > 0)
    }

    /// A resident's message into their open ticket: recorded once (by its chat and message
    /// id) and queued for staff (`copy` when it is a photo, voice or file). Reopens an answered
    /// ticket (and queues the card's text `card` for it). Returns the ticket's state before,
    /// or None when this message was recorded already (an update handled again).
    #[allow(clippy::too_many_arguments)]
    pub fn resident_wrote(
        &self,
        id: i64,
        text: &str,
        html: &str,
        copy: Option<i64>,
        card: &str,
        source: (i64, i64),
        now: i64,
    ) -> Result<Option<TicketState>, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let Some(before) = record(&tx, id, Author::Resident, text, source, now)? else {
            return Ok(None);
        };
        if before == TicketState::Answered {
            tx.execute(
                "UPDATE tickets SET state = CASE WHEN claimed_by IS NULL THEN 'new' ELSE 'claimed' END WHERE id = ?1",
                [id],
            )?;
            enqueue(&tx, id, OutKind::EditCard, card, None, now)?;
        }
        enqueue(&tx, id, OutKind::ToStaff, html, None, now)?;
        if let Some(message) = copy {
            enqueue(&tx, id, OutKind::CopyToStaff, "", Some(message), now)?;
        }
        tx.commit()?;
        Ok(Some(before))
    }

    /// A staff member's answer: recorded once, queued for the resident (`html`) with the
    /// card's new text, the ticket answered. None when recorded already or the ticket is not
    /// open.
    #[allow(clippy::too_many_arguments)]
    pub fn staff_answered(
        &self,
        id: i64,
        staff: i64,
        text: &str,
        html: &str,
        card: &str,
        source: (i64, i64),
        now: i64,
    ) -> Result<Option<TicketState>, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let Some(before) = record(&tx, id, Author::Staff, text, source, now)? else {
            return Ok(None);
        };
        if !before.is_open() {
            return Ok(None);
        }
        tx.execute(
            "UPDATE tickets SET state = 'answered', claimed_by = COALESCE(claimed_by, ?2),
             first_response_at = COALESCE(first_response_at, ?3) WHERE id = ?1",
            params![id, staff, now],
        )?;
        enqueue(&tx, id, OutKind::ToResident, html, None, now)?;
        if before != TicketState::Answered {
            enqueue(&tx, id, OutKind::EditCard, card, None, now)?;
        }
        tx.commit()?;
        Ok(Some(before))
    }

    /// An internal note (`#备注`): kept, sent to no one.
    pub fn staff_note(
        &self,
        id: i64,
        text: &str,
        source: (i64, i64),
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let done = record(&tx, id, Author::Note, text, source, now)?.is_some();
        tx.commit()?;
        Ok(done)
    }

    /// 认领: the ticket is `staff`'s; false when it is not new (claimed already, or closed).
    pub fn claim_ticket(
        &self,
        id: i64,
        staff: i64,
        card: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let changed = tx.execute(
            "UPDATE tickets SET state = 'claimed', claimed_by = ?2, activity_at = ?3 WHERE id = ?1 AND state = 'new'",
            params![id, staff, now],
        )? > 0;
        if changed {
            enqueue(&tx, id, OutKind::EditCard, card, None, now)?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Closes an open ticket, queueing `notice` for the resident and the card's new text;
    /// false when it was not open.
    pub fn close_ticket(
        &self,
        id: i64,
        reason: &str,
        notice: &str,
        card: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let changed = tx.execute(
            "UPDATE tickets SET state = 'closed', closed_at = ?2, close_reason = ?3, activity_at = ?2
             WHERE id = ?1 AND state IN ('new', 'claimed', 'answered')",
            params![id, now, reason],
        )? > 0;
        if changed {
            enqueue(&tx, id, OutKind::ClosedNotice, notice, None, now)?;
            enqueue(&tx, id, OutKind::EditCard, card, None, now)?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Open tickets with no activity since `before`, oldest first.
    pub fn idle_tickets(&self, before: i64) -> Result<Vec<Ticket>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE state IN ('new', 'claimed', 'answered') AND activity_at < ?1 ORDER BY id"
        ))?;
        let rows = st
            .query_map([before], ticket)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The resident's rating of a closed ticket (1 非常不满意 … 5 非常满意), once; `alert`
    /// (to each of `admins`) is queued with it when given. False when not theirs, not closed
    /// or rated already.
    pub fn rate_ticket(
        &self,
        id: i64,
        resident: &str,
        level: i64,
        alert: Option<(&str, &[u64])>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let changed = tx.execute(
            "UPDATE tickets SET rating = ?3 WHERE id = ?1 AND resident = ?2 AND state = 'closed' AND rating IS NULL",
            params![id, resident, level],
        )? > 0;
        if changed && let Some((text, admins)) = alert {
            for a in admins {
                enqueue(&tx, id, OutKind::ToAdmin, text, Some(*a as i64), now)?;
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Blocks the ticket's resident from opening tickets; false when blocked already.
    pub fn block_resident(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "INSERT OR IGNORE INTO ticket_blocks (resident, blocked_at) SELECT resident, ?2 FROM tickets WHERE id = ?1",
            params![id, now],
        )? > 0)
    }

    /// The ticket a message in the staff group belongs to: its topic (`thread`, in a forum) or
    /// the ticket message it replies to.
    pub fn ticket_in_staff_chat(
        &self,
        chat: i64,
        thread: Option<i64>,
        replied: Option<i64>,
    ) -> Result<Option<i64>, StoreError> {
        let c = self.conn();
        if let Some(thread) = thread {
            let found = c
                .query_row(
                    "SELECT id FROM tickets WHERE staff_chat = ?1 AND staff_thread = ?2",
                    params![chat, thread],
                    |r| r.get(0),
                )
                .optional()?;
            if found.is_some() {
                return Ok(found);
            }
        }
        let Some(replied) = replied else {
            return Ok(None);
        };
        Ok(c.query_row(
            "SELECT ticket_id FROM ticket_links WHERE staff_chat = ?1 AND staff_msg = ?2",
            params![chat, replied],
            |r| r.get(0),
        )
        .optional()?)
    }

    /// The next outbox row to send: the oldest whose time has come and that no earlier unsent
    /// row of the same ticket and kind of recipient waits before; marked sending.
    pub fn next_outgoing(&self, now: i64) -> Result<Option<Outgoing>, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let row = tx
            .query_row(
                "SELECT o.id, o.ticket_id, o.kind, o.text, o.target, o.attempts FROM ticket_outbox o
                 WHERE o.state = 'pending' AND o.not_before <= ?1 AND NOT EXISTS (
                   SELECT 1 FROM ticket_outbox p WHERE p.ticket_id = o.ticket_id AND p.to_resident = o.to_resident
                   AND p.id < o.id AND p.state IN ('pending', 'sending'))
                 ORDER BY o.id LIMIT 1",
                [now],
                |r| {
                    Ok(Outgoing {
                        id: r.get(0)?,
                        ticket: r.get(1)?,
                        kind: r.get(2)?,
                        text: r.get(3)?,
                        target: r.get(4)?,
                        attempts: r.get::<_, i64>(5)? + 1,
                    })
                },
            )
            .optional()?;
        if let Some(o) = &row {
            tx.execute(
                "UPDATE ticket_outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?1",
                [o.id],
            )?;
        }
        tx.commit()?;
        Ok(row)
    }

    /// When the next pending row's time comes (for the worker's sleep).
    pub fn next_outgoing_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.conn().query_row(
            "SELECT MIN(not_before) FROM ticket_outbox WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }

    /// Telegram took outbox row `id`: marked sent, and the staff-group message it made linked
    /// to its ticket (`staff`: chat, message and, for a card in a forum, the topic).
    pub fn outgoing_sent(
        &self,
        o: &Outgoing,
        staff: Option<(i64, i64, Option<i64>)>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute(
            "UPDATE ticket_outbox SET state = 'sent', sent_at = ?2 WHERE id = ?1",
            params![o.id, now],
        )?;
        if let Some((chat, msg, thread)) = staff {
            tx.execute(
                "INSERT OR IGNORE INTO ticket_links (staff_chat, staff_msg, ticket_id) VALUES (?1, ?2, ?3)",
                params![chat, msg, o.ticket],
            )?;
            if o.kind == OutKind::Card {
                tx.execute(
                    "UPDATE tickets SET staff_chat = ?2, card_msg = ?3, staff_thread = COALESCE(?4, staff_thread) WHERE id = ?1",
                    params![o.ticket, chat, msg, thread],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// A forum topic was opened for the ticket (before its card is sent into it): kept at
    /// once, so a restart does not open a second one.
    pub fn ticket_topic_opened(&self, id: i64, chat: i64, thread: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE tickets SET staff_chat = ?2, staff_thread = ?3 WHERE id = ?1",
            params![id, chat, thread],
        )?;
        Ok(())
    }

    /// Outbox row `id` is to be tried again at `at` (a 429's retry_after, a network error).
    pub fn outgoing_later(&self, id: i64, at: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE ticket_outbox SET state = 'pending', not_before = ?2 WHERE id = ?1",
            params![id, at],
        )?;
        Ok(())
    }

    /// Telegram refused outbox row `o` for good; `report` (when given) is queued into the
    /// ticket for staff.
    pub fn outgoing_failed(
        &self,
        o: &Outgoing,
        report: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute(
            "UPDATE ticket_outbox SET state = 'failed', sent_at = ?2 WHERE id = ?1",
            params![o.id, now],
        )?;
        if let Some(text) = report {
            enqueue(&tx, o.ticket, OutKind::ToStaff, text, None, now)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// At start: rows a stopped process was sending are pending again (the one in flight may
    /// arrive twice; nothing else does).
    pub fn outbox_resume(&self) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "UPDATE ticket_outbox SET state = 'pending' WHERE state = 'sending'",
            [],
        )?)
    }

    /// Forgets which chat the residents of tickets closed before `before` write from (the
    /// question, the answers and the pseudonym stay); how many were purged.
    pub fn purge_residents(&self, before: i64) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "UPDATE tickets SET resident_chat = NULL, resident_msg = NULL
             WHERE state = 'closed' AND closed_at < ?1 AND resident_chat IS NOT NULL",
            [before],
        )?)
    }

    /// How many of the ticket's messages the resident sent since `since` (the rate limit).
    pub fn resident_messages_since(&self, id: i64, since: i64) -> Result<u64, StoreError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = ?1 AND author = 'resident' AND created_at >= ?2",
            params![id, since],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The last staff answer of a ticket (for an FAQ draft).
    pub fn last_staff_answer(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT text FROM ticket_messages WHERE ticket_id = ?1 AND author = 'staff' ORDER BY id DESC LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Open, overdue (no first response since `overdue_before`), closed, and the median first
    /// response time.
    pub fn ticket_stats(&self, overdue_before: i64) -> Result<TicketStats, StoreError> {
        let c = self.conn();
        let count = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<u64, StoreError> {
            Ok(c.query_row(sql, p, |r| r.get::<_, i64>(0))? as u64)
        };
        let open = count(
            "SELECT COUNT(*) FROM tickets WHERE state IN ('new', 'claimed', 'answered')",
            &[],
        )?;
        let overdue = count(
            "SELECT COUNT(*) FROM tickets WHERE state IN ('new', 'claimed') AND first_response_at IS NULL AND opened_at < ?1",
            &[&overdue_before],
        )?;
        let closed = count("SELECT COUNT(*) FROM tickets WHERE state = 'closed'", &[])?;
        let mut st = c.prepare(
            "SELECT first_response_at - opened_at FROM tickets WHERE first_response_at IS NOT NULL ORDER BY 1",
        )?;
        let times = st
            .query_map([], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TicketStats {
            open,
            overdue,
            closed,
            median_first_response: (!times.is_empty()).then(|| times[times.len() / 2]),
        })
    }
}

/// Records a ticket message once; the ticket's state, or None when the message was recorded
/// already (or the ticket is gone). Counts as activity.
fn record(
    tx: &Transaction,
    id: i64,
    author: Author,
    text: &str,
    (chat, msg): (i64, i64),
    now: i64,
) -> Result<Option<TicketState>, StoreError> {
    let Some(state) = tx
        .query_row("SELECT state FROM tickets WHERE id = ?1", [id], |r| {
            r.get::<_, TicketState>(0)
        })
        .optional()?
    else {
        return Ok(None);
    };
    let fresh = tx.execute(
        "INSERT OR IGNORE INTO ticket_messages (ticket_id, author, text, created_at, source_chat, source_msg) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, author, text, now, chat, msg],
    )? > 0;
    if !fresh {
        return Ok(None);
    }
    tx.execute(
        "UPDATE tickets SET activity_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(Some(state))
}

fn enqueue(
    tx: &Transaction,
    ticket: i64,
    kind: OutKind,
    text: &str,
    target: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    let to_resident = matches!(kind, OutKind::ToResident | OutKind::ClosedNotice);
    tx.execute(
        "INSERT INTO ticket_outbox (ticket_id, kind, text, target, to_resident, state, attempts, not_before, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6)",
        params![ticket, kind, text, target, to_resident, now],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db.sqlite")).unwrap();
        (dir, s)
    }

    /// Sends everything queued; the kinds, in the order sent.
    fn drain(s: &Store) -> Vec<OutKind> {
        let mut kinds = Vec::new();
        while let Some(o) = s.next_outgoing(1000).unwrap() {
            kinds.push(o.kind);
            s.outgoing_sent(&o, None, 1000).unwrap();
        }
        kinds
    }

    fn draft(s: &Store, resident: &str, chat: i64) -> i64 {
        let d = Draft {
            question: "小区燃气管道啥时候换",
            resident,
            resident_chat: chat,
            resident_msg: Some(7),
            pseudonym: "市民#5F2A",
            topic: "住房",
            found: "",
        };
        s.draft_ticket(&d, 100).unwrap()
    }

    #[test]
    fn a_ticket_goes_from_draft_to_closed_and_each_step_is_queued_once() {
        let (_d, s) = store();
        let id = draft(&s, "r1", 11);
        assert!(
            s.next_outgoing(100).unwrap().is_none(),
            "a draft sends nothing"
        );
        let t = s.open_ticket(id, "r1", "card", 3, 110).unwrap().unwrap();
        assert_eq!(t.state, TicketState::New);
        assert_eq!(
            s.open_ticket(id, "r1", "card", 3, 111).unwrap(),
            Err(OpenRefused::NotDraft),
            "确认 twice opens one ticket"
        );
        let card = s.next_outgoing(110).unwrap().unwrap();
        assert_eq!(card.kind, OutKind::Card);
        s.outgoing_sent(&card, Some((-100, 50, Some(9))), 111)
            .unwrap();
        assert_eq!(
            s.ticket_in_staff_chat(-100, Some(9), None).unwrap(),
            Some(id)
        );
        assert_eq!(
            s.ticket_in_staff_chat(-100, None, Some(50)).unwrap(),
            Some(id)
        );
        assert_eq!(s.ticket_in_staff_chat(-100, None, Some(51)).unwrap(), None);
        assert!(s.claim_ticket(id, 2, "claimed card", 120).unwrap());
        assert!(!s.claim_ticket(id, 3, "claimed card", 121).unwrap());
        let answered = s.staff_answered(id, 2, "明年更换", "<b>答</b>", "card", (-100, 60), 130);
        assert_eq!(answered.unwrap(), Some(TicketState::Claimed));
        assert_eq!(
            s.staff_answered(id, 2, "明年更换", "<b>答</b>", "card", (-100, 60), 131)
                .unwrap(),
            None,
            "the same update handled again"
        );
        assert_eq!(s.ticket(id).unwrap().unwrap().state, TicketState::Answered);
        // The resident writes back: reopened, to the one who claimed it.
        let before = s.resident_wrote(id, "谢谢，那具体哪天", "谢谢", None, "card", (11, 8), 140);
        assert_eq!(before.unwrap(), Some(TicketState::Answered));
        assert_eq!(s.ticket(id).unwrap().unwrap().state, TicketState::Claimed);
        assert!(
            s.close_ticket(id, "staff", "已办结", "closed card", 150)
                .unwrap()
        );
        assert!(
            !s.close_ticket(id, "staff", "已办结", "closed card", 151)
                .unwrap()
        );
        assert!(s.rate_ticket(id, "r1", 5, None, 160).unwrap());
        assert!(
            !s.rate_ticket(id, "r1", 1, None, 161).unwrap(),
            "rated once"
        );
        assert_eq!(
            s.resident_messages_since(id, 100).unwrap(),
            2,
            "the question and the message back"
        );
        let kinds = drain(&s);
        use OutKind::*;
        assert_eq!(
            kinds,
            vec![
                EditCard,
                ToResident,
                EditCard,
                EditCard,
                ToStaff,
                ClosedNotice,
                EditCard
            ]
        );
        let stats = s.ticket_stats(0).unwrap();
        assert_eq!((stats.open, stats.closed), (0, 1));
        assert_eq!(stats.median_first_response, Some(20));
    }

    #[test]
    fn limits_blocks_and_forged_owners_are_refused() {
        let (_d, s) = store();
        for _ in 0..3 {
            let id = draft(&s, "r1", 11);
            assert!(s.open_ticket(id, "r1", "card", 3, 100).unwrap().is_ok());
        }
        let fourth = draft(&s, "r1", 11);
        assert_eq!(
            s.open_ticket(fourth, "r1", "card", 3, 100).unwrap(),
            Err(OpenRefused::TooMany(3))
        );
        let other = draft(&s, "r2", 12);
        assert_eq!(
            s.open_ticket(other, "r1", "card", 3, 100).unwrap(),
            Err(OpenRefused::NotDraft),
            "someone else's draft"
        );
        assert!(!s.cancel_draft(other, "r1").unwrap());
        assert!(s.block_resident(other, 100).unwrap());
        assert_eq!(
            s.open_ticket(other, "r2", "card", 3, 100).unwrap(),
            Err(OpenRefused::Blocked)
        );
    }

    #[test]
    fn rows_in_flight_are_sent_again_after_a_restart_and_later_rows_wait_their_turn() {
        let (dir, s) = store();
        let id = draft(&s, "r1", 11);
        s.open_ticket(id, "r1", "card", 3, 100).unwrap().unwrap();
        s.resident_wrote(id, "补充", "补充", None, "card", (11, 9), 101)
            .unwrap();
        let card = s.next_outgoing(200).unwrap().unwrap();
        assert!(
            s.next_outgoing(200).unwrap().is_none(),
            "the message waits for its card"
        );
        drop(s);
        let s = Store::open(&dir.path().join("db.sqlite")).unwrap();
        assert_eq!(s.outbox_resume().unwrap(), 1);
        let again = s.next_outgoing(200).unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (card.id, 2));
        s.outgoing_later(again.id, 300).unwrap();
        assert!(s.next_outgoing(200).unwrap().is_none());
        assert_eq!(s.next_outgoing_at().unwrap(), Some(101));
        let again = s.next_outgoing(300).unwrap().unwrap();
        s.outgoing_failed(&again, Some("未送达"), 300).unwrap();
        let next = s.next_outgoing(300).unwrap().unwrap();
        assert_eq!((next.kind, next.text.as_str()), (OutKind::ToStaff, "补充"));
    }

    #[test]
    fn closed_tickets_forget_their_resident_after_the_purge() {
        let (_d, s) = store();
        let id = draft(&s, "r1", 11);
        s.open_ticket(id, "r1", "card", 3, 100).unwrap().unwrap();
        s.close_ticket(id, "idle", "closed", "card", 200).unwrap();
        assert_eq!(s.purge_residents(150).unwrap(), 0);
        assert_eq!(s.purge_residents(250).unwrap(), 1);
        let t = s.ticket(id).unwrap().unwrap();
        assert_eq!((t.resident_chat, t.resident_msg), (None, None));
        assert_eq!(t.question, "小区燃气管道啥时候换");
    }
}
