//! What a question asks for beyond its topic: the kind of detail (an amount, a count, a time,
//! a place, a person) by its cue words, the places it names that are not the knowledge
//! base's own, the years it names; and whether a passage's words hold a detail of that kind.
//! Pure functions over folded text and tagged words.

use serde::Serialize;

use super::place::{Named, names_an_area, places_in, year_offset};
use crate::knowledge::Scope;
use crate::text::{Pos, Tagged, years_in};

/// A kind of detail a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    /// 多少钱, 收费, 租金: an amount of money.
    Amount,
    /// 多少, 几个: a number.
    Count,
    /// 什么时候, 几号: a date or time.
    Time,
    /// 在哪, 哪条路: a place.
    Place,
    /// 谁, 叫啥名字: a person.
    Person,
    /// 怎么申请, 要带啥材料: how to apply or what to bring, which work reports rarely say.
    Procedure,
}

/// What a question asks about beyond its topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    pub detail: Option<Detail>,
    /// Places named in the question (the home area's too).
    pub places: Vec<Named>,
    /// Years named in the question ("2023年").
    pub years: Vec<i32>,
    /// What a relative year word (今年 0, 去年 −1, 明年 1) adds to each report's year.
    pub year_offset: Option<i32>,
    /// An everyday request the reports never address ([`super::everyday`]).
    pub everyday: bool,
}

/// Cue words of each kind of detail, checked in this order (an amount before a count).
const CUES: &[(Detail, &[&str])] = &[
    (
        Detail::Amount,
        &[
            "多少钱",
            "几块钱",
            "多少元",
            "价格",
            "价钱",
            "收费",
            "费用",
            "租金",
            "房租",
            "门票",
            "票价",
            "电费",
            "水费",
            "气费",
            "多钱",
            "贵不贵",
            "补多少",
            "赔多少",
            "补偿多少",
            "赔偿多少",
            "发多少",
            "给多少",
            "贷多少",
        ],
    ),
    (
        Detail::Procedure,
        &[
            "怎么申请",
            "咋申请",
            "如何申请",
            "怎样申请",
            "去哪申请",
            "在哪申请",
            "哪里申请",
            "怎么报名",
            "咋报名",
            "如何报名",
            "怎么办理",
            "咋办理",
            "如何办理",
            "怎么领",
            "咋领",
            "去哪领",
            "啥材料",
            "什么材料",
            "哪些材料",
            "啥手续",
            "什么手续",
            "哪些手续",
            "申请条件",
            "办理流程",
            "申请流程",
        ],
    ),
    (
        Detail::Time,
        &[
            "什么时候",
            "啥时候",
            "啥时",
            "几时",
            "何时",
            "哪天",
            "哪一天",
            "几号",
            "几月",
            "哪年",
            "多会儿",
            "什么时间",
            "啥时间",
            "多久",
            "多长时间",
            "几天",
            "日期",
        ],
    ),
    (
        Detail::Place,
        &[
            "哪里",
            "哪儿",
            "在哪",
            "去哪",
            "哪条路",
            "哪个地方",
            "什么地方",
            "啥地方",
            "地址",
            "哪条街",
        ],
    ),
    (
        Detail::Person,
        &["谁", "叫啥", "叫什么", "名字", "哪位", "姓什么", "姓啥"],
    ),
    (
        Detail::Count,
        &[
            "多少",
            "几个",
            "几家",
            "几所",
            "几套",
            "几件",
            "几项",
            "几名",
            "几条",
            "几座",
            "几批",
            "几次",
            "多大",
            "多高",
            "多长",
            "百分之几",
            "几成",
            "几",
        ],
    ),
];

/// The detail a question asks for, by its cue words (`folded`: the question as
/// [`crate::text::fold_for_match`] folds it).
pub fn detail_asked(folded: &str) -> Option<Detail> {
    // 好几年 and 几乎 say "several" and "almost"; they ask for no number.
    let q = folded.replace("好几", "").replace("几乎", "");
    CUES.iter()
        .find(|(_, cues)| cues.iter().any(|c| q.contains(c)))
        .map(|(d, _)| *d)
}

/// Whether a question asking when wants the day (几号, 哪一天, 几月几号), not only the year
/// or season (啥时候能换).
pub fn asks_day(folded: &str) -> bool {
    [
        "几号",
        "哪天",
        "哪一天",
        "哪几天",
        "几月",
        "日期",
        "具体时间",
        "几点",
        "哪日",
    ]
    .iter()
    .any(|c| folded.contains(c))
}

/// Whether a question asks when something is finished or opens (建好, 修好, 开业, 通车, 能好点),
/// not when it is done at all (啥时候建, 啥时候能换): a verb with its result, or an opening.
pub fn asks_result(folded: &str) -> bool {
    const RESULTS: &[&str] = &[
        "好点",
        "好些",
        "变好",
        "建好",
        "修好",
        "弄好",
        "搞好",
        "换好",
        "治好",
        "装好",
        "建成",
        "修成",
        "完工",
        "竣工",
        "建完",
        "修完",
        "弄完",
        "开业",
        "开通",
        "通车",
        "投用",
        "投入使用",
        "招生",
        "开放",
        "开学",
        "交付",
        "入住",
        "能用",
        "用上",
        "装上",
    ];
    RESULTS.iter().any(|r| folded.contains(r))
}

/// What a question asks about: the detail, the places it names ([`places_in`]), years.
/// `folded` is the question as [`crate::text::fold_for_match`] folds it.
pub fn asked(folded: &str, tagged: &[Tagged], scope: &Scope) -> Asked {
    Asked {
        detail: detail_asked(folded),
        places: places_in(folded, tagged, scope),
        years: years_in(folded)
            .into_iter()
            .fold(Vec::new(), |mut seen, y| {
                if !seen.contains(&y) {
                    seen.push(y);
                }
                seen
            }),
        year_offset: year_offset(folded),
        everyday: super::everyday::everyday(folded),
    }
}

/// Whether `window` (the sentences around the matched words, folded) holds the detail.
/// `tagged` are the window's tagged words, needed for places and persons; words in `known`
/// (the folded question, the area's own names) do not count as the detail.
pub fn holds_detail(detail: Detail, window: &str, tagged: &[Tagged], known: &str) -> bool {
    match detail {
        Detail::Amount => numbers(window).any(|(_, unit)| {
            ["元", "万元", "亿元", "块"]
                .iter()
                .any(|u| unit.starts_with(u))
        }),
        Detail::Count => {
            numbers(window).any(|(_, unit)| !unit.starts_with(['年', '月', '日', '号']))
        }
        Detail::Time => {
            numbers(window).any(|(_, unit)| is_date_unit(unit))
                || [
                    "年底",
                    "年内",
                    "年初",
                    "上半年",
                    "下半年",
                    "月底",
                    "季度",
                    "春节",
                    "开学",
                ]
                .iter()
                .any(|w| window.contains(w))
        }
        Detail::Procedure => [
            "材料",
            "流程",
            "手续",
            "窗口",
            "热线",
            "电话",
            "网址",
            "官网",
            "小程序",
            "登录",
            "申请条件",
            "办理条件",
            "报名条件",
            "申领",
        ]
        .iter()
        .any(|w| window.contains(w)),
        Detail::Place => tagged.iter().any(|Tagged { word: w, pos }| {
            // A named place of three characters or more, or a venue or road. A country, province
            // or city (中华人民共和国, 河南, 安阳市) says where something belongs, not where it is.
            let region = names_an_area(w) || w.ends_with('国') || w.chars().count() < 3;
            let placeish = (*pos == Pos::Place && !region)
                || [
                    "路", "街", "大道", "广场", "村", "镇", "乡", "社区", "小区", "公园", "宾馆",
                    "大厦",
                ]
                .iter()
                .any(|s| w.ends_with(s) && w.chars().count() >= 3);
            placeish && !known.contains(w.as_str())
        }),
        Detail::Person => tagged.iter().any(|Tagged { word: w, pos }| {
            *pos == Pos::Person
                && (2..=4).contains(&w.chars().count())
                && !known.contains(w.as_str())
                && named_as_person(window, w, known)
        }),
    }
}

/// Whether the text after a number makes it a date or a year: 5月, 31日, 2024年, 6号; not a
/// line, a building or a document's number (22号线, 3号楼, 1号文件).
fn is_date_unit(unit: &str) -> bool {
    if let Some(rest) = unit.strip_prefix('号') {
        return !rest.starts_with(['线', '楼', '院', '房', '门', '馆', '文', '地', '机', '站']);
    }
    unit.starts_with(['年', '月', '日'])
}

/// Whether `name` stands in `window` as reports name a person: after a title or role (区长,
/// 主任) or before 同志. A word the tagger takes for a name elsewhere is not one, nor is a
/// byline's (记者 张璐): who wrote an article is never what is asked.
fn named_as_person(window: &str, name: &str, question: &str) -> bool {
    const TITLES: &[&str] = &[
        "书记", "主任", "主席", "区长", "县长", "市长", "省长", "局长", "委员", "代表", "副", "长",
        "员", "理事", "秘书", "主持",
    ];
    // The office the question names (主席 of 政协北关区委员会主席是谁): the name must stand by it;
    // a name by another office, or before 同志 alone, answers another question.
    let asked: Vec<&str> = TITLES
        .iter()
        .copied()
        .filter(|t| t.chars().count() >= 2 && question.contains(t))
        .collect();
    let titles: &[&str] = if asked.is_empty() { TITLES } else { &asked };
    window.match_indices(name).any(|(i, _)| {
        let before = &window[..i];
        let after = &window[i + name.len()..];
        (asked.is_empty() && after.starts_with("同志"))
            || titles.iter().any(|t| {
                before.ends_with(t)
                    || after.starts_with(t)
                    || before
                        .strip_suffix(['、', '：', ':', ' '])
                        .is_some_and(|b| b.ends_with(t))
            })
    })
}

/// Numbers in folded text (Arabic, or Chinese numerals followed by a measure word), each with
/// the text right after it (its unit).
fn numbers(text: &str) -> impl Iterator<Item = (&str, &str)> {
    const CHINESE: &str = "零一二三四五六七八九十百千万亿两";
    const MEASURES: &str = "个家所套件项名人条座批次处栋间台辆亩万亿%";
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let arabic = c.is_ascii_digit();
        if !arabic && !CHINESE.contains(c) {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            let more = if arabic {
                d.is_ascii_digit() || d == '.'
            } else {
                CHINESE.contains(d)
            };
            if !more {
                break;
            }
            end = j + d.len_utf8();
            chars.next();
        }
        let rest = &text[end..];
        if arabic || rest.chars().next().is_some_and(|u| MEASURES.contains(u)) {
            out.push((&text[i..end], rest));
        }
    }
    out.into_iter()
}
