//! Questions to suggest: a pool of what residents often ask, in their words, across the topics
//! reports of this kind cover; a suggestion is one the knowledge base in use answers
//! directly, so it never leads to a refusal whatever reports an admin uploads, and those
//! nearest the asker's words come first.

use crate::search::{Question, Retrieve};

/// Questions residents often ask, in their words, across the topics reports of this kind
/// cover. A suggestion is one of these that the knowledge base in use answers directly, so a
/// suggestion never leads to a refusal, whatever reports an admin uploads.
pub const EXAMPLE_POOL: &[&str] = &[
    "今年全区经济增长目标是多少？",
    "今年有哪些重点项目？",
    "人才公寓有什么政策？",
    "老旧小区燃气管道改造多少个？",
    "买房有补贴吗？",
    "今年新建哪些学校和幼儿园？",
    "婴幼儿托位有多少个？",
    "区人民医院建得怎么样了？",
    "社区养老服务有什么安排？",
    "找工作有什么帮助？",
    "农民工工资拖欠怎么办？",
    "创业有贷款扶持吗？",
    "职业技能培训多少人次？",
    "农村垃圾怎么处理？",
    "高标准农田建设有什么安排？",
    "重污染天气怎么治理？",
    "安阳河水质怎么样？",
    "停车难怎么解决？",
    "今年新建多少个充电桩？",
    "食品安全怎么监管？",
    "非法集资怎么防范？",
    "退役军人有什么保障？",
    "甲骨文篆刻博物馆建不建？",
    "蓝天实验室是做什么的？",
    "营商环境怎么优化？",
    "人大会议是什么时候召开的？",
    "政协会议在哪里召开？",
];

/// Up to `n` questions the knowledge base answers directly, those sharing the most characters
/// with `near` (what a citizen just asked) first.
pub fn suggestions(engine: &dyn Retrieve, near: Option<&str>, n: usize) -> Vec<String> {
    // Characters of how a question is asked say nothing of what it is about.
    const ASKING: &str =
        "什么啥多少几个哪里儿谁怎么样咋吗呢吧啊的了是有在要会能可以不没我你俺咱这那现今年一";
    let wanted: Vec<char> = near
        .map(|q| {
            crate::text::fold_for_match(q)
                .chars()
                .filter(|c| crate::text::is_cjk(*c) && !ASKING.contains(*c))
                .collect()
        })
        .unwrap_or_default();
    let overlap = |e: &str| {
        let e = crate::text::fold_for_match(e);
        wanted.iter().filter(|c| e.contains(**c)).count()
    };
    let mut pool: Vec<(usize, &str)> = EXAMPLE_POOL.iter().map(|e| (overlap(e), *e)).collect();
    // Stable: among equally near questions, the pool's order.
    pool.sort_by_key(|(o, _)| std::cmp::Reverse(*o));
    let mut out = Vec::new();
    for (_, example) in pool {
        let direct = Question::parse(example)
            .ok()
            .and_then(|q| engine.search_from(&q, 0, 1).ok())
            .is_some_and(|h| h.grade.tier == crate::grade::Match::Direct);
        if direct {
            out.push(example.to_owned());
            if out.len() == n {
                break;
            }
        }
    }
    out
}
