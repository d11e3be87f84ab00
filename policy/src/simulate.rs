//! The simulator's case format: policies and one request in, a decision out, as JSON.
//!
//! `portcullis policy simulate` reads these cases so that policies can be tested as code
//! in CI pipelines; the console's simulator uses the same types.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::compile::PolicySet;
use crate::document::PolicyDocument;
use crate::error::{PolicyErrorKind, PolicyErrors, PolicyKind};
use crate::evaluate::{Evaluator, Explanation};
use crate::request::{context_from_map, ContextValue, Principal, PrincipalKind, Request, Resource};
use crate::time::format_iso;

/// Why a case could not be run.
#[derive(Debug)]
pub enum CaseError {
    /// The case is not JSON of the expected shape.
    InvalidCase(String),
    /// One of its policies is rejected.
    InvalidPolicy {
        policy: String,
        errors: PolicyErrors,
    },
    /// The request is incomplete or malformed.
    InvalidRequest(String),
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseError::InvalidCase(detail) => write!(f, "invalid case: {detail}"),
            CaseError::InvalidPolicy { policy, errors } => write!(f, "{policy}: {errors}"),
            CaseError::InvalidRequest(detail) => write!(f, "invalid request: {detail}"),
        }
    }
}

impl std::error::Error for CaseError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    #[serde(default)]
    identity_policies: Vec<Value>,
    #[serde(default)]
    resource_policy: Option<Value>,
    #[serde(default, alias = "permissions_boundary")]
    permission_boundary: Option<Value>,
    #[serde(default)]
    session_policy: Option<Value>,
    request: RawRequest,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    principal: RawPrincipal,
    action: String,
    #[serde(default)]
    resource: Option<RawResource>,
    #[serde(default)]
    context: HashMap<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrincipal {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    arn: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    /// For a federated user: the IAM user who asked for the session.
    #[serde(default)]
    source_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResource {
    #[serde(default)]
    arn: String,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// A case ready to evaluate.
pub struct Case {
    pub identity: PolicySet,
    pub resource: Option<PolicySet>,
    pub boundary: Option<PolicySet>,
    pub session: Option<PolicySet>,
    pub request: Request,
}

impl Case {
    /// Reads a case from its JSON text. With `now` (epoch milliseconds), `aws:CurrentTime`
    /// and `aws:EpochTime` are set to it unless the case gives them, as AWS sets them
    /// on every request; without it a case is fully reproducible.
    pub fn parse(text: &str, now: Option<i64>) -> Result<Case, CaseError> {
        let raw: RawCase =
            serde_json::from_str(text).map_err(|e| CaseError::InvalidCase(e.to_string()))?;
        let mut identity = PolicySet::new();
        for (i, value) in raw.identity_policies.iter().enumerate() {
            let (name, document) = policy(value, &format!("identity[{i}]"), PolicyKind::Template)?;
            identity.add(&name, &document);
        }
        let single =
            |value: &Option<Value>, label: &str, kind| -> Result<Option<PolicySet>, CaseError> {
                match value {
                    None | Some(Value::Null) => Ok(None),
                    Some(value) => {
                        let (name, document) = policy(value, label, kind)?;
                        Ok(Some(PolicySet::from_documents([(
                            name.as_str(),
                            &document,
                        )])))
                    }
                }
            };
        let resource = single(
            &raw.resource_policy,
            "resource_policy",
            PolicyKind::Resource,
        )?;
        let boundary = single(
            &raw.permission_boundary,
            "permission_boundary",
            PolicyKind::Template,
        )?;
        let session = single(&raw.session_policy, "session_policy", PolicyKind::Session)?;
        let request = request(raw.request, now)?;
        Ok(Case {
            identity,
            resource,
            boundary,
            session,
            request,
        })
    }

    pub fn evaluator(&self) -> Evaluator<'_> {
        Evaluator {
            identity: &self.identity,
            resource: self.resource.as_ref(),
            boundary: self.boundary.as_ref(),
            session: self.session.as_ref(),
        }
    }

    pub fn explain(&self) -> Explanation {
        self.evaluator().explain(&self.request)
    }
}

/// A policy given as a document object, as JSON text, or as `{"name", "document"}`.
fn policy(
    value: &Value,
    label: &str,
    kind: PolicyKind,
) -> Result<(String, PolicyDocument), CaseError> {
    let (name, document) = match value {
        Value::Object(map) if map.contains_key("document") => {
            let name = map
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(label)
                .to_string();
            (name, map.get("document").cloned().unwrap_or(Value::Null))
        }
        other => (label.to_string(), other.clone()),
    };
    let text = match document {
        Value::String(text) => text,
        other => serde_json::to_string_pretty(&other)
            .map_err(|e| CaseError::InvalidCase(e.to_string()))?,
    };
    // A case asks for a decision: a missing or old `Version` or the size quota (which
    // only decide whether a document may be saved where) do not stop it; any other fault
    // is reported, as AWS's simulator reports a malformed document.
    let document = match PolicyDocument::parse(&text, kind) {
        Err(errors)
            if errors.0.iter().all(|e| {
                matches!(
                    e.kind,
                    PolicyErrorKind::VersionTooOld { .. } | PolicyErrorKind::TooLarge { .. }
                )
            }) =>
        {
            PolicyDocument::parse_stored(&text, kind)
        }
        other => other,
    }
    .map_err(|errors| CaseError::InvalidPolicy {
        policy: name.clone(),
        errors,
    })?;
    Ok((name, document))
}

fn request(raw: RawRequest, now: Option<i64>) -> Result<Request, CaseError> {
    let kind = PrincipalKind::parse(&raw.principal.kind).ok_or_else(|| {
        CaseError::InvalidRequest(format!(
            "principal type `{}` must be one of user, role, role-session, federated-user, root, anonymous, service",
            raw.principal.kind
        ))
    })?;
    let account = if raw.principal.account.is_empty() {
        // Take the account from the ARN when not given.
        raw.principal
            .arn
            .split(':')
            .nth(4)
            .unwrap_or_default()
            .to_string()
    } else {
        raw.principal.account
    };
    let principal = Principal {
        kind,
        arn: raw.principal.arn,
        account,
        id: raw.principal.id,
        tags: raw.principal.tags,
        source_arn: raw.principal.source_arn,
    };
    let resource = match raw.resource {
        Some(r) => Resource {
            arn: r.arn,
            account: r.account,
            tags: r.tags,
        },
        None => Resource::default(),
    };
    let mut context = context_from_map(&raw.context).map_err(CaseError::InvalidRequest)?;
    if let Some(now) = now {
        if !context.contains("aws:CurrentTime") {
            context.insert("aws:CurrentTime", ContextValue::Single(format_iso(now)));
        }
        if !context.contains("aws:EpochTime") {
            let seconds = now.div_euclid(1000).to_string();
            context.insert("aws:EpochTime", ContextValue::Single(seconds));
        }
    }
    Request::new(principal, &raw.action, resource, context)
        .map_err(|e| CaseError::InvalidRequest(e.to_string()))
}

/// The simulator's answer as JSON: decision, blocking layers, matched statements.
pub fn explanation_json(explanation: &Explanation) -> Value {
    json!({
        "decision": explanation.decision.as_str(),
        "blocked_by": explanation.blocked_by.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "matched": explanation.matched.iter().map(|m| json!({
            "layer": m.layer.as_str(),
            "policy": m.policy,
            "statement": m.statement,
            "sid": m.sid,
            "effect": m.effect.as_str(),
        })).collect::<Vec<_>>(),
    })
}

/// Runs one case given as text.
pub fn simulate(text: &str, now: Option<i64>) -> Result<Value, CaseError> {
    let case = Case::parse(text, now)?;
    Ok(explanation_json(&case.explain()))
}
