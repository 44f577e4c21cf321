//! Question to hits: query analysis, retrieval, re-ranking and abstention.
//!
//! A question is parsed at the edge into a [`Question`] (normalised, bounded, not empty). Its
//! words (fillers removed) become a tantivy query built from terms, never through the
//! `QueryParser`: each word, the shorter words inside it, and its synonyms (at a lower weight),
//! in the passage text and, weaker, in the title and section path. The best candidates are then
//! re-ranked by coverage: the share of the question's meaning, weighted by how specific each word
//! is, that the passage contains. When even the best passage covers too little, the engine
//! abstains. [`SharedEngine`] is the hot-swap handle that front ends hold. This module does no
//! network I/O and renders nothing.

use std::sync::{Arc, RwLock};

use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, IndexReader, Searcher, TantivyDocument, Term};

use crate::index::{Fields, IndexError, Manifest, OpenIndex};
use crate::passages::Passage;
use crate::text;
use crate::tokenizer::{Analyzer, QueryWord};

/// Longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 500;
/// Most results one search returns, counting those skipped by an offset.
pub const MAX_RESULTS: usize = 100;
/// Candidates fetched from tantivy before re-ranking.
const CANDIDATES: usize = 30;
/// Minimum coverage of the question by the best passage; below it the engine abstains.
/// Chosen on the dev set and the project's extra set (see README): the off-domain questions
/// there score at most 0.43, and the weakest answerable question's best passage 0.48.
pub const MIN_COVERAGE: f32 = 0.45;
/// Weight of a synonym relative to the word a citizen used.
const SYNONYM_BOOST: f32 = 0.5;
/// Weight of a part of a long word ("人才" of "人才公寓").
const PART_BOOST: f32 = 0.4;
/// Weight of a match in the title or section path.
const CONTEXT_BOOST: f32 = 0.3;

/// Why a question cannot be searched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionError {
    #[error("the question is empty")]
    Empty,
    #[error("the question is {chars} characters long; at most {max} are accepted")]
    TooLong { chars: usize, max: usize },
    #[error("the question has no words to search for")]
    NoText,
}

/// A question, normalised and bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    raw: String,
    text: String,
}

impl Question {
    pub fn parse(raw: &str) -> Result<Question, QuestionError> {
        // Bound before any work, so a megabyte of input costs a count, not an analysis.
        let chars = raw.chars().take(MAX_QUESTION_CHARS * 4 + 1).count();
        if chars > MAX_QUESTION_CHARS * 4 {
            return Err(QuestionError::TooLong {
                chars: raw.chars().count(),
                max: MAX_QUESTION_CHARS,
            });
        }
        let text = text::normalize(raw);
        if text.is_empty() {
            return Err(QuestionError::Empty);
        }
        let chars = text.chars().count();
        if chars > MAX_QUESTION_CHARS {
            return Err(QuestionError::TooLong {
                chars,
                max: MAX_QUESTION_CHARS,
            });
        }
        if !text::has_searchable(&text) {
            return Err(QuestionError::NoText);
        }
        Ok(Question {
            raw: raw.trim().to_owned(),
            text,
        })
    }

    /// The question as the citizen wrote it, trimmed.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The normalised question.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A passage with its neighbours in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub before: Option<Passage>,
    pub passage: Passage,
    pub after: Option<Passage>,
}

/// One retrieved passage.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub passage: Passage,
    /// Final ranking score: coverage plus a share of the normalised BM25 score.
    pub score: f32,
    /// Share of the question's weighted words found in the passage (0..=1).
    pub coverage: f32,
    /// The words (as they appear in the index's script) to mark in the passage.
    pub marks: Vec<String>,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hits {
    pub hits: Vec<Hit>,
    /// Coverage of the best candidate, also when it was too low to answer.
    pub best_coverage: f32,
}

impl Hits {
    pub fn abstained(&self) -> bool {
        self.hits.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("tantivy: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// A word of the question with its weight and the forms that count as a match.
struct Weighted {
    word: QueryWord,
    weight: f32,
}

/// What answers questions: the [`Engine`], or in a test a stand-in that fails on purpose.
pub trait Retrieve {
    /// The results `offset..offset + top` for `q`, or none when nothing is relevant enough.
    fn search_from(&self, q: &Question, offset: usize, top: usize) -> Result<Hits, SearchError>;
}

impl Retrieve for Engine {
    fn search_from(&self, q: &Question, offset: usize, top: usize) -> Result<Hits, SearchError> {
        Engine::search_from(self, q, offset, top)
    }
}

/// An opened index ready to answer questions.
pub struct Engine {
    reader: IndexReader,
    fields: Fields,
    analyzer: Analyzer,
    manifest: Manifest,
}

impl Engine {
    pub fn new(open: OpenIndex, analyzer: Analyzer) -> Result<Engine, SearchError> {
        let reader = open
            .index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(64)
            .try_into()?;
        Ok(Engine {
            reader,
            fields: open.fields,
            analyzer,
            manifest: open.manifest,
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The `top` best passages for `q`, or none when nothing is relevant enough.
    pub fn search(&self, q: &Question, top: usize) -> Result<Hits, SearchError> {
        self.search_from(q, 0, top)
    }

    /// Like [`Engine::search`], skipping the first `offset` results (for "more").
    pub fn search_from(
        &self,
        q: &Question,
        offset: usize,
        top: usize,
    ) -> Result<Hits, SearchError> {
        let searcher = self.reader.searcher();
        let words = self.weigh(&searcher, self.analyzer.query_words(q.text()))?;
        let empty = Hits {
            hits: Vec::new(),
            best_coverage: 0.0,
        };
        if words.is_empty() || top == 0 {
            return Ok(empty);
        }
        let query = self.query(&words);
        // Offsets come from buttons a client could forge: bound them before they size anything.
        let (offset, top) = (offset.min(MAX_RESULTS), top.min(MAX_RESULTS));
        let limit = CANDIDATES.max(offset + top);
        let candidates = searcher.search(
            &query,
            &tantivy::collector::TopDocs::with_limit(limit).order_by_score(),
        )?;
        let Some(max_bm25) = candidates.first().map(|(s, _)| *s) else {
            return Ok(empty);
        };
        let total: f32 = words.iter().map(|w| w.weight).sum();
        let mut hits = Vec::with_capacity(candidates.len());
        for (bm25, addr) in candidates {
            let passage = self.load(&searcher, addr)?;
            let folded = text::fold_for_match(&passage.text);
            let context = text::fold_for_match(&format!("{} {}", passage.title, passage.section));
            let mut covered = 0.0;
            let mut marks = Vec::new();
            for w in &words {
                let (credit, found) = credit(&w.word, &folded, &context);
                covered += credit * w.weight;
                marks.extend(found);
            }
            let coverage = if total > 0.0 { covered / total } else { 0.0 };
            let score = coverage + 0.25 * (bm25 / max_bm25.max(f32::EPSILON));
            hits.push(Hit {
                passage,
                score,
                coverage,
                marks,
            });
        }
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.passage.id.cmp(&b.passage.id))
        });
        let best_coverage = hits.first().map_or(0.0, |h| h.coverage);
        if best_coverage < MIN_COVERAGE {
            return Ok(Hits {
                hits: Vec::new(),
                best_coverage,
            });
        }
        // Results after the first must still say something of the question.
        let floor = (best_coverage * 0.5).max(MIN_COVERAGE * 0.75);
        let hits = hits
            .into_iter()
            .filter(|h| h.coverage >= floor)
            .skip(offset)
            .take(top)
            .collect();
        Ok(Hits {
            hits,
            best_coverage,
        })
    }

    /// A passage by its id, with the passages before and after it in its document.
    pub fn context(&self, passage_id: &str) -> Result<Option<Context>, SearchError> {
        let searcher = self.reader.searcher();
        let Some(p) = self.by_term(&searcher, Term::from_field_text(self.fields.id, passage_id))?
        else {
            return Ok(None);
        };
        let neighbour = |ord: u64| -> Result<Option<Passage>, SearchError> {
            let q = BooleanQuery::new(vec![
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.doc_id, &p.doc_id),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>,
                ),
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_u64(self.fields.ord, ord),
                        IndexRecordOption::Basic,
                    )),
                ),
            ]);
            let top = searcher.search(
                &q,
                &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
            )?;
            top.first()
                .map(|(_, a)| self.load(&searcher, *a))
                .transpose()
        };
        let before = if p.ord > 0 {
            neighbour(p.ord - 1)?
        } else {
            None
        };
        let after = neighbour(p.ord + 1)?;
        Ok(Some(Context {
            before,
            passage: p,
            after,
        }))
    }

    fn by_term(&self, searcher: &Searcher, term: Term) -> Result<Option<Passage>, SearchError> {
        let q = TermQuery::new(term, IndexRecordOption::Basic);
        let top = searcher.search(
            &q,
            &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
        )?;
        top.first()
            .map(|(_, a)| self.load(searcher, *a))
            .transpose()
    }

    fn weigh(
        &self,
        searcher: &Searcher,
        words: Vec<QueryWord>,
    ) -> Result<Vec<Weighted>, SearchError> {
        let n = searcher.num_docs() as f32;
        let df = |w: &str| searcher.doc_freq(&Term::from_field_text(self.fields.text, w));
        let mut out = Vec::with_capacity(words.len());
        for word in words {
            // How specific the concept is: the commonest of the forms that would count as found.
            let mut best = df(&word.text)?;
            for s in &word.synonyms {
                best = best.max(df(s)?);
            }
            if best == 0 && !word.parts.is_empty() {
                let mut min_part = u64::MAX;
                for p in &word.parts {
                    min_part = min_part.min(df(p)?);
                }
                best = min_part;
            }
            let idf = (1.0 + (n - best as f32 + 0.5) / (best as f32 + 0.5)).ln();
            // Single characters say little on their own; longer words are more specific.
            let chars = word.text.chars().count();
            let weight = if chars == 1 {
                idf * 0.5
            } else {
                idf * (1.0 + 0.25 * (chars.clamp(2, 6) - 2) as f32)
            };
            out.push(Weighted {
                word,
                weight: weight.max(0.05),
            });
        }
        Ok(out)
    }

    fn query(&self, words: &[Weighted]) -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut add = |field, text: &str, boost: f32| {
            let q = TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            );
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
        };
        for w in words {
            add(self.fields.text, &w.word.text, 1.0);
            add(self.fields.context, &w.word.text, CONTEXT_BOOST);
            for p in &w.word.parts {
                add(self.fields.text, p, PART_BOOST);
            }
            for s in &w.word.synonyms {
                add(self.fields.text, s, SYNONYM_BOOST);
                add(self.fields.context, s, CONTEXT_BOOST * SYNONYM_BOOST);
            }
        }
        BooleanQuery::new(clauses)
    }

    fn load(&self, searcher: &Searcher, addr: DocAddress) -> Result<Passage, SearchError> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let f = &self.fields;
        let s = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        Ok(Passage {
            id: s(f.id),
            doc_id: s(f.doc_id),
            title: s(f.title),
            section: s(f.section),
            meeting: s(f.meeting),
            body: s(f.body),
            dates: s(f.dates),
            ord: doc
                .get_first(f.ord)
                .and_then(|v| v.as_u64())
                .unwrap_or_default(),
            text: s(f.text),
        })
    }
}

/// How much of `word` the passage holds (0..=1), and the forms found, to be marked.
fn credit(word: &QueryWord, passage: &str, context: &str) -> (f32, Vec<String>) {
    if passage.contains(&word.text) {
        return (1.0, vec![word.text.clone()]);
    }
    let found_syn: Vec<String> = word
        .synonyms
        .iter()
        .filter(|s| passage.contains(String::as_str(s)))
        .cloned()
        .collect();
    if !found_syn.is_empty() {
        return (0.8, found_syn);
    }
    if !word.parts.is_empty() {
        let found: Vec<String> = word
            .parts
            .iter()
            .filter(|p| passage.contains(String::as_str(p)))
            .cloned()
            .collect();
        if !found.is_empty() {
            let share = found.len() as f32 / word.parts.len() as f32;
            // All parts present is nearly the word; some parts is a weaker hint.
            return (if share >= 1.0 { 0.9 } else { 0.4 * share }, found);
        }
    }
    if context.contains(&word.text)
        || word
            .synonyms
            .iter()
            .any(|s| context.contains(String::as_str(s)))
    {
        return (0.5, Vec::new());
    }
    (0.0, Vec::new())
}

/// The engine in use, swappable while questions are being answered: a reader clones the `Arc`
/// and keeps the engine it started with, however long it takes.
#[derive(Clone)]
pub struct SharedEngine(Arc<RwLock<Arc<Engine>>>);

impl SharedEngine {
    pub fn new(engine: Engine) -> Self {
        SharedEngine(Arc::new(RwLock::new(Arc::new(engine))))
    }

    pub fn get(&self) -> Arc<Engine> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the engine; returns the old one.
    pub fn swap(&self, engine: Engine) -> Arc<Engine> {
        let mut guard = self.0.write().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *guard, Arc::new(engine))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forged_offsets_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let settings = crate::config::Settings {
            knowledge_dir: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
            data_dir: dir.path().to_path_buf(),
            top: 3,
        };
        let engine = crate::service::KnowledgeBase::open(&settings, &|_, _| {})
            .unwrap()
            .kb
            .engine();
        let q = Question::parse("项目建设").unwrap();
        for (offset, top) in [(usize::MAX, 4), (3, usize::MAX), (usize::MAX, usize::MAX)] {
            let hits = engine.search_from(&q, offset, top).unwrap();
            assert!(hits.hits.len() <= MAX_RESULTS);
        }
    }

    #[test]
    fn questions_are_bounded_and_not_empty() {
        assert_eq!(Question::parse("  \t\n"), Err(QuestionError::Empty));
        assert_eq!(Question::parse("😀😀"), Err(QuestionError::NoText));
        assert_eq!(Question::parse("？？"), Err(QuestionError::NoText));
        assert!(matches!(
            Question::parse(&"问".repeat(MAX_QUESTION_CHARS + 1)),
            Err(QuestionError::TooLong { .. })
        ));
        assert!(matches!(
            Question::parse(&"问".repeat(1 << 20)),
            Err(QuestionError::TooLong { .. })
        ));
        assert_eq!(Question::parse(" ＧＤＰ 目标 ").unwrap().text(), "GDP目标");
    }
}
