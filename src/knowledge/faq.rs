//! The staff's answers (常见问题): a Markdown file of the knowledge folder, `faq.md`, that
//! grows by one section per FAQ an admin approves. Its front matter says `kind = "faq"`, which
//! makes it a generated document: searched beside the reports, shown as 工作人员答复 with the
//! office and the date, never counted toward what the reports speak for. Being a file, it is
//! saved, reloaded and removed (`/remove`) like any report, transactionally; an admin may also
//! edit it by hand and upload it again.
//!
//! Text here comes from residents and staff: every ASCII punctuation mark is escaped, so that
//! nothing they wrote becomes Markdown structure.

/// The FAQ file's name in the knowledge folder.
pub const FAQ_FILE: &str = "faq.md";
/// The front matter `kind` of the FAQ file.
pub const FAQ_KIND: &str = "faq";
/// The FAQ document's title, as source lines name it.
pub const FAQ_TITLE: &str = "工作人员答复";

/// One approved FAQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Faq<'a> {
    pub question: &'a str,
    pub answer: &'a str,
    /// Who answered: 北关区政府办公室.
    pub office: &'a str,
    /// When it was approved: 2026年12月1日.
    pub date: &'a str,
}

/// `text` as Markdown that reads back as `text`: ASCII punctuation escaped, lines joined.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
    {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The FAQ file with `faq` added at its end (`existing`: the file as it is, if there is one).
pub fn with_faq(existing: Option<&str>, faq: &Faq) -> String {
    let mut text = match existing.filter(|t| !t.trim().is_empty()) {
        Some(t) => t.trim_end().to_owned(),
        None => {
            format!("+++\nheadline = \"{FAQ_TITLE}\"\nkind = \"{FAQ_KIND}\"\n+++\n\n# {FAQ_TITLE}")
        }
    };
    text.push_str(&format!(
        "\n\n## {} · {}\n\n问：{}\n答：{}\n",
        literal(faq.office),
        literal(faq.date),
        literal(faq.question),
        literal(faq.answer)
    ));
    text
}

/// The FAQ file of the knowledge folder `dir` with `faq` added (made when there is none).
pub fn faq_file_with(dir: &std::path::Path, faq: &Faq) -> Result<String, super::KnowledgeError> {
    let path = dir.join(FAQ_FILE);
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(super::KnowledgeError::Io { path, error }),
    };
    Ok(with_faq(existing.as_deref(), faq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::read_document;

    #[test]
    fn approved_faqs_read_back_as_a_generated_document_of_their_own_text() {
        let first = Faq {
            question: "小区燃气管道锈了，什么时候更换？",
            answer: "已列入今年老旧管网改造计划，10月底前完成。",
            office: "北关区政府办公室",
            date: "2026年12月1日",
        };
        let hostile = Faq {
            question: "# 标题? [链接](http://x) <b>粗</b>",
            answer: "1. 第一\n2. 第二 *强调* `code`",
            ..first.clone()
        };
        let text = with_faq(Some(&with_faq(None, &first)), &hostile);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FAQ_FILE);
        std::fs::write(&path, &text).unwrap();
        let doc = read_document(&path, text.as_bytes()).unwrap();
        assert!(doc.generated, "{:?}", doc.meta);
        assert_eq!(doc.meta.headline, FAQ_TITLE);
        assert_eq!(doc.paragraphs.len(), 2, "{:?}", doc.paragraphs);
        let p = &doc.paragraphs[0];
        assert_eq!(
            p.section.last().unwrap(),
            "北关区政府办公室 · 2026年12月1日"
        );
        assert!(
            p.text.starts_with("问：小区燃气管道锈了，什么时候更换？"),
            "{}",
            p.text
        );
        assert!(
            p.text.contains("答：已列入今年老旧管网改造计划"),
            "{}",
            p.text
        );
        let h = &doc.paragraphs[1].text;
        assert!(
            h.contains("# 标题? [链接](http://x) <b>粗</b>")
                && h.contains("1. 第一 2. 第二 *强调* `code`"),
            "{h}"
        );
    }
}
