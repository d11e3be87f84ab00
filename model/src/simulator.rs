//! The policy simulator's input and answers.

use serde::{Deserialize, Serialize};

/// What to simulate: the subject, the actions and the request's context.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SimulationInput {
    /// `user`, `group` or `role`.
    pub subject_type: String,
    /// Its name; empty to simulate the pasted policy alone.
    pub subject: String,
    pub policy: String,
    /// One per line.
    pub actions: String,
    pub resource: String,
    pub source_ip: String,
    pub region: String,
    pub availability_zone: String,
    pub mfa: bool,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// ISO 8601 (`2026-12-24T18:00:00Z`); empty for now.
    pub time: String,
    /// `key=value` per line: the resource's tags.
    pub resource_tags: String,
    /// `portcullis:BudgetStatus` (`ok`, `forecast-exceeded`, `exceeded`); empty for
    /// none (no budget).
    #[serde(default)]
    pub budget_status: String,
    /// `portcullis:BudgetUsedPercent`; empty for none.
    #[serde(default)]
    pub budget_used_percent: String,
}

/// One action's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationRow {
    pub action: String,
    pub decision: String,
    /// The layers that blocked it, empty when allowed.
    pub blocked_by: Vec<String>,
    /// `Effect: policy, statement` for each statement that matched.
    pub matched: Vec<String>,
}

/// A policy that took part, cut into pieces so the statements that matched can be
/// highlighted where they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyExcerpt {
    pub name: String,
    /// `identity`, `permissions_boundary`, …
    pub layer: String,
    /// How it reaches the subject (`Group readers`, `pasted`).
    pub via: String,
    /// (text, matched, effect of the match: `Allow`/`Deny`).
    pub pieces: Vec<(String, bool, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    pub rows: Vec<SimulationRow>,
    pub policies: Vec<PolicyExcerpt>,
}

/// A principal that would be allowed, and through what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allowed {
    /// `root`, `user` or `role`.
    pub kind: String,
    pub name: String,
    pub through: String,
}
