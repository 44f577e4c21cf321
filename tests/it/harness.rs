//! The Telegram test set-up, once: the real binary (`lianghui-bot serve`) started against the
//! fake Bot API on loopback, with its own data folder and the bundled knowledge folder or a
//! copy a test may change ([`bot`] builds it), and the helpers every area's tests share
//! (pressing buttons, announcing, subscribing, waiting for texts).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fake_api::{self, FakeApi, TOKEN};

pub const ADMIN: i64 = 1;
pub const STAFF: i64 = 2;
/// How long a test waits for something the bot should do.
pub const LONG: Duration = Duration::from_secs(30);

/// Whether any of `texts` contains `needle`.
pub fn has(texts: &[String], needle: &str) -> bool {
    texts.iter().any(|t| t.contains(needle))
}

/// The binary, with no environment of ours.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lianghui-bot"))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The names of the files in `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `lianghui-bot healthcheck` on a data folder: whether healthy, and what it said.
pub fn healthcheck(data: &Path) -> (bool, String) {
    let out = bin()
        .arg("healthcheck")
        .env("LIANGHUI_DATA_DIR", data)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// The bot process; killed when dropped.
pub struct BotProcess {
    pub child: Child,
    log: PathBuf,
}

impl BotProcess {
    fn spawn(
        api: &FakeApi,
        knowledge: &Path,
        data: &Path,
        rate: &str,
        env: &[(String, String)],
    ) -> BotProcess {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = data.join(format!("bot-{}-{n}.log", std::process::id()));
        let child = bin()
            .arg("serve")
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("TELOXIDE_API_URL", &api.url)
            .env("LIANGHUI_KNOWLEDGE_DIR", knowledge)
            .env("LIANGHUI_DATA_DIR", data)
            .env("LIANGHUI_ADMINS", ADMIN.to_string())
            .env("LIANGHUI_STAFF", STAFF.to_string())
            .env("LIANGHUI_BROADCAST_RATE", rate)
            .env("RUST_LOG", "debug")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        BotProcess { child, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the process to end; how long it took and how it ended.
    pub fn sigterm(&mut self) -> (Duration, std::process::ExitStatus) {
        let started = Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        loop {
            if let Some(code) = self.child.try_wait().unwrap() {
                return (started.elapsed(), code);
            }
            assert!(started.elapsed() < LONG, "the bot did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

/// A change to the knowledge copy made before the bot starts.
type Prepare = Box<dyn FnOnce(&Path)>;

/// What a test bot is started with.
pub struct Setup {
    copy: bool,
    rate: String,
    env: Vec<(String, String)>,
    api: Option<FakeApi>,
    prepare: Option<Prepare>,
}

/// A test bot on the bundled reports, a fresh data folder and a fresh fake Bot API.
pub fn bot() -> Setup {
    Setup {
        copy: false,
        rate: "25".to_owned(),
        env: Vec::new(),
        api: None,
        prepare: None,
    }
}

impl Setup {
    /// On a copy of the bundled knowledge folder the test may change.
    pub fn knowledge_copy(mut self) -> Setup {
        self.copy = true;
        self
    }

    /// Announcements at `rate` a second.
    pub fn rate(mut self, rate: &str) -> Setup {
        self.rate = rate.to_owned();
        self
    }

    /// With one more setting in its environment.
    pub fn env(mut self, key: &str, value: &str) -> Setup {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// On a copy of the bundled knowledge folder that `prepare` changes before the bot starts.
    pub fn knowledge_with(mut self, prepare: impl FnOnce(&Path) + 'static) -> Setup {
        self.copy = true;
        self.prepare = Some(Box::new(prepare));
        self
    }

    /// Against this fake Bot API (one not started yet, or one already in use).
    pub fn api(mut self, api: FakeApi) -> Setup {
        self.api = Some(api);
        self
    }

    /// Starts the fake (unless given) and the bot; does not wait for the bot to be ready.
    pub async fn start(self) -> TestBot {
        let api = match self.api {
            Some(api) => api,
            None => FakeApi::start().await,
        };
        let data = tempfile::tempdir().unwrap();
        let copy = self.copy.then(crate::knowledge_copy);
        let knowledge = copy
            .as_ref()
            .map_or_else(crate::knowledge, |d| d.path().to_path_buf());
        if let Some(prepare) = self.prepare {
            prepare(&knowledge);
        }
        let bot = BotProcess::spawn(&api, &knowledge, data.path(), &self.rate, &self.env);
        TestBot {
            api,
            data,
            _copy: copy,
            knowledge,
            rate: self.rate,
            env: self.env,
            bot,
        }
    }
}

/// A running test bot: its fake Bot API, its data folder, its knowledge folder, its process.
pub struct TestBot {
    pub api: FakeApi,
    pub data: tempfile::TempDir,
    _copy: Option<tempfile::TempDir>,
    knowledge: PathBuf,
    rate: String,
    env: Vec<(String, String)>,
    pub bot: BotProcess,
}

impl TestBot {
    /// The data folder.
    pub fn data(&self) -> &Path {
        self.data.path()
    }

    /// The knowledge folder (a copy when asked for one).
    pub fn knowledge(&self) -> &Path {
        &self.knowledge
    }

    /// Everything the bot logged so far.
    pub fn log(&self) -> String {
        self.bot.log()
    }

    /// Starts a new bot process on the same folders and fake (after the old one stopped).
    pub fn start_again(&mut self) {
        self.bot = BotProcess::spawn(
            &self.api,
            &self.knowledge,
            self.data.path(),
            &self.rate,
            &self.env,
        );
    }
}

/// The inline keyboard's buttons (label, callback data) of the last message sent to `chat`.
pub fn buttons(api: &FakeApi, chat: i64) -> Vec<(String, String)> {
    let reqs = api.requests();
    let Some(last) = reqs.iter().rev().find(|r| {
        r.method == "SendMessage"
            && r.chat_id() == Some(chat)
            && r.body.get("reply_markup").is_some()
    }) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for row in last.body["reply_markup"]["inline_keyboard"]
        .as_array()
        .unwrap()
    {
        for b in row.as_array().unwrap() {
            out.push((
                b["text"].as_str().unwrap().to_owned(),
                b["callback_data"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

/// The callback data of the button labelled with `label` under the last message to `chat`.
pub fn button(api: &FakeApi, chat: i64, label: &str) -> String {
    let all = buttons(api, chat);
    all.iter()
        .find(|(t, _)| t.contains(label))
        .map(|(_, d)| d.clone())
        .unwrap_or_else(|| panic!("no button {label} in {all:?}"))
}

/// Presses a button and returns the toast it was answered with.
pub async fn press(api: &FakeApi, user: i64, data: &str) -> String {
    let before = api
        .requests()
        .iter()
        .filter(|r| r.method == "AnswerCallbackQuery")
        .count();
    api.press(user, data);
    let reqs = api
        .wait_for("callback answer", LONG, |r| {
            r.iter()
                .filter(|r| r.method == "AnswerCallbackQuery")
                .count()
                > before
        })
        .await;
    reqs.iter()
        .filter(|r| r.method == "AnswerCallbackQuery")
        .nth(before)
        .unwrap()
        .text()
        .to_owned()
}

/// Subscribes `users` and waits for their confirmations.
pub async fn subscribe_all(api: &FakeApi, users: impl Iterator<Item = i64> + Clone) {
    for u in users.clone() {
        api.private_text(u, "/subscribe");
    }
    for u in users {
        api.wait_sent(u, 1).await;
    }
}

fn announcement_id(preview: &fake_api::Request) -> String {
    preview.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Staff announce `text`; the 发送 button's data of its preview.
pub async fn announce(api: &FakeApi, text: &str) -> String {
    let before = api.requests().len();
    api.private_text(STAFF, &format!("/announce {text}"));
    let reqs = api
        .wait_for("preview", LONG, |r| {
            r[before..]
                .iter()
                .any(|r| r.chat_id() == Some(STAFF) && r.body.get("reply_markup").is_some())
        })
        .await;
    let preview = reqs[before..]
        .iter()
        .find(|r| r.chat_id() == Some(STAFF) && r.body.get("reply_markup").is_some())
        .unwrap();
    assert!(preview.text().contains(text));
    announcement_id(preview)
}
