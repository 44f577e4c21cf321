//! What everyone may do: the citizens' commands, and any other message (a question in a
//! private chat, a mention or a reply to the bot in a group).

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::Me;
use teloxide::utils::command::BotCommands;

use super::App;
use super::answers;
use super::reply::send_text;
use super::roles::help_text;
use crate::answer;
use crate::time::{format_cst, now_unix};

/// 市民可用的命令：
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum CitizenCommand {
    /// 开始使用，查看示例问题
    Start,
    /// 查看帮助
    Help,
    /// 提问，例如 /ask 今年经济增长目标是多少
    Ask(String),
    /// 查看知识库中的报告
    Sources,
    /// 订阅公告
    Subscribe,
    /// 取消订阅公告
    Unsubscribe,
}

/// Example questions for people who do not know what to ask.
pub const EXAMPLES: [&str; 3] = [
    "今年全区经济增长目标是多少？",
    "人才公寓有什么政策？",
    "老旧小区燃气管道改造多少个？",
];

fn start_text(app: &App) -> String {
    let m = app.kb.engine().manifest().clone();
    let docs: Vec<String> = m
        .documents
        .iter()
        .map(|d| format!("· 《{}》", d.title))
        .collect();
    format!(
        "您好！我是北关区 2024 年“两会”问答助手，回答来自以下报告原文，并注明出处：\n{}\n\n可以这样问：\n{}\n\n发送 /subscribe 订阅公告，/help 查看全部命令。",
        docs.join("\n"),
        EXAMPLES
            .iter()
            .map(|e| format!("· {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

async fn sources_text(app: &App) -> anyhow::Result<String> {
    let m = app.kb.engine().manifest().clone();
    let mut text = answer::render_sources(&m);
    text.push_str(&format!(
        "\n\n索引建于 {}",
        format_cst(m.built_at_unix as i64)
    ));
    let kb = app.kb.clone();
    let last = tokio::task::spawn_blocking(move || kb.last_reload()).await??;
    if let Some(at) = last {
        text.push_str(&format!("\n知识库最近更新：{}", format_cst(at)));
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
    app: Arc<App>,
) -> anyhow::Result<()> {
    let chat = msg.chat.id;
    let user = msg.from.as_ref().map(|u| u.id.0);
    let text = match cmd {
        CitizenCommand::Ask(q) if !q.trim().is_empty() => {
            return answers::answer_question(&bot, chat, &app, &q).await;
        }
        CitizenCommand::Ask(_) => format!("请在 /ask 后面写上问题，例如：/ask {}", EXAMPLES[0]),
        CitizenCommand::Start => start_text(&app),
        CitizenCommand::Help => help_text(&app.roles, user),
        CitizenCommand::Sources => sources_text(&app).await?,
        CitizenCommand::Subscribe => subscription(&app, chat, true).await?.to_owned(),
        CitizenCommand::Unsubscribe => subscription(&app, chat, false).await?.to_owned(),
    };
    send_text(&bot, chat, text).await?;
    Ok(())
}

/// Any message that is not a known command: a question in a private chat, a mention of the bot
/// or a reply to it in a group; an unknown command or a non-text message gets a hint in a
/// private chat and nothing in a group.
pub async fn on_message(bot: Bot, msg: Message, me: Me, app: Arc<App>) -> anyhow::Result<()> {
    let private = msg.chat.is_private();
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
            let reply = format!("没有这个命令。\n\n{}", help_text(&app.roles, user));
            send_text(&bot, msg.chat.id, reply).await?;
        }
        return Ok(());
    }
    if private {
        return answers::answer_question(&bot, msg.chat.id, &app, text).await;
    }
    // In groups: only a mention of the bot or a reply to one of its messages is a question.
    let mention = format!("@{}", me.username());
    let replied_to_bot = msg
        .reply_to_message()
        .and_then(|r| r.from.as_ref())
        .is_some_and(|u| u.id == me.id);
    if text.contains(&mention) || replied_to_bot {
        let question = text.replace(&mention, " ");
        return answers::answer_question(&bot, msg.chat.id, &app, &question).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        assert_eq!(
            CitizenCommand::parse("/ask 人才公寓", "bot").ok(),
            Some(CitizenCommand::Ask("人才公寓".into()))
        );
        assert_eq!(
            CitizenCommand::parse("/ask@bot", "bot").ok(),
            Some(CitizenCommand::Ask(String::new()))
        );
        assert!(CitizenCommand::parse("/ask@otherbot x", "bot").is_err());
    }
}
