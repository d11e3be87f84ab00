//! Identity, resource, boundary and session layers, as AWS's evaluation logic documents.

use std::collections::BTreeMap;

use policy::{Context, Decision::*, Evaluator, Layer, Principal, PrincipalKind, Request, Resource};

use crate::support::*;

const OBJECT: &str = "arn:aws:s3:::reports/q3.csv";

fn req_in(principal: Principal, action: &str, arn: &str, owner: Option<&str>) -> Request {
    Request::new(
        principal,
        action,
        Resource {
            arn: arn.into(),
            account: owner.map(str::to_string),
            tags: BTreeMap::new(),
        },
        Context::new(),
    )
    .unwrap()
}

fn bucket_policy(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Grant","Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}}]}}"#
    )
}

#[test]
fn permissions_boundary_must_also_allow() {
    let identity = set(&[&allow("*", "*")]);
    let boundary = set(&[&allow("s3:*", "*")]);
    let eval = Evaluator::new(&identity).with_boundary(&boundary);
    assert_eq!(
        eval.decide(&request(
            user("alice"),
            "s3:GetObject",
            OBJECT,
            Context::new()
        )),
        Allow
    );
    let e = explain(
        eval,
        &request(user("alice"), "iam:CreateUser", "*", Context::new()),
    );
    assert_eq!(
        (e.decision, e.blocked_by),
        (ImplicitDeny, vec![Layer::PermissionsBoundary])
    );
    // A boundary alone grants nothing.
    let empty = set(&[]);
    let e = explain(
        Evaluator::new(&empty).with_boundary(&boundary),
        &request(user("alice"), "s3:GetObject", OBJECT, Context::new()),
    );
    assert_eq!(
        (e.decision, e.blocked_by),
        (ImplicitDeny, vec![Layer::Identity])
    );
    // A Deny in the boundary is an explicit deny.
    let fence = set(&[&policy(
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}"#,
    )]);
    let e = explain(
        Evaluator::new(&identity).with_boundary(&fence),
        &request(user("alice"), "s3:DeleteObject", OBJECT, Context::new()),
    );
    assert_eq!(
        (e.decision, e.blocked_by),
        (ExplicitDeny, vec![Layer::PermissionsBoundary])
    );
}

#[test]
fn session_policy_must_also_allow() {
    let identity = set(&[&allow("s3:*", "*")]);
    let session = set(&[&allow("s3:GetObject", "*")]);
    let eval = Evaluator::new(&identity).with_session_policy(&session);
    let who = || role_session("Auditor", "jane");
    assert_eq!(
        eval.decide(&request(who(), "s3:GetObject", OBJECT, Context::new())),
        Allow
    );
    let e = explain(
        eval,
        &request(who(), "s3:PutObject", OBJECT, Context::new()),
    );
    assert_eq!(
        (e.decision, e.blocked_by),
        (ImplicitDeny, vec![Layer::SessionPolicy])
    );
}

#[test]
fn resource_policy_grants_within_the_account_by_how_it_names_the_principal() {
    let nothing = set(&[]);
    let boundary = set(&[&allow("ec2:*", "*")]);

    // User ARN: allowed with no identity policy, and even past an unrelated boundary.
    let by_user = resource_set(&bucket_policy(
        r#"{"AWS":"arn:aws:iam::123456789012:user/alice"}"#,
    ));
    let eval = Evaluator::new(&nothing).with_resource_policy(&by_user);
    assert_eq!(
        eval.decide(&request(
            user("alice"),
            "s3:GetObject",
            OBJECT,
            Context::new()
        )),
        Allow
    );
    assert_eq!(
        eval.decide(&request(
            user("bob"),
            "s3:GetObject",
            OBJECT,
            Context::new()
        )),
        ImplicitDeny
    );
    assert_eq!(
        eval.with_boundary(&boundary).decide(&request(
            user("alice"),
            "s3:GetObject",
            OBJECT,
            Context::new()
        )),
        Allow
    );

    // Role ARN: reaches the role's sessions, but the boundary still limits them.
    let by_role = resource_set(&bucket_policy(
        r#"{"AWS":"arn:aws:iam::123456789012:role/Auditor"}"#,
    ));
    let eval = Evaluator::new(&nothing).with_resource_policy(&by_role);
    let session = || {
        request(
            role_session("Auditor", "jane"),
            "s3:GetObject",
            OBJECT,
            Context::new(),
        )
    };
    assert_eq!(eval.decide(&session()), Allow);
    let e = explain(eval.with_boundary(&boundary), &session());
    assert_eq!(
        (e.decision, e.blocked_by),
        (ImplicitDeny, vec![Layer::PermissionsBoundary])
    );
    assert_eq!(
        eval.decide(&request(
            role_session("Other", "jane"),
            "s3:GetObject",
            OBJECT,
            Context::new()
        )),
        ImplicitDeny
    );

    // Session ARN: not limited by the boundary.
    let by_session = resource_set(&bucket_policy(
        r#"{"AWS":"arn:aws:sts::123456789012:assumed-role/Auditor/jane"}"#,
    ));
    let eval = Evaluator::new(&nothing)
        .with_resource_policy(&by_session)
        .with_boundary(&boundary);
    assert_eq!(eval.decide(&session()), Allow);

    // Account: only delegates to identity policies.
    let by_account = resource_set(&bucket_policy(
        r#"{"AWS":"arn:aws:iam::123456789012:root"}"#,
    ));
    let e = explain(
        Evaluator::new(&nothing).with_resource_policy(&by_account),
        &request(user("alice"), "s3:GetObject", OBJECT, Context::new()),
    );
    assert_eq!(
        (e.decision, e.blocked_by),
        (ImplicitDeny, vec![Layer::Identity])
    );
    let identity = set(&[&allow("s3:GetObject", "*")]);
    assert_eq!(
        Evaluator::new(&identity)
            .with_resource_policy(&by_account)
            .decide(&request(
                user("alice"),
                "s3:GetObject",
                OBJECT,
                Context::new()
            )),
        Allow
    );
}

#[test]
fn cross_account_needs_both_sides() {
    let identity = set(&[&allow("s3:GetObject", "*")]);
    let nothing = set(&[]);
    let grant = resource_set(&bucket_policy(&format!(r#"{{"AWS":"{OTHER_ACCOUNT}"}}"#)));
    let visitor = || Principal {
        kind: PrincipalKind::User,
        arn: format!("arn:aws:iam::{OTHER_ACCOUNT}:user/carol"),
        account: OTHER_ACCOUNT.into(),
        id: None,
        tags: BTreeMap::new(),
        source_arn: None,
    };
    let r = || req_in(visitor(), "s3:GetObject", OBJECT, Some(ACCOUNT));
    assert_eq!(
        Evaluator::new(&identity)
            .with_resource_policy(&grant)
            .decide(&r()),
        Allow
    );
    let e = explain(Evaluator::new(&nothing).with_resource_policy(&grant), &r());
    assert_eq!(
        (e.decision, e.blocked_by),
        (ImplicitDeny, vec![Layer::Identity])
    );
    let e = explain(Evaluator::new(&identity), &r());
    assert_eq!(
        (e.decision, e.blocked_by),
        (ImplicitDeny, vec![Layer::Resource])
    );
}

#[test]
fn root_anonymous_and_services() {
    let nothing = set(&[]);
    // Root: allowed in its own account unless explicitly denied.
    assert_eq!(
        Evaluator::new(&nothing).decide(&request(root(), "iam:DeleteUser", "*", Context::new())),
        Allow
    );
    let deny_all = resource_set(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::reports/*"}]}"#,
    );
    assert_eq!(
        Evaluator::new(&nothing)
            .with_resource_policy(&deny_all)
            .decide(&request(root(), "s3:GetObject", OBJECT, Context::new())),
        ExplicitDeny
    );
    assert_eq!(
        Evaluator::new(&nothing).decide(&req_in(
            root(),
            "s3:GetObject",
            OBJECT,
            Some(OTHER_ACCOUNT)
        )),
        ImplicitDeny
    );

    // Anonymous: only a public resource policy lets it in.
    let public = resource_set(&bucket_policy(r#""*""#));
    assert_eq!(
        Evaluator::new(&nothing)
            .with_resource_policy(&public)
            .decide(&request(
                anonymous(),
                "s3:GetObject",
                OBJECT,
                Context::new()
            )),
        Allow
    );
    assert_eq!(
        Evaluator::new(&nothing).decide(&request(
            anonymous(),
            "s3:GetObject",
            OBJECT,
            Context::new()
        )),
        ImplicitDeny
    );
    let account_only = resource_set(&bucket_policy(r#"{"AWS":"123456789012"}"#));
    assert_eq!(
        Evaluator::new(&nothing)
            .with_resource_policy(&account_only)
            .decide(&request(
                anonymous(),
                "s3:GetObject",
                OBJECT,
                Context::new()
            )),
        ImplicitDeny
    );

    // A service principal, as in a trust policy.
    let trust = PolicySetFor::trust(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    );
    let service = Principal {
        kind: PrincipalKind::Service,
        arn: "ec2.amazonaws.com".into(),
        account: String::new(),
        id: None,
        tags: BTreeMap::new(),
        source_arn: None,
    };
    let role = "arn:aws:iam::123456789012:role/Worker";
    assert_eq!(
        Evaluator::new(&nothing)
            .with_resource_policy(&trust)
            .decide(&request(
                service.clone(),
                "sts:AssumeRole",
                role,
                Context::new()
            )),
        Allow
    );
    let mut lambda = service;
    lambda.arn = "lambda.amazonaws.com".into();
    assert_eq!(
        Evaluator::new(&nothing)
            .with_resource_policy(&trust)
            .decide(&request(lambda, "sts:AssumeRole", role, Context::new())),
        ImplicitDeny
    );
}

#[test]
fn trust_policy_with_external_id_admits_only_the_auditor() {
    let trust = PolicySetFor::trust(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER_ACCOUNT}:root"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"audit-7731"}}}}}}]}}"#
    ));
    let identity = set(&[&allow("sts:AssumeRole", "*")]);
    let auditor = || Principal {
        kind: PrincipalKind::User,
        arn: format!("arn:aws:iam::{OTHER_ACCOUNT}:user/auditor"),
        account: OTHER_ACCOUNT.into(),
        id: None,
        tags: BTreeMap::new(),
        source_arn: None,
    };
    let role = "arn:aws:iam::123456789012:role/ExternalAudit";
    let attempt = |external_id: Option<&str>| {
        let mut context = Context::new();
        if let Some(id) = external_id {
            context = context.with("sts:ExternalId", id);
        }
        let r = Request::new(
            auditor(),
            "sts:AssumeRole",
            Resource {
                arn: role.into(),
                account: Some(ACCOUNT.into()),
                tags: BTreeMap::new(),
            },
            context,
        )
        .unwrap();
        Evaluator::new(&identity)
            .with_resource_policy(&trust)
            .decide(&r)
    };
    assert_eq!(attempt(Some("audit-7731")), Allow);
    assert_eq!(attempt(Some("guess")), ImplicitDeny);
    assert_eq!(attempt(None), ImplicitDeny);
}

#[test]
fn not_principal_applies_to_everyone_else() {
    let nothing = set(&[]);
    let identity = set(&[&allow("s3:*", "*")]);
    // AWS checks the Deny against every identity in the caller's chain, so the account
    // must be listed with the user (reference_policies_elements_notprincipal.html).
    let guard = resource_set(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/admin","arn:aws:iam::123456789012:root"]},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::reports/*"}]}"#,
    );
    let eval = Evaluator::new(&identity).with_resource_policy(&guard);
    assert_eq!(
        eval.decide(&request(
            user("alice"),
            "s3:DeleteObject",
            OBJECT,
            Context::new()
        )),
        ExplicitDeny
    );
    assert_eq!(
        eval.decide(&request(
            user("admin"),
            "s3:DeleteObject",
            OBJECT,
            Context::new()
        )),
        Allow
    );
    let _ = nothing;
}

/// Trust policies are resource policies on the role.
struct PolicySetFor;

impl PolicySetFor {
    fn trust(text: &str) -> policy::PolicySet {
        let doc = policy::PolicyDocument::parse(text, policy::PolicyKind::Trust).unwrap();
        policy::PolicySet::from_documents([("trust", &doc)])
    }
}
