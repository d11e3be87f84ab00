//! Roles: named sets of policies, given to users and groups or assumed through their
//! trust policy. Documents are validated by the caller (the policy engine) first.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{commit, commit_and_announce, record, AuditEntry};
use crate::ids::unique_id;
use crate::permissions::Holder;
use crate::{Store, StoreError};

/// AWS's bounds on a role's maximum session duration, in seconds (the table's
/// CHECK says the same).
pub const MIN_SESSION_SECONDS: i32 = 3600;
pub const MAX_SESSION_SECONDS: i32 = 43200;

/// Whether `hours` is a session length a role may allow or a switch may ask for.
pub fn session_hours_allowed(hours: i32) -> bool {
    (MIN_SESSION_SECONDS / 3600..=MAX_SESSION_SECONDS / 3600).contains(&hours)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub description: String,
    /// Who may assume it, as a trust policy document.
    pub trust_policy: String,
    pub max_session_seconds: i32,
    pub boundary_arn: Option<String>,
    pub created_at: OffsetDateTime,
    /// Users and groups it is given to: `user alice`, `group auditors`.
    pub holders: Vec<String>,
}

const ROLE_COLUMNS: &str = "r.id, r.name, r.arn, r.description, r.trust_policy,
    r.max_session_seconds, r.boundary_arn, r.created_at,
    ARRAY(SELECT 'user ' || u.name FROM user_roles ur JOIN users u ON u.id = ur.user_id
          WHERE ur.role_id = r.id
          UNION ALL
          SELECT 'group ' || g.name FROM group_roles gr JOIN groups g ON g.id = gr.group_id
          WHERE gr.role_id = r.id
          ORDER BY 1) AS holders";

fn role_from_row(row: &sqlx::postgres::PgRow) -> Result<Role, sqlx::Error> {
    Ok(Role {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        arn: row.try_get("arn")?,
        description: row.try_get("description")?,
        trust_policy: row.try_get("trust_policy")?,
        max_session_seconds: row.try_get("max_session_seconds")?,
        boundary_arn: row.try_get("boundary_arn")?,
        created_at: row.try_get("created_at")?,
        holders: row.try_get("holders")?,
    })
}

/// What a role is given to.
fn grant_table(holder: Holder) -> Result<&'static str, StoreError> {
    match holder {
        Holder::User => Ok("user_roles"),
        Holder::Group => Ok("group_roles"),
        Holder::Role => Err(StoreError::NotFound {
            what: "user or group",
            name: "role".into(),
        }),
    }
}

impl Store {
    pub async fn create_role(
        &self,
        account: &str,
        name: &str,
        description: &str,
        trust_policy: &str,
        max_session_seconds: i32,
        audit: &AuditEntry,
    ) -> Result<Role, StoreError> {
        let mut tx = self.pool().begin().await?;
        let id = unique_id("AROA");
        sqlx::query(
            "INSERT INTO roles (id, name, arn, description, trust_policy, max_session_seconds)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(name)
        .bind(format!("arn:aws:iam::{account}:role/{name}"))
        .bind(description)
        .bind(trust_policy)
        .bind(max_session_seconds)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "role", name))?;
        record(&mut tx, audit).await?;
        let row = sqlx::query(&format!(
            "SELECT {ROLE_COLUMNS} FROM roles r WHERE r.id = $1"
        ))
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(role_from_row(&row)?)
    }

    /// Every role, by name.
    pub async fn roles(&self) -> Result<Vec<Role>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ROLE_COLUMNS} FROM roles r ORDER BY lower(r.name)"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(role_from_row).collect::<Result<_, _>>()?)
    }

    pub async fn role(&self, name: &str) -> Result<Option<Role>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ROLE_COLUMNS} FROM roles r WHERE lower(r.name) = lower($1)"
        ))
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(role_from_row).transpose()?)
    }

    /// Replaces who may assume the role. Sessions already started keep running until
    /// they end, as in AWS.
    pub async fn update_trust_policy(
        &self,
        name: &str,
        trust_policy: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.update_role_column(name, "trust_policy", trust_policy, audit)
            .await
    }

    pub async fn update_role(
        &self,
        name: &str,
        description: &str,
        max_session_seconds: i32,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(
            "UPDATE roles SET description = $2, max_session_seconds = $3
             WHERE lower(name) = lower($1)",
        )
        .bind(name)
        .bind(description)
        .bind(max_session_seconds)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "role",
                name: name.into(),
            });
        }
        commit(tx, audit).await?;
        Ok(())
    }

    async fn update_role_column(
        &self,
        name: &str,
        column: &str,
        value: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(&format!(
            "UPDATE roles SET {column} = $2 WHERE lower(name) = lower($1)"
        ))
        .bind(name)
        .bind(value)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "role",
                name: name.into(),
            });
        }
        commit(tx, audit).await?;
        Ok(())
    }

    /// Deletes a role with its attachments, inline policies and grants; its holders
    /// lose its policies at once.
    pub async fn delete_role(&self, name: &str, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let deleted = sqlx::query("DELETE FROM roles WHERE lower(name) = lower($1)")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "role",
                name: name.into(),
            });
        }
        commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Gives a role to a user or group (`give`), so its policies apply to them from
    /// now on, or takes it back. Giving it again changes nothing; taking back a role
    /// not given is `NotFound`.
    pub async fn grant_role(
        &self,
        holder: Holder,
        holder_name: &str,
        role: &str,
        give: bool,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let table = grant_table(holder)?;
        let mut tx = self.pool().begin().await?;
        let holder_id = holder.id_of(&mut tx, holder_name).await?;
        let role_id = Holder::Role.id_of(&mut tx, role).await?;
        let sql = if give {
            format!(
                "INSERT INTO {table} ({}, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                holder.key()
            )
        } else {
            format!(
                "DELETE FROM {table} WHERE {} = $1 AND role_id = $2",
                holder.key()
            )
        };
        let changed = sqlx::query(&sql)
            .bind(&holder_id)
            .bind(&role_id)
            .execute(&mut *tx)
            .await?;
        if !give && changed.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "role given to this holder",
                name: role.into(),
            });
        }
        commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Names of the roles given to a user or group directly.
    pub async fn roles_given(
        &self,
        holder: Holder,
        holder_name: &str,
    ) -> Result<Vec<String>, StoreError> {
        let sql = match holder {
            Holder::User => {
                "SELECT r.name FROM user_roles x JOIN roles r ON r.id = x.role_id
                 JOIN users h ON h.id = x.user_id
                 WHERE NOT h.is_root AND lower(h.name) = lower($1) ORDER BY lower(r.name)"
            }
            Holder::Group => {
                "SELECT r.name FROM group_roles x JOIN roles r ON r.id = x.role_id
                 JOIN groups h ON h.id = x.group_id
                 WHERE lower(h.name) = lower($1) ORDER BY lower(r.name)"
            }
            Holder::Role => return Ok(Vec::new()),
        };
        Ok(sqlx::query_scalar(sql)
            .bind(holder_name)
            .fetch_all(self.pool())
            .await?)
    }
}
