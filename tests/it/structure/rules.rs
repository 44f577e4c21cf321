//! Unit tests of the structure and metadata rules on small hand-made documents: each numbering
//! form, nesting, lead sentences, list items, dropped lines, PDF line joining, and the
//! metadata of report kinds the 31 provincial reports do not cover (standing committee,
//! CPPCC, court, procuratorate, prefecture and county reports, docx headings, props titles).
//! They deliberately use invented names (某某省, 王某) and generic sentences, not the reports.

use lianghui_bot::knowledge::format::model::{Block, Kind, Props};
use lianghui_bot::knowledge::structure::{Body, Dropped, Level, Para};

/// (Not `use lianghui_bot::knowledge::structure::structure`: that would also import the module of that name.)
fn structure(blocks: &[Block]) -> lianghui_bot::knowledge::structure::Structured {
    lianghui_bot::knowledge::structure::structure(blocks)
}

fn para(text: &str, loc: usize) -> Block {
    Block {
        kind: Kind::Paragraph,
        text: text.to_string(),
        page: None,
        loc,
    }
}

fn doc(lines: &[&str]) -> Vec<Block> {
    lines
        .iter()
        .enumerate()
        .map(|(i, t)| para(t, i + 1))
        .collect()
}

fn find<'a>(ps: &'a [Para], start: &str) -> &'a Para {
    ps.iter()
        .find(|p| p.text.starts_with(start))
        .unwrap_or_else(|| panic!("no paragraph starting with {start}: {ps:#?}"))
}

fn sec(p: &Para) -> Vec<&str> {
    p.section.iter().map(|s| s.as_str()).collect()
}

const BODY: &str =
    "坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，推动经济实现质的有效提升和量的合理增长。";

#[test]
fn standard_hierarchy_nests_and_closes() {
    let s = structure(&doc(&[
        "一、2025年工作回顾",
        BODY,
        "（一）稳住经济大盘",
        "甲段落。稳住经济大盘，推动经济实现质的有效提升和量的合理增长，持续用力。",
        "1.扩大有效投资",
        "乙段落，扩大有效投资，推动经济实现质的有效提升和量的合理增长，持续用力。",
        "（1）实施重大项目",
        "丙段落，实施重大项目，推动经济实现质的有效提升和量的合理增长，持续用力。",
        "①推进城市更新",
        "丁段落，推进城市更新，推动经济实现质的有效提升和量的合理增长，持续用力。",
        "（二）增进民生福祉",
        "戊段落，增进民生福祉，推动经济实现质的有效提升和量的合理增长，持续用力。",
        "二、2026年重点工作",
        "己段落，重点工作，推动经济实现质的有效提升和量的合理增长，持续用力。",
    ]));
    let ps = &s.paragraphs;
    assert_eq!(sec(find(ps, "坚持")), vec!["一、2025年工作回顾"]);
    assert_eq!(
        sec(find(ps, "甲段落")),
        vec!["一、2025年工作回顾", "（一）稳住经济大盘", "甲段落"]
    );
    assert_eq!(
        sec(find(ps, "乙段落")),
        vec!["一、2025年工作回顾", "（一）稳住经济大盘", "1.扩大有效投资"]
    );
    assert_eq!(
        sec(find(ps, "丙段落")),
        vec![
            "一、2025年工作回顾",
            "（一）稳住经济大盘",
            "1.扩大有效投资",
            "（1）实施重大项目"
        ]
    );
    assert_eq!(
        sec(find(ps, "丁段落")),
        vec![
            "一、2025年工作回顾",
            "（一）稳住经济大盘",
            "1.扩大有效投资",
            "（1）实施重大项目",
            "①推进城市更新"
        ]
    );
    // A new heading at a level closes the deeper ones.
    assert_eq!(
        sec(find(ps, "戊段落")),
        vec!["一、2025年工作回顾", "（二）增进民生福祉"]
    );
    assert_eq!(sec(find(ps, "己段落")), vec!["二、2026年重点工作"]);
    assert_eq!(ps.len(), 7);
}

#[test]
fn parts_and_chapters_are_top() {
    let s = structure(&doc(&[
        "第一部分 总体要求",
        "一、指导思想",
        BODY,
        "第二部分 主要任务",
        "一、扩大内需",
        BODY,
    ]));
    let ps = &s.paragraphs;
    assert_eq!(sec(&ps[0]), vec!["第一部分 总体要求", "一、指导思想"]);
    assert_eq!(sec(&ps[1]), vec!["第二部分 主要任务", "一、扩大内需"]);
    let s = structure(&doc(&[
        "第一章 发展基础",
        BODY,
        "第一节 发展环境",
        BODY,
        "第二章 总体要求",
        BODY,
    ]));
    assert_eq!(
        sec(&s.paragraphs[1]),
        vec!["第一章 发展基础", "第一节 发展环境"]
    );
    assert_eq!(sec(&s.paragraphs[2]), vec!["第二章 总体要求"]);
}

#[test]
fn a_document_may_start_at_paren_numbering() {
    let s = structure(&doc(&[
        "（一）加力扩内需稳增长",
        BODY,
        "1.提振消费",
        BODY,
        "（二）加快建设现代化产业体系",
        BODY,
    ]));
    let ps = &s.paragraphs;
    assert_eq!(sec(&ps[0]), vec!["（一）加力扩内需稳增长"]);
    assert_eq!(sec(&ps[1]), vec!["（一）加力扩内需稳增长", "1.提振消费"]);
    assert_eq!(sec(&ps[2]), vec!["（二）加快建设现代化产业体系"]);
}

#[test]
fn yi_shi_nests_under_what_is_open() {
    // 一是 directly under 一、 in the review, and under （一） in the plan.
    let s = structure(&doc(&[
        "一、2025年工作回顾",
        "一是全力以进促稳。突出有组织、超常规发力，全力拼经济稳增长，推动经济实现质的有效提升。",
        "二是推动产业转型升级。新能源汽车产量增长，推动经济实现质的有效提升和量的合理增长。",
        "二、2026年工作安排",
        "（一）扩大内需",
        "一是提振消费。开展提振消费专项行动，推动经济实现质的有效提升和量的合理增长，持续用力。",
        "（二）建设现代化产业体系",
        "一是壮大实体经济。实施制造业重点产业链高质量发展行动，推动经济实现质的有效提升和量的合理增长。",
    ]));
    let ps = &s.paragraphs;
    assert_eq!(
        sec(find(ps, "二是推动")),
        vec!["一、2025年工作回顾", "二是推动产业转型升级"]
    );
    assert_eq!(
        sec(find(ps, "一是提振")),
        vec!["二、2026年工作安排", "（一）扩大内需", "一是提振消费"]
    );
    assert_eq!(
        sec(find(ps, "一是壮大")),
        vec![
            "二、2026年工作安排",
            "（二）建设现代化产业体系",
            "一是壮大实体经济"
        ]
    );
}

#[test]
fn docx_headings_and_text_numbering_are_one_level() {
    let blocks = vec![
        Block {
            kind: Kind::Heading(1),
            text: "一、2025年工作回顾".into(),
            page: None,
            loc: 1,
        },
        para(BODY, 2),
        para("（一）稳住经济大盘", 3),
        para(BODY, 4),
        // The same level, written as a plain paragraph in the same file.
        para("二、2026年重点工作", 5),
        para(BODY, 6),
        Block {
            kind: Kind::Heading(1),
            text: "三、加强政府自身建设".into(),
            page: None,
            loc: 7,
        },
        Block {
            kind: Kind::Heading(2),
            text: "坚持依法行政".into(),
            page: None,
            loc: 8,
        },
        para(BODY, 9),
    ];
    let s = structure(&blocks);
    let ps = &s.paragraphs;
    assert_eq!(
        sec(&ps[1]),
        vec!["一、2025年工作回顾", "（一）稳住经济大盘"]
    );
    assert_eq!(sec(&ps[2]), vec!["二、2026年重点工作"]);
    assert_eq!(sec(&ps[3]), vec!["三、加强政府自身建设", "坚持依法行政"]);
}

#[test]
fn unnumbered_file_headings_nest_numbered_paragraphs() {
    let blocks = vec![
        Block {
            kind: Kind::Heading(1),
            text: "2025年工作回顾".into(),
            page: None,
            loc: 1,
        },
        para(
            "（一）经济运行稳中有进。地区生产总值增长5%，推动经济实现质的有效提升和量的合理增长。",
            2,
        ),
        Block {
            kind: Kind::Heading(1),
            text: "2026年工作安排".into(),
            page: None,
            loc: 3,
        },
        para(BODY, 4),
    ];
    let s = structure(&blocks);
    assert_eq!(
        sec(&s.paragraphs[0]),
        vec!["2025年工作回顾", "（一）经济运行稳中有进"]
    );
    assert_eq!(sec(&s.paragraphs[1]), vec!["2026年工作安排"]);
}

#[test]
fn numbered_paragraph_lead_sentence() {
    let s = structure(&doc(&[
        "一、“十四五”时期和2025年工作回顾",
        "（一）千方百计稳就业稳企业稳市场稳预期。面对严峻复杂的经济形势，逐季召开经济工作会议，出台政策措施。",
        "一年来，我们全面正确履行政府职能，依法接受人大及其常委会监督，主动接受政协民主监督。",
        "（二）全面加快融入服务全国统一大市场建设。落实“五统一、一开放”基本要求，建立工作机制。",
    ]));
    let ps = &s.paragraphs;
    // The numbered paragraph stays a paragraph, with its lead sentence as its section.
    assert!(
        ps[0]
            .text
            .starts_with("（一）千方百计稳就业稳企业稳市场稳预期。面对")
    );
    assert_eq!(
        sec(&ps[0]),
        vec![
            "一、“十四五”时期和2025年工作回顾",
            "（一）千方百计稳就业稳企业稳市场稳预期"
        ]
    );
    // The section goes on until the next (二).
    assert_eq!(
        sec(&ps[1]),
        vec![
            "一、“十四五”时期和2025年工作回顾",
            "（一）千方百计稳就业稳企业稳市场稳预期"
        ]
    );
    assert_eq!(sec(&ps[2])[1], "（二）全面加快融入服务全国统一大市场建设");
}

#[test]
fn unnumbered_lead_sentence() {
    let s = structure(&doc(&[
        "（一）纵深推进融入和服务全国统一大市场",
        "突出重点事项攻坚。制定我省融入服务全国统一大市场建设行动方案，实施营商环境优化提升行动。",
        "深入推进市场准入壁垒清理整治，规范地方招商引资行为，推动经济实现质的有效提升和量的合理增长。",
        "过去的五年极不寻常，我们坚持以习近平新时代中国特色社会主义思想为指导。全省上下团结奋斗。",
        "刚刚过去的一年，面对复杂严峻形势和多重超预期因素冲击，我们顶压前行。全省经济回升向好。",
    ]));
    let ps = &s.paragraphs;
    assert_eq!(
        sec(&ps[0]),
        vec!["（一）纵深推进融入和服务全国统一大市场", "突出重点事项攻坚"]
    );
    // Not inherited by the next paragraph.
    assert_eq!(sec(&ps[1]), vec!["（一）纵深推进融入和服务全国统一大市场"]);
    // A first sentence with commas, or longer than 20 chars, is not a lead.
    assert_eq!(sec(&ps[2]).len(), 1);
    assert_eq!(sec(&ps[3]).len(), 1);
}

#[test]
fn standalone_lead_line_heads_the_next_paragraph() {
    let s = structure(&doc(&[
        "一、2025年工作回顾",
        "生态底色更加亮丽。",
        "始终坚持生态优先、绿色发展，以“国之大者”的政治担当守护好生态，推动经济实现质的有效提升。",
        "经济运行持续向好。",
        "精准落实更加积极有为的宏观政策，及时推出一系列稳经济政策措施，推动经济实现质的有效提升。",
        "过去一年，我们坚持习近平总书记重要讲话和重要指示批示“第一议题”学习制度，推动经济实现质的有效提升。",
    ]));
    let ps = &s.paragraphs;
    assert_eq!(ps.len(), 3);
    assert_eq!(sec(&ps[0]), vec!["一、2025年工作回顾", "生态底色更加亮丽"]);
    assert_eq!(sec(&ps[1]), vec!["一、2025年工作回顾", "经济运行持续向好"]);
    assert_eq!(sec(&ps[2]), vec!["一、2025年工作回顾"]);
}

#[test]
fn plain_title_lines_and_fragments() {
    let s = structure(&doc(&[
        "“十四五”时期工作回顾",
        "“十四五”时期是我省发展历程中极不寻常、极不平凡的五年，推动经济实现质的有效提升和量的合理增长。",
        "（一）经济实力跃上新台阶",
        BODY,
        "2026年重点工作",
        "今年是“十五五”开局之年。做好政府工作，推动经济实现质的有效提升和量的合理增长。今年经济社会发展的",
        "主要预期目标",
        "是：地区生产总值增长5%左右，在实际工作中努力争取更好结果。",
    ]));
    let ps = &s.paragraphs;
    assert_eq!(
        sec(find(ps, "“十四五”时期是")),
        vec!["“十四五”时期工作回顾"]
    );
    assert_eq!(
        sec(find(ps, "坚持稳中求进")),
        vec!["“十四五”时期工作回顾", "（一）经济实力跃上新台阶"]
    );
    // A title line closes the numbered sections under the previous one.
    assert_eq!(
        sec(find(ps, "今年是")),
        vec!["2026年重点工作", "今年是“十五五”开局之年"]
    );
    // A fragment of a broken sentence is a paragraph, not a heading.
    assert_eq!(sec(find(ps, "主要预期目标")), vec!["2026年重点工作"]);
    assert_eq!(sec(find(ps, "是：")), vec!["2026年重点工作"]);
}

#[test]
fn numbered_items_without_body_are_list_items() {
    let s = structure(&doc(&[
        "附件",
        "2026年民生实事",
        "1.实现城镇新增就业18万人以上。",
        "2.完善提升20个县乡村三级养老服务网络。",
        "3.为新生儿免费提供疾病筛查服务。",
        "名词解释",
        "1.“四上”企业：",
        "现阶段统计工作实践中对达到一定规模、资质或限额的法人单位的一种习惯称谓。",
        "2.“双一流”：世界一流大学和一流学科。",
    ]));
    let ps = &s.paragraphs;
    let texts: Vec<&str> = ps.iter().map(|p| p.text.as_str()).collect();
    assert!(
        texts.contains(&"1.实现城镇新增就业18万人以上。"),
        "{texts:?}"
    );
    assert!(texts.contains(&"3.为新生儿免费提供疾病筛查服务。"));
    assert_eq!(sec(find(ps, "2.完善"))[0], "附件 2026年民生实事");
    // A term with its explanation on the next line is a heading over it.
    assert_eq!(sec(find(ps, "现阶段")), vec!["名词解释", "1.“四上”企业"]);
    assert!(texts.contains(&"2.“双一流”：世界一流大学和一流学科。"));
}

#[test]
fn sequence_makes_numbering_out_of_digits() {
    let s = structure(&doc(&[
        "名词解释",
        "19.“1+N”政策体系：指一揽子政策。",
        "20.2026年10件民生实事：加大就业支持力度。",
        "21.5+2就业之家：覆盖五级服务。",
    ]));
    let ps = &s.paragraphs;
    assert_eq!(ps.len(), 3);
    assert!(sec(&ps[1]).last().is_some_and(|x| x.starts_with("20.")));
    assert!(sec(&ps[2]).last().is_some_and(|x| x.starts_with("21.")));
}

#[test]
fn chrome_is_dropped_with_reasons() {
    let s = structure(&doc(&[
        "当前位置：",
        "首页",
        ">",
        "要闻",
        "下载",
        "打印",
        "【字号：",
        "大",
        "中",
        "小",
        "】",
        "2026年某某省政府工作报告",
        "——2026年1月26日在某某省第十四届人民代表大会第四次会议上",
        "来源：某某日报",
        "时间：2026-02-03",
        "某某省人民政府省长 王某",
        "王某作政府工作报告。本报记者 张三摄",
        "各位代表：",
        "现在，我代表省人民政府，向大会报告工作，请予审议，并请省政协委员提出意见。",
        "一、2025年工作回顾",
        BODY,
        "各位代表！",
        "- 3 -",
        "。",
        "各位代表！让我们更加紧密地团结在以习近平同志为核心的党中央周围，奋力谱写新篇章。",
        "相关报道：",
        "某某省政府工作报告解读",
        "扫一扫在手机打开当前页",
    ]));
    let why = |t: &str| s.dropped.iter().find(|d| d.1 == t).map(|d| d.2);
    assert_eq!(why("下载"), Some(Dropped::Menu));
    assert_eq!(why("【字号："), Some(Dropped::Menu));
    assert_eq!(why("2026年某某省政府工作报告"), Some(Dropped::Title));
    assert_eq!(
        why("——2026年1月26日在某某省第十四届人民代表大会第四次会议上"),
        Some(Dropped::DateMeeting)
    );
    assert_eq!(why("来源：某某日报"), Some(Dropped::Source));
    assert_eq!(why("某某省人民政府省长 王某"), Some(Dropped::Speaker));
    assert_eq!(
        why("王某作政府工作报告。本报记者 张三摄"),
        Some(Dropped::Caption)
    );
    assert_eq!(why("各位代表："), Some(Dropped::Salutation));
    assert_eq!(
        why("现在，我代表省人民政府，向大会报告工作，请予审议，并请省政协委员提出意见。"),
        Some(Dropped::Procedural)
    );
    assert_eq!(why("- 3 -"), Some(Dropped::PageNumber));
    assert_eq!(why("。"), Some(Dropped::Punctuation));
    assert_eq!(why("相关报道："), Some(Dropped::Related));
    assert_eq!(why("某某省政府工作报告解读"), Some(Dropped::Related));
    assert_eq!(why("扫一扫在手机打开当前页"), Some(Dropped::Related));
    let texts: Vec<&str> = s.paragraphs.iter().map(|p| p.text.as_str()).collect();
    // The salutation in front of a paragraph is removed; the paragraph stays.
    assert_eq!(
        texts,
        vec![
            BODY,
            "让我们更加紧密地团结在以习近平同志为核心的党中央周围，奋力谱写新篇章。"
        ]
    );
}

#[test]
fn table_of_contents_is_dropped() {
    let s = structure(&doc(&[
        "目  录",
        "一、2025年工作回顾……………………1",
        "二、2026年重点工作……………………9",
        "一、2025年工作回顾",
        BODY,
    ]));
    assert_eq!(s.paragraphs.len(), 1);
    assert_eq!(
        s.dropped
            .iter()
            .filter(|d| d.2 == Dropped::TableOfContents)
            .count(),
        3
    );
}

#[test]
fn tables_and_lists_keep_their_kind() {
    let blocks = vec![
        para("一、主要指标", 1),
        Block {
            kind: Kind::TableRow,
            text: "指标 | 目标".into(),
            page: None,
            loc: 2,
        },
        Block {
            kind: Kind::ListItem,
            text: "地区生产总值增长5%左右".into(),
            page: None,
            loc: 3,
        },
    ];
    let s = structure(&blocks);
    assert_eq!(
        s.paragraphs[0].kind,
        lianghui_bot::knowledge::structure::ParaKind::Table
    );
    assert_eq!(
        s.paragraphs[1].kind,
        lianghui_bot::knowledge::structure::ParaKind::List
    );
    assert_eq!(sec(&s.paragraphs[1]), vec!["一、主要指标"]);
}

fn line(text: &str, starts: bool, page: u32, loc: usize) -> Block {
    Block {
        kind: Kind::Line { starts },
        text: text.to_string(),
        page: Some(page),
        loc,
    }
}

#[test]
fn pdf_lines_are_joined() {
    let blocks = vec![
        line("一、2025年工作回顾", true, 1, 1),
        line(
            "过去一年，我们坚持以习近平新时代中国特色社会主义思想为指导，全面贯",
            true,
            1,
            2,
        ),
        line("彻党的二十大精神，GDP growth was", false, 1, 3),
        line("5 percent。", false, 1, 4),
        line(
            "（一）稳住经济大盘。面对严峻复杂的经济形势，逐季召开经济工作会议，出",
            false,
            1,
            5,
        ),
        line("台政策措施。", false, 1, 6),
        // Page 1 ends mid-sentence; the paragraph continues on page 2 (after its header).
        line(
            "我们坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精",
            true,
            1,
            7,
        ),
        line("- 1 -", true, 1, 8),
        line("政府工作报告", true, 2, 9),
        line("神，推动经济实现质的有效提升和量的合理增长。", true, 2, 10),
        line("- 2 -", true, 2, 11),
        line("政府工作报告", true, 3, 12),
        line("二、2026年重点工作", true, 3, 13),
        line("- 3 -", true, 3, 14),
        line("政府工作报告", true, 4, 15),
        line("- 4 -", true, 4, 16),
    ];
    let s = structure(&blocks);
    let texts: Vec<&str> = s.paragraphs.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(
        texts,
        vec![
            "过去一年，我们坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，GDP growth was 5 percent。",
            "（一）稳住经济大盘。面对严峻复杂的经济形势，逐季召开经济工作会议，出台政策措施。",
            "我们坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，推动经济实现质的有效提升和量的合理增长。",
            // A heading with nothing under it stays a paragraph.
            "二、2026年重点工作",
        ]
    );
    assert_eq!(s.paragraphs[2].page, Some(1));
    assert_eq!(
        s.dropped
            .iter()
            .filter(|d| d.2 == Dropped::PageNumber)
            .count(),
        4
    );
    // The header is furniture from page 2 on.
    assert_eq!(
        s.dropped
            .iter()
            .filter(|d| d.2 == Dropped::RunningHeader)
            .count(),
        3
    );
}

fn meta(lines: &[&str]) -> lianghui_bot::knowledge::structure::DerivedMeta {
    lianghui_bot::knowledge::structure::derive(&Props::default(), &doc(lines), "stem")
}

#[test]
fn standing_committee_report() {
    let m = meta(&[
        "河南省人民代表大会常务委员会工作报告",
        "——2026年1月28日在河南省第十四届人民代表大会第四次会议上",
        "河南省人民代表大会常务委员会副主任 张三",
        "各位代表：",
        "现在，我代表河南省人民代表大会常务委员会向大会报告工作，请予审议。",
        "一、2025年主要工作",
        BODY,
        "二、2026年主要任务",
        BODY,
    ]);
    assert_eq!(m.title, "河南省人民代表大会常务委员会工作报告");
    assert_eq!(m.body, Some(Body::Congress));
    assert_eq!(
        m.area.as_ref().map(|a| (a.name.as_str(), a.level)),
        Some(("河南省", Level::Province))
    );
    assert_eq!(m.speaker.as_deref(), Some("副主任 张三"));
    assert_eq!(m.year, Some(2026));
    assert_eq!(m.years, vec![2025, 2026]);
}

#[test]
fn cppcc_report_of_a_prefecture() {
    let m = meta(&[
        "政协安阳市第十届委员会常务委员会工作报告",
        "——2026年1月10日在政协安阳市第十届委员会第五次会议上",
        "政协安阳市委员会主席 李四",
        "各位委员：",
        "现在，我代表政协安阳市第十届委员会常务委员会，向大会报告工作，请予审议。",
        "一、2025年工作回顾",
        BODY,
    ]);
    assert_eq!(m.body, Some(Body::Cppcc));
    assert_eq!(
        m.meeting.as_deref(),
        Some("政协安阳市第十届委员会第五次会议")
    );
    let a = m.area.expect("area");
    assert_eq!((a.name.as_str(), a.level), ("安阳市", Level::Prefecture));
    assert_eq!(m.speaker.as_deref(), Some("主席 李四"));
}

#[test]
fn county_news_with_parent_named_in_text() {
    let m = meta(&[
        "北关区第十一届人民代表大会第四次会议召开",
        "1月8日，安阳市北关区第十一届人民代表大会第四次会议在区会议中心开幕。区长 张三作政府工作报告。",
        BODY,
    ]);
    assert_eq!(m.title, "北关区第十一届人民代表大会第四次会议召开");
    assert_eq!(m.body, Some(Body::Congress));
    let a = m.area.expect("area");
    assert_eq!(
        (a.name.as_str(), a.level, a.parent.as_deref()),
        ("北关区", Level::County, Some("安阳市"))
    );
    // The news text is content.
    let s = structure(&doc(&[
        "北关区第十一届人民代表大会第四次会议召开",
        "1月8日，安阳市北关区第十一届人民代表大会第四次会议在区会议中心开幕。区长 张三作政府工作报告。",
        BODY,
    ]));
    assert_eq!(s.paragraphs.len(), 2);
}

#[test]
fn court_procuratorate_and_autonomous_prefecture() {
    let m = meta(&[
        "河南省高级人民法院工作报告",
        "——2026年1月27日在河南省第十四届人民代表大会第四次会议上",
        "河南省高级人民法院院长 王五",
        "各位代表：",
        "一、2025年工作回顾",
        BODY,
    ]);
    assert_eq!(m.body, Some(Body::Court));
    assert_eq!(m.speaker.as_deref(), Some("院长 王五"));
    assert_eq!(m.area.map(|a| a.name).as_deref(), Some("河南省"));
    let m = meta(&[
        "河南省人民检察院工作报告",
        "——2026年1月27日在河南省第十四届人民代表大会第四次会议上",
        "各位代表：",
        BODY,
    ]);
    assert_eq!(m.body, Some(Body::Procuratorate));
    let m = meta(&[
        "2026年湘西土家族苗族自治州人民政府工作报告",
        "（二〇二六年一月九日在湘西土家族苗族自治州第十五届人民代表大会第六次会议上）",
        "州长 赵六",
        "各位代表：",
        BODY,
    ]);
    assert_eq!(m.date.as_deref(), Some("2026年1月9日"));
    assert_eq!(
        m.area.map(|a| (a.name, a.level)),
        Some(("湘西土家族苗族自治州".to_string(), Level::Prefecture))
    );
    assert_eq!(m.speaker.as_deref(), Some("州长 赵六"));
}

#[test]
fn props_title_and_docx_headings() {
    let props = Props {
        title: Some("2026年河南省政府工作报告_河南省人民政府门户网站".into()),
        ..Props::default()
    };
    let blocks = vec![
        Block {
            kind: Kind::Heading(1),
            text: "政府工作报告".into(),
            page: None,
            loc: 1,
        },
        para("——2026年1月26日在河南省第十四届人民代表大会第四次会议上", 2),
        para("河南省人民政府省长 王凯", 3),
        para("各位代表：", 4),
        Block {
            kind: Kind::Heading(2),
            text: "一、2025年工作回顾".into(),
            page: None,
            loc: 5,
        },
        para(BODY, 6),
    ];
    let m = lianghui_bot::knowledge::structure::derive(&props, &blocks, "x");
    assert_eq!(m.title, "2026年河南省政府工作报告");
    assert!(
        m.evidence
            .iter()
            .any(|e| e == "title from document properties")
    );
    let s = structure(&blocks);
    assert_eq!(s.paragraphs.len(), 1);
    assert_eq!(sec(&s.paragraphs[0]), vec!["一、2025年工作回顾"]);
    // A menu word is never a title.
    let props = Props {
        title: Some("下载".into()),
        ..Props::default()
    };
    let m =
        lianghui_bot::knowledge::structure::derive(&props, &doc(&["下载", "打印"]), "file-stem");
    assert_eq!(m.title, "file-stem");
}

#[test]
fn gazetteer_confirms_names() {
    let g = |name: &str| -> Option<(String, Level, Option<String>)> {
        (name == "义乌市").then(|| {
            (
                "义乌市".to_string(),
                Level::County,
                Some("金华市".to_string()),
            )
        })
    };
    let m = lianghui_bot::knowledge::structure::derive_with(
        &Props::default(),
        &doc(&[
            "2026年义乌市政府工作报告",
            "——2026年1月5日在义乌市第十七届人民代表大会第五次会议上",
            "各位代表：",
            BODY,
        ]),
        "x",
        &g,
    );
    let a = m.area.expect("area");
    assert_eq!(
        (a.name.as_str(), a.level, a.parent.as_deref()),
        ("义乌市", Level::County, Some("金华市"))
    );
    assert!(m.evidence.iter().any(|e| e.contains("gazetteer")));
}

#[test]
fn official_document_frame() {
    let blocks = doc(&[
        "河南省人民政府文件",
        "豫政〔2026〕1号",
        "河南省人民政府关于印发河南省2026年重点民生实事的通知",
        "各省辖市人民政府，济源示范区管委会，省人民政府各部门：",
        "现将《河南省2026年重点民生实事》印发给你们，请认真贯彻落实。",
        "2026年1月10日",
        "（此件公开发布）",
        "抄送：省委各部门，省人大常委会办公厅。",
        "河南省人民政府办公厅 2026年1月10日印发",
    ]);
    let s = structure(&blocks);
    let texts: Vec<&str> = s.paragraphs.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(
        texts,
        vec!["现将《河南省2026年重点民生实事》印发给你们，请认真贯彻落实。"]
    );
    let m = lianghui_bot::knowledge::structure::derive(&Props::default(), &blocks, "x");
    assert_eq!(
        m.title,
        "河南省人民政府关于印发河南省2026年重点民生实事的通知"
    );
    assert_eq!(m.area.map(|a| a.name).as_deref(), Some("河南省"));
}

#[test]
fn title_and_date_on_one_line() {
    let blocks = doc(&[
        "政府工作报告——2026年1月26日在河南省第十四届人民代表大会第四次会议上",
        "省长 王凯",
        "各位代表：",
        "一、2025年工作回顾",
        BODY,
    ]);
    let m = lianghui_bot::knowledge::structure::derive(&Props::default(), &blocks, "x");
    assert_eq!(m.title, "政府工作报告");
    assert_eq!(m.date.as_deref(), Some("2026年1月26日"));
    assert_eq!(
        m.meeting.as_deref(),
        Some("河南省第十四届人民代表大会第四次会议")
    );
    assert_eq!(m.speaker.as_deref(), Some("省长 王凯"));
    assert_eq!(m.area.map(|a| a.name).as_deref(), Some("河南省"));
    let s = structure(&blocks);
    assert_eq!(s.paragraphs.len(), 1);
}

#[test]
fn pdf_title_broken_after_the_place() {
    let blocks = vec![
        line("2026年河南省", true, 1, 1),
        line("政府工作报告", true, 1, 2),
        line(
            "——2026年1月26日在河南省第十四届人民代表大会第四次会议上",
            true,
            1,
            3,
        ),
        line("各位代表：", true, 2, 4),
        line("一、2025年工作回顾", true, 2, 5),
        line(BODY, true, 2, 6),
    ];
    let m = lianghui_bot::knowledge::structure::derive(&Props::default(), &blocks, "x");
    assert_eq!(m.title, "2026年河南省政府工作报告");
    let s = structure(&blocks);
    assert_eq!(s.paragraphs.len(), 1);
    assert!(
        s.dropped
            .iter()
            .any(|d| d.1 == "2026年河南省" && d.2 == Dropped::Title)
    );
}
