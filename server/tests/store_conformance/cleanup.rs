//! Removals on every backend: an account's data, the account, expired blobs of a tier,
//! abandoned uploads, and which objects no blob row names.

use sync_core::wire::SyncTier;
use sync_core::{BlobId, BlobType};
use sync_server::domain::retention;
use sync_server::store::ObjectKey;
use sync_server::store::metadata::{BlobFilter, CompleteOutcome, RemovedBlobs};

use crate::*;

fn keys(removed: &RemovedBlobs) -> Vec<ObjectKey> {
    let mut keys = removed.objects.clone();
    keys.sort_by_key(|k| (k.user_id, k.blob_id.0));
    keys
}

#[tokio::test]
async fn deleting_data_and_accounts() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let lee = user(store, "lee@example.com", SyncTier::Pro).await;
        let max = user(store, "max@example.com", SyncTier::Pro).await;
        register(store, &lee, "l1").await;
        stored(store, &lee, &meta(1, BlobType::Text, 0, 100, "l1"), &["w"], at(1)).await;
        stored(store, &lee, &meta(2, BlobType::Audio, 0, 200, "l1"), &["w"], at(1)).await;
        store
            .declare_blob(
                lee.id,
                meta(3, BlobType::Text, 0, 400, "l1"),
                vec![tok("w")],
                sync_server::store::metadata::UploadLimits::UNLIMITED,
                at(1),
            )
            .await
            .unwrap();
        stored(store, &max, &meta(1, BlobType::Text, 0, 50, "l1"), &["w"], at(1)).await;
        store.create_keys(lee.id, envelope(1, 1), recovery(1, 1)).await.unwrap();

        // Emptying: every blob (pending too) with its object; bytes of completed ones; the
        // account, its keys and devices stay.
        let removed = store.delete_all_blobs(lee.id).await.unwrap();
        assert_eq!((removed.completed, removed.freed_bytes), (2, 300), "{name}");
        let expected: Vec<ObjectKey> =
            [1, 2, 3].map(|b| ObjectKey { user_id: lee.id, blob_id: BlobId([b; 16]) }).to_vec();
        assert_eq!(keys(&removed), expected, "{name}");
        assert_eq!(store.storage_used(lee.id).await.unwrap(), 0, "{name}");
        assert_eq!(store.blob(lee.id, BlobId([3; 16])).await.unwrap(), None, "{name}");
        assert_eq!(store.search(lee.id, vec![tok("w")], BlobFilter::default(), 10).await.unwrap().1, 0, "{name}");
        assert!(store.keys(lee.id).await.unwrap().is_some(), "{name}");
        assert_eq!(store.list_devices(lee.id).await.unwrap().len(), 1, "{name}");
        // The other account keeps its blob with the same id.
        assert_eq!(store.search(max.id, vec![tok("w")], BlobFilter::default(), 10).await.unwrap().1, 1, "{name}");
        assert_eq!(store.delete_all_blobs(lee.id).await.unwrap(), RemovedBlobs::default(), "{name}");

        // Deleting the account removes everything it owns.
        stored(store, &lee, &meta(4, BlobType::Text, 0, 10, "l1"), &[], at(2)).await;
        let removed = store.delete_user(lee.id).await.unwrap();
        assert_eq!((removed.completed, removed.freed_bytes, removed.objects.len()), (1, 10, 1), "{name}");
        assert_eq!(store.user_by_email("lee@example.com").await.unwrap(), None, "{name}");
        assert_eq!(store.keys(lee.id).await.unwrap(), None, "{name}");
        assert_eq!(store.list_devices(lee.id).await.unwrap(), vec![], "{name}");
        assert_eq!(store.list_users().await.unwrap().len(), 1, "{name}");
        // The e-mail can be used again.
        user(store, "lee@example.com", SyncTier::Starter).await;
    }
}

#[tokio::test]
async fn retention_and_abandoned_uploads() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let now = at(400 * DAY);
        let starter = user(store, "starter@example.com", SyncTier::Starter).await;
        let pro = user(store, "pro@example.com", SyncTier::Pro).await;
        register(store, &starter, "s1").await;
        let old = meta(1, BlobType::Audio, 400 * DAY - 200 * DAY, 500, "s1");
        let recent = meta(2, BlobType::Audio, 400 * DAY - 10 * DAY, 600, "s1");
        stored(store, &starter, &old, &["old"], at(1)).await;
        stored(store, &starter, &recent, &["old"], at(1)).await;
        stored(store, &pro, &old, &["old"], at(1)).await;

        // Expiry per tier: the Starter account loses its old blob, the Pro account keeps it.
        assert_eq!(retention::expiry_cutoff(SyncTier::Pro, now), None);
        let cutoff = retention::expiry_cutoff(SyncTier::Starter, now).unwrap();
        let removed = store.remove_expired_blobs(SyncTier::Starter, cutoff, 500).await.unwrap();
        assert_eq!(keys(&removed), vec![ObjectKey { user_id: starter.id, blob_id: old.blob_id }], "{name}");
        assert_eq!((removed.completed, removed.freed_bytes), (1, 500), "{name}");
        assert_eq!(store.storage_used(starter.id).await.unwrap(), 600, "{name}");
        assert_eq!(store.search(starter.id, vec![tok("old")], BlobFilter::default(), 10).await.unwrap().1, 1);
        assert_eq!(store.blobs_by_ids(pro.id, vec![old.blob_id]).await.unwrap().len(), 1, "{name}");
        let nothing = store.remove_expired_blobs(SyncTier::Starter, cutoff, 500).await.unwrap();
        assert_eq!(nothing, RemovedBlobs::default(), "{name}");
        // Batches: at most `batch` per call.
        for seed in 10..13 {
            stored(store, &starter, &meta(seed, BlobType::Text, 0, 1, "s1"), &[], at(1)).await;
        }
        assert_eq!(store.remove_expired_blobs(SyncTier::Starter, cutoff, 2).await.unwrap().objects.len(), 2, "{name}");
        assert_eq!(store.remove_expired_blobs(SyncTier::Starter, cutoff, 2).await.unwrap().objects.len(), 1, "{name}");

        // Abandoned uploads: pending blobs last declared before the cutoff, never complete ones.
        let pending = meta(20, BlobType::Text, 0, 700, "s1");
        store
            .declare_blob(
                starter.id,
                pending.clone(),
                vec![],
                sync_server::store::metadata::UploadLimits::UNLIMITED,
                now,
            )
            .await
            .unwrap();
        let cutoff = retention::abandoned_cutoff(now, std::time::Duration::from_secs(86_400));
        assert_eq!(store.remove_abandoned_uploads(cutoff, 500).await.unwrap(), RemovedBlobs::default(), "{name}");
        let later = retention::abandoned_cutoff(at(402 * DAY), std::time::Duration::from_secs(86_400));
        let removed = store.remove_abandoned_uploads(later, 500).await.unwrap();
        assert_eq!(keys(&removed), vec![ObjectKey { user_id: starter.id, blob_id: pending.blob_id }], "{name}");
        assert_eq!((removed.completed, removed.freed_bytes), (0, 0), "{name}");
        assert_eq!(store.storage_used(starter.id).await.unwrap(), 600, "{name}");
        let gone = store
            .complete_blob(starter.id, pending.blob_id, &dev("s1"), checked(&pending), u64::MAX, now)
            .await
            .unwrap();
        assert_eq!(gone, CompleteOutcome::NotFound, "{name}");
        assert!(store.blob(starter.id, recent.blob_id).await.unwrap().is_some(), "{name}");
    }
}

#[tokio::test]
async fn objects_without_a_blob_row() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let ann = user(store, "ann@example.com", SyncTier::Pro).await;
        stored(store, &ann, &meta(1, BlobType::Text, 0, 1, "a1"), &[], at(0)).await;
        store
            .declare_blob(
                ann.id,
                meta(2, BlobType::Text, 0, 1, "a1"),
                vec![],
                sync_server::store::metadata::UploadLimits::UNLIMITED,
                at(0),
            )
            .await
            .unwrap();
        let known = ObjectKey { user_id: ann.id, blob_id: BlobId([1; 16]) };
        let pending = ObjectKey { user_id: ann.id, blob_id: BlobId([2; 16]) };
        let orphan = ObjectKey { user_id: ann.id, blob_id: BlobId([3; 16]) };
        let elsewhere = ObjectKey { user_id: ann.id + 1000, blob_id: BlobId([1; 16]) };
        let mut missing = store.missing_blobs(vec![known, orphan, pending, elsewhere]).await.unwrap();
        missing.sort_by_key(|k| (k.user_id, k.blob_id.0));
        assert_eq!(missing, vec![orphan, elsewhere], "{name}");
        assert_eq!(store.missing_blobs(vec![]).await.unwrap(), vec![], "{name}");
    }
}
