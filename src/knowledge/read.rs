//! From a file's bytes to a [`Document`], for every format: the size limit, the reader of the
//! format ([`format::read`]), the structure step for what the reader gives as blocks
//! ([`structure::structure`]: sections, page furniture dropped), the metadata the file states
//! (front matter, then document properties) completed by what the text says
//! ([`structure::derive_with`], with the gazetteer), and the checks every document passes (text
//! limit, no empty document, the shape of a report).

use std::path::Path;

use super::format::{self, Block, Kind, Limits, Props, Reading};
use super::structure::{self, Body, DerivedMeta, Dropped, Structured};
use super::{Document, Level, Meta, Paragraph, Problem, SourceError, document_id, scope};
use crate::places;

/// Largest file accepted, in bytes: Telegram's own download limit for bots.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Most text one document may hold, in bytes of UTF-8, whatever its format.
pub const MAX_TEXT_BYTES: usize = 4 * 1024 * 1024;
/// Most paragraphs one document may have.
pub const MAX_PARAGRAPHS: usize = 20_000;
/// Longest paragraph accepted, in characters: a report's paragraphs run to a few hundred.
pub const MAX_PARAGRAPH_CHARS: usize = 20_000;

/// The bounds every reader keeps, whatever the file claims.
fn limits() -> Limits {
    Limits {
        max_input_bytes: MAX_FILE_BYTES,
        max_text_chars: MAX_TEXT_BYTES,
        ..Limits::default()
    }
}

/// Reads one report file (its name and bytes say its format): the document, or why it cannot
/// be used, with file and line. The folder at start and on reload, and an admin's upload, all
/// read through here.
pub fn read_document(path: &Path, bytes: &[u8]) -> Result<Document, SourceError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SourceError::new(
            path,
            0,
            format!(
                "file is {} bytes, more than the {MAX_FILE_BYTES} allowed",
                bytes.len()
            ),
        )
        .because(Problem::TooLarge));
    }
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("document");
    let mut doc = Document {
        id: document_id(path),
        file: path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(stem)
            .to_owned(),
        meta: Meta::default(),
        paragraphs: Vec::new(),
        generated: false,
        derived: Vec::new(),
        lost: Vec::new(),
        skipped: Vec::new(),
    };
    match format::read(path, bytes, &limits())? {
        Reading::Marked { meta, paragraphs } => marked(&mut doc, meta, paragraphs, stem),
        Reading::Blocks(extracted) => {
            doc.lost = extracted.lost.clone();
            from_blocks(&mut doc, &extracted.props, &extracted.blocks, stem);
        }
    }
    check_text(path, &doc)?;
    check_shape(path, &doc.paragraphs)?;
    doc.generated = doc.meta.kind.as_deref() == Some(super::FAQ_KIND);
    if !doc.generated {
        fill_scope(&mut doc);
    }
    Ok(doc)
}

/// A file that marks its own structure (Markdown): its paragraphs as they are, its stated
/// metadata, and what the text says where the front matter is silent.
fn marked(doc: &mut Document, meta: Meta, paragraphs: Vec<Paragraph>, stem: &str) {
    doc.meta = meta;
    doc.paragraphs = paragraphs;
    let blocks = blocks_of(&doc.meta, &doc.paragraphs);
    let props = Props {
        title: Some(doc.meta.headline.clone()).filter(|t| !t.trim().is_empty()),
        ..Props::default()
    };
    let derived = structure::derive_with(&props, &blocks, stem, &lookup);
    if doc.meta.headline.trim().is_empty() {
        doc.meta.headline = stem.to_owned();
    }
    complete(doc, derived, false);
}

/// A file given as blocks (Word, PDF, web page, text): the structure step makes its
/// paragraphs and sections, the properties and the text its metadata.
fn from_blocks(doc: &mut Document, props: &Props, blocks: &[Block], stem: &str) {
    let Structured {
        paragraphs,
        dropped,
    } = structure::structure(blocks);
    doc.paragraphs = paragraphs
        .into_iter()
        .map(|p| Paragraph {
            section: p.section,
            text: p.text,
            line: p.loc,
            page: p.page,
        })
        .collect();
    doc.skipped = skipped_summary(&dropped);
    let derived = structure::derive_with(props, blocks, stem, &lookup);
    let untitled = derived.evidence.iter().any(|e| e == "title from file name");
    complete(doc, derived, true);
    if untitled {
        first_line_title(doc, blocks);
    }
}

/// A text with no title a report would have (a note typed by hand): its first line is the
/// title when it is short and not a sentence, as a text file's first line has always been.
fn first_line_title(doc: &mut Document, blocks: &[Block]) {
    let Some(first) = blocks.first() else {
        return;
    };
    let title = first.text.trim();
    if title.chars().count() > 60 || title.contains(['。', '！', '？', '；', '!', '?']) {
        return;
    }
    doc.meta.headline = title.to_owned();
    doc.derived.push(format!("title from line {}", first.loc));
    if doc
        .paragraphs
        .first()
        .is_some_and(|p| p.line == first.loc && p.text.trim() == title)
    {
        doc.paragraphs.remove(0);
    }
    for p in &mut doc.paragraphs {
        if p.section.first().is_some_and(|s| s == title) {
            p.section.remove(0);
        }
    }
}

/// What the text says, where the file does not: the title only for a file given as blocks
/// (or a Markdown file without one), the rest wherever the stated metadata is silent.
fn complete(doc: &mut Document, d: DerivedMeta, blocks: bool) {
    let m = &mut doc.meta;
    let mut used = Vec::new();
    if blocks {
        m.headline = d.title;
    }
    fill(&mut m.meeting, d.meeting, "meeting", &mut used);
    fill(&mut m.dates, d.date, "date", &mut used);
    fill(&mut m.speaker, d.speaker, "speaker", &mut used);
    let body = d.body.and_then(|b| body_name(&b, &m.headline));
    fill(&mut m.body, body, "body", &mut used);
    if let Some(area) = d.area {
        if m.area.is_none() {
            m.area = Some(area.name.clone());
            m.level.get_or_insert_with(|| area.level.name().to_owned());
            used.push("area");
        }
        if m.area.as_deref() == Some(area.name.as_str()) {
            fill(&mut m.parent, area.parent, "parent", &mut used);
        }
    }
    fill(&mut m.year, d.year, "year", &mut used);
    if m.years.is_empty() && !d.years.is_empty() {
        m.years = d.years;
        used.push("years");
    }
    if blocks {
        doc.derived.extend(d.evidence);
    } else if !used.is_empty() {
        doc.derived
            .push(format!("{} from the text", used.join(", ")));
    }
}

/// Sets `slot` to `value` when it is empty; records the field's name when it does.
fn fill<T>(slot: &mut Option<T>, value: Option<T>, name: &'static str, used: &mut Vec<&str>) {
    if slot.is_none() && value.is_some() {
        *slot = value;
        used.push(name);
    }
}

/// The body as source lines name it: 政府工作报告, 人大, 政协, 法院工作报告, 检察院工作报告.
fn body_name(body: &Body, title: &str) -> Option<String> {
    let standing = title.contains("常务委员会") || title.contains("常委会");
    let name = match body {
        Body::Government => "政府工作报告",
        Body::Congress if standing => "人大常委会工作报告",
        Body::Congress => "人大",
        Body::Cppcc if standing => "政协常委会工作报告",
        Body::Cppcc => "政协",
        Body::Court => "法院工作报告",
        Body::Procuratorate => "检察院工作报告",
        Body::Other(_) => return None,
    };
    Some(name.to_owned())
}

/// The gazetteer, as the metadata step asks it: a place's full name, level and province.
fn lookup(name: &str) -> Option<(String, Level, Option<String>)> {
    let g = places::gazetteer();
    let p = g.get(name).or_else(|| g.resolve(name))?;
    Some((p.name.clone(), p.level, p.province.clone()))
}

/// A Markdown report as blocks, for the metadata step: the title, each new section's heading
/// at its depth, each paragraph.
fn blocks_of(meta: &Meta, paragraphs: &[Paragraph]) -> Vec<Block> {
    let mut blocks = Vec::with_capacity(paragraphs.len() * 2 + 1);
    let block = |kind, text: &str, loc| Block {
        kind,
        text: text.to_owned(),
        page: None,
        loc,
    };
    if !meta.headline.trim().is_empty() {
        blocks.push(block(Kind::Heading(1), &meta.headline, 0));
    }
    let mut open: &[String] = &[];
    for p in paragraphs {
        let same = open
            .iter()
            .zip(&p.section)
            .take_while(|(a, b)| a == b)
            .count();
        for (depth, title) in p.section.iter().enumerate().skip(same) {
            let level = u8::try_from(depth + 2).unwrap_or(6).min(6);
            blocks.push(block(Kind::Heading(level), title, p.line));
        }
        blocks.push(block(Kind::Paragraph, &p.text, p.line));
        open = &p.section;
    }
    blocks
}

/// What the structure step left out as not content, by kind, in the order first met; what
/// goes to the metadata (title, date line, speaker, salutation) is not counted.
fn skipped_summary(dropped: &[(usize, String, Dropped)]) -> Vec<(Dropped, usize)> {
    let mut counts: Vec<(Dropped, usize)> = Vec::new();
    for (_, _, why) in dropped {
        if matches!(
            why,
            Dropped::Title | Dropped::DateMeeting | Dropped::Speaker | Dropped::Salutation
        ) {
            continue;
        }
        match counts.iter_mut().find(|(d, _)| d == why) {
            Some((_, n)) => *n += 1,
            None => counts.push((*why, 1)),
        }
    }
    counts
}

/// Refuses a document with no text, or with more text than [`MAX_TEXT_BYTES`].
fn check_text(path: &Path, doc: &Document) -> Result<(), SourceError> {
    if doc.paragraphs.is_empty() {
        return Err(SourceError::new(
            path,
            1,
            "no paragraphs: the document has no text to answer from",
        )
        .because(Problem::Empty));
    }
    let bytes: usize = doc.paragraphs.iter().map(|p| p.text.len()).sum();
    if bytes > MAX_TEXT_BYTES {
        return Err(SourceError::new(
            path,
            0,
            format!("{bytes} bytes of text, more than the {MAX_TEXT_BYTES} allowed"),
        )
        .because(Problem::TooLarge));
    }
    Ok(())
}

/// What a document speaks for, where its metadata does not say: the area its meeting or
/// title names, that area's level, and the year its text names most.
fn fill_scope(doc: &mut Document) {
    let m = &mut doc.meta;
    if m.area.is_none() {
        let named = [m.meeting.as_deref(), Some(m.headline.as_str())];
        if let Some(area) = named.into_iter().flatten().find_map(scope::area_in) {
            doc.derived
                .push(format!("area {area} from the meeting or title"));
            m.area = Some(area);
        }
    }
    if m.level.is_none()
        && let Some(level) = m.area.as_deref().and_then(Level::of_name)
    {
        m.level = Some(level.name().to_owned());
    }
    if m.year.is_none()
        && let Some(year) = scope::main_year(doc)
    {
        doc.meta.year = Some(year);
        doc.derived
            .push(format!("year {year}: the year the text names most"));
    }
}

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
        )
        .because(Problem::NotAReport));
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
        )
        .because(Problem::NotAReport));
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
        )
        .because(Problem::NotAReport));
    }
    Ok(())
}
