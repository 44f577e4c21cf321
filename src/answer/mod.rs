//! The one answer step: raw text in, a typed [`Reply`] out. [`respond`] parses the question
//! (or says why it cannot be searched), tells small talk, searches the knowledge base, cuts
//! the excerpts a citizen is shown ([`excerpt`]), picks suggestions when nothing is found
//! ([`suggest`]), and records the question log and the metrics itself. Every front end — the
//! command line (`ask`, `ask --json`, `chat`), bot messages, inline mode and 更多 — calls it and
//! only formats what it returns, with the format-free Chinese of [`wording`]. Blocking (search
//! and SQLite): front ends on async runtimes call it on the blocking pool.

pub mod excerpt;
pub mod suggest;
pub mod wording;

use std::time::Instant;

use crate::grade::{Grade, Match, SmallTalk};
use crate::index::passages::Passage;
use crate::knowledge::Scope;
use crate::metrics::Metrics;
use crate::search::{Hits, Question, QuestionError, Retrieve};
use crate::service::KnowledgeBase;
use crate::store::Store;
use crate::time::now_unix;

pub use excerpt::{EXCERPT_CHARS, Excerpt, excerpt};

/// Most results one page may hold.
pub const MAX_PAGE: usize = 20;

/// One result of an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub rank: usize,
    pub score: f32,
    pub passage: Passage,
    pub excerpt: Excerpt,
}

/// The answer to one question: graded results, or none when the reports do not say.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub question: String,
    pub items: Vec<Item>,
    /// How well the reports answer it, and why not directly.
    pub grade: Grade,
    /// What the knowledge base speaks for.
    pub scope: std::sync::Arc<Scope>,
    /// Share of the question's weighted words the best passage holds (0..=1), also when it was
    /// too little to answer.
    pub coverage: f32,
}

impl Answer {
    pub fn from_hits(question: &str, hits: &Hits, first_rank: usize) -> Answer {
        let items = hits
            .hits
            .iter()
            .enumerate()
            .map(|(i, h)| Item {
                rank: first_rank + i,
                score: h.score,
                passage: h.passage.clone(),
                excerpt: excerpt(&h.passage.text, &h.marks, &h.anchors, EXCERPT_CHARS),
            })
            .collect();
        let grade = if hits.hits.is_empty() {
            Grade::none()
        } else {
            hits.grade.clone()
        };
        Answer {
            question: question.to_owned(),
            items,
            grade,
            scope: hits.scope.clone(),
            coverage: hits.best_coverage,
        }
    }

    pub fn tier(&self) -> Match {
        self.grade.tier
    }

    pub fn abstained(&self) -> bool {
        self.items.is_empty()
    }
}

/// Which results to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ask {
    /// Results skipped (for 更多).
    pub offset: usize,
    /// Results wanted (at most [`MAX_PAGE`]).
    pub size: usize,
    /// Questions to suggest when nothing is found (0: none are looked for).
    pub suggestions: usize,
}

impl Ask {
    /// The first `size` results, and three suggestions when nothing is found.
    pub fn first(size: usize) -> Ask {
        Ask {
            offset: 0,
            size,
            suggestions: 3,
        }
    }

    /// The `size` results after the first `offset`, no suggestions.
    pub fn after(offset: usize, size: usize) -> Ask {
        Ask {
            offset,
            size,
            suggestions: 0,
        }
    }

    /// No suggestions looked for (machine-read answers, evaluation).
    pub fn without_suggestions(self) -> Ask {
        Ask {
            suggestions: 0,
            ..self
        }
    }
}

/// What a question got: every state a front end formats.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Small talk (你好, 谢谢): a friendly word, no search.
    SmallTalk {
        question: String,
        kind: SmallTalk,
        scope: Scope,
    },
    /// The reports say something: graded results, the first `shown` of them fit one screen,
    /// `more` when another page exists. `question` is its id in the question log, when logged.
    Found {
        answer: Answer,
        shown: usize,
        more: bool,
        question: Option<i64>,
    },
    /// Nothing relevant (the answer has no items), with questions the reports do answer.
    NotFound {
        answer: Answer,
        suggestions: Vec<String>,
        question: Option<i64>,
    },
    /// The text cannot be searched (empty, too long, no words): the person can fix it.
    Rejected {
        question: String,
        error: QuestionError,
    },
    /// The search itself failed (I/O, a broken index): nobody can fix it by rephrasing. Logged.
    Unavailable { question: String },
}

impl Reply {
    /// The answer, when there is one (found or not).
    pub fn answer(&self) -> Option<&Answer> {
        match self {
            Reply::Found { answer, .. } | Reply::NotFound { answer, .. } => Some(answer),
            _ => None,
        }
    }
}

/// What [`respond`] records: nothing, a new question (by the keyed hash of who asked, never
/// the ids), or another page of a logged one; with the answer metrics, when given.
#[derive(Debug, Clone, Copy)]
pub struct QuestionLog<'a> {
    metrics: Option<&'a Metrics>,
    entry: Entry,
}

#[derive(Debug, Clone, Copy)]
enum Entry {
    Off,
    Asked {
        chat: i64,
        user: u64,
        message: Option<i64>,
    },
    More {
        question: i64,
    },
}

impl<'a> QuestionLog<'a> {
    /// Records nothing (the command line, evaluation, inline mode).
    pub fn off() -> QuestionLog<'static> {
        QuestionLog {
            metrics: None,
            entry: Entry::Off,
        }
    }

    /// A question asked by `user` in `chat`.
    pub fn asked(chat: i64, user: u64, metrics: &'a Metrics) -> QuestionLog<'a> {
        QuestionLog {
            metrics: Some(metrics),
            entry: Entry::Asked {
                chat,
                user,
                message: None,
            },
        }
    }

    /// The same, asked by message `id` of the chat (kept, so that an answer given later can
    /// reply to it).
    pub fn by_message(mut self, id: i64) -> QuestionLog<'a> {
        if let Entry::Asked { message, .. } = &mut self.entry {
            *message = Some(id);
        }
        self
    }

    /// Another page of the logged question `question`.
    pub fn more(question: i64) -> QuestionLog<'static> {
        QuestionLog {
            metrics: None,
            entry: Entry::More { question },
        }
    }
}

/// The one answer step, on the engine serving now.
pub fn respond(kb: &KnowledgeBase, raw: &str, ask: Ask, log: &QuestionLog) -> Reply {
    respond_on(&*kb.engine(), Some(kb.store()), raw, ask, log)
}

/// Up to `n` questions the knowledge base in use answers directly, for `/start` and an empty
/// inline query.
pub fn examples(kb: &KnowledgeBase, n: usize) -> Vec<String> {
    suggest::suggestions(&*kb.engine(), None, n)
}

/// [`respond`] on any engine behind the [`Retrieve`] seam, logging to `store` when there is one.
pub fn respond_on(
    engine: &dyn Retrieve,
    store: Option<&Store>,
    raw: &str,
    ask: Ask,
    log: &QuestionLog,
) -> Reply {
    let started = Instant::now();
    let question = match Question::parse(raw) {
        Ok(q) => q,
        Err(error) => {
            return Reply::Rejected {
                question: raw.trim().to_owned(),
                error,
            };
        }
    };
    if let Some(kind) = crate::grade::small_talk(question.text()) {
        return Reply::SmallTalk {
            question: question.raw().to_owned(),
            kind,
            scope: engine.scope().clone(),
        };
    }
    let size = ask.size.clamp(1, MAX_PAGE);
    // One more than shown tells whether another page exists.
    let hits = match engine.search_from(&question, ask.offset, size + 1) {
        Ok(h) => h,
        Err(e) => {
            log::error!("search failed: {e}");
            return Reply::Unavailable {
                question: question.raw().to_owned(),
            };
        }
    };
    let more = hits.hits.len() > size;
    let mut answer = Answer::from_hits(question.raw(), &hits, ask.offset + 1);
    answer.items.truncate(size);
    let shown = wording::shown(&answer);
    let logged = store.and_then(|s| record(s, &answer, shown, ask, log));
    if let Some(m) = log.metrics {
        m.observe_answer(answer.abstained(), started.elapsed());
    }
    if answer.abstained() {
        let suggestions = match ask.suggestions {
            0 => Vec::new(),
            n => suggest::suggestions(engine, Some(question.raw()), n),
        };
        return Reply::NotFound {
            answer,
            suggestions,
            question: logged,
        };
    }
    Reply::Found {
        answer,
        shown,
        more,
        question: logged,
    }
}

/// Writes the question log entry; the question's id for a new one.
fn record(
    store: &Store,
    answer: &Answer,
    shown: usize,
    ask: Ask,
    log: &QuestionLog,
) -> Option<i64> {
    let ids: Vec<&str> = answer.items[..shown.min(answer.items.len())]
        .iter()
        .map(|i| i.passage.id.as_str())
        .collect();
    let written = match log.entry {
        Entry::Off => return None,
        Entry::Asked {
            chat,
            user,
            message,
        } => store.asker_key(chat, user).and_then(|asker| {
            let top = answer.items.first().map(|i| i.score);
            store.log_question(
                &answer.question,
                answer.tier(),
                &ids,
                top,
                now_unix(),
                &asker,
                message,
            )
        }),
        Entry::More { question } => store
            .add_answers(question, ask.offset + 1, &ids)
            .map(|()| question),
    };
    match written {
        Ok(id) => Some(id),
        Err(e) => {
            log::warn!("cannot log the question: {e}");
            None
        }
    }
}
