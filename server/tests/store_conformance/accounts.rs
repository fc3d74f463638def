//! Accounts, devices, keys and Stripe bookkeeping on every backend.

use sync_core::wire::SyncTier;
use sync_server::domain::accounts::hash_token;
use sync_server::store::metadata::{
    CreateKeysOutcome, CreateUserOutcome, KeysUpdate, RegisterOutcome, SubscriptionChange, SubscriptionOutcome,
    UpdateKeysOutcome,
};

use crate::*;

#[tokio::test]
async fn users_and_tokens() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        // The URL signing secret is made once and then stays.
        let secret = store.url_signing_secret().await.unwrap();
        assert_eq!(store.url_signing_secret().await.unwrap(), secret, "{name}");
        assert_ne!(secret, [0; 32], "{name}");

        let bob = user(store, "bob@example.com", SyncTier::Pro).await;
        let alice = user(store, "alice@example.com", SyncTier::Starter).await;
        assert_ne!(alice.id, bob.id, "{name}");
        assert_eq!(
            (alice.email.as_str(), alice.tier, alice.created_at),
            ("alice@example.com", SyncTier::Starter, at(0))
        );
        let taken = store.create_user("alice@example.com", SyncTier::Pro, hash_token("other"), at(1)).await.unwrap();
        assert_eq!(taken, CreateUserOutcome::EmailTaken, "{name}");

        let by_token = store.user_by_token_hash(hash_token("token of alice@example.com")).await.unwrap();
        assert_eq!(by_token.as_ref(), Some(&alice), "{name}");
        assert_eq!(store.user_by_token_hash(hash_token("nobody")).await.unwrap(), None, "{name}");
        assert_eq!(store.user_by_email("bob@example.com").await.unwrap(), Some(bob.clone()), "{name}");
        assert_eq!(store.user_by_email("carol@example.com").await.unwrap(), None, "{name}");

        // Listing: by e-mail, with usage.
        register(store, &alice, "a1").await;
        stored(store, &alice, &meta(1, sync_core::BlobType::Text, 0, 300, "a1"), &["x"], at(1)).await;
        let list = store.list_users().await.unwrap();
        let emails: Vec<&str> = list.iter().map(|s| s.user.email.as_str()).collect();
        assert_eq!(emails, ["alice@example.com", "bob@example.com"], "{name}");
        assert_eq!((list[0].device_count, list[0].blob_count, list[0].storage_used), (1, 1, 300), "{name}");
        assert_eq!((list[1].device_count, list[1].blob_count, list[1].storage_used), (0, 0, 0), "{name}");

        // Tier and token changes; none for a missing account.
        assert!(store.set_tier(alice.id, SyncTier::Team).await.unwrap(), "{name}");
        assert_eq!(store.user_by_email("alice@example.com").await.unwrap().unwrap().tier, SyncTier::Team, "{name}");
        assert!(!store.set_tier(alice.id + bob.id + 1000, SyncTier::Team).await.unwrap(), "{name}");
        assert!(store.set_token_hash(alice.id, hash_token("new")).await.unwrap(), "{name}");
        assert_eq!(store.user_by_token_hash(hash_token("token of alice@example.com")).await.unwrap(), None, "{name}");
        assert_eq!(store.user_by_token_hash(hash_token("new")).await.unwrap().map(|u| u.id), Some(alice.id), "{name}");
        assert!(!store.set_token_hash(alice.id + bob.id + 1000, hash_token("x")).await.unwrap(), "{name}");
        // Bob's token is untouched.
        assert!(store.user_by_token_hash(hash_token("token of bob@example.com")).await.unwrap().is_some(), "{name}");
    }
}

#[tokio::test]
async fn devices_within_the_limit() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let gus = user(store, "gus@example.com", SyncTier::Starter).await;
        let other = user(store, "other@example.com", SyncTier::Starter).await;
        let limit = Some(2);
        assert_eq!(
            store.register_device(gus.id, device("g1"), limit, at(1)).await.unwrap(),
            RegisterOutcome::Registered
        );
        assert_eq!(
            store.register_device(gus.id, device("g2"), limit, at(2)).await.unwrap(),
            RegisterOutcome::Registered
        );
        assert_eq!(
            store.register_device(gus.id, device("g3"), limit, at(3)).await.unwrap(),
            RegisterOutcome::LimitExceeded
        );
        assert_eq!(store.device(gus.id, &dev("g3")).await.unwrap(), None, "{name}");
        // A registered device refreshes its name, OS and version, even at a lower limit.
        let renamed = NewDevice { device_name: "renamed".into(), app_version: None, ..device("g1") };
        assert_eq!(
            store.register_device(gus.id, renamed, Some(1), at(9)).await.unwrap(),
            RegisterOutcome::AlreadyRegistered
        );
        let g1 = store.device(gus.id, &dev("g1")).await.unwrap().unwrap();
        assert_eq!(
            (g1.device_name.as_str(), g1.app_version.as_deref(), g1.created_at),
            ("renamed", None, at(1)),
            "{name}"
        );
        assert_eq!(g1.last_sync_at, None, "{name}");
        // Another account's devices are its own.
        assert_eq!(
            store.register_device(other.id, device("g3"), limit, at(4)).await.unwrap(),
            RegisterOutcome::Registered
        );
        assert_eq!(store.device(gus.id, &dev("g3")).await.unwrap(), None, "{name}");
        // Oldest first.
        let ids: Vec<String> =
            store.list_devices(gus.id).await.unwrap().into_iter().map(|d| d.device_id.to_string()).collect();
        assert_eq!(ids, ["g1", "g2"], "{name}");
        // Removing frees a place; removing twice, or another account's device, removes nothing.
        assert!(!store.remove_device(gus.id, &dev("g3")).await.unwrap(), "{name}");
        assert!(store.remove_device(gus.id, &dev("g2")).await.unwrap(), "{name}");
        assert!(!store.remove_device(gus.id, &dev("g2")).await.unwrap(), "{name}");
        assert_eq!(
            store.register_device(gus.id, device("g3"), limit, at(5)).await.unwrap(),
            RegisterOutcome::Registered
        );
        // No limit.
        for i in 0..5 {
            let outcome = store.register_device(other.id, device(&format!("t{i}")), None, at(6)).await.unwrap();
            assert_eq!(outcome, RegisterOutcome::Registered, "{name}");
        }
        assert_eq!(store.list_devices(other.id).await.unwrap().len(), 6, "{name}");
        assert_eq!(store.usage(other.id).await.unwrap().device_count, 6, "{name}");
    }
}

#[tokio::test]
async fn keys_with_revision_conflicts() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let hal = user(store, "hal@example.com", SyncTier::Pro).await;
        let password = KeysUpdate { envelope: envelope(1, 1), rotation: None };
        assert_eq!(store.keys(hal.id).await.unwrap(), None, "{name}");
        assert_eq!(store.update_keys(hal.id, 0, password.clone()).await.unwrap(), UpdateKeysOutcome::NoKeys, "{name}");

        let CreateKeysOutcome::Created(created) =
            store.create_keys(hal.id, envelope(1, 1), recovery(1, 1)).await.unwrap()
        else {
            panic!("{name}: keys not created")
        };
        assert_eq!((created.revision, created.keyring.len()), (1, 0), "{name}");
        assert_eq!(store.keys(hal.id).await.unwrap(), Some(created.clone()), "{name}");
        // A second creation changes nothing and answers the stored keys.
        let again = store.create_keys(hal.id, envelope(2, 1), recovery(2, 1)).await.unwrap();
        assert_eq!(again, CreateKeysOutcome::Exists(created.clone()), "{name}");

        // A password change from the current revision; then the same revision is stale.
        let mut new_password = envelope(1, 1);
        new_password.salt = vec![0xaa; 32];
        let change = KeysUpdate { envelope: new_password.clone(), rotation: None };
        assert_eq!(
            store.update_keys(hal.id, 1, change.clone()).await.unwrap(),
            UpdateKeysOutcome::Updated(2),
            "{name}"
        );
        assert_eq!(store.update_keys(hal.id, 1, change).await.unwrap(), UpdateKeysOutcome::Stale(2), "{name}");
        let keys = store.keys(hal.id).await.unwrap().unwrap();
        assert_eq!((keys.envelope, keys.recovery_envelope, keys.revision), (new_password, Some(recovery(1, 1)), 2));

        // A rotation replaces the keyring and the recovery envelope.
        let rotation =
            KeysUpdate { envelope: envelope(2, 2), rotation: Some((vec![keyring_entry(1)], recovery(2, 2))) };
        assert_eq!(store.update_keys(hal.id, 2, rotation).await.unwrap(), UpdateKeysOutcome::Updated(3), "{name}");
        let keys = store.keys(hal.id).await.unwrap().unwrap();
        assert_eq!(keys.keyring, vec![keyring_entry(1)], "{name}");
        assert_eq!(keys.recovery_envelope, Some(recovery(2, 2)), "{name}");
        // A later password change keeps them.
        let change = KeysUpdate { envelope: envelope(2, 2), rotation: None };
        assert_eq!(store.update_keys(hal.id, 3, change).await.unwrap(), UpdateKeysOutcome::Updated(4), "{name}");
        let keys = store.keys(hal.id).await.unwrap().unwrap();
        assert_eq!((keys.keyring.len(), keys.recovery_envelope, keys.revision), (1, Some(recovery(2, 2)), 4));

        // Concurrent changes from the same revision: exactly one applies.
        let a = store.update_keys(hal.id, 4, KeysUpdate { envelope: envelope(2, 2), rotation: None });
        let b = store.update_keys(hal.id, 4, KeysUpdate { envelope: envelope(2, 2), rotation: None });
        let (a, b) = tokio::join!(a, b);
        let mut outcomes = [a.unwrap(), b.unwrap()];
        outcomes.sort_by_key(|o| format!("{o:?}"));
        assert_eq!(outcomes, [UpdateKeysOutcome::Stale(5), UpdateKeysOutcome::Updated(5)], "{name}");
    }
}

fn change(customer: &str, account: Option<i64>, tier: SyncTier, created: i64) -> SubscriptionChange {
    SubscriptionChange { customer: customer.into(), account, tier, event_created: created }
}

#[tokio::test]
async fn stripe_bookkeeping() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let ivy = user(store, "ivy@example.com", SyncTier::None).await;
        let jo = user(store, "jo@example.com", SyncTier::None).await;
        let tier_of = |email: &'static str| async move { store.user_by_email(email).await.unwrap().unwrap().tier };

        // Events that change nothing are recorded once.
        assert!(store.record_stripe_event("evt_ignored", at(0)).await.unwrap(), "{name}");
        assert!(!store.record_stripe_event("evt_ignored", at(1)).await.unwrap(), "{name}");

        // Unknown customer without an account, or with an unknown one.
        let none = store.apply_subscription("evt_0", change("cus_x", None, SyncTier::Pro, 1), at(0)).await.unwrap();
        assert_eq!(none, SubscriptionOutcome::NoSuchUser, "{name}");
        let stranger = change("cus_x", Some(987_654), SyncTier::Pro, 1);
        assert_eq!(store.apply_subscription("evt_00", stranger, at(0)).await.unwrap(), SubscriptionOutcome::NoSuchUser);

        // The first event links the customer to the (verified) account.
        let first = change("cus_ivy", Some(ivy.id), SyncTier::Pro, 100);
        let applied = store.apply_subscription("evt_1", first.clone(), at(0)).await.unwrap();
        assert_eq!(applied, SubscriptionOutcome::Applied { email: "ivy@example.com".into() }, "{name}");
        assert_eq!(tier_of("ivy@example.com").await, SyncTier::Pro, "{name}");
        // A replay changes nothing.
        let replay =
            store.apply_subscription("evt_1", change("cus_ivy", None, SyncTier::Team, 500), at(1)).await.unwrap();
        assert_eq!(replay, SubscriptionOutcome::Duplicate, "{name}");
        assert_eq!(tier_of("ivy@example.com").await, SyncTier::Pro, "{name}");
        // Later events find the account by customer; older ones are outdated.
        let deleted =
            store.apply_subscription("evt_2", change("cus_ivy", None, SyncTier::None, 200), at(2)).await.unwrap();
        assert!(matches!(deleted, SubscriptionOutcome::Applied { .. }), "{name}");
        let older =
            store.apply_subscription("evt_3", change("cus_ivy", None, SyncTier::Team, 150), at(3)).await.unwrap();
        assert_eq!(older, SubscriptionOutcome::Outdated, "{name}");
        assert_eq!(tier_of("ivy@example.com").await, SyncTier::None, "{name}");
        let same_second =
            store.apply_subscription("evt_4", change("cus_ivy", None, SyncTier::Team, 200), at(4)).await.unwrap();
        assert!(matches!(same_second, SubscriptionOutcome::Applied { .. }), "{name}");
        assert_eq!(tier_of("ivy@example.com").await, SyncTier::Team, "{name}");
        // A linked account is not linked again to another customer.
        let hijack = change("cus_other", Some(ivy.id), SyncTier::None, 900);
        assert_eq!(store.apply_subscription("evt_5", hijack, at(5)).await.unwrap(), SubscriptionOutcome::NoSuchUser);
        assert_eq!(tier_of("ivy@example.com").await, SyncTier::Team, "{name}");
        // The other account stays untouched; the outcome of an applied event names its account.
        assert_eq!(tier_of("jo@example.com").await, SyncTier::None, "{name}");
        let jo_linked = store.apply_subscription("evt_6", change("cus_jo", Some(jo.id), SyncTier::Starter, 1), at(6));
        assert_eq!(jo_linked.await.unwrap(), SubscriptionOutcome::Applied { email: "jo@example.com".into() }, "{name}");
        assert_eq!(store.user_by_email("ivy@example.com").await.unwrap().map(|u| u.id), Some(ivy.id));
    }
}
