//! Data-driven tests on the 31 provincial government work reports of 2026 (text copied from web
//! pages, with page chrome at the top and "related" lists at the bottom). Every report must
//! give a sensible title, the right province and level, year 2026, the date and meeting, the
//! speaker, no content among the dropped lines, no chrome among the paragraphs, and most
//! paragraphs in a section. Run with `--nocapture` to see the per-report share table.
//!
//! The reports are the fixtures in tests/fixtures/provinces-2026.
//! The expected values (province, speaker) are test data; the library has no list of them.

use std::collections::HashSet;

use lianghui_bot::knowledge::format::model::{Block, Kind, Props};
use lianghui_bot::knowledge::structure::{Body, Dropped};

fn reports() -> Vec<(
    &'static str,
    String,
    &'static str,
    lianghui_bot::places::Level,
    &'static str,
)> {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for (stem, area, level, speaker) in super::common::EXPECTED {
        match super::common::read(stem) {
            Some(t) => out.push((stem, t, area, level, speaker)),
            None => missing.push(stem),
        }
    }
    assert!(missing.is_empty(), "missing report files: {missing:?}");
    out
}

fn clen(s: &str) -> usize {
    s.chars().count()
}

const MENU: [&str; 14] = [
    "下载",
    "打印",
    "全屏",
    "收藏",
    "分享",
    "关闭",
    "加大",
    "还原",
    "减小",
    "【字号：",
    "】",
    "打印本页",
    "关闭窗口",
    "扫一扫在手机打开当前页",
];

/// Independent checks that a paragraph is not chrome.
fn chrome_problem(text: &str) -> Option<&'static str> {
    let t = text.trim();
    if MENU.contains(&t) {
        return Some("menu word");
    }
    if ["各位代表：", "各位代表！", "各位委员：", "同志们："].contains(&t) {
        return Some("salutation");
    }
    if t.contains("我代表") && t.contains("审议") && clen(t) < 200 {
        return Some("procedural opening");
    }
    for label in [
        "来源：",
        "来源:",
        "时间：",
        "发布时间：",
        "发表时间：",
        "责任编辑：",
        "编辑：",
    ] {
        if t.starts_with(label) || t.starts_with(&format!("（{label}")) {
            return Some("source/time line");
        }
    }
    if t.starts_with("相关报道") || t.starts_with("相关链接") || t.starts_with("相关阅读")
    {
        return Some("related list");
    }
    if t.ends_with('摄') && t.contains("记者") {
        return Some("photo caption");
    }
    None
}

#[test]
fn metadata_of_every_report() {
    let mut failures = Vec::new();
    for (stem, text, area, level, speaker) in reports() {
        let blocks = super::common::blocks(&text);
        let m = lianghui_bot::knowledge::structure::derive(&Props::default(), &blocks, stem);
        let mut fail = |what: String| failures.push(format!("{stem}: {what}"));
        if m.title.contains("下载") || !(m.title.contains("政府工作报告")) {
            fail(format!("title {:?}", m.title));
        }
        match &m.area {
            Some(a) if a.name == area && a.level == level => {}
            other => fail(format!("area {other:?}, expected {area} {level:?}")),
        }
        if m.body != Some(Body::Government) {
            fail(format!("body {:?}", m.body));
        }
        if m.year != Some(2026) {
            fail(format!("year {:?}", m.year));
        }
        if !(m.years.contains(&2025) && m.years.contains(&2026)) {
            fail(format!("years {:?}", m.years));
        }
        let date_ok = m.date.as_deref().is_some_and(|d| {
            d.starts_with("2026年")
                && d.ends_with('日')
                && d.contains('月')
                && d.chars().filter(|c| c.is_ascii_digit()).count() >= 6
        });
        if !date_ok {
            fail(format!("date {:?}", m.date));
        }
        let meeting_ok = m.meeting.as_deref().is_some_and(|x| {
            x.starts_with(area)
                && x.contains("人民代表大会")
                && x.ends_with("会议")
                && x.contains('届')
        });
        if !meeting_ok {
            fail(format!("meeting {:?}", m.meeting));
        }
        let speaker_ok = m
            .speaker
            .as_deref()
            .is_some_and(|s| s.ends_with(speaker) && (s.contains("长 ") || s.contains("主席 ")));
        if !speaker_ok {
            fail(format!("speaker {:?}, expected … {speaker}", m.speaker));
        }
        if m.evidence.iter().all(|e| !e.starts_with("title from line")) {
            fail(format!("no title evidence: {:?}", m.evidence));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn structure_of_every_report() {
    let mut failures = Vec::new();
    let mut table = Vec::new();
    for (stem, text, ..) in reports() {
        let blocks = super::common::blocks(&text);
        let s = lianghui_bot::knowledge::structure::structure(&blocks);
        let mut fail = |what: String| failures.push(format!("{stem}: {what}"));

        // No chrome among the paragraphs.
        for p in &s.paragraphs {
            if let Some(why) = chrome_problem(&p.text) {
                fail(format!(
                    "paragraph at line {} is a {why}: {}",
                    p.loc, p.text
                ));
            }
        }
        // No content among the dropped lines.
        let first_para = s.paragraphs.first().map_or(0, |p| p.loc);
        let last_para = s.paragraphs.last().map_or(0, |p| p.loc);
        for (loc, t, why) in &s.dropped {
            let ok = match why {
                // Front matter comes before the body, and is chrome or metadata.
                Dropped::Title
                | Dropped::DateMeeting
                | Dropped::Speaker
                | Dropped::FrontMatter
                | Dropped::Caption => *loc < first_para && clen(t) <= 120,
                Dropped::Procedural => t.contains("我代表") && *loc < first_para,
                Dropped::Related => *loc > last_para,
                Dropped::Salutation => clen(t) <= 12 && t.starts_with("各位"),
                Dropped::Source | Dropped::Menu | Dropped::Breadcrumb | Dropped::PageNumber => {
                    clen(t) <= 40 && !t.contains('。')
                }
                Dropped::Punctuation => t.chars().all(|c| !c.is_alphanumeric()),
                _ => false,
            };
            if !ok {
                fail(format!("dropped line {loc} ({why:?}) may be content: {t}"));
            }
        }
        // Every non-empty line is a paragraph, a dropped line or a section title.
        let mut seen: HashSet<usize> = s.paragraphs.iter().map(|p| p.loc).collect();
        seen.extend(s.dropped.iter().map(|d| d.0));
        let titles: HashSet<&str> = s
            .paragraphs
            .iter()
            .flat_map(|p| p.section.iter().map(|x| x.as_str()))
            .collect();
        for b in &blocks {
            if seen.contains(&b.loc) {
                continue;
            }
            let t = b
                .text
                .trim()
                .trim_start_matches('—')
                .trim_end_matches(['。', '：', '；']);
            // (An annex marker and its title line make one section name; a merged "（" + "三）…"
            // ends with the line.)
            let is_title = titles.contains(t)
                || titles
                    .iter()
                    .any(|x| x.ends_with(t) || (x.starts_with("附件") && x.starts_with(t)));
            // A lone "（" or "【" is prefixed to the next line.
            let lone_opener = t.chars().all(|c| "（(【“《".contains(c));
            if !is_title && !lone_opener {
                fail(format!("line {} vanished: {}", b.loc, b.text));
            }
        }
        let with = s
            .paragraphs
            .iter()
            .filter(|p| !p.section.is_empty())
            .count();
        let share = with as f64 / s.paragraphs.len().max(1) as f64;
        if share < 0.9 {
            fail(format!(
                "only {:.0}% of paragraphs have a section",
                share * 100.0
            ));
        }
        if s.paragraphs.len() < 30 {
            fail(format!("only {} paragraphs", s.paragraphs.len()));
        }
        table.push(format!(
            "{stem:<20} paragraphs {:>4}  in a section {:>5.1}%  dropped {:>3}",
            s.paragraphs.len(),
            share * 100.0,
            s.dropped.len()
        ));
    }
    println!("{}", table.join("\n"));
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Cut a paragraph into PDF-like lines of `width` chars, never inside a Latin word or number
/// and never next to a space (a PDF line break there would lose or add the space).
fn cut_lines(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    let bad = |i: usize| -> bool {
        // A cut between chars[i-1] and chars[i].
        let a = chars[i - 1];
        let b = chars[i];
        (a.is_ascii_graphic() && b.is_ascii_graphic()) || a.is_whitespace() || b.is_whitespace()
    };
    while start < chars.len() {
        let mut end = (start + width).min(chars.len());
        if end < chars.len() {
            let mut e = end;
            while e > start + 1 && bad(e) {
                e -= 1;
            }
            if e == start + 1 {
                e = end;
                while e < chars.len() && bad(e) {
                    e += 1;
                }
            }
            end = e;
        }
        out.push(chars[start..end].iter().collect::<String>());
        start = end;
    }
    out
}

/// A report's text as PDF lines: `width` chars a line, `starts` on each paragraph's first line,
/// `per_page` lines a page with a running header on top and a page number at the bottom.
fn as_pdf_lines(text: &str, width: usize, per_page: usize) -> Vec<Block> {
    let mut lines: Vec<(String, bool)> = Vec::new();
    for b in super::common::blocks(text) {
        for (k, l) in cut_lines(&b.text, width).into_iter().enumerate() {
            lines.push((l, k == 0));
        }
    }
    let mut out = Vec::new();
    let mut loc = 0;
    for (p, page) in lines.chunks(per_page).enumerate() {
        let page_no = p as u32 + 1;
        let mut push = |text: String, starts: bool| {
            loc += 1;
            out.push(Block {
                kind: Kind::Line { starts },
                text,
                page: Some(page_no),
                loc,
            });
        };
        push("政府工作报告".to_string(), true);
        for (t, starts) in page {
            push(t.clone(), *starts);
        }
        push(format!("- {page_no} -"), true);
    }
    out
}

#[test]
fn pdf_lines_join_back_into_the_paragraphs() {
    let text = super::common::read("henan-2026").expect("the Henan fixture");
    check_lines(&text, 38, 40, 9);
}

/// The same for every report (not only henan): lines of 38 chars, 40 a page.
#[test]
fn pdf_lines_join_back_for_every_report() {
    let mut failures = Vec::new();
    for (stem, text, ..) in reports() {
        // Several page geometries: 38 chars × 40 lines (A4 body text), 30 × 25, 45 × 50.
        let r = std::panic::catch_unwind(|| {
            check_lines(&text, 38, 40, 3);
            check_lines(&text, 30, 25, 3);
            check_lines(&text, 45, 50, 2);
        });
        if let Err(e) = r {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!(
                "{stem}: {}",
                msg.chars().take(600).collect::<String>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check_lines(text: &str, width: usize, per_page: usize, min_pages: usize) {
    let paras = lianghui_bot::knowledge::structure::structure(&super::common::blocks(text));
    let lines = as_pdf_lines(text, width, per_page);
    let pages = lines.iter().filter(|b| b.text.starts_with("- ")).count();
    assert!(
        pages >= min_pages,
        "the test should span many pages, not {pages}"
    );
    let joined = lianghui_bot::knowledge::structure::structure(&lines);
    let a: Vec<(&[String], &str)> = paras
        .paragraphs
        .iter()
        .map(|p| (p.section.as_slice(), p.text.as_str()))
        .collect();
    let b: Vec<(&[String], &str)> = joined
        .paragraphs
        .iter()
        .map(|p| (p.section.as_slice(), p.text.as_str()))
        .collect();
    for (k, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        assert_eq!(x, y, "paragraph {k} differs");
    }
    assert_eq!(a.len(), b.len());
    // Running headers and page numbers are dropped, and the page of each paragraph is kept.
    assert_eq!(
        joined
            .dropped
            .iter()
            .filter(|d| d.2 == Dropped::RunningHeader)
            .count(),
        pages - 1
    );
    assert_eq!(
        joined
            .dropped
            .iter()
            .filter(|d| d.2 == Dropped::PageNumber)
            .count(),
        pages
    );
    assert!(joined.paragraphs.iter().all(|p| p.page.is_some()));
    // The same metadata either way.
    let m1 = lianghui_bot::knowledge::structure::derive(
        &Props::default(),
        &super::common::blocks(text),
        "x",
    );
    let m2 = lianghui_bot::knowledge::structure::derive(&Props::default(), &lines, "x");
    assert_eq!(
        (m1.title, m1.area, m1.year, m1.date, m1.meeting, m1.speaker),
        (m2.title, m2.area, m2.year, m2.date, m2.meeting, m2.speaker)
    );
}

/// Next year's pages may come without the site's chrome or without the salutation: the same
/// report must give the same metadata and paragraphs.
#[test]
fn variants_without_chrome_or_salutation() {
    let mut failures = Vec::new();
    for (stem, text, ..) in reports() {
        let blocks = super::common::blocks(&text);
        let m = lianghui_bot::knowledge::structure::derive(&Props::default(), &blocks, stem);
        let s = lianghui_bot::knowledge::structure::structure(&blocks);
        let Some(title_at) = blocks.iter().position(|b| b.text.trim() == m.title) else {
            failures.push(format!("{stem}: title line not found"));
            continue;
        };
        let no_chrome: Vec<Block> = blocks[title_at..].to_vec();
        let no_salutation: Vec<Block> = {
            let mut v = blocks.clone();
            if let Some(k) = v.iter().position(|b| b.text.trim() == "各位代表：") {
                v.remove(k);
            }
            v
        };
        for (name, variant) in [
            ("without chrome", &no_chrome),
            ("without salutation", &no_salutation),
        ] {
            let m2 = lianghui_bot::knowledge::structure::derive(&Props::default(), variant, stem);
            let s2 = lianghui_bot::knowledge::structure::structure(variant);
            let key = |m: &lianghui_bot::knowledge::structure::DerivedMeta| {
                (
                    m.title.clone(),
                    m.area.clone(),
                    m.year,
                    m.years.clone(),
                    m.date.clone(),
                    m.meeting.clone(),
                    m.speaker.clone(),
                    m.body.clone(),
                )
            };
            if key(&m) != key(&m2) {
                failures.push(format!(
                    "{stem} {name}: metadata {:?} != {:?}",
                    key(&m2),
                    key(&m)
                ));
            }
            let a: Vec<(&[String], &str)> = s
                .paragraphs
                .iter()
                .map(|p| (p.section.as_slice(), p.text.as_str()))
                .collect();
            let b: Vec<(&[String], &str)> = s2
                .paragraphs
                .iter()
                .map(|p| (p.section.as_slice(), p.text.as_str()))
                .collect();
            if a != b {
                let k = a
                    .iter()
                    .zip(b.iter())
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.len().min(b.len()));
                failures.push(format!(
                    "{stem} {name}: paragraph {k} differs: {:?} vs {:?}",
                    a.get(k),
                    b.get(k)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
