//! Announcements: delivered to every subscriber with 429 and 403 handled, finished after a
//! kill, searchable once delivered, and never moving what the reports speak for.

use std::process::Command;
use std::time::{Duration, Instant};

use lianghui_bot::answer::{self, Ask, QuestionLog};

use crate::fake_api::{self, FakeApi};
use crate::harness::{self, ADMIN, LONG, STAFF, announce, has, subscribe_all};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcements_reach_every_subscriber_with_429_and_403_handled() {
    let t = harness::bot().start().await;
    let api = &t.api;
    subscribe_all(api, 201..=205).await;
    api.script("SendMessage", 203, fake_api::too_many(2));
    api.script(
        "SendMessage",
        204,
        fake_api::error(403, "Forbidden: bot was blocked by the user"),
    );

    let send = announce(api, "明天上午停水检修").await;
    assert!(send.starts_with("ann:send:"));
    // A citizen pressing the button changes nothing.
    api.press(206, &send);
    api.wait_for("refusal", LONG, |r| {
        r.iter()
            .any(|r| r.method == "AnswerCallbackQuery" && r.text().contains("没有操作公告的权限"))
    })
    .await;
    assert!(api.sent_to(201).iter().all(|t| !t.contains("停水")));

    api.press(STAFF, &send);
    // While the broadcast waits out its 429, citizens' questions are still answered at once.
    api.wait_for("the 429", LONG, |r| {
        r.iter()
            .filter(|r| r.chat_id() == Some(203) && r.text().contains("停水"))
            .count()
            == 1
    })
    .await;
    api.private_text(207, "一岗一房");
    assert!(has(&api.wait_sent(207, 1).await, "一岗一房"));
    let resent = api
        .requests()
        .iter()
        .filter(|r| r.chat_id() == Some(203) && r.text().contains("停水"))
        .count();
    assert_eq!(
        resent, 1,
        "the answer must not wait for the broadcast's retry_after"
    );
    let report = api
        .wait_for("report", LONG, |_| has(&api.sent_to(STAFF), "发送完毕"))
        .await;
    let staff = api.sent_to(STAFF);
    assert!(has(&staff, "送达 4，已屏蔽/失效 1，失败 0"), "{staff:?}");
    for chat in [201, 202, 205] {
        assert_eq!(
            api.sent_to(chat)
                .iter()
                .filter(|t| t.contains("停水检修"))
                .count(),
            1,
            "chat {chat}"
        );
    }
    let tries: Vec<Instant> = report
        .iter()
        .filter(|r| r.chat_id() == Some(203) && r.text().contains("停水"))
        .map(|r| r.at)
        .collect();
    assert_eq!(
        tries.len(),
        2,
        "the 429 is resent once, and counts as delivered"
    );
    assert!(
        tries[1] - tries[0] >= Duration::from_millis(950),
        "retry_after honoured: {:?}",
        tries[1] - tries[0]
    );

    // A second press is answered and queues nothing.
    api.press(STAFF, &send);
    api.wait_for("second press", LONG, |r| {
        r.iter()
            .any(|r| r.method == "AnswerCallbackQuery" && r.text().contains("已处理过"))
    })
    .await;

    // The blocked chat is no longer a subscriber.
    let send = announce(api, "第二条公告").await;
    api.press(STAFF, &send);
    api.wait_for("second report", LONG, |_| {
        api.sent_to(STAFF)
            .iter()
            .filter(|t| t.contains("发送完毕"))
            .count()
            == 2
    })
    .await;
    assert!(has(&api.sent_to(STAFF), "送达 4，已屏蔽/失效 0，失败 0"));
    assert!(api.sent_to(204).iter().all(|t| !t.contains("第二条")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_killed_midway_finishes_after_restart() {
    let mut t = harness::bot().rate("5").start().await;
    let api = t.api.clone();
    let users = 1000..1030i64;
    subscribe_all(&api, users.clone()).await;
    let send = announce(&api, "重启测试公告").await;
    api.press(STAFF, &send);
    let count = |api: &FakeApi| {
        api.requests()
            .iter()
            .filter(|r| r.method == "SendMessage" && r.text() == "重启测试公告")
            .count()
    };
    api.wait_for("some deliveries", LONG, |_| count(&api) >= 8)
        .await;
    t.bot.kill_hard();
    let before_restart = count(&api);
    assert!(
        before_restart < 30,
        "the broadcast must still be running when killed"
    );

    t.start_again();
    api.wait_for("report after restart", Duration::from_secs(60), |_| {
        has(&api.sent_to(STAFF), "发送完毕")
    })
    .await;
    assert!(
        has(&api.sent_to(STAFF), "送达 30"),
        "{:?}",
        api.sent_to(STAFF)
    );
    for u in users {
        let n = api
            .sent_to(u)
            .iter()
            .filter(|t| *t == "重启测试公告")
            .count();
        assert!(
            (1..=2).contains(&n),
            "chat {u} got the announcement {n} times"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_announcements_become_searchable_and_stay_so() {
    let mut t = harness::bot().start().await;
    let api = t.api.clone();
    subscribe_all(&api, 700..702).await;
    let send = announce(&api, "本周六上午在文化广场举办社区义诊活动").await;
    api.press(STAFF, &send);
    api.wait_for("report", LONG, |_| has(&api.sent_to(STAFF), "发送完毕"))
        .await;

    // The rebuild follows the report; ask until it is in (bounded).
    let found = |api: &FakeApi, user: i64| {
        api.sent_to(user)
            .iter()
            .any(|t| t.contains("通知公告 · ") && t.contains("义诊"))
    };
    let deadline = Instant::now() + LONG;
    let mut user = 710;
    loop {
        api.private_text(user, "社区义诊活动");
        api.wait_sent(user, 1).await;
        if found(&api, user) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the announcement never became searchable: {:?}",
            api.sent_to(user)
        );
        user += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        api.sent_to(user).iter().any(|t| t.contains("发布")),
        "dated: {:?}",
        api.sent_to(user)
    );

    t.bot.kill_hard();
    let data = t.data().to_path_buf();
    // The command line on the bot's data folder uses the very index the bot built.
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lianghui-bot"))
            .args(args)
            .env("LIANGHUI_KNOWLEDGE_DIR", crate::knowledge())
            .env("LIANGHUI_DATA_DIR", &data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let current = || std::fs::read_to_string(data.join("index/CURRENT")).unwrap();
    let built_by_bot = current();
    let index = cli(&["index"]);
    assert!(index.starts_with("up to date"), "the CLI rebuilt: {index}");
    let answer = cli(&["ask", "社区义诊活动"]);
    assert!(
        answer.contains("通知公告 · ") && answer.contains("义诊"),
        "{answer}"
    );
    assert_eq!(current(), built_by_bot, "the CLI took over CURRENT");
    t.start_again();
    api.private_text(790, "社区义诊活动");
    api.wait_sent(790, 1).await;
    assert!(found(&api, 790), "after a restart: {:?}", api.sent_to(790));
    api.private_text(ADMIN, "/reload");
    api.wait_for("reload", LONG, |_| {
        has(&api.sent_to(ADMIN), "知识库已重新加载")
    })
    .await;
    api.private_text(791, "社区义诊活动");
    api.wait_sent(791, 1).await;
    assert!(found(&api, 791), "after a reload: {:?}", api.sent_to(791));
}

#[test]
fn a_delivered_announcement_never_changes_what_the_reports_speak_for() {
    let data = tempfile::tempdir().unwrap();
    let store =
        lianghui_bot::store::Store::open(&data.path().join(lianghui_bot::service::DATABASE_FILE))
            .unwrap();
    store.subscribe(1, 0).unwrap();
    let id = store
        .draft_announcement(
            9,
            9,
            "2026年元旦假期1月1日至3日暂停办公，2026年1月4日恢复办公。",
            0,
        )
        .unwrap();
    store.confirm_announcement(id, 9, 0).unwrap();
    store.finish_announcement(id, 1_767_000_000).unwrap();
    drop(store);
    let kb = crate::open_kb(&crate::knowledge(), data.path()).kb;
    let engine = kb.engine();
    assert_eq!(
        engine.manifest().scope.years,
        vec![2024],
        "the reports' years only"
    );
    let ask = |q: &str| answer::respond(&kb, q, Ask::first(3), &QuestionLog::off());
    let reply = ask("2026年人才公寓有什么政策");
    assert_ne!(
        reply.answer().map(|a| a.tier()),
        Some(lianghui_bot::grade::Match::Direct),
        "a 2026 question is not answered directly by 2024 reports"
    );
    // Source lines keep the reports' year.
    let reply = ask("人才公寓有什么政策");
    let a = reply.answer().unwrap();
    let source = lianghui_bot::answer::wording::source_line(&a.items[0].passage, &a.scope);
    assert!(source.ends_with("2024年5月31日"), "{source}");
}
