//! Derives a report's METADATA from its properties and blocks: title, issuing body,
//! administrative area and level, the year it speaks for and the years it covers, the
//! delivery date and meeting, and the speaker — each with an `evidence` line saying where it
//! came from, so that the caller can let front matter / document properties override it.
//!
//! Rules:
//! - Title: `Props.title` when it is a real title (site names after "_" or "|" removed, not a
//!   menu word, names a report/meeting/work); a longer title line in the text that contains it
//!   wins; else the first title-like line before the date line; else the file stem.
//! - Date and meeting: the "——2026年1月26日在…会议上" line (also bracketed, undashed,
//!   Chinese-numeral, or cut across two lines). Speaker: "ROLE NAME" near the top.
//! - Body: 政府工作报告 → Government; 人民代表大会常务委员会工作报告 → Congress; 政协 → Cppcc;
//!   人民法院 → Court; 人民检察院 → Procuratorate; from the meeting name when the title says
//!   nothing.
//! - Area: the place before 第N届 in the meeting name, else before 人民政府/政府/人大/政协 in
//!   the title; split into components by the suffixes 省/自治区/市/自治州/地区/盟/区/县/旗; the
//!   last is the area, the one before it its parent. Level by suffix (municipalities
//!   北京/天津/上海/重庆 and 自治区 are Province; 自治州/地区/盟 and 市 are Prefecture, a 市
//!   under a 市 is County; 区/县/旗 are County), unless a gazetteer says otherwise.
//! - Year: the year in the title, else the date line's year. Years: those named in section
//!   titles (2025年工作回顾, 2026年重点工作) and those mentioned often in the text.
//!
//! It deliberately does no I/O, keeps no list of place names (that is the gazetteer hook's
//! job) and does not apply overrides itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::chars::{clen, is_cjk, trim};
use super::rules;
use super::{Analysis, Para, analyze};
use crate::knowledge::format::model::{Block, Props};
use crate::text::years_in;

/// Metadata derived from a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivedMeta {
    pub title: String,
    pub body: Option<Body>,
    pub area: Option<Area>,
    pub year: Option<i32>,
    pub years: Vec<i32>,
    /// "2026年1月26日"
    pub date: Option<String>,
    /// "河南省第十四届人民代表大会第四次会议"
    pub meeting: Option<String>,
    /// "省长 王凯"
    pub speaker: Option<String>,
    /// How each value was found.
    pub evidence: Vec<String>,
}

/// Who issues or delivers the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    /// 政府工作报告
    Government,
    /// 人大 / 人大常委会工作报告
    Congress,
    /// 政协
    Cppcc,
    /// 法院
    Court,
    /// 检察院
    Procuratorate,
    Other(String),
}

/// An administrative area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    /// 河南省, 安阳市, 北关区
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
}

pub use crate::places::Level;

/// A gazetteer: full name, level and parent for a place name, when it knows the place.
pub type Gazetteer<'a> = &'a dyn Fn(&str) -> Option<(String, Level, Option<String>)>;

/// Derive metadata using the suffix rules only.
pub fn derive(props: &Props, blocks: &[Block], file_stem: &str) -> DerivedMeta {
    derive_with(props, blocks, file_stem, &|_| None)
}

const MUNICIPALITIES: [&str; 4] = ["北京市", "天津市", "上海市", "重庆市"];

/// Clean a document-property title: drop site names after separators; None when it is not a
/// real title.
fn clean_props_title(s: &str) -> Option<String> {
    let t = trim(s);
    if t.is_empty() {
        return None;
    }
    let mut segs: Vec<&str> = Vec::new();
    for a in t.split(['_', '|', '｜']) {
        // "标题-网站名" / "标题 - 网站名" (not the "——" of a date line).
        for b in a.split(['-', '－']) {
            segs.push(trim(b));
        }
    }
    for seg in segs {
        // "政府工作报告——2026年1月26日在…上": keep the part before the date line.
        let seg = match seg.find("——") {
            Some(i) if i > 0 && rules::parse_date_line(&seg[i..]).is_some() => trim(&seg[..i]),
            _ => seg,
        };
        let site = seg.ends_with('网')
            || seg.ends_with("网站")
            || seg.contains("门户")
            || seg.ends_with("官网")
            || seg.ends_with("客户端")
            || seg.ends_with("首页");
        if !site && rules::is_title_candidate(seg) {
            return Some(seg.to_string());
        }
    }
    None
}

/// Components of a compound place name: "安阳市北关区" → ["安阳市", "北关区"].
fn split_admin(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..chars.len() {
        let c = chars[i];
        let suffix = matches!(c, '省' | '市' | '区' | '县' | '盟' | '旗')
            || (c == '州' && i >= 2 && chars[i - 2] == '自' && chars[i - 1] == '治');
        if suffix && i > start {
            out.push(chars[start..=i].iter().collect::<String>());
            start = i + 1;
        }
    }
    if start < chars.len() {
        // Trailing text without a suffix: not a place name.
        return Vec::new();
    }
    out
}

const GENERIC_STEMS: [&str; 10] = [
    "自治",
    "全",
    "本",
    "我",
    "该",
    "各",
    "省",
    "市",
    "地",
    "特别行政",
];

fn suffix_level(comp: &str, parent_level: Option<Level>) -> Option<Level> {
    let stem_ok = |suffix: &str| {
        let stem = &comp[..comp.len() - suffix.len()];
        !stem.is_empty() && !GENERIC_STEMS.contains(&stem)
    };
    if MUNICIPALITIES.contains(&comp) {
        return Some(Level::Province);
    }
    for (suffix, level) in [
        ("特别行政区", Level::Province),
        ("自治区", Level::Province),
        ("自治州", Level::Prefecture),
        ("自治县", Level::County),
        ("自治旗", Level::County),
        ("地区", Level::Prefecture),
        ("林区", Level::County),
        ("省", Level::Province),
        ("盟", Level::Prefecture),
        ("区", Level::County),
        ("县", Level::County),
        ("旗", Level::County),
    ] {
        if comp.ends_with(suffix) {
            return if stem_ok(suffix) { Some(level) } else { None };
        }
    }
    if comp.ends_with('市') {
        if !stem_ok("市") {
            return None;
        }
        return Some(if parent_level == Some(Level::Prefecture) {
            Level::County
        } else {
            Level::Prefecture
        });
    }
    None
}

/// Resolve a place string into an area (suffix rules, then the gazetteer).
fn resolve_area(place: &str, gazetteer: Gazetteer<'_>) -> Option<(Area, bool)> {
    if let Some((name, level, parent)) = gazetteer(place) {
        return Some((
            Area {
                name,
                level,
                parent,
            },
            true,
        ));
    }
    let comps = split_admin(place);
    if comps.is_empty() {
        return None;
    }
    let mut levels = Vec::with_capacity(comps.len());
    let mut parent_level = None;
    for c in &comps {
        let l = suffix_level(c, parent_level)?;
        levels.push(l);
        parent_level = Some(l);
    }
    let last = comps.len() - 1;
    if let Some((name, level, parent)) = gazetteer(&comps[last]) {
        let parent = parent.or_else(|| {
            if last > 0 {
                Some(comps[last - 1].clone())
            } else {
                None
            }
        });
        return Some((
            Area {
                name,
                level,
                parent,
            },
            true,
        ));
    }
    Some((
        Area {
            name: comps[last].clone(),
            level: levels[last],
            parent: if last > 0 {
                Some(comps[last - 1].clone())
            } else {
                None
            },
        },
        false,
    ))
}

/// The first place written right before `name` in the text ("安阳市北关区") that is one
/// level above it.
fn parent_in_text<'t>(
    name: &str,
    level: Level,
    texts: impl Iterator<Item = (&'t str, usize)>,
) -> Option<(String, usize)> {
    let want = match level {
        Level::County => [Level::Prefecture, Level::Province],
        Level::Prefecture => [Level::Province, Level::Province],
        Level::Province => return None,
    };
    const LEADING: [&str; 16] = [
        "中国共产党",
        "中共",
        "在",
        "于",
        "和",
        "与",
        "及",
        "的",
        "对",
        "从",
        "向",
        "据",
        "经",
        "由",
        "将",
        "为",
    ];
    for (t, loc) in texts.take(400) {
        for (i, _) in t.match_indices(name) {
            // The run of ideographs right before the name, without leading function words.
            let mut run: Vec<char> = t[..i]
                .chars()
                .rev()
                .take_while(|c| is_cjk(*c))
                .take(16)
                .collect();
            run.reverse();
            let mut cand: String = run.into_iter().collect();
            loop {
                let before = cand.len();
                for w in LEADING {
                    if let Some(r) = cand.strip_prefix(w) {
                        cand = r.to_string();
                    }
                }
                if cand.len() == before {
                    break;
                }
            }
            let comps = split_admin(&cand);
            let Some(last) = comps.last() else { continue };
            let mut parent_level = None;
            let mut ok = true;
            for c in &comps {
                match suffix_level(c, parent_level) {
                    Some(l) => parent_level = Some(l),
                    None => ok = false,
                }
            }
            if ok && parent_level.is_some_and(|l| want.contains(&l)) {
                return Some((last.clone(), loc));
            }
        }
    }
    None
}

fn strip_cppcc(s: &str) -> &str {
    let s = trim(s);
    for p in ["中国人民政治协商会议", "政协"] {
        if let Some(r) = s.strip_prefix(p) {
            return r;
        }
    }
    s
}

/// The place named in a meeting name: before 第N届 / N届, else before 人民代表大会/委员会.
fn place_in_meeting(meeting: &str) -> Option<String> {
    let m = strip_cppcc(meeting);
    if let Some(i) = m.find('届') {
        let head = &m[..i];
        let stem = head
            .trim_end_matches(|c: char| super::chars::is_cn_numeral_char(c) || c.is_ascii_digit());
        let stem = stem.strip_suffix('第').unwrap_or(stem);
        if !stem.is_empty() {
            return Some(stem.to_string());
        }
    }
    for w in ["人民代表大会", "政治协商会议", "委员会"] {
        if let Some(i) = m.find(w)
            && i > 0
        {
            return Some(m[..i].to_string());
        }
    }
    None
}

/// The place named in a title: before 人民政府/政府/人大/政协/人民法院/人民检察院/第N届.
fn place_in_title(title: &str) -> Option<String> {
    // Remove "2026年" anywhere and a leading 关于.
    let mut t = String::with_capacity(title.len());
    let chars: Vec<char> = trim(title).chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if i + 4 < chars.len()
            && chars[i..i + 4].iter().all(|c| c.is_ascii_digit())
            && chars[i + 4] == '年'
        {
            i += 5;
            continue;
        }
        t.push(chars[i]);
        i += 1;
    }
    let t = t.strip_prefix("关于").unwrap_or(&t).to_string();
    let t = strip_cppcc(&t).to_string();
    let mut cut = None;
    for w in [
        "人民政府",
        "政府",
        "人民代表大会",
        "人大",
        "政协",
        "政治协商会议",
        "高级人民法院",
        "中级人民法院",
        "人民法院",
        "人民检察院",
        "第",
    ] {
        if let Some(i) = t.find(w)
            && cut.is_none_or(|c| i < c)
        {
            cut = Some(i);
        }
    }
    let c = cut?;
    if c == 0 {
        return None;
    }
    let head = &t[..c];
    if head.chars().all(is_cjk) {
        Some(head.to_string())
    } else {
        None
    }
}

fn body_of(title: &str, meeting: Option<&str>) -> Option<(Body, &'static str)> {
    let t = title;
    if t.contains("人民法院") || t.contains("法院工作报告") {
        return Some((Body::Court, "title"));
    }
    if t.contains("人民检察院") || t.contains("检察院工作报告") {
        return Some((Body::Procuratorate, "title"));
    }
    if t.contains("政府工作报告") || t.contains("人民政府工作报告") {
        return Some((Body::Government, "title"));
    }
    if t.contains("政协") || t.contains("政治协商") {
        return Some((Body::Cppcc, "title"));
    }
    let standing = t.contains("常务委员会工作报告") || t.contains("常委会工作报告");
    if standing && meeting.is_some_and(|m| m.contains("政治协商会议") || m.contains("政协"))
    {
        return Some((Body::Cppcc, "title and meeting"));
    }
    if standing || t.contains("人民代表大会") || t.contains("人大") {
        return Some((Body::Congress, "title"));
    }
    if let Some(m) = meeting {
        if m.contains("政治协商会议") || m.contains("政协") {
            return Some((Body::Cppcc, "meeting"));
        }
        if t.contains("工作报告") && m.contains("人民代表大会") {
            // A work report at a congress that names no body: the congress itself.
            return Some((Body::Congress, "meeting"));
        }
    }
    if t.contains("报告") {
        return Some((Body::Other(t.to_string()), "title"));
    }
    None
}

/// Section titles that speak of a year: a review ("2025年工作回顾") or a plan
/// ("2026年重点工作") — both count as covering that year.
fn section_years(
    headings: &[(usize, String)],
    date_year: Option<i32>,
) -> BTreeMap<i32, (usize, String)> {
    let mut out: BTreeMap<i32, (usize, String)> = BTreeMap::new();
    for (loc, title) in headings {
        if clen(title) > 40 {
            continue;
        }
        let review = [
            "回顾",
            "总结",
            "成就",
            "成绩",
            "进展",
            "完成情况",
            "工作情况",
        ]
        .iter()
        .any(|w| title.contains(w));
        let plan = [
            "重点工作",
            "工作安排",
            "主要任务",
            "目标任务",
            "工作任务",
            "主要工作",
            "工作建议",
            "计划",
            "安排",
            "部署",
            "工作",
        ]
        .iter()
        .any(|w| title.contains(w));
        if !(review || plan) {
            continue;
        }
        let named = years_in(title);
        for y in &named {
            out.entry(*y)
                .or_insert_with(|| (*loc, format!("“{title}”")));
        }
        let period = plan_period(title);
        if let Some((first, last)) = period {
            // A five-year-plan period: a review covers its last year, a plan its first.
            let y = if review { last } else { first };
            out.entry(y)
                .or_insert_with(|| (*loc, format!("“{title}” ({first}–{last})")));
        }
        if named.is_empty()
            && period.is_none()
            && review
            && let Some(d) = date_year
        {
            // "工作回顾" in a report delivered in year D reviews D-1.
            out.entry(d - 1)
                .or_insert_with(|| (*loc, format!("“{title}” (a review delivered in {d})")));
        }
    }
    out
}

/// The years of a five-year plan named as “十四五” (the Nth plan: 三五 began in 1966).
fn plan_period(s: &str) -> Option<(i32, i32)> {
    let chars: Vec<char> = s.chars().collect();
    for i in 0..chars.len() {
        if chars[i] != '五' || i < 2 {
            continue;
        }
        let after_ok = chars
            .get(i + 1)
            .is_none_or(|c| matches!(c, '”' | '"' | '时' | '规' | '期' | '’'));
        let mut j = i;
        while j > 0 && super::chars::is_cn_numeral_char(chars[j - 1]) && i - j < 2 {
            j -= 1;
        }
        let before_ok = j == 0 || matches!(chars[j - 1], '“' | '"' | '‘');
        if j < i && after_ok && before_ok {
            let num: String = chars[j..i].iter().collect();
            let n = super::chars::parse_cn_number(&num)? as i32;
            if (3..=30).contains(&n) {
                let start = 1966 + 5 * (n - 3);
                return Some((start, start + 4));
            }
        }
    }
    None
}

/// Derive metadata; `gazetteer` may confirm or correct place names.
pub fn derive_with(
    props: &Props,
    blocks: &[Block],
    file_stem: &str,
    gazetteer: Gazetteer<'_>,
) -> DerivedMeta {
    let a = analyze(blocks);
    let mut ev = Vec::new();
    let f = &a.front;
    let title = choose_title(props, &a, file_stem, &mut ev);

    // Date and meeting.
    let (date, meeting, date_year) = match &f.date {
        Some(d) => {
            ev.push(format!("date and meeting from line {}", d.loc));
            (d.date.clone(), d.meeting.clone(), d.year)
        }
        None => (None, None, None),
    };
    let speaker = f.speaker.as_ref().map(|s| {
        ev.push(format!("speaker from line {} ({})", s.loc, s.how));
        match &s.role {
            Some(r) => format!("{r} {}", s.name),
            None => s.name.clone(),
        }
    });
    let body = body_of(&title, meeting.as_deref()).map(|(b, from)| {
        ev.push(format!("body {b:?} from {from}"));
        b
    });
    let mut area = find_area(&a, meeting.as_deref(), &title, gazetteer, &mut ev);
    if let Some(ar) = area.as_mut() {
        add_parent_from_text(ar, &a, &mut ev);
    }
    let year = report_year(&title, date_year, &mut ev);
    let years = covered_years(&a, date_year, year, &mut ev);
    DerivedMeta {
        title,
        body,
        area,
        year,
        years,
        date,
        meeting,
        speaker,
        evidence: ev,
    }
}

/// The title: the document property when it is a real title (unless a text title extends
/// it), else the front title, else the file stem.
fn choose_title(props: &Props, a: &Analysis, file_stem: &str, ev: &mut Vec<String>) -> String {
    let f = &a.front;
    let text_title = f
        .title
        .zip(f.title_text.clone())
        .map(|(i, t)| (t, a.units[i].loc));
    let props_title = props.title.as_deref().and_then(clean_props_title);
    match (&props_title, &text_title) {
        (Some(p), Some((t, loc))) if t.contains(p.as_str()) && clen(t) > clen(p) => {
            ev.push(format!(
                "title from line {loc} (extends the document property “{p}”)"
            ));
            t.clone()
        }
        (Some(p), _) => {
            ev.push("title from document properties".to_string());
            p.clone()
        }
        (None, Some((t, loc))) => {
            ev.push(format!("title from line {loc}"));
            t.clone()
        }
        (None, None) => {
            ev.push("title from file name".to_string());
            file_stem.to_string()
        }
    }
}

/// The area: the first place that resolves, from the meeting name, the title, then the
/// speaker line's organisation.
fn find_area(
    a: &Analysis,
    meeting: Option<&str>,
    title: &str,
    gazetteer: Gazetteer<'_>,
    ev: &mut Vec<String>,
) -> Option<Area> {
    let mut sources: Vec<(&str, Option<String>)> = vec![
        ("meeting", meeting.and_then(place_in_meeting)),
        ("title", place_in_title(title)),
    ];
    if let Some(st) = a.front.speaker_unit.map(|i| a.units[i].text.clone()) {
        sources.push(("speaker line", place_in_title(&st.replace(' ', ""))));
    }
    for (from, place) in sources {
        let Some(place) = place else { continue };
        if let Some((ar, gaz)) = resolve_area(&place, gazetteer) {
            ev.push(format!(
                "area {} ({:?}{}) from {from}{}",
                ar.name,
                ar.level,
                ar.parent
                    .as_deref()
                    .map(|p| format!(", in {p}"))
                    .unwrap_or_default(),
                if gaz {
                    ", confirmed by gazetteer"
                } else {
                    ", by suffix rule"
                }
            ));
            return Some(ar);
        }
    }
    None
}

/// A parent named in the text ("安阳市北关区") for an area below a province without one.
fn add_parent_from_text(ar: &mut Area, a: &Analysis, ev: &mut Vec<String>) {
    if ar.parent.is_some() || ar.level == Level::Province {
        return;
    }
    let texts = a.units.iter().map(|u| u.text.as_str());
    if let Some((parent, loc)) =
        parent_in_text(&ar.name, ar.level, texts.zip(a.units.iter().map(|u| u.loc)))
    {
        ev.push(format!("parent {parent} of {} from line {loc}", ar.name));
        ar.parent = Some(parent);
    }
}

/// The report's year: the year in the title, else the date line's year.
fn report_year(title: &str, date_year: Option<i32>, ev: &mut Vec<String>) -> Option<i32> {
    let title_year = years_in(title).first().copied();
    match (title_year, date_year) {
        (Some(y), _) => {
            ev.push(format!("year {y} from title"));
            Some(y)
        }
        (None, Some(y)) => {
            ev.push(format!("year {y} from date line"));
            Some(y)
        }
        _ => None,
    }
}

/// The years covered: from section titles, from frequent mentions in the paragraphs, and
/// the report's year itself; each with its reason in one evidence line.
fn covered_years(
    a: &Analysis,
    date_year: Option<i32>,
    year: Option<i32>,
    ev: &mut Vec<String>,
) -> Vec<i32> {
    let in_range = |y: i32| year.is_none_or(|py| y <= py && y >= py - 5);
    let sec = section_years(&a.headings, date_year);
    let (mentions, total) = year_mentions(&a.structured.paragraphs, date_year);
    let mut years: Vec<i32> = Vec::new();
    let mut why: Vec<String> = Vec::new();
    for (y, (loc, t)) in &sec {
        if in_range(*y) {
            years.push(*y);
            why.push(format!("{y} from section {t} (line {loc})"));
        }
    }
    for (y, n) in &mentions {
        if years.contains(y) {
            continue;
        }
        let often = *n >= 2 && n * 100 >= total * 20;
        if often && in_range(*y) {
            years.push(*y);
            why.push(format!("{y} from {n} of {total} year mentions (过去一年/今年 counted for the date line's year)"));
        }
    }
    if let Some(y) = year
        && !years.contains(&y)
    {
        years.push(y);
        why.push(format!("{y} as the report's year"));
    }
    years.sort_unstable();
    if !why.is_empty() {
        ev.push(format!("years: {}", why.join("; ")));
    }
    years
}

/// How often each year is mentioned in the paragraphs, and the total of all mentions.
/// In a report delivered in year D, 过去一年/一年来/去年 speak of D-1 and 今年 of D (counted
/// when they occur at least twice).
fn year_mentions(paragraphs: &[Para], date_year: Option<i32>) -> (BTreeMap<i32, usize>, usize) {
    let mut mentions: BTreeMap<i32, usize> = BTreeMap::new();
    let mut total = 0usize;
    for p in paragraphs {
        for y in years_in(&p.text) {
            *mentions.entry(y).or_default() += 1;
            total += 1;
        }
    }
    let Some(d) = date_year else {
        return (mentions, total);
    };
    let (mut past, mut this) = (0usize, 0usize);
    for p in paragraphs {
        for w in ["过去一年", "过去的一年", "一年来", "去年", "刚刚过去的一年"]
        {
            past += p.text.matches(w).count();
        }
        this += p.text.matches("今年").count();
    }
    if past >= 2 {
        *mentions.entry(d - 1).or_default() += past;
        total += past;
    }
    if this >= 2 {
        *mentions.entry(d).or_default() += this;
        total += this;
    }
    (mentions, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_split_and_levels() {
        let g: Gazetteer<'_> = &|_| None;
        let (a, _) = resolve_area("河南省", g).unwrap();
        assert_eq!(
            (a.name.as_str(), a.level, a.parent),
            ("河南省", Level::Province, None)
        );
        let (a, _) = resolve_area("安阳市北关区", g).unwrap();
        assert_eq!(
            (a.name.as_str(), a.level, a.parent.as_deref()),
            ("北关区", Level::County, Some("安阳市"))
        );
        let (a, _) = resolve_area("安阳市", g).unwrap();
        assert_eq!(a.level, Level::Prefecture);
        let (a, _) = resolve_area("重庆市", g).unwrap();
        assert_eq!(a.level, Level::Province);
        let (a, _) = resolve_area("广西壮族自治区", g).unwrap();
        assert_eq!(a.level, Level::Province);
        let (a, _) = resolve_area("湘西土家族苗族自治州", g).unwrap();
        assert_eq!(a.level, Level::Prefecture);
        let (a, _) = resolve_area("锡林郭勒盟", g).unwrap();
        assert_eq!(a.level, Level::Prefecture);
        let (a, _) = resolve_area("金华市义乌市", g).unwrap();
        assert_eq!((a.name.as_str(), a.level), ("义乌市", Level::County));
        let (a, _) = resolve_area("济南市市中区", g).unwrap();
        assert_eq!(a.name, "市中区");
        assert!(resolve_area("自治区", g).is_none());
        assert!(resolve_area("全省", g).is_none());
    }

    #[test]
    fn gazetteer_hook() {
        let g = |s: &str| {
            if s == "北关区" {
                Some((
                    "北关区".to_string(),
                    Level::County,
                    Some("安阳市".to_string()),
                ))
            } else {
                None
            }
        };
        let (a, gaz) = resolve_area("北关区", &g).unwrap();
        assert!(gaz);
        assert_eq!(a.parent.as_deref(), Some("安阳市"));
    }

    #[test]
    fn plan_periods() {
        assert_eq!(plan_period("“十四五”时期工作回顾"), Some((2021, 2025)));
        assert_eq!(
            plan_period("二、“十五五”时期主要目标任务"),
            Some((2026, 2030))
        );
        assert_eq!(plan_period("五年来"), None);
    }

    #[test]
    fn places() {
        assert_eq!(
            place_in_meeting("河南省第十四届人民代表大会第四次会议").as_deref(),
            Some("河南省")
        );
        assert_eq!(
            place_in_meeting("甘肃省十四届人民代表大会第四次会议").as_deref(),
            Some("甘肃省")
        );
        assert_eq!(
            place_in_meeting("政协北关区第十届委员会第四次会议").as_deref(),
            Some("北关区")
        );
        assert_eq!(
            place_in_title("2026年河南省政府工作报告").as_deref(),
            Some("河南省")
        );
        assert_eq!(
            place_in_title("陕西省2026年政府工作报告").as_deref(),
            Some("陕西省")
        );
        assert_eq!(
            place_in_title("2026年四川省人民政府工作报告").as_deref(),
            Some("四川省")
        );
        assert_eq!(place_in_title("政府工作报告"), None);
        assert_eq!(
            place_in_title("北关区第十一届人民代表大会第四次会议召开").as_deref(),
            Some("北关区")
        );
    }

    #[test]
    fn bodies() {
        assert_eq!(
            body_of("2026年河南省政府工作报告", None).unwrap().0,
            Body::Government
        );
        assert_eq!(
            body_of("河南省人民代表大会常务委员会工作报告", None)
                .unwrap()
                .0,
            Body::Congress
        );
        assert_eq!(
            body_of("政协北关区第十届委员会常务委员会工作报告", None)
                .unwrap()
                .0,
            Body::Cppcc
        );
        assert_eq!(
            body_of("河南省高级人民法院工作报告", None).unwrap().0,
            Body::Court
        );
        assert_eq!(
            body_of("河南省人民检察院工作报告", None).unwrap().0,
            Body::Procuratorate
        );
        assert_eq!(
            body_of(
                "常务委员会工作报告",
                Some("政协安阳市第十届委员会第五次会议")
            )
            .unwrap()
            .0,
            Body::Cppcc
        );
        assert_eq!(
            body_of(
                "常务委员会工作报告",
                Some("安阳市第十届人民代表大会第五次会议")
            )
            .unwrap()
            .0,
            Body::Congress
        );
    }

    #[test]
    fn props_titles() {
        assert_eq!(
            clean_props_title("2026年河南省政府工作报告_河南省人民政府门户网站").as_deref(),
            Some("2026年河南省政府工作报告")
        );
        assert_eq!(clean_props_title("河南省人民政府门户网站"), None);
        assert_eq!(
            clean_props_title("2026年河南省政府工作报告-河南省人民政府网").as_deref(),
            Some("2026年河南省政府工作报告")
        );
        assert_eq!(clean_props_title("下载"), None);
    }
}
