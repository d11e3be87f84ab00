//! CSRF protection: a state-changing request must come from our own pages.
//!
//! Browsers send `Origin` on every POST (and `Referer` as a fallback); a request whose
//! origin is another site is refused before it reaches a handler. With the session
//! cookie's SameSite=Lax this closes cross-site form posts and fetches alike, without
//! tokens in every form (which would break forms posted before the wasm loads).

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, Method, StatusCode};

pub async fn same_origin_only(request: Request<Body>, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // scheme://host[:port][/path]: compare the authority with Host.
    let authority = source
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default());
    if !host.is_empty() && authority == Some(host) {
        return next.run(request).await;
    }
    tracing::warn!(origin = source, host, "refused a cross-site request");
    (
        StatusCode::FORBIDDEN,
        "Cross-site request refused: state changes must come from the Portcullis console itself.",
    )
        .into_response()
}
