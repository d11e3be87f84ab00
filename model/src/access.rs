//! What a user, group or role is given, and which changes the signed-in principal may
//! not make (so the page shows them disabled, with the engine's reason).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Holder;

/// IAM's spellings of each change for a user, a group and a role, in that order
/// (groups have no permissions boundary).
pub mod actions {
    pub type Spellings = [&'static str; 3];
    pub const ATTACH: Spellings = [
        "iam:AttachUserPolicy",
        "iam:AttachGroupPolicy",
        "iam:AttachRolePolicy",
    ];
    pub const DETACH: Spellings = [
        "iam:DetachUserPolicy",
        "iam:DetachGroupPolicy",
        "iam:DetachRolePolicy",
    ];
    pub const PUT_INLINE: Spellings = [
        "iam:PutUserPolicy",
        "iam:PutGroupPolicy",
        "iam:PutRolePolicy",
    ];
    pub const DELETE_INLINE: Spellings = [
        "iam:DeleteUserPolicy",
        "iam:DeleteGroupPolicy",
        "iam:DeleteRolePolicy",
    ];
    pub const PUT_BOUNDARY: Spellings = [
        "iam:PutUserPermissionsBoundary",
        "",
        "iam:PutRolePermissionsBoundary",
    ];
    pub const DELETE_BOUNDARY: Spellings = [
        "iam:DeleteUserPermissionsBoundary",
        "",
        "iam:DeleteRolePermissionsBoundary",
    ];
}

/// A policy that applies to a user, group or role, and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachedPolicy {
    pub name: String,
    /// The managed policy's ARN; `None` for an inline policy.
    pub arn: Option<String>,
    /// `Attached directly`, `Group readers`, `Role Auditor through group readers`, …
    pub via: String,
    /// Attached to or embedded in this identity itself, so it can be removed here.
    pub direct: bool,
    /// An inline policy's document, to read and edit in place.
    pub document: Option<String>,
}

/// Everything the console shows and offers about an identity's permissions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Access {
    pub holder: Holder,
    pub name: String,
    pub policies: Vec<AttachedPolicy>,
    /// Managed policies that can still be attached: (name, ARN).
    pub available_policies: Vec<(String, String)>,
    /// The permissions boundary (name, ARN); users and roles only.
    pub boundary: Option<(String, String)>,
    /// Roles given to this user or group directly.
    pub roles: Vec<String>,
    /// Roles that can still be given.
    pub available_roles: Vec<String>,
    /// AWS's quota for this identity's inline policies, in characters.
    pub inline_limit: usize,
    /// The panels' changes the signed-in principal may not make.
    pub refusals: Refusals,
}

impl Access {
    /// The IAM action for this holder among its `(user, group, role)` spellings.
    pub fn action(&self, spellings: actions::Spellings) -> &'static str {
        self.holder.action(spellings)
    }

    /// Why the signed-in principal may not make this change here, if it may not.
    pub fn refused(&self, spellings: actions::Spellings) -> Option<String> {
        self.refusals.reason(self.action(spellings))
    }
}

/// The changes a page offers that the signed-in principal would be refused, by
/// action, with the engine's reason; the page disables those controls and says why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusals(pub BTreeMap<String, String>);

impl Refusals {
    pub fn reason(&self, action: &str) -> Option<String> {
        self.0.get(action).cloned()
    }

    pub fn allows(&self, action: &str) -> bool {
        !self.0.contains_key(action)
    }
}

/// Name of a policy from its ARN.
pub fn policy_name(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}
