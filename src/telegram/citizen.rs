//! What everyone may do: the citizens' commands, and any other message (a question in a
//! private chat, a mention or a reply to the bot in a group).

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::Me;

use super::App;
use super::answers;
use super::commands::CitizenCommand;
use super::commands::help_text;
use super::reply::send_text;
use super::tickets;
use crate::answer::wording;
use crate::time::{format_cst, now_unix};

/// Areas listed in /start and /help; more are counted and left to /sources.
const START_AREAS: usize = 6;

/// How to use the bot: questions, groups, inline mode and the buttons under an answer.
fn how_to_use(bot_username: &str) -> String {
    format!(
        "怎么用：\n· 私聊时直接发问题；在群里 @{bot_username} 加问题，或用 /ask 问题\n· 在任何聊天里输入 @{bot_username} 加问题，可以把答案和出处分享出去\n· 答案下面：“原文”看整段原文，“更多”看其他相关内容，👍 👎 告诉我答得好不好"
    )
}

/// /start: who the bot is, which reports it has read, example questions it answers, how to
/// use it; all from the knowledge base in use.
fn start_text(app: &App, bot_username: &str) -> String {
    let engine = app.kb.engine();
    let m = engine.manifest();
    let examples: Vec<String> = crate::answer::examples(&app.kb, 3)
        .into_iter()
        .map(|e| format!("· {e}"))
        .collect();
    let mut text = format!(
        "您好！我是{}“两会”问答助手，回答都摘自这些报告的原文，并注明出处：\n{}",
        wording::scope_phrase(&m.scope),
        wording::areas_text(m, START_AREAS)
    );
    if !examples.is_empty() {
        text.push_str(&format!("\n\n可以这样问：\n{}", examples.join("\n")));
    }
    text.push_str(&format!(
        "\n\n{}\n\n发送 /subscribe 订阅公告，/help 查看全部命令。",
        how_to_use(bot_username)
    ));
    text
}

async fn sources_text(app: &App) -> anyhow::Result<String> {
    let m = app.kb.engine().manifest().clone();
    let mut text = wording::documents_text(&m);
    text.push_str(&format!(
        "\n\n索引建于 {}（北京时间）",
        format_cst(m.built_at_unix as i64)
    ));
    let kb = app.kb.clone();
    let last = tokio::task::spawn_blocking(move || kb.last_reload()).await??;
    if let Some(at) = last {
        text.push_str(&format!("\n知识库最近更新：{}（北京时间）", format_cst(at)));
    }
    Ok(text)
}

/// Subscribes or unsubscribes `chat`; the reply says what changed.
async fn subscription(app: &App, chat: ChatId, subscribe: bool) -> anyhow::Result<&'static str> {
    let id = chat.0;
    let changed = app
        .kb
        .store()
        .with(move |s| {
            if subscribe {
                s.subscribe(id, now_unix())
            } else {
                s.unsubscribe(id, now_unix())
            }
        })
        .await?;
    Ok(match (subscribe, changed) {
        (true, true) => "订阅成功！有新公告时会第一时间发给您。发送 /unsubscribe 可随时取消。",
        (true, false) => "您已经订阅过了，有新公告时会发给您。",
        (false, true) => "已取消订阅，之后不会再收到公告。发送 /subscribe 可重新订阅。",
        (false, false) => "您目前没有订阅公告。发送 /subscribe 即可订阅。",
    })
}

/// A citizen's command.
pub async fn handle(
    bot: Bot,
    msg: Message,
    cmd: CitizenCommand,
    me: Me,
    app: Arc<App>,
) -> anyhow::Result<()> {
    let chat = msg.chat.id;
    let user = msg.from.as_ref().map(|u| u.id.0);
    let text = match cmd {
        CitizenCommand::Ask(q) if !q.trim().is_empty() => {
            let reply = !msg.chat.is_private();
            let asker = user.unwrap_or(chat.0 as u64);
            return answers::answer_question(&bot, chat, Some(msg.id), reply, asker, &app, &q)
                .await;
        }
        CitizenCommand::Ask(_) => {
            "请在 /ask 后面写上问题，例如：/ask 今年全区经济增长目标是多少？".to_owned()
        }
        CitizenCommand::Start => start_text(&app, me.username()),
        CitizenCommand::Help => format!(
            "{}\n\n{}\n\n我读过的报告：\n{}",
            help_text(&app.roles, user, app.desk.is_some()),
            how_to_use(me.username()),
            wording::areas_text(app.kb.engine().manifest(), START_AREAS)
        ),
        CitizenCommand::Sources => sources_text(&app).await?,
        CitizenCommand::Subscribe => subscription(&app, chat, true).await?.to_owned(),
        CitizenCommand::Unsubscribe => subscription(&app, chat, false).await?.to_owned(),
        CitizenCommand::Human => return tickets::human_command(&bot, &msg, &app).await,
        CitizenCommand::Mytickets => return tickets::own_command(&bot, &msg, &app).await,
    };
    send_text(&bot, chat, &text).await?;
    Ok(())
}

/// Any message that is not a known command: a question in a private chat, a mention of the bot
/// or a reply to it in a group; an unknown command or a non-text message gets a hint in a
/// private chat and nothing in a group.
pub async fn on_message(bot: Bot, msg: Message, me: Me, app: Arc<App>) -> anyhow::Result<()> {
    let private = msg.chat.is_private();
    // A resident talking with staff, or asking for them, is not asking the reports.
    if private && tickets::on_private(&bot, &msg, &app).await? {
        return Ok(());
    }
    let Some(text) = msg.text() else {
        if private {
            send_text(
                &bot,
                msg.chat.id,
                "我只能回答文字问题，请直接输入您想了解的内容，例如：今年全区经济增长目标是多少？",
            )
            .await?;
        }
        return Ok(());
    };
    if text.starts_with('/') {
        if private {
            let user = msg.from.as_ref().map(|u| u.id.0);
            let reply = format!(
                "没有这个命令。\n\n{}",
                help_text(&app.roles, user, app.desk.is_some())
            );
            send_text(&bot, msg.chat.id, &reply).await?;
        }
        return Ok(());
    }
    let asker = msg.from.as_ref().map_or(msg.chat.id.0 as u64, |u| u.id.0);
    if private {
        return answers::answer_question(&bot, msg.chat.id, Some(msg.id), false, asker, &app, text)
            .await;
    }
    // In groups: only a mention of the bot or a reply to one of its messages is a question,
    // and the answer replies to it.
    let replied_to_bot = msg
        .reply_to_message()
        .and_then(|r| r.from.as_ref())
        .is_some_and(|u| u.id == me.id);
    let question = without_mention(text, me.username());
    if question.is_some() || replied_to_bot {
        let question = question.unwrap_or_else(|| text.to_owned());
        return answers::answer_question(
            &bot,
            msg.chat.id,
            Some(msg.id),
            true,
            asker,
            &app,
            &question,
        )
        .await;
    }
    Ok(())
}

/// The text without mentions of the bot (in any letter case), or None when it mentions it not.
fn without_mention(text: &str, username: &str) -> Option<String> {
    let mention = format!("@{}", username.to_ascii_lowercase());
    let lower = text.to_ascii_lowercase();
    if !lower.contains(&mention) {
        return None;
    }
    // ASCII lower-casing keeps byte offsets, so positions in `lower` are positions in `text`.
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (i, _) in lower.match_indices(&mention) {
        out.push_str(&text[at..i]);
        out.push(' ');
        at = i + mention.len();
    }
    out.push_str(&text[at..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found_in_any_letter_case() {
        assert_eq!(
            without_mention("@LiangHui_Bot 人才公寓", "lianghui_bot").as_deref(),
            Some("  人才公寓")
        );
        assert_eq!(without_mention("人才公寓", "lianghui_bot"), None);
    }
}
