//! Admins' and staff's commands: refused for everyone else; the lexicon grown, listed and
//! pruned from the chat, with a preview of what a group would change; the gaps.

use std::time::Duration;

use crate::harness::{self, ADMIN, LONG, STAFF, has};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorised_commands_are_refused() {
    let t = harness::bot().start().await;
    let api = &t.api;
    for cmd in ["/announce 假公告", "/reload", "/stats", "/gaps"] {
        api.private_text(300, cmd);
    }
    let got = api.wait_sent(300, 4).await;
    assert!(
        got.iter().all(|t| t.contains("没有使用这个命令的权限")),
        "{got:?}"
    );
    api.private_text(STAFF, "/reload");
    assert!(has(
        &api.wait_sent(STAFF, 1).await,
        "没有使用这个命令的权限"
    ));
    assert!(
        api.requests()
            .iter()
            .all(|r| r.body.get("reply_markup").is_none()),
        "no preview was made"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(t.log().contains("refused"), "refusals are logged");

    // The admin may: /stats and /gaps reflect the question log.
    api.private_text(301, "比特币多少钱");
    api.wait_sent(301, 1).await;
    api.private_text(ADMIN, "/stats");
    api.private_text(ADMIN, "/gaps");
    let admin = api.wait_sent(ADMIN, 2).await;
    assert!(
        has(&admin, "订阅者：0") && has(&admin, "未能回答"),
        "{admin:?}"
    );
    assert!(has(&admin, "比特币多少钱（1 次）"), "{admin:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_grow_the_lexicon_from_the_chat_and_see_the_gaps() {
    let t = harness::bot().knowledge_copy().start().await;
    let api = &t.api;
    let synonyms = || std::fs::read_to_string(t.knowledge().join("synonyms.txt")).unwrap();
    let before = synonyms();

    // A word the reports never use is not found, and shows up in /gaps.
    api.private_text(900, "电驴");
    assert!(has(&api.wait_sent(900, 1).await, "没有找到"));
    api.private_text(ADMIN, "/gaps");
    let gaps = api.wait_sent(ADMIN, 1).await;
    assert!(
        has(&gaps, "没有找到答案的问题：\n· 电驴（1 次）"),
        "{gaps:?}"
    );

    // Only an admin may add a group; a bad group is refused and changes nothing.
    api.private_text(901, "/synonym 电驴 充电桩");
    assert!(has(&api.wait_sent(901, 1).await, "没有使用这个命令的权限"));
    let admin_says = |needle: &'static str| {
        let api = api.clone();
        async move {
            api.wait_for(needle, LONG, |_| has(&api.sent_to(ADMIN), needle))
                .await;
        }
    };
    api.private_text(ADMIN, "/synonym 电驴");
    admin_says("没有包含“电驴”的同义词组").await;
    api.private_text(ADMIN, "/synonym 电驴 <b>");
    admin_says("“&lt;b&gt;”不是一个词").await;
    // `#` is not cut off silently as a comment would be.
    api.private_text(ADMIN, "/synonym 电驴 充电#桩");
    admin_says("“充电#桩”不是一个词").await;
    assert_eq!(synonyms(), before);

    // A group is previewed with what it would change, and saved only on 确认添加.
    let confirm = |label: &'static str| {
        let api = api.clone();
        async move {
            let reqs = api
                .wait_for("a preview", LONG, |reqs| {
                    reqs.iter()
                        .any(|r| r.body["reply_markup"].to_string().contains("确认添加"))
                })
                .await;
            let preview = reqs
                .iter()
                .rev()
                .find(|r| r.body["reply_markup"].to_string().contains("确认添加"))
                .unwrap();
            let data = preview.body["reply_markup"]["inline_keyboard"][0]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["text"] == label)
                .unwrap()["callback_data"]
                .as_str()
                .unwrap()
                .to_owned();
            (preview.text().to_owned(), data)
        }
    };
    api.private_text(ADMIN, "/synonym 电驴 充电桩");
    let (preview, data) = confirm("确认添加").await;
    assert!(
        preview.contains("电驴（报告里没有）") && preview.contains("个的回答会改变"),
        "{preview}"
    );
    assert_eq!(synonyms(), before, "nothing is saved before 确认");
    api.press_under(ADMIN, ADMIN, &data);
    admin_says("已添加：\n· 电驴 充电桩").await;
    assert!(synonyms().ends_with("电驴 充电桩\n"), "{}", synonyms());
    api.private_text(902, "电驴");
    assert!(has(&api.wait_sent(902, 1).await, "<b>充电桩</b>"));
    api.private_text(ADMIN, "/synonym 电驴 充电桩");
    admin_says("已经在同义词表里了").await;
    api.private_text(ADMIN, "/synonym list");
    admin_says("电驴 充电桩").await;

    // A careless group: its report words never share a passage, and answers would change.
    let saved = synonyms();
    api.private_text(ADMIN, "/synonym 天气 下雨 比特币 红烧肉 经济 经济增长");
    api.wait_for("the careless preview", LONG, |reqs| {
        reqs.iter()
            .any(|r| r.text().contains("红烧肉") && r.text().contains("从不出现在同一段"))
    })
    .await;
    let (preview, cancel) = confirm("取消").await;
    assert!(
        preview.contains("⚠") && preview.contains("红烧肉（报告里没有）"),
        "{preview}"
    );
    api.press_under(ADMIN, ADMIN, &cancel);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(synonyms(), saved, "cancelled: nothing changed");

    // Undone with /synonym remove, in any order of the words; a bundled group by its number.
    api.private_text(ADMIN, "/synonym remove 充电桩 电驴");
    admin_says("已删除这组同义词：电驴 充电桩").await;
    assert!(!synonyms().contains("电驴"));
    let longest = lianghui_bot::knowledge::synonyms::list(t.knowledge())
        .unwrap()
        .iter()
        .enumerate()
        .max_by_key(|(_, g)| g.words.len())
        .map(|(i, g)| (i + 1, g.words.clone()))
        .unwrap();
    assert!(
        longest.1.len() > 12,
        "the bundled file has a group of {}",
        longest.1.len()
    );
    api.private_text(ADMIN, &format!("/synonym remove {}", longest.0));
    let removed = format!("已删除这组同义词：{}", longest.1.join(" "));
    api.wait_for("the bundled group removed", LONG, |_| {
        has(&api.sent_to(ADMIN), &removed)
    })
    .await;
    let after = lianghui_bot::knowledge::synonyms::list(t.knowledge()).unwrap();
    assert!(
        !after.iter().any(|g| g.words == longest.1),
        "the bundled group is gone"
    );
    api.private_text(903, "电驴");
    assert!(has(&api.wait_sent(903, 1).await, "没有找到"));
}
