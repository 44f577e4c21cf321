//! Retrieval quality on the dev questions (a copy of the shared evaluation sample).

use lianghui_bot::eval::{parse_cases, run};

#[test]
fn dev_set_meets_the_targets() {
    let path = crate::fixture("dev-questions.tsv");
    let cases = parse_cases(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        cases.len() >= 40,
        "the fixture lost questions: {}",
        cases.len()
    );
    let (report, outcomes) = run(crate::engine(), &cases, 3);
    println!("dev set: {report}");
    for o in outcomes
        .iter()
        .filter(|o| o.rank != Some(1) && o.case.kind != "ood")
    {
        println!(
            "  {} rank {:?} coverage {:.2}: {}",
            o.case.id, o.rank, o.best_coverage, o.case.question
        );
    }
    assert!(report.recall_at_1 >= 0.90, "{report}");
    assert!(report.recall_at_3 >= 0.97, "{report}");
    assert!(
        report.ood > 0 && report.ood_abstained == report.ood,
        "{report}"
    );
}

#[test]
fn extra_set_does_not_regress() {
    // A second set of questions written for this project (not the shared sample): paraphrases
    // in citizens' words and off-topic questions. Its floor guards against regressions.
    let path = crate::fixture("extra-questions.tsv");
    let cases = parse_cases(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    let (report, _) = run(crate::engine(), &cases, 3);
    println!("extra set: {report}");
    assert!(report.recall_at_3 >= 0.75, "{report}");
    assert!(
        report.ood_abstained as f64 >= report.ood as f64 * 0.85,
        "{report}"
    );
}
