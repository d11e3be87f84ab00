//! Security headers on every response: a Content-Security-Policy with a fresh nonce
//! per request (Leptos puts it on its hydration scripts, so no other script runs),
//! HSTS behind TLS, no caching of anything but the static bundle (pages carry TOTP
//! secrets, recovery codes and generated passwords), and no framing or sniffing.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{header, HeaderValue};
use leptos::config::LeptosOptions;

#[derive(Clone)]
pub struct Headers {
    secure: bool,
    /// The live-reload socket in development (`cargo leptos watch`).
    reload: Option<String>,
}

impl Headers {
    pub fn new(secure: bool, options: &LeptosOptions) -> Headers {
        let reload = (std::env::var_os("LEPTOS_WATCH").is_some())
            .then(|| format!("ws://{}:{}", options.site_addr.ip(), options.reload_port));
        Headers { secure, reload }
    }
}

pub async fn security_headers(
    State(config): State<Headers>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let nonce = leptos::nonce::Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let static_file = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let connect = match &config.reload {
        Some(reload) => format!("'self' {reload}"),
        None => "'self'".to_string(),
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src {connect}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    if config.secure {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    if !static_file {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Same-origin referrers let forms posted without JavaScript come back with errors.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}
