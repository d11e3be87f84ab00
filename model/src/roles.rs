//! Roles as the roles list and a role's page show them.

use serde::{Deserialize, Serialize};

use crate::{Access, Refusals};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleRow {
    pub name: String,
    pub description: String,
    /// Who may assume it, in short.
    pub trusted: String,
    pub max_session_hours: i32,
    /// Users and groups it is given to.
    pub holders: usize,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDetail {
    pub name: String,
    pub arn: String,
    pub description: String,
    pub created: String,
    pub max_session_hours: i32,
    pub trust_policy: String,
    /// One line per trusted entity, with the conditions that apply to it.
    pub trusted: Vec<String>,
    /// `user alice`, `group auditors`.
    pub holders: Vec<String>,
    /// Sessions not yet ended or expired (console switches and API credentials).
    pub active_sessions: i64,
    pub access: Access,
    /// Changes on this page the signed-in principal may not make.
    pub refusals: Refusals,
}

/// A role's instance profiles, `(name, ARN)`, and what the viewer may not change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceProfilesView {
    pub profiles: Vec<(String, String)>,
    pub refusals: Refusals,
}

/// The create form: a pasted trust policy, or one built from the other fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewRole {
    pub name: String,
    pub description: String,
    /// Names separated by commas, spaces or lines.
    pub trusted_users: String,
    /// 12-digit account IDs separated by commas, spaces or lines.
    pub trusted_accounts: String,
    pub external_id: String,
    pub require_mfa: bool,
    pub max_session_hours: i32,
    /// When not blank, used as is instead of building one.
    pub trust_policy: String,
    /// Tags to create it with (AWS's `CreateRole` takes them; needs `iam:TagRole`).
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// `/` or `/a/b/` (blank is `/`).
    #[serde(default)]
    pub path: String,
    /// The API's exact maximum in seconds; the form's hours when absent.
    #[serde(default)]
    pub max_session_seconds: Option<i32>,
}
