//! How pages write times: `2026-12-03 14:05 UTC`, and ages in days.

use time::OffsetDateTime;

pub fn date(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

pub fn ago(t: Option<OffsetDateTime>, now: OffsetDateTime, never: &str) -> String {
    match t {
        None => never.into(),
        Some(t) => match (now - t).whole_days() {
            0 => "Today".into(),
            1 => "1 day".into(),
            d => format!("{d} days"),
        },
    }
}

/// ISO 8601 in UTC to the second, ending in `zone` (`Z` in AWS's XML, `+00:00` in its
/// credential report).
pub fn iso8601(t: OffsetDateTime, zone: &str) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `HH:MM UTC`, for the end of a role session.
pub fn clock_time(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| format!("{:02}:{:02} UTC", t.hour(), t.minute()))
        .unwrap_or_default()
}
