//! What the spend pages show: per-group spend, reports, imports and allocation rules.
//! Amounts arrive as exact decimal text from the database and are only rounded for
//! display, here, half away from zero.

use serde::{Deserialize, Serialize};

use crate::Refusals;

/// The name Unallocated costs are shown under, everywhere.
pub const UNALLOCATED: &str = "Unallocated";

/// One bar of the per-group chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSpend {
    /// The group's name, or [`UNALLOCATED`].
    pub name: String,
    /// Exact decimal text.
    pub billed: String,
    pub effective: String,
    pub unallocated: bool,
    /// Which rules placed this spend, largest first (`rule: amount`), for the tooltip.
    pub placed_by: Vec<(String, String)>,
}

/// A labelled sum (by service, account, region, tag value, day…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    pub label: String,
    pub billed: String,
    pub effective: String,
}

/// The spend overview for the groups the viewer may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendOverview {
    pub from: String,
    /// Last day included.
    pub to: String,
    pub currency: String,
    /// The groups shown, largest first, Unallocated among them when visible.
    pub groups: Vec<GroupSpend>,
    /// Sum of what is shown (never of what is hidden).
    pub total: String,
    /// Whether every group's spend is visible, so the total is the account's.
    pub sees_everything: bool,
    pub top_services: Vec<CostLine>,
    pub top_resources: Vec<CostLine>,
    pub daily: Vec<CostLine>,
    /// Each day stacked by group (the largest, then "Other groups").
    pub group_series: Vec<String>,
    pub daily_by_group: Vec<StackedDay>,
    /// Billed over the same days a month earlier, of the same groups.
    pub previous: String,
    /// The month-end projection from the run rate, when the period is a month so far.
    pub forecast: Option<String>,
    /// Whether any billing data exists at all.
    pub has_data: bool,
    /// Recent budget alerts of the groups shown.
    pub alerts: Vec<AlertRow>,
    pub refusals: Refusals,
}

/// One day of a stacked chart: each series' amount, in the order of the series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackedDay {
    pub label: String,
    /// Exact decimal text, one per series.
    pub amounts: Vec<String>,
}

/// A breakdown of a group's spend by one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    pub title: String,
    /// The explorer's name for the dimension (`service`, `tag:team`…).
    pub dimension: String,
    pub lines: Vec<CostLine>,
}

/// One group's spend, for its project manager.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSpendReport {
    pub group: String,
    pub from: String,
    /// Last day included.
    pub to: String,
    pub currency: String,
    pub billed: String,
    pub effective: String,
    /// Billed over the same days of the previous month.
    pub previous: String,
    /// The group's budget and where it stands, when the viewer may see it.
    pub budget: Option<BudgetRow>,
    /// The stacked series (largest services first, then "Other services").
    pub series: Vec<String>,
    pub daily: Vec<StackedDay>,
    pub breakdowns: Vec<Breakdown>,
    pub top_resources: Vec<CostLine>,
    /// Spend by the user who created the resources (`aws:createdBy`).
    pub members: Vec<CostLine>,
    /// The tag key the tag breakdown uses, and the keys offered.
    pub tag_key: String,
    /// Rules that can place costs in this group, in order, in words.
    pub rules: Vec<String>,
}

/// The explorer's answer: totals per value, and per day or month when asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplorerReport {
    /// Largest first.
    pub lines: Vec<CostLine>,
    /// The stacked series (largest values, then "Others").
    pub series: Vec<String>,
    /// One column per day or month, amounts per series; empty without a granularity.
    pub columns: Vec<StackedDay>,
}

/// One import in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRow {
    pub id: i64,
    pub imported_at: String,
    pub imported_by: String,
    pub files: String,
    pub format: String,
    pub line_items: i64,
    pub billed_total: String,
    pub currencies: String,
    pub periods: String,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportsPage {
    pub imports: Vec<ImportRow>,
    pub refusals: Refusals,
}

/// The allocation rules as the editor shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulesPage {
    /// The rule set as pretty JSON.
    pub document: String,
    pub version: i64,
    /// Group names the rules may target.
    pub groups: Vec<String>,
    /// Each stored rule's name and what it does in words, in order.
    pub lines: Vec<(String, String)>,
    pub refusals: Refusals,
}

/// How one group's spend would change under edited rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupChange {
    pub name: String,
    pub before: String,
    pub after: String,
    pub change: String,
}

/// A group's budget and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetRow {
    pub group: String,
    pub period: String,
    pub amount: String,
    pub currency: String,
    pub actual_thresholds: String,
    pub forecast_thresholds: String,
    pub webhook_url: String,
    pub email_to: String,
    /// Filled once evaluated.
    pub state: Option<BudgetStanding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetStanding {
    pub period: String,
    pub actual: String,
    pub forecast: String,
    pub forecast_low: String,
    pub forecast_high: String,
    /// How the forecast was made, in words.
    pub method: String,
    /// `ok`, `forecast-exceeded` or `exceeded` (the `portcullis:BudgetStatus` value).
    pub status: String,
    pub used_percent: String,
}

/// An alert that fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    pub group: String,
    pub period: String,
    pub kind: String,
    pub threshold: i16,
    pub value: String,
    pub budget: String,
    pub fired_at: String,
}

/// Budgets and alerts of the groups the viewer may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetsPage {
    pub budgets: Vec<BudgetRow>,
    pub alerts: Vec<AlertRow>,
    /// Groups the viewer may set a budget for.
    pub editable: Vec<String>,
}

/// The budget form; a field left out reads as empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BudgetForm {
    pub group: String,
    pub period: String,
    pub amount: String,
    pub actual_thresholds: String,
    pub forecast_thresholds: String,
    pub webhook_url: String,
    pub webhook_secret: String,
    /// Addresses to e-mail alerts to, separated by commas.
    pub email_to: String,
}

/// Rounds exact decimal text to cents for display: `1234.5` → `1,234.50`.
pub fn money(amount: &str) -> String {
    let cents = round_to_cents(amount);
    let negative = cents.starts_with('-');
    let digits = cents.trim_start_matches('-');
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{fraction}", if negative { "-" } else { "" })
}

/// Exact decimal text rounded half away from zero to two places (`-0.005` → `-0.01`);
/// anything that is not a plain decimal reads as `0.00`.
pub fn round_to_cents(amount: &str) -> String {
    let text = amount.trim();
    let negative = text.starts_with('-');
    let digits = text.trim_start_matches(['-', '+']);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return "0.00".into();
    }
    let mut cents: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes().chain(std::iter::repeat(b'0')).take(2))
        .map(|b| b - b'0')
        .collect();
    if cents.len() < 3 {
        let mut padded = vec![0; 3 - cents.len()];
        padded.extend(cents);
        cents = padded;
    }
    if fraction.as_bytes().get(2).is_some_and(|b| *b >= b'5') {
        let mut carry = true;
        for digit in cents.iter_mut().rev() {
            if !carry {
                break;
            }
            *digit += 1;
            carry = *digit == 10;
            if carry {
                *digit = 0;
            }
        }
        if carry {
            cents.insert(0, 1);
        }
    }
    let text: String = cents.iter().map(|d| char::from(b'0' + d)).collect();
    let split = text.len() - 2;
    let whole = text.get(..split).unwrap_or("0").trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let fraction = text.get(split..).unwrap_or("00");
    let zero = whole == "0" && fraction == "00";
    format!(
        "{}{whole}.{fraction}",
        if negative && !zero { "-" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_round_half_away_from_zero() {
        assert_eq!(round_to_cents("0.00000080000"), "0.00");
        assert_eq!(round_to_cents("12.345"), "12.35");
        assert_eq!(round_to_cents("-12.345"), "-12.35");
        assert_eq!(round_to_cents("99.995"), "100.00");
        assert_eq!(round_to_cents("-0.001"), "0.00");
        assert_eq!(round_to_cents("7"), "7.00");
        assert_eq!(round_to_cents(".5"), "0.50");
        assert_eq!(round_to_cents("junk"), "0.00");
        assert_eq!(money("1234567.891"), "1,234,567.89");
        assert_eq!(money("-1000"), "-1,000.00");
    }
}
