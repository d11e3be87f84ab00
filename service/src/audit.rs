//! The audit log, as an auditor reads it.

use model::audit::{ActivityRow, AuditQuery};
use store::Outcome;

use crate::{format, Caller, Service, ServiceError};

/// Reading the audit log is CloudTrail's `LookupEvents`.
pub const LOOKUP: &str = "cloudtrail:LookupEvents";

pub(crate) fn row(r: store::AuditRecord) -> ActivityRow {
    ActivityRow {
        at: format::date(r.at),
        actor: r.actor,
        action: r.action,
        target: r.target,
        outcome: r.outcome.as_str().into(),
        source_ip: r.source_ip,
        detail: r.detail,
    }
}

impl Service {
    /// The newest 500 rows matching the filters.
    pub async fn audit_log(
        &self,
        caller: &Caller,
        query: &AuditQuery,
    ) -> Result<Vec<ActivityRow>, ServiceError> {
        self.authorize(caller, LOOKUP, "*").await?;
        let outcome = match query.outcome.as_str() {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            "denied" => Some(Outcome::Denied),
            _ => None,
        };
        let filter = store::AuditFilter {
            actor: query.actor.clone(),
            action: query.action.clone(),
            target: query.target.clone(),
            outcome,
            limit: 500,
        };
        Ok(self
            .store
            .audit_log(&filter)
            .await?
            .into_iter()
            .map(row)
            .collect())
    }
}
