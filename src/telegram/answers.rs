//! Citizens' answers: the reply to a question with its buttons (原文, 更多, 👍, 👎) and what the
//! buttons do. Every answer is [`crate::answer::respond`]'s [`Reply`], laid out here as
//! Telegram HTML ([`super::html`]) with the wording of [`crate::answer::wording`]; a search
//! that fails is told to the person, never left without a reply. Buttons belong to the chat
//! (and, in groups, the person) that asked.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{ChatAction, InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::App;
use super::callback::{Callback, Pressed};
use super::html::{self, escape_html};
use super::reply::{EXPIRED, Outgoing, UNAVAILABLE, callback_chat, send};
use crate::answer::{self, Answer, Ask, QuestionLog, Reply, wording};
use crate::search::{Context, MAX_RESULTS, MarkedContext};

/// Characters of a neighbouring paragraph shown with 原文.
const NEIGHBOUR_CHARS: usize = 300;

/// The 转人工 button for logged question `question`.
fn human_button(question: i64) -> InlineKeyboardButton {
    InlineKeyboardButton::callback("转人工", Callback::Human { question }.to_string())
}

/// The buttons under an answer: 原文 for each excerpt shown, 更多 when more exist, and 👍 👎
/// (or the thanks that replaces them after a vote); with a staff group, 转人工 too, first when
/// the reports do not answer directly.
fn keyboard(
    question: i64,
    answer: &Answer,
    more: bool,
    shown: usize,
    desk: bool,
) -> InlineKeyboardMarkup {
    let items = &answer.items[..shown];
    let numbered = items.len() > 1 || items.first().is_some_and(|i| i.rank > 1);
    let mut row: Vec<InlineKeyboardButton> = items
        .iter()
        .map(|item| {
            let label = if numbered {
                format!("原文{}", wording::marker(item.rank))
            } else {
                "原文".to_owned()
            };
            let rank = item.rank as u16;
            InlineKeyboardButton::callback(label, Callback::Source { question, rank }.to_string())
        })
        .collect();
    if more || shown < answer.items.len() {
        let offset = items.last().map_or(0, |i| i.rank) as u16;
        row.push(InlineKeyboardButton::callback(
            "更多",
            Callback::More { question, offset }.to_string(),
        ));
    }
    let feedback = [("👍", true), ("👎", false)]
        .into_iter()
        .map(|(label, up)| {
            InlineKeyboardButton::callback(label, Callback::Feedback { question, up }.to_string())
        })
        .collect();
    let mut rows = vec![row, feedback];
    if desk {
        let human = vec![human_button(question)];
        if answer.tier() == crate::grade::Match::Direct {
            rows.push(human);
        } else {
            rows.insert(0, human);
        }
    }
    InlineKeyboardMarkup::new(rows)
}

/// Answers one question in a chat: a "typing…" sent beside it, the answer step off the async
/// workers (it logs the question, with a staff group which message asked it, and counts it),
/// the reply (to `message` when `reply`, as in groups) with its buttons.
pub async fn answer_question(
    bot: &Bot,
    chat: ChatId,
    message: Option<MessageId>,
    reply: bool,
    user: u64,
    app: &App,
    raw: &str,
) -> anyhow::Result<()> {
    // "Typing…" is a courtesy: sent beside the answer, never waited for.
    let typing = bot.clone();
    tokio::spawn(async move {
        let _ = typing.send_chat_action(chat, ChatAction::Typing).await;
    });
    let (kb, raw, top, metrics) = (app.kb.clone(), raw.to_owned(), app.top, app.metrics.clone());
    let desk = app.desk.is_some();
    // With a staff group, which message asked is kept: a staff answer replies to it.
    let asked = message.map(|m| i64::from(m.0)).filter(|_| desk);
    let answered = tokio::task::spawn_blocking(move || {
        let mut log = QuestionLog::asked(chat.0, user, &metrics);
        if let Some(m) = asked {
            log = log.by_message(m);
        }
        answer::respond(&kb, &raw, Ask::first(top), &log)
    })
    .await?;
    let reply_to = message.filter(|_| reply);
    send(bot, chat, outgoing(&answered, desk).reply_to(reply_to)).await?;
    Ok(())
}

/// What a citizen sees for a reply: the answer in Telegram HTML with its buttons (when it is
/// logged), or the wording of the other states.
fn outgoing(reply: &Reply, desk: bool) -> Outgoing {
    match reply {
        Reply::Found {
            answer,
            shown,
            more,
            question,
        } => {
            let out = Outgoing::html(html::render_html(answer, *shown));
            match question {
                Some(id) => out.keyboard(keyboard(*id, answer, *more, *shown, desk)),
                None => out,
            }
        }
        Reply::NotFound {
            suggestions,
            question,
            ..
        } => {
            let out = Outgoing::text(&wording::not_found_text(suggestions));
            match question.filter(|_| desk) {
                Some(id) => out.keyboard(InlineKeyboardMarkup::new([[human_button(id)]])),
                None => out,
            }
        }
        Reply::SmallTalk { kind, scope, .. } => {
            Outgoing::text(&wording::small_talk_text(*kind, scope))
        }
        Reply::Rejected { error, .. } => Outgoing::text(&wording::rejection_text(error)),
        Reply::Unavailable { .. } => Outgoing::text(UNAVAILABLE),
    }
}

/// What the 原文, 更多, 👍 and 👎 buttons do: checked and looked up at once (the toast), then
/// sent. Only the chat that asked (and in a group, the person who asked) may press them.
pub async fn button(
    bot: Bot,
    q: CallbackQuery,
    app: Arc<App>,
    cb: Callback,
) -> anyhow::Result<Pressed> {
    let chat = callback_chat(&q);
    let answer_message = q.regular_message().map(|m| m.id);
    let question = match &cb {
        Callback::Source { question, .. }
        | Callback::More { question, .. }
        | Callback::Feedback { question, .. } => *question,
        _ => return Ok(Pressed::toast(EXPIRED)),
    };
    let user = q.from.id.0;
    let owned = app
        .kb
        .store()
        .with(move |s| {
            let asker = s.question_asker(question)?;
            Ok(asker.is_none_or(|a| s.asker_key(chat.0, user).is_ok_and(|k| k == a)))
        })
        .await?;
    if !owned {
        log::info!("a button of question {question} was pressed by someone who did not ask it");
        return Ok(Pressed::toast(
            "这个按钮属于提问的人，您可以自己发问题给我。",
        ));
    }
    match cb {
        Callback::Source { question, rank } => {
            source(bot, chat, answer_message, app, question, rank).await
        }
        Callback::More { question, offset } => more(bot, chat, app, question, offset).await,
        Callback::Feedback { question, up } => feedback(bot, q, app, question, up).await,
        _ => Ok(Pressed::toast(EXPIRED)),
    }
}

/// 👍 or 👎: recorded, and the buttons say thanks instead.
async fn feedback(
    bot: Bot,
    q: CallbackQuery,
    app: Arc<App>,
    question: i64,
    up: bool,
) -> anyhow::Result<Pressed> {
    let recorded = app
        .kb
        .store()
        .with(move |s| s.set_feedback(question, up))
        .await?;
    if !recorded {
        return Ok(Pressed::toast(EXPIRED));
    }
    Ok(Pressed::then("谢谢您的反馈！", async move {
        if let Some(m) = q.regular_message()
            && let Some(markup) = m.reply_markup()
        {
            // Keep 原文, 更多 and 转人工; the vote buttons become a thank-you.
            let mut rows = markup.inline_keyboard.clone();
            let is_vote = |b: &InlineKeyboardButton| {
                matches!(&b.kind, teloxide::types::InlineKeyboardButtonKind::CallbackData(d)
                    if matches!(d.parse::<Callback>(), Ok(Callback::Feedback { .. })))
            };
            if let Some(votes) = rows.iter_mut().find(|r| r.iter().any(is_vote)) {
                *votes = vec![InlineKeyboardButton::callback(
                    "已收到，谢谢您的反馈",
                    Callback::Noop.to_string(),
                )];
            }
            let edit = bot
                .edit_message_reply_markup(m.chat.id, m.id)
                .reply_markup(InlineKeyboardMarkup::new(rows));
            if let Err(e) = edit.await {
                log::warn!("cannot replace the feedback buttons: {e}");
            }
        }
        Ok(())
    }))
}

/// 原文: the whole passage with its words marked, the paragraphs before and after it each
/// labelled with its own section, and the full source; a reply to the answer it belongs to.
async fn source(
    bot: Bot,
    chat: ChatId,
    answer_message: Option<MessageId>,
    app: Arc<App>,
    question: i64,
    rank: u16,
) -> anyhow::Result<Pressed> {
    let kb = app.kb.clone();
    let found = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<MarkedContext>> {
        let store = kb.store();
        let (Some(passage_id), Some(text)) = (
            store.answer_passage(question, usize::from(rank))?,
            store.question_text(question)?,
        ) else {
            return Ok(None);
        };
        Ok(kb.engine().marked_context(&passage_id, &text)?)
    })
    .await??;
    let Some((ctx, marks)) = found else {
        return Ok(Pressed::toast(
            "这段内容在知识库更新后已修改或删除，请重新提问。",
        ));
    };
    let html = original_html(&ctx, &marks, &app.kb.engine().manifest().scope);
    Ok(Pressed::then("原文已发送", async move {
        send(&bot, chat, Outgoing::html(html).reply_to(answer_message)).await?;
        Ok(())
    }))
}

/// The 原文 message: neighbours' text cut before it is escaped, so the message stays short and
/// its markup whole; the source always comes last.
fn original_html(
    ctx: &Context,
    marks: &[std::ops::Range<usize>],
    scope: &crate::knowledge::Scope,
) -> String {
    let neighbour = |label: &str, p: &crate::index::passages::Passage| {
        // Cut before escaping, so no entity is cut in half.
        let text = crate::text::shorten(&p.text, NEIGHBOUR_CHARS);
        let section = if p.section.is_empty() {
            p.title.clone()
        } else {
            p.section.clone()
        };
        format!(
            "<i>{label} · {}</i>\n{}",
            escape_html(&section),
            escape_html(&text)
        )
    };
    let excerpt = answer::Excerpt {
        text: ctx.passage.text.clone(),
        marks: marks.to_vec(),
        cut_start: false,
        cut_end: false,
    };
    let mut blocks = vec![format!(
        "<b>{}</b>",
        escape_html(&wording::source_path(&ctx.passage))
    )];
    if let Some(b) = &ctx.before {
        blocks.push(neighbour("上一段", b));
    }
    blocks.push(html::excerpt_html(&excerpt));
    if let Some(a) = &ctx.after {
        blocks.push(neighbour("下一段", a));
    }
    blocks.push(format!(
        "📄 {}",
        escape_html(&wording::provenance(&ctx.passage, scope))
    ));
    blocks.join("\n\n")
}

/// 更多: the next page of the answer to a logged question.
async fn more(
    bot: Bot,
    chat: ChatId,
    app: Arc<App>,
    question: i64,
    offset: u16,
) -> anyhow::Result<Pressed> {
    let offset = usize::from(offset);
    // Callback data can be forged: an offset past what a search returns is the end.
    if offset >= MAX_RESULTS {
        return Ok(Pressed::toast("没有更多相关内容了。"));
    }
    let (kb, top) = (app.kb.clone(), app.top);
    let reply = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<Reply>> {
        let Some(text) = kb.store().question_text(question)? else {
            return Ok(None);
        };
        let log = QuestionLog::more(question);
        Ok(Some(answer::respond(
            &kb,
            &text,
            Ask::after(offset, top),
            &log,
        )))
    })
    .await??;
    match reply {
        Some(reply @ Reply::Found { .. }) => {
            let out = outgoing(&reply, app.desk.is_some());
            Ok(Pressed::then("已显示更多结果", async move {
                send(&bot, chat, out).await?;
                Ok(())
            }))
        }
        Some(Reply::NotFound { .. }) => Ok(Pressed::toast("没有更多相关内容了。")),
        Some(Reply::Unavailable { .. }) => Ok(Pressed::toast(UNAVAILABLE)),
        _ => Ok(Pressed::toast(EXPIRED)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::passages::Passage;

    fn passage(section: &str, text: &str) -> Passage {
        Passage {
            id: "d-1".into(),
            doc_id: "d".into(),
            title: "标题".into(),
            section: section.into(),
            meeting: "会议".into(),
            body: "人大".into(),
            dates: "5月31日".into(),
            area: String::new(),
            year: None,
            page: None,
            period: None,
            ord: 1,
            text: text.into(),
        }
    }

    #[test]
    fn the_original_cuts_text_before_escaping_and_keeps_its_source_last() {
        // An ampersand right where a neighbour is cut: the cut falls before it is escaped, so
        // no half entity, and the source line is always there.
        let long = format!(
            "{}&<b>{}",
            "字".repeat(NEIGHBOUR_CHARS - 1),
            "尾".repeat(500)
        );
        let ctx = Context {
            before: Some(passage("一 › 甲", &long)),
            passage: passage("二", "本段 & 正文。"),
            after: Some(passage("三", &long)),
        };
        let html = original_html(&ctx, &[], &crate::knowledge::Scope::default());
        assert!(
            html.contains("<i>上一段 · 一 › 甲</i>") && html.contains("<i>下一段 · 三</i>"),
            "{html}"
        );
        assert!(
            html.contains("字&amp;…") && !html.contains("&am…"),
            "{html}"
        );
        assert!(html.ends_with("📄 人大 · 会议 · 5月31日"), "{html}");
        assert!(html.contains("本段 &amp; 正文。"));
        assert!(html::visible_len(&html) < html::TELEGRAM_MAX_CHARS);
    }
}
