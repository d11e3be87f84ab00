//! The audit log, filterable.

use leptos::prelude::*;

use crate::api::users::ActivityRow;
use crate::error::AppError;

#[server]
pub async fn audit_log(
    actor: String,
    action: String,
    target: String,
    outcome: String,
) -> Result<Vec<(ActivityRow, String)>, AppError> {
    use crate::ssr::auth::{internal, state};
    crate::ssr::authorize("cloudtrail:LookupEvents", crate::ssr::Target::Any).await?;
    let outcome = match outcome.as_str() {
        "success" => Some(store::Outcome::Success),
        "failure" => Some(store::Outcome::Failure),
        "denied" => Some(store::Outcome::Denied),
        _ => None,
    };
    let filter = store::AuditFilter {
        actor,
        action,
        target,
        outcome,
        limit: 500,
    };
    let rows = state()?.store.audit_log(&filter).await.map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                ActivityRow {
                    at: crate::api::users::format::date(r.at),
                    actor: r.actor,
                    action: r.action,
                    outcome: r.outcome.as_str().into(),
                    source_ip: r.source_ip,
                    detail: r.detail,
                },
                r.target,
            )
        })
        .collect())
}
