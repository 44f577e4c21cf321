//! `/synonym`: admins see and change the citizens' lexicon from the chat.
//!
//! `/synonym list` shows every group, numbered; `/synonym 词` the groups holding a word;
//! `/synonym 词 词 …` (one group per line) previews what the groups would change — how often
//! each word occurs in the reports, words the reports use that never share a passage, and how
//! many questions (the examples, those asked lately, the groups' own words) would be answered
//! differently — and saves them only on 确认; `/synonym remove 7` or `/synonym remove 词 词`
//! removes a group, bundled ones too. Every reply echoes the group as saved or removed.
//! Parsing and the rules are the knowledge module's, measuring and saving the service's.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::App;
use super::callback::Callback;
use super::callback::Pressed;
use super::changes::{change_failure, reload_summary, synonym_problem};
use super::html::escape_html;
use super::reply::{Outgoing, callback_chat, send, send_text};
use crate::grade::Match;
use crate::knowledge::synonyms::parse_group;
use crate::knowledge::{Group, Which};
use crate::service::SynonymImpact;

const USAGE: &str = "用法：\n/synonym list —— 查看全部同义词组\n/synonym 托育 —— 查看包含这个词的组\n/synonym 托儿所 托育 托位 —— 添加一组（市民的说法和报告里的说法放在一起；一行一组，可以一次发几行），先预览，确认后保存\n/synonym remove 7 —— 删除第 7 组；/synonym remove 托儿所 托育 托位 —— 删除正好由这些词组成的一组";

/// Changed answers listed in a preview; more are counted.
const SHOWN_CHANGES: usize = 8;

fn numbered(n: usize, g: &Group) -> String {
    format!("{n}. {}", g.words.join(" "))
}

/// `/synonym …`.
pub async fn command(
    bot: &Bot,
    chat: ChatId,
    admin: u64,
    app: &Arc<App>,
    args: &str,
) -> anyhow::Result<()> {
    let args = args.trim();
    let (verb, rest) = args
        .split_once(char::is_whitespace)
        .map_or((args, ""), |(v, r)| (v, r.trim()));
    let text = match verb {
        "" => USAGE.to_owned(),
        "list" | "列表" => list(app, None).await?,
        "remove" | "删除" | "rm" => remove(app, rest).await?,
        _ if !args.contains(char::is_whitespace) => list(app, Some(args)).await?,
        _ => return preview(bot, chat, admin, app, args).await,
    };
    send_text(bot, chat, &text).await?;
    Ok(())
}

/// Every group, or those holding `word`, numbered as `/synonym remove` takes them.
async fn list(app: &App, word: Option<&str>) -> anyhow::Result<String> {
    let kb = app.kb.clone();
    let groups = tokio::task::spawn_blocking(move || kb.synonym_groups()).await??;
    let wanted =
        word.map(|w| crate::text::to_simplified(&crate::text::normalize(w)).to_lowercase());
    let lines: Vec<String> = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| wanted.as_ref().is_none_or(|w| g.words.contains(w)))
        .map(|(i, g)| numbered(i + 1, g))
        .collect();
    Ok(match (word, lines.is_empty()) {
        (Some(w), true) => format!("没有包含“{w}”的同义词组。添加：/synonym {w} 报告里的说法"),
        (Some(w), false) => format!("包含“{w}”的同义词组：\n{}", lines.join("\n")),
        (None, true) => "同义词表是空的。".to_owned(),
        (None, false) => format!(
            "同义词表共 {} 组（删除：/synonym remove 编号）：\n{}",
            lines.len(),
            lines.join("\n")
        ),
    })
}

/// `/synonym remove 7` or `/synonym remove 词 词 …`.
async fn remove(app: &App, rest: &str) -> anyhow::Result<String> {
    let which = match rest.parse::<usize>() {
        Ok(n) => Which::Number(n),
        Err(_) => match parse_group(rest) {
            Ok(words) => Which::Words(words),
            Err(e) => return Ok(synonym_problem(&e)),
        },
    };
    let result = app.change(move |kb| kb.remove_synonyms(&which)).await?;
    Ok(match result {
        Ok((reload, group)) => format!(
            "已删除这组同义词：{}\n{}",
            group.words.join(" "),
            reload_summary(&reload)
        ),
        Err(e) => change_failure(&e, &app.token),
    })
}

/// One group per line, checked, then measured; the preview with 确认 / 取消.
async fn preview(
    bot: &Bot,
    chat: ChatId,
    admin: u64,
    app: &Arc<App>,
    args: &str,
) -> anyhow::Result<()> {
    let mut groups = Vec::new();
    for (i, line) in args
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        match parse_group(line) {
            Ok(g) => groups.push(g),
            Err(e) => {
                let text = format!(
                    "第 {} 行没有保存：{}\n没有任何改动。",
                    i + 1,
                    synonym_problem(&e)
                );
                send_text(bot, chat, &text).await?;
                return Ok(());
            }
        }
    }
    let kb = app.kb.clone();
    let existing = tokio::task::spawn_blocking(move || kb.synonym_groups()).await??;
    for g in &groups {
        let mut sorted = g.clone();
        sorted.sort();
        if let Some((n, _)) = existing.iter().enumerate().find(|(_, old)| {
            let mut o = old.words.clone();
            o.sort();
            o == sorted
        }) {
            let text = format!("这组同义词已经在同义词表里了（第 {} 组）。", n + 1);
            send_text(bot, chat, &text).await?;
            return Ok(());
        }
    }
    let kb = app.kb.clone();
    let trial = groups.clone();
    let impact = tokio::task::spawn_blocking(move || {
        kb.synonym_impact(&trial, crate::answer::suggest::EXAMPLE_POOL)
    })
    .await?;
    let impact = match impact {
        Ok(i) => i,
        Err(e) => {
            let text = format!("无法试算这组同义词，没有任何改动：\n{e}");
            send_text(bot, chat, &app.token.redact(&text)).await?;
            return Ok(());
        }
    };
    let id = app.synonyms.insert(admin, groups.clone());
    let keyboard = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(
            "确认添加",
            Callback::Synonym { id, save: true }.to_string(),
        ),
        InlineKeyboardButton::callback("取消", Callback::Synonym { id, save: false }.to_string()),
    ]]);
    let text = impact_text(&groups, &impact);
    send(
        bot,
        chat,
        Outgoing::html(escape_html(&text)).keyboard(keyboard),
    )
    .await?;
    Ok(())
}

fn tier_name(m: Match) -> &'static str {
    match m {
        Match::Direct => "直接回答",
        Match::Related => "相关内容",
        Match::None => "没有找到",
    }
}

/// The preview: the groups as they will be saved, how the reports see their words, and what
/// would change.
fn impact_text(groups: &[Vec<String>], impact: &SynonymImpact) -> String {
    let mut out = format!("将添加 {} 组同义词：\n", groups.len());
    for (g, check) in groups.iter().zip(&impact.groups) {
        out.push_str(&format!("· {}\n", g.join(" ")));
        let words: Vec<String> = check
            .words
            .iter()
            .map(|(w, n)| {
                if *n == 0 {
                    format!("{w}（报告里没有）")
                } else {
                    format!("{w}（{n} 段）")
                }
            })
            .collect();
        out.push_str(&format!("  报告里的用法：{}\n", words.join("、")));
        if check.words.iter().all(|(_, n)| *n == 0) {
            out.push_str("  ⚠ 这组词报告里都没有，添加后找不到任何内容。\n");
        }
        if !check.apart.is_empty() {
            out.push_str(&format!(
                "  ⚠ {} 在报告里从不出现在同一段：它们可能不是一个意思。\n",
                check.apart.join("、")
            ));
        }
    }
    out.push_str(&format!(
        "\n试算了 {} 个问题（示例问题、最近的提问和这些词本身），{} 个的回答会改变",
        impact.probes,
        impact.changed.len()
    ));
    if impact.changed.is_empty() {
        out.push('。');
    } else {
        out.push_str("：\n");
        for (q, before, after) in impact.changed.iter().take(SHOWN_CHANGES) {
            out.push_str(&format!(
                "· {}：{} → {}\n",
                crate::text::shorten(q, 30),
                tier_name(*before),
                tier_name(*after)
            ));
        }
        if impact.changed.len() > SHOWN_CHANGES {
            out.push_str(&format!(
                "……另有 {} 个\n",
                impact.changed.len() - SHOWN_CHANGES
            ));
        }
    }
    out.push_str("\n确认后保存到同义词表并重新加载。");
    out
}

/// 确认添加 / 取消 under a preview; admins only, the author's own.
pub async fn button(
    bot: Bot,
    q: CallbackQuery,
    app: Arc<App>,
    id: u64,
    save: bool,
) -> anyhow::Result<Pressed> {
    let user = q.from.id.0;
    if !app.roles.is_admin(user) {
        log::warn!("refused a synonym button from someone who is not an admin");
        return Ok(Pressed::toast("抱歉，只有管理员可以修改同义词表。"));
    }
    let Some(groups) = app.synonyms.take(id, user) else {
        return Ok(Pressed::toast("这组同义词已处理过，或已失效。"));
    };
    if !save {
        return Ok(Pressed::toast("已取消，同义词表没有改动。"));
    }
    let chat = callback_chat(&q);
    Ok(Pressed::then(
        "正在保存并重新加载知识库，完成后告诉您。",
        async move {
            let saved = groups.clone();
            let result = app.change(move |kb| kb.add_synonyms(&saved)).await?;
            let text = match result {
                Ok(reload) => {
                    let lines: Vec<String> = groups
                        .iter()
                        .map(|g| format!("· {}", g.join(" ")))
                        .collect();
                    format!(
                        "已添加：\n{}\n{}",
                        lines.join("\n"),
                        reload_summary(&reload)
                    )
                }
                Err(e) => change_failure(&e, &app.token),
            };
            send_text(&bot, chat, &text).await?;
            Ok(())
        },
    ))
}
