//! Temporary credentials: an `ASIA…` key, its sealed secret and the hash of its session
//! token, issued alone (`GetSessionToken`) or with a role session (`AssumeRole`) in
//! the same transaction as the session and its audit row.

use sqlx::postgres::PgRow;
use sqlx::Row;
use time::OffsetDateTime;

use crate::ids::unique_id;
use crate::{AuditEntry, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct TemporaryCredential {
    pub id: String,
    pub user_id: String,
    /// The role session these credentials act in, for `AssumeRole`.
    pub role_session_id: Option<String>,
    pub secret_key_id: String,
    pub secret_nonce: Vec<u8>,
    pub secret_ciphertext: Vec<u8>,
    /// SHA-256 of the session token.
    pub token_hash: Vec<u8>,
    /// When MFA was proven for them, if it was.
    pub mfa_at: Option<OffsetDateTime>,
    /// Session policy documents: the session may do only what they also allow.
    pub session_policies: Vec<String>,
    /// `GetFederationToken`'s `Name`: the credentials act as this federated user.
    pub federated_name: Option<String>,
    /// Session tags of a federated user (its `aws:PrincipalTag/*`).
    pub session_tags: std::collections::BTreeMap<String, String>,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

fn from_row(row: &PgRow) -> Result<TemporaryCredential, sqlx::Error> {
    Ok(TemporaryCredential {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        role_session_id: row.try_get("role_session_id")?,
        secret_key_id: row.try_get("secret_key_id")?,
        secret_nonce: row.try_get("secret_nonce")?,
        secret_ciphertext: row.try_get("secret_ciphertext")?,
        token_hash: row.try_get("token_hash")?,
        mfa_at: row.try_get("mfa_at")?,
        session_policies: serde_json::from_value(row.try_get("session_policies")?)
            .unwrap_or_default(),
        federated_name: row.try_get("federated_name")?,
        session_tags: crate::tags::tags_from(row.try_get("session_tags")?),
        issued_at: row.try_get("issued_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

async fn insert(conn: &mut sqlx::PgConnection, c: &TemporaryCredential) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO temporary_credentials (id, user_id, role_session_id, secret_key_id, secret_nonce,
             secret_ciphertext, token_hash, mfa_at, issued_at, expires_at, session_policies,
             federated_name, session_tags)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&c.id)
    .bind(&c.user_id)
    .bind(&c.role_session_id)
    .bind(&c.secret_key_id)
    .bind(&c.secret_nonce)
    .bind(&c.secret_ciphertext)
    .bind(&c.token_hash)
    .bind(c.mfa_at)
    .bind(c.issued_at)
    .bind(c.expires_at)
    .bind(serde_json::json!(c.session_policies))
    .bind(&c.federated_name)
    .bind(crate::tags::tags_value(&c.session_tags))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// Stores credentials for a user's own identity (`GetSessionToken`).
    pub async fn issue_session_token(
        &self,
        credential: &TemporaryCredential,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        insert(&mut tx, credential).await?;
        crate::audit::record(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Starts a role session named `session_name` for `credential.user_id` and stores
    /// its credentials, in one transaction with the audit row. Returns the session id.
    pub async fn issue_role_credentials(
        &self,
        role_id: &str,
        session_name: &str,
        attributes: &crate::roles::SessionAttributes,
        credential: &TemporaryCredential,
        audit: &AuditEntry,
    ) -> Result<String, StoreError> {
        let mut tx = self.pool().begin().await?;
        let id = unique_id("ARS");
        sqlx::query(
            "INSERT INTO role_sessions (id, user_id, role_id, session_name, started_at, expires_at,
                 session_tags, transitive_keys, source_identity)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&credential.user_id)
        .bind(role_id)
        .bind(session_name)
        .bind(credential.issued_at)
        .bind(credential.expires_at)
        .bind(crate::tags::tags_value(&attributes.tags))
        .bind(serde_json::json!(attributes.transitive_keys))
        .bind(&attributes.source_identity)
        .execute(&mut *tx)
        .await?;
        let credential = TemporaryCredential {
            role_session_id: Some(id.clone()),
            ..credential.clone()
        };
        insert(&mut tx, &credential).await?;
        crate::audit::record(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn temporary_credential(
        &self,
        id: &str,
    ) -> Result<Option<TemporaryCredential>, StoreError> {
        let row = sqlx::query(
            "SELECT id, user_id, role_session_id, secret_key_id, secret_nonce, secret_ciphertext,
                    token_hash, mfa_at, issued_at, expires_at, session_policies, federated_name,
                    session_tags
             FROM temporary_credentials WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// "Revoke active sessions": ends every session of the role started at or before
    /// `audit.at` (console switches and API credentials alike). Returns how many.
    pub async fn revoke_role_sessions(
        &self,
        role_id: &str,
        audit: &AuditEntry,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let ended = sqlx::query(
            "UPDATE role_sessions SET ended_at = $2
             WHERE role_id = $1 AND ended_at IS NULL AND started_at <= $2",
        )
        .bind(role_id)
        .bind(audit.at)
        .execute(&mut *tx)
        .await?;
        self.commit_and_announce(tx, audit).await?;
        Ok(ended.rows_affected())
    }

    /// Sessions of the role neither ended nor expired at `now`.
    pub async fn active_role_sessions(
        &self,
        role_id: &str,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM role_sessions WHERE role_id = $1 AND ended_at IS NULL AND expires_at > $2",
        )
        .bind(role_id)
        .bind(now)
        .fetch_one(self.pool())
        .await?)
    }

    /// Forgets credentials that expired more than a day ago.
    pub async fn prune_temporary_credentials(
        &self,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "DELETE FROM temporary_credentials WHERE expires_at < $1 - interval '1 day'",
        )
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected())
    }
}
