//! The AWS-compatible API over HTTP: signed like the SDKs sign (the signer is checked
//! against AWS's own test vectors in `identity`), answered in AWS's XML, with AWS's
//! codes and texts for every refusal. The real aws CLI and boto3 drive it in
//! `end2end/api` too.

use service::{ManualClock, Options};
use time::OffsetDateTime;

use super::*;

pub(crate) const ROOT_KEY: &str = "AKIAROOTBOOTSTRAP001";
pub(crate) const ROOT_SECRET: &str = "rootSecretKeyForTestsOnly0123456789abcdef";

/// Signs and sends one Query call; answers (status, body).
pub(crate) async fn call_api(
    app: &TestApp,
    key: &str,
    secret: &str,
    service_name: &str,
    params: &[(&str, &str)],
) -> (u16, String) {
    let when = sigv4_now(&app.service);
    send_signed(app, key, secret, service_name, params, &when, None).await
}

fn sigv4_now(service: &Service) -> String {
    identity::sigv4::format_amz_date(service.clock().now().unix_timestamp())
}

fn form(params: &[(&str, &str)]) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn send_signed(
    app: &TestApp,
    key: &str,
    secret: &str,
    service_name: &str,
    params: &[(&str, &str)],
    amz_date: &str,
    tamper: Option<&str>,
) -> (u16, String) {
    send_signed_with_token(
        app,
        key,
        secret,
        None,
        service_name,
        params,
        amz_date,
        tamper,
    )
    .await
}

/// Signs with temporary credentials: the session token is a signed header.
pub(crate) async fn call_with_token(
    app: &TestApp,
    key: &str,
    secret: &str,
    token: &str,
    service_name: &str,
    params: &[(&str, &str)],
) -> (u16, String) {
    let when = sigv4_now(&app.service);
    send_signed_with_token(
        app,
        key,
        secret,
        Some(token),
        service_name,
        params,
        &when,
        None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn send_signed_with_token(
    app: &TestApp,
    key: &str,
    secret: &str,
    token: Option<&str>,
    service_name: &str,
    params: &[(&str, &str)],
    amz_date: &str,
    tamper: Option<&str>,
) -> (u16, String) {
    let host = app.base.trim_start_matches("http://").to_string();
    let body = form(params);
    let mut headers = vec![
        (
            "content-type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        ),
        ("host".to_string(), host),
        ("x-amz-date".to_string(), amz_date.to_string()),
    ];
    if let Some(token) = token {
        headers.push(("x-amz-security-token".to_string(), token.to_string()));
    }
    let request = identity::sigv4::HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: body.as_bytes(),
    };
    let authorization =
        identity::sigv4::sign(&request, key, secret, "us-east-1", service_name, amz_date);
    let sent_body = match tamper {
        Some(extra) => format!("{body}&{extra}"),
        None => body,
    };
    let mut builder = reqwest::Client::new()
        .post(format!("{}/", app.base))
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .header("x-amz-date", amz_date)
        .header("authorization", authorization);
    if let Some(token) = token {
        builder = builder.header("x-amz-security-token", token);
    }
    let response = builder.body(sent_body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The text of the first `<tag>` in `xml`.
pub(crate) fn field(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
        + open.len();
    let end = xml[start..].find(&format!("</{tag}>")).unwrap() + start;
    xml[start..end]
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[track_caller]
pub(crate) fn assert_error(answer: &(u16, String), status: u16, code: &str, message: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert!(
        answer.1.starts_with("<ErrorResponse xmlns="),
        "{}",
        answer.1
    );
    assert_eq!(field(&answer.1, "Code"), code, "{}", answer.1);
    assert_eq!(field(&answer.1, "Message"), message, "{}", answer.1);
    assert!(!field(&answer.1, "RequestId").is_empty());
}

pub(crate) async fn api_app() -> TestApp {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    assert!(app
        .service
        .bootstrap_root_key(ROOT_KEY, ROOT_SECRET)
        .await
        .unwrap());
    // A second start with the same variables changes nothing.
    assert!(!app
        .service
        .bootstrap_root_key(ROOT_KEY, ROOT_SECRET)
        .await
        .unwrap());
    app
}

#[tokio::test]
async fn users_keys_and_refusals_as_aws_answers_them() {
    let app = api_app().await;
    let root = |params: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move { call_api(app, ROOT_KEY, ROOT_SECRET, "iam", params).await }
    };
    let account = app.store.account_id().await.unwrap().unwrap();

    let who = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "sts",
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    )
    .await;
    assert_eq!(who.0, 200, "{}", who.1);
    assert!(who.1.starts_with("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>"), "{}", who.1);
    assert_eq!(field(&who.1, "Arn"), format!("arn:aws:iam::{account}:root"));
    assert_eq!(field(&who.1, "Account"), account);

    let created = root(&[
        ("Action", "CreateUser"),
        ("Version", "2010-05-08"),
        ("UserName", "alice"),
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "blue"),
    ])
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    assert_eq!(field(&created.1, "UserName"), "alice");
    assert!(field(&created.1, "UserId").starts_with("AIDA"));
    assert_eq!(
        field(&created.1, "Arn"),
        format!("arn:aws:iam::{account}:user/alice")
    );
    assert_eq!(field(&created.1, "Value"), "blue");
    assert!(field(&created.1, "CreateDate").ends_with('Z'));
    let again = root(&[
        ("Action", "CreateUser"),
        ("Version", "2010-05-08"),
        ("UserName", "ALICE"),
    ])
    .await;
    assert_error(
        &again,
        409,
        "EntityAlreadyExists",
        "User with name ALICE already exists.",
    );
    let missing = root(&[
        ("Action", "GetUser"),
        ("Version", "2010-05-08"),
        ("UserName", "bob"),
    ])
    .await;
    assert_error(
        &missing,
        404,
        "NoSuchEntity",
        "The user with name bob cannot be found.",
    );
    let null = root(&[("Action", "CreateUser"), ("Version", "2010-05-08")]).await;
    assert_error(&null, 400, "ValidationError", "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null");
    let spaced = root(&[
        ("Action", "CreateUser"),
        ("Version", "2010-05-08"),
        ("UserName", "a b"),
    ])
    .await;
    assert_error(&spaced, 400, "ValidationError", "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
    let unknown = root(&[("Action", "LaunchRockets"), ("Version", "2010-05-08")]).await;
    assert_error(
        &unknown,
        400,
        "InvalidAction",
        "Could not find operation LaunchRockets for version 2010-05-08",
    );

    // Keys for alice: the secret once, at most two.
    let key = root(&[
        ("Action", "CreateAccessKey"),
        ("Version", "2010-05-08"),
        ("UserName", "alice"),
    ])
    .await;
    assert_eq!(key.0, 200, "{}", key.1);
    let (alice_key, alice_secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );
    assert!(alice_key.starts_with("AKIA") && alice_key.len() == 20);
    assert_eq!(alice_secret.len(), 40);
    let second = root(&[
        ("Action", "CreateAccessKey"),
        ("Version", "2010-05-08"),
        ("UserName", "alice"),
    ])
    .await;
    assert_eq!(second.0, 200);
    let third = root(&[
        ("Action", "CreateAccessKey"),
        ("Version", "2010-05-08"),
        ("UserName", "alice"),
    ])
    .await;
    assert_error(
        &third,
        409,
        "LimitExceeded",
        "Cannot exceed quota for AccessKeysPerUser: 2",
    );
    let listed = root(&[
        ("Action", "ListAccessKeys"),
        ("Version", "2010-05-08"),
        ("UserName", "alice"),
    ])
    .await;
    assert_eq!(listed.1.matches("<member>").count(), 2, "{}", listed.1);
    assert!(
        !listed.1.contains(&alice_secret),
        "a listing never shows a secret"
    );
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT secret_ciphertext FROM access_keys")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|c| !String::from_utf8_lossy(c).contains(&alice_secret)),
        "secrets are sealed at rest"
    );

    // Alice has no policy: AWS's refusal, word for word, and nothing written.
    let as_alice = |params: Vec<(&'static str, &'static str)>| {
        let (app, k, s) = (&app, alice_key.clone(), alice_secret.clone());
        async move { call_api(app, &k, &s, "iam", &params).await }
    };
    let refused = as_alice(vec![
        ("Action", "CreateUser"),
        ("Version", "2010-05-08"),
        ("UserName", "mallory"),
    ])
    .await;
    assert_error(&refused, 403, "AccessDenied", &format!("User: arn:aws:iam::{account}:user/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{account}:user/mallory because no identity-based policy allows the iam:CreateUser action"));
    assert!(app.store.user_by_name("mallory").await.unwrap().is_none());
    let me = call_api(
        &app,
        &alice_key,
        &alice_secret,
        "sts",
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    )
    .await;
    assert_eq!(
        field(&me.1, "Arn"),
        format!("arn:aws:iam::{account}:user/alice")
    );

    // ReadOnlyAccess lets her list, not create.
    let attach = root(&[
        ("Action", "AttachUserPolicy"),
        ("Version", "2010-05-08"),
        ("UserName", "alice"),
        ("PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
    ])
    .await;
    assert_eq!(attach.0, 200, "{}", attach.1);
    let users = as_alice(vec![("Action", "ListUsers"), ("Version", "2010-05-08")]).await;
    assert_eq!(users.0, 200, "{}", users.1);
    assert_eq!(field(&users.1, "IsTruncated"), "false");
    assert!(users.1.contains("<UserName>alice</UserName>"));
    let refused = as_alice(vec![
        ("Action", "CreateGroup"),
        ("Version", "2010-05-08"),
        ("GroupName", "admins"),
    ])
    .await;
    assert_eq!(field(&refused.1, "Code"), "AccessDenied");

    // An explicit Deny in another spelling of the action still wins.
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"IAM:listusers","Resource":"*"}]}"#;
    let policy = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "CreatePolicy"),
            ("Version", "2010-05-08"),
            ("PolicyName", "NoListing"),
            ("PolicyDocument", deny),
        ],
    )
    .await;
    assert_eq!(policy.0, 200, "{}", policy.1);
    let arn = field(&policy.1, "Arn");
    let attach = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "AttachUserPolicy"),
            ("Version", "2010-05-08"),
            ("UserName", "alice"),
            ("PolicyArn", &arn),
        ],
    )
    .await;
    assert_eq!(attach.0, 200, "{}", attach.1);
    let denied = as_alice(vec![("Action", "ListUsers"), ("Version", "2010-05-08")]).await;
    assert_error(&denied, 403, "AccessDenied", &format!("User: arn:aws:iam::{account}:user/alice is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::{account}:user/ with an explicit deny in an identity-based policy"));

    // Pagination: MaxItems and Marker.
    for name in ["bob", "carol", "dave"] {
        let made = call_api(
            &app,
            ROOT_KEY,
            ROOT_SECRET,
            "iam",
            &[
                ("Action", "CreateUser"),
                ("Version", "2010-05-08"),
                ("UserName", name),
            ],
        )
        .await;
        assert_eq!(made.0, 200);
    }
    let first = root(&[
        ("Action", "ListUsers"),
        ("Version", "2010-05-08"),
        ("MaxItems", "3"),
    ])
    .await;
    assert_eq!(field(&first.1, "IsTruncated"), "true");
    assert_eq!(first.1.matches("<UserName>").count(), 3, "{}", first.1);
    let marker = field(&first.1, "Marker");
    let rest = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "ListUsers"),
            ("Version", "2010-05-08"),
            ("MaxItems", "3"),
            ("Marker", &marker),
        ],
    )
    .await;
    assert_eq!(field(&rest.1, "IsTruncated"), "false");
    assert_eq!(rest.1.matches("<UserName>").count(), 1, "{}", rest.1);
    let too_many = root(&[
        ("Action", "ListUsers"),
        ("Version", "2010-05-08"),
        ("MaxItems", "0"),
    ])
    .await;
    assert_eq!(field(&too_many.1, "Code"), "ValidationError");

    // DeleteUser refuses while something hangs on the user, as AWS does.
    let conflict = root(&[
        ("Action", "DeleteUser"),
        ("Version", "2010-05-08"),
        ("UserName", "alice"),
    ])
    .await;
    assert_error(
        &conflict,
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete access keys first.",
    );
    let gone = root(&[
        ("Action", "DeleteUser"),
        ("Version", "2010-05-08"),
        ("UserName", "bob"),
    ])
    .await;
    assert_eq!(gone.0, 200, "{}", gone.1);
    assert!(gone.1.starts_with("<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata>"));

    // Deactivate a key: it stops working at once; its last use is recorded.
    app.service.flush_key_uses().await.unwrap();
    let used = call_api(
        &app,
        &alice_key,
        &alice_secret,
        "iam",
        &[
            ("Action", "GetAccessKeyLastUsed"),
            ("Version", "2010-05-08"),
            ("AccessKeyId", &alice_key),
        ],
    )
    .await;
    assert_eq!(used.0, 200, "{}", used.1);
    assert_eq!(field(&used.1, "ServiceName"), "iam");
    assert_eq!(field(&used.1, "Region"), "us-east-1");
    let off = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "UpdateAccessKey"),
            ("Version", "2010-05-08"),
            ("UserName", "alice"),
            ("AccessKeyId", &alice_key),
            ("Status", "Inactive"),
        ],
    )
    .await;
    assert_eq!(off.0, 200, "{}", off.1);
    let stale = call_api(
        &app,
        &alice_key,
        &alice_secret,
        "sts",
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    )
    .await;
    assert_error(
        &stale,
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    );
    let bad_status = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "UpdateAccessKey"),
            ("Version", "2010-05-08"),
            ("UserName", "alice"),
            ("AccessKeyId", &alice_key),
            ("Status", "active"),
        ],
    )
    .await;
    assert_eq!(field(&bad_status.1, "Code"), "ValidationError");
    let not_hers = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "DeleteAccessKey"),
            ("Version", "2010-05-08"),
            ("UserName", "carol"),
            ("AccessKeyId", &alice_key),
        ],
    )
    .await;
    assert_error(
        &not_hers,
        404,
        "NoSuchEntity",
        &format!("The Access Key with id {alice_key} cannot be found."),
    );

    // Every call is in the audit log: changes, reads and refusals.
    app.service.flush_audit().await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT action, outcome FROM audit_log")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    for (action, outcome) in [
        ("iam:CreateUser", "success"),
        ("iam:CreateUser", "denied"),
        ("iam:CreateUser", "failure"),
        ("iam:ListUsers", "success"),
        ("iam:ListUsers", "denied"),
        ("sts:GetCallerIdentity", "success"),
        ("sts:GetCallerIdentity", "denied"),
        ("iam:CreateAccessKey", "success"),
        ("iam:UpdateAccessKey", "success"),
        ("iam:DeleteUser", "failure"),
    ] {
        assert!(
            rows.iter().any(|(a, o)| a == action && o == outcome),
            "no {outcome} row for {action}: {rows:?}"
        );
    }
}

#[tokio::test]
async fn bad_signatures_get_aws_errors_never_a_500() {
    let clock = ManualClock::starting_at(OffsetDateTime::now_utc());
    let app = spawn_app_with(
        fresh_store().await,
        &SecretBox::generate_key(),
        &[],
        Options::default(),
        clock.clock(),
    )
    .await;
    app.service
        .bootstrap_root_key(ROOT_KEY, ROOT_SECRET)
        .await
        .unwrap();
    let who = [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")];

    // Unsigned.
    let response = reqwest::Client::new()
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Action=GetCallerIdentity&Version=2011-06-15")
        .send()
        .await
        .unwrap();
    let answer = (response.status().as_u16(), response.text().await.unwrap());
    assert_error(
        &answer,
        403,
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
    );

    // Wrong secret, unknown key, tampered body.
    let wrong = call_api(
        &app,
        ROOT_KEY,
        "not-the-secret-at-all-000000000000000000",
        "sts",
        &who,
    )
    .await;
    assert_error(&wrong, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
    let unknown = call_api(&app, "AKIANOSUCHKEY0000000", ROOT_SECRET, "sts", &who).await;
    assert_error(
        &unknown,
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    );
    let now = sigv4_now(&app.service);
    let tampered = send_signed(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[("Action", "ListUsers"), ("Version", "2010-05-08")],
        &now,
        Some("PathPrefix=%2Fx%2F"),
    )
    .await;
    assert_eq!(field(&tampered.1, "Code"), "SignatureDoesNotMatch");

    // A captured request replayed past the 15-minute window is refused; within it, it
    // is accepted (AWS's rule).
    let old = identity::sigv4::format_amz_date(clock.clock().now().unix_timestamp());
    let fresh = send_signed(&app, ROOT_KEY, ROOT_SECRET, "sts", &who, &old, None).await;
    assert_eq!(fresh.0, 200, "{}", fresh.1);
    clock.advance(time::Duration::minutes(16));
    let replayed = send_signed(&app, ROOT_KEY, ROOT_SECRET, "sts", &who, &old, None).await;
    assert_eq!(replayed.0, 403, "{}", replayed.1);
    assert_eq!(field(&replayed.1, "Code"), "SignatureDoesNotMatch");
    assert!(
        field(&replayed.1, "Message")
            .starts_with(&format!("Signature expired: {old} is now earlier than ")),
        "{}",
        replayed.1
    );
    let future = identity::sigv4::format_amz_date(clock.clock().now().unix_timestamp() + 16 * 60);
    let early = send_signed(&app, ROOT_KEY, ROOT_SECRET, "sts", &who, &future, None).await;
    assert!(
        field(&early.1, "Message").starts_with("Signature not yet current"),
        "{}",
        early.1
    );

    // Half an Authorization header.
    let response = reqwest::Client::new()
        .post(format!("{}/", app.base))
        .header("x-amz-date", sigv4_now(&app.service))
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential={ROOT_KEY}/20261203/us-east-1/sts/aws4_request"),
        )
        .body("Action=GetCallerIdentity&Version=2011-06-15")
        .send()
        .await
        .unwrap();
    let answer = (response.status().as_u16(), response.text().await.unwrap());
    assert_eq!(answer.0, 400, "{}", answer.1);
    assert_eq!(field(&answer.1, "Code"), "IncompleteSignature");

    // The wrong version of an action, and a body too large.
    let version = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[("Action", "ListUsers"), ("Version", "2011-06-15")],
    )
    .await;
    assert_error(
        &version,
        400,
        "InvalidAction",
        "Could not find operation ListUsers for version 2011-06-15",
    );
    let huge = "x".repeat(2 * 1024 * 1024);
    let big = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "CreatePolicy"),
            ("Version", "2010-05-08"),
            ("PolicyName", "big"),
            ("PolicyDocument", &huge),
        ],
    )
    .await;
    assert_eq!(big.0, 413, "{}", big.1);

    // Crafted parameters never reach a 500.
    for params in [
        vec![
            ("Action", "ListUsers"),
            ("Version", "2010-05-08"),
            ("Marker", "-1"),
        ],
        vec![
            ("Action", "ListUsers"),
            ("Version", "2010-05-08"),
            ("MaxItems", "9999999999999999999999"),
        ],
        vec![
            ("Action", "ListUsers"),
            ("Version", "2010-05-08"),
            ("PathPrefix", "nope"),
        ],
        vec![
            ("Action", "GetAccessKeyLastUsed"),
            ("Version", "2010-05-08"),
            ("AccessKeyId", "../../etc/passwd"),
        ],
        vec![
            ("Action", "CreatePolicy"),
            ("Version", "2010-05-08"),
            ("PolicyName", "p"),
            ("PolicyDocument", "{not json"),
        ],
        vec![
            ("Action", "AttachUserPolicy"),
            ("Version", "2010-05-08"),
            ("UserName", "nobody"),
            ("PolicyArn", "arn:aws:iam::aws:policy/NoSuchThing"),
        ],
        vec![
            ("Action", "UpdateAccountPasswordPolicy"),
            ("MinimumPasswordLength", "5"),
        ],
        vec![("Action", "UntagUser"), ("UserName", "nobody")],
        vec![
            ("Action", "CreateLoginProfile"),
            ("UserName", "nobody"),
            ("Password", "Long-Enough-Pass-42"),
        ],
        vec![
            ("Action", "GetPolicyVersion"),
            ("PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
            ("VersionId", "1"),
        ],
        vec![
            ("Action", "AssumeRole"),
            ("RoleArn", "arn:aws:iam::123456789012:role/x"),
            ("RoleSessionName", "s"),
        ],
    ] {
        let answer = call_api(&app, ROOT_KEY, ROOT_SECRET, "iam", &params).await;
        assert!(
            (400..500).contains(&answer.0),
            "{params:?}: {} {}",
            answer.0,
            answer.1
        );
    }

    // Ten thousand tags: AWS's limit error, never a 500, nothing written.
    let many: Vec<(String, String)> = (1..=10_000)
        .flat_map(|n| {
            [
                (format!("Tags.member.{n}.Key"), format!("k{n}")),
                (format!("Tags.member.{n}.Value"), "v".to_string()),
            ]
        })
        .collect();
    let mut params: Vec<(&str, &str)> = vec![("Action", "CreateUser"), ("UserName", "tagged")];
    params.extend(many.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let refused = call_api(&app, ROOT_KEY, ROOT_SECRET, "iam", &params).await;
    assert_error(&refused, 400, "ValidationError", "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50");
    assert!(app.store.user_by_name("tagged").await.unwrap().is_none());

    // The console is untouched: GET / is still its page, not the API.
    let page = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    assert!(page.headers().get("x-amzn-requestid").is_none());
    assert!(page
        .headers()
        .get("content-type")
        .is_none_or(|v| v != "text/xml"));
}

#[tokio::test]
async fn temporary_credentials_assume_roles_expire_and_are_revoked() {
    let clock = ManualClock::starting_at(OffsetDateTime::now_utc());
    let app = spawn_app_with(
        fresh_store().await,
        &SecretBox::generate_key(),
        &[],
        Options::default(),
        clock.clock(),
    )
    .await;
    app.service
        .bootstrap_root_key(ROOT_KEY, ROOT_SECRET)
        .await
        .unwrap();
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            call_api(app, ROOT_KEY, ROOT_SECRET, "iam", &params).await
        }
    };
    let s = |v: &str| v.to_string();
    assert_eq!(
        root(vec![("Action", s("CreateUser")), ("UserName", s("dev"))])
            .await
            .0,
        200
    );
    let key = root(vec![
        ("Action", s("CreateAccessKey")),
        ("UserName", s("dev")),
    ])
    .await;
    let (dev_key, dev_secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:user/dev"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"x-42"}}}}}}]}}"#
    );
    let role = root(vec![
        ("Action", s("CreateRole")),
        ("RoleName", s("deployer")),
        ("AssumeRolePolicyDocument", trust.clone()),
        ("MaxSessionDuration", s("7200")),
    ])
    .await;
    assert_eq!(role.0, 200, "{}", role.1);
    assert!(field(&role.1, "RoleId").starts_with("AROA"));
    assert!(
        role.1
            .contains("<AssumeRolePolicyDocument>%7B%22Version%22"),
        "{}",
        role.1
    );
    let got = root(vec![("Action", s("GetRole")), ("RoleName", s("DEPLOYER"))]).await;
    assert_eq!(field(&got.1, "MaxSessionDuration"), "7200");
    let attach = root(vec![
        ("Action", s("AttachRolePolicy")),
        ("RoleName", s("deployer")),
        ("PolicyArn", s("arn:aws:iam::aws:policy/ReadOnlyAccess")),
    ])
    .await;
    assert_eq!(attach.0, 200, "{}", attach.1);
    let role_arn = format!("arn:aws:iam::{account}:role/deployer");

    let as_dev = |params: Vec<(&'static str, String)>| {
        let (app, k, sec) = (&app, dev_key.clone(), dev_secret.clone());
        async move {
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            call_api(app, &k, &sec, "sts", &params).await
        }
    };
    // The trust policy decides: no external id, no session.
    let untrusted = as_dev(vec![
        ("Action", s("AssumeRole")),
        ("Version", s("2011-06-15")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("ci-run")),
    ])
    .await;
    assert_error(&untrusted, 403, "AccessDenied", &format!("User: arn:aws:iam::{account}:user/dev is not authorized to perform: sts:AssumeRole on resource: {role_arn}"));
    let too_long = as_dev(vec![
        ("Action", s("AssumeRole")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("ci-run")),
        ("ExternalId", s("x-42")),
        ("DurationSeconds", s("10800")),
    ])
    .await;
    assert_error(
        &too_long,
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
    let with_policy = as_dev(vec![
        ("Action", s("AssumeRole")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("ci-run")),
        ("ExternalId", s("x-42")),
        ("Policy", s("{}")),
    ])
    .await;
    assert_eq!(
        field(&with_policy.1, "Code"),
        "MalformedPolicyDocument",
        "a session policy that is no policy is refused: {}",
        with_policy.1
    );
    let with_tags = as_dev(vec![
        ("Action", s("AssumeRole")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("ci-run")),
        ("ExternalId", s("x-42")),
        ("Tags.member.1.Key", s("team")),
        ("Tags.member.1.Value", s("blue")),
    ])
    .await;
    // Session tags need sts:TagSession, which this trust policy does not give.
    assert_eq!(
        field(&with_tags.1, "Code"),
        "AccessDenied",
        "{}",
        with_tags.1
    );
    assert!(
        field(&with_tags.1, "Message").contains("sts:TagSession"),
        "{}",
        with_tags.1
    );

    // A session policy narrows the role: ReadOnlyAccess ∩ "only iam:GetUser".
    let narrow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#;
    let narrowed = as_dev(vec![
        ("Action", s("AssumeRole")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("narrow")),
        ("ExternalId", s("x-42")),
        ("Policy", s(narrow)),
    ])
    .await;
    assert_eq!(narrowed.0, 200, "{}", narrowed.1);
    assert!(narrowed.1.contains("<PackedPolicySize>"), "{}", narrowed.1);
    let (n_key, n_secret, n_token) = (
        field(&narrowed.1, "AccessKeyId"),
        field(&narrowed.1, "SecretAccessKey"),
        field(&narrowed.1, "SessionToken"),
    );
    let get = call_with_token(
        &app,
        &n_key,
        &n_secret,
        &n_token,
        "iam",
        &[("Action", "GetUser"), ("UserName", "dev")],
    )
    .await;
    assert_eq!(get.0, 200, "{}", get.1);
    let list = call_with_token(
        &app,
        &n_key,
        &n_secret,
        &n_token,
        "iam",
        &[("Action", "ListUsers")],
    )
    .await;
    assert_error(&list, 403, "AccessDenied", &format!("User: arn:aws:sts::{account}:assumed-role/deployer/narrow is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::{account}:user/ because no session policy allows the iam:ListUsers action"));
    // By ARN: a managed session policy; an unknown one is refused.
    let by_arn = as_dev(vec![
        ("Action", s("AssumeRole")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("by-arn")),
        ("ExternalId", s("x-42")),
        (
            "PolicyArns.member.1.arn",
            s("arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
        ),
    ])
    .await;
    assert_eq!(by_arn.0, 200, "{}", by_arn.1);
    let unknown = as_dev(vec![
        ("Action", s("AssumeRole")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("by-arn")),
        ("ExternalId", s("x-42")),
        (
            "PolicyArns.member.1.arn",
            format!("arn:aws:iam::{account}:policy/none"),
        ),
    ])
    .await;
    assert_eq!(field(&unknown.1, "Code"), "NoSuchEntity", "{}", unknown.1);
    let bad_name = as_dev(vec![
        ("Action", s("AssumeRole")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("a b")),
        ("ExternalId", s("x-42")),
    ])
    .await;
    assert_eq!(field(&bad_name.1, "Code"), "ValidationError");
    let assumed = as_dev(vec![
        ("Action", s("AssumeRole")),
        ("Version", s("2011-06-15")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("ci-run")),
        ("ExternalId", s("x-42")),
    ])
    .await;
    assert_eq!(assumed.0, 200, "{}", assumed.1);
    let session_arn = format!("arn:aws:sts::{account}:assumed-role/deployer/ci-run");
    assert_eq!(field(&assumed.1, "Arn"), session_arn);
    assert!(field(&assumed.1, "AssumedRoleId").ends_with(":ci-run"));
    let (tmp_key, tmp_secret, token) = (
        field(&assumed.1, "AccessKeyId"),
        field(&assumed.1, "SecretAccessKey"),
        field(&assumed.1, "SessionToken"),
    );
    assert!(tmp_key.starts_with("ASIA"), "{tmp_key}");
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM temporary_credentials")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|h| h.len() == 32 && !String::from_utf8_lossy(h).contains(&token)),
        "tokens are kept as hashes"
    );

    // Acting as the role: its policies, its ARN in refusals.
    let who = call_with_token(
        &app,
        &tmp_key,
        &tmp_secret,
        &token,
        "sts",
        &[("Action", "GetCallerIdentity")],
    )
    .await;
    assert_eq!(field(&who.1, "Arn"), session_arn);
    let listed = call_with_token(
        &app,
        &tmp_key,
        &tmp_secret,
        &token,
        "iam",
        &[("Action", "ListUsers")],
    )
    .await;
    assert_eq!(listed.0, 200, "{}", listed.1);
    let refused = call_with_token(
        &app,
        &tmp_key,
        &tmp_secret,
        &token,
        "iam",
        &[("Action", "CreateUser"), ("UserName", "eve")],
    )
    .await;
    assert_error(&refused, 403, "AccessDenied", &format!("User: {session_arn} is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{account}:user/eve because no identity-based policy allows the iam:CreateUser action"));
    // Without its token, or with another, the key is nothing.
    let no_token = call_api(
        &app,
        &tmp_key,
        &tmp_secret,
        "sts",
        &[("Action", "GetCallerIdentity")],
    )
    .await;
    assert_error(
        &no_token,
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    );
    let other = call_with_token(
        &app,
        &tmp_key,
        &tmp_secret,
        &format!("{token}x"),
        "sts",
        &[("Action", "GetCallerIdentity")],
    )
    .await;
    assert_eq!(field(&other.1, "Code"), "InvalidClientTokenId");

    // Root cannot assume roles; session credentials cannot get session tokens.
    let by_root = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "sts",
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "root-try"),
            ("ExternalId", "x-42"),
        ],
    )
    .await;
    assert_error(
        &by_root,
        403,
        "AccessDenied",
        "Roles may not be assumed by root accounts.",
    );
    let session = as_dev(vec![
        ("Action", s("GetSessionToken")),
        ("DurationSeconds", s("900")),
    ])
    .await;
    assert_eq!(session.0, 200, "{}", session.1);
    let (s_key, s_secret, s_token) = (
        field(&session.1, "AccessKeyId"),
        field(&session.1, "SecretAccessKey"),
        field(&session.1, "SessionToken"),
    );
    let me = call_with_token(
        &app,
        &s_key,
        &s_secret,
        &s_token,
        "sts",
        &[("Action", "GetCallerIdentity")],
    )
    .await;
    assert_eq!(
        field(&me.1, "Arn"),
        format!("arn:aws:iam::{account}:user/dev")
    );
    let again = call_with_token(
        &app,
        &s_key,
        &s_secret,
        &s_token,
        "sts",
        &[("Action", "GetSessionToken")],
    )
    .await;
    assert_error(
        &again,
        403,
        "AccessDenied",
        "Cannot call GetSessionToken with session credentials",
    );
    let short = as_dev(vec![
        ("Action", s("GetSessionToken")),
        ("DurationSeconds", s("899")),
    ])
    .await;
    assert_error(&short, 400, "ValidationError", "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");

    // Expiry: after 15 minutes the session token is expired; the role session (1 h) not yet.
    clock.advance(time::Duration::seconds(901));
    let expired = call_with_token(
        &app,
        &s_key,
        &s_secret,
        &s_token,
        "sts",
        &[("Action", "GetCallerIdentity")],
    )
    .await;
    assert_error(
        &expired,
        400,
        "ExpiredToken",
        "The security token included in the request is expired",
    );
    let still = call_with_token(
        &app,
        &tmp_key,
        &tmp_secret,
        &token,
        "sts",
        &[("Action", "GetCallerIdentity")],
    )
    .await;
    assert_eq!(still.0, 200, "{}", still.1);

    // Revoking the role's sessions ends these credentials at once.
    let role_id: String = sqlx::query_scalar("SELECT id FROM roles WHERE name = 'deployer'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let entry = store::AuditEntry {
        at: clock.clock().now(),
        actor: format!("arn:aws:iam::{account}:root"),
        action: "iam:PutRolePolicy",
        target: role_arn.clone(),
        source_ip: String::new(),
        outcome: store::Outcome::Success,
        detail: "revoked active sessions".into(),
    };
    assert_eq!(
        app.store
            .revoke_role_sessions(&role_id, &entry)
            .await
            .unwrap(),
        3,
        "the three sessions started so far"
    );
    let revoked = call_with_token(
        &app,
        &tmp_key,
        &tmp_secret,
        &token,
        "sts",
        &[("Action", "GetCallerIdentity")],
    )
    .await;
    assert_eq!(revoked.0, 403, "{}", revoked.1);
    assert_eq!(field(&revoked.1, "Code"), "AccessDenied");
    clock.advance(time::Duration::hours(2));
    let fresh = as_dev(vec![
        ("Action", s("AssumeRole")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("ci-run-2")),
        ("ExternalId", s("x-42")),
    ])
    .await;
    assert_eq!(
        fresh.0, 200,
        "a new session after the revocation works: {}",
        fresh.1
    );
}

#[tokio::test]
async fn a_key_made_inactive_on_one_server_stops_on_the_other_within_a_second() {
    // Two servers with their own connections (and caches) on one database.
    let options = store::cluster::test_database().await.unwrap();
    let key = SecretBox::generate_key();
    let a = spawn_app(
        Store::connect_with(options.clone(), 10).await.unwrap(),
        &key,
    )
    .await;
    let b = spawn_app(Store::connect_with(options, 10).await.unwrap(), &key).await;
    a.service
        .bootstrap_root_key(ROOT_KEY, ROOT_SECRET)
        .await
        .unwrap();
    let made = call_api(
        &a,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[("Action", "CreateUser"), ("UserName", "ops")],
    )
    .await;
    assert_eq!(made.0, 200, "{}", made.1);
    let created = call_api(
        &a,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[("Action", "CreateAccessKey"), ("UserName", "ops")],
    )
    .await;
    let (ops_key, ops_secret) = (
        field(&created.1, "AccessKeyId"),
        field(&created.1, "SecretAccessKey"),
    );
    let who = [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")];
    // B reads the key once and keeps it.
    for _ in 0..3 {
        let answer = call_api(&b, &ops_key, &ops_secret, "sts", &who).await;
        assert_eq!(answer.0, 200, "{}", answer.1);
    }
    let off = call_api(
        &a,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "UpdateAccessKey"),
            ("UserName", "ops"),
            ("AccessKeyId", &ops_key),
            ("Status", "Inactive"),
        ],
    )
    .await;
    assert_eq!(off.0, 200, "{}", off.1);
    let started = std::time::Instant::now();
    loop {
        let answer = call_api(&b, &ops_key, &ops_secret, "sts", &who).await;
        if answer.0 == 403 {
            assert_eq!(field(&answer.1, "Code"), "InvalidClientTokenId");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "B still accepts the inactive key"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // And a deleted user's key, the same way.
    let on = call_api(
        &a,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "UpdateAccessKey"),
            ("UserName", "ops"),
            ("AccessKeyId", &ops_key),
            ("Status", "Active"),
        ],
    )
    .await;
    assert_eq!(on.0, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        call_api(&b, &ops_key, &ops_secret, "sts", &who).await.0,
        200
    );
    let gone = call_api(
        &a,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "DeleteAccessKey"),
            ("UserName", "ops"),
            ("AccessKeyId", &ops_key),
        ],
    )
    .await;
    assert_eq!(gone.0, 200);
    let started = std::time::Instant::now();
    while call_api(&b, &ops_key, &ops_secret, "sts", &who).await.0 != 403 {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "B still accepts the deleted key"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn mfa_codes_from_the_users_device_prove_mfa_for_sts_once_each_and_feed_the_lockout() {
    let clock = ManualClock::starting_at(OffsetDateTime::now_utc());
    let key = SecretBox::generate_key();
    let app = spawn_app_with(
        fresh_store().await,
        &key,
        &[],
        Options::default(),
        clock.clock(),
    )
    .await;
    app.service
        .bootstrap_root_key(ROOT_KEY, ROOT_SECRET)
        .await
        .unwrap();
    // The console's first-run setup still works on a bootstrapped account.
    let root = client();
    set_up(&app, &root).await;
    let seed =
        super::holes::user_with_mfa(&app, &root, &key, &clock, "mia", "Mia-Password-1234").await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let created = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[("Action", "CreateAccessKey"), ("UserName", "mia")],
    )
    .await;
    let (mia_key, mia_secret) = (
        field(&created.1, "AccessKeyId"),
        field(&created.1, "SecretAccessKey"),
    );
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:user/mia"}},"Action":"sts:AssumeRole","Condition":{{"Bool":{{"aws:MultiFactorAuthPresent":"true"}}}}}}]}}"#
    );
    let role = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "CreateRole"),
            ("RoleName", "guarded"),
            ("AssumeRolePolicyDocument", &trust),
        ],
    )
    .await;
    assert_eq!(role.0, 200, "{}", role.1);
    let only_with_mfa = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#;
    let put = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "mia"),
            ("PolicyName", "mfa-lists"),
            ("PolicyDocument", only_with_mfa),
        ],
    )
    .await;
    assert_eq!(put.0, 200, "{}", put.1);
    let role_arn = format!("arn:aws:iam::{account}:role/guarded");
    let serial = format!("arn:aws:iam::{account}:mfa/mia");
    let mia = |params: Vec<(&'static str, String)>| {
        let (app, k, s) = (&app, mia_key.clone(), mia_secret.clone());
        async move {
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            call_api(app, &k, &s, "sts", &params).await
        }
    };
    let s = |v: &str| v.to_string();

    // A long-term key carries no MFA: the trust policy and the inline policy say no.
    let without = mia(vec![
        ("Action", s("AssumeRole")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("m1")),
    ])
    .await;
    assert_eq!(field(&without.1, "Code"), "AccessDenied");
    let listed = call_api(
        &app,
        &mia_key,
        &mia_secret,
        "iam",
        &[("Action", "ListUsers")],
    )
    .await;
    assert_eq!(listed.0, 403, "{}", listed.1);

    // A code from the device: the role admits her.
    let first = super::holes::code(&seed, &clock);
    let with = mia(vec![
        ("Action", s("AssumeRole")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("m1")),
        ("SerialNumber", serial.clone()),
        ("TokenCode", first.clone()),
    ])
    .await;
    assert_eq!(with.0, 200, "{}", with.1);
    // The same code again (a replay) is refused; so is another user's device.
    let replay = mia(vec![
        ("Action", s("AssumeRole")),
        ("RoleArn", role_arn.clone()),
        ("RoleSessionName", s("m2")),
        ("SerialNumber", serial.clone()),
        ("TokenCode", first.clone()),
    ])
    .await;
    assert_error(
        &replay,
        403,
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
    );
    let other = mia(vec![
        ("Action", s("GetSessionToken")),
        ("SerialNumber", format!("arn:aws:iam::{account}:mfa/root")),
        ("TokenCode", s("123456")),
    ])
    .await;
    assert_error(&other, 403, "AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.");
    let half = mia(vec![
        ("Action", s("GetSessionToken")),
        ("SerialNumber", serial.clone()),
    ])
    .await;
    assert_eq!(field(&half.1, "Code"), "ValidationError");

    // GetSessionToken with a fresh code: credentials that carry MFA.
    clock.advance(time::Duration::seconds(30));
    let session = mia(vec![
        ("Action", s("GetSessionToken")),
        ("SerialNumber", serial.clone()),
        ("TokenCode", super::holes::code(&seed, &clock)),
    ])
    .await;
    assert_eq!(session.0, 200, "{}", session.1);
    let (k, sec, token) = (
        field(&session.1, "AccessKeyId"),
        field(&session.1, "SecretAccessKey"),
        field(&session.1, "SessionToken"),
    );
    let listed = call_with_token(&app, &k, &sec, &token, "iam", &[("Action", "ListUsers")]).await;
    assert_eq!(
        listed.0, 200,
        "MFA credentials satisfy aws:MultiFactorAuthPresent: {}",
        listed.1
    );

    // Guessing codes counts toward the lockout; once locked, even the right code fails.
    clock.advance(time::Duration::seconds(30));
    let mut locked = false;
    for guess in 0..12 {
        let wrong = mia(vec![
            ("Action", s("GetSessionToken")),
            ("SerialNumber", serial.clone()),
            ("TokenCode", format!("{:06}", (guess * 7919) % 1_000_000)),
        ])
        .await;
        if field(&wrong.1, "Code") == "Throttling" {
            assert!(field(&wrong.1, "Message").contains("locked"), "{}", wrong.1);
            locked = true;
            break;
        }
        assert_error(
            &wrong,
            403,
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
        );
    }
    assert!(locked, "twelve wrong codes must lock the user");
    let right = mia(vec![
        ("Action", s("GetSessionToken")),
        ("SerialNumber", serial.clone()),
        ("TokenCode", super::holes::code(&seed, &clock)),
    ])
    .await;
    assert_eq!(
        field(&right.1, "Code"),
        "Throttling",
        "a locked user's right code is refused too: {}",
        right.1
    );
    // An administrator sees the device and removes it through the API.
    let listed = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[("Action", "ListMFADevices"), ("UserName", "mia")],
    )
    .await;
    assert_eq!(field(&listed.1, "SerialNumber"), serial, "{}", listed.1);
    let wrong = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "DeactivateMFADevice"),
            ("UserName", "mia"),
            ("SerialNumber", "arn:aws:iam::123456789012:mfa/other"),
        ],
    )
    .await;
    assert_error(
        &wrong,
        404,
        "NoSuchEntity",
        "MFA Device with serial number arn:aws:iam::123456789012:mfa/other does not exist.",
    );
    let off = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[
            ("Action", "DeactivateMFADevice"),
            ("UserName", "mia"),
            ("SerialNumber", &serial),
        ],
    )
    .await;
    assert_eq!(off.0, 200, "{}", off.1);
    let listed = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "iam",
        &[("Action", "ListMFADevices"), ("UserName", "mia")],
    )
    .await;
    assert!(!listed.1.contains("<SerialNumber>"), "{}", listed.1);
}

#[tokio::test]
async fn parallel_requests_cannot_pass_the_key_limit_or_spend_one_mfa_code_twice() {
    let clock = ManualClock::starting_at(OffsetDateTime::now_utc());
    let key = SecretBox::generate_key();
    let app = spawn_app_with(
        fresh_store().await,
        &key,
        &[],
        Options::default(),
        clock.clock(),
    )
    .await;
    app.service
        .bootstrap_root_key(ROOT_KEY, ROOT_SECRET)
        .await
        .unwrap();
    let root = client();
    set_up(&app, &root).await;
    let seed =
        super::holes::user_with_mfa(&app, &root, &key, &clock, "pat", "Pat-Password-12345").await;
    let account = app.store.account_id().await.unwrap().unwrap();

    // Eight CreateAccessKey calls at once: exactly two keys, six LimitExceeded.
    let calls = (0..8).map(|_| {
        call_api(
            &app,
            ROOT_KEY,
            ROOT_SECRET,
            "iam",
            &[("Action", "CreateAccessKey"), ("UserName", "pat")],
        )
    });
    let answers = futures_util::future::join_all(calls).await;
    let made: Vec<&(u16, String)> = answers.iter().filter(|a| a.0 == 200).collect();
    assert_eq!(made.len(), 2, "{answers:?}");
    assert!(answers
        .iter()
        .filter(|a| a.0 != 200)
        .all(|a| field(&a.1, "Code") == "LimitExceeded"));
    let keys: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM access_keys a JOIN users u ON u.id = a.user_id WHERE u.name = 'pat'",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!(keys, 2);

    // One code sent in eight parallel GetSessionToken calls: one set of credentials.
    let (pat_key, pat_secret) = (
        field(&made[0].1, "AccessKeyId"),
        field(&made[0].1, "SecretAccessKey"),
    );
    let serial = format!("arn:aws:iam::{account}:mfa/pat");
    let code = super::holes::code(&seed, &clock);
    let params = [
        ("Action", "GetSessionToken"),
        ("SerialNumber", serial.as_str()),
        ("TokenCode", code.as_str()),
    ];
    let calls = (0..8).map(|_| call_api(&app, &pat_key, &pat_secret, "sts", &params));
    let answers = futures_util::future::join_all(calls).await;
    let granted = answers.iter().filter(|a| a.0 == 200).count();
    assert_eq!(granted, 1, "{answers:?}");
}

/// `(Action, …)` plus `Tags.member.N` for each pair, as owned strings.
pub(crate) fn with_tags(base: &[(&str, &str)], tags: &[(String, String)]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = base
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (n, (key, value)) in tags.iter().enumerate() {
        params.push((format!("Tags.member.{}.Key", n + 1), key.clone()));
        params.push((format!("Tags.member.{}.Value", n + 1), value.clone()));
    }
    params
}

pub(crate) async fn call_owned(
    app: &TestApp,
    key: &str,
    secret: &str,
    params: &[(String, String)],
) -> (u16, String) {
    let borrowed: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    call_api(app, key, secret, "iam", &borrowed).await
}

/// A user made through the API with a console password, signed in to the console:
/// the browser's client.
pub(crate) async fn console_user(app: &TestApp, name: &str, password: &str) -> reqwest::Client {
    let made = call_owned(
        app,
        ROOT_KEY,
        ROOT_SECRET,
        &[pair("Action", "CreateUser"), pair("UserName", name)],
    )
    .await;
    assert_eq!(made.0, 200, "{}", made.1);
    let profile = call_owned(
        app,
        ROOT_KEY,
        ROOT_SECRET,
        &[
            pair("Action", "CreateLoginProfile"),
            pair("UserName", name),
            pair("Password", password),
        ],
    )
    .await;
    assert_eq!(profile.0, 200, "{}", profile.1);
    let browser = client();
    let signed_in = app
        .call(
            &browser,
            app::api::auth::SignIn::PATH,
            &[("identity", name), ("password", password)],
        )
        .await;
    assert_done(&signed_in);
    browser
}

pub(crate) fn pair(key: &str, value: &str) -> (String, String) {
    (key.to_string(), value.to_string())
}

#[tokio::test]
async fn tags_on_users_roles_and_policies_follow_aws_rules_and_conditions() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );

    // CreateRole with tags: GetRole answers them, ListRoles leaves them out.
    let created = root(with_tags(
        &[
            ("Action", "CreateRole"),
            ("RoleName", "red-team"),
            ("AssumeRolePolicyDocument", &trust),
        ],
        &[pair("team", "red")],
    ))
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    assert!(
        created
            .1
            .contains("<Tags><member><Key>team</Key><Value>red</Value></member></Tags>"),
        "{}",
        created.1
    );
    let listed = root(with_tags(&[("Action", "ListRoles")], &[])).await;
    assert!(
        listed.1.contains("red-team") && !listed.1.contains("<Tags>"),
        "{}",
        listed.1
    );

    // A key in another case replaces the tag: one Team, never team and Team.
    let retag = root(with_tags(
        &[("Action", "TagRole"), ("RoleName", "red-team")],
        &[pair("Team", "blue")],
    ))
    .await;
    assert_eq!(retag.0, 200, "{}", retag.1);
    let tags = root(with_tags(
        &[("Action", "ListRoleTags"), ("RoleName", "red-team")],
        &[],
    ))
    .await;
    assert!(tags.1.contains("<Tags><member><Key>Team</Key><Value>blue</Value></member></Tags><IsTruncated>false</IsTruncated>"), "{}", tags.1);
    // Two keys differing only in case in one request: AWS's InvalidInput, nothing set.
    let duplicate = root(with_tags(
        &[("Action", "TagRole"), ("RoleName", "red-team")],
        &[pair("env", "a"), pair("ENV", "b")],
    ))
    .await;
    assert_error(
        &duplicate,
        400,
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    );
    let bad_key = root(with_tags(
        &[("Action", "TagRole"), ("RoleName", "red-team")],
        &[pair("a*b", "x")],
    ))
    .await;
    assert_error(&bad_key, 400, "ValidationError", "1 validation error detected: Value 'a*b' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+");
    let bad_value = root(with_tags(
        &[("Action", "TagRole"), ("RoleName", "red-team")],
        &[pair("ok", "semi;colon")],
    ))
    .await;
    assert_eq!(
        field(&bad_value.1, "Code"),
        "ValidationError",
        "{}",
        bad_value.1
    );
    let after = app.store.role("red-team").await.unwrap().unwrap();
    assert_eq!(after.tags.len(), 1, "{:?}", after.tags);
    // Untag in any case.
    let untag = root(vec![
        pair("Action", "UntagRole"),
        pair("RoleName", "red-team"),
        pair("TagKeys.member.1", "TEAM"),
    ])
    .await;
    assert_eq!(untag.0, 200, "{}", untag.1);
    assert!(app
        .store
        .role("red-team")
        .await
        .unwrap()
        .unwrap()
        .tags
        .is_empty());
    let missing = root(with_tags(
        &[("Action", "TagRole"), ("RoleName", "nobody")],
        &[pair("a", "b")],
    ))
    .await;
    assert_error(
        &missing,
        404,
        "NoSuchEntity",
        "The role with name nobody cannot be found.",
    );

    // Policies by ARN: create with tags, tag, list, untag; AWS's own cannot be tagged.
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"red"}}}]}"#;
    let policy = root(with_tags(
        &[
            ("Action", "CreatePolicy"),
            ("PolicyName", "read-red-roles"),
            ("PolicyDocument", document),
        ],
        &[pair("owner", "platform")],
    ))
    .await;
    assert_eq!(policy.0, 200, "{}", policy.1);
    assert!(
        policy.1.contains("<Key>owner</Key><Value>platform</Value>"),
        "{}",
        policy.1
    );
    let arn = format!("arn:aws:iam::{account}:policy/read-red-roles");
    let tagged = root(with_tags(
        &[("Action", "TagPolicy"), ("PolicyArn", &arn)],
        &[pair("tier", "gold")],
    ))
    .await;
    assert_eq!(tagged.0, 200, "{}", tagged.1);
    let got = root(with_tags(
        &[("Action", "GetPolicy"), ("PolicyArn", &arn)],
        &[],
    ))
    .await;
    assert!(
        got.1.contains("<Key>tier</Key><Value>gold</Value>"),
        "{}",
        got.1
    );
    let listed = root(with_tags(
        &[
            ("Action", "ListPolicyTags"),
            ("PolicyArn", &arn),
            ("MaxItems", "1"),
        ],
        &[],
    ))
    .await;
    assert_eq!(field(&listed.1, "IsTruncated"), "true", "{}", listed.1);
    let untagged = root(vec![
        pair("Action", "UntagPolicy"),
        pair("PolicyArn", &arn),
        pair("TagKeys.member.1", "Owner"),
    ])
    .await;
    assert_eq!(untagged.0, 200, "{}", untagged.1);
    let managed = root(with_tags(
        &[
            ("Action", "TagPolicy"),
            ("PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
        ],
        &[pair("a", "b")],
    ))
    .await;
    assert_eq!(field(&managed.1, "Code"), "InvalidInput", "{}", managed.1);
    let elsewhere = root(with_tags(
        &[
            ("Action", "TagPolicy"),
            (
                "PolicyArn",
                "arn:aws:iam::999999999999:policy/read-red-roles",
            ),
        ],
        &[pair("a", "b")],
    ))
    .await;
    assert_eq!(
        field(&elsewhere.1, "Code"),
        "NoSuchEntity",
        "{}",
        elsewhere.1
    );

    // Fifty at most, counted after the change: replacing a key in another case fits.
    let fifty: Vec<(String, String)> = (0..50).map(|n| pair(&format!("k{n}"), "v")).collect();
    let full = root(with_tags(
        &[("Action", "CreateUser"), ("UserName", "full")],
        &fifty,
    ))
    .await;
    assert_eq!(full.0, 200, "{}", full.1);
    let more = root(with_tags(
        &[("Action", "TagUser"), ("UserName", "full")],
        &[pair("k50", "v")],
    ))
    .await;
    assert_error(
        &more,
        409,
        "LimitExceeded",
        "The number of tags has reached the maximum limit.",
    );
    let replace = root(with_tags(
        &[("Action", "TagUser"), ("UserName", "full")],
        &[pair("K1", "new")],
    ))
    .await;
    assert_eq!(replace.0, 200, "{}", replace.1);
    assert_eq!(
        app.store
            .user_by_name("full")
            .await
            .unwrap()
            .unwrap()
            .tags
            .len(),
        50
    );

    // Two TagRole calls of 30 new keys each at once: one wins, never 60 tags.
    let calls = ["a", "b"].map(|prefix| {
        let tags: Vec<(String, String)> = (0..30)
            .map(|n| pair(&format!("{prefix}{n}"), "v"))
            .collect();
        root(with_tags(
            &[("Action", "TagRole"), ("RoleName", "red-team")],
            &tags,
        ))
    });
    let [first, second] = calls;
    let (first, second) = tokio::join!(first, second);
    let statuses = [first.0, second.0];
    assert!(
        statuses.contains(&200) && statuses.contains(&409),
        "{statuses:?}"
    );
    assert_eq!(
        app.store
            .role("red-team")
            .await
            .unwrap()
            .unwrap()
            .tags
            .len(),
        30
    );

    // Conditions see the entity's tags and the request's, whatever case the caller writes.
    let blue = root(with_tags(
        &[
            ("Action", "CreateRole"),
            ("RoleName", "blue-team"),
            ("AssumeRolePolicyDocument", &trust),
        ],
        &[pair("team", "blue")],
    ))
    .await;
    assert_eq!(blue.0, 200, "{}", blue.1);
    root(with_tags(
        &[("Action", "TagRole"), ("RoleName", "red-team")],
        &[pair("team", "red")],
    ))
    .await;
    root(with_tags(
        &[("Action", "CreateUser"), ("UserName", "tina")],
        &[],
    ))
    .await;
    root(vec![
        pair("Action", "AttachUserPolicy"),
        pair("UserName", "tina"),
        pair("PolicyArn", &arn),
    ])
    .await;
    let tag_red_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:TagRole","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"red"}}}]}"#;
    let put = root(vec![
        pair("Action", "PutUserPolicy"),
        pair("UserName", "tina"),
        pair("PolicyName", "tag-red"),
        pair("PolicyDocument", tag_red_only),
    ])
    .await;
    assert_eq!(put.0, 200, "{}", put.1);
    let key = root(vec![
        pair("Action", "CreateAccessKey"),
        pair("UserName", "tina"),
    ])
    .await;
    let (tina_key, tina_secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );
    let tina = |params: Vec<(String, String)>| {
        let (app, k, s) = (&app, tina_key.clone(), tina_secret.clone());
        async move { call_owned(app, &k, &s, &params).await }
    };
    let red = tina(with_tags(
        &[("Action", "GetRole"), ("RoleName", "red-team")],
        &[],
    ))
    .await;
    assert_eq!(red.0, 200, "{}", red.1);
    let refused = tina(with_tags(
        &[("Action", "GetRole"), ("RoleName", "blue-team")],
        &[],
    ))
    .await;
    assert_error(&refused, 403, "AccessDenied", &format!("User: arn:aws:iam::{account}:user/tina is not authorized to perform: iam:GetRole on resource: arn:aws:iam::{account}:role/blue-team because no identity-based policy allows the iam:GetRole action"));
    let allowed = tina(with_tags(
        &[("Action", "TagRole"), ("RoleName", "blue-team")],
        &[pair("team", "red")],
    ))
    .await;
    assert_eq!(allowed.0, 200, "{}", allowed.1);
    for spelling in ["team", "TEAM", "Team"] {
        let sneaky = tina(with_tags(
            &[("Action", "TagRole"), ("RoleName", "red-team")],
            &[pair(spelling, "blue")],
        ))
        .await;
        assert_eq!(
            field(&sneaky.1, "Code"),
            "AccessDenied",
            "{spelling}: {}",
            sneaky.1
        );
    }
    assert_eq!(
        app.store
            .role("red-team")
            .await
            .unwrap()
            .unwrap()
            .tags
            .get("team")
            .map(String::as_str),
        Some("red")
    );

    // A role's tags are its sessions' aws:PrincipalTag/*, and a change reaches
    // sessions already issued.
    let assume_any = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    root(vec![
        pair("Action", "PutUserPolicy"),
        pair("UserName", "tina"),
        pair("PolicyName", "assume"),
        pair("PolicyDocument", assume_any),
    ])
    .await;
    let by_tag = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}}]}"#;
    let put = root(vec![
        pair("Action", "PutRolePolicy"),
        pair("RoleName", "red-team"),
        pair("PolicyName", "list-if-red"),
        pair("PolicyDocument", by_tag),
    ])
    .await;
    assert_eq!(put.0, 200, "{}", put.1);
    let assumed = call_api(
        &app,
        &tina_key,
        &tina_secret,
        "sts",
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &format!("arn:aws:iam::{account}:role/red-team")),
            ("RoleSessionName", "tagged"),
        ],
    )
    .await;
    assert_eq!(assumed.0, 200, "{}", assumed.1);
    let (session_key, session_secret, token) = (
        field(&assumed.1, "AccessKeyId"),
        field(&assumed.1, "SecretAccessKey"),
        field(&assumed.1, "SessionToken"),
    );
    let list = || {
        call_with_token(
            &app,
            &session_key,
            &session_secret,
            &token,
            "iam",
            &[("Action", "ListUsers")],
        )
    };
    let listed = list().await;
    assert_eq!(listed.0, 200, "{}", listed.1);
    root(vec![
        pair("Action", "UntagRole"),
        pair("RoleName", "red-team"),
        pair("TagKeys.member.1", "team"),
    ])
    .await;
    let refused = list().await;
    assert_eq!(field(&refused.1, "Code"), "AccessDenied", "{}", refused.1);
}

/// The seed of a device `CreateVirtualMFADevice` answered, from its base64 blob of
/// base32 text, as an authenticator app reads it.
fn device_seed(answer: &str) -> Vec<u8> {
    use base64::Engine;
    let blob = base64::engine::general_purpose::STANDARD
        .decode(field(answer, "Base32StringSeed"))
        .unwrap();
    totp_rs::Secret::Encoded(String::from_utf8(blob).unwrap())
        .to_bytes()
        .unwrap()
}

#[tokio::test]
async fn virtual_mfa_devices_are_created_enabled_resynced_deactivated_and_deleted() {
    let clock = ManualClock::starting_at(OffsetDateTime::now_utc());
    let app = spawn_app_with(
        fresh_store().await,
        &SecretBox::generate_key(),
        &[],
        Options::default(),
        clock.clock(),
    )
    .await;
    app.service
        .bootstrap_root_key(ROOT_KEY, ROOT_SECRET)
        .await
        .unwrap();
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    let code_at = |seed: &[u8], offset_steps: i64| {
        let now = clock.clock().now().unix_timestamp() + offset_steps * 30;
        identity::totp::code_at(seed, now as u64).unwrap()
    };
    root(vec![pair("Action", "CreateUser"), pair("UserName", "mo")]).await;
    let key = root(vec![
        pair("Action", "CreateAccessKey"),
        pair("UserName", "mo"),
    ])
    .await;
    let (mo_key, mo_secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );

    // Created unassigned: the seed as base64 of base32, a real PNG, a serial of this account.
    // Under a path, which the serial carries through enabling, resync and back.
    let created = root(vec![
        pair("Action", "CreateVirtualMFADevice"),
        pair("VirtualMFADeviceName", "mo-phone"),
        pair("Path", "/phones/"),
    ])
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    let serial = format!("arn:aws:iam::{account}:mfa/phones/mo-phone");
    assert_eq!(field(&created.1, "SerialNumber"), serial);
    let seed = device_seed(&created.1);
    assert_eq!(seed.len(), 20);
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode(field(&created.1, "QRCodePNG"))
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let again = root(vec![
        pair("Action", "CreateVirtualMFADevice"),
        pair("VirtualMFADeviceName", "MO-PHONE"),
    ])
    .await;
    assert_error(
        &again,
        409,
        "EntityAlreadyExists",
        "MFADevice entity at the same path and name already exists.",
    );
    let bad_name = root(vec![
        pair("Action", "CreateVirtualMFADevice"),
        pair("VirtualMFADeviceName", "mo phone"),
    ])
    .await;
    assert_eq!(
        field(&bad_name.1, "Code"),
        "ValidationError",
        "{}",
        bad_name.1
    );
    let unassigned = root(vec![
        pair("Action", "ListVirtualMFADevices"),
        pair("AssignmentStatus", "Unassigned"),
    ])
    .await;
    assert!(
        unassigned
            .1
            .contains(&format!("<SerialNumber>{serial}</SerialNumber>")),
        "{}",
        unassigned.1
    );
    assert!(!unassigned.1.contains("<User>"), "{}", unassigned.1);

    // Enabling takes two consecutive codes, in order; nothing else.
    let enable = |first: String, second: String| {
        root(vec![
            pair("Action", "EnableMFADevice"),
            pair("UserName", "mo"),
            pair("SerialNumber", &serial),
            pair("AuthenticationCode1", &first),
            pair("AuthenticationCode2", &second),
        ])
    };
    let reversed = enable(code_at(&seed, 0), code_at(&seed, -1)).await;
    assert_error(
        &reversed,
        403,
        "InvalidAuthenticationCode",
        "Authentication code for device is not valid.",
    );
    let same = enable(code_at(&seed, 0), code_at(&seed, 0)).await;
    assert_eq!(field(&same.1, "Code"), "InvalidAuthenticationCode");
    let letters = enable("12345a".into(), code_at(&seed, 0)).await;
    assert_eq!(
        field(&letters.1, "Code"),
        "ValidationError",
        "{}",
        letters.1
    );
    assert!(
        !app.store
            .user_by_name("mo")
            .await
            .unwrap()
            .unwrap()
            .mfa_enabled
    );
    let enabled = enable(code_at(&seed, -1), code_at(&seed, 0)).await;
    assert_eq!(enabled.0, 200, "{}", enabled.1);
    // Tagged once enabled (the device now lives on the user's row), its tags stay
    // with it when it is deactivated below.
    let tagged = root(vec![
        pair("Action", "TagMFADevice"),
        pair("SerialNumber", &serial),
        pair("Tags.member.1.Key", "kind"),
        pair("Tags.member.1.Value", "phone"),
    ])
    .await;
    assert_eq!(tagged.0, 200, "{}", tagged.1);
    let mine = root(vec![
        pair("Action", "ListMFADevices"),
        pair("UserName", "mo"),
    ])
    .await;
    assert!(
        mine.1
            .contains(&format!("<SerialNumber>{serial}</SerialNumber>")),
        "{}",
        mine.1
    );
    let assigned = root(vec![
        pair("Action", "ListVirtualMFADevices"),
        pair("AssignmentStatus", "Assigned"),
    ])
    .await;
    assert!(
        assigned.1.contains("<User>")
            && assigned.1.contains("<UserName>mo</UserName>")
            && assigned.1.contains("<EnableDate>"),
        "{}",
        assigned.1
    );
    let unassigned = root(vec![
        pair("Action", "ListVirtualMFADevices"),
        pair("AssignmentStatus", "Unassigned"),
    ])
    .await;
    assert!(!unassigned.1.contains(&serial), "{}", unassigned.1);
    // One device per user; an assigned device cannot be deleted.
    root(vec![
        pair("Action", "CreateVirtualMFADevice"),
        pair("VirtualMFADeviceName", "spare"),
    ])
    .await;
    let second = root(vec![
        pair("Action", "EnableMFADevice"),
        pair("UserName", "mo"),
        pair("SerialNumber", &format!("arn:aws:iam::{account}:mfa/spare")),
        pair("AuthenticationCode1", "123456"),
        pair("AuthenticationCode2", "234567"),
    ])
    .await;
    assert_eq!(field(&second.1, "Code"), "LimitExceeded", "{}", second.1);
    let in_use = root(vec![
        pair("Action", "DeleteVirtualMFADevice"),
        pair("SerialNumber", &serial),
    ])
    .await;
    assert_eq!(field(&in_use.1, "Code"), "DeleteConflict", "{}", in_use.1);

    // The device proves MFA for STS; a code already used to enable it does not.
    let sts = |code: String| {
        let (app, k, s, serial) = (&app, mo_key.clone(), mo_secret.clone(), serial.clone());
        async move {
            call_api(
                app,
                &k,
                &s,
                "sts",
                &[
                    ("Action", "GetSessionToken"),
                    ("SerialNumber", &serial),
                    ("TokenCode", &code),
                ],
            )
            .await
        }
    };
    let replayed = sts(code_at(&seed, 0)).await;
    assert_eq!(field(&replayed.1, "Code"), "AccessDenied", "{}", replayed.1);
    clock.advance(time::Duration::seconds(30));
    let proven = sts(code_at(&seed, 0)).await;
    assert_eq!(proven.0, 200, "{}", proven.1);

    // A device whose clock runs five minutes ahead: a resync finds it and later codes pass.
    clock.advance(time::Duration::seconds(60));
    let ahead = |steps: i64| code_at(&seed, 10 + steps);
    let far = sts(ahead(0)).await;
    assert_eq!(field(&far.1, "Code"), "AccessDenied", "{}", far.1);
    let resync = |first: String, second: String| {
        root(vec![
            pair("Action", "ResyncMFADevice"),
            pair("UserName", "mo"),
            pair("SerialNumber", &serial),
            pair("AuthenticationCode1", &first),
            pair("AuthenticationCode2", &second),
        ])
    };
    let wrong = resync("000000".into(), "000001".into()).await;
    assert_eq!(
        field(&wrong.1, "Code"),
        "InvalidAuthenticationCode",
        "{}",
        wrong.1
    );
    // The device's current code and the next: the drift counts from the second.
    let resynced = resync(ahead(0), ahead(1)).await;
    assert_eq!(resynced.0, 200, "{}", resynced.1);
    assert_eq!(
        app.store
            .user_by_name("mo")
            .await
            .unwrap()
            .unwrap()
            .mfa_drift_steps,
        11
    );
    let replay = resync(ahead(0), ahead(1)).await;
    assert_eq!(
        field(&replay.1, "Code"),
        "InvalidAuthenticationCode",
        "{}",
        replay.1
    );
    clock.advance(time::Duration::seconds(90));
    let later = sts(ahead(0)).await;
    assert_eq!(later.0, 200, "{}", later.1);

    // Deactivated: kept unassigned, as AWS keeps it; then deleted.
    let wrong_serial = root(vec![
        pair("Action", "DeactivateMFADevice"),
        pair("UserName", "mo"),
        pair("SerialNumber", &format!("arn:aws:iam::{account}:mfa/mo")),
    ])
    .await;
    assert_eq!(
        field(&wrong_serial.1, "Code"),
        "NoSuchEntity",
        "{}",
        wrong_serial.1
    );
    let off = root(vec![
        pair("Action", "DeactivateMFADevice"),
        pair("UserName", "mo"),
        pair("SerialNumber", &serial),
    ])
    .await;
    assert_eq!(off.0, 200, "{}", off.1);
    let kept = root(vec![
        pair("Action", "ListMFADeviceTags"),
        pair("SerialNumber", &serial),
    ])
    .await;
    assert!(
        kept.1.contains("<Key>kind</Key><Value>phone</Value>"),
        "{}",
        kept.1
    );
    assert!(
        !app.store
            .user_by_name("mo")
            .await
            .unwrap()
            .unwrap()
            .mfa_enabled
    );
    let kept = root(vec![pair("Action", "ListVirtualMFADevices")]).await;
    assert!(
        kept.1.contains(&serial) && !kept.1.contains("<User>"),
        "{}",
        kept.1
    );
    let deleted = root(vec![
        pair("Action", "DeleteVirtualMFADevice"),
        pair("SerialNumber", &serial),
    ])
    .await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    let gone = root(vec![
        pair("Action", "DeleteVirtualMFADevice"),
        pair("SerialNumber", &serial),
    ])
    .await;
    assert_error(
        &gone,
        404,
        "NoSuchEntity",
        &format!("VirtualMFADevice with serial number {serial} doesn't exist."),
    );
    let audited = app
        .store
        .audit_log(&store::AuditFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    for action in [
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:ResyncMFADevice",
        "iam:DeactivateMFADevice",
        "iam:DeleteVirtualMFADevice",
    ] {
        assert!(
            audited.iter().any(|r| r.action == action),
            "{action} not audited"
        );
    }
}

#[tokio::test]
async fn auditors_read_the_whole_account_and_the_keys_policies_need() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    let conditional = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
    root(vec![
        pair("Action", "CreateGroup"),
        pair("GroupName", "auditors"),
    ])
    .await;
    root(vec![pair("Action", "CreateUser"), pair("UserName", "ada")]).await;
    root(vec![
        pair("Action", "AddUserToGroup"),
        pair("GroupName", "auditors"),
        pair("UserName", "ada"),
    ])
    .await;
    root(vec![
        pair("Action", "AttachGroupPolicy"),
        pair("GroupName", "auditors"),
        pair("PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
    ])
    .await;
    let put = root(vec![
        pair("Action", "PutUserPolicy"),
        pair("UserName", "ada"),
        pair("PolicyName", "own-prefix"),
        pair("PolicyDocument", conditional),
    ])
    .await;
    assert_eq!(put.0, 200, "{}", put.1);
    let mfa_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
    root(vec![
        pair("Action", "CreatePolicy"),
        pair("PolicyName", "mfa-only"),
        pair("PolicyDocument", mfa_only),
    ])
    .await;
    root(vec![
        pair("Action", "AttachGroupPolicy"),
        pair("GroupName", "auditors"),
        pair(
            "PolicyArn",
            &format!("arn:aws:iam::{account}:policy/mfa-only"),
        ),
    ])
    .await;

    // Context keys: of pasted policies, and of everything that applies to a user.
    let custom = root(vec![
        pair("Action", "GetContextKeysForCustomPolicy"),
        pair("PolicyInputList.member.1", conditional),
    ])
    .await;
    assert_eq!(custom.0, 200, "{}", custom.1);
    assert!(custom.1.contains("<ContextKeyNames><member>aws:SourceIp</member><member>aws:username</member></ContextKeyNames>"), "{}", custom.1);
    let malformed = root(vec![
        pair("Action", "GetContextKeysForCustomPolicy"),
        pair("PolicyInputList.member.1", "{not json"),
    ])
    .await;
    assert_eq!(
        field(&malformed.1, "Code"),
        "MalformedPolicyDocument",
        "{}",
        malformed.1
    );
    let principal = root(vec![
        pair("Action", "GetContextKeysForPrincipalPolicy"),
        pair(
            "PolicySourceArn",
            &format!("arn:aws:iam::{account}:user/ada"),
        ),
    ])
    .await;
    assert!(principal.1.contains("<member>aws:MultiFactorAuthPresent</member><member>aws:SourceIp</member><member>aws:username</member>"), "{}", principal.1);
    let elsewhere = root(vec![
        pair("Action", "GetContextKeysForPrincipalPolicy"),
        pair("PolicySourceArn", "arn:aws:iam::999999999999:user/ada"),
    ])
    .await;
    assert_eq!(
        field(&elsewhere.1, "Code"),
        "InvalidInput",
        "{}",
        elsewhere.1
    );

    // The whole account at once, as auditing tools read it; filtered and paged.
    let details = root(vec![pair("Action", "GetAccountAuthorizationDetails")]).await;
    assert_eq!(details.0, 200, "{}", details.1);
    let body = &details.1;
    assert!(body.contains("<UserName>ada</UserName>"), "{body}");
    assert!(body.contains("<UserPolicyList><member><PolicyName>own-prefix</PolicyName><PolicyDocument>%7B%22Version"), "{body}");
    assert!(
        body.contains("<GroupList><member>auditors</member></GroupList>"),
        "{body}"
    );
    assert!(body.contains("<GroupName>auditors</GroupName>"), "{body}");
    assert!(body.contains("<AttachedManagedPolicies><member><PolicyName>ReadOnlyAccess</PolicyName>") || body.contains("<PolicyName>ReadOnlyAccess</PolicyName><PolicyArn>arn:aws:iam::aws:policy/ReadOnlyAccess</PolicyArn>"), "{body}");
    assert!(
        body.contains("<PolicyName>mfa-only</PolicyName>")
            && body.contains("<PolicyVersionList><member><Document>"),
        "{body}"
    );
    // AWS's own policies appear only where used.
    assert!(
        body.contains("<Arn>arn:aws:iam::aws:policy/ReadOnlyAccess</Arn>"),
        "{body}"
    );
    assert!(
        !body.contains("<Arn>arn:aws:iam::aws:policy/AdministratorAccess</Arn>"),
        "{body}"
    );
    let only_groups = root(vec![
        pair("Action", "GetAccountAuthorizationDetails"),
        pair("Filter.member.1", "Group"),
    ])
    .await;
    assert!(
        only_groups.1.contains("<UserDetailList></UserDetailList>")
            && only_groups.1.contains("<GroupName>auditors</GroupName>"),
        "{}",
        only_groups.1
    );
    let bad_filter = root(vec![
        pair("Action", "GetAccountAuthorizationDetails"),
        pair("Filter.member.1", "Users"),
    ])
    .await;
    assert_eq!(
        field(&bad_filter.1, "Code"),
        "ValidationError",
        "{}",
        bad_filter.1
    );
    let mut marker: Option<String> = None;
    let mut pages = 0;
    let mut users_seen = 0;
    loop {
        let mut params = vec![
            pair("Action", "GetAccountAuthorizationDetails"),
            pair("MaxItems", "1"),
        ];
        if let Some(m) = &marker {
            params.push(pair("Marker", m));
        }
        let page = root(params).await;
        assert_eq!(page.0, 200, "{}", page.1);
        users_seen += page.1.matches("<UserName>").count();
        pages += 1;
        if field(&page.1, "IsTruncated") == "false" {
            break;
        }
        marker = Some(field(&page.1, "Marker"));
        assert!(pages < 50);
    }
    // ada (root is no IAM user, as in AWS), one group, AWS's ReadOnlyAccess and
    // mfa-only: one item a page.
    assert_eq!(pages, 4);
    assert_eq!(users_seen, 1);

    // A user without the permission is refused in AWS's words.
    let key = root(vec![
        pair("Action", "CreateAccessKey"),
        pair("UserName", "ada"),
    ])
    .await;
    let (ada_key, ada_secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );
    let refused = call_api(
        &app,
        &ada_key,
        &ada_secret,
        "iam",
        &[("Action", "GetAccountAuthorizationDetails")],
    )
    .await;
    assert_eq!(field(&refused.1, "Code"), "AccessDenied", "{}", refused.1);

    // GetAccessKeyInfo: the account of a key it issued, whatever the key's state.
    let info = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "sts",
        &[("Action", "GetAccessKeyInfo"), ("AccessKeyId", &ada_key)],
    )
    .await;
    assert_eq!(info.0, 200, "{}", info.1);
    assert_eq!(field(&info.1, "Account"), account);
    let unknown = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "sts",
        &[
            ("Action", "GetAccessKeyInfo"),
            ("AccessKeyId", "AKIAUNKNOWNKEY000000"),
        ],
    )
    .await;
    assert_eq!(
        field(&unknown.1, "Code"),
        "ValidationError",
        "{}",
        unknown.1
    );
}

#[tokio::test]
async fn instance_profiles_hold_one_role_need_pass_role_and_block_deletes() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for role in ["web", "batch"] {
        let made = root(vec![
            pair("Action", "CreateRole"),
            pair("RoleName", role),
            pair("AssumeRolePolicyDocument", trust),
        ])
        .await;
        assert_eq!(made.0, 200, "{}", made.1);
    }
    let created = root(with_tags(
        &[
            ("Action", "CreateInstanceProfile"),
            ("InstanceProfileName", "web-profile"),
        ],
        &[pair("env", "prod")],
    ))
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    assert!(field(&created.1, "InstanceProfileId").starts_with("AIPA"));
    assert_eq!(
        field(&created.1, "Arn"),
        format!("arn:aws:iam::{account}:instance-profile/web-profile")
    );
    assert!(
        created.1.contains("<Roles></Roles>") && created.1.contains("<Key>env</Key>"),
        "{}",
        created.1
    );
    let again = root(vec![
        pair("Action", "CreateInstanceProfile"),
        pair("InstanceProfileName", "WEB-PROFILE"),
    ])
    .await;
    assert_error(
        &again,
        409,
        "EntityAlreadyExists",
        "Instance Profile WEB-PROFILE already exists.",
    );

    // One role per profile, even when two requests race.
    let add = |role: &'static str| {
        root(vec![
            pair("Action", "AddRoleToInstanceProfile"),
            pair("InstanceProfileName", "web-profile"),
            pair("RoleName", role),
        ])
    };
    let (first, second) = tokio::join!(add("web"), add("batch"));
    let statuses = [first.0, second.0];
    assert!(
        statuses.contains(&200) && statuses.contains(&409),
        "{} {}",
        first.1,
        second.1
    );
    let full = if first.0 == 409 { &first } else { &second };
    assert_error(
        full,
        409,
        "LimitExceeded",
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    );
    let holder = if first.0 == 200 { "web" } else { "batch" };
    let got = root(vec![
        pair("Action", "GetInstanceProfile"),
        pair("InstanceProfileName", "web-profile"),
    ])
    .await;
    assert!(
        got.1.contains(&format!(
            "<Roles><member><Path>/</Path><RoleName>{holder}</RoleName>"
        )),
        "{}",
        got.1
    );
    let for_role = root(vec![
        pair("Action", "ListInstanceProfilesForRole"),
        pair("RoleName", holder),
    ])
    .await;
    assert!(
        for_role
            .1
            .contains("<InstanceProfileName>web-profile</InstanceProfileName>"),
        "{}",
        for_role.1
    );
    let listed = root(vec![pair("Action", "ListInstanceProfiles")]).await;
    assert!(
        listed.1.contains("web-profile") && !listed.1.contains("<Tags>"),
        "{}",
        listed.1
    );

    let details = root(vec![
        pair("Action", "GetAccountAuthorizationDetails"),
        pair("Filter.member.1", "Role"),
    ])
    .await;
    assert!(
        details.1.contains("<InstanceProfileList><member><Path>/</Path><InstanceProfileName>web-profile</InstanceProfileName>"),
        "{}",
        details.1
    );

    // Nothing in use can be deleted.
    let role_gone = root(vec![pair("Action", "DeleteRole"), pair("RoleName", holder)]).await;
    assert_error(
        &role_gone,
        409,
        "DeleteConflict",
        "Cannot delete entity, must remove roles from instance profile first.",
    );
    let profile_gone = root(vec![
        pair("Action", "DeleteInstanceProfile"),
        pair("InstanceProfileName", "web-profile"),
    ])
    .await;
    assert_error(
        &profile_gone,
        409,
        "DeleteConflict",
        "Cannot delete entity, must remove roles from instance profile first.",
    );

    // Adding a role is passing it: without iam:PassRole, AWS's AccessDenied.
    root(vec![pair("Action", "CreateUser"), pair("UserName", "ops")]).await;
    let manage = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*InstanceProfile*"],"Resource":"*"}]}"#;
    root(vec![
        pair("Action", "PutUserPolicy"),
        pair("UserName", "ops"),
        pair("PolicyName", "profiles"),
        pair("PolicyDocument", manage),
    ])
    .await;
    let key = root(vec![
        pair("Action", "CreateAccessKey"),
        pair("UserName", "ops"),
    ])
    .await;
    let (ops_key, ops_secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );
    let made = call_api(
        &app,
        &ops_key,
        &ops_secret,
        "iam",
        &[
            ("Action", "CreateInstanceProfile"),
            ("InstanceProfileName", "batch-profile"),
        ],
    )
    .await;
    assert_eq!(made.0, 200, "{}", made.1);
    let other = if holder == "web" { "batch" } else { "web" };
    let passed = call_api(
        &app,
        &ops_key,
        &ops_secret,
        "iam",
        &[
            ("Action", "AddRoleToInstanceProfile"),
            ("InstanceProfileName", "batch-profile"),
            ("RoleName", other),
        ],
    )
    .await;
    assert_error(&passed, 403, "AccessDenied", &format!("User: arn:aws:iam::{account}:user/ops is not authorized to perform: iam:PassRole on resource: arn:aws:iam::{account}:role/{other} because no identity-based policy allows the iam:PassRole action"));

    // Emptied, then deleted.
    let removed = root(vec![
        pair("Action", "RemoveRoleFromInstanceProfile"),
        pair("InstanceProfileName", "web-profile"),
        pair("RoleName", holder),
    ])
    .await;
    assert_eq!(removed.0, 200, "{}", removed.1);
    let twice = root(vec![
        pair("Action", "RemoveRoleFromInstanceProfile"),
        pair("InstanceProfileName", "web-profile"),
        pair("RoleName", holder),
    ])
    .await;
    assert_eq!(field(&twice.1, "Code"), "NoSuchEntity", "{}", twice.1);
    let deleted = root(vec![
        pair("Action", "DeleteInstanceProfile"),
        pair("InstanceProfileName", "web-profile"),
    ])
    .await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    let gone = root(vec![
        pair("Action", "GetInstanceProfile"),
        pair("InstanceProfileName", "web-profile"),
    ])
    .await;
    assert_error(
        &gone,
        404,
        "NoSuchEntity",
        "Instance Profile web-profile cannot be found.",
    );
    let role_deleted = root(vec![pair("Action", "DeleteRole"), pair("RoleName", holder)]).await;
    assert_eq!(role_deleted.0, 200, "{}", role_deleted.1);
}

#[tokio::test]
async fn session_tags_transitive_keys_and_source_identity_follow_the_chain() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    // Tags only with project apollo or gemini; a source identity only starting "tina".
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}},
            {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:TagSession",
              "Condition":{{"StringEquals":{{"aws:RequestTag/project":["apollo","gemini"]}}}}}},
            {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:SetSourceIdentity",
              "Condition":{{"StringLike":{{"sts:SourceIdentity":"tina*"}}}}}}]}}"#
    );
    let by_session = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/project":"apollo"}}},
        {"Effect":"Allow","Action":"iam:ListGroups","Resource":"*","Condition":{"StringEquals":{"aws:SourceIdentity":"tina-laptop"}}},
        {"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"*"}]}"#;
    for role in ["first", "second"] {
        let made = root(vec![
            pair("Action", "CreateRole"),
            pair("RoleName", role),
            pair("AssumeRolePolicyDocument", &trust),
        ])
        .await;
        assert_eq!(made.0, 200, "{}", made.1);
        let put = root(vec![
            pair("Action", "PutRolePolicy"),
            pair("RoleName", role),
            pair("PolicyName", "by-session"),
            pair("PolicyDocument", by_session),
        ])
        .await;
        assert_eq!(put.0, 200, "{}", put.1);
    }
    root(vec![pair("Action", "CreateUser"), pair("UserName", "tina")]).await;
    let sts_all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}"#;
    root(vec![
        pair("Action", "PutUserPolicy"),
        pair("UserName", "tina"),
        pair("PolicyName", "sts"),
        pair("PolicyDocument", sts_all),
    ])
    .await;
    let key = root(vec![
        pair("Action", "CreateAccessKey"),
        pair("UserName", "tina"),
    ])
    .await;
    let (tina_key, tina_secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );
    let first_arn = format!("arn:aws:iam::{account}:role/first");
    let second_arn = format!("arn:aws:iam::{account}:role/second");
    let assume = |key: String,
                  secret: String,
                  token: Option<String>,
                  params: Vec<(String, String)>| {
        let app = &app;
        async move {
            let borrowed: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            match token {
                Some(token) => call_with_token(app, &key, &secret, &token, "sts", &borrowed).await,
                None => call_api(app, &key, &secret, "sts", &borrowed).await,
            }
        }
    };
    let base = |arn: &str, name: &str| {
        vec![
            pair("Action", "AssumeRole"),
            pair("RoleArn", arn),
            pair("RoleSessionName", name),
        ]
    };

    // Tags the trust policy does not allow: refused as sts:TagSession.
    let mut mercury = base(&first_arn, "s1");
    mercury.extend(with_tags(&[], &[pair("project", "mercury")]));
    let refused = assume(tina_key.clone(), tina_secret.clone(), None, mercury).await;
    assert_error(&refused, 403, "AccessDenied", &format!("User: arn:aws:iam::{account}:user/tina is not authorized to perform: sts:TagSession on resource: {first_arn}"));
    let mut stranger = base(&first_arn, "s1");
    stranger.push(pair("SourceIdentity", "mallory"));
    let refused = assume(tina_key.clone(), tina_secret.clone(), None, stranger).await;
    assert_eq!(field(&refused.1, "Code"), "AccessDenied", "{}", refused.1);
    let mut bad = base(&first_arn, "s1");
    bad.push(pair("SourceIdentity", "aws:me"));
    let invalid = assume(tina_key.clone(), tina_secret.clone(), None, bad).await;
    assert_eq!(
        field(&invalid.1, "Code"),
        "ValidationError",
        "{}",
        invalid.1
    );
    let mut not_a_tag = base(&first_arn, "s1");
    not_a_tag.extend(with_tags(&[], &[pair("project", "apollo")]));
    not_a_tag.push(pair("TransitiveTagKeys.member.1", "team"));
    let invalid = assume(tina_key.clone(), tina_secret.clone(), None, not_a_tag).await;
    assert_eq!(
        field(&invalid.1, "Code"),
        "ValidationError",
        "{}",
        invalid.1
    );

    // Allowed: the session's tags and source identity decide its requests.
    let mut apollo = base(&first_arn, "s1");
    apollo.extend(with_tags(&[], &[pair("project", "apollo")]));
    apollo.push(pair("TransitiveTagKeys.member.1", "project"));
    apollo.push(pair("SourceIdentity", "tina-laptop"));
    let first = assume(tina_key.clone(), tina_secret.clone(), None, apollo).await;
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(field(&first.1, "SourceIdentity"), "tina-laptop");
    let (k1, s1, t1) = (
        field(&first.1, "AccessKeyId"),
        field(&first.1, "SecretAccessKey"),
        field(&first.1, "SessionToken"),
    );
    for action in ["ListUsers", "ListGroups"] {
        let ok = call_with_token(&app, &k1, &s1, &t1, "iam", &[("Action", action)]).await;
        assert_eq!(ok.0, 200, "{action}: {}", ok.1);
    }
    let plain = assume(
        tina_key.clone(),
        tina_secret.clone(),
        None,
        base(&first_arn, "s2"),
    )
    .await;
    let (k2, s2, t2) = (
        field(&plain.1, "AccessKeyId"),
        field(&plain.1, "SecretAccessKey"),
        field(&plain.1, "SessionToken"),
    );
    for action in ["ListUsers", "ListGroups"] {
        let no = call_with_token(&app, &k2, &s2, &t2, "iam", &[("Action", action)]).await;
        assert_eq!(field(&no.1, "Code"), "AccessDenied", "{action}: {}", no.1);
    }

    // Chained: the transitive tag and the source identity follow and cannot change.
    let mut override_tag = base(&second_arn, "c1");
    override_tag.extend(with_tags(&[], &[pair("PROJECT", "gemini")]));
    let refused = assume(k1.clone(), s1.clone(), Some(t1.clone()), override_tag).await;
    assert_eq!(
        field(&refused.1, "Code"),
        "ValidationError",
        "{}",
        refused.1
    );
    let mut other_source = base(&second_arn, "c1");
    other_source.push(pair("SourceIdentity", "tina-phone"));
    let refused = assume(k1.clone(), s1.clone(), Some(t1.clone()), other_source).await;
    assert_eq!(
        field(&refused.1, "Code"),
        "ValidationError",
        "{}",
        refused.1
    );
    let chained = assume(
        k1.clone(),
        s1.clone(),
        Some(t1.clone()),
        base(&second_arn, "c1"),
    )
    .await;
    assert_eq!(chained.0, 200, "{}", chained.1);
    assert_eq!(field(&chained.1, "SourceIdentity"), "tina-laptop");
    let (k3, s3, t3) = (
        field(&chained.1, "AccessKeyId"),
        field(&chained.1, "SecretAccessKey"),
        field(&chained.1, "SessionToken"),
    );
    for action in ["ListUsers", "ListGroups"] {
        let ok = call_with_token(&app, &k3, &s3, &t3, "iam", &[("Action", action)]).await;
        assert_eq!(ok.0, 200, "chained {action}: {}", ok.1);
    }
}

#[tokio::test]
async fn federation_tokens_act_as_a_federated_user_limited_to_get_caller_identity() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    root(vec![
        pair("Action", "CreateUser"),
        pair("UserName", "broker"),
    ])
    .await;
    let key = root(vec![
        pair("Action", "CreateAccessKey"),
        pair("UserName", "broker"),
    ])
    .await;
    let (broker_key, broker_secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );
    let federate = |params: Vec<(String, String)>| {
        let (app, k, s) = (&app, broker_key.clone(), broker_secret.clone());
        async move {
            let borrowed: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            call_api(app, &k, &s, "sts", &borrowed).await
        }
    };
    // Without sts:GetFederationToken: AWS's AccessDenied on the federated user's ARN.
    let refused = federate(vec![
        pair("Action", "GetFederationToken"),
        pair("Name", "bob"),
    ])
    .await;
    assert_error(&refused, 403, "AccessDenied", &format!("User: arn:aws:iam::{account}:user/broker is not authorized to perform: sts:GetFederationToken on resource: arn:aws:sts::{account}:federated-user/bob because no identity-based policy allows the sts:GetFederationToken action"));
    let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetFederationToken","sts:GetSessionToken","iam:ListUsers"],"Resource":"*"}]}"#;
    root(vec![
        pair("Action", "PutUserPolicy"),
        pair("UserName", "broker"),
        pair("PolicyName", "broker"),
        pair("PolicyDocument", allow),
    ])
    .await;
    let bad_name = federate(vec![
        pair("Action", "GetFederationToken"),
        pair("Name", "b"),
    ])
    .await;
    assert_eq!(
        field(&bad_name.1, "Code"),
        "ValidationError",
        "{}",
        bad_name.1
    );

    let token = federate(vec![
        pair("Action", "GetFederationToken"),
        pair("Name", "bob"),
        pair("Policy", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#),
        pair("DurationSeconds", "900"),
    ])
    .await;
    assert_eq!(token.0, 200, "{}", token.1);
    assert_eq!(
        field(&token.1, "Arn"),
        format!("arn:aws:sts::{account}:federated-user/bob")
    );
    assert_eq!(field(&token.1, "FederatedUserId"), format!("{account}:bob"));
    let (k, s, t) = (
        field(&token.1, "AccessKeyId"),
        field(&token.1, "SecretAccessKey"),
        field(&token.1, "SessionToken"),
    );
    assert!(k.starts_with("ASIA"));
    let who = call_with_token(&app, &k, &s, &t, "sts", &[("Action", "GetCallerIdentity")]).await;
    assert_eq!(who.0, 200, "{}", who.1);
    assert_eq!(
        field(&who.1, "Arn"),
        format!("arn:aws:sts::{account}:federated-user/bob")
    );
    assert_eq!(field(&who.1, "UserId"), format!("{account}:bob"));
    // IAM, and STS beyond GetCallerIdentity, are closed to federated users, even
    // where both the user's and the session policy allow.
    for (service_name, action) in [
        ("iam", "ListUsers"),
        ("sts", "GetFederationToken"),
        ("sts", "GetSessionToken"),
    ] {
        let closed = call_with_token(
            &app,
            &k,
            &s,
            &t,
            service_name,
            &[("Action", action), ("Name", "eve")],
        )
        .await;
        assert_eq!(
            field(&closed.1, "Code"),
            "AccessDenied",
            "{action}: {}",
            closed.1
        );
    }
    // Session credentials cannot ask for a federation token.
    let session = federate(vec![pair("Action", "GetSessionToken")]).await;
    let (sk, ss, st) = (
        field(&session.1, "AccessKeyId"),
        field(&session.1, "SecretAccessKey"),
        field(&session.1, "SessionToken"),
    );
    let from_session = call_with_token(
        &app,
        &sk,
        &ss,
        &st,
        "sts",
        &[("Action", "GetFederationToken"), ("Name", "eve")],
    )
    .await;
    assert_error(
        &from_session,
        403,
        "AccessDenied",
        "Cannot call GetFederationToken with session credentials",
    );

    // Root's federation tokens last an hour at most, as AWS's do.
    let rooted = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "sts",
        &[
            ("Action", "GetFederationToken"),
            ("Name", "ops"),
            ("DurationSeconds", "129600"),
        ],
    )
    .await;
    assert_eq!(rooted.0, 200, "{}", rooted.1);
    let expires = time::OffsetDateTime::parse(
        &field(&rooted.1, "Expiration"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires <= app.service.clock().now() + time::Duration::seconds(3601));
    let audited = app
        .store
        .audit_log(&store::AuditFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audited
        .iter()
        .any(|r| r.action == "sts:GetFederationToken" && r.detail.contains("federated user bob")));
}

/// A real 2048-bit key made with `ssh-keygen -t rsa -b 2048`; `ssh-keygen -l -E md5`
/// prints the fingerprint below for it.
const SSH_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCh3BGchgwVi0rfBsEJa0T+fmYjLvrAZ9jvVxcLycqeWTSaNZQsf3cPzzQEFAi+c1GM7ub8zgEbSTfSUcVPv92Aoo1hU2lxwaE9uXiOaGmIVnaPf47LJ+O2PHa+Rj4fYcZGNL9wzRZBvCDtNOop8qj7c7MNzMhhwW7UPIPH1Yc/sUgxbekWvYbyLuROHbmObudURC+b1QTp/A7jb6TepYedWVlYFC+ZPKIA3tTEd6IEXhQswSCBB7+qcC1AmRohcQ9PFVicWwPxPcPKERkgDJMK9OYqZGV4s2MzpBl3++et7srjh7QXvibJ3ECsHuZREmLy7rEosBCJ0+4vmRYecAob alice@laptop";
const SSH_KEY_MD5: &str = "d1:5d:27:34:00:b6:62:e0:49:48:21:ed:d2:da:77:86";
/// A real 1024-bit key: too short for AWS.
const SHORT_SSH_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCXnhx3Bvi5SydiTT+RN2RPUdnLbcxSSnebsaV4+rP6K1TzMYUTgHrj8Sx5uNC9USu6kXbgr8C6VAu31cL4TnI0+i3MybrVmlZQXiFeOdH61K/3yGpFMKVk8aRyXw9Biqq8FOjwj2mduuHfYqq8SpNpU30ZWvtldjRvVp6Tg1HvtQ== root@vm";

#[tokio::test]
async fn ssh_public_keys_are_parsed_fingerprinted_limited_and_block_user_deletion() {
    let app = api_app().await;
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    root(vec![pair("Action", "CreateUser"), pair("UserName", "dev")]).await;
    let upload = |body: String| {
        root(vec![
            pair("Action", "UploadSSHPublicKey"),
            pair("UserName", "dev"),
            pair("SSHPublicKeyBody", &body),
        ])
    };
    let uploaded = upload(SSH_KEY.into()).await;
    assert_eq!(uploaded.0, 200, "{}", uploaded.1);
    // The fingerprint OpenSSH's own tool prints for this key.
    assert_eq!(field(&uploaded.1, "Fingerprint"), SSH_KEY_MD5);
    assert_eq!(field(&uploaded.1, "Status"), "Active");
    let id = field(&uploaded.1, "SSHPublicKeyId");
    assert!(id.starts_with("APKA"), "{id}");
    let again = upload(format!(
        "{}  ",
        SSH_KEY.replace("alice@laptop", "other comment")
    ))
    .await;
    assert_eq!(
        field(&again.1, "Code"),
        "DuplicateSSHPublicKey",
        "{}",
        again.1
    );
    let short = upload(SHORT_SSH_KEY.into()).await;
    assert_error(
        &short,
        400,
        "InvalidPublicKey",
        "The public key has 1024 bits; at least 2048 are needed.",
    );
    let ed = upload(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me"
            .into(),
    )
    .await;
    assert_eq!(
        field(&ed.1, "Code"),
        "UnrecognizedPublicKeyEncoding",
        "{}",
        ed.1
    );
    let garbage = upload("ssh-rsa AAAA%%%".into()).await;
    assert_eq!(
        field(&garbage.1, "Code"),
        "InvalidPublicKey",
        "{}",
        garbage.1
    );

    // Get (SSH encoding), list (no body), make inactive.
    let got = root(vec![
        pair("Action", "GetSSHPublicKey"),
        pair("UserName", "dev"),
        pair("SSHPublicKeyId", &id),
        pair("Encoding", "SSH"),
    ])
    .await;
    assert_eq!(field(&got.1, "SSHPublicKeyBody"), SSH_KEY);
    let listed = root(vec![
        pair("Action", "ListSSHPublicKeys"),
        pair("UserName", "dev"),
    ])
    .await;
    assert!(
        listed.1.contains(&id) && !listed.1.contains("SSHPublicKeyBody"),
        "{}",
        listed.1
    );
    let off = root(vec![
        pair("Action", "UpdateSSHPublicKey"),
        pair("UserName", "dev"),
        pair("SSHPublicKeyId", &id),
        pair("Status", "Inactive"),
    ])
    .await;
    assert_eq!(off.0, 200, "{}", off.1);
    let got = root(vec![
        pair("Action", "GetSSHPublicKey"),
        pair("UserName", "dev"),
        pair("SSHPublicKeyId", &id),
        pair("Encoding", "SSH"),
    ])
    .await;
    assert_eq!(field(&got.1, "Status"), "Inactive");
    // Another user's key id is not found under this user.
    root(vec![pair("Action", "CreateUser"), pair("UserName", "eve")]).await;
    let stolen = root(vec![
        pair("Action", "DeleteSSHPublicKey"),
        pair("UserName", "eve"),
        pair("SSHPublicKeyId", &id),
    ])
    .await;
    assert_error(
        &stolen,
        404,
        "NoSuchEntity",
        &format!("The SSH Public Key with id {id} cannot be found."),
    );

    // Five keys at most: four more fit, a sixth is AWS's LimitExceeded.
    let synthetic = |seed: u8| {
        use base64::Engine;
        let mut blob = Vec::new();
        let modulus: Vec<u8> = std::iter::once(0u8)
            .chain(std::iter::once(0x80 | seed))
            .chain(std::iter::repeat_n(seed, 255))
            .collect();
        for part in [&b"ssh-rsa"[..], &[1, 0, 1][..], &modulus[..]] {
            blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
            blob.extend_from_slice(part);
        }
        format!(
            "ssh-rsa {}",
            base64::engine::general_purpose::STANDARD.encode(blob)
        )
    };
    for seed in 1..=4 {
        let more = upload(synthetic(seed)).await;
        assert_eq!(more.0, 200, "{}", more.1);
    }
    let sixth = upload(synthetic(5)).await;
    assert_error(
        &sixth,
        409,
        "LimitExceeded",
        "Cannot exceed quota for PublicKeysPerUser: 5",
    );
    let listed = root(vec![
        pair("Action", "ListSSHPublicKeys"),
        pair("UserName", "dev"),
    ])
    .await;
    for key in app
        .store
        .ssh_keys_of(&app.store.user_by_name("dev").await.unwrap().unwrap().id)
        .await
        .unwrap()
    {
        if key.id != id {
            root(vec![
                pair("Action", "DeleteSSHPublicKey"),
                pair("UserName", "dev"),
                pair("SSHPublicKeyId", &key.id),
            ])
            .await;
        }
    }
    assert_eq!(
        listed.1.matches("<SSHPublicKeyId>").count(),
        5,
        "{}",
        listed.1
    );

    // A user with keys cannot be deleted; without them, can.
    let blocked = root(vec![pair("Action", "DeleteUser"), pair("UserName", "dev")]).await;
    assert_error(
        &blocked,
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete SSH public keys first.",
    );
    let deleted = root(vec![
        pair("Action", "DeleteSSHPublicKey"),
        pair("UserName", "dev"),
        pair("SSHPublicKeyId", &id),
    ])
    .await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    let gone = root(vec![pair("Action", "DeleteUser"), pair("UserName", "dev")]).await;
    assert_eq!(gone.0, 200, "{}", gone.1);
}

#[tokio::test]
async fn service_specific_credentials_show_the_password_once_and_count_per_service() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    root(vec![pair("Action", "CreateUser"), pair("UserName", "git")]).await;
    let create = |service: &'static str| {
        root(vec![
            pair("Action", "CreateServiceSpecificCredential"),
            pair("UserName", "git"),
            pair("ServiceName", service),
        ])
    };
    let created = create("codecommit.amazonaws.com").await;
    assert_eq!(created.0, 200, "{}", created.1);
    let password = field(&created.1, "ServicePassword");
    assert_eq!(password.len(), 44, "{password}");
    assert_eq!(
        field(&created.1, "ServiceUserName"),
        format!("git-at-{account}")
    );
    let id = field(&created.1, "ServiceSpecificCredentialId");
    assert!(id.starts_with("ACCA"), "{id}");
    // Kept only as a hash.
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT password_hash FROM service_specific_credentials WHERE id = $1")
            .bind(&id)
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(&password));
    // Two per service; other services count apart; unknown services are refused.
    assert_eq!(create("codecommit.amazonaws.com").await.0, 200);
    let third = create("codecommit.amazonaws.com").await;
    assert_error(
        &third,
        409,
        "LimitExceeded",
        "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2",
    );
    assert_eq!(create("cassandra.amazonaws.com").await.0, 200);
    let unknown = create("s3.amazonaws.com").await;
    assert_eq!(
        field(&unknown.1, "Code"),
        "NotSupportedService",
        "{}",
        unknown.1
    );

    let listed = root(vec![
        pair("Action", "ListServiceSpecificCredentials"),
        pair("UserName", "git"),
        pair("ServiceName", "codecommit.amazonaws.com"),
    ])
    .await;
    assert_eq!(
        listed.1.matches("<ServiceSpecificCredentialId>").count(),
        2,
        "{}",
        listed.1
    );
    assert!(!listed.1.contains("ServicePassword"), "{}", listed.1);
    let off = root(vec![
        pair("Action", "UpdateServiceSpecificCredential"),
        pair("UserName", "git"),
        pair("ServiceSpecificCredentialId", &id),
        pair("Status", "Inactive"),
    ])
    .await;
    assert_eq!(off.0, 200, "{}", off.1);
    let reset = root(vec![
        pair("Action", "ResetServiceSpecificCredential"),
        pair("UserName", "git"),
        pair("ServiceSpecificCredentialId", &id),
    ])
    .await;
    assert_eq!(reset.0, 200, "{}", reset.1);
    assert_ne!(field(&reset.1, "ServicePassword"), password);
    assert_eq!(field(&reset.1, "Status"), "Inactive");
    // Another user's credential id is not found under this one.
    root(vec![
        pair("Action", "CreateUser"),
        pair("UserName", "other"),
    ])
    .await;
    let stolen = root(vec![
        pair("Action", "DeleteServiceSpecificCredential"),
        pair("UserName", "other"),
        pair("ServiceSpecificCredentialId", &id),
    ])
    .await;
    assert_eq!(field(&stolen.1, "Code"), "NoSuchEntity", "{}", stolen.1);
    let blocked = root(vec![pair("Action", "DeleteUser"), pair("UserName", "git")]).await;
    assert_error(
        &blocked,
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete service specific credentials first.",
    );
    let credentials = app
        .store
        .service_credentials_of(&app.store.user_by_name("git").await.unwrap().unwrap().id)
        .await
        .unwrap();
    for c in credentials {
        let gone = root(vec![
            pair("Action", "DeleteServiceSpecificCredential"),
            pair("UserName", "git"),
            pair("ServiceSpecificCredentialId", &c.id),
        ])
        .await;
        assert_eq!(gone.0, 200, "{}", gone.1);
    }
    assert_eq!(
        root(vec![pair("Action", "DeleteUser"), pair("UserName", "git")])
            .await
            .0,
        200
    );
}

/// Enabling an MFA device through the API ends the user's console sessions, as the
/// console's own enrolment does: a session signed in without the device must not
/// outlive it.
#[tokio::test]
async fn enabling_mfa_through_the_api_ends_console_sessions() {
    let app = api_app().await;
    set_up(&app, &client()).await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    let browser = console_user(&app, "dana", "Dana-Console-Pass-2026").await;
    let whoami = |browser: &reqwest::Client| {
        let (app, browser) = (&app, browser.clone());
        async move {
            app.call(&browser, app::api::auth::Whoami::PATH, &[])
                .await
                .text()
                .await
                .unwrap()
        }
    };
    assert!(whoami(&browser).await.contains("\"name\":\"dana\""));

    let created = root(vec![
        pair("Action", "CreateVirtualMFADevice"),
        pair("VirtualMFADeviceName", "dana-phone"),
    ])
    .await;
    let seed = device_seed(&created.1);
    let now = app.service.clock().now().unix_timestamp();
    let code = |step: i64| identity::totp::code_at(&seed, (now + step * 30) as u64).unwrap();
    let enabled = root(vec![
        pair("Action", "EnableMFADevice"),
        pair("UserName", "dana"),
        pair(
            "SerialNumber",
            &format!("arn:aws:iam::{account}:mfa/dana-phone"),
        ),
        pair("AuthenticationCode1", &code(-1)),
        pair("AuthenticationCode2", &code(0)),
    ])
    .await;
    assert_eq!(enabled.0, 200, "{}", enabled.1);
    assert_eq!(whoami(&browser).await, "null", "the session ended");
}
