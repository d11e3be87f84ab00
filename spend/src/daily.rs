//! Daily sums of an import, added up while its rows stream past, so the database
//! never reads the line items a second time to roll them up.
//!
//! Sums are exact: amounts are integers of 10^-[`SCALE`] units, and each sum keeps the
//! largest scale its amounts were written with, which is what PostgreSQL's `sum()`
//! over `NUMERIC` gives, so the text written here is the text the database would
//! have computed. An amount that does not fit (more than [`SCALE`] decimals, or too
//! large) turns the sums off, and the store rolls up in SQL instead. Memory is
//! bounded: past its capacity the table is written out per day to temporary files,
//! and each day is added up alone when the sums are handed over.

use rustc_hash::FxHashMap;

use time::{Date, OffsetDateTime, UtcOffset};

use crate::item::Amount;
use crate::spill::{Spill, SpillError};
use crate::LineItem;

/// Decimal places every amount is held to.
pub const SCALE: u32 = 24;

/// An exact decimal: `units` of 10^-[`SCALE`], written with `scale` decimals.
/// Aligned to 8 bytes instead of `i128`'s 16: 24 bytes instead of 32, so an import's
/// table of daily sums is a third smaller (it is the import's largest memory, and
/// every byte of it is a fresh page the kernel zeroes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C, packed(8))]
pub struct Exact {
    pub(crate) units: i128,
    pub(crate) scale: u32,
}

impl Exact {
    /// `None` when the amount needs more than [`SCALE`] decimals or 38 digits.
    pub fn of(amount: &Amount) -> Option<Exact> {
        let text = amount.as_str();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i32>().ok()?),
            None => (unsigned, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        // PostgreSQL's display scale for `d.ddd` with an exponent.
        let scale = (fraction.len() as i32 - exponent).max(0) as u32;
        if scale > SCALE {
            return None;
        }
        // The digits as an integer, then shifted to SCALE decimals.
        let mut digits: i128 = 0;
        for b in whole.bytes().chain(fraction.bytes()) {
            digits = digits.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
        }
        let shift = SCALE as i32 - fraction.len() as i32 + exponent;
        let units = if shift >= 0 {
            digits.checked_mul(10i128.checked_pow(shift as u32)?)?
        } else {
            // Only zeros can sit past SCALE here, since scale <= SCALE.
            let divisor = 10i128.checked_pow((-shift) as u32)?;
            if digits % divisor != 0 {
                return None;
            }
            digits / divisor
        };
        Some(Exact {
            units: if negative { -units } else { units },
            scale,
        })
    }

    pub fn checked_add(self, other: Exact) -> Option<Exact> {
        Some(Exact {
            units: self.units.checked_add(other.units)?,
            scale: self.scale.max(other.scale),
        })
    }
}

impl std::fmt::Display for Exact {
    /// As PostgreSQL prints a `NUMERIC` of this value and display scale.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let magnitude = self.units.unsigned_abs();
        let one = 10u128.pow(SCALE);
        let whole = magnitude / one;
        let fraction = (magnitude % one) / 10u128.pow(SCALE - self.scale);
        if self.units < 0 {
            f.write_str("-")?;
        }
        if self.scale == 0 {
            write!(f, "{whole}")
        } else {
            write!(f, "{whole}.{fraction:0width$}", width = self.scale as usize)
        }
    }
}

/// A line item's three amounts, exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amounts {
    pub billed: Exact,
    pub effective: Exact,
    pub list: Exact,
}

impl Amounts {
    /// `None` when any of them cannot be held exactly.
    pub fn of(item: &LineItem) -> Option<Amounts> {
        Some(Amounts {
            billed: Exact::of(&item.billed_cost)?,
            effective: Exact::of(&item.effective_cost)?,
            list: Exact::of(&item.list_cost)?,
        })
    }
}

/// The sums of one (key, billing period, day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySums {
    /// Index into [`DailySums::accounts`].
    pub account: u32,
    pub billed: Exact,
    pub effective: Exact,
    pub list: Exact,
    pub line_items: i64,
}

impl DaySums {
    /// Two parts of one group's sums added up; `None` past what [`Exact`] holds.
    pub fn checked_add(&self, other: &DaySums) -> Option<DaySums> {
        Some(DaySums {
            account: self.account,
            billed: self.billed.checked_add(other.billed)?,
            effective: self.effective.checked_add(other.effective)?,
            list: self.list.checked_add(other.list)?,
            line_items: self.line_items.checked_add(other.line_items)?,
        })
    }
}

/// (cost key, billing period, day or month start): what one row of sums is per.
pub type Group = (i64, Date, Date);

/// Adds `part` to `group`'s sums in `sums`, in one lookup; `None`, with nothing
/// changed, past what [`Exact`] holds. Items as they stream and spilled parts alike.
pub(crate) fn add_part(
    sums: &mut FxHashMap<Group, DaySums>,
    group: Group,
    part: DaySums,
) -> Option<()> {
    match sums.entry(group) {
        std::collections::hash_map::Entry::Vacant(vacant) => {
            vacant.insert(part);
        }
        std::collections::hash_map::Entry::Occupied(mut occupied) => {
            let added = occupied.get().checked_add(&part)?;
            *occupied.get_mut() = added;
        }
    }
    Some(())
}

/// Which day a line item counts on: its charge period's start, in UTC.
pub fn day_of(start: OffsetDateTime) -> Date {
    start.to_offset(UtcOffset::UTC).date()
}

/// The first day of the month a line item counts in.
pub fn month_of(start: OffsetDateTime) -> Date {
    crate::item::month_start(day_of(start))
}

/// Sums per (cost key, billing period, day) of one import, or per month when made
/// with [`DailySums::monthly`].
#[derive(Debug)]
pub struct DailySums {
    /// Keyed by cost key ids, which are hashes already: SipHash's protection against
    /// crafted keys buys nothing here.
    sums: FxHashMap<Group, DaySums>,
    /// Where the table goes when it holds `capacity` groups.
    spill: Option<Spill>,
    /// Why spilling failed (the sums are then off), for the log.
    spill_failure: Option<String>,
    accounts: Vec<String>,
    capacity: usize,
    exact: bool,
    /// Every billed cost added, and how many items: the import's totals.
    billed_total: Exact,
    items: i64,
    /// The day (or month start) an item's charge counts on.
    bucket: fn(OffsetDateTime) -> Date,
    /// The same for a day's sums handed over by daily sums.
    bucket_of_day: fn(Date) -> Date,
}

impl DailySums {
    /// Holds at most `capacity` groups in memory, the rest in temporary files.
    pub fn new(capacity: usize) -> DailySums {
        DailySums {
            sums: FxHashMap::default(),
            spill: None,
            spill_failure: None,
            accounts: Vec::new(),
            capacity,
            exact: true,
            billed_total: Exact::default(),
            items: 0,
            bucket: day_of,
            bucket_of_day: |day| day,
        }
    }

    /// Like [`DailySums::new`], summing per month instead of per day.
    pub fn monthly(capacity: usize) -> DailySums {
        DailySums {
            bucket: month_of,
            bucket_of_day: crate::item::month_start,
            ..DailySums::new(capacity)
        }
    }

    /// Adds an item of cost key `key`. An amount that cannot be held exactly turns
    /// the sums off for the rest of the import.
    pub fn add(&mut self, key: i64, item: &LineItem) {
        if !self.exact {
            return;
        }
        let Some(Amounts {
            billed,
            effective,
            list,
        }) = Amounts::of(item)
        else {
            return self.give_up();
        };
        let group = (
            key,
            item.billing_period_start,
            (self.bucket)(item.charge_period_start),
        );
        let part = DaySums {
            account: 0,
            billed,
            effective,
            list,
            line_items: 1,
        };
        self.add_group(group, &item.billing_account_id, part);
    }

    /// Adds one group of daily sums as [`DailySums::drain_in_order`] hands them over
    /// (`accounts` is the list their `account` indexes). Monthly sums are so made from
    /// the daily ones when those are handed over, instead of from every item as it
    /// streams: a second table looked up per item cost the import's busiest thread
    /// more than the few daily groups per key cost at the end.
    pub fn add_day(&mut self, accounts: &[String], (key, period, day): Group, sums: DaySums) {
        let account = accounts
            .get(sums.account as usize)
            .map(String::as_str)
            .unwrap_or_default();
        self.add_group((key, period, (self.bucket_of_day)(day)), account, sums);
    }

    /// Adds `part` (its `account` set here, from `account`'s name) to `group`, in one
    /// lookup: the table holds up to `capacity` groups.
    fn add_group(&mut self, group: Group, account: &str, part: DaySums) {
        if !self.exact {
            return;
        }
        let Some(total) = self.billed_total.checked_add(part.billed) else {
            return self.give_up();
        };
        self.billed_total = total;
        self.items += part.line_items;
        let account = match self.accounts.iter().position(|a| a == account) {
            Some(at) => at as u32,
            None => {
                self.accounts.push(account.to_string());
                (self.accounts.len() - 1) as u32
            }
        };
        let exact = add_part(&mut self.sums, group, DaySums { account, ..part }).is_some();
        if !exact {
            self.give_up();
        } else if self.sums.len() >= self.capacity {
            self.spill_table();
        }
    }

    fn give_up(&mut self) {
        self.exact = false;
        self.sums = FxHashMap::default();
        self.spill = None;
    }

    /// Writes the table out, leaving it empty.
    fn spill_table(&mut self) {
        let groups: Vec<(Group, DaySums)> = self.sums.drain().collect();
        let written = match &mut self.spill {
            Some(spill) => spill.write(groups),
            None => Spill::new().and_then(|spill| self.spill.insert(spill).write(groups)),
        };
        if let Err(e) = written {
            self.spill_failed(e);
        }
    }

    /// Sums that could not be spilled or added up again are turned off, and why kept.
    fn spill_failed(&mut self, e: SpillError) {
        self.spill_failure = Some(e.to_string());
        self.give_up();
    }

    /// Why the sums were turned off by a failure to spill them, if they were.
    pub fn spill_failure(&self) -> Option<&str> {
        self.spill_failure.as_deref()
    }

    /// The sum of every billed cost added (meaningful while [`DailySums::is_exact`]).
    pub fn billed_total(&self) -> Exact {
        self.billed_total
    }

    /// How many items were added.
    pub fn items(&self) -> i64 {
        self.items
    }

    /// Whether every amount so far was summed exactly.
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// Hands over the sums, leaving none: day by day (or month by month) in order,
    /// each day's sorted by key and billing period, so every group comes once and in
    /// the order of the table's (day, key) index. Adding up spilled parts may fail
    /// (a temporary file lost, a sum too large): the sums are then off, and
    /// [`DailySums::is_exact`] says so after some may have been handed over.
    pub fn drain_in_order<E>(
        &mut self,
        mut each: impl FnMut(&[String], Vec<(Group, DaySums)>) -> Result<(), E>,
    ) -> Result<(), E> {
        if !self.exact {
            return Ok(());
        }
        if self.spill.is_none() {
            let mut groups: Vec<(Group, DaySums)> = self.sums.drain().collect();
            groups.sort_unstable_by_key(|((key, period, day), _)| (*day, *key, *period));
            return each(&self.accounts, groups);
        }
        self.spill_table();
        let Some(spill) = self.spill.take() else {
            return Ok(());
        };
        for bucket in spill.buckets() {
            match spill.read(bucket) {
                Ok(groups) => each(&self.accounts, groups)?,
                Err(e) => {
                    self.spill_failed(e);
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item() -> LineItem {
        let at = time::macros::datetime!(2026-10-03 05:00 UTC);
        let amount = Amount::parse("1.25").expect("an amount");
        LineItem {
            billing_account_id: "111111111111".into(),
            billing_account_name: String::new(),
            billing_period_start: time::macros::date!(2026 - 10 - 01),
            charge_period_start: at,
            charge_period_end: at + time::Duration::HOUR,
            charge_category: "Usage".into(),
            charge_description: String::new(),
            billed_cost: amount.clone(),
            effective_cost: amount.clone(),
            list_cost: amount,
            currency: "USD".into(),
            provider: "AWS".into(),
            service_name: "Amazon EC2".into(),
            service_category: String::new(),
            region_id: String::new(),
            availability_zone: String::new(),
            sub_account_id: "111111111111".into(),
            sub_account_name: String::new(),
            resource_id: String::new(),
            resource_name: String::new(),
            pricing_quantity: None,
            pricing_unit: String::new(),
            tags: Default::default(),
        }
    }

    #[test]
    fn a_days_sums_take_104_bytes_with_their_group() {
        // Grown for every group of an import: 144 bytes while `Exact` was 32.
        assert_eq!(std::mem::size_of::<(Group, DaySums)>(), 104);
    }

    #[test]
    fn items_of_one_key_and_day_add_up() {
        let mut sums = DailySums::new(10);
        let mut other = item();
        other.charge_period_start = time::macros::datetime!(2026-10-03 23:00 -02:00);
        other.billed_cost = Amount::parse("-0.250").expect("an amount");
        for i in [item(), item(), other] {
            sums.add(7, &i);
        }
        let groups = drained(&mut sums);
        assert_eq!(groups.len(), 2, "23:00 at -02:00 is the next day in UTC");
        let day = groups
            .iter()
            .find(|(g, _)| g.2 == time::macros::date!(2026 - 10 - 03))
            .expect("the 3rd");
        assert_eq!(day.1.billed.to_string(), "2.50");
        assert_eq!(day.1.line_items, 2);
        assert!(drained(&mut sums).is_empty(), "nothing is left");
    }

    fn drained(sums: &mut DailySums) -> Vec<(Group, DaySums)> {
        let mut all = Vec::new();
        sums.drain_in_order(|_, groups| {
            all.extend(groups);
            Ok::<(), ()>(())
        })
        .expect("no failure");
        all
    }

    /// Past its capacity the table spills to disk; the sums handed over are the same
    /// as if it had held everything, each group once, in (day, key, period) order.
    #[test]
    fn spilled_sums_add_up_as_held_ones() {
        let mut items = Vec::new();
        for n in 0..400u32 {
            let mut item = item();
            item.charge_period_start += time::Duration::hours(i64::from(n % 97) * 7);
            item.billed_cost = Amount::parse(&format!("{}.{:03}", n % 13, n)).expect("an amount");
            item.list_cost = Amount::parse(&format!("-{n}E-5")).expect("an amount");
            items.push((i64::from(n % 11) - 5, item));
        }
        let mut held = DailySums::new(1_000);
        let mut spilled = DailySums::new(3);
        for (key, item) in &items {
            held.add(*key, item);
            spilled.add(*key, item);
        }
        assert!(spilled.spill.is_some(), "the small table spilled");
        let (held, spilled) = (drained(&mut held), drained(&mut spilled));
        assert_eq!(spilled, held);
        assert!(held.len() > 100, "{} groups", held.len());
        assert!(held
            .windows(2)
            .all(|w| (w[0].0 .2, w[0].0 .0, w[0].0 .1) < (w[1].0 .2, w[1].0 .0, w[1].0 .1)));
        assert_eq!(held.iter().map(|g| g.1.line_items).sum::<i64>(), 400);
    }

    /// Monthly sums made from the daily ones as they are handed over are those made
    /// from the items, spilled or not, across two billing accounts.
    #[test]
    fn monthly_sums_of_the_days_are_those_of_the_items() {
        let mut items = Vec::new();
        for n in 0..600u32 {
            let mut item = item();
            item.charge_period_start += time::Duration::hours(i64::from(n % 151) * 11);
            item.billed_cost = Amount::parse(&format!("{}.{:04}", n % 17, n)).expect("an amount");
            item.effective_cost = Amount::parse(&format!("-{n}.5")).expect("an amount");
            // A key is of one billing account (its id hashes the account).
            let mut key = i64::from(n % 7);
            if n % 3 == 0 {
                item.billing_account_id = "222222222222".into();
                key += 100;
            }
            items.push((key, item));
        }
        let mut of_items = DailySums::monthly(1_000);
        for (key, item) in &items {
            of_items.add(*key, item);
        }
        let expected = named(&mut of_items);
        assert!(expected.len() > 10, "{} groups", expected.len());
        assert!(expected
            .iter()
            .any(|(g, _, _)| g.2 == time::macros::date!(2026 - 12 - 01)));
        for (capacity, monthly_capacity) in [(1_000, 1_000), (5, 2)] {
            let mut daily = DailySums::new(capacity);
            let mut of_days = DailySums::monthly(monthly_capacity);
            for (key, item) in &items {
                daily.add(*key, item);
            }
            daily
                .drain_in_order(|accounts, groups| {
                    for (group, sums) in groups {
                        of_days.add_day(accounts, group, sums);
                    }
                    Ok::<(), ()>(())
                })
                .expect("no failure");
            assert_eq!(named(&mut of_days), expected, "capacity {capacity}");
            assert_eq!(of_days.items(), 600);
            assert_eq!(of_days.billed_total(), of_items.billed_total());
        }
    }

    /// Drained groups with their billing account's name instead of its index.
    fn named(sums: &mut DailySums) -> Vec<(Group, String, DaySums)> {
        let mut all = Vec::new();
        sums.drain_in_order(|accounts, groups| {
            for (group, sums) in groups {
                let account = accounts
                    .get(sums.account as usize)
                    .cloned()
                    .unwrap_or_default();
                all.push((group, account, DaySums { account: 0, ..sums }));
            }
            Ok::<(), ()>(())
        })
        .expect("no failure");
        all.sort_by_key(|(g, a, _)| (g.2, g.0, g.1, a.clone()));
        all
    }

    fn exact(text: &str) -> Option<Exact> {
        Exact::of(&Amount::parse(text).expect("an amount"))
    }

    fn sum(texts: &[&str]) -> String {
        texts
            .iter()
            .map(|t| exact(t).expect("fits"))
            .reduce(|a, b| a.checked_add(b).expect("no overflow"))
            .expect("some")
            .to_string()
    }

    #[test]
    fn sums_print_as_postgresql_prints_numeric_sums() {
        // Each expected text is PostgreSQL's `sum()` of the same literals.
        assert_eq!(sum(&["1.5", "2.25"]), "3.75");
        assert_eq!(sum(&["1.50", "-1.5"]), "0.00");
        assert_eq!(sum(&["0.1", "-0.35"]), "-0.25");
        assert_eq!(sum(&["1E-7", "2"]), "2.0000001");
        assert_eq!(sum(&["1.50E1"]), "15.0");
        assert_eq!(sum(&["12E2"]), "1200");
        assert_eq!(
            sum(&["0.000000000000000000000001"]),
            "0.000000000000000000000001"
        );
        assert_eq!(sum(&["-0.004", "0.001"]), "-0.003");
    }

    #[test]
    fn amounts_that_do_not_fit_turn_the_sums_off() {
        assert!(exact("0.0000000000000000000000001").is_none());
        assert!(exact("1E-25").is_none());
        assert!(exact("123456789012345678901234567890").is_none());
        let mut sums = DailySums::new(10);
        let mut item = item();
        sums.add(1, &item);
        assert!(sums.is_exact());
        item.list_cost = Amount::parse("1E-30").expect("an amount");
        sums.add(2, &item);
        assert!(!sums.is_exact());
        assert!(drained(&mut sums).is_empty());
    }

    proptest! {
        /// Sums equal the integer sums of the same amounts, at the largest scale.
        #[test]
        fn sums_are_exact(parts in proptest::collection::vec((-10_i64.pow(12)..10_i64.pow(12), 0u32..12), 1..40)) {
            let texts: Vec<String> = parts.iter().map(|(units, scale)| {
                let magnitude = units.unsigned_abs();
                let one = 10u64.pow(*scale);
                let sign = if *units < 0 { "-" } else { "" };
                if *scale == 0 {
                    format!("{sign}{magnitude}")
                } else {
                    format!("{sign}{}.{:0w$}", magnitude / one, magnitude % one, w = *scale as usize)
                }
            }).collect();
            let scale = parts.iter().map(|(_, s)| *s).max().unwrap_or(0);
            let total: i128 = parts.iter().map(|(u, s)| i128::from(*u) * 10i128.pow(scale - s)).sum();
            let one = 10u128.pow(scale);
            let magnitude = total.unsigned_abs();
            let expected = if scale == 0 {
                format!("{}{}", if total < 0 { "-" } else { "" }, magnitude)
            } else {
                format!("{}{}.{:0w$}", if total < 0 { "-" } else { "" }, magnitude / one, magnitude % one, w = scale as usize)
            };
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            prop_assert_eq!(sum(&refs), expected);
        }
    }
}
