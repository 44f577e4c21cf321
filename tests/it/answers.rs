//! What a citizen asks and gets, at the answer step and through the bot: sourced answers and
//! helpful replies in private chats and groups, odd and hostile questions, pages, a fault
//! behind the engine's seam, a second front end that needs only the answer step, every
//! message within Telegram's limit, answers that survive a 429 and never wait for "typing".

use std::time::{Duration, Instant};

use lianghui_bot::answer::{self, Answer, Ask, QuestionLog, Reply};
use lianghui_bot::cli::plain::render_plain;
use lianghui_bot::knowledge::Scope;
use lianghui_bot::search::{Hits, Question, QuestionError, Retrieve, SearchError};
use lianghui_bot::telegram::html::{TELEGRAM_MAX_CHARS, render_html, split_html, visible_len};
use proptest::prelude::*;

use crate::fake_api::{BOT_USERNAME, Fault, TOKEN, too_many};
use crate::harness::{self, ADMIN, LONG, STAFF, has};

/// An engine whose every search fails, as a broken index or a failing disk would.
struct Broken;

impl Retrieve for Broken {
    fn search_from(&self, _: &Question, _: usize, _: usize) -> Result<Hits, SearchError> {
        Err(SearchError::Tantivy(tantivy::TantivyError::SystemError(
            "injected: the index is unreadable".into(),
        )))
    }

    fn scope(&self) -> &Scope {
        static SCOPE: Scope = Scope {
            area: Vec::new(),
            years: Vec::new(),
            home: Vec::new(),
            documents: Vec::new(),
        };
        &SCOPE
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizens_get_sourced_answers_and_helpful_replies() {
    let t = harness::bot().start().await;
    let api = &t.api;

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
            .contains("📄 <i>北关区政府工作报告 · 预期目标 全区经济增长6.5% · 2024年5月31日</i>"),
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
    assert!(!t.log().contains(TOKEN), "the token must never be logged");
    assert!(
        api.refused().is_empty(),
        "Telegram would refuse: {:?}",
        api.refused()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_survive_a_429_and_never_wait_for_the_typing_action() {
    let t = harness::bot().start().await;
    let api = &t.api;
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
async fn every_message_fits_telegrams_limit_with_many_documents_and_long_questions() {
    let t = harness::bot()
        .knowledge_with(|k| {
            for i in 0..60 {
                let title = format!(
                    "北关区第{i}号关于进一步加强和改进基层社会治理工作的实施意见及配套措施说明"
                );
                let text = format!(
                    "+++\nheadline = \"{title}\"\nmeeting = \"北关区第十一届人民代表大会常务委员会第{i}次会议\"\n+++\n\n第{i}号文件的正文。\n"
                );
                std::fs::write(k.join(format!("doc-{i:02}.md")), text).unwrap();
            }
        })
        .start()
        .await;
    let api = &t.api;
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
    assert!(has(&admin, "……共 63 份"), "{:?}", admin.first());
}

fn answer(raw: &str) -> Result<Answer, QuestionError> {
    let q = Question::parse(raw)?;
    let hits = crate::engine()
        .search(&q, 3)
        .expect("search never fails on a parsed question");
    Ok(Answer::from_hits(q.raw(), &hits, 1))
}

#[test]
fn odd_questions_are_handled() {
    let cases: &[(&str, Option<QuestionError>)] = &[
        ("", Some(QuestionError::Empty)),
        ("   \n\t ", Some(QuestionError::Empty)),
        ("😀🎉👍", Some(QuestionError::NoText)),
        ("\u{0}\u{1}\u{7f}", Some(QuestionError::Empty)),
        ("<b>经济增长</b>", None),
        ("\"经济增长\" AND title:x *:* (", None),
        ("GDP增长目标 what is it", None),
        ("人才公寓 AND OR NOT", None),
        ("::::\"\"\"", Some(QuestionError::NoText)),
    ];
    for (raw, want) in cases {
        match (answer(raw), want) {
            (Err(e), Some(w)) => assert_eq!(&e, w, "{raw:?}"),
            (Ok(_), None) => {}
            (got, want) => panic!("{raw:?}: got {got:?}, want {want:?}"),
        }
    }
    let huge = "经济".repeat(512 * 1024);
    assert!(matches!(answer(&huge), Err(QuestionError::TooLong { .. })));
}

#[test]
fn syntax_in_questions_does_not_steer_the_query() {
    let plain = answer("经济增长目标").unwrap();
    let noisy = answer("\"经济增长\" AND 目标:").unwrap();
    assert_eq!(plain.items[0].passage.id, noisy.items[0].passage.id);
}

#[test]
fn html_of_an_answer_is_balanced_and_escaped() {
    let a = answer("<script>经济增长</script>").unwrap();
    let html = render_html(&a, a.items.len());
    assert!(!html.contains("<script>"));
    assert_eq!(html.matches("<b>").count(), html.matches("</b>").count());
}

fn on(engine: &dyn Retrieve, raw: &str, offset: usize, size: usize) -> Reply {
    let ask = Ask::after(offset, size);
    answer::respond_on(engine, None, raw, ask, &QuestionLog::off())
}

#[test]
fn a_failing_search_is_an_error_of_its_own_not_an_empty_answer() {
    match on(&Broken, "今年全区经济增长目标是多少", 0, 3) {
        Reply::Unavailable { question } => assert_eq!(question, "今年全区经济增长目标是多少"),
        other => panic!("expected the search to be unavailable, got {other:?}"),
    }
    // A question that cannot be searched is told apart: the person can fix that one.
    assert!(matches!(on(&Broken, "   ", 0, 3), Reply::Rejected { .. }));
}

#[test]
fn pages_follow_each_other_and_say_whether_more_exist() {
    let engine = crate::engine();
    let page = |offset| match on(engine, "项目建设", offset, 2) {
        Reply::Found { answer, more, .. } => (answer, more),
        Reply::NotFound { answer, .. } => (answer, false),
        other => panic!("{other:?}"),
    };
    let (first, more) = page(0);
    assert_eq!(first.items.len(), 2);
    assert!(more, "this question has more than two results");
    assert_eq!(first.items[0].rank, 1);
    let (second, _) = page(2);
    assert_eq!(second.items[0].rank, 3);
    let shown: Vec<&str> = first.items.iter().map(|i| i.passage.id.as_str()).collect();
    assert!(
        second
            .items
            .iter()
            .all(|i| !shown.contains(&i.passage.id.as_str()))
    );
    let (end, more) = page(99);
    assert!(end.items.is_empty() && !more);
}

/// A second front end, as small as one can be: a question in, one line of text out, with
/// nothing but the answer step. Every state of a reply is reachable and worded.
fn minimal_front_end(kb: &lianghui_bot::service::KnowledgeBase, raw: &str) -> String {
    use lianghui_bot::answer::wording;
    match answer::respond(kb, raw, Ask::first(1), &QuestionLog::off()) {
        Reply::Found { answer, .. } => format!(
            "{} {} —— {}",
            wording::lead(&answer),
            answer.items[0].excerpt.text,
            wording::source_line(&answer.items[0].passage, &answer.scope)
        ),
        Reply::NotFound { suggestions, .. } => wording::not_found_text(&suggestions),
        Reply::SmallTalk { kind, scope, .. } => wording::small_talk_text(kind, &scope),
        Reply::Rejected { error, .. } => wording::rejection_text(&error),
        Reply::Unavailable { .. } => wording::UNAVAILABLE_TEXT.to_owned(),
    }
}

#[test]
fn a_second_front_end_needs_nothing_but_the_answer_step() {
    let data = tempfile::tempdir().unwrap();
    let kb = crate::open_kb(&crate::knowledge(), data.path()).kb;
    let found = minimal_front_end(&kb, "今年全区经济增长目标是多少？");
    assert!(
        found.starts_with("报告里是这样说的：")
            && found.contains("6.5%")
            && found.contains("2024年5月31日"),
        "{found}"
    );
    let none = minimal_front_end(&kb, "比特币多少钱");
    assert!(
        none.contains("没有找到") && none.contains("您可以试试问"),
        "{none}"
    );
    assert!(minimal_front_end(&kb, "你好").starts_with("您好"));
    assert!(minimal_front_end(&kb, "  ").contains("请输入您的问题"));
    // It logs nothing when told so; the bot's front end logs with a keyed hash instead.
    let metrics = lianghui_bot::metrics::Metrics::default();
    let logged = answer::respond(
        &kb,
        "人才公寓",
        Ask::first(3),
        &QuestionLog::asked(5, 6, &metrics),
    );
    let Reply::Found {
        question: Some(id), ..
    } = logged
    else {
        panic!("{logged:?}")
    };
    assert_eq!(
        kb.store().question_text(id).unwrap().as_deref(),
        Some("人才公寓")
    );
    assert!(
        metrics
            .render(0, Default::default())
            .contains("lianghui_questions_total{outcome=\"answered\"} 1")
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn any_input_gets_an_answer_or_a_refusal(raw in "\\PC{0,80}|[\\x00-\\x7f]{0,40}|[经济增长人才公寓\"*:AND ()]{0,30}") {
        if let Ok(a) = answer(&raw) {
            let plain = render_plain(&a);
            prop_assert!(a.abstained() || !plain.is_empty());
            for item in &a.items {
                prop_assert!(item.excerpt.text.chars().count() <= 150);
            }
            for msg in split_html(&render_html(&a, a.items.len()), TELEGRAM_MAX_CHARS) {
                prop_assert!(visible_len(&msg) <= TELEGRAM_MAX_CHARS);
            }
        }
    }
}
