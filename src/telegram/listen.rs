//! How the bot stays connected: reaching the Bot API at start (retrying with backoff until it
//! answers or the bot is stopped), a heartbeat that tells [`crate::health`] whether it still
//! answers and whether this process is alive, and how updates arrive: long polling (the
//! default) or a webhook ([`super::webhook`]). Either way every update goes to the intake
//! ([`super::intake`]), and Telegram is told it arrived only once the intake keeps it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use teloxide::payloads::{GetUpdatesSetters, SetWebhookSetters};
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, Me};
use tokio::sync::watch;

use super::intake::{Incoming, Intake, Refused};
use super::signals::stopped;
use super::webhook;
use crate::config::{Secret, Webhook};
use crate::health;
use crate::store::Store;
use crate::time::now_unix;

/// Longest wait between two attempts to reach the Bot API, at start and between polls.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often the heartbeat asks the Bot API whether it answers.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How often the process says it is alive (for the health check in another process).
const ALIVE_EVERY: Duration = Duration::from_secs(5);
/// How long one long poll waits for updates, in seconds.
const POLL_SECONDS: u32 = 10;

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
    token: &Secret,
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
                let e = token.redact(&e.to_string());
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

/// Says every [`ALIVE_EVERY`] that this process is alive, and every [`HEARTBEAT`] whether the
/// Bot API answers, for the health check; forgets long-handled updates once an hour.
pub fn heartbeat(bot: Bot, store: Arc<Store>, token: Secret) -> tokio::task::JoinHandle<()> {
    let alive_store = store.clone();
    tokio::spawn(async move {
        let mut ticks: u64 = 0;
        loop {
            let now = now_unix();
            let noted = alive_store
                .with(move |s| {
                    health::record_alive(s, now)?;
                    if ticks.is_multiple_of(720) {
                        s.inbox_prune(now - 2 * 86_400)?;
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = noted {
                log::warn!("cannot record that the bot is alive: {e}");
            }
            ticks += 1;
            tokio::time::sleep(ALIVE_EVERY).await;
        }
    });
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            let answer = bot
                .get_me()
                .await
                .map(drop)
                .map_err(|e| token.redact(&e.to_string()));
            if let Err(e) = &answer {
                log::warn!("the Bot API does not answer: {e}");
            }
            record(&store, answer).await;
        }
    })
}

/// The updates the bot asks Telegram for.
fn allowed_updates() -> Vec<AllowedUpdate> {
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::CallbackQuery,
        AllowedUpdate::InlineQuery,
    ]
}

/// Long polling until `stop`: each batch goes to the intake, and only once the intake keeps it
/// (in the inbox) does the next poll's offset confirm it to Telegram. While too much waits to
/// be handled, nothing more is fetched: Telegram keeps it.
pub async fn poll(
    bot: &Bot,
    intake: &Intake,
    store: &Arc<Store>,
    token: &Secret,
    mut stop: watch::Receiver<bool>,
) {
    if let Err(e) = bot.delete_webhook().await {
        log::warn!("cannot remove a webhook before polling: {e}");
    }
    let mut offset: Option<i32> = None;
    let mut failures = 0;
    loop {
        if intake.backlogged() {
            tokio::select! {
                _ = stopped(&mut stop) => break,
                _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
            }
        }
        let mut request = bot
            .get_updates()
            .timeout(POLL_SECONDS)
            .allowed_updates(allowed_updates());
        if let Some(o) = offset {
            request = request.offset(o);
        }
        let answer = tokio::select! {
            _ = stopped(&mut stop) => break,
            answer = request.send() => answer,
        };
        let updates = match answer {
            Ok(updates) => {
                failures = 0;
                record(store, Ok(())).await;
                updates
            }
            Err(e) => {
                let e = token.redact(&e.to_string());
                let wait = backoff(failures);
                failures += 1;
                log::warn!(
                    "getting updates failed: {e}; trying again in {}s",
                    wait.as_secs()
                );
                record(store, Err(e)).await;
                tokio::select! {
                    _ = stopped(&mut stop) => break,
                    _ = tokio::time::sleep(wait) => continue,
                }
            }
        };
        let Some(last) = updates.iter().map(|u| u.id).max() else {
            continue;
        };
        let batch = updates.into_iter().map(Incoming::from_update).collect();
        match intake.offer(batch).await {
            Ok(_) => offset = Some(last.as_offset()),
            Err(Refused::Closing) => break,
            Err(e) => {
                // Not confirmed: the next poll gets the same updates again.
                log::warn!("cannot take updates now ({e}); they are polled again");
                tokio::select! {
                    _ = stopped(&mut stop) => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}

/// The webhook until `stop`: sets it at Telegram with its secret token, serves it on the
/// listen address, and removes it when stopping.
pub async fn webhook(
    bot: &Bot,
    intake: &Intake,
    w: Webhook,
    token: &Secret,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let url: url::Url = w
        .url
        .parse()
        .with_context(|| format!("LIANGHUI_WEBHOOK_URL {:?} is not a URL", w.url))?;
    let secret = match &w.secret {
        Some(s) => s.expose().to_owned(),
        None => random_secret(),
    };
    anyhow::ensure!(
        valid_secret(&secret),
        "LIANGHUI_WEBHOOK_SECRET must be 1 to 256 of A-Z, a-z, 0-9, _ and -"
    );
    let tcp = tokio::net::TcpListener::bind(w.listen)
        .await
        .with_context(|| format!("cannot listen for the webhook on {}", w.listen))?;
    bot.set_webhook(url.clone())
        .secret_token(secret.clone())
        .allowed_updates(allowed_updates())
        .max_connections(40)
        .await
        .map_err(|e| anyhow!("cannot set the webhook: {}", token.redact(&e.to_string())))?;
    log::info!("webhook: listening on {} for {}", w.listen, w.url);
    let path = match url.path() {
        "" => "/".to_owned(),
        p => p.to_owned(),
    };
    webhook::serve(
        tcp,
        path,
        secret,
        intake.clone(),
        webhook::Limits::default(),
        stop,
    )
    .await;
    if let Err(e) = bot.delete_webhook().await {
        log::warn!("cannot remove the webhook: {e}");
    }
    Ok(())
}

/// A secret token for the webhook when none is configured: 32 random letters and digits.
fn random_secret() -> String {
    let mut bytes = [0u8; 24];
    if getrandom::fill(&mut bytes).is_err() {
        // No system randomness: still unguessable enough from the outside for one run.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes[..16].copy_from_slice(&nanos.to_le_bytes());
    }
    hex::encode(bytes)
}

/// A secret token as Telegram takes it: 1 to 256 of A-Z, a-z, 0-9, `_` and `-`.
fn valid_secret(s: &str) -> bool {
    (1..=256).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
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
    }
}
