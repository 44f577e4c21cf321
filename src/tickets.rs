//! Handing a question to staff (转人工), apart from any front end: what a resident writes to
//! ask for a person or to end the conversation, the pseudonym staff see, the topic guessed
//! for the staff card, the promise of when a reply comes (working hours in China Standard
//! Time), and personal details removed from a question before it becomes an FAQ.
//!
//! It keeps no state (the store keeps tickets) and knows nothing of Telegram.

use crate::config::TicketSettings;
use crate::text::fold_for_match;
use crate::time::weekday_minute_cst;

/// Plain phrases that ask for a person.
const HANDOVER_PHRASES: &[&str] = &[
    "转人工",
    "人工",
    "人工客服",
    "人工服务",
    "找人工",
    "找工作人员",
    "工作人员",
    "留言",
    "我要留言",
];

/// Phrases that end the conversation with staff.
const END_PHRASES: &[&str] = &["结束人工对话", "结束对话", "结束人工"];

/// The resident's own word for their tickets.
const MINE_PHRASES: &[&str] = &["我的留言", "/我的留言"];

/// The text a message is compared with: folded, without spaces and closing punctuation.
fn bare(text: &str) -> String {
    fold_for_match(text)
        .chars()
        .filter(|c| !c.is_whitespace() && !"。！!？?，,.~～".contains(*c))
        .collect()
}

/// Whether the message as a whole asks for a person (人工, 转人工, 找工作人员, 留言). A
/// question that merely holds the word (工作人员编制有多少) is a question.
pub fn asks_for_person(text: &str) -> bool {
    let t = bare(text);
    HANDOVER_PHRASES
        .iter()
        .any(|p| t == *p || t == format!("请{p}") || t == format!("我要{p}"))
}

/// `留言 …`: a message for staff written in one go; the text after the word.
pub fn message_for_staff(text: &str) -> Option<&str> {
    let rest = text.trim().strip_prefix("留言")?;
    let rest = rest.trim_start_matches([':', '：', ' ', '，', ',']).trim();
    (rest.chars().count() >= 2).then_some(rest)
}

/// Whether the message ends the conversation with staff.
pub fn ends_conversation(text: &str) -> bool {
    let t = bare(text);
    END_PHRASES.iter().any(|p| t == *p)
}

/// Whether the message asks for the resident's own tickets (/我的留言, 我的留言).
pub fn asks_for_own_tickets(text: &str) -> bool {
    let t = text.trim();
    MINE_PHRASES.contains(&t)
}

/// What staff see instead of the resident: 市民# and four hex digits of their keyed hash.
pub fn pseudonym(resident_key: &str) -> String {
    let tag: String = resident_key.chars().take(4).collect();
    format!("市民#{}", tag.to_ascii_uppercase())
}

/// Topics staff sort tickets by, each with the words that suggest it.
const TOPICS: &[(&str, &[&str])] = &[
    (
        "教育",
        &[
            "学校",
            "上学",
            "幼儿园",
            "小学",
            "中学",
            "学区",
            "招生",
            "教育",
            "老师",
            "入学",
            "学位",
        ],
    ),
    (
        "医疗",
        &[
            "医院", "看病", "医保", "医疗", "卫生", "诊所", "大夫", "医生", "药",
        ],
    ),
    (
        "住房",
        &[
            "房本",
            "房产证",
            "交房",
            "烂尾",
            "住房",
            "公寓",
            "危房",
            "物业",
            "小区",
            "老旧小区",
            "拆迁",
            "房子",
        ],
    ),
    (
        "水电气暖",
        &[
            "燃气",
            "天然气",
            "煤气",
            "暖气",
            "供暖",
            "自来水",
            "停水",
            "停电",
            "供水",
            "管道",
        ],
    ),
    (
        "交通出行",
        &[
            "公交",
            "停车",
            "道路",
            "修路",
            "红绿灯",
            "堵车",
            "充电桩",
            "路灯",
        ],
    ),
    (
        "就业创业",
        &[
            "就业", "工作", "招聘", "工资", "创业", "贷款", "培训", "失业", "欠薪", "拖欠",
        ],
    ),
    (
        "社会保障",
        &[
            "养老",
            "低保",
            "社保",
            "残疾",
            "退役",
            "退伍",
            "救助",
            "托育",
            "老年人",
        ],
    ),
    (
        "生态环境",
        &[
            "垃圾", "污染", "空气", "雾霾", "噪音", "河道", "绿化", "环境",
        ],
    ),
    (
        "市场监管",
        &["食品安全", "外卖", "假货", "消费", "投诉", "价格"],
    ),
    (
        "营商环境",
        &["企业", "公司", "营商", "审批", "执照", "投资"],
    ),
];

/// The topic a question is likely about, for the staff card; 其他 when none fits.
pub fn topic_of(question: &str) -> &'static str {
    let q = fold_for_match(question);
    TOPICS
        .iter()
        .map(|(topic, words)| (*topic, words.iter().filter(|w| q.contains(*w)).count()))
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(_, n)| *n)
        .map_or("其他", |(t, _)| t)
}

/// Whether `now` is within staff working hours (weekdays, China Standard Time).
pub fn working_now(s: &TicketSettings, now: i64) -> bool {
    let (weekday, minute) = weekday_minute_cst(now);
    weekday < 5 && (s.hours.0..s.hours.1).contains(&minute)
}

/// "周一至周五 9:00—17:30（北京时间）".
pub fn hours_text(s: &TicketSettings) -> String {
    let hm = |m: u32| format!("{}:{:02}", m / 60, m % 60);
    format!("周一至周五 {}—{}（北京时间）", hm(s.hours.0), hm(s.hours.1))
}

/// What the resident is promised: working hours, the reply window, and whether staff are at
/// work now.
pub fn promise_text(s: &TicketSettings, now: i64) -> String {
    let mut text = format!(
        "工作时间：{}，一般在 {} 个工作日内答复。",
        hours_text(s),
        s.reply_days
    );
    if !working_now(s, now) {
        text.push_str("现在是非工作时间，工作人员上班后会尽快处理。");
    }
    text
}

/// A kind of personal detail removed from a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personal {
    Phone,
    IdNumber,
    Name,
    Address,
}

impl Personal {
    /// What stands in the text instead, and the name the draft shows.
    pub fn label(self) -> &'static str {
        match self {
            Personal::Phone => "电话",
            Personal::IdNumber => "身份证号",
            Personal::Name => "姓名",
            Personal::Address => "门牌地址",
        }
    }
}

/// The question with phone numbers, id numbers, names given (我叫…, 姓…) and house addresses
/// (…号楼…单元…室) replaced by 【电话】 and the like, and what was removed.
pub fn scrub(text: &str) -> (String, Vec<(Personal, String)>) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut removed = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if let Some((kind, len)) = personal_at(&chars, i) {
            let found: String = chars[i..i + len].iter().collect();
            out.push_str(&format!("【{}】", kind.label()));
            removed.push((kind, found));
            i += len;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    (out, removed)
}

/// A personal detail starting at `i`: its kind and length in characters.
fn personal_at(c: &[char], i: usize) -> Option<(Personal, usize)> {
    let digits = c[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let starts_number = i == 0 || !c[i - 1].is_ascii_digit();
    if starts_number && digits > 0 {
        // An id number: 17 digits and a digit or X.
        if digits == 17 && c.get(i + 17).is_some_and(|x| matches!(x, 'X' | 'x')) {
            return Some((Personal::IdNumber, 18));
        }
        if digits == 18 {
            return Some((Personal::IdNumber, 18));
        }
        // A mobile number, or a landline with its area code.
        if digits == 11 && c[i] == '1' {
            return Some((Personal::Phone, 11));
        }
        if (7..=12).contains(&digits) && c[i] == '0' {
            return Some((Personal::Phone, digits));
        }
        if (3..=4).contains(&digits) && c[i] == '0' && c.get(i + digits) == Some(&'-') {
            let local = c[i + digits + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if (7..=8).contains(&local) {
                return Some((Personal::Phone, digits + 1 + local));
            }
        }
        if let Some(len) = address_at(c, i) {
            return Some((Personal::Address, len));
        }
    }
    // A name the resident gives: 我叫张三, 我是李四, 姓王.
    for cue in ["我叫", "我姓", "本人", "我是"] {
        let cue: Vec<char> = cue.chars().collect();
        if c[i..].starts_with(&cue) {
            let name = c[i + cue.len()..]
                .iter()
                .take_while(|x| crate::text::is_cjk(**x))
                .take(3)
                .count();
            let is_name =
                (2..=3).contains(&name) && !is_role(&c[i + cue.len()..i + cue.len() + name]);
            if is_name {
                return Some((Personal::Name, cue.len() + name));
            }
        }
    }
    None
}

/// Words after 我是 that are a role, not a name (我是居民, 我是业主).
fn is_role(word: &[char]) -> bool {
    let w: String = word.iter().collect();
    [
        "居民", "业主", "村民", "市民", "家长", "学生", "老师", "党员", "退伍", "个体", "商户",
        "租户", "干建", "在厂", "外地",
    ]
    .iter()
    .any(|r| w.starts_with(r))
}

/// A house address from `i`: a number of 号楼, 栋, 单元, 室, 号院, 号 in a row (3号楼2单元501).
fn address_at(c: &[char], i: usize) -> Option<usize> {
    let units = ["号楼", "号院", "单元", "栋", "室", "号", "楼", "层", "户"];
    let mut j = i;
    let mut parts = 0;
    loop {
        let d = c[j..].iter().take_while(|c| c.is_ascii_digit()).count();
        if d == 0 {
            break;
        }
        let after: String = c[j + d..].iter().take(2).collect();
        let Some(unit) = units.iter().find(|u| after.starts_with(*u)) else {
            break;
        };
        j += d + unit.chars().count();
        parts += 1;
    }
    (parts >= 2).then_some(j - i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asking_for_a_person_is_the_whole_message() {
        for yes in [
            "人工",
            "转人工！",
            " 找工作人员 ",
            "留言",
            "请转人工",
            "我要留言",
        ] {
            assert!(asks_for_person(yes), "{yes}");
        }
        for no in ["工作人员编制有多少", "人工智能产业有啥规划", "留言板在哪"]
        {
            assert!(!asks_for_person(no), "{no}");
        }
        assert_eq!(
            message_for_staff("留言：小区路灯坏了"),
            Some("小区路灯坏了")
        );
        assert_eq!(message_for_staff("留言"), None);
        assert!(ends_conversation("结束人工对话。"));
        assert!(!ends_conversation("对话结束以后呢"));
    }

    #[test]
    fn topics_are_guessed_from_the_words_of_the_question() {
        assert_eq!(topic_of("俺家娃明年上小学 学区怎么划"), "教育");
        assert_eq!(topic_of("小区燃气管子锈了啥时候换"), "水电气暖");
        assert_eq!(topic_of("交房好几年了房本还没办下来"), "住房");
        assert_eq!(topic_of("你好"), "其他");
        assert_eq!(pseudonym("5f2a9c"), "市民#5F2A");
    }

    #[test]
    fn working_hours_are_weekdays_in_beijing() {
        let s = TicketSettings::new(-100, None);
        // Tuesday 2026-12-01 09:30 and Sunday 2026-12-06 04:00, Beijing time.
        assert!(working_now(&s, 1_796_088_600));
        assert!(!working_now(&s, 1_796_500_800));
        assert!(promise_text(&s, 1_796_500_800).contains("非工作时间"));
        assert!(promise_text(&s, 1_796_088_600).contains("2 个工作日"));
    }

    #[test]
    fn personal_details_are_removed_and_listed() {
        let (text, removed) = scrub(
            "我叫张三，电话13812345678，住幸福小区3号楼2单元501室，身份证41050219800101123X，燃气管道锈了",
        );
        assert_eq!(
            text,
            "【姓名】，电话【电话】，住幸福小区【门牌地址】，身份证【身份证号】，燃气管道锈了"
        );
        let kinds: Vec<Personal> = removed.iter().map(|(k, _)| *k).collect();
        use Personal::*;
        assert_eq!(kinds, vec![Name, Phone, Address, IdNumber]);
        assert_eq!(removed[1].1, "13812345678");
        let (kept, removed) = scrub("我是居民，2024年新建450套人才公寓，打0372-1234567");
        assert_eq!(kept, "我是居民，2024年新建450套人才公寓，打【电话】");
        assert_eq!(removed, vec![(Phone, "0372-1234567".to_owned())]);
    }
}
