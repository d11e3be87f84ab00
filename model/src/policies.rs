//! Managed policies and the policy editor's live check.

use serde::{Deserialize, Serialize};

use crate::Refusals;

/// A managed policy as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRow {
    pub name: String,
    pub arn: String,
    pub description: String,
    /// Shipped with Portcullis (read-only) rather than written by this account.
    pub template: bool,
    /// Users, groups and roles it is attached to (customer policies).
    pub attachments: i64,
    pub updated: String,
}

/// One finding of the engine's lint, placed in the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRow {
    /// `error`, `security-warning`, `warning` or `suggestion`.
    pub severity: String,
    pub code: String,
    pub message: String,
    pub line: u32,
    pub column: u32,
    /// Byte range in the document.
    pub start: usize,
    pub end: usize,
}

/// One service line of a policy summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// `Allow` or `Deny`.
    pub effect: String,
    pub service: String,
    pub access: String,
    pub resources: String,
    pub conditions: String,
}

/// What the editor shows under the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PolicyCheck {
    pub findings: Vec<FindingRow>,
    pub summary: Vec<SummaryRow>,
    pub unrecognized: Vec<String>,
    /// Characters that count against the quota, and the quota.
    pub size: usize,
    pub limit: usize,
}

impl PolicyCheck {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == "error")
    }
}

/// A version of a customer policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub version: i32,
    pub document: String,
    pub is_default: bool,
    pub created: String,
}

/// One managed policy with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyDetail {
    pub row: PolicyRow,
    /// Newest first; a template has one.
    pub versions: Vec<VersionRow>,
    pub attached_to: Vec<String>,
    /// The default version's check.
    pub check: PolicyCheck,
    /// Changes on this page the signed-in principal may not make.
    pub refusals: Refusals,
}
