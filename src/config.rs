//! Settings, loaded once by `main` from flags and the environment and passed down.
//!
//! Nothing else in the crate reads the environment. Secrets are wrapped in [`Secret`], whose
//! `Debug` and `Display` never show the value.

use std::fmt;
use std::path::PathBuf;

/// Where the engine reads from and writes to.
#[derive(Debug, Clone)]
pub struct Settings {
    pub knowledge_dir: PathBuf,
    pub data_dir: PathBuf,
    /// How many passages an answer shows.
    pub top: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            knowledge_dir: PathBuf::from("knowledge"),
            data_dir: PathBuf::from("data"),
            top: 3,
        }
    }
}

/// A value that must never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
