//! The cloud retention an account chooses per blob type, on every backend: stored and replaced,
//! listed for the cleanup job, and enforced: exactly the expired blobs of that type and that
//! account go, no other type, no other account, nothing recent.

use sync_core::BlobType;
use sync_core::wire::{RetentionPolicy, SyncTier};
use sync_server::domain::retention;
use sync_server::store::ObjectKey;

use crate::*;

#[tokio::test]
async fn retention_chosen_per_type() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let now = at(1000 * DAY);
        let alice = user(store, "alice@example.com", SyncTier::Pro).await;
        let bob = user(store, "bob@example.com", SyncTier::Pro).await;
        register(store, &alice, "a1").await;
        register(store, &bob, "b1").await;

        // Stored, replaced, listed.
        assert_eq!(store.retention_policy(alice.id).await.unwrap(), RetentionPolicy::default(), "{name}");
        let choice = RetentionPolicy { text: None, frames: Some(90), audio: Some(365) };
        store.set_retention_policy(alice.id, RetentionPolicy { text: Some(5), ..Default::default() }).await.unwrap();
        store.set_retention_policy(alice.id, choice).await.unwrap();
        assert_eq!(store.retention_policy(alice.id).await.unwrap(), choice, "{name}");
        assert_eq!(store.retention_policy(bob.id).await.unwrap(), RetentionPolicy::default(), "{name}");
        assert_eq!(
            store.retention_choices().await.unwrap(),
            vec![(alice.id, BlobType::Audio, 365), (alice.id, BlobType::Frames, 90)],
            "{name}"
        );

        // Alice: old and recent blobs of each type; Bob: the same old blobs (no choice).
        let blobs = [
            (1, BlobType::Frames, 1000 - 100, true), // older than 90 days: expires
            (2, BlobType::Frames, 1000 - 50, false), // recent
            (3, BlobType::Audio, 1000 - 400, true),  // older than 365 days: expires
            (4, BlobType::Audio, 1000 - 100, false), // within 365 days
            (5, BlobType::Text, 1000 - 900, false),  // text kept forever
        ];
        for (seed, ty, day, _) in blobs {
            stored(store, &alice, &meta(seed, ty, day * DAY, 100, "a1"), &["w"], at(1)).await;
            stored(store, &bob, &meta(seed + 100, ty, day * DAY, 100, "b1"), &["w"], at(1)).await;
        }

        // The cleanup job's rule: each choice's cutoff, type by type.
        let mut gone = Vec::new();
        for (user_id, blob_type, days) in store.retention_choices().await.unwrap() {
            let cutoff = retention::chosen_cutoff(days, now);
            // In batches of one: every call removes at most one.
            loop {
                let removed = store.remove_expired_of_type(user_id, blob_type, cutoff, 1).await.unwrap();
                assert!(removed.objects.len() <= 1, "{name}");
                if removed.objects.is_empty() {
                    break;
                }
                gone.extend(removed.objects);
            }
        }
        gone.sort_by_key(|k| k.blob_id);
        let expected: Vec<ObjectKey> = blobs
            .iter()
            .filter(|b| b.3)
            .map(|b| ObjectKey { user_id: alice.id, blob_id: meta(b.0, b.1, 0, 0, "a1").blob_id })
            .collect();
        assert_eq!(gone, expected, "{name}: exactly the expired blobs of the chosen types");
        for (seed, ty, day, expires) in blobs {
            let id = meta(seed, ty, day * DAY, 100, "a1").blob_id;
            assert_eq!(store.blobs_by_ids(alice.id, vec![id]).await.unwrap().is_empty(), expires, "{name} {seed}");
            let bobs = meta(seed + 100, ty, day * DAY, 100, "b1").blob_id;
            assert_eq!(store.blobs_by_ids(bob.id, vec![bobs]).await.unwrap().len(), 1, "{name}: Bob keeps {seed}");
        }
        assert_eq!(store.storage_used(alice.id).await.unwrap(), 300, "{name}");
        assert_eq!(store.storage_used(bob.id).await.unwrap(), 500, "{name}");

        // Deleting the account removes its choice.
        store.delete_user(alice.id).await.unwrap();
        assert!(store.retention_choices().await.unwrap().is_empty(), "{name}");
    }
}
