//! Who is asking, and the facts of their request that policies can test.
//!
//! Every door builds a [`Caller`] once per request (the console from its session,
//! the API from a signature) and hands it to the operations, which never read headers
//! or sessions themselves.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use store::{AuditEntry, Outcome, User};
use time::OffsetDateTime;

/// What the door knows about the request itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFacts {
    /// The client's address (a trusted proxy's `X-Forwarded-For`, or the socket's).
    pub source_ip: Option<IpAddr>,
    /// Whether the client reached us over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
}

impl RequestFacts {
    /// The address as the audit log writes it; empty when unknown.
    pub fn ip_text(&self) -> String {
        self.source_ip.map(|ip| ip.to_string()).unwrap_or_default()
    }
}

/// A session of an assumed role: requests act as the role until it ends. Recorded
/// in the database (so it can be ended and audited); a browser keeps only its id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RoleSession {
    pub id: String,
    /// Who assumed it; a role session left behind by another sign-in is ignored.
    pub user_id: String,
    pub role_id: String,
    pub role_name: String,
    pub role_arn: String,
    /// `RoleSessionName`: the user's name for console switches, the client's choice
    /// for `sts:AssumeRole`.
    pub session_name: String,
    pub started: i64,
    pub expires: i64,
    /// The role's tags, which are the session's `aws:PrincipalTag/*` as in AWS.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// Session tags, transitive keys and source identity from `AssumeRole`.
    #[serde(default)]
    pub attributes: store::roles::SessionAttributes,
}

impl From<store::roles::RoleSessionRecord> for RoleSession {
    fn from(r: store::roles::RoleSessionRecord) -> Self {
        RoleSession {
            id: r.id,
            user_id: r.user_id,
            role_id: r.role_id,
            role_name: r.role_name,
            role_arn: r.role_arn,
            session_name: r.session_name,
            started: r.started,
            expires: r.expires,
            tags: r.role_tags,
            attributes: r.attributes,
        }
    }
}

/// How AWS names a role session: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
pub fn role_session_arn(account: &str, role: &str, session: &str) -> String {
    format!("arn:aws:sts::{account}:assumed-role/{role}/{session}")
}

/// A federated user from `sts:GetFederationToken`: the IAM user's permissions cut
/// by the session policies, under the name the user chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedUser {
    pub name: String,
    /// Session tags: its `aws:PrincipalTag/*`.
    pub tags: std::collections::BTreeMap<String, String>,
}

/// How AWS names a federated user: `arn:aws:sts::ACCOUNT:federated-user/NAME`.
pub fn federated_user_arn(account: &str, name: &str) -> String {
    format!("arn:aws:sts::{account}:federated-user/{name}")
}

/// A signed-in principal making one request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The signed-in user (root or an IAM user), read afresh for this request.
    pub user: User,
    /// The role session it acts in, if any.
    pub role: Option<RoleSession>,
    /// The federated user it acts as, for `GetFederationToken` credentials.
    pub federated: Option<FederatedUser>,
    pub account_id: String,
    /// Whether this sign-in passed MFA.
    pub mfa: bool,
    /// When the sign-in happened (MFA age is measured from it), Unix seconds.
    pub authenticated_at: i64,
    /// The region the request is for (`aws:RequestedRegion`).
    pub region: String,
    pub facts: RequestFacts,
    /// The moment of this request, from the service's clock.
    pub now: OffsetDateTime,
    /// Session policies of the temporary credentials that signed this request: the
    /// request may do only what they also allow.
    pub session_policy: Option<std::sync::Arc<policy::PolicySet>>,
    /// When the temporary credentials that signed this request were issued
    /// (`aws:TokenIssueTime`); `None` for console sessions and long-term keys.
    pub token_issued_at: Option<i64>,
    /// The state of the budget of the user's billing group (status, % used), sent
    /// as `portcullis:BudgetStatus` and `portcullis:BudgetUsedPercent`.
    pub budget: Option<(String, String)>,
}

impl Caller {
    /// Root acting as itself: always allowed, as in AWS.
    pub fn is_root(&self) -> bool {
        self.user.is_root && self.role.is_none() && self.federated.is_none()
    }

    /// The ARN the engine and the audit log see: the user's, or the role session's.
    pub fn arn(&self) -> String {
        match (&self.role, &self.federated) {
            (Some(role), _) => {
                role_session_arn(&self.account_id, &role.role_name, &role.session_name)
            }
            (None, Some(federated)) => federated_user_arn(&self.account_id, &federated.name),
            (None, None) => self.user.arn.clone(),
        }
    }

    /// The audit row of something this caller did.
    pub fn audit(
        &self,
        action: &'static str,
        target: &str,
        outcome: Outcome,
        detail: impl Into<String>,
    ) -> AuditEntry {
        AuditEntry {
            at: self.now,
            actor: self.arn(),
            action,
            target: target.into(),
            source_ip: self.facts.ip_text(),
            outcome,
            detail: detail.into(),
        }
    }
}
