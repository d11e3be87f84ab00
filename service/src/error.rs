//! The one error type of every operation. Each door maps it once: the console to a
//! form error and an HTTP status, the AWS API to AWS's error codes, the command line
//! to an exit code. Messages are written for the person who caused them, in AWS's
//! words where AWS has words for it.

use policy::Layer;

/// Why an operation did not happen.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    /// Bad input; `field` is the form field (and the API parameter) it is about.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A policy document the engine refuses, with AWS's message and the position.
    #[error("{message}")]
    MalformedPolicy {
        field: &'static str,
        message: String,
    },
    /// The named entity does not exist. `field` is set when a form field named it.
    #[error("{message}")]
    NotFound {
        field: Option<&'static str>,
        message: String,
    },
    #[error("{message}")]
    AlreadyExists {
        field: &'static str,
        message: String,
    },
    /// A quota: attached policies, versions, inline policy size, tags.
    #[error("{message}")]
    LimitExceeded {
        field: &'static str,
        message: String,
    },
    /// The entity is still in use (attached, a boundary, the default version).
    #[error("{0}")]
    DeleteConflict(String),
    /// A service-linked role's trust, policies or existence changed by anyone but its
    /// service (AWS's `UnmodifiableEntity`).
    #[error("{0}")]
    Unmodifiable(String),
    /// The request does not fit the current state (MFA already on, already set up).
    #[error("{0}")]
    Conflict(String),
    /// The engine (or a rule such as "not in a role session") refused.
    #[error("{0}")]
    AccessDenied(Box<Denial>),
    /// Refused by a rule of the account rather than a policy (sign-in networks, an
    /// expired password).
    #[error("{0}")]
    Refused(String),
    /// Not signed in, or the session ended.
    #[error("Your session has ended. Sign in again.")]
    SignedOut,
    /// Too many attempts, or the hashing pool is full: try again later.
    #[error("{0}")]
    Throttled(String),
    /// A web identity token refused (AWS's `InvalidIdentityToken`,
    /// `ExpiredTokenException`, `IDPCommunicationError`).
    #[error("{message}")]
    IdentityToken {
        kind: crate::web_identity::TokenRefusal,
        message: String,
    },
    /// A billing file refused whole, with its bad rows; nothing was imported.
    #[error("{0}")]
    BadBillingFile(Box<crate::costs::FileRefusal>),
    /// Something on our side; the details went to the log, not to the caller.
    #[error(
        "Something went wrong on the server. Try again; if it persists, check the server log."
    )]
    Internal,
}

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// AWS's `NoSuchEntity` wording: "The user with name bob cannot be found."
    pub fn no_such(what: &str, name: &str) -> ServiceError {
        ServiceError::NotFound {
            field: None,
            message: format!("The {what} with name {name} cannot be found."),
        }
    }

    /// [`ServiceError::no_such`] about the form field `field`.
    pub fn no_such_in(field: &'static str, what: &str, name: &str) -> ServiceError {
        ServiceError::NotFound {
            field: Some(field),
            message: format!("The {what} with name {name} cannot be found."),
        }
    }

    /// AWS's words for a managed policy that is not there.
    pub fn no_such_policy(field: Option<&'static str>, arn: &str) -> ServiceError {
        ServiceError::NotFound {
            field,
            message: format!("Policy {arn} does not exist or is not attachable."),
        }
    }

    /// Logs what went wrong and answers [`ServiceError::Internal`].
    pub fn internal(error: impl std::fmt::Display) -> ServiceError {
        tracing::error!("{error}");
        ServiceError::Internal
    }

    /// The form field this error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ServiceError::Invalid { field, .. }
            | ServiceError::MalformedPolicy { field, .. }
            | ServiceError::AlreadyExists { field, .. }
            | ServiceError::LimitExceeded { field, .. } => Some(field),
            ServiceError::NotFound { field, .. } => *field,
            _ => None,
        }
    }
}

impl From<store::StoreError> for ServiceError {
    fn from(e: store::StoreError) -> Self {
        use store::StoreError as E;
        match e {
            E::NotFound { what, name } => ServiceError::no_such(what, &name),
            E::Duplicate { what, name } => ServiceError::AlreadyExists {
                field: "name",
                message: already_exists(what, &name),
            },
            e @ E::AccessKeyLimit => ServiceError::LimitExceeded {
                field: "user",
                message: e.to_string(),
            },
            e @ E::VersionLimit { .. } => ServiceError::LimitExceeded {
                field: "document",
                message: e.to_string(),
            },
            e @ (E::InUse { .. } | E::DefaultVersion { .. } | E::Dependents(_)) => {
                ServiceError::DeleteConflict(e.to_string())
            }
            E::AlreadySetUp => {
                ServiceError::Conflict("This Portcullis is already set up. Sign in instead.".into())
            }
            e @ E::ImportNotActive { .. } => ServiceError::Conflict(e.to_string()),
            other => ServiceError::internal(other),
        }
    }
}

impl From<store::AttachError> for ServiceError {
    fn from(e: store::AttachError) -> Self {
        use store::AttachError as E;
        match e {
            e @ (E::QuotaReached(_) | E::InlineQuota { .. }) => ServiceError::LimitExceeded {
                field: "policy_arn",
                message: e.to_string(),
            },
            E::NoSuchPolicy(arn) => ServiceError::no_such_policy(Some("policy_arn"), &arn),
            e @ E::NoBoundary => ServiceError::invalid("holder", e.to_string()),
            E::Store(e) => e.into(),
        }
    }
}

impl From<identity::hashing::HashError> for ServiceError {
    fn from(e: identity::hashing::HashError) -> Self {
        ServiceError::Throttled(e.to_string())
    }
}

/// AWS's `EntityAlreadyExists` wording.
pub fn already_exists(what: &str, name: &str) -> String {
    match what {
        "user" => format!("User with name {name} already exists."),
        "group" => format!("Group with name {name} already exists."),
        "role" => format!("Role with name {name} already exists."),
        "policy" => {
            format!("A policy called {name} already exists. Duplicate names are not allowed.")
        }
        other => format!("A {other} named {name} already exists (names are case-insensitive)."),
    }
}

/// What result a field-level error has on an operation: the store's errors with the
/// form field they concern.
pub trait OnField<T> {
    fn on_field(self, field: &'static str) -> Result<T, ServiceError>;
}

impl<T, E: Into<ServiceError>> OnField<T> for Result<T, E> {
    fn on_field(self, field: &'static str) -> Result<T, ServiceError> {
        self.map_err(|e| match e.into() {
            ServiceError::AlreadyExists { message, .. } => {
                ServiceError::AlreadyExists { field, message }
            }
            ServiceError::LimitExceeded { message, .. } => {
                ServiceError::LimitExceeded { field, message }
            }
            ServiceError::NotFound { message, .. } => ServiceError::NotFound {
                field: Some(field),
                message,
            },
            other => other,
        })
    }
}

/// A refusal: who asked for what on which resource, and why not.
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub reason: DenialReason,
    /// The decision's details sealed for `sts:DecodeAuthorizationMessage`, when the
    /// engine decided (the console shows it with the refusal).
    pub encoded: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DenialReason {
    /// A Deny statement matched, in this layer.
    ExplicitDeny {
        layer: Layer,
        policy: String,
        statement: String,
    },
    /// No identity policy allows it.
    NoIdentityAllow { role_session: bool },
    /// An identity policy allows it, the permissions boundary does not.
    Boundary,
    /// An identity policy allows it, the session policy does not.
    SessionPolicy,
    /// A role's trust policy does not admit the caller (or the role does not exist:
    /// the two look the same from outside).
    NotTrusted,
    /// Own credentials are changed as yourself, not from a role session.
    RoleSession,
}

impl std::fmt::Display for DenialReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DenialReason::ExplicitDeny {
                policy, statement, ..
            } => write!(f, "explicitly denied by statement {statement} of {policy}"),
            DenialReason::NoIdentityAllow { role_session: true } => {
                f.write_str("no policy of the role allows it")
            }
            DenialReason::NoIdentityAllow { role_session: false } => {
                f.write_str("no policy attached to you, your groups or your roles allows it")
            }
            DenialReason::Boundary => f.write_str("your permissions boundary does not allow it"),
            DenialReason::SessionPolicy => f.write_str("the session policy does not allow it"),
            DenialReason::NotTrusted => f.write_str("the role's trust policy does not admit you"),
            DenialReason::RoleSession => f.write_str(
                "your own credentials cannot be changed from a role session; go back to your own identity first",
            ),
        }
    }
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "You are not allowed to perform {} on {}: {}.",
            self.action, self.resource, self.reason
        )
    }
}
