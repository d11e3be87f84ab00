//! New passwords: the account policy, the confirmation, the history; generated
//! passwords; and checking a password someone types, counted like a sign-in.

use identity::PasswordPolicy;
use rand::Rng;
use store::{AuditEntry, SignInRecord, User};

use crate::{Service, ServiceError};

/// One message for every failed sign-in, so it tells nothing about which names exist.
pub const SIGN_IN_FAILED: &str = "The sign-in details are incorrect, or the account is temporarily locked after too many failed attempts.";

/// A random password that meets the policy (at least 20 characters).
pub fn generate_password(policy: &PasswordPolicy) -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@#$%^&*()-_=+";
    let length = usize::from(policy.minimum_password_length).max(20);
    let mut rng = rand::rngs::OsRng;
    loop {
        let candidate: String = (0..length)
            .map(|_| {
                char::from(
                    CHARS
                        .get(rng.gen_range(0..CHARS.len()))
                        .copied()
                        .unwrap_or(b'x'),
                )
            })
            .collect();
        if policy.unmet(&candidate).is_empty() {
            return candidate;
        }
    }
}

/// Whether `user`'s password has expired under the policy at `now`.
pub fn password_expired(user: &User, policy: &PasswordPolicy, now: time::OffsetDateTime) -> bool {
    match user.password_changed_at {
        Some(changed) => policy.is_expired((now - changed).whole_days()),
        None => false,
    }
}

impl Service {
    /// Checks a new password against the policy, the confirmation and (for an
    /// existing user) the last passwords the policy forbids reusing.
    pub async fn check_new_password(
        &self,
        policy: &PasswordPolicy,
        password: &str,
        confirm: &str,
        user_id: Option<&str>,
    ) -> Result<(), ServiceError> {
        let unmet = policy.unmet(password);
        if !unmet.is_empty() {
            let rules: Vec<String> = unmet.iter().map(|r| r.to_string()).collect();
            return Err(ServiceError::invalid(
                "password",
                format!("The password needs: {}.", rules.join("; ")),
            ));
        }
        if password != confirm {
            return Err(ServiceError::invalid(
                "confirm",
                "The two passwords do not match.",
            ));
        }
        if let (Some(user_id), Some(count)) = (user_id, policy.password_reuse_prevention) {
            let history = self
                .store
                .password_history(user_id, i64::from(count))
                .await?;
            for hash in history {
                if self.hasher.verify(password.to_string(), Some(hash)).await? {
                    return Err(ServiceError::invalid(
                        "password",
                        format!(
                            "Choose a password you have not used for your last {count} passwords."
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    pub(crate) async fn hash_password(&self, password: &str) -> Result<String, ServiceError> {
        Ok(self.hasher.hash(password.to_string()).await?)
    }

    /// Checks a password the user typed (to prove it is them before a change),
    /// counted exactly like a sign-in attempt: a locked user is refused without a
    /// check, and a wrong password feeds the lockout. `Ok(false)` is a wrong password;
    /// a lockout is an error that says so.
    pub(crate) async fn verify_counted(
        &self,
        user: &User,
        password: &str,
        failure: &AuditEntry,
    ) -> Result<bool, ServiceError> {
        let settings = self.store.settings().await?;
        let now = self.clock.now();
        if self
            .store
            .begin_attempt(&user.id, settings.lockout_threshold, now)
            .await?
            == SignInRecord::Locked
        {
            self.store.audit(failure).await?;
            return Err(locked(settings.lockout_minutes));
        }
        let ok = self
            .hasher
            .verify(password.to_string(), user.password_hash.clone())
            .await?;
        if !ok {
            let locked_now = self
                .store
                .fail_sign_in(
                    &user.id,
                    settings.lockout_threshold,
                    settings.lockout_minutes,
                    failure,
                )
                .await?;
            if locked_now {
                return Err(locked(settings.lockout_minutes));
            }
        }
        Ok(ok)
    }
}

/// The answer once the lockout threshold is reached.
pub(crate) fn locked(minutes: i16) -> ServiceError {
    ServiceError::Throttled(format!(
        "Too many failed attempts: the account is locked for {minutes} minutes."
    ))
}
