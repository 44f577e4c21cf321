//! Citizens' answers: the reply to a question with its buttons (原文, 更多, 👍, 👎), what the
//! buttons do, and inline mode. Every answer comes from [`crate::service::ask`] and reads the
//! way [`crate::render`] words it; a search that fails is told to the person, never left
//! without a reply. Buttons belong to the chat (and, in groups, the person) that asked.

use std::sync::Arc;
use std::time::Instant;

use teloxide::payloads::AnswerInlineQuerySetters;
use teloxide::prelude::*;
use teloxide::types::{
    ChatAction, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResult,
    InlineQueryResultArticle, InlineQueryResultsButton, InlineQueryResultsButtonKind,
    InputMessageContent, InputMessageContentText, MessageId, ParseMode,
};

use super::callback::Callback;
use super::reply::{EXPIRED, Reply, UNAVAILABLE, callback_chat, send};
use super::{App, Pressed};
use crate::answer::Answer;
use crate::grade::Match;
use crate::render::{self, escape_html};
use crate::search::{Context, MAX_RESULTS, MarkedContext};
use crate::service::{AskError, Page};
use crate::time::now_unix;

/// Inline answers may be cached this long by Telegram, in seconds: the reports change rarely.
const INLINE_CACHE_SECONDS: u32 = 300;
/// Characters of an inline result's title: the answering sentence, cut short.
const INLINE_TITLE_CHARS: usize = 40;
/// Characters of a neighbouring paragraph shown with 原文.
const NEIGHBOUR_CHARS: usize = 300;

/// The buttons under an answer: 原文 for each excerpt shown, 更多 when more exist, and 👍 👎
/// (or the thanks that replaces them after a vote).
fn keyboard(question: i64, page: &Page, shown: usize, voted: bool) -> InlineKeyboardMarkup {
    let items = &page.answer.items[..shown];
    let numbered = items.len() > 1 || items.first().is_some_and(|i| i.rank > 1);
    let mut row: Vec<InlineKeyboardButton> = items
        .iter()
        .map(|item| {
            let label = if numbered {
                format!("原文{}", render::marker(item.rank))
            } else {
                "原文".to_owned()
            };
            let rank = item.rank as u16;
            InlineKeyboardButton::callback(label, Callback::Source { question, rank }.to_string())
        })
        .collect();
    if page.more || shown < page.answer.items.len() {
        let offset = items.last().map_or(0, |i| i.rank) as u16;
        row.push(InlineKeyboardButton::callback(
            "更多",
            Callback::More { question, offset }.to_string(),
        ));
    }
    let feedback = if voted {
        vec![InlineKeyboardButton::callback(
            "已收到，谢谢您的反馈",
            Callback::Noop.to_string(),
        )]
    } else {
        [("👍", true), ("👎", false)]
            .into_iter()
            .map(|(label, up)| {
                InlineKeyboardButton::callback(
                    label,
                    Callback::Feedback { question, up }.to_string(),
                )
            })
            .collect()
    };
    InlineKeyboardMarkup::new([row, feedback])
}

/// Answers one question in a chat: a "typing…" sent beside it, search and log off the async
/// workers, the reply (to `message` in a group) with its buttons.
pub async fn answer_question(
    bot: &Bot,
    chat: ChatId,
    message: Option<MessageId>,
    user: u64,
    app: &App,
    raw: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    // "Typing…" is a courtesy: sent beside the answer, never waited for.
    let typing = bot.clone();
    tokio::spawn(async move {
        let _ = typing.send_chat_action(chat, ChatAction::Typing).await;
    });
    let (kb, raw, top) = (app.kb.clone(), raw.to_owned(), app.top);
    let result = tokio::task::spawn_blocking(move || {
        let page = kb.ask(&raw, 0, top)?;
        let shown = render::shown(&page.answer);
        let suggestions = if page.answer.abstained() && page.answer.small_talk.is_none() {
            kb.suggestions(Some(&raw), 3)
        } else {
            Vec::new()
        };
        let a = &page.answer;
        let ids: Vec<&str> = a.items[..shown]
            .iter()
            .map(|i| i.passage.id.as_str())
            .collect();
        let top_score = a.items.first().map(|i| i.score);
        let store = kb.store();
        let logged = (a.small_talk.is_none()).then(|| {
            let asker = store.asker_key(chat.0, user)?;
            store.log_question(&a.question, a.tier(), &ids, top_score, now_unix(), &asker)
        });
        let question = match logged {
            Some(Ok(id)) => Some(id),
            Some(Err(e)) => {
                log::warn!("cannot log question: {e}");
                None
            }
            None => None,
        };
        Ok::<_, AskError>((page, shown, question, suggestions))
    })
    .await?;
    let reply = match result {
        Ok((page, shown, question, suggestions)) => {
            let reply = answer_reply(&page, shown, question, &suggestions);
            app.metrics
                .observe_answer(page.answer.abstained(), started.elapsed());
            reply
        }
        Err(AskError::Question(e)) => Reply::text(&render::rejection_text(&e)),
        Err(AskError::Search(e)) => {
            log::error!("search failed: {e}");
            Reply::text(UNAVAILABLE)
        }
    };
    send(bot, chat, reply.reply_to(message)).await?;
    Ok(())
}

/// The reply a citizen sees for a page of an answer.
fn answer_reply(page: &Page, shown: usize, question: Option<i64>, suggestions: &[String]) -> Reply {
    let answer = &page.answer;
    if answer.small_talk.is_some() {
        return Reply::html(render::render_html(answer, 0));
    }
    if answer.abstained() {
        return Reply::text(&render::not_found_text(suggestions));
    }
    let reply = Reply::html(render::render_html(answer, shown));
    match question {
        Some(id) => reply.keyboard(keyboard(id, page, shown, false)),
        None => reply,
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
            // Keep 原文 and 更多; the vote buttons become a thank-you.
            let mut rows = markup.inline_keyboard.clone();
            if let Some(last) = rows.last_mut() {
                *last = vec![InlineKeyboardButton::callback(
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
        send(&bot, chat, Reply::html(html).reply_to(answer_message)).await?;
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
    let excerpt = crate::answer::Excerpt {
        text: ctx.passage.text.clone(),
        marks: marks.to_vec(),
        cut_start: false,
        cut_end: false,
    };
    let mut blocks = vec![format!(
        "<b>{}</b>",
        escape_html(&render::source_path(&ctx.passage))
    )];
    if let Some(b) = &ctx.before {
        blocks.push(neighbour("上一段", b));
    }
    blocks.push(render::excerpt_html(&excerpt));
    if let Some(a) = &ctx.after {
        blocks.push(neighbour("下一段", a));
    }
    blocks.push(format!(
        "📄 {}",
        escape_html(&render::provenance(&ctx.passage, scope))
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
    let page = tokio::task::spawn_blocking(move || {
        let Some(text) = kb.store().question_text(question)? else {
            return Ok(None);
        };
        let page = match kb.ask(&text, offset, top) {
            Ok(page) => page,
            Err(AskError::Question(_)) => return Ok(None),
            Err(e) => return Err(anyhow::Error::from(e)),
        };
        let shown = render::shown(&page.answer);
        let ids: Vec<&str> = page.answer.items[..shown]
            .iter()
            .map(|i| i.passage.id.as_str())
            .collect();
        kb.store().add_answers(question, offset + 1, &ids)?;
        Ok(Some((page, shown)))
    })
    .await?;
    let (page, shown) = match page {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(Pressed::toast(EXPIRED)),
        Err(e) => {
            log::error!("more results for question {question}: {e:#}");
            return Ok(Pressed::toast(UNAVAILABLE));
        }
    };
    if page.answer.abstained() {
        return Ok(Pressed::toast("没有更多相关内容了。"));
    }
    let reply = Reply::html(render::render_html(&page.answer, shown))
        .keyboard(keyboard(question, &page, shown, false));
    Ok(Pressed::then("已显示更多结果", async move {
        send(&bot, chat, reply).await?;
        Ok(())
    }))
}

fn article(id: String, title: String, description: String, html: String) -> InlineQueryResult {
    let content = InputMessageContentText::new(html).parse_mode(ParseMode::Html);
    InlineQueryResult::Article(
        InlineQueryResultArticle::new(id, title, InputMessageContent::Text(content))
            .description(description),
    )
}

/// The inline results of one answer: each excerpt titled with its answering sentence, its
/// source as the description, and a message that holds the question, the excerpt and the
/// source.
fn inline_articles(answer: &Answer, id_prefix: &str) -> Vec<InlineQueryResult> {
    answer
        .items
        .iter()
        .map(|item| {
            let source = render::source_line(&item.passage, &answer.scope);
            let lead = crate::text::sentences(&item.excerpt.text)
                .next()
                .map_or(item.excerpt.text.as_str(), |s| &item.excerpt.text[s]);
            let title = crate::text::shorten(lead, INLINE_TITLE_CHARS).into_owned();
            let html = format!(
                "❓ {}\n\n{}\n📄 <i>{}</i>",
                escape_html(&answer.question),
                render::excerpt_html(&item.excerpt),
                escape_html(&source)
            );
            article(format!("{id_prefix}{}", item.rank), title, source, html)
        })
        .collect()
}

/// The inline results for a query; None when nothing answers it. An empty query offers the
/// example questions, each inserting its real answer.
fn inline_results(query: &str, app: &App) -> Option<Vec<InlineQueryResult>> {
    let page = match app.kb.ask(query, 0, app.top) {
        Err(AskError::Question(_)) => return Some(inline_examples(app)),
        Err(AskError::Search(e)) => {
            log::error!("inline search failed: {e}");
            return None;
        }
        Ok(page) => page,
    };
    let answer = &page.answer;
    (!answer.abstained() && answer.tier() != Match::None).then(|| inline_articles(answer, "r"))
}

/// Example questions for an empty inline query, each with its answer's first excerpt.
fn inline_examples(app: &App) -> Vec<InlineQueryResult> {
    app.kb
        .suggestions(None, 3)
        .into_iter()
        .enumerate()
        .filter_map(|(i, example)| {
            let page = app.kb.ask(&example, 0, 1).ok()?;
            let item = page.answer.items.first()?;
            let source = render::source_line(&item.passage, &page.answer.scope);
            let html = format!(
                "❓ {}\n\n{}\n📄 <i>{}</i>",
                escape_html(&example),
                render::excerpt_html(&item.excerpt),
                escape_html(&source)
            );
            Some(article(
                format!("example-{i}"),
                example,
                format!("示例问题 · {source}"),
                html,
            ))
        })
        .collect()
}

/// Inline mode: `@bot 问题` offers the answer's excerpts to share; nothing found offers no
/// result to post, only a button that opens the bot.
pub async fn on_inline(bot: Bot, q: InlineQuery, app: Arc<App>) -> anyhow::Result<()> {
    let query = q.query.clone();
    let app2 = app.clone();
    let results = tokio::task::spawn_blocking(move || inline_results(&query, &app2)).await?;
    let request = match results {
        Some(results) => bot.answer_inline_query(q.id, results),
        None => bot
            .answer_inline_query(q.id, Vec::<InlineQueryResult>::new())
            .button(InlineQueryResultsButton {
                text: "报告里没有找到，点这里换个问法问我".to_owned(),
                kind: InlineQueryResultsButtonKind::StartParameter("inline".to_owned()),
            }),
    };
    request.cache_time(INLINE_CACHE_SECONDS).await?;
    Ok(())
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
        assert!(crate::render::telegram_len(&html) < crate::render::TELEGRAM_MAX_CHARS);
    }
}
