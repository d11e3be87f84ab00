//! The store against a real PostgreSQL, each test in its own database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use store::{
    cluster::test_database, AuditEntry, AuditFilter, NewUser, Outcome, SignInRecord, Store,
    StoreError, UserQuery, UserSort,
};

async fn fresh() -> Store {
    Store::connect_with(test_database().await.unwrap(), 30)
        .await
        .unwrap()
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn audit(action: &'static str, target: &str) -> AuditEntry {
    AuditEntry {
        at: now(),
        actor: "root".into(),
        action,
        target: target.into(),
        source_ip: "127.0.0.1".into(),
        outcome: Outcome::Success,
        detail: String::new(),
    }
}

fn new_user(name: &str) -> NewUser {
    NewUser {
        name: name.into(),
        path: "/".into(),
        password_hash: Some("$argon2id$fake".into()),
        password_reset_required: true,
        tags: BTreeMap::from([("team".to_string(), "blue".to_string())]),
        boundary_arn: None,
    }
}

/// The id of the user, group or role `name`.
async fn holder_id(store: &Store, holder: store::Holder, name: &str) -> String {
    match holder {
        store::Holder::User => store.user_by_name(name).await.unwrap().unwrap().id,
        store::Holder::Group => store.group(name).await.unwrap().unwrap().id,
        store::Holder::Role => store.role(name).await.unwrap().unwrap().id,
    }
}

async fn policy_id(store: &Store, name: &str) -> String {
    store.customer_policy(name).await.unwrap().unwrap().0.id
}

async fn set_up(store: &Store) -> String {
    store
        .set_up(
            &store::ids::account_id(),
            "root@example.com",
            "$argon2id$root",
            now(),
            &audit("portcullis:SetUpAccount", "root"),
        )
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn setup_happens_once_even_when_raced() {
    let store = fresh().await;
    assert_eq!(store.account_id().await.unwrap(), None);
    let attempts: Vec<_> = (0..5)
        .map(|i| {
            let s = store.clone();
            tokio::spawn(async move {
                s.set_up(
                    &store::ids::account_id(),
                    &format!("root{i}@example.com"),
                    "$argon2id$x",
                    now(),
                    &audit("portcullis:SetUpAccount", "root"),
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for a in attempts {
        match a.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::AlreadySetUp) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(ok, 1);
    let account = store.account_id().await.unwrap().unwrap();
    assert_eq!(account.len(), 12);
    let log = store.audit_log(&AuditFilter::default()).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "portcullis:SetUpAccount");
}

#[tokio::test]
async fn user_names_are_unique_case_insensitively_and_failures_write_nothing() {
    let store = fresh().await;
    let account = set_up(&store).await;
    let alice = store
        .create_user(
            &account,
            &new_user("Alice"),
            now(),
            &audit("iam:CreateUser", "Alice"),
        )
        .await
        .unwrap();
    assert_eq!(alice.arn, format!("arn:aws:iam::{account}:user/Alice"));
    assert!(alice.id.starts_with("AIDA"));
    assert_eq!(alice.tags["team"], "blue");
    let err = store
        .create_user(
            &account,
            &new_user("alice"),
            now(),
            &audit("iam:CreateUser", "alice"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Duplicate { what: "user", .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "A user named \"alice\" already exists (names are case-insensitive)."
    );
    // The failed attempt left no audit row and no user.
    let creations = store
        .audit_log(&AuditFilter {
            action: "CreateUser".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(creations.len(), 1);
    assert_eq!(
        store
            .list_users(&UserQuery {
                per_page: 50,
                ..Default::default()
            })
            .await
            .unwrap()
            .total,
        1
    );
    assert!(store.user_by_name("ALICE").await.unwrap().is_some());
}

#[tokio::test]
async fn parallel_sign_in_attempts_cannot_pass_the_lockout_threshold() {
    let store = fresh().await;
    let account = set_up(&store).await;
    let user = store
        .create_user(
            &account,
            &new_user("bob"),
            now(),
            &audit("iam:CreateUser", "bob"),
        )
        .await
        .unwrap();
    let attempts: Vec<_> = (0..25)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move {
                s.begin_sign_in("BOB", 3, &store::SignInLimit::default(), now())
                    .await
                    .unwrap()
                    .found
                    .unwrap()
                    .1
            })
        })
        .collect();
    let mut counted = 0;
    for a in attempts {
        if a.await.unwrap() == SignInRecord::Counted {
            counted += 1;
        }
    }
    assert_eq!(counted, 3, "exactly the threshold may be checked");
    let failed = AuditEntry {
        outcome: Outcome::Failure,
        ..audit("signin:ConsoleLogin", "bob")
    };
    assert!(
        store.fail_sign_in(&user.id, 3, 15, &failed).await.unwrap(),
        "the third failure locks"
    );
    let logged = store
        .audit_log(&AuditFilter {
            action: "signin".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        logged[0].detail,
        format!("{}; account locked", failed.detail)
    );
    assert_eq!(
        store
            .begin_sign_in("bob", 3, &store::SignInLimit::default(), now())
            .await
            .unwrap()
            .found
            .unwrap()
            .1,
        SignInRecord::Locked
    );
    assert!(store
        .begin_sign_in("nobody", 3, &store::SignInLimit::default(), now())
        .await
        .unwrap()
        .found
        .is_none());
    // The root signs in by email, even when an IAM user has the same name.
    store
        .create_user(
            &account,
            &new_user("root@example.com"),
            now(),
            &audit("iam:CreateUser", "root@example.com"),
        )
        .await
        .unwrap();
    let (root, _) = store
        .begin_sign_in("ROOT@example.com", 3, &store::SignInLimit::default(), now())
        .await
        .unwrap()
        .found
        .unwrap();
    assert!(root.is_root);
    // An administrator unlocks.
    store
        .unlock_user(&user.id, &audit("iam:UpdateLoginProfile", "bob"))
        .await
        .unwrap();
    assert_eq!(
        store
            .begin_sign_in("bob", 3, &store::SignInLimit::default(), now())
            .await
            .unwrap()
            .found
            .unwrap()
            .1,
        SignInRecord::Counted
    );
    store
        .succeed_sign_in(&user.id, &audit("signin:ConsoleLogin", "bob"))
        .await
        .unwrap();
    let fresh_user = store.user_by_id(&user.id).await.unwrap().unwrap();
    assert_eq!(fresh_user.failed_sign_ins, 0);
    assert!(fresh_user.last_sign_in_at.is_some());
}

#[tokio::test]
async fn a_totp_step_is_accepted_once() {
    let store = fresh().await;
    let account = set_up(&store).await;
    let user = store
        .create_user(
            &account,
            &new_user("carol"),
            now(),
            &audit("iam:CreateUser", "carol"),
        )
        .await
        .unwrap();
    store
        .stage_mfa(
            &user.id,
            "k1",
            &[1; 24],
            &[2; 30],
            &audit("iam:CreateVirtualMFADevice", "carol"),
        )
        .await
        .unwrap();
    let factor = |step| store::MfaFactor::Step(step);
    let verified = || audit("signin:MFAVerify", "carol");
    // Not yet enabled: steps are not accepted.
    assert!(!store
        .complete_mfa_sign_in(&user.id, &factor(10), &verified())
        .await
        .unwrap());
    let epoch = store
        .enable_mfa(
            &user.id,
            100,
            &["h1".into(), "h2".into()],
            &audit("iam:EnableMFADevice", "carol"),
        )
        .await
        .unwrap();
    assert_eq!(
        epoch,
        user.session_epoch + 1,
        "enabling MFA ends other sessions"
    );
    assert!(!store
        .complete_mfa_sign_in(&user.id, &factor(100), &verified())
        .await
        .unwrap());
    let racers: Vec<_> = (0..10)
        .map(|_| {
            let s = store.clone();
            let id = user.id.clone();
            tokio::spawn(async move {
                s.complete_mfa_sign_in(
                    &id,
                    &store::MfaFactor::Step(101),
                    &audit("signin:MFAVerify", "carol"),
                )
                .await
                .unwrap()
            })
        })
        .collect();
    let mut accepted = 0;
    for r in racers {
        accepted += usize::from(r.await.unwrap());
    }
    assert_eq!(accepted, 1);
    let recovery = store::MfaFactor::RecoveryCode("h1".into());
    assert!(store
        .complete_mfa_sign_in(&user.id, &recovery, &verified())
        .await
        .unwrap());
    assert!(!store
        .complete_mfa_sign_in(&user.id, &recovery, &verified())
        .await
        .unwrap());
    // Each accepted factor wrote its audit row in its own transaction; refused ones
    // wrote none.
    let rows = store
        .audit_log(&AuditFilter {
            action: "signin:MFAVerify".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(store.unused_recovery_codes(&user.id).await.unwrap(), 1);
    // A rename keeps the serial of the device, which was named after the user.
    store
        .rename_user(
            &user.id,
            "carolyn",
            &format!("arn:aws:iam::{account}:user/carolyn"),
            &audit("iam:UpdateUser", "carol"),
        )
        .await
        .unwrap();
    let renamed = store.user_by_name("carolyn").await.unwrap().unwrap();
    assert_eq!(renamed.mfa_device(), "carol");
    assert!(renamed.mfa_enabled);
    store
        .disable_mfa(&user.id, &audit("iam:DeactivateMFADevice", "carol"))
        .await
        .unwrap();
    assert!(
        !store
            .user_by_id(&user.id)
            .await
            .unwrap()
            .unwrap()
            .mfa_enabled
    );
    assert_eq!(store.unused_recovery_codes(&user.id).await.unwrap(), 0);
}

#[tokio::test]
async fn users_search_sort_and_page() {
    let store = fresh().await;
    let account = set_up(&store).await;
    for name in ["delta", "alpha", "charlie", "bravo", "alpha2", "a_b"] {
        store
            .create_user(
                &account,
                &new_user(name),
                now(),
                &audit("iam:CreateUser", name),
            )
            .await
            .unwrap();
    }
    let page = |search: &str, sort, descending, page, per_page| {
        let s = store.clone();
        let q = UserQuery {
            search: search.into(),
            sort,
            descending,
            page,
            per_page,
        };
        async move { s.list_users(&q).await.unwrap() }
    };
    let names = |p: &store::Page<store::UserSummary>| {
        p.items.iter().map(|u| u.name.clone()).collect::<Vec<_>>()
    };
    let first = page("", UserSort::Name, false, 0, 2).await;
    assert_eq!(
        (first.total, names(&first)),
        (6, vec!["a_b".to_string(), "alpha".to_string()])
    );
    let second = page("", UserSort::Name, false, 1, 2).await;
    assert_eq!(names(&second), ["alpha2", "bravo"]);
    let desc = page("", UserSort::Name, true, 0, 1).await;
    assert_eq!(names(&desc), ["delta"]);
    let search = page("ALPHA", UserSort::Name, false, 0, 10).await;
    assert_eq!(names(&search), ["alpha", "alpha2"]);
    // `_` is a literal, not a LIKE wildcard.
    let underscore = page("_", UserSort::Name, false, 0, 10).await;
    assert_eq!(names(&underscore), ["a_b"]);
    let newest = page("", UserSort::Created, true, 0, 1).await;
    assert_eq!(names(&newest), ["a_b"]);
}

#[tokio::test]
async fn groups_and_memberships() {
    let store = fresh().await;
    let account = set_up(&store).await;
    for name in ["dana", "eve"] {
        store
            .create_user(
                &account,
                &new_user(name),
                now(),
                &audit("iam:CreateUser", name),
            )
            .await
            .unwrap();
    }
    store
        .create_group(
            &account,
            "/",
            "Developers",
            &audit("iam:CreateGroup", "Developers"),
        )
        .await
        .unwrap();
    store
        .create_group(
            &account,
            "/",
            "Auditors",
            &audit("iam:CreateGroup", "Auditors"),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_group(
                &account,
                "/",
                "developers",
                &audit("iam:CreateGroup", "developers")
            )
            .await,
        Err(StoreError::Duplicate { what: "group", .. })
    ));
    store
        .add_member(
            &holder_id(&store, store::Holder::Group, "developers").await,
            &holder_id(&store, store::Holder::User, "DANA").await,
            &audit("iam:AddUserToGroup", "Developers"),
        )
        .await
        .unwrap();
    store
        .add_member(
            &holder_id(&store, store::Holder::Group, "Developers").await,
            &holder_id(&store, store::Holder::User, "eve").await,
            &audit("iam:AddUserToGroup", "Developers"),
        )
        .await
        .unwrap();
    store
        .add_member(
            &holder_id(&store, store::Holder::Group, "Auditors").await,
            &holder_id(&store, store::Holder::User, "eve").await,
            &audit("iam:AddUserToGroup", "Auditors"),
        )
        .await
        .unwrap();
    // Adding twice is harmless.
    store
        .add_member(
            &holder_id(&store, store::Holder::Group, "Auditors").await,
            &holder_id(&store, store::Holder::User, "eve").await,
            &audit("iam:AddUserToGroup", "Auditors"),
        )
        .await
        .unwrap();
    let dev = store.group("Developers").await.unwrap().unwrap();
    assert_eq!(dev.members, ["dana", "eve"]);
    let eve = store.user_by_name("eve").await.unwrap().unwrap();
    assert_eq!(
        store.groups_of_user(&eve.id).await.unwrap(),
        ["Auditors", "Developers"]
    );
    store
        .rename_group(
            &holder_id(&store, store::Holder::Group, "Developers").await,
            "Builders",
            &format!("arn:aws:iam::{account}:group/Builders"),
            &audit("iam:UpdateGroup", "Developers"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.group("builders").await.unwrap().unwrap().arn,
        format!("arn:aws:iam::{account}:group/Builders")
    );
    store
        .remove_member(
            &holder_id(&store, store::Holder::Group, "Builders").await,
            &holder_id(&store, store::Holder::User, "dana").await,
            &audit("iam:RemoveUserFromGroup", "Builders"),
        )
        .await
        .unwrap();
    // Deleting a user removes its memberships.
    store
        .delete_user(
            &holder_id(&store, store::Holder::User, "eve").await,
            &audit("iam:DeleteUser", "eve"),
        )
        .await
        .unwrap();
    let groups = store.list_groups().await.unwrap();
    assert!(groups.iter().all(|g| g.members == 0), "{groups:?}");
    store
        .delete_group(
            &holder_id(&store, store::Holder::Group, "Auditors").await,
            &audit("iam:DeleteGroup", "Auditors"),
        )
        .await
        .unwrap();
    assert_eq!(store.list_groups().await.unwrap().len(), 1);
}

#[tokio::test]
async fn settings_round_trip() {
    let store = fresh().await;
    set_up(&store).await;
    let mut settings = store.settings().await.unwrap();
    settings.password_policy.minimum_password_length = 14;
    settings.password_policy.max_password_age = Some(90);
    settings.password_policy.password_reuse_prevention = Some(3);
    settings.lockout_threshold = 4;
    settings.validate().unwrap();
    store
        .update_settings(
            &settings,
            &audit("iam:UpdateAccountPasswordPolicy", "account"),
        )
        .await
        .unwrap();
    assert_eq!(store.settings().await.unwrap(), settings);
    settings.session_idle_minutes = 1;
    assert_eq!(
        settings.validate().unwrap_err().field,
        "session_idle_minutes"
    );
}

#[tokio::test]
async fn attachments_apply_through_groups_respect_the_quota_and_notify() {
    let store = fresh().await;
    let account = set_up(&store).await;
    let user = store
        .create_user(
            &account,
            &new_user("frank"),
            now(),
            &audit("iam:CreateUser", "frank"),
        )
        .await
        .unwrap();
    store
        .create_group(
            &account,
            "/",
            "readers",
            &audit("iam:CreateGroup", "readers"),
        )
        .await
        .unwrap();
    store
        .add_member(
            &holder_id(&store, store::Holder::Group, "readers").await,
            &holder_id(&store, store::Holder::User, "frank").await,
            &audit("iam:AddUserToGroup", "readers"),
        )
        .await
        .unwrap();

    // Every committed change is announced on the channel, to every listener.
    let changes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = changes.clone();
    store.watch_changes(move || {
        seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let baseline = changes.load(std::sync::atomic::Ordering::SeqCst);

    let read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    store
        .attach_policy(
            store::Holder::Group,
            &holder_id(&store, store::Holder::Group, "readers").await,
            read_only,
            &audit("iam:AttachGroupPolicy", "readers"),
        )
        .await
        .unwrap();
    store
        .attach_policy(
            store::Holder::User,
            &holder_id(&store, store::Holder::User, "frank").await,
            "arn:aws:iam::aws:policy/Billing",
            &audit("iam:AttachUserPolicy", "frank"),
        )
        .await
        .unwrap();
    let effective = store.user_permissions(&user.id).await.unwrap().policies;
    let pairs: Vec<(Option<String>, String)> = effective
        .into_iter()
        .map(|p| (p.policy_arn, p.via))
        .collect();
    assert_eq!(
        pairs,
        vec![
            (
                Some("arn:aws:iam::aws:policy/Billing".to_string()),
                "Attached directly".to_string()
            ),
            (Some(read_only.to_string()), "Group readers".to_string()),
        ]
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while changes.load(std::sync::atomic::Ordering::SeqCst) < baseline + 2
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(changes.load(std::sync::atomic::Ordering::SeqCst) >= baseline + 2);

    // AWS's quota: ten managed policies per identity.
    for i in 0..9 {
        store
            .attach_policy(
                store::Holder::User,
                &holder_id(&store, store::Holder::User, "frank").await,
                &format!("arn:aws:iam::aws:policy/P{i}"),
                &audit("iam:AttachUserPolicy", "frank"),
            )
            .await
            .unwrap();
    }
    let err = store
        .attach_policy(
            store::Holder::User,
            &holder_id(&store, store::Holder::User, "frank").await,
            "arn:aws:iam::aws:policy/Eleventh",
            &audit("iam:AttachUserPolicy", "frank"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, store::AttachError::QuotaReached("user")),
        "{err}"
    );
    // Re-attaching one that is there is not a new attachment.
    store
        .attach_policy(
            store::Holder::User,
            &holder_id(&store, store::Holder::User, "frank").await,
            "arn:aws:iam::aws:policy/P0",
            &audit("iam:AttachUserPolicy", "frank"),
        )
        .await
        .unwrap();

    store
        .detach_policy(
            store::Holder::Group,
            &holder_id(&store, store::Holder::Group, "readers").await,
            read_only,
            &audit("iam:DetachGroupPolicy", "readers"),
        )
        .await
        .unwrap();
    assert!(store
        .own_permissions(
            store::Holder::Group,
            &holder_id(&store, store::Holder::Group, "readers").await
        )
        .await
        .unwrap()
        .policies
        .is_empty());
    assert!(matches!(
        store
            .detach_policy(
                store::Holder::Group,
                &holder_id(&store, store::Holder::Group, "readers").await,
                read_only,
                &audit("iam:DetachGroupPolicy", "readers")
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn cached_settings_follow_changes_made_by_another_process() {
    let options = test_database().await.unwrap();
    let here = Store::connect_with(options.clone(), 5).await.unwrap();
    let there = Store::connect_with(options, 5).await.unwrap();
    set_up(&here).await;
    here.watch_changes(|| {});
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Cached now.
    assert_eq!(here.settings().await.unwrap().lockout_threshold, 5);
    let mut changed = there.settings().await.unwrap();
    changed.lockout_threshold = 9;
    there
        .update_settings(&changed, &audit("iam:UpdateAccountSettings", "account"))
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        if here.settings().await.unwrap().lockout_threshold == 9 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the other process's change did not arrive within a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn customer_policies_keep_five_versions_and_cannot_be_deleted_while_attached() {
    let store = fresh().await;
    let account = set_up(&store).await;
    let doc = |n: u32| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b{n}/*"}}]}}"#
        )
    };
    let policy = store
        .create_policy(
            &format!("arn:aws:iam::{account}:policy/Reports"),
            "Reports",
            "read reports",
            &doc(1),
            &Default::default(),
            &audit("iam:CreatePolicy", "Reports"),
        )
        .await
        .unwrap();
    assert_eq!(policy.arn, format!("arn:aws:iam::{account}:policy/Reports"));
    assert!(matches!(
        store
            .create_policy(
                &format!("arn:aws:iam::{account}:policy/REPORTS"),
                "REPORTS",
                "",
                &doc(1),
                &Default::default(),
                &audit("iam:CreatePolicy", "REPORTS")
            )
            .await,
        Err(StoreError::Duplicate { .. })
    ));
    for n in 2..=5 {
        let v = store
            .create_policy_version(
                &policy_id(&store, "reports").await,
                &doc(n),
                n % 2 == 0,
                &audit("iam:CreatePolicyVersion", "Reports"),
            )
            .await
            .unwrap();
        assert_eq!(v, i32::try_from(n).unwrap());
    }
    // The sixth is refused, with nothing written.
    let sixth = store
        .create_policy_version(
            &policy_id(&store, "Reports").await,
            &doc(6),
            true,
            &audit("iam:CreatePolicyVersion", "Reports"),
        )
        .await;
    assert!(
        matches!(sixth, Err(StoreError::VersionLimit { .. })),
        "{sixth:?}"
    );
    let (policy, versions) = store.customer_policy("Reports").await.unwrap().unwrap();
    assert_eq!(versions.len(), 5);
    assert_eq!(
        policy.default_version, 4,
        "v4 was the last saved as default"
    );
    // The default version cannot be deleted; another can, and numbers are not reused.
    assert!(matches!(
        store
            .delete_policy_version(
                &policy_id(&store, "Reports").await,
                4,
                &audit("iam:DeletePolicyVersion", "Reports")
            )
            .await,
        Err(StoreError::DefaultVersion { .. })
    ));
    store
        .delete_policy_version(
            &policy_id(&store, "Reports").await,
            1,
            &audit("iam:DeletePolicyVersion", "Reports"),
        )
        .await
        .unwrap();
    let v6 = store
        .create_policy_version(
            &policy_id(&store, "Reports").await,
            &doc(6),
            false,
            &audit("iam:CreatePolicyVersion", "Reports"),
        )
        .await
        .unwrap();
    assert_eq!(v6, 6);

    // Attached, the default version's document is what applies; rolling back changes it.
    let user = store
        .create_user(
            &account,
            &new_user("gina"),
            now(),
            &audit("iam:CreateUser", "gina"),
        )
        .await
        .unwrap();
    store
        .attach_policy(
            store::Holder::User,
            &holder_id(&store, store::Holder::User, "gina").await,
            &policy.arn,
            &audit("iam:AttachUserPolicy", "gina"),
        )
        .await
        .unwrap();
    let effective = store.user_permissions(&user.id).await.unwrap().policies;
    assert_eq!(effective[0].document.as_deref(), Some(doc(4).as_str()));
    store
        .set_default_policy_version(
            &policy_id(&store, "Reports").await,
            2,
            &audit("iam:SetDefaultPolicyVersion", "Reports"),
        )
        .await
        .unwrap();
    let effective = store.user_permissions(&user.id).await.unwrap().policies;
    assert_eq!(effective[0].document.as_deref(), Some(doc(2).as_str()));
    assert!(matches!(
        store
            .set_default_policy_version(
                &policy_id(&store, "Reports").await,
                1,
                &audit("iam:SetDefaultPolicyVersion", "Reports")
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // In use: deletion names where it is attached.
    match store
        .delete_policy(
            &policy_id(&store, "Reports").await,
            &audit("iam:DeletePolicy", "Reports"),
        )
        .await
    {
        Err(e @ StoreError::InUse { .. }) => assert!(e.to_string().contains("user gina"), "{e}"),
        other => panic!("expected InUse, got {other:?}"),
    }
    store
        .detach_policy(
            store::Holder::User,
            &holder_id(&store, store::Holder::User, "gina").await,
            &policy.arn,
            &audit("iam:DetachUserPolicy", "gina"),
        )
        .await
        .unwrap();
    store
        .delete_policy(
            &policy_id(&store, "Reports").await,
            &audit("iam:DeletePolicy", "Reports"),
        )
        .await
        .unwrap();
    assert!(store.customer_policy("Reports").await.unwrap().is_none());
    // A policy that does not exist cannot be attached.
    assert!(matches!(
        store
            .attach_policy(
                store::Holder::User,
                &holder_id(&store, store::Holder::User, "gina").await,
                &policy.arn,
                &audit("iam:AttachUserPolicy", "gina")
            )
            .await,
        Err(store::AttachError::NoSuchPolicy(_))
    ));
}

#[tokio::test]
async fn roles_given_to_groups_reach_members_and_inline_policies_keep_to_their_quota() {
    use store::{AttachError, Holder};
    let store = fresh().await;
    let account = set_up(&store).await;
    let user = store
        .create_user(
            &account,
            &new_user("hana"),
            now(),
            &audit("iam:CreateUser", "hana"),
        )
        .await
        .unwrap();
    store
        .create_group(
            &account,
            "/",
            "auditors",
            &audit("iam:CreateGroup", "auditors"),
        )
        .await
        .unwrap();
    store
        .add_member(
            &holder_id(&store, store::Holder::Group, "auditors").await,
            &holder_id(&store, store::Holder::User, "hana").await,
            &audit("iam:AddUserToGroup", "auditors"),
        )
        .await
        .unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[]}"#;
    let tags = Default::default();
    let role = store
        .create_role(
            &account,
            &new_role("Auditor", trust, &tags),
            &audit("iam:CreateRole", "Auditor"),
        )
        .await
        .unwrap();
    assert_eq!(role.arn, format!("arn:aws:iam::{account}:role/Auditor"));
    assert!(matches!(
        store
            .create_role(
                &account,
                &new_role("auditor", trust, &tags),
                &audit("iam:CreateRole", "x")
            )
            .await,
        Err(StoreError::Duplicate { .. })
    ));
    let read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    store
        .attach_policy(
            Holder::Role,
            &holder_id(&store, store::Holder::Role, "Auditor").await,
            read_only,
            &audit("iam:AttachRolePolicy", "Auditor"),
        )
        .await
        .unwrap();
    let inline = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"billing:*","Resource":"*"}]}"#;
    store
        .put_inline_policy(
            Holder::Role,
            &holder_id(&store, store::Holder::Role, "Auditor").await,
            "Billing",
            inline,
            10240,
            &audit("iam:PutRolePolicy", "Auditor"),
        )
        .await
        .unwrap();

    // Given to the group, the role's policies (managed and inline) reach its member.
    store
        .grant_role(
            Holder::Group,
            &holder_id(&store, store::Holder::Group, "auditors").await,
            &holder_id(&store, store::Holder::Role, "Auditor").await,
            true,
            &audit("iam:AttachGroupPolicy", "auditors"),
        )
        .await
        .unwrap();
    let effective = store.user_permissions(&user.id).await.unwrap();
    let seen: Vec<(String, String)> = effective
        .policies
        .iter()
        .map(|p| (p.name.clone(), p.via.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "Billing".to_string(),
                "Inline in Role Auditor through group auditors".to_string()
            ),
            (
                "ReadOnlyAccess".to_string(),
                "Role Auditor through group auditors".to_string()
            ),
        ]
    );
    assert_eq!(effective.policies[0].document.as_deref(), Some(inline));
    // Everyone's permissions at once agree with one user's.
    let everyone = store.everyones_permissions().await.unwrap();
    assert_eq!(everyone.get(&user.id), Some(&effective));
    assert_eq!(
        everyone.get(&role.id).map(|p| p.policies.len()),
        Some(2),
        "the role's own policies"
    );
    let role = store.role("auditor").await.unwrap().unwrap();
    assert_eq!(role.holders, vec!["group auditors".to_string()]);

    // Editing the role once changes every holder.
    store
        .detach_policy(
            Holder::Role,
            &holder_id(&store, store::Holder::Role, "Auditor").await,
            read_only,
            &audit("iam:DetachRolePolicy", "Auditor"),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .user_permissions(&user.id)
            .await
            .unwrap()
            .policies
            .len(),
        1
    );

    // Inline policies count together against the holder's quota; replacing one is
    // measured without its old text, and nothing is written past the quota.
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Action":"s3:*","Resource":"*"}}]}}"#,
        "A".repeat(1900)
    );
    store
        .put_inline_policy(
            Holder::User,
            &holder_id(&store, store::Holder::User, "hana").await,
            "Big",
            &big,
            2048,
            &audit("iam:PutUserPolicy", "hana"),
        )
        .await
        .unwrap();
    store
        .put_inline_policy(
            Holder::User,
            &holder_id(&store, store::Holder::User, "hana").await,
            "big",
            &big,
            2048,
            &audit("iam:PutUserPolicy", "hana"),
        )
        .await
        .unwrap();
    let refused = store
        .put_inline_policy(
            Holder::User,
            &holder_id(&store, store::Holder::User, "hana").await,
            "Second",
            inline,
            2048,
            &audit("iam:PutUserPolicy", "hana"),
        )
        .await;
    assert!(
        matches!(refused, Err(AttachError::InlineQuota { limit: 2048, .. })),
        "{refused:?}"
    );
    let own = store
        .own_permissions(
            Holder::User,
            &holder_id(&store, store::Holder::User, "hana").await,
        )
        .await
        .unwrap();
    assert_eq!(
        own.policies
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Big"]
    );

    // A boundary is reported apart from the policies, and a policy used as one
    // cannot be deleted.
    let policy = store
        .create_policy(
            &format!("arn:aws:iam::{account}:policy/Ceiling"),
            "Ceiling",
            "",
            inline,
            &Default::default(),
            &audit("iam:CreatePolicy", "Ceiling"),
        )
        .await
        .unwrap();
    store
        .set_boundary(
            Holder::User,
            &holder_id(&store, store::Holder::User, "hana").await,
            Some(&policy.arn),
            &audit("iam:PutUserPermissionsBoundary", "hana"),
        )
        .await
        .unwrap();
    let effective = store.user_permissions(&user.id).await.unwrap();
    assert_eq!(
        effective.boundary.map(|b| b.name),
        Some("Ceiling".to_string())
    );
    assert!(matches!(
        store.delete_policy(&policy_id(&store, "Ceiling").await, &audit("iam:DeletePolicy", "Ceiling")).await,
        Err(StoreError::InUse { attached_to, .. }) if attached_to == "user hana (boundary)"
    ));
    assert!(matches!(
        store
            .set_boundary(
                Holder::Group,
                &holder_id(&store, store::Holder::Group, "auditors").await,
                Some(&policy.arn),
                &audit("x:y", "auditors")
            )
            .await,
        Err(AttachError::NoBoundary)
    ));

    // Deleting the role takes it from every holder.
    store
        .delete_role(
            &holder_id(&store, store::Holder::Role, "Auditor").await,
            &audit("iam:DeleteRole", "Auditor"),
        )
        .await
        .unwrap();
    let effective = store.user_permissions(&user.id).await.unwrap();
    assert!(effective
        .policies
        .iter()
        .all(|p| !p.via.contains("Auditor")));
}

/// As root, from a folder the `postgres` user cannot enter (a home directory is
/// 0700 in most containers), the embedded cluster lives under /var/lib/portcullis
/// and says so; it starts and answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_cluster_starts_from_a_private_folder() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(1)
        != 0
    {
        eprintln!("skipped: only root moves the cluster out of a private folder");
        return;
    }
    let private = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "private-{}",
        store::ids::unique_id("").to_lowercase()
    ));
    std::fs::create_dir_all(&private).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let data = private.join("data");
    let (location, note) = store::cluster::location(&data).unwrap();
    assert!(location.starts_with("/var/lib/portcullis"), "{location:?}");
    assert!(note.unwrap().contains("not reachable by the postgres user"));
    // The same folder always maps to the same place.
    assert_eq!(store::cluster::location(&data).unwrap().0, location);
    let started = location.clone();
    let mut cluster = tokio::task::spawn_blocking(move || store::cluster::Cluster::start(&started))
        .await
        .unwrap()
        .unwrap();
    cluster.ensure_database("portcullis").await.unwrap();
    let store = Store::connect_with(cluster.options("portcullis"), 2)
        .await
        .unwrap();
    assert!(store.ping().await);
    store.pool().close().await;
    tokio::task::block_in_place(|| cluster.stop());
    drop(cluster);
    std::fs::remove_dir_all(&location).unwrap();
    std::fs::remove_dir_all(&private).unwrap();
}

fn new_role<'a>(
    name: &'a str,
    trust: &'a str,
    tags: &'a std::collections::BTreeMap<String, String>,
) -> store::roles::NewRole<'a> {
    store::roles::NewRole {
        name,
        path: "/",
        description: "",
        trust_policy: trust,
        max_session_seconds: 3600,
        tags,
    }
}

/// Decimals as billing files write them: signs, exponents, long fractions, zeros.
fn decimals(count: usize) -> Vec<String> {
    use rand::{Rng, SeedableRng};
    let mut decimals: Vec<String> = [
        "0",
        "-0",
        "0.000",
        "-0.00",
        "12.50",
        "-12345.6",
        "0.0668160000",
        "1E-7",
        "3.2e+4",
        "1.5E+3",
        "-2.5e-3",
        "10000",
        "9999.9999",
        "0.00010000",
        "+7",
        "123456789012345678901234567890.123456789",
        "1e999",
        "1e-999",
        "-0.000000000000000000000000000001",
        "5e0",
        "00012.3400",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(10);
    for _ in 0..count {
        let whole: String = (0..rng.gen_range(0..12))
            .map(|_| char::from(b'0' + rng.gen_range(0..10)))
            .collect();
        let fraction: String = (0..rng.gen_range(0..14))
            .map(|_| char::from(b'0' + rng.gen_range(0..10)))
            .collect();
        let mut text = match (whole.is_empty(), fraction.is_empty()) {
            (true, true) => "0".to_string(),
            (false, true) => whole,
            (true, false) => format!(".{fraction}"),
            (false, false) => format!("{whole}.{fraction}"),
        };
        if rng.gen_bool(0.3) {
            text.insert(0, '-');
        }
        if rng.gen_bool(0.2) {
            text.push_str(&format!("E{}", rng.gen_range(-20..20)));
        }
        decimals.push(text);
    }
    decimals
}

/// Line items go to PostgreSQL in binary COPY: every value must be the one
/// PostgreSQL itself reads from the text (same value, same display scale).
#[tokio::test]
async fn binary_copy_values_equal_what_postgresql_reads_from_text() {
    use store::pg_binary::{Tuples, HEADER, TRAILER};
    let store = fresh().await;
    let mut conn = store.pool().acquire().await.unwrap();
    sqlx::query(
        "CREATE TEMP TABLE copied (n BIGINT, v NUMERIC, t TIMESTAMPTZ, d DATE, s TEXT, q NUMERIC)",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    let decimals = decimals(2_000);
    let times = [
        "2026-10-16T06:00:00Z",
        "2024-02-29 23:59:59.999999",
        "1999-12-31T23:59:59.123456789+02:00",
        "2000-01-01T00:00:00Z",
        "2038-01-19T03:14:08.5-05:30",
    ];
    let mut tuples = Tuples::default();
    for (n, text) in decimals.iter().enumerate() {
        let time = spend::item::parse_timestamp(times[n % times.len()]).unwrap();
        tuples.tuple(6);
        tuples.int8(n as i64);
        tuples.numeric(text).unwrap();
        tuples.timestamptz(time);
        tuples.date(time.date());
        tuples.text(&format!("ünïcode {text}"));
        tuples.null();
    }
    let mut copy = conn
        .copy_in_raw("COPY copied (n, v, t, d, s, q) FROM STDIN WITH (FORMAT binary)")
        .await
        .unwrap();
    copy.send(HEADER).await.unwrap();
    copy.send(tuples.take()).await.unwrap();
    copy.send(TRAILER).await.unwrap();
    assert_eq!(copy.finish().await.unwrap(), decimals.len() as u64);
    let read: Vec<(i64, String, String, String, String, bool)> = sqlx::query_as(
        "SELECT n, v::text, t AT TIME ZONE 'UTC' || '', d::text, s, q IS NULL FROM copied ORDER BY n",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for (n, value, time, day, text, no_quantity) in read {
        let decimal = &decimals[n as usize];
        let expected: String = sqlx::query_scalar("SELECT $1::numeric::text")
            .bind(decimal)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(value, expected, "{decimal}");
        let stamp = spend::item::parse_timestamp(times[n as usize % times.len()]).unwrap();
        // Cut to microseconds, never rounded onto another day.
        let utc = stamp.to_offset(time::UtcOffset::UTC);
        let micros = format!(
            "{} {:02}:{:02}:{:02}{}",
            utc.date(),
            utc.hour(),
            utc.minute(),
            utc.second(),
            if utc.microsecond() == 0 {
                String::new()
            } else {
                format!(".{:06}", utc.microsecond())
                    .trim_end_matches('0')
                    .to_string()
            }
        );
        assert_eq!(time, micros);
        assert_eq!(day, stamp.date().to_string());
        assert_eq!(text, format!("ünïcode {decimal}"));
        assert!(no_quantity);
    }
}

/// A store with `connections` pooled connections on a fresh, migrated database.
async fn migrated_store(connections: u32) -> Store {
    let store = Store::connect_with(test_database().await.unwrap(), connections)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

/// An import by root of `files`.
fn root_import(files: &str) -> store::costs::NewImport {
    store::costs::NewImport {
        by: "root".into(),
        files: files.into(),
        format: "auto".into(),
        at: now(),
    }
}

/// An import stream that announces September 2024, opens its COPY with no rows and
/// stalls there until `resume` completes: what `import_costs` takes, and the feed.
fn stalled_stream(
    resume: impl std::future::Future<Output = ()> + Send + 'static,
) -> (
    tokio::sync::oneshot::Sender<i64>,
    tokio::sync::mpsc::Receiver<store::costs::Chunk>,
    tokio::task::JoinHandle<()>,
) {
    use store::costs::Chunk;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let (id_sender, id_receiver) = tokio::sync::oneshot::channel();
    let feed = tokio::spawn(async move {
        let _ = id_receiver.await;
        let _ = sender
            .send(Chunk::Period(time::macros::date!(2024 - 09 - 01)))
            .await;
        let _ = sender.send(Chunk::Rows(Vec::new())).await;
        resume.await;
        drop(sender);
    });
    (id_sender, receiver, feed)
}

/// A COPY that PostgreSQL refuses half-way must leave its pooled connection in step:
/// the next query on it gets its own answer, not the leftovers of the import.
#[tokio::test]
async fn a_refused_import_leaves_its_connection_answering_rightly() {
    use store::costs::Chunk;
    // One connection, so the next query runs on the import's.
    let store = migrated_store(1).await;
    for garbage in [vec![0u8, 1, 2, 3], vec![0u8, 16, 0, 0, 0, 8, 1, 2]] {
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        let (id_sender, id_receiver) = tokio::sync::oneshot::channel();
        let feed = tokio::spawn(async move {
            let _ = id_receiver.await;
            let period = time::macros::date!(2024 - 09 - 01);
            let _ = sender.send(Chunk::Period(period)).await;
            // Not tuples PostgreSQL can read: it refuses the COPY.
            let _ = sender.send(Chunk::Rows(garbage)).await;
            let _ = sender.send(Chunk::Keys(Vec::new())).await;
            let _ = sender.send(Chunk::Finish).await;
        });
        let import = root_import("garbage.csv");
        let result = store
            .import_costs(&import, id_sender, receiver, |_| audit("ImportCosts", "x"))
            .await;
        feed.await.unwrap();
        assert!(result.is_err(), "{result:?}");
        answers_in_step(&store).await;
    }
}

/// An import whose future is dropped half-way (a browser that went away) must not
/// leave its pooled connection answering the next query with the import's leftovers.
#[tokio::test]
async fn a_dropped_import_leaves_its_connection_answering_rightly() {
    let store = Store::connect_with(test_database().await.unwrap(), 1)
        .await
        .unwrap();
    let (id_sender, receiver, feed) =
        stalled_stream(tokio::time::sleep(std::time::Duration::from_secs(5)));
    let import = root_import("stalled.csv");
    let dropped = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        store.import_costs(&import, id_sender, receiver, |_| audit("ImportCosts", "x")),
    )
    .await;
    assert!(dropped.is_err(), "the import was still waiting");
    answers_in_step(&store).await;
    feed.abort();
}

/// An import that brings a new billing period makes its partitions in its own
/// transaction, which lasts as long as the file streams: meanwhile dashboards,
/// reports and exports must go on reading every cost table, not wait for it.
#[tokio::test]
async fn an_import_of_a_new_period_locks_out_no_reader() {
    let store = migrated_store(2).await;
    // The stream stalls inside its COPY until the readers are done.
    let (done, stalled) = tokio::sync::oneshot::channel::<()>();
    let (id_sender, receiver, feed) = stalled_stream(async move {
        let _ = stalled.await;
    });
    let import = root_import("slow.csv");
    let importing = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .import_costs(&import, id_sender, receiver, |_| audit("ImportCosts", "x"))
                .await
        })
    };
    // Until the import has changed all three tables' partitions (its new tables are
    // not visible from here until it commits; its locks on their parents are).
    let mut made = false;
    for _ in 0..100 {
        let held: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT relation) FROM pg_locks
             WHERE relation IN ('cost_line_items'::regclass, 'cost_daily'::regclass, 'cost_key_monthly'::regclass)
               AND pid <> pg_backend_pid() AND granted
               AND mode IN ('ShareUpdateExclusiveLock', 'AccessExclusiveLock')",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        if held >= 3 {
            made = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(made, "the import made its partitions");
    for table in ["cost_line_items", "cost_daily", "cost_key_monthly"] {
        let mut tx = store.pool().begin().await.unwrap();
        sqlx::query("SET LOCAL lock_timeout = '2s'")
            .execute(&mut *tx)
            .await
            .unwrap();
        let read = sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await;
        assert!(matches!(read, Ok(0)), "{table}: {read:?}");
        tx.rollback().await.unwrap();
    }
    let _ = done.send(());
    feed.await.unwrap();
    assert!(
        importing.await.unwrap().is_err(),
        "a stream cut short imports nothing"
    );
}

/// A `COPY … TO STDOUT` read in part (an export whose client went away) gives its
/// connection back with the rest of its answer unread: the pool must not hand that
/// connection on, or each later query would read the previous one's rows.
#[tokio::test]
async fn a_copy_read_in_part_leaves_no_connection_out_of_step() {
    use futures_util::StreamExt;
    use sqlx::postgres::PgPoolCopyExt;
    let store = Store::connect_with(test_database().await.unwrap(), 1)
        .await
        .unwrap();
    for _ in 0..3 {
        let mut stream = store
            .pool()
            .copy_out_raw(
                "COPY (SELECT n, repeat('x', 100) FROM generate_series(1, 200000) n) TO STDOUT",
            )
            .await
            .unwrap();
        assert!(stream.next().await.is_some());
        drop(stream);
        answers_in_step(&store).await;
    }
}

/// Each query on the pool gets its own answer: a number, and no row where there is none.
async fn answers_in_step(store: &Store) {
    for n in [41i64, 42, 43] {
        let answer: Result<i64, _> = sqlx::query_scalar("SELECT $1::bigint")
            .bind(n)
            .fetch_one(store.pool())
            .await;
        assert!(matches!(answer, Ok(a) if a == n), "{answer:?}");
    }
    let none: Option<i64> = sqlx::query_scalar("SELECT 1::bigint WHERE false")
        .fetch_optional(store.pool())
        .await
        .unwrap();
    assert_eq!(none, None);
}

/// Migration 0032 replaces the sums tables' partitioned indexes with one index per
/// existing partition, named as an import names the ones it builds.
#[tokio::test]
async fn migration_0032_indexes_the_sums_partitions_already_there() {
    use sqlx::Connection;
    let options = test_database().await.unwrap();
    let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
    // Back to the schema before 0032, with a period's partitions made then.
    for statement in [
        "DELETE FROM _sqlx_migrations WHERE version = 32",
        "CREATE INDEX cost_daily_day ON cost_daily (day, key_id)",
        "CREATE INDEX cost_key_monthly_month ON cost_key_monthly (month, key_id)",
        "CREATE TABLE cost_daily_p202609 PARTITION OF cost_daily
             FOR VALUES FROM ('2026-09-01') TO ('2026-10-01')",
        "CREATE TABLE cost_key_monthly_p202609 PARTITION OF cost_key_monthly
             FOR VALUES FROM ('2026-09-01') TO ('2026-10-01')",
    ] {
        sqlx::query(statement).execute(&mut conn).await.unwrap();
    }
    store::MIGRATOR.run(&mut conn).await.unwrap();
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT tablename::text, indexdef FROM pg_indexes
         WHERE tablename LIKE 'cost\\_daily%' OR tablename LIKE 'cost\\_key\\_monthly%' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        indexes,
        [
            ("cost_daily_p202609", "CREATE INDEX cost_daily_p202609_day ON public.cost_daily_p202609 USING btree (day, key_id)"),
            ("cost_key_monthly_p202609", "CREATE INDEX cost_key_monthly_p202609_month ON public.cost_key_monthly_p202609 USING btree (month, key_id)"),
        ]
        .map(|(t, i)| (t.to_string(), i.to_string()))
        .to_vec()
    );
}
