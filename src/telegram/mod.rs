//! The Telegram front end: start-up, the handler tree and the shared state. The only module that
//! imports teloxide.
//!
//! Each flow lives in its own room: `citizen`, `staff` and `admin` hold a role's command enum
//! beside its handlers, `answers` the replies to questions and inline mode, `uploads` the
//! admins' documents, `announcements` the delivery worker's Telegram side, `reply` the one path
//! every reply takes, `roles` who may do what, `callback` the typed button data. Handlers are
//! adapters: they read an update, call the knowledge service or the store, and word the reply.
//! Replies and announcements use two separate `Bot` clients and no shared `Throttle`, so a 429
//! on the broadcast never holds up answers.

mod admin;
mod announcements;
mod answers;
mod callback;
mod citizen;
mod flood;
mod intake;
mod listen;
mod pending;
mod reply;
mod roles;
mod staff;
mod synonyms;
mod uploads;
mod webhook;

use std::sync::Arc;

use anyhow::Context;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use tokio::sync::{mpsc, watch};

pub use admin::AdminCommand;
pub use callback::{Callback, MAX_CALLBACK_BYTES, RemoveStep, UnknownButton};
pub use citizen::CitizenCommand;
pub use staff::StaffCommand;

use crate::broadcast::{Pace, Worker};
use crate::config::{BotSettings, Settings};
use crate::metrics::Metrics;
use crate::service::KnowledgeBase;
use announcements::TelegramSender;
use reply::{EXPIRED, redact};
use roles::Roles;

/// Shared state of the running bot, handed to handlers through `dptree::deps!`.
pub struct App {
    kb: Arc<KnowledgeBase>,
    roles: Roles,
    metrics: Arc<Metrics>,
    /// How many passages an answer shows.
    top: usize,
    /// Confirmed announcements, for the broadcast worker.
    announcements: mpsc::UnboundedSender<i64>,
    uploads: pending::Pending<uploads::Upload>,
    /// Synonym groups previewed and awaiting 确认.
    synonyms: pending::Pending<Vec<Vec<String>>>,
    /// The bot token, only to remove it from what is logged or shown.
    token: String,
    /// Staff and admins whose command menu is set (it can only be set once they have written).
    menus: std::sync::Mutex<std::collections::HashSet<u64>>,
}

impl App {
    /// Runs a change to the knowledge base (a reload, an upload, a removal) off the async
    /// workers, and counts it as a reload.
    async fn change<T, E>(
        &self,
        f: impl FnOnce(&KnowledgeBase) -> Result<T, E> + Send + 'static,
    ) -> anyhow::Result<Result<T, E>>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let kb = self.kb.clone();
        let result = tokio::task::spawn_blocking(move || f(&kb)).await?;
        self.metrics.observe_reload(result.is_ok());
        Ok(result)
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
    let kb = open_knowledge(&settings).await?;
    let bot = make_bot(&bot_settings)?;
    // A client of its own for announcements: its 429s and queue never touch the replies.
    let broadcast_bot = make_bot(&bot_settings)?;
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Arc::new(App {
        kb: Arc::new(kb),
        roles: Roles::new(&bot_settings.admins, &bot_settings.staff),
        metrics: Arc::new(Metrics::default()),
        top: settings.top,
        announcements: tx,
        uploads: pending::Pending::new(uploads::MAX_PENDING_UPLOADS),
        synonyms: pending::Pending::new(8),
        token: token.clone(),
        menus: Default::default(),
    });
    let _health = match bot_settings.metrics_addr {
        Some(addr) => Some(
            crate::health::serve(addr, app.metrics.clone(), app.kb.store().clone())
                .await
                .with_context(|| format!("cannot serve health and metrics on {addr}"))?,
        ),
        None => None,
    };
    let stop = stop_on_signal();
    let store = app.kb.store().clone();
    let Some(me) = listen::reach_api(&bot, &store, &token, &mut stop.clone()).await else {
        log::info!("stopped before the Bot API answered");
        return Ok(());
    };
    let heartbeat = listen::heartbeat(bot.clone(), store.clone(), token.clone());
    let worker_task = start_broadcast(&bot_settings, broadcast_bot, rx, &app);
    if let Err(e) = roles::set_default_menu(&bot).await {
        log::warn!(
            "cannot set the command menu: {}",
            redact(&e.to_string(), &token)
        );
    }
    let (intake, sweeper) = start_intake(&bot, me, &app, bot_settings.max_backlog).await;
    let result = match bot_settings.webhook {
        None => {
            listen::poll(&bot, &intake, &store, &token, stop.clone()).await;
            Ok(())
        }
        Some(w) => listen::webhook(&bot, &intake, w, &token, stop.clone()).await,
    };
    log::info!("stopping: finishing replies in flight");
    intake.close(SHUTDOWN_GRACE).await;
    sweeper.abort();
    // Every delivery is committed as it completes; stopping the worker leaves the rest pending
    // for the next start.
    worker_task.abort();
    heartbeat.abort();
    if let Err(e) = store
        .with(|s| crate::health::record_stopped(s, crate::time::now_unix()))
        .await
    {
        log::warn!("cannot record that the bot stopped: {e}");
    }
    result?;
    log::info!("stopped");
    Ok(())
}

/// The broadcast worker, on its own client and pacing.
fn start_broadcast(
    s: &BotSettings,
    broadcast_bot: Bot,
    rx: mpsc::UnboundedReceiver<i64>,
    app: &Arc<App>,
) -> tokio::task::JoinHandle<()> {
    let pace = Pace {
        per_second: s.broadcast_per_second,
        ..Pace::default()
    };
    let sender = TelegramSender {
        bot: broadcast_bot.clone(),
        token: app.token.clone(),
    };
    let worker = Worker::new(app.kb.store().clone(), sender, pace);
    tokio::spawn(announcements::run_worker(
        worker,
        broadcast_bot,
        rx,
        app.clone(),
    ))
}

/// The intake, with what a previous run accepted and did not handle queued first, and the
/// sweep that ends idle lanes.
async fn start_intake(
    bot: &Bot,
    me: teloxide::types::Me,
    app: &Arc<App>,
    max_backlog: u64,
) -> (intake::Intake, tokio::task::JoinHandle<()>) {
    let intake = intake::Intake::new(bot.clone(), me, app.clone(), handler(), max_backlog);
    match intake.resume().await {
        Ok(0) => {}
        Ok(n) => log::info!("handling {n} updates a previous run accepted"),
        Err(e) => log::error!("cannot read the updates a previous run accepted: {e}"),
    }
    let sweeper = {
        let intake = intake.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(flood::SWEEP_EVERY).await;
                intake.sweep();
            }
        })
    };
    (intake, sweeper)
}

/// How long handlers in flight may take to finish when the bot is asked to stop; the updates
/// they could not finish are handled at the next start.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// Opens the knowledge base off the async workers, and says at start when admins will not be
/// able to change it.
async fn open_knowledge(settings: &Settings) -> anyhow::Result<KnowledgeBase> {
    let opened = {
        let settings = settings.clone();
        tokio::task::spawn_blocking(move || KnowledgeBase::open(&settings, &|_, _| {})).await?
    }
    .context("cannot load the knowledge base")?;
    let manifest = opened.kb.engine().manifest().clone();
    log::info!(
        "knowledge base: {} documents, {} passages",
        manifest.documents.len(),
        manifest.passages
    );
    if let Err(e) = crate::knowledge::writable(&settings.knowledge_dir) {
        log::warn!(
            "the knowledge folder {} is not writable by {} ({e}): uploads, /remove and /synonym will fail until that user may write there (for a Docker bind mount: chown -R 10001 on the host folder)",
            settings.knowledge_dir.display(),
            crate::fsutil::process_user()
        );
    }
    Ok(opened.kb)
}

/// A channel that turns true on SIGINT or SIGTERM.
fn stop_on_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        let _ = tx.send(true);
        // Keep the sender alive: receivers wait on it.
        std::future::pending::<()>().await;
    });
    rx
}

/// Routes updates: each role's commands to its room (refused for everyone else), documents to
/// uploads, other messages to the citizens' handler, buttons by their [`Callback`], and inline
/// queries to answers.
pub(crate) fn handler() -> UpdateHandler<anyhow::Error> {
    // Staff and admin commands are answered only in private chats.
    let in_group = || dptree::filter(roles::in_group).endpoint(roles::private_only);
    let admin = dptree::entry()
        .filter_command::<AdminCommand>()
        .branch(
            dptree::filter(roles::from_admin)
                .branch(in_group())
                .endpoint(admin::handle),
        )
        .endpoint(roles::refuse);
    let staff = dptree::entry()
        .filter_command::<StaffCommand>()
        .branch(
            dptree::filter(roles::from_staff)
                .branch(in_group())
                .endpoint(staff::handle),
        )
        .endpoint(roles::refuse);
    let citizen = dptree::entry()
        .filter_command::<CitizenCommand>()
        .endpoint(citizen::handle);
    let messages = Update::filter_message()
        .branch(Message::filter_document().endpoint(uploads::on_document))
        .branch(admin)
        .branch(staff)
        .branch(citizen)
        .endpoint(citizen::on_message);
    dptree::entry()
        .branch(messages)
        .branch(Update::filter_callback_query().endpoint(on_callback))
        .branch(Update::filter_inline_query().endpoint(answers::on_inline))
}

/// What a button press gets: the toast Telegram shows at once, and the work that follows it
/// (sending the passage, reloading the knowledge base, …), done after the press is answered.
pub struct Pressed {
    pub toast: String,
    pub then:
        Option<std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>>>,
}

impl Pressed {
    /// A toast and nothing more.
    pub fn toast(text: impl Into<String>) -> Pressed {
        Pressed {
            toast: text.into(),
            then: None,
        }
    }

    /// A toast, then `work`.
    pub fn then(
        text: impl Into<String>,
        work: impl std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    ) -> Pressed {
        Pressed {
            toast: text.into(),
            then: Some(Box::pin(work)),
        }
    }
}

/// A button press: parsed into a [`Callback`] and handed to the room that made the button,
/// which checks it and says what the toast is; the press is answered then, before any slow
/// work (Telegram shows a spinner until it is answered, and refuses a late answer). Every
/// press is answered, also when checking it failed.
async fn on_callback(bot: Bot, q: CallbackQuery, app: Arc<App>) -> anyhow::Result<()> {
    let parsed = q.data.as_deref().unwrap_or_default().parse::<Callback>();
    let pressed = match parsed {
        Err(e) => {
            log::info!("{e}");
            Ok(Pressed::toast(EXPIRED))
        }
        Ok(cb @ (Callback::Source { .. } | Callback::More { .. } | Callback::Feedback { .. })) => {
            answers::button(bot.clone(), q.clone(), app.clone(), cb).await
        }
        Ok(Callback::Announcement { id, send }) => {
            staff::button(bot.clone(), q.clone(), app.clone(), id, send).await
        }
        Ok(cb @ (Callback::Upload { .. } | Callback::Remove { .. } | Callback::RemoveCancel)) => {
            uploads::button(bot.clone(), q.clone(), app.clone(), cb).await
        }
        Ok(Callback::Synonym { id, save }) => {
            synonyms::button(bot.clone(), q.clone(), app.clone(), id, save).await
        }
        Ok(Callback::Noop) => Ok(Pressed::toast("")),
    };
    let pressed = pressed.unwrap_or_else(|e| {
        log::error!("button: {}", redact(&format!("{e:#}"), &app.token));
        Pressed::toast(reply::UNAVAILABLE)
    });
    bot.answer_callback_query(q.id).text(pressed.toast).await?;
    if let Some(work) = pressed.then
        && let Err(e) = work.await
    {
        log::error!("button: {}", redact(&format!("{e:#}"), &app.token));
    }
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
