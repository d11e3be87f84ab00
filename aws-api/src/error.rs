//! The one mapping from the service's errors to AWS's codes, statuses and texts.

use http::StatusCode;
use policy::Layer;
use service::signed::SignatureFailure;
use service::{Denial, DenialReason, ServiceError};

/// An error as the API answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The service already wrote the audit row (the engine's refusals).
    pub audited: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            audited: false,
        }
    }

    /// `Sender` for the client's faults, `Receiver` for ours.
    pub fn kind(&self) -> &'static str {
        if self.status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        }
    }

    /// AWS's constraint texts: "1 validation error detected: Value 'x' at 'userName'
    /// failed to satisfy constraint: Member must …".
    pub fn validation(value: Option<&str>, member: &str, constraint: &str) -> ApiError {
        let value = match value {
            Some(v) => format!("'{v}'"),
            None => "null".into(),
        };
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            format!(
                "1 validation error detected: Value {value} at '{member}' failed to satisfy constraint: {constraint}"
            ),
        )
    }

    pub fn invalid_action(action: &str, version: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!("Could not find operation {action} for version {version}"),
        )
    }
}

/// AWS's `AccessDenied` text for a refusal.
pub fn access_denied_message(denial: &Denial) -> String {
    let head = format!(
        "User: {} is not authorized to perform: {} on resource: {}",
        denial.principal, denial.action, denial.resource
    );
    match &denial.reason {
        DenialReason::ExplicitDeny { layer, .. } => {
            let place = match layer {
                Layer::Identity => "an identity-based policy",
                Layer::Resource => "a resource-based policy",
                Layer::PermissionsBoundary => "a permissions boundary",
                Layer::SessionPolicy => "a session policy",
            };
            format!("{head} with an explicit deny in {place}")
        }
        DenialReason::NoIdentityAllow { .. } => format!(
            "{head} because no identity-based policy allows the {} action",
            denial.action
        ),
        DenialReason::Boundary => format!(
            "{head} because no permissions boundary allows the {} action",
            denial.action
        ),
        DenialReason::SessionPolicy => format!(
            "{head} because no session policy allows the {} action",
            denial.action
        ),
        DenialReason::NotTrusted => head,
        DenialReason::RoleSession => format!("{head}: {}", denial.reason),
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        use StatusCode as S;
        match e {
            // AWS's own code for a wrong pair of MFA codes.
            ServiceError::Invalid {
                field: "authentication_code",
                message,
            } => ApiError::new(S::FORBIDDEN, "InvalidAuthenticationCode", message),
            ServiceError::Invalid {
                field: "ssh_public_key_encoding",
                message,
            } => ApiError::new(S::BAD_REQUEST, "UnrecognizedPublicKeyEncoding", message),
            ServiceError::Invalid {
                field: "ssh_public_key",
                message,
            } => ApiError::new(S::BAD_REQUEST, "InvalidPublicKey", message),
            ServiceError::Invalid {
                field: "certificate_body",
                message,
            } => ApiError::new(S::BAD_REQUEST, "MalformedCertificate", message),
            ServiceError::Invalid {
                field: "key_pair",
                message,
            } => ApiError::new(S::BAD_REQUEST, "KeyPairMismatch", message),
            ServiceError::Invalid {
                field: "service_name",
                message,
            } => ApiError::new(S::NOT_FOUND, "NotSupportedService", message),
            ServiceError::AlreadyExists {
                field: "duplicate_certificate",
                message,
            } => ApiError::new(S::CONFLICT, "DuplicateCertificate", message),
            ServiceError::AlreadyExists {
                field: "ssh_public_key",
                message,
            } => ApiError::new(S::BAD_REQUEST, "DuplicateSSHPublicKey", message),
            ServiceError::Invalid { message, .. } => {
                ApiError::new(S::BAD_REQUEST, "ValidationError", message)
            }
            ServiceError::MalformedPolicy { message, .. } => {
                ApiError::new(S::BAD_REQUEST, "MalformedPolicyDocument", message)
            }
            ServiceError::NotFound { message, .. } => {
                ApiError::new(S::NOT_FOUND, "NoSuchEntity", message)
            }
            ServiceError::AlreadyExists { message, .. } => {
                ApiError::new(S::CONFLICT, "EntityAlreadyExists", message)
            }
            ServiceError::LimitExceeded { message, .. } => {
                ApiError::new(S::CONFLICT, "LimitExceeded", message)
            }
            ServiceError::DeleteConflict(message) => {
                ApiError::new(S::CONFLICT, "DeleteConflict", message)
            }
            // The request does not fit the entity's state (a built-in policy cannot be
            // changed, …): IAM's generic refusal of the input.
            ServiceError::Conflict(message) => ApiError::new(S::BAD_REQUEST, "InvalidInput", message),
            ServiceError::Unmodifiable(message) => {
                ApiError::new(S::BAD_REQUEST, "UnmodifiableEntity", message)
            }
            ServiceError::AccessDenied(denial) => ApiError {
                audited: true,
                ..ApiError::new(S::FORBIDDEN, "AccessDenied", access_denied_message(&denial))
            },
            ServiceError::Refused(message) => ApiError::new(S::FORBIDDEN, "AccessDenied", message),
            ServiceError::SignedOut => ApiError::new(
                S::FORBIDDEN,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            ServiceError::Throttled(message) => {
                ApiError::new(S::BAD_REQUEST, "Throttling", message)
            }
            ServiceError::IdentityToken { kind, message } => {
                use service::web_identity::TokenRefusal as T;
                let code = match kind {
                    T::Invalid => "InvalidIdentityToken",
                    T::Expired => "ExpiredTokenException",
                    T::Unreachable => "IDPCommunicationError",
                };
                ApiError::new(S::BAD_REQUEST, code, message)
            }
            ServiceError::BadBillingFile(refusal) => {
                ApiError::new(S::BAD_REQUEST, "ValidationError", refusal.to_string())
            }
            ServiceError::Internal => ApiError::new(
                S::INTERNAL_SERVER_ERROR,
                "ServiceFailure",
                "The request processing has failed because of an unknown error, exception or failure.",
            ),
        }
    }
}

impl From<SignatureFailure> for ApiError {
    fn from(e: SignatureFailure) -> Self {
        match e {
            SignatureFailure::Service(inner) => inner.into(),
            SignatureFailure::IncompleteSignature(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, e.code(), e.to_string())
            }
            SignatureFailure::ExpiredToken => {
                ApiError::new(StatusCode::BAD_REQUEST, e.code(), e.to_string())
            }
            other => ApiError::new(StatusCode::FORBIDDEN, other.code(), other.to_string()),
        }
    }
}
