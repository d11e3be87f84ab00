//! Dates as the Date operators read them: ISO 8601 or epoch seconds, to milliseconds.
//!
//! The engine never reads the clock: `aws:CurrentTime` and `aws:EpochTime` come in with
//! the request, so decisions are reproducible and testable without sleeping.

/// Milliseconds since 1970-01-01T00:00:00Z, or `None` if the text is not a date.
pub fn parse_date_millis(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        if let Some(millis) = parse_epoch(text) {
            return Some(millis);
        }
    }
    parse_iso(text)
}

/// Whether IAM's legacy parser accepts `text` as a Date condition value: whole epoch
/// seconds, or an ISO 8601 shape with its fields in range (`2019`, `2019-07`,
/// `2019-07-01T10:00:00.5Z`). It refuses what is no date at all (`yesterday`, `234-13`);
/// an accepted value the engine cannot read never matches, and lint says so.
pub fn aws_accepts_date(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if !lower.contains('t') && !lower.contains('-') {
        return !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit())
            && text.parse::<i64>().is_ok();
    }
    let (date, time) = lower.split_once('t').unwrap_or((&lower, ""));
    let in_range = |part: &str, low: i64, high: i64| {
        !part.is_empty()
            && part.bytes().all(|b| b.is_ascii_digit())
            && part.parse::<i64>().is_ok_and(|n| (low..=high).contains(&n))
    };
    let (negative, date) = match date.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, date),
    };
    let fields: Vec<&str> = date.split('-').collect();
    let year_ok = fields
        .first()
        .is_some_and(|y| in_range(y, 0, 292_278_993) && (!negative || in_range(y, 0, 292_275_054)));
    let date_ok = year_ok
        && fields.len() < 4
        && fields.get(1).is_none_or(|m| in_range(m, 1, 12))
        && fields.get(2).is_none_or(|d| in_range(d, 1, 31));
    if !date_ok {
        return false;
    }
    if time.is_empty() {
        return true;
    }
    // Seconds may carry a fraction and a zone: `Z`, `+hh[:mm]` or `-hh[:mm]`.
    let (clock, zone) = match time.find(['z', '+', '-']) {
        Some(at) => time.split_at(at),
        None => (time, ""),
    };
    let zone_ok = match zone.as_bytes().first() {
        None => true,
        Some(b'z') => zone.len() == 1,
        Some(_) => {
            let offset = zone.get(1..).unwrap_or_default();
            let (hours, minutes) = offset.split_once(':').unwrap_or((offset, "00"));
            hours.len() == 2
                && in_range(hours, 0, 23)
                && minutes.len() == 2
                && in_range(minutes, 0, 59)
        }
    };
    let mut parts = clock.split(':');
    let hours_ok = parts
        .next()
        .is_none_or(|h| h.is_empty() || in_range(h, 0, 23));
    let minutes_ok = parts.next().is_none_or(|m| in_range(m, 0, 59));
    let seconds_ok = parts.next().is_none_or(|s| {
        let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
        in_range(whole, 0, 59) && in_range(fraction, 0, 999_999_999)
    });
    zone_ok && hours_ok && minutes_ok && seconds_ok && parts.next().is_none()
}

fn parse_epoch(text: &str) -> Option<i64> {
    // `2020-01-01` is all digits and dashes too: epoch seconds have no inner dash.
    if text.get(1..)?.contains('-') {
        return None;
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    let seconds: i64 = whole.parse().ok()?;
    let mut millis = 0i64;
    for (i, digit) in fraction.bytes().take(3).enumerate() {
        if !digit.is_ascii_digit() {
            return None;
        }
        millis += i64::from(digit - b'0') * [100, 10, 1].get(i).copied().unwrap_or(0);
    }
    seconds.checked_mul(1000)?.checked_add(millis)
}

fn number(text: &str, range: std::ops::Range<usize>) -> Option<i64> {
    let part = text.get(range)?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

fn parse_iso(text: &str) -> Option<i64> {
    let year = number(text, 0..4)?;
    if text.get(4..5)? != "-" || text.get(7..8)? != "-" {
        return None;
    }
    let month = number(text, 5..7)?;
    let day = number(text, 8..10)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut millis = days_from_civil(year, month, day) * 86_400_000;
    let rest = text.get(10..)?;
    if rest.is_empty() {
        return Some(millis);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let hour = number(rest, 0..2)?;
    if rest.get(2..3)? != ":" {
        return None;
    }
    let minute = number(rest, 3..5)?;
    let mut rest = rest.get(5..)?;
    let mut second = 0;
    if let Some(after) = rest.strip_prefix(':') {
        second = number(after, 0..2)?;
        rest = after.get(2..)?;
        if let Some(after) = rest.strip_prefix(['.', ',']) {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let fraction = after.get(..digits.min(3))?;
            let scale = [100, 10, 1];
            for (i, d) in fraction.bytes().enumerate() {
                millis += i64::from(d - b'0') * scale.get(i).copied().unwrap_or(0);
            }
            rest = after.get(digits..)?;
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    millis += (hour * 3600 + minute * 60 + second) * 1000;
    let offset_minutes = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let zone = rest.get(1..)?;
            let (h, m) = match zone.len() {
                5 if zone.get(2..3)? == ":" => (number(zone, 0..2)?, number(zone, 3..5)?),
                4 => (number(zone, 0..2)?, number(zone, 2..4)?),
                2 => (number(zone, 0..2)?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 60 + m)
        }
    };
    Some(millis - offset_minutes * 60_000)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats epoch milliseconds as `YYYY-MM-DDThh:mm:ssZ` (for `aws:CurrentTime`).
pub fn format_iso(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Inverse of days_from_civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_and_epoch() {
        assert_eq!(parse_date_millis("1970-01-01"), Some(0));
        assert_eq!(
            parse_date_millis("2020-01-01T00:00:00Z"),
            Some(1_577_836_800_000)
        );
        assert_eq!(parse_date_millis("1577836800"), Some(1_577_836_800_000));
        assert_eq!(
            parse_date_millis("2020-01-01T01:00:00+01:00"),
            Some(1_577_836_800_000)
        );
        assert_eq!(
            parse_date_millis("2020-01-01T00:00:00.250Z"),
            Some(1_577_836_800_250)
        );
        assert_eq!(parse_date_millis("2024-02-29"), Some(1_709_164_800_000));
        for bad in [
            "2023-02-29",
            "2020-13-01",
            "yesterday",
            "2020-01-01T25:00Z",
            "",
        ] {
            assert_eq!(parse_date_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_back() {
        assert_eq!(format_iso(1_577_836_800_000), "2020-01-01T00:00:00Z");
        assert_eq!(format_iso(1_709_164_800_000), "2024-02-29T00:00:00Z");
    }
}
