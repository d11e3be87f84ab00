//! Account settings, one area per form, each changed by its own action so a policy can
//! hand out one area (say, sessions) without the others.

use identity::{PasswordPolicy, PolicyFieldError};
use serde::{Deserialize, Serialize};

use crate::Refusals;

/// The settings page: the account's settings, and which areas the signed-in
/// principal may not change, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub account: AccountSettings,
    pub refusals: Refusals,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub password_policy: PasswordPolicy,
    /// Failed sign-ins in a row before the account locks, 1–100.
    pub lockout_threshold: i16,
    /// How long a lock lasts, 1–1440 minutes.
    pub lockout_minutes: i16,
    /// Sign out after this much inactivity, 5–1440 minutes.
    pub session_idle_minutes: i16,
    /// Sign out after this long whatever happens, 1–720 hours.
    pub session_max_hours: i16,
    /// Console sign-in only from these CIDR ranges (checked by the caller, which
    /// knows CIDRs); empty allows any address.
    pub sign_in_ranges: Vec<String>,
    /// The regions the console offers; the chosen one is `aws:RequestedRegion`.
    pub regions: Vec<String>,
    /// Availability zones, each in one of `regions`.
    pub availability_zones: Vec<String>,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            password_policy: PasswordPolicy::default(),
            lockout_threshold: 5,
            lockout_minutes: 15,
            session_idle_minutes: 60,
            session_max_hours: 12,
            sign_in_ranges: Vec::new(),
            regions: [
                "us-east-1",
                "us-west-2",
                "eu-west-1",
                "eu-central-1",
                "ap-southeast-1",
            ]
            .map(String::from)
            .to_vec(),
            availability_zones: [
                "us-east-1a",
                "us-east-1b",
                "us-east-1c",
                "us-west-2a",
                "us-west-2b",
                "eu-west-1a",
                "eu-west-1b",
                "eu-central-1a",
                "eu-central-1b",
                "ap-southeast-1a",
                "ap-southeast-1b",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl AccountSettings {
    /// Checks every field's range; the error names the field.
    pub fn validate(&self) -> Result<(), PolicyFieldError> {
        self.password_policy.validate()?;
        let check = |value: i16, range: std::ops::RangeInclusive<i16>, field: &str, unit: &str| {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(PolicyFieldError {
                    field: field.to_string(),
                    message: format!(
                        "must be between {} and {} {unit}",
                        range.start(),
                        range.end()
                    ),
                })
            }
        };
        check(
            self.lockout_threshold,
            1..=100,
            "lockout_threshold",
            "failed attempts",
        )?;
        check(self.lockout_minutes, 1..=1440, "lockout_minutes", "minutes")?;
        check(
            self.session_idle_minutes,
            5..=1440,
            "session_idle_minutes",
            "minutes",
        )?;
        check(
            self.session_max_hours,
            1..=720,
            "session_max_hours",
            "hours",
        )?;
        let invalid = |field: &str, message: String| PolicyFieldError {
            field: field.to_string(),
            message,
        };
        if self.regions.is_empty() {
            return Err(invalid("regions", "List at least one region.".into()));
        }
        for region in &self.regions {
            if !is_region(region) {
                return Err(invalid(
                    "regions",
                    format!("\"{region}\" is not a region name such as eu-west-1."),
                ));
            }
        }
        for zone in &self.availability_zones {
            let region = zone.get(..zone.len().saturating_sub(1)).unwrap_or_default();
            let letter = zone.chars().last().unwrap_or(' ');
            if !letter.is_ascii_lowercase() || !is_region(region) {
                return Err(invalid(
                    "availability_zones",
                    format!("\"{zone}\" is not an availability zone name such as eu-west-1a."),
                ));
            }
            if !self.regions.iter().any(|r| r == region) {
                return Err(invalid(
                    "availability_zones",
                    format!("\"{zone}\" is in {region}, which is not in the list of regions."),
                ));
            }
        }
        Ok(())
    }
}

/// `us-east-1`, `ap-southeast-2`, `us-gov-west-1`: letters, dash-separated, then a number.
fn is_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts
            .iter()
            .rev()
            .skip(1)
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The areas of the settings page and the action that changes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SettingsArea {
    PasswordPolicy,
    Lockout,
    Sessions,
    SignInRanges,
    Regions,
}

impl SettingsArea {
    pub const ALL: [SettingsArea; 5] = [
        SettingsArea::PasswordPolicy,
        SettingsArea::Lockout,
        SettingsArea::Sessions,
        SettingsArea::SignInRanges,
        SettingsArea::Regions,
    ];

    /// The catalogue action that changes this area.
    pub fn action(self) -> &'static str {
        match self {
            SettingsArea::PasswordPolicy => "iam:UpdateAccountPasswordPolicy",
            SettingsArea::Lockout => "portcullis:UpdateLockoutPolicy",
            SettingsArea::Sessions => "portcullis:UpdateSessionPolicy",
            SettingsArea::SignInRanges => "portcullis:UpdateSignInRanges",
            SettingsArea::Regions => "portcullis:UpdateRegions",
        }
    }
}

/// The password policy form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicyForm {
    pub minimum_password_length: String,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub allow_users_to_change_password: bool,
    /// Days; blank for never.
    pub max_password_age: String,
    /// Previous passwords; blank for none.
    pub password_reuse_prevention: String,
    pub hard_expiry: bool,
}
