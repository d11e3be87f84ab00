//! The PostgreSQL store: SQL in one place, rows in, domain types out.
//!
//! Every change runs in one transaction that also writes its audit row, so nothing is
//! half-written and nothing changes unaudited. Counters that guard security (failed
//! sign-ins, the last accepted TOTP step, recovery codes) are changed by single atomic
//! statements, so parallel requests cannot get around them.

pub mod access_keys;
pub mod audit;
pub mod budgets;
pub mod changes;
pub mod cluster;
pub mod cost_keys;
pub mod costs;
pub mod dependents;
pub mod error;
pub mod groups;
pub mod ids;
pub mod instance_profiles;
pub mod mfa_devices;
pub mod oidc_providers;
pub mod owned;
pub mod permissions;
pub mod pg_binary;
pub mod policies;
mod renames;
pub mod roles;
pub mod saml_providers;
pub mod server_certificates;
pub mod service_credentials;
pub mod settings;
pub mod signing_certificates;
pub mod ssh_keys;
pub mod tags;
pub mod temporary;
pub mod throttle;
pub mod users;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use sqlx::postgres::{PgPool, PgPoolOptions};

pub use access_keys::{AccessKey, KeyUse};
pub use audit::{AuditEntry, AuditFilter, AuditRecord, Outcome};
pub use error::StoreError;
pub use groups::{Group, GroupSummary};
pub use permissions::{AttachError, EffectivePolicy, Holder, Permissions};
pub use policies::{ManagedPolicy, PolicyVersion};
pub use roles::Role;
pub use settings::AccountSettings;
pub use tags::{TagChangeError, Tagged};
pub use temporary::TemporaryCredential;
pub use users::{
    MfaFactor, NewUser, SignInLimit, SignInRecord, SignInStart, User, UserQuery, UserSort,
    UserSummary,
};

/// The migrations in `migrations/`, compiled in.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
    /// The account id never changes once set up, so each process reads it once
    /// instead of on every signed-in request.
    account: Arc<OnceLock<String>>,
    /// Whether this process hears change notifications, so it may cache.
    listening: Arc<AtomicBool>,
    /// First-run setup was seen done (it is never undone).
    set_up_seen: Arc<AtomicBool>,
    /// Read on every sign-in and signed-in request; changes rarely.
    settings_cache: Arc<changes::Snapshot<AccountSettings>>,
    /// What [`Store::watch_changes`] calls on a change: also called right after this
    /// process commits one, so its own next request never sees the old copy.
    on_change: Arc<changes::Callbacks>,
    /// Every cost key with costs, kept while the billing data is unchanged.
    cost_keys: cost_keys::KeyCache,
}

/// A page of results with the total count, for paginated tables.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// The pool's options: every connection given back is asked for a number only it
/// can know before another task may use it, and closed unless it answers exactly
/// that. A connection left out of step with its server (a response not read, as a
/// stream dropped midway can leave it) would otherwise hand each later query the
/// previous one's rows: another user's session, or no user at all. Runs as the
/// connection goes back to the pool, off the request that used it.
fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .after_release(|conn, _| {
            Box::pin(async move {
                let nonce = rand::random::<i64>();
                let answer: Option<i64> = sqlx::query_scalar("SELECT $1::int8")
                    .bind(nonce)
                    .fetch_optional(&mut *conn)
                    .await?;
                let in_step = answer == Some(nonce);
                if !in_step {
                    tracing::warn!("a database connection answered out of step and was closed");
                }
                Ok(in_step)
            })
        })
}

impl Store {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let pool = pool_options(max_connections).connect(url).await?;
        Ok(Store::from_pool(pool))
    }

    pub async fn connect_with(
        options: sqlx::postgres::PgConnectOptions,
        max_connections: u32,
    ) -> Result<Store, StoreError> {
        let pool = pool_options(max_connections).connect_with(options).await?;
        Ok(Store::from_pool(pool))
    }

    pub fn from_pool(pool: PgPool) -> Store {
        let listening = Arc::new(AtomicBool::new(false));
        Store {
            pool,
            account: Default::default(),
            set_up_seen: Default::default(),
            settings_cache: Arc::new(changes::Snapshot::new(listening.clone())),
            listening,
            on_change: Default::default(),
            cost_keys: Default::default(),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether this process hears change notifications: caches may keep copies only
    /// while it does (see [`changes`]).
    pub fn is_listening(&self) -> bool {
        self.listening.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Applies pending migrations; safe to run from several servers at once
    /// (sqlx takes an advisory lock).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        self.build_missing_cost_rollups().await
    }

    /// Whether the database answers, for `/readyz`.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}
