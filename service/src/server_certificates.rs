//! Server certificates (`UploadServerCertificate` and the rest): a certificate is
//! kept only if it parses as X.509 and the private key uploaded with it is the one
//! its public key belongs to; the key is sealed and never answered back.

use std::collections::BTreeMap;

use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use store::server_certificates::{NewServerCertificate, ServerCertificate};
use time::OffsetDateTime;
use x509_cert::der::{DecodePem, Encode};
use x509_cert::Certificate;

use crate::authz::{arn, Extra, Permit};
use crate::lookup::entity_path;
use crate::{Caller, Service, ServiceError};

/// AWS's sizes: a certificate or key of at most 16 KiB, a chain of at most 2 MiB.
const MAX_PEM: usize = 16_384;
const MAX_CHAIN: usize = 2_097_152;

/// An upload as the API gives it.
#[derive(Debug, Clone, Default)]
pub struct UploadInput {
    pub name: String,
    pub path: String,
    pub body: String,
    pub private_key: String,
    pub chain: Option<String>,
    pub tags: Vec<(String, String)>,
}

fn malformed(what: &str) -> ServiceError {
    ServiceError::invalid(
        "certificate_body",
        format!("Unable to parse {what}. Please ensure the {what} is in PEM format."),
    )
}

/// An X.509 certificate as uploaded: its expiry, its public key (DER) and the
/// SHA-256 of its DER (one certificate, whatever its PEM line breaks).
pub(crate) struct ReadCertificate {
    pub expires: OffsetDateTime,
    pub public_key: Vec<u8>,
    pub fingerprint: String,
}

/// Reads a PEM certificate, or refuses it with AWS's text.
pub(crate) fn read_certificate(pem: &str) -> Result<ReadCertificate, ServiceError> {
    if pem.len() > MAX_PEM {
        return Err(malformed("certificate"));
    }
    let cert =
        Certificate::from_pem(pem.trim().as_bytes()).map_err(|_| malformed("certificate"))?;
    let tbs = &cert.tbs_certificate;
    let seconds = tbs.validity.not_after.to_unix_duration().as_secs();
    let expires = i64::try_from(seconds)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or_else(|| malformed("certificate"))?;
    let public_key = tbs
        .subject_public_key_info
        .to_der()
        .map_err(|_| malformed("certificate"))?;
    let der = cert.to_der().map_err(|_| malformed("certificate"))?;
    let fingerprint = {
        use sha2::Digest;
        sha2::Sha256::digest(&der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    Ok(ReadCertificate {
        expires,
        public_key,
        fingerprint,
    })
}

/// The public key (DER) of an RSA private key in PKCS #1 or PKCS #8 PEM.
fn private_key_public_half(pem: &str) -> Result<Vec<u8>, ServiceError> {
    let pem = pem.trim();
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(pem))
        .map_err(|_| malformed("private key"))?;
    Ok(key
        .to_public_key()
        .to_public_key_der()
        .map_err(|_| malformed("private key"))?
        .as_bytes()
        .to_vec())
}

fn no_certificate(name: &str) -> ServiceError {
    ServiceError::NotFound {
        field: None,
        message: format!("The Server Certificate with name {name} cannot be found."),
    }
}

fn check_name(name: &str) -> Result<(), ServiceError> {
    if name.is_empty() || name.len() > 128 || !model::validate::name_chars_ok(name) {
        return Err(ServiceError::invalid(
            "name",
            "A certificate name has 1 to 128 letters, digits and + = , . @ _ -.",
        ));
    }
    Ok(())
}

impl Service {
    /// Finds the certificate `name` and authorizes `action` on its ARN (or on the ARN
    /// the name would have at `/`, so a refusal does not tell whether it exists).
    pub(crate) async fn server_certificate_for(
        &self,
        caller: &Caller,
        action: &'static str,
        name: &str,
        extra: Extra,
    ) -> Result<(ServerCertificate, Permit), ServiceError> {
        let name = name.trim();
        let found = self.store.server_certificate(name).await?;
        let (resource, extra) = match &found {
            Some(c) => (c.arn.clone(), extra.with_resource_tags(&c.tags)),
            None => (
                arn::at(&caller.account_id, "server-certificate", "/", name),
                extra,
            ),
        };
        let permit = self
            .authorize_with(caller, action, &resource, &extra)
            .await?;
        let certificate = found.ok_or_else(|| no_certificate(name))?;
        Ok((certificate, permit))
    }

    /// `iam:UploadServerCertificate` (tags need `iam:TagServerCertificate`).
    pub async fn upload_server_certificate(
        &self,
        caller: &Caller,
        input: &UploadInput,
    ) -> Result<ServerCertificate, ServiceError> {
        let name = input.name.trim();
        check_name(name)?;
        let path = crate::authz::entity_path(&input.path)?;
        let read = read_certificate(&input.body)?;
        let (expires, certificate_key) = (read.expires, read.public_key);
        if input.private_key.len() > MAX_PEM {
            return Err(malformed("private key"));
        }
        if private_key_public_half(&input.private_key)? != certificate_key {
            return Err(ServiceError::invalid(
                "key_pair",
                "The private key did not match the public key provided by the certificate.",
            ));
        }
        let chain = input
            .chain
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        if let Some(chain) = chain {
            let parsed = Certificate::load_pem_chain(chain.as_bytes());
            if chain.len() > MAX_CHAIN || !parsed.is_ok_and(|list| !list.is_empty()) {
                return Err(malformed("certificate chain"));
            }
        }
        model::tags::check_all(&input.tags)?;
        let tags: BTreeMap<String, String> = input.tags.iter().cloned().collect();
        let target = arn::at(&caller.account_id, "server-certificate", path, name);
        let extra = Extra::new().with_request_tags(&tags);
        let permit = self
            .authorize_with(caller, "iam:UploadServerCertificate", &target, &extra)
            .await?;
        if !tags.is_empty() {
            self.authorize_with(caller, "iam:TagServerCertificate", &target, &extra)
                .await?;
        }
        let sealed = self
            .secrets
            .seal(input.private_key.trim().as_bytes())
            .map_err(ServiceError::internal)?;
        self.store
            .create_server_certificate(
                &NewServerCertificate {
                    name,
                    arn: &target,
                    body: input.body.trim(),
                    chain,
                    key_id: &sealed.key_id,
                    nonce: &sealed.nonce,
                    ciphertext: &sealed.ciphertext,
                    expires_at: expires,
                    tags: &tags,
                },
                &permit.audit(caller, format!("expires {}", crate::format::date(expires))),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Duplicate { .. } => ServiceError::AlreadyExists {
                    field: "name",
                    message: format!("The Server Certificate with name {name} already exists."),
                },
                other => other.into(),
            })
    }

    /// `iam:GetServerCertificate`: the certificate and chain, never the key.
    pub async fn server_certificate(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<ServerCertificate, ServiceError> {
        Ok(self
            .server_certificate_for(caller, "iam:GetServerCertificate", name, Extra::new())
            .await?
            .0)
    }

    /// `iam:ListServerCertificates` under a path.
    pub async fn server_certificates_under(
        &self,
        caller: &Caller,
        path_prefix: &str,
    ) -> Result<Vec<ServerCertificate>, ServiceError> {
        self.authorize(caller, "iam:ListServerCertificates", "*")
            .await?;
        Ok(self
            .store
            .server_certificates()
            .await?
            .into_iter()
            .filter(|c| entity_path(&c.arn, "server-certificate").starts_with(path_prefix))
            .collect())
    }

    /// `iam:UpdateServerCertificate`: a new name or path, authorized on the old and
    /// the new ARN.
    pub async fn update_server_certificate(
        &self,
        caller: &Caller,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), ServiceError> {
        let (certificate, permit) = self
            .server_certificate_for(caller, "iam:UpdateServerCertificate", name, Extra::new())
            .await?;
        let new_name = new_name
            .map(str::trim)
            .unwrap_or(&certificate.name)
            .to_string();
        check_name(&new_name)?;
        let new_path = match new_path {
            Some(p) => crate::authz::entity_path(p)?.to_string(),
            None => entity_path(&certificate.arn, "server-certificate"),
        };
        let new_arn = arn::at(
            &caller.account_id,
            "server-certificate",
            &new_path,
            &new_name,
        );
        if new_arn == certificate.arn {
            return Ok(());
        }
        self.authorize(caller, "iam:UpdateServerCertificate", &new_arn)
            .await?;
        self.store
            .rename_server_certificate(
                &certificate.id,
                &new_name,
                &new_arn,
                &permit.audit(caller, format!("now {new_arn}")),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Duplicate { .. } => ServiceError::AlreadyExists {
                    field: "new_name",
                    message: format!("The Server Certificate with name {new_name} already exists."),
                },
                other => other.into(),
            })
    }

    /// `iam:DeleteServerCertificate`: the certificate and its sealed key.
    pub async fn delete_server_certificate(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<(), ServiceError> {
        let (certificate, permit) = self
            .server_certificate_for(caller, "iam:DeleteServerCertificate", name, Extra::new())
            .await?;
        self.store
            .delete_server_certificate(
                &certificate.id,
                &permit.audit(caller, "certificate and key deleted"),
            )
            .await?;
        Ok(())
    }
}
