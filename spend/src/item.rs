//! One line of a bill, in FOCUS terms, and the rules a value must pass to be one.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// An exact decimal amount as its canonical text: money is never a float here. The
/// database stores and sums it as `NUMERIC`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount(String);

impl Amount {
    pub fn zero() -> Amount {
        Amount("0".to_string())
    }

    /// Parses a plain or exponent decimal (`12.5`, `-0.0000004`, `1E-7`); at most 38
    /// significant digits, as billing tools emit.
    pub fn parse(text: &str) -> Option<Amount> {
        let mut amount = Amount(String::new());
        amount.parse_into(text).then_some(amount)
    }

    /// [`Amount::parse`] over `self`, reusing its memory; `false` (and `self`
    /// unspecified) when `text` is not an amount.
    pub fn parse_into(&mut self, text: &str) -> bool {
        let text = trim(text);
        let unsigned = text
            .strip_prefix('-')
            .or_else(|| text.strip_prefix('+'))
            .unwrap_or(text);
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => match (unsigned.get(..at), unsigned.get(at + 1..)) {
                (Some(mantissa), Some(exponent)) => (mantissa, Some(exponent)),
                _ => return false,
            },
            None => (unsigned, None),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = whole.len() + fraction.len();
        if digits == 0
            || digits > 60
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return false;
        }
        if let Some(exponent) = exponent {
            let e = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if e.is_empty() || e.len() > 3 || !e.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
        }
        let negative =
            text.starts_with('-') && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
        self.0.clear();
        if negative {
            self.0.push('-');
        }
        self.0.push_str(unsigned);
        true
    }

    /// `other`'s value, in `self`'s memory (a derived `clone_from` allocates).
    pub fn set_to(&mut self, other: &Amount) {
        self.0.clone_from(&other.0);
    }

    /// Zero, in `self`'s memory.
    pub fn set_zero(&mut self) {
        self.0.clear();
        self.0.push('0');
    }

    pub fn is_negative(&self) -> bool {
        self.0.starts_with('-')
    }

    pub fn is_zero(&self) -> bool {
        let mantissa = self.0.split(['e', 'E']).next().unwrap_or_default();
        !mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A line item's tags as the file wrote them (keys with their stray spaces, values as
/// JSON values, which FOCUS allows to be booleans or numbers). Shared: every row of a
/// resource carries the same ones, and a reader hands out one set for them all, so
/// their JSON (part of the cost key) is written once per set, not once per row.
pub type Tags = Arc<TagSet>;

/// Tags, read as a map, and their JSON once asked for.
#[derive(Debug, Default)]
pub struct TagSet {
    map: BTreeMap<String, serde_json::Value>,
    json: OnceLock<String>,
}

impl TagSet {
    pub fn new(map: BTreeMap<String, serde_json::Value>) -> TagSet {
        TagSet {
            map,
            json: OnceLock::new(),
        }
    }

    /// The tags as a JSON object with sorted keys, in the file's own spelling.
    pub fn json(&self) -> &str {
        self.json
            .get_or_init(|| serde_json::to_string(&self.map).unwrap_or_else(|_| "{}".to_string()))
    }
}

impl std::ops::Deref for TagSet {
    type Target = BTreeMap<String, serde_json::Value>;

    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

/// Equal tags are equal sets, whether or not their JSON was written yet.
impl PartialEq for TagSet {
    fn eq(&self, other: &TagSet) -> bool {
        self.map == other.map
    }
}

/// A line item with the FOCUS columns Portcullis allocates, reports and exports.
#[derive(Debug, Clone, PartialEq)]
pub struct LineItem {
    pub billing_account_id: String,
    pub billing_account_name: String,
    pub billing_period_start: Date,
    pub charge_period_start: OffsetDateTime,
    pub charge_period_end: OffsetDateTime,
    pub charge_category: String,
    pub charge_description: String,
    pub billed_cost: Amount,
    pub effective_cost: Amount,
    pub list_cost: Amount,
    pub currency: String,
    pub provider: String,
    pub service_name: String,
    pub service_category: String,
    pub region_id: String,
    pub availability_zone: String,
    pub sub_account_id: String,
    pub sub_account_name: String,
    pub resource_id: String,
    pub resource_name: String,
    pub pricing_quantity: Option<Amount>,
    pub pricing_unit: String,
    pub tags: Tags,
}

/// The tag naming the principal that created a resource, as AWS writes it.
pub const CREATED_BY_TAG: &str = "aws:createdBy";

impl LineItem {
    /// An item with nothing in it yet: room that [`crate::Reader::next_item_into`]
    /// fills, reusing its strings' memory row after row.
    pub fn unfilled() -> LineItem {
        let epoch = OffsetDateTime::UNIX_EPOCH;
        LineItem {
            billing_account_id: String::new(),
            billing_account_name: String::new(),
            billing_period_start: epoch.date(),
            charge_period_start: epoch,
            charge_period_end: epoch,
            charge_category: String::new(),
            charge_description: String::new(),
            billed_cost: Amount(String::new()),
            effective_cost: Amount(String::new()),
            list_cost: Amount(String::new()),
            currency: String::new(),
            provider: String::new(),
            service_name: String::new(),
            service_category: String::new(),
            region_id: String::new(),
            availability_zone: String::new(),
            sub_account_id: String::new(),
            sub_account_name: String::new(),
            resource_id: String::new(),
            resource_name: String::new(),
            pricing_quantity: None,
            pricing_unit: String::new(),
            tags: Tags::default(),
        }
    }

    /// The tags as a JSON object, in the file's own spelling.
    pub fn tags_json(&self) -> &str {
        self.tags.json()
    }

    /// The value of the `aws:createdBy` tag, found as matching finds tags.
    pub fn created_by(&self) -> Option<String> {
        self.tags
            .iter()
            .find(|(k, _)| tag_key_matches(k, CREATED_BY_TAG))
            .map(|(_, v)| tag_value_text(v))
    }
}

/// Tag keys match after trimming, ignoring case and CUR's `user:` prefix, so
/// ` org`, `Org` and `user:org` are one key; the stored key keeps its spelling.
pub fn normalise_tag_key(key: &str) -> String {
    let key = key.trim();
    let lower = key.to_ascii_lowercase();
    match lower.strip_prefix("user:") {
        Some(rest) => rest.trim().to_string(),
        None => lower,
    }
}

pub fn tag_key_matches(stored: &str, wanted: &str) -> bool {
    normalise_tag_key(stored) == normalise_tag_key(wanted)
}

/// A tag value as text for matching: strings trimmed, other JSON values as written.
pub fn tag_value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Parses the date-times billing exports write: `2024-09-01 00:00:00`,
/// `2024-09-01T00:00:00Z`, with fractions or an offset, or a bare date. A time
/// without an offset is UTC, as FOCUS requires.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    let text = trim(text);
    let date = parse_date(text.get(..10)?)?;
    let rest = text.get(10..)?;
    if rest.is_empty() {
        return Some(PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc());
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (clock, offset) = split_offset(rest)?;
    // The usual `HH:MM:SS` read at once (three per row; splitting was a tenth of it).
    if let [h1, h2, b':', m1, m2, b':', s1, s2] = *clock.as_bytes() {
        let hms = (digits(&[h1, h2])?, digits(&[m1, m2])?, digits(&[s1, s2])?);
        let time = Time::from_hms(hms.0 as u8, hms.1 as u8, hms.2 as u8).ok()?;
        return Some(PrimitiveDateTime::new(date, time).assume_offset(offset));
    }
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = hms.split(':');
    let hour: u8 = number(parts.next()?)?;
    let minute: u8 = number(parts.next().unwrap_or("0"))?;
    let second: u8 = number(parts.next().unwrap_or("0"))?;
    if parts.next().is_some() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos = if fraction.is_empty() {
        0
    } else {
        let digits: String = fraction
            .chars()
            .chain(std::iter::repeat('0'))
            .take(9)
            .collect();
        digits.parse::<u32>().ok()?
    };
    let time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

fn split_offset(rest: &str) -> Option<(&str, UtcOffset)> {
    if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        return Some((clock, UtcOffset::UTC));
    }
    if let Some(at) = rest.rfind(['+', '-']) {
        let (clock, offset) = rest.split_at(at);
        let sign: i8 = if offset.starts_with('-') { -1 } else { 1 };
        let digits = offset.get(1..)?.replace(':', "");
        if digits.len() != 4 {
            return None;
        }
        let hours: i8 = number(digits.get(..2)?)?;
        let minutes: i8 = number(digits.get(2..)?)?;
        let offset = UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?;
        return Some((clock, offset));
    }
    Some((rest, UtcOffset::UTC))
}

/// `str::trim`, answering at once for the usual value with no space at either end
/// (readers trim every field of every row).
pub fn trim(value: &str) -> &str {
    match (value.as_bytes().first(), value.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => value,
        _ => value.trim(),
    }
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<Date> {
    let (year, month, day) = match *text.as_bytes() {
        // The usual `YYYY-MM-DD` read at once.
        [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] => (
            digits(&[y1, y2, y3, y4])? as i32,
            digits(&[m1, m2])? as u8,
            digits(&[d1, d2])? as u8,
        ),
        _ => {
            let mut parts = text.split('-');
            let year: i32 = number(parts.next()?)?;
            let month: u8 = number(parts.next()?)?;
            let day: u8 = number(parts.next()?)?;
            if parts.next().is_some() {
                return None;
            }
            (year, month, day)
        }
    };
    if !(1970..=9999).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// The value of a few ASCII digits; `None` if any byte is not one.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |value, &b| {
        b.is_ascii_digit().then(|| value * 10 + u32::from(b - b'0'))
    })
}

fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// ISO 4217 codes in use, sorted, one space apart.
const CURRENCY_CODES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG";

/// ISO 4217 currency codes in use: a file naming another is refused, since its
/// amounts could not be added to anything.
pub fn is_known_currency(code: &str) -> bool {
    // A binary search over the 4-byte slots (this runs per row).
    let (codes, code) = (CURRENCY_CODES.as_bytes(), code.as_bytes());
    if code.len() != 3 {
        return false;
    }
    let (mut low, mut high) = (0, CURRENCY_CODES.len().div_ceil(4));
    while low < high {
        let middle = (low + high) / 2;
        match codes
            .get(middle * 4..middle * 4 + 3)
            .unwrap_or_default()
            .cmp(code)
        {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => low = middle + 1,
            std::cmp::Ordering::Greater => high = middle,
        }
    }
    false
}

/// The first day of the month a date falls in.
pub fn month_start(date: Date) -> Date {
    date.replace_day(1).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_text() {
        assert_eq!(
            Amount::parse("0.00000080000").unwrap().as_str(),
            "0.00000080000"
        );
        assert_eq!(Amount::parse("+12").unwrap().as_str(), "12");
        assert_eq!(Amount::parse("-0.0").unwrap().as_str(), "0.0");
        assert!(Amount::parse("-1.5").unwrap().is_negative());
        assert_eq!(Amount::parse("1E-7").unwrap().as_str(), "1E-7");
        for bad in [
            "", "-", ".", "1.2.3", "12abc", "NaN", "inf", "1e", "0x10", "1,5",
        ] {
            assert!(Amount::parse(bad).is_none(), "{bad}");
        }
        assert!(Amount::parse("0.000").unwrap().is_zero());
    }

    #[test]
    fn timestamps_in_every_spelling() {
        let a = parse_timestamp("2024-09-01 00:00:00").unwrap();
        for same in [
            "2024-09-01T00:00:00Z",
            "2024-09-01T00:00:00.000Z",
            "2024-09-01",
            "2024-09-01T02:00:00+02:00",
            "2024-09-01 00:00:00+0000",
        ] {
            assert_eq!(parse_timestamp(same), Some(a), "{same}");
        }
        for bad in [
            "2024-13-01",
            "2024-09-31 00:00:00",
            "01/09/2024",
            "2024-09-01X00:00",
            "2024-09-01 25:00:00",
            "2024-09-01 12:60:00",
            "2024-09-01 1a:00:00",
            "2024-09-01 -1:00:00",
            "2024-0a-01",
            "1969-12-31",
            "+024-09-01",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
        // The fast path for `YYYY-MM-DD` and `HH:MM:SS` reads what the general one does.
        assert_eq!(
            parse_timestamp("2024-02-29T23:59:58Z"),
            parse_timestamp("2024-02-29T23:59:58.0Z")
        );
        assert_eq!(
            parse_timestamp("2024-02-29 23:59:58").map(|t| (t.hour(), t.minute(), t.second())),
            Some((23, 59, 58))
        );
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("2024-2-3"), parse_date("2024-02-03"));
    }

    #[test]
    fn tag_keys_normalise_only_for_matching() {
        assert!(tag_key_matches(" org", "org"));
        assert!(tag_key_matches("user:Team", "team"));
        assert!(tag_key_matches("aws:createdBy", "AWS:CreatedBy"));
        assert!(!tag_key_matches("user:team", "teams"));
    }

    #[test]
    fn currencies() {
        assert!(is_known_currency("USD"));
        assert!(is_known_currency("EUR"));
        assert!(!is_known_currency("usd"));
        assert!(!is_known_currency("XYZ"));
        assert!(!is_known_currency("US"));
        let codes: Vec<&str> = CURRENCY_CODES.split(' ').collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "sorted");
        assert!(codes.iter().all(|c| is_known_currency(c)));
        assert!(!is_known_currency("AAA") && !is_known_currency("ZZZ"));
    }
}
