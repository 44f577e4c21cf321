//! Recognises the numbering marker at the start of a block of Chinese official text:
//! 第一部分/第一章/第一节, 一、, （一）, 一是/一要, 第一，, 1. / 1、, （1）, 1）, ①, ［1］.
//! GB/T 9704-2012 (党政机关公文格式) fixes the usual hierarchy 一、 > （一） > 1. > （1）; this
//! module only names the form and its value, it does not decide the nesting (see
//! `structure`). It deliberately rejects decimals ("2.5"), years ("2026."), and lists of
//! numerals that are words ("一、二季度").

use super::chars::{digit, is_cn_numeral_char, is_space, parse_cn_number};

/// A numbering form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Style {
    /// 第一部分, 第一编, 第一篇
    Part,
    /// 第一章
    Chapter,
    /// 第一节
    Jie,
    /// 一、
    CnComma,
    /// （一）
    CnParen,
    /// 第一，/ 第一、
    DiYi,
    /// 一是
    CnShi,
    /// 一要
    CnYao,
    /// 1. 1． 1、
    ArabicDot,
    /// （1）
    ArabicParen,
    /// 1）
    ArabicHalfParen,
    /// ①
    Circled,
    /// ［1］ [1] 【1】 〔1〕 (notes)
    Bracket,
}

impl Style {
    /// All styles, for table sizing.
    pub const ALL: [Style; 13] = [
        Style::Part,
        Style::Chapter,
        Style::Jie,
        Style::CnComma,
        Style::CnParen,
        Style::DiYi,
        Style::CnShi,
        Style::CnYao,
        Style::ArabicDot,
        Style::ArabicParen,
        Style::ArabicHalfParen,
        Style::Circled,
        Style::Bracket,
    ];

    /// Position in the conventional hierarchy (smaller is higher), where there is one.
    pub(crate) fn canonical(self) -> Option<u32> {
        Some(match self {
            Style::Part => 1,
            Style::Chapter => 2,
            Style::Jie => 3,
            Style::CnComma => 10,
            Style::CnParen => 20,
            Style::ArabicDot => 30,
            Style::ArabicParen => 40,
            Style::ArabicHalfParen => 45,
            Style::Circled => 50,
            _ => return None,
        })
    }

    /// Part, chapter and section numbering are always above the numbered items.
    pub(crate) fn is_top(self) -> bool {
        matches!(self, Style::Part | Style::Chapter | Style::Jie)
    }
}

/// A marker found at the start of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub style: Style,
    pub value: u32,
    /// Byte offset where the text after the marker (and any following spaces) starts.
    pub rest: usize,
}

fn skip_spaces(s: &str, mut i: usize) -> usize {
    for c in s[i..].chars() {
        if is_space(c) {
            i += c.len_utf8();
        } else {
            break;
        }
    }
    i
}

/// Take a run of chars satisfying `f` starting at byte `i`, at most `max` chars.
fn take_run(s: &str, i: usize, max: usize, f: impl Fn(char) -> bool) -> (usize, usize) {
    let mut end = i;
    let mut n = 0;
    for c in s[i..].chars() {
        if n == max || !f(c) {
            break;
        }
        end += c.len_utf8();
        n += 1;
    }
    (end, n)
}

fn arabic_value(s: &str) -> Option<u32> {
    let mut v = 0u32;
    for c in s.chars() {
        v = v.checked_mul(10)?.checked_add(digit(c)?)?;
    }
    Some(v)
}

/// Parse the numbering marker at the start of `s` (already trimmed at the start).
pub fn parse(s: &str) -> Option<Marker> {
    let first = s.chars().next()?;
    if let Some(v) = circled_value(first) {
        let rest = skip_spaces(s, first.len_utf8());
        return Some(Marker {
            style: Style::Circled,
            value: v,
            rest,
        });
    }
    match first {
        '第' => parse_di(s),
        '（' | '(' => parse_paren(s, first),
        '［' | '[' | '【' | '〔' => parse_bracket(s, first),
        c if is_cn_numeral_char(c) => parse_cn(s),
        c if digit(c).is_some() => parse_arabic(s),
        _ => None,
    }
}

/// The value of a circled number: ① .. ⑳, ㉑ .. ㉟, ㊱ .. ㊿.
fn circled_value(c: char) -> Option<u32> {
    let cp = c as u32;
    match cp {
        0x2460..=0x2473 => Some(cp - 0x2460 + 1),
        0x3251..=0x325F => Some(cp - 0x3251 + 21),
        0x32B1..=0x32BF => Some(cp - 0x32B1 + 36),
        _ => None,
    }
}

/// 第X部分 / 第X章 / 第X节 / 第X， with a Chinese or Arabic number (`s` starts with 第).
fn parse_di(s: &str) -> Option<Marker> {
    let i = '第'.len_utf8();
    let (end, n) = take_run(s, i, 4, is_cn_numeral_char);
    if n == 0 {
        let (end2, n2) = take_run(s, i, 3, |c| digit(c).is_some());
        if n2 > 0 {
            let v = arabic_value(&s[i..end2])?;
            return after_di(s, end2, v);
        }
        return None;
    }
    let v = parse_cn_number(&s[i..end])?;
    after_di(s, end, v)
}

/// （X） / (X) with a Chinese numeral, or （1） / (1) with digits (`s` starts with `open`).
fn parse_paren(s: &str, open: char) -> Option<Marker> {
    let i = open.len_utf8();
    let (end, n) = take_run(s, i, 3, is_cn_numeral_char);
    if n > 0 {
        let close = s[end..].chars().next()?;
        if close == '）' || close == ')' {
            let v = parse_cn_number(&s[i..end])?;
            if v == 0 {
                return None;
            }
            let rest = skip_spaces(s, end + close.len_utf8());
            return Some(Marker {
                style: Style::CnParen,
                value: v,
                rest,
            });
        }
        return None;
    }
    let (end, n) = take_run(s, i, 3, |c| digit(c).is_some());
    if n > 0 {
        let close = s[end..].chars().next()?;
        if close == '）' || close == ')' {
            let v = arabic_value(&s[i..end])?;
            let rest = skip_spaces(s, end + close.len_utf8());
            return Some(Marker {
                style: Style::ArabicParen,
                value: v,
                rest,
            });
        }
    }
    None
}

/// ［1］ [1] 【1】 〔1〕 (`s` starts with `open`).
fn parse_bracket(s: &str, open: char) -> Option<Marker> {
    let i = open.len_utf8();
    let (end, n) = take_run(s, i, 3, |c| digit(c).is_some());
    if n > 0 {
        let close = s[end..].chars().next()?;
        if matches!(close, '］' | ']' | '】' | '〕') {
            let v = arabic_value(&s[i..end])?;
            let rest = skip_spaces(s, end + close.len_utf8());
            return Some(Marker {
                style: Style::Bracket,
                value: v,
                rest,
            });
        }
    }
    None
}

/// 一、 / 一是 / 一要 (`s` starts with a Chinese numeral).
fn parse_cn(s: &str) -> Option<Marker> {
    let (end, n) = take_run(s, 0, 3, is_cn_numeral_char);
    let v = parse_cn_number(&s[..end])?;
    if v == 0 || n == 0 {
        return None;
    }
    let next = s[end..].chars().next()?;
    let after = end + next.len_utf8();
    match next {
        '、' | '．' => cn_comma(s, after, v),
        '是' | '要' if v <= 30 => cn_shi_yao(s, after, next, v),
        _ => None,
    }
}

/// 一、 (the numeral and its 、 end at byte `after`), unless the numerals are words.
fn cn_comma(s: &str, after: usize, v: u32) -> Option<Marker> {
    // "一、二季度" / "一、二产业": consecutive numerals used as words.
    let mut it = s[after..].chars();
    if let (Some(a), Some(b)) = (it.next(), it.next())
        && parse_cn_number(&a.to_string()) == Some(v + 1)
        && matches!(b, '、' | '季' | '产' | '月' | '等' | '线' | '级')
    {
        return None;
    }
    let rest = skip_spaces(s, after);
    Some(Marker {
        style: Style::CnComma,
        value: v,
        rest,
    })
}

/// 一是 / 一要 (`word` is 是 or 要, ending at byte `after`), unless a pause or a word like
/// 是否 follows.
fn cn_shi_yao(s: &str, after: usize, word: char, v: u32) -> Option<Marker> {
    let c2 = s[after..].chars().next()?;
    if is_space(c2) || matches!(c2, '，' | '。' | '、' | '：' | '；' | '的' | '否' | '不') {
        return None;
    }
    let style = if word == '是' {
        Style::CnShi
    } else {
        Style::CnYao
    };
    Some(Marker {
        style,
        value: v,
        rest: after,
    })
}

/// 1. 1． 1、 1） 1) (`s` starts with a digit); not decimals or percentages.
fn parse_arabic(s: &str) -> Option<Marker> {
    let (end, n) = take_run(s, 0, 4, |c| digit(c).is_some());
    if n > 3 {
        return None;
    }
    let v = arabic_value(&s[..end])?;
    let next = s[end..].chars().next()?;
    let after = end + next.len_utf8();
    let style = match next {
        '.' | '．' | '、' => Style::ArabicDot,
        '）' | ')' => Style::ArabicHalfParen,
        _ => return None,
    };
    if let Some(c2) = s[after..].chars().next() {
        // Decimals ("2.5"), percentages and version-like forms are not numbering.
        if digit(c2).is_some() || c2 == '%' {
            return None;
        }
    }
    let rest = skip_spaces(s, after);
    Some(Marker {
        style,
        value: v,
        rest,
    })
}

/// "N." where N is the expected next item number, even when a digit follows ("20.2026年…",
/// "21.5+2就业之家"): the sequence shows it is numbering, not a decimal.
pub fn parse_next_arabic(s: &str, expected: u32) -> Option<Marker> {
    if expected < 2 {
        return None;
    }
    let (end, n) = take_run(s, 0, 3, |c| digit(c).is_some());
    if n == 0 || arabic_value(&s[..end])? != expected {
        return None;
    }
    let next = s[end..].chars().next()?;
    if !matches!(next, '.' | '．' | '、') {
        return None;
    }
    // Still a decimal when a unit follows the digits ("5.5%左右", "2.3万亿元").
    let after = end + next.len_utf8();
    let (dend, _) = take_run(s, after, 12, |c| digit(c).is_some());
    if let Some(u) = s[dend..].chars().next()
        && "%％‰万亿千百个倍元吨米斤亩户人项次.．".contains(u)
    {
        return None;
    }
    let rest = skip_spaces(s, after);
    Some(Marker {
        style: Style::ArabicDot,
        value: expected,
        rest,
    })
}

fn after_di(s: &str, end: usize, v: u32) -> Option<Marker> {
    let tail = &s[end..];
    for (word, style) in [
        ("部分", Style::Part),
        ("编", Style::Part),
        ("篇", Style::Part),
        ("章", Style::Chapter),
        ("节", Style::Jie),
    ] {
        if tail.starts_with(word) {
            let rest = skip_spaces(s, end + word.len());
            return Some(Marker {
                style,
                value: v,
                rest,
            });
        }
    }
    let next = tail.chars().next()?;
    if (next == '，' || next == '、' || next == ',') && v <= 30 {
        let rest = skip_spaces(s, end + next.len_utf8());
        return Some(Marker {
            style: Style::DiYi,
            value: v,
            rest,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(s: &str) -> Option<(Style, u32, &str)> {
        parse(s).map(|m| (m.style, m.value, &s[m.rest..]))
    }

    #[test]
    fn forms() {
        assert_eq!(
            st("一、2025年工作回顾"),
            Some((Style::CnComma, 1, "2025年工作回顾"))
        );
        assert_eq!(st("十一、附则"), Some((Style::CnComma, 11, "附则")));
        assert_eq!(
            st("一、一年接着一年干"),
            Some((Style::CnComma, 1, "一年接着一年干"))
        );
        assert_eq!(
            st("（九）更大力度保障和改善民生"),
            Some((Style::CnParen, 9, "更大力度保障和改善民生"))
        );
        assert_eq!(st("(三)改革"), Some((Style::CnParen, 3, "改革")));
        assert_eq!(
            st("1.“四上”企业："),
            Some((Style::ArabicDot, 1, "“四上”企业："))
        );
        assert_eq!(st("12、做好"), Some((Style::ArabicDot, 12, "做好")));
        assert_eq!(st("（1）做好"), Some((Style::ArabicParen, 1, "做好")));
        assert_eq!(st("3）做好"), Some((Style::ArabicHalfParen, 3, "做好")));
        assert_eq!(st("②做好"), Some((Style::Circled, 2, "做好")));
        assert_eq!(st("［12］两新："), Some((Style::Bracket, 12, "两新：")));
        assert_eq!(
            st("一是首都功能持续优化提升。"),
            Some((Style::CnShi, 1, "首都功能持续优化提升。"))
        );
        assert_eq!(st("二要培育壮大"), Some((Style::CnYao, 2, "培育壮大")));
        assert_eq!(st("第一部分 总体要求"), Some((Style::Part, 1, "总体要求")));
        assert_eq!(
            st("第三章　发展目标"),
            Some((Style::Chapter, 3, "发展目标"))
        );
        assert_eq!(st("第二，坚持"), Some((Style::DiYi, 2, "坚持")));
    }

    #[test]
    fn non_numbering() {
        assert_eq!(parse("2.5"), None);
        assert_eq!(parse("2026年"), None);
        assert_eq!(parse("2026.1"), None);
        assert_eq!(parse("1.5万亿元"), None);
        assert_eq!(parse("一、二季度增长"), None);
        assert_eq!(parse("第一次会议"), None);
        assert_eq!(parse("一是，"), None);
        assert_eq!(parse("十分重要"), None);
        assert_eq!(parse("（注）"), None);
        assert_eq!(parse("20.2026年10件民生实事"), None);
        assert_eq!(
            parse_next_arabic("20.2026年10件民生实事", 20).map(|m| m.value),
            Some(20)
        );
        assert_eq!(parse_next_arabic("2.5亿元", 3), None);
        assert_eq!(parse_next_arabic("5.5%左右的预期增长目标", 5), None);
        assert_eq!(
            parse_next_arabic("21.5+2就业之家", 21).map(|m| m.value),
            Some(21)
        );
        assert_eq!(parse(""), None);
    }
}
