//! 转人工 end to end through the fake Bot API: a resident hands a question to staff, staff
//! answer in the staff group (a forum topic per ticket, or a card to reply to in a plain
//! group), the answer comes back as a reply to the question, the resident writes back, the
//! ticket closes and is rated; a restart in the middle loses and doubles nothing; forged
//! buttons, a group member who is not staff, a flooding resident and a blocked one are
//! refused; idle tickets close; without a staff group none of it shows.

use std::time::Duration;

use crate::fake_api::FakeApi;
use crate::harness::{self, ADMIN, LONG, STAFF, button, buttons, has, press};

const FORUM: i64 = -100_500;
const GROUP: i64 = -4_001;
/// A member of the staff group who is not staff.
const MEMBER: i64 = 555;

/// The data of the button labelled `label` under a message of `chat` as it is now (edits
/// included), the latest first.
fn current_button(api: &FakeApi, chat: i64, label: &str) -> Option<String> {
    api.messages(chat).iter().rev().find_map(|m| {
        let rows = m["reply_markup"]["inline_keyboard"].as_array()?;
        rows.iter()
            .flat_map(|r| r.as_array().into_iter().flatten())
            .find(|b| b["text"] == label)
            .and_then(|b| b["callback_data"].as_str().map(str::to_owned))
    })
}

/// The texts the bot sent into the staff chat, in order.
fn staff_texts(api: &FakeApi, chat: i64) -> Vec<String> {
    api.sent_to(chat)
}

/// Waits until the texts to `chat` hold `needle` (at least `n` times).
async fn wait_text(api: &FakeApi, chat: i64, needle: &str, n: usize) -> Vec<String> {
    api.wait_for(&format!("{n}× {needle:?} to {chat}"), LONG, |_| {
        api.sent_to(chat)
            .iter()
            .filter(|t| t.contains(needle))
            .count()
            >= n
    })
    .await;
    api.sent_to(chat)
}

/// The resident asks `question`, presses 转人工 and 确认; returns the id of the question's
/// message.
async fn hand_over(api: &FakeApi, resident: i64, question: &str) -> i64 {
    let before = api.sent_to(resident).len();
    let asked = api.push_message(crate::fake_api::Incoming::text(
        resident, resident, question,
    ));
    api.wait_sent(resident, before + 1).await;
    let human = button(api, resident, "转人工");
    press(api, resident, &human).await;
    let card = wait_text(api, resident, "点“确认”后才会转交", 1).await;
    let card = card.last().unwrap();
    assert!(
        card.contains("看不到您的姓名、用户名和账号") && card.contains("12345"),
        "{card}"
    );
    let confirm = button(api, resident, "确认");
    let toast = press(api, resident, &confirm).await;
    assert_eq!(toast, "已转交");
    asked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_s_question_goes_to_a_forum_topic_and_the_answer_comes_back() {
    let api = FakeApi::start().await;
    api.add_forum(FORUM, "北关区政府办公室 工单");
    api.add_private(ADMIN);
    let mut t = harness::bot()
        .api(api)
        .env("LIANGHUI_STAFF_GROUP", &FORUM.to_string())
        .start()
        .await;
    let resident = 300;
    let question = "俺家小区燃气管子都锈了啥时候能给换";

    // The answer has 转人工; nothing reaches staff before 确认.
    t.api.push_message(crate::fake_api::Incoming::text(
        resident, resident, question,
    ));
    t.api.wait_sent(resident, 1).await;
    let labels: Vec<String> = buttons(&t.api, resident).into_iter().map(|b| b.0).collect();
    assert!(labels.iter().any(|l| l == "转人工"), "{labels:?}");
    press(&t.api, resident, &button(&t.api, resident, "转人工")).await;
    wait_text(&t.api, resident, "点“确认”后才会转交", 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(staff_texts(&t.api, FORUM).is_empty(), "sent before 确认");
    let confirm = button(&t.api, resident, "确认");
    // Someone else's press of the resident's 确认 is refused.
    let forged = press(&t.api, 301, &confirm).await;
    assert_eq!(forged, "这个按钮已失效。");
    assert_eq!(press(&t.api, resident, &confirm).await, "已转交");

    // A topic of its own, and the card in it: the question, what the bot found, a pseudonym.
    let card = wait_text(&t.api, FORUM, "工单 #1", 1).await[0].clone();
    let topics = t.api.topics(FORUM);
    assert_eq!(topics.len(), 1, "{topics:?}");
    assert!(
        topics[0].name.starts_with("#1 ") && topics[0].by_bot,
        "{:?}",
        topics[0]
    );
    assert!(card.contains(question) && card.contains("市民#"), "{card}");
    assert!(card.contains("水电气暖"), "the topic is guessed: {card}");
    assert!(
        card.contains("机器人给的回答：</b>\n（"),
        "with its tier: {card}"
    );
    assert!(!card.contains(&resident.to_string()), "no user id: {card}");
    let thread = topics[0].thread_id;

    // 认领 by a member who is not staff is refused; by staff it is taken.
    let claim = button(&t.api, FORUM, "认领");
    t.api.press_under(MEMBER, FORUM, &claim);
    let refused = t
        .api
        .wait_for("refusal", LONG, |r| {
            r.iter()
                .any(|r| r.method == "AnswerCallbackQuery" && r.text().contains("只有工作人员"))
        })
        .await;
    assert!(!refused.is_empty());
    t.api.press_under(STAFF, FORUM, &claim);
    wait_text(&t.api, FORUM, "办理中", 1).await;

    // A member who is not staff writing in the topic is not passed on; nor is a #备注.
    t.api.topic_text(FORUM, thread, MEMBER, "我也想知道");
    wait_text(&t.api, FORUM, "只有工作人员的答复会转给居民", 1).await;
    t.api
        .topic_text(FORUM, thread, STAFF, "#备注 先问一下燃气公司");
    // The staff answer comes back as a reply to the question, headed with the office.
    let answer = "您好，您小区已列入今年老旧燃气管网改造计划，预计10月底前完成更换。";
    t.api.topic_text(FORUM, thread, STAFF, answer);
    let got = wait_text(&t.api, resident, "工作人员答复（北关区政府办公室）", 1).await;
    let reply = got.iter().find(|m| m.contains(answer)).expect("the answer");
    assert!(
        !reply.contains("先问一下"),
        "the note stays internal: {reply}"
    );
    assert!(!got.iter().any(|m| m.contains("我也想知道")));
    let reqs = t.api.requests();
    let sent = reqs
        .iter()
        .find(|r| r.chat_id() == Some(resident) && r.text().contains(answer))
        .unwrap();
    let asked = t
        .api
        .messages(resident)
        .iter()
        .find(|m| m["text"] == question)
        .cloned();
    let asked = asked.expect("the question is in the chat")["message_id"].as_i64();
    assert_eq!(
        sent.body["reply_parameters"]["message_id"].as_i64(),
        asked,
        "{}",
        sent.body
    );

    // The resident writes back: into the topic, not answered as a question; the ticket reopens.
    let before = t.api.sent_to(resident).len();
    t.api.private_text(resident, "谢谢！那我们小区是哪一批？");
    wait_text(&t.api, FORUM, "谢谢！那我们小区是哪一批？", 1).await;
    let after = t.api.wait_sent(resident, before + 1).await;
    assert!(
        after[before].contains("已转给工作人员"),
        "{:?}",
        &after[before..]
    );

    // A restart in the middle: nothing is lost, nothing sent twice.
    t.bot.kill_hard();
    t.start_again();
    t.api
        .topic_text(FORUM, thread, STAFF, "是第二批，9月开工。");
    wait_text(&t.api, resident, "是第二批，9月开工。", 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let to_resident = t.api.sent_to(resident);
    let answers = to_resident
        .iter()
        .filter(|m| m.contains("工作人员答复"))
        .count();
    assert_eq!(answers, 2, "{to_resident:?}");
    let into_topic = staff_texts(&t.api, FORUM);
    let copies = into_topic.iter().filter(|m| m.contains("哪一批")).count();
    assert_eq!(copies, 1, "{into_topic:?}");

    // /mytickets shows it; staff close it; the resident rates it; 不满意 tells the admins.
    t.api.private_text(resident, "/我的留言");
    wait_text(&t.api, resident, "#1 ", 1).await;
    t.api
        .press_under(STAFF, FORUM, &button(&t.api, FORUM, "关闭"));
    let notice = wait_text(&t.api, resident, "请您对这次答复作个评价", 1).await;
    assert!(has(&notice, "已办结"), "{notice:?}");
    let labels: Vec<String> = buttons(&t.api, resident).into_iter().map(|b| b.0).collect();
    assert_eq!(
        labels,
        ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    );
    let low = button(&t.api, resident, "不满意");
    assert_eq!(
        press(&t.api, 301, &low).await,
        "这条留言已经评价过了。",
        "not theirs"
    );
    assert_eq!(press(&t.api, resident, &low).await, "谢谢您的评价！");
    wait_text(&t.api, ADMIN, "工单 #1 收到居民评价“不满意”", 1).await;
    assert_eq!(
        press(&t.api, resident, &low).await,
        "这条留言已经评价过了。"
    );
    // Closed: the resident's next message is a question again.
    let before = t.api.sent_to(resident).len();
    t.api.private_text(resident, "今年全区经济增长目标是多少");
    let after = t.api.wait_sent(resident, before + 1).await;
    assert!(after[before].contains("6.5%"), "{}", after[before]);
    wait_text(&t.api, FORUM, "已办结", 1).await;

    let refused = t.api.refused();
    assert!(refused.is_empty(), "Telegram would refuse: {refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_plain_group_staff_reply_to_the_card_and_limits_hold() {
    let api = FakeApi::start().await;
    api.add_group(GROUP, "工单群");
    let t = harness::bot()
        .api(api)
        .env("LIANGHUI_STAFF_GROUP", &GROUP.to_string())
        .env("LIANGHUI_OFFICE", "北关区12345工作站")
        .env("LIANGHUI_TICKET_IDLE_DAYS", "0.0003")
        .start()
        .await;
    let resident = 400;
    hand_over(&t.api, resident, "小区门口的路灯坏了半年了没人修").await;
    wait_text(&t.api, GROUP, "工单 #1", 1).await;
    let card = t
        .api
        .messages(GROUP)
        .into_iter()
        .find(|m| m["text"].as_str().is_some_and(|t| t.contains("工单 #1")))
        .unwrap();
    assert!(card["text"].as_str().unwrap().contains("回复这条消息"));
    let card_id = card["message_id"].as_i64().unwrap();

    // A message in the group that replies to nothing of a ticket is not a ticket's.
    t.api.group_text(GROUP, STAFF, "大家下午好");
    // The staff reply to the card reaches the resident, headed with the office set.
    t.api
        .reply_text(GROUP, STAFF, card_id, "已通知路灯所，三天内修好。");
    wait_text(&t.api, resident, "工作人员答复（北关区12345工作站）", 1).await;
    assert!(!has(&t.api.sent_to(resident), "大家下午好"));

    // A resident writing more than 10 messages a minute into a ticket is told to wait: a burst
    // the intake's flood control lets through, then one every 2 s, which it lets through too.
    for i in 0..12 {
        t.api.private_text(resident, &format!("补充说明第{i}条"));
        if i >= 4 {
            tokio::time::sleep(Duration::from_millis(2100)).await;
        }
    }
    // The question counts: 9 more pass within the minute, the other 3 are told to wait.
    wait_text(&t.api, resident, "消息发得太快了", 3).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let passed: Vec<String> = staff_texts(&t.api, GROUP)
        .into_iter()
        .filter(|m| m.contains("补充说明第"))
        .collect();
    assert_eq!(passed.len(), 9, "{passed:?}");
    assert!(
        !has(&t.api.sent_to(resident), "您发得太快了"),
        "the intake let all through"
    );

    // An idle ticket closes by itself (here after 0.0003 days, 26 s), and the resident is told.
    t.api
        .wait_for("the idle close", Duration::from_secs(120), |_| {
            has(&t.api.sent_to(resident), "已自动办结")
        })
        .await;
    let refused = t.api.refused();
    assert!(refused.is_empty(), "Telegram would refuse: {refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_and_over_the_limit_residents_are_told_and_nothing_reaches_staff() {
    let api = FakeApi::start().await;
    api.add_forum(FORUM, "工单");
    let t = harness::bot()
        .api(api)
        .env("LIANGHUI_STAFF_GROUP", &FORUM.to_string())
        .start()
        .await;
    // Three open tickets at most: four cards (留言 … asks for one without asking the reports
    // first), then 确认 on each.
    let resident = 500;
    let mut confirms = Vec::new();
    for i in 1..=4 {
        t.api
            .private_text(resident, &format!("留言 第{i}件事：楼道灯坏了"));
        wait_text(&t.api, resident, "点“确认”后才会转交", i).await;
        confirms.push(button(&t.api, resident, "确认"));
    }
    for (i, confirm) in confirms.iter().enumerate() {
        let toast = press(&t.api, resident, confirm).await;
        if i < 3 {
            assert_eq!(toast, "已转交");
        } else {
            assert!(toast.contains("您已有 3 条留言还没办结"), "{toast}");
        }
    }
    wait_text(&t.api, FORUM, "工单 #3", 1).await;
    // Ending the conversation closes the newest; then there is room for the fourth.
    t.api.private_text(resident, "结束人工对话");
    wait_text(&t.api, resident, "已结束人工对话", 1).await;
    assert_eq!(press(&t.api, resident, &confirms[3]).await, "已转交");
    // An admin blocks a resident from the card; their next ticket is refused.
    let other = 501;
    t.api.private_text(other, "留言 我要投诉邻居");
    wait_text(&t.api, other, "点“确认”后才会转交", 1).await;
    press(&t.api, other, &button(&t.api, other, "确认")).await;
    wait_text(&t.api, FORUM, "工单 #5", 1).await;
    let block = buttons(&t.api, FORUM)
        .into_iter()
        .find(|(l, _)| l == "屏蔽此居民")
        .unwrap()
        .1;
    t.api.press_under(STAFF, FORUM, &block);
    t.api.press_under(ADMIN, FORUM, &block);
    let toasts = t
        .api
        .wait_for("block toasts", LONG, |r| {
            r.iter()
                .any(|r| r.method == "AnswerCallbackQuery" && r.text().contains("已屏蔽"))
        })
        .await;
    assert!(toasts.iter().any(|r| r.text().contains("只有管理员")));
    t.api.private_text(other, "结束人工对话");
    wait_text(&t.api, other, "已结束人工对话", 1).await;
    t.api.private_text(other, "留言 再投诉一次");
    wait_text(&t.api, other, "点“确认”后才会转交", 2).await;
    let toast = press(&t.api, other, &button(&t.api, other, "确认")).await;
    assert!(toast.contains("暂时不能使用人工服务"), "{toast}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!has(&staff_texts(&t.api, FORUM), "再投诉一次"));

    // A question as long as a message can be: the card still fits, and is edited in place.
    let long = 503;
    t.api.private_text(
        long,
        &format!("留言 {}", "楼道灯坏了很久没人修。".repeat(360)),
    );
    wait_text(&t.api, long, "点“确认”后才会转交", 1).await;
    assert_eq!(
        press(&t.api, long, &button(&t.api, long, "确认")).await,
        "已转交"
    );
    let card = wait_text(&t.api, FORUM, "工单 #7", 1).await;
    let card = card.iter().find(|c| c.contains("工单 #7")).unwrap();
    assert!(
        card.contains("楼道灯坏了很久没人修。楼道灯") && card.contains('…'),
        "{card}"
    );
    let claim = current_button(&t.api, FORUM, "认领").unwrap();
    t.api.press_under(STAFF, FORUM, &claim);
    wait_text(&t.api, FORUM, "办理中", 1).await;
    let refused = t.api.refused();
    assert!(refused.is_empty(), "Telegram would refuse: {refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_staff_group_there_is_no_handing_over() {
    let t = harness::bot().start().await;
    t.api
        .private_text(600, "俺家小区燃气管子都锈了啥时候能给换");
    t.api.wait_sent(600, 1).await;
    let labels: Vec<String> = buttons(&t.api, 600).into_iter().map(|b| b.0).collect();
    assert!(!labels.iter().any(|l| l.contains("人工")), "{labels:?}");
    t.api.private_text(600, "/human");
    let got = t.api.wait_sent(600, 2).await;
    assert!(got[1].contains("人工服务暂未开通"), "{got:?}");
    let menu = t.api.menu(&serde_json::Value::Null, "").unwrap_or_default();
    assert!(!menu.iter().any(|(c, _)| c == "human"), "{menu:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_made_an_faq_is_found_by_the_next_resident() {
    let api = FakeApi::start().await;
    api.add_forum(FORUM, "工单");
    api.add_private(ADMIN);
    let t = harness::bot()
        .api(api)
        .knowledge_copy()
        .env("LIANGHUI_STAFF_GROUP", &FORUM.to_string())
        .start()
        .await;
    let resident = 700;
    hand_over(
        &t.api,
        resident,
        "我叫王小明，电话13812345678，社区食堂一顿饭多少钱？",
    )
    .await;
    wait_text(&t.api, FORUM, "工单 #1", 1).await;
    let thread = t.api.topics(FORUM)[0].thread_id;
    // 转为FAQ needs a staff answer first.
    assert_eq!(current_button(&t.api, FORUM, "转为FAQ"), None);
    t.api.topic_text(
        FORUM,
        thread,
        STAFF,
        "社区长者食堂午餐每份12元，60岁以上老人每份补贴3元。",
    );
    wait_text(&t.api, resident, "社区长者食堂午餐每份12元", 1).await;
    wait_text(&t.api, FORUM, "已答复", 1).await;
    let faq = current_button(&t.api, FORUM, "转为FAQ").expect("转为FAQ once answered");
    t.api.press_under(STAFF, FORUM, &faq);
    let drafts = wait_text(&t.api, FORUM, "常见问题草稿 #1", 1).await;
    let draft = drafts
        .iter()
        .find(|m| m.contains("常见问题草稿 #1"))
        .unwrap();
    assert!(
        !draft.contains("13812345678") && !draft.contains("王小明"),
        "personal details removed: {draft}"
    );
    assert!(draft.contains("已去掉的个人信息：姓名、电话"), "{draft}");
    // Staff edit the question by replying to the draft.
    let draft_id = t
        .api
        .messages(FORUM)
        .into_iter()
        .find(|m| {
            m["text"]
                .as_str()
                .is_some_and(|x| x.contains("常见问题草稿 #1"))
        })
        .unwrap()["message_id"]
        .as_i64()
        .unwrap();
    t.api.push_message(
        crate::fake_api::Incoming::text(FORUM, STAFF, "问：社区长者食堂一顿饭多少钱？")
            .in_topic(thread)
            .reply_to(draft_id),
    );
    wait_text(&t.api, FORUM, "<b>问：</b>社区长者食堂一顿饭多少钱？", 1).await;
    let before = t.api.sent_to(resident).len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        t.api.sent_to(resident).len(),
        before,
        "an edit is not an answer"
    );
    // Only an admin approves.
    let approve = button(&t.api, FORUM, "批准");
    t.api.press_under(STAFF, FORUM, &approve);
    t.api.press_under(ADMIN, FORUM, &approve);
    t.api
        .wait_for("approval", LONG, |r| {
            r.iter()
                .any(|r| r.method == "AnswerCallbackQuery" && r.text().contains("已批准"))
        })
        .await;
    assert!(
        t.api
            .requests()
            .iter()
            .any(|r| r.text().contains("只有管理员可以批准"))
    );
    let file = std::fs::read_to_string(t.knowledge().join("faq.md")).unwrap();
    assert!(
        file.contains("社区长者食堂一顿饭多少钱") && !file.contains("13812345678"),
        "{file}"
    );

    // Another resident's question finds it, shown as a staff answer with office and date.
    let other = 701;
    t.api.private_text(other, "长者食堂吃一顿饭要多少钱");
    let got = t.api.wait_sent(other, 1).await;
    let today = lianghui_bot::time::date_cn(lianghui_bot::time::now_unix());
    assert!(
        got[0].contains("每份12元")
            && got[0].starts_with("<i>工作人员答复过这个问题：</i>")
            && got[0].contains(&format!("工作人员答复 · 北关区政府办公室 · {today}")),
        "{}",
        got[0]
    );
    // /gaps counts it; /sources does not count it as a report.
    t.api.private_text(ADMIN, "/gaps");
    let gaps = wait_text(&t.api, ADMIN, "常见问题作为第一条答案的次数", 1).await;
    assert!(has(&gaps, "（1 次）"), "{gaps:?}");
    t.api.private_text(ADMIN, "/stats");
    let stats = wait_text(&t.api, ADMIN, "人工留言：未办结 1", 1).await;
    assert!(has(&stats, "首次答复用时中位数"), "{stats:?}");
    // /remove takes the FAQs out again, like any document.
    t.api.private_text(ADMIN, "/remove");
    wait_text(&t.api, ADMIN, "选择要删除的文档", 1).await;
    press(
        &t.api,
        ADMIN,
        &button(&t.api, ADMIN, "删除《工作人员答复》"),
    )
    .await;
    wait_text(&t.api, ADMIN, "确认从知识库删除《工作人员答复》", 1).await;
    press(&t.api, ADMIN, &button(&t.api, ADMIN, "确认删除")).await;
    wait_text(&t.api, ADMIN, "删除：工作人员答复", 1).await;
    assert!(!t.knowledge().join("faq.md").exists());
    t.api.private_text(702, "长者食堂吃一顿饭要多少钱");
    let got = t.api.wait_sent(702, 1).await;
    assert!(!got[0].contains("每份12元"), "{}", got[0]);
    let refused = t.api.refused();
    assert!(refused.is_empty(), "Telegram would refuse: {refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_reach_staff_as_copies_and_failed_deliveries_are_retried_or_reported() {
    let api = FakeApi::start().await;
    api.add_group(GROUP, "工单群");
    let t = harness::bot()
        .api(api)
        .env("LIANGHUI_STAFF_GROUP", &GROUP.to_string())
        .start()
        .await;
    let resident = 800;
    hand_over(&t.api, resident, "俺家楼下的燃气管子锈得厉害，啥时候能换").await;
    wait_text(&t.api, GROUP, "工单 #1", 1).await;
    let card = t
        .api
        .messages(GROUP)
        .into_iter()
        .find(|m| m["text"].as_str().is_some_and(|x| x.contains("工单 #1")))
        .unwrap()["message_id"]
        .as_i64()
        .unwrap();

    // A photo goes to staff as a copy (no forward header: nothing of who sent it), under the card.
    let photo = t.api.private_photo(resident, Some("锈成这样了"));
    let reqs = t
        .api
        .wait_for("the copy", LONG, |r| {
            r.iter().any(|r| r.method == "copyMessage" && r.accepted())
        })
        .await;
    let copy = reqs.iter().find(|r| r.method == "copyMessage").unwrap();
    assert_eq!(copy.body["chat_id"].as_i64(), Some(GROUP));
    assert_eq!(copy.body["from_chat_id"].as_i64(), Some(resident));
    assert_eq!(copy.body["message_id"].as_i64(), Some(photo));
    assert_eq!(
        copy.body["reply_parameters"]["message_id"].as_i64(),
        Some(card)
    );
    wait_text(&t.api, GROUP, "（图片，见下一条）锈成这样了", 1).await;

    // A 429 on the answer: sent again after retry_after, and arrives once.
    t.api
        .script("sendMessage", resident, crate::fake_api::too_many(2));
    t.api
        .reply_text(GROUP, STAFF, card, "第一条答复：已报燃气公司。");
    wait_text(&t.api, resident, "第一条答复", 1).await;
    let tries = t
        .api
        .requests()
        .iter()
        .filter(|r| r.chat_id() == Some(resident) && r.text().contains("第一条答复"))
        .count();
    assert_eq!(tries, 2, "one 429, then the answer");
    assert_eq!(
        t.api
            .sent_to(resident)
            .iter()
            .filter(|m| m.contains("第一条答复"))
            .count(),
        1
    );

    // The resident blocks the bot: staff are told in the ticket that the answer did not arrive.
    t.api.block(resident);
    t.api
        .reply_text(GROUP, STAFF, card, "第二条答复：下周上门。");
    wait_text(&t.api, GROUP, "这条消息没能送达居民", 1).await;
}
