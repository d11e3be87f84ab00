//! Access Analyzer-style findings, each with its position.

use policy::lint::{lint, Finding, Severity};
use policy::PolicyKind;

fn codes(text: &str, kind: PolicyKind) -> Vec<(&'static str, Severity, String)> {
    lint(text, kind)
        .into_iter()
        .map(|f: Finding| (f.code, f.severity, f.location.pointer))
        .collect()
}

fn has(text: &str, kind: PolicyKind, code: &str, pointer: &str) {
    let found = codes(text, kind);
    assert!(
        found.iter().any(|(c, _, p)| *c == code && p == pointer),
        "expected {code} at {pointer}, got {found:?}"
    );
}

#[test]
fn budget_keys_apply_to_every_action() {
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:RunInstances","Resource":"*",
      "Condition":{"StringEquals":{"portcullis:BudgetStatus":"exceeded"},"NumericGreaterThan":{"portcullis:BudgetUsedPercent":"90"}}}]}"#;
    assert_eq!(codes(text, PolicyKind::Managed), vec![]);
}

#[test]
fn federation_keys_in_trust_policies_are_known() {
    let saml = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/Corp"},
      "Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml","saml:sub_type":"persistent"}}}]}"#;
    assert_eq!(codes(saml, PolicyKind::Trust), vec![]);
    let oidc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
      "Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/*"}}}]}"#;
    assert_eq!(codes(oidc, PolicyKind::Trust), vec![]);
    // Not a federation key, and no service's.
    has(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sam:aud":"x"}}}]}"#,
        PolicyKind::Trust,
        "UNKNOWN_CONDITION_KEY",
        "/Statement/0/Condition/StringEquals/sam:aud",
    );
}

#[test]
fn clean_policy_has_no_findings() {
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
      "Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"StringLike":{"s3:prefix":"home/*"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
    assert_eq!(codes(text, PolicyKind::Managed), vec![]);
}

#[test]
fn errors_carry_aws_message_and_position() {
    let text = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"GetObject\",\"Resource\":\"*\"}]}";
    let findings = lint(text, PolicyKind::Managed);
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!((f.severity, f.code), (Severity::Error, "MALFORMED_POLICY"));
    assert!(f
        .message
        .starts_with("Actions/Conditions must be prefaced by a vendor"));
    assert_eq!((f.location.line, f.location.column), (1, 65));
    assert!(f.to_string().starts_with("1:65: error[MALFORMED_POLICY]"));
}

#[test]
fn security_warnings() {
    let p = |s: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{s}]}}"#);
    has(
        &p(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#),
        PolicyKind::Managed,
        "ALLOW_WITH_NOT_ACTION",
        "/Statement/0/NotAction",
    );
    has(
        &p(r#"{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::x"}"#),
        PolicyKind::Managed,
        "ALLOW_WITH_NOT_RESOURCE",
        "/Statement/0/NotResource",
    );
    has(
        &p(r#"{"Effect":"Allow","Action":["ec2:RunInstances","iam:PassRole"],"Resource":"*"}"#),
        PolicyKind::Managed,
        "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        "/Statement/0/Action",
    );
    has(
        &p(r#"{"Effect":"Allow","Action":"iam:Pass*","Resource":"*"}"#),
        PolicyKind::Managed,
        "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        "/Statement/0/Action",
    );
    has(
        &p(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#),
        PolicyKind::Managed,
        "ADMIN_EQUIVALENT",
        "/Statement/0/Action",
    );
    has(
        &p(r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"}"#),
        PolicyKind::Managed,
        "ADMIN_EQUIVALENT",
        "/Statement/0/Action",
    );
    has(
        &p(r#"{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*"}"#),
        PolicyKind::Managed,
        "PRIVILEGE_ESCALATION",
        "/Statement/0/Action",
    );
    has(
        &p(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
        ),
        PolicyKind::Resource,
        "PUBLIC_ACCESS",
        "/Statement/0/Principal",
    );
    // Scoped PassRole, or a Deny, is fine.
    let scoped = p(
        r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/app-*"}"#,
    );
    assert!(!codes(&scoped, PolicyKind::Managed)
        .iter()
        .any(|(c, _, _)| c.starts_with("PASS_ROLE")));
    let deny = p(r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#);
    assert!(codes(&deny, PolicyKind::Managed).is_empty());
}

#[test]
fn warnings_for_what_can_never_work() {
    let p = |s: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{s}]}}"#);
    has(
        &p(r#"{"Effect":"Allow","Action":"s4:GetObject","Resource":"*"}"#),
        PolicyKind::Managed,
        "UNKNOWN_SERVICE",
        "/Statement/0/Action",
    );
    has(
        &p(r#"{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjekt"],"Resource":"*"}"#),
        PolicyKind::Managed,
        "UNKNOWN_ACTION",
        "/Statement/0/Action/1",
    );
    has(
        &p(r#"{"Effect":"Allow","Action":"s3:Fly*","Resource":"*"}"#),
        PolicyKind::Managed,
        "UNKNOWN_ACTION",
        "/Statement/0/Action",
    );
    has(
        &p(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"ec2:InstanceType":"t3.micro"}}}"#,
        ),
        PolicyKind::Managed,
        "CONDITION_KEY_NOT_APPLICABLE",
        "/Statement/0/Condition/StringEquals/ec2:InstanceType",
    );
    has(
        &p(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s4:thing":"x"}}}"#,
        ),
        PolicyKind::Managed,
        "UNKNOWN_CONDITION_KEY",
        "/Statement/0/Condition/StringEquals/s4:thing",
    );
    has(
        &p(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:ec2:*:*:instance/*"}"#),
        PolicyKind::Managed,
        "RESOURCE_ACTION_MISMATCH",
        "/Statement/0/Resource",
    );
    has(
        &p(r#"{"Effect":"Deny","NotAction":"*","Resource":"*"}"#),
        PolicyKind::Managed,
        "NEVER_MATCHES",
        "/Statement/0/NotAction",
    );
    has(
        &p(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2027-01-01"},"DateLessThan":{"aws:CurrentTime":"2026-01-01"}}}"#,
        ),
        PolicyKind::Managed,
        "NEVER_MATCHES",
        "/Statement/0/Condition",
    );
    has(
        &p(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Null":{"aws:SourceIp":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#,
        ),
        PolicyKind::Managed,
        "NEVER_MATCHES",
        "/Statement/0/Condition",
    );
    has(
        &p(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","10.0.0.300"]}}}"#,
        ),
        PolicyKind::Managed,
        "INVALID_CONDITION_VALUE",
        "/Statement/0/Condition/IpAddress/aws:SourceIp/1",
    );
    has(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        PolicyKind::Resource,
        "MISSING_VERSION",
        "",
    );
    // Condition keys written as templates in the catalogue still apply.
    let tag = p(
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/team":"x"}}}"#,
    );
    assert!(
        codes(&tag, PolicyKind::Managed).is_empty(),
        "{:?}",
        codes(&tag, PolicyKind::Managed)
    );
    // sts actions act on IAM role ARNs.
    let assume = p(
        r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/x"}"#,
    );
    assert!(codes(&assume, PolicyKind::Managed).is_empty());
}
