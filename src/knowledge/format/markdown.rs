//! Markdown reports: optional TOML front matter between `+++` lines (the metadata the report
//! states), then headings giving each paragraph its section path. A first-level heading
//! before any text is the title. Lists, tables and code blocks are paragraphs too. Linear in
//! the file, however it is nested.

use std::path::Path;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::knowledge::{Meta, Paragraph, SourceError};

/// Reads a Markdown report (UTF-8).
pub fn read(path: &Path, bytes: &[u8]) -> Result<(Meta, Vec<Paragraph>), SourceError> {
    let text = super::utf8(path, bytes)?;
    parse_markdown(path, &text)
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
                page: None,
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
