//! What an admin reads about an upload before 确认: what the bot made of the file (title,
//! area and level, year, meeting and date, speaker, sections, passages, the first passages,
//! what it left out) and how to correct a wrong guess; or, for a file it cannot use, why and
//! what to send instead. Plain text: the caller escapes it.

use crate::index::passages::{Passage, SECTION_SEP};
use crate::knowledge::{Document, Dropped, Loss, Lost, Problem, ReadError, SourceError};

/// How many passages the preview quotes.
const QUOTED: usize = 2;
/// Longest quoted passage, in characters.
const QUOTE_CHARS: usize = 60;

/// Why a file cannot be used, in the admin's words, and what to send instead.
pub fn refusal(e: &SourceError) -> String {
    match &e.problem {
        Problem::Refused(r) => refused(r),
        Problem::TooLarge => format!(
            "文件内容太多，超出了单份报告的上限（{}）。请把文件拆成几份再分别发送。",
            e.message
        ),
        Problem::Empty => {
            "文件里没有读出任何正文段落。请确认发送的是报告全文，而不是封面或目录。".to_owned()
        }
        Problem::NotAReport => format!("文件内容不像一份报告（{}）。请发送报告原文。", e.message),
        Problem::Invalid => format!("文件内容有误：{e}"),
    }
}

/// A reader's refusal, said plainly.
fn refused(e: &ReadError) -> String {
    match e {
        ReadError::Damaged { format, .. } => format!(
            "文件已损坏，或者并不是它的扩展名所说的 {format} 文件（也可能只下载了一部分）。请重新导出或另存一份再发送。"
        ),
        ReadError::Encrypted => {
            "文件设置了密码（已加密），机器人打不开。请取消密码保护后另存一份再发送。".to_owned()
        }
        ReadError::NoText => "这个 PDF 没有文字层，多半是扫描件或图片，机器人读不出其中的文字。请发送 Word 原稿、网页，或可以选中文字的 PDF。".to_owned(),
        ReadError::Unmappable { .. } => "这个 PDF 的字体无法转换成文字，读出来会是乱码。请发送 Word 原稿或网页，或在 Word、WPS 中重新导出 PDF。".to_owned(),
        ReadError::OldFormat { format } if *format == "wps" => "这是 WPS 文字的旧格式（.wps），机器人读不了。请在 WPS 中“另存为” Word 文档（.docx）后再发送。".to_owned(),
        ReadError::OldFormat { format } => format!(
            "这是旧版 Office 格式（.{format}），机器人读不了。请在 Word 或 WPS 中“另存为” .docx 后再发送。"
        ),
        ReadError::TooComplex { .. } => "文件太大或结构太复杂，机器人没能在限定范围内读完。请把报告另存为 .docx，或拆成几份再发送。".to_owned(),
        ReadError::Encoding { .. } => "文件的文字编码无法识别。请把文件另存为 UTF-8 编码的 .txt，或者发送原网页、Word 文件。".to_owned(),
    }
}

/// What the bot made of a readable file, line by line.
pub fn describe(doc: &Document, passages: &[Passage]) -> String {
    let m = &doc.meta;
    let mut lines = vec!["读出的信息：".to_owned()];
    let area = match (&m.area, &m.level) {
        (Some(a), Some(l)) => format!("{a}（{l}）"),
        (Some(a), None) => a.clone(),
        _ => "没有读出".to_owned(),
    };
    lines.push(format!("· 地区：{area}"));
    let year = match m.year {
        Some(y) => {
            let others: Vec<String> = m
                .years
                .iter()
                .filter(|&&o| o != y)
                .map(|o| format!("{o}年"))
                .collect();
            if others.is_empty() {
                format!("{y}年")
            } else {
                format!("{y}年（也谈到 {}）", others.join("、"))
            }
        }
        None => "没有读出".to_owned(),
    };
    lines.push(format!("· 年份：{year}"));
    for (label, value) in [
        ("机关", &m.body),
        ("会议", &m.meeting),
        ("日期", &m.dates),
        ("报告人", &m.speaker),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            lines.push(format!("· {label}：{v}"));
        }
    }
    lines.push(sections_line(doc));
    lines.extend(quotes(passages));
    if let Some(left) = left_out(&doc.lost, &doc.skipped) {
        lines.push(format!("略去：{left}"));
    }
    lines.push(HOW_TO_CORRECT.to_owned());
    lines.join("\n")
}

/// How an admin corrects a wrong guess.
const HOW_TO_CORRECT: &str = "信息不对？Word 文件可以在“文件 → 属性”里改标题后重新发送；也可以把正文存成 .md 文件，在开头写上 +++、headline = \"标题\"、area = \"地区\"、year = 2026、+++ 四行，再发送。";

/// How many sections were found, with the first top-level ones.
fn sections_line(doc: &Document) -> String {
    let mut top: Vec<&str> = Vec::new();
    let mut all: std::collections::HashSet<&[String]> = std::collections::HashSet::new();
    for p in &doc.paragraphs {
        if !p.section.is_empty() {
            all.insert(&p.section);
        }
        if let Some(first) = p.section.first()
            && !top.contains(&first.as_str())
        {
            top.push(first);
        }
    }
    if top.is_empty() {
        return "· 章节：没有找到（各段落没有标题）".to_owned();
    }
    let shown: Vec<String> = top
        .iter()
        .take(3)
        .map(|t| crate::text::shorten(t, 24).into_owned())
        .collect();
    let more = if top.len() > 3 { " ……" } else { "" };
    format!(
        "· 章节：{} 个，其中一级 {} 个：{}{more}",
        all.len(),
        top.len(),
        shown.join("；")
    )
}

/// The first passages, each with its section.
fn quotes(passages: &[Passage]) -> Vec<String> {
    let mut out = Vec::new();
    if !passages.is_empty() {
        out.push(format!("开头 {} 段：", passages.len().min(QUOTED)));
    }
    for (i, p) in passages.iter().take(QUOTED).enumerate() {
        let section = p.section.rsplit(SECTION_SEP).next().unwrap_or_default();
        let section = if section.is_empty() {
            String::new()
        } else {
            format!("〔{}〕", crate::text::shorten(section, 20))
        };
        out.push(format!(
            "{}. {section}{}",
            i + 1,
            crate::text::shorten(&p.text, QUOTE_CHARS)
        ));
    }
    out
}

/// What the readers and the structure step left out, counted.
fn left_out(lost: &[Lost], skipped: &[(Dropped, usize)]) -> Option<String> {
    let mut parts: Vec<String> = lost
        .iter()
        .map(|l| format!("{} {}", l.count, loss_name(l.what)))
        .collect();
    parts.extend(
        skipped
            .iter()
            .filter_map(|(d, n)| dropped_name(*d).map(|name| format!("{name} {n} 行"))),
    );
    (!parts.is_empty()).then(|| parts.join("；"))
}

fn loss_name(what: Loss) -> &'static str {
    match what {
        Loss::Image => "张图片",
        Loss::TextBox => "个文本框",
        Loss::Footnote => "条脚注",
        Loss::Endnote => "条尾注",
        Loss::Chart => "个图表",
        Loss::EmbeddedObject => "个嵌入对象",
        Loss::Symbol => "个符号字符",
        Loss::TocLine => "行目录",
        Loss::Unmapped => "个无法转换的字符",
    }
}

/// What a dropped line is called; None for what is dropped only as a formality (the
/// opening sentence, front matter), which an admin need not hear about.
fn dropped_name(d: Dropped) -> Option<&'static str> {
    Some(match d {
        Dropped::Related => "相关报道等链接",
        Dropped::Source => "来源、时间、编辑行",
        Dropped::Menu => "网页菜单",
        Dropped::Breadcrumb => "网页导航",
        Dropped::PageNumber => "页码",
        Dropped::RunningHeader => "页眉页脚",
        Dropped::Caption => "图片说明",
        Dropped::TableOfContents => "目录",
        Dropped::Punctuation | Dropped::BareNumber => "空编号或符号",
        Dropped::Procedural
        | Dropped::FrontMatter
        | Dropped::Salutation
        | Dropped::Title
        | Dropped::DateMeeting
        | Dropped::Speaker => return None,
    })
}
