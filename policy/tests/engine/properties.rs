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

/// Fragments of real and hostile policies, to assemble documents from.
const VERSIONS: &[&str] = &[
    "",
    r#""Version":"2012-10-17","#,
    r#""Version":"2008-10-17","#,
    r#""Version":"2013-10-17","#,
];
const EFFECTS: &[&str] = &["Allow", "Deny", "allow", "Permit"];
const ODD_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:GetObject,PutObject",
    "s3:",
    "s3: ",
    "GetObject",
    "s3:Get:Object",
    "a a:x",
    "*:Get*",
    "*",
    "",
];
const ODD_RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s33:::b",
    "arn:aws:s3::b",
    "a:b",
    "arn:aws",
    "arn:aws:*:*:1:*",
    "arn:aws:iam:us-east-1::user/x",
    "arn:aws:iam::1:foo",
    "arn:aws:s3:us-east-1::b",
    "bucket",
    "",
    "arn:aws:fdsasf",
];
const ODD_CONDITIONS: &[&str] = &[
    "",
    r#","Condition":{}"#,
    r#","Condition":{"StringEquals":{}}"#,
    r#","Condition":{"x":{}}"#,
    r#","Condition":{"x":{"a":"1"}}"#,
    r#","Condition":{"StringEquals":{"a":[]}}"#,
    r#","Condition":{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}"#,
    r#","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2019-07"}}"#,
];
const ODD_PRINCIPALS: &[&str] = &[
    "",
    r#""Principal":"*","#,
    r#""Principal":{"AWS":"123456789012"},"#,
    r#""NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"#,
];

/// Whether `message` is one of the texts AWS answers MalformedPolicyDocument with.
fn is_aws_message(message: &str) -> bool {
    const EXACT: &[&str] = &[
        "Syntax errors in policy.",
        "Policy document must be version 2012-10-17 or greater.",
        "The policy failed legacy parsing",
        "Statement IDs (SID) in a single policy must be unique.",
        "Policy statement must contain actions.",
        "Policy statement must contain resources.",
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        "Actions/Condition can contain only one colon.",
        "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards.",
        "Resource vendor must be fully qualified and cannot contain regexes.",
        "Policy document should not specify a principal.",
        "Has prohibited field Resource.",
        "AssumeRole policy may only specify STS AssumeRole actions.",
        "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!",
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.",
    ];
    EXACT.contains(&message)
        || (message.starts_with("Partition \"")
            && message.contains("\" is not valid for resource \"arn:")
            && message.ends_with("\"."))
        || (message.starts_with("Resource ")
            && message.ends_with(" must be in ARN format or \"*\"."))
        || (message.starts_with("Resource ")
            && message.ends_with(" can not contain region information."))
        || (message.starts_with("IAM resource ")
            && message.ends_with(" cannot contain region information."))
        || (message.starts_with("Vendor ") && message.ends_with(" is not valid"))
        || message.starts_with("Invalid principal in policy: \"")
        || message.starts_with("The following Statement Ids are invalid: ")
        || message.starts_with("Maximum policy size of ")
        || message.starts_with("Cannot exceed quota for ")
}

fn odd_document() -> impl Strategy<Value = String> {
    let statement = (
        prop::sample::select(EFFECTS),
        prop::sample::select(ODD_PRINCIPALS),
        prop::collection::vec(prop::sample::select(ODD_ACTIONS), 0..3),
        prop::option::of(prop::collection::vec(prop::sample::select(ODD_RESOURCES), 0..3)),
        prop::sample::select(ODD_CONDITIONS),
        prop::option::of(prop::sample::select(&["A", "B", "", "has space"][..])),
    )
        .prop_map(|(effect, principal, actions, resources, condition, sid)| {
            let sid = sid.map(|s| format!(r#""Sid":"{s}","#)).unwrap_or_default();
            let actions = serde_json::to_string(&actions).unwrap();
            let resources = resources
                .map(|r| format!(r#","Resource":{}"#, serde_json::to_string(&r).unwrap()))
                .unwrap_or_default();
            format!(r#"{{{sid}{principal}"Effect":"{effect}","Action":{actions}{resources}{condition}}}"#)
        });
    (
        prop::sample::select(VERSIONS),
        prop::collection::vec(statement, 1..4),
    )
        .prop_map(|(version, statements)| {
            format!(r#"{{{version}"Statement":[{}]}}"#, statements.join(","))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// Accepted documents lint, compile and evaluate without a panic; refused ones carry
    /// AWS's words and a place inside the text.
    #[test]
    fn accepted_documents_compile_and_refusals_speak_aws(text in odd_document(), r in req()) {
        for kind in [PolicyKind::Managed, PolicyKind::InlineUser, PolicyKind::Resource, PolicyKind::Trust] {
            match PolicyDocument::parse(&text, kind) {
                Ok(document) => {
                    let _ = policy::lint::lint(&text, kind);
                    let set = PolicySet::from_documents([("p", &document)]);
                    let request = build(&r);
                    let evaluator = if kind.is_identity() {
                        Evaluator::new(&set)
                    } else {
                        Evaluator::new(&set).with_resource_policy(&set)
                    };
                    prop_assert_eq!(evaluator.decide(&request), evaluator.explain(&request).decision);
                }
                Err(errors) => {
                    let first = errors.first().unwrap();
                    let message = first.aws_message();
                    prop_assert!(is_aws_message(&message), "{} for {}", message, text);
                    prop_assert!(first.location.end <= text.len());
                    prop_assert!(first.location.line >= 1 && first.location.column >= 1);
                    let stored = PolicyDocument::parse_stored(&text, kind);
                    if let Ok(document) = stored {
                        let _ = PolicySet::from_documents([("p", &document)]);
                    }
                }
            }
        }
    }
}
