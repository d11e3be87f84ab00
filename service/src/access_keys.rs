//! Access keys: long-term credentials for the AWS-compatible API.
//!
//! Each operation names the user whose keys it touches (or, without a name, the
//! caller's own user, as AWS does) and is decided by the engine on that user's ARN:
//! `iam:CreateAccessKey`, `iam:ListAccessKeys`, `iam:UpdateAccessKey`,
//! `iam:DeleteAccessKey`, `iam:GetAccessKeyLastUsed`. Secrets are sealed with the
//! server key and shown once, at creation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use identity::secret_box::Sealed;
use model::credentials::{AccessKeyRow, AccessKeysView};
use store::{AccessKey, KeyUse, User};
use time::OffsetDateTime;

use crate::{format, Caller, Service, ServiceError};

/// A created key with its secret, which is never shown again.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub user_name: String,
    pub id: String,
    pub secret: String,
    pub created_at: OffsetDateTime,
}

/// A key's last use, as `GetAccessKeyLastUsed` answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct LastUsed {
    pub user_name: String,
    pub at: Option<OffsetDateTime>,
    pub service: Option<String>,
    pub region: Option<String>,
}

/// Uses of keys seen by this process since the last flush, newest per key: written in
/// one statement every few seconds instead of a write per request.
#[derive(Clone, Default)]
pub struct KeyUses(Arc<Mutex<HashMap<String, KeyUse>>>);

impl KeyUses {
    pub(crate) fn record(&self, id: &str, at: OffsetDateTime, service: &str, region: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(
                id.to_string(),
                KeyUse {
                    id: id.to_string(),
                    at,
                    service: service.to_string(),
                    region: region.to_string(),
                },
            );
        }
    }

    fn take(&self) -> Vec<KeyUse> {
        match self.0.lock() {
            Ok(mut map) => map.drain().map(|(_, u)| u).collect(),
            Err(_) => Vec::new(),
        }
    }

    fn pending(&self, id: &str) -> Option<KeyUse> {
        self.0.lock().ok().and_then(|map| map.get(id).cloned())
    }
}

/// AWS's wording for a key that is not there (or not this user's).
fn no_such_key(id: &str) -> ServiceError {
    ServiceError::NotFound {
        field: Some("access_key_id"),
        message: format!("The Access Key with id {id} cannot be found."),
    }
}

impl Service {
    /// Creates a key for `user` (or the caller); at most two per user.
    pub async fn create_access_key(
        &self,
        caller: &Caller,
        user: Option<&str>,
    ) -> Result<CreatedKey, ServiceError> {
        let (owner, permit) = self
            .user_or_own(caller, "iam:CreateAccessKey", user)
            .await?;
        let id = store::ids::access_key_id("AKIA");
        let secret = store::ids::secret_access_key();
        self.store_key(
            &owner,
            &id,
            &secret,
            caller.now,
            &permit.audit(caller, format!("created access key {id}")),
        )
        .await?;
        Ok(CreatedKey {
            user_name: owner.display_name().to_string(),
            id,
            secret,
            created_at: caller.now,
        })
    }

    /// For automation: makes sure the account exists and root has an access key, the
    /// one given (`PORTCULLIS_BOOTSTRAP_ROOT_ACCESS_KEY_ID` and `…_SECRET_ACCESS_KEY`).
    /// Does nothing when root already has a key. Returns whether it created one.
    pub async fn bootstrap_root_key(&self, id: &str, secret: &str) -> Result<bool, ServiceError> {
        if !(16..=128).contains(&id.len())
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(ServiceError::invalid(
                "access_key_id",
                "The bootstrap access key id must be 16 to 128 letters, digits or underscores.",
            ));
        }
        if !(16..=128).contains(&secret.len()) || !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ServiceError::invalid(
                "secret_access_key",
                "The bootstrap secret access key must be 16 to 128 visible ASCII characters.",
            ));
        }
        let account = self.account_to_set_up().await?;
        let root = self.store.bootstrap_account(&account).await?;
        if !self.store.access_keys_of(&root.id).await?.is_empty() {
            return Ok(false);
        }
        let now = self.clock.now();
        let audit = store::AuditEntry {
            at: now,
            actor: "shell".into(),
            action: "iam:CreateAccessKey",
            target: root.arn.clone(),
            source_ip: String::new(),
            outcome: store::Outcome::Success,
            detail: format!("bootstrap root access key {id} from the environment"),
        };
        self.store_key(&root, id, secret, now, &audit).await?;
        Ok(true)
    }

    /// Seals and stores a key; the limit is checked under the user's row lock.
    pub(crate) async fn store_key(
        &self,
        owner: &User,
        id: &str,
        secret: &str,
        now: OffsetDateTime,
        audit: &store::AuditEntry,
    ) -> Result<(), ServiceError> {
        let sealed = self
            .secrets
            .seal(secret.as_bytes())
            .map_err(ServiceError::internal)?;
        let key = AccessKey {
            id: id.to_string(),
            user_id: owner.id.clone(),
            secret_key_id: sealed.key_id,
            secret_nonce: sealed.nonce,
            secret_ciphertext: sealed.ciphertext,
            active: true,
            created_at: now,
            last_used_at: None,
            last_used_service: None,
            last_used_region: None,
        };
        self.store.create_access_key(&key, audit).await?;
        Ok(())
    }

    /// The keys of `user` (or the caller), oldest first.
    pub async fn list_access_keys(
        &self,
        caller: &Caller,
        user: Option<&str>,
    ) -> Result<(User, Vec<AccessKey>), ServiceError> {
        let (owner, _) = self.user_or_own(caller, "iam:ListAccessKeys", user).await?;
        let keys = self.store.access_keys_of(&owner.id).await?;
        Ok((owner, keys))
    }

    /// The access keys panel: the keys (or why they cannot be listed) and which
    /// changes the viewer may not make.
    pub async fn access_keys_view(
        &self,
        caller: &Caller,
        user: Option<&str>,
    ) -> Result<AccessKeysView, ServiceError> {
        let mine = user.is_none_or(|u| u.trim().is_empty());
        if mine && caller.role.is_some() {
            let reason = "A role session has no access keys of its own; go back to your own identity to manage yours.";
            let mut refusals = model::Refusals::default();
            for action in [
                "iam:CreateAccessKey",
                "iam:UpdateAccessKey",
                "iam:DeleteAccessKey",
            ] {
                refusals.0.insert(action.into(), reason.into());
            }
            return Ok(AccessKeysView {
                owner: caller.user.display_name().to_string(),
                owner_is_root: caller.user.is_root,
                keys: Vec::new(),
                list_refused: Some(reason.into()),
                refusals,
            });
        }
        let (owner, keys, list_refused) = match self.list_access_keys(caller, user).await {
            Ok((owner, keys)) => (owner, keys, None),
            Err(ServiceError::AccessDenied(denial)) => {
                // A refusal must look the same whether the user exists or not.
                let owner = match user.map(str::trim).filter(|n| !n.is_empty()) {
                    Some(name) => self.store.user_by_name(name).await?,
                    None => Some(caller.user.clone()),
                };
                let Some(owner) = owner else {
                    return Err(ServiceError::AccessDenied(denial));
                };
                (owner, Vec::new(), Some(denial.to_string()))
            }
            Err(other) => return Err(other),
        };
        let mut refusals = self
            .refusals(
                caller,
                &[
                    ("iam:CreateAccessKey", owner.arn.clone()),
                    ("iam:UpdateAccessKey", owner.arn.clone()),
                    ("iam:DeleteAccessKey", owner.arn.clone()),
                ],
            )
            .await?;
        if keys.len() as i64 >= store::access_keys::MAX_ACCESS_KEYS {
            refusals
                .0
                .entry("iam:CreateAccessKey".into())
                .or_insert_with(|| {
                    "a user has at most two access keys; delete one you no longer use first".into()
                });
        }
        Ok(AccessKeysView {
            owner: owner.display_name().to_string(),
            owner_is_root: owner.is_root,
            keys: self.key_rows(caller, keys),
            list_refused,
            refusals,
        })
    }

    fn key_rows(&self, caller: &Caller, keys: Vec<AccessKey>) -> Vec<AccessKeyRow> {
        keys.into_iter()
            .map(|k| {
                let used = self
                    .key_uses
                    .pending(&k.id)
                    .map(|u| (u.at, u.service, u.region));
                let (at, service, region) = used.unwrap_or((
                    k.last_used_at.unwrap_or(OffsetDateTime::UNIX_EPOCH),
                    k.last_used_service.clone().unwrap_or_default(),
                    k.last_used_region.clone().unwrap_or_default(),
                ));
                let never = at == OffsetDateTime::UNIX_EPOCH;
                AccessKeyRow {
                    id: k.id,
                    active: k.active,
                    created: format::date(k.created_at),
                    age: format::ago(Some(k.created_at), caller.now, "today"),
                    last_used: if never {
                        "Never".into()
                    } else {
                        format!("{} ({service}, {region})", format::date(at))
                    },
                }
            })
            .collect()
    }

    /// Makes a key active or inactive.
    pub async fn update_access_key(
        &self,
        caller: &Caller,
        user: Option<&str>,
        id: &str,
        active: bool,
    ) -> Result<(), ServiceError> {
        let (owner, permit) = self
            .user_or_own(caller, "iam:UpdateAccessKey", user)
            .await?;
        let state = if active { "Active" } else { "Inactive" };
        self.store
            .set_access_key_active(
                &owner.id,
                id.trim(),
                active,
                &permit.audit(caller, format!("access key {} made {state}", id.trim())),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound { .. } => no_such_key(id.trim()),
                other => other.into(),
            })
    }

    pub async fn delete_access_key(
        &self,
        caller: &Caller,
        user: Option<&str>,
        id: &str,
    ) -> Result<(), ServiceError> {
        let (owner, permit) = self
            .user_or_own(caller, "iam:DeleteAccessKey", user)
            .await?;
        self.store
            .delete_access_key(
                &owner.id,
                id.trim(),
                &permit.audit(caller, format!("deleted access key {}", id.trim())),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound { .. } => no_such_key(id.trim()),
                other => other.into(),
            })
    }

    /// When a key was last used, for `GetAccessKeyLastUsed`; authorized on the key's
    /// user, and a key the caller may not see looks the same as a missing one.
    pub async fn access_key_last_used(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<LastUsed, ServiceError> {
        let key = self.store.access_key(id.trim()).await?;
        let owner = match &key {
            Some(k) => self.store.user_by_id(&k.user_id).await?,
            None => None,
        };
        let (Some(key), Some(owner)) = (key, owner) else {
            self.authorize(
                caller,
                "iam:GetAccessKeyLastUsed",
                &crate::authz::arn::users(&caller.account_id),
            )
            .await?;
            return Err(no_such_key(id.trim()));
        };
        self.authorize(caller, "iam:GetAccessKeyLastUsed", &owner.arn)
            .await?;
        let pending = self.key_uses.pending(&key.id);
        Ok(match pending {
            Some(u) => LastUsed {
                user_name: owner.display_name().to_string(),
                at: Some(u.at),
                service: Some(u.service),
                region: Some(u.region),
            },
            None => LastUsed {
                user_name: owner.display_name().to_string(),
                at: key.last_used_at,
                service: key.last_used_service,
                region: key.last_used_region,
            },
        })
    }

    /// Writes the key uses this process has seen since the last call.
    pub async fn flush_key_uses(&self) -> Result<(), ServiceError> {
        let uses = self.key_uses.take();
        self.store.record_key_uses(&uses).await?;
        Ok(())
    }

    /// A key's secret, opened with the server key.
    pub(crate) fn open_key_secret(&self, key: &AccessKey) -> Result<String, ServiceError> {
        self.open_sealed(
            &key.secret_key_id,
            &key.secret_nonce,
            &key.secret_ciphertext,
        )
    }

    /// A sealed secret (access key, temporary credential), opened as text.
    pub(crate) fn open_sealed(
        &self,
        key_id: &str,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<String, ServiceError> {
        let bytes = self
            .secrets
            .open(&Sealed {
                key_id: key_id.to_string(),
                nonce: nonce.to_vec(),
                ciphertext: ciphertext.to_vec(),
            })
            .map_err(ServiceError::internal)?;
        String::from_utf8(bytes).map_err(ServiceError::internal)
    }
}
