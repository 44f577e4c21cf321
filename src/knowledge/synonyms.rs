//! Synonym groups: words that mean the same to a citizen (托儿所 托育 托位), one group per line
//! of `synonyms.txt`, with one rule set for the file and for the admins' `/synonym` command:
//! words are separated by whitespace, commas, 、 or |; each is normalised, Simplified and
//! lower-cased and must be 1 to [`MAX_WORD_CHARS`] letters, digits or Chinese characters; a
//! group holds two to [`MAX_GROUP_WORDS`] different words. In the file `#` starts a comment;
//! in the chat it is not a word character, so `a#b` is refused rather than cut. Here are the
//! parsing, the lookup map the tokenizer uses, and editing the file (each edit undoable); what
//! a group would change in the answers is the knowledge service's to measure.

use std::collections::HashMap;
use std::path::Path;

use super::folder::{FileChange, read_previous, save_file};
use super::{KnowledgeError, SYNONYMS_FILE, SourceError};
use crate::text;

/// Most words in one group.
pub const MAX_GROUP_WORDS: usize = 24;
/// Longest word of a group, in characters.
pub const MAX_WORD_CHARS: usize = 20;
/// The heading under which groups added from the chat are appended.
const CHAT_GROUPS_HEADING: &str = "# == Added from the chat by admins ==";

/// Why a synonym group cannot be read, added or removed.
#[derive(Debug, thiserror::Error)]
pub enum SynonymError {
    #[error("a synonym group needs at least two different words")]
    TooFew,
    #[error("a synonym group holds at most {MAX_GROUP_WORDS} words")]
    TooMany,
    #[error("{0:?} is not a word (1 to {MAX_WORD_CHARS} letters, digits or Chinese characters)")]
    BadWord(String),
    #[error("this synonym group is already in {SYNONYMS_FILE} (line {0})")]
    Exists(usize),
    #[error("no synonym group with exactly these words in {SYNONYMS_FILE}")]
    NotFound,
    #[error("there is no synonym group number {0}")]
    NoSuchNumber(usize),
    #[error(transparent)]
    Io(#[from] KnowledgeError),
}

/// One group as the file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its line in the file, from 1.
    pub line: usize,
    pub words: Vec<String>,
}

/// The raw words of a group as written, each normalised, Simplified and lower-cased.
fn raw_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | '|'))
        .map(|w| text::to_simplified(&text::normalize(w)).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The words of one group, checked (see the module's rules). Repeated words count once.
pub fn parse_group(text: &str) -> Result<Vec<String>, SynonymError> {
    let mut words: Vec<String> = Vec::new();
    for w in raw_words(text) {
        if w.chars().count() > MAX_WORD_CHARS || !w.chars().all(char::is_alphanumeric) {
            return Err(SynonymError::BadWord(w));
        }
        if !words.contains(&w) {
            words.push(w);
        }
    }
    match words.len() {
        0 | 1 => Err(SynonymError::TooFew),
        n if n > MAX_GROUP_WORDS => Err(SynonymError::TooMany),
        _ => Ok(words),
    }
}

/// The part of a file's line before its comment.
fn uncommented(line: &str) -> &str {
    line.split('#').next().unwrap_or_default()
}

/// The groups of `synonyms.txt`, and its problems with file and line (a line with one word, a
/// word that is not one, too many words); the good lines count regardless.
pub fn parse_file(path: &Path, text: &str) -> (Vec<Group>, Vec<SourceError>) {
    let mut groups = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let body = uncommented(line);
        if raw_words(body).is_empty() {
            continue;
        }
        match parse_group(body) {
            Ok(words) => groups.push(Group { line: i + 1, words }),
            Err(e) => errors.push(SourceError::new(path, i + 1, e.to_string())),
        }
    }
    (groups, errors)
}

/// Groups of words that mean the same to a citizen; each word maps to its groups' other
/// members. What the tokenizer looks words up in.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    map: HashMap<String, Vec<String>>,
    words: Vec<String>,
}

impl Synonyms {
    /// The lookup map of `groups`.
    pub fn new(groups: &[Group]) -> Synonyms {
        let mut syn = Synonyms::default();
        for g in groups {
            for w in &g.words {
                let entry = syn.map.entry(w.clone()).or_default();
                for other in &g.words {
                    if other != w && !entry.contains(other) {
                        entry.push(other.clone());
                    }
                }
                if !syn.words.contains(w) {
                    syn.words.push(w.clone());
                }
            }
        }
        syn
    }

    /// The other words of every group `word` belongs to.
    pub fn of(&self, word: &str) -> &[String] {
        self.map.get(word).map_or(&[], Vec::as_slice)
    }

    /// Every word of every group, each once.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// How many different words the groups hold.
    pub fn len(&self) -> usize {
        self.words.len()
    }
}

/// The same words in any order.
fn same_words(a: &[String], b: &[String]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort();
    b.sort();
    a == b
}

/// The text of the synonyms file of `dir` (empty when there is none).
fn file_text(dir: &Path) -> Result<String, KnowledgeError> {
    Ok(read_previous(&dir.join(SYNONYMS_FILE))?
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default())
}

/// The groups of the synonyms file of `dir`, in file order (a group's number is its place in
/// this list, from 1); lines with problems are left out.
pub fn list(dir: &Path) -> Result<Vec<Group>, KnowledgeError> {
    let text = file_text(dir)?;
    Ok(parse_file(&dir.join(SYNONYMS_FILE), &text).0)
}

/// Appends `groups` (each checked, none already there, none twice) to the synonyms file
/// (created if missing), one line each, under the heading for groups added from the chat.
pub fn add_groups(dir: &Path, groups: &[Vec<String>]) -> Result<FileChange, SynonymError> {
    let mut text = file_text(dir)?;
    let existing = parse_file(&dir.join(SYNONYMS_FILE), &text).0;
    for (i, g) in groups.iter().enumerate() {
        if g.len() < 2 {
            return Err(SynonymError::TooFew);
        }
        if let Some(old) = existing.iter().find(|old| same_words(&old.words, g)) {
            return Err(SynonymError::Exists(old.line));
        }
        if groups[..i].iter().any(|earlier| same_words(earlier, g)) {
            return Err(SynonymError::Exists(0));
        }
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !text.lines().any(|l| l.trim() == CHAT_GROUPS_HEADING) {
        text.push_str(&format!("\n{CHAT_GROUPS_HEADING}\n"));
    }
    for g in groups {
        text.push_str(&g.join(" "));
        text.push('\n');
    }
    Ok(save_file(dir, SYNONYMS_FILE, text.as_bytes())?)
}

/// Which group to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    /// Its number in [`list`], from 1.
    Number(usize),
    /// Exactly these words, in any order.
    Words(Vec<String>),
}

/// Removes one group's line from the synonyms file (bundled groups too); returns the change
/// and the group removed.
pub fn remove_group(dir: &Path, which: &Which) -> Result<(FileChange, Group), SynonymError> {
    let text = file_text(dir)?;
    let groups = parse_file(&dir.join(SYNONYMS_FILE), &text).0;
    let group = match which {
        Which::Number(n) => groups
            .get(n.wrapping_sub(1))
            .ok_or(SynonymError::NoSuchNumber(*n))?,
        Which::Words(words) => groups
            .iter()
            .find(|g| same_words(&g.words, words))
            .ok_or(SynonymError::NotFound)?,
    }
    .clone();
    let mut out: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| i + 1 != group.line)
        .map(|(_, l)| l)
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    let change = save_file(dir, SYNONYMS_FILE, out.as_bytes())?;
    Ok((change, group))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_follow_one_rule_set_in_the_file_and_the_chat() {
        assert_eq!(
            parse_group("托儿所 托育，托位 托育").unwrap(),
            vec!["托儿所", "托育", "托位"]
        );
        assert!(matches!(parse_group("托育"), Err(SynonymError::TooFew)));
        assert!(matches!(
            parse_group("托育 <b>"),
            Err(SynonymError::BadWord(_))
        ));
        // In the chat `#` is not a comment: nothing is cut silently.
        assert!(matches!(parse_group("甲 乙#丙"), Err(SynonymError::BadWord(w)) if w == "乙#丙"));
        assert!(matches!(
            parse_group(&"词 ".repeat(3)),
            Err(SynonymError::TooFew)
        ));
        let many: String = (0..=MAX_GROUP_WORDS).map(|i| format!("词{i} ")).collect();
        assert!(matches!(parse_group(&many), Err(SynonymError::TooMany)));
        let (groups, errors) = parse_file(
            Path::new("synonyms.txt"),
            "# 说明\n找工作 就业 # 注释\n孤单\n\n甲 <乙>\n",
        );
        assert_eq!(
            groups,
            vec![Group {
                line: 2,
                words: vec!["找工作".into(), "就业".into()]
            }]
        );
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 5]);
        let syn = Synonyms::new(&groups);
        assert_eq!(syn.of("找工作"), ["就业".to_string()]);
    }

    #[test]
    fn groups_are_added_listed_and_removed_bundled_ones_too() {
        let dir = tempfile::tempdir().unwrap();
        let long: Vec<String> = (0..14).map(|i| format!("词{i}")).collect();
        std::fs::write(
            dir.path().join(SYNONYMS_FILE),
            format!("# 说明\n找工作 就业\n{}", long.join(" ")),
        )
        .unwrap();
        let a = parse_group("托儿所 托育").unwrap();
        let b = parse_group("幼儿园 幼儿 娃娃").unwrap();
        let _added = add_groups(dir.path(), &[a.clone(), b]).unwrap();
        let text = std::fs::read_to_string(dir.path().join(SYNONYMS_FILE)).unwrap();
        assert!(
            text.starts_with("# 说明\n找工作 就业\n")
                && text.ends_with("托儿所 托育\n幼儿园 幼儿 娃娃\n"),
            "{text}"
        );
        assert!(matches!(
            add_groups(dir.path(), &[parse_group("托育 托儿所").unwrap()]),
            Err(SynonymError::Exists(_))
        ));
        let listed = list(dir.path()).unwrap();
        assert_eq!(listed.len(), 4);
        // The bundled 14-word group goes by its number, a group by its words in any order.
        let (_c, gone) = remove_group(dir.path(), &Which::Number(2)).unwrap();
        assert_eq!(gone.words.len(), 14);
        let (_c, gone) = remove_group(
            dir.path(),
            &Which::Words(parse_group("托育 托儿所").unwrap()),
        )
        .unwrap();
        assert_eq!(gone.words, a);
        let text = std::fs::read_to_string(dir.path().join(SYNONYMS_FILE)).unwrap();
        assert!(!text.contains("托儿所") && !text.contains("词13"), "{text}");
        assert!(matches!(
            remove_group(dir.path(), &Which::Number(99)),
            Err(SynonymError::NoSuchNumber(99))
        ));
        assert!(matches!(
            remove_group(dir.path(), &Which::Words(a)),
            Err(SynonymError::NotFound)
        ));
    }
}
