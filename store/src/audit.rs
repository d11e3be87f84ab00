//! The audit log: one row per sign-in attempt and per change, written in the change's
//! own transaction.

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgArguments;
use sqlx::{PgConnection, Postgres, Row, Transaction};
use time::OffsetDateTime;

use crate::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    fn parse(text: &str) -> Outcome {
        match text {
            "success" => Outcome::Success,
            "denied" => Outcome::Denied,
            _ => Outcome::Failure,
        }
    }
}

/// What to record.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// When, from the service's clock (so tests that move time see it too).
    pub at: OffsetDateTime,
    /// Who, by ARN (`arn:aws:iam::…:user/alice`, `…:root`, a role session's), or
    /// the name typed at a failed sign-in, or `shell` for operator commands.
    pub actor: String,
    /// What, as a catalogue action: `iam:CreateUser`, `signin:ConsoleLogin`.
    pub action: &'static str,
    pub target: String,
    pub source_ip: String,
    pub outcome: Outcome,
    pub detail: String,
}

/// A recorded entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub source_ip: String,
    pub outcome: Outcome,
    pub detail: String,
}

/// Filters for the audit page; empty fields match everything.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: Option<Outcome>,
    pub limit: i64,
}

/// Binds an entry's seven columns (actor, action, target, source_ip, outcome, detail,
/// at: `audit_log`'s order) for statements that write the row alongside a change.
pub(crate) fn bind_entry<'q>(
    query: sqlx::query::Query<'q, Postgres, PgArguments>,
    entry: &'q AuditEntry,
) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    query
        .bind(&entry.actor)
        .bind(entry.action)
        .bind(&entry.target)
        .bind(&entry.source_ip)
        .bind(entry.outcome.as_str())
        .bind(&entry.detail)
        .bind(entry.at)
}

/// Writes an entry on an open connection or transaction.
pub async fn record(conn: &mut PgConnection, entry: &AuditEntry) -> Result<(), StoreError> {
    bind_entry(
        sqlx::query(
            "INSERT INTO audit_log (actor, action, target, source_ip, outcome, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        ),
        entry,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a change: its audit row in the change's own transaction, then the commit, so
/// nothing is committed unaudited.
pub(crate) async fn commit(
    mut tx: Transaction<'_, Postgres>,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

impl Store {
    /// [`commit`] for changes to what server processes cache (permissions, settings):
    /// the notification is delivered to every process when the commit lands, and this
    /// process drops its own copies right after the commit.
    pub(crate) async fn commit_and_announce(
        &self,
        mut tx: Transaction<'_, Postgres>,
        entry: &AuditEntry,
    ) -> Result<(), StoreError> {
        record(&mut tx, entry).await?;
        crate::changes::notify(&mut tx).await?;
        tx.commit().await?;
        self.changed_here();
        Ok(())
    }

    /// Records an entry on its own (sign-in attempts, refusals).
    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        record(&mut conn, entry).await
    }

    /// Records many entries in one statement (the API's reads, written in batches).
    pub async fn audit_many(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let column = |f: fn(&AuditEntry) -> &str| -> Vec<&str> { entries.iter().map(f).collect() };
        let ats: Vec<OffsetDateTime> = entries.iter().map(|e| e.at).collect();
        sqlx::query(
            "INSERT INTO audit_log (actor, action, target, source_ip, outcome, detail, at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])",
        )
        .bind(column(|e| &e.actor))
        .bind(column(|e| e.action))
        .bind(column(|e| &e.target))
        .bind(column(|e| &e.source_ip))
        .bind(column(|e| e.outcome.as_str()))
        .bind(column(|e| &e.detail))
        .bind(ats)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The newest entries whose target is exactly `target` (an ARN), for a user's page.
    pub async fn audit_about(
        &self,
        target: &str,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, source_ip, outcome, detail FROM audit_log
             WHERE target = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(target)
        .bind(limit.clamp(1, 1000))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// The newest entries matching the filter.
    pub async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let like = |s: &str| {
            format!(
                "%{}%",
                s.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        };
        let limit = if filter.limit <= 0 {
            200
        } else {
            filter.limit.min(1000)
        };
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, source_ip, outcome, detail FROM audit_log
             WHERE actor ILIKE $1 AND action ILIKE $2 AND target ILIKE $3 AND ($4::text IS NULL OR outcome = $4)
             ORDER BY id DESC LIMIT $5",
        )
        .bind(like(&filter.actor))
        .bind(like(&filter.action))
        .bind(like(&filter.target))
        .bind(filter.outcome.map(Outcome::as_str))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(record_from_row).collect()
    }
}

fn record_from_row(row: &sqlx::postgres::PgRow) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        source_ip: row.try_get("source_ip")?,
        outcome: Outcome::parse(row.try_get::<&str, _>("outcome")?),
        detail: row.try_get("detail")?,
    })
}
