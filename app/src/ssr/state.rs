//! The state every request shares, provided to server functions as context.

use std::sync::Arc;

use axum::extract::FromRef;
use identity::hashing::PasswordHasher;
use identity::secret_box::SecretBox;
use leptos::prelude::LeptosOptions;
use store::Store;
use time::OffsetDateTime;

use super::authz::PolicyCache;
use super::client::TrustedProxies;
use super::throttle::Throttle;

/// The time source: real in production, steppable in tests (TOTP steps, lockout windows).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(OffsetDateTime::now_utc))
    }

    pub fn from_fn(f: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(f))
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.0)()
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub hasher: PasswordHasher,
    pub secrets: SecretBox,
    pub throttle: Throttle,
    pub clock: Clock,
    pub policies: PolicyCache,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub proxies: TrustedProxies,
}
