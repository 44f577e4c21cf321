//! Admins manage the knowledge folder from the chat: upload a report (Word, PDF, web page,
//! text or Markdown; checked with the same rules as the folder, previewed with what was read
//! from it (see [`super::preview`]), saved only on 确认) and `/remove` a document
//! (after a confirmation). Saving, removing, reloading and putting the folder back on failure
//! are the knowledge service's; this file only talks to the admin.

use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::App;
use super::callback::Pressed;
use super::callback::{Callback, RemoveStep};
use super::changes::{change_failure, reload_summary};
use super::html::escape_html;
use super::pending::Upload;
use super::reply::{EXPIRED, Outgoing, callback_chat, send, send_text};
use crate::config::Secret;
use crate::index::passages;
use crate::knowledge::{self, ANNOUNCEMENTS_ID, MAX_FILE_BYTES, NameError, UploadError};
use crate::service::{ChangeError, Reload};

/// Longest document title on a button or in a question to the admin, in characters; the
/// file name says the rest.
const MAX_LABEL_CHARS: usize = 30;
fn name_problem(e: &NameError) -> String {
    match e {
        NameError::NotText(raw) => format!(
            "只接受 Word（.docx）、PDF、网页（.html）、文本（.txt）或 Markdown（.md）文件，收到的是 {raw:?}。"
        ),
        NameError::Reserved(name) => {
            format!("{name} 是词典或同义词文件，请直接在知识库文件夹中修改。")
        }
        NameError::Unusable => format!(
            "文件名里有换行等控制字符，或者超过 {} 字节，请改个简短的文件名再上传。",
            knowledge::MAX_NAME_BYTES
        ),
        NameError::ReservedId(name) => {
            format!("{name} 这个名字留给机器人自己的通知公告，请改个文件名再上传。")
        }
    }
}

/// A document message: from an admin in a private chat it is an upload; anyone else is refused.
pub async fn on_document(bot: Bot, msg: Message, app: std::sync::Arc<App>) -> anyhow::Result<()> {
    let (chat, Some(doc)) = (msg.chat.id, msg.document()) else {
        return Ok(());
    };
    let user = msg.from.as_ref().map(|u| u.id.0);
    if !msg.chat.is_private() {
        return Ok(());
    }
    let Some(admin) = user.filter(|u| app.roles.is_admin(*u)) else {
        return super::guard::refuse(bot, msg).await;
    };
    let name = match knowledge::upload_name(doc.file_name.as_deref().unwrap_or_default()) {
        Ok(n) => n,
        Err(e) => return Ok(send_text(&bot, chat, &name_problem(&e)).await.map(drop)?),
    };
    if doc.file.size as usize > MAX_FILE_BYTES {
        let text = format!(
            "文件太大（{} 字节），最多 {MAX_FILE_BYTES} 字节。",
            doc.file.size
        );
        send_text(&bot, chat, &text).await?;
        return Ok(());
    }
    let Some(bytes) = download(&bot, doc).await else {
        send_text(
            &bot,
            chat,
            "无法从 Telegram 下载这个文件，知识库没有改动，请稍后再发一次。",
        )
        .await?;
        return Ok(());
    };
    let (what, bytes) = match preview(&app, &name, bytes).await? {
        Ok(ok) => ok,
        Err(problem) => {
            send_text(
                &bot,
                chat,
                &format!("文件无法使用，知识库没有改动：\n{problem}"),
            )
            .await?;
            return Ok(());
        }
    };
    let id = app.uploads.insert(
        admin,
        Upload {
            name: name.clone(),
            bytes,
        },
    );
    let keyboard = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback("确认", Callback::Upload { id, save: true }.to_string()),
        InlineKeyboardButton::callback("取消", Callback::Upload { id, save: false }.to_string()),
    ]]);
    let text = format!("文件 {name} 检查通过{what}\n确认后保存到知识库并重新加载。");
    send(
        &bot,
        chat,
        Outgoing::html(escape_html(&text)).keyboard(keyboard),
    )
    .await?;
    Ok(())
}

/// The bytes of an uploaded file; None (logged) when Telegram does not give them.
async fn download(bot: &Bot, doc: &teloxide::types::Document) -> Option<Vec<u8>> {
    let file = match bot.get_file(doc.file.id.clone()).await {
        Ok(f) => f,
        Err(e) => {
            log::warn!("upload: getFile failed: {e}");
            return None;
        }
    };
    let mut bytes = Vec::new();
    match bot.download_file(&file.path, &mut bytes).await {
        Ok(()) => Some(bytes),
        Err(e) => {
            log::warn!("upload: download failed: {e}");
            None
        }
    }
}

/// Checks an upload off the async workers, as the folder would read it; returns what saving
/// it would do, or the problem.
async fn preview(
    app: &App,
    name: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<Result<(String, Vec<u8>), String>> {
    let manifest = app.kb.engine().manifest().clone();
    let name = name.to_owned();
    Ok(tokio::task::spawn_blocking(move || {
        let file_of = |id: &str| {
            manifest
                .documents
                .iter()
                .find(|d| d.id == id)
                .map(|d| d.file.clone())
        };
        let upload = match knowledge::read_upload(&name, &bytes, file_of) {
            Ok(u) => u,
            Err(UploadError::Clash(other)) => {
                return Err(format!(
                    "知识库里的 {other} 已经用了这个名字，两个文件会被当成同一份报告。请改个文件名再上传，或上传同名文件来替换它。"
                ));
            }
            Err(UploadError::Name(e)) => return Err(name_problem(&e)),
            Err(UploadError::Unreadable(e)) => return Err(super::preview::refusal(&e)),
        };
        let doc = upload.document;
        let cut = passages::from_document(&doc);
        let passages = cut.len();
        let short = |t: &str| crate::text::shorten(t, MAX_LABEL_CHARS).into_owned();
        let what = match manifest.documents.iter().find(|d| d.file == name) {
            Some(old) => format!(
                "将替换现有文档《{}》（{} 段 → {} 段）",
                short(&old.title),
                old.passages,
                passages
            ),
            None => format!("将新增文档《{}》（{} 段）", short(doc.title()), passages),
        };
        let pages = doc.paragraphs.iter().filter_map(|p| p.page).max();
        let pages = pages.map(|n| format!("（共 {n} 页）")).unwrap_or_default();
        let what = format!("{pages}。{what}。\n{}", super::preview::describe(&doc, &cut));
        Ok((what, bytes))
    })
    .await?)
}

/// `/remove`: the documents, each a button that asks for confirmation.
pub async fn remove_command(bot: &Bot, chat: ChatId, app: &App) -> anyhow::Result<()> {
    let m = app.kb.engine().manifest().clone();
    let fingerprint = fingerprint_suffix(&m.fingerprint);
    let rows: Vec<Vec<InlineKeyboardButton>> = m
        .documents
        .iter()
        .enumerate()
        .filter(|(_, d)| d.id != ANNOUNCEMENTS_ID)
        .map(|(i, d)| {
            let cb = Callback::Remove {
                step: RemoveStep::Ask,
                doc: i as u16,
                fingerprint: fingerprint.clone(),
            };
            vec![InlineKeyboardButton::callback(
                format!(
                    "删除《{}》",
                    crate::text::shorten(&d.title, MAX_LABEL_CHARS)
                ),
                cb.to_string(),
            )]
        })
        .collect();
    if rows.is_empty() {
        send_text(bot, chat, "知识库中没有可删除的文档。").await?;
        return Ok(());
    }
    let keyboard = InlineKeyboardMarkup::new(rows);
    send(
        bot,
        chat,
        Outgoing::html("选择要删除的文档：".to_owned()).keyboard(keyboard),
    )
    .await?;
    Ok(())
}

/// The end of an index fingerprint that buttons carry, to notice a change since they were made.
fn fingerprint_suffix(fingerprint: &str) -> String {
    let start = fingerprint.len().saturating_sub(8);
    fingerprint.get(start..).unwrap_or_default().to_owned()
}

/// Upload (确认 / 取消) and removal buttons: answered at once, the change and its report
/// after. Admins only.
pub async fn button(
    bot: Bot,
    q: CallbackQuery,
    app: std::sync::Arc<App>,
    cb: Callback,
) -> anyhow::Result<Pressed> {
    let user = q.from.id.0;
    if !app.roles.is_admin(user) {
        log::warn!("refused a document button from someone who is not an admin");
        return Ok(Pressed::toast("抱歉，只有管理员可以管理知识库文档。"));
    }
    let chat = callback_chat(&q);
    match cb {
        Callback::Upload { id, save } => {
            let Some(upload) = app.uploads.take(id, user) else {
                return Ok(Pressed::toast("这个上传已处理过，或已失效。"));
            };
            if !save {
                return Ok(Pressed::toast("已取消，知识库没有改动。"));
            }
            Ok(Pressed::then(
                "正在保存并重新加载知识库，完成后告诉您。",
                async move {
                    let result = app
                        .change(move |kb| kb.save_document(&upload.name, &upload.bytes))
                        .await?;
                    send_text(&bot, chat, &change_report(result, &app.token)).await?;
                    Ok(())
                },
            ))
        }
        Callback::Remove {
            step,
            doc,
            fingerprint,
        } => remove_button(bot, chat, app, step, doc, &fingerprint),
        Callback::RemoveCancel => Ok(Pressed::toast("已取消")),
        _ => Ok(Pressed::toast(EXPIRED)),
    }
}

fn change_report(result: Result<Reload, ChangeError>, token: &Secret) -> String {
    match result {
        Ok(reload) => reload_summary(&reload),
        Err(e) => change_failure(&e, token),
    }
}

fn remove_button(
    bot: Bot,
    chat: ChatId,
    app: std::sync::Arc<App>,
    step: RemoveStep,
    doc: u16,
    fingerprint: &str,
) -> anyhow::Result<Pressed> {
    let m = app.kb.engine().manifest().clone();
    let doc_summary = m
        .documents
        .get(usize::from(doc))
        .filter(|d| d.id != ANNOUNCEMENTS_ID && fingerprint == fingerprint_suffix(&m.fingerprint));
    let Some(d) = doc_summary else {
        return Ok(Pressed::toast("知识库已有变化，请重新发送 /remove。"));
    };
    match step {
        RemoveStep::Ask => {
            let confirm = Callback::Remove {
                step: RemoveStep::Confirm,
                doc,
                fingerprint: fingerprint.to_owned(),
            };
            let keyboard = InlineKeyboardMarkup::new([[
                InlineKeyboardButton::callback("确认删除", confirm.to_string()),
                InlineKeyboardButton::callback("取消", Callback::RemoveCancel.to_string()),
            ]]);
            let text = format!(
                "确认从知识库删除《{}》（{}，{} 段）？",
                crate::text::shorten(&d.title, MAX_LABEL_CHARS),
                d.file,
                d.passages
            );
            Ok(Pressed::then("请确认", async move {
                send(
                    &bot,
                    chat,
                    Outgoing::html(escape_html(&text)).keyboard(keyboard),
                )
                .await?;
                Ok(())
            }))
        }
        RemoveStep::Confirm => {
            let file = d.file.clone();
            Ok(Pressed::then(
                "正在删除并重新加载知识库，完成后告诉您。",
                async move {
                    let result = app.change(move |kb| kb.remove_document(&file)).await?;
                    send_text(&bot, chat, &change_report(result, &app.token)).await?;
                    Ok(())
                },
            ))
        }
    }
}
