//! Line-level recognisers for what is not report content, and for the front-matter lines
//! that carry metadata: salutations, the procedural opening, web-page chrome (menus,
//! breadcrumbs, source and time lines, "related" lists), photo captions, page numbers,
//! table-of-contents lines, the ——date/meeting line, the speaker line and title-like lines.
//!
//! Each recogniser looks at one text and is linear in its length. They are general rules of
//! Chinese official documents and of the government web pages those documents are copied
//! from; none is keyed to one file's words. They deliberately do not look at neighbours:
//! context (front matter, adjacency) is decided by the callers in `front` and `structure`.

use super::chars::{
    clen, digit, is_cjk, is_cn_numeral_char, is_opener, is_punct_only, is_space, parse_cn_number,
    squeeze, trim,
};
use super::numbering;

/// Letters and ideographs only (drops punctuation, symbols and spaces).
pub(crate) fn letters(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric() || is_cjk(*c))
        .collect()
}

const SALUTATION_TERMS: [&str; 14] = [
    "各位代表",
    "各位委员",
    "各位来宾",
    "各位领导",
    "各位同志",
    "各位同仁",
    "同志们",
    "朋友们",
    "女士们",
    "先生们",
    "代表们",
    "委员们",
    "各位列席人员",
    "各位列席同志",
];

/// Byte length of a salutation at the start of `s` ("各位代表：", "各位代表、各位委员：",
/// "同志们！"), including its closing punctuation, or None.
pub(crate) fn salutation_len(s: &str) -> Option<usize> {
    let mut i = 0usize;
    loop {
        let rest = &s[i..];
        let mut matched = None;
        for t in SALUTATION_TERMS {
            if rest.starts_with(t) {
                matched = Some(t.len());
                break;
            }
        }
        if matched.is_none() && rest.starts_with("尊敬的") {
            // 尊敬的X：  (X short, no punctuation)
            let mut j = "尊敬的".len();
            let mut n = 0;
            for c in rest["尊敬的".len()..].chars() {
                if n > 12 || !(is_cjk(c)) {
                    break;
                }
                j += c.len_utf8();
                n += 1;
            }
            if n > 0 && n <= 12 {
                matched = Some(j);
            }
        }
        let len = matched?;
        i += len;
        let next = s[i..].chars().next();
        match next {
            None => return Some(i),
            Some(c @ ('：' | ':' | '！' | '!')) => return Some(i + c.len_utf8()),
            Some(c @ ('、' | '，' | ',')) => {
                let after = i + c.len_utf8();
                let more = SALUTATION_TERMS.iter().any(|t| s[after..].starts_with(t))
                    || s[after..].starts_with("尊敬的");
                if more {
                    i = after;
                    continue;
                }
                // "各位代表，过去一年…": the salutation ends at the comma.
                return Some(after);
            }
            Some(_) => return None,
        }
    }
}

/// The whole text is a salutation.
#[cfg(test)]
pub(crate) fn is_salutation(s: &str) -> bool {
    let t = trim(s);
    salutation_len(t) == Some(t.len())
}

/// The procedural opening: "现在，我代表省人民政府，向大会报告工作，请予审议，…".
pub(crate) fn is_procedural(s: &str) -> bool {
    let n = clen(s);
    // "我代表…" or "我受…委托…".
    let speaks_for = s.contains("我代表") || (s.contains("我受") && s.contains("委托"));
    n <= 220 && speaks_for && s.contains('向') && (s.contains("审议") || s.contains("报告工作"))
}

const MENU_WORDS: [&str; 44] = [
    "下载",
    "打印",
    "全屏",
    "收藏",
    "分享",
    "关闭",
    "加大",
    "还原",
    "减小",
    "字号",
    "字体",
    "打印本页",
    "关闭窗口",
    "关闭本页",
    "打印文章",
    "打印此页",
    "分享到",
    "分享至",
    "分享到微信",
    "分享到微博",
    "微信",
    "微博",
    "朋友圈",
    "扫一扫",
    "扫一扫在手机打开当前页",
    "手机扫一扫",
    "扫描二维码",
    "用手机扫描二维码分享",
    "返回顶部",
    "返回",
    "上一篇",
    "下一篇",
    "我要纠错",
    "纠错",
    "保存",
    "复制链接",
    "字号大中小",
    "字体大中小",
    "字号默认大中小",
    "字体默认大中小",
    "默认",
    "打开手机",
    "附件下载",
    "显示全部",
];

/// Menu words that are only menu items next to other menu items (字号 大 中 小).
const WEAK_MENU_WORDS: [&str; 6] = ["大", "中", "小", "标准", "超大", "特大"];

/// Web-page menu chrome alone on a line: "下载", "【字号：", "打印本页", "分享到:", or a line
/// made only of such words.
pub(crate) fn is_menu(s: &str) -> bool {
    let t = trim(s);
    if clen(t) > 40 {
        return false;
    }
    let l = letters(t);
    if l.is_empty() {
        return false;
    }
    if MENU_WORDS.contains(&l.as_str()) {
        return true;
    }
    if (l.contains("点击") || l.contains("二维码")) && clen(&l) <= 16 {
        return true;
    }
    // "下载 打印 全屏 收藏" / "字号：大 中 小" on one line.
    let mut any = false;
    for tok in t.split(|c: char| {
        is_space(c) || matches!(c, '|' | '｜' | '：' | ':' | '【' | '】' | '/' | '[' | ']')
    }) {
        let tl = letters(tok);
        if tl.is_empty() {
            continue;
        }
        if !(MENU_WORDS.contains(&tl.as_str()) || WEAK_MENU_WORDS.contains(&tl.as_str())) {
            return false;
        }
        any = true;
    }
    any && t
        .chars()
        .any(|c| is_space(c) || matches!(c, '|' | '｜' | '：' | ':'))
}

/// A menu word that only counts next to other chrome (大 中 小).
pub(crate) fn is_weak_menu(s: &str) -> bool {
    let l = letters(trim(s));
    WEAK_MENU_WORDS.contains(&l.as_str())
}

const SOURCE_LABELS: [&str; 37] = [
    "来源",
    "信息来源",
    "文章来源",
    "稿件来源",
    "稿源",
    "出处",
    "时间",
    "发布时间",
    "发表时间",
    "发布日期",
    "发文日期",
    "日期",
    "更新时间",
    "责任编辑",
    "编辑",
    "责编",
    "作者",
    "记者",
    "摄影",
    "审核",
    "校对",
    "供稿",
    "阅读量",
    "阅读次数",
    "浏览次数",
    "浏览量",
    "点击数",
    "点击量",
    "访问量",
    "字数",
    "签发",
    "终审",
    "抄送",
    "主题词",
    "联系人",
    "联系电话",
    "签发人",
];

/// A source/time/editor line: "来源：河南日报", "时间：2026-02-03", "（来源：青海日报）",
/// "责任编辑：". Returns Some(true) when the label has no value on this line (the value is then
/// usually the next line), Some(false) when it has one.
pub(crate) fn source_line(s: &str) -> Option<bool> {
    let mut t = trim(s);
    if clen(t) > 80 {
        return None;
    }
    t = t.trim_start_matches(|c: char| is_opener(c) || is_space(c));
    for label in SOURCE_LABELS {
        if let Some(rest) = t.strip_prefix(label) {
            let rest = rest.trim_start_matches(is_space);
            if let Some(c) = rest.chars().next()
                && matches!(c, '：' | ':')
            {
                let value = trim(&rest[c.len_utf8()..]);
                let value = value.trim_end_matches(['）', ')', '】', ']']);
                return Some(trim(value).is_empty());
            }
        }
    }
    None
}

/// Marks of the GB/T 9704 official-document frame that are not content: the document number
/// ("豫政〔2026〕1号"), "（此件公开发布）", the imprint "…办公厅 2026年1月10日印发", and a
/// date alone on a line (the 成文日期, "2026年1月10日").
pub(crate) fn is_document_mark(s: &str) -> bool {
    let t = trim(s);
    let n = clen(t);
    if n > 60 {
        return false;
    }
    let q = squeeze(t);
    // 〔2026〕1号 / [2026]1号 / 〔2026〕第1号
    for (open, close) in [('〔', '〕'), ('[', ']'), ('［', '］'), ('（', '）')] {
        if let (Some(a), Some(b)) = (q.find(open), q.find(close))
            && b > a
        {
            let year = &q[a + open.len_utf8()..b];
            let tail = q[b + close.len_utf8()..].trim_start_matches('第');
            if year.chars().count() == 4
                && year.chars().all(|c| digit(c).is_some())
                && tail.ends_with('号')
                && tail[..tail.len() - '号'.len_utf8()]
                    .chars()
                    .all(|c| digit(c).is_some())
                && n <= 30
            {
                return true;
            }
        }
    }
    let l = letters(t);
    if [
        "此件公开发布",
        "此件主动公开",
        "此件不公开",
        "此件依申请公开",
    ]
    .contains(&l.as_str())
    {
        return true;
    }
    if q.ends_with("印发") && q.chars().any(|c| digit(c).is_some()) && q.contains('年') {
        return true;
    }
    // A date alone.
    if let Some((_, _, _, used)) = parse_date_prefix(&q)
        && q[used..].chars().all(|c| matches!(c, '）' | ')'))
    {
        return true;
    }
    if let Some(r) = q.strip_prefix(['（', '('])
        && let Some((_, _, _, used)) = parse_date_prefix(r)
        && r[used..].chars().all(|c| matches!(c, '）' | ')'))
    {
        return true;
    }
    false
}

/// The addressee line of an official document (主送机关): "各省辖市人民政府，省人民政府各部门：".
pub(crate) fn is_addressee(s: &str) -> bool {
    let t = trim(s);
    if clen(t) > 120 || !(t.ends_with('：') || t.ends_with(':')) || t.contains('。') {
        return false;
    }
    let body = &t[..t.len() - t.chars().last().map_or(0, |c| c.len_utf8())];
    let orgs = [
        "人民政府",
        "部门",
        "委员会",
        "管委会",
        "单位",
        "机关",
        "办公厅",
        "办公室",
        "局",
        "厅",
    ];
    body.split(['，', '、', ',']).all(|part| {
        let p = trim(part);
        !p.is_empty()
            && clen(p) <= 30
            && p.chars().all(is_cjk)
            && orgs.iter().any(|o| p.ends_with(o) || p.contains(o))
    })
}

/// A line that is only a date and/or time: "2026-01-31 07:00:44", "2026年02月10日 07时41分".
pub(crate) fn is_datetime_only(s: &str) -> bool {
    let t = trim(s);
    let mut digits = 0;
    for c in t.chars() {
        if digit(c).is_some() {
            digits += 1;
        } else if !(is_space(c)
            || matches!(
                c,
                '-' | '/' | ':' | '：' | '.' | '年' | '月' | '日' | '时' | '分' | '秒' | '－'
            ))
        {
            return false;
        }
    }
    digits >= 6 && (t.contains(':') || t.contains('时') || t.contains('-') || t.contains('/'))
}

/// A page number line: "3", "- 3 -", "—3—", "第3页", "第 3 页 共 10 页", "3/10", "Page 3".
pub(crate) fn is_page_number(s: &str) -> bool {
    let t = squeeze(s);
    if t.is_empty() || clen(&t) > 16 {
        return false;
    }
    let core = t.trim_matches(|c: char| {
        matches!(
            c,
            '-' | '—' | '–' | '－' | '―' | '·' | '•' | '～' | '~' | '[' | ']' | '［' | '］'
        )
    });
    let decorated = core.len() != t.len();
    let all_digits = !core.is_empty() && core.chars().all(|c| digit(c).is_some());
    if all_digits {
        let n = clen(core);
        return n <= 3 || (decorated && n <= 4);
    }
    // 第3页 / 第3页共10页
    if let Some(r) = core.strip_prefix('第') {
        let (num, tail) = split_digits(r);
        if !num.is_empty() && (tail == "页" || (tail.starts_with("页共") && tail.ends_with('页')))
        {
            return true;
        }
    }
    // 3/10
    let (a, tail) = split_digits(core);
    if !a.is_empty() && (tail.starts_with('/') || tail.starts_with('／')) {
        let b = &tail[tail.chars().next().map_or(0, |c| c.len_utf8())..];
        if !b.is_empty() && b.chars().all(|c| digit(c).is_some()) {
            return true;
        }
    }
    let lower = core.to_ascii_lowercase();
    if let Some(r) = lower.strip_prefix("page") {
        let (n, tail) = split_digits(r);
        return !n.is_empty() && (tail.is_empty() || tail.starts_with("of"));
    }
    false
}

fn split_digits(s: &str) -> (&str, &str) {
    let mut end = 0;
    for c in s.chars() {
        if digit(c).is_some() {
            end += c.len_utf8();
        } else {
            break;
        }
    }
    (&s[..end], &s[end..])
}

/// The heading of a table of contents: "目录", "目 录".
pub(crate) fn is_toc_heading(s: &str) -> bool {
    let l = letters(s);
    l == "目录" || l == "目次"
}

/// A table-of-contents entry: a title, a leader of dots and a page number.
pub(crate) fn is_toc_line(s: &str) -> bool {
    let t = trim(s);
    if clen(t) > 100 {
        return false;
    }
    let chars: Vec<char> = t.chars().collect();
    let mut end = chars.len();
    while end > 0 && digit(chars[end - 1]).is_some() {
        end -= 1;
    }
    if end == chars.len() || chars.len() - end > 4 {
        return false;
    }
    let mut leaders = 0;
    let mut k = end;
    while k > 0
        && (matches!(
            chars[k - 1],
            '.' | '·' | '…' | '．' | '•' | '‧' | '。' | '-' | '—'
        ) || is_space(chars[k - 1]))
    {
        if !is_space(chars[k - 1]) {
            leaders += if chars[k - 1] == '…' { 3 } else { 1 };
        }
        k -= 1;
    }
    leaders >= 4 && k > 0
}

/// An entry of a table of contents that has no leader: "一、总体要求 3" (checked only right
/// after a 目录 heading).
pub(crate) fn is_toc_entry_plain(s: &str) -> bool {
    let t = trim(s);
    if clen(t) > 60 {
        return false;
    }
    let chars: Vec<char> = t.chars().collect();
    let mut end = chars.len();
    while end > 0 && digit(chars[end - 1]).is_some() {
        end -= 1;
    }
    end < chars.len()
        && chars.len() - end <= 3
        && end > 0
        && (is_space(chars[end - 1]) || !t.contains('。'))
}

const RELATED: [&str; 16] = [
    "相关报道",
    "相关链接",
    "相关阅读",
    "相关新闻",
    "相关文档",
    "相关附件",
    "相关文章",
    "相关稿件",
    "延伸阅读",
    "推荐阅读",
    "更多阅读",
    "热点推荐",
    "相关推荐",
    "猜你喜欢",
    "往期回顾",
    "相关专题",
];

/// The start of a web page's "related" list, after which nothing belongs to the report.
pub(crate) fn is_related_marker(s: &str) -> bool {
    let t = trim(s);
    clen(t) <= 12 && RELATED.contains(&letters(t).as_str())
}

/// A photo caption: "殷勇同志作政府工作报告。本报记者 戴冰摄", "（新华社记者 张三 摄）".
pub(crate) fn is_caption(s: &str) -> bool {
    let t = trim(s);
    let n = clen(t);
    if n > 100 {
        return false;
    }
    let end = t.trim_end_matches(|c: char| matches!(c, '）' | ')' | '】' | ']') || is_space(c));
    (t.contains("记者") || t.contains("摄影") || t.contains("通讯员"))
        && (end.ends_with('摄') || end.ends_with("摄影") || end.ends_with("供图"))
}

/// A caption-like front line "省长赵刚作政府工作报告" / "张工作政府工作报告。": someone
/// delivering the report. Only meaningful in front matter.
pub(crate) fn is_delivery_caption(s: &str) -> bool {
    let t = trim(s);
    if clen(t) > 140 {
        return false;
    }
    if t.contains("作政府工作报告") || t.contains("向大会作") {
        return true;
    }
    // "作报告" / "作工作报告", where 作 is the verb, not the second half of 工作.
    for pat in ["作工作报告", "作报告"] {
        for (i, _) in t.match_indices(pat) {
            if !t[..i].ends_with('工') {
                return true;
            }
        }
    }
    false
}

/// A breadcrumb: "当前位置：首页 > 要闻", "首页", or a lone separator ">".
pub(crate) fn is_breadcrumb(s: &str) -> bool {
    let t = trim(s);
    if clen(t) > 60 {
        return false;
    }
    let l = letters(t);
    if l.starts_with("当前位置")
        || l.starts_with("您的位置")
        || l.starts_with("您当前的位置")
        || l.starts_with("当前所在位置")
        || l == "首页"
    {
        return true;
    }
    let seps = t.matches(['>', '›', '»', '→']).count();
    seps >= 1
        && t.split(['>', '›', '»', '→'])
            .filter(|p| !trim(p).is_empty())
            .count()
            >= 2
        && clen(t) <= 40
}

/// A lone breadcrumb separator.
pub(crate) fn is_breadcrumb_sep(s: &str) -> bool {
    let t = squeeze(s);
    !t.is_empty()
        && t.chars()
            .all(|c| matches!(c, '>' | '›' | '»' | '→' | '/' | '＞'))
}

/// A short label-like line with no punctuation (a breadcrumb segment, a column name).
pub(crate) fn is_short_label(s: &str) -> bool {
    let t = trim(s);
    let n = clen(t);
    (1..=12).contains(&n)
        && t.chars()
            .all(|c| is_cjk(c) || c.is_alphanumeric() || is_space(c))
}

/// Only punctuation or symbols.
pub(crate) fn is_punctuation_line(s: &str) -> bool {
    is_punct_only(s)
}

/// Only opening brackets/quotes ("（", "“", "【"): belongs to the text that follows.
pub(crate) fn is_lone_opener(s: &str) -> bool {
    let t = trim(s);
    !t.is_empty() && t.chars().all(|c| is_opener(c) || is_space(c))
}

/// A numbering marker with nothing after it ("（一）", "三、").
pub(crate) fn is_bare_number(s: &str) -> bool {
    let t = trim(s);
    match numbering::parse(t) {
        Some(m) => t[m.rest..].chars().all(is_space),
        None => false,
    }
}

/// Parsed "——2026年1月26日在河南省第十四届人民代表大会第四次会议上" line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DateLine {
    /// "2026年1月26日" (Arabic digits, no leading zeros).
    pub date: Option<String>,
    pub year: Option<i32>,
    /// "河南省第十四届人民代表大会第四次会议".
    pub meeting: Option<String>,
    /// The meeting part is cut off (the line continues on the next block).
    pub open: bool,
    /// Text after the closing 上 (e.g. a speaker "陕西省省长 赵刚").
    pub rest: String,
}

/// Parse a date like 2026年1月26日 or 二〇二六年一月二十六日 at the start; returns
/// (year, month, day, bytes consumed).
pub(crate) fn parse_date_prefix(s: &str) -> Option<(i32, u32, u32, usize)> {
    let mut it = s.char_indices().peekable();
    let mut parts = [0u32; 3];
    let seps = ['年', '月', '日'];
    let mut end = 0usize;
    for (k, sep) in seps.iter().enumerate() {
        let start = match it.peek() {
            Some((i, _)) => *i,
            None => return None,
        };
        let mut stop = start;
        let mut arabic = false;
        let mut chinese = false;
        while let Some((i, c)) = it.peek().copied() {
            if digit(c).is_some() && !chinese {
                arabic = true;
            } else if is_cn_numeral_char(c) && !arabic {
                chinese = true;
            } else {
                break;
            }
            stop = i + c.len_utf8();
            it.next();
        }
        if stop == start {
            return None;
        }
        let (i, c) = it.next()?;
        if c != *sep {
            return None;
        }
        let num = &s[start..stop];
        let v = if arabic {
            let mut v = 0u32;
            for c in num.chars() {
                v = v.checked_mul(10)?.checked_add(digit(c)?)?;
            }
            v
        } else {
            parse_cn_number(num)?
        };
        if k == 0 && !(1900..=2100).contains(&v) {
            return None;
        }
        parts[k] = v;
        end = i + c.len_utf8();
    }
    if !(1..=12).contains(&parts[1]) || !(1..=31).contains(&parts[2]) {
        return None;
    }
    Some((parts[0] as i32, parts[1], parts[2], end))
}

/// Where the meeting of a date line ends: at the first 会议上 / 大会上 / 会上, or at a last 上
/// followed only by a bracket or the end. The end of the meeting name and of the 上.
fn meeting_close(body: &str) -> Option<(usize, usize)> {
    let mut close = None;
    for pat in ["会议上", "大会上", "会上"] {
        if let Some(i) = body.find(pat) {
            let e = i + pat.len();
            if close.is_none_or(|(_, ce)| e < ce) {
                close = Some((i + pat.len() - '上'.len_utf8(), e));
            }
        }
    }
    if close.is_none()
        && let Some(i) = body.rfind('上')
    {
        let tail = &body[i + '上'.len_utf8()..];
        if trim(tail.trim_start_matches(['）', ')'])).is_empty() {
            close = Some((i, i + '上'.len_utf8()));
        }
    }
    close
}

/// Parse the date/meeting line of a speech or report.
pub(crate) fn parse_date_line(s: &str) -> Option<DateLine> {
    let t = trim(s);
    if clen(t) > 120 {
        return None;
    }
    let bracketed = t.starts_with('（') || t.starts_with('(');
    let dashed = t.starts_with(['—', '―', '–', '－', '-']);
    let u = t.trim_start_matches(|c: char| {
        matches!(c, '—' | '―' | '–' | '－' | '-' | '（' | '(') || is_space(c)
    });
    let (date, year, after) = match parse_date_prefix(u) {
        Some((y, m, d, used)) => (Some(format!("{y}年{m}月{d}日")), Some(y), &u[used..]),
        None => (None, None, u),
    };
    let after = after.trim_start_matches(is_space);
    let Some(body) = after.strip_prefix('在') else {
        // A date alone counts only when it is set off as a date line: "（2026年1月26日）".
        if date.is_some() && (bracketed || dashed) {
            let rest = after.trim_start_matches(['）', ')']);
            if trim(rest).is_empty() {
                return Some(DateLine {
                    date,
                    year,
                    meeting: None,
                    open: false,
                    rest: String::new(),
                });
            }
        }
        return None;
    };
    if date.is_none() && !(dashed || bracketed || body.contains("会议") || body.contains("大会"))
    {
        return None;
    }
    match meeting_close(body) {
        Some((mend, e)) => {
            let meeting = trim(&body[..mend]).to_string();
            if meeting.is_empty() || clen(&meeting) > 60 {
                return None;
            }
            let rest = body[e..].trim_start_matches(['）', ')']);
            Some(DateLine {
                date,
                year,
                meeting: Some(meeting),
                open: false,
                rest: trim(rest).to_string(),
            })
        }
        None => {
            date.as_ref()?;
            let m = trim(body.trim_end_matches(['）', ')']));
            if clen(m) > 60 {
                return None;
            }
            Some(DateLine {
                date,
                year,
                meeting: if m.is_empty() {
                    None
                } else {
                    Some(m.to_string())
                },
                open: true,
                rest: String::new(),
            })
        }
    }
}

/// The continuation of a cut date line ("人民代表大会第五次会议上"): returns the meeting
/// tail and the rest after 上.
/// `before` is the meeting as far as the cut line has it: a cut inside a word ("…第四次会" +
/// "议上") is a continuation too.
pub(crate) fn date_line_continuation(before: &str, s: &str) -> Option<(String, String)> {
    let t = trim(s);
    if clen(t) > 60 {
        return None;
    }
    let i = t.find("上")?;
    let head = &t[..i];
    let joined = format!("{before}{head}");
    let meeting_in_head = head.contains("会议") || head.contains("大会") || head.ends_with('会');
    let meeting_joined = joined.ends_with("会议") || joined.ends_with("大会");
    if !meeting_in_head && !meeting_joined {
        return None;
    }
    let rest = t[i + '上'.len_utf8()..].trim_start_matches(['）', ')']);
    Some((trim(head).to_string(), trim(rest).to_string()))
}

const ROLES: [&str; 20] = [
    "省长",
    "市长",
    "区长",
    "县长",
    "州长",
    "盟长",
    "旗长",
    "主席",
    "主任",
    "院长",
    "检察长",
    "委员长",
    "秘书长",
    "书记",
    "部长",
    "厅长",
    "局长",
    "行长",
    "镇长",
    "乡长",
];

/// A person's name as printed on a speaker line: 2-4 ideographs ("王凯", "嘎玛泽登"; the
/// typographic space in "韦 韬" already removed) or a transliterated name with "·".
pub(crate) fn is_name(s: &str) -> bool {
    let n = clen(s);
    if s.contains('·') || s.contains('•') {
        return (3..=16).contains(&n)
            && s.chars().all(|c| is_cjk(c) || c == '·' || c == '•')
            && !s.starts_with('·')
            && !s.ends_with('·');
    }
    (2..=4).contains(&n) && s.chars().all(is_cjk)
}

/// Parse a speaker line "河南省人民政府省长 王凯" / "省长 王凯" / "区长 张三" into
/// (role, name) = ("省长", "王凯"). Deputy and acting roles keep their prefix ("代省长").
pub(crate) fn parse_speaker(s: &str) -> Option<(String, String)> {
    let t = trim(s);
    if clen(t) > 40
        || t.chars()
            .any(|c| matches!(c, '，' | '。' | '：' | ':' | '、' | '；'))
    {
        return None;
    }
    let q = squeeze(t);
    for role in ROLES {
        let mut search_end = q.len();
        while let Some(i) = q[..search_end].rfind(role) {
            let name = &q[i + role.len()..];
            let org = &q[..i];
            if is_name(name) && clen(org) <= 24 && org.chars().all(is_cjk) {
                let mut full_role = role.to_string();
                for pre in ["常务副", "代", "副"] {
                    if org.ends_with(pre) {
                        full_role = format!("{pre}{role}");
                        break;
                    }
                }
                return Some((full_role, name.to_string()));
            }
            search_end = i;
        }
    }
    None
}

/// Find `name` in `s` and return the role word written right before it ("省长毛伟明作…").
pub(crate) fn role_before_name(s: &str, name: &str) -> Option<String> {
    let q = squeeze(s);
    let i = q.find(name)?;
    let before = &q[..i];
    for role in ROLES {
        if let Some(org) = before.strip_suffix(role) {
            for pre in ["常务副", "代", "副"] {
                if org.ends_with(pre) {
                    return Some(format!("{pre}{role}"));
                }
            }
            return Some(role.to_string());
        }
    }
    None
}

const TITLE_WORDS: [&str; 14] = [
    "报告", "会议", "工作", "讲话", "决议", "决定", "纲要", "规划", "公报", "意见", "通知", "方案",
    "说明", "致辞",
];

/// Reads like a document title: short, no sentence punctuation inside, names a report,
/// meeting or work; not a caption, menu, source or numbered line.
pub(crate) fn is_title_candidate(s: &str) -> bool {
    let t = trim(s);
    let n = clen(t);
    if !(4..=60).contains(&n) {
        return false;
    }
    if t.chars()
        .any(|c| matches!(c, '。' | '，' | '！' | '？' | '；' | ',' | ';'))
    {
        return false;
    }
    if !TITLE_WORDS.iter().any(|w| t.contains(w)) {
        return false;
    }
    // Section titles, not document titles: "2025年工作回顾", "2026年重点工作".
    if [
        "回顾",
        "重点工作",
        "工作安排",
        "主要任务",
        "目标任务",
        "工作任务",
        "主要工作",
    ]
    .iter()
    .any(|w| t.ends_with(w))
    {
        return false;
    }
    if numbering::parse(t).is_some()
        || is_menu(t)
        || source_line(t).is_some()
        || is_caption(t)
        || is_delivery_caption(t)
        || parse_date_line(t).is_some()
        || is_breadcrumb(t)
    {
        return false;
    }
    true
}

/// An annex or notes heading: "附件", "附件2", "附件1：", "名词解释", "注释",
/// "《政府工作报告》有关内容名词注释".
pub(crate) fn annex_heading(s: &str) -> Option<AnnexKind> {
    let t = trim(s);
    if clen(t) > 40 || t.contains('。') {
        return None;
    }
    let l = letters(t);
    for w in ["附件", "附录", "附表"] {
        if let Some(r) = l.strip_prefix(w) {
            if r.chars()
                .all(|c| digit(c).is_some() || is_cn_numeral_char(c))
            {
                return Some(AnnexKind::Marker);
            }
            // "附件1 2026年省十件民生实事" / "附件1：…" written on one line.
            if let Some(after) = t.strip_prefix(w) {
                let after =
                    after.trim_start_matches(|c: char| digit(c).is_some() || is_cn_numeral_char(c));
                if after.starts_with(|c: char| is_space(c) || matches!(c, '：' | ':')) {
                    return Some(AnnexKind::Titled);
                }
            }
            return None;
        }
    }
    if [
        "注释",
        "名词解释",
        "名词注释",
        "注释说明",
        "附注",
        "名词解释说明",
        "有关名词解释",
    ]
    .contains(&l.as_str())
        || ((l.ends_with("名词解释") || l.ends_with("名词注释")) && clen(&l) <= 30)
    {
        return Some(AnnexKind::Titled);
    }
    None
}

/// What kind of annex heading a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnnexKind {
    /// "附件2": its title usually follows on the next line.
    Marker,
    /// Carries its own name.
    Titled,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salutations() {
        assert!(is_salutation("各位代表："));
        assert!(is_salutation("各位代表！"));
        assert!(is_salutation("各位委员："));
        assert!(is_salutation("同志们："));
        assert!(is_salutation("各位代表、各位委员："));
        assert!(!is_salutation("各位代表！透过2025回望"));
        assert_eq!(salutation_len("各位代表！透过"), Some("各位代表！".len()));
        assert_eq!(salutation_len("各位代表要"), None);
        assert_eq!(salutation_len("同志"), None);
    }

    #[test]
    fn procedural() {
        assert!(is_procedural(
            "现在，我代表省人民政府，向大会报告工作，请予审议，并请省政协委员和其他列席人员提出意见。"
        ));
        assert!(is_procedural(
            "我代表省人民政府，向大会报告工作，请与《规划纲要（草案）》一并审议，并请省政协委员提出意见。"
        ));
        assert!(is_procedural(
            "现在，我受省人民代表大会常务委员会委托，向大会报告工作，请予审议。"
        ));
        assert!(!is_procedural("过去一年，我们坚持以人民为中心。"));
    }

    #[test]
    fn chrome() {
        for m in [
            "下载",
            "打印",
            "【字号：",
            "加大",
            "分享:",
            "打印本页",
            "扫一扫在手机打开当前页",
            "》》点击图片进入专题《《",
            "下载 打印 全屏",
            "【字体：大 中 小】",
        ] {
            assert!(is_menu(m), "{m}");
        }
        assert!(!is_menu("大"));
        assert!(is_weak_menu("大"));
        assert!(!is_menu("下载量增长30%。"));
        assert_eq!(source_line("来源：河南日报"), Some(false));
        assert_eq!(source_line("来源:"), Some(true));
        assert_eq!(source_line("（来源：青海日报）"), Some(false));
        assert_eq!(source_line("责任编辑："), Some(true));
        assert_eq!(source_line("时间：2026-02-03"), Some(false));
        assert_eq!(source_line("来源于群众"), None);
        assert!(is_datetime_only("2026-01-31 07:00:44"));
        assert!(is_datetime_only("2026年02月10日 07时41分"));
        assert!(!is_datetime_only("2026年"));
        for p in [
            "3",
            "- 3 -",
            "—12—",
            "第3页",
            "第3页共10页",
            "3/10",
            "Page 4",
        ] {
            assert!(is_page_number(p), "{p}");
        }
        for p in ["2.5", "2025", "3个", "第三页面"] {
            assert!(!is_page_number(p), "{p}");
        }
        assert!(is_related_marker("相关报道："));
        assert!(is_related_marker("相关链接>>"));
        assert!(!is_related_marker("相关报道显示，经济增长。"));
        assert!(is_caption("殷勇同志作政府工作报告。本报记者 戴冰摄"));
        assert!(is_caption("政府工作报告。 贵州日报天眼新闻记者 李森 摄"));
        assert!(is_breadcrumb("当前位置："));
        assert!(is_breadcrumb("首页 > 要闻 > 正文"));
        assert!(is_toc_line("一、2025年工作回顾……………………3"));
        assert!(is_document_mark("豫政〔2026〕1号"));
        assert!(is_document_mark("（此件公开发布）"));
        assert!(is_document_mark("河南省人民政府办公厅 2026年1月10日印发"));
        assert!(is_document_mark("2026年1月10日"));
        assert!(!is_document_mark("2026年1月10日，省政府召开常务会议。"));
        assert!(is_addressee(
            "各省辖市人民政府，济源示范区管委会，省人民政府各部门："
        ));
        assert!(!is_addressee("主要预期目标是："));
        assert!(!is_toc_line("增长3"));
    }

    #[test]
    fn date_lines() {
        let d = parse_date_line("——2026年1月26日在河南省第十四届人民代表大会第四次会议上").unwrap();
        assert_eq!(d.date.as_deref(), Some("2026年1月26日"));
        assert_eq!(
            d.meeting.as_deref(),
            Some("河南省第十四届人民代表大会第四次会议")
        );
        let d =
            parse_date_line("（2026年1月27日在贵州省第十四届人民代表大会第四次会议上）").unwrap();
        assert_eq!(
            d.meeting.as_deref(),
            Some("贵州省第十四届人民代表大会第四次会议")
        );
        let d = parse_date_line("——二〇二六年一月二十七日在甘肃省十四届人民代表大会第四次会议上")
            .unwrap();
        assert_eq!(d.date.as_deref(), Some("2026年1月27日"));
        let d = parse_date_line(
            "2026年1月27日在陕西省第十四届人民代表大会第四次会议上 陕西省省长 赵刚",
        )
        .unwrap();
        assert_eq!(d.rest, "陕西省省长 赵刚");
        let d = parse_date_line("——2026年1月26日在广东省第十四届").unwrap();
        assert!(d.open);
        assert_eq!(
            date_line_continuation("广东省第十四届", "人民代表大会第五次会议上"),
            Some(("人民代表大会第五次会议".into(), String::new()))
        );
        // A cut inside the word 会议.
        assert_eq!(
            date_line_continuation("河南省第十四届人民代表大会第四次会", "议上"),
            Some(("议".into(), String::new()))
        );
        assert_eq!(date_line_continuation("河南省", "路上"), None);
        assert!(parse_date_line("2026年是“十五五”开局之年。").is_none());
        assert!(parse_date_line("在省委坚强领导下，我们坚持以人民为中心。").is_none());
    }

    #[test]
    fn speakers() {
        assert_eq!(
            parse_speaker("河南省人民政府省长 王凯"),
            Some(("省长".into(), "王凯".into()))
        );
        assert_eq!(
            parse_speaker("上海市市长 龚 正"),
            Some(("市长".into(), "龚正".into()))
        );
        assert_eq!(
            parse_speaker("自治区主席 艾尔肯·吐尼亚孜"),
            Some(("主席".into(), "艾尔肯·吐尼亚孜".into()))
        );
        assert_eq!(
            parse_speaker("区长 张三"),
            Some(("区长".into(), "张三".into()))
        );
        assert_eq!(
            parse_speaker("代省长 李四"),
            Some(("代省长".into(), "李四".into()))
        );
        assert_eq!(parse_speaker("省长赵刚作政府工作报告"), None);
        assert_eq!(
            role_before_name("省长毛伟明作政府工作报告", "毛伟明"),
            Some("省长".into())
        );
    }

    #[test]
    fn titles_and_annexes() {
        assert!(is_title_candidate("2026年河南省政府工作报告"));
        assert!(is_title_candidate("政府工作报告"));
        assert!(is_title_candidate(
            "北关区第十一届人民代表大会第四次会议召开"
        ));
        assert!(!is_title_candidate("下载"));
        assert!(!is_title_candidate("一、2025年工作回顾"));
        assert!(!is_title_candidate("省长赵刚作政府工作报告"));
        assert_eq!(annex_heading("附件2"), Some(AnnexKind::Marker));
        assert_eq!(annex_heading("附件"), Some(AnnexKind::Marker));
        assert_eq!(annex_heading("名词解释"), Some(AnnexKind::Titled));
        assert_eq!(
            annex_heading("《政府工作报告》有关内容名词注释"),
            Some(AnnexKind::Titled)
        );
        assert_eq!(annex_heading("附件下载"), None);
    }
}
