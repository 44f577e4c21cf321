//! Hits to an [`Answer`]: excerpts centred on the matched words, marked, with their sources;
//! rendered as plain text, as JSON and as Telegram HTML (escaped, split under Telegram's limit).
//!
//! No I/O and no network: front ends call one function here and send what it returns.

use std::ops::Range;

use serde::Serialize;

use crate::index::Manifest;
use crate::passages::Passage;
use crate::search::{Hits, QuestionError};
use crate::text::fold_for_match;

/// Characters of passage text an excerpt shows, about.
pub const EXCERPT_CHARS: usize = 150;
/// Telegram's limit on one message, in characters.
pub const TELEGRAM_MAX_CHARS: usize = 4096;

/// A piece of a passage with the matched words marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    pub text: String,
    /// Byte ranges of `text` to mark, sorted and disjoint.
    pub marks: Vec<Range<usize>>,
    pub cut_start: bool,
    pub cut_end: bool,
}

/// One result of an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub rank: usize,
    pub score: f32,
    pub passage: Passage,
    pub excerpt: Excerpt,
}

/// The answer to one question: results, or none when the reports do not say.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub question: String,
    pub items: Vec<Item>,
}

impl Answer {
    pub fn from_hits(question: &str, hits: &Hits, first_rank: usize) -> Answer {
        let items = hits
            .hits
            .iter()
            .enumerate()
            .map(|(i, h)| Item {
                rank: first_rank + i,
                score: h.score,
                passage: h.passage.clone(),
                excerpt: excerpt(&h.passage.text, &h.marks, EXCERPT_CHARS),
            })
            .collect();
        Answer {
            question: question.to_owned(),
            items,
        }
    }

    pub fn abstained(&self) -> bool {
        self.items.is_empty()
    }
}

/// The excerpt of about `max_chars` characters of `text` that shows the most of `words`.
pub fn excerpt(text: &str, words: &[String], max_chars: usize) -> Excerpt {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let folded = fold_for_match(text);
    let folded_starts: Vec<usize> = folded.char_indices().map(|(i, _)| i).collect();
    let same_shape = folded_starts.len() == chars.len();
    // Matches as character ranges, longest words first so they win overlaps.
    let mut words: Vec<&String> = words.iter().filter(|w| !w.is_empty()).collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    words.dedup();
    let mut marks: Vec<(Range<usize>, usize)> = Vec::new();
    if same_shape {
        for (wi, w) in words.iter().enumerate() {
            for (byte, m) in folded.match_indices(w.as_str()) {
                let Ok(start) = folded_starts.binary_search(&byte) else {
                    continue;
                };
                let end = start + m.chars().count();
                if !marks.iter().any(|(r, _)| r.start < end && start < r.end) {
                    marks.push((start..end, wi));
                }
            }
        }
    }
    marks.sort_by_key(|(r, _)| r.start);
    let n = chars.len();
    let (mut from, mut to) = (0, n);
    if n > max_chars {
        // The window with the most distinct words, starting a little before a match.
        let mut best = (0usize, usize::MAX, 0usize);
        for (r, _) in &marks {
            let start = r.start.saturating_sub(20).min(n - max_chars);
            let end = start + max_chars;
            let mut seen: Vec<usize> = Vec::new();
            let mut weight = 0;
            for (r2, wi) in &marks {
                if r2.start >= start && r2.end <= end && !seen.contains(wi) {
                    seen.push(*wi);
                    weight += r2.len();
                }
            }
            if weight > best.0 || (weight == best.0 && start < best.1) {
                best = (weight, start, 0);
            }
        }
        from = if best.1 == usize::MAX { 0 } else { best.1 };
        // Begin at a clause boundary when one is close before the window.
        if from > 0 {
            let look = from.saturating_sub(12);
            if let Some(p) = (look..from)
                .rev()
                .find(|&i| matches!(chars[i].1, '。' | ',' | ';' | '、' | '!' | '?' | ':'))
            {
                from = p + 1;
            }
        }
        to = (from + max_chars).min(n);
    }
    let byte = |ci: usize| if ci >= n { text.len() } else { chars[ci].0 };
    let base = byte(from);
    let out_marks = marks
        .iter()
        .filter(|(r, _)| r.start >= from && r.end <= to)
        .map(|(r, _)| byte(r.start) - base..byte(r.end) - base)
        .collect();
    Excerpt {
        text: text[base..byte(to)].to_owned(),
        marks: out_marks,
        cut_start: from > 0,
        cut_end: to < n,
    }
}

impl Excerpt {
    /// The excerpt with marks as 【】 and cuts as ….
    pub fn plain(&self) -> String {
        self.render(|s| s.to_owned(), "【", "】")
    }

    /// The excerpt as Telegram HTML: text escaped, marks in bold.
    pub fn html(&self) -> String {
        self.render(escape_html, "<b>", "</b>")
    }

    fn render(&self, esc: impl Fn(&str) -> String, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + 16 * self.marks.len());
        if self.cut_start {
            out.push('…');
        }
        let mut at = 0;
        for m in &self.marks {
            out.push_str(&esc(&self.text[at..m.start]));
            out.push_str(open);
            out.push_str(&esc(&self.text[m.start..m.end]));
            out.push_str(close);
            at = m.end;
        }
        out.push_str(&esc(&self.text[at..]));
        if self.cut_end {
            out.push('…');
        }
        out
    }
}

/// Escapes the three characters Telegram HTML requires escaped (and quotes, for attributes).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// "《headline》 › section", the document and section a passage comes from.
pub fn source_of(p: &Passage) -> String {
    if p.section.is_empty() {
        format!("《{}》", p.title)
    } else {
        format!("《{}》 › {}", p.title, p.section)
    }
}

/// "人大 · 北关区第十一届人民代表大会第四次会议 · 5月31日": who speaks, at which meeting, when.
pub fn provenance_of(p: &Passage) -> String {
    [p.body.as_str(), p.meeting.as_str(), p.dates.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The answer for a terminal.
pub fn render_plain(answer: &Answer) -> String {
    if answer.abstained() {
        return ABSTAIN_TEXT.to_owned();
    }
    let mut out = String::new();
    for item in &answer.items {
        out.push_str(&format!("{}. {}\n", item.rank, item.excerpt.plain()));
        out.push_str(&format!("   —— {}", source_of(&item.passage)));
        let prov = provenance_of(&item.passage);
        if !prov.is_empty() {
            out.push_str(&format!("（{prov}）"));
        }
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out
}

/// What every front end says when the search itself failed (I/O, a broken index).
pub const UNAVAILABLE_TEXT: &str = "暂时无法回答，请稍后再试。";

/// What the bot says when the reports do not answer a question.
pub const ABSTAIN_TEXT: &str = "抱歉，两会报告里没有找到与这个问题相关的内容。可以换个说法，或问问今年的发展目标、项目、教育、住房、就业、安全等方面的安排。";

/// The message a citizen sees for a question that cannot be searched.
pub fn rejection_text(e: &QuestionError) -> String {
    match e {
        QuestionError::Empty => "请输入您的问题，例如：今年全区经济增长目标是多少？".to_owned(),
        QuestionError::TooLong { max, .. } => format!("问题太长了，请精简到 {max} 字以内。"),
        QuestionError::NoText => "没有看到文字，请用文字描述您的问题。".to_owned(),
    }
}

/// The documents of the knowledge base, as plain text.
pub fn render_sources(m: &Manifest) -> String {
    let mut out = format!(
        "知识库共 {} 份报告、{} 段：\n",
        m.documents.len(),
        m.passages
    );
    for d in &m.documents {
        out.push_str(&format!("· 《{}》", d.title));
        if !d.meeting.is_empty() {
            out.push_str(&format!("（{}）", d.meeting));
        }
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

/// One line of `ask --json` output. Evaluation tools read this format: keep it stable.
#[derive(Debug, Serialize)]
pub struct JsonAnswer<'a> {
    pub question: &'a str,
    pub results: Vec<JsonResult<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct JsonResult<'a> {
    pub rank: usize,
    pub score: f32,
    pub doc: &'a str,
    pub title: &'a str,
    pub section: &'a str,
    pub passage_id: &'a str,
    pub text: &'a str,
    pub excerpt: String,
}

impl<'a> JsonAnswer<'a> {
    pub fn new(answer: &'a Answer) -> Self {
        JsonAnswer {
            question: &answer.question,
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
                    excerpt: i.excerpt.plain(),
                })
                .collect(),
            error: None,
        }
    }

    pub fn rejected(question: &'a str, error: String) -> Self {
        JsonAnswer {
            question,
            results: Vec::new(),
            error: Some(error),
        }
    }
}

/// The answer as Telegram HTML messages, each at most [`TELEGRAM_MAX_CHARS`] characters, split
/// only between results so no tag is ever cut.
pub fn render_html(answer: &Answer) -> Vec<String> {
    let blocks: Vec<String> = answer
        .items
        .iter()
        .map(|item| {
            let mut b = format!(
                "{}. {}\n📄 <i>{}</i>",
                item.rank,
                item.excerpt.html(),
                escape_html(&source_of(&item.passage))
            );
            let prov = provenance_of(&item.passage);
            if !prov.is_empty() {
                b.push_str(&format!("\n🏛 {}", escape_html(&prov)));
            }
            b
        })
        .collect();
    pack(&blocks, "\n\n", TELEGRAM_MAX_CHARS)
}

/// Packs blocks into messages of at most `max` characters, never splitting a block unless it
/// alone is too long (then it is cut at a character boundary, outside any tag).
pub fn pack(blocks: &[String], sep: &str, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for block in blocks {
        let block = if block.chars().count() > max {
            cut_html(block, max)
        } else {
            block.clone()
        };
        let needed = current.chars().count() + sep.chars().count() + block.chars().count();
        if !current.is_empty() && needed > max {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push_str(sep);
        }
        current.push_str(&block);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Cuts HTML to at most `max` characters, dropping tags that would be left open.
fn cut_html(html: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut open: Vec<String> = Vec::new();
    let mut chars = html.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<' {
            let mut tag = String::from("<");
            for t in chars.by_ref() {
                tag.push(t);
                if t == '>' {
                    break;
                }
            }
            let name: String = tag
                .trim_start_matches("</")
                .trim_start_matches('<')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let closes: usize = open.iter().map(|t| t.len() + 3).sum();
            if tag.starts_with("</") {
                open.pop();
            } else if count + tag.len() + name.len() + 3 + closes + 1 > max {
                break;
            } else {
                open.push(name);
            }
            count += tag.chars().count();
            out.push_str(&tag);
            continue;
        }
        let closes: usize = open.iter().map(|t| t.len() + 3).sum();
        if count + 1 + closes + 1 > max {
            break;
        }
        out.push(c);
        count += 1;
    }
    out.push('…');
    while let Some(t) = open.pop() {
        out.push_str(&format!("</{t}>"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_bounded_and_centred_on_matches() {
        let text = format!(
            "{}蓝天实验室打造成国内领先的航空科研平台。{}",
            "前文很长。".repeat(60),
            "后文。".repeat(60)
        );
        let e = excerpt(&text, &["蓝天实验室".to_string(), "航空".to_string()], 150);
        assert!(e.text.chars().count() <= 150);
        assert!(e.cut_start && e.cut_end);
        let marked: Vec<&str> = e.marks.iter().map(|m| &e.text[m.clone()]).collect();
        assert_eq!(marked, vec!["蓝天实验室", "航空"]);
        assert!(e.plain().contains("【蓝天实验室】"));
    }

    #[test]
    fn html_escapes_report_text() {
        let e = excerpt("a<b>&c 增长", &["增长".to_string()], 150);
        assert_eq!(e.html(), "a&lt;b&gt;&amp;c <b>增长</b>");
    }

    #[test]
    fn packing_respects_the_limit_and_tags() {
        let block = format!("<b>{}</b>{}", "字".repeat(3000), "尾".repeat(2000));
        let msgs = pack(
            &[block.clone(), "短".into(), block],
            "\n\n",
            TELEGRAM_MAX_CHARS,
        );
        assert_eq!(msgs.len(), 3);
        for m in &msgs {
            assert!(
                m.chars().count() <= TELEGRAM_MAX_CHARS,
                "{}",
                m.chars().count()
            );
            assert_eq!(m.matches("<b>").count(), m.matches("</b>").count());
        }
    }
}
