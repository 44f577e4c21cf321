//! Question to hits: query analysis, retrieval, re-ranking and grading.
//!
//! A question is parsed at the edge into a [`Question`] (normalised, bounded, not empty). Its
//! words (fillers removed) become a tantivy query built from terms, never through the
//! `QueryParser`: each word, the shorter words inside it, and its synonyms (at a lower weight),
//! in the passage text and, weaker, in the title and section path. A word the reports never use
//! falls back to its known parts or characters at a low weight, so one unknown colloquial word
//! does not sink a question. The best candidates are re-ranked by coverage (the share of the
//! question's meaning, weighted by how specific each word is, that a passage holds), read from
//! the postings rather than from stored documents. The best passage is then graded
//! ([`crate::grade`]): direct, related or none. Only the passages shown are loaded, with the
//! question's words marked as whole words. [`SharedEngine`] is the hot-swap handle that front
//! ends hold. This module does no network I/O and renders nothing.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, RwLock};

use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, DocSet, IndexReader, Searcher, TantivyDocument, Term};

use crate::grade::{self, Asked, Detail, Evidence, Grade, Match};
use crate::index::{Fields, IndexError, Manifest, OpenIndex, decode_bounds};
use crate::knowledge::Scope;
use crate::passages::Passage;
use crate::text;
use crate::tokenizer::{Analyzer, QueryWord};

/// Longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 500;
/// Most results one search returns, counting those skipped by an offset.
pub const MAX_RESULTS: usize = 100;
/// Candidates fetched from tantivy before re-ranking.
const CANDIDATES: usize = 12;
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
/// Leading candidates searched for the detail a question asks for.
const DETAIL_CANDIDATES: usize = 5;
/// Share of the best coverage a candidate needs to go first for holding the detail asked for.
const DETAIL_COVERAGE: f32 = 0.75;
/// How much better than the next passage the best one must score to be a direct answer.
const CLEAR_MARGIN: f32 = 0.05;
/// Below this coverage the best passage says nothing useful: the answer is `none`.
const MIN_COVERAGE: f32 = 0.2;
/// Inverse document frequency a matched word needs to count as substance (the area's name or
/// a word in most passages is not).
const MIN_SUBSTANCE_IDF: f32 = 0.4;

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
    /// What the knowledge base speaks for, to say so when the answer is not direct.
    pub scope: Scope,
}

impl Hits {
    /// No answer: nothing relevant was found.
    pub fn none(best_coverage: f32, scope: &Scope) -> Hits {
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

/// How a word of the question can be found: the forms that count, and its weight.
#[derive(Debug)]
struct Weighted {
    word: QueryWord,
    weight: f32,
    /// How specific the word is (its inverse document frequency).
    idf: f32,
    /// Single characters to fall back on: set only when neither the word, its synonyms nor its
    /// parts occur in the reports.
    chars: Vec<String>,
    /// Whether a match of the word says what the question is about: not a single character,
    /// not the area's own name, not a bare city or province name (安阳, 河南), which says where
    /// and not what.
    topic: bool,
}

/// A passage loaded for one search, with its whole-word marks and its anchors.
struct Shown {
    passage: Passage,
    marks: Vec<Range<usize>>,
    anchors: Vec<Range<usize>>,
}

/// What one search has read so far: passages loaded and document frequencies looked up, so
/// that nothing is read twice.
struct Reads<'s> {
    searcher: &'s Searcher,
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

    fn doc_freq(&mut self, field: Field, text: &str) -> Result<u64, SearchError> {
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

/// A candidate passage before it is loaded.
struct Candidate {
    addr: DocAddress,
    coverage: f32,
    score: f32,
    /// Whether a word of substance matched.
    substantive: bool,
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
        let searcher = self.reader.searcher();
        let tagged: Vec<(String, String)> = self
            .analyzer
            .tagged(q.text())
            .into_iter()
            .map(|(t, tag)| (t.text, tag))
            .collect();
        let mut reads = Reads::new(&searcher);
        let words = self.weigh(&mut reads, self.analyzer.query_words(q.text()), &tagged)?;
        if words.is_empty() || top == 0 {
            return Ok(Hits::none(0.0, &self.manifest.scope));
        }
        // Offsets come from buttons a client could forge: bound them before they size anything.
        let (offset, top) = (offset.min(MAX_RESULTS), top.min(MAX_RESULTS));
        let limit = CANDIDATES.max(offset + top);
        let found = searcher.search(
            &self.query(&mut reads, &words)?,
            &tantivy::collector::TopDocs::with_limit(limit).order_by_score(),
        )?;
        let mut candidates = self.rerank(&searcher, &words, found)?;
        let Some(best) = candidates.first() else {
            return Ok(Hits::none(0.0, &self.manifest.scope));
        };
        let best_coverage = best.coverage;
        if best_coverage < MIN_COVERAGE || !best.substantive {
            return Ok(Hits::none(best_coverage, &self.manifest.scope));
        }
        let asked = grade::asked(q.text(), &tagged, &self.manifest.scope);
        if let Some(detail) = asked.detail {
            self.prefer_detail(&mut reads, q, &words, detail, &mut candidates)?;
        }
        let grade = self.grade(&mut reads, q, &asked, &words, &candidates)?;
        if grade.tier == Match::None {
            return Ok(Hits::none(best_coverage, &self.manifest.scope));
        }
        // Results after the first must still say something of the question.
        let floor = (best_coverage * 0.5).max(MIN_COVERAGE);
        candidates.retain(|c| c.coverage >= floor);
        let mut hits = Vec::with_capacity(top);
        for c in candidates.into_iter().skip(offset).take(top) {
            self.show(&mut reads, c.addr, &words)?;
            let Some(shown) = reads.shown.remove(&c.addr) else {
                continue;
            };
            hits.push(Hit {
                passage: shown.passage,
                score: c.score,
                coverage: c.coverage,
                marks: merge_adjacent(shown.marks),
                anchors: shown.anchors,
            });
        }
        Ok(Hits {
            hits,
            best_coverage,
            grade,
            scope: self.manifest.scope.clone(),
        })
    }

    /// Coverage and score of every candidate, best first; read from the postings, so no stored
    /// document is loaded.
    fn rerank(
        &self,
        searcher: &Searcher,
        words: &[Weighted],
        found: Vec<(f32, DocAddress)>,
    ) -> Result<Vec<Candidate>, SearchError> {
        let Some(max_bm25) = found.first().map(|(s, _)| *s) else {
            return Ok(Vec::new());
        };
        let addrs: Vec<DocAddress> = found.iter().map(|(_, a)| *a).collect();
        let mut presence = Presence::new(searcher, &addrs);
        let total: f32 = words.iter().map(|w| w.weight).sum();
        let mut out = Vec::with_capacity(found.len());
        for (i, (bm25, addr)) in found.into_iter().enumerate() {
            let mut covered = 0.0;
            let mut substantive = false;
            for w in words {
                let credit = self.credit(&mut presence, i, w)?;
                covered += credit * w.weight;
                substantive |= credit >= 0.5 && w.idf >= MIN_SUBSTANCE_IDF && w.topic;
            }
            let coverage = if total > 0.0 { covered / total } else { 0.0 };
            out.push(Candidate {
                addr,
                coverage,
                score: coverage + 0.25 * (bm25 / max_bm25.max(f32::EPSILON)),
                substantive,
            });
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.addr.cmp(&b.addr)));
        Ok(out)
    }

    /// How much of `w` candidate `i` holds (0..=1).
    fn credit(&self, p: &mut Presence, i: usize, w: &Weighted) -> Result<f32, SearchError> {
        let (text, context) = (self.fields.text, self.fields.context);
        if p.has(text, &w.word.text, i)? {
            return Ok(1.0);
        }
        for s in &w.word.synonyms {
            if p.has(text, s, i)? {
                return Ok(0.8);
            }
        }
        let share = |found: usize, all: usize| found as f32 / all.max(1) as f32;
        let mut parts = 0;
        for part in &w.word.parts {
            parts += usize::from(p.has(text, part, i)?);
        }
        if parts > 0 {
            // All parts present is nearly the word; some parts is a weaker hint.
            let s = share(parts, w.word.parts.len());
            return Ok(if s >= 1.0 { 0.9 } else { 0.4 * s });
        }
        if p.has(context, &w.word.text, i)? {
            return Ok(0.5);
        }
        for s in &w.word.synonyms {
            if p.has(context, s, i)? {
                return Ok(0.5);
            }
        }
        let mut chars = 0;
        for c in &w.chars {
            chars += usize::from(p.has(text, c, i)?);
        }
        Ok(0.3 * share(chars, w.chars.len()))
    }

    /// Grades the best candidate: what the question asks against what the passage holds.
    fn grade(
        &self,
        reads: &mut Reads,
        q: &Question,
        asked: &Asked,
        words: &[Weighted],
        candidates: &[Candidate],
    ) -> Result<Grade, SearchError> {
        let scope = &self.manifest.scope;
        let best = &candidates[0];
        let Shown {
            passage,
            marks,
            anchors,
        } = self.show(reads, best.addr, words)?;
        let folded = text::fold_for_match(&passage.text);
        let heading = text::fold_for_match(&format!("{} {}", passage.title, passage.section));
        // A direct answer names what was asked as a word of its own: a question word found only
        // inside another word (大事 inside 重大事故) is a coincidence of characters.
        let whole = marks.iter().any(|m| {
            let t = text::fold_for_match(&passage.text[m.clone()]);
            words
                .iter()
                .any(|w| w.topic && (w.word.text == t || w.word.synonyms.contains(&t)))
        });
        // A clear winner: the next passage is not about as good.
        let clear = candidates
            .get(1)
            .is_none_or(|second| best.score - second.score >= CLEAR_MARGIN);
        let places_missing = asked
            .places
            .iter()
            .filter(|p| !folded.contains(String::as_str(p)) && !heading.contains(String::as_str(p)))
            .cloned()
            .collect();
        let detail_found = asked
            .detail
            .is_none_or(|d| self.holds_detail(q, &passage.text, anchors, d));
        let evidence = Evidence {
            coverage: best.coverage,
            substantive: true,
            clear,
            whole,
            places_missing,
            detail_found,
        };
        Ok(grade::decide(asked, scope, &evidence))
    }

    /// The passage at `addr` with its marks, loaded once per search.
    fn show<'r>(
        &self,
        reads: &'r mut Reads,
        addr: DocAddress,
        words: &[Weighted],
    ) -> Result<&'r Shown, SearchError> {
        if !reads.shown.contains_key(&addr) {
            let (passage, bounds) = self.load_with_bounds(reads.searcher, addr)?;
            let (marks, anchors) = self.marks(&passage.text, &bounds, words);
            reads.shown.insert(
                addr,
                Shown {
                    passage,
                    marks,
                    anchors,
                },
            );
        }
        Ok(&reads.shown[&addr])
    }

    /// Whether the sentences of `text` around `marks` hold the kind of detail asked for.
    fn holds_detail(&self, q: &Question, text: &str, marks: &[Range<usize>], d: Detail) -> bool {
        let window = text::fold_for_match(&sentences_around(text, marks));
        let tagged: Vec<(String, String)> = match d {
            Detail::Place | Detail::Person => self
                .analyzer
                .tagged(&window)
                .into_iter()
                .map(|(t, tag)| (t.text, tag))
                .collect(),
            _ => Vec::new(),
        };
        let known = format!(
            "{} {}",
            text::fold_for_match(q.text()),
            self.manifest.scope.area.join(" ")
        );
        grade::holds_detail(d, &window, &tagged, &known)
    }

    /// When the question asks for a detail (a number, a date, a place …), the first of the
    /// leading candidates that gives it near the matched words goes first, provided it covers
    /// the question nearly as well: "when was it held" is answered by the passage with the date.
    fn prefer_detail(
        &self,
        reads: &mut Reads,
        q: &Question,
        words: &[Weighted],
        detail: Detail,
        candidates: &mut Vec<Candidate>,
    ) -> Result<(), SearchError> {
        let Some(best) = candidates.first().map(|c| c.coverage) else {
            return Ok(());
        };
        for i in 0..candidates.len().min(DETAIL_CANDIDATES) {
            if candidates[i].coverage < best * DETAIL_COVERAGE {
                continue;
            }
            let shown = self.show(reads, candidates[i].addr, words)?;
            if self.holds_detail(q, &shown.passage.text, &shown.anchors, detail) {
                let chosen = candidates.remove(i);
                candidates.insert(0, chosen);
                break;
            }
        }
        Ok(())
    }

    /// Whole-word marks of the question's words and their synonyms in `text`, and anchors. A
    /// mark counts only where a word of the passage begins and another ends (`bounds`), so it is
    /// never inside another word; a single character only when the question word is one; never
    /// the area's own name. Anchors are every occurrence of those words and of their parts.
    fn marks(
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
                let whole = bounds.binary_search(&range.start).is_ok()
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
                let tagged: Vec<(String, String)> = self
                    .analyzer
                    .tagged(q.text())
                    .into_iter()
                    .map(|(t, tag)| (t.text, tag))
                    .collect();
                let mut reads = Reads::new(&searcher);
                let words = self.weigh(&mut reads, self.analyzer.query_words(q.text()), &tagged)?;
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

    /// Weighs each word by how specific it is; a word the reports never use falls back to its
    /// parts or, failing those, its characters, and weighs less.
    fn weigh(
        &self,
        reads: &mut Reads,
        words: Vec<QueryWord>,
        tagged: &[(String, String)],
    ) -> Result<Vec<Weighted>, SearchError> {
        let tag_of = |w: &str| {
            tagged
                .iter()
                .find(|(t, _)| t == w)
                .map_or("x", |(_, tag)| tag.as_str())
        };
        let n = reads.searcher.num_docs() as f32;
        let field = self.fields.text;
        let mut df = |w: &str| reads.doc_freq(field, w);
        let idf = |df: u64| (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln();
        let mut out = Vec::with_capacity(words.len());
        for word in words {
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
            let tag = tag_of(&word.text);
            let mut fallback = Vec::new();
            if unknown {
                // A thing the reports never name (护照, 红烧肉) is what the question is about and
                // keeps its weight; an unknown way of describing (坑坑洼洼, 锈了) weighs little.
                if !tag.starts_with('n') {
                    weight *= UNKNOWN_WEIGHT;
                }
                for c in &word.chars {
                    if df(c)? > 0 {
                        fallback.push(c.clone());
                    }
                }
            }
            let bare_place = tag == "ns" && chars <= 2;
            let topic = chars >= 2 && !bare_place && !self.manifest.scope.area.contains(&word.text);
            out.push(Weighted {
                word,
                weight: weight.max(0.05),
                idf: if unknown { 0.0 } else { specific },
                chars: fallback,
                topic,
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
    fn query(&self, reads: &mut Reads, words: &[Weighted]) -> Result<BooleanQuery, SearchError> {
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
        Ok(BooleanQuery::new(clauses))
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
            ord: doc
                .get_first(f.ord)
                .and_then(|v| v.as_u64())
                .unwrap_or_default(),
            text: s(f.text),
        };
        Ok((passage, bounds))
    }
}

/// Marks side by side read as one mark.
fn merge_adjacent(marks: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(marks.len());
    for m in marks {
        match merged.last_mut() {
            Some(last) if last.end == m.start => last.end = m.end,
            _ => merged.push(m),
        }
    }
    merged
}

/// The sentences of `text` that hold a mark (all of it when nothing is marked).
fn sentences_around(text: &str, marks: &[Range<usize>]) -> String {
    if marks.is_empty() {
        return text.to_owned();
    }
    text::sentences(text)
        .filter(|s| marks.iter().any(|m| m.start < s.end && s.start < m.end))
        .map(|s| &text[s])
        .collect()
}

/// Which candidates hold which terms, read from the postings of each segment, each term once.
struct Presence<'a> {
    searcher: &'a Searcher,
    addrs: &'a [DocAddress],
    known: HashMap<(Field, String), Vec<bool>>,
}

impl<'a> Presence<'a> {
    fn new(searcher: &'a Searcher, addrs: &'a [DocAddress]) -> Self {
        Presence {
            searcher,
            addrs,
            known: HashMap::new(),
        }
    }

    /// Whether candidate `i` holds `text` in `field`.
    fn has(&mut self, field: Field, text: &str, i: usize) -> Result<bool, SearchError> {
        let key = (field, text.to_owned());
        if let Some(v) = self.known.get(&key) {
            return Ok(v[i]);
        }
        let term = Term::from_field_text(field, text);
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
        self.known.insert(key, found);
        Ok(answer)
    }
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
            home_area: None,
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
