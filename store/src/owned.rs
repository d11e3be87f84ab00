//! A user's own credentials (access keys, SSH keys, service-specific credentials,
//! signing certificates) changed by id, always within that user: an id of another user's credential is
//! not found, never changed.

use crate::audit::{commit, AuditEntry};
use crate::{Store, StoreError};

/// A kind of credential a user owns, by its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {
    AccessKey,
    SshKey,
    ServiceCredential,
    SigningCertificate,
}

impl Owned {
    fn table(self) -> &'static str {
        match self {
            Owned::AccessKey => "access_keys",
            Owned::SshKey => "ssh_public_keys",
            Owned::ServiceCredential => "service_specific_credentials",
            Owned::SigningCertificate => "signing_certificates",
        }
    }

    pub fn what(self) -> &'static str {
        match self {
            Owned::AccessKey => "access key",
            Owned::SshKey => "SSH public key",
            Owned::ServiceCredential => "service-specific credential",
            Owned::SigningCertificate => "signing certificate",
        }
    }
}

impl Store {
    /// Makes the credential active or inactive. Access keys sign API requests, which
    /// every server caches, so their changes are announced.
    pub async fn set_owned_active(
        &self,
        owned: Owned,
        user_id: &str,
        id: &str,
        active: bool,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let changed = sqlx::query(&format!(
            "UPDATE {} SET active = $3 WHERE user_id = $1 AND id = $2",
            owned.table()
        ))
        .bind(user_id)
        .bind(id)
        .bind(active)
        .execute(&mut *tx)
        .await?;
        self.finish_owned(owned, tx, changed.rows_affected(), id, audit)
            .await
    }

    /// Deletes the credential.
    pub async fn delete_owned(
        &self,
        owned: Owned,
        user_id: &str,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let deleted = sqlx::query(&format!(
            "DELETE FROM {} WHERE user_id = $1 AND id = $2",
            owned.table()
        ))
        .bind(user_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        self.finish_owned(owned, tx, deleted.rows_affected(), id, audit)
            .await
    }

    async fn finish_owned(
        &self,
        owned: Owned,
        tx: sqlx::Transaction<'_, sqlx::Postgres>,
        rows: u64,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        if rows == 0 {
            return Err(StoreError::NotFound {
                what: owned.what(),
                name: id.into(),
            });
        }
        match owned {
            Owned::AccessKey => self.commit_and_announce(tx, audit).await,
            _ => commit(tx, audit).await,
        }
    }
}
