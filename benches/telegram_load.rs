//! Load driver for the Telegram front end, through the fake Bot API of the tests.
//!
//! 1. Many simulated citizens send questions to the real binary: all at once (answered questions
//!    per second), and at a steady 500 per second (p50/p99 time from an update being offered to
//!    `getUpdates` to the bot's reply).
//! 2. A broadcast to 10,000 subscribers (put straight into the bot's database): the sustained
//!    rate against the configured one, and the most sends seen in any one-second window.
//!
//! Run with `cargo bench --bench telegram_load`. Sizes: `LOAD_QUESTIONS` (default 3000),
//! `LOAD_SUBSCRIBERS` (10000), `LOAD_RATE` (messages/s, 200); `LIANGHUI_BIN` runs another
//! build of the bot; `LOAD_STAFF_GROUP=1` runs it with a staff group (转人工 on: every answer
//! carries the button and keeps which message asked).

#[path = "../tests/it/fake_api.rs"]
mod fake_api;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fake_api::{FakeApi, TOKEN};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct Run {
    span: Duration,
    latencies: Vec<Duration>,
}

/// Offers `n` questions from chats `first..first+n` (all at once, or at `per_second`) and
/// waits for every first reply.
async fn run_questions(
    api: &FakeApi,
    pool: &[&str],
    first: i64,
    n: usize,
    per_second: Option<f64>,
) -> Run {
    let mut offered: HashMap<i64, Instant> = HashMap::new();
    let start = Instant::now();
    for i in 0..n {
        if let Some(rate) = per_second {
            tokio::time::sleep_until((start + Duration::from_secs_f64(i as f64 / rate)).into())
                .await;
        }
        let chat = first + i as i64;
        offered.insert(chat, Instant::now());
        api.private_text(chat, pool[i % pool.len()]);
    }
    let answered = |r: &[fake_api::Request]| {
        r.iter()
            .filter(|r| {
                r.method == "SendMessage" && r.chat_id().is_some_and(|c| offered.contains_key(&c))
            })
            .count()
    };
    let reqs = api
        .wait_for("all answers", Duration::from_secs(300), |r| {
            answered(r) >= n
        })
        .await;
    let mut first_reply: HashMap<i64, Instant> = HashMap::new();
    for r in reqs.iter().filter(|r| r.method == "SendMessage") {
        if let Some(c) = r.chat_id().filter(|c| offered.contains_key(c)) {
            first_reply.entry(c).or_insert(r.at);
        }
    }
    let end = first_reply.values().max().copied().unwrap();
    let mut latencies: Vec<Duration> = first_reply
        .iter()
        .map(|(c, t)| t.duration_since(offered[c]))
        .collect();
    latencies.sort();
    Run {
        span: end - start,
        latencies,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let questions = env_or("LOAD_QUESTIONS", 3000);
    let subscribers = env_or("LOAD_SUBSCRIBERS", 10_000) as i64;
    let rate = env_or("LOAD_RATE", 200);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = tempfile::tempdir().unwrap();

    // Subscribers go straight into the database the bot will open.
    {
        let store = lianghui_bot::store::Store::open(&data.path().join("lianghui.sqlite")).unwrap();
        for chat in 0..subscribers {
            store.subscribe(1_000_000 + chat, 0).unwrap();
        }
    }
    let api = FakeApi::start().await;
    // Subscribers once wrote to the bot (Telegram refuses to message anyone else).
    for chat in 0..subscribers {
        api.add_private(1_000_000 + chat);
    }
    // `LIANGHUI_BIN` runs another build of the bot, to compare two side by side.
    let binary = std::env::var_os("LIANGHUI_BIN").map_or_else(
        || env!("CARGO_BIN_EXE_lianghui-bot").into(),
        std::path::PathBuf::from,
    );
    let desk = std::env::var("LOAD_STAFF_GROUP").is_ok_and(|v| v == "1");
    let staff_group = if desk {
        api.add_forum(-100_500, "工单");
        "-100500"
    } else {
        ""
    };
    let mut bot = Command::new(binary)
        .arg("serve")
        .env("LIANGHUI_STAFF_GROUP", staff_group)
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", &api.url)
        .env("LIANGHUI_KNOWLEDGE_DIR", root.join("knowledge"))
        .env("LIANGHUI_DATA_DIR", data.path())
        .env("LIANGHUI_STAFF", "2")
        .env("LIANGHUI_BROADCAST_RATE", rate.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    api.private_text(1, "/start");
    api.wait_sent(1, 1).await;

    let pool = [
        "今年全区经济增长目标是多少",
        "人才公寓政策",
        "老小区燃气管道改造多少个",
        "找工作有什么帮助",
        "比特币多少钱",
        "買房有補貼嗎",
        "幼儿园托位有多少",
    ];
    // 1a. Throughput: every question offered at once, each from its own citizen.
    let burst = run_questions(&api, &pool, 10_000, questions, None).await;
    println!(
        "questions, burst of {questions}: {:.0} answered/s (all answered in {:.2}s)",
        questions as f64 / burst.span.as_secs_f64(),
        burst.span.as_secs_f64()
    );
    // 1b. Latency: questions offered at a steady 500 per second.
    let paced = run_questions(&api, &pool, 100_000, questions, Some(500.0)).await;
    println!(
        "questions, {questions} offered at 500/s: {:.0} answered/s; update-to-reply p50 {:?}, p99 {:?}",
        questions as f64 / paced.span.as_secs_f64(),
        percentile(&paced.latencies, 0.5),
        percentile(&paced.latencies, 0.99)
    );

    // 2. Broadcast to every subscriber at the configured rate.
    api.private_text(2, "/announce 负载测试公告");
    let is_preview =
        |r: &fake_api::Request| r.chat_id() == Some(2) && r.body.get("reply_markup").is_some();
    let reqs = api
        .wait_for("preview", Duration::from_secs(30), |r| {
            r.iter().any(is_preview)
        })
        .await;
    let preview = reqs.iter().find(|r| is_preview(r)).unwrap();
    let send = preview.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        .as_str()
        .unwrap()
        .to_owned();
    api.press(2, &send);
    let n = subscribers as usize;
    let timeout = Duration::from_secs_f64(n as f64 / rate as f64 * 1.5 + 30.0);
    let reqs = api
        .wait_for("broadcast", timeout, |r| {
            r.iter().filter(|r| r.text() == "负载测试公告").count() >= n
        })
        .await;
    let mut times: Vec<Instant> = reqs
        .iter()
        .filter(|r| r.text() == "负载测试公告")
        .map(|r| r.at)
        .collect();
    times.sort();
    let span = (times[times.len() - 1] - times[0]).as_secs_f64();
    let mut max_window = 0;
    let mut j = 0;
    for i in 0..times.len() {
        while times[j] + Duration::from_secs(1) <= times[i] {
            j += 1;
        }
        max_window = max_window.max(i - j + 1);
    }
    println!(
        "broadcast: {} messages in {:.1}s = {:.1}/s against {rate}/s configured ({:+.1}%); most in any one-second window: {max_window}",
        times.len(),
        span,
        (times.len() - 1) as f64 / span,
        ((times.len() - 1) as f64 / span / rate as f64 - 1.0) * 100.0
    );
    let _ = bot.kill();
    let _ = bot.wait();
}
