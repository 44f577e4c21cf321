//! structure() and derive() never panic and stay fast: property tests on arbitrary blocks
//! (random kinds, pages and text made of numbering markers, punctuation, chrome words and
//! arbitrary Unicode), and size tests with 100,000 blocks of adversarial input (numbering-only
//! lines, one running header on every page, salutations, one huge block) checked for linear
//! growth.
//! They check robustness only, not the quality of the structure.

use lianghui_bot::knowledge::format::model::{Block, Kind, Props};
use proptest::prelude::*;

fn kind_of(k: u8, starts: bool) -> Kind {
    match k % 6 {
        0 => Kind::Paragraph,
        1 => Kind::Line { starts },
        2 => Kind::Heading(k % 9),
        3 => Kind::TableRow,
        4 => Kind::ListItem,
        _ => Kind::Paragraph,
    }
}

const PIECES: [&str; 40] = [
    "一、",
    "（一）",
    "(二)",
    "1.",
    "2、",
    "（1）",
    "3）",
    "①",
    "［1］",
    "第一部分",
    "第二章",
    "一是",
    "第一，",
    "各位代表：",
    "各位代表！",
    "现在，我代表省人民政府，向大会报告工作，请予审议。",
    "来源：",
    "时间：2026-02-03",
    "下载",
    "【字号：",
    "】",
    "相关报道：",
    "——2026年1月26日在河南省第十四届人民代表大会第四次会议上",
    "省长 王凯",
    "2026年河南省政府工作报告",
    "附件",
    "名词解释",
    "目录",
    "……3",
    "- 3 -",
    "。",
    "，",
    "“",
    "”",
    "综合实力稳步提升。",
    "2025年",
    "安阳市北关区",
    "GDP",
    " ",
    "经济运行稳中有进，",
];

fn piece_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            (0..PIECES.len()).prop_map(|i| PIECES[i].to_string()),
            "[一二三十（）、。，：；！？“”0-9a-zA-Z 　各位代表来源相关报道第章部分①②③—\\-]{0,12}",
            any::<String>(),
        ],
        0..6,
    )
    .prop_map(|v| v.concat())
}

fn blocks_strategy() -> impl Strategy<Value = Vec<Block>> {
    prop::collection::vec(
        (
            any::<u8>(),
            any::<bool>(),
            piece_text(),
            prop::option::of(0u32..6),
        ),
        0..120,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (k, starts, text, page))| Block {
                kind: kind_of(k, starts),
                text,
                page,
                loc: i + 1,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn never_panics(blocks in blocks_strategy(), stem in "[a-z0-9-]{0,12}") {
        let s = lianghui_bot::knowledge::structure::structure(&blocks);
        let locs: std::collections::HashSet<usize> = blocks.iter().map(|b| b.loc).collect();
        for p in &s.paragraphs {
            prop_assert!(!p.text.is_empty());
            prop_assert!(locs.contains(&p.loc));
        }
        for d in &s.dropped {
            prop_assert!(locs.contains(&d.0));
        }
        let props = Props { title: blocks.first().map(|b| b.text.clone()), ..Props::default() };
        let m = lianghui_bot::knowledge::structure::derive(&props, &blocks, &stem);
        prop_assert!(!m.title.is_empty() || stem.is_empty());
    }
}

fn numbering_only(n: usize) -> Vec<Block> {
    const MARKS: [&str; 12] = [
        "一、",
        "（一）",
        "1.",
        "（1）",
        "①",
        "第一部分",
        "二、",
        "（二）",
        "2.",
        "一是",
        "［1］",
        "第一章",
    ];
    (0..n)
        .map(|i| Block {
            kind: Kind::Paragraph,
            text: MARKS[i % MARKS.len()].to_string(),
            page: None,
            loc: i + 1,
        })
        .collect()
}

fn numbered_headings(n: usize) -> Vec<Block> {
    const MARKS: [&str; 8] = [
        "一、总体要求",
        "（一）稳增长",
        "1.扩投资",
        "（1）抓项目",
        "①推进",
        "二、主要任务",
        "一是加力",
        "［1］两新：",
    ];
    (0..n)
        .map(|i| Block {
            kind: Kind::Paragraph,
            text: MARKS[i % MARKS.len()].to_string(),
            page: None,
            loc: i + 1,
        })
        .collect()
}

fn pdf_pages(n: usize) -> Vec<Block> {
    (0..n)
        .map(|i| {
            let page = (i / 40) as u32 + 1;
            let text = match i % 40 {
                0 => "政府工作报告".to_string(),
                39 => format!("- {page} -"),
                k if k % 7 == 1 => "（一）稳住经济大盘。".to_string(),
                _ => "我们坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻".to_string(),
            };
            Block {
                kind: Kind::Line { starts: i % 5 == 0 },
                text,
                page: Some(page),
                loc: i + 1,
            }
        })
        .collect()
}

fn salutations(n: usize) -> Vec<Block> {
    (0..n)
        .map(|i| Block {
            kind: Kind::Paragraph,
            text: if i % 2 == 0 {
                "各位代表！".into()
            } else {
                "相关报道：".into()
            },
            page: None,
            loc: i + 1,
        })
        .collect()
}

/// Runs both steps on `blocks`; what comes out is bounded by what went in. How the time grows
/// with the input is measured in `benches/formats.rs`, not here.
fn run(blocks: &[Block]) {
    let s = lianghui_bot::knowledge::structure::structure(blocks);
    let m = lianghui_bot::knowledge::structure::derive(&Props::default(), blocks, "x");
    assert!(s.paragraphs.len() + s.dropped.len() <= blocks.len() * 2 + 1);
    assert!(!m.title.is_empty());
}

#[test]
fn hundred_thousand_odd_lines_go_through() {
    for make in [numbering_only, numbered_headings, pdf_pages, salutations] {
        run(&make(100_000));
    }
}

#[test]
fn one_huge_block_goes_through() {
    let big: String = "综合实力稳步提升，生产总值增长".repeat(100_000);
    let blocks = vec![
        Block {
            kind: Kind::Paragraph,
            text: big.clone(),
            page: None,
            loc: 1,
        },
        Block {
            kind: Kind::Line { starts: true },
            text: big,
            page: Some(1),
            loc: 2,
        },
    ];
    run(&blocks);
}

#[test]
fn numbering_only_lines_are_not_content() {
    let s = lianghui_bot::knowledge::structure::structure(&numbering_only(1000));
    // Bare markers attach to the next block or are dropped; "第一部分"/"第一章" are headings.
    assert!(s.paragraphs.iter().all(|p| p.text.chars().count() <= 6));
}
