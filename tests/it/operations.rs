//! Running the bot: health and metrics, start-up without the Bot API, a damaged index,
//! leftovers of interrupted writes, backups, the webhook's secret, SIGTERM, a missing token.

use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::fake_api::{FakeApi, Fault, TOKEN};
use crate::harness::{self, LONG, bin, free_port, has, healthcheck};

fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Parses Prometheus text into (name with labels, value).
fn parse_metrics(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, value) = l.rsplit_once(' ').unwrap();
            (
                name.to_owned(),
                value
                    .parse::<f64>()
                    .unwrap_or_else(|_| panic!("bad value in {l}")),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_are_served_when_configured() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let t = harness::bot()
        .env("LIANGHUI_METRICS_ADDR", &addr)
        .start()
        .await;
    let api = &t.api;
    api.private_text(800, "/subscribe");
    api.private_text(801, "一岗一房");
    api.private_text(802, "比特币多少钱");
    for u in 800..803 {
        api.wait_sent(u, 1).await;
    }
    let (status, body) = http_get(&addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ok: the Bot API answered"), "{body}");
    let (status, text) = http_get(&addr, "/metrics");
    assert_eq!(status, 200);
    let m = parse_metrics(&text);
    let get = |name: &str| {
        m.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
    };
    assert_eq!(get("lianghui_questions_total{outcome=\"answered\"}"), 1.0);
    assert_eq!(get("lianghui_questions_total{outcome=\"abstained\"}"), 1.0);
    assert_eq!(get("lianghui_answer_seconds_count"), 2.0);
    assert_eq!(get("lianghui_answer_seconds_bucket{le=\"+Inf\"}"), 2.0);
    assert_eq!(get("lianghui_subscribers"), 1.0);
    assert_eq!(
        get("lianghui_broadcast_deliveries_total{outcome=\"delivered\"}"),
        0.0
    );
    assert_eq!(get("lianghui_reloads_total{result=\"ok\"}"), 0.0);
    assert_eq!(http_get(&addr, "/nothing").0, 404);

    // The health check reads the same from the data folder, metrics or not.
    let bin = env!("CARGO_BIN_EXE_lianghui-bot");
    assert!(
        Command::new(bin)
            .arg("healthcheck")
            .env("LIANGHUI_DATA_DIR", t.data())
            .status()
            .unwrap()
            .success()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_the_bot_api_and_says_why() {
    let empty = tempfile::tempdir().unwrap();
    let (ok, why) = healthcheck(empty.path());
    assert!(!ok && why.contains("no database"), "{why}");

    let t = harness::bot().start().await;
    let api = &t.api;
    api.private_text(970, "/start");
    api.wait_sent(970, 1).await;
    let (ok, text) = healthcheck(t.data());
    assert!(ok && text.contains("healthy"), "{text}");

    api.set_down(true);
    let deadline = Instant::now() + Duration::from_secs(30);
    let why = loop {
        let (ok, text) = healthcheck(t.data());
        if !ok {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "still healthy with the Bot API down: {text}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(
        why.contains("unhealthy") && why.contains("Bot API"),
        "{why}"
    );
    assert!(!why.contains(TOKEN));

    api.set_down(false);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !healthcheck(t.data()).0 {
        assert!(Instant::now() < deadline, "never healthy again");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_waits_for_an_unreachable_bot_api_and_garbled_answers_pass() {
    let port = free_port();
    let mut t = harness::bot().api(FakeApi::unreachable(port)).start().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        t.bot.child.try_wait().unwrap().is_none(),
        "the bot gave up: {}",
        t.log()
    );
    assert!(
        t.log().contains("cannot reach the Bot API (attempt 2)"),
        "{}",
        t.log()
    );

    // The Bot API comes up, answering garbage, an HTML error and a dropped connection first.
    let api = FakeApi::start_on(port).await;
    api.fault("GetMe", Fault::Html500, 1);
    api.fault("GetUpdates", Fault::Garbled, 1);
    api.fault("GetUpdates", Fault::Dropped, 1);
    api.private_text(960, "一岗一房");
    let got = api
        .wait_for("an answer", Duration::from_secs(60), |_| {
            !api.sent_to(960).is_empty()
        })
        .await;
    assert!(!got.is_empty());
    assert!(has(&api.sent_to(960), "一岗一房"));
    assert!(t.bot.child.try_wait().unwrap().is_none());
}

#[test]
fn a_damaged_index_is_rebuilt_from_the_reports() {
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        bin()
            .args(args)
            .env("LIANGHUI_KNOWLEDGE_DIR", crate::knowledge())
            .env("LIANGHUI_DATA_DIR", data.path())
            .output()
            .unwrap()
    };
    assert!(run(&["index"]).status.success());
    let index = std::fs::read_dir(data.path().join("index"))
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
        .unwrap()
        .path();
    for entry in std::fs::read_dir(&index).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "store") {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(100)
                .unwrap();
        }
    }
    let out = run(&["ask", "人才公寓"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("450套"), "{stdout}");
    assert!(
        stderr.contains("rebuilding"),
        "the reason is logged: {stderr}"
    );
}

#[test]
fn leftovers_of_interrupted_builds_and_uploads_are_removed_at_start() {
    let k = crate::knowledge_copy();
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(data.path().join("index/.build-123-456")).unwrap();
    std::fs::write(k.path().join(".upload-9-1.tmp"), "half").unwrap();
    let out = bin()
        .arg("index")
        .env("LIANGHUI_KNOWLEDGE_DIR", k.path())
        .env("LIANGHUI_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!data.path().join("index/.build-123-456").exists());
    assert!(!k.path().join(".upload-9-1.tmp").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_are_consistent_copies_while_the_bot_runs() {
    let t = harness::bot().start().await;
    let api = &t.api;
    for u in 1200..1205 {
        api.private_text(u, "/subscribe");
    }
    for u in 1200..1205 {
        api.wait_sent(u, 1).await;
    }
    let copy = t.data().join("backup.sqlite");
    let out = bin()
        .args(["backup", &copy.to_string_lossy()])
        .env("LIANGHUI_DATA_DIR", t.data())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = lianghui_bot::store::Store::open(&copy).unwrap();
    assert_eq!(restored.subscriber_count().unwrap(), 5);
    drop(restored);
    // Never over an existing file unless asked, never over the database itself or a link to it.
    let backup = |args: &[&str]| {
        let out = bin()
            .arg("backup")
            .args(args)
            .env("LIANGHUI_DATA_DIR", t.data())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, why) = backup(&[&copy.to_string_lossy()]);
    assert!(
        !ok && why.contains("exists") && why.contains("--force"),
        "{why}"
    );
    let (ok, why) = backup(&[&copy.to_string_lossy(), "--force"]);
    assert!(ok, "{why}");
    let db = t.data().join("lianghui.sqlite");
    let link = t.data().join("link.sqlite");
    std::os::unix::fs::symlink(&db, &link).unwrap();
    for target in [&db, &link] {
        let (ok, why) = backup(&[&target.to_string_lossy(), "--force"]);
        assert!(!ok && why.contains("database itself"), "{why}");
    }
    let subscribers = lianghui_bot::store::Store::open(&db)
        .unwrap()
        .subscriber_count()
        .unwrap();
    assert_eq!(subscribers, 5, "the database is untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_sets_the_secret_and_refuses_requests_without_it() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let secret = "s3cret_token-for-tests";
    let t = harness::bot()
        .env(
            "LIANGHUI_WEBHOOK_URL",
            "https://bot.example.org/telegram/hook",
        )
        .env("LIANGHUI_LISTEN", &listen)
        .env("LIANGHUI_WEBHOOK_SECRET", secret)
        .start()
        .await;
    let api = &t.api;
    let set = api
        .wait_for("setWebhook", LONG, |r| {
            r.iter().any(|r| r.method == "SetWebhook")
        })
        .await;
    let set = set.iter().find(|r| r.method == "SetWebhook").unwrap();
    assert_eq!(set.body["url"], "https://bot.example.org/telegram/hook");
    assert_eq!(set.body["secret_token"], secret);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The update below is posted by the test itself: the fake learns of the chat here.
    api.add_private(1100);

    let update = serde_json::json!({
        "update_id": 1,
        "message": {
            "message_id": 5, "date": 1_717_142_400,
            "chat": { "id": 1100, "type": "private", "first_name": "用户" },
            "from": { "id": 1100, "is_bot": false, "first_name": "用户" },
            "text": "一岗一房"
        }
    })
    .to_string();
    let post = |token: Option<&str>| {
        let mut stream = std::net::TcpStream::connect(&listen).unwrap();
        use std::io::{Read, Write};
        let header = token.map_or(String::new(), |t| {
            format!("X-Telegram-Bot-Api-Secret-Token: {t}\r\n")
        });
        write!(
            stream,
            "POST /telegram/hook HTTP/1.1\r\nHost: {listen}\r\nContent-Type: application/json\r\n{header}Content-Length: {}\r\nConnection: close\r\n\r\n{update}",
            update.len()
        )
        .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or(0)
    };
    assert_eq!(post(None), 401);
    assert_eq!(post(Some("wrong")), 401);
    assert!(api.sent_to(1100).is_empty());
    assert_eq!(post(Some(secret)), 200);
    assert!(has(&api.wait_sent(1100, 1).await, "一岗一房"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        t.log().contains("refused a request"),
        "401s are logged: {}",
        t.log()
    );
    assert!(!t.log().contains(secret) && !t.log().contains(TOKEN));
    assert!(
        api.requests().iter().all(|r| r.method != "GetUpdates"),
        "no polling while on a webhook"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_cleanly() {
    let mut t = harness::bot().start().await;
    let api = &t.api;
    api.private_text(500, "一岗一房");
    api.wait_sent(500, 1).await;
    let status = Command::new("kill")
        .args(["-TERM", &t.bot.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + LONG;
    let code = loop {
        if let Some(code) = t.bot.child.try_wait().unwrap() {
            break code;
        }
        assert!(Instant::now() < deadline, "the bot did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(code.success(), "{code:?}\n{}", t.log());
    assert!(!t.log().contains(TOKEN));
}

#[test]
fn serve_without_a_token_is_a_one_line_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_lianghui-bot"))
        .arg("serve")
        .env_remove("TELOXIDE_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("TELOXIDE_TOKEN"), "{err}");
}
