//! Signing certificates of IAM users (AWS's `…SigningCertificate` actions): an X.509
//! certificate checked as one, at most two per user, made active or inactive,
//! deleted. Without a user name they are the caller's own.

use store::owned::Owned;
use store::signing_certificates::{SigningCertificate, SigningCertificateError};

use crate::owned::OwnedChange;
use crate::server_certificates::read_certificate;
use crate::{Caller, Service, ServiceError};

fn no_certificate(id: &str) -> ServiceError {
    ServiceError::NotFound {
        field: None,
        message: format!("The Certificate with id {id} cannot be found."),
    }
}

impl Service {
    /// `iam:UploadSigningCertificate`.
    pub async fn upload_signing_certificate(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        body: &str,
    ) -> Result<(String, SigningCertificate), ServiceError> {
        let (user, permit) = self
            .user_or_own(caller, "iam:UploadSigningCertificate", user_name)
            .await?;
        let read = read_certificate(body)?;
        let certificate = self
            .store
            .upload_signing_certificate(
                &user.id,
                body.trim(),
                &read.fingerprint,
                &permit.audit(
                    caller,
                    format!(
                        "signing certificate {}, expires {}",
                        read.fingerprint,
                        crate::format::date(read.expires)
                    ),
                ),
            )
            .await
            .map_err(|e| match e {
                SigningCertificateError::Limit => ServiceError::LimitExceeded {
                    field: "certificate_body",
                    message: e.to_string(),
                },
                SigningCertificateError::Duplicate => ServiceError::AlreadyExists {
                    field: "duplicate_certificate",
                    message: e.to_string(),
                },
                SigningCertificateError::Store(store) => store.into(),
            })?;
        Ok((user.name, certificate))
    }

    /// `iam:ListSigningCertificates`: the named user's, or without a name the caller's.
    pub async fn signing_certificates(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
    ) -> Result<(String, Vec<SigningCertificate>), ServiceError> {
        let (user, _) = self
            .user_or_own(caller, "iam:ListSigningCertificates", user_name)
            .await?;
        let certificates = self.store.signing_certificates_of(&user.id).await?;
        Ok((user.name, certificates))
    }

    /// `iam:UpdateSigningCertificate`: active or inactive.
    pub async fn set_signing_certificate_active(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        id: &str,
        active: bool,
    ) -> Result<(), ServiceError> {
        self.change_owned(
            caller,
            user_name,
            "iam:UpdateSigningCertificate",
            Owned::SigningCertificate,
            id,
            OwnedChange::Active(active),
            no_certificate,
        )
        .await
    }

    /// `iam:DeleteSigningCertificate`.
    pub async fn delete_signing_certificate(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        id: &str,
    ) -> Result<(), ServiceError> {
        self.change_owned(
            caller,
            user_name,
            "iam:DeleteSigningCertificate",
            Owned::SigningCertificate,
            id,
            OwnedChange::Delete,
            no_certificate,
        )
        .await
    }
}
