//! A strict fake Telegram Bot API server on loopback, for driving the real bot binary in tests.
//!
//! It speaks the Bot API's HTTP protocol (`POST /bot<token>/<method>` with JSON, multipart or
//! urlencoded parameters, method names in any letter case) and keeps what Telegram keeps: the
//! chats the bot knows (private chats of users who wrote to it, groups, supergroups, forums with
//! topics), the messages in them, the pending updates and their confirmation, callback and
//! inline queries, the webhook and the command menus. It refuses what Telegram refuses, with
//! Telegram's HTTP status and error body: unknown methods (404), unknown, missing or mistyped
//! parameters, HTML Telegram cannot parse, texts too long or empty, bad keyboards, replies to
//! messages that do not exist, edits of missing messages and edits that change nothing, messages
//! to users who never wrote to the bot (403), unknown chats and topics, queries answered twice or
//! too late, getUpdates while a webhook is set (409). Every request is recorded with why it was
//! refused, so a test can assert that Telegram would have taken everything the bot sent. Faults
//! (slow, garbled, HTML 500, dropped, down) and scripted replies (403, 429, …) simulate a flaky
//! Bot API. It does not do: Markdown or MarkdownV2 parsing (such texts are taken as plain text),
//! automatic url/mention/hashtag entities in the bot's own texts, privacy mode, flood limits of
//! its own (429 comes only from a script), media other than photos and documents, inline
//! messages, payments, business or direct-messages chats, channels. `NOTES.md` beside it lists
//! every rule. It lives only in the tests and uses only axum, tokio, serde_json and std.

// Not every test binary that includes this file uses every helper.
#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

// ------------------------------------------------------------------------------- constants

pub const BOT_ID: i64 = 777_000;
pub const BOT_USERNAME: &str = "lianghui_test_bot";
/// The bot's first name, as getMe and the `from` of its messages show it.
pub const BOT_NAME: &str = "两会问答";
pub const TOKEN: &str = "123456:TEST-TOKEN-abcdef";
/// Telegram's limit on a message's text after entity parsing, in UTF-16 code units.
pub const MAX_TEXT: usize = 4096;
/// Telegram's limit on a caption after entity parsing, in UTF-16 code units.
pub const MAX_CAPTION: usize = 1024;
/// Telegram's limit on `callback_data`, in bytes.
pub const MAX_CALLBACK_DATA: usize = 64;
/// Telegram's limit on the text of a callback query's answer, in characters.
pub const MAX_CALLBACK_TEXT: usize = 200;
/// Telegram's limit on the results of one inline query's answer.
pub const MAX_INLINE_RESULTS: usize = 50;
/// Telegram's limit on the commands of one menu.
pub const MAX_COMMANDS: usize = 100;
/// How long after its delivery a callback query can still be answered (see
/// [`FakeApi::set_query_timeout`]).
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(15);
/// Bots cannot download files larger than this (getFile refuses them).
pub const MAX_DOWNLOAD: u64 = 20 * 1024 * 1024;
/// The user who adds the bot to groups and opens topics in the builders.
pub const GROUP_OWNER: i64 = 999_999_001;

const TOO_OLD: &str = "query is too old and response timeout expired or query ID is invalid";
const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply \
                            markup are exactly the same as a current content and reply markup \
                            of the message";
const WEBHOOK_ACTIVE: &str = "can't use getUpdates method while webhook is active; use \
                              deleteWebhook to delete the webhook first";
const TERMINATED: &str = "terminated by other getUpdates request; make sure that only one bot \
                          instance is running";

// ---------------------------------------------------------------------------- public types

/// A Bot API method name, normalised to the spec's camelCase (`sendMessage`). It compares equal
/// to the name in any letter case, so `r.method == "SendMessage"` (teloxide's spelling) and
/// `r.method == "sendMessage"` both hold; `as_str()` and `Display` give the camelCase name.
#[derive(Clone, Debug, Default)]
pub struct Method(String);

impl Method {
    /// The method `name` (any letter case) under its spec spelling; unknown names are kept.
    pub fn new(name: &str) -> Method {
        match find_method(name) {
            Some(spec) => Method(spec.name.to_owned()),
            None => Method(name.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the fake knows (implements) this method.
    pub fn is_known(&self) -> bool {
        find_method(&self.0).is_some()
    }
}

impl std::ops::Deref for Method {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq for Method {
    fn eq(&self, other: &Method) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for Method {}

impl PartialEq<str> for Method {
    fn eq(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl PartialEq<&str> for Method {
    fn eq(&self, other: &&str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl PartialEq<String> for Method {
    fn eq(&self, other: &String) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl PartialEq<Method> for &str {
    fn eq(&self, other: &Method) -> bool {
        other == self
    }
}

impl PartialEq<Method> for String {
    fn eq(&self, other: &Method) -> bool {
        other == self
    }
}

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method, normalised to camelCase; compares equal to any letter case of its name.
    pub method: Method,
    /// The parameters, typed as the spec types them (a multipart `chat_id` is an Integer here,
    /// a multipart `reply_markup` an object; an uploaded file is `{"upload": name, "size": n}`).
    /// When the parameters could not be typed, what arrived (form values as strings).
    pub body: Value,
    /// When the request arrived.
    pub at: Instant,
    /// Why the fake refused it, as Telegram would have (the error's description). None for
    /// accepted requests and for scripted replies and faults, which are not the bot's fault.
    pub refused: Option<String>,
    /// The id of the message it sent (sendMessage, sendDocument, sendPhoto, copyMessage,
    /// forwardMessage) or edited (editMessageText, editMessageReplyMarkup).
    pub message_id: Option<i64>,
    /// The HTTP status of the answer (0: the connection was dropped).
    pub status: u16,
    /// The answer was `{"ok": true, …}`.
    ok: bool,
}

impl Request {
    pub fn chat_id(&self) -> Option<i64> {
        match self.body.get("chat_id")? {
            Value::String(s) => s.parse().ok(),
            v => v.as_i64(),
        }
    }

    pub fn text(&self) -> &str {
        self.body
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Telegram took it: answered `{"ok": true, …}` (not refused, scripted to fail or faulted).
    pub fn accepted(&self) -> bool {
        self.ok && self.refused.is_none()
    }
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

/// The kinds of chat the fake knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    Private,
    Group,
    Supergroup,
    /// A supergroup with topics (`is_forum`).
    Forum,
}

/// A topic of a forum supergroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub thread_id: i64,
    pub name: String,
    pub icon_color: i64,
    pub icon_custom_emoji_id: Option<String>,
    pub closed: bool,
    /// Opened by the bot (createForumTopic), not by a user.
    pub by_bot: bool,
}

/// The webhook as the bot set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub secret_token: Option<String>,
    pub allowed_updates: Option<Vec<String>>,
    pub max_connections: i64,
    pub ip_address: Option<String>,
    pub has_custom_certificate: bool,
    /// The last failed delivery by [`FakeApi::post_webhook`]: (unix time, why).
    pub last_error: Option<(i64, String)>,
}

/// One answerCallbackQuery the bot made, with how long after the press's delivery it came.
#[derive(Debug, Clone)]
pub struct CallbackAnswer {
    pub query_id: String,
    /// The pressed button's data ("" for an id the fake never handed out).
    pub data: String,
    pub user: i64,
    /// When the press was handed to the bot (getUpdates or webhook), if it was.
    pub delivered_at: Option<Instant>,
    pub answered_at: Instant,
    /// `answered_at - delivered_at`.
    pub delay: Option<Duration>,
    pub text: Option<String>,
    /// Why Telegram refused the answer, if it did.
    pub refused: Option<String>,
}

/// What a user sends, for [`FakeApi::push_message`].
#[derive(Debug, Clone)]
pub enum Content {
    Text(String),
    Photo {
        caption: Option<String>,
    },
    Voice {
        seconds: u32,
    },
    /// A file; `size` is what Telegram reports for it (it may differ from `bytes.len()`).
    Document {
        name: String,
        bytes: Vec<u8>,
        size: usize,
    },
    Sticker,
}

/// A message from a user, for [`FakeApi::push_message`]: `Incoming::text(chat, user, "…")`,
/// optionally `.in_topic(thread)` and `.reply_to(message_id)`. `chat == from` is the private
/// chat with that user; a negative unknown chat becomes a group the bot is in.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub chat: i64,
    pub from: i64,
    pub thread: Option<i64>,
    pub reply_to: Option<i64>,
    pub content: Content,
}

impl Incoming {
    pub fn text(chat: i64, from: i64, text: &str) -> Incoming {
        Incoming::new(chat, from, Content::Text(text.to_owned()))
    }

    pub fn photo(chat: i64, from: i64, caption: Option<&str>) -> Incoming {
        let caption = caption.map(str::to_owned);
        Incoming::new(chat, from, Content::Photo { caption })
    }

    pub fn voice(chat: i64, from: i64, seconds: u32) -> Incoming {
        Incoming::new(chat, from, Content::Voice { seconds })
    }

    pub fn document(chat: i64, from: i64, name: &str, bytes: &[u8], size: usize) -> Incoming {
        let (name, bytes) = (name.to_owned(), bytes.to_vec());
        Incoming::new(chat, from, Content::Document { name, bytes, size })
    }

    pub fn sticker(chat: i64, from: i64) -> Incoming {
        Incoming::new(chat, from, Content::Sticker)
    }

    fn new(chat: i64, from: i64, content: Content) -> Incoming {
        Incoming {
            chat,
            from,
            thread: None,
            reply_to: None,
            content,
        }
    }

    /// In the topic `thread` of a forum.
    pub fn in_topic(mut self, thread: i64) -> Incoming {
        self.thread = Some(thread);
        self
    }

    /// A reply to the message `message_id` of the same chat.
    pub fn reply_to(mut self, message_id: i64) -> Incoming {
        self.reply_to = Some(message_id);
        self
    }
}

// --------------------------------------------------------------------------------- state

#[derive(Debug, Clone)]
struct ChatState {
    kind: ChatKind,
    title: String,
    /// Private: the user blocked the bot.
    blocked: bool,
    /// Groups: the bot is a member.
    member: bool,
    /// Groups: the bot is an administrator (may delete messages, manage topics).
    admin: bool,
    topics: BTreeMap<i64, Topic>,
    /// Users seen writing in the chat.
    members: HashSet<i64>,
}

impl ChatState {
    fn new(kind: ChatKind, title: &str) -> ChatState {
        ChatState {
            kind,
            title: title.to_owned(),
            blocked: false,
            member: true,
            admin: false,
            topics: BTreeMap::new(),
            members: HashSet::new(),
        }
    }
}

struct PendingUpdate {
    id: i64,
    kind: &'static str,
    update: Value,
    delivered: Option<Instant>,
}

/// A callback or inline query the fake created.
struct Query {
    data: String,
    user: i64,
    delivered: Option<Instant>,
    answered: bool,
}

struct FileEntry {
    bytes: Vec<u8>,
    size: u64,
    path: String,
    unique: String,
}

struct Inner {
    next_update_id: i64,
    next_message_id: i64,
    /// Updates not confirmed yet, oldest first.
    updates: VecDeque<PendingUpdate>,
    /// The highest update id confirmed (forgotten) so far.
    confirmed: i64,
    /// Updates dropped because allowed_updates excluded their kind.
    filtered: Vec<Value>,
    allowed_updates: Option<Vec<String>>,
    /// Counts getUpdates calls; a long poll ends with 409 when a newer one starts.
    poll_generation: u64,
    superseded_polls: usize,
    webhook: Option<Webhook>,
    chats: HashMap<i64, ChatState>,
    users: HashMap<i64, Value>,
    /// Every message of every chat as Telegram shows it now, by (chat, message id).
    messages: BTreeMap<(i64, i64), Value>,
    callbacks: HashMap<String, Query>,
    inline_queries: HashMap<String, Query>,
    answers: Vec<CallbackAnswer>,
    /// Command menus by scope and language.
    menus: BTreeMap<(String, String), Vec<Value>>,
    requests: Vec<Request>,
    /// What check.py reads: one JSON object per request or note.
    log: Vec<Value>,
    started: Instant,
    files: HashMap<String, FileEntry>,
    scripts: HashMap<(String, i64), VecDeque<Value>>,
    faults: HashMap<String, VecDeque<Fault>>,
    down: bool,
    query_timeout: Duration,
}

impl Default for Inner {
    fn default() -> Inner {
        Inner {
            next_update_id: 1,
            next_message_id: 0,
            updates: VecDeque::new(),
            confirmed: 0,
            filtered: Vec::new(),
            allowed_updates: None,
            poll_generation: 0,
            superseded_polls: 0,
            webhook: None,
            chats: HashMap::new(),
            users: HashMap::new(),
            messages: BTreeMap::new(),
            callbacks: HashMap::new(),
            inline_queries: HashMap::new(),
            answers: Vec::new(),
            menus: BTreeMap::new(),
            requests: Vec::new(),
            log: Vec::new(),
            started: Instant::now(),
            files: HashMap::new(),
            scripts: HashMap::new(),
            faults: HashMap::new(),
            down: false,
            query_timeout: QUERY_TIMEOUT,
        }
    }
}

/// The fake Bot API; clones share one server and its state.
#[derive(Clone, Default)]
pub struct FakeApi {
    inner: Arc<Mutex<Inner>>,
    notify: Arc<tokio::sync::Notify>,
    /// The base URL to give the bot (`TELOXIDE_API_URL`), with a trailing slash.
    pub url: String,
}

// ------------------------------------------------------------------- starting, builders

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
        let app = Router::new()
            .route("/{bot}/{method}", axum::routing::any(handle))
            .fallback(download)
            .with_state(api.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        api
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an update of `kind` and wakes a waiting getUpdates; returns its update id.
    fn push(&self, kind: &'static str, payload: Value) -> i64 {
        let id = self.lock().push_update(kind, payload);
        self.notify.notify_waiters();
        id
    }

    /// A message from a user (see [`Incoming`]); returns its message id.
    pub fn push_message(&self, m: Incoming) -> i64 {
        let message = self.lock().user_message(m);
        let id = message["message_id"].as_i64().unwrap_or_default();
        self.push("message", message);
        id
    }

    /// A text message from `user` in a private chat with them.
    pub fn private_text(&self, user: i64, text: &str) {
        self.push_message(Incoming::text(user, user, text));
    }

    /// A text message from `user` in the group `chat` (a plain group unless the chat was added
    /// as another kind); returns its message id.
    pub fn group_text(&self, chat: i64, user: i64, text: &str) -> i64 {
        self.push_message(Incoming::text(chat, user, text))
    }

    /// A text message from `user` in the supergroup `chat` (added silently if unknown).
    pub fn supergroup_text(&self, chat: i64, user: i64, text: &str) -> i64 {
        self.lock()
            .ensure_chat(chat, ChatKind::Supergroup, "邻里超级群");
        self.push_message(Incoming::text(chat, user, text))
    }

    /// A text message from `user` in the topic `thread` of the forum `chat`.
    pub fn topic_text(&self, chat: i64, thread: i64, user: i64, text: &str) -> i64 {
        self.push_message(Incoming::text(chat, user, text).in_topic(thread))
    }

    /// A text reply from `user` to the message `reply_to` of `chat` (in its topic, if any).
    pub fn reply_text(&self, chat: i64, user: i64, reply_to: i64, text: &str) -> i64 {
        self.push_message(Incoming::text(chat, user, text).reply_to(reply_to))
    }

    /// A message of another kind (sticker) from `user` in a private chat.
    pub fn private_sticker(&self, user: i64) {
        self.push_message(Incoming::sticker(user, user));
    }

    /// A photo from `user` in a private chat; returns its message id.
    pub fn private_photo(&self, user: i64, caption: Option<&str>) -> i64 {
        self.push_message(Incoming::photo(user, user, caption))
    }

    /// A voice message from `user` in a private chat; returns its message id.
    pub fn private_voice(&self, user: i64, seconds: u32) -> i64 {
        self.push_message(Incoming::voice(user, user, seconds))
    }

    /// A file sent by `user` in a private chat; `size` is what Telegram reports for it.
    pub fn private_document(&self, user: i64, name: &str, bytes: &[u8], size: usize) {
        self.push_message(Incoming::document(user, user, name, bytes, size));
    }

    /// `user` edits their latest message in the private chat (or a new one) to `text`.
    pub fn private_edit(&self, user: i64, text: &str) {
        let message = self.lock().user_edit(user, text);
        self.push("edited_message", message);
    }

    /// The user has started the bot before (no update): the bot may write to them.
    pub fn add_private(&self, user: i64) {
        self.lock().ensure_private(user);
    }

    /// The bot is added to the group `chat` (a `my_chat_member` update).
    pub fn add_group(&self, chat: i64, title: &str) {
        self.add_chat(chat, ChatKind::Group, title, false);
    }

    /// The bot is added to the supergroup `chat` (a `my_chat_member` update).
    pub fn add_supergroup(&self, chat: i64, title: &str) {
        self.add_chat(chat, ChatKind::Supergroup, title, false);
    }

    /// The bot is added to the forum supergroup `chat` as an administrator that may manage
    /// topics (a `my_chat_member` update).
    pub fn add_forum(&self, chat: i64, title: &str) {
        self.add_chat(chat, ChatKind::Forum, title, true);
    }

    fn add_chat(&self, chat: i64, kind: ChatKind, title: &str, admin: bool) {
        assert!(chat < 0, "group chat ids are negative: {chat}");
        let update = {
            let mut inner = self.lock();
            let mut state = ChatState::new(kind, title);
            state.admin = admin;
            inner.chats.insert(chat, state);
            inner.member_update(chat, "left", if admin { "administrator" } else { "member" })
        };
        self.push("my_chat_member", update);
    }

    /// The bot is made an administrator of `chat` (or no longer one).
    pub fn set_bot_admin(&self, chat: i64, admin: bool) {
        let update = {
            let mut inner = self.lock();
            let state = inner.chats.get_mut(&chat).expect("unknown chat");
            let old = if state.admin {
                "administrator"
            } else {
                "member"
            };
            state.admin = admin;
            inner.member_update(chat, old, if admin { "administrator" } else { "member" })
        };
        self.push("my_chat_member", update);
    }

    /// The bot is removed from the group `chat`: sending there gets 403.
    pub fn remove_bot(&self, chat: i64) {
        let update = {
            let mut inner = self.lock();
            let state = inner.chats.get_mut(&chat).expect("unknown chat");
            let old = if state.admin {
                "administrator"
            } else {
                "member"
            };
            state.member = false;
            state.admin = false;
            inner.member_update(chat, old, "kicked")
        };
        self.push("my_chat_member", update);
    }

    /// `user` blocks the bot: sending to them gets 403 "bot was blocked by the user".
    pub fn block(&self, user: i64) {
        let update = {
            let mut inner = self.lock();
            inner.ensure_private(user);
            inner.chats.get_mut(&user).unwrap().blocked = true;
            inner.member_update(user, "member", "kicked")
        };
        self.push("my_chat_member", update);
    }

    /// A user opens the topic `name` in the forum `chat` (its service message is an update);
    /// returns its message_thread_id.
    pub fn add_topic(&self, chat: i64, name: &str) -> i64 {
        let message = {
            let mut inner = self.lock();
            let kind = inner.chats.get(&chat).map(|c| c.kind);
            assert_eq!(kind, Some(ChatKind::Forum), "{chat} is not a forum");
            inner.open_topic(chat, name, 7_322_096, None, false)
        };
        let thread = message["message_id"].as_i64().unwrap_or_default();
        self.push("message", message);
        thread
    }

    /// A press of an inline button with `data` by `user` in their private chat: under the
    /// latest message the bot sent there that has that button now, or else under a message
    /// "公告预览" with that one button, made the bot's own here (so it may be edited).
    pub fn press(&self, user: i64, data: &str) {
        let message = {
            let mut inner = self.lock();
            inner.ensure_private(user);
            match inner.latest_with_button(user, data) {
                Some(m) => m,
                None => inner.fabricate_preview(user, data),
            }
        };
        self.push_press(user, data, message);
    }

    /// A press by `user` of the button with `data` under the latest message the bot sent to
    /// `chat` that has that button now: the callback carries the stored message (its id, its
    /// current text and keyboard), as Telegram's does. Panics if no message has the button.
    pub fn press_under(&self, user: i64, chat: i64, data: &str) {
        let message = self
            .lock()
            .latest_with_button(chat, data)
            .unwrap_or_else(|| panic!("no message in {chat} has a button {data:?} now"));
        self.push_press(user, data, message);
    }

    fn push_press(&self, user: i64, data: &str, message: Value) {
        let payload = {
            let mut inner = self.lock();
            inner.ensure_user(user);
            let chat = message["chat"]["id"].as_i64().unwrap_or_default();
            json!({
                "id": format!("{}{:05}", user.unsigned_abs(), rand_id()),
                "from": inner.user_json(user),
                "message": message,
                "chat_instance": format!("{}", chat.unsigned_abs() * 7919 + 11),
                "data": data,
            })
        };
        self.push("callback_query", payload);
    }

    /// An inline query `query` from `user`.
    pub fn inline(&self, user: i64, query: &str) {
        let payload = {
            let mut inner = self.lock();
            inner.ensure_user(user);
            json!({
                "id": format!("{}{:05}", user.unsigned_abs() + 1_000, rand_id()),
                "from": inner.user_json(user),
                "query": query,
                "offset": "",
            })
        };
        self.push("inline_query", payload);
    }
}

// ----------------------------------------------------------------- faults, scripts, reading

impl FakeApi {
    /// The next `times` calls of `method` (any letter case) meet `fault`.
    pub fn fault(&self, method: &str, fault: Fault, times: usize) {
        let mut inner = self.lock();
        let queue = inner.faults.entry(method.to_ascii_lowercase()).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// Forgets every fault not met yet.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Takes the whole Bot API down (every request: HTML 502) or brings it back.
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    /// The next valid call of `method` (any letter case) for `chat` (its `chat_id`; 0 for
    /// methods without one) answers `reply` (once per call of this function), with the HTTP
    /// status of its `error_code` (200 for `{"ok": true, …}`). A request Telegram refuses
    /// anyway is refused first and does not use the script.
    pub fn script(&self, method: &str, chat: i64, reply: Value) {
        self.lock()
            .scripts
            .entry((method.to_ascii_lowercase(), chat))
            .or_default()
            .push_back(reply);
    }

    /// How long after delivery a callback query may be answered (default [`QUERY_TIMEOUT`]).
    pub fn set_query_timeout(&self, timeout: Duration) {
        self.lock().query_timeout = timeout;
    }

    /// Requests Telegram would have refused, with why.
    pub fn refused(&self) -> Vec<(String, String)> {
        let inner = self.lock();
        inner
            .requests
            .iter()
            .filter_map(|r| {
                let why = r.refused.clone()?;
                Some((format!("{} {}", r.method, r.body), why))
            })
            .collect()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    /// Texts (as sent, HTML and all) of the sendMessage and editMessageText requests to `chat`
    /// that Telegram accepted, in order (refused, scripted-to-fail and faulted ones are left out).
    pub fn sent_to(&self, chat: i64) -> Vec<String> {
        let inner = self.lock();
        inner
            .requests
            .iter()
            .filter(|r| {
                (r.method == "sendMessage" || r.method == "editMessageText")
                    && r.chat_id() == Some(chat)
                    && r.accepted()
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
                    .map(|r| format!("{} {} {:?}", r.method, r.body, r.refused))
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

    /// The messages of `chat` as Telegram shows them now (sent, edited, not deleted), by id.
    pub fn messages(&self, chat: i64) -> Vec<Value> {
        let inner = self.lock();
        inner
            .messages
            .range((chat, i64::MIN)..=(chat, i64::MAX))
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// The message `id` of `chat` as Telegram shows it now.
    pub fn message(&self, chat: i64, id: i64) -> Option<Value> {
        self.lock().messages.get(&(chat, id)).cloned()
    }

    /// Every answerCallbackQuery, refused or not, with its delay after delivery.
    pub fn callback_answers(&self) -> Vec<CallbackAnswer> {
        self.lock().answers.clone()
    }

    /// The highest update id confirmed so far (by a getUpdates offset above it, or by a 2xx
    /// answer of the webhook); 0 when none.
    pub fn confirmed_update_id(&self) -> i64 {
        self.lock().confirmed
    }

    /// Updates handed to the bot but never confirmed.
    pub fn unconfirmed_updates(&self) -> Vec<Value> {
        let inner = self.lock();
        let delivered = inner.updates.iter().filter(|u| u.delivered.is_some());
        delivered.map(|u| u.update.clone()).collect()
    }

    /// Updates not confirmed yet, delivered or not.
    pub fn pending_updates(&self) -> Vec<Value> {
        self.lock()
            .updates
            .iter()
            .map(|u| u.update.clone())
            .collect()
    }

    /// Updates dropped because the bot's allowed_updates excluded their kind.
    pub fn filtered_updates(&self) -> Vec<Value> {
        self.lock().filtered.clone()
    }

    /// How many long polls ended with 409 because a newer getUpdates came (a restarted bot's
    /// old poll, or two bot instances); they are not counted as refusals.
    pub fn superseded_polls(&self) -> usize {
        self.lock().superseded_polls
    }

    /// The webhook the bot set, if one is set.
    pub fn webhook(&self) -> Option<Webhook> {
        self.lock().webhook.clone()
    }

    /// The command menu set for `scope` (Null: the default scope) and `language` ("" for all),
    /// as (command, description) pairs; None when none is set.
    pub fn menu(&self, scope: &Value, language: &str) -> Option<Vec<(String, String)>> {
        let scope = (!scope.is_null()).then_some(scope);
        let key = (scope_key(scope), language.to_owned());
        let inner = self.lock();
        let commands = inner.menus.get(&key)?;
        let pair = |c: &Value| {
            let field = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (field("command"), field("description"))
        };
        Some(commands.iter().map(pair).collect())
    }

    /// The topics of the forum `chat`.
    pub fn topics(&self, chat: i64) -> Vec<Topic> {
        let inner = self.lock();
        let chat = inner.chats.get(&chat);
        chat.map(|c| c.topics.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every request and webhook delivery so far as JSON lines in the log format that
    /// `check.py` (../shared/botapi) reads, to check them against the published spec.
    pub fn check_log(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        for (i, entry) in inner.log.iter().enumerate() {
            let mut entry = entry.clone();
            entry["seq"] = json!(i + 1);
            out.push_str(&entry.to_string());
            out.push('\n');
        }
        out
    }
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

fn unix_now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH);
    since.map_or(0, |d| d.as_secs() as i64)
}

// ------------------------------------------------------------------ chats, users, messages

fn default_user(id: i64) -> Value {
    json!({ "id": id, "is_bot": false, "first_name": "用户", "language_code": "zh-hans" })
}

/// The bot as the `from` of its messages: without the fields only getMe returns.
fn bot_user() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": BOT_NAME, "username": BOT_USERNAME })
}

/// The bot as getMe returns it, with every getMe-only field.
fn get_me() -> Value {
    let mut me = bot_user();
    for (field, value) in [
        ("can_join_groups", true),
        ("can_read_all_group_messages", false),
        ("supports_inline_queries", true),
        ("can_connect_to_business", false),
        ("has_main_web_app", false),
        ("has_topics_enabled", false),
        ("allows_users_to_create_topics", false),
        ("can_manage_bots", false),
        ("supports_guest_queries", false),
        ("supports_join_request_queries", false),
    ] {
        me[field] = json!(value);
    }
    me
}

/// The bot as a member of a chat (ChatMemberAdministrator or ChatMemberMember).
fn bot_member(status: &str) -> Value {
    match status {
        "administrator" => json!({
            "status": "administrator", "user": bot_user(), "can_be_edited": false,
            "is_anonymous": false, "can_manage_chat": true, "can_delete_messages": true,
            "can_manage_video_chats": false, "can_restrict_members": false,
            "can_promote_members": false, "can_change_info": false, "can_invite_users": true,
            "can_post_stories": false, "can_edit_stories": false, "can_delete_stories": false,
            "can_pin_messages": true, "can_manage_topics": true
        }),
        "kicked" => json!({ "status": "kicked", "user": bot_user(), "until_date": 0 }),
        other => json!({ "status": other, "user": bot_user() }),
    }
}

/// The message without the message it replies to (Telegram nests replies one level only).
fn unnested(mut m: Value) -> Value {
    if let Some(o) = m.as_object_mut() {
        o.remove("reply_to_message");
    }
    m
}

/// The inline keyboard of a message or request, None when it has no button.
fn inline_keyboard(v: &Value) -> Option<Value> {
    let markup = v.get("reply_markup")?;
    let rows = markup.get("inline_keyboard")?.as_array()?;
    let buttons = rows
        .iter()
        .filter_map(Value::as_array)
        .map(Vec::len)
        .sum::<usize>();
    (buttons > 0).then(|| markup.clone())
}

fn has_button(m: &Value, data: &str) -> bool {
    m["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .any(|b| b["callback_data"] == data)
}

/// Entities Telegram finds in a user's text: a leading bot command and @mentions.
fn detect_entities(text: &str) -> Vec<Value> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut offset = 0;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts = i == 0 || chars[i - 1].is_whitespace();
        if (c == '/' && i == 0) || (c == '@' && starts) {
            let mut j = i + 1;
            while j < chars.len() && (word(chars[j]) || (c == '/' && chars[j] == '@')) {
                j += 1;
            }
            let name = j - i - 1;
            let length: usize = chars[i..j].iter().map(|c| c.len_utf16()).sum();
            if c == '/' && name > 0 {
                out.push(json!({ "type": "bot_command", "offset": offset, "length": length }));
            } else if c == '@' && (5..=32).contains(&name) {
                out.push(json!({ "type": "mention", "offset": offset, "length": length }));
            }
            offset += length;
            i = j;
            continue;
        }
        offset += c.len_utf16();
        i += 1;
    }
    out
}

impl Inner {
    fn push_update(&mut self, kind: &'static str, payload: Value) -> i64 {
        let id = self.next_update_id;
        self.next_update_id += 1;
        let query = |p: &Value| Query {
            data: p["data"].as_str().unwrap_or_default().to_owned(),
            user: p["from"]["id"].as_i64().unwrap_or_default(),
            delivered: None,
            answered: false,
        };
        let qid = payload["id"].as_str().unwrap_or_default().to_owned();
        match kind {
            "callback_query" => drop(self.callbacks.insert(qid, query(&payload))),
            "inline_query" => drop(self.inline_queries.insert(qid, query(&payload))),
            _ => {}
        }
        let mut update = json!({ "update_id": id });
        update[kind] = payload;
        self.updates.push_back(PendingUpdate {
            id,
            kind,
            update,
            delivered: None,
        });
        id
    }

    fn ensure_user(&mut self, user: i64) {
        self.users.entry(user).or_insert_with(|| default_user(user));
    }

    /// The private chat with `user`, who has started the bot.
    fn ensure_private(&mut self, user: i64) {
        assert!(user > 0, "user ids are positive: {user}");
        self.ensure_user(user);
        self.chats
            .entry(user)
            .or_insert_with(|| ChatState::new(ChatKind::Private, ""));
    }

    /// The group `chat`, added silently as `kind` if the fake does not know it.
    fn ensure_chat(&mut self, chat: i64, kind: ChatKind, title: &str) {
        assert!(chat < 0, "group chat ids are negative: {chat}");
        self.chats
            .entry(chat)
            .or_insert_with(|| ChatState::new(kind, title));
    }

    fn user_json(&self, id: i64) -> Value {
        self.users
            .get(&id)
            .cloned()
            .unwrap_or_else(|| default_user(id))
    }

    fn chat_json(&self, id: i64) -> Value {
        let Some(c) = self.chats.get(&id) else {
            return json!({ "id": id, "type": "private", "first_name": "用户" });
        };
        match c.kind {
            ChatKind::Private => {
                let first = self.user_json(id)["first_name"].clone();
                json!({ "id": id, "type": "private", "first_name": first })
            }
            ChatKind::Group => json!({ "id": id, "type": "group", "title": c.title }),
            ChatKind::Supergroup => json!({ "id": id, "type": "supergroup", "title": c.title }),
            ChatKind::Forum => {
                json!({ "id": id, "type": "supergroup", "title": c.title, "is_forum": true })
            }
        }
    }

    /// A new message of `chat` from `from` (message_id, from, chat, date, the topic and the
    /// message replied to), not stored yet. In a topic, a message that replies to nothing
    /// else replies to the topic's service message, as Telegram's do.
    fn new_message(
        &mut self,
        chat: i64,
        from: Value,
        thread: Option<i64>,
        reply: Option<Value>,
    ) -> Map<String, Value> {
        self.next_message_id += 1;
        let mut m = Map::new();
        m.insert("message_id".into(), json!(self.next_message_id));
        m.insert("from".into(), from);
        m.insert("chat".into(), self.chat_json(chat));
        m.insert("date".into(), json!(unix_now()));
        if let Some(t) = thread {
            m.insert("message_thread_id".into(), json!(t));
            m.insert("is_topic_message".into(), json!(true));
        }
        let topic = || thread.and_then(|t| self.messages.get(&(chat, t)).cloned());
        if let Some(r) = reply.or_else(topic) {
            m.insert("reply_to_message".into(), unnested(r));
        }
        m
    }

    fn store(&mut self, chat: i64, m: Map<String, Value>) -> (Value, i64) {
        let id = m["message_id"].as_i64().unwrap_or_default();
        let v = Value::Object(m);
        self.messages.insert((chat, id), v.clone());
        (v, id)
    }

    /// A user's message (stored), for an update.
    fn user_message(&mut self, m: Incoming) -> Value {
        self.ensure_user(m.from);
        if m.chat == m.from {
            self.ensure_private(m.from);
        } else if m.chat < 0 {
            self.ensure_chat(m.chat, ChatKind::Group, "邻里群");
        } else {
            panic!(
                "a private chat is the user's own: chat {} from {}",
                m.chat, m.from
            );
        }
        let state = self.chats.get_mut(&m.chat).unwrap();
        state.members.insert(m.from);
        let reply = m.reply_to.map(|id| {
            let found = self.messages.get(&(m.chat, id)).cloned();
            found.unwrap_or_else(|| panic!("no message {id} in chat {} to reply to", m.chat))
        });
        let thread = match m.thread {
            Some(t) => {
                let state = &self.chats[&m.chat];
                assert_eq!(state.kind, ChatKind::Forum, "{} is not a forum", m.chat);
                assert!(state.topics.contains_key(&t), "no topic {t} in {}", m.chat);
                Some(t)
            }
            None => reply.as_ref().and_then(|r| r["message_thread_id"].as_i64()),
        };
        let from = self.user_json(m.from);
        let mut msg = self.new_message(m.chat, from, thread, reply);
        self.put_content(&mut msg, m.content);
        self.store(m.chat, msg).0
    }

    fn put_content(&mut self, msg: &mut Map<String, Value>, content: Content) {
        let n = rand_id();
        match content {
            Content::Text(text) => {
                let entities = detect_entities(&text);
                msg.insert("text".into(), json!(text));
                if !entities.is_empty() {
                    msg.insert("entities".into(), Value::Array(entities));
                }
            }
            Content::Photo { caption } => {
                let id =
                    self.add_file(&format!("photo{n}"), "photos/photo.jpg", Vec::new(), 60_000);
                let small = json!({ "file_id": format!("{id}s"), "file_unique_id": format!("u{id}s"),
                                    "width": 90, "height": 68, "file_size": 1_500 });
                let large = json!({ "file_id": id, "file_unique_id": format!("u{id}"),
                                    "width": 1280, "height": 960, "file_size": 60_000 });
                msg.insert("photo".into(), json!([small, large]));
                if let Some(c) = caption {
                    msg.insert("caption".into(), json!(c));
                }
            }
            Content::Voice { seconds } => {
                let size = u64::from(seconds) * 2_000;
                let id = self.add_file(&format!("voice{n}"), "voice/voice.oga", Vec::new(), size);
                msg.insert(
                    "voice".into(),
                    json!({ "file_id": id, "file_unique_id": format!("u{id}"),
                    "duration": seconds, "mime_type": "audio/ogg", "file_size": size }),
                );
            }
            Content::Document { name, bytes, size } => {
                let id = self.add_file(&format!("file{n}"), &name, bytes, size as u64);
                let mut doc = json!({ "file_id": id, "file_unique_id": format!("u{id}"),
                                      "file_name": name, "file_size": size });
                if let Some(mime) = mime_of(&name) {
                    doc["mime_type"] = json!(mime);
                }
                msg.insert("document".into(), doc);
            }
            Content::Sticker => {
                msg.insert(
                    "sticker".into(),
                    json!({
                        "file_id": format!("sticker{n}"), "file_unique_id": format!("us{n}"),
                        "type": "regular", "width": 512, "height": 512, "is_animated": false,
                        "is_video": false, "emoji": "👍"
                    }),
                );
            }
        }
    }

    /// Registers a downloadable file; returns its file id.
    fn add_file(&mut self, id: &str, name: &str, bytes: Vec<u8>, size: u64) -> String {
        let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
        let folder = if id.starts_with("photo") {
            "photos"
        } else {
            "documents"
        };
        let path =
            if ext.is_empty() || ext.len() > 8 || !ext.bytes().all(|b| b.is_ascii_alphanumeric()) {
                format!("{folder}/{id}")
            } else {
                format!("{folder}/{id}.{ext}")
            };
        let unique = format!("u{id}");
        self.files.insert(
            id.to_owned(),
            FileEntry {
                bytes,
                size,
                path,
                unique,
            },
        );
        id.to_owned()
    }

    fn user_edit(&mut self, user: i64, text: &str) -> Value {
        let latest = self
            .messages
            .range((user, i64::MIN)..=(user, i64::MAX))
            .rev()
            .find(|(_, m)| m["from"]["id"] == user && m.get("text").is_some())
            .map(|(k, _)| *k);
        let key = match latest {
            Some(k) => k,
            None => {
                let m = self.user_message(Incoming::text(user, user, text));
                (user, m["message_id"].as_i64().unwrap_or_default())
            }
        };
        let m = self.messages.get_mut(&key).unwrap();
        m["text"] = json!(text);
        m["edit_date"] = json!(unix_now());
        match detect_entities(text) {
            e if e.is_empty() => drop(m.as_object_mut().unwrap().remove("entities")),
            e => m["entities"] = Value::Array(e),
        }
        m.clone()
    }

    /// A my_chat_member update: the bot's status in `chat` went from `old` to `new`.
    fn member_update(&mut self, chat: i64, old: &str, new: &str) -> Value {
        let from = if chat > 0 { chat } else { GROUP_OWNER };
        self.ensure_user(from);
        json!({
            "chat": self.chat_json(chat),
            "from": self.user_json(from),
            "date": unix_now(),
            "old_chat_member": bot_member(old),
            "new_chat_member": bot_member(new),
        })
    }

    /// Opens a topic in the forum `chat`: stores its service message and returns it.
    fn open_topic(
        &mut self,
        chat: i64,
        name: &str,
        icon_color: i64,
        emoji: Option<String>,
        by_bot: bool,
    ) -> Value {
        let from = if by_bot {
            bot_user()
        } else {
            self.user_json(GROUP_OWNER)
        };
        self.ensure_user(GROUP_OWNER);
        let mut m = self.new_message(chat, from, None, None);
        let thread = m["message_id"].as_i64().unwrap_or_default();
        m.insert("message_thread_id".into(), json!(thread));
        m.insert("is_topic_message".into(), json!(true));
        let mut created = json!({ "name": name, "icon_color": icon_color });
        if let Some(e) = &emoji {
            created["icon_custom_emoji_id"] = json!(e);
        }
        m.insert("forum_topic_created".into(), created);
        let topic = Topic {
            thread_id: thread,
            name: name.to_owned(),
            icon_color,
            icon_custom_emoji_id: emoji,
            closed: false,
            by_bot,
        };
        self.chats
            .get_mut(&chat)
            .unwrap()
            .topics
            .insert(thread, topic);
        self.store(chat, m).0
    }

    /// The latest message of the bot in `chat` with a button `data` in its keyboard now.
    fn latest_with_button(&self, chat: i64, data: &str) -> Option<Value> {
        let mut messages = self
            .messages
            .range((chat, i64::MIN)..=(chat, i64::MAX))
            .rev();
        let found = messages.find(|(_, m)| m["from"]["id"] == BOT_ID && has_button(m, data));
        found.map(|(_, m)| m.clone())
    }

    /// A message of the bot in the private chat `user` with one button `data`, stored.
    fn fabricate_preview(&mut self, user: i64, data: &str) -> Value {
        let mut m = self.new_message(user, bot_user(), None, None);
        m.insert("text".into(), json!("公告预览"));
        let keyboard = json!({ "inline_keyboard": [[{ "text": "按钮", "callback_data": data }]] });
        m.insert("reply_markup".into(), keyboard);
        self.store(user, m).0
    }
}

fn mime_of(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "md" => "text/markdown",
        "txt" => "text/plain",
        "pdf" => "application/pdf",
        "json" => "application/json",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "zip" => "application/zip",
        _ => return None,
    })
}

// ------------------------------------------------------------------------------ HTTP side

/// A refusal as Telegram answers it.
#[derive(Debug, Clone)]
struct ApiError {
    code: u16,
    description: String,
    /// Not the bot's fault (a superseded long poll): answered, but not counted as refused.
    excused: bool,
}

impl ApiError {
    /// Adds where in the request the problem is.
    fn at(mut self, place: &str) -> ApiError {
        self.description.push_str(&format!(" (in {place})"));
        self
    }
}

fn api_error(code: u16, description: String) -> ApiError {
    ApiError {
        code,
        description,
        excused: false,
    }
}

fn bad(what: impl fmt::Display) -> ApiError {
    api_error(400, format!("Bad Request: {what}"))
}

fn forbidden(what: &str) -> ApiError {
    api_error(403, format!("Forbidden: {what}"))
}

fn conflict(what: &str) -> ApiError {
    api_error(409, format!("Conflict: {what}"))
}

type Outcome = Result<(Value, Option<i64>), ApiError>;

/// A parameter as it arrived.
#[derive(Debug, Clone)]
enum Raw {
    Json(Value),
    Text(String),
    File { name: String, bytes: Vec<u8> },
}

/// The parameters of a request as they arrived, by name.
type Fields = Vec<(String, Raw)>;

/// The typed parameters of a request, and the files uploaded with it (by part name).
struct Params {
    map: Map<String, Value>,
    files: HashMap<String, (String, Vec<u8>)>,
}

/// What the fake knows about a request while answering it.
struct Call {
    at: Instant,
    method: Method,
    sent_as: String,
    kind: &'static str,
    wire: Value,
    body: Value,
}

fn json_response(status: u16, body: &Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = [("content-type", "application/json")];
    (code, headers, body.to_string()).into_response()
}

fn html_response(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let page = "<html><body><h1>Bad Gateway</h1></body></html>";
    (code, [("content-type", "text/html")], page).into_response()
}

async fn handle(
    State(api): State<FakeApi>,
    Path((bot, name)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let decoded = decode_body(&headers, &body, uri.query());
    let (kind, wire) = match &decoded {
        Ok((kind, fields)) => (*kind, wire_json(fields)),
        Err(_) => ("none", Value::Null),
    };
    let call = Call {
        at: Instant::now(),
        method: Method::new(&name),
        sent_as: name.clone(),
        kind,
        body: wire.clone(),
        wire,
    };
    if bot != format!("bot{TOKEN}") {
        return api.finish(call, Err(api_error(401, "Unauthorized".to_owned())));
    }
    if let Some(answer) = api.fault_answer(&call).await {
        return answer;
    }
    let fields = match decoded {
        Ok((_, fields)) => fields,
        Err(e) => return api.finish(call, Err(bad(e))),
    };
    let Some(spec) = find_method(&name) else {
        return api.finish(call, Err(api_error(404, "Not Found".to_owned())));
    };
    let params = match typed_params(spec, fields) {
        Ok(p) => p,
        Err(e) => return api.finish(call, Err(e)),
    };
    let call = Call {
        body: Value::Object(params.map.clone()),
        ..call
    };
    if let Err(e) = check_content(spec.name, &params.map) {
        return api.finish(call, Err(e));
    }
    if let Some(reply) = api.scripted(spec.name, &params.map) {
        return api.finish_scripted(call, reply);
    }
    let outcome = if spec.name == "getUpdates" {
        get_updates(&api, &params.map).await.map(|v| (v, None))
    } else {
        let outcome = api.lock().exec(spec.name, &params);
        api.notify.notify_waiters();
        outcome
    };
    api.finish(call, outcome)
}

impl FakeApi {
    /// The answer when the Bot API is down or a fault is due; None to answer normally.
    async fn fault_answer(&self, call: &Call) -> Option<Response> {
        let (down, fault) = {
            let mut inner = self.lock();
            let key = call.sent_as.to_ascii_lowercase();
            let fault = inner.faults.get_mut(&key).and_then(VecDeque::pop_front);
            (inner.down, fault)
        };
        let record = |status: u16| self.record(call, status, false, None, None, Value::Null);
        if down {
            record(502);
            return Some(html_response(502));
        }
        match fault? {
            Fault::Slow(d) => {
                tokio::time::sleep(d).await;
                None
            }
            Fault::Garbled => {
                record(200);
                Some((StatusCode::OK, "{\"ok\": tr").into_response())
            }
            Fault::Html500 => {
                record(500);
                Some(html_response(500))
            }
            Fault::Dropped => {
                record(0);
                // Ending the connection's task closes it without an answer.
                std::panic::resume_unwind(Box::new("the fake drops this connection"))
            }
        }
    }

    /// A scripted reply due for this call, if any.
    fn scripted(&self, method: &str, p: &Map<String, Value>) -> Option<Value> {
        let chat = match p.get("chat_id") {
            Some(Value::String(s)) => s.parse().unwrap_or_default(),
            Some(v) => v.as_i64().unwrap_or_default(),
            None => 0,
        };
        let mut inner = self.lock();
        let key = (method.to_ascii_lowercase(), chat);
        inner.scripts.get_mut(&key).and_then(VecDeque::pop_front)
    }

    fn finish_scripted(&self, call: Call, reply: Value) -> Response {
        let ok = reply["ok"] == true;
        let code = reply["error_code"]
            .as_u64()
            .and_then(|c| u16::try_from(c).ok());
        let status = if ok { 200 } else { code.unwrap_or(400) };
        self.record(&call, status, ok, None, None, reply.clone());
        json_response(status, &reply)
    }

    /// Records the answer to `call` and sends it.
    fn finish(&self, call: Call, outcome: Outcome) -> Response {
        let edit = matches!(
            call.method.as_str(),
            "editMessageText" | "editMessageReplyMarkup"
        );
        let edited = edit.then(|| call.body.get("message_id").and_then(Value::as_i64));
        let (status, body, refused, id) = match outcome {
            Ok((result, id)) => {
                let mut body = json!({ "ok": true, "result": result });
                if let Some(d) = ok_description(call.method.as_str(), &result) {
                    body["description"] = json!(d);
                }
                (200, body, None, id)
            }
            Err(e) => {
                let body = error(e.code, &e.description);
                (e.code, body, (!e.excused).then_some(e.description), None)
            }
        };
        let id = edited.flatten().or(id);
        let ok = status == 200;
        self.record(&call, status, ok, refused, id, body.clone());
        json_response(status, &body)
    }

    fn record(
        &self,
        call: &Call,
        status: u16,
        ok: bool,
        refused: Option<String>,
        message_id: Option<i64>,
        response: Value,
    ) {
        let mut inner = self.lock();
        let t = call.at.duration_since(inner.started).as_secs_f64();
        inner.log.push(json!({
            "t": t, "verb": "POST", "method": call.sent_as, "body_kind": call.kind,
            "params": call.wire, "status": status, "response": response,
        }));
        inner.requests.push(Request {
            method: call.method.clone(),
            body: call.body.clone(),
            at: call.at,
            refused,
            message_id,
            status,
            ok,
        });
    }
}

fn ok_description(method: &str, _result: &Value) -> Option<&'static str> {
    match method {
        "setWebhook" => Some("Webhook was set"),
        "deleteWebhook" => Some("Webhook was deleted"),
        _ => None,
    }
}

/// File downloads: `GET /file/bot<token>/<file_path>` (the path may arrive percent-encoded).
async fn download(State(api): State<FakeApi>, uri: Uri) -> Response {
    let path = percent_decode(uri.path(), false);
    let not_found = || json_response(404, &error(404, "Not Found"));
    let Some(file_path) = path.strip_prefix(&format!("/file/bot{TOKEN}/")) else {
        return not_found();
    };
    let inner = api.lock();
    match inner.files.values().find(|f| f.path == file_path) {
        Some(f) if f.size <= MAX_DOWNLOAD => (StatusCode::OK, f.bytes.clone()).into_response(),
        _ => not_found(),
    }
}

/// The parameters of a request: from the query string, then the JSON, multipart or
/// urlencoded body (later ones win), with the kind of body.
fn decode_body(
    headers: &HeaderMap,
    body: &[u8],
    query: Option<&str>,
) -> Result<(&'static str, Fields), String> {
    let header = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ctype = header.to_ascii_lowercase();
    let mut fields = query.map(parse_urlencoded).unwrap_or_default();
    let kind = if ctype.starts_with("application/json") {
        let v: Value = if body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(body).map_err(|e| format!("can't parse JSON object: {e}"))?
        };
        let Value::Object(o) = v else {
            return Err("the JSON body must be an object".to_owned());
        };
        fields.extend(o.into_iter().map(|(k, v)| (k, Raw::Json(v))));
        "json"
    } else if ctype.starts_with("multipart/form-data") {
        let at = ctype
            .find("boundary=")
            .ok_or("multipart body without a boundary")?;
        let boundary = header[at + 9..].split(';').next().unwrap_or("").trim();
        fields.extend(parse_multipart(body, boundary.trim_matches('"'))?);
        "multipart"
    } else if ctype.starts_with("application/x-www-form-urlencoded") {
        fields.extend(parse_urlencoded(&String::from_utf8_lossy(body)));
        "form"
    } else if body.is_empty() {
        if fields.is_empty() { "none" } else { "query" }
    } else {
        return Err(format!("unsupported Content-Type {header:?}"));
    };
    let mut out: Vec<(String, Raw)> = Vec::new();
    for (name, raw) in fields {
        out.retain(|(n, _)| *n != name);
        out.push((name, raw));
    }
    Ok((kind, out))
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() || needle.is_empty() {
        return None;
    }
    let at = hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)?;
    Some(at + from)
}

fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<(String, Raw)>, String> {
    let delim = format!("--{boundary}").into_bytes();
    let mut out = Vec::new();
    let mut pos = find(body, &delim, 0).ok_or("no multipart boundary in the body")?;
    loop {
        let start = pos + delim.len();
        if body[start..].starts_with(b"--") {
            return Ok(out);
        }
        let next = find(body, &delim, start).ok_or("unterminated multipart body")?;
        let part = &body[start..next];
        let part = part.strip_prefix(&b"\r\n"[..]).unwrap_or(part);
        let part = part.strip_suffix(&b"\r\n"[..]).unwrap_or(part);
        let split = find(part, b"\r\n\r\n", 0).ok_or("a multipart part without headers")?;
        let head = String::from_utf8_lossy(&part[..split]);
        let content = &part[split + 4..];
        let name = disposition(&head, "name").ok_or("a multipart part without a name")?;
        let raw = match disposition(&head, "filename") {
            Some(file) => Raw::File {
                name: file,
                bytes: content.to_vec(),
            },
            None => Raw::Text(String::from_utf8_lossy(content).into_owned()),
        };
        out.push((name, raw));
        pos = next;
    }
}

/// A parameter of a part's Content-Disposition header (`name="x"`).
fn disposition(head: &str, key: &str) -> Option<String> {
    let line = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))?;
    let prefix = format!("{key}=");
    line.split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix(&prefix))
        .map(|v| v.trim_matches('"').to_owned())
}

fn parse_urlencoded(s: &str) -> Vec<(String, Raw)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), Raw::Text(percent_decode(v, true)))
        })
        .collect()
}

fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parameters as they arrived, for the log and for requests that could not be typed.
fn wire_json(fields: &[(String, Raw)]) -> Value {
    let value = |raw: &Raw| match raw {
        Raw::Json(v) => v.clone(),
        Raw::Text(s) => json!(s),
        Raw::File { name, bytes } => json!({ "file": name, "size": bytes.len() }),
    };
    Value::Object(fields.iter().map(|(k, r)| (k.clone(), value(r))).collect())
}

// ---------------------------------------------------------------------- parameter tables

/// The JSON types a parameter or field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Int,
    Float,
    Str,
    Bool,
    /// Integer or String (a chat id or an @username).
    ChatId,
    Obj,
    Arr,
    /// An uploaded file (multipart part, or `attach://<part>`) or a String (file id or URL).
    Upload,
}

impl Ty {
    fn describe(self) -> &'static str {
        match self {
            Ty::Int => "an Integer",
            Ty::Float => "a Float",
            Ty::Str => "a String",
            Ty::Bool => "a Boolean",
            Ty::ChatId => "an Integer or a String",
            Ty::Obj => "a JSON object",
            Ty::Arr => "a JSON array",
            Ty::Upload => "an uploaded file or a String",
        }
    }
}

use Ty::{Arr, Bool, ChatId, Float, Int, Obj, Str, Upload};

/// A parameter of a method, or a field of an object the bot sends.
#[derive(Debug, Clone, Copy)]
struct Param {
    name: &'static str,
    ty: Ty,
    required: bool,
}

const fn opt(name: &'static str, ty: Ty) -> Param {
    Param {
        name,
        ty,
        required: false,
    }
}

const fn req(name: &'static str, ty: Ty) -> Param {
    Param {
        name,
        ty,
        required: true,
    }
}

struct MethodSpec {
    name: &'static str,
    params: &'static [Param],
}

/// The methods the fake answers, with their parameters (Bot API 10.1), written by hand.
#[rustfmt::skip]
const METHODS: &[MethodSpec] = &[
    MethodSpec { name: "getMe", params: &[] },
    MethodSpec { name: "getUpdates", params: &[
        opt("offset", Int), opt("limit", Int), opt("timeout", Int), opt("allowed_updates", Arr),
    ] },
    MethodSpec { name: "setWebhook", params: &[
        req("url", Str), opt("certificate", Upload), opt("ip_address", Str),
        opt("max_connections", Int), opt("allowed_updates", Arr), opt("drop_pending_updates", Bool),
        opt("secret_token", Str),
    ] },
    MethodSpec { name: "deleteWebhook", params: &[opt("drop_pending_updates", Bool)] },
    MethodSpec { name: "getWebhookInfo", params: &[] },
    MethodSpec { name: "sendMessage", params: &[
        opt("business_connection_id", Str), req("chat_id", ChatId), opt("message_thread_id", Int),
        opt("direct_messages_topic_id", Int), req("text", Str), opt("parse_mode", Str),
        opt("entities", Arr), opt("link_preview_options", Obj), opt("disable_notification", Bool),
        opt("protect_content", Bool), opt("allow_paid_broadcast", Bool),
        opt("message_effect_id", Str), opt("suggested_post_parameters", Obj),
        opt("reply_parameters", Obj), opt("reply_markup", Obj),
    ] },
    MethodSpec { name: "editMessageText", params: &[
        opt("business_connection_id", Str), opt("chat_id", ChatId), opt("message_id", Int),
        opt("inline_message_id", Str), opt("text", Str), opt("parse_mode", Str),
        opt("entities", Arr), opt("link_preview_options", Obj), opt("rich_message", Obj),
        opt("reply_markup", Obj),
    ] },
    MethodSpec { name: "editMessageReplyMarkup", params: &[
        opt("business_connection_id", Str), opt("chat_id", ChatId), opt("message_id", Int),
        opt("inline_message_id", Str), opt("reply_markup", Obj),
    ] },
    MethodSpec { name: "deleteMessage", params: &[req("chat_id", ChatId), req("message_id", Int)] },
    MethodSpec { name: "answerCallbackQuery", params: &[
        req("callback_query_id", Str), opt("text", Str), opt("show_alert", Bool), opt("url", Str),
        opt("cache_time", Int),
    ] },
    MethodSpec { name: "answerInlineQuery", params: &[
        req("inline_query_id", Str), req("results", Arr), opt("cache_time", Int),
        opt("is_personal", Bool), opt("next_offset", Str), opt("button", Obj),
    ] },
    MethodSpec { name: "setMyCommands", params: &[
        req("commands", Arr), opt("scope", Obj), opt("language_code", Str),
    ] },
    MethodSpec { name: "deleteMyCommands", params: &[
        opt("scope", Obj), opt("language_code", Str),
    ] },
    MethodSpec { name: "getMyCommands", params: &[opt("scope", Obj), opt("language_code", Str)] },
    MethodSpec { name: "sendChatAction", params: &[
        opt("business_connection_id", Str), req("chat_id", ChatId), opt("message_thread_id", Int),
        req("action", Str),
    ] },
    MethodSpec { name: "getFile", params: &[req("file_id", Str)] },
    MethodSpec { name: "copyMessage", params: &[
        req("chat_id", ChatId), opt("message_thread_id", Int), opt("direct_messages_topic_id", Int),
        req("from_chat_id", ChatId), req("message_id", Int), opt("video_start_timestamp", Int),
        opt("caption", Str), opt("parse_mode", Str), opt("caption_entities", Arr),
        opt("show_caption_above_media", Bool), opt("disable_notification", Bool),
        opt("protect_content", Bool), opt("allow_paid_broadcast", Bool),
        opt("message_effect_id", Str), opt("suggested_post_parameters", Obj),
        opt("reply_parameters", Obj), opt("reply_markup", Obj),
    ] },
    MethodSpec { name: "forwardMessage", params: &[
        req("chat_id", ChatId), opt("message_thread_id", Int), opt("direct_messages_topic_id", Int),
        req("from_chat_id", ChatId), opt("video_start_timestamp", Int),
        opt("disable_notification", Bool), opt("protect_content", Bool),
        opt("message_effect_id", Str), opt("suggested_post_parameters", Obj),
        req("message_id", Int),
    ] },
    MethodSpec { name: "sendDocument", params: &[
        opt("business_connection_id", Str), req("chat_id", ChatId), opt("message_thread_id", Int),
        opt("direct_messages_topic_id", Int), req("document", Upload), opt("thumbnail", Upload),
        opt("caption", Str), opt("parse_mode", Str), opt("caption_entities", Arr),
        opt("disable_content_type_detection", Bool), opt("disable_notification", Bool),
        opt("protect_content", Bool), opt("allow_paid_broadcast", Bool),
        opt("message_effect_id", Str), opt("suggested_post_parameters", Obj),
        opt("reply_parameters", Obj), opt("reply_markup", Obj),
    ] },
    MethodSpec { name: "sendPhoto", params: &[
        opt("business_connection_id", Str), req("chat_id", ChatId), opt("message_thread_id", Int),
        opt("direct_messages_topic_id", Int), req("photo", Upload), opt("caption", Str),
        opt("parse_mode", Str), opt("caption_entities", Arr), opt("show_caption_above_media", Bool),
        opt("has_spoiler", Bool), opt("disable_notification", Bool), opt("protect_content", Bool),
        opt("allow_paid_broadcast", Bool), opt("message_effect_id", Str),
        opt("suggested_post_parameters", Obj), opt("reply_parameters", Obj),
        opt("reply_markup", Obj),
    ] },
    MethodSpec { name: "createForumTopic", params: &[
        req("chat_id", ChatId), req("name", Str), opt("icon_color", Int),
        opt("icon_custom_emoji_id", Str),
    ] },
    MethodSpec { name: "editForumTopic", params: &[
        req("chat_id", ChatId), req("message_thread_id", Int), opt("name", Str),
        opt("icon_custom_emoji_id", Str),
    ] },
    MethodSpec { name: "closeForumTopic", params: &[
        req("chat_id", ChatId), req("message_thread_id", Int),
    ] },
    MethodSpec { name: "reopenForumTopic", params: &[
        req("chat_id", ChatId), req("message_thread_id", Int),
    ] },
    MethodSpec { name: "getChat", params: &[req("chat_id", ChatId)] },
    MethodSpec { name: "getChatMember", params: &[req("chat_id", ChatId), req("user_id", Int)] },
];

/// The method `name` in any letter case.
fn find_method(name: &str) -> Option<&'static MethodSpec> {
    METHODS.iter().find(|m| m.name.eq_ignore_ascii_case(name))
}

// Fields of the objects the bot sends, written by hand from the spec.
#[rustfmt::skip]
const LINK_PREVIEW_FIELDS: &[Param] = &[
    opt("is_disabled", Bool), opt("url", Str), opt("prefer_small_media", Bool),
    opt("prefer_large_media", Bool), opt("show_above_text", Bool),
];
#[rustfmt::skip]
const REPLY_FIELDS: &[Param] = &[
    req("message_id", Int), opt("chat_id", ChatId), opt("allow_sending_without_reply", Bool),
    opt("quote", Str), opt("quote_parse_mode", Str), opt("quote_entities", Arr),
    opt("quote_position", Int), opt("checklist_task_id", Int), opt("poll_option_id", Str),
];
#[rustfmt::skip]
const ENTITY_FIELDS: &[Param] = &[
    req("type", Str), req("offset", Int), req("length", Int), opt("url", Str), opt("user", Obj),
    opt("language", Str), opt("custom_emoji_id", Str), opt("unix_time", Int),
    opt("date_time_format", Str),
];
#[rustfmt::skip]
const BUTTON_FIELDS: &[Param] = &[
    req("text", Str), opt("icon_custom_emoji_id", Str), opt("style", Str), opt("url", Str),
    opt("callback_data", Str), opt("web_app", Obj), opt("login_url", Obj),
    opt("switch_inline_query", Str), opt("switch_inline_query_current_chat", Str),
    opt("switch_inline_query_chosen_chat", Obj), opt("copy_text", Obj), opt("callback_game", Obj),
    opt("pay", Bool),
];
/// The fields of an inline button of which exactly one is used.
#[rustfmt::skip]
const BUTTON_ACTIONS: &[&str] = &[
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
];
#[rustfmt::skip]
const KEYBOARD_BUTTON_FIELDS: &[Param] = &[
    req("text", Str), opt("icon_custom_emoji_id", Str), opt("style", Str),
    opt("request_users", Obj), opt("request_chat", Obj), opt("request_managed_bot", Obj),
    opt("request_contact", Bool), opt("request_location", Bool), opt("request_poll", Obj),
    opt("web_app", Obj),
];
const INLINE_MARKUP_FIELDS: &[Param] = &[req("inline_keyboard", Arr)];
#[rustfmt::skip]
const REPLY_KEYBOARD_FIELDS: &[Param] = &[
    req("keyboard", Arr), opt("is_persistent", Bool), opt("resize_keyboard", Bool),
    opt("one_time_keyboard", Bool), opt("input_field_placeholder", Str), opt("selective", Bool),
];
const REMOVE_KEYBOARD_FIELDS: &[Param] = &[req("remove_keyboard", Bool), opt("selective", Bool)];
#[rustfmt::skip]
const FORCE_REPLY_FIELDS: &[Param] = &[
    req("force_reply", Bool), opt("input_field_placeholder", Str), opt("selective", Bool),
];
const WEB_APP_FIELDS: &[Param] = &[req("url", Str)];
#[rustfmt::skip]
const LOGIN_URL_FIELDS: &[Param] = &[
    req("url", Str), opt("forward_text", Str), opt("bot_username", Str),
    opt("request_write_access", Bool),
];
const COPY_TEXT_FIELDS: &[Param] = &[req("text", Str)];
#[rustfmt::skip]
const CHOSEN_CHAT_FIELDS: &[Param] = &[
    opt("query", Str), opt("allow_user_chats", Bool), opt("allow_bot_chats", Bool),
    opt("allow_group_chats", Bool), opt("allow_channel_chats", Bool),
];
const COMMAND_FIELDS: &[Param] = &[req("command", Str), req("description", Str)];
const SCOPE_PLAIN_FIELDS: &[Param] = &[req("type", Str)];
const SCOPE_CHAT_FIELDS: &[Param] = &[req("type", Str), req("chat_id", ChatId)];
#[rustfmt::skip]
const SCOPE_MEMBER_FIELDS: &[Param] = &[
    req("type", Str), req("chat_id", ChatId), req("user_id", Int),
];
#[rustfmt::skip]
const RESULTS_BUTTON_FIELDS: &[Param] = &[
    req("text", Str), opt("web_app", Obj), opt("start_parameter", Str),
];
#[rustfmt::skip]
const ARTICLE_FIELDS: &[Param] = &[
    req("type", Str), req("id", Str), req("title", Str), req("input_message_content", Obj),
    opt("reply_markup", Obj), opt("url", Str), opt("description", Str), opt("thumbnail_url", Str),
    opt("thumbnail_width", Int), opt("thumbnail_height", Int),
];
#[rustfmt::skip]
const TEXT_CONTENT_FIELDS: &[Param] = &[
    req("message_text", Str), opt("parse_mode", Str), opt("entities", Arr),
    opt("link_preview_options", Obj),
];
#[rustfmt::skip]
const LOCATION_CONTENT_FIELDS: &[Param] = &[
    req("latitude", Float), req("longitude", Float), opt("horizontal_accuracy", Float),
    opt("live_period", Int), opt("heading", Int), opt("proximity_alert_radius", Int),
];
#[rustfmt::skip]
const VENUE_CONTENT_FIELDS: &[Param] = &[
    req("latitude", Float), req("longitude", Float), req("title", Str), req("address", Str),
    opt("foursquare_id", Str), opt("foursquare_type", Str), opt("google_place_id", Str),
    opt("google_place_type", Str),
];
#[rustfmt::skip]
const CONTACT_CONTENT_FIELDS: &[Param] = &[
    req("phone_number", Str), req("first_name", Str), opt("last_name", Str), opt("vcard", Str),
];

#[rustfmt::skip]
const ENTITY_TYPES: &[&str] = &[
    "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bold",
    "italic", "underline", "strikethrough", "spoiler", "blockquote", "expandable_blockquote",
    "code", "pre", "text_link", "text_mention", "custom_emoji", "date_time",
];
#[rustfmt::skip]
const UPDATE_KINDS: &[&str] = &[
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "guest_message",
    "message_reaction", "message_reaction_count", "inline_query", "chosen_inline_result",
    "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll",
    "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
    "removed_chat_boost", "managed_bot",
];
/// Update kinds a bot gets only when it asks for them in allowed_updates.
const OPT_IN_KINDS: &[&str] = &["chat_member", "message_reaction", "message_reaction_count"];
#[rustfmt::skip]
const CHAT_ACTIONS: &[&str] = &[
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
];
#[rustfmt::skip]
const TOPIC_COLORS: &[i64] = &[
    7_322_096, 16_766_590, 13_338_331, 9_367_192, 16_749_490, 16_478_047,
];

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "Float",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
    }
}

fn describe_value(v: &Value) -> String {
    let s = v.to_string();
    let short: String = s.chars().take(40).collect();
    let dots = if short.len() < s.len() { "…" } else { "" };
    format!("{} {short}{dots}", kind_of(v))
}

/// Whether a JSON value has type `ty` (strictly: a number in a String is a String).
fn type_ok(v: &Value, ty: Ty) -> bool {
    match ty {
        Int => v.is_i64(),
        Float => v.is_number(),
        Str => v.is_string(),
        Bool => v.is_boolean(),
        ChatId => v.is_i64() || v.is_string(),
        Obj => v.is_object(),
        Arr => v.is_array(),
        Upload => v.is_string() || v.get("upload").is_some() || v.get("attach").is_some(),
    }
}

/// A form (multipart or urlencoded) value as the type `ty` reads it, as Telegram does.
fn from_text(ty: Ty, s: &str) -> Option<Value> {
    match ty {
        Int => s.parse::<i64>().ok().map(Value::from),
        Float => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        Str => Some(json!(s)),
        Bool => match s {
            "true" | "1" => Some(json!(true)),
            "false" | "0" => Some(json!(false)),
            _ => None,
        },
        ChatId => Some(s.parse::<i64>().map_or_else(|_| json!(s), Value::from)),
        Obj => serde_json::from_str::<Value>(s)
            .ok()
            .filter(Value::is_object),
        Arr => serde_json::from_str::<Value>(s)
            .ok()
            .filter(Value::is_array),
        Upload => Some(match s.strip_prefix("attach://") {
            Some(part) => json!({ "attach": part }),
            None => json!(s),
        }),
    }
}

/// Types the parameters by the method's table: refuses unknown ones, missing required ones
/// and values of the wrong type, naming the parameter.
fn typed_params(spec: &MethodSpec, fields: Vec<(String, Raw)>) -> Result<Params, ApiError> {
    let attached: HashSet<String> = fields
        .iter()
        .filter_map(|(_, raw)| match raw {
            Raw::Text(s) => s.strip_prefix("attach://").map(str::to_owned),
            Raw::Json(Value::String(s)) => s.strip_prefix("attach://").map(str::to_owned),
            _ => None,
        })
        .collect();
    let mut map = Map::new();
    let mut files = HashMap::new();
    for (name, raw) in fields {
        let param = spec.params.iter().find(|p| p.name == name);
        let value = match (param, raw) {
            (None, Raw::File { name: file, bytes }) if attached.contains(&name) => {
                files.insert(name, (file, bytes));
                continue;
            }
            (None, _) => {
                return Err(bad(format!(
                    "unknown parameter \"{name}\" of {} (Telegram would silently ignore it)",
                    spec.name
                )));
            }
            (Some(p), raw) => typed(p, raw, &mut files)?,
        };
        map.insert(name, value);
    }
    for p in spec.params.iter().filter(|p| p.required) {
        if !map.contains_key(p.name) {
            return Err(bad(format!("parameter \"{}\" is required", p.name)));
        }
    }
    Ok(Params { map, files })
}

fn typed(
    p: &Param,
    raw: Raw,
    files: &mut HashMap<String, (String, Vec<u8>)>,
) -> Result<Value, ApiError> {
    let wrong = |got: String| {
        bad(format!(
            "parameter \"{}\" must be {}, got {got}",
            p.name,
            p.ty.describe()
        ))
    };
    match raw {
        Raw::File { name, bytes } if p.ty == Upload => {
            let v = json!({ "upload": name, "size": bytes.len() });
            files.insert(p.name.to_owned(), (name, bytes));
            Ok(v)
        }
        Raw::File { name, .. } => Err(wrong(format!("an uploaded file {name:?}"))),
        Raw::Text(s) => from_text(p.ty, &s).ok_or_else(|| wrong(format!("{s:?}"))),
        Raw::Json(Value::String(s)) if p.ty == Upload && s.starts_with("attach://") => {
            Ok(from_text(Upload, &s).unwrap_or_default())
        }
        Raw::Json(v) if type_ok(&v, p.ty) => Ok(v),
        Raw::Json(v) => Err(wrong(describe_value(&v))),
    }
}

/// Checks an object the bot sent against its fields: unknown fields, missing required ones
/// and values of the wrong type are refused, naming the field.
fn check_fields<'v>(
    v: &'v Value,
    place: &str,
    fields: &[Param],
) -> Result<&'v Map<String, Value>, ApiError> {
    let Some(o) = v.as_object() else {
        return Err(bad(format!(
            "{place} must be a JSON object, got {}",
            describe_value(v)
        )));
    };
    for (k, x) in o {
        let Some(f) = fields.iter().find(|f| f.name == k) else {
            return Err(bad(format!(
                "unknown field \"{k}\" in {place} (Telegram would silently ignore it)"
            )));
        };
        if !type_ok(x, f.ty) {
            let (want, got) = (f.ty.describe(), describe_value(x));
            return Err(bad(format!(
                "field \"{place}.{k}\" must be {want}, got {got}"
            )));
        }
    }
    if let Some(f) = fields
        .iter()
        .find(|f| f.required && !o.contains_key(f.name))
    {
        return Err(bad(format!("field \"{place}.{}\" is required", f.name)));
    }
    Ok(o)
}

// ------------------------------------------------------------------------------ Telegram HTML

/// The tags Telegram's HTML knows.
#[rustfmt::skip]
const TAGS: &[&str] = &[
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code",
    "pre", "blockquote", "tg-emoji", "tg-time",
];

#[derive(Debug)]
enum HtmlError {
    /// Telegram refuses the text: "can't parse entities: …".
    Syntax(String),
    /// A named entity other than &lt; &gt; &amp; &quot;: Telegram shows it literally.
    Literal(String),
}

/// A tag open while parsing.
struct Open {
    tag: String,
    /// href, language, spoiler class, emoji id, "1" for expandable, unix time.
    arg: String,
    /// tg-time's format.
    format: Option<String>,
    /// Where its text starts, in UTF-16 code units of the output.
    start: usize,
    /// A <pre>'s language, from the class of a <code> inside it.
    language: Option<String>,
}

enum Decoded {
    Char(char, usize),
    Named(String),
    Not,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0 | 0x0b)
}

/// An HTML character reference at `pos` (`&…`), decoded as Telegram decodes it: the four named
/// ones and numeric ones (the `;` may be left out); anything else is a literal `&`.
fn decode_entity(b: &[u8], pos: usize) -> Decoded {
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut end = pos + 1;
    if at(end) == b'#' {
        end += 1;
        let hex = at(end) == b'x';
        if hex {
            end += 1;
        }
        let mut code: u32 = 0;
        while (hex && at(end).is_ascii_hexdigit()) || (!hex && at(end).is_ascii_digit()) {
            let digit = (at(end) as char).to_digit(16).unwrap_or(0);
            code = code
                .saturating_mul(if hex { 16 } else { 10 })
                .saturating_add(digit);
            end += 1;
        }
        if code == 0 || code >= 0x10_FFFF || end - pos >= 10 {
            return Decoded::Not;
        }
        let Some(c) = char::from_u32(code) else {
            return Decoded::Not;
        };
        return Decoded::Char(c, if at(end) == b';' { end + 1 } else { end });
    }
    while at(end).is_ascii_alphabetic() {
        end += 1;
    }
    let c = match &b[pos + 1..end] {
        b"lt" => '<',
        b"gt" => '>',
        b"amp" => '&',
        b"quot" => '"',
        name if !name.is_empty() && at(end) == b';' => {
            return Decoded::Named(String::from_utf8_lossy(name).into_owned());
        }
        _ => return Decoded::Not,
    };
    Decoded::Char(c, if at(end) == b';' { end + 1 } else { end })
}

struct Html<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    out: String,
    len16: usize,
    stack: Vec<Open>,
    entities: Vec<Value>,
    literal: Option<String>,
}

fn syntax(what: String) -> HtmlError {
    HtmlError::Syntax(what)
}

impl Html<'_> {
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn push(&mut self, c: char) {
        self.out.push(c);
        self.len16 += c.len_utf16();
    }

    /// The character at byte `i` (always a character boundary here).
    fn char_at(&self, i: usize) -> char {
        self.s[i..].chars().next().unwrap_or('\0')
    }

    fn run(mut self) -> Result<(String, Vec<Value>), HtmlError> {
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if c == b'&' {
                match decode_entity(self.b, self.i) {
                    Decoded::Char(ch, next) => {
                        self.push(ch);
                        self.i = next;
                        continue;
                    }
                    Decoded::Named(name) => drop(self.literal.get_or_insert(name)),
                    Decoded::Not => {}
                }
            }
            if c != b'<' {
                let ch = self.char_at(self.i);
                self.push(ch);
                self.i += ch.len_utf8();
            } else if self.at(self.i + 1) == b'/' {
                self.close_tag(self.i)?;
            } else {
                self.open_tag(self.i)?;
            }
        }
        if let Some(open) = self.stack.last() {
            let tag = &open.tag;
            return Err(syntax(format!(
                "Can't find end tag corresponding to start tag \"{tag}\""
            )));
        }
        if let Some(name) = self.literal {
            return Err(HtmlError::Literal(name));
        }
        self.entities.sort_by_key(|e| {
            let n = |k: &str| e[k].as_u64().unwrap_or(0);
            (n("offset"), Reverse(n("length")))
        });
        Ok((self.out, self.entities))
    }

    fn open_tag(&mut self, begin: usize) -> Result<(), HtmlError> {
        let n = self.b.len();
        let mut i = begin + 1;
        while !is_space(self.at(i)) && self.at(i) != b'>' {
            i += 1;
        }
        if i >= n {
            return Err(syntax(format!("Unclosed start tag at byte offset {begin}")));
        }
        let tag = self.s[begin + 1..i].to_lowercase();
        if !TAGS.contains(&tag.as_str()) {
            return Err(syntax(format!(
                "Unsupported start tag \"{tag}\" at byte offset {begin}"
            )));
        }
        let mut open = Open {
            tag,
            arg: String::new(),
            format: None,
            start: self.len16,
            language: None,
        };
        while self.at(i) != b'>' {
            i = self.attribute(&mut open, begin, i)?;
        }
        if open.tag == "span" && open.arg != "spoiler" {
            return Err(syntax(format!(
                "Tag \"span\" must have class \"tg-spoiler\" at byte offset {begin}"
            )));
        }
        self.stack.push(open);
        self.i = i + 1;
        Ok(())
    }

    /// Reads one attribute of the tag opened at `begin`, from `i`; returns where it ends.
    fn attribute(&self, open: &mut Open, begin: usize, mut i: usize) -> Result<usize, HtmlError> {
        let n = self.b.len();
        let unclosed = |tag: &str| {
            syntax(format!(
                "Unclosed start tag \"{tag}\" at byte offset {begin}"
            ))
        };
        while i < n && is_space(self.at(i)) {
            i += 1;
        }
        if self.at(i) == b'>' {
            return Ok(i);
        }
        let a0 = i;
        while !is_space(self.at(i)) && !b"=>/\"'".contains(&self.at(i)) {
            i += 1;
        }
        let name = self.s[a0..i].to_owned();
        if name.is_empty() {
            let tag = &open.tag;
            return Err(syntax(format!(
                "Empty attribute name in the tag \"{tag}\" at byte offset {begin}"
            )));
        }
        while i < n && is_space(self.at(i)) {
            i += 1;
        }
        if self.at(i) != b'=' {
            if i >= n {
                return Err(unclosed(&open.tag));
            }
            if open.tag == "blockquote" && name == "expandable" {
                open.arg = "1".to_owned();
            }
            return Ok(i);
        }
        i += 1;
        while i < n && is_space(self.at(i)) {
            i += 1;
        }
        if i >= n {
            return Err(unclosed(&open.tag));
        }
        let value;
        if self.at(i) != b'"' && self.at(i) != b'\'' {
            let t0 = i;
            while self.at(i).is_ascii_alphanumeric() || self.at(i) == b'.' || self.at(i) == b'-' {
                i += 1;
            }
            if !is_space(self.at(i)) && self.at(i) != b'>' {
                return Err(syntax(format!(
                    "Unexpected end of name token at byte offset {t0}"
                )));
            }
            value = self.s[t0..i].to_ascii_lowercase();
        } else {
            let quote = self.at(i);
            i += 1;
            let mut v = String::new();
            while i < n && self.at(i) != quote {
                if self.at(i) == b'&'
                    && let Decoded::Char(c, next) = decode_entity(self.b, i)
                {
                    v.push(c);
                    i = next;
                    continue;
                }
                let c = self.char_at(i);
                v.push(c);
                i += c.len_utf8();
            }
            if i < n {
                i += 1;
            }
            value = v;
        }
        if i >= n {
            return Err(syntax(format!("Unclosed start tag at byte offset {begin}")));
        }
        set_attribute(open, &name, value);
        Ok(i)
    }

    fn close_tag(&mut self, begin: usize) -> Result<(), HtmlError> {
        let n = self.b.len();
        if self.stack.is_empty() {
            return Err(syntax(format!("Unexpected end tag at byte offset {begin}")));
        }
        let mut i = begin + 2;
        while !is_space(self.at(i)) && self.at(i) != b'>' {
            i += 1;
        }
        let end_tag = self.s[(begin + 2).min(n)..i.min(n)].to_lowercase();
        while i < n && is_space(self.at(i)) {
            i += 1;
        }
        if self.at(i) != b'>' {
            return Err(syntax(format!("Unclosed end tag at byte offset {begin}")));
        }
        let top = self.stack.last().unwrap();
        if !end_tag.is_empty() && end_tag != top.tag {
            let tag = &top.tag;
            return Err(syntax(format!(
                "Unmatched end tag at byte offset {begin}, expected \"</{tag}>\", found \"</{end_tag}>\""
            )));
        }
        if top.tag == "tg-emoji" && !top.arg.parse::<u64>().is_ok_and(|id| id > 0) {
            return Err(syntax(
                "Invalid custom emoji identifier specified".to_owned(),
            ));
        }
        let open = self.stack.pop().unwrap();
        self.close_entity(open);
        self.i = i + 1;
        Ok(())
    }

    /// The entity of a closed tag (none for an empty one; a <code> in a <pre> gives the
    /// <pre> its language).
    fn close_entity(&mut self, open: Open) {
        if open.tag == "code"
            && let Some(parent) = self.stack.last_mut()
            && parent.tag == "pre"
        {
            if !open.arg.is_empty() {
                parent.language = Some(open.arg);
            }
            return;
        }
        let length = self.len16 - open.start;
        if length == 0 {
            return;
        }
        let ty = match open.tag.as_str() {
            "b" | "strong" => "bold",
            "i" | "em" => "italic",
            "u" | "ins" => "underline",
            "s" | "strike" | "del" => "strikethrough",
            "tg-spoiler" | "span" => "spoiler",
            "code" => "code",
            "pre" => "pre",
            "a" => "text_link",
            "blockquote" if open.arg.is_empty() => "blockquote",
            "blockquote" => "expandable_blockquote",
            "tg-emoji" => "custom_emoji",
            _ => "date_time",
        };
        let mut e = json!({ "type": ty, "offset": open.start, "length": length });
        match ty {
            "pre" => {
                if let Some(l) = open.language {
                    e["language"] = json!(l);
                }
            }
            "text_link" => match link_url(&open.arg) {
                Some(url) => e["url"] = json!(url),
                None => return,
            },
            "custom_emoji" => e["custom_emoji_id"] = json!(open.arg),
            "date_time" => {
                let Ok(unix) = open.arg.parse::<i64>() else {
                    return;
                };
                e["unix_time"] = json!(unix);
                if let Some(f) = open.format {
                    e["date_time_format"] = json!(f);
                }
            }
            _ => {}
        }
        self.entities.push(e);
    }
}

fn set_attribute(open: &mut Open, name: &str, value: String) {
    match (open.tag.as_str(), name) {
        ("a", "href") | ("tg-emoji", "emoji-id") | ("tg-time", "unix") => open.arg = value,
        ("code", "class") => {
            if let Some(language) = value.strip_prefix("language-") {
                open.arg = language.to_owned();
            }
        }
        ("span", "class") => {
            if let Some(class) = value.strip_prefix("tg-") {
                open.arg = class.to_owned();
            }
        }
        ("blockquote", "expandable") => open.arg = "1".to_owned(),
        ("tg-time", "format") => open.format = Some(value),
        _ => {}
    }
}

/// A link's URL as Telegram keeps it (http:// added when the scheme is missing, `/` after a
/// bare host); None when there is none (the link is dropped, not refused).
fn link_url(href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    if href.starts_with("tg:") || href.starts_with("mailto:") {
        return Some(href.to_owned());
    }
    let url = if href.contains("://") {
        href.to_owned()
    } else {
        format!("http://{href}")
    };
    let after = url.split_once("://").map_or("", |(_, rest)| rest);
    let bare_host = !after.contains(['/', '?', '#']);
    Some(if bare_host { format!("{url}/") } else { url })
}

/// Parses Telegram HTML as Telegram does: the visible text and its entities (offsets in
/// UTF-16 code units), or why Telegram refuses it.
fn parse_html_full(text: &str) -> Result<(String, Vec<Value>), HtmlError> {
    let html = Html {
        s: text,
        b: text.as_bytes(),
        i: 0,
        out: String::with_capacity(text.len()),
        len16: 0,
        stack: Vec::new(),
        entities: Vec::new(),
        literal: None,
    };
    html.run()
}

/// Parses Telegram HTML as Telegram does, returning the visible text (not trimmed); an error
/// for HTML Telegram cannot parse and for a named entity other than &lt; &gt; &amp; &quot;
/// (which Telegram would show literally).
pub fn parse_html(text: &str) -> Result<String, String> {
    match parse_html_full(text) {
        Ok((visible, _)) => Ok(visible),
        Err(HtmlError::Syntax(why)) => Err(why),
        Err(HtmlError::Literal(name)) => Err(format!(
            "unsupported entity &{name}; (Telegram would show it literally)"
        )),
    }
}

/// Parses Telegram HTML as Telegram does: the visible text and its entities as the Message's
/// `entities` field shows them (not trimmed yet).
pub fn parse_html_entities(text: &str) -> Result<(String, Vec<Value>), String> {
    parse_html_full(text).map_err(|e| match e {
        HtmlError::Syntax(why) => why,
        HtmlError::Literal(name) => format!("unsupported entity &{name};"),
    })
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

// ------------------------------------------------------------------------- content checks

/// A text as Telegram keeps it: after entity parsing and trimming, with its entities.
#[derive(Debug, Clone, PartialEq, Default)]
struct Rendered {
    text: String,
    entities: Vec<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextKind {
    /// A message text: 1-4096 after parsing.
    Text,
    /// A caption: 0-1024 after parsing.
    Caption,
}

/// `text` as Telegram keeps it, given its parse mode or explicit entities (`entities` wins),
/// or why Telegram refuses it. Markdown and MarkdownV2 texts are taken as plain text.
fn render(
    text: &str,
    mode: Option<&str>,
    entities: Option<&Value>,
    kind: TextKind,
) -> Result<Rendered, ApiError> {
    let mode = mode.map(str::to_ascii_lowercase);
    let (raw, found) = match (entities, mode.as_deref()) {
        (Some(e), _) => (text.to_owned(), check_entities(e, text)?),
        (None, Some("html")) => parse_html_full(text).map_err(html_refusal)?,
        _ => (text.to_owned(), Vec::new()),
    };
    let r = trimmed(&raw, found);
    let n = utf16_len(&r.text);
    match kind {
        TextKind::Text if r.text.is_empty() => Err(bad("message text is empty")),
        TextKind::Text if n > MAX_TEXT => Err(bad("message is too long")),
        TextKind::Caption if n > MAX_CAPTION => Err(bad("message caption is too long")),
        _ => Ok(r),
    }
}

fn html_refusal(e: HtmlError) -> ApiError {
    match e {
        HtmlError::Syntax(why) => bad(format!("can't parse entities: {why}")),
        HtmlError::Literal(name) => bad(format!(
            "unsupported HTML entity \"&{name};\": Telegram shows it literally (use &lt; &gt; \
             &amp; &quot; or a numeric entity)"
        )),
    }
}

/// Trims the text as Telegram does (leading spaces and newlines, trailing whitespace) and
/// moves and clips its entities to match.
fn trimmed(text: &str, entities: Vec<Value>) -> Rendered {
    let end = text.trim_end_matches([' ', '\t', '\r', '\n', '\0', '\u{b}']);
    let body = end.trim_start_matches([' ', '\n']);
    let lead = utf16_len(&end[..end.len() - body.len()]);
    let len = utf16_len(body);
    let mut out = Vec::new();
    for mut e in entities {
        let n = |k: &str| e[k].as_u64().unwrap_or(0) as usize;
        let (offset, length) = (n("offset"), n("length"));
        let start = offset.clamp(lead, lead + len) - lead;
        let stop = (offset + length).clamp(lead, lead + len) - lead;
        if stop > start {
            e["offset"] = json!(start);
            e["length"] = json!(stop - start);
            out.push(e);
        }
    }
    Rendered {
        text: body.to_owned(),
        entities: out,
    }
}

/// Explicit entities (instead of a parse mode): each a MessageEntity inside the text.
fn check_entities(v: &Value, text: &str) -> Result<Vec<Value>, ApiError> {
    let len = utf16_len(text) as i64;
    let list = v.as_array().cloned().unwrap_or_default();
    for (i, e) in list.iter().enumerate() {
        let place = format!("entities[{i}]");
        let o = check_fields(e, &place, ENTITY_FIELDS)?;
        let ty = o["type"].as_str().unwrap_or_default();
        if !ENTITY_TYPES.contains(&ty) {
            return Err(bad(format!("unsupported entity type \"{ty}\" in {place}")));
        }
        let (offset, length) = (
            o["offset"].as_i64().unwrap_or(-1),
            o["length"].as_i64().unwrap_or(-1),
        );
        if offset < 0 || length < 0 || offset + length > len {
            return Err(bad(format!(
                "{place} is outside the text ({len} UTF-16 code units)"
            )));
        }
        let needs = match ty {
            "text_link" => Some("url"),
            "text_mention" => Some("user"),
            "custom_emoji" => Some("custom_emoji_id"),
            "date_time" => Some("unix_time"),
            _ => None,
        };
        if let Some(field) = needs.filter(|f| !o.contains_key(*f)) {
            return Err(bad(format!(
                "field \"{place}.{field}\" is required for a {ty} entity"
            )));
        }
    }
    Ok(list)
}

fn check_parse_mode(p: &Map<String, Value>, key: &str, place: &str) -> Result<(), ApiError> {
    let Some(mode) = p.get(key).and_then(Value::as_str) else {
        return Ok(());
    };
    if mode.is_empty()
        || ["html", "markdownv2", "markdown"].contains(&mode.to_ascii_lowercase().as_str())
    {
        return Ok(());
    }
    Err(bad(format!(
        "unsupported parse_mode \"{mode}\" in {place} (HTML, MarkdownV2 or Markdown)"
    )))
}

/// The text `key` of an object, rendered with its parse mode and entities.
fn render_field(
    p: &Map<String, Value>,
    key: &str,
    mode_key: &str,
    entities_key: &str,
    kind: TextKind,
) -> Result<Option<Rendered>, ApiError> {
    check_parse_mode(p, mode_key, mode_key)?;
    let Some(text) = p.get(key).and_then(Value::as_str) else {
        return Ok(None);
    };
    let mode = p.get(mode_key).and_then(Value::as_str);
    render(text, mode, p.get(entities_key), kind).map(Some)
}

fn put_text(m: &mut Map<String, Value>, key: &str, entities_key: &str, r: Rendered) {
    if r.text.is_empty() {
        return;
    }
    m.insert(key.to_owned(), json!(r.text));
    if !r.entities.is_empty() {
        m.insert(entities_key.to_owned(), Value::Array(r.entities));
    }
}

/// A reply markup: an inline keyboard, or (unless `inline_only`) a reply keyboard, a keyboard
/// removal or a forced reply.
fn check_reply_markup(v: &Value, place: &str, inline_only: bool) -> Result<(), ApiError> {
    let Some(o) = v.as_object() else {
        return Err(bad(format!(
            "{place} must be a JSON object, got {}",
            describe_value(v)
        )));
    };
    let kinds = [
        "inline_keyboard",
        "keyboard",
        "remove_keyboard",
        "force_reply",
    ];
    let used: Vec<&str> = kinds.into_iter().filter(|k| o.contains_key(*k)).collect();
    if inline_only && used != ["inline_keyboard"] {
        return Err(bad(format!("{place} must be an inline keyboard here")));
    }
    match used.as_slice() {
        ["inline_keyboard"] => {
            check_fields(v, place, INLINE_MARKUP_FIELDS)?;
            for (r, row) in rows(&o["inline_keyboard"], place)?.iter().enumerate() {
                for (c, button) in row.iter().enumerate() {
                    check_button(button, &format!("{place}.inline_keyboard[{r}][{c}]"))?;
                }
            }
            Ok(())
        }
        ["keyboard"] => {
            check_fields(v, place, REPLY_KEYBOARD_FIELDS)?;
            for (r, row) in rows(&o["keyboard"], place)?.iter().enumerate() {
                for (c, button) in row.iter().enumerate() {
                    let at = format!("{place}.keyboard[{r}][{c}]");
                    if button.is_string() {
                        continue;
                    }
                    let b = check_fields(button, &at, KEYBOARD_BUTTON_FIELDS)?;
                    if b["text"].as_str().is_some_and(|t| t.trim().is_empty()) {
                        return Err(bad(format!("button text is empty in {at}")));
                    }
                }
            }
            Ok(())
        }
        ["remove_keyboard"] => must_be_true(
            check_fields(v, place, REMOVE_KEYBOARD_FIELDS)?,
            "remove_keyboard",
            place,
        ),
        ["force_reply"] => must_be_true(
            check_fields(v, place, FORCE_REPLY_FIELDS)?,
            "force_reply",
            place,
        ),
        _ => Err(bad(format!(
            "can't parse reply keyboard markup JSON object: {place} needs exactly one of \
             inline_keyboard, keyboard, remove_keyboard, force_reply"
        ))),
    }
}

fn must_be_true(o: &Map<String, Value>, key: &str, place: &str) -> Result<(), ApiError> {
    if o[key] == true {
        Ok(())
    } else {
        Err(bad(format!("field \"{place}.{key}\" must be True")))
    }
}

/// A keyboard's rows: an Array of Arrays.
fn rows<'v>(v: &'v Value, place: &str) -> Result<Vec<&'v Vec<Value>>, ApiError> {
    let wrong = || {
        bad(format!(
            "the keyboard of {place} must be an Array of Arrays of buttons"
        ))
    };
    let list = v.as_array().ok_or_else(wrong)?;
    list.iter()
        .map(|row| row.as_array().ok_or_else(wrong))
        .collect()
}

/// An inline keyboard button: a non-empty text and exactly one action, each valid.
fn check_button(v: &Value, place: &str) -> Result<(), ApiError> {
    let b = check_fields(v, place, BUTTON_FIELDS)?;
    if b["text"].as_str().is_none_or(|t| t.trim().is_empty()) {
        return Err(bad(format!("button text is empty in {place}")));
    }
    if let Some(style) = b.get("style").and_then(Value::as_str)
        && !["danger", "success", "primary"].contains(&style)
    {
        return Err(bad(format!("unknown button style \"{style}\" in {place}")));
    }
    let actions: Vec<&str> = BUTTON_ACTIONS
        .iter()
        .copied()
        .filter(|a| b.contains_key(*a))
        .collect();
    match actions.as_slice() {
        [] => {
            return Err(bad(format!(
                "text buttons are unallowed in the inline keyboard ({place})"
            )));
        }
        [_] => {}
        many => {
            return Err(bad(format!(
                "can't parse inline keyboard button: {place} has {}; exactly one action is allowed",
                many.join(" and ")
            )));
        }
    }
    match actions[0] {
        "callback_data" => {
            let data = b["callback_data"].as_str().unwrap_or_default();
            if data.is_empty() || data.len() > MAX_CALLBACK_DATA {
                return Err(bad("BUTTON_DATA_INVALID"));
            }
        }
        "url" if !valid_button_url(b["url"].as_str().unwrap_or_default()) => {
            return Err(bad(format!("BUTTON_URL_INVALID ({place}.url)")));
        }
        "web_app" => https_field(
            check_fields(&b["web_app"], &format!("{place}.web_app"), WEB_APP_FIELDS)?,
            place,
        )?,
        "login_url" => https_field(
            check_fields(
                &b["login_url"],
                &format!("{place}.login_url"),
                LOGIN_URL_FIELDS,
            )?,
            place,
        )?,
        "copy_text" => {
            let o = check_fields(
                &b["copy_text"],
                &format!("{place}.copy_text"),
                COPY_TEXT_FIELDS,
            )?;
            let n = o["text"].as_str().unwrap_or_default().chars().count();
            if !(1..=256).contains(&n) {
                return Err(bad(format!(
                    "{place}.copy_text.text must be 1-256 characters"
                )));
            }
        }
        "switch_inline_query_chosen_chat" => {
            let at = format!("{place}.switch_inline_query_chosen_chat");
            check_fields(
                &b["switch_inline_query_chosen_chat"],
                &at,
                CHOSEN_CHAT_FIELDS,
            )?;
        }
        "pay" if b["pay"] != true => return Err(bad(format!("{place}.pay must be True"))),
        _ => {}
    }
    Ok(())
}

fn https_field(o: &Map<String, Value>, place: &str) -> Result<(), ApiError> {
    let url = o["url"].as_str().unwrap_or_default();
    if url.starts_with("https://") && url.len() > "https://".len() {
        Ok(())
    } else {
        Err(bad(format!(
            "BUTTON_URL_INVALID: an HTTPS URL is required in {place}"
        )))
    }
}

/// An HTTP(S) or tg:// URL with a host, as inline buttons take.
fn valid_button_url(url: &str) -> bool {
    if url.chars().any(char::is_whitespace) {
        return false;
    }
    if let Some(rest) = url.strip_prefix("tg://") {
        return !rest.is_empty();
    }
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let name = host.split(':').next().unwrap_or_default();
    !name.is_empty() && (name.contains('.') || name == "localhost")
}

/// What sendMessage-like methods share: the keyboard, the link preview, the reply.
fn check_send_options(p: &Map<String, Value>, inline_only: bool) -> Result<(), ApiError> {
    if let Some(m) = p.get("reply_markup") {
        check_reply_markup(m, "reply_markup", inline_only)?;
    }
    if let Some(l) = p.get("link_preview_options") {
        let o = check_fields(l, "link_preview_options", LINK_PREVIEW_FIELDS)?;
        if o.get("prefer_small_media") == Some(&json!(true))
            && o.get("prefer_large_media") == Some(&json!(true))
        {
            return Err(bad(
                "link_preview_options can't prefer both small and large media",
            ));
        }
    }
    if let Some(r) = p.get("reply_parameters") {
        let o = check_fields(r, "reply_parameters", REPLY_FIELDS)?;
        check_parse_mode(o, "quote_parse_mode", "reply_parameters")?;
    }
    if p.contains_key("suggested_post_parameters") {
        return Err(bad(
            "suggested_post_parameters are only for direct messages chats",
        ));
    }
    if p.contains_key("business_connection_id") {
        return Err(bad("business connection not found"));
    }
    Ok(())
}

/// The checks Telegram makes on a request alone, before looking at chats and messages.
fn check_content(method: &str, p: &Map<String, Value>) -> Result<(), ApiError> {
    match method {
        "getUpdates" => check_get_updates(p),
        "setWebhook" => check_set_webhook(p),
        "sendMessage" => {
            render_field(p, "text", "parse_mode", "entities", TextKind::Text)?;
            check_send_options(p, false)
        }
        "editMessageText" => {
            check_edit_target(p)?;
            if p.contains_key("rich_message") {
                return Err(bad("rich_message is not supported by the fake"));
            }
            if !p.contains_key("text") {
                return Err(bad("parameter \"text\" is required"));
            }
            render_field(p, "text", "parse_mode", "entities", TextKind::Text)?;
            check_send_options(p, true)
        }
        "editMessageReplyMarkup" => {
            check_edit_target(p)?;
            check_send_options(p, true)
        }
        "answerCallbackQuery" => check_callback_answer(p),
        "answerInlineQuery" => check_inline_answer(p),
        "setMyCommands" => {
            check_commands(p)?;
            check_scope(p)
        }
        "deleteMyCommands" | "getMyCommands" => check_scope(p),
        "sendChatAction" => {
            let action = p["action"].as_str().unwrap_or_default();
            if CHAT_ACTIONS.contains(&action) {
                Ok(())
            } else {
                Err(bad(format!(
                    "wrong parameter action in request: \"{action}\""
                )))
            }
        }
        "copyMessage" | "sendDocument" | "sendPhoto" => {
            render_field(
                p,
                "caption",
                "parse_mode",
                "caption_entities",
                TextKind::Caption,
            )?;
            check_send_options(p, false)
        }
        "createForumTopic" | "editForumTopic" => check_topic(p, method == "createForumTopic"),
        _ => Ok(()),
    }
}

fn check_edit_target(p: &Map<String, Value>) -> Result<(), ApiError> {
    let by_chat = p.contains_key("chat_id") || p.contains_key("message_id");
    match (p.contains_key("inline_message_id"), by_chat) {
        (true, true) => Err(bad(
            "give chat_id and message_id, or inline_message_id, not both",
        )),
        (true, false) => Ok(()),
        (false, _) => {
            for key in ["chat_id", "message_id"] {
                if !p.contains_key(key) {
                    return Err(bad(format!(
                        "parameter \"{key}\" is required when inline_message_id is not given"
                    )));
                }
            }
            Ok(())
        }
    }
}

fn check_allowed_updates(p: &Map<String, Value>) -> Result<(), ApiError> {
    for u in p
        .get("allowed_updates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !u.as_str().is_some_and(|k| UPDATE_KINDS.contains(&k)) {
            return Err(bad(format!("allowed_updates: {u} is not an update type")));
        }
    }
    Ok(())
}

fn check_get_updates(p: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(limit) = p.get("limit").and_then(Value::as_i64)
        && !(1..=100).contains(&limit)
    {
        return Err(bad(format!(
            "parameter \"limit\" must be 1-100, got {limit}"
        )));
    }
    check_allowed_updates(p)
}

fn check_set_webhook(p: &Map<String, Value>) -> Result<(), ApiError> {
    let url = p["url"].as_str().unwrap_or_default();
    if !url.is_empty() {
        let Some(rest) = url.strip_prefix("https://") else {
            return Err(bad(
                "bad webhook: An HTTPS URL must be provided for webhook",
            ));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (name, port) = match host.rsplit_once(':') {
            Some((n, port)) => (n, port),
            None => (host, "443"),
        };
        if name.is_empty() {
            return Err(bad(
                "bad webhook: Failed to resolve host: Name or service not known",
            ));
        }
        if !["80", "88", "443", "8443"].contains(&port) {
            return Err(bad(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            ));
        }
        if name == "localhost" || name.starts_with("127.") {
            return Err(bad("bad webhook: IP address 127.0.0.1 is reserved"));
        }
    }
    if let Some(s) = p.get("secret_token").and_then(Value::as_str) {
        let allowed = s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !(1..=256).contains(&s.len()) || !allowed {
            return Err(bad(
                "secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ and -",
            ));
        }
    }
    if let Some(n) = p.get("max_connections").and_then(Value::as_i64)
        && !(1..=100).contains(&n)
    {
        return Err(bad(format!(
            "bad webhook: max_connections must be 1-100, got {n}"
        )));
    }
    if let Some(ip) = p.get("ip_address").and_then(Value::as_str)
        && ip.parse::<std::net::IpAddr>().is_err()
    {
        return Err(bad(format!("bad webhook: invalid IP address \"{ip}\"")));
    }
    check_allowed_updates(p)
}

fn check_callback_answer(p: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(text) = p.get("text").and_then(Value::as_str)
        && text.chars().count() > MAX_CALLBACK_TEXT
    {
        return Err(bad("MESSAGE_TOO_LONG"));
    }
    if let Some(url) = p.get("url").and_then(Value::as_str) {
        let bot_link = [
            format!("https://t.me/{BOT_USERNAME}?start="),
            format!("t.me/{BOT_USERNAME}?start="),
        ];
        if !bot_link.iter().any(|l| url.starts_with(l.as_str())) {
            return Err(bad(
                "URL_INVALID: a callback answer may only open a game or t.me/<bot>?start=…",
            ));
        }
    }
    if p.get("cache_time")
        .and_then(Value::as_i64)
        .is_some_and(|t| t < 0)
    {
        return Err(bad("parameter \"cache_time\" must not be negative"));
    }
    Ok(())
}

fn check_commands(p: &Map<String, Value>) -> Result<(), ApiError> {
    let commands = p["commands"].as_array().cloned().unwrap_or_default();
    if commands.len() > MAX_COMMANDS {
        return Err(bad(format!(
            "BOT_COMMANDS_TOO_MUCH: {} commands, at most 100",
            commands.len()
        )));
    }
    for (i, c) in commands.iter().enumerate() {
        let place = format!("commands[{i}]");
        let o = check_fields(c, &place, COMMAND_FIELDS)?;
        let command = o["command"].as_str().unwrap_or_default();
        let chars = command
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !(1..=32).contains(&command.len()) || !chars {
            return Err(bad(format!(
                "BOT_COMMAND_INVALID: {place}.command {command:?} must be 1-32 characters of a-z, \
                 0-9 and _ (no leading '/')"
            )));
        }
        let n = o["description"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .count();
        if !(1..=256).contains(&n) {
            return Err(bad(format!(
                "BOT_COMMAND_DESCRIPTION_INVALID: {place}.description has {n} characters, 1-256 allowed"
            )));
        }
    }
    Ok(())
}

fn check_scope(p: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(lang) = p.get("language_code").and_then(Value::as_str)
        && !(lang.is_empty() || (lang.len() == 2 && lang.bytes().all(|b| b.is_ascii_lowercase())))
    {
        return Err(bad(format!(
            "language_code \"{lang}\" is not a two-letter ISO 639-1 code"
        )));
    }
    let Some(scope) = p.get("scope") else {
        return Ok(());
    };
    let ty = scope
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let fields = match ty {
        "default" | "all_private_chats" | "all_group_chats" | "all_chat_administrators" => {
            SCOPE_PLAIN_FIELDS
        }
        "chat" | "chat_administrators" => SCOPE_CHAT_FIELDS,
        "chat_member" => SCOPE_MEMBER_FIELDS,
        _ => return Err(bad(format!("unsupported bot command scope type \"{ty}\""))),
    };
    check_fields(scope, "scope", fields).map(drop)
}

fn check_topic(p: &Map<String, Value>, create: bool) -> Result<(), ApiError> {
    let n = p
        .get("name")
        .and_then(Value::as_str)
        .map_or(0, |s| s.chars().count());
    if create && n == 0 {
        return Err(bad("TOPIC_TITLE_EMPTY: name must be 1-128 characters"));
    }
    if n > 128 {
        return Err(bad(
            "TOPIC_TITLE_TOO_LONG: name must be at most 128 characters",
        ));
    }
    if let Some(color) = p.get("icon_color").and_then(Value::as_i64)
        && !TOPIC_COLORS.contains(&color)
    {
        return Err(bad(format!("TOPIC_ICON_COLOR_INVALID: {color}")));
    }
    Ok(())
}

fn check_inline_answer(p: &Map<String, Value>) -> Result<(), ApiError> {
    let results = p["results"].as_array().cloned().unwrap_or_default();
    if results.len() > MAX_INLINE_RESULTS {
        return Err(bad(format!(
            "RESULTS_TOO_MUCH: {} results, at most 50",
            results.len()
        )));
    }
    let mut ids = HashSet::new();
    for (i, r) in results.iter().enumerate() {
        check_inline_result(r, &format!("results[{i}]"), &mut ids)?;
    }
    if let Some(button) = p.get("button") {
        check_results_button(button)?;
    }
    if p.get("next_offset")
        .and_then(Value::as_str)
        .is_some_and(|o| o.len() > 64)
    {
        return Err(bad(
            "NEXT_OFFSET_INVALID: next_offset can't exceed 64 bytes",
        ));
    }
    if p.get("cache_time")
        .and_then(Value::as_i64)
        .is_some_and(|t| t < 0)
    {
        return Err(bad("parameter \"cache_time\" must not be negative"));
    }
    Ok(())
}

/// The fields a result of `ty` must have (cached results are told by their `*_file_id`);
/// None for a type Telegram does not know.
fn inline_required(ty: &str, r: &Map<String, Value>) -> Option<&'static [&'static str]> {
    let cached = |key: &str| r.contains_key(key);
    Some(match ty {
        "article" => &["title", "input_message_content"],
        "photo" if cached("photo_file_id") => &["photo_file_id"],
        "photo" => &["photo_url", "thumbnail_url"],
        "gif" if cached("gif_file_id") => &["gif_file_id"],
        "gif" => &["gif_url", "thumbnail_url"],
        "mpeg4_gif" if cached("mpeg4_file_id") => &["mpeg4_file_id"],
        "mpeg4_gif" => &["mpeg4_url", "thumbnail_url"],
        "video" if cached("video_file_id") => &["video_file_id", "title"],
        "video" => &["video_url", "mime_type", "thumbnail_url", "title"],
        "audio" if cached("audio_file_id") => &["audio_file_id"],
        "audio" => &["audio_url", "title"],
        "voice" if cached("voice_file_id") => &["voice_file_id", "title"],
        "voice" => &["voice_url", "title"],
        "document" if cached("document_file_id") => &["title", "document_file_id"],
        "document" => &["title", "document_url", "mime_type"],
        "location" => &["latitude", "longitude", "title"],
        "venue" => &["latitude", "longitude", "title", "address"],
        "contact" => &["phone_number", "first_name"],
        "game" => &["game_short_name"],
        "sticker" => &["sticker_file_id"],
        _ => return None,
    })
}

fn check_inline_result(v: &Value, place: &str, ids: &mut HashSet<String>) -> Result<(), ApiError> {
    let Some(r) = v.as_object() else {
        return Err(bad(format!("{place} must be an InlineQueryResult object")));
    };
    let ty = r.get("type").and_then(Value::as_str).unwrap_or_default();
    let Some(required) = inline_required(ty, r) else {
        return Err(bad(format!(
            "RESULT_TYPE_INVALID: {place}.type {ty:?} is not a result type"
        )));
    };
    let Some(id) = r.get("id").and_then(Value::as_str) else {
        return Err(bad(format!("field \"{place}.id\" is required (a String)")));
    };
    if id.is_empty() || id.len() > 64 {
        return Err(bad(format!(
            "RESULT_ID_INVALID: {place}.id is {} bytes, 1-64 allowed",
            id.len()
        )));
    }
    if !ids.insert(id.to_owned()) {
        return Err(bad(format!(
            "RESULT_ID_DUPLICATE: {place}.id {id:?} is used twice"
        )));
    }
    if let Some(missing) = required.iter().find(|f| !r.contains_key(**f)) {
        return Err(bad(format!(
            "field \"{place}.{missing}\" is required for a result of type {ty}"
        )));
    }
    if ty == "article" {
        check_fields(v, place, ARTICLE_FIELDS)?;
    }
    if let Some(content) = r.get("input_message_content") {
        check_input_content(content, &format!("{place}.input_message_content"))?;
    }
    if let Some(markup) = r.get("reply_markup") {
        check_reply_markup(markup, &format!("{place}.reply_markup"), true)?;
    }
    if r.get("caption").is_some_and(|c| !c.is_string()) {
        return Err(bad(format!("field \"{place}.caption\" must be a String")));
    }
    render_field(
        r,
        "caption",
        "parse_mode",
        "caption_entities",
        TextKind::Caption,
    )
    .map_err(|e| e.at(place))?;
    Ok(())
}

fn check_input_content(v: &Value, place: &str) -> Result<(), ApiError> {
    let Some(o) = v.as_object() else {
        return Err(bad(format!(
            "{place} must be an InputMessageContent object"
        )));
    };
    if o.contains_key("message_text") {
        let o = check_fields(v, place, TEXT_CONTENT_FIELDS)?;
        render_field(o, "message_text", "parse_mode", "entities", TextKind::Text)
            .map_err(|e| e.at(place))?;
        if let Some(l) = o.get("link_preview_options") {
            check_fields(
                l,
                &format!("{place}.link_preview_options"),
                LINK_PREVIEW_FIELDS,
            )?;
        }
        return Ok(());
    }
    let fields = if o.contains_key("phone_number") {
        CONTACT_CONTENT_FIELDS
    } else if o.contains_key("address") {
        VENUE_CONTENT_FIELDS
    } else if o.contains_key("latitude") {
        LOCATION_CONTENT_FIELDS
    } else if o.contains_key("payload") {
        // Invoices: only their required fields are checked.
        for key in ["title", "description", "payload", "currency", "prices"] {
            if !o.contains_key(key) {
                return Err(bad(format!("field \"{place}.{key}\" is required")));
            }
        }
        return Ok(());
    } else {
        return Err(bad(format!(
            "can't parse InputMessageContent in {place}: it has no message_text"
        )));
    };
    check_fields(v, place, fields).map(drop)
}

fn check_results_button(v: &Value) -> Result<(), ApiError> {
    let b = check_fields(v, "button", RESULTS_BUTTON_FIELDS)?;
    if b["text"].as_str().is_none_or(|t| t.trim().is_empty()) {
        return Err(bad("button text is empty (in button)"));
    }
    match (
        b.get("web_app"),
        b.get("start_parameter").and_then(Value::as_str),
    ) {
        (Some(web_app), None) => {
            let o = check_fields(web_app, "button.web_app", WEB_APP_FIELDS)?;
            https_field(o, "button.web_app")
        }
        (None, Some(start)) => {
            let chars = start
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if (1..=64).contains(&start.len()) && chars {
                Ok(())
            } else {
                Err(bad(format!(
                    "START_PARAM_INVALID: button.start_parameter {start:?} must be 1-64 characters \
                     of A-Z, a-z, 0-9, _ and -"
                )))
            }
        }
        _ => Err(bad(
            "button needs exactly one of web_app and start_parameter",
        )),
    }
}

/// The menu key of a command scope (None: the default scope).
fn scope_key(scope: Option<&Value>) -> String {
    let Some(s) = scope else {
        return "default".to_owned();
    };
    let id = |k: &str| match &s[k] {
        Value::String(v) => v.parse::<i64>().unwrap_or_default(),
        v => v.as_i64().unwrap_or_default(),
    };
    match s["type"].as_str().unwrap_or("default") {
        ty @ ("chat" | "chat_administrators") => format!("{ty}:{}", id("chat_id")),
        "chat_member" => format!("chat_member:{}:{}", id("chat_id"), id("user_id")),
        ty => ty.to_owned(),
    }
}

// ---------------------------------------------------------------- answering, with the state

/// A chat id parameter: an Integer, or a String holding one (an @username is not known).
fn chat_id_of(v: &Value) -> Result<i64, ApiError> {
    match v {
        Value::String(s) => s.parse().map_err(|_| bad("chat not found")),
        v => v.as_i64().ok_or_else(|| bad("chat not found")),
    }
}

fn same_keyboard(a: Option<&Value>, b: Option<&Value>) -> bool {
    a == b
}

impl Inner {
    /// Answers a request whose parameters passed the checks of [`check_content`].
    fn exec(&mut self, method: &str, params: &Params) -> Outcome {
        let p = &params.map;
        let plain = |v: Value| Ok((v, None));
        match method {
            "getMe" => plain(get_me()),
            "setWebhook" => plain(self.set_webhook(p)),
            "deleteWebhook" => {
                self.webhook = None;
                if p.get("drop_pending_updates") == Some(&json!(true)) {
                    self.drop_pending();
                }
                plain(json!(true))
            }
            "getWebhookInfo" => plain(self.webhook_info()),
            "sendMessage" => self.send_message(p),
            "editMessageText" | "editMessageReplyMarkup" => self.edit(method, p),
            "deleteMessage" => self.delete_message(p).and_then(plain),
            "answerCallbackQuery" => self.answer_callback(p).and_then(plain),
            "answerInlineQuery" => self.answer_inline(p).and_then(plain),
            "setMyCommands" | "deleteMyCommands" | "getMyCommands" => {
                self.commands(method, p).and_then(plain)
            }
            "sendChatAction" => {
                let chat = self.send_target(p)?;
                self.thread_for(chat, p, None)?;
                plain(json!(true))
            }
            "getFile" => self.get_file(p).and_then(plain),
            "copyMessage" | "forwardMessage" => self.copy(method, p),
            "sendDocument" | "sendPhoto" => self.send_media(method, params),
            "createForumTopic" => self.create_topic(p).and_then(plain),
            "editForumTopic" | "closeForumTopic" | "reopenForumTopic" => {
                self.change_topic(method, p).and_then(plain)
            }
            "getChat" => self.get_chat(p).and_then(plain),
            "getChatMember" => self.get_chat_member(p).and_then(plain),
            _ => Err(api_error(404, "Not Found".to_owned())),
        }
    }

    /// The chat the bot acts in: a private chat whose user started the bot and did not
    /// block it, or a group the bot is in.
    fn send_target(&self, p: &Map<String, Value>) -> Result<i64, ApiError> {
        let id = chat_id_of(&p["chat_id"])?;
        if id == BOT_ID {
            return Err(forbidden("bots can't send messages to bots"));
        }
        match self.chats.get(&id) {
            None if id > 0 => Err(forbidden("bot can't initiate conversation with a user")),
            None => Err(bad("chat not found")),
            Some(c) if c.kind == ChatKind::Private && c.blocked => {
                Err(forbidden("bot was blocked by the user"))
            }
            Some(c) if c.kind == ChatKind::Group && !c.member => {
                Err(forbidden("bot was kicked from the group chat"))
            }
            Some(c) if !c.member => Err(forbidden("bot was kicked from the supergroup chat")),
            Some(_) => Ok(id),
        }
    }

    /// A chat the bot knows (for getChat and command scopes).
    fn known_chat(&self, v: &Value) -> Result<i64, ApiError> {
        let id = chat_id_of(v)?;
        if self.chats.contains_key(&id) {
            Ok(id)
        } else {
            Err(bad("chat not found"))
        }
    }

    /// The topic a message goes to: `message_thread_id` (an open topic of the forum), or the
    /// topic of the message it replies to.
    fn thread_for(
        &self,
        chat: i64,
        p: &Map<String, Value>,
        reply: Option<&Value>,
    ) -> Result<Option<i64>, ApiError> {
        let c = &self.chats[&chat];
        let Some(thread) = p.get("message_thread_id").and_then(Value::as_i64) else {
            let inherited = reply.and_then(|m| m["message_thread_id"].as_i64());
            return Ok(inherited.filter(|_| c.kind == ChatKind::Forum));
        };
        let topic = c.topics.get(&thread).filter(|_| c.kind == ChatKind::Forum);
        match topic {
            None => Err(bad("message thread not found")),
            Some(t) if t.closed && !c.admin => Err(bad("TOPIC_CLOSED")),
            Some(_) => Ok(Some(thread)),
        }
    }

    /// The message a new message replies to, when it exists; a missing one is refused unless
    /// allow_sending_without_reply.
    fn reply_target(&self, chat: i64, p: &Map<String, Value>) -> Result<Option<Value>, ApiError> {
        let Some(rp) = p.get("reply_parameters") else {
            return Ok(None);
        };
        let target = match rp.get("chat_id") {
            Some(v) => self.known_chat(v)?,
            None => chat,
        };
        let id = rp["message_id"].as_i64().unwrap_or_default();
        let Some(m) = self.messages.get(&(target, id)) else {
            if rp["allow_sending_without_reply"] == true {
                return Ok(None);
            }
            return Err(bad("message to be replied not found"));
        };
        if let Some(quote) = rp.get("quote").and_then(Value::as_str) {
            let text = m
                .get("text")
                .or_else(|| m.get("caption"))
                .and_then(Value::as_str);
            if !text.unwrap_or_default().contains(quote) {
                return Err(bad(
                    "QUOTE_TEXT_INVALID: the quote is not in the message replied to",
                ));
            }
        }
        // A reply to another chat's message is not shown as reply_to_message.
        Ok((target == chat).then(|| m.clone()))
    }

    fn send_message(&mut self, p: &Map<String, Value>) -> Outcome {
        let chat = self.send_target(p)?;
        self.no_direct_topic(p)?;
        let reply = self.reply_target(chat, p)?;
        let thread = self.thread_for(chat, p, reply.as_ref())?;
        let text = render_field(p, "text", "parse_mode", "entities", TextKind::Text)?;
        let mut m = self.new_message(chat, bot_user(), thread, reply);
        put_text(&mut m, "text", "entities", text.unwrap_or_default());
        if let Some(keyboard) = inline_keyboard(&Value::Object(p.clone())) {
            m.insert("reply_markup".into(), keyboard);
        }
        let (v, id) = self.store(chat, m);
        Ok((v, Some(id)))
    }

    fn no_direct_topic(&self, p: &Map<String, Value>) -> Result<(), ApiError> {
        if p.contains_key("direct_messages_topic_id") {
            return Err(bad(
                "direct_messages_topic_id is only for direct messages chats",
            ));
        }
        Ok(())
    }

    /// editMessageText and editMessageReplyMarkup of a message the bot sent.
    fn edit(&mut self, method: &str, p: &Map<String, Value>) -> Outcome {
        if p.contains_key("inline_message_id") {
            return Err(bad("MESSAGE_ID_INVALID"));
        }
        let chat = self.send_target(p)?;
        let id = p["message_id"].as_i64().unwrap_or_default();
        let Some(current) = self.messages.get(&(chat, id)) else {
            return Err(bad("message to edit not found"));
        };
        if current["from"]["id"] != BOT_ID {
            return Err(bad("message can't be edited"));
        }
        let keyboard = inline_keyboard(&Value::Object(p.clone()));
        let text = if method == "editMessageText" {
            if current.get("text").is_none() {
                return Err(bad("there is no text in the message to edit"));
            }
            render_field(p, "text", "parse_mode", "entities", TextKind::Text)?
        } else {
            None
        };
        let same_text = text.as_ref().is_none_or(|r| {
            let entities = current.get("entities").cloned().unwrap_or(json!([]));
            current["text"] == r.text.as_str() && entities == json!(r.entities)
        });
        if same_text && same_keyboard(current.get("reply_markup"), keyboard.as_ref()) {
            return Err(bad(NOT_MODIFIED));
        }
        let m = self.messages.get_mut(&(chat, id)).unwrap();
        let o = m.as_object_mut().unwrap();
        if let Some(r) = text {
            o.remove("entities");
            put_text(o, "text", "entities", r);
        }
        match keyboard {
            Some(k) => drop(o.insert("reply_markup".into(), k)),
            None => drop(o.remove("reply_markup")),
        }
        o.insert("edit_date".into(), json!(unix_now()));
        Ok((m.clone(), Some(id)))
    }

    fn delete_message(&mut self, p: &Map<String, Value>) -> Result<Value, ApiError> {
        let chat = self.send_target(p)?;
        let id = p["message_id"].as_i64().unwrap_or_default();
        let Some(m) = self.messages.get(&(chat, id)) else {
            return Err(bad("message to delete not found"));
        };
        let c = &self.chats[&chat];
        if m["from"]["id"] != BOT_ID && c.kind != ChatKind::Private && !c.admin {
            return Err(bad("message can't be deleted"));
        }
        self.messages.remove(&(chat, id));
        Ok(json!(true))
    }

    fn answer_callback(&mut self, p: &Map<String, Value>) -> Result<Value, ApiError> {
        let id = p["callback_query_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let now = Instant::now();
        let timeout = self.query_timeout;
        let query = self.callbacks.get_mut(&id);
        let (data, user, delivered) = query.as_ref().map_or((String::new(), 0, None), |q| {
            (q.data.clone(), q.user, q.delivered)
        });
        let outcome = match query {
            Some(q) if q.delivered.is_some() && !q.answered => {
                q.answered = true;
                if now.duration_since(delivered.unwrap()) > timeout {
                    Err(bad(TOO_OLD))
                } else {
                    Ok(json!(true))
                }
            }
            _ => Err(bad(TOO_OLD)),
        };
        self.answers.push(CallbackAnswer {
            query_id: id,
            data,
            user,
            delivered_at: delivered,
            answered_at: now,
            delay: delivered.map(|d| now.duration_since(d)),
            text: p.get("text").and_then(Value::as_str).map(str::to_owned),
            refused: outcome.as_ref().err().map(|e| e.description.clone()),
        });
        outcome
    }

    fn answer_inline(&mut self, p: &Map<String, Value>) -> Result<Value, ApiError> {
        let id = p["inline_query_id"].as_str().unwrap_or_default();
        match self.inline_queries.get_mut(id) {
            Some(q) if q.delivered.is_some() && !q.answered => {
                q.answered = true;
                Ok(json!(true))
            }
            _ => Err(bad(TOO_OLD)),
        }
    }

    fn commands(&mut self, method: &str, p: &Map<String, Value>) -> Result<Value, ApiError> {
        let scope = p.get("scope");
        if let Some(s) = scope
            && s.get("chat_id").is_some()
        {
            self.known_chat(&s["chat_id"])?;
        }
        let language = p
            .get("language_code")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let key = (scope_key(scope), language.to_owned());
        Ok(match method {
            "setMyCommands" => {
                let commands = p["commands"].as_array().cloned().unwrap_or_default();
                self.menus.insert(key, commands);
                json!(true)
            }
            "deleteMyCommands" => {
                self.menus.remove(&key);
                json!(true)
            }
            _ => Value::Array(self.menus.get(&key).cloned().unwrap_or_default()),
        })
    }

    fn get_file(&self, p: &Map<String, Value>) -> Result<Value, ApiError> {
        let id = p["file_id"].as_str().unwrap_or_default();
        let Some(f) = self.files.get(id) else {
            return Err(bad("invalid file_id"));
        };
        if f.size > MAX_DOWNLOAD {
            return Err(bad("file is too big"));
        }
        Ok(
            json!({ "file_id": id, "file_unique_id": f.unique, "file_size": f.size,
                   "file_path": f.path }),
        )
    }
}

/// The fields of a message that are its content (what copyMessage copies).
#[rustfmt::skip]
const CONTENT_FIELDS: &[&str] = &[
    "text", "entities", "photo", "document", "voice", "sticker", "audio", "video", "animation",
    "caption", "caption_entities", "link_preview_options",
];

impl Inner {
    fn copy(&mut self, method: &str, p: &Map<String, Value>) -> Outcome {
        let copy = method == "copyMessage";
        let chat = self.send_target(p)?;
        self.no_direct_topic(p)?;
        let from_chat = self.known_chat(&p["from_chat_id"])?;
        let id = p["message_id"].as_i64().unwrap_or_default();
        let what = if copy { "copy" } else { "forward" };
        let Some(source) = self.messages.get(&(from_chat, id)).cloned() else {
            return Err(bad(format!("message to {what} not found")));
        };
        if !CONTENT_FIELDS.iter().any(|f| source.get(*f).is_some()) {
            return Err(bad(format!(
                "message can't be {}",
                if copy { "copied" } else { "forwarded" }
            )));
        }
        let reply = if copy {
            self.reply_target(chat, p)?
        } else {
            None
        };
        let thread = self.thread_for(chat, p, reply.as_ref())?;
        let caption = render_field(
            p,
            "caption",
            "parse_mode",
            "caption_entities",
            TextKind::Caption,
        )?;
        let mut m = self.new_message(chat, bot_user(), thread, reply);
        for field in CONTENT_FIELDS {
            if let Some(v) = source.get(*field) {
                m.insert((*field).to_owned(), v.clone());
            }
        }
        if let Some(r) = caption.filter(|_| source.get("text").is_none()) {
            m.remove("caption");
            m.remove("caption_entities");
            put_text(&mut m, "caption", "caption_entities", r);
        }
        if copy {
            if let Some(keyboard) = inline_keyboard(&Value::Object(p.clone())) {
                m.insert("reply_markup".into(), keyboard);
            }
        } else {
            let origin = json!({ "type": "user", "sender_user": source["from"],
                                 "date": source["date"] });
            m.insert("forward_origin".into(), origin);
        }
        let (v, new_id) = self.store(chat, m);
        let result = if copy {
            json!({ "message_id": new_id })
        } else {
            v
        };
        Ok((result, Some(new_id)))
    }

    fn send_media(&mut self, method: &str, params: &Params) -> Outcome {
        let p = &params.map;
        let chat = self.send_target(p)?;
        self.no_direct_topic(p)?;
        let reply = self.reply_target(chat, p)?;
        let thread = self.thread_for(chat, p, reply.as_ref())?;
        let caption = render_field(
            p,
            "caption",
            "parse_mode",
            "caption_entities",
            TextKind::Caption,
        )?;
        let key = if method == "sendPhoto" {
            "photo"
        } else {
            "document"
        };
        let (file_id, name, size) = self.input_file(key, params)?;
        let mut m = self.new_message(chat, bot_user(), thread, reply);
        let unique = format!("u{file_id}");
        if key == "photo" {
            let photo = json!([{ "file_id": file_id, "file_unique_id": unique, "width": 800,
                                 "height": 600, "file_size": size }]);
            m.insert("photo".into(), photo);
        } else {
            let mut doc = json!({ "file_id": file_id, "file_unique_id": unique,
                                  "file_name": name, "file_size": size });
            if let Some(mime) = mime_of(&name) {
                doc["mime_type"] = json!(mime);
            }
            m.insert("document".into(), doc);
        }
        put_text(
            &mut m,
            "caption",
            "caption_entities",
            caption.unwrap_or_default(),
        );
        if let Some(keyboard) = inline_keyboard(&Value::Object(p.clone())) {
            m.insert("reply_markup".into(), keyboard);
        }
        let (v, id) = self.store(chat, m);
        Ok((v, Some(id)))
    }

    /// The file a send method names: an upload, a file id the fake knows, or an HTTP URL.
    fn input_file(
        &mut self,
        key: &str,
        params: &Params,
    ) -> Result<(String, String, u64), ApiError> {
        let v = &params.map[key];
        let part = v.get("attach").and_then(Value::as_str).unwrap_or(key);
        if v.get("upload").is_some() || v.get("attach").is_some() {
            let Some((name, bytes)) = params.files.get(part).cloned() else {
                return Err(bad(format!("file part \"{part}\" for {key} not found")));
            };
            if bytes.is_empty() {
                return Err(bad("file must be non-empty"));
            }
            let size = bytes.len() as u64;
            let id = self.add_file(&format!("{key}{}", rand_id()), &name, bytes, size);
            return Ok((id, name, size));
        }
        let s = v.as_str().unwrap_or_default();
        if let Some(f) = self.files.get(s) {
            let name = f.path.rsplit('/').next().unwrap_or_default().to_owned();
            return Ok((s.to_owned(), name, f.size));
        }
        if s.starts_with("http://") || s.starts_with("https://") {
            let name = s.rsplit('/').next().unwrap_or("file").to_owned();
            let id = self.add_file(&format!("{key}{}", rand_id()), &name, Vec::new(), 0);
            return Ok((id, name, 0));
        }
        Err(bad("wrong file identifier/HTTP URL specified"))
    }

    /// The forum supergroup a topic method acts in, with the right to manage topics.
    fn forum(&self, p: &Map<String, Value>) -> Result<i64, ApiError> {
        let chat = self.send_target(p)?;
        if self.chats[&chat].kind != ChatKind::Forum {
            return Err(bad("the chat is not a forum"));
        }
        Ok(chat)
    }

    fn create_topic(&mut self, p: &Map<String, Value>) -> Result<Value, ApiError> {
        let chat = self.forum(p)?;
        if !self.chats[&chat].admin {
            return Err(bad("not enough rights to create a topic"));
        }
        let name = p["name"].as_str().unwrap_or_default();
        let color = p
            .get("icon_color")
            .and_then(Value::as_i64)
            .unwrap_or(TOPIC_COLORS[0]);
        let emoji = p
            .get("icon_custom_emoji_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let message = self.open_topic(chat, name, color, emoji.clone(), true);
        let mut topic = json!({ "message_thread_id": message["message_id"], "name": name,
                                "icon_color": color });
        if let Some(e) = emoji {
            topic["icon_custom_emoji_id"] = json!(e);
        }
        Ok(topic)
    }

    fn change_topic(&mut self, method: &str, p: &Map<String, Value>) -> Result<Value, ApiError> {
        let chat = self.forum(p)?;
        let thread = p["message_thread_id"].as_i64().unwrap_or_default();
        let c = self.chats.get_mut(&chat).unwrap();
        let admin = c.admin;
        let Some(topic) = c.topics.get_mut(&thread) else {
            return Err(bad("message thread not found"));
        };
        if !admin && !topic.by_bot {
            return Err(bad(
                "CHAT_ADMIN_REQUIRED: not enough rights to manage the topic",
            ));
        }
        let before = topic.clone();
        match method {
            "closeForumTopic" => topic.closed = true,
            "reopenForumTopic" => topic.closed = false,
            _ => {
                if let Some(name) = p
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                {
                    topic.name = name.to_owned();
                }
                if let Some(e) = p.get("icon_custom_emoji_id").and_then(Value::as_str) {
                    topic.icon_custom_emoji_id = (!e.is_empty()).then(|| e.to_owned());
                }
            }
        }
        if *topic == before {
            return Err(bad("TOPIC_NOT_MODIFIED"));
        }
        Ok(json!(true))
    }

    fn get_chat(&self, p: &Map<String, Value>) -> Result<Value, ApiError> {
        let chat = self.known_chat(&p["chat_id"])?;
        let mut info = self.chat_json(chat);
        info["accent_color_id"] = json!(0);
        info["max_reaction_count"] = json!(11);
        info["accepted_gift_types"] = json!({ "unlimited_gifts": false, "limited_gifts": false,
            "unique_gifts": false, "premium_subscription": false, "gifts_from_channels": false });
        Ok(info)
    }

    fn get_chat_member(&self, p: &Map<String, Value>) -> Result<Value, ApiError> {
        let chat = self.known_chat(&p["chat_id"])?;
        let user = p["user_id"].as_i64().unwrap_or_default();
        let c = &self.chats[&chat];
        if user == BOT_ID {
            let status = match (c.kind, c.member, c.admin) {
                (ChatKind::Private, ..) | (_, true, false) => "member",
                (_, true, true) => "administrator",
                (_, false, _) => "kicked",
            };
            return Ok(bot_member(status));
        }
        let known = self.users.contains_key(&user);
        if !known || (c.kind == ChatKind::Private && user != chat) {
            return Err(bad("user not found"));
        }
        let member = c.kind == ChatKind::Private || c.members.contains(&user);
        let status = if member { "member" } else { "left" };
        Ok(json!({ "status": status, "user": self.user_json(user) }))
    }

    fn set_webhook(&mut self, p: &Map<String, Value>) -> Value {
        let url = p["url"].as_str().unwrap_or_default();
        if p.get("drop_pending_updates") == Some(&json!(true)) {
            self.drop_pending();
        }
        let allowed = p.get("allowed_updates").map(strings);
        if let Some(a) = &allowed {
            self.allowed_updates = (!a.is_empty()).then(|| a.clone());
        }
        if url.is_empty() {
            self.webhook = None;
            return json!(true);
        }
        let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
        self.webhook = Some(Webhook {
            url: url.to_owned(),
            secret_token: text("secret_token"),
            allowed_updates: allowed,
            max_connections: p
                .get("max_connections")
                .and_then(Value::as_i64)
                .unwrap_or(40),
            ip_address: text("ip_address"),
            has_custom_certificate: p.contains_key("certificate"),
            last_error: None,
        });
        json!(true)
    }

    fn webhook_info(&self) -> Value {
        let pending = self.updates.len();
        let Some(w) = &self.webhook else {
            return json!({ "url": "", "has_custom_certificate": false,
                           "pending_update_count": pending });
        };
        let mut info = json!({ "url": w.url, "has_custom_certificate": w.has_custom_certificate,
                               "pending_update_count": pending,
                               "max_connections": w.max_connections });
        if let Some(a) = &w.allowed_updates {
            info["allowed_updates"] = json!(a);
        }
        if let Some(ip) = &w.ip_address {
            info["ip_address"] = json!(ip);
        }
        if let Some((date, why)) = &w.last_error {
            info["last_error_date"] = json!(date);
            info["last_error_message"] = json!(why);
        }
        info
    }

    /// Forgets every pending update.
    fn drop_pending(&mut self) {
        if let Some(last) = self.updates.back() {
            self.confirmed = self.confirmed.max(last.id);
        }
        self.updates.clear();
    }
}

fn strings(v: &Value) -> Vec<String> {
    let list = v.as_array().into_iter().flatten();
    list.filter_map(Value::as_str).map(str::to_owned).collect()
}

// ---------------------------------------------------------------------- updates, webhook

impl Inner {
    /// Confirms (forgets) updates as a getUpdates `offset` does: every update below a positive
    /// offset; all but the last -offset ones for a negative offset.
    fn confirm(&mut self, offset: i64) {
        let keep_last = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
        while let Some(front) = self.updates.front() {
            let forget = if offset > 0 {
                front.id < offset
            } else {
                offset < 0 && self.updates.len() > keep_last
            };
            if !forget {
                break;
            }
            self.confirmed = self.confirmed.max(front.id);
            self.updates.pop_front();
        }
    }

    fn allowed(&self, kind: &str) -> bool {
        match &self.allowed_updates {
            Some(list) => list.iter().any(|k| k == kind),
            None => !OPT_IN_KINDS.contains(&kind),
        }
    }

    /// Drops the updates allowed_updates excludes, then hands out up to `limit` of the rest
    /// (marking them and their queries delivered).
    fn deliverable(&mut self, limit: usize, now: Instant) -> Vec<Value> {
        let mut kept = VecDeque::new();
        for u in std::mem::take(&mut self.updates) {
            if self.allowed(u.kind) {
                kept.push_back(u);
            } else {
                self.filtered.push(u.update);
            }
        }
        self.updates = kept;
        let mut out = Vec::new();
        let mut queries = Vec::new();
        for u in self.updates.iter_mut().take(limit) {
            if u.delivered.is_none() {
                u.delivered = Some(now);
                let id = u.update[u.kind]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                queries.push((u.kind, id));
            }
            out.push(u.update.clone());
        }
        for (kind, id) in queries {
            self.mark_delivered(kind, &id, now);
        }
        out
    }

    fn mark_delivered(&mut self, kind: &str, id: &str, now: Instant) {
        let queries = match kind {
            "callback_query" => &mut self.callbacks,
            "inline_query" => &mut self.inline_queries,
            _ => return,
        };
        if let Some(q) = queries.get_mut(id) {
            q.delivered.get_or_insert(now);
        }
    }
}

/// getUpdates as Telegram answers it: 409 while a webhook is set; confirms by `offset`;
/// waits up to `timeout` seconds for updates; at most `limit`; only the allowed kinds. A poll
/// still waiting when a newer one starts ends with 409 (and is counted, not refused).
async fn get_updates(api: &FakeApi, p: &Map<String, Value>) -> Result<Value, ApiError> {
    let offset = p.get("offset").and_then(Value::as_i64).unwrap_or(0);
    let limit = p
        .get("limit")
        .and_then(Value::as_i64)
        .unwrap_or(100)
        .clamp(1, 100) as usize;
    let timeout = p
        .get("timeout")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .clamp(0, 50);
    let generation = {
        let mut inner = api.lock();
        if inner.webhook.is_some() {
            return Err(conflict(WEBHOOK_ACTIVE));
        }
        if let Some(a) = p.get("allowed_updates") {
            let list = strings(a);
            inner.allowed_updates = (!list.is_empty()).then_some(list);
        }
        inner.confirm(offset);
        inner.poll_generation += 1;
        inner.poll_generation
    };
    api.notify.notify_waiters();
    let deadline = Instant::now() + Duration::from_secs(timeout as u64);
    loop {
        let notified = api.notify.notified();
        {
            let mut inner = api.lock();
            if inner.poll_generation != generation {
                inner.superseded_polls += 1;
                let mut e = conflict(TERMINATED);
                e.excused = true;
                return Err(e);
            }
            if inner.webhook.is_some() {
                return Err(conflict(WEBHOOK_ACTIVE));
            }
            let ready = inner.deliverable(limit, Instant::now());
            if !ready.is_empty() || Instant::now() >= deadline {
                return Ok(Value::Array(ready));
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left, notified).await;
    }
}

impl FakeApi {
    /// POSTs the oldest pending update (of a kind the bot allows) to the bot's webhook
    /// listener at `listen` (host:port), on the path of the URL the bot set (`/` if none),
    /// with the secret header when `secret` is given, as Telegram does; returns the HTTP
    /// status (0: no answer). A 2xx answer confirms the update; another one is recorded as
    /// the webhook's last error and the update stays pending. Panics when nothing is pending.
    pub async fn post_webhook(&self, listen: &str, secret: Option<&str>) -> u16 {
        let (id, update, path) = {
            let mut inner = self.lock();
            let now = Instant::now();
            inner.deliverable(1, now);
            let u = inner.updates.front().expect("no pending update to post");
            let path = inner
                .webhook
                .as_ref()
                .map_or("/".to_owned(), |w| url_path(&w.url));
            (u.id, u.update.clone(), path)
        };
        let status = post_json(listen, &path, secret, &update).await;
        let mut inner = self.lock();
        let secret_ok = inner
            .webhook
            .as_ref()
            .and_then(|w| w.secret_token.as_deref())
            .is_none_or(|s| Some(s) == secret);
        let t = inner.started.elapsed().as_secs_f64();
        let note = json!({ "kind": "webhook_update", "update": update, "status": status,
                           "secret_ok": secret_ok && (200..300).contains(&status) });
        inner.log.push(json!({ "t": t, "note": note }));
        if (200..300).contains(&status) {
            inner.confirmed = inner.confirmed.max(id);
            inner.updates.retain(|u| u.id != id);
        } else if let Some(w) = inner.webhook.as_mut() {
            let why = format!("Wrong response from the webhook: {status}");
            w.last_error = Some((unix_now(), why));
        }
        status
    }

    /// POSTs `update` as it is to the bot's webhook listener at `listen` (host:port) on the
    /// webhook's path, with the secret header when `secret` is given; returns the HTTP status.
    /// The update is not queued: the fake does not learn chats or queries from it.
    pub async fn post_update(&self, listen: &str, secret: Option<&str>, update: &Value) -> u16 {
        let path = self.webhook().map_or("/".to_owned(), |w| url_path(&w.url));
        post_json(listen, &path, secret, update).await
    }

    /// Calls the fake as a bot does (JSON body); returns the HTTP status and the JSON answer
    /// (Null when it is not JSON; status 0 when the connection was dropped).
    pub async fn call(&self, method: &str, params: Value) -> (u16, Value) {
        let body = params.to_string().into_bytes();
        let head = request_head(
            &self.addr(),
            &format!("/bot{TOKEN}/{method}"),
            "application/json",
            body.len(),
            None,
        );
        self.exchange(head, body).await
    }

    /// Calls the fake with a multipart/form-data body, as teloxide sends some methods: text
    /// `fields` and `files` (part name, file name, bytes).
    pub async fn call_form(
        &self,
        method: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> (u16, Value) {
        let boundary = "fakeapi-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            let head =
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n");
            body.extend_from_slice(head.as_bytes());
            body.extend_from_slice(value.as_bytes());
            body.extend_from_slice(b"\r\n");
        }
        for (name, file, bytes) in files {
            let head = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            );
            body.extend_from_slice(head.as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let ctype = format!("multipart/form-data; boundary={boundary}");
        let head = request_head(
            &self.addr(),
            &format!("/bot{TOKEN}/{method}"),
            &ctype,
            body.len(),
            None,
        );
        self.exchange(head, body).await
    }

    async fn exchange(&self, head: String, body: Vec<u8>) -> (u16, Value) {
        match http_exchange(&self.addr(), head.as_bytes(), &body).await {
            Some((status, answer)) => (
                status,
                serde_json::from_slice(&answer).unwrap_or(Value::Null),
            ),
            None => (0, Value::Null),
        }
    }

    /// host:port of the server.
    fn addr(&self) -> String {
        let url = self.url.trim_start_matches("http://");
        url.trim_end_matches('/').to_owned()
    }
}

/// The path (and query) of a URL.
fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    match rest.find('/') {
        Some(i) => rest[i..].to_owned(),
        None => "/".to_owned(),
    }
}

fn request_head(addr: &str, path: &str, ctype: &str, len: usize, secret: Option<&str>) -> String {
    let secret = secret.map_or(String::new(), |s| {
        format!("X-Telegram-Bot-Api-Secret-Token: {s}\r\n")
    });
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {ctype}\r\n{secret}Content-Length: {len}\r\nConnection: close\r\n\r\n"
    )
}

async fn post_json(addr: &str, path: &str, secret: Option<&str>, update: &Value) -> u16 {
    let body = update.to_string().into_bytes();
    let head = request_head(addr, path, "application/json", body.len(), secret);
    http_exchange(addr, head.as_bytes(), &body)
        .await
        .map_or(0, |(status, _)| status)
}

/// One HTTP/1.1 exchange over a fresh connection: (status, body), None without an answer.
async fn http_exchange(addr: &str, head: &[u8], body: &[u8]) -> Option<(u16, Vec<u8>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let connect = tokio::net::TcpStream::connect(addr);
    let mut stream = tokio::time::timeout(Duration::from_secs(10), connect)
        .await
        .ok()?
        .ok()?;
    stream.write_all(head).await.ok()?;
    stream.write_all(body).await.ok()?;
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    tokio::time::timeout(Duration::from_secs(70), read)
        .await
        .ok()?
        .ok()?;
    let split = find(&raw, b"\r\n\r\n", 0)?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let body = raw[split + 4..].to_vec();
    let chunked = head.contains("transfer-encoding: chunked");
    Some((status, if chunked { dechunk(&body) } else { body }))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = find(b, b"\r\n", 0) {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 || eol + 2 + size > b.len() {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[(eol + 4 + size).min(b.len())..];
    }
    out
}

// ------------------------------------------------------------------------- error helpers

/// An error reply as Telegram sends it (send it with the HTTP status `code`).
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

/// Why Telegram would refuse this request on its own (unknown method or parameter, a missing
/// or mistyped one, bad HTML, lengths, keyboards, …), if it would; `body` is the JSON
/// parameters. What depends on earlier requests (chats, messages, queries) is not checked.
pub fn refusal(method: &str, body: &Value) -> Option<String> {
    let Some(spec) = find_method(method) else {
        return Some(format!("Not Found: the fake knows no method {method:?}"));
    };
    let fields = body
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
        .collect();
    let checked = typed_params(spec, fields).and_then(|p| check_content(spec.name, &p.map));
    checked.err().map(|e| e.description)
}

// ---------------------------------------------------------------------------------- tests

/// The fake refusing each of Telegram's rules, and accepting what Telegram accepts, over HTTP.
#[cfg(test)]
mod tests {
    use super::*;

    /// A user who wrote to the bot.
    const USER: i64 = 5;
    /// A user who never did.
    const STRANGER: i64 = 6;

    /// A fake whose bot has received a message from [`USER`].
    async fn fake() -> FakeApi {
        let api = FakeApi::start().await;
        api.private_text(USER, "你好");
        poll(&api).await;
        api
    }

    async fn refused(api: &FakeApi, method: &str, params: Value, code: u16, needle: &str) {
        let (status, body) = api.call(method, params.clone()).await;
        let description = body["description"].as_str().unwrap_or_default();
        assert_eq!(status, code, "{method} {params}: {body}");
        assert_eq!(body["ok"], false, "{body}");
        assert_eq!(body["error_code"], code, "{body}");
        assert!(
            description.contains(needle),
            "{method} {params}: {description:?} lacks {needle:?}"
        );
    }

    async fn ok(api: &FakeApi, method: &str, params: Value) -> Value {
        let (status, body) = api.call(method, params.clone()).await;
        assert_eq!(status, 200, "{method} {params}: {body}");
        assert_eq!(body["ok"], true, "{body}");
        body["result"].clone()
    }

    /// The bot's getUpdates: confirms what it got before and hands out what is new.
    async fn poll(api: &FakeApi) -> Vec<Value> {
        let offset = {
            let inner = api.lock();
            let seen = inner
                .updates
                .iter()
                .filter(|u| u.delivered.is_some())
                .map(|u| u.id + 1)
                .max();
            seen.or(inner.updates.front().map(|u| u.id)).unwrap_or(0)
        };
        let got = ok(api, "getUpdates", json!({ "offset": offset, "timeout": 0 })).await;
        got.as_array().cloned().unwrap_or_default()
    }

    /// Waits until a getUpdates newer than `polls` is being answered.
    async fn polling_since(api: &FakeApi, polls: u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while api.lock().poll_generation == polls {
            assert!(Instant::now() < deadline, "the poll never arrived");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn text(chat: i64, text: &str) -> Value {
        json!({ "chat_id": chat, "text": text, "parse_mode": "HTML" })
    }

    fn keyboard(buttons: Value) -> Value {
        json!({ "inline_keyboard": [buttons] })
    }

    #[test]
    fn html_is_parsed_as_telegram_does() {
        assert_eq!(parse_html("a &lt;b&gt; <b>粗</b>").unwrap(), "a <b> 粗");
        // Telegram takes a bare & or > and unknown-looking references literally.
        for fine in ["a & b", "a > b", "&am", "AT&T"] {
            assert!(parse_html(fine).is_ok(), "{fine}");
        }
        assert_eq!(parse_html("&#x1F600;&#65").unwrap(), "😀A");
        for (bad, why) in [
            ("<b>x", "Can't find end tag"),
            ("x</b>", "Unexpected end tag"),
            ("<script>x</script>", "Unsupported start tag \"script\""),
            ("a < b", "Unsupported start tag"),
            ("<b><i>x</b></i>", "Unmatched end tag"),
            ("<span>x</span>", "must have class \"tg-spoiler\""),
            (
                "<tg-emoji emoji-id=\"x\">👍</tg-emoji>",
                "Invalid custom emoji",
            ),
            ("<a href=\"x\"", "Unclosed start tag"),
            ("&nbsp;", "literally"),
        ] {
            let e = parse_html(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let (visible, entities) = parse_html_entities(
            "<b>粗</b> <a href=\"https://e.org\">链</a> <pre><code class=\"language-rust\">fn</code></pre> 😀<i>x</i>",
        )
        .unwrap();
        assert_eq!(visible, "粗 链 fn 😀x");
        assert_eq!(
            Value::Array(entities),
            json!([
                { "type": "bold", "offset": 0, "length": 1 },
                { "type": "text_link", "offset": 2, "length": 1, "url": "https://e.org/" },
                { "type": "pre", "offset": 4, "length": 2, "language": "rust" },
                { "type": "italic", "offset": 9, "length": 1 },
            ])
        );
    }

    #[test]
    fn requests_are_refused_on_their_own_as_telegram_does() {
        let send = |text: &str| json!({ "chat_id": 1, "text": text, "parse_mode": "HTML" });
        let refusal_of = |body: Value| refusal("SendMessage", &body).unwrap_or_default();
        // Lengths: markup does not count, emoji count twice; empty after parsing and trimming.
        assert!(refusal("SendMessage", &send(&"字".repeat(MAX_TEXT))).is_none());
        assert!(
            refusal(
                "sendMessage",
                &send(&format!("<b>{}</b>", "字".repeat(MAX_TEXT)))
            )
            .is_none()
        );
        assert!(refusal_of(send(&"字".repeat(MAX_TEXT + 1))).contains("message is too long"));
        assert!(refusal_of(send(&"📄".repeat(MAX_TEXT / 2 + 1))).contains("too long"));
        assert!(refusal_of(send("<b> </b>\n")).contains("message text is empty"));
        assert!(refusal_of(send("<p>x</p>")).contains("can't parse entities"));
        assert!(refusal_of(send("a&nbsp;b")).contains("&nbsp;"));
        // Parameters: unknown, missing, mistyped, null; the parse mode.
        let unknown = json!({ "chat_id": 1, "text": "x", "disable_web_page_preview": true });
        assert!(refusal_of(unknown).contains("unknown parameter \"disable_web_page_preview\""));
        assert!(refusal_of(json!({ "text": "x" })).contains("\"chat_id\" is required"));
        let thread = json!({ "chat_id": 1, "text": "x", "message_thread_id": "7" });
        assert!(refusal_of(thread).contains("\"message_thread_id\" must be an Integer"));
        assert!(refusal_of(json!({ "chat_id": null, "text": "x" })).contains("got null"));
        let mode = json!({ "chat_id": 1, "text": "x", "parse_mode": "html5" });
        assert!(refusal_of(mode).contains("unsupported parse_mode"));
        // Link previews: their shape.
        let preview = |o: Value| json!({ "chat_id": 1, "text": "x", "link_preview_options": o });
        assert!(
            refusal_of(preview(json!({ "disabled": true }))).contains("unknown field \"disabled\"")
        );
        assert!(
            refusal_of(preview(json!({ "is_disabled": "true" }))).contains("must be a Boolean")
        );
        assert!(refusal("sendMessage", &preview(json!({ "is_disabled": true }))).is_none());
        // Buttons: text, exactly one action, callback data, URL.
        let with =
            |b: Value| json!({ "chat_id": 1, "text": "x", "reply_markup": keyboard(json!([b])) });
        let cases = [
            (
                json!({ "text": "原文", "callback_data": "x".repeat(65) }),
                "BUTTON_DATA_INVALID",
            ),
            (
                json!({ "text": "原文", "callback_data": "" }),
                "BUTTON_DATA_INVALID",
            ),
            (
                json!({ "text": "", "callback_data": "x" }),
                "button text is empty",
            ),
            (json!({ "text": "原文" }), "text buttons are unallowed"),
            (
                json!({ "text": "原文", "callback_data": "x", "url": "https://e.org" }),
                "exactly one action",
            ),
            (
                json!({ "text": "原文", "url": "javascript:alert(1)" }),
                "BUTTON_URL_INVALID",
            ),
            (
                json!({ "text": "原文", "url": "https://" }),
                "BUTTON_URL_INVALID",
            ),
            (
                json!({ "text": "原文", "callback_data": "x", "colour": "red" }),
                "unknown field \"colour\"",
            ),
            (
                json!({ "text": "原文", "web_app": { "url": "http://e.org" } }),
                "HTTPS",
            ),
        ];
        for (button, why) in cases {
            let e = refusal_of(with(button.clone()));
            assert!(e.contains(why), "{button}: {e}");
        }
        assert!(
            refusal(
                "sendMessage",
                &with(json!({ "text": "原文", "url": "https://e.org/x" }))
            )
            .is_none()
        );
        let markup = json!({ "chat_id": 1, "text": "x", "reply_markup": { "buttons": [] } });
        assert!(refusal_of(markup).contains("can't parse reply keyboard markup"));
        assert!(
            refusal("sendMesage", &json!({}))
                .unwrap()
                .contains("Not Found")
        );
    }

    #[tokio::test]
    async fn errors_carry_their_http_status_and_method_names_any_case() {
        let api = fake().await;
        let (status, body) = api.call("sendMesage", json!({ "chat_id": USER })).await;
        assert_eq!(
            (status, body),
            (
                404,
                json!({ "ok": false, "error_code": 404, "description": "Not Found" })
            )
        );
        refused(
            &api,
            "SendMessage",
            json!({ "chat_id": USER, "text": "" }),
            400,
            "message text is empty",
        )
        .await;
        refused(
            &api,
            "SENDMESSAGE",
            json!({ "chat_id": STRANGER, "text": "x" }),
            403,
            "can't initiate",
        )
        .await;
        ok(&api, "SendMessage", text(USER, "<b>你好</b>")).await;
        ok(&api, "sendmessage", text(USER, "再见")).await;
        let head = request_head(
            &api.addr(),
            "/bot123:WRONG/getMe",
            "application/json",
            2,
            None,
        );
        let (status, body) = api.exchange(head, b"{}".to_vec()).await;
        assert_eq!((status, body["error_code"].as_u64()), (401, Some(401)));
        let reqs = api.requests();
        let sent: Vec<&Request> = reqs.iter().filter(|r| r.method == "SendMessage").collect();
        assert_eq!(sent.len(), 4, "both spellings match");
        assert!(
            sent.iter()
                .all(|r| r.method == "sendMessage" && r.method.as_str() == "sendMessage")
        );
        assert_eq!(sent[0].status, 400);
        assert_eq!(sent[1].status, 403);
        assert_eq!(api.sent_to(USER), vec!["<b>你好</b>", "再见"]);
        assert_eq!(api.refused().len(), 4, "{:?}", api.refused());
    }

    #[tokio::test]
    async fn form_parameters_are_typed_like_json_ones() {
        let api = fake().await;
        let markup = r#"{"inline_keyboard":[[{"text":"原文","callback_data":"src:1"}]]}"#;
        let fields = [
            ("chat_id", "5"),
            ("text", "<i>表单</i>"),
            ("parse_mode", "HTML"),
            ("reply_markup", markup),
        ];
        let (status, body) = api.call_form("SendMessage", &fields, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["result"]["text"], "表单");
        let last = api.requests().pop().unwrap();
        assert_eq!(last.chat_id(), Some(USER));
        assert_eq!(
            last.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
            "src:1"
        );
        let (status, body) = api
            .call_form(
                "sendMessage",
                &[
                    ("chat_id", "5"),
                    ("text", "x"),
                    ("message_thread_id", "seven"),
                ],
                &[],
            )
            .await;
        assert_eq!(status, 400);
        assert!(
            body["description"]
                .as_str()
                .unwrap()
                .contains("\"message_thread_id\" must be an Integer")
        );
        let (status, _) = api
            .call_form(
                "sendMessage",
                &[
                    ("chat_id", "5"),
                    ("text", "x"),
                    ("reply_markup", "{not json"),
                ],
                &[],
            )
            .await;
        assert_eq!(status, 400);
        // An upload: a document message whose file can be fetched and downloaded.
        let (status, body) = api
            .call_form(
                "sendDocument",
                &[("chat_id", "5"), ("caption", "附件")],
                &[("document", "a.md", b"# hi\n")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let document = &body["result"]["document"];
        assert_eq!(
            (
                document["file_name"].as_str(),
                body["result"]["caption"].as_str()
            ),
            (Some("a.md"), Some("附件"))
        );
        let file = ok(&api, "getFile", json!({ "file_id": document["file_id"] })).await;
        let path = format!("/file/bot{TOKEN}/{}", file["file_path"].as_str().unwrap());
        let head = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (status, bytes) = http_exchange(&api.addr(), head.as_bytes(), b"")
            .await
            .unwrap();
        assert_eq!((status, bytes), (200, b"# hi\n".to_vec()));
        refused(
            &api,
            "sendDocument",
            json!({ "chat_id": USER, "document": "nosuchfile" }),
            400,
            "wrong file identifier",
        )
        .await;
    }

    #[tokio::test]
    async fn chats_must_be_known_and_topics_must_exist() {
        let api = fake().await;
        refused(
            &api,
            "sendMessage",
            text(STRANGER, "x"),
            403,
            "bot can't initiate conversation with a user",
        )
        .await;
        refused(&api, "sendMessage", text(-42, "x"), 400, "chat not found").await;
        refused(
            &api,
            "sendMessage",
            text(BOT_ID, "x"),
            403,
            "bots can't send messages to bots",
        )
        .await;
        refused(
            &api,
            "sendChatAction",
            json!({ "chat_id": STRANGER, "action": "typing" }),
            403,
            "can't initiate",
        )
        .await;
        refused(
            &api,
            "sendChatAction",
            json!({ "chat_id": USER, "action": "thinking" }),
            400,
            "wrong parameter action",
        )
        .await;
        ok(
            &api,
            "sendChatAction",
            json!({ "chat_id": USER, "action": "typing" }),
        )
        .await;
        // Groups and supergroups: known once the bot is in them; the chat keeps its type.
        api.add_group(-10, "居委会");
        api.add_supergroup(-100_200, "超级群");
        let group = ok(&api, "sendMessage", text(-10, "x")).await;
        assert_eq!(
            group["chat"],
            json!({ "id": -10, "type": "group", "title": "居委会" })
        );
        let sg = ok(&api, "sendMessage", text(-100_200, "x")).await;
        assert_eq!(sg["chat"]["type"], "supergroup");
        refused(
            &api,
            "sendMessage",
            json!({ "chat_id": -10, "text": "x", "message_thread_id": 3 }),
            400,
            "message thread not found",
        )
        .await;
        api.remove_bot(-10);
        refused(
            &api,
            "sendMessage",
            text(-10, "x"),
            403,
            "bot was kicked from the group chat",
        )
        .await;
        api.block(USER);
        refused(
            &api,
            "sendMessage",
            text(USER, "x"),
            403,
            "bot was blocked by the user",
        )
        .await;
        // Forums: topics, opened by users or by the bot; messages in them.
        refused(
            &api,
            "createForumTopic",
            json!({ "chat_id": -100_200, "name": "议题" }),
            400,
            "not a forum",
        )
        .await;
        api.add_forum(-100_300, "论坛");
        let users_topic = api.add_topic(-100_300, "停水");
        refused(
            &api,
            "createForumTopic",
            json!({ "chat_id": -100_300, "name": "" }),
            400,
            "TOPIC_TITLE_EMPTY",
        )
        .await;
        refused(
            &api,
            "createForumTopic",
            json!({ "chat_id": -100_300, "name": "x", "icon_color": 1 }),
            400,
            "TOPIC_ICON_COLOR_INVALID",
        )
        .await;
        let topic = ok(
            &api,
            "createForumTopic",
            json!({ "chat_id": -100_300, "name": "答疑" }),
        )
        .await;
        let thread = topic["message_thread_id"].as_i64().unwrap();
        assert_eq!(
            (topic["name"].as_str(), topic["icon_color"].as_i64()),
            (Some("答疑"), Some(7_322_096))
        );
        let m = ok(
            &api,
            "sendMessage",
            json!({ "chat_id": -100_300, "text": "x", "message_thread_id": thread }),
        )
        .await;
        assert_eq!(
            (
                m["message_thread_id"].as_i64(),
                m["is_topic_message"].as_bool()
            ),
            (Some(thread), Some(true))
        );
        assert_eq!(m["chat"]["is_forum"], true);
        assert_eq!(m["reply_to_message"]["forum_topic_created"]["name"], "答疑");
        refused(
            &api,
            "sendMessage",
            json!({ "chat_id": -100_300, "text": "x", "message_thread_id": 999 }),
            400,
            "message thread not found",
        )
        .await;
        // A user's message in a topic replies to the topic's service message, as Telegram's do.
        let asked = api.topic_text(-100_300, users_topic, 7, "有问题");
        let asked = api.message(-100_300, asked).unwrap();
        assert_eq!(asked["reply_to_message"]["message_id"], users_topic);
        ok(
            &api,
            "closeForumTopic",
            json!({ "chat_id": -100_300, "message_thread_id": thread }),
        )
        .await;
        refused(
            &api,
            "closeForumTopic",
            json!({ "chat_id": -100_300, "message_thread_id": thread }),
            400,
            "TOPIC_NOT_MODIFIED",
        )
        .await;
        api.set_bot_admin(-100_300, false);
        refused(
            &api,
            "sendMessage",
            json!({ "chat_id": -100_300, "text": "x", "message_thread_id": thread }),
            400,
            "TOPIC_CLOSED",
        )
        .await;
        refused(
            &api,
            "closeForumTopic",
            json!({ "chat_id": -100_300, "message_thread_id": users_topic }),
            400,
            "CHAT_ADMIN_REQUIRED",
        )
        .await;
        refused(
            &api,
            "createForumTopic",
            json!({ "chat_id": -100_300, "name": "再开" }),
            400,
            "not enough rights",
        )
        .await;
        ok(
            &api,
            "reopenForumTopic",
            json!({ "chat_id": -100_300, "message_thread_id": thread }),
        )
        .await;
        ok(
            &api,
            "editForumTopic",
            json!({ "chat_id": -100_300, "message_thread_id": thread, "name": "答疑区" }),
        )
        .await;
        refused(
            &api,
            "editForumTopic",
            json!({ "chat_id": -100_300, "message_thread_id": thread, "name": "答疑区" }),
            400,
            "TOPIC_NOT_MODIFIED",
        )
        .await;
        refused(
            &api,
            "reopenForumTopic",
            json!({ "chat_id": -100_300, "message_thread_id": 999 }),
            400,
            "message thread not found",
        )
        .await;
        assert_eq!(
            api.topics(-100_300)
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>(),
            ["停水", "答疑区"]
        );
        // getChat and getChatMember.
        let chat = ok(&api, "getChat", json!({ "chat_id": -100_300 })).await;
        assert_eq!(
            (chat["type"].as_str(), chat["is_forum"].as_bool()),
            (Some("supergroup"), Some(true))
        );
        refused(
            &api,
            "getChat",
            json!({ "chat_id": STRANGER }),
            400,
            "chat not found",
        )
        .await;
        let member = ok(
            &api,
            "getChatMember",
            json!({ "chat_id": -100_300, "user_id": 7 }),
        )
        .await;
        assert_eq!(member["status"], "member");
        let bot = ok(
            &api,
            "getChatMember",
            json!({ "chat_id": -100_200, "user_id": BOT_ID }),
        )
        .await;
        assert_eq!(bot["status"], "member");
        refused(
            &api,
            "getChatMember",
            json!({ "chat_id": -100_300, "user_id": 424_242 }),
            400,
            "user not found",
        )
        .await;
    }

    #[tokio::test]
    async fn sent_messages_are_kept_as_telegram_shows_them() {
        let api = fake().await;
        let question = api.lock().messages.keys().next().unwrap().1;
        let kb = keyboard(
            json!([{ "text": "原文", "callback_data": "src:1" }, { "text": "👍", "callback_data": "fb:1" }]),
        );
        let mut params = text(USER, "  <b>人才公寓</b>450套 &amp; 📄 <i>报告</i>\n");
        params["reply_markup"] = kb.clone();
        params["reply_parameters"] = json!({ "message_id": question });
        params["link_preview_options"] = json!({ "is_disabled": true });
        let m = ok(&api, "sendMessage", params).await;
        assert_eq!(
            m["text"], "人才公寓450套 & 📄 报告",
            "the text after parsing and trimming"
        );
        assert_eq!(
            m["entities"],
            json!([{ "type": "bold", "offset": 0, "length": 4 }, { "type": "italic", "offset": 14, "length": 2 }])
        );
        assert_eq!(m["from"], bot_user(), "no getMe-only fields");
        assert_eq!(m["chat"]["type"], "private");
        assert_eq!(m["reply_to_message"]["message_id"], question);
        assert_eq!(m["reply_markup"], kb);
        assert!(m["date"].as_i64().unwrap() > 1_700_000_000);
        let id = m["message_id"].as_i64().unwrap();
        assert_eq!(api.requests().last().unwrap().message_id, Some(id));
        // Edits keep the id, need the message, and must change something.
        let edit = |t: &str| json!({ "chat_id": USER, "message_id": id, "text": t, "parse_mode": "HTML", "reply_markup": kb });
        refused(
            &api,
            "editMessageText",
            json!({ "chat_id": USER, "message_id": 9_999, "text": "x" }),
            400,
            "message to edit not found",
        )
        .await;
        refused(
            &api,
            "editMessageText",
            edit("<b>人才公寓</b>450套 &amp; 📄 <i>报告</i>"),
            400,
            "message is not modified",
        )
        .await;
        refused(
            &api,
            "editMessageText",
            json!({ "chat_id": USER, "message_id": question, "text": "x" }),
            400,
            "message can't be edited",
        )
        .await;
        refused(
            &api,
            "editMessageText",
            json!({ "text": "x" }),
            400,
            "\"chat_id\" is required",
        )
        .await;
        let edited = ok(&api, "editMessageText", edit("<b>已更新</b>")).await;
        assert_eq!(
            (edited["message_id"].as_i64(), edited["text"].as_str()),
            (Some(id), Some("已更新"))
        );
        assert!(edited["edit_date"].is_i64());
        refused(
            &api,
            "editMessageReplyMarkup",
            json!({ "chat_id": USER, "message_id": id, "reply_markup": kb }),
            400,
            "message is not modified",
        )
        .await;
        let thanks = keyboard(json!([{ "text": "谢谢", "callback_data": "noop" }]));
        let marked = ok(
            &api,
            "editMessageReplyMarkup",
            json!({ "chat_id": USER, "message_id": id, "reply_markup": thanks }),
        )
        .await;
        assert_eq!(
            (marked["reply_markup"].clone(), marked["text"].as_str()),
            (thanks.clone(), Some("已更新"))
        );
        // A press carries the message as it is now.
        api.press_under(USER, USER, "noop");
        let update = poll(&api).await.pop().unwrap();
        let pressed = &update["callback_query"]["message"];
        assert_eq!(
            (pressed["message_id"].as_i64(), pressed["text"].as_str()),
            (Some(id), Some("已更新"))
        );
        assert_eq!(pressed["reply_markup"], thanks);
        // editMessageText without a keyboard removes it; a deleted message is gone.
        let plain = ok(
            &api,
            "editMessageText",
            json!({ "chat_id": USER, "message_id": id, "text": "已更新" }),
        )
        .await;
        assert!(plain.get("reply_markup").is_none());
        ok(
            &api,
            "deleteMessage",
            json!({ "chat_id": USER, "message_id": id }),
        )
        .await;
        refused(
            &api,
            "deleteMessage",
            json!({ "chat_id": USER, "message_id": id }),
            400,
            "message to delete not found",
        )
        .await;
        refused(
            &api,
            "editMessageText",
            json!({ "chat_id": USER, "message_id": id, "text": "y" }),
            400,
            "message to edit not found",
        )
        .await;
    }

    #[tokio::test]
    async fn replies_need_the_message_they_reply_to() {
        let api = fake().await;
        let mut params = text(USER, "回复");
        params["reply_parameters"] = json!({ "message_id": 9_999 });
        refused(
            &api,
            "sendMessage",
            params.clone(),
            400,
            "message to be replied not found",
        )
        .await;
        params["reply_parameters"]["allow_sending_without_reply"] = json!(true);
        let m = ok(&api, "sendMessage", params).await;
        assert!(m.get("reply_to_message").is_none());
        let question = api.group_text(-20, 8, "@lianghui_test_bot 一岗一房");
        let mut params = text(-20, "答");
        params["reply_parameters"] = json!({ "message_id": question, "quote": "不在原文里" });
        refused(
            &api,
            "sendMessage",
            params.clone(),
            400,
            "QUOTE_TEXT_INVALID",
        )
        .await;
        params["reply_parameters"] = json!({ "message_id": question, "quote": "一岗一房" });
        let m = ok(&api, "sendMessage", params).await;
        assert_eq!(m["reply_to_message"]["text"], "@lianghui_test_bot 一岗一房");
        assert_eq!(m["reply_to_message"]["entities"][0]["type"], "mention");
        // copyMessage and forwardMessage need the message too.
        refused(
            &api,
            "copyMessage",
            json!({ "chat_id": USER, "from_chat_id": -20, "message_id": 9_999 }),
            400,
            "message to copy not found",
        )
        .await;
        refused(
            &api,
            "forwardMessage",
            json!({ "chat_id": USER, "from_chat_id": -20, "message_id": 9_999 }),
            400,
            "message to forward not found",
        )
        .await;
        let copied = ok(
            &api,
            "copyMessage",
            json!({ "chat_id": USER, "from_chat_id": -20, "message_id": question }),
        )
        .await;
        let copy = api
            .message(USER, copied["message_id"].as_i64().unwrap())
            .unwrap();
        assert_eq!(copy["text"], "@lianghui_test_bot 一岗一房");
        let forwarded = ok(
            &api,
            "forwardMessage",
            json!({ "chat_id": USER, "from_chat_id": -20, "message_id": question }),
        )
        .await;
        assert_eq!(forwarded["forward_origin"]["sender_user"]["id"], 8);
    }

    #[tokio::test]
    async fn command_menus_follow_telegrams_rules() {
        let api = fake().await;
        let menu = |command: &str, description: &str| json!({ "commands": [{ "command": command, "description": description }] });
        for (params, why) in [
            (menu("Start", "开始"), "BOT_COMMAND_INVALID"),
            (menu("/start", "开始"), "no leading '/'"),
            (menu(&"a".repeat(33), "开始"), "1-32 characters"),
            (menu("ask-me", "开始"), "BOT_COMMAND_INVALID"),
            (menu("start", ""), "BOT_COMMAND_DESCRIPTION_INVALID"),
            (menu("start", &"字".repeat(257)), "257 characters"),
            (
                json!({ "commands": [{ "command": "start" }] }),
                "\"commands[0].description\" is required",
            ),
        ] {
            refused(&api, "setMyCommands", params, 400, why).await;
        }
        let many: Vec<Value> = (0..101)
            .map(|i| json!({ "command": format!("c{i}"), "description": "d" }))
            .collect();
        refused(
            &api,
            "setMyCommands",
            json!({ "commands": many }),
            400,
            "BOT_COMMANDS_TOO_MUCH",
        )
        .await;
        let mut scoped = menu("start", "开始");
        scoped["scope"] = json!({ "type": "chat", "chat_id": STRANGER });
        refused(&api, "setMyCommands", scoped.clone(), 400, "chat not found").await;
        scoped["scope"] = json!({ "type": "user", "chat_id": USER });
        refused(
            &api,
            "setMyCommands",
            scoped.clone(),
            400,
            "unsupported bot command scope type",
        )
        .await;
        scoped["scope"] = json!({ "type": "chat", "chat_id": USER });
        scoped["language_code"] = json!("zh-CN");
        refused(&api, "setMyCommands", scoped.clone(), 400, "two-letter").await;
        scoped.as_object_mut().unwrap().remove("language_code");
        ok(&api, "setMyCommands", scoped.clone()).await;
        ok(&api, "setMyCommands", menu("start", "开始使用")).await;
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            api.menu(&Value::Null, ""),
            Some(pairs(&[("start", "开始使用")]))
        );
        assert_eq!(
            api.menu(&json!({ "type": "chat", "chat_id": USER }), ""),
            Some(pairs(&[("start", "开始")]))
        );
        let got = ok(
            &api,
            "getMyCommands",
            json!({ "scope": { "type": "chat", "chat_id": USER } }),
        )
        .await;
        assert_eq!(got, json!([{ "command": "start", "description": "开始" }]));
        ok(
            &api,
            "deleteMyCommands",
            json!({ "scope": { "type": "chat", "chat_id": USER } }),
        )
        .await;
        assert_eq!(
            api.menu(&json!({ "type": "chat", "chat_id": USER }), ""),
            None
        );
    }

    #[tokio::test]
    async fn inline_answers_follow_telegrams_rules() {
        let api = fake().await;
        api.inline(USER, "人才公寓");
        let query = poll(&api).await.pop().unwrap()["inline_query"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let article = |id: &str| {
            json!({ "type": "article", "id": id, "title": "t",
            "input_message_content": { "message_text": "<b>x</b>", "parse_mode": "HTML" } })
        };
        let answer = |results: Vec<Value>| json!({ "inline_query_id": query, "results": results });
        let mut wrong_type = article("a");
        wrong_type["type"] = json!("articel");
        let mut no_title = article("a");
        no_title.as_object_mut().unwrap().remove("title");
        let mut bad_html = article("a");
        bad_html["input_message_content"]["message_text"] = json!("<b>x");
        let mut bad_data = article("a");
        bad_data["reply_markup"] =
            keyboard(json!([{ "text": "原文", "callback_data": "x".repeat(65) }]));
        for (params, why) in [
            (
                answer((0..51).map(|i| article(&i.to_string())).collect()),
                "RESULTS_TOO_MUCH",
            ),
            (answer(vec![article(&"x".repeat(65))]), "RESULT_ID_INVALID"),
            (answer(vec![article("")]), "RESULT_ID_INVALID"),
            (
                answer(vec![article("a"), article("a")]),
                "RESULT_ID_DUPLICATE",
            ),
            (answer(vec![wrong_type]), "RESULT_TYPE_INVALID"),
            (answer(vec![no_title]), "\"results[0].title\" is required"),
            (answer(vec![bad_html]), "can't parse entities"),
            (answer(vec![bad_data]), "BUTTON_DATA_INVALID"),
            (
                json!({ "inline_query_id": query, "results": [], "cache_time": "300" }),
                "\"cache_time\" must be an Integer",
            ),
            (
                json!({ "inline_query_id": query, "results": [], "button": { "text": "打开", "start_parameter": "a b" } }),
                "START_PARAM_INVALID",
            ),
            (
                json!({ "inline_query_id": query, "results": [], "button": { "text": "打开" } }),
                "exactly one of web_app and start_parameter",
            ),
            (
                json!({ "inline_query_id": "nosuchquery", "results": [] }),
                TOO_OLD,
            ),
        ] {
            refused(&api, "answerInlineQuery", params, 400, why).await;
        }
        // A query not yet handed to the bot cannot be answered.
        api.inline(USER, "停水");
        let undelivered = api
            .lock()
            .inline_queries
            .keys()
            .find(|k| **k != query)
            .cloned()
            .unwrap();
        refused(
            &api,
            "answerInlineQuery",
            json!({ "inline_query_id": undelivered, "results": [] }),
            400,
            TOO_OLD,
        )
        .await;
        let good = json!({ "inline_query_id": query, "results": [article("a"), article("b")], "cache_time": 300,
                           "button": { "text": "打开机器人", "start_parameter": "inline" } });
        assert_eq!(ok(&api, "answerInlineQuery", good.clone()).await, true);
        refused(&api, "answerInlineQuery", good, 400, TOO_OLD).await;
    }

    #[tokio::test]
    async fn callback_queries_are_answered_once_and_at_once() {
        let api = fake().await;
        api.press(USER, "src:1");
        let id = poll(&api).await.pop().unwrap()["callback_query"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        refused(
            &api,
            "answerCallbackQuery",
            json!({ "callback_query_id": id, "text": "字".repeat(201) }),
            400,
            "MESSAGE_TOO_LONG",
        )
        .await;
        refused(
            &api,
            "answerCallbackQuery",
            json!({ "callback_query_id": id, "url": "https://example.org" }),
            400,
            "URL_INVALID",
        )
        .await;
        ok(
            &api,
            "answerCallbackQuery",
            json!({ "callback_query_id": id, "text": "字".repeat(200) }),
        )
        .await;
        refused(
            &api,
            "answerCallbackQuery",
            json!({ "callback_query_id": id }),
            400,
            TOO_OLD,
        )
        .await;
        refused(
            &api,
            "answerCallbackQuery",
            json!({ "callback_query_id": "made-up" }),
            400,
            TOO_OLD,
        )
        .await;
        // Not delivered yet: the bot cannot know it.
        api.press(USER, "src:2");
        let pending = api
            .lock()
            .callbacks
            .iter()
            .find(|(_, q)| q.delivered.is_none())
            .map(|(k, _)| k.clone())
            .unwrap();
        refused(
            &api,
            "answerCallbackQuery",
            json!({ "callback_query_id": pending }),
            400,
            TOO_OLD,
        )
        .await;
        // Too late.
        poll(&api).await;
        api.set_query_timeout(Duration::from_millis(50));
        tokio::time::sleep(Duration::from_millis(120)).await;
        refused(
            &api,
            "answerCallbackQuery",
            json!({ "callback_query_id": pending }),
            400,
            TOO_OLD,
        )
        .await;
        let answers = api.callback_answers();
        let first = answers.iter().find(|a| a.refused.is_none()).unwrap();
        assert_eq!(first.data, "src:1");
        assert!(
            first.delay.unwrap() < Duration::from_secs(5),
            "{:?}",
            first.delay
        );
        let late = answers.last().unwrap();
        assert!(late.refused.is_some() && late.delay.unwrap() >= Duration::from_millis(50));
        // A press under a message the fake made up may be edited like a real one.
        let message = api.messages(USER).pop().unwrap();
        let edit =
            json!({ "chat_id": USER, "message_id": message["message_id"], "text": "已确认" });
        ok(&api, "editMessageText", edit).await;
    }

    #[tokio::test]
    async fn get_updates_confirms_waits_and_filters_as_telegram_does() {
        let api = FakeApi::start().await;
        for i in 0..3 {
            api.private_text(USER, &format!("第{i}条"));
        }
        let first = ok(&api, "getUpdates", json!({ "limit": 2 })).await;
        assert_eq!(first.as_array().unwrap().len(), 2);
        assert_eq!(api.unconfirmed_updates().len(), 2);
        assert_eq!(api.confirmed_update_id(), 0);
        let again = ok(&api, "getUpdates", json!({ "offset": 2 })).await;
        assert_eq!(
            again[0]["update_id"], 2,
            "an offset confirms the updates below it"
        );
        assert_eq!(api.confirmed_update_id(), 1);
        ok(&api, "getUpdates", json!({ "offset": 4, "timeout": 0 })).await;
        assert_eq!(
            (api.confirmed_update_id(), api.pending_updates().len()),
            (3, 0)
        );
        // Long polling: waits for the timeout, or returns as soon as an update comes.
        let started = Instant::now();
        assert_eq!(
            ok(&api, "getUpdates", json!({ "offset": 4, "timeout": 1 })).await,
            json!([])
        );
        assert!(started.elapsed() >= Duration::from_millis(900));
        let poller = api.clone();
        let polls = api.lock().poll_generation;
        let waiting = tokio::spawn(async move {
            poller
                .call("getUpdates", json!({ "offset": 4, "timeout": 20 }))
                .await
        });
        polling_since(&api, polls).await;
        let started = Instant::now();
        api.private_text(USER, "来了");
        let (status, got) = waiting.await.unwrap();
        assert_eq!(
            (status, got["result"][0]["update_id"].as_i64()),
            (200, Some(4))
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        // allowed_updates: other kinds are dropped, and the setting stays for later calls.
        api.private_edit(USER, "改了");
        api.inline(USER, "q");
        let got = ok(
            &api,
            "getUpdates",
            json!({ "offset": 5, "allowed_updates": ["message", "inline_query"] }),
        )
        .await;
        assert_eq!(got.as_array().unwrap().len(), 1);
        assert!(got[0].get("inline_query").is_some());
        assert_eq!(api.filtered_updates()[0]["update_id"], 5);
        api.private_edit(USER, "又改了");
        assert_eq!(
            ok(&api, "getUpdates", json!({ "offset": 7 })).await,
            json!([])
        );
        // A negative offset keeps only the last updates.
        for i in 0..3 {
            api.private_text(USER, &format!("批{i}"));
        }
        let last = ok(&api, "getUpdates", json!({ "offset": -1 })).await;
        assert_eq!(last.as_array().unwrap().len(), 1);
        refused(
            &api,
            "getUpdates",
            json!({ "limit": 0 }),
            400,
            "\"limit\" must be 1-100",
        )
        .await;
        refused(
            &api,
            "getUpdates",
            json!({ "allowed_updates": ["messages"] }),
            400,
            "is not an update type",
        )
        .await;
        // A newer poll ends an older one with 409, which is not counted against the bot.
        let poller = api.clone();
        let polls = api.lock().poll_generation;
        let old = tokio::spawn(async move {
            poller
                .call("getUpdates", json!({ "offset": 100, "timeout": 20 }))
                .await
        });
        polling_since(&api, polls).await;
        ok(&api, "getUpdates", json!({ "offset": 100 })).await;
        let (status, body) = old.await.unwrap();
        assert_eq!(status, 409);
        assert!(
            body["description"]
                .as_str()
                .unwrap()
                .contains("terminated by other getUpdates")
        );
        assert_eq!(api.superseded_polls(), 1);
        assert!(
            api.refused()
                .iter()
                .all(|(_, why)| !why.contains("terminated")),
            "{:?}",
            api.refused()
        );
    }

    /// A webhook listener like the bot's: 200 with the secret header, 401 without.
    async fn listener(secret: &'static str) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let hook = move |headers: HeaderMap| async move {
            let given = headers.get("x-telegram-bot-api-secret-token");
            if given.is_some_and(|v| v == secret) {
                StatusCode::OK
            } else {
                StatusCode::UNAUTHORIZED
            }
        };
        let app = Router::new().route("/telegram/hook", axum::routing::post(hook));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    #[tokio::test]
    async fn webhooks_are_set_checked_and_exclusive_with_get_updates() {
        let api = FakeApi::start().await;
        let set = |url: &str| json!({ "url": url });
        refused(
            &api,
            "setWebhook",
            set("http://bot.example.org/hook"),
            400,
            "HTTPS URL must be provided",
        )
        .await;
        refused(
            &api,
            "setWebhook",
            set("https://bot.example.org:8080/hook"),
            400,
            "ports 80, 88, 443 or 8443",
        )
        .await;
        refused(
            &api,
            "setWebhook",
            json!({ "url": "https://bot.example.org/hook", "secret_token": "a b" }),
            400,
            "secret_token",
        )
        .await;
        refused(
            &api,
            "setWebhook",
            json!({ "url": "https://bot.example.org/hook", "max_connections": 0 }),
            400,
            "max_connections",
        )
        .await;
        // As teloxide sends it: multipart.
        let fields = [
            ("url", "https://bot.example.org/telegram/hook"),
            ("secret_token", "s3cret_token-1"),
            ("allowed_updates", r#"["message","callback_query"]"#),
            ("max_connections", "10"),
        ];
        let (status, body) = api.call_form("SetWebhook", &fields, &[]).await;
        assert_eq!(
            (status, body["description"].as_str()),
            (200, Some("Webhook was set")),
            "{body}"
        );
        let hook = api.webhook().unwrap();
        assert_eq!(hook.secret_token.as_deref(), Some("s3cret_token-1"));
        assert_eq!(
            (hook.max_connections, hook.allowed_updates.unwrap().len()),
            (10, 2)
        );
        refused(
            &api,
            "getUpdates",
            json!({}),
            409,
            "can't use getUpdates method while webhook is active",
        )
        .await;
        let info = ok(&api, "getWebhookInfo", json!({})).await;
        assert_eq!(info["url"], "https://bot.example.org/telegram/hook");
        // Delivery to the bot's listener: without the secret the update stays pending.
        let addr = listener("s3cret_token-1").await;
        api.private_text(USER, "一岗一房");
        assert_eq!(api.post_webhook(&addr, None).await, 401);
        assert_eq!(api.post_webhook(&addr, Some("wrong")).await, 401);
        assert_eq!(api.pending_updates().len(), 1);
        let info = ok(&api, "getWebhookInfo", json!({})).await;
        assert_eq!(
            (
                info["pending_update_count"].as_u64(),
                info["last_error_message"].as_str()
            ),
            (Some(1), Some("Wrong response from the webhook: 401"))
        );
        assert_eq!(api.post_webhook(&addr, Some("s3cret_token-1")).await, 200);
        assert_eq!(
            (api.pending_updates().len(), api.confirmed_update_id()),
            (0, 1)
        );
        ok(&api, "deleteWebhook", json!({})).await;
        assert_eq!(ok(&api, "getUpdates", json!({})).await, json!([]));
    }

    #[tokio::test]
    async fn faults_and_scripts_answer_with_real_statuses() {
        let api = fake().await;
        api.script(
            "SendMessage",
            USER,
            error(403, "Forbidden: bot was blocked by the user"),
        );
        api.script("sendMessage", USER, too_many(3));
        let (status, body) = api.call("sendMessage", text(USER, "x")).await;
        assert_eq!(
            (status, body["description"].as_str()),
            (403, Some("Forbidden: bot was blocked by the user"))
        );
        let (status, body) = api.call("sendMessage", text(USER, "x")).await;
        assert_eq!(
            (status, body["parameters"]["retry_after"].as_u64()),
            (429, Some(3))
        );
        ok(&api, "sendMessage", text(USER, "x")).await;
        assert_eq!(
            api.sent_to(USER).len(),
            1,
            "scripted failures were not delivered"
        );
        assert!(
            api.refused().is_empty(),
            "scripted failures are not the bot's fault"
        );
        // A request Telegram refuses anyway does not use the script.
        api.script("sendMessage", USER, too_many(3));
        refused(
            &api,
            "sendMessage",
            text(USER, "<b>x"),
            400,
            "can't parse entities",
        )
        .await;
        assert_eq!(api.call("sendMessage", text(USER, "x")).await.0, 429);
        api.fault("GetMe", Fault::Html500, 1);
        api.fault("getMe", Fault::Garbled, 1);
        api.fault("getMe", Fault::Dropped, 1);
        api.fault("getMe", Fault::Slow(Duration::from_millis(300)), 1);
        assert_eq!(api.call("getMe", json!({})).await, (500, Value::Null));
        assert_eq!(api.call("getMe", json!({})).await, (200, Value::Null));
        assert_eq!(api.call("getMe", json!({})).await.0, 0);
        let started = Instant::now();
        let me = ok(&api, "getMe", json!({})).await;
        assert!(started.elapsed() >= Duration::from_millis(300));
        for field in [
            "can_join_groups",
            "can_read_all_group_messages",
            "supports_inline_queries",
            "can_connect_to_business",
            "has_main_web_app",
            "has_topics_enabled",
            "allows_users_to_create_topics",
            "can_manage_bots",
            "supports_guest_queries",
            "supports_join_request_queries",
        ] {
            assert!(me[field].is_boolean(), "getMe lacks {field}");
        }
        api.set_down(true);
        assert_eq!(api.call("getMe", json!({})).await.0, 502);
        api.set_down(false);
        assert_eq!(
            api.requests()
                .iter()
                .filter(|r| r.method == "getMe")
                .map(|r| r.status)
                .collect::<Vec<_>>(),
            [500, 200, 0, 200, 502]
        );
    }

    #[tokio::test]
    async fn files_are_fetched_as_telegram_allows() {
        let api = fake().await;
        api.private_document(USER, "huge.md", b"# x\n", 50 * 1024 * 1024);
        api.private_document(USER, "notice.md", b"# ok\n", 5);
        let photo = api.private_photo(USER, Some("照片"));
        api.private_voice(USER, 3);
        let updates = poll(&api).await;
        let file = |i: usize| updates[i]["message"]["document"]["file_id"].clone();
        refused(
            &api,
            "getFile",
            json!({ "file_id": file(0) }),
            400,
            "file is too big",
        )
        .await;
        let got = ok(&api, "getFile", json!({ "file_id": file(1) })).await;
        assert_eq!(
            (got["file_size"].as_u64(), got["file_path"].as_str()),
            (
                Some(5),
                Some(format!("documents/{}.md", file(1).as_str().unwrap()).as_str())
            )
        );
        refused(
            &api,
            "getFile",
            json!({ "file_id": "nosuchfile" }),
            400,
            "invalid file_id",
        )
        .await;
        let message = api.message(USER, photo).unwrap();
        assert_eq!(
            (
                message["photo"].as_array().map(Vec::len),
                message["caption"].as_str()
            ),
            (Some(2), Some("照片"))
        );
        assert_eq!(updates[3]["message"]["voice"]["duration"], 3);
        // Sending a photo by the id of one received.
        let id = message["photo"][1]["file_id"].clone();
        let sent = ok(
            &api,
            "sendPhoto",
            json!({ "chat_id": USER, "photo": id, "caption": "<b>转发</b>", "parse_mode": "HTML" }),
        )
        .await;
        assert_eq!(
            (
                sent["caption"].as_str(),
                sent["caption_entities"][0]["type"].as_str()
            ),
            (Some("转发"), Some("bold"))
        );
        refused(
            &api,
            "sendPhoto",
            json!({ "chat_id": USER, "photo": id, "caption": "字".repeat(1025) }),
            400,
            "caption is too long",
        )
        .await;
    }
}
