//! Groups and their members (a user may be in many groups).

use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{commit, AuditEntry};
use crate::ids::unique_id;
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub members: i64,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub created_at: OffsetDateTime,
    /// Member user names, sorted.
    pub members: Vec<String>,
}

impl Store {
    pub async fn list_groups(&self) -> Result<Vec<GroupSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT g.id, g.name, g.arn, g.created_at, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id) AS members
             FROM groups g ORDER BY lower(g.name)",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(GroupSummary {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    arn: row.try_get("arn")?,
                    members: row.try_get("members")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// A group by name (case-insensitive), with its members.
    pub async fn group(&self, name: &str) -> Result<Option<Group>, StoreError> {
        self.group_where("lower(name) = lower($1)", name).await
    }

    pub async fn group_by_id(&self, id: &str) -> Result<Option<Group>, StoreError> {
        self.group_where("id = $1", id).await
    }

    async fn group_where(&self, condition: &str, value: &str) -> Result<Option<Group>, StoreError> {
        let Some(row) = sqlx::query(&format!(
            "SELECT id, name, arn, created_at FROM groups WHERE {condition}"
        ))
        .bind(value)
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        let id: String = row.try_get("id")?;
        let members = sqlx::query_scalar(
            "SELECT u.name FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = $1 ORDER BY lower(u.name)",
        )
        .bind(&id)
        .fetch_all(self.pool())
        .await?;
        Ok(Some(Group {
            id,
            name: row.try_get("name")?,
            arn: row.try_get("arn")?,
            created_at: row.try_get("created_at")?,
            members,
        }))
    }

    /// Names of the groups a user belongs to.
    pub async fn groups_of_user(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT g.name FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = $1 ORDER BY lower(g.name)",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn create_group(
        &self,
        account: &str,
        path: &str,
        name: &str,
        audit: &AuditEntry,
    ) -> Result<Group, StoreError> {
        let mut tx = self.pool().begin().await?;
        let id = unique_id("AGPA");
        let arn = format!("arn:aws:iam::{account}:group{path}{name}");
        let created_at: OffsetDateTime = sqlx::query_scalar(
            "INSERT INTO groups (id, name, arn) VALUES ($1, $2, $3) RETURNING created_at",
        )
        .bind(&id)
        .bind(name)
        .bind(&arn)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "group", name))?;
        commit(tx, audit).await?;
        Ok(Group {
            id,
            name: name.into(),
            arn,
            created_at,
            members: Vec::new(),
        })
    }

    /// Renames or moves the group `id`; `arn` is its new ARN (path and name).
    pub async fn rename_group(
        &self,
        id: &str,
        new: &str,
        arn: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.rename_row("groups", "group", id, new, arn, audit)
            .await
    }

    pub async fn delete_group(&self, id: &str, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let deleted = sqlx::query("DELETE FROM groups WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "group",
                name: id.into(),
            });
        }
        // Its placements became Unallocated (the foreign key); so do its rollups.
        for table in [
            "cost_group_daily",
            "cost_group_facets_daily",
            "cost_group_facets_monthly",
            "cost_group_resources_monthly",
        ] {
            sqlx::query(&format!(
                "UPDATE {table} SET group_id = NULL WHERE group_id = $1"
            ))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Adds a user to a group; adding an existing member changes nothing.
    pub async fn add_member(
        &self,
        group_id: &str,
        user_id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(group_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Takes a user out of a group; `NotFound` when they were not in it.
    pub async fn remove_member(
        &self,
        group_id: &str,
        user_id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let removed = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "member",
                name: user_id.into(),
            });
        }
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }
}
