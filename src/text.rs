//! Text normalisation shared by passages and questions.
//!
//! Both sides of retrieval go through [`normalize`], so that what is indexed, what is stored and
//! what a question is compared with agree: full-width letters, digits and signs are folded to
//! half-width, and stray whitespace is removed (a single space survives only between two Latin
//! letters or digits, where it separates words). Script conversion (Traditional to Simplified) is
//! done by [`to_simplified`], which keeps the character count, so offsets map one to one. This
//! module does no I/O and knows nothing of tokens.

/// Folds full-width forms to half-width and removes stray whitespace and control characters.
pub fn normalize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in input.chars() {
        let c = fold_width(c);
        if c.is_whitespace() || c.is_control() || is_invisible(c) {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            if out.chars().next_back().is_some_and(is_latin_word) && is_latin_word(c) {
                out.push(' ');
            }
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// A paragraph as people read it, in the report's own characters: the line breaks of the
/// file's layout are joined (with nothing between two non-ASCII characters, such as Chinese
/// text, and with one space elsewhere), other runs of whitespace become one space, control and
/// invisible characters go, and the ends are trimmed. Punctuation and width stay as written.
pub fn display(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    // A pending run of whitespace, and whether it held a line break.
    let mut pending: Option<bool> = None;
    for c in input.chars() {
        if c.is_whitespace() {
            let newline = matches!(c, '\n' | '\r');
            pending = Some(pending.unwrap_or(false) || newline);
            continue;
        }
        if c.is_control() || is_invisible(c) {
            continue;
        }
        if let (Some(newline), Some(prev)) = (pending.take(), out.chars().next_back())
            && !(newline && !prev.is_ascii() && !c.is_ascii())
        {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Folds one full-width character (U+FF01..U+FF5E, and the ideographic space) to half-width.
pub fn fold_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Converts Traditional Chinese characters to Simplified, one character for one character.
pub fn to_simplified(input: &str) -> String {
    let converted = fast2s::convert(input);
    // fast2s maps character to character; should a future table break that, keep the input so
    // that offsets computed on one string stay valid on the other.
    if converted.chars().count() == input.chars().count() {
        converted
    } else {
        input.to_owned()
    }
}

/// Text in the form words are compared in: half-width, Simplified script, ASCII lower case.
///
/// Character for character, so a position in the folded text is the same position in the
/// text as written: matches found here mark the report's own characters.
pub fn fold_for_match(s: &str) -> String {
    let half: String = s.chars().map(fold_width).collect();
    to_simplified(&half).to_ascii_lowercase()
}

/// True for a character of a Latin word or a number, where a space carries meaning.
pub fn is_latin_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// True for CJK ideographs.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// True when the text holds something a search can use: a letter, digit or ideograph.
pub fn has_searchable(text: &str) -> bool {
    text.chars().any(|c| c.is_alphanumeric())
}

/// Zero-width and formatting characters that render as nothing.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}')
}

/// A word's part of speech, as far as answering needs it (from jieba's tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pos {
    /// A place name (`ns`).
    Place,
    /// A person's name (`nr…`).
    Person,
    /// Another noun (`n`, `nz`, …).
    Noun,
    /// A number or quantity (`m`).
    Number,
    /// Anything else.
    Other,
}

impl Pos {
    /// The part of speech of a jieba tag.
    pub fn of_tag(tag: &str) -> Pos {
        match tag {
            "ns" => Pos::Place,
            t if t.starts_with("nr") => Pos::Person,
            t if t.starts_with('n') => Pos::Noun,
            "m" => Pos::Number,
            _ => Pos::Other,
        }
    }

    /// A noun of any kind (a place and a person are nouns too).
    pub fn is_noun(self) -> bool {
        matches!(self, Pos::Place | Pos::Person | Pos::Noun)
    }
}

/// A word of a text with its part of speech.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    pub word: String,
    pub pos: Pos,
}

impl Tagged {
    pub fn new(word: impl Into<String>, pos: Pos) -> Tagged {
        Tagged {
            word: word.into(),
            pos,
        }
    }
}

/// The sentences of `text` that hold one of `ranges` (all of it when there is none).
pub fn sentences_around(text: &str, ranges: &[std::ops::Range<usize>]) -> String {
    if ranges.is_empty() {
        return text.to_owned();
    }
    sentences(text)
        .filter(|s| ranges.iter().any(|m| m.start < s.end && s.start < m.end))
        .map(|s| &text[s])
        .collect()
}

/// Byte ranges of the sentences of `text`: each ends after 。！？；!?; (and any closing quotes
/// or brackets right after it) or at a line break; the last one at the end of the text.
pub fn sentences(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while let Some((i, c)) = chars.next() {
            let end_here = matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';' | '\n');
            if !end_here {
                continue;
            }
            let mut end = i + c.len_utf8();
            while let Some(&(j, q)) = chars.peek() {
                if !matches!(q, '”' | '’' | '」' | '』' | '）' | ')' | '"' | '\'') {
                    break;
                }
                end = j + q.len_utf8();
                chars.next();
            }
            let s = start..end;
            start = end;
            if !text[s.clone()].trim().is_empty() {
                return Some(s);
            }
        }
        if start < text.len() {
            let s = start..text.len();
            start = text.len();
            if !text[s.clone()].trim().is_empty() {
                return Some(s);
            }
        }
        None
    })
}

/// The first `max` characters of `text`, on a character boundary.
pub fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// `text` for a person to read in at most `max` characters, with "…" when it was cut.
pub fn shorten(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let kept = truncate_chars(text, max);
    if kept.len() < text.len() {
        format!("{kept}…").into()
    } else {
        text.into()
    }
}

/// Every 4-digit year (1900..=2100) written with 年 in `s` ("2025年"), in order.
pub fn years_in(s: &str) -> Vec<i32> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 < chars.len() {
        if chars[i].is_ascii_digit()
            && (i == 0 || !chars[i - 1].is_ascii_digit())
            && chars[i + 1].is_ascii_digit()
            && chars[i + 2].is_ascii_digit()
            && chars[i + 3].is_ascii_digit()
            && chars[i + 4] == '年'
        {
            let v = (chars[i] as i32 - 48) * 1000
                + (chars[i + 1] as i32 - 48) * 100
                + (chars[i + 2] as i32 - 48) * 10
                + (chars[i + 3] as i32 - 48);
            if (1900..=2100).contains(&v) {
                out.push(v);
            }
            i += 5;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_four_digits_before_nian() {
        assert_eq!(years_in("2025年和2026年，12345年"), vec![2025, 2026]);
        assert_eq!(years_in("2023年北关区GDP，2023年"), vec![2023, 2023]);
    }

    #[test]
    fn shortened_text_says_it_was_cut() {
        assert_eq!(shorten("北关区经济", 5), "北关区经济");
        assert_eq!(shorten("北关区经济增长", 5), "北关区经济…");
        assert_eq!(shorten("", 0), "");
    }

    #[test]
    fn folds_width_and_whitespace() {
        let cases = [
            ("ＧＤＰ增长６．５％", "GDP增长6.5%"),
            ("经济  增长\t6.5%", "经济增长6.5%"),
            ("hello   world 你好", "hello world你好"),
            ("\u{3000}前后\u{3000}", "前后"),
            ("零\u{200B}宽", "零宽"),
            ("，：（）", ",:()"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input), want, "{input:?}");
        }
    }

    #[test]
    fn folding_for_match_keeps_every_character_in_place() {
        let written = "購房補貼，ＧＤＰ增長";
        let folded = fold_for_match(written);
        assert_eq!(folded, "购房补贴,gdp增长");
        assert_eq!(folded.chars().count(), written.chars().count());
    }

    #[test]
    fn display_text_keeps_the_reports_characters() {
        let cases = [
            (
                "全区经济增长６．５％，\n规模以上工业",
                "全区经济增长６．５％，规模以上工业",
            ),
            (
                "  凝心聚力谋发展 奋勇争先谱新篇 ",
                "凝心聚力谋发展 奋勇争先谱新篇",
            ),
            ("GDP\ntarget  2024", "GDP target 2024"),
            ("零\u{200B}宽", "零宽"),
        ];
        for (input, want) in cases {
            assert_eq!(display(input), want, "{input:?}");
        }
    }

    #[test]
    fn sentences_end_at_their_punctuation_and_quotes() {
        let t = "他说：“好。”然后走了！还有吗？没有；结束";
        let got: Vec<&str> = sentences(t).map(|r| &t[r]).collect();
        assert_eq!(
            got,
            vec!["他说：“好。”", "然后走了！", "还有吗？", "没有；", "结束"]
        );
        assert_eq!(sentences("").count(), 0);
    }

    #[test]
    fn converts_traditional_keeping_length() {
        let t = "購房補貼有嗎";
        let s = to_simplified(t);
        assert_eq!(s, "购房补贴有吗");
        assert_eq!(s.chars().count(), t.chars().count());
    }
}
