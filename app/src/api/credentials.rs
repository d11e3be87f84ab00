//! My security credentials: change my password, enrol or remove my MFA device, and see
//! recovery codes once.

use identity::PasswordPolicy;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyCredentials {
    pub name: String,
    pub is_root: bool,
    pub mfa_enabled: bool,
    pub recovery_codes_left: i64,
    pub can_change_password: bool,
    pub policy: PasswordPolicy,
    /// Shown once, right after MFA is enabled.
    pub new_recovery_codes: Vec<String>,
    /// An enrolment in progress: secret and QR code.
    pub enrolment: Option<MfaEnrolment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfaEnrolment {
    pub secret: String,
    pub qr_svg: String,
    pub otpauth_url: String,
}

#[cfg(feature = "ssr")]
const FLASH_CODES: &str = "flash_recovery_codes";

#[cfg(feature = "ssr")]
pub fn open_seed(state: &crate::ssr::AppState, user: &store::User) -> Result<Vec<u8>, AppError> {
    use identity::secret_box::Sealed;
    match (&user.mfa_key_id, &user.mfa_nonce, &user.mfa_ciphertext) {
        (Some(key_id), Some(nonce), Some(ciphertext)) => state
            .secrets
            .open(&Sealed {
                key_id: key_id.clone(),
                nonce: nonce.clone(),
                ciphertext: ciphertext.clone(),
            })
            .map_err(crate::ssr::auth::internal),
        _ => Err(AppError::Internal),
    }
}

#[cfg(feature = "ssr")]
fn enrolment(
    state: &crate::ssr::AppState,
    user: &store::User,
    account: &str,
) -> Result<Option<MfaEnrolment>, AppError> {
    if user.mfa_enabled || user.mfa_ciphertext.is_none() {
        return Ok(None);
    }
    let seed = open_seed(state, user)?;
    let label = if user.is_root {
        format!("root@{account}")
    } else {
        format!("{}@{account}", user.name)
    };
    let url = identity::totp::otpauth_url("Portcullis", &label, &seed);
    Ok(Some(MfaEnrolment {
        secret: identity::totp::seed_base32(&seed),
        qr_svg: identity::totp::qr_svg(&url).unwrap_or_default(),
        otpauth_url: url,
    }))
}

#[server]
pub async fn credentials_overview() -> Result<MyCredentials, AppError> {
    use crate::ssr::auth::{internal, session, state};
    let principal = crate::ssr::signed_in().await?;
    let state = state()?;
    let settings = state.store.settings().await.map_err(internal)?;
    let session = session().await?;
    let codes: Vec<String> = session
        .remove(FLASH_CODES)
        .await
        .map_err(internal)?
        .unwrap_or_default();
    let user = &principal.user;
    Ok(MyCredentials {
        name: principal.actor(),
        is_root: user.is_root,
        mfa_enabled: user.mfa_enabled,
        recovery_codes_left: state
            .store
            .unused_recovery_codes(&user.id)
            .await
            .map_err(internal)?,
        can_change_password: user.is_root
            || settings.password_policy.allow_users_to_change_password,
        policy: settings.password_policy,
        new_recovery_codes: codes,
        enrolment: enrolment(&state, user, &principal.account_id)?,
    })
}

#[server]
pub async fn change_password(
    current: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::{client_ip, respond};
    let principal = crate::ssr::signed_in().await?;
    let state = state()?;
    let policy = state
        .store
        .settings()
        .await
        .map_err(internal)?
        .password_policy;
    if !principal.user.is_root && !policy.allow_users_to_change_password {
        return Err(respond(AppError::Forbidden("The account password policy does not let users change their own password; ask an administrator.".into())));
    }
    let ok = state
        .hasher
        .verify(current, principal.user.password_hash.clone())
        .await
        .map_err(|e| respond(AppError::Busy(e.to_string())))?;
    if !ok {
        return Err(respond(AppError::field(
            "current",
            "Your current password is not correct.",
        )));
    }
    crate::api::auth::check_new_password(&policy, &password, &confirm, Some(&principal.user.id))
        .await?;
    let hash = crate::api::auth::hash(&password).await?;
    let ip = client_ip().await;
    let audit = principal.audit(
        "iam:ChangePassword",
        &principal.user.arn,
        &ip,
        "changed own password",
    );
    state
        .store
        .set_password(&principal.user.id, &hash, false, &audit)
        .await
        .map_err(internal)?;
    leptos_axum::redirect("/security?changed=1");
    Ok(())
}

/// Starts enrolment: a new secret, sealed at rest until confirmed.
#[server]
pub async fn begin_mfa() -> Result<(), AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::respond;
    let principal = crate::ssr::signed_in().await?;
    if principal.user.mfa_enabled {
        return Err(respond(AppError::Conflict(
            "MFA is already enabled. Remove the device first to enrol a new one.".into(),
        )));
    }
    let state = state()?;
    let seed = identity::totp::generate_seed();
    let sealed = state.secrets.seal(&seed).map_err(internal)?;
    state
        .store
        .stage_mfa(
            &principal.user.id,
            &sealed.key_id,
            &sealed.nonce,
            &sealed.ciphertext,
        )
        .await
        .map_err(internal)?;
    leptos_axum::redirect("/security");
    Ok(())
}

/// Confirms enrolment with a code from the app; the recovery codes are shown once.
#[server]
pub async fn confirm_mfa(code: String) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, session, state};
    use crate::ssr::{client_ip, respond};
    let principal = crate::ssr::signed_in().await?;
    let state = state()?;
    let user = &principal.user;
    if user.mfa_enabled || user.mfa_ciphertext.is_none() {
        return Err(respond(AppError::Conflict(
            "There is no enrolment in progress. Choose \"Set up MFA\" first.".into(),
        )));
    }
    let seed = open_seed(&state, user)?;
    let now = u64::try_from(state.clock.now().unix_timestamp()).unwrap_or(0);
    let Some(step) = identity::totp::verify(&seed, &code, now, None) else {
        return Err(respond(AppError::field("code", "That code does not match. Check the time on your device and enter the current 6-digit code.")));
    };
    let codes = identity::totp::generate_recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| identity::totp::hash_recovery_code(c))
        .collect();
    let ip = client_ip().await;
    let audit = principal.audit(
        "iam:EnableMFADevice",
        &user.arn,
        &ip,
        "virtual MFA device enabled",
    );
    state
        .store
        .enable_mfa(&user.id, step, &hashes, &audit)
        .await
        .map_err(internal)?;
    session()
        .await?
        .insert(FLASH_CODES, codes)
        .await
        .map_err(internal)?;
    leptos_axum::redirect("/security");
    Ok(())
}

/// Removes my MFA device; needs a current code so a stolen session cannot do it.
#[server]
pub async fn remove_mfa(code: String) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::{client_ip, respond};
    let principal = crate::ssr::signed_in().await?;
    let state = state()?;
    let user = &principal.user;
    if !user.mfa_enabled {
        return Err(respond(AppError::Conflict("MFA is not enabled.".into())));
    }
    let seed = open_seed(&state, user)?;
    let now = u64::try_from(state.clock.now().unix_timestamp()).unwrap_or(0);
    let accepted = match identity::totp::verify(&seed, &code, now, user.mfa_last_step) {
        Some(step) => state
            .store
            .accept_mfa_step(&user.id, step)
            .await
            .map_err(internal)?,
        None => false,
    };
    if !accepted {
        return Err(respond(AppError::field(
            "code",
            "That code is wrong or was already used.",
        )));
    }
    let ip = client_ip().await;
    let audit = principal.audit(
        "iam:DeactivateMFADevice",
        &user.arn,
        &ip,
        "own MFA device removed",
    );
    state
        .store
        .disable_mfa(&user.id, &audit)
        .await
        .map_err(internal)?;
    leptos_axum::redirect("/security");
    Ok(())
}
