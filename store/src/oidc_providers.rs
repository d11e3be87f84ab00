//! OpenID Connect providers: whose signed tokens `sts:AssumeRoleWithWebIdentity`
//! accepts, for which audiences (client ids). A change of the lists takes the row
//! lock, so two concurrent `AddClientIDToOpenIDConnectProvider` calls keep both.

use std::collections::BTreeMap;

use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{commit, AuditEntry};
use crate::ids::unique_id;
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct OidcProvider {
    pub id: String,
    /// `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`.
    pub arn: String,
    /// The issuer URL as registered (`https://host/path`).
    pub url: String,
    /// The audiences a token may be for.
    pub client_ids: Vec<String>,
    /// SHA-1 thumbprints of the provider's certificates, as AWS keeps them.
    pub thumbprints: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str = "id, arn, url, client_ids, thumbprints, tags, created_at";

fn list_from(value: serde_json::Value) -> Vec<String> {
    serde_json::from_value(value).unwrap_or_default()
}

fn from_row(row: &sqlx::postgres::PgRow) -> Result<OidcProvider, sqlx::Error> {
    Ok(OidcProvider {
        id: row.try_get("id")?,
        arn: row.try_get("arn")?,
        url: row.try_get("url")?,
        client_ids: list_from(row.try_get("client_ids")?),
        thumbprints: list_from(row.try_get("thumbprints")?),
        tags: crate::tags::tags_from(row.try_get("tags")?),
        created_at: row.try_get("created_at")?,
    })
}

/// A new provider's fields (the id and time are the store's).
#[derive(Debug, Clone)]
pub struct NewOidcProvider<'a> {
    pub arn: &'a str,
    pub url: &'a str,
    pub client_ids: &'a [String],
    pub thumbprints: &'a [String],
    pub tags: &'a BTreeMap<String, String>,
}

impl Store {
    pub async fn create_oidc_provider(
        &self,
        new: &NewOidcProvider<'_>,
        audit: &AuditEntry,
    ) -> Result<OidcProvider, StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO oidc_providers (id, arn, url, client_ids, thumbprints, tags, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .bind(unique_id("OIDC"))
        .bind(new.arn)
        .bind(new.url)
        .bind(serde_json::json!(new.client_ids))
        .bind(serde_json::json!(new.thumbprints))
        .bind(crate::tags::tags_value(new.tags))
        .bind(audit.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "OpenID Connect provider", new.arn))?;
        let provider = from_row(&row)?;
        commit(tx, audit).await?;
        Ok(provider)
    }

    /// The provider with this ARN (exactly: ARNs are case-sensitive here, as in AWS).
    pub async fn oidc_provider(&self, arn: &str) -> Result<Option<OidcProvider>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM oidc_providers WHERE arn = $1"
        ))
        .bind(arn)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    pub async fn oidc_providers(&self) -> Result<Vec<OidcProvider>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM oidc_providers ORDER BY arn"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Changes a provider's client ids and thumbprints under its row lock; `change`
    /// sees the current lists and may refuse.
    pub async fn change_oidc_provider<E: From<StoreError>>(
        &self,
        arn: &str,
        change: impl FnOnce(&mut Vec<String>, &mut Vec<String>) -> Result<(), E>,
        audit: &AuditEntry,
    ) -> Result<(), E> {
        let mut tx = self.pool().begin().await.map_err(StoreError::from)?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM oidc_providers WHERE arn = $1 FOR UPDATE"
        ))
        .bind(arn)
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let mut provider = match row.as_ref().map(from_row).transpose() {
            Ok(Some(p)) => p,
            Ok(None) => {
                return Err(StoreError::NotFound {
                    what: "OpenID Connect provider",
                    name: arn.into(),
                }
                .into())
            }
            Err(e) => return Err(StoreError::from(e).into()),
        };
        change(&mut provider.client_ids, &mut provider.thumbprints)?;
        sqlx::query("UPDATE oidc_providers SET client_ids = $2, thumbprints = $3 WHERE id = $1")
            .bind(&provider.id)
            .bind(serde_json::json!(provider.client_ids))
            .bind(serde_json::json!(provider.thumbprints))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        commit(tx, audit).await?;
        Ok(())
    }

    pub async fn delete_oidc_provider(
        &self,
        arn: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let deleted = sqlx::query("DELETE FROM oidc_providers WHERE arn = $1")
            .bind(arn)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "OpenID Connect provider",
                name: arn.into(),
            });
        }
        commit(tx, audit).await?;
        Ok(())
    }
}
