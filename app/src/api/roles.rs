//! Roles: create, edit, delete; and switching to one (a role session) and back.

// The create form posts each field as its own argument, so that it works as a plain
// HTML form before the wasm loads; the server function mirrors the form.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;
pub use model::roles::{RoleDetail, RoleRow};
pub use model::session::ActiveRole;

#[server]
pub async fn list_roles() -> Result<Vec<RoleRow>, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?.service.list_roles(&caller).await.map_err(respond)
}

/// Creates a role. Its trust policy is the pasted document, or one built from the
/// trusted users, external ID and MFA fields.
#[server]
pub async fn create_role(
    name: String,
    description: String,
    trusted_users: String,
    trusted_accounts: String,
    external_id: String,
    require_mfa: Option<String>,
    max_session_hours: i32,
    trust_policy: String,
    #[server(default)] path: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let form = model::roles::NewRole {
        path,
        name,
        description,
        trusted_users,
        trusted_accounts,
        external_id,
        require_mfa: require_mfa.is_some(),
        max_session_hours,
        trust_policy,
        ..Default::default()
    };
    let role = state()?
        .service
        .create_role(&caller, form)
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/roles/{}", role.name));
    Ok(())
}

#[server]
pub async fn role_overview(name: String) -> Result<RoleDetail, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .role_overview(&caller, &name)
        .await
        .map_err(respond)
}

/// Replaces who may assume the role.
#[server]
pub async fn update_trust_policy(name: String, trust_policy: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .update_trust_policy(&caller, &name, &trust_policy)
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/roles/{}", name.trim()));
    Ok(())
}

/// Changes the description and the maximum session.
#[server]
pub async fn update_role(
    name: String,
    description: String,
    max_session_hours: i32,
) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .update_role(
            &caller,
            &name,
            &description,
            max_session_hours.saturating_mul(3600),
        )
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/roles/{}", name.trim()));
    Ok(())
}

#[server]
pub async fn delete_role(name: String, confirm: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .delete_role(&caller, &name, &confirm)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/roles");
    Ok(())
}

/// "Revoke active sessions": every session of the role started until now ends, in
/// the console and through the API. Answers how many ended.
#[server]
pub async fn revoke_role_sessions(name: String) -> Result<u64, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .revoke_role_sessions(&caller, &name)
        .await
        .map_err(respond)
}

/// Starts a session of `role` in this console, if its trust policy admits the
/// signed-in user (with the external ID given, and the session's MFA), for
/// `duration_hours` within the role's maximum.
#[server]
pub async fn switch_role(
    role: String,
    external_id: String,
    duration_hours: i32,
) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, session, state};
    let caller = caller().await?;
    let started = state()?
        .service
        .switch_role(&caller, &role, &external_id, duration_hours)
        .await
        .map_err(respond)?;
    session::set_role_session(Some(started.id)).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Ends the role session: the console acts as the user again.
#[server]
pub async fn switch_back() -> Result<(), AppError> {
    use crate::ssr::{caller, respond, session, state};
    let caller = caller().await?;
    state()?
        .service
        .switch_back(&caller)
        .await
        .map_err(respond)?;
    session::set_role_session(None).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server]
pub async fn role_instance_profiles(
    role: String,
) -> Result<model::roles::InstanceProfilesView, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .role_instance_profiles(&caller, &role)
        .await
        .map_err(respond)
}

/// Creates an instance profile holding the role, in one step.
#[server]
pub async fn create_instance_profile(role: String, name: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .create_instance_profile(&caller, "/", &name, Some(&role), &[])
        .await
        .map(|_| ())
        .map_err(respond)
}

#[server]
pub async fn remove_from_instance_profile(role: String, name: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .remove_role_from_instance_profile(&caller, &name, &role)
        .await
        .map_err(respond)
}
