//! What citizens see, kept as reviewed snapshots (`tests/it/snapshots/`): the Telegram HTML and
//! the buttons of the replies to a fixed set of questions (direct, related and none; Simplified
//! and Traditional; small talk; private chats, groups and inline mode), as the real binary sends
//! them to the fake Bot API. Any change to wording or layout shows up here in review: accept it
//! with `INSTA_UPDATE=always cargo test snapshots` after reading the diff.

use serde_json::Value;

use crate::fake_api::{BOT_USERNAME, Request};
use crate::harness::{self, LONG};

/// Question ids differ from run to run: callback data shows them as `Q`.
fn normalise_data(data: &str) -> String {
    let mut parts: Vec<String> = data.split(':').map(str::to_owned).collect();
    if matches!(parts[0].as_str(), "src" | "more" | "fb") && parts.len() > 1 {
        parts[1] = "Q".to_owned();
    }
    parts.join(":")
}

fn keyboard(markup: &Value) -> String {
    let rows: Vec<String> = markup["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            row.as_array()
                .into_iter()
                .flatten()
                .map(|b| {
                    format!(
                        "[{} → {}]",
                        b["text"].as_str().unwrap_or_default(),
                        normalise_data(b["callback_data"].as_str().unwrap_or_default())
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    rows.join("\n")
}

/// A sent message as a reviewer reads it.
fn message(r: &Request) -> String {
    let mut out = r.text().to_owned();
    if r.body["reply_parameters"]["message_id"].is_number() {
        out = format!("(reply to the question)\n{out}");
    }
    let kb = keyboard(&r.body["reply_markup"]);
    if !kb.is_empty() {
        out.push_str(&format!("\n---\n{kb}"));
    }
    out
}

/// An inline answer as a reviewer reads it.
fn inline(r: &Request) -> String {
    let mut out = Vec::new();
    for result in r.body["results"].as_array().into_iter().flatten() {
        out.push(format!(
            "title: {}\ndescription: {}\nmessage:\n{}",
            result["title"].as_str().unwrap_or_default(),
            result["description"].as_str().unwrap_or_default(),
            result["input_message_content"]["message_text"]
                .as_str()
                .unwrap_or_default()
        ));
    }
    if let Some(button) = r.body.get("button") {
        out.push(format!(
            "button: {} → start={}",
            button["text"], button["start_parameter"]
        ));
    }
    out.join("\n======\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_citizens_see() {
    let t = harness::bot().start().await;
    let api = &t.api;
    let private: &[(&str, &str)] = &[
        ("direct_target", "今年全区经济增长目标是多少？"),
        ("direct_colloquial", "蓝天实验室到底是搞啥的"),
        ("direct_talent_flats", "人才公寓政策"),
        ("direct_noisy", "人才   公寓   今年  盖几套"),
        ("direct_traditional", "農村垃圾怎麼處理"),
        (
            "direct_traditional_schools",
            "小孩上學的新學校和幼兒園在建嗎",
        ),
        ("related_other_place", "文峰区今年的重点项目有哪些"),
        ("related_other_year", "2023年北关区GDP增长了多少"),
        ("related_whole_city", "安阳市今年有啥大项目"),
        ("none_everyday", "帮俺写个请假条 孩子发烧了"),
        ("related_no_amount", "购房补贴一套能补多少钱"),
        (
            "direct_when_by_plan",
            "俺家那小区老房子燃气管子都锈了看着就害怕啥时候能给换换",
        ),
        ("none_off_topic", "比特币现在多少钱一个"),
        ("none_weather", "明天安阳下雨不"),
        ("small_talk_hello", "你好"),
        ("small_talk_thanks", "谢谢啊"),
    ];
    for (i, (name, question)) in private.iter().enumerate() {
        let chat = 30_000 + i as i64;
        api.private_text(chat, question);
        api.wait_sent(chat, 1).await;
        let reqs = api.requests();
        let reply = reqs
            .iter()
            .find(|r| r.method == "SendMessage" && r.chat_id() == Some(chat) && r.refused.is_none())
            .unwrap();
        insta::assert_snapshot!(*name, format!("Q: {question}\n\n{}", message(reply)));
    }

    // In a group: a mention, and /ask.
    let group: &[(&str, String)] = &[
        ("group_mention", format!("@{BOT_USERNAME} 一岗一房")),
        ("group_ask", format!("/ask@{BOT_USERNAME} 托儿所有多少位置")),
    ];
    for (i, (name, text)) in group.iter().enumerate() {
        let chat = -31_000 - i as i64;
        api.group_text(chat, 77, text);
        api.wait_sent(chat, 1).await;
        let reqs = api.requests();
        let reply = reqs
            .iter()
            .find(|r| r.method == "SendMessage" && r.chat_id() == Some(chat))
            .unwrap();
        insta::assert_snapshot!(*name, format!("Q: {text}\n\n{}", message(reply)));
    }

    // Inline mode: an answer, the examples of an empty query, and a question not answered.
    for (i, (name, query)) in [
        ("inline_answer", "人才公寓"),
        ("inline_examples", ""),
        ("inline_not_found", "比特币现在多少钱"),
    ]
    .into_iter()
    .enumerate()
    {
        api.inline(32_000, query);
        let reqs = api
            .wait_for("inline answer", LONG, |r| {
                r.iter().filter(|r| r.method == "AnswerInlineQuery").count() > i
            })
            .await;
        let answer = reqs
            .iter()
            .filter(|r| r.method == "AnswerInlineQuery")
            .nth(i)
            .unwrap();
        insta::assert_snapshot!(name, format!("Q: {query}\n\n{}", inline(answer)));
    }
    assert!(api.refused().is_empty(), "{:?}", api.refused());
}
