//! A server function whose arguments do not decode (a field left out of a crafted
//! post, a number that is not one) is the caller's mistake: Leptos answers it with a
//! 500, which this layer turns into the 400 it is. Real failures keep their 500.

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;
use leptos::server_fn::error::ServerFnErrorErr;

use app::error::AppError;

/// Error bodies are small; anything larger is left as it is.
const LIMIT: usize = 64 * 1024;

pub async fn bad_arguments_are_400(request: Request<Body>, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, LIMIT).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(AppError::ServerFn(
        ServerFnErrorErr::Args(_)
        | ServerFnErrorErr::MissingArg(_)
        | ServerFnErrorErr::Deserialization(_),
    )) = serde_json::from_slice::<AppError>(&bytes)
    {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}
