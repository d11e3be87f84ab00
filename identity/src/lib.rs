//! Credentials: the rules a password must meet, and (with the `server` feature) how
//! passwords are hashed, how TOTP codes are checked and how secrets are kept at rest.
//!
//! The password policy compiles to wasm too, so the console shows each unmet rule as
//! the user types, with the same code the server enforces.

pub mod password_policy;

#[cfg(feature = "server")]
pub mod hashing;
#[cfg(feature = "server")]
pub mod jwt;
#[cfg(feature = "server")]
pub mod saml;
#[cfg(feature = "server")]
pub mod secret_box;
#[cfg(feature = "server")]
pub mod sigv4;
#[cfg(feature = "server")]
pub mod ssh;
#[cfg(feature = "server")]
pub mod totp;
#[cfg(feature = "server")]
pub mod xmldsig;

pub use password_policy::{PasswordPolicy, PasswordRule, PolicyFieldError};
