//! The knowledge folder: report files in, [`Document`]s out.
//!
//! A document is Markdown with optional TOML front matter (`+++`), or plain text whose first line
//! is the title and whose blank lines separate paragraphs (one paragraph per line when there is
//! no blank line between them). Headings give each paragraph its section
//! path. A file that cannot be used becomes a [`SourceError`] naming the file and line; it never
//! stops the other files from loading. `dict.txt` and `synonyms.txt` are read here as raw text
//! and parsed by the tokenizer module. This module does not normalise, split or index text.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Name of the jieba user dictionary inside the knowledge folder.
pub const DICT_FILE: &str = "dict.txt";
/// Name of the synonym groups file inside the knowledge folder.
pub const SYNONYMS_FILE: &str = "synonyms.txt";
/// Largest report file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// A problem in one knowledge file, at a line (1-based; 0 when it concerns the whole file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SourceError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
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
        }
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
}

/// One paragraph of a report, verbatim, with the headings above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    pub section: Vec<String>,
    pub text: String,
    pub line: usize,
}

/// One report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Stable identifier: the file name without extension.
    pub id: String,
    pub file: String,
    pub meta: Meta,
    pub paragraphs: Vec<Paragraph>,
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
}

impl Knowledge {
    /// One hash over all files read, order-independent of the file system.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for (name, hash) in &self.hashes {
            h.update(name.as_bytes());
            h.update([0]);
            h.update(hash.as_bytes());
            h.update([0]);
        }
        hex(&h.finalize()[..16])
    }
}

/// What the knowledge base speaks for, derived from the documents themselves so that it stays
/// right when next year's reports are uploaded: the area (the district the meetings belong to)
/// and the years the reports are about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Names of the area, longest first ("北关区", "北关").
    pub area: Vec<String>,
    /// The years the reports are about, ascending.
    pub years: Vec<i32>,
}

impl Scope {
    /// The area most meetings name, and each report's own year (the year its text names most
    /// often, the later one on a tie).
    pub fn of(documents: &[Document]) -> Scope {
        let mut areas: BTreeMap<String, usize> = BTreeMap::new();
        let mut years: Vec<i32> = Vec::new();
        for doc in documents {
            let named = [
                doc.meta.meeting.as_deref(),
                Some(doc.meta.headline.as_str()),
            ];
            if let Some(area) = named.into_iter().flatten().find_map(area_in) {
                *areas.entry(area).or_default() += 1;
            }
            if let Some(year) = main_year(doc) {
                years.push(year);
            }
        }
        years.sort_unstable();
        years.dedup();
        let mut area = Vec::new();
        if let Some((name, _)) = areas.into_iter().max_by_key(|(_, n)| *n) {
            let short: String = name.chars().take(name.chars().count() - 1).collect();
            area.push(name);
            if short.chars().count() >= 2 {
                area.push(short);
            }
        }
        Scope { area, years }
    }
}

/// The administrative area at the head of a meeting's name: "北关区" of
/// "政协北关区第十届委员会第三次会议".
fn area_in(name: &str) -> Option<String> {
    let name = name.strip_prefix("政协").unwrap_or(name);
    let chars: Vec<char> = name.chars().take(8).collect();
    let end = chars.iter().position(|c| matches!(c, '区' | '县' | '市'))?;
    let start = end.checked_sub(2)?;
    chars[start..end]
        .iter()
        .all(|c| crate::text::is_cjk(*c))
        .then(|| chars[start..=end].iter().collect())
}

/// The year a report names most often ("2024年"), the later one on a tie.
fn main_year(doc: &Document) -> Option<i32> {
    let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
    let texts =
        std::iter::once(doc.meta.headline.as_str()).chain(doc.paragraphs.iter().flat_map(|p| {
            p.section
                .iter()
                .map(String::as_str)
                .chain([p.text.as_str()])
        }));
    for text in texts {
        let bytes = text.as_bytes();
        for (i, _) in text.match_indices('年') {
            if i >= 4
                && bytes[i - 4..i].iter().all(u8::is_ascii_digit)
                && (i < 5 || !bytes[i - 5].is_ascii_digit())
                && let Ok(year) = text[i - 4..i].parse::<i32>()
                && (1949..=2100).contains(&year)
            {
                *counts.entry(year).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(year, n)| (*n, *year))
        .map(|(year, _)| year)
}

/// Title and id of the document that holds delivered announcements.
pub const ANNOUNCEMENTS_TITLE: &str = "通知公告";
pub const ANNOUNCEMENTS_ID: &str = "announcements";

/// The announcements document: one dated section per announcement, oldest first, so a citizen
/// who missed one can find it by asking. None when there are none.
pub fn announcements_document(items: &[(String, String)]) -> Option<Document> {
    if items.is_empty() {
        return None;
    }
    let paragraphs = items
        .iter()
        .enumerate()
        .map(|(i, (date, text))| Paragraph {
            section: vec![format!("{date} 发布")],
            text: text.clone(),
            line: i + 1,
        })
        .collect();
    Some(Document {
        id: ANNOUNCEMENTS_ID.to_owned(),
        file: format!("({ANNOUNCEMENTS_TITLE})"),
        meta: Meta {
            headline: ANNOUNCEMENTS_TITLE.to_owned(),
            body: Some(ANNOUNCEMENTS_TITLE.to_owned()),
            ..Meta::default()
        },
        paragraphs,
    })
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
        self.hashes.insert(doc.file.clone(), hex(&h.finalize()));
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
        if !is_report_file(&name) {
            log::warn!("{}: ignored: not a .md or .txt file", path.display());
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
        let text = match decode(&path, &bytes) {
            Ok(t) => t,
            Err(e) => {
                k.errors.push(e);
                continue;
            }
        };
        k.hashes
            .insert(name.clone(), hex(&Sha256::digest(text.as_bytes())));
        if name == DICT_FILE {
            k.dict = Some((path, text));
        } else if name == SYNONYMS_FILE {
            k.synonyms = Some((path, text));
        } else {
            match parse_document(&path, &text).and_then(|doc| k.check_id(&path, doc)) {
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

/// Checks size, binary content and UTF-8, and strips a byte-order mark.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<String, SourceError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SourceError::new(
            path,
            0,
            format!(
                "file is {} bytes, more than the {} allowed",
                bytes.len(),
                MAX_FILE_BYTES
            ),
        ));
    }
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

/// Parses one report file by its extension.
pub fn parse_document(path: &Path, text: &str) -> Result<Document, SourceError> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("document");
    let id = document_id(path);
    let file = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(stem)
        .to_owned();
    let is_txt = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("txt"));
    let (mut meta, paragraphs) = if is_txt {
        parse_txt(path, text)?
    } else {
        parse_markdown(path, text)?
    };
    if meta.headline.trim().is_empty() {
        meta.headline = stem.to_owned();
    }
    if paragraphs.is_empty() {
        return Err(SourceError::new(
            path,
            1,
            "no paragraphs: the document has no text to answer from",
        ));
    }
    check_shape(path, &paragraphs)?;
    Ok(Document {
        id,
        file,
        meta,
        paragraphs,
    })
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

/// Most paragraphs one document may have.
pub const MAX_PARAGRAPHS: usize = 20_000;
/// Longest paragraph accepted, in characters: a report's paragraphs run to a few hundred.
pub const MAX_PARAGRAPH_CHARS: usize = 20_000;

/// Refuses what is not a report, whatever its size: a paragraph of tens of thousands of
/// characters, more paragraphs than any report has, or the same few paragraphs repeated.
/// Linear in the document.
fn check_shape(path: &Path, paragraphs: &[Paragraph]) -> Result<(), SourceError> {
    if paragraphs.len() > MAX_PARAGRAPHS {
        return Err(SourceError::new(
            path,
            0,
            format!(
                "{} paragraphs, more than the {MAX_PARAGRAPHS} a report can have",
                paragraphs.len()
            ),
        ));
    }
    if let Some(p) = paragraphs
        .iter()
        .find(|p| p.text.chars().count() > MAX_PARAGRAPH_CHARS)
    {
        return Err(SourceError::new(
            path,
            p.line,
            format!(
                "a paragraph of {} characters, more than the {MAX_PARAGRAPH_CHARS} allowed: not a report's text",
                p.text.chars().count()
            ),
        ));
    }
    let distinct: std::collections::HashSet<&str> =
        paragraphs.iter().map(|p| p.text.as_str()).collect();
    if paragraphs.len() >= 100 && distinct.len() * 10 < paragraphs.len() {
        return Err(SourceError::new(
            path,
            0,
            format!(
                "{} paragraphs but only {} different ones: the same text repeats, not a report",
                paragraphs.len(),
                distinct.len()
            ),
        ));
    }
    Ok(())
}

fn parse_txt(path: &Path, text: &str) -> Result<(Meta, Vec<Paragraph>), SourceError> {
    let mut meta = Meta::default();
    let mut paragraphs = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let flush = |current: &mut Option<(usize, String)>, paragraphs: &mut Vec<Paragraph>| {
        if let Some((line, text)) = current.take() {
            paragraphs.push(Paragraph {
                section: Vec::new(),
                text,
                line,
            });
        }
    };
    let line_layout = !blank_line_between_paragraphs(text);
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = line.trim();
        if meta.headline.is_empty() {
            if !trimmed.is_empty() {
                meta.headline = trimmed.to_owned();
            }
            continue;
        }
        if trimmed.is_empty() || line_layout {
            flush(&mut current, &mut paragraphs);
        }
        if trimmed.is_empty() {
            continue;
        }
        if let Some((_, buf)) = current.as_mut() {
            buf.push('\n');
            buf.push_str(trimmed);
        } else {
            current = Some((line_no, trimmed.to_owned()));
        }
    }
    flush(&mut current, &mut paragraphs);
    if meta.headline.is_empty() {
        return Err(SourceError::new(
            path,
            1,
            "empty file: the first line should be the title",
        ));
    }
    Ok((meta, paragraphs))
}

/// Whether a plain-text file separates its paragraphs with blank lines (after the title). Text
/// copied out of a word processor often has one paragraph per line and no blank line at all;
/// then each line is a paragraph.
fn blank_line_between_paragraphs(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).skip_while(|l| l.is_empty());
    lines.next(); // the title
    let body: Vec<&str> = lines.skip_while(|l| l.is_empty()).collect();
    let last = body.iter().rposition(|l| !l.is_empty()).unwrap_or(0);
    body[..last].iter().any(|l| l.is_empty())
}

/// Splits `+++` TOML front matter from the body; returns the meta and the body's first line.
fn front_matter(path: &Path, text: &str) -> Result<(Meta, usize, usize), SourceError> {
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_end() == "+++" => {}
        _ => return Ok((Meta::default(), 0, 1)),
    }
    let mut offset = text.split_inclusive('\n').next().map_or(0, str::len);
    let start = offset;
    for (i, line) in lines.enumerate() {
        if line.trim_end() == "+++" {
            let toml_text = &text[start..offset];
            let meta: Meta = toml::from_str(toml_text).map_err(|e| {
                let line = e
                    .span()
                    .map(|s| {
                        2 + toml_text[..s.start.min(toml_text.len())]
                            .matches('\n')
                            .count()
                    })
                    .unwrap_or(2);
                SourceError::new(path, line, format!("front matter: {}", e.message()))
            })?;
            return Ok((meta, offset + line.len(), i + 3));
        }
        offset += line.len();
    }
    Err(SourceError::new(
        path,
        1,
        "front matter opened with +++ is never closed",
    ))
}

/// Line numbers of byte offsets that only grow: counts each newline once, so numbering every
/// paragraph of a file is linear in its length.
struct Lines<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset > self.offset {
            self.line += self.text.as_bytes()[self.offset..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.offset = offset;
        }
        self.line
    }
}

/// What the Markdown walk has collected so far.
struct Walk<'a> {
    meta: Meta,
    paragraphs: Vec<Paragraph>,
    sections: Vec<(HeadingLevel, String)>,
    /// The block being collected: its nesting depth, first byte and text so far.
    block: Option<(usize, usize, String)>,
    heading: Option<(HeadingLevel, String)>,
    depth: usize,
    lines: Lines<'a>,
}

impl Walk<'_> {
    fn end_heading(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        let Some((level, title)) = self.heading.take() else {
            return;
        };
        let title = title.trim().to_owned();
        let first_h1 =
            level == HeadingLevel::H1 && self.paragraphs.is_empty() && self.sections.is_empty();
        if first_h1 && self.meta.headline.is_empty() {
            self.meta.headline = title;
        } else if first_h1 && self.meta.headline == title {
            // The headline repeated as the first heading: not a section.
        } else {
            self.sections.retain(|(l, _)| *l < level);
            self.sections.push((level, title));
        }
    }

    fn start(&mut self, tag: &Tag, at: usize) {
        self.depth += 1;
        let is_block = matches!(
            tag,
            Tag::Paragraph | Tag::Item | Tag::TableRow | Tag::TableHead | Tag::CodeBlock(_)
        );
        if is_block && self.block.is_none() {
            self.block = Some((self.depth, at, String::new()));
        }
    }

    fn end(&mut self) {
        let depth = self.depth;
        if let Some((_, start, text)) = self.block.take_if(|(d, _, _)| *d == depth)
            && text.chars().any(|c| c.is_alphanumeric())
        {
            self.paragraphs.push(Paragraph {
                section: self.sections.iter().map(|(_, t)| t.clone()).collect(),
                text: text.trim().to_owned(),
                line: self.lines.at(start),
            });
        }
        self.depth = depth.saturating_sub(1);
    }

    fn text(&mut self, t: &str) {
        if let Some((_, title)) = self.heading.as_mut() {
            title.push_str(t);
        } else if let Some((_, _, buf)) = self.block.as_mut() {
            buf.push_str(t);
        }
    }
}

fn parse_markdown(path: &Path, text: &str) -> Result<(Meta, Vec<Paragraph>), SourceError> {
    let (meta, body_start, _) = front_matter(path, text)?;
    let body = &text[body_start..];
    let mut walk = Walk {
        meta,
        paragraphs: Vec::new(),
        sections: Vec::new(),
        block: None,
        heading: None,
        depth: 0,
        lines: Lines {
            text: body,
            offset: 0,
            line: text[..body_start].matches('\n').count() + 1,
        },
    };
    for (event, range) in Parser::new_ext(body, Options::ENABLE_TABLES).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                walk.depth += 1;
                walk.heading = Some((level, String::new()));
            }
            Event::End(TagEnd::Heading(_)) => walk.end_heading(),
            Event::Start(tag) => walk.start(&tag, range.start),
            Event::End(_) => walk.end(),
            Event::Text(t) | Event::Code(t) => walk.text(&t),
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, _, buf)) = walk.block.as_mut() {
                    buf.push('\n');
                }
            }
            _ => {}
        }
    }
    Ok((walk.meta, walk.paragraphs))
}

/// Lower-case hexadecimal of `bytes`, for content hashes and ids.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// True for a file name the knowledge folder reads as text: `.md`, `.markdown` or `.txt`, not
/// hidden. The dictionary and synonyms files are text files too.
pub fn is_report_file(name: &str) -> bool {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    !name.starts_with('.') && matches!(ext.as_str(), "md" | "markdown" | "txt")
}

/// Why an uploaded file cannot be saved under its name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{0:?} is not a .md or .txt file")]
    NotText(String),
    #[error("{0} is the dictionary or synonyms file, which is edited in the folder itself")]
    Reserved(String),
    #[error("the file name has control characters or is longer than {MAX_NAME_BYTES} bytes")]
    Unusable,
    #[error("the name {0} is kept for the bot's own announcements")]
    ReservedId(String),
}

/// Longest file name accepted, in bytes (what file systems allow).
pub const MAX_NAME_BYTES: usize = 255;

/// The file name an upload is saved under: its last path component, which must name a report
/// file that is not the dictionary or the synonyms, have no control characters, fit a file
/// system, and not take the announcements' id.
pub fn upload_name(raw: &str) -> Result<String, NameError> {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(NameError::Unusable);
    }
    if name.is_empty() || !is_report_file(name) {
        return Err(NameError::NotText(raw.to_owned()));
    }
    if name == DICT_FILE || name == SYNONYMS_FILE {
        return Err(NameError::Reserved(name.to_owned()));
    }
    if document_id(Path::new(name)) == ANNOUNCEMENTS_ID {
        return Err(NameError::ReservedId(name.to_owned()));
    }
    Ok(name.to_owned())
}

/// Fills an empty or missing knowledge folder with the files of `seed` (the bundled reports),
/// so that the folder admins change can live on a data volume. A folder with files is left
/// as it is: it is the admins'.
pub fn seed(dir: &Path, seed: &Path) -> Result<(), KnowledgeError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| KnowledgeError::Io { path, error }
    };
    let has_files = std::fs::read_dir(dir)
        .map(|mut entries| entries.any(|e| e.is_ok_and(|e| e.path().is_file())))
        .unwrap_or(false);
    if has_files || !seed.is_dir() || dir == seed {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|error| match error.kind() {
        std::io::ErrorKind::PermissionDenied => KnowledgeError::NotWritable {
            path: dir.to_path_buf(),
            user: crate::store::process_user(),
        },
        _ => io(dir)(error),
    })?;
    let mut copied = 0;
    for entry in std::fs::read_dir(seed).map_err(io(seed))? {
        let from = entry.map_err(io(seed))?.path();
        if let (true, Some(name)) = (from.is_file(), from.file_name()) {
            std::fs::copy(&from, dir.join(name)).map_err(io(&from))?;
            copied += 1;
        }
    }
    log::info!(
        "knowledge folder {} set up with {copied} files from {}",
        dir.display(),
        seed.display()
    );
    Ok(())
}

/// Whether this process may write in the knowledge folder (uploads, /synonym); the error says
/// why not.
pub fn writable(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".upload-probe-{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

/// Removes what an interrupted save left in the knowledge folder (`.upload-*` files).
pub fn clean_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(".upload-") && e.path().is_file() {
            match std::fs::remove_file(e.path()) {
                Ok(()) => log::info!("removed {name}, left by an interrupted upload"),
                Err(err) => log::warn!("cannot remove {name}: {err}"),
            }
        }
    }
}

/// A change made to one file of the knowledge folder, with what was there before, so that it
/// can be undone exactly.
#[derive(Debug)]
#[must_use = "a change is undone through its FileChange"]
pub struct FileChange {
    path: PathBuf,
    previous: Option<Vec<u8>>,
}

impl FileChange {
    /// Puts the file back as it was before the change (or removes it if it did not exist).
    pub fn undo(self) -> Result<(), KnowledgeError> {
        let io = |error| KnowledgeError::Io {
            path: self.path.clone(),
            error,
        };
        match &self.previous {
            Some(bytes) => write_atomic(&self.path, bytes).map_err(io),
            None => match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
                _ => Ok(()),
            },
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so the
/// file is either the old one or the new one, never half written; the temporary file never
/// outlives the call.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".upload-{}-{n}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn read_previous(path: &Path) -> Result<Option<Vec<u8>>, KnowledgeError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(KnowledgeError::Io {
            path: path.to_path_buf(),
            error,
        }),
    }
}

/// Why a synonym group from the chat cannot be added or removed.
#[derive(Debug, thiserror::Error)]
pub enum SynonymError {
    #[error("a synonym group needs at least two different words")]
    TooFew,
    #[error("a synonym group holds at most {MAX_GROUP_WORDS} words")]
    TooMany,
    #[error("{0:?} is not a word (1 to {MAX_WORD_CHARS} letters, digits or Chinese characters)")]
    BadWord(String),
    #[error("this synonym group is already in {SYNONYMS_FILE}")]
    Exists,
    #[error("no synonym group with exactly these words in {SYNONYMS_FILE}")]
    NotFound,
    #[error(transparent)]
    Io(#[from] KnowledgeError),
}

/// Most words in one synonym group added from the chat.
pub const MAX_GROUP_WORDS: usize = 12;
/// Longest word of a synonym group, in characters.
pub const MAX_WORD_CHARS: usize = 20;
/// The heading under which groups added from the chat are appended.
const CHAT_GROUPS_HEADING: &str = "# == Added from the chat by admins ==";

/// The words of a synonym group, checked: two to twelve different words, each of letters,
/// digits or Chinese characters.
pub fn synonym_group(line: &str) -> Result<Vec<String>, SynonymError> {
    let mut words: Vec<String> = Vec::new();
    for w in crate::text::synonym_words(line) {
        let chars = w.chars().count();
        if chars > MAX_WORD_CHARS || !w.chars().all(char::is_alphanumeric) {
            return Err(SynonymError::BadWord(w));
        }
        if !words.contains(&w) {
            words.push(w);
        }
    }
    match words.len() {
        0 | 1 => Err(SynonymError::TooFew),
        n if n > MAX_GROUP_WORDS => Err(SynonymError::TooMany),
        _ => Ok(words),
    }
}

/// The same words in any order.
fn same_group(line: &str, group: &[String]) -> bool {
    let mut a = crate::text::synonym_words(line);
    let mut b = group.to_vec();
    a.sort();
    a.dedup();
    b.sort();
    a == b
}

/// Appends `group` to the synonyms file (created if missing), under the heading for groups
/// added from the chat.
pub fn add_synonym_group(dir: &Path, group: &[String]) -> Result<FileChange, SynonymError> {
    let path = dir.join(SYNONYMS_FILE);
    let mut text = read_previous(&path)?
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    if text.lines().any(|l| same_group(l, group)) {
        return Err(SynonymError::Exists);
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !text.lines().any(|l| l.trim() == CHAT_GROUPS_HEADING) {
        text.push_str(&format!("\n{CHAT_GROUPS_HEADING}\n"));
    }
    text.push_str(&group.join(" "));
    text.push('\n');
    Ok(save_file(dir, SYNONYMS_FILE, text.as_bytes())?)
}

/// Removes the line holding exactly `group` (in any order) from the synonyms file.
pub fn remove_synonym_group(dir: &Path, group: &[String]) -> Result<FileChange, SynonymError> {
    let path = dir.join(SYNONYMS_FILE);
    let text = read_previous(&path)?
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .ok_or(SynonymError::NotFound)?;
    let kept: Vec<&str> = text.lines().filter(|l| !same_group(l, group)).collect();
    if kept.len() == text.lines().count() {
        return Err(SynonymError::NotFound);
    }
    let mut out = kept.join("\n");
    out.push('\n');
    Ok(save_file(dir, SYNONYMS_FILE, out.as_bytes())?)
}

/// Saves `bytes` as `name` in the knowledge folder, replacing any file of that name.
pub fn save_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<FileChange, KnowledgeError> {
    let path = dir.join(name);
    let previous = read_previous(&path)?;
    write_atomic(&path, bytes).map_err(|error| KnowledgeError::Io {
        path: path.clone(),
        error,
    })?;
    Ok(FileChange { path, previous })
}

/// Removes `name` from the knowledge folder; None when there is no such file.
pub fn remove_file(dir: &Path, name: &str) -> Result<Option<FileChange>, KnowledgeError> {
    let path = dir.join(name);
    let Some(previous) = read_previous(&path)? else {
        return Ok(None);
    };
    std::fs::remove_file(&path).map_err(|error| KnowledgeError::Io {
        path: path.clone(),
        error,
    })?;
    Ok(Some(FileChange {
        path,
        previous: Some(previous),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(text: &str) -> Result<Document, SourceError> {
        parse_document(Path::new("k/test.md"), text)
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
        let doc = parse_document(
            Path::new("k/a b.txt"),
            "\n标题行\n\n第一段\n续\n\n\n第二段\n",
        )
        .unwrap();
        assert_eq!(doc.id, "a-b");
        assert_eq!(doc.title(), "标题行");
        assert_eq!(
            doc.paragraphs.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![4, 8]
        );
    }

    #[test]
    fn plain_text_without_blank_lines_has_a_paragraph_per_line() {
        // One blank line between paragraphs: the blank-line layout, lines joined.
        let text = "标题行\n第一段。\n第二段。\n\n第三段。\n";
        let doc = parse_document(Path::new("k/w.txt"), text).unwrap();
        let texts: Vec<_> = doc.paragraphs.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, vec!["第一段。\n第二段。", "第三段。"]);
        // As copied out of a word processor: no blank line between paragraphs (those after
        // the title and at the end do not count).
        let text = "标题行\n\n第一段。\n第二段。\n第三段。\n\n";
        let doc = parse_document(Path::new("k/w.txt"), text).unwrap();
        let texts: Vec<_> = doc.paragraphs.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, vec!["第一段。", "第二段。", "第三段。"]);
        assert_eq!(
            doc.paragraphs.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
    }

    #[test]
    fn scope_is_read_from_the_documents() {
        let docs = [
            md("+++\nheadline = \"甲\"\nmeeting = \"北关区第十一届人民代表大会第四次会议\"\n+++\n\n2023年回顾。2024年计划。2024年目标。\n").unwrap(),
            md("+++\nheadline = \"乙\"\nmeeting = \"政协北关区第十届委员会第三次会议\"\n+++\n\n2023年的报告和2024年的计划。\n").unwrap(),
        ];
        let scope = Scope::of(&docs);
        assert_eq!(scope.area, vec!["北关区".to_string(), "北关".to_string()]);
        assert_eq!(scope.years, vec![2024]);
        assert_eq!(area_in("安阳市人民代表大会"), Some("安阳市".into()));
        assert_eq!(area_in("全体会议"), None);
    }

    #[test]
    fn upload_names_are_checked() {
        assert_eq!(upload_name("报告.md").unwrap(), "报告.md");
        assert_eq!(upload_name("../../etc/x.txt").unwrap(), "x.txt");
        assert!(matches!(
            upload_name("dict.txt"),
            Err(NameError::Reserved(_))
        ));
        for bad in ["", ".hidden.md", "a.pdf", "dir/", "a\\"] {
            assert!(
                matches!(upload_name(bad), Err(NameError::NotText(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn synonym_groups_are_checked_added_and_removed() {
        assert_eq!(
            synonym_group("托儿所 托育，托位 托育").unwrap(),
            vec!["托儿所", "托育", "托位"]
        );
        assert!(matches!(synonym_group("托育"), Err(SynonymError::TooFew)));
        assert!(matches!(
            synonym_group("托育 <b>"),
            Err(SynonymError::BadWord(_))
        ));
        assert!(matches!(
            synonym_group(&"词 ".repeat(3)),
            Err(SynonymError::TooFew)
        ));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SYNONYMS_FILE), "# 说明\n找工作 就业").unwrap();
        let group = synonym_group("托儿所 托育").unwrap();
        let change = add_synonym_group(dir.path(), &group).unwrap();
        let text = std::fs::read_to_string(dir.path().join(SYNONYMS_FILE)).unwrap();
        assert!(
            text.starts_with("# 说明\n找工作 就业\n") && text.ends_with("托儿所 托育\n"),
            "{text}"
        );
        assert!(matches!(
            add_synonym_group(dir.path(), &group),
            Err(SynonymError::Exists)
        ));
        let reversed = synonym_group("托育 托儿所").unwrap();
        let _removed = remove_synonym_group(dir.path(), &reversed).unwrap();
        let text = std::fs::read_to_string(dir.path().join(SYNONYMS_FILE)).unwrap();
        assert!(!text.contains("托儿所"), "{text}");
        assert!(matches!(
            remove_synonym_group(dir.path(), &group),
            Err(SynonymError::NotFound)
        ));
        drop(change);
    }

    #[test]
    fn an_empty_folder_is_seeded_once() {
        let seed_dir = tempfile::tempdir().unwrap();
        std::fs::write(seed_dir.path().join("a.md"), "# 甲\n\n正文。\n").unwrap();
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("knowledge");
        seed(&dir, seed_dir.path()).unwrap();
        assert!(dir.join("a.md").is_file());
        std::fs::write(dir.join("a.md"), "changed by an admin").unwrap();
        seed(&dir, seed_dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("a.md")).unwrap(),
            "changed by an admin"
        );
        assert!(writable(&dir).is_ok());
    }

    #[test]
    fn file_changes_undo_exactly() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.md"), "old").unwrap();
        let change = save_file(dir.path(), "a.md", b"new").unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.md")).unwrap(), b"new");
        change.undo().unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.md")).unwrap(), b"old");
        let added = save_file(dir.path(), "b.md", b"x").unwrap();
        added.undo().unwrap();
        assert!(!dir.path().join("b.md").exists());
        let removed = remove_file(dir.path(), "a.md").unwrap().unwrap();
        assert!(!dir.path().join("a.md").exists());
        removed.undo().unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.md")).unwrap(), b"old");
        assert!(remove_file(dir.path(), "none.md").unwrap().is_none());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
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
        let cases: [(&str, &[u8], usize, &str); 5] = [
            (
                "a.md",
                b"+++\nheadline = \"x\"\nbogus = 1\n+++\ntext\n",
                3,
                "front matter",
            ),
            ("b.md", b"+++\nheadline = \"x\"\n", 1, "never closed"),
            ("c.md", b"# only a title\n", 1, "no paragraphs"),
            ("d.txt", b"title\n\npara\xff\n", 3, "UTF-8"),
            ("e.md", b"ok\n\x00\x01", 2, "binary"),
        ];
        for (name, bytes, line, needle) in cases {
            let path = Path::new(name);
            let err = decode(path, bytes)
                .and_then(|t| parse_document(path, &t))
                .unwrap_err();
            assert_eq!(err.line, line, "{name}: {err}");
            assert!(err.to_string().contains(needle), "{name}: {err}");
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }
}
