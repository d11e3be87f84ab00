//! Leptos answers every server-function error with a 500. The caller's mistakes are
//! not: arguments that do not decode (a field left out of a crafted post, a number that
//! is not one) and errors the console raises itself before the service (a field that
//! names no dimension, a date that is no date) get the status of their `AppError`.
//! Real failures keep their 500.

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;
use leptos::server_fn::error::ServerFnErrorErr;

use app::error::AppError;

/// Error bodies are small; anything larger is left as it is.
const LIMIT: usize = 64 * 1024;

pub async fn client_errors_keep_their_status(request: Request<Body>, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    // The console's own pages read an error only from a 500, as `respond()` knows: they
    // keep it; scripts get the error's status.
    let page = request
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let response = next.run(request).await;
    if !api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, LIMIT).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let status = match serde_json::from_slice::<AppError>(&bytes) {
        Ok(AppError::ServerFn(
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_),
        )) => Some(StatusCode::BAD_REQUEST),
        Ok(AppError::ServerFn(_) | AppError::Internal) | Err(_) => None,
        Ok(_) if page => None,
        Ok(error) => StatusCode::from_u16(error.status()).ok(),
    };
    if let Some(status) = status {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}
