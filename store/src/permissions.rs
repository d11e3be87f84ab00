//! Policy attachments, and the change notifications that keep every server's compiled
//! policy cache fresh.
//!
//! Every change that can alter what someone may do (attachments, memberships, deleted
//! users and groups) sends `NOTIFY portcullis_authz` in its own transaction, so the
//! notification is delivered exactly when the change commits, to every server process.

use sqlx::postgres::PgListener;

use crate::audit::{record, AuditEntry};
use crate::{Store, StoreError};

/// The channel servers listen on to drop their compiled policies.
pub const AUTHZ_CHANNEL: &str = "portcullis_authz";

/// AWS's quota of managed policies per user or group.
pub const MAX_ATTACHED: i64 = 10;

/// Where an identity's policy comes from, for the console's "attached via" column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EffectivePolicy {
    pub policy_arn: String,
    /// `user` or the group's name.
    pub via: String,
}

pub(crate) async fn notify(conn: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(AUTHZ_CHANNEL)
        .execute(conn)
        .await?;
    Ok(())
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
        let id: Option<String> = sqlx::query_scalar(holder.lookup())
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        let id = id.ok_or_else(|| StoreError::NotFound {
            what: holder.what(),
            name: name.into(),
        })?;
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
        record(&mut tx, audit).await?;
        notify(&mut tx).await?;
        tx.commit().await?;
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
        let id: Option<String> = sqlx::query_scalar(holder.lookup())
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        let id = id.ok_or_else(|| StoreError::NotFound {
            what: holder.what(),
            name: name.into(),
        })?;
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
        record(&mut tx, audit).await?;
        notify(&mut tx).await?;
        tx.commit().await?;
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
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT policy_arn, 'user' FROM user_policies WHERE user_id = $1
             UNION ALL
             SELECT p.policy_arn, g.name FROM group_policies p
               JOIN group_members m ON m.group_id = p.group_id
               JOIN groups g ON g.id = p.group_id
             WHERE m.user_id = $1
             ORDER BY 1, 2",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(policy_arn, via)| EffectivePolicy { policy_arn, via })
            .collect())
    }

    /// Calls `on_change` whenever permissions change anywhere (any server process), and
    /// once after each reconnect (changes may have been missed while disconnected).
    pub fn watch_permissions(&self, on_change: impl Fn() + Send + Sync + 'static) {
        let pool = self.pool().clone();
        tokio::spawn(async move {
            loop {
                match PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if listener.listen(AUTHZ_CHANNEL).await.is_ok() {
                            on_change();
                            while listener.recv().await.is_ok() {
                                on_change();
                            }
                        }
                    }
                    Err(e) => tracing::warn!("permission change listener: {e}"),
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
    }
}
