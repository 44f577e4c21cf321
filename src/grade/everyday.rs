//! Requests from everyday life that a government's work reports never address: write me a
//! poem, what is the weather tomorrow, which hot-pot place is good, how to free up a phone's
//! memory, who won the match, what medicine to take, how to get a passport. Words of a report
//! can turn up in them (春天, 手机, 提高, 办理), so they would otherwise be shown "related"
//! passages that have nothing to do with them. Cue phrases by kind of request, general to daily
//! life and not to any report; a question holding one is answered `none` unless a passage
//! matches it nearly whole. Pure.

/// Cue phrases of everyday requests, by kind.
const CUES: &[&[&str]] = &[
    // Writing and entertainment asked of the bot.
    &[
        "帮我写",
        "帮俺写",
        "给我写",
        "替我写",
        "写一首",
        "写首诗",
        "写一篇",
        "写个",
        "作一首",
        "讲个笑话",
        "讲笑话",
        "说个笑话",
        "讲个故事",
        "翻译一下",
        "翻译成",
    ],
    // The weather forecast.
    &[
        "天气怎么样",
        "天气如何",
        "天气咋样",
        "明天天气",
        "今天天气",
        "天气预报",
        "会下雨",
        "下雨不",
        "下雨吗",
        "带伞",
        "气温多少",
        "多少度",
    ],
    // Where to eat, shop or have fun; what to watch or play.
    &[
        "好吃",
        "好玩",
        "哪家店",
        "哪家好",
        "推荐一部",
        "推荐一本",
        "推荐个",
        "电视剧",
        "综艺",
        "玩游戏",
        "打游戏",
    ],
    // Gadgets and software.
    &[
        "手机内存",
        "内存满",
        "清理内存",
        "手机卡",
        "电脑卡",
        "重置密码",
        "忘记密码",
        "密码忘",
        "excel",
        "python",
        "编程",
        "写代码",
        "安装软件",
        "哪个手机",
        "手机哪个",
    ],
    // Matches, bets and markets.
    &[
        "冠军是",
        "谁赢了",
        "谁赢",
        "比分",
        "球赛",
        "彩票",
        "股票",
        "比特币",
        "炒股",
    ],
    // A remedy for oneself.
    &["吃什么药", "吃啥药", "怎么减肥", "减肥", "失眠", "感冒了"],
    // Exam tips.
    &["四级", "六级", "考研", "雅思", "托福", "听力怎么"],
    // One's own papers: how to get a passport, a visa, a licence or an identity card is the
    // service desk's business, never a work report's.
    &[
        "护照",
        "签证",
        "港澳通行证",
        "往来台湾",
        "驾照",
        "驾驶证",
        "补办身份证",
        "办身份证",
        "换身份证",
        "身份证丢",
        "身份证过期",
    ],
];

/// Whether `folded` (the question as [`crate::text::fold_for_match`] folds it) is an
/// everyday request the reports never address.
pub fn everyday(folded: &str) -> bool {
    CUES.iter()
        .flat_map(|k| k.iter())
        .any(|c| folded.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyday_requests_are_told_from_questions_about_the_reports() {
        for q in [
            "帮我写一首关于春天的诗",
            "明天天气怎么样",
            "附近哪家火锅店好吃",
            "苹果手机内存满了怎么清理",
            "护照怎么办理",
            "身份证丢了咋补办",
        ] {
            assert!(everyday(q), "{q}");
        }
        for q in [
            "人才公寓有什么政策",
            "今年天然气管道改造多少公里",
            "空气质量啥时候能好点",
            "手机上能办社保吗",
            "身份证跨省通办今年推进了吗",
        ] {
            assert!(!everyday(q), "{q}");
        }
    }
}
