//! Every console page answers a real redirect from the server when the browser is
//! not where that page belongs: `303 See Other` to `/setup` before first run, to
//! `/signin` when signed out, to the MFA or password-change step when one is due,
//! and away from the sign-in pages once signed in. So curl, a screen reader or a
//! browser before the wasm loads never gets an empty shell.

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, Method, StatusCode};
use model::session::Stage;
use service::SessionState;
use std::net::SocketAddr;
use tower_sessions::Session;

use super::session::{apply, RequestCaller, REGION_KEY, ROLE_KEY, SESSION_KEY};
use super::AppState;

/// Paths that are not pages: the wasm bundle and styles, server functions, health.
fn is_page(path: &str) -> bool {
    !(path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path == "/healthz"
        || path == "/readyz"
        || path == "/favicon.ico")
}

/// Where a browser at `stage` must go instead of `path`, if anywhere.
fn misplaced(stage: Stage, path: &str) -> Option<&'static str> {
    let path = path.trim_end_matches('/');
    let here = match path {
        "/setup" => Some(Stage::SetUp),
        "/signin" => Some(Stage::SignIn),
        "/signin/mfa" => Some(Stage::Mfa),
        "/change-password" => Some(Stage::ChangePassword),
        _ => None,
    };
    match (stage, here) {
        (Stage::SignedIn, None) => None,
        (stage, Some(page)) if stage == page => None,
        // Starting over is always possible while a sign-in is half done.
        (Stage::Mfa | Stage::ChangePassword, Some(Stage::SignIn)) => None,
        (stage, _) => Some(stage.path()),
    }
}

/// The middleware: decides the browser's stage (resolving the signed-in caller once,
/// which the page's own server calls then reuse) and redirects misplaced page loads.
pub async fn guard_pages(
    State(state): State<AppState>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) || !is_page(request.uri().path()) {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return next.run(request).await;
    };
    let stage = match stage(&state, &session, &mut request).await {
        Ok(stage) => stage,
        Err(response) => return response,
    };
    match misplaced(stage, request.uri().path()) {
        Some(to) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, to), (header::CACHE_CONTROL, "no-store")],
        )
            .into_response(),
        None => next.run(request).await,
    }
}

async fn stage(
    state: &AppState,
    session: &Session,
    request: &mut Request<Body>,
) -> Result<Stage, Response> {
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!("page guard: {e}");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "The console is unavailable; try again shortly.",
        )
            .into_response()
    };
    let current = session
        .get::<SessionState>(SESSION_KEY)
        .await
        .map_err(|e| unavailable(&e))?;
    if !matches!(current, Some(SessionState::SignedIn { .. })) {
        return state
            .service
            .stage(current.as_ref())
            .await
            .map_err(|e| unavailable(&e));
    }
    let role: Option<String> = session.get(ROLE_KEY).await.map_err(|e| unavailable(&e))?;
    let region: Option<String> = session.get(REGION_KEY).await.map_err(|e| unavailable(&e))?;
    let socket = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    let facts = state.proxies.facts(socket, request.headers());
    let (caller, change) = state
        .service
        .resolve(current.as_ref(), role.as_deref(), region, facts)
        .await;
    apply(session, change).await.map_err(|e| unavailable(&e))?;
    match caller {
        Ok(caller) => {
            request
                .extensions_mut()
                .insert(RequestCaller::resolved(caller));
            Ok(Stage::SignedIn)
        }
        Err(service::ServiceError::SignedOut) => {
            state.service.stage(None).await.map_err(|e| unavailable(&e))
        }
        Err(e) => Err(unavailable(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_has_its_pages() {
        assert_eq!(misplaced(Stage::SetUp, "/"), Some("/setup"));
        assert_eq!(misplaced(Stage::SetUp, "/signin"), Some("/setup"));
        assert_eq!(misplaced(Stage::SetUp, "/setup"), None);
        assert_eq!(misplaced(Stage::SignIn, "/users"), Some("/signin"));
        assert_eq!(misplaced(Stage::SignIn, "/setup"), Some("/signin"));
        assert_eq!(misplaced(Stage::SignIn, "/signin"), None);
        assert_eq!(misplaced(Stage::Mfa, "/"), Some("/signin/mfa"));
        assert_eq!(misplaced(Stage::Mfa, "/signin"), None);
        assert_eq!(
            misplaced(Stage::ChangePassword, "/users"),
            Some("/change-password")
        );
        assert_eq!(misplaced(Stage::SignedIn, "/signin"), Some("/"));
        assert_eq!(misplaced(Stage::SignedIn, "/users/alice"), None);
        assert!(!is_page("/pkg/portcullis.wasm"));
        assert!(!is_page("/api/sign_in123"));
    }
}
