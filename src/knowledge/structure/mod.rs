//! The shared step after the format readers: turns a file's blocks into the report's
//! STRUCTURE — paragraphs with their section paths — and reports every line it drops as not
//! content, with the reason.
//!
//! Pipeline (every pass is linear in the input; no recursion):
//! 1. `units`: page numbers and running headers/footers removed, PDF lines joined into
//!    paragraphs, a lone "（" or "三、" prefixed to the next block.
//! 2. `front`: the title, ——date/meeting line, speaker line and the salutation that opens the
//!    body; everything before the salutation is front matter.
//! 3. Classification of each unit: chrome (salutations, the procedural opening, menus,
//!    breadcrumbs, source/time lines, captions, page numbers, table of contents,
//!    punctuation-only lines, the "相关报道" list and all after it) is dropped; the rest is a
//!    heading, a numbered paragraph with a lead sentence, or a paragraph.
//! 4. Sections: numbering forms nest by the relations seen so far in the document and, for a
//!    form not yet related, by the GB/T 9704 order 第一部分 > 一、 > （一） > 1. > （1） > ①; forms
//!    with no conventional rank (一是, 第一，, un-numbered short titles) nest under what is open.
//!    A numbered heading that has nothing under it before its next sibling is a list item and
//!    stays a paragraph. A numbered paragraph's first sentence opens its section; an
//!    un-numbered paragraph's short lead sentence (≤ 20 chars before 。, no comma) is its own
//!    innermost section only; a short one-sentence line ("产业结构持续优化。") heads the
//!    paragraph after it. A salutation inside the body ("各位代表！") closes every section below
//!    the outermost one: the speaker is turning to a new part.
//!
//! It deliberately does not read metadata (see `meta`), does not split or merge paragraph
//! blocks other than PDF lines, and never rewrites text except removing a leading salutation.

mod chars;
mod front;
pub mod meta;
pub mod numbering;
mod rules;
mod units;

use serde::{Deserialize, Serialize};

use crate::knowledge::format::model::Block;
pub(crate) use crate::text::years_in;
use chars::{
    cap_title, clen, ends_sentence, first_sentence, is_cjk, is_full_stop, strip_leading_dashes,
    trim,
};
use front::Front;
pub use meta::{Area, Body, DerivedMeta, Level, derive, derive_with};
use numbering::{Marker, Style};
use rules::AnnexKind;
use units::{Unit, UnitKind};

/// The structure of one report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Structured {
    pub paragraphs: Vec<Para>,
    /// Lines that are not content: (loc, text, why).
    pub dropped: Vec<(usize, String, Dropped)>,
}

/// One paragraph of content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Para {
    /// Section titles from the outermost in, numbering kept ("三、2026年重点工作安排").
    pub section: Vec<String>,
    pub text: String,
    pub page: Option<u32>,
    /// `loc` of the first block of the paragraph.
    pub loc: usize,
    pub kind: ParaKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParaKind {
    Body,
    Table,
    List,
}

/// Why a line is not content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dropped {
    /// 各位代表： / 同志们： (alone, or the leading salutation of a paragraph).
    Salutation,
    /// 现在，我代表…向大会报告工作，请予审议…
    Procedural,
    /// 相关报道： / 相关链接 and everything after it.
    Related,
    /// 来源：… / 时间：… / 发布时间：… / 责任编辑：… and a bare date-time.
    Source,
    /// Web menu words: 下载 打印 全屏 收藏 分享 关闭 【字号：…】…
    Menu,
    /// 当前位置：首页 > …
    Breadcrumb,
    /// "- 3 -", "3", "第3页".
    PageNumber,
    /// The same short line at the top or bottom of many pages.
    RunningHeader,
    /// The title line (it goes to metadata).
    Title,
    /// The ——date/meeting line (it goes to metadata).
    DateMeeting,
    /// The speaker line (it goes to metadata).
    Speaker,
    /// A photo caption ("…作政府工作报告。本报记者 某某摄").
    Caption,
    /// Only punctuation or symbols.
    Punctuation,
    /// 目录 and its entries.
    TableOfContents,
    /// Other lines of the front matter before the salutation.
    FrontMatter,
    /// A numbering marker with no text and nothing to attach to.
    BareNumber,
}

/// Turn blocks into paragraphs with section paths.
pub fn structure(blocks: &[Block]) -> Structured {
    analyze(blocks).structured
}

/// Everything the analysis found, for `meta`.
pub(crate) struct Analysis {
    pub units: Vec<Unit>,
    pub front: Front,
    pub structured: Structured,
    /// Every section opened: (loc, title).
    pub headings: Vec<(usize, String)>,
}

// ---------------------------------------------------------------------------------------
// Section keys and the open-section stack.

const ANNEX: usize = 0;
const fn num_key(s: Style) -> usize {
    1 + s as usize
}
const H_BASE: usize = 1 + Style::ALL.len();
const PLAIN: usize = H_BASE + 6;
const LEAD: usize = PLAIN + 1;
const NKEYS: usize = LEAD + 1;

fn h_key(level: u8) -> usize {
    H_BASE + (level.clamp(1, 6) as usize - 1)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Canon {
    Top(u32),
    Num(u32),
    H(usize),
    Lead,
    Free,
}

fn canon(id: usize) -> Canon {
    if id == ANNEX {
        return Canon::Top(0);
    }
    if id == LEAD {
        return Canon::Lead;
    }
    if id == PLAIN {
        return Canon::Free;
    }
    if id >= H_BASE {
        return Canon::H(id - H_BASE);
    }
    let s = Style::ALL[id - 1];
    match s.canonical() {
        Some(c) if s.is_top() => Canon::Top(c),
        Some(c) => Canon::Num(c),
        None => Canon::Free,
    }
}

fn canon_above(a: usize, b: usize) -> Option<bool> {
    match (canon(a), canon(b)) {
        (Canon::Lead, _) => Some(false),
        (_, Canon::Lead) => Some(true),
        (Canon::Top(x), Canon::Top(y)) => Some(x < y),
        (Canon::Top(_), _) => Some(true),
        (_, Canon::Top(_)) => Some(false),
        (Canon::Num(x), Canon::Num(y)) => Some(x < y),
        (Canon::H(x), Canon::H(y)) => Some(x < y),
        _ => None,
    }
}

struct Sections {
    stack: Vec<(usize, String)>,
    above: Vec<[bool; NKEYS]>,
    alias: [usize; NKEYS],
}

impl Sections {
    fn new() -> Self {
        let mut alias = [0; NKEYS];
        for (i, a) in alias.iter_mut().enumerate() {
            *a = i;
        }
        Sections {
            stack: Vec::new(),
            above: vec![[false; NKEYS]; NKEYS],
            alias,
        }
    }

    /// A file heading level whose text carries numbering: the two are one level.
    fn unify(&mut self, h: usize, num: usize) {
        if self.alias[h] == h && self.alias[num] == num {
            self.alias[h] = num;
        }
    }

    fn is_above(&self, x: usize, y: usize) -> bool {
        self.above[x][y] || (!self.above[y][x] && canon_above(x, y) == Some(true))
    }

    /// Open a section; returns its depth.
    fn push(&mut self, key: usize, title: String) -> usize {
        let id = self.alias[key];
        if id != LEAD {
            while self.stack.last().is_some_and(|e| e.0 == LEAD) {
                self.stack.pop();
            }
        }
        if let Some(pos) = self.stack.iter().position(|e| e.0 == id) {
            self.stack.truncate(pos);
        } else if let Some(pos) = self.stack.iter().position(|e| self.is_above(id, e.0)) {
            self.stack.truncate(pos);
        }
        if id != LEAD {
            for k in 0..self.stack.len() {
                let e = self.stack[k].0;
                if e != LEAD && !self.above[id][e] {
                    self.above[e][id] = true;
                }
            }
        }
        self.stack.push((id, title));
        self.stack.len() - 1
    }

    fn top_is_lead(&self) -> bool {
        self.stack.last().is_some_and(|e| e.0 == LEAD)
    }

    fn pop_lead(&mut self) {
        while self.top_is_lead() {
            self.stack.pop();
        }
    }

    /// Close every section below the outermost one.
    fn close_inner(&mut self) {
        self.stack.truncate(1);
        while self.stack.last().is_some_and(|e| e.0 == LEAD) {
            self.stack.pop();
        }
    }

    fn path(&self) -> Vec<String> {
        self.stack.iter().map(|e| e.1.clone()).collect()
    }
}

// ---------------------------------------------------------------------------------------
// Classification.

#[derive(Debug, Clone)]
enum What {
    /// A heading; `convertible` when it may turn out to be a list item (numbered, plain or
    /// lead headings, not file headings or annexes).
    Head {
        key: usize,
        alias_of: Option<usize>,
        title: String,
        convertible: bool,
    },
    /// A paragraph, possibly opening a section (a numbered paragraph's lead sentence), or
    /// with an inline lead sentence as its innermost section.
    Para {
        kind: ParaKind,
        open: Option<(usize, String)>,
        lead: Option<String>,
    },
    /// A salutation in the body ("各位代表！"): the speaker turns to a new part, so the sections
    /// below the outermost one are closed.
    Break,
}

#[derive(Debug, Clone)]
struct Item {
    unit: usize,
    text: String,
    what: What,
}

const TITLE_MAX: usize = 60;

/// A numbered block: a heading when it is one short sentence at most, else a paragraph whose
/// first sentence is the section title.
fn numbered(t: &str, m: Marker) -> What {
    let key = num_key(m.style);
    let rest = &t[m.rest..];
    let n = clen(t);
    let stop = rest
        .char_indices()
        .find(|(_, c)| is_full_stop(*c))
        .map(|(i, _)| i);
    let single = match stop {
        None => true,
        Some(i) => rest[i..]
            .chars()
            .all(|c| is_full_stop(c) || chars::is_closer(c) || chars::is_space(c)),
    };
    if m.style.is_top() {
        return What::Head {
            key,
            alias_of: None,
            title: cap_title(t, TITLE_MAX),
            convertible: false,
        };
    }
    if single && n <= 40 {
        return What::Head {
            key,
            alias_of: None,
            title: cap_title(t, TITLE_MAX),
            convertible: true,
        };
    }
    let lead = match stop {
        Some(i) if !single => &t[..m.rest + i],
        _ => t,
    };
    What::Para {
        kind: ParaKind::Body,
        open: Some((key, cap_title(lead, TITLE_MAX))),
        lead: None,
    }
}

fn has_intro_words(s: &str) -> bool {
    s.contains("以下") || s.contains("如下")
}

/// A line that is one short sentence naming a topic ("产业结构持续优化。"): a heading for the
/// paragraphs after it.
/// A summary line with commas ("这一年，我们感恩奋进、埋头苦干，封关运作如期实现。") counts
/// only when it is at most 30 chars and a longer un-numbered paragraph follows.
fn lead_line(t: &str, next: Option<&str>) -> Option<String> {
    let u = strip_leading_dashes(t);
    let (s, rest) = first_sentence(u)?;
    if !trim(rest).is_empty() || has_intro_words(s) {
        return None;
    }
    let n = clen(s);
    if !(2..=30).contains(&n)
        || s.chars()
            .any(|c| matches!(c, '；' | '：' | ';' | ':' | '！' | '？'))
    {
        return None;
    }
    let commas = s.chars().filter(|c| matches!(c, '，' | ',')).count();
    if commas > 0 || n > 25 {
        let nx = trim(next?);
        if commas > 2 || numbering::parse(nx).is_some() || clen(nx) < 2 * n.max(20) {
            return None;
        }
    }
    Some(cap_title(s, TITLE_MAX))
}

/// The short lead sentence that opens an un-numbered paragraph ("综合实力稳步提升。…").
fn inline_lead(t: &str) -> Option<String> {
    let u = strip_leading_dashes(t);
    let (s, rest) = first_sentence(u)?;
    if trim(rest).is_empty() {
        return None;
    }
    let n = clen(s);
    if !(2..=20).contains(&n)
        || s.chars().any(|c| {
            matches!(
                c,
                '，' | '；' | '：' | ',' | ';' | ':' | '！' | '？' | '!' | '?'
            )
        })
        || has_intro_words(s)
    {
        return None;
    }
    Some(cap_title(s, TITLE_MAX))
}

const PARTICLES: [char; 16] = [
    '的', '和', '与', '及', '或', '在', '是', '对', '把', '将', '为', '了', '以', '从', '向', '于',
];

/// An un-numbered short title line ("“十四五”时期工作回顾", "名词解释"): no punctuation,
/// not a sentence fragment (the previous paragraph ended and the next does not continue it).
fn plain_heading(t: &str, prev_ok: bool, next: Option<&str>) -> bool {
    let n = clen(t);
    if !prev_ok || !(2..=30).contains(&n) {
        return false;
    }
    if t.chars().filter(|c| is_cjk(*c)).count() < 2 {
        return false;
    }
    if t.chars().any(|c| {
        matches!(
            c,
            '。' | '，' | '；' | '：' | '！' | '？' | ',' | ';' | ':' | '!' | '?'
        )
    }) {
        return false;
    }
    if t.chars().last().is_some_and(|c| PARTICLES.contains(&c)) {
        return false;
    }
    let Some(nx) = next else { return false };
    let nx = trim(nx);
    if nx.starts_with([
        '，', '。', '、', '；', '：', '！', '？', '”', '’', '）', '》', ',', '.', ';', ':', ')',
    ]) || nx.starts_with("是：")
    {
        return false;
    }
    true
}

/// The role of a front-matter unit that is dropped.
fn front_reason(i: usize, t: &str, f: &Front) -> Option<Dropped> {
    if Some(i) == f.title || f.title_like.contains(&i) {
        return Some(Dropped::Title);
    }
    if f.date_units.contains(&i) {
        return Some(Dropped::DateMeeting);
    }
    if Some(i) == f.speaker_unit {
        return Some(Dropped::Speaker);
    }
    chrome_reason(t).or(if rules::is_delivery_caption(t) {
        Some(Dropped::Caption)
    } else {
        None
    })
}

/// Chrome recognisable from the line alone.
fn chrome_reason(t: &str) -> Option<Dropped> {
    if rules::is_menu(t) {
        return Some(Dropped::Menu);
    }
    if rules::source_line(t).is_some() || rules::is_datetime_only(t) || rules::is_document_mark(t) {
        return Some(Dropped::Source);
    }
    if rules::is_caption(t) {
        return Some(Dropped::Caption);
    }
    if rules::is_breadcrumb(t) || rules::is_breadcrumb_sep(t) {
        return Some(Dropped::Breadcrumb);
    }
    if rules::is_page_number(t) {
        return Some(Dropped::PageNumber);
    }
    if rules::is_punctuation_line(t) {
        return Some(Dropped::Punctuation);
    }
    None
}

struct Classified {
    items: Vec<Item>,
    dropped: Vec<(usize, String, Dropped)>,
}

/// The first unit of the "related" list (相关报道…): the first marker after some content.
fn related_tail(units: &[Unit], f: &Front) -> usize {
    let mut seen_content = false;
    for (i, u) in units.iter().enumerate().skip(f.end) {
        if seen_content && rules::is_related_marker(&u.text) {
            return i;
        }
        if clen(&u.text) >= 20 {
            seen_content = true;
        }
    }
    units.len()
}

/// A paragraph of `kind` that opens no section.
fn plain_para(kind: ParaKind) -> What {
    What::Para {
        kind,
        open: None,
        lead: None,
    }
}

/// A heading that is never turned into a list item.
fn fixed_head(key: usize, alias_of: Option<usize>, title: String) -> What {
    What::Head {
        key,
        alias_of,
        title,
        convertible: false,
    }
}

/// The state of `classify` as it walks the units in order.
struct Classifier<'a> {
    units: &'a [Unit],
    f: &'a Front,
    /// The related list starts here; it and all after it are dropped.
    tail_from: usize,
    /// The previous content ended (for plain headings).
    prev_ok: bool,
    /// The previous unit was menu/breadcrumb chrome.
    prev_chrome: bool,
    /// A "来源：" label without value: the next short line is its value.
    pending_value: bool,
    in_toc: bool,
    /// The next unit was merged into an annex title.
    skip_next: bool,
    /// Value of the last "N." item, to read "20.2026年…" as item 20.
    last_arabic: u32,
    items: Vec<Item>,
    dropped: Vec<(usize, String, Dropped)>,
}

impl<'a> Classifier<'a> {
    /// A classifier for `units` with front matter `f`.
    fn new(units: &'a [Unit], f: &'a Front) -> Self {
        Classifier {
            units,
            f,
            tail_from: related_tail(units, f),
            prev_ok: true,
            prev_chrome: false,
            pending_value: false,
            in_toc: false,
            skip_next: false,
            last_arabic: 0,
            items: Vec::with_capacity(units.len()),
            dropped: Vec::new(),
        }
    }

    /// Record unit `u` (its trimmed text `raw`) as dropped.
    fn drop_unit(&mut self, u: &Unit, raw: &str, why: Dropped) {
        self.dropped.push((u.loc, raw.to_string(), why));
    }

    /// Classify unit `i`: drop it as chrome or add it as an item.
    fn unit(&mut self, i: usize, u: &'a Unit) {
        let raw = trim(&u.text);
        if let Some(why) = self.front_drop(i, raw) {
            self.drop_unit(u, raw, why);
            return;
        }
        let Some(t) = self.strip_salutation(i, u, raw) else {
            return;
        };
        let why = self
            .opening_drop(i, t)
            .or_else(|| self.source_or_toc_drop(t))
            .or_else(|| self.chrome_drop(i, u, t));
        if let Some(why) = why {
            self.drop_unit(u, raw, why);
            return;
        }
        let what = self.content(i, u, t);
        self.prev_ok = match &what {
            What::Head { .. } => true,
            What::Para { .. } => ends_sentence(t) || t.ends_with('：') || t.ends_with(':'),
            What::Break => true,
        };
        self.items.push(Item {
            unit: i,
            text: t.to_string(),
            what,
        });
    }

    /// Why unit `i` is dropped as part of the related list or the front matter.
    fn front_drop(&self, i: usize, raw: &str) -> Option<Dropped> {
        let f = self.f;
        if i >= self.tail_from {
            return Some(Dropped::Related);
        }
        if i >= f.end {
            return None;
        }
        match front_reason(i, raw, f) {
            Some(w) => Some(w),
            None if f.by_salutation || clen(raw) <= 40 => Some(Dropped::FrontMatter),
            None => None,
        }
    }

    /// Drop a leading salutation (and close the inner sections); the rest of the text, or
    /// None when nothing is left.
    fn strip_salutation(&mut self, i: usize, u: &Unit, raw: &'a str) -> Option<&'a str> {
        let Some(n) = rules::salutation_len(raw) else {
            return Some(raw);
        };
        self.dropped
            .push((u.loc, raw[..n].to_string(), Dropped::Salutation));
        self.items.push(Item {
            unit: i,
            text: String::new(),
            what: What::Break,
        });
        let t = trim(&raw[n..]);
        if t.is_empty() { None } else { Some(t) }
    }

    /// The procedural opening, repeats of the date/speaker lines before the first heading,
    /// and an official document's addressee line.
    fn opening_drop(&self, i: usize, t: &str) -> Option<Dropped> {
        let f = self.f;
        if rules::is_procedural(t) {
            return Some(Dropped::Procedural);
        }
        // Before the first heading: repeats of the date line, the speaker, delivery captions.
        if i < f.head_end {
            if rules::parse_date_line(t).is_some_and(|d| d.meeting.is_some()) {
                return Some(Dropped::DateMeeting);
            }
            if rules::parse_speaker(t).is_some() {
                return Some(Dropped::Speaker);
            }
            if rules::is_delivery_caption(t) && clen(t) <= 80 {
                return Some(Dropped::Caption);
            }
        }
        // The addressee of an official document, right after its title.
        if !f.by_salutation && i <= f.end + 1 && rules::is_addressee(t) {
            return Some(Dropped::Salutation);
        }
        None
    }

    /// Source lines (and the value of a label-only one), the table of contents and a
    /// related-list marker before any content.
    fn source_or_toc_drop(&mut self, t: &str) -> Option<Dropped> {
        // Value of a label-only source line.
        if self.pending_value {
            self.pending_value = false;
            if clen(t) <= 30 && !t.contains('。') && numbering::parse(t).is_none() {
                return Some(Dropped::Source);
            }
        }
        if let Some(label_only) = rules::source_line(t) {
            self.pending_value = label_only;
            return Some(Dropped::Source);
        }
        if rules::is_toc_heading(t) {
            self.in_toc = true;
            return Some(Dropped::TableOfContents);
        }
        if rules::is_toc_line(t) || (self.in_toc && rules::is_toc_entry_plain(t)) {
            return Some(Dropped::TableOfContents);
        }
        self.in_toc = false;
        if rules::is_related_marker(t) {
            // A marker before any content (a page's side list): drop the line only.
            return Some(Dropped::Related);
        }
        None
    }

    /// Menus, breadcrumbs, other chrome recognisable from the line, and a repeat of the title.
    fn chrome_drop(&mut self, i: usize, u: &Unit, t: &str) -> Option<Dropped> {
        let units = self.units;
        let next_text = self.next_text(i);
        if rules::is_weak_menu(t)
            && (self.prev_chrome
                || next_text.is_some_and(|n| rules::is_menu(n) || rules::is_weak_menu(n)))
        {
            self.prev_chrome = true;
            return Some(Dropped::Menu);
        }
        if let Some(why) = chrome_reason(t) {
            self.prev_chrome = matches!(why, Dropped::Menu | Dropped::Breadcrumb);
            return Some(why);
        }
        let next_is_sep = next_text.is_some_and(rules::is_breadcrumb_sep);
        if rules::is_short_label(t)
            && (next_is_sep
                || (self.prev_chrome && i > 0 && rules::is_breadcrumb_sep(&units[i - 1].text)))
        {
            self.prev_chrome = true;
            return Some(Dropped::Breadcrumb);
        }
        self.prev_chrome = false;
        if self.f.title_text.as_deref() == Some(t) && !matches!(u.kind, UnitKind::Table) {
            return Some(Dropped::Title);
        }
        None
    }

    /// The text of the unit after unit `i`.
    fn next_text(&self, i: usize) -> Option<&'a str> {
        self.units.get(i + 1).map(|n| n.text.as_str())
    }

    /// What content unit `i` (text `t`) is, by its kind.
    fn content(&mut self, i: usize, u: &Unit, t: &str) -> What {
        match u.kind {
            UnitKind::Table => plain_para(ParaKind::Table),
            UnitKind::List => plain_para(ParaKind::List),
            UnitKind::Heading(level) => file_heading(t, level),
            UnitKind::Para | UnitKind::Lines => match rules::annex_heading(t) {
                Some(ak) => self.annex(i, t, ak),
                None => self.text_content(i, t),
            },
        }
    }

    /// An annex heading in a paragraph; "附件1" takes its title line with it.
    fn annex(&mut self, i: usize, t: &str, ak: AnnexKind) -> What {
        let mut title = cap_title(t, TITLE_MAX);
        if ak == AnnexKind::Marker
            && let Some(nx) = self.units.get(i + 1)
        {
            let nt = trim(&nx.text);
            if clen(nt) <= 40
                && !nt.contains('。')
                && numbering::parse(nt).is_none()
                && chrome_reason(nt).is_none()
                && i + 1 < self.tail_from
            {
                title = cap_title(&format!("{title} {nt}"), TITLE_MAX);
                self.skip_next = true;
            }
        }
        fixed_head(ANNEX, None, title)
    }

    /// A paragraph or joined PDF lines that is not an annex heading: a numbered heading or
    /// paragraph, a lead line, a plain title, or a paragraph (with its inline lead sentence).
    fn text_content(&mut self, i: usize, t: &str) -> What {
        let next_text = self.next_text(i);
        if let Some(m) =
            numbering::parse(t).or_else(|| numbering::parse_next_arabic(t, self.last_arabic + 1))
        {
            if m.style == Style::ArabicDot {
                self.last_arabic = m.value;
            }
            return numbered(t, m);
        }
        if let Some(title) = lead_line(t, next_text).filter(|_| next_text.is_some()) {
            return What::Head {
                key: LEAD,
                alias_of: None,
                title,
                convertible: true,
            };
        }
        if plain_heading(t, self.prev_ok, next_text) {
            return What::Head {
                key: PLAIN,
                alias_of: None,
                title: cap_title(t, TITLE_MAX),
                convertible: true,
            };
        }
        What::Para {
            kind: ParaKind::Body,
            open: None,
            lead: inline_lead(t),
        }
    }
}

/// A heading the file marks (level `level`): an annex, or a heading level that is one with
/// the numbering its text carries.
fn file_heading(t: &str, level: u8) -> What {
    if rules::annex_heading(t).is_some() {
        return fixed_head(ANNEX, None, cap_title(t, TITLE_MAX));
    }
    let alias_of = numbering::parse(t).map(|m| num_key(m.style));
    fixed_head(h_key(level), alias_of, cap_title(t, TITLE_MAX))
}

/// Classify every unit: dropped lines with their reasons, and content items in order.
fn classify(units: &[Unit], f: &Front) -> Classified {
    let mut c = Classifier::new(units, f);
    for (i, u) in units.iter().enumerate() {
        if c.skip_next {
            c.skip_next = false;
            continue;
        }
        c.unit(i, u);
    }
    Classified {
        items: c.items,
        dropped: c.dropped,
    }
}

/// Pass 1: the depth of every heading (and section-opening paragraph) in the section stack.
fn heading_depths(items: &[Item]) -> Vec<usize> {
    let mut depth: Vec<usize> = vec![usize::MAX; items.len()];
    let mut s = Sections::new();
    for (k, it) in items.iter().enumerate() {
        match &it.what {
            What::Head {
                key,
                alias_of,
                title,
                ..
            } => {
                if let Some(a) = alias_of {
                    s.unify(*key, *a);
                }
                depth[k] = s.push(*key, title.clone());
            }
            What::Para {
                open: Some((key, title)),
                ..
            } => {
                depth[k] = s.push(*key, title.clone());
            }
            What::Break => s.close_inner(),
            _ => {}
        }
    }
    depth
}

/// Pass 2 (backward): which convertible headings have nothing under them (the next item is
/// a heading at the same or a higher level, or the end) and are list items.
fn list_items(items: &[Item], depth: &[usize]) -> Vec<bool> {
    let mut as_para = vec![false; items.len()];
    // None = end of document; Some(None) = a paragraph; Some(Some(d)) = a heading at d.
    let mut next: Option<Option<usize>> = None;
    for k in (0..items.len()).rev() {
        match &items[k].what {
            What::Head { convertible, .. } => {
                if *convertible {
                    as_para[k] = match next {
                        None => true,
                        Some(None) => false,
                        Some(Some(d)) => d <= depth[k],
                    };
                }
                next = Some(Some(depth[k]));
            }
            What::Para { open: Some(_), .. } => next = Some(Some(depth[k])),
            What::Para { .. } => next = Some(None),
            // Closes what is open: a heading right before it has nothing under it.
            What::Break => next = Some(Some(0)),
        }
    }
    as_para
}

/// Pass 3: the paragraphs with their section paths, and every section opened.
struct Emitter<'a> {
    units: &'a [Unit],
    sections: Sections,
    paragraphs: Vec<Para>,
    headings: Vec<(usize, String)>,
    /// A standalone lead line heads the paragraph after it (and that paragraph's
    /// fragments, when the copy broke it), not everything up to the next heading.
    lead_done: bool,
}

impl<'a> Emitter<'a> {
    /// An emitter for about `n` items of `units`.
    fn new(units: &'a [Unit], n: usize) -> Self {
        Emitter {
            units,
            sections: Sections::new(),
            paragraphs: Vec::with_capacity(n),
            headings: Vec::new(),
            lead_done: false,
        }
    }

    /// Emit one item; `as_para` when it is a heading with nothing under it.
    fn item(&mut self, it: Item, as_para: bool) {
        let u = &self.units[it.unit];
        match it.what {
            What::Head {
                key,
                alias_of,
                title,
                ..
            } => {
                if let Some(a) = alias_of {
                    self.sections.unify(key, a);
                }
                self.headings.push((u.loc, title.clone()));
                self.sections.push(key, title);
                self.lead_done = false;
                if as_para {
                    let mut section = self.sections.path();
                    if key == LEAD || key == PLAIN {
                        // An un-numbered line with nothing under it is just a paragraph.
                        section.pop();
                    }
                    self.push_para(u, section, it.text, ParaKind::Body);
                }
            }
            What::Break => self.sections.close_inner(),
            What::Para { kind, open, lead } => self.para(u, it.text, kind, open, lead),
        }
    }

    /// Emit a paragraph: open its section (a numbered paragraph's lead), or close a lead
    /// line's section once its paragraph has ended; `lead` is its own innermost section.
    fn para(
        &mut self,
        u: &Unit,
        text: String,
        kind: ParaKind,
        open: Option<(usize, String)>,
        lead: Option<String>,
    ) {
        let s = &mut self.sections;
        if let Some((key, title)) = open {
            self.headings.push((u.loc, title.clone()));
            s.push(key, title);
        } else if s.top_is_lead() {
            if self.lead_done {
                s.pop_lead();
            } else {
                self.lead_done = ends_sentence(&text);
            }
        }
        let mut section = s.path();
        if let Some(l) = lead {
            section.push(l);
        }
        self.push_para(u, section, text, kind);
    }

    /// Add a paragraph from unit `u`.
    fn push_para(&mut self, u: &Unit, section: Vec<String>, text: String, kind: ParaKind) {
        self.paragraphs.push(Para {
            section,
            text,
            page: u.page,
            loc: u.loc,
            kind,
        });
    }
}

/// Run the whole analysis.
pub(crate) fn analyze(blocks: &[Block]) -> Analysis {
    let (units, unit_drops) = units::build(blocks);
    let f = front::find(&units);
    let Classified { items, dropped } = classify(&units, &f);
    let depth = heading_depths(&items);
    let as_para = list_items(&items, &depth);
    let mut e = Emitter::new(&units, items.len());
    for (it, p) in items.into_iter().zip(as_para) {
        e.item(it, p);
    }
    let Emitter {
        paragraphs,
        headings,
        ..
    } = e;
    let dropped = merge_by_loc(unit_drops, dropped);
    Analysis {
        units,
        front: f,
        structured: Structured {
            paragraphs,
            dropped,
        },
        headings,
    }
}

/// Merge two lists that are each in document order.
fn merge_by_loc(
    a: Vec<(usize, String, Dropped)>,
    b: Vec<(usize, String, Dropped)>,
) -> Vec<(usize, String, Dropped)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut ia = a.into_iter().peekable();
    let mut ib = b.into_iter().peekable();
    loop {
        match (ia.peek(), ib.peek()) {
            (Some(x), Some(y)) => {
                if x.0 <= y.0 {
                    out.extend(ia.next());
                } else {
                    out.extend(ib.next());
                }
            }
            (Some(_), None) => out.extend(ia.next()),
            (None, Some(_)) => out.extend(ib.next()),
            (None, None) => break,
        }
    }
    out
}
