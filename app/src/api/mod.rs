//! Server functions, grouped by area. Each one authorizes before it reads or changes
//! anything; all are public POST endpoints, so none trusts the page that called it.

pub mod access_keys;
pub mod audit;
pub mod auth;
pub mod costs;
pub mod credentials;
pub mod groups;
pub mod permissions;
pub mod policies;
pub mod providers;
pub mod roles;
pub mod settings;
pub mod simulator;
pub mod tags;
pub mod users;
