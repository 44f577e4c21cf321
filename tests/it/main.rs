//! One integration-test binary (see "Delete Cargo Integration Tests"): shared helpers here,
//! one module per area. Everything runs on the bundled knowledge base or on fixtures under
//! `tests/fixtures`, with no network.

mod admin;
mod announcements;
mod answers;
mod buttons;
mod cli;
mod docker;
mod documents;
mod engine;
mod eval;
mod fake_api;
mod formats;
mod harness;
mod inline;
mod intake;
mod operations;
mod snapshots;
mod structure;
mod tickets;
mod tidy;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lianghui_bot::config::Settings;
use lianghui_bot::search::Engine;
use lianghui_bot::service::{KnowledgeBase, Opened};

/// The project folder.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled knowledge base.
pub fn knowledge() -> PathBuf {
    root().join("knowledge")
}

/// A fixture file's path.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests").join("fixtures").join(name)
}

/// Opens the knowledge base of `knowledge` with its index and database under `data`.
pub fn open_kb(knowledge: &Path, data: &Path) -> Opened {
    let settings = Settings {
        knowledge_dir: knowledge.to_path_buf(),
        data_dir: data.to_path_buf(),
        ..Settings::default()
    };
    KnowledgeBase::open(&settings, &|_, _| {}).expect("knowledge base opens")
}

/// An engine over the bundled knowledge base, built once per test run in a temporary folder.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<(tempfile::TempDir, std::sync::Arc<Engine>)> = OnceLock::new();
    &ENGINE
        .get_or_init(|| {
            let data = tempfile::tempdir().expect("tempdir");
            let opened = open_kb(&knowledge(), data.path());
            assert!(opened.problems.is_empty(), "{:?}", opened.problems);
            (data, opened.kb.engine())
        })
        .1
}

/// Copies the bundled knowledge base into a fresh folder that a test may change.
pub fn knowledge_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(knowledge()).expect("knowledge dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    dir
}
