//! The HTTP server: router, layers, health checks and graceful shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use app::ssr::state::{AppState, Clock};
use app::ssr::throttle::Throttle;
use app::ssr::PolicyCache;
use app::{shell, App};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use identity::hashing::PasswordHasher;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::Config;
use crate::database;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Builds the application router on an opened database.
pub async fn router(secure_cookies: bool, state: AppState) -> Result<Router, BoxError> {
    let sessions = crate::sessions::Sessions::open(state.store.pool().clone()).await?;
    tokio::spawn(
        sessions
            .clone()
            .continuously_delete_expired(tokio::time::Duration::from_secs(300)),
    );
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name("portcullis.sid")
        .with_secure(secure_cookies)
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        // A backstop: the account's idle and absolute limits are enforced per request.
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(24)));
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let ready_store = state.store.clone();
    let app = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || {
                    provide_context(state.clone());
                    provide_context(app::ssr::auth::RequestPrincipal::default());
                }
            },
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(session_layer)
        .layer(axum::middleware::from_fn(crate::csrf::same_origin_only))
        .layer(axum::middleware::map_response(security_headers))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let store = ready_store.clone();
                async move {
                    if store.ping().await {
                        (StatusCode::OK, "ready").into_response()
                    } else {
                        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
                    }
                }
            }),
        )
        .with_state(state);
    Ok(app)
}

async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    let headers = response.headers_mut();
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

/// The Leptos options, with the site address and output name of this binary.
pub fn leptos_options(config: &Config) -> Result<LeptosOptions, BoxError> {
    let conf = get_configuration(None)?;
    let mut options = conf.leptos_options;
    options.site_addr = config.listen;
    options.output_name = "portcullis".into();
    Ok(options)
}

pub async fn serve(config: Config) -> Result<(), BoxError> {
    let mut db = database::open(&config).await?;
    let secrets = database::secret_box(&config)?;
    let state = AppState {
        leptos_options: leptos_options(&config)?,
        store: db.store.clone(),
        hasher: PasswordHasher::for_this_machine()?,
        secrets,
        throttle: Throttle::new(config.sign_in_rate, Duration::from_secs(300)),
        clock: Clock::system(),
        policies: PolicyCache::new(),
        proxies: app::ssr::client::TrustedProxies::new(config.trusted_proxies.clone()),
    };
    let cache = state.policies.clone();
    state.store.watch_changes(move || cache.clear());
    let app = router(config.secure_cookies, state).await?;
    // Responses go out as soon as they are written: with Nagle's algorithm on, a kept-
    // alive connection can wait for the browser's delayed ACK (40 ms) between segments.
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await?
        .tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!("TCP_NODELAY: {e}");
            }
        });
    tracing::info!("Portcullis is listening on http://{}", config.listen);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("shutting down");
    db.store.pool().close().await;
    if let Some(cluster) = db.cluster.as_mut() {
        tokio::task::block_in_place(|| cluster.stop());
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
