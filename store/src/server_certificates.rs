//! Server certificates: a TLS certificate, its chain and its private key (sealed with
//! the server key, never given back), for load balancers and tools that take them
//! from IAM. Names are unique whatever their case, like every IAM name.

use std::collections::BTreeMap;

use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{commit, AuditEntry};
use crate::ids::unique_id;
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct ServerCertificate {
    pub id: String,
    pub name: String,
    /// `arn:aws:iam::ACCOUNT:server-certificate/PATH/NAME`.
    pub arn: String,
    pub body: String,
    pub chain: Option<String>,
    pub expires_at: OffsetDateTime,
    pub uploaded_at: OffsetDateTime,
    pub tags: BTreeMap<String, String>,
}

/// A certificate to keep: `arn` carries the path; the key arrives sealed.
#[derive(Debug, Clone)]
pub struct NewServerCertificate<'a> {
    pub name: &'a str,
    pub arn: &'a str,
    pub body: &'a str,
    pub chain: Option<&'a str>,
    pub key_id: &'a str,
    pub nonce: &'a [u8],
    pub ciphertext: &'a [u8],
    pub expires_at: OffsetDateTime,
    pub tags: &'a BTreeMap<String, String>,
}

const COLUMNS: &str = "id, name, arn, body, chain, expires_at, uploaded_at, tags";

fn from_row(row: &sqlx::postgres::PgRow) -> Result<ServerCertificate, sqlx::Error> {
    Ok(ServerCertificate {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        arn: row.try_get("arn")?,
        body: row.try_get("body")?,
        chain: row.try_get("chain")?,
        expires_at: row.try_get("expires_at")?,
        uploaded_at: row.try_get("uploaded_at")?,
        tags: crate::tags::tags_from(row.try_get("tags")?),
    })
}

impl Store {
    pub async fn create_server_certificate(
        &self,
        new: &NewServerCertificate<'_>,
        audit: &AuditEntry,
    ) -> Result<ServerCertificate, StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO server_certificates
                (id, name, arn, body, chain, key_id, key_nonce, key_ciphertext, expires_at, uploaded_at, tags)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLUMNS}"
        ))
        .bind(unique_id("ASCA"))
        .bind(new.name)
        .bind(new.arn)
        .bind(new.body)
        .bind(new.chain)
        .bind(new.key_id)
        .bind(new.nonce)
        .bind(new.ciphertext)
        .bind(new.expires_at)
        .bind(audit.at)
        .bind(crate::tags::tags_value(new.tags))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "server certificate", new.name))?;
        let certificate = from_row(&row)?;
        commit(tx, audit).await?;
        Ok(certificate)
    }

    /// The certificate named `name`, whatever its case.
    pub async fn server_certificate(
        &self,
        name: &str,
    ) -> Result<Option<ServerCertificate>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM server_certificates WHERE lower(name) = lower($1)"
        ))
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    pub async fn server_certificates(&self) -> Result<Vec<ServerCertificate>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM server_certificates ORDER BY lower(name)"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Renames or moves the certificate `id` (`arn` is its new ARN).
    pub async fn rename_server_certificate(
        &self,
        id: &str,
        new: &str,
        arn: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.rename_row(
            "server_certificates",
            "server certificate",
            id,
            new,
            arn,
            audit,
        )
        .await
    }

    pub async fn delete_server_certificate(
        &self,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let deleted = sqlx::query("DELETE FROM server_certificates WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "server certificate",
                name: id.into(),
            });
        }
        commit(tx, audit).await?;
        Ok(())
    }
}
