//! Reads text PDFs as Word, WPS and LibreOffice export them, with our own small PDF parser.
//!
//! What it does: parses the cross-reference table or streams (following /Prev, hybrid
//! /XRefStm, object streams), and rebuilds the object table by scanning for "N G obj" when the
//! xref is missing or points nowhere; walks the page tree (inherited resources); decodes content
//! streams (Flate, LZW, ASCIIHex, ASCII85, RunLength, PNG/TIFF predictors); interprets the text
//! operators (BT/ET, Tf, Td/TD/Tm/T*, Tj/TJ/'/", Tc/Tw/Tz/TL/Ts, q/Q/cm, form XObjects) to get
//! every glyph's position; maps codes to Unicode through ToUnicode CMaps (bfchar/bfrange),
//! predefined CJK CMaps whose codes ARE an encoding (GBK-EUC-H, GB-EUC-H, GBpc-EUC-H, GBK2K-H,
//! UniGB-UCS2-H, UniGB-UTF16-H, their Big5/Japanese/Korean counterparts and -V forms), or simple
//! font encodings (WinAnsi, MacRoman, Standard, PDFDoc, /Differences with glyph names).
//! Glyphs are grouped into visual lines per page in reading order (top to bottom, left to right)
//! and returned as `Kind::Line { starts }`, where `starts` comes from a first-line indent, a
//! vertical gap larger than the usual line spacing, a change of font size, or a short previous
//! line. Running headers/footers (the same text, digits ignored, at the top or bottom of many
//! pages) and page numbers ("- 3 -", "3", "第3页", "第 3 页 共 12 页", "3/12", "Page 3") are
//! removed. /Info Title, Author, Subject and CreationDate go into `Props`.
//!
//! What it refuses: an /Encrypt dictionary → `Encrypted` (also owner-password-only files);
//! no glyph at all (a scan: images only) → `NoText`; glyphs whose codes have no usable Unicode
//! mapping (a CID font with Identity-H and no ToUnicode, a symbolic font without encoding, or a
//! ToUnicode that yields private-use/replacement characters) beyond 5% of all glyphs →
//! `Unmappable`. Private-use, replacement and control characters never pass as text.
//!
//! What it deliberately does not do: OCR, reading embedded font programs (their cmap tables),
//! annotations, form fields, outlines/bookmarks, tagged-PDF structure, multi-column layout
//! analysis, or vertical writing (treated like horizontal). Images are counted in `lost`.
//!
//! Safety: no recursion on input structure except form XObjects (depth ≤ 8, loop-checked);
//! object parsing uses an explicit stack bounded by `Limits::max_depth`; references are
//! followed with a hop limit and an in-progress set (loops resolve to null); the xref /Prev
//! chain and the page tree are walked with visited sets; declared stream lengths are checked
//! against the file and never used to allocate; every decoded byte counts against
//! `Limits::max_inflated_bytes`; object and page counts are capped; the clock is checked in
//! every loop.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::model::{Block, Extracted, Kind, Limits, Props, ReadError};
use super::util::{
    Budget, check_input, damaged, find_bytes, is_bad_char, is_cjk, non_empty, rfind_bytes,
    too_complex,
};

const FORMAT: &str = "pdf";
const MAX_OBJECTS: usize = 2_000_000;
const MAX_PAGES: usize = 10_000;
const MAX_FORM_DEPTH: usize = 8;

// ================================================================ objects

#[derive(Clone, Debug, PartialEq)]
enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Str(Vec<u8>),
    Name(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Dict),
    Stream(Rc<Stream>),
    Ref(u32, u16),
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Dict(Vec<(Vec<u8>, Obj)>);

#[derive(Debug, PartialEq)]
struct Stream {
    dict: Dict,
    start: usize,
    end: usize,
}

impl Dict {
    fn get(&self, key: &[u8]) -> Option<&Obj> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl Obj {
    fn as_dict(&self) -> Option<&Dict> {
        match self {
            Obj::Dict(d) => Some(d),
            Obj::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }
    fn as_i64(&self) -> Option<i64> {
        match self {
            Obj::Int(i) => Some(*i),
            Obj::Real(r) if r.is_finite() => Some(*r as i64),
            _ => None,
        }
    }
    fn as_f64(&self) -> Option<f64> {
        match self {
            Obj::Int(i) => Some(*i as f64),
            Obj::Real(r) if r.is_finite() => Some(*r),
            _ => None,
        }
    }
    fn as_name(&self) -> Option<&[u8]> {
        match self {
            Obj::Name(n) => Some(n),
            _ => None,
        }
    }
}

// ================================================================ lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Int(i64),
    Real(f64),
    Str(Vec<u8>),
    Name(Vec<u8>),
    ArrOpen,
    ArrClose,
    DictOpen,
    DictClose,
    Kw(Vec<u8>),
    Eof,
}

fn is_ws(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}
fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}
fn hexval(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    peeked: Vec<Tok>,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a [u8], pos: usize) -> Self {
        Lexer {
            s,
            pos: pos.min(s.len()),
            peeked: Vec::new(),
        }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.s.len() {
            let b = self.s[self.pos];
            if is_ws(b) {
                self.pos += 1;
            } else if b == b'%' {
                while self.pos < self.s.len()
                    && self.s[self.pos] != b'\n'
                    && self.s[self.pos] != b'\r'
                {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Skips an inline image's data (after BI): to the "EI" that stands between whitespace.
    fn skip_inline_image(&mut self) {
        let d = self.s;
        let mut p = self.pos;
        if let Some(i) = find_bytes(&d[p..], b"ID") {
            p += i + 2;
        }
        loop {
            match find_bytes(&d[p.min(d.len())..], b"EI") {
                Some(i) => {
                    let at = p + i;
                    let before = at == 0 || is_ws(d[at - 1]);
                    let after = at + 2 >= d.len() || is_ws(d[at + 2]);
                    p = at + 2;
                    if before && after {
                        break;
                    }
                }
                None => {
                    p = d.len();
                    break;
                }
            }
        }
        self.pos = p;
        self.peeked.clear();
    }

    fn push_back(&mut self, t: Tok) {
        self.peeked.push(t);
    }

    fn next(&mut self) -> Tok {
        if let Some(t) = self.peeked.pop() {
            return t;
        }
        self.skip_ws();
        let s = self.s;
        if self.pos >= s.len() {
            return Tok::Eof;
        }
        let b = s[self.pos];
        match b {
            b'[' => {
                self.pos += 1;
                Tok::ArrOpen
            }
            b']' => {
                self.pos += 1;
                Tok::ArrClose
            }
            b'<' if s.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                Tok::DictOpen
            }
            b'>' if s.get(self.pos + 1) == Some(&b'>') => {
                self.pos += 2;
                Tok::DictClose
            }
            b'<' => self.hex_string(),
            b'>' => {
                self.pos += 1;
                Tok::Kw(b">".to_vec())
            }
            b'(' => self.literal_string(),
            b'/' => self.name(),
            b')' | b'{' | b'}' => {
                self.pos += 1;
                Tok::Kw(vec![b])
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.number(),
            _ => self.keyword(),
        }
    }

    /// A hex string `<…>` (`pos` at its '<'): non-hex bytes are ignored, an odd final digit
    /// is padded with 0.
    fn hex_string(&mut self) -> Tok {
        let s = self.s;
        self.pos += 1;
        let mut out = Vec::new();
        let mut hi: Option<u8> = None;
        while self.pos < s.len() && s[self.pos] != b'>' {
            if let Some(v) = hexval(s[self.pos]) {
                match hi.take() {
                    Some(h) => out.push(h << 4 | v),
                    None => hi = Some(v),
                }
            }
            self.pos += 1;
        }
        self.pos = (self.pos + 1).min(s.len());
        if let Some(h) = hi {
            out.push(h << 4);
        }
        Tok::Str(out)
    }

    /// A literal string `(…)` (`pos` at its '('), with balanced parentheses and escapes.
    fn literal_string(&mut self) -> Tok {
        let s = self.s;
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 1usize;
        while self.pos < s.len() {
            let c = s[self.pos];
            self.pos += 1;
            match c {
                b'\\' => {
                    if !self.string_escape(&mut out) {
                        break;
                    }
                }
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        Tok::Str(out)
    }

    /// The escape after a '\' in a literal string (`pos` just after the '\'): appends the
    /// byte it stands for. `false` when the input ends first.
    fn string_escape(&mut self, out: &mut Vec<u8>) -> bool {
        let s = self.s;
        let Some(&e) = s.get(self.pos) else {
            return false;
        };
        self.pos += 1;
        match e {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'\r' => {
                if s.get(self.pos) == Some(&b'\n') {
                    self.pos += 1;
                }
            }
            b'\n' => {}
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match s.get(self.pos) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xFF) as u8);
            }
            other => out.push(other),
        }
        true
    }

    /// A name `/…` (`pos` at its '/'), with #xx escapes decoded.
    fn name(&mut self) -> Tok {
        let s = self.s;
        self.pos += 1;
        let mut out = Vec::new();
        while self.pos < s.len() && !is_ws(s[self.pos]) && !is_delim(s[self.pos]) {
            let c = s[self.pos];
            if c == b'#'
                && let (Some(h), Some(l)) = (
                    s.get(self.pos + 1).and_then(|&x| hexval(x)),
                    s.get(self.pos + 2).and_then(|&x| hexval(x)),
                )
            {
                out.push(h << 4 | l);
                self.pos += 3;
                continue;
            }
            out.push(c);
            self.pos += 1;
        }
        Tok::Name(out)
    }

    /// A number: the run of digits, signs and dots at `pos`, parsed leniently.
    fn number(&mut self) -> Tok {
        let s = self.s;
        let start = self.pos;
        while self.pos < s.len()
            && (s[self.pos].is_ascii_digit() || matches!(s[self.pos], b'+' | b'-' | b'.'))
        {
            self.pos += 1;
        }
        parse_number(&s[start..self.pos])
    }

    /// A keyword (operator, true/false/null, R, obj …): the bytes up to whitespace or a
    /// delimiter, at least one.
    fn keyword(&mut self) -> Tok {
        let s = self.s;
        let start = self.pos;
        while self.pos < s.len() && !is_ws(s[self.pos]) && !is_delim(s[self.pos]) {
            self.pos += 1;
        }
        if self.pos == start {
            self.pos += 1;
        }
        Tok::Kw(s[start..self.pos].to_vec())
    }
}

fn parse_number(txt: &[u8]) -> Tok {
    // Lenient: "--5", "5-", "1.2.3" all give something rather than an error.
    let mut neg = false;
    let mut i = 0;
    while i < txt.len() && matches!(txt[i], b'+' | b'-') {
        neg ^= txt[i] == b'-';
        i += 1;
    }
    let body: Vec<u8> = txt[i..]
        .iter()
        .copied()
        .take_while(|c| c.is_ascii_digit() || *c == b'.')
        .collect();
    let first_dot = body.iter().position(|&c| c == b'.');
    let body = match first_dot {
        Some(d) => {
            let rest: Vec<u8> = body[d + 1..]
                .iter()
                .copied()
                .filter(|c| c.is_ascii_digit())
                .collect();
            let mut b = body[..d].to_vec();
            b.push(b'.');
            b.extend(rest);
            b
        }
        None => body,
    };
    let s = String::from_utf8_lossy(&body);
    if first_dot.is_none()
        && let Ok(v) = s.parse::<i64>()
    {
        return Tok::Int(if neg { -v } else { v });
    }
    let v: f64 = if s == "." || s.is_empty() {
        0.0
    } else {
        s.parse().unwrap_or(0.0)
    };
    let v = if neg { -v } else { v };
    if v.is_finite() {
        Tok::Real(v)
    } else {
        Tok::Real(0.0)
    }
}

enum Frame {
    Arr(Vec<Obj>),
    Dict(Vec<(Vec<u8>, Obj)>, Option<Vec<u8>>),
}

/// Parses one object (arrays/dicts with an explicit stack). `Int Int R` becomes a reference.
/// Unknown keywords inside containers become Null; structural keywords end the object.
fn parse_obj(lx: &mut Lexer<'_>, max_depth: usize, budget: &mut Budget) -> Result<Obj, ReadError> {
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        budget.tick()?;
        let t = lx.next();
        let val: Obj = match t {
            Tok::Eof => {
                return Ok(close_all(stack));
            }
            Tok::Int(a) => int_or_ref(lx, a),
            Tok::Real(r) => Obj::Real(r),
            Tok::Str(s) => Obj::Str(s),
            Tok::Name(n) => Obj::Name(n),
            Tok::ArrOpen => {
                if stack.len() >= max_depth {
                    return Err(too_complex("PDF objects nested too deep"));
                }
                stack.push(Frame::Arr(Vec::new()));
                continue;
            }
            Tok::DictOpen => {
                if stack.len() >= max_depth {
                    return Err(too_complex("PDF objects nested too deep"));
                }
                stack.push(Frame::Dict(Vec::new(), None));
                continue;
            }
            Tok::ArrClose | Tok::DictClose => match stack.pop() {
                None => return Ok(Obj::Null),
                Some(f) => finish_frame(f),
            },
            Tok::Kw(k) => match k.as_slice() {
                b"true" => Obj::Bool(true),
                b"false" => Obj::Bool(false),
                b"null" => Obj::Null,
                b"endobj" | b"stream" | b"endstream" | b"obj" | b"xref" | b"trailer"
                | b"startxref" => {
                    lx.push_back(Tok::Kw(k));
                    return Ok(close_all(stack));
                }
                _ => {
                    if stack.is_empty() {
                        lx.push_back(Tok::Kw(k));
                        return Ok(Obj::Null);
                    }
                    continue; // stray keyword inside a container: ignore
                }
            },
        };
        if !stack.is_empty() {
            budget.add_element()?;
        }
        match stack.last_mut() {
            None => return Ok(val),
            Some(f) => add_to_frame(f, val),
        }
    }
}

/// The integer `a` just read, or the reference `a b R` when the next tokens make one (they
/// are pushed back otherwise).
fn int_or_ref(lx: &mut Lexer<'_>, a: i64) -> Obj {
    let t2 = lx.next();
    let Tok::Int(b) = t2 else {
        lx.push_back(t2);
        return Obj::Int(a);
    };
    let t3 = lx.next();
    if t3 == Tok::Kw(b"R".to_vec()) && a >= 0 && a <= u32::MAX as i64 && (0..=65535).contains(&b) {
        Obj::Ref(a as u32, b as u16)
    } else {
        lx.push_back(t3);
        lx.push_back(Tok::Int(b));
        Obj::Int(a)
    }
}

/// Adds a parsed value to an open array, or to an open dictionary as its pending key (a
/// name) or as the value of the pending key.
fn add_to_frame(f: &mut Frame, val: Obj) {
    match f {
        Frame::Arr(v) => v.push(val),
        Frame::Dict(entries, key) => match key.take() {
            None => {
                if let Obj::Name(n) = val {
                    *key = Some(n);
                }
            }
            Some(k) => entries.push((k, val)),
        },
    }
}

fn finish_frame(f: Frame) -> Obj {
    match f {
        Frame::Arr(v) => Obj::Array(v),
        Frame::Dict(e, _) => {
            // Later duplicate keys lose (first wins, as most readers do).
            let mut out: Vec<(Vec<u8>, Obj)> = Vec::with_capacity(e.len());
            for (k, v) in e {
                if !out.iter().any(|(ok, _)| *ok == k) {
                    out.push((k, v));
                }
            }
            Obj::Dict(Dict(out))
        }
    }
}

fn close_all(mut stack: Vec<Frame>) -> Obj {
    let mut val = Obj::Null;
    let mut first = true;
    while let Some(mut f) = stack.pop() {
        if !first {
            match &mut f {
                Frame::Arr(v) => v.push(val),
                Frame::Dict(e, k) => {
                    if let Some(k) = k.take() {
                        e.push((k, val));
                    }
                }
            }
        }
        first = false;
        val = finish_frame(f);
    }
    val
}

// ================================================================ document

#[derive(Clone, Copy, Debug)]
enum XEntry {
    Offset(usize),
    InStream(u32, u32),
}

struct ObjStm {
    data: Vec<u8>,
    /// (object number, offset in data)
    index: Vec<(u32, usize)>,
}

struct Doc<'a> {
    data: &'a [u8],
    xref: HashMap<u32, XEntry>,
    trailer: Dict,
    cache: HashMap<u32, Obj>,
    in_progress: HashSet<u32>,
    objstms: HashMap<u32, Rc<ObjStm>>,
    scanned: Option<HashMap<u32, usize>>,
    parsed: usize,
    max_depth: usize,
}

impl<'a> Doc<'a> {
    fn load(data: &'a [u8], budget: &mut Budget) -> Result<Doc<'a>, ReadError> {
        let mut doc = Doc {
            data,
            xref: HashMap::new(),
            trailer: Dict::default(),
            cache: HashMap::new(),
            in_progress: HashSet::new(),
            objstms: HashMap::new(),
            scanned: None,
            parsed: 0,
            max_depth: budget.max_depth().clamp(8, 1024),
        };
        let ok = doc.read_xref_chain(budget)?;
        if !ok || doc.trailer.get(b"Root").is_none() {
            doc.reconstruct(budget)?;
        }
        Ok(doc)
    }

    fn startxref(&self) -> Option<usize> {
        let tail_from = self.data.len().saturating_sub(4096);
        let tail = &self.data[tail_from..];
        let i = rfind_bytes(tail, b"startxref")?;
        let mut lx = Lexer::new(self.data, tail_from + i + 9);
        match lx.next() {
            Tok::Int(n) if n >= 0 && (n as usize) < self.data.len() => Some(n as usize),
            _ => None,
        }
    }

    /// Reads the xref sections from startxref along /Prev. Newer entries win.
    fn read_xref_chain(&mut self, budget: &mut Budget) -> Result<bool, ReadError> {
        let Some(mut off) = self.startxref() else {
            return Ok(false);
        };
        let mut seen = HashSet::new();
        let mut any = false;
        let mut pending: Vec<usize> = Vec::new();
        loop {
            budget.check_time()?;
            if !seen.insert(off) || seen.len() > 1000 {
                break;
            }
            let trailer = match self.read_xref_section(off, budget)? {
                Some(t) => t,
                None => {
                    // Often off by a few bytes: look for "xref" nearby.
                    let lo = off.saturating_sub(64);
                    let hi = (off + 64).min(self.data.len());
                    match find_bytes(&self.data[lo..hi], b"xref") {
                        Some(i) if !seen.contains(&(lo + i)) => {
                            match self.read_xref_section(lo + i, budget)? {
                                Some(t) => {
                                    seen.insert(lo + i);
                                    t
                                }
                                None => break,
                            }
                        }
                        _ => break,
                    }
                }
            };
            any = true;
            for (k, v) in &trailer.0 {
                if self.trailer.get(k).is_none() {
                    self.trailer.0.push((k.clone(), v.clone()));
                }
            }
            if let Some(x) = trailer.get(b"XRefStm").and_then(|o| o.as_i64())
                && x >= 0
            {
                pending.push(x as usize);
            }
            while let Some(x) = pending.pop() {
                if seen.insert(x) {
                    self.read_xref_section(x, budget)?;
                }
            }
            match trailer.get(b"Prev").and_then(|o| o.as_i64()) {
                Some(p) if p >= 0 && (p as usize) < self.data.len() => off = p as usize,
                _ => break,
            }
        }
        Ok(any)
    }

    fn add_entry(&mut self, num: u32, e: XEntry) -> Result<(), ReadError> {
        if self.xref.len() >= MAX_OBJECTS {
            return Err(too_complex("too many objects in the cross-reference table"));
        }
        self.xref.entry(num).or_insert(e);
        Ok(())
    }

    /// Reads the cross-reference section at `off` (a classic table or a stream) into the
    /// object table and returns its trailer; `None` if there is no usable section there.
    fn read_xref_section(
        &mut self,
        off: usize,
        budget: &mut Budget,
    ) -> Result<Option<Dict>, ReadError> {
        let mut lx = Lexer::new(self.data, off);
        match lx.next() {
            Tok::Kw(k) if k == b"xref" => self.read_xref_table(&mut lx, budget),
            Tok::Int(_) => self.read_xref_stream(off, budget),
            _ => Ok(None),
        }
    }

    /// A classic cross-reference table (the lexer just after "xref") and its trailer
    /// dictionary. `None` if it is malformed.
    fn read_xref_table(
        &mut self,
        lx: &mut Lexer<'_>,
        budget: &mut Budget,
    ) -> Result<Option<Dict>, ReadError> {
        loop {
            budget.tick()?;
            match lx.next() {
                Tok::Int(start) => {
                    let Tok::Int(count) = lx.next() else {
                        return Ok(None);
                    };
                    if start < 0 || count < 0 {
                        return Ok(None);
                    }
                    for i in 0..count {
                        budget.tick()?;
                        let (Tok::Int(o), Tok::Int(_g), Tok::Kw(t)) =
                            (lx.next(), lx.next(), lx.next())
                        else {
                            return Ok(None);
                        };
                        let num = start.saturating_add(i);
                        if num > u32::MAX as i64 {
                            break;
                        }
                        if t == b"n" && o > 0 && (o as usize) < self.data.len() {
                            self.add_entry(num as u32, XEntry::Offset(o as usize))?;
                        }
                    }
                }
                Tok::Kw(k) if k == b"trailer" => {
                    let t = parse_obj(lx, self.max_depth, budget)?;
                    return Ok(Some(t.as_dict().cloned().unwrap_or_default()));
                }
                _ => return Ok(None),
            }
        }
    }

    /// A cross-reference stream "N G obj << /Type /XRef … >> stream" at `off`; its
    /// dictionary serves as the trailer. `None` if it is not one.
    fn read_xref_stream(
        &mut self,
        off: usize,
        budget: &mut Budget,
    ) -> Result<Option<Dict>, ReadError> {
        let Some((_, obj)) = self.parse_indirect_at(off, budget)? else {
            return Ok(None);
        };
        let Obj::Stream(s) = obj else { return Ok(None) };
        if s.dict.get(b"Type").and_then(|t| t.as_name()) != Some(b"XRef") {
            return Ok(None);
        }
        let data = self.decode_stream(&s, budget)?;
        let w: Vec<usize> = match s.dict.get(b"W") {
            Some(Obj::Array(a)) => a
                .iter()
                .map(|x| x.as_i64().unwrap_or(0).clamp(0, 8) as usize)
                .collect(),
            _ => return Ok(None),
        };
        if w.len() < 3 {
            return Ok(None);
        }
        if w[0] + w[1] + w[2] == 0 {
            return Ok(None);
        }
        let size = s
            .dict
            .get(b"Size")
            .and_then(|x| x.as_i64())
            .unwrap_or(0)
            .max(0);
        let index: Vec<i64> = match s.dict.get(b"Index") {
            Some(Obj::Array(a)) => a.iter().map(|x| x.as_i64().unwrap_or(0)).collect(),
            _ => vec![0, size],
        };
        self.add_xref_stream_entries(&data, [w[0], w[1], w[2]], &index, budget)?;
        Ok(Some(s.dict.clone()))
    }

    /// Adds the entries of a decoded cross-reference stream: rows of fields `w` bytes wide,
    /// for the object number ranges (start, count) listed in `index`.
    fn add_xref_stream_entries(
        &mut self,
        data: &[u8],
        w: [usize; 3],
        index: &[i64],
        budget: &mut Budget,
    ) -> Result<(), ReadError> {
        let row = w[0] + w[1] + w[2];
        let field = |bytes: &[u8]| bytes.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        let mut pos = 0usize;
        for pair in index.chunks(2) {
            let (start, count) = (pair[0].max(0), pair.get(1).copied().unwrap_or(0).max(0));
            for i in 0..count {
                budget.tick()?;
                if pos + row > data.len() {
                    break;
                }
                let r = &data[pos..pos + row];
                pos += row;
                let ty = if w[0] == 0 { 1 } else { field(&r[..w[0]]) };
                let f2 = field(&r[w[0]..w[0] + w[1]]);
                let f3 = field(&r[w[0] + w[1]..]);
                let num = start.saturating_add(i);
                if num > u32::MAX as i64 {
                    break;
                }
                match ty {
                    1 if (f2 as usize) < self.data.len() && f2 > 0 => {
                        self.add_entry(num as u32, XEntry::Offset(f2 as usize))?
                    }
                    2 if f2 <= u32::MAX as u64 => self.add_entry(
                        num as u32,
                        XEntry::InStream(f2 as u32, f3.min(u32::MAX as u64) as u32),
                    )?,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Rebuilds the object table by scanning the file for "N G obj", and the trailer from
    /// "trailer" dictionaries or the catalog.
    fn reconstruct(&mut self, budget: &mut Budget) -> Result<(), ReadError> {
        let table = self.scan_objects(budget)?;
        for (&num, &off) in &table {
            self.xref.insert(num, XEntry::Offset(off));
        }
        // Objects inside object streams.
        let stm_nums: Vec<u32> = table.keys().copied().collect();
        for num in stm_nums {
            budget.tick()?;
            if let Some(Obj::Stream(s)) = self.get(num, 0, budget)?.into()
                && s.dict.get(b"Type").and_then(|t| t.as_name()) == Some(b"ObjStm")
                && let Ok(stm) = self.objstm(num, budget)
            {
                for (i, (n, _)) in stm.index.iter().enumerate() {
                    if !table.contains_key(n) {
                        self.xref
                            .entry(*n)
                            .or_insert(XEntry::InStream(num, i as u32));
                    }
                }
            }
        }
        // Trailer: the last "trailer" dict in the file with a Root, else find the catalog.
        let mut from = 0;
        while let Some(i) = find_bytes(&self.data[from..], b"trailer") {
            budget.tick()?;
            let at = from + i + 7;
            let mut lx = Lexer::new(self.data, at);
            if let Some(d) = parse_obj(&mut lx, self.max_depth, budget)?.as_dict()
                && d.get(b"Root").is_some()
            {
                self.trailer = d.clone();
            }
            from = at;
        }
        if self.trailer.get(b"Root").is_none() {
            let mut nums: Vec<u32> = self.xref.keys().copied().collect();
            nums.sort_unstable();
            for n in nums {
                budget.tick()?;
                let o = self.get(n, 0, budget)?;
                if o.as_dict()
                    .and_then(|d| d.get(b"Type"))
                    .and_then(|t| t.as_name())
                    == Some(b"Catalog")
                {
                    self.trailer.0.push((b"Root".to_vec(), Obj::Ref(n, 0)));
                    break;
                }
            }
        }
        if self.trailer.get(b"Encrypt").is_none() {
            // An encryption dictionary can hide in a damaged trailer: look for one.
            if find_bytes(self.data, b"/Encrypt").is_some()
                && find_bytes(self.data, b"/Filter/Standard")
                    .or_else(|| find_bytes(self.data, b"/Filter /Standard"))
                    .is_some()
            {
                self.trailer.0.push((b"Encrypt".to_vec(), Obj::Bool(true)));
            }
        }
        Ok(())
    }

    fn scan_objects(&mut self, budget: &mut Budget) -> Result<HashMap<u32, usize>, ReadError> {
        let d = self.data;
        let mut table = HashMap::new();
        let mut i = 0usize;
        while let Some(j) = find_bytes(&d[i..], b"obj") {
            if table.len() >= MAX_OBJECTS {
                return Err(too_complex("too many objects"));
            }
            budget.tick()?;
            let at = i + j;
            i = at + 3;
            // "N G obj": walk back over whitespace, digits, whitespace, digits.
            let mut k = at;
            let back_ws = |k: &mut usize| {
                let s = *k;
                while *k > 0 && is_ws(d[*k - 1]) {
                    *k -= 1;
                }
                *k < s
            };
            let back_digits = |k: &mut usize| {
                let s = *k;
                while *k > 0 && d[*k - 1].is_ascii_digit() && s - *k < 10 {
                    *k -= 1;
                }
                *k < s
            };
            if !back_ws(&mut k) || !back_digits(&mut k) {
                continue;
            }
            let gen_start = k;
            if !back_ws(&mut k) || !back_digits(&mut k) {
                continue;
            }
            if k > 0 && !is_ws(d[k - 1]) && !is_delim(d[k - 1]) {
                continue;
            }
            let num_txt = &d[k..];
            let n: String = num_txt
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .map(|&c| c as char)
                .collect();
            let _ = gen_start;
            if let Ok(n) = n.parse::<u32>() {
                table.insert(n, k); // later definitions (incremental updates) win
            }
        }
        Ok(table)
    }

    fn scanned_offset(
        &mut self,
        num: u32,
        budget: &mut Budget,
    ) -> Result<Option<usize>, ReadError> {
        if self.scanned.is_none() {
            let t = self.scan_objects(budget)?;
            self.scanned = Some(t);
        }
        Ok(self.scanned.as_ref().and_then(|t| t.get(&num).copied()))
    }

    /// Parses "N G obj … endobj" at `off`. Returns the object number and the object.
    fn parse_indirect_at(
        &mut self,
        off: usize,
        budget: &mut Budget,
    ) -> Result<Option<(u32, Obj)>, ReadError> {
        let mut lx = Lexer::new(self.data, off);
        let (Tok::Int(n), Tok::Int(_g), Tok::Kw(k)) = (lx.next(), lx.next(), lx.next()) else {
            return Ok(None);
        };
        if k != b"obj" || n < 0 || n > u32::MAX as i64 {
            return Ok(None);
        }
        self.parsed += 1;
        if self.parsed > MAX_OBJECTS {
            return Err(too_complex("too many objects"));
        }
        let obj = parse_obj(&mut lx, self.max_depth, budget)?;
        let t = lx.next();
        if t == Tok::Kw(b"stream".to_vec()) {
            let Obj::Dict(dict) = obj else {
                return Ok(Some((n as u32, Obj::Null)));
            };
            let mut start = lx.pos;
            if self.data.get(start) == Some(&b'\r') {
                start += 1;
            }
            if self.data.get(start) == Some(&b'\n') {
                start += 1;
            }
            let declared = match dict.get(b"Length") {
                Some(Obj::Ref(rn, _)) => {
                    let rn = *rn;
                    if rn == n as u32 {
                        None
                    } else {
                        self.get(rn, 1, budget)?.as_i64()
                    }
                }
                Some(o) => o.as_i64(),
                None => None,
            };
            let end = self.stream_end(start, declared);
            return Ok(Some((
                n as u32,
                Obj::Stream(Rc::new(Stream { dict, start, end })),
            )));
        }
        Ok(Some((n as u32, obj)))
    }

    /// The end of a stream's data: the declared length if "endstream" follows it, else the
    /// position of the next "endstream" (never past the end of the file).
    fn stream_end(&self, start: usize, declared: Option<i64>) -> usize {
        let len = self.data.len();
        if let Some(l) = declared
            && l >= 0
            && let Some(end) = start.checked_add(l as usize)
            && end <= len
        {
            let mut k = end;
            while k < len && is_ws(self.data[k]) && k < end + 4 {
                k += 1;
            }
            if self.data[k..].starts_with(b"endstream") {
                return end;
            }
        }
        match find_bytes(&self.data[start.min(len)..], b"endstream") {
            Some(i) => {
                let mut end = start + i;
                if end > start && self.data[end - 1] == b'\n' {
                    end -= 1;
                }
                if end > start && self.data[end - 1] == b'\r' {
                    end -= 1;
                }
                end
            }
            None => len,
        }
    }

    /// The object `num` (Null when absent, broken or part of a reference loop).
    fn get(&mut self, num: u32, depth: usize, budget: &mut Budget) -> Result<Obj, ReadError> {
        if let Some(o) = self.cache.get(&num) {
            return Ok(o.clone());
        }
        if depth > self.max_depth || !self.in_progress.insert(num) {
            return Ok(Obj::Null);
        }
        let r = self.load_obj(num, depth, budget);
        self.in_progress.remove(&num);
        let o = r?;
        if self.cache.len() < MAX_OBJECTS {
            self.cache.insert(num, o.clone());
        }
        Ok(o)
    }

    fn load_obj(&mut self, num: u32, depth: usize, budget: &mut Budget) -> Result<Obj, ReadError> {
        budget.tick()?;
        match self.xref.get(&num).copied() {
            Some(XEntry::Offset(off)) => {
                if let Some((n, o)) = self.parse_indirect_at(off, budget)?
                    && n == num
                {
                    return Ok(o);
                }
                // The xref points nowhere useful: try the scanned table.
                if let Some(off2) = self.scanned_offset(num, budget)?
                    && off2 != off
                    && let Some((n, o)) = self.parse_indirect_at(off2, budget)?
                    && n == num
                {
                    return Ok(o);
                }
                Ok(Obj::Null)
            }
            Some(XEntry::InStream(stm, idx)) => {
                if stm == num || depth > 4 {
                    return Ok(Obj::Null);
                }
                let stm = match self.objstm_with_depth(stm, depth + 1, budget) {
                    Ok(s) => s,
                    Err(e @ ReadError::TooComplex { .. }) => return Err(e),
                    Err(_) => return Ok(Obj::Null),
                };
                let pos = stm
                    .index
                    .get(idx as usize)
                    .filter(|(n, _)| *n == num)
                    .or_else(|| stm.index.iter().find(|(n, _)| *n == num))
                    .map(|(_, p)| *p);
                let Some(p) = pos else { return Ok(Obj::Null) };
                let mut lx = Lexer::new(&stm.data, p);
                self.parsed += 1;
                parse_obj(&mut lx, self.max_depth, budget)
            }
            None => {
                if let Some(off) = self.scanned_offset(num, budget)?
                    && let Some((n, o)) = self.parse_indirect_at(off, budget)?
                    && n == num
                {
                    return Ok(o);
                }
                Ok(Obj::Null)
            }
        }
    }

    fn objstm(&mut self, num: u32, budget: &mut Budget) -> Result<Rc<ObjStm>, ReadError> {
        self.objstm_with_depth(num, 1, budget)
    }

    fn objstm_with_depth(
        &mut self,
        num: u32,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<Rc<ObjStm>, ReadError> {
        if let Some(s) = self.objstms.get(&num) {
            return Ok(s.clone());
        }
        let Obj::Stream(s) = self.get(num, depth, budget)? else {
            return Err(damaged(FORMAT, "object stream missing"));
        };
        let data = self.decode_stream(&s, budget)?;
        let n = s
            .dict
            .get(b"N")
            .and_then(|x| x.as_i64())
            .unwrap_or(0)
            .clamp(0, 1_000_000) as usize;
        let first = s
            .dict
            .get(b"First")
            .and_then(|x| x.as_i64())
            .unwrap_or(0)
            .max(0) as usize;
        let mut lx = Lexer::new(&data, 0);
        let mut index = Vec::new();
        for _ in 0..n {
            budget.tick()?;
            match (lx.next(), lx.next()) {
                (Tok::Int(on), Tok::Int(o)) if on >= 0 && o >= 0 && on <= u32::MAX as i64 => {
                    index.push((on as u32, first.saturating_add(o as usize)));
                }
                _ => break,
            }
        }
        let stm = Rc::new(ObjStm { data, index });
        self.objstms.insert(num, stm.clone());
        Ok(stm)
    }

    /// Follows references (bounded hops).
    fn resolve(&mut self, o: &Obj, budget: &mut Budget) -> Result<Obj, ReadError> {
        let mut cur = o.clone();
        for _ in 0..32 {
            match cur {
                Obj::Ref(n, _) => cur = self.get(n, 0, budget)?,
                other => return Ok(other),
            }
        }
        Ok(Obj::Null)
    }

    fn resolve_dict(
        &mut self,
        o: Option<&Obj>,
        budget: &mut Budget,
    ) -> Result<Option<Dict>, ReadError> {
        match o {
            None => Ok(None),
            Some(o) => Ok(self.resolve(o, budget)?.as_dict().cloned()),
        }
    }

    fn dict_get(&mut self, d: &Dict, key: &[u8], budget: &mut Budget) -> Result<Obj, ReadError> {
        match d.get(key) {
            Some(o) => self.resolve(o, budget),
            None => Ok(Obj::Null),
        }
    }

    /// Decodes a stream through its filters. Image filters and Crypt are errors.
    fn decode_stream(&mut self, s: &Stream, budget: &mut Budget) -> Result<Vec<u8>, ReadError> {
        let raw = &self.data[s.start.min(s.end)..s.end.min(self.data.len())];
        let filters: Vec<Vec<u8>> = match self.dict_get(&s.dict, b"Filter", budget)? {
            Obj::Name(n) => vec![n],
            Obj::Array(a) => {
                let mut v = Vec::new();
                for f in a.iter().take(8) {
                    if let Obj::Name(n) = self.resolve(f, budget)? {
                        v.push(n);
                    }
                }
                v
            }
            _ => Vec::new(),
        };
        let parms: Vec<Option<Dict>> = match self.dict_get(&s.dict, b"DecodeParms", budget)? {
            Obj::Dict(d) => vec![Some(d)],
            Obj::Array(a) => {
                let mut v = Vec::new();
                for p in a.iter().take(8) {
                    v.push(self.resolve(p, budget)?.as_dict().cloned());
                }
                v
            }
            _ => Vec::new(),
        };
        let mut data: Vec<u8> = raw.to_vec();
        for (i, f) in filters.iter().enumerate() {
            budget.check_time()?;
            data = match f.as_slice() {
                b"FlateDecode" | b"Fl" => super::util::inflate(&data, budget)?,
                b"LZWDecode" | b"LZW" => {
                    let early = parms
                        .get(i)
                        .and_then(|p| p.as_ref())
                        .and_then(|p| p.get(b"EarlyChange"))
                        .and_then(|x| x.as_i64())
                        .unwrap_or(1);
                    lzw_decode(&data, early != 0, budget)?
                }
                b"ASCIIHexDecode" | b"AHx" => ascii_hex(&data),
                b"ASCII85Decode" | b"A85" => ascii85(&data),
                b"RunLengthDecode" | b"RL" => run_length(&data, budget)?,
                b"Crypt" => return Err(ReadError::Encrypted),
                other => {
                    return Err(damaged(
                        FORMAT,
                        format!("unsupported filter {}", String::from_utf8_lossy(other)),
                    ));
                }
            };
            if matches!(f.as_slice(), b"FlateDecode" | b"Fl" | b"LZWDecode" | b"LZW")
                && let Some(Some(p)) = parms.get(i)
            {
                data = predictor(data, p)?;
            }
        }
        Ok(data)
    }
}

fn ascii_hex(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 2);
    let mut hi: Option<u8> = None;
    for &b in data {
        if b == b'>' {
            break;
        }
        if let Some(v) = hexval(b) {
            match hi.take() {
                Some(h) => out.push(h << 4 | v),
                None => hi = Some(v),
            }
        }
    }
    if let Some(h) = hi {
        out.push(h << 4);
    }
    out
}

fn ascii85(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 4 / 5 + 4);
    let mut group = [0u8; 5];
    let mut n = 0;
    let data = data.strip_prefix(b"<~").unwrap_or(data);
    for &b in data {
        match b {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0, 0, 0, 0]),
            b'!'..=b'u' => {
                group[n] = b - b'!';
                n += 1;
                if n == 5 {
                    let v = group.iter().fold(0u64, |a, &d| a * 85 + u64::from(d));
                    out.extend_from_slice(&(v as u32).to_be_bytes());
                    n = 0;
                }
            }
            _ => {}
        }
    }
    if n > 1 {
        for g in group.iter_mut().skip(n) {
            *g = 84;
        }
        let v = group.iter().fold(0u64, |a, &d| a * 85 + u64::from(d));
        out.extend_from_slice(&(v as u32).to_be_bytes()[..n - 1]);
    }
    out
}

fn run_length(data: &[u8], budget: &mut Budget) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    let limit = budget.inflated_left();
    let mut i = 0;
    while i < data.len() {
        budget.tick()?;
        let l = data[i];
        i += 1;
        if l == 128 {
            break;
        }
        if l < 128 {
            let n = l as usize + 1;
            let end = (i + n).min(data.len());
            out.extend_from_slice(&data[i..end]);
            i = end;
        } else if i < data.len() {
            let n = 257 - l as usize;
            out.extend(std::iter::repeat_n(data[i], n));
            i += 1;
        }
        if out.len() > limit {
            return Err(too_complex("run-length stream too large"));
        }
    }
    budget.add_inflated(out.len())?;
    Ok(out)
}

fn lzw_decode(data: &[u8], early: bool, budget: &mut Budget) -> Result<Vec<u8>, ReadError> {
    let mut out: Vec<u8> = Vec::new();
    let mut table: Vec<Vec<u8>> = (0..256u16).map(|b| vec![b as u8]).collect();
    table.push(Vec::new());
    table.push(Vec::new());
    let mut bits = 9u32;
    let mut acc = 0u32;
    let mut nacc = 0u32;
    let mut prev: Option<usize> = None;
    let limit = budget.inflated_left();
    for &b in data {
        budget.tick()?;
        acc = acc << 8 | u32::from(b);
        nacc += 8;
        while nacc >= bits {
            let code = ((acc >> (nacc - bits)) & ((1 << bits) - 1)) as usize;
            nacc -= bits;
            if code == 256 {
                table.truncate(258);
                bits = 9;
                prev = None;
                continue;
            }
            if code == 257 {
                budget.add_inflated(out.len())?;
                return Ok(out);
            }
            let entry = if code < table.len() {
                table[code].clone()
            } else if let Some(p) = prev {
                let mut e = table[p].clone();
                e.push(table[p][0]);
                e
            } else {
                budget.add_inflated(out.len())?;
                return Ok(out);
            };
            out.extend_from_slice(&entry);
            if out.len() > limit {
                return Err(too_complex("LZW stream too large"));
            }
            if let Some(p) = prev
                && table.len() < 4096
            {
                let mut e = table[p].clone();
                e.push(entry[0]);
                table.push(e);
            }
            prev = Some(code.min(table.len() - 1));
            let size = table.len() + usize::from(early);
            bits = if size >= 2048 {
                12
            } else if size >= 1024 {
                11
            } else if size >= 512 {
                10
            } else {
                9
            };
        }
    }
    budget.add_inflated(out.len())?;
    Ok(out)
}

fn predictor(data: Vec<u8>, p: &Dict) -> Result<Vec<u8>, ReadError> {
    let pred = p.get(b"Predictor").and_then(|x| x.as_i64()).unwrap_or(1);
    if pred < 2 {
        return Ok(data);
    }
    let colors = p
        .get(b"Colors")
        .and_then(|x| x.as_i64())
        .unwrap_or(1)
        .clamp(1, 32) as usize;
    let bpc = p
        .get(b"BitsPerComponent")
        .and_then(|x| x.as_i64())
        .unwrap_or(8)
        .clamp(1, 16) as usize;
    let columns = p
        .get(b"Columns")
        .and_then(|x| x.as_i64())
        .unwrap_or(1)
        .clamp(1, 1 << 20) as usize;
    let bpp = (colors * bpc).div_ceil(8).max(1);
    let row = (colors * bpc * columns).div_ceil(8);
    if pred == 2 {
        // TIFF predictor, 8-bit components only.
        let mut out = data;
        if bpc == 8 {
            for r in out.chunks_mut(row) {
                for i in bpp..r.len() {
                    r[i] = r[i].wrapping_add(r[i - bpp]);
                }
            }
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row];
    for chunk in data.chunks(row + 1) {
        if chunk.len() < 2 {
            break;
        }
        let ty = chunk[0];
        let mut cur = chunk[1..].to_vec();
        cur.resize(row, 0);
        for i in 0..row {
            let a = if i >= bpp { cur[i - bpp] } else { 0 };
            let b = prev[i];
            let c = if i >= bpp { prev[i - bpp] } else { 0 };
            cur[i] = match ty {
                1 => cur[i].wrapping_add(a),
                2 => cur[i].wrapping_add(b),
                3 => cur[i].wrapping_add(((u16::from(a) + u16::from(b)) / 2) as u8),
                4 => {
                    let pa = (i16::from(b) - i16::from(c)).abs();
                    let pb = (i16::from(a) - i16::from(c)).abs();
                    let pc = (i16::from(a) + i16::from(b) - 2 * i16::from(c)).abs();
                    let pr = if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    };
                    cur[i].wrapping_add(pr)
                }
                _ => cur[i],
            };
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    Ok(out)
}

// ================================================================ fonts

#[derive(Debug)]
enum CodeMap {
    /// Type0 with Identity-H/V: two-byte codes are CIDs; text only through ToUnicode.
    Identity,
    /// Type0 with a predefined CMap whose codes are an encoding (GBK, Big5, Shift-JIS, UCS-2…).
    Charset(&'static encoding_rs::Encoding),
    Ucs2,
    Utf16,
    /// Type0 with an embedded CMap stream (code space ranges; CIDs via cidchar/cidrange).
    Embedded(CMap),
    /// Type0 with a predefined CMap we do not know: codes are two bytes, no text.
    UnknownCid,
    /// A simple font: one-byte codes, text through this table.
    Simple(Box<[Option<char>; 256]>),
}

#[derive(Debug, Default)]
struct CMap {
    /// (byte length, low, high)
    space: Vec<(usize, u32, u32)>,
    chars: HashMap<u32, String>,
    /// (low, high, first destination as UTF-16 units), sorted by low.
    ranges: Vec<(u32, u32, Vec<u16>)>,
    /// Code → CID for encoding CMaps.
    cid_chars: HashMap<u32, u32>,
    cid_ranges: Vec<(u32, u32, u32)>,
}

impl CMap {
    fn lookup(&self, code: u32) -> Option<String> {
        if let Some(s) = self.chars.get(&code) {
            return Some(s.clone());
        }
        let i = self.ranges.partition_point(|r| r.0 <= code);
        if i == 0 {
            return None;
        }
        let (lo, hi, dst) = &self.ranges[i - 1];
        if code > *hi {
            return None;
        }
        let mut units = dst.clone();
        if let Some(last) = units.last_mut() {
            *last = last.wrapping_add((code - lo) as u16);
        }
        Some(String::from_utf16_lossy(&units))
    }

    fn cid(&self, code: u32) -> u32 {
        if let Some(c) = self.cid_chars.get(&code) {
            return *c;
        }
        for (lo, hi, c) in &self.cid_ranges {
            if (*lo..=*hi).contains(&code) {
                return c + (code - lo);
            }
        }
        code
    }

    /// Length of the code starting at `bytes` according to the code space ranges.
    fn code_len(&self, bytes: &[u8]) -> usize {
        if self.space.is_empty() {
            return 2.min(bytes.len()).max(1);
        }
        for len in 1..=4usize {
            if bytes.len() < len {
                break;
            }
            let v = bytes[..len]
                .iter()
                .fold(0u32, |a, &b| a << 8 | u32::from(b));
            if self
                .space
                .iter()
                .any(|&(l, lo, hi)| l == len && v >= lo && v <= hi)
            {
                return len;
            }
        }
        // Not in any range: consume the shortest length used.
        self.space
            .iter()
            .map(|s| s.0)
            .min()
            .unwrap_or(1)
            .min(bytes.len())
            .max(1)
    }
}

fn bytes_to_u32(b: &[u8]) -> u32 {
    b.iter().take(4).fold(0u32, |a, &x| a << 8 | u32::from(x))
}

fn parse_cmap(data: &[u8], budget: &mut Budget) -> Result<CMap, ReadError> {
    let mut cm = CMap::default();
    let mut lx = Lexer::new(data, 0);
    let mut operands: Vec<Tok> = Vec::new();
    let mut mode: &[u8] = b"";
    let mut entries = 0usize;
    loop {
        budget.tick()?;
        let t = lx.next();
        match t {
            Tok::Eof => break,
            Tok::Kw(k) => {
                match k.as_slice() {
                    b"begincodespacerange" => mode = b"space",
                    b"beginbfchar" => mode = b"bfchar",
                    b"beginbfrange" => mode = b"bfrange",
                    b"begincidchar" => mode = b"cidchar",
                    b"begincidrange" => mode = b"cidrange",
                    b"endcodespacerange" | b"endbfchar" | b"endbfrange" | b"endcidchar"
                    | b"endcidrange" => {
                        let ops = std::mem::take(&mut operands);
                        entries += ops.len();
                        if entries > 2_000_000 {
                            return Err(too_complex("CMap too large"));
                        }
                        apply_cmap_section(&mut cm, mode, ops);
                        mode = b"";
                    }
                    _ => {}
                }
                operands.clear();
            }
            Tok::ArrOpen => {
                cmap_range_array(&mut lx, &mut operands, &mut cm, !mode.is_empty(), budget)?
            }
            Tok::Str(_) | Tok::Int(_) | Tok::Name(_) if !mode.is_empty() => {
                if operands.len() > 300_000 {
                    return Err(too_complex("CMap section too large"));
                }
                operands.push(t);
            }
            _ => {}
        }
    }
    cm.ranges.sort_by_key(|r| r.0);
    Ok(cm)
}

/// An array destination in a bfrange, `<lo> <hi> [<dst> …]` (the lexer just after '['):
/// collects its strings until ']' and, inside a CMap section, maps lo, lo+1, … to them,
/// consuming the range's two operands.
fn cmap_range_array(
    lx: &mut Lexer<'_>,
    operands: &mut Vec<Tok>,
    cm: &mut CMap,
    in_section: bool,
    budget: &mut Budget,
) -> Result<(), ReadError> {
    let mut arr = Vec::new();
    loop {
        budget.tick()?;
        match lx.next() {
            Tok::Str(s) => arr.push(s),
            Tok::ArrClose | Tok::Eof => break,
            _ => {}
        }
        if arr.len() > 65536 {
            break;
        }
    }
    if !in_section {
        return Ok(());
    }
    if operands.len() >= 2
        && let (Some(Tok::Str(hi)), Some(Tok::Str(lo))) = (operands.pop(), operands.pop())
    {
        let lo = bytes_to_u32(&lo);
        let hi = bytes_to_u32(&hi);
        for (i, dst) in arr.iter().enumerate() {
            let code = lo.wrapping_add(i as u32);
            if code > hi {
                break;
            }
            cm.chars.insert(code, utf16be(dst));
        }
    }
    Ok(())
}

fn utf16be(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks(2)
        .map(|c| {
            if c.len() == 2 {
                u16::from(c[0]) << 8 | u16::from(c[1])
            } else {
                u16::from(c[0])
            }
        })
        .collect();
    String::from_utf16_lossy(&units)
}

fn apply_cmap_section(cm: &mut CMap, mode: &[u8], ops: Vec<Tok>) {
    match mode {
        b"space" => {
            for pair in ops.chunks(2) {
                if let [Tok::Str(lo), Tok::Str(hi)] = pair
                    && !lo.is_empty()
                    && lo.len() <= 4
                    && cm.space.len() < 1000
                {
                    cm.space
                        .push((lo.len(), bytes_to_u32(lo), bytes_to_u32(hi)));
                }
            }
        }
        b"bfchar" => {
            for pair in ops.chunks(2) {
                match pair {
                    [Tok::Str(src), Tok::Str(dst)] => {
                        cm.chars.insert(bytes_to_u32(src), utf16be(dst));
                    }
                    [Tok::Str(src), Tok::Name(n)] => {
                        if let Some(c) = glyph_name_char(n) {
                            cm.chars.insert(bytes_to_u32(src), c.to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        b"bfrange" => {
            for tri in ops.chunks(3) {
                if let [Tok::Str(lo), Tok::Str(hi), Tok::Str(dst)] = tri {
                    let (lo, hi) = (bytes_to_u32(lo), bytes_to_u32(hi));
                    if hi >= lo && !dst.is_empty() {
                        let units: Vec<u16> = dst
                            .chunks(2)
                            .map(|c| {
                                if c.len() == 2 {
                                    u16::from(c[0]) << 8 | u16::from(c[1])
                                } else {
                                    u16::from(c[0])
                                }
                            })
                            .collect();
                        cm.ranges.push((lo, hi, units));
                    }
                }
            }
        }
        b"cidchar" => {
            for pair in ops.chunks(2) {
                if let [Tok::Str(src), Tok::Int(cid)] = pair {
                    cm.cid_chars
                        .insert(bytes_to_u32(src), (*cid).clamp(0, u32::MAX as i64) as u32);
                }
            }
        }
        b"cidrange" => {
            for tri in ops.chunks(3) {
                if let [Tok::Str(lo), Tok::Str(hi), Tok::Int(cid)] = tri {
                    if cm.cid_ranges.len() < 100_000 {
                        cm.cid_ranges.push((
                            bytes_to_u32(lo),
                            bytes_to_u32(hi),
                            (*cid).clamp(0, u32::MAX as i64) as u32,
                        ));
                    }
                    if let Some(r) = cm.space.first() {
                        let _ = r;
                    }
                }
            }
        }
        _ => {}
    }
}

#[derive(Debug)]
struct Font {
    name: String,
    map: CodeMap,
    to_unicode: Option<CMap>,
    /// Simple fonts: widths by code (1/1000 text space).
    widths: HashMap<u32, f64>,
    default_width: f64,
    /// CID fonts: (first cid, last cid, width).
    cid_widths: Vec<(u32, u32, f64)>,
    /// Type3: FontMatrix[0] * 1000 scaling, else 1.
    scale: f64,
}

/// One decoded code.
struct Glyph {
    text: Option<String>,
    width: f64,
    is_space: bool,
}

impl Font {
    fn decode(&self, s: &[u8], out: &mut Vec<Glyph>) {
        let mut i = 0;
        while i < s.len() {
            let (len, code) = self.next_code(&s[i..]);
            let bytes = &s[i..i + len];
            i += len;
            out.push(Glyph {
                text: self.code_text(code, bytes),
                width: self.code_width(code, len) * self.scale,
                is_space: len == 1 && code == 32,
            });
        }
    }

    /// The length and value of the code at the start of `s` (not empty).
    fn next_code(&self, s: &[u8]) -> (usize, u32) {
        let len = match &self.map {
            CodeMap::Simple(_) => return (1, u32::from(s[0])),
            CodeMap::Charset(enc) => charset_code_len(enc, s),
            CodeMap::Utf16 => {
                let hi = s.get(0..2).map(|b| u16::from(b[0]) << 8 | u16::from(b[1]));
                if matches!(hi, Some(0xD800..=0xDBFF)) && s.len() >= 4 {
                    4
                } else {
                    2.min(s.len())
                }
            }
            CodeMap::Embedded(cm) => cm.code_len(s),
            // Identity and unknown CMaps: two-byte codes, unless the ToUnicode code space is
            // all one-byte.
            _ => {
                let one_byte = self
                    .to_unicode
                    .as_ref()
                    .is_some_and(|tu| tu.space.iter().all(|sp| sp.0 == 1) && !tu.space.is_empty());
                (if one_byte { 1 } else { 2 }).min(s.len())
            }
        };
        (len, bytes_to_u32(&s[..len]))
    }

    /// The text of a code: from ToUnicode, else (when that is missing, empty or unusable)
    /// from the font's encoding.
    fn code_text(&self, code: u32, bytes: &[u8]) -> Option<String> {
        let text = self.to_unicode.as_ref().and_then(|t| t.lookup(code));
        if !text
            .as_deref()
            .map(|t| t.is_empty() || t.chars().any(is_bad_char))
            .unwrap_or(true)
        {
            return text;
        }
        let fallback = match &self.map {
            CodeMap::Simple(table) => table[(code & 0xFF) as usize].map(|c| c.to_string()),
            CodeMap::Charset(enc) => {
                let (t, had_errors) = enc.decode_without_bom_handling(bytes);
                if had_errors {
                    None
                } else {
                    Some(t.into_owned())
                }
            }
            CodeMap::Ucs2 => char::from_u32(code).map(|c| c.to_string()),
            CodeMap::Utf16 => Some(utf16be(bytes)),
            _ => None,
        };
        if fallback.is_some() || text.is_none() {
            fallback.or(text)
        } else {
            text
        }
    }

    /// The width of a code `len` bytes long, in 1/1000 text space (before Type3 scaling).
    fn code_width(&self, code: u32, len: usize) -> f64 {
        match &self.map {
            CodeMap::Simple(_) => self
                .widths
                .get(&code)
                .copied()
                .unwrap_or(self.default_width),
            CodeMap::Charset(_) | CodeMap::Ucs2 | CodeMap::Utf16 | CodeMap::UnknownCid => {
                if len == 1 {
                    self.default_width / 2.0
                } else {
                    self.default_width
                }
            }
            CodeMap::Embedded(cm) => self.cid_width(cm.cid(code)),
            _ => self.cid_width(code),
        }
    }

    fn cid_width(&self, cid: u32) -> f64 {
        let i = self.cid_widths.partition_point(|r| r.0 <= cid);
        if i > 0 {
            let (lo, hi, w) = self.cid_widths[i - 1];
            if cid >= lo && cid <= hi {
                return w;
            }
        }
        self.default_width
    }
}

fn charset_code_len(enc: &'static encoding_rs::Encoding, s: &[u8]) -> usize {
    let b = s[0];
    let two = if enc == encoding_rs::SHIFT_JIS {
        (0x81..=0x9F).contains(&b) || (0xE0..=0xFC).contains(&b)
    } else {
        b >= 0x81 && b != 0xFF
    };
    if !two || s.len() < 2 {
        return 1;
    }
    if enc == encoding_rs::GB18030 && s.len() >= 4 && (0x30..=0x39).contains(&s[1]) {
        return 4;
    }
    2
}

/// Predefined CMaps whose codes are a known character encoding.
fn predefined_cmap(name: &[u8]) -> Option<CodeMap> {
    let n = String::from_utf8_lossy(name);
    let base = n.trim_end_matches("-H").trim_end_matches("-V");
    Some(match base {
        "Identity" => CodeMap::Identity,
        "GB-EUC" | "GBpc-EUC" | "GBK-EUC" | "GBKp-EUC" | "GBT-EUC" | "GBTpc-EUC" => {
            CodeMap::Charset(encoding_rs::GBK)
        }
        "GBK2K" => CodeMap::Charset(encoding_rs::GB18030),
        "UniGB-UCS2" | "UniCNS-UCS2" | "UniJIS-UCS2" | "UniKS-UCS2" | "UniJIS-UCS2-HW" => {
            CodeMap::Ucs2
        }
        "UniGB-UTF16" | "UniCNS-UTF16" | "UniJIS-UTF16" | "UniKS-UTF16" => CodeMap::Utf16,
        "B5pc" | "ETen-B5" | "HKscs-B5" | "ETenms-B5" | "CNS-EUC" => {
            CodeMap::Charset(encoding_rs::BIG5)
        }
        "90ms-RKSJ" | "90msp-RKSJ" | "83pv-RKSJ" | "90pv-RKSJ" | "Add-RKSJ" | "Ext-RKSJ" => {
            CodeMap::Charset(encoding_rs::SHIFT_JIS)
        }
        "EUC" => CodeMap::Charset(encoding_rs::EUC_JP),
        "KSC-EUC" | "KSCms-UHC" | "KSCms-UHC-HW" | "KSCpc-EUC" => {
            CodeMap::Charset(encoding_rs::EUC_KR)
        }
        _ => return None,
    })
}

// ---- simple font encodings

fn std_encoding(code: u8) -> Option<char> {
    Some(match code {
        0x27 => '’',
        0x60 => '‘',
        0x20..=0x7E => code as char,
        0xA1 => '¡',
        0xA2 => '¢',
        0xA3 => '£',
        0xA4 => '⁄',
        0xA5 => '¥',
        0xA6 => 'ƒ',
        0xA7 => '§',
        0xA8 => '¤',
        0xA9 => '\'',
        0xAA => '“',
        0xAB => '«',
        0xAC => '‹',
        0xAD => '›',
        0xAE => 'ﬁ',
        0xAF => 'ﬂ',
        0xB1 => '–',
        0xB2 => '†',
        0xB3 => '‡',
        0xB4 => '·',
        0xB6 => '¶',
        0xB7 => '•',
        0xB8 => '‚',
        0xB9 => '„',
        0xBA => '”',
        0xBB => '»',
        0xBC => '…',
        0xBD => '‰',
        0xBF => '¿',
        0xC1 => '`',
        0xC2 => '´',
        0xC3 => 'ˆ',
        0xC4 => '˜',
        0xC5 => '¯',
        0xC6 => '˘',
        0xC7 => '˙',
        0xC8 => '¨',
        0xCA => '˚',
        0xCB => '¸',
        0xCD => '˝',
        0xCE => '˛',
        0xCF => 'ˇ',
        0xD0 => '—',
        0xE1 => 'Æ',
        0xE3 => 'ª',
        0xE8 => 'Ł',
        0xE9 => 'Ø',
        0xEA => 'Œ',
        0xEB => 'º',
        0xF1 => 'æ',
        0xF5 => 'ı',
        0xF8 => 'ł',
        0xF9 => 'ø',
        0xFA => 'œ',
        0xFB => 'ß',
        _ => return None,
    })
}

fn single_byte(enc: &'static encoding_rs::Encoding, code: u8) -> Option<char> {
    let buf = [code];
    let (s, bad) = enc.decode_without_bom_handling(&buf);
    if bad {
        return None;
    }
    s.chars().next().filter(|c| !is_bad_char(*c))
}

fn base_table(name: &[u8]) -> Box<[Option<char>; 256]> {
    let mut t: Box<[Option<char>; 256]> = Box::new([None; 256]);
    for c in 0..=255u8 {
        t[c as usize] = match name {
            b"WinAnsiEncoding" => single_byte(encoding_rs::WINDOWS_1252, c),
            b"MacRomanEncoding" => single_byte(encoding_rs::MACINTOSH, c),
            b"PDFDocEncoding" => pdfdoc_char(c),
            _ => std_encoding(c),
        };
    }
    t
}

fn pdfdoc_char(c: u8) -> Option<char> {
    match c {
        0x80..=0x9F => {
            const T: [char; 32] = [
                '•', '†', '‡', '…', '—', '–', 'ƒ', '⁄', '‹', '›', '−', '‰', '„', '“', '”', '‘',
                '’', '‚', '™', 'ﬁ', 'ﬂ', 'Ł', 'Œ', 'Š', 'Ÿ', 'Ž', 'ı', 'ł', 'œ', 'š', 'ž',
                '\u{FFFD}',
            ];
            let ch = T[(c - 0x80) as usize];
            if ch == '\u{FFFD}' { None } else { Some(ch) }
        }
        0x18..=0x1F => None,
        0xA0 => Some('€'),
        0x20..=0x7E | 0xA1..=0xFF => char::from_u32(u32::from(c)),
        b'\t' | b'\n' | b'\r' => Some(c as char),
        _ => None,
    }
}

/// Adobe glyph names of the characters reports use, for `glyph_name_char`.
const GLYPH_NAMES: &[(&str, char)] = &[
    ("space", ' '),
    ("exclam", '!'),
    ("quotedbl", '"'),
    ("numbersign", '#'),
    ("dollar", '$'),
    ("percent", '%'),
    ("ampersand", '&'),
    ("quotesingle", '\''),
    ("quoteright", '’'),
    ("quoteleft", '‘'),
    ("parenleft", '('),
    ("parenright", ')'),
    ("asterisk", '*'),
    ("plus", '+'),
    ("comma", ','),
    ("hyphen", '-'),
    ("minus", '−'),
    ("period", '.'),
    ("slash", '/'),
    ("zero", '0'),
    ("one", '1'),
    ("two", '2'),
    ("three", '3'),
    ("four", '4'),
    ("five", '5'),
    ("six", '6'),
    ("seven", '7'),
    ("eight", '8'),
    ("nine", '9'),
    ("colon", ':'),
    ("semicolon", ';'),
    ("less", '<'),
    ("equal", '='),
    ("greater", '>'),
    ("question", '?'),
    ("at", '@'),
    ("bracketleft", '['),
    ("backslash", '\\'),
    ("bracketright", ']'),
    ("asciicircum", '^'),
    ("underscore", '_'),
    ("grave", '`'),
    ("braceleft", '{'),
    ("bar", '|'),
    ("braceright", '}'),
    ("asciitilde", '~'),
    ("bullet", '•'),
    ("endash", '–'),
    ("emdash", '—'),
    ("ellipsis", '…'),
    ("quotedblleft", '“'),
    ("quotedblright", '”'),
    ("quotesinglbase", '‚'),
    ("quotedblbase", '„'),
    ("fi", 'ﬁ'),
    ("fl", 'ﬂ'),
    ("degree", '°'),
    ("plusminus", '±'),
    ("multiply", '×'),
    ("divide", '÷'),
    ("copyright", '©'),
    ("registered", '®'),
    ("trademark", '™'),
    ("section", '§'),
    ("paragraph", '¶'),
    ("periodcentered", '·'),
    ("middot", '·'),
    ("Euro", '€'),
    ("sterling", '£'),
    ("yen", '¥'),
    ("cent", '¢'),
    ("eacute", 'é'),
    ("egrave", 'è'),
    ("aacute", 'á'),
    ("agrave", 'à'),
    ("udieresis", 'ü'),
    ("odieresis", 'ö'),
    ("adieresis", 'ä'),
    ("ccedilla", 'ç'),
    ("ntilde", 'ñ'),
    ("germandbls", 'ß'),
    ("nbspace", '\u{a0}'),
    ("guillemotleft", '«'),
    ("guillemotright", '»'),
    ("dagger", '†'),
    ("daggerdbl", '‡'),
    ("perthousand", '‰'),
    ("exclamdown", '¡'),
    ("questiondown", '¿'),
    ("onehalf", '½'),
    ("onequarter", '¼'),
    ("threequarters", '¾'),
    ("mu", 'µ'),
    ("micro", 'µ'),
    ("dotlessi", 'ı'),
    ("circumflex", 'ˆ'),
    ("tilde", '˜'),
    ("dieresis", '¨'),
    ("acute", '´'),
    ("cedilla", '¸'),
    ("macron", '¯'),
    ("ordfeminine", 'ª'),
    ("ordmasculine", 'º'),
    ("Eacute", 'É'),
    ("Agrave", 'À'),
    ("Ccedilla", 'Ç'),
    ("Odieresis", 'Ö'),
    ("Udieresis", 'Ü'),
    ("Adieresis", 'Ä'),
    ("oe", 'œ'),
    ("OE", 'Œ'),
    ("ae", 'æ'),
    ("AE", 'Æ'),
    ("oslash", 'ø'),
    ("Oslash", 'Ø'),
    ("aring", 'å'),
    ("Aring", 'Å'),
    ("icircumflex", 'î'),
    ("ocircumflex", 'ô'),
    ("ecircumflex", 'ê'),
    ("acircumflex", 'â'),
    ("ucircumflex", 'û'),
    ("iacute", 'í'),
    ("oacute", 'ó'),
    ("uacute", 'ú'),
    ("igrave", 'ì'),
    ("ograve", 'ò'),
    ("ugrave", 'ù'),
    ("edieresis", 'ë'),
    ("idieresis", 'ï'),
    ("ydieresis", 'ÿ'),
    ("atilde", 'ã'),
    ("otilde", 'õ'),
    ("arrowright", '→'),
    ("arrowleft", '←'),
    ("arrowup", '↑'),
    ("arrowdown", '↓'),
    ("lessequal", '≤'),
    ("greaterequal", '≥'),
    ("notequal", '≠'),
    ("infinity", '∞'),
    ("fraction", '⁄'),
    ("florin", 'ƒ'),
    ("guilsinglleft", '‹'),
    ("guilsinglright", '›'),
    ("Scaron", 'Š'),
    ("scaron", 'š'),
    ("Zcaron", 'Ž'),
    ("zcaron", 'ž'),
    ("Ydieresis", 'Ÿ'),
    ("brokenbar", '¦'),
    ("currency", '¤'),
    ("logicalnot", '¬'),
    ("onesuperior", '¹'),
    ("twosuperior", '²'),
    ("threesuperior", '³'),
];

/// Glyph names → characters: uniXXXX, uXXXX(XX), and the Latin names fonts commonly use.
fn glyph_name_char(name: &[u8]) -> Option<char> {
    let n = String::from_utf8_lossy(name);
    let n = n.split('.').next().unwrap_or("");
    let n = n.split('_').next().unwrap_or("");
    if let Some(h) = n.strip_prefix("uni")
        && h.len() >= 4
    {
        return u32::from_str_radix(&h[..4], 16)
            .ok()
            .and_then(char::from_u32)
            .filter(|c| !is_bad_char(*c));
    }
    if let Some(h) = n.strip_prefix('u')
        && (4..=6).contains(&h.len())
        && h.chars().all(|c| c.is_ascii_hexdigit())
    {
        return u32::from_str_radix(h, 16)
            .ok()
            .and_then(char::from_u32)
            .filter(|c| !is_bad_char(*c));
    }
    if n.len() == 1 && n.as_bytes()[0].is_ascii_alphabetic() {
        return n.chars().next();
    }
    GLYPH_NAMES.iter().find(|(k, _)| *k == n).map(|(_, c)| *c)
}

fn font_from_dict(doc: &mut Doc<'_>, fd: &Dict, budget: &mut Budget) -> Result<Font, ReadError> {
    let subtype = doc
        .dict_get(fd, b"Subtype", budget)?
        .as_name()
        .map(|n| n.to_vec())
        .unwrap_or_default();
    let name = doc
        .dict_get(fd, b"BaseFont", budget)?
        .as_name()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let to_unicode = match doc.dict_get(fd, b"ToUnicode", budget)? {
        Obj::Stream(s) => match doc.decode_stream(&s, budget) {
            Ok(data) => Some(parse_cmap(&data, budget)?),
            Err(e @ ReadError::TooComplex { .. }) => return Err(e),
            Err(_) => None,
        },
        _ => None,
    };
    let font = Font {
        name,
        map: CodeMap::Identity,
        to_unicode,
        widths: HashMap::new(),
        default_width: 1000.0,
        cid_widths: Vec::new(),
        scale: 1.0,
    };
    if subtype == b"Type0" {
        type0_font(doc, fd, font, budget)
    } else {
        simple_font(doc, fd, font, &subtype, budget)
    }
}

/// Completes a Type0 (CID) font: its code map from /Encoding, its widths from the
/// descendant font's /DW and /W.
fn type0_font(
    doc: &mut Doc<'_>,
    fd: &Dict,
    mut font: Font,
    budget: &mut Budget,
) -> Result<Font, ReadError> {
    font.map = match doc.dict_get(fd, b"Encoding", budget)? {
        Obj::Name(n) => predefined_cmap(&n).unwrap_or(CodeMap::UnknownCid),
        Obj::Stream(s) => match doc.decode_stream(&s, budget) {
            Ok(data) => {
                let cm = parse_cmap(&data, budget)?;
                // An embedded CMap may just "usecmap" a predefined one.
                match used_cmap(&data) {
                    Some(m) if cm.space.is_empty() => m,
                    _ => CodeMap::Embedded(cm),
                }
            }
            Err(e @ ReadError::TooComplex { .. }) => return Err(e),
            Err(_) => CodeMap::UnknownCid,
        },
        _ => CodeMap::Identity,
    };
    if let Obj::Array(desc) = doc.dict_get(fd, b"DescendantFonts", budget)?
        && let Some(d0) = desc.first()
        && let Some(dd) = doc.resolve(d0, budget)?.as_dict().cloned()
    {
        if let Some(w) = doc.dict_get(&dd, b"DW", budget)?.as_f64() {
            font.default_width = w;
        }
        if let Obj::Array(w) = doc.dict_get(&dd, b"W", budget)? {
            font.cid_widths = cid_widths(doc, &w, font.default_width, budget)?;
        }
    }
    font.cid_widths.sort_by_key(|r| r.0);
    Ok(font)
}

/// The predefined CMap an embedded CMap refers to with "usecmap", if it is one we know.
fn used_cmap(data: &[u8]) -> Option<CodeMap> {
    find_bytes(data, b"usecmap")?;
    let mut lx = Lexer::new(data, 0);
    let mut last_name = None;
    loop {
        match lx.next() {
            Tok::Name(n) => last_name = Some(n),
            Tok::Kw(k) if k == b"usecmap" => {
                break last_name.and_then(|n| predefined_cmap(&n));
            }
            Tok::Eof => break None,
            _ => {}
        }
    }
}

/// The (first cid, last cid, width) ranges of a CID font's /W array: `c [w1 w2 …]` and
/// `c_first c_last w` entries.
fn cid_widths(
    doc: &mut Doc<'_>,
    w: &[Obj],
    default_width: f64,
    budget: &mut Budget,
) -> Result<Vec<(u32, u32, f64)>, ReadError> {
    let mut cid_widths = Vec::new();
    let mut i = 0;
    while i < w.len() {
        budget.tick()?;
        let first = doc.resolve(&w[i], budget)?.as_i64().unwrap_or(0).max(0) as u32;
        match w.get(i + 1).map(|o| doc.resolve(o, budget)).transpose()? {
            Some(Obj::Array(ws)) => {
                for (k, x) in ws.iter().enumerate() {
                    let c = first.saturating_add(k as u32);
                    cid_widths.push((c, c, x.as_f64().unwrap_or(default_width)));
                }
                i += 2;
            }
            Some(last) => {
                let last = last.as_i64().unwrap_or(0).max(0) as u32;
                let wv = w
                    .get(i + 2)
                    .and_then(|x| x.as_f64())
                    .unwrap_or(default_width);
                cid_widths.push((first, last.max(first), wv));
                i += 3;
            }
            None => break,
        }
        if cid_widths.len() > 200_000 {
            break;
        }
    }
    Ok(cid_widths)
}

/// Completes a simple font (Type1, TrueType, Type3): its one-byte encoding table, its
/// /Widths and, for Type3, the FontMatrix scale.
fn simple_font(
    doc: &mut Doc<'_>,
    fd: &Dict,
    mut font: Font,
    subtype: &[u8],
    budget: &mut Budget,
) -> Result<Font, ReadError> {
    let descriptor = doc.resolve_dict(fd.get(b"FontDescriptor"), budget)?;
    let flags = descriptor
        .as_ref()
        .and_then(|d| d.get(b"Flags"))
        .and_then(|f| f.as_i64())
        .unwrap_or(0);
    let symbolic = flags & 4 != 0 && flags & 32 == 0;
    let missing = descriptor
        .as_ref()
        .and_then(|d| d.get(b"MissingWidth"))
        .and_then(|f| f.as_f64())
        .unwrap_or(0.0);
    let lname = font.name.to_ascii_lowercase();
    let is_symbol_font =
        lname.contains("symbol") || lname.contains("dingbat") || lname.contains("wingding");
    let no_standard = symbolic || is_symbol_font || subtype == b"Type3";
    font.map = CodeMap::Simple(simple_encoding(doc, fd, no_standard, budget)?);
    let first = doc
        .dict_get(fd, b"FirstChar", budget)?
        .as_i64()
        .unwrap_or(0)
        .clamp(0, 255) as u32;
    if let Obj::Array(w) = doc.dict_get(fd, b"Widths", budget)? {
        for (i, x) in w.iter().take(256).enumerate() {
            let v = doc.resolve(x, budget)?.as_f64().unwrap_or(missing);
            font.widths.insert(first + i as u32, v);
        }
    }
    if subtype == b"Type3"
        && let Obj::Array(m) = doc.dict_get(fd, b"FontMatrix", budget)?
        && let Some(a) = m.first().and_then(|x| x.as_f64())
    {
        font.scale = (a * 1000.0).abs().clamp(0.0, 1000.0);
    }
    font.default_width = if font.widths.is_empty() {
        500.0
    } else {
        missing
    };
    Ok(font)
}

/// A simple font's code → character table: its /Encoding's base encoding (StandardEncoding
/// when none is named, unless `no_standard`: symbolic and Type3 fonts) with /Differences
/// applied.
fn simple_encoding(
    doc: &mut Doc<'_>,
    fd: &Dict,
    no_standard: bool,
    budget: &mut Budget,
) -> Result<Box<[Option<char>; 256]>, ReadError> {
    let enc = doc.dict_get(fd, b"Encoding", budget)?;
    let (base, diffs): (Option<Vec<u8>>, Option<Vec<Obj>>) = match &enc {
        Obj::Name(n) => (Some(n.clone()), None),
        Obj::Dict(d) => {
            let b = d
                .get(b"BaseEncoding")
                .and_then(|x| x.as_name())
                .map(|x| x.to_vec());
            let diffs = match d.get(b"Differences") {
                Some(o) => match doc.resolve(o, budget)? {
                    Obj::Array(a) => Some(a),
                    _ => None,
                },
                None => None,
            };
            (b, diffs)
        }
        _ => (None, None),
    };
    let mut table = match (&base, no_standard) {
        (Some(b), _) => base_table(b),
        (None, false) => base_table(b"StandardEncoding"),
        (None, true) => Box::new([None; 256]),
    };
    if let Some(d) = diffs {
        let mut code: i64 = 0;
        for item in d.iter().take(4096) {
            match item {
                Obj::Int(c) => code = *c,
                Obj::Name(n) => {
                    if (0..256).contains(&code) {
                        table[code as usize] = glyph_name_char(n);
                    }
                    code += 1;
                }
                _ => {}
            }
        }
    }
    Ok(table)
}

// ================================================================ content interpretation

type Mat = [f64; 6];
const IDENT: Mat = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(a: &Mat, b: &Mat) -> Mat {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

#[derive(Clone)]
struct GState {
    ctm: Mat,
    font: Option<Rc<Font>>,
    size: f64,
    tc: f64,
    tw: f64,
    th: f64,
    tl: f64,
    rise: f64,
}

/// A run of glyphs on one baseline.
#[derive(Debug, Clone)]
struct Run {
    x0: f64,
    x1: f64,
    y: f64,
    size: f64,
    text: String,
}

#[derive(Default)]
struct PageStats {
    glyphs: usize,
    unmapped: usize,
    unmapped_fonts: HashSet<String>,
    images: usize,
}

struct Interp<'d, 'a> {
    doc: &'d mut Doc<'a>,
    runs: Vec<Run>,
    stats: PageStats,
    fonts: HashMap<u32, Rc<Font>>,
    chars: usize,
}

impl<'d, 'a> Interp<'d, 'a> {
    /// An interpreter with no fonts loaded and nothing drawn yet.
    fn new(doc: &'d mut Doc<'a>) -> Self {
        Interp {
            doc,
            runs: Vec::new(),
            stats: PageStats::default(),
            fonts: HashMap::new(),
            chars: 0,
        }
    }

    /// Interprets one page's content and returns its text lines.
    fn page_lines(&mut self, page: &Page, budget: &mut Budget) -> Result<PageLines, ReadError> {
        let data = self.page_content(&page.dict, budget)?;
        self.runs.clear();
        let mut forms = Vec::new();
        self.run_content(&data, &page.resources, &IDENT, 0, &mut forms, budget)?;
        let runs = std::mem::take(&mut self.runs);
        let mb = &page.mediabox;
        let (y0, y1) = (mb[1].min(mb[3]), mb[1].max(mb[3]));
        Ok(PageLines {
            lines: runs_to_lines(runs),
            height: y1 - y0,
            bottom: y0,
        })
    }

    /// A page's /Contents streams decoded and joined with newlines (undecodable parts are
    /// left out; limits and encryption are errors).
    fn page_content(&mut self, pd: &Dict, budget: &mut Budget) -> Result<Vec<u8>, ReadError> {
        let contents = self.doc.dict_get(pd, b"Contents", budget)?;
        let parts: Vec<Obj> = match contents {
            Obj::Array(a) => a,
            o => vec![o],
        };
        let mut data = Vec::new();
        for part in parts.iter().take(10_000) {
            if let Obj::Stream(s) = self.doc.resolve(part, budget)? {
                match self.doc.decode_stream(&s, budget) {
                    Ok(d) => {
                        data.extend_from_slice(&d);
                        data.push(b'\n');
                    }
                    Err(e @ (ReadError::TooComplex { .. } | ReadError::Encrypted)) => {
                        return Err(e);
                    }
                    Err(_) => {}
                }
            }
        }
        Ok(data)
    }
}

impl Interp<'_, '_> {
    fn font_for(
        &mut self,
        resources: &Dict,
        name: &[u8],
        budget: &mut Budget,
    ) -> Result<Option<Rc<Font>>, ReadError> {
        let Some(fonts) = self.doc.resolve_dict(resources.get(b"Font"), budget)? else {
            return Ok(None);
        };
        let Some(r) = fonts.get(name) else {
            return Ok(None);
        };
        if let Obj::Ref(n, _) = r
            && let Some(f) = self.fonts.get(n)
        {
            return Ok(Some(f.clone()));
        }
        let Some(fd) = self.doc.resolve(r, budget)?.as_dict().cloned() else {
            return Ok(None);
        };
        let f = Rc::new(font_from_dict(self.doc, &fd, budget)?);
        if let Obj::Ref(n, _) = r {
            self.fonts.insert(*n, f.clone());
        }
        Ok(Some(f))
    }

    fn run_content(
        &mut self,
        data: &[u8],
        resources: &Dict,
        base: &Mat,
        depth: usize,
        forms: &mut Vec<u32>,
        budget: &mut Budget,
    ) -> Result<(), ReadError> {
        let mut ts = TextState::new(base);
        let mut ops: Vec<Obj> = Vec::new();
        let mut lx = Lexer::new(data, 0);
        let max_depth = budget.max_depth();
        loop {
            budget.tick()?;
            let op: Vec<u8> = match lx.next() {
                Tok::Eof => break,
                Tok::Kw(k) => k,
                t => {
                    push_operand(&mut lx, &mut ops, t, budget)?;
                    continue;
                }
            };
            let n = ops.len();
            match op.as_slice() {
                b"Tf" if n >= 2 => {
                    ts.gs.size = operand(&ops, n - 1);
                    if let Some(Obj::Name(name)) = ops.get(n - 2) {
                        ts.gs.font = self.font_for(resources, name, budget)?;
                    }
                }
                b"Tj" | b"'" | b"\"" | b"TJ" => self.show_op(&op, &ops, &mut ts, budget)?,
                b"Do" if n >= 1 => {
                    if let Some(Obj::Name(name)) = ops.last() {
                        self.do_xobject(name, resources, &ts.gs.ctm, depth, forms, budget)?;
                    }
                }
                b"BI" => {
                    self.stats.images += 1;
                    lx.skip_inline_image();
                }
                _ => ts.apply(&op, &ops, max_depth),
            }
            ops.clear();
        }
        Ok(())
    }

    /// A text-showing operator (Tj, ', ", TJ): ' and " first move to the next line (" also
    /// sets word and character spacing); a TJ array's numbers move the text position.
    fn show_op(
        &mut self,
        op: &[u8],
        ops: &[Obj],
        ts: &mut TextState,
        budget: &mut Budget,
    ) -> Result<(), ReadError> {
        let n = ops.len();
        if op == b"'" || op == b"\"" {
            if op == b"\"" && n >= 3 {
                ts.gs.tw = operand(ops, n - 3);
                ts.gs.tc = operand(ops, n - 2);
            }
            ts.next_line();
        }
        match ops.last() {
            Some(Obj::Str(s)) => self.show(s, &ts.gs, &mut ts.tm, budget)?,
            Some(Obj::Array(a)) => {
                for item in a {
                    match item {
                        Obj::Str(s) => self.show(s, &ts.gs, &mut ts.tm, budget)?,
                        o => {
                            let adj = o.as_f64().unwrap_or(0.0);
                            let tx = -adj / 1000.0 * ts.gs.size * ts.gs.th;
                            ts.tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &ts.tm);
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn do_xobject(
        &mut self,
        name: &[u8],
        resources: &Dict,
        ctm: &Mat,
        depth: usize,
        forms: &mut Vec<u32>,
        budget: &mut Budget,
    ) -> Result<(), ReadError> {
        let Some(xo) = self.doc.resolve_dict(resources.get(b"XObject"), budget)? else {
            return Ok(());
        };
        let Some(r) = xo.get(name).cloned() else {
            return Ok(());
        };
        let num = if let Obj::Ref(n, _) = r {
            Some(n)
        } else {
            None
        };
        let Obj::Stream(s) = self.doc.resolve(&r, budget)? else {
            return Ok(());
        };
        match s.dict.get(b"Subtype").and_then(|x| x.as_name()) {
            Some(b"Image") => self.stats.images += 1,
            Some(b"Form") => {
                if depth >= MAX_FORM_DEPTH {
                    return Ok(());
                }
                if let Some(n) = num {
                    if forms.contains(&n) {
                        return Ok(()); // a form that draws itself
                    }
                    forms.push(n);
                }
                let m = match s.dict.get(b"Matrix") {
                    Some(Obj::Array(a)) if a.len() == 6 => {
                        let v: Vec<f64> = a.iter().map(|x| x.as_f64().unwrap_or(0.0)).collect();
                        [v[0], v[1], v[2], v[3], v[4], v[5]]
                    }
                    _ => IDENT,
                };
                let res = self
                    .doc
                    .resolve_dict(s.dict.get(b"Resources"), budget)?
                    .unwrap_or_else(|| resources.clone());
                let data = match self.doc.decode_stream(&s, budget) {
                    Ok(d) => d,
                    Err(e @ (ReadError::TooComplex { .. } | ReadError::Encrypted)) => {
                        return Err(e);
                    }
                    Err(_) => Vec::new(),
                };
                let base = mul(&m, ctm);
                self.run_content(&data, &res, &base, depth + 1, forms, budget)?;
                if num.is_some() {
                    forms.pop();
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn show(
        &mut self,
        s: &[u8],
        gs: &GState,
        tm: &mut Mat,
        budget: &mut Budget,
    ) -> Result<(), ReadError> {
        let Some(font) = gs.font.clone() else {
            // Text without a font: count the codes as unmapped glyphs.
            self.stats.glyphs += s.len();
            self.stats.unmapped += s.len();
            return Ok(());
        };
        let mut glyphs = Vec::new();
        font.decode(s, &mut glyphs);
        for g in glyphs {
            budget.tick()?;
            let trm = mul(
                &[gs.size * gs.th, 0.0, 0.0, gs.size, 0.0, gs.rise],
                &mul(tm, &gs.ctm),
            );
            let (x, y) = (trm[4], trm[5]);
            let size = (trm[2] * trm[2] + trm[3] * trm[3]).sqrt().max(0.01);
            let adv =
                (g.width / 1000.0 * gs.size + gs.tc + if g.is_space { gs.tw } else { 0.0 }) * gs.th;
            *tm = mul(&[1.0, 0.0, 0.0, 1.0, adv, 0.0], tm);
            let after = mul(
                &[gs.size * gs.th, 0.0, 0.0, gs.size, 0.0, gs.rise],
                &mul(tm, &gs.ctm),
            );
            let x_end = after[4];
            let Some(clean) = self.glyph_text(g.text, &font) else {
                continue;
            };
            if clean.is_empty() {
                continue;
            }
            if !x.is_finite() || !y.is_finite() {
                continue;
            }
            self.chars += clean.chars().count();
            if self.chars > budget.limits.max_text_chars {
                return Err(too_complex(format!(
                    "more than {} characters of text",
                    budget.limits.max_text_chars
                )));
            }
            self.add_to_runs(clean, x, x_end, y, size);
        }
        Ok(())
    }

    /// Counts a glyph and returns its text without unusable characters; `None` (counted as
    /// unmapped) when it has no text or only unusable characters.
    fn glyph_text(&mut self, text: Option<String>, font: &Font) -> Option<String> {
        self.stats.glyphs += 1;
        let Some(text) = text else {
            self.count_unmapped(font);
            return None;
        };
        let clean: String = text
            .chars()
            .filter(|c| !is_bad_char(*c) || c.is_whitespace())
            .collect();
        if clean.chars().count() < text.chars().count() && clean.trim().is_empty() {
            self.count_unmapped(font);
            return None;
        }
        Some(clean)
    }

    /// Counts an unmapped glyph of `font` (naming at most 8 fonts).
    fn count_unmapped(&mut self, font: &Font) {
        self.stats.unmapped += 1;
        if self.stats.unmapped_fonts.len() < 8 {
            self.stats.unmapped_fonts.insert(font.name.clone());
        }
    }

    /// Adds a glyph's text spanning `x`..`x_end` on baseline `y` to the last run when it
    /// continues it, else starts a new run (a space never starts one).
    fn add_to_runs(&mut self, clean: String, x: f64, x_end: f64, y: f64, size: f64) {
        if let Some(r) = self.runs.last_mut() {
            let same_line = (r.y - y).abs() < 0.2 * size.max(r.size);
            let gap = x - r.x1;
            if same_line
                && gap > -0.3 * size
                && gap < 0.2 * size
                && (r.size - size).abs() < 0.3 * size
            {
                if clean.trim().is_empty() {
                    if !r.text.ends_with(' ') {
                        r.text.push(' ');
                    }
                } else {
                    r.text.push_str(&clean);
                }
                r.x1 = r.x1.max(x_end);
                return;
            }
        }
        if clean.trim().is_empty() {
            return; // a space starting a run carries nothing
        }
        self.runs.push(Run {
            x0: x.min(x_end),
            x1: x.max(x_end),
            y,
            size,
            text: clean,
        });
    }
}

/// The number at `ops[i]`, 0 when it is missing or not a number.
fn operand(ops: &[Obj], i: usize) -> f64 {
    ops.get(i).and_then(|o| o.as_f64()).unwrap_or(0.0)
}

/// The matrix given by the last six operands (at least six are present).
fn last_matrix(ops: &[Obj]) -> Mat {
    let n = ops.len();
    [
        operand(ops, n - 6),
        operand(ops, n - 5),
        operand(ops, n - 4),
        operand(ops, n - 3),
        operand(ops, n - 2),
        operand(ops, n - 1),
    ]
}

/// Adds a token that is not an operator to the operands: numbers, strings, names, a flat
/// array (TJ, dash patterns) or an inline dictionary; anything else clears them.
fn push_operand(
    lx: &mut Lexer<'_>,
    ops: &mut Vec<Obj>,
    t: Tok,
    budget: &mut Budget,
) -> Result<(), ReadError> {
    match t {
        Tok::Int(i) => {
            ops.push(Obj::Int(i));
            if ops.len() > 10_000 {
                ops.clear();
            }
        }
        Tok::Real(r) => ops.push(Obj::Real(r)),
        Tok::Str(s) => ops.push(Obj::Str(s)),
        Tok::Name(n) => ops.push(Obj::Name(n)),
        Tok::ArrOpen => ops.push(Obj::Array(content_array(lx, budget)?)),
        Tok::DictOpen => {
            lx.push_back(Tok::DictOpen);
            let d = parse_obj(lx, 16, budget)?;
            ops.push(d);
        }
        _ => ops.clear(),
    }
    Ok(())
}

/// An array in a content stream (the lexer just after '['): flat and bounded; an operator
/// ends it early and is left for the caller.
fn content_array(lx: &mut Lexer<'_>, budget: &mut Budget) -> Result<Vec<Obj>, ReadError> {
    let mut arr = Vec::new();
    loop {
        budget.tick()?;
        match lx.next() {
            Tok::ArrClose | Tok::Eof => break,
            Tok::Int(i) => arr.push(Obj::Int(i)),
            Tok::Real(r) => arr.push(Obj::Real(r)),
            Tok::Str(s) => arr.push(Obj::Str(s)),
            Tok::Kw(k) => {
                lx.push_back(Tok::Kw(k));
                break;
            }
            _ => {}
        }
        if arr.len() > 100_000 {
            break;
        }
    }
    Ok(arr)
}

/// The graphics and text state while a content stream is interpreted.
struct TextState {
    gs: GState,
    /// Graphics states saved by q.
    stack: Vec<GState>,
    /// The text matrix.
    tm: Mat,
    /// The text line matrix.
    tlm: Mat,
}

impl TextState {
    /// The state at the start of a content stream drawn with the matrix `base`.
    fn new(base: &Mat) -> Self {
        TextState {
            gs: GState {
                ctm: *base,
                font: None,
                size: 0.0,
                tc: 0.0,
                tw: 0.0,
                th: 1.0,
                tl: 0.0,
                rise: 0.0,
            },
            stack: Vec::new(),
            tm: IDENT,
            tlm: IDENT,
        }
    }

    /// Starts a new text line offset by (tx, ty) from the start of the current one.
    fn move_line(&mut self, tx: f64, ty: f64) {
        self.tlm = mul(&[1.0, 0.0, 0.0, 1.0, tx, ty], &self.tlm);
        self.tm = self.tlm;
    }

    /// Starts the next text line (T*), one leading down.
    fn next_line(&mut self) {
        self.move_line(0.0, -self.gs.tl);
    }

    /// Applies a graphics- or text-state operator (q Q cm BT Tc Tw Tz TL Ts Td TD Tm T*)
    /// to the operands `ops`; anything else is ignored. The q stack holds at most
    /// `max_depth` (at least 32) states.
    fn apply(&mut self, op: &[u8], ops: &[Obj], max_depth: usize) {
        let num = |i: usize| operand(ops, i);
        let n = ops.len();
        match op {
            b"q" if self.stack.len() < max_depth.max(32) => {
                self.stack.push(self.gs.clone());
            }
            b"Q" => {
                if let Some(g) = self.stack.pop() {
                    self.gs = g;
                }
            }
            b"cm" if n >= 6 => self.gs.ctm = mul(&last_matrix(ops), &self.gs.ctm),
            b"BT" => {
                self.tm = IDENT;
                self.tlm = IDENT;
            }
            b"Tc" if n >= 1 => self.gs.tc = num(n - 1),
            b"Tw" if n >= 1 => self.gs.tw = num(n - 1),
            b"Tz" if n >= 1 => self.gs.th = num(n - 1) / 100.0,
            b"TL" if n >= 1 => self.gs.tl = num(n - 1),
            b"Ts" if n >= 1 => self.gs.rise = num(n - 1),
            b"Td" if n >= 2 => self.move_line(num(n - 2), num(n - 1)),
            b"TD" if n >= 2 => {
                self.gs.tl = -num(n - 1);
                self.move_line(num(n - 2), num(n - 1));
            }
            b"Tm" if n >= 6 => {
                self.tlm = last_matrix(ops);
                self.tm = self.tlm;
            }
            b"T*" => self.next_line(),
            _ => {}
        }
    }
}

// ================================================================ layout

#[derive(Debug, Clone)]
struct Line {
    x0: f64,
    x1: f64,
    y: f64,
    size: f64,
    text: String,
}

fn runs_to_lines(mut runs: Vec<Run>) -> Vec<Line> {
    runs.sort_by(|a, b| {
        b.y.partial_cmp(&a.y)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.x0.partial_cmp(&b.x0).unwrap_or(std::cmp::Ordering::Equal))
    });
    let mut groups: Vec<Vec<Run>> = Vec::new();
    for r in runs {
        if let Some(g) = groups.last_mut() {
            let ly = g[0].y;
            let ls = g.iter().map(|r| r.size).fold(0.0, f64::max);
            if (ly - r.y).abs() < 0.5 * ls.max(r.size).min(ls.max(1.0) * 2.0) {
                g.push(r);
                continue;
            }
        }
        groups.push(vec![r]);
    }
    let mut lines = Vec::new();
    for mut g in groups {
        g.sort_by(|a, b| a.x0.partial_cmp(&b.x0).unwrap_or(std::cmp::Ordering::Equal));
        let size = g.iter().map(|r| r.size).fold(0.0, f64::max);
        let mut text = String::new();
        let mut prev_x1: Option<f64> = None;
        for r in &g {
            if let Some(px1) = prev_x1 {
                let gap = r.x0 - px1;
                let last = text.chars().last().unwrap_or(' ');
                let next = r.text.chars().next().unwrap_or(' ');
                let cjk = is_cjk(last) && is_cjk(next);
                if ((gap > 0.25 * size && !cjk) || gap > 1.5 * size) && !text.ends_with(' ') {
                    text.push(' ');
                }
            }
            text.push_str(&r.text);
            prev_x1 = Some(prev_x1.map_or(r.x1, |p: f64| p.max(r.x1)));
        }
        let text = super::util::clean_text(&text);
        if text.is_empty() {
            continue;
        }
        lines.push(Line {
            x0: g.iter().map(|r| r.x0).fold(f64::INFINITY, f64::min),
            x1: g.iter().map(|r| r.x1).fold(f64::NEG_INFINITY, f64::max),
            y: g[0].y,
            size,
            text,
        });
    }
    lines
}

/// "- 3 -", "—3—", "3", "第3页", "第 3 页 共 12 页", "3/12", "3 / 12", "Page 3", "Page 3 of 12",
/// "- iii -".
fn is_page_number(s: &str) -> bool {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.trim_matches(|c: char| {
        matches!(
            c,
            '-' | '—' | '–' | '－' | '·' | '•' | '(' | ')' | '（' | '）' | '[' | ']' | '〔' | '〕'
        )
    });
    if t.is_empty() {
        return false;
    }
    let digits = |x: &str| !x.is_empty() && x.len() <= 5 && x.chars().all(|c| c.is_ascii_digit());
    let roman =
        |x: &str| !x.is_empty() && x.len() <= 6 && x.chars().all(|c| "ivxlcIVXLC".contains(c));
    if digits(t) || roman(t) {
        return true;
    }
    if let Some((a, b)) = t.split_once('/') {
        return digits(a) && digits(b);
    }
    let lower = t.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("page") {
        let (a, b) = rest.split_once("of").unwrap_or((rest, ""));
        return digits(a) && (b.is_empty() || digits(b));
    }
    if let Some(rest) = t.strip_prefix('第')
        && let Some((a, b)) = rest.split_once('页')
    {
        let b = b.trim_start_matches(['，', ',']);
        let b_ok = b.is_empty()
            || b.strip_prefix('共')
                .and_then(|x| x.strip_suffix('页'))
                .map(digits)
                .unwrap_or(false);
        return digits(a) && b_ok;
    }
    if let Some(rest) = t.strip_prefix('共') {
        // "共12页 第3页"
        if let Some((a, b)) = rest.split_once('页') {
            return digits(a) && (b.is_empty() || is_page_number(b));
        }
    }
    false
}

fn first_number(s: &str) -> Option<u64> {
    let d: String = s
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    d.parse().ok()
}

fn normalize_running(s: &str) -> String {
    let mut out = String::new();
    let mut last_digit = false;
    for c in s.chars() {
        if c.is_whitespace() {
            continue;
        }
        if c.is_ascii_digit() {
            if !last_digit {
                out.push('#');
            }
            last_digit = true;
        } else {
            out.push(c);
            last_digit = false;
        }
    }
    out
}

struct PageLines {
    lines: Vec<Line>,
    height: f64,
    bottom: f64,
}

/// Removes running headers/footers and page numbers in place.
fn remove_running(pages: &mut [PageLines]) {
    let np = pages.len();
    let zone = |p: &PageLines, l: &Line, top: bool| {
        let h = p.height.max(1.0);
        if top {
            l.y > p.bottom + 0.85 * h
        } else {
            l.y < p.bottom + 0.15 * h
        }
    };
    let mut counts: HashMap<(bool, String), usize> = HashMap::new();
    for p in pages.iter() {
        let n = p.lines.len();
        let mut seen = HashSet::new();
        for (i, l) in p.lines.iter().enumerate() {
            let top = i < 2;
            let bottom = i + 2 >= n;
            for &(is_top, cond) in &[(true, top), (false, bottom)] {
                if cond && zone(p, l, is_top) {
                    let key = (is_top, normalize_running(&l.text));
                    if seen.insert(key.clone()) {
                        *counts.entry(key).or_insert(0) += 1;
                    }
                }
            }
        }
    }
    let threshold = ((np as f64) * 0.4).ceil().max(2.0) as usize;
    for p in pages.iter_mut() {
        let n = p.lines.len();
        let height = p.height;
        let bottom_y = p.bottom;
        let mut keep = vec![true; n];
        for (i, l) in p.lines.iter().enumerate() {
            let first_or_last = i == 0 || i + 1 == n;
            let in_top = i < 2 && l.y > bottom_y + 0.85 * height.max(1.0);
            let in_bottom = i + 2 >= n && l.y < bottom_y + 0.15 * height.max(1.0);
            let plausible = first_number(&l.text).is_none_or(|v| v <= np as u64 + 100);
            if (in_top || in_bottom || first_or_last)
                && is_page_number(&l.text)
                && plausible
                && (in_top || in_bottom || np > 1)
            {
                keep[i] = false;
                continue;
            }
            if np >= 2 {
                for (is_top, cond) in [(true, in_top), (false, in_bottom)] {
                    if cond
                        && counts
                            .get(&(is_top, normalize_running(&l.text)))
                            .copied()
                            .unwrap_or(0)
                            >= threshold
                    {
                        keep[i] = false;
                    }
                }
            }
        }
        let mut k = keep.into_iter();
        p.lines.retain(|_| k.next().unwrap_or(true));
    }
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    Some(v[v.len() / 2])
}

/// Document-wide layout measures for finding paragraph starts.
struct Margins {
    /// Left margin: the most common line start (1pt bins).
    left: f64,
    /// Right edge: the 90th percentile of line ends.
    right: f64,
    /// The median font size.
    body: f64,
    /// How many font sizes short of the right edge a line must end to end a paragraph.
    short_factor: f64,
}

/// Measures the margins, body size and short-line factor over all pages.
fn margins(pages: &[PageLines]) -> Margins {
    let mut bins: HashMap<i64, usize> = HashMap::new();
    let mut x1s = Vec::new();
    let mut sizes = Vec::new();
    for p in pages {
        for l in &p.lines {
            *bins.entry(l.x0.round() as i64).or_insert(0) += 1;
            x1s.push(l.x1);
            sizes.push(l.size);
        }
    }
    let left = bins
        .iter()
        .max_by_key(|(x, c)| (**c, -**x))
        .map(|(x, _)| *x as f64)
        .unwrap_or(0.0);
    x1s.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let right = x1s.get(x1s.len() * 9 / 10).copied().unwrap_or(0.0);
    let body = median(&mut sizes).unwrap_or(12.0);
    // Documents whose paragraphs have a first-line indent: a short previous line is then only
    // a weak cue (ragged-right text, numbers that do not break), so it must be very short.
    let (mut indented, mut total) = (0usize, 0usize);
    for p in pages {
        for l in &p.lines {
            total += 1;
            if l.x0 > left + 0.8 * l.size && l.x0 < left + 3.0 * l.size {
                indented += 1;
            }
        }
    }
    let short_factor = if indented * 33 > total { 4.0 } else { 1.5 };
    Margins {
        left,
        right,
        body,
        short_factor,
    }
}

/// Whether layout says line `l` starts a paragraph, given the line before it (`prev`, on
/// the same page when `same_page`) and the page's usual line spacing.
fn starts_paragraph(
    l: &Line,
    prev: Option<&Line>,
    same_page: bool,
    m: &Margins,
    spacing: f64,
) -> bool {
    let size = l.size.max(1.0);
    let mut starts = prev.is_none();
    if l.x0 > m.left + 0.8 * size {
        starts = true; // first-line indent (or centred)
    }
    if let Some(pl) = prev {
        if pl.x1 < m.right - m.short_factor * size {
            starts = true; // previous line ended short
        }
        if (pl.size - l.size).abs() > 0.15 * size {
            starts = true;
        }
        if same_page && pl.y - l.y > 1.6 * spacing {
            starts = true;
        }
        if pl.x0 > m.left + 0.8 * pl.size
            && pl.x1 < m.right - 1.5 * pl.size
            && l.x0 <= m.left + 0.8 * size
        {
            starts = true; // after a centred/short heading line
        }
    }
    starts
}

/// Turns pages of lines into blocks with `starts`.
fn lines_to_blocks(pages: &[PageLines], budget: &mut Budget) -> Result<Vec<Block>, ReadError> {
    let m = margins(pages);
    let mut blocks = Vec::new();
    let mut loc = 0usize;
    let mut prev: Option<Line> = None;
    for (pi, p) in pages.iter().enumerate() {
        // Usual line spacing on this page.
        let mut gaps: Vec<f64> = p
            .lines
            .windows(2)
            .map(|w| w[0].y - w[1].y)
            .filter(|g| *g > 0.0 && *g < 3.0 * m.body)
            .collect();
        let spacing = median(&mut gaps).unwrap_or(m.body * 1.5);
        for (i, l) in p.lines.iter().enumerate() {
            budget.tick()?;
            loc += 1;
            let starts = starts_paragraph(l, prev.as_ref(), i > 0, &m, spacing);
            blocks.push(Block {
                kind: Kind::Line { starts },
                text: l.text.clone(),
                page: Some(pi as u32 + 1),
                loc,
            });
            prev = Some(l.clone());
        }
    }
    Ok(blocks)
}

// ================================================================ entry point

fn decode_text_string(b: &[u8]) -> String {
    if b.starts_with(&[0xFE, 0xFF]) {
        return utf16be(&b[2..]);
    }
    if b.starts_with(&[0xFF, 0xFE]) {
        return encoding_rs::UTF_16LE
            .decode_without_bom_handling(&b[2..])
            .0
            .into_owned();
    }
    if let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if b.iter().all(|c| *c < 0x80) {
        return String::from_utf8_lossy(b).into_owned();
    }
    if let Ok(s) = std::str::from_utf8(b) {
        return s.to_string();
    }
    // Non-ASCII without BOM: Chinese producers often write GBK here.
    let (s, bad) = encoding_rs::GB18030.decode_without_bom_handling(b);
    if !bad && s.chars().any(is_cjk) {
        return s.into_owned();
    }
    b.iter().filter_map(|&c| pdfdoc_char(c)).collect()
}

fn pdf_date(s: &str) -> String {
    // D:YYYYMMDDHHmmSS…
    let d = s.trim().trim_start_matches("D:");
    let digits: String = d.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.len() >= 8 {
        let mut out = format!("{}-{}-{}", &digits[0..4], &digits[4..6], &digits[6..8]);
        if digits.len() >= 12 {
            out.push_str(&format!("T{}:{}", &digits[8..10], &digits[10..12]));
            if digits.len() >= 14 {
                out.push_str(&format!(":{}", &digits[12..14]));
            }
        }
        return out;
    }
    s.to_string()
}

pub fn read(bytes: &[u8], limits: &Limits) -> Result<Extracted, ReadError> {
    check_input(bytes, limits)?;
    let mut budget = Budget::new(limits);
    let head = &bytes[..bytes.len().min(1024)];
    let Some(hdr) = find_bytes(head, b"%PDF-") else {
        return Err(damaged(FORMAT, "no %PDF- header"));
    };
    let data = &bytes[hdr..];
    let mut doc = Doc::load(data, &mut budget)?;
    if doc.trailer.get(b"Encrypt").is_some_and(|e| *e != Obj::Null) {
        return Err(ReadError::Encrypted);
    }
    let root = doc.dict_get(&doc.trailer.clone(), b"Root", &mut budget)?;
    let Some(root) = root.as_dict().cloned() else {
        return Err(damaged(FORMAT, "no document catalog"));
    };
    let props = read_info(&mut doc, &mut budget)?;
    let pages = collect_pages(&mut doc, &root, &mut budget)?;
    if pages.is_empty() {
        return Err(damaged(FORMAT, "no pages found"));
    }

    let mut interp = Interp::new(&mut doc);
    let mut page_lines = Vec::new();
    for page in &pages {
        budget.check_time()?;
        page_lines.push(interp.page_lines(page, &mut budget)?);
    }
    let stats = std::mem::take(&mut interp.stats);
    check_mapped(&stats)?;
    remove_running(&mut page_lines);
    let blocks = lines_to_blocks(&page_lines, &mut budget)?;
    if blocks
        .iter()
        .all(|b| b.text.chars().all(|c| !c.is_alphanumeric()))
    {
        return Err(ReadError::NoText);
    }
    let mut lost = Vec::new();
    if let Some(l) = super::util::lost_entry(stats.images, super::model::Loss::Image) {
        lost.push(l);
    }
    if let Some(l) = super::util::lost_entry(stats.unmapped, super::model::Loss::Unmapped) {
        lost.push(l);
    }
    Ok(Extracted {
        props,
        blocks,
        lost,
    })
}

/// Props from the trailer's /Info dictionary: Title, Author, Subject, CreationDate.
fn read_info(doc: &mut Doc<'_>, budget: &mut Budget) -> Result<Props, ReadError> {
    let mut props = Props::default();
    if let Some(info) = doc.resolve_dict(doc.trailer.clone().get(b"Info"), budget)? {
        props.title = info_string(doc, &info, b"Title", budget)?;
        props.author = info_string(doc, &info, b"Author", budget)?;
        props.subject = info_string(doc, &info, b"Subject", budget)?;
        props.date = info_string(doc, &info, b"CreationDate", budget)?.map(|d| pdf_date(&d));
    }
    Ok(props)
}

/// A text string of the /Info dictionary; None when absent, empty or not clean text.
fn info_string(
    doc: &mut Doc<'_>,
    info: &Dict,
    key: &[u8],
    budget: &mut Budget,
) -> Result<Option<String>, ReadError> {
    Ok(match doc.dict_get(info, key, budget)? {
        Obj::Str(b) => non_empty(&decode_text_string(&b)).filter(|t| !t.chars().any(is_bad_char)),
        _ => None,
    })
}

/// One page to read: its dictionary, its (possibly inherited) resources and media box.
struct Page {
    dict: Dict,
    resources: Dict,
    mediabox: Vec<f64>,
}

/// A page-tree node still to visit, with what it inherits.
struct PendingNode {
    node: Obj,
    resources: Option<Dict>,
    mediabox: Option<Vec<f64>>,
}

/// The pages in order: the page tree from the catalog's /Pages, walked with an explicit
/// stack and a visited set.
fn collect_pages(
    doc: &mut Doc<'_>,
    root: &Dict,
    budget: &mut Budget,
) -> Result<Vec<Page>, ReadError> {
    let mut pages: Vec<Page> = Vec::new();
    let mut stack = vec![PendingNode {
        node: root.get(b"Pages").cloned().unwrap_or(Obj::Null),
        resources: None,
        mediabox: None,
    }];
    let mut visited = HashSet::new();
    while let Some(p) = stack.pop() {
        budget.tick()?;
        if let Obj::Ref(n, _) = p.node
            && !visited.insert(n)
        {
            continue;
        }
        if stack.len() > 100_000 {
            return Err(too_complex("page tree too large"));
        }
        let Some(d) = doc.resolve(&p.node, budget)?.as_dict().cloned() else {
            continue;
        };
        let resources = doc
            .resolve_dict(d.get(b"Resources"), budget)?
            .or(p.resources);
        let mediabox = match doc.dict_get(&d, b"MediaBox", budget)? {
            Obj::Array(a) if a.len() == 4 => {
                Some(a.iter().map(|x| x.as_f64().unwrap_or(0.0)).collect())
            }
            _ => p.mediabox,
        };
        match doc.dict_get(&d, b"Kids", budget)? {
            Obj::Array(kids) if d.get(b"Type").and_then(|t| t.as_name()) != Some(b"Page") => {
                for k in kids.into_iter().rev() {
                    stack.push(PendingNode {
                        node: k,
                        resources: resources.clone(),
                        mediabox: mediabox.clone(),
                    });
                }
            }
            _ => {
                if pages.len() >= MAX_PAGES {
                    return Err(too_complex(format!("more than {MAX_PAGES} pages")));
                }
                pages.push(Page {
                    dict: d,
                    resources: resources.unwrap_or_default(),
                    mediabox: mediabox.unwrap_or_else(|| vec![0.0, 0.0, 595.0, 842.0]),
                });
            }
        }
    }
    Ok(pages)
}

/// Refuses a document with no glyphs (`NoText`) or with more than 5% of its glyphs
/// without a Unicode mapping (`Unmappable`).
fn check_mapped(stats: &PageStats) -> Result<(), ReadError> {
    if stats.glyphs == 0 {
        return Err(ReadError::NoText);
    }
    if stats.unmapped * 20 > stats.glyphs {
        let mut fonts: Vec<&str> = stats.unmapped_fonts.iter().map(|f| f.as_str()).collect();
        fonts.sort();
        return Err(ReadError::Unmappable {
            detail: format!(
                "{} of {} glyphs have no Unicode mapping (fonts: {})",
                stats.unmapped,
                stats.glyphs,
                fonts.join(", ")
            ),
        });
    }
    Ok(())
}

/// Line geometry of every page (page, x0, x1, y, size, text), for debugging layout problems.
#[doc(hidden)]
pub fn debug_layout(bytes: &[u8]) -> Vec<(usize, f64, f64, f64, f64, String)> {
    let limits = Limits::default();
    let mut budget = Budget::new(&limits);
    let mut out = Vec::new();
    let Ok(mut doc) = Doc::load(bytes, &mut budget) else {
        return out;
    };
    let Ok(root) = doc.dict_get(&doc.trailer.clone(), b"Root", &mut budget) else {
        return out;
    };
    let Some(root) = root.as_dict().cloned() else {
        return out;
    };
    let Ok(Some(pages)) = doc.resolve_dict(root.get(b"Pages"), &mut budget) else {
        return out;
    };
    let Ok(Obj::Array(kids)) = doc.dict_get(&pages, b"Kids", &mut budget) else {
        return out;
    };
    let mut interp = Interp::new(&mut doc);
    for (pi, k) in kids.iter().enumerate() {
        let Ok(Some(pd)) = interp.doc.resolve_dict(Some(k), &mut budget) else {
            continue;
        };
        let res = interp
            .doc
            .resolve_dict(pd.get(b"Resources"), &mut budget)
            .ok()
            .flatten()
            .unwrap_or_default();
        let Ok(Obj::Stream(s)) = interp.doc.dict_get(&pd, b"Contents", &mut budget) else {
            continue;
        };
        let Ok(data) = interp.doc.decode_stream(&s, &mut budget) else {
            continue;
        };
        interp.runs.clear();
        let _ = interp.run_content(&data, &res, &IDENT, 0, &mut Vec::new(), &mut budget);
        for l in runs_to_lines(std::mem::take(&mut interp.runs)) {
            out.push((pi + 1, l.x0, l.x1, l.y, l.size, l.text));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers() {
        for s in [
            "- 3 -",
            "3",
            "第3页",
            "第 3 页 共 12 页",
            "3/12",
            "3 / 12",
            "Page 3",
            "Page 3 of 12",
            "—12—",
            "- iv -",
            "共12页 第3页",
        ] {
            assert!(is_page_number(s), "{s}");
        }
        for s in ["3.5%", "2026年", "第三章", "一、总体要求", "各位代表"] {
            assert!(!is_page_number(s), "{s}");
        }
    }

    #[test]
    fn lexer_basics() {
        let mut b = Budget::new(&Limits::default());
        let mut lx = Lexer::new(b"<< /A 1 0 R /B [1 2.5 (s\\)x) <4142>] /C /N#20x >>", 0);
        let o = parse_obj(&mut lx, 16, &mut b).unwrap();
        let d = o.as_dict().unwrap();
        assert_eq!(d.get(b"A"), Some(&Obj::Ref(1, 0)));
        assert_eq!(
            d.get(b"B"),
            Some(&Obj::Array(vec![
                Obj::Int(1),
                Obj::Real(2.5),
                Obj::Str(b"s)x".to_vec()),
                Obj::Str(b"AB".to_vec())
            ]))
        );
        assert_eq!(d.get(b"C"), Some(&Obj::Name(b"N x".to_vec())));
    }

    #[test]
    fn deep_arrays_are_refused_not_overflowed() {
        let mut b = Budget::new(&Limits::default());
        let s = "[".repeat(100_000);
        let mut lx = Lexer::new(s.as_bytes(), 0);
        assert!(matches!(
            parse_obj(&mut lx, 256, &mut b),
            Err(ReadError::TooComplex { .. })
        ));
    }

    #[test]
    fn cmap_ranges() {
        let mut b = Budget::new(&Limits::default());
        let cm = parse_cmap(b"1 begincodespacerange <0000> <FFFF> endcodespacerange 2 beginbfchar <0003> <0020> <0005> <D835DC00> endbfchar 1 beginbfrange <0010> <0012> <4E00> endbfrange 1 beginbfrange <0020> <0021> [<0041> <00420043>] endbfrange", &mut b).unwrap();
        assert_eq!(cm.lookup(3).as_deref(), Some(" "));
        assert_eq!(cm.lookup(0x11).as_deref(), Some("丁"));
        assert_eq!(cm.lookup(0x5).as_deref(), Some("𝐀"));
        assert_eq!(cm.lookup(0x21).as_deref(), Some("BC"));
        assert_eq!(cm.lookup(0x13), None);
    }

    #[test]
    fn filters() {
        assert_eq!(ascii_hex(b"41 42 4>"), b"AB@");
        assert_eq!(ascii85(b"<~87cURD]i,\"Ebo80~>"), b"Hello World!");
        let mut b = Budget::new(&Limits::default());
        assert_eq!(
            run_length(&[2, b'a', b'b', b'c', 254, b'x', 128], &mut b).unwrap(),
            b"abcxxx"
        );
    }
}
