//! "My security credentials": my password, my MFA device and recovery codes.

use identity::PasswordPolicy;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyCredentials {
    pub name: String,
    pub is_root: bool,
    /// In a role session your own credentials cannot be changed.
    pub in_role_session: bool,
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
