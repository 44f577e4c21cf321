//! Small character and string helpers for Chinese official text: character classes (CJK,
//! punctuation, sentence ends), Chinese numerals, trimming of decorative punctuation, and
//! capped section titles. Everything here is linear in the length of its input and never
//! slices a string at a computed byte offset that is not a char boundary.
//!
//! It deliberately does not know anything about documents, blocks or sections.

/// A CJK ideograph (including 〇).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF | 0x3007)
}

/// Whitespace including the ideographic space U+3000 and no-break spaces.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}' || c == '\u{00A0}' || c == '\u{FEFF}'
}

/// Ends a sentence for line joining (。！？；), including their ASCII forms and the ellipsis.
pub(crate) fn is_terminator(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';' | '…')
}

/// Ends a sentence proper (used for "single sentence" tests; ；does not).
pub(crate) fn is_full_stop(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?')
}

/// Closing quotes and brackets that may follow a sentence end.
pub(crate) fn is_closer(c: char) -> bool {
    matches!(
        c,
        '”' | '’' | '」' | '』' | '）' | ')' | '】' | '》' | '〉' | '"' | '\'' | '］' | ']'
    )
}

/// Opening quotes and brackets.
pub(crate) fn is_opener(c: char) -> bool {
    matches!(
        c,
        '“' | '‘' | '「' | '『' | '（' | '(' | '【' | '《' | '〈' | '［' | '[' | '〔'
    )
}

/// Anything that is not a letter, digit or ideograph.
pub(crate) fn is_punct_or_symbol(c: char) -> bool {
    !(c.is_alphanumeric() || is_cjk(c)) || is_space(c)
}

/// Number of chars.
pub(crate) fn clen(s: &str) -> usize {
    s.chars().count()
}

/// Trim whitespace including U+3000.
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// The text without any whitespace.
pub(crate) fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !is_space(*c)).collect()
}

/// True when the text (trimmed) ends a sentence: a terminator, possibly followed by closers.
pub(crate) fn ends_sentence(s: &str) -> bool {
    for c in trim(s).chars().rev() {
        if is_closer(c) {
            continue;
        }
        return is_terminator(c);
    }
    false
}

/// True when the text contains only punctuation, symbols and spaces.
pub(crate) fn is_punct_only(s: &str) -> bool {
    s.chars().all(is_punct_or_symbol)
}

/// Remove trailing sentence punctuation (。；，：、 and ASCII forms) and spaces, keeping closers
/// that belong to a quote only when they are balanced is not attempted: closers are kept.
pub(crate) fn strip_trailing_punct(s: &str) -> &str {
    trim(s).trim_end_matches(|c: char| {
        matches!(
            c,
            '。' | '；' | '，' | '：' | '、' | '.' | ';' | ',' | ':' | '！' | '!' | '？' | '?'
        ) || is_space(c)
    })
}

/// Remove leading dashes used as bullet ("——这五年…") and spaces.
pub(crate) fn strip_leading_dashes(s: &str) -> &str {
    trim(s).trim_start_matches(|c: char| {
        matches!(c, '—' | '―' | '–' | '－' | '-' | '─') || is_space(c)
    })
}

/// Value of one Chinese digit.
pub(crate) fn cn_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '零' | '○' | 'Ｏ' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// A char that can appear in a Chinese numeral (digits, 十, 百).
pub(crate) fn is_cn_numeral_char(c: char) -> bool {
    cn_digit(c).is_some() || c == '十' || c == '百'
}

/// Parse a Chinese numeral such as 三, 十一, 二十七, 一百零二 (up to 999). Digit strings
/// like 二〇二六 are parsed positionally.
pub(crate) fn parse_cn_number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.chars().all(is_cn_numeral_char) {
        return None;
    }
    if !s.contains('十') && !s.contains('百') {
        let mut v: u32 = 0;
        for c in s.chars() {
            v = v.checked_mul(10)?.checked_add(cn_digit(c)?)?;
        }
        return Some(v);
    }
    let mut total = 0u32;
    let mut cur = 0u32;
    for c in s.chars() {
        match c {
            '百' => {
                total = total.saturating_add(cur.max(1) * 100);
                cur = 0;
            }
            '十' => {
                total = total.saturating_add(cur.max(1) * 10);
                cur = 0;
            }
            _ => cur = cn_digit(c)?,
        }
    }
    Some(total.saturating_add(cur))
}

/// ASCII or full-width digit value.
pub(crate) fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// Cap a section title: at most `max` chars; a longer one is cut at its first comma or
/// semicolon when that leaves at least 6 chars, else at `max` chars with "…".
pub(crate) fn cap_title(s: &str, max: usize) -> String {
    let s = strip_trailing_punct(s);
    if clen(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n >= max {
            out.push('…');
            return out;
        }
        if matches!(c, '，' | '；' | ',' | ';') && n >= 6 {
            return out;
        }
        out.push(c);
    }
    out
}

/// Split off the first sentence ending in 。: returns (sentence without 。, rest) when the
/// sentence is found, the rest may be empty.
pub(crate) fn first_sentence(s: &str) -> Option<(&str, &str)> {
    let i = s.find('。')?;
    let end = i + '。'.len_utf8();
    // Keep closing quotes that directly follow the full stop with the sentence.
    let mut j = end;
    for c in s[end..].chars() {
        if is_closer(c) {
            j += c.len_utf8();
        } else {
            break;
        }
    }
    Some((&s[..i], &s[j..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals() {
        assert_eq!(parse_cn_number("三"), Some(3));
        assert_eq!(parse_cn_number("十"), Some(10));
        assert_eq!(parse_cn_number("十一"), Some(11));
        assert_eq!(parse_cn_number("二十七"), Some(27));
        assert_eq!(parse_cn_number("二〇二六"), Some(2026));
        assert_eq!(parse_cn_number("一百零二"), Some(102));
        assert_eq!(parse_cn_number("x"), None);
    }

    #[test]
    fn sentence_ends() {
        assert!(ends_sentence("好。"));
        assert!(ends_sentence("“好。”"));
        assert!(ends_sentence("好；"));
        assert!(!ends_sentence("好，"));
        assert!(!ends_sentence("好"));
    }

    #[test]
    fn caps() {
        assert_eq!(cap_title("综合实力稳步提升。", 60), "综合实力稳步提升");
        assert_eq!(first_sentence("甲乙。丙丁"), Some(("甲乙", "丙丁")));
    }
}
