//! OpenID Connect providers and `AssumeRoleWithWebIdentity`, against a real local
//! issuer (an HTTP server publishing its discovery document and keys) and tokens
//! signed with real RSA keys: what a CI runner does, and what an attacker tries
//! (another key, `alg: none`, a changed claim, another audience, an expired token,
//! a branch the trust policy does not name, a deleted provider).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;

use super::api::{
    api_app, assert_error, call_api, call_owned, call_with_token, field, pair, ROOT_KEY,
    ROOT_SECRET,
};
use super::*;

const ISSUER_KEY: &str = include_str!("keys/issuer.pem");
const ATTACKER_KEY: &str = include_str!("keys/attacker.pem");
const AUDIENCE: &str = "sts.amazonaws.com";
const MAIN: &str = "repo:acme/app:ref:refs/heads/main";

/// A local OpenID Connect issuer: its URL and how often its keys were fetched.
async fn issuer(key: &RsaPrivateKey) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let public = key.to_public_key();
    let jwks = serde_json::json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1",
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    }]});
    let fetches = Arc::new(AtomicUsize::new(0));
    let discovery = serde_json::json!({
        "issuer": url,
        "jwks_uri": format!("{url}/keys"),
    });
    let counted = fetches.clone();
    let router = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || {
                let discovery = discovery.clone();
                async move { axum::Json(discovery) }
            }),
        )
        .route(
            "/keys",
            axum::routing::get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                let jwks = jwks.clone();
                async move { axum::Json(jwks) }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, fetches)
}

/// A compact RS256 token with `claims`, signed by `key`.
fn token(key: &RsaPrivateKey, header: serde_json::Value, claims: serde_json::Value) -> String {
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = SigningKey::<Sha256>::new(key.clone()).sign(signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// Sends the unsigned call, as boto3 and the CLI do.
async fn assume(app: &TestApp, role_arn: &str, token: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/", app.base))
        .form(&[
            ("Action", "AssumeRoleWithWebIdentity"),
            ("Version", "2011-06-15"),
            ("RoleArn", role_arn),
            ("RoleSessionName", "ci"),
            ("WebIdentityToken", token),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn tokens_from_a_registered_provider_assume_a_role_and_forged_ones_do_not() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let key = RsaPrivateKey::from_pkcs8_pem(ISSUER_KEY).unwrap();
    let attacker = RsaPrivateKey::from_pkcs8_pem(ATTACKER_KEY).unwrap();
    let (url, fetches) = issuer(&key).await;
    let host = url.trim_start_matches("http://").to_string();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };

    // The provider: created, read back as AWS shows it, its audiences changed.
    let created = root(vec![
        pair("Action", "CreateOpenIDConnectProvider"),
        pair("Url", &url),
        pair("ClientIDList.member.1", AUDIENCE),
        pair(
            "ThumbprintList.member.1",
            "9e99a48a9960b14926bb7f3b02e22da2b0ab7280",
        ),
        pair("Tags.member.1.Key", "team"),
        pair("Tags.member.1.Value", "platform"),
    ])
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    let provider_arn = format!("arn:aws:iam::{account}:oidc-provider/{host}");
    assert_eq!(field(&created.1, "OpenIDConnectProviderArn"), provider_arn);
    let again = root(vec![
        pair("Action", "CreateOpenIDConnectProvider"),
        pair("Url", &url),
        pair("ClientIDList.member.1", AUDIENCE),
    ])
    .await;
    assert_error(
        &again,
        409,
        "EntityAlreadyExists",
        &format!("Provider with url {url} already exists."),
    );
    let plain = root(vec![
        pair("Action", "CreateOpenIDConnectProvider"),
        pair("Url", "http://issuer.example"),
    ])
    .await;
    assert_eq!(plain.0, 400, "{}", plain.1);
    assert_eq!(app.store.oidc_providers().await.unwrap().len(), 1);
    for (action, id) in [
        ("AddClientIDToOpenIDConnectProvider", "second"),
        ("AddClientIDToOpenIDConnectProvider", "third"),
        ("RemoveClientIDFromOpenIDConnectProvider", "third"),
    ] {
        let changed = root(vec![
            pair("Action", action),
            pair("OpenIDConnectProviderArn", &provider_arn),
            pair("ClientID", id),
        ])
        .await;
        assert_eq!(changed.0, 200, "{}", changed.1);
    }
    let got = root(vec![
        pair("Action", "GetOpenIDConnectProvider"),
        pair("OpenIDConnectProviderArn", &provider_arn),
    ])
    .await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(field(&got.1, "Url"), host);
    assert!(
        got.1.contains(&format!(
            "<ClientIDList><member>{AUDIENCE}</member><member>second</member></ClientIDList>"
        )),
        "{}",
        got.1
    );
    assert_eq!(field(&got.1, "Value"), "platform");
    let listed = root(vec![pair("Action", "ListOpenIDConnectProviders")]).await;
    assert_eq!(field(&listed.1, "Arn"), provider_arn);
    let missing = root(vec![
        pair("Action", "GetOpenIDConnectProvider"),
        pair(
            "OpenIDConnectProviderArn",
            &format!("arn:aws:iam::{account}:oidc-provider/elsewhere.example"),
        ),
    ])
    .await;
    assert_eq!(missing.0, 404, "{}", missing.1);
    let tagged = root(vec![
        pair("Action", "TagOpenIDConnectProvider"),
        pair("OpenIDConnectProviderArn", &provider_arn),
        pair("Tags.member.1.Key", "owner"),
        pair("Tags.member.1.Value", "ci"),
    ])
    .await;
    assert_eq!(tagged.0, 200, "{}", tagged.1);
    let tags = root(vec![
        pair("Action", "ListOpenIDConnectProviderTags"),
        pair("OpenIDConnectProviderArn", &provider_arn),
    ])
    .await;
    assert!(
        tags.1.contains("<Key>owner</Key><Value>ci</Value>"),
        "{}",
        tags.1
    );
    let thumbprints = |prints: &[&str]| {
        let mut params = vec![
            pair("Action", "UpdateOpenIDConnectProviderThumbprint"),
            pair("OpenIDConnectProviderArn", &provider_arn),
        ];
        for (n, print) in prints.iter().enumerate() {
            params.push(pair(&format!("ThumbprintList.member.{}", n + 1), print));
        }
        params
    };
    let upper = "ABCDEF0123456789ABCDEF0123456789ABCDEF01";
    assert_eq!(
        field(&root(thumbprints(&[upper; 6])).await.1, "Code"),
        "LimitExceeded"
    );
    assert_eq!(
        field(&root(thumbprints(&["xyz"])).await.1, "Code"),
        "ValidationError"
    );
    let replaced = root(thumbprints(&[upper, upper])).await;
    assert_eq!(replaced.0, 200, "{}", replaced.1);
    let got = root(vec![
        pair("Action", "GetOpenIDConnectProvider"),
        pair("OpenIDConnectProviderArn", &provider_arn),
    ])
    .await;
    assert!(
        got.1.contains(&format!(
            "<ThumbprintList><member>{}</member></ThumbprintList>",
            upper.to_ascii_lowercase()
        )),
        "{}",
        got.1
    );

    // A role for the main branch only, allowed to list users and nothing else.
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider_arn}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{host}:aud":"{AUDIENCE}","{host}:sub":"{MAIN}"}}}}}}]}}"#
    );
    let role = root(vec![
        pair("Action", "CreateRole"),
        pair("RoleName", "Deployer"),
        pair("AssumeRolePolicyDocument", &trust),
    ])
    .await;
    assert_eq!(role.0, 200, "{}", role.1);
    let role_arn = format!("arn:aws:iam::{account}:role/Deployer");
    let allowed = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;
    let put = root(vec![
        pair("Action", "PutRolePolicy"),
        pair("RoleName", "Deployer"),
        pair("PolicyName", "list"),
        pair("PolicyDocument", allowed),
    ])
    .await;
    assert_eq!(put.0, 200, "{}", put.1);
    // A role that trusts only the account, not the provider.
    let account_only = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    root(vec![
        pair("Action", "CreateRole"),
        pair("RoleName", "Internal"),
        pair("AssumeRolePolicyDocument", &account_only),
    ])
    .await;

    let now = app.service.clock().now().unix_timestamp();
    let claims = |sub: &str, aud: &str, exp: i64| serde_json::json!({"iss": url, "sub": sub, "aud": aud, "exp": exp, "iat": now});
    let header = serde_json::json!({"alg": "RS256", "kid": "k1", "typ": "JWT"});
    let good = token(&key, header.clone(), claims(MAIN, AUDIENCE, now + 600));

    let answer = assume(&app, &role_arn, &good).await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert!(answer.1.starts_with("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult><Credentials>"), "{}", answer.1);
    assert_eq!(field(&answer.1, "SubjectFromWebIdentityToken"), MAIN);
    assert_eq!(field(&answer.1, "Audience"), AUDIENCE);
    assert_eq!(field(&answer.1, "Provider"), provider_arn);
    let session_arn = format!("arn:aws:sts::{account}:assumed-role/Deployer/ci");
    assert_eq!(field(&answer.1, "Arn"), session_arn);
    let (session_key, session_secret, session_token) = (
        field(&answer.1, "AccessKeyId"),
        field(&answer.1, "SecretAccessKey"),
        field(&answer.1, "SessionToken"),
    );
    assert!(session_key.starts_with("ASIA"));

    // The credentials act as the role and only as the role.
    let as_session = |service_name: &'static str, params: Vec<(&'static str, &'static str)>| {
        let (app, k, s, t) = (
            &app,
            session_key.clone(),
            session_secret.clone(),
            session_token.clone(),
        );
        async move { call_with_token(app, &k, &s, &t, service_name, &params).await }
    };
    let who = as_session("sts", vec![("Action", "GetCallerIdentity")]).await;
    assert_eq!(who.0, 200, "{}", who.1);
    assert_eq!(field(&who.1, "Arn"), session_arn);
    let users = as_session("iam", vec![("Action", "ListUsers")]).await;
    assert_eq!(users.0, 200, "{}", users.1);
    let create = as_session(
        "iam",
        vec![("Action", "CreateUser"), ("UserName", "intruder")],
    )
    .await;
    assert_error(
        &create,
        403,
        "AccessDenied",
        &format!("User: {session_arn} is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{account}:user/intruder because no identity-based policy allows the iam:CreateUser action"),
    );
    for forbidden in [
        vec![("Action", "CreateAccessKey")],
        vec![("Action", "GetSessionToken")],
        vec![
            ("Action", "ChangePassword"),
            ("OldPassword", "x"),
            ("NewPassword", "y"),
        ],
    ] {
        let service_name = if forbidden[0].1 == "GetSessionToken" {
            "sts"
        } else {
            "iam"
        };
        let refused = as_session(service_name, forbidden.clone()).await;
        assert_ne!(refused.0, 200, "{forbidden:?}: {}", refused.1);
    }
    assert!(app.store.user_by_name("intruder").await.unwrap().is_none());

    // What an attacker tries.
    let denied_text = "Not authorized to perform sts:AssumeRoleWithWebIdentity";
    let other_branch = token(
        &key,
        header.clone(),
        claims("repo:acme/app:ref:refs/heads/feature", AUDIENCE, now + 600),
    );
    assert_error(
        &assume(&app, &role_arn, &other_branch).await,
        403,
        "AccessDenied",
        denied_text,
    );
    assert_error(
        &assume(
            &app,
            &format!("arn:aws:iam::{account}:role/Internal"),
            &good,
        )
        .await,
        403,
        "AccessDenied",
        denied_text,
    );
    assert_error(
        &assume(&app, &format!("arn:aws:iam::{account}:role/Nobody"), &good).await,
        403,
        "AccessDenied",
        denied_text,
    );
    let other_audience = token(
        &key,
        header.clone(),
        claims(MAIN, "someone-else", now + 600),
    );
    assert_error(
        &assume(&app, &role_arn, &other_audience).await,
        400,
        "InvalidIdentityToken",
        "Incorrect token audience",
    );
    let expired = token(&key, header.clone(), claims(MAIN, AUDIENCE, now - 5));
    let answer = assume(&app, &role_arn, &expired).await;
    assert_eq!(answer.0, 400, "{}", answer.1);
    assert_eq!(field(&answer.1, "Code"), "ExpiredTokenException");
    assert!(field(&answer.1, "Message").starts_with("Token expired: current date/time "));
    let forged = token(&attacker, header.clone(), claims(MAIN, AUDIENCE, now + 600));
    assert_error(
        &assume(&app, &role_arn, &forged).await,
        400,
        "InvalidIdentityToken",
        "The token's signature does not match the provider's key.",
    );
    // A claim changed after signing: the signature no longer covers it.
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    parts[1] = URL_SAFE_NO_PAD
        .encode(claims("repo:acme/app:ref:refs/heads/feature", AUDIENCE, now + 600).to_string());
    let tampered = parts.join(".");
    assert_eq!(assume(&app, &role_arn, &tampered).await.0, 400);
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(serde_json::json!({"alg": "none"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims(MAIN, AUDIENCE, now + 600).to_string())
    );
    assert_error(
        &assume(&app, &role_arn, &unsigned).await,
        400,
        "InvalidIdentityToken",
        "The token is signed with none; only RS256, RS384 and RS512 tokens are accepted.",
    );
    let unknown_kid = token(
        &attacker,
        serde_json::json!({"alg": "RS256", "kid": "k2"}),
        claims(MAIN, AUDIENCE, now + 600),
    );
    assert_error(
        &assume(&app, &role_arn, &unknown_kid).await,
        400,
        "InvalidIdentityToken",
        "The token's key id is not among the provider's published keys.",
    );
    let elsewhere = token(
        &key,
        header.clone(),
        serde_json::json!({"iss": format!("{url}/other"), "sub": MAIN, "aud": AUDIENCE, "exp": now + 600}),
    );
    assert_error(
        &assume(&app, &role_arn, &elsewhere).await,
        400,
        "InvalidIdentityToken",
        &format!("No OpenIDConnect provider found in your account for {url}/other"),
    );
    let missing_token = call_api(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        "sts",
        &[
            ("Action", "AssumeRoleWithWebIdentity"),
            ("Version", "2011-06-15"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "ci"),
        ],
    )
    .await;
    assert_error(&missing_token, 400, "ValidationError", "1 validation error detected: Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null");
    // The keys were fetched once for all of these tokens.
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    let refusals = app
        .store
        .audit_log(&store::AuditFilter {
            action: "sts:AssumeRoleWithWebIdentity".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        refusals
            .iter()
            .filter(|r| r.outcome == store::Outcome::Denied)
            .count()
            >= 8,
        "{refusals:?}"
    );
    assert!(refusals.iter().any(|r| r.outcome == store::Outcome::Success
        && r.actor == format!("web identity {MAIN} from {url}")));
    // A refused token's claims are recorded as claims, not as an identity.
    assert!(
        refusals
            .iter()
            .filter(|r| r.outcome == store::Outcome::Denied && !r.actor.is_empty())
            .all(|r| r.actor.starts_with("unverified token claiming ") || r.actor == "anonymous"),
        "{refusals:?}"
    );

    // Once the provider is deleted, its tokens are refused.
    let deleted = root(vec![
        pair("Action", "DeleteOpenIDConnectProvider"),
        pair("OpenIDConnectProviderArn", &provider_arn),
    ])
    .await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    assert_eq!(
        field(&assume(&app, &role_arn, &good).await.1, "Code"),
        "InvalidIdentityToken"
    );
}

/// A private CA and a certificate for `localhost` it signed, made with the openssl
/// command: (CA certificate DER, the server's chain, its key).
fn private_ca() -> (
    Vec<u8>,
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
) {
    use rustls::pki_types::pem::PemObject;
    let dir = std::env::temp_dir().join(format!("portcullis-oidc-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let openssl = |args: &[&str]| {
        let status = std::process::Command::new("openssl")
            .current_dir(&dir)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl is installed");
        assert!(status.success(), "openssl {args:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "1",
                "-subj",
                "/CN=Company CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-subj",
                "/CN=localhost",
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "leaf.ext",
        "-out",
        "cert.pem",
    ]);
    let ca = rustls::pki_types::CertificateDer::from_pem_file(dir.join("ca.pem")).unwrap();
    let leaf = rustls::pki_types::CertificateDer::from_pem_file(dir.join("cert.pem")).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(dir.join("key.pem")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (ca.to_vec(), vec![leaf, ca], key)
}

/// An OpenID Connect issuer over TLS (its chain and key), answering on 127.0.0.1:
/// the port. Each connection is one request, as `Connection: close` says.
async fn tls_issuer(
    signing: &RsaPrivateKey,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let public = signing.to_public_key();
    let jwks = serde_json::json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1",
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    }]});
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, jwks) = (acceptor.clone(), jwks.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && tls.read(&mut byte).await.unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let body = if head.starts_with("GET /.well-known/openid-configuration ") {
                    serde_json::json!({
                        "issuer": format!("https://localhost:{port}"),
                        "jwks_uri": format!("https://localhost:{port}/keys"),
                    })
                } else {
                    jwks
                }
                .to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn a_provider_under_a_private_ca_is_trusted_by_its_thumbprint_and_only_for_its_name() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let signing = RsaPrivateKey::from_pkcs8_pem(ISSUER_KEY).unwrap();
    let (ca, chain, key) = private_ca();
    let port = tls_issuer(&signing, chain, key).await;
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    let url = format!("https://localhost:{port}");
    let wrong = "0".repeat(40);
    let created = root(vec![
        pair("Action", "CreateOpenIDConnectProvider"),
        pair("Url", &url),
        pair("ClientIDList.member.1", AUDIENCE),
        pair("ThumbprintList.member.1", &wrong),
    ])
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    let provider_arn = format!("arn:aws:iam::{account}:oidc-provider/localhost:{port}");
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider_arn}"}},"Action":"sts:AssumeRoleWithWebIdentity"}}]}}"#
    );
    let role = root(vec![
        pair("Action", "CreateRole"),
        pair("RoleName", "CompanyWorkload"),
        pair("AssumeRolePolicyDocument", &trust),
    ])
    .await;
    assert_eq!(role.0, 200, "{}", role.1);
    let role_arn = format!("arn:aws:iam::{account}:role/CompanyWorkload");
    let now = app.service.clock().now().unix_timestamp();
    let header = serde_json::json!({"alg": "RS256", "kid": "k1", "typ": "JWT"});
    let signed_by = |issuer: &str| {
        token(
            &signing,
            header.clone(),
            serde_json::json!({"iss": issuer, "sub": "job", "aud": AUDIENCE, "exp": now + 600, "iat": now}),
        )
    };

    // No public root vouches for the company CA, and the thumbprint is not its.
    let refused = assume(&app, &role_arn, &signed_by(&url)).await;
    assert_eq!(
        field(&refused.1, "Code"),
        "IDPCommunicationError",
        "{}",
        refused.1
    );
    // With the CA's thumbprint (the last certificate the server sends), it is.
    let print = service::provider_tls::thumbprint(&ca);
    let updated = root(vec![
        pair("Action", "UpdateOpenIDConnectProviderThumbprint"),
        pair("OpenIDConnectProviderArn", &provider_arn),
        pair("ThumbprintList.member.1", &print.to_uppercase()),
    ])
    .await;
    assert_eq!(updated.0, 200, "{}", updated.1);
    let answer = assume(&app, &role_arn, &signed_by(&url)).await;
    assert_eq!(answer.0, 200, "{}", answer.1);

    // The pinned CA vouches only for the names in its certificates: the same server
    // reached as 127.0.0.1 (not in the certificate) is refused.
    let by_address = format!("https://127.0.0.1:{port}");
    let created = root(vec![
        pair("Action", "CreateOpenIDConnectProvider"),
        pair("Url", &by_address),
        pair("ClientIDList.member.1", AUDIENCE),
        pair("ThumbprintList.member.1", &print),
    ])
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    let address_arn = format!("arn:aws:iam::{account}:oidc-provider/127.0.0.1:{port}");
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{address_arn}"}},"Action":"sts:AssumeRoleWithWebIdentity"}}]}}"#
    );
    root(vec![
        pair("Action", "UpdateAssumeRolePolicy"),
        pair("RoleName", "CompanyWorkload"),
        pair("PolicyDocument", &trust),
    ])
    .await;
    let refused = assume(&app, &role_arn, &signed_by(&by_address)).await;
    assert_eq!(
        field(&refused.1, "Code"),
        "IDPCommunicationError",
        "{}",
        refused.1
    );
}
