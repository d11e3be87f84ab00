//! Builders shared by the engine tests.

use std::collections::BTreeMap;

use policy::{
    Context, Decision, Evaluator, Explanation, PolicyDocument, PolicyKind, PolicySet, Principal,
    PrincipalKind, Request, Resource,
};

pub const ACCOUNT: &str = "123456789012";
pub const OTHER_ACCOUNT: &str = "210987654321";

pub fn document(text: &str) -> PolicyDocument {
    PolicyDocument::parse(text, PolicyKind::Template)
        .unwrap_or_else(|e| panic!("policy should parse: {e}\n{text}"))
}

pub fn set(policies: &[&str]) -> PolicySet {
    let docs: Vec<PolicyDocument> = policies.iter().map(|p| document(p)).collect();
    let names: Vec<String> = (0..docs.len()).map(|i| format!("p{i}")).collect();
    PolicySet::from_documents(names.iter().map(String::as_str).zip(docs.iter()))
}

pub fn resource_set(text: &str) -> PolicySet {
    let doc = PolicyDocument::parse(text, PolicyKind::Resource)
        .unwrap_or_else(|e| panic!("resource policy should parse: {e}"));
    PolicySet::from_documents([("resource", &doc)])
}

pub fn user(name: &str) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        account: ACCOUNT.into(),
        id: Some(format!("AIDA{}", name.to_uppercase())),
        tags: BTreeMap::new(),
        source_arn: None,
    }
}

pub fn tagged_user(name: &str, tags: &[(&str, &str)]) -> Principal {
    let mut p = user(name);
    p.tags = tags
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    p
}

pub fn role_session(role: &str, session: &str) -> Principal {
    Principal {
        kind: PrincipalKind::RoleSession,
        arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"),
        account: ACCOUNT.into(),
        id: Some(format!("AROAEXAMPLE:{session}")),
        tags: BTreeMap::new(),
        source_arn: None,
    }
}

pub fn root() -> Principal {
    Principal {
        kind: PrincipalKind::Root,
        arn: format!("arn:aws:iam::{ACCOUNT}:root"),
        account: ACCOUNT.into(),
        id: None,
        tags: BTreeMap::new(),
        source_arn: None,
    }
}

pub fn anonymous() -> Principal {
    Principal {
        kind: PrincipalKind::Anonymous,
        arn: String::new(),
        account: String::new(),
        id: None,
        tags: BTreeMap::new(),
        source_arn: None,
    }
}

pub fn request(principal: Principal, action: &str, resource: &str, context: Context) -> Request {
    Request::new(
        principal,
        action,
        Resource {
            arn: resource.into(),
            account: None,
            tags: BTreeMap::new(),
        },
        context,
    )
    .unwrap()
}

/// Identity policies only, for user alice, no context.
pub fn decide(policies: &[&str], action: &str, resource: &str) -> Decision {
    decide_ctx(policies, action, resource, Context::new())
}

pub fn decide_ctx(policies: &[&str], action: &str, resource: &str, context: Context) -> Decision {
    let set = set(policies);
    let req = request(user("alice"), action, resource, context);
    let decision = Evaluator::new(&set).decide(&req);
    // The fast path and the explaining path must always agree.
    assert_eq!(decision, Evaluator::new(&set).explain(&req).decision);
    decision
}

pub fn explain(evaluator: Evaluator<'_>, request: &Request) -> Explanation {
    let explanation = evaluator.explain(request);
    assert_eq!(explanation.decision, evaluator.decide(request));
    explanation
}

/// `{"Version":"2012-10-17","Statement":[…]}` around statements.
pub fn policy(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

pub fn allow(action: &str, resource: &str) -> String {
    policy(&format!(
        r#"{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}"#
    ))
}

pub fn allow_if(action: &str, resource: &str, condition: &str) -> String {
    policy(&format!(
        r#"{{"Effect":"Allow","Action":"{action}","Resource":"{resource}","Condition":{condition}}}"#
    ))
}
