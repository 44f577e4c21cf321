//! Hits to an [`Answer`]: excerpts in whole sentences of the report's own text, led by the
//! sentence that answers, the question's words marked; graded (direct, related, none) with the
//! reasons a related answer is not direct; rendered as plain text, as JSON and as Telegram HTML
//! (escaped, split under Telegram's limit).
//!
//! No I/O and no network: front ends call one function here and send what it returns.

use std::ops::Range;

use serde::Serialize;

use crate::grade::{Detail, Grade, Match, Reason, SmallTalk};
use crate::index::Manifest;
use crate::knowledge::Scope;
use crate::passages::Passage;
use crate::search::{Hits, QuestionError};

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
    /// Whether the excerpt starts or ends inside a sentence (shown as …).
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

/// The answer to one question: graded results, or none when the reports do not say.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub question: String,
    pub items: Vec<Item>,
    /// How well the reports answer it, and why not directly.
    pub grade: Grade,
    /// What the knowledge base speaks for.
    pub scope: Scope,
    /// Set when the message was small talk rather than a question.
    pub small_talk: Option<SmallTalk>,
    /// Share of the question's weighted words the best passage holds (0..=1), also when it was
    /// too little to answer.
    pub coverage: f32,
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
        let grade = if hits.hits.is_empty() {
            Grade::none()
        } else {
            hits.grade.clone()
        };
        Answer {
            question: question.to_owned(),
            items,
            grade,
            scope: hits.scope.clone(),
            small_talk: None,
            coverage: hits.best_coverage,
        }
    }

    /// The answer to small talk: no results, a friendly word.
    pub fn small_talk(question: &str, kind: SmallTalk, scope: &Scope) -> Answer {
        Answer {
            question: question.to_owned(),
            items: Vec::new(),
            grade: Grade::none(),
            scope: scope.clone(),
            small_talk: Some(kind),
            coverage: 0.0,
        }
    }

    pub fn tier(&self) -> Match {
        self.grade.tier
    }

    pub fn abstained(&self) -> bool {
        self.items.is_empty()
    }
}

/// Sentences of `text` with the weight of the marks they hold.
fn weighed_sentences(text: &str, marks: &[Range<usize>]) -> Vec<(Range<usize>, usize)> {
    crate::text::sentences(text)
        .map(|s| {
            let weight = marks
                .iter()
                .filter(|m| m.start >= s.start && m.end <= s.end)
                .map(|m| text[m.clone()].chars().count())
                .sum();
            (s, weight)
        })
        .collect()
}

/// The excerpt of `text` a citizen is shown: the sentence holding the most of the marked
/// words, then the sentences after it that also hold some, while they fit in about
/// `max_chars`. A lead sentence longer than that is cut at clauses around its marks.
pub fn excerpt(text: &str, marks: &[Range<usize>], max_chars: usize) -> Excerpt {
    let sentences = weighed_sentences(text, marks);
    let Some(lead) = sentences
        .iter()
        .enumerate()
        .max_by_key(|(i, (_, w))| (*w, std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
    else {
        return Excerpt {
            text: String::new(),
            marks: Vec::new(),
            cut_start: false,
            cut_end: false,
        };
    };
    let (first, _) = sentences[lead].clone();
    let mut span = first.clone();
    let chars = |r: &Range<usize>| text[r.clone()].chars().count();
    if chars(&span) > max_chars {
        span = clause_window(text, &span, marks, max_chars);
    } else {
        for (s, w) in &sentences[lead + 1..] {
            if *w == 0 || chars(&(span.start..s.end)) > max_chars {
                break;
            }
            span.end = s.end;
        }
    }
    let shown = marks
        .iter()
        .filter(|m| m.start >= span.start && m.end <= span.end)
        .map(|m| m.start - span.start..m.end - span.start)
        .collect();
    Excerpt {
        text: text[span.clone()].trim_end().to_owned(),
        marks: shown,
        cut_start: span.start > first.start,
        cut_end: span.end < first.end,
    }
}

/// The part of a long sentence `s` of about `max_chars` around its marks, cut at clause
/// boundaries (，、；：) where one is near, otherwise at a character.
fn clause_window(
    text: &str,
    s: &Range<usize>,
    marks: &[Range<usize>],
    max_chars: usize,
) -> Range<usize> {
    let inside: Vec<&Range<usize>> = marks
        .iter()
        .filter(|m| m.start >= s.start && m.end <= s.end)
        .collect();
    let sentence = &text[s.clone()];
    let offsets: Vec<usize> = sentence
        .char_indices()
        .map(|(i, _)| s.start + i)
        .chain([s.end])
        .collect();
    let n = offsets.len() - 1;
    // Start a little before the first mark, at a clause boundary when one is close.
    let first = inside.first().map_or(s.start, |m| m.start);
    let mut from = offsets
        .iter()
        .position(|&o| o >= first)
        .unwrap_or(0)
        .saturating_sub(12);
    let is_clause = |i: usize| {
        matches!(
            sentence[offsets[i] - s.start..].chars().next(),
            Some('，' | ',' | '、' | '；' | ';' | '：' | ':')
        )
    };
    if from > 0
        && let Some(b) = (from.saturating_sub(20)..from + 12)
            .filter(|&i| i < n)
            .rev()
            .find(|&i| is_clause(i))
    {
        from = b + 1;
    }
    let mut to = (from + max_chars).min(n);
    if to < n
        && let Some(b) = (to.saturating_sub(30)..to).rev().find(|&i| is_clause(i))
    {
        to = b + 1;
    }
    offsets[from]..offsets[to]
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

/// "北关区2024年": the area and years the knowledge base speaks for, as people say it.
pub fn scope_phrase(scope: &Scope) -> String {
    let area = scope.area.first().map_or("", String::as_str);
    let years: Vec<String> = scope.years.iter().map(|y| format!("{y}年")).collect();
    format!("{area}{}", years.join("、"))
}

/// What a detail asked for is called in a reply.
fn detail_name(d: Detail) -> &'static str {
    match d {
        Detail::Amount => "具体金额",
        Detail::Count => "具体数字",
        Detail::Time => "具体时间",
        Detail::Place => "具体地点",
        Detail::Person => "具体人员",
    }
}

/// The lead of a `related` answer: what the reports do not say, and that what follows may be
/// related. Empty for other tiers.
pub fn related_lead(answer: &Answer) -> String {
    if answer.tier() != Match::Related {
        return String::new();
    }
    let scope = scope_phrase(&answer.scope);
    let mut notes: Vec<String> = Vec::new();
    for reason in &answer.grade.reasons {
        let note = match reason {
            Reason::OtherPlace(place) => {
                format!("这些报告讲的是{scope}的安排，没有专门谈{place}。")
            }
            Reason::OtherYear(year) => format!("这些报告讲的是{scope}的安排，没有{year}年的内容。"),
            Reason::MissingDetail(d) => format!("报告里没有写{}。", detail_name(*d)),
            Reason::Partial | Reason::Unclear => continue,
        };
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    notes.push(RELATED_LEAD.to_owned());
    notes.join("")
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

/// The answer for a terminal.
pub fn render_plain(answer: &Answer) -> String {
    if let Some(kind) = answer.small_talk {
        return small_talk_text(kind, &answer.scope);
    }
    if answer.abstained() {
        return ABSTAIN_TEXT.to_owned();
    }
    let mut out = String::new();
    let lead = related_lead(answer);
    if !lead.is_empty() {
        out.push_str(&lead);
        out.push_str("\n\n");
    }
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

/// What leads a `related` answer.
pub const RELATED_LEAD: &str = "报告里没有直接的答案，下面的内容可能有关：";

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
    /// `direct`, `related` or `none`; `results` is empty exactly when it is `none`.
    #[serde(rename = "match")]
    pub tier: Match,
    /// Why a `related` answer is not direct.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub reasons: &'a [Reason],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub small_talk: Option<SmallTalk>,
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
            tier: answer.tier(),
            reasons: &answer.grade.reasons,
            small_talk: answer.small_talk,
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
            tier: Match::None,
            reasons: &[],
            small_talk: None,
            results: Vec::new(),
            error: Some(error),
        }
    }
}

/// The answer as Telegram HTML messages, each at most [`TELEGRAM_MAX_CHARS`] characters, split
/// only between results so no tag is ever cut.
pub fn render_html(answer: &Answer) -> Vec<String> {
    if let Some(kind) = answer.small_talk {
        return vec![escape_html(&small_talk_text(kind, &answer.scope))];
    }
    if answer.abstained() {
        return vec![escape_html(ABSTAIN_TEXT)];
    }
    // The lead belongs to the first page; 更多 pages go on where it left off.
    let first_page = answer.items.first().is_some_and(|i| i.rank == 1);
    let lead = related_lead(answer);
    let lead = (first_page && !lead.is_empty()).then(|| format!("<i>{}</i>", escape_html(&lead)));
    let items = answer.items.iter().map(|item| {
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
    });
    let blocks: Vec<String> = lead.into_iter().chain(items).collect();
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

    /// Byte ranges of every occurrence of `words` in `text`.
    fn marks_of(text: &str, words: &[&str]) -> Vec<Range<usize>> {
        let mut m: Vec<Range<usize>> = words
            .iter()
            .flat_map(|w| text.match_indices(w).map(|(i, w)| i..i + w.len()))
            .collect();
        m.sort_by_key(|r| r.start);
        m
    }

    #[test]
    fn excerpts_are_whole_sentences_led_by_the_one_that_answers() {
        let text = format!(
            "{}把蓝天实验室打造成国内领先的航空科研平台。实验室将引进航空人才。{}",
            "前文很长，讲别的事。".repeat(20),
            "后文。".repeat(60)
        );
        let e = excerpt(&text, &marks_of(&text, &["蓝天实验室", "航空"]), 150);
        assert_eq!(
            e.text,
            "把蓝天实验室打造成国内领先的航空科研平台。实验室将引进航空人才。"
        );
        assert!(!e.cut_start && !e.cut_end);
        let marked: Vec<&str> = e.marks.iter().map(|m| &e.text[m.clone()]).collect();
        assert_eq!(marked, vec!["蓝天实验室", "航空", "航空"]);
        assert!(e.plain().starts_with("把【蓝天实验室】"), "{}", e.plain());
    }

    #[test]
    fn a_long_sentence_is_cut_at_clauses_around_its_marks() {
        let text = format!(
            "{}，全区经济增长6.5%，{}。",
            "甲乙丙丁".repeat(40),
            "戊己庚辛".repeat(40)
        );
        let e = excerpt(&text, &marks_of(&text, &["经济增长"]), 60);
        assert!(e.text.chars().count() <= 60, "{}", e.text);
        assert!(e.text.contains("经济增长6.5%"), "{}", e.text);
        assert!(e.cut_start && e.cut_end);
    }

    #[test]
    fn html_escapes_report_text() {
        let text = "a<b>&c 增长";
        let e = excerpt(text, &marks_of(text, &["增长"]), 150);
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
