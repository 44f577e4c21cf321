//! What the bot says, in Chinese and free of any format: the lead that says how well the
//! reports answer (报告里是这样说的 / 报告里没有直接的答案 / 报告里没有找到直接的答案), the
//! one short source line under an excerpt, the full path and provenance for 原文, replies to
//! small talk, not-found and rejected questions, the list of documents, and how many excerpts
//! fit one phone screen. Front ends escape and lay these out; nothing here knows HTML.

use crate::answer::{Answer, Item};
use crate::grade::{Detail, Match, Reason, SmallTalk};
use crate::index::passages::{Passage, SECTION_SEP};
use crate::index::{DocSummary, Manifest};
use crate::knowledge::Scope;
use crate::search::QuestionError;

/// About how many characters the first reply may hold: what a resident reads at a glance.
pub const SCREEN_CHARS: usize = 300;
/// Most excerpts one reply shows.
pub const MAX_SHOWN: usize = 3;
/// How close (in score) a second result must be to the first for a direct answer to show it.
const CLOSE_SCORE: f32 = 0.15;
/// What every front end says when the search itself failed (I/O, a broken index).
pub const UNAVAILABLE_TEXT: &str = "暂时无法回答，请稍后再试。";
/// What leads a `direct` answer.
pub const DIRECT_LEAD: &str = "报告里是这样说的：";
/// What leads a `related` answer that names what the reports do not cover.
pub const RELATED_LEAD: &str = "报告里没有直接的答案，下面的内容可能有关：";
/// What leads a `related` answer whose only doubt is how well the passage matches (part of the
/// question's words, or no clear winner): the reports may well answer it, so the bot says it
/// found no direct answer rather than that the reports have none.
pub const CLOSEST_LEAD: &str = "报告里没有找到直接的答案，下面的内容可能有关：";
/// What the bot says when the reports do not answer a question.
pub const NOT_FOUND_TEXT: &str = "抱歉，两会报告里没有找到与这个问题相关的内容。";

/// Most areas a reply names one by one; more are counted.
const NAMED_AREAS: usize = 3;

/// "北关区2024年", "北关区2024年、河南省2026年", "安徽省、北京市、重庆市等31个地方2026年":
/// the areas and years the reports speak for, as people say it.
pub fn scope_phrase(scope: &Scope) -> String {
    let home = scope.area.first().map(String::as_str);
    let mut areas: Vec<(&str, Vec<i32>)> = Vec::new();
    for d in scope.reports() {
        match areas.iter_mut().find(|(a, _)| *a == d.area) {
            Some((_, years)) => years.extend(d.year),
            None => areas.push((d.area.as_str(), d.year.into_iter().collect())),
        }
    }
    areas.retain(|(a, _)| !a.is_empty());
    areas.sort_by_key(|(a, _)| Some(*a) != home);
    let years = |ys: &[i32]| {
        let mut ys = ys.to_vec();
        ys.sort_unstable();
        ys.dedup();
        ys.iter()
            .map(|y| format!("{y}年"))
            .collect::<Vec<_>>()
            .join("、")
    };
    if areas.is_empty() {
        return format!("{}{}", home.unwrap_or_default(), years(&scope.years));
    }
    if areas.len() > NAMED_AREAS {
        let names: Vec<&str> = areas[..NAMED_AREAS].iter().map(|(a, _)| *a).collect();
        return format!(
            "{}等{}个地方{}",
            names.join("、"),
            areas.len(),
            years(&scope.years)
        );
    }
    areas
        .iter()
        .map(|(a, ys)| format!("{a}{}", years(ys)))
        .collect::<Vec<_>>()
        .join("、")
}

/// 全省, 全市, 全区: the whole of an area, by its level.
fn whole_of(area: &str) -> &'static str {
    match crate::places::Level::of_name(area) {
        Some(crate::places::Level::Province) if area.ends_with('市') => "全市",
        Some(crate::places::Level::Province) if area.ends_with("自治区") => "全区",
        Some(crate::places::Level::Province) => "全省",
        Some(crate::places::Level::Prefecture) => "全市",
        Some(crate::places::Level::County) if area.ends_with('县') => "全县",
        _ => "全区",
    }
}

/// The meeting date as people read it: the report's own words, with the year when the report
/// leaves it out — its document's own year, or the one year the knowledge base speaks for
/// ("2024年5月31日").
pub fn meeting_date(p: &Passage, scope: &Scope) -> String {
    if p.dates.is_empty() || p.dates.contains('年') {
        return p.dates.clone();
    }
    match (p.year, scope.years.as_slice()) {
        (Some(year), _) => format!("{year}年{}", p.dates),
        (None, [year]) => format!("{year}年{}", p.dates),
        _ => p.dates.clone(),
    }
}

/// Longest title a source line names as it is; a longer one is named by its area and body
/// (北关区人大, 北关区政府工作报告), the full title being in 原文.
const SHORT_TITLE_CHARS: usize = 16;
/// About how many characters one line of a phone shows: a source line is cut to fit.
const PHONE_LINE_CHARS: usize = 44;

/// The document as a stranger understands it, out of context: its title when that names
/// its area and is short ("2026年河南省政府工作报告"), else its area and body
/// ("北关区政府工作报告", "北关区人大"), else a short title, with its area when it has one.
pub fn document_name(p: &Passage) -> String {
    let chars = p.title.chars().count();
    let area = p.area.as_str();
    if !area.is_empty() && p.title.contains(area) && chars <= SHORT_TITLE_CHARS {
        return p.title.clone();
    }
    if !p.body.is_empty() && !area.is_empty() {
        return if p.body.contains(area) {
            p.body.clone()
        } else {
            format!("{area}{}", p.body)
        };
    }
    if chars <= SHORT_TITLE_CHARS || p.body.is_empty() {
        let title = crate::text::shorten(&p.title, SHORT_TITLE_CHARS);
        return if area.is_empty() || p.title.contains(area) {
            title.into_owned()
        } else {
            format!("{area}{title}")
        };
    }
    p.body.clone()
}

/// One short source line that stands alone, forwarded anywhere: document · section · page ·
/// meeting date ("北关区政府工作报告 · 预期目标 全区经济增长6.5% · 2024年5月31日"), cut to one
/// phone line by shortening the section, never the document or the date.
pub fn source_line(p: &Passage, scope: &Scope) -> String {
    let document = document_name(p);
    let date = meeting_date(p, scope);
    let page = p.page.map(|n| format!("第{n}页")).unwrap_or_default();
    let section = p.section.rsplit(SECTION_SEP).next().unwrap_or_default();
    let fixed: usize = [&document, &page, &date]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().count() + 3)
        .sum();
    let room = PHONE_LINE_CHARS.saturating_sub(fixed).max(8);
    let section = crate::text::shorten(section, room);
    [document.as_str(), &section, &page, &date]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The full path of a passage: "《headline》 › section › subsection".
pub fn source_path(p: &Passage) -> String {
    if p.section.is_empty() {
        format!("《{}》", p.title)
    } else {
        format!("《{}》{SECTION_SEP}{}", p.title, p.section)
    }
}

/// "政府工作报告 · 北关区第十一届人民代表大会第四次会议 · 5月31日": who speaks, at which
/// meeting, when.
pub fn provenance(p: &Passage, scope: &Scope) -> String {
    [p.body.clone(), p.meeting.clone(), meeting_date(p, scope)]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// What a detail asked for is called in a reply.
fn detail_name(d: Detail) -> &'static str {
    match d {
        Detail::Amount => "具体金额",
        Detail::Count => "具体数字",
        Detail::Time => "具体时间",
        Detail::Place => "具体地点",
        Detail::Person => "具体人员",
        Detail::Procedure => "怎么申请、办理",
    }
}

/// The lead of an answer: that the reports answer it, or (for `related`) what they do not say
/// and that what follows may be related, or (when only the match is in doubt) that it is the
/// closest they say. Empty for `none` and for 更多 pages.
pub fn lead(answer: &Answer) -> String {
    let Some(first) = answer.items.first().filter(|i| i.rank == 1) else {
        return String::new();
    };
    // The bot's own documents are no report: a staff answer or an announcement says so.
    if let Some(own) = own_document(&first.passage, &answer.scope) {
        let direct = answer.tier() == Match::Direct;
        return match (own, direct) {
            (Own::StaffAnswer, true) => "工作人员答复过这个问题：",
            (Own::StaffAnswer, false) => "工作人员答复过相近的问题，可能有帮助：",
            (Own::Announcement, true) => "通知公告里是这样说的：",
            (Own::Announcement, false) => "通知公告里有相关的内容：",
        }
        .to_owned();
    }
    // A plan gives the year, though not the day: say which year's plan the passage is in.
    let plan = dated_section(&first.passage, &answer.scope);
    if answer.tier() == Match::Direct {
        // "When" answered by the plan the passage is in: say it is this year's work, no date.
        return match (plan, first.passage.year) {
            _ if !answer.grade.by_plan => DIRECT_LEAD.to_owned(),
            (Some(plan), _) => format!("报告把这项工作列在“{plan}”里（没有写具体日期）："),
            // A plan whose headings name no year (今年主要任务): the report's own year.
            (None, Some(year)) => format!("报告把这项工作列在{year}年的安排里（没有写具体日期）："),
            (None, None) => DIRECT_LEAD.to_owned(),
        };
    }
    let scope = scope_phrase(&answer.scope);
    let reasons = &answer.grade.reasons;
    // What the reports cover comes first; the missing detail only when the scope is right.
    let scope_note = reasons.iter().find_map(|r| match r {
        Reason::OtherPlace(place) => {
            Some(format!("这些报告讲的是{scope}的安排，没有专门谈{place}。"))
        }
        Reason::Wider { asked, area } => Some(format!(
            "这些报告讲的是{area}{}的安排，没有专门谈{asked}。",
            whole_of(area)
        )),
        Reason::Narrower { asked, area } => Some(format!(
            "这些报告只讲{area}的安排，没有{asked}{}的内容。",
            whole_of(asked)
        )),
        Reason::OtherYear(year) => Some(match answer.items.first().map(|i| &i.passage) {
            // The report it went to: 四川省的报告讲的是2026年的安排.
            Some(p) if !p.area.is_empty() && p.year.is_some() => format!(
                "{}的报告讲的是{}年的安排，没有{year}年的内容。",
                p.area,
                p.year.unwrap_or_default()
            ),
            _ => format!("这些报告讲的是{scope}的安排，没有{year}年的内容。"),
        }),
        Reason::OtherPeriod { .. } => None,
        _ => None,
    });
    let detail = reasons.iter().find_map(|r| match r {
        Reason::MissingDetail(d) => Some(*d),
        _ => None,
    });
    let period = reasons.iter().find_map(|r| match r {
        Reason::OtherPeriod { asked, shown } => Some((*asked, *shown)),
        _ => None,
    });
    match (scope_note, detail) {
        (Some(note), _) => format!("{note}{RELATED_LEAD}"),
        (None, _) if period.is_some() => {
            let (asked, shown) = period.unwrap_or_default();
            format!("报告里没有找到{asked}年的这项内容，下面是{shown}年的，可能有关：")
        }
        (None, Some(Detail::Time)) if plan.is_some() => format!(
            "报告里没有直接的答案（没有写具体时间，列在“{}”里），下面的内容可能有关：",
            plan.unwrap_or_default()
        ),
        (None, Some(d)) => format!(
            "报告里没有直接的答案（没有写{}），下面的内容可能有关：",
            detail_name(d)
        ),
        (None, None) => CLOSEST_LEAD.to_owned(),
    }
}

/// A document the bot made itself, not a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Own {
    /// The staff's answers (常见问题).
    StaffAnswer,
    Announcement,
}

/// Which of the bot's own documents `p` is from, when it is from one.
fn own_document(p: &Passage, scope: &Scope) -> Option<Own> {
    let generated = scope
        .documents
        .iter()
        .any(|d| d.id == p.doc_id && d.generated);
    generated.then(|| {
        if p.title == crate::knowledge::FAQ_TITLE {
            Own::StaffAnswer
        } else {
            Own::Announcement
        }
    })
}

/// The section of `passage` (innermost first) that names one of the years the reports speak
/// for, such as 2024年重点工作安排.
fn dated_section<'p>(passage: &'p Passage, scope: &Scope) -> Option<&'p str> {
    passage
        .section
        .rsplit(SECTION_SEP)
        .find(|part| scope.years.iter().any(|y| part.contains(&format!("{y}年"))))
}

/// The friendly reply to small talk, saying what the bot can do.
pub fn small_talk_text(kind: SmallTalk, scope: &Scope) -> String {
    let can = format!(
        "我可以回答{}“两会”报告里的问题，比如今年的发展目标、重点项目、上学、看病、住房、就业。直接把问题发给我就行。",
        scope_phrase(scope)
    );
    match kind {
        SmallTalk::Greeting => format!("您好！{can}"),
        SmallTalk::Thanks => "不客气！还有想了解的，随时问我。".to_owned(),
        SmallTalk::WhoAreYou => format!("我是两会问答机器人，回答都摘自报告原文并注明出处。{can}"),
        SmallTalk::Goodbye => "再见！有问题随时来问。".to_owned(),
    }
}

/// The not-found reply, with questions the reports do answer, near the citizen's words.
pub fn not_found_text(suggestions: &[String]) -> String {
    let mut out = NOT_FOUND_TEXT.to_owned();
    if !suggestions.is_empty() {
        out.push_str("\n\n您可以试试问：");
        for s in suggestions {
            out.push_str(&format!("\n· {s}"));
        }
    }
    out.push_str("\n\n发送 /sources 查看我读过的报告。");
    out
}

/// The message a citizen sees for a question that cannot be searched.
pub fn rejection_text(e: &QuestionError) -> String {
    match e {
        QuestionError::Empty => "请输入您的问题，例如：今年全区经济增长目标是多少？".to_owned(),
        QuestionError::TooLong { max, .. } => format!("问题太长了，请精简到 {max} 字以内。"),
        QuestionError::NoText => "没有看到文字，请用文字描述您的问题。".to_owned(),
    }
}

/// Circled numbers that tie an excerpt to its 原文 button.
pub fn marker(n: usize) -> String {
    char::from_u32(0x2460 + n.saturating_sub(1).min(19) as u32)
        .map_or_else(|| format!("({n})"), String::from)
}

/// Characters a block shows on a screen, about.
fn screen_chars(item: &Item, scope: &Scope) -> usize {
    item.excerpt.text.chars().count() + source_line(&item.passage, scope).chars().count() + 6
}

/// How many of the answer's items its reply shows: a direct answer's clear winner alone, or
/// the results close to it; never more than [`MAX_SHOWN`] or one screen ([`SCREEN_CHARS`]).
pub fn shown(answer: &Answer) -> usize {
    let Some(first) = answer.items.first() else {
        return 0;
    };
    let mut chars = lead(answer).chars().count() + screen_chars(first, &answer.scope);
    let mut n = 1;
    for item in answer.items.iter().skip(1).take(MAX_SHOWN - 1) {
        let clear_winner = first.rank == 1
            && answer.tier() == Match::Direct
            && item.score < first.score - CLOSE_SCORE;
        // A further excerpt earns its place with a distinctive word of the question (the
        // only ones marked); one sharing only a common word is noise.
        let distinct = !item.excerpt.marks.is_empty();
        chars += screen_chars(item, &answer.scope);
        if clear_winner || !distinct || chars > SCREEN_CHARS {
            break;
        }
        n += 1;
    }
    n
}

/// The source line under each of the first `shown` items, None where the next item has the
/// same one: a run of excerpts from one place is followed by its source once.
pub fn sources(answer: &Answer, shown: usize) -> Vec<Option<String>> {
    let items = &answer.items[..shown.min(answer.items.len())];
    let lines: Vec<String> = items
        .iter()
        .map(|i| source_line(&i.passage, &answer.scope))
        .collect();
    (0..lines.len())
        .map(|i| (lines.get(i + 1) != Some(&lines[i])).then(|| lines[i].clone()))
        .collect()
}

/// The reports of the knowledge base by area, the home area first, each area with its years
/// and its documents (the bot's own announcements aside).
pub fn reports_by_area(m: &Manifest) -> Vec<(String, Vec<&DocSummary>)> {
    let mut groups: Vec<(String, Vec<&DocSummary>)> = Vec::new();
    let home = m.scope.area.first().cloned().unwrap_or_default();
    for d in m.documents.iter().filter(|d| !d.generated) {
        match groups.iter_mut().find(|(a, _)| *a == d.area) {
            Some((_, docs)) => docs.push(d),
            None => groups.push((d.area.clone(), vec![d])),
        }
    }
    // Stable: the home area first, the others as the documents come.
    groups.sort_by_key(|(a, _)| *a != home);
    groups
}

/// "北关区 2024年", "河南省 2025年、2026年": an area and the years its reports speak for.
fn area_years(area: &str, docs: &[&DocSummary]) -> String {
    let mut years: Vec<i32> = docs.iter().filter_map(|d| d.year).collect();
    years.sort_unstable();
    years.dedup();
    let years: Vec<String> = years.iter().map(|y| format!("{y}年")).collect();
    let area = if area.is_empty() { "其他" } else { area };
    format!("{area} {}", years.join("、")).trim_end().to_owned()
}

/// Most reports /start and /help list one by one; more are summed up by area.
const LISTED_REPORTS: usize = 8;

/// "人大：北关区第十一届人民代表大会第四次会议（2024年5月31日至6月1日）": who reports, at
/// which meeting, when.
fn report_line(d: &DocSummary) -> String {
    let who = if d.body.is_empty() {
        "报告"
    } else {
        d.body.as_str()
    };
    let what = if d.meeting.is_empty() || d.body.contains("报告") {
        format!("《{}》", d.title)
    } else {
        d.meeting.clone()
    };
    let when = match d.year {
        Some(y) if !d.dates.is_empty() && !d.dates.contains('年') => format!("{y}年{}", d.dates),
        _ => d.dates.clone(),
    };
    if when.is_empty() {
        format!("· {who}：{what}")
    } else {
        format!("· {who}：{what}（{when}）")
    }
}

/// What the knowledge base holds, for /start and /help: a few reports one by one (under their
/// area when there are several areas), or one line per area ("· 河南省 2026年：政府工作报告"),
/// at most `max` areas, the rest counted.
pub fn areas_text(m: &Manifest, max: usize) -> String {
    let groups = reports_by_area(m);
    let reports: usize = groups.iter().map(|(_, d)| d.len()).sum();
    if reports <= LISTED_REPORTS {
        let mut lines = Vec::new();
        for (area, docs) in &groups {
            if groups.len() > 1 {
                lines.push(area_years(area, docs));
            }
            lines.extend(docs.iter().map(|d| report_line(d)));
        }
        return lines.join("\n");
    }
    let mut lines: Vec<String> = groups
        .iter()
        .take(max)
        .map(|(area, docs)| {
            let mut bodies: Vec<&str> = docs
                .iter()
                .map(|d| {
                    if d.body.is_empty() {
                        "报告"
                    } else {
                        d.body.as_str()
                    }
                })
                .collect();
            bodies.sort_unstable();
            bodies.dedup();
            format!(
                "· {}：{} 份（{}）",
                area_years(area, docs),
                docs.len(),
                bodies.join("、")
            )
        })
        .collect();
    if groups.len() > max {
        let more: usize = groups[max..].iter().map(|(_, d)| d.len()).sum();
        lines.push(format!(
            "· 另有 {} 个地方的 {more} 份报告",
            groups.len() - max
        ));
    }
    lines.push(format!("· ……共 {reports} 份，发送 /sources 查看全部"));
    lines.join("\n")
}

/// The documents of the knowledge base by area and year, as plain text (/sources).
pub fn documents_text(m: &Manifest) -> String {
    let reports = m.documents.iter().filter(|d| !d.generated).count();
    let mut out = format!("知识库共 {reports} 份报告、{} 段：", m.passages);
    for (area, docs) in reports_by_area(m) {
        out.push_str(&format!("\n\n{}", area_years(&area, &docs)));
        for d in docs {
            out.push_str(&format!("\n· 《{}》", d.title));
            if !d.meeting.is_empty() {
                out.push_str(&format!("（{}）", d.meeting));
            }
        }
    }
    let generated: Vec<&DocSummary> = m.documents.iter().filter(|d| d.generated).collect();
    for d in generated {
        out.push_str(&format!("\n\n另有《{}》，是机器人发布的公告。", d.title));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::Excerpt;

    fn related(section: &str, reasons: Vec<Reason>) -> Answer {
        let text = "完成256个老旧小区燃气管道改造更新。".to_owned();
        let passage = Passage {
            id: "w-1".into(),
            doc_id: "w".into(),
            title: "政府工作报告".into(),
            section: section.into(),
            meeting: String::new(),
            body: String::new(),
            dates: String::new(),
            area: String::new(),
            year: None,
            page: None,
            period: None,
            ord: 0,
            text: text.clone(),
        };
        Answer {
            question: "燃气管子啥时候能换".into(),
            items: vec![Item {
                rank: 1,
                score: 1.0,
                passage,
                excerpt: Excerpt {
                    text,
                    marks: Vec::new(),
                    cut_start: false,
                    cut_end: false,
                },
            }],
            grade: crate::grade::Grade {
                tier: if reasons.is_empty() {
                    Match::Direct
                } else {
                    Match::Related
                },
                by_plan: reasons.is_empty(),
                reasons,
            },
            scope: std::sync::Arc::new(Scope {
                area: vec!["北关区".into()],
                years: vec![2024],
                ..Default::default()
            }),
            coverage: 0.5,
        }
    }

    #[test]
    fn leads_say_what_is_missing_and_only_that() {
        let plan = format!("2024年重点工作安排{SECTION_SEP}切实改善民生");
        let time = vec![Reason::MissingDetail(Detail::Time), Reason::Partial];
        assert_eq!(
            lead(&related(&plan, time.clone())),
            "报告里没有直接的答案（没有写具体时间，列在“2024年重点工作安排”里），下面的内容可能有关："
        );
        assert_eq!(
            lead(&related("切实改善民生", time)),
            "报告里没有直接的答案（没有写具体时间），下面的内容可能有关："
        );
        // A section naming a year the reports are not about says nothing of the plan.
        let old = vec![Reason::MissingDetail(Detail::Time)];
        assert!(!lead(&related("2023年工作回顾", old)).contains("2023"));
        // Only the match in doubt: no direct answer found, not "the reports have none".
        let partial = vec![Reason::Partial, Reason::Unclear];
        assert_eq!(lead(&related(&plan, partial)), CLOSEST_LEAD);
        let other = vec![Reason::OtherYear(2023), Reason::MissingDetail(Detail::Time)];
        assert!(lead(&related(&plan, other)).starts_with("这些报告讲的是北关区2024年的安排"));
        // "When" answered by this year's plan: direct, and it says there is no date.
        assert_eq!(
            lead(&related(&plan, Vec::new())),
            "报告把这项工作列在“2024年重点工作安排”里（没有写具体日期）："
        );
        let mut undated = related("今年主要任务", Vec::new());
        undated.items[0].passage.year = Some(2026);
        assert_eq!(
            lead(&undated),
            "报告把这项工作列在2026年的安排里（没有写具体日期）："
        );
    }

    #[test]
    fn the_scope_names_each_area_with_its_years_the_home_area_first() {
        let doc = |id: &str, area: &str, year: i32| crate::knowledge::DocScope {
            id: id.into(),
            area: area.into(),
            year: Some(year),
            years: vec![year - 1, year],
            ..Default::default()
        };
        let mut scope = Scope {
            area: vec!["北关区".into(), "北关".into()],
            years: vec![2024, 2026],
            home: vec!["北关区".into()],
            documents: vec![doc("h", "河南省", 2026), doc("b", "北关区", 2024)],
        };
        assert_eq!(scope_phrase(&scope), "北关区2024年、河南省2026年");
        scope.documents = ["安徽省", "北京市", "重庆市", "福建省"]
            .iter()
            .map(|a| doc(a, a, 2026))
            .collect();
        scope.area.clear();
        scope.years = vec![2026];
        assert_eq!(
            scope_phrase(&scope),
            "安徽省、北京市、重庆市等4个地方2026年"
        );
    }
}
