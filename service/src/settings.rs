//! Account settings. Each area is its own action, so a policy can hand out one area
//! (sessions, say) without the password policy: `iam:UpdateAccountPasswordPolicy`,
//! `portcullis:UpdateLockoutPolicy`, `portcullis:UpdateSessionPolicy`,
//! `portcullis:UpdateSignInRanges`, `portcullis:UpdateRegions`.

use model::settings::{PasswordPolicyForm, Settings, SettingsArea};
use store::AccountSettings;

use crate::{Caller, Service, ServiceError};

/// Reading the settings is reading the password policy, as in AWS.
const READ: &str = "iam:GetAccountPasswordPolicy";

/// Parses a whole number field, naming the field when it is not one in `range`.
fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy>(
    field: &'static str,
    text: &str,
    label: &str,
    range: std::ops::RangeInclusive<T>,
    unit: &str,
) -> Result<T, ServiceError> {
    let out_of_range = || {
        ServiceError::invalid(
            field,
            format!(
                "{label} must be a whole number between {} and {} {unit}.",
                range.start(),
                range.end()
            ),
        )
    };
    let value = text.trim().parse::<T>().map_err(|_| out_of_range())?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(out_of_range())
    }
}

fn optional<T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy>(
    field: &'static str,
    text: &str,
    label: &str,
    range: std::ops::RangeInclusive<T>,
    unit: &str,
) -> Result<Option<T>, ServiceError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        number(field, text, label, range, unit).map(Some)
    }
}

/// One entry per line (or comma), blanks dropped.
fn lines(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

impl Service {
    pub async fn account_settings(&self, caller: &Caller) -> Result<Settings, ServiceError> {
        self.authorize(caller, READ, "*").await?;
        let checks: Vec<(&str, String)> = SettingsArea::ALL
            .iter()
            .map(|area| (area.action(), "*".to_string()))
            .collect();
        let refusals = self.refusals(caller, &checks).await?;
        Ok(Settings {
            account: self.store.settings().await?,
            refusals,
        })
    }

    /// Authorizes the area's action and applies `change` to the current settings
    /// under a lock, validated as a whole before anything is written.
    async fn change_area(
        &self,
        caller: &Caller,
        action: &'static str,
        detail: &str,
        change: impl FnOnce(AccountSettings) -> Result<AccountSettings, ServiceError>,
    ) -> Result<(), ServiceError> {
        let permit = self.authorize(caller, action, "*").await?;
        let audit = permit.audit(caller, detail);
        let audit = store::AuditEntry {
            target: crate::authz::arn::account(&caller.account_id),
            ..audit
        };
        self.store
            .change_settings(
                |current| {
                    let changed = change(current)?;
                    changed.validate().map_err(|e| ServiceError::Invalid {
                        field: settings_field(&e.field),
                        message: e.message,
                    })?;
                    Ok(changed)
                },
                &audit,
            )
            .await?
    }

    pub async fn update_password_policy(
        &self,
        caller: &Caller,
        form: &PasswordPolicyForm,
    ) -> Result<(), ServiceError> {
        let policy = identity::PasswordPolicy {
            minimum_password_length: number(
                "minimum_password_length",
                &form.minimum_password_length,
                "Minimum length",
                6..=128,
                "characters",
            )?,
            require_symbols: form.require_symbols,
            require_numbers: form.require_numbers,
            require_uppercase_characters: form.require_uppercase_characters,
            require_lowercase_characters: form.require_lowercase_characters,
            allow_users_to_change_password: form.allow_users_to_change_password,
            max_password_age: optional(
                "max_password_age",
                &form.max_password_age,
                "Password expiry",
                1..=1095,
                "days",
            )?,
            password_reuse_prevention: optional(
                "password_reuse_prevention",
                &form.password_reuse_prevention,
                "Reuse prevention",
                1..=24,
                "previous passwords",
            )?,
            hard_expiry: form.hard_expiry,
        };
        self.change_area(
            caller,
            SettingsArea::PasswordPolicy.action(),
            "password policy updated",
            |current| {
                Ok(AccountSettings {
                    password_policy: policy,
                    ..current
                })
            },
        )
        .await
    }

    /// Puts the password policy back to Portcullis's default (AWS's
    /// `DeleteAccountPasswordPolicy`: an account here always has one).
    pub async fn delete_password_policy(&self, caller: &Caller) -> Result<(), ServiceError> {
        self.change_area(
            caller,
            "iam:DeleteAccountPasswordPolicy",
            "password policy back to the default",
            |current| {
                Ok(AccountSettings {
                    password_policy: identity::PasswordPolicy::default(),
                    ..current
                })
            },
        )
        .await
    }

    pub async fn update_lockout(
        &self,
        caller: &Caller,
        threshold: &str,
        minutes: &str,
    ) -> Result<(), ServiceError> {
        let threshold = number(
            "lockout_threshold",
            threshold,
            "Lockout threshold",
            1..=100,
            "failed attempts",
        )?;
        let minutes = number(
            "lockout_minutes",
            minutes,
            "Lockout duration",
            1..=1440,
            "minutes",
        )?;
        self.change_area(
            caller,
            SettingsArea::Lockout.action(),
            "lockout updated",
            |current| {
                Ok(AccountSettings {
                    lockout_threshold: threshold,
                    lockout_minutes: minutes,
                    ..current
                })
            },
        )
        .await
    }

    pub async fn update_sessions(
        &self,
        caller: &Caller,
        idle_minutes: &str,
        max_hours: &str,
    ) -> Result<(), ServiceError> {
        let idle = number(
            "session_idle_minutes",
            idle_minutes,
            "Idle timeout",
            5..=1440,
            "minutes",
        )?;
        let max = number(
            "session_max_hours",
            max_hours,
            "Session lifetime",
            1..=720,
            "hours",
        )?;
        self.change_area(
            caller,
            SettingsArea::Sessions.action(),
            "session limits updated",
            |current| {
                Ok(AccountSettings {
                    session_idle_minutes: idle,
                    session_max_hours: max,
                    ..current
                })
            },
        )
        .await
    }

    /// The networks console sign-in is allowed from; refused when the caller's own
    /// address would be outside them (they could not sign in again).
    pub async fn update_sign_in_ranges(
        &self,
        caller: &Caller,
        ranges: &str,
    ) -> Result<(), ServiceError> {
        let texts = lines(ranges);
        let mut parsed = Vec::new();
        for text in &texts {
            match policy::condition::Cidr::parse(text) {
                Some(range) => parsed.push(range),
                None => {
                    return Err(ServiceError::invalid(
                        "sign_in_ranges",
                        format!(
                            "\"{text}\" is not an IP range such as 203.0.113.0/24 or 2001:db8::/32."
                        ),
                    ))
                }
            }
        }
        let ip = caller.facts.ip_text();
        if !parsed.is_empty() && !parsed.iter().any(|r| r.contains(&ip)) {
            return Err(ServiceError::invalid(
                "sign_in_ranges",
                format!("Your own address, {ip}, is outside these ranges: you could not sign in again. Add a range that includes it."),
            ));
        }
        self.change_area(
            caller,
            SettingsArea::SignInRanges.action(),
            "sign-in networks updated",
            |current| {
                Ok(AccountSettings {
                    sign_in_ranges: texts,
                    ..current
                })
            },
        )
        .await
    }

    pub async fn update_regions(
        &self,
        caller: &Caller,
        regions: &str,
        zones: &str,
    ) -> Result<(), ServiceError> {
        let regions = lines(regions);
        let zones = lines(zones);
        self.change_area(
            caller,
            SettingsArea::Regions.action(),
            "regions updated",
            |current| {
                Ok(AccountSettings {
                    regions,
                    availability_zones: zones,
                    ..current
                })
            },
        )
        .await
    }
}

/// The form field a validation error names (`identity` and `store` name their own).
fn settings_field(field: &str) -> &'static str {
    match field {
        "minimum_password_length" => "minimum_password_length",
        "max_password_age" => "max_password_age",
        "password_reuse_prevention" => "password_reuse_prevention",
        "lockout_threshold" => "lockout_threshold",
        "lockout_minutes" => "lockout_minutes",
        "session_idle_minutes" => "session_idle_minutes",
        "session_max_hours" => "session_max_hours",
        "regions" => "regions",
        "availability_zones" => "availability_zones",
        _ => "",
    }
}
