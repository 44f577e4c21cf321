//! How well the reports answer a question: `direct`, `related` or `none`, and why.
//!
//! A binary answer-or-refuse threshold cannot tell "said in other words" from "not said", so
//! the search grades its best passage instead. It is `none` when nothing of substance matched;
//! `direct` when it covers the question well, speaks for the place and year asked about, and
//! holds the kind of detail asked for (an amount, a count, a time, a place, a person) near the
//! matched words; `related` otherwise, with the reasons, so the reply can say what the reports
//! do not. The place and years come from the knowledge base ([`Scope`]), never from a list of
//! questions. Small talk (你好, 谢谢, 你是谁, 再见) is recognised here too. Pure functions: no
//! I/O, no index.

use std::fmt;

use serde::Serialize;

use crate::knowledge::Scope;
use crate::text::fold_for_match;

/// How well the reports answer a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// The reports answer it.
    Direct,
    /// The reports touch on it but may not answer it.
    Related,
    /// Nothing relevant.
    None,
}

impl fmt::Display for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Match::Direct => "direct",
            Match::Related => "related",
            Match::None => "none",
        })
    }
}

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
}

/// Why an answer is `related` rather than `direct`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "value")]
pub enum Reason {
    /// The question names a place the reports do not speak for.
    OtherPlace(String),
    /// The question names a year the reports are not about.
    OtherYear(i32),
    /// The question asks for a detail the best passage does not give near the matched words.
    MissingDetail(Detail),
    /// The best passage covers only part of the question.
    Partial,
    /// Several passages answer about equally well; none is clearly the answer.
    Unclear,
}

/// What a question asks about beyond its topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    pub detail: Option<Detail>,
    /// Places named in the question that are not the knowledge base's own area.
    pub places: Vec<String>,
    /// Years named in the question ("2023年").
    pub years: Vec<i32>,
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
        Detail::Time,
        &[
            "什么时候",
            "啥时候",
            "啥时",
            "几时",
            "何时",
            "哪天",
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

/// Words that name a place but mean the asker's own surroundings, not another area.
const LOCAL_WORDS: &[&str] = &[
    "全区",
    "区里",
    "本区",
    "我区",
    "咱区",
    "城里",
    "市里",
    "村里",
    "乡下",
    "农村",
    "城市",
    "城区",
    "市区",
    "郊区",
    "县城",
    "本地",
    "当地",
    "附近",
    "周边",
    "社区",
    "小区",
    "这里",
    "那里",
    "家门口",
    "中心城区",
];

/// The detail a question asks for, by its cue words.
pub fn detail_asked(question: &str) -> Option<Detail> {
    let q = fold_for_match(question);
    CUES.iter()
        .find(|(_, cues)| cues.iter().any(|c| q.contains(c)))
        .map(|(d, _)| *d)
}

/// What `question` asks about: the detail, other places (from its tagged words), years.
pub fn asked(question: &str, tagged: &[(String, String)], scope: &Scope) -> Asked {
    let mut places: Vec<String> = Vec::new();
    for (word, tag) in tagged {
        let is_place = tag == "ns" || names_an_area(word) || word == "全国";
        let own = scope
            .area
            .iter()
            .any(|a| a == word || word.starts_with(a.as_str()));
        if is_place && !own && !LOCAL_WORDS.contains(&word.as_str()) && !places.contains(word) {
            places.push(word.clone());
        }
    }
    Asked {
        detail: detail_asked(question),
        places,
        years: years_in(&fold_for_match(question)),
    }
}

/// A word naming an administrative area: two or three Chinese characters and 省/市/区/县.
fn names_an_area(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    (3..=4).contains(&chars.len())
        && matches!(chars[chars.len() - 1], '省' | '市' | '区' | '县')
        && chars[..chars.len() - 1]
            .iter()
            .all(|c| crate::text::is_cjk(*c))
        && !matches!(
            chars[0],
            '全' | '本'
                | '我'
                | '咱'
                | '该'
                | '各'
                | '城'
                | '市'
                | '郊'
                | '老'
                | '新'
                | '小'
                | '园'
                | '社'
                | '景'
                | '片'
                | '辖'
                | '管'
        )
}

/// Four-digit years followed by 年 ("2023年").
fn years_in(text: &str) -> Vec<i32> {
    let bytes = text.as_bytes();
    let mut years = Vec::new();
    for (i, _) in text.match_indices('年') {
        let digits = i >= 4 && bytes[i - 4..i].iter().all(u8::is_ascii_digit);
        let alone = i < 5 || !bytes[i - 5].is_ascii_digit();
        if digits
            && alone
            && let Ok(y) = text[i - 4..i].parse::<i32>()
            && !years.contains(&y)
        {
            years.push(y);
        }
    }
    years
}

/// Whether `window` (the sentences around the matched words, folded) holds the detail.
/// `tagged` are the window's tagged words, needed for places and persons; words in `known`
/// (the folded question, the area's own names) do not count as the detail.
pub fn holds_detail(
    detail: Detail,
    window: &str,
    tagged: &[(String, String)],
    known: &str,
) -> bool {
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
            numbers(window).any(|(_, unit)| unit.starts_with(['年', '月', '日', '号']))
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
        Detail::Place => tagged.iter().any(|(w, tag)| {
            // A named place of three characters or more, or a venue or road. A country, province
            // or city (中华人民共和国, 河南, 安阳市) says where something belongs, not where it is.
            let region = names_an_area(w) || w.ends_with('国') || w.chars().count() < 3;
            let placeish = (tag == "ns" && !region)
                || [
                    "路", "街", "大道", "广场", "村", "镇", "乡", "社区", "小区", "公园", "宾馆",
                    "大厦",
                ]
                .iter()
                .any(|s| w.ends_with(s) && w.chars().count() >= 3);
            placeish && !known.contains(w.as_str())
        }),
        Detail::Person => tagged.iter().any(|(w, tag)| {
            tag.starts_with("nr") && w.chars().count() >= 2 && !known.contains(w.as_str())
        }),
    }
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

/// The grade of a search's best passage.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    pub tier: Match,
    /// Why it is not `direct` (empty when it is).
    pub reasons: Vec<Reason>,
}

impl Grade {
    pub fn none() -> Grade {
        Grade {
            tier: Match::None,
            reasons: Vec::new(),
        }
    }
}

/// Coverage the best passage needs for a `direct` answer.
pub const DIRECT_COVERAGE: f32 = 0.6;

/// What the search found out about its best passage, for [`decide`].
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Share of the question's weighted words the passage holds.
    pub coverage: f32,
    /// Whether a word of substance (not only the area, not only single characters or very
    /// common words) matched.
    pub substantive: bool,
    /// Places asked about that the passage (with its title and section) does not name.
    pub places_missing: Vec<String>,
    /// Whether the detail asked for (if any) is near the matched words.
    pub detail_found: bool,
    /// Whether the best passage is clearly better than the next.
    pub clear: bool,
    /// Whether a topic word of the question stands in the passage as a word of its own.
    pub whole: bool,
}

/// The grade from what is asked, what the knowledge base covers and what the best passage holds.
pub fn decide(asked: &Asked, scope: &Scope, e: &Evidence) -> Grade {
    if !e.substantive {
        return Grade::none();
    }
    let mut reasons = Vec::new();
    for place in &e.places_missing {
        reasons.push(Reason::OtherPlace(place.clone()));
    }
    for year in &asked.years {
        if !scope.years.is_empty() && !scope.years.contains(year) {
            reasons.push(Reason::OtherYear(*year));
        }
    }
    if let Some(d) = asked.detail.filter(|_| !e.detail_found) {
        reasons.push(Reason::MissingDetail(d));
    }
    if e.coverage < DIRECT_COVERAGE || !e.whole {
        reasons.push(Reason::Partial);
    }
    if !e.clear {
        reasons.push(Reason::Unclear);
    }
    Grade {
        tier: if reasons.is_empty() {
            Match::Direct
        } else {
            Match::Related
        },
        reasons,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            area: vec!["北关区".into(), "北关".into()],
            years: vec![2024],
        }
    }

    #[test]
    fn details_asked_are_read_from_cue_words() {
        let cases = [
            ("人才公寓一个月租金多少", Some(Detail::Amount)),
            ("曙光北校啥时候开始招生", Some(Detail::Time)),
            ("医院建在哪条路上", Some(Detail::Place)),
            ("人大常委会主任是谁", Some(Detail::Person)),
            ("今年上多少大项目", Some(Detail::Count)),
            ("人才公寓有什么政策", None),
        ];
        for (q, want) in cases {
            assert_eq!(detail_asked(q), want, "{q}");
        }
    }

    #[test]
    fn details_are_found_only_where_they_are() {
        let q = "";
        assert!(holds_detail(Detail::Count, "新建人才公寓450套", &[], q));
        assert!(holds_detail(Detail::Count, "经济增长6.5%", &[], q));
        assert!(holds_detail(Detail::Count, "建设三个一批项目", &[], q));
        assert!(!holds_detail(Detail::Amount, "新建人才公寓450套", &[], q));
        assert!(holds_detail(Detail::Amount, "补贴每平方米200元", &[], q));
        assert!(holds_detail(Detail::Time, "5月31日至6月1日召开", &[], q));
        assert!(!holds_detail(Detail::Time, "加快推进医院项目建设", &[], q));
        assert!(!holds_detail(Detail::Count, "2024年重点工作", &[], q));
        let tagged = [("周俊英".to_string(), "nr".to_string())];
        assert!(holds_detail(Detail::Person, "记者周俊英", &tagged, q));
        assert!(!holds_detail(
            Detail::Person,
            "记者周俊英",
            &tagged,
            "周俊英是谁"
        ));
    }

    #[test]
    fn other_places_and_years_come_from_the_scope() {
        let tag = |w: &str, t: &str| (w.to_string(), t.to_string());
        let a = asked(
            "文峰区今年的重点项目有哪些",
            &[tag("文峰区", "ns"), tag("重点项目", "n")],
            &scope(),
        );
        assert_eq!(a.places, vec!["文峰区".to_string()]);
        let a = asked(
            "北关区2023年GDP",
            &[tag("北关区", "ns"), tag("gdp", "eng")],
            &scope(),
        );
        assert!(a.places.is_empty(), "{a:?}");
        assert_eq!(a.years, vec![2023]);
        let a = asked("全区经济增长", &[tag("全区", "n")], &scope());
        assert!(a.places.is_empty());
        let e = Evidence {
            coverage: 0.9,
            substantive: true,
            places_missing: vec![],
            detail_found: true,
            clear: true,
            whole: true,
        };
        let g = decide(&a, &scope(), &e);
        assert_eq!(g.tier, Match::Direct);
        let g = decide(&asked("2023年GDP", &[], &scope()), &scope(), &e);
        assert_eq!(
            (g.tier, g.reasons),
            (Match::Related, vec![Reason::OtherYear(2023)])
        );
        let weak = Evidence {
            substantive: false,
            ..e
        };
        assert_eq!(decide(&Asked::default(), &scope(), &weak).tier, Match::None);
    }

    #[test]
    fn small_talk_is_recognised_only_when_it_is_all_there_is() {
        let cases = [
            ("你好", Some(SmallTalk::Greeting)),
            ("您好！", Some(SmallTalk::Greeting)),
            ("谢谢啊", Some(SmallTalk::Thanks)),
            ("你是谁 是机器人吗", Some(SmallTalk::WhoAreYou)),
            ("再见", Some(SmallTalk::Goodbye)),
            ("Hello", Some(SmallTalk::Greeting)),
            ("你好，人才公寓有什么政策", None),
            ("谢谢，那托育呢", None),
            ("", None),
        ];
        for (q, want) in cases {
            assert_eq!(small_talk(q), want, "{q}");
        }
    }
}
