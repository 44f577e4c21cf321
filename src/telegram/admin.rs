//! What admins may do: `/reload`, `/stats`, `/gaps` (documents are `documents.rs`'s, the
//! lexicon `synonyms.rs`'s), and the Chinese wording of what a reload or change did.

use std::sync::Arc;

use teloxide::prelude::*;

use super::App;
use super::changes::reload_summary;
use super::commands::AdminCommand;
use super::documents;
use super::reply::send_text;
use crate::grade::Match;
use crate::time::{format_cst, now_unix};

/// An admin's command, in a private chat (the handler tree answers it in groups).
pub async fn handle(
    bot: Bot,
    msg: Message,
    cmd: AdminCommand,
    app: Arc<App>,
) -> anyhow::Result<()> {
    let chat = msg.chat.id;
    let text = match cmd {
        AdminCommand::Reload => {
            send_text(&bot, chat, "正在重新加载知识库……").await?;
            app.change(|kb| kb.reload()).await.map(|r| match r {
                Ok(reload) => reload_summary(&reload),
                Err(e) => format!(
                    "重新加载失败，继续使用原有知识库。\n{}",
                    app.token.redact(&format!("{e:#}"))
                ),
            })
        }
        AdminCommand::Remove => return documents::remove_command(&bot, chat, &app).await,
        AdminCommand::Stats => stats_text(&app).await,
        AdminCommand::Gaps => gaps_text(&app).await,
        AdminCommand::Synonym(args) => {
            let admin = msg.from.as_ref().map_or(0, |u| u.id.0);
            return super::synonyms::command(&bot, chat, admin, &app, &args).await;
        }
    };
    // Every failure is answered too, not only logged.
    let text = text.unwrap_or_else(|e| {
        let e = app.token.redact(&format!("{e:#}"));
        log::error!("admin command: {e}");
        format!("操作失败：{e}")
    });
    send_text(&bot, chat, &text).await?;
    Ok(())
}

async fn stats_text(app: &App) -> anyhow::Result<String> {
    let s = app.kb.store().with(|s| s.stats(now_unix())).await?;
    let share = if s.questions_7d > 0 {
        100.0 * s.unanswered_7d as f64 / s.questions_7d as f64
    } else {
        0.0
    };
    let kb = app.kb.clone();
    let last = tokio::task::spawn_blocking(move || kb.last_reload())
        .await??
        .map_or_else(|| "启动以来未重新加载".to_owned(), format_cst);
    let m = app.kb.engine().manifest().clone();
    let mut text = format!(
        "订阅者：{}\n近24小时提问：{}\n近7天提问：{}，未能回答 {:.0}%\n知识库：{} 份报告、{} 段\n最近重新加载：{}",
        s.subscribers,
        s.questions_24h,
        s.questions_7d,
        share,
        m.documents.len(),
        m.passages,
        last
    );
    if let Some(desk) = &app.desk {
        let before = now_unix() - desk.overdue_after();
        let t = app.kb.store().with(move |s| s.ticket_stats(before)).await?;
        let median = t.median_first_response.map_or_else(
            || "暂无".to_owned(),
            |secs| {
                if secs < 3600 {
                    format!("{} 分钟", (secs + 59) / 60)
                } else {
                    format!("{:.1} 小时", secs as f64 / 3600.0)
                }
            },
        );
        text.push_str(&format!(
            "\n人工留言：未办结 {}，超过 {} 天未答复 {}，已办结 {}；首次答复用时中位数 {}",
            t.open, desk.settings.reply_days, t.overdue, t.closed, median
        ));
    }
    Ok(text)
}

async fn gaps_text(app: &App) -> anyhow::Result<String> {
    let list = |title: &str, rows: Vec<(String, u64)>| {
        if rows.is_empty() {
            format!("{title}：无")
        } else {
            let lines: Vec<String> = rows
                .iter()
                .map(|(q, n)| format!("· {q}（{n} 次）"))
                .collect();
            format!("{title}：\n{}", lines.join("\n"))
        }
    };
    let now = now_unix();
    let (none, related, disliked) = app
        .kb
        .store()
        .with(move |s| {
            Ok((
                s.gaps(Match::None, now, 30, 10)?,
                s.gaps(Match::Related, now, 30, 10)?,
                s.disliked(now, 30, 10)?,
            ))
        })
        .await?;
    let mut text = format!(
        "{}\n\n{}\n\n{}\n\n可以用 /synonym 把市民的说法和报告里的说法连起来。",
        list("近30天最常见的没有找到答案的问题", none),
        list("近30天最常见的只找到相关内容的问题", related),
        list("近30天最常被点 👎 的问题", disliked)
    );
    let kb = app.kb.clone();
    let faqs = tokio::task::spawn_blocking(move || kb.faq_hits()).await??;
    if !faqs.is_empty() {
        let short = |t: &str| crate::text::shorten(t, 40).into_owned();
        let (hit, never): (Vec<_>, Vec<_>) = faqs.into_iter().partition(|(_, n)| *n > 0);
        let mut hit: Vec<(String, u64)> = hit.into_iter().map(|(t, n)| (short(&t), n)).collect();
        hit.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let never: Vec<String> = never
            .iter()
            .map(|(t, _)| format!("· {}", short(t)))
            .collect();
        text.push_str(&format!(
            "\n\n{}\n\n从未作为第一条答案的常见问题：{}",
            list("常见问题作为第一条答案的次数", hit),
            if never.is_empty() {
                "无".to_owned()
            } else {
                format!("\n{}", never.join("\n"))
            }
        ));
    }
    Ok(text)
}
