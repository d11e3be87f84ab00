//! The door driven by the Rust AWS SDK (`aws-sdk-iam`, `aws-sdk-sts`) with a custom
//! endpoint, unchanged: its signer, its XML parser and its error model, against the
//! API on a real PostgreSQL (its own database).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;

use aws_credential_types::Credentials;
use aws_sdk_iam::error::ProvideErrorMetadata;
use identity::hashing::PasswordHasher;
use identity::secret_box::SecretBox;
use service::{Clock, Options, Service};

const ROOT_KEY: &str = "AKIASDKTESTROOTKEY01";
const ROOT_SECRET: &str = "sdkRootSecretForTestsOnly000000000000000";

/// The API alone (everything else 404) on a random port, root's key bootstrapped.
async fn serve() -> String {
    let options = store::cluster::test_database().await.unwrap();
    let store = store::Store::connect_with(options, 10).await.unwrap();
    let service = Service::new(
        store,
        PasswordHasher::new(2, 64).unwrap(),
        SecretBox::new(&[("k1".into(), SecretBox::generate_key())]).unwrap(),
        Clock::system(),
        Options::default(),
    );
    service.watch_changes();
    assert!(service
        .bootstrap_root_key(ROOT_KEY, ROOT_SECRET)
        .await
        .unwrap());
    let state = aws_api::ApiState {
        service,
        proxies: Default::default(),
    };
    let app = axum::Router::new()
        .fallback(|| async { http::StatusCode::NOT_FOUND })
        .layer(axum::middleware::from_fn_with_state(
            state,
            aws_api::intercept,
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    base
}

fn iam(base: &str, key: &str, secret: &str, token: Option<String>) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .endpoint_url(base)
        .credentials_provider(Credentials::new(key, secret, token, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

fn sts(base: &str, key: &str, secret: &str, token: Option<String>) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(base)
        .credentials_provider(Credentials::new(key, secret, token, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

#[tokio::test]
async fn the_rust_sdk_creates_attaches_is_refused_and_assumes_a_role() {
    let base = serve().await;
    let root = iam(&base, ROOT_KEY, ROOT_SECRET, None);
    let account = sts(&base, ROOT_KEY, ROOT_SECRET, None)
        .get_caller_identity()
        .send()
        .await
        .unwrap()
        .account
        .unwrap();

    let user = root
        .create_user()
        .user_name("sdk-user")
        .send()
        .await
        .unwrap();
    assert_eq!(
        user.user.unwrap().arn,
        format!("arn:aws:iam::{account}:user/sdk-user")
    );
    let again = root
        .create_user()
        .user_name("SDK-USER")
        .send()
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some("EntityAlreadyExists"));
    assert_eq!(
        again.message(),
        Some("User with name SDK-USER already exists.")
    );
    root.create_group()
        .group_name("sdk-readers")
        .send()
        .await
        .unwrap();
    root.add_user_to_group()
        .group_name("sdk-readers")
        .user_name("sdk-user")
        .send()
        .await
        .unwrap();
    root.attach_group_policy()
        .group_name("sdk-readers")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let key = root
        .create_access_key()
        .user_name("sdk-user")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();

    // As the user: reads allowed by the group, a write refused in AWS's words.
    let as_user = iam(&base, &key.access_key_id, &key.secret_access_key, None);
    let users = as_user.list_users().send().await.unwrap().users;
    assert!(users.iter().any(|u| u.user_name == "sdk-user"));
    let refused = as_user
        .create_user()
        .user_name("sdk-other")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("AccessDenied"));
    assert_eq!(
        refused.message(),
        Some(format!("User: arn:aws:iam::{account}:user/sdk-user is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{account}:user/sdk-other because no identity-based policy allows the iam:CreateUser action").as_str())
    );

    // A role trusted with an external id; the session acts as the role.
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:user/sdk-user"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"sdk-7"}}}}}}]}}"#
    );
    let role = root
        .create_role()
        .role_name("sdk-role")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let user_sts = sts(&base, &key.access_key_id, &key.secret_access_key, None);
    let untrusted = user_sts
        .assume_role()
        .role_arn(&role.arn)
        .role_session_name("sdk")
        .send()
        .await
        .unwrap_err();
    assert_eq!(untrusted.code(), Some("AccessDenied"));
    let assumed = user_sts
        .assume_role()
        .role_arn(&role.arn)
        .role_session_name("sdk")
        .external_id("sdk-7")
        .send()
        .await
        .unwrap();
    let creds = assumed.credentials.unwrap();
    assert!(creds.access_key_id.starts_with("ASIA"));
    let session = sts(
        &base,
        &creds.access_key_id,
        &creds.secret_access_key,
        Some(creds.session_token.clone()),
    );
    let me = session.get_caller_identity().send().await.unwrap();
    assert_eq!(
        me.arn.unwrap(),
        format!("arn:aws:sts::{account}:assumed-role/sdk-role/sdk")
    );
    // The role has no policy: the session may not even list users.
    let as_role = iam(
        &base,
        &creds.access_key_id,
        &creds.secret_access_key,
        Some(creds.session_token),
    );
    let denied = as_role.list_users().send().await.unwrap_err();
    assert_eq!(denied.code(), Some("AccessDenied"));

    // Paginators walk Marker/IsTruncated.
    for n in 0..5 {
        root.create_user()
            .user_name(format!("sdk-page-{n}"))
            .send()
            .await
            .unwrap();
    }
    let pages: Vec<_> = root
        .list_users()
        .max_items(2)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert!(pages.len() >= 3, "{} pages", pages.len());
    let names: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.unwrap().users)
        .map(|u| u.user_name)
        .collect();
    assert_eq!(names.len(), 6, "{names:?}");
}
