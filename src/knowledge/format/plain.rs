//! Plain-text reports: the first line is the title; blank lines separate paragraphs, or,
//! in a file without any blank line between paragraphs (as text copied out of a word
//! processor often is), each line is a paragraph.

use std::path::Path;

use crate::knowledge::{Meta, Paragraph, SourceError};

/// Reads a plain-text report (UTF-8).
pub fn read(path: &Path, bytes: &[u8]) -> Result<(Meta, Vec<Paragraph>), SourceError> {
    let text = super::utf8(path, bytes)?;
    parse_txt(path, &text)
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
                page: None,
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
