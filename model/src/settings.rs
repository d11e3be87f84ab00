//! Account settings, one area per form, each changed by its own action so a policy can
//! hand out one area (say, sessions) without the others.

use identity::PasswordPolicy;
use serde::{Deserialize, Serialize};

use crate::Refusals;

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
    /// Which areas the signed-in principal may not change, and why.
    pub refusals: Refusals,
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
