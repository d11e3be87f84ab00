//! The compiled-policy cache keeps nothing read before a change was announced.

use std::time::Duration;

use super::*;

#[tokio::test]
async fn a_change_announced_during_a_read_is_not_lost() {
    let world = world().await;
    let root = world.set_up().await;
    world.user(&root, "ava", "Ava-Password-123456").await;
    let store = world.service.store().clone();
    world.service.watch_changes();
    listening(&store).await;
    let cache = world.service.policy_cache().clone();
    let ava = store.user_by_name("ava").await.unwrap().unwrap();
    // The read happens, then a change is announced before the result is stored.
    let racing = cache.clone();
    let id = ava.id.clone();
    let reader = store.clone();
    cache
        .get_or_load(&store, format!("user:{id}"), || async move {
            let read = reader.user_permissions(&id).await;
            racing.invalidate();
            read
        })
        .await
        .unwrap();
    assert!(
        cache.is_empty(),
        "what was read before the change is not kept"
    );
    // Without a change in between, it is kept.
    let id = ava.id.clone();
    let reader = store.clone();
    cache
        .get_or_load(&store, format!("user:{id}"), || async move {
            reader.user_permissions(&id).await
        })
        .await
        .unwrap();
    assert_eq!(cache.len(), 1);
}

/// A change made by this process is in force for its very next request, without
/// waiting for the database's announcement to come back (it still reaches the others).
#[tokio::test]
async fn a_change_made_here_applies_at_once() {
    let world = world().await;
    let root_session = world.set_up().await;
    let root = world.caller(&root_session).await.unwrap();
    world.user(&root_session, "bo", "Bo-Password-1234567").await;
    let store = world.service.store().clone();
    world.service.watch_changes();
    listening(&store).await;
    let (change, _) = world.sign_in("bo", "Bo-Password-1234567").await;
    let bo = world.caller(&state(&change)).await.unwrap();
    for round in 0..20 {
        // Refused (and the refusal's compiled set cached)...
        assert!(
            world.service.list_groups(&bo).await.is_err(),
            "round {round}: refused before the policy"
        );
        world
            .service
            .put_inline_policy(
                &root,
                model::Holder::User,
                "bo",
                "groups",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListGroups","Resource":"*"}]}"#,
            )
            .await
            .unwrap();
        // ...allowed on the very next call, and refused again right after removal.
        assert!(
            world.service.list_groups(&bo).await.is_ok(),
            "round {round}: the new policy applies at once"
        );
        world
            .service
            .delete_inline_policy(&root, model::Holder::User, "bo", "groups")
            .await
            .unwrap();
    }
}

/// Waits until the store hears change announcements.
async fn listening(store: &store::Store) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !store.is_listening() {
        assert!(
            std::time::Instant::now() < deadline,
            "the listener never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
