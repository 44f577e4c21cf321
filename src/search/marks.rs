//! Where the question's words are in a passage: whole-word marks (what is shown in bold: a
//! word or synonym of the question where a word of the passage begins and another ends, never
//! inside another word, a single character only when the question word is one, never the
//! area's own name) and anchors (every occurrence of those words and their parts: what the
//! excerpt is chosen around).

use std::ops::Range;

use super::Engine;
use super::query::Weighted;
use crate::text;

impl Engine {
    /// Whole-word marks of the question's words and their synonyms in `text`, and anchors. A
    /// mark counts only where a word of the passage begins and another ends (`bounds`), so it is
    /// never inside another word; a single character only when the question word is one; never
    /// the area's own name. Anchors are every occurrence of those words and of their parts.
    pub(super) fn marks(
        &self,
        text: &str,
        bounds: &[usize],
        words: &[Weighted],
    ) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
        let folded = text::fold_for_match(text);
        // Folding keeps every character in place; where it also keeps every width (the usual
        // case), a byte offset in `folded` is the same offset in `text`.
        let same_bytes = folded.len() == text.len()
            && folded
                .chars()
                .zip(text.chars())
                .all(|(a, b)| a.len_utf8() == b.len_utf8());
        let (to_text, folded_starts): (Vec<usize>, Vec<usize>) = if same_bytes {
            (Vec::new(), Vec::new())
        } else {
            let chain = |s: &str| s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
            (chain(text), chain(&folded))
        };
        let to_text_range = |b: usize, e: usize| -> Option<Range<usize>> {
            if same_bytes {
                return Some(b..e);
            }
            let cs = folded_starts.binary_search(&b).ok()?;
            let ce = folded_starts.binary_search(&e).ok()?;
            Some(to_text[cs]..to_text[ce])
        };
        // (form, whether it may be marked): words and synonyms may; parts only anchor.
        let mut forms: Vec<(&str, bool)> = Vec::new();
        let area = &self.manifest.scope.area;
        for w in words {
            let single = w.word.text.chars().count() == 1;
            let markable = std::iter::once(&w.word.text).chain(&w.word.synonyms);
            for f in markable {
                if (single || f.chars().count() >= 2) && !forms.iter().any(|(g, _)| g == f) {
                    forms.push((f, !area.contains(f)));
                }
            }
            for p in &w.word.parts {
                if !forms.iter().any(|(g, _)| g == p) {
                    forms.push((p, false));
                }
            }
        }
        // Longest first, so a longer word wins where two overlap.
        forms.sort_by_key(|(f, _)| std::cmp::Reverse(f.len()));
        let (mut marks, mut anchors): (Vec<Range<usize>>, Vec<Range<usize>>) =
            (Vec::new(), Vec::new());
        for (form, markable) in forms {
            for (b, m) in folded.match_indices(form) {
                let Some(range) = to_text_range(b, b + m.len()) else {
                    continue;
                };
                // A word of two characters or more may also end a longer one: Chinese puts the
                // head last, so 甲骨文篆刻博物馆 is a 博物馆 (大事 inside 重大事故 ends nothing).
                let head = form.chars().count() >= 2;
                let whole = (head || bounds.binary_search(&range.start).is_ok())
                    && bounds.binary_search(&range.end).is_ok();
                let free = |v: &[Range<usize>]| {
                    !v.iter().any(|r| r.start < range.end && range.start < r.end)
                };
                if markable && whole && free(&marks) {
                    marks.push(range.clone());
                }
                if free(&anchors) {
                    anchors.push(range);
                }
            }
        }
        marks.sort_by_key(|r| r.start);
        anchors.sort_by_key(|r| r.start);
        (marks, anchors)
    }
}

/// Inverse document frequency a word needs to be shown in bold: in about a fifth of the
/// passages or fewer. A word most passages hold (项目, 工作) marks nothing a reader looks for.
const DISTINCTIVE_IDF: f32 = 1.6;

/// The forms (words and their synonyms) worth marking for a reader: the question's topic
/// words of two characters or more that are distinctive; when none is, its heaviest topic word.
pub(super) fn distinctive_forms(words: &[Weighted]) -> Vec<String> {
    let forms = |w: &Weighted| {
        std::iter::once(w.word.text.clone())
            .chain(w.word.synonyms.iter().cloned())
            .collect::<Vec<_>>()
    };
    let topics = words
        .iter()
        .filter(|w| w.topic && w.word.text.chars().count() >= 2);
    let chosen: Vec<String> = topics
        .clone()
        .filter(|w| w.idf >= DISTINCTIVE_IDF)
        .flat_map(forms)
        .collect();
    if !chosen.is_empty() {
        return chosen;
    }
    topics
        .max_by(|a, b| a.weight.total_cmp(&b.weight))
        .map(forms)
        .unwrap_or_default()
}

/// Marks side by side read as one mark.
pub(super) fn merge_adjacent(marks: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(marks.len());
    for m in marks {
        match merged.last_mut() {
            Some(last) if last.end == m.start => last.end = m.end,
            _ => merged.push(m),
        }
    }
    merged
}
