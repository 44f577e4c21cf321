//! Who may do what: citizens, staff and admins, the filters the handler tree routes on, and the
//! refusal for everyone else (logged).

use std::sync::Arc;

use teloxide::prelude::*;

use super::App;
use super::reply::send_text;

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
    // Who it was is not logged: the log holds no user or chat ids.
    log::warn!(
        "refused {command} from someone without the role, in a {} chat",
        if msg.chat.is_private() {
            "private"
        } else {
            "group"
        }
    );
    send_text(&bot, msg.chat.id, "抱歉，您没有使用这个命令的权限。").await?;
    Ok(())
}
