//! Compiling validated documents into a [`PolicySet`] indexed by action.
//!
//! A principal's policies are compiled once (the console caches the result) and then
//! answer many requests. The index sends a request straight to the statements that can
//! name its action: exact actions by hash, `service:Prefix*` patterns by service, and
//! only `*`/`NotAction` statements to everyone, so unrelated statements cost nothing.

use crate::condition::CompiledCondition;
use crate::document::{Effect, PolicyDocument, PrincipalClause, PrincipalType, Statement};
use crate::fasthash::FastMap;
use crate::pattern::{tokenize, Pattern};
use crate::request::{NoVariables, Principal, PrincipalKind, Request};

/// How a resource policy's `Principal` named the requester: AWS limits a grant
/// differently depending on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// Through the account (root ARN or account id): only delegates to identity policies.
    ViaAccount,
    /// Through the role a session belongs to: still limited by boundary and session policy.
    ViaRole,
    /// By its own ARN, or by `*`.
    Direct,
}

#[derive(Debug, Clone)]
enum AwsPrincipal {
    Everyone,
    Account(Box<str>),
    /// A role ARN: matches the role and its sessions.
    Role {
        arn: Box<str>,
        account: Box<str>,
        name: Box<str>,
    },
    /// User, session, or any other ARN compared as written.
    Arn(Box<str>),
}

#[derive(Debug, Clone)]
struct PrincipalMatcher {
    negated: bool,
    everyone: bool,
    aws: Vec<AwsPrincipal>,
    /// Service, federated and canonical-user principals: compared with the ARN as given.
    named: Vec<Box<str>>,
}

impl PrincipalMatcher {
    fn compile(clause: &PrincipalClause) -> PrincipalMatcher {
        let mut aws = Vec::new();
        let mut named = Vec::new();
        for (kind, item) in &clause.entries {
            let value = item.value.as_str();
            match kind {
                PrincipalType::Aws => aws.push(aws_principal(value)),
                _ => named.push(value.into()),
            }
        }
        PrincipalMatcher {
            negated: clause.negated,
            everyone: clause.everyone,
            aws,
            named,
        }
    }

    /// How this `Principal` names the requester, or, for `NotPrincipal`, whether the
    /// statement applies to them. `deny` and `bounded` (the requester has a permissions
    /// boundary) matter only for `NotPrincipal`, where AWS applies a Deny to everyone
    /// not listed along their whole chain, and always to principals with a boundary.
    fn find(&self, principal: &Principal, deny: bool, bounded: bool) -> Option<PrincipalMatch> {
        if self.negated {
            let excluded = if deny {
                !bounded && self.lists_whole_chain(principal)
            } else {
                self.named(principal).is_some()
            };
            return (!excluded).then_some(PrincipalMatch::Direct);
        }
        self.named(principal)
    }

    fn named(&self, principal: &Principal) -> Option<PrincipalMatch> {
        if self.everyone {
            return Some(PrincipalMatch::Direct);
        }
        let mut best = None;
        for entry in &self.aws {
            let found = match entry {
                AwsPrincipal::Everyone => Some(PrincipalMatch::Direct),
                AwsPrincipal::Account(account) => {
                    let same = !principal.account.is_empty() && **account == *principal.account;
                    match principal.kind {
                        PrincipalKind::Root if same => Some(PrincipalMatch::Direct),
                        PrincipalKind::User
                        | PrincipalKind::Role
                        | PrincipalKind::RoleSession
                        | PrincipalKind::FederatedUser
                            if same =>
                        {
                            Some(PrincipalMatch::ViaAccount)
                        }
                        _ => None,
                    }
                }
                AwsPrincipal::Role { arn, account, name } => match principal.kind {
                    PrincipalKind::Role if **arn == *principal.arn => Some(PrincipalMatch::Direct),
                    PrincipalKind::RoleSession
                        if **account == *principal.account
                            && principal.role_name() == Some(&**name) =>
                    {
                        Some(PrincipalMatch::ViaRole)
                    }
                    _ => None,
                },
                AwsPrincipal::Arn(arn) if arn.is_empty() => None,
                AwsPrincipal::Arn(arn) if **arn == *principal.arn => Some(PrincipalMatch::Direct),
                // A federated user's session named through the IAM user who asked for it:
                // limited by the session policy, like a role session named by its role.
                AwsPrincipal::Arn(arn) => (principal.kind == PrincipalKind::FederatedUser
                    && principal.source_arn.as_deref() == Some(&**arn))
                .then_some(PrincipalMatch::ViaRole),
            };
            best = best.max(found);
        }
        if best.is_none()
            && self
                .named
                .iter()
                .any(|n| !principal.arn.is_empty() && **n == *principal.arn)
        {
            best = Some(PrincipalMatch::Direct);
        }
        best
    }

    /// For `NotPrincipal` with `Deny`: AWS checks each identity in the requester's chain
    /// (the account, and the user, role or session), so a requester escapes the Deny only
    /// when every one of them is listed.
    fn lists_whole_chain(&self, principal: &Principal) -> bool {
        if self.everyone || self.aws.iter().any(|e| matches!(e, AwsPrincipal::Everyone)) {
            return true;
        }
        let account_listed = || {
            !principal.account.is_empty()
                && self
                    .aws
                    .iter()
                    .any(|e| matches!(e, AwsPrincipal::Account(a) if **a == *principal.account))
        };
        let arn_listed = || {
            !principal.arn.is_empty()
                && self.aws.iter().any(|e| match e {
                    AwsPrincipal::Arn(a) => **a == *principal.arn,
                    AwsPrincipal::Role { arn, .. } => **arn == *principal.arn,
                    _ => false,
                })
        };
        match principal.kind {
            PrincipalKind::Root => account_listed(),
            PrincipalKind::User
            | PrincipalKind::Role
            | PrincipalKind::RoleSession
            | PrincipalKind::FederatedUser => account_listed() && arn_listed(),
            PrincipalKind::Service | PrincipalKind::WebIdentity | PrincipalKind::SamlUser => self
                .named
                .iter()
                .any(|n| !principal.arn.is_empty() && **n == *principal.arn),
            PrincipalKind::Anonymous => false,
        }
    }
}

fn aws_principal(value: &str) -> AwsPrincipal {
    if value == "*" {
        return AwsPrincipal::Everyone;
    }
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return AwsPrincipal::Account(value.into());
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    match parts.as_slice() {
        [_, _, "iam", _, account, "root"] => AwsPrincipal::Account((*account).into()),
        [_, _, "iam", _, account, resource] if resource.starts_with("role/") => {
            AwsPrincipal::Role {
                arn: value.into(),
                account: (*account).into(),
                name: resource.rsplit('/').next().unwrap_or_default().into(),
            }
        }
        _ => AwsPrincipal::Arn(value.into()),
    }
}

/// A list of patterns, possibly negated (`NotAction`, `NotResource`).
#[derive(Debug, Clone)]
struct PatternList {
    negated: bool,
    patterns: Vec<Pattern>,
}

impl PatternList {
    fn matches(&self, text: &str, request: &Request) -> bool {
        let any = self
            .patterns
            .iter()
            .any(|p| p.matches(text, &request.context));
        any != self.negated
    }
}

/// A statement's `Action`/`NotAction`, grouped by service so that a statement listing
/// thousands of actions (ReadOnlyAccess) tests only the request's service's patterns.
#[derive(Debug, Clone)]
struct ActionPatterns {
    negated: bool,
    /// Lower-case service prefix → patterns for the action name.
    by_service: FastMap<Box<str>, Vec<Pattern>>,
    /// Patterns that are not `service:name` with a literal service (`*`).
    anywhere: Vec<Pattern>,
}

impl ActionPatterns {
    fn compile(negated: bool, items: &[crate::document::Located<String>]) -> ActionPatterns {
        let mut by_service: FastMap<Box<str>, Vec<Pattern>> = FastMap::default();
        let mut anywhere = Vec::new();
        for item in items {
            let lower = item.value.to_ascii_lowercase();
            if !is_action_name(&lower) {
                // Stored as AWS stores it (`s3:GetObject,PutObject`, `s3:`), matching nothing.
                continue;
            }
            match lower.split_once(':') {
                Some((service, name)) if !service.contains(['*', '?']) => by_service
                    .entry(service.into())
                    .or_default()
                    .push(Pattern::wildcard(name)),
                _ => anywhere.push(Pattern::wildcard(&lower)),
            }
        }
        ActionPatterns {
            negated,
            by_service,
            anywhere,
        }
    }

    fn matches(&self, request: &Request) -> bool {
        let key = request.action_key.as_str();
        let name = key.get(request.service_len + 1..).unwrap_or_default();
        let any = self.anywhere.iter().any(|p| p.matches(key, &NoVariables))
            || self
                .by_service
                .get(request.service())
                .is_some_and(|patterns| patterns.iter().any(|p| p.matches(name, &NoVariables)));
        any != self.negated
    }
}

/// `*`, or a vendor, one colon and a non-empty name of letters, digits, `-`, `_` and
/// wildcards: the only shapes a request's action can have.
fn is_action_name(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((vendor, name)) = action.split_once(':') else {
        return false;
    };
    let ok = |c: char| c.is_ascii_alphanumeric() || "-_*?.".contains(c);
    !vendor.is_empty() && !name.is_empty() && vendor.chars().all(ok) && name.chars().all(ok)
}

/// A statement ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledStatement {
    /// Index of its policy in the set.
    pub policy: u32,
    /// Index within the policy's `Statement` list.
    pub index: u32,
    pub sid: Option<Box<str>>,
    pub effect: Effect,
    principal: Option<PrincipalMatcher>,
    actions: ActionPatterns,
    resources: Option<PatternList>,
    conditions: Vec<CompiledCondition>,
}

impl CompiledStatement {
    fn compile(policy: u32, statement: &Statement, variables: bool) -> CompiledStatement {
        let actions = ActionPatterns::compile(statement.actions.negated, &statement.actions.items);
        let resources = statement.resources.as_ref().map(|r| PatternList {
            negated: r.negated,
            patterns: r
                .items
                .iter()
                .map(|item| {
                    tokenize(&item.value, true, variables)
                        .map(Pattern::compile)
                        .unwrap_or_else(|_| Pattern::Exact(item.value.as_str().into()))
                })
                .collect(),
        });
        let conditions = statement
            .conditions
            .iter()
            .map(|c| {
                let values: Vec<String> = c.values.iter().map(|v| v.value.clone()).collect();
                CompiledCondition::compile(c.operator, &c.key.value, &values, variables)
            })
            .collect();
        CompiledStatement {
            policy,
            index: u32::try_from(statement.index).unwrap_or(u32::MAX),
            sid: statement.sid.as_ref().map(|s| s.value.as_str().into()),
            effect: statement.effect,
            principal: statement.principal.as_ref().map(PrincipalMatcher::compile),
            actions,
            resources,
            conditions,
        }
    }

    /// Whether it has `Principal` or `NotPrincipal`: in a resource policy a statement
    /// without one names nobody and never matches.
    pub(crate) fn names_principal(&self) -> bool {
        self.principal.is_some()
    }

    /// Whether the statement applies to the request. `action_known` skips the action
    /// test when the index already proved it. Returns how the principal matched
    /// (`Direct` when the statement names no principal).
    #[inline]
    pub(crate) fn applies(
        &self,
        request: &Request,
        action_known: bool,
        bounded: bool,
    ) -> Option<PrincipalMatch> {
        if !action_known && !self.actions.matches(request) {
            return None;
        }
        if let Some(resources) = &self.resources {
            if !resources.matches(&request.resource.arn, request) {
                return None;
            }
        }
        let principal = match &self.principal {
            Some(matcher) => {
                matcher.find(&request.principal, self.effect == Effect::Deny, bounded)?
            }
            None => PrincipalMatch::Direct,
        };
        if !self.conditions.iter().all(|c| c.evaluate(&request.context)) {
            return None;
        }
        Some(principal)
    }
}

/// Statement ids grouped by how their actions can be found.
#[derive(Debug, Clone, Default)]
struct ActionIndex {
    /// `service:action` (lower-case) named exactly.
    exact: FastMap<Box<str>, Vec<u32>>,
    /// Statements with a wildcard action of one service.
    by_service: FastMap<Box<str>, Vec<u32>>,
    /// `*`, `NotAction`, or wildcards in the service part: checked for every request.
    everywhere: Vec<u32>,
}

/// The compiled policies of one evaluation layer (a principal's identity policies, a
/// resource policy, a boundary, a session policy).
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    names: Vec<String>,
    statements: Vec<CompiledStatement>,
    index: ActionIndex,
}

/// Where a candidate statement came from in the index.
pub(crate) struct Candidate<'a> {
    pub statement: &'a CompiledStatement,
    pub id: u32,
    pub action_known: bool,
}

impl PolicySet {
    pub fn new() -> PolicySet {
        PolicySet::default()
    }

    /// Compiles a list of named documents into one set.
    pub fn from_documents<'a>(
        documents: impl IntoIterator<Item = (&'a str, &'a PolicyDocument)>,
    ) -> PolicySet {
        let mut set = PolicySet::new();
        for (name, document) in documents {
            set.add(name, document);
        }
        set
    }

    /// Adds one document under `name` (how explanations refer to it).
    pub fn add(&mut self, name: &str, document: &PolicyDocument) {
        let policy = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_string());
        let variables = document.substitutes_variables();
        for statement in &document.statements {
            let id = u32::try_from(self.statements.len()).unwrap_or(u32::MAX);
            self.index_statement(id, statement);
            self.statements
                .push(CompiledStatement::compile(policy, statement, variables));
        }
    }

    fn index_statement(&mut self, id: u32, statement: &Statement) {
        if statement.actions.negated {
            self.index.everywhere.push(id);
            return;
        }
        let mut placed_everywhere = false;
        for item in &statement.actions.items {
            let action = item.value.to_ascii_lowercase();
            if !is_action_name(&action) {
                continue;
            }
            let Some((service, name)) = action.split_once(':') else {
                if !placed_everywhere {
                    self.index.everywhere.push(id);
                    placed_everywhere = true;
                }
                continue;
            };
            let wild = |s: &str| s.contains(['*', '?']);
            if wild(service) {
                if !placed_everywhere {
                    self.index.everywhere.push(id);
                    placed_everywhere = true;
                }
            } else if wild(name) {
                let list = self.index.by_service.entry(service.into()).or_default();
                if list.last() != Some(&id) {
                    list.push(id);
                }
            } else {
                let list = self.index.exact.entry(action.as_str().into()).or_default();
                if list.last() != Some(&id) {
                    list.push(id);
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    pub fn policy_name(&self, policy: u32) -> &str {
        self.names
            .get(policy as usize)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The statements that may apply to the request's action, each once at most per
    /// index list (a statement found in two lists is yielded twice; callers that report
    /// statements deduplicate by `id`).
    pub(crate) fn candidates<'s>(
        &'s self,
        request: &Request,
    ) -> impl Iterator<Item = Candidate<'s>> + 's {
        let exact = self
            .index
            .exact
            .get(request.action_key.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let by_service = self
            .index
            .by_service
            .get(request.service())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let lists = [
            (exact, true),
            (by_service, false),
            (self.index.everywhere.as_slice(), false),
        ];
        lists.into_iter().flat_map(move |(ids, known)| {
            ids.iter().filter_map(move |&id| {
                self.statements.get(id as usize).map(|statement| Candidate {
                    statement,
                    id,
                    action_known: known,
                })
            })
        })
    }
}
