//! Retrieval quality on a question set: Recall@1, Recall@3, MRR and abstentions.
//!
//! The set is a TSV file (`id, kind, question, gold`); a result is a hit when its passage text
//! contains one of the `|`-separated gold strings, compared after width folding and whitespace
//! removal; questions of kind `ood` must abstain. Used by `lianghui-bot eval` and by the tests.

use std::path::Path;

use crate::search::{Engine, Question};
use crate::text;

/// One question of an evaluation set.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub kind: String,
    pub question: String,
    pub gold: Vec<String>,
}

/// Parses an evaluation TSV; the header line and blank lines are skipped.
pub fn parse_cases(path: &Path, text: &str) -> Result<Vec<Case>, crate::knowledge::SourceError> {
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || (i == 0 && line.starts_with("id\t")) {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 {
            return Err(crate::knowledge::SourceError::new(
                path,
                i + 1,
                "expected id, kind, question, gold separated by tabs",
            ));
        }
        let gold = cols.get(3).map_or(Vec::new(), |g| {
            g.split('|')
                .map(text::normalize)
                .filter(|g| !g.is_empty())
                .collect()
        });
        cases.push(Case {
            id: cols[0].into(),
            kind: cols[1].into(),
            question: cols[2].into(),
            gold,
        });
    }
    Ok(cases)
}

/// What happened to one question.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub case: Case,
    /// Rank (from 1) of the first hit containing a gold string.
    pub rank: Option<usize>,
    pub abstained: bool,
    pub best_coverage: f32,
}

/// Aggregate figures over a set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub answerable: usize,
    pub recall_at_1: f64,
    pub recall_at_3: f64,
    pub mrr: f64,
    pub ood: usize,
    pub ood_abstained: usize,
    /// Answerable questions the engine wrongly abstained on.
    pub false_abstentions: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "answerable {}: Recall@1 {:.3}, Recall@3 {:.3}, MRR {:.3}, wrongly abstained {}; out-of-domain {}: abstained {}",
            self.answerable,
            self.recall_at_1,
            self.recall_at_3,
            self.mrr,
            self.false_abstentions,
            self.ood,
            self.ood_abstained
        )
    }
}

/// Runs every case through the engine, looking at the top `k` results.
pub fn run(engine: &Engine, cases: &[Case], k: usize) -> (Report, Vec<Outcome>) {
    let mut outcomes = Vec::with_capacity(cases.len());
    for case in cases {
        let hits = Question::parse(&case.question)
            .ok()
            .and_then(|q| engine.search(&q, k).ok());
        let (rank, abstained, best_coverage) = match hits {
            Some(h) => {
                let rank = h.hits.iter().position(|hit| {
                    let t = text::normalize(&hit.passage.text);
                    case.gold.iter().any(|g| t.contains(g.as_str()))
                });
                (rank.map(|r| r + 1), h.abstained(), h.best_coverage)
            }
            None => (None, true, 0.0),
        };
        outcomes.push(Outcome {
            case: case.clone(),
            rank,
            abstained,
            best_coverage,
        });
    }
    let answerable: Vec<&Outcome> = outcomes.iter().filter(|o| o.case.kind != "ood").collect();
    let n = answerable.len().max(1) as f64;
    let report = Report {
        answerable: answerable.len(),
        recall_at_1: answerable.iter().filter(|o| o.rank == Some(1)).count() as f64 / n,
        recall_at_3: answerable
            .iter()
            .filter(|o| o.rank.is_some_and(|r| r <= 3))
            .count() as f64
            / n,
        mrr: answerable
            .iter()
            .map(|o| o.rank.map_or(0.0, |r| 1.0 / r as f64))
            .sum::<f64>()
            / n,
        ood: outcomes.len() - answerable.len(),
        ood_abstained: outcomes
            .iter()
            .filter(|o| o.case.kind == "ood" && o.abstained)
            .count(),
        false_abstentions: answerable.iter().filter(|o| o.abstained).count(),
    };
    (report, outcomes)
}
