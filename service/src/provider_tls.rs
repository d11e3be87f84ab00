//! TLS to OpenID Connect providers, as AWS secures it: the system's trusted roots
//! first; for a provider whose certificate no public root vouches for (a Keycloak
//! behind a company CA, say), the certificate whose SHA-1 thumbprint the provider
//! was registered with (the last one of the chain the server sends, as AWS's
//! instructions have it) becomes the only trust anchor, and the chain and the host
//! name are checked against it. A pinned certificate never lets another host's
//! certificate through.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use sha1::Digest;

/// The SHA-1 thumbprint of a certificate as AWS writes it: 40 lower-case hex digits.
pub fn thumbprint(certificate: &[u8]) -> String {
    sha1::Sha1::digest(certificate)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Debug)]
struct RootsOrThumbprints {
    /// `None` on a machine without trusted roots: thumbprints alone then.
    roots: Option<Arc<WebPkiServerVerifier>>,
    thumbprints: Vec<String>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for RootsOrThumbprints {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let refused = match &self.roots {
            Some(roots) => {
                match roots.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
                    Ok(verified) => return Ok(verified),
                    Err(e) => e,
                }
            }
            None => Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        };
        let top = intermediates.last().unwrap_or(end_entity);
        if !self.thumbprints.contains(&thumbprint(top)) {
            return Err(refused);
        }
        let mut anchor = RootCertStore::empty();
        anchor.add(top.clone().into_owned())?;
        let pinned =
            WebPkiServerVerifier::builder_with_provider(Arc::new(anchor), self.provider.clone())
                .build()
                .map_err(|e| Error::General(e.to_string()))?;
        pinned.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A TLS configuration for a provider registered with `thumbprints`.
pub fn client_config(thumbprints: &[String]) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for certificate in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(certificate);
    }
    let roots = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .ok();
    let verifier = RootsOrThumbprints {
        roots,
        thumbprints: thumbprints.iter().map(|t| t.to_ascii_lowercase()).collect(),
        provider: provider.clone(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}
