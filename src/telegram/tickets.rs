//! 转人工 on Telegram: a resident hands a question to staff and talks with them through the
//! bot; staff answer in the staff group (a topic per ticket in a forum, a card to reply to in
//! a plain group); the answer comes back as a reply to the question, headed with the office.
//!
//! Handlers here only decide and record: every message a ticket causes is written to the
//! store's outbox in the same transaction as the change, and the desk worker (`desk.rs`)
//! sends it. Tickets are found by stored ids (the staff group's topic and message ids, the
//! resident's keyed hash), never by parsing text. Staff see a pseudonym, never a user id,
//! name or username. None of this runs when no staff group is set.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::App;
use super::app::Desk;
use super::callback::{Callback, CardAction, Pressed, TicketStep};
use super::html::{escape_html, render_html};
use super::reply::{EXPIRED, Outgoing, callback_chat, edit_html, send, send_text};
use crate::answer::{self, Ask, QuestionLog};
use crate::store::{Draft, OpenRefused, Ticket, TicketState};
use crate::tickets;
use crate::time::{format_cst, now_unix};

/// How long after a question 转人工 / 人工 still refers to it.
const LAST_QUESTION_WINDOW: i64 = 3600;
/// Longest message a resident or staff member may put into a ticket, in characters.
const MAX_MESSAGE_CHARS: usize = 3000;
/// Most characters of the question a card shows (the whole is kept with the ticket): the card
/// is edited in place, and an edit cannot be split to fit Telegram's limit.
const CARD_QUESTION_CHARS: usize = 1500;
/// The five official levels of satisfaction, best first, with the level each stores.
pub const RATINGS: &[(u8, &str)] = &[
    (5, "非常满意"),
    (4, "满意"),
    (3, "基本满意"),
    (2, "不满意"),
    (1, "非常不满意"),
];
/// What residents are told to call for urgent matters and complaints.
const HOTLINE: &str = "紧急事项和投诉请直接拨打 12345 政务服务便民热线。";

/// A state as staff and residents read it.
pub fn state_word(state: TicketState) -> &'static str {
    match state {
        TicketState::Draft => "待确认",
        TicketState::New => "待认领",
        TicketState::Claimed => "办理中",
        TicketState::Answered => "已答复",
        TicketState::Closed => "已办结",
        TicketState::Cancelled => "已取消",
    }
}

/// The card staff see for a ticket in `state` (its topic's first message, or the message a
/// plain group replies to), in Telegram HTML. `who` is the staff member who claimed it.
pub fn card_html(t: &Ticket, state: TicketState, who: Option<&str>) -> String {
    let mut head = format!(
        "🧾 <b>工单 #{}</b> · {} · {}\n状态：{}",
        t.id,
        escape_html(&t.topic),
        escape_html(&t.pseudonym),
        state_word(state)
    );
    if let Some(who) = who {
        head.push_str(&format!("（{}）", escape_html(who)));
    }
    if let Some(at) = t.opened_at {
        head.push_str(&format!("\n提交于 {}（北京时间）", format_cst(at)));
    }
    format!(
        "{head}\n\n<b>居民的问题：</b>\n{}\n\n<b>机器人给的回答：</b>\n{}",
        escape_html(&crate::text::shorten(&t.question, CARD_QUESTION_CHARS)),
        if t.found.is_empty() {
            "（报告里没有找到相关内容）"
        } else {
            &t.found
        }
    )
}

/// The card's buttons in `state`: 认领 while new, 关闭 and 不属于本区 while open, 转为FAQ once
/// answered, 屏蔽 always.
pub fn card_keyboard(id: i64, state: TicketState) -> InlineKeyboardMarkup {
    let b = |label: &str, action| {
        InlineKeyboardButton::callback(label, Callback::Card { id, action }.to_string())
    };
    let mut row = Vec::new();
    if state == TicketState::New {
        row.push(b("认领", CardAction::Claim));
    }
    if state.is_open() {
        row.push(b("关闭", CardAction::Close));
        row.push(b("不属于本区", CardAction::Outside));
    }
    let mut last = Vec::new();
    if matches!(state, TicketState::Answered | TicketState::Closed) {
        last.push(b("转为FAQ", CardAction::Faq));
    }
    last.push(b("屏蔽此居民", CardAction::Block));
    InlineKeyboardMarkup::new([row, last])
}

/// The rating buttons under a close notice.
pub fn rating_keyboard(id: i64) -> InlineKeyboardMarkup {
    let rows: Vec<Vec<InlineKeyboardButton>> = RATINGS
        .iter()
        .map(|(level, label)| {
            vec![InlineKeyboardButton::callback(
                *label,
                Callback::Rate { id, level: *level }.to_string(),
            )]
        })
        .collect();
    InlineKeyboardMarkup::new(rows)
}

/// What the bot found for a question, as staff are shown it: how well the reports answer it,
/// and the reply the resident saw.
fn found_for(app: &App, question: &str) -> String {
    let reply = answer::respond(
        &app.kb,
        question,
        Ask::first(app.top).without_suggestions(),
        &QuestionLog::off(),
    );
    match reply.answer() {
        Some(a) if !a.items.is_empty() => {
            let tier = match a.tier() {
                crate::grade::Match::Direct => "直接回答",
                crate::grade::Match::Related => "只有相关内容",
                crate::grade::Match::None => "没有找到",
            };
            format!("（{tier}）\n{}", render_html(a, a.items.len().min(2)))
        }
        _ => String::new(),
    }
}

/// The keyed hash a resident is known by in tickets (the question log's asker key of their
/// private chat).
async fn resident_key(app: &App, chat: ChatId, user: u64) -> anyhow::Result<String> {
    Ok(app
        .kb
        .store()
        .with(move |s| s.asker_key(chat.0, user))
        .await?)
}

/// Who the resident is (their keyed hash) and their open ticket, in one trip to the store.
async fn resident_and_open(
    app: &App,
    chat: ChatId,
    user: u64,
) -> anyhow::Result<(String, Option<Ticket>)> {
    Ok(app
        .kb
        .store()
        .with(move |s| {
            let key = s.asker_key(chat.0, user)?;
            let open = s.open_ticket_of(&key)?;
            Ok((key, open))
        })
        .await?)
}

/// A resident's command about tickets (/human, /mytickets), when it can be served: a staff
/// group is set and the chat is private (`in_group` says otherwise); the desk and the user.
async fn private_resident(
    bot: &Bot,
    msg: &Message,
    app: &App,
    in_group: &str,
) -> anyhow::Result<Option<(Arc<Desk>, u64)>> {
    let chat = msg.chat.id;
    let Some(desk) = app.desk.clone() else {
        send_text(bot, chat, "人工服务暂未开通。").await?;
        return Ok(None);
    };
    if !msg.chat.is_private() {
        send_text(bot, chat, in_group).await?;
        return Ok(None);
    }
    Ok(msg.from.as_ref().map(|u| (desk, u.id.0)))
}

/// The confirmation card for handing `question` to staff: what they will see, what they will
/// not, when a reply comes; nothing is sent to staff before 确认.
async fn offer(
    bot: &Bot,
    chat: ChatId,
    user: u64,
    app: &Arc<App>,
    desk: &Desk,
    question: String,
    asked: Option<i64>,
) -> anyhow::Result<()> {
    let question: String = question.chars().take(MAX_MESSAGE_CHARS).collect();
    let key = resident_key(app, chat, user).await?;
    let pseudonym = tickets::pseudonym(&key);
    let found = {
        let (app, q) = (app.clone(), question.clone());
        tokio::task::spawn_blocking(move || found_for(&app, &q)).await?
    };
    let topic = tickets::topic_of(&question);
    let id = {
        let (q, key, p, f) = (question.clone(), key.clone(), pseudonym.clone(), found);
        app.kb
            .store()
            .with(move |s| {
                let d = Draft {
                    question: &q,
                    resident: &key,
                    resident_chat: chat.0,
                    resident_msg: asked,
                    pseudonym: &p,
                    topic,
                    found: &f,
                };
                s.draft_ticket(&d, now_unix())
            })
            .await?
    };
    let text = format!(
        "要把这个问题转给{}的工作人员吗？\n\n<b>问题：</b>{}\n\n工作人员会看到：您的问题、我找到的报告内容和一个代号（{}），看不到您的姓名、用户名和账号。\n{}\n{}\n\n点“确认”后才会转交。",
        escape_html(&desk.office),
        escape_html(&question),
        escape_html(&pseudonym),
        escape_html(&tickets::promise_text(&desk.settings, now_unix())),
        HOTLINE
    );
    let keyboard = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(
            "确认",
            Callback::Ticket {
                id,
                step: TicketStep::Confirm,
            }
            .to_string(),
        ),
        InlineKeyboardButton::callback(
            "取消",
            Callback::Ticket {
                id,
                step: TicketStep::Cancel,
            }
            .to_string(),
        ),
    ]]);
    send(bot, chat, Outgoing::html(text).keyboard(keyboard)).await?;
    Ok(())
}

/// A resident's message in a private chat, before it is taken as a question: into their open
/// ticket, or a request for a person (人工, 留言 …, /human), or their tickets (/我的留言).
/// Returns whether it was handled here.
pub async fn on_private(bot: &Bot, msg: &Message, app: &Arc<App>) -> anyhow::Result<bool> {
    let Some(desk) = app.desk.clone() else {
        return Ok(false);
    };
    let Some(user) = msg.from.as_ref().map(|u| u.id.0) else {
        return Ok(false);
    };
    let chat = msg.chat.id;
    let text = msg.text().or(msg.caption()).unwrap_or_default().to_owned();
    // One trip to the store for every message: who the resident is, and their open ticket.
    let (key, open) = resident_and_open(app, chat, user).await?;
    if let Some(t) = open {
        if text.starts_with('/') && !tickets::asks_for_own_tickets(&text) {
            return Ok(false);
        }
        if tickets::asks_for_own_tickets(&text) {
            list_own(bot, chat, app, key).await?;
        } else if tickets::ends_conversation(&text) {
            close(bot, chat, app, &desk, t, "resident").await?;
        } else {
            into_ticket(bot, msg, app, &desk, t, &text).await?;
        }
        return Ok(true);
    }
    if tickets::asks_for_own_tickets(&text) {
        list_own(bot, chat, app, key).await?;
        return Ok(true);
    }
    if let Some(question) = tickets::message_for_staff(&text) {
        let question = question.to_owned();
        offer(bot, chat, user, app, &desk, question, Some(msg.id.0 as i64)).await?;
        return Ok(true);
    }
    if tickets::asks_for_person(&text) {
        ask_for_person(bot, chat, user, app, &desk, key).await?;
        return Ok(true);
    }
    Ok(false)
}

/// /human, 人工, 转人工: the confirmation card for the resident's last question, or how to
/// write one.
pub async fn ask_for_person(
    bot: &Bot,
    chat: ChatId,
    user: u64,
    app: &Arc<App>,
    desk: &Desk,
    key: String,
) -> anyhow::Result<()> {
    let since = now_unix() - LAST_QUESTION_WINDOW;
    let last = app
        .kb
        .store()
        .with(move |s| s.last_question_of(&key, since))
        .await?;
    match last {
        Some((_, question, asked)) => offer(bot, chat, user, app, desk, question, asked).await,
        None => {
            let hint = format!(
                "请把您的问题直接发给我，我先在报告里找；找不到时点答案下面的“转人工”。\n也可以直接发送“留言 加您的问题”，例如：留言 我们小区的路灯坏了很久，能不能修？\n\n{HOTLINE}"
            );
            send_text(bot, chat, &hint).await?;
            Ok(())
        }
    }
}

/// /human in a private chat.
pub async fn human_command(bot: &Bot, msg: &Message, app: &Arc<App>) -> anyhow::Result<()> {
    let chat = msg.chat.id;
    let hint = "转人工请私聊我，您的问题只有工作人员能看到。";
    let Some((desk, user)) = private_resident(bot, msg, app, hint).await? else {
        return Ok(());
    };
    let (key, open) = resident_and_open(app, chat, user).await?;
    if let Some(t) = open {
        let text = format!(
            "您的留言（工单 #{}）正在由工作人员处理，直接发消息即可补充；发送“结束人工对话”结束。",
            t.id
        );
        send_text(bot, chat, &text).await?;
        return Ok(());
    }
    ask_for_person(bot, chat, user, app, &desk, key).await
}

/// /我的留言: the resident's tickets and where each stands.
async fn list_own(bot: &Bot, chat: ChatId, app: &App, key: String) -> anyhow::Result<()> {
    let list = app.kb.store().with(move |s| s.tickets_of(&key, 10)).await?;
    let text = if list.is_empty() {
        "您还没有留言。问题在报告里找不到时，点答案下面的“转人工”即可留言。".to_owned()
    } else {
        let lines: Vec<String> = list
            .iter()
            .map(|t| {
                let q = crate::text::shorten(&t.question, 30);
                let at = format_cst(t.opened_at.unwrap_or(t.created_at));
                format!("#{} {} · {} · {}", t.id, q, state_word(t.state), at)
            })
            .collect();
        format!("您的留言（北京时间）：\n{}", lines.join("\n"))
    };
    send_text(bot, chat, &text).await?;
    Ok(())
}

/// A resident's message into their open ticket: to staff (a photo, voice or file as a copy),
/// within the rate limit; an answered ticket reopens.
async fn into_ticket(
    bot: &Bot,
    msg: &Message,
    app: &App,
    desk: &Desk,
    t: Ticket,
    text: &str,
) -> anyhow::Result<()> {
    let chat = msg.chat.id;
    let now = now_unix();
    let (id, per_minute) = (t.id, desk.settings.per_minute);
    let recent = app
        .kb
        .store()
        .with(move |s| s.resident_messages_since(id, now - 60))
        .await?;
    log::debug!("ticket {id}: {recent} messages from the resident in the last minute");
    if recent >= per_minute {
        send_text(
            bot,
            chat,
            "消息发得太快了，请稍等一分钟再发，工作人员会看到您之前的消息。",
        )
        .await?;
        return Ok(());
    }
    let media = media_kind(msg);
    if text.is_empty() && media.is_none() {
        send_text(
            bot,
            chat,
            "这类消息不能转给工作人员，请发文字、图片、语音或文件。",
        )
        .await?;
        return Ok(());
    }
    let text: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
    let mut html = format!("💬 <b>{}</b>：", escape_html(&t.pseudonym));
    if let Some(kind) = media {
        html.push_str(&format!("（{kind}，见下一条）"));
    }
    html.push_str(&escape_html(&text));
    // An answered ticket reopens to whoever claimed it, or to everyone.
    let reopened = if t.claimed_by.is_some() {
        TicketState::Claimed
    } else {
        TicketState::New
    };
    let card = card_html(&t, reopened, None);
    let copy = media.map(|_| msg.id.0 as i64);
    let recorded_text = if text.is_empty() {
        media.unwrap_or_default().to_owned()
    } else {
        text.clone()
    };
    let source = (chat.0, msg.id.0 as i64);
    let before = app
        .kb
        .store()
        .with(move |s| s.resident_wrote(id, &recorded_text, &html, copy, &card, source, now))
        .await?;
    desk.wake.notify_one();
    if before == Some(TicketState::Answered) {
        let text = format!("已转给工作人员（工单 #{id}），请等待答复。");
        send_text(bot, chat, &text).await?;
    }
    Ok(())
}

/// What a resident's non-text message is, when it is one staff can receive as a copy.
fn media_kind(msg: &Message) -> Option<&'static str> {
    if msg.photo().is_some() {
        Some("图片")
    } else if msg.voice().is_some() || msg.audio().is_some() {
        Some("语音")
    } else if msg.document().is_some() {
        Some("文件")
    } else if msg.video().is_some() {
        Some("视频")
    } else {
        None
    }
}

/// Closes ticket `t` (`reason`: resident, staff, outside or idle): the resident is told, with
/// the rating buttons, and the card says so.
async fn close(
    bot: &Bot,
    chat: ChatId,
    app: &App,
    desk: &Desk,
    t: Ticket,
    reason: &'static str,
) -> anyhow::Result<()> {
    let closed = close_quietly(app, desk, &t, reason).await?;
    if reason == "resident" {
        let text = if closed {
            "已结束人工对话。之后的消息我会当作新问题来回答。"
        } else {
            "这条留言已经办结了。"
        };
        send_text(bot, chat, text).await?;
    }
    Ok(())
}

/// Closes `t` for `reason`, queueing the notice and the card; whether it was open.
pub async fn close_quietly(
    app: &App,
    desk: &Desk,
    t: &Ticket,
    reason: &'static str,
) -> anyhow::Result<bool> {
    let notice = close_notice(desk, t.id, reason);
    let card = card_html(t, TicketState::Closed, None);
    let id = t.id;
    let closed = app
        .kb
        .store()
        .with(move |s| s.close_ticket(id, reason, &notice, &card, now_unix()))
        .await?;
    desk.wake.notify_one();
    Ok(closed)
}

/// What the resident is told when their ticket closes.
fn close_notice(desk: &Desk, id: i64, reason: &str) -> String {
    let why = match reason {
        "outside" => format!(
            "您反映的事项不在{}的办理范围内，建议拨打 12345 政务服务便民热线，由热线转交有关部门办理。",
            escape_html(&desk.office)
        ),
        "idle" => format!(
            "您的留言（工单 #{id}）{} 天没有新消息，已自动办结。如还有问题，请重新提问或留言。",
            desk.settings.idle_days
        ),
        "resident" => format!("您已结束人工对话，留言（工单 #{id}）已办结。"),
        _ => format!("您的留言（工单 #{id}）已办结。"),
    };
    format!("{why}\n\n请您对这次答复作个评价：")
}

/// What the resident reads for a staff answer: headed with the office, never the person.
fn answer_html(desk: &Desk, text: &str) -> String {
    format!(
        "<b>工作人员答复（{}）</b>\n{}\n\n如还有问题，直接回复即可；发送“结束人工对话”结束。",
        escape_html(&desk.office),
        escape_html(text)
    )
}

/// A staff reply to an FAQ draft edits the draft; whether `replied` was one.
async fn edited_faq(bot: &Bot, msg: &Message, app: &App, replied: i64) -> anyhow::Result<bool> {
    let chat = msg.chat.id;
    let staff = msg
        .from
        .as_ref()
        .is_some_and(|u| app.roles.is_staff(u.id.0));
    if !staff {
        return Ok(false);
    }
    let draft = app
        .kb
        .store()
        .with(move |s| s.faq_of_message(chat.0, replied))
        .await?;
    let Some(d) = draft else {
        return Ok(false);
    };
    super::faqs::on_reply(bot, msg, app, d, MessageId(replied as i32)).await?;
    Ok(true)
}

/// A message in the staff group: a staff member's answer to a ticket (its topic, or a reply
/// to one of its messages), or an internal `#备注`. Anyone else's is not passed on.
pub async fn on_staff_group(bot: Bot, msg: Message, app: Arc<App>) -> anyhow::Result<()> {
    let Some(desk) = app.desk.clone() else {
        return Ok(());
    };
    let chat = msg.chat.id;
    let thread = msg
        .thread_id
        .map(|t| t.0.0 as i64)
        .filter(|_| desk.is_forum());
    let replied = msg.reply_to_message().map(|r| r.id.0 as i64);
    if let Some(r) = replied
        && edited_faq(&bot, &msg, &app, r).await?
    {
        return Ok(());
    }
    let found = app
        .kb
        .store()
        .with(move |s| s.ticket_in_staff_chat(chat.0, thread, replied))
        .await?;
    let Some(id) = found else {
        return Ok(());
    };
    let reply_here = |text: &str| {
        Outgoing::text(text)
            .reply_to(Some(msg.id))
            .thread(msg.thread_id)
    };
    let Some(from) = msg.from.as_ref().filter(|u| app.roles.is_staff(u.id.0)) else {
        log::info!("a group member who is not staff wrote into ticket {id}; not passed on");
        send(
            &bot,
            chat,
            reply_here("只有工作人员的答复会转给居民，这条消息不会转交。"),
        )
        .await?;
        return Ok(());
    };
    let Some(text) = msg.text().map(str::trim).filter(|t| !t.is_empty()) else {
        send(&bot, chat, reply_here("目前只能把文字答复转给居民。")).await?;
        return Ok(());
    };
    let source = (chat.0, msg.id.0 as i64);
    let now = now_unix();
    if let Some(note) = text.strip_prefix("#备注") {
        let note = note.trim().to_owned();
        app.kb
            .store()
            .with(move |s| s.staff_note(id, &note, source, now))
            .await?;
        return Ok(());
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        let hint = format!("答复太长，请分成几条，每条不超过 {MAX_MESSAGE_CHARS} 字。");
        send(&bot, chat, reply_here(&hint)).await?;
        return Ok(());
    }
    let Some(t) = app.kb.store().with(move |s| s.ticket(id)).await? else {
        return Ok(());
    };
    if !t.state.is_open() {
        let hint = format!("工单 #{id} 已{}，答复没有转给居民。", state_word(t.state));
        send(&bot, chat, reply_here(&hint)).await?;
        return Ok(());
    }
    let html = answer_html(&desk, text);
    let card = card_html(&t, TicketState::Answered, Some(&from.first_name));
    let (staff, text) = (from.id.0 as i64, text.to_owned());
    app.kb
        .store()
        .with(move |s| s.staff_answered(id, staff, &text, &html, &card, source, now))
        .await?;
    desk.wake.notify_one();
    Ok(())
}

/// 转人工 under an answer: the confirmation card for that question (only the asker's press
/// counts).
pub async fn human_button(
    bot: Bot,
    q: CallbackQuery,
    app: Arc<App>,
    question: i64,
) -> anyhow::Result<Pressed> {
    let Some(desk) = app.desk.clone() else {
        return Ok(Pressed::toast(EXPIRED));
    };
    let chat = callback_chat(&q);
    let user = q.from.id.0;
    if chat.0 != user as i64 {
        return Ok(Pressed::toast(
            "转人工请私聊我，您的问题只有工作人员能看到。",
        ));
    }
    let found = app
        .kb
        .store()
        .with(move |s| {
            let key = s.asker_key(chat.0, user)?;
            let owned = s.question_asker(question)?.is_some_and(|a| a == key);
            Ok(if owned {
                s.question_with_message(question)?
            } else {
                None
            })
        })
        .await?;
    let Some((text, asked)) = found else {
        return Ok(Pressed::toast(
            "这个按钮属于提问的人，您可以自己发问题给我。",
        ));
    };
    Ok(Pressed::then("", async move {
        offer(&bot, chat, user, &app, &desk, text, asked).await
    }))
}

/// 确认, 取消 or 结束人工对话 on a resident's ticket: only the resident's own press counts.
pub async fn ticket_button(
    bot: Bot,
    q: CallbackQuery,
    app: Arc<App>,
    id: i64,
    step: TicketStep,
) -> anyhow::Result<Pressed> {
    let Some(desk) = app.desk.clone() else {
        return Ok(Pressed::toast(EXPIRED));
    };
    let chat = callback_chat(&q);
    let key = resident_key(&app, chat, q.from.id.0).await?;
    let t = app.kb.store().with(move |s| s.ticket(id)).await?;
    let Some(t) = t.filter(|t| t.resident == key) else {
        log::info!("a ticket button of ticket {id} was pressed by someone else");
        return Ok(Pressed::toast(EXPIRED));
    };
    let message = q.regular_message().map(|m| (m.chat.id, m.id));
    match step {
        TicketStep::Cancel => {
            let cancelled = app
                .kb
                .store()
                .with(move |s| s.cancel_draft(id, &key))
                .await?;
            if !cancelled {
                return Ok(Pressed::toast(EXPIRED));
            }
            Ok(Pressed::then("已取消", async move {
                edit(&bot, message, "已取消，没有转给工作人员。", None).await;
                Ok(())
            }))
        }
        TicketStep::Confirm => {
            let card = card_html(&t, TicketState::New, None);
            let max = desk.settings.max_open;
            let opened = app
                .kb
                .store()
                .with(move |s| s.open_ticket(id, &key, &card, max, now_unix()))
                .await?;
            match opened {
                Ok(_) => {
                    desk.wake.notify_one();
                    let text = format!(
                        "已转给{}的工作人员（工单 #{id}）。答复会发到这里，您也可以继续发消息补充说明；发送“结束人工对话”结束，发送 /我的留言 查看进度。",
                        escape_html(&desk.office)
                    );
                    let end = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
                        "结束人工对话",
                        Callback::Ticket {
                            id,
                            step: TicketStep::End,
                        }
                        .to_string(),
                    )]]);
                    Ok(Pressed::then("已转交", async move {
                        edit(&bot, message, &text, Some(end)).await;
                        Ok(())
                    }))
                }
                Err(OpenRefused::TooMany(n)) => Ok(Pressed::toast(format!(
                    "您已有 {n} 条留言还没办结，请等答复后再留言。发送 /我的留言 查看进度。"
                ))),
                Err(OpenRefused::Blocked) => Ok(Pressed::toast(format!(
                    "抱歉，您暂时不能使用人工服务。{HOTLINE}"
                ))),
                Err(OpenRefused::NotDraft) => Ok(Pressed::toast("这条留言已经转交过了。")),
            }
        }
        TicketStep::End => {
            if !t.state.is_open() {
                return Ok(Pressed::toast("这条留言已经办结了。"));
            }
            Ok(Pressed::then("已结束", async move {
                close(&bot, chat, &app, &desk, t, "resident").await
            }))
        }
    }
}

/// Replaces a message's text (and buttons); a failure is only logged.
async fn edit(
    bot: &Bot,
    message: Option<(ChatId, MessageId)>,
    html: &str,
    keyboard: Option<InlineKeyboardMarkup>,
) {
    let Some((chat, id)) = message else {
        return;
    };
    if let Err(e) = edit_html(bot, chat, id, html.to_owned(), keyboard).await {
        log::warn!("cannot edit a ticket message: {e}");
    }
}

/// A staff action on a card: only staff, only in the staff group; 屏蔽 only admins.
pub async fn card_button(
    bot: Bot,
    q: CallbackQuery,
    app: Arc<App>,
    id: i64,
    action: CardAction,
) -> anyhow::Result<Pressed> {
    let Some(desk) = app.desk.clone() else {
        return Ok(Pressed::toast(EXPIRED));
    };
    let user = q.from.id.0;
    if !desk.staff_press(&q, &app.roles) {
        log::warn!("refused a ticket card button from someone who is not staff");
        return Ok(Pressed::toast("只有工作人员可以处理工单。"));
    }
    let Some(t) = app.kb.store().with(move |s| s.ticket(id)).await? else {
        return Ok(Pressed::toast(EXPIRED));
    };
    let now = now_unix();
    let toast = match action {
        CardAction::Claim => {
            let card = card_html(&t, TicketState::Claimed, Some(&q.from.first_name));
            let staff = user as i64;
            let claimed = app
                .kb
                .store()
                .with(move |s| s.claim_ticket(id, staff, &card, now))
                .await?;
            if claimed {
                "已认领，直接在这里回复即可答复居民。".to_owned()
            } else {
                format!("工单 #{id} 已{}。", state_word(t.state))
            }
        }
        CardAction::Close | CardAction::Outside => {
            let reason = if action == CardAction::Close {
                "staff"
            } else {
                "outside"
            };
            if close_quietly(&app, &desk, &t, reason).await? {
                "已办结，已通知居民并请其评价。".to_owned()
            } else {
                format!("工单 #{id} 已{}。", state_word(t.state))
            }
        }
        CardAction::Faq => return super::faqs::draft_from_ticket(bot, app.clone(), desk, t).await,
        CardAction::Block => {
            if !app.roles.is_admin(user) {
                return Ok(Pressed::toast("只有管理员可以屏蔽居民。"));
            }
            let blocked = app
                .kb
                .store()
                .with(move |s| s.block_resident(id, now))
                .await?;
            log::info!("an admin blocked the resident of ticket {id} from tickets");
            if blocked {
                "已屏蔽：此居民不能再提交新的留言。".to_owned()
            } else {
                "此居民已经被屏蔽。".to_owned()
            }
        }
    };
    desk.wake.notify_one();
    Ok(Pressed::toast(toast))
}

/// A rating under a close notice: once, by the resident; the two lowest tell the admins.
pub async fn rate_button(
    bot: Bot,
    q: CallbackQuery,
    app: Arc<App>,
    id: i64,
    level: u8,
) -> anyhow::Result<Pressed> {
    let Some(desk) = app.desk.clone() else {
        return Ok(Pressed::toast(EXPIRED));
    };
    let chat = callback_chat(&q);
    let key = resident_key(&app, chat, q.from.id.0).await?;
    let label = RATINGS
        .iter()
        .find(|(l, _)| *l == level)
        .map_or("", |(_, w)| w);
    let admins = app.roles.admins();
    let alert = (level <= 2)
        .then(|| format!("⚠️ 工单 #{id} 收到居民评价“{label}”，请查看该工单的办理情况。"));
    let rated = app
        .kb
        .store()
        .with(move |s| {
            let alert = alert.as_deref().map(|a| (a, admins.as_slice()));
            s.rate_ticket(id, &key, i64::from(level), alert, now_unix())
        })
        .await?;
    if !rated {
        return Ok(Pressed::toast("这条留言已经评价过了。"));
    }
    desk.wake.notify_one();
    let message = q.regular_message().map(|m| (m.chat.id, m.id));
    let done = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        format!("已评价：{label}，谢谢！"),
        Callback::Noop.to_string(),
    )]]);
    Ok(Pressed::then("谢谢您的评价！", async move {
        if let Some((chat, id)) = message {
            let edit = bot.edit_message_reply_markup(chat, id).reply_markup(done);
            if let Err(e) = edit.await {
                log::warn!("cannot replace the rating buttons: {e}");
            }
        }
        Ok(())
    }))
}

/// /mytickets (or 我的留言) in a private chat.
pub async fn own_command(bot: &Bot, msg: &Message, app: &Arc<App>) -> anyhow::Result<()> {
    let hint = "请私聊我查看您的留言。";
    let Some((_, user)) = private_resident(bot, msg, app, hint).await? else {
        return Ok(());
    };
    let key = resident_key(app, msg.chat.id, user).await?;
    list_own(bot, msg.chat.id, app, key).await
}
