//! Inline mode: `@bot 问题` in any chat offers the answer's excerpts to share, each titled with
//! its answering sentence and described by its source; the shared message carries the
//! question, the excerpt and the source. An empty query offers example questions, each
//! inserting its real answer; a question the reports do not answer offers nothing to post,
//! only a button that opens the bot. Inline queries are not written to the question log: they
//! arrive as the person types.

use std::sync::Arc;

use teloxide::payloads::AnswerInlineQuerySetters;
use teloxide::prelude::*;
use teloxide::types::{
    InlineQueryResult, InlineQueryResultArticle, InlineQueryResultsButton,
    InlineQueryResultsButtonKind, InputMessageContent, InputMessageContentText, ParseMode,
};

use super::App;
use super::html::{self, escape_html};
use crate::answer::{self, Answer, Ask, QuestionLog, Reply, wording};
use crate::grade::Match;

/// Inline answers may be cached this long by Telegram, in seconds: the reports change rarely.
const INLINE_CACHE_SECONDS: u32 = 300;
/// Characters of an inline result's title: the answering sentence, cut short.
const INLINE_TITLE_CHARS: usize = 40;

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
            let source = wording::source_line(&item.passage, &answer.scope);
            let lead = crate::text::sentences(&item.excerpt.text)
                .next()
                .map_or(item.excerpt.text.as_str(), |s| &item.excerpt.text[s]);
            let title = crate::text::shorten(lead, INLINE_TITLE_CHARS).into_owned();
            let html = format!(
                "❓ {}\n\n{}\n📄 <i>{}</i>",
                escape_html(&answer.question),
                html::excerpt_html(&item.excerpt),
                escape_html(&source)
            );
            article(format!("{id_prefix}{}", item.rank), title, source, html)
        })
        .collect()
}

/// The inline results for a query; None when nothing answers it. An empty query offers the
/// example questions, each inserting its real answer.
fn inline_results(query: &str, app: &App) -> Option<Vec<InlineQueryResult>> {
    let ask = Ask::first(app.top).without_suggestions();
    match answer::respond(&app.kb, query, ask, &QuestionLog::off()) {
        Reply::Rejected { .. } => Some(inline_examples(app)),
        Reply::Found { answer, .. } if answer.tier() != Match::None => {
            Some(inline_articles(&answer, "r"))
        }
        _ => None,
    }
}

/// Example questions for an empty inline query, each with its answer's first excerpt.
fn inline_examples(app: &App) -> Vec<InlineQueryResult> {
    answer::examples(&app.kb, 3)
        .into_iter()
        .enumerate()
        .filter_map(|(i, example)| {
            let ask = Ask::first(1).without_suggestions();
            let Reply::Found { answer, .. } =
                answer::respond(&app.kb, &example, ask, &QuestionLog::off())
            else {
                return None;
            };
            let item = answer.items.first()?;
            let source = wording::source_line(&item.passage, &answer.scope);
            let html = format!(
                "❓ {}\n\n{}\n📄 <i>{}</i>",
                escape_html(&example),
                html::excerpt_html(&item.excerpt),
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
