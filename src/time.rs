//! Wall-clock time as people here read it: Unix seconds in, China Standard Time out.
//!
//! Beiguan's residents, staff and admins read every time in China Standard Time (UTC+8, no
//! daylight saving), so every time a person reads is formatted here. Stored times stay Unix
//! seconds. No date library: the civil calendar conversion is a dozen lines.

use std::time::{SystemTime, UNIX_EPOCH};

/// Offset of China Standard Time from UTC, in seconds.
const CST_OFFSET: i64 = 8 * 3600;

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Year, month and day of Unix seconds, in China Standard Time.
fn civil(secs: i64) -> (i64, i64, i64, i64) {
    let local = secs + CST_OFFSET;
    let days = local.div_euclid(86_400);
    let rem = local.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem)
}

/// "2024-05-31 16:00" in China Standard Time.
pub fn format_cst(secs: i64) -> String {
    let (year, month, day, rem) = civil(secs);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// "2024-05-31", the date in China Standard Time.
pub fn date_cst(secs: i64) -> String {
    let (year, month, day, _) = civil(secs);
    format!("{year:04}-{month:02}-{day:02}")
}

/// "2026年12月1日", the date in China Standard Time as people write it.
pub fn date_cn(secs: i64) -> String {
    let (year, month, day, _) = civil(secs);
    format!("{year}年{month}月{day}日")
}

/// The weekday (0 Monday … 6 Sunday) and the minute of the day of Unix seconds, in China
/// Standard Time.
pub fn weekday_minute_cst(secs: i64) -> (u32, u32) {
    let local = secs + CST_OFFSET;
    // 1970-01-01 was a Thursday.
    let weekday = (local.div_euclid(86_400) + 3).rem_euclid(7);
    (weekday as u32, (local.rem_euclid(86_400) / 60) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_and_minutes_are_beijings() {
        // 2026-12-01 was a Tuesday; 01:30 UTC is 09:30 there.
        assert_eq!(weekday_minute_cst(1_796_088_600), (1, 570));
        assert_eq!(date_cn(1_796_088_600), "2026年12月1日");
        // 2026-12-05 20:00 UTC is Sunday 04:00 in Beijing.
        assert_eq!(weekday_minute_cst(1_796_500_800), (6, 240));
    }

    #[test]
    fn formats_in_china_standard_time() {
        // 2024-05-31 08:00 UTC is 16:00 in Beijing; 20:00 UTC is already the next day there.
        assert_eq!(format_cst(1_717_142_400), "2024-05-31 16:00");
        assert_eq!(date_cst(1_717_142_400 + 12 * 3600), "2024-06-01");
        assert_eq!(format_cst(0), "1970-01-01 08:00");
        assert_eq!(date_cst(951_782_400), "2000-02-29");
    }
}
