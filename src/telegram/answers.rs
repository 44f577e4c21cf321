//! Citizens' answers: the reply to a question with its buttons (原文, 更多, 👍, 👎), what the
//! buttons do, and inline mode.

use std::sync::Arc;
use std::time::Instant;

use teloxide::payloads::{AnswerInlineQuerySetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{
    ChatAction, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResult,
    InlineQueryResultArticle, InputMessageContent, InputMessageContentText, ParseMode,
};

use super::{App, EXAMPLES, callback_chat, now_unix, send_html, send_text};
use crate::answer::{self, Answer, escape_html, provenance_of, source_of};
use crate::search::{MAX_RESULTS, Question};

/// Inline answers may be cached this long by Telegram, in seconds: the reports change rarely.
const INLINE_CACHE_SECONDS: u32 = 300;

fn keyboard(question_id: i64, first_rank: usize, shown: usize, more: bool) -> InlineKeyboardMarkup {
    let sources: Vec<InlineKeyboardButton> = (first_rank..first_rank + shown)
        .map(|r| {
            InlineKeyboardButton::callback(format!("原文{r}"), format!("src:{question_id}:{r}"))
        })
        .collect();
    let mut actions = Vec::new();
    if more {
        actions.push(InlineKeyboardButton::callback(
            "更多",
            format!("more:{question_id}:{}", first_rank + shown - 1),
        ));
    }
    actions.push(InlineKeyboardButton::callback(
        "👍",
        format!("fb:{question_id}:1"),
    ));
    actions.push(InlineKeyboardButton::callback(
        "👎",
        format!("fb:{question_id}:0"),
    ));
    InlineKeyboardMarkup::new([sources, actions])
}

/// Sends an answer's messages, the buttons under the last one.
async fn send_answer(
    bot: &Bot,
    chat: ChatId,
    answer: &Answer,
    question_id: Option<i64>,
    more: bool,
) -> anyhow::Result<()> {
    let messages = answer::render_html(answer);
    let last = messages.len().saturating_sub(1);
    for (i, html) in messages.into_iter().enumerate() {
        match question_id.filter(|_| i == last) {
            Some(id) => {
                let first = answer.items.first().map_or(1, |it| it.rank);
                bot.send_message(chat, html)
                    .parse_mode(ParseMode::Html)
                    .reply_markup(keyboard(id, first, answer.items.len(), more))
                    .await?;
            }
            None => send_html(bot, chat, html).await?,
        }
    }
    Ok(())
}

/// Answers one question in a chat: typing action, search, log, reply with buttons.
pub(super) async fn answer_question(
    bot: &Bot,
    chat: ChatId,
    app: &App,
    raw: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let _ = bot.send_chat_action(chat, ChatAction::Typing).await;
    let q = match Question::parse(raw) {
        Ok(q) => q,
        Err(e) => {
            send_text(bot, chat, answer::rejection_text(&e)).await?;
            return Ok(());
        }
    };
    let engine = app.engine.get();
    let top = app.settings.top;
    // One more than shown tells whether 更多 has anything to show.
    let hits = engine.search(&q, top + 1)?;
    let more = hits.hits.len() > top;
    let mut answer = Answer::from_hits(q.raw(), &hits, 1);
    answer.items.truncate(top);
    let ids: Vec<&str> = answer.items.iter().map(|i| i.passage.id.as_str()).collect();
    let question_id = match app.store.log_question(
        q.text(),
        &ids,
        answer.items.first().map(|i| i.score),
        now_unix(),
    ) {
        Ok(id) => Some(id),
        Err(e) => {
            log::warn!("cannot log question: {e}");
            None
        }
    };
    if answer.abstained() {
        let text = format!(
            "{}\n\n发送 /sources 查看我掌握的报告。您可以试试问：\n{}",
            answer::ABSTAIN_TEXT,
            EXAMPLES
                .iter()
                .map(|e| format!("· {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        send_text(bot, chat, text).await?;
    } else {
        send_answer(bot, chat, &answer, question_id, more).await?;
    }
    app.metrics
        .observe_answer(answer.abstained(), started.elapsed());
    Ok(())
}

/// What the 原文, 更多, 👍 and 👎 buttons do; returns the callback's toast.
pub(super) async fn button(
    bot: &Bot,
    q: &CallbackQuery,
    app: &App,
    data: &str,
) -> anyhow::Result<String> {
    let mut parts = data.split(':');
    let (kind, id, arg) = (
        parts.next(),
        parts.next().and_then(|s| s.parse::<i64>().ok()),
        parts.next().and_then(|s| s.parse::<usize>().ok()),
    );
    let (Some(kind), Some(id), Some(arg)) = (kind, id, arg) else {
        return Ok("这个按钮已失效。".to_owned());
    };
    let chat = callback_chat(q);
    match kind {
        "src" => {
            let Some(passage_id) = app.store.answer_passage(id, arg)? else {
                return Ok("这个按钮已失效。".to_owned());
            };
            let Some(ctx) = app.engine.get().context(&passage_id)? else {
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
                send_html(bot, chat, msg).await?;
            }
            Ok("原文已发送".to_owned())
        }
        "more" => {
            // Callback data can be forged: an offset past what a search returns is the end.
            if arg >= MAX_RESULTS {
                return Ok("没有更多相关内容了。".to_owned());
            }
            let Some(text) = app.store.question_text(id)? else {
                return Ok("这个按钮已失效。".to_owned());
            };
            let Ok(question) = Question::parse(&text) else {
                return Ok("这个按钮已失效。".to_owned());
            };
            let top = app.settings.top;
            let hits = app.engine.get().search_from(&question, arg, top + 1)?;
            if hits.hits.is_empty() {
                return Ok("没有更多相关内容了。".to_owned());
            }
            let more = hits.hits.len() > top;
            let mut answer = Answer::from_hits(question.raw(), &hits, arg + 1);
            answer.items.truncate(top);
            let ids: Vec<&str> = answer.items.iter().map(|i| i.passage.id.as_str()).collect();
            app.store.add_answers(id, arg + 1, &ids)?;
            send_answer(bot, chat, &answer, Some(id), more).await?;
            Ok("已显示更多结果".to_owned())
        }
        "fb" => Ok(if app.store.set_feedback(id, arg == 1)? {
            "谢谢您的反馈！"
        } else {
            "这个按钮已失效。"
        }
        .to_owned()),
        _ => Ok("这个按钮已失效。".to_owned()),
    }
}

/// Inline mode: `@bot 问题` offers the top excerpts, each sent with its source; an empty query
/// offers example questions.
pub(super) async fn on_inline(bot: Bot, q: InlineQuery, app: Arc<App>) -> anyhow::Result<()> {
    let article = |id: String, title: String, description: String, html: String| {
        InlineQueryResult::Article(
            InlineQueryResultArticle::new(
                id,
                title,
                InputMessageContent::Text(
                    InputMessageContentText::new(html).parse_mode(ParseMode::Html),
                ),
            )
            .description(description),
        )
    };
    let results: Vec<InlineQueryResult> = match Question::parse(&q.query) {
        Err(_) => EXAMPLES
            .iter()
            .enumerate()
            .map(|(i, e)| {
                article(
                    format!("example-{i}"),
                    (*e).to_owned(),
                    "示例问题：点击发送".to_owned(),
                    escape_html(e),
                )
            })
            .collect(),
        Ok(question) => {
            let hits = app.engine.get().search(&question, app.settings.top)?;
            let answer = Answer::from_hits(question.raw(), &hits, 1);
            if answer.abstained() {
                vec![article(
                    "none".to_owned(),
                    "报告中没有找到相关内容".to_owned(),
                    answer::ABSTAIN_TEXT.to_owned(),
                    escape_html(answer::ABSTAIN_TEXT),
                )]
            } else {
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
        }
    };
    bot.answer_inline_query(q.id, results)
        .cache_time(INLINE_CACHE_SECONDS)
        .await?;
    Ok(())
}
