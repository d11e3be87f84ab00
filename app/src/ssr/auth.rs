//! Who is signed in, checked on every server function call.
//!
//! The session holds only a stage and ids; the user row is read each time, so a
//! deleted user, a disabled password or changed settings take effect at once, on every
//! server process.

use axum::extract::ConnectInfo;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use store::{AuditEntry, Outcome, User};
use tower_sessions::Session;

use super::state::AppState;
use crate::error::AppError;

pub const SESSION_KEY: &str = "auth";
/// The region the console is switched to, as `aws:RequestedRegion`.
pub const REGION_KEY: &str = "region";
/// The role session started by "Switch role", if any.
pub const ROLE_KEY: &str = "role";

/// Where a session stands in the sign-in flow.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum SessionState {
    /// Password accepted; a TOTP or recovery code is still needed.
    MfaPending { user_id: String, started: i64 },
    /// Signed in but must choose a new password before anything else.
    PasswordChange {
        user_id: String,
        signed_in_at: i64,
        mfa: bool,
    },
    SignedIn {
        user_id: String,
        signed_in_at: i64,
        last_seen: i64,
        mfa: bool,
    },
}

/// A session of an assumed role: the console acts as the role until it ends or the
/// user goes back to their own identity.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RoleSession {
    /// Who switched; a session left behind by another sign-in is ignored.
    pub user_id: String,
    pub role_id: String,
    pub role_name: String,
    pub role_arn: String,
    pub started: i64,
    pub expires: i64,
}

/// How AWS names a role session: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
pub fn role_session_arn(account: &str, role: &str, session: &str) -> String {
    format!("arn:aws:sts::{account}:assumed-role/{role}/{session}")
}

/// The signed-in identity.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub account_id: String,
    /// Whether this session passed MFA.
    pub mfa: bool,
    pub signed_in_at: i64,
    /// The region chosen in the console (the account's first region until then).
    pub region: String,
    /// The role the user switched to, while its session lasts.
    pub role: Option<RoleSession>,
}

impl Principal {
    /// How the audit log names this principal: the user, or the role session as AWS
    /// names it (`assumed-role/Auditor/alice`).
    pub fn actor(&self) -> String {
        match &self.role {
            Some(role) => format!("assumed-role/{}/{}", role.role_name, self.user.name),
            None => self.user.actor().to_string(),
        }
    }

    /// The ARN the engine sees: the user's, or the role session's.
    pub fn arn(&self) -> String {
        match &self.role {
            Some(role) => role_session_arn(&self.account_id, &role.role_name, &self.user.name),
            None => self.user.arn.clone(),
        }
    }

    pub fn audit(
        &self,
        action: &'static str,
        target: &str,
        ip: &str,
        detail: impl Into<String>,
    ) -> AuditEntry {
        AuditEntry {
            actor: self.actor(),
            action,
            target: target.into(),
            source_ip: ip.into(),
            outcome: Outcome::Success,
            detail: detail.into(),
        }
    }
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or(AppError::Internal)
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!("no session layer: {e}");
        AppError::Internal
    })
}

/// The caller's address: the socket's, or the one a trusted proxy forwarded.
pub async fn client_ip() -> String {
    let Ok(ConnectInfo(addr)) = leptos_axum::extract::<ConnectInfo<SocketAddr>>().await else {
        return String::new();
    };
    let Some(state) = use_context::<AppState>() else {
        return addr.ip().to_string();
    };
    let parts = use_context::<http::request::Parts>();
    let forwarded: Vec<&str> = parts
        .as_ref()
        .map(|p| {
            p.headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect()
        })
        .unwrap_or_default();
    state.proxies.client(addr.ip(), &forwarded).to_string()
}

/// Whether this request came over TLS, as a trusted proxy reports it
/// (`aws:SecureTransport`).
pub fn secure_transport() -> bool {
    let (Some(state), Some(parts)) = (
        use_context::<AppState>(),
        use_context::<http::request::Parts>(),
    ) else {
        return false;
    };
    let Some(ConnectInfo(addr)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
        return false;
    };
    let proto: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-proto")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    state.proxies.secure(addr.ip(), &proto)
}

pub fn internal(error: impl std::fmt::Display) -> AppError {
    tracing::error!("{error}");
    AppError::Internal
}

/// Sets the HTTP status of an error for script callers. A plain form post (no wasm
/// yet) keeps Leptos's redirect back to the form, which carries the error.
pub fn respond(error: AppError) -> AppError {
    let html_form = use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if !html_form {
        if let (Some(response), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(error.status()),
        ) {
            response.set_status(status);
        }
    }
    error
}

/// Whether a form's return address is a path on this site: `//host` and `/\\host`
/// would send the browser elsewhere.
pub fn is_local_path(back: &str) -> bool {
    back.starts_with('/')
        && !back
            .get(1..)
            .is_some_and(|rest| rest.starts_with(['/', '\\']))
}

/// Redirects to `back` when it is a path on this site, else to `fallback`.
pub fn redirect_back(back: &str, fallback: &str) {
    leptos_axum::redirect(if is_local_path(back) { back } else { fallback });
}

pub async fn read_state(session: &Session) -> Result<Option<SessionState>, AppError> {
    session
        .get::<SessionState>(SESSION_KEY)
        .await
        .map_err(internal)
}

/// The principal resolved once per request: a page render asks from the layout, the
/// page and its guards at the same time, and all of them need the same session and
/// user row. Concurrent askers wait for the one lookup instead of racing it.
#[derive(Clone, Default)]
pub struct RequestPrincipal(std::sync::Arc<tokio::sync::OnceCell<Result<Principal, AppError>>>);

/// The signed-in principal, after checking the idle and absolute session limits of
/// the account settings; refreshes the idle timer at most once a minute.
pub async fn current() -> Result<Principal, AppError> {
    match use_context::<RequestPrincipal>() {
        Some(memo) => memo.0.get_or_init(resolve).await.clone(),
        None => resolve().await,
    }
}

async fn resolve() -> Result<Principal, AppError> {
    let state = state()?;
    let session = session().await?;
    let Some(SessionState::SignedIn {
        user_id,
        signed_in_at,
        last_seen,
        mfa,
    }) = read_state(&session).await?
    else {
        return Err(respond(AppError::SignedOut));
    };
    let settings = state.store.settings().await.map_err(internal)?;
    let now = state.clock.now().unix_timestamp();
    let idle_limit = i64::from(settings.session_idle_minutes) * 60;
    let absolute_limit = i64::from(settings.session_max_hours) * 3600;
    if now - last_seen > idle_limit || now - signed_in_at > absolute_limit {
        session.flush().await.map_err(internal)?;
        return Err(AppError::SignedOut);
    }
    let Some(user) = state.store.user_by_id(&user_id).await.map_err(internal)? else {
        session.flush().await.map_err(internal)?;
        return Err(AppError::SignedOut);
    };
    if now - last_seen > 60 {
        let refreshed = SessionState::SignedIn {
            user_id,
            signed_in_at,
            last_seen: now,
            mfa,
        };
        session
            .insert(SESSION_KEY, refreshed)
            .await
            .map_err(internal)?;
    }
    let account_id = state
        .store
        .account_id()
        .await
        .map_err(internal)?
        .unwrap_or_default();
    let chosen: Option<String> = session.get(REGION_KEY).await.map_err(internal)?;
    let region = chosen
        .filter(|r| settings.regions.contains(r))
        .or_else(|| settings.regions.first().cloned())
        .unwrap_or_default();
    let role: Option<RoleSession> = session.get(ROLE_KEY).await.map_err(internal)?;
    // An ended role session returns the console to the user's own identity.
    let role = role.filter(|r| r.user_id == user.id && r.expires > now);
    Ok(Principal {
        user,
        account_id,
        mfa,
        signed_in_at,
        region,
        role,
    })
}

/// [`current`] for server functions: a missing session answers 401 to scripts.
pub async fn signed_in() -> Result<Principal, AppError> {
    current().await.map_err(respond)
}

#[cfg(test)]
mod tests {
    #[test]
    fn return_addresses_stay_on_the_site() {
        assert!(super::is_local_path("/groups/readers"));
        assert!(super::is_local_path("/"));
        for elsewhere in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "",
            "groups",
        ] {
            assert!(!super::is_local_path(elsewhere), "{elsewhere}");
        }
    }
}
