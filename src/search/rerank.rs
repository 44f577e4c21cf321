//! Re-ranking the candidates by coverage: the share of the question's meaning, weighted by
//! how specific each word is, that a passage holds. Read from the postings of the few
//! candidates (each term once), never from stored documents.

use std::collections::HashMap;

use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Searcher, Term};

use super::query::Weighted;
use super::{Engine, SearchError};
use crate::grade::Route;

/// Inverse document frequency a matched word needs to count as substance (the area's name or
/// a word in most passages is not).
const MIN_SUBSTANCE_IDF: f32 = 0.4;

/// What a passage of the home area's reports adds to its score when the question names no
/// place: among answers about as good, the home area's first.
const HOME_BONUS: f32 = 0.05;
/// What a passage whose section speaks of the year asked about adds to its score (去年's
/// figures are in the review part, 今年's in the plan).
const PERIOD_BONUS: f32 = 0.1;

/// A candidate passage before it is loaded.
pub(super) struct Candidate {
    pub(super) addr: DocAddress,
    pub(super) coverage: f32,
    pub(super) score: f32,
    /// Whether a word of substance matched.
    pub(super) substantive: bool,
    /// Share of the question's weighted things (the nouns the reports use) the passage holds;
    /// its coverage when the question names none.
    pub(super) things: f32,
    /// Share of the weighted words the reports use at all that the passage holds: what a
    /// passage could say of the question. 0 when the reports use none of its words.
    pub(super) known: f32,
}

impl Engine {
    /// Coverage and score of every candidate, best first; read from the postings, so no stored
    /// document is loaded.
    pub(super) fn rerank(
        &self,
        searcher: &Searcher,
        words: &[Weighted],
        route: &Route,
        found: Vec<(f32, DocAddress)>,
    ) -> Result<Vec<Candidate>, SearchError> {
        let Some(max_bm25) = found.first().map(|(s, _)| *s) else {
            return Ok(Vec::new());
        };
        let addrs: Vec<DocAddress> = found.iter().map(|(_, a)| *a).collect();
        let mut presence = Presence::new(searcher, &addrs);
        let total: f32 = words.iter().map(|w| w.weight).sum();
        let is_thing = |w: &Weighted| w.noun && w.topic;
        let things_total: f32 = words.iter().filter(|w| is_thing(w)).map(|w| w.weight).sum();
        // The years asked of the documents, each once.
        let mut years: Vec<i32> = route.years.iter().map(|(_, y)| *y).collect();
        years.sort_unstable();
        years.dedup();
        let mut out = Vec::with_capacity(found.len());
        for (i, (bm25, addr)) in found.into_iter().enumerate() {
            let mut covered = 0.0;
            let mut things = 0.0;
            let (mut known, mut known_total) = (0.0, 0.0);
            let mut substantive = false;
            for w in words {
                let credit = self.credit(&mut presence, i, w)?;
                covered += credit * w.weight;
                // A word no report uses counts only where it was found after all (by its parts
                // or characters): no passage could hold it.
                if w.idf > 0.0 || credit > 0.0 {
                    known += credit * w.weight;
                    known_total += w.weight;
                }
                if is_thing(w) {
                    things += credit * w.weight;
                }
                substantive |= credit >= 0.5 && w.idf >= MIN_SUBSTANCE_IDF && w.topic;
            }
            let coverage = if total > 0.0 { covered / total } else { 0.0 };
            let things = if things_total > 0.0 {
                things / things_total
            } else {
                coverage
            };
            let known = if known_total > 0.0 {
                known / known_total
            } else {
                0.0
            };
            let bonus = self.preference(&mut presence, i, route, &years)?;
            out.push(Candidate {
                addr,
                coverage,
                score: coverage + 0.25 * (bm25 / max_bm25.max(f32::EPSILON)) + bonus,
                substantive,
                things,
                known,
            });
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.addr.cmp(&b.addr)));
        Ok(out)
    }

    /// What candidate `i` gains for being the home area's, or for speaking of the year asked;
    /// a few term lookups whatever the number of documents.
    fn preference(
        &self,
        p: &mut Presence,
        i: usize,
        route: &Route,
        years: &[i32],
    ) -> Result<f32, SearchError> {
        let f = &self.fields;
        let mut bonus = 0.0;
        if let Some(home) = &route.first
            && p.has(Term::from_field_text(f.area, home), i)?
        {
            bonus += HOME_BONUS;
        }
        let u = |y: i32| u64::try_from(y).unwrap_or(0);
        for &y in years {
            // One year asked of every document (2025年), or a relative one: the passage's
            // part speaks of its own document's year plus the offset.
            let of_its_document = match (years.len(), route.offset) {
                (1, _) => true,
                (_, Some(off)) => p.has(Term::from_field_u64(f.year, u(y - off)), i)?,
                _ => false,
            };
            if of_its_document && p.has(Term::from_field_u64(f.period, u(y)), i)? {
                bonus += PERIOD_BONUS;
                break;
            }
        }
        Ok(bonus)
    }

    /// How much of `w` candidate `i` holds (0..=1).
    fn credit(&self, p: &mut Presence, i: usize, w: &Weighted) -> Result<f32, SearchError> {
        let (text, context) = (self.fields.text, self.fields.context);
        let mut has = |field: Field, t: &str| p.has(Term::from_field_text(field, t), i);
        if has(text, &w.word.text)? {
            return Ok(1.0);
        }
        for s in &w.word.synonyms {
            if has(text, s)? {
                return Ok(0.8);
            }
        }
        let share = |found: usize, all: usize| found as f32 / all.max(1) as f32;
        let mut parts = 0;
        for part in &w.word.parts {
            parts += usize::from(has(text, part)?);
        }
        if parts > 0 {
            // All parts present is nearly the word; some parts is a weaker hint.
            let s = share(parts, w.word.parts.len());
            return Ok(if s >= 1.0 { 0.9 } else { 0.4 * s });
        }
        if has(context, &w.word.text)? {
            return Ok(0.5);
        }
        for s in &w.word.synonyms {
            if has(context, s)? {
                return Ok(0.5);
            }
        }
        let mut chars = 0;
        for c in &w.chars {
            chars += usize::from(has(text, c)?);
        }
        Ok(0.3 * share(chars, w.chars.len()))
    }
}

/// Which candidates hold which terms, read from the postings of each segment, each term once.
struct Presence<'a> {
    searcher: &'a Searcher,
    addrs: &'a [DocAddress],
    known: HashMap<Term, Vec<bool>>,
}

impl<'a> Presence<'a> {
    fn new(searcher: &'a Searcher, addrs: &'a [DocAddress]) -> Self {
        Presence {
            searcher,
            addrs,
            known: HashMap::new(),
        }
    }

    /// Whether candidate `i` holds `term`.
    fn has(&mut self, term: Term, i: usize) -> Result<bool, SearchError> {
        if let Some(v) = self.known.get(&term) {
            return Ok(v[i]);
        }
        let field = term.field();
        let mut found = vec![false; self.addrs.len()];
        // Postings are read forward only: visit each segment's candidates in doc order.
        let mut order: Vec<usize> = (0..self.addrs.len()).collect();
        order.sort_by_key(|&k| self.addrs[k]);
        let mut segment = None;
        let mut postings = None;
        for k in order {
            let addr = self.addrs[k];
            if segment != Some(addr.segment_ord) {
                segment = Some(addr.segment_ord);
                let reader = self.searcher.segment_reader(addr.segment_ord);
                postings = reader
                    .inverted_index(field)?
                    .read_postings(&term, IndexRecordOption::Basic)?;
            }
            if let Some(p) = postings.as_mut()
                && p.doc() <= addr.doc_id
            {
                found[k] = p.seek(addr.doc_id) == addr.doc_id;
            }
        }
        let answer = found[i];
        self.known.insert(term, found);
        Ok(answer)
    }
}
