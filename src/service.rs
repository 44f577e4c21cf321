//! Loading the knowledge base into a ready [`Engine`]: read the folder, build the analyzer,
//! open or build the index. Used at start-up (lenient: bad files are reported and skipped) and
//! by reloads (strict: any bad file keeps the old index). No front end logic lives here.

use std::path::Path;
use std::time::Duration;

use crate::index::{self, IndexError, Manifest};
use crate::knowledge::{self, KnowledgeError, SourceError};
use crate::search::{Engine, SearchError};
use crate::tokenizer::Analyzer;

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
}

/// A loaded engine and what happened while loading it.
pub struct Loaded {
    pub engine: Engine,
    /// Files skipped (lenient mode only).
    pub problems: Vec<SourceError>,
    pub built: bool,
    pub elapsed: Duration,
}

impl Loaded {
    pub fn manifest(&self) -> &Manifest {
        self.engine.manifest()
    }
}

/// Whether bad files are skipped with a warning or stop the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Lenient,
    Strict,
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

/// Loads the knowledge folder into an engine, building the index if the files changed.
pub fn load(
    knowledge_dir: &Path,
    data_dir: &Path,
    mode: Mode,
    progress: &dyn Fn(usize, usize),
) -> Result<Loaded, LoadError> {
    load_with(knowledge_dir, data_dir, mode, Vec::new(), progress)
}

/// Like [`load`], with documents that do not come from files (the announcements).
pub fn load_with(
    knowledge_dir: &Path,
    data_dir: &Path,
    mode: Mode,
    generated: Vec<knowledge::Document>,
    progress: &dyn Fn(usize, usize),
) -> Result<Loaded, LoadError> {
    let mut k = knowledge::load_dir(knowledge_dir)?;
    for doc in generated {
        k.add_generated(doc);
    }
    let (analyzer, mut problems) = analyzer_for(&k);
    problems.extend(k.errors.iter().cloned());
    if mode == Mode::Strict && !problems.is_empty() {
        return Err(LoadError::BadFiles(problems));
    }
    for p in &problems {
        log::warn!("skipped: {p}");
    }
    let prepared = index::open_or_build(data_dir, &k, &analyzer, progress)?;
    let engine = Engine::new(prepared.index, analyzer)?;
    Ok(Loaded {
        engine,
        problems,
        built: prepared.built,
        elapsed: prepared.elapsed,
    })
}
