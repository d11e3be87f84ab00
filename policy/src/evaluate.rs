//! AWS's evaluation logic over the layers of one request, with its explanation.
//!
//! Default deny; any matching Deny in any layer wins; within one account a resource
//! policy can grant on its own, limited as AWS documents for how it named the
//! principal; a permissions boundary and a session policy must each also allow; across
//! accounts both the resource policy and the identity side must allow.

use std::fmt;

use crate::compile::{PolicySet, PrincipalMatch};
use crate::document::Effect;
use crate::request::{PrincipalKind, Request};

/// The outcome of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Allow,
    /// A statement with `"Effect": "Deny"` matched.
    ExplicitDeny,
    /// Nothing allowed it (or a boundary or session policy did not).
    ImplicitDeny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        }
    }

    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of policy that take part in a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Identity,
    Resource,
    PermissionsBoundary,
    SessionPolicy,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Identity => "identity",
            Layer::Resource => "resource_policy",
            Layer::PermissionsBoundary => "permissions_boundary",
            Layer::SessionPolicy => "session_policy",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A statement that matched the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    pub layer: Layer,
    pub policy: String,
    /// Index in the policy's `Statement` list.
    pub statement: usize,
    pub sid: Option<String>,
    pub effect: Effect,
}

/// A decision with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub decision: Decision,
    /// For a deny: the layers that denied (explicitly) or failed to allow (implicitly).
    pub blocked_by: Vec<Layer>,
    /// Every statement that matched, in layer order.
    pub matched: Vec<MatchedStatement>,
}

/// The policy layers of one request. Sets are borrowed so a cache can share them.
#[derive(Debug, Clone, Copy)]
pub struct Evaluator<'a> {
    pub identity: &'a PolicySet,
    pub resource: Option<&'a PolicySet>,
    pub boundary: Option<&'a PolicySet>,
    pub session: Option<&'a PolicySet>,
}

/// What one layer said.
#[derive(Debug, Clone, Copy, Default)]
struct Scan {
    allow: Option<PrincipalMatch>,
    deny: bool,
}

/// Receives matched statements; the fast path records nothing and may stop early.
trait Recorder {
    const EXHAUSTIVE: bool;
    fn record(&mut self, layer: Layer, set: &PolicySet, id: u32, statement: MatchedStatement);
}

struct Quiet;

impl Recorder for Quiet {
    const EXHAUSTIVE: bool = false;
    fn record(&mut self, _: Layer, _: &PolicySet, _: u32, _: MatchedStatement) {}
}

#[derive(Default)]
struct Collect {
    seen: Vec<(Layer, u32)>,
    matched: Vec<MatchedStatement>,
}

impl Recorder for Collect {
    const EXHAUSTIVE: bool = true;
    fn record(&mut self, layer: Layer, _: &PolicySet, id: u32, statement: MatchedStatement) {
        if !self.seen.contains(&(layer, id)) {
            self.seen.push((layer, id));
            self.matched.push(statement);
        }
    }
}

impl<'a> Evaluator<'a> {
    /// Identity policies only.
    pub fn new(identity: &'a PolicySet) -> Evaluator<'a> {
        Evaluator {
            identity,
            resource: None,
            boundary: None,
            session: None,
        }
    }

    pub fn with_resource_policy(mut self, set: &'a PolicySet) -> Self {
        self.resource = Some(set);
        self
    }

    pub fn with_boundary(mut self, set: &'a PolicySet) -> Self {
        self.boundary = Some(set);
        self
    }

    pub fn with_session_policy(mut self, set: &'a PolicySet) -> Self {
        self.session = Some(set);
        self
    }

    /// The decision alone: stops at the first Deny and allocates nothing.
    pub fn decide(&self, request: &Request) -> Decision {
        self.run(request, &mut Quiet).0
    }

    /// The decision with every matching statement and the blocking layers.
    pub fn explain(&self, request: &Request) -> Explanation {
        let mut collect = Collect::default();
        let (decision, blocked_by) = self.run(request, &mut collect);
        Explanation {
            decision,
            blocked_by,
            matched: collect.matched,
        }
    }

    fn run<R: Recorder>(&self, request: &Request, rec: &mut R) -> (Decision, Vec<Layer>) {
        let root = request.principal.kind == PrincipalKind::Root;
        let identity_applies = matches!(
            request.principal.kind,
            PrincipalKind::User
                | PrincipalKind::Role
                | PrincipalKind::RoleSession
                | PrincipalKind::FederatedUser
        );
        let bounded = identity_applies && self.boundary.is_some();
        let layers: [(Layer, Option<&PolicySet>); 4] = [
            (Layer::Identity, identity_applies.then_some(self.identity)),
            (Layer::Resource, self.resource),
            (
                Layer::PermissionsBoundary,
                self.boundary.filter(|_| identity_applies),
            ),
            (
                Layer::SessionPolicy,
                self.session.filter(|_| identity_applies),
            ),
        ];
        let mut scans = [Scan::default(); 4];
        let mut denied = Vec::new();
        for (slot, (layer, set)) in scans.iter_mut().zip(layers) {
            let Some(set) = set else { continue };
            *slot = scan(layer, set, request, bounded, rec);
            if slot.deny {
                if !R::EXHAUSTIVE {
                    return (Decision::ExplicitDeny, Vec::new());
                }
                denied.push(layer);
            }
        }
        if !denied.is_empty() {
            return (Decision::ExplicitDeny, denied);
        }
        let [identity, resource, boundary, session] = scans;
        let resource_allow = resource.allow;
        if request.assumes_role() && resource_allow.is_none() {
            // A role's trust policy must allow whoever assumes it, in any account:
            // identity policies allowing sts:AssumeRole are not enough on their own.
            return (Decision::ImplicitDeny, vec![Layer::Resource]);
        }
        if root {
            // The root user is allowed everything in its account unless denied; in another
            // account only that account's resource policy can let it in.
            return if !request.is_cross_account() || resource_allow.is_some() {
                (Decision::Allow, Vec::new())
            } else {
                (Decision::ImplicitDeny, vec![Layer::Resource])
            };
        }
        if !identity_applies {
            // Anonymous callers and services have no identity policies: only a resource
            // policy that names them can allow.
            return match resource_allow {
                Some(PrincipalMatch::Direct) => (Decision::Allow, Vec::new()),
                _ => (Decision::ImplicitDeny, vec![Layer::Resource]),
            };
        }
        let boundary_ok = self.boundary.is_none() || boundary.allow.is_some();
        let session_ok = self.session.is_none() || session.allow.is_some();
        let mut blocked = Vec::new();
        if !request.is_cross_account() {
            match resource_allow {
                // Named directly (user ARN, session ARN, `*`): not limited by an implicit
                // deny in identity policies, boundaries or session policies.
                Some(PrincipalMatch::Direct) => return (Decision::Allow, Vec::new()),
                // Named through its role: the boundary and session policy still apply.
                Some(PrincipalMatch::ViaRole) => {
                    if boundary_ok && session_ok {
                        return (Decision::Allow, Vec::new());
                    }
                }
                // Through the account: delegates to the identity side below.
                Some(PrincipalMatch::ViaAccount) | None => {
                    if identity.allow.is_none() {
                        blocked.push(Layer::Identity);
                    }
                }
            }
        } else {
            if resource_allow.is_none() {
                blocked.push(Layer::Resource);
            }
            if identity.allow.is_none() {
                blocked.push(Layer::Identity);
            }
        }
        if !boundary_ok {
            blocked.push(Layer::PermissionsBoundary);
        }
        if !session_ok {
            blocked.push(Layer::SessionPolicy);
        }
        if blocked.is_empty() {
            (Decision::Allow, blocked)
        } else {
            (Decision::ImplicitDeny, blocked)
        }
    }
}

fn scan<R: Recorder>(
    layer: Layer,
    set: &PolicySet,
    request: &Request,
    bounded: bool,
    rec: &mut R,
) -> Scan {
    let mut result = Scan::default();
    for candidate in set.candidates(request) {
        let statement = candidate.statement;
        let is_allow = statement.effect == Effect::Allow;
        if !R::EXHAUSTIVE && is_allow && result.allow == Some(PrincipalMatch::Direct) {
            continue;
        }
        if layer == Layer::Resource && !statement.names_principal() {
            continue;
        }
        let Some(principal) = statement.applies(request, candidate.action_known, bounded) else {
            continue;
        };
        if R::EXHAUSTIVE {
            rec.record(
                layer,
                set,
                candidate.id,
                MatchedStatement {
                    layer,
                    policy: set.policy_name(statement.policy).to_string(),
                    statement: statement.index as usize,
                    sid: statement.sid.as_deref().map(str::to_string),
                    effect: statement.effect,
                },
            );
        }
        if is_allow {
            result.allow = result.allow.max(Some(principal));
        } else {
            result.deny = true;
            if !R::EXHAUSTIVE {
                return result;
            }
        }
    }
    result
}
