//! The cost explorer: sums by any dimension or tag key, optionally per day or month and
//! filtered by any dimension's value, within the groups the caller may see; the same
//! answers the overview and a group's page give, cut any way.

use std::collections::HashMap;

use model::costs::{CostLine, ExplorerReport, UNALLOCATED};
use store::costs::{CostDimension, CostMatrix, CostQuery, Every};
use time::{Date, Duration};

use crate::caller::Caller;
use crate::costs::group_label;
use crate::error::ServiceError;
use crate::money::{decimal, units};
use crate::Service;

/// Values stacked one by one over time; the rest are one series.
const STACKED: usize = 6;
const OTHERS: &str = "Others";

impl Service {
    /// Sums by `by` over a period (`to` inclusive), per `every` if given, where
    /// `filter` (a dimension and a value; groups by name) holds.
    pub async fn explore(
        &self,
        caller: Option<&Caller>,
        from: Date,
        to: Date,
        by: CostDimension,
        filter: Option<(CostDimension, String)>,
        every: Option<Every>,
    ) -> Result<ExplorerReport, ServiceError> {
        let scope = self.visible_scope(caller).await?;
        let names = self.group_names().await?;
        let filter = match filter {
            Some((CostDimension::Group, name)) => {
                let name = name.trim();
                let id = if name.eq_ignore_ascii_case(UNALLOCATED) {
                    Some(String::new())
                } else {
                    names
                        .iter()
                        .find(|(_, n)| n.eq_ignore_ascii_case(name))
                        .map(|(id, _)| id.clone())
                };
                // A group that does not exist (or is not visible) matches nothing.
                Some((
                    CostDimension::Group,
                    id.unwrap_or_else(|| "(no such group)".into()),
                ))
            }
            other => other,
        };
        let label = |value: &str| -> String {
            match (&by, value.is_empty()) {
                (CostDimension::Group, _) => group_label(&names, value),
                (_, true) => "(none)".to_string(),
                (_, false) => value.to_string(),
            }
        };
        let rows = self
            .store
            .cost_matrix(&CostMatrix {
                query: CostQuery {
                    from,
                    to: to + Duration::days(1),
                    by: by.clone(),
                    scope: scope.as_store(),
                    group: None,
                },
                every,
                filter,
            })
            .await?;
        // Totals per value, largest first.
        let mut totals: HashMap<String, (i128, i128)> = HashMap::new();
        for row in &rows {
            let entry = totals.entry(label(&row.value)).or_default();
            entry.0 += units(&row.billed);
            entry.1 += units(&row.effective);
        }
        let mut lines: Vec<(String, (i128, i128))> = totals.into_iter().collect();
        lines.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
        let names: Vec<String> = lines.iter().map(|(name, _)| name.clone()).collect();
        let series = crate::stack::series(&names, STACKED, OTHERS);
        let columns = if every.is_some() {
            let mut periods: Vec<String> = rows.iter().map(|r| r.period.clone()).collect();
            periods.dedup();
            crate::stack::columns(
                periods,
                &series,
                OTHERS,
                rows.iter()
                    .map(|r| (r.period.clone(), label(&r.value), r.billed.as_str())),
            )
        } else {
            Vec::new()
        };
        Ok(ExplorerReport {
            lines: lines
                .into_iter()
                .map(|(label, (billed, effective))| CostLine {
                    label,
                    billed: decimal(billed),
                    effective: decimal(effective),
                })
                .collect(),
            series,
            columns,
        })
    }
}
