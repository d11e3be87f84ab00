//! Server-only parts of the console: shared state, the signed-in principal, request
//! details and throttling. Server functions reach all of it through Leptos context.

pub mod auth;
pub mod authz;
pub mod client;
pub mod roles;
pub mod state;
pub mod throttle;

pub use auth::{client_ip, current, respond, signed_in, Principal, SessionState};
pub use authz::{authorize, permit, Permit, PolicyCache, Target};
pub use state::{AppState, Clock};
