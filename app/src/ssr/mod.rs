//! The console's side of the server: the state requests share, the browser session,
//! the request's facts and the one mapping of service errors to responses. Server
//! functions reach it through Leptos context; every rule lives in `service`.

pub mod export;
pub mod pages;
pub mod session;
pub mod state;
pub mod upload;

pub use session::{caller, flash, refuse, respond, take_flash, RequestCaller};
pub use state::AppState;

use crate::error::AppError;

/// The state every request shares.
pub fn state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("the console state is missing from the request context");
        AppError::Internal
    })
}

/// Sends the browser to `back` when it is a path on this site, else to `fallback`.
pub fn redirect_back(back: &str, fallback: &str) {
    leptos_axum::redirect(if model::validate::is_local_path(back) {
        back
    } else {
        fallback
    });
}
