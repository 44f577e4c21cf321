//! Reads a saved government web page (or its source) and returns the ARTICLE only.
//!
//! Decoding: BOM, then `<meta charset>` / http-equiv `content-type` / XML declaration in the
//! first bytes, then detection (valid UTF-8 → UTF-8, else GB18030), all through encoding_rs;
//! a page declared GBK/GB2312 whose bytes are valid multi-byte UTF-8 is read as UTF-8 (browsers
//! re-encode pages on "save as" but keep the old meta), and a "UTF-8" page that is not is GBK.
//! Parsing: html5gum (a WHATWG tokenizer) feeds a small tree builder of our own that keeps the
//! tree in a flat arena (no recursion anywhere: building, scoring, walking and dropping are
//! loops over vectors), applies the common implied-end-tag rules (p, li, dt/dd, tr/td/th,
//! option) and stops nesting at `Limits::max_depth` (deeper elements are flattened into their
//! ancestor, so a page nested 100,000 deep is read in linear time).
//! Content extraction is general, not per site: each element gets the amount of non-link prose
//! text below it (with a bonus for Chinese sentence punctuation), the content root is the
//! deepest element holding most of the page's prose, preferring known article containers
//! (id/class containing content/article/zoom/TRS_Editor/Custom_UnionStyle/detail/text…) and
//! avoiding nav/menu/footer/share/related ones; inside it, link-dense or noise-named sub-blocks
//! and web-page leftovers (the same line rules as the text reader) are dropped.
//! Props: title from the ArticleTitle meta or the article's h1, else `<title>` minus its
//! " - site name" suffix; date from PubDate/publishdate/firstpublishedtime metas or a
//! 发布时间：/时间： line near the title; author from ContentSource/source/author metas or a 来源：
//! line; subject from the description meta.
//! It deliberately does not run scripts, apply CSS (beyond inline display:none), follow
//! frames or links, or read images (counted in `lost`).

use std::collections::HashMap;

use html5gum::{DefaultEmitter, Token, Tokenizer};

use super::model::{Extracted, Kind, Limits, Props, ReadError};
use super::util::{Budget, check_input, clean_text, non_empty, push_block};

const NONE: u32 = u32::MAX;

struct Node {
    /// Interned: every "p" shares one allocation.
    tag: std::rc::Rc<str>,
    /// Lower-cased id and class joined, for keyword matching.
    idclass: Box<str>,
    hidden: bool,
    parent: u32,
    first_child: u32,
    last_child: u32,
    next: u32,
    /// Text for text nodes (tag == "#text").
    text: String,
    /// Byte offset in the decoded source of the node's start.
    pos: usize,
}

struct Tree {
    nodes: Vec<Node>,
    names: HashMap<String, std::rc::Rc<str>>,
}

/// Most elements a page may have (memory: about 100 bytes each).
const MAX_NODES: usize = 1_000_000;

impl Tree {
    fn add(&mut self, parent: u32, tag: &str, idclass: String, hidden: bool, pos: usize) -> u32 {
        let id = self.nodes.len() as u32;
        let tag = match self.names.get(tag) {
            Some(t) => t.clone(),
            None => {
                let t: std::rc::Rc<str> = tag.into();
                if self.names.len() < 10_000 {
                    self.names.insert(tag.to_string(), t.clone());
                }
                t
            }
        };
        self.nodes.push(Node {
            tag,
            idclass: idclass.into(),
            hidden,
            parent,
            first_child: NONE,
            last_child: NONE,
            next: NONE,
            text: String::new(),
            pos,
        });
        if parent != NONE {
            let p = &mut self.nodes[parent as usize];
            if p.last_child == NONE {
                p.first_child = id;
            } else {
                let last = p.last_child;
                self.nodes[last as usize].next = id;
            }
            self.nodes[parent as usize].last_child = id;
        }
        id
    }

    fn add_text(&mut self, parent: u32, text: &str, pos: usize) {
        let last = self.nodes[parent as usize].last_child;
        if last != NONE && &*self.nodes[last as usize].tag == "#text" {
            self.nodes[last as usize].text.push_str(text);
            return;
        }
        let id = self.add(parent, "#text", String::new(), false, pos);
        self.nodes[id as usize].text.push_str(text);
    }
}

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "basefont", "bgsound", "frame", "keygen",
];
/// Elements whose content is never article text.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "select",
    "option", "optgroup", "button", "textarea", "head", "canvas", "audio", "video", "map", "nav",
    "frameset", "noframes", "datalist", "dialog", "label",
];
const BLOCK: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "td",
    "th",
    "caption",
    "blockquote",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "pre",
    "center",
    "form",
    "fieldset",
    "figure",
    "figcaption",
    "address",
    "hr",
    "br",
    "body",
    "html",
    "details",
    "summary",
    "menu",
    "dir",
];
/// Start tags that close an open <p>.
const CLOSES_P: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "dl",
    "table",
    "blockquote",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "pre",
    "center",
    "form",
    "hr",
    "address",
    "figure",
    "fieldset",
    "details",
    "menu",
    "nav",
];
const SCOPE: &[&str] = &[
    "table", "td", "th", "caption", "html", "body", "button", "object", "template",
];

struct Meta {
    title_tag: String,
    metas: Vec<(String, String)>,
}

pub fn read(bytes: &[u8], limits: &Limits) -> Result<Extracted, ReadError> {
    check_input(bytes, limits)?;
    let mut budget = Budget::new(limits);
    let src = decode(bytes)?;
    budget.check_time()?;
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            src.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let line_of = |pos: usize| match line_starts.binary_search(&pos) {
        Ok(i) => i + 1,
        Err(i) => i,
    };
    let (tree, meta, images) = build(&src, &mut budget)?;
    extract(&tree, &meta, images, &line_of, &mut budget)
}

/// Decodes the page bytes to a String.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, ReadError> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        return Ok(enc
            .decode_without_bom_handling(&bytes[bom_len..])
            .0
            .into_owned());
    }
    let declared = sniff_charset(&bytes[..bytes.len().min(8192)]);
    let utf8_ok = std::str::from_utf8(bytes).is_ok();
    let non_ascii = bytes.iter().any(|b| *b >= 0x80);
    let enc = match declared {
        // A page saved by a browser is often re-encoded to UTF-8 while its meta still says
        // gb2312: multi-byte text that is valid UTF-8 is UTF-8 (GBK text almost never is).
        Some(e) if e != encoding_rs::UTF_8 && utf8_ok && non_ascii => encoding_rs::UTF_8,
        // Pages often lie: a "utf-8" page that is not valid UTF-8 is usually GBK.
        Some(e) if e == encoding_rs::UTF_8 && !utf8_ok => encoding_rs::GB18030,
        // GB2312/GBK labels: decode with the GB18030 superset (same bytes, more characters).
        Some(e) if e == encoding_rs::GBK => encoding_rs::GB18030,
        // A UTF-16 label in an ASCII-compatible prescan is wrong by definition.
        Some(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => {
            if utf8_ok {
                encoding_rs::UTF_8
            } else {
                encoding_rs::GB18030
            }
        }
        Some(e) => e,
        None if utf8_ok => encoding_rs::UTF_8,
        None => encoding_rs::GB18030,
    };
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    if had_errors {
        let bad = text.chars().filter(|&c| c == '\u{FFFD}').count();
        if bad * 20 > text.chars().count().max(1) {
            return Err(ReadError::Encoding {
                detail: format!("{bad} undecodable characters as {}", enc.name()),
            });
        }
    }
    Ok(text.into_owned())
}

fn sniff_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    for key in [&b"charset="[..], &b"encoding="[..]] {
        let mut from = 0;
        while let Some(i) = super::util::find_bytes(&lower[from..], key) {
            let start = from + i + key.len();
            let rest = &lower[start..];
            let rest = rest
                .strip_prefix(b"\"")
                .or_else(|| rest.strip_prefix(b"'"))
                .unwrap_or(rest);
            let label: Vec<u8> = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
                .copied()
                .collect();
            if let Some(e) = encoding_rs::Encoding::for_label(&label) {
                return Some(e);
            }
            from = start;
        }
    }
    None
}

fn attr(t: &html5gum::StartTag<usize>, name: &str) -> Option<String> {
    t.attributes
        .get(name.as_bytes())
        .map(|v| String::from_utf8_lossy(&v.value).into_owned())
}

/// Builds the arena tree. Returns the tree, the head metadata and the number of images.
fn build(src: &str, budget: &mut Budget) -> Result<(Tree, Meta, usize), ReadError> {
    let mut b = TreeBuilder::new(budget.max_depth().max(8));
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    emitter.naively_switch_states(true);
    let tok = Tokenizer::new_with_emitter(src, emitter);
    for token in tok {
        budget.tick()?;
        if b.tree.nodes.len() > MAX_NODES {
            return Err(super::util::too_complex(format!(
                "more than {MAX_NODES} HTML elements"
            )));
        }
        let Ok(token) = token;
        match token {
            Token::StartTag(t) => b.start_tag(&t),
            Token::EndTag(t) => b.end_tag(&t),
            Token::String(s) => b.text(&s),
            _ => {}
        }
    }
    Ok((b.tree, b.meta, b.images))
}

/// The state of `build` between tokens.
struct TreeBuilder {
    tree: Tree,
    root: u32,
    /// The open elements, outermost first.
    stack: Vec<u32>,
    /// Elements not pushed because the stack was at max depth, per tag, so their end tags
    /// are matched with them and not with an ancestor.
    overflow: HashMap<String, usize>,
    meta: Meta,
    in_title: bool,
    /// > 0 while inside a skipped element (script, head, …).
    skip_depth: usize,
    skip_tag: Vec<Box<str>>,
    images: usize,
    max_depth: usize,
}

impl TreeBuilder {
    /// A builder holding only the root node.
    fn new(max_depth: usize) -> Self {
        let mut tree = Tree {
            nodes: Vec::new(),
            names: HashMap::new(),
        };
        let root = tree.add(NONE, "#root", String::new(), false, 0);
        TreeBuilder {
            tree,
            root,
            stack: vec![root],
            overflow: HashMap::new(),
            meta: Meta {
                title_tag: String::new(),
                metas: Vec::new(),
            },
            in_title: false,
            skip_depth: 0,
            skip_tag: Vec::new(),
            images: 0,
            max_depth,
        }
    }

    /// The innermost open element.
    fn parent(&self) -> u32 {
        *self.stack.last().unwrap_or(&self.root)
    }

    /// A start tag: metadata, the title, skipped elements, or a new element in the tree.
    fn start_tag(&mut self, t: &html5gum::StartTag<usize>) {
        let name = String::from_utf8_lossy(&t.name).to_ascii_lowercase();
        if name == "meta" {
            self.add_meta(t);
            return;
        }
        if name == "title" && self.meta.title_tag.is_empty() {
            self.in_title = true;
            return;
        }
        let is_void = VOID.contains(&name.as_str());
        if self.skip_depth > 0 {
            if !is_void
                && !t.self_closing
                && self.skip_tag.last().map(|s| &**s) == Some(name.as_str())
            {
                self.skip_depth += 1;
            }
            return;
        }
        if SKIP.contains(&name.as_str()) {
            if !is_void && !t.self_closing {
                self.skip_depth = 1;
                self.skip_tag.clear();
                self.skip_tag.push(name.as_str().into());
            }
            return;
        }
        if matches!(name.as_str(), "html" | "body") {
            return;
        }
        if name == "img" || name == "image" {
            self.images += 1;
        }
        // Implied end tags.
        implied_close(&self.tree, &mut self.stack, &name);
        let parent = self.parent();
        if !is_void && self.stack.len() >= self.max_depth {
            *self.overflow.entry(name.clone()).or_insert(0) += 1;
            return;
        }
        let id = self
            .tree
            .add(parent, &name, id_class(t), is_hidden(t), t.span.start);
        if !is_void {
            self.stack.push(id);
        }
    }

    /// A <meta>: keeps its name (or property/itemprop/http-equiv) and content.
    fn add_meta(&mut self, t: &html5gum::StartTag<usize>) {
        let key = attr(t, "name")
            .or_else(|| attr(t, "property"))
            .or_else(|| attr(t, "itemprop"))
            .or_else(|| attr(t, "http-equiv"));
        if let (Some(k), Some(v)) = (key, attr(t, "content"))
            && self.meta.metas.len() < 1000
        {
            self.meta.metas.push((k.to_ascii_lowercase(), v));
        }
    }

    /// An end tag: ends the title or a skipped element, or closes the matching open element.
    fn end_tag(&mut self, t: &html5gum::EndTag<usize>) {
        let name = String::from_utf8_lossy(&t.name).to_ascii_lowercase();
        if name == "title" && self.in_title {
            self.in_title = false;
            return;
        }
        if self.skip_depth > 0 {
            if self.skip_tag.last().map(|s| &**s) == Some(name.as_str()) {
                self.skip_depth -= 1;
            }
            return;
        }
        if let Some(n) = self.overflow.get_mut(name.as_str())
            && *n > 0
        {
            *n -= 1;
            return;
        }
        if name == "br" {
            // </br> is treated as <br> by browsers.
            let parent = self.parent();
            self.tree
                .add(parent, "br", String::new(), false, t.span.start);
            return;
        }
        // Pop to the matching open element, if any (bounded: stack <= max_depth).
        if let Some(i) = self
            .stack
            .iter()
            .rposition(|&n| &*self.tree.nodes[n as usize].tag == name.as_str())
            && i > 0
        {
            self.stack.truncate(i);
        }
    }

    /// Character data: title text, or a text node in the innermost open element.
    fn text(&mut self, s: &html5gum::Spanned<html5gum::HtmlString, usize>) {
        let text = String::from_utf8_lossy(&s.value);
        if self.in_title {
            if self.meta.title_tag.len() < 4096 {
                self.meta.title_tag.push_str(&text);
            }
            return;
        }
        if self.skip_depth > 0 {
            return;
        }
        let parent = self.parent();
        self.tree.add_text(parent, &text, s.span.start);
    }
}

/// The element's lower-cased id and class, each followed by a space.
fn id_class(t: &html5gum::StartTag<usize>) -> String {
    let mut idclass = String::new();
    for k in ["id", "class"] {
        if let Some(v) = attr(t, k) {
            idclass.push_str(&v.to_ascii_lowercase());
            idclass.push(' ');
        }
    }
    idclass
}

/// Hidden by an inline style (display:none, visibility:hidden) or the `hidden` attribute.
fn is_hidden(t: &html5gum::StartTag<usize>) -> bool {
    attr(t, "style")
        .map(|s| {
            let s: String = s
                .to_ascii_lowercase()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            s.contains("display:none") || s.contains("visibility:hidden")
        })
        .unwrap_or(false)
        || t.attributes.contains_key(&b"hidden"[..])
}

fn implied_close(tree: &Tree, stack: &mut Vec<u32>, name: &str) {
    let tag_at = |stack: &Vec<u32>, i: usize| -> &str { &tree.nodes[stack[i] as usize].tag };
    // Find `target` open above the nearest element of `boundary`; pop to below it.
    let close = |stack: &mut Vec<u32>, targets: &[&str], boundary: &[&str]| {
        let mut i = stack.len();
        while i > 1 {
            i -= 1;
            let t = tag_at(stack, i);
            if targets.contains(&t) {
                stack.truncate(i);
                return;
            }
            if boundary.contains(&t) {
                return;
            }
        }
    };
    if CLOSES_P.contains(&name) {
        close(stack, &["p"], SCOPE);
    }
    match name {
        "li" => close(
            stack,
            &["li"],
            &["ul", "ol", "menu", "dir", "table", "td", "th", "body"],
        ),
        "dt" | "dd" => close(stack, &["dt", "dd"], &["dl", "table", "td", "th", "body"]),
        "tr" => close(stack, &["tr"], &["table", "tbody", "thead", "tfoot"]),
        "td" | "th" => close(stack, &["td", "th"], &["tr", "table"]),
        "tbody" | "thead" | "tfoot" => close(stack, &["tbody", "thead", "tfoot"], &["table"]),
        _ => {}
    }
}

/// Per-element counts, computed bottom-up in one reverse pass (children have larger indices).
#[derive(Clone, Copy, Default)]
struct Stats {
    text: usize,
    link: usize,
    punct: usize,
}

const GOOD: &[&str] = &[
    "trs_editor",
    "custom_unionstyle",
    "zoom",
    "article",
    "content",
    "detail",
    "text",
    "artibody",
    "main",
    "news_con",
    "newscon",
    "con_txt",
    "txt",
    "pages_content",
    "view",
    "body",
    "cont",
    "wzy",
    "info_con",
    "mainbox",
    "ue_table",
];
const BAD: &[&str] = &[
    "nav",
    "menu",
    "footer",
    "foot",
    "header",
    "head",
    "sidebar",
    "side",
    "breadcrumb",
    "crumb",
    "share",
    "bdshare",
    "related",
    "relate",
    "xgld",
    "comment",
    "copyright",
    "banner",
    "toolbar",
    "tool",
    "print",
    "link",
    "friend",
    "login",
    "search",
    "top",
    "bottom",
    "pager",
    "pagination",
    "location",
    "position",
    "weizhi",
    "dqwz",
    "fenxiang",
    "qrcode",
    "ewm",
    "erweima",
    "hot",
    "rank",
    "tab",
    "list",
    "recommend",
    "ad",
    "gg",
    "bq",
    "foot",
];

fn has_word(idclass: &str, words: &[&str]) -> bool {
    idclass
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .any(|tok| {
            words
                .iter()
                .any(|w| tok == *w || tok.starts_with(w) || tok.ends_with(w))
        })
        || words.iter().any(|w| w.len() >= 6 && idclass.contains(w))
}

fn is_good(idclass: &str) -> bool {
    has_word(idclass, GOOD)
}

fn is_bad(idclass: &str) -> bool {
    // "content" in "footer-content" is still a footer; but "article-list"? a list.
    let toks: Vec<&str> = idclass
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    toks.iter().any(|tok| {
        BAD.iter()
            .any(|w| *tok == *w || (w.len() >= 4 && (tok.starts_with(w) || tok.ends_with(w))))
    })
}

fn stats(tree: &Tree, budget: &mut Budget) -> Result<Vec<Stats>, ReadError> {
    let n = tree.nodes.len();
    let mut st = vec![Stats::default(); n];
    // Is a node inside <a>? Parents come first, so one forward pass suffices.
    let mut in_link = vec![false; n];
    let mut hidden = vec![false; n];
    for i in 0..n {
        budget.tick()?;
        let node = &tree.nodes[i];
        let p = node.parent;
        let (pl, ph) = if p == NONE {
            (false, false)
        } else {
            (in_link[p as usize], hidden[p as usize])
        };
        in_link[i] = pl || &*node.tag == "a";
        hidden[i] = ph || node.hidden;
    }
    for i in (0..n).rev() {
        budget.tick()?;
        let node = &tree.nodes[i];
        if &*node.tag == "#text" && !hidden[i] {
            let t = node.text.chars().filter(|c| !c.is_whitespace()).count();
            let punct = node
                .text
                .chars()
                .filter(|c| "，。；：、！？".contains(*c))
                .count();
            st[i].text += t;
            st[i].punct += punct;
            if in_link[i] {
                st[i].link += t;
            }
        }
        let p = node.parent;
        if p != NONE {
            let s = st[i];
            let ps = &mut st[p as usize];
            ps.text += s.text;
            ps.link += s.link;
            ps.punct += s.punct;
        }
    }
    Ok(st)
}

/// Prose weight: non-link text, counted double when it reads like sentences.
fn prose(s: &Stats) -> f64 {
    let plain = s.text.saturating_sub(s.link) as f64;
    plain + 20.0 * s.punct.min(s.text) as f64
}

fn choose_root(tree: &Tree, st: &[Stats], budget: &mut Budget) -> Result<u32, ReadError> {
    let total = prose(&st[0]).max(1.0);
    // Deepest element holding at least 70% of the page's prose.
    let mut best = 0u32;
    let mut cur = 0u32;
    loop {
        budget.tick()?;
        let mut next = NONE;
        let mut c = tree.nodes[cur as usize].first_child;
        while c != NONE {
            if prose(&st[c as usize]) >= 0.7 * total {
                next = c;
                break;
            }
            c = tree.nodes[c as usize].next;
        }
        if next == NONE {
            break;
        }
        cur = next;
        if &*tree.nodes[cur as usize].tag != "#text" {
            best = cur;
        }
    }
    // A known article container with a good share of the prose wins over the density choice,
    // unless it is an ancestor of it that also carries noise-named parts (then keep the deeper).
    let mut known: Option<(u32, f64)> = None;
    for (i, node) in tree.nodes.iter().enumerate() {
        budget.tick()?;
        if node.idclass.is_empty() || !is_good(&node.idclass) || is_bad(&node.idclass) {
            continue;
        }
        let p = prose(&st[i]);
        if p >= 0.5 * total {
            // Prefer the deepest such container (largest index among nested ones with
            // similar prose).
            match known {
                Some((_, kp)) if p < 0.9 * kp => {}
                _ => known = Some((i as u32, p)),
            }
        }
    }
    if let Some((k, _)) = known {
        // Use the known container if it lies on the path to (or under) the density choice.
        if is_ancestor(tree, best, k) || is_ancestor(tree, k, best) {
            if is_ancestor(tree, best, k) {
                return Ok(k); // deeper and still holds most prose
            }
            return Ok(best);
        }
        return Ok(k);
    }
    Ok(best)
}

fn is_ancestor(tree: &Tree, anc: u32, node: u32) -> bool {
    let mut cur = node;
    let mut steps = 0;
    while cur != NONE && steps < 100_000 {
        if cur == anc {
            return true;
        }
        cur = tree.nodes[cur as usize].parent;
        steps += 1;
    }
    false
}

fn heading_level(tag: &str) -> Option<u8> {
    match tag {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// Collects the visible text of a subtree (used for headings, table cells and the title).
fn subtree_text(tree: &Tree, root: u32, budget: &mut Budget) -> Result<String, ReadError> {
    let mut out = String::new();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        budget.tick()?;
        let node = &tree.nodes[n as usize];
        if node.hidden {
            continue;
        }
        if &*node.tag == "#text" {
            out.push_str(&node.text);
            continue;
        }
        if BLOCK.contains(&&*node.tag) && n != root && !out.ends_with(' ') {
            out.push(' ');
        }
        // Push children in reverse so they pop in order.
        let mut kids = Vec::new();
        let mut c = node.first_child;
        while c != NONE {
            kids.push(c);
            c = tree.nodes[c as usize].next;
        }
        stack.extend(kids.into_iter().rev());
    }
    Ok(out)
}

struct Emit<'a> {
    blocks: Vec<super::model::Block>,
    cur: String,
    cur_kind: Kind,
    cur_pos: Option<usize>,
    line_of: &'a dyn Fn(usize) -> usize,
}

impl Emit<'_> {
    fn flush(&mut self, budget: &mut Budget) -> Result<(), ReadError> {
        if !self.cur.trim().is_empty() {
            let loc = self.cur_pos.map(|p| (self.line_of)(p)).unwrap_or(0);
            push_block(
                &mut self.blocks,
                budget,
                self.cur_kind,
                &self.cur,
                None,
                loc,
            )?;
        }
        self.cur.clear();
        self.cur_pos = None;
        self.cur_kind = Kind::Paragraph;
        Ok(())
    }

    /// Appends a text node's text to the current block (its position marks the block's
    /// start when it is the first non-blank text).
    fn push_text(&mut self, node: &Node) {
        if self.cur_pos.is_none() && !node.text.trim().is_empty() {
            self.cur_pos = Some(node.pos);
        }
        self.cur.push_str(&node.text);
    }

    /// A <br>: a space inside a heading, else the end of the current block (the next one
    /// keeps its kind).
    fn line_break(&mut self, in_heading: bool, budget: &mut Budget) -> Result<(), ReadError> {
        if in_heading {
            self.cur.push(' ');
        } else {
            let kind = self.cur_kind;
            self.flush(budget)?;
            self.cur_kind = kind;
        }
        Ok(())
    }
}

fn children(tree: &Tree, n: u32) -> Vec<u32> {
    let mut v = Vec::new();
    let mut c = tree.nodes[n as usize].first_child;
    while c != NONE {
        v.push(c);
        c = tree.nodes[c as usize].next;
    }
    v
}

fn is_noise_block(tree: &Tree, st: &[Stats], n: u32) -> bool {
    let node = &tree.nodes[n as usize];
    if node.hidden {
        return true;
    }
    let s = &st[n as usize];
    if !node.idclass.is_empty()
        && is_bad(&node.idclass)
        && !is_good(&node.idclass)
        && s.punct * 2 < s.text / 20 + 2
    {
        return true;
    }
    // Link-dense blocks (menus, related lists) with little sentence punctuation.
    s.text >= 4 && s.link * 10 >= s.text * 6 && s.punct <= 2
}

fn extract(
    tree: &Tree,
    meta: &Meta,
    images: usize,
    line_of: &dyn Fn(usize) -> usize,
    budget: &mut Budget,
) -> Result<Extracted, ReadError> {
    let st = stats(tree, budget)?;
    let root = choose_root(tree, &st, budget)?;
    let mut em = Emit {
        blocks: Vec::new(),
        cur: String::new(),
        cur_kind: Kind::Paragraph,
        cur_pos: None,
        line_of,
    };

    // The article's title heading: the first h1 (else h2) before the content root within its
    // nearby ancestors, or the first heading inside it.
    let title_node = find_title_heading(tree, &st, root, budget)?;
    let title_text = match title_node {
        Some(h) => emit_title_heading(tree, root, h, &mut em, budget)?,
        None => None,
    };
    walk_root(tree, &st, root, title_node, &mut em, budget)?;

    let mut props = Props::default();
    fill_props(
        meta,
        tree,
        title_node,
        title_text.as_deref(),
        &mut props,
        budget,
    )?;
    let mut blocks = drop_leftovers(em.blocks, &mut props);
    // No heading element for the title (old table layouts use <b>/<font>): if the title text
    // stands alone before the content root, it is the article's heading.
    if title_node.is_none()
        && let Some(t) = props.title.clone()
    {
        insert_standalone_title(tree, root, t, &mut blocks, line_of, budget)?;
    }
    let mut lost = Vec::new();
    if let Some(l) = super::util::lost_entry(images, super::model::Loss::Image) {
        lost.push(l);
    }
    Ok(Extracted {
        props,
        blocks,
        lost,
    })
}

/// Returns the title heading `h`'s text (None if it has none), emitting it as a heading
/// block first when it lies outside the content root.
fn emit_title_heading(
    tree: &Tree,
    root: u32,
    h: u32,
    em: &mut Emit<'_>,
    budget: &mut Budget,
) -> Result<Option<String>, ReadError> {
    let inside = is_ancestor(tree, root, h);
    let t = clean_text(&subtree_text(tree, h, budget)?);
    if t.is_empty() {
        return Ok(None);
    }
    if !inside {
        let lvl = heading_level(&tree.nodes[h as usize].tag).unwrap_or(1);
        push_block(
            &mut em.blocks,
            budget,
            Kind::Heading(lvl),
            &t,
            None,
            (em.line_of)(tree.nodes[h as usize].pos),
        )?;
        emit_title_lines(tree, root, h, em, budget)?;
    }
    Ok(Some(t))
}

/// Longest line of a title block that is kept beside the title (a subtitle, the ——date and
/// meeting line), in characters.
const TITLE_LINE_CHARS: usize = 80;

/// The short lines that share the title heading's block outside the content root (a
/// subtitle, "——2026年1月26日在…会议上"), as paragraphs after it: the structure step reads
/// the date and meeting from them, or drops them as front matter.
fn emit_title_lines(
    tree: &Tree,
    root: u32,
    h: u32,
    em: &mut Emit<'_>,
    budget: &mut Budget,
) -> Result<(), ReadError> {
    let parent = tree.nodes[h as usize].parent;
    if parent == NONE || is_ancestor(tree, parent, root) {
        return Ok(());
    }
    let mut sibling = tree.nodes[h as usize].next;
    let mut kept = 0;
    while sibling != NONE && kept < 3 {
        let node = &tree.nodes[sibling as usize];
        if !node.hidden {
            let t = clean_text(&subtree_text(tree, sibling, budget)?);
            if !t.is_empty() && t.chars().count() <= TITLE_LINE_CHARS {
                push_block(
                    &mut em.blocks,
                    budget,
                    Kind::Paragraph,
                    &t,
                    None,
                    (em.line_of)(node.pos),
                )?;
                kept += 1;
            }
        }
        sibling = node.next;
    }
    Ok(())
}

/// Walks the content root, (node, entering?) pairs on an explicit stack, emitting its text
/// as blocks: headings, list items, table rows and paragraphs; noise blocks are skipped.
fn walk_root(
    tree: &Tree,
    st: &[Stats],
    root: u32,
    title_node: Option<u32>,
    em: &mut Emit<'_>,
    budget: &mut Budget,
) -> Result<(), ReadError> {
    let mut stack: Vec<(u32, bool)> = vec![(root, true)];
    let mut heading_depth = 0usize;
    while let Some((n, enter)) = stack.pop() {
        budget.tick()?;
        let node = &tree.nodes[n as usize];
        let tag = &*node.tag;
        if !enter {
            if heading_level(tag).is_some() || tag == "li" || BLOCK.contains(&tag) {
                em.flush(budget)?;
            }
            if heading_level(tag).is_some() {
                heading_depth = heading_depth.saturating_sub(1);
            }
            continue;
        }
        if tag == "#text" {
            em.push_text(node);
            continue;
        }
        if n != root && is_noise_block(tree, st, n) {
            continue;
        }
        if tag == "br" {
            em.line_break(heading_depth > 0, budget)?;
            continue;
        }
        if tag == "tr" && emit_table_row(tree, n, em, budget)? {
            continue;
        }
        if let Some(lvl) = heading_level(tag) {
            em.flush(budget)?;
            // The title: already emitted (or it is the title inside the root: emit here).
            if Some(n) == title_node && !is_ancestor(tree, root, n) {
                continue;
            }
            em.cur_kind = Kind::Heading(lvl);
            heading_depth += 1;
        } else if tag == "li" {
            em.flush(budget)?;
            em.cur_kind = Kind::ListItem;
        } else if BLOCK.contains(&tag) {
            em.flush(budget)?;
        }
        stack.push((n, false));
        for c in children(tree, n).into_iter().rev() {
            stack.push((c, true));
        }
    }
    em.flush(budget)
}

/// A <tr>: with two or more cells it is emitted as one TableRow block (if any cell has
/// text) and `true` is returned; one cell (layout tables) or none (broken markup): `false`,
/// walk it as ordinary content.
fn emit_table_row(
    tree: &Tree,
    n: u32,
    em: &mut Emit<'_>,
    budget: &mut Budget,
) -> Result<bool, ReadError> {
    em.flush(budget)?;
    let mut cells = Vec::new();
    for c in children(tree, n) {
        let ct = &*tree.nodes[c as usize].tag;
        if ct == "td" || ct == "th" {
            cells.push(clean_text(&subtree_text(tree, c, budget)?));
        }
    }
    if cells.len() < 2 {
        return Ok(false);
    }
    if cells.iter().any(|c| !c.is_empty()) {
        push_block(
            &mut em.blocks,
            budget,
            Kind::TableRow,
            &cells.join(" | "),
            None,
            (em.line_of)(tree.nodes[n as usize].pos),
        )?;
    }
    Ok(true)
}

/// Inserts the title `t` as a first Heading(1) block when a text node before the content
/// root (among the nearest 2000 nodes) is exactly the title.
fn insert_standalone_title(
    tree: &Tree,
    root: u32,
    t: String,
    blocks: &mut Vec<super::model::Block>,
    line_of: &dyn Fn(usize) -> usize,
    budget: &mut Budget,
) -> Result<(), ReadError> {
    let hit = tree.nodes[..root as usize]
        .iter()
        .rev()
        .take(2000)
        .find(|n| &*n.tag == "#text" && clean_text(&n.text) == t);
    if let Some(n) = hit {
        let loc = line_of(n.pos);
        budget.add_chars(t.chars().count())?;
        blocks.insert(
            0,
            super::model::Block {
                kind: Kind::Heading(1),
                text: t,
                page: None,
                loc,
            },
        );
    }
    Ok(())
}

fn find_title_heading(
    tree: &Tree,
    st: &[Stats],
    root: u32,
    budget: &mut Budget,
) -> Result<Option<u32>, ReadError> {
    // Candidates in document order; the first h1 that is not link-dense and not in a noise
    // block, before the root's end; else the first h2 within the root's parent.
    let mut scope = root;
    for _ in 0..3 {
        let p = tree.nodes[scope as usize].parent;
        if p == NONE {
            break;
        }
        scope = p;
    }
    for want in ["h1", "h2"] {
        let mut stack = vec![scope];
        while let Some(n) = stack.pop() {
            budget.tick()?;
            let node = &tree.nodes[n as usize];
            if &*node.tag == want {
                let s = &st[n as usize];
                if s.text > 0 && s.link * 2 < s.text.max(1) && !node.hidden {
                    return Ok(Some(n));
                }
                continue;
            }
            if n != scope && is_noise_block(tree, st, n) && !is_ancestor(tree, n, root) {
                continue;
            }
            stack.extend(children(tree, n).into_iter().rev());
        }
    }
    Ok(None)
}

fn meta_value<'a>(meta: &'a Meta, names: &[&str]) -> Option<&'a str> {
    for want in names {
        for (k, v) in &meta.metas {
            if k == want && !v.trim().is_empty() {
                return Some(v.trim());
            }
        }
    }
    None
}

/// Strips " - site name" / "_site" / "|site" parts from a <title>: of the parts, the one that
/// also appears in the page's text wins (the article title is usually repeated on the page),
/// else the first reasonably long one.
fn strip_site_suffix(t: &str, page_text: &str) -> String {
    let t = clean_text(t);
    let mut parts: Vec<String> = vec![t.clone()];
    for sep in [" - ", " – ", " — ", "_", "|", "｜", " -", "－", "--"] {
        let mut next = Vec::new();
        for p in &parts {
            next.extend(
                p.split(sep)
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty()),
            );
        }
        parts = next;
    }
    if parts.len() <= 1 {
        return t;
    }
    if let Some(p) = parts
        .iter()
        .filter(|p| p.chars().count() >= 4 && page_text.contains(p.as_str()))
        .max_by_key(|p| p.chars().count())
    {
        return p.clone();
    }
    parts
        .into_iter()
        .find(|p| p.chars().count() >= 4)
        .unwrap_or(t)
}

/// Finds a date written after a label like 发布时间：/时间：/日期： in `s`.
pub(crate) fn date_after_label(s: &str) -> Option<String> {
    for label in [
        "发布时间",
        "发表时间",
        "发布日期",
        "更新时间",
        "时间",
        "日期",
    ] {
        let mut from = 0;
        while let Some(i) = s[from..].find(label) {
            let start = from + i + label.len();
            let rest = s[start..].trim_start_matches([':', '：', ' ', '　', '\u{a0}']);
            let date: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || "-/.: 年月日时分秒".contains(*c))
                .collect();
            let date = date.trim().trim_end_matches([':', '-', '/']).to_string();
            if date.chars().filter(|c| c.is_ascii_digit()).count() >= 6 {
                return Some(date);
            }
            from = start;
        }
    }
    None
}

fn source_after_label(s: &str) -> Option<String> {
    for label in ["来源：", "来源:", "信息来源：", "文章来源："] {
        if let Some(i) = s.find(label) {
            let rest = s[i + label.len()..].trim_start();
            let v: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && !"|｜【】[]".contains(*c))
                .take(30)
                .collect();
            let v = v.trim().to_string();
            if !v.is_empty() && !v.contains("时间") {
                return Some(v);
            }
        }
    }
    None
}

fn fill_props(
    meta: &Meta,
    tree: &Tree,
    title_node: Option<u32>,
    title_text: Option<&str>,
    props: &mut Props,
    budget: &mut Budget,
) -> Result<(), ReadError> {
    props.title = meta_value(meta, &["articletitle"])
        .and_then(non_empty)
        .or_else(|| title_text.and_then(non_empty))
        .or_else(|| meta_value(meta, &["og:title"]).and_then(non_empty))
        .or_else(|| {
            let mut page_text = String::new();
            for node in &tree.nodes {
                if &*node.tag == "#text" && page_text.len() < 1_000_000 {
                    page_text.push_str(node.text.trim());
                }
            }
            non_empty(&strip_site_suffix(&meta.title_tag, &page_text))
        });
    props.date = meta_value(
        meta,
        &[
            "pubdate",
            "publishdate",
            "firstpublishedtime",
            "article:published_time",
            "publish_date",
            "dc.date",
            "date",
        ],
    )
    .and_then(non_empty);
    props.author =
        meta_value(meta, &["contentsource", "source", "author", "dc.creator"]).and_then(non_empty);
    props.subject = meta_value(meta, &["description", "dc.description"]).and_then(non_empty);
    // Look for 发布时间 / 来源 lines in the text right after the title (up to ~800 chars).
    if props.date.is_none() || props.author.is_none() {
        let start = title_node.unwrap_or(0) as usize;
        let mut seen = 0usize;
        let mut near = String::new();
        for node in tree.nodes.iter().skip(start) {
            budget.tick()?;
            if &*node.tag == "#text" {
                near.push_str(&node.text);
                near.push(' ');
                seen += node.text.chars().count();
                if seen > 800 {
                    break;
                }
            }
        }
        if props.date.is_none() {
            props.date = date_after_label(&near);
        }
        if props.author.is_none() {
            props.author = source_after_label(&near);
        }
    }
    Ok(())
}

/// Drops page leftovers among the article's blocks with the same line rules as the text
/// reader (toolbar words, 来源/时间 lines, QR hints, a trailing 相关… section).
fn drop_leftovers(blocks: Vec<super::model::Block>, props: &mut Props) -> Vec<super::model::Block> {
    let lines: Vec<&str> = blocks.iter().map(|b| b.text.trim()).collect();
    let mut p = Props::default();
    let mut budget = Budget::new(&Limits {
        max_millis: u64::MAX / 2,
        ..Limits::default()
    });
    let keep = match super::text::keep_mask(&lines, &mut p, &mut budget) {
        Ok(k) => k,
        Err(_) => return blocks,
    };
    if props.author.is_none() {
        props.author = p.author;
    }
    if props.date.is_none() {
        props.date = p.date;
    }
    blocks
        .into_iter()
        .zip(keep)
        .filter(|(b, k)| *k || b.kind == Kind::TableRow)
        .map(|(b, _)| b)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str) -> String {
        format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>测试文章标题 - 某市人民政府</title></head><body>{body}</body></html>"
        )
    }

    #[test]
    fn article_only() {
        let html = page(
            r#"
<div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/a">政务公开</a></li><li><a href="/b">政务服务</a></li></ul></div>
<div class="breadcrumb"><a href="/">首页</a> &gt; <a href="/x">要闻</a></div>
<div class="article">
<h1>2026年政府工作报告</h1>
<div class="info">发布时间：2026-02-03 09:12 来源：某市日报 【字体：大 中 小】 <a href="javascript:print()">打印</a></div>
<div id="zoom" class="TRS_Editor">
<p>　　各位代表：</p>
<p>　　现在，我代表市人民政府，向大会报告工作，请予审议。</p>
<p><strong>一、2025年工作回顾</strong></p>
<p>过去一年，全市经济稳中有进。<br>这是第二段。</p>
<table><tr><td>指标</td><td>数值</td></tr><tr><td>生产总值</td><td>1000亿元</td></tr></table>
<ul><li>第一项任务。</li><li>第二项任务。</li></ul>
</div>
<div class="share">分享到：<a>微信</a><a>微博</a></div>
<div class="related"><h3>相关阅读</h3><ul><li><a href="/1">某某新闻一</a></li><li><a href="/2">某某新闻二</a></li></ul></div>
</div>
<div class="footer">版权所有：某市人民政府 主办单位：某市政府办公室 网站标识码：1234 ICP备12345号 <a>联系我们</a></div>
"#,
        );
        let e = read(html.as_bytes(), &Limits::default()).unwrap();
        let t: Vec<(Kind, &str)> = e.blocks.iter().map(|b| (b.kind, b.text.as_str())).collect();
        assert_eq!(
            t,
            vec![
                (Kind::Heading(1), "2026年政府工作报告"),
                (Kind::Paragraph, "各位代表："),
                (
                    Kind::Paragraph,
                    "现在，我代表市人民政府，向大会报告工作，请予审议。"
                ),
                (Kind::Paragraph, "一、2025年工作回顾"),
                (Kind::Paragraph, "过去一年，全市经济稳中有进。"),
                (Kind::Paragraph, "这是第二段。"),
                (Kind::TableRow, "指标 | 数值"),
                (Kind::TableRow, "生产总值 | 1000亿元"),
                (Kind::ListItem, "第一项任务。"),
                (Kind::ListItem, "第二项任务。"),
            ]
        );
        assert_eq!(e.props.title.as_deref(), Some("2026年政府工作报告"));
        assert_eq!(e.props.date.as_deref(), Some("2026-02-03 09:12"));
        assert_eq!(e.props.author.as_deref(), Some("某市日报"));
    }

    #[test]
    fn gbk_meta_and_title_fallback() {
        let html = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"><title>关于做好春节期间工作的通知_某县人民政府</title><meta name=\"PubDate\" content=\"2026-01-20 10:00\"></head><body><div><p>各乡镇人民政府，县直各单位：现将有关事项通知如下，请认真贯彻执行。</p></div></body></html>";
        let (bytes, _, _) = encoding_rs::GBK.encode(html);
        let e = read(&bytes, &Limits::default()).unwrap();
        assert_eq!(e.props.title.as_deref(), Some("关于做好春节期间工作的通知"));
        assert_eq!(e.props.date.as_deref(), Some("2026-01-20 10:00"));
        assert_eq!(
            e.blocks[0].text,
            "各乡镇人民政府，县直各单位：现将有关事项通知如下，请认真贯彻执行。"
        );
    }

    #[test]
    fn utf8_page_with_stale_gbk_meta() {
        let html = "<html><head><meta charset=\"gb2312\"><title>标题</title></head><body><p>这是一段保存时已转成UTF-8的正文，内容足够长。</p></body></html>";
        let e = read(html.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(
            e.blocks[0].text,
            "这是一段保存时已转成UTF-8的正文，内容足够长。"
        );
        let big5 = "<html><head><meta charset=\"big5\"></head><body><p>各位代表：現在我代表政府報告工作。</p></body></html>";
        let (bytes, _, _) = encoding_rs::BIG5.encode(big5);
        assert_eq!(
            read(&bytes, &Limits::default()).unwrap().blocks[0].text,
            "各位代表：現在我代表政府報告工作。"
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let n = 100_000;
        let mut s = String::with_capacity(n * 12);
        for _ in 0..n {
            s.push_str("<div>");
        }
        s.push_str("深处的文字。");
        for _ in 0..n {
            s.push_str("</div>");
        }
        s.push_str("<p>后面的段落。</p>");
        let t = std::time::Instant::now();
        let e = read(s.as_bytes(), &Limits::default()).unwrap();
        assert!(t.elapsed().as_secs() < 10);
        let texts: Vec<&str> = e.blocks.iter().map(|b| b.text.as_str()).collect();
        assert!(texts.contains(&"深处的文字。"), "{texts:?}");
        assert!(texts.contains(&"后面的段落。"), "{texts:?}");
        // Unclosed tags 100,000 deep too.
        let s2 = "<span><b>".repeat(50_000) + "文字";
        assert!(read(s2.as_bytes(), &Limits::default()).is_ok());
    }

    #[test]
    fn date_labels() {
        assert_eq!(
            date_after_label("发布时间：2026-02-03 09:12:00 来源").as_deref(),
            Some("2026-02-03 09:12:00")
        );
        assert_eq!(
            date_after_label("时间: 2026年2月3日").as_deref(),
            Some("2026年2月3日")
        );
        assert_eq!(date_after_label("没有日期"), None);
    }
}
