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
