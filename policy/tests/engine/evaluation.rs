//! Matching of actions, resources and statements within identity policies.

use policy::{Context, Decision::*, Evaluator, Layer};

use crate::support::*;

#[test]
fn default_deny_and_allow() {
    assert_eq!(
        decide(&[], "s3:GetObject", "arn:aws:s3:::b/k"),
        ImplicitDeny
    );
    let p = allow("s3:GetObject", "arn:aws:s3:::b/*");
    assert_eq!(decide(&[&p], "s3:GetObject", "arn:aws:s3:::b/k"), Allow);
    assert_eq!(
        decide(&[&p], "s3:PutObject", "arn:aws:s3:::b/k"),
        ImplicitDeny
    );
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:::other/k"),
        ImplicitDeny
    );
}

#[test]
fn explicit_deny_wins_over_any_allow() {
    let admin = allow("*", "*");
    let deny = policy(r#"{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}"#);
    assert_eq!(
        decide(&[&admin, &deny], "s3:DeleteObject", "arn:aws:s3:::b/k"),
        ExplicitDeny
    );
    assert_eq!(
        decide(&[&deny, &admin], "s3:DeleteBucket", "arn:aws:s3:::b"),
        ExplicitDeny
    );
    assert_eq!(
        decide(&[&admin, &deny], "s3:GetObject", "arn:aws:s3:::b/k"),
        Allow
    );
}

#[test]
fn actions_are_case_insensitive_with_wildcards() {
    let p = policy(
        r#"{"Effect":"Allow","Action":["S3:get*","ec2:Describe?nstances","iam:*User"],"Resource":"*"}"#,
    );
    assert_eq!(decide(&[&p], "s3:GetObject", "*"), Allow);
    assert_eq!(decide(&[&p], "S3:GETOBJECTACL", "*"), Allow);
    assert_eq!(decide(&[&p], "ec2:DescribeInstances", "*"), Allow);
    assert_eq!(decide(&[&p], "ec2:DescribeXInstances", "*"), ImplicitDeny);
    assert_eq!(decide(&[&p], "iam:CreateUser", "*"), Allow);
    assert_eq!(decide(&[&p], "iam:CreateUsers", "*"), ImplicitDeny);
    assert_eq!(decide(&[&p], "s3:PutObject", "*"), ImplicitDeny);
    let all = allow("*", "*");
    assert_eq!(decide(&[&all], "anything:AtAll", "arn:x:y:z::w"), Allow);
}

#[test]
fn resources_are_case_sensitive_arns_with_wildcards() {
    let p = allow("s3:GetObject", "arn:aws:s3:::Bucket/home/?/*");
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:::Bucket/home/a/x.txt"),
        Allow
    );
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:::bucket/home/a/x.txt"),
        ImplicitDeny
    );
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:::Bucket/home/ab/x.txt"),
        ImplicitDeny
    );
    let any_region = allow(
        "ec2:StartInstances",
        "arn:aws:ec2:*:123456789012:instance/*",
    );
    assert_eq!(
        decide(
            &[&any_region],
            "ec2:StartInstances",
            "arn:aws:ec2:eu-west-1:123456789012:instance/i-1"
        ),
        Allow
    );
    assert_eq!(
        decide(
            &[&any_region],
            "ec2:StartInstances",
            "arn:aws:ec2:eu-west-1:999999999999:instance/i-1"
        ),
        ImplicitDeny
    );
}

#[test]
fn not_action_and_not_resource() {
    // AWS's example: allow everything except IAM.
    let p = policy(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#);
    assert_eq!(decide(&[&p], "ec2:RunInstances", "*"), Allow);
    assert_eq!(decide(&[&p], "iam:CreateUser", "*"), ImplicitDeny);
    // Deny everything outside one bucket.
    let admin = allow("*", "*");
    let fence = policy(
        r#"{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::ok","arn:aws:s3:::ok/*"]}"#,
    );
    assert_eq!(
        decide(&[&admin, &fence], "s3:GetObject", "arn:aws:s3:::ok/a"),
        Allow
    );
    assert_eq!(
        decide(&[&admin, &fence], "s3:GetObject", "arn:aws:s3:::secret/a"),
        ExplicitDeny
    );
    assert_eq!(
        decide(
            &[&admin, &fence],
            "ec2:RunInstances",
            "arn:aws:s3:::secret/a"
        ),
        Allow
    );
    // Deny with NotAction: everything but the listed actions is denied.
    let only_read =
        policy(r#"{"Effect":"Deny","NotAction":["s3:Get*","s3:List*"],"Resource":"*"}"#);
    assert_eq!(decide(&[&admin, &only_read], "s3:ListBucket", "*"), Allow);
    assert_eq!(
        decide(&[&admin, &only_read], "s3:PutObject", "*"),
        ExplicitDeny
    );
}

#[test]
fn explanation_names_the_statements() {
    let a = policy(
        r#"{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#,
    );
    let d = policy(
        r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Sid":"Fence","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::secret/*"}"#,
    );
    let set = set(&[&a, &d]);
    let req = request(
        user("alice"),
        "s3:GetObject",
        "arn:aws:s3:::secret/x",
        Context::new(),
    );
    let e = explain(Evaluator::new(&set), &req);
    assert_eq!(e.decision, ExplicitDeny);
    assert_eq!(e.blocked_by, vec![Layer::Identity]);
    let matched: Vec<(String, usize, Option<String>, &str)> = e
        .matched
        .iter()
        .map(|m| {
            (
                m.policy.clone(),
                m.statement,
                m.sid.clone(),
                m.effect.as_str(),
            )
        })
        .collect();
    assert_eq!(matched.len(), 3, "{matched:?}");
    assert!(matched.contains(&("p0".into(), 0, Some("Read".into()), "Allow")));
    assert!(matched.contains(&("p0".into(), 1, None, "Allow")));
    assert!(matched.contains(&("p1".into(), 1, Some("Fence".into()), "Deny")));

    let req = request(
        user("alice"),
        "s3:GetObject",
        "arn:aws:s3:::public/x",
        Context::new(),
    );
    let e = explain(Evaluator::new(&set), &req);
    assert_eq!(e.decision, Allow);
    assert!(e.blocked_by.is_empty());

    let req = request(user("alice"), "iam:CreateUser", "*", Context::new());
    let e = explain(Evaluator::new(&set), &req);
    assert_eq!(
        (e.decision, e.blocked_by.clone(), e.matched.len()),
        (ImplicitDeny, vec![Layer::Identity], 0)
    );
}

#[test]
fn index_finds_every_kind_of_action_pattern() {
    // Exact, service wildcard, global wildcard and NotAction statements in one set.
    let p = policy(
        r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"},
           {"Effect":"Allow","Action":"sns:Pub*","Resource":"*"},
           {"Effect":"Allow","Action":"*","Resource":"arn:aws:sns:*:*:public-*"},
           {"Effect":"Deny","NotAction":["sqs:*","sns:*"],"Resource":"arn:aws:s3:::secret"}"#,
    );
    assert_eq!(decide(&[&p], "sqs:SendMessage", "*"), Allow);
    assert_eq!(decide(&[&p], "sqs:sendmessage", "*"), Allow);
    assert_eq!(decide(&[&p], "sns:Publish", "*"), Allow);
    assert_eq!(
        decide(
            &[&p],
            "sns:ListTopics",
            "arn:aws:sns:eu-west-1:123456789012:public-a"
        ),
        Allow
    );
    assert_eq!(decide(&[&p], "sns:ListTopics", "*"), ImplicitDeny);
    assert_eq!(decide(&[&p], "sns:DeleteTopic", "*"), ImplicitDeny);
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:::secret"),
        ExplicitDeny
    );
}
