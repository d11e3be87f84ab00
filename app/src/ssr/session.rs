//! The browser's session and the request's facts, turned into the service's terms:
//! a [`Caller`] built once per request, and the session changes each sign-in step
//! asks for applied here. Errors from the service become responses in one place,
//! [`respond`].

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};
use service::{Caller, RequestFacts, ServiceError, SessionChange, SessionState, Transition};
use tower_sessions::Session;

use super::state;
use crate::error::AppError;
use model::session::Stage;

/// Where the sign-in state lives in the session.
pub(crate) const SESSION_KEY: &str = "auth";
/// The region the console is switched to, as `aws:RequestedRegion`.
pub(crate) const REGION_KEY: &str = "region";
/// The id of the role session started by "Switch role", if any.
pub(crate) const ROLE_KEY: &str = "role";

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| internal(format!("no session layer: {e}")))
}

fn internal(error: impl std::fmt::Display) -> AppError {
    tracing::error!("{error}");
    AppError::Internal
}

/// What the request itself tells: the client's address (through trusted proxies
/// only) and whether it came over TLS.
pub fn facts() -> RequestFacts {
    let (Some(state), Some(parts)) = (
        use_context::<super::AppState>(),
        use_context::<http::request::Parts>(),
    ) else {
        return RequestFacts::default();
    };
    let socket = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    state.proxies.facts(socket, &parts.headers)
}

/// The `Host` the request came to.
pub fn host() -> String {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        })
        .unwrap_or_default()
}

/// The status a plain route (an upload, an export) answers a refusal with: 401 signed
/// out, 403 refused by policy, and so on, as server functions do.
pub fn status_of(error: &ServiceError) -> http::StatusCode {
    http::StatusCode::from_u16(AppError::from(error.clone()).status())
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
}

/// The service's error as the console answers it: the error itself, with its HTTP
/// status set for script callers. A plain form post (no wasm yet) keeps Leptos's
/// redirect back to the form, which carries the error.
pub fn respond(error: ServiceError) -> AppError {
    refuse(AppError::from(error))
}

/// An error the console raises itself, with its HTTP status set for script callers as
/// [`respond`] does for the service's.
pub fn refuse(error: AppError) -> AppError {
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

/// The session's sign-in state.
pub async fn sign_in_state(session: &Session) -> Result<Option<SessionState>, AppError> {
    session
        .get::<SessionState>(SESSION_KEY)
        .await
        .map_err(internal)
}

/// Applies what a step asked of the session.
pub async fn apply(session: &Session, change: SessionChange) -> Result<(), AppError> {
    match change {
        SessionChange::Keep => {}
        SessionChange::Start(state) => {
            // A fresh session under a new id: nothing from before carries over, and a
            // planted id never becomes authenticated.
            session.clear().await;
            session.cycle_id().await.map_err(internal)?;
            session.insert(SESSION_KEY, state).await.map_err(internal)?;
        }
        SessionChange::Set(state) => session.insert(SESSION_KEY, state).await.map_err(internal)?,
        SessionChange::End => session.flush().await.map_err(internal)?,
    }
    Ok(())
}

/// Applies a sign-in step and answers where the browser goes next.
pub async fn step(transition: Transition) -> Result<Stage, AppError> {
    let session = session().await?;
    apply(&session, transition.session).await?;
    transition.outcome.map_err(respond)
}

/// The caller resolved once per request: a page render asks from the layout, the
/// page and its guards at the same time, and all of them need the same session and
/// user row. Concurrent askers wait for the one lookup instead of racing it.
#[derive(Clone, Default)]
pub struct RequestCaller(std::sync::Arc<tokio::sync::OnceCell<Result<Caller, AppError>>>);

impl RequestCaller {
    /// A caller the page guard already resolved for this request.
    pub fn resolved(caller: Caller) -> RequestCaller {
        RequestCaller(std::sync::Arc::new(tokio::sync::OnceCell::new_with(Some(
            Ok(caller),
        ))))
    }
}

/// The signed-in caller of this request; a missing or ended session answers 401 to
/// scripts.
pub async fn caller() -> Result<Caller, AppError> {
    match use_context::<RequestCaller>() {
        Some(memo) => memo.0.get_or_init(resolve).await.clone(),
        None => resolve().await,
    }
}

async fn resolve() -> Result<Caller, AppError> {
    let state = state()?;
    let session = session().await?;
    let current = sign_in_state(&session).await?;
    let role: Option<String> = session.get(ROLE_KEY).await.map_err(internal)?;
    let region: Option<String> = session.get(REGION_KEY).await.map_err(internal)?;
    let (caller, change) = state
        .service
        .resolve(current.as_ref(), role.as_deref(), region, facts())
        .await;
    apply(&session, change).await?;
    caller.map_err(respond)
}

/// Remembers the region the console acts in.
pub async fn set_region(region: String) -> Result<(), AppError> {
    session()
        .await?
        .insert(REGION_KEY, region)
        .await
        .map_err(internal)
}

/// Holds (`Some`) or forgets the role session the console acts in.
pub async fn set_role_session(id: Option<String>) -> Result<(), AppError> {
    let session = session().await?;
    match id {
        Some(id) => session.insert(ROLE_KEY, id).await.map_err(internal),
        None => session
            .remove::<String>(ROLE_KEY)
            .await
            .map(|_| ())
            .map_err(internal),
    }
}

/// Takes on the new session epoch after changing one's own password or MFA, so
/// this session goes on while every other one ends.
pub async fn restamp(epoch: i64) -> Result<(), AppError> {
    let session = session().await?;
    if let Some(SessionState::SignedIn {
        user_id,
        signed_in_at,
        last_seen,
        mfa,
        ..
    }) = sign_in_state(&session).await?
    {
        session
            .insert(
                SESSION_KEY,
                SessionState::SignedIn {
                    user_id,
                    signed_in_at,
                    last_seen,
                    mfa,
                    epoch,
                },
            )
            .await
            .map_err(internal)?;
    }
    Ok(())
}

/// Keeps a value for the next page only (a generated password, recovery codes).
pub async fn flash<T: Serialize + Send + Sync>(key: &str, value: T) -> Result<(), AppError> {
    session().await?.insert(key, value).await.map_err(internal)
}

/// Takes a value kept by [`flash`], once.
pub async fn take_flash<T: DeserializeOwned>(key: &str) -> Result<Option<T>, AppError> {
    session().await?.remove(key).await.map_err(internal)
}

/// Forgets the session (sign-out).
pub async fn end() -> Result<(), AppError> {
    session().await?.flush().await.map_err(internal)
}

/// What a plain axum handler (billing uploads and exports) needs to resolve its
/// caller, taken from the request before any await (a request body is not `Sync`).
pub fn session_and_facts(
    state: &super::AppState,
    request: &axum::extract::Request,
) -> Result<(Session, RequestFacts), ServiceError> {
    let session = request
        .extensions()
        .get::<Session>()
        .cloned()
        .ok_or(ServiceError::Internal)?;
    let socket = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    let facts = state.proxies.facts(socket, request.headers());
    Ok((session, facts))
}

/// The caller of that handler, resolved from its session exactly as a page's is.
pub async fn caller_of_session(
    state: &super::AppState,
    session: Session,
    facts: RequestFacts,
) -> Result<Caller, ServiceError> {
    let current: Option<SessionState> = session
        .get(SESSION_KEY)
        .await
        .map_err(|_| ServiceError::SignedOut)?;
    let role: Option<String> = session.get(ROLE_KEY).await.ok().flatten();
    let region: Option<String> = session.get(REGION_KEY).await.ok().flatten();
    let (caller, change) = state
        .service
        .resolve(current.as_ref(), role.as_deref(), region, facts)
        .await;
    if let Err(e) = apply(&session, change).await {
        tracing::warn!("cannot update the session: {e}");
    }
    caller
}
