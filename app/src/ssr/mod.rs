//! Server-only parts of the console: shared state, the signed-in principal, request
//! details and throttling. Server functions reach all of it through Leptos context.

pub mod auth;
pub mod state;
pub mod throttle;

pub use auth::{client_ip, current, require_root, respond, signed_in, Principal, SessionState};
pub use state::{AppState, Clock};
