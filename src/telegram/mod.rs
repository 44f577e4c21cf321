//! The Telegram front end: start-up, the handler tree and the shutdown. The only module that
//! imports teloxide or knows Telegram's limits and HTML.
//!
//! Updates come through the intake (`intake`: flood control, the inbox, a lane per chat) from
//! long polling or the webhook (`listen`, `webhook`). Each flow lives in its own room:
//! `citizen`, `staff` and `admin` handle a role's commands (`commands` holds every command
//! enum and the menus, `guard` who may do what), `answers` the replies to questions and their
//! buttons, `inline` inline mode, `documents` the admins' uploads and `/remove`, `synonyms`
//! `/synonym`, `announcements` the delivery worker's Telegram side; `reply` is the path every
//! message takes, `html` the format and its limits, `callback` the typed button data. Handlers
//! are adapters: they read an update, call the answer step or the knowledge service, and lay
//! out what comes back. Replies and announcements use two separate `Bot` clients and no shared
//! `Throttle`, so a 429 on the broadcast never holds up answers.

mod admin;
mod announcements;
mod answers;
mod app;
mod callback;
mod changes;
mod citizen;
mod commands;
mod desk;
mod documents;
mod faqs;
mod flood;
mod guard;
pub mod html;
mod inline;
mod intake;
mod listen;
mod pending;
mod preview;
mod reply;
mod signals;
mod staff;
mod synonyms;
mod tickets;
mod webhook;

use std::sync::Arc;

use anyhow::Context;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use tokio::sync::mpsc;

pub use app::App;
pub use callback::{
    Callback, CardAction, MAX_CALLBACK_BYTES, Pressed, RemoveStep, TicketStep, UnknownButton,
};
pub use commands::{AdminCommand, CitizenCommand, StaffCommand};

use crate::broadcast::{Pace, Worker};
use crate::config::{BotSettings, Settings};
use crate::metrics::Metrics;
use crate::service::KnowledgeBase;
use announcements::TelegramSender;
use app::Roles;
use reply::EXPIRED;

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
    let token = bot_settings.token.clone();
    let kb = open_knowledge(&settings).await?;
    // Who answers handed-over questions, unless set: the home area's government office.
    let home = kb.engine().manifest().scope.home.first().cloned();
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
        uploads: pending::Pending::new(pending::MAX_PENDING_UPLOADS),
        synonyms: pending::Pending::new(8),
        token: token.clone(),
        menus: Default::default(),
        desk: bot_settings
            .tickets
            .clone()
            .map(|t| Arc::new(app::Desk::new(t, home.as_deref().unwrap_or("本区")))),
    });
    let _health = match bot_settings.metrics_addr {
        Some(addr) => Some(
            crate::health::serve(
                addr,
                app.metrics.clone(),
                app.kb.store().clone(),
                app.desk.as_ref().map(|d| d.overdue_after()),
            )
            .await
            .with_context(|| format!("cannot serve health and metrics on {addr}"))?,
        ),
        None => None,
    };
    let stop = signals::stop_on_signal();
    let store = app.kb.store().clone();
    let Some(me) = listen::reach_api(&bot, &store, &token, &mut stop.clone()).await else {
        log::info!("stopped before the Bot API answered");
        return Ok(());
    };
    let heartbeat = listen::heartbeat(bot.clone(), store.clone(), token.clone());
    let worker_task = start_broadcast(&bot_settings, broadcast_bot, rx, &app);
    let desk_task = app
        .desk
        .clone()
        .map(|d| tokio::spawn(desk::run(bot.clone(), app.clone(), d)));
    if let Err(e) = commands::set_default_menu(&bot, app.desk.is_some()).await {
        log::warn!("cannot set the command menu: {e}");
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
    if let Some(t) = desk_task {
        t.abort();
    }
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

/// Routes updates: each role's commands to its room (refused for everyone else), documents to
/// uploads, other messages to the citizens' handler, buttons by their [`Callback`], and inline
/// queries to answers.
pub(crate) fn handler() -> UpdateHandler<anyhow::Error> {
    // Staff and admin commands are answered only in private chats.
    let in_group = || dptree::filter(guard::in_group).endpoint(guard::private_only);
    let admin = dptree::entry()
        .filter_command::<AdminCommand>()
        .branch(
            dptree::filter(guard::from_admin)
                .branch(in_group())
                .endpoint(admin::handle),
        )
        .endpoint(guard::refuse);
    let staff = dptree::entry()
        .filter_command::<StaffCommand>()
        .branch(
            dptree::filter(guard::from_staff)
                .branch(in_group())
                .endpoint(staff::handle),
        )
        .endpoint(guard::refuse);
    let citizen = dptree::entry()
        .filter_command::<CitizenCommand>()
        .endpoint(citizen::handle);
    // In the staff group, what is not a command belongs to the desk.
    let staff_group = dptree::filter(|msg: Message, app: Arc<App>| {
        let command = msg.text().is_some_and(|t| t.starts_with('/'));
        !command
            && app
                .desk
                .as_ref()
                .is_some_and(|d| d.settings.staff_chat == msg.chat.id.0)
    })
    .endpoint(tickets::on_staff_group);
    let messages = Update::filter_message()
        .branch(staff_group)
        .branch(Message::filter_document().endpoint(documents::on_document))
        .branch(admin)
        .branch(staff)
        .branch(citizen)
        .endpoint(citizen::on_message);
    dptree::entry()
        .branch(messages)
        .branch(Update::filter_callback_query().endpoint(on_callback))
        .branch(Update::filter_inline_query().endpoint(inline::on_inline))
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
            documents::button(bot.clone(), q.clone(), app.clone(), cb).await
        }
        Ok(Callback::Synonym { id, save }) => {
            synonyms::button(bot.clone(), q.clone(), app.clone(), id, save).await
        }
        Ok(Callback::Human { question }) => {
            tickets::human_button(bot.clone(), q.clone(), app.clone(), question).await
        }
        Ok(Callback::Ticket { id, step }) => {
            tickets::ticket_button(bot.clone(), q.clone(), app.clone(), id, step).await
        }
        Ok(Callback::Card { id, action }) => {
            tickets::card_button(bot.clone(), q.clone(), app.clone(), id, action).await
        }
        Ok(Callback::Rate { id, level }) => {
            tickets::rate_button(bot.clone(), q.clone(), app.clone(), id, level).await
        }
        Ok(Callback::FaqDraft { id, approve }) => {
            faqs::button(bot.clone(), q.clone(), app.clone(), id, approve).await
        }
        Ok(Callback::Noop) => Ok(Pressed::toast("")),
    };
    let pressed = pressed.unwrap_or_else(|e| {
        log::error!("button: {e:#}");
        Pressed::toast(reply::UNAVAILABLE)
    });
    bot.answer_callback_query(q.id).text(pressed.toast).await?;
    if let Some(work) = pressed.then
        && let Err(e) = work.await
    {
        log::error!("button: {e:#}");
    }
    Ok(())
}
