//! Rows of the audit log as pages show them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityRow {
    pub at: String,
    /// The ARN of who acted (a user, root, or a role session).
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub source_ip: String,
    pub detail: String,
}

/// The audit page's filters; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub actor: String,
    pub action: String,
    pub target: String,
    /// `success`, `failure`, `denied`, or empty for all.
    pub outcome: String,
}
