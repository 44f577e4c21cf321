//! Chinese tokenisation: jieba-rs behind a tantivy tokenizer, the user dictionary and synonyms.
//!
//! One [`Analyzer`] owns one `Arc<Jieba>`; tantivy clones the tokenizer for every use, so the
//! tokenizer holds only that `Arc` (cloning a whole `Jieba` costs milliseconds). Both passages and
//! questions are converted to Simplified Chinese and lower-cased here, after
//! [`crate::text::normalize`]; offsets always point into the text as given, so that snippets and
//! highlights line up with the stored text. A number followed by `%` or a unit is emitted both
//! whole ("6.5%") and as the bare number ("6.5"). This module does no I/O: the knowledge module
//! reads `dict.txt` and `synonyms.txt`, and the parsers here report problems by file and line.

use std::path::Path;
use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::knowledge::SourceError;
use crate::knowledge::synonyms::{self, Synonyms};
use crate::text::{self, Pos, Tagged};

/// Name under which the tokenizer is registered with tantivy.
pub const TOKENIZER_NAME: &str = "lianghui_jieba";

/// Words of a question that say how it is asked, not what it is about: question words,
/// particles, pronouns, light verbs and adverbs, in standard Chinese and in the everyday and
/// Henan speech residents type (俺, 咱, 咋, 啥, 中不中). Grouped by what they do; a word that
/// carries a topic (上学, 找工作) is never here, only its light parts (上, 找) are.
#[rustfmt::skip]
const FILLERS: &[&str] = &[
    // Question words and question frames.
    "什么", "啥", "啥样", "多少", "几", "几个", "怎么", "怎么样", "怎样", "怎么办", "怎么回事",
    "如何", "如何做", "咋", "咋样", "咋办", "咋整", "咋弄", "咋回事", "么样", "为啥", "为什么",
    "凭啥", "干啥", "干嘛", "哪些", "哪个", "哪里", "哪儿", "哪", "哪家", "哪方面", "谁", "有哪些",
    "什么样", "多大", "是多少", "多少个", "有多少", "是不是", "是否", "能不能", "不能", "会不会",
    "有没有", "管不管", "不管", "行不行", "可不可以", "搞不搞", "给不给", "中不中", "吗?",
    // Words that ask when: the detail asked for is checked by itself, so they are no topic.
    "啥时候", "什么时候", "啥时", "几时", "何时", "哪天", "哪一天", "哪几天", "几号", "几月",
    "哪年", "多会儿", "什么时间", "啥时间", "多久", "多长时间", "几天",
    // Particles.
    "吗", "呢", "吧", "啊", "呀", "嘛", "哦", "哈", "呗", "啦", "咧", "么", "哇", "的", "了", "着",
    "过", "地", "得", "之", "其",
    // Pronouns, demonstratives, the asker's own district and vague quantities.
    "区里", "咱区", "本区", "我区", "我", "我们", "你", "你们", "您", "他", "她", "他们", "俺",
    "俺们", "俺家", "咱", "咱们", "咱家", "人家", "大家", "自己", "这", "那", "这个", "那个",
    "这些", "那些", "这样", "那样", "这么", "那么", "这儿", "那儿", "这边", "那边", "这里",
    "那里", "这回", "这次", "这块", "那块", "这事", "那事", "那条", "这条", "身边", "家里", "该",
    "些", "一些", "好些", "好多", "点", "一点", "一下", "一下子", "一样", "一块", "一起", "个",
    "等", "等等", "什么的",
    // Light verbs and modal verbs.
    "是", "有", "在", "会", "要", "想", "能", "可以", "应该", "需要", "准备", "打算", "计划",
    "给", "让", "把", "被", "叫", "搞", "弄", "整", "干", "做", "用", "去", "来", "到", "回来",
    "上", "下", "说", "问", "问问", "请", "请问", "告诉", "知道", "想知道", "觉得", "听说",
    "据说", "介绍", "讲讲", "说说", "看", "看看", "帮", "帮忙", "帮帮", "管", "管管", "找",
    // Adverbs.
    "不", "没", "没有", "别", "还", "都", "也", "就", "又", "再", "才", "老", "总", "总是",
    "一直", "已经", "到底", "究竟", "真的", "真", "确实", "好像", "平常", "平时", "往后",
    "以后", "今后", "现在", "目前", "最近", "今年", "今年度", "马上", "赶紧", "太", "挺", "很",
    "非常", "特别", "多", "好", "大", "新", "主要", "具体", "关于", "相关", "方面", "情况",
    "措施",
    // Function words.
    "和", "与", "及", "或者", "或", "对", "从", "向", "为", "以", "后", "前", "跟",
    // Generic nouns of a question, and bare time units (年 of 2023年).
    "年", "月", "日", "号", "人", "有人", "没人", "事", "事儿", "事情", "东西", "时候", "地方",
    "办法",
    // English.
    "the", "a", "an", "is", "are", "of", "in", "on", "to", "and", "what", "how", "who", "when",
    "where", "which", "why", "do", "does", "did", "i", "you", "s", "my", "can", "me",
];

/// Units after a number that make a searchable whole with it ("6.5%", "450套").
fn is_unit(word: &str) -> bool {
    word == "%" || (word.chars().count() <= 2 && word.chars().all(text::is_cjk))
}

fn is_number(word: &str) -> bool {
    !word.is_empty()
        && word.chars().next().is_some_and(|c| c.is_ascii_digit())
        && word.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// True for words that carry no meaning in a question.
pub fn is_filler(word: &str) -> bool {
    FILLERS.contains(&word)
}

/// Parses `dict.txt` into jieba: `word freq [tag]` per line. A line without a frequency is an
/// error here, since jieba-rs would ignore it without a word.
fn load_user_dict(jieba: &mut Jieba, path: &Path, text: &str) -> Vec<SourceError> {
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let word = parts.next().unwrap_or_default();
        match parts.next().map(str::parse::<usize>) {
            Some(Ok(freq)) if freq > 0 => {
                let word = text::to_simplified(&text::normalize(word));
                jieba.add_word(&word, Some(freq), parts.next());
            }
            Some(_) => errors.push(SourceError::new(
                path,
                i + 1,
                format!("{word:?}: the frequency must be a positive whole number"),
            )),
            None => errors.push(SourceError::new(
                path,
                i + 1,
                format!("{word:?} has no frequency (write `{word} 1000`): jieba would ignore it"),
            )),
        }
    }
    errors
}

/// A token of analysed text: the word and its byte range in the text as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// One meaningful word of a question, with its parts and synonyms.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryWord {
    pub text: String,
    /// Shorter words inside it that the index also holds (search mode).
    pub parts: Vec<String>,
    pub synonyms: Vec<String>,
    /// Its Chinese characters, the last resort for a word the reports never use.
    pub chars: Vec<String>,
}

/// The shared analysis state: the dictionary-loaded jieba and the synonyms.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
    synonyms: Arc<Synonyms>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("synonyms", &self.synonyms.len())
            .finish()
    }
}

impl Analyzer {
    /// Builds the analyzer from the raw dictionary and synonym files; problems in them are
    /// returned with file and line, and the usable lines are applied regardless.
    pub fn new(
        dict: Option<(&Path, &str)>,
        synonyms: Option<(&Path, &str)>,
    ) -> (Analyzer, Vec<SourceError>) {
        let mut jieba = Jieba::new();
        let mut errors = Vec::new();
        let syn = match synonyms {
            Some((path, text)) => {
                let (groups, errs) = synonyms::parse_file(path, text);
                errors.extend(errs);
                Synonyms::new(&groups)
            }
            None => Synonyms::default(),
        };
        // Synonyms stay whole words, so a question's 找工作 is looked up as one word.
        for word in syn.words() {
            if word.chars().count() > 1 && !jieba.has_word(word) {
                jieba.add_word(word, None, None);
            }
        }
        if let Some((path, text)) = dict {
            errors.extend(load_user_dict(&mut jieba, path, text));
        }
        (
            Analyzer {
                jieba: Arc::new(jieba),
                synonyms: Arc::new(syn),
            },
            errors,
        )
    }

    /// An analyzer with jieba's own dictionary and no synonyms.
    pub fn plain() -> Analyzer {
        Analyzer::new(None, None).0
    }

    pub fn synonyms(&self) -> &Synonyms {
        &self.synonyms
    }

    /// The tantivy tokenizer sharing this analyzer's jieba.
    pub fn tokenizer(&self) -> JiebaTokenizer {
        JiebaTokenizer {
            analyzer: self.clone(),
        }
    }

    /// Index-side tokens (search mode) of text as written.
    pub fn index_terms(&self, text: &str) -> Vec<Term> {
        self.terms(text, true)
    }

    /// Words of text as written, in precise mode (no overlapping parts).
    pub fn words(&self, text: &str) -> Vec<Term> {
        self.terms(text, false)
    }

    /// Words of text as written with their parts of speech (from jieba's tags: `ns` a place,
    /// `nr` a person, `m` a number, …), folded as [`text::fold_for_match`] folds them.
    pub fn tagged(&self, input: &str) -> Vec<Tagged> {
        let folded = text::fold_for_match(input);
        self.jieba
            .tag(&folded, true)
            .into_iter()
            .filter(|tag| tag.word.chars().any(char::is_alphanumeric))
            .map(|tag| Tagged::new(tag.word, Pos::of_tag(tag.tag)))
            .collect()
    }

    /// Precise-mode tokens of folded text. HMM keeps numbers such as 6.5% whole, but also glues
    /// a question's verbs into new words no passage holds (要建, 哪开): such unknown Chinese
    /// words are cut again without it.
    fn cut_precise<'a>(&self, folded: &'a str) -> Vec<jieba_rs::Token<'a>> {
        let mut out = Vec::new();
        for tok in self.jieba.cut(folded, true) {
            let unknown = tok.word.chars().count() > 1
                && tok.word.chars().all(text::is_cjk)
                && !self.jieba.has_word(tok.word);
            if !unknown {
                out.push(tok);
                continue;
            }
            for sub in self.jieba.cut(tok.word, false) {
                out.push(jieba_rs::Token {
                    word: &folded[tok.byte_start + sub.byte_start..tok.byte_start + sub.byte_end],
                    start: tok.start + sub.start,
                    end: tok.start + sub.end,
                    byte_start: tok.byte_start + sub.byte_start,
                    byte_end: tok.byte_start + sub.byte_end,
                });
            }
        }
        out
    }

    /// Analyses text in search mode (index side, with HMM for unknown words) or precise mode
    /// without HMM (question side: HMM would glue a question's verbs into new words such as
    /// 要建 or 哪开 that no passage holds).
    fn terms(&self, input: &str, search_mode: bool) -> Vec<Term> {
        if input.is_empty() {
            return Vec::new();
        }
        // Folded character for character (half-width, Simplified, lower case): jieba sees one
        // form of every text, and its character positions are positions in `input`.
        let simplified = text::fold_for_match(input);
        // Byte offset in `input` of every character, and one past the end.
        let mut offsets: Vec<usize> = input.char_indices().map(|(i, _)| i).collect();
        offsets.push(input.len());
        let raw = if search_mode {
            self.jieba.cut_for_search(&simplified, true)
        } else {
            self.cut_precise(&simplified)
        };
        let mut terms: Vec<Term> = Vec::with_capacity(raw.len() + 4);
        for (n, tok) in raw.iter().enumerate() {
            let word = tok.word;
            if !word.chars().any(char::is_alphanumeric) {
                continue;
            }
            let at = |char_index: usize| offsets[char_index.min(offsets.len() - 1)];
            let (start, end) = (at(tok.start), at(tok.end));
            terms.push(Term {
                text: word.to_owned(),
                start,
                end,
            });
            // jieba may keep "6.5%" whole: the bare number is searchable too.
            let digits = word
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(word.len());
            if digits > 0
                && digits < word.len()
                && is_number(&word[..digits])
                && is_unit(&word[digits..])
            {
                // Digits and '.' are ASCII after folding: bytes are characters.
                terms.push(Term {
                    text: word[..digits].to_owned(),
                    start,
                    end: at(tok.start + digits),
                });
            }
            // A number and its unit are also one term: "6.5" + "%" -> "6.5%".
            if is_number(word)
                && let Some(next) = raw.get(n + 1)
                && next.start == tok.end
                && is_unit(next.word)
            {
                terms.push(Term {
                    text: format!("{}{}", word, next.word),
                    start,
                    end: at(next.end),
                });
            }
        }
        terms
    }

    /// The meaningful words of a normalised question, with parts and synonyms, fillers removed,
    /// each word once.
    pub fn query_words(&self, question: &str) -> Vec<QueryWord> {
        let mut out: Vec<QueryWord> = Vec::new();
        for term in self.words(question) {
            if is_filler(&term.text) || out.iter().any(|w| w.text == term.text) {
                continue;
            }
            let parts = if term.text.chars().count() > 2 {
                self.terms(&term.text, true)
                    .into_iter()
                    .map(|t| t.text)
                    .filter(|p| *p != term.text && p.chars().count() >= 2 && !is_filler(p))
                    .fold(Vec::new(), |mut acc, p| {
                        if !acc.contains(&p) {
                            acc.push(p);
                        }
                        acc
                    })
            } else {
                Vec::new()
            };
            let synonyms = self.synonyms.of(&term.text).to_vec();
            let chars = if term.text.chars().count() > 1 {
                term.text
                    .chars()
                    .filter(|c| text::is_cjk(*c))
                    .map(String::from)
                    .filter(|c| !is_filler(c))
                    .collect()
            } else {
                Vec::new()
            };
            out.push(QueryWord {
                text: term.text,
                parts,
                synonyms,
                chars,
            });
        }
        out
    }
}

/// tantivy's view of the analyzer. Cloning it clones an `Arc`.
#[derive(Clone)]
pub struct JiebaTokenizer {
    analyzer: Analyzer,
}

/// Tokens of one text, handed to tantivy one by one.
pub struct TermStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = TermStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermStream {
        let tokens = self
            .analyzer
            .index_terms(text)
            .into_iter()
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.start,
                offset_to: t.end,
                position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        TermStream { tokens, index: 0 }
    }
}

impl TokenStream for TermStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(terms: &[Term]) -> Vec<&str> {
        terms.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn numbers_are_searchable_whole_and_bare() {
        let a = Analyzer::plain();
        let t = a.index_terms("经济增长6.5%,新建人才公寓450套");
        let words = texts(&t);
        for want in ["6.5", "6.5%", "450", "450套", "人才"] {
            assert!(words.contains(&want), "{want} missing from {words:?}");
        }
        let input = "经济增长6.5%,新建人才公寓450套";
        for term in &t {
            assert_eq!(
                input[term.start..term.end].to_lowercase(),
                term.text,
                "{term:?}"
            );
        }
    }

    #[test]
    fn traditional_offsets_point_into_the_input() {
        let a = Analyzer::plain();
        let input = "購房補貼";
        let t = a.index_terms(input);
        assert!(texts(&t).contains(&"购房"), "{t:?}");
        for term in t {
            assert!(input.is_char_boundary(term.start) && input.is_char_boundary(term.end));
        }
    }

    #[test]
    fn user_dictionary_keeps_names_whole_and_rejects_lines_without_frequency() {
        let (a, errors) = Analyzer::new(
            Some((Path::new("dict.txt"), "蓝天实验室 1000 nz\n涓泉涌流\n")),
            None,
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 2);
        assert!(texts(&a.words("把蓝天实验室打造成")).contains(&"蓝天实验室"));
    }

    #[test]
    fn question_words_drop_fillers_and_carry_synonyms() {
        let (a, errors) = Analyzer::new(None, Some((Path::new("s.txt"), "找工作 就业\n孤词\n")));
        assert_eq!(errors.len(), 1);
        let words = a.query_words("我想找工作怎么办呢");
        assert_eq!(words.len(), 1, "{words:?}");
        assert_eq!(words[0].text, "找工作");
        assert_eq!(words[0].synonyms, vec!["就业".to_string()]);
    }
}
