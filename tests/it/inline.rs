//! Inline mode: cited excerpts to share, examples for an empty query, a button to the bot when
//! nothing is found.

use crate::fake_api::Request;
use crate::harness::{self, LONG};

fn inline_answers(reqs: &[Request]) -> Vec<&Request> {
    reqs.iter()
        .filter(|r| r.method == "AnswerInlineQuery")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_mode_offers_cited_excerpts_and_examples() {
    let t = harness::bot().start().await;
    let api = &t.api;
    api.inline(600, "");
    api.wait_for("examples", LONG, |r| inline_answers(r).len() == 1)
        .await;
    api.inline(600, "人才公寓");
    let reqs = api
        .wait_for("answers", LONG, |r| inline_answers(r).len() == 2)
        .await;
    let answers = inline_answers(&reqs);
    // An empty query: example questions, each inserting its real answer.
    let examples = answers[0].body["results"].as_array().unwrap();
    assert_eq!(examples.len(), 3);
    for e in examples {
        let message = e["input_message_content"]["message_text"].as_str().unwrap();
        let title = e["title"].as_str().unwrap();
        assert!(message.starts_with(&format!("❓ {title}")), "{e}");
        assert!(message.contains("<b>") && message.contains("📄 <i>"), "{e}");
    }
    let results = answers[1].body["results"].as_array().unwrap();
    assert!(!results.is_empty() && results.len() <= 3);
    // Title: the answering sentence; description: the source; message: question, excerpt,
    // source. Results do not look alike.
    let first = &results[0];
    assert_eq!(
        first["title"], "落细落实“一岗一房”人才政策,新建人才公寓450套。",
        "{first}"
    );
    assert_eq!(
        first["description"],
        "北关区政府工作报告 · 强化科技创新引领 塑造发展新动能新优势 · 2024年5月31日"
    );
    let titles: Vec<&str> = results
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    let mut distinct = titles.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), titles.len(), "{titles:?}");
    let content = &first["input_message_content"];
    assert_eq!(content["parse_mode"], "HTML");
    let message = content["message_text"].as_str().unwrap();
    assert!(
        message.starts_with("❓ 人才公寓\n\n")
            && message.contains("<b>人才公寓</b>")
            && message.ends_with(
                "📄 <i>北关区政府工作报告 · 强化科技创新引领 塑造发展新动能新优势 · 2024年5月31日</i>"
            ),
        "{message}"
    );
    assert_eq!(answers[1].body["cache_time"], 300);
    // Off-topic: nothing to post into the group, only a button that opens the bot.
    api.inline(600, "比特币多少钱");
    let reqs = api
        .wait_for("abstention", LONG, |r| inline_answers(r).len() == 3)
        .await;
    let none = &inline_answers(&reqs)[2].body;
    assert!(none["results"].as_array().unwrap().is_empty(), "{none}");
    assert_eq!(none["button"]["start_parameter"], "inline", "{none}");
    assert!(
        none["button"]["text"]
            .as_str()
            .unwrap()
            .contains("没有找到")
    );
    assert!(api.refused().is_empty(), "{:?}", api.refused());
}
