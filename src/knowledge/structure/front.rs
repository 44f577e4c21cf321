//! Finds a report's front matter among the first units: the title line, the ——date/meeting
//! line, the speaker line and the salutation that opens the speech. Shared by `structure`
//! (which drops these lines from the passages) and `meta` (which reads metadata from them).
//!
//! Rules (general conventions of Chinese reports delivered at a meeting):
//! - The salutation (各位代表： / 各位委员： / 同志们：) opens the body. When it comes within
//!   the first 80 units, before any 一、/（一）/第一部分 heading, and with at most three long
//!   lines before it, everything before it is front matter (web chrome, title, date line,
//!   speaker, photo captions).
//! - The date line is the first line before the body that parses as "——DATE在MEETING上"
//!   (also "（DATE在…上）", "DATE在…上", Chinese-numeral dates, a meeting cut across two lines).
//! - The title is the first title-like line (names 报告/会议/工作…, no sentence punctuation)
//!   before the date line, or before the body when there is no date line.
//! - The speaker is a "ROLE NAME" line after the title (or the rest of the date line); a bare
//!   name right after the date line takes its role from another front line ("省长毛伟明作…").
//!
//! It deliberately does not decide anything after the body starts.

use super::chars::{clen, is_cjk, squeeze, trim};
use super::numbering::{self, Style};
use super::rules;
use super::units::{Unit, UnitKind};

fn is_cjk_or_digit(c: char) -> bool {
    is_cjk(c) || c.is_ascii_digit()
}

/// The date/meeting line as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DateInfo {
    pub date: Option<String>,
    pub year: Option<i32>,
    pub meeting: Option<String>,
    pub loc: usize,
}

/// The speaker as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpeakerInfo {
    pub role: Option<String>,
    pub name: String,
    pub loc: usize,
    pub how: String,
}

/// Front matter of a document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Front {
    /// Units `[0, end)` are front matter, dropped from passages.
    pub end: usize,
    /// Units before `head_end` come before the first 一、/（一）/第一部分 heading (at most the
    /// first 80): repeats of the date line, speaker or captions there are front matter too.
    pub head_end: usize,
    /// Whether `end` was set by a salutation (then every front unit is chrome).
    pub by_salutation: bool,
    pub title: Option<usize>,
    /// The title as written (the unit's text, or its part before a "——date" written on the
    /// same line).
    pub title_text: Option<String>,
    /// Other title-like units in the front (repeats, generic titles).
    pub title_like: Vec<usize>,
    pub date_units: Vec<usize>,
    pub date: Option<DateInfo>,
    pub speaker_unit: Option<usize>,
    pub speaker: Option<SpeakerInfo>,
}

/// A heading-like numbered unit that shows the body has begun.
fn is_body_heading(t: &str) -> bool {
    match numbering::parse(t) {
        Some(m) => matches!(
            m.style,
            Style::Part | Style::Chapter | Style::CnComma | Style::CnParen
        ),
        None => false,
    }
}

fn is_long(t: &str) -> bool {
    clen(t) >= 80
}

/// Find the front matter among the first units.
pub(crate) fn find(units: &[Unit]) -> Front {
    let limit = units.len().min(80);
    // Where the body has certainly begun.
    let stop = body_start(units, limit);
    let salutation = opening_salutation(units, stop);
    let scan = Scan {
        units,
        limit,
        salutation,
        scan_end: salutation.unwrap_or(stop.min(40)),
    };
    let mut f = Front {
        // Only meaningful when a heading was found; a headless news page keeps its text.
        head_end: if stop < limit { stop } else { 0 },
        ..Front::default()
    };
    let combined = scan.date_line(&mut f);
    scan.title(&mut f, combined);
    scan.speaker(&mut f);
    scan.end(&mut f);
    f
}

/// The first of the first `limit` units that is a body heading (一、/（一）/第一部分…) and
/// not a date line; `limit` when there is none.
fn body_start(units: &[Unit], limit: usize) -> usize {
    for (i, u) in units.iter().enumerate().take(limit) {
        let t = trim(&u.text);
        if is_body_heading(t) && rules::parse_date_line(t).is_none() {
            return i;
        }
    }
    limit
}

/// The salutation that opens the body, before unit `stop` and with at most three long
/// lines (other than captions) before it.
fn opening_salutation(units: &[Unit], stop: usize) -> Option<usize> {
    let mut long_before = 0;
    let mut salutation = None;
    for (i, u) in units.iter().enumerate().take(stop) {
        let t = trim(&u.text);
        if rules::salutation_len(t).is_some() {
            salutation = Some(i);
            break;
        }
        if is_long(t) && !rules::is_caption(t) && !rules::is_delivery_caption(t) {
            long_before += 1;
        }
    }
    if long_before > 3 { None } else { salutation }
}

/// A date line in `t`, with the title when both are written on one line
/// ("政府工作报告——2026年1月26日在…会议上").
fn date_in(t: &str) -> Option<(rules::DateLine, Option<String>)> {
    if let Some(d) = rules::parse_date_line(t) {
        return Some((d, None));
    }
    match t.find("——") {
        Some(k) if k > 0 && rules::is_title_candidate(&t[..k]) => {
            let d = rules::parse_date_line(&t[k..])?;
            Some((d, Some(trim(&t[..k]).to_string())))
        }
        _ => None,
    }
}

/// The units to search and where the search stops.
struct Scan<'a> {
    units: &'a [Unit],
    /// The first 80 units at most.
    limit: usize,
    /// The salutation that opens the body.
    salutation: Option<usize>,
    /// The date line, title and speaker are looked for before this unit.
    scan_end: usize,
}

impl Scan<'_> {
    /// The text of unit `i`, trimmed.
    fn text(&self, i: usize) -> &str {
        trim(&self.units[i].text)
    }

    /// Whether unit `i` is next to a breadcrumb separator line (then it is a breadcrumb).
    fn adjacent_sep(&self, i: usize) -> bool {
        let units = self.units;
        (i > 0 && rules::is_breadcrumb_sep(&units[i - 1].text))
            || (i + 1 < units.len() && rules::is_breadcrumb_sep(&units[i + 1].text))
    }

    /// Whether unit `i` is a title-like line (not a breadcrumb).
    fn is_title_at(&self, i: usize) -> bool {
        rules::is_title_candidate(self.text(i)) && !self.adjacent_sep(i)
    }

    /// Find the date line (possibly cut across two units) and a speaker written after it.
    /// Returns the unit and title text when the title is on the date line.
    fn date_line(&self, f: &mut Front) -> Option<(usize, String)> {
        let units = self.units;
        for i in 0..self.scan_end {
            let Some((d, title)) = date_in(self.text(i)) else {
                continue;
            };
            let mut meeting = d.meeting.clone();
            let mut units_used = vec![i];
            let mut rest = d.rest.clone();
            if d.open
                && i + 1 < units.len()
                && let Some((tail, r)) = rules::date_line_continuation(
                    meeting.as_deref().unwrap_or_default(),
                    &units[i + 1].text,
                )
            {
                meeting = Some(format!("{}{}", meeting.unwrap_or_default(), tail));
                units_used.push(i + 1);
                rest = r;
            }
            // A cut line with no continuation keeps what there is.
            f.date = Some(DateInfo {
                date: d.date.clone(),
                year: d.year,
                meeting,
                loc: units[i].loc,
            });
            f.date_units = units_used;
            if !rest.is_empty()
                && let Some((role, name)) = rules::parse_speaker(&rest)
            {
                f.speaker = Some(SpeakerInfo {
                    role: Some(role),
                    name,
                    loc: units[i].loc,
                    how: "date line".to_string(),
                });
                f.speaker_unit = None;
            }
            return title.map(|t| (i, t));
        }
        None
    }

    /// Where the title is looked for first: before the date line, or before the body.
    fn title_end(&self, f: &Front) -> usize {
        f.date_units.first().copied().unwrap_or(self.scan_end)
    }

    /// Find the title and the other title-like units of the front. `combined` is the title
    /// written on the date line, if any.
    fn title(&self, f: &mut Front, combined: Option<(usize, String)>) {
        let title_end = self.title_end(f);
        self.first_title(f, title_end);
        if let Some((i, text)) = combined
            && f.title.is_none()
        {
            f.title = Some(i);
            f.title_text = Some(text);
        }
        if f.title.is_none() && !f.date_units.is_empty() {
            // A title after the date line is unusual but possible (some PDF covers).
            f.title = (title_end..self.scan_end).find(|&i| self.is_title_at(i));
        }
        if f.title_text.is_none() {
            f.title_text = f.title.map(|i| self.text(i).to_string());
        }
        self.rejoin_broken_title(f);
        // Repeats of title-like lines further down the front.
        for i in title_end..self.scan_end {
            if Some(i) != f.title && !f.date_units.contains(&i) && self.is_title_at(i) {
                f.title_like.push(i);
            }
        }
    }

    /// The first title-like unit before `title_end`; a later, fuller form of the same title
    /// ("政府工作报告" as a running header, then "2026年河南省政府工作报告") replaces it.
    fn first_title(&self, f: &mut Front, title_end: usize) {
        for i in 0..title_end {
            if !self.is_title_at(i) {
                continue;
            }
            let t = self.text(i);
            match f.title {
                None => f.title = Some(i),
                Some(j) if clen(t) > clen(self.text(j)) && t.contains(self.text(j)) => {
                    f.title_like.push(j);
                    f.title = Some(i);
                }
                Some(_) => f.title_like.push(i),
            }
        }
    }

    /// Rejoin a PDF title broken after its year or place: "2026年河南省" / "政府工作报告".
    fn rejoin_broken_title(&self, f: &mut Front) {
        let units = self.units;
        if let (Some(i), Some(t)) = (f.title, f.title_text.clone())
            && i > 0
            && units[i].kind == UnitKind::Lines
            && units[i - 1].kind == UnitKind::Lines
            && units[i - 1].page == units[i].page
        {
            let prev = self.text(i - 1);
            let breaks_title = clen(prev) <= 20
                && prev.chars().all(is_cjk_or_digit)
                && (prev.ends_with('年')
                    || prev.ends_with(['省', '市', '区', '县', '州', '盟', '旗']));
            let joined = format!("{prev}{t}");
            if breaks_title && rules::is_title_candidate(&joined) {
                f.title_like.push(i - 1);
                f.title_text = Some(joined);
            }
        }
    }

    /// Find the speaker when the date line did not name one: a "ROLE NAME" line after the
    /// title, else a bare name right after the date line.
    fn speaker(&self, f: &mut Front) {
        if f.speaker.is_none() {
            self.speaker_line(f);
        }
        if f.speaker.is_none()
            && let Some(&last_date) = f.date_units.last()
        {
            self.bare_name(f, last_date);
        }
    }

    /// A "ROLE NAME" line after the title (near the date line when there is no salutation).
    fn speaker_line(&self, f: &mut Front) {
        let units = self.units;
        let from = f.title.map_or(0, |t| t + 1);
        let to = if self.salutation.is_some() {
            self.scan_end
        } else {
            let date_at = f.date_units.first().copied();
            (date_at.map_or(from, |d| d + 1) + 4)
                .min(self.scan_end.max(from))
                .min(units.len())
        };
        for (i, u) in units.iter().enumerate().take(to).skip(from) {
            if f.date_units.contains(&i) {
                continue;
            }
            if let Some((role, name)) = rules::parse_speaker(&u.text) {
                f.speaker = Some(SpeakerInfo {
                    role: Some(role),
                    name,
                    loc: u.loc,
                    how: "speaker line".to_string(),
                });
                f.speaker_unit = Some(i);
                return;
            }
        }
    }

    /// A bare name among the first three lines after the date line (source/time lines may
    /// come between), its role taken from another front line ("省长毛伟明作…").
    fn bare_name(&self, f: &mut Front, last_date: usize) {
        let units = self.units;
        let mut looked = 0;
        let mut i = last_date + 1;
        while i < units.len().min(self.scan_end.max(last_date + 1)) && looked < 3 {
            let t = self.text(i);
            i += 1;
            if rules::source_line(t).is_some() || rules::is_datetime_only(t) || rules::is_menu(t) {
                continue;
            }
            looked += 1;
            let q = squeeze(t);
            if rules::is_name(&q)
                && !rules::is_breadcrumb(&q)
                && q.chars().all(|c| is_cjk(c) || c == '·')
            {
                let (role, how) = self.role_of(&q);
                f.speaker = Some(SpeakerInfo {
                    role,
                    name: q,
                    loc: units[i - 1].loc,
                    how,
                });
                f.speaker_unit = Some(i - 1);
                return;
            }
        }
    }

    /// The role written before `name` on a front line, and how it was found.
    fn role_of(&self, name: &str) -> (Option<String>, String) {
        for u in self.units.iter().take(self.scan_end) {
            if let Some(r) = rules::role_before_name(&u.text, name) {
                return (Some(r), format!("name line, role from line {}", u.loc));
            }
        }
        (None, "name line".to_string())
    }

    /// Where the front ends: at the salutation, else after the title/date/speaker lines and
    /// the captions and source lines right after them.
    fn end(&self, f: &mut Front) {
        if let Some(s) = self.salutation {
            f.end = s;
            f.by_salutation = true;
            return;
        }
        let units = self.units;
        let mut end = 0;
        for i in f
            .title
            .iter()
            .chain(f.date_units.iter())
            .chain(f.speaker_unit.iter())
        {
            end = end.max(i + 1);
        }
        let mut end = end.min(units.len());
        // Captions and source lines right after the date/speaker lines of a speech still
        // belong to the front (not after a news headline: its first lines are the story).
        let speech = f.date.is_some() || f.speaker.is_some();
        while speech && end > 0 && end < units.len().min(self.limit) {
            let t = self.text(end);
            let chrome = rules::is_delivery_caption(t) && !rules::is_procedural(t)
                || rules::is_caption(t)
                || rules::source_line(t).is_some()
                || rules::is_datetime_only(t)
                || rules::is_menu(t);
            if !chrome {
                break;
            }
            end += 1;
        }
        f.end = end;
    }
}
