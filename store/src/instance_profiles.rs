//! Instance profiles: a name, an ARN and at most one role, which a workload's
//! credentials come from. Adding a role takes the profile's row lock, so two
//! requests cannot put two roles in one profile.

use std::collections::BTreeMap;

use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{commit, AuditEntry};
use crate::ids::unique_id;
use crate::roles::Role;
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct InstanceProfile {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub role: Option<Role>,
    pub tags: BTreeMap<String, String>,
    pub created_at: OffsetDateTime,
}

/// Why a role could not be added to or removed from a profile.
#[derive(Debug, thiserror::Error)]
pub enum ProfileRoleError {
    /// AWS's quota text for a second role.
    #[error("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")]
    Full,
    #[error("The role is not in the instance profile.")]
    NotThere,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ProfileRoleError {
    fn from(e: sqlx::Error) -> Self {
        ProfileRoleError::Store(e.into())
    }
}

impl Store {
    async fn profile_from_row(
        &self,
        row: &sqlx::postgres::PgRow,
    ) -> Result<InstanceProfile, StoreError> {
        let role_name: Option<String> = row.try_get("role_name")?;
        let role = match role_name {
            Some(name) => self.role(&name).await?,
            None => None,
        };
        Ok(InstanceProfile {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            arn: row.try_get("arn")?,
            role,
            tags: crate::tags::tags_from(row.try_get("tags")?),
            created_at: row.try_get("created_at")?,
        })
    }

    pub async fn create_instance_profile(
        &self,
        account: &str,
        path: &str,
        name: &str,
        role: Option<&Role>,
        tags: &BTreeMap<String, String>,
        audit: &AuditEntry,
    ) -> Result<InstanceProfile, StoreError> {
        let mut tx = self.pool().begin().await?;
        let id = unique_id("AIPA");
        let arn = format!("arn:aws:iam::{account}:instance-profile{path}{name}");
        sqlx::query(
            "INSERT INTO instance_profiles (id, name, arn, tags, created_at, role_id)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(name)
        .bind(&arn)
        .bind(crate::tags::tags_value(tags))
        .bind(audit.at)
        .bind(role.map(|r| r.id.as_str()))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "instance profile", name))?;
        commit(tx, audit).await?;
        Ok(InstanceProfile {
            id,
            name: name.to_string(),
            arn,
            role: role.cloned(),
            tags: tags.clone(),
            created_at: audit.at,
        })
    }

    /// Every instance profile, by name; with `role_id`, only those holding it.
    pub async fn instance_profiles(
        &self,
        role_id: Option<&str>,
    ) -> Result<Vec<InstanceProfile>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, p.arn, p.tags, p.created_at, r.name AS role_name
             FROM instance_profiles p LEFT JOIN roles r ON r.id = p.role_id
             WHERE $1::text IS NULL OR p.role_id = $1 ORDER BY lower(p.name)",
        )
        .bind(role_id)
        .fetch_all(self.pool())
        .await?;
        let mut profiles = Vec::with_capacity(rows.len());
        for row in &rows {
            profiles.push(self.profile_from_row(row).await?);
        }
        Ok(profiles)
    }

    /// One profile by name (any case).
    pub async fn instance_profile(
        &self,
        name: &str,
    ) -> Result<Option<InstanceProfile>, StoreError> {
        let row = sqlx::query(
            "SELECT p.id, p.name, p.arn, p.tags, p.created_at, r.name AS role_name
             FROM instance_profiles p LEFT JOIN roles r ON r.id = p.role_id
             WHERE lower(p.name) = lower($1)",
        )
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok(Some(self.profile_from_row(&row).await?)),
            None => Ok(None),
        }
    }

    /// Puts the role in the profile, which must be empty.
    pub async fn add_role_to_instance_profile(
        &self,
        profile_id: &str,
        role_id: &str,
        audit: &AuditEntry,
    ) -> Result<(), ProfileRoleError> {
        let mut tx = self.pool().begin().await?;
        let current: Option<Option<String>> =
            sqlx::query_scalar("SELECT role_id FROM instance_profiles WHERE id = $1 FOR UPDATE")
                .bind(profile_id)
                .fetch_optional(&mut *tx)
                .await?;
        match current {
            None => {
                return Err(StoreError::NotFound {
                    what: "instance profile",
                    name: profile_id.into(),
                }
                .into())
            }
            Some(Some(_)) => return Err(ProfileRoleError::Full),
            Some(None) => {}
        }
        sqlx::query("UPDATE instance_profiles SET role_id = $2 WHERE id = $1")
            .bind(profile_id)
            .bind(role_id)
            .execute(&mut *tx)
            .await?;
        commit(tx, audit).await?;
        Ok(())
    }

    /// Takes the role out of the profile.
    pub async fn remove_role_from_instance_profile(
        &self,
        profile_id: &str,
        role_id: &str,
        audit: &AuditEntry,
    ) -> Result<(), ProfileRoleError> {
        let mut tx = self.pool().begin().await?;
        let removed = sqlx::query(
            "UPDATE instance_profiles SET role_id = NULL WHERE id = $1 AND role_id = $2",
        )
        .bind(profile_id)
        .bind(role_id)
        .execute(&mut *tx)
        .await?;
        if removed.rows_affected() == 0 {
            return Err(ProfileRoleError::NotThere);
        }
        commit(tx, audit).await?;
        Ok(())
    }

    /// Deletes an empty profile, as AWS's `DeleteInstanceProfile` does.
    pub async fn delete_instance_profile(
        &self,
        profile_id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let role: Option<Option<String>> =
            sqlx::query_scalar("SELECT role_id FROM instance_profiles WHERE id = $1 FOR UPDATE")
                .bind(profile_id)
                .fetch_optional(&mut *tx)
                .await?;
        match role {
            None => {
                return Err(StoreError::NotFound {
                    what: "instance profile",
                    name: profile_id.into(),
                })
            }
            Some(Some(_)) => {
                return Err(StoreError::Dependents("remove roles from instance profile"))
            }
            Some(None) => {}
        }
        sqlx::query("DELETE FROM instance_profiles WHERE id = $1")
            .bind(profile_id)
            .execute(&mut *tx)
            .await?;
        commit(tx, audit).await
    }
}
