//! Admins manage the knowledge folder from the chat: upload a `.md` or `.txt` report (validated
//! with the same rules as the folder, previewed, saved only on 确认, then reloaded) and
//! `/remove` a document (with a confirmation). On a failed reload the folder is put back as it
//! was, so nothing changes.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use teloxide::net::Download;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{App, callback_chat, refuse, reload, send_text};
use crate::knowledge::{self, ANNOUNCEMENTS_ID, DICT_FILE, MAX_FILE_BYTES, SYNONYMS_FILE};
use crate::passages;

/// Uploads awaiting 确认 kept at once; older ones expire.
const MAX_PENDING_UPLOADS: usize = 8;

/// A validated upload awaiting the admin's 确认.
pub(super) struct Upload {
    admin: u64,
    name: String,
    bytes: Vec<u8>,
}

/// The file name to save an upload under, or why it cannot be used.
fn safe_name(raw: Option<&str>) -> Result<String, String> {
    let raw = raw.unwrap_or_default();
    let name = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if name.is_empty()
        || name.starts_with('.')
        || !matches!(ext.as_str(), "md" | "markdown" | "txt")
    {
        return Err(format!("只接受 .md 或 .txt 文本文件，收到的是 {raw:?}。"));
    }
    if name == DICT_FILE || name == SYNONYMS_FILE {
        return Err(format!(
            "{name} 是词典或同义词文件，请直接在知识库文件夹中修改。"
        ));
    }
    Ok(name.to_owned())
}

/// A document message: from an admin in a private chat it is an upload; anyone else is refused.
pub(super) async fn on_document(
    bot: &Bot,
    msg: &Message,
    app: &App,
    doc: &teloxide::types::Document,
) -> anyhow::Result<()> {
    let chat = msg.chat.id;
    let user = msg.from.as_ref().map(|u| u.id.0);
    if !msg.chat.is_private() {
        return Ok(());
    }
    if !user.is_some_and(|u| app.roles.is_admin(u)) {
        return refuse(bot, msg, "document upload").await;
    }
    let name = match safe_name(doc.file_name.as_deref()) {
        Ok(n) => n,
        Err(e) => return Ok(send_text(bot, chat, e).await?),
    };
    if doc.file.size as usize > MAX_FILE_BYTES {
        send_text(
            bot,
            chat,
            format!(
                "文件太大（{} 字节），最多 {MAX_FILE_BYTES} 字节。",
                doc.file.size
            ),
        )
        .await?;
        return Ok(());
    }
    let file = bot.get_file(doc.file.id.clone()).await?;
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes).await?;
    let path = Path::new(&name);
    let parsed =
        knowledge::decode(path, &bytes).and_then(|text| knowledge::parse_document(path, &text));
    let parsed = match parsed {
        Ok(d) => d,
        Err(e) => {
            send_text(bot, chat, format!("文件无法使用，知识库没有改动：\n{e}")).await?;
            return Ok(());
        }
    };
    let passages = passages::from_document(&parsed).len();
    let manifest = app.engine.get().manifest().clone();
    let what = match manifest.documents.iter().find(|d| d.file == name) {
        Some(old) => format!(
            "将替换现有文档《{}》（{} 段 → {} 段）",
            old.title, old.passages, passages
        ),
        None => format!("将新增文档《{}》（{} 段）", parsed.title(), passages),
    };
    let id = app.next_upload.fetch_add(1, Ordering::Relaxed);
    {
        let mut uploads = app.uploads.lock().unwrap_or_else(|e| e.into_inner());
        // Unconfirmed uploads hold their bytes: keep only the most recent few.
        while uploads.len() >= MAX_PENDING_UPLOADS {
            let Some(oldest) = uploads.keys().min().copied() else {
                break;
            };
            uploads.remove(&oldest);
        }
        uploads.insert(
            id,
            Upload {
                admin: user.unwrap_or_default(),
                name: name.clone(),
                bytes,
            },
        );
    }
    let keyboard = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback("确认", format!("up:ok:{id}")),
        InlineKeyboardButton::callback("取消", format!("up:no:{id}")),
    ]]);
    bot.send_message(
        chat,
        format!("文件 {name} 检查通过。{what}。\n确认后保存到知识库并重新加载。"),
    )
    .reply_markup(keyboard)
    .await?;
    Ok(())
}

/// `/remove`: the documents, each a button that asks for confirmation.
pub(super) async fn remove_command(bot: &Bot, chat: ChatId, app: &App) -> anyhow::Result<()> {
    let m = app.engine.get().manifest().clone();
    let fp: String = m.fingerprint.chars().rev().take(8).collect();
    let rows: Vec<Vec<InlineKeyboardButton>> = m
        .documents
        .iter()
        .enumerate()
        .filter(|(_, d)| d.id != ANNOUNCEMENTS_ID)
        .map(|(i, d)| {
            vec![InlineKeyboardButton::callback(
                format!("删除《{}》", d.title),
                format!("rm:ask:{i}:{fp}"),
            )]
        })
        .collect();
    if rows.is_empty() {
        send_text(bot, chat, "知识库中没有可删除的文档。").await?;
        return Ok(());
    }
    bot.send_message(chat, "选择要删除的文档：")
        .reply_markup(InlineKeyboardMarkup::new(rows))
        .await?;
    Ok(())
}

/// Buttons of uploads (`up:…`) and removals (`rm:…`); returns the callback's toast.
pub(super) async fn button(
    bot: &Bot,
    q: &CallbackQuery,
    app: &App,
    data: &str,
) -> anyhow::Result<String> {
    let user = q.from.id.0;
    if !app.roles.is_admin(user) {
        log::warn!("refused document button from user {user}");
        return Ok("抱歉，只有管理员可以管理知识库文档。".to_owned());
    }
    let chat = callback_chat(q);
    let parts: Vec<&str> = data.split(':').collect();
    match parts.as_slice() {
        ["up", action, id] => {
            let Ok(id) = id.parse::<u64>() else {
                return Ok("这个按钮已失效。".to_owned());
            };
            let upload = {
                let mut uploads = app.uploads.lock().unwrap_or_else(|e| e.into_inner());
                match uploads.get(&id) {
                    Some(u) if u.admin == user => uploads.remove(&id),
                    _ => None,
                }
            };
            let Some(upload) = upload else {
                return Ok("这个上传已处理过，或已失效。".to_owned());
            };
            if *action != "ok" {
                return Ok("已取消，知识库没有改动。".to_owned());
            }
            let target = app.settings.knowledge_dir.join(&upload.name);
            let previous = std::fs::read(&target).ok();
            let tmp = app.settings.knowledge_dir.join(format!(".upload-{id}.tmp"));
            std::fs::write(&tmp, &upload.bytes)?;
            std::fs::rename(&tmp, &target)?;
            let text = apply_or_restore(app, &target, previous).await;
            send_text(bot, chat, text).await?;
            Ok("已处理".to_owned())
        }
        ["rm", action, i, fp] => {
            let m = app.engine.get().manifest().clone();
            let current: String = m.fingerprint.chars().rev().take(8).collect();
            let doc = i
                .parse::<usize>()
                .ok()
                .and_then(|i| m.documents.get(i))
                .filter(|d| d.id != ANNOUNCEMENTS_ID);
            let Some(doc) = doc.filter(|_| *fp == current) else {
                return Ok("知识库已有变化，请重新发送 /remove。".to_owned());
            };
            match *action {
                "ask" => {
                    let keyboard = InlineKeyboardMarkup::new([[
                        InlineKeyboardButton::callback("确认删除", format!("rm:ok:{i}:{fp}")),
                        InlineKeyboardButton::callback("取消", "rm:no:0:0".to_owned()),
                    ]]);
                    bot.send_message(
                        chat,
                        format!(
                            "确认从知识库删除《{}》（{}，{} 段）？",
                            doc.title, doc.file, doc.passages
                        ),
                    )
                    .reply_markup(keyboard)
                    .await?;
                    Ok("请确认".to_owned())
                }
                "ok" => {
                    let target: PathBuf = app.settings.knowledge_dir.join(&doc.file);
                    let previous = std::fs::read(&target).ok();
                    if previous.is_none() {
                        return Ok("文件已不存在，请重新发送 /remove。".to_owned());
                    }
                    std::fs::remove_file(&target)?;
                    let text = apply_or_restore(app, &target, previous).await;
                    send_text(bot, chat, text).await?;
                    Ok("已处理".to_owned())
                }
                _ => Ok("已取消".to_owned()),
            }
        }
        ["rm", "no", ..] => Ok("已取消".to_owned()),
        _ => Ok("这个按钮已失效。".to_owned()),
    }
}

/// Reloads after a change to `target`; on failure puts `previous` back (or removes a new file)
/// so the folder is as it was. Returns the message for the admin.
async fn apply_or_restore(app: &App, target: &Path, previous: Option<Vec<u8>>) -> String {
    match reload(app).await {
        Ok(summary) => summary,
        Err(e) => {
            let restored = match previous {
                Some(bytes) => std::fs::write(target, bytes),
                None => std::fs::remove_file(target),
            };
            if let Err(r) = restored {
                log::error!("cannot restore {}: {r}", target.display());
            }
            format!("重新加载失败，知识库已恢复原状：\n{e:#}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_checked() {
        assert_eq!(safe_name(Some("报告.md")).unwrap(), "报告.md");
        assert_eq!(safe_name(Some("../../etc/x.txt")).unwrap(), "x.txt");
        for bad in [
            None,
            Some(""),
            Some(".hidden.md"),
            Some("a.pdf"),
            Some("dict.txt"),
            Some("dir/"),
        ] {
            assert!(safe_name(bad).is_err(), "{bad:?}");
        }
    }
}
