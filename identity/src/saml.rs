//! SAML 2.0 as AWS federation uses it: an identity provider's metadata (its entity
//! id and signing certificates) and the signed `Response` a user's browser carries
//! to `sts:AssumeRoleWithSAML`.
//!
//! A response is believed only as far as a signature reaches: either the
//! `Response` or its one `Assertion` is signed by a certificate from the metadata,
//! every `ID` in the document is unique, and everything is read from that one
//! assertion, never searched for elsewhere in the document.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use roxmltree::{Document, Node, ParsingOptions};
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use x509_cert::der::{Decode, Encode};

use crate::xmldsig::{self, children, only_child, text_of, SignatureError, DSIG_NS};

pub const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const METADATA_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// The audiences AWS's sign-in accepts, so identity providers set up for AWS work
/// unchanged: its entity id, its sign-in URL, or a regional sign-in URL.
pub const AUDIENCES: &[&str] = &[
    "urn:amazon:webservices",
    "https://signin.aws.amazon.com/saml",
];

fn accepted_audience(audience: &str) -> bool {
    AUDIENCES.contains(&audience)
        || audience
            .strip_prefix("https://")
            .and_then(|rest| rest.strip_suffix(".signin.aws.amazon.com/saml"))
            .is_some_and(|region| {
                !region.is_empty()
                    && region
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            })
}
/// AWS's bounds on `SAMLAssertion` (base64 characters).
pub const MIN_ASSERTION_CHARS: usize = 4;
pub const MAX_ASSERTION_CHARS: usize = 100_000;
/// AWS's bounds on `SAMLMetadataDocument`.
pub const MIN_METADATA_CHARS: usize = 1_000;
pub const MAX_METADATA_CHARS: usize = 10_000_000;
/// Clocks disagree: a `NotBefore` or `IssueInstant` this far ahead is still accepted.
const SKEW_SECONDS: i64 = 300;
/// AWS redeems an assertion only within five minutes of its issue.
const REDEEM_SECONDS: i64 = 300;
/// A document larger than any SAML response needs to be is refused before it grows.
const MAX_NODES: u32 = 20_000;
/// Nor may it nest deeper than any SAML response does: canonicalisation walks the
/// tree recursively, and a thread's stack is not the place to meet a crafted depth.
const MAX_DEPTH: usize = 64;

const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// Why a response was refused. `Display` is the detail for the audit log; the API
/// answers AWS's terser texts (see [`SamlError::aws_message`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SamlError {
    #[error("the SAML response is not valid: {0}")]
    Malformed(String),
    #[error("the response's signature was refused: {0}")]
    Signature(SignatureError),
    #[error("the issuer {0:?} is not the provider's entity id")]
    Issuer(String),
    #[error("no audience restriction names urn:amazon:webservices or AWS's sign-in URL")]
    Audience,
    #[error("the assertion expired at {0}")]
    Expired(String),
    #[error("the assertion was issued at {0}, more than five minutes ago")]
    Stale(String),
    #[error("the assertion is not valid before {0}")]
    NotYetValid(String),
    #[error("the identity provider answered {0}, not Success")]
    Status(String),
}

impl SamlError {
    /// AWS's text for this refusal.
    pub fn aws_message(&self) -> String {
        match self {
            SamlError::Signature(_) => "Response signature invalid".into(),
            SamlError::Issuer(_) => "Issuer not present in specified provider".into(),
            SamlError::Audience => "Response does not contain the required audience".into(),
            SamlError::Expired(_) => "Response has expired".into(),
            SamlError::Stale(_) => "Token must be redeemed within 5 minutes of issuance".into(),
            SamlError::NotYetValid(_) => {
                "The SAML assertion is not yet valid (NotBefore is in the future)".into()
            }
            SamlError::Status(status) => {
                format!("The identity provider did not authenticate the user: {status}")
            }
            SamlError::Malformed(detail) => format!("Invalid SAML response: {detail}"),
        }
    }
}

fn malformed(detail: impl Into<String>) -> SamlError {
    SamlError::Malformed(detail.into())
}

fn parse(text: &str) -> Result<Document<'_>, String> {
    let document = Document::parse_with_options(
        text,
        ParsingOptions {
            allow_dtd: false,
            nodes_limit: MAX_NODES,
            ..ParsingOptions::default()
        },
    )
    .map_err(|e| e.to_string())?;
    if xmldsig::depth(&document) > MAX_DEPTH {
        return Err(format!("elements are nested more than {MAX_DEPTH} deep"));
    }
    Ok(document)
}

/// What AWS keeps of a provider's metadata document.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub entity_id: String,
    /// DER of each signing certificate (a provider rotating keys lists two).
    pub certificates: Vec<Vec<u8>>,
    /// `validUntil`, when the document says.
    pub valid_until: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Could not parse metadata: {0}")]
pub struct MetadataError(pub String);

fn instant(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).ok()
}

/// The public key of a DER certificate, if it is RSA.
fn public_key(der: &[u8]) -> Option<RsaPublicKey> {
    let certificate = x509_cert::Certificate::from_der(der).ok()?;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .ok()?;
    RsaPublicKey::from_public_key_der(&spki).ok()
}

/// Reads an identity provider's metadata: one `EntityDescriptor` with an
/// `IDPSSODescriptor` whose signing keys are RSA certificates.
pub fn read_metadata(text: &str) -> Result<Metadata, MetadataError> {
    let fail = |detail: &str| MetadataError(detail.to_string());
    let document = parse(text).map_err(|e| MetadataError(format!("not XML ({e})")))?;
    let root = document.root_element();
    if root.tag_name().namespace() != Some(METADATA_NS)
        || root.tag_name().name() != "EntityDescriptor"
    {
        return Err(fail("the document must be a SAML 2.0 EntityDescriptor"));
    }
    let entity_id = root
        .attribute("entityID")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| fail("the EntityDescriptor has no entityID"))?
        .to_string();
    let idp = only_child(root, METADATA_NS, "IDPSSODescriptor")
        .ok_or_else(|| fail("there must be one IDPSSODescriptor"))?;
    let mut certificates = Vec::new();
    for key in children(idp, METADATA_NS, "KeyDescriptor") {
        if key.attribute("use").is_some_and(|u| u != "signing") {
            continue;
        }
        for info in children(key, DSIG_NS, "KeyInfo") {
            for data in children(info, DSIG_NS, "X509Data") {
                for cert in children(data, DSIG_NS, "X509Certificate") {
                    let text: String = text_of(cert)
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect();
                    let der = STANDARD
                        .decode(text)
                        .map_err(|_| fail("an X509Certificate is not base64"))?;
                    if public_key(&der).is_none() {
                        return Err(fail(
                            "a signing certificate is not an X.509 certificate with an RSA key",
                        ));
                    }
                    if !certificates.contains(&der) {
                        certificates.push(der);
                    }
                }
            }
        }
    }
    if certificates.is_empty() {
        return Err(fail("the IDPSSODescriptor has no signing certificate"));
    }
    let valid_until = match root.attribute("validUntil") {
        Some(text) => Some(instant(text).ok_or_else(|| fail("validUntil is not a date and time"))?),
        None => None,
    };
    Ok(Metadata {
        entity_id,
        certificates,
        valid_until,
    })
}

impl Metadata {
    pub fn keys(&self) -> Vec<RsaPublicKey> {
        self.certificates
            .iter()
            .filter_map(|der| public_key(der))
            .collect()
    }
}

/// What a verified assertion says.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    /// The assertion's `ID`: a bearer assertion is good once.
    pub id: String,
    pub issuer: String,
    /// The `NameID`.
    pub subject: String,
    /// The `NameID`'s `Format`, if it has one.
    pub subject_format: Option<String>,
    /// The bearer confirmation's `Recipient` (`saml:aud`).
    pub recipient: String,
    pub audiences: Vec<String>,
    /// When the assertion stops being usable (the earliest `NotOnOrAfter`).
    pub expires: OffsetDateTime,
    /// The `AuthnStatement`'s `SessionNotOnOrAfter`: no session may outlast it.
    pub session_not_on_or_after: Option<OffsetDateTime>,
    /// Every attribute by name, with its values in order.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl Assertion {
    pub fn attribute(&self, name: &str) -> Option<&[String]> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, values)| values.as_slice())
    }
}

fn saml<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> Option<Node<'a, 'i>> {
    only_child(node, ASSERTION_NS, name)
}

/// Reads the base64 `SAMLAssertion` of a request, checks it against the provider's
/// metadata at time `now`, and returns what the signed assertion says.
pub fn read_response(
    encoded: &str,
    metadata: &Metadata,
    now: OffsetDateTime,
) -> Result<Assertion, SamlError> {
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = STANDARD
        .decode(compact)
        .map_err(|_| malformed("the assertion is not base64"))?;
    let text = String::from_utf8(bytes).map_err(|_| malformed("the response is not UTF-8 text"))?;
    let document = parse(&text).map_err(|e| malformed(format!("not XML ({e})")))?;
    let response = document.root_element();
    if response.tag_name().namespace() != Some(PROTOCOL_NS)
        || response.tag_name().name() != "Response"
    {
        return Err(malformed(
            "the document must be a SAML 2.0 protocol Response",
        ));
    }
    // Unique IDs, so a signature's reference can mean only one element.
    let mut ids: Vec<&str> = document
        .descendants()
        .filter_map(|n| n.attribute("ID"))
        .collect();
    ids.sort_unstable();
    if ids.windows(2).any(|pair| pair.first() == pair.get(1)) {
        return Err(malformed("two elements have the same ID"));
    }
    let status = only_child(response, PROTOCOL_NS, "Status")
        .and_then(|s| only_child(s, PROTOCOL_NS, "StatusCode"))
        .and_then(|c| c.attribute("Value"))
        .ok_or_else(|| malformed("the response has no StatusCode"))?;
    if status != SUCCESS {
        return Err(SamlError::Status(status.to_string()));
    }
    if children(response, ASSERTION_NS, "EncryptedAssertion")
        .next()
        .is_some()
    {
        return Err(malformed(
            "encrypted assertions are not supported; send the assertion signed, unencrypted",
        ));
    }
    let assertion = {
        let mut all = children(response, ASSERTION_NS, "Assertion");
        let first = all
            .next()
            .ok_or_else(|| malformed("the response holds no Assertion"))?;
        if all.next().is_some() {
            return Err(malformed("the response must hold exactly one Assertion"));
        }
        first
    };
    // The response's signature covers the assertion; else the assertion's own must.
    let keys = metadata.keys();
    let mut verified = false;
    for element in [response, assertion] {
        match xmldsig::verify_enveloped(element, &keys) {
            Ok(()) => verified = true,
            Err(SignatureError::Unsigned) => {}
            Err(e) => return Err(SamlError::Signature(e)),
        }
    }
    if !verified {
        return Err(SamlError::Signature(SignatureError::Unsigned));
    }

    let issued = assertion
        .attribute("IssueInstant")
        .and_then(instant)
        .ok_or_else(|| malformed("the assertion has no valid IssueInstant"))?;
    if issued.unix_timestamp() > now.unix_timestamp() + SKEW_SECONDS {
        return Err(SamlError::NotYetValid(text_date(issued)));
    }
    if issued.unix_timestamp() < now.unix_timestamp() - REDEEM_SECONDS {
        return Err(SamlError::Stale(text_date(issued)));
    }

    let issuer = saml(assertion, "Issuer")
        .map(|i| text_of(i).trim().to_string())
        .ok_or_else(|| malformed("the assertion has no Issuer"))?;
    if issuer != metadata.entity_id {
        return Err(SamlError::Issuer(issuer));
    }
    if let Some(outer) = only_child(response, ASSERTION_NS, "Issuer") {
        let outer = text_of(outer).trim().to_string();
        if outer != metadata.entity_id {
            return Err(SamlError::Issuer(outer));
        }
    }

    let subject =
        saml(assertion, "Subject").ok_or_else(|| malformed("the assertion has no Subject"))?;
    let name_id = saml(subject, "NameID").ok_or_else(|| malformed("the Subject has no NameID"))?;
    let mut expires: Option<OffsetDateTime> = None;
    let mut earliest = |at: OffsetDateTime| {
        expires = Some(expires.map_or(at, |e| e.min(at)));
    };
    let mut recipient = None;
    for confirmation in children(subject, ASSERTION_NS, "SubjectConfirmation") {
        if confirmation.attribute("Method") != Some(BEARER) {
            continue;
        }
        let Some(data) = saml(confirmation, "SubjectConfirmationData") else {
            continue;
        };
        let until = data
            .attribute("NotOnOrAfter")
            .and_then(instant)
            .ok_or_else(|| {
                malformed("the bearer SubjectConfirmationData has no valid NotOnOrAfter")
            })?;
        if let Some(before) = data.attribute("NotBefore").and_then(instant) {
            if before.unix_timestamp() > now.unix_timestamp() + SKEW_SECONDS {
                return Err(SamlError::NotYetValid(text_date(before)));
            }
        }
        earliest(until);
        recipient = Some(data.attribute("Recipient").unwrap_or_default().to_string());
        break;
    }
    let recipient =
        recipient.ok_or_else(|| malformed("the Subject has no bearer SubjectConfirmation"))?;

    let conditions = saml(assertion, "Conditions")
        .ok_or_else(|| malformed("the assertion has no Conditions"))?;
    if let Some(before) = conditions.attribute("NotBefore") {
        let before = instant(before)
            .ok_or_else(|| malformed("Conditions NotBefore is not a date and time"))?;
        if before.unix_timestamp() > now.unix_timestamp() + SKEW_SECONDS {
            return Err(SamlError::NotYetValid(text_date(before)));
        }
    }
    if let Some(until) = conditions.attribute("NotOnOrAfter") {
        earliest(
            instant(until)
                .ok_or_else(|| malformed("Conditions NotOnOrAfter is not a date and time"))?,
        );
    }
    let expires = expires.ok_or_else(|| malformed("the assertion has no NotOnOrAfter"))?;
    if expires <= now {
        return Err(SamlError::Expired(text_date(expires)));
    }
    // Every AudienceRestriction must name AWS's audience (SAML: all restrictions hold).
    let restrictions: Vec<Vec<String>> = children(conditions, ASSERTION_NS, "AudienceRestriction")
        .map(|r| {
            children(r, ASSERTION_NS, "Audience")
                .map(|a| text_of(a).trim().to_string())
                .collect()
        })
        .collect();
    if restrictions.is_empty()
        || restrictions
            .iter()
            .any(|r| !r.iter().any(|a| accepted_audience(a)))
    {
        return Err(SamlError::Audience);
    }
    let mut audiences: Vec<String> = restrictions.into_iter().flatten().collect();
    audiences.dedup();

    let mut attributes: Vec<(String, Vec<String>)> = Vec::new();
    for statement in children(assertion, ASSERTION_NS, "AttributeStatement") {
        for attribute in children(statement, ASSERTION_NS, "Attribute") {
            let Some(name) = attribute.attribute("Name") else {
                continue;
            };
            let values: Vec<String> = children(attribute, ASSERTION_NS, "AttributeValue")
                .map(|v| text_of(v).trim().to_string())
                .collect();
            match attributes.iter_mut().find(|(n, _)| n == name) {
                Some((_, existing)) => existing.extend(values),
                None => attributes.push((name.to_string(), values)),
            }
        }
    }
    let session_not_on_or_after = children(assertion, ASSERTION_NS, "AuthnStatement")
        .filter_map(|a| a.attribute("SessionNotOnOrAfter"))
        .filter_map(instant)
        .min();
    Ok(Assertion {
        id: assertion.attribute("ID").unwrap_or_default().to_string(),
        issuer,
        session_not_on_or_after,
        subject: text_of(name_id).trim().to_string(),
        subject_format: name_id.attribute("Format").map(str::to_string),
        recipient,
        audiences,
        expires,
        attributes,
    })
}

fn text_date(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_are_aws_sign_in_and_nothing_like_it() {
        for ok in [
            "urn:amazon:webservices",
            "https://signin.aws.amazon.com/saml",
            "https://us-east-1.signin.aws.amazon.com/saml",
        ] {
            assert!(accepted_audience(ok), "{ok}");
        }
        for bad in [
            "urn:amazon:webservices:evil",
            "https://signin.aws.amazon.com/saml/",
            "https://.signin.aws.amazon.com/saml",
            "https://evil.example/x.signin.aws.amazon.com/saml",
            "https://a.b.signin.aws.amazon.com/saml",
            "http://signin.aws.amazon.com/saml",
            "https://sp.example.com",
        ] {
            assert!(!accepted_audience(bad), "{bad}");
        }
    }
}
