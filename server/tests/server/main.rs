//! The HTTP server in-process, over a real PostgreSQL (each test its own database):
//! health checks, CSRF refusal, status codes for script callers, and two server
//! instances sharing sessions through one database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::time::Duration;

use app::ssr::AppState;
use identity::hashing::PasswordHasher;
use identity::secret_box::SecretBox;
use leptos::server_fn::ServerFn;
use service::{Clock, Options, Service, SetupAccess};
use store::Store;

mod api;
mod api_entities;
mod api_saml;
mod api_web_identity;
mod holes;
mod inventory;

/// A running server on a random port.
struct TestApp {
    base: String,
    store: Store,
    service: Service,
}

async fn spawn_app(store: Store, key: &str) -> TestApp {
    spawn_app_with(store, key, &[], Options::default(), Clock::system()).await
}

/// A server that takes `X-Forwarded-For` from proxies in `proxies`.
async fn spawn_app_behind(store: Store, key: &str, proxies: &[&str]) -> TestApp {
    spawn_app_with(store, key, proxies, Options::default(), Clock::system()).await
}

/// A server with its own service options and clock.
async fn spawn_app_with(
    store: Store,
    key: &str,
    proxies: &[&str],
    options: Options,
    clock: Clock,
) -> TestApp {
    spawn_app_inner(
        store,
        key,
        proxies,
        options,
        clock,
        true,
        Default::default(),
    )
    .await
}

/// A server with its own limits on billing imports.
async fn spawn_app_limited(
    store: Store,
    key: &str,
    limits: service::costs::ImportLimits,
) -> TestApp {
    spawn_app_inner(
        store,
        key,
        &[],
        Options::default(),
        Clock::system(),
        true,
        limits,
    )
    .await
}

async fn spawn_app_inner(
    store: Store,
    key: &str,
    proxies: &[&str],
    options: Options,
    clock: Clock,
    listen: bool,
    cost_limits: service::costs::ImportLimits,
) -> TestApp {
    let mut leptos_options = leptos::prelude::get_configuration(None)
        .unwrap()
        .leptos_options;
    leptos_options.output_name = "portcullis".into();
    let service = Service::new(
        store.clone(),
        PasswordHasher::new(2, 64).unwrap(),
        SecretBox::new(&[("k1".into(), key.into())]).unwrap(),
        clock,
        Options {
            sign_in_rate: if options.sign_in_rate == Options::default().sign_in_rate {
                1000
            } else {
                options.sign_in_rate
            },
            ..options
        },
    );
    if listen {
        service.watch_changes();
    }
    let state = AppState {
        cost_limits,
        leptos_options,
        service: service.clone(),
        proxies: service::proxies::TrustedProxies::new(
            proxies
                .iter()
                .filter_map(|p| policy::condition::Cidr::parse(p))
                .collect(),
        ),
    };
    let router = portcullis::serve::router(false, state).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp {
        base: format!("http://{addr}"),
        store,
        service,
    }
}

/// A server that never hears change announcements (its listener is not started).
async fn spawn_app_deaf(store: Store, key: &str) -> TestApp {
    spawn_app_inner(
        store,
        key,
        &[],
        Options::default(),
        Clock::system(),
        false,
        Default::default(),
    )
    .await
}

async fn fresh_store() -> Store {
    Store::connect_with(store::cluster::test_database().await.unwrap(), 10)
        .await
        .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    /// Calls a server function as a script would (JSON answer), from our own origin.
    async fn call(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.call_via(client, path, form, None).await
    }

    /// [`TestApp::call`] through a proxy that reports `forwarded_for` as the client.
    async fn call_via(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
        forwarded_for: Option<&str>,
    ) -> reqwest::Response {
        let mut request = client
            .post(format!("{}{path}", self.base))
            .header("Origin", &self.base)
            .header("Accept", "application/json");
        if let Some(address) = forwarded_for {
            request = request.header("X-Forwarded-For", address);
        }
        request.form(form).send().await.unwrap()
    }
}

/// A server function that succeeded answers 200, or redirects a form.
#[track_caller]
fn assert_done(response: &reqwest::Response) {
    let status = response.status();
    assert!(
        status.is_success() || status.is_redirection(),
        "expected success, got {status}"
    );
}

const ROOT_PASSWORD: &str = "Root-Password-2026";

async fn set_up(app: &TestApp, client: &reqwest::Client) {
    let response = app
        .call(
            client,
            app::api::auth::SetUpAccount::PATH,
            &[
                ("email", "root@example.com"),
                ("password", ROOT_PASSWORD),
                ("confirm", ROOT_PASSWORD),
            ],
        )
        .await;
    assert_done(&response);
}

#[tokio::test]
async fn health_checks_answer() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let c = client();
    assert_eq!(
        c.get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    let ready = c.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let response = client()
        .post(format!(
            "{}{}",
            app.base,
            app::api::auth::SetUpAccount::PATH
        ))
        .header("Origin", "https://evil.example")
        .form(&[
            ("email", "root@example.com"),
            ("password", ROOT_PASSWORD),
            ("confirm", ROOT_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // Nothing was created.
    assert_eq!(app.store.account_id().await.unwrap(), None);
    // No Origin and no Referer: refused too.
    let bare = client()
        .post(format!("{}{}", app.base, app::api::auth::SignIn::PATH))
        .form(&[
            ("identity", "root@example.com"),
            ("password", ROOT_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 403);
}

/// A server function path, its form, the expected status and a word the answer names.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], u16, &'a str);

#[tokio::test]
async fn bad_input_gets_a_4xx_with_the_field_never_a_500() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let c = client();
    set_up(&app, &c).await;
    let cases: &[Case] = &[
        (
            app::api::users::CreateUser::PATH,
            &[
                ("name", "bad name"),
                ("password_mode", "none"),
                ("password", ""),
                ("tags", ""),
            ],
            400,
            "name",
        ),
        (
            app::api::users::CreateUser::PATH,
            &[
                ("name", &"x".repeat(65)),
                ("password_mode", "none"),
                ("password", ""),
                ("tags", ""),
            ],
            400,
            "name",
        ),
        (
            app::api::users::CreateUser::PATH,
            &[
                ("name", "eve"),
                ("password_mode", "custom"),
                ("password", "short"),
                ("tags", ""),
            ],
            400,
            "password",
        ),
        (
            app::api::users::CreateUser::PATH,
            &[
                ("name", "eve"),
                ("password_mode", "none"),
                ("password", ""),
                ("tags", "no equals sign"),
            ],
            400,
            "tags",
        ),
        (
            app::api::groups::CreateGroup::PATH,
            &[("name", "")],
            400,
            "name",
        ),
        (
            app::api::groups::DeleteGroup::PATH,
            &[("name", "nope"), ("confirm", "nope")],
            404,
            "",
        ),
    ];
    for (path, form, status, field) in cases {
        let response = app.call(&c, path, form).await;
        assert_eq!(response.status().as_u16(), *status, "{path} {form:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains(field), "{body}");
    }
    // Duplicates name the field too, and write nothing.
    let ok = app
        .call(
            &c,
            app::api::users::CreateUser::PATH,
            &[
                ("name", "eve"),
                ("password_mode", "none"),
                ("password", ""),
                ("tags", ""),
            ],
        )
        .await;
    assert_done(&ok);
    let dup = app
        .call(
            &c,
            app::api::users::CreateUser::PATH,
            &[
                ("name", "EVE"),
                ("password_mode", "none"),
                ("password", ""),
                ("tags", ""),
            ],
        )
        .await;
    assert_eq!(dup.status(), 400);
    assert!(dup.text().await.unwrap().contains("already exists"));
    assert_eq!(
        app.store
            .list_users(&store::UserQuery {
                per_page: 10,
                ..Default::default()
            })
            .await
            .unwrap()
            .total,
        1
    );
    // Signed out: 401, not 500.
    let anonymous = app
        .call(
            &client(),
            app::api::groups::CreateGroup::PATH,
            &[("name", "ops")],
        )
        .await;
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn two_servers_share_sessions_through_postgresql() {
    let store = fresh_store().await;
    let key = SecretBox::generate_key();
    let a = spawn_app(store.clone(), &key).await;
    let b = spawn_app(store, &key).await;
    let c = client();
    set_up(&a, &c).await;
    // The session cookie from server A is valid on server B.
    let me = b.call(&c, app::api::auth::Whoami::PATH, &[]).await;
    assert_eq!(me.status(), 200);
    let body = me.text().await.unwrap();
    assert!(body.contains("\"name\":\"root\""), "{body}");
    // Signing out on B ends the session on A.
    let out = b.call(&c, app::api::auth::SignOut::PATH, &[]).await;
    assert_done(&out);
    let after = a.call(&c, app::api::auth::Whoami::PATH, &[]).await;
    assert_eq!(after.text().await.unwrap(), "null");
    // The session id changes at every sign-in, even for a browser that has one.
    let sid = |r: &reqwest::Response| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.strip_prefix("portcullis.sid=")
                    .map(|rest| rest.split(';').next().unwrap_or_default().to_string())
            })
    };
    let browser = client();
    let form = [
        ("identity", "root@example.com"),
        ("password", ROOT_PASSWORD),
    ];
    let first = a.call(&browser, app::api::auth::SignIn::PATH, &form).await;
    let second = a.call(&browser, app::api::auth::SignIn::PATH, &form).await;
    let (first, second) = (sid(&first).unwrap(), sid(&second).unwrap());
    assert!(!first.is_empty());
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_permission_change_on_one_server_reaches_the_other_within_a_second() {
    let store = fresh_store().await;
    let key = SecretBox::generate_key();
    let a = spawn_app(store.clone(), &key).await;
    let b = spawn_app(store, &key).await;
    let root = client();
    set_up(&a, &root).await;
    let password = "Grace-Password-1234";
    let created = a
        .call(
            &root,
            app::api::users::CreateUser::PATH,
            &[
                ("name", "grace"),
                ("password_mode", "custom"),
                ("password", password),
                ("tags", ""),
            ],
        )
        .await;
    assert_done(&created);
    let grace = client();
    let signed = b
        .call(
            &grace,
            app::api::auth::SignIn::PATH,
            &[("identity", "grace"), ("password", password)],
        )
        .await;
    assert_done(&signed);
    let list = [
        ("search", ""),
        ("sort", "name"),
        ("descending", "false"),
        ("page", "0"),
    ];
    // Default deny, and the denial is now cached on B.
    assert_eq!(
        b.call(&grace, app::api::users::ListUsers::PATH, &list)
            .await
            .status(),
        403
    );
    let attach = a
        .call(
            &root,
            app::api::permissions::AttachPolicy::PATH,
            &[
                ("holder", "user"),
                ("name", "grace"),
                ("policy_arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
                ("back", "/users/grace"),
            ],
        )
        .await;
    assert_done(&attach);
    let started = std::time::Instant::now();
    loop {
        let status = b
            .call(&grace, app::api::users::ListUsers::PATH, &list)
            .await
            .status();
        if status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "server B still refuses after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Read-only: creating is still refused.
    let refused = b
        .call(
            &grace,
            app::api::groups::CreateGroup::PATH,
            &[("name", "ops")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("iam:CreateGroup"));
}

#[tokio::test]
async fn sign_in_ranges_use_the_forwarded_address_only_from_trusted_proxies() {
    let store = fresh_store().await;
    let key = SecretBox::generate_key();
    let proxied = spawn_app_behind(store.clone(), &key, &["127.0.0.0/8"]).await;
    let direct = spawn_app(store.clone(), &key).await;
    let root = client();
    set_up(&proxied, &root).await;
    let settings = |ranges: &'static str| [("sign_in_ranges", ranges)];
    let update = app::api::settings::UpdateSignInRanges::PATH;
    // An admin cannot lock themselves out; a malformed range names itself.
    let refused = proxied
        .call_via(
            &root,
            update,
            &settings("198.51.100.0/24"),
            Some("203.0.113.5"),
        )
        .await;
    assert_eq!(refused.status(), 400);
    let body = refused.text().await.unwrap();
    assert!(body.contains("Your own address, 203.0.113.5"), "{body}");
    let bad = proxied
        .call_via(
            &root,
            update,
            &settings("198.51.100.0/33"),
            Some("198.51.100.9"),
        )
        .await;
    assert!(bad.text().await.unwrap().contains("198.51.100.0/33"));
    let saved = proxied
        .call_via(
            &root,
            update,
            &settings("198.51.100.0/24"),
            Some("198.51.100.9"),
        )
        .await;
    assert_done(&saved);

    let root_form = [
        ("identity", "root@example.com"),
        ("password", ROOT_PASSWORD),
    ];
    let outside = proxied
        .call_via(
            &client(),
            app::api::auth::SignIn::PATH,
            &root_form,
            Some("203.0.113.5"),
        )
        .await;
    assert_eq!(outside.status(), 403);
    assert!(outside.text().await.unwrap().contains("(203.0.113.5)"));
    let inside = proxied
        .call_via(
            &client(),
            app::api::auth::SignIn::PATH,
            &root_form,
            Some("198.51.100.20"),
        )
        .await;
    assert_done(&inside);
    // Without trusted proxies the header is the client's own claim: ignored.
    let spoofed = direct
        .call_via(
            &client(),
            app::api::auth::SignIn::PATH,
            &root_form,
            Some("198.51.100.20"),
        )
        .await;
    assert_eq!(spoofed.status(), 403);
    let log = store
        .audit_log(&store::AuditFilter {
            action: "ConsoleLogin".into(),
            outcome: Some(store::Outcome::Denied),
            ..Default::default()
        })
        .await
        .unwrap();
    let sources: Vec<&str> = log.iter().map(|e| e.source_ip.as_str()).collect();
    assert_eq!(sources, vec!["127.0.0.1", "203.0.113.5"], "{log:?}");
}

#[tokio::test]
async fn a_new_session_never_takes_an_existing_id() {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::session_store::SessionStore;
    let store = fresh_store().await;
    let sessions = portcullis::sessions::Sessions::open(store.pool().clone())
        .await
        .unwrap();
    let expiry = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let mut first = Record {
        id: Id::default(),
        data: [("who".to_string(), serde_json::json!("first"))].into(),
        expiry_date: expiry,
    };
    sessions.create(&mut first).await.unwrap();
    let mut second = Record {
        id: first.id,
        data: [("who".to_string(), serde_json::json!("second"))].into(),
        expiry_date: expiry,
    };
    sessions.create(&mut second).await.unwrap();
    assert_ne!(second.id, first.id, "a clashing id is replaced");
    let kept = sessions.load(&first.id).await.unwrap().unwrap();
    assert_eq!(kept.data["who"], "first");
    let created = sessions.load(&second.id).await.unwrap().unwrap();
    assert_eq!(created.data["who"], "second");
}

/// Polls `path` as `client` on `app` until it answers `expected`, failing after a
/// second: how long a change may take to reach another server process.
async fn await_status(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
    expected: u16,
) {
    let started = std::time::Instant::now();
    loop {
        let status = app.call(client, path, form).await.status();
        if status == expected {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "still {status} instead of {expected} after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn roles_given_and_assumed_apply_across_servers_and_trust_needs_the_external_id() {
    let store = fresh_store().await;
    let key = SecretBox::generate_key();
    let a = spawn_app(store.clone(), &key).await;
    let b = spawn_app(store, &key).await;
    let root = client();
    set_up(&a, &root).await;
    let password = "Ivy-Password-12345";
    for (path, form) in [
        (
            app::api::users::CreateUser::PATH,
            vec![
                ("name", "ivy"),
                ("password_mode", "custom"),
                ("password", password),
                ("tags", ""),
            ],
        ),
        (app::api::groups::CreateGroup::PATH, vec![("name", "ops")]),
        (
            app::api::groups::AddMember::PATH,
            vec![("group", "ops"), ("user", "ivy"), ("back", "/")],
        ),
        (
            app::api::roles::CreateRole::PATH,
            vec![
                ("name", "Reader"),
                ("description", ""),
                ("trusted_users", "ivy"),
                ("trusted_accounts", ""),
                ("external_id", "x-123"),
                ("max_session_hours", "1"),
                ("trust_policy", ""),
            ],
        ),
        (
            app::api::permissions::AttachPolicy::PATH,
            vec![
                ("holder", "role"),
                ("name", "Reader"),
                ("policy_arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
                ("back", "/"),
            ],
        ),
    ] {
        let response = a.call(&root, path, &form).await;
        assert_done(&response);
    }
    let ivy = client();
    assert_done(
        &b.call(
            &ivy,
            app::api::auth::SignIn::PATH,
            &[("identity", "ivy"), ("password", password)],
        )
        .await,
    );
    let list = [
        ("search", ""),
        ("sort", "name"),
        ("descending", "false"),
        ("page", "0"),
    ];
    let users = app::api::users::ListUsers::PATH;
    await_status(&b, &ivy, users, &list, 403).await;

    // Given to ivy's group on A, the role reaches ivy on B within a second; taken
    // back, it leaves as fast.
    let grant = |give: &'static str| {
        [
            ("holder", "group"),
            ("name", "ops"),
            ("role", "Reader"),
            ("give", give),
            ("back", "/"),
        ]
    };
    assert_done(
        &a.call(
            &root,
            app::api::permissions::GrantRole::PATH,
            &grant("true"),
        )
        .await,
    );
    await_status(&b, &ivy, users, &list, 200).await;
    assert_done(
        &a.call(
            &root,
            app::api::permissions::GrantRole::PATH,
            &grant("false"),
        )
        .await,
    );
    await_status(&b, &ivy, users, &list, 403).await;

    // The trust policy admits ivy only with the external ID; root never switches.
    let switch = app::api::roles::SwitchRole::PATH;
    let with_id = |id: &'static str| {
        [
            ("role", "Reader"),
            ("external_id", id),
            ("duration_hours", "1"),
        ]
    };
    let refused = b.call(&ivy, switch, &with_id("")).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(b.call(&ivy, switch, &with_id("x-999")).await.status(), 403);
    let unknown = b
        .call(
            &ivy,
            switch,
            &[
                ("role", "Nope"),
                ("external_id", "x-123"),
                ("duration_hours", "1"),
            ],
        )
        .await;
    assert_eq!(
        unknown.status(),
        403,
        "an unknown role answers like a refusal"
    );
    let too_long = b
        .call(
            &ivy,
            switch,
            &[
                ("role", "Reader"),
                ("external_id", "x-123"),
                ("duration_hours", "2"),
            ],
        )
        .await;
    assert_eq!(too_long.status(), 400);
    assert!(too_long.text().await.unwrap().contains("at most 1 hours"));
    assert_eq!(a.call(&root, switch, &with_id("x-123")).await.status(), 400);
    assert_done(&b.call(&ivy, switch, &with_id("x-123")).await);
    await_status(&b, &ivy, users, &list, 200).await;
    // Read-only as the role: a change is refused, and audited as the role session.
    let create = a
        .call(&ivy, app::api::groups::CreateGroup::PATH, &[("name", "x")])
        .await;
    assert_eq!(create.status(), 403);
    assert!(create
        .text()
        .await
        .unwrap()
        .contains("no policy of the role allows it"));

    // Editing the role on A changes the running session on B.
    assert_done(
        &a.call(
            &root,
            app::api::permissions::DetachPolicy::PATH,
            &[
                ("holder", "role"),
                ("name", "Reader"),
                ("policy_arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
                ("back", "/"),
            ],
        )
        .await,
    );
    await_status(&b, &ivy, users, &list, 403).await;
    assert_done(&b.call(&ivy, app::api::roles::SwitchBack::PATH, &[]).await);

    // A trust policy that names the account leaves it to the user's own policies:
    // a group's inline policy admits its members.
    assert_done(
        &a.call(
            &root,
            app::api::roles::CreateRole::PATH,
            &[
                ("name", "OpsRole"),
                ("description", ""),
                ("trusted_users", ""),
                ("trusted_accounts", ""),
                ("external_id", ""),
                ("max_session_hours", "1"),
                ("trust_policy", ""),
            ],
        )
        .await,
    );
    let ops = [
        ("role", "OpsRole"),
        ("external_id", ""),
        ("duration_hours", "1"),
    ];
    assert_eq!(b.call(&ivy, switch, &ops).await.status(), 403);
    assert_done(
        &a.call(
            &root,
            app::api::permissions::PutInlinePolicy::PATH,
            &[
                ("holder", "group"),
                ("name", "ops"),
                ("policy_name", "AssumeOps"),
                (
                    "document",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/OpsRole"}]}"#,
                ),
                ("back", "/"),
            ],
        )
        .await,
    );
    assert_done(&b.call(&ivy, switch, &ops).await);
    assert_done(&b.call(&ivy, app::api::roles::SwitchBack::PATH, &[]).await);
    let denied = a
        .store
        .audit_log(&store::AuditFilter {
            actor: "assumed-role/Reader/ivy".into(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(denied
        .iter()
        .any(|r| r.action == "iam:CreateGroup" && r.outcome == store::Outcome::Denied));
}

#[tokio::test]
async fn a_deny_outside_an_ip_range_and_over_plain_http_applies_to_console_requests() {
    let store = fresh_store().await;
    let key = SecretBox::generate_key();
    let app = spawn_app_behind(store, &key, &["127.0.0.0/8"]).await;
    let root = client();
    set_up(&app, &root).await;
    let password = "Olga-Password-12345";
    let policy = r#"{
      "Version": "2012-10-17",
      "Statement": [
        {"Sid": "People", "Effect": "Allow", "Action": ["iam:ListUsers", "iam:ListGroups"], "Resource": "*"},
        {"Sid": "OfficeOnly", "Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
        {"Sid": "HttpsForGroups", "Effect": "Deny", "Action": "iam:ListGroups", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
      ]
    }"#;
    for (path, form) in [
        (
            app::api::users::CreateUser::PATH,
            vec![
                ("name", "olga"),
                ("password_mode", "custom"),
                ("password", password),
                ("tags", ""),
            ],
        ),
        (
            app::api::policies::CreatePolicy::PATH,
            vec![
                ("name", "Office"),
                ("description", ""),
                ("document", policy),
            ],
        ),
    ] {
        assert_done(&app.call(&root, path, &form).await);
    }
    let attach = app
        .call(
            &root,
            app::api::permissions::AttachPolicy::PATH,
            &[
                ("holder", "user"),
                ("name", "olga"),
                (
                    "policy_arn",
                    &format!("{}:policy/Office", account_arn(&app).await),
                ),
                ("back", "/"),
            ],
        )
        .await;
    assert_done(&attach);
    let olga = client();
    assert_done(
        &app.call_via(
            &olga,
            app::api::auth::SignIn::PATH,
            &[("identity", "olga"), ("password", password)],
            Some("10.1.2.3"),
        )
        .await,
    );
    let list = [
        ("search", ""),
        ("sort", "name"),
        ("descending", "false"),
        ("page", "0"),
    ];
    let users = app::api::users::ListUsers::PATH;
    assert_eq!(
        app.call_via(&olga, users, &list, Some("10.1.2.3"))
            .await
            .status(),
        200
    );
    let outside = app.call_via(&olga, users, &list, Some("203.0.113.9")).await;
    assert_eq!(outside.status(), 403);
    assert!(outside
        .text()
        .await
        .unwrap()
        .contains("explicitly denied by statement OfficeOnly of Office"));

    // aws:SecureTransport is true only when a trusted proxy says the client used TLS.
    let groups = app::api::groups::ListGroups::PATH;
    let plain = app.call_via(&olga, groups, &[], Some("10.1.2.3")).await;
    assert_eq!(plain.status(), 403);
    let tls = olga
        .post(format!("{}{groups}", app.base))
        .header("Origin", &app.base)
        .header("Accept", "application/json")
        .header("X-Forwarded-For", "10.1.2.3")
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(tls.status(), 200);
}

/// `arn:aws:iam::ACCOUNT` of the app's account.
async fn account_arn(app: &TestApp) -> String {
    let account = app.store.account_id().await.unwrap().unwrap();
    format!("arn:aws:iam::{account}")
}
