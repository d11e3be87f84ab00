//! Managed policies: the templates (read-only) and customer-managed policies with
//! versions, plus the editor's live check.

use leptos::prelude::*;

use crate::error::AppError;
pub use model::policies::{
    FindingRow, PolicyCheck, PolicyDetail, PolicyRow, SummaryRow, VersionRow,
};

#[server]
pub async fn list_policies() -> Result<Vec<PolicyRow>, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .list_policies(&caller)
        .await
        .map_err(respond)
}

/// The editor's live check: lint findings with positions, size, and the summary.
#[server]
pub async fn check_policy(document: String) -> Result<PolicyCheck, AppError> {
    use crate::ssr::{caller, state};
    let caller = caller().await?;
    Ok(state()?.service.check_policy(&caller, &document))
}

#[server]
pub async fn policy_overview(name: String) -> Result<PolicyDetail, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .policy_overview(&caller, &name)
        .await
        .map_err(respond)
}

#[server]
pub async fn create_policy(
    name: String,
    description: String,
    document: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let policy = state()?
        .service
        .create_policy(&caller, "/", &name, &description, &document, &[])
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/policies/{}", policy.name));
    Ok(())
}

/// Saves an edited document as a new version, the default one unless unticked.
#[server]
pub async fn create_policy_version(
    name: String,
    document: String,
    set_as_default: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .create_policy_version(&caller, &name, &document, set_as_default.is_some())
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/policies/{}", name.trim()));
    Ok(())
}

/// Makes a version the default: how a change is rolled back.
#[server]
pub async fn set_default_version(name: String, version: i32) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .set_default_version(&caller, &name, version)
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/policies/{}", name.trim()));
    Ok(())
}

#[server]
pub async fn delete_policy_version(name: String, version: i32) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .delete_policy_version(&caller, &name, version)
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/policies/{}", name.trim()));
    Ok(())
}

/// Deletes a customer policy; refused while it is attached, naming where.
#[server]
pub async fn delete_policy(name: String, confirm: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .delete_policy(&caller, &name, &confirm)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/policies");
    Ok(())
}
