//! Who signed an API request: the access key a SigV4 signature claims, checked
//! against the service's clock (AWS's 15-minute skew, a presigned URL's expiry) and
//! the key's sealed secret. The answer is a [`Caller`] like the console's, so every
//! operation after this point is the same for both doors.

use identity::sigv4::{self, Claim, HttpRequest, SignatureError};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use subtle::ConstantTimeEq;

use crate::caller::{Caller, RequestFacts, RoleSession};
use crate::{Service, ServiceError};

/// AWS's allowance between the client's clock and ours.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// Why a request is not authenticated, as AWS's error codes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SignatureFailure {
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,
    #[error("{0}")]
    IncompleteSignature(String),
    /// An unknown or inactive access key.
    #[error("The security token included in the request is invalid.")]
    InvalidClientTokenId,
    #[error("{0}")]
    SignatureDoesNotMatch(String),
    #[error("The security token included in the request is expired")]
    ExpiredToken,
    /// The service cannot check right now (database); not the client's fault.
    #[error("{0}")]
    Service(ServiceError),
}

impl SignatureFailure {
    /// AWS's error code.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureFailure::MissingAuthenticationToken => "MissingAuthenticationToken",
            SignatureFailure::IncompleteSignature(_) => "IncompleteSignature",
            SignatureFailure::InvalidClientTokenId => "InvalidClientTokenId",
            SignatureFailure::SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
            SignatureFailure::ExpiredToken => "ExpiredToken",
            SignatureFailure::Service(_) => "ServiceFailure",
        }
    }
}

impl From<SignatureError> for SignatureFailure {
    fn from(e: SignatureError) -> Self {
        match e {
            SignatureError::Missing => SignatureFailure::MissingAuthenticationToken,
            SignatureError::Incomplete(message) => SignatureFailure::IncompleteSignature(message),
        }
    }
}

impl From<ServiceError> for SignatureFailure {
    fn from(e: ServiceError) -> Self {
        SignatureFailure::Service(e)
    }
}

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Whether `region` could name a region (`us-east-1`, `aws-global`): lower-case
/// letters, digits and dashes.
fn plausible_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The clock check of AWS, with AWS's messages.
fn check_time(claim: &Claim, now: i64) -> Result<(), SignatureFailure> {
    let stamp = |s: i64| sigv4::format_amz_date(s);
    if let Some(expires) = claim.expires {
        if now > claim.timestamp + expires {
            return Err(SignatureFailure::SignatureDoesNotMatch(format!(
                "Signature expired: {} is now earlier than {} ({} - {expires} sec.)",
                stamp(claim.timestamp + expires),
                stamp(now),
                stamp(now)
            )));
        }
    } else if claim.timestamp < now - MAX_SKEW_SECONDS {
        return Err(SignatureFailure::SignatureDoesNotMatch(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            claim.amz_date,
            stamp(now - MAX_SKEW_SECONDS),
            stamp(now)
        )));
    }
    if claim.timestamp > now + MAX_SKEW_SECONDS {
        return Err(SignatureFailure::SignatureDoesNotMatch(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            claim.amz_date,
            stamp(now + MAX_SKEW_SECONDS),
            stamp(now)
        )));
    }
    Ok(())
}

/// What an access key id names: a long-term key and its user, or temporary
/// credentials with their user and the role session they act in.
pub(crate) enum Signer {
    LongTerm {
        key: store::AccessKey,
        user: store::User,
    },
    Temporary {
        credential: Box<store::TemporaryCredential>,
        user: store::User,
        role: Option<store::roles::RoleSessionRecord>,
        /// The credentials' session policies, compiled once.
        session: Option<Arc<policy::PolicySet>>,
    },
}

/// Session policy documents as one layer: the session may do what any of them allows.
fn session_set(documents: &[String], always: bool) -> Option<Arc<policy::PolicySet>> {
    if documents.is_empty() && !always {
        return None;
    }
    let mut set = policy::PolicySet::new();
    for (n, text) in documents.iter().enumerate() {
        match policy::PolicyDocument::parse_stored(text, policy::PolicyKind::Session) {
            Ok(document) => set.add(&format!("session policy {}", n + 1), &document),
            Err(e) => tracing::error!("a stored session policy no longer parses: {e}"),
        }
    }
    // A stored policy that no longer parses still limits the session: an empty layer
    // allows nothing, never everything.
    Some(Arc::new(set))
}

/// How long a billing group's budget state is reused: it changes when budgets are
/// evaluated (every few minutes), which announces nothing.
const BUDGET_SECONDS: u64 = 5;

#[derive(Default)]
struct SignerState {
    generation: u64,
    signers: HashMap<String, Arc<Signer>>,
    budgets: HashMap<String, (Instant, Option<(String, String)>)>,
}

/// Signers by access key id, so a signed request costs no database read: emptied on
/// every change announcement (a key made inactive or deleted, a user deleted, a
/// role's sessions revoked), kept only while this process hears them, with the same
/// generation guard as the policy cache.
#[derive(Clone, Default)]
pub struct SignerCache(Arc<Mutex<SignerState>>);

impl SignerCache {
    pub fn invalidate(&self) {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        state.generation += 1;
        state.signers.clear();
        state.budgets.clear();
    }

    fn get(&self, listening: bool, id: &str) -> Result<Arc<Signer>, u64> {
        let state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match state.signers.get(id) {
            Some(signer) if listening => Ok(signer.clone()),
            _ => Err(state.generation),
        }
    }

    fn offer(&self, listening: bool, generation: u64, id: &str, signer: &Arc<Signer>) {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if listening && state.generation == generation {
            state.signers.insert(id.to_string(), signer.clone());
        }
    }

    fn budget(&self, listening: bool, user_id: &str) -> Result<Option<(String, String)>, u64> {
        let state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match state.budgets.get(user_id) {
            Some((at, value)) if listening && at.elapsed().as_secs() < BUDGET_SECONDS => {
                Ok(value.clone())
            }
            _ => Err(state.generation),
        }
    }

    fn offer_budget(
        &self,
        listening: bool,
        generation: u64,
        user_id: &str,
        value: &Option<(String, String)>,
    ) {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if listening && state.generation == generation {
            state
                .budgets
                .insert(user_id.to_string(), (Instant::now(), value.clone()));
        }
    }
}

impl Service {
    /// Authenticates a signed API request: the scope's region, AWS's clock window,
    /// the key (long-term or temporary with its session token) and the signature.
    pub async fn authenticate_signed(
        &self,
        request: &HttpRequest<'_>,
        facts: RequestFacts,
    ) -> Result<(Caller, Claim), SignatureFailure> {
        let claim = sigv4::read(request)?;
        if !plausible_region(&claim.region) {
            return Err(SignatureFailure::SignatureDoesNotMatch(format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                claim.region
            )));
        }
        let now = self.clock.now();
        check_time(&claim, now.unix_timestamp())?;
        let signer = self
            .signer(&claim.access_key_id)
            .await?
            .ok_or(SignatureFailure::InvalidClientTokenId)?;
        let caller = match &*signer {
            Signer::LongTerm { key, user } => {
                if !key.active {
                    return Err(SignatureFailure::InvalidClientTokenId);
                }
                if claim
                    .security_token
                    .as_deref()
                    .is_some_and(|t| !t.is_empty())
                {
                    // A long-term key with a session token: AWS refuses the token.
                    return Err(SignatureFailure::InvalidClientTokenId);
                }
                let secret = self.open_key_secret(key)?;
                if !claim.verify(&secret) {
                    return Err(SignatureFailure::SignatureDoesNotMatch(MISMATCH.into()));
                }
                self.key_uses
                    .record(&key.id, now, &claim.service, &claim.region);
                self.signed_caller(&claim, user.clone(), None, facts, now, None, None)
                    .await?
            }
            Signer::Temporary {
                credential,
                user,
                role,
                session,
            } => {
                // The session token must be the one issued with the key (compared as
                // hashes, in constant time).
                let token = claim.security_token.as_deref().unwrap_or_default();
                let presented = crate::sts::token_hash(token);
                if token.is_empty() || !bool::from(presented.ct_eq(&credential.token_hash)) {
                    return Err(SignatureFailure::InvalidClientTokenId);
                }
                let secret = self.open_sealed(
                    &credential.secret_key_id,
                    &credential.secret_nonce,
                    &credential.secret_ciphertext,
                )?;
                if !claim.verify(&secret) {
                    return Err(SignatureFailure::SignatureDoesNotMatch(MISMATCH.into()));
                }
                if credential.expires_at <= now {
                    return Err(SignatureFailure::ExpiredToken);
                }
                let role = match role {
                    None => None,
                    Some(record) if record.ended => {
                        return Err(SignatureFailure::Service(ServiceError::Refused(format!(
                            "The session {} of role {} was revoked; assume the role again.",
                            record.session_name, record.role_name
                        ))));
                    }
                    Some(record) => Some(RoleSession::from(record.clone())),
                };
                let issued = Issued {
                    at: credential.issued_at.unix_timestamp(),
                    mfa_at: credential.mfa_at.map(|t| t.unix_timestamp()),
                    federated: credential.federated_name.clone().map(|name| {
                        crate::caller::FederatedUser {
                            name,
                            tags: credential.session_tags.clone(),
                        }
                    }),
                };
                self.signed_caller(
                    &claim,
                    user.clone(),
                    role,
                    facts,
                    now,
                    Some(issued),
                    session.clone(),
                )
                .await?
            }
        };
        Ok((caller, claim))
    }

    /// The signer of an access key id, from the cache or the database.
    async fn signer(&self, id: &str) -> Result<Option<Arc<Signer>>, ServiceError> {
        let listening = self.store.is_listening();
        let generation = match self.signers.get(listening, id) {
            Ok(signer) => return Ok(Some(signer)),
            Err(generation) => generation,
        };
        let signer = if let Some(key) = self.store.access_key(id).await? {
            match self.store.user_by_id(&key.user_id).await? {
                Some(user) => Signer::LongTerm { key, user },
                None => return Ok(None),
            }
        } else if let Some(credential) = self.store.temporary_credential(id).await? {
            let Some(user) = self.store.user_by_id(&credential.user_id).await? else {
                return Ok(None);
            };
            let role = match &credential.role_session_id {
                Some(session) => match self.store.role_session(session).await? {
                    Some(record) => Some(record),
                    None => return Ok(None),
                },
                None => None,
            };
            // A federated user without session policies may do nothing, as in AWS.
            let session = session_set(
                &credential.session_policies,
                credential.federated_name.is_some(),
            );
            Signer::Temporary {
                credential: Box::new(credential),
                user,
                role,
                session,
            }
        } else {
            return Ok(None);
        };
        let signer = Arc::new(signer);
        self.signers.offer(listening, generation, id, &signer);
        Ok(Some(signer))
    }

    /// The caller of a verified request; `issued` and `session` for temporary
    /// credentials.
    #[allow(clippy::too_many_arguments)]
    async fn signed_caller(
        &self,
        claim: &Claim,
        user: store::User,
        role: Option<RoleSession>,
        facts: RequestFacts,
        now: time::OffsetDateTime,
        issued: Option<Issued>,
        session: Option<Arc<policy::PolicySet>>,
    ) -> Result<Caller, SignatureFailure> {
        let account_id = self
            .store
            .account_id()
            .await
            .map_err(ServiceError::from)?
            .unwrap_or_default();
        let listening = self.store.is_listening();
        // A role session of root is a federated identity's (root cannot assume
        // roles): it belongs to no billing group, so it carries no budget keys.
        let federated_identity = user.is_root && role.is_some();
        let budget = match self.signers.budget(listening, &user.id) {
            _ if federated_identity => None,
            Ok(value) => value,
            Err(generation) => {
                let value = crate::budgets::budget_context(self, &user.id).await?;
                self.signers
                    .offer_budget(listening, generation, &user.id, &value);
                value
            }
        };
        let mfa_at = issued.as_ref().and_then(|i| i.mfa_at);
        Ok(Caller {
            budget,
            user,
            role,
            federated: issued.as_ref().and_then(|i| i.federated.clone()),
            account_id,
            mfa: mfa_at.is_some(),
            authenticated_at: mfa_at.unwrap_or(now.unix_timestamp()),
            token_issued_at: issued.as_ref().map(|i| i.at),
            session_policy: session,
            region: claim.region.clone(),
            facts,
            now,
        })
    }
}

/// When temporary credentials were issued, when MFA was proven for them, and the
/// federated user they act as.
#[derive(Debug, Clone)]
struct Issued {
    at: i64,
    mfa_at: Option<i64>,
    federated: Option<crate::caller::FederatedUser>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(amz: &str, expires: Option<i64>) -> Claim {
        Claim {
            access_key_id: "AKIA".into(),
            scope_date: amz.get(..8).unwrap_or_default().into(),
            region: "us-east-1".into(),
            service: "iam".into(),
            amz_date: amz.into(),
            timestamp: sigv4::parse_amz_date(amz).unwrap_or_default(),
            expires,
            security_token: None,
            signed_headers: vec!["host".into()],
            signature: String::new(),
            canonical_request: String::new(),
            string_to_sign: String::new(),
        }
    }

    #[test]
    fn skew_is_fifteen_minutes_each_way() {
        let now = sigv4::parse_amz_date("20261203T120000Z").unwrap_or_default();
        assert!(check_time(&claim("20261203T114500Z", None), now).is_ok());
        assert!(check_time(&claim("20261203T121500Z", None), now).is_ok());
        let late = check_time(&claim("20261203T114459Z", None), now).unwrap_err();
        assert_eq!(
            late.to_string(),
            "Signature expired: 20261203T114459Z is now earlier than 20261203T114500Z (20261203T120000Z - 15 min.)"
        );
        let early = check_time(&claim("20261203T121501Z", None), now).unwrap_err();
        assert!(early.to_string().starts_with("Signature not yet current"));
        // Presigned: valid until its expiry, even past the skew.
        assert!(check_time(&claim("20261203T100000Z", Some(7200)), now).is_ok());
        assert!(check_time(&claim("20261203T100000Z", Some(7199)), now).is_err());
    }
}
