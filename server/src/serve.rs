//! The HTTP server: router, layers, health checks and graceful shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use app::ssr::session::RequestCaller;
use app::ssr::AppState;
use app::{shell, App};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use identity::hashing::PasswordHasher;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use service::{Clock, Options, Service, SetupAccess};
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::Config;
use crate::database;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What every request's Leptos context holds: the state, the caller resolved by the
/// page guard (or an empty slot to resolve it once), and the CSP nonce.
fn request_context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let state = state.clone();
    move || {
        provide_context(state.clone());
        let parts = use_context::<http::request::Parts>();
        let caller = parts
            .as_ref()
            .and_then(|p| p.extensions.get::<RequestCaller>().cloned())
            .unwrap_or_default();
        provide_context(caller);
        if let Some(nonce) = parts
            .as_ref()
            .and_then(|p| p.extensions.get::<leptos::nonce::Nonce>().cloned())
        {
            provide_context(nonce);
        }
    }
}

/// Builds the application router on an opened database.
pub async fn router(secure_cookies: bool, state: AppState) -> Result<Router, BoxError> {
    let sessions = crate::sessions::Sessions::open(state.service.store().pool().clone()).await?;
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
    let ready_store = state.service.store().clone();
    let context = request_context(&state);
    let app = Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .route(
            "/spend/export.csv",
            axum::routing::get(app::ssr::export::export_costs),
        )
        .route(
            "/spend/upload",
            axum::routing::post(app::ssr::upload::upload_costs)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            app::ssr::pages::guard_pages,
        ))
        .layer(axum::middleware::from_fn(
            crate::api_errors::bad_arguments_are_400,
        ))
        .layer(session_layer)
        .layer(axum::middleware::from_fn(crate::csrf::same_origin_only))
        .layer(axum::middleware::from_fn_with_state(
            crate::headers::Headers::new(secure_cookies, &options),
            crate::headers::security_headers,
        ))
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
        // The AWS-compatible API shares the console's port: it takes `POST /` and
        // signed `GET /?Action=…` before any console layer (sessions, CSRF) sees them.
        .layer(axum::middleware::from_fn_with_state(
            aws_api::ApiState {
                service: state.service.clone(),
                proxies: state.proxies.clone(),
            },
            aws_api::intercept,
        ))
        .with_state(state);
    Ok(app)
}

/// The Leptos options, with the site address and output name of this binary.
pub fn leptos_options(config: &Config) -> Result<LeptosOptions, BoxError> {
    let conf = get_configuration(None)?;
    let mut options = conf.leptos_options;
    options.site_addr = config.listen;
    options.output_name = "portcullis".into();
    Ok(options)
}

/// Who may run first-run setup: on a loopback address only this machine can reach
/// the console; beyond it, whoever reads the server log (the token).
async fn setup_access(
    config: &Config,
    service_store: &store::Store,
) -> Result<SetupAccess, BoxError> {
    if config.listen.ip().is_loopback() {
        return Ok(SetupAccess::Loopback);
    }
    let token = identity::secret_box::SecretBox::generate_key()
        .get(..24)
        .unwrap_or_default()
        .to_string();
    if !service_store.is_set_up().await? {
        tracing::warn!(
            "Portcullis listens on {} (reachable from other machines). First-run setup token: {token}",
            config.listen
        );
        eprintln!("First-run setup token (enter it on the setup page): {token}");
    }
    Ok(SetupAccess::Token(token))
}

pub async fn serve(config: Config) -> Result<(), BoxError> {
    let mut db = database::open(&config).await?;
    let secrets = database::secret_box(&config)?;
    let options = Options {
        sign_in_rate: config.sign_in_rate,
        sign_in_window_seconds: 300,
        setup: setup_access(&config, &db.store).await?,
        account_id: config.account_id.clone(),
        smtp: config.smtp.clone(),
    };
    let service = Service::new(
        db.store.clone(),
        PasswordHasher::for_this_machine()?,
        secrets,
        Clock::system(),
        options,
    );
    if let Some((id, secret)) = &config.bootstrap_root_key {
        if service.bootstrap_root_key(id, secret).await? {
            tracing::info!("created the bootstrap root access key {id}");
        }
    }
    service.watch_changes();
    prune_sign_in_attempts(service.clone());
    watch_budgets(service.clone());
    flush_key_uses(service.clone());
    let state_service = service.clone();
    let state = AppState {
        cost_limits: config.cost_limits,
        leptos_options: leptos_options(&config)?,
        service,
        proxies: service::proxies::TrustedProxies::new(config.trusted_proxies.clone()),
    };
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
    if let Err(e) = state_service.flush_audit().await {
        tracing::warn!("writing audit rows at shutdown: {e}");
    }
    if let Err(e) = state_service.flush_key_uses().await {
        tracing::warn!("recording access key use at shutdown: {e}");
    }
    db.store.pool().close().await;
    if let Some(cluster) = db.cluster.as_mut() {
        tokio::task::block_in_place(|| cluster.stop());
    }
    Ok(())
}

/// Forgets ended sign-in windows and long-expired temporary credentials every few
/// minutes, so those tables stay small.
fn prune_sign_in_attempts(service: Service) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(300)).await;
            let now = service.clock().now();
            if let Err(e) = service.store().prune_sign_in_attempts(300, now).await {
                tracing::warn!("pruning sign-in attempts: {e}");
            }
            if let Err(e) = service.store().prune_temporary_credentials(now).await {
                tracing::warn!("pruning expired temporary credentials: {e}");
            }
        }
    });
}

/// Writes the API's read audit rows every half second and access keys' last uses
/// every ten seconds, each in one statement, instead of a write per request.
fn flush_key_uses(service: Service) {
    tokio::spawn(async move {
        let mut tick: u64 = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if let Err(e) = service.flush_audit().await {
                tracing::warn!("writing audit rows: {e}");
            }
            if tick % 20 == 19 {
                if let Err(e) = service.flush_key_uses().await {
                    tracing::warn!("recording access key use: {e}");
                }
            }
            tick += 1;
        }
    });
}

/// Sends due budget webhooks every few seconds (claimed in PostgreSQL, so several
/// servers never send one twice) and evaluates budgets every five minutes.
fn watch_budgets(service: Service) {
    tokio::spawn(async move {
        let mut tick: u64 = 0;
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            if tick % 60 == 0 {
                if let Err(e) = service.evaluate_budgets().await {
                    tracing::warn!("evaluating budgets: {e}");
                }
            }
            if let Err(e) = service.deliver_webhooks().await {
                tracing::warn!("sending budget webhooks: {e}");
            }
            tick += 1;
        }
    });
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
