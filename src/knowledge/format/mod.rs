//! The reader seam: one function from a file's name and bytes to what a document is made of
//! (its stated metadata and its paragraphs with their sections), whatever the format. Each
//! format is a reader of its own in this folder and decides its own decoding; errors name the
//! file and, where there is one, the line. What is common to every format (the id, the title
//! fallback, the shape checks) is done by the caller, [`super::read_document`].
//!
//! Readers do not normalise, split or index text, and touch no file: they get bytes.

pub mod markdown;
pub mod plain;

use std::path::Path;

use super::{Meta, Paragraph, SourceError};

/// The formats the knowledge folder reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.md`, `.markdown`: Markdown with optional TOML front matter.
    Markdown,
    /// `.txt`: plain text, the first line the title.
    Plain,
}

impl Format {
    /// The format of a file by its name's extension; None for what the folder does not read.
    pub fn of(name: &str) -> Option<Format> {
        let ext = Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" => Some(Format::Markdown),
            "txt" => Some(Format::Plain),
            _ => None,
        }
    }
}

/// True for a file name the knowledge folder reads: a known format, not hidden. The
/// dictionary and synonyms files are plain text too.
pub fn is_report_file(name: &str) -> bool {
    !name.starts_with('.') && Format::of(name).is_some()
}

/// Reads one report file by its format: the metadata it states and its paragraphs.
pub fn read(path: &Path, bytes: &[u8]) -> Result<(Meta, Vec<Paragraph>), SourceError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    match Format::of(name) {
        Some(Format::Markdown) => markdown::read(path, bytes),
        Some(Format::Plain) | None => plain::read(path, bytes),
    }
}

/// UTF-8 text of `bytes` without a byte-order mark; binary content (a NUL byte) or invalid
/// UTF-8 is an error at its line.
pub fn utf8(path: &Path, bytes: &[u8]) -> Result<String, SourceError> {
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        return Err(SourceError::new(
            path,
            line_of(bytes, pos),
            "binary content (NUL byte): not a text file",
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        SourceError::new(
            path,
            line_of(bytes, e.valid_up_to()),
            "not valid UTF-8 text",
        )
    })?;
    Ok(text.strip_prefix('\u{FEFF}').unwrap_or(text).to_owned())
}

fn line_of(bytes: &[u8], pos: usize) -> usize {
    bytes[..pos.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
