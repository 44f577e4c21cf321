//! The announcements document: delivered announcements as dated passages of a document of
//! their own (通知公告), so a citizen who missed one can find it by asking. Generated, not a
//! report: it never counts toward what the reports speak for.

use super::{Document, Meta, Paragraph};

/// Title and id of the document that holds delivered announcements.
pub const ANNOUNCEMENTS_TITLE: &str = "通知公告";
pub const ANNOUNCEMENTS_ID: &str = "announcements";

/// The announcements document: one dated section per announcement, oldest first, so a citizen
/// who missed one can find it by asking. None when there are none.
pub fn announcements_document(items: &[(String, String)]) -> Option<Document> {
    if items.is_empty() {
        return None;
    }
    let paragraphs = items
        .iter()
        .enumerate()
        .map(|(i, (date, text))| Paragraph {
            section: vec![format!("{date} 发布")],
            text: text.clone(),
            line: i + 1,
            page: None,
        })
        .collect();
    Some(Document {
        id: ANNOUNCEMENTS_ID.to_owned(),
        file: format!("({ANNOUNCEMENTS_TITLE})"),
        meta: Meta {
            headline: ANNOUNCEMENTS_TITLE.to_owned(),
            body: Some(ANNOUNCEMENTS_TITLE.to_owned()),
            ..Meta::default()
        },
        paragraphs,
        generated: true,
        derived: Vec::new(),
        lost: Vec::new(),
        skipped: Vec::new(),
    })
}
