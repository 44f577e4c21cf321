//! Where and when a question asks about, and which documents speak for it.
//!
//! [`places_in`] reads the places a question names: full names, short forms and everyday
//! forms from the gazetteer (四川, 咱川, 沪上), the areas of the loaded reports the gazetteer
//! does not list (北关区, 北关), words relative to the home area (省里 and 全省 are the home
//! province, 市里 its city, 区里 and 咱区 the home district), and any other word shaped like
//! an area (文峰区). [`route`] then picks the documents: a place's own reports; for a place
//! inside a covered area (杭州市 when only 浙江省 is loaded) that area's, at most `related`;
//! for an area that holds a covered one (安阳市 when only 北关区 is loaded) those, at most
//! `related`; nothing known: every report, and the reply says the place is not covered. A
//! question naming no place searches everything, the home area's reports first. Years are
//! read against each document's own year: in a 2026 report 今年 is 2026 and 去年 2025, which
//! its review part answers. Pure functions over the question and the scope.

use std::ops::Range;

use serde::Serialize;

use crate::knowledge::{DocScope, Scope};
use crate::places::{Level, gazetteer};
use crate::text::Tagged;

use super::Reason;

/// A place a question names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    /// Its full name ("四川省", "北关区"), or the word as written when nothing knows it.
    pub name: String,
    pub level: Option<Level>,
    /// What the question wrote (byte range of the folded question).
    #[serde(skip)]
    pub span: Range<usize>,
    /// Named relative to the home area (省里, 咱区).
    pub relative: bool,
}

/// Words meaning the home area at a level, relative to where the asker lives.
const RELATIVE: &[(Level, &[&str])] = &[
    (
        Level::Province,
        &[
            "全省",
            "省里",
            "本省",
            "我省",
            "咱省",
            "俺省",
            "咱们省",
            "省内",
            "全自治区",
        ],
    ),
    (
        Level::Prefecture,
        &[
            "全市",
            "市里",
            "本市",
            "我市",
            "咱市",
            "俺市",
            "咱们市",
            "市内",
        ],
    ),
    (
        Level::County,
        &[
            "全区",
            "区里",
            "本区",
            "我区",
            "咱区",
            "俺区",
            "咱们区",
            "全县",
            "县里",
            "本县",
            "咱县",
            "俺县",
        ],
    ),
];

/// What follows a place's name when it names a thing rather than the place: 安阳宾馆, 北京路.
const NOT_THE_PLACE: &[&str] = &[
    "宾馆",
    "酒店",
    "饭店",
    "路",
    "街",
    "大道",
    "大街",
    "站",
    "机场",
    "大学",
    "学院",
    "医院",
    "公园",
    "广场",
    "大厦",
    "河",
    "湖",
    "银行",
    "日报",
    "电视台",
    "中学",
    "小学",
    "高速",
];

/// The places `folded` (the question as [`crate::text::fold_for_match`] folds it, `tagged`
/// its tagged words) names, left to right.
pub fn places_in(folded: &str, tagged: &[Tagged], scope: &Scope) -> Vec<Named> {
    let mut out: Vec<Named> = Vec::new();
    let free = |out: &[Named], r: &Range<usize>| {
        out.iter()
            .all(|n| n.span.end <= r.start || r.end <= n.span.start)
    };
    let names_a_thing = |end: usize| {
        let rest = &folded[end..];
        NOT_THE_PLACE.iter().any(|s| rest.starts_with(s))
    };
    for m in gazetteer().mentions(folded) {
        if !names_a_thing(m.end) {
            out.push(Named {
                name: m.name,
                level: Some(m.level),
                span: m.start..m.end,
                relative: false,
            });
        }
    }
    // The reports' own areas the gazetteer does not list (districts and counties).
    let mut areas: Vec<&str> = Vec::new();
    for a in scope
        .documents
        .iter()
        .map(|d| d.area.as_str())
        .chain(scope.home.iter().map(String::as_str))
    {
        // Each area once: a thousand reports of one district are one area.
        if !a.is_empty() && !areas.contains(&a) && gazetteer().get(a).is_none() {
            areas.push(a);
        }
    }
    for area in areas {
        for form in crate::knowledge::names_of(area) {
            for (start, _) in folded.match_indices(form.as_str()) {
                let span = start..start + form.len();
                if free(&out, &span) && !names_a_thing(span.end) {
                    out.push(Named {
                        name: area.to_owned(),
                        level: Level::of_name(area),
                        span,
                        relative: false,
                    });
                }
            }
        }
    }
    // Other words shaped like an area (文峰区), and the nation.
    let mut at = 0;
    for Tagged { word, .. } in tagged {
        let Some(start) = folded[at..].find(word.as_str()).map(|i| i + at) else {
            continue;
        };
        let span = start..start + word.len();
        at = span.end;
        let relative = RELATIVE.iter().any(|(_, ws)| ws.contains(&word.as_str()));
        if (names_an_area(word) || word == "全国") && !relative && free(&out, &span) {
            out.push(Named {
                name: word.clone(),
                level: Level::of_name(word),
                span,
                relative: false,
            });
        }
    }
    // Relative words only when no place is named outright (四川全省 is Sichuan's).
    if out.is_empty() {
        out = relative_places(folded, scope);
    }
    out.sort_by_key(|n| n.span.start);
    out.dedup_by(|a, b| a.name == b.name);
    out
}

/// The home areas `folded` names relative to the asker (省里, 全市, 咱区), when known.
fn relative_places(folded: &str, scope: &Scope) -> Vec<Named> {
    let mut out = Vec::new();
    for (level, words) in RELATIVE {
        let home = scope.home_at(*level).or_else(|| {
            // A municipality (北京市) is a province and a city at once.
            (*level == Level::Prefecture)
                .then(|| scope.home_at(Level::Province))
                .flatten()
                .filter(|p| p.ends_with('市'))
        });
        let Some(home) = home else { continue };
        // Where someone goes (看病老得跑市里, 去省里办事) is no place asked about.
        let asked_about = |w: &&str| {
            folded
                .match_indices(*w)
                .map(|(i, _)| i)
                .find(|&i| !folded[..i].ends_with(['跑', '去', '到', '进', '往', '回', '赶']))
        };
        if let Some((w, start)) = words.iter().find_map(|w| Some((w, asked_about(w)?))) {
            out.push(Named {
                name: home.to_owned(),
                level: Some(*level),
                span: start..start + w.len(),
                relative: true,
            });
        }
    }
    out
}

/// A word naming an administrative area: two or three Chinese characters and 省/市/区/县.
pub fn names_an_area(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    (3..=4).contains(&chars.len())
        && matches!(chars[chars.len() - 1], '省' | '市' | '区' | '县')
        && chars[..chars.len() - 1]
            .iter()
            .all(|c| crate::text::is_cjk(*c))
        && !matches!(
            chars[0],
            '全' | '本'
                | '我'
                | '咱'
                | '该'
                | '各'
                | '城'
                | '市'
                | '郊'
                | '老'
                | '新'
                | '小'
                | '园'
                | '社'
                | '景'
                | '片'
                | '辖'
                | '管'
        )
}

/// Relative year words and what they add to a document's year.
const RELATIVE_YEARS: &[(&str, i32)] = &[
    ("今年", 0),
    ("本年", 0),
    ("当年", 0),
    ("去年", -1),
    ("上一年", -1),
    ("上年", -1),
    ("前年", -2),
    ("明年", 1),
    ("下一年", 1),
];

/// What a question's relative year word adds to each document's year (今年 0, 去年 −1).
pub fn year_offset(folded: &str) -> Option<i32> {
    RELATIVE_YEARS
        .iter()
        .find(|(w, _)| folded.contains(w))
        .map(|(_, o)| *o)
}

/// Which documents a question goes to, and what the reply must say about the fit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route {
    /// The documents to search (ids); empty: all.
    pub documents: Vec<String>,
    /// The area whose passages go first when the question names no place: the home area.
    pub first: Option<String>,
    /// What a relative year word adds to each document's year, when the question has one.
    pub offset: Option<i32>,
    /// Words of the question that only said where, now that the documents say it (山东省 when
    /// searching Shandong's report): left out of the search.
    pub said: Vec<String>,
    /// Why no answer can be `direct`: places or years not covered, or covered only by a
    /// wider or narrower area.
    pub reasons: Vec<Reason>,
    /// The year a question asks about in each routed document (by id), when it asks one.
    pub years: Vec<(String, i32)>,
    /// Documents that do not cover the year asked about at all.
    pub without_year: Vec<String>,
}

/// The documents that speak for `named`, and how.
fn covering<'s>(named: &Named, scope: &'s Scope) -> (Vec<&'s DocScope>, Option<Reason>) {
    let exact: Vec<&DocScope> = scope.reports().filter(|d| d.is(&named.name)).collect();
    if !exact.is_empty() {
        return (exact, None);
    }
    // A place inside a covered area: its province, from the gazetteer.
    let province = gazetteer()
        .province_of(&named.name)
        .filter(|p| *p != named.name);
    let wider: Vec<&DocScope> = scope
        .reports()
        .filter(|d| province.is_some_and(|p| d.is(p)))
        .collect();
    if let Some(d) = wider.first() {
        let reason = Reason::Wider {
            asked: named.name.clone(),
            area: d.area.clone(),
        };
        return (wider, Some(reason));
    }
    let narrower: Vec<&DocScope> = scope
        .reports()
        .filter(|d| d.above.contains(&named.name))
        .collect();
    if let Some(d) = narrower.first() {
        let reason = Reason::Narrower {
            asked: named.name.clone(),
            area: d.area.clone(),
        };
        return (narrower, Some(reason));
    }
    (Vec::new(), Some(Reason::OtherPlace(named.name.clone())))
}

/// Which documents `places` and `years` (and a relative year `offset`) go to, in `scope`.
pub fn route(
    folded: &str,
    places: &[Named],
    years: &[i32],
    offset: Option<i32>,
    scope: &Scope,
) -> Route {
    let mut route = Route::default();
    let mut docs: Vec<&DocScope> = Vec::new();
    for named in places {
        let (found, reason) = covering(named, scope);
        if reason.is_none() {
            route.said.push(folded[named.span.clone()].to_owned());
        }
        route.reasons.extend(reason);
        for d in found {
            if !docs.iter().any(|x| x.id == d.id) {
                docs.push(d);
            }
        }
    }
    // 福建厦门: a city named with its province asks the province's report about the city.
    let named: Vec<&str> = places.iter().map(|n| n.name.as_str()).collect();
    route
        .reasons
        .retain(|r| !matches!(r, Reason::Wider { area, .. } if named.contains(&area.as_str())));
    // The bot's own documents (announcements, staff answers) speak for the home area.
    let home_asked = scope
        .area
        .first()
        .is_some_and(|h| docs.iter().any(|d| d.is(h)));
    if home_asked {
        docs.extend(scope.documents.iter().filter(|d| d.generated));
    }
    route.documents = docs.iter().map(|d| d.id.clone()).collect();
    if places.is_empty() {
        // Only when some report is another area's: otherwise the preference changes nothing.
        route.first = scope
            .area
            .first()
            .filter(|h| scope.reports().any(|d| !d.is(h)))
            .cloned();
    }
    route.offset = offset;
    // Years, against the documents searched.
    let searched: Vec<&DocScope> = if docs.is_empty() {
        scope.reports().collect()
    } else {
        docs
    };
    read_years(&mut route, folded, years, offset, &searched);
    route
}

/// The years `years` (and a relative year `offset`) ask of each of the documents searched,
/// and what they do not cover.
fn read_years(
    route: &mut Route,
    folded: &str,
    years: &[i32],
    offset: Option<i32>,
    searched: &[&DocScope],
) {
    for year in years {
        let covered = searched.iter().any(|d| d.years.contains(year));
        if !covered && searched.iter().any(|d| !d.years.is_empty()) {
            route.reasons.push(Reason::OtherYear(*year));
        } else if covered {
            // The year is the part of the report to read (its review or its plan), which the
            // ranking prefers; as a word it would pull every passage that names the year.
            route.said.extend([format!("{year}年"), year.to_string()]);
        }
    }
    for d in searched {
        let asked = years
            .iter()
            .find(|y| d.years.contains(y))
            .or(years.first())
            .copied()
            .or_else(|| Some(d.year? + offset?));
        if let Some(y) = asked {
            route.years.push((d.id.clone(), y));
            if !d.years.is_empty() && !d.years.contains(&y) {
                route.without_year.push(d.id.clone());
            }
        }
    }
    if offset.is_some() && !searched.is_empty() {
        // 去年 is which part of each report to read, as a year named is.
        let words = RELATIVE_YEARS.iter().map(|(w, _)| *w);
        route
            .said
            .extend(words.filter(|w| folded.contains(w)).map(str::to_owned));
    }
    if let (Some(off), true) = (offset, years.is_empty()) {
        // 明年 in a report is its plan's next year: nothing it reports on.
        let beyond: Vec<i32> = searched
            .iter()
            .filter_map(|d| Some(d.year? + off))
            .filter(|y| !searched.iter().any(|d| d.years.contains(y)))
            .collect();
        if let Some(y) = beyond.first()
            && beyond.len() == searched.iter().filter(|d| d.year.is_some()).count()
        {
            route.reasons.push(Reason::OtherYear(*y));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, area: &str, above: &[&str], year: i32) -> DocScope {
        DocScope {
            id: id.into(),
            area: area.into(),
            level: Level::of_name(area),
            above: above.iter().map(|s| s.to_string()).collect(),
            body: "政府工作报告".into(),
            year: Some(year),
            years: vec![year - 1, year],
            generated: false,
        }
    }

    fn scope() -> Scope {
        Scope {
            area: vec!["北关区".into(), "北关".into()],
            years: vec![2024, 2026],
            home: vec!["北关区".into(), "安阳市".into(), "河南省".into()],
            documents: vec![
                doc("bg", "北关区", &["安阳市", "河南省"], 2024),
                doc("henan", "河南省", &[], 2026),
                doc("zj", "浙江省", &[], 2026),
                doc("fj", "福建省", &[], 2026),
            ],
        }
    }

    fn names(q: &str) -> Vec<String> {
        places_in(q, &[], &scope())
            .into_iter()
            .map(|n| n.name)
            .collect()
    }

    #[test]
    fn places_are_read_in_every_form_and_relative_to_home() {
        assert_eq!(names("咱河南今年育儿补贴"), ["河南省"]);
        assert_eq!(names("省里今年育儿补贴"), ["河南省"]);
        assert_eq!(names("区里的人才公寓"), ["北关区"]);
        assert_eq!(names("市里的医院"), ["安阳市"]);
        assert_eq!(names("看病老得跑市里 咱区自己的医院"), ["北关区"]);
        assert_eq!(names("去省里办事 省里今年育儿补贴"), ["河南省"]);
        assert_eq!(names("北关今年修几条路"), ["北关区"]);
        assert_eq!(names("阿拉上海保障房"), ["上海市"]);
        assert_eq!(names("咱川今年"), ["四川省"]);
        assert_eq!(names("四川全省接待游客"), ["四川省"]);
        assert!(names("安阳宾馆在哪").is_empty());
        assert!(names("人才公寓有什么政策").is_empty());
    }

    #[test]
    fn questions_go_to_the_documents_of_the_place_they_name() {
        let s = scope();
        let r = |q: &str| route(q, &places_in(q, &[], &s), &[], year_offset(q), &s);
        let henan = r("河南今年经济增长目标");
        assert_eq!(henan.documents, ["henan"]);
        assert_eq!(henan.said, ["河南", "今年"]);
        assert!(henan.reasons.is_empty());
        assert_eq!(henan.years, [("henan".to_string(), 2026)]);
        let hz = r("杭州市今年的地铁");
        assert_eq!(hz.documents, ["zj"]);
        assert!(matches!(&hz.reasons[..], [Reason::Wider { area, .. }] if area == "浙江省"));
        // 安阳市 is inside 河南省 (whose report speaks for all of it) and holds 北关区: the
        // wider report goes first; without it, the narrower one.
        let ay = r("安阳市今年的地铁");
        assert_eq!(ay.documents, ["henan"]);
        let mut district_only = s.clone();
        district_only.documents.retain(|d| d.id == "bg");
        let q = "安阳市今年的地铁";
        let ay = route(
            q,
            &places_in(q, &[], &district_only),
            &[],
            None,
            &district_only,
        );
        assert_eq!(ay.documents, ["bg"]);
        assert!(matches!(&ay.reasons[..], [Reason::Narrower { .. }]));
        let xm = r("福建厦门今年的地铁");
        assert!(xm.reasons.is_empty(), "{xm:?}");
        let sc = r("四川今年的地铁");
        assert!(sc.documents.is_empty());
        assert_eq!(sc.reasons, [Reason::OtherPlace("四川省".into())]);
        let none = r("人才公寓有什么政策");
        assert!(none.documents.is_empty() && none.reasons.is_empty());
        assert_eq!(none.first.as_deref(), Some("北关区"));
        let last = r("河南去年地区生产总值");
        assert_eq!(last.years, [("henan".to_string(), 2025)]);
        let next = r("河南明年的目标");
        assert_eq!(next.reasons, [Reason::OtherYear(2027)]);
    }
}
