//! The reader seam: from a file's name and bytes to what the file holds, whatever the format.
//! Each format is a reader of its own in this folder and decides its own decoding:
//!
//! - [`markdown`]: the bundled reports' format, which marks its own structure (TOML front
//!   matter, `#` headings), so it gives paragraphs with their sections directly;
//! - [`docx`] (Word, WPS and LibreOffice), [`pdf`] (text PDFs, with their pages), [`html`] (a
//!   saved page or its source: the article only) and [`text`] (text copied from a web page,
//!   UTF-8, UTF-16 or GBK) give the file's text as [`model::Block`]s in reading order, with the
//!   properties the file states about itself; the structure step (`knowledge::structure`),
//!   shared by all of them, finds sections, drops page furniture and derives the metadata.
//!
//! Which reader runs is decided by the name and the bytes together ([`detect`]): a `.docx`
//! that is a PDF is read as a PDF, an old binary Word or WPS file is refused as such whatever
//! its name. Every reader enforces [`model::Limits`] (input size, inflated bytes, text, depth,
//! time) and runs behind `catch_unwind`, so no file can panic, hang or exhaust the bot.
//! Readers touch no file and no index: they get bytes. They are pure Rust (zip + flate2,
//! quick-xml, html5gum, encoding_rs): nothing native to install.

pub mod docx;
pub mod html;
pub mod markdown;
pub mod model;
pub mod pdf;
pub mod text;
mod util;

use std::path::Path;

pub use model::{Block, Extracted, Kind, Limits, Props, ReadError};

use super::{Meta, Paragraph, SourceError};

/// The formats the knowledge folder knows, by the file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.md`, `.markdown`: Markdown with optional TOML front matter.
    Markdown,
    /// `.txt`: text, often copied from a web page.
    Text,
    /// `.docx`: Word (also as WPS and LibreOffice save it).
    Docx,
    /// `.pdf`: a PDF with a text layer.
    Pdf,
    /// `.html`, `.htm`: a saved web page or its source.
    Html,
    /// `.doc`, `.wps`: old binary Word and WPS files, which are refused with a word on what
    /// to send instead (named here so that they are not silently ignored).
    Legacy,
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
            "txt" => Some(Format::Text),
            "docx" => Some(Format::Docx),
            "pdf" => Some(Format::Pdf),
            "html" | "htm" => Some(Format::Html),
            "doc" | "wps" => Some(Format::Legacy),
            _ => None,
        }
    }
}

/// True for a file name the knowledge folder reads (or refuses with a reason): a known format,
/// not hidden. The dictionary and synonyms files are text files too.
pub fn is_report_file(name: &str) -> bool {
    !name.starts_with('.') && Format::of(name).is_some()
}

/// What a reader found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// A file that marks its own structure and states its metadata (Markdown).
    Marked {
        meta: Meta,
        paragraphs: Vec<Paragraph>,
    },
    /// A file's text in reading order, for the structure step.
    Blocks(Extracted),
}

/// Reads one report file by its format. A reader's refusal (damaged, encrypted, a scan, an
/// old format, too complex) comes back as a [`SourceError`] with the [`ReadError`] as its
/// problem, so the caller can say why in the admin's words.
pub fn read(path: &Path, bytes: &[u8], limits: &Limits) -> Result<Reading, SourceError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let refused = |e: ReadError| SourceError::refused(path, e);
    if Format::of(name) == Some(Format::Markdown) && detect(name, bytes) == Ok(Detected::Text) {
        let (meta, paragraphs) = markdown::read(path, bytes)?;
        return Ok(Reading::Marked { meta, paragraphs });
    }
    extract(name, bytes, limits)
        .map(Reading::Blocks)
        .map_err(refused)
}

/// The text of a file that does not mark its own structure, as blocks: the reader the name
/// and the bytes call for ([`detect`]), within `limits`, behind `catch_unwind`.
pub fn extract(name: &str, bytes: &[u8], limits: &Limits) -> Result<Extracted, ReadError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(ReadError::TooComplex {
            detail: format!(
                "input of {} bytes is larger than the limit of {} bytes",
                bytes.len(),
                limits.max_input_bytes
            ),
        });
    }
    let detected = detect(name, bytes)?;
    let reader: fn(&[u8], &Limits) -> Result<Extracted, ReadError> = match detected {
        Detected::Docx => docx::read,
        Detected::Pdf => pdf::read,
        Detected::Html => html::read,
        Detected::Text => text::read,
    };
    guarded(detected.name(), || reader(bytes, limits))
}

/// The reader the bytes call for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    Docx,
    Pdf,
    Html,
    Text,
}

impl Detected {
    pub fn name(self) -> &'static str {
        match self {
            Detected::Docx => "docx",
            Detected::Pdf => "pdf",
            Detected::Html => "html",
            Detected::Text => "txt",
        }
    }
}

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn extension(file_name: &str) -> String {
    std::path::Path::new(file_name.trim())
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// An OLE compound file: an encrypted OOXML package (EncryptedPackage stream) or an old
/// binary Office/WPS file.
fn ole_error(bytes: &[u8], ext: &str) -> ReadError {
    let needle: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    if util::find_bytes(bytes, &needle).is_some() {
        return ReadError::Encrypted;
    }
    let format = match ext {
        "wps" => "wps",
        "et" => "et",
        "dps" => "dps",
        "xls" => "xls",
        "ppt" => "ppt",
        _ => "doc",
    };
    ReadError::OldFormat { format }
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(2048)];
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let h: Vec<u8> = head[start..]
        .iter()
        .take(512)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    h.starts_with(b"<!doctype html")
        || h.starts_with(b"<html")
        || (h.starts_with(b"<?xml") && util::find_bytes(&h, b"<html").is_some())
        || (h.starts_with(b"<!--") && util::find_bytes(&h, b"<html").is_some())
        || h.starts_with(b"<head")
        || h.starts_with(b"<meta")
}

/// Decides which reader to use from the extension and the magic bytes. Magic bytes win:
/// a ".docx" that is a PDF is read as PDF; an OLE file is refused as OldFormat/Encrypted
/// whatever its name.
pub fn detect(file_name: &str, bytes: &[u8]) -> Result<Detected, ReadError> {
    let ext = extension(file_name);
    let head = &bytes[..bytes.len().min(1024)];
    if bytes.starts_with(OLE_MAGIC) {
        return Err(ole_error(bytes, &ext));
    }
    if util::find_bytes(head, b"%PDF-").is_some() {
        return Ok(Detected::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return match ext.as_str() {
            "xlsx" | "pptx" | "odt" | "ods" | "odp" | "zip" | "rar" | "7z" => {
                Err(ReadError::Damaged {
                    format: "docx",
                    detail: format!("a .{ext} archive, not a Word document"),
                })
            }
            _ => Ok(Detected::Docx),
        };
    }
    match ext.as_str() {
        "docx" | "docm" | "dotx" => Err(ReadError::Damaged {
            format: "docx",
            detail: "not a zip package".into(),
        }),
        "pdf" => Err(ReadError::Damaged {
            format: "pdf",
            detail: "no %PDF- header".into(),
        }),
        // An old-format name whose bytes are not OLE: Word/WPS also save HTML or text as .doc.
        "doc" | "wps" | "dot" | "wpt" | "rtf" | "et" | "dps" | "xls" | "ppt" => {
            if looks_like_html(bytes) {
                Ok(Detected::Html)
            } else if bytes.starts_with(b"{\\rtf") {
                Err(ReadError::OldFormat { format: "rtf" })
            } else {
                Err(ole_error(bytes, &ext))
            }
        }
        "html" | "htm" | "xhtml" | "shtml" | "mht" | "mhtml" => Ok(Detected::Html),
        "txt" | "text" | "md" | "" => {
            if looks_like_html(bytes) {
                Ok(Detected::Html)
            } else {
                Ok(Detected::Text)
            }
        }
        _ => {
            if looks_like_html(bytes) {
                Ok(Detected::Html)
            } else if text::decode(bytes).is_ok() {
                Ok(Detected::Text)
            } else {
                Err(ReadError::Damaged {
                    format: "unknown",
                    detail: format!("unsupported file type .{ext}"),
                })
            }
        }
    }
}

/// Runs a reader behind `catch_unwind`: a panic (a bug: the readers are tested not to panic)
/// becomes `Damaged` instead of taking the bot down.
fn guarded(
    format: &'static str,
    f: impl FnOnce() -> Result<Extracted, ReadError> + std::panic::UnwindSafe,
) -> Result<Extracted, ReadError> {
    match std::panic::catch_unwind(f) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(ReadError::Damaged {
                format,
                detail: format!("reader panicked: {msg}"),
            })
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_damaged() {
        let r = guarded("pdf", || panic!("boom"));
        assert_eq!(
            r,
            Err(ReadError::Damaged {
                format: "pdf",
                detail: "reader panicked: boom".into()
            })
        );
    }
}
