//! Reads a plain-text file as an admin saves it after copying a report from a web page.
//!
//! It decodes the bytes (UTF-8 with or without BOM, UTF-16 with BOM or obviously UTF-16
//! without one, otherwise GB18030, a superset of GBK/GB2312), splits them into paragraphs (one
//! per non-empty line, or blank-line-separated blocks when blank lines separate paragraphs and
//! the lines inside a block look hard-wrapped), and drops the web-page leftovers that stand
//! alone on their line: toolbar words (下载 打印 全屏 收藏 分享 关闭 …), font-size controls,
//! breadcrumbs, 来源/时间 lines (their values become `Props.author` / `Props.date`), editor
//! lines, QR-code hints, photo credits and the trailing 相关报道/相关链接 section.
//!
//! It deliberately does not recognise headings or the title (that is the structure step's job,
//! shared by all formats), and it does not drop anything that is not alone on its line: a
//! sentence mentioning 打印 stays.

use super::model::{Extracted, Kind, Limits, Props, ReadError};
use super::util::{Budget, check_input, push_block};

pub fn read(bytes: &[u8], limits: &Limits) -> Result<Extracted, ReadError> {
    check_input(bytes, limits)?;
    let mut budget = Budget::new(limits);
    let text = decode(bytes)?;
    budget.check_time()?;
    // Every non-empty line gives at least one character: refuse before allocating per line.
    let non_blank = text.split('\n').filter(|l| !l.trim().is_empty()).count();
    if non_blank > limits.max_text_chars {
        return Err(super::util::too_complex(format!(
            "more than {} lines of text",
            limits.max_text_chars
        )));
    }
    let lines: Vec<&str> = text.split('\n').map(|l| l.trim()).collect();
    let mut props = Props::default();
    let keep = keep_mask(&lines, &mut props, &mut budget)?;
    let mut blocks = Vec::new();

    // Blocks separated by blank lines, as ranges over the kept lines' indices. A dropped
    // leftover neither ends nor splits a block.
    let mut kept: Vec<u32> = Vec::new();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut start = 0usize;
    for (i, line) in lines.iter().enumerate() {
        budget.tick()?;
        if line.is_empty() {
            if kept.len() > start {
                groups.push((start, kept.len()));
            }
            start = kept.len();
            continue;
        }
        if keep[i] {
            kept.push(i as u32);
        }
    }
    if kept.len() > start {
        groups.push((start, kept.len()));
    }
    let non_empty = kept.len();
    let blank_mode =
        groups.len() >= 2 && groups.len() * 10 >= non_empty && non_empty > groups.len();
    for &(a, b) in &groups {
        budget.tick()?;
        if !blank_mode {
            for &i in &kept[a..b] {
                push_block(
                    &mut blocks,
                    &mut budget,
                    Kind::Paragraph,
                    lines[i as usize],
                    None,
                    i as usize + 1,
                )?;
            }
            continue;
        }
        let g: Vec<(usize, &str)> = kept[a..b]
            .iter()
            .map(|&i| (i as usize + 1, lines[i as usize]))
            .collect();
        if looks_wrapped(&g) {
            let mut s = String::new();
            for (_, l) in &g {
                super::util::join_soft(&mut s, l);
            }
            push_block(&mut blocks, &mut budget, Kind::Paragraph, &s, None, g[0].0)?;
        } else {
            for (n, l) in &g {
                push_block(&mut blocks, &mut budget, Kind::Paragraph, l, None, *n)?;
            }
        }
    }
    Ok(Extracted {
        props,
        blocks,
        lost: Vec::new(),
    })
}

/// Decodes text bytes. Errors only when the result would be mostly garbage (binary input).
pub(crate) fn decode(bytes: &[u8]) -> Result<String, ReadError> {
    let (text, label) = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        (String::from_utf8_lossy(rest).into_owned(), "utf-8")
    } else if bytes.starts_with(&[0xFF, 0xFE]) {
        (
            encoding_rs::UTF_16LE
                .decode_without_bom_handling(&bytes[2..])
                .0
                .into_owned(),
            "utf-16le",
        )
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        (
            encoding_rs::UTF_16BE
                .decode_without_bom_handling(&bytes[2..])
                .0
                .into_owned(),
            "utf-16be",
        )
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        (s.to_owned(), "utf-8")
    } else if let Some(enc) = utf16_without_bom(bytes) {
        (
            enc.decode_without_bom_handling(bytes).0.into_owned(),
            "utf-16",
        )
    } else {
        (
            encoding_rs::GB18030
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
            "gb18030",
        )
    };
    let total = text.chars().count().max(1);
    let bad = text
        .chars()
        .filter(|&c| c == '\u{FFFD}' || (c.is_control() && !c.is_whitespace()))
        .count();
    if bad * 50 > total {
        return Err(ReadError::Encoding {
            detail: format!("{bad} of {total} characters undecodable as {label}: not a text file?"),
        });
    }
    Ok(text)
}

/// UTF-16 without BOM betrays itself by NUL bytes in every other position (for ASCII-range
/// text such as digits, punctuation and line breaks that any report has plenty of).
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    if bytes.len() < 8 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let sample = &bytes[..bytes.len().min(4096)];
    let even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    let half = sample.len() / 2;
    if odd * 5 > half && even * 20 < half {
        Some(encoding_rs::UTF_16LE)
    } else if even * 5 > half && odd * 20 < half {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// Display width: CJK counts two.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if super::util::is_cjk(c) { 2 } else { 1 })
        .sum()
}

/// Hard-wrapped: every line but the last is long and about as long as the longest line.
fn looks_wrapped(g: &[(usize, &str)]) -> bool {
    if g.len() < 2 {
        return false;
    }
    let max = g.iter().map(|(_, l)| width(l.trim())).max().unwrap_or(0);
    g[..g.len() - 1].iter().all(|(_, l)| {
        let w = width(l.trim());
        w >= 40 && w * 100 >= max * 85
    })
}

/// Single words that web-page toolbars leave on their own line.
const TOOLBAR: &[&str] = &[
    "下载",
    "打印",
    "全屏",
    "收藏",
    "分享",
    "关闭",
    "加大",
    "还原",
    "减小",
    "放大",
    "缩小",
    "默认",
    "大",
    "中",
    "小",
    "字号",
    "字体",
    "打印本页",
    "打印此页",
    "打印文章",
    "打印页面",
    "关闭窗口",
    "关闭本页",
    "关闭页面",
    "返回顶部",
    "回到顶部",
    "返回",
    "顶部",
    "分享到",
    "分享到微信",
    "分享到微博",
    "微信",
    "微博",
    "QQ空间",
    "扫一扫",
    "纠错",
    "我要纠错",
    "字号大中小",
    "朗读",
    "语音播报",
    "视力保护色",
    "繁体",
    "简体",
    "无障碍",
    "长者模式",
    "索引号",
    "复制链接",
    "点赞",
    "在线访谈",
    "×",
    "x",
    "X",
    "首页",
    "更多",
    "上一页",
    "下一页",
    "阅读全文",
];

/// Labels whose value (on the same line, or alone on the next line) is page metadata.
#[derive(Clone, Copy, PartialEq)]
enum Label {
    Source,
    Date,
    Drop,
}

fn label_of(s: &str) -> Option<(Label, &str)> {
    const SOURCE: &[&str] = &[
        "来源",
        "信息来源",
        "稿件来源",
        "文章来源",
        "作者",
        "发布机构",
        "发布单位",
    ];
    const DATE: &[&str] = &[
        "发布时间",
        "发表时间",
        "发布日期",
        "时间",
        "日期",
        "更新时间",
        "成文日期",
    ];
    const DROP: &[&str] = &[
        "责任编辑",
        "编辑",
        "责编",
        "审核",
        "审校",
        "校对",
        "终审",
        "值班编辑",
        "阅读量",
        "阅读次数",
        "浏览次数",
        "浏览量",
        "点击数",
        "点击量",
        "访问量",
        "字号",
        "字体",
        "当前位置",
        "您的位置",
        "您现在的位置",
        "所在位置",
        "位置",
        "分享",
        "分享到",
        "【字号",
        "【字体",
        "相关附件",
        "相关文档",
        "索引号",
        "主题分类",
        "发文字号",
        "文号",
        "摄影",
        "记者",
        "通讯员",
    ];
    let s = s.trim_start_matches(['【', '[', '（', '(']);
    for (labels, kind) in [
        (SOURCE, Label::Source),
        (DATE, Label::Date),
        (DROP, Label::Drop),
    ] {
        for l in labels {
            if let Some(rest) = s.strip_prefix(l)
                && let Some(v) = rest.strip_prefix(['：', ':'])
            {
                return Some((kind, v.trim()));
            }
        }
    }
    None
}

/// True if the whole line is a date or date-time ("2026-02-03", "2026-01-31 07:00:44",
/// "2026年02月10日 07时41分", "2026/2/3").
pub(crate) fn is_bare_date(s: &str) -> bool {
    let s = s.trim();
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    if digits < 6 || s.chars().count() > 24 {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || "-/.: 年月日时分秒　".contains(c))
    {
        return false;
    }
    // Starts with a plausible year.
    let year: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    year.len() == 4 && (year.starts_with("19") || year.starts_with("20"))
}

fn is_separator(s: &str) -> bool {
    matches!(
        s,
        ">" | ">>" | "»" | "›" | "/" | "\\" | "→" | "＞" | "》" | "-" | "|"
    )
}

fn is_punct_only(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| "【】[]|｜>»<《》×()（）:：·•/\\-—_=*#~,，.。、 　".contains(c))
        && s != "。" // a lone full stop can be the end of a wrapped sentence
}

/// A line made only of toolbar words, possibly in brackets or separated by spaces/bars.
fn is_toolbar_line(s: &str) -> bool {
    let mut any = false;
    for tok in s.split(|c: char| c.is_whitespace() || "【】[]|｜/:：".contains(c)) {
        if tok.is_empty() {
            continue;
        }
        if !TOOLBAR.contains(&tok) {
            return false;
        }
        any = true;
    }
    any
}

fn is_hash_line(s: &str) -> bool {
    let h = s.trim_end_matches([':', '：']);
    h.len() >= 16 && h.chars().all(|c| c.is_ascii_hexdigit())
}

/// "相关报道：" and friends: the start of a trailing list of links.
fn is_related_heading(s: &str) -> bool {
    let t = s.trim_end_matches(['：', ':', '>', '》', ' ']);
    t.chars().count() <= 8
        && (t.starts_with("相关")
            || t == "延伸阅读"
            || t == "推荐阅读"
            || t == "热点推荐"
            || t == "猜你喜欢")
        && !t.contains('。')
}

fn is_page_chrome(s: &str) -> bool {
    s.contains("扫一扫在手机")
        || s.contains("在手机打开")
        || s.contains("手机扫码")
        || s.starts_with("上一篇")
        || s.starts_with("下一篇")
        || (s.chars().count() <= 24
            && (s.contains("点击图片") || s.contains("点击进入") || s.contains("点击查看")))
        || s.contains("版权所有")
        || s.contains("ICP备")
        || s.contains("网站标识码")
        || s.contains("主办单位")
        || s.contains("承办单位")
        || s.contains("公网安备")
        || s == "联系我们"
        || s == "网站地图"
}

/// Photo credit: "…本报记者 戴冰摄", "… 贵州日报天眼新闻记者 李森 摄".
fn is_photo_credit(s: &str) -> bool {
    let t = s.trim_end_matches(['）', ')', ' ']);
    (t.ends_with('摄') || t.ends_with("摄影"))
        && (s.contains("记者") || s.contains("摄影"))
        && s.chars().count() <= 80
}

/// A line that is page furniture whatever its position: toolbar words, punctuation only, a
/// hash, page chrome or a photo credit.
fn is_leftover_line(s: &str) -> bool {
    is_toolbar_line(s)
        || is_punct_only(s)
        || is_hash_line(s)
        || is_page_chrome(s)
        || is_photo_credit(s)
}

/// Handles a 来源/时间/编辑 label line at `i` (possibly in brackets): when it is page metadata
/// (short, and a Drop label or `near_edge` of the text) it is dropped together with a value
/// standing alone on the next line, the value goes to `props`, and the index of the next line
/// to look at is returned. `None` when the line is not a metadata line.
fn drop_label_line(
    t: &[&str],
    i: usize,
    near_edge: bool,
    keep: &mut [bool],
    props: &mut Props,
) -> Option<usize> {
    let s = t[i];
    // "(来源：青海日报)" wrapped in brackets.
    let unbracketed = s
        .trim_start_matches(['（', '('])
        .trim_end_matches(['）', ')']);
    let (label, value) = label_of(unbracketed)?;
    // Only short label lines are page metadata; a long sentence starting "时间：" is text.
    if s.chars().count() > 60 || !(label == Label::Drop || near_edge) {
        return None;
    }
    keep[i] = false;
    let mut next = i + 1;
    let mut value = value.to_string();
    // The value may be alone on the next line.
    if value.is_empty()
        && i + 1 < t.len()
        && !t[i + 1].is_empty()
        && t[i + 1].chars().count() <= 30
        && label_of(t[i + 1]).is_none()
        && !is_related_heading(t[i + 1])
    {
        value = t[i + 1].to_string();
        keep[i + 1] = false;
        next = i + 2;
    }
    let value = value.trim_end_matches(['】', ']']).trim().to_string();
    match label {
        Label::Source if props.author.is_none() && !value.is_empty() => props.author = Some(value),
        Label::Date if props.date.is_none() && !value.is_empty() => props.date = Some(value),
        _ => {}
    }
    Some(next)
}

/// Marks which lines to keep, filling props from 来源/时间 lines (also used by the HTML
/// reader on the article's blocks).
pub(crate) fn keep_mask(
    lines: &[&str],
    props: &mut Props,
    budget: &mut Budget,
) -> Result<Vec<bool>, ReadError> {
    let n = lines.len();
    let mut keep = vec![true; n];
    let t = lines; // callers pass trimmed lines
    let total_chars: usize = t.iter().map(|l| l.chars().count()).sum();
    let mut chars_before = 0usize;
    let mut i = 0;
    let mut last_crumb: Option<&str> = None;
    while i < n {
        budget.tick()?;
        let s = t[i];
        let here = chars_before;
        chars_before += s.chars().count();
        if s.is_empty() {
            i += 1;
            continue;
        }
        let near_top = i < 40 || here * 10 < total_chars;
        // Trailing related-links section: drop it and everything after it.
        if is_related_heading(s) && here * 10 >= total_chars * 7 {
            for k in keep.iter_mut().skip(i) {
                *k = false;
            }
            break;
        }
        if is_leftover_line(s) {
            keep[i] = false;
            i += 1;
            continue;
        }
        let near_end = here * 100 >= total_chars * 85;
        if let Some(next) = drop_label_line(t, i, near_top || near_end, &mut keep, props) {
            i = next;
            continue;
        }
        if near_top && is_bare_date(s) {
            keep[i] = false;
            if props.date.is_none() {
                props.date = Some(s.to_string());
            }
            i += 1;
            continue;
        }
        // Breadcrumb chains: short segments next to separator lines ("首页", ">", "要闻").
        if near_top && s.chars().count() <= 12 {
            let next_sep = i + 1 < n && is_separator(t[i + 1]);
            let prev_sep = i > 0 && is_separator(t[i - 1]) && !keep[i - 1];
            if next_sep || prev_sep {
                keep[i] = false;
                last_crumb = Some(s);
                i += 1;
                continue;
            }
            if last_crumb == Some(s) {
                keep[i] = false; // the channel name repeated right after the breadcrumb
                i += 1;
                continue;
            }
        }
        last_crumb = None;
        i += 1;
    }
    Ok(keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(e: &Extracted) -> Vec<&str> {
        e.blocks.iter().map(|b| b.text.as_str()).collect()
    }

    #[test]
    fn drops_toolbar_and_reads_props() {
        let src = "下载\n打印\n全屏\n收藏\n【字号：\n加大\n还原\n减小\n】\n2026年某省政府工作报告\n来源：某省日报\n时间：2026-02-03\n各位代表：\n正文一。\n相关报道：\n";
        let e = read(src.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(
            texts(&e),
            vec!["2026年某省政府工作报告", "各位代表：", "正文一。"]
        );
        assert_eq!(e.props.author.as_deref(), Some("某省日报"));
        assert_eq!(e.props.date.as_deref(), Some("2026-02-03"));
    }

    #[test]
    fn values_on_next_line_and_breadcrumbs() {
        let src = "当前位置：\n首页\n>\n政务信息\n>\n要闻\n2026年政府工作报告\n发表时间：\n2026-02-09 09:45:30\n来源：\n某日报客户端\n阅读量：\n【字体：\n小\n中\n大\n】\n各位代表：\n正文。\n扫一扫在手机打开当前页\n【\n打印本页\n】\n【\n关闭窗口\n】\n";
        let e = read(src.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(
            texts(&e),
            vec!["2026年政府工作报告", "各位代表：", "正文。"]
        );
        assert_eq!(e.props.author.as_deref(), Some("某日报客户端"));
        assert_eq!(e.props.date.as_deref(), Some("2026-02-09 09:45:30"));
    }

    #[test]
    fn encodings() {
        let s = "各位代表：\n现在，我代表省人民政府向大会报告工作。\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(s);
        let e = read(&gbk, &Limits::default()).unwrap();
        assert_eq!(
            texts(&e),
            vec!["各位代表：", "现在，我代表省人民政府向大会报告工作。"]
        );
        let mut u16: Vec<u8> = vec![0xFF, 0xFE];
        for c in s.encode_utf16() {
            u16.extend_from_slice(&c.to_le_bytes());
        }
        assert_eq!(texts(&read(&u16, &Limits::default()).unwrap()).len(), 2);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(s.as_bytes());
        assert_eq!(
            texts(&read(&bom, &Limits::default()).unwrap())[0],
            "各位代表："
        );
    }

    #[test]
    fn blank_separated_wrapped_blocks_are_joined() {
        let line = "这是一段被硬换行的文字，它很长很长很长很长很长很长很长很长很长";
        let src = format!("{line}\n{line}\n结束。\n\n{line}\n{line}\n结束。\n\n标题\n\n短句。\n");
        let e = read(src.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(e.blocks.len(), 4);
        assert_eq!(e.blocks[0].text, format!("{line}{line}结束。"));
        assert_eq!(e.blocks[2].text, "标题");
    }

    #[test]
    fn binary_is_refused() {
        let bytes: Vec<u8> = (0..4000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(read(&bytes, &Limits::default()).is_err());
    }

    #[test]
    fn sentences_with_toolbar_words_stay() {
        let e = read(
            "打印机采购项目完成。\n分享经济规模扩大。\n".as_bytes(),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(e.blocks.len(), 2);
    }
}
