//! The policy simulator: what would the engine decide for a user (or a pasted policy),
//! for some actions on a resource, in a given context, and why.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

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

#[server]
pub async fn simulate_policies(
    user: String,
    policy: String,
    actions: String,
    resource: String,
    source_ip: String,
    region: String,
    mfa: bool,
) -> Result<Vec<SimulationRow>, AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::{respond, Target};
    use policy::{Evaluator, PolicyDocument, PolicyKind, PolicySet};
    let user = user.trim();
    let principal = if user.is_empty() {
        crate::ssr::authorize("iam:SimulateCustomPolicy", Target::Any).await?
    } else {
        crate::ssr::authorize("iam:SimulatePrincipalPolicy", Target::User(user)).await?
    };
    let state = state()?;
    let mut set = PolicySet::new();
    let mut subject = principal.user.clone();
    let mut boundary = None;
    if !user.is_empty() {
        let Some(found) = state.store.user_by_name(user).await.map_err(internal)? else {
            return Err(respond(AppError::field(
                "user",
                format!("No user named \"{user}\" exists."),
            )));
        };
        let permissions = state
            .store
            .user_permissions(&found.id)
            .await
            .map_err(internal)?;
        for attached in &permissions.policies {
            crate::ssr::authz::add_attached(&mut set, attached);
        }
        boundary = permissions.boundary.map(|b| {
            let mut set = PolicySet::new();
            crate::ssr::authz::add_attached(&mut set, &b);
            set
        });
        subject = found;
    }
    if !policy.trim().is_empty() {
        let document = PolicyDocument::parse(&policy, PolicyKind::Managed)
            .map_err(|errors| respond(AppError::field("policy", errors.to_string())))?;
        set.add("pasted policy", &document);
    }
    if user.is_empty() && policy.trim().is_empty() {
        return Err(respond(AppError::field(
            "user",
            "Choose a user, paste a policy, or both.",
        )));
    }
    let actions: Vec<&str> = actions
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
    let resource = if resource.trim().is_empty() {
        "*".to_string()
    } else {
        resource.trim().to_string()
    };
    if !source_ip.trim().is_empty() && source_ip.trim().parse::<std::net::IpAddr>().is_err() {
        return Err(respond(AppError::field(
            "source_ip",
            "Enter an IPv4 or IPv6 address, such as 203.0.113.7.",
        )));
    }
    let context = crate::ssr::authz::console_context(
        state.clock.now().unix_timestamp(),
        mfa,
        None,
        source_ip.trim(),
        region.trim(),
    );
    let engine_principal = policy::Principal {
        kind: if subject.is_root {
            policy::PrincipalKind::Root
        } else {
            policy::PrincipalKind::User
        },
        arn: subject.arn.clone(),
        account: principal.account_id.clone(),
        id: Some(subject.id.clone()),
        tags: subject.tags.clone(),
    };
    let mut rows = Vec::new();
    for action in actions {
        let request = policy::Request::new(
            engine_principal.clone(),
            action,
            policy::Resource {
                arn: resource.clone(),
                account: None,
                tags: Default::default(),
            },
            context.clone(),
        )
        .map_err(|e| respond(AppError::field("actions", e.to_string())))?;
        let evaluator = Evaluator::new(&set);
        let evaluator = match &boundary {
            Some(b) => evaluator.with_boundary(b),
            None => evaluator,
        };
        let explanation = evaluator.explain(&request);
        rows.push(SimulationRow {
            action: action.to_string(),
            decision: explanation.decision.as_str().to_string(),
            blocked_by: explanation
                .blocked_by
                .iter()
                .map(|l| l.as_str().to_string())
                .collect(),
            matched: explanation
                .matched
                .iter()
                .map(|m| {
                    let statement = m
                        .sid
                        .clone()
                        .unwrap_or_else(|| format!("statement #{}", m.statement));
                    format!("{}: {}, {statement}", m.effect.as_str(), m.policy)
                })
                .collect(),
        });
    }
    Ok(rows)
}
