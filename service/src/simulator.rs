//! The policy simulator: what would the engine decide for a user, group or role (or
//! a pasted policy), for some actions on a resource, in a given context, and why; and
//! "who can do this?" over every user and role.

use std::collections::{BTreeMap, HashMap};

use model::simulator::{Allowed, PolicyExcerpt, Simulation, SimulationInput, SimulationRow};
use model::Holder;
use policy::{
    Context, ContextValue, Evaluator, Explanation, PolicyDocument, PolicyKind, PolicySet,
};

use crate::authz::{
    add_attached, arn, engine_principal, request_context, role_session_principal, templates,
    user_principal, Compiled,
};
use crate::{Caller, Service, ServiceError};

/// A policy's text and kind by the name the engine reports it under.
type Texts = HashMap<String, (String, PolicyKind, String)>;

/// Remembers each policy's text for highlighting, as it goes into a set.
fn add(set: &mut PolicySet, texts: &mut Texts, policy: &store::EffectivePolicy) {
    add_attached(set, policy);
    if let Some((text, kind)) = document_of(policy) {
        texts.insert(policy.name.clone(), (text, kind, policy.via.clone()));
    }
}

/// The request context from the form, validated field by field.
fn context(input: &SimulationInput, now: i64) -> Result<Context, ServiceError> {
    let ip = input.source_ip.trim();
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(ServiceError::invalid(
            "source_ip",
            "Enter an IPv4 or IPv6 address, such as 203.0.113.7.",
        ));
    }
    let at = match input.time.trim() {
        "" => now,
        text => match policy::time::parse_date_millis(text) {
            Some(millis) => millis.div_euclid(1000),
            None => {
                return Err(ServiceError::invalid(
                    "time",
                    "Enter a time as 2026-12-24T18:00:00Z.",
                ))
            }
        },
    };
    let mut context = request_context(
        at,
        input.mfa,
        None,
        input.secure_transport,
        ip,
        input.region.trim(),
    );
    match input.budget_status.trim() {
        "" => {}
        status @ ("ok" | "forecast-exceeded" | "exceeded") => {
            context.insert(
                "portcullis:BudgetStatus",
                ContextValue::Single(status.to_string()),
            );
        }
        other => {
            return Err(ServiceError::invalid(
                "budget_status",
                format!("{other:?} is not a budget status: ok, forecast-exceeded or exceeded."),
            ))
        }
    }
    let used = input.budget_used_percent.trim();
    if !used.is_empty() {
        if !used.parse::<f64>().is_ok_and(|v| v.is_finite() && v >= 0.0) {
            return Err(ServiceError::invalid(
                "budget_used_percent",
                "Budget used is a percentage such as 85 or 120.5.",
            ));
        }
        context.insert(
            "portcullis:BudgetUsedPercent",
            ContextValue::Single(used.to_string()),
        );
    }
    let zone = input.availability_zone.trim();
    if !zone.is_empty() {
        context.insert(
            "ec2:AvailabilityZone",
            ContextValue::Single(zone.to_string()),
        );
    }
    Ok(context)
}

fn resource(input: &SimulationInput) -> Result<policy::Resource, ServiceError> {
    let mut tags = BTreeMap::new();
    for line in input
        .resource_tags
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let Some((key, value)) = line.split_once('=') else {
            return Err(ServiceError::invalid(
                "resource_tags",
                format!("Write each tag as key=value; \"{line}\" has no =."),
            ));
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
fn matched(explanation: &Explanation) -> Vec<String> {
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
fn excerpts(texts: &Texts, explanations: &[Explanation]) -> Vec<PolicyExcerpt> {
    let mut hits: BTreeMap<(String, String), BTreeMap<usize, String>> = BTreeMap::new();
    for m in explanations.iter().flat_map(|e| &e.matched) {
        hits.entry((m.layer.as_str().to_string(), m.policy.clone()))
            .or_default()
            .insert(m.statement, m.effect.as_str().to_string());
    }
    hits.into_iter()
        .filter_map(|((layer, name), statements)| {
            let (text, kind, via) = texts.get(&name)?;
            let document = PolicyDocument::parse_stored(text, *kind).ok()?;
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

impl Service {
    pub async fn simulate(
        &self,
        caller: &Caller,
        input: &SimulationInput,
    ) -> Result<Simulation, ServiceError> {
        let name = input.subject.trim().to_string();
        let kind = match input.subject_type.as_str() {
            "" | "user" => Holder::User,
            "group" => Holder::Group,
            "role" => Holder::Role,
            _ => {
                return Err(ServiceError::invalid(
                    "subject_type",
                    "Simulate a user, a group or a role.",
                ))
            }
        };
        let account = caller.account_id.clone();
        let mut set = PolicySet::new();
        let mut texts = Texts::new();
        let mut boundary: Option<PolicySet> = None;
        let mut principal = engine_principal(caller);
        if principal.kind == policy::PrincipalKind::Root {
            // A pasted policy alone is simulated for an IAM user: root itself is allowed
            // everything whatever a policy says, which would make the answer meaningless.
            principal = policy::Principal {
                kind: policy::PrincipalKind::User,
                arn: arn::user(&account, "simulated-user"),
                account: account.clone(),
                id: None,
                tags: Default::default(),
                source_arn: None,
            };
        }
        if name.is_empty() {
            self.authorize(caller, "iam:SimulateCustomPolicy", "*")
                .await?;
        } else {
            let (row, _) = self
                .holder_as(
                    caller,
                    kind,
                    &name,
                    "iam:SimulatePrincipalPolicy",
                    crate::authz::Extra::new(),
                )
                .await
                .map_err(|e| match e {
                    ServiceError::NotFound { message, .. } => ServiceError::NotFound {
                        field: Some("subject"),
                        message,
                    },
                    other => other,
                })?;
            let permissions = match kind {
                Holder::User => {
                    if let Some(user) = self.store.user_by_id(&row.id).await? {
                        principal = user_principal(&user, &account);
                    }
                    self.store.user_permissions(&row.id).await?
                }
                Holder::Group => {
                    // A group is no principal: simulate a member with no other policy.
                    principal = policy::Principal {
                        kind: policy::PrincipalKind::User,
                        arn: row.arn.clone(),
                        account: account.clone(),
                        id: Some(row.id.clone()),
                        tags: Default::default(),
                        source_arn: None,
                    };
                    self.store.own_permissions(Holder::Group, &row.id).await?
                }
                Holder::Role => {
                    principal = role_session_principal(
                        &account,
                        &row.id,
                        &row.name,
                        "simulation",
                        &row.tags,
                    );
                    self.store.role_permissions(&row.id).await?
                }
            };
            for policy in &permissions.policies {
                add(&mut set, &mut texts, policy);
            }
            boundary = permissions.boundary.map(|b| {
                let mut set = PolicySet::new();
                add(&mut set, &mut texts, &b);
                set
            });
        }
        if !input.policy.trim().is_empty() {
            let document =
                PolicyDocument::parse(&input.policy, PolicyKind::Managed).map_err(|errors| {
                    ServiceError::MalformedPolicy {
                        field: "policy",
                        message: errors.to_string(),
                    }
                })?;
            set.add("pasted policy", &document);
            texts.insert(
                "pasted policy".into(),
                (input.policy.clone(), PolicyKind::Managed, "pasted".into()),
            );
        }
        if name.is_empty() && input.policy.trim().is_empty() {
            return Err(ServiceError::invalid(
                "subject",
                "Choose a user, group or role, paste a policy, or both.",
            ));
        }
        let actions: Vec<&str> = input
            .actions
            .lines()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        if actions.is_empty() {
            return Err(ServiceError::invalid(
                "actions",
                "Enter at least one action, such as iam:CreateUser.",
            ));
        }
        let resource = resource(input)?;
        let context = context(input, caller.now.unix_timestamp())?;
        let evaluator = Evaluator::new(&set);
        let evaluator = match &boundary {
            Some(b) => evaluator.with_boundary(b),
            None => evaluator,
        };
        let mut rows = Vec::new();
        let mut explanations = Vec::new();
        for action in actions {
            let request =
                policy::Request::new(principal.clone(), action, resource.clone(), context.clone())
                    .map_err(|e| ServiceError::invalid("actions", e.to_string()))?;
            let explanation = evaluator.explain(&request);
            rows.push(SimulationRow {
                action: action.to_string(),
                decision: explanation.decision.as_str().to_string(),
                blocked_by: explanation
                    .blocked_by
                    .iter()
                    .map(|l| l.as_str().to_string())
                    .collect(),
                matched: matched(&explanation),
            });
            explanations.push(explanation);
        }
        Ok(Simulation {
            policies: excerpts(&texts, &explanations),
            rows,
        })
    }

    /// Every user and role that would be allowed `action` on `resource` in the given
    /// context, with the policies that allow it. Root is always allowed.
    pub async fn who_can(
        &self,
        caller: &Caller,
        input: &SimulationInput,
    ) -> Result<Vec<Allowed>, ServiceError> {
        self.authorize(caller, "iam:SimulatePrincipalPolicy", "*")
            .await?;
        let action = input.actions.trim().to_string();
        if action.is_empty() || action.contains(char::is_whitespace) {
            return Err(ServiceError::invalid(
                "actions",
                "Enter one action, such as iam:CreateUser.",
            ));
        }
        let account = caller.account_id.clone();
        let resource = resource(input)?;
        let context = context(input, caller.now.unix_timestamp())?;
        let everyone = self.store.everyones_permissions().await?;
        let empty = store::Permissions::default();
        // Many people share the same policies: compile each combination once.
        let mut compiled: HashMap<String, Compiled> = HashMap::new();
        let mut decide = |permissions: &store::Permissions,
                          who: policy::Principal|
         -> Result<Option<String>, ServiceError> {
            let key = serde_json::to_string(permissions).map_err(ServiceError::internal)?;
            let set = compiled
                .entry(key)
                .or_insert_with(|| Compiled::new(permissions));
            let request = policy::Request::new(who, &action, resource.clone(), context.clone())
                .map_err(|e| ServiceError::invalid("actions", e.to_string()))?;
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
        for user in self.store.all_users().await? {
            let permissions = everyone.get(&user.id).unwrap_or(&empty);
            if let Some(through) = decide(permissions, user_principal(&user, &account))? {
                allowed.push(Allowed {
                    kind: "user".into(),
                    name: user.name,
                    through,
                });
            }
        }
        for role in self.store.roles().await? {
            let permissions = everyone.get(&role.id).unwrap_or(&empty);
            let who = role_session_principal(&account, &role.id, &role.name, "session", &role.tags);
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
}

/// A stored policy's document and kind, templates from the catalogue.
fn document_of(policy: &store::EffectivePolicy) -> Option<(String, PolicyKind)> {
    match (&policy.document, &policy.policy_arn) {
        (Some(text), Some(_)) => Some((text.clone(), PolicyKind::Managed)),
        (Some(text), None) => Some((text.clone(), PolicyKind::InlineRole)),
        (None, Some(arn)) => templates()
            .get(arn)
            .map(|(template, _)| (template.document.clone(), PolicyKind::Template)),
        (None, None) => None,
    }
}

impl Service {
    /// The context keys the policies refer to (`iam:GetContextKeysForCustomPolicy`
    /// with no subject, `iam:GetContextKeysForPrincipalPolicy` with one: the
    /// subject's own, group and role policies too), so a tool knows which keys to
    /// give the simulator.
    pub async fn context_keys(
        &self,
        caller: &Caller,
        subject: Option<(Holder, &str)>,
        documents: &[String],
    ) -> Result<Vec<String>, ServiceError> {
        let mut texts: Vec<(String, PolicyKind)> = Vec::new();
        match subject {
            None => {
                self.authorize(caller, "iam:GetContextKeysForCustomPolicy", "*")
                    .await?;
            }
            Some((holder, name)) => {
                let (row, _) = self
                    .holder_as(
                        caller,
                        holder,
                        name,
                        "iam:GetContextKeysForPrincipalPolicy",
                        crate::authz::Extra::new(),
                    )
                    .await?;
                let permissions = match holder {
                    Holder::User => self.store.user_permissions(&row.id).await?,
                    Holder::Group => self.store.own_permissions(Holder::Group, &row.id).await?,
                    Holder::Role => self.store.role_permissions(&row.id).await?,
                };
                texts.extend(permissions.policies.iter().filter_map(document_of));
            }
        }
        for (n, text) in documents.iter().enumerate() {
            PolicyDocument::parse(text, PolicyKind::Managed).map_err(|errors| {
                ServiceError::MalformedPolicy {
                    field: "policy_input_list",
                    message: format!(
                        "Policy {}: {}",
                        n + 1,
                        errors.first().map(|e| e.aws_message()).unwrap_or_default()
                    ),
                }
            })?;
            texts.push((text.clone(), PolicyKind::Managed));
        }
        let mut keys: Vec<String> = Vec::new();
        for (text, kind) in &texts {
            let Ok(document) = PolicyDocument::parse_stored(text, *kind) else {
                continue;
            };
            for key in document.context_keys() {
                if !keys.iter().any(|k| k.eq_ignore_ascii_case(&key)) {
                    keys.push(key);
                }
            }
        }
        keys.sort_by_key(|k| k.to_ascii_lowercase());
        Ok(keys)
    }
}
