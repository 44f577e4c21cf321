//! The buttons under an answer (原文, 更多, 👍, 👎): what they do, and that they belong to whoever
//! asked; staff and admin commands stay in private chats.

use crate::harness::{self, ADMIN, LONG, STAFF, button, buttons, has, press};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_buttons_show_the_source_more_results_and_record_feedback() {
    let t = harness::bot()
        .knowledge_with(|k| {
            std::fs::write(
                k.join("notice.txt"),
                "停水通知\n\n北关区部分小区明日停水检修。\n",
            )
            .unwrap();
        })
        .start()
        .await;
    let api = &t.api;

    api.private_text(601, "今年全区经济增长目标是多少");
    let answer = api.wait_sent(601, 1).await;
    assert!(
        has(
            &answer,
            "📄 <i>北关区政府工作报告 · 预期目标 全区经济增长6.5% · 2024年5月31日</i>"
        ),
        "one short source line: {answer:?}"
    );
    let labels: Vec<String> = buttons(api, 601).into_iter().map(|(t, _)| t).collect();
    for want in ["原文", "👍", "👎"] {
        assert!(labels.iter().any(|l| l == want), "{labels:?}");
    }

    // 原文: the whole passage, its words marked, each neighbour labelled with its own section,
    // the full source last; a reply to the answer it belongs to.
    let original_data = button(api, 601, "原文");
    api.press_under(601, 601, &original_data);
    let sent = api.wait_sent(601, 2).await;
    let original = sent.last().unwrap();
    assert!(
        original
            .starts_with("<b>《凝心聚力谋发展 奋勇争先谱新篇》 › 预期目标 全区经济增长6.5%</b>"),
        "{original}"
    );
    assert!(
        original.contains("把美好蓝图变为现实图景") && original.contains("<b>经济增长</b>6.5%"),
        "{original}"
    );
    assert!(
        original.contains(
            "<i>上一段 · 凝心聚力谋发展 奋勇争先谱新篇</i>\n今年是中华人民共和国成立75周年"
        ),
        "{original}"
    );
    assert!(
        original
            .contains("<i>下一段 · 2024年重点工作安排 › 充分挖掘内需潜力 巩固经济回升向好态势</i>"),
        "{original}"
    );
    assert!(
        original
            .ends_with("📄 政府工作报告 · 北关区第十一届人民代表大会第四次会议 · 2024年5月31日"),
        "{original}"
    );
    let reqs = api.requests();
    let answer_id = reqs
        .iter()
        .find(|r| r.chat_id() == Some(601) && r.text().contains("6.5%") && r.message_id.is_some())
        .and_then(|r| r.message_id)
        .unwrap();
    let original_req = reqs
        .iter()
        .rev()
        .find(|r| r.text() == original.as_str())
        .unwrap();
    assert_eq!(
        original_req.body["reply_parameters"]["message_id"],
        answer_id
    );

    // 更多: the next results, numbered after those shown (this question has many).
    api.private_text(606, "项目建设");
    api.wait_sent(606, 1).await;
    let shown = buttons(api, 606)
        .iter()
        .filter(|(t, _)| t.starts_with("原文"))
        .count();
    assert!(buttons(api, 606).iter().any(|(t, _)| t == "更多"));
    assert_eq!(
        press(api, 606, &button(api, 606, "更多")).await,
        "已显示更多结果"
    );
    let sent = api.wait_sent(606, 2).await;
    let next = lianghui_bot::answer::wording::marker(shown + 1);
    assert!(
        sent.last().unwrap().starts_with(&next),
        "{next} {:?}",
        sent.last()
    );
    assert!(
        buttons(api, 606)
            .iter()
            .any(|(t, _)| *t == format!("原文{next}"))
    );

    // 👎 is recorded and shows up in /gaps; the vote buttons become a thank-you.
    api.private_text(602, "人才公寓政策");
    api.wait_sent(602, 1).await;
    let down = button(api, 602, "👎");
    api.press_under(602, 602, &down);
    api.wait_for("thank-you", LONG, |r| {
        r.iter().any(|r| {
            r.method == "EditMessageReplyMarkup"
                && r.chat_id() == Some(602)
                && r.body["reply_markup"].to_string().contains("谢谢您的反馈")
                && !r.body["reply_markup"].to_string().contains("👎")
                && r.body["reply_markup"].to_string().contains("原文")
        })
    })
    .await;
    api.private_text(ADMIN, "/gaps");
    let gaps = api.wait_sent(ADMIN, 1).await;
    assert!(
        has(&gaps, "被点 👎 的问题：\n· 人才公寓政策（1 次）"),
        "{gaps:?}"
    );

    // A button from before a reload that points at a passage which no longer exists.
    api.private_text(603, "停水检修");
    assert!(has(&api.wait_sent(603, 1).await, "停水通知"));
    let stale = button(api, 603, "原文");
    std::fs::remove_file(t.knowledge().join("notice.txt")).unwrap();
    api.private_text(ADMIN, "/reload");
    api.wait_for("reload", LONG, |_| {
        has(&api.sent_to(ADMIN), "知识库已重新加载")
    })
    .await;
    assert!(press(api, 603, &stale).await.contains("已修改或删除"));
    assert!(press(api, 603, "src:notanumber").await.contains("失效"));
    // Forged callback data gets an answer, never a crash.
    for forged in [
        "more:1:18446744073709551615",
        "src:1:18446744073709551615",
        "fb:-5:1",
        "rm:ok:99:x",
        "up:ok:1",
        "ann:send:x",
        ":::",
    ] {
        let toast = press(api, 603, forged).await;
        assert!(!toast.is_empty(), "{forged}");
    }
    api.private_text(604, "一岗一房");
    assert!(
        has(&api.wait_sent(604, 1).await, "一岗一房"),
        "still running"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buttons_belong_to_who_asked_and_admin_commands_stay_private() {
    let t = harness::bot().start().await;
    let api = &t.api;
    api.private_text(1001, "人才公寓政策");
    api.wait_sent(1001, 1).await;
    for label in ["👍", "原文"] {
        let toast = press(api, 1002, &button(api, 1001, label)).await;
        assert!(toast.contains("属于提问的人"), "{label}: {toast}");
    }
    assert!(
        api.sent_to(1002).is_empty(),
        "nothing was sent to the other person"
    );
    assert_eq!(
        press(api, 1001, &button(api, 1001, "👍")).await,
        "谢谢您的反馈！"
    );

    api.group_text(-700, ADMIN, "/stats");
    assert!(has(&api.wait_sent(-700, 1).await, "私聊"));
    assert!(api.sent_to(-700).iter().all(|t| !t.contains("订阅者")));
    // Staff announce in private too; nothing is previewed to the group.
    api.group_text(-701, STAFF, "/announce 明天停水");
    assert!(has(&api.wait_sent(-701, 1).await, "私聊"));
    assert!(buttons(api, -701).is_empty(), "no preview in the group");
    // Without the role, a group hears the refusal, not where to go.
    api.group_text(-702, 1003, "/stats");
    assert!(has(&api.wait_sent(-702, 1).await, "没有使用这个命令的权限"));
}
