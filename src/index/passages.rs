//! Documents to passages: the unit of retrieval.
//!
//! A passage is one paragraph (a very long one is split at sentence ends) in the report's own
//! characters ([`crate::text::display`]), carrying its document, section path and meeting. Its id is derived
//! from the document id and the passage text, so it stays the same across rebuilds as long as the
//! text does. This module does not tokenise or index.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::knowledge::Document;
use crate::text;

/// Paragraphs longer than this many characters are split at sentence ends.
pub const MAX_PASSAGE_CHARS: usize = 400;
/// Separator between the levels of a section path.
pub const SECTION_SEP: &str = " › ";

/// One retrievable piece of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// Stable id: `<doc id>-<hash of text>`.
    pub id: String,
    pub doc_id: String,
    pub title: String,
    /// Section path joined with [`SECTION_SEP`]; empty for text above the first heading.
    pub section: String,
    pub meeting: String,
    pub body: String,
    pub dates: String,
    /// The area its document speaks for ("河南省"; empty when unknown).
    pub area: String,
    /// The year its document speaks for.
    pub year: Option<i32>,
    /// The page it starts on (PDF).
    pub page: Option<u32>,
    /// The year its section speaks of (a review part's year before its document's); None
    /// when its headings do not say (see [`crate::knowledge::period`]).
    pub period: Option<i32>,
    /// Position of the passage in its document, from 0.
    pub ord: u64,
    /// The report's own text, as shown to people; matching folds it (see
    /// [`crate::text::fold_for_match`]).
    pub text: String,
}

/// Cuts every document into passages, in document order.
pub fn from_documents(docs: &[Document]) -> Vec<Passage> {
    docs.iter().flat_map(from_document).collect()
}

/// Cuts one document into passages.
pub fn from_document(doc: &Document) -> Vec<Passage> {
    let mut out: Vec<Passage> = Vec::new();
    // How often each text has been seen, so that repeats get distinct ids in linear time.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for para in &doc.paragraphs {
        let shown = text::display(&para.text);
        for piece in split_sentences(&shown, MAX_PASSAGE_CHARS) {
            let hash = short_hash(&piece);
            // The same text twice in one document: keep the ids distinct and still stable.
            let n = seen.entry(hash.clone()).or_default();
            *n += 1;
            let id = if *n == 1 {
                format!("{}-{hash}", doc.id)
            } else {
                format!("{}-{hash}-{n}", doc.id)
            };
            out.push(Passage {
                id,
                doc_id: doc.id.clone(),
                title: doc.meta.headline.clone(),
                section: para.section.join(SECTION_SEP),
                meeting: doc.meta.meeting.clone().unwrap_or_default(),
                body: doc.meta.body.clone().unwrap_or_default(),
                dates: doc.meta.dates.clone().unwrap_or_default(),
                area: doc.meta.area.clone().unwrap_or_default(),
                year: doc.meta.year,
                page: para.page,
                period: crate::knowledge::period(
                    para.section.iter().map(String::as_str),
                    doc.meta.year,
                ),
                ord: out.len() as u64,
                text: piece,
            });
        }
    }
    out
}

/// Splits `text` into pieces of at most `max` characters, at sentence ends where possible.
pub fn split_sentences(text: &str, max: usize) -> Vec<String> {
    // Every length below is counted once, as it is walked: linear in the paragraph, however
    // long and however it is punctuated.
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_chars = 0;
    for range in crate::text::sentences(text) {
        let mut sentence = &text[range];
        let mut chars = sentence.chars().count();
        if current_chars + chars <= max {
            current.push_str(sentence);
            current_chars += chars;
            continue;
        }
        if !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
        }
        // A single sentence over the limit is cut hard, on a character boundary.
        while chars > max {
            let head = text::truncate_chars(sentence, max);
            pieces.push(head.to_owned());
            sentence = &sentence[head.len()..];
            chars -= max;
        }
        current.push_str(sentence);
        current_chars = chars;
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    if pieces.is_empty() {
        pieces.push(text.to_owned());
    }
    pieces
}

fn short_hash(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..5])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::read_document;
    use std::path::Path;

    #[test]
    fn splits_long_paragraphs_at_sentence_ends() {
        let text = "一二三。四五六。七八九十。".repeat(3);
        let pieces = split_sentences(&text, 10);
        assert!(pieces.iter().all(|p| p.chars().count() <= 10), "{pieces:?}");
        assert!(pieces.iter().all(|p| p.ends_with('。')), "{pieces:?}");
        assert_eq!(pieces.concat(), text);
        let hard = "字".repeat(25);
        assert_eq!(
            split_sentences(&hard, 10)
                .iter()
                .map(|p| p.chars().count())
                .collect::<Vec<_>>(),
            vec![10, 10, 5]
        );
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = read_document(
            Path::new("d.md"),
            "# T\n\n甲段。\n\n乙段。\n\n甲段。\n".as_bytes(),
        )
        .unwrap();
        let b = read_document(
            Path::new("d.md"),
            "# T\n\n新增段。\n\n甲段。\n\n乙段。\n\n甲段。\n".as_bytes(),
        )
        .unwrap();
        let pa = from_document(&a);
        let pb = from_document(&b);
        assert_eq!(pa.len(), 3);
        assert_ne!(pa[0].id, pa[2].id);
        let ids_b: Vec<&str> = pb.iter().map(|p| p.id.as_str()).collect();
        for p in &pa {
            assert!(ids_b.contains(&p.id.as_str()), "{} lost", p.id);
        }
    }
}
