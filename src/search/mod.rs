//! Question to hits: the analysed question ([`question`]) becomes a query built from terms
//! ([`query`]), the best candidates are re-ranked by coverage read from the postings
//! ([`rerank`]), the best passage is graded ([`crate::grade`], over plain data), and only the
//! passages shown are loaded, with the question's words marked as whole words ([`marks`]).
//! [`Retrieve`] is the engine's seam, [`SharedEngine`] the hot-swap handle front ends hold.
//! This module does no network I/O and renders nothing.

pub mod marks;
pub mod query;
pub mod question;
pub mod rerank;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, RwLock};

use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, IndexReader, Searcher, TantivyDocument, Term};

use crate::grade::{self, Detail, Grade, Match};
use crate::index::passages::Passage;
use crate::index::tokenizer::Analyzer;
use crate::index::{Fields, IndexError, Manifest, OpenIndex, decode_bounds};
use crate::knowledge::Scope;
use crate::text::{self, Tagged};
use marks::merge_adjacent;
use query::Weighted;
use rerank::Candidate;

pub use question::{Analysed, MAX_QUESTION_CHARS, Question, QuestionError};

/// Most results one search returns, counting those skipped by an offset.
pub const MAX_RESULTS: usize = 100;
/// Candidates fetched from tantivy before re-ranking.
const CANDIDATES: usize = 12;

/// A passage with its neighbours in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub before: Option<Passage>,
    pub passage: Passage,
    pub after: Option<Passage>,
}

/// A passage with its neighbours, and the question's words marked in it.
pub type MarkedContext = (Context, Vec<Range<usize>>);

/// One retrieved passage.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub passage: Passage,
    /// Final ranking score: coverage plus a share of the normalised BM25 score.
    pub score: f32,
    /// Share of the question's weighted words found in the passage (0..=1).
    pub coverage: f32,
    /// Byte ranges of `passage.text` holding a question word or one of its synonyms, whole
    /// words only, sorted and disjoint: what is shown in bold.
    pub marks: Vec<Range<usize>>,
    /// Where the question's words, synonyms or their parts occur at all (also inside other
    /// words), sorted: what the excerpt is chosen around.
    pub anchors: Vec<Range<usize>>,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hits {
    pub hits: Vec<Hit>,
    /// Coverage of the best candidate, also when it was too low to answer.
    pub best_coverage: f32,
    /// How well the best passage answers the question.
    pub grade: Grade,
    /// What the knowledge base speaks for, to say so when the answer is not direct (shared:
    /// with many documents it is not small).
    pub scope: Arc<Scope>,
}

impl Hits {
    /// No answer: nothing relevant was found.
    pub fn none(best_coverage: f32, scope: &Arc<Scope>) -> Hits {
        Hits {
            hits: Vec::new(),
            best_coverage,
            grade: Grade::none(),
            scope: scope.clone(),
        }
    }

    pub fn abstained(&self) -> bool {
        self.hits.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("tantivy: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("index i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// What answers questions: the [`Engine`], or in a test a stand-in that fails on purpose.
pub trait Retrieve {
    /// The results `offset..offset + top` for `q`, graded; none when nothing is relevant.
    fn search_from(&self, q: &Question, offset: usize, top: usize) -> Result<Hits, SearchError>;

    /// What the knowledge base speaks for.
    fn scope(&self) -> &Scope;
}

impl Retrieve for Engine {
    fn search_from(&self, q: &Question, offset: usize, top: usize) -> Result<Hits, SearchError> {
        Engine::search_from(self, q, offset, top)
    }

    fn scope(&self) -> &Scope {
        &self.manifest.scope
    }
}

/// A passage loaded for one search, with its whole-word marks, its anchors and the window of
/// sentences around them.
struct Shown {
    passage: Passage,
    heading: String,
    marks: Vec<Range<usize>>,
    anchors: Vec<Range<usize>>,
    window: String,
    window_tags: Vec<Tagged>,
}

impl Shown {
    /// What grading reads of it, as the candidate `c` ranked.
    fn view<'a>(&'a self, c: &Candidate) -> grade::Shown<'a> {
        grade::Shown {
            text: &self.passage.text,
            heading: &self.heading,
            marks: &self.marks,
            anchors: &self.anchors,
            coverage: c.coverage,
            things: c.things,
            known: c.known,
            score: c.score,
            window: &self.window,
            window_tags: &self.window_tags,
            doc_id: &self.passage.doc_id,
            period: self.passage.period,
            year: self.passage.year,
        }
    }
}

/// What of the sentences around the matches a search needs: nothing (no detail is asked
/// for), their text (an amount, a count, a time), or also their tagged words (a place or a
/// person is told by its part of speech).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    None,
    Text,
    Tagged,
}

impl Window {
    fn of(detail: Option<Detail>) -> Window {
        match detail {
            None => Window::None,
            Some(Detail::Place | Detail::Person) => Window::Tagged,
            Some(_) => Window::Text,
        }
    }
}

/// What one search has read so far: passages loaded and document frequencies looked up, so
/// that nothing is read twice.
pub(super) struct Reads<'s> {
    pub(super) searcher: &'s Searcher,
    shown: HashMap<DocAddress, Shown>,
    doc_freqs: HashMap<(Field, String), u64>,
}

impl<'s> Reads<'s> {
    fn new(searcher: &'s Searcher) -> Self {
        Reads {
            searcher,
            shown: HashMap::new(),
            doc_freqs: HashMap::new(),
        }
    }

    pub(super) fn doc_freq(&mut self, field: Field, text: &str) -> Result<u64, SearchError> {
        if let Some(df) = self.doc_freqs.get(&(field, text.to_owned())) {
            return Ok(*df);
        }
        let df = self
            .searcher
            .doc_freq(&Term::from_field_text(field, text))?;
        self.doc_freqs.insert((field, text.to_owned()), df);
        Ok(df)
    }
}

/// An opened index ready to answer questions.
pub struct Engine {
    reader: IndexReader,
    fields: Fields,
    analyzer: Analyzer,
    manifest: Manifest,
    /// The manifest's scope, shared with every answer.
    scope: Arc<Scope>,
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
            scope: Arc::new(open.manifest.scope.clone()),
            manifest: open.manifest,
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// How many passages hold `word` (as the index cuts it: a word of the dictionary or a
    /// synonym is one term).
    pub fn passages_with(&self, word: &str) -> Result<u64, SearchError> {
        let searcher = self.reader.searcher();
        let folded = text::fold_for_match(word);
        Ok(searcher.doc_freq(&Term::from_field_text(self.fields.text, &folded))?)
    }

    /// Whether some passage holds both `a` and `b`.
    pub fn together(&self, a: &str, b: &str) -> Result<bool, SearchError> {
        let searcher = self.reader.searcher();
        let clause = |w: &str| -> (Occur, Box<dyn Query>) {
            let term = Term::from_field_text(self.fields.text, &text::fold_for_match(w));
            (
                Occur::Must,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            )
        };
        let q = BooleanQuery::new(vec![clause(a), clause(b)]);
        Ok(searcher.search(&q, &tantivy::collector::Count)? > 0)
    }

    /// The `top` best passages for `q`, graded; none when nothing is relevant.
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
        let scope = &self.scope;
        let searcher = self.reader.searcher();
        let analysed = q.analyse(&self.analyzer, scope);
        let mut reads = Reads::new(&searcher);
        let words = self.weigh(&mut reads, &analysed)?;
        if words.is_empty() || top == 0 {
            return Ok(Hits::none(0.0, scope));
        }
        // Offsets come from buttons a client could forge: bound them before they size anything.
        let (offset, top) = (offset.min(MAX_RESULTS), top.min(MAX_RESULTS));
        let limit = CANDIDATES.max(offset + top);
        let found = searcher.search(
            &self.query(&mut reads, &words, &analysed.route.documents)?,
            &tantivy::collector::TopDocs::with_limit(limit).order_by_score(),
        )?;
        let mut candidates = self.rerank(&searcher, &words, &analysed.route, found)?;
        let Some(best) = candidates.first() else {
            return Ok(Hits::none(0.0, scope));
        };
        let best_coverage = best.coverage;
        if !grade::worth_grading(best_coverage, best.substantive) {
            return Ok(Hits::none(best_coverage, scope));
        }
        let grade = self.grade(&mut reads, &analysed, &words, &mut candidates)?;
        if grade.tier == Match::None {
            return Ok(Hits::none(best_coverage, scope));
        }
        // Results after the first must still say something of the question.
        let floor = (best_coverage * 0.5).max(grade::MIN_COVERAGE);
        candidates.retain(|c| c.coverage >= floor);
        let mut hits = Vec::with_capacity(top);
        let shown_forms = marks::distinctive_forms(&words);
        let window = Window::of(analysed.asked.detail);
        for c in candidates.into_iter().skip(offset).take(top) {
            self.show(&mut reads, c.addr, &words, window)?;
            let Some(shown) = reads.shown.remove(&c.addr) else {
                continue;
            };
            let marks = merge_adjacent(distinctive_marks(&shown, &shown_forms));
            hits.push(Hit {
                passage: shown.passage,
                score: c.score,
                coverage: c.coverage,
                marks,
                anchors: shown.anchors,
            });
        }
        Ok(Hits {
            hits,
            best_coverage,
            grade,
            scope: scope.clone(),
        })
    }

    /// Grades the best candidate with [`grade`], over plain data: first, when the question
    /// asks for a detail, the leading candidate that gives it may go first.
    fn grade(
        &self,
        reads: &mut Reads,
        q: &Analysed,
        words: &[Weighted],
        candidates: &mut Vec<Candidate>,
    ) -> Result<Grade, SearchError> {
        let scope = &self.manifest.scope;
        let topics: Vec<(&str, &[String])> = words
            .iter()
            .filter(|w| w.topic)
            .map(|w| (w.word.text.as_str(), w.word.synonyms.as_slice()))
            .collect();
        let asking = grade::Asking {
            folded: &q.folded,
            asked: &q.asked,
            topics,
            area: &scope.area,
            route: &q.route,
        };
        let window = Window::of(q.asked.detail);
        if q.asked.detail.is_some() {
            let n = candidates.len().min(grade::DETAIL_CANDIDATES);
            let best = candidates[0].coverage;
            // Only the candidates that could go first are loaded; the others stand in order.
            let contenders: Vec<usize> = (0..n)
                .filter(|&i| grade::may_go_first(best, candidates[i].coverage))
                .collect();
            for &i in &contenders {
                self.show(reads, candidates[i].addr, words, window)?;
            }
            let views: Vec<grade::Shown> = contenders
                .iter()
                .map(|&i| reads.shown[&candidates[i].addr].view(&candidates[i]))
                .collect();
            if let Some(i) = grade::prefer_detail(&asking, &views) {
                let chosen = candidates.remove(contenders[i]);
                candidates.insert(0, chosen);
            }
        }
        let best = &candidates[0];
        // The runner-up is read too when a detail is asked: one that does not give it is no
        // rival.
        if let Some(c) = candidates.get(1).filter(|_| q.asked.detail.is_some()) {
            self.show(reads, c.addr, words, window)?;
        }
        self.show(reads, best.addr, words, window)?;
        let view = reads.shown[&best.addr].view(best);
        let next = candidates
            .get(1)
            .map(|c| (c.score, reads.shown.get(&c.addr).map(|s| s.view(c))));
        Ok(grade::grade(&asking, &view, next))
    }

    /// The passage at `addr` with its marks and, when a detail is asked for, the window of
    /// sentences around them (tagged when the detail needs it), loaded once per search.
    fn show<'r>(
        &self,
        reads: &'r mut Reads,
        addr: DocAddress,
        words: &[Weighted],
        window: Window,
    ) -> Result<&'r Shown, SearchError> {
        if !reads.shown.contains_key(&addr) {
            let (passage, bounds) = self.load_with_bounds(reads.searcher, addr)?;
            let (marks, anchors) = self.marks(&passage.text, &bounds, words);
            let (window, window_tags) = match window {
                Window::None => (String::new(), Vec::new()),
                Window::Text | Window::Tagged => {
                    let w = text::fold_for_match(&text::sentences_around(&passage.text, &anchors));
                    let tags = if window == Window::Tagged {
                        self.analyzer.tagged(&w)
                    } else {
                        Vec::new()
                    };
                    (w, tags)
                }
            };
            let heading = format!("{} {}", passage.title, passage.section);
            reads.shown.insert(
                addr,
                Shown {
                    passage,
                    heading,
                    marks,
                    anchors,
                    window,
                    window_tags,
                },
            );
        }
        Ok(&reads.shown[&addr])
    }

    /// A passage by its id with its neighbours, and the whole-word marks of `question`'s words
    /// in it (for 原文).
    pub fn marked_context(
        &self,
        passage_id: &str,
        question: &str,
    ) -> Result<Option<MarkedContext>, SearchError> {
        let searcher = self.reader.searcher();
        let term = Term::from_field_text(self.fields.id, passage_id);
        let Some(addr) = self.address(&searcher, term)? else {
            return Ok(None);
        };
        let (passage, bounds) = self.load_with_bounds(&searcher, addr)?;
        let marks = match Question::parse(question) {
            Ok(q) => {
                let analysed = q.analyse(&self.analyzer, &self.manifest.scope);
                let mut reads = Reads::new(&searcher);
                let words = self.weigh(&mut reads, &analysed)?;
                merge_adjacent(self.marks(&passage.text, &bounds, &words).0)
            }
            Err(_) => Vec::new(),
        };
        Ok(Some((self.neighbours(&searcher, passage)?, marks)))
    }

    /// A passage by its id, with the passages before and after it in its document.
    pub fn context(&self, passage_id: &str) -> Result<Option<Context>, SearchError> {
        let searcher = self.reader.searcher();
        let Some(p) = self.by_term(&searcher, Term::from_field_text(self.fields.id, passage_id))?
        else {
            return Ok(None);
        };
        Ok(Some(self.neighbours(&searcher, p)?))
    }

    /// `p` with the passages before and after it in its document.
    fn neighbours(&self, searcher: &Searcher, p: Passage) -> Result<Context, SearchError> {
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
                .map(|(_, a)| self.load(searcher, *a))
                .transpose()
        };
        let before = if p.ord > 0 {
            neighbour(p.ord - 1)?
        } else {
            None
        };
        let after = neighbour(p.ord + 1)?;
        Ok(Context {
            before,
            passage: p,
            after,
        })
    }

    /// Where the one passage holding `term` is.
    fn address(&self, searcher: &Searcher, term: Term) -> Result<Option<DocAddress>, SearchError> {
        let q = TermQuery::new(term, IndexRecordOption::Basic);
        let top = searcher.search(
            &q,
            &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
        )?;
        Ok(top.first().map(|(_, a)| *a))
    }

    fn by_term(&self, searcher: &Searcher, term: Term) -> Result<Option<Passage>, SearchError> {
        self.address(searcher, term)?
            .map(|a| self.load(searcher, a))
            .transpose()
    }

    fn load(&self, searcher: &Searcher, addr: DocAddress) -> Result<Passage, SearchError> {
        Ok(self.load_with_bounds(searcher, addr)?.0)
    }

    /// A stored passage and its word boundaries.
    fn load_with_bounds(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
    ) -> Result<(Passage, Vec<usize>), SearchError> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let f = &self.fields;
        let s = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let u64_of = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_u64())
                .filter(|n| *n > 0)
        };
        let bounds = doc
            .get_first(f.bounds)
            .and_then(|v| v.as_bytes())
            .map(decode_bounds)
            .unwrap_or_default();
        let passage = Passage {
            id: s(f.id),
            doc_id: s(f.doc_id),
            title: s(f.title),
            section: s(f.section),
            meeting: s(f.meeting),
            body: s(f.body),
            dates: s(f.dates),
            area: s(f.area),
            year: u64_of(f.year).and_then(|y| i32::try_from(y).ok()),
            page: u64_of(f.page).and_then(|p| u32::try_from(p).ok()),
            period: u64_of(f.period).and_then(|y| i32::try_from(y).ok()),
            ord: doc
                .get_first(f.ord)
                .and_then(|v| v.as_u64())
                .unwrap_or_default(),
            text: s(f.text),
        };
        Ok((passage, bounds))
    }
}

/// The marks of `shown` that are of the question's distinctive words (`forms`): what a
/// resident sees in bold. Grading reads all of them.
fn distinctive_marks(shown: &Shown, forms: &[String]) -> Vec<Range<usize>> {
    shown
        .marks
        .iter()
        .filter(|m| {
            let t = text::fold_for_match(&shown.passage.text[(*m).clone()]);
            forms.contains(&t)
        })
        .cloned()
        .collect()
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
