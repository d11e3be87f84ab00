//! What the console's two halves share: the server renders these types and the browser
//! hydrates them, so they build for wasm (serde only, no database, no engine).
//!
//! The service layer produces them; the pages read them. Input rules live here too
//! ([`validate`]), so a form can say what is wrong before it posts and the server
//! enforces the same rule.

pub mod access;
pub mod audit;
pub mod costs;
pub mod credentials;
pub mod groups;
pub mod holder;
pub mod policies;
pub mod providers;
pub mod roles;
pub mod session;
pub mod settings;
pub mod simulator;
pub mod tags;
pub mod users;
pub mod validate;

pub use access::{Access, AttachedPolicy, Refusals};
pub use holder::Holder;
