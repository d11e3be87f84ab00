//! Conformance with AWS IAM: what it stores, what it refuses and with which words, and
//! how it decides the edge cases. Each table cites the AWS page or the AWS error text it
//! follows. The error texts and what IAM accepts were observed on IAM's CreatePolicy,
//! PutRolePolicy and CreateRole (quoted in public issue trackers: terraform-provider-aws,
//! eksctl, kops, kappa, cloudera, and moto's AWS-verified validation suite).

use std::collections::BTreeMap;

use policy::{
    Context, Decision, Evaluator, Layer, PolicyDocument, PolicyKind, PolicySet, Principal,
    PrincipalKind, Request, Resource,
};

use crate::support::{allow, anonymous, policy, request, role_session, set, user, ACCOUNT};

use Decision::{Allow, ExplicitDeny, ImplicitDeny};

fn statement(body: &str) -> String {
    policy(body)
}

fn first_message(text: &str, kind: PolicyKind) -> String {
    match PolicyDocument::parse(text, kind) {
        Ok(_) => panic!("AWS refuses this, we accepted it: {text}"),
        Err(errors) => {
            let first = errors.first().unwrap();
            // Every refusal points somewhere in the text.
            assert!(first.location.end <= text.len(), "{first:?}");
            first.aws_message()
        }
    }
}

fn accepted(text: &str, kind: PolicyKind) -> PolicyDocument {
    PolicyDocument::parse(text, kind)
        .unwrap_or_else(|e| panic!("AWS accepts this, we refused it: {text}\n{e}"))
}

/// AWS stores these identity policies (CreatePolicy answered 200).
#[test]
fn identity_policies_aws_stores() {
    let cases = [
        // Only the vendor prefix and the single colon of an action are validated.
        r#"{"Effect":"Allow","Action":"s3:GetObject,PutObject","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"s3: GetObject","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"s3:","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"s3: ","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"iam: asdf safdsf af ","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"fsx:ListBucket","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":["s3-s:ListBucket","s3.s:ListBucket"],"Resource":"*"}"#,
        r#"{"Effect":"Allow","NotAction":"s3:GetObject,PutObject","Resource":"*"}"#,
        // Services AWS does not know, and ARNs shorter than six parts without "::".
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s33:::example_bucket"}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:invalid-service:us-east-1::example_bucket"}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:fdsasf"}"#,
        // S3 access points carry a region and an account.
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/*"}"#,
        r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":["arn:aws:iam::123456789012:user/*","arn:aws:iam::123456789012:root","arn:aws:iam::*:role/*"]}"#,
        // Condition blocks AWS tolerates.
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{}}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateGreaterThan":{}}}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateGreaterThan":{"a":[]}}}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":[]}}}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"a":{}}}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"a":{},"b":{},"StringEqualz":{}}}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIfExists":{"a":"asf"}}}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}}"#,
        // Odd but readable dates: a year, a month, an hour, epoch seconds, a fraction.
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":["2019","2019-07","2019-07-01T10","1561939200","2019-07-01T10:00:00.123456Z","2019-07-01T10:00:00+02:00"]}}}"#,
    ];
    for body in cases {
        let text = statement(body);
        for kind in [
            PolicyKind::Managed,
            PolicyKind::InlineUser,
            PolicyKind::InlineRole,
        ] {
            accepted(&text, kind);
        }
    }
    // A `null` among resources is stored and ignored; Sids may hold underscores.
    accepted(
        &policy(
            r#"{"Sid":"Null_Resource","Effect":"Allow","Action":"kms:CreateGrant","Resource":["arn:aws:kms:*:123456789012:key/*",null]}"#,
        ),
        PolicyKind::Managed,
    );
    // Empty Sids may repeat.
    accepted(
        &policy(
            r#"{"Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"","Effect":"Deny","Action":"s3:PutObject","Resource":"*"}"#,
        ),
        PolicyKind::Managed,
    );
}

/// AWS refuses these identity policies with these exact words (CreatePolicy).
#[test]
fn identity_policies_aws_refuses() {
    let version = "Policy document must be version 2012-10-17 or greater.";
    let legacy = "The policy failed legacy parsing";
    let vendor = "Resource vendor must be fully qualified and cannot contain regexes.";
    let iam_path = "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.";
    let body = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;
    let with_resource = |resource: &str| {
        policy(&format!(
            r#"{{"Effect":"Allow","Action":"s3:ListBucket","Resource":"{resource}"}}"#
        ))
    };
    let with_date = |date: &str| {
        policy(&format!(
            r#"{{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{{"DateGreaterThan":{{"aws:CurrentTime":{date}}}}}}}"#
        ))
    };
    let cases: Vec<(String, String)> = vec![
        // Version: identity policies need the 2012 grammar.
        (format!(r#"{{"Statement":[{body}]}}"#), version.into()),
        (
            format!(r#"{{"Version":"2008-10-17","Statement":[{body}]}}"#),
            version.into(),
        ),
        (
            format!(r#"{{"Version":"2013-10-17","Statement":[{body}]}}"#),
            "Syntax errors in policy.".into(),
        ),
        // Resource formats, in AWS's words; a partition error quotes the ARN rebuilt.
        (
            with_resource("a:bsdfdsafsad"),
            r#"Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*"."#
                .into(),
        ),
        (
            with_resource("aws:s3:::example_bucket"),
            r#"Partition "s3" is not valid for resource "arn:s3:::example_bucket:*"."#.into(),
        ),
        (
            with_resource("a:b:c:d:e:f:g:h"),
            r#"Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h"."#.into(),
        ),
        (
            with_resource("arn:aws-cn:s3:::example_bucket"),
            r#"Partition "aws-cn" is not valid for resource "arn:aws-cn:s3:::example_bucket"."#
                .into(),
        ),
        (
            with_resource("arn:aws:iam:us-east-1::example_bucket"),
            "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information."
                .into(),
        ),
        (
            with_resource("arn:aws:iam:us-east-1:123456789012:role/GlueJobRole"),
            "IAM resource arn:aws:iam:us-east-1:123456789012:role/GlueJobRole cannot contain region information."
                .into(),
        ),
        (
            with_resource("arn:aws:s3:us-east-1::example_bucket"),
            "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information."
                .into(),
        ),
        (
            with_resource("arn:aws:iam::123456789012:foo/bar"),
            iam_path.into(),
        ),
        (with_resource("arn:aws:iam::123456789012"), iam_path.into()),
        (with_resource("arn:aws"), vendor.into()),
        (with_resource("arn:aws:*:*:123456789012:*"), vendor.into()),
        (with_resource("arn:aws:s3*:::b"), vendor.into()),
        (
            with_resource("invalid resource"),
            "Resource invalid resource must be in ARN format or \"*\".".into(),
        ),
        (
            with_resource(""),
            "Resource  must be in ARN format or \"*\".".into(),
        ),
        // The legacy parser: too few parts around "::", an empty service, wrong-case
        // Effect, dates that are no dates.
        (with_resource("arn:aws:s3::example_bucket"), legacy.into()),
        (with_resource("arn:aws::fdsasf"), legacy.into()),
        (with_resource("arn:aws::::example_bucket"), legacy.into()),
        (
            policy(r#"{"Effect":"aLLow","Action":"s3:ListBucket","Resource":"*"}"#),
            legacy.into(),
        ),
        (with_date(r#""sdfdsf""#), legacy.into()),
        (with_date(r#""234-13""#), legacy.into()),
        (with_date("9223372036854775808"), legacy.into()),
        (with_date(r#""2019-07-01T25:00:00Z""#), legacy.into()),
        // Actions.
        (
            policy(r#"{"Effect":"Allow","NotAction":"","Resource":"*"}"#),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.".into(),
        ),
        (
            policy(r#"{"Effect":"Allow","Action":"a a:ListBucket","Resource":"*"}"#),
            "Vendor a a is not valid".into(),
        ),
        (
            policy(r#"{"Effect":"Allow","Action":"s3_x:ListBucket","Resource":"*"}"#),
            "Vendor s3_x is not valid".into(),
        ),
        (
            policy(r#"{"Effect":"Allow","Action":"*:Create*","Resource":"*"}"#),
            "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards.".into(),
        ),
        // Conditions: an unknown operator with a body, a doubled colon.
        (
            policy(
                r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"x":{"a":"1"}}}"#,
            ),
            "Syntax errors in policy.".into(),
        ),
        (
            policy(
                r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"ForAnyValue::StringEqualsIfExists":{"a":"1"}}}"#,
            ),
            "Syntax errors in policy.".into(),
        ),
        (
            policy(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":[]}"#),
            "Policy statement must contain resources.".into(),
        ),
    ];
    for (text, message) in &cases {
        for kind in [
            PolicyKind::Managed,
            PolicyKind::InlineUser,
            PolicyKind::InlineGroup,
            PolicyKind::InlineRole,
            PolicyKind::Boundary,
        ] {
            assert_eq!(&first_message(text, kind), message, "{kind:?}: {text}");
        }
    }
}

/// When a document has several faults, AWS names one, checking in this order: syntax,
/// version, legacy parsing, Sid uniqueness, actions present, resource format, action
/// vendors, resources present.
#[test]
fn the_fault_aws_names_first() {
    let cases = [
        // Version beats duplicate Sids, wrong-case Effect and bad dates.
        (
            r#"{"Statement":[{"Sid":"A","Effect":"denY","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"x"}}},{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            "Policy document must be version 2012-10-17 or greater.",
        ),
        // Legacy parsing beats duplicate Sids and a missing Action.
        (
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"aLLow","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            "The policy failed legacy parsing",
        ),
        // A bad date beats a bad partition.
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"a:b","Condition":{"DateGreaterThan":{"aws:CurrentTime":"x"}}}]}"#,
            "The policy failed legacy parsing",
        ),
        // A resource with a format fault is reported instead of its neighbour's legacy fault.
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3::b","x:bad:s3:::b"]}]}"#,
            r#"Partition "bad" is not valid for resource "arn:bad:s3:::b"."#,
        ),
        // Duplicate Sids beat a missing Action.
        (
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        // An action without vendor beats a missing Resource: IAM checks that resources
        // are present last (moto's AWS-verified case `{"Action":"invalid"}`).
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"invalid"}}"#,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        // The resource format beats the action's colons.
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s:3:ListBucket","Resource":"sdfsadf"}]}"#,
            "Resource sdfsadf must be in ARN format or \"*\".",
        ),
    ];
    for (text, message) in cases {
        assert_eq!(first_message(text, PolicyKind::Managed), message, "{text}");
    }
}

/// Trust and resource policies: the other grammar rules AWS applies to them.
#[test]
fn trust_and_resource_policies() {
    // A trust policy with a Service principal needs no Resource, and may be 2008-10-17.
    accepted(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        PolicyKind::Trust,
    );
    accepted(
        r#"{"Version":"2008-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        PolicyKind::Trust,
    );
    accepted(
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#,
        PolicyKind::Trust,
    );
    // CreateRole: "The following Statement Ids are invalid: Assume Role to Access S3 Bucket".
    assert_eq!(
        first_message(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Assume Role to Access S3 Bucket","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            PolicyKind::Trust
        ),
        "The following Statement Ids are invalid: Assume Role to Access S3 Bucket"
    );
    // Trust policies speak of STS only (CreateRole: "AssumeRole policy may only specify
    // STS AssumeRole actions.").
    assert_eq!(
        first_message(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","s3:GetObject"]}]}"#,
            PolicyKind::Trust
        ),
        "AssumeRole policy may only specify STS AssumeRole actions."
    );
    assert_eq!(
        first_message(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}"#,
            PolicyKind::Trust
        ),
        "Has prohibited field Resource."
    );
    accepted(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}"#,
        PolicyKind::Trust,
    );
    // A resource-policy statement without a principal is stored (it never matches).
    accepted(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        PolicyKind::Resource,
    );
    // Resource policies keep their old version.
    accepted(
        r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        PolicyKind::Resource,
    );
}

fn principal(kind: PrincipalKind, arn: &str) -> Principal {
    Principal {
        kind,
        arn: arn.into(),
        account: ACCOUNT.into(),
        id: None,
        tags: BTreeMap::new(),
        source_arn: None,
    }
}

fn on(principal: Principal, action: &str, resource: &str) -> Request {
    request(principal, action, resource, Context::new())
}

fn resource_policy(principals: &str, effect: &str) -> PolicySet {
    let doc = PolicyDocument::parse(
        &policy(&format!(
            r#"{{"Effect":"{effect}","Principal":{{"AWS":{principals}}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#
        )),
        PolicyKind::Resource,
    )
    .unwrap();
    PolicySet::from_documents([("bucket policy", &doc)])
}

const OBJECT: &str = "arn:aws:s3:::b/report.csv";

/// The engine's answer for one cell, checked by both paths.
fn cell(
    identity: &PolicySet,
    resource: &PolicySet,
    boundary: Option<&PolicySet>,
    session: Option<&PolicySet>,
    req: &Request,
) -> Decision {
    let mut evaluator = Evaluator::new(identity).with_resource_policy(resource);
    if let Some(b) = boundary {
        evaluator = evaluator.with_boundary(b);
    }
    if let Some(s) = session {
        evaluator = evaluator.with_session_policy(s);
    }
    let decision = evaluator.decide(req);
    assert_eq!(decision, evaluator.explain(req).decision);
    decision
}

/// AWS's table for a same-account resource policy meeting an implicit deny in the
/// identity policies, the permissions boundary or the session policy, per principal type
/// and per ARN the resource policy names
/// (reference_policies_evaluation-logic_policy-eval-denyallow.html, "Resource-based
/// policies"; access_policies.html#policies_session).
#[test]
fn resource_policies_meet_boundaries_and_session_policies() {
    let nothing = set(&[]);
    let other_only = set(&[&allow("ec2:DescribeInstances", "*")]);
    let s3 = set(&[&allow("s3:GetObject", "*")]);
    let user_arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/auditor");
    let session_arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/auditor/s1");
    let federated_arn = format!("arn:aws:sts::{ACCOUNT}:federated-user/bob");
    let account_arn = format!("arn:aws:iam::{ACCOUNT}:root");
    let names = |arn: &str| resource_policy(&format!("\"{arn}\""), "Allow");
    let federated = Principal {
        source_arn: Some(user_arn.clone()),
        ..principal(PrincipalKind::FederatedUser, &federated_arn)
    };
    // (who, resource policy names, identity, boundary, session policy, AWS's decision)
    #[allow(clippy::type_complexity)]
    let table: Vec<(
        &str,
        Principal,
        &str,
        &PolicySet,
        Option<&PolicySet>,
        Option<&PolicySet>,
        Decision,
    )> = vec![
        // IAM user named by its ARN: not limited by identity policies or its boundary.
        (
            "user",
            user("alice"),
            &user_arn,
            &nothing,
            None,
            None,
            Allow,
        ),
        (
            "user",
            user("alice"),
            &user_arn,
            &nothing,
            Some(&other_only),
            None,
            Allow,
        ),
        // IAM user through its account: the identity side and the boundary decide.
        (
            "user",
            user("alice"),
            &account_arn,
            &nothing,
            None,
            None,
            ImplicitDeny,
        ),
        ("user", user("alice"), &account_arn, &s3, None, None, Allow),
        (
            "user",
            user("alice"),
            &account_arn,
            &s3,
            Some(&other_only),
            None,
            ImplicitDeny,
        ),
        // Role session named by the role ARN: the boundary and session policy limit it.
        (
            "role",
            role_session("auditor", "s1"),
            &role_arn,
            &nothing,
            None,
            None,
            Allow,
        ),
        (
            "role",
            role_session("auditor", "s1"),
            &role_arn,
            &nothing,
            Some(&other_only),
            None,
            ImplicitDeny,
        ),
        (
            "role",
            role_session("auditor", "s1"),
            &role_arn,
            &nothing,
            None,
            Some(&other_only),
            ImplicitDeny,
        ),
        (
            "role",
            role_session("auditor", "s1"),
            &role_arn,
            &nothing,
            Some(&s3),
            Some(&s3),
            Allow,
        ),
        // Role session named by the session ARN: neither limits it.
        (
            "session",
            role_session("auditor", "s1"),
            &session_arn,
            &nothing,
            Some(&other_only),
            None,
            Allow,
        ),
        (
            "session",
            role_session("auditor", "s1"),
            &session_arn,
            &nothing,
            None,
            Some(&other_only),
            Allow,
        ),
        (
            "session",
            role_session("auditor", "s1"),
            &session_arn,
            &nothing,
            Some(&other_only),
            Some(&other_only),
            Allow,
        ),
        // Federated user named by its own ARN: not limited.
        (
            "federated",
            federated.clone(),
            &federated_arn,
            &nothing,
            Some(&other_only),
            Some(&other_only),
            Allow,
        ),
        // Federated user through the IAM user who federated: boundary and session limit it.
        (
            "federated",
            federated.clone(),
            &user_arn,
            &nothing,
            None,
            Some(&other_only),
            ImplicitDeny,
        ),
        (
            "federated",
            federated.clone(),
            &user_arn,
            &nothing,
            Some(&other_only),
            Some(&s3),
            ImplicitDeny,
        ),
        (
            "federated",
            federated.clone(),
            &user_arn,
            &nothing,
            Some(&s3),
            Some(&s3),
            Allow,
        ),
        // Through the account: the identity side must allow, within the session policy.
        (
            "federated",
            federated.clone(),
            &account_arn,
            &s3,
            None,
            Some(&s3),
            Allow,
        ),
        (
            "federated",
            federated,
            &account_arn,
            &s3,
            None,
            Some(&other_only),
            ImplicitDeny,
        ),
    ];
    for (who, principal, named, identity, boundary, session, expected) in table {
        let resource = names(named);
        let req = on(principal, "s3:GetObject", OBJECT);
        assert_eq!(
            cell(identity, &resource, boundary, session, &req),
            expected,
            "{who}, resource policy names {named}, boundary {}, session policy {}",
            boundary.is_some(),
            session.is_some()
        );
    }
    // An explicit deny anywhere wins over every grant.
    let deny_all = set(&[&policy(
        r#"{"Effect":"Deny","Action":"s3:*","Resource":"*"}"#,
    )]);
    for (boundary, session) in [(Some(&deny_all), None), (None, Some(&deny_all))] {
        let req = on(role_session("auditor", "s1"), "s3:GetObject", OBJECT);
        assert_eq!(
            cell(&s3, &names(&session_arn), boundary, session, &req),
            ExplicitDeny
        );
    }
}

/// NotPrincipal with Deny: everyone not listed along their whole chain is denied, and a
/// principal with a permissions boundary always is
/// (reference_policies_elements_notprincipal.html).
#[test]
fn not_principal_with_deny() {
    let everything = set(&[&allow("s3:*", "*")]);
    let user_arn = format!("\"arn:aws:iam::{ACCOUNT}:user/alice\"");
    let account = format!("\"arn:aws:iam::{ACCOUNT}:root\"");
    let session_arn = format!("\"arn:aws:sts::{ACCOUNT}:assumed-role/auditor/s1\"");
    let role_arn = format!("\"arn:aws:iam::{ACCOUNT}:role/auditor\"");
    let guard = |listed: &[&str]| {
        let doc = PolicyDocument::parse(
            &policy(&format!(
                r#"{{"Effect":"Deny","NotPrincipal":{{"AWS":[{}]}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}},{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
                listed.join(",")
            )),
            PolicyKind::Resource,
        )
        .unwrap();
        PolicySet::from_documents([("bucket policy", &doc)])
    };
    let bounded = set(&[&allow("s3:*", "*")]);
    let alice = || on(user("alice"), "s3:GetObject", OBJECT);
    let session = || on(role_session("auditor", "s1"), "s3:GetObject", OBJECT);
    let table: Vec<(&str, PolicySet, Request, Option<&PolicySet>, Decision)> = vec![
        (
            "user listed alone",
            guard(&[&user_arn]),
            alice(),
            None,
            ExplicitDeny,
        ),
        (
            "user and account listed",
            guard(&[&user_arn, &account]),
            alice(),
            None,
            Allow,
        ),
        (
            "account listed alone",
            guard(&[&account]),
            alice(),
            None,
            ExplicitDeny,
        ),
        (
            "user and account listed, user has a boundary",
            guard(&[&user_arn, &account]),
            alice(),
            Some(&bounded),
            ExplicitDeny,
        ),
        (
            "session and account listed",
            guard(&[&session_arn, &account]),
            session(),
            None,
            Allow,
        ),
        (
            "role and account listed, not the session",
            guard(&[&role_arn, &account]),
            session(),
            None,
            ExplicitDeny,
        ),
        (
            "anonymous caller",
            guard(&[&user_arn, &account]),
            on(anonymous(), "s3:GetObject", OBJECT),
            None,
            ExplicitDeny,
        ),
        (
            "other user",
            guard(&[&user_arn, &account]),
            on(user("mallory"), "s3:GetObject", OBJECT),
            None,
            ExplicitDeny,
        ),
    ];
    for (case, resource, req, boundary, expected) in table {
        assert_eq!(
            cell(&everything, &resource, boundary, None, &req),
            expected,
            "{case}"
        );
    }
}

/// A resource-policy statement without Principal never matches; its siblings still apply.
#[test]
fn resource_statements_without_principal_never_match() {
    let nothing = set(&[]);
    let text = |statements: &str| {
        let doc = PolicyDocument::parse(&policy(statements), PolicyKind::Resource).unwrap();
        PolicySet::from_documents([("bucket policy", &doc)])
    };
    let bare_allow = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#;
    let bare_deny = r#"{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#;
    let named = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#;
    let req = on(user("alice"), "s3:GetObject", OBJECT);
    assert_eq!(
        cell(&nothing, &text(bare_allow), None, None, &req),
        ImplicitDeny
    );
    assert_eq!(
        cell(
            &nothing,
            &text(&format!("{bare_allow},{named}")),
            None,
            None,
            &req
        ),
        Allow
    );
    assert_eq!(
        cell(
            &nothing,
            &text(&format!("{bare_deny},{named}")),
            None,
            None,
            &req
        ),
        Allow
    );
}

/// Odd actions AWS stores never match a request, and under NotAction exclude nothing.
#[test]
fn odd_actions_never_match() {
    let odd = [
        "s3:GetObject,PutObject",
        "s3: GetObject",
        "s3:",
        "s3: ",
        "s3:Get Object",
    ];
    for action in odd {
        let allow_odd = set(&[&allow(action, "*")]);
        for requested in ["s3:GetObject", "s3:PutObject"] {
            let req = on(user("alice"), requested, OBJECT);
            assert_eq!(
                Evaluator::new(&allow_odd).decide(&req),
                ImplicitDeny,
                "{action} allowed {requested}"
            );
        }
        let not_odd = set(&[&policy(&format!(
            r#"{{"Effect":"Allow","NotAction":"{action}","Resource":"*"}}"#
        ))]);
        let req = on(user("alice"), "s3:GetObject", OBJECT);
        assert_eq!(
            Evaluator::new(&not_odd).decide(&req),
            Allow,
            "NotAction {action}"
        );
    }
    // Tolerated condition blocks: an empty operator holds, an empty value list never does.
    let empty_operator = set(&[&policy(
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{},"a":{}}}"#,
    )]);
    assert_eq!(
        Evaluator::new(&empty_operator).decide(&on(user("alice"), "s3:GetObject", OBJECT)),
        Allow
    );
    let empty_values = set(&[&policy(
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":[]}}}"#,
    )]);
    assert_eq!(
        Evaluator::new(&empty_values).decide(&on(user("alice"), "s3:GetObject", OBJECT)),
        ImplicitDeny
    );
}

/// Within one account the role's trust policy must allow sts:AssumeRole; an identity
/// policy alone is not enough (reference_policies_evaluation-logic-cross-account.html,
/// id_roles_manage-assume.html). Naming the account delegates to identity policies.
#[test]
fn assume_role_needs_the_trust_policy() {
    let role = format!("arn:aws:iam::{ACCOUNT}:role/auditor");
    let may_assume = set(&[&allow("sts:AssumeRole", "*")]);
    let nothing = set(&[]);
    let trust = |principal: &str| {
        let doc = PolicyDocument::parse(
            &policy(&format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}"#
            )),
            PolicyKind::Trust,
        )
        .unwrap();
        PolicySet::from_documents([("trust policy", &doc)])
    };
    let req = on(user("alice"), "sts:AssumeRole", &role);
    let alice_arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    let account = format!("arn:aws:iam::{ACCOUNT}:root");
    let bob_arn = format!("arn:aws:iam::{ACCOUNT}:user/bob");
    // No trust policy in the evaluation: the identity policy alone does not do it.
    let explanation = Evaluator::new(&may_assume).explain(&req);
    assert_eq!(explanation.decision, ImplicitDeny);
    assert_eq!(explanation.blocked_by, vec![Layer::Resource]);
    assert_eq!(Evaluator::new(&may_assume).decide(&req), ImplicitDeny);
    let cases = [
        (&may_assume, trust(&account), Allow),
        (&nothing, trust(&account), ImplicitDeny),
        (&nothing, trust(&alice_arn), Allow),
        (&may_assume, trust(&bob_arn), ImplicitDeny),
    ];
    for (identity, trust, expected) in cases {
        let evaluator = Evaluator::new(identity).with_resource_policy(&trust);
        assert_eq!(evaluator.decide(&req), expected);
        assert_eq!(evaluator.explain(&req).decision, expected);
    }
    // The simulator's case format gets the same answer.
    let case = format!(
        r#"{{"identity_policies":[{}],"request":{{"principal":{{"type":"user","arn":"{alice_arn}"}},"action":"sts:AssumeRole","resource":{{"arn":"{role}"}}}}}}"#,
        allow("sts:AssumeRole", "*")
    );
    let answer = policy::simulate::simulate(&case, None).unwrap();
    assert_eq!(answer["decision"], "ImplicitDeny");
    // Other actions on a role are unaffected.
    let get_role = on(user("alice"), "iam:GetRole", &role);
    let may_read = set(&[&allow("iam:GetRole", "*")]);
    assert_eq!(Evaluator::new(&may_read).decide(&get_role), Allow);
    let _ = Resource::default();
}

/// Lint names what AWS stores but what can never work.
#[test]
fn lint_warns_for_what_aws_stores() {
    use policy::lint::lint;
    let codes = |text: &str, kind| -> Vec<&'static str> {
        lint(text, kind).into_iter().map(|f| f.code).collect()
    };
    let managed = policy(
        r#"{"Effect":"Allow","Action":["s3:GetObject,PutObject","s3:"],"Resource":"*","Condition":{"StringEquals":{"username":"a","aws:username":[]}}}"#,
    );
    let found = codes(&managed, PolicyKind::Managed);
    for code in [
        "INVALID_ACTION_NAME",
        "CONDITION_KEY_WITHOUT_VENDOR",
        "EMPTY_CONDITION_VALUES",
    ] {
        assert!(found.contains(&code), "{code} missing from {found:?}");
    }
    assert!(!found.contains(&"MALFORMED_POLICY"), "{found:?}");
    let resource =
        policy(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#);
    assert!(codes(&resource, PolicyKind::Resource).contains(&"NO_PRINCIPAL"));
}

/// A policy saved under earlier rules keeps applying: a stored Deny never silently
/// drops out because a save-time rule got stricter.
#[test]
fn stored_policies_keep_applying() {
    let old_deny = r#"{"Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"soon"}}},{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}"#;
    assert!(PolicyDocument::parse(old_deny, PolicyKind::Managed).is_err());
    let stored = PolicyDocument::parse_stored(old_deny, PolicyKind::Managed).unwrap();
    let identity = PolicySet::from_documents([
        ("old", &stored),
        (
            "all",
            &PolicyDocument::parse(&allow("s3:*", "*"), PolicyKind::Managed).unwrap(),
        ),
    ]);
    let req = on(user("alice"), "s3:PutObject", OBJECT);
    assert_eq!(Evaluator::new(&identity).decide(&req), ExplicitDeny);
    // Whatever breaks the document's shape is still refused.
    assert!(PolicyDocument::parse_stored(
        r#"{"Statement":[{"Action":"s3:*"}]}"#,
        PolicyKind::Managed
    )
    .is_err());
}

/// The simulator decides: a missing Version or the size quota, which only decide whether a
/// document may be saved, do not stop a case (a session policy without Version); any other
/// fault is reported.
#[test]
fn the_simulator_decides_what_it_is_given() {
    let case = |session: &str| {
        format!(
            r#"{{"identity_policies":[{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"*"}}]}}],
                "session_policy":{session},
                "request":{{"principal":{{"type":"role-session","arn":"arn:aws:sts::123456789012:assumed-role/r/s"}},"action":"s3:GetObject","resource":{{"arn":"arn:aws:s3:::b/k"}}}}}}"#
        )
    };
    let narrowed = policy::simulate::simulate(
        &case(r#"{"Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#),
        None,
    )
    .unwrap();
    assert_eq!(narrowed["decision"], "ImplicitDeny");
    assert_eq!(narrowed["blocked_by"][0], "session_policy");
    let allowed = policy::simulate::simulate(
        &case(r#"{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#),
        None,
    )
    .unwrap();
    assert_eq!(allowed["decision"], "Allow");
    assert!(
        policy::simulate::simulate(&case(r#"{"Statement":[{"Action":"s3:*"}]}"#), None).is_err()
    );
}

/// Another spelling of the action is the same action: the trust policy is still needed.
#[test]
fn assume_role_in_any_case_needs_the_trust_policy() {
    let role = format!("arn:aws:iam::{ACCOUNT}:role/auditor");
    let may_assume = set(&[&allow("STS:assumerole", "*")]);
    for action in ["sts:AssumeRole", "STS:ASSUMEROLE", "sts:assumeRoleWithSAML"] {
        let req = on(user("alice"), action, &role);
        assert_eq!(
            Evaluator::new(&may_assume).decide(&req),
            ImplicitDeny,
            "{action}"
        );
    }
}
