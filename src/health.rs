//! `/healthz` and `/metrics` over HTTP on a local address, for whoever runs the service. Off
//! unless an address is configured. Read-only: it renders [`Metrics`] and a few store counts.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::metrics::Metrics;
use crate::store::Store;

#[derive(Clone)]
struct Shared {
    metrics: Arc<Metrics>,
    store: Arc<Store>,
}

/// Binds `addr` (failing at once if it cannot) and serves until the task is dropped.
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    store: Arc<Store>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    log::info!("health and metrics on http://{}", listener.local_addr()?);
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(render))
        .with_state(Shared { metrics, store });
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            log::error!("health server stopped: {e}");
        }
    }))
}

async fn healthz(State(s): State<Shared>) -> impl IntoResponse {
    match s.store.subscriber_count() {
        Ok(_) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            log::error!("health check: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

async fn render(State(s): State<Shared>) -> impl IntoResponse {
    let subscribers = s.store.subscriber_count().unwrap_or_default();
    let deliveries = s.store.delivery_totals().unwrap_or_default();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(subscribers, deliveries),
    )
}

/// `lianghui-bot healthcheck`: GET /healthz on `addr` with a plain TCP request (the runtime
/// image has no curl). True when the answer is 200.
pub fn check(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let timeout = std::time::Duration::from_secs(3);
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    if stream
        .write_all(format!("GET /healthz HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 16];
    let n = stream.read(&mut head).unwrap_or(0);
    let head = String::from_utf8_lossy(&head[..n]);
    head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200")
}
