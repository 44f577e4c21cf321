//! Hostile files, races and a flaky Bot API: each finding of the operators' and attackers'
//! review, reproduced against the real binary and the fake Bot API (with its fault modes), or
//! against the library where the race is easier to pin down there.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::fake_api::{FakeApi, Fault, TOKEN, too_many};
use crate::features::{button, buttons, press};
use crate::telegram::{ADMIN, BotProcess, LONG, STAFF, has};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lianghui-bot"))
}

/// A loopback port nothing listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The names of the files in `dir`, sorted.
fn file_names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_survive_a_429_and_never_wait_for_the_typing_action() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let _bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "25");
    api.private_text(950, "/start");
    api.wait_sent(950, 1).await;

    // The answer meets a 429: it waits retry_after and is sent again.
    api.script("SendMessage", 951, too_many(1));
    api.private_text(951, "一岗一房");
    let got = api.wait_sent(951, 1).await;
    assert!(has(&got, "一岗一房"), "{got:?}");

    // A "typing…" that hangs for 8 s does not hold the answer up.
    api.fault("SendChatAction", Fault::Slow(Duration::from_secs(8)), 1);
    let asked = Instant::now();
    api.private_text(952, "人才公寓");
    api.wait_sent(952, 1).await;
    assert!(
        asked.elapsed() < Duration::from_secs(4),
        "{:?}",
        asked.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_waits_for_an_unreachable_bot_api_and_garbled_answers_pass() {
    let port = free_port();
    let data = tempfile::tempdir().unwrap();
    let unreachable = FakeApi::unreachable(port);
    let mut bot = BotProcess::start(&unreachable, &crate::knowledge(), data.path(), "25");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        bot.child.try_wait().unwrap().is_none(),
        "the bot gave up: {}",
        bot.log()
    );
    assert!(
        bot.log().contains("cannot reach the Bot API (attempt 2)"),
        "{}",
        bot.log()
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
    assert!(bot.child.try_wait().unwrap().is_none());
}

/// `lianghui-bot healthcheck` on `data`: (exit 0, stdout + stderr).
fn healthcheck(data: &std::path::Path) -> (bool, String) {
    let out = bin()
        .arg("healthcheck")
        .env("LIANGHUI_DATA_DIR", data)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_the_bot_api_and_says_why() {
    let empty = tempfile::tempdir().unwrap();
    let (ok, why) = healthcheck(empty.path());
    assert!(!ok && why.contains("no database"), "{why}");

    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let _bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "25");
    api.private_text(970, "/start");
    api.wait_sent(970, 1).await;
    let (ok, text) = healthcheck(data.path());
    assert!(ok && text.contains("healthy"), "{text}");

    api.set_down(true);
    let deadline = Instant::now() + Duration::from_secs(30);
    let why = loop {
        let (ok, text) = healthcheck(data.path());
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
    while !healthcheck(data.path()).0 {
        assert!(Instant::now() < deadline, "never healthy again");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
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
fn concurrent_changes_that_fail_restore_exactly_the_original() {
    let k = crate::knowledge_copy();
    let data = tempfile::tempdir().unwrap();
    let kb = std::sync::Arc::new(crate::open_kb(k.path(), data.path()).kb);
    let original = std::fs::read(k.path().join("renda-2024.md")).unwrap();
    // A broken file makes every strict reload fail, as a slow failing reload would.
    std::fs::write(k.path().join("broken.md"), "+++\nnot toml\n+++\n\n正文。\n").unwrap();
    let threads: Vec<_> = ["# 甲\n\n版本甲。\n", "# 乙\n\n版本乙。\n"]
        .into_iter()
        .map(|text| {
            let kb = kb.clone();
            std::thread::spawn(move || kb.save_document("renda-2024.md", text.as_bytes()))
        })
        .collect();
    for t in threads {
        let result = t.join().unwrap();
        assert!(
            matches!(result, Err(lianghui_bot::service::ChangeError::Rejected(_))),
            "{result:?}"
        );
    }
    assert_eq!(
        std::fs::read(k.path().join("renda-2024.md")).unwrap(),
        original
    );
    let leftovers: Vec<_> = file_names(k.path())
        .into_iter()
        .filter(|n| n.starts_with(".upload"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_uploads_are_refused_at_preview_and_the_bot_keeps_answering() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let k = crate::knowledge_copy();
    let _bot = BotProcess::start(&api, k.path(), data.path(), "25");
    let report = "# 通知\n\n北关区部分小区明日停水检修。\n".as_bytes();
    let repeated = format!("# 重复\n\n{}", "重复段落。\n\n".repeat(8000));
    let long_name = format!("{}.md", "长".repeat(100));
    let uploads: Vec<(&str, Vec<u8>, &str)> = vec![
        ("a\nb.md", report.to_vec(), "控制字符"),
        ("a\0b.md", report.to_vec(), "控制字符"),
        (long_name.as_str(), report.to_vec(), "字节"),
        ("announcements.md", report.to_vec(), "通知公告"),
        (
            "renda-2024.txt",
            report.to_vec(),
            "renda-2024.md 已经用了这个名字",
        ),
        ("repeat.md", repeated.into_bytes(), "only 1 different"),
    ];
    for (i, (name, bytes, _)) in uploads.iter().enumerate() {
        api.private_document(ADMIN, name, bytes, bytes.len());
        // Meanwhile a citizen is answered at once.
        api.private_text(980 + i as i64, "一岗一房");
    }
    let replies = api.wait_sent(ADMIN, uploads.len()).await;
    for (name, _, want) in &uploads {
        assert!(has(&replies, want), "{name:?}: {replies:?}");
    }
    assert!(buttons(&api, ADMIN).is_empty(), "no upload reached 确认");
    for i in 0..uploads.len() {
        assert!(has(&api.wait_sent(980 + i as i64, 1).await, "一岗一房"));
    }
    let strays: Vec<String> = file_names(k.path())
        .into_iter()
        .filter(|n| n.starts_with('.') || n.contains("repeat") || n.contains("announcements"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_download_is_answered_and_changes_nothing() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let k = crate::knowledge_copy();
    let before = file_names(k.path());
    let _bot = BotProcess::start(&api, k.path(), data.path(), "25");
    api.fault("GetFile", Fault::Html500, 1);
    let report = "# 通知\n\n北关区部分小区明日停水检修。\n".as_bytes();
    api.private_document(ADMIN, "notice.md", report, report.len());
    let replies = api.wait_sent(ADMIN, 1).await;
    assert!(has(&replies, "无法从 Telegram 下载这个文件"), "{replies:?}");
    assert!(buttons(&api, ADMIN).is_empty(), "nothing to confirm");
    let after = file_names(k.path());
    assert_eq!(before, after);
    // The same upload goes through once the Bot API answers again.
    api.private_document(ADMIN, "notice.md", report, report.len());
    api.wait_sent(ADMIN, 2).await;
    assert!(
        !buttons(&api, ADMIN).is_empty(),
        "the second try reaches 确认"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_confirming_failing_uploads_at_once_keep_the_original() {
    const SECOND_ADMIN: i64 = 3;
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let k = crate::knowledge_copy();
    let original = std::fs::read(k.path().join("renda-2024.md")).unwrap();
    let admins = format!("{ADMIN},{SECOND_ADMIN}");
    let _bot = BotProcess::start_with(
        &api,
        k.path(),
        data.path(),
        "25",
        &[("LIANGHUI_ADMINS", &admins)],
    );
    let versions = [
        (ADMIN, "# 甲\n\n版本甲。\n"),
        (SECOND_ADMIN, "# 乙\n\n版本乙。\n"),
    ];
    for (admin, text) in versions {
        api.private_document(admin, "renda-2024.md", text.as_bytes(), text.len());
        api.wait_sent(admin, 1).await;
    }
    // Both reloads fail on a broken file put in meanwhile.
    std::fs::write(k.path().join("broken.md"), "+++\nnot toml\n+++\n\n正文。\n").unwrap();
    for (admin, _) in versions {
        api.press(admin, &button(&api, admin, "确认"));
    }
    for (admin, _) in versions {
        api.wait_for("the outcome", LONG, |_| {
            has(&api.sent_to(admin), "已恢复原状")
        })
        .await;
    }
    assert_eq!(
        std::fs::read(k.path().join("renda-2024.md")).unwrap(),
        original
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_fits_telegrams_limit_with_many_documents_and_long_questions() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let k = crate::knowledge_copy();
    for i in 0..60 {
        let title =
            format!("北关区第{i}号关于进一步加强和改进基层社会治理工作的实施意见及配套措施说明");
        let text = format!(
            "+++\nheadline = \"{title}\"\nmeeting = \"北关区第十一届人民代表大会常务委员会第{i}次会议\"\n+++\n\n第{i}号文件的正文。\n"
        );
        std::fs::write(k.path().join(format!("doc-{i:02}.md")), text).unwrap();
    }
    let _bot = BotProcess::start(&api, k.path(), data.path(), "25");
    for i in 0..12 {
        let long = format!(
            "{i}号问题：{}",
            "我想问一个非常长的问题关于很多很多的事情".repeat(20)
        );
        // Twelve citizens at once (one citizen's twelfth question in a second would be cut by
        // flood control).
        api.private_text(990 + i, &long);
    }
    for i in 0..12 {
        api.wait_sent(990 + i, 1).await;
    }
    for cmd in ["/sources", "/start", "/gaps", "/help"] {
        api.private_text(ADMIN, cmd);
    }
    api.wait_for("admin replies", LONG, |_| api.sent_to(ADMIN).len() >= 5)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(api.refused().is_empty(), "{:?}", api.refused());
    let admin = api.sent_to(ADMIN);
    assert!(
        has(&admin, "doc-59") || has(&admin, "第59号"),
        "every document listed"
    );
    assert!(
        has(&admin, "共 60 份") || has(&admin, "……共"),
        "{:?}",
        admin.first()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buttons_belong_to_who_asked_and_admin_commands_stay_private() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let _bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "25");
    api.private_text(1001, "人才公寓政策");
    api.wait_sent(1001, 1).await;
    for label in ["👍", "原文"] {
        let toast = press(&api, 1002, &button(&api, 1001, label)).await;
        assert!(toast.contains("属于提问的人"), "{label}: {toast}");
    }
    assert!(
        api.sent_to(1002).is_empty(),
        "nothing was sent to the other person"
    );
    assert_eq!(
        press(&api, 1001, &button(&api, 1001, "👍")).await,
        "谢谢您的反馈！"
    );

    api.group_text(-700, ADMIN, "/stats");
    assert!(has(&api.wait_sent(-700, 1).await, "私聊"));
    assert!(api.sent_to(-700).iter().all(|t| !t.contains("订阅者")));
    // Staff announce in private too; nothing is previewed to the group.
    api.group_text(-701, STAFF, "/announce 明天停水");
    assert!(has(&api.wait_sent(-701, 1).await, "私聊"));
    assert!(buttons(&api, -701).is_empty(), "no preview in the group");
    // Without the role, a group hears the refusal, not where to go.
    api.group_text(-702, 1003, "/stats");
    assert!(has(&api.wait_sent(-702, 1).await, "没有使用这个命令的权限"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_sets_the_secret_and_refuses_requests_without_it() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let secret = "s3cret_token-for-tests";
    let bot = BotProcess::start_with(
        &api,
        &crate::knowledge(),
        data.path(),
        "25",
        &[
            (
                "LIANGHUI_WEBHOOK_URL",
                "https://bot.example.org/telegram/hook",
            ),
            ("LIANGHUI_LISTEN", &listen),
            ("LIANGHUI_WEBHOOK_SECRET", secret),
        ],
    );
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
        bot.log().contains("refused a request"),
        "401s are logged: {}",
        bot.log()
    );
    assert!(!bot.log().contains(secret) && !bot.log().contains(TOKEN));
    assert!(
        api.requests().iter().all(|r| r.method != "GetUpdates"),
        "no polling while on a webhook"
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

#[test]
fn the_command_line_bounds_what_it_echoes_and_ends_quietly_on_a_closed_pipe() {
    let data = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args(["ask", "--json"])
        .env("LIANGHUI_KNOWLEDGE_DIR", crate::knowledge())
        .env("LIANGHUI_DATA_DIR", data.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{}", "问".repeat(200_000)).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(line["question"].as_str().unwrap().chars().count() <= 501);
    assert!(line["error"].as_str().unwrap().contains("characters long"));

    // `eval … | head -1`: the reader goes away after one line.
    let mut child = bin()
        .args([
            "eval",
            &crate::fixture("citizens-dev.tsv").to_string_lossy(),
            "--verbose",
        ])
        .env("LIANGHUI_KNOWLEDGE_DIR", crate::knowledge())
        .env("LIANGHUI_DATA_DIR", data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_are_consistent_copies_while_the_bot_runs() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let _bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "25");
    for u in 1200..1205 {
        api.private_text(u, "/subscribe");
    }
    for u in 1200..1205 {
        api.wait_sent(u, 1).await;
    }
    let copy = data.path().join("backup.sqlite");
    let out = bin()
        .args(["backup", &copy.to_string_lossy()])
        .env("LIANGHUI_DATA_DIR", data.path())
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
            .env("LIANGHUI_DATA_DIR", data.path())
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
    let db = data.path().join("lianghui.sqlite");
    let link = data.path().join("link.sqlite");
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
