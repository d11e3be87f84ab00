//! Exact money arithmetic for previews and budgets: decimal text from the database
//! as fixed-point integers of 10⁻¹², never floats.

/// Fixed-point units of 10⁻¹² for exact preview sums.
pub(crate) const UNIT: i128 = 1_000_000_000_000;

pub(crate) fn units(text: &str) -> i128 {
    let text = text.trim();
    let negative = text.starts_with('-');
    let digits = text.trim_start_matches(['-', '+']);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let whole: i128 = whole.parse().unwrap_or(0);
    let padded: String = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(12)
        .collect();
    let fraction: i128 = padded.parse().unwrap_or(0);
    let value = whole * UNIT + fraction;
    if negative {
        -value
    } else {
        value
    }
}

pub(crate) fn decimal(value: i128) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.abs();
    format!("{sign}{}.{:012}", abs / UNIT, abs % UNIT)
}
