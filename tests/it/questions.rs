//! Hostile and odd questions: each gets an answer or a clear refusal, never a panic.

use lianghui_bot::answer::Answer;
use lianghui_bot::cli::plain::render_plain;
use lianghui_bot::search::{Question, QuestionError};
use lianghui_bot::telegram::html::{TELEGRAM_MAX_CHARS, render_html, split_html, visible_len};
use proptest::prelude::*;

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
