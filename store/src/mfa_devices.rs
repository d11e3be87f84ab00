//! Virtual MFA devices as AWS's API manages them: created unassigned (the seed
//! sealed), enabled for a user with two consecutive codes (the seed moves to the
//! user's row, where sign-in reads it), deactivated back to unassigned, deleted.
//! Serial numbers are unique whatever their case, across assigned and unassigned.

use std::collections::BTreeMap;

use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{commit, AuditEntry};
use crate::{Store, StoreError};

/// A device not enabled for anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnassignedDevice {
    pub name: String,
    /// `/` or `/ops/`: part of the serial number.
    pub path: String,
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub created_at: OffsetDateTime,
}

/// A device leaving the unassigned table for its user's row: name, path, and the
/// sealed seed (key id, nonce, ciphertext).
type MovedDevice = (String, String, String, Vec<u8>, Vec<u8>);

/// A device enabled for a user, as `ListVirtualMFADevices` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedDevice {
    pub name: String,
    pub path: String,
    pub user_id: String,
    pub user_name: String,
    pub is_root: bool,
    pub enabled_at: Option<OffsetDateTime>,
}

/// Serialises device creation so two names differing in case, or a device and a
/// user's enabled one, cannot be made at once.
async fn lock_names(tx: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('virtual_mfa_devices'))")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Whether a user's device (enabled or being enrolled) already has this name.
async fn user_device_named(tx: &mut sqlx::PgConnection, name: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM users WHERE mfa_ciphertext IS NOT NULL
             AND lower(coalesce(mfa_device_name, CASE WHEN is_root THEN 'root' ELSE name END)) = lower($1))",
    )
    .bind(name)
    .fetch_one(&mut *tx)
    .await?)
}

impl Store {
    /// Stores a new unassigned device with its sealed seed and the tags it is
    /// created with (replacing any an earlier device of the name had).
    pub async fn create_mfa_device(
        &self,
        device: &UnassignedDevice,
        tags: &BTreeMap<String, String>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        lock_names(&mut tx).await?;
        let duplicate = || StoreError::Duplicate {
            what: "MFA device",
            name: device.name.clone(),
        };
        if user_device_named(&mut tx, &device.name).await? {
            return Err(duplicate());
        }
        sqlx::query(
            "INSERT INTO virtual_mfa_devices (name, key_id, nonce, ciphertext, created_at, path)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&device.name)
        .bind(&device.key_id)
        .bind(&device.nonce)
        .bind(&device.ciphertext)
        .bind(device.created_at)
        .bind(&device.path)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "MFA device", &device.name))?;
        // A device without tags has no tag row: the first change makes it.
        sqlx::query("DELETE FROM mfa_device_tags WHERE id = lower($1)")
            .bind(&device.name)
            .execute(&mut *tx)
            .await?;
        if !tags.is_empty() {
            sqlx::query("INSERT INTO mfa_device_tags (id, tags) VALUES (lower($1), $2)")
                .bind(&device.name)
                .bind(crate::tags::tags_value(tags))
                .execute(&mut *tx)
                .await?;
        }
        commit(tx, audit).await
    }

    /// The tags of device `name` (any case), and the id `change_tags` takes. A read
    /// only: it runs before the caller is authorized. The caller has found the device.
    pub async fn mfa_device_tags(
        &self,
        name: &str,
    ) -> Result<(String, BTreeMap<String, String>), StoreError> {
        let id = name.to_lowercase();
        let tags: Option<serde_json::Value> =
            sqlx::query_scalar("SELECT tags FROM mfa_device_tags WHERE id = $1")
                .bind(&id)
                .fetch_optional(self.pool())
                .await?;
        Ok((id, tags.map(crate::tags::tags_from).unwrap_or_default()))
    }

    /// Unassigned devices by name, or (with `name`) the one of that name in any case.
    async fn unassigned(&self, name: Option<&str>) -> Result<Vec<UnassignedDevice>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, path, key_id, nonce, ciphertext, created_at FROM virtual_mfa_devices
             WHERE $1::text IS NULL OR lower(name) = lower($1) ORDER BY lower(name)",
        )
        .bind(name)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(UnassignedDevice {
                    name: row.try_get("name")?,
                    path: row.try_get("path")?,
                    key_id: row.try_get("key_id")?,
                    nonce: row.try_get("nonce")?,
                    ciphertext: row.try_get("ciphertext")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Unassigned devices, by name.
    pub async fn unassigned_mfa_devices(&self) -> Result<Vec<UnassignedDevice>, StoreError> {
        self.unassigned(None).await
    }

    /// One unassigned device by name (any case).
    pub async fn unassigned_mfa_device(
        &self,
        name: &str,
    ) -> Result<Option<UnassignedDevice>, StoreError> {
        Ok(self.unassigned(Some(name)).await?.into_iter().next())
    }

    /// Devices enabled for users, by user name.
    pub async fn assigned_mfa_devices(&self) -> Result<Vec<AssignedDevice>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, is_root, mfa_device_name, coalesce(mfa_device_path, '/') AS path,
                    mfa_enabled_at FROM users
             WHERE mfa_enabled ORDER BY is_root DESC, lower(name)",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let user_name: String = row.try_get("name")?;
                let is_root: bool = row.try_get("is_root")?;
                let device: Option<String> = row.try_get("mfa_device_name")?;
                Ok(AssignedDevice {
                    name: device.unwrap_or_else(|| {
                        if is_root {
                            "root".into()
                        } else {
                            user_name.clone()
                        }
                    }),
                    path: row.try_get("path")?,
                    user_id: row.try_get("id")?,
                    user_name,
                    is_root,
                    enabled_at: row.try_get("mfa_enabled_at")?,
                })
            })
            .collect()
    }

    /// Enables the unassigned device `name` for the user: its seed moves to the
    /// user's row with the second code's step as the last one used, and the user's
    /// console sessions end (as when MFA is enabled in the console). `NotFound`
    /// when the device is gone or the user has MFA already.
    pub async fn assign_mfa_device(
        &self,
        name: &str,
        user_id: &str,
        last_step: i64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let device: Option<MovedDevice> = sqlx::query_as(
            "DELETE FROM virtual_mfa_devices WHERE lower(name) = lower($1)
             RETURNING name, path, key_id, nonce, ciphertext",
        )
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((name, path, key_id, nonce, ciphertext)) = device else {
            return Err(StoreError::NotFound {
                what: "MFA device",
                name: name.into(),
            });
        };
        let enabled = sqlx::query(
            "UPDATE users SET mfa_enabled = TRUE, mfa_enabled_at = $2, mfa_key_id = $3,
                 mfa_nonce = $4, mfa_ciphertext = $5, mfa_last_step = $6, mfa_device_name = $7,
                 mfa_device_path = $8, mfa_drift_steps = 0, session_epoch = session_epoch + 1
             WHERE id = $1 AND NOT mfa_enabled",
        )
        .bind(user_id)
        .bind(audit.at)
        .bind(&key_id)
        .bind(&nonce)
        .bind(&ciphertext)
        .bind(last_step)
        .bind(&name)
        .bind(&path)
        .execute(&mut *tx)
        .await?;
        if enabled.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "user without an MFA device",
                name: user_id.into(),
            });
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        self.commit_and_announce(tx, audit).await
    }

    /// Deactivates the user's device and keeps it as an unassigned device, as AWS's
    /// `DeactivateMFADevice` does; the user's sessions end.
    pub async fn unassign_mfa_device(
        &self,
        user_id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        lock_names(&mut tx).await?;
        let kept = sqlx::query(
            "INSERT INTO virtual_mfa_devices (name, key_id, nonce, ciphertext, path)
             SELECT coalesce(mfa_device_name, CASE WHEN is_root THEN 'root' ELSE name END),
                    mfa_key_id, mfa_nonce, mfa_ciphertext, coalesce(mfa_device_path, '/')
             FROM users WHERE id = $1 AND mfa_enabled FOR UPDATE",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "MFA device", user_id))?;
        if kept.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "MFA device of user",
                name: user_id.into(),
            });
        }
        crate::users::disable_mfa_in(&mut tx, user_id).await?;
        self.commit_and_announce(tx, audit).await
    }

    /// Deletes an unassigned device.
    pub async fn delete_mfa_device(
        &self,
        name: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let deleted = sqlx::query("DELETE FROM virtual_mfa_devices WHERE lower(name) = lower($1)")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "MFA device",
                name: name.into(),
            });
        }
        sqlx::query("DELETE FROM mfa_device_tags WHERE id = lower($1)")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        commit(tx, audit).await
    }

    /// Records a resync: the step of the second code and the drift it showed.
    pub async fn resync_mfa(
        &self,
        user_id: &str,
        last_step: i64,
        drift_steps: i32,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(
            "UPDATE users SET mfa_last_step = $2, mfa_drift_steps = $3
             WHERE id = $1 AND mfa_enabled AND (mfa_last_step IS NULL OR mfa_last_step < $2)",
        )
        .bind(user_id)
        .bind(last_step)
        .bind(drift_steps)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "unused codes of the MFA device of user",
                name: user_id.into(),
            });
        }
        commit(tx, audit).await
    }
}
