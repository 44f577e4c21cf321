//! Admins' documents: uploads previewed and saved on 确认, /remove, reloads that keep the old
//! index on error, hostile and failing uploads that change nothing, concurrent changes that
//! restore exactly the original.

use std::time::Duration;

use crate::fake_api::Fault;
use crate::harness::{self, ADMIN, LONG, button, buttons, file_names, has, press};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_upload_and_remove_documents() {
    let t = harness::bot().knowledge_copy().start().await;
    let api = &t.api;
    let md = "+++\nheadline = \"停水通知\"\nbody = \"区水务局\"\n+++\n\n# 停水通知\n\n北关区部分小区明日停水检修。\n".as_bytes();

    // Nobody but an admin may upload.
    api.private_document(604, "notice.md", md, md.len());
    assert!(has(&api.wait_sent(604, 1).await, "没有使用这个命令的权限"));
    // Bad files: a clear error, nothing changes.
    api.private_document(ADMIN, "bad.txt", b"title\n\n\x00binary", 14);
    api.private_document(ADMIN, "report.pdf", b"%PDF", 4);
    api.private_document(ADMIN, "huge.md", b"# x\n\ny\n", 50 * 1024 * 1024);
    let errors = api.wait_sent(ADMIN, 3).await;
    assert!(
        has(&errors, "文件无法使用") && has(&errors, "文字编码无法识别"),
        "{errors:?}"
    );
    assert!(has(&errors, "文件已损坏"), "{errors:?}");
    assert!(has(&errors, "文件太大"), "{errors:?}");
    for name in ["bad.txt", "report.pdf", "huge.md", "notice.md"] {
        assert!(
            !t.knowledge().join(name).exists(),
            "{name} must not be saved"
        );
    }

    // A good file: preview, then 确认 saves and reloads.
    api.private_document(ADMIN, "notice.md", md, md.len());
    let preview = api.wait_sent(ADMIN, 4).await;
    assert!(
        preview[3].contains("将新增文档《停水通知》（1 段）"),
        "{preview:?}"
    );
    assert!(
        !t.knowledge().join("notice.md").exists(),
        "nothing is saved before 确认"
    );
    press(api, ADMIN, &button(api, ADMIN, "确认")).await;
    api.wait_for("reload", LONG, |_| {
        has(&api.sent_to(ADMIN), "知识库已重新加载")
    })
    .await;
    assert!(has(&api.sent_to(ADMIN), "新增：停水通知"));
    assert_eq!(std::fs::read(t.knowledge().join("notice.md")).unwrap(), md);
    api.private_text(605, "停水检修");
    let got = api.wait_sent(605, 1).await;
    assert!(has(&got, "📄 <i>停水通知</i>"), "{got:?}");

    // /remove lists documents; removal asks for confirmation.
    api.private_text(ADMIN, "/remove");
    api.wait_for("remove list", LONG, |_| {
        has(&api.sent_to(ADMIN), "选择要删除的文档")
    })
    .await;
    press(api, ADMIN, &button(api, ADMIN, "删除《停水通知》")).await;
    api.wait_for("confirmation", LONG, |_| {
        has(&api.sent_to(ADMIN), "确认从知识库删除《停水通知》")
    })
    .await;
    assert!(
        t.knowledge().join("notice.md").exists(),
        "nothing is removed before confirmation"
    );
    press(api, ADMIN, &button(api, ADMIN, "确认删除")).await;
    api.wait_for("removal", LONG, |_| {
        has(&api.sent_to(ADMIN), "删除：停水通知")
    })
    .await;
    assert!(!t.knowledge().join("notice.md").exists());

    // A 5,000-character headline: the /remove button stays short.
    let long = format!("+++\nheadline = \"{}\"\n+++\n\n正文。\n", "长".repeat(5000));
    api.private_document(ADMIN, "long.md", long.as_bytes(), long.len());
    api.wait_for("long preview", LONG, |_| {
        api.sent_to(ADMIN)
            .iter()
            .filter(|t| t.contains("将新增文档"))
            .count()
            >= 2
    })
    .await;
    press(api, ADMIN, &button(api, ADMIN, "确认")).await;
    api.wait_for("long saved", LONG, |_| {
        api.sent_to(ADMIN)
            .iter()
            .filter(|t| t.contains("知识库已重新加载"))
            .count()
            >= 3
    })
    .await;
    api.private_text(ADMIN, "/remove");
    let reqs = api
        .wait_for("the second remove list", LONG, |_| {
            api.sent_to(ADMIN)
                .iter()
                .filter(|t| t.contains("选择要删除的文档"))
                .count()
                >= 2
        })
        .await;
    let list = reqs
        .iter()
        .rev()
        .find(|r| r.text().contains("选择要删除的文档"))
        .unwrap();
    let keyboard = list.body["reply_markup"].to_string();
    assert!(keyboard.len() < 2048, "a {}-byte keyboard", keyboard.len());

    // Every press was answered at once, before the reload or removal it started.
    let answers = api.callback_answers();
    assert!(answers.len() >= 4, "{answers:?}");
    for a in &answers {
        assert!(
            a.refused.is_none() && a.delay.is_some_and(|d| d < Duration::from_secs(2)),
            "{a:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_uploads_are_refused_at_preview_and_the_bot_keeps_answering() {
    let t = harness::bot().knowledge_copy().start().await;
    let api = &t.api;
    let report = "# 通知\n\n北关区部分小区明日停水检修。\n".as_bytes();
    let repeated = format!("# 重复\n\n{}", "重复段落。\n\n".repeat(8000));
    let long_name = format!("{}.md", "长".repeat(100));
    let uploads: Vec<(&str, Vec<u8>, &str)> = vec![
        ("a\nb.md", report.to_vec(), "控制字符"),
        ("a\0b.md", report.to_vec(), "控制字符"),
        (long_name.as_str(), report.to_vec(), "字节"),
        ("announcements.md", report.to_vec(), "通知公告"),
        (
            "renda-2024.txt",
            report.to_vec(),
            "renda-2024.md 已经用了这个名字",
        ),
        ("repeat.md", repeated.into_bytes(), "only 1 different"),
    ];
    for (i, (name, bytes, _)) in uploads.iter().enumerate() {
        api.private_document(ADMIN, name, bytes, bytes.len());
        // Meanwhile a citizen is answered at once.
        api.private_text(980 + i as i64, "一岗一房");
    }
    let replies = api.wait_sent(ADMIN, uploads.len()).await;
    for (name, _, want) in &uploads {
        assert!(has(&replies, want), "{name:?}: {replies:?}");
    }
    assert!(buttons(api, ADMIN).is_empty(), "no upload reached 确认");
    for i in 0..uploads.len() {
        assert!(has(&api.wait_sent(980 + i as i64, 1).await, "一岗一房"));
    }
    let strays: Vec<String> = file_names(t.knowledge())
        .into_iter()
        .filter(|n| n.starts_with('.') || n.contains("repeat") || n.contains("announcements"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_download_is_answered_and_changes_nothing() {
    let t = harness::bot().knowledge_copy().start().await;
    let api = &t.api;
    let before = file_names(t.knowledge());
    api.fault("GetFile", Fault::Html500, 1);
    let report = "# 通知\n\n北关区部分小区明日停水检修。\n".as_bytes();
    api.private_document(ADMIN, "notice.md", report, report.len());
    let replies = api.wait_sent(ADMIN, 1).await;
    assert!(has(&replies, "无法从 Telegram 下载这个文件"), "{replies:?}");
    assert!(buttons(api, ADMIN).is_empty(), "nothing to confirm");
    let after = file_names(t.knowledge());
    assert_eq!(before, after);
    // The same upload goes through once the Bot API answers again.
    api.private_document(ADMIN, "notice.md", report, report.len());
    api.wait_sent(ADMIN, 2).await;
    assert!(
        !buttons(api, ADMIN).is_empty(),
        "the second try reaches 确认"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_confirming_failing_uploads_at_once_keep_the_original() {
    const SECOND_ADMIN: i64 = 3;
    let admins = format!("{ADMIN},{SECOND_ADMIN}");
    let t = harness::bot()
        .knowledge_copy()
        .env("LIANGHUI_ADMINS", &admins)
        .start()
        .await;
    let api = &t.api;
    let original = std::fs::read(t.knowledge().join("renda-2024.md")).unwrap();
    let versions = [
        (ADMIN, "# 甲\n\n版本甲。\n"),
        (SECOND_ADMIN, "# 乙\n\n版本乙。\n"),
    ];
    for (admin, text) in versions {
        api.private_document(admin, "renda-2024.md", text.as_bytes(), text.len());
        api.wait_sent(admin, 1).await;
    }
    // Both reloads fail on a broken file put in meanwhile.
    std::fs::write(
        t.knowledge().join("broken.md"),
        "+++\nnot toml\n+++\n\n正文。\n",
    )
    .unwrap();
    for (admin, _) in versions {
        api.press(admin, &button(api, admin, "确认"));
    }
    for (admin, _) in versions {
        api.wait_for("the outcome", LONG, |_| {
            has(&api.sent_to(admin), "已恢复原状")
        })
        .await;
    }
    assert_eq!(
        std::fs::read(t.knowledge().join("renda-2024.md")).unwrap(),
        original
    );
}

#[test]
fn concurrent_changes_that_fail_restore_exactly_the_original() {
    let k = crate::knowledge_copy();
    let data = tempfile::tempdir().unwrap();
    let kb = std::sync::Arc::new(crate::open_kb(k.path(), data.path()).kb);
    let original = std::fs::read(k.path().join("renda-2024.md")).unwrap();
    // A broken file makes every strict reload fail, as a slow failing reload would.
    std::fs::write(k.path().join("broken.md"), "+++\nnot toml\n+++\n\n正文。\n").unwrap();
    let threads: Vec<_> = ["# 甲\n\n版本甲。\n", "# 乙\n\n版本乙。\n"]
        .into_iter()
        .map(|text| {
            let kb = kb.clone();
            std::thread::spawn(move || kb.save_document("renda-2024.md", text.as_bytes()))
        })
        .collect();
    for t in threads {
        let result = t.join().unwrap();
        assert!(
            matches!(result, Err(lianghui_bot::service::ChangeError::Rejected(_))),
            "{result:?}"
        );
    }
    assert_eq!(
        std::fs::read(k.path().join("renda-2024.md")).unwrap(),
        original
    );
    let leftovers: Vec<_> = file_names(k.path())
        .into_iter()
        .filter(|n| n.starts_with(".upload"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_keeps_the_old_index_on_error_and_loses_no_question() {
    let t = harness::bot().knowledge_copy().start().await;
    let api = &t.api;

    std::fs::write(
        t.knowledge().join("broken.md"),
        "+++\nheadline = \"x\"\nnot toml\n+++\n\n正文。\n",
    )
    .unwrap();
    api.private_text(ADMIN, "/reload");
    api.wait_for("reload error", LONG, |_| {
        has(&api.sent_to(ADMIN), "重新加载失败")
    })
    .await;
    assert!(
        has(&api.sent_to(ADMIN), "broken.md:3"),
        "{:?}",
        api.sent_to(ADMIN)
    );
    api.private_text(400, "瓶改管");
    assert!(
        has(&api.wait_sent(400, 1).await, "瓶改管"),
        "the old index keeps serving"
    );

    std::fs::remove_file(t.knowledge().join("broken.md")).unwrap();
    std::fs::write(
        t.knowledge().join("notice.txt"),
        "停水通知\n\n北关区部分小区明日停水检修。\n",
    )
    .unwrap();
    // 50 questions in flight around a successful reload: every one is answered.
    for u in 2000..2025 {
        api.private_text(u, "人才公寓政策");
    }
    api.private_text(ADMIN, "/reload");
    for u in 2025..2050 {
        api.private_text(u, "人才公寓政策");
    }
    api.wait_for("reload summary", LONG, |_| {
        has(&api.sent_to(ADMIN), "知识库已重新加载")
    })
    .await;
    for u in 2000..2050 {
        let got = api.wait_sent(u, 1).await;
        assert!(has(&got, "<b>人才公寓</b>"), "question of {u}: {got:?}");
    }
    let admin = api.sent_to(ADMIN);
    assert!(
        has(&admin, "4 份报告") && has(&admin, "新增：停水通知"),
        "{admin:?}"
    );
    api.private_text(401, "停水检修");
    assert!(
        has(&api.wait_sent(401, 1).await, "📄 <i>停水通知</i>"),
        "the new document is searchable"
    );
    api.private_text(402, "/sources");
    assert!(has(&api.wait_sent(402, 1).await, "知识库最近更新"));
}

/// Every file under `dir` with its bytes, by path relative to `dir`.
fn tree(dir: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn format_fixture(name: &str) -> Vec<u8> {
    std::fs::read(crate::fixture("formats").join(name)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_uploads_with_a_preview_of_what_was_read() {
    let t = harness::bot().knowledge_copy().start().await;
    let api = &t.api;
    let files = [
        "henan-2026-copied.txt",
        "henan-2026-gbk.html",
        "henan-2026-styles.docx",
        "henan-2026-numbered.docx",
        "henan-2026.pdf",
    ];
    for (i, name) in files.iter().enumerate() {
        let bytes = format_fixture(name);
        api.private_document(ADMIN, name, &bytes, bytes.len());
        let preview = api.wait_sent(ADMIN, i + 1).await;
        let preview = &preview[i];
        for want in [
            "检查通过",
            "将新增文档《2026年河南省政府工作报告》",
            "地区：河南省（省）",
            "年份：2026年（也谈到 2025年）",
            "会议：河南省第十四届人民代表大会第四次会议",
            "日期：2026年1月26日",
            "报告人：省长 王凯",
            "一、“十四五”时期和2025年工作回顾",
            "开头 2 段",
            "信息不对？",
        ] {
            assert!(preview.contains(want), "{name}: no {want:?} in {preview}");
        }
        if name.ends_with(".pdf") {
            assert!(preview.contains("页）"), "{name}: pages: {preview}");
        }
        assert!(!preview.contains("各位代表"), "{name}: {preview}");
    }
    // The PDF is saved on 确认 and answers with its page in the source line.
    let confirm = buttons(api, ADMIN)
        .into_iter()
        .filter(|(label, _)| label == "确认")
        .map(|(_, data)| data)
        .next_back()
        .unwrap();
    press(api, ADMIN, &confirm).await;
    api.wait_for("reload", LONG, |_| {
        has(&api.sent_to(ADMIN), "知识库已重新加载")
    })
    .await;
    assert!(t.knowledge().join("henan-2026.pdf").exists());
    for name in &files[..4] {
        assert!(
            !t.knowledge().join(name).exists(),
            "{name} was not confirmed"
        );
    }
    api.private_text(611, "河南省育儿补贴");
    let got = api.wait_sent(611, 1).await;
    assert!(
        has(&got, "2026年河南省政府工作报告 · ") && has(&got, "页 · 2026年1月26日"),
        "{got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_files_say_why_and_leave_the_folder_and_index_as_they_were() {
    let t = harness::bot().knowledge_copy().start().await;
    let api = &t.api;
    // Something asked first, so the index exists and is in use.
    api.private_text(620, "一岗一房");
    api.wait_sent(620, 1).await;
    let knowledge_before = tree(t.knowledge());
    let index_before = tree(&t.data().join("index"));
    let pdf = format_fixture("henan-2026.pdf");
    let docx = format_fixture("henan-2026-styles.docx");
    let uploads: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "scan.pdf",
            format_fixture("henan-2026-scan.pdf"),
            "没有文字层",
        ),
        (
            "nounicode.pdf",
            format_fixture("henan-2026-nounicode.pdf"),
            "字体无法转换成文字",
        ),
        (
            "locked.pdf",
            format_fixture("henan-2026-encrypted.pdf"),
            "设置了密码",
        ),
        ("old.doc", format_fixture("henan-2026.doc"), "另存为” .docx"),
        (
            "old.wps",
            format_fixture("henan-2026.wps"),
            "WPS 文字的旧格式",
        ),
        ("cut.pdf", pdf[..pdf.len() / 3].to_vec(), "文件已损坏"),
        ("cut.docx", docx[..docx.len() / 2].to_vec(), "文件已损坏"),
        (
            "fake.docx",
            b"PK\x03\x04 not really a zip".to_vec(),
            "文件已损坏",
        ),
        ("sheet.xlsx", docx.clone(), "只接受"),
    ];
    for (i, (name, bytes, _)) in uploads.iter().enumerate() {
        api.private_document(ADMIN, name, bytes, bytes.len());
        api.private_text(630 + i as i64, "一岗一房");
    }
    let replies = api.wait_sent(ADMIN, uploads.len()).await;
    for (name, _, want) in &uploads {
        assert!(has(&replies, want), "{name}: no {want:?} in {replies:?}");
    }
    assert!(
        buttons(api, ADMIN).is_empty(),
        "no refused file reached 确认"
    );
    for i in 0..uploads.len() {
        assert!(has(&api.wait_sent(630 + i as i64, 1).await, "一岗一房"));
    }
    assert!(
        tree(t.knowledge()) == knowledge_before,
        "the folder changed"
    );
    assert!(
        tree(&t.data().join("index")) == index_before,
        "the index changed"
    );
}
