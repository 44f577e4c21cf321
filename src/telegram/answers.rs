//! Citizens' answers: the reply to a question with its buttons (原文, 更多, 👍, 👎), what the
//! buttons do, and inline mode. Every answer comes from [`crate::service::ask`]; a search that
//! fails is told to the person, never left without a reply.

use std::sync::Arc;
use std::time::Instant;

use teloxide::payloads::AnswerInlineQuerySetters;
use teloxide::prelude::*;
use teloxide::types::{
    ChatAction, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResult,
    InlineQueryResultArticle, InputMessageContent, InputMessageContentText, ParseMode,
};

use super::App;
use super::callback::Callback;
use super::citizen::EXAMPLES;
use super::reply::{EXPIRED, UNAVAILABLE, callback_chat, send_html, send_text};
use crate::answer::{self, Answer, escape_html, provenance_of, source_of};
use crate::search::MAX_RESULTS;
use crate::service::{AskError, Page};
use crate::time::now_unix;

/// Inline answers may be cached this long by Telegram, in seconds: the reports change rarely.
const INLINE_CACHE_SECONDS: u32 = 300;

fn keyboard(question: i64, first_rank: usize, shown: usize, more: bool) -> InlineKeyboardMarkup {
    let sources: Vec<InlineKeyboardButton> = (first_rank..first_rank + shown)
        .map(|r| {
            let cb = Callback::Source {
                question,
                rank: r as u16,
            };
            InlineKeyboardButton::callback(format!("原文{r}"), cb.to_string())
        })
        .collect();
    let mut actions = Vec::new();
    if more {
        let offset = (first_rank + shown - 1) as u16;
        let cb = Callback::More { question, offset };
        actions.push(InlineKeyboardButton::callback("更多", cb.to_string()));
    }
    for (label, up) in [("👍", true), ("👎", false)] {
        let cb = Callback::Feedback { question, up };
        actions.push(InlineKeyboardButton::callback(label, cb.to_string()));
    }
    InlineKeyboardMarkup::new([sources, actions])
}

/// Sends an answer's messages, the buttons under the last one.
async fn send_answer(
    bot: &Bot,
    chat: ChatId,
    page: &Page,
    question: Option<i64>,
) -> anyhow::Result<()> {
    let answer = &page.answer;
    let messages = answer::render_html(answer);
    let last = messages.len().saturating_sub(1);
    for (i, html) in messages.into_iter().enumerate() {
        let first = answer.items.first().map_or(1, |it| it.rank);
        let keys = question
            .filter(|_| i == last)
            .map(|id| keyboard(id, first, answer.items.len(), page.more));
        send_html(bot, chat, html, keys).await?;
    }
    Ok(())
}

/// The not-found reply, with example questions.
fn not_found_text() -> String {
    format!(
        "{}\n\n发送 /sources 查看我掌握的报告。您可以试试问：\n{}",
        answer::ABSTAIN_TEXT,
        EXAMPLES
            .iter()
            .map(|e| format!("· {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// Answers one question in a chat: typing action, search and log off the async workers, reply
/// with buttons.
pub async fn answer_question(bot: &Bot, chat: ChatId, app: &App, raw: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    // "Typing…" is a courtesy: sent beside the answer, never waited for.
    let typing = bot.clone();
    tokio::spawn(async move {
        let _ = typing.send_chat_action(chat, ChatAction::Typing).await;
    });
    let (kb, raw, top) = (app.kb.clone(), raw.to_owned(), app.top);
    let result = tokio::task::spawn_blocking(move || {
        let page = kb.ask(&raw, 0, top)?;
        let ids: Vec<&str> = page
            .answer
            .items
            .iter()
            .map(|i| i.passage.id.as_str())
            .collect();
        let top_score = page.answer.items.first().map(|i| i.score);
        let logged = kb.store().log_question(
            &page.answer.question,
            page.answer.tier(),
            &ids,
            top_score,
            now_unix(),
        );
        let question = logged
            .map_err(|e| log::warn!("cannot log question: {e}"))
            .ok();
        Ok::<_, AskError>((page, question))
    })
    .await?;
    let (page, question) = match result {
        Ok(ok) => ok,
        Err(AskError::Question(e)) => {
            send_text(bot, chat, answer::rejection_text(&e)).await?;
            return Ok(());
        }
        Err(AskError::Search(e)) => {
            log::error!("search failed: {e}");
            send_text(bot, chat, UNAVAILABLE).await?;
            return Ok(());
        }
    };
    if page.answer.abstained() {
        send_text(bot, chat, not_found_text()).await?;
    } else {
        send_answer(bot, chat, &page, question).await?;
    }
    app.metrics
        .observe_answer(page.answer.abstained(), started.elapsed());
    Ok(())
}

/// What the 原文, 更多, 👍 and 👎 buttons do; returns the callback's toast.
pub async fn button(
    bot: &Bot,
    q: &CallbackQuery,
    app: &App,
    cb: Callback,
) -> anyhow::Result<String> {
    let chat = callback_chat(q);
    match cb {
        Callback::Source { question, rank } => source(bot, chat, app, question, rank).await,
        Callback::More { question, offset } => more(bot, chat, app, question, offset).await,
        Callback::Feedback { question, up } => {
            let recorded = app
                .kb
                .store()
                .with(move |s| s.set_feedback(question, up))
                .await?;
            Ok(if recorded {
                "谢谢您的反馈！"
            } else {
                EXPIRED
            }
            .to_owned())
        }
        _ => Ok(EXPIRED.to_owned()),
    }
}

/// 原文: the whole passage with the paragraphs before and after it, and its source.
async fn source(
    bot: &Bot,
    chat: ChatId,
    app: &App,
    question: i64,
    rank: u16,
) -> anyhow::Result<String> {
    let passage_id = app
        .kb
        .store()
        .with(move |s| s.answer_passage(question, usize::from(rank)))
        .await?;
    let Some(passage_id) = passage_id else {
        return Ok(EXPIRED.to_owned());
    };
    let engine = app.kb.engine();
    let Some(ctx) = tokio::task::spawn_blocking(move || engine.context(&passage_id)).await?? else {
        return Ok("这段内容在知识库更新后已修改或删除，请重新提问。".to_owned());
    };
    let mut html = String::new();
    if let Some(b) = &ctx.before {
        html.push_str(&format!("<i>{}</i>\n\n", escape_html(&b.text)));
    }
    html.push_str(&format!("<b>{}</b>", escape_html(&ctx.passage.text)));
    if let Some(a) = &ctx.after {
        html.push_str(&format!("\n\n<i>{}</i>", escape_html(&a.text)));
    }
    html.push_str(&format!("\n\n📄 {}", escape_html(&source_of(&ctx.passage))));
    let prov = provenance_of(&ctx.passage);
    if !prov.is_empty() {
        html.push_str(&format!("\n🏛 {}", escape_html(&prov)));
    }
    for msg in answer::pack(&[html], "\n\n", answer::TELEGRAM_MAX_CHARS) {
        send_html(bot, chat, msg, None).await?;
    }
    Ok("原文已发送".to_owned())
}

/// 更多: the next page of the answer to a logged question.
async fn more(
    bot: &Bot,
    chat: ChatId,
    app: &App,
    question: i64,
    offset: u16,
) -> anyhow::Result<String> {
    let offset = usize::from(offset);
    // Callback data can be forged: an offset past what a search returns is the end.
    if offset >= MAX_RESULTS {
        return Ok("没有更多相关内容了。".to_owned());
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
        let ids: Vec<&str> = page
            .answer
            .items
            .iter()
            .map(|i| i.passage.id.as_str())
            .collect();
        kb.store().add_answers(question, offset + 1, &ids)?;
        Ok(Some(page))
    })
    .await?;
    let page = match page {
        Ok(Some(page)) => page,
        Ok(None) => return Ok(EXPIRED.to_owned()),
        Err(e) => {
            log::error!("more results for question {question}: {e:#}");
            return Ok(UNAVAILABLE.to_owned());
        }
    };
    if page.answer.abstained() {
        return Ok("没有更多相关内容了。".to_owned());
    }
    send_answer(bot, chat, &page, Some(question)).await?;
    Ok("已显示更多结果".to_owned())
}

fn article(id: String, title: String, description: String, html: String) -> InlineQueryResult {
    let content = InputMessageContentText::new(html).parse_mode(ParseMode::Html);
    InlineQueryResult::Article(
        InlineQueryResultArticle::new(id, title, InputMessageContent::Text(content))
            .description(description),
    )
}

/// The inline results for a query: the top excerpts, each with its source.
fn inline_results(query: &str, app: &App) -> Vec<InlineQueryResult> {
    let page = match app.kb.ask(query, 0, app.top) {
        Err(AskError::Question(_)) => {
            return EXAMPLES
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let desc = "示例问题：点击发送".to_owned();
                    article(
                        format!("example-{i}"),
                        (*e).to_owned(),
                        desc,
                        escape_html(e),
                    )
                })
                .collect();
        }
        Err(AskError::Search(e)) => {
            log::error!("inline search failed: {e}");
            return Vec::new();
        }
        Ok(page) => page,
    };
    let answer: &Answer = &page.answer;
    if answer.abstained() {
        let text = answer::ABSTAIN_TEXT.to_owned();
        return vec![article(
            "none".to_owned(),
            "报告中没有找到相关内容".to_owned(),
            text.clone(),
            escape_html(&text),
        )];
    }
    answer
        .items
        .iter()
        .map(|item| {
            let source = source_of(&item.passage);
            let html = format!(
                "{}\n📄 <i>{}</i>",
                item.excerpt.html(),
                escape_html(&source)
            );
            article(
                format!("r{}", item.rank),
                source,
                item.excerpt.plain(),
                html,
            )
        })
        .collect()
}

/// Inline mode: `@bot 问题` offers the top excerpts, each sent with its source; an empty query
/// offers example questions.
pub async fn on_inline(bot: Bot, q: InlineQuery, app: Arc<App>) -> anyhow::Result<()> {
    let query = q.query.clone();
    let app2 = app.clone();
    let results = tokio::task::spawn_blocking(move || inline_results(&query, &app2)).await?;
    bot.answer_inline_query(q.id, results)
        .cache_time(INLINE_CACHE_SECONDS)
        .await?;
    Ok(())
}
