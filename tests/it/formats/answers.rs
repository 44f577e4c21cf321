//! The same report in every format an office sends (text copied from the web page, a saved
//! GBK page, Word with heading styles, Word with numbered plain paragraphs, a PDF as an
//! office suite exports it) is the same knowledge: the same questions find the same passage
//! first, under the same section, with the same source line (the PDF's adds its page).

use lianghui_bot::answer::{self, Ask, QuestionLog, Reply, wording};
use lianghui_bot::index::passages::Passage;

/// The formats of the Henan report in the fixtures.
const HENAN: [&str; 5] = [
    "henan-2026-copied.txt",
    "henan-2026-gbk.html",
    "henan-2026-styles.docx",
    "henan-2026-numbered.docx",
    "henan-2026.pdf",
];

/// The formats of the Zhejiang report in the fixtures.
const ZHEJIANG: [&str; 2] = ["zhejiang-2026-utf8.htm", "zhejiang-2026.pdf"];

/// What a resident sees of the first result: the passage's opening, its section, and the
/// source line as it would read without a page (which only a PDF has).
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    opening: String,
    section: String,
    source: String,
}

/// The first result for each question, on a knowledge base of `file` alone.
fn first_results(file: &str, questions: &[&str]) -> Vec<Option<Seen>> {
    let k = tempfile::tempdir().unwrap();
    std::fs::copy(crate::fixture("formats").join(file), k.path().join(file)).unwrap();
    let data = tempfile::tempdir().unwrap();
    let opened = crate::open_kb(k.path(), data.path());
    assert!(opened.problems.is_empty(), "{file}: {:?}", opened.problems);
    questions
        .iter()
        .map(
            |q| match answer::respond(&opened.kb, q, Ask::first(1), &QuestionLog::off()) {
                Reply::Found { answer, .. } => answer.items.first().map(|item| {
                    let p = &item.passage;
                    let without_page = Passage {
                        page: None,
                        ..p.clone()
                    };
                    let source = wording::source_line(&without_page, &answer.scope);
                    Seen {
                        opening: p
                            .text
                            .chars()
                            .filter(|c| !c.is_whitespace())
                            .take(40)
                            .collect(),
                        section: p.section.clone(),
                        source,
                    }
                }),
                _ => None,
            },
        )
        .collect()
}

fn same_across(files: &[&str], questions: &[&str]) {
    let reference = first_results(files[0], questions);
    assert!(
        reference.iter().all(Option::is_some),
        "{}: every question finds something: {reference:#?}",
        files[0]
    );
    for file in &files[1..] {
        let got = first_results(file, questions);
        for ((q, want), got) in questions.iter().zip(&reference).zip(&got) {
            assert_eq!(got, want, "{q}: {file} against {}", files[0]);
        }
    }
}

#[test]
fn the_henan_report_answers_alike_in_every_format() {
    same_across(
        &HENAN,
        &[
            "育儿补贴",
            "粮食总产量",
            "今年经济增长的预期目标是多少",
            "城镇新增就业",
            "国资国企改革",
            "老旧小区改造",
        ],
    );
}

#[test]
fn the_zhejiang_report_answers_alike_as_a_page_and_a_pdf() {
    same_across(
        &ZHEJIANG,
        &[
            "今年经济增长的预期目标是多少",
            "城镇新增就业",
            "养老服务",
            "高速公路",
        ],
    );
}

#[test]
fn a_pdf_source_line_names_its_page() {
    let k = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::fixture("formats/henan-2026.pdf"),
        k.path().join("henan-2026.pdf"),
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let opened = crate::open_kb(k.path(), data.path());
    let Reply::Found { answer, .. } =
        answer::respond(&opened.kb, "育儿补贴", Ask::first(1), &QuestionLog::off())
    else {
        panic!("found nothing")
    };
    let p = &answer.items[0].passage;
    let line = wording::source_line(p, &answer.scope);
    assert!(p.page.is_some_and(|n| n > 1), "{p:?}");
    assert!(
        line.starts_with("2026年河南省政府工作报告 · ") && line.contains("页 · 2026年1月26日"),
        "{line}"
    );
}
