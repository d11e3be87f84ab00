//! My security credentials: my password, my MFA device, my recovery codes.
//!
//! These act on the caller's own user. They go through the engine like everything
//! else (`iam:ChangePassword`, `iam:CreateVirtualMFADevice`, `iam:EnableMFADevice`,
//! `iam:DeactivateMFADevice`), so a policy can deny them; what no policy mentions is
//! allowed for one's own user, as AWS's password setting does for passwords, so new
//! users can secure their own account. They are refused in role sessions: a role
//! session has no password or device of its own to change.

use identity::secret_box::Sealed;
use model::credentials::{MfaEnrolment, MyCredentials};
use policy::Decision;
use store::{MfaFactor, Outcome, SignInRecord, User};

use crate::authz::{arn, engine_request, Extra, Permit};
use crate::passwords::locked;
use crate::{Caller, DenialReason, Service, ServiceError};

impl Service {
    /// The user's TOTP seed, opened with the server key.
    pub(crate) fn open_seed(&self, user: &User) -> Result<Vec<u8>, ServiceError> {
        match (&user.mfa_key_id, &user.mfa_nonce, &user.mfa_ciphertext) {
            (Some(key_id), Some(nonce), Some(ciphertext)) => self
                .secrets
                .open(&Sealed {
                    key_id: key_id.clone(),
                    nonce: nonce.clone(),
                    ciphertext: ciphertext.clone(),
                })
                .map_err(ServiceError::internal),
            _ => Err(ServiceError::internal(format!(
                "user {} has no MFA seed",
                user.id
            ))),
        }
    }

    fn enrolment(&self, user: &User, account: &str) -> Result<Option<MfaEnrolment>, ServiceError> {
        if user.mfa_enabled || user.mfa_ciphertext.is_none() {
            return Ok(None);
        }
        let seed = self.open_seed(user)?;
        let label = format!("{}@{account}", user.display_name());
        let url = identity::totp::otpauth_url("Portcullis", &label, &seed);
        Ok(Some(MfaEnrolment {
            secret: identity::totp::seed_base32(&seed),
            qr_svg: identity::totp::qr_svg(&url).unwrap_or_default(),
            otpauth_url: url,
        }))
    }

    /// Authorizes a change to the caller's own credentials: never from a role
    /// session; refused on an explicit Deny; otherwise allowed when a policy allows
    /// it or `baseline` does.
    async fn own_credentials(
        &self,
        caller: &Caller,
        action: &'static str,
        resource: &str,
        baseline: bool,
    ) -> Result<Permit, ServiceError> {
        if caller.role.is_some() {
            return Err(self
                .refuse(caller, action, resource, DenialReason::RoleSession)
                .await);
        }
        let permit = Permit {
            action,
            resource: resource.to_string(),
        };
        if caller.is_root() {
            return Ok(permit);
        }
        let compiled = self.compiled(caller).await?;
        let request = engine_request(caller, action, resource, &Extra::new())?;
        let explanation = compiled.evaluator_for(caller).explain(&request);
        match explanation.decision {
            Decision::Allow => Ok(permit),
            Decision::ImplicitDeny if baseline => Ok(permit),
            _ => {
                let reason = crate::authz::denial_reason(&explanation, caller);
                Err(self.refuse(caller, action, resource, reason).await)
            }
        }
    }

    /// "My security credentials". `new_recovery_codes` are the codes to show once,
    /// if the door kept them from enabling MFA.
    pub async fn credentials_overview(
        &self,
        caller: &Caller,
        new_recovery_codes: Vec<String>,
    ) -> Result<MyCredentials, ServiceError> {
        let settings = self.store.settings().await?;
        let user = &caller.user;
        Ok(MyCredentials {
            name: user.display_name().to_string(),
            is_root: user.is_root,
            in_role_session: caller.role.is_some(),
            mfa_enabled: user.mfa_enabled,
            recovery_codes_left: self.store.unused_recovery_codes(&user.id).await?,
            can_change_password: user.is_root
                || settings.password_policy.allow_users_to_change_password,
            policy: settings.password_policy,
            new_recovery_codes,
            enrolment: self.enrolment(user, &caller.account_id)?,
        })
    }

    /// Changes the caller's own password after checking the current one (counted
    /// like a sign-in attempt). Every other session of the user ends; returns the new
    /// session epoch, which the caller's own session takes on.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        password: &str,
        confirm: &str,
    ) -> Result<i64, ServiceError> {
        let policy = self.store.settings().await?.password_policy;
        let permit = self
            .own_credentials(
                caller,
                "iam:ChangePassword",
                &caller.user.arn,
                policy.allow_users_to_change_password,
            )
            .await?;
        // The stored hash, not the caller's snapshot: an API caller's user may come
        // from a cache filled before the last change.
        let stored = self
            .store
            .user_by_id(&caller.user.id)
            .await?
            .ok_or(ServiceError::SignedOut)?;
        let user = &stored;
        let failure = caller.audit(
            "iam:ChangePassword",
            &user.arn,
            Outcome::Failure,
            "wrong current password",
        );
        if !self.verify_counted(user, current, &failure).await? {
            return Err(ServiceError::invalid(
                "current",
                "Your current password is not correct.",
            ));
        }
        self.check_new_password(&policy, password, confirm, Some(&user.id))
            .await?;
        let hash = self.hash_password(password).await?;
        Ok(self
            .store
            .set_password(
                &user.id,
                &hash,
                false,
                caller.now,
                &permit.audit(caller, "changed own password; other sessions ended"),
            )
            .await?)
    }

    /// Starts enrolment: a new secret, sealed at rest until confirmed.
    pub async fn begin_mfa(&self, caller: &Caller) -> Result<(), ServiceError> {
        let device = arn::mfa(&caller.account_id, caller.user.display_name());
        let permit = self
            .own_credentials(caller, "iam:CreateVirtualMFADevice", &device, true)
            .await?;
        if caller.user.mfa_enabled {
            return Err(ServiceError::Conflict(
                "MFA is already enabled. Remove the device first to enrol a new one.".into(),
            ));
        }
        let seed = identity::totp::generate_seed();
        let sealed = self.secrets.seal(&seed).map_err(ServiceError::internal)?;
        self.store
            .stage_mfa(
                &caller.user.id,
                &sealed.key_id,
                &sealed.nonce,
                &sealed.ciphertext,
                &permit.audit(caller, "virtual MFA device created, awaiting a code"),
            )
            .await?;
        Ok(())
    }

    /// Confirms enrolment with a code from the app. Returns the recovery codes (to
    /// show once) and the new session epoch (other sessions end).
    pub async fn confirm_mfa(
        &self,
        caller: &Caller,
        code: &str,
    ) -> Result<(Vec<String>, i64), ServiceError> {
        let user = &caller.user;
        let permit = self
            .own_credentials(caller, "iam:EnableMFADevice", &user.arn, true)
            .await?;
        if user.mfa_enabled || user.mfa_ciphertext.is_none() {
            return Err(ServiceError::Conflict(
                "There is no enrolment in progress. Choose \"Set up MFA\" first.".into(),
            ));
        }
        let seed = self.open_seed(user)?;
        let now = u64::try_from(caller.now.unix_timestamp()).unwrap_or(0);
        let Some(step) = identity::totp::verify(&seed, code.trim(), now, None) else {
            self.store
                .audit(&caller.audit(
                    "iam:EnableMFADevice",
                    &user.arn,
                    Outcome::Failure,
                    "the code did not match the new device",
                ))
                .await?;
            return Err(ServiceError::invalid(
                "code",
                "That code does not match. Check the time on your device and enter the current 6-digit code.",
            ));
        };
        let codes = identity::totp::generate_recovery_codes();
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| identity::totp::hash_recovery_code(c))
            .collect();
        let epoch = self
            .store
            .enable_mfa(
                &user.id,
                step,
                &hashes,
                &permit.audit(caller, "virtual MFA device enabled; other sessions ended"),
            )
            .await?;
        Ok((codes, epoch))
    }

    /// Removes my MFA device; needs a current code (or a recovery code), counted
    /// like a sign-in attempt, so a stolen session cannot do it by guessing.
    /// Returns the new session epoch.
    pub async fn remove_mfa(&self, caller: &Caller, code: &str) -> Result<i64, ServiceError> {
        let user = &caller.user;
        let permit = self
            .own_credentials(caller, "iam:DeactivateMFADevice", &user.arn, true)
            .await?;
        if !user.mfa_enabled {
            return Err(ServiceError::Conflict("MFA is not enabled.".into()));
        }
        let settings = self.store.settings().await?;
        let failure = caller.audit(
            "iam:DeactivateMFADevice",
            &user.arn,
            Outcome::Failure,
            "wrong or reused code",
        );
        if self
            .store
            .begin_attempt(&user.id, settings.lockout_threshold, caller.now)
            .await?
            == SignInRecord::Locked
        {
            self.store.audit(&failure).await?;
            return Err(locked(settings.lockout_minutes));
        }
        let removed = match self.factor(user, code, caller.now)? {
            Some(factor @ (MfaFactor::Step(_) | MfaFactor::RecoveryCode(_))) => {
                self.store
                    .remove_own_mfa(
                        &user.id,
                        &factor,
                        &permit.audit(caller, "own MFA device removed; other sessions ended"),
                    )
                    .await?
            }
            None => None,
        };
        match removed {
            Some(epoch) => Ok(epoch),
            None => {
                let locked_now = self
                    .store
                    .fail_sign_in(
                        &user.id,
                        settings.lockout_threshold,
                        settings.lockout_minutes,
                        &failure,
                    )
                    .await?;
                if locked_now {
                    return Err(locked(settings.lockout_minutes));
                }
                Err(ServiceError::invalid(
                    "code",
                    "That code is wrong or was already used.",
                ))
            }
        }
    }
}
