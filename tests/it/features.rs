//! Beyond a plain FAQ bot: inline mode, answer buttons, document upload, searchable
//! announcements, provenance, health and metrics. The real binary against the fake Bot API.

use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::fake_api::{FakeApi, Request};
use crate::telegram::{ADMIN, BotProcess, LONG, STAFF, announce, has, subscribe_all};

/// The inline keyboard's callback data of the last message sent to `chat`.
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

fn inline_answers(reqs: &[Request]) -> Vec<&Request> {
    reqs.iter()
        .filter(|r| r.method == "AnswerInlineQuery")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_mode_offers_cited_excerpts_and_examples() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let _bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "25");
    api.inline(600, "");
    api.wait_for("examples", LONG, |r| inline_answers(r).len() == 1)
        .await;
    api.inline(600, "人才公寓");
    let reqs = api
        .wait_for("answers", LONG, |r| inline_answers(r).len() == 2)
        .await;
    let answers = inline_answers(&reqs);
    // An empty query: example questions, each inserting its real answer.
    let examples = answers[0].body["results"].as_array().unwrap();
    assert_eq!(examples.len(), 3);
    for e in examples {
        let message = e["input_message_content"]["message_text"].as_str().unwrap();
        let title = e["title"].as_str().unwrap();
        assert!(message.starts_with(&format!("❓ {title}")), "{e}");
        assert!(message.contains("<b>") && message.contains("📄 <i>"), "{e}");
    }
    let results = answers[1].body["results"].as_array().unwrap();
    assert!(!results.is_empty() && results.len() <= 3);
    // Title: the answering sentence; description: the source; message: question, excerpt,
    // source. Results do not look alike.
    let first = &results[0];
    assert_eq!(
        first["title"], "落细落实“一岗一房”人才政策,新建人才公寓450套。",
        "{first}"
    );
    assert_eq!(
        first["description"],
        "政府工作报告 · 强化科技创新引领 塑造发展新动能新优势 · 2024年5月31日"
    );
    let titles: Vec<&str> = results
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    let mut distinct = titles.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), titles.len(), "{titles:?}");
    let content = &first["input_message_content"];
    assert_eq!(content["parse_mode"], "HTML");
    let message = content["message_text"].as_str().unwrap();
    assert!(
        message.starts_with("❓ 人才公寓\n\n")
            && message.contains("<b>人才公寓</b>")
            && message.ends_with(
                "📄 <i>政府工作报告 · 强化科技创新引领 塑造发展新动能新优势 · 2024年5月31日</i>"
            ),
        "{message}"
    );
    assert_eq!(answers[1].body["cache_time"], 300);
    // Off-topic: nothing to post into the group, only a button that opens the bot.
    api.inline(600, "比特币多少钱");
    let reqs = api
        .wait_for("abstention", LONG, |r| inline_answers(r).len() == 3)
        .await;
    let none = &inline_answers(&reqs)[2].body;
    assert!(none["results"].as_array().unwrap().is_empty(), "{none}");
    assert_eq!(none["button"]["start_parameter"], "inline", "{none}");
    assert!(
        none["button"]["text"]
            .as_str()
            .unwrap()
            .contains("没有找到")
    );
    assert!(api.refused().is_empty(), "{:?}", api.refused());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_buttons_show_the_source_more_results_and_record_feedback() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let k = crate::knowledge_copy();
    std::fs::write(
        k.path().join("notice.txt"),
        "停水通知\n\n北关区部分小区明日停水检修。\n",
    )
    .unwrap();
    let _bot = BotProcess::start(&api, k.path(), data.path(), "25");

    api.private_text(601, "今年全区经济增长目标是多少");
    let answer = api.wait_sent(601, 1).await;
    assert!(
        has(
            &answer,
            "📄 <i>政府工作报告 · 预期目标 全区经济增长6.5% · 2024年5月31日</i>"
        ),
        "one short source line: {answer:?}"
    );
    let labels: Vec<String> = buttons(&api, 601).into_iter().map(|(t, _)| t).collect();
    for want in ["原文", "👍", "👎"] {
        assert!(labels.iter().any(|l| l == want), "{labels:?}");
    }

    // 原文: the whole passage, its words marked, each neighbour labelled with its own section,
    // the full source last; a reply to the answer it belongs to.
    let original_data = button(&api, 601, "原文");
    api.press_under(601, 601, &original_data);
    let sent = api.wait_sent(601, 2).await;
    let original = sent.last().unwrap();
    assert!(
        original
            .starts_with("<b>《凝心聚力谋发展 奋勇争先谱新篇》 › 预期目标 全区经济增长6.5%</b>"),
        "{original}"
    );
    assert!(
        original.contains("把美好蓝图变为现实图景") && original.contains("<b>经济增长</b>6.5%"),
        "{original}"
    );
    assert!(
        original.contains(
            "<i>上一段 · 凝心聚力谋发展 奋勇争先谱新篇</i>\n今年是中华人民共和国成立75周年"
        ),
        "{original}"
    );
    assert!(
        original
            .contains("<i>下一段 · 2024年重点工作安排 › 充分挖掘内需潜力 巩固经济回升向好态势</i>"),
        "{original}"
    );
    assert!(
        original
            .ends_with("📄 政府工作报告 · 北关区第十一届人民代表大会第四次会议 · 2024年5月31日"),
        "{original}"
    );
    let reqs = api.requests();
    let answer_id = reqs
        .iter()
        .find(|r| r.chat_id() == Some(601) && r.text().contains("6.5%") && r.message_id.is_some())
        .and_then(|r| r.message_id)
        .unwrap();
    let original_req = reqs
        .iter()
        .rev()
        .find(|r| r.text() == original.as_str())
        .unwrap();
    assert_eq!(
        original_req.body["reply_parameters"]["message_id"],
        answer_id
    );

    // 更多: the next results, numbered after those shown (this question has many).
    api.private_text(606, "项目建设");
    api.wait_sent(606, 1).await;
    let shown = buttons(&api, 606)
        .iter()
        .filter(|(t, _)| t.starts_with("原文"))
        .count();
    assert!(buttons(&api, 606).iter().any(|(t, _)| t == "更多"));
    assert_eq!(
        press(&api, 606, &button(&api, 606, "更多")).await,
        "已显示更多结果"
    );
    let sent = api.wait_sent(606, 2).await;
    let next = lianghui_bot::answer::wording::marker(shown + 1);
    assert!(
        sent.last().unwrap().starts_with(&next),
        "{next} {:?}",
        sent.last()
    );
    assert!(
        buttons(&api, 606)
            .iter()
            .any(|(t, _)| *t == format!("原文{next}"))
    );

    // 👎 is recorded and shows up in /gaps; the vote buttons become a thank-you.
    api.private_text(602, "人才公寓政策");
    api.wait_sent(602, 1).await;
    let down = button(&api, 602, "👎");
    api.press_under(602, 602, &down);
    api.wait_for("thank-you", LONG, |r| {
        r.iter().any(|r| {
            r.method == "EditMessageReplyMarkup"
                && r.chat_id() == Some(602)
                && r.body["reply_markup"].to_string().contains("谢谢您的反馈")
                && !r.body["reply_markup"].to_string().contains("👎")
                && r.body["reply_markup"].to_string().contains("原文")
        })
    })
    .await;
    api.private_text(ADMIN, "/gaps");
    let gaps = api.wait_sent(ADMIN, 1).await;
    assert!(
        has(&gaps, "被点 👎 的问题：\n· 人才公寓政策（1 次）"),
        "{gaps:?}"
    );

    // A button from before a reload that points at a passage which no longer exists.
    api.private_text(603, "停水检修");
    assert!(has(&api.wait_sent(603, 1).await, "停水通知"));
    let stale = button(&api, 603, "原文");
    std::fs::remove_file(k.path().join("notice.txt")).unwrap();
    api.private_text(ADMIN, "/reload");
    api.wait_for("reload", LONG, |_| {
        has(&api.sent_to(ADMIN), "知识库已重新加载")
    })
    .await;
    assert!(press(&api, 603, &stale).await.contains("已修改或删除"));
    assert!(press(&api, 603, "src:notanumber").await.contains("失效"));
    // Forged callback data gets an answer, never a crash.
    for forged in [
        "more:1:18446744073709551615",
        "src:1:18446744073709551615",
        "fb:-5:1",
        "rm:ok:99:x",
        "up:ok:1",
        "ann:send:x",
        ":::",
    ] {
        let toast = press(&api, 603, forged).await;
        assert!(!toast.is_empty(), "{forged}");
    }
    api.private_text(604, "一岗一房");
    assert!(
        has(&api.wait_sent(604, 1).await, "一岗一房"),
        "still running"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_upload_and_remove_documents() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let k = crate::knowledge_copy();
    let _bot = BotProcess::start(&api, k.path(), data.path(), "25");
    let md = "+++\nheadline = \"停水通知\"\nbody = \"区水务局\"\n+++\n\n# 停水通知\n\n北关区部分小区明日停水检修。\n".as_bytes();

    // Nobody but an admin may upload.
    api.private_document(604, "notice.md", md, md.len());
    assert!(has(&api.wait_sent(604, 1).await, "没有使用这个命令的权限"));
    // Bad files: a clear error, nothing changes.
    api.private_document(ADMIN, "bad.txt", b"title\n\n\x00binary", 14);
    api.private_document(ADMIN, "report.pdf", b"%PDF", 4);
    api.private_document(ADMIN, "huge.md", b"# x\n\ny\n", 50 * 1024 * 1024);
    let errors = api.wait_sent(ADMIN, 3).await;
    assert!(
        has(&errors, "文件无法使用") && has(&errors, "bad.txt:3"),
        "{errors:?}"
    );
    assert!(has(&errors, "只接受 .md 或 .txt"), "{errors:?}");
    assert!(has(&errors, "文件太大"), "{errors:?}");
    for name in ["bad.txt", "report.pdf", "huge.md", "notice.md"] {
        assert!(!k.path().join(name).exists(), "{name} must not be saved");
    }

    // A good file: preview, then 确认 saves and reloads.
    api.private_document(ADMIN, "notice.md", md, md.len());
    let preview = api.wait_sent(ADMIN, 4).await;
    assert!(
        preview[3].contains("将新增文档《停水通知》（1 段）"),
        "{preview:?}"
    );
    assert!(
        !k.path().join("notice.md").exists(),
        "nothing is saved before 确认"
    );
    press(&api, ADMIN, &button(&api, ADMIN, "确认")).await;
    api.wait_for("reload", LONG, |_| {
        has(&api.sent_to(ADMIN), "知识库已重新加载")
    })
    .await;
    assert!(has(&api.sent_to(ADMIN), "新增：停水通知"));
    assert_eq!(std::fs::read(k.path().join("notice.md")).unwrap(), md);
    api.private_text(605, "停水检修");
    let got = api.wait_sent(605, 1).await;
    assert!(has(&got, "📄 <i>停水通知</i>"), "{got:?}");

    // /remove lists documents; removal asks for confirmation.
    api.private_text(ADMIN, "/remove");
    api.wait_for("remove list", LONG, |_| {
        has(&api.sent_to(ADMIN), "选择要删除的文档")
    })
    .await;
    press(&api, ADMIN, &button(&api, ADMIN, "删除《停水通知》")).await;
    api.wait_for("confirmation", LONG, |_| {
        has(&api.sent_to(ADMIN), "确认从知识库删除《停水通知》")
    })
    .await;
    assert!(
        k.path().join("notice.md").exists(),
        "nothing is removed before confirmation"
    );
    press(&api, ADMIN, &button(&api, ADMIN, "确认删除")).await;
    api.wait_for("removal", LONG, |_| {
        has(&api.sent_to(ADMIN), "删除：停水通知")
    })
    .await;
    assert!(!k.path().join("notice.md").exists());

    // A 5,000-character headline: the /remove button stays short.
    let long = format!("+++\nheadline = \"{}\"\n+++\n\n正文。\n", "长".repeat(5000));
    api.private_document(ADMIN, "long.md", long.as_bytes(), long.len());
    api.wait_for("long preview", LONG, |_| {
        api.sent_to(ADMIN)
            .iter()
            .filter(|t| t.contains("将新增文档"))
            .count()
            >= 2
    })
    .await;
    press(&api, ADMIN, &button(&api, ADMIN, "确认")).await;
    api.wait_for("long saved", LONG, |_| {
        api.sent_to(ADMIN)
            .iter()
            .filter(|t| t.contains("知识库已重新加载"))
            .count()
            >= 3
    })
    .await;
    api.private_text(ADMIN, "/remove");
    let reqs = api
        .wait_for("the second remove list", LONG, |_| {
            api.sent_to(ADMIN)
                .iter()
                .filter(|t| t.contains("选择要删除的文档"))
                .count()
                >= 2
        })
        .await;
    let list = reqs
        .iter()
        .rev()
        .find(|r| r.text().contains("选择要删除的文档"))
        .unwrap();
    let keyboard = list.body["reply_markup"].to_string();
    assert!(keyboard.len() < 2048, "a {}-byte keyboard", keyboard.len());

    // Every press was answered at once, before the reload or removal it started.
    let answers = api.callback_answers();
    assert!(answers.len() >= 4, "{answers:?}");
    for a in &answers {
        assert!(
            a.refused.is_none() && a.delay.is_some_and(|d| d < Duration::from_secs(2)),
            "{a:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_announcements_become_searchable_and_stay_so() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let mut bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "25");
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

    bot.kill_hard();
    // The command line on the bot's data folder uses the very index the bot built.
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lianghui-bot"))
            .args(args)
            .env("LIANGHUI_KNOWLEDGE_DIR", crate::knowledge())
            .env("LIANGHUI_DATA_DIR", data.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let current = || std::fs::read_to_string(data.path().join("index/CURRENT")).unwrap();
    let built_by_bot = current();
    let index = cli(&["index"]);
    assert!(index.starts_with("up to date"), "the CLI rebuilt: {index}");
    let answer = cli(&["ask", "社区义诊活动"]);
    assert!(
        answer.contains("通知公告 · ") && answer.contains("义诊"),
        "{answer}"
    );
    assert_eq!(current(), built_by_bot, "the CLI took over CURRENT");
    let _bot = BotProcess::start(&api, &crate::knowledge(), data.path(), "25");
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
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let _bot = BotProcess::start_with(
        &api,
        &crate::knowledge(),
        data.path(),
        "25",
        &[("LIANGHUI_METRICS_ADDR", &addr)],
    );
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
            .env("LIANGHUI_DATA_DIR", data.path())
            .status()
            .unwrap()
            .success()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_grow_the_lexicon_from_the_chat_and_see_the_gaps() {
    let api = FakeApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let k = crate::knowledge_copy();
    let _bot = BotProcess::start(&api, k.path(), data.path(), "25");
    let synonyms = || std::fs::read_to_string(k.path().join("synonyms.txt")).unwrap();
    let before = synonyms();

    // A word the reports never use is not found, and shows up in /gaps.
    api.private_text(900, "电驴");
    assert!(has(&api.wait_sent(900, 1).await, "没有找到"));
    api.private_text(ADMIN, "/gaps");
    let gaps = api.wait_sent(ADMIN, 1).await;
    assert!(
        has(&gaps, "没有找到答案的问题：\n· 电驴（1 次）"),
        "{gaps:?}"
    );

    // Only an admin may add a group; a bad group is refused and changes nothing.
    api.private_text(901, "/synonym 电驴 充电桩");
    assert!(has(&api.wait_sent(901, 1).await, "没有使用这个命令的权限"));
    let admin_says = |needle: &'static str| {
        let api = api.clone();
        async move {
            api.wait_for(needle, LONG, |_| has(&api.sent_to(ADMIN), needle))
                .await;
        }
    };
    api.private_text(ADMIN, "/synonym 电驴");
    admin_says("没有包含“电驴”的同义词组").await;
    api.private_text(ADMIN, "/synonym 电驴 <b>");
    admin_says("“&lt;b&gt;”不是一个词").await;
    // `#` is not cut off silently as a comment would be.
    api.private_text(ADMIN, "/synonym 电驴 充电#桩");
    admin_says("“充电#桩”不是一个词").await;
    assert_eq!(synonyms(), before);

    // A group is previewed with what it would change, and saved only on 确认添加.
    let confirm = |label: &'static str| {
        let api = api.clone();
        async move {
            let reqs = api
                .wait_for("a preview", LONG, |reqs| {
                    reqs.iter()
                        .any(|r| r.body["reply_markup"].to_string().contains("确认添加"))
                })
                .await;
            let preview = reqs
                .iter()
                .rev()
                .find(|r| r.body["reply_markup"].to_string().contains("确认添加"))
                .unwrap();
            let data = preview.body["reply_markup"]["inline_keyboard"][0]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["text"] == label)
                .unwrap()["callback_data"]
                .as_str()
                .unwrap()
                .to_owned();
            (preview.text().to_owned(), data)
        }
    };
    api.private_text(ADMIN, "/synonym 电驴 充电桩");
    let (preview, data) = confirm("确认添加").await;
    assert!(
        preview.contains("电驴（报告里没有）") && preview.contains("个的回答会改变"),
        "{preview}"
    );
    assert_eq!(synonyms(), before, "nothing is saved before 确认");
    api.press_under(ADMIN, ADMIN, &data);
    admin_says("已添加：\n· 电驴 充电桩").await;
    assert!(synonyms().ends_with("电驴 充电桩\n"), "{}", synonyms());
    api.private_text(902, "电驴");
    assert!(has(&api.wait_sent(902, 1).await, "<b>充电桩</b>"));
    api.private_text(ADMIN, "/synonym 电驴 充电桩");
    admin_says("已经在同义词表里了").await;
    api.private_text(ADMIN, "/synonym list");
    admin_says("电驴 充电桩").await;

    // A careless group: its report words never share a passage, and answers would change.
    let saved = synonyms();
    api.private_text(ADMIN, "/synonym 天气 下雨 比特币 红烧肉 经济 经济增长");
    api.wait_for("the careless preview", LONG, |reqs| {
        reqs.iter()
            .any(|r| r.text().contains("红烧肉") && r.text().contains("从不出现在同一段"))
    })
    .await;
    let (preview, cancel) = confirm("取消").await;
    assert!(
        preview.contains("⚠") && preview.contains("红烧肉（报告里没有）"),
        "{preview}"
    );
    api.press_under(ADMIN, ADMIN, &cancel);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(synonyms(), saved, "cancelled: nothing changed");

    // Undone with /synonym remove, in any order of the words; a bundled group by its number.
    api.private_text(ADMIN, "/synonym remove 充电桩 电驴");
    admin_says("已删除这组同义词：电驴 充电桩").await;
    assert!(!synonyms().contains("电驴"));
    let longest = lianghui_bot::knowledge::synonyms::list(k.path())
        .unwrap()
        .iter()
        .enumerate()
        .max_by_key(|(_, g)| g.words.len())
        .map(|(i, g)| (i + 1, g.words.clone()))
        .unwrap();
    assert!(
        longest.1.len() > 12,
        "the bundled file has a group of {}",
        longest.1.len()
    );
    api.private_text(ADMIN, &format!("/synonym remove {}", longest.0));
    let removed = format!("已删除这组同义词：{}", longest.1.join(" "));
    api.wait_for("the bundled group removed", LONG, |_| {
        has(&api.sent_to(ADMIN), &removed)
    })
    .await;
    let after = lianghui_bot::knowledge::synonyms::list(k.path()).unwrap();
    assert!(
        !after.iter().any(|g| g.words == longest.1),
        "the bundled group is gone"
    );
    api.private_text(903, "电驴");
    assert!(has(&api.wait_sent(903, 1).await, "没有找到"));
}
