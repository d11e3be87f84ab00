//! Rules decided against the clock: second-factor and password-change windows,
//! session limits, role sessions, password age and lockout windows.

use service::ServiceError;

use super::*;

fn minutes(n: i64) -> time::Duration {
    time::Duration::minutes(n)
}

#[tokio::test]
async fn session_limits_follow_the_clock() {
    let world = world().await;
    let root = world.set_up().await;
    assert!(world.caller(&root).await.is_ok());
    // Idle for 61 minutes (the default limit is 60): signed out, and the door is
    // told to forget the session.
    world.clock.advance(minutes(61));
    let (caller, change) = world
        .service
        .resolve(Some(&root), None, None, world.facts.clone())
        .await;
    assert_eq!(caller.unwrap_err(), ServiceError::SignedOut);
    assert_eq!(change, SessionChange::End);

    // Active every 50 minutes, but past the 12-hour absolute limit: signed out too.
    let (change, _) = world.sign_in("root@example.com", ROOT_PASSWORD).await;
    let mut session = state(&change);
    for _ in 0..16 {
        world.clock.advance(minutes(50));
        let (caller, change) = world
            .service
            .resolve(Some(&session), None, None, world.facts.clone())
            .await;
        match change {
            SessionChange::Set(next) => session = next,
            SessionChange::Keep => {}
            SessionChange::End => {
                assert!(caller.is_err());
                return;
            }
            SessionChange::Start(_) => panic!("resolve never starts a session"),
        }
    }
    panic!("the session outlived the absolute limit");
}

#[tokio::test]
async fn the_second_factor_and_the_forced_change_must_come_in_time() {
    let world = world().await;
    let root = world.set_up().await;
    let root_caller = world.caller(&root).await.unwrap();
    world
        .service
        .create_user(
            &root_caller,
            service::users::NewUserInput {
                name: "bea".into(),
                path: String::new(),
                password_mode: model::users::PasswordMode::Custom,
                password: "Bea-Password-1234567".into(),
                require_reset: true,
                tags: String::new(),
                tag_pairs: Vec::new(),
                boundary: None,
            },
        )
        .await
        .unwrap();
    let (change, stage) = world.sign_in("bea", "Bea-Password-1234567").await;
    assert_eq!(stage.unwrap(), Stage::ChangePassword);
    world.clock.advance(minutes(11));
    let late = world
        .service
        .change_required_password(
            &world.facts,
            Some(state(&change)),
            "Bea-Changed-987654321",
            "Bea-Changed-987654321",
        )
        .await;
    assert_eq!(late.session, SessionChange::End);
    assert_eq!(late.outcome.unwrap_err(), ServiceError::SignedOut);

    // A pending second factor lasts five minutes.
    let pending = SessionState::MfaPending {
        user_id: "AIDAWHATEVER".into(),
        started: world.clock.clock().now().unix_timestamp() - 301,
        epoch: 0,
        failures: 0,
    };
    let late = world
        .service
        .verify_mfa(&world.facts, Some(pending), "123456")
        .await;
    assert_eq!(late.session, SessionChange::End);
}

#[tokio::test]
async fn passwords_age_and_locks_run_out_by_the_clock() {
    let world = world().await;
    let root = world.set_up().await;
    world.user(&root, "cal", "Cal-Password-1234567").await;
    let root_caller = world.caller(&root).await.unwrap();
    world
        .service
        .update_password_policy(
            &root_caller,
            &model::settings::PasswordPolicyForm {
                minimum_password_length: "8".into(),
                allow_users_to_change_password: true,
                max_password_age: "30".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    world.clock.advance(time::Duration::days(31));
    let (_, stage) = world.sign_in("cal", "Cal-Password-1234567").await;
    assert_eq!(
        stage.unwrap(),
        Stage::ChangePassword,
        "an expired password must change"
    );

    // Five wrong passwords lock for 15 minutes; then a new count starts.
    for _ in 0..5 {
        let (_, outcome) = world.sign_in("cal", "wrong-password").await;
        assert!(outcome.is_err());
    }
    let (_, locked) = world.sign_in("cal", "Cal-Password-1234567").await;
    assert!(locked.is_err(), "locked");
    world.clock.advance(minutes(16));
    let (_, open) = world.sign_in("cal", "Cal-Password-1234567").await;
    assert!(open.is_ok(), "the lock ran out");
}

#[tokio::test]
async fn a_role_session_ends_at_its_hour() {
    let world = world().await;
    let root = world.set_up().await;
    world.user(&root, "dan", "Dan-Password-1234567").await;
    let root_caller = world.caller(&root).await.unwrap();
    world
        .service
        .create_role(
            &root_caller,
            model::roles::NewRole {
                name: "Helper".into(),
                trusted_users: "dan".into(),
                max_session_hours: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (change, _) = world.sign_in("dan", "Dan-Password-1234567").await;
    let dan = state(&change);
    let caller = world.caller(&dan).await.unwrap();
    let session = world
        .service
        .switch_role(&caller, "helper", "", 1)
        .await
        .unwrap();
    assert_eq!(
        session.role_name, "Helper",
        "the stored name, whatever was typed"
    );
    let role_of = |caller: Result<Caller, ServiceError>| caller.unwrap().role;
    let id = session.id.clone();
    let facts = world.facts.clone();
    let resolve = |at: SessionState| {
        let (service, id, facts) = (world.service.clone(), id.clone(), facts.clone());
        async move { service.resolve(Some(&at), Some(&id), None, facts).await }
    };
    assert!(role_of(resolve(dan.clone()).await.0).is_some());
    world.clock.advance(minutes(59));
    let dan_later = match world
        .service
        .resolve(Some(&dan), None, None, world.facts.clone())
        .await
        .1
    {
        SessionChange::Set(next) => next,
        _ => dan.clone(),
    };
    assert!(role_of(resolve(dan_later.clone()).await.0).is_some());
    world.clock.advance(minutes(2));
    assert!(
        role_of(resolve(dan_later).await.0).is_none(),
        "ended after its hour"
    );
}
