//! Parsing and validation: AWS's message and the exact place, never a panic.

use policy::{PolicyDocument, PolicyErrorKind, PolicyErrors, PolicyKind};

fn reject(text: &str, kind: PolicyKind) -> PolicyErrors {
    match PolicyDocument::parse(text, kind) {
        Ok(_) => panic!("should be rejected: {text}"),
        Err(e) => e,
    }
}

fn first_message(text: &str, kind: PolicyKind) -> String {
    reject(text, kind).first().unwrap().aws_message()
}

#[test]
fn accepts_the_aws_grammar() {
    let text = r#"{
      "Version": "2012-10-17",
      "Id": "example",
      "Statement": [
        {"Sid": "One", "Effect": "Allow", "Action": ["s3:GetObject", "s3:List*"], "Resource": "*"},
        {"Effect": "Deny", "NotAction": "iam:*", "NotResource": ["arn:aws:s3:::b/*"],
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": false}, "NumericLessThan": {"s3:max-keys": [10, "20"]}}}
      ]
    }"#;
    let doc = PolicyDocument::parse(text, PolicyKind::Managed).unwrap();
    assert_eq!(doc.statements.len(), 2);
    assert_eq!(doc.id.as_deref(), Some("example"));
    assert!(doc.statements[1].actions.negated);
    assert_eq!(doc.statements[1].conditions[1].values[0].value, "10");

    // A single statement object; the legacy version in a resource policy.
    let single =
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
    assert_eq!(
        PolicyDocument::parse(single, PolicyKind::Managed)
            .unwrap()
            .statements
            .len(),
        1
    );
    let legacy = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#;
    assert_eq!(
        PolicyDocument::parse(legacy, PolicyKind::Resource)
            .unwrap()
            .statements
            .len(),
        1
    );

    // Resource and trust policies with principals of every type.
    let resource = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/a","arn:aws:iam::123456789012:role/r","arn:aws:sts::123456789012:assumed-role/r/s","*"],
      "Service":"ec2.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"79a59df900b949e55d96a1e698fbaced"},
      "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    PolicyDocument::parse(resource, PolicyKind::Resource).unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole",
      "Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}"#;
    PolicyDocument::parse(trust, PolicyKind::Trust).unwrap();
}

#[test]
fn invalid_json_is_a_syntax_error_with_position() {
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\",, }\n  ]\n}";
    let errors = reject(text, PolicyKind::Managed);
    let e = errors.first().unwrap();
    assert_eq!(e.aws_message(), "Syntax errors in policy.");
    assert!(matches!(e.kind, PolicyErrorKind::InvalidJson { .. }));
    assert_eq!((e.location.line, e.location.column), (4, 24));
}

#[test]
fn aws_messages_for_each_fault() {
    use PolicyKind::*;
    let cases: &[(&str, PolicyKind, &str)] = &[
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#, Managed,
         "Policy statement must contain actions."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}"#, Managed,
         "Policy statement must contain resources."),
        (r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}"#, Managed,
         "Policy document must be version 2012-10-17 or greater."),
        (r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"${aws:username}"}}}]}"#, Managed,
         "Policy document must be version 2012-10-17 or greater."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}"#, Managed,
         "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        (r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#, Managed,
         "Statement IDs (SID) in a single policy must be unique."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#, Managed,
         "Policy document should not specify a principal."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Actions":"s3:*","Action":"s3:*","Resource":"*"}]}"#, Managed,
         "Syntax errors in policy."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}"#, Managed,
         "Syntax errors in policy."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}"#, Managed,
         "The policy failed legacy parsing"),
        (r#"{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}"#, Managed,
         "Syntax errors in policy."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}]}"#, Managed,
         "Syntax errors in policy."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}"#, Managed,
         "Resource bucket must be in ARN format or \"*\"."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}]}"#, Managed,
         "Syntax errors in policy."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get:Object","Resource":"*"}]}"#, Managed,
         "Actions/Condition can contain only one colon."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s*:GetObject","Resource":"*"}]}"#, Managed,
         "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#, Trust,
         "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}]}"#, Trust,
         "Has prohibited field Resource."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:*","Resource":"*"}]}"#, Resource,
         "Invalid principal in policy: \"AWS\":\"alice\""),
        (r#"{"Version":"2012-10-17","Statement":[{"Sid":"has space","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, Managed,
         "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username"}]}"#, Managed,
         "Syntax errors in policy."),
        (r#"{"Version":"2001-01-01","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, Managed,
         "Syntax errors in policy."),
        (r#"{"Version":"2012-10-17"}"#, Managed, "Syntax errors in policy."),
        (r#"[]"#, Managed, "Syntax errors in policy."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#, Managed,
         "Policy statement must contain actions."),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}]}"#, Managed,
         "Syntax errors in policy."),
        (r#"{"Version":"2012-10-17","Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, Managed,
         "Syntax errors in policy."),
    ];
    for (text, kind, message) in cases {
        assert_eq!(&first_message(text, *kind), message, "for {text}");
    }
}

#[test]
fn errors_point_at_the_element() {
    let text = "{\n \"Version\": \"2012-10-17\",\n \"Statement\": [\n  {\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"GetObject\"], \"Resource\": \"*\"}\n ]\n}";
    let errors = reject(text, PolicyKind::Managed);
    let e = errors.first().unwrap();
    assert_eq!(e.location.pointer, "/Statement/0/Action/1");
    assert_eq!((e.location.line, e.location.column), (4, 50));
    assert_eq!(&text[e.location.start..e.location.end], "\"GetObject\"");
    assert!(e
        .to_string()
        .contains("/Statement/0/Action/1 (line 4, column 50)"));

    // Condition keys with a slash are escaped in the pointer.
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":[{}]}}}]}"#;
    let errors = reject(text, PolicyKind::Managed);
    assert_eq!(
        errors.first().unwrap().location.pointer,
        "/Statement/0/Condition/StringEquals/aws:PrincipalTag~1team/0"
    );
}

#[test]
fn reports_every_fault_with_aws_first() {
    let text = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":"GetObject","Resource":"bucket"},
      {"Effect":"Allow","Resource":"*"}]}"#;
    let errors = reject(text, PolicyKind::Managed);
    let messages: Vec<String> = errors.0.iter().map(|e| e.aws_message()).collect();
    // AWS checks actions before resource format before vendors.
    assert_eq!(messages[0], "Policy statement must contain actions.");
    assert_eq!(
        messages[1],
        "Resource bucket must be in ARN format or \"*\"."
    );
    assert_eq!(
        messages[2],
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    );
}

#[test]
fn size_limits_by_kind() {
    let statement = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-with-a-long-name/*"}"#;
    let build = |n: usize| {
        let statements: Vec<&str> = std::iter::repeat_n(statement, n).collect();
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",\n   ")
        )
    };
    // ~90 characters a statement: 30 fit in an inline user policy? No: 2,048 / 90 < 23.
    let medium = build(30);
    let size = policy::document::policy_size(&medium);
    assert!(size > 2_048 && size < 5_120, "{size}");
    assert_eq!(
        first_message(&medium, PolicyKind::InlineUser),
        "Maximum policy size of 2048 bytes exceeded for user"
    );
    PolicyDocument::parse(&medium, PolicyKind::InlineGroup).unwrap();
    PolicyDocument::parse(&medium, PolicyKind::Managed).unwrap();
    let large = build(80);
    assert_eq!(
        first_message(&large, PolicyKind::Managed),
        "Cannot exceed quota for PolicySize: 6144"
    );
    PolicyDocument::parse(&large, PolicyKind::InlineRole).unwrap();
    // White space does not count.
    let spaced = medium.replace(",\n   ", &format!(",{}", " ".repeat(500)));
    PolicyDocument::parse(&spaced, PolicyKind::InlineGroup).unwrap();
}

#[test]
fn hostile_input_never_panics() {
    let inputs = [
        "", "null", "\"x\"", "{", "{\"Statement\":", "[[[[[[[[", "{\"Statement\":[null,1,true,\"x\",[]]}",
        "{\"Version\":1,\"Id\":[],\"Statement\":{\"Effect\":[],\"Action\":{},\"Resource\":1,\"Condition\":[]}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"StringLike\":{\"a:b\":\"${\"}}}}",
        "\u{feff}{}", "{\"\\ud800\":1}",
    ];
    for input in inputs {
        for kind in [PolicyKind::Managed, PolicyKind::Resource, PolicyKind::Trust] {
            let _ = PolicyDocument::parse(input, kind);
            let _ = policy::lint::lint(input, kind);
        }
    }
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(PolicyDocument::parse(&deep, PolicyKind::Template).is_err());
}

#[test]
fn context_keys_are_the_condition_keys_and_substituted_variables_once_each() {
    let text = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*",
         "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},
                      "StringEquals":{"aws:PrincipalTag/team":"${aws:PrincipalTag/team}"}}},
        {"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::b/${*}${?}",
         "Condition":{"Bool":{"AWS:SourceIP":"x","aws:MultiFactorAuthPresent":"false"},
                      "StringLike":{"s3:prefix":"${aws:userid, 'none'}/*"}}}]}"#;
    let document = PolicyDocument::parse(text, PolicyKind::Managed).unwrap();
    assert_eq!(
        document.context_keys(),
        [
            "aws:MultiFactorAuthPresent",
            "aws:PrincipalTag/team",
            "aws:SourceIp",
            "aws:userid",
            "aws:username",
            "s3:prefix"
        ]
    );
}
