//! Answer quality on a question set, by kind and by match tier.
//!
//! The set is a TSV file (`id, kind, question, gold`). `gold` is a `|`-separated list of strings
//! of which the right passage contains one (compared after width folding and whitespace
//! removal); an empty gold means the reports do not answer the question. Questions of kind
//! `ood` or `offtopic` have nothing to do with the reports and must be answered `none`; other
//! unanswerable ones (kind `related`) touch a topic of the reports and should not be answered
//! `direct`. Every question goes through the one answer step ([`crate::answer::respond_on`]), small
//! talk included. Used by `lianghui-bot eval` and by the tests.

use std::fmt;
use std::path::Path;

use crate::answer::{self, Ask, QuestionLog};
use crate::grade::Match;
use crate::knowledge::SourceError;
use crate::search::Retrieve;
use crate::text;

/// One question of an evaluation set.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub kind: String,
    pub question: String,
    pub gold: Vec<String>,
}

impl Case {
    /// Whether the reports answer it (it has a gold passage).
    pub fn answerable(&self) -> bool {
        !self.gold.is_empty()
    }

    /// Whether it has nothing to do with the reports and must be answered `none`.
    pub fn off_topic(&self) -> bool {
        matches!(self.kind.as_str(), "ood" | "offtopic")
    }
}

/// Parses an evaluation TSV; the header line and blank lines are skipped.
pub fn parse_cases(path: &Path, text: &str) -> Result<Vec<Case>, SourceError> {
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || (i == 0 && line.starts_with("id\t")) {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 {
            return Err(SourceError::new(
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
    /// Rank (from 1) of the first result containing a gold string.
    pub rank: Option<usize>,
    pub tier: Match,
    /// The reasons a `related` answer gave, as text.
    pub reasons: String,
    /// How much of the question the best passage covers.
    pub coverage: f32,
}

/// Figures for the questions of one kind (or all of them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub kind: String,
    pub questions: usize,
    pub answerable: usize,
    /// Answerable questions with the right passage first, and within the first three.
    pub at_1: usize,
    pub at_3: usize,
    pub reciprocal_rank: f64,
    pub direct: usize,
    pub related: usize,
    pub none: usize,
    /// Answerable questions answered `direct`, and those of them with the right passage first.
    pub answerable_direct: usize,
    pub direct_first: usize,
    /// Unanswerable questions answered `direct`.
    pub unanswerable_direct: usize,
    /// Off-topic questions, and those answered `none`.
    pub off_topic: usize,
    pub off_topic_none: usize,
}

impl Figures {
    fn add(&mut self, o: &Outcome) {
        self.questions += 1;
        match o.tier {
            Match::Direct => self.direct += 1,
            Match::Related => self.related += 1,
            Match::None => self.none += 1,
        }
        if o.case.answerable() {
            self.answerable += 1;
            self.at_1 += usize::from(o.rank == Some(1));
            self.at_3 += usize::from(o.rank.is_some_and(|r| r <= 3));
            self.reciprocal_rank += o.rank.map_or(0.0, |r| 1.0 / r as f64);
            if o.tier == Match::Direct {
                self.answerable_direct += 1;
                self.direct_first += usize::from(o.rank == Some(1));
            }
        } else if o.tier == Match::Direct {
            self.unanswerable_direct += 1;
        }
        if o.case.off_topic() {
            self.off_topic += 1;
            self.off_topic_none += usize::from(o.tier == Match::None);
        }
    }

    fn ratio(n: usize, of: usize) -> f64 {
        if of == 0 { 0.0 } else { n as f64 / of as f64 }
    }

    /// Share of answerable questions with the right passage first.
    pub fn recall_at_1(&self) -> f64 {
        Self::ratio(self.at_1, self.answerable)
    }

    /// Share of answerable questions with the right passage in the first three.
    pub fn recall_at_3(&self) -> f64 {
        Self::ratio(self.at_3, self.answerable)
    }

    pub fn mrr(&self) -> f64 {
        if self.answerable == 0 {
            0.0
        } else {
            self.reciprocal_rank / self.answerable as f64
        }
    }

    /// Of the answerable questions answered `direct`, the share with the right passage first.
    pub fn direct_precision(&self) -> f64 {
        Self::ratio(self.direct_first, self.answerable_direct)
    }

    /// Of the answerable questions with the right passage first, the share answered `direct`
    /// (said plainly rather than hedged).
    pub fn direct_share(&self) -> f64 {
        Self::ratio(self.direct_first, self.at_1)
    }
}

/// Figures by kind, in the order kinds first appear, and over the whole set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub kinds: Vec<Figures>,
    pub all: Figures,
}

impl Report {
    pub fn kind(&self, kind: &str) -> Option<&Figures> {
        self.kinds.iter().find(|k| k.kind == kind)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<12} {:>4} {:>6} {:>6} {:>6} {:>6} {:>7} {:>5}  direct answers right first",
            "kind", "n", "R@1", "R@3", "MRR", "direct", "related", "none"
        )?;
        for k in self.kinds.iter().chain([&self.all]) {
            let ranked = |v: f64| {
                if k.answerable > 0 {
                    format!("{v:.3}")
                } else {
                    "-".to_owned()
                }
            };
            writeln!(
                f,
                "{:<12} {:>4} {:>6} {:>6} {:>6} {:>6} {:>7} {:>5}  {}",
                k.kind,
                k.questions,
                ranked(k.recall_at_1()),
                ranked(k.recall_at_3()),
                ranked(k.mrr()),
                k.direct,
                k.related,
                k.none,
                if k.answerable_direct > 0 {
                    format!("{} of {}", k.direct_first, k.answerable_direct)
                } else {
                    "-".to_owned()
                }
            )?;
        }
        let a = &self.all;
        write!(
            f,
            "answerable {}: R@1 {:.3}, R@3 {:.3} (any tier); answered direct with the right passage first {} of {} ({:.3}); right first and said plainly (direct) {} of {} ({:.3}); unanswerable answered direct {} of {}; off-topic answered none {} of {}",
            a.answerable,
            a.recall_at_1(),
            a.recall_at_3(),
            a.direct_first,
            a.answerable_direct,
            a.direct_precision(),
            a.direct_first,
            a.at_1,
            a.direct_share(),
            a.unanswerable_direct,
            a.questions - a.answerable,
            a.off_topic_none,
            a.off_topic
        )
    }
}

/// Runs every case through the answer path, looking at the first `k` results.
pub fn run(engine: &dyn Retrieve, cases: &[Case], k: usize) -> (Report, Vec<Outcome>) {
    let mut outcomes = Vec::with_capacity(cases.len());
    for case in cases {
        let ask = Ask::first(k).without_suggestions();
        let reply = answer::respond_on(engine, None, &case.question, ask, &QuestionLog::off());
        let answer = reply.answer();
        let coverage = answer.map_or(0.0, |a| a.coverage);
        let (rank, tier, reasons) = match answer {
            Some(a) => {
                let rank = a.items.iter().position(|item| {
                    let t = text::normalize(&item.passage.text);
                    case.gold.iter().any(|g| t.contains(g.as_str()))
                });
                let reasons: Vec<String> =
                    a.grade.reasons.iter().map(|r| format!("{r:?}")).collect();
                (rank.map(|r| r + 1), a.tier(), reasons.join(","))
            }
            None => (None, Match::None, String::new()),
        };
        outcomes.push(Outcome {
            case: case.clone(),
            rank,
            tier,
            reasons,
            coverage,
        });
    }
    let mut report = Report {
        all: Figures {
            kind: "all".to_owned(),
            ..Figures::default()
        },
        ..Report::default()
    };
    for o in &outcomes {
        if !report.kinds.iter().any(|k| k.kind == o.case.kind) {
            report.kinds.push(Figures {
                kind: o.case.kind.clone(),
                ..Figures::default()
            });
        }
        if let Some(k) = report.kinds.iter_mut().find(|k| k.kind == o.case.kind) {
            k.add(o);
        }
        report.all.add(o);
    }
    (report, outcomes)
}
