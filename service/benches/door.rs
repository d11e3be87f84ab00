//! What one signed API request costs before its operation runs, split in two:
//! checking the SigV4 signature (parse the request, rebuild the canonical request,
//! derive the key, HMAC, compare) and authorizing it (the engine's request with AWS's
//! context, decided on a user's compiled policies: ReadOnlyAccess through a group and
//! a customer policy with a condition and a Deny).
//!
//! `cargo bench -p service --bench door`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use identity::sigv4::{self, HttpRequest};
use service::authz::{engine_request, Compiled, Extra};
use service::{Caller, RequestFacts};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn signed_request() -> (Vec<(String, String)>, Vec<u8>) {
    let body = b"Action=GetUser&Version=2010-05-08&UserName=bench".to_vec();
    let mut headers = vec![
        ("host".to_string(), "127.0.0.1:3000".to_string()),
        (
            "content-type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        ),
        ("x-amz-date".to_string(), "20261203T120000Z".to_string()),
        (
            "user-agent".to_string(),
            "Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux".to_string(),
        ),
        ("content-length".to_string(), body.len().to_string()),
    ];
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: &body,
    };
    let authorization = sigv4::sign(
        &request,
        "AKIAIOSFODNN7EXAMPLE",
        SECRET,
        "us-east-1",
        "iam",
        "20261203T120000Z",
    );
    headers.push(("authorization".to_string(), authorization));
    (headers, body)
}

fn caller() -> (Caller, Compiled) {
    let now = time::OffsetDateTime::from_unix_timestamp(1_796_299_200).unwrap();
    let user = store::User {
        id: "AIDAEXAMPLE000000001".into(),
        is_root: false,
        name: "alice".into(),
        email: None,
        arn: "arn:aws:iam::123456789012:user/alice".into(),
        password_hash: None,
        password_changed_at: None,
        password_reset_required: false,
        failed_sign_ins: 0,
        locked_until: None,
        last_sign_in_at: None,
        mfa_enabled: false,
        mfa_key_id: None,
        mfa_nonce: None,
        mfa_ciphertext: None,
        mfa_last_step: None,
        mfa_enabled_at: None,
        mfa_device_name: None,
        mfa_device_path: None,
        mfa_drift_steps: 0,
        tags: BTreeMap::from([("team".to_string(), "blue".to_string())]),
        boundary_arn: None,
        session_epoch: 0,
        created_at: now,
    };
    let customer = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"arn:aws:iam::123456789012:user/${aws:username}",
         "Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","127.0.0.0/8"]}}},
        {"Sid":"NoKeysForOthers","Effect":"Deny","Action":"iam:*AccessKey*","NotResource":"arn:aws:iam::123456789012:user/${aws:username}"}]}"#;
    let permissions = store::Permissions {
        policies: vec![
            store::EffectivePolicy {
                name: "ReadOnlyAccess".into(),
                policy_arn: Some("arn:aws:iam::aws:policy/ReadOnlyAccess".into()),
                via: "Group readers".into(),
                direct: false,
                document: None,
            },
            store::EffectivePolicy {
                name: "OwnUser".into(),
                policy_arn: Some("arn:aws:iam::123456789012:policy/OwnUser".into()),
                via: "Attached directly".into(),
                direct: true,
                document: Some(customer.into()),
            },
        ],
        boundary: None,
    };
    let caller = Caller {
        user,
        role: None,
        federated: None,
        account_id: "123456789012".into(),
        mfa: false,
        authenticated_at: now.unix_timestamp(),
        token_issued_at: None,
        session_policy: None,
        region: "us-east-1".into(),
        facts: RequestFacts {
            source_ip: Some("127.0.0.1".parse().unwrap()),
            secure_transport: false,
        },
        now,
        budget: None,
    };
    (caller, Compiled::new(&permissions))
}

fn door(c: &mut Criterion) {
    let (headers, body) = signed_request();
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: &body,
    };
    assert!(sigv4::read(&request).unwrap().verify(SECRET));
    c.bench_function("signature: read + verify (GetUser, boto3 headers)", |b| {
        b.iter(|| {
            let claim = sigv4::read(black_box(&request)).unwrap();
            black_box(claim.verify(SECRET))
        })
    });
    let (caller, compiled) = caller();
    let resource = "arn:aws:iam::123456789012:user/bench";
    let request = engine_request(&caller, "iam:GetUser", resource, &Extra::new()).unwrap();
    assert!(compiled.evaluator().decide(&request).is_allowed());
    c.bench_function("authorization: context + decide (GetUser)", |b| {
        b.iter(|| {
            let request =
                engine_request(black_box(&caller), "iam:GetUser", resource, &Extra::new()).unwrap();
            black_box(compiled.evaluator().decide(&request))
        })
    });
}

criterion_group!(benches, door);
criterion_main!(benches);
