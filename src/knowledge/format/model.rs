//! The shared contract between document *readers* (one per file format) and the *structure and
//! metadata* step. A reader turns a file's bytes into `Extracted`: the text of the file in reading
//! order as blocks, plus whatever properties the file itself states. It does NOT decide sections
//! from Chinese numbering, does not drop salutations or speaker lines, and does not guess the
//! title from the text: that is the structure/metadata step, shared by every format.

/// What a reader found in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Extracted {
    /// Properties the file states about itself (docx core.xml, HTML <title>/<meta>, PDF Info).
    pub props: Props,
    /// The text in reading order.
    pub blocks: Vec<Block>,
    /// Things the reader had to leave out, for the admin's preview (3 images, 2 footnotes).
    pub lost: Vec<Lost>,
}

/// Something a reader had to leave out, and how many of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lost {
    pub what: Loss,
    pub count: usize,
}

/// What a reader leaves out of a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Loss {
    Image,
    TextBox,
    Footnote,
    Endnote,
    Chart,
    EmbeddedObject,
    /// A Word symbol-font character (Wingdings) with no Unicode meaning.
    Symbol,
    /// A line of a Word table of contents.
    TocLine,
    /// A PDF character whose font gives no Unicode for it.
    Unmapped,
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (one, many) = match self.what {
            Loss::Image => ("image", "images"),
            Loss::TextBox => ("text box", "text boxes"),
            Loss::Footnote => ("footnote", "footnotes"),
            Loss::Endnote => ("endnote", "endnotes"),
            Loss::Chart => ("chart", "charts"),
            Loss::EmbeddedObject => ("embedded object", "embedded objects"),
            Loss::Symbol => ("symbol character", "symbol characters"),
            Loss::TocLine => ("table-of-contents line", "table-of-contents lines"),
            Loss::Unmapped => (
                "character without Unicode mapping",
                "characters without Unicode mapping",
            ),
        };
        let word = if self.count == 1 { one } else { many };
        write!(f, "{} {word}", self.count)
    }
}

/// Properties a file states about itself. Every field optional; empty strings are None.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Props {
    /// docx dc:title; HTML <title> or og:title / ArticleTitle meta; PDF /Title.
    pub title: Option<String>,
    /// docx dc:subject / description; HTML description meta.
    pub subject: Option<String>,
    /// docx dc:creator; HTML author/source meta ("河南日报"); PDF /Author.
    pub author: Option<String>,
    /// A publish or creation date as written ("2026-02-03", "2026-02-03 09:12"); HTML
    /// PubDate/publishdate meta or a 发布时间 line the reader recognised; docx dcterms:created.
    pub date: Option<String>,
}

/// One block of text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Block {
    pub kind: Kind,
    /// The text as written (no trimming of inner spaces beyond collapsing runs of whitespace;
    /// full-width characters kept). Never empty.
    pub text: String,
    /// 1-based page (PDF only; None elsewhere).
    pub page: Option<u32>,
    /// Where it came from, for error messages: 1-based line (text, HTML source line) or
    /// paragraph number (docx), or PDF line number within the whole file.
    pub loc: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Kind {
    /// A heading the file marks as such (docx Heading N / Title style, HTML h1-h6, Markdown #),
    /// with its level 1..=6. The text includes any numbering prefix ("一、", "（三）"), also
    /// when Word generates that numbering automatically.
    Heading(u8),
    /// A whole paragraph (docx w:p, HTML p/div text, a text file's line or blank-separated block).
    Paragraph,
    /// One visual line of a PDF, which may be only part of a paragraph. `starts` tells whether
    /// layout says a paragraph starts here (first-line indent, or a vertical gap larger than the
    /// line spacing); the structure step joins lines back into paragraphs.
    Line { starts: bool },
    /// A table row: its cells' text joined with " | ".
    TableRow,
    /// A list item (HTML li); text includes any visible marker.
    ListItem,
}

/// Why a file cannot be read. The message for an admin (in Chinese, saying why and what to send
/// instead) is made by the caller from the variant; `detail` is for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The bytes are not this format at all, or are corrupt/truncated beyond use.
    #[error("damaged or not a {format} file: {detail}")]
    Damaged {
        format: &'static str,
        detail: String,
    },
    /// Password-protected / encrypted (PDF encryption, an encrypted OOXML package).
    #[error("encrypted")]
    Encrypted,
    /// A PDF with no text layer (a scan), or text with no usable characters.
    #[error("no text layer")]
    NoText,
    /// A PDF whose fonts cannot be mapped to Unicode (no ToUnicode CMap and no known encoding):
    /// what comes out would be mojibake.
    #[error("fonts cannot be mapped to unicode: {detail}")]
    Unmappable { detail: String },
    /// An old binary format we do not read (.doc, .wps, .et, .dps): OLE compound file.
    #[error("old binary office format {format}")]
    OldFormat { format: &'static str },
    /// A limit was hit (decompressed size, object count, nesting depth, time budget).
    #[error("too large or too complex: {detail}")]
    TooComplex { detail: String },
    /// Text in an encoding we cannot decode.
    #[error("undecodable text: {detail}")]
    Encoding { detail: String },
}

/// Bounds every reader enforces, whatever the input claims.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest input accepted (20 MiB: Telegram's bot download limit).
    pub max_input_bytes: usize,
    /// Most bytes produced by decompressing anything (zip entries, PDF streams), in total.
    pub max_inflated_bytes: usize,
    /// Most characters of extracted text.
    pub max_text_chars: usize,
    /// Deepest nesting followed (HTML elements, PDF object references, XML).
    pub max_depth: usize,
    /// Wall-clock budget for one read; readers check it in their loops.
    pub max_millis: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 20 * 1024 * 1024,
            max_inflated_bytes: 200 * 1024 * 1024,
            max_text_chars: 4 * 1024 * 1024,
            max_depth: 256,
            max_millis: 20_000,
        }
    }
}
