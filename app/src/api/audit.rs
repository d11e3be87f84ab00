//! The audit log, filterable.

use leptos::prelude::*;

use crate::error::AppError;
pub use model::audit::ActivityRow;

#[server]
pub async fn audit_log(
    actor: String,
    action: String,
    target: String,
    outcome: String,
) -> Result<Vec<ActivityRow>, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let query = model::audit::AuditQuery {
        actor,
        action,
        target,
        outcome,
    };
    state()?
        .service
        .audit_log(&caller, &query)
        .await
        .map_err(respond)
}
