//! The knowledge folder: report files in, [`Document`]s out.
//!
//! A document is read by the reader of its format ([`format`]: Markdown with optional TOML
//! front matter, plain text), through one function, [`read_document`], which every path uses
//! (the folder at start and on reload, and an admin's upload through [`read_upload`]). A file
//! that cannot be used becomes a [`SourceError`] naming the file and line; it never stops the
//! other files from loading. `dict.txt` is read here as raw text for the tokenizer;
//! `synonyms.txt` is parsed by [`synonyms`]. The folder is written only by [`folder`]. What
//! the reports speak for is [`scope`]'s; the bot's own announcements are a generated document
//! ([`announcements`]). This module does not normalise, split or index text.

mod announcements;
mod faq;
mod folder;
pub mod format;
mod read;
mod scope;
pub mod structure;
pub mod synonyms;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::places::Level;
pub use announcements::{ANNOUNCEMENTS_ID, ANNOUNCEMENTS_TITLE, announcements_document};
pub use faq::{FAQ_FILE, FAQ_KIND, FAQ_TITLE, Faq, faq_file_with, with_faq};
pub use folder::{
    FileChange, MAX_NAME_BYTES, NameError, clean_leftovers, remove_file, save_file, seed,
    upload_name, writable,
};
pub use format::ReadError;
pub use format::model::{Loss, Lost};
pub use read::{
    MAX_FILE_BYTES, MAX_PARAGRAPH_CHARS, MAX_PARAGRAPHS, MAX_TEXT_BYTES, read_document,
};
pub use scope::{DocScope, Scope, names_of, period};
pub use structure::Dropped;
pub use synonyms::{Group, MAX_GROUP_WORDS, MAX_WORD_CHARS, SynonymError, Synonyms, Which};

/// Name of the jieba user dictionary inside the knowledge folder.
pub const DICT_FILE: &str = "dict.txt";
/// Name of the synonym groups file inside the knowledge folder.
pub const SYNONYMS_FILE: &str = "synonyms.txt";

/// A problem in one knowledge file, at a line (1-based; 0 when it concerns the whole file).
/// The message is for logs and the command line; [`Problem`] says what kind of problem it is,
/// so that a front end can say why in its users' words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SourceError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
    pub problem: Problem,
}

/// What kind of problem a [`SourceError`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The reader of the format refused the file: damaged, encrypted, a scan, fonts without
    /// Unicode, an old binary format, too complex, an unknown encoding.
    Refused(ReadError),
    /// More bytes than [`MAX_FILE_BYTES`] or more text than [`MAX_TEXT_BYTES`].
    TooLarge,
    /// Nothing to answer from: no paragraph of text.
    Empty,
    /// Not a report's shape: a paragraph of tens of thousands of characters, more
    /// paragraphs than a report has, the same text repeated.
    NotAReport,
    /// Anything else; the message says what (a front matter error, invalid UTF-8, a name
    /// another file holds).
    Invalid,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
        } else {
            write!(f, "{}: {}", self.path.display(), self.message)
        }
    }
}

impl SourceError {
    pub fn new(path: &Path, line: usize, message: impl Into<String>) -> Self {
        SourceError {
            path: path.to_path_buf(),
            line,
            message: message.into(),
            problem: Problem::Invalid,
        }
    }

    /// A reader's refusal of the whole file.
    pub fn refused(path: &Path, error: ReadError) -> Self {
        SourceError {
            message: error.to_string(),
            problem: Problem::Refused(error),
            ..SourceError::new(path, 0, "")
        }
    }

    /// The same error, of another kind.
    pub fn because(mut self, problem: Problem) -> Self {
        self.problem = problem;
        self
    }
}

/// Errors that stop the knowledge folder from being read at all.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("knowledge folder {0} does not exist or is not a folder")]
    MissingDir(PathBuf),
    #[error(
        "cannot write {path} as {user}: give that user write access to the folder (for a Docker bind mount: chown -R 10001 on the host folder, or use a named volume)"
    )]
    NotWritable { path: PathBuf, user: String },
    #[error("cannot use {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// What the front matter of a report states. Every field is optional except the title, which
/// falls back to the first heading or the file name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// The headline, used as the document title.
    #[serde(default)]
    pub headline: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_headline: Option<String>,
    /// The meeting the report is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<String>,
    /// The body the report speaks for: 人大, 政协, 政府工作报告, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    /// Meeting dates as the report writes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dates: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// The area the report speaks for ("河南省", "安阳市", "北关区").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// The area's level: 省, 市 or 区 / 县 (see [`Level`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The area the report's area belongs to ("安阳市" for 北关区), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The year the report speaks for (a work report's plan year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Every year the report covers (its review year and its plan year).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub years: Vec<i32>,
    /// Who gave the report ("省长 王凯").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    /// What the document is when it is not a report: `faq` for the staff's answers (see
    /// [`faq`]), which is generated and never counts toward what the reports speak for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// One paragraph of a report, verbatim, with the headings above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    pub section: Vec<String>,
    pub text: String,
    pub line: usize,
    /// The page it starts on (PDF); None where a format has no pages.
    pub page: Option<u32>,
}

/// One report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Stable identifier: the file name without extension.
    pub id: String,
    pub file: String,
    pub meta: Meta,
    pub paragraphs: Vec<Paragraph>,
    /// Made by the bot (announcements, FAQs), not read from a report: it never counts toward
    /// what the reports speak for.
    pub generated: bool,
    /// How the metadata was found ("title from line 10", "area 河南省 from the meeting").
    pub derived: Vec<String>,
    /// What the reader had to leave out (3 images).
    pub lost: Vec<Lost>,
    /// What the structure step left out as not content (menus, page numbers, a table of
    /// contents), by kind, with how many lines.
    pub skipped: Vec<(Dropped, usize)>,
}

impl Document {
    pub fn title(&self) -> &str {
        &self.meta.headline
    }
}

/// Everything read from the knowledge folder in one pass.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    pub documents: Vec<Document>,
    /// Files that could not be used; the rest loaded regardless.
    pub errors: Vec<SourceError>,
    /// Raw text of `dict.txt`, if present.
    pub dict: Option<(PathBuf, String)>,
    /// Raw text of `synonyms.txt`, if present.
    pub synonyms: Option<(PathBuf, String)>,
    /// Content hash of every file that was read, by file name.
    pub hashes: BTreeMap<String, String>,
    /// The home area the scope is decided by (see [`Scope::of`]), when one is known.
    pub home: Option<String>,
}

impl Knowledge {
    /// One hash over all files read, order-independent of the file system.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        if let Some(home) = &self.home {
            h.update(b"home\0");
            h.update(home.as_bytes());
            h.update([0]);
        }
        for (name, hash) in &self.hashes {
            h.update(name.as_bytes());
            h.update([0]);
            h.update(hash.as_bytes());
            h.update([0]);
        }
        hex::encode(&h.finalize()[..16])
    }
}

impl Knowledge {
    /// `doc` if its id is free: not the announcements' and not another file's (renda-2024.md
    /// and renda-2024.txt would be one document).
    fn check_id(&self, path: &Path, doc: Document) -> Result<Document, SourceError> {
        if doc.id == ANNOUNCEMENTS_ID {
            return Err(SourceError::new(
                path,
                0,
                format!(
                    "the name {ANNOUNCEMENTS_ID} is kept for the bot's own announcements; rename the file"
                ),
            ));
        }
        if let Some(other) = self.documents.iter().find(|d| d.id == doc.id) {
            return Err(SourceError::new(
                path,
                0,
                format!(
                    "{} already holds the document {}; rename one of the two files",
                    other.file, doc.id
                ),
            ));
        }
        Ok(doc)
    }

    /// Adds a document that does not come from a file (the announcements), with a content hash
    /// so that a change to it rebuilds the index.
    pub fn add_generated(&mut self, doc: Document) {
        let mut h = Sha256::new();
        for p in &doc.paragraphs {
            h.update(p.section.join("/").as_bytes());
            h.update([0]);
            h.update(p.text.as_bytes());
            h.update([0]);
        }
        self.hashes
            .insert(doc.file.clone(), hex::encode(h.finalize()));
        self.documents.push(doc);
    }
}

/// Reads every usable file of `dir`. Subfolders and hidden files are ignored.
pub fn load_dir(dir: &Path) -> Result<Knowledge, KnowledgeError> {
    if !dir.is_dir() {
        return Err(KnowledgeError::MissingDir(dir.to_path_buf()));
    }
    let io = |error| KnowledgeError::Io {
        path: dir.to_path_buf(),
        error,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut k = Knowledge::default();
    for path in paths {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if name.starts_with('.') || name.is_empty() {
            continue;
        }
        if !format::is_report_file(&name) {
            log::warn!(
                "{}: ignored: not a file the knowledge folder reads",
                path.display()
            );
            continue;
        }
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                k.errors
                    .push(SourceError::new(&path, 0, format!("cannot read: {e}")));
                continue;
            }
        };
        k.hashes
            .insert(name.clone(), hex::encode(Sha256::digest(&bytes)));
        if name == DICT_FILE || name == SYNONYMS_FILE {
            match format::utf8(&path, &bytes) {
                Ok(text) if name == DICT_FILE => k.dict = Some((path, text)),
                Ok(text) => k.synonyms = Some((path, text)),
                Err(e) => {
                    k.hashes.remove(&name);
                    k.errors.push(e);
                }
            }
        } else {
            match read_document(&path, &bytes).and_then(|doc| k.check_id(&path, doc)) {
                Ok(doc) => k.documents.push(doc),
                Err(e) => {
                    k.hashes.remove(&name);
                    k.errors.push(e);
                }
            }
        }
    }
    Ok(k)
}

/// An upload that may be saved: the name it is saved under and the document it holds.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub document: Document,
}

/// Why an upload cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Unreadable(#[from] SourceError),
    /// Another file already holds a document of this id (renda-2024.txt beside renda-2024.md).
    #[error("{0} already holds a document of this name")]
    Clash(String),
}

/// Checks an uploaded file as the folder would read it: its name, its content, and that no
/// other file holds a document of the same id (`file_of` says which file holds an id, if any).
pub fn read_upload(
    raw_name: &str,
    bytes: &[u8],
    file_of: impl Fn(&str) -> Option<String>,
) -> Result<Upload, UploadError> {
    let name = upload_name(raw_name)?;
    let document = read_document(Path::new(&name), bytes)?;
    if let Some(other) = file_of(&document.id).filter(|f| *f != name) {
        return Err(UploadError::Clash(other));
    }
    Ok(Upload { name, document })
}

/// The id of the document a file holds: its name without the extension, with characters other
/// than letters, digits, `-` and `_` replaced by `-`.
pub fn document_id(path: &Path) -> String {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("document");
    stem.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(text: &str) -> Result<Document, SourceError> {
        read_document(Path::new("k/test.md"), text.as_bytes())
    }

    fn parse_document(path: &Path, text: &str) -> Result<Document, SourceError> {
        read_document(path, text.as_bytes())
    }

    #[test]
    fn markdown_with_front_matter_and_sections() {
        let doc = md("+++\nheadline = \"标题\"\nmeeting = \"会议\"\n+++\n\n# 标题\n\n导语。\n\n## 一\n\n### 甲\n\n第一段\n接续。\n\n## 二\n\n第二段。\n").unwrap();
        assert_eq!(doc.title(), "标题");
        assert_eq!(doc.meta.meeting.as_deref(), Some("会议"));
        let got: Vec<(Vec<String>, &str, usize)> = doc
            .paragraphs
            .iter()
            .map(|p| (p.section.clone(), p.text.as_str(), p.line))
            .collect();
        assert_eq!(
            got,
            vec![
                (vec![], "导语。", 8),
                (vec!["一".into(), "甲".into()], "第一段\n接续。", 14),
                (vec!["二".into()], "第二段。", 19),
            ]
        );
    }

    #[test]
    fn markdown_without_front_matter_takes_first_heading() {
        let doc = md("# 通知\n\n- 一项\n- 二项\n").unwrap();
        assert_eq!(doc.title(), "通知");
        assert_eq!(doc.paragraphs.len(), 2);
    }

    #[test]
    fn plain_text_first_line_is_title() {
        // A title a report would have, found by the structure step.
        let text = "\n北关区便民服务通知\n\n今年全区将新建口袋公园十个，方便居民就近休闲。\n\n\n老旧小区改造继续推进，涉及居民三千户。\n";
        let doc = parse_document(Path::new("k/a b.txt"), text).unwrap();
        assert_eq!(doc.id, "a-b");
        assert_eq!(doc.title(), "北关区便民服务通知");
        assert_eq!(
            doc.paragraphs.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![4, 7]
        );
        // A note typed by hand: its first short line is the title all the same.
        let text = "社区便民服务\n\n今年全区将新建口袋公园十个，方便居民就近休闲。\n";
        let doc = parse_document(Path::new("k/note.txt"), text).unwrap();
        assert_eq!(doc.title(), "社区便民服务");
        assert_eq!(doc.paragraphs.len(), 1);
        assert!(doc.paragraphs[0].section.is_empty());
        // A first line that is a sentence is text, and the file name is the title.
        let text = "今年全区将新建口袋公园十个，方便居民就近休闲。\n";
        let doc = parse_document(Path::new("k/parks.txt"), text).unwrap();
        assert_eq!(doc.title(), "parks");
        assert_eq!(doc.paragraphs.len(), 1);
    }

    #[test]
    fn plain_text_has_a_paragraph_per_line_or_per_block() {
        // As copied out of a word processor or a web page: one paragraph per line.
        let text = "区政府工作报告\n\n今年全区将新建口袋公园十个，方便居民就近休闲。\n老旧小区改造继续推进，涉及居民三千户。\n新建改建农村公路二十公里，打通断头路五条。\n\n";
        let doc = parse_document(Path::new("k/w.txt"), text).unwrap();
        let texts: Vec<_> = doc.paragraphs.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "今年全区将新建口袋公园十个，方便居民就近休闲。",
                "老旧小区改造继续推进，涉及居民三千户。",
                "新建改建农村公路二十公里，打通断头路五条。"
            ]
        );
        assert_eq!(
            doc.paragraphs.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
    }

    #[test]
    fn degenerate_files_are_refused_and_ids_never_clash() {
        let repeated = format!("# 重复\n\n{}", "重复段落。\n\n".repeat(8000));
        let Err(err) = md(&repeated) else {
            panic!("repeats are refused")
        };
        assert!(err.to_string().contains("only 1 different"), "{err}");
        let huge = format!("# 长\n\n{}\n", "*a".repeat(MAX_PARAGRAPH_CHARS + 1));
        let Err(err) = md(&huge) else {
            panic!("a huge paragraph is refused")
        };
        assert!(
            err.to_string().contains("characters") && err.line == 3,
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("renda-2024.md"), "# 甲\n\n正文。\n").unwrap();
        std::fs::write(dir.path().join("renda-2024.txt"), "乙\n\n正文。\n").unwrap();
        std::fs::write(dir.path().join("announcements.md"), "# 丙\n\n正文。\n").unwrap();
        let k = load_dir(dir.path()).unwrap();
        assert_eq!(k.documents.len(), 1);
        let errors: Vec<String> = k.errors.iter().map(ToString::to_string).collect();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("renda-2024.txt") && e.contains("renda-2024.md already holds")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("announcements.md") && e.contains("kept for")),
            "{errors:?}"
        );
    }

    #[test]
    fn bad_files_name_file_and_line() {
        let cases: [(&str, &[u8], usize, &str); 6] = [
            (
                "a.md",
                b"+++\nheadline = \"x\"\nbogus = 1\n+++\ntext\n",
                3,
                "front matter",
            ),
            ("b.md", b"+++\nheadline = \"x\"\n", 1, "never closed"),
            ("c.md", b"# only a title\n", 1, "no paragraphs"),
            ("d.md", b"# title\n\npara\xff\n", 3, "UTF-8"),
            ("d.txt", b"title\n\npara\xff\n", 0, "undecodable"),
            ("e.md", b"ok\n\x00\x01", 2, "binary"),
        ];
        for (name, bytes, line, needle) in cases {
            let path = Path::new(name);
            let err = read_document(path, bytes).unwrap_err();
            assert_eq!(err.line, line, "{name}: {err}");
            assert!(err.to_string().contains(needle), "{name}: {err}");
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }
}
