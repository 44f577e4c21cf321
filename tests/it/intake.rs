//! How updates get in: a flooding chat delays only itself (polling and webhook, with and
//! without Telegram's per-chat 429), SIGTERM stops in seconds and loses nothing acknowledged,
//! the webhook handles a replayed update once, holds up against slow and idle connections,
//! refuses more than it can keep, and logs no citizen's text for a body it cannot parse.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::fake_api::{FakeApi, too_many};
use crate::harness::{self, LONG, TestBot, free_port};

const FLOODER: i64 = 6000;
const BYSTANDER: i64 = 6001;

/// A private text message update from `user`, as Telegram posts it to a webhook.
fn update(id: i64, user: i64, text: &str) -> String {
    json!({
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

/// POSTs `body` to the webhook at `addr` on a connection of its own; the HTTP status.
fn post(addr: &str, secret: &str, body: &str) -> u16 {
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return 0;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let sent = write!(
        stream,
        "POST /hook HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-Telegram-Bot-Api-Secret-Token: {secret}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if sent.is_err() {
        return 0;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

const SECRET: &str = "intake-test-secret";

/// A bot on a webhook at a free port, with `extra` settings; the bot and its address.
async fn webhook_bot(extra: &[(&str, &str)]) -> (TestBot, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut setup = harness::bot()
        .env("LIANGHUI_WEBHOOK_URL", "https://bot.example.org/hook")
        .env("LIANGHUI_LISTEN", &listen)
        .env("LIANGHUI_WEBHOOK_SECRET", SECRET);
    for (k, v) in extra {
        setup = setup.env(k, v);
    }
    (setup.start().await, listen)
}

async fn wait_listening(addr: &str) {
    let deadline = Instant::now() + LONG;
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "the webhook never listened on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Waits for the bystander's answer and returns how long it took from `asked`.
async fn bystander_wait(api: &FakeApi, asked: Instant) -> Duration {
    api.wait_for("the bystander's answer", LONG, |_| {
        !api.sent_to(BYSTANDER).is_empty()
    })
    .await;
    let reqs = api.requests();
    let answered = reqs
        .iter()
        .find(|r| r.method == "SendMessage" && r.chat_id() == Some(BYSTANDER))
        .map(|r| r.at)
        .unwrap();
    answered.saturating_duration_since(asked)
}

/// One chat floods at about 1,000 messages a second for two seconds, in the middle of which a
/// bystander asks; with `limit_flooder`, Telegram answers every reply to the flooder with 429
/// (`retry_after` 5).
async fn flood_by_polling(limit_flooder: bool) -> (Duration, usize, u64) {
    let t = harness::bot().start().await;
    let api = &t.api;
    api.private_text(7000, "/start");
    api.wait_sent(7000, 1).await;
    if limit_flooder {
        for _ in 0..200 {
            api.script("SendMessage", FLOODER, too_many(5));
        }
    }
    let start = Instant::now();
    let mut asked = None;
    for i in 0..2000u64 {
        api.private_text(FLOODER, &format!("人才公寓政策{i}"));
        if i == 1000 {
            api.private_text(BYSTANDER, "今年全区经济增长目标是多少？");
            asked = Some(Instant::now());
        }
        // About 1,000 a second.
        let due = start + Duration::from_micros(1000 * (i + 1));
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    let waited = bystander_wait(api, asked.unwrap()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let flooder = api.sent_to(FLOODER);
    let notices = flooder
        .iter()
        .filter(|t| t.contains("您发得太快了"))
        .count();
    assert!(notices <= 1, "the flooder is told once: {notices}");
    let answered = api
        .requests()
        .iter()
        .filter(|r| r.method == "SendMessage" && r.chat_id() == Some(FLOODER))
        .count();
    (waited, answered, rss_kib(t.bot.child.id()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_chat_delays_only_itself_when_polling() {
    let (waited, replies, rss) = flood_by_polling(false).await;
    assert!(
        waited < Duration::from_secs(1),
        "the bystander waited {waited:?}"
    );
    assert!(
        replies <= 20,
        "a flood of 2,000 is cut to a few answers, not all: {replies} replies"
    );
    assert!(rss < 200 * 1024, "memory stays bounded: {rss} KiB");
    let (waited, _, _) = flood_by_polling(true).await;
    assert!(
        waited < Duration::from_secs(1),
        "with the flooder's replies refused with 429, the bystander waited {waited:?}"
    );
}

/// Staff are exempt from flood control, so only their chat's queue bounds what they send at
/// once: twelve files at once are all read; beyond the queue they are told, once, and the rest
/// of the bot does not wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_sending_more_than_a_chat_holds_are_told_once_and_nobody_waits() {
    let t = harness::bot().start().await;
    let api = &t.api;
    for i in 0..12 {
        let name = format!("notes-{i}.xlsx");
        api.private_document(harness::ADMIN, &name, b"x", 1);
    }
    let replies = api.wait_sent(harness::ADMIN, 12).await;
    assert!(
        replies.iter().filter(|r| r.contains("只接受")).count() == 12,
        "every one of twelve files at once has its answer: {replies:?}"
    );
    let before = api.sent_to(harness::STAFF).len();
    for i in 0..100 {
        api.private_text(harness::STAFF, &format!("人才公寓政策{i}"));
    }
    let asked = Instant::now();
    api.private_text(BYSTANDER, "今年全区经济增长目标是多少？");
    let waited = bystander_wait(api, asked).await;
    assert!(
        waited < Duration::from_secs(2),
        "the bystander waited {waited:?}"
    );
    let full = "还有很多条消息在处理";
    api.wait_for("the full queue's notice", LONG, |_| {
        api.sent_to(harness::STAFF).iter().any(|m| m.contains(full))
    })
    .await;
    // The queue's worth (32, and the one being handled when the rest arrived, if any) is
    // answered; the rest are dropped.
    api.wait_for("the queue's worth of answers", LONG, |_| {
        api.sent_to(harness::STAFF).len() - before > 32
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sent = api.sent_to(harness::STAFF)[before..].to_vec();
    let notices = sent.iter().filter(|m| m.contains(full)).count();
    let answers = sent.len() - notices;
    assert_eq!(notices, 1, "told once: {sent:?}");
    assert!(
        (32..100).contains(&answers),
        "the queue's worth is answered, the rest dropped: {answers}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_chat_delays_only_itself_on_a_webhook() {
    let (t, addr) = webhook_bot(&[]).await;
    let api = &t.api;
    wait_listening(&addr).await;
    // The updates below are posted by the test itself: the fake learns of the chats here.
    api.add_private(FLOODER);
    api.add_private(BYSTANDER);
    for _ in 0..200 {
        api.script("SendMessage", FLOODER, too_many(5));
    }
    // The flood comes in from several connections at once, as Telegram's do.
    let flood_addr = addr.clone();
    let flood = std::thread::spawn(move || {
        let start = Instant::now();
        let mut handles = Vec::new();
        for t in 0..4i64 {
            let addr = flood_addr.clone();
            handles.push(std::thread::spawn(move || {
                let mut statuses = Vec::new();
                for i in 0..500i64 {
                    let id = 10 + t * 1000 + i;
                    statuses.push(post(&addr, SECRET, &update(id, FLOODER, "人才公寓政策")));
                    let due = start + Duration::from_micros(4000 * (i as u64 + 1));
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                }
                statuses
            }));
        }
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect::<Vec<u16>>()
    });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let asked = Instant::now();
    let status = post(
        &addr,
        SECRET,
        &update(9, BYSTANDER, "今年全区经济增长目标是多少？"),
    );
    assert_eq!(status, 200);
    let waited = bystander_wait(api, asked).await;
    let statuses = flood.join().unwrap();
    assert!(
        waited < Duration::from_secs(1),
        "the bystander waited {waited:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200),
        "every update was acknowledged: {:?}",
        statuses.iter().filter(|s| **s != 200).count()
    );
    let rss = rss_kib(t.bot.child.id());
    assert!(rss < 200 * 1024, "memory stays bounded: {rss} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_in_seconds_and_every_acknowledged_update_is_answered_after_the_restart() {
    let mut t = harness::bot().start().await;
    let api = t.api.clone();
    api.private_text(7000, "/start");
    api.wait_sent(7000, 1).await;
    // Replies take 30 s each (a Bot API in trouble): 120 questions are taken and in flight.
    api.fault(
        "SendMessage",
        crate::fake_api::Fault::Slow(Duration::from_secs(30)),
        1000,
    );
    let users: Vec<i64> = (8000..8120).collect();
    for u in &users {
        api.private_text(*u, "人才公寓政策");
    }
    // Taken: the bot has confirmed them to Telegram (polled past them).
    api.wait_for("the questions to be taken", LONG, |reqs| {
        reqs.iter()
            .any(|r| r.method == "GetUpdates" && r.body["offset"].as_i64().unwrap_or(0) >= 122)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (stopped_in, _) = t.bot.sigterm();
    assert!(
        stopped_in < Duration::from_secs(6),
        "SIGTERM took {stopped_in:?}\n{}",
        t.log()
    );
    api.clear_faults();
    t.start_again();
    for u in &users {
        api.wait_for(&format!("an answer to {u}"), LONG, |reqs| {
            reqs.iter().any(|r| {
                r.method == "SendMessage"
                    && r.chat_id() == Some(*u)
                    && r.text().contains("人才公寓")
            })
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_handles_a_replayed_update_once_and_refuses_what_it_cannot_keep() {
    let (mut t, addr) = webhook_bot(&[("LIANGHUI_MAX_BACKLOG", "20")]).await;
    let api = t.api.clone();
    wait_listening(&addr).await;
    for user in std::iter::once(9100).chain(9200..9240) {
        api.add_private(user);
    }
    let body = update(1, 9100, "一岗一房");
    for _ in 0..3 {
        assert_eq!(post(&addr, SECRET, &body), 200);
    }
    api.wait_sent(9100, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        api.sent_to(9100).len(),
        1,
        "a replayed update_id is answered once"
    );

    // Replies stall; beyond 20 waiting updates the webhook says 503 so Telegram retries.
    api.fault(
        "SendMessage",
        crate::fake_api::Fault::Slow(Duration::from_secs(30)),
        1000,
    );
    let statuses: Vec<u16> = (0..40)
        .map(|i| post(&addr, SECRET, &update(100 + i, 9200 + i, "人才公寓政策")))
        .collect();
    let refused = statuses.iter().filter(|s| **s == 503).count();
    assert!(
        refused >= 15 && statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    // Unparsable bodies are dropped, and logged without what they hold.
    assert_eq!(
        post(&addr, SECRET, "{\"update_id\": \"秘密的问题 13800000000\""),
        200
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    t.bot.sigterm();
    let log = t.log();
    assert!(log.contains("is not an update"), "{log}");
    assert!(
        !log.contains("秘密的问题") && !log.contains("13800000000"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_of_a_thousand_connections_does_not_keep_citizens_out() {
    let (t, addr) = webhook_bot(&[]).await;
    let api = &t.api;
    wait_listening(&addr).await;
    for user in 9300..9305 {
        api.add_private(user);
    }
    // A thousand connections that send a header byte now and then and never finish.
    let mut idle = Vec::new();
    for _ in 0..1000 {
        if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
            let _ = s.write_all(b"POST /hook HTTP/1.1\r\nHost: x\r\n");
            idle.push(s);
        }
    }
    assert!(idle.len() >= 900, "{} connections opened", idle.len());
    let started = Instant::now();
    for (i, user) in (9300..9305).enumerate() {
        let mut status = 0;
        // Telegram retries a refused delivery; a citizen is answered within a few tries.
        for _ in 0..5 {
            status = post(&addr, SECRET, &update(500 + i as i64, user, "一岗一房"));
            if status == 200 {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        assert_eq!(status, 200, "update {i} through the slowloris");
    }
    for user in 9300..9305 {
        api.wait_sent(user, 1).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // Meanwhile the slow connections were closed, not kept forever.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut closed = 0;
    for s in &mut idle {
        let _ = s.set_read_timeout(Some(Duration::from_millis(5)));
        let mut b = [0u8; 1];
        if matches!(s.read(&mut b), Ok(0)) || s.write_all(b"X-A: b\r\n").is_err() {
            closed += 1;
        }
    }
    assert!(
        closed >= 900,
        "{closed} of {} slow connections closed",
        idle.len()
    );
    drop(t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_turns_unhealthy_when_the_bot_stops() {
    let mut t = harness::bot().start().await;
    t.api.private_text(7000, "/start");
    t.api.wait_sent(7000, 1).await;
    let (ok, why) = harness::healthcheck(t.data());
    assert!(ok, "{why}");
    t.bot.sigterm();
    let (ok, why) = harness::healthcheck(t.data());
    assert!(!ok && why.contains("stopped"), "{why}");
}
