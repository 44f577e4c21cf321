//! Turns reader blocks into *units*: the paragraphs the rest of the pipeline classifies.
//!
//! - Page furniture is removed first, per block: page-number lines anywhere, and running
//!   headers/footers (the same short line, digits ignored, at the top or bottom of at least
//!   three pages and a third of all pages; the first page's copy is left to the front-matter
//!   rules because it is often the title).
//! - `Kind::Line` blocks (PDF lines) are joined into paragraphs. A new paragraph starts when
//!   the reader says so (`starts`), or the previous line ended a sentence (。！？； or a closing
//!   quote after one) and this line starts with numbering, a dash bullet or an indent, or the
//!   previous line ended a sentence and was visibly short, or the previous paragraph is a
//!   single short numbered heading line. At a page break a `starts` is ignored when the
//!   previous line ran to full width without ending a sentence and this line is not numbered
//!   (the paragraph continues on the next page). Lines are joined with no separator, except
//!   one space between two Latin/ASCII words.
//! - Other blocks stay one unit each: Paragraph blocks are never joined (text copied from web
//!   pages gives one paragraph per line). The only exception is a block that is just an
//!   opening bracket/quote or a bare numbering marker ("（", "三、"), which belongs to the next
//!   block and is prefixed to it.
//!
//! It deliberately does not classify content (headings, salutations…): see `structure`.

use std::collections::HashMap;

use super::Dropped;
use super::chars::{clen, ends_sentence, is_space, trim};
use super::numbering::{self, Style};
use super::rules;
use crate::knowledge::format::model::{Block, Kind};

/// What a unit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitKind {
    Para,
    Lines,
    Heading(u8),
    Table,
    List,
}

/// One paragraph-sized piece of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    pub text: String,
    pub loc: usize,
    pub page: Option<u32>,
    pub kind: UnitKind,
}

/// Drops made while building units: (loc, text, why).
pub(crate) type Drops = Vec<(usize, String, Dropped)>;

/// Mark page numbers and running headers/footers. Returns one flag per block.
fn page_furniture(blocks: &[Block]) -> Vec<Option<Dropped>> {
    let mut out: Vec<Option<Dropped>> = vec![None; blocks.len()];
    for (i, b) in blocks.iter().enumerate() {
        if rules::is_page_number(&b.text) {
            out[i] = Some(Dropped::PageNumber);
        }
    }
    // Edge positions: the first two and last two blocks of each run of one page.
    let mut edge = vec![false; blocks.len()];
    let mut first_page: Option<u32> = None;
    let mut pages_seen = 0usize;
    let mut i = 0;
    while i < blocks.len() {
        let Some(p) = blocks[i].page else {
            i += 1;
            continue;
        };
        if first_page.is_none() {
            first_page = Some(p);
        }
        let start = i;
        let mut j = i;
        while j < blocks.len() && blocks[j].page == Some(p) {
            j += 1;
        }
        pages_seen += 1;
        // Only count non-furniture blocks when finding the edges.
        let content: Vec<usize> = (start..j).filter(|&k| out[k].is_none()).collect();
        for (n, &k) in content.iter().enumerate() {
            if n < 2 || n + 2 >= content.len() {
                edge[k] = true;
            }
        }
        i = j;
    }
    if pages_seen < 3 {
        return out;
    }
    let key = |s: &str| -> String {
        s.chars()
            .filter(|c| !is_space(*c))
            .map(|c| {
                if super::chars::digit(c).is_some() {
                    '#'
                } else {
                    c
                }
            })
            .collect()
    };
    // key -> (distinct pages, last page)
    let mut counts: HashMap<String, (usize, u32)> = HashMap::new();
    for (k, b) in blocks.iter().enumerate() {
        if !edge[k] || out[k].is_some() || clen(&b.text) > 40 {
            continue;
        }
        let Some(p) = b.page else { continue };
        let e = counts.entry(key(&b.text)).or_insert((0, u32::MAX));
        if e.1 != p {
            e.0 += 1;
            e.1 = p;
        }
    }
    for (k, b) in blocks.iter().enumerate() {
        if !edge[k] || out[k].is_some() || clen(&b.text) > 40 || b.page == first_page {
            continue;
        }
        if let Some((n, _)) = counts.get(&key(&b.text))
            && *n >= 3
            && n * 3 >= pages_seen
        {
            out[k] = Some(Dropped::RunningHeader);
        }
    }
    out
}

/// The typical full line width (chars) of Line blocks: the 90th percentile of lines of at
/// least 8 chars. None when there are too few lines to tell.
fn typical_width(blocks: &[Block], furniture: &[Option<Dropped>]) -> Option<usize> {
    let mut hist = [0usize; 301];
    let mut total = 0usize;
    for (b, f) in blocks.iter().zip(furniture) {
        if matches!(b.kind, Kind::Line { .. }) && f.is_none() {
            let n = clen(trim(&b.text)).min(300);
            if n >= 8 {
                hist[n] += 1;
                total += 1;
            }
        }
    }
    if total < 5 {
        return None;
    }
    let target = total - total / 10;
    let mut acc = 0;
    for (n, h) in hist.iter().enumerate() {
        acc += h;
        if acc >= target {
            return Some(n);
        }
    }
    None
}

/// ASCII word character for the join rule.
fn latinish(c: char) -> bool {
    c.is_ascii_graphic()
}

/// Append a PDF line to a paragraph: no separator between CJK text, one space between two
/// Latin/ASCII words (not after a hyphen).
fn join_line(buf: &mut String, next: &str) {
    if let (Some(a), Some(b)) = (buf.chars().last(), next.chars().next())
        && latinish(a)
        && latinish(b)
        && a != '-'
        && (a.is_ascii_alphanumeric() || matches!(a, ',' | '.' | ';' | ':' | '!' | '?' | ')' | '%'))
        && (b.is_ascii_alphanumeric() || b == '(')
    {
        buf.push(' ');
    }
    buf.push_str(next);
}

/// Signals that a line begins a new item: block-level numbering (第一部分, 一、, （一）, 1.,
/// ［1］), a dash bullet, a salutation. The enumerations that run inside paragraphs (一是,
/// 第一，, （1）, ①) are no signal on their own: "…工作。一是…" often falls at a line start.
fn begins_item(t: &str) -> bool {
    let block_level = numbering::parse(t).is_some_and(|m| {
        !matches!(
            m.style,
            Style::CnShi
                | Style::CnYao
                | Style::DiYi
                | Style::ArabicParen
                | Style::ArabicHalfParen
                | Style::Circled
        )
    });
    block_level || t.starts_with("——") || rules::salutation_len(t).is_some()
}

/// The paragraph being joined from PDF lines.
struct Buf {
    text: String,
    loc: usize,
    page: Option<u32>,
    last_page: Option<u32>,
    last_len: usize,
    lines: usize,
}

/// Why a lone opener or bare marker that found nothing to attach to is dropped.
fn lone_reason(text: &str) -> Dropped {
    if rules::is_lone_opener(text) {
        Dropped::Punctuation
    } else {
        Dropped::BareNumber
    }
}

/// The state of `build`: units made so far, drops, the PDF paragraph being joined and a
/// lone opener or marker waiting for the next block.
struct Builder {
    width: Option<usize>,
    units: Vec<Unit>,
    drops: Drops,
    buf: Option<Buf>,
    /// A lone "（" or "三、" block: (text, loc, page).
    carry: Option<(String, usize, Option<u32>)>,
}

impl Builder {
    /// An empty builder for `n` blocks whose typical line width is `width`.
    fn new(n: usize, width: Option<usize>) -> Self {
        Builder {
            width,
            units: Vec::with_capacity(n),
            drops: Vec::new(),
            buf: None,
            carry: None,
        }
    }

    /// Emit the PDF paragraph being joined, if any, as a unit.
    fn flush(&mut self) {
        if let Some(b) = self.buf.take() {
            self.units.push(Unit {
                text: b.text,
                loc: b.loc,
                page: b.page,
                kind: UnitKind::Lines,
            });
        }
    }

    /// Drop the waiting lone opener or marker, if any: nothing followed to take it.
    fn drop_carry(&mut self) {
        if let Some((c, cl, _)) = self.carry.take() {
            let why = lone_reason(&c);
            self.drops.push((cl, c, why));
        }
    }

    /// Whether PDF line `t` of block `b` starts a new paragraph rather than continuing the
    /// one being joined.
    fn starts_paragraph(&self, b: &Block, t: &str, starts: bool) -> bool {
        let Some(p) = &self.buf else { return true };
        let indent = b.text.starts_with(is_space);
        let prev_end = ends_sentence(&p.text);
        let prev_full = self.width.is_none_or(|w| p.last_len * 10 >= w * 8);
        let numbered = begins_item(t);
        let page_change = b.page.is_some() && p.last_page.is_some() && b.page != p.last_page;
        let heading_prev =
            p.lines == 1 && !prev_end && !prev_full && numbering::parse(&p.text).is_some();
        // A single numbered line (a heading) is not continued on the next page.
        let one_item_line = p.lines == 1 && begins_item(&p.text);
        if page_change && starts && prev_full && !prev_end && !numbered && !indent && !one_item_line
        {
            false
        } else {
            starts || heading_prev || (prev_end && (numbered || indent || !prev_full))
        }
    }

    /// Add a PDF line (`t` is block `b`'s trimmed text): start a paragraph or join it to the
    /// current one.
    fn line(&mut self, b: &Block, t: &str, starts: bool) {
        self.drop_carry();
        let n = clen(t);
        if self.starts_paragraph(b, t, starts) {
            self.flush();
            self.buf = Some(Buf {
                text: t.to_string(),
                loc: b.loc,
                page: b.page,
                last_page: b.page,
                last_len: n,
                lines: 1,
            });
        } else if let Some(p) = self.buf.as_mut() {
            join_line(&mut p.text, t);
            p.last_page = b.page.or(p.last_page);
            p.last_len = n;
            p.lines += 1;
        }
    }

    /// Add a block that is not a PDF line (`t` is its trimmed text): one unit, unless it is a
    /// lone opener or marker, which waits to be prefixed to the next block.
    fn block(&mut self, b: &Block, t: &str) {
        self.flush();
        let kind = match b.kind {
            Kind::Heading(l) => UnitKind::Heading(l.clamp(1, 6)),
            Kind::TableRow => UnitKind::Table,
            Kind::ListItem => UnitKind::List,
            _ => UnitKind::Para,
        };
        let is_carry = matches!(kind, UnitKind::Para | UnitKind::List | UnitKind::Heading(_))
            && (rules::is_lone_opener(t) || rules::is_bare_number(t));
        if is_carry {
            self.drop_carry();
            self.carry = Some((t.to_string(), b.loc, b.page));
            return;
        }
        // The merged unit keeps the main block's loc and page.
        let text = match self.carry.take() {
            Some((c, _, _)) => {
                let mut s = c;
                s.push_str(t);
                s
            }
            None => t.to_string(),
        };
        self.units.push(Unit {
            text,
            loc: b.loc,
            page: b.page,
            kind,
        });
    }

    /// Flush what is pending and attach lone openers left among the joined lines.
    fn finish(mut self) -> (Vec<Unit>, Drops) {
        self.flush();
        self.drop_carry();
        let mut drops = self.drops;
        (attach_openers(self.units, &mut drops), drops)
    }
}

/// Build units from blocks.
pub(crate) fn build(blocks: &[Block]) -> (Vec<Unit>, Drops) {
    let furniture = page_furniture(blocks);
    let width = typical_width(blocks, &furniture);
    let mut builder = Builder::new(blocks.len(), width);
    for (b, why) in blocks.iter().zip(&furniture) {
        if let Some(why) = *why {
            builder.drops.push((b.loc, b.text.clone(), why));
            continue;
        }
        let t = trim(&b.text);
        if t.is_empty() {
            continue;
        }
        match b.kind {
            Kind::Line { starts } => builder.line(b, t, starts),
            _ => builder.block(b, t),
        }
    }
    builder.finish()
}

/// Joined PDF lines can also leave a lone "（" or "三、" as a paragraph of its own: prefix it to
/// the next unit, as for other blocks.
fn attach_openers(units: Vec<Unit>, drops: &mut Drops) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::with_capacity(units.len());
    let mut carry: Option<Unit> = None;
    for u in units {
        let lone = u.kind == UnitKind::Lines
            && (rules::is_lone_opener(&u.text) || rules::is_bare_number(&u.text));
        if lone {
            if let Some(c) = carry.replace(u) {
                let why = lone_reason(&c.text);
                drops.push((c.loc, c.text, why));
            }
            continue;
        }
        match carry.take() {
            Some(c) if u.kind != UnitKind::Table => {
                let mut text = c.text;
                text.push_str(&u.text);
                out.push(Unit { text, ..u });
            }
            Some(c) => {
                out.push(c);
                out.push(u);
            }
            None => out.push(u),
        }
    }
    if let Some(c) = carry {
        let why = lone_reason(&c.text);
        drops.push((c.loc, c.text, why));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, starts: bool, page: u32, loc: usize) -> Block {
        Block {
            kind: Kind::Line { starts },
            text: text.to_string(),
            page: Some(page),
            loc,
        }
    }

    #[test]
    fn joins_cjk_without_space_and_latin_with_space() {
        let b = vec![
            line("我们坚持以人民为中心，推动", true, 1, 1),
            line("高质量发展，PM2.5浓度下降，Essential", false, 1, 2),
            line("Science Indicators。", false, 1, 3),
        ];
        let (u, _) = build(&b);
        assert_eq!(u.len(), 1);
        assert_eq!(
            u[0].text,
            "我们坚持以人民为中心，推动高质量发展，PM2.5浓度下降，Essential Science Indicators。"
        );
    }

    #[test]
    fn sentence_end_and_numbering_starts_paragraph() {
        let b = vec![
            line("第一段结束了。", true, 1, 1),
            line("（一）第二段", false, 1, 2),
            line("继续。", false, 1, 3),
        ];
        let (u, _) = build(&b);
        assert_eq!(u.len(), 2);
        assert_eq!(u[1].text, "（一）第二段继续。");
    }

    #[test]
    fn lone_opener_is_prefixed() {
        let p = |t: &str, loc| Block {
            kind: Kind::Paragraph,
            text: t.into(),
            page: None,
            loc,
        };
        let (u, d) = build(&[p("（", 1), p("三）改革开放持续深化。", 2)]);
        assert_eq!(u[0].text, "（三）改革开放持续深化。");
        assert_eq!(u[0].loc, 2);
        assert!(d.is_empty());
    }
}
