//! Users as the users list and a user's page show them.

use serde::{Deserialize, Serialize};

use crate::audit::ActivityRow;
use crate::{Access, Refusals};

/// One row of the users table, formatted for display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub name: String,
    pub console_access: bool,
    pub mfa_enabled: bool,
    pub groups: i64,
    pub last_sign_in: String,
    pub password_age: String,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPage {
    pub rows: Vec<UserRow>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

pub const PER_PAGE: i64 = 25;

/// How the users list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum UserSort {
    #[default]
    Name,
    Created,
    LastSignIn,
}

impl UserSort {
    /// The form value (`name`, `created`, `last_sign_in`); anything else sorts by name.
    pub fn parse(text: &str) -> UserSort {
        match text {
            "created" => UserSort::Created,
            "last_sign_in" => UserSort::LastSignIn,
            _ => UserSort::Name,
        }
    }
}

/// How a new user's console password is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PasswordMode {
    /// No console access.
    None,
    /// The administrator typed one.
    Custom,
    /// Generated, and shown once to the administrator.
    Generated,
}

impl PasswordMode {
    pub fn parse(text: &str) -> Option<PasswordMode> {
        match text {
            "none" => Some(PasswordMode::None),
            "custom" => Some(PasswordMode::Custom),
            "generated" => Some(PasswordMode::Generated),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDetail {
    pub name: String,
    pub arn: String,
    pub id: String,
    pub created: String,
    pub console_access: bool,
    pub password_reset_required: bool,
    pub password_age: String,
    pub last_sign_in: String,
    pub locked: bool,
    pub mfa_enabled: bool,
    pub groups: Vec<String>,
    pub all_groups: Vec<String>,
    /// The group the user's created resources are billed to, and whether it was
    /// chosen (otherwise it is the first group joined).
    pub billing_group: Option<String>,
    pub billing_group_chosen: bool,
    /// Recent audit rows about the user; empty when the viewer may not read the
    /// audit log (`activity_refused` says why).
    pub activity: Vec<ActivityRow>,
    pub activity_refused: Option<String>,
    /// A generated password, shown once to the administrator who set it.
    pub generated_password: Option<String>,
    /// What applies to the user (directly, through groups and roles), its roles
    /// and its permissions boundary.
    pub access: Access,
    /// Changes on this page the signed-in principal may not make.
    pub refusals: Refusals,
}
