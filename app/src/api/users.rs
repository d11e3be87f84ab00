//! Users: list, create, inspect, reset password, unlock, deactivate MFA, end
//! sessions, delete.

use leptos::prelude::*;

use crate::error::AppError;
pub use model::audit::ActivityRow;
pub use model::users::{UserDetail, UserPage, UserRow, PER_PAGE};

/// Where a generated password waits to be shown once, on the user's page.
#[cfg(feature = "ssr")]
const FLASH_PASSWORD: &str = "flash_generated_password";

#[server]
pub async fn list_users(
    search: String,
    sort: String,
    descending: bool,
    page: i64,
) -> Result<UserPage, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .list_users(
            &caller,
            &search,
            model::users::UserSort::parse(&sort),
            descending,
            page,
        )
        .await
        .map_err(respond)
}

/// Creates a user. `password_mode`: `none`, `custom` or `generated`; a generated
/// password is shown once on the user's page.
#[server]
pub async fn create_user(
    name: String,
    password_mode: String,
    password: String,
    require_reset: Option<String>,
    tags: String,
    #[server(default)] boundary: String,
    #[server(default)] path: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, flash, respond, state};
    use service::ServiceError;
    let caller = caller().await?;
    let Some(password_mode) = model::users::PasswordMode::parse(&password_mode) else {
        return Err(respond(ServiceError::invalid(
            "password_mode",
            "Choose how to set the console password.",
        )));
    };
    let input = service::users::NewUserInput {
        name,
        path,
        password_mode,
        password,
        require_reset: require_reset.is_some(),
        tags,
        tag_pairs: Vec::new(),
        boundary: Some(boundary),
    };
    let created = state()?
        .service
        .create_user(&caller, input)
        .await
        .map_err(respond)?;
    if let Some(password) = created.generated_password {
        flash(FLASH_PASSWORD, password).await?;
    }
    leptos_axum::redirect(&format!("/users/{}", created.user.name));
    Ok(())
}

#[server]
pub async fn user_overview(name: String) -> Result<UserDetail, AppError> {
    use crate::ssr::{caller, respond, state, take_flash};
    let caller = caller().await?;
    let generated = take_flash::<String>(FLASH_PASSWORD).await?;
    state()?
        .service
        .user_overview(&caller, &name, generated)
        .await
        .map_err(respond)
}

/// Deletes a user after the administrator typed its name to confirm.
#[server]
pub async fn delete_user(name: String, confirm: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .delete_user(&caller, &name, &confirm)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/users");
    Ok(())
}

/// Sets (or generates) a user's console password; the user's sessions end.
#[server]
pub async fn reset_user_password(
    name: String,
    password_mode: String,
    password: String,
    require_reset: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{caller, flash, respond, state};
    let caller = caller().await?;
    let mode = match password_mode.as_str() {
        "custom" => model::users::PasswordMode::Custom,
        _ => model::users::PasswordMode::Generated,
    };
    let generated = state()?
        .service
        .reset_user_password(&caller, &name, mode, &password, require_reset.is_some())
        .await
        .map_err(respond)?;
    if let Some(password) = generated {
        flash(FLASH_PASSWORD, password).await?;
    }
    leptos_axum::redirect(&format!("/users/{}", name.trim()));
    Ok(())
}

#[server]
pub async fn unlock_user(name: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .unlock_user(&caller, &name)
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/users/{}", name.trim()));
    Ok(())
}

/// An administrator removes a user's MFA device (lost phone).
#[server]
pub async fn deactivate_user_mfa(name: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .deactivate_user_mfa(&caller, &name)
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/users/{}", name.trim()));
    Ok(())
}

/// An administrator ends every session of a user.
#[server]
pub async fn sign_out_user(name: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .sign_out_user(&caller, &name)
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/users/{}", name.trim()));
    Ok(())
}

/// Chooses the group a user's created resources are billed to (empty: the first
/// group joined).
#[server]
pub async fn set_billing_group(name: String, billing_group: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .set_billing_group(&caller, &name, &billing_group)
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/users/{}", name.trim()));
    Ok(())
}
