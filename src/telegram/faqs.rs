//! 转为FAQ on Telegram: a draft made from an answered ticket (the resident's question with
//! personal details removed, the staff answer), shown in the ticket's place in the staff
//! group; staff edit it by replying (问：… / 答：…), an admin approves it (批准) and it is
//! written to the knowledge folder's FAQ file through the knowledge service, or staff drop it
//! (放弃). The draft is found by the stored id of its message, never by its text.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ThreadId};

use super::App;
use super::app::Desk;
use super::callback::{Callback, Pressed};
use super::html::escape_html;
use super::reply::{EXPIRED, Outgoing, edit_html, send};
use crate::knowledge::Faq;
use crate::store::{FaqDraft, FaqState, Ticket};
use crate::tickets::scrub;
use crate::time::{date_cn, now_unix};

/// Longest FAQ question or answer, in characters.
const MAX_FAQ_CHARS: usize = 1000;

/// The draft as staff see it, in Telegram HTML.
fn draft_html(d: &FaqDraft) -> String {
    let state = match d.state {
        FaqState::Draft => {
            "回复这条消息可以修改：以“问：”开头改问题，以“答：”开头改答案。管理员点“批准”后，其他居民提问时就能找到它。"
        }
        FaqState::Approved => "✅ 已批准，已加入常见问题（faq.md），可用 /remove 撤下。",
        FaqState::Dropped => "已放弃。",
    };
    let removed = if d.removed.is_empty() {
        "没有发现个人信息".to_owned()
    } else {
        format!("已去掉的个人信息：{}", d.removed)
    };
    format!(
        "📝 <b>常见问题草稿 #{}</b>（来自工单 #{}）\n<b>问：</b>{}\n<b>答：</b>{}\n\n{}\n<i>{}</i>",
        d.id,
        d.ticket,
        escape_html(&d.question),
        escape_html(&d.answer),
        escape_html(&removed),
        state
    )
}

fn draft_keyboard(d: &FaqDraft) -> InlineKeyboardMarkup {
    let b = |label: &str, approve| {
        InlineKeyboardButton::callback(label, Callback::FaqDraft { id: d.id, approve }.to_string())
    };
    let row = match d.state {
        FaqState::Draft => vec![b("批准", true), b("放弃", false)],
        _ => Vec::new(),
    };
    InlineKeyboardMarkup::new([row])
}

/// 转为FAQ on ticket `t`'s card: a draft from its question and last staff answer, posted
/// where the ticket lives.
pub async fn draft_from_ticket(
    bot: Bot,
    app: Arc<App>,
    desk: Arc<Desk>,
    t: Ticket,
) -> anyhow::Result<Pressed> {
    let id = t.id;
    let answer = app
        .kb
        .store()
        .with(move |s| s.last_staff_answer(id))
        .await?;
    let Some(answer) = answer else {
        return Ok(Pressed::toast("还没有工作人员的答复，答复后才能转为FAQ。"));
    };
    // Cut to what an FAQ holds, so the draft fits one message and can be edited in place.
    let (question, removed) = scrub(&t.question);
    let question = crate::text::shorten(&question, MAX_FAQ_CHARS).into_owned();
    let answer = crate::text::shorten(&answer, MAX_FAQ_CHARS).into_owned();
    let mut kinds: Vec<&str> = removed.iter().map(|(k, _)| k.label()).collect();
    kinds.dedup();
    let removed = kinds.join("、");
    let (q, a, r) = (question.clone(), answer.clone(), removed.clone());
    let fid = app
        .kb
        .store()
        .with(move |s| s.draft_faq(id, &q, &a, &r, now_unix()))
        .await?;
    let draft = FaqDraft {
        id: fid,
        ticket: id,
        question,
        answer,
        removed,
        state: FaqState::Draft,
    };
    let chat = ChatId(desk.settings.staff_chat);
    let thread = t.staff_thread.map(|th| ThreadId(MessageId(th as i32)));
    let reply_to = t
        .card_msg
        .filter(|_| thread.is_none())
        .map(|m| MessageId(m as i32));
    Ok(Pressed::then("已生成FAQ草稿", async move {
        let out = Outgoing::html(draft_html(&draft))
            .keyboard(draft_keyboard(&draft))
            .thread(thread)
            .reply_to(reply_to);
        let sent = send(&bot, chat, out).await?;
        let message = i64::from(sent.id.0);
        app.kb
            .store()
            .with(move |s| s.set_faq_message(fid, chat.0, message))
            .await?;
        Ok(())
    }))
}

/// A staff reply to a draft: 问：… replaces the question, 答：… the answer.
pub async fn on_reply(
    bot: &Bot,
    msg: &Message,
    app: &App,
    draft: FaqDraft,
    draft_message: MessageId,
) -> anyhow::Result<()> {
    let chat = msg.chat.id;
    let here = |text: &str| {
        Outgoing::text(text)
            .reply_to(Some(msg.id))
            .thread(msg.thread_id)
    };
    let text = msg.text().unwrap_or_default().trim();
    let (question, answer) = match (text.strip_prefix("问："), text.strip_prefix("答：")) {
        (Some(q), _) => (Some(q.trim().to_owned()), None),
        (_, Some(a)) => (None, Some(a.trim().to_owned())),
        _ => {
            send(bot, chat, here("要修改草稿，请以“问：”或“答：”开头回复。")).await?;
            return Ok(());
        }
    };
    let new = question
        .as_deref()
        .or(answer.as_deref())
        .unwrap_or_default();
    if new.is_empty() || new.chars().count() > MAX_FAQ_CHARS {
        let hint = format!("问题和答案都要写上内容，且不超过 {MAX_FAQ_CHARS} 字。");
        send(bot, chat, here(&hint)).await?;
        return Ok(());
    }
    let id = draft.id;
    let updated = app
        .kb
        .store()
        .with(move |s| {
            let changed = s.edit_faq(id, question.as_deref(), answer.as_deref())?;
            Ok(if changed { s.faq_draft(id)? } else { None })
        })
        .await?;
    let Some(updated) = updated else {
        send(bot, chat, here("这份草稿已经处理过，不能再改。")).await?;
        return Ok(());
    };
    let keyboard = Some(draft_keyboard(&updated));
    if let Err(e) = edit_html(bot, chat, draft_message, draft_html(&updated), keyboard).await {
        log::warn!("cannot show an edited FAQ draft: {e}");
    }
    Ok(())
}

/// 批准 (admins) or 放弃 (staff) on a draft, in the staff group. Approving writes the FAQ file
/// through the knowledge service; when that fails the draft stays a draft.
pub async fn button(
    bot: Bot,
    q: CallbackQuery,
    app: Arc<App>,
    id: i64,
    approve: bool,
) -> anyhow::Result<Pressed> {
    let Some(desk) = app.desk.clone() else {
        return Ok(Pressed::toast(EXPIRED));
    };
    let user = q.from.id.0;
    if !desk.staff_press(&q, &app.roles) {
        return Ok(Pressed::toast("只有工作人员可以处理FAQ草稿。"));
    }
    if approve && !app.roles.is_admin(user) {
        return Ok(Pressed::toast("只有管理员可以批准FAQ。"));
    }
    let to = if approve {
        FaqState::Approved
    } else {
        FaqState::Dropped
    };
    let now = now_unix();
    let decided = app
        .kb
        .store()
        .with(move |s| {
            let changed = s.set_faq_state(id, FaqState::Draft, to, now)?;
            Ok(if changed { s.faq_draft(id)? } else { None })
        })
        .await?;
    let Some(draft) = decided else {
        return Ok(Pressed::toast("这份草稿已经处理过了。"));
    };
    let message = q.regular_message().map(|m| (m.chat.id, m.id));
    if !approve {
        return Ok(Pressed::then("已放弃", show(bot, message, draft)));
    }
    let (office, date) = (desk.office.clone(), date_cn(now));
    let (question, answer) = (draft.question.clone(), draft.answer.clone());
    let saved = app
        .change(move |kb| {
            kb.add_faq(&Faq {
                question: &question,
                answer: &answer,
                office: &office,
                date: &date,
            })
        })
        .await?;
    if let Err(e) = saved {
        log::error!("cannot add FAQ {id}: {e}");
        app.kb
            .store()
            .with(move |s| s.set_faq_state(id, FaqState::Approved, FaqState::Draft, now))
            .await?;
        return Ok(Pressed::toast("保存失败，草稿保留，请稍后再试。"));
    }
    Ok(Pressed::then(
        "已批准并加入知识库",
        show(bot, message, draft),
    ))
}

/// Shows a decided draft in place.
async fn show(
    bot: Bot,
    message: Option<(ChatId, MessageId)>,
    draft: FaqDraft,
) -> anyhow::Result<()> {
    if let Some((chat, id)) = message {
        let keyboard = Some(draft_keyboard(&draft));
        if let Err(e) = edit_html(&bot, chat, id, draft_html(&draft), keyboard).await {
            log::warn!("cannot show a decided FAQ draft: {e}");
        }
    }
    Ok(())
}
