//! Account settings, one form per area: password policy, lockout, sessions,
//! sign-in networks, regions.
// The password policy form posts each field as its own argument so that it works as a
// plain HTML form before the wasm loads; `#[server]` copies those nine arguments into
// client code that an item-level `allow` does not reach.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;
pub use model::settings::{Settings, SettingsArea};

#[server]
pub async fn account_settings() -> Result<Settings, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .account_settings(&caller)
        .await
        .map_err(respond)
}

#[server]
pub async fn update_password_policy(
    minimum_password_length: String,
    require_symbols: Option<String>,
    require_numbers: Option<String>,
    require_uppercase_characters: Option<String>,
    require_lowercase_characters: Option<String>,
    allow_users_to_change_password: Option<String>,
    max_password_age: String,
    password_reuse_prevention: String,
    hard_expiry: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let form = model::settings::PasswordPolicyForm {
        minimum_password_length,
        require_symbols: require_symbols.is_some(),
        require_numbers: require_numbers.is_some(),
        require_uppercase_characters: require_uppercase_characters.is_some(),
        require_lowercase_characters: require_lowercase_characters.is_some(),
        allow_users_to_change_password: allow_users_to_change_password.is_some(),
        max_password_age,
        password_reuse_prevention,
        hard_expiry: hard_expiry.is_some(),
    };
    state()?
        .service
        .update_password_policy(&caller, &form)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/settings?saved=password");
    Ok(())
}

#[server]
pub async fn update_lockout(
    lockout_threshold: String,
    lockout_minutes: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .update_lockout(&caller, &lockout_threshold, &lockout_minutes)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/settings?saved=lockout");
    Ok(())
}

#[server]
pub async fn update_sessions(
    session_idle_minutes: String,
    session_max_hours: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .update_sessions(&caller, &session_idle_minutes, &session_max_hours)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/settings?saved=sessions");
    Ok(())
}

#[server]
pub async fn update_sign_in_ranges(sign_in_ranges: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .update_sign_in_ranges(&caller, &sign_in_ranges)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/settings?saved=networks");
    Ok(())
}

#[server]
pub async fn update_regions(regions: String, availability_zones: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .update_regions(&caller, &regions, &availability_zones)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/settings?saved=regions");
    Ok(())
}
