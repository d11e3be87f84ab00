//! SAML 2.0 federation: the providers (`iam:CreateSAMLProvider` and the rest, each
//! AWS's action on the provider's ARN with its tags in context) and
//! `sts:AssumeRoleWithSAML`, which trades a response the provider signed for a
//! role's temporary credentials. The response is checked by `identity::saml`
//! against the provider's metadata; the role's trust policy then decides, with the
//! assertion as `saml:*` condition keys.

use std::collections::BTreeMap;

use base64::Engine;
use identity::saml::{self, Assertion, Metadata};
use policy::{ContextValue, PrincipalKind};
use sha1::Digest;
use store::roles::SessionAttributes;
use store::saml_providers::{SamlCreateError, SamlMetadata, SamlProvider};
use store::{AuditEntry, Outcome};

use crate::authz::{Extra, Permit};
use crate::caller::RequestFacts;
use crate::federation::Federation;
use crate::sts::AssumedRole;
use crate::web_identity::TokenRefusal;
use crate::{Caller, Service, ServiceError};

const ACTION: &str = "sts:AssumeRoleWithSAML";
const ROLE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
const SESSION_NAME: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
const SESSION_DURATION: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
const SOURCE_IDENTITY: &str = "https://aws.amazon.com/SAML/Attributes/SourceIdentity";
const PRINCIPAL_TAG: &str = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:";
const TRANSITIVE_KEYS: &str = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys";
const NAME_ID_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:";
const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

/// The attributes AWS offers as `saml:` condition keys, by their SAML names.
const ATTRIBUTE_KEYS: &[(&str, &str)] = &[
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "edupersonaffiliation"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "edupersonnickname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "edupersonorgdn"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.4", "edupersonorgunitdn"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.5",
        "edupersonprimaryaffiliation",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "edupersonprincipalname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.7", "edupersonentitlement"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.8",
        "edupersonprimaryorgunitdn",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
        "edupersonscopedaffiliation",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.10", "edupersontargetedid"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.11", "edupersonassurance"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.2", "eduorghomepageuri"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.3",
        "eduorgidentityauthnpolicyuri",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.4", "eduorglegalname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.5", "eduorgsuperioruri"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.6", "eduorgwhitepagesuri"),
    ("urn:oid:2.5.4.3", "cn"),
    ("urn:oid:2.5.4.3", "commonName"),
    ("urn:oid:2.5.4.4", "surname"),
    ("urn:oid:2.5.4.42", "givenName"),
    ("urn:oid:2.5.4.45", "x500UniqueIdentifier"),
    ("urn:oid:0.9.2342.19200300.100.1.1", "uid"),
    ("urn:oid:0.9.2342.19200300.100.1.3", "mail"),
    ("urn:oid:0.9.2342.19200300.100.1.45", "organizationStatus"),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "name",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/CommonName",
        "commonName",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "givenName",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "surname",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "mail",
    ),
    (
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid",
        "uid",
    ),
];

/// The ARN of provider `name`.
pub fn provider_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:saml-provider/{name}")
}

/// AWS's rule for provider names: 1 to 128 of `[\w._-]`.
fn checked_name(name: &str) -> Result<&str, ServiceError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > 128
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(ServiceError::invalid(
            "name",
            "A SAML provider name has 1 to 128 letters, digits, periods, underscores and hyphens.",
        ));
    }
    Ok(name)
}

/// Reads a metadata document as AWS does, with its size limits.
fn checked_metadata(document: &str) -> Result<Metadata, ServiceError> {
    let chars = document.chars().count();
    if !(saml::MIN_METADATA_CHARS..=saml::MAX_METADATA_CHARS).contains(&chars) {
        return Err(ServiceError::invalid(
            "metadata",
            format!(
                "A SAML metadata document has {} to {} characters; this one has {chars}.",
                saml::MIN_METADATA_CHARS,
                saml::MAX_METADATA_CHARS
            ),
        ));
    }
    saml::read_metadata(document).map_err(|e| ServiceError::invalid("metadata", e.to_string()))
}

fn no_provider(arn: &str) -> ServiceError {
    ServiceError::NotFound {
        field: None,
        message: format!("Manifest not found for arn {arn}"),
    }
}

fn refused(kind: TokenRefusal, message: impl Into<String>) -> ServiceError {
    ServiceError::IdentityToken {
        kind,
        message: message.into(),
    }
}

/// `saml:sub_type`: AWS drops SAML 2.0's name-id-format prefix and keeps any other.
pub fn subject_type(format: Option<&str>) -> String {
    let format = format.unwrap_or(UNSPECIFIED);
    format
        .strip_prefix(NAME_ID_FORMAT)
        .unwrap_or(format)
        .to_string()
}

/// `saml:namequalifier`: base64 of SHA-1 over issuer, account and `/NAME`, as AWS
/// computes it (an id for the user that other accounts' providers cannot collide with).
pub fn name_qualifier(issuer: &str, account: &str, provider_name: &str) -> String {
    let digest = sha1::Sha1::digest(format!("{issuer}{account}/{provider_name}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// AWS's session name and source identity rule.
fn session_name_ok(name: &str) -> bool {
    (2..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// An `sts:AssumeRoleWithSAML` request.
#[derive(Debug, Clone, Default)]
pub struct SamlInput {
    pub role_arn: String,
    pub principal_arn: String,
    pub assertion: String,
    pub duration_seconds: Option<i64>,
    pub session_policy: Option<String>,
    pub session_policy_arns: Vec<String>,
}

/// The answer: the role session, and what the assertion said.
#[derive(Debug, Clone)]
pub struct SamlSession {
    pub role: AssumedRole,
    pub subject: String,
    pub subject_type: String,
    pub issuer: String,
    /// The `Recipient` (AWS's `Audience` answer).
    pub audience: String,
    pub name_qualifier: String,
}

/// The session tags, transitive keys and source identity the assertion asks for.
fn session_attributes(assertion: &Assertion) -> Result<SessionAttributes, ServiceError> {
    let invalid = |m: &str| refused(TokenRefusal::Invalid, m);
    let mut tags: Vec<(String, String)> = Vec::new();
    for (name, values) in &assertion.attributes {
        if let Some(key) = name.strip_prefix(PRINCIPAL_TAG) {
            let value = values.first().cloned().unwrap_or_default();
            tags.push((key.to_string(), value));
        }
    }
    model::tags::check_all(&tags).map_err(|e| invalid(&format!("PrincipalTag: {e}")))?;
    let transitive_keys: Vec<String> = assertion
        .attribute(TRANSITIVE_KEYS)
        .map(<[String]>::to_vec)
        .unwrap_or_default();
    if let Some(key) = transitive_keys
        .iter()
        .find(|k| !tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)))
    {
        return Err(invalid(&format!(
            "TransitiveTagKeys names {key}, which is not a PrincipalTag of the assertion"
        )));
    }
    let source_identity =
        match assertion.attribute(SOURCE_IDENTITY) {
            Some([one]) if session_name_ok(one) && !one.starts_with("aws:") => Some(one.clone()),
            Some(_) => return Err(invalid(
                "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"",
            )),
            None => None,
        };
    Ok(SessionAttributes {
        tags: tags.into_iter().collect(),
        transitive_keys,
        source_identity,
    })
}

impl Service {
    /// Finds the provider `arn` and authorizes `action` on it (with its tags), or on
    /// the ARN as given when there is none, so a refusal looks the same either way.
    pub(crate) async fn saml_provider_for(
        &self,
        caller: &Caller,
        action: &'static str,
        arn: &str,
        extra: Extra,
    ) -> Result<(SamlProvider, Permit), ServiceError> {
        let found = self.store.saml_provider(arn).await?;
        self.authorize_found(caller, action, arn, extra, found, || no_provider(arn))
            .await
    }

    /// `iam:CreateSAMLProvider` (tags need `iam:TagSAMLProvider`).
    pub async fn create_saml_provider(
        &self,
        caller: &Caller,
        name: &str,
        document: &str,
        tags: &[(String, String)],
    ) -> Result<SamlProvider, ServiceError> {
        let name = checked_name(name)?;
        let metadata = checked_metadata(document)?;
        model::tags::check_all(tags)?;
        let tags: BTreeMap<String, String> = tags.iter().cloned().collect();
        let arn = provider_arn(&caller.account_id, name);
        let extra = Extra::new().with_request_tags(&tags);
        let permit = self
            .authorize_with(caller, "iam:CreateSAMLProvider", &arn, &extra)
            .await?;
        if !tags.is_empty() {
            self.authorize_with(caller, "iam:TagSAMLProvider", &arn, &extra)
                .await?;
        }
        self.store
            .create_saml_provider(
                &arn,
                name,
                &SamlMetadata {
                    document,
                    entity_id: &metadata.entity_id,
                    valid_until: metadata.valid_until,
                },
                &tags,
                &permit.audit(caller, format!("provider for {}", metadata.entity_id)),
            )
            .await
            .map_err(|e| match e {
                SamlCreateError::Quota => ServiceError::LimitExceeded {
                    field: "name",
                    message: e.to_string(),
                },
                SamlCreateError::Store(store::StoreError::Duplicate { .. }) => {
                    ServiceError::AlreadyExists {
                        field: "name",
                        message: format!("SAMLProvider {name} already exists."),
                    }
                }
                SamlCreateError::Store(other) => other.into(),
            })
    }

    /// `iam:GetSAMLProvider`.
    pub async fn saml_provider(
        &self,
        caller: &Caller,
        arn: &str,
    ) -> Result<SamlProvider, ServiceError> {
        Ok(self
            .saml_provider_for(caller, "iam:GetSAMLProvider", arn, Extra::new())
            .await?
            .0)
    }

    /// `iam:ListSAMLProviders` (an account-wide action, as in AWS).
    pub async fn saml_providers(&self, caller: &Caller) -> Result<Vec<SamlProvider>, ServiceError> {
        self.authorize(caller, "iam:ListSAMLProviders", "*").await?;
        Ok(self.store.saml_providers().await?)
    }

    /// `iam:UpdateSAMLProvider`: new metadata (a rotated certificate); responses
    /// are checked against it from the next request on.
    pub async fn update_saml_provider(
        &self,
        caller: &Caller,
        arn: &str,
        document: &str,
    ) -> Result<(), ServiceError> {
        let metadata = checked_metadata(document)?;
        let (provider, permit) = self
            .saml_provider_for(caller, "iam:UpdateSAMLProvider", arn, Extra::new())
            .await?;
        self.store
            .update_saml_provider(
                &provider.arn,
                &SamlMetadata {
                    document,
                    entity_id: &metadata.entity_id,
                    valid_until: metadata.valid_until,
                },
                &permit.audit(
                    caller,
                    format!("metadata replaced ({})", metadata.entity_id),
                ),
            )
            .await?;
        Ok(())
    }

    /// `iam:DeleteSAMLProvider`: its responses are refused from now.
    pub async fn delete_saml_provider(
        &self,
        caller: &Caller,
        arn: &str,
    ) -> Result<(), ServiceError> {
        let (provider, permit) = self
            .saml_provider_for(caller, "iam:DeleteSAMLProvider", arn, Extra::new())
            .await?;
        self.store
            .delete_saml_provider(&provider.arn, &permit.audit(caller, "provider deleted"))
            .await?;
        Ok(())
    }

    /// `sts:AssumeRoleWithSAML`. Every refusal is audited with its reason; the
    /// caller learns AWS's text.
    pub async fn assume_role_with_saml(
        &self,
        facts: &RequestFacts,
        input: &SamlInput,
    ) -> Result<SamlSession, ServiceError> {
        let result = self.saml_session(facts, input).await;
        if let Err((actor, e)) = &result {
            let entry = AuditEntry {
                at: self.clock.now(),
                actor: actor.clone(),
                action: ACTION,
                target: input.role_arn.clone(),
                source_ip: facts.ip_text(),
                outcome: Outcome::Denied,
                detail: e.detail(),
            };
            self.store.audit(&entry).await?;
        }
        result.map_err(|(_, e)| e.error)
    }

    async fn saml_session(
        &self,
        facts: &RequestFacts,
        input: &SamlInput,
    ) -> Result<SamlSession, (String, Refusal)> {
        let now = self.clock.now();
        let anonymous = || "anonymous".to_string();
        let account = self
            .store
            .account_id()
            .await
            .map_err(|e| (anonymous(), Refusal::plain(e.into())))?
            .unwrap_or_default();
        let provider_name = input
            .principal_arn
            .strip_prefix(&format!("arn:aws:iam::{account}:saml-provider/"))
            .unwrap_or_default()
            .to_string();
        let provider = match self.store.saml_provider(&input.principal_arn).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                return Err((
                    anonymous(),
                    Refusal::plain(refused(
                        TokenRefusal::Invalid,
                        "Specified provider doesn't exist.",
                    )),
                ))
            }
            Err(e) => return Err((anonymous(), Refusal::plain(e.into()))),
        };
        let unverified = format!("unverified SAML response for {}", provider.arn);
        let metadata = saml::read_metadata(&provider.metadata).map_err(|e| {
            (
                unverified.clone(),
                Refusal::plain(refused(TokenRefusal::Invalid, e.to_string())),
            )
        })?;
        let assertion = saml::read_response(&input.assertion, &metadata, now).map_err(|e| {
            let kind = match e {
                saml::SamlError::Expired(_) | saml::SamlError::Stale(_) => TokenRefusal::Expired,
                _ => TokenRefusal::Invalid,
            };
            (
                unverified.clone(),
                Refusal {
                    error: refused(kind, e.aws_message()),
                    detail: e.to_string(),
                },
            )
        })?;
        let actor = format!(
            "SAML user {} from {}",
            assertion.subject.chars().take(128).collect::<String>(),
            provider.arn
        );
        let fail = |error: ServiceError| (actor.clone(), Refusal::plain(error));

        // The assertion must offer this role through this provider.
        let offered = assertion
            .attribute(ROLE)
            .unwrap_or_default()
            .iter()
            .any(|pair| {
                let mut arns: Vec<&str> = pair.split(',').map(str::trim).collect();
                arns.sort_unstable();
                let mut asked = [input.role_arn.as_str(), input.principal_arn.as_str()];
                asked.sort_unstable();
                arns == asked
            });
        if !offered {
            return Err(fail(ServiceError::Refused(format!(
                "Not authorized to perform {ACTION}"
            ))));
        }
        let session_name = match assertion.attribute(SESSION_NAME) {
            Some([one]) if session_name_ok(one) => one.clone(),
            Some(_) => {
                return Err(fail(refused(
                    TokenRefusal::Invalid,
                    "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
                )))
            }
            None => {
                return Err(fail(refused(
                    TokenRefusal::Invalid,
                    "RoleSessionName is required in AuthnResponse",
                )))
            }
        };
        let mut token_max = match assertion.attribute(SESSION_DURATION) {
            Some([one]) => match one.parse::<i64>() {
                Ok(seconds) if (900..=43_200).contains(&seconds) => Some(seconds),
                _ => {
                    return Err(fail(refused(
                        TokenRefusal::Invalid,
                        "SessionDuration in AuthnResponse must be a number of seconds from 900 to 43200",
                    )))
                }
            },
            Some(_) => {
                return Err(fail(refused(
                    TokenRefusal::Invalid,
                    "SessionDuration in AuthnResponse must have one value",
                )))
            }
            None => None,
        };
        if let Some(until) = assertion.session_not_on_or_after {
            let left = (until - now).whole_seconds();
            if left <= 0 {
                return Err(fail(refused(TokenRefusal::Expired, "Response has expired")));
            }
            token_max = Some(token_max.map_or(left, |max| max.min(left)));
        }
        let attributes = session_attributes(&assertion).map_err(fail)?;

        let sub_type = subject_type(assertion.subject_format.as_deref());
        let qualifier = name_qualifier(&assertion.issuer, &account, &provider_name);
        let mut claims: Vec<(String, ContextValue)> = vec![
            (
                "saml:aud".into(),
                ContextValue::Single(assertion.recipient.clone()),
            ),
            (
                "saml:iss".into(),
                ContextValue::Single(assertion.issuer.clone()),
            ),
            (
                "saml:sub".into(),
                ContextValue::Single(assertion.subject.clone()),
            ),
            (
                "saml:sub_type".into(),
                ContextValue::Single(sub_type.clone()),
            ),
            (
                "saml:doc".into(),
                ContextValue::Single(format!("{account}/{provider_name}")),
            ),
            (
                "saml:namequalifier".into(),
                ContextValue::Single(qualifier.clone()),
            ),
        ];
        for (name, key) in ATTRIBUTE_KEYS {
            if let Some(values) = assertion.attribute(name) {
                claims.push((format!("saml:{key}"), ContextValue::Multi(values.to_vec())));
            }
        }
        let role = self
            .federated_session(
                facts,
                Federation {
                    action: ACTION,
                    kind: PrincipalKind::SamlUser,
                    provider_arn: &provider.arn,
                    role_arn: &input.role_arn,
                    session_name: &session_name,
                    claims,
                    attributes,
                    duration_seconds: input.duration_seconds,
                    token_max_seconds: token_max,
                    session_policy: input.session_policy.as_ref(),
                    session_policy_arns: &input.session_policy_arns,
                    actor: actor.clone(),
                    once: Some((assertion.id.clone(), assertion.expires)),
                },
            )
            .await
            .map_err(fail)?;
        Ok(SamlSession {
            role,
            subject: assertion.subject,
            subject_type: sub_type,
            issuer: assertion.issuer,
            audience: assertion.recipient,
            name_qualifier: qualifier,
        })
    }
}

/// A refusal: the error the caller gets, and the detail the audit log keeps (AWS's
/// texts are terse on purpose; an administrator reading the log needs the reason).
struct Refusal {
    error: ServiceError,
    detail: String,
}

impl Refusal {
    fn plain(error: ServiceError) -> Refusal {
        Refusal {
            detail: error.to_string(),
            error,
        }
    }

    fn detail(&self) -> String {
        self.detail.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_types_and_name_qualifiers_as_aws_derives_them() {
        assert_eq!(
            subject_type(Some("urn:oasis:names:tc:SAML:2.0:nameid-format:transient")),
            "transient"
        );
        assert_eq!(
            subject_type(Some(
                "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
            )),
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
        );
        assert_eq!(subject_type(None), UNSPECIFIED);
        // SHA-1 of the three parts together, base64 (28 characters).
        let q = name_qualifier("https://idp.example.com", "123456789012", "Corp");
        assert_eq!(q.len(), 28);
        assert_ne!(
            q,
            name_qualifier("https://idp.example.com", "123456789012", "Other")
        );
        assert!(checked_name("Corp_IdP-1.test").is_ok());
        for bad in ["", "has space", "a/b", "é", &"a".repeat(129)] {
            assert!(checked_name(bad).is_err(), "{bad}");
        }
        assert!(session_name_ok("alice@example.com"));
        assert!(!session_name_ok("a"));
        assert!(!session_name_ok("alice smith"));
    }
}
