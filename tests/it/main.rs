//! One integration-test binary (see "Delete Cargo Integration Tests"): shared helpers here,
//! one module per area. Everything runs on the bundled knowledge base or on fixtures under
//! `tests/fixtures`, with no network.

mod cli;
mod engine;
mod eval;
mod fake_api;
mod features;
mod questions;
mod telegram;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lianghui_bot::search::Engine;
use lianghui_bot::service::{self, Mode};

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

/// An engine over the bundled knowledge base, built once per test run in a temporary folder.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<(tempfile::TempDir, Engine)> = OnceLock::new();
    &ENGINE
        .get_or_init(|| {
            let data = tempfile::tempdir().expect("tempdir");
            let loaded = service::load(&knowledge(), data.path(), Mode::Strict, &|_, _| {})
                .expect("bundled knowledge loads");
            (data, loaded.engine)
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
