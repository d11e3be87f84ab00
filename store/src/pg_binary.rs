//! PostgreSQL's binary `COPY` format, for the columns line items have. Imports send
//! millions of rows; in binary PostgreSQL parses no text (dates, times and decimals
//! were the larger part of its work per row) and we format none, so a row costs
//! both sides about half as much as in CSV.

use time::{Date, OffsetDateTime};

/// What a binary `COPY … FROM STDIN WITH (FORMAT binary)` starts with: the
/// signature, no flags, no header extension.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// What it ends with: a tuple of -1 fields.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// Days from the Julian day 0 to PostgreSQL's epoch, 2000-01-01.
const EPOCH_JULIAN_DAY: i32 = 2_451_545;
/// Seconds from the Unix epoch to PostgreSQL's.
const EPOCH_UNIX_SECONDS: i64 = 946_684_800;

/// `numeric` sign words.
const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;

/// A decimal's text that is not one `numeric` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotADecimal(pub String);

/// Tuples in binary `COPY` form, appended to one buffer.
#[derive(Debug, Default)]
pub struct Tuples {
    bytes: Vec<u8>,
}

impl Tuples {
    pub fn with_capacity(capacity: usize) -> Tuples {
        Tuples {
            bytes: Vec::with_capacity(capacity),
        }
    }

    /// Starts a tuple of `fields` fields; exactly that many must follow.
    pub fn tuple(&mut self, fields: u16) {
        self.bytes.extend_from_slice(&fields.to_be_bytes());
    }

    fn field(&mut self, bytes: &[u8]) {
        // Lengths are i32: no field of a billing file comes near 2 GiB, and the
        // readers' limits on file size hold every field far below it.
        self.bytes
            .extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        self.bytes.extend_from_slice(bytes);
    }

    pub fn null(&mut self) {
        self.bytes.extend_from_slice(&(-1i32).to_be_bytes());
    }

    pub fn int8(&mut self, value: i64) {
        self.field(&value.to_be_bytes());
    }

    pub fn text(&mut self, value: &str) {
        self.field(value.as_bytes());
    }

    pub fn date(&mut self, value: Date) {
        self.field(&(value.to_julian_day() - EPOCH_JULIAN_DAY).to_be_bytes());
    }

    /// Microseconds since 2000-01-01 UTC, as `timestamptz` keeps them. Finer parts
    /// are cut off, not rounded, so a time stays on the day the import summed it in.
    pub fn timestamptz(&mut self, value: OffsetDateTime) {
        let seconds = value.unix_timestamp() - EPOCH_UNIX_SECONDS;
        let micros = seconds * 1_000_000 + i64::from(value.microsecond());
        self.field(&micros.to_be_bytes());
    }

    /// A decimal as `numeric`: `-12.50`, `1E-7`, `3.2e+4` give exactly the value and
    /// display scale PostgreSQL's own `numeric_in` would.
    pub fn numeric(&mut self, text: &str) -> Result<(), NotADecimal> {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(&[0; 4]);
        if let Err(e) = write_numeric(&mut self.bytes, text) {
            self.bytes.truncate(start);
            return Err(e);
        }
        let len = (self.bytes.len() - start - 4) as i32;
        if let Some(slot) = self.bytes.get_mut(start..start + 4) {
            slot.copy_from_slice(&len.to_be_bytes());
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Drops what was written after `len` bytes (a tuple left half-written).
    pub fn truncate(&mut self, len: usize) {
        self.bytes.truncate(len);
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The tuples so far, leaving none (and the buffer's capacity for the next).
    pub fn take(&mut self) -> Vec<u8> {
        let capacity = self.bytes.capacity();
        std::mem::replace(&mut self.bytes, Vec::with_capacity(capacity))
    }
}

/// Writes `numeric`'s binary body: digit count, weight, sign, display scale, then
/// base-10000 digits, the first holding the units-to-thousands group or above.
fn write_numeric(out: &mut Vec<u8>, text: &str) -> Result<(), NotADecimal> {
    let refuse = || NotADecimal(text.to_string());
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => {
            let exponent = &unsigned[at + 1..];
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            // numeric_in refuses exponents beyond ±1000; three digits stay inside.
            if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(refuse());
            }
            let value: i64 = digits.parse().map_err(|_| refuse())?;
            (
                &unsigned[..at],
                if exponent.starts_with('-') {
                    -value
                } else {
                    value
                },
            )
        }
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.len() + fraction.len() == 0
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(refuse());
    }
    // As numeric_in: the digits after the point, less the exponent, at least 0.
    let scale = (fraction.len() as i64 - exponent).max(0);
    // The decimal point sits `point` digits into whole ++ fraction (may be outside).
    let point = whole.len() as i64 + exponent;
    let digits = || whole.bytes().chain(fraction.bytes()).map(|b| b - b'0');
    let count = (whole.len() + fraction.len()) as i64;
    // Position of each digit relative to the point: digit i has decimal exponent
    // point - 1 - i. Group g (base 10000) holds exponents 4g .. 4g+3.
    let first_nonzero = digits().position(|d| d != 0);
    let Some(first) = first_nonzero else {
        // Zero: no digits, weight 0, positive.
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&0i16.to_be_bytes());
        out.extend_from_slice(&NUMERIC_POS.to_be_bytes());
        out.extend_from_slice(&(scale as u16).to_be_bytes());
        return Ok(());
    };
    let last = count - 1 - digits().rev().position(|d| d != 0).unwrap_or(0) as i64;
    let exp_of = |i: i64| point - 1 - i;
    let weight = exp_of(first as i64).div_euclid(4);
    let lowest = exp_of(last).div_euclid(4);
    let groups = weight - lowest + 1;
    if scale > 0x3fff || !(-0x8000..=0x7fff).contains(&weight) {
        return Err(refuse());
    }
    out.extend_from_slice(&(groups as u16).to_be_bytes());
    out.extend_from_slice(&(weight as i16).to_be_bytes());
    out.extend_from_slice(&(if negative { NUMERIC_NEG } else { NUMERIC_POS }).to_be_bytes());
    out.extend_from_slice(&(scale as u16).to_be_bytes());
    // The digit of decimal exponent `e`, 0 outside the written digits; each group is
    // read straight from the text (no buffer: this runs four times per line item).
    let digit = |e: i64| -> u16 {
        let Ok(i) = usize::try_from(point - 1 - e) else {
            return 0;
        };
        let byte = match i.checked_sub(whole.len()) {
            None => whole.as_bytes().get(i),
            Some(j) => fraction.as_bytes().get(j),
        };
        byte.map_or(0, |b| u16::from(b - b'0'))
    };
    for group in 0..groups {
        let k = 4 * (weight - group);
        let value = digit(k + 3) * 1000 + digit(k + 2) * 100 + digit(k + 1) * 10 + digit(k);
        out.extend_from_slice(&value.to_be_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (digit count, weight, sign, scale, digits) of a decimal's encoding.
    fn parts(text: &str) -> (u16, i16, u16, u16, Vec<u16>) {
        let mut out = Vec::new();
        write_numeric(&mut out, text).unwrap();
        let word = |at: usize| u16::from_be_bytes([out[at], out[at + 1]]);
        let count = word(0);
        let digits = (0..count as usize).map(|i| word(8 + 2 * i)).collect();
        (count, word(2) as i16, word(4), word(6), digits)
    }

    #[test]
    fn decimals_are_grouped_around_the_point() {
        assert_eq!(parts("0"), (0, 0, NUMERIC_POS, 0, vec![]));
        assert_eq!(parts("0.000"), (0, 0, NUMERIC_POS, 3, vec![]));
        assert_eq!(parts("12.50"), (2, 0, NUMERIC_POS, 2, vec![12, 5000]));
        assert_eq!(
            parts("-12345.6"),
            (3, 1, NUMERIC_NEG, 1, vec![1, 2345, 6000])
        );
        assert_eq!(
            parts("0.0668160000"),
            (2, -1, NUMERIC_POS, 10, vec![668, 1600])
        );
        assert_eq!(parts("1E-7"), (1, -2, NUMERIC_POS, 7, vec![10]));
        assert_eq!(parts("3.2e+4"), (2, 1, NUMERIC_POS, 0, vec![3, 2000]));
        assert_eq!(parts("10000"), (1, 1, NUMERIC_POS, 0, vec![1]));
        assert_eq!(parts("1.5E+3"), (1, 0, NUMERIC_POS, 0, vec![1500]));
    }

    #[test]
    fn what_is_not_a_decimal_is_refused_whole() {
        let mut tuples = Tuples::default();
        for text in ["", "-", ".", "1e", "1e1000", "1.2.3", "abc", "1 2", "NaN"] {
            assert_eq!(
                tuples.numeric(text),
                Err(NotADecimal(text.to_string())),
                "{text}"
            );
        }
        assert!(tuples.is_empty());
    }

    #[test]
    fn times_count_from_the_year_2000() {
        let mut tuples = Tuples::default();
        tuples.timestamptz(OffsetDateTime::UNIX_EPOCH);
        tuples.date(time::macros::date!(2000 - 01 - 02));
        let bytes = tuples.take();
        assert_eq!(&bytes[..4], &8i32.to_be_bytes());
        assert_eq!(
            &bytes[4..12],
            &(-EPOCH_UNIX_SECONDS * 1_000_000).to_be_bytes()
        );
        assert_eq!(&bytes[12..16], &4i32.to_be_bytes());
        assert_eq!(&bytes[16..20], &1i32.to_be_bytes());
    }
}
