//! The `ask --json` line: what evaluation tools and scripts read, one JSON object per question.
//! Its field and value names are this contract's own, written out here (not derived from the
//! grading's types), so that renaming a type inside the crate never changes what scripts read.

use serde::Serialize;

use super::plain::excerpt_plain;
use crate::answer::Answer;
use crate::answer::wording::source_line;
use crate::grade::{Detail, Match, Reason, SmallTalk};

/// Longest question echoed back, in characters.
const MAX_ECHO_CHARS: usize = 500;

#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
enum Tier {
    Direct,
    Related,
    None,
}

impl From<Match> for Tier {
    fn from(m: Match) -> Tier {
        match m {
            Match::Direct => Tier::Direct,
            Match::Related => Tier::Related,
            Match::None => Tier::None,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
enum WireDetail {
    Amount,
    Count,
    Time,
    Place,
    Person,
    Procedure,
}

impl From<Detail> for WireDetail {
    fn from(d: Detail) -> WireDetail {
        match d {
            Detail::Amount => WireDetail::Amount,
            Detail::Count => WireDetail::Count,
            Detail::Time => WireDetail::Time,
            Detail::Place => WireDetail::Place,
            Detail::Person => WireDetail::Person,
            Detail::Procedure => WireDetail::Procedure,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "value")]
enum WireReason {
    OtherPlace(String),
    Wider { asked: String, area: String },
    Narrower { asked: String, area: String },
    OtherYear(i32),
    MissingDetail(WireDetail),
    Partial,
    Unclear,
    OtherPeriod { asked: i32, shown: i32 },
}

impl From<&Reason> for WireReason {
    fn from(r: &Reason) -> WireReason {
        match r {
            Reason::OtherPlace(p) => WireReason::OtherPlace(p.clone()),
            Reason::Wider { asked, area } => WireReason::Wider {
                asked: asked.clone(),
                area: area.clone(),
            },
            Reason::Narrower { asked, area } => WireReason::Narrower {
                asked: asked.clone(),
                area: area.clone(),
            },
            Reason::OtherYear(y) => WireReason::OtherYear(*y),
            Reason::MissingDetail(d) => WireReason::MissingDetail((*d).into()),
            Reason::Partial => WireReason::Partial,
            Reason::Unclear => WireReason::Unclear,
            Reason::OtherPeriod { asked, shown } => WireReason::OtherPeriod {
                asked: *asked,
                shown: *shown,
            },
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
enum WireSmallTalk {
    Greeting,
    Thanks,
    WhoAreYou,
    Goodbye,
}

impl From<SmallTalk> for WireSmallTalk {
    fn from(s: SmallTalk) -> WireSmallTalk {
        match s {
            SmallTalk::Greeting => WireSmallTalk::Greeting,
            SmallTalk::Thanks => WireSmallTalk::Thanks,
            SmallTalk::WhoAreYou => WireSmallTalk::WhoAreYou,
            SmallTalk::Goodbye => WireSmallTalk::Goodbye,
        }
    }
}

/// One line of `ask --json` output. Evaluation tools read this format: keep it stable.
#[derive(Debug, Serialize)]
pub struct JsonAnswer<'a> {
    /// The question as asked (at most [`MAX_ECHO_CHARS`] characters of it).
    question: String,
    /// `direct`, `related` or `none`; `results` is empty exactly when it is `none`.
    #[serde(rename = "match")]
    tier: Tier,
    /// Why a `related` answer is not direct.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reasons: Vec<WireReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    small_talk: Option<WireSmallTalk>,
    /// Share of the question the best passage covers.
    coverage: f32,
    results: Vec<JsonResult<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct JsonResult<'a> {
    rank: usize,
    score: f32,
    doc: &'a str,
    title: &'a str,
    section: &'a str,
    passage_id: &'a str,
    text: &'a str,
    excerpt: String,
    source: String,
}

/// At most [`MAX_ECHO_CHARS`] characters of the question, with … when cut.
fn echo(question: &str) -> String {
    crate::text::shorten(question, MAX_ECHO_CHARS).into_owned()
}

impl<'a> JsonAnswer<'a> {
    /// The line of an answer, found or not.
    pub fn new(answer: &'a Answer) -> Self {
        JsonAnswer {
            question: echo(&answer.question),
            tier: answer.tier().into(),
            reasons: answer.grade.reasons.iter().map(WireReason::from).collect(),
            small_talk: None,
            coverage: (answer.coverage * 1000.0).round() / 1000.0,
            results: answer
                .items
                .iter()
                .map(|i| JsonResult {
                    rank: i.rank,
                    score: (i.score * 1000.0).round() / 1000.0,
                    doc: &i.passage.doc_id,
                    title: &i.passage.title,
                    section: &i.passage.section,
                    passage_id: &i.passage.id,
                    text: &i.passage.text,
                    excerpt: excerpt_plain(&i.excerpt),
                    source: source_line(&i.passage, &answer.scope),
                })
                .collect(),
            error: None,
        }
    }

    /// The line of small talk: no results.
    pub fn small_talk(question: &str, kind: SmallTalk) -> Self {
        JsonAnswer {
            small_talk: Some(kind.into()),
            ..Self::rejected_with(question, None)
        }
    }

    /// The line of a question that could not be searched, with why.
    pub fn rejected(question: &str, error: String) -> Self {
        Self::rejected_with(question, Some(error))
    }

    fn rejected_with(question: &str, error: Option<String>) -> Self {
        JsonAnswer {
            question: echo(question),
            tier: Tier::None,
            reasons: Vec::new(),
            small_talk: None,
            coverage: 0.0,
            results: Vec::new(),
            error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_questions_are_not_echoed_whole() {
        let q = "问".repeat(10_000);
        let echoed = echo(&q);
        assert_eq!(echoed.chars().count(), MAX_ECHO_CHARS + 1);
    }

    #[test]
    fn the_wire_names_are_the_contract() {
        let line =
            serde_json::to_string(&JsonAnswer::small_talk("你好", SmallTalk::WhoAreYou)).unwrap();
        assert_eq!(
            line,
            r#"{"question":"你好","match":"none","small_talk":"who_are_you","coverage":0.0,"results":[]}"#
        );
        let reasons: Vec<WireReason> = [
            Reason::OtherPlace("文峰区".into()),
            Reason::MissingDetail(Detail::Time),
            Reason::Partial,
        ]
        .iter()
        .map(WireReason::from)
        .collect();
        assert_eq!(
            serde_json::to_string(&reasons).unwrap(),
            r#"[{"reason":"other_place","value":"文峰区"},{"reason":"missing_detail","value":"time"},{"reason":"partial"}]"#
        );
    }
}
