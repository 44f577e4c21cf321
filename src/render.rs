//! What a person reads: an [`Answer`] as Telegram HTML, as plain text for a terminal and as a
//! JSON line; the wording of every tier; and the one splitter that keeps each Telegram message
//! within its limit without ever cutting a tag or an entity.
//!
//! A reply is built for a phone: a short lead that says how well the reports answer (报告里是
//! 这样说的 / 报告里没有直接的答案 / 报告里没有找到直接的答案), the excerpts in the report's own words with the question's
//! words in bold, and one short source line under each. A direct answer with a clear winner
//! shows one excerpt; more only when they are close, and never more than fits one screen. No
//! I/O here.

use serde::Serialize;

use crate::answer::{Answer, Excerpt, Item};
use crate::grade::{Detail, Match, Reason, SmallTalk};
use crate::index::Manifest;
use crate::index::passages::{Passage, SECTION_SEP};
use crate::knowledge::Scope;
use crate::search::QuestionError;

/// Telegram's limit on one message, in characters (UTF-16 code units).
pub const TELEGRAM_MAX_CHARS: usize = 4096;
/// About how many characters the first reply may hold: one phone screen.
pub const SCREEN_CHARS: usize = 600;
/// Most excerpts one reply shows.
pub const MAX_SHOWN: usize = 3;
/// How close (in score) a second result must be to the first for a direct answer to show it.
const CLOSE_SCORE: f32 = 0.15;
/// Longest question echoed back in `ask --json`, in characters.
const MAX_ECHO_CHARS: usize = 500;

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

/// Escapes the characters Telegram HTML requires escaped (and quotes, for attributes).
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

fn render_excerpt(e: &Excerpt, esc: impl Fn(&str) -> String, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(e.text.len() + 16 * e.marks.len());
    if e.cut_start {
        out.push('…');
    }
    let mut at = 0;
    for m in &e.marks {
        out.push_str(&esc(&e.text[at..m.start]));
        out.push_str(open);
        out.push_str(&esc(&e.text[m.start..m.end]));
        out.push_str(close);
        at = m.end;
    }
    out.push_str(&esc(&e.text[at..]));
    if e.cut_end {
        out.push('…');
    }
    out
}

/// The excerpt with marks as 【】 and cuts as ….
pub fn excerpt_plain(e: &Excerpt) -> String {
    render_excerpt(e, |s| s.to_owned(), "【", "】")
}

/// The excerpt as Telegram HTML: text escaped, marks in bold.
pub fn excerpt_html(e: &Excerpt) -> String {
    render_excerpt(e, escape_html, "<b>", "</b>")
}

/// "北关区2024年": the area and years the knowledge base speaks for, as people say it.
pub fn scope_phrase(scope: &Scope) -> String {
    let area = scope.area.first().map_or("", String::as_str);
    let years: Vec<String> = scope.years.iter().map(|y| format!("{y}年")).collect();
    format!("{area}{}", years.join("、"))
}

/// The meeting date as people read it: the report's own words, with the year when the report
/// leaves it out and the knowledge base speaks for one year ("2024年5月31日").
pub fn meeting_date(p: &Passage, scope: &Scope) -> String {
    match scope.years.as_slice() {
        [year] if !p.dates.is_empty() && !p.dates.contains('年') => format!("{year}年{}", p.dates),
        _ => p.dates.clone(),
    }
}

/// Longest title a source line names; a longer one is named by its body (人大, 政协,
/// 政府工作报告), the full title being in 原文.
const SHORT_TITLE_CHARS: usize = 12;

/// One short source line: document · section · meeting date
/// ("政府工作报告 · 预期目标 全区经济增长6.5% · 2024年5月31日").
pub fn source_line(p: &Passage, scope: &Scope) -> String {
    let short_title = p.title.chars().count() <= SHORT_TITLE_CHARS;
    let document = if short_title || p.body.is_empty() {
        &p.title
    } else {
        &p.body
    };
    let section = p.section.rsplit(SECTION_SEP).next().unwrap_or_default();
    [document.as_str(), section, &meeting_date(p, scope)]
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
    }
}

/// The lead of an answer: that the reports answer it, or (for `related`) what they do not say
/// and that what follows may be related, or (when only the match is in doubt) that it is the
/// closest they say. Empty for `none` and for 更多 pages.
pub fn lead(answer: &Answer) -> String {
    if answer.items.first().is_none_or(|i| i.rank != 1) {
        return String::new();
    }
    if answer.tier() == Match::Direct {
        return DIRECT_LEAD.to_owned();
    }
    let scope = scope_phrase(&answer.scope);
    let reasons = &answer.grade.reasons;
    // What the reports cover comes first; the missing detail only when the scope is right.
    let scope_note = reasons.iter().find_map(|r| match r {
        Reason::OtherPlace(place) => {
            Some(format!("这些报告讲的是{scope}的安排，没有专门谈{place}。"))
        }
        Reason::OtherYear(year) => {
            Some(format!("这些报告讲的是{scope}的安排，没有{year}年的内容。"))
        }
        _ => None,
    });
    let detail = reasons.iter().find_map(|r| match r {
        Reason::MissingDetail(d) => Some(*d),
        _ => None,
    });
    // A plan gives the year, though not the day: say which year's plan the passage is in.
    let plan = answer
        .items
        .first()
        .and_then(|i| dated_section(&i.passage, &answer.scope));
    match (scope_note, detail) {
        (Some(note), _) => format!("{note}{RELATED_LEAD}"),
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
        chars += screen_chars(item, &answer.scope);
        if clear_winner || chars > SCREEN_CHARS {
            break;
        }
        n += 1;
    }
    n
}

/// The first `shown` items of the answer as one Telegram HTML message (split to fit by
/// [`split_html`] when sent).
pub fn render_html(answer: &Answer, shown: usize) -> String {
    if let Some(kind) = answer.small_talk {
        return escape_html(&small_talk_text(kind, &answer.scope));
    }
    let items = &answer.items[..shown.min(answer.items.len())];
    let numbered = items.len() > 1 || items.first().is_some_and(|i| i.rank > 1);
    let mut blocks: Vec<String> = Vec::new();
    let lead = lead(answer);
    if !lead.is_empty() {
        blocks.push(format!("<i>{}</i>", escape_html(&lead)));
    }
    for item in items {
        let number = if numbered {
            format!("{} ", marker(item.rank))
        } else {
            String::new()
        };
        blocks.push(format!(
            "{number}{}\n📄 <i>{}</i>",
            excerpt_html(&item.excerpt),
            escape_html(&source_line(&item.passage, &answer.scope))
        ));
    }
    blocks.join("\n\n")
}

/// The answer for a terminal: every item, numbered, each with its source line.
pub fn render_plain(answer: &Answer) -> String {
    if let Some(kind) = answer.small_talk {
        return small_talk_text(kind, &answer.scope);
    }
    if answer.abstained() {
        return NOT_FOUND_TEXT.to_owned();
    }
    let mut out = String::new();
    let lead = lead(answer);
    if !lead.is_empty() {
        out.push_str(&lead);
        out.push_str("\n\n");
    }
    for item in &answer.items {
        out.push_str(&format!(
            "{} {}\n   —— {}\n\n",
            marker(item.rank),
            excerpt_plain(&item.excerpt),
            source_line(&item.passage, &answer.scope)
        ));
    }
    out.truncate(out.trim_end().len());
    out
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
    /// The question as asked (at most [`MAX_ECHO_CHARS`] characters of it).
    pub question: String,
    /// `direct`, `related` or `none`; `results` is empty exactly when it is `none`.
    #[serde(rename = "match")]
    pub tier: Match,
    /// Why a `related` answer is not direct.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub reasons: &'a [Reason],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub small_talk: Option<SmallTalk>,
    /// Share of the question the best passage covers.
    pub coverage: f32,
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
    pub source: String,
}

/// At most [`MAX_ECHO_CHARS`] characters of the question, with … when cut.
fn echo(question: &str) -> String {
    crate::text::shorten(question, MAX_ECHO_CHARS).into_owned()
}

impl<'a> JsonAnswer<'a> {
    pub fn new(answer: &'a Answer) -> Self {
        JsonAnswer {
            question: echo(&answer.question),
            tier: answer.tier(),
            reasons: &answer.grade.reasons,
            small_talk: answer.small_talk,
            coverage: (answer.coverage * 1000.0).round() / 1000.0,
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
                    excerpt: excerpt_plain(&i.excerpt),
                    source: source_line(&i.passage, &answer.scope),
                })
                .collect(),
            error: None,
        }
    }

    pub fn rejected(question: &str, error: String) -> Self {
        JsonAnswer {
            question: echo(question),
            tier: Match::None,
            reasons: &[],
            small_talk: None,
            coverage: 0.0,
            results: Vec::new(),
            error: Some(error),
        }
    }
}

/// Length as Telegram counts it: UTF-16 code units.
pub fn telegram_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// A piece of Telegram HTML: a tag, an entity, or one character of text.
enum Token<'a> {
    Open(&'a str, &'a str),
    Close(&'a str),
    Text(&'a str),
}

/// The name of a tag: "b" of "<b>" and of "</b>".
fn tag_name(tag: &str) -> &str {
    tag.trim_start_matches("</")
        .trim_start_matches('<')
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default()
}

/// The tokens of `html`: tags and entities whole, text character by character.
fn tokens(html: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < html.len() {
        let rest = &html[i..];
        let len = if rest.starts_with('<') {
            rest.find('>').map_or(rest.len(), |e| e + 1)
        } else if rest.starts_with('&') {
            rest.find(';').filter(|&e| e <= 10).map_or(1, |e| e + 1)
        } else {
            rest.chars().next().map_or(1, char::len_utf8)
        };
        let piece = &rest[..len];
        let name = tag_name(piece);
        out.push(if piece.starts_with("</") {
            Token::Close(piece)
        } else if piece.starts_with('<') && piece.ends_with('>') {
            Token::Open(name, piece)
        } else {
            Token::Text(piece)
        });
        i += len;
    }
    out
}

/// How much of Telegram's limit a token takes: tags nothing, an entity the one character it
/// stands for, text its UTF-16 length. Telegram counts the text after parsing the HTML.
fn visible(t: &Token) -> usize {
    match t {
        Token::Open(..) | Token::Close(_) => 0,
        Token::Text(s) if s.len() > 1 && s.starts_with('&') && s.ends_with(';') => {
            let body = &s[1..s.len() - 1];
            let numeric = body
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| body.strip_prefix('#').map(|d| d.parse::<u32>().ok()))
                .flatten()
                .and_then(char::from_u32);
            numeric.map_or(1, char::len_utf16)
        }
        Token::Text(s) => telegram_len(s),
    }
}

/// The length Telegram counts for a message of HTML: its visible text, in UTF-16 code units.
pub fn visible_len(html: &str) -> usize {
    tokens(html).iter().map(visible).sum()
}

/// Splits Telegram HTML into messages of at most `max` UTF-16 code units of visible text (as
/// Telegram counts, after parsing the markup), losing nothing: preferably at a blank line,
/// else at a line break, else between characters; never inside a tag or an entity. Tags open
/// at a split are closed before it and opened again after it.
pub fn split_html(html: &str, max: usize) -> Vec<String> {
    if visible_len(html) <= max {
        return vec![html.to_owned()];
    }
    let mut parts = Vec::new();
    let mut rest = html.to_owned();
    while visible_len(&rest) > max {
        let (head, tail) = split_once(&rest, max);
        parts.push(head);
        rest = tail;
    }
    if !rest.trim().is_empty() {
        parts.push(rest);
    }
    parts
}

/// A place to split: the token index after it, the tags open there, the length before it.
type Break<'a> = (usize, Vec<(&'a str, &'a str)>, usize);

/// The head of `html` within `max` and the rest, each with its tags balanced. The head ends
/// at a blank line if one falls in the second half of the room, else at a line break there,
/// else as late as it can.
fn split_once(html: &str, max: usize) -> (String, String) {
    let toks = tokens(html);
    let mut open: Vec<(&str, &str)> = Vec::new();
    let mut len = 0;
    // For each quality of break (0 anywhere, 1 after a line break, 2 after a blank line): the
    // latest token index after it, the tags open there, and the length so far.
    let mut best: [Option<Break>; 3] = [None, None, None];
    for (i, t) in toks.iter().enumerate() {
        let add = visible(t);
        if len + add > max {
            break;
        }
        len += add;
        match t {
            Token::Open(n, whole) => open.push((n, whole)),
            Token::Close(_) => {
                open.pop();
            }
            Token::Text(s) => {
                let after_newline = *s == "\n";
                let blank = after_newline && i > 0 && matches!(toks[i - 1], Token::Text("\n"));
                let quality = usize::from(after_newline) + usize::from(blank);
                for b in best.iter_mut().take(quality + 1) {
                    *b = Some((i + 1, open.clone(), len));
                }
            }
        }
    }
    let chosen = best[2]
        .take()
        .filter(|(_, _, l)| *l * 2 >= max)
        .or_else(|| best[1].take().filter(|(_, _, l)| *l * 2 >= max))
        .or_else(|| best[0].take());
    let (at, open_there) = chosen.map_or((1, Vec::new()), |(at, open, _)| (at, open));
    let cut: usize = toks[..at.min(toks.len())]
        .iter()
        .map(|t| match t {
            Token::Open(_, whole) | Token::Close(whole) => whole.len(),
            Token::Text(s) => s.len(),
        })
        .sum();
    let mut head = html[..cut].trim_end().to_owned();
    for (name, _) in open_there.iter().rev() {
        head.push_str(&format!("</{name}>"));
    }
    let reopen: String = open_there.iter().map(|(_, whole)| *whole).collect();
    let tail = format!("{reopen}{}", html[cut..].trim_start());
    (head, tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_report_text_and_marks() {
        let e = Excerpt {
            text: "a<b>&c 增长".to_owned(),
            marks: std::iter::once(7..13).collect(),
            cut_start: false,
            cut_end: false,
        };
        assert_eq!(excerpt_html(&e), "a&lt;b&gt;&amp;c <b>增长</b>");
        assert_eq!(excerpt_plain(&e), "a<b>&c 【增长】");
    }

    #[test]
    fn splitting_keeps_everything_within_the_limit_and_balanced() {
        let para = format!("<b>{}</b>{}", "字&amp;".repeat(900), "尾".repeat(900));
        let html = format!("{para}\n\n短\n\n{para}");
        let parts = split_html(&html, TELEGRAM_MAX_CHARS);
        assert!(parts.len() >= 2);
        for p in &parts {
            assert!(visible_len(p) <= TELEGRAM_MAX_CHARS, "{}", visible_len(p));
            assert_eq!(p.matches("<b>").count(), p.matches("</b>").count(), "{p}");
            assert!(!p.contains("&am<") && !p.ends_with("&am"), "entity cut");
        }
        // Nothing lost: the text without tags is the same.
        let strip = |s: &str| s.replace("<b>", "").replace("</b>", "").replace(['\n'], "");
        assert_eq!(strip(&parts.concat()), strip(&html));
    }

    #[test]
    fn splitting_counts_what_telegram_counts() {
        // 3,486 visible characters whose escaped HTML is longer than 4,096: one message.
        let html = escape_html(&"长公告<&>".repeat(581));
        assert!(html.len() > TELEGRAM_MAX_CHARS && visible_len(&html) == 3486);
        assert_eq!(split_html(&html, TELEGRAM_MAX_CHARS), vec![html.clone()]);
        assert_eq!(visible_len("<b>字</b>&lt;&#x1F4C4;"), 4);
        // Marks do not count either.
        let marked = format!("<b>{}</b>", "字".repeat(TELEGRAM_MAX_CHARS));
        assert_eq!(split_html(&marked, TELEGRAM_MAX_CHARS).len(), 1);
    }

    #[test]
    fn splitting_at_the_exact_limit() {
        let exact = "字".repeat(TELEGRAM_MAX_CHARS);
        assert_eq!(split_html(&exact, TELEGRAM_MAX_CHARS), vec![exact.clone()]);
        let over = format!("{exact}字");
        let parts = split_html(&over, TELEGRAM_MAX_CHARS);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| telegram_len(p) <= TELEGRAM_MAX_CHARS));
        // Emoji count twice, as Telegram counts them.
        let emoji = "📄".repeat(TELEGRAM_MAX_CHARS / 2 + 1);
        assert!(
            split_html(&emoji, TELEGRAM_MAX_CHARS)
                .iter()
                .all(|p| telegram_len(p) <= TELEGRAM_MAX_CHARS)
        );
    }

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
                tier: Match::Related,
                reasons,
            },
            scope: Scope {
                area: vec!["北关区".into()],
                years: vec![2024],
            },
            small_talk: None,
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
    }

    #[test]
    fn long_questions_are_not_echoed_whole() {
        let q = "问".repeat(10_000);
        let echoed = echo(&q);
        assert_eq!(echoed.chars().count(), MAX_ECHO_CHARS + 1);
    }
}
