//! Stacked series for the spend charts: the largest values one by one, the rest summed
//! as one series, one column per day or month, sums exact.

use std::collections::HashMap;

use model::costs::StackedDay;

use crate::money::{decimal, units};

/// The series of a stacked chart: the first `count` of `largest` (largest first), and
/// `other` when there are more.
pub(crate) fn series(largest: &[String], count: usize, other: &str) -> Vec<String> {
    let mut series: Vec<String> = largest.iter().take(count).cloned().collect();
    if largest.len() > count {
        series.push(other.to_string());
    }
    series
}

/// One column per period (in the order given), each row's amount (`billed`) added to its
/// series, or to `other` when its series is not shown.
pub(crate) fn columns<'r>(
    periods: impl IntoIterator<Item = String>,
    series: &[String],
    other: &str,
    rows: impl IntoIterator<Item = (String, String, &'r str)>,
) -> Vec<StackedDay> {
    let mut sums: HashMap<String, Vec<i128>> = HashMap::new();
    for (period, name, billed) in rows {
        let slot = series
            .iter()
            .position(|s| *s == name)
            .or_else(|| series.iter().position(|s| s == other));
        let column = sums.entry(period).or_insert_with(|| vec![0; series.len()]);
        if let Some(sum) = slot.and_then(|i| column.get_mut(i)) {
            *sum += units(billed);
        }
    }
    periods
        .into_iter()
        .map(|period| {
            let amounts = sums
                .remove(&period)
                .unwrap_or_else(|| vec![0; series.len()]);
            StackedDay {
                label: period,
                amounts: amounts.into_iter().map(decimal).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rest_goes_to_other() {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let shown = series(&names, 2, "Other");
        assert_eq!(shown, ["a", "b", "Other"]);
        let rows = vec![
            ("d1".to_string(), "a".to_string(), "1.5"),
            ("d1".to_string(), "c".to_string(), "2"),
            ("d2".to_string(), "b".to_string(), "0.25"),
        ];
        let columns = columns(
            ["d1".to_string(), "d2".to_string(), "d3".to_string()],
            &shown,
            "Other",
            rows,
        );
        assert_eq!(columns[0].amounts[0], "1.500000000000");
        assert_eq!(columns[0].amounts[2], "2.000000000000");
        assert_eq!(columns[1].amounts[1], "0.250000000000");
        assert!(columns[2].amounts.iter().all(|a| a == "0.000000000000"));
    }
}
