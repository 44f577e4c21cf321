//! The real binary (`lianghui-bot serve`) against the fake Bot API server on loopback.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fake_api::{self, BOT_USERNAME, FakeApi, TOKEN};

pub const ADMIN: i64 = 1;
pub const STAFF: i64 = 2;

/// The bot process; killed when dropped.
pub struct BotProcess {
    pub child: Child,
    log: PathBuf,
}

impl BotProcess {
    pub fn start(api: &FakeApi, knowledge: &Path, data: &Path, rate: &str) -> BotProcess {
        Self::start_with(api, knowledge, data, rate, &[])
    }

    pub fn start_with(
        api: &FakeApi,
        knowledge: &Path,
        data: &Path,
        rate: &str,
        env: &[(&str, &str)],
    ) -> BotProcess {
        let log = data.join(format!(
            "bot-{}.log",
            Instant::now().elapsed().as_nanos() ^ rand_suffix()
        ));
        let child = Command::new(env!("CARGO_BIN_EXE_lianghui-bot"))
            .arg("serve")
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("TELOXIDE_API_URL", &api.url)
            .env("LIANGHUI_KNOWLEDGE_DIR", knowledge)
            .env("LIANGHUI_DATA_DIR", data)
            .env("LIANGHUI_ADMINS", ADMIN.to_string())
            .env("LIANGHUI_STAFF", STAFF.to_string())
            .env("LIANGHUI_BROADCAST_RATE", rate)
            .env("RUST_LOG", "debug")
            .envs(env.iter().copied())
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
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

pub const LONG: Duration = Duration::from_secs(30);

pub fn has(texts: &[String], needle: &str) -> bool {
    texts.iter().any(|t| t.contains(needle))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizens_get_sourced_answers_and_helpful_replies() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "25");

    api.private_text(100, "/start");
    let start = api.wait_sent(100, 1).await;
    assert!(
        has(
            &start,
            "人大：北关区第十一届人民代表大会第四次会议（2024年5月31日至6月1日）"
        ) && has(&start, "/subscribe")
            && has(&start, &format!("@{BOT_USERNAME}"))
            && has(&start, "“原文”"),
        "{start:?}"
    );

    api.private_text(101, "今年全区经济增长目标是多少？");
    api.wait_sent(101, 1).await;
    let reqs = api.requests();
    let reply = reqs
        .iter()
        .find(|r| r.method == "SendMessage" && r.chat_id() == Some(101))
        .unwrap();
    assert_eq!(reply.body["parse_mode"], "HTML");
    assert!(
        reply.text().contains("<b>") && reply.text().contains("6.5%"),
        "{}",
        reply.text()
    );
    assert!(
        reply
            .text()
            .contains("📄 <i>政府工作报告 · 预期目标 全区经济增长6.5% · 2024年5月31日</i>"),
        "{}",
        reply.text()
    );
    assert!(reply.text().chars().count() <= 4096);
    assert!(
        reqs.iter()
            .any(|r| r.method == "SendChatAction" && r.chat_id() == Some(101)),
        "typing action"
    );

    let cases: &[(i64, &str, &str)] = &[
        (102, "比特币多少钱", "没有找到"),
        (103, "/ask", "请在 /ask 后面"),
        (104, "/nosuchcommand", "没有这个命令"),
        (105, "/sources", "知识库共 3 份报告"),
        (106, "<b>一岗一房</b> & \"AND\" *", "<b>一岗一房</b>"),
        (107, "/help", "/subscribe"),
    ];
    for (user, text, _) in cases {
        api.private_text(*user, text);
    }
    for (user, text, want) in cases {
        let got = api.wait_sent(*user, 1).await;
        assert!(has(&got, want), "{text}: {got:?}");
    }

    api.private_sticker(108);
    assert!(has(&api.wait_sent(108, 1).await, "文字"));

    // Groups: only /ask, a mention or a reply to the bot is a question.
    api.group_text(-500, 109, "人才公寓");
    let asked = [
        api.group_text(-500, 109, &format!("/ask@{BOT_USERNAME} 人才公寓")),
        // A mention in other letter case is a mention.
        api.group_text(
            -500,
            110,
            &format!("@{} 一岗一房", BOT_USERNAME.to_uppercase()),
        ),
    ];
    let group = api.wait_sent(-500, 2).await;
    assert!(
        has(&group, "人才公寓</b>450套") && has(&group, "一岗一房"),
        "{group:?}"
    );
    // In a group, each answer replies to the question it answers.
    let replied: Vec<i64> = api
        .requests()
        .iter()
        .filter(|r| r.method == "SendMessage" && r.chat_id() == Some(-500))
        .filter_map(|r| r.body["reply_parameters"]["message_id"].as_i64())
        .collect();
    assert_eq!(replied, asked.to_vec(), "answers reply to their questions");

    // Subscriptions are idempotent.
    for text in ["/subscribe", "/subscribe", "/unsubscribe", "/unsubscribe"] {
        api.private_text(110, text);
    }
    let subs = api.wait_sent(110, 4).await;
    assert!(
        subs[0].contains("订阅成功") && subs[1].contains("已经订阅"),
        "{subs:?}"
    );
    assert!(
        subs[2].contains("已取消订阅") && subs[3].contains("没有订阅"),
        "{subs:?}"
    );

    // An edited message is deliberately ignored; the group message without mention too.
    api.private_edit(111, "今年经济增长目标");
    api.private_text(112, "/start");
    api.wait_sent(112, 1).await;
    assert!(api.sent_to(111).is_empty());
    assert_eq!(api.sent_to(-500).len(), 2);

    // Command menus: the citizens' default at start, and each staff member's and admin's own
    // once they have written (Telegram refuses a menu for a chat that never wrote).
    for id in [ADMIN, STAFF] {
        api.private_text(id, "/help");
        api.wait_sent(id, 1).await;
    }
    api.wait_for("scoped menus", LONG, |reqs| {
        reqs.iter()
            .filter(|r| r.method == "SetMyCommands" && r.body.get("scope").is_some())
            .count()
            >= 2
    })
    .await;
    let menus: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "SetMyCommands")
        .collect();
    assert!(
        menus.iter().any(|r| r.body.get("scope").is_none()),
        "default menu"
    );
    for id in [ADMIN, STAFF] {
        let m = menus
            .iter()
            .find(|r| r.body["scope"]["chat_id"] == id)
            .expect("scoped menu");
        let cmds = m.body["commands"].to_string();
        assert!(cmds.contains("announce") && !cmds.contains("\"/"), "{cmds}");
        assert_eq!(cmds.contains("reload"), id == ADMIN);
    }
    assert!(!bot.log().contains(TOKEN), "the token must never be logged");
    assert!(
        api.refused().is_empty(),
        "Telegram would refuse: {:?}",
        api.refused()
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcements_reach_every_subscriber_with_429_and_403_handled() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let _bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "25");
    subscribe_all(&api, 201..=205).await;
    api.script("SendMessage", 203, fake_api::too_many(2));
    api.script(
        "SendMessage",
        204,
        fake_api::error(403, "Forbidden: bot was blocked by the user"),
    );

    let send = announce(&api, "明天上午停水检修").await;
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
    let send = announce(&api, "第二条公告").await;
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
async fn unauthorised_commands_are_refused() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "25");
    for cmd in ["/announce 假公告", "/reload", "/stats", "/gaps"] {
        api.private_text(300, cmd);
    }
    let got = api.wait_sent(300, 4).await;
    assert!(
        got.iter().all(|t| t.contains("没有使用这个命令的权限")),
        "{got:?}"
    );
    api.private_text(STAFF, "/reload");
    assert!(has(
        &api.wait_sent(STAFF, 1).await,
        "没有使用这个命令的权限"
    ));
    assert!(
        api.requests()
            .iter()
            .all(|r| r.body.get("reply_markup").is_none()),
        "no preview was made"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(bot.log().contains("refused"), "refusals are logged");

    // The admin may: /stats and /gaps reflect the question log.
    api.private_text(301, "比特币多少钱");
    api.wait_sent(301, 1).await;
    api.private_text(ADMIN, "/stats");
    api.private_text(ADMIN, "/gaps");
    let admin = api.wait_sent(ADMIN, 2).await;
    assert!(
        has(&admin, "订阅者：0") && has(&admin, "未能回答"),
        "{admin:?}"
    );
    assert!(has(&admin, "比特币多少钱（1 次）"), "{admin:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_killed_midway_finishes_after_restart() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let users = 1000..1030i64;
    let mut bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "5");
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
    bot.kill_hard();
    let before_restart = count(&api);
    assert!(
        before_restart < 30,
        "the broadcast must still be running when killed"
    );

    let _bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "5");
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
async fn reload_keeps_the_old_index_on_error_and_loses_no_question() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let k = crate::knowledge_copy();
    let _bot = BotProcess::start(&api, k.path(), data.path(), "25");

    std::fs::write(
        k.path().join("broken.md"),
        "+++\nheadline = \"x\"\nnot toml\n+++\n\n正文。\n",
    )
    .unwrap();
    api.private_text(ADMIN, "/reload");
    api.wait_for("reload error", LONG, |_| {
        has(&api.sent_to(ADMIN), "重新加载失败")
    })
    .await;
    assert!(
        has(&api.sent_to(ADMIN), "broken.md:3"),
        "{:?}",
        api.sent_to(ADMIN)
    );
    api.private_text(400, "瓶改管");
    assert!(
        has(&api.wait_sent(400, 1).await, "瓶改管"),
        "the old index keeps serving"
    );

    std::fs::remove_file(k.path().join("broken.md")).unwrap();
    std::fs::write(
        k.path().join("notice.txt"),
        "停水通知\n\n北关区部分小区明日停水检修。\n",
    )
    .unwrap();
    // 50 questions in flight around a successful reload: every one is answered.
    for u in 2000..2025 {
        api.private_text(u, "人才公寓政策");
    }
    api.private_text(ADMIN, "/reload");
    for u in 2025..2050 {
        api.private_text(u, "人才公寓政策");
    }
    api.wait_for("reload summary", LONG, |_| {
        has(&api.sent_to(ADMIN), "知识库已重新加载")
    })
    .await;
    for u in 2000..2050 {
        let got = api.wait_sent(u, 1).await;
        assert!(has(&got, "<b>人才公寓</b>"), "question of {u}: {got:?}");
    }
    let admin = api.sent_to(ADMIN);
    assert!(
        has(&admin, "4 份报告") && has(&admin, "新增：停水通知"),
        "{admin:?}"
    );
    api.private_text(401, "停水检修");
    assert!(
        has(&api.wait_sent(401, 1).await, "📄 <i>停水通知</i>"),
        "the new document is searchable"
    );
    api.private_text(402, "/sources");
    assert!(has(&api.wait_sent(402, 1).await, "知识库最近更新"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_cleanly() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let mut bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "25");
    api.private_text(500, "一岗一房");
    api.wait_sent(500, 1).await;
    let status = Command::new("kill")
        .args(["-TERM", &bot.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + LONG;
    let code = loop {
        if let Some(code) = bot.child.try_wait().unwrap() {
            break code;
        }
        assert!(Instant::now() < deadline, "the bot did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(code.success(), "{code:?}\n{}", bot.log());
    assert!(!bot.log().contains(TOKEN));
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
