//! Every condition operator family, drawn from AWS's documentation examples.

use policy::{Context, Decision::*};

use crate::support::*;

fn check(condition: &str, context: Context) -> policy::Decision {
    let p = allow_if("s3:GetObject", "*", condition);
    decide_ctx(&[&p], "s3:GetObject", "arn:aws:s3:::b/k", context)
}

#[test]
fn string_operators() {
    let c = r#"{"StringEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}"#;
    assert_eq!(
        check(
            c,
            Context::new().with("aws:RequestedRegion", "eu-central-1")
        ),
        Allow
    );
    assert_eq!(
        check(c, Context::new().with("aws:RequestedRegion", "EU-WEST-1")),
        ImplicitDeny
    );
    assert_eq!(check(c, Context::new()), ImplicitDeny);
    // Keys are case-insensitive.
    assert_eq!(
        check(c, Context::new().with("AWS:REQUESTEDREGION", "eu-west-1")),
        Allow
    );

    let ne = r#"{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}"#;
    assert_eq!(
        check(ne, Context::new().with("aws:RequestedRegion", "eu-west-1")),
        Allow
    );
    assert_eq!(
        check(ne, Context::new().with("aws:RequestedRegion", "us-east-1")),
        ImplicitDeny
    );
    // A negated operator is true when the key is missing.
    assert_eq!(check(ne, Context::new()), Allow);

    let ic = r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"Finance"}}"#;
    assert_eq!(
        check(ic, Context::new().with("aws:PrincipalTag/team", "FINANCE")),
        Allow
    );
    let nic = r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/team":"Finance"}}"#;
    assert_eq!(
        check(nic, Context::new().with("aws:PrincipalTag/team", "fInAnCe")),
        ImplicitDeny
    );

    let like = r#"{"StringLike":{"s3:prefix":["home/*","","public/?"]}}"#;
    assert_eq!(
        check(like, Context::new().with("s3:prefix", "home/alice/x")),
        Allow
    );
    assert_eq!(check(like, Context::new().with("s3:prefix", "")), Allow);
    assert_eq!(
        check(like, Context::new().with("s3:prefix", "public/a")),
        Allow
    );
    assert_eq!(
        check(like, Context::new().with("s3:prefix", "public/ab")),
        ImplicitDeny
    );
    let not_like = r#"{"StringNotLike":{"s3:prefix":"secret/*"}}"#;
    assert_eq!(
        check(not_like, Context::new().with("s3:prefix", "secret/x")),
        ImplicitDeny
    );
    assert_eq!(
        check(not_like, Context::new().with("s3:prefix", "open/x")),
        Allow
    );
}

#[test]
fn numeric_operators() {
    let cases = [
        ("NumericEquals", "10", "10", true),
        ("NumericEquals", "10", "10.0", true),
        ("NumericNotEquals", "10", "11", true),
        ("NumericLessThan", "10", "9", true),
        ("NumericLessThan", "10", "10", false),
        ("NumericLessThanEquals", "10", "10", true),
        ("NumericGreaterThan", "10", "11", true),
        ("NumericGreaterThanEquals", "10", "9", false),
        ("NumericEquals", "10", "ten", false),
    ];
    for (op, policy_value, given, expected) in cases {
        let c = format!(r#"{{"{op}":{{"s3:max-keys":"{policy_value}"}}}}"#);
        let got = check(&c, Context::new().with("s3:max-keys", given));
        assert_eq!(got == Allow, expected, "{op} {policy_value} vs {given}");
    }
    // JSON numbers work as values too.
    assert_eq!(
        check(
            r#"{"NumericLessThanEquals":{"s3:max-keys":100}}"#,
            Context::new().with("s3:max-keys", "7")
        ),
        Allow
    );
}

#[test]
fn date_operators_with_iso_and_epoch() {
    let window = r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2026-12-31T23:59:59Z"}}"#;
    assert_eq!(
        check(
            window,
            Context::new().with("aws:CurrentTime", "2026-11-29T10:00:00Z")
        ),
        Allow
    );
    assert_eq!(
        check(
            window,
            Context::new().with("aws:CurrentTime", "2027-01-01T00:00:00Z")
        ),
        ImplicitDeny
    );
    assert_eq!(check(window, Context::new()), ImplicitDeny);
    // Epoch seconds on either side.
    let epoch = r#"{"DateLessThan":{"aws:EpochTime":"1767225600"}}"#;
    assert_eq!(
        check(epoch, Context::new().with("aws:EpochTime", "1767225599")),
        Allow
    );
    assert_eq!(
        check(
            epoch,
            Context::new().with("aws:EpochTime", "2026-01-01T00:00:00Z")
        ),
        ImplicitDeny
    );
    let equals = r#"{"DateEquals":{"aws:CurrentTime":"2026-11-29"}}"#;
    assert_eq!(
        check(
            equals,
            Context::new().with("aws:CurrentTime", "2026-11-29T00:00:00+00:00")
        ),
        Allow
    );
    let not_equals = r#"{"DateNotEquals":{"aws:CurrentTime":"2026-11-29"}}"#;
    assert_eq!(
        check(
            not_equals,
            Context::new().with("aws:CurrentTime", "2026-11-30")
        ),
        Allow
    );
    let ge = r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-11-29"}, "DateLessThanEquals":{"aws:CurrentTime":"2026-11-29"}}"#;
    assert_eq!(
        check(ge, Context::new().with("aws:CurrentTime", "2026-11-29")),
        Allow
    );
}

#[test]
fn bool_mfa_and_binary() {
    // AWS's "require MFA" example.
    let mfa = r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#;
    assert_eq!(
        check(
            mfa,
            Context::new().with("aws:MultiFactorAuthPresent", "true")
        ),
        Allow
    );
    assert_eq!(
        check(
            mfa,
            Context::new().with("aws:MultiFactorAuthPresent", "false")
        ),
        ImplicitDeny
    );
    assert_eq!(check(mfa, Context::new()), ImplicitDeny);
    let json_bool = r#"{"Bool":{"aws:SecureTransport":true}}"#;
    assert_eq!(
        check(
            json_bool,
            Context::new().with("aws:SecureTransport", "TRUE")
        ),
        Allow
    );
    let age = r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#;
    assert_eq!(
        check(age, Context::new().with("aws:MultiFactorAuthAge", "120")),
        Allow
    );
    assert_eq!(
        check(age, Context::new().with("aws:MultiFactorAuthAge", "7200")),
        ImplicitDeny
    );

    let binary = r#"{"BinaryEquals":{"s3:x-amz-content-sha256":"QmluYXJ5VmFsdWU="}}"#;
    assert_eq!(
        check(
            binary,
            Context::new().with("s3:x-amz-content-sha256", "QmluYXJ5VmFsdWU=")
        ),
        Allow
    );
    assert_eq!(
        check(
            binary,
            Context::new().with("s3:x-amz-content-sha256", "T3RoZXJWYWx1ZQ==")
        ),
        ImplicitDeny
    );
}

#[test]
fn ip_address_v4_and_v6() {
    let c = r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#;
    assert_eq!(
        check(c, Context::new().with("aws:SourceIp", "203.0.113.7")),
        Allow
    );
    assert_eq!(
        check(c, Context::new().with("aws:SourceIp", "198.51.100.1")),
        ImplicitDeny
    );
    assert_eq!(
        check(
            c,
            Context::new().with("aws:SourceIp", "2001:db8:1234:5678::9")
        ),
        Allow
    );
    assert_eq!(
        check(
            c,
            Context::new().with("aws:SourceIp", "2001:db8:1234:5679::9")
        ),
        ImplicitDeny
    );
    assert_eq!(
        check(c, Context::new().with("aws:SourceIp", "not-an-ip")),
        ImplicitDeny
    );
    let single = r#"{"IpAddress":{"aws:SourceIp":"10.1.2.3"}}"#;
    assert_eq!(
        check(single, Context::new().with("aws:SourceIp", "10.1.2.3")),
        Allow
    );
    assert_eq!(
        check(single, Context::new().with("aws:SourceIp", "10.1.2.4")),
        ImplicitDeny
    );
    // AWS's "deny outside the corporate range" example.
    let admin = allow("*", "*");
    let fence = policy(
        r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}}"#,
    );
    let ctx = |ip: &str| Context::new().with("aws:SourceIp", ip);
    assert_eq!(
        decide_ctx(
            &[&admin, &fence],
            "ec2:RunInstances",
            "*",
            ctx("192.0.2.10")
        ),
        Allow
    );
    assert_eq!(
        decide_ctx(&[&admin, &fence], "ec2:RunInstances", "*", ctx("8.8.8.8")),
        ExplicitDeny
    );
}

#[test]
fn arn_operators() {
    let c = r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:topic-*"}}"#;
    assert_eq!(
        check(
            c,
            Context::new().with(
                "aws:SourceArn",
                "arn:aws:sns:eu-west-1:123456789012:topic-a"
            )
        ),
        Allow
    );
    assert_eq!(
        check(
            c,
            Context::new().with(
                "aws:SourceArn",
                "arn:aws:sns:eu-west-1:999999999999:topic-a"
            )
        ),
        ImplicitDeny
    );
    // Wildcards do not cross components.
    let eq = r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:*"}}"#;
    assert_eq!(
        check(
            eq,
            Context::new().with("aws:PrincipalArn", "arn:aws:iam::123456789012:role/x")
        ),
        Allow
    );
    assert_eq!(
        check(
            eq,
            Context::new().with("aws:PrincipalArn", "arn:aws:iam:x:123456789012:role/x")
        ),
        ImplicitDeny
    );
    assert_eq!(
        check(eq, Context::new().with("aws:PrincipalArn", "not-an-arn")),
        ImplicitDeny
    );
    let not_like = r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin-*"}}"#;
    assert_eq!(
        check(
            not_like,
            Context::new().with("aws:PrincipalArn", "arn:aws:iam::123456789012:role/admin-x")
        ),
        ImplicitDeny
    );
    assert_eq!(
        check(
            not_like,
            Context::new().with("aws:PrincipalArn", "arn:aws:iam::123456789012:role/dev")
        ),
        Allow
    );
    let not_equals = r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::a"}}"#;
    assert_eq!(check(not_equals, Context::new()), Allow);
}

#[test]
fn null_and_if_exists() {
    let absent = r#"{"Null":{"aws:TokenIssueTime":"true"}}"#;
    assert_eq!(check(absent, Context::new()), Allow);
    assert_eq!(
        check(
            absent,
            Context::new().with("aws:TokenIssueTime", "2026-01-01")
        ),
        ImplicitDeny
    );
    let present = r#"{"Null":{"aws:ResourceTag/env":"false"}}"#;
    assert_eq!(
        check(present, Context::new().with("aws:ResourceTag/env", "x")),
        Allow
    );
    assert_eq!(check(present, Context::new()), ImplicitDeny);

    let if_exists = r#"{"StringEqualsIfExists":{"ec2:InstanceType":["t3.micro","t3.small"]}}"#;
    assert_eq!(check(if_exists, Context::new()), Allow);
    assert_eq!(
        check(
            if_exists,
            Context::new().with("ec2:InstanceType", "t3.micro")
        ),
        Allow
    );
    assert_eq!(
        check(
            if_exists,
            Context::new().with("ec2:InstanceType", "m5.large")
        ),
        ImplicitDeny
    );
    let ip_if_exists = r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#;
    assert_eq!(check(ip_if_exists, Context::new()), Allow);
    assert_eq!(
        check(
            ip_if_exists,
            Context::new().with("aws:SourceIp", "11.0.0.1")
        ),
        ImplicitDeny
    );
}

#[test]
fn set_operators_follow_aws_rules_for_missing_and_empty_keys() {
    // AWS's tag-key example: only these keys may be sent.
    let all = r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#;
    assert_eq!(
        check(
            all,
            Context::new().with_list("aws:TagKeys", &["environment"])
        ),
        Allow
    );
    assert_eq!(
        check(
            all,
            Context::new().with_list("aws:TagKeys", &["environment", "cost-center"])
        ),
        Allow
    );
    assert_eq!(
        check(
            all,
            Context::new().with_list("aws:TagKeys", &["environment", "owner"])
        ),
        ImplicitDeny
    );
    // Missing or empty: ForAllValues is true.
    assert_eq!(check(all, Context::new()), Allow);
    assert_eq!(
        check(all, Context::new().with_list("aws:TagKeys", &[])),
        Allow
    );

    let any = r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#;
    assert_eq!(
        check(
            any,
            Context::new().with_list("aws:TagKeys", &["owner", "cost-center"])
        ),
        Allow
    );
    assert_eq!(
        check(any, Context::new().with_list("aws:TagKeys", &["owner"])),
        ImplicitDeny
    );
    assert_eq!(check(any, Context::new()), ImplicitDeny);
    assert_eq!(
        check(any, Context::new().with_list("aws:TagKeys", &[])),
        ImplicitDeny
    );

    // Negated set operators.
    let none_secret = r#"{"ForAllValues:StringNotLike":{"aws:TagKeys":"secret*"}}"#;
    assert_eq!(
        check(
            none_secret,
            Context::new().with_list("aws:TagKeys", &["a", "b"])
        ),
        Allow
    );
    assert_eq!(
        check(
            none_secret,
            Context::new().with_list("aws:TagKeys", &["a", "secret-x"])
        ),
        ImplicitDeny
    );
    assert_eq!(check(none_secret, Context::new()), Allow);
    let some_other = r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}}"#;
    assert_eq!(
        check(
            some_other,
            Context::new().with_list("aws:TagKeys", &["a", "b"])
        ),
        Allow
    );
    assert_eq!(
        check(some_other, Context::new().with_list("aws:TagKeys", &["a"])),
        ImplicitDeny
    );
}

#[test]
fn values_or_keys_and_operators_and() {
    let c = r#"{"StringEquals":{"aws:RequestedRegion":["eu-west-1","eu-west-2"],"aws:PrincipalTag/team":"ops"},
                "Bool":{"aws:MultiFactorAuthPresent":"true"}}"#;
    let full = Context::new()
        .with("aws:RequestedRegion", "eu-west-2")
        .with("aws:PrincipalTag/team", "ops")
        .with("aws:MultiFactorAuthPresent", "true");
    assert_eq!(check(c, full.clone()), Allow);
    assert_eq!(
        check(c, full.clone().with("aws:PrincipalTag/team", "dev")),
        ImplicitDeny
    );
    assert_eq!(
        check(c, full.clone().with("aws:MultiFactorAuthPresent", "false")),
        ImplicitDeny
    );
    assert_eq!(
        check(c, full.with("aws:RequestedRegion", "us-east-1")),
        ImplicitDeny
    );
}

#[test]
fn service_keys_such_as_availability_zone() {
    let c = r#"{"StringLike":{"ec2:AvailabilityZone":"eu-west-1*"}}"#;
    let p = allow_if("ec2:RunInstances", "*", c);
    let ctx = |az: &str| Context::new().with("ec2:AvailabilityZone", az);
    assert_eq!(
        decide_ctx(&[&p], "ec2:RunInstances", "*", ctx("eu-west-1a")),
        Allow
    );
    assert_eq!(
        decide_ctx(&[&p], "ec2:RunInstances", "*", ctx("us-east-1a")),
        ImplicitDeny
    );
}

#[test]
fn policy_variables() {
    // AWS's home-folder example.
    let home = policy(
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"},
           {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::home",
            "Condition":{"StringLike":{"s3:prefix":["${aws:username}/*"]}}}"#,
    );
    let set = set(&[&home]);
    let eval = policy::Evaluator::new(&set);
    let alice =
        |action: &str, resource: &str, ctx: Context| request(user("alice"), action, resource, ctx);
    assert_eq!(
        eval.decide(&alice(
            "s3:GetObject",
            "arn:aws:s3:::home/alice/notes",
            Context::new()
        )),
        Allow
    );
    assert_eq!(
        eval.decide(&alice(
            "s3:GetObject",
            "arn:aws:s3:::home/bob/notes",
            Context::new()
        )),
        ImplicitDeny
    );
    assert_eq!(
        eval.decide(&alice(
            "s3:ListBucket",
            "arn:aws:s3:::home",
            Context::new().with("s3:prefix", "alice/x")
        )),
        Allow
    );
    assert_eq!(
        eval.decide(&alice(
            "s3:ListBucket",
            "arn:aws:s3:::home",
            Context::new().with("s3:prefix", "bob/x")
        )),
        ImplicitDeny
    );

    // Principal tags and the user id.
    let team = allow_if(
        "ec2:StartInstances",
        "*",
        r#"{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#,
    );
    let set2 = crate::support::set(&[&team]);
    let with_tag = |tag: &str| {
        let mut r = request(
            tagged_user("alice", &[("team", "blue")]),
            "ec2:StartInstances",
            "arn:aws:ec2:eu-west-1:123456789012:instance/i-1",
            Context::new(),
        );
        r.context.insert(
            "aws:ResourceTag/team",
            policy::ContextValue::Single(tag.into()),
        );
        r
    };
    assert_eq!(
        policy::Evaluator::new(&set2).decide(&with_tag("blue")),
        Allow
    );
    assert_eq!(
        policy::Evaluator::new(&set2).decide(&with_tag("red")),
        ImplicitDeny
    );
    // An untagged user: the variable does not resolve, so nothing matches.
    let untagged = request(
        user("bob"),
        "ec2:StartInstances",
        "*",
        Context::new().with("aws:ResourceTag/team", "blue"),
    );
    assert_eq!(
        policy::Evaluator::new(&set2).decide(&untagged),
        ImplicitDeny
    );

    let by_id = allow("s3:GetObject", "arn:aws:s3:::ids/${aws:userid}/*");
    assert_eq!(
        decide(&[&by_id], "s3:GetObject", "arn:aws:s3:::ids/AIDAALICE/x"),
        Allow
    );

    // Defaults and the literal escapes.
    let fallback = allow(
        "s3:GetObject",
        "arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*",
    );
    assert_eq!(
        decide(&[&fallback], "s3:GetObject", "arn:aws:s3:::b/shared/x"),
        Allow
    );
    let literal = allow("s3:GetObject", "arn:aws:s3:::b/${*}${?}${$}");
    assert_eq!(
        decide(&[&literal], "s3:GetObject", "arn:aws:s3:::b/*?$"),
        Allow
    );
    assert_eq!(
        decide(&[&literal], "s3:GetObject", "arn:aws:s3:::b/a?$"),
        ImplicitDeny
    );
    // A variable's value is literal, never a wildcard.
    let star_name = request(
        user("a*"),
        "s3:GetObject",
        "arn:aws:s3:::home/abc/x",
        Context::new(),
    );
    assert_eq!(
        policy::Evaluator::new(&set).decide(&star_name),
        ImplicitDeny
    );
}
