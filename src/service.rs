//! The knowledge service: one [`KnowledgeBase`] per data folder, shared by every front end.
//!
//! It owns the hot-swappable engine, the store and the lock that serialises changes. Opening it
//! reads the knowledge folder (lenient: a bad file is reported and skipped) together with the
//! announcements document made from the store, so the command line and the bot build, and then
//! reuse, the very same index on the same data folder. Reloads and changes to the folder are
//! strict and transactional: on any error the old engine keeps serving, a changed file is put
//! back exactly as it was, and the error names file and line. Answering a question is
//! [`crate::answer::respond`]'s, on the knowledge base this module holds; nothing here speaks
//! Chinese to anyone.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::Settings;
use crate::index::tokenizer::Analyzer;
use crate::index::{self, Changes, IndexError, Manifest};
use crate::knowledge::{self, Document, FileChange, KnowledgeError, SourceError};
use crate::search::{Engine, Hits, Question, SearchError, SharedEngine};
use crate::store::{Store, StoreError};

/// Name of the database file inside the data folder.
pub const DATABASE_FILE: &str = "lianghui.sqlite";
/// Most results one page may hold.
pub const MAX_PAGE: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Knowledge(#[from] KnowledgeError),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    BadFiles(Vec<SourceError>),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a change to the knowledge folder did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The file could not be written or removed; nothing changed.
    #[error(transparent)]
    Write(#[from] KnowledgeError),
    /// The folder with the change did not load; the change was undone.
    #[error("{0}")]
    Rejected(LoadError),
    /// The folder with the change did not load, and undoing it failed too.
    #[error("{error}; putting the folder back failed as well: {undo}")]
    NotRestored {
        error: LoadError,
        undo: KnowledgeError,
    },
    /// There is no such document to remove.
    #[error("no document file {0} in the knowledge folder")]
    NoSuchFile(String),
    /// The synonym group cannot be added or removed; nothing changed.
    #[error(transparent)]
    Synonyms(#[from] knowledge::SynonymError),
}

/// What a reload or change did.
#[derive(Debug, Clone)]
pub struct Reload {
    pub manifest: Manifest,
    pub changes: Changes,
    pub elapsed: Duration,
}

/// A knowledge base just opened, and what happened while opening it.
pub struct Opened {
    pub kb: KnowledgeBase,
    /// Files skipped because they could not be used.
    pub problems: Vec<SourceError>,
    /// Whether the index was built now (false: an up-to-date one was reused).
    pub built: bool,
    pub elapsed: Duration,
}

/// The engine, the store and the lock that serialises every change to either's knowledge.
pub struct KnowledgeBase {
    engine: SharedEngine,
    store: Arc<Store>,
    knowledge_dir: PathBuf,
    data_dir: PathBuf,
    /// The configured home area (None: the recorded one, read at each reload).
    home: Option<String>,
    changes: Mutex<()>,
}

/// One synonym group as the reports see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCheck {
    /// Each word and how many passages hold it (0: the reports never use it).
    pub words: Vec<(String, u64)>,
    /// Words the reports use that never share a passage with another word of the group that
    /// the reports use: a sign the group joins unrelated things.
    pub apart: Vec<String>,
}

/// What adding synonym groups would change.
#[derive(Debug, Clone)]
pub struct SynonymImpact {
    pub groups: Vec<GroupCheck>,
    /// How many questions were tried.
    pub probes: usize,
    /// The questions whose answer would change (its tier or its first passage), with the tier
    /// before and after.
    pub changed: Vec<(String, crate::grade::Match, crate::grade::Match)>,
}

/// How the reports see each word of each group, and which of its report words never share a
/// passage with another.
fn group_checks(engine: &Engine, groups: &[Vec<String>]) -> Result<Vec<GroupCheck>, SearchError> {
    let mut checks = Vec::with_capacity(groups.len());
    for g in groups {
        let mut words = Vec::with_capacity(g.len());
        for w in g {
            words.push((w.clone(), engine.passages_with(w)?));
        }
        let in_reports: Vec<&str> = words
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(w, _)| w.as_str())
            .collect();
        let mut apart = Vec::new();
        if in_reports.len() >= 2 {
            for a in &in_reports {
                let mut shares = false;
                for b in in_reports.iter().filter(|b| *b != a) {
                    shares |= engine.together(a, b)?;
                }
                if !shares {
                    apart.push((*a).to_owned());
                }
            }
        }
        checks.push(GroupCheck { words, apart });
    }
    Ok(checks)
}

/// Reads `knowledge_dir` and validates every file, without building anything.
pub fn check(
    knowledge_dir: &Path,
) -> Result<(knowledge::Knowledge, Vec<SourceError>), KnowledgeError> {
    let k = knowledge::load_dir(knowledge_dir)?;
    let (_, mut problems) = analyzer_for(&k);
    problems.extend(k.errors.iter().cloned());
    problems.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
    Ok((k, problems))
}

fn analyzer_for(k: &knowledge::Knowledge) -> (Analyzer, Vec<SourceError>) {
    Analyzer::new(
        k.dict.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
        k.synonyms.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
    )
}

/// An engine made from the knowledge folder plus `generated` documents.
struct Loaded {
    engine: Engine,
    /// The home area the scope was decided by.
    home: Option<String>,
    problems: Vec<SourceError>,
    built: bool,
    elapsed: Duration,
}

/// Reads the folder, adds the generated documents and opens or builds their index. `strict`
/// refuses a folder with any bad file; otherwise bad files are skipped and returned.
fn load(
    knowledge_dir: &Path,
    data_dir: &Path,
    home: Option<String>,
    strict: bool,
    generated: Vec<Document>,
    progress: &dyn Fn(usize, usize),
) -> Result<Loaded, LoadError> {
    let mut k = knowledge::load_dir(knowledge_dir)?;
    for doc in generated {
        k.add_generated(doc);
    }
    // Without a home area yet, the one the reports name now becomes it, before the index is
    // built, so the first index is the one every later start reuses.
    k.home = home.or_else(|| {
        knowledge::Scope::of(&k.documents, None)
            .area
            .first()
            .cloned()
    });
    let (analyzer, mut problems) = analyzer_for(&k);
    problems.extend(k.errors.iter().cloned());
    if strict && !problems.is_empty() {
        return Err(LoadError::BadFiles(problems));
    }
    for p in &problems {
        log::warn!("skipped: {p}");
    }
    let prepared = index::open_or_build(data_dir, &k, &analyzer, progress)?;
    let engine = Engine::new(prepared.index, analyzer)?;
    Ok(Loaded {
        engine,
        home: k.home.clone(),
        problems,
        built: prepared.built,
        elapsed: prepared.elapsed,
    })
}

/// The announcements delivered so far, as a document dated in China Standard Time.
fn announcements(store: &Store) -> Result<Option<Document>, StoreError> {
    let items: Vec<(String, String)> = store
        .finished_announcements()?
        .into_iter()
        .map(|(at, text)| (crate::time::date_cst(at), text))
        .collect();
    Ok(knowledge::announcements_document(&items))
}

impl KnowledgeBase {
    /// Opens the store and the knowledge folder of `settings`, building the index if the
    /// files or the announcements changed. Bad files are skipped and reported.
    pub fn open(settings: &Settings, progress: &dyn Fn(usize, usize)) -> Result<Opened, LoadError> {
        let store = Arc::new(Store::open(&settings.data_dir.join(DATABASE_FILE))?);
        // Another process may be building or saving right now only if it runs on this data
        // folder too; leftovers are those of a process that stopped half-way.
        index::clean_leftovers(&settings.data_dir);
        knowledge::clean_leftovers(&settings.knowledge_dir);
        let generated = announcements(&store)?.into_iter().collect();
        // The home area decides the scope when reports of several areas are loaded: the one
        // configured, else the one the reports named when the bot first opened them.
        let home = match &settings.home_area {
            Some(area) => Some(area.clone()),
            None => store.meta(HOME_AREA)?,
        };
        let loaded = load(
            &settings.knowledge_dir,
            &settings.data_dir,
            home.clone(),
            false,
            generated,
            progress,
        )?;
        if home.is_none()
            && let Some(area) = &loaded.home
        {
            store.set_meta(HOME_AREA, area)?;
        }
        Ok(Opened {
            kb: KnowledgeBase {
                engine: SharedEngine::new(loaded.engine),
                store,
                knowledge_dir: settings.knowledge_dir.clone(),
                data_dir: settings.data_dir.clone(),
                home: settings.home_area.clone(),
                changes: Mutex::new(()),
            },
            problems: loaded.problems,
            built: loaded.built,
            elapsed: loaded.elapsed,
        })
    }

    /// The engine serving now; hold it for one question at most.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.get()
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn knowledge_dir(&self) -> &Path {
        &self.knowledge_dir
    }

    /// Re-reads the folder strictly and swaps the new engine in; on any error the old one
    /// keeps serving. Blocks while another reload or change runs.
    pub fn reload(&self) -> Result<Reload, LoadError> {
        let _one_at_a_time = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        self.reload_locked()
    }

    fn reload_locked(&self) -> Result<Reload, LoadError> {
        let started = Instant::now();
        let generated = announcements(&self.store)?.into_iter().collect();
        let home = match &self.home {
            Some(area) => Some(area.clone()),
            None => self.store.meta(HOME_AREA)?,
        };
        let loaded = load(
            &self.knowledge_dir,
            &self.data_dir,
            home,
            true,
            generated,
            &|_, _| {},
        )?;
        let manifest = loaded.engine.manifest().clone();
        let old = self.engine.swap(loaded.engine);
        self.store
            .set_meta(LAST_RELOAD, &crate::time::now_unix().to_string())?;
        Ok(Reload {
            changes: manifest.changes_from(old.manifest()),
            manifest,
            elapsed: started.elapsed(),
        })
    }

    /// When the knowledge base was last reloaded (Unix seconds), if ever.
    pub fn last_reload(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .store
            .meta(LAST_RELOAD)?
            .and_then(|v| v.parse::<i64>().ok()))
    }

    /// Saves a report file (new or replacing one) and reloads; on failure the folder is put
    /// back exactly as it was.
    pub fn save_document(&self, name: &str, bytes: &[u8]) -> Result<Reload, ChangeError> {
        let _one_at_a_time = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let change = knowledge::save_file(&self.knowledge_dir, name, bytes)?;
        self.apply(change)
    }

    /// Adds an approved FAQ to the FAQ file ([`knowledge::FAQ_FILE`], made on the first) and
    /// reloads; on failure the file is put back exactly as it was.
    pub fn add_faq(&self, faq: &knowledge::Faq) -> Result<Reload, ChangeError> {
        let _one_at_a_time = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let text = knowledge::faq_file_with(&self.knowledge_dir, faq)?;
        let change =
            knowledge::save_file(&self.knowledge_dir, knowledge::FAQ_FILE, text.as_bytes())?;
        self.apply(change)
    }

    /// The approved FAQs (the passages of the FAQ file), each with how many logged questions
    /// it answered first; empty when there is no FAQ file.
    pub fn faq_hits(&self) -> Result<Vec<(String, u64)>, LoadError> {
        let path = self.knowledge_dir.join(knowledge::FAQ_FILE);
        let Ok(bytes) = std::fs::read(&path) else {
            return Ok(Vec::new());
        };
        let doc =
            knowledge::read_document(&path, &bytes).map_err(|e| LoadError::BadFiles(vec![e]))?;
        let passages = index::passages::from_document(&doc);
        let ids: Vec<String> = passages.iter().map(|p| p.id.clone()).collect();
        let hits = self.store.first_answers(&ids)?;
        Ok(passages.into_iter().map(|p| p.text).zip(hits).collect())
    }

    /// Removes a report file and reloads; on failure the file is put back.
    pub fn remove_document(&self, file: &str) -> Result<Reload, ChangeError> {
        let _one_at_a_time = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let change = knowledge::remove_file(&self.knowledge_dir, file)?
            .ok_or_else(|| ChangeError::NoSuchFile(file.to_owned()))?;
        self.apply(change)
    }

    /// The synonym groups of the knowledge folder, numbered by their place.
    pub fn synonym_groups(&self) -> Result<Vec<knowledge::Group>, KnowledgeError> {
        knowledge::synonyms::list(&self.knowledge_dir)
    }

    /// Adds synonym groups and reloads; on failure the synonyms file is put back.
    pub fn add_synonyms(&self, groups: &[Vec<String>]) -> Result<Reload, ChangeError> {
        let _one_at_a_time = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let change = knowledge::synonyms::add_groups(&self.knowledge_dir, groups)?;
        self.apply(change)
    }

    /// Removes one synonym group (by its number or its words) and reloads; returns what was
    /// removed.
    pub fn remove_synonyms(
        &self,
        which: &knowledge::Which,
    ) -> Result<(Reload, knowledge::Group), ChangeError> {
        let _one_at_a_time = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let (change, group) = knowledge::synonyms::remove_group(&self.knowledge_dir, which)?;
        Ok((self.apply(change)?, group))
    }

    /// What adding `groups` would do, before anything is saved: how often each word occurs in
    /// the reports, which of its report words never share a passage, and which of the
    /// example questions, the questions asked lately and the groups' own words would be
    /// answered differently (measured on a trial index with the groups added).
    pub fn synonym_impact(
        &self,
        groups: &[Vec<String>],
        examples: &[&str],
    ) -> Result<SynonymImpact, LoadError> {
        let engine = self.engine();
        let checks = group_checks(&engine, groups)?;
        let mut k = knowledge::load_dir(&self.knowledge_dir)?;
        k.home = match &self.home {
            Some(area) => Some(area.clone()),
            None => self.store.meta(HOME_AREA)?,
        };
        if let Some(doc) = announcements(&self.store)? {
            k.add_generated(doc);
        }
        let mut text = k
            .synonyms
            .as_ref()
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        for g in groups {
            text.push('\n');
            text.push_str(&g.join(" "));
        }
        let path = self.knowledge_dir.join(knowledge::SYNONYMS_FILE);
        let (analyzer, _) = Analyzer::new(
            k.dict.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
            Some((&path, &text)),
        );
        let (open, trial) = index::trial(&self.data_dir, &k, &analyzer)?;
        let tried = Engine::new(open, analyzer)?;
        let mut probes: Vec<String> = examples.iter().map(|q| (*q).to_owned()).collect();
        probes.extend(self.store.recent_questions(100)?);
        probes.extend(groups.iter().flatten().cloned());
        probes.dedup();
        let mut changed = Vec::new();
        let first = |h: &Hits| h.hits.first().map(|h| h.passage.id.clone());
        for q in &probes {
            let Ok(question) = Question::parse(q) else {
                continue;
            };
            let (Ok(before), Ok(after)) = (
                engine.search_from(&question, 0, 1),
                tried.search_from(&question, 0, 1),
            ) else {
                continue;
            };
            if before.grade.tier != after.grade.tier || first(&before) != first(&after) {
                changed.push((q.clone(), before.grade.tier, after.grade.tier));
            }
        }
        drop(tried);
        drop(trial);
        Ok(SynonymImpact {
            groups: checks,
            probes: probes.len(),
            changed,
        })
    }

    /// Reloads after `change`, undoing it when the reload fails. The caller holds the lock.
    fn apply(&self, change: FileChange) -> Result<Reload, ChangeError> {
        match self.reload_locked() {
            Ok(reload) => Ok(reload),
            Err(error) => match change.undo() {
                Ok(()) => Err(ChangeError::Rejected(error)),
                Err(undo) => Err(ChangeError::NotRestored { error, undo }),
            },
        }
    }
}

/// Store key of the time of the last successful reload.
const LAST_RELOAD: &str = "last_reload_unix";
/// Store key of the home area recorded from the reports the bot first opened.
const HOME_AREA: &str = "home_area";
