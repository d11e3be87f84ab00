//! Service-specific credentials (AWS's `…ServiceSpecificCredential…` actions): a
//! user name and a password for one service, the password shown once (at creation
//! and at each reset) and kept only as its SHA-256.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::service_credentials::{ServiceCredential, ServiceCredentialError};

use crate::{Caller, Service, ServiceError};

/// The services AWS issues these credentials for.
pub const SERVICES: &[&str] = &[
    "codecommit.amazonaws.com",
    "cassandra.amazonaws.com",
    "bedrock.amazonaws.com",
];

/// A new password: 256 random bits, base64 (44 characters, as AWS's look).
fn new_password() -> (String, Vec<u8>) {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let password = base64::engine::general_purpose::STANDARD.encode(raw);
    let hash = Sha256::digest(password.as_bytes()).to_vec();
    (password, hash)
}

fn no_credential(id: &str) -> ServiceError {
    ServiceError::NotFound {
        field: Some("service_specific_credential_id"),
        message: format!("No such credential {id} exists"),
    }
}

impl Service {
    /// `iam:CreateServiceSpecificCredential`: answers the credential and its
    /// password, which is never shown again.
    pub async fn create_service_credential(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        service_name: &str,
    ) -> Result<(String, ServiceCredential, String), ServiceError> {
        let (user, permit) = self
            .user_or_own(caller, "iam:CreateServiceSpecificCredential", user_name)
            .await?;
        if !SERVICES.contains(&service_name) {
            return Err(ServiceError::invalid(
                "service_name",
                format!(
                    "The specified service {service_name} is not supported: use one of {}.",
                    SERVICES.join(", ")
                ),
            ));
        }
        let (password, hash) = new_password();
        let credential = ServiceCredential {
            id: store::ids::unique_id("ACCA"),
            user_id: user.id.clone(),
            service_name: service_name.to_string(),
            service_user_name: format!("{}-at-{}", user.display_name(), caller.account_id),
            active: true,
            created_at: caller.now,
        };
        self.store
            .create_service_credential(
                &credential,
                &hash,
                &permit.audit(caller, format!("{} for {service_name}", credential.id)),
            )
            .await
            .map_err(|e| match e {
                ServiceCredentialError::Limit => ServiceError::LimitExceeded {
                    field: "service_name",
                    message: e.to_string(),
                },
                ServiceCredentialError::Store(store) => store.into(),
            })?;
        Ok((user.display_name().to_string(), credential, password))
    }

    /// `iam:ListServiceSpecificCredentials`, all or for one service.
    pub async fn service_credentials(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        service_name: Option<&str>,
    ) -> Result<(store::User, Vec<ServiceCredential>), ServiceError> {
        let (user, _) = self
            .user_or_own(caller, "iam:ListServiceSpecificCredentials", user_name)
            .await?;
        let credentials = self
            .store
            .service_credentials_of(&user.id)
            .await?
            .into_iter()
            .filter(|c| service_name.is_none_or(|s| s == c.service_name))
            .collect();
        Ok((user, credentials))
    }

    /// `iam:UpdateServiceSpecificCredential` (status) and
    /// `iam:ResetServiceSpecificCredential` (a new password, answered once).
    pub async fn change_service_credential(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        id: &str,
        active: Option<bool>,
    ) -> Result<(String, ServiceCredential, Option<String>), ServiceError> {
        let action = if active.is_some() {
            "iam:UpdateServiceSpecificCredential"
        } else {
            "iam:ResetServiceSpecificCredential"
        };
        let (user, permit) = self.user_or_own(caller, action, user_name).await?;
        let (password, hash) = match active {
            Some(_) => (None, None),
            None => {
                let (password, hash) = new_password();
                (Some(password), Some(hash))
            }
        };
        let detail = match active {
            Some(true) => format!("{id} Active"),
            Some(false) => format!("{id} Inactive"),
            None => format!("{id} password reset"),
        };
        self.store
            .change_service_credential(
                &user.id,
                id,
                active,
                hash.as_deref(),
                &permit.audit(caller, detail),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound { .. } => no_credential(id),
                other => other.into(),
            })?;
        let credential = self
            .store
            .service_credentials_of(&user.id)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| no_credential(id))?;
        Ok((user.display_name().to_string(), credential, password))
    }

    /// `iam:DeleteServiceSpecificCredential`.
    pub async fn delete_service_credential(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        id: &str,
    ) -> Result<(), ServiceError> {
        let (user, permit) = self
            .user_or_own(caller, "iam:DeleteServiceSpecificCredential", user_name)
            .await?;
        self.store
            .delete_service_credential(&user.id, id, &permit.audit(caller, format!("{id} deleted")))
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound { .. } => no_credential(id),
                other => other.into(),
            })
    }
}

impl Service {
    /// The console's panel: the credentials, the services, what the viewer may not do.
    pub async fn service_credentials_view(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
    ) -> Result<model::credentials::ServiceCredentialsView, ServiceError> {
        let (owner, credentials) = self.service_credentials(caller, user_name, None).await?;
        let arn = owner.arn;
        let refusals = self
            .refusals(
                caller,
                &[
                    ("iam:CreateServiceSpecificCredential", arn.clone()),
                    ("iam:ResetServiceSpecificCredential", arn.clone()),
                    ("iam:DeleteServiceSpecificCredential", arn),
                ],
            )
            .await?;
        Ok(model::credentials::ServiceCredentialsView {
            credentials: credentials
                .into_iter()
                .map(|c| model::credentials::ServiceCredentialRow {
                    id: c.id,
                    service_name: c.service_name,
                    service_user_name: c.service_user_name,
                    active: c.active,
                    created: crate::format::date(c.created_at),
                })
                .collect(),
            services: SERVICES.iter().map(|s| s.to_string()).collect(),
            refusals,
        })
    }
}
