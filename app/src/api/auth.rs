//! First-run setup, sign-in (password, then MFA, then a forced password change when
//! required), the signed-in identity, the region, and signing out.

use identity::PasswordPolicy;
use leptos::prelude::*;

use crate::error::AppError;
pub use model::session::{Me, Menu, SetupRequirements, Stage};

/// Where this browser stands: setup, sign-in, MFA, password change, or signed in.
#[server]
pub async fn current_stage() -> Result<Stage, AppError> {
    use crate::ssr::{respond, session, state};
    let session = session::session().await?;
    let current = session::sign_in_state(&session).await?;
    state()?
        .service
        .stage(current.as_ref())
        .await
        .map_err(respond)
}

/// Whether setup needs the token from the server log.
#[server]
pub async fn setup_needs() -> Result<SetupRequirements, AppError> {
    Ok(SetupRequirements {
        token_required: crate::ssr::state()?.service.setup_token_required(),
    })
}

/// The account password policy, shown next to password fields before sign-in too.
#[server]
pub async fn account_password_policy() -> Result<PasswordPolicy, AppError> {
    use crate::ssr::{respond, state};
    state()?.service.password_policy().await.map_err(respond)
}

/// The signed-in identity, or `None`.
#[server]
pub async fn whoami() -> Result<Option<Me>, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = match caller().await {
        Ok(caller) => caller,
        Err(AppError::SignedOut) => return Ok(None),
        Err(e) => return Err(e),
    };
    state()?
        .service
        .whoami(&caller)
        .await
        .map(Some)
        .map_err(respond)
}

/// Switches the console to one of the account's regions: every later request carries
/// it as `aws:RequestedRegion`, so regional Deny statements apply as in AWS.
#[server]
pub async fn choose_region(region: String, back: String) -> Result<(), AppError> {
    use crate::ssr::{caller, redirect_back, respond, session, state};
    let caller = caller().await?;
    let region = state()?
        .service
        .choose_region(&caller, &region)
        .await
        .map_err(respond)?;
    session::set_region(region).await?;
    redirect_back(&back, "/");
    Ok(())
}

/// First run: creates the account and its root user, and signs root in.
#[server]
pub async fn set_up_account(
    email: String,
    password: String,
    confirm: String,
    #[server(default)] token: String,
) -> Result<(), AppError> {
    use crate::ssr::{session, state};
    let form = service::signin::SetUp {
        email,
        password,
        confirm,
        token,
    };
    let transition = state()?
        .service
        .set_up(&session::facts(), &session::host(), form)
        .await;
    let next = session::step(transition).await?;
    leptos_axum::redirect(next.path());
    Ok(())
}

/// Sign-in with the root email or an IAM user name and the password.
#[server]
pub async fn sign_in(identity: String, password: String) -> Result<(), AppError> {
    use crate::ssr::{session, state};
    let transition = state()?
        .service
        .sign_in(&session::facts(), &identity, &password)
        .await;
    let next = session::step(transition).await?;
    leptos_axum::redirect(next.path());
    Ok(())
}

/// The second factor: a TOTP code, or one of the recovery codes.
#[server]
pub async fn verify_mfa(code: String) -> Result<(), AppError> {
    use crate::ssr::{session, state};
    let current = session::sign_in_state(&session::session().await?).await?;
    let transition = state()?
        .service
        .verify_mfa(&session::facts(), current, &code)
        .await;
    let next = session::step(transition).await?;
    leptos_axum::redirect(next.path());
    Ok(())
}

/// The forced change after sign-in (reset required, or the password expired).
#[server]
pub async fn change_required_password(password: String, confirm: String) -> Result<(), AppError> {
    use crate::ssr::{session, state};
    let current = session::sign_in_state(&session::session().await?).await?;
    let transition = state()?
        .service
        .change_required_password(&session::facts(), current, &password, &confirm)
        .await;
    let next = session::step(transition).await?;
    leptos_axum::redirect(next.path());
    Ok(())
}

/// Ends this session.
#[server]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::{caller, respond, session, state};
    if let Ok(caller) = caller().await {
        state()?.service.sign_out(&caller).await.map_err(respond)?;
    }
    session::end().await?;
    leptos_axum::redirect("/signin");
    Ok(())
}

/// Ends every session of the signed-in user, on every device, this one included.
#[server]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use crate::ssr::{caller, respond, session, state};
    let caller = caller().await?;
    state()?
        .service
        .sign_out_everywhere(&caller)
        .await
        .map_err(respond)?;
    session::end().await?;
    leptos_axum::redirect("/signin");
    Ok(())
}
