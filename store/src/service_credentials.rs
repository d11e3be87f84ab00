//! Service-specific credentials: at most two per user and service (counted under
//! the user's row lock); the password only as its hash.

use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{commit, AuditEntry};
use crate::{Store, StoreError};

/// AWS's quota per user and service.
pub const MAX_PER_SERVICE: i64 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCredential {
    pub id: String,
    pub user_id: String,
    pub service_name: String,
    pub service_user_name: String,
    pub active: bool,
    pub created_at: OffsetDateTime,
}

fn from_row(row: &sqlx::postgres::PgRow) -> Result<ServiceCredential, sqlx::Error> {
    Ok(ServiceCredential {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        service_name: row.try_get("service_name")?,
        service_user_name: row.try_get("service_user_name")?,
        active: row.try_get("active")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Why a credential was not created.
#[derive(Debug, thiserror::Error)]
pub enum ServiceCredentialError {
    #[error("Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2")]
    Limit,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ServiceCredentialError {
    fn from(e: sqlx::Error) -> Self {
        ServiceCredentialError::Store(e.into())
    }
}

impl Store {
    pub async fn create_service_credential(
        &self,
        credential: &ServiceCredential,
        password_hash: &[u8],
        audit: &AuditEntry,
    ) -> Result<(), ServiceCredentialError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
            .bind(&credential.user_id)
            .execute(&mut *tx)
            .await?;
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM service_specific_credentials WHERE user_id = $1 AND service_name = $2",
        )
        .bind(&credential.user_id)
        .bind(&credential.service_name)
        .fetch_one(&mut *tx)
        .await?;
        if count >= MAX_PER_SERVICE {
            return Err(ServiceCredentialError::Limit);
        }
        sqlx::query(
            "INSERT INTO service_specific_credentials
                 (id, user_id, service_name, service_user_name, password_hash, active, created_at)
             VALUES ($1, $2, $3, $4, $5, TRUE, $6)",
        )
        .bind(&credential.id)
        .bind(&credential.user_id)
        .bind(&credential.service_name)
        .bind(&credential.service_user_name)
        .bind(password_hash)
        .bind(credential.created_at)
        .execute(&mut *tx)
        .await?;
        commit(tx, audit).await?;
        Ok(())
    }

    /// A user's credentials, oldest first.
    pub async fn service_credentials_of(
        &self,
        user_id: &str,
    ) -> Result<Vec<ServiceCredential>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, user_id, service_name, service_user_name, active, created_at
             FROM service_specific_credentials WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Changes one of the user's credentials: its status, or (with a hash) its password.
    pub async fn change_service_credential(
        &self,
        user_id: &str,
        id: &str,
        active: Option<bool>,
        password_hash: Option<&[u8]>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let changed = sqlx::query(
            "UPDATE service_specific_credentials
             SET active = coalesce($3, active), password_hash = coalesce($4, password_hash)
             WHERE user_id = $1 AND id = $2",
        )
        .bind(user_id)
        .bind(id)
        .bind(active)
        .bind(password_hash)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "service-specific credential",
                name: id.into(),
            });
        }
        commit(tx, audit).await
    }

    pub async fn delete_service_credential(
        &self,
        user_id: &str,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.delete_owned(crate::owned::Owned::ServiceCredential, user_id, id, audit)
            .await
    }
}
