//! What the reports speak for: each document's own scope (its area with the area's level and
//! the areas above it, its body, its year and every year it covers), the home area the bot
//! serves first, and the years of all of them; derived from the documents themselves so that
//! it stays right when next year's reports, or another place's, are uploaded. Pure: reads
//! documents, touches no file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Document;
use super::structure::years_in;
use crate::places::{Level, gazetteer};

/// What one document speaks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocScope {
    pub id: String,
    /// The area's full name ("河南省", "北关区"; empty when unknown).
    pub area: String,
    pub level: Option<Level>,
    /// The areas above it, nearest first ("安阳市", "河南省"), as far as they are known.
    pub above: Vec<String>,
    /// The body it speaks for (人大, 政协, 政府工作报告).
    pub body: String,
    /// The year it speaks for (a work report's plan year).
    pub year: Option<i32>,
    /// Every year it covers (its review year and its plan year).
    pub years: Vec<i32>,
    /// Made by the bot (announcements, FAQs): it speaks for nothing.
    pub generated: bool,
}

impl DocScope {
    /// Whether this document speaks for `area` itself.
    pub fn is(&self, area: &str) -> bool {
        !self.area.is_empty() && self.area == area
    }
}

/// What the knowledge base speaks for, derived from the documents themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Names of the home area, longest first ("北关区", "北关"): the area the bot serves first.
    pub area: Vec<String>,
    /// The years the reports are about, ascending.
    pub years: Vec<i32>,
    /// The home area and the areas above it, nearest first ("北关区", "安阳市", "河南省").
    #[serde(default)]
    pub home: Vec<String>,
    /// Each document's scope, generated ones included (marked), in the documents' order.
    #[serde(default)]
    pub documents: Vec<DocScope>,
}

/// The names of an area: its full name, and without its suffix when two characters or more
/// remain; a gazetteer place adds its short forms.
pub fn names_of(area: &str) -> Vec<String> {
    if area.is_empty() {
        return Vec::new();
    }
    let mut names = vec![area.to_owned()];
    if let Some(p) = gazetteer().get(area) {
        names.extend(p.short.iter().cloned());
    }
    let short: String = area.chars().take(area.chars().count() - 1).collect();
    if short.chars().count() >= 2 && !area.ends_with("自治区") {
        names.push(short);
    }
    names.dedup();
    names
}

impl Scope {
    /// The scope of each document and of all of them: each report's own area (its front
    /// matter's, or the one its meeting or title names) and year (its own, or the year its
    /// text names most often, the later one on a tie); the home area when one is given (set
    /// by the operator, or recorded from the reports the bot first opened with), else the area
    /// most reports speak for, the first report's on a tie, and none when no area is shared by
    /// two reports among several places. Generated documents (announcements, FAQs) say
    /// nothing of what the reports cover and are not counted.
    pub fn of(documents: &[Document], home: Option<&str>) -> Scope {
        let docs: Vec<DocScope> = documents.iter().map(doc_scope).collect();
        let mut areas: Vec<(String, usize)> = Vec::new();
        let mut years: Vec<i32> = Vec::new();
        for d in docs.iter().filter(|d| !d.generated) {
            if !d.area.is_empty() {
                match areas.iter_mut().find(|(a, _)| *a == d.area) {
                    Some((_, n)) => *n += 1,
                    None => areas.push((d.area.clone(), 1)),
                }
            }
            years.extend(d.year);
        }
        years.sort_unstable();
        years.dedup();
        // The most named; among as many, the first met (max_by_key keeps the last maximum).
        let most = areas
            .iter()
            .rev()
            .max_by_key(|(_, n)| *n)
            .filter(|(_, n)| *n > 1 || areas.len() <= 2)
            .map(|(a, _)| a.clone());
        let home_name = home.map(str::to_owned).or(most);
        let mut chain = Vec::new();
        if let Some(name) = &home_name {
            chain.push(name.clone());
            let known = docs.iter().find(|d| d.is(name) && !d.above.is_empty());
            match known {
                Some(d) => chain.extend(d.above.iter().cloned()),
                None => chain.extend(above(name, None)),
            }
        }
        Scope {
            area: home_name.as_deref().map(names_of).unwrap_or_default(),
            years,
            home: chain,
            documents: docs,
        }
    }

    /// The reports' scopes (generated documents left out).
    pub fn reports(&self) -> impl Iterator<Item = &DocScope> {
        self.documents.iter().filter(|d| !d.generated)
    }

    /// The home area at `level` (the home county, its city, its province), when known.
    pub fn home_at(&self, level: Level) -> Option<&str> {
        self.home
            .iter()
            .find(|a| Level::of_name(a) == Some(level))
            .map(String::as_str)
    }
}

/// The areas above `area`, nearest first: its parent when known, and the province.
fn above(area: &str, parent: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(p) = parent.filter(|p| !p.is_empty() && *p != area) {
        out.push(p.to_owned());
    }
    let g = gazetteer();
    for a in std::iter::once(area).chain(parent) {
        if let Some(province) = g.province_of(a)
            && province != area
            && !out.iter().any(|o| o == province)
        {
            out.push(province.to_owned());
        }
    }
    out
}

/// One document's scope.
fn doc_scope(doc: &Document) -> DocScope {
    let m = &doc.meta;
    let area = m.area.clone().unwrap_or_else(|| {
        [m.meeting.as_deref(), Some(m.headline.as_str())]
            .into_iter()
            .flatten()
            .find_map(area_in)
            .unwrap_or_default()
    });
    let level = m
        .level
        .as_deref()
        .and_then(Level::parse)
        .or_else(|| Level::of_name(&area));
    let year = m.year.or_else(|| main_year(doc));
    let mut years = m.years.clone();
    years.extend(year);
    years.sort_unstable();
    years.dedup();
    DocScope {
        id: doc.id.clone(),
        above: if area.is_empty() {
            Vec::new()
        } else {
            above(&area, m.parent.as_deref())
        },
        area,
        level,
        body: m.body.clone().unwrap_or_default(),
        year,
        years,
        generated: doc.generated,
    }
}

/// The administrative area at the head of a meeting's name: "北关区" of
/// "政协北关区第十届委员会第三次会议".
pub(crate) fn area_in(name: &str) -> Option<String> {
    let name = name.strip_prefix("政协").unwrap_or(name);
    let chars: Vec<char> = name.chars().take(8).collect();
    let end = chars.iter().position(|c| matches!(c, '区' | '县' | '市'))?;
    let start = end.checked_sub(2)?;
    chars[start..end]
        .iter()
        .all(|c| crate::text::is_cjk(*c))
        .then(|| chars[start..=end].iter().collect())
}

/// The earliest year a report speaks of (the [`years_in`] found before it are history).
const FIRST_YEAR: i32 = 1949;

/// The year a report names most often ("2024年"), the later one on a tie.
pub(crate) fn main_year(doc: &Document) -> Option<i32> {
    let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
    let texts =
        std::iter::once(doc.meta.headline.as_str()).chain(doc.paragraphs.iter().flat_map(|p| {
            p.section
                .iter()
                .map(String::as_str)
                .chain([p.text.as_str()])
        }));
    for text in texts {
        for year in years_in(text).into_iter().filter(|y| *y >= FIRST_YEAR) {
            *counts.entry(year).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(year, n)| (*n, *year))
        .map(|(year, _)| year)
}

/// The year a passage speaks of, from its headings (outermost first): a year its headings name, or its document's year
/// before (a review: 回顾, 过去一年) or its own (a plan: 任务, 安排); None when they say neither.
pub fn period<'a>(
    headings: impl IntoIterator<Item = &'a str>,
    doc_year: Option<i32>,
) -> Option<i32> {
    const REVIEW: &[&str] = &[
        "回顾",
        "过去一年",
        "过去的一年",
        "工作总结",
        "主要成绩",
        "取得的成绩",
        "去年工作",
    ];
    const PLAN: &[&str] = &[
        "任务",
        "安排",
        "重点工作",
        "总体要求",
        "预期目标",
        "主要目标",
    ];
    // A five-year plan's part speaks of all its years, none in particular.
    const YEARS: &[&str] = &["十五五", "十四五", "五年", "时期"];
    for part in headings {
        if let Some(y) = first_year(part) {
            return Some(y);
        }
        if YEARS.iter().any(|w| part.contains(w)) {
            return None;
        }
        if REVIEW.iter().any(|w| part.contains(w)) {
            return doc_year.map(|y| y - 1);
        }
        if PLAN.iter().any(|w| part.contains(w)) {
            return doc_year;
        }
    }
    None
}

/// The first year a report could speak of written with 年 in `text`.
fn first_year(text: &str) -> Option<i32> {
    years_in(text).into_iter().find(|y| *y >= FIRST_YEAR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::read_document;
    use std::path::Path;

    fn md(name: &str, text: &str) -> Document {
        read_document(Path::new(name), text.as_bytes()).unwrap()
    }

    #[test]
    fn scope_is_read_from_the_documents() {
        let docs = [
            md(
                "a.md",
                "+++\nheadline = \"甲\"\nmeeting = \"北关区第十一届人民代表大会第四次会议\"\n+++\n\n2023年回顾。2024年计划。2024年目标。\n",
            ),
            md(
                "b.md",
                "+++\nheadline = \"乙\"\nmeeting = \"政协北关区第十届委员会第三次会议\"\n+++\n\n2023年的报告和2024年的计划。\n",
            ),
        ];
        let scope = Scope::of(&docs, None);
        assert_eq!(scope.area, vec!["北关区".to_string(), "北关".to_string()]);
        assert_eq!(scope.years, vec![2024]);
        assert_eq!(area_in("安阳市人民代表大会"), Some("安阳市".into()));
        assert_eq!(area_in("全体会议"), None);
    }

    #[test]
    fn generated_documents_and_ties_never_move_the_scope() {
        let report = |name: &str, area: &str| {
            md(
                name,
                &format!(
                    "+++\nheadline = \"报告\"\nmeeting = \"{area}第十一届人民代表大会第四次会议\"\n+++\n\n2024年计划。\n"
                ),
            )
        };
        let mut docs = vec![report("a.md", "北关区"), report("b.md", "殷都区")];
        // A tie: the first report's area, never the one first in character order (殷 < 北 is
        // false; 北 < 殷 is true, so put 殷都区 first to be sure).
        docs.reverse();
        assert_eq!(Scope::of(&docs, None).area[0], "殷都区");
        // Three uploaded reports of another district do not move a configured home area.
        docs.extend([report("c.md", "殷都区"), report("d.md", "殷都区")]);
        assert_eq!(Scope::of(&docs, Some("北关区")).area[0], "北关区");
        // An announcement dated 2026 does not add a year.
        let mut notice = crate::knowledge::announcements_document(&[(
            "2025-12-30".to_owned(),
            "2026年元旦假期1月1日至3日暂停办公。".to_owned(),
        )])
        .unwrap();
        notice.paragraphs[0].text = "2026年元旦假期2026年1月1日至3日暂停办公。".into();
        docs.push(notice);
        assert_eq!(Scope::of(&docs, Some("北关区")).years, vec![2024]);
    }

    #[test]
    fn a_section_says_which_year_it_speaks_of() {
        assert_eq!(period(["一、2025年工作回顾"], Some(2026)), Some(2025));
        assert_eq!(period(["一、过去一年工作回顾"], Some(2026)), Some(2025));
        assert_eq!(
            period(["三、2026年重点工作", "（九）民生"], Some(2026)),
            Some(2026)
        );
        assert_eq!(period(["二、今年的主要任务"], Some(2026)), Some(2026));
        assert_eq!(period(["民生"], Some(2026)), None);
        assert_eq!(period(["二、“十五五”时期主要目标任务"], Some(2026)), None);
        assert_eq!(
            period(["一、“十四五”时期和2025年工作回顾"], Some(2026)),
            Some(2025)
        );
    }
}
