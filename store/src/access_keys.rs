//! Access keys: created under the user's row lock (so two parallel requests cannot
//! pass the limit of two), sealed secrets, and last-used times written in batches.

use sqlx::postgres::PgRow;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{AuditEntry, Store, StoreError};

/// AWS's limit of access keys per user.
pub const MAX_ACCESS_KEYS: i64 = 2;

/// A stored access key (the secret still sealed).
#[derive(Debug, Clone, PartialEq)]
pub struct AccessKey {
    pub id: String,
    pub user_id: String,
    pub secret_key_id: String,
    pub secret_nonce: Vec<u8>,
    pub secret_ciphertext: Vec<u8>,
    pub active: bool,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub last_used_service: Option<String>,
    pub last_used_region: Option<String>,
}

/// One use of a key, as the API saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyUse {
    pub id: String,
    pub at: OffsetDateTime,
    pub service: String,
    pub region: String,
}

const COLUMNS: &str =
    "id, user_id, secret_key_id, secret_nonce, secret_ciphertext, active, created_at,
    last_used_at, last_used_service, last_used_region";

fn from_row(row: &PgRow) -> Result<AccessKey, sqlx::Error> {
    Ok(AccessKey {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        secret_key_id: row.try_get("secret_key_id")?,
        secret_nonce: row.try_get("secret_nonce")?,
        secret_ciphertext: row.try_get("secret_ciphertext")?,
        active: row.try_get("active")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        last_used_service: row.try_get("last_used_service")?,
        last_used_region: row.try_get("last_used_region")?,
    })
}

impl Store {
    /// Stores a new key for `user_id`; refused with [`StoreError::AccessKeyLimit`] when
    /// the user already has two.
    pub async fn create_access_key(
        &self,
        key: &AccessKey,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let locked: Option<String> =
            sqlx::query_scalar("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                .bind(&key.user_id)
                .fetch_optional(&mut *tx)
                .await?;
        if locked.is_none() {
            return Err(StoreError::NotFound {
                what: "user",
                name: key.user_id.clone(),
            });
        }
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM access_keys WHERE user_id = $1")
            .bind(&key.user_id)
            .fetch_one(&mut *tx)
            .await?;
        if count >= MAX_ACCESS_KEYS {
            return Err(StoreError::AccessKeyLimit);
        }
        sqlx::query(
            "INSERT INTO access_keys (id, user_id, secret_key_id, secret_nonce, secret_ciphertext, active, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&key.id)
        .bind(&key.user_id)
        .bind(&key.secret_key_id)
        .bind(&key.secret_nonce)
        .bind(&key.secret_ciphertext)
        .bind(key.active)
        .bind(key.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "access key", &key.id))?;
        self.commit_and_announce(tx, audit).await
    }

    /// A key by its id (exact: ids are case-sensitive, as AWS's are).
    pub async fn access_key(&self, id: &str) -> Result<Option<AccessKey>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM access_keys WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// A user's keys, oldest first.
    pub async fn access_keys_of(&self, user_id: &str) -> Result<Vec<AccessKey>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM access_keys WHERE user_id = $1 ORDER BY created_at, id"
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Makes a key of `user_id` active or inactive.
    pub async fn set_access_key_active(
        &self,
        user_id: &str,
        id: &str,
        active: bool,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.set_owned_active(crate::owned::Owned::AccessKey, user_id, id, active, audit)
            .await
    }

    /// Deletes a key of `user_id`.
    pub async fn delete_access_key(
        &self,
        user_id: &str,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.delete_owned(crate::owned::Owned::AccessKey, user_id, id, audit)
            .await
    }

    /// Writes the latest use of many keys in one statement (a newer use wins; an older
    /// batch from another server never moves a time back).
    pub async fn record_key_uses(&self, uses: &[KeyUse]) -> Result<(), StoreError> {
        if uses.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = uses.iter().map(|u| u.id.as_str()).collect();
        let ats: Vec<OffsetDateTime> = uses.iter().map(|u| u.at).collect();
        let services: Vec<&str> = uses.iter().map(|u| u.service.as_str()).collect();
        let regions: Vec<&str> = uses.iter().map(|u| u.region.as_str()).collect();
        sqlx::query(
            "UPDATE access_keys k SET last_used_at = u.at, last_used_service = u.service, last_used_region = u.region
             FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[]) AS u(id, at, service, region)
             WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)",
        )
        .bind(&ids)
        .bind(&ats)
        .bind(&services)
        .bind(&regions)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

impl Store {
    /// Keeps a newly generated credential report (replacing the previous one).
    pub async fn save_credential_report(
        &self,
        content: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO credential_report (one_row, generated_at, content) VALUES (TRUE, $1, $2)
             ON CONFLICT (one_row) DO UPDATE SET generated_at = $1, content = $2",
        )
        .bind(audit.at)
        .bind(content)
        .execute(&mut *tx)
        .await?;
        crate::audit::commit(tx, audit).await
    }

    /// The last credential report and when it was generated.
    pub async fn credential_report(&self) -> Result<Option<(OffsetDateTime, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT generated_at, content FROM credential_report")
                .fetch_optional(self.pool())
                .await?,
        )
    }
}
