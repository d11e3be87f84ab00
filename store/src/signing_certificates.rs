//! Signing certificates of users: at most two each (counted under the user's row
//! lock), one certificate to one user of the account.

use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{commit, AuditEntry};
use crate::ids::unique_id;
use crate::{Store, StoreError};

/// AWS's quota of signing certificates per user.
pub const MAX_SIGNING_CERTIFICATES: i64 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningCertificate {
    pub id: String,
    pub user_id: String,
    pub body: String,
    pub active: bool,
    pub uploaded_at: OffsetDateTime,
}

/// Why a certificate was not stored, in AWS's words.
#[derive(Debug, thiserror::Error)]
pub enum SigningCertificateError {
    #[error("Cannot exceed quota for SigningCertificatesPerUser: 2")]
    Limit,
    #[error("The same certificate is already associated with an IAM user in this account.")]
    Duplicate,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SigningCertificateError {
    fn from(e: sqlx::Error) -> Self {
        SigningCertificateError::Store(e.into())
    }
}

impl Store {
    /// Stores a certificate for the user; `fingerprint` (its DER's SHA-256) makes one
    /// certificate belong to one user.
    pub async fn upload_signing_certificate(
        &self,
        user_id: &str,
        body: &str,
        fingerprint: &str,
        audit: &AuditEntry,
    ) -> Result<SigningCertificate, SigningCertificateError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM signing_certificates WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
        if count >= MAX_SIGNING_CERTIFICATES {
            return Err(SigningCertificateError::Limit);
        }
        let certificate = SigningCertificate {
            // AWS's certificate ids have 24 or more characters.
            id: format!(
                "{}{}",
                unique_id(""),
                unique_id("").get(..7).unwrap_or_default()
            ),
            user_id: user_id.to_string(),
            body: body.to_string(),
            active: true,
            uploaded_at: audit.at,
        };
        let inserted = sqlx::query(
            "INSERT INTO signing_certificates (id, user_id, body, fingerprint, active, uploaded_at)
             VALUES ($1, $2, $3, $4, TRUE, $5) ON CONFLICT (fingerprint) DO NOTHING",
        )
        .bind(&certificate.id)
        .bind(user_id)
        .bind(body)
        .bind(fingerprint)
        .bind(certificate.uploaded_at)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(SigningCertificateError::Duplicate);
        }
        commit(tx, audit).await?;
        Ok(certificate)
    }

    /// A user's certificates, oldest first.
    pub async fn signing_certificates_of(
        &self,
        user_id: &str,
    ) -> Result<Vec<SigningCertificate>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, user_id, body, active, uploaded_at FROM signing_certificates
             WHERE user_id = $1 ORDER BY uploaded_at, id",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SigningCertificate {
                    id: row.try_get("id")?,
                    user_id: row.try_get("user_id")?,
                    body: row.try_get("body")?,
                    active: row.try_get("active")?,
                    uploaded_at: row.try_get("uploaded_at")?,
                })
            })
            .collect()
    }
}
