//! The desk worker: sends what tickets queued in the store's outbox, one row at a time and in
//! order per ticket and recipient, and closes idle tickets and forgets residents' chats on
//! schedule.
//!
//! A row is marked sending before it goes and sent once Telegram took it, so a restart or a
//! SIGKILL resends at most the one in flight. A 429 or a network error puts the row back with
//! a time to retry (the worker never sleeps out a 429 while others wait); a refusal for good
//! (the resident blocked the bot) marks it failed and tells staff in the ticket. It sends on
//! the replies' client, one request at a time, so it adds at most one request in flight to
//! what citizens' answers share.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{MessageId, ThreadId};
use teloxide::{ApiError, RequestError};

use super::App;
use super::announcements::is_gone;
use super::app::Desk;
use super::reply::{Outgoing as Reply, edit_html, send_once};
use super::tickets::{card_keyboard, rating_keyboard};
use crate::store::{OutKind, Outgoing, Store, Ticket};
use crate::time::now_unix;

/// How often idle tickets are closed and old mappings purged, at most.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// How often to sweep: every 30 s, or more often when tickets idle out sooner.
fn sweep_every(desk: &Desk) -> Duration {
    let idle = desk.settings.idle_days.min(desk.settings.purge_days) * 86_400.0;
    Duration::from_secs_f64((idle / 4.0).clamp(1.0, SWEEP_EVERY.as_secs_f64()))
}
/// Longest wait before a row that failed on the network is tried again.
const MAX_BACKOFF: i64 = 300;

/// What came of sending one row.
enum Sent {
    /// Telegram took it; the staff-group message it made, when it made one (chat, message,
    /// topic).
    Done(Option<(i64, i64, Option<i64>)>),
    /// Try again after this many seconds.
    Later(i64),
    /// Refused for good; what staff are told, when they should be.
    Failed(Option<&'static str>),
}

/// Runs the desk until the bot stops.
pub async fn run(bot: Bot, app: Arc<App>, desk: Arc<Desk>) {
    let store = app.kb.store().clone();
    match store.with(|s| s.outbox_resume()).await {
        Ok(0) => {}
        Ok(n) => log::info!("resending {n} ticket messages a previous run had in flight"),
        Err(e) => log::error!("cannot resume the ticket outbox: {e}"),
    }
    learn_forum(&bot, &desk).await;
    let every = sweep_every(&desk);
    let mut last_sweep: Option<std::time::Instant> = None;
    loop {
        if last_sweep.is_none_or(|at| at.elapsed() >= every) {
            last_sweep = Some(std::time::Instant::now());
            sweep(&app, &desk).await;
        }
        let next = store.with(|s| s.next_outgoing(now_unix())).await;
        match next {
            Ok(Some(o)) => {
                let outcome = deliver(&bot, &store, &desk, &o).await;
                if let Err(e) = record(&store, o, outcome).await {
                    log::error!("cannot record a ticket message's delivery: {e}");
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => log::error!("cannot read the ticket outbox: {e}"),
        }
        let wait = match store.with(|s| s.next_outgoing_at()).await {
            Ok(Some(at)) => Duration::from_secs((at - now_unix()).clamp(1, 30) as u64),
            _ => every,
        };
        let _ = tokio::time::timeout(wait.min(every), desk.wake.notified()).await;
    }
}

/// Whether the staff group is a forum, asked of Telegram until it answers.
async fn learn_forum(bot: &Bot, desk: &Desk) {
    let chat = ChatId(desk.settings.staff_chat);
    let mut wait = Duration::from_secs(1);
    loop {
        match bot.get_chat(chat).await {
            Ok(c) => {
                use teloxide::types::{ChatFullInfoKind, ChatFullInfoPublicKind};
                let forum = matches!(&c.kind, ChatFullInfoKind::Public(p)
                    if matches!(&p.kind, ChatFullInfoPublicKind::Supergroup(s) if s.is_forum));
                desk.forum.store(forum, Ordering::Relaxed);
                log::info!(
                    "staff group: {}",
                    if forum {
                        "a forum, one topic per ticket"
                    } else {
                        "a group, one card per ticket"
                    }
                );
                return;
            }
            Err(e) => {
                log::warn!("cannot read the staff group (is the bot a member?): {e}");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// Closes tickets idle too long and forgets the chats of residents whose tickets closed long
/// ago.
async fn sweep(app: &Arc<App>, desk: &Arc<Desk>) {
    let now = now_unix();
    let idle_before = now - (desk.settings.idle_days * 86_400.0) as i64;
    match app
        .kb
        .store()
        .with(move |s| s.idle_tickets(idle_before))
        .await
    {
        Ok(idle) => {
            for t in idle {
                if let Err(e) = super::tickets::close_quietly(app, desk, &t, "idle").await {
                    log::error!("cannot close idle ticket {}: {e}", t.id);
                }
            }
        }
        Err(e) => log::error!("cannot read idle tickets: {e}"),
    }
    let purge_before = now - (desk.settings.purge_days * 86_400.0) as i64;
    match app
        .kb
        .store()
        .with(move |s| s.purge_residents(purge_before))
        .await
    {
        Ok(0) => {}
        Ok(n) => log::info!("forgot the chats of the residents of {n} closed tickets"),
        Err(e) => log::error!("cannot purge closed tickets: {e}"),
    }
}

async fn record(
    store: &Arc<Store>,
    o: Outgoing,
    outcome: Sent,
) -> Result<(), crate::store::StoreError> {
    let now = now_unix();
    store
        .with(move |s| match outcome {
            Sent::Done(link) => s.outgoing_sent(&o, link, now),
            Sent::Later(secs) => s.outgoing_later(o.id, now + secs),
            Sent::Failed(report) => s.outgoing_failed(&o, report, now),
        })
        .await
}

/// What a request's error means for the row.
fn after_error(e: &RequestError, attempts: i64, to_resident: bool) -> Sent {
    match e {
        RequestError::RetryAfter(wait) => Sent::Later(wait.duration().as_secs().max(1) as i64),
        RequestError::Api(ApiError::MessageNotModified) => Sent::Done(None),
        RequestError::Api(api) if is_gone(api) => Sent::Failed(
            to_resident.then_some("⚠️ 这条消息没能送达居民：对方已停用或屏蔽了机器人。"),
        ),
        RequestError::Api(api) => {
            log::warn!("a ticket message was refused: {api}");
            Sent::Failed(None)
        }
        _ => Sent::Later((1i64 << attempts.clamp(0, 8)).min(MAX_BACKOFF)),
    }
}

/// Sends one outbox row.
async fn deliver(bot: &Bot, store: &Arc<Store>, desk: &Desk, o: &Outgoing) -> Sent {
    let id = o.ticket;
    let Ok(Some(t)) = store.with(move |s| s.ticket(id)).await else {
        return Sent::Later(5);
    };
    let staff = ChatId(desk.settings.staff_chat);
    let thread = t.staff_thread.map(|t| ThreadId(MessageId(t as i32)));
    let to_resident = matches!(o.kind, OutKind::ToResident | OutKind::ClosedNotice);
    let result = match o.kind {
        OutKind::Card => return card(bot, store, desk, &t, o).await,
        OutKind::ToStaff => {
            let reply = Reply::html(o.text.clone()).thread(thread).reply_to(
                t.card_msg
                    .filter(|_| thread.is_none())
                    .map(|m| MessageId(m as i32)),
            );
            send_once(bot, staff, reply)
                .await
                .map(|m| Some((staff.0, m.id.0 as i64, None)))
        }
        OutKind::CopyToStaff => {
            let (Some(from), Some(message)) = (t.resident_chat, o.target) else {
                return Sent::Done(None);
            };
            let mut request = bot.copy_message(staff, ChatId(from), MessageId(message as i32));
            if let Some(th) = thread {
                request = request.message_thread_id(th);
            } else if let Some(card) = t.card_msg {
                request = request.reply_parameters(
                    teloxide::types::ReplyParameters::new(MessageId(card as i32))
                        .allow_sending_without_reply(),
                );
            }
            request.await.map(|m| Some((staff.0, i64::from(m.0), None)))
        }
        OutKind::ToResident | OutKind::ClosedNotice => {
            let Some(chat) = t.resident_chat else {
                return Sent::Done(None);
            };
            let mut reply =
                Reply::html(o.text.clone()).reply_to(t.resident_msg.map(|m| MessageId(m as i32)));
            if o.kind == OutKind::ClosedNotice {
                reply = reply.keyboard(rating_keyboard(t.id));
            }
            send_once(bot, ChatId(chat), reply).await.map(|_| None)
        }
        OutKind::EditCard => {
            let Some(card) = t.card_msg else {
                return Sent::Done(None);
            };
            let state = t.state;
            let (id, html) = (MessageId(card as i32), card_text(desk, &o.text));
            edit_html(bot, staff, id, html, Some(card_keyboard(t.id, state)))
                .await
                .map(|()| None)
        }
        OutKind::ToAdmin => {
            let Some(admin) = o.target else {
                return Sent::Done(None);
            };
            send_once(bot, ChatId(admin), Reply::html(o.text.clone()))
                .await
                .map(|_| None)
        }
    };
    match result {
        Ok(link) => Sent::Done(link),
        Err(e) => after_error(&e, o.attempts, to_resident),
    }
}

/// The card with the line that says how to answer, which depends on the group.
fn card_text(desk: &Desk, card: &str) -> String {
    let how = if desk.is_forum() {
        "在本话题里直接发消息即答复居民；以 #备注 开头的消息只留内部。"
    } else {
        "回复这条消息（或本工单的其他消息）即答复居民；以 #备注 开头的消息只留内部。"
    };
    format!("{card}\n\n<i>{how}</i>")
}

/// The ticket's card: in a forum its own topic first (kept at once, so a restart does not open
/// a second one), then the card with its buttons.
async fn card(bot: &Bot, store: &Arc<Store>, desk: &Desk, t: &Ticket, o: &Outgoing) -> Sent {
    let staff = ChatId(desk.settings.staff_chat);
    let mut thread = t.staff_thread;
    if desk.is_forum() && thread.is_none() {
        let name: String = format!("#{} {} · {}", t.id, t.topic, t.pseudonym)
            .chars()
            .take(128)
            .collect();
        match bot.create_forum_topic(staff, name).await {
            Ok(topic) => {
                let opened = topic.thread_id.0.0 as i64;
                let id = t.id;
                if let Err(e) = store
                    .with(move |s| s.ticket_topic_opened(id, staff.0, opened))
                    .await
                {
                    log::error!("cannot keep ticket {id}'s topic: {e}");
                }
                thread = Some(opened);
            }
            Err(e) => return after_error(&e, o.attempts, false),
        }
    }
    let reply = Reply::html(card_text(desk, &o.text))
        .thread(thread.map(|t| ThreadId(MessageId(t as i32))))
        .keyboard(card_keyboard(t.id, t.state));
    match send_once(bot, staff, reply).await {
        Ok(m) => Sent::Done(Some((staff.0, m.id.0 as i64, thread))),
        Err(e) => after_error(&e, o.attempts, false),
    }
}
