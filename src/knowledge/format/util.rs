//! Helpers shared by the readers: the per-read budget (time, inflated bytes, text characters),
//! bounded decompression, text normalisation, and small byte/encoding utilities.
//! It deliberately holds no format knowledge: each reader decides what its limits mean.

use std::io::Read;
use std::time::Instant;

use super::model::{Block, Kind, Limits, Loss, Lost, ReadError};

/// Everything one read may spend. Every reader creates one at its entry point and threads it
/// through its loops; `tick` is cheap enough to call per token/event.
pub(crate) struct Budget {
    start: Instant,
    pub(crate) limits: Limits,
    inflated: usize,
    chars: usize,
    elements: usize,
    ticks: u32,
}

/// Most parsed elements (PDF objects' array/dictionary entries) kept in memory per read.
const MAX_ELEMENTS: usize = 2_000_000;

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Budget {
        Budget {
            start: Instant::now(),
            limits: *limits,
            inflated: 0,
            chars: 0,
            elements: 0,
            ticks: 0,
        }
    }

    /// Checks the clock every 1024 calls.
    #[inline]
    pub(crate) fn tick(&mut self) -> Result<(), ReadError> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks & 0x3FF == 0 {
            self.check_time()
        } else {
            Ok(())
        }
    }

    pub(crate) fn check_time(&self) -> Result<(), ReadError> {
        let ms = self.start.elapsed().as_millis();
        if ms > self.limits.max_millis as u128 {
            return Err(too_complex(format!(
                "time budget of {} ms exceeded",
                self.limits.max_millis
            )));
        }
        Ok(())
    }

    /// Records `n` more decompressed bytes; fails once the total passes the limit.
    pub(crate) fn add_inflated(&mut self, n: usize) -> Result<(), ReadError> {
        self.inflated = self.inflated.saturating_add(n);
        if self.inflated > self.limits.max_inflated_bytes {
            return Err(too_complex(format!(
                "more than {} bytes after decompression",
                self.limits.max_inflated_bytes
            )));
        }
        Ok(())
    }

    pub(crate) fn inflated_left(&self) -> usize {
        self.limits.max_inflated_bytes.saturating_sub(self.inflated)
    }

    /// Records `n` more characters of extracted text.
    pub(crate) fn add_chars(&mut self, n: usize) -> Result<(), ReadError> {
        self.chars = self.chars.saturating_add(n);
        if self.chars > self.limits.max_text_chars {
            return Err(too_complex(format!(
                "more than {} characters of text",
                self.limits.max_text_chars
            )));
        }
        Ok(())
    }

    /// Records one more parsed element kept in memory (bounds what a file of tiny tokens can
    /// make us allocate).
    #[inline]
    pub(crate) fn add_element(&mut self) -> Result<(), ReadError> {
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(too_complex(format!(
                "more than {MAX_ELEMENTS} parsed elements"
            )));
        }
        Ok(())
    }

    pub(crate) fn max_depth(&self) -> usize {
        self.limits.max_depth
    }
}

pub(crate) fn too_complex(detail: impl Into<String>) -> ReadError {
    ReadError::TooComplex {
        detail: detail.into(),
    }
}

pub(crate) fn damaged(format: &'static str, detail: impl Into<String>) -> ReadError {
    ReadError::Damaged {
        format,
        detail: detail.into(),
    }
}

/// Checks the input size against the limit (first thing every reader does).
pub(crate) fn check_input(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(too_complex(format!(
            "input of {} bytes is larger than the limit of {} bytes",
            bytes.len(),
            limits.max_input_bytes
        )));
    }
    Ok(())
}

/// Reads `r` to the end, counting every byte against the budget, in chunks, checking the clock.
/// Never trusts any declared size: the only allocation is what actually came out.
pub(crate) fn read_limited<R: Read>(
    mut r: R,
    budget: &mut Budget,
    format: &'static str,
) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        budget.check_time()?;
        let n = match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(map_io(e, format)),
        };
        budget.add_inflated(n)?;
        out.extend_from_slice(&chunk[..n]);
    }
    Ok(out)
}

/// An io::Error carrying a ReadError (used by `LimitedReader` so that a limit hit deep inside
/// a streaming parser comes back out as the right variant).
#[derive(Debug)]
pub(crate) struct LimitHit(pub ReadError);
impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::error::Error for LimitHit {}

pub(crate) fn map_io(e: std::io::Error, format: &'static str) -> ReadError {
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<LimitHit>()) {
        return inner.0.clone();
    }
    damaged(format, e.to_string())
}

/// Inflates a zlib (or, failing the header check, raw deflate) stream, bounded by the budget.
/// Lenient like PDF viewers: a stream that is truncated or has a bad checksum yields what was
/// decoded before the fault; an error only if nothing at all could be decoded.
pub(crate) fn inflate(data: &[u8], budget: &mut Budget) -> Result<Vec<u8>, ReadError> {
    let zlib = data.len() >= 2
        && (data[0] & 0x0F) == 8
        && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0;
    let mut d = flate2::Decompress::new(zlib);
    let mut out: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut rounds = 0u32;
    loop {
        rounds += 1;
        if rounds & 0x0F == 0 {
            budget.check_time()?;
        }
        let in_before = d.total_in() as usize;
        let out_before = d.total_out();
        let input = data.get(in_before..).unwrap_or(&[]);
        let status = d.decompress(input, &mut chunk, flate2::FlushDecompress::None);
        let produced = (d.total_out() - out_before) as usize;
        if produced > 0 {
            budget.add_inflated(produced)?;
            out.extend_from_slice(&chunk[..produced]);
        }
        match status {
            Ok(flate2::Status::StreamEnd) => break,
            Ok(_) => {
                let consumed = d.total_in() as usize - in_before;
                if consumed == 0 && produced == 0 {
                    break; // no progress: input exhausted (truncated stream)
                }
            }
            Err(_) => break,
        }
    }
    if out.is_empty() && !data.is_empty() {
        // Maybe the header check misfired; try the other mode once.
        if zlib {
            let mut d = flate2::Decompress::new(false);
            let mut buf = vec![0u8; 64 * 1024];
            if d.decompress(data, &mut buf, flate2::FlushDecompress::None)
                .is_ok()
            {
                let n = d.total_out() as usize;
                if n > 0 {
                    budget.add_inflated(n)?;
                    buf.truncate(n);
                    return Ok(buf);
                }
            }
        }
        return Err(damaged("pdf", "deflate stream could not be decoded"));
    }
    Ok(out)
}

/// Normalises a block's text: removes control and zero-width characters, collapses runs of
/// whitespace (a run made only of ideographic spaces stays one U+3000, any other run becomes
/// one ASCII space) and trims both ends.
pub(crate) fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending: Option<char> = None; // whitespace run so far: Some(' ') or Some('\u{3000}')
    for c in s.chars() {
        if matches!(
            c,
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
        ) {
            continue;
        }
        if c.is_whitespace() {
            pending = Some(match (pending, c) {
                (None, '\u{3000}') => '\u{3000}',
                (Some('\u{3000}'), '\u{3000}') => '\u{3000}',
                _ => ' ',
            });
            continue;
        }
        if c.is_control() {
            continue;
        }
        if let Some(p) = pending.take()
            && !out.is_empty()
        {
            out.push(p);
        }
        out.push(c);
    }
    out
}

/// True for characters of CJK scripts and CJK punctuation/full-width forms: between two such
/// characters a line break carries no space.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3100..=0x312F | 0x3190..=0x31FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF
        | 0x2014 | 0x2018 | 0x2019 | 0x201C | 0x201D | 0x2026 | 0x00B7)
}

/// Joins two pieces of text separated by a soft line break: no space between CJK text,
/// one space otherwise.
pub(crate) fn join_soft(a: &mut String, b: &str) {
    let b = b.trim_start();
    if b.is_empty() {
        return;
    }
    let ta = a.trim_end().len();
    a.truncate(ta);
    if let (Some(x), Some(y)) = (a.chars().last(), b.chars().next())
        && !(is_cjk(x) || is_cjk(y))
    {
        a.push(' ');
    }
    a.push_str(b);
}

/// Characters that must never pass as text: private-use, replacement, noncharacters, C0/C1
/// controls other than whitespace, unpaired surrogates (cannot occur in `char`).
pub(crate) fn is_bad_char(c: char) -> bool {
    let u = c as u32;
    (0xE000..=0xF8FF).contains(&u)
        || u >= 0xF0000
        || u == 0xFFFD
        || (0xFDD0..=0xFDEF).contains(&u)
        || (u & 0xFFFE) == 0xFFFE
        || (c.is_control() && !c.is_whitespace())
}

/// Most blocks one file may give (a long report has a few thousand).
pub(crate) const MAX_BLOCKS: usize = 500_000;

/// Pushes a block if its cleaned text is non-empty, counting characters against the budget.
pub(crate) fn push_block(
    blocks: &mut Vec<Block>,
    budget: &mut Budget,
    kind: Kind,
    text: &str,
    page: Option<u32>,
    loc: usize,
) -> Result<(), ReadError> {
    let text = clean_text(text);
    if text.is_empty() {
        return Ok(());
    }
    if blocks.len() >= MAX_BLOCKS {
        return Err(too_complex(format!("more than {MAX_BLOCKS} blocks")));
    }
    budget.add_chars(text.chars().count())?;
    blocks.push(Block {
        kind,
        text,
        page,
        loc,
    });
    Ok(())
}

/// None for empty (after trimming) strings, as the model asks.
pub(crate) fn non_empty(s: &str) -> Option<String> {
    let t = clean_text(s);
    if t.is_empty() { None } else { Some(t) }
}

pub(crate) fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn rfind_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// An entry of `Extracted::lost`, when there is anything lost.
pub(crate) fn lost_entry(count: usize, what: Loss) -> Option<Lost> {
    (count > 0).then_some(Lost { what, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_collapses() {
        assert_eq!(clean_text("  a \t\n b  "), "a b");
        assert_eq!(clean_text("　　各位代表："), "各位代表：");
        assert_eq!(clean_text("省长　王予波"), "省长　王予波");
        assert_eq!(clean_text("a\u{200B}b"), "ab");
    }

    #[test]
    fn soft_join() {
        let mut a = String::from("政府工作");
        join_soft(&mut a, "报告");
        assert_eq!(a, "政府工作报告");
        let mut a = String::from("hello");
        join_soft(&mut a, "world");
        assert_eq!(a, "hello world");
    }

    #[test]
    fn inflate_bounded() {
        use std::io::Write;
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&vec![b'a'; 1_000_000]).unwrap();
        let z = e.finish().unwrap();
        let lim = Limits {
            max_inflated_bytes: 100_000,
            ..Limits::default()
        };
        let mut b = Budget::new(&lim);
        assert!(matches!(
            inflate(&z, &mut b),
            Err(ReadError::TooComplex { .. })
        ));
        let mut b = Budget::new(&Limits::default());
        assert_eq!(inflate(&z, &mut b).unwrap().len(), 1_000_000);
        // truncated: lenient
        let mut b = Budget::new(&Limits::default());
        assert!(!inflate(&z[..z.len() / 2], &mut b).unwrap().is_empty());
    }
}
