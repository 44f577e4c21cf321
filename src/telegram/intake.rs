//! From updates received to handlers run, with no chat waiting for another.
//!
//! Whatever brings updates (long polling or the webhook) offers them here. Each is checked
//! against flood control ([`super::flood`]), written to the inbox in the store (so that what
//! Telegram is told arrived survives a crash), and queued on its chat's lane: one task per
//! chat (per person for inline queries), handling that chat's updates in order, with a small
//! bounded queue. A full queue drops the update instead of waiting, so a chat that floods, or
//! whose replies sleep out a 429, delays only itself; every other chat has its own task. When
//! the inbox holds too much, offers are refused (the poller stops fetching, the webhook answers
//! 503) and Telegram keeps the updates. At start, updates a previous process accepted but did
//! not handle are handled first. Stopping gives handlers in flight a few seconds, then leaves
//! the rest in the inbox for the next start.
//!
//! This replaces teloxide's `Dispatcher`, whose per-chat queues make the whole dispatcher wait
//! when one of them is full; the handler tree itself is the same dptree.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{Me, UpdateKind};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::App;
use super::flood::{self, Asker, Flood, Verdict};
use super::reply::send_text;
use crate::store::{InboxState, StoreError};
use crate::time::now_unix;

/// Updates one chat may have waiting behind the one being handled; more are dropped (and the
/// chat told once). Above every burst flood control lets through (20 inline queries), so only
/// a chat whose replies are held up (a 429) or staff, who are exempt, ever fill it.
const LANE_QUEUE: usize = 32;
/// Most updates read back from the inbox at start.
const MAX_RESUME: usize = 100_000;
/// Updates accepted by a previous process older than this are not answered any more.
const STALE_AFTER_SECS: i64 = 24 * 3600;
/// What a flooder is told, once per flood.
const SLOW_DOWN: &str =
    "您发得太快了，请稍等几秒再发。刚才有些消息没有处理，需要的话请稍后重新发送。";
/// What a chat whose queue is full is told, once until its queue is empty again.
const QUEUE_FULL: &str = "还有很多条消息在处理，刚才有些消息（或文件）没有收下。请等这些处理完，再重新发送没有回复的那些。";

/// An update as it arrived: its id, the parsed update and its JSON text (kept in the inbox).
pub struct Incoming {
    pub id: i64,
    pub update: Update,
    pub body: String,
}

impl Incoming {
    /// An update from `getUpdates`, with its JSON made for the inbox.
    pub fn from_update(update: Update) -> Incoming {
        let body = serde_json::to_string(&update).unwrap_or_default();
        Incoming {
            id: i64::from(update.id.0),
            update,
            body,
        }
    }
}

/// Why updates were not accepted; Telegram should offer them again later.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("stopping")]
    Closing,
    #[error("{0} updates are waiting to be handled")]
    Backlog(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The lane an update is handled on: its chat, or for updates without one (inline queries)
/// the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Lane {
    Chat(i64),
    Person(u64),
}

enum Job {
    Update {
        id: i64,
        update: Box<Update>,
    },
    /// Tell the chat it sends too fast.
    SlowDown(ChatId),
}

struct Queue {
    tx: mpsc::Sender<Job>,
    busy: Arc<AtomicBool>,
    /// The chat was told its queue is full, and the queue has not been empty since.
    told: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

struct Inner {
    app: Arc<App>,
    bot: Bot,
    handler: UpdateHandler<anyhow::Error>,
    deps: dptree::di::DependencyMap,
    flood: Mutex<Flood>,
    lanes: Mutex<HashMap<Lane, Queue>>,
    /// Accepted and not yet finished (in the inbox as pending).
    backlog: AtomicU64,
    /// Beyond this backlog offers are refused.
    max_backlog: u64,
    closing: AtomicBool,
}

/// The intake; cheap to clone.
#[derive(Clone)]
pub struct Intake(Arc<Inner>);

impl Intake {
    /// An intake running `handler` with the bot, who it is, and the shared state.
    pub fn new(
        bot: Bot,
        me: Me,
        app: Arc<App>,
        handler: UpdateHandler<anyhow::Error>,
        max_backlog: u64,
    ) -> Intake {
        let deps = dptree::deps![bot.clone(), me, app.clone()];
        dptree::type_check(handler.sig(), &deps, &[dptree::Type::of::<Update>()]);
        Intake(Arc::new(Inner {
            app,
            bot,
            handler,
            deps,
            flood: Mutex::new(Flood::new(flood::Limits::default())),
            lanes: Mutex::new(HashMap::new()),
            backlog: AtomicU64::new(0),
            max_backlog,
            closing: AtomicBool::new(false),
        }))
    }

    /// Handles what a previous process accepted and did not handle; returns how many.
    pub async fn resume(&self) -> Result<usize, StoreError> {
        let store = self.0.app.kb.store().clone();
        let pending = store.with(|s| s.inbox_pending(MAX_RESUME)).await?;
        let now = now_unix();
        let mut stale = Vec::new();
        let mut resumed = 0;
        for r in pending {
            let update = serde_json::from_str::<Update>(&r.body).ok();
            match update.filter(|_| now - r.received_at <= STALE_AFTER_SECS) {
                Some(update) => {
                    self.0.backlog.fetch_add(1, Ordering::Relaxed);
                    if self.queue(r.update_id, update).is_err() {
                        stale.push((r.update_id, InboxState::Dropped));
                    } else {
                        resumed += 1;
                    }
                }
                None => stale.push((r.update_id, InboxState::Dropped)),
            }
        }
        if !stale.is_empty() {
            store
                .with(move |s| s.inbox_finish(&stale, now_unix()))
                .await?;
        }
        Ok(resumed)
    }

    /// Accepts updates: flood control, then the inbox, then their lanes. Once this returns
    /// Ok, the updates are safe to confirm to Telegram. Returns how many will be handled.
    pub async fn offer(&self, batch: Vec<Incoming>) -> Result<usize, Refused> {
        let inner = &self.0;
        if inner.closing.load(Ordering::Relaxed) {
            return Err(Refused::Closing);
        }
        let backlog = inner.backlog.load(Ordering::Relaxed);
        if backlog >= inner.max_backlog {
            return Err(Refused::Backlog(backlog));
        }
        let metrics = &inner.app.metrics;
        let mut admitted = Vec::with_capacity(batch.len());
        let mut notices = Vec::new();
        {
            let mut flood = inner.flood.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            for inc in batch {
                metrics.observe_update("received");
                let Some((asker, kind)) = self.classify(&inc.update) else {
                    if let UpdateKind::Error(_) = inc.update.kind {
                        // Never the content: it holds a citizen's text and ids.
                        log::warn!("update {} could not be parsed; ignored", inc.id);
                    }
                    metrics.observe_update("ignored");
                    continue;
                };
                match flood.check(asker, kind, now) {
                    Verdict::Admit => admitted.push(inc),
                    Verdict::Drop { notify } => {
                        metrics.observe_update("dropped_flood");
                        if notify && let Some(chat) = inc.update.chat().map(|c| c.id) {
                            notices.push(chat);
                        }
                    }
                }
            }
        }
        for chat in notices {
            self.notify(chat);
        }
        if admitted.is_empty() {
            return Ok(0);
        }
        let rows: Vec<(i64, String)> = admitted
            .iter_mut()
            .map(|i| (i.id, std::mem::take(&mut i.body)))
            .collect();
        let store = inner.app.kb.store().clone();
        let fresh = store.with(move |s| s.inbox_add(&rows, now_unix())).await?;
        let mut dropped = Vec::new();
        let mut queued = 0;
        for (inc, fresh) in admitted.into_iter().zip(fresh) {
            if !fresh {
                // Offered before (a webhook retry, a poll after a crash): handled once.
                metrics.observe_update("duplicate");
                continue;
            }
            inner.backlog.fetch_add(1, Ordering::Relaxed);
            match self.queue(inc.id, inc.update) {
                Ok(()) => queued += 1,
                Err(id) => dropped.push((id, InboxState::Dropped)),
            }
        }
        if !dropped.is_empty() {
            let n = dropped.len() as u64;
            inner.backlog.fetch_sub(n, Ordering::Relaxed);
            store
                .with(move |s| s.inbox_finish(&dropped, now_unix()))
                .await?;
        }
        Ok(queued)
    }

    /// Who asks what, for flood control; None for updates the bot does not handle.
    fn classify(&self, update: &Update) -> Option<(Asker, flood::Kind)> {
        let roles = &self.0.app.roles;
        let asker = |user: &teloxide::types::User, group: Option<i64>| Asker {
            person: Some(user.id.0),
            exempt: roles.is_staff(user.id.0),
            group,
        };
        match &update.kind {
            UpdateKind::Message(m) => {
                let group = (!m.chat.is_private()).then_some(m.chat.id.0);
                let a = match &m.from {
                    Some(u) => asker(u, group),
                    None => Asker {
                        person: None,
                        exempt: false,
                        group: Some(m.chat.id.0),
                    },
                };
                Some((a, flood::Kind::Message))
            }
            UpdateKind::CallbackQuery(q) => Some((asker(&q.from, None), flood::Kind::Press)),
            UpdateKind::InlineQuery(q) => Some((asker(&q.from, None), flood::Kind::Inline)),
            _ => None,
        }
    }

    /// Puts an update on its lane; Err(id) when the lane is full (the update is dropped).
    fn queue(&self, id: i64, update: Update) -> Result<(), i64> {
        let lane = match (update.chat(), update.from()) {
            (Some(chat), _) => Lane::Chat(chat.id.0),
            (None, Some(user)) => Lane::Person(user.id.0),
            (None, None) => Lane::Person(0),
        };
        let job = Job::Update {
            id,
            update: Box::new(update),
        };
        match self.send(lane, job) {
            Ok(()) => Ok(()),
            Err(()) => {
                self.0.app.metrics.observe_update("dropped_queue");
                Err(id)
            }
        }
    }

    /// Tells a chat it sends too fast, on its own lane (so it comes after what was taken).
    fn notify(&self, chat: ChatId) {
        let _ = self.send(Lane::Chat(chat.0), Job::SlowDown(chat));
    }

    fn send(&self, lane: Lane, job: Job) -> Result<(), ()> {
        let mut lanes = self.0.lanes.lock().unwrap_or_else(|e| e.into_inner());
        if self.0.closing.load(Ordering::Relaxed) {
            return Err(());
        }
        let queue = lanes.entry(lane).or_insert_with(|| self.spawn_lane());
        match queue.tx.try_send(job) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(job)) => {
                if let (Job::Update { update, .. }, Lane::Chat(chat)) = (&job, lane)
                    && update.from().is_some()
                    && !queue.told.swap(true, Ordering::Relaxed)
                {
                    // Not on the lane (it is full): on its own, so nothing waits for it.
                    let bot = self.0.bot.clone();
                    tokio::spawn(async move {
                        if let Err(e) = send_text(&bot, ChatId(chat), QUEUE_FULL).await {
                            log::info!("cannot tell a chat its queue is full: {e}");
                        }
                    });
                }
                Err(())
            }
            Err(mpsc::error::TrySendError::Closed(job)) => {
                // The lane's task ended (it only does when its sender is dropped): a new one.
                *queue = self.spawn_lane();
                queue.tx.try_send(job).map_err(drop)
            }
        }
    }

    fn spawn_lane(&self) -> Queue {
        let (tx, rx) = mpsc::channel(LANE_QUEUE);
        let busy = Arc::new(AtomicBool::new(false));
        let told = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(run_lane(self.0.clone(), rx, busy.clone(), told.clone()));
        Queue {
            tx,
            busy,
            told,
            task,
        }
    }

    /// Whether so much waits that no more should be fetched.
    pub fn backlogged(&self) -> bool {
        self.0.backlog.load(Ordering::Relaxed) >= self.0.max_backlog
    }

    /// Ends the tasks of lanes that have nothing to do, and forgets idle flood buckets.
    pub fn sweep(&self) {
        let mut lanes = self.0.lanes.lock().unwrap_or_else(|e| e.into_inner());
        lanes.retain(|_, q| q.tx.capacity() < LANE_QUEUE || q.busy.load(Ordering::Relaxed));
        drop(lanes);
        let mut flood = self.0.flood.lock().unwrap_or_else(|e| e.into_inner());
        flood.forget_idle(Instant::now());
    }

    /// Stops taking updates, lets the lanes finish what they hold for at most `grace`, then
    /// stops them; what is left stays pending in the inbox for the next start.
    pub async fn close(&self, grace: Duration) {
        self.0.closing.store(true, Ordering::Relaxed);
        let queues: Vec<Queue> = {
            let mut lanes = self.0.lanes.lock().unwrap_or_else(|e| e.into_inner());
            lanes.drain().map(|(_, q)| q).collect()
        };
        let mut tasks: Vec<JoinHandle<()>> = queues.into_iter().map(|q| q.task).collect();
        let deadline = tokio::time::Instant::now() + grace;
        for task in &mut tasks {
            if tokio::time::timeout_at(deadline, &mut *task).await.is_err() {
                break;
            }
        }
        let unfinished = tasks.iter().filter(|t| !t.is_finished()).count();
        for task in tasks {
            task.abort();
        }
        if unfinished > 0 {
            log::info!(
                "stopped {unfinished} chats' handlers after {grace:?}; their updates are handled at the next start"
            );
        }
    }
}

/// One lane's task: its jobs one after another, each update marked done in the inbox when its
/// handler returns.
async fn run_lane(
    inner: Arc<Inner>,
    mut rx: mpsc::Receiver<Job>,
    busy: Arc<AtomicBool>,
    told: Arc<AtomicBool>,
) {
    while let Some(job) = rx.recv().await {
        if rx.is_empty() {
            told.store(false, Ordering::Relaxed);
        }
        busy.store(true, Ordering::Relaxed);
        match job {
            Job::Update { id, update } => {
                handle(&inner, *update).await;
                inner.backlog.fetch_sub(1, Ordering::Relaxed);
                let finished = inner
                    .app
                    .kb
                    .store()
                    .with(move |s| s.inbox_finish(&[(id, InboxState::Done)], now_unix()))
                    .await;
                if let Err(e) = finished {
                    log::warn!("cannot mark update {id} handled: {e}");
                }
            }
            Job::SlowDown(chat) => {
                if let Err(e) = send_text(&inner.bot, chat, SLOW_DOWN).await {
                    log::info!("cannot tell a chat to slow down: {e}");
                }
            }
        }
        busy.store(false, Ordering::Relaxed);
    }
}

/// Runs the handler tree on one update; errors are logged (without the token: the logger
/// removes it).
async fn handle(inner: &Inner, update: Update) {
    super::commands::menu_on_first_write(&inner.bot, &inner.app, &update);
    let mut deps = inner.deps.clone();
    deps.insert(update);
    match inner.handler.dispatch(deps).await {
        ControlFlow::Break(Ok(())) | ControlFlow::Continue(_) => {}
        ControlFlow::Break(Err(e)) => log::error!("handling an update: {e:#}"),
    }
}
