//! One group's spend, as its project manager reads it: the period against the budget,
//! the same days a month earlier, each day stacked by service, breakdowns by service,
//! region, zone, sub-account and a tag, top resources, who created what, and the rules
//! that can place costs in the group. Seeing it is `ce:GetCostAndUsage` on the
//! group's ARN, like the group's bar on the overview.

use model::costs::{Breakdown, CostLine, GroupSpendReport, StackedDay};
use spend::RuleSet;
use store::costs::{CostDimension, CostMatrix, CostQuery, Every, GroupScope};
use time::{Date, Duration};

use crate::caller::Caller;
use crate::costs::{cost_lines, VIEW};
use crate::error::ServiceError;
use crate::Service;

/// Series stacked one by one in a daily chart; the rest are summed as one series.
const STACKED_SERIES: usize = 5;
const OTHER_SERVICES: &str = "Other services";
/// Lines per breakdown table.
const TOP: usize = 10;

impl Service {
    /// The spend page of group `name` for a period (`to` inclusive). `tag_key` picks the
    /// tag the tag breakdown sums by; empty picks the key the group's rules match on,
    /// or `team`.
    pub async fn group_spend(
        &self,
        caller: &Caller,
        name: &str,
        from: Date,
        to: Date,
        tag_key: &str,
    ) -> Result<GroupSpendReport, ServiceError> {
        let (group, _) = self.group_for(caller, VIEW, name).await?;
        let query = |by, from: Date, to: Date| CostQuery {
            from,
            to: to + Duration::days(1),
            by,
            scope: GroupScope::All,
            group: Some(Some(group.id.clone())),
        };
        let report = |by| {
            let query = query(by, from, to);
            async move { self.store.cost_report(&query).await }
        };
        let total = report(CostDimension::Group).await?;
        let (billed, effective) = total
            .first()
            .map(|row| (row.billed.clone(), row.effective.clone()))
            .unwrap_or_else(|| ("0".into(), "0".into()));
        let (before_from, before_to) = (month_back(from), month_back(to));
        let previous = self
            .store
            .cost_report(&query(CostDimension::Group, before_from, before_to))
            .await?
            .first()
            .map(|row| row.billed.clone())
            .unwrap_or_else(|| "0".into());

        let services = cost_lines(report(CostDimension::Service).await?);
        let (series, daily) = self
            .stacked_days(
                query(CostDimension::Service, from, to),
                &services,
                OTHER_SERVICES,
                |value| {
                    if value.is_empty() {
                        "(none)".to_string()
                    } else {
                        value.to_string()
                    }
                },
            )
            .await?;

        let rules: Vec<(usize, spend::Rule)> = match self.store.cost_rules().await? {
            Some((text, _)) => RuleSet::from_json(&text)
                .map_err(ServiceError::internal)?
                .rules
                .into_iter()
                .enumerate()
                .filter(|(_, rule)| rule.then.may_reach(&group.name))
                .collect(),
            None => Vec::new(),
        };
        let tag_key = match tag_key.trim() {
            "" => rules
                .iter()
                .find_map(|(_, rule)| match &rule.when {
                    spend::rules::Matcher::Tag { key, .. } => Some(key.trim().to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| "team".into()),
            given => given.to_string(),
        };

        let mut breakdowns = vec![Breakdown {
            title: "By service".into(),
            dimension: "service".into(),
            lines: top(services.clone()),
        }];
        for (title, dimension, by) in [
            ("By region", "region", CostDimension::Region),
            (
                "By availability zone",
                "zone",
                CostDimension::AvailabilityZone,
            ),
            ("By sub-account", "account", CostDimension::SubAccount),
            ("By tag", "tag", CostDimension::Tag(tag_key.clone())),
        ] {
            let dimension = match &by {
                CostDimension::Tag(key) => format!("{dimension}:{key}"),
                _ => dimension.to_string(),
            };
            let title = match &by {
                CostDimension::Tag(key) => format!("By tag {key}"),
                _ => title.to_string(),
            };
            breakdowns.push(Breakdown {
                title,
                dimension,
                lines: top(cost_lines(report(by).await?)),
            });
        }
        let members = report(CostDimension::Creator)
            .await?
            .into_iter()
            .map(|row| CostLine {
                label: match spend::rules::creator_user_name(&row.value) {
                    Some(user) => user.to_string(),
                    None if row.value.is_empty() => "(no aws:createdBy tag)".into(),
                    None => row.value.clone(),
                },
                billed: row.billed,
                effective: row.effective,
            })
            .collect();
        Ok(GroupSpendReport {
            budget: self.group_budget(caller, &group).await?,
            group: group.name,
            from: from.to_string(),
            to: to.to_string(),
            currency: self.store.cost_currencies().await?.join(", "),
            billed,
            effective,
            previous,
            series,
            daily,
            breakdowns,
            top_resources: cost_lines(
                self.store
                    .cost_top(&query(CostDimension::Resource, from, to), Some(TOP as u32))
                    .await?,
            ),
            members: top(members),
            tag_key,
            rules: rules
                .iter()
                .map(|(index, rule)| format!("{}. {}: {}", index + 1, rule.name, rule.describe()))
                .collect(),
        })
    }

    /// Every day of `query`'s period split by its dimension into the largest values
    /// (as `largest` lists them, already labelled) and one series for the rest; days
    /// without spend are zero, so the chart's columns are evenly spaced. `label` names a
    /// row's value as `largest` does.
    pub(crate) async fn stacked_days(
        &self,
        query: CostQuery,
        largest: &[CostLine],
        other: &str,
        label: impl Fn(&str) -> String,
    ) -> Result<(Vec<String>, Vec<StackedDay>), ServiceError> {
        let names: Vec<String> = largest.iter().map(|l| l.label.clone()).collect();
        let series = crate::stack::series(&names, STACKED_SERIES, other);
        let mut days = Vec::new();
        let mut day = query.from;
        while day < query.to {
            days.push(day.to_string());
            day = day.next_day().unwrap_or(query.to);
        }
        let rows = self
            .store
            .cost_matrix(&CostMatrix {
                query,
                every: Some(Every::Day),
                filter: None,
            })
            .await?;
        let daily = crate::stack::columns(
            days,
            &series,
            other,
            rows.iter()
                .map(|row| (row.period.clone(), label(&row.value), row.billed.as_str())),
        );
        Ok((series, daily))
    }
}

fn top(mut lines: Vec<CostLine>) -> Vec<CostLine> {
    lines.truncate(TOP);
    lines
}

/// The same day a month earlier (the month's last day when it is shorter).
pub(crate) fn month_back(day: Date) -> Date {
    let month = day.month().previous();
    let year = if month == time::Month::December {
        day.year() - 1
    } else {
        day.year()
    };
    let last = month.length(year);
    Date::from_calendar_date(year, month, day.day().min(last)).unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_month_back() {
        assert_eq!(month_back(date!(2026 - 03 - 31)), date!(2026 - 02 - 28));
        assert_eq!(month_back(date!(2026 - 01 - 15)), date!(2025 - 12 - 15));
        assert_eq!(month_back(date!(2024 - 03 - 29)), date!(2024 - 02 - 29));
    }
}
