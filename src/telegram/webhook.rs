//! The webhook listener: Telegram posts updates here, and so may anyone who can reach the port.
//!
//! A plain HTTP/1.1 server (hyper) that holds up when it is misused: headers must arrive within
//! a few seconds (which also closes idle keep-alive connections), a body within its own timeout
//! and size limit, and connections are capped; at the cap, a new connection evicts the oldest
//! one that has not completed a request yet (a slow or idle one), so a slowloris of a thousand
//! connections cannot keep Telegram out. Accept errors (out of file descriptors) are waited
//! out, not spun on. A request without the secret token gets 401 and a log line. An update is
//! answered 200 only once it is in the inbox ([`super::intake`]); when the bot is stopping or
//! too much waits, 503 with `Retry-After`, so Telegram offers it again. A body that is not an
//! update is answered 200 and logged by its size only (Telegram would resend it forever
//! otherwise, and it may hold a citizen's text). Nothing here parses more than the update.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming as Body;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use teloxide::types::Update;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use super::intake::{Incoming, Intake, Refused};

/// What the listener tolerates.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Time for a request's headers to arrive (and for an idle keep-alive connection).
    pub header_timeout: Duration,
    /// Time for a request's body to arrive.
    pub body_timeout: Duration,
    /// Largest body accepted, in bytes (an update is a few kilobytes).
    pub max_body: usize,
    /// Longest a connection stays open, however busy.
    pub max_lifetime: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 256,
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            max_body: 1024 * 1024,
            max_lifetime: Duration::from_secs(600),
        }
    }
}

/// What every request is checked against.
struct Endpoint {
    path: String,
    secret: String,
    intake: Intake,
    limits: Limits,
}

/// One open connection, for eviction.
struct Open {
    id: u64,
    opened: Instant,
    /// It has completed a request (it is not a slowloris).
    served: Arc<AtomicBool>,
    evict: Option<oneshot::Sender<()>>,
}

#[derive(Default)]
struct Connections {
    open: Mutex<Vec<Open>>,
    next: AtomicU64,
}

impl Connections {
    /// Registers a new connection; at the cap, first evicts the oldest one that has not served
    /// a request (or, if all have, the oldest). Returns its id, its flag and its eviction signal.
    fn admit(&self, max: usize) -> (u64, Arc<AtomicBool>, oneshot::Receiver<()>) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while open.len() >= max.max(1) {
            let victim = open
                .iter()
                .enumerate()
                .filter(|(_, o)| !o.served.load(Ordering::Relaxed))
                .min_by_key(|(_, o)| o.opened)
                .or_else(|| open.iter().enumerate().min_by_key(|(_, o)| o.opened))
                .map(|(i, _)| i);
            let Some(i) = victim else { break };
            let mut gone = open.swap_remove(i);
            if let Some(tx) = gone.evict.take() {
                let _ = tx.send(());
            }
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let served = Arc::new(AtomicBool::new(false));
        let (tx, rx) = oneshot::channel();
        open.push(Open {
            id,
            opened: Instant::now(),
            served: served.clone(),
            evict: Some(tx),
        });
        (id, served, rx)
    }

    fn close(&self, id: u64) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = open.iter().position(|o| o.id == id) {
            open.swap_remove(i);
        }
    }
}

/// Serves the webhook on `listener` until `stop`; updates go to `intake`.
pub async fn serve(
    listener: TcpListener,
    path: String,
    secret: String,
    intake: Intake,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let endpoint = Arc::new(Endpoint {
        path,
        secret,
        intake,
        limits,
    });
    let connections = Arc::new(Connections::default());
    loop {
        let accepted = tokio::select! {
            _ = super::signals::stopped(&mut stop) => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was taken: wait a
                // little rather than spin, and go on.
                log::warn!("webhook: cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (id, served, evicted) = connections.admit(limits.max_connections);
        let endpoint = endpoint.clone();
        let connections = connections.clone();
        tokio::spawn(async move {
            connection(stream, peer, endpoint, served, evicted).await;
            connections.close(id);
        });
    }
}

/// One connection, until it ends, is evicted or outlives its lifetime.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    endpoint: Arc<Endpoint>,
    served: Arc<AtomicBool>,
    evicted: oneshot::Receiver<()>,
) {
    let limits = endpoint.limits;
    let service = hyper::service::service_fn(move |req| {
        let endpoint = endpoint.clone();
        let served = served.clone();
        async move {
            let response = respond(&endpoint, req).await;
            served.store(true, Ordering::Relaxed);
            Ok::<_, Infallible>(response)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = conn => {
            if let Err(e) = result {
                log::debug!("webhook: connection from {peer} ended: {e}");
            }
        }
        _ = evicted => log::debug!("webhook: evicted a slow connection from {peer}"),
        _ = tokio::time::sleep(limits.max_lifetime) => {}
    }
}

fn reply(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r
}

/// Both byte strings equal, compared in time that does not depend on where they differ.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The answer to one request.
async fn respond(endpoint: &Endpoint, req: Request<Body>) -> Response<Full<Bytes>> {
    if req.uri().path() != endpoint.path {
        return reply(StatusCode::NOT_FOUND, "not found\n");
    }
    if req.method() != hyper::Method::POST {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "use POST\n");
    }
    let authorised = req
        .headers()
        .get("x-telegram-bot-api-secret-token")
        .is_some_and(|v| same(v.as_bytes(), endpoint.secret.as_bytes()));
    if !authorised {
        log::warn!("webhook: refused a request without the right secret token");
        return reply(StatusCode::UNAUTHORIZED, "unauthorized\n");
    }
    let limits = endpoint.limits;
    let body = Limited::new(req.into_body(), limits.max_body);
    let bytes = match tokio::time::timeout(limits.body_timeout, body.collect()).await {
        Err(_) => return reply(StatusCode::REQUEST_TIMEOUT, "body too slow\n"),
        Ok(Err(_)) => return reply(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n"),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let Ok(update) = serde_json::from_slice::<Update>(&bytes) else {
        log::warn!(
            "webhook: a body of {} bytes is not an update; ignored",
            bytes.len()
        );
        return reply(StatusCode::OK, "ignored\n");
    };
    let incoming = Incoming {
        id: i64::from(update.id.0),
        update,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    match endpoint.intake.offer(vec![incoming]).await {
        Ok(_) => reply(StatusCode::OK, "ok\n"),
        Err(Refused::Closing | Refused::Backlog(_)) => {
            let mut r = reply(StatusCode::SERVICE_UNAVAILABLE, "busy, retry later\n");
            r.headers_mut()
                .insert("retry-after", hyper::header::HeaderValue::from_static("5"));
            r
        }
        Err(Refused::Store(e)) => {
            log::error!("webhook: cannot keep an update: {e}");
            reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot keep the update\n",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_a_slow_connection_makes_room_before_a_served_one() {
        let c = Connections::default();
        let (first, first_served, mut first_evicted) = c.admit(2);
        first_served.store(true, Ordering::Relaxed);
        let (_, _, mut slow_evicted) = c.admit(2);
        let (_, _, _) = c.admit(2);
        assert!(slow_evicted.try_recv().is_ok(), "the slow one went");
        assert!(first_evicted.try_recv().is_err(), "the served one stayed");
        c.close(first);
        assert_eq!(c.open.lock().unwrap().len(), 1);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same(b"secret", b"secret") && !same(b"secret", b"secreT") && !same(b"a", b"ab"));
    }
}
