//! Every console action is decided by the policy engine, as any API request would be.
//!
//! A principal's effective policies (its own, its groups', its roles', and its
//! permissions boundary; or a role session's) are compiled once and cached; the cache is emptied on every server process when
//! PostgreSQL announces a permission change (see `store::permissions`). The root user is
//! always allowed, as in AWS.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use policy::{
    Context, ContextValue, Decision, Evaluator, PolicyDocument, PolicyKind, PolicySet, Request,
    Resource,
};
use store::{AuditEntry, Outcome, Store};

use super::auth::{internal, signed_in, state, Principal};
use super::{client_ip, respond};
use crate::error::AppError;

/// ARN of a template, in AWS's form for AWS-managed policies.
pub fn template_arn(name: &str) -> String {
    format!("arn:aws:iam::aws:policy/{name}")
}

/// The templates, parsed once, by ARN.
pub fn templates(
) -> &'static HashMap<String, (&'static policy::templates::Template, PolicyDocument)> {
    static TEMPLATES: OnceLock<
        HashMap<String, (&'static policy::templates::Template, PolicyDocument)>,
    > = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        policy::templates::templates()
            .iter()
            .filter_map(|t| {
                let document = PolicyDocument::parse(&t.document, PolicyKind::Template).ok()?;
                Some((template_arn(t.name), (t, document)))
            })
            .collect()
    })
}

/// A template by its name (case-insensitive, as policy names are), with its ARN.
pub fn template_named(
    name: &str,
) -> Option<(
    &'static String,
    &'static (&'static policy::templates::Template, PolicyDocument),
)> {
    templates()
        .iter()
        .find(|(_, (template, _))| template.name.eq_ignore_ascii_case(name))
}

/// Adds a policy to a set: a template from code, the default version of a
/// customer-managed policy, or an inline policy (both validated when saved).
pub fn add_attached(set: &mut PolicySet, policy: &store::EffectivePolicy) {
    match (&policy.document, &policy.policy_arn) {
        (Some(text), arn) => {
            let kind = if arn.is_some() {
                PolicyKind::Managed
            } else {
                PolicyKind::InlineRole
            };
            match PolicyDocument::parse(text, kind) {
                Ok(document) => set.add(&policy.name, &document),
                Err(e) => tracing::error!("stored policy {} no longer parses: {e}", policy.name),
            }
        }
        (None, Some(arn)) => {
            if let Some((template, document)) = templates().get(arn) {
                set.add(template.name, document);
            }
        }
        (None, None) => {}
    }
}

/// A principal's policies compiled for the engine: what it is given, and the ceiling
/// its permissions boundary sets.
pub struct Compiled {
    pub identity: PolicySet,
    pub boundary: Option<PolicySet>,
}

impl Compiled {
    pub fn new(permissions: &store::Permissions) -> Compiled {
        let mut identity = PolicySet::new();
        for policy in &permissions.policies {
            add_attached(&mut identity, policy);
        }
        let boundary = permissions.boundary.as_ref().map(|b| {
            let mut set = PolicySet::new();
            add_attached(&mut set, b);
            set
        });
        Compiled { identity, boundary }
    }

    pub fn evaluator(&self) -> Evaluator<'_> {
        let evaluator = Evaluator::new(&self.identity);
        match &self.boundary {
            Some(boundary) => evaluator.with_boundary(boundary),
            None => evaluator,
        }
    }
}

/// Compiled policies by principal: `user:ID`, or `role:ID` for role sessions.
#[derive(Clone, Default)]
pub struct PolicyCache {
    sets: Arc<Mutex<HashMap<String, Arc<Compiled>>>>,
}

impl PolicyCache {
    pub fn new() -> PolicyCache {
        PolicyCache::default()
    }

    /// Forgets everything: called when permissions change anywhere.
    pub fn clear(&self) {
        if let Ok(mut sets) = self.sets.lock() {
            sets.clear();
        }
    }

    pub(crate) async fn get(
        &self,
        store: &Store,
        principal: &Principal,
    ) -> Result<Arc<Compiled>, AppError> {
        let key = match &principal.role {
            Some(role) => format!("role:{}", role.role_id),
            None => format!("user:{}", principal.user.id),
        };
        if let Some(set) = self.sets.lock().ok().and_then(|s| s.get(&key).cloned()) {
            return Ok(set);
        }
        let permissions = match &principal.role {
            Some(role) => store.role_permissions(&role.role_id).await,
            None => store.user_permissions(&principal.user.id).await,
        }
        .map_err(internal)?;
        let compiled = Arc::new(Compiled::new(&permissions));
        if let Ok(mut sets) = self.sets.lock() {
            sets.insert(key, compiled.clone());
        }
        Ok(compiled)
    }
}

/// What an action acts on, resolved to an ARN once the account is known.
pub enum Target<'a> {
    User(&'a str),
    Users,
    Group(&'a str),
    Groups,
    Policy(&'a str),
    Role(&'a str),
    Roles,
    Any,
}

impl Target<'_> {
    fn arn(&self, account: &str) -> String {
        match self {
            Target::User(name) => format!("arn:aws:iam::{account}:user/{name}"),
            Target::Users => format!("arn:aws:iam::{account}:user/*"),
            Target::Group(name) => format!("arn:aws:iam::{account}:group/{name}"),
            Target::Groups => format!("arn:aws:iam::{account}:group/*"),
            Target::Policy(name) => format!("arn:aws:iam::{account}:policy/{name}"),
            Target::Role(name) => format!("arn:aws:iam::{account}:role/{name}"),
            Target::Roles => format!("arn:aws:iam::{account}:role/*"),
            Target::Any => "*".into(),
        }
    }
}

/// The context the console sets on every request: time, MFA (with its age when
/// known), transport, source address and region; empty values are left out. The
/// simulator uses it too, so it asks the engine what enforcement would.
pub fn console_context(
    now: i64,
    mfa: bool,
    mfa_age: Option<i64>,
    secure: bool,
    ip: &str,
    region: &str,
) -> Context {
    let mut context = Context::new()
        .with("aws:CurrentTime", &policy::time::format_iso(now * 1000))
        .with("aws:EpochTime", &now.to_string())
        .with(
            "aws:MultiFactorAuthPresent",
            if mfa { "true" } else { "false" },
        )
        .with("aws:SecureTransport", if secure { "true" } else { "false" });
    if let Some(age) = mfa_age {
        context.insert(
            "aws:MultiFactorAuthAge",
            ContextValue::Single(age.to_string()),
        );
    }
    if !ip.is_empty() {
        context.insert("aws:SourceIp", ContextValue::Single(ip.to_string()));
    }
    if !region.is_empty() {
        context.insert(
            "aws:RequestedRegion",
            ContextValue::Single(region.to_string()),
        );
    }
    context
}

/// The principal as the engine sees it: the user, or the role session (which carries
/// no user tags, as in AWS).
pub fn engine_principal(principal: &Principal) -> policy::Principal {
    match &principal.role {
        Some(role) => role_session_principal(
            &principal.account_id,
            &role.role_id,
            &role.role_name,
            &principal.user.name,
        ),
        None => user_principal(&principal.user, &principal.account_id),
    }
}

/// An IAM user as the engine sees it, with its tags.
pub fn user_principal(user: &store::User, account: &str) -> policy::Principal {
    policy::Principal {
        kind: policy::PrincipalKind::User,
        arn: user.arn.clone(),
        account: account.to_string(),
        id: Some(user.id.clone()),
        tags: user.tags.clone(),
    }
}

/// A session named `session` of a role, as the engine sees it.
pub fn role_session_principal(
    account: &str,
    role_id: &str,
    role_name: &str,
    session: &str,
) -> policy::Principal {
    policy::Principal {
        kind: policy::PrincipalKind::RoleSession,
        arn: super::auth::role_session_arn(account, role_name, session),
        account: account.to_string(),
        id: Some(format!("{role_id}:{session}")),
        tags: Default::default(),
    }
}

/// Builds the engine's request for this principal with the console's context. The
/// engine derives the principal's own keys (`aws:username`, `aws:PrincipalTag/*`, …)
/// from the principal itself.
pub(crate) fn request(
    principal: &Principal,
    action: &str,
    resource: &str,
    ip: &str,
) -> Result<Request, AppError> {
    let now = state()?.clock.now().unix_timestamp();
    let mfa_age = principal.mfa.then(|| (now - principal.signed_in_at).max(0));
    let secure = super::auth::secure_transport();
    let context = console_context(now, principal.mfa, mfa_age, secure, ip, &principal.region);
    Request::new(
        engine_principal(principal),
        action,
        Resource {
            arn: resource.into(),
            account: None,
            tags: Default::default(),
        },
        context,
    )
    .map_err(internal)
}

/// What an authorized change needs for its audit row: who, the action, the ARN the
/// decision was made on, and the caller's address.
pub struct Permit {
    pub principal: Principal,
    pub action: &'static str,
    pub resource: String,
    pub ip: String,
}

impl Permit {
    /// The audit entry of the permitted change, on the authorized resource.
    pub fn audit(&self, detail: impl Into<String>) -> AuditEntry {
        self.principal
            .audit(self.action, &self.resource, &self.ip, detail)
    }
}

/// Authorizes the signed-in principal for `action` on `target`, or refuses with the
/// reason; a refusal is audited with the statement or layer that decided it.
pub async fn authorize(action: &'static str, target: Target<'_>) -> Result<Principal, AppError> {
    permit(action, target).await.map(|permit| permit.principal)
}

/// [`authorize`], keeping what the change's own audit row needs.
pub async fn permit(action: &'static str, target: Target<'_>) -> Result<Permit, AppError> {
    let principal = signed_in().await?;
    let resource = target.arn(&principal.account_id);
    let ip = client_ip().await;
    if principal.user.is_root {
        return Ok(Permit {
            principal,
            action,
            resource,
            ip,
        });
    }
    let state = state()?;
    let compiled = state.policies.get(&state.store, &principal).await?;
    let request = request(&principal, action, &resource, &ip)?;
    let explanation = compiled.evaluator().explain(&request);
    if explanation.decision == Decision::Allow {
        return Ok(Permit {
            principal,
            action,
            resource,
            ip,
        });
    }
    let reason = refusal(&explanation, &principal);
    let mut entry = principal.audit(action, &resource, &ip, format!("refused: {reason}"));
    entry.outcome = Outcome::Denied;
    state.store.audit(&entry).await.map_err(internal)?;
    Err(respond(AppError::Forbidden(format!(
        "You are not allowed to perform {action} on {resource}: {reason}."
    ))))
}

/// Why the engine refused: the explicit Deny statement, the boundary, or nothing
/// that allows it.
fn refusal(explanation: &policy::Explanation, principal: &Principal) -> String {
    match explanation.decision {
        Decision::ExplicitDeny => {
            let deny = explanation
                .matched
                .iter()
                .find(|m| m.effect == policy::Effect::Deny);
            match deny {
                Some(m) => format!(
                    "explicitly denied by statement {} of {}",
                    m.sid.clone().unwrap_or_else(|| format!("#{}", m.statement)),
                    m.policy
                ),
                None => "explicitly denied".into(),
            }
        }
        _ if explanation
            .blocked_by
            .contains(&policy::Layer::PermissionsBoundary) =>
        {
            "your permissions boundary does not allow it".into()
        }
        _ if principal.role.is_some() => "no policy of the role allows it".into(),
        _ => "no policy attached to you, your groups or your roles allows it".into(),
    }
}

/// Which of `checks` the principal would be refused, with why: the menu leaves those
/// sections out and pages show those controls disabled with the reason (the server
/// still decides on every call). One cache lookup serves all the checks.
pub async fn refusals(
    principal: &Principal,
    checks: &[(&str, Target<'_>)],
) -> Result<crate::api::permissions::Refusals, AppError> {
    let mut refusals = crate::api::permissions::Refusals::default();
    if principal.user.is_root && principal.role.is_none() {
        return Ok(refusals);
    }
    let state = state()?;
    let compiled = state.policies.get(&state.store, principal).await?;
    let ip = client_ip().await;
    for (action, target) in checks {
        let request = request(principal, action, &target.arn(&principal.account_id), &ip)?;
        let explanation = compiled.evaluator().explain(&request);
        if !explanation.decision.is_allowed() {
            refusals
                .0
                .insert(action.to_string(), refusal(&explanation, principal));
        }
    }
    Ok(refusals)
}
