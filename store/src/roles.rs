//! Roles: named sets of policies, given to users and groups or assumed through their
//! trust policy. Documents are validated by the caller (the policy engine) first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{commit, record, AuditEntry};
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
    pub tags: BTreeMap<String, String>,
    pub created_at: OffsetDateTime,
    /// Users and groups it is given to: `user alice`, `group auditors`.
    pub holders: Vec<String>,
}

const ROLE_COLUMNS: &str = "r.id, r.name, r.arn, r.description, r.trust_policy,
    r.max_session_seconds, r.boundary_arn, r.tags, r.created_at,
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
        tags: crate::tags::tags_from(row.try_get("tags")?),
        created_at: row.try_get("created_at")?,
        holders: row.try_get("holders")?,
    })
}

/// A role to create, its documents already validated.
#[derive(Debug, Clone)]
pub struct NewRole<'a> {
    pub name: &'a str,
    /// `/` or `/a/b/`: part of the ARN.
    pub path: &'a str,
    pub description: &'a str,
    pub trust_policy: &'a str,
    pub max_session_seconds: i32,
    pub tags: &'a BTreeMap<String, String>,
}

/// What an `AssumeRole` request attached to its session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAttributes {
    /// Session tags: the session's `aws:PrincipalTag/*`, over the role's own.
    pub tags: BTreeMap<String, String>,
    /// Keys of `tags` that sessions chained from this one inherit.
    pub transitive_keys: Vec<String>,
    /// `SourceIdentity`: who started the chain (`aws:SourceIdentity`).
    pub source_identity: Option<String>,
}

impl SessionAttributes {
    /// The session's principal tags: the role's, with session tags over them
    /// (a key in another case is the same key).
    pub fn principal_tags(&self, role_tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut tags: BTreeMap<String, String> = role_tags
            .iter()
            .filter(|(k, _)| !self.tags.keys().any(|s| s.eq_ignore_ascii_case(k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        tags.extend(self.tags.clone());
        tags
    }

    /// What a session chained from this one inherits: the transitive tags and the
    /// source identity.
    pub fn inherited(&self) -> SessionAttributes {
        SessionAttributes {
            tags: self
                .tags
                .iter()
                .filter(|(k, _)| {
                    self.transitive_keys
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(k))
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            transitive_keys: self.transitive_keys.clone(),
            source_identity: self.source_identity.clone(),
        }
    }
}

/// A recorded session of a role (times in Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSessionRecord {
    pub id: String,
    pub user_id: String,
    pub role_id: String,
    pub role_name: String,
    pub role_arn: String,
    pub session_name: String,
    pub started: i64,
    pub expires: i64,
    pub ended: bool,
    /// The role's tags: the session's `aws:PrincipalTag/*`.
    pub role_tags: BTreeMap<String, String>,
    pub attributes: SessionAttributes,
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
        role: &NewRole<'_>,
        audit: &AuditEntry,
    ) -> Result<Role, StoreError> {
        let mut tx = self.pool().begin().await?;
        let id = unique_id("AROA");
        let name = role.name;
        sqlx::query(
            "INSERT INTO roles (id, name, arn, description, trust_policy, max_session_seconds, tags)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(name)
        .bind(format!("arn:aws:iam::{account}:role{}{name}", role.path))
        .bind(role.description)
        .bind(role.trust_policy)
        .bind(role.max_session_seconds)
        .bind(crate::tags::tags_value(role.tags))
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

    pub async fn role_by_id(&self, id: &str) -> Result<Option<Role>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ROLE_COLUMNS} FROM roles r WHERE r.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(role_from_row).transpose()?)
    }

    /// Replaces who may assume the role `id`. Sessions already started keep running
    /// until they end, as in AWS.
    pub async fn update_trust_policy(
        &self,
        id: &str,
        trust_policy: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query("UPDATE roles SET trust_policy = $2 WHERE id = $1")
            .bind(id)
            .bind(trust_policy)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "role",
                name: id.into(),
            });
        }
        commit(tx, audit).await?;
        Ok(())
    }

    pub async fn update_role(
        &self,
        id: &str,
        description: &str,
        max_session_seconds: i32,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(
            "UPDATE roles SET description = $2, max_session_seconds = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(description)
        .bind(max_session_seconds)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "role",
                name: id.into(),
            });
        }
        commit(tx, audit).await?;
        Ok(())
    }

    /// Deletes a role with its attachments, inline policies and grants; its holders
    /// lose its policies at once.
    pub async fn delete_role(&self, id: &str, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let deleted = sqlx::query("DELETE FROM roles WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "role",
                name: id.into(),
            });
        }
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Gives the role `role_id` to a user or group (`give`), so its policies apply to
    /// them from now on, or takes it back. Giving it again changes nothing; taking
    /// back a role not given is `NotFound`.
    pub async fn grant_role(
        &self,
        holder: Holder,
        holder_id: &str,
        role_id: &str,
        give: bool,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let table = grant_table(holder)?;
        let mut tx = self.pool().begin().await?;
        crate::permissions::lock_holder(&mut tx, holder, holder_id).await?;
        let sql = if give {
            format!(
                "INSERT INTO {table} ({}, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                crate::permissions::key(holder)
            )
        } else {
            format!(
                "DELETE FROM {table} WHERE {} = $1 AND role_id = $2",
                crate::permissions::key(holder)
            )
        };
        let changed = sqlx::query(&sql)
            .bind(holder_id)
            .bind(role_id)
            .execute(&mut *tx)
            .await?;
        if !give && changed.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "role given to this holder",
                name: role_id.into(),
            });
        }
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Names of the roles given to the user or group `holder_id` directly.
    pub async fn roles_given(
        &self,
        holder: Holder,
        holder_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        let sql = match holder {
            Holder::User => {
                "SELECT r.name FROM user_roles x JOIN roles r ON r.id = x.role_id
                 WHERE x.user_id = $1 ORDER BY lower(r.name)"
            }
            Holder::Group => {
                "SELECT r.name FROM group_roles x JOIN roles r ON r.id = x.role_id
                 WHERE x.group_id = $1 ORDER BY lower(r.name)"
            }
            Holder::Role => return Ok(Vec::new()),
        };
        Ok(sqlx::query_scalar(sql)
            .bind(holder_id)
            .fetch_all(self.pool())
            .await?)
    }

    /// Records a new session of a role with its audit row; returns its id.
    pub async fn start_role_session(
        &self,
        user_id: &str,
        role_id: &str,
        session_name: &str,
        started: i64,
        expires: i64,
        audit: &AuditEntry,
    ) -> Result<String, StoreError> {
        let mut tx = self.pool().begin().await?;
        let id = unique_id("ARS");
        sqlx::query(
            "INSERT INTO role_sessions (id, user_id, role_id, session_name, started_at, expires_at)
             VALUES ($1, $2, $3, $4, to_timestamp($5), to_timestamp($6))",
        )
        .bind(&id)
        .bind(user_id)
        .bind(role_id)
        .bind(session_name)
        .bind(started as f64)
        .bind(expires as f64)
        .execute(&mut *tx)
        .await?;
        commit(tx, audit).await?;
        Ok(id)
    }

    /// A role session with its role's current name and ARN.
    pub async fn role_session(&self, id: &str) -> Result<Option<RoleSessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT s.id, s.user_id, s.role_id, r.name, r.arn, s.session_name, r.tags,
                    s.session_tags, s.transitive_keys, s.source_identity,
                    extract(epoch FROM s.started_at)::bigint AS started,
                    extract(epoch FROM s.expires_at)::bigint AS expires,
                    s.ended_at IS NOT NULL AS ended
             FROM role_sessions s JOIN roles r ON r.id = s.role_id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(RoleSessionRecord {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            role_id: row.try_get("role_id")?,
            role_name: row.try_get("name")?,
            role_arn: row.try_get("arn")?,
            session_name: row.try_get("session_name")?,
            started: row.try_get("started")?,
            expires: row.try_get("expires")?,
            ended: row.try_get("ended")?,
            role_tags: crate::tags::tags_from(row.try_get("tags")?),
            attributes: SessionAttributes {
                tags: crate::tags::tags_from(row.try_get("session_tags")?),
                transitive_keys: serde_json::from_value(row.try_get("transitive_keys")?)
                    .unwrap_or_default(),
                source_identity: row.try_get("source_identity")?,
            },
        }))
    }

    /// Ends a role session, with its audit row.
    pub async fn end_role_session(&self, id: &str, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE role_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL")
            .bind(id)
            .bind(audit.at)
            .execute(&mut *tx)
            .await?;
        // Servers may cache the session for API credentials: tell them it ended.
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }
}
