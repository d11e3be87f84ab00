//! Every rule of Portcullis behind one door.
//!
//! The console's server functions, the AWS-compatible API and the command line all
//! build a [`Caller`] and call an operation here; none of them builds an ARN, reads a
//! header or decides anything itself. An operation looks its target up first,
//! authorizes on the target's stored ARN with the context keys AWS would send, then
//! changes it in one transaction with its audit row. Errors are one type,
//! [`ServiceError`], which each door maps once.
//!
//! Time is a parameter ([`Clock`]): lockout windows, password ages, TOTP steps,
//! session limits and role-session expiry are all decided against it.

pub mod access_keys;
pub mod account;
pub mod audit;
pub mod audit_buffer;
pub mod authorization_messages;
pub mod authz;
pub mod budgets;
pub mod caller;
pub mod clock;
pub mod console;
pub mod costs;
pub mod credentials;
pub mod error;
pub mod explorer;
mod federation;
pub mod format;
pub mod group_spend;
pub mod groups;
pub mod instance_profiles;
pub mod lookup;
pub mod mail;
pub mod mfa_devices;
pub(crate) mod money;
pub mod oidc;
mod owned;
pub mod passwords;
pub mod permissions;
pub mod policies;
pub mod profiles;
pub mod provider_tls;
pub mod proxies;
pub mod report;
pub mod roles;
pub mod saml;
pub mod server_certificates;
pub mod service_credentials;
pub mod service_linked_roles;
pub mod settings;
pub mod signed;
pub mod signin;
pub mod signing_certificates;
pub mod simulator;
pub mod ssh_keys;
mod stack;
pub mod sts;
pub mod tags;
pub mod users;
pub mod web_identity;

use std::sync::Arc;

use identity::hashing::PasswordHasher;
use identity::secret_box::SecretBox;
use store::Store;

pub use authz::{Extra, Permit, PolicyCache};
pub use caller::{Caller, RequestFacts, RoleSession};
pub use clock::{Clock, ManualClock};
pub use error::{Denial, DenialReason, OnField, ServiceError};
pub use signin::{SessionChange, SessionState, Transition};

/// Who may complete first-run setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupAccess {
    /// The console listens on this machine only: setup must come to a loopback host
    /// name (a page of another site that resolves its name to 127.0.0.1 is refused).
    Loopback,
    /// The console is reachable from other machines: setup needs this one-time token,
    /// printed in the server log at start.
    Token(String),
}

/// Settings of the service itself (not of the account, which live in the database).
#[derive(Debug, Clone)]
pub struct Options {
    /// Sign-in attempts allowed per client network per window.
    pub sign_in_rate: u32,
    pub sign_in_window_seconds: i64,
    pub setup: SetupAccess,
    /// The account id a new installation gets; random when `None`.
    pub account_id: Option<String>,
    /// The SMTP relay budget alerts are e-mailed through, if any.
    pub smtp: Option<mail::Smtp>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sign_in_rate: 60,
            sign_in_window_seconds: 300,
            setup: SetupAccess::Loopback,
            account_id: None,
            smtp: None,
        }
    }
}

/// The service: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Service {
    pub(crate) store: Store,
    pub(crate) hasher: PasswordHasher,
    pub(crate) secrets: SecretBox,
    pub(crate) policies: PolicyCache,
    pub(crate) clock: Clock,
    pub(crate) options: Arc<Options>,
    pub(crate) key_uses: access_keys::KeyUses,
    pub(crate) audit_buffer: audit_buffer::AuditBuffer,
    pub(crate) signers: signed::SignerCache,
    pub(crate) web_keys: web_identity::KeyCache,
}

impl Service {
    pub fn new(
        store: Store,
        hasher: PasswordHasher,
        secrets: SecretBox,
        clock: Clock,
        options: Options,
    ) -> Service {
        Service {
            store,
            hasher,
            secrets,
            policies: PolicyCache::default(),
            clock,
            options: Arc::new(options),
            key_uses: Default::default(),
            audit_buffer: Default::default(),
            signers: Default::default(),
            web_keys: Default::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The compiled-policy cache (tests look at it).
    pub fn policy_cache(&self) -> &PolicyCache {
        &self.policies
    }

    /// Empties this process's caches whenever any process announces a change, and
    /// keeps nothing while the announcements cannot be heard.
    pub fn watch_changes(&self) {
        let cache = self.policies.clone();
        let signers = self.signers.clone();
        self.store.watch_changes(move || {
            cache.invalidate();
            signers.invalidate();
        });
    }

    /// The account id setup gives: a bootstrapped account keeps its own; a new one
    /// takes the configured id, or a random one.
    pub(crate) async fn account_to_set_up(&self) -> Result<String, ServiceError> {
        Ok(match self.store.account_id().await? {
            Some(existing) => existing,
            None => self
                .options
                .account_id
                .clone()
                .unwrap_or_else(store::ids::account_id),
        })
    }

    /// Whether first-run setup needs the token from the server log.
    pub fn setup_token_required(&self) -> bool {
        matches!(self.options.setup, SetupAccess::Token(_))
    }
}
