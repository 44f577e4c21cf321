//! Small talk: 你好, 谢谢, 你是谁, 再见 — a message made only of such phrases (and particles)
//! gets a friendly word, not a search. Pure.

use serde::Serialize;

use crate::text::fold_for_match;

/// A message that is small talk rather than a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmallTalk {
    Greeting,
    Thanks,
    WhoAreYou,
    Goodbye,
}

/// Phrases of small talk, by kind; a message made only of these (and particles) is small talk.
const SMALL_TALK: &[(SmallTalk, &[&str])] = &[
    (
        SmallTalk::WhoAreYou,
        &[
            "你是谁",
            "您是谁",
            "你是机器人",
            "是机器人",
            "机器人",
            "你是真人",
            "真人",
            "你叫什么",
            "你叫啥",
            "你能干什么",
            "你能干啥",
            "你会什么",
            "你会干啥",
            "你能做什么",
            "你有什么用",
            "你是干什么的",
            "你是干啥的",
            "你是什么",
            "介绍一下你自己",
            "who are you",
        ],
    ),
    (
        SmallTalk::Thanks,
        &[
            "非常感谢",
            "谢谢你",
            "谢谢您",
            "谢谢",
            "多谢",
            "感谢",
            "谢了",
            "谢啦",
            "辛苦了",
            "好的",
            "明白了",
            "知道了",
            "收到",
            "thanks",
            "thank you",
            "thx",
            "ok",
        ],
    ),
    (
        SmallTalk::Goodbye,
        &["再见", "拜拜", "回见", "下次见", "bye", "goodbye"],
    ),
    (
        SmallTalk::Greeting,
        &[
            "你好",
            "您好",
            "早上好",
            "上午好",
            "中午好",
            "下午好",
            "晚上好",
            "早安",
            "晚安",
            "在吗",
            "在不在",
            "在么",
            "有人吗",
            "哈喽",
            "哈啰",
            "嗨",
            "hello",
            "hi",
            "hey",
        ],
    ),
];

/// Small talk, when the whole message is made of its phrases (the most telling kind wins).
pub fn small_talk(text: &str) -> Option<SmallTalk> {
    let mut rest: String = fold_for_match(text)
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect();
    rest = rest.trim().to_owned();
    if rest.is_empty() || rest.chars().count() > 24 {
        return None;
    }
    let mut found: Option<SmallTalk> = None;
    'strip: while !rest.is_empty() {
        let trimmed = rest.trim_start();
        for particle in [
            "啊", "呀", "哈", "呢", "吧", "嘛", "哦", "哟", "吗", "么", "的", "啦", "呗",
        ] {
            if let Some(r) = trimmed.strip_prefix(particle) {
                rest = r.to_owned();
                continue 'strip;
            }
        }
        for (kind, phrases) in SMALL_TALK {
            if let Some(p) = phrases.iter().find(|p| trimmed.starts_with(**p)) {
                rest = trimmed[p.len()..].to_owned();
                found = Some(match found {
                    Some(f) if rank(f) >= rank(*kind) => f,
                    _ => *kind,
                });
                continue 'strip;
            }
        }
        return None;
    }
    found
}

/// Which kind of small talk says most about what the person wants.
fn rank(kind: SmallTalk) -> u8 {
    match kind {
        SmallTalk::WhoAreYou => 3,
        SmallTalk::Thanks => 2,
        SmallTalk::Goodbye => 1,
        SmallTalk::Greeting => 0,
    }
}
