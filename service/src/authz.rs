//! Every action is decided by the policy engine, whichever door it came through.
//!
//! A principal's effective policies (its own, its groups', its roles', and its
//! permissions boundary; or a role session's) are compiled once and cached. The cache
//! is emptied on every server process when PostgreSQL announces a permission change,
//! and it keeps nothing while this process is not listening for those announcements.
//! A generation counter guards the race between reading permissions and storing the
//! compiled set: an announcement that lands in between wins.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use model::Refusals;
use policy::{
    Context, ContextValue, Decision, Evaluator, PolicyDocument, PolicyKind, PolicySet, Request,
    Resource,
};
use store::{Outcome, Store};

use crate::caller::{role_session_arn, Caller};
use crate::error::{Denial, DenialReason, ServiceError};
use crate::Service;

/// ARN of a template, in AWS's form for AWS-managed policies.
pub fn template_arn(name: &str) -> String {
    format!("{}{name}", store::permissions::TEMPLATE_ARN_PREFIX)
}

type Template = (&'static policy::templates::Template, PolicyDocument);

/// The templates, parsed once, by ARN.
pub fn templates() -> &'static HashMap<String, Template> {
    static TEMPLATES: OnceLock<HashMap<String, Template>> = OnceLock::new();
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
pub fn template_named(name: &str) -> Option<(&'static String, &'static Template)> {
    templates()
        .iter()
        .find(|(_, (template, _))| template.name.eq_ignore_ascii_case(name))
}

/// Adds a policy to a set: a template from code, the default version of a
/// customer-managed policy, or an inline policy (both validated when saved).
pub(crate) fn add_attached(set: &mut PolicySet, policy: &store::EffectivePolicy) {
    match (&policy.document, &policy.policy_arn) {
        (Some(text), arn) => {
            let kind = if arn.is_some() {
                PolicyKind::Managed
            } else {
                PolicyKind::InlineRole
            };
            match PolicyDocument::parse_stored(text, kind) {
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

    /// The evaluator for `caller`: these policies, the boundary, and the session
    /// policies of the credentials the caller signed with.
    pub fn evaluator_for<'a>(&'a self, caller: &'a Caller) -> Evaluator<'a> {
        match &caller.session_policy {
            Some(session) => self.evaluator().with_session_policy(session),
            None => self.evaluator(),
        }
    }

    pub fn evaluator(&self) -> Evaluator<'_> {
        let evaluator = Evaluator::new(&self.identity);
        match &self.boundary {
            Some(boundary) => evaluator.with_boundary(boundary),
            None => evaluator,
        }
    }
}

#[derive(Default)]
struct CacheState {
    generation: u64,
    sets: HashMap<String, Arc<Compiled>>,
}

/// Compiled policies by principal: `user:ID`, or `role:ID` for role sessions.
#[derive(Clone, Default)]
pub struct PolicyCache {
    state: Arc<Mutex<CacheState>>,
}

impl PolicyCache {
    /// Forgets everything: called when permissions change anywhere.
    pub fn invalidate(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.generation += 1;
        state.sets.clear();
    }

    /// How many principals are cached (for tests).
    pub fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .sets
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The compiled policies under `key`, loading them with `load` when absent.
    /// What `load` read is kept only if no change was announced meanwhile and this
    /// process is listening for announcements.
    pub async fn get_or_load<F, Fut>(
        &self,
        store: &Store,
        key: String,
        load: F,
    ) -> Result<Arc<Compiled>, ServiceError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<store::Permissions, store::StoreError>>,
    {
        let generation = {
            let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if store.is_listening() {
                if let Some(set) = state.sets.get(&key) {
                    return Ok(set.clone());
                }
            }
            state.generation
        };
        let permissions = load().await?;
        let compiled = Arc::new(Compiled::new(&permissions));
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.generation == generation && store.is_listening() {
            state.sets.insert(key, compiled.clone());
        }
        Ok(compiled)
    }
}

/// The context every request carries: time, MFA (with its age when known),
/// transport, source address and region; empty values are left out. The simulator
/// uses it too, so it asks the engine what enforcement would.
pub fn request_context(
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

/// An IAM user as the engine sees it, with its tags.
pub fn user_principal(user: &store::User, account: &str) -> policy::Principal {
    policy::Principal {
        kind: if user.is_root {
            policy::PrincipalKind::Root
        } else {
            policy::PrincipalKind::User
        },
        arn: user.arn.clone(),
        account: account.to_string(),
        id: Some(user.id.clone()),
        tags: user.tags.clone(),
        source_arn: None,
    }
}

/// A session named `session` of a role, as the engine sees it: the role's tags are
/// its principal tags, never the assuming user's, as in AWS.
pub fn role_session_principal(
    account: &str,
    role_id: &str,
    role_name: &str,
    session: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> policy::Principal {
    policy::Principal {
        kind: policy::PrincipalKind::RoleSession,
        arn: role_session_arn(account, role_name, session),
        account: account.to_string(),
        id: Some(format!("{role_id}:{session}")),
        tags: tags.clone(),
        source_arn: None,
    }
}

/// The caller as the engine sees it.
pub fn engine_principal(caller: &Caller) -> policy::Principal {
    if let (None, Some(federated)) = (&caller.role, &caller.federated) {
        return policy::Principal {
            kind: policy::PrincipalKind::FederatedUser,
            arn: caller.arn(),
            account: caller.account_id.clone(),
            id: Some(format!("{}:{}", caller.account_id, federated.name)),
            tags: federated.tags.clone(),
            source_arn: None,
        };
    }
    match &caller.role {
        Some(role) => role_session_principal(
            &caller.account_id,
            &role.role_id,
            &role.role_name,
            &role.session_name,
            &role.attributes.principal_tags(&role.tags),
        ),
        None => user_principal(&caller.user, &caller.account_id),
    }
}

/// Context keys a request adds to the caller's own: `iam:PolicyARN`,
/// `aws:RequestTag/…`, and so on.
#[derive(Debug, Clone, Default)]
pub struct Extra(Vec<(String, ContextValue)>);

impl Extra {
    pub fn new() -> Extra {
        Extra::default()
    }

    pub fn with(mut self, key: &str, value: &str) -> Extra {
        self.0
            .push((key.to_string(), ContextValue::Single(value.to_string())));
        self
    }

    /// A key with several values (`sts:TransitiveTagKeys`).
    pub fn with_multi(mut self, key: &str, values: &[String]) -> Extra {
        self.0
            .push((key.to_string(), ContextValue::Multi(values.to_vec())));
        self
    }

    /// `aws:RequestTag/KEY` for each tag, and `aws:TagKeys` listing the keys.
    pub fn with_request_tags<'a>(
        mut self,
        tags: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Extra {
        let mut keys = Vec::new();
        for (key, value) in tags {
            self.0.push((
                format!("aws:RequestTag/{key}"),
                ContextValue::Single(value.clone()),
            ));
            keys.push(key.clone());
        }
        if !keys.is_empty() {
            self.0
                .push(("aws:TagKeys".into(), ContextValue::Multi(keys)));
        }
        self
    }

    /// `aws:TagKeys` alone, for removing tags.
    pub fn with_tag_keys(mut self, keys: &[String]) -> Extra {
        if !keys.is_empty() {
            self.0
                .push(("aws:TagKeys".into(), ContextValue::Multi(keys.to_vec())));
        }
        self
    }

    /// `aws:ResourceTag/KEY` (and IAM's own `iam:ResourceTag/KEY`) for the tags of
    /// the user, role or policy the request is about.
    pub fn with_resource_tags(
        mut self,
        tags: &std::collections::BTreeMap<String, String>,
    ) -> Extra {
        for (key, value) in tags {
            for prefix in ["aws:ResourceTag/", "iam:ResourceTag/"] {
                self.0.push((
                    format!("{prefix}{key}"),
                    ContextValue::Single(value.clone()),
                ));
            }
        }
        self
    }

    /// The user's current boundary as `iam:PermissionsBoundary`: the context of
    /// most requests about a user.
    pub fn boundary_of(user: &store::User) -> Extra {
        Extra::new().with_boundary(user.boundary_arn.as_deref())
    }

    /// `iam:PermissionsBoundary`, when there is one.
    pub fn with_boundary(self, boundary: Option<&str>) -> Extra {
        match boundary {
            Some(arn) => self.with("iam:PermissionsBoundary", arn),
            None => self,
        }
    }
}

/// The engine's request for this caller, with the request's context and `extra`.
/// The engine derives the principal's own keys (`aws:username`, `aws:PrincipalTag/*`)
/// from the principal.
pub fn engine_request(
    caller: &Caller,
    action: &str,
    resource: &str,
    extra: &Extra,
) -> Result<Request, ServiceError> {
    let now = caller.now.unix_timestamp();
    let mfa_age = caller.mfa.then(|| (now - caller.authenticated_at).max(0));
    let mut context = request_context(
        now,
        caller.mfa,
        mfa_age,
        caller.facts.secure_transport,
        &caller.facts.ip_text(),
        &caller.region,
    );
    if let Some(source) = caller
        .role
        .as_ref()
        .and_then(|r| r.attributes.source_identity.as_deref())
    {
        context.insert(
            "aws:SourceIdentity",
            ContextValue::Single(source.to_string()),
        );
    }
    if let Some(issued) = caller.token_issued_at {
        context.insert(
            "aws:TokenIssueTime",
            ContextValue::Single(policy::time::format_iso(issued * 1000)),
        );
    }
    if let Some((status, used)) = &caller.budget {
        context.insert(
            "portcullis:BudgetStatus",
            ContextValue::Single(status.clone()),
        );
        context.insert(
            "portcullis:BudgetUsedPercent",
            ContextValue::Single(used.clone()),
        );
    }
    for (key, value) in &extra.0 {
        context.insert(key, value.clone());
    }
    Request::new(
        engine_principal(caller),
        action,
        Resource {
            arn: resource.into(),
            account: None,
            tags: Default::default(),
        },
        context,
    )
    .map_err(ServiceError::internal)
}

/// What an authorized change needs for its audit row: the action and the ARN the
/// decision was made on.
#[derive(Debug, Clone)]
pub struct Permit {
    pub action: &'static str,
    pub resource: String,
}

impl Permit {
    /// The audit row of the permitted change, on the authorized resource.
    pub fn audit(&self, caller: &Caller, detail: impl Into<String>) -> store::AuditEntry {
        caller.audit(self.action, &self.resource, Outcome::Success, detail)
    }
}

/// Why the engine refused: the explicit Deny statement, the boundary, or nothing
/// that allows it.
pub(crate) fn denial_reason(explanation: &policy::Explanation, caller: &Caller) -> DenialReason {
    if explanation.decision == Decision::ExplicitDeny {
        if let Some(m) = explanation
            .matched
            .iter()
            .find(|m| m.effect == policy::Effect::Deny)
        {
            return DenialReason::ExplicitDeny {
                layer: m.layer,
                policy: m.policy.clone(),
                statement: m.sid.clone().unwrap_or_else(|| format!("#{}", m.statement)),
            };
        }
    }
    if explanation
        .blocked_by
        .contains(&policy::Layer::PermissionsBoundary)
    {
        DenialReason::Boundary
    } else if explanation
        .blocked_by
        .contains(&policy::Layer::SessionPolicy)
    {
        DenialReason::SessionPolicy
    } else {
        DenialReason::NoIdentityAllow {
            role_session: caller.role.is_some(),
        }
    }
}

impl Service {
    /// The caller's compiled policies, from the cache.
    pub(crate) async fn compiled(&self, caller: &Caller) -> Result<Arc<Compiled>, ServiceError> {
        let store = self.store.clone();
        match &caller.role {
            Some(role) => {
                let id = role.role_id.clone();
                self.policies
                    .get_or_load(&self.store, format!("role:{id}"), || async move {
                        store.role_permissions(&id).await
                    })
                    .await
            }
            None => {
                let id = caller.user.id.clone();
                self.policies
                    .get_or_load(&self.store, format!("user:{id}"), || async move {
                        store.user_permissions(&id).await
                    })
                    .await
            }
        }
    }

    /// Asks the engine whether `caller` may do `action` on `resource`; a refusal is
    /// audited with the statement or layer that decided it.
    pub async fn authorize(
        &self,
        caller: &Caller,
        action: &'static str,
        resource: &str,
    ) -> Result<Permit, ServiceError> {
        self.authorize_with(caller, action, resource, &Extra::new())
            .await
    }

    /// Authorizes `action` on `arn` for an entity looked up by that ARN: with its
    /// tags when it exists, else on the ARN as given, so a refusal looks the same
    /// either way; then the entity, or `missing`.
    pub(crate) async fn authorize_found<T: HasTags>(
        &self,
        caller: &Caller,
        action: &'static str,
        arn: &str,
        extra: Extra,
        found: Option<T>,
        missing: impl FnOnce() -> ServiceError,
    ) -> Result<(T, Permit), ServiceError> {
        let extra = match &found {
            Some(entity) => extra.with_resource_tags(entity.tags()),
            None => extra,
        };
        let permit = self.authorize_with(caller, action, arn, &extra).await?;
        let entity = found.ok_or_else(missing)?;
        Ok((entity, permit))
    }

    /// [`Service::authorize`] with the request's own context keys.
    pub async fn authorize_with(
        &self,
        caller: &Caller,
        action: &'static str,
        resource: &str,
        extra: &Extra,
    ) -> Result<Permit, ServiceError> {
        let permit = Permit {
            action,
            resource: resource.to_string(),
        };
        if caller.is_root() {
            return Ok(permit);
        }
        let compiled = self.compiled(caller).await?;
        let request = engine_request(caller, action, resource, extra)?;
        let explanation = compiled.evaluator_for(caller).explain(&request);
        if explanation.decision == Decision::Allow {
            return Ok(permit);
        }
        let reason = denial_reason(&explanation, caller);
        let mut refusal = self.refuse(caller, action, resource, reason).await;
        if let ServiceError::AccessDenied(denial) = &mut refusal {
            denial.encoded = self.encode_refusal(caller, &request, &explanation);
        }
        Err(refusal)
    }

    /// Records a refusal and builds its error.
    pub(crate) async fn refuse(
        &self,
        caller: &Caller,
        action: &'static str,
        resource: &str,
        reason: DenialReason,
    ) -> ServiceError {
        let entry = caller.audit(
            action,
            resource,
            Outcome::Denied,
            format!("refused: {reason}"),
        );
        if let Err(e) = self.store.audit(&entry).await {
            return ServiceError::internal(e);
        }
        ServiceError::AccessDenied(Box::new(Denial {
            principal: caller.arn(),
            action: action.to_string(),
            resource: resource.to_string(),
            reason,
            encoded: None,
        }))
    }

    /// Whether the caller may do `action` on each of `resources`, asked of one
    /// compiled set (for lists filtered by permission; nothing is audited).
    pub async fn allowed_each(
        &self,
        caller: &Caller,
        action: &str,
        resources: &[String],
    ) -> Result<Vec<bool>, ServiceError> {
        if caller.is_root() {
            return Ok(vec![true; resources.len()]);
        }
        let compiled = self.compiled(caller).await?;
        let evaluator = compiled.evaluator_for(caller);
        resources
            .iter()
            .map(|resource| {
                let request = engine_request(caller, action, resource, &Extra::new())?;
                Ok(evaluator.explain(&request).decision.is_allowed())
            })
            .collect()
    }

    /// Which of `checks` (action, resource ARN) the caller would be refused, with
    /// why: pages show those controls disabled with the reason, and the menu leaves
    /// those sections out. The server still decides on every call.
    pub async fn refusals(
        &self,
        caller: &Caller,
        checks: &[(&str, String)],
    ) -> Result<Refusals, ServiceError> {
        let mut refusals = Refusals::default();
        if caller.is_root() {
            return Ok(refusals);
        }
        let compiled = self.compiled(caller).await?;
        for (action, resource) in checks {
            let request = engine_request(caller, action, resource, &Extra::new())?;
            let explanation = compiled.evaluator_for(caller).explain(&request);
            if !explanation.decision.is_allowed() {
                refusals.0.insert(
                    action.to_string(),
                    denial_reason(&explanation, caller).to_string(),
                );
            }
        }
        Ok(refusals)
    }
}

/// A path as a form or the API gives it: blank is `/`.
pub(crate) fn entity_path(path: &str) -> Result<&str, crate::ServiceError> {
    let path = path.trim();
    if path.is_empty() {
        return Ok("/");
    }
    model::validate::entity_path(path).map_err(|m| crate::ServiceError::invalid("path", m))?;
    Ok(path)
}

/// ARNs of this account's resources.
pub mod arn {
    pub fn users(account: &str) -> String {
        format!("arn:aws:iam::{account}:user/*")
    }
    pub fn user(account: &str, name: &str) -> String {
        format!("arn:aws:iam::{account}:user/{name}")
    }
    pub fn groups(account: &str) -> String {
        format!("arn:aws:iam::{account}:group/*")
    }
    pub fn group(account: &str, name: &str) -> String {
        format!("arn:aws:iam::{account}:group/{name}")
    }
    pub fn roles(account: &str) -> String {
        format!("arn:aws:iam::{account}:role/*")
    }
    pub fn role(account: &str, name: &str) -> String {
        format!("arn:aws:iam::{account}:role/{name}")
    }
    pub fn policy(account: &str, name: &str) -> String {
        format!("arn:aws:iam::{account}:policy/{name}")
    }
    pub fn policies(account: &str) -> String {
        format!("arn:aws:iam::{account}:policy/*")
    }
    /// A user's virtual MFA device, as AWS names it.
    pub fn mfa(account: &str, name: &str) -> String {
        format!("arn:aws:iam::{account}:mfa/{name}")
    }
    /// An entity under a path: `user/engineering/alice` for path `/engineering/`.
    pub fn at(account: &str, kind: &str, path: &str, name: &str) -> String {
        format!("arn:aws:iam::{account}:{kind}{path}{name}")
    }
    /// The account itself, for account-wide settings.
    pub fn account(account: &str) -> String {
        format!("arn:aws:iam::{account}:root")
    }
}

/// An entity whose tags are its `aws:ResourceTag/*`.
pub(crate) trait HasTags {
    fn tags(&self) -> &std::collections::BTreeMap<String, String>;
}

impl HasTags for store::oidc_providers::OidcProvider {
    fn tags(&self) -> &std::collections::BTreeMap<String, String> {
        &self.tags
    }
}

impl HasTags for store::saml_providers::SamlProvider {
    fn tags(&self) -> &std::collections::BTreeMap<String, String> {
        &self.tags
    }
}
