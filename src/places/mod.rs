//! Places: a general gazetteer of China's provincial and prefecture-level divisions (and the
//! county-level units a province administers directly), and finding the places a text names.
//!
//! The data (`gazetteer.tsv`, `county-level-direct.tsv`, divisions as of 2024) gives each
//! place its full name (四川省), level, province, its short forms (四川), its one-character
//! abbreviations (川, 蜀) and the forms that are also ordinary words or other places (吉, 海南),
//! which count only with context. [`Gazetteer::mentions`] reads a text the way people write
//! places: full names, short forms, nicknames (申城), abbreviations in context (咱川, 沪上,
//! 在鄂, 京津冀). What a place means relative to where someone lives (省里, 咱区) is the
//! caller's, who knows the home area. A leaf: no I/O (the data is compiled in), no other
//! module of the crate.

use std::collections::HashMap;
use std::sync::OnceLock;

const GAZETTEER: &str = include_str!("gazetteer.tsv");
const DIRECT: &str = include_str!("county-level-direct.tsv");

/// The level of an administrative area, as far as answering needs it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Level {
    /// A province, autonomous region, municipality or SAR (省 / 自治区 / 直辖市 / 特别行政区).
    Province,
    /// A prefecture-level city, prefecture, autonomous prefecture or league (市 / 州 / 盟).
    Prefecture,
    /// A district, county or county-level city (区 / 县).
    County,
}

impl Level {
    /// The level a front matter or the data names (省, 自治区, 直辖市, 市, 州, 盟, 地区, 区,
    /// 县, 县级市, or the English names).
    pub fn parse(text: &str) -> Option<Level> {
        match text.trim() {
            "省" | "自治区" | "直辖市" | "特别行政区" | "province" => {
                Some(Level::Province)
            }
            "市" | "地级市" | "州" | "自治州" | "盟" | "地区" | "prefecture" => {
                Some(Level::Prefecture)
            }
            "区" | "县" | "区县" | "县级市" | "自治县" | "林区" | "旗" | "county" | "district" => {
                Some(Level::County)
            }
            _ => None,
        }
    }

    /// What the level is called in a reply: 省, 市, 区县.
    pub fn name(self) -> &'static str {
        match self {
            Level::Province => "省",
            Level::Prefecture => "市",
            Level::County => "区县",
        }
    }

    /// The level of an area by its name's suffix (河南省, 安阳市, 北关区); a municipality
    /// (北京市, 上海市, 天津市, 重庆市) is provincial.
    pub fn of_name(name: &str) -> Option<Level> {
        if let Some(p) = gazetteer().get(name) {
            return Some(p.level);
        }
        let last = name.chars().last()?;
        match last {
            '省' => Some(Level::Province),
            '区' if name.ends_with("自治区") => Some(Level::Province),
            '市' | '州' | '盟' => Some(Level::Prefecture),
            '区' | '县' | '旗' => Some(Level::County),
            _ => None,
        }
    }
}

/// One place of the gazetteer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Its official full name: 四川省, 成都市, 延边朝鲜族自治州.
    pub name: String,
    pub level: Level,
    /// The province it belongs to (None for a province).
    pub province: Option<String>,
    /// Short forms people write: 四川, 成都, 延边.
    pub short: Vec<String>,
    /// One-character abbreviations (简称): 川, 蜀.
    pub abbr: Vec<String>,
    /// Forms that are also ordinary words or other places: counted only with context.
    pub ambiguous: Vec<String>,
}

/// How a text named a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Its full name (四川省).
    Full,
    /// A short form or nickname (四川, 蓉城).
    Short,
    /// A one-character abbreviation, in context (咱川, 沪上).
    Abbreviation,
}

/// A place named in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The place's full name.
    pub name: String,
    pub level: Level,
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    pub form: Form,
}

/// Every place, and every form that names one.
#[derive(Debug)]
pub struct Gazetteer {
    places: Vec<Place>,
    /// Form -> (place index, how it names it), longest forms first per first character.
    forms: HashMap<char, Vec<(String, usize, Form)>>,
    by_name: HashMap<String, usize>,
}

/// What one line of the data says.
fn parse_line(line: &str) -> Option<Place> {
    let cols: Vec<&str> = line.split('\t').collect();
    let list = |i: usize| -> Vec<String> {
        cols.get(i)
            .map(|c| {
                c.split('|')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let name = cols.first()?.trim();
    let level = Level::parse(cols.get(1)?)?;
    Some(Place {
        name: name.to_owned(),
        level,
        province: cols
            .get(2)
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
        short: list(3),
        abbr: list(4),
        ambiguous: list(5),
    })
}

impl Gazetteer {
    fn parse(data: &[&str]) -> Gazetteer {
        let places: Vec<Place> = data
            .iter()
            .flat_map(|d| d.lines().skip(1))
            .filter(|l| !l.trim().is_empty())
            .filter_map(parse_line)
            .collect();
        let mut forms: HashMap<char, Vec<(String, usize, Form)>> = HashMap::new();
        let mut by_name = HashMap::new();
        for (i, p) in places.iter().enumerate() {
            by_name.insert(p.name.clone(), i);
            let named = std::iter::once((p.name.clone(), Form::Full))
                .chain(p.short.iter().map(|s| (s.clone(), Form::Short)))
                .chain(p.abbr.iter().map(|a| (a.clone(), Form::Abbreviation)));
            for (form, how) in named {
                if let Some(c) = form.chars().next() {
                    forms.entry(c).or_default().push((form, i, how));
                }
            }
        }
        for list in forms.values_mut() {
            list.sort_by_key(|(f, i, _)| (std::cmp::Reverse(f.chars().count()), places[*i].level));
        }
        Gazetteer {
            places,
            forms,
            by_name,
        }
    }

    /// The place of this full name.
    pub fn get(&self, name: &str) -> Option<&Place> {
        self.by_name.get(name).map(|&i| &self.places[i])
    }

    /// The place a single form names on its own (a full name, or a short form no other
    /// place shares; a shared one names the higher level): 四川 -> 四川省, 吉林 -> 吉林省.
    pub fn resolve(&self, form: &str) -> Option<&Place> {
        if let Some(p) = self.get(form) {
            return Some(p);
        }
        let first = form.chars().next()?;
        self.forms
            .get(&first)?
            .iter()
            .filter(|(f, _, how)| f == form && *how != Form::Abbreviation)
            .map(|(_, i, _)| &self.places[*i])
            .min_by_key(|p| p.level)
    }

    /// The province an area belongs to (itself for a province), when the gazetteer knows it.
    pub fn province_of(&self, name: &str) -> Option<&str> {
        let p = self.get(name)?;
        match p.level {
            Level::Province => Some(&p.name),
            _ => p.province.as_deref(),
        }
    }

    /// Every place of a level.
    pub fn of_level(&self, level: Level) -> impl Iterator<Item = &Place> {
        self.places.iter().filter(move |p| p.level == level)
    }

    /// The places `text` names, left to right, the longest form winning where two overlap.
    pub fn mentions(&self, text: &str) -> Vec<Mention> {
        let mut out = Vec::new();
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut i = 0;
        while i < chars.len() {
            let (start, c) = chars[i];
            let found = self.forms.get(&c).and_then(|list| {
                list.iter().find(|(form, place, how)| {
                    text[start..].starts_with(form.as_str())
                        && self.counts(text, start, form, &self.places[*place], *how)
                })
            });
            match found {
                Some((form, place, how)) => {
                    let p = &self.places[*place];
                    out.push(Mention {
                        name: p.name.clone(),
                        level: p.level,
                        start,
                        end: start + form.len(),
                        form: *how,
                    });
                    i += form.chars().count();
                }
                None => i += 1,
            }
        }
        out
    }

    /// Whether `form` at `start` of `text` names `place`: always for a full name; for an
    /// ambiguous form or a one-character abbreviation only with context around it.
    fn counts(&self, text: &str, start: usize, form: &str, place: &Place, how: Form) -> bool {
        let ambiguous = place.ambiguous.iter().any(|a| a == form);
        if how == Form::Full || (how == Form::Short && !ambiguous) {
            return true;
        }
        let before = text[..start].chars().next_back();
        let after = text[start + form.len()..].chars().next();
        // 咱川, 在鄂, 回豫, 来沪: a person's own place, or going to or being in one.
        let marks_place = before.is_some_and(|b| "咱俺在来回赴入留返进到离驻援".contains(b));
        // 沪上, 京城, 川里, 鄂籍: the abbreviation made a word for the place.
        let made_place = after.is_some_and(|a| "城上里地籍".contains(a));
        match how {
            Form::Abbreviation if place.level == Level::Province => {
                marks_place || made_place || self.in_abbreviation_run(text, start)
            }
            Form::Abbreviation => false,
            // An ambiguous short form (海南, 吉林) names a place with its suffix or in context.
            _ => marks_place || after.is_some_and(|a| "省市州".contains(a)),
        }
    }

    /// Whether the character is a province's one-character abbreviation, and whether that
    /// abbreviation is ambiguous: None when it is not one.
    fn province_abbr(&self, c: char) -> Option<bool> {
        let list = self.forms.get(&c)?;
        let (f, i, _) = list.iter().find(|(f, i, how)| {
            *how == Form::Abbreviation
                && f.chars().count() == 1
                && self.places[*i].level == Level::Province
        })?;
        Some(self.places[*i].ambiguous.contains(f))
    }

    /// Whether the abbreviation at `start` stands in a run of province abbreviations (京津冀,
    /// 川渝, 粤港澳) of which at least one is unambiguous (苏宁 is a company, not two places).
    fn in_abbreviation_run(&self, text: &str, start: usize) -> bool {
        let before: Vec<char> = text[..start].chars().rev().collect();
        let after: Vec<char> = text[start..].chars().collect();
        let mut run: Vec<bool> = Vec::new();
        for c in before.iter() {
            match self.province_abbr(*c) {
                Some(amb) => run.push(amb),
                None => break,
            }
        }
        for c in after.iter() {
            match self.province_abbr(*c) {
                Some(amb) => run.push(amb),
                None => break,
            }
        }
        run.len() >= 2 && run.iter().any(|amb| !amb)
    }
}

/// The gazetteer, parsed once.
pub fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| Gazetteer::parse(&[GAZETTEER, DIRECT]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        gazetteer()
            .mentions(text)
            .into_iter()
            .map(|m| m.name)
            .collect()
    }

    #[test]
    fn the_data_is_whole() {
        let g = gazetteer();
        assert_eq!(g.of_level(Level::Province).count(), 34);
        assert!(g.of_level(Level::Prefecture).count() >= 333);
        assert_eq!(g.province_of("安阳市"), Some("河南省"));
        assert_eq!(g.province_of("上海市"), Some("上海市"));
        assert_eq!(g.resolve("四川").map(|p| p.name.as_str()), Some("四川省"));
        assert_eq!(g.resolve("吉林").map(|p| p.name.as_str()), Some("吉林省"));
        assert_eq!(Level::of_name("上海市"), Some(Level::Province));
        assert_eq!(Level::of_name("北关区"), Some(Level::County));
        assert_eq!(Level::of_name("安阳市"), Some(Level::Prefecture));
    }

    #[test]
    fn places_are_read_as_people_write_them() {
        assert_eq!(names("四川省今年的目标"), ["四川省"]);
        assert_eq!(names("咱川今年能多招工不"), ["四川省"]);
        assert_eq!(names("川里今年要办哪些赛事"), ["四川省"]);
        assert_eq!(names("阿拉上海今年"), ["上海市"]);
        assert_eq!(names("沪上今年开工哪条线"), ["上海市"]);
        assert_eq!(names("京城今年老楼加装电梯"), ["北京市"]);
        assert_eq!(
            names("以前在鄂读过大学的校友回湖北创业"),
            ["湖北省", "湖北省"]
        );
        assert_eq!(names("京津冀协同发展"), ["北京市", "天津市", "河北省"]);
        assert_eq!(names("杭州市今年经济增长目标"), ["杭州市"]);
        assert_eq!(names("成都今年"), ["成都市"]);
        // Abbreviations and ambiguous forms need context.
        assert!(names("苏宁电器").is_empty(), "{:?}", names("苏宁电器"));
        assert!(names("一川烟草").is_empty(), "{:?}", names("一川烟草"));
        assert!(names("吉祥如意").is_empty());
        assert!(
            names("今年新开工项目").is_empty(),
            "{:?}",
            names("今年新开工项目")
        );
        assert_eq!(names("海南省"), ["海南省"]);
    }
}
