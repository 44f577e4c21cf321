//! Load driver: one chat floods, Telegram limits it, the bot is stopped mid-work — what does
//! everyone else see? Runs the release binary (or `LIANGHUI_BIN`, to compare another build
//! side by side) against the tests' fake Bot API on loopback.
//!
//! 1. Flood: one chat sends about 1,000 messages a second for two seconds while five
//!    bystanders ask one question each; polling and webhook, with and without a 429
//!    (`retry_after` 5) on every reply to the flooder. Reported: the bystanders' wait (median
//!    and worst), how many replies the flooder got, and the bot's peak resident memory.
//! 2. Stop: 120 citizens ask while replies take 30 s each; the bot gets SIGTERM and, as
//!    `docker stop` does, SIGKILL 10 s later; then it starts again. Reported: how long it took
//!    to stop, and how many of the acknowledged questions were answered after the restart. In
//!    webhook mode with 2,000 questions posted.
//!
//! Run with `cargo bench --bench flood`.

#[path = "../tests/it/fake_api.rs"]
mod fake_api;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fake_api::{FakeApi, TOKEN, too_many};

const FLOODER: i64 = 6000;
const SECRET: &str = "flood-bench-secret";

fn binary() -> PathBuf {
    std::env::var_os("LIANGHUI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_lianghui-bot")))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(api: &FakeApi, data: &Path, webhook: Option<&str>) -> Child {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new(binary());
    cmd.arg("serve")
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", &api.url)
        .env("LIANGHUI_KNOWLEDGE_DIR", root.join("knowledge"))
        .env("LIANGHUI_DATA_DIR", data)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(listen) = webhook {
        cmd.env("LIANGHUI_WEBHOOK_URL", "https://bot.example.org/hook")
            .env("LIANGHUI_LISTEN", listen)
            .env("LIANGHUI_WEBHOOK_SECRET", SECRET);
    }
    cmd.spawn().unwrap()
}

fn update(id: i64, user: i64, text: &str) -> String {
    serde_json::json!({
        "update_id": id,
        "message": {
            "message_id": id, "date": 1_717_142_400,
            "chat": { "id": user, "type": "private", "first_name": "用户" },
            "from": { "id": user, "is_bot": false, "first_name": "用户" },
            "text": text
        }
    })
    .to_string()
}

fn post(addr: &str, body: &str) -> u16 {
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return 0;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let sent = write!(
        s,
        "POST /hook HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if sent.is_err() {
        return 0;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

async fn ready(api: &FakeApi, webhook: Option<&str>) {
    match webhook {
        None => {
            api.private_text(7000, "/start");
            api.wait_sent(7000, 1).await;
        }
        Some(addr) => {
            let deadline = Instant::now() + Duration::from_secs(60);
            while std::net::TcpStream::connect(addr).is_err() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// The first reply to `chat` after `since`, if any.
fn first_reply(api: &FakeApi, chat: i64) -> Option<Instant> {
    api.requests()
        .iter()
        .find(|r| r.method == "SendMessage" && r.chat_id() == Some(chat) && r.accepted())
        .map(|r| r.at)
}

fn fmt(d: Option<Duration>) -> String {
    d.map_or("never (60 s)".to_owned(), |d| {
        format!("{:.3} s", d.as_secs_f64())
    })
}

async fn flood(webhook: bool, limited: bool) {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let listen = webhook.then(|| format!("127.0.0.1:{}", free_port()));
    let mut bot = start(&api, data.path(), listen.as_deref());
    ready(&api, listen.as_deref()).await;
    let bystanders: Vec<i64> = (6100..6105).collect();
    api.add_private(FLOODER);
    for b in &bystanders {
        api.add_private(*b);
    }
    if limited {
        for _ in 0..2000 {
            api.script("SendMessage", FLOODER, too_many(5));
        }
    }
    let started = Instant::now();
    let mut asked = Vec::new();
    for i in 0..2000i64 {
        let text = format!("人才公寓政策{i}");
        match &listen {
            None => api.private_text(FLOODER, &text),
            Some(addr) => {
                post(addr, &update(100 + i, FLOODER, &text));
            }
        }
        if i % 400 == 200 {
            let b = bystanders[asked.len()];
            match &listen {
                None => api.private_text(b, "今年全区经济增长目标是多少？"),
                Some(addr) => {
                    post(
                        addr,
                        &update(10 + asked.len() as i64, b, "今年全区经济增长目标是多少？"),
                    );
                }
            }
            asked.push((b, Instant::now()));
        }
        let due = started + Duration::from_micros(1000 * (i as u64 + 1));
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && asked.iter().any(|(b, _)| first_reply(&api, *b).is_none()) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut waits: Vec<Option<Duration>> = asked
        .iter()
        .map(|(b, at)| first_reply(&api, *b).map(|r| r.saturating_duration_since(*at)))
        .collect();
    waits.sort_by_key(|w| w.unwrap_or(Duration::MAX));
    let flooder = api
        .requests()
        .iter()
        .filter(|r| r.method == "SendMessage" && r.chat_id() == Some(FLOODER))
        .count();
    println!(
        "flood, {}{}: bystanders waited median {}, worst {}; the flooder's 2,000 messages got {flooder} replies; peak memory {:.1} MiB",
        if webhook { "webhook" } else { "polling" },
        if limited {
            ", flooder's replies refused with 429"
        } else {
            ""
        },
        fmt(waits[waits.len() / 2]),
        fmt(waits[waits.len() - 1]),
        rss_kib(bot.id()) as f64 / 1024.0
    );
    let _ = bot.kill();
    let _ = bot.wait();
}

/// SIGTERM, then SIGKILL after 10 s as `docker stop` does; how long it took.
fn docker_stop(bot: &mut Child) -> (Duration, bool) {
    let started = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &bot.id().to_string()])
        .status();
    loop {
        if bot.try_wait().unwrap().is_some() {
            return (started.elapsed(), false);
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = bot.kill();
            let _ = bot.wait();
            return (started.elapsed(), true);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn stop_and_restart(webhook: bool) {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let listen = webhook.then(|| format!("127.0.0.1:{}", free_port()));
    let mut bot = start(&api, data.path(), listen.as_deref());
    ready(&api, listen.as_deref()).await;
    api.fault(
        "SendMessage",
        fake_api::Fault::Slow(Duration::from_secs(30)),
        100_000,
    );
    let n: i64 = if webhook { 2000 } else { 120 };
    let users: Vec<i64> = (8000..8000 + n).collect();
    let mut acknowledged = Vec::new();
    for (i, u) in users.iter().enumerate() {
        api.add_private(*u);
        match &listen {
            None => {
                api.private_text(*u, "人才公寓政策");
                acknowledged.push(*u);
            }
            Some(addr) => {
                if post(addr, &update(1000 + i as i64, *u, "人才公寓政策")) == 200 {
                    acknowledged.push(*u);
                }
            }
        }
    }
    if listen.is_none() {
        // Acknowledged once polled past.
        let _ = api
            .wait_for("the questions taken", Duration::from_secs(60), |_| {
                api.confirmed_update_id() >= users.len() as i64
            })
            .await;
        acknowledged.retain(|_| true);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (took, killed) = docker_stop(&mut bot);
    api.clear_faults();
    let mut bot = start(&api, data.path(), listen.as_deref());
    let deadline = Instant::now() + Duration::from_secs(60);
    let answered = |api: &FakeApi| {
        acknowledged
            .iter()
            .filter(|u| first_reply(api, **u).is_some())
            .count()
    };
    while Instant::now() < deadline && answered(&api) < acknowledged.len() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "stop, {}: {} acknowledged; stopped in {:.1} s{}; after the restart {} answered, {} lost",
        if webhook { "webhook" } else { "polling" },
        acknowledged.len(),
        took.as_secs_f64(),
        if killed { " (SIGKILL after 10 s)" } else { "" },
        answered(&api),
        acknowledged.len() - answered(&api)
    );
    let _ = bot.kill();
    let _ = bot.wait();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("binary: {}", binary().display());
    for webhook in [false, true] {
        for limited in [false, true] {
            flood(webhook, limited).await;
        }
    }
    stop_and_restart(false).await;
    stop_and_restart(true).await;
}
