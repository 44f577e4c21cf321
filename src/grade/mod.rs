//! How well the reports answer a question: `direct`, `related` or `none`, and why.
//!
//! A binary answer-or-refuse threshold cannot tell "said in other words" from "not said", so
//! the best passage is graded instead. It is `none` when nothing of substance matched;
//! `direct` when it covers the question well, speaks for the place and year asked about, and
//! holds the kind of detail asked for (an amount, a count, a time, a place, a person) near the
//! matched words; `related` otherwise, with the reasons, so the reply can say what the reports
//! do not. Everything here works on plain data the search hands over — the question as
//! analysed ([`Asking`]), the passages it shows with their marks and scores ([`Shown`]) and the
//! scope — and imports neither tantivy nor the search: a new rule is one function here and
//! one line of wording. What is asked is read in [`asked`]; small talk in [`small_talk`].

pub mod asked;
pub mod everyday;
pub mod place;
pub mod small_talk;

use std::fmt;
use std::ops::Range;

use serde::Serialize;

use crate::text::{Tagged, fold_for_match};

pub use asked::{Asked, Detail, asked, asks_day, asks_result, detail_asked, holds_detail};
pub use place::{Named, Route, route};
pub use small_talk::{SmallTalk, small_talk};

/// How well the reports answer a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// The reports answer it.
    Direct,
    /// The reports touch on it but may not answer it.
    Related,
    /// Nothing relevant.
    None,
}

impl fmt::Display for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Match::Direct => "direct",
            Match::Related => "related",
            Match::None => "none",
        })
    }
}

/// Why an answer is `related` rather than `direct`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "value")]
pub enum Reason {
    /// The question names a place the reports do not speak for.
    OtherPlace(String),
    /// The question names a place inside an area the reports speak for as a whole (杭州市,
    /// with only 浙江省's report loaded).
    Wider { asked: String, area: String },
    /// The question names an area the reports speak for only a part of (安阳市, with only
    /// 北关区's reports loaded).
    Narrower { asked: String, area: String },
    /// The question names a year the reports are not about.
    OtherYear(i32),
    /// The question asks for a detail the best passage does not give near the matched words.
    MissingDetail(Detail),
    /// The best passage covers only part of the question.
    Partial,
    /// Several passages answer about equally well; none is clearly the answer.
    Unclear,
    /// The best passage speaks of another year than the one asked about (2026's plan for a
    /// question on 2025).
    OtherPeriod { asked: i32, shown: i32 },
}

/// The grade of a search's best passage.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    pub tier: Match,
    /// Why it is not `direct` (empty when it is).
    pub reasons: Vec<Reason>,
    /// A direct answer to "when" given by the plan the passage is part of (this year's work),
    /// not by a date: the reply says so.
    pub by_plan: bool,
}

impl Grade {
    pub fn none() -> Grade {
        Grade {
            tier: Match::None,
            reasons: Vec::new(),
            by_plan: false,
        }
    }
}

/// Coverage the best passage needs for a `direct` answer.
pub const DIRECT_COVERAGE: f32 = 0.6;

/// What the search found out about its best passage, for [`decide`].
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Share of the question's weighted words the passage holds.
    pub coverage: f32,
    /// Share of the question's things (the nouns the reports use) the passage holds.
    pub things: f32,
    /// Share of the question's words that the reports use at all (weighted) the passage holds.
    pub known: f32,
    /// Whether a word of substance (not only the area, not only single characters or very
    /// common words) matched.
    pub substantive: bool,
    /// Whether the detail asked for (if any) is near the matched words.
    pub detail_found: bool,
    /// Whether a "when" asked for is told only by the passage's being in its report's plan for
    /// its own year.
    pub by_plan: bool,
    /// Whether the best passage is clearly better than the next.
    pub clear: bool,
    /// Whether a topic word of the question stands in the passage as a word of its own.
    pub whole: bool,
    /// The year asked about and the other year the passage's section speaks of, when they
    /// differ.
    pub period: Option<(i32, i32)>,
}

/// The grade from what is asked, which documents speak for it (the route's reasons: places
/// and years not covered) and what the best passage holds.
pub fn decide(asked: &Asked, route: &Route, e: &Evidence) -> Grade {
    if !e.substantive {
        return Grade::none();
    }
    // An everyday request (a poem, tomorrow's weather) is not answered by a passage that
    // shares a word with it, only by one that matches it nearly whole.
    if asked.everyday && e.coverage < EVERYDAY_COVERAGE {
        return Grade::none();
    }
    let mut reasons = route.reasons.clone();
    if let Some((asked, shown)) = e.period {
        reasons.push(Reason::OtherPeriod { asked, shown });
    }
    if let Some(d) = asked.detail.filter(|_| !e.detail_found) {
        reasons.push(Reason::MissingDetail(d));
    }
    // Residents wrap the things they ask about in words no report uses (俺住的是危房能给拆了重盖
    // 不): a passage naming the things themselves covers the question well enough.
    let said_by_things = e.things >= THINGS_COVERAGE && e.coverage >= THINGS_FLOOR;
    // Or they wrap it in words no report uses at all (楼盖一半就停了烂尾楼到底有没有人管): a
    // passage holding most of what the reports could say of the question answers it.
    let said_by_known = e.known >= KNOWN_COVERAGE && e.coverage >= KNOWN_FLOOR;
    if (e.coverage < DIRECT_COVERAGE && !said_by_things && !said_by_known) || !e.whole {
        reasons.push(Reason::Partial);
    }
    if !e.clear {
        reasons.push(Reason::Unclear);
    }
    let direct = reasons.is_empty();
    Grade {
        tier: if direct {
            Match::Direct
        } else {
            Match::Related
        },
        reasons,
        by_plan: direct && e.by_plan,
    }
}

/// Share of the question's things (its nouns, those the reports never use included) a passage
/// must hold to be a direct answer below [`DIRECT_COVERAGE`]; measured on the five question sets
/// side by side (every direct answer's precision kept, no unanswerable question made direct).
const THINGS_COVERAGE: f32 = 0.8;
/// The coverage a passage needs at least, however many of the things it names.
const THINGS_FLOOR: f32 = 0.4;
/// Share of the question's words the reports use (weighted) a passage must hold to be a direct
/// answer below [`DIRECT_COVERAGE`] and [`THINGS_COVERAGE`]; measured with [`KNOWN_FLOOR`] on
/// the five question sets side by side (no unanswerable question made direct, every set's
/// direct precision at least 0.97).
const KNOWN_COVERAGE: f32 = 0.7;
/// The coverage a passage needs at least, however much of the known words it holds.
const KNOWN_FLOOR: f32 = 0.3;
/// Coverage an everyday request ([`everyday`]) needs to be answered at all.
const EVERYDAY_COVERAGE: f32 = 0.9;
/// Below this coverage the best passage says nothing useful: the answer is `none`.
pub const MIN_COVERAGE: f32 = 0.2;
/// How much better than the next passage the best one must score to be a direct answer.
const CLEAR_MARGIN: f32 = 0.05;
/// Leading candidates looked at for the detail a question asks for.
pub const DETAIL_CANDIDATES: usize = 5;
/// Share of the best coverage a candidate needs to go first for holding the detail asked for.
const DETAIL_COVERAGE: f32 = 0.75;

/// Whether the best candidate is worth grading at all: it covers enough of the question and a
/// word of substance matched; otherwise the answer is `none`.
pub fn worth_grading(coverage: f32, substantive: bool) -> bool {
    coverage >= MIN_COVERAGE && substantive
}

/// What grading needs of the question, analysed once by the search.
#[derive(Debug, Clone)]
pub struct Asking<'a> {
    /// The question, folded ([`fold_for_match`]).
    pub folded: &'a str,
    pub asked: &'a Asked,
    /// The question's topic words, each with its synonyms: a direct answer names one of them
    /// as a word of its own.
    pub topics: Vec<(&'a str, &'a [String])>,
    /// The names of the knowledge base's own area: never the detail asked for.
    pub area: &'a [String],
    /// Which documents the question went to, and what they do not cover.
    pub route: &'a Route,
}

/// A passage as the search shows it, for grading.
#[derive(Debug, Clone)]
pub struct Shown<'a> {
    pub text: &'a str,
    /// Its document title and section path.
    pub heading: &'a str,
    /// Whole-word marks of the question's words (byte ranges of `text`).
    pub marks: &'a [Range<usize>],
    /// Where the question's words or their parts occur at all.
    pub anchors: &'a [Range<usize>],
    pub coverage: f32,
    /// Share of the question's things (nouns the reports use) it holds.
    pub things: f32,
    /// Share of the question's words the reports use at all that it holds.
    pub known: f32,
    pub score: f32,
    /// The sentences around the anchors, folded: where a detail would be.
    pub window: &'a str,
    /// The window's tagged words (filled when the detail asked for is a place or a person).
    pub window_tags: &'a [Tagged],
    /// Its document.
    pub doc_id: &'a str,
    /// The year its section speaks of, when its headings say.
    pub period: Option<i32>,
    /// The year its document speaks for.
    pub year: Option<i32>,
}

/// Whether `c` gives the detail `q` asks for near its matched words (true when none is asked),
/// or, for a "when" that asks no day, is part of its report's plan for its own year.
pub fn gives_detail(q: &Asking, c: &Shown) -> bool {
    holds(q, c) || by_plan(q, c)
}

/// Whether the words near `c`'s matches hold the detail `q` asks for (true when none is asked).
fn holds(q: &Asking, c: &Shown) -> bool {
    let Some(d) = q.asked.detail else {
        return true;
    };
    let known = format!("{} {}", q.folded, q.area.join(" "));
    holds_detail(d, c.window, c.window_tags, &known)
}

/// Whether `q` asks when, but not which day (啥时候能换, not 几号开幕), and `c` is in the part
/// of its report that plans the report's own year (2024年重点工作安排 of a 2024 report): what a
/// report plans for its year is done that year, which answers "when" as far as reports do.
/// When the question asks when something is finished or opens (建好, 开业, 能好点), the
/// sentence must commit to the result (完成256个老旧小区燃气管道改造): work only pressed on
/// (加快推进北关区人民医院项目建设) says when it is built, not when it is done.
fn by_plan(q: &Asking, c: &Shown) -> bool {
    q.asked.detail == Some(Detail::Time)
        && !asks_day(q.folded)
        && c.period.is_some()
        && c.period == c.year
        && (!asks_result(q.folded) || marked_sentences(c).any(commits))
}

/// The sentences of `c` ([`crate::text::sentences`]) that hold a whole-word mark of the
/// question's words.
fn marked_sentences<'a>(c: &Shown<'a>) -> impl Iterator<Item = &'a str> {
    let (text, marks) = (c.text, c.marks);
    crate::text::sentences(text)
        .filter(|s| marks.iter().any(|m| m.start < s.end && s.start < m.end))
        .map(move |s| &text[s])
}

/// Whether `sentence` commits to a result within the plan's year.
fn commits(sentence: &str) -> bool {
    const DONE: &[&str] = &[
        "完成",
        "建成",
        "实现",
        "开工",
        "投用",
        "投入使用",
        "竣工",
        "通车",
        "开通",
        "开业",
        "启用",
        "新建",
        "新增",
        "消除",
        "年底",
        "年内",
        "全覆盖",
    ];
    DONE.iter().any(|w| sentence.contains(w))
}

/// Whether a candidate covering `coverage` may go first for giving the detail asked for, the
/// best covering `best`.
pub fn may_go_first(best: f32, coverage: f32) -> bool {
    coverage >= best * DETAIL_COVERAGE
}

/// When the question asks for a detail (a number, a date, a place …), the first of the
/// leading candidates that gives it near the matched words, provided it covers the question
/// nearly as well as the best: "when was it held" is answered by the passage with the date.
/// `candidates` are in rank order; None when the order should stay.
pub fn prefer_detail(q: &Asking, candidates: &[Shown]) -> Option<usize> {
    q.asked.detail?;
    let best = candidates.first()?.coverage;
    candidates
        .iter()
        .take(DETAIL_CANDIDATES)
        .position(|c| {
            may_go_first(best, c.coverage) && gives_detail(q, c) && other_period(q, c).is_none()
        })
        .filter(|&i| i > 0)
}

/// The year asked about and the other year `c` speaks of (its section's, or its document's
/// when the document does not cover the year asked), when they differ.
pub fn other_period(q: &Asking, c: &Shown) -> Option<(i32, i32)> {
    let asked = q
        .route
        .years
        .iter()
        .find(|(id, _)| id == c.doc_id)
        .map(|(_, y)| *y)?;
    let without = q.route.without_year.iter().any(|id| id == c.doc_id);
    let shown = c.period.or(c.year.filter(|_| without))?;
    (asked != shown).then_some((asked, shown))
}

/// The grade of the best passage `best`, the next one scoring `next.0` (and shown as
/// `next.1` when it was read).
pub fn grade(q: &Asking, best: &Shown, next: Option<(f32, Option<Shown>)>) -> Grade {
    // A direct answer names what was asked as a word of its own: a question word found only
    // inside another word (大事 inside 重大事故) is a coincidence of characters.
    let whole = best.marks.iter().any(|m| {
        let t = fold_for_match(&best.text[m.clone()]);
        q.topics
            .iter()
            .any(|(w, synonyms)| *w == t || synonyms.contains(&t))
    });
    // A clear winner: the next passage is not about as good, or does not give the detail
    // asked for (of the year asked) that the best one gives.
    let gives = |c: &Shown| gives_detail(q, c) && other_period(q, c).is_none();
    let clear = next.is_none_or(|(second, shown)| {
        best.score - second >= CLEAR_MARGIN
            || (q.asked.detail.is_some() && gives(best) && shown.is_some_and(|n| !gives(&n)))
    });
    let period = other_period(q, best);
    let held = holds(q, best);
    let plan = !held && by_plan(q, best);
    let evidence = Evidence {
        period,
        coverage: best.coverage,
        things: best.things,
        known: best.known,
        substantive: true,
        clear,
        whole,
        detail_found: held || plan,
        by_plan: plan,
    };
    decide(q.asked, q.route, &evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Scope;

    fn scope() -> Scope {
        Scope {
            area: vec!["北关区".into(), "北关".into()],
            years: vec![2024],
            home: vec!["北关区".into()],
            documents: vec![crate::knowledge::DocScope {
                id: "bg".into(),
                area: "北关区".into(),
                year: Some(2024),
                years: vec![2023, 2024],
                ..Default::default()
            }],
        }
    }

    #[test]
    fn details_asked_are_read_from_cue_words() {
        let cases = [
            ("人才公寓一个月租金多少", Some(Detail::Amount)),
            ("曙光北校啥时候开始招生", Some(Detail::Time)),
            ("医院建在哪条路上", Some(Detail::Place)),
            ("人大常委会主任是谁", Some(Detail::Person)),
            ("今年上多少大项目", Some(Detail::Count)),
            ("交房好几年了房本还没办下来咋整", None),
            ("人才公寓咋申请 要带啥材料", Some(Detail::Procedure)),
            ("人才公寓有什么政策", None),
        ];
        for (q, want) in cases {
            assert_eq!(detail_asked(&fold_for_match(q)), want, "{q}");
        }
    }

    #[test]
    fn details_are_found_only_where_they_are() {
        let q = "";
        assert!(holds_detail(Detail::Count, "新建人才公寓450套", &[], q));
        assert!(holds_detail(Detail::Count, "经济增长6.5%", &[], q));
        assert!(holds_detail(Detail::Count, "建设三个一批项目", &[], q));
        assert!(!holds_detail(Detail::Amount, "新建人才公寓450套", &[], q));
        assert!(holds_detail(Detail::Amount, "补贴每平方米200元", &[], q));
        assert!(holds_detail(Detail::Time, "5月31日至6月1日召开", &[], q));
        assert!(!holds_detail(Detail::Time, "加快推进医院项目建设", &[], q));
        assert!(!holds_detail(Detail::Count, "2024年重点工作", &[], q));
        let tagged = [Tagged::new("周俊英", crate::text::Pos::Person)];
        assert!(holds_detail(Detail::Person, "区长周俊英", &tagged, q));
        assert!(!holds_detail(
            Detail::Person,
            "区长周俊英",
            &tagged,
            "周俊英是谁"
        ));
        // The office asked about: a name by another office does not answer.
        assert!(!holds_detail(
            Detail::Person,
            "区长周俊英",
            &tagged,
            "主席是谁"
        ));
        assert!(holds_detail(
            Detail::Person,
            "周俊英主席",
            &tagged,
            "主席是谁"
        ));
        assert!(!holds_detail(Detail::Count, "地铁22号线", &[], q));
        assert!(!holds_detail(
            Detail::Procedure,
            "建设人才公寓450套",
            &[],
            q
        ));
        assert!(holds_detail(
            Detail::Procedure,
            "申请材料可在政务服务窗口提交",
            &[],
            q
        ));
        assert!(!holds_detail(Detail::Time, "地铁22号线开通", &[], q));
        assert!(holds_detail(Detail::Time, "6月22号开通", &[], q));
        // "When" is told by this year's plan only where the plan commits to getting it done.
        assert!(commits("完成256个老旧小区燃气管道改造更新"));
        assert!(!commits("加快推进北关区人民医院项目建设"));
        assert!(asks_day("两会几号开幕") && !asks_day("燃气管子啥时候能换"));
        assert!(asks_result("医院啥时候建好") && asks_result("空气啥时候能好点"));
        assert!(!asks_result("人民医院什么时候建") && !asks_result("燃气管子啥时候能换"));
        // A byline names who wrote the article, not who holds an office.
        assert!(!holds_detail(
            Detail::Person,
            "本报讯(记者周俊英)",
            &tagged,
            q
        ));
    }

    fn routed(q: &str, tags: &[Tagged]) -> (Asked, Route) {
        let s = scope();
        let folded = fold_for_match(q);
        let a = asked(&folded, tags, &s);
        let r = route(&folded, &a.places, &a.years, a.year_offset, &s);
        (a, r)
    }

    fn tag(w: &str, t: &str) -> Tagged {
        Tagged::new(w, crate::text::Pos::of_tag(t))
    }

    /// A passage that answers well on every count.
    fn good() -> Evidence {
        Evidence {
            coverage: 0.9,
            things: 0.9,
            known: 0.9,
            substantive: true,
            detail_found: true,
            by_plan: false,
            clear: true,
            whole: true,
            period: None,
        }
    }

    #[test]
    fn other_places_and_years_come_from_the_route() {
        let (a, r) = routed(
            "文峰区今年的重点项目有哪些",
            &[tag("文峰区", "ns"), tag("重点项目", "n")],
        );
        assert_eq!(a.places[0].name, "文峰区");
        assert_eq!(r.reasons, vec![Reason::OtherPlace("文峰区".into())]);
        let (a, r) = routed("北关区2023年GDP", &[tag("北关区", "ns"), tag("gdp", "eng")]);
        assert_eq!(
            (a.years.clone(), r.documents.clone()),
            (vec![2023], vec!["bg".to_string()])
        );
        assert!(r.reasons.is_empty(), "the review part covers 2023: {r:?}");
        let e = good();
        assert_eq!(decide(&a, &r, &e).tier, Match::Direct);
        let (a, r) = routed("全区2022年经济增长", &[tag("全区", "n")]);
        assert_eq!(a.places[0].name, "北关区");
        let g = decide(&a, &r, &e);
        assert_eq!(
            (g.tier, g.reasons),
            (Match::Related, vec![Reason::OtherYear(2022)])
        );
        let weak = Evidence {
            substantive: false,
            ..e
        };
        assert_eq!(decide(&Asked::default(), &r, &weak).tier, Match::None);
    }

    #[test]
    fn residents_words_are_answered_by_the_things_and_words_reports_use() {
        // Half the words, but every thing asked about: direct; half the things: partial.
        let (a, r) = routed("危房能给拆了重盖不", &[tag("危房", "n")]);
        let things = Evidence {
            coverage: 0.5,
            things: 1.0,
            known: 0.5,
            ..good()
        };
        assert_eq!(decide(&a, &r, &things).tier, Match::Direct);
        let half = Evidence {
            things: 0.5,
            ..things
        };
        assert_eq!(decide(&a, &r, &half).reasons, vec![Reason::Partial]);
        let little = Evidence {
            coverage: 0.3,
            ..things
        };
        assert_eq!(decide(&a, &r, &little).reasons, vec![Reason::Partial]);
        // Little of the question, but most of what the reports could hold of it: direct, unless
        // what it holds is too little of the question.
        let (a, r) = routed("楼盖一半就停了烂尾楼到底有没有人管", &[tag("烂尾楼", "n")]);
        let known = Evidence {
            coverage: 0.35,
            things: 0.4,
            known: 0.8,
            ..good()
        };
        assert_eq!(decide(&a, &r, &known).tier, Match::Direct);
        let less = Evidence {
            known: 0.6,
            ..known
        };
        assert_eq!(decide(&a, &r, &less).reasons, vec![Reason::Partial]);
        let scant = Evidence {
            coverage: 0.25,
            ..known
        };
        assert_eq!(decide(&a, &r, &scant).reasons, vec![Reason::Partial]);
        // A "when" told by this year's plan: direct, and the grade says so.
        let (a, r) = routed("燃气管子啥时候能换", &[tag("燃气", "n")]);
        assert_eq!(a.detail, Some(Detail::Time));
        let plan = Evidence {
            by_plan: true,
            ..good()
        };
        let g = decide(&a, &r, &plan);
        assert_eq!((g.tier, g.by_plan), (Match::Direct, true));
        let weak = Evidence {
            coverage: 0.25,
            known: 0.25,
            ..plan
        };
        let g = decide(&a, &r, &weak);
        assert_eq!((g.tier, g.by_plan), (Match::Related, false));
    }

    #[test]
    fn small_talk_is_recognised_only_when_it_is_all_there_is() {
        let cases = [
            ("你好", Some(SmallTalk::Greeting)),
            ("您好！", Some(SmallTalk::Greeting)),
            ("谢谢啊", Some(SmallTalk::Thanks)),
            ("你是谁 是机器人吗", Some(SmallTalk::WhoAreYou)),
            ("再见", Some(SmallTalk::Goodbye)),
            ("Hello", Some(SmallTalk::Greeting)),
            ("你好，人才公寓有什么政策", None),
            ("谢谢，那托育呢", None),
            ("", None),
        ];
        for (q, want) in cases {
            assert_eq!(small_talk(q), want, "{q}");
        }
    }
}
