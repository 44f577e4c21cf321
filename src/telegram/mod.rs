//! The Telegram front end: long polling, the handler tree, roles, and the Telegram side of
//! announcement delivery. The only module that imports teloxide.
//!
//! Handlers are adapters: they read an update, call the library (search, answer, store,
//! service, broadcast) and send what it returns. Replies and announcements use two separate
//! `Bot` clients and no shared `Throttle`, so a 429 on the broadcast never holds up answers.

mod answers;
mod commands;
mod documents;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow};
use teloxide::dispatching::UpdateHandler;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommandScope, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Me, ParseMode,
    Recipient,
};
use teloxide::update_listeners::Polling;
use teloxide::utils::command::BotCommands;
use teloxide::{ApiError, RequestError};
use tokio::sync::mpsc;

pub use commands::{AdminCommand, CitizenCommand, StaffCommand};

use crate::answer;
use crate::broadcast::{Pace, SendOutcome, Sender, Worker};
use crate::config::{BotSettings, Settings};
use crate::knowledge::{self, Document};
use crate::metrics::Metrics;
use crate::search::SharedEngine;
use crate::service::{self, Mode};
use crate::store::Store;

/// Longest announcement accepted, in characters (a Telegram message holds 4096).
pub const MAX_ANNOUNCEMENT_CHARS: usize = 3500;
const EXAMPLES: [&str; 3] = [
    "今年全区经济增长目标是多少？",
    "人才公寓有什么政策？",
    "老旧小区燃气管道改造多少个？",
];

/// Who may do what.
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

/// Shared state of the running bot, handed to handlers through `dptree::deps!`.
pub struct App {
    pub engine: SharedEngine,
    pub store: Arc<Store>,
    pub settings: Settings,
    pub roles: Roles,
    pub metrics: Arc<Metrics>,
    announcements: mpsc::UnboundedSender<i64>,
    reload: tokio::sync::Mutex<()>,
    uploads: std::sync::Mutex<HashMap<u64, documents::Upload>>,
    next_upload: AtomicU64,
    token: String,
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Removes the bot token from text bound for a log (teloxide's request URLs contain it).
fn redact(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_owned()
    } else {
        text.replace(token, "***")
    }
}

fn make_bot(s: &BotSettings) -> anyhow::Result<Bot> {
    let bot = Bot::new(s.token.expose());
    Ok(match &s.api_url {
        Some(url) => bot.set_api_url(
            url.parse()
                .with_context(|| format!("TELOXIDE_API_URL {url:?} is not a URL"))?,
        ),
        None => bot,
    })
}

/// Runs the bot until SIGINT or SIGTERM.
pub async fn run(settings: Settings, bot_settings: BotSettings) -> anyhow::Result<()> {
    let token = bot_settings.token.expose().to_owned();
    let store = Arc::new(
        Store::open(&settings.data_dir.join("lianghui.sqlite"))
            .context("cannot open the database")?,
    );
    let loaded = load_knowledge(&settings, &store, Mode::Lenient)
        .await
        .context("cannot load the knowledge base")?;
    log::info!(
        "knowledge base: {} documents, {} passages",
        loaded.manifest().documents.len(),
        loaded.manifest().passages
    );
    let bot = make_bot(&bot_settings)?;
    // A client of its own for announcements: its 429s and queue never touch the replies.
    let broadcast_bot = make_bot(&bot_settings)?;

    let (tx, rx) = mpsc::unbounded_channel();
    let app = Arc::new(App {
        engine: SharedEngine::new(loaded.engine),
        store: store.clone(),
        settings,
        roles: Roles::new(&bot_settings.admins, &bot_settings.staff),
        metrics: Arc::new(Metrics::default()),
        announcements: tx,
        reload: tokio::sync::Mutex::new(()),
        uploads: std::sync::Mutex::new(HashMap::new()),
        next_upload: AtomicU64::new(1),
        token: token.clone(),
    });
    let _health = match bot_settings.metrics_addr {
        Some(addr) => Some(
            crate::health::serve(addr, app.metrics.clone(), app.store.clone())
                .await
                .with_context(|| format!("cannot serve health and metrics on {addr}"))?,
        ),
        None => None,
    };
    let pace = Pace {
        per_second: bot_settings.broadcast_per_second,
        ..Pace::default()
    };
    let worker = Worker::new(
        store,
        TelegramSender {
            bot: broadcast_bot.clone(),
            token: token.clone(),
        },
        pace,
    );
    let worker_task = tokio::spawn(run_worker(worker, broadcast_bot, rx, app.clone()));

    if let Err(e) = set_command_menus(&bot, &app.roles).await {
        log::warn!(
            "cannot set command menus: {}",
            redact(&e.to_string(), &token)
        );
    }

    let mut dispatcher = Dispatcher::builder(bot.clone(), handler())
        .dependencies(dptree::deps![app.clone()])
        .default_handler(|_| async {})
        .error_handler(Arc::new(LogRedacted(token.clone())))
        .build();
    let shutdown = dispatcher.shutdown_token();
    tokio::spawn(async move {
        wait_for_signal().await;
        log::info!("stopping: finishing replies in flight");
        // The dispatcher may still be starting; try until it accepts the request.
        loop {
            match shutdown.shutdown() {
                Ok(done) => {
                    done.await;
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    let listener = Polling::builder(bot)
        .timeout(Duration::from_secs(10))
        .delete_webhook()
        .await
        .build();
    let result = dispatcher
        .try_dispatch_with_listener(listener, Arc::new(LogRedacted(token.clone())))
        .await;
    // Every delivery is committed as it completes; stopping the worker leaves the rest pending
    // for the next start.
    worker_task.abort();
    result.map_err(|e| {
        anyhow!(
            "cannot reach the Bot API: {}",
            redact(&format!("{e}"), &token)
        )
    })?;
    log::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Logs errors with the token removed.
struct LogRedacted(String);

impl<E: std::fmt::Debug + Send + 'static> teloxide::error_handlers::ErrorHandler<E>
    for LogRedacted
{
    fn handle_error(self: Arc<Self>, error: E) -> futures_like::BoxFuture<'static, ()> {
        let text = redact(&format!("{error:?}"), &self.0);
        Box::pin(async move { log::error!("{text}") })
    }
}

mod futures_like {
    pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
}

async fn set_command_menus(bot: &Bot, roles: &Roles) -> Result<(), RequestError> {
    let citizen = CitizenCommand::bot_commands();
    bot.set_my_commands(citizen.clone()).await?;
    let ids: HashSet<u64> = roles.staff.union(&roles.admins).copied().collect();
    for id in ids {
        let mut cmds = citizen.clone();
        cmds.extend(StaffCommand::bot_commands());
        if roles.is_admin(id) {
            cmds.extend(AdminCommand::bot_commands());
        }
        let scope = BotCommandScope::Chat {
            chat_id: Recipient::Id(ChatId(id as i64)),
        };
        bot.set_my_commands(cmds).scope(scope).await?;
    }
    Ok(())
}

fn handler() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback))
        .branch(Update::filter_inline_query().endpoint(answers::on_inline))
}

/// Sends HTML, waiting out one 429 for this chat only.
async fn send_html(bot: &Bot, chat: ChatId, html: String) -> Result<(), RequestError> {
    for attempt in 0..2 {
        let request = bot
            .send_message(chat, html.clone())
            .parse_mode(ParseMode::Html)
            .link_preview_options(LinkPreviewOptions {
                is_disabled: true,
                url: None,
                prefer_small_media: false,
                prefer_large_media: false,
                show_above_text: false,
            });
        match request.await {
            Err(RequestError::RetryAfter(wait)) if attempt == 0 => {
                tokio::time::sleep(wait.duration()).await
            }
            other => return other.map(|_| ()),
        }
    }
    Ok(())
}

async fn send_text(bot: &Bot, chat: ChatId, text: impl Into<String>) -> Result<(), RequestError> {
    send_html(bot, chat, answer::escape_html(&text.into())).await
}

async fn on_message(bot: Bot, msg: Message, me: Me, app: Arc<App>) -> anyhow::Result<()> {
    let private = msg.chat.is_private();
    let user = msg.from.as_ref().map(|u| u.id.0);
    if let Some(doc) = msg.document() {
        return documents::on_document(&bot, &msg, &app, doc).await;
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
    let username = me.username();
    if text.starts_with('/') {
        if let Ok(cmd) = AdminCommand::parse(text, username) {
            return match user {
                Some(u) if app.roles.is_admin(u) => admin_command(&bot, &msg, &app, cmd).await,
                _ => refuse(&bot, &msg, &format!("{cmd:?}")).await,
            };
        }
        if let Ok(cmd) = StaffCommand::parse(text, username) {
            return match user {
                Some(u) if app.roles.is_staff(u) => staff_command(&bot, &msg, &app, u, cmd).await,
                _ => refuse(&bot, &msg, "Announce").await,
            };
        }
        if let Ok(cmd) = CitizenCommand::parse(text, username) {
            return citizen_command(&bot, &msg, &app, cmd).await;
        }
        if private {
            send_text(
                &bot,
                msg.chat.id,
                format!("没有这个命令。\n\n{}", help_text(&app.roles, user)),
            )
            .await?;
        }
        return Ok(());
    }
    if private {
        return answers::answer_question(&bot, msg.chat.id, &app, text).await;
    }
    // In groups: only a mention of the bot or a reply to one of its messages is a question.
    let mention = format!("@{username}");
    let replied_to_bot = msg
        .reply_to_message()
        .and_then(|r| r.from.as_ref())
        .is_some_and(|u| u.id == me.id);
    if text.contains(&mention) || replied_to_bot {
        return answers::answer_question(&bot, msg.chat.id, &app, &text.replace(&mention, " "))
            .await;
    }
    Ok(())
}

async fn refuse(bot: &Bot, msg: &Message, what: &str) -> anyhow::Result<()> {
    log::warn!(
        "refused {what} from user {:?} in chat {}",
        msg.from.as_ref().map(|u| u.id.0),
        msg.chat.id
    );
    send_text(bot, msg.chat.id, "抱歉，您没有使用这个命令的权限。").await?;
    Ok(())
}

fn help_text(roles: &Roles, user: Option<u64>) -> String {
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

fn start_text(app: &App) -> String {
    let m = app.engine.get().manifest().clone();
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

async fn citizen_command(
    bot: &Bot,
    msg: &Message,
    app: &App,
    cmd: CitizenCommand,
) -> anyhow::Result<()> {
    let chat = msg.chat.id;
    let user = msg.from.as_ref().map(|u| u.id.0);
    match cmd {
        CitizenCommand::Start => send_text(bot, chat, start_text(app)).await?,
        CitizenCommand::Help => send_text(bot, chat, help_text(&app.roles, user)).await?,
        CitizenCommand::Ask(q) if q.trim().is_empty() => {
            send_text(
                bot,
                chat,
                format!("请在 /ask 后面写上问题，例如：/ask {}", EXAMPLES[0]),
            )
            .await?
        }
        CitizenCommand::Ask(q) => answers::answer_question(bot, chat, app, &q).await?,
        CitizenCommand::Sources => {
            let m = app.engine.get().manifest().clone();
            let mut text = answer::render_sources(&m);
            text.push_str(&format!(
                "\n\n索引建于 {}",
                format_unix(m.built_at_unix as i64)
            ));
            if let Ok(Some(at)) = app.store.meta("last_reload") {
                text.push_str(&format!("\n知识库最近更新：{at}"));
            }
            send_text(bot, chat, text).await?
        }
        CitizenCommand::Subscribe => {
            let text = if app.store.subscribe(chat.0, now_unix())? {
                "订阅成功！有新公告时会第一时间发给您。发送 /unsubscribe 可随时取消。"
            } else {
                "您已经订阅过了，有新公告时会发给您。"
            };
            send_text(bot, chat, text).await?
        }
        CitizenCommand::Unsubscribe => {
            let text = if app.store.unsubscribe(chat.0, now_unix())? {
                "已取消订阅，之后不会再收到公告。发送 /subscribe 可重新订阅。"
            } else {
                "您目前没有订阅公告。发送 /subscribe 即可订阅。"
            };
            send_text(bot, chat, text).await?
        }
    }
    Ok(())
}

async fn staff_command(
    bot: &Bot,
    msg: &Message,
    app: &App,
    user: u64,
    cmd: StaffCommand,
) -> anyhow::Result<()> {
    let chat = msg.chat.id;
    let StaffCommand::Announce(text) = cmd;
    let text = text.trim();
    if text.is_empty() {
        send_text(
            bot,
            chat,
            "请在 /announce 后面写上公告内容，例如：/announce 明天上午9点起部分小区停水检修。",
        )
        .await?;
        return Ok(());
    }
    let chars = text.chars().count();
    if chars > MAX_ANNOUNCEMENT_CHARS {
        send_text(
            bot,
            chat,
            format!("公告太长（{chars} 字），请精简到 {MAX_ANNOUNCEMENT_CHARS} 字以内。"),
        )
        .await?;
        return Ok(());
    }
    let id = app
        .store
        .draft_announcement(user as i64, chat.0, text, now_unix())?;
    let subscribers = app.store.subscriber_count()?;
    let keyboard = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback("发送", format!("ann:send:{id}")),
        InlineKeyboardButton::callback("取消", format!("ann:cancel:{id}")),
    ]]);
    bot.send_message(
        chat,
        format!("公告预览（将发送给 {subscribers} 位订阅者）：\n\n{text}"),
    )
    .reply_markup(keyboard)
    .await?;
    Ok(())
}

/// The chat a button was pressed in: its message's chat, or the private chat with the user.
fn callback_chat(q: &CallbackQuery) -> ChatId {
    q.regular_message()
        .map(|m| m.chat.id)
        .unwrap_or(ChatId(q.from.id.0 as i64))
}

async fn on_callback(bot: Bot, q: CallbackQuery, app: Arc<App>) -> anyhow::Result<()> {
    let user = q.from.id.0;
    let data = q.data.clone().unwrap_or_default();
    let reply = match data.split(':').next() {
        Some("ann") => announcement_button(&bot, &q, &app, user, &data).await?,
        Some("src" | "more" | "fb") => answers::button(&bot, &q, &app, &data).await?,
        Some("up" | "rm") => documents::button(&bot, &q, &app, &data).await?,
        _ => "这个按钮已失效。".to_owned(),
    };
    bot.answer_callback_query(q.id).text(reply).await?;
    Ok(())
}

async fn announcement_button(
    bot: &Bot,
    q: &CallbackQuery,
    app: &App,
    user: u64,
    data: &str,
) -> anyhow::Result<String> {
    let mut parts = data.splitn(3, ':');
    let reply = match (
        parts.next(),
        parts.next(),
        parts.next().and_then(|id| id.parse::<i64>().ok()),
    ) {
        (Some("ann"), Some(action), Some(id)) if app.roles.is_staff(user) => {
            let done = match action {
                "send" => app
                    .store
                    .confirm_announcement(id, user as i64, now_unix())?
                    .map(|n| {
                        let _ = app.announcements.send(id);
                        format!("已确认，正在发送给 {n} 位订阅者，完成后会通知您。")
                    }),
                "cancel" => app
                    .store
                    .cancel_announcement(id, user as i64)?
                    .then(|| "已取消，公告不会发送。".to_owned()),
                _ => None,
            };
            match done {
                Some(text) => {
                    if let Some(m) = q.regular_message() {
                        let _ = bot.edit_message_text(m.chat.id, m.id, text.clone()).await;
                    }
                    text
                }
                None => "这条公告已处理过，或只能由发起人操作。".to_owned(),
            }
        }
        (Some("ann"), ..) => {
            log::warn!("refused announcement button from user {user}");
            "抱歉，您没有操作公告的权限。".to_owned()
        }
        _ => "这个按钮已失效。".to_owned(),
    };
    Ok(reply)
}

async fn admin_command(
    bot: &Bot,
    msg: &Message,
    app: &App,
    cmd: AdminCommand,
) -> anyhow::Result<()> {
    let chat = msg.chat.id;
    match cmd {
        AdminCommand::Reload => {
            send_text(bot, chat, "正在重新加载知识库……").await?;
            let text = match reload(app).await {
                Ok(summary) => summary,
                Err(e) => format!(
                    "重新加载失败，继续使用原有知识库。\n{}",
                    redact(&format!("{e:#}"), &app.token)
                ),
            };
            send_text(bot, chat, text).await?;
        }
        AdminCommand::Remove => documents::remove_command(bot, chat, app).await?,
        AdminCommand::Stats => {
            let s = app.store.stats(now_unix())?;
            let share = if s.questions_7d > 0 {
                100.0 * s.unanswered_7d as f64 / s.questions_7d as f64
            } else {
                0.0
            };
            let last = app
                .store
                .meta("last_reload")?
                .unwrap_or_else(|| "启动以来未重新加载".to_owned());
            let m = app.engine.get().manifest().clone();
            send_text(
                bot,
                chat,
                format!(
                    "订阅者：{}\n近24小时提问：{}\n近7天提问：{}，未能回答 {:.0}%\n知识库：{} 份报告、{} 段\n最近重新加载：{}",
                    s.subscribers, s.questions_24h, s.questions_7d, share, m.documents.len(), m.passages, last
                ),
            )
            .await?;
        }
        AdminCommand::Gaps => {
            let list = |title: &str, rows: Vec<(String, u64)>| {
                if rows.is_empty() {
                    format!("{title}：无")
                } else {
                    let lines: Vec<String> = rows
                        .iter()
                        .map(|(q, n)| format!("· {q}（{n} 次）"))
                        .collect();
                    format!("{title}：\n{}", lines.join("\n"))
                }
            };
            let now = now_unix();
            let text = format!(
                "{}\n\n{}",
                list("近30天最常见的未能回答的问题", app.store.gaps(now, 30, 10)?),
                list("近30天最常被点 👎 的问题", app.store.disliked(now, 30, 10)?)
            );
            send_text(bot, chat, text).await?;
        }
    }
    Ok(())
}

/// Loads the knowledge folder and the announcements document into a new engine.
async fn load_knowledge(
    settings: &Settings,
    store: &Store,
    mode: Mode,
) -> anyhow::Result<service::Loaded> {
    let generated: Vec<Document> = knowledge::announcements_document(
        &store
            .finished_announcements()?
            .into_iter()
            .map(|(at, text)| (format_unix(at)[..10].to_owned(), text))
            .collect::<Vec<_>>(),
    )
    .into_iter()
    .collect();
    let (k, d) = (settings.knowledge_dir.clone(), settings.data_dir.clone());
    Ok(
        tokio::task::spawn_blocking(move || {
            service::load_with(&k, &d, mode, generated, &|_, _| {})
        })
        .await??,
    )
}

/// Re-reads the knowledge folder strictly, builds beside the old index and swaps; one reload
/// at a time. Returns the summary for the admin.
async fn reload(app: &App) -> anyhow::Result<String> {
    let _one_at_a_time = app.reload.lock().await;
    let started = Instant::now();
    let loaded = load_knowledge(&app.settings, &app.store, Mode::Strict).await;
    app.metrics.observe_reload(loaded.is_ok());
    let loaded = loaded?;
    let new = loaded.manifest().clone();
    let old = app.engine.swap(loaded.engine);
    let changes = new.changes_from(old.manifest());
    let stamp = format!(
        "{}（{} 份报告、{} 段）",
        format_unix(now_unix()),
        new.documents.len(),
        new.passages
    );
    app.store.set_meta("last_reload", &stamp)?;
    let list = |v: &[String]| {
        if v.is_empty() {
            "无".to_owned()
        } else {
            v.join("、")
        }
    };
    Ok(format!(
        "知识库已重新加载：{} 份报告、{} 段，用时 {:.1} 秒。\n新增：{}\n删除：{}\n修改：{}",
        new.documents.len(),
        new.passages,
        started.elapsed().as_secs_f64(),
        list(&changes.added),
        list(&changes.removed),
        list(&changes.changed)
    ))
}

/// "2024-05-31 08:00 UTC" from Unix seconds, without a date library.
fn format_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Announcement delivery over the broadcast client.
struct TelegramSender {
    bot: Bot,
    token: String,
}

impl Sender for TelegramSender {
    async fn send(&self, chat_id: i64, text: &str) -> SendOutcome {
        match self.bot.send_message(ChatId(chat_id), text).await {
            Ok(_) => SendOutcome::Sent,
            Err(RequestError::RetryAfter(wait)) => SendOutcome::RetryAfter(wait.duration()),
            Err(RequestError::Api(e)) if is_gone(&e) => SendOutcome::Gone,
            Err(e) => SendOutcome::Error(redact(&e.to_string(), &self.token)),
        }
    }
}

/// Errors after which a chat will never receive messages again.
fn is_gone(e: &ApiError) -> bool {
    match e {
        ApiError::BotBlocked
        | ApiError::UserDeactivated
        | ApiError::ChatNotFound
        | ApiError::BotKicked
        | ApiError::BotKickedFromSupergroup
        | ApiError::BotKickedFromChannel => true,
        ApiError::Unknown(text) => text.starts_with("Forbidden"),
        _ => false,
    }
}

/// Delivers announcements: first those an earlier process left unfinished, then each one
/// confirmed, one after another; reports each result to its author.
async fn run_worker(
    worker: Worker<TelegramSender>,
    bot: Bot,
    mut rx: mpsc::UnboundedReceiver<i64>,
    app: Arc<App>,
) {
    let finished = |id: i64, t: crate::store::Tally| {
        let bot = bot.clone();
        let (worker, app) = (&worker, app.clone());
        async move {
            let text = format!(
                "公告 #{id} 发送完毕：送达 {}，已屏蔽/失效 {}，失败 {}。",
                t.delivered, t.blocked, t.failed
            );
            notify_author(worker, &bot, id, text).await;
            // The announcement becomes a dated passage of 通知公告, so it can be found by asking.
            if let Err(e) = reload(&app).await {
                log::warn!(
                    "announcement {id} is not searchable until the next successful reload: {e:#}"
                );
            }
        }
    };
    match worker.resume().await {
        Ok(done) => {
            for (id, tally) in done {
                finished(id, tally).await;
            }
        }
        Err(e) => log::error!("cannot resume announcements: {e}"),
    }
    while let Some(id) = rx.recv().await {
        match worker.deliver(id).await {
            Ok(Some(tally)) => finished(id, tally).await,
            Ok(None) => {}
            Err(e) => log::error!("announcement {id}: {e}"),
        }
        // One message per second per chat: never start the next broadcast within a second.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn notify_author(worker: &Worker<TelegramSender>, bot: &Bot, id: i64, text: String) {
    match worker.store().announcement(id) {
        Ok(Some(a)) => {
            if let Err(e) = bot.send_message(ChatId(a.author_chat), text).await {
                log::warn!("cannot report announcement {id} to its author: {e:?}");
            }
        }
        Ok(None) => {}
        Err(e) => log::warn!("announcement {id}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_redaction() {
        let roles = Roles::new(&[1], &[2]);
        assert!(roles.is_admin(1) && roles.is_staff(1));
        assert!(!roles.is_admin(2) && roles.is_staff(2));
        assert!(!roles.is_staff(3));
        assert_eq!(
            redact("GET /bot123:ABC/GetUpdates", "123:ABC"),
            "GET /bot***/GetUpdates"
        );
        assert_eq!(format_unix(1_717_142_400), "2024-05-31 08:00 UTC");
    }

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
    }
}
