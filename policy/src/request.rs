//! The request being authorized: who asks, for which action, on which resource, and
//! the context keys the conditions read.
//!
//! Everything that can be prepared once is prepared when the request is built (the
//! action lower-cased, keys derived from the principal and the resource), so that
//! evaluating it against many statements allocates nothing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::fasthash::FastMap;

/// The kinds of principal AWS distinguishes when it evaluates resource policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// The account's root user: everything is allowed unless explicitly denied.
    Root,
    User,
    /// A role named directly (rare outside resource policies).
    Role,
    /// A temporary session of an assumed role.
    RoleSession,
    /// A session from `sts:GetFederationToken`, issued to an IAM user.
    FederatedUser,
    /// Nobody signed in.
    Anonymous,
    /// An AWS-style service principal such as `ec2.amazonaws.com`.
    Service,
    /// A workload holding a token from an OpenID Connect provider, named in trust
    /// policies by the provider's ARN (`"Federated": "arn:…:oidc-provider/…"`).
    WebIdentity,
    /// A user signed in at a SAML 2.0 identity provider, named in trust policies by
    /// the provider's ARN (`"Federated": "arn:…:saml-provider/NAME"`).
    SamlUser,
}

impl PrincipalKind {
    pub fn parse(text: &str) -> Option<PrincipalKind> {
        Some(match text.to_ascii_lowercase().as_str() {
            "root" => PrincipalKind::Root,
            "user" => PrincipalKind::User,
            "role" => PrincipalKind::Role,
            "role-session" | "rolesession" | "assumed-role" => PrincipalKind::RoleSession,
            "federated-user" | "federateduser" => PrincipalKind::FederatedUser,
            "anonymous" => PrincipalKind::Anonymous,
            "service" => PrincipalKind::Service,
            "web-identity" | "webidentityuser" => PrincipalKind::WebIdentity,
            "saml" | "samluser" | "saml-user" => PrincipalKind::SamlUser,
            _ => return None,
        })
    }

    /// The value of `aws:PrincipalType`.
    pub fn aws_type(self) -> &'static str {
        match self {
            PrincipalKind::Root => "Account",
            PrincipalKind::User => "User",
            PrincipalKind::Role => "Role",
            PrincipalKind::RoleSession => "AssumedRole",
            PrincipalKind::FederatedUser => "FederatedUser",
            PrincipalKind::Anonymous => "Anonymous",
            PrincipalKind::Service => "Service",
            PrincipalKind::WebIdentity => "WebIdentityUser",
            PrincipalKind::SamlUser => "SAMLUser",
        }
    }
}

/// Who makes the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The ARN (a service principal's name for services; empty for anonymous).
    pub arn: String,
    /// 12-digit account id; empty for anonymous and services.
    pub account: String,
    /// Unique id (`AIDA…`, `AROA…:session`); feeds `aws:userid`.
    pub id: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// For a federated user's session, the ARN of the IAM user who asked for it: a
    /// resource policy naming that user reaches the session through it.
    pub source_arn: Option<String>,
}

impl Principal {
    /// For a role session (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`), the role name.
    pub fn role_name(&self) -> Option<&str> {
        let resource = self.arn.splitn(6, ':').nth(5)?;
        match self.kind {
            PrincipalKind::RoleSession => resource.strip_prefix("assumed-role/")?.split('/').next(),
            PrincipalKind::Role => resource.rsplit('/').next(),
            _ => None,
        }
    }

    /// The friendly name at the end of the ARN (user name, session name).
    pub fn name(&self) -> Option<&str> {
        let resource = self.arn.splitn(6, ':').nth(5)?;
        resource.rsplit('/').next()
    }
}

/// What the request acts on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    pub arn: String,
    /// The owning account; `None` means the principal's own account.
    pub account: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// A context value: AWS keys are single-valued or multivalued (`aws:TagKeys`).
#[derive(Debug, Clone, PartialEq)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

impl ContextValue {
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(s) => std::slice::from_ref(s),
            ContextValue::Multi(v) => v,
        }
    }
}

/// Context keys, looked up case-insensitively as in AWS.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    values: FastMap<Box<str>, ContextValue>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    pub fn insert(&mut self, key: &str, value: ContextValue) {
        self.values.insert(key.to_ascii_lowercase().into(), value);
    }

    pub fn with(mut self, key: &str, value: &str) -> Context {
        self.insert(key, ContextValue::Single(value.to_string()));
        self
    }

    pub fn with_list(mut self, key: &str, values: &[&str]) -> Context {
        self.insert(
            key,
            ContextValue::Multi(values.iter().map(|v| v.to_string()).collect()),
        );
        self
    }

    /// `key` must already be lower-case (compiled conditions store it that way).
    pub fn get_lower(&self, key: &str) -> Option<&ContextValue> {
        self.values.get(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key.to_ascii_lowercase().as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.values.iter().map(|(k, v)| (&**k, v))
    }
}

/// Where policy variables are resolved from.
pub trait Lookup {
    /// The single value of a lower-case key, if present and single-valued.
    fn single(&self, key: &str) -> Option<&str>;
}

impl Lookup for Context {
    fn single(&self, key: &str) -> Option<&str> {
        match self.values.get(key)? {
            ContextValue::Single(s) => Some(s),
            ContextValue::Multi(_) => None,
        }
    }
}

/// A lookup with no keys, for patterns that cannot contain variables.
pub struct NoVariables;

impl Lookup for NoVariables {
    fn single(&self, _key: &str) -> Option<&str> {
        None
    }
}

/// Why a request could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The action is not `service:Action`.
    InvalidAction(String),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::InvalidAction(a) => write!(
                f,
                "action `{a}` must be `service:ActionName`, for example `s3:GetObject`"
            ),
        }
    }
}

impl std::error::Error for RequestError {}

/// A request ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub principal: Principal,
    /// As given, for explanations.
    pub action: String,
    /// Lower-cased `service:action`, the index key.
    pub(crate) action_key: String,
    /// Length of the service prefix in `action_key`.
    pub(crate) service_len: usize,
    pub resource: Resource,
    /// The caller's keys plus the ones derived from principal and resource.
    pub context: Context,
}

impl Request {
    /// Builds a request and derives the global keys AWS sets from the principal and the
    /// resource (`aws:PrincipalArn`, `aws:username`, `aws:PrincipalTag/…`,
    /// `aws:ResourceTag/…`, …) unless the caller already gave them.
    pub fn new(
        principal: Principal,
        action: &str,
        resource: Resource,
        mut context: Context,
    ) -> Result<Request, RequestError> {
        let action_key = action.to_ascii_lowercase();
        let service_len = match action_key.split_once(':') {
            Some((service, name)) if !service.is_empty() && !name.is_empty() => service.len(),
            _ => return Err(RequestError::InvalidAction(action.to_string())),
        };
        let mut derived: Vec<(String, ContextValue)> = Vec::new();
        let single = |v: &str| ContextValue::Single(v.to_string());
        derived.push((
            "aws:PrincipalType".into(),
            single(principal.kind.aws_type()),
        ));
        if !principal.arn.is_empty() && principal.kind != PrincipalKind::Anonymous {
            derived.push(("aws:PrincipalArn".into(), single(&principal.arn)));
        }
        if !principal.account.is_empty() {
            derived.push(("aws:PrincipalAccount".into(), single(&principal.account)));
        }
        if principal.kind == PrincipalKind::User {
            if let Some(name) = principal.name() {
                derived.push(("aws:username".into(), single(name)));
            }
        }
        match (&principal.id, principal.kind) {
            (Some(id), _) => derived.push(("aws:userid".into(), single(id))),
            (None, PrincipalKind::Root) => {
                derived.push(("aws:userid".into(), single(&principal.account)))
            }
            _ => {}
        }
        for (key, value) in &principal.tags {
            derived.push((format!("aws:PrincipalTag/{key}"), single(value)));
        }
        if !principal.tags.is_empty() {
            let keys = principal.tags.keys().cloned().collect();
            derived.push(("aws:PrincipalTagKeys".into(), ContextValue::Multi(keys)));
        }
        for (key, value) in &resource.tags {
            derived.push((format!("aws:ResourceTag/{key}"), single(value)));
        }
        let resource_account = resource.account.as_deref().unwrap_or(&principal.account);
        if !resource_account.is_empty() {
            derived.push(("aws:ResourceAccount".into(), single(resource_account)));
        }
        for (key, value) in derived {
            if !context.contains(&key) {
                context.insert(&key, value);
            }
        }
        Ok(Request {
            principal,
            action: action.to_string(),
            action_key,
            service_len,
            resource,
            context,
        })
    }

    /// Lower-cased service prefix of the action (`s3`).
    pub fn service(&self) -> &str {
        self.action_key.get(..self.service_len).unwrap_or_default()
    }

    /// Whether this asks to assume an IAM role, which its trust policy must allow.
    pub fn assumes_role(&self) -> bool {
        matches!(
            self.action_key.as_str(),
            "sts:assumerole" | "sts:assumerolewithsaml" | "sts:assumerolewithwebidentity"
        ) && matches!(
            self.resource.arn.splitn(6, ':').collect::<Vec<_>>().as_slice(),
            ["arn", _, "iam", _, _, resource] if resource.starts_with("role/")
        )
    }

    /// Whether the resource belongs to another account than the principal.
    pub fn is_cross_account(&self) -> bool {
        match &self.resource.account {
            Some(account) => !account.is_empty() && *account != self.principal.account,
            None => false,
        }
    }
}

/// Builds a [`Context`] from JSON-like values: strings, numbers and booleans become
/// single values, arrays multivalued ones. Used by the simulator input.
pub fn context_from_map(map: &HashMap<String, serde_json::Value>) -> Result<Context, String> {
    let mut context = Context::new();
    for (key, value) in map {
        let value = match value {
            serde_json::Value::Array(items) => ContextValue::Multi(
                items
                    .iter()
                    .map(|v| scalar(key, v))
                    .collect::<Result<_, _>>()?,
            ),
            other => ContextValue::Single(scalar(key, other)?),
        };
        context.insert(key, value);
    }
    Ok(context)
}

fn scalar(key: &str, value: &serde_json::Value) -> Result<String, String> {
    match value {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        _ => Err(format!(
            "context key `{key}`: values must be strings, numbers, booleans or arrays of them"
        )),
    }
}
