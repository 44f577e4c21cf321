//! A fake Telegram Bot API server on loopback, for driving the real binary in tests.
//!
//! It answers the methods the bot calls (teloxide sends PascalCase names), hands out queued
//! updates to `GetUpdates`, records every request, and can be scripted to fail a method for a
//! chat (403, 429 with `retry_after`, …). Like Telegram, it refuses what Telegram refuses: HTML
//! it cannot parse (unknown tags, unbalanced tags, a named entity other than `&lt; &gt; &amp;
//! &quot;`), text over 4,096 characters after parsing, empty text and `callback_data` over 64
//! bytes; a refused request is recorded with its error so that tests can see it. Lives only in
//! the tests.

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
    /// What the fake refused it for, as Telegram would have.
    pub refused: Option<String>,
    /// The id of the message it sent (SendMessage) or changed (EditMessage…).
    pub message_id: Option<i64>,
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
    /// Faults for a method, used in order, before anything else.
    faults: HashMap<String, VecDeque<Fault>>,
    /// Every request fails with an HTML 502, as a proxy in front of a dead server answers.
    down: bool,
}

/// What can go wrong between the bot and the Bot API.
#[derive(Debug, Clone)]
pub enum Fault {
    /// The answer comes this late (then normally).
    Slow(Duration),
    /// The answer is not JSON.
    Garbled,
    /// An HTML error page with status 500, as a proxy answers.
    Html500,
    /// The connection is closed without an answer.
    Dropped,
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
        Self::start_on(0).await
    }

    /// A fake that is not started yet: the bot pointed at it finds nothing listening on `port`.
    pub fn unreachable(port: u16) -> FakeApi {
        FakeApi {
            url: format!("http://127.0.0.1:{port}/"),
            ..FakeApi::default()
        }
    }

    /// Starts the server on loopback port `port` (0: any free one).
    pub async fn start_on(port: u16) -> FakeApi {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
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

    /// A text message from `user` in the group `chat`; returns its message id.
    pub fn group_text(&self, chat: i64, user: i64, text: &str) -> i64 {
        let m = message(chat, user, "group", text);
        let id = m["message_id"].as_i64().unwrap_or_default();
        self.push_update(json!({ "message": m }));
        id
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
        let m = message(user, BOT_ID, "private", "公告预览");
        self.push_press(user, data, m);
    }

    /// A callback query from `user` with `data`, under `message` (made the bot's own here).
    fn push_press(&self, user: i64, data: &str, mut message: Value) {
        message["from"] =
            json!({ "id": BOT_ID, "is_bot": true, "first_name": "bot", "username": BOT_USERNAME });
        self.push_update(json!({
            "callback_query": {
                "id": format!("cb{}", rand_id()),
                "from": { "id": user, "is_bot": false, "first_name": "用户" },
                "chat_instance": "ci",
                "data": data,
                "message": message,
            }
        }));
    }

    /// A press of the button with `data` under the latest message the bot sent to `chat` that
    /// has it, by `user`: the callback carries that message, its id and its current keyboard,
    /// as Telegram's does.
    pub fn press_under(&self, user: i64, chat: i64, data: &str) {
        let reqs = self.requests();
        let has_button = |r: &Request| {
            r.body["reply_markup"]["inline_keyboard"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|row| row.as_array().into_iter().flatten())
                .any(|b| b["callback_data"] == data)
        };
        let sent = reqs
            .iter()
            .rev()
            .find(|r| {
                r.refused.is_none()
                    && r.chat_id() == Some(chat)
                    && r.message_id.is_some()
                    && has_button(r)
            })
            .unwrap_or_else(|| panic!("no message to {chat} with button {data}"));
        let id = sent.message_id.unwrap_or_default();
        // The keyboard as it is now: the latest markup sent or set for that message.
        let markup = reqs
            .iter()
            .rev()
            .find(|r| {
                r.refused.is_none()
                    && r.message_id == Some(id)
                    && r.body.get("reply_markup").is_some()
            })
            .map_or(Value::Null, |r| r.body["reply_markup"].clone());
        let kind = if chat < 0 { "group" } else { "private" };
        let mut m = message(chat, BOT_ID, kind, sent.text());
        m["message_id"] = json!(id);
        m["reply_markup"] = markup;
        self.push_press(user, data, m);
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

    /// The next `times` calls of `method` meet `fault`.
    pub fn fault(&self, method: &str, fault: Fault, times: usize) {
        let mut inner = self.inner.lock().unwrap();
        let queue = inner.faults.entry(method.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// Forgets every fault not met yet.
    pub fn clear_faults(&self) {
        self.inner.lock().unwrap().faults.clear();
    }

    /// Takes the whole Bot API down (every request: HTML 502) or brings it back.
    pub fn set_down(&self, down: bool) {
        self.inner.lock().unwrap().down = down;
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

    /// Requests Telegram would have refused, with why.
    pub fn refused(&self) -> Vec<(String, String)> {
        self.requests()
            .into_iter()
            .filter_map(|r| r.refused.map(|e| (format!("{} {}", r.method, r.body), e)))
            .collect()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Texts the bot sent to `chat` with SendMessage or EditMessageText and that Telegram
    /// would have accepted, in order.
    pub fn sent_to(&self, chat: i64) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| {
                (r.method == "SendMessage" || r.method == "EditMessageText")
                    && r.chat_id() == Some(chat)
                    && r.refused.is_none()
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
    headers: axum::http::HeaderMap,
    body: String,
) -> axum::response::Response {
    let body = match headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.split("boundary=").nth(1))
    {
        Some(boundary) => multipart_as_json(&body, boundary.trim_matches('"')),
        None => body,
    };
    use axum::response::IntoResponse;
    let (down, fault) = {
        let mut inner = api.inner.lock().unwrap();
        let fault = inner.faults.get_mut(&method).and_then(VecDeque::pop_front);
        (inner.down, fault)
    };
    let html = |status: u16| {
        let code = axum::http::StatusCode::from_u16(status).unwrap();
        (
            code,
            [("content-type", "text/html")],
            "<html><body><h1>Bad Gateway</h1></body></html>",
        )
            .into_response()
    };
    if down {
        api.inner.lock().unwrap().requests.push(Request {
            method: method.clone(),
            body: Value::Null,
            at: Instant::now(),
            refused: Some("the Bot API is down".to_owned()),
            message_id: None,
        });
        return html(502);
    }
    match fault {
        Some(Fault::Slow(d)) => tokio::time::sleep(d).await,
        Some(Fault::Garbled) => return (axum::http::StatusCode::OK, "{\"ok\": tr").into_response(),
        Some(Fault::Html500) => return html(500),
        Some(Fault::Dropped) => {
            // Ending the connection's task closes it without an answer.
            std::panic::resume_unwind(Box::new("the fake drops this connection"))
        }
        None => {}
    }
    answer(api, bot, method, body).await.into_response()
}

/// A multipart/form-data body (teloxide sends some methods so) as the JSON object of its
/// fields, each value parsed as JSON where it is JSON.
fn multipart_as_json(body: &str, boundary: &str) -> String {
    let mut fields = serde_json::Map::new();
    for part in body.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
        else {
            continue;
        };
        let value = value.trim_end_matches("\r\n");
        let parsed = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
        fields.insert(name.to_owned(), parsed);
    }
    Value::Object(fields).to_string()
}

/// The normal answer to a Bot API request.
async fn answer(api: FakeApi, bot: String, method: String, body: String) -> Json<Value> {
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
    let (scripted, message_id) = {
        let mut inner = api.inner.lock().unwrap();
        let refused = refusal(&method, &body);
        let message_id = match method.as_str() {
            "SendMessage" if refused.is_none() => {
                inner.next_message_id += 1;
                Some(inner.next_message_id)
            }
            "EditMessageText" | "EditMessageReplyMarkup" => {
                body.get("message_id").and_then(Value::as_i64)
            }
            _ => None,
        };
        inner.requests.push(Request {
            method: method.clone(),
            body: body.clone(),
            at: Instant::now(),
            refused,
            message_id,
        });
        let scripted = inner
            .scripts
            .get_mut(&(method.clone(), chat))
            .and_then(VecDeque::pop_front);
        (scripted, message_id)
    };
    if let Some(reply) = scripted {
        return Json(reply);
    }
    if let Some(description) = refusal(&method, &body) {
        return Json(error(400, &description));
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
        "SendMessage" | "EditMessageText" | "EditMessageReplyMarkup" => ok(json!({
            "message_id": message_id.unwrap_or_default(),
            "date": 1_717_142_400,
            "chat": { "id": chat, "type": "private", "first_name": "用户" },
            "from": { "id": BOT_ID, "is_bot": true, "first_name": "两会问答", "username": BOT_USERNAME },
            "text": body.get("text").cloned().unwrap_or(json!("")),
        })),
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

/// Telegram's limit on a message's text after entity parsing, in UTF-16 code units.
pub const MAX_TEXT: usize = 4096;
/// Telegram's limit on `callback_data`, in bytes.
pub const MAX_CALLBACK_DATA: usize = 64;

/// Why Telegram would refuse this request, if it would.
pub fn refusal(method: &str, body: &Value) -> Option<String> {
    let html = |v: &Value| v.get("parse_mode").and_then(Value::as_str) == Some("HTML");
    let mut texts: Vec<(&str, bool)> = Vec::new();
    match method {
        "SendMessage" | "EditMessageText" => {
            texts.push((
                body.get("text").and_then(Value::as_str).unwrap_or_default(),
                html(body),
            ));
        }
        "AnswerInlineQuery" => {
            for r in body
                .get("results")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let content = &r["input_message_content"];
                texts.push((
                    content["message_text"].as_str().unwrap_or_default(),
                    html(content),
                ));
                if let Some(e) = buttons_refusal(&r["reply_markup"]) {
                    return Some(e);
                }
            }
        }
        _ => {}
    }
    for (text, is_html) in texts {
        let visible = if is_html {
            match parse_html(text) {
                Ok(v) => v,
                Err(e) => return Some(format!("Bad Request: can't parse entities: {e}")),
            }
        } else {
            text.to_owned()
        };
        if visible.trim().is_empty() {
            return Some("Bad Request: message text is empty".to_owned());
        }
        if visible.encode_utf16().count() > MAX_TEXT {
            return Some("Bad Request: message is too long".to_owned());
        }
    }
    buttons_refusal(body.get("reply_markup").unwrap_or(&Value::Null))
}

fn buttons_refusal(markup: &Value) -> Option<String> {
    for row in markup["inline_keyboard"].as_array().into_iter().flatten() {
        for b in row.as_array().into_iter().flatten() {
            if b["text"].as_str().is_none_or(str::is_empty) {
                return Some("Bad Request: button text is empty".to_owned());
            }
            if b["callback_data"]
                .as_str()
                .is_some_and(|d| d.len() > MAX_CALLBACK_DATA)
            {
                return Some("Bad Request: BUTTON_DATA_INVALID".to_owned());
            }
        }
    }
    None
}

/// The tags Telegram's HTML knows.
const TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
];

/// Parses Telegram HTML as Telegram does (strictly enough), returning the visible text.
pub fn parse_html(text: &str) -> Result<String, String> {
    let mut visible = String::with_capacity(text.len());
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest.find('>').ok_or("unclosed start tag")?;
                let tag = &rest[1..end];
                let (closing, body) = match tag.strip_prefix('/') {
                    Some(b) => (true, b),
                    None => (false, tag),
                };
                let name = body
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if !TAGS.contains(&name.as_str()) {
                    return Err(format!("unsupported start tag \"{name}\""));
                }
                if closing {
                    if open.pop().as_deref() != Some(name.as_str()) {
                        return Err(format!("unmatched end tag \"{name}\""));
                    }
                } else {
                    open.push(name);
                }
                rest = &rest[end + 1..];
            }
            '&' => {
                let end = rest.find(';').filter(|&e| e <= 10).ok_or("unescaped &")?;
                let entity = &rest[1..end];
                let ch = match entity {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "quot" => '"',
                    e if e.starts_with('#') => {
                        let n = e.strip_prefix("#x").map_or_else(
                            || e[1..].parse::<u32>().ok(),
                            |h| u32::from_str_radix(h, 16).ok(),
                        );
                        n.and_then(char::from_u32).ok_or("bad numeric entity")?
                    }
                    other => return Err(format!("unsupported entity &{other};")),
                };
                visible.push(ch);
                rest = &rest[end + 1..];
            }
            '>' => return Err("unescaped >".to_owned()),
            _ => {
                visible.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if let Some(tag) = open.pop() {
        return Err(format!("unclosed tag \"{tag}\""));
    }
    Ok(visible)
}

#[test]
fn the_fake_refuses_what_telegram_refuses() {
    assert_eq!(parse_html("a &lt;b&gt; <b>粗</b>").unwrap(), "a <b> 粗");
    for bad in [
        "<b>x",
        "x</b>",
        "<script>x</script>",
        "&nbsp;",
        "a & b",
        "a > b",
        "&am",
    ] {
        assert!(parse_html(bad).is_err(), "{bad}");
    }
    let send = |text: &str| json!({ "chat_id": 1, "text": text, "parse_mode": "HTML" });
    assert!(refusal("SendMessage", &send(&"字".repeat(MAX_TEXT))).is_none());
    assert!(
        refusal("SendMessage", &send(&"字".repeat(MAX_TEXT + 1)))
            .unwrap()
            .contains("too long")
    );
    // Markup does not count, emoji count twice.
    assert!(
        refusal(
            "SendMessage",
            &send(&format!("<b>{}</b>", "字".repeat(MAX_TEXT)))
        )
        .is_none()
    );
    assert!(refusal("SendMessage", &send(&"📄".repeat(MAX_TEXT / 2 + 1))).is_some());
    let long_data = json!({ "chat_id": 1, "text": "x", "reply_markup": { "inline_keyboard": [[
        { "text": "原文", "callback_data": "x".repeat(65) }
    ]] } });
    assert_eq!(
        refusal("SendMessage", &long_data).unwrap(),
        "Bad Request: BUTTON_DATA_INVALID"
    );
}
