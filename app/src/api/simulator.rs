//! The policy simulator: what would the engine decide for a user, group or role (or
//! a pasted policy), for some actions on a resource, in a given context, and why; and
//! "who can do this?" over every user and role.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What to simulate: the subject, the actions and the request's context.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SimulationInput {
    /// `user`, `group` or `role`.
    pub subject_type: String,
    /// Its name; empty to simulate the pasted policy alone.
    pub subject: String,
    pub policy: String,
    /// One per line.
    pub actions: String,
    pub resource: String,
    pub source_ip: String,
    pub region: String,
    pub availability_zone: String,
    pub mfa: bool,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// ISO 8601 (`2026-12-24T18:00:00Z`); empty for now.
    pub time: String,
    /// `key=value` per line: the resource's tags.
    pub resource_tags: String,
}

/// One action's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationRow {
    pub action: String,
    pub decision: String,
    /// The layers that blocked it, empty when allowed.
    pub blocked_by: Vec<String>,
    /// `Effect: policy, statement` for each statement that matched.
    pub matched: Vec<String>,
}

/// A policy that took part, cut into pieces so the statements that matched can be
/// highlighted where they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyExcerpt {
    pub name: String,
    /// `identity`, `permissions_boundary`, …
    pub layer: String,
    /// How it reaches the subject (`Group readers`, `pasted`).
    pub via: String,
    /// (text, matched, effect of the match: `Allow`/`Deny`).
    pub pieces: Vec<(String, bool, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    pub rows: Vec<SimulationRow>,
    pub policies: Vec<PolicyExcerpt>,
}

/// A principal that would be allowed, and through what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allowed {
    /// `root`, `user` or `role`.
    pub kind: String,
    pub name: String,
    pub through: String,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::ssr::authz::{add_attached, console_context, templates};
    use crate::ssr::respond;
    use policy::{Context, ContextValue, Explanation, PolicyDocument, PolicyKind, PolicySet};
    use std::collections::{BTreeMap, HashMap};

    /// A policy's text and kind by the name the engine reports it under.
    pub type Texts = HashMap<String, (String, PolicyKind, String)>;

    /// Remembers each policy's text for highlighting, as it goes into a set.
    pub fn add(set: &mut PolicySet, texts: &mut Texts, policy: &store::EffectivePolicy) {
        add_attached(set, policy);
        let (text, kind) = match (&policy.document, &policy.policy_arn) {
            (Some(text), Some(_)) => (text.clone(), PolicyKind::Managed),
            (Some(text), None) => (text.clone(), PolicyKind::InlineRole),
            (None, Some(arn)) => match templates().get(arn) {
                Some((template, _)) => (template.document.clone(), PolicyKind::Template),
                None => return,
            },
            (None, None) => return,
        };
        texts.insert(policy.name.clone(), (text, kind, policy.via.clone()));
    }

    /// The request context from the form, validated field by field.
    pub fn context(input: &SimulationInput, now: i64) -> Result<Context, AppError> {
        let ip = input.source_ip.trim();
        if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
            return Err(respond(AppError::field(
                "source_ip",
                "Enter an IPv4 or IPv6 address, such as 203.0.113.7.",
            )));
        }
        let at = match input.time.trim() {
            "" => now,
            text => match policy::time::parse_date_millis(text) {
                Some(millis) => millis.div_euclid(1000),
                None => {
                    return Err(respond(AppError::field(
                        "time",
                        "Enter a time as 2026-12-24T18:00:00Z.",
                    )))
                }
            },
        };
        let mut context = console_context(
            at,
            input.mfa,
            None,
            input.secure_transport,
            ip,
            input.region.trim(),
        );
        let zone = input.availability_zone.trim();
        if !zone.is_empty() {
            context.insert(
                "ec2:AvailabilityZone",
                ContextValue::Single(zone.to_string()),
            );
        }
        Ok(context)
    }

    pub fn resource(input: &SimulationInput) -> Result<policy::Resource, AppError> {
        let mut tags = BTreeMap::new();
        for line in input
            .resource_tags
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let Some((key, value)) = line.split_once('=') else {
                return Err(respond(AppError::field(
                    "resource_tags",
                    format!("Write each tag as key=value; \"{line}\" has no =."),
                )));
            };
            tags.insert(key.trim().to_string(), value.trim().to_string());
        }
        let arn = match input.resource.trim() {
            "" => "*".to_string(),
            arn => arn.to_string(),
        };
        Ok(policy::Resource {
            arn,
            account: None,
            tags: tags.into_iter().collect(),
        })
    }

    /// `Effect: policy, statement` for each statement that matched.
    pub fn matched(explanation: &Explanation) -> Vec<String> {
        explanation
            .matched
            .iter()
            .map(|m| {
                let statement = m
                    .sid
                    .clone()
                    .unwrap_or_else(|| format!("statement #{}", m.statement));
                format!("{}: {}, {statement}", m.effect.as_str(), m.policy)
            })
            .collect()
    }

    /// Cuts each policy that had a matching statement into highlighted pieces.
    pub fn excerpts(texts: &Texts, explanations: &[Explanation]) -> Vec<PolicyExcerpt> {
        let mut hits: BTreeMap<(String, String), BTreeMap<usize, String>> = BTreeMap::new();
        for m in explanations.iter().flat_map(|e| &e.matched) {
            hits.entry((m.layer.as_str().to_string(), m.policy.clone()))
                .or_default()
                .insert(m.statement, m.effect.as_str().to_string());
        }
        hits.into_iter()
            .filter_map(|((layer, name), statements)| {
                let (text, kind, via) = texts.get(&name)?;
                let document = PolicyDocument::parse(text, *kind).ok()?;
                let mut spans: Vec<(usize, usize, String)> = document
                    .statements
                    .iter()
                    .filter_map(|s| {
                        let effect = statements.get(&s.index)?;
                        Some((s.span.start, s.span.end, effect.clone()))
                    })
                    .collect();
                spans.sort();
                let mut pieces = Vec::new();
                let mut at = 0;
                for (start, end, effect) in spans {
                    if start < at {
                        continue;
                    }
                    pieces.push((text.get(at..start)?.to_string(), false, String::new()));
                    pieces.push((text.get(start..end)?.to_string(), true, effect));
                    at = end;
                }
                pieces.push((text.get(at..)?.to_string(), false, String::new()));
                Some(PolicyExcerpt {
                    name,
                    layer,
                    via: via.clone(),
                    pieces,
                })
            })
            .collect()
    }
}

#[server]
pub async fn simulate_policies(input: SimulationInput) -> Result<Simulation, AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::{respond, Target};
    use policy::{Evaluator, PolicyDocument, PolicyKind, PolicySet};
    let name = input.subject.trim().to_string();
    let kind = match input.subject_type.as_str() {
        "" | "user" => store::Holder::User,
        "group" => store::Holder::Group,
        "role" => store::Holder::Role,
        _ => {
            return Err(respond(AppError::field(
                "subject_type",
                "Simulate a user, a group or a role.",
            )))
        }
    };
    let principal = if name.is_empty() {
        crate::ssr::authorize("iam:SimulateCustomPolicy", Target::Any).await?
    } else {
        let target = crate::api::permissions::server::target(kind, &name);
        crate::ssr::authorize("iam:SimulatePrincipalPolicy", target).await?
    };
    let state = state()?;
    let account = principal.account_id.clone();
    let mut set = PolicySet::new();
    let mut texts = server::Texts::new();
    let mut boundary: Option<PolicySet> = None;
    let mut engine_principal = crate::ssr::authz::engine_principal(&principal);
    if principal.user.is_root && principal.role.is_none() {
        engine_principal.kind = policy::PrincipalKind::Root;
    }
    if !name.is_empty() {
        let not_found = || {
            respond(AppError::field(
                "subject",
                format!("No {} named \"{name}\" exists.", kind.what()),
            ))
        };
        let permissions = match kind {
            store::Holder::User => {
                let user = state
                    .store
                    .user_by_name(&name)
                    .await
                    .map_err(internal)?
                    .ok_or_else(not_found)?;
                engine_principal = crate::ssr::authz::user_principal(&user, &account);
                state
                    .store
                    .user_permissions(&user.id)
                    .await
                    .map_err(internal)?
            }
            store::Holder::Group => {
                let group = state
                    .store
                    .group(&name)
                    .await
                    .map_err(internal)?
                    .ok_or_else(not_found)?;
                // A group is no principal: simulate a member with no other policy.
                engine_principal = policy::Principal {
                    kind: policy::PrincipalKind::User,
                    arn: group.arn.clone(),
                    account: account.clone(),
                    id: Some(group.id.clone()),
                    tags: Default::default(),
                };
                state
                    .store
                    .own_permissions(store::Holder::Group, &group.name)
                    .await
                    .map_err(internal)?
            }
            store::Holder::Role => {
                let role = state
                    .store
                    .role(&name)
                    .await
                    .map_err(internal)?
                    .ok_or_else(not_found)?;
                engine_principal = crate::ssr::authz::role_session_principal(
                    &account,
                    &role.id,
                    &role.name,
                    "simulation",
                );
                state
                    .store
                    .role_permissions(&role.id)
                    .await
                    .map_err(internal)?
            }
        };
        for policy in &permissions.policies {
            server::add(&mut set, &mut texts, policy);
        }
        boundary = permissions.boundary.map(|b| {
            let mut set = PolicySet::new();
            server::add(&mut set, &mut texts, &b);
            set
        });
    }
    if !input.policy.trim().is_empty() {
        let document = PolicyDocument::parse(&input.policy, PolicyKind::Managed)
            .map_err(|errors| respond(AppError::field("policy", errors.to_string())))?;
        set.add("pasted policy", &document);
        texts.insert(
            "pasted policy".into(),
            (input.policy.clone(), PolicyKind::Managed, "pasted".into()),
        );
    }
    if name.is_empty() && input.policy.trim().is_empty() {
        return Err(respond(AppError::field(
            "subject",
            "Choose a user, group or role, paste a policy, or both.",
        )));
    }
    let actions: Vec<&str> = input
        .actions
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    if actions.is_empty() {
        return Err(respond(AppError::field(
            "actions",
            "Enter at least one action, such as iam:CreateUser.",
        )));
    }
    let resource = server::resource(&input)?;
    let context = server::context(&input, state.clock.now().unix_timestamp())?;
    let evaluator = Evaluator::new(&set);
    let evaluator = match &boundary {
        Some(b) => evaluator.with_boundary(b),
        None => evaluator,
    };
    let mut rows = Vec::new();
    let mut explanations = Vec::new();
    for action in actions {
        let request = policy::Request::new(
            engine_principal.clone(),
            action,
            resource.clone(),
            context.clone(),
        )
        .map_err(|e| respond(AppError::field("actions", e.to_string())))?;
        let explanation = evaluator.explain(&request);
        rows.push(SimulationRow {
            action: action.to_string(),
            decision: explanation.decision.as_str().to_string(),
            blocked_by: explanation
                .blocked_by
                .iter()
                .map(|l| l.as_str().to_string())
                .collect(),
            matched: server::matched(&explanation),
        });
        explanations.push(explanation);
    }
    Ok(Simulation {
        policies: server::excerpts(&texts, &explanations),
        rows,
    })
}

/// Every user and role that would be allowed `action` on `resource` in the given
/// context, with the policies that allow it. Root is always allowed.
#[server]
pub async fn who_can(input: SimulationInput) -> Result<Vec<Allowed>, AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::authz::Compiled;
    use crate::ssr::{respond, Target};
    use std::collections::HashMap;
    let principal = crate::ssr::authorize("iam:SimulatePrincipalPolicy", Target::Any).await?;
    let action = input.actions.trim().to_string();
    if action.is_empty() || action.contains(char::is_whitespace) {
        return Err(respond(AppError::field(
            "actions",
            "Enter one action, such as iam:CreateUser.",
        )));
    }
    let state = state()?;
    let account = principal.account_id.clone();
    let resource = server::resource(&input)?;
    let context = server::context(&input, state.clock.now().unix_timestamp())?;
    let everyone = state
        .store
        .everyones_permissions()
        .await
        .map_err(internal)?;
    let empty = store::Permissions::default();
    // Many people share the same policies: compile each combination once.
    let mut compiled: HashMap<String, Compiled> = HashMap::new();
    let mut decide = |permissions: &store::Permissions,
                      who: policy::Principal|
     -> Result<Option<String>, AppError> {
        let key = serde_json::to_string(permissions).map_err(internal)?;
        let set = compiled
            .entry(key)
            .or_insert_with(|| Compiled::new(permissions));
        let request = policy::Request::new(who, &action, resource.clone(), context.clone())
            .map_err(|e| respond(AppError::field("actions", e.to_string())))?;
        let explanation = set.evaluator().explain(&request);
        if !explanation.decision.is_allowed() {
            return Ok(None);
        }
        let through: Vec<String> = explanation
            .matched
            .iter()
            .filter(|m| m.effect == policy::Effect::Allow && m.layer == policy::Layer::Identity)
            .map(|m| {
                let via = permissions
                    .policies
                    .iter()
                    .find(|p| p.name == m.policy)
                    .map(|p| p.via.clone())
                    .unwrap_or_default();
                format!("{} ({via})", m.policy)
            })
            .collect();
        Ok(Some(through.join("; ")))
    };
    let mut allowed = vec![Allowed {
        kind: "root".into(),
        name: "root user".into(),
        through: "always allowed, unless explicitly denied".into(),
    }];
    for user in state.store.all_users().await.map_err(internal)? {
        let permissions = everyone.get(&user.id).unwrap_or(&empty);
        let who = crate::ssr::authz::user_principal(&user, &account);
        if let Some(through) = decide(permissions, who)? {
            allowed.push(Allowed {
                kind: "user".into(),
                name: user.name,
                through,
            });
        }
    }
    for role in state.store.roles().await.map_err(internal)? {
        let permissions = everyone.get(&role.id).unwrap_or(&empty);
        let who =
            crate::ssr::authz::role_session_principal(&account, &role.id, &role.name, "session");
        if let Some(through) = decide(permissions, who)? {
            allowed.push(Allowed {
                kind: "role".into(),
                name: role.name,
                through,
            });
        }
    }
    Ok(allowed)
}
