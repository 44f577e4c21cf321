//! Bot commands, one enum per role; their doc comments are the help text and the command menus.

use teloxide::utils::command::BotCommands;

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
}
