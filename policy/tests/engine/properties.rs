//! Invariants of the evaluation logic over random policies and requests.

use proptest::prelude::*;

use policy::{Context, Decision, Evaluator, PolicyDocument, PolicyKind, PolicySet};

use crate::support::*;

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "ec2:RunInstances",
    "iam:CreateUser",
];
const ACTION_PATTERNS: &[&str] = &[
    "s3:GetObject",
    "s3:*",
    "s3:Get*",
    "ec2:Run?nstances",
    "*",
    "iam:Create*",
    "s3:PutObject",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::a/x",
    "arn:aws:s3:::b/y",
    "arn:aws:ec2:eu-west-1:123456789012:instance/i-1",
    "*",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::a/*",
    "arn:aws:s3:::*",
    "arn:aws:ec2:*:*:instance/*",
    "arn:aws:s3:::b/y",
];
const CONDITIONS: &[&str] = &[
    "",
    r#","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
    r#","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}"#,
    r#","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
    r#","Condition":{"StringNotEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}"#,
];

#[derive(Debug, Clone)]
struct Stmt {
    deny: bool,
    not_action: bool,
    action: usize,
    resource: usize,
    condition: usize,
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        any::<bool>(),
        prop::bool::weighted(0.15),
        0..ACTION_PATTERNS.len(),
        0..RESOURCE_PATTERNS.len(),
        0..CONDITIONS.len(),
    )
        .prop_map(|(deny, not_action, action, resource, condition)| Stmt {
            deny,
            not_action,
            action,
            resource,
            condition,
        })
}

fn render(statements: &[Stmt]) -> String {
    let parts: Vec<String> = statements
        .iter()
        .map(|s| {
            format!(
                r#"{{"Effect":"{}","{}":"{}","Resource":"{}"{}}}"#,
                if s.deny { "Deny" } else { "Allow" },
                if s.not_action { "NotAction" } else { "Action" },
                ACTION_PATTERNS[s.action],
                RESOURCE_PATTERNS[s.resource],
                CONDITIONS[s.condition]
            )
        })
        .collect();
    if parts.is_empty() {
        return r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"none:None","Resource":"*"}]}"#.into();
    }
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        parts.join(",")
    )
}

fn compile(statements: &[Stmt]) -> PolicySet {
    let text = render(statements);
    let doc = PolicyDocument::parse(&text, PolicyKind::Template).unwrap();
    PolicySet::from_documents([("p", &doc)])
}

#[derive(Debug, Clone)]
struct Req {
    action: usize,
    resource: usize,
    ip: bool,
    region: Option<bool>,
    mfa: bool,
}

fn req() -> impl Strategy<Value = Req> {
    (
        0..ACTIONS.len(),
        0..RESOURCES.len(),
        any::<bool>(),
        prop::option::of(any::<bool>()),
        any::<bool>(),
    )
        .prop_map(|(action, resource, ip, region, mfa)| Req {
            action,
            resource,
            ip,
            region,
            mfa,
        })
}

fn build(r: &Req) -> policy::Request {
    let mut context = Context::new()
        .with("aws:SourceIp", if r.ip { "10.1.2.3" } else { "192.0.2.1" })
        .with(
            "aws:MultiFactorAuthPresent",
            if r.mfa { "true" } else { "false" },
        );
    if let Some(eu) = r.region {
        context = context.with(
            "aws:RequestedRegion",
            if eu { "eu-west-1" } else { "us-east-1" },
        );
    }
    request(
        user("alice"),
        ACTIONS[r.action],
        RESOURCES[r.resource],
        context,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn adding_a_deny_never_turns_a_deny_into_allow(base in prop::collection::vec(stmt(), 0..6), mut extra in stmt(), r in req()) {
        extra.deny = true;
        let request = build(&r);
        let before = Evaluator::new(&compile(&base)).decide(&request);
        let mut more = base.clone();
        more.push(extra);
        let after = Evaluator::new(&compile(&more)).decide(&request);
        if before != Decision::Allow {
            prop_assert_ne!(after, Decision::Allow);
        }
        if before == Decision::ExplicitDeny {
            prop_assert_eq!(after, Decision::ExplicitDeny);
        }
    }

    #[test]
    fn adding_an_allow_never_removes_an_allow(base in prop::collection::vec(stmt(), 0..6), mut extra in stmt(), r in req()) {
        extra.deny = false;
        let request = build(&r);
        let before = Evaluator::new(&compile(&base)).decide(&request);
        let mut more = base.clone();
        more.push(extra);
        let after = Evaluator::new(&compile(&more)).decide(&request);
        if before == Decision::Allow {
            prop_assert_eq!(after, Decision::Allow);
        }
    }

    #[test]
    fn a_boundary_never_widens(identity in prop::collection::vec(stmt(), 0..6), boundary in prop::collection::vec(stmt(), 1..4), r in req()) {
        let request = build(&r);
        let identity = compile(&identity);
        let boundary = compile(&boundary);
        let without = Evaluator::new(&identity).decide(&request);
        let with = Evaluator::new(&identity).with_boundary(&boundary).decide(&request);
        if with == Decision::Allow {
            prop_assert_eq!(without, Decision::Allow);
        }
    }

    #[test]
    fn decide_and_explain_agree(policies in prop::collection::vec(stmt(), 0..8), r in req()) {
        let request = build(&r);
        let set = compile(&policies);
        let fast = Evaluator::new(&set).decide(&request);
        let explained = Evaluator::new(&set).explain(&request);
        prop_assert_eq!(fast, explained.decision);
        // An Allow has a matching Allow statement; an ExplicitDeny a matching Deny.
        match fast {
            Decision::Allow => prop_assert!(explained.matched.iter().any(|m| m.effect == policy::Effect::Allow)),
            Decision::ExplicitDeny => prop_assert!(explained.matched.iter().any(|m| m.effect == policy::Effect::Deny)),
            Decision::ImplicitDeny => prop_assert!(explained.matched.iter().all(|m| m.effect == policy::Effect::Allow) && explained.matched.is_empty()),
        }
    }

    #[test]
    fn any_text_is_parsed_or_rejected_without_panic(text in ".{0,200}") {
        let _ = PolicyDocument::parse(&text, PolicyKind::Managed);
        let _ = policy::lint::lint(&text, PolicyKind::Resource);
    }
}
