//! The sign-in state machine: first-run setup, password, second factor, forced
//! password change, and the signed-in session checked on every request.
//!
//! The door keeps a [`SessionState`] per browser and applies the [`SessionChange`]
//! each step returns; every decision (limits, lockout, epochs, expiry) is made here
//! against the service's clock.

use model::session::Stage;
use serde::{Deserialize, Serialize};
use store::{AuditEntry, MfaFactor, Outcome, SignInRecord, User};
use time::OffsetDateTime;

use crate::caller::{Caller, RequestFacts, RoleSession};
use crate::passwords::{locked, password_expired, SIGN_IN_FAILED};
use crate::{Service, ServiceError, SetupAccess};

/// How long a password-accepted session may take to give its second factor.
pub const MFA_PENDING_SECONDS: i64 = 300;
/// Wrong second factors one pending session may try before it ends.
pub const MFA_FAILURES_PER_SESSION: u8 = 3;
/// How long a session may take to choose the new password it must choose.
pub const PASSWORD_CHANGE_SECONDS: i64 = 600;

/// Where a browser session stands. `epoch` is the user's session epoch when the
/// session began: a password or MFA change raises it, ending older sessions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum SessionState {
    /// Password accepted; a TOTP or recovery code is still needed.
    MfaPending {
        user_id: String,
        started: i64,
        epoch: i64,
        failures: u8,
    },
    /// Signed in but must choose a new password before anything else.
    PasswordChange {
        user_id: String,
        started: i64,
        signed_in_at: i64,
        mfa: bool,
        epoch: i64,
    },
    SignedIn {
        user_id: String,
        signed_in_at: i64,
        last_seen: i64,
        mfa: bool,
        epoch: i64,
    },
}

/// What the door does with the browser's session after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionChange {
    Keep,
    /// A new session under a new id (sign-in: a planted id never becomes valid).
    Start(SessionState),
    /// The same session, in a new state.
    Set(SessionState),
    /// Forget the session.
    End,
}

/// A step's result: what happens to the session, and where the browser goes next.
#[derive(Debug)]
pub struct Transition {
    pub session: SessionChange,
    pub outcome: Result<Stage, ServiceError>,
}

impl Transition {
    fn to(session: SessionChange, stage: Stage) -> Transition {
        Transition {
            session,
            outcome: Ok(stage),
        }
    }

    fn fail(session: SessionChange, error: ServiceError) -> Transition {
        Transition {
            session,
            outcome: Err(error),
        }
    }
}

impl From<ServiceError> for Transition {
    fn from(error: ServiceError) -> Self {
        Transition::fail(SessionChange::Keep, error)
    }
}

/// A sign-in audit row, before the caller is known: the actor is the user's ARN once
/// found, or the name that was typed.
fn entry(
    actor: &str,
    action: &'static str,
    facts: &RequestFacts,
    outcome: Outcome,
    detail: &str,
    at: OffsetDateTime,
) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.into(),
        action,
        target: actor.into(),
        source_ip: facts.ip_text(),
        outcome,
        detail: detail.into(),
    }
}

/// The first-run form.
#[derive(Debug, Clone, Default)]
pub struct SetUp {
    pub email: String,
    pub password: String,
    pub confirm: String,
    /// The one-time token from the server log, when the console is reachable from
    /// other machines.
    pub token: String,
}

/// Whether `host` (a `Host` header) names this machine's loopback interface.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Service {
    /// Where a browser with this session stands.
    pub async fn stage(&self, session: Option<&SessionState>) -> Result<Stage, ServiceError> {
        if !self.store.is_set_up().await? {
            return Ok(Stage::SetUp);
        }
        let now = self.clock.now().unix_timestamp();
        Ok(match session {
            None => Stage::SignIn,
            Some(SessionState::MfaPending { started, .. })
                if now - started <= MFA_PENDING_SECONDS =>
            {
                Stage::Mfa
            }
            Some(SessionState::PasswordChange { started, .. })
                if now - started <= PASSWORD_CHANGE_SECONDS =>
            {
                Stage::ChangePassword
            }
            Some(state @ SessionState::SignedIn { .. }) => {
                match self
                    .resolve(Some(state), None, None, RequestFacts::default())
                    .await
                    .0
                {
                    Ok(_) => Stage::SignedIn,
                    Err(_) => Stage::SignIn,
                }
            }
            Some(_) => Stage::SignIn,
        })
    }

    /// First run: creates the account and its root user, and signs root in. `host`
    /// is the `Host` the request came to.
    pub async fn set_up(&self, facts: &RequestFacts, host: &str, form: SetUp) -> Transition {
        match self.set_up_inner(facts, host, form).await {
            Ok(transition) => transition,
            Err(error) => error.into(),
        }
    }

    async fn set_up_inner(
        &self,
        facts: &RequestFacts,
        host: &str,
        form: SetUp,
    ) -> Result<Transition, ServiceError> {
        match &self.options.setup {
            SetupAccess::Loopback if !is_loopback_host(host) => {
                return Err(ServiceError::Conflict(format!(
                    "First-run setup is only accepted on this machine's own address (http://localhost:…), not on \"{host}\"."
                )));
            }
            SetupAccess::Token(token) => {
                let given = form.token.trim().as_bytes();
                if !bool::from(subtle_eq(given, token.as_bytes())) {
                    return Err(ServiceError::invalid(
                        "token",
                        "Enter the setup token printed in the server log when Portcullis started.",
                    ));
                }
            }
            SetupAccess::Loopback => {}
        }
        let email = form.email.trim().to_string();
        if let Err(message) = model::validate::email(&email) {
            return Err(ServiceError::invalid("email", message));
        }
        let settings = self.store.settings().await?;
        self.check_new_password(
            &settings.password_policy,
            &form.password,
            &form.confirm,
            None,
        )
        .await?;
        let hash = self.hash_password(&form.password).await?;
        let account = self.account_to_set_up().await?;
        let now = self.clock.now();
        let root_arn = crate::authz::arn::account(&account);
        let audit = AuditEntry {
            at: now,
            actor: root_arn.clone(),
            action: "portcullis:SetUpAccount",
            target: root_arn,
            source_ip: facts.ip_text(),
            outcome: Outcome::Success,
            detail: format!("account {account} created for {email}"),
        };
        let root = self
            .store
            .set_up(&account, &email, &hash, now, &audit)
            .await?;
        self.finish(&root, false, SessionChange::Start).await
    }

    /// Completes a sign-in after every factor: a password change first when one is
    /// required, else the console.
    async fn finish(
        &self,
        user: &User,
        mfa: bool,
        change: fn(SessionState) -> SessionChange,
    ) -> Result<Transition, ServiceError> {
        let now = self.clock.now();
        let stamp = now.unix_timestamp();
        let policy = self.store.settings().await?.password_policy;
        let must_change = user.password_reset_required || password_expired(user, &policy, now);
        Ok(if must_change {
            Transition::to(
                change(SessionState::PasswordChange {
                    user_id: user.id.clone(),
                    started: stamp,
                    signed_in_at: stamp,
                    mfa,
                    epoch: user.session_epoch,
                }),
                Stage::ChangePassword,
            )
        } else {
            Transition::to(
                change(SessionState::SignedIn {
                    user_id: user.id.clone(),
                    signed_in_at: stamp,
                    last_seen: stamp,
                    mfa,
                    epoch: user.session_epoch,
                }),
                Stage::SignedIn,
            )
        })
    }

    /// Sign-in with the root email or an IAM user name and the password.
    pub async fn sign_in(
        &self,
        facts: &RequestFacts,
        identity: &str,
        password: &str,
    ) -> Transition {
        match self.sign_in_inner(facts, identity, password).await {
            Ok(transition) => transition,
            Err(error) => error.into(),
        }
    }

    async fn sign_in_inner(
        &self,
        facts: &RequestFacts,
        identity: &str,
        password: &str,
    ) -> Result<Transition, ServiceError> {
        let identity = identity.trim();
        if identity.is_empty() {
            return Err(ServiceError::invalid(
                "identity",
                "Enter your user name, or the root email address.",
            ));
        }
        if password.is_empty() {
            return Err(ServiceError::invalid("password", "Enter your password."));
        }
        let now = self.clock.now();
        const LOGIN: &str = "signin:ConsoleLogin";
        let settings = self.store.settings().await?;
        // The account's network rule comes before any lookup, so it says nothing about
        // which names exist.
        let ip = facts.ip_text();
        if !settings.sign_in_ranges.is_empty()
            && !settings
                .sign_in_ranges
                .iter()
                .filter_map(|r| policy::condition::Cidr::parse(r))
                .any(|r| r.contains(&ip))
        {
            self.store
                .audit(&entry(
                    identity,
                    LOGIN,
                    facts,
                    Outcome::Denied,
                    "source address outside the allowed sign-in ranges",
                    now,
                ))
                .await?;
            return Err(ServiceError::Refused(format!(
                "This account does not allow console sign-in from your network address ({ip}). Ask an administrator."
            )));
        }
        let limit = store::SignInLimit {
            network: facts.source_ip.map(store::throttle::network_of),
            limit: self.options.sign_in_rate,
            window_seconds: self.options.sign_in_window_seconds,
        };
        let start = self
            .store
            .begin_sign_in(identity, settings.lockout_threshold, &limit, now)
            .await?;
        if start.throttled {
            self.store
                .audit(&entry(
                    identity,
                    LOGIN,
                    facts,
                    Outcome::Denied,
                    "too many attempts from this network",
                    now,
                ))
                .await?;
            return Err(ServiceError::Throttled(
                "Too many sign-in attempts from your network. Wait a few minutes and try again."
                    .into(),
            ));
        }
        let found = start.found;
        // Always verify, against a dummy hash when there is nothing to check, so
        // unknown, locked and password-less users take as long as a wrong password.
        let hash = match &found {
            Some((u, SignInRecord::Counted)) => u.password_hash.clone(),
            _ => None,
        };
        let ok = self.hasher.verify(password.to_string(), hash).await?;
        let actor = found
            .as_ref()
            .map_or_else(|| identity.to_string(), |(u, _)| u.arn.clone());
        let failure = |detail: &str| entry(&actor, LOGIN, facts, Outcome::Failure, detail, now);
        let user = match found {
            Some((user, SignInRecord::Counted)) if ok => user,
            Some((user, SignInRecord::Counted)) => {
                self.store
                    .fail_sign_in(
                        &user.id,
                        settings.lockout_threshold,
                        settings.lockout_minutes,
                        &failure("wrong password"),
                    )
                    .await?;
                return Err(ServiceError::invalid("", SIGN_IN_FAILED));
            }
            found => {
                let detail = if found.is_some() {
                    "locked or no console password"
                } else {
                    "unknown user"
                };
                self.store.audit(&failure(detail)).await?;
                return Err(ServiceError::invalid("", SIGN_IN_FAILED));
            }
        };
        if settings.password_policy.hard_expiry
            && password_expired(&user, &settings.password_policy, now)
        {
            self.store
                .audit(&entry(
                    &actor,
                    LOGIN,
                    facts,
                    Outcome::Denied,
                    "password expired (hard expiry)",
                    now,
                ))
                .await?;
            return Err(ServiceError::Refused(
                "Your password has expired. Ask an administrator to reset it.".into(),
            ));
        }
        if user.mfa_enabled {
            // The counter is not reset until the second factor is given: guesses of
            // the code and of the password add up to one lockout.
            self.store
                .password_accepted(
                    &user.id,
                    &entry(
                        &actor,
                        LOGIN,
                        facts,
                        Outcome::Success,
                        "password accepted; MFA required",
                        now,
                    ),
                )
                .await?;
            return Ok(Transition::to(
                SessionChange::Start(SessionState::MfaPending {
                    user_id: user.id.clone(),
                    started: now.unix_timestamp(),
                    epoch: user.session_epoch,
                    failures: 0,
                }),
                Stage::Mfa,
            ));
        }
        self.store
            .succeed_sign_in(
                &user.id,
                &entry(&actor, LOGIN, facts, Outcome::Success, "signed in", now),
            )
            .await?;
        self.finish(&user, false, SessionChange::Start).await
    }

    /// The second factor: a TOTP code, or one of the recovery codes. Wrong codes are
    /// counted with the user's failed sign-ins (and lock the account at the
    /// threshold); after a few, the pending session ends.
    pub async fn verify_mfa(
        &self,
        facts: &RequestFacts,
        session: Option<SessionState>,
        code: &str,
    ) -> Transition {
        let Some(SessionState::MfaPending {
            user_id,
            started,
            epoch,
            failures,
        }) = session
        else {
            return Transition::fail(SessionChange::End, ServiceError::SignedOut);
        };
        let now = self.clock.now();
        let user = match self
            .pending_user(&user_id, epoch, started, MFA_PENDING_SECONDS)
            .await
        {
            Ok(user) if user.mfa_enabled => user,
            Ok(_) => return Transition::fail(SessionChange::End, ServiceError::SignedOut),
            Err(ended) => return ended,
        };
        match self.check_second_factor(facts, &user, code, now).await {
            Ok(()) => {}
            Err(FactorError::Wrong { locked }) => {
                let failures = failures.saturating_add(1);
                if locked || failures >= MFA_FAILURES_PER_SESSION {
                    return Transition::fail(
                        SessionChange::End,
                        ServiceError::Throttled(
                            "Too many wrong codes. Sign in again; after more failures the account locks."
                                .into(),
                        ),
                    );
                }
                return Transition::fail(
                    SessionChange::Set(SessionState::MfaPending {
                        user_id,
                        started,
                        epoch,
                        failures,
                    }),
                    ServiceError::invalid(
                        "code",
                        "That code is wrong or was already used. Enter the current code from your authenticator app, or a recovery code.",
                    ),
                );
            }
            Err(FactorError::Locked(minutes)) => {
                return Transition::fail(SessionChange::End, locked(minutes))
            }
            Err(FactorError::Service(e)) => return e.into(),
        }
        match self.finish(&user, true, SessionChange::Set).await {
            Ok(transition) => transition,
            Err(e) => e.into(),
        }
    }

    /// The user of a half-done sign-in, while its stage lasts (`window` seconds from
    /// `started`) and no credential change has ended it; else the end of the session.
    async fn pending_user(
        &self,
        user_id: &str,
        epoch: i64,
        started: i64,
        window: i64,
    ) -> Result<User, Transition> {
        let signed_out = || Transition::fail(SessionChange::End, ServiceError::SignedOut);
        if self.clock.now().unix_timestamp() - started > window {
            return Err(signed_out());
        }
        match self.store.user_by_id(user_id).await {
            Ok(Some(user)) if user.session_epoch == epoch => Ok(user),
            Ok(_) => Err(signed_out()),
            Err(e) => Err(ServiceError::from(e).into()),
        }
    }

    /// Counts the attempt, checks the code, and consumes it with the sign-in's audit
    /// row in one transaction.
    async fn check_second_factor(
        &self,
        facts: &RequestFacts,
        user: &User,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<(), FactorError> {
        let settings = self.store.settings().await?;
        const VERIFY: &str = "signin:MFAVerify";
        if self
            .store
            .begin_attempt(&user.id, settings.lockout_threshold, now)
            .await?
            == SignInRecord::Locked
        {
            self.store
                .audit(&entry(
                    &user.arn,
                    VERIFY,
                    facts,
                    Outcome::Denied,
                    "account locked",
                    now,
                ))
                .await?;
            return Err(FactorError::Locked(settings.lockout_minutes));
        }
        let factor = self.factor(user, code, now)?;
        let accepted = match &factor {
            Some(factor) => {
                self.store
                    .complete_mfa_sign_in(
                        &user.id,
                        factor,
                        &entry(
                            &user.arn,
                            VERIFY,
                            facts,
                            Outcome::Success,
                            match factor {
                                MfaFactor::Step(_) => "MFA accepted; signed in",
                                MfaFactor::RecoveryCode(_) => "recovery code used; signed in",
                            },
                            now,
                        ),
                    )
                    .await?
            }
            None => false,
        };
        if accepted {
            return Ok(());
        }
        let locked = self
            .store
            .fail_sign_in(
                &user.id,
                settings.lockout_threshold,
                settings.lockout_minutes,
                &entry(
                    &user.arn,
                    VERIFY,
                    facts,
                    Outcome::Failure,
                    "wrong or reused code",
                    now,
                ),
            )
            .await?;
        Err(FactorError::Wrong { locked })
    }

    /// Reads a code as a TOTP step (six digits that match now) or as a recovery code.
    /// `None`: a TOTP code that matches no step in the window.
    pub(crate) fn factor(
        &self,
        user: &User,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<Option<MfaFactor>, ServiceError> {
        let code = code.trim();
        if code.len() == identity::totp::DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
            let seed = self.open_seed(user)?;
            // The device's own clock, as its last resync measured it.
            let drift = i64::from(user.mfa_drift_steps) * identity::totp::STEP_SECONDS as i64;
            Ok(identity::totp::verify(
                &seed,
                code,
                u64::try_from(now.unix_timestamp() + drift).unwrap_or(0),
                user.mfa_last_step,
            )
            .map(MfaFactor::Step))
        } else {
            Ok(Some(MfaFactor::RecoveryCode(
                identity::totp::hash_recovery_code(code),
            )))
        }
    }

    /// The forced change after sign-in (reset required, or the password expired).
    pub async fn change_required_password(
        &self,
        facts: &RequestFacts,
        session: Option<SessionState>,
        password: &str,
        confirm: &str,
    ) -> Transition {
        let Some(SessionState::PasswordChange {
            user_id,
            started,
            signed_in_at,
            mfa,
            epoch,
        }) = session
        else {
            return Transition::fail(SessionChange::End, ServiceError::SignedOut);
        };
        let now = self.clock.now();
        let user = match self
            .pending_user(&user_id, epoch, started, PASSWORD_CHANGE_SECONDS)
            .await
        {
            Ok(user) => user,
            Err(ended) => return ended,
        };
        let result = async {
            let policy = self.store.settings().await?.password_policy;
            self.check_new_password(&policy, password, confirm, Some(&user.id))
                .await?;
            if let Some(old) = &user.password_hash {
                if self
                    .hasher
                    .verify(password.to_string(), Some(old.clone()))
                    .await?
                {
                    return Err(ServiceError::invalid(
                        "password",
                        "Choose a password different from your current one.",
                    ));
                }
            }
            let hash = self.hash_password(password).await?;
            let audit = entry(
                &user.arn,
                "iam:ChangePassword",
                facts,
                Outcome::Success,
                "password changed at sign-in",
                now,
            );
            Ok(self
                .store
                .set_password(&user.id, &hash, false, now, &audit)
                .await?)
        }
        .await;
        match result {
            Ok(epoch) => Transition::to(
                SessionChange::Set(SessionState::SignedIn {
                    user_id: user.id,
                    signed_in_at,
                    last_seen: now.unix_timestamp(),
                    mfa,
                    epoch,
                }),
                Stage::SignedIn,
            ),
            Err(e) => e.into(),
        }
    }

    /// The signed-in caller of a request, after the account's idle and absolute
    /// session limits and the user's session epoch; refreshes the idle timer at most
    /// once a minute. `role_session` is the id of the role session the browser
    /// holds, `region` the region it chose.
    pub async fn resolve(
        &self,
        session: Option<&SessionState>,
        role_session: Option<&str>,
        region: Option<String>,
        facts: RequestFacts,
    ) -> (Result<Caller, ServiceError>, SessionChange) {
        let Some(SessionState::SignedIn {
            user_id,
            signed_in_at,
            last_seen,
            mfa,
            epoch,
        }) = session
        else {
            return (Err(ServiceError::SignedOut), SessionChange::Keep);
        };
        let result = async {
            let settings = self.store.settings().await?;
            let now = self.clock.now();
            let stamp = now.unix_timestamp();
            let idle_limit = i64::from(settings.session_idle_minutes) * 60;
            let absolute_limit = i64::from(settings.session_max_hours) * 3600;
            // Why a session ends is logged: "signed out for no reason" is a support
            // question an operator must be able to answer.
            let ended = |reason: &str| {
                tracing::info!(user_id = %user_id, reason, "console session ended");
                Ok(None)
            };
            if stamp - last_seen > idle_limit {
                return ended("idle limit reached");
            }
            if stamp - signed_in_at > absolute_limit {
                return ended("session length limit reached");
            }
            let read = self.store.user_by_id(user_id).await?;
            if read.as_ref().map(|u| u.session_epoch) != Some(*epoch) {
                // A session ended by no change anyone made must be traceable: the
                // user is read once more, and a second answer unlike the first is
                // logged as a fault (the session ends all the same).
                let again = self.store.user_by_id(user_id).await?;
                let (first, second) = (
                    read.as_ref().map(|u| u.session_epoch),
                    again.as_ref().map(|u| u.session_epoch),
                );
                if first != second {
                    tracing::warn!(user_id = %user_id, ?first, ?second, session_epoch = *epoch,
                        "two reads of a user disagree");
                }
            }
            let Some(user) = read else {
                return ended("user deleted");
            };
            if user.session_epoch != *epoch {
                tracing::info!(user_id = %user_id, session_epoch = *epoch,
                    user_epoch = user.session_epoch, "session epoch is behind the user's");
                return ended("password, MFA or sign-out everywhere since sign-in");
            }
            let account_id = self.store.account_id().await?.unwrap_or_default();
            let region = region
                .filter(|r| settings.regions.contains(r))
                .or_else(|| settings.regions.first().cloned())
                .unwrap_or_default();
            // An ended role session returns the console to the user's own identity.
            let role = match role_session {
                Some(id) => self
                    .store
                    .role_session(id)
                    .await?
                    .filter(|r| r.user_id == user.id && r.expires > stamp && !r.ended)
                    .map(RoleSession::from),
                None => None,
            };
            let change = if stamp - last_seen > 60 {
                SessionChange::Set(SessionState::SignedIn {
                    user_id: user_id.clone(),
                    signed_in_at: *signed_in_at,
                    last_seen: stamp,
                    mfa: *mfa,
                    epoch: *epoch,
                })
            } else {
                SessionChange::Keep
            };
            let budget = crate::budgets::budget_context(self, &user.id).await?;
            Ok::<_, ServiceError>(Some((
                Caller {
                    budget,
                    user,
                    role,
                    federated: None,
                    account_id,
                    mfa: *mfa,
                    authenticated_at: *signed_in_at,
                    token_issued_at: None,
                    session_policy: None,
                    region,
                    facts,
                    now,
                },
                change,
            )))
        }
        .await;
        match result {
            Ok(Some((caller, change))) => (Ok(caller), change),
            Ok(None) => (Err(ServiceError::SignedOut), SessionChange::End),
            Err(e) => (Err(e), SessionChange::Keep),
        }
    }

    /// Records a sign-out; the door forgets the session.
    pub async fn sign_out(&self, caller: &Caller) -> Result<(), ServiceError> {
        self.store
            .audit(&caller.audit(
                "signin:ConsoleLogout",
                &caller.user.arn,
                Outcome::Success,
                "signed out",
            ))
            .await?;
        Ok(())
    }

    /// Ends every console session of the caller's own user, this one included.
    pub async fn sign_out_everywhere(&self, caller: &Caller) -> Result<(), ServiceError> {
        if caller.role.is_some() {
            return Err(self
                .refuse(
                    caller,
                    "portcullis:SignOutEverywhere",
                    &caller.user.arn,
                    crate::DenialReason::RoleSession,
                )
                .await);
        }
        self.store
            .end_sessions(
                &caller.user.id,
                &caller.audit(
                    "portcullis:SignOutEverywhere",
                    &caller.user.arn,
                    Outcome::Success,
                    "all own sessions ended",
                ),
            )
            .await?;
        Ok(())
    }
}

/// Why a second factor was not accepted.
enum FactorError {
    Wrong { locked: bool },
    Locked(i16),
    Service(ServiceError),
}

impl<E: Into<ServiceError>> From<E> for FactorError {
    fn from(e: E) -> Self {
        FactorError::Service(e.into())
    }
}

/// Compares secrets in constant time.
fn subtle_eq(a: &[u8], b: &[u8]) -> subtle::Choice {
    use subtle::ConstantTimeEq;
    a.ct_eq(b)
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost:3000",
            "127.0.0.1:3000",
            "[::1]:3000",
            "127.0.0.1",
            "LOCALHOST",
        ] {
            assert!(super::is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example:3000",
            "10.0.0.5:3000",
            "",
            "localhost.evil.example",
        ] {
            assert!(!super::is_loopback_host(host), "{host}");
        }
    }
}
