//! Account settings: password policy, lockout and session lifetimes.

// The settings form posts each field as its own argument, so that it works as a plain
// HTML form before the wasm loads; the server function mirrors the form.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;

pub use store_types::Settings;

/// The settings as the form edits them (mirrors `store::AccountSettings`, which the
/// browser build does not link).
pub mod store_types {
    use identity::PasswordPolicy;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Settings {
        pub password_policy: PasswordPolicy,
        pub lockout_threshold: i16,
        pub lockout_minutes: i16,
        pub session_idle_minutes: i16,
        pub session_max_hours: i16,
        pub sign_in_ranges: Vec<String>,
        pub regions: Vec<String>,
        pub availability_zones: Vec<String>,
        /// Whether the signed-in principal may change them, and why not.
        pub refusals: crate::api::permissions::Refusals,
    }
}

#[server]
pub async fn account_settings() -> Result<Settings, AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::Target;
    let principal = crate::ssr::authorize("iam:GetAccountPasswordPolicy", Target::Any).await?;
    let refusals = crate::ssr::authz::refusals(
        &principal,
        &[("iam:UpdateAccountPasswordPolicy", Target::Any)],
    )
    .await?;
    let s = state()?.store.settings().await.map_err(internal)?;
    Ok(Settings {
        password_policy: s.password_policy,
        lockout_threshold: s.lockout_threshold,
        lockout_minutes: s.lockout_minutes,
        session_idle_minutes: s.session_idle_minutes,
        session_max_hours: s.session_max_hours,
        sign_in_ranges: s.sign_in_ranges,
        regions: s.regions,
        availability_zones: s.availability_zones,
        refusals,
    })
}

/// One entry per line (or comma), blanks dropped.
#[cfg(feature = "ssr")]
fn lines(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Parses a whole number field, naming the field when it is not one.
#[cfg(feature = "ssr")]
fn number<T: std::str::FromStr>(field: &str, text: &str, label: &str) -> Result<T, AppError> {
    text.trim().parse::<T>().map_err(|_| {
        crate::ssr::respond(AppError::field(
            field,
            format!("{label} must be a whole number."),
        ))
    })
}

#[cfg(feature = "ssr")]
fn optional<T: std::str::FromStr>(
    field: &str,
    text: &str,
    label: &str,
) -> Result<Option<T>, AppError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        number(field, text, label).map(Some)
    }
}

#[server]
pub async fn update_account_settings(
    minimum_password_length: String,
    require_symbols: Option<String>,
    require_numbers: Option<String>,
    require_uppercase_characters: Option<String>,
    require_lowercase_characters: Option<String>,
    allow_users_to_change_password: Option<String>,
    max_password_age: String,
    password_reuse_prevention: String,
    hard_expiry: Option<String>,
    lockout_threshold: String,
    lockout_minutes: String,
    session_idle_minutes: String,
    session_max_hours: String,
    sign_in_ranges: String,
    regions: String,
    availability_zones: String,
) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::{client_ip, respond};
    let principal =
        crate::ssr::authorize("iam:UpdateAccountPasswordPolicy", crate::ssr::Target::Any).await?;
    let range = |field: &str, message: &str| respond(AppError::field(field, message.to_string()));
    let settings = store::AccountSettings {
        password_policy: identity::PasswordPolicy {
            minimum_password_length: number::<u8>(
                "minimum_password_length",
                &minimum_password_length,
                "Minimum length",
            )
            .map_err(|_| {
                range(
                    "minimum_password_length",
                    "must be between 6 and 128 characters",
                )
            })?,
            require_symbols: require_symbols.is_some(),
            require_numbers: require_numbers.is_some(),
            require_uppercase_characters: require_uppercase_characters.is_some(),
            require_lowercase_characters: require_lowercase_characters.is_some(),
            allow_users_to_change_password: allow_users_to_change_password.is_some(),
            max_password_age: optional::<u16>(
                "max_password_age",
                &max_password_age,
                "Password expiry",
            )
            .map_err(|_| range("max_password_age", "must be between 1 and 1095 days"))?,
            password_reuse_prevention: optional::<u8>(
                "password_reuse_prevention",
                &password_reuse_prevention,
                "Reuse prevention",
            )
            .map_err(|_| {
                range(
                    "password_reuse_prevention",
                    "must be between 1 and 24 previous passwords",
                )
            })?,
            hard_expiry: hard_expiry.is_some(),
        },
        lockout_threshold: number("lockout_threshold", &lockout_threshold, "Lockout threshold")?,
        lockout_minutes: number("lockout_minutes", &lockout_minutes, "Lockout duration")?,
        session_idle_minutes: number(
            "session_idle_minutes",
            &session_idle_minutes,
            "Idle timeout",
        )?,
        session_max_hours: number("session_max_hours", &session_max_hours, "Session lifetime")?,
        sign_in_ranges: lines(&sign_in_ranges),
        regions: lines(&regions),
        availability_zones: lines(&availability_zones),
    };
    if let Err(e) = settings.validate() {
        return Err(respond(AppError::field(&e.field, e.message)));
    }
    let mut ranges = Vec::new();
    for text in &settings.sign_in_ranges {
        match policy::condition::Cidr::parse(text) {
            Some(range) => ranges.push(range),
            None => {
                return Err(respond(AppError::field(
                    "sign_in_ranges",
                    format!(
                        "\"{text}\" is not an IP range such as 203.0.113.0/24 or 2001:db8::/32."
                    ),
                )))
            }
        }
    }
    let state = state()?;
    let ip = client_ip().await;
    // Saving ranges that exclude the admin's own address would lock them out.
    if !ranges.is_empty() && !ranges.iter().any(|r| r.contains(&ip)) {
        return Err(respond(AppError::field(
            "sign_in_ranges",
            format!("Your own address, {ip}, is outside these ranges: you could not sign in again. Add a range that includes it."),
        )));
    }
    let audit = principal.audit(
        "iam:UpdateAccountPasswordPolicy",
        &format!("arn:aws:iam::{}:root", principal.account_id),
        &ip,
        "account settings updated",
    );
    state
        .store
        .update_settings(&settings, &audit)
        .await
        .map_err(internal)?;
    leptos_axum::redirect("/settings?saved=1");
    Ok(())
}
