//! `sts:AssumeRoleWithWebIdentity`: a workload trades an ID token from a registered
//! OpenID Connect provider for a role's temporary credentials. The request is not
//! signed (the token is the proof), so every check is here: the issuer is a
//! registered provider, the audience one of its client ids, the token unexpired and
//! signed by a key the provider publishes, and the role's trust policy names the
//! provider, with the token's claims as condition keys (`ISSUER:sub`, `ISSUER:aud`).
//! The role session itself is issued as for SAML (`crate::federation`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use identity::jwt::{self, JwtError};
use policy::{ContextValue, PrincipalKind};
use store::{AuditEntry, Outcome};

use crate::caller::RequestFacts;
use crate::federation::Federation;
use crate::sts::AssumedRole;
use crate::{Service, ServiceError};

/// How long a provider's keys are trusted before they are fetched again; a token
/// naming a key not among them refetches sooner (keys rotate).
const KEYS_FRESH: Duration = Duration::from_secs(300);
const KEYS_RETRY: Duration = Duration::from_secs(10);
/// The largest discovery or JWKS document read.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Why a token was refused, as AWS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// `InvalidIdentityToken`.
    Invalid,
    /// `ExpiredTokenException`.
    Expired,
    /// `IDPCommunicationError`: the provider's keys could not be read.
    Unreachable,
}

/// A claim as the audit log keeps it: at most 128 characters (a token may carry
/// 20,000).
fn clip(text: &str) -> String {
    text.chars().take(128).collect()
}

fn refused(kind: TokenRefusal, message: impl Into<String>) -> ServiceError {
    ServiceError::IdentityToken {
        kind,
        message: message.into(),
    }
}

/// An `sts:AssumeRoleWithWebIdentity` request.
#[derive(Debug, Clone, Default)]
pub struct WebIdentityInput {
    pub role_arn: String,
    pub session_name: String,
    pub token: String,
    pub duration_seconds: Option<i64>,
    pub session_policy: Option<String>,
    pub session_policy_arns: Vec<String>,
}

/// The answer: the role session, and what the token said.
#[derive(Debug, Clone)]
pub struct WebIdentitySession {
    pub role: AssumedRole,
    pub subject: String,
    pub audience: String,
    pub provider: String,
}

/// Providers' published keys, by issuer URL, shared by every request of this process.
#[derive(Clone, Default)]
pub struct KeyCache(Arc<Mutex<HashMap<String, (Instant, serde_json::Value)>>>);

impl KeyCache {
    fn get(&self, url: &str) -> Option<(Instant, serde_json::Value)> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(url).cloned()
    }

    fn put(&self, url: &str, keys: serde_json::Value) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(url.to_string(), (Instant::now(), keys));
    }
}

/// A JSON document from the provider, read up to a bound.
async fn fetch_json(client: &reqwest::Client, url: &str) -> Result<serde_json::Value, String> {
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("{url}: {e}"))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(format!("{url} sent more than {MAX_DOCUMENT_BYTES} bytes"));
        }
    }
    serde_json::from_slice(&body).map_err(|_| format!("{url} did not send JSON"))
}

/// The provider's keys: its discovery document names the JWKS, which must be
/// served over TLS like the issuer (plain HTTP only on this machine, as for the URL),
/// verified by the system's roots or else by the provider's thumbprints.
async fn fetch_keys(issuer: &str, thumbprints: &[String]) -> Result<serde_json::Value, String> {
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(crate::provider_tls::client_config(thumbprints)?)
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let discovery = fetch_json(
        &client,
        &format!("{issuer}/.well-known/openid-configuration"),
    )
    .await?;
    let jwks_uri = discovery
        .get("jwks_uri")
        .and_then(serde_json::Value::as_str)
        .ok_or("the discovery document names no jwks_uri")?;
    crate::oidc::checked_url(jwks_uri).map_err(|e| format!("jwks_uri {jwks_uri}: {e}"))?;
    fetch_json(&client, jwks_uri).await
}

impl Service {
    /// Checks the token's signature with the provider's keys, fetching them when
    /// they are not known or a token names a key they lack.
    async fn verify_signature(
        &self,
        issuer: &str,
        thumbprints: &[String],
        token: &jwt::UnverifiedToken,
    ) -> Result<(), ServiceError> {
        let cached = self.web_keys.get(issuer);
        if let Some((at, keys)) = &cached {
            match token.verify(keys) {
                Ok(()) if at.elapsed() < KEYS_FRESH => return Ok(()),
                Err(JwtError::BadSignature) => {
                    return Err(refused(
                        TokenRefusal::Invalid,
                        JwtError::BadSignature.to_string(),
                    ))
                }
                Err(_) if at.elapsed() < KEYS_RETRY => {
                    return Err(refused(
                        TokenRefusal::Invalid,
                        JwtError::UnknownKey.to_string(),
                    ))
                }
                _ => {}
            }
        }
        let keys = fetch_keys(issuer, thumbprints).await.map_err(|detail| {
            tracing::warn!("keys of OpenID Connect provider {issuer}: {detail}");
            refused(
                TokenRefusal::Unreachable,
                "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
            )
        })?;
        self.web_keys.put(issuer, keys.clone());
        token
            .verify(&keys)
            .map_err(|e| refused(TokenRefusal::Invalid, e.to_string()))
    }

    /// `sts:AssumeRoleWithWebIdentity`. Every refusal is audited with its reason;
    /// the caller learns AWS's text, which does not say whether a role exists.
    pub async fn assume_role_with_web_identity(
        &self,
        facts: &RequestFacts,
        input: &WebIdentityInput,
    ) -> Result<WebIdentitySession, ServiceError> {
        const ACTION: &str = "sts:AssumeRoleWithWebIdentity";
        let now = self.clock.now();
        let audit = |actor: &str, outcome: Outcome, detail: String| AuditEntry {
            at: now,
            actor: actor.to_string(),
            action: ACTION,
            target: input.role_arn.clone(),
            source_ip: facts.ip_text(),
            outcome,
            detail,
        };
        let token = match jwt::read(&input.token) {
            Ok(token) => token,
            Err(e) => {
                self.audit_later(audit("anonymous", Outcome::Denied, e.to_string()))
                    .await?;
                return Err(refused(TokenRefusal::Invalid, e.to_string()));
            }
        };
        // The claims of a refused token are what it claimed, not who sent it.
        let actor = format!(
            "unverified token claiming {} from {}",
            clip(&token.claims.subject),
            clip(&token.claims.issuer)
        );
        let result = self.web_identity_session(facts, input, &token, now).await;
        // A success is recorded with the credentials it issued, in their transaction.
        if let Err(e) = &result {
            self.store
                .audit(&audit(&actor, Outcome::Denied, e.to_string()))
                .await?;
        }
        result
    }

    async fn web_identity_session(
        &self,
        facts: &RequestFacts,
        input: &WebIdentityInput,
        token: &jwt::UnverifiedToken,
        now: time::OffsetDateTime,
    ) -> Result<WebIdentitySession, ServiceError> {
        const ACTION: &str = "sts:AssumeRoleWithWebIdentity";
        let claims = &token.claims;
        let account = self.store.account_id().await?.unwrap_or_default();
        let issuer = claims.issuer.trim_end_matches('/');
        let provider_arn = crate::oidc::provider_arn(&account, issuer);
        let provider = self
            .store
            .oidc_provider(&provider_arn)
            .await?
            .filter(|p| p.url == issuer)
            .ok_or_else(|| {
                refused(
                    TokenRefusal::Invalid,
                    format!("No OpenIDConnect provider found in your account for {issuer}"),
                )
            })?;
        let audience = claims
            .audiences
            .iter()
            .find(|aud| provider.client_ids.contains(aud))
            .cloned()
            .ok_or_else(|| refused(TokenRefusal::Invalid, "Incorrect token audience"))?;
        let unix = now.unix_timestamp();
        if claims.expires <= unix {
            return Err(refused(
                TokenRefusal::Expired,
                format!(
                    "Token expired: current date/time {} must be before the expiration date/time {}",
                    crate::format::date(now),
                    time::OffsetDateTime::from_unix_timestamp(claims.expires)
                        .map(crate::format::date)
                        .unwrap_or_default()
                ),
            ));
        }
        if claims.not_before.is_some_and(|nbf| nbf > unix + 300) {
            return Err(refused(
                TokenRefusal::Invalid,
                "The token is not valid yet (nbf is in the future).",
            ));
        }
        self.verify_signature(&provider.url, &provider.thumbprints, token)
            .await?;

        let key = provider_arn
            .split_once(":oidc-provider/")
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default();
        let mut context = vec![
            (format!("{key}:aud"), ContextValue::Single(audience.clone())),
            (
                format!("{key}:sub"),
                ContextValue::Single(claims.subject.clone()),
            ),
            (
                format!("{key}:oaud"),
                ContextValue::Multi(claims.audiences.clone()),
            ),
        ];
        if let Some(amr) = claims.all.get("amr") {
            let values: Vec<String> = match amr {
                serde_json::Value::Array(list) => list
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                serde_json::Value::String(one) => vec![one.clone()],
                _ => Vec::new(),
            };
            context.push((format!("{key}:amr"), ContextValue::Multi(values)));
        }
        let role = self
            .federated_session(
                facts,
                Federation {
                    action: ACTION,
                    kind: PrincipalKind::WebIdentity,
                    provider_arn: &provider_arn,
                    role_arn: &input.role_arn,
                    session_name: &input.session_name,
                    claims: context,
                    attributes: Default::default(),
                    duration_seconds: input.duration_seconds,
                    token_max_seconds: None,
                    once: None,
                    session_policy: input.session_policy.as_ref(),
                    session_policy_arns: &input.session_policy_arns,
                    actor: format!(
                        "web identity {} from {}",
                        clip(&claims.subject),
                        provider.url
                    ),
                },
            )
            .await?;
        Ok(WebIdentitySession {
            role,
            subject: claims.subject.clone(),
            audience,
            provider: provider_arn,
        })
    }
}
