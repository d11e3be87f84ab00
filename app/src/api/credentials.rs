//! My security credentials: change my password, enrol or remove my MFA device, and see
//! recovery codes once.

use leptos::prelude::*;

use crate::error::AppError;
pub use model::credentials::{MfaEnrolment, MyCredentials};

/// Where new recovery codes wait to be shown once.
#[cfg(feature = "ssr")]
const FLASH_CODES: &str = "flash_recovery_codes";

#[server]
pub async fn credentials_overview() -> Result<MyCredentials, AppError> {
    use crate::ssr::{caller, respond, state, take_flash};
    let caller = caller().await?;
    let codes = take_flash::<Vec<String>>(FLASH_CODES)
        .await?
        .unwrap_or_default();
    state()?
        .service
        .credentials_overview(&caller, codes)
        .await
        .map_err(respond)
}

#[server]
pub async fn change_password(
    current: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, session, state};
    let caller = caller().await?;
    let epoch = state()?
        .service
        .change_password(&caller, &current, &password, &confirm)
        .await
        .map_err(respond)?;
    session::restamp(epoch).await?;
    leptos_axum::redirect("/security?changed=1");
    Ok(())
}

/// Starts enrolment: a new secret, sealed at rest until confirmed.
#[server]
pub async fn begin_mfa() -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?.service.begin_mfa(&caller).await.map_err(respond)?;
    leptos_axum::redirect("/security");
    Ok(())
}

/// Confirms enrolment with a code from the app; the recovery codes are shown once.
#[server]
pub async fn confirm_mfa(code: String) -> Result<(), AppError> {
    use crate::ssr::{caller, flash, respond, session, state};
    let caller = caller().await?;
    let (codes, epoch) = state()?
        .service
        .confirm_mfa(&caller, &code)
        .await
        .map_err(respond)?;
    session::restamp(epoch).await?;
    flash(FLASH_CODES, codes).await?;
    leptos_axum::redirect("/security");
    Ok(())
}

/// Removes my MFA device; needs a current code so a stolen session cannot do it.
#[server]
pub async fn remove_mfa(code: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, session, state};
    let caller = caller().await?;
    let epoch = state()?
        .service
        .remove_mfa(&caller, &code)
        .await
        .map_err(respond)?;
    session::restamp(epoch).await?;
    leptos_axum::redirect("/security");
    Ok(())
}
