//! First-run setup, sign-in (password, then MFA, then a forced password change when
//! required), and sign-out.

use identity::PasswordPolicy;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in identity as the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub name: String,
    pub is_root: bool,
    pub account_id: String,
    pub arn: String,
    pub mfa_enabled: bool,
    /// Root only: the best-practice checklist is not complete yet.
    pub root_needs_mfa: bool,
    pub root_needs_user: bool,
    /// The parts of the console this principal's policies let it open.
    pub menu: Menu,
    /// The region the console acts in, and the account's regions to switch to.
    pub region: String,
    pub regions: Vec<String>,
    /// The role session the console acts in, if the user switched role.
    pub role: Option<crate::api::roles::ActiveRole>,
}

/// Which console sections the signed-in principal may list (decided by the engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Menu {
    pub users: bool,
    pub groups: bool,
    pub roles: bool,
    pub policies: bool,
    pub simulator: bool,
    pub settings: bool,
    pub audit: bool,
}

/// What the sign-in flow needs next for this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    SetUp,
    SignIn,
    Mfa,
    ChangePassword,
    SignedIn,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::ssr::auth::{internal, read_state, session, state, SESSION_KEY};
    use crate::ssr::{client_ip, respond, SessionState};
    use store::{AuditEntry, Outcome, User};

    /// One message for every failed sign-in, so it tells nothing about which names exist.
    pub const SIGN_IN_FAILED: &str =
        "The sign-in details are incorrect, or the account is temporarily locked after too many failed attempts.";

    pub fn entry(
        actor: &str,
        action: &'static str,
        ip: &str,
        outcome: Outcome,
        detail: &str,
    ) -> AuditEntry {
        AuditEntry {
            actor: actor.into(),
            action,
            target: actor.into(),
            source_ip: ip.into(),
            outcome,
            detail: detail.into(),
        }
    }

    /// Checks a new password against the policy, the confirmation and the history.
    pub async fn check_new_password(
        policy: &PasswordPolicy,
        password: &str,
        confirm: &str,
        user_id: Option<&str>,
    ) -> Result<(), AppError> {
        let unmet = policy.unmet(password);
        if !unmet.is_empty() {
            let rules: Vec<String> = unmet.iter().map(|r| r.to_string()).collect();
            return Err(respond(AppError::field(
                "password",
                format!("The password needs: {}.", rules.join("; ")),
            )));
        }
        if password != confirm {
            return Err(respond(AppError::field(
                "confirm",
                "The two passwords do not match.",
            )));
        }
        if let (Some(user_id), Some(count)) = (user_id, policy.password_reuse_prevention) {
            let state = state()?;
            let history = state
                .store
                .password_history(user_id, i64::from(count))
                .await
                .map_err(internal)?;
            for hash in history {
                if state
                    .hasher
                    .verify(password.to_string(), Some(hash))
                    .await
                    .map_err(|e| respond(AppError::Busy(e.to_string())))?
                {
                    return Err(respond(AppError::field(
                        "password",
                        format!(
                            "Choose a password you have not used for your last {count} passwords."
                        ),
                    )));
                }
            }
        }
        Ok(())
    }

    pub async fn hash(password: &str) -> Result<String, AppError> {
        let state = state()?;
        state
            .hasher
            .hash(password.to_string())
            .await
            .map_err(|e| respond(AppError::Busy(e.to_string())))
    }

    /// Whether `user`'s password has expired under the policy.
    pub fn password_expired(
        user: &User,
        policy: &PasswordPolicy,
        now: time::OffsetDateTime,
    ) -> bool {
        match user.password_changed_at {
            Some(changed) => policy.is_expired((now - changed).whole_days()),
            None => false,
        }
    }

    /// Completes a sign-in after every factor: decides whether a password change comes
    /// first, and records the session.
    pub async fn finish(
        user: &User,
        mfa: bool,
        settings: &store::AccountSettings,
    ) -> Result<&'static str, AppError> {
        let state = state()?;
        let session = session().await?;
        let now = state.clock.now();
        let must_change =
            user.password_reset_required || password_expired(user, &settings.password_policy, now);
        let stamp = now.unix_timestamp();
        if must_change {
            session
                .insert(
                    SESSION_KEY,
                    SessionState::PasswordChange {
                        user_id: user.id.clone(),
                        signed_in_at: stamp,
                        mfa,
                    },
                )
                .await
                .map_err(internal)?;
            Ok("/change-password")
        } else {
            session
                .insert(
                    SESSION_KEY,
                    SessionState::SignedIn {
                        user_id: user.id.clone(),
                        signed_in_at: stamp,
                        last_seen: stamp,
                        mfa,
                    },
                )
                .await
                .map_err(internal)?;
            Ok("/")
        }
    }

    pub async fn stage() -> Result<Stage, AppError> {
        let state = state()?;
        if state.store.account_id().await.map_err(internal)?.is_none() {
            return Ok(Stage::SetUp);
        }
        let session = session().await?;
        Ok(match read_state(&session).await? {
            None => Stage::SignIn,
            Some(SessionState::MfaPending { .. }) => Stage::Mfa,
            Some(SessionState::PasswordChange { .. }) => Stage::ChangePassword,
            Some(SessionState::SignedIn { .. }) => match crate::ssr::current().await {
                Ok(_) => Stage::SignedIn,
                Err(_) => Stage::SignIn,
            },
        })
    }

    pub async fn sign_in_ip() -> String {
        client_ip().await
    }
}

#[cfg(feature = "ssr")]
pub use server::{check_new_password, hash};

/// Where this browser stands: setup, sign-in, MFA, password change, or signed in.
#[server]
pub async fn current_stage() -> Result<Stage, AppError> {
    server::stage().await
}

/// The account password policy, shown next to password fields before sign-in too.
#[server]
pub async fn account_password_policy() -> Result<PasswordPolicy, AppError> {
    let state = crate::ssr::auth::state()?;
    Ok(state
        .store
        .settings()
        .await
        .map_err(crate::ssr::auth::internal)?
        .password_policy)
}

/// The signed-in identity, or `None`.
#[server]
pub async fn whoami() -> Result<Option<Me>, AppError> {
    let principal = match crate::ssr::current().await {
        Ok(p) => p,
        Err(AppError::SignedOut) => return Ok(None),
        Err(e) => return Err(e),
    };
    let state = crate::ssr::auth::state()?;
    let (root_needs_mfa, root_needs_user) = if principal.user.is_root {
        let users = state
            .store
            .console_user_count()
            .await
            .map_err(crate::ssr::auth::internal)?;
        (!principal.user.mfa_enabled, users == 0)
    } else {
        (false, false)
    };
    use crate::ssr::Target;
    let refused = crate::ssr::authz::refusals(
        &principal,
        &[
            ("iam:ListUsers", Target::Users),
            ("iam:ListGroups", Target::Groups),
            ("iam:ListRoles", Target::Roles),
            ("iam:ListPolicies", Target::Any),
            ("iam:SimulateCustomPolicy", Target::Any),
            ("iam:GetAccountPasswordPolicy", Target::Any),
            ("cloudtrail:LookupEvents", Target::Any),
        ],
    )
    .await?;
    let opens = |action: &str| refused.reason(action).is_none();
    let menu = Menu {
        users: opens("iam:ListUsers"),
        groups: opens("iam:ListGroups"),
        roles: opens("iam:ListRoles"),
        policies: opens("iam:ListPolicies"),
        simulator: opens("iam:SimulateCustomPolicy"),
        settings: opens("iam:GetAccountPasswordPolicy"),
        audit: opens("cloudtrail:LookupEvents"),
    };
    let role = principal.role.as_ref().map(|r| {
        let ends = time::OffsetDateTime::from_unix_timestamp(r.expires)
            .map(|t| format!("{:02}:{:02} UTC", t.hour(), t.minute()))
            .unwrap_or_default();
        crate::api::roles::ActiveRole {
            role: r.role_name.clone(),
            arn: principal.arn(),
            ends,
        }
    });
    Ok(Some(Me {
        menu,
        role,
        name: principal.user.actor().to_string(),
        is_root: principal.user.is_root,
        account_id: principal.account_id.clone(),
        arn: principal.arn(),
        mfa_enabled: principal.user.mfa_enabled,
        root_needs_mfa,
        root_needs_user,
        regions: state
            .store
            .settings()
            .await
            .map_err(crate::ssr::auth::internal)?
            .regions,
        region: principal.region.clone(),
    }))
}

/// Switches the console to one of the account's regions: every later request carries
/// it as `aws:RequestedRegion`, so regional Deny statements apply as in AWS.
#[server]
pub async fn choose_region(region: String, back: String) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, session, signed_in, state, REGION_KEY};
    use crate::ssr::respond;
    signed_in().await?;
    let settings = state()?.store.settings().await.map_err(internal)?;
    if !settings.regions.contains(&region) {
        return Err(respond(AppError::field(
            "region",
            format!("\"{region}\" is not one of this account's regions."),
        )));
    }
    session()
        .await?
        .insert(REGION_KEY, region)
        .await
        .map_err(internal)?;
    crate::ssr::auth::redirect_back(&back, "/");
    Ok(())
}

/// First run: creates the account and its root user, and signs root in.
#[server]
pub async fn set_up_account(
    email: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, session, state};
    use crate::ssr::respond;
    let state = state()?;
    let email = email.trim().to_string();
    if let Err(message) = crate::validate::email(&email) {
        return Err(respond(AppError::field("email", message)));
    }
    let settings = state.store.settings().await.map_err(internal)?;
    server::check_new_password(&settings.password_policy, &password, &confirm, None).await?;
    let hash = server::hash(&password).await?;
    let ip = server::sign_in_ip().await;
    match state.store.set_up(&email, &hash, &ip).await {
        Ok(_) => {}
        Err(store::StoreError::AlreadySetUp) => {
            return Err(respond(AppError::Conflict(
                "This Portcullis is already set up. Sign in instead.".into(),
            )))
        }
        Err(e) => return Err(internal(e)),
    }
    let root = state
        .store
        .root_by_email(&email)
        .await
        .map_err(internal)?
        .ok_or(AppError::Internal)?;
    let session = session().await?;
    session.cycle_id().await.map_err(internal)?;
    let next = server::finish(&root, false, &settings).await?;
    leptos_axum::redirect(next);
    Ok(())
}

/// Sign-in with the root email or an IAM user name and the password.
#[server]
pub async fn sign_in(identity: String, password: String) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, session, state, SESSION_KEY};
    use crate::ssr::{respond, SessionState};
    use store::{Outcome, SignInRecord};
    let state = state()?;
    let ip = server::sign_in_ip().await;
    let identity = identity.trim().to_string();
    if identity.is_empty() {
        return Err(respond(AppError::field(
            "identity",
            "Enter your user name, or the root email address.",
        )));
    }
    if password.is_empty() {
        return Err(respond(AppError::field("password", "Enter your password.")));
    }
    if let Ok(addr) = ip.parse() {
        if !state.throttle.allow(addr) {
            let e = server::entry(
                &identity,
                "signin:ConsoleLogin",
                &ip,
                Outcome::Denied,
                "too many attempts from this address",
            );
            state.store.audit(&e).await.map_err(internal)?;
            return Err(respond(AppError::Busy(
                "Too many sign-in attempts from your address. Wait a few minutes and try again."
                    .into(),
            )));
        }
    }
    let settings = state.store.settings().await.map_err(internal)?;
    // The account's network rule comes before any lookup, so it says nothing about
    // which names exist.
    if !settings.sign_in_ranges.is_empty()
        && !settings
            .sign_in_ranges
            .iter()
            .filter_map(|r| policy::condition::Cidr::parse(r))
            .any(|r| r.contains(&ip))
    {
        state
            .store
            .audit(&server::entry(
                &identity,
                "signin:ConsoleLogin",
                &ip,
                Outcome::Denied,
                "source address outside the allowed sign-in ranges",
            ))
            .await
            .map_err(internal)?;
        return Err(respond(AppError::Forbidden(format!(
            "This account does not allow console sign-in from your network address ({ip}). Ask an administrator."
        ))));
    }
    let found = state
        .store
        .begin_sign_in(&identity, settings.lockout_threshold)
        .await
        .map_err(internal)?;
    // Always verify, against a dummy hash when there is nothing to check, so unknown,
    // locked and password-less users take as long as a wrong password.
    let hash = match &found {
        Some((u, SignInRecord::Counted)) => u.password_hash.clone(),
        _ => None,
    };
    let ok = state
        .hasher
        .verify(password, hash)
        .await
        .map_err(|e| respond(AppError::Busy(e.to_string())))?;
    let actor = found
        .as_ref()
        .map_or_else(|| identity.clone(), |(u, _)| u.actor().to_string());
    let failure =
        |detail: &str| server::entry(&actor, "signin:ConsoleLogin", &ip, Outcome::Failure, detail);
    let user = match found {
        Some((user, SignInRecord::Counted)) if ok => user,
        Some((user, SignInRecord::Counted)) => {
            state
                .store
                .fail_sign_in(
                    &user.id,
                    settings.lockout_threshold,
                    settings.lockout_minutes,
                    &failure("wrong password"),
                )
                .await
                .map_err(internal)?;
            return Err(respond(AppError::field("", server::SIGN_IN_FAILED)));
        }
        found => {
            let detail = if found.is_some() {
                "locked or no console password"
            } else {
                "unknown user"
            };
            state
                .store
                .audit(&failure(detail))
                .await
                .map_err(internal)?;
            return Err(respond(AppError::field("", server::SIGN_IN_FAILED)));
        }
    };
    let now = state.clock.now();
    if settings.password_policy.hard_expiry
        && server::password_expired(&user, &settings.password_policy, now)
    {
        state
            .store
            .audit(&server::entry(
                &actor,
                "signin:ConsoleLogin",
                &ip,
                Outcome::Denied,
                "password expired (hard expiry)",
            ))
            .await
            .map_err(internal)?;
        return Err(respond(AppError::Forbidden(
            "Your password has expired. Ask an administrator to reset it.".into(),
        )));
    }
    let session = session().await?;
    // A new session id at every sign-in: a planted id never becomes authenticated.
    session.cycle_id().await.map_err(internal)?;
    let next = if user.mfa_enabled {
        session
            .insert(
                SESSION_KEY,
                SessionState::MfaPending {
                    user_id: user.id.clone(),
                    started: now.unix_timestamp(),
                },
            )
            .await
            .map_err(internal)?;
        "/signin/mfa"
    } else {
        server::finish(&user, false, &settings).await?
    };
    state
        .store
        .succeed_sign_in(
            &user.id,
            &server::entry(
                &actor,
                "signin:ConsoleLogin",
                &ip,
                Outcome::Success,
                if user.mfa_enabled {
                    "password accepted; MFA required"
                } else {
                    "signed in"
                },
            ),
        )
        .await
        .map_err(internal)?;
    leptos_axum::redirect(next);
    Ok(())
}

/// The second factor: a TOTP code, or one of the recovery codes.
#[server]
pub async fn verify_mfa(code: String) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, read_state, session, state};
    use crate::ssr::{respond, SessionState};
    use store::Outcome;
    let state = state()?;
    let session = session().await?;
    let ip = server::sign_in_ip().await;
    let Some(SessionState::MfaPending { user_id, started }) = read_state(&session).await? else {
        return Err(respond(AppError::SignedOut));
    };
    let now = state.clock.now();
    if now.unix_timestamp() - started > 300 {
        session.flush().await.map_err(internal)?;
        return Err(respond(AppError::SignedOut));
    }
    let user = state
        .store
        .user_by_id(&user_id)
        .await
        .map_err(internal)?
        .ok_or(AppError::SignedOut)?;
    let actor = user.actor().to_string();
    let code = code.trim().to_string();
    let accepted =
        if code.len() == identity::totp::DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
            let seed = crate::api::credentials::open_seed(&state, &user)?;
            match identity::totp::verify(
                &seed,
                &code,
                u64::try_from(now.unix_timestamp()).unwrap_or(0),
                user.mfa_last_step,
            ) {
                Some(step) => state
                    .store
                    .accept_mfa_step(&user.id, step)
                    .await
                    .map_err(internal)?,
                None => false,
            }
        } else {
            let hash = identity::totp::hash_recovery_code(&code);
            state
                .store
                .use_recovery_code(&user.id, &hash)
                .await
                .map_err(internal)?
        };
    if !accepted {
        state
            .store
            .audit(&server::entry(
                &actor,
                "signin:MFAVerify",
                &ip,
                Outcome::Failure,
                "wrong or reused code",
            ))
            .await
            .map_err(internal)?;
        return Err(respond(AppError::field("code", "That code is wrong or was already used. Enter the current code from your authenticator app, or a recovery code.")));
    }
    state
        .store
        .audit(&server::entry(
            &actor,
            "signin:MFAVerify",
            &ip,
            Outcome::Success,
            "MFA accepted",
        ))
        .await
        .map_err(internal)?;
    let settings = state.store.settings().await.map_err(internal)?;
    let next = server::finish(&user, true, &settings).await?;
    leptos_axum::redirect(next);
    Ok(())
}

/// The forced change after sign-in (reset required, or the password expired).
#[server]
pub async fn change_required_password(password: String, confirm: String) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, read_state, session, state, SESSION_KEY};
    use crate::ssr::{respond, SessionState};
    use store::Outcome;
    let state = state()?;
    let session = session().await?;
    let ip = server::sign_in_ip().await;
    let Some(SessionState::PasswordChange {
        user_id,
        signed_in_at,
        mfa,
    }) = read_state(&session).await?
    else {
        return Err(respond(AppError::SignedOut));
    };
    let user = state
        .store
        .user_by_id(&user_id)
        .await
        .map_err(internal)?
        .ok_or(AppError::SignedOut)?;
    let policy = state
        .store
        .settings()
        .await
        .map_err(internal)?
        .password_policy;
    server::check_new_password(&policy, &password, &confirm, Some(&user.id)).await?;
    if let Some(old) = &user.password_hash {
        if state
            .hasher
            .verify(password.clone(), Some(old.clone()))
            .await
            .map_err(|e| respond(AppError::Busy(e.to_string())))?
        {
            return Err(respond(AppError::field(
                "password",
                "Choose a password different from your current one.",
            )));
        }
    }
    let hash = server::hash(&password).await?;
    let actor = user.actor().to_string();
    let audit = server::entry(
        &actor,
        "iam:ChangePassword",
        &ip,
        Outcome::Success,
        "password changed at sign-in",
    );
    state
        .store
        .set_password(&user.id, &hash, false, &audit)
        .await
        .map_err(internal)?;
    let now = state.clock.now().unix_timestamp();
    session
        .insert(
            SESSION_KEY,
            SessionState::SignedIn {
                user_id: user.id,
                signed_in_at,
                last_seen: now,
                mfa,
            },
        )
        .await
        .map_err(internal)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Ends the session everywhere it is stored.
#[server]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::auth::{internal, session, state};
    use store::Outcome;
    let state = state()?;
    let ip = server::sign_in_ip().await;
    if let Ok(principal) = crate::ssr::current().await {
        state
            .store
            .audit(&server::entry(
                &principal.actor(),
                "signin:ConsoleLogout",
                &ip,
                Outcome::Success,
                "signed out",
            ))
            .await
            .map_err(internal)?;
    }
    session().await?.flush().await.map_err(internal)?;
    leptos_axum::redirect("/signin");
    Ok(())
}
