//! What the reports speak for: the area (the district the meetings belong to) and the years
//! they are about, derived from the documents themselves so that it stays right when next
//! year's reports are uploaded. Pure: reads documents, touches no file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Document;

/// What the knowledge base speaks for, derived from the documents themselves so that it stays
/// right when next year's reports are uploaded: the area (the district the meetings belong to)
/// and the years the reports are about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Names of the area, longest first ("北关区", "北关").
    pub area: Vec<String>,
    /// The years the reports are about, ascending.
    pub years: Vec<i32>,
}

impl Scope {
    /// The area and years the reports speak for: each report's own year (the year its text
    /// names most often, the later one on a tie), and the home area when one is given (set by
    /// the operator, or recorded from the reports the bot first opened with), else the area
    /// most meetings name, the first report's on a tie. Generated documents (announcements,
    /// FAQs) say nothing of what the reports cover and are not counted.
    pub fn of(documents: &[Document], home: Option<&str>) -> Scope {
        let mut areas: Vec<(String, usize)> = Vec::new();
        let mut years: Vec<i32> = Vec::new();
        for doc in documents.iter().filter(|d| !d.generated) {
            let named = [
                doc.meta.meeting.as_deref(),
                Some(doc.meta.headline.as_str()),
            ];
            if let Some(area) = named.into_iter().flatten().find_map(area_in) {
                match areas.iter_mut().find(|(a, _)| *a == area) {
                    Some((_, n)) => *n += 1,
                    None => areas.push((area, 1)),
                }
            }
            if let Some(year) = main_year(doc) {
                years.push(year);
            }
        }
        years.sort_unstable();
        years.dedup();
        let mut area = Vec::new();
        // The most named; among as many, the first met (max_by_key keeps the last maximum).
        let most = areas
            .iter()
            .rev()
            .max_by_key(|(_, n)| *n)
            .map(|(a, _)| a.clone());
        if let Some(name) = home.map(str::to_owned).or(most) {
            let short: String = name.chars().take(name.chars().count() - 1).collect();
            area.push(name);
            if short.chars().count() >= 2 {
                area.push(short);
            }
        }
        Scope { area, years }
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
        let bytes = text.as_bytes();
        for (i, _) in text.match_indices('年') {
            if i >= 4
                && bytes[i - 4..i].iter().all(u8::is_ascii_digit)
                && (i < 5 || !bytes[i - 5].is_ascii_digit())
                && let Ok(year) = text[i - 4..i].parse::<i32>()
                && (1949..=2100).contains(&year)
            {
                *counts.entry(year).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(year, n)| (*n, *year))
        .map(|(year, _)| year)
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
}
