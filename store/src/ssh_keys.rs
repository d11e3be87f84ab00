//! SSH public keys of users: at most five each (counted under the user's row lock),
//! never the same key twice for one user.

use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{commit, AuditEntry};
use crate::ids::unique_id;
use crate::{Store, StoreError};

/// AWS's quota of SSH public keys per user.
pub const MAX_SSH_KEYS: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPublicKey {
    pub id: String,
    pub user_id: String,
    /// As uploaded, in OpenSSH's one-line form.
    pub body: String,
    /// MD5 of the key, as `xx:xx:…`.
    pub fingerprint: String,
    pub active: bool,
    pub uploaded_at: OffsetDateTime,
}

/// Why a key was not stored.
#[derive(Debug, thiserror::Error)]
pub enum SshKeyError {
    #[error("Cannot exceed quota for PublicKeysPerUser: 5")]
    Limit,
    #[error("The SSH public key is already associated with this user.")]
    Duplicate,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SshKeyError {
    fn from(e: sqlx::Error) -> Self {
        SshKeyError::Store(e.into())
    }
}

fn from_row(row: &sqlx::postgres::PgRow) -> Result<SshPublicKey, sqlx::Error> {
    Ok(SshPublicKey {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        body: row.try_get("body")?,
        fingerprint: row.try_get("fingerprint")?,
        active: row.try_get("active")?,
        uploaded_at: row.try_get("uploaded_at")?,
    })
}

impl Store {
    pub async fn upload_ssh_key(
        &self,
        user_id: &str,
        body: &str,
        fingerprint: &str,
        audit: &AuditEntry,
    ) -> Result<SshPublicKey, SshKeyError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let (count, same): (i64, bool) = sqlx::query_as(
            "SELECT count(*), coalesce(bool_or(fingerprint = $2), FALSE)
             FROM ssh_public_keys WHERE user_id = $1",
        )
        .bind(user_id)
        .bind(fingerprint)
        .fetch_one(&mut *tx)
        .await?;
        if same {
            return Err(SshKeyError::Duplicate);
        }
        if count >= MAX_SSH_KEYS {
            return Err(SshKeyError::Limit);
        }
        let key = SshPublicKey {
            id: unique_id("APKA"),
            user_id: user_id.to_string(),
            body: body.to_string(),
            fingerprint: fingerprint.to_string(),
            active: true,
            uploaded_at: audit.at,
        };
        sqlx::query(
            "INSERT INTO ssh_public_keys (id, user_id, body, fingerprint, active, uploaded_at)
             VALUES ($1, $2, $3, $4, TRUE, $5)",
        )
        .bind(&key.id)
        .bind(user_id)
        .bind(body)
        .bind(fingerprint)
        .bind(key.uploaded_at)
        .execute(&mut *tx)
        .await?;
        commit(tx, audit).await?;
        Ok(key)
    }

    /// A user's keys, oldest first.
    pub async fn ssh_keys_of(&self, user_id: &str) -> Result<Vec<SshPublicKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, user_id, body, fingerprint, active, uploaded_at FROM ssh_public_keys
             WHERE user_id = $1 ORDER BY uploaded_at, id",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }
}
