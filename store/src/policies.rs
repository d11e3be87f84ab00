//! Customer-managed policies and their versions.
//!
//! As in AWS: at most five versions, exactly one default (the one that applies),
//! version numbers never reused, and a policy cannot be deleted while attached. The
//! documents are validated by the caller (the policy engine) before they get here.
//! Every change that alters what applies notifies every server process.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{commit, record, AuditEntry};
use crate::ids::unique_id;
use crate::{Store, StoreError};

/// AWS's quota of versions per managed policy.
pub const MAX_VERSIONS: i64 = 5;

/// A customer-managed policy as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub description: String,
    pub default_version: i32,
    /// Users, groups and roles it is attached to or bounds.
    pub attachments: i64,
    pub tags: BTreeMap<String, String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub version: i32,
    pub document: String,
    pub is_default: bool,
    pub created_at: OffsetDateTime,
}

const POLICY_COLUMNS: &str =
    "p.id, p.name, p.arn, p.description, p.default_version, p.tags, p.created_at, p.updated_at,
    (SELECT count(*) FROM user_policies u WHERE u.policy_arn = p.arn)
      + (SELECT count(*) FROM group_policies g WHERE g.policy_arn = p.arn)
      + (SELECT count(*) FROM role_policies r WHERE r.policy_arn = p.arn)
      + (SELECT count(*) FROM users b WHERE b.boundary_arn = p.arn)
      + (SELECT count(*) FROM roles b WHERE b.boundary_arn = p.arn) AS attachments";

fn policy_from_row(row: &sqlx::postgres::PgRow) -> Result<ManagedPolicy, sqlx::Error> {
    Ok(ManagedPolicy {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        arn: row.try_get("arn")?,
        description: row.try_get("description")?,
        default_version: row.try_get("default_version")?,
        attachments: row.try_get("attachments")?,
        tags: crate::tags::tags_from(row.try_get("tags")?),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Locks the policy `id` for the rest of the transaction and returns its name,
/// default version and ARN.
async fn lock(tx: &mut sqlx::PgConnection, id: &str) -> Result<(String, i32, String), StoreError> {
    let row: Option<(String, i32, String)> =
        sqlx::query_as("SELECT name, default_version, arn FROM policies WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    row.ok_or_else(|| StoreError::NotFound {
        what: "policy",
        name: id.into(),
    })
}

impl Store {
    /// Creates a policy whose first version (`v1`) is the default.
    /// `arn` carries the account and the path.
    pub async fn create_policy(
        &self,
        arn: &str,
        name: &str,
        description: &str,
        document: &str,
        tags: &BTreeMap<String, String>,
        audit: &AuditEntry,
    ) -> Result<ManagedPolicy, StoreError> {
        let mut tx = self.pool().begin().await?;
        let id = unique_id("ANPA");
        sqlx::query(
            "INSERT INTO policies (id, name, arn, description, default_version, next_version, tags)
             VALUES ($1, $2, $3, $4, 1, 2, $5)",
        )
        .bind(&id)
        .bind(name)
        .bind(arn)
        .bind(description)
        .bind(crate::tags::tags_value(tags))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "policy", name))?;
        sqlx::query(
            "INSERT INTO policy_versions (policy_id, version, document) VALUES ($1, 1, $2)",
        )
        .bind(&id)
        .bind(document)
        .execute(&mut *tx)
        .await?;
        record(&mut tx, audit).await?;
        let row = sqlx::query(&format!(
            "SELECT {POLICY_COLUMNS} FROM policies p WHERE p.id = $1"
        ))
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(policy_from_row(&row)?)
    }

    /// Every customer-managed policy, by name.
    pub async fn customer_policies(&self) -> Result<Vec<ManagedPolicy>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {POLICY_COLUMNS} FROM policies p ORDER BY lower(p.name)"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(policy_from_row).collect::<Result<_, _>>()?)
    }

    /// A policy with its versions, newest first.
    pub async fn customer_policy(
        &self,
        name: &str,
    ) -> Result<Option<(ManagedPolicy, Vec<PolicyVersion>)>, StoreError> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {POLICY_COLUMNS} FROM policies p WHERE lower(p.name) = lower($1)"
        ))
        .bind(name)
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        let policy = policy_from_row(&row)?;
        let versions: Vec<(i32, String, OffsetDateTime)> = sqlx::query_as(
            "SELECT version, document, created_at FROM policy_versions WHERE policy_id = $1 ORDER BY version DESC",
        )
        .bind(&policy.id)
        .fetch_all(self.pool())
        .await?;
        let versions = versions
            .into_iter()
            .map(|(version, document, created_at)| PolicyVersion {
                is_default: version == policy.default_version,
                version,
                document,
                created_at,
            })
            .collect();
        Ok(Some((policy, versions)))
    }

    /// Adds a version, within the quota of five; returns its number.
    pub async fn create_policy_version(
        &self,
        id: &str,
        document: &str,
        set_as_default: bool,
        audit: &AuditEntry,
    ) -> Result<i32, StoreError> {
        let mut tx = self.pool().begin().await?;
        let (name, _, _) = lock(&mut tx, id).await?;
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM policy_versions WHERE policy_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if count >= MAX_VERSIONS {
            return Err(StoreError::VersionLimit { policy: name });
        }
        let version: i32 = sqlx::query_scalar(
            "UPDATE policies SET next_version = next_version + 1, updated_at = $3,
                default_version = CASE WHEN $2 THEN next_version ELSE default_version END
             WHERE id = $1 RETURNING next_version - 1",
        )
        .bind(id)
        .bind(set_as_default)
        .bind(audit.at)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO policy_versions (policy_id, version, document) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(version)
        .bind(document)
        .execute(&mut *tx)
        .await?;
        // A new default changes what applies; a version kept aside does not.
        if set_as_default {
            self.commit_and_announce(tx, audit).await?;
        } else {
            commit(tx, audit).await?;
        }
        Ok(version)
    }

    /// Makes `version` the one that applies (also how a change is rolled back).
    pub async fn set_default_policy_version(
        &self,
        id: &str,
        version: i32,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let (name, _, _) = lock(&mut tx, id).await?;
        let updated = sqlx::query(
            "UPDATE policies SET default_version = $2, updated_at = $3
             WHERE id = $1 AND EXISTS (SELECT 1 FROM policy_versions WHERE policy_id = $1 AND version = $2)",
        )
        .bind(id)
        .bind(version)
        .bind(audit.at)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "policy version",
                name: format!("{name} v{version}"),
            });
        }
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Deletes a version that is not the default.
    pub async fn delete_policy_version(
        &self,
        id: &str,
        version: i32,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let (name, default_version, _) = lock(&mut tx, id).await?;
        if version == default_version {
            return Err(StoreError::DefaultVersion {
                policy: name,
                version,
            });
        }
        let deleted =
            sqlx::query("DELETE FROM policy_versions WHERE policy_id = $1 AND version = $2")
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "policy version",
                name: format!("{name} v{version}"),
            });
        }
        commit(tx, audit).await?;
        Ok(())
    }

    /// Deletes a policy with its versions, unless it is attached anywhere.
    pub async fn delete_policy(&self, id: &str, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let (name, _, arn) = lock(&mut tx, id).await?;
        let holders = attachments_of(&mut tx, &arn).await?;
        if !holders.is_empty() {
            return Err(StoreError::InUse {
                policy: name,
                attached_to: holders.join(", "),
            });
        }
        sqlx::query("DELETE FROM policies WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        commit(tx, audit).await?;
        Ok(())
    }

    /// Where a policy is attached or bounds: `user alice`, `group Builders`,
    /// `role Auditor`, `user bob (boundary)`.
    pub async fn policy_attachments(&self, arn: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        attachments_of(&mut conn, arn).await
    }
}

async fn attachments_of(
    conn: &mut sqlx::PgConnection,
    arn: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT 'user ' || u.name FROM user_policies p JOIN users u ON u.id = p.user_id WHERE p.policy_arn = $1
         UNION ALL
         SELECT 'group ' || g.name FROM group_policies p JOIN groups g ON g.id = p.group_id WHERE p.policy_arn = $1
         UNION ALL
         SELECT 'role ' || r.name FROM role_policies p JOIN roles r ON r.id = p.role_id WHERE p.policy_arn = $1
         UNION ALL
         SELECT 'user ' || name || ' (boundary)' FROM users WHERE boundary_arn = $1
         UNION ALL
         SELECT 'role ' || name || ' (boundary)' FROM roles WHERE boundary_arn = $1
         ORDER BY 1",
    )
    .bind(arn)
    .fetch_all(conn)
    .await?)
}

/// Locks a customer policy against deletion while it is being attached; `Ok(false)`
/// when no such policy exists.
pub(crate) async fn hold_for_attach(
    conn: &mut sqlx::PgConnection,
    arn: &str,
) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar::<_, i32>("SELECT 1 FROM policies WHERE arn = $1 FOR SHARE")
            .bind(arn)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}
