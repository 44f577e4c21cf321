//! The one answer step and the knowledge service: a search fault injected behind the engine's
//! seam, pages, a second front end that needs nothing but `respond`, and announcements that
//! leave the reports' scope alone.

use lianghui_bot::answer::{self, Ask, QuestionLog, Reply};
use lianghui_bot::knowledge::Scope;
use lianghui_bot::search::{Hits, Question, Retrieve, SearchError};

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
        };
        &SCOPE
    }
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
