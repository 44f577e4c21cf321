//! The answer for a terminal: the lead, every excerpt numbered with its marks in 【】, a source
//! line under each.

use crate::answer::wording::{lead, marker, sources};
use crate::answer::{Answer, Excerpt};

/// The excerpt with marks as 【】 and cuts as ….
pub fn excerpt_plain(e: &Excerpt) -> String {
    e.render(|s| s.to_owned(), "【", "】")
}

/// The answer for a terminal: every item, numbered, each with its source line.
pub fn render_plain(answer: &Answer) -> String {
    let mut out = String::new();
    let lead = lead(answer);
    if !lead.is_empty() {
        out.push_str(&lead);
        out.push_str("\n\n");
    }
    let sources = sources(answer, answer.items.len());
    for (item, source) in answer.items.iter().zip(sources) {
        let source = source.map_or(String::new(), |s| format!("\n   —— {s}"));
        out.push_str(&format!(
            "{} {}{source}\n\n",
            marker(item.rank),
            excerpt_plain(&item.excerpt)
        ));
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_brackets_in_a_terminal() {
        let e = Excerpt {
            text: "a<b>&c 增长".to_owned(),
            marks: std::iter::once(7..13).collect(),
            cut_start: false,
            cut_end: true,
        };
        assert_eq!(excerpt_plain(&e), "a<b>&c 【增长】…");
    }
}
