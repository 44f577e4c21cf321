//! The Telegram side of announcement delivery: a [`Sender`] over the broadcast's own `Bot`
//! client, and the loop that delivers each confirmed announcement, reports the result to its
//! author and makes it searchable.

use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::{ApiError, RequestError};
use tokio::sync::mpsc;

use super::App;
use crate::broadcast::{SendOutcome, Sender, Worker};
use crate::store::Tally;

/// Announcement delivery over the broadcast client.
pub struct TelegramSender {
    pub bot: Bot,
}

impl Sender for TelegramSender {
    async fn send(&self, chat_id: i64, text: &str) -> SendOutcome {
        match self.bot.send_message(ChatId(chat_id), text).await {
            Ok(_) => SendOutcome::Sent,
            Err(RequestError::RetryAfter(wait)) => SendOutcome::RetryAfter(wait.duration()),
            Err(RequestError::Api(e)) if is_gone(&e) => SendOutcome::Gone,
            Err(e) => SendOutcome::Error(e.to_string()),
        }
    }
}

/// Errors after which a chat will never receive messages again.
pub(super) fn is_gone(e: &ApiError) -> bool {
    match e {
        ApiError::BotBlocked
        | ApiError::UserDeactivated
        | ApiError::ChatNotFound
        | ApiError::BotKicked
        | ApiError::BotKickedFromSupergroup
        | ApiError::BotKickedFromChannel => true,
        ApiError::Unknown(text) => text.starts_with("Forbidden"),
        _ => false,
    }
}

/// Delivers announcements: first those an earlier process left unfinished, then each one
/// confirmed, one after another; reports each result to its author.
pub async fn run_worker(
    worker: Worker<TelegramSender>,
    bot: Bot,
    mut rx: mpsc::UnboundedReceiver<i64>,
    app: Arc<App>,
) {
    match worker.resume().await {
        Ok(done) => {
            for (id, tally) in done {
                finished(&worker, &bot, &app, id, tally).await;
            }
        }
        Err(e) => log::error!("cannot resume announcements: {e}"),
    }
    while let Some(id) = rx.recv().await {
        match worker.deliver(id).await {
            Ok(Some(tally)) => finished(&worker, &bot, &app, id, tally).await,
            Ok(None) => {}
            Err(e) => log::error!("announcement {id}: {e}"),
        }
        // One message per second per chat: never start the next broadcast within a second.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Reports a finished announcement to its author and rebuilds the index so that it becomes a
/// dated passage of 通知公告.
async fn finished(worker: &Worker<TelegramSender>, bot: &Bot, app: &App, id: i64, t: Tally) {
    let text = format!(
        "公告 #{id} 发送完毕：送达 {}，已屏蔽/失效 {}，失败 {}。",
        t.delivered, t.blocked, t.failed
    );
    match worker.store().with(move |s| s.announcement(id)).await {
        Ok(Some(a)) => {
            if let Err(e) = super::reply::send_text(bot, ChatId(a.author_chat), &text).await {
                log::warn!("cannot report announcement {id} to its author: {e}");
            }
        }
        Ok(None) => {}
        Err(e) => log::warn!("announcement {id}: {e}"),
    }
    match app.change(|kb| kb.reload()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            log::warn!(
                "announcement {id} is not searchable until the next successful reload: {e:#}"
            )
        }
        Err(e) => log::error!("reload after announcement {id}: {e:#}"),
    }
}
