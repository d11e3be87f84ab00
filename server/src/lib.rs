//! The Portcullis server: configuration, database, HTTP wiring and operator commands.
//! The `portcullis` binary is a thin command line over these modules.

pub mod admin;
pub mod api_errors;
pub mod config;
pub mod costs_cli;
pub mod csrf;
pub mod database;
pub mod headers;
pub mod policy_cli;
pub mod serve;
pub mod sessions;
