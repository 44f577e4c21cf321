//! What a change to the knowledge base did, worded for the admin who made it: a reload's
//! summary (documents added, removed, changed), and why a change did not take effect (the
//! folder could not be written, the new folder did not load and was put back, a synonym group
//! that cannot be used). Shared by the rooms that change the knowledge base.

use crate::config::Secret;
use crate::knowledge::{MAX_GROUP_WORDS, MAX_WORD_CHARS, SynonymError};
use crate::service::{ChangeError, Reload};

/// What a reload did, for the admin who asked for it.
pub fn reload_summary(r: &Reload) -> String {
    let list = |v: &[String]| {
        if v.is_empty() {
            "无".to_owned()
        } else {
            v.join("、")
        }
    };
    format!(
        "知识库已重新加载：{} 份报告、{} 段，用时 {:.1} 秒。\n新增：{}\n删除：{}\n修改：{}",
        r.manifest.documents.len(),
        r.manifest.passages,
        r.elapsed.as_secs_f64(),
        list(&r.changes.added),
        list(&r.changes.removed),
        list(&r.changes.changed)
    )
}

/// What a failed change to the folder means for the admin.
pub fn change_failure(e: &ChangeError, token: &Secret) -> String {
    let detail = token.redact(&e.to_string());
    match e {
        ChangeError::Write(_) => format!("无法写入知识库文件夹，知识库没有改动：\n{detail}"),
        ChangeError::Rejected(_) => format!("重新加载失败，知识库已恢复原状：\n{detail}"),
        ChangeError::NotRestored { .. } => {
            format!("重新加载失败，而且未能恢复原文件，请检查知识库文件夹：\n{detail}")
        }
        ChangeError::NoSuchFile(_) => "文件已不存在，请重新发送 /remove。".to_owned(),
        ChangeError::Synonyms(e) => synonym_problem(e),
    }
}

/// What an admin is told about a synonym group that cannot be used.
pub fn synonym_problem(e: &SynonymError) -> String {
    match e {
        SynonymError::TooFew => "同义词组至少要有两个不同的词。".to_owned(),
        SynonymError::TooMany => format!("一个同义词组最多 {MAX_GROUP_WORDS} 个词。"),
        SynonymError::BadWord(w) => format!(
            "“{w}”不是一个词：每个词只能由汉字、字母或数字组成，最多 {MAX_WORD_CHARS} 个字（# 等符号不能用）。"
        ),
        SynonymError::Exists(0) => "同一组词写了两遍。".to_owned(),
        SynonymError::Exists(line) => {
            format!("这组同义词已经在同义词表里了（第 {line} 行）。")
        }
        SynonymError::NotFound => {
            "同义词表里没有正好由这些词组成的一组。发送 /synonym list 查看全部。".to_owned()
        }
        SynonymError::NoSuchNumber(n) => {
            format!("没有第 {n} 组。发送 /synonym list 查看全部。")
        }
        SynonymError::Io(e) => format!("无法写入同义词表，知识库没有改动：\n{e}"),
    }
}
