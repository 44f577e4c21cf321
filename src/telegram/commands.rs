//! Every command the bot knows, one `BotCommands` enum per role whose doc comments are the
//! help text and the command menus: the citizens' menu for everyone, and each staff member's
//! and admin's own, set in their chat the first time they write (Telegram refuses a menu for a
//! chat that never wrote: `chat not found`).

use std::sync::Arc;

use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Recipient};
use teloxide::utils::command::BotCommands;

use super::App;
use super::app::Roles;

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
    /// 转人工：把问题转给工作人员
    Human,
    /// 我的留言：查看留言和办理进度
    Mytickets,
}

/// Citizens' commands that exist only with a staff group (转人工).
const DESK_COMMANDS: &[&str] = &["/human", "/mytickets"];

/// The citizens' commands, without the desk's when there is no staff group.
fn citizen_commands(desk: bool) -> Vec<BotCommand> {
    CitizenCommand::bot_commands()
        .into_iter()
        .filter(|c| desk || !DESK_COMMANDS.contains(&c.command.as_str()))
        .collect()
}

/// 工作人员命令：
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum StaffCommand {
    /// 向所有订阅者发布公告：/announce 公告内容
    Announce(String),
}

/// 管理员命令：
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum AdminCommand {
    /// 重新加载知识库
    Reload,
    /// 查看使用统计
    Stats,
    /// 查看最常见的未能回答和被点 👎 的问题
    Gaps,
    /// 从知识库删除文档（上传文档：直接发送 .md 或 .txt 文件）
    Remove,
    /// 同义词：/synonym list 查看；/synonym 托儿所 托育 托位 添加；/synonym remove 编号 删除
    Synonym(String),
}

/// The commands `user` may use, with their descriptions (the desk's only with a staff group).
pub fn help_text(roles: &Roles, user: Option<u64>, desk: bool) -> String {
    let mut text: String = CitizenCommand::descriptions()
        .to_string()
        .lines()
        .filter(|l| desk || !DESK_COMMANDS.iter().any(|c| l.starts_with(c)))
        .collect::<Vec<_>>()
        .join("\n");
    if user.is_some_and(|u| roles.is_staff(u)) {
        text.push_str(&format!("\n\n{}", StaffCommand::descriptions()));
    }
    if user.is_some_and(|u| roles.is_admin(u)) {
        text.push_str(&format!("\n\n{}", AdminCommand::descriptions()));
    }
    text.push_str("\n\n私聊时直接发送问题即可；在群里请用 /ask 或 @我 提问。");
    text
}

/// Commands as the menu takes them: names without the leading `/` (Telegram allows only
/// lowercase letters, digits and underscores).
fn menu(commands: Vec<BotCommand>) -> Vec<BotCommand> {
    commands
        .into_iter()
        .map(|mut c| {
            c.command = c.command.trim_start_matches('/').to_owned();
            c
        })
        .collect()
}

/// The citizens' menu, for everyone.
pub async fn set_default_menu(bot: &Bot, desk: bool) -> Result<(), RequestError> {
    bot.set_my_commands(menu(citizen_commands(desk))).await?;
    Ok(())
}

/// A staff member's or admin's own menu, in their private chat, set the first time they write
/// to the bot (Telegram refuses a menu for a chat that never wrote: `chat not found`). Sent
/// beside the handling of their message, never waited for; a failure is logged and tried
/// again at their next message.
pub fn menu_on_first_write(bot: &Bot, app: &Arc<App>, update: &Update) {
    let Some(user) = update.from().map(|u| u.id.0) else {
        return;
    };
    let private = update.chat().is_some_and(|c| c.is_private());
    if !private || !app.roles.is_staff(user) {
        return;
    }
    {
        let mut set = app.menus.lock().unwrap_or_else(|e| e.into_inner());
        if !set.insert(user) {
            return;
        }
    }
    let mut cmds = citizen_commands(app.desk.is_some());
    cmds.extend(StaffCommand::bot_commands());
    if app.roles.is_admin(user) {
        cmds.extend(AdminCommand::bot_commands());
    }
    let scope = BotCommandScope::Chat {
        chat_id: Recipient::Id(ChatId(user as i64)),
    };
    let request = bot.set_my_commands(menu(cmds)).scope(scope);
    let app = app.clone();
    tokio::spawn(async move {
        if let Err(e) = request.await {
            log::warn!("cannot set a staff command menu: {}", e);
            app.menus
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&user);
        }
    });
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
        assert!(AdminCommand::parse("/reload", "bot").is_ok());
        assert!(AdminCommand::parse("/gaps@bot", "bot").is_ok());
    }

    #[test]
    fn menus_are_per_role_and_named_as_telegram_takes_them() {
        let roles = Roles::new(&[1], &[2]);
        let help = help_text(&roles, Some(1), false);
        assert!(
            help.contains("/announce") && help.contains("/reload") && !help.contains("/human"),
            "{help}"
        );
        assert!(!help_text(&roles, Some(3), true).contains("/reload"));
        assert!(help_text(&roles, Some(3), true).contains("/human"));
        let without: Vec<String> = citizen_commands(false)
            .into_iter()
            .map(|c| c.command)
            .collect();
        assert!(!without.iter().any(|c| c.contains("human")), "{without:?}");
        let names: Vec<String> = menu(AdminCommand::bot_commands())
            .into_iter()
            .map(|c| c.command)
            .collect();
        assert!(
            names.iter().all(|n| !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')),
            "{names:?}"
        );
    }
}
