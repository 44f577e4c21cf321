//! Reads Word 2007+ `.docx` files as Microsoft Word and WPS Office save them.
//!
//! It returns the body's paragraphs in order: headings (paragraph styles Heading 1..6 / 标题 1..6
//! / Title, resolved through styles.xml with `basedOn` chains and `w:outlineLvl`, or a direct
//! outline level) as `Kind::Heading`, other paragraphs as `Kind::Paragraph`, table rows as
//! `Kind::TableRow` (cells joined with " | ", nested tables flattened into their cell). Automatic
//! numbering is reconstructed from numbering.xml (numId/ilvl → abstractNum level, lvlText such
//! as "%1、" or "（%1）", numFmt chineseCounting / chineseCountingThousand / ideographTraditional
//! / decimal / decimalEnclosedCircle / roman / letters …, one counter per list and level with
//! lvlRestart, startOverride and isLgl) and prefixed to the paragraph text, because Chinese
//! reports often get their "一、" and "（一）" from Word, not from the text runs. Runs: w:t, w:tab,
//! w:br/w:cr (soft breaks), w:sym, w:noBreakHyphen; field instructions are skipped and field
//! results kept; w:ins/w:moveTo kept, w:del/w:moveFrom dropped; hidden (w:vanish) runs dropped;
//! smart tags, content controls and custom XML are transparent. docProps/core.xml gives title,
//! subject (or description), creator and created.
//!
//! It deliberately does not read headers, footers, footnote/endnote/comment text, text boxes,
//! images, charts or embedded objects: those are counted in `lost` (footnote references, text
//! boxes, images, charts, objects). An OLE compound file is refused: `Encrypted` when it holds
//! an EncryptedPackage (a password-protected .docx), `OldFormat` otherwise (.doc/.wps).
//!
//! Safety: zip entries are inflated through a counting reader bounded by
//! `Limits::max_inflated_bytes` in total (declared sizes are only used to refuse early), the
//! XML is parsed by quick-xml's non-recursive pull parser with our own depth bound, style
//! `basedOn` chains are followed with a hop limit, and the clock is checked in every loop.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::model::{Block, Extracted, Kind, Limits, Loss, Props, ReadError};
use super::util::{
    Budget, check_input, damaged, join_soft, lost_entry, non_empty, push_block, read_limited,
    too_complex,
};

const FORMAT: &str = "docx";

pub fn read(bytes: &[u8], limits: &Limits) -> Result<Extracted, ReadError> {
    check_input(bytes, limits)?;
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(ole_error(bytes));
    }
    if !bytes.starts_with(b"PK") {
        return Err(damaged(FORMAT, "not a zip package"));
    }
    let mut budget = Budget::new(limits);
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| damaged(FORMAT, format!("zip: {e}")))?;
    budget.check_time()?;

    let parts = locate_parts(&mut zip, &mut budget)?;
    let styles = match read_part(&mut zip, &parts.styles, &mut budget)? {
        Some(x) => parse_styles(&x, &mut budget)?,
        None => Styles::default(),
    };
    let numbering = match read_part(&mut zip, &parts.numbering, &mut budget)? {
        Some(x) => parse_numbering(&x, &mut budget)?,
        None => Numbering::default(),
    };
    let props = match read_part(&mut zip, &parts.core, &mut budget)? {
        Some(x) => parse_core(&x, &mut budget).unwrap_or_default(),
        None => Props::default(),
    };
    let mut ex = read_main_part(&mut zip, &parts.main, &styles, &numbering, &mut budget)?;
    ex.props = props;
    Ok(ex)
}

/// The error for an OLE compound file: `Encrypted` when it holds an EncryptedPackage stream
/// (a password-protected .docx), `OldFormat` otherwise.
fn ole_error(bytes: &[u8]) -> ReadError {
    let needle: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    if super::util::find_bytes(bytes, &needle).is_some() {
        return ReadError::Encrypted;
    }
    ReadError::OldFormat { format: "doc" }
}

/// The package parts the reader uses, as zip entry names.
struct PartNames {
    main: String,
    core: String,
    styles: String,
    numbering: String,
}

/// Locates the parts through the package and main-document relationships, with the usual
/// defaults.
fn locate_parts(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    budget: &mut Budget,
) -> Result<PartNames, ReadError> {
    let root_rels = read_part(zip, "_rels/.rels", budget)?
        .map(|x| parse_rels(&x, "", budget))
        .transpose()?;
    let mut main = "word/document.xml".to_string();
    let mut core = "docProps/core.xml".to_string();
    if let Some(rels) = &root_rels {
        for (ty, target) in rels {
            if ty.ends_with("/officeDocument") {
                main = target.clone();
            } else if ty.ends_with("/core-properties") {
                core = target.clone();
            }
        }
    }
    let main_dir = main
        .rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default();
    let main_name = main
        .rsplit('/')
        .next()
        .unwrap_or("document.xml")
        .to_string();
    let rels_name = if main_dir.is_empty() {
        format!("_rels/{main_name}.rels")
    } else {
        format!("{main_dir}/_rels/{main_name}.rels")
    };
    let mut styles = join_path(&main_dir, "styles.xml");
    let mut numbering = join_path(&main_dir, "numbering.xml");
    if let Some(x) = read_part(zip, &rels_name, budget)? {
        for (ty, target) in parse_rels(&x, &main_dir, budget)? {
            if ty.ends_with("/styles") {
                styles = target;
            } else if ty.ends_with("/numbering") {
                numbering = target;
            }
        }
    }
    Ok(PartNames {
        main,
        core,
        styles,
        numbering,
    })
}

/// Parses the main document part. document.xml is parsed while it is inflated: memory stays
/// at one buffer's worth (a UTF-16 part is read whole and converted first).
fn read_main_part(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    main: &str,
    styles: &Styles,
    numbering: &Numbering,
    budget: &mut Budget,
) -> Result<Extracted, ReadError> {
    let Some(idx) = part_index(zip, main) else {
        return Err(damaged(
            FORMAT,
            format!("no {main} in the package: not a Word document"),
        ));
    };
    let file = open_entry(zip, idx, main, budget)?;
    let used = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let max_run = budget
        .limits
        .max_text_chars
        .saturating_mul(4)
        .saturating_add(1 << 20);
    let counting = CountingReader {
        inner: file,
        left: budget.inflated_left(),
        used: used.clone(),
        since_lt: 0,
        max_run,
    };
    let mut br = std::io::BufReader::with_capacity(64 * 1024, counting);
    let utf16 = {
        let head =
            std::io::BufRead::fill_buf(&mut br).map_err(|e| super::util::map_io(e, FORMAT))?;
        head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF])
    };
    if utf16 {
        let data = read_limited(br, budget, FORMAT)?;
        let data = xml_text(&data).into_owned();
        parse_document(xml_reader(&data), styles, numbering, budget)
    } else {
        let mut r = Reader::from_reader(br);
        configure(&mut r);
        let ex = parse_document(r, styles, numbering, budget);
        budget.add_inflated(used.get())?;
        ex
    }
}

fn join_path(dir: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    }
    let mut parts: Vec<&str> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// The entry index of a part, trying the exact name and then a case-insensitive match.
fn part_index(zip: &zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<usize> {
    if let Some(i) = zip.index_for_name(name) {
        return Some(i);
    }
    // Some producers differ in case; look once, bounded by the entry count.
    let lower = name.to_ascii_lowercase();
    let found = zip
        .file_names()
        .take(100_000)
        .flatten()
        .find(|n| n.to_ascii_lowercase() == lower)
        .map(|n| n.into_owned());
    found.and_then(|n| zip.index_for_name(&n))
}

/// Opens an entry for reading, refusing encrypted entries and declared sizes over the budget.
fn open_entry<'z, 'd>(
    zip: &'z mut zip::ZipArchive<Cursor<&'d [u8]>>,
    idx: usize,
    name: &str,
    budget: &Budget,
) -> Result<zip::read::ZipFile<'z, Cursor<&'d [u8]>>, ReadError> {
    budget.check_time()?;
    let file = zip.by_index(idx).map_err(|e| match e {
        zip::result::ZipError::UnsupportedArchive(m)
            if m.to_ascii_lowercase().contains("password") =>
        {
            ReadError::Encrypted
        }
        e => damaged(FORMAT, format!("{name}: {e}")),
    })?;
    if file.encrypted() {
        return Err(ReadError::Encrypted);
    }
    // A declared size over the limit is refused at once (a smaller declared size is not
    // trusted: the readers count what really comes out).
    if file.size() > budget.inflated_left() as u64 {
        return Err(too_complex(format!(
            "{name} declares {} bytes uncompressed",
            file.size()
        )));
    }
    Ok(file)
}

/// Largest auxiliary part (styles, numbering, core properties, relationships) read into
/// memory; real ones are well under 1 MB.
const MAX_AUX_PART: u64 = 32 * 1024 * 1024;

/// Reads one auxiliary zip entry fully (bounded by the budget and `MAX_AUX_PART`). `None` if
/// absent.
fn read_part(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    budget: &mut Budget,
) -> Result<Option<Vec<u8>>, ReadError> {
    let Some(idx) = part_index(zip, name) else {
        return Ok(None);
    };
    let file = open_entry(zip, idx, name, budget)?;
    let data = read_limited(std::io::Read::take(file, MAX_AUX_PART + 1), budget, FORMAT)?;
    if data.len() as u64 > MAX_AUX_PART {
        return Err(too_complex(format!(
            "{name} is larger than {MAX_AUX_PART} bytes"
        )));
    }
    Ok(Some(data))
}

/// Makes a quick-xml reader over a part, converting UTF-16 parts to UTF-8 first.
fn xml_text(data: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if data.starts_with(&[0xFF, 0xFE]) || data.starts_with(&[0xFE, 0xFF]) {
        let (enc, bom) = encoding_rs::Encoding::for_bom(data).unwrap_or((encoding_rs::UTF_16LE, 2));
        let s = enc.decode_without_bom_handling(&data[bom..]).0.into_owned();
        // Drop the XML declaration's encoding claim by re-serialising as UTF-8 text.
        return std::borrow::Cow::Owned(s.replacen("encoding=\"UTF-16\"", "", 1).into_bytes());
    }
    std::borrow::Cow::Borrowed(data.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(data))
}

fn xml_reader(data: &[u8]) -> Reader<&[u8]> {
    let mut r = Reader::from_reader(data);
    configure(&mut r);
    r
}

fn configure<R>(r: &mut Reader<R>) {
    let c = r.config_mut();
    c.trim_text(false);
    c.check_end_names = false;
    c.allow_unmatched_ends = true;
    c.expand_empty_elements = false;
}

/// Errors from a streaming parse: a limit hit inside the counting reader comes back as itself.
fn xml_stream_err(e: quick_xml::Error) -> ReadError {
    if let quick_xml::Error::Io(io) = &e
        && let Some(hit) = io
            .get_ref()
            .and_then(|i| i.downcast_ref::<super::util::LimitHit>())
    {
        return hit.0.clone();
    }
    xml_err(e)
}

/// Counts the bytes coming out of a zip entry and stops at the inflation budget (the
/// declared size is never trusted).
/// It also bounds the longest stretch without a '<' (one text node or tag), which the XML
/// parser would otherwise buffer whole.
struct CountingReader<R> {
    inner: R,
    left: usize,
    used: std::rc::Rc<std::cell::Cell<usize>>,
    since_lt: usize,
    max_run: usize,
}

impl<R: std::io::Read> std::io::Read for CountingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        let used = self.used.get() + n;
        self.used.set(used);
        if used > self.left {
            return Err(std::io::Error::other(super::util::LimitHit(too_complex(
                "document.xml inflates past the decompression limit",
            ))));
        }
        match out[..n].iter().rposition(|&b| b == b'<') {
            Some(i) => self.since_lt = n - i - 1,
            None => self.since_lt += n,
        }
        if self.since_lt > self.max_run {
            return Err(std::io::Error::other(super::util::LimitHit(too_complex(
                "document.xml has a text run longer than the text limit",
            ))));
        }
        Ok(n)
    }
}

fn xml_err(e: impl std::fmt::Display) -> ReadError {
    damaged(FORMAT, format!("xml: {e}"))
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

/// The value of the attribute whose local name is `name` (w:val, r:id, …), unescaped.
fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    for a in e.attributes().with_checks(false).flatten() {
        if a.key.local_name().as_ref() == name {
            return Some(
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map(|v| v.into_owned())
                    .unwrap_or_else(|_| a.value.to_string()),
            );
        }
    }
    None
}

fn attr_int(e: &BytesStart<'_>, name: &str) -> Option<i64> {
    attr(e, name).and_then(|v| v.trim().parse::<i64>().ok())
}

/// On/off properties (w:vanish, w:isLgl): present means on unless val is false/0/off.
fn on_off(e: &BytesStart<'_>) -> bool {
    !matches!(attr(e, "val").as_deref(), Some("0" | "false" | "off"))
}

fn parse_rels(
    data: &[u8],
    base_dir: &str,
    budget: &mut Budget,
) -> Result<Vec<(String, String)>, ReadError> {
    let data = xml_text(data);
    let mut r = xml_reader(&data);
    let mut out = Vec::new();
    loop {
        budget.tick()?;
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                if local(&e) == "Relationship" {
                    if attr(&e, "TargetMode").as_deref() == Some("External") {
                        continue;
                    }
                    if let (Some(t), Some(target)) = (attr(&e, "Type"), attr(&e, "Target")) {
                        out.push((t, join_path(base_dir, &target)));
                    }
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(_) => break, // a broken .rels only costs us the defaults
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- styles

#[derive(Default, Debug)]
struct Style {
    name: String,
    based_on: Option<String>,
    outline: Option<i64>,
    num_id: Option<i64>,
    ilvl: Option<i64>,
}

#[derive(Default)]
struct Styles {
    map: HashMap<String, Style>,
    default_para: Option<String>,
}

fn parse_styles(data: &[u8], budget: &mut Budget) -> Result<Styles, ReadError> {
    let data = xml_text(data);
    let mut r = xml_reader(&data);
    let mut st = StylesParser::default();
    loop {
        budget.tick()?;
        let ev = r.read_event().map_err(xml_err)?;
        let (e, empty) = match ev {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                st.end();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if !empty {
            st.depth += 1;
            if st.depth > budget.max_depth() {
                return Err(too_complex("styles.xml nested too deep"));
            }
        }
        if st.skip_depth.is_none() {
            st.start(&e, empty);
        }
    }
    Ok(st.styles)
}

/// The state of `parse_styles` while it walks styles.xml.
#[derive(Default)]
struct StylesParser {
    styles: Styles,
    /// The paragraph style being read, with its id.
    cur: Option<(String, Style)>,
    depth: usize,
    /// Depth of the open w:pPr, if any.
    ppr_depth: Option<usize>,
    /// Depth of a skipped subtree (run/table properties, change records), if any.
    skip_depth: Option<usize>,
}

impl StylesParser {
    /// An end tag: closes a skipped subtree or w:pPr, and stores a finished w:style.
    fn end(&mut self) {
        if self.skip_depth == Some(self.depth) {
            self.skip_depth = None;
        }
        if self.ppr_depth == Some(self.depth) {
            self.ppr_depth = None;
        }
        if self.depth == 2
            && let Some((id, s)) = self.cur.take()
        {
            self.styles.map.insert(id, s);
        }
        self.depth = self.depth.saturating_sub(1);
    }

    /// A start or empty element outside skipped subtrees (`depth` already counts it).
    fn start(&mut self, e: &BytesStart<'_>, empty: bool) {
        let name = local(e);
        match name.as_str() {
            "style" => {
                let is_para = attr(e, "type").map(|t| t == "paragraph").unwrap_or(true);
                if let Some(id) = attr(e, "styleId") {
                    if is_para
                        && attr(e, "default")
                            .map(|v| v == "1" || v == "true")
                            .unwrap_or(false)
                    {
                        self.styles.default_para = Some(id.clone());
                    }
                    if is_para && !empty {
                        self.cur = Some((id, Style::default()));
                    }
                }
            }
            "pPrChange" | "rPrChange" | "rPr" | "tblPr" | "tcPr" | "trPr" | "tblStylePr"
                if !empty =>
            {
                self.skip_depth = Some(self.depth)
            }
            "pPr" if !empty => self.ppr_depth = Some(self.depth),
            _ => {
                let in_ppr = self.ppr_depth.is_some();
                if let Some((_, s)) = self.cur.as_mut() {
                    match name.as_str() {
                        "name" => s.name = attr(e, "val").unwrap_or_default().to_lowercase(),
                        "basedOn" => s.based_on = attr(e, "val"),
                        "outlineLvl" if in_ppr => s.outline = attr_int(e, "val"),
                        "numId" if in_ppr => s.num_id = attr_int(e, "val"),
                        "ilvl" if in_ppr => s.ilvl = attr_int(e, "val"),
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Heading level from a style name: "heading 3", "标题 3", "标题3", "title", "标题".
fn level_from_name(name: &str) -> Option<u8> {
    let n = name.trim();
    if n == "title" || n == "标题" {
        return Some(1);
    }
    for prefix in ["heading", "标题"] {
        if let Some(rest) = n.strip_prefix(prefix)
            && let Ok(l) = rest.trim().parse::<u8>()
            && (1..=9).contains(&l)
        {
            return Some(l.min(6));
        }
    }
    None
}

impl Styles {
    /// Walks the basedOn chain (bounded, loop-safe). Returns the heading level (if any) and the
    /// style-provided numbering (numId, ilvl).
    fn resolve(&self, id: Option<&str>) -> (Option<u8>, Option<i64>, Option<i64>) {
        let mut level: Option<u8> = None;
        let mut num_id: Option<i64> = None;
        let mut ilvl: Option<i64> = None;
        let mut cur = id
            .map(|s| s.to_string())
            .or_else(|| self.default_para.clone());
        let mut seen = HashSet::new();
        let mut level_done = false;
        while let Some(sid) = cur {
            if !seen.insert(sid.clone()) || seen.len() > 64 {
                break;
            }
            let Some(s) = self.map.get(&sid) else { break };
            if !level_done {
                if let Some(o) = s.outline {
                    level = if (0..=8).contains(&o) {
                        Some((o + 1).min(6) as u8)
                    } else {
                        None
                    };
                    level_done = true;
                } else if let Some(l) = level_from_name(&s.name) {
                    level = Some(l);
                    level_done = true;
                }
            }
            if num_id.is_none() && s.num_id.is_some() {
                num_id = s.num_id;
                ilvl = s.ilvl;
            }
            cur = s.based_on.clone();
        }
        (level, num_id, ilvl)
    }
}

// ---------------------------------------------------------------- numbering

#[derive(Clone, Debug, Default)]
struct Level {
    start: i64,
    fmt: String,
    text: String,
    restart: Option<i64>,
    p_style: Option<String>,
    is_lgl: bool,
    suff: String,
}

#[derive(Default, Debug)]
struct AbstractNum {
    levels: HashMap<i64, Level>,
    num_style_link: Option<String>,
}

#[derive(Default, Debug)]
struct Num {
    abstract_id: i64,
    start_overrides: HashMap<i64, i64>,
    level_overrides: HashMap<i64, Level>,
}

#[derive(Default)]
struct Numbering {
    abstracts: HashMap<i64, AbstractNum>,
    nums: HashMap<i64, Num>,
}

fn parse_numbering(data: &[u8], budget: &mut Budget) -> Result<Numbering, ReadError> {
    let data = xml_text(data);
    let mut r = xml_reader(&data);
    let mut st = NumberingParser::default();
    loop {
        budget.tick()?;
        let ev = r.read_event().map_err(xml_err)?;
        let (e, empty) = match ev {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                st.end(e.local_name().as_ref());
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if !empty {
            st.depth += 1;
            if st.depth > budget.max_depth() {
                return Err(too_complex("numbering.xml nested too deep"));
            }
        }
        if st.skip_depth.is_none() {
            st.start(&e, empty);
        }
    }
    Ok(st.nb)
}

/// The state of `parse_numbering` while it walks numbering.xml.
#[derive(Default)]
struct NumberingParser {
    nb: Numbering,
    cur_abs: Option<(i64, AbstractNum)>,
    cur_num: Option<(i64, Num)>,
    cur_lvl: Option<(i64, Level)>,
    /// The ilvl of the open w:lvlOverride, if any.
    override_ilvl: Option<i64>,
    depth: usize,
    /// Depth of a skipped subtree (a level's paragraph/run properties), if any.
    skip_depth: Option<usize>,
}

impl NumberingParser {
    /// An end tag: closes a skipped subtree, or stores a finished level, abstractNum or num.
    fn end(&mut self, name: &str) {
        if self.skip_depth == Some(self.depth) {
            self.skip_depth = None;
        }
        self.depth = self.depth.saturating_sub(1);
        if self.skip_depth.is_some() {
            return;
        }
        match name {
            "lvl" => {
                if let Some((ilvl, lvl)) = self.cur_lvl.take() {
                    if let Some((_, a)) = self.cur_abs.as_mut() {
                        a.levels.insert(ilvl, lvl);
                    } else if let Some((_, n)) = self.cur_num.as_mut() {
                        n.level_overrides
                            .insert(self.override_ilvl.unwrap_or(ilvl), lvl);
                    }
                }
            }
            "abstractNum" => {
                if let Some((id, a)) = self.cur_abs.take() {
                    self.nb.abstracts.insert(id, a);
                }
            }
            "num" => {
                if let Some((id, n)) = self.cur_num.take() {
                    self.nb.nums.insert(id, n);
                }
            }
            "lvlOverride" => self.override_ilvl = None,
            _ => {}
        }
    }

    /// A start or empty element outside skipped subtrees (`depth` already counts it).
    fn start(&mut self, e: &BytesStart<'_>, empty: bool) {
        let name = local(e);
        match name.as_str() {
            "abstractNum" => {
                if let Some(id) = attr_int(e, "abstractNumId") {
                    self.cur_abs = Some((id, AbstractNum::default()));
                }
            }
            "num" => {
                if let Some(id) = attr_int(e, "numId") {
                    self.cur_num = Some((id, Num::default()));
                }
            }
            "abstractNumId" => {
                if let (Some((_, n)), Some(v)) = (self.cur_num.as_mut(), attr_int(e, "val")) {
                    n.abstract_id = v;
                }
            }
            "numStyleLink" => {
                if let Some((_, a)) = self.cur_abs.as_mut() {
                    a.num_style_link = attr(e, "val");
                }
            }
            "lvlOverride" => self.override_ilvl = attr_int(e, "ilvl"),
            "startOverride" => {
                if let (Some((_, n)), Some(il), Some(v)) = (
                    self.cur_num.as_mut(),
                    self.override_ilvl,
                    attr_int(e, "val"),
                ) {
                    n.start_overrides.insert(il, v);
                }
            }
            "lvl" => {
                let ilvl = attr_int(e, "ilvl").unwrap_or(0);
                // The format stays empty until a w:numFmt gives one.
                let level = Level {
                    start: 1,
                    fmt: String::new(),
                    suff: "tab".into(),
                    ..Level::default()
                };
                self.cur_lvl = Some((ilvl, level));
            }
            "pPr" | "rPr" if !empty => self.skip_depth = Some(self.depth),
            _ => {
                if let Some((_, l)) = self.cur_lvl.as_mut() {
                    level_property(l, &name, e);
                }
            }
        }
    }
}

/// Applies one property element of a w:lvl (start, numFmt, lvlText, …) to `l`.
fn level_property(l: &mut Level, name: &str, e: &BytesStart<'_>) {
    match name {
        "start" => l.start = attr_int(e, "val").unwrap_or(1),
        "numFmt" => {
            // Word 2010 writes a "custom" format in mc:Choice and a plain one in
            // mc:Fallback: keep the first usable one.
            let v = attr(e, "val").unwrap_or_default();
            if l.fmt.is_empty() || l.fmt == "custom" {
                l.fmt = v;
            }
        }
        "lvlText" => l.text = attr(e, "val").unwrap_or_default(),
        "lvlRestart" => l.restart = attr_int(e, "val"),
        "pStyle" => l.p_style = attr(e, "val"),
        "isLgl" => l.is_lgl = on_off(e),
        "suff" => l.suff = attr(e, "val").unwrap_or_default(),
        _ => {}
    }
}

/// Live counters while walking the document.
struct Counters {
    /// Per abstractNum: the current value of each level (None: not started).
    values: HashMap<i64, [Option<i64>; 9]>,
    /// numIds whose startOverride has been applied.
    started: HashSet<i64>,
}

impl Numbering {
    fn abstract_for(&self, num_id: i64, styles: &Styles) -> Option<(i64, &AbstractNum)> {
        let num = self.nums.get(&num_id)?;
        let mut aid = num.abstract_id;
        let mut a = self.abstracts.get(&aid)?;
        // numStyleLink: the abstractNum defers to the numbering of a numbering style.
        let mut hops = 0;
        while let Some(link) = &a.num_style_link {
            hops += 1;
            if hops > 8 {
                break;
            }
            let target = styles
                .map
                .get(link)
                .and_then(|s| s.num_id)
                .and_then(|n| self.nums.get(&n))?;
            aid = target.abstract_id;
            a = self.abstracts.get(&aid)?;
        }
        Some((aid, a))
    }

    fn level<'a>(&'a self, num_id: i64, a: &'a AbstractNum, ilvl: i64) -> Option<&'a Level> {
        self.nums
            .get(&num_id)
            .and_then(|n| n.level_overrides.get(&ilvl))
            .or_else(|| a.levels.get(&ilvl))
    }

    /// Advances the counters for a paragraph numbered (num_id, ilvl) and returns its label.
    fn label(
        &self,
        num_id: i64,
        ilvl: i64,
        styles: &Styles,
        c: &mut Counters,
    ) -> Option<(String, String)> {
        if num_id <= 0 {
            return None;
        }
        let ilvl = ilvl.clamp(0, 8);
        let (aid, a) = self.abstract_for(num_id, styles)?;
        let lvl = self.level(num_id, a, ilvl)?;
        let vals = c.values.entry(aid).or_insert([None; 9]);
        if c.started.insert(num_id)
            && let Some(n) = self.nums.get(&num_id)
        {
            for (&l, &v) in &n.start_overrides {
                if (0..9).contains(&l) {
                    // The next paragraph at that level shows `v`.
                    vals[l as usize] = Some(v - 1);
                    for v in vals.iter_mut().skip(l as usize + 1) {
                        *v = None;
                    }
                }
            }
        }
        let i = ilvl as usize;
        vals[i] = Some(match vals[i] {
            Some(v) => v.saturating_add(1),
            None => lvl.start,
        });
        #[allow(clippy::needless_range_loop)]
        for d in (i + 1)..9 {
            let restart = self.level(num_id, a, d as i64).and_then(|l| l.restart);
            // Default: restart after any higher level; lvlRestart=0: never; n: after level n.
            let restarts = match restart {
                None => true,
                Some(0) => false,
                Some(n) => (i as i64) < n,
            };
            if restarts {
                vals[d] = None;
            }
        }
        if lvl.fmt == "none" {
            return Some((String::new(), lvl.suff.clone()));
        }
        let mut out = String::new();
        let mut chars = lvl.text.chars().peekable();
        while let Some(ch) = chars.next() {
            if ch == '%'
                && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
            {
                chars.next();
                if (1..=9).contains(&d) {
                    let li = (d - 1) as usize;
                    let l = self.level(num_id, a, li as i64);
                    let v = vals[li].unwrap_or_else(|| l.map(|l| l.start).unwrap_or(1));
                    let fmt = if lvl.is_lgl && li < i {
                        "decimal"
                    } else {
                        l.map(|l| l.fmt.as_str()).unwrap_or("decimal")
                    };
                    out.push_str(&format_number(v, fmt));
                }
                continue;
            }
            if lvl.fmt == "bullet" || super::util::is_bad_char(ch) {
                continue; // bullet glyphs (often symbol-font private-use characters) carry no text
            }
            out.push(ch);
        }
        if lvl.fmt == "bullet" {
            out.clear();
        }
        Some((out, lvl.suff.clone()))
    }
}

const DIGITS_ZH: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
const DIGITS_LEGAL: [&str; 10] = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"];

/// Chinese counting: 1 一, 10 十, 11 十一, 20 二十, 101 一百零一, 1010 一千零一十.
fn chinese(n: i64, digits: &[&str; 10], units: [&str; 4], omit_leading_one_ten: bool) -> String {
    if n <= 0 || n >= 100_000 {
        return n.to_string();
    }
    let ds = [
        n / 10_000 % 10,
        n / 1000 % 10,
        n / 100 % 10,
        n / 10 % 10,
        n % 10,
    ];
    let unit_names = ["万", units[3], units[2], units[1], ""];
    let mut out = String::new();
    let mut zero = false;
    let top = ds.iter().position(|&d| d != 0).unwrap_or(4);
    for (k, &d) in ds.iter().enumerate().skip(top) {
        if d == 0 {
            zero = true;
            continue;
        }
        if zero && !out.is_empty() {
            out.push_str(digits[0]);
        }
        zero = false;
        let is_ten = k == 3;
        if !(is_ten && d == 1 && out.is_empty() && omit_leading_one_ten) {
            out.push_str(digits[d as usize]);
        }
        out.push_str(unit_names[k]);
    }
    out
}

/// Word: 1 A … 26 Z, 27 AA, 28 BB …
fn letters(n: i64, upper: bool) -> String {
    if n <= 0 {
        return n.to_string();
    }
    let idx = ((n - 1) % 26) as u8;
    let reps = ((n - 1) / 26 + 1).min(50) as usize;
    let c = if upper { b'A' + idx } else { b'a' + idx } as char;
    std::iter::repeat_n(c, reps).collect()
}

/// An enclosed number (①, ⑴, ⒈, ㊀): `n` from 1 to `max` maps to consecutive code points from
/// `base`; other numbers stay decimal.
fn circled(n: i64, base: u32, max: i64) -> String {
    if (1..=max).contains(&n) {
        char::from_u32(base + n as u32 - 1)
            .map(|c| c.to_string())
            .unwrap_or_else(|| n.to_string())
    } else {
        n.to_string()
    }
}

/// The `n`th (1-based) name of a cycle such as 甲乙丙丁; numbers outside it stay decimal.
fn nth_name(n: i64, names: &[&str]) -> String {
    if (1..=names.len() as i64).contains(&n) {
        names[n as usize - 1].to_string()
    } else {
        n.to_string()
    }
}

/// Heavenly stems (ideographTraditional).
const STEMS: [&str; 10] = ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸"];
/// Earthly branches (ideographZodiac).
const BRANCHES: [&str; 12] = [
    "子", "丑", "寅", "卯", "辰", "巳", "午", "未", "申", "酉", "戌", "亥",
];

/// Formats `n` in the w:numFmt `fmt` (decimal, chineseCounting, upperRoman, …).
pub(crate) fn format_number(n: i64, fmt: &str) -> String {
    match fmt {
        "decimal" | "" | "custom" => n.to_string(),
        "decimalZero" => format!("{n:02}"),
        "decimalFullWidth" | "decimalFullWidth2" => n
            .to_string()
            .chars()
            .map(|c| {
                c.to_digit(10)
                    .and_then(|d| char::from_u32(0xFF10 + d))
                    .unwrap_or(c)
            })
            .collect(),
        "decimalHalfWidth" => n.to_string(),
        "decimalEnclosedCircle" | "decimalEnclosedCircleChinese" => circled(n, 0x2460, 20),
        "decimalEnclosedParen" => circled(n, 0x2474, 20),
        "decimalEnclosedFullstop" => circled(n, 0x2488, 20),
        "ideographEnclosedCircle" => circled(n, 0x3280, 10),
        "ideographTraditional" => nth_name(n, &STEMS),
        "ideographZodiac" => nth_name(n, &BRANCHES),
        "chineseCounting" | "japaneseCounting" | "taiwaneseCounting" | "koreanCounting" => {
            chinese(n, &DIGITS_ZH_COUNTING, ["", "十", "百", "千"], true)
        }
        "chineseCountingThousand"
        | "taiwaneseCountingThousand"
        | "japaneseCountingThousand"
        | "koreanCountingThousand" => chinese(n, &DIGITS_ZH_COUNTING, ["", "十", "百", "千"], true),
        "chineseLegalSimplified" | "japaneseLegal" | "koreanLegal" => {
            chinese(n, &DIGITS_LEGAL, ["", "拾", "佰", "仟"], false)
        }
        "ideographDigital"
        | "taiwaneseDigital"
        | "koreanDigital"
        | "japaneseDigitalTenThousand" => n
            .to_string()
            .chars()
            .map(|c| c.to_digit(10).map(|d| DIGITS_ZH[d as usize]).unwrap_or(""))
            .collect(),
        "upperRoman" => roman(n, true),
        "lowerRoman" => roman(n, false),
        "upperLetter" => letters(n, true),
        "lowerLetter" => letters(n, false),
        "ordinal" => format!("{n}."),
        _ => n.to_string(),
    }
}

/// Counting digits use 零 for an inner zero ("一百零一"), 〇 only in digital formats.
const DIGITS_ZH_COUNTING: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

fn roman(n: i64, upper: bool) -> String {
    if n <= 0 || n >= 4000 {
        return n.to_string();
    }
    let table = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut n = n;
    let mut s = String::new();
    for (v, r) in table {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    if upper { s.to_uppercase() } else { s }
}

// ---------------------------------------------------------------- core.xml

fn parse_core(data: &[u8], budget: &mut Budget) -> Result<Props, ReadError> {
    let data = xml_text(data);
    let mut r = xml_reader(&data);
    let mut props = Props::default();
    let mut field: Option<String> = None;
    let mut text = String::new();
    let mut description = None;
    loop {
        budget.tick()?;
        match r.read_event().map_err(xml_err)? {
            Event::Start(e) => {
                field = Some(local(&e));
                text.clear();
            }
            Event::Text(t) if field.is_some() && text.len() < 10_000 => {
                text.push_str(&t.xml10_content());
            }
            Event::GeneralRef(g) if field.is_some() => {
                push_ref(&mut text, &g);
            }
            Event::End(_) => {
                if let Some(f) = field.take() {
                    let v = non_empty(&text);
                    match f.as_str() {
                        "title" => props.title = v,
                        "subject" => props.subject = v,
                        "creator" => props.author = v,
                        "created" => props.date = v,
                        "description" => description = v,
                        _ => {}
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if props.subject.is_none() {
        props.subject = description;
    }
    Ok(props)
}

fn push_ref(out: &mut String, g: &quick_xml::events::BytesRef<'_>) {
    if let Ok(Some(c)) = g.resolve_char_ref() {
        out.push(c);
        return;
    }
    let name = g.xml10_content();
    if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
        out.push_str(s);
    }
}

// ---------------------------------------------------------------- document.xml

#[derive(Default)]
struct Para {
    text: String,
    style: Option<String>,
    num_id: Option<i64>,
    ilvl: Option<i64>,
    outline: Option<i64>,
    loc: usize,
    toc: bool,
}

/// Open complex fields (w:fldChar begin/separate/end): text shows only when no open field is
/// in its instruction part.
#[derive(Default)]
struct Fields {
    stack: Vec<bool>,
    in_instr: usize,
}

impl Fields {
    fn begin(&mut self) {
        self.stack.push(false);
        self.in_instr += 1;
    }
    fn separate(&mut self) {
        if let Some(f) = self.stack.last_mut()
            && !*f
        {
            *f = true;
            self.in_instr -= 1;
        }
    }
    fn end(&mut self) {
        if let Some(false) = self.stack.pop() {
            self.in_instr -= 1;
        }
    }
    fn showing(&self) -> bool {
        self.in_instr == 0
    }
}

#[derive(Default)]
struct Table {
    row: Option<Vec<String>>,
    cell: Option<String>,
}

#[derive(Default)]
struct LostCounts {
    images: usize,
    text_boxes: usize,
    footnotes: usize,
    endnotes: usize,
    charts: usize,
    objects: usize,
    symbols: usize,
    toc: usize,
}

/// Symbol-font characters (w:sym, private-use F0xx) with an obvious Unicode equivalent.
fn symbol_char(font: &str, code: u32) -> Option<char> {
    let c = if (0xF000..=0xF0FF).contains(&code) {
        code - 0xF000
    } else {
        code
    };
    if code > 0xFF && !(0xF000..=0xF0FF).contains(&code) {
        return char::from_u32(code).filter(|c| !super::util::is_bad_char(*c));
    }
    if font.eq_ignore_ascii_case("symbol") {
        let m = match c {
            0x20..=0x2F | 0x30..=0x3F | 0x5B | 0x5D | 0x5F | 0x7B..=0x7D => {
                return char::from_u32(c);
            }
            0xB7 => '•',
            0xD7 => '×',
            0xB0 => '°',
            0xB1 => '±',
            0xA3 => '≤',
            0xB3 => '≥',
            0xAE => '→',
            0xAC => '←',
            0xAD => '↑',
            0xAF => '↓',
            0xB4 => '×',
            0xB8 => '÷',
            0xB9 => '≠',
            0xBB => '≈',
            0xA5 => '∞',
            0xD6 => '√',
            0xE5 => '∑',
            _ => return None,
        };
        return Some(m);
    }
    None
}

fn parse_document<B: std::io::BufRead>(
    mut r: Reader<B>,
    styles: &Styles,
    numbering: &Numbering,
    budget: &mut Budget,
) -> Result<Extracted, ReadError> {
    let mut buf: Vec<u8> = Vec::new();
    let mut doc = DocParser::new(styles, numbering);
    loop {
        budget.tick()?;
        buf.clear();
        let ev = r.read_event_into(&mut buf).map_err(xml_stream_err)?;
        match ev {
            Event::Start(e) => doc.start(&e, budget)?,
            // An empty <w:p/> is an empty paragraph: counted, nothing to emit.
            Event::Empty(e) => doc.empty(&e),
            Event::End(e) => doc.end(e.local_name().as_ref(), budget)?,
            Event::Text(t) => {
                if let Some(out) = doc.text_target() {
                    out.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(out) = doc.text_target() {
                    out.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(g) => {
                if let Some(out) = doc.text_target() {
                    push_ref(out, &g);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if let Some(p) = doc.para.as_ref()
            && p.text.len() > budget.limits.max_text_chars.saturating_mul(4)
        {
            return Err(too_complex("a paragraph longer than the text limit"));
        }
    }
    doc.finish()
}

/// The state of `parse_document` while it walks document.xml.
struct DocParser<'s> {
    styles: &'s Styles,
    numbering: &'s Numbering,
    blocks: Vec<Block>,
    lost: LostCounts,
    counters: Counters,
    depth: usize,
    /// Skipped subtree (deleted text, text boxes, drawings, property-change records …): its
    /// depth, and what it is (see `skip_for`).
    skip_depth: Option<usize>,
    skip_what: &'static str,
    para: Option<Para>,
    /// Paragraphs interrupted by a nested one (rare).
    para_stack: Vec<Para>,
    ppr_depth: Option<usize>,
    rpr_depth: Option<usize>,
    run_hidden: bool,
    in_t: bool,
    fields: Fields,
    tables: Vec<Table>,
    para_count: usize,
    seen_body: bool,
}

impl<'s> DocParser<'s> {
    /// A parser with nothing read yet.
    fn new(styles: &'s Styles, numbering: &'s Numbering) -> Self {
        DocParser {
            styles,
            numbering,
            blocks: Vec::new(),
            lost: LostCounts::default(),
            counters: Counters {
                values: HashMap::new(),
                started: HashSet::new(),
            },
            depth: 0,
            skip_depth: None,
            skip_what: "",
            para: None,
            para_stack: Vec::new(),
            ppr_depth: None,
            rpr_depth: None,
            run_hidden: false,
            in_t: false,
            fields: Fields::default(),
            tables: Vec::new(),
            para_count: 0,
            seen_body: false,
        }
    }

    /// A start tag: bounds the depth, enters or counts skipped subtrees, else handles the
    /// element.
    fn start(&mut self, e: &BytesStart<'_>, budget: &Budget) -> Result<(), ReadError> {
        self.depth += 1;
        if self.depth > budget.max_depth() {
            return Err(too_complex("document.xml nested too deep"));
        }
        let name = local(e);
        if self.skip_depth.is_some() {
            count_in_skip(&name, self.skip_what, &mut self.lost);
            return Ok(());
        }
        if let Some(what) = skip_for(&name) {
            self.skip_depth = Some(self.depth);
            self.skip_what = what;
            count_skip_start(&name, &mut self.lost);
            return Ok(());
        }
        self.start_element(&name, e, false, self.depth);
        Ok(())
    }

    /// An empty element: counted when skipped or skippable, else handled like a start tag.
    fn empty(&mut self, e: &BytesStart<'_>) {
        let name = local(e);
        if self.skip_depth.is_some() {
            count_in_skip(&name, self.skip_what, &mut self.lost);
            return;
        }
        if skip_for(&name).is_some() {
            count_skip_start(&name, &mut self.lost);
            return;
        }
        self.start_element(&name, e, true, self.depth + 1);
    }

    /// An end tag: leaves skipped subtrees and properties, and finishes runs, paragraphs,
    /// cells, rows and tables.
    fn end(&mut self, name: &str, budget: &mut Budget) -> Result<(), ReadError> {
        let cur_depth = self.depth;
        self.depth = self.depth.saturating_sub(1);
        if let Some(sd) = self.skip_depth {
            if cur_depth <= sd {
                self.skip_depth = None;
            }
            return Ok(());
        }
        if self.ppr_depth == Some(cur_depth) {
            self.ppr_depth = None;
        }
        if self.rpr_depth == Some(cur_depth) {
            self.rpr_depth = None;
        }
        match name {
            "t" => self.in_t = false,
            "r" => self.run_hidden = false,
            "p" => {
                if let Some(p) = self.para.take() {
                    self.finish_para(p, budget)?;
                }
                self.para = self.para_stack.pop();
            }
            "tc" => self.end_cell(),
            "tr" => self.end_row(budget)?,
            "tbl" => {
                self.tables.pop();
            }
            _ => {}
        }
        Ok(())
    }

    /// Where character data goes: the open paragraph's text, when inside a visible w:t outside
    /// skipped subtrees and field instructions.
    fn text_target(&mut self) -> Option<&mut String> {
        if self.skip_depth.is_none() && self.in_t && !self.run_hidden && self.fields.showing() {
            self.para.as_mut().map(|p| &mut p.text)
        } else {
            None
        }
    }

    /// Checks that document.xml had a body and returns what was read.
    fn finish(self) -> Result<Extracted, ReadError> {
        if !self.seen_body {
            return Err(damaged(FORMAT, "document.xml has no w:body"));
        }
        Ok(Extracted {
            props: Props::default(),
            blocks: self.blocks,
            lost: self.lost.entries(),
        })
    }

    /// Handles a start or empty element (outside skipped subtrees) at `depth`.
    fn start_element(&mut self, name: &str, e: &BytesStart<'_>, empty: bool, depth: usize) {
        match name {
            "body" => self.seen_body = true,
            "p" => self.start_para(empty),
            "pPr" if !empty => self.ppr_depth = Some(depth),
            "rPr" if !empty && self.ppr_depth.is_none() => {
                self.rpr_depth = Some(depth);
            }
            "r" => self.run_hidden = false,
            "vanish" | "webHidden" | "specVanish" if self.rpr_depth.is_some() && on_off(e) => {
                self.run_hidden = true;
            }
            "pStyle" | "numId" | "ilvl" | "outlineLvl" if self.ppr_depth.is_some() => {
                self.para_property(name, e);
            }
            "t" if !empty => self.in_t = self.rpr_depth.is_none() && self.ppr_depth.is_none(),
            "tab" | "ptab" | "br" | "cr" | "noBreakHyphen" | "sym" => self.run_content(name, e),
            "fldChar" => match attr(e, "fldCharType").as_deref() {
                Some("begin") => self.fields.begin(),
                Some("separate") => self.fields.separate(),
                Some("end") => self.fields.end(),
                _ => {}
            },
            "footnoteReference" => self.lost.footnotes += 1,
            "endnoteReference" => self.lost.endnotes += 1,
            "tbl" | "tr" | "tc" => self.start_table_part(name, empty),
            _ => {}
        }
    }

    /// A w:p: counted (also when empty, which then has nothing to read); an open paragraph is
    /// set aside until the nested one ends.
    fn start_para(&mut self, empty: bool) {
        self.para_count += 1;
        if empty {
            return;
        }
        if let Some(p) = self.para.take() {
            self.para_stack.push(p);
        }
        self.para = Some(Para {
            loc: self.para_count,
            ..Para::default()
        });
    }

    /// A paragraph property inside w:pPr: style (which may mark a table-of-contents line),
    /// numbering id and level, outline level.
    fn para_property(&mut self, name: &str, e: &BytesStart<'_>) {
        let Some(p) = self.para.as_mut() else { return };
        match name {
            "pStyle" => {
                p.style = attr(e, "val");
                if let Some(st) = p.style.as_ref().and_then(|id| self.styles.map.get(id))
                    && (st.name.starts_with("toc ")
                        || st.name == "toc heading"
                        || st.name.starts_with("目录"))
                {
                    p.toc = true;
                }
            }
            "numId" => p.num_id = attr_int(e, "val"),
            "ilvl" => p.ilvl = attr_int(e, "val"),
            "outlineLvl" => p.outline = attr_int(e, "val"),
            _ => {}
        }
    }

    /// Run content other than w:t, in a visible run: tabs and breaks (not inside paragraph or
    /// run properties), non-breaking hyphens and symbol characters (not inside run properties).
    fn run_content(&mut self, name: &str, e: &BytesStart<'_>) {
        if self.run_hidden || !self.fields.showing() || self.rpr_depth.is_some() {
            return;
        }
        let in_ppr = self.ppr_depth.is_some();
        let c = match name {
            "tab" | "ptab" if !in_ppr => Some('\t'),
            "br" | "cr" if !in_ppr => {
                let ty = attr(e, "type").unwrap_or_default();
                (ty != "page" && ty != "column").then_some('\n')
            }
            "noBreakHyphen" => Some('-'),
            "sym" => {
                let font = attr(e, "font").unwrap_or_default();
                let code = attr(e, "char").and_then(|c| u32::from_str_radix(c.trim(), 16).ok());
                let c = code.and_then(|c| symbol_char(&font, c));
                if c.is_none() {
                    self.lost.symbols += 1;
                }
                c
            }
            _ => None,
        };
        if let Some(c) = c
            && let Some(p) = self.para.as_mut()
        {
            p.text.push(c);
        }
    }

    /// The start of a w:tbl, w:tr or w:tc (an empty w:tc is an empty cell).
    fn start_table_part(&mut self, name: &str, empty: bool) {
        match name {
            "tbl" if !empty => self.tables.push(Table::default()),
            "tr" if !empty => {
                if let Some(t) = self.tables.last_mut() {
                    t.row = Some(Vec::new());
                }
            }
            "tc" => {
                if let Some(t) = self.tables.last_mut() {
                    if empty {
                        t.row.get_or_insert_with(Vec::new).push(String::new());
                    } else {
                        t.cell = Some(String::new());
                    }
                }
            }
            _ => {}
        }
    }

    /// The end of a w:tc: its text becomes the next cell of the row.
    fn end_cell(&mut self) {
        if let Some(t) = self.tables.last_mut()
            && let Some(c) = t.cell.take()
        {
            t.row
                .get_or_insert_with(Vec::new)
                .push(super::util::clean_text(&c));
        }
    }

    /// The end of a w:tr: a row with any text becomes a TableRow block, or, in a nested
    /// table, text of the enclosing table's cell.
    fn end_row(&mut self, budget: &mut Budget) -> Result<(), ReadError> {
        if let Some(t) = self.tables.last_mut()
            && let Some(cells) = t.row.take()
            && cells.iter().any(|c| !c.is_empty())
        {
            let row = cells.join(" | ");
            if self.tables.len() >= 2 {
                let outer = self.tables.len() - 2;
                append_spaced(
                    self.tables[outer].cell.get_or_insert_with(String::new),
                    &row,
                );
            } else {
                push_block(
                    &mut self.blocks,
                    budget,
                    Kind::TableRow,
                    &row,
                    None,
                    self.para_count,
                )?;
            }
        }
        Ok(())
    }

    /// Emits a finished paragraph: heading level and numbering label resolved, soft breaks
    /// joined; table-of-contents lines are only counted, and text inside a table goes to the
    /// current cell.
    fn finish_para(&mut self, p: Para, budget: &mut Budget) -> Result<(), ReadError> {
        let (style_level, style_num, style_ilvl) = self.styles.resolve(p.style.as_deref());
        let level = match p.outline {
            Some(o) if (0..=8).contains(&o) => Some((o + 1).min(6) as u8),
            Some(_) => None, // 9 = body text, overriding the style
            None => style_level,
        };
        let (num_id, ilvl) = self.para_numbering(&p, style_num, style_ilvl);
        // Soft line breaks: no space between CJK pieces.
        let mut text = String::new();
        for piece in p.text.split('\n') {
            join_soft(&mut text, piece);
        }
        let label = match num_id {
            Some(n) => self
                .numbering
                .label(n, ilvl, self.styles, &mut self.counters),
            None => None,
        };
        if p.toc {
            if !text.trim().is_empty() {
                self.lost.toc += 1;
            }
            return Ok(());
        }
        if text.trim().is_empty() {
            return Ok(()); // an empty paragraph (its number, if any, still counted above)
        }
        let full = labelled(label, &text);
        if let Some(t) = self.tables.last_mut() {
            append_spaced(t.cell.get_or_insert_with(String::new), &full);
            return Ok(());
        }
        let kind = match level {
            Some(l) => Kind::Heading(l.clamp(1, 6)),
            None => Kind::Paragraph,
        };
        push_block(&mut self.blocks, budget, kind, &full, None, p.loc)
    }

    /// The paragraph's numbering (numId, ilvl): direct numPr wins (numId 0 removes style
    /// numbering); else the style's, at the style's level or the level whose pStyle is this
    /// paragraph's style.
    fn para_numbering(
        &self,
        p: &Para,
        style_num: Option<i64>,
        style_ilvl: Option<i64>,
    ) -> (Option<i64>, i64) {
        match p.num_id {
            Some(n) => (Some(n), p.ilvl.unwrap_or(0)),
            None if p.ilvl.is_some() && style_num.is_some() => (style_num, p.ilvl.unwrap_or(0)),
            None => {
                let mut il = style_ilvl;
                if il.is_none()
                    && let (Some(n), Some(sid)) = (style_num, p.style.as_ref())
                {
                    // The level whose pStyle is this paragraph's style.
                    if let Some((_, a)) = self.numbering.abstract_for(n, self.styles) {
                        il = a
                            .levels
                            .iter()
                            .find(|(_, l)| l.p_style.as_deref() == Some(sid))
                            .map(|(k, _)| *k);
                    }
                }
                (style_num, il.unwrap_or(0))
            }
        }
    }
}

/// A paragraph's text prefixed with its numbering label, with a space after a label ending
/// in a visible ASCII character unless the level's suffix is "nothing".
fn labelled(label: Option<(String, String)>, text: &str) -> String {
    let mut full = String::new();
    if let Some((lbl, suff)) = label
        && !lbl.is_empty()
    {
        full.push_str(&lbl);
        let last = lbl.chars().last().unwrap_or(' ');
        if suff != "nothing" && last.is_ascii() && !last.is_whitespace() {
            full.push(' ');
        }
    }
    full.push_str(text.trim_start());
    full
}

/// Appends `s` to a table cell's text, space-separated from what is already there.
fn append_spaced(cell: &mut String, s: &str) {
    if !cell.is_empty() {
        cell.push(' ');
    }
    cell.push_str(s);
}

impl LostCounts {
    /// The `lost` entries for what was counted (3 images, 1 footnote).
    fn entries(&self) -> Vec<super::model::Lost> {
        let mut l = Vec::new();
        for (n, what) in [
            (self.images, Loss::Image),
            (self.text_boxes, Loss::TextBox),
            (self.footnotes, Loss::Footnote),
            (self.endnotes, Loss::Endnote),
            (self.charts, Loss::Chart),
            (self.objects, Loss::EmbeddedObject),
            (self.symbols, Loss::Symbol),
            (self.toc, Loss::TocLine),
        ] {
            if let Some(s) = lost_entry(n, what) {
                l.push(s);
            }
        }
        l
    }
}

/// Elements whose whole subtree is not body text.
fn skip_for(name: &str) -> Option<&'static str> {
    Some(match name {
        "del" | "moveFrom" | "delText" | "delInstrText" => "deleted",
        "pPrChange" | "rPrChange" | "sectPrChange" | "tblPrChange" | "trPrChange"
        | "tcPrChange" | "tblGridChange" | "numberingChange" => "change",
        "txbxContent" => "textbox",
        "drawing" | "pict" => "drawing",
        "object" => "object",
        "Fallback" => "fallback",
        "instrText" => "instr",
        "sectPr" | "tblPr" | "tblGrid" | "trPr" | "tcPr" | "sdtPr" | "sdtEndPr" => "props",
        "footnotePr" | "endnotePr" => "props",
        _ => return None,
    })
}

fn count_skip_start(name: &str, lost: &mut LostCounts) {
    match name {
        "txbxContent" => lost.text_boxes += 1,
        "object" => lost.objects += 1,
        _ => {}
    }
}

/// Counts what a skipped drawing holds: a text box, a chart, or an image.
fn count_in_skip(name: &str, what: &str, lost: &mut LostCounts) {
    if what == "fallback" || what == "deleted" || what == "change" {
        return;
    }
    match name {
        "txbx" | "textbox" if what != "textbox" => lost.text_boxes += 1,
        "chart" => lost.charts += 1,
        "blip" | "imagedata" => lost.images += 1,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers() {
        assert_eq!(format_number(1, "chineseCounting"), "一");
        assert_eq!(format_number(10, "chineseCounting"), "十");
        assert_eq!(format_number(11, "chineseCounting"), "十一");
        assert_eq!(format_number(20, "chineseCountingThousand"), "二十");
        assert_eq!(format_number(35, "chineseCountingThousand"), "三十五");
        assert_eq!(format_number(101, "chineseCountingThousand"), "一百零一");
        assert_eq!(format_number(110, "chineseCountingThousand"), "一百一十");
        assert_eq!(format_number(3, "ideographTraditional"), "丙");
        assert_eq!(format_number(3, "decimalEnclosedCircle"), "③");
        assert_eq!(format_number(4, "upperRoman"), "IV");
        assert_eq!(format_number(28, "lowerLetter"), "bb");
        assert_eq!(format_number(3, "chineseLegalSimplified"), "叁");
        assert_eq!(format_number(12, "decimalFullWidth"), "１２");
        assert_eq!(format_number(10, "ideographDigital"), "一〇");
    }

    #[test]
    fn level_names() {
        assert_eq!(level_from_name("heading 2"), Some(2));
        assert_eq!(level_from_name("标题 3"), Some(3));
        assert_eq!(level_from_name("标题1"), Some(1));
        assert_eq!(level_from_name("title"), Some(1));
        assert_eq!(level_from_name("normal"), None);
    }

    #[test]
    fn paths() {
        assert_eq!(join_path("word", "styles.xml"), "word/styles.xml");
        assert_eq!(join_path("word", "../customXml/x.xml"), "customXml/x.xml");
        assert_eq!(join_path("", "/word/document.xml"), "word/document.xml");
    }
}
