//! SAML providers: whose signed responses `sts:AssumeRoleWithSAML` accepts. The
//! metadata is kept as uploaded; the quota of 100 per account is counted under an
//! advisory lock, so concurrent creations cannot pass it together.

use std::collections::BTreeMap;

use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{commit, AuditEntry};
use crate::ids::unique_id;
use crate::{Store, StoreError};

/// AWS's quota: SAML providers in an account.
pub const MAX_SAML_PROVIDERS: i64 = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct SamlProvider {
    pub id: String,
    /// `arn:aws:iam::ACCOUNT:saml-provider/NAME`.
    pub arn: String,
    pub name: String,
    /// The metadata document as uploaded.
    pub metadata: String,
    /// The metadata's `entityID`: the issuer its responses must name.
    pub entity_id: String,
    pub valid_until: Option<OffsetDateTime>,
    pub tags: BTreeMap<String, String>,
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str = "id, arn, name, metadata, entity_id, valid_until, tags, created_at";

fn from_row(row: &sqlx::postgres::PgRow) -> Result<SamlProvider, sqlx::Error> {
    Ok(SamlProvider {
        id: row.try_get("id")?,
        arn: row.try_get("arn")?,
        name: row.try_get("name")?,
        metadata: row.try_get("metadata")?,
        entity_id: row.try_get("entity_id")?,
        valid_until: row.try_get("valid_until")?,
        tags: crate::tags::tags_from(row.try_get("tags")?),
        created_at: row.try_get("created_at")?,
    })
}

/// A provider's metadata, as read from its document.
#[derive(Debug, Clone)]
pub struct SamlMetadata<'a> {
    pub document: &'a str,
    pub entity_id: &'a str,
    pub valid_until: Option<OffsetDateTime>,
}

/// Why a provider was not created.
#[derive(Debug, thiserror::Error)]
pub enum SamlCreateError {
    #[error("Cannot exceed quota for SAMLProvidersPerAccount: {MAX_SAML_PROVIDERS}")]
    Quota,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    pub async fn create_saml_provider(
        &self,
        arn: &str,
        name: &str,
        metadata: &SamlMetadata<'_>,
        tags: &BTreeMap<String, String>,
        audit: &AuditEntry,
    ) -> Result<SamlProvider, SamlCreateError> {
        let mut tx = self.pool().begin().await.map_err(StoreError::from)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('saml_providers'))")
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM saml_providers")
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        if count >= MAX_SAML_PROVIDERS {
            return Err(SamlCreateError::Quota);
        }
        let row = sqlx::query(&format!(
            "INSERT INTO saml_providers (id, arn, name, metadata, entity_id, valid_until, tags, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
        ))
        .bind(unique_id("SAML"))
        .bind(arn)
        .bind(name)
        .bind(metadata.document)
        .bind(metadata.entity_id)
        .bind(metadata.valid_until)
        .bind(crate::tags::tags_value(tags))
        .bind(audit.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "SAML provider", name))?;
        let provider = from_row(&row).map_err(StoreError::from)?;
        commit(tx, audit).await?;
        Ok(provider)
    }

    /// The provider with this ARN (exactly: ARNs are case-sensitive, as in AWS).
    pub async fn saml_provider(&self, arn: &str) -> Result<Option<SamlProvider>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM saml_providers WHERE arn = $1"
        ))
        .bind(arn)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    pub async fn saml_providers(&self) -> Result<Vec<SamlProvider>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM saml_providers ORDER BY arn"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Replaces a provider's metadata (a rotated signing certificate, say).
    pub async fn update_saml_provider(
        &self,
        arn: &str,
        metadata: &SamlMetadata<'_>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(
            "UPDATE saml_providers SET metadata = $2, entity_id = $3, valid_until = $4 WHERE arn = $1",
        )
        .bind(arn)
        .bind(metadata.document)
        .bind(metadata.entity_id)
        .bind(metadata.valid_until)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "SAML provider",
                name: arn.into(),
            });
        }
        commit(tx, audit).await?;
        Ok(())
    }

    /// Records that assertion `id` of `provider` was used, unless it already was:
    /// `false` is a replay. Assertions past their expiry are forgotten first.
    pub async fn redeem_saml_assertion(
        &self,
        provider: &str,
        id: &str,
        expires: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        sqlx::query("DELETE FROM saml_assertions_used WHERE expires_at < $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO saml_assertions_used (provider_arn, assertion_id, expires_at)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(provider)
        .bind(id)
        .bind(expires)
        .execute(self.pool())
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    pub async fn delete_saml_provider(
        &self,
        arn: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let deleted = sqlx::query("DELETE FROM saml_providers WHERE arn = $1")
            .bind(arn)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "SAML provider",
                name: arn.into(),
            });
        }
        commit(tx, audit).await?;
        Ok(())
    }
}
