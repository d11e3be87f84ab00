//! Temporary credentials: `sts:GetSessionToken` for one's own identity and
//! `sts:AssumeRole` into a role whose trust policy admits the caller (decided by the
//! engine, with `sts:ExternalId` and `sts:RoleSessionName`), and "revoke active
//! sessions" on a role. Secrets are sealed like access keys'; session tokens are kept
//! as their SHA-256 only.

use base64::Engine;
use identity::secret_box::Sealed;
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::{Outcome, TemporaryCredential};
use time::OffsetDateTime;

use crate::caller::role_session_arn;
use crate::error::{Denial, DenialReason};
use crate::{Caller, Service, ServiceError};

/// What a client receives: the `ASIA…` key, its secret and its session token.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: OffsetDateTime,
}

/// A role assumed through the API.
#[derive(Debug, Clone)]
pub struct AssumedRole {
    pub credentials: Credentials,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub arn: String,
    /// `AROA…:SESSION`.
    pub assumed_role_id: String,
    /// With session policies: their size as a percentage of AWS's limit
    /// (`PackedPolicySize`).
    pub packed_policy_percent: Option<usize>,
    pub source_identity: Option<String>,
}

/// An `sts:AssumeRole` request.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleInput {
    pub role_arn: String,
    pub session_name: String,
    pub external_id: String,
    /// Seconds; `None` is AWS's default of one hour.
    pub duration_seconds: Option<i64>,
    /// `SerialNumber` and `TokenCode`: the caller's MFA device and a code from it.
    pub mfa: Option<MfaProof>,
    /// `Policy`: an inline session policy.
    pub session_policy: Option<String>,
    /// `PolicyArns`: managed policies used as session policies (at most 10).
    pub session_policy_arns: Vec<String>,
    /// `Tags`: session tags, the session's `aws:PrincipalTag/*` (need `sts:TagSession`).
    pub tags: Vec<(String, String)>,
    /// `TransitiveTagKeys`: the keys among `tags` that chained sessions inherit.
    pub transitive_tag_keys: Vec<String>,
    /// `SourceIdentity` (needs `sts:SetSourceIdentity`); fixed for the whole chain.
    pub source_identity: Option<String>,
}

/// An `sts:GetFederationToken` request.
#[derive(Debug, Clone, Default)]
pub struct FederationInput {
    /// `Name`: the federated user's name in its ARN.
    pub name: String,
    pub duration_seconds: Option<i64>,
    pub session_policy: Option<String>,
    pub session_policy_arns: Vec<String>,
    pub tags: Vec<(String, String)>,
}

/// Credentials for a federated user.
#[derive(Debug, Clone)]
pub struct FederationToken {
    pub credentials: Credentials,
    /// `arn:aws:sts::ACCOUNT:federated-user/NAME`.
    pub arn: String,
    /// `ACCOUNT:NAME`.
    pub federated_user_id: String,
    pub packed_policy_percent: Option<usize>,
}

/// An MFA device's ARN and a six-digit code from it.
#[derive(Debug, Clone, Default)]
pub struct MfaProof {
    pub serial_number: String,
    pub token_code: String,
}

/// AWS's words for a code or device that does not prove MFA.
fn mfa_failed() -> ServiceError {
    ServiceError::Refused(
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ".into(),
    )
}

/// Root's own temporary credentials last at most an hour, as in AWS.
const ROOT_MAX_SECONDS: i64 = 3600;
/// A role session started from another role session lasts at most an hour.
const CHAINED_MAX_SECONDS: i64 = 3600;

/// The new session's tags, transitive keys and source identity: what the request
/// gives, over what a chained session inherits. Inherited transitive tags and the
/// source identity cannot be changed; transitive keys must be among the tags.
fn session_attributes(
    caller: &Caller,
    input: &AssumeRoleInput,
) -> Result<store::roles::SessionAttributes, ServiceError> {
    model::tags::check_all(&input.tags)?;
    let inherited = caller
        .role
        .as_ref()
        .map(|r| r.attributes.inherited())
        .unwrap_or_default();
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    for (key, _) in &input.tags {
        if inherited.tags.keys().any(|k| same(k, key)) {
            return Err(ServiceError::invalid(
                "tags",
                format!("The session tag {key} is a transitive tag of the session it is chained from and cannot be changed."),
            ));
        }
    }
    for key in &input.transitive_tag_keys {
        if !input.tags.iter().any(|(k, _)| same(k, key)) {
            return Err(ServiceError::invalid(
                "transitive_tag_keys",
                format!("The transitive tag key {key} is not among the session tags."),
            ));
        }
    }
    let source_identity = match (&inherited.source_identity, &input.source_identity) {
        (Some(old), Some(new)) if old != new => {
            return Err(ServiceError::invalid(
                "source_identity",
                format!(
                    "The source identity of this session chain is {old} and cannot be changed."
                ),
            ))
        }
        (old, new) => new.clone().or_else(|| old.clone()),
    };
    let mut tags = inherited.tags;
    tags.extend(input.tags.iter().cloned());
    let mut transitive_keys = inherited.transitive_keys;
    transitive_keys.extend(input.transitive_tag_keys.iter().cloned());
    if tags.len() > model::tags::MAX_TAGS {
        return Err(ServiceError::LimitExceeded {
            field: "tags",
            message: "The number of session tags, inherited ones included, is more than 50.".into(),
        });
    }
    Ok(store::roles::SessionAttributes {
        tags,
        transitive_keys,
        source_identity,
    })
}

pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl Service {
    /// Checks a code from the caller's own MFA device: the serial number must be the
    /// device's ARN, the code a TOTP step newer than the last one used. Wrong codes
    /// count toward the user's lockout like wrong sign-in codes.
    async fn prove_mfa(&self, caller: &Caller, proof: &MfaProof) -> Result<(), ServiceError> {
        const ACTION: &str = "sts:ProveMfa";
        // Read afresh: the device may have changed since the key was cached.
        let user = self
            .store
            .user_by_id(&caller.user.id)
            .await?
            .ok_or(ServiceError::SignedOut)?;
        let device = user.mfa_serial(&caller.account_id);
        if !user.mfa_enabled || proof.serial_number != device {
            self.store
                .audit(&caller.audit(
                    ACTION,
                    &device,
                    store::Outcome::Denied,
                    "no such MFA device for the caller",
                ))
                .await?;
            return Err(ServiceError::Refused(
                "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.".into(),
            ));
        }
        let settings = self.store.settings().await?;
        let failure = caller.audit(
            ACTION,
            &device,
            store::Outcome::Failure,
            "wrong or reused MFA code",
        );
        if self
            .store
            .begin_attempt(&user.id, settings.lockout_threshold, caller.now)
            .await?
            == store::SignInRecord::Locked
        {
            self.store.audit(&failure).await?;
            return Err(crate::passwords::locked(settings.lockout_minutes));
        }
        let code = proof.token_code.trim();
        let step = match self.factor(&user, code, caller.now)? {
            Some(store::MfaFactor::Step(step)) if code.len() == identity::totp::DIGITS => {
                Some(step)
            }
            _ => None,
        };
        if let Some(step) = step {
            if self.store.consume_mfa_step(&user.id, step).await? {
                return Ok(());
            }
        }
        self.store
            .fail_sign_in(
                &user.id,
                settings.lockout_threshold,
                settings.lockout_minutes,
                &failure,
            )
            .await?;
        Err(mfa_failed())
    }

    /// The documents of the session policies asked for: the inline one, checked as a
    /// session policy, and each managed one's default version, looked up now.
    pub(crate) async fn session_documents(
        &self,
        policy: Option<&String>,
        policy_arns: &[String],
    ) -> Result<Vec<String>, ServiceError> {
        let mut documents = Vec::new();
        if let Some(text) = policy {
            policy::PolicyDocument::parse(text, policy::PolicyKind::Session).map_err(|errors| {
                ServiceError::MalformedPolicy {
                    field: "policy",
                    message: errors.to_string(),
                }
            })?;
            documents.push(text.clone());
        }
        if policy_arns.len() > 10 {
            return Err(ServiceError::invalid(
                "policy_arns",
                "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10",
            ));
        }
        for arn in policy_arns {
            if let Some((template, _)) = crate::authz::templates().get(arn) {
                documents.push(template.document.clone());
                continue;
            }
            let name = arn.rsplit('/').next().unwrap_or_default();
            let found = match self.store.customer_policy(name).await? {
                Some((policy, versions)) if policy.arn.eq_ignore_ascii_case(arn) => versions
                    .into_iter()
                    .find(|v| v.is_default)
                    .map(|v| v.document),
                _ => None,
            };
            documents
                .push(found.ok_or_else(|| ServiceError::no_such_policy(Some("policy_arns"), arn))?);
        }
        Ok(documents)
    }

    /// New credentials for `caller.user`, sealed, not yet stored.
    fn new_credentials(
        &self,
        caller: &Caller,
        seconds: i64,
        mfa: bool,
    ) -> Result<(Credentials, TemporaryCredential), ServiceError> {
        self.mint_credentials(&caller.user.id, caller.now, seconds, mfa)
    }

    /// Fresh temporary credentials owned by `user_id`, issued at `now`.
    pub(crate) fn mint_credentials(
        &self,
        user_id: &str,
        now: time::OffsetDateTime,
        seconds: i64,
        mfa: bool,
    ) -> Result<(Credentials, TemporaryCredential), ServiceError> {
        let id = store::ids::access_key_id("ASIA");
        let secret = store::ids::secret_access_key();
        let mut raw = [0u8; 96];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = base64::engine::general_purpose::STANDARD.encode(raw);
        let Sealed {
            key_id,
            nonce,
            ciphertext,
        } = self
            .secrets
            .seal(secret.as_bytes())
            .map_err(ServiceError::internal)?;
        let expires = now + time::Duration::seconds(seconds);
        Ok((
            Credentials {
                access_key_id: id.clone(),
                secret_access_key: secret,
                session_token: token.clone(),
                expiration: expires,
            },
            TemporaryCredential {
                id,
                user_id: user_id.to_string(),
                role_session_id: None,
                secret_key_id: key_id,
                secret_nonce: nonce,
                secret_ciphertext: ciphertext,
                token_hash: token_hash(&token),
                mfa_at: mfa.then_some(now),
                session_policies: Vec::new(),
                federated_name: None,
                session_tags: Default::default(),
                issued_at: now,
                expires_at: expires,
            },
        ))
    }

    /// `sts:GetAccessKeyInfo`: the account a key belongs to. Like AWS, it says
    /// nothing of the key's state; a key this server never issued is not one of its
    /// account's, and is refused as AWS refuses a malformed one.
    pub async fn access_key_account(
        &self,
        caller: &Caller,
        key_id: &str,
    ) -> Result<String, ServiceError> {
        self.authorize(caller, "sts:GetAccessKeyInfo", "*").await?;
        let known = if key_id.starts_with("ASIA") {
            self.store.temporary_credential(key_id).await?.is_some()
        } else {
            self.store.access_key(key_id).await?.is_some()
        };
        if known {
            Ok(caller.account_id.clone())
        } else {
            Err(ServiceError::invalid(
                "access_key_id",
                format!("The access key ID {key_id} was not issued by this server's account."),
            ))
        }
    }

    /// `sts:GetSessionToken`: temporary credentials for the caller's own identity.
    /// Needs no permission (AWS's rule) but long-term credentials: not from a role
    /// session or other temporary credentials.
    pub async fn get_session_token(
        &self,
        caller: &Caller,
        duration_seconds: Option<i64>,
        mfa: Option<&MfaProof>,
    ) -> Result<Credentials, ServiceError> {
        if caller.role.is_some() || caller.token_issued_at.is_some() {
            return Err(ServiceError::Refused(
                "Cannot call GetSessionToken with session credentials".into(),
            ));
        }
        if let Some(proof) = mfa {
            self.prove_mfa(caller, proof).await?;
        }
        let mut seconds = duration_seconds.unwrap_or(43_200);
        if caller.user.is_root {
            seconds = seconds.min(ROOT_MAX_SECONDS);
        }
        let (credentials, stored) = self.new_credentials(caller, seconds, mfa.is_some())?;
        let audit = caller.audit(
            "sts:GetSessionToken",
            &caller.arn(),
            Outcome::Success,
            format!(
                "temporary credentials {} for {seconds} s",
                credentials.access_key_id
            ),
        );
        self.store.issue_session_token(&stored, &audit).await?;
        Ok(credentials)
    }

    /// `sts:GetFederationToken`: credentials for a federated user named by the
    /// caller, which may do only what both the caller's policies and the session
    /// policies allow (nothing without session policies, as in AWS). Only long-term
    /// credentials may ask; root's last at most an hour.
    pub async fn get_federation_token(
        &self,
        caller: &Caller,
        input: &FederationInput,
    ) -> Result<FederationToken, ServiceError> {
        if caller.role.is_some() || caller.token_issued_at.is_some() {
            return Err(ServiceError::Refused(
                "Cannot call GetFederationToken with session credentials".into(),
            ));
        }
        model::tags::check_all(&input.tags)?;
        let tags: std::collections::BTreeMap<String, String> = input.tags.iter().cloned().collect();
        let arn = crate::caller::federated_user_arn(&caller.account_id, &input.name);
        let permit = self
            .authorize_with(
                caller,
                "sts:GetFederationToken",
                &arn,
                &crate::authz::Extra::new().with_request_tags(&tags),
            )
            .await?;
        if !tags.is_empty() {
            self.authorize_with(
                caller,
                "sts:TagSession",
                &arn,
                &crate::authz::Extra::new().with_request_tags(&tags),
            )
            .await?;
        }
        let documents = self
            .session_documents(input.session_policy.as_ref(), &input.session_policy_arns)
            .await?;
        let mut seconds = input.duration_seconds.unwrap_or(43_200);
        if caller.user.is_root {
            seconds = seconds.min(ROOT_MAX_SECONDS);
        }
        let (credentials, mut stored) = self.new_credentials(caller, seconds, false)?;
        let packed = documents.iter().map(String::len).sum::<usize>();
        stored.session_policies = documents;
        stored.federated_name = Some(input.name.clone());
        stored.session_tags = tags;
        let audit = permit.audit(
            caller,
            format!(
                "federated user {} as {} for {seconds} s",
                input.name, credentials.access_key_id
            ),
        );
        self.store.issue_session_token(&stored, &audit).await?;
        Ok(FederationToken {
            credentials,
            arn,
            federated_user_id: format!("{}:{}", caller.account_id, input.name),
            packed_policy_percent: (packed > 0).then(|| packed * 100 / 2048),
        })
    }

    /// `sts:AssumeRole`: the role's trust policy must admit the caller (and the
    /// caller's own policies allow it, unless the trust names them), with the external
    /// id and session name in context.
    pub async fn assume_role(
        &self,
        caller: &Caller,
        input: &AssumeRoleInput,
    ) -> Result<AssumedRole, ServiceError> {
        const ASSUME: &str = "sts:AssumeRole";
        let not_authorized = || {
            ServiceError::AccessDenied(Box::new(Denial {
                principal: caller.arn(),
                action: ASSUME.into(),
                resource: input.role_arn.clone(),
                reason: DenialReason::NotTrusted,
                encoded: None,
            }))
        };
        if caller.is_root() {
            return Err(ServiceError::Refused(
                "Roles may not be assumed by root accounts.".into(),
            ));
        }
        // A code proven now counts as MFA for the trust policy and the session.
        let proven;
        let caller = match &input.mfa {
            Some(proof) => {
                self.prove_mfa(caller, proof).await?;
                proven = Caller {
                    mfa: true,
                    authenticated_at: caller.now.unix_timestamp(),
                    ..caller.clone()
                };
                &proven
            }
            None => caller,
        };
        let Some(role) = self
            .role_by_arn(&caller.account_id, &input.role_arn)
            .await?
        else {
            let entry = caller.audit(
                ASSUME,
                &input.role_arn,
                Outcome::Denied,
                "refused: no such role",
            );
            self.store.audit(&entry).await?;
            return Err(not_authorized());
        };
        let attributes = session_attributes(caller, input)?;
        let mut extra = crate::roles::trust_context(&input.session_name, &input.external_id)
            .with_request_tags(&attributes.tags);
        if !attributes.transitive_keys.is_empty() {
            extra = extra.with_multi("sts:TransitiveTagKeys", &attributes.transitive_keys);
        }
        if let Some(source) = &attributes.source_identity {
            extra = extra.with("sts:SourceIdentity", source);
        }
        // AssumeRole, then each thing the request attaches to the session, as AWS
        // authorizes them: tags (also inherited ones) and a source identity.
        let mut actions = vec![ASSUME];
        if !attributes.tags.is_empty() {
            actions.push("sts:TagSession");
        }
        if attributes.source_identity.is_some() {
            actions.push("sts:SetSourceIdentity");
        }
        for action in actions {
            if let Err(detail) = self.check_trust(caller, &role, action, &extra).await? {
                self.store
                    .audit(&caller.audit(ASSUME, &role.arn, Outcome::Denied, detail))
                    .await?;
                return Err(ServiceError::AccessDenied(Box::new(Denial {
                    principal: caller.arn(),
                    action: action.into(),
                    resource: input.role_arn.clone(),
                    reason: DenialReason::NotTrusted,
                    encoded: None,
                })));
            }
        }
        let seconds = input.duration_seconds.unwrap_or(3600);
        if seconds > i64::from(role.max_session_seconds) {
            return Err(ServiceError::invalid(
                "duration_seconds",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }
        if caller.role.is_some() && seconds > CHAINED_MAX_SECONDS {
            return Err(ServiceError::invalid(
                "duration_seconds",
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ));
        }
        let session_policies = self
            .session_documents(input.session_policy.as_ref(), &input.session_policy_arns)
            .await?;
        let (credentials, mut stored) = self.new_credentials(caller, seconds, caller.mfa)?;
        let packed = session_policies.iter().map(String::len).sum::<usize>();
        stored.session_policies = session_policies;
        let audit = caller.audit(
            ASSUME,
            &role.arn,
            Outcome::Success,
            format!(
                "session {} as {} for {seconds} s",
                input.session_name, credentials.access_key_id
            ),
        );
        self.store
            .issue_role_credentials(&role.id, &input.session_name, &attributes, &stored, &audit)
            .await?;
        Ok(AssumedRole {
            credentials,
            arn: role_session_arn(&caller.account_id, &role.name, &input.session_name),
            assumed_role_id: format!("{}:{}", role.id, input.session_name),
            packed_policy_percent: (packed > 0).then(|| packed * 100 / 2048),
            source_identity: attributes.source_identity,
        })
    }

    /// "Revoke active sessions": every session of the role issued until now ends
    /// (console switches and API credentials), as AWS's `aws:TokenIssueTime` deny
    /// does. Authorized as `iam:PutRolePolicy` on the role, as in AWS.
    pub async fn revoke_role_sessions(
        &self,
        caller: &Caller,
        role_name: &str,
    ) -> Result<u64, ServiceError> {
        let (role, permit) = self
            .role_for(caller, "iam:PutRolePolicy", role_name)
            .await?;
        let audit = permit.audit(caller, "revoked active sessions");
        Ok(self.store.revoke_role_sessions(&role.id, &audit).await?)
    }
}
