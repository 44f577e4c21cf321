//! Telegram's HTML and its limits: escaping (`&`, `<`, `>` and quotes in every piece of text),
//! an answer as a message (the lead in italics, the excerpts with the question's words in
//! bold, a source line each), and the one splitter that keeps a message within 4,096
//! characters of visible text, counted as Telegram counts (UTF-16 units, after parsing the
//! markup), without cutting a tag or an entity. Text is cut before it is escaped, never after.
//! The wording is [`crate::answer::wording`]'s; nothing else in the crate knows this format.

use crate::answer::wording::{lead, marker, sources};
use crate::answer::{Answer, Excerpt};

/// Telegram's limit on one message, in characters (UTF-16 code units).
pub const TELEGRAM_MAX_CHARS: usize = 4096;

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

/// The excerpt as Telegram HTML: text escaped, marks in bold.
pub fn excerpt_html(e: &Excerpt) -> String {
    e.render(escape_html, "<b>", "</b>")
}

/// The first `shown` items of the answer as one Telegram HTML message (split to fit by
/// [`split_html`] when sent).
pub fn render_html(answer: &Answer, shown: usize) -> String {
    let items = &answer.items[..shown.min(answer.items.len())];
    let numbered = items.len() > 1 || items.first().is_some_and(|i| i.rank > 1);
    let mut blocks: Vec<String> = Vec::new();
    let lead = lead(answer);
    if !lead.is_empty() {
        blocks.push(format!("<i>{}</i>", escape_html(&lead)));
    }
    let sources = sources(answer, items.len());
    for (item, source) in items.iter().zip(sources) {
        let number = if numbered {
            format!("{} ", marker(item.rank))
        } else {
            String::new()
        };
        let source = source.map_or(String::new(), |s| {
            format!("\n📄 <i>{}</i>", escape_html(&s))
        });
        blocks.push(format!("{number}{}{source}", excerpt_html(&item.excerpt)));
    }
    blocks.join("\n\n")
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
}
