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

use crate::authz::arn;
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
}

/// An `sts:AssumeRole` request.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleInput {
    pub role_arn: String,
    pub session_name: String,
    pub external_id: String,
    /// Seconds; `None` is AWS's default of one hour.
    pub duration_seconds: Option<i64>,
}

/// Root's own temporary credentials last at most an hour, as in AWS.
const ROOT_MAX_SECONDS: i64 = 3600;
/// A role session started from another role session lasts at most an hour.
const CHAINED_MAX_SECONDS: i64 = 3600;

pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl Service {
    /// New credentials for `caller.user`, sealed, not yet stored.
    fn new_credentials(
        &self,
        caller: &Caller,
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
        let expires = caller.now + time::Duration::seconds(seconds);
        Ok((
            Credentials {
                access_key_id: id.clone(),
                secret_access_key: secret,
                session_token: token.clone(),
                expiration: expires,
            },
            TemporaryCredential {
                id,
                user_id: caller.user.id.clone(),
                role_session_id: None,
                secret_key_id: key_id,
                secret_nonce: nonce,
                secret_ciphertext: ciphertext,
                token_hash: token_hash(&token),
                mfa_at: mfa.then_some(caller.now),
                issued_at: caller.now,
                expires_at: expires,
            },
        ))
    }

    /// `sts:GetSessionToken`: temporary credentials for the caller's own identity.
    /// Needs no permission (AWS's rule) but long-term credentials: not from a role
    /// session or other temporary credentials.
    pub async fn get_session_token(
        &self,
        caller: &Caller,
        duration_seconds: Option<i64>,
    ) -> Result<Credentials, ServiceError> {
        if caller.role.is_some() || caller.token_issued_at.is_some() {
            return Err(ServiceError::Refused(
                "Cannot call GetSessionToken with session credentials".into(),
            ));
        }
        let mut seconds = duration_seconds.unwrap_or(43_200);
        if caller.user.is_root {
            seconds = seconds.min(ROOT_MAX_SECONDS);
        }
        let (credentials, stored) = self.new_credentials(caller, seconds, false)?;
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
            }))
        };
        if caller.is_root() {
            return Err(ServiceError::Refused(
                "Roles may not be assumed by root accounts.".into(),
            ));
        }
        let prefix = format!("arn:aws:iam::{}:role/", caller.account_id);
        let name = input
            .role_arn
            .strip_prefix(&prefix)
            .and_then(|rest| rest.rsplit('/').next())
            .unwrap_or_default();
        let role = match name {
            "" => None,
            name => self.store.role(name).await?,
        };
        let Some(role) = role.filter(|r| r.arn.eq_ignore_ascii_case(&input.role_arn)) else {
            let entry = caller.audit(
                ASSUME,
                &input.role_arn,
                Outcome::Denied,
                "refused: no such role",
            );
            self.store.audit(&entry).await?;
            return Err(not_authorized());
        };
        if let Err(detail) = self
            .check_trust(caller, &role, &input.session_name, &input.external_id)
            .await?
        {
            self.store
                .audit(&caller.audit(ASSUME, &role.arn, Outcome::Denied, detail))
                .await?;
            return Err(not_authorized());
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
        let (credentials, stored) = self.new_credentials(caller, seconds, caller.mfa)?;
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
            .issue_role_credentials(&role.id, &input.session_name, &stored, &audit)
            .await?;
        Ok(AssumedRole {
            credentials,
            arn: role_session_arn(&caller.account_id, &role.name, &input.session_name),
            assumed_role_id: format!("{}:{}", role.id, input.session_name),
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
        let role_name = role_name.trim();
        let found = self.store.role(role_name).await?;
        let resource = match &found {
            Some(role) => role.arn.clone(),
            None => arn::role(&caller.account_id, role_name),
        };
        let permit = self
            .authorize(caller, "iam:PutRolePolicy", &resource)
            .await?;
        let role = found.ok_or_else(|| ServiceError::no_such("role", role_name))?;
        let audit = permit.audit(caller, "revoked active sessions");
        Ok(self.store.revoke_role_sessions(&role.id, &audit).await?)
    }
}
