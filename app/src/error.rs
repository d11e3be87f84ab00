//! The one error type of the console's server functions.
//!
//! Field errors travel as `Err` (not inside `Ok`) so that a form posted before the wasm
//! has loaded gets them back through Leptos's redirect and shows them next to the same
//! fields as with JavaScript.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Bad input: field name → what is wrong with it.
    #[error("Please correct the highlighted fields.")]
    Invalid(BTreeMap<String, String>),
    /// Not signed in, or the session ended.
    #[error("Your session has ended. Sign in again.")]
    SignedOut,
    /// Signed in, but not allowed; the text says why.
    #[error("{0}")]
    Forbidden(String),
    /// Refused by the policy engine: why, and the decision's details sealed for an
    /// administrator (`aws sts decode-authorization-message`).
    #[error("{message}")]
    Denied { message: String, encoded: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts or the hashing pool is full.
    #[error("{0}")]
    Busy(String),
    /// Something on our side; details are in the server log, not shown.
    #[error(
        "Something went wrong on the server. Try again; if it persists, check the server log."
    )]
    Internal,
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::ServerFn(value)
    }
}

impl From<ServerFnErrorErr> for AppError {
    fn from(value: ServerFnErrorErr) -> Self {
        AppError::ServerFn(value)
    }
}

impl AppError {
    /// One invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(BTreeMap::from([(field.to_string(), message.into())]))
    }

    /// The message for `field`, if this error names it.
    pub fn for_field(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(fields) => fields.get(field).cloned(),
            _ => None,
        }
    }

    /// The HTTP status for API callers.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 400,
            AppError::SignedOut => 401,
            AppError::Forbidden(_) | AppError::Denied { .. } => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::Busy(_) => 429,
            AppError::Internal => 500,
            AppError::ServerFn(_) => 400,
        }
    }
}

/// Shows a form's general error (not tied to a field).
pub fn general_message(error: &AppError) -> Option<String> {
    match error {
        AppError::Invalid(fields) if fields.contains_key("") => fields.get("").cloned(),
        AppError::Invalid(_) => None,
        other => Some(other.to_string()),
    }
}

#[cfg(feature = "ssr")]
impl From<service::ServiceError> for AppError {
    fn from(error: service::ServiceError) -> Self {
        use service::ServiceError as E;
        match error {
            E::Invalid { field, message }
            | E::MalformedPolicy { field, message }
            | E::AlreadyExists { field, message }
            | E::LimitExceeded { field, message } => AppError::field(field, message),
            E::NotFound {
                field: Some(field),
                message,
            } => AppError::field(field, message),
            E::NotFound {
                field: None,
                message,
            } => AppError::NotFound(message),
            E::DeleteConflict(message) | E::Conflict(message) | E::Unmodifiable(message) => {
                AppError::Conflict(message)
            }
            E::AccessDenied(denial) => match denial.encoded.clone() {
                Some(encoded) => AppError::Denied {
                    message: denial.to_string(),
                    encoded,
                },
                None => AppError::Forbidden(denial.to_string()),
            },
            E::Refused(message) | E::IdentityToken { message, .. } => AppError::Forbidden(message),
            E::SignedOut => AppError::SignedOut,
            E::Throttled(message) => AppError::Busy(message),
            E::BadBillingFile(refusal) => {
                let mut message = refusal.summary.clone();
                for row in refusal.rows.iter().skip(1).take(4) {
                    message.push_str(&format!(" {row}."));
                }
                AppError::field("file", message)
            }
            E::Internal => AppError::Internal,
        }
    }
}
