//! Whether the bot is alive, for whoever runs it: the front end records each time the Bot API
//! answers or fails (in the store, so that `lianghui-bot healthcheck` in another process reads
//! it), and [`liveness`] judges it. `/healthz` and `/metrics` are served over HTTP when an
//! address is configured; they read, never write.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

#[derive(Clone)]
struct Shared {
    metrics: Arc<Metrics>,
    store: Arc<Store>,
    /// Seconds after which an unanswered ticket is overdue; None without a staff group.
    overdue_after: Option<i64>,
}

/// Binds `addr` (failing at once if it cannot) and serves until the task is dropped; with
/// `overdue_after` (a staff group is set) the tickets' figures too.
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    store: Arc<Store>,
    overdue_after: Option<i64>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    log::info!("health and metrics on http://{}", listener.local_addr()?);
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(render))
        .with_state(Shared {
            metrics,
            store,
            overdue_after,
        });
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            log::error!("health server stopped: {e}");
        }
    }))
}

async fn healthz(State(s): State<Shared>) -> impl IntoResponse {
    let store = s.store.clone();
    let checked =
        tokio::task::spawn_blocking(move || liveness(&store, crate::time::now_unix())).await;
    match checked {
        Ok(Ok(status)) => (StatusCode::OK, format!("ok: {status}\n")),
        Ok(Err(why)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unhealthy: {why}\n"),
        ),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("unhealthy: {e}\n")),
    }
}

/// After this many seconds without an answer from the Bot API the bot is unhealthy.
pub const STALE_AFTER_SECS: i64 = 90;
/// After this many seconds without a sign of life from the process the bot is unhealthy (it
/// says it is alive every 5 s).
pub const SILENT_AFTER_SECS: i64 = 20;
/// An update waiting this long while nothing was handled for as long means the bot is stuck.
pub const STALL_AFTER_SECS: i64 = 60;
const API_OK_AT: &str = "api_ok_at";
const API_ERROR_AT: &str = "api_error_at";
const API_ERROR: &str = "api_error";
const ALIVE_AT: &str = "alive_at";
const STOPPED_AT: &str = "stopped_at";

/// The process is alive at `now` (its heartbeat).
pub fn record_alive(store: &Store, now: i64) -> Result<(), StoreError> {
    store.set_meta(ALIVE_AT, &now.to_string())
}

/// The process stopped at `now` (a clean shutdown).
pub fn record_stopped(store: &Store, now: i64) -> Result<(), StoreError> {
    store.set_meta(STOPPED_AT, &now.to_string())
}

/// The Bot API answered (a poll, a getMe) at `now`.
pub fn record_ok(store: &Store, now: i64) -> Result<(), StoreError> {
    store.set_meta(API_OK_AT, &now.to_string())
}

/// A request to the Bot API failed at `now` with `error` (already free of the token).
pub fn record_error(store: &Store, now: i64, error: &str) -> Result<(), StoreError> {
    store.set_meta(API_ERROR_AT, &now.to_string())?;
    store.set_meta(API_ERROR, crate::text::truncate_chars(error, 300))
}

/// Healthy when the database answers, the bot process said it is alive within
/// [`SILENT_AFTER_SECS`] (and did not stop since), updates are being handled (none has waited
/// [`STALL_AFTER_SECS`] while nothing was handled), and the Bot API answered within
/// [`STALE_AFTER_SECS`] and has not failed since; otherwise why not.
pub fn liveness(store: &Store, now: i64) -> Result<String, String> {
    let read = |key| -> Result<Option<String>, String> {
        store
            .meta(key)
            .map_err(|e| format!("the database does not answer: {e}"))
    };
    let at = |key| -> Result<Option<i64>, String> { Ok(read(key)?.and_then(|v| v.parse().ok())) };
    let alive_at = at(ALIVE_AT)?;
    let stopped_at = at(STOPPED_AT)?;
    match (alive_at, stopped_at) {
        (None, _) => return Err("the bot is not running (no sign of life yet)".to_owned()),
        (Some(alive), Some(stopped)) if stopped >= alive => {
            return Err(format!("the bot stopped {}s ago", now - stopped));
        }
        (Some(alive), _) if now - alive > SILENT_AFTER_SECS => {
            return Err(format!(
                "the bot is not running: no sign of life for {}s",
                now - alive
            ));
        }
        _ => {}
    }
    let db = |e: StoreError| format!("the database does not answer: {e}");
    let (waiting, oldest) = store.inbox_backlog().map_err(db)?;
    let handled_at = store.inbox_last_finished().map_err(db)?;
    if let Some(oldest) = oldest
        && now - oldest > STALL_AFTER_SECS
        && handled_at.is_none_or(|h| now - h > STALL_AFTER_SECS)
    {
        return Err(format!(
            "stalled: {waiting} updates waiting, the oldest for {}s, and none handled for {}",
            now - oldest,
            handled_at.map_or("as long".to_owned(), |h| format!("{}s", now - h))
        ));
    }
    let ok_at = at(API_OK_AT)?;
    let error_at = at(API_ERROR_AT)?;
    let error = read(API_ERROR)?.unwrap_or_default();
    match (ok_at, error_at) {
        (None, None) => Err("the bot has not reached the Bot API yet".to_owned()),
        (None, Some(_)) => Err(format!(
            "the Bot API has never answered; last error: {error}"
        )),
        (Some(ok), Some(err)) if err > ok => Err(format!(
            "the Bot API failed {}s ago and has not answered since: {error}",
            now - err
        )),
        (Some(ok), _) if now - ok > STALE_AFTER_SECS => {
            Err(format!("the Bot API has not answered for {}s", now - ok))
        }
        (Some(ok), _) => Ok(format!("the Bot API answered {}s ago", now - ok)),
    }
}

async fn render(State(s): State<Shared>) -> impl IntoResponse {
    let counts = s
        .store
        .with(|st| Ok((st.subscriber_count()?, st.delivery_totals()?)))
        .await;
    let (subscribers, deliveries) = counts.unwrap_or_default();
    let mut text = s.metrics.render(subscribers, deliveries);
    if let Some(after) = s.overdue_after {
        let before = crate::time::now_unix() - after;
        if let Ok(t) = s.store.with(move |st| st.ticket_stats(before)).await {
            text.push_str(&crate::metrics::render_tickets(&t));
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_follows_the_last_answer_of_the_bot_api() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db.sqlite")).unwrap();
        assert!(liveness(&s, 100).unwrap_err().contains("not running"));
        record_alive(&s, 100).unwrap();
        assert!(liveness(&s, 100).unwrap_err().contains("not reached"));
        record_error(&s, 100, "connection refused").unwrap();
        assert!(
            liveness(&s, 101)
                .unwrap_err()
                .contains("connection refused")
        );
        record_ok(&s, 110).unwrap();
        record_alive(&s, 110).unwrap();
        assert!(liveness(&s, 111).is_ok());
        record_alive(&s, 110 + STALE_AFTER_SECS).unwrap();
        assert!(
            liveness(&s, 110 + STALE_AFTER_SECS + 1)
                .unwrap_err()
                .contains("not answered")
        );
        record_error(&s, 120, "502").unwrap();
        assert!(liveness(&s, 121).unwrap_err().contains("502"));
        record_ok(&s, 130).unwrap();
        record_alive(&s, 130).unwrap();
        assert!(liveness(&s, 131).is_ok());
    }

    #[test]
    fn liveness_sees_a_stopped_bot_and_a_stall() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db.sqlite")).unwrap();
        record_ok(&s, 100).unwrap();
        record_alive(&s, 100).unwrap();
        assert!(liveness(&s, 101).is_ok());
        // Silent: killed, or stuck so badly that its heartbeat does not run.
        let silent = liveness(&s, 100 + SILENT_AFTER_SECS + 1).unwrap_err();
        assert!(silent.contains("no sign of life"), "{silent}");
        // Stopped cleanly: unhealthy at once.
        record_stopped(&s, 102).unwrap();
        assert!(liveness(&s, 103).unwrap_err().contains("stopped"));
        // Running again, with updates received and not handled.
        record_alive(&s, 200).unwrap();
        record_ok(&s, 200).unwrap();
        s.inbox_add(&[(1, "{}".into()), (2, "{}".into())], 150)
            .unwrap();
        s.inbox_finish(&[(1, crate::store::InboxState::Done)], 150)
            .unwrap();
        record_alive(&s, 220).unwrap();
        let stalled = liveness(&s, 220).unwrap_err();
        assert!(stalled.contains("stalled: 1 updates waiting"), "{stalled}");
        // One slow chat while others are handled is not a stall.
        s.inbox_add(&[(3, "{}".into())], 215).unwrap();
        s.inbox_finish(&[(3, crate::store::InboxState::Done)], 219)
            .unwrap();
        assert!(liveness(&s, 220).is_ok());
    }
}
