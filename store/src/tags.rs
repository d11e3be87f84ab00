//! Tags of users, roles and customer policies, changed under the entity's row lock
//! so that two concurrent `Tag…` calls can neither lose each other's tags nor pass
//! the limit of fifty together.

use std::collections::BTreeMap;

use model::tags::TagError;

use crate::audit::AuditEntry;
use crate::{Store, StoreError};

/// The entities that carry tags, by their table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged {
    User,
    Role,
    Policy,
    InstanceProfile,
    OidcProvider,
    SamlProvider,
    ServerCertificate,
    MfaDevice,
}

impl Tagged {
    fn table(self) -> &'static str {
        match self {
            Tagged::User => "users",
            Tagged::Role => "roles",
            Tagged::Policy => "policies",
            Tagged::InstanceProfile => "instance_profiles",
            Tagged::OidcProvider => "oidc_providers",
            Tagged::SamlProvider => "saml_providers",
            Tagged::ServerCertificate => "server_certificates",
            Tagged::MfaDevice => "mfa_device_tags",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Tagged::User => "user",
            Tagged::Role => "role",
            Tagged::Policy => "policy",
            Tagged::InstanceProfile => "instance profile",
            Tagged::OidcProvider => "OpenID Connect provider",
            Tagged::SamlProvider => "SAML provider",
            Tagged::ServerCertificate => "server certificate",
            Tagged::MfaDevice => "MFA device",
        }
    }
}

/// Reads a JSONB tag column.
pub(crate) fn tags_from(value: serde_json::Value) -> BTreeMap<String, String> {
    serde_json::from_value(value).unwrap_or_default()
}

/// Writes a tag map as JSONB.
pub(crate) fn tags_value(tags: &BTreeMap<String, String>) -> serde_json::Value {
    serde_json::to_value(tags).unwrap_or_default()
}

/// Why a change of tags was not made.
#[derive(Debug, thiserror::Error)]
pub enum TagChangeError {
    #[error("{0}")]
    Rule(TagError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for TagChangeError {
    fn from(e: sqlx::Error) -> Self {
        TagChangeError::Store(e.into())
    }
}

impl Store {
    /// Sets `added` and removes `removed` (keys in any case) on the entity `id`,
    /// returning its tags after the change. A user's tags are `aws:PrincipalTag/*`
    /// in every server's cached decisions, so every change is announced.
    pub async fn change_tags(
        &self,
        tagged: Tagged,
        id: &str,
        added: &[(String, String)],
        removed: &[String],
        audit: &AuditEntry,
    ) -> Result<BTreeMap<String, String>, TagChangeError> {
        let mut tx = self.pool().begin().await?;
        let table = tagged.table();
        if tagged == Tagged::MfaDevice {
            // A device's tags live apart from it: their row is made by the first
            // change, never by a read.
            sqlx::query("INSERT INTO mfa_device_tags (id) VALUES ($1) ON CONFLICT DO NOTHING")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let current: Option<serde_json::Value> = sqlx::query_scalar(&format!(
            "SELECT tags FROM {table} WHERE id = $1 FOR UPDATE"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let current = current.ok_or_else(|| StoreError::NotFound {
            what: tagged.what(),
            name: id.into(),
        })?;
        let tags = model::tags::change(&tags_from(current), added, removed)
            .map_err(TagChangeError::Rule)?;
        sqlx::query(&format!("UPDATE {table} SET tags = $2 WHERE id = $1"))
            .bind(id)
            .bind(tags_value(&tags))
            .execute(&mut *tx)
            .await?;
        self.commit_and_announce(tx, audit).await?;
        Ok(tags)
    }
}
