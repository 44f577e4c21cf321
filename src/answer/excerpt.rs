//! Excerpts: the sentences of a passage a citizen is shown, in the report's own text, led by
//! the sentence that holds most of the question, cut at clauses only when one sentence is too
//! long; with the question's words marked. How marks look is the front end's
//! ([`Excerpt::render`] takes its escaping and its mark delimiters). Pure.

use std::ops::Range;

/// Characters of passage text an excerpt shows, about.
pub const EXCERPT_CHARS: usize = 150;

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

impl Excerpt {
    /// The excerpt as a front end shows it: text passed through `esc`, marks between `open`
    /// and `close`, a cut shown as ….
    pub fn render(&self, esc: impl Fn(&str) -> String, open: &str, close: &str) -> String {
        let e = self;
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
}

/// Sentences of `text` with how much of the question they hold: marked words count twice,
/// anchors (the question's words inside other words, their parts) once.
fn weighed_sentences(
    text: &str,
    marks: &[Range<usize>],
    anchors: &[Range<usize>],
) -> Vec<(Range<usize>, usize)> {
    let weight = |s: &Range<usize>, ranges: &[Range<usize>]| -> usize {
        ranges
            .iter()
            .filter(|m| m.start >= s.start && m.end <= s.end)
            .map(|m| text[m.clone()].chars().count())
            .sum()
    };
    crate::text::sentences(text)
        .map(|s| {
            let w = 2 * weight(&s, marks) + weight(&s, anchors);
            (s, w)
        })
        .collect()
}

/// The excerpt of `text` a citizen is shown: the sentence holding the most of the question
/// (its marked words, then its anchors), then the sentences after it that also hold some,
/// while they fit in about `max_chars`. A lead sentence longer than that is cut at clauses
/// around its marks.
pub fn excerpt(
    text: &str,
    marks: &[Range<usize>],
    anchors: &[Range<usize>],
    max_chars: usize,
) -> Excerpt {
    let sentences = weighed_sentences(text, marks, anchors);
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
        let m = marks_of(&text, &["蓝天实验室", "航空"]);
        let e = excerpt(&text, &m, &m, 150);
        assert_eq!(
            e.text,
            "把蓝天实验室打造成国内领先的航空科研平台。实验室将引进航空人才。"
        );
        assert!(!e.cut_start && !e.cut_end);
        let marked: Vec<&str> = e.marks.iter().map(|m| &e.text[m.clone()]).collect();
        assert_eq!(marked, vec!["蓝天实验室", "航空", "航空"]);
        assert!(e.text.starts_with("把蓝天实验室"), "{}", e.text);
    }

    #[test]
    fn a_long_sentence_is_cut_at_clauses_around_its_marks() {
        let text = format!(
            "{}，全区经济增长6.5%，{}。",
            "甲乙丙丁".repeat(40),
            "戊己庚辛".repeat(40)
        );
        let m = marks_of(&text, &["经济增长"]);
        let e = excerpt(&text, &m, &m, 60);
        assert!(e.text.chars().count() <= 60, "{}", e.text);
        assert!(e.text.contains("经济增长6.5%"), "{}", e.text);
        assert!(e.cut_start && e.cut_end);
    }
}
