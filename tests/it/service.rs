//! The knowledge service: the one answer path, with a search fault injected behind the
//! engine's seam, and pages.

use lianghui_bot::knowledge::Scope;
use lianghui_bot::search::{Hits, Question, Retrieve, SearchError};
use lianghui_bot::service::{AskError, ask};

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

#[test]
fn a_failing_search_is_an_error_of_its_own_not_an_empty_answer() {
    match ask(&Broken, "今年全区经济增长目标是多少", 0, 3) {
        Err(AskError::Search(e)) => assert!(e.to_string().contains("injected"), "{e}"),
        other => panic!("expected a search error, got {other:?}"),
    }
    // A question that cannot be searched is told apart: the person can fix that one.
    assert!(matches!(
        ask(&Broken, "   ", 0, 3),
        Err(AskError::Question(_))
    ));
}

#[test]
fn pages_follow_each_other_and_say_whether_more_exist() {
    let engine = crate::engine();
    let first = ask(engine, "项目建设", 0, 2).unwrap();
    assert_eq!(first.answer.items.len(), 2);
    assert!(first.more, "this question has more than two results");
    assert_eq!(first.answer.items[0].rank, 1);
    let second = ask(engine, "项目建设", 2, 2).unwrap();
    assert_eq!(second.answer.items[0].rank, 3);
    let shown: Vec<&str> = first
        .answer
        .items
        .iter()
        .map(|i| i.passage.id.as_str())
        .collect();
    assert!(
        second
            .answer
            .items
            .iter()
            .all(|i| !shown.contains(&i.passage.id.as_str()))
    );
    let end = ask(engine, "项目建设", 99, 2).unwrap();
    assert!(end.answer.items.is_empty() && !end.more);
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
    let page = kb.ask("2026年人才公寓有什么政策", 0, 3).unwrap();
    assert_ne!(
        page.answer.tier(),
        lianghui_bot::grade::Match::Direct,
        "a 2026 question is not answered directly by 2024 reports"
    );
    // Source lines keep the reports' year.
    let page = kb.ask("人才公寓有什么政策", 0, 3).unwrap();
    let source =
        lianghui_bot::render::source_line(&page.answer.items[0].passage, &page.answer.scope);
    assert!(source.ends_with("2024年5月31日"), "{source}");
}
