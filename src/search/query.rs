//! The question's words weighed and turned into a tantivy query, built from terms and never
//! through the `QueryParser`: each word, the shorter words inside it and its synonyms (at a
//! lower weight), in the passage text and, weaker, in the title and section path. A word the
//! reports never use falls back to its known parts or characters at a low weight, so one
//! unknown colloquial word does not sink a question.

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use super::question::Analysed;
use super::{Engine, Reads, SearchError};
use crate::index::tokenizer::QueryWord;
use crate::text::Pos;

/// Weight of a synonym relative to the word a citizen used, in the query.
const SYNONYM_BOOST: f32 = 0.5;
/// Weight of a part of a long word ("人才" of "人才公寓"), in the query.
const PART_BOOST: f32 = 0.4;
/// Weight of a single character of a word the reports never use, in the query.
const CHAR_BOOST: f32 = 0.15;
/// Share of the passages above which a helper term (a synonym, part or character) is left out
/// of the retrieval query.
const MAX_HELPER_SHARE: f32 = 0.02;
/// Below this many passages no helper term is left out: a small knowledge base is cheap to
/// search whole.
const MIN_HELPER_CAP: u64 = 2_000;
/// Weight of a match in the title or section path, in the query.
const CONTEXT_BOOST: f32 = 0.3;
/// Weight of a word the reports never use, relative to a known word as rare: it cannot be
/// found, so it should not outweigh the words that can.
const UNKNOWN_WEIGHT: f32 = 0.35;

/// How a word of the question can be found: the forms that count, and its weight.
#[derive(Debug)]
pub(super) struct Weighted {
    pub(super) word: QueryWord,
    pub(super) weight: f32,
    /// How specific the word is (its inverse document frequency).
    pub(super) idf: f32,
    /// Single characters to fall back on: set only when neither the word, its synonyms nor its
    /// parts occur in the reports.
    pub(super) chars: Vec<String>,
    /// Whether a match of the word says what the question is about: not a single character,
    /// not the area's own name, not a bare city or province name (安阳, 河南), which says where
    /// and not what.
    pub(super) topic: bool,
    /// Whether it names a thing (a noun), not a way of doing or describing.
    pub(super) noun: bool,
}

impl Engine {
    /// Weighs each word by how specific it is; a word the reports never use falls back to its
    /// parts or, failing those, its characters, and weighs less.
    pub(super) fn weigh(
        &self,
        reads: &mut Reads,
        q: &Analysed,
    ) -> Result<Vec<Weighted>, SearchError> {
        let n = reads.searcher.num_docs() as f32;
        let field = self.fields.text;
        let mut df = |w: &str| reads.doc_freq(field, w);
        let idf = |df: u64| (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln();
        let mut out = Vec::with_capacity(q.words.len());
        // A place the documents searched speak for is said by the route, not searched for.
        let said = |w: &str| q.route.said.iter().any(|s| s == w);
        for word in q.words.iter().filter(|w| !said(&w.text)).cloned() {
            // How specific the concept is: the commonest of the forms that would count as found.
            let mut best = df(&word.text)?;
            for s in &word.synonyms {
                best = best.max(df(s)?);
            }
            let mut unknown = false;
            if best == 0 {
                let mut min_part = u64::MAX;
                for p in &word.parts {
                    min_part = min_part.min(df(p)?);
                }
                unknown = min_part == 0 || min_part == u64::MAX;
                best = if unknown { 0 } else { min_part };
            }
            let specific = idf(best);
            // Single characters say little on their own; longer words are more specific.
            let chars = word.text.chars().count();
            let mut weight = if chars == 1 {
                specific * 0.5
            } else {
                specific * (1.0 + 0.25 * (chars.clamp(2, 6) - 2) as f32)
            };
            let pos = q.pos_of(&word.text);
            let mut fallback = Vec::new();
            if unknown {
                // A thing the reports never name (护照, 红烧肉) is what the question is about and
                // keeps its weight; an unknown way of describing (坑坑洼洼, 锈了) weighs little.
                if !pos.is_noun() {
                    weight *= UNKNOWN_WEIGHT;
                }
                for c in &word.chars {
                    if df(c)? > 0 {
                        fallback.push(c.clone());
                    }
                }
            }
            let bare_place = pos == Pos::Place && chars <= 2;
            let topic = chars >= 2 && !bare_place && !self.manifest.scope.area.contains(&word.text);
            out.push(Weighted {
                word,
                weight: weight.max(0.05),
                idf: if unknown { 0.0 } else { specific },
                chars: fallback,
                topic,
                noun: pos.is_noun(),
            });
        }
        Ok(out)
    }

    /// The retrieval query: each word, and its synonyms, parts and fallback characters at lower
    /// weights, in the text and (weaker) in the title and section path. Each term once, at its
    /// highest weight; helper terms (not the citizen's own words) found in more than
    /// [`MAX_HELPER_SHARE`] of the passages (and more than [`MIN_HELPER_CAP`]) are left to the
    /// re-ranking, which still counts them: they would cost the union much and move its ranking
    /// little.
    pub(super) fn query(
        &self,
        reads: &mut Reads,
        words: &[Weighted],
        documents: &[String],
    ) -> Result<BooleanQuery, SearchError> {
        let common =
            ((reads.searcher.num_docs() as f32 * MAX_HELPER_SHARE) as u64).max(MIN_HELPER_CAP);
        let mut terms: Vec<(Field, String, f32)> = Vec::new();
        let mut add =
            |field: Field, text: &str, boost: f32, own: bool| -> Result<(), SearchError> {
                if let Some(t) = terms.iter_mut().find(|(f, t, _)| *f == field && t == text) {
                    t.2 = t.2.max(boost);
                    return Ok(());
                }
                let df = reads.doc_freq(field, text)?;
                if df > 0 && (own || df <= common) {
                    terms.push((field, text.to_owned(), boost));
                }
                Ok(())
            };
        let (text, context) = (self.fields.text, self.fields.context);
        for w in words {
            add(text, &w.word.text, 1.0, true)?;
            add(context, &w.word.text, CONTEXT_BOOST, true)?;
            for p in &w.word.parts {
                add(text, p, PART_BOOST, false)?;
            }
            for s in &w.word.synonyms {
                add(text, s, SYNONYM_BOOST, false)?;
                add(context, s, CONTEXT_BOOST * SYNONYM_BOOST, false)?;
            }
            for c in &w.chars {
                add(text, c, CHAR_BOOST, false)?;
            }
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .into_iter()
            .map(|(field, t, boost)| {
                let q = TermQuery::new(
                    Term::from_field_text(field, &t),
                    IndexRecordOption::WithFreqs,
                );
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), boost)) as Box<dyn Query>,
                )
            })
            .collect();
        let words = BooleanQuery::new(clauses);
        if documents.is_empty() {
            return Ok(words);
        }
        // Only the documents of the place asked about.
        let of_documents: Vec<(Occur, Box<dyn Query>)> = documents
            .iter()
            .map(|id| {
                let term = Term::from_field_text(self.fields.doc_id, id);
                (
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                )
            })
            .collect();
        let filter =
            tantivy::query::ConstScoreQuery::new(Box::new(BooleanQuery::new(of_documents)), 0.0);
        Ok(BooleanQuery::new(vec![
            (Occur::Must, Box::new(words) as Box<dyn Query>),
            (Occur::Must, Box::new(filter)),
        ]))
    }
}
