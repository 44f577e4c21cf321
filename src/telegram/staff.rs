//! What staff may do: `/announce` makes a preview with 发送 / 取消; only its author's 发送
//! queues it for the broadcast worker (`announcements.rs`).

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::App;
use super::callback::Callback;
use super::callback::Pressed;
use super::commands::StaffCommand;
use super::html::escape_html;
use super::reply::{Outgoing, send, send_text};
use crate::time::now_unix;

/// Longest announcement accepted, in characters (a Telegram message holds 4096).
pub const MAX_ANNOUNCEMENT_CHARS: usize = 3500;

/// `/announce 文本` in a private chat (the handler tree answers it in groups): a preview for
/// its author with 发送 and 取消.
pub async fn handle(
    bot: Bot,
    msg: Message,
    cmd: StaffCommand,
    app: Arc<App>,
) -> anyhow::Result<()> {
    let chat = msg.chat.id;
    let Some(user) = msg.from.as_ref().map(|u| u.id.0) else {
        return Ok(());
    };
    let StaffCommand::Announce(text) = cmd;
    let text = text.trim().to_owned();
    if text.is_empty() {
        let hint =
            "请在 /announce 后面写上公告内容，例如：/announce 明天上午9点起部分小区停水检修。";
        send_text(&bot, chat, hint).await?;
        return Ok(());
    }
    let chars = text.chars().count();
    if chars > MAX_ANNOUNCEMENT_CHARS {
        let hint = format!("公告太长（{chars} 字），请精简到 {MAX_ANNOUNCEMENT_CHARS} 字以内。");
        send_text(&bot, chat, &hint).await?;
        return Ok(());
    }
    let draft = text.clone();
    let (id, subscribers) = app
        .kb
        .store()
        .with(move |s| {
            let id = s.draft_announcement(user as i64, chat.0, &draft, now_unix())?;
            Ok((id, s.subscriber_count()?))
        })
        .await?;
    let keyboard = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(
            "发送",
            Callback::Announcement { id, send: true }.to_string(),
        ),
        InlineKeyboardButton::callback(
            "取消",
            Callback::Announcement { id, send: false }.to_string(),
        ),
    ]]);
    let preview = format!(
        "公告预览（将发送给 {subscribers} 位订阅者）：\n\n{}",
        escape_html(&text)
    );
    send(&bot, chat, Outgoing::html(preview).keyboard(keyboard)).await?;
    Ok(())
}

/// 发送 or 取消 under a preview: the toast says what happened, and the preview is edited to say
/// it too. Only the author's press counts.
pub async fn button(
    bot: Bot,
    q: CallbackQuery,
    app: Arc<App>,
    id: i64,
    send: bool,
) -> anyhow::Result<Pressed> {
    let user = q.from.id.0;
    if !app.roles.is_staff(user) {
        log::warn!("refused an announcement button from someone who is not staff");
        return Ok(Pressed::toast("抱歉，您没有操作公告的权限。"));
    }
    let author = user as i64;
    let done = app
        .kb
        .store()
        .with(move |s| {
            Ok(if send {
                s.confirm_announcement(id, author, now_unix())?
                    .map(|n| format!("已确认，正在发送给 {n} 位订阅者，完成后会通知您。"))
            } else {
                s.cancel_announcement(id, author)?
                    .then(|| "已取消，公告不会发送。".to_owned())
            })
        })
        .await?;
    let Some(text) = done else {
        return Ok(Pressed::toast("这条公告已处理过，或只能由发起人操作。"));
    };
    if send {
        // The worker is alive as long as the bot runs; a send error means it is stopping.
        let _ = app.announcements.send(id);
    }
    let toast = text.clone();
    Ok(Pressed::then(toast, async move {
        if let Some(m) = q.regular_message() {
            let _ = bot.edit_message_text(m.chat.id, m.id, text).await;
        }
        Ok(())
    }))
}
