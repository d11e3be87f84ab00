//! Policy attachments. Every change that can alter what someone may do notifies every
//! server process (see [`crate::changes`]), which drops its compiled policies.

use crate::audit::{commit_and_announce, AuditEntry};
use crate::{Store, StoreError};

/// The templates are named like AWS-managed policies and live in code.
pub const TEMPLATE_ARN_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// AWS's quota of managed policies per user or group.
pub const MAX_ATTACHED: i64 = 10;

/// Where an identity's policy comes from, for the console's "attached via" column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EffectivePolicy {
    pub policy_arn: String,
    /// `user` or the group's name.
    pub via: String,
    /// The default version's document of a customer-managed policy; `None` for the
    /// templates, which live in code.
    pub document: Option<String>,
}

/// Who a managed policy is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    User,
    Group,
}

impl Holder {
    fn table(self) -> &'static str {
        match self {
            Holder::User => "user_policies",
            Holder::Group => "group_policies",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Holder::User => "user_id",
            Holder::Group => "group_id",
        }
    }

    fn lookup(self) -> &'static str {
        match self {
            Holder::User => "SELECT id FROM users WHERE NOT is_root AND lower(name) = lower($1)",
            Holder::Group => "SELECT id FROM groups WHERE lower(name) = lower($1)",
        }
    }

    /// The id of the user or group `name`, or `NotFound` naming it.
    async fn id_of(self, conn: &mut sqlx::PgConnection, name: &str) -> Result<String, StoreError> {
        let id: Option<String> = sqlx::query_scalar(self.lookup())
            .bind(name)
            .fetch_optional(conn)
            .await?;
        id.ok_or_else(|| StoreError::NotFound {
            what: self.what(),
            name: name.into(),
        })
    }

    fn what(self) -> &'static str {
        match self {
            Holder::User => "user",
            Holder::Group => "group",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("A {0} can have at most {MAX_ATTACHED} managed policies attached. Detach one first.")]
    QuotaReached(&'static str),
    #[error("No policy {0} exists.")]
    NoSuchPolicy(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AttachError {
    fn from(e: sqlx::Error) -> Self {
        AttachError::Store(StoreError::Database(e))
    }
}

impl Store {
    /// Attaches `arn` to the user or group `name`, within AWS's quota.
    pub async fn attach_policy(
        &self,
        holder: Holder,
        name: &str,
        arn: &str,
        audit: &AuditEntry,
    ) -> Result<(), AttachError> {
        let mut tx = self.pool().begin().await?;
        let id = holder.id_of(&mut tx, name).await?;
        if !arn.starts_with(TEMPLATE_ARN_PREFIX)
            && !crate::policies::hold_for_attach(&mut tx, arn).await?
        {
            return Err(AttachError::NoSuchPolicy(arn.into()));
        }
        // Lock the holder's attachments so two parallel attaches cannot pass the quota.
        sqlx::query(&format!(
            "SELECT 1 FROM {} WHERE {} = $1 FOR UPDATE",
            holder.table(),
            holder.key()
        ))
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        let count: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {} WHERE {} = $1",
            holder.table(),
            holder.key()
        ))
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
        let inserted = sqlx::query(&format!(
            "INSERT INTO {} ({}, policy_arn) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            holder.table(),
            holder.key()
        ))
        .bind(&id)
        .bind(arn)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 && count >= MAX_ATTACHED {
            return Err(AttachError::QuotaReached(holder.what()));
        }
        commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Detaches `arn` from the user or group `name`.
    pub async fn detach_policy(
        &self,
        holder: Holder,
        name: &str,
        arn: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let id = holder.id_of(&mut tx, name).await?;
        let removed = sqlx::query(&format!(
            "DELETE FROM {} WHERE {} = $1 AND policy_arn = $2",
            holder.table(),
            holder.key()
        ))
        .bind(&id)
        .bind(arn)
        .execute(&mut *tx)
        .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "attached policy",
                name: arn.into(),
            });
        }
        commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Policies attached directly to a group.
    pub async fn group_policies(&self, group: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT p.policy_arn FROM group_policies p JOIN groups g ON g.id = p.group_id
             WHERE lower(g.name) = lower($1) ORDER BY p.policy_arn",
        )
        .bind(group)
        .fetch_all(self.pool())
        .await?)
    }

    /// Every policy that applies to a user: its own and its groups'.
    pub async fn effective_policies(
        &self,
        user_id: &str,
    ) -> Result<Vec<EffectivePolicy>, StoreError> {
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "WITH attached AS (
                SELECT policy_arn, 'user' AS via FROM user_policies WHERE user_id = $1
                UNION ALL
                SELECT p.policy_arn, g.name FROM group_policies p
                  JOIN group_members m ON m.group_id = p.group_id
                  JOIN groups g ON g.id = p.group_id
                WHERE m.user_id = $1
             )
             SELECT a.policy_arn, a.via, v.document FROM attached a
               LEFT JOIN policies p ON p.arn = a.policy_arn
               LEFT JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.default_version
             ORDER BY 1, 2",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(policy_arn, via, document)| EffectivePolicy {
                policy_arn,
                via,
                document,
            })
            .collect())
    }
}
