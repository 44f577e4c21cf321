//! A fake Telegram Bot API server on loopback, for driving the real binary in tests.
//!
//! It answers the methods the bot calls (teloxide sends PascalCase names), hands out queued
//! updates to `GetUpdates`, records every request, and can be scripted to fail a method for a
//! chat (403, 429 with `retry_after`, …). Lives only in the tests.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Json;
use serde_json::{Value, json};

pub const BOT_ID: i64 = 777_000;
pub const BOT_USERNAME: &str = "lianghui_test_bot";
pub const TOKEN: &str = "123456:TEST-TOKEN-abcdef";

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub body: Value,
    pub at: Instant,
}

impl Request {
    pub fn chat_id(&self) -> Option<i64> {
        self.body.get("chat_id").and_then(Value::as_i64)
    }

    pub fn text(&self) -> &str {
        self.body
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Inner {
    updates: Vec<Value>,
    next_update_id: i64,
    next_message_id: i64,
    requests: Vec<Request>,
    /// Files the bot may download, by file id.
    files: HashMap<String, Vec<u8>>,
    /// Scripted replies for (method, chat), used in order, before answering normally.
    scripts: HashMap<(String, i64), VecDeque<Value>>,
}

#[derive(Clone, Default)]
pub struct FakeApi {
    inner: Arc<Mutex<Inner>>,
    notify: Arc<tokio::sync::Notify>,
    pub url: String,
}

impl FakeApi {
    /// Starts the server on a free loopback port, on the current tokio runtime.
    pub async fn start() -> FakeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api = FakeApi {
            url: format!("http://{}/", listener.local_addr().unwrap()),
            ..FakeApi::default()
        };
        api.inner.lock().unwrap().next_update_id = 1;
        let app = Router::new()
            .fallback(axum::routing::get(download))
            .route("/{bot}/{method}", axum::routing::post(handle))
            .with_state(api.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        api
    }

    fn push_update(&self, mut update: Value) -> i64 {
        let mut inner = self.inner.lock().unwrap();
        let id = inner.next_update_id;
        inner.next_update_id += 1;
        update["update_id"] = json!(id);
        inner.updates.push(update);
        drop(inner);
        self.notify.notify_waiters();
        id
    }

    /// A text message from `user` in a private chat with them.
    pub fn private_text(&self, user: i64, text: &str) {
        self.push_update(json!({ "message": message(user, user, "private", text) }));
    }

    /// A text message from `user` in the group `chat`.
    pub fn group_text(&self, chat: i64, user: i64, text: &str) {
        self.push_update(json!({ "message": message(chat, user, "group", text) }));
    }

    /// A message of another kind (sticker) from `user` in a private chat.
    pub fn private_sticker(&self, user: i64) {
        let mut m = message(user, user, "private", "");
        m.as_object_mut().unwrap().remove("text");
        m["sticker"] = json!({
            "file_id": "s1", "file_unique_id": "u1", "type": "regular",
            "width": 512, "height": 512, "is_animated": false, "is_video": false
        });
        self.push_update(json!({ "message": m }));
    }

    /// An edited message.
    pub fn private_edit(&self, user: i64, text: &str) {
        let mut m = message(user, user, "private", text);
        m["edit_date"] = json!(1_717_142_500);
        self.push_update(json!({ "edited_message": m }));
    }

    /// A press of an inline button with `data`, under a message the bot sent to `user`.
    pub fn press(&self, user: i64, data: &str) {
        let mut m = message(user, BOT_ID, "private", "公告预览");
        m["from"] =
            json!({ "id": BOT_ID, "is_bot": true, "first_name": "bot", "username": BOT_USERNAME });
        self.push_update(json!({
            "callback_query": {
                "id": format!("cb{}", rand_id()),
                "from": { "id": user, "is_bot": false, "first_name": "用户" },
                "chat_instance": "ci",
                "data": data,
                "message": m,
            }
        }));
    }

    /// An inline query `query` from `user`.
    pub fn inline(&self, user: i64, query: &str) {
        self.push_update(json!({
            "inline_query": {
                "id": format!("iq{}", rand_id()),
                "from": { "id": user, "is_bot": false, "first_name": "用户" },
                "query": query,
                "offset": "",
            }
        }));
    }

    /// A file sent by `user` in a private chat; `size` is what Telegram reports for it.
    pub fn private_document(&self, user: i64, name: &str, bytes: &[u8], size: usize) {
        let id = format!("file{}", rand_id());
        self.inner
            .lock()
            .unwrap()
            .files
            .insert(id.clone(), bytes.to_vec());
        let mut m = message(user, user, "private", "");
        m.as_object_mut().unwrap().remove("text");
        m["document"] = json!({ "file_id": id, "file_unique_id": format!("u{id}"), "file_size": size, "file_name": name });
        self.push_update(json!({ "message": m }));
    }

    /// From now on, `method` for `chat` answers `reply` (once per call of this function).
    pub fn script(&self, method: &str, chat: i64, reply: Value) {
        self.inner
            .lock()
            .unwrap()
            .scripts
            .entry((method.to_owned(), chat))
            .or_default()
            .push_back(reply);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Texts the bot sent to `chat` with SendMessage or EditMessageText, in order.
    pub fn sent_to(&self, chat: i64) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| {
                (r.method == "SendMessage" || r.method == "EditMessageText")
                    && r.chat_id() == Some(chat)
            })
            .map(|r| r.text().to_owned())
            .collect()
    }

    /// Waits until `pred` holds over the requests so far, or panics after `timeout`.
    pub async fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&[Request]) -> bool,
    ) -> Vec<Request> {
        let deadline = Instant::now() + timeout;
        loop {
            let reqs = self.requests();
            if pred(&reqs) {
                return reqs;
            }
            if Instant::now() > deadline {
                let tail: Vec<String> = reqs
                    .iter()
                    .rev()
                    .take(15)
                    .map(|r| format!("{} {}", r.method, r.body))
                    .collect();
                panic!(
                    "timed out waiting for {what}; last requests:\n{}",
                    tail.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `chat` has received at least `n` messages, and returns them.
    pub async fn wait_sent(&self, chat: i64, n: usize) -> Vec<String> {
        self.wait_for(
            &format!("{n} messages to {chat}"),
            Duration::from_secs(20),
            |_| self.sent_to(chat).len() >= n,
        )
        .await;
        self.sent_to(chat)
    }
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

fn message(chat: i64, user: i64, kind: &str, text: &str) -> Value {
    let chat_json = if kind == "private" {
        json!({ "id": chat, "type": "private", "first_name": "用户" })
    } else {
        json!({ "id": chat, "type": kind, "title": "邻里群" })
    };
    json!({
        "message_id": rand_id() as i64,
        "date": 1_717_142_400,
        "chat": chat_json,
        "from": { "id": user, "is_bot": false, "first_name": "用户" },
        "text": text,
    })
}

fn ok(result: Value) -> Json<Value> {
    Json(json!({ "ok": true, "result": result }))
}

async fn handle(
    State(api): State<FakeApi>,
    Path((bot, method)): Path<(String, String)>,
    body: String,
) -> Json<Value> {
    assert_eq!(
        bot,
        format!("bot{TOKEN}"),
        "the bot must use its token in the path"
    );
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let chat = body
        .get("chat_id")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    let scripted = {
        let mut inner = api.inner.lock().unwrap();
        inner.requests.push(Request {
            method: method.clone(),
            body: body.clone(),
            at: Instant::now(),
        });
        inner
            .scripts
            .get_mut(&(method.clone(), chat))
            .and_then(VecDeque::pop_front)
    };
    if let Some(reply) = scripted {
        return Json(reply);
    }
    match method.as_str() {
        "GetMe" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "两会问答", "username": BOT_USERNAME,
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": true, "has_main_web_app": false
        })),
        "GetFile" => {
            let id = body
                .get("file_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let size = api.inner.lock().unwrap().files.get(&id).map_or(0, Vec::len);
            ok(
                json!({ "file_id": id, "file_unique_id": format!("u{id}"), "file_size": size, "file_path": format!("documents/{id}") }),
            )
        }
        "GetWebhookInfo" => {
            ok(json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 }))
        }
        "GetUpdates" => {
            let offset = body.get("offset").and_then(Value::as_i64).unwrap_or(0);
            let deadline = Instant::now() + Duration::from_millis(250);
            loop {
                let notified = api.notify.notified();
                let ready: Vec<Value> = {
                    let mut inner = api.inner.lock().unwrap();
                    inner
                        .updates
                        .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                    inner.updates.clone()
                };
                if !ready.is_empty() || Instant::now() >= deadline {
                    return ok(Value::Array(ready));
                }
                let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
            }
        }
        "SendMessage" | "EditMessageText" => {
            let id = {
                let mut inner = api.inner.lock().unwrap();
                inner.next_message_id += 1;
                inner.next_message_id
            };
            ok(json!({
                "message_id": body.get("message_id").and_then(Value::as_i64).unwrap_or(id),
                "date": 1_717_142_400,
                "chat": { "id": chat, "type": "private", "first_name": "用户" },
                "from": { "id": BOT_ID, "is_bot": true, "first_name": "两会问答", "username": BOT_USERNAME },
                "text": body.get("text").cloned().unwrap_or(json!("")),
            }))
        }
        _ => ok(json!(true)),
    }
}

/// File downloads: `GET /file/bot<token>/<file_path>` (the path may arrive percent-encoded).
async fn download(
    State(api): State<FakeApi>,
    uri: axum::http::Uri,
) -> (axum::http::StatusCode, Vec<u8>) {
    let path = uri.path().replace("%2F", "/");
    if !path.contains(&format!("file/bot{TOKEN}/")) {
        return (axum::http::StatusCode::NOT_FOUND, Vec::new());
    }
    let inner = api.inner.lock().unwrap();
    match inner
        .files
        .iter()
        .find(|(id, _)| path.ends_with(&format!("/{id}")))
    {
        Some((_, bytes)) => (axum::http::StatusCode::OK, bytes.clone()),
        None => (axum::http::StatusCode::NOT_FOUND, Vec::new()),
    }
}

/// An error reply as Telegram sends it.
pub fn error(code: u16, description: &str) -> Value {
    json!({ "ok": false, "error_code": code, "description": description })
}

/// A 429 reply with `retry_after`.
pub fn too_many(retry_after: u64) -> Value {
    json!({
        "ok": false, "error_code": 429,
        "description": format!("Too Many Requests: retry after {retry_after}"),
        "parameters": { "retry_after": retry_after }
    })
}
