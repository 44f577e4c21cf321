//! A question: parsed at the edge into a [`Question`] (normalised, bounded, not empty), then
//! analysed once into an [`Analysed`] question that the search, the grading and the marks all
//! read: its folded text, its meaningful words (with their parts and synonyms), their parts
//! of speech, and what it asks for beyond its topic (a detail, places, years). Nothing
//! downstream folds, cuts or tags the question again.

use crate::grade::{self, Asked, Route};
use crate::index::tokenizer::{Analyzer, QueryWord};
use crate::knowledge::Scope;
use crate::text::{self, Tagged};

/// Longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 500;

/// Why a question cannot be searched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionError {
    #[error("the question is empty")]
    Empty,
    #[error("the question is {chars} characters long; at most {max} are accepted")]
    TooLong { chars: usize, max: usize },
    #[error("the question has no words to search for")]
    NoText,
}

/// A question, normalised and bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    raw: String,
    text: String,
}

impl Question {
    pub fn parse(raw: &str) -> Result<Question, QuestionError> {
        // Bound before any work, so a megabyte of input costs a count, not an analysis.
        let chars = raw.chars().take(MAX_QUESTION_CHARS * 4 + 1).count();
        if chars > MAX_QUESTION_CHARS * 4 {
            return Err(QuestionError::TooLong {
                chars: raw.chars().count(),
                max: MAX_QUESTION_CHARS,
            });
        }
        let text = text::normalize(raw);
        if text.is_empty() {
            return Err(QuestionError::Empty);
        }
        let chars = text.chars().count();
        if chars > MAX_QUESTION_CHARS {
            return Err(QuestionError::TooLong {
                chars,
                max: MAX_QUESTION_CHARS,
            });
        }
        if !text::has_searchable(&text) {
            return Err(QuestionError::NoText);
        }
        Ok(Question {
            raw: raw.trim().to_owned(),
            text,
        })
    }

    /// The question as the citizen wrote it, trimmed.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The normalised question.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A question analysed once, for everything downstream.
#[derive(Debug, Clone)]
pub struct Analysed {
    /// The question as parsed.
    pub question: Question,
    /// Its text folded for matching ([`text::fold_for_match`]).
    pub folded: String,
    /// Its meaningful words, fillers removed, each once, with parts and synonyms.
    pub words: Vec<QueryWord>,
    /// Its words with their parts of speech.
    pub tags: Vec<Tagged>,
    /// What it asks for beyond its topic.
    pub asked: Asked,
    /// Which documents it goes to, and what they do not cover.
    pub route: Route,
}

impl Question {
    /// The question analysed by `analyzer`, against what the knowledge base speaks for.
    pub fn analyse(&self, analyzer: &Analyzer, scope: &Scope) -> Analysed {
        let folded = text::fold_for_match(self.text());
        let tags = analyzer.tagged(self.text());
        let asked = grade::asked(&folded, &tags, scope);
        let route = grade::route(
            &folded,
            &asked.places,
            &asked.years,
            asked.year_offset,
            scope,
        );
        Analysed {
            question: self.clone(),
            words: analyzer.query_words(self.text()),
            route,
            folded,
            tags,
            asked,
        }
    }
}

impl Analysed {
    /// The part of speech of one of its words (Other when it is not one of them).
    pub fn pos_of(&self, word: &str) -> text::Pos {
        self.tags
            .iter()
            .find(|t| t.word == word)
            .map_or(text::Pos::Other, |t| t.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_bounded_and_not_empty() {
        assert_eq!(Question::parse("  \t\n"), Err(QuestionError::Empty));
        assert_eq!(Question::parse("😀😀"), Err(QuestionError::NoText));
        assert_eq!(Question::parse("？？"), Err(QuestionError::NoText));
        assert!(matches!(
            Question::parse(&"问".repeat(MAX_QUESTION_CHARS + 1)),
            Err(QuestionError::TooLong { .. })
        ));
        assert!(matches!(
            Question::parse(&"问".repeat(1 << 20)),
            Err(QuestionError::TooLong { .. })
        ));
        assert_eq!(Question::parse(" ＧＤＰ 目标 ").unwrap().text(), "GDP目标");
    }

    #[test]
    fn a_question_is_analysed_once_into_words_tags_and_what_it_asks() {
        let q = Question::parse("文峰区2023年人才公寓多少套").unwrap();
        let scope = Scope {
            area: vec!["北关区".into()],
            years: vec![2024],
            ..Default::default()
        };
        let a = q.analyse(&Analyzer::plain(), &scope);
        assert_eq!(a.folded, "文峰区2023年人才公寓多少套");
        assert!(a.words.iter().any(|w| w.text == "人才"), "{:?}", a.words);
        assert_eq!(a.asked.years, vec![2023]);
        assert_eq!(a.asked.places[0].name, "文峰区");
        assert_eq!(
            a.route.reasons,
            [grade::Reason::OtherPlace("文峰区".into())]
        );
        assert_eq!(a.asked.detail, Some(grade::Detail::Count));
    }
}
