//! Quality on real content: the same report as .txt (copied from the web page), .docx (heading
//! styles; automatic numbering; WPS-like styles; re-saved by LibreOffice), .pdf (LibreOffice
//! export with embedded CJK fonts) and .html (GBK page with menu/footer; old table layout) must
//! give the same paragraphs, with headings and their numbering. The reference texts are the
//! provincial reports in `tests/fixtures/provinces-2026`; the other formats are fixtures in
//! `tests/fixtures/readers`, made from those reports by `make_fixtures.py` there. A missing
//! file fails the test.

use std::collections::HashSet;
use std::path::PathBuf;

use lianghui_bot::knowledge::format::model::{Loss, Lost};
use lianghui_bot::knowledge::format::{self, Detected, Extracted, Kind, Limits, ReadError};

/// The 31 provincial reports, as copied from the provinces' web pages.
const REPORTS: [&str; 31] = [
    "anhui-2026.txt",
    "beijing-2026.txt",
    "chongqing-2026.txt",
    "fujian-2026.txt",
    "gansu-2026.txt",
    "guangdong-2026.txt",
    "guangxi-2026.txt",
    "guizhou-2026.txt",
    "hainan-2026.txt",
    "hebei-2026.txt",
    "heilongjiang-2026.txt",
    "henan-2026.txt",
    "hubei-2026.txt",
    "hunan-2026.txt",
    "jiangsu-2026.txt",
    "jiangxi-2026.txt",
    "jilin-2026.txt",
    "liaoning-2026.txt",
    "neimenggu-2026.txt",
    "ningxia-2026.txt",
    "qinghai-2026.txt",
    "shaanxi-2026.txt",
    "shandong-2026.txt",
    "shanghai-2026.txt",
    "shanxi-2026.txt",
    "sichuan-2026.txt",
    "tianjin-2026.txt",
    "xinjiang-2026.txt",
    "xizang-2026.txt",
    "yunnan-2026.txt",
    "zhejiang-2026.txt",
];

fn report_path(name: &str) -> PathBuf {
    crate::root()
        .join("tests/fixtures/provinces-2026")
        .join(name)
}

/// One provincial report's bytes; a missing report fails the test.
fn report(name: &str) -> Vec<u8> {
    let path = report_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One reader fixture's bytes; a missing fixture fails the test.
fn fixture(name: &str) -> Vec<u8> {
    let path = crate::root().join("tests/fixtures/readers").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn extract(name: &str, bytes: &[u8]) -> Extracted {
    format::extract(name, bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

/// A reader fixture, read by the reader its name and bytes call for.
fn read(name: &str) -> Extracted {
    extract(name, &fixture(name))
}

/// The reader `format::detect` picks for these bytes under this name; the file must then be
/// read by it without error.
fn detected(name: &str, bytes: &[u8]) -> Detected {
    let d = format::detect(name, bytes).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    extract(name, bytes);
    d
}

fn lost(what: Loss, count: usize) -> Lost {
    Lost { what, count }
}

fn texts(e: &Extracted) -> Vec<String> {
    e.blocks
        .iter()
        .filter(|b| b.kind != Kind::TableRow)
        .map(|b| b.text.clone())
        .collect()
}

/// The report's paragraphs as the text reader gives them (the reference).
fn reference(txt: &str) -> Vec<String> {
    let r = texts(&extract(txt, &report(txt)));
    assert!(r.len() > 40, "{txt}: only {} paragraphs", r.len());
    r
}

fn is_h1(t: &str) -> bool {
    let head: String = t
        .chars()
        .take_while(|c| "一二三四五六七八九十".contains(*c))
        .collect();
    !head.is_empty() && t[head.len()..].starts_with('、')
}

fn is_h2(t: &str) -> bool {
    t.starts_with('（')
        && t.chars()
            .nth(1)
            .is_some_and(|c| "一二三四五六七八九十".contains(c))
        && t.contains('）')
}

/// Joins PDF lines into paragraphs at `starts`.
fn pdf_paragraphs(e: &Extracted) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for b in &e.blocks {
        match b.kind {
            Kind::Line { starts: true } => out.push(b.text.clone()),
            Kind::Line { starts: false } => match out.last_mut() {
                Some(last) => {
                    let next = b.text.trim();
                    let cjk = |c: char| c as u32 >= 0x2E80 || "“”‘’—…·".contains(c);
                    if let (Some(x), Some(y)) = (last.chars().last(), next.chars().next())
                        && !(cjk(x) || cjk(y))
                    {
                        last.push(' ');
                    }
                    last.push_str(next);
                }
                None => out.push(b.text.clone()),
            },
            _ => panic!("pdf gives lines only, not {:?}", b.kind),
        }
    }
    out
}

fn squash(v: &[String]) -> String {
    v.concat().chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn text_reader_drops_page_chrome_of_a_copied_report() {
    let e = extract("henan-2026.txt", &report("henan-2026.txt"));
    assert_eq!(e.props.author.as_deref(), Some("河南日报"));
    assert_eq!(e.props.date.as_deref(), Some("2026-02-03"));
    let t = texts(&e);
    assert_eq!(t[0], "2026年河南省政府工作报告");
    for chrome in [
        "下载",
        "打印",
        "全屏",
        "收藏",
        "【字号：",
        "加大",
        "还原",
        "减小",
        "】",
        "相关报道：",
    ] {
        assert!(t.iter().all(|l| l != chrome), "kept {chrome}");
    }
    assert!(
        t.iter()
            .all(|l| !l.starts_with("来源：") && !l.starts_with("时间："))
    );
    assert_eq!(
        t.last().unwrap().chars().take(7).collect::<String>(),
        "雄关漫道真如铁"
    );
    assert!(
        e.blocks
            .iter()
            .all(|b| b.kind == Kind::Paragraph && b.page.is_none())
    );
}

#[test]
fn text_reader_keeps_every_sentence_of_all_31_reports() {
    // Every line of each real report that is not page chrome must survive the text reader.
    assert_eq!(REPORTS.iter().collect::<HashSet<_>>().len(), 31);
    for name in REPORTS {
        let bytes = report(name);
        let e = extract(name, &bytes);
        let kept: HashSet<&str> = e.blocks.iter().map(|b| b.text.as_str()).collect();
        let src = String::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Long lines (sentences) are report text: all must be kept.
        // (Photo captions "… 记者 王鼎 摄" are page furniture, not report text.)
        // Lines after a trailing "相关报道：/相关链接>>" heading are the page's link lists (in one
        // file a partial copy of the report's opening follows): not checked.
        let body = src
            .lines()
            .map(str::trim)
            .take_while(|l| !(l.starts_with("相关") && l.chars().count() <= 8));
        let sentences: Vec<&str> = body
            .filter(|l| l.chars().count() >= 40 && l.contains('。') && !l.ends_with('摄'))
            .collect();
        assert!(
            sentences.len() > 20,
            "{name}: {} sentences",
            sentences.len()
        );
        for line in sentences {
            assert!(kept.contains(line), "{name}: lost {line}");
        }
        assert!(e.blocks.len() > 40, "{name}: {} blocks", e.blocks.len());
        for b in &e.blocks {
            assert!(
                !matches!(
                    b.text.as_str(),
                    "下载"
                        | "打印"
                        | "全屏"
                        | "收藏"
                        | "分享"
                        | "关闭"
                        | "加大"
                        | "还原"
                        | "减小"
                        | "】"
                        | "【"
                        | "扫一扫在手机打开当前页"
                        | "打印本页"
                        | "关闭窗口"
                ),
                "{name}: kept {}",
                b.text
            );
        }
    }
}

#[test]
fn docx_heading_styles_give_headings_table_rows_and_properties() {
    let e = read("henan-headings.docx");
    let reference = reference("henan-2026.txt");
    assert_eq!(texts(&e), reference);
    assert_eq!(e.blocks[0].kind, Kind::Heading(1)); // Title style
    for b in e.blocks.iter().skip(1) {
        let want = if is_h1(&b.text) {
            Kind::Heading(1)
        } else if is_h2(&b.text) && b.text.chars().count() <= 40 && !b.text.contains('。') {
            Kind::Heading(2)
        } else if b.kind == Kind::TableRow {
            Kind::TableRow
        } else {
            Kind::Paragraph
        };
        assert_eq!(b.kind, want, "{}", b.text);
    }
    let rows: Vec<&str> = e
        .blocks
        .iter()
        .filter(|b| b.kind == Kind::TableRow)
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(
        rows,
        vec![
            "指标 | 2025年 | 增长",
            "生产总值 | 6.66万亿元 | 5.6%",
            "财政总收入 | 7019亿元 | 3.1%"
        ]
    );
    assert_eq!(e.props.title.as_deref(), Some("2026年河南省政府工作报告"));
    assert_eq!(e.props.author.as_deref(), Some("河南省人民政府"));
    assert_eq!(e.props.subject.as_deref(), Some("政府工作报告"));
    assert!(e.props.date.as_deref().unwrap().starts_with("2026-02-03"));
    assert_eq!(e.lost, vec![lost(Loss::Image, 1)]);
    // The admin's preview says it as before.
    let said: Vec<String> = e.lost.iter().map(ToString::to_string).collect();
    assert_eq!(said, vec!["1 image"]);
}

#[test]
fn docx_automatic_numbering_from_word_and_libreoffice() {
    let reference = reference("henan-2026.txt");
    for name in ["henan-numbered.docx", "henan-numbered-lo.docx"] {
        let e = read(name);
        let t = texts(&e);
        assert_eq!(t, reference, "{name}");
        // The numbers come from numbering.xml, not from the text runs.
        assert!(t.iter().filter(|l| is_h1(l)).count() >= 3, "{name}");
        assert!(
            t.contains(&"（十）有力有效防范化解重点领域风险".to_string()),
            "{name}"
        );
        for bad in [
            "删除",
            "隐藏文字",
            "文本框里的文字",
            "脚注里的文字",
            "HYPERLINK",
        ] {
            assert!(t.iter().all(|l| !l.contains(bad)), "{name}: {bad}");
        }
        assert_eq!(e.blocks[0].kind, Kind::Heading(1), "{name}");
        assert!(
            e.blocks[1..].iter().all(|b| b.kind == Kind::Paragraph),
            "{name}"
        );
        assert!(
            e.lost.contains(&lost(Loss::TextBox, 1)),
            "{name}: {:?}",
            e.lost
        );
        assert!(
            e.lost.contains(&lost(Loss::Footnote, 1)),
            "{name}: {:?}",
            e.lost
        );
    }
}

#[test]
fn docx_wps_styles_inherit_heading_level_and_numbering() {
    let e = read("hubei-wps.docx");
    let reference = reference("hubei-2026.txt");
    assert_eq!(texts(&e), reference);
    assert_eq!(e.blocks[0].kind, Kind::Heading(1)); // custom style with outline level 0
    let mut h2 = 0;
    for b in e.blocks.iter().skip(1).filter(|b| b.kind != Kind::TableRow) {
        let want = if is_h1(&b.text) {
            Kind::Heading(1)
        } else if is_h2(&b.text) && b.text.chars().count() <= 40 {
            h2 += 1;
            Kind::Heading(2) // custom style basedOn 标题 2: level and numbering inherited
        } else {
            Kind::Paragraph // outline level 9 (body text) overrides
        };
        assert_eq!(b.kind, want, "{}", b.text);
    }
    assert!(h2 >= 5, "{h2} level-2 headings");
    let rows: Vec<&str> = e
        .blocks
        .iter()
        .filter(|b| b.kind == Kind::TableRow)
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(
        rows,
        vec!["项目 | 说明 |", "民生实事 | 十件 | 全部完成 | 备注"]
    );
}

fn check_pdf(name: &str, txt: &str, min_exact_pct: usize) -> Extracted {
    let bytes = fixture(name);
    assert_eq!(detected(name, &bytes), Detected::Pdf);
    let e = extract(name, &bytes);
    let reference = reference(txt);
    let paras = pdf_paragraphs(&e);
    let body: Vec<String> = paras
        .iter()
        .filter(|p| {
            !p.starts_with("指标") && !p.starts_with("生产总值") && !p.starts_with("财政总收入")
        })
        .cloned()
        .collect();
    // Every character, in order (modulo line joining).
    assert_eq!(squash(&body), squash(&reference), "{name}");
    // Paragraph boundaries: nearly all paragraphs come back exactly.
    let set: HashSet<&String> = body.iter().collect();
    let exact = reference.iter().filter(|p| set.contains(p)).count();
    assert!(
        exact * 100 >= reference.len() * min_exact_pct,
        "{name}: only {exact} of {} paragraphs exact",
        reference.len()
    );
    // Headings with their numbers start a line.
    for h in reference.iter().filter(|p| is_h1(p)) {
        assert!(
            e.blocks
                .iter()
                .any(|b| b.kind == Kind::Line { starts: true } && h.starts_with(&b.text)),
            "{name}: {h}"
        );
    }
    // Pages are numbered and increase.
    let pages: Vec<u32> = e
        .blocks
        .iter()
        .map(|b| {
            b.page
                .unwrap_or_else(|| panic!("{name}: no page: {}", b.text))
        })
        .collect();
    assert!(pages.windows(2).all(|w| w[0] <= w[1]), "{name}");
    assert!(*pages.last().unwrap() >= 5, "{name}");
    e
}

#[test]
fn pdf_libreoffice_export_without_running_header_and_page_numbers() {
    let e = check_pdf("henan-headings.pdf", "henan-2026.txt", 98);
    // The running header and the "- N -" footers are gone.
    assert!(
        e.blocks
            .iter()
            .all(|b| b.text != "河南省政府工作报告（全文）")
    );
    assert!(
        e.blocks
            .iter()
            .all(|b| !(b.text.starts_with('-') && b.text.ends_with('-')))
    );
    assert_eq!(e.props.title.as_deref(), Some("2026年河南省政府工作报告"));
    assert_eq!(e.props.author.as_deref(), Some("河南省人民政府"));
    assert_eq!(e.lost, vec![lost(Loss::Image, 1)]);
}

#[test]
fn pdf_libreoffice_plain_text_export() {
    // Plain-text import: no first-line indent and no paragraph spacing, so a paragraph whose last
    // line happens to be full cannot be told from a wrapped one: a lower bar.
    check_pdf("hubei-plain.pdf", "hubei-2026.txt", 85);
}

#[test]
fn pdf_refuses_encrypted_scanned_and_unmappable_and_decodes_gbk_and_winansi() {
    let l = Limits::default();
    assert_eq!(
        format::extract("a.pdf", &fixture("pdf-encrypted.pdf"), &l),
        Err(ReadError::Encrypted)
    );
    assert_eq!(
        format::extract("a.pdf", &fixture("pdf-scan.pdf"), &l),
        Err(ReadError::NoText)
    );
    for name in ["pdf-identity-no-tounicode.pdf", "pdf-pua-tounicode.pdf"] {
        let r = format::extract("a.pdf", &fixture(name), &l);
        assert!(
            matches!(r, Err(ReadError::Unmappable { .. })),
            "{name}: {r:?}"
        );
    }
    // GBK-EUC-H codes are GBK: decoded, not refused.
    let e = extract("a.pdf", &fixture("pdf-gbk-euc-h.pdf"));
    assert_eq!(e.blocks[0].text, "各位代表：现在我代表市人民政府报告工作。");
    let e = extract("a.pdf", &fixture("pdf-winansi.pdf"));
    assert_eq!(
        texts(&e),
        vec!["Government Work Report 2026", "Café prices rose 3%."]
    );
    assert_eq!(e.props.title.as_deref(), Some("Latin test"));
    assert_eq!(e.props.author.as_deref(), Some("张三"));
}

#[test]
fn html_gbk_page_gives_the_article_only() {
    let bytes = fixture("henan-gbk.html");
    assert_eq!(detected("henan.html", &bytes), Detected::Html);
    let e = extract("henan.html", &bytes);
    let reference = reference("henan-2026.txt");
    assert_eq!(texts(&e), reference);
    assert_eq!(e.blocks[0].kind, Kind::Heading(1));
    assert!(e.blocks[1..].iter().all(|b| b.kind == Kind::Paragraph));
    assert_eq!(e.props.title.as_deref(), Some("2026年河南省政府工作报告"));
    assert_eq!(e.props.date.as_deref(), Some("2026-02-03 08:30"));
    assert_eq!(e.props.author.as_deref(), Some("河南日报"));
    assert_eq!(e.lost, vec![lost(Loss::Image, 1)]);
    for noise in [
        "政务公开",
        "相关阅读",
        "版权所有",
        "网站标识码",
        "分享到",
        "打印",
        "热点专题",
        "联系我们",
    ] {
        assert!(e.blocks.iter().all(|b| !b.text.contains(noise)), "{noise}");
    }
}

#[test]
fn html_table_layout_page_gives_the_article_only() {
    let e = read("hubei-table.html");
    let reference = reference("hubei-2026.txt");
    assert_eq!(texts(&e), reference);
    assert_eq!(e.blocks[0].kind, Kind::Heading(1));
    assert_eq!(e.props.title.as_deref(), Some("2026年湖北省政府工作报告"));
    assert_eq!(e.props.date.as_deref(), Some("2026-02-05"));
    assert_eq!(e.props.author.as_deref(), Some("湖北日报"));
    assert!(
        e.blocks
            .iter()
            .all(|b| !b.text.contains("版权所有") && !b.text.contains("办事服务"))
    );
}

#[test]
fn magic_bytes_decide_the_reader_over_the_name() {
    let l = Limits::default();
    let pdf = fixture("henan-headings.pdf");
    assert_eq!(detected("report.docx", &pdf), Detected::Pdf);
    let docx = fixture("henan-headings.docx");
    assert_eq!(detected("report.pdf", &docx), Detected::Docx);
    assert_eq!(detected("report.doc", &docx), Detected::Docx);
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(4096, 0);
    for (name, old) in [("a.doc", "doc"), ("a.wps", "wps"), ("a.docx", "doc")] {
        assert_eq!(
            format::extract(name, &ole, &l),
            Err(ReadError::OldFormat { format: old }),
            "{name}"
        );
    }
    assert_eq!(
        format::extract("a.et", &ole, &l),
        Err(ReadError::OldFormat { format: "et" })
    );
    let mut enc = ole.clone();
    enc.extend(
        "EncryptedPackage"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes()),
    );
    assert_eq!(
        format::extract("a.docx", &enc, &l),
        Err(ReadError::Encrypted)
    );
    let html = fixture("henan-gbk.html");
    assert_eq!(detected("saved.txt", &html), Detected::Html);
    assert_eq!(detected("a.htm", b"plain words"), Detected::Html);
    assert_eq!(detected("a.txt", "各位代表：".as_bytes()), Detected::Text);
    assert_eq!(Detected::Text.name(), "txt");
    assert!(matches!(
        format::extract("a.docx", b"not a zip", &l),
        Err(ReadError::Damaged { format: "docx", .. })
    ));
    assert!(matches!(
        format::extract("a.pdf", b"not a pdf", &l),
        Err(ReadError::Damaged { format: "pdf", .. })
    ));
    let small = Limits {
        max_input_bytes: 100,
        ..Limits::default()
    };
    assert!(matches!(
        format::extract("a.pdf", &pdf, &small),
        Err(ReadError::TooComplex { .. })
    ));
}
