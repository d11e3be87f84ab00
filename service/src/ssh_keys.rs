//! SSH public keys of IAM users (AWS's `…SSHPublicKey…` actions): uploaded after the
//! key is parsed and measured, listed, made active or inactive, deleted. Without a
//! user name they are the caller's own (the console's "My security credentials").

use identity::ssh::SshKeyProblem;
use store::owned::Owned;
use store::ssh_keys::{SshKeyError, SshPublicKey};

use crate::owned::OwnedChange;
use crate::{Caller, Service, ServiceError};

fn no_key(id: &str) -> ServiceError {
    ServiceError::NotFound {
        field: Some("ssh_public_key_id"),
        message: format!("The SSH Public Key with id {id} cannot be found."),
    }
}

impl Service {
    /// `iam:UploadSSHPublicKey`.
    pub async fn upload_ssh_key(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        body: &str,
    ) -> Result<(String, SshPublicKey), ServiceError> {
        let (user, permit) = self
            .user_or_own(caller, "iam:UploadSSHPublicKey", user_name)
            .await?;
        let body = body.trim();
        let parsed = identity::ssh::parse_public_key(body).map_err(|problem| match problem {
            SshKeyProblem::Encoding => {
                ServiceError::invalid("ssh_public_key_encoding", problem.to_string())
            }
            other => ServiceError::invalid("ssh_public_key", other.to_string()),
        })?;
        let key = self
            .store
            .upload_ssh_key(
                &user.id,
                body,
                &parsed.fingerprint,
                &permit.audit(
                    caller,
                    format!(
                        "SSH public key {} ({} bits)",
                        parsed.fingerprint, parsed.bits
                    ),
                ),
            )
            .await
            .map_err(|e| match e {
                SshKeyError::Limit => ServiceError::LimitExceeded {
                    field: "ssh_public_key",
                    message: e.to_string(),
                },
                SshKeyError::Duplicate => ServiceError::AlreadyExists {
                    field: "ssh_public_key",
                    message: e.to_string(),
                },
                SshKeyError::Store(store) => store.into(),
            })?;
        Ok((user.name, key))
    }

    /// `iam:ListSSHPublicKeys`: the named user's, or without a name the caller's.
    pub async fn ssh_keys(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
    ) -> Result<(store::User, Vec<SshPublicKey>), ServiceError> {
        let (user, _) = self
            .user_or_own(caller, "iam:ListSSHPublicKeys", user_name)
            .await?;
        let keys = self.store.ssh_keys_of(&user.id).await?;
        Ok((user, keys))
    }

    /// `iam:GetSSHPublicKey`.
    pub async fn ssh_key(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        id: &str,
    ) -> Result<(String, SshPublicKey), ServiceError> {
        let (user, _) = self
            .user_or_own(caller, "iam:GetSSHPublicKey", user_name)
            .await?;
        let key = self
            .store
            .ssh_keys_of(&user.id)
            .await?
            .into_iter()
            .find(|k| k.id == id)
            .ok_or_else(|| no_key(id))?;
        Ok((user.name, key))
    }

    /// `iam:UpdateSSHPublicKey`: active or inactive.
    pub async fn set_ssh_key_active(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        id: &str,
        active: bool,
    ) -> Result<(), ServiceError> {
        self.change_owned(
            caller,
            user_name,
            "iam:UpdateSSHPublicKey",
            Owned::SshKey,
            id,
            OwnedChange::Active(active),
            no_key,
        )
        .await
    }

    /// `iam:DeleteSSHPublicKey`.
    pub async fn delete_ssh_key(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        id: &str,
    ) -> Result<(), ServiceError> {
        self.change_owned(
            caller,
            user_name,
            "iam:DeleteSSHPublicKey",
            Owned::SshKey,
            id,
            OwnedChange::Delete,
            no_key,
        )
        .await
    }
}

impl Service {
    /// The console's SSH keys panel: the keys, and what the viewer may not change.
    pub async fn ssh_keys_view(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
    ) -> Result<model::credentials::SshKeysView, ServiceError> {
        let (owner, keys) = self.ssh_keys(caller, user_name).await?;
        let arn = owner.arn.clone();
        let refusals = self
            .refusals(
                caller,
                &[
                    ("iam:UploadSSHPublicKey", arn.clone()),
                    ("iam:UpdateSSHPublicKey", arn.clone()),
                    ("iam:DeleteSSHPublicKey", arn),
                ],
            )
            .await?;
        Ok(model::credentials::SshKeysView {
            owner: owner.display_name().to_string(),
            keys: keys
                .into_iter()
                .map(|k| model::credentials::SshKeyRow {
                    id: k.id,
                    fingerprint: k.fingerprint,
                    active: k.active,
                    uploaded: crate::format::date(k.uploaded_at),
                })
                .collect(),
            refusals,
        })
    }
}
