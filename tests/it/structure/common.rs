//! Test helpers: load the real reports as blocks (one Kind::Paragraph per non-empty line,
//! loc = line number) and the expected values for each of them.
//! They hold test data only: no rule of the library is keyed to them.
#![allow(dead_code)]

use lianghui_bot::knowledge::format::model::{Block, Kind};
use lianghui_bot::places::Level;

/// Where the reports are: the project's fixtures.
pub fn dir() -> std::path::PathBuf {
    crate::root().join("tests/fixtures/provinces-2026")
}

/// Expected facts per report file: (file stem, area, level, speaker name).
pub const EXPECTED: [(&str, &str, Level, &str); 31] = [
    ("anhui-2026", "安徽省", Level::Province, "王清宪"),
    ("beijing-2026", "北京市", Level::Province, "殷勇"),
    ("chongqing-2026", "重庆市", Level::Province, "胡衡华"),
    ("fujian-2026", "福建省", Level::Province, "赵龙"),
    ("gansu-2026", "甘肃省", Level::Province, "任振鹤"),
    ("guangdong-2026", "广东省", Level::Province, "孟凡利"),
    ("guangxi-2026", "广西壮族自治区", Level::Province, "韦韬"),
    ("guizhou-2026", "贵州省", Level::Province, "李炳军"),
    ("hainan-2026", "海南省", Level::Province, "刘小明"),
    ("hebei-2026", "河北省", Level::Province, "王正谱"),
    ("heilongjiang-2026", "黑龙江省", Level::Province, "梁惠玲"),
    ("henan-2026", "河南省", Level::Province, "王凯"),
    ("hubei-2026", "湖北省", Level::Province, "李殿勋"),
    ("hunan-2026", "湖南省", Level::Province, "毛伟明"),
    ("jiangsu-2026", "江苏省", Level::Province, "刘小涛"),
    ("jiangxi-2026", "江西省", Level::Province, "叶建春"),
    ("jilin-2026", "吉林省", Level::Province, "胡玉亭"),
    ("liaoning-2026", "辽宁省", Level::Province, "王新伟"),
    ("neimenggu-2026", "内蒙古自治区", Level::Province, "包钢"),
    ("ningxia-2026", "宁夏回族自治区", Level::Province, "张雨浦"),
    ("qinghai-2026", "青海省", Level::Province, "罗东川"),
    ("shaanxi-2026", "陕西省", Level::Province, "赵刚"),
    ("shandong-2026", "山东省", Level::Province, "周乃翔"),
    ("shanghai-2026", "上海市", Level::Province, "龚正"),
    ("shanxi-2026", "山西省", Level::Province, "卢东亮"),
    ("sichuan-2026", "四川省", Level::Province, "施小琳"),
    ("tianjin-2026", "天津市", Level::Province, "张工"),
    (
        "xinjiang-2026",
        "新疆维吾尔自治区",
        Level::Province,
        "艾尔肯·吐尼亚孜",
    ),
    ("xizang-2026", "西藏自治区", Level::Province, "嘎玛泽登"),
    ("yunnan-2026", "云南省", Level::Province, "王予波"),
    ("zhejiang-2026", "浙江省", Level::Province, "刘捷"),
];

/// The text of a report fixture.
pub fn read(stem: &str) -> Option<String> {
    let path = dir().join(format!("{stem}.txt"));
    Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// One Kind::Paragraph per non-empty line, loc = 1-based line number.
pub fn blocks(text: &str) -> Vec<Block> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Block {
            kind: Kind::Paragraph,
            text: l.trim().to_string(),
            page: None,
            loc: i + 1,
        })
        .collect()
}
