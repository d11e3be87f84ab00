//! The holes a review found, each tried as an attacker would through the console's
//! own endpoints: other spellings of a name, repeated guesses, stale sessions,
//! missing context keys, own credentials from a role session, crafted hosts.

use std::time::Duration;

use leptos::server_fn::ServerFn;
use service::{ManualClock, Options};

use super::*;

const USERS: &str = app::api::users::ListUsers::PATH;
const LIST: [(&str, &str); 4] = [
    ("search", ""),
    ("sort", "name"),
    ("descending", "false"),
    ("page", "0"),
];

/// Creates a user with a console password (no reset required).
async fn user(app: &TestApp, root: &reqwest::Client, name: &str, password: &str) {
    let created = app
        .call(
            root,
            app::api::users::CreateUser::PATH,
            &[
                ("name", name),
                ("password_mode", "custom"),
                ("password", password),
                ("tags", ""),
            ],
        )
        .await;
    assert_done(&created);
}

/// Embeds `document` in the user `name` as the inline policy `policy`.
async fn inline(app: &TestApp, root: &reqwest::Client, name: &str, policy: &str, document: &str) {
    let put = app
        .call(
            root,
            app::api::permissions::PutInlinePolicy::PATH,
            &[
                ("holder", "user"),
                ("name", name),
                ("policy_name", policy),
                ("document", document),
                ("back", "/"),
            ],
        )
        .await;
    assert_done(&put);
}

async fn attach(app: &TestApp, root: &reqwest::Client, holder: &str, name: &str, arn: &str) {
    let attached = app
        .call(
            root,
            app::api::permissions::AttachPolicy::PATH,
            &[
                ("holder", holder),
                ("name", name),
                ("policy_arn", arn),
                ("back", "/"),
            ],
        )
        .await;
    assert_done(&attached);
}

/// A browser signed in as `name`.
async fn signed_in(app: &TestApp, name: &str, password: &str) -> reqwest::Client {
    let browser = client();
    let signed = app
        .call(
            &browser,
            app::api::auth::SignIn::PATH,
            &[("identity", name), ("password", password)],
        )
        .await;
    assert_done(&signed);
    browser
}

/// Whether `browser` is still signed in.
async fn still_signed_in(app: &TestApp, browser: &reqwest::Client) -> bool {
    let me = app.call(browser, app::api::auth::Whoami::PATH, &[]).await;
    me.text().await.unwrap() != "null"
}

async fn status(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> u16 {
    app.call(browser, path, form).await.status().as_u16()
}

/// Everything in IAM, except what `deny` (statements) takes away.
fn admin_except(deny: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:*","sts:*"],"Resource":"*"}},{deny}]}}"#
    )
}

#[tokio::test]
async fn another_spelling_of_a_name_does_not_get_around_an_explicit_deny() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let root = client();
    set_up(&app, &root).await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let password = "Mallory-Password-123";
    user(&app, &root, "mallory", password).await;
    user(&app, &root, "alice", "Alice-Password-12345").await;
    // The boundary policy, its guard, and mallory's own boundary.
    let boundary_doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","sts:*"],"Resource":"*"}]}"#;
    assert_done(
        &app.call(
            &root,
            app::api::policies::CreatePolicy::PATH,
            &[
                ("name", "PermissionsBoundary"),
                ("description", ""),
                ("document", boundary_doc),
            ],
        )
        .await,
    );
    let boundary_arn = format!("arn:aws:iam::{account}:policy/PermissionsBoundary");
    assert_done(
        &app.call(
            &root,
            app::api::permissions::SetBoundary::PATH,
            &[
                ("holder", "user"),
                ("name", "mallory"),
                ("policy_arn", &boundary_arn),
                ("back", "/"),
            ],
        )
        .await,
    );
    assert_done(
        &app.call(
            &root,
            app::api::groups::CreateGroup::PATH,
            &[("name", "Admins")],
        )
        .await,
    );
    assert_done(
        &app.call(
            &root,
            app::api::groups::CreateGroup::PATH,
            &[("name", "Ops")],
        )
        .await,
    );
    let deny = format!(
        r#"{{"Effect":"Deny","Action":["iam:CreatePolicyVersion","iam:SetDefaultPolicyVersion"],"Resource":"arn:aws:iam::{account}:policy/PermissionsBoundary"}},
           {{"Effect":"Deny","Action":"iam:DeleteUserPermissionsBoundary","Resource":"arn:aws:iam::{account}:user/mallory"}},
           {{"Effect":"Deny","Action":["iam:UpdateLoginProfile","iam:DeleteUser"],"Resource":"arn:aws:iam::{account}:user/alice"}},
           {{"Effect":"Deny","Action":"iam:AddUserToGroup","Resource":"arn:aws:iam::{account}:group/Admins"}},
           {{"Effect":"Deny","Action":"iam:UpdateGroup","Resource":"arn:aws:iam::{account}:group/Protected*"}}"#
    );
    inline(&app, &root, "mallory", "Guardrails", &admin_except(&deny)).await;
    let mallory = signed_in(&app, "mallory", password).await;

    let wide_open =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    for name in [
        "PermissionsBoundary",
        "permissionsboundary",
        "PERMISSIONSBOUNDARY",
    ] {
        let replaced = app
            .call(
                &mallory,
                app::api::policies::CreatePolicyVersion::PATH,
                &[
                    ("name", name),
                    ("document", wide_open),
                    ("set_as_default", "on"),
                ],
            )
            .await;
        assert_eq!(replaced.status(), 403, "CreatePolicyVersion on {name}");
    }
    for name in ["mallory", "MALLORY", "Mallory"] {
        let removed = status(
            &app,
            &mallory,
            app::api::permissions::SetBoundary::PATH,
            &[
                ("holder", "user"),
                ("name", name),
                ("policy_arn", ""),
                ("back", "/"),
            ],
        )
        .await;
        assert_eq!(removed, 403, "DeleteUserPermissionsBoundary on {name}");
    }
    for name in ["ALICE", "Alice"] {
        let reset = status(
            &app,
            &mallory,
            app::api::users::ResetUserPassword::PATH,
            &[
                ("name", name),
                ("password_mode", "generated"),
                ("password", ""),
            ],
        )
        .await;
        assert_eq!(reset, 403, "UpdateLoginProfile on {name}");
        let deleted = status(
            &app,
            &mallory,
            app::api::users::DeleteUser::PATH,
            &[("name", name), ("confirm", name)],
        )
        .await;
        assert_eq!(deleted, 403, "DeleteUser on {name}");
    }
    let joined = status(
        &app,
        &mallory,
        app::api::groups::AddMember::PATH,
        &[("group", "admins"), ("user", "mallory"), ("back", "/")],
    )
    .await;
    assert_eq!(joined, 403, "AddUserToGroup on admins");
    // A rename is checked on both names, as AWS does.
    let renamed = status(
        &app,
        &mallory,
        app::api::groups::RenameGroup::PATH,
        &[("name", "ops"), ("new_name", "Protected-ops")],
    )
    .await;
    assert_eq!(renamed, 403, "UpdateGroup onto a denied name");

    // Nothing changed.
    let (policy, versions) = app
        .store
        .customer_policy("PermissionsBoundary")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((policy.default_version, versions.len()), (1, 1));
    let mallory_row = app.store.user_by_name("mallory").await.unwrap().unwrap();
    assert_eq!(
        mallory_row.boundary_arn.as_deref(),
        Some(boundary_arn.as_str())
    );
    assert!(app.store.user_by_name("alice").await.unwrap().is_some());
    assert!(app
        .store
        .group("Admins")
        .await
        .unwrap()
        .unwrap()
        .members
        .is_empty());
    assert!(app.store.group("Ops").await.unwrap().is_some());
    // The refusals name the stored ARN, whatever was typed.
    let refusals = app
        .store
        .audit_log(&store::AuditFilter {
            action: "iam:CreatePolicyVersion".into(),
            outcome: Some(store::Outcome::Denied),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(refusals.len(), 3);
    assert!(
        refusals.iter().all(|r| r.target == boundary_arn),
        "{refusals:?}"
    );
}

/// The TOTP seed of `name`, opened with the test's key.
async fn seed(app: &TestApp, key: &str, name: &str) -> Vec<u8> {
    let user = app.store.user_by_name(name).await.unwrap().unwrap();
    SecretBox::new(&[("k1".into(), key.into())])
        .unwrap()
        .open(&identity::secret_box::Sealed {
            key_id: user.mfa_key_id.unwrap(),
            nonce: user.mfa_nonce.unwrap(),
            ciphertext: user.mfa_ciphertext.unwrap(),
        })
        .unwrap()
}

pub(super) fn code(seed: &[u8], clock: &ManualClock) -> String {
    let now = clock.clock().now().unix_timestamp() as u64;
    identity::totp::code_at(seed, now).unwrap()
}

/// A user with MFA on, enrolled through the console; the clock moves past the step
/// the enrolment used.
pub(super) async fn user_with_mfa(
    app: &TestApp,
    root: &reqwest::Client,
    key: &str,
    clock: &ManualClock,
    name: &str,
    password: &str,
) -> Vec<u8> {
    user(app, root, name, password).await;
    let browser = signed_in(app, name, password).await;
    assert_done(
        &app.call(&browser, app::api::credentials::BeginMfa::PATH, &[])
            .await,
    );
    let seed = seed(app, key, name).await;
    assert_done(
        &app.call(
            &browser,
            app::api::credentials::ConfirmMfa::PATH,
            &[("code", &code(&seed, clock))],
        )
        .await,
    );
    clock.advance(time::Duration::seconds(30));
    seed
}

fn manual_clock() -> ManualClock {
    ManualClock::starting_at(time::OffsetDateTime::now_utc())
}

#[tokio::test]
async fn wrong_codes_end_the_pending_session_and_feed_the_lockout() {
    let key = SecretBox::generate_key();
    let clock = manual_clock();
    let app = spawn_app_with(
        fresh_store().await,
        &key,
        &[],
        Options::default(),
        clock.clock(),
    )
    .await;
    let root = client();
    set_up(&app, &root).await;
    let password = "Tom-Password-123456";
    let seed = user_with_mfa(&app, &root, &key, &clock, "tom", password).await;
    let verify = app::api::auth::VerifyMfa::PATH;
    let wrong = |right: &str| {
        if right == "000000" {
            "111111".to_string()
        } else {
            "000000".to_string()
        }
    };

    // Three wrong codes end the pending session: a fourth guess is not even heard.
    let attacker = signed_in(&app, "tom", password).await;
    for _ in 0..3 {
        let guess = wrong(&code(&seed, &clock));
        let answer = app.call(&attacker, verify, &[("code", &guess)]).await;
        assert!(answer.status().is_client_error(), "{}", answer.status());
    }
    let right = app
        .call(&attacker, verify, &[("code", &code(&seed, &clock))])
        .await;
    assert_eq!(
        right.status(),
        401,
        "the pending session ended after three wrong codes"
    );

    // The password being right again does not wipe the count: with the default
    // threshold of five, two more wrong codes lock the account.
    let again = signed_in(&app, "tom", password).await;
    for _ in 0..2 {
        let guess = wrong(&code(&seed, &clock));
        assert!(app
            .call(&again, verify, &[("code", &guess)])
            .await
            .status()
            .is_client_error());
    }
    // Locked now: the right password is refused.
    let locked = app
        .call(
            &client(),
            app::api::auth::SignIn::PATH,
            &[("identity", "tom"), ("password", password)],
        )
        .await;
    assert_eq!(locked.status(), 400);
    let tom = app.store.user_by_name("tom").await.unwrap().unwrap();
    assert!(tom.locked_until.is_some(), "wrong codes feed the lockout");
    let log = app
        .store
        .audit_log(&store::AuditFilter {
            action: "signin:MFAVerify".into(),
            outcome: Some(store::Outcome::Failure),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 5, "every wrong code is audited");
    assert!(log.iter().any(|r| r.detail.contains("account locked")));

    // After the lock runs out, the right password and code sign tom in.
    clock.advance(time::Duration::minutes(16));
    let later = signed_in(&app, "tom", password).await;
    assert_done(
        &app.call(&later, verify, &[("code", &code(&seed, &clock))])
            .await,
    );
    assert!(still_signed_in(&app, &later).await);
}

#[tokio::test]
async fn guessing_the_code_to_remove_mfa_or_the_current_password_feeds_the_lockout() {
    let key = SecretBox::generate_key();
    let clock = manual_clock();
    let app = spawn_app_with(
        fresh_store().await,
        &key,
        &[],
        Options::default(),
        clock.clock(),
    )
    .await;
    let root = client();
    set_up(&app, &root).await;
    let password = "Uma-Password-1234567";
    let seed = user_with_mfa(&app, &root, &key, &clock, "uma", password).await;
    // A stolen session (signed in with password and code).
    let stolen = signed_in(&app, "uma", password).await;
    assert_done(
        &app.call(
            &stolen,
            app::api::auth::VerifyMfa::PATH,
            &[("code", &code(&seed, &clock))],
        )
        .await,
    );
    let mut answers = Vec::new();
    for guess in ["000001", "000002", "000003", "000004", "000005"] {
        let answer = app
            .call(
                &stolen,
                app::api::credentials::RemoveMfa::PATH,
                &[("code", guess)],
            )
            .await;
        answers.push(answer.status().as_u16());
    }
    assert_eq!(
        answers,
        vec![400, 400, 400, 400, 429],
        "the fifth guess locks"
    );
    let uma = app.store.user_by_name("uma").await.unwrap().unwrap();
    assert!(uma.mfa_enabled && uma.locked_until.is_some());
    // Locked: the right code is refused too.
    clock.advance(time::Duration::seconds(30));
    let refused = app
        .call(
            &stolen,
            app::api::credentials::RemoveMfa::PATH,
            &[("code", &code(&seed, &clock))],
        )
        .await;
    assert_eq!(refused.status(), 429);

    // The current password before a change is counted the same way.
    let key2 = SecretBox::generate_key();
    let app = spawn_app(fresh_store().await, &key2).await;
    let root = client();
    set_up(&app, &root).await;
    user(&app, &root, "vic", "Vic-Password-1234567").await;
    let vic = signed_in(&app, "vic", "Vic-Password-1234567").await;
    let mut answers = Vec::new();
    for guess in ["guess-1", "guess-2", "guess-3", "guess-4", "guess-5"] {
        let answer = app
            .call(
                &vic,
                app::api::credentials::ChangePassword::PATH,
                &[
                    ("current", guess),
                    ("password", "New-Password-98765"),
                    ("confirm", "New-Password-98765"),
                ],
            )
            .await;
        answers.push(answer.status().as_u16());
    }
    assert_eq!(answers, vec![400, 400, 400, 400, 429]);
    assert!(app
        .store
        .user_by_name("vic")
        .await
        .unwrap()
        .unwrap()
        .locked_until
        .is_some());
}

#[tokio::test]
async fn sessions_end_when_credentials_change() {
    let key = SecretBox::generate_key();
    let clock = manual_clock();
    let app = spawn_app_with(
        fresh_store().await,
        &key,
        &[],
        Options::default(),
        clock.clock(),
    )
    .await;
    let root = client();
    set_up(&app, &root).await;
    let password = "Wes-Password-1234567";
    user(&app, &root, "wes", password).await;

    // An administrator's password reset (forced or not) ends the user's sessions.
    let laptop = signed_in(&app, "wes", password).await;
    assert!(still_signed_in(&app, &laptop).await);
    assert_done(
        &app.call(
            &root,
            app::api::users::ResetUserPassword::PATH,
            &[
                ("name", "wes"),
                ("password_mode", "custom"),
                ("password", password),
                ("require_reset", "on"),
            ],
        )
        .await,
    );
    assert!(
        !still_signed_in(&app, &laptop).await,
        "a reset ends the old session"
    );

    // A password changed by the user ends the other sessions, not the one that did it.
    let new_password = "Wes-Changed-7654321";
    let phone = signed_in(&app, "wes", password).await;
    assert_done(
        &app.call(
            &phone,
            app::api::auth::ChangeRequiredPassword::PATH,
            &[("password", new_password), ("confirm", new_password)],
        )
        .await,
    );
    assert!(still_signed_in(&app, &phone).await);
    let desk = signed_in(&app, "wes", new_password).await;
    let third = "Wes-Third-1234567890";
    assert_done(
        &app.call(
            &phone,
            app::api::credentials::ChangePassword::PATH,
            &[
                ("current", new_password),
                ("password", third),
                ("confirm", third),
            ],
        )
        .await,
    );
    assert!(
        still_signed_in(&app, &phone).await,
        "the changing session goes on"
    );
    assert!(
        !still_signed_in(&app, &desk).await,
        "the other session ended"
    );

    // Enabling MFA ends other sessions; an administrator removing it ends all.
    let desk = signed_in(&app, "wes", third).await;
    assert_done(
        &app.call(&phone, app::api::credentials::BeginMfa::PATH, &[])
            .await,
    );
    let seed = seed(&app, &key, "wes").await;
    assert_done(
        &app.call(
            &phone,
            app::api::credentials::ConfirmMfa::PATH,
            &[("code", &code(&seed, &clock))],
        )
        .await,
    );
    assert!(still_signed_in(&app, &phone).await);
    assert!(!still_signed_in(&app, &desk).await);
    assert_done(
        &app.call(
            &root,
            app::api::users::DeactivateUserMfa::PATH,
            &[("name", "WES")],
        )
        .await,
    );
    assert!(
        !still_signed_in(&app, &phone).await,
        "MFA removed by an admin ends the session"
    );

    // Sign out everywhere, by the user and by an administrator.
    let one = signed_in(&app, "wes", third).await;
    let two = signed_in(&app, "wes", third).await;
    assert_done(
        &app.call(&one, app::api::auth::SignOutEverywhere::PATH, &[])
            .await,
    );
    assert!(!still_signed_in(&app, &one).await && !still_signed_in(&app, &two).await);
    let three = signed_in(&app, "wes", third).await;
    assert_done(
        &app.call(
            &root,
            app::api::users::SignOutUser::PATH,
            &[("name", "wes")],
        )
        .await,
    );
    assert!(!still_signed_in(&app, &three).await);

    // The shell's root password reset ends root's sessions.
    assert!(still_signed_in(&app, &root).await);
    app.service
        .reset_root_password("Root-Reset-From-Shell-1", false)
        .await
        .unwrap();
    assert!(!still_signed_in(&app, &root).await);
}

#[tokio::test]
async fn nothing_is_cached_while_change_announcements_cannot_be_heard() {
    // A server whose listener never runs: every permission read must go to the
    // database, or a change made elsewhere would never reach it.
    let options = store::cluster::test_database().await.unwrap();
    let key = SecretBox::generate_key();
    let a = spawn_app(Store::connect_with(options.clone(), 5).await.unwrap(), &key).await;
    let deaf = spawn_app_deaf(Store::connect_with(options, 5).await.unwrap(), &key).await;
    let root = client();
    set_up(&a, &root).await;
    let password = "Xena-Password-123456";
    user(&a, &root, "xena", password).await;
    let xena = signed_in(&deaf, "xena", password).await;
    assert_eq!(status(&deaf, &xena, USERS, &LIST).await, 403);
    attach(
        &a,
        &root,
        "user",
        "xena",
        "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
    )
    .await;
    assert_eq!(status(&deaf, &xena, USERS, &LIST).await, 200);
    assert!(deaf.service.policy_cache().is_empty());
}

#[tokio::test]
async fn standard_guardrails_see_the_context_keys_aws_sends() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let root = client();
    set_up(&app, &root).await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let password = "Yara-Password-123456";
    user(&app, &root, "yara", password).await;
    user(&app, &root, "target", "Target-Password-1234").await;
    assert_done(
        &app.call(
            &root,
            app::api::groups::CreateGroup::PATH,
            &[("name", "team")],
        )
        .await,
    );
    // A delegated administrator: never hand out AdministratorAccess, create users
    // only inside the Boundary, tag nothing "admins".
    let boundary = format!("arn:aws:iam::{account}:policy/Boundary");
    assert_done(
        &app.call(
            &root,
            app::api::policies::CreatePolicy::PATH,
            &[("name", "Boundary"), ("description", ""), ("document", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#)],
        )
        .await,
    );
    let guardrails = format!(
        r#"{{"Version":"2012-10-17","Statement":[
          {{"Effect":"Allow","Action":["iam:AttachUserPolicy","iam:AttachGroupPolicy","iam:PutUserPermissionsBoundary","iam:TagUser","iam:UpdateGroup","iam:ListUsers"],"Resource":"*"}},
          {{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*","Condition":{{"StringEquals":{{"iam:PermissionsBoundary":"{boundary}"}}}}}},
          {{"Effect":"Deny","Action":["iam:AttachUserPolicy","iam:AttachGroupPolicy"],"Resource":"*","Condition":{{"ArnEquals":{{"iam:PolicyARN":"arn:aws:iam::aws:policy/AdministratorAccess"}}}}}},
          {{"Effect":"Deny","Action":["iam:CreateUser","iam:TagUser"],"Resource":"*","Condition":{{"StringEquals":{{"aws:RequestTag/team":"admins"}}}}}},
          {{"Effect":"Deny","Action":"iam:UpdateGroup","Resource":"arn:aws:iam::{account}:group/root-*"}}
        ]}}"#
    );
    inline(&app, &root, "yara", "Delegated", &guardrails).await;
    let yara = signed_in(&app, "yara", password).await;

    let attach_to = |holder: &'static str, name: &'static str, arn: &'static str| {
        [
            ("holder", holder),
            ("name", name),
            ("policy_arn", arn),
            ("back", "/"),
        ]
    };
    let attach_path = app::api::permissions::AttachPolicy::PATH;
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    assert_eq!(
        status(
            &app,
            &yara,
            attach_path,
            &attach_to("user", "target", admin)
        )
        .await,
        403
    );
    assert_eq!(
        status(&app, &yara, attach_path, &attach_to("group", "team", admin)).await,
        403
    );
    assert!(
        app.call(
            &yara,
            attach_path,
            &attach_to("user", "target", "arn:aws:iam::aws:policy/ReadOnlyAccess")
        )
        .await
        .status()
        .is_redirection()
            || status(
                &app,
                &yara,
                attach_path,
                &attach_to(
                    "user",
                    "target",
                    "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
                )
            )
            .await
                == 200
    );
    // A role bundling AdministratorAccess is the same hand-over.
    assert_done(
        &app.call(
            &root,
            app::api::roles::CreateRole::PATH,
            &[
                ("name", "Bundle"),
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
    attach(&app, &root, "role", "Bundle", admin).await;
    let give = [
        ("holder", "user"),
        ("name", "target"),
        ("role", "Bundle"),
        ("give", "true"),
        ("back", "/"),
    ];
    assert_eq!(
        status(&app, &yara, app::api::permissions::GrantRole::PATH, &give).await,
        403
    );

    let create = |name: &'static str, tags: &'static str, boundary: &'static str| {
        vec![
            ("name", name),
            ("password_mode", "none"),
            ("password", ""),
            ("tags", tags),
            ("boundary", boundary),
        ]
    };
    let create_path = app::api::users::CreateUser::PATH;
    let boundary_static: &'static str = Box::leak(boundary.clone().into_boxed_str());
    assert_eq!(
        status(&app, &yara, create_path, &create("nobound", "", "")).await,
        403,
        "a boundary is required"
    );
    assert_eq!(
        status(
            &app,
            &yara,
            create_path,
            &create("admin2", "team=admins", boundary_static)
        )
        .await,
        403,
        "aws:RequestTag is checked"
    );
    assert_done(
        &app.call(
            &yara,
            create_path,
            &create("bounded", "team=web", boundary_static),
        )
        .await,
    );
    let bounded = app.store.user_by_name("bounded").await.unwrap().unwrap();
    assert_eq!(bounded.boundary_arn.as_deref(), Some(boundary.as_str()));
    assert_eq!(bounded.tags.get("team").map(String::as_str), Some("web"));
    // Renaming into a protected name is checked on the new name.
    let rename = [("name", "team"), ("new_name", "root-team")];
    assert_eq!(
        status(&app, &yara, app::api::groups::RenameGroup::PATH, &rename).await,
        403
    );
    assert!(app.store.group("team").await.unwrap().is_some());
}

#[tokio::test]
async fn own_credentials_go_through_the_engine_and_never_from_a_role_session() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let root = client();
    set_up(&app, &root).await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let password = "Zed-Password-12345678";
    user(&app, &root, "zed", password).await;
    inline(
        &app,
        &root,
        "zed",
        "NoSelfService",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[
              {{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}},
              {{"Effect":"Deny","Action":["iam:ChangePassword","iam:CreateVirtualMFADevice"],"Resource":["arn:aws:iam::{account}:user/zed","arn:aws:iam::{account}:mfa/zed"]}}
            ]}}"#
        ),
    )
    .await;
    let zed = signed_in(&app, "zed", password).await;
    let change = [
        ("current", password),
        ("password", "Zed-Changed-987654321"),
        ("confirm", "Zed-Changed-987654321"),
    ];
    assert_eq!(
        status(
            &app,
            &zed,
            app::api::credentials::ChangePassword::PATH,
            &change
        )
        .await,
        403
    );
    assert_eq!(
        status(&app, &zed, app::api::credentials::BeginMfa::PATH, &[]).await,
        403
    );
    let refused = app
        .store
        .audit_log(&store::AuditFilter {
            actor: format!("arn:aws:iam::{account}:user/zed"),
            outcome: Some(store::Outcome::Denied),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(refused.iter().any(|r| r.action == "iam:ChangePassword"));
    assert!(refused
        .iter()
        .any(|r| r.action == "iam:CreateVirtualMFADevice"));

    // In a role session, one's own credentials are out of reach.
    user(&app, &root, "ann", "Ann-Password-123456789").await;
    assert_done(
        &app.call(
            &root,
            app::api::roles::CreateRole::PATH,
            &[
                ("name", "Helper"),
                ("description", ""),
                ("trusted_users", "ann"),
                ("trusted_accounts", ""),
                ("external_id", ""),
                ("max_session_hours", "1"),
                ("trust_policy", ""),
            ],
        )
        .await,
    );
    let ann = signed_in(&app, "ann", "Ann-Password-123456789").await;
    assert_done(
        &app.call(
            &ann,
            app::api::roles::SwitchRole::PATH,
            &[
                ("role", "Helper"),
                ("external_id", ""),
                ("duration_hours", "1"),
            ],
        )
        .await,
    );
    let change = [
        ("current", "Ann-Password-123456789"),
        ("password", "Ann-Changed-98765432"),
        ("confirm", "Ann-Changed-98765432"),
    ];
    assert_eq!(
        status(
            &app,
            &ann,
            app::api::credentials::ChangePassword::PATH,
            &change
        )
        .await,
        403
    );
    assert_eq!(
        status(&app, &ann, app::api::credentials::BeginMfa::PATH, &[]).await,
        403
    );
    assert_eq!(
        status(&app, &ann, app::api::auth::SignOutEverywhere::PATH, &[]).await,
        403
    );
    let ann_row = app.store.user_by_name("ann").await.unwrap().unwrap();
    assert!(ann_row.mfa_ciphertext.is_none());
    // Back as herself, she may.
    assert_done(&app.call(&ann, app::api::roles::SwitchBack::PATH, &[]).await);
    assert_done(
        &app.call(&ann, app::api::credentials::ChangePassword::PATH, &change)
            .await,
    );
}

#[tokio::test]
async fn each_settings_area_is_its_own_action() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let root = client();
    set_up(&app, &root).await;
    let password = "Sam-Password-12345678";
    user(&app, &root, "sam", password).await;
    inline(
        &app,
        &root,
        "sam",
        "Sessions",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy","portcullis:UpdateSessionPolicy"],"Resource":"*"}]}"#,
    )
    .await;
    let sam = signed_in(&app, "sam", password).await;
    let sessions = [("session_idle_minutes", "30"), ("session_max_hours", "8")];
    assert_done(
        &app.call(&sam, app::api::settings::UpdateSessions::PATH, &sessions)
            .await,
    );
    let lockout = [("lockout_threshold", "100"), ("lockout_minutes", "1")];
    assert_eq!(
        status(
            &app,
            &sam,
            app::api::settings::UpdateLockout::PATH,
            &lockout
        )
        .await,
        403
    );
    let policy = [
        ("minimum_password_length", "6"),
        ("max_password_age", ""),
        ("password_reuse_prevention", ""),
    ];
    assert_eq!(
        status(
            &app,
            &sam,
            app::api::settings::UpdatePasswordPolicy::PATH,
            &policy
        )
        .await,
        403
    );
    let ranges = [("sign_in_ranges", "127.0.0.0/8")];
    assert_eq!(
        status(
            &app,
            &sam,
            app::api::settings::UpdateSignInRanges::PATH,
            &ranges
        )
        .await,
        403
    );
    let regions = [("regions", "us-east-1"), ("availability_zones", "")];
    assert_eq!(
        status(
            &app,
            &sam,
            app::api::settings::UpdateRegions::PATH,
            &regions
        )
        .await,
        403
    );
    let settings = app.store.settings().await.unwrap();
    assert_eq!(
        (settings.session_idle_minutes, settings.session_max_hours),
        (30, 8)
    );
    let defaults = store::AccountSettings::default();
    assert_eq!(settings.lockout_threshold, defaults.lockout_threshold);
    assert_eq!(settings.password_policy, defaults.password_policy);
    assert!(settings.regions.len() > 1);
}

#[tokio::test]
async fn the_audit_log_names_actors_by_arn_and_root_is_no_user_name() {
    let key = SecretBox::generate_key();
    let clock = manual_clock();
    let app = spawn_app_with(
        fresh_store().await,
        &key,
        &[],
        Options::default(),
        clock.clock(),
    )
    .await;
    let root = client();
    set_up(&app, &root).await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let named_root = app
        .call(
            &root,
            app::api::users::CreateUser::PATH,
            &[
                ("name", "Root"),
                ("password_mode", "none"),
                ("password", ""),
                ("tags", ""),
            ],
        )
        .await;
    assert_eq!(named_root.status(), 400);
    assert!(named_root.text().await.unwrap().contains("root user"));
    let password = "Kim-Password-1234567";
    let seed = user_with_mfa(&app, &root, &key, &clock, "kim", password).await;
    let kim = signed_in(&app, "kim", password).await;
    let codes = app
        .service
        .store()
        .unused_recovery_codes(&app.store.user_by_name("kim").await.unwrap().unwrap().id)
        .await
        .unwrap();
    assert_eq!(codes, 10);
    assert_done(
        &app.call(
            &kim,
            app::api::auth::VerifyMfa::PATH,
            &[("code", &code(&seed, &clock))],
        )
        .await,
    );
    let log = app
        .store
        .audit_log(&store::AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let kim_arn = format!("arn:aws:iam::{account}:user/kim");
    let root_arn = format!("arn:aws:iam::{account}:root");
    let find =
        |action: &str, actor: &str| log.iter().any(|r| r.action == action && r.actor == actor);
    assert!(find("iam:CreateUser", &root_arn), "{log:#?}");
    assert!(
        find("iam:CreateVirtualMFADevice", &kim_arn),
        "begin MFA is audited"
    );
    assert!(find("iam:EnableMFADevice", &kim_arn));
    assert!(log.iter().any(|r| r.action == "signin:MFAVerify"
        && r.actor == kim_arn
        && r.detail.contains("MFA accepted")));
    assert!(
        log.iter()
            .all(|r| r.actor.starts_with("arn:aws:") || r.actor == "shell"),
        "{log:#?}"
    );
}

#[tokio::test]
async fn a_users_history_is_shown_only_to_those_who_may_read_the_audit_log() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let root = client();
    set_up(&app, &root).await;
    let password = "Lee-Password-12345678";
    user(&app, &root, "lee", password).await;
    inline(
        &app,
        &root,
        "lee",
        "GetUser",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#,
    )
    .await;
    let lee = signed_in(&app, "lee", password).await;
    let page = app
        .call(
            &lee,
            app::api::users::UserOverview::PATH,
            &[("name", "lee")],
        )
        .await;
    assert_eq!(page.status(), 200);
    let detail: serde_json::Value = page.json().await.unwrap();
    assert_eq!(detail["activity"].as_array().map(Vec::len), Some(0));
    assert!(detail["activity_refused"]
        .as_str()
        .unwrap()
        .contains("cloudtrail:LookupEvents"));
    let as_root: serde_json::Value = app
        .call(
            &root,
            app::api::users::UserOverview::PATH,
            &[("name", "lee")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(!as_root["activity"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn pages_are_not_cached_and_carry_a_content_security_policy() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let root = client();
    set_up(&app, &root).await;
    let page = root
        .get(format!("{}/security", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let header = |name: &str| {
        page.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("cache-control"), "no-store");
    let csp = header("content-security-policy");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let body = page.text().await.unwrap();
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    assert!(!body.contains("onchange="), "no inline event handlers");
    let api = app.call(&root, app::api::auth::Whoami::PATH, &[]).await;
    assert_eq!(api.headers().get("cache-control").unwrap(), "no-store");
}

#[tokio::test]
async fn first_run_setup_is_refused_for_another_host_and_needs_the_token_when_exposed() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let form = [
        ("email", "root@example.com"),
        ("password", ROOT_PASSWORD),
        ("confirm", ROOT_PASSWORD),
    ];
    // A page of another site whose name resolves to this machine (DNS rebinding).
    let rebound = client()
        .post(format!(
            "{}{}",
            app.base,
            app::api::auth::SetUpAccount::PATH
        ))
        .header("Host", "evil.example")
        .header("Origin", "http://evil.example")
        .header("Accept", "application/json")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 409);
    assert_eq!(app.store.account_id().await.unwrap(), None);

    let exposed = spawn_app_with(
        fresh_store().await,
        &SecretBox::generate_key(),
        &[],
        Options {
            setup: SetupAccess::Token("tok-123456".into()),
            ..Options::default()
        },
        Clock::system(),
    )
    .await;
    let browser = client();
    let without = exposed
        .call(&browser, app::api::auth::SetUpAccount::PATH, &form)
        .await;
    assert_eq!(without.status(), 400);
    assert!(without.text().await.unwrap().contains("token"));
    let mut with = form.to_vec();
    with.push(("token", "tok-123456"));
    assert_done(
        &exposed
            .call(&browser, app::api::auth::SetUpAccount::PATH, &with)
            .await,
    );
}

#[tokio::test]
async fn the_sign_in_throttle_is_shared_by_servers_and_counts_an_ipv6_64() {
    let store = fresh_store().await;
    let key = SecretBox::generate_key();
    let options = || Options {
        sign_in_rate: 3,
        ..Options::default()
    };
    let a = spawn_app_with(
        store.clone(),
        &key,
        &["127.0.0.0/8"],
        options(),
        Clock::system(),
    )
    .await;
    let b = spawn_app_with(store, &key, &["127.0.0.0/8"], options(), Clock::system()).await;
    let form = [("identity", "nobody"), ("password", "wrong-password")];
    let path = app::api::auth::SignIn::PATH;
    let mut answers = Vec::new();
    for (server, address) in [
        (&a, "2001:db8:7:7::1"),
        (&b, "2001:db8:7:7::2"),
        (&a, "2001:db8:7:7:ffff::3"),
        (&b, "2001:db8:7:7::4"),
    ] {
        answers.push(
            server
                .call_via(&client(), path, &form, Some(address))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(answers, vec![400, 400, 400, 429]);
    // Another /64 is not affected.
    let other = a
        .call_via(&client(), path, &form, Some("2001:db8:7:8::1"))
        .await;
    assert_eq!(other.status(), 400);
}

#[tokio::test]
async fn the_forced_password_change_stage_expires() {
    let clock = manual_clock();
    let app = spawn_app_with(
        fresh_store().await,
        &SecretBox::generate_key(),
        &[],
        Options::default(),
        clock.clock(),
    )
    .await;
    let root = client();
    set_up(&app, &root).await;
    assert_done(
        &app.call(
            &root,
            app::api::users::CreateUser::PATH,
            &[
                ("name", "nia"),
                ("password_mode", "custom"),
                ("password", "Nia-Password-1234567"),
                ("require_reset", "on"),
                ("tags", ""),
            ],
        )
        .await,
    );
    let nia = signed_in(&app, "nia", "Nia-Password-1234567").await;
    clock.advance(time::Duration::minutes(11));
    let late = app
        .call(
            &nia,
            app::api::auth::ChangeRequiredPassword::PATH,
            &[
                ("password", "Nia-Changed-98765432"),
                ("confirm", "Nia-Changed-98765432"),
            ],
        )
        .await;
    assert_eq!(late.status(), 401);
}

#[tokio::test]
async fn return_addresses_with_control_characters_are_not_followed() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let root = client();
    set_up(&app, &root).await;
    assert_done(
        &app.call(&root, app::api::groups::CreateGroup::PATH, &[("name", "g")])
            .await,
    );
    user(&app, &root, "pia", "Pia-Password-12345678").await;
    let answer = root
        .post(format!("{}{}", app.base, app::api::groups::AddMember::PATH))
        .header("Origin", &app.base)
        .header("Accept", "text/html")
        .form(&[
            ("group", "g"),
            ("user", "pia"),
            ("back", "/users\r\nSet-Cookie: x=1"),
        ])
        .send()
        .await
        .unwrap();
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(location, "/groups");
}

#[tokio::test]
async fn pages_redirect_from_the_server_without_javascript() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let plain = client();
    let get = |path: &'static str| {
        let c = plain.clone();
        let base = app.base.clone();
        async move { c.get(format!("{base}{path}")).send().await.unwrap() }
    };
    let first = get("/").await;
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()["location"], "/setup");
    assert_eq!(get("/signin").await.headers()["location"], "/setup");
    let setup = get("/setup").await;
    assert_eq!(setup.status(), 200);
    assert!(setup.text().await.unwrap().contains("Create the root user"));
    set_up(&app, &client()).await;
    for path in [
        "/",
        "/users",
        "/users/alice",
        "/settings",
        "/no-such-page",
        "/setup",
    ] {
        let response = plain
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(response.headers()["location"], "/signin", "{path}");
    }
    let signin = get("/signin").await;
    assert_eq!(signin.status(), 200);
    assert!(signin.text().await.unwrap().contains("Sign in"));
    // Signed in, the sign-in pages send the browser to the console.
    let root = client();
    let _ = app
        .call(
            &root,
            app::api::auth::SignIn::PATH,
            &[
                ("identity", "root@example.com"),
                ("password", ROOT_PASSWORD),
            ],
        )
        .await;
    let home = root.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let back = root
        .get(format!("{}/signin", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    assert_eq!(back.headers()["location"], "/");
    let _ = Duration::from_secs(0);
}

/// Every spend page renders on a multi-threaded server, again and again: a value
/// kept in the reactive arena's thread-local storage once made the billing-imports
/// page panic whenever the render finished on another thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spend_pages_render_on_any_thread() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let root = client();
    set_up(&app, &root).await;
    assert_done(
        &app.call(
            &root,
            app::api::groups::CreateGroup::PATH,
            &[("name", "Ops")],
        )
        .await,
    );
    for _ in 0..15 {
        for page in [
            "/spend",
            "/spend/imports",
            "/spend/rules",
            "/spend/budgets",
            "/spend/explore",
            "/spend/groups/Ops",
        ] {
            let response = root
                .get(format!("{}{page}", app.base))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{page}");
        }
    }
}

/// A billing file as a multipart form, built by hand.
fn upload_body(csv: &str) -> (String, Vec<u8>) {
    let boundary = "portcullis-test-boundary-7d1f";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\nauto\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bill.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

const BILL: &str = "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargePeriodEnd,ServiceName\n1.5,111,USD,2024-09-01,2024-09-02,2024-09-02,EC2\n";

async fn upload(app: &TestApp, browser: &reqwest::Client, origin: &str) -> reqwest::Response {
    upload_csv(app, browser, origin, BILL).await
}

/// Posts `csv` as the upload page's form does, asking for JSON.
async fn upload_csv(
    app: &TestApp,
    browser: &reqwest::Client,
    origin: &str,
    csv: &str,
) -> reqwest::Response {
    let (content_type, body) = upload_body(csv);
    browser
        .post(format!("{}/spend/upload", app.base))
        .header("Origin", origin)
        .header("Accept", "application/json")
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The upload and export routes sit outside the server functions; they answer a
/// cross-site post, a stale session and a caller without permission like every
/// server function does, decide before reading the file, and write nothing.
#[tokio::test]
async fn uploads_and_exports_refuse_like_every_server_function() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let root = client();
    set_up(&app, &root).await;
    let imports = || async { app.store.cost_imports(10).await.unwrap().len() };

    // Cross-site: refused by the CSRF layer, nothing imported.
    let response = upload(&app, &root, "https://evil.example").await;
    assert_eq!(response.status(), 403);
    assert_eq!(imports().await, 0);

    // Not signed in.
    let response = upload(&app, &client(), &app.base).await;
    assert_eq!(response.status(), 401);
    // A download link without a session is a page load: sent to sign in, no data.
    let export = client()
        .get(format!("{}/spend/export.csv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 303);
    assert_eq!(export.headers()["location"], "/signin");

    // Signed in without permission: the engine's words, audited, nothing imported.
    user(&app, &root, "pat", "Pat-Password-123456").await;
    let pat = signed_in(&app, "pat", "Pat-Password-123456").await;
    let response = upload(&app, &pat, &app.base).await;
    assert_eq!(response.status(), 403);
    let text = response.text().await.unwrap();
    assert!(text.contains("portcullis:ImportCosts"), "{text}");
    assert_eq!(imports().await, 0);
    let export = pat
        .get(format!("{}/spend/export.csv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 403);
    assert!(export.text().await.unwrap().contains("ce:GetCostAndUsage"));

    // Allowed to import: it works; once the session is stale, it no longer does.
    inline(
        &app,
        &root,
        "pat",
        "import",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["portcullis:ImportCosts","ce:GetCostAndUsage"],"Resource":"*"}]}"#,
    )
    .await;
    let response = upload(&app, &pat, &app.base).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert_eq!(imports().await, 1);
    let export = pat
        .get(format!(
            "{}/spend/export.csv?from=2024-09-01&to=2024-09-30",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    assert!(export.text().await.unwrap().contains("x_AllocatedGroup"));
    assert_done(
        &app.call(
            &root,
            app::api::users::SignOutUser::PATH,
            &[("name", "pat")],
        )
        .await,
    );
    let response = upload(&app, &pat, &app.base).await;
    assert_eq!(response.status(), 401);
    assert_eq!(imports().await, 1);
    let export = pat
        .get(format!("{}/spend/export.csv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 303);
    assert_eq!(export.headers()["location"], "/signin");
}

/// An upload past the size limit is refused while it streams, with its own message,
/// whatever its real size; nothing is imported and no spooled copy is left behind.
#[tokio::test]
async fn an_upload_past_the_limit_is_refused_while_it_streams() {
    let limits = service::costs::ImportLimits {
        max_rows: 50_000_000,
        max_bytes: 1_000_000,
        ..Default::default()
    };
    let app = spawn_app_limited(fresh_store().await, &SecretBox::generate_key(), limits).await;
    let root = client();
    set_up(&app, &root).await;
    let spooled = || {
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("portcullis-upload-")
            })
            .count()
    };
    let before = spooled();
    // 8 MB of valid rows: eight times the limit.
    let mut csv = String::from(
        "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargePeriodEnd,ServiceName\n",
    );
    while csv.len() < 8_000_000 {
        csv.push_str("1.5,111,USD,2024-09-01,2024-09-02,2024-09-02,EC2\n");
    }
    let response = upload_csv(&app, &root, &app.base, &csv).await;
    assert_eq!(response.status(), 422);
    let text = response.text().await.unwrap();
    assert!(text.contains("larger than the import limit"), "{text}");
    assert!(text.contains("PORTCULLIS_COST_MAX_BYTES"), "{text}");
    assert_eq!(app.store.cost_imports(10).await.unwrap().len(), 0);
    assert!(spooled() <= before, "the partial copy is removed");
}

/// The explorer and a group's page name the field a crafted query got wrong, and a
/// filter never reaches past what the viewer may see.
#[tokio::test]
async fn spend_queries_name_the_field_they_refuse() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let root = client();
    set_up(&app, &root).await;
    assert_done(
        &app.call(
            &root,
            app::api::groups::CreateGroup::PATH,
            &[("name", "Ops")],
        )
        .await,
    );
    let explore = |filter_by: &'static str, every: &'static str| {
        vec![
            ("from", "2024-09-01"),
            ("to", "2026-09-30"),
            ("by", "service"),
            ("filter_by", filter_by),
            ("filter", "x"),
            ("every", every),
        ]
    };
    for (form, field, words) in [
        (explore("", "weekly"), "every", "is not a granularity"),
        (explore("colour", ""), "filter_by", "is not a dimension"),
        (explore("", "day"), "every", "at most 366 days"),
    ] {
        let response = app.call(&root, app::api::costs::Explore::PATH, &form).await;
        assert_eq!(response.status(), 400, "{form:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains(field) && body.contains(words), "{body}");
    }
    let response = app
        .call(
            &root,
            app::api::costs::LoadGroupSpend::PATH,
            &[
                ("group", "Ops"),
                ("from", "2024-01-01"),
                ("to", "2025-06-30"),
                ("tag", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 400);
    let body = response.text().await.unwrap();
    assert!(body.contains("at most 366 days"), "{body}");
    let response = app
        .call(
            &root,
            app::api::costs::LoadGroupSpend::PATH,
            &[
                ("group", "Ops"),
                ("from", "yesterday"),
                ("to", ""),
                ("tag", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("is not a date"));
}
