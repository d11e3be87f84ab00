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

/// An access key as the console lists it (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessKeyRow {
    pub id: String,
    pub active: bool,
    pub created: String,
    pub age: String,
    /// "Never", or when, with the service and region.
    pub last_used: String,
}

/// A key just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAccessKey {
    pub user_name: String,
    pub id: String,
    pub secret: String,
}

/// The access keys panel of a user page or of "My security credentials".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessKeysView {
    /// Whose keys: the user's name, or `root`.
    pub owner: String,
    /// Root's keys can do anything: AWS advises against them, and so do we.
    pub owner_is_root: bool,
    pub keys: Vec<AccessKeyRow>,
    /// Why the keys cannot be listed, if they cannot.
    pub list_refused: Option<String>,
    /// Controls the viewer may not use (`iam:CreateAccessKey`, …) with the reason.
    pub refusals: crate::access::Refusals,
}

/// One SSH public key in the console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SshKeyRow {
    pub id: String,
    pub fingerprint: String,
    pub active: bool,
    pub uploaded: String,
}

/// The SSH public keys panel of a user page or of "My security credentials".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SshKeysView {
    pub owner: String,
    pub keys: Vec<SshKeyRow>,
    /// `iam:UploadSSHPublicKey`, … the viewer would be refused, with the reason.
    pub refusals: crate::access::Refusals,
}

/// One service-specific credential in the console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceCredentialRow {
    pub id: String,
    pub service_name: String,
    pub service_user_name: String,
    pub active: bool,
    pub created: String,
}

/// The service-specific credentials panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceCredentialsView {
    pub credentials: Vec<ServiceCredentialRow>,
    /// The services a credential can be made for.
    pub services: Vec<String>,
    pub refusals: crate::access::Refusals,
}

/// A credential's user name and password, shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewServiceCredential {
    pub service_name: String,
    pub service_user_name: String,
    pub password: String,
}
