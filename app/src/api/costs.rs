//! Spend: the overview, import history, uploads' outcomes and allocation rules.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
pub use model::costs::{GroupChange, GroupSpendReport, ImportsPage, RulesPage, SpendOverview};

/// What the last upload in this session came to, shown once on the imports page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadOutcome {
    pub ok: bool,
    pub message: String,
    /// Row-level refusals, one line each.
    pub rows: Vec<String>,
}

/// The session key of [`UploadOutcome`].
pub const UPLOAD_FLASH: &str = "portcullis.upload";

#[cfg(feature = "ssr")]
fn period(
    from: &str,
    to: &str,
    default: (time::Date, time::Date),
) -> Result<(time::Date, time::Date), AppError> {
    let parse = |field: &'static str, text: &str, fallback: time::Date| {
        if text.trim().is_empty() {
            return Ok(fallback);
        }
        spend::item::parse_date(text.trim()).ok_or_else(|| {
            crate::ssr::refuse(AppError::field(
                field,
                format!("{text:?} is not a date such as 2026-09-01."),
            ))
        })
    };
    let (from, to) = (parse("from", from, default.0)?, parse("to", to, default.1)?);
    if to < from {
        return Err(crate::ssr::refuse(AppError::field(
            "to",
            "The end of the period is before its start.",
        )));
    }
    Ok((from, to))
}

#[server]
pub async fn load_spend(from: String, to: String) -> Result<SpendOverview, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let service = state()?.service;
    let default = service.default_spend_period().await.map_err(respond)?;
    let (from, to) = period(&from, &to, default)?;
    service
        .spend_overview(&caller, from, to)
        .await
        .map_err(respond)
}

/// One group's spend page; `tag` is the tag key its tag breakdown sums by.
#[server]
pub async fn load_group_spend(
    group: String,
    from: String,
    to: String,
    tag: String,
) -> Result<GroupSpendReport, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let service = state()?.service;
    let default = service.default_spend_period().await.map_err(respond)?;
    let (from, to) = period(&from, &to, default)?;
    if (to - from).whole_days() > 366 {
        return Err(crate::ssr::refuse(AppError::field(
            "to",
            "A group's page shows at most 366 days, one column each; use the explorer for longer periods.",
        )));
    }
    service
        .group_spend(&caller, &group, from, to, &tag)
        .await
        .map_err(respond)
}

#[server]
pub async fn cost_imports() -> Result<(ImportsPage, Option<UploadOutcome>), AppError> {
    use crate::ssr::{caller, respond, state, take_flash};
    let caller = caller().await?;
    let page = state()?
        .service
        .cost_imports(&caller)
        .await
        .map_err(respond)?;
    let outcome = take_flash::<UploadOutcome>(UPLOAD_FLASH).await?;
    Ok((page, outcome))
}

#[server]
pub async fn roll_back_import(id: i64) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .roll_back_cost_import(&caller, id)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/spend/imports");
    Ok(())
}

#[server]
pub async fn cost_rules() -> Result<RulesPage, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?.service.cost_rules(&caller).await.map_err(respond)
}

#[server]
pub async fn preview_rules(
    document: String,
    from: String,
    to: String,
) -> Result<Vec<GroupChange>, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let service = state()?.service;
    let default = service.default_spend_period().await.map_err(respond)?;
    let (from, to) = period(&from, &to, default)?;
    service
        .preview_cost_rules(&caller, &document, from, to)
        .await
        .map_err(respond)
}

#[server]
pub async fn save_rules(document: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .save_cost_rules(&caller, &document)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/spend/rules?saved=1");
    Ok(())
}

pub use model::costs::BudgetsPage;

#[server]
pub async fn load_budgets() -> Result<BudgetsPage, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?.service.budgets(&caller).await.map_err(respond)
}

/// The budget form's fields arrive as `form[group]`, `form[amount]`, … (one struct,
/// so that the form works as a plain HTML post too).
#[server]
pub async fn set_budget(form: model::costs::BudgetForm) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .set_budget(&caller, &form)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/spend/budgets?saved=1");
    Ok(())
}

#[server]
pub async fn remove_budget(group: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .delete_budget(&caller, &group)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/spend/budgets");
    Ok(())
}

pub use model::costs::{CostLine, ExplorerReport};

/// Sums by one dimension (`group`, `service`, `account`, `region`, `zone`,
/// `category`, `resource`, `creator`, `day`, `month` or `tag:KEY`) over a period,
/// within the groups the caller may see; optionally per `day` or `month` (`every`) and
/// only where `filter_by` (a dimension) equals `filter`.
#[server]
pub async fn explore(
    from: String,
    to: String,
    by: String,
    filter_by: String,
    filter: String,
    every: String,
) -> Result<ExplorerReport, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let service = state()?.service;
    let default = service.default_spend_period().await.map_err(respond)?;
    let (from, to) = period(&from, &to, default)?;
    let dimension = |field: &'static str, text: &str| {
        store::costs::CostDimension::parse(text).ok_or_else(|| {
            crate::ssr::refuse(AppError::field(
                field,
                format!("{text:?} is not a dimension: use group, service, account, region, zone, category, resource, creator, day, month or tag:KEY."),
            ))
        })
    };
    let by = if by.trim().is_empty() {
        "service"
    } else {
        by.as_str()
    };
    let by = dimension("by", by)?;
    let filter = if filter_by.trim().is_empty() {
        None
    } else {
        Some((
            dimension("filter_by", &filter_by)?,
            filter.trim().to_string(),
        ))
    };
    let every = match every.trim() {
        "" => None,
        "day" => Some(store::costs::Every::Day),
        "month" => Some(store::costs::Every::Month),
        other => {
            return Err(crate::ssr::refuse(AppError::field(
                "every",
                format!("{other:?} is not a granularity: use day or month."),
            )))
        }
    };
    if every == Some(store::costs::Every::Day) && (to - from).whole_days() > 366 {
        return Err(crate::ssr::refuse(AppError::field(
            "every",
            "Daily columns cover at most 366 days; choose month for longer periods.",
        )));
    }
    service
        .explore(Some(&caller), from, to, by, filter, every)
        .await
        .map_err(respond)
}
