//! Who may do what: citizens, staff and admins, the filters the handler tree routes on, the
//! refusal for everyone else, and each role's command menu.

use std::collections::HashSet;
use std::sync::Arc;

use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Recipient};
use teloxide::utils::command::BotCommands;

use super::App;
use super::admin::AdminCommand;
use super::citizen::CitizenCommand;
use super::reply::send_text;
use super::staff::StaffCommand;

/// The user ids of staff and admins; everyone else is a citizen.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    admins: HashSet<u64>,
    staff: HashSet<u64>,
}

impl Roles {
    pub fn new(admins: &[u64], staff: &[u64]) -> Self {
        Roles {
            admins: admins.iter().copied().collect(),
            staff: staff.iter().copied().collect(),
        }
    }

    pub fn is_admin(&self, user: u64) -> bool {
        self.admins.contains(&user)
    }

    /// Admins are staff too.
    pub fn is_staff(&self, user: u64) -> bool {
        self.staff.contains(&user) || self.is_admin(user)
    }
}

/// Handler-tree filter: the message comes from an admin.
pub fn from_admin(msg: Message, app: Arc<App>) -> bool {
    msg.from
        .as_ref()
        .is_some_and(|u| app.roles.is_admin(u.id.0))
}

/// Handler-tree filter: the message comes from staff (or an admin).
pub fn from_staff(msg: Message, app: Arc<App>) -> bool {
    msg.from
        .as_ref()
        .is_some_and(|u| app.roles.is_staff(u.id.0))
}

/// Handler-tree filter: the message was sent in a group or channel, not a private chat.
pub fn in_group(msg: Message) -> bool {
    !msg.chat.is_private()
}

/// What a staff or admin command in a group gets: statistics, the questions asked,
/// announcements and the knowledge folder are not for a group to read.
pub async fn private_only(bot: Bot, msg: Message) -> anyhow::Result<()> {
    send_text(&bot, msg.chat.id, "管理命令请在和我的私聊中使用。").await?;
    Ok(())
}

/// Refuses a staff or admin command from someone without the role; logs the refusal.
pub async fn refuse(bot: Bot, msg: Message) -> anyhow::Result<()> {
    let command = msg
        .text()
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or("(no text)");
    log::warn!(
        "refused {command} from user {:?} in chat {}",
        msg.from.as_ref().map(|u| u.id.0),
        msg.chat.id
    );
    send_text(&bot, msg.chat.id, "抱歉，您没有使用这个命令的权限。").await?;
    Ok(())
}

/// The commands `user` may use, with their descriptions.
pub fn help_text(roles: &Roles, user: Option<u64>) -> String {
    let mut text = CitizenCommand::descriptions().to_string();
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
pub async fn set_default_menu(bot: &Bot) -> Result<(), RequestError> {
    bot.set_my_commands(menu(CitizenCommand::bot_commands()))
        .await?;
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
    let mut cmds = CitizenCommand::bot_commands();
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
            log::warn!(
                "cannot set a staff command menu: {}",
                super::reply::redact(&e.to_string(), &app.token)
            );
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
    fn admins_are_staff_too() {
        let roles = Roles::new(&[1], &[2]);
        assert!(roles.is_admin(1) && roles.is_staff(1));
        assert!(!roles.is_admin(2) && roles.is_staff(2));
        assert!(!roles.is_staff(3));
        let help = help_text(&roles, Some(1));
        assert!(
            help.contains("/announce") && help.contains("/reload"),
            "{help}"
        );
        assert!(!help_text(&roles, Some(3)).contains("/reload"));
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
