//! The one path every reply takes to Telegram: HTML split to fit (by [`super::html`]), no link
//! previews, the first part as a reply, a keyboard under the last part, and one rule for 429
//! (wait `retry_after`, bounded, then resend).
//!
//! Announcements to subscribers do not come through here: they go through the broadcast
//! worker's own client and pacing (see `announcements.rs`), so a 429 there never delays a reply.

use std::time::Duration;

use teloxide::RequestError;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardMarkup, LinkPreviewOptions, MessageId, ParseMode, ReplyParameters, ThreadId,
};

use super::html;

/// Longest wait for a 429's `retry_after` before a reply is given up; a citizen would not wait
/// longer either.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// Sends of one message after the first, when Telegram answers 429.
const RETRIES: usize = 2;

/// What the person sees when the search itself failed.
pub const UNAVAILABLE: &str = crate::answer::wording::UNAVAILABLE_TEXT;
/// What a stale or unknown button says.
pub const EXPIRED: &str = "这个按钮已失效。";

fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

/// One message to send: its HTML, the keyboard under it, and the message it answers.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    html: String,
    keyboard: Option<InlineKeyboardMarkup>,
    reply_to: Option<MessageId>,
    thread: Option<ThreadId>,
}

impl Outgoing {
    /// A reply of Telegram HTML (escaped and balanced by whoever built it).
    pub fn html(html: impl Into<String>) -> Outgoing {
        Outgoing {
            html: html.into(),
            ..Outgoing::default()
        }
    }

    /// A reply of plain text, escaped here.
    pub fn text(text: &str) -> Outgoing {
        Outgoing::html(html::escape_html(text))
    }

    pub fn keyboard(mut self, keyboard: InlineKeyboardMarkup) -> Outgoing {
        self.keyboard = Some(keyboard);
        self
    }

    /// Sent into forum topic `thread` (None: the chat's general thread).
    pub fn thread(mut self, thread: Option<ThreadId>) -> Outgoing {
        self.thread = thread;
        self
    }

    /// Sent as a reply to `message` (still sent if that message is gone).
    pub fn reply_to(mut self, message: Option<MessageId>) -> Outgoing {
        self.reply_to = message;
        self
    }
}

/// Sends a reply, the one way every reply goes: split to fit Telegram's limit without cutting
/// a tag or an entity, the first part as a reply, the keyboard under the last part; a part that
/// gets a 429 waits `retry_after` (bounded) and is sent again. Returns the last message sent.
pub async fn send(bot: &Bot, chat: ChatId, reply: Outgoing) -> Result<Message, RequestError> {
    send_parts(bot, chat, reply, RETRIES).await
}

/// [`send`] without waiting out a 429 (for the desk worker, which schedules the retry itself
/// and must not hold up others).
pub async fn send_once(bot: &Bot, chat: ChatId, reply: Outgoing) -> Result<Message, RequestError> {
    send_parts(bot, chat, reply, 0).await
}

/// The parts of `reply`, each sent again up to `retries` times after a 429.
async fn send_parts(
    bot: &Bot,
    chat: ChatId,
    reply: Outgoing,
    retries: usize,
) -> Result<Message, RequestError> {
    let parts = html::split_html(&reply.html, html::TELEGRAM_MAX_CHARS);
    let n = parts.len().max(1);
    let mut parts = parts.into_iter();
    let part = |i: usize, html: String| Part {
        html,
        keyboard: reply.keyboard.clone().filter(|_| i + 1 == n),
        reply_to: reply.reply_to.filter(|_| i == 0),
        thread: reply.thread,
    };
    let first = parts.next().unwrap_or_else(|| "…".to_owned());
    let mut sent = send_part(bot, chat, part(0, first), retries).await?;
    for (i, html) in parts.enumerate() {
        sent = send_part(bot, chat, part(i + 1, html), retries).await?;
    }
    Ok(sent)
}

/// One message of a reply.
struct Part {
    html: String,
    keyboard: Option<InlineKeyboardMarkup>,
    reply_to: Option<MessageId>,
    thread: Option<ThreadId>,
}

fn request(
    bot: &Bot,
    chat: ChatId,
    p: &Part,
) -> teloxide::requests::JsonRequest<teloxide::payloads::SendMessage> {
    let mut request = bot
        .send_message(chat, p.html.clone())
        .parse_mode(ParseMode::Html)
        .link_preview_options(no_preview());
    if let Some(k) = &p.keyboard {
        request = request.reply_markup(k.clone());
    }
    if let Some(id) = p.reply_to {
        request = request.reply_parameters(ReplyParameters::new(id).allow_sending_without_reply());
    }
    if let Some(t) = p.thread {
        request = request.message_thread_id(t);
    }
    request
}

async fn send_part(
    bot: &Bot,
    chat: ChatId,
    part: Part,
    retries: usize,
) -> Result<Message, RequestError> {
    let mut attempt = 0;
    loop {
        match request(bot, chat, &part).await {
            Err(RequestError::RetryAfter(wait))
                if attempt < retries && wait.duration() <= MAX_RETRY_WAIT =>
            {
                attempt += 1;
                log::warn!("a reply got 429, resending in {:?}", wait.duration());
                tokio::time::sleep(wait.duration()).await;
            }
            other => return other,
        }
    }
}

/// Replaces the text (Telegram HTML, which must fit one message) and the buttons of message
/// `id` of `chat`.
pub async fn edit_html(
    bot: &Bot,
    chat: ChatId,
    id: MessageId,
    html: String,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<(), RequestError> {
    let mut request = bot
        .edit_message_text(chat, id, html)
        .parse_mode(ParseMode::Html)
        .link_preview_options(no_preview());
    if let Some(k) = keyboard {
        request = request.reply_markup(k);
    }
    request.await.map(|_| ())
}

/// Sends plain text to `chat`.
pub async fn send_text(bot: &Bot, chat: ChatId, text: &str) -> Result<Message, RequestError> {
    send(bot, chat, Outgoing::text(text)).await
}

/// The chat a button was pressed in: its message's chat, or the private chat with the user.
pub fn callback_chat(q: &CallbackQuery) -> ChatId {
    q.regular_message()
        .map(|m| m.chat.id)
        .unwrap_or(ChatId(q.from.id.0 as i64))
}
