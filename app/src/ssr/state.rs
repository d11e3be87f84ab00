//! The state every request shares, provided to server functions as context.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use service::Service;

use service::proxies::TrustedProxies;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub service: Service,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub proxies: TrustedProxies,
    /// Limits on one billing upload.
    pub cost_limits: service::costs::ImportLimits,
}
