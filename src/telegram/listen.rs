//! How the bot stays connected: reaching the Bot API at start (retrying with backoff until it
//! answers or the bot is stopped), a heartbeat that tells [`crate::health`] whether it still
//! answers, and how updates arrive: long polling (the default) or a webhook whose secret token
//! is checked on every request.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, Me};
use teloxide::update_listeners::{Polling, webhooks};
use tokio::sync::watch;

use super::App;
use super::reply::{LogRedacted, redact};
use crate::config::Webhook;
use crate::health;
use crate::store::Store;
use crate::time::now_unix;

/// Longest wait between two attempts to reach the Bot API, at start and between polls.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often the heartbeat asks the Bot API whether it answers.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Resolves when the bot is asked to stop.
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow() {
        if stop.changed().await.is_err() {
            // The sender is gone: nothing will ever stop us but the process ending.
            std::future::pending::<()>().await;
        }
    }
}

/// The wait after the `n`th failure in a row: 1, 2, 4 … seconds, never more than
/// [`MAX_BACKOFF`].
fn backoff(n: u32) -> Duration {
    Duration::from_secs(1u64 << n.min(5)).min(MAX_BACKOFF)
}

/// Records, off the async workers, how the Bot API answered.
async fn record(store: &Arc<Store>, result: Result<(), String>) {
    let now = now_unix();
    let recorded = store
        .with(move |s| match result {
            Ok(()) => health::record_ok(s, now),
            Err(e) => health::record_error(s, now, &e),
        })
        .await;
    if let Err(e) = recorded {
        log::warn!("cannot record the Bot API's health: {e}");
    }
}

/// Asks the Bot API who the bot is until it answers, waiting longer after each failure (each
/// logged); None when the bot is stopped first.
pub async fn reach_api(
    bot: &Bot,
    store: &Arc<Store>,
    token: &str,
    stop: &mut watch::Receiver<bool>,
) -> Option<Me> {
    let mut failures = 0;
    loop {
        let answer = tokio::select! {
            _ = stopped(stop) => return None,
            answer = bot.get_me() => answer,
        };
        match answer {
            Ok(me) => {
                record(store, Ok(())).await;
                return Some(me);
            }
            Err(e) => {
                let e = redact(&e.to_string(), token);
                let wait = backoff(failures);
                failures += 1;
                log::warn!(
                    "cannot reach the Bot API (attempt {failures}): {e}; trying again in {}s",
                    wait.as_secs()
                );
                record(store, Err(e)).await;
                tokio::select! {
                    _ = stopped(stop) => return None,
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

/// Asks the Bot API every [`HEARTBEAT`] whether it answers, for the health check.
pub fn heartbeat(bot: Bot, store: Arc<Store>, token: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            let answer = bot
                .get_me()
                .await
                .map(drop)
                .map_err(|e| redact(&e.to_string(), &token));
            if let Err(e) = &answer {
                log::warn!("the Bot API does not answer: {e}");
            }
            record(&store, answer).await;
        }
    })
}

/// Logs the update listener's errors (a failed poll) without the token, and records them for
/// the health check.
struct ListenerErrors {
    token: String,
    store: Arc<Store>,
}

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<E: std::fmt::Debug + Send + 'static> teloxide::error_handlers::ErrorHandler<E>
    for ListenerErrors
{
    fn handle_error(self: Arc<Self>, error: E) -> BoxFuture<()> {
        let text = redact(&format!("{error:?}"), &self.token);
        Box::pin(async move {
            log::error!("getting updates: {text}");
            record(&self.store, Err(text)).await;
        })
    }
}

/// Dispatches updates until `stop`: from long polling, or from the webhook when one is set.
pub async fn dispatch(
    bot: Bot,
    app: Arc<App>,
    webhook: Option<Webhook>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let token = app.token.clone();
    let store = app.kb.store().clone();
    let mut dispatcher = Dispatcher::builder(bot.clone(), super::handler())
        .dependencies(dptree::deps![app])
        .default_handler(|_| async {})
        .error_handler(Arc::new(LogRedacted(token.clone())))
        .build();
    let shutdown = dispatcher.shutdown_token();
    tokio::spawn(async move {
        stopped(&mut stop).await;
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
    let errors = Arc::new(ListenerErrors {
        token: token.clone(),
        store,
    });
    let result = match webhook {
        None => {
            let listener = Polling::builder(bot)
                .timeout(Duration::from_secs(10))
                .backoff_strategy(backoff)
                .delete_webhook()
                .await
                .build();
            dispatcher
                .try_dispatch_with_listener(listener, errors)
                .await
        }
        Some(w) => return serve_webhook(bot, &mut dispatcher, w, errors).await,
    };
    result.map_err(|e| {
        anyhow!(
            "cannot reach the Bot API: {}",
            redact(&e.to_string(), &token)
        )
    })
}

/// A secret token as Telegram takes it: 1 to 256 of A-Z, a-z, 0-9, `_` and `-`.
fn valid_secret(s: &str) -> bool {
    (1..=256).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Both byte strings equal, compared in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Receives updates on the webhook: sets it with its secret at Telegram, serves it on the
/// listen address (refusing with 401, and logging, every request without the secret), and
/// removes it when stopping.
async fn serve_webhook(
    bot: Bot,
    dispatcher: &mut Dispatcher<Bot, anyhow::Error, teloxide::dispatching::DefaultKey>,
    w: Webhook,
    errors: Arc<ListenerErrors>,
) -> anyhow::Result<()> {
    let token = errors.token.clone();
    let url: url::Url = w
        .url
        .parse()
        .with_context(|| format!("LIANGHUI_WEBHOOK_URL {:?} is not a URL", w.url))?;
    let mut options = webhooks::Options::new(w.listen, url.clone());
    let secret = match &w.secret {
        Some(s) => s.expose().to_owned(),
        None => options.get_or_gen_secret_token().to_owned(),
    };
    anyhow::ensure!(
        valid_secret(&secret),
        "LIANGHUI_WEBHOOK_SECRET must be 1 to 256 of A-Z, a-z, 0-9, _ and -"
    );
    options = options.secret_token(secret.clone());
    bot.set_webhook(url)
        .secret_token(secret.clone())
        .allowed_updates(vec![
            AllowedUpdate::Message,
            AllowedUpdate::CallbackQuery,
            AllowedUpdate::InlineQuery,
        ])
        .await
        .map_err(|e| anyhow!("cannot set the webhook: {}", redact(&e.to_string(), &token)))?;
    let (listener, stop_serving, router) = webhooks::axum_no_setup(options);
    let secret = Arc::new(secret);
    let router = router.layer(middleware::from_fn(move |req: Request, next: Next| {
        let secret = secret.clone();
        async move {
            let ok = req
                .headers()
                .get("x-telegram-bot-api-secret-token")
                .is_some_and(|v| same(v.as_bytes(), secret.as_bytes()));
            if !ok {
                log::warn!(
                    "webhook: refused a request to {} without the right secret token",
                    req.uri().path()
                );
                return StatusCode::UNAUTHORIZED.into_response();
            }
            next.run(req).await
        }
    }));
    let tcp = tokio::net::TcpListener::bind(w.listen)
        .await
        .with_context(|| format!("cannot listen for the webhook on {}", w.listen))?;
    log::info!("webhook: listening on {} for {}", w.listen, w.url);
    let server = tokio::spawn(async move {
        axum::serve(tcp, router)
            .with_graceful_shutdown(stop_serving)
            .await
    });
    let dispatched = dispatcher
        .try_dispatch_with_listener(listener, errors)
        .await
        .map_err(|e| {
            anyhow!(
                "cannot reach the Bot API: {}",
                redact(&e.to_string(), &token)
            )
        });
    if let Err(e) = server.await {
        log::warn!("webhook server: {e}");
    }
    if let Err(e) = bot.delete_webhook().await {
        log::warn!(
            "cannot remove the webhook: {}",
            redact(&e.to_string(), &token)
        );
    }
    dispatched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_and_stay_bounded() {
        let waits: Vec<u64> = (0..10).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30, 30, 30, 30]);
    }

    #[test]
    fn secrets_are_checked_as_telegram_does() {
        assert!(valid_secret("abc_DEF-123"));
        assert!(!valid_secret("") && !valid_secret("has space") && !valid_secret(&"a".repeat(257)));
        assert!(same(b"secret", b"secret") && !same(b"secret", b"secreT") && !same(b"a", b"ab"));
    }
}
