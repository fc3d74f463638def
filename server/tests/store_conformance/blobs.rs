//! Blobs on every backend: declaring, re-declaring and completing under the quota, listing with
//! a cursor, lookups by ids, search, usage.

use sync_core::BlobType;
use sync_core::wire::SyncTier;
use sync_server::store::metadata::{
    BlobFilter, BlobState, CompleteOutcome, DeclareOutcome, ListCursor, MetadataStore, User,
};

use crate::*;

#[tokio::test]
async fn declare_redeclare_complete_and_quota() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let fay = user(store, "fay@example.com", SyncTier::Starter).await;
        let other = user(store, "other@example.com", SyncTier::Starter).await;
        register(store, &fay, "f1").await;
        register(store, &fay, "f2").await;
        let blob = meta(1, BlobType::Text, 0, 1000, "f1");

        // Declared: pending, invisible, not counted.
        let declared = store
            .declare_blob(
                fay.id,
                blob.clone(),
                vec![tok("one"), tok("two")],
                sync_server::store::metadata::UploadLimits::UNLIMITED,
                at(1),
            )
            .await
            .unwrap();
        assert_eq!(declared, DeclareOutcome::Pending, "{name}");
        let record = store.blob(fay.id, blob.blob_id).await.unwrap().unwrap();
        assert_eq!((record.state, &record.meta), (BlobState::Pending, &blob), "{name}");
        assert_eq!(store.blob(other.id, blob.blob_id).await.unwrap(), None, "{name}");
        assert_eq!(store.blobs_by_ids(fay.id, vec![blob.blob_id]).await.unwrap(), vec![], "{name}");
        assert_eq!(store.search(fay.id, vec![tok("one")], BlobFilter::default(), 10).await.unwrap().1, 0, "{name}");
        assert_eq!(store.storage_used(fay.id).await.unwrap(), 0, "{name}");

        // Re-declared while pending (another size and tokens): refreshed, tokens replaced.
        let bigger = sync_server::store::metadata::BlobMeta { size_bytes: 1500, ..blob.clone() };
        let again = store
            .declare_blob(
                fay.id,
                bigger.clone(),
                vec![tok("two"), tok("three")],
                sync_server::store::metadata::UploadLimits::UNLIMITED,
                at(2),
            )
            .await
            .unwrap();
        assert_eq!(again, DeclareOutcome::Pending, "{name}");
        assert_eq!(store.blob(fay.id, blob.blob_id).await.unwrap().unwrap().meta.size_bytes, 1500, "{name}");

        // Completing: unknown blobs and other accounts' blobs are not found; over the limit it
        // stays pending; within it, it becomes visible and counted.
        let unknown = store.complete_blob(fay.id, sync_core::BlobId([9; 16]), &dev("f1"), None, u64::MAX, at(3)).await;
        assert_eq!(unknown.unwrap(), CompleteOutcome::NotFound, "{name}");
        let foreign =
            store.complete_blob(other.id, blob.blob_id, &dev("f1"), checked(&blob), u64::MAX, at(3)).await.unwrap();
        assert_eq!(foreign, CompleteOutcome::NotFound, "{name}");
        // Its 1500 bytes and its 2 search tokens (16 quota bytes each) must fit.
        let over = store
            .complete_blob(fay.id, blob.blob_id, &dev("f2"), checked(&bigger), 1500 + 2 * 16 - 1, at(3))
            .await
            .unwrap();
        assert_eq!(over, CompleteOutcome::QuotaExceeded { storage_used: 0 }, "{name}");
        assert_eq!(store.blob(fay.id, blob.blob_id).await.unwrap().unwrap().state, BlobState::Pending, "{name}");
        let done = store
            .complete_blob(fay.id, blob.blob_id, &dev("f2"), checked(&bigger), 1500 + 2 * 16, at(4))
            .await
            .unwrap();
        assert_eq!(done, CompleteOutcome::Completed { storage_used: 1500 }, "{name}");
        let twice = store.complete_blob(fay.id, blob.blob_id, &dev("f2"), checked(&bigger), 0, at(5)).await.unwrap();
        assert_eq!(twice, CompleteOutcome::AlreadyComplete { storage_used: 1500 }, "{name}");
        assert_eq!(store.storage_used(fay.id).await.unwrap(), 1500, "{name}");
        // The completing device's last sync moved; the other's did not.
        assert_eq!(store.device(fay.id, &dev("f2")).await.unwrap().unwrap().last_sync_at, Some(at(4)), "{name}");
        assert_eq!(store.device(fay.id, &dev("f1")).await.unwrap().unwrap().last_sync_at, None, "{name}");
        // Only the re-declared tokens are indexed.
        let (hits, total) =
            store.search(fay.id, vec![tok("one"), tok("two"), tok("three")], BlobFilter::default(), 10).await.unwrap();
        assert_eq!((total, hits.len(), hits[0].match_count), (1, 1, 2), "{name}");

        // Declared again once complete: the same metadata is already uploaded, other metadata
        // a conflict; neither changes anything.
        let same = store
            .declare_blob(
                fay.id,
                bigger.clone(),
                vec![tok("four")],
                sync_server::store::metadata::UploadLimits::UNLIMITED,
                at(6),
            )
            .await
            .unwrap();
        assert_eq!(same, DeclareOutcome::AlreadyComplete, "{name}");
        let conflicting = store
            .declare_blob(fay.id, blob.clone(), vec![], sync_server::store::metadata::UploadLimits::UNLIMITED, at(6))
            .await
            .unwrap();
        assert_eq!(conflicting, DeclareOutcome::Conflict, "{name}");
        let record = store.blob(fay.id, blob.blob_id).await.unwrap().unwrap();
        assert_eq!((record.state, record.meta), (BlobState::Complete, bigger.clone()), "{name}");
        assert_eq!(store.search(fay.id, vec![tok("four")], BlobFilter::default(), 10).await.unwrap().1, 0, "{name}");

        // The same id is another blob in another account.
        let theirs = store
            .declare_blob(other.id, blob.clone(), vec![], sync_server::store::metadata::UploadLimits::UNLIMITED, at(7))
            .await
            .unwrap();
        assert_eq!(theirs, DeclareOutcome::Pending, "{name}");

        // A second blob fits exactly (with the first one's 2 tokens); a third does not.
        let full_limit = 2000 + 2 * 16;
        let second = meta(2, BlobType::Audio, MINUTE, 500, "f1");
        store
            .declare_blob(fay.id, second.clone(), vec![], sync_server::store::metadata::UploadLimits::UNLIMITED, at(8))
            .await
            .unwrap();
        let fits =
            store.complete_blob(fay.id, second.blob_id, &dev("f1"), checked(&second), full_limit, at(8)).await.unwrap();
        assert_eq!(fits, CompleteOutcome::Completed { storage_used: 2000 }, "{name}");
        let third = meta(3, BlobType::Audio, 2 * MINUTE, 1, "f1");
        store
            .declare_blob(fay.id, third.clone(), vec![], sync_server::store::metadata::UploadLimits::UNLIMITED, at(9))
            .await
            .unwrap();
        let full =
            store.complete_blob(fay.id, third.blob_id, &dev("f1"), checked(&third), full_limit, at(9)).await.unwrap();
        assert_eq!(full, CompleteOutcome::QuotaExceeded { storage_used: 2000 }, "{name}");
    }
}

/// Three blobs of two devices and types for the listing, lookup and search stories.
async fn three_blobs(store: &dyn MetadataStore) -> (User, [sync_server::store::metadata::BlobMeta; 3]) {
    let kim = user(store, "kim@example.com", SyncTier::Pro).await;
    register(store, &kim, "k1").await;
    register(store, &kim, "k2").await;
    let a = meta(1, BlobType::Text, 0, 100, "k1");
    let b = meta(2, BlobType::Text, 10 * MINUTE, 200, "k2");
    let c = meta(3, BlobType::Audio, 20 * MINUTE, 300, "k1");
    stored(store, &kim, &a, &["hello", "world", "alpha"], at(DAY)).await;
    stored(store, &kim, &b, &["hello", "beta"], at(DAY + 1)).await;
    stored(store, &kim, &c, &["hello", "world"], at(DAY + 2)).await;
    (kim, [a, b, c])
}

#[tokio::test]
async fn listing_with_cursor_and_lookups() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let (kim, [a, b, c]) = three_blobs(store).await;
        // A pending blob and another account's blob never show.
        store
            .declare_blob(
                kim.id,
                meta(4, BlobType::Text, 5 * MINUTE, 1, "k1"),
                vec![],
                sync_server::store::metadata::UploadLimits::UNLIMITED,
                at(0),
            )
            .await
            .unwrap();
        let other = user(store, "other@example.com", SyncTier::Pro).await;
        stored(store, &other, &meta(5, BlobType::Text, 0, 1, "k1"), &[], at(0)).await;

        let day = BlobFilter { time_range: Some((at(0), at(DAY))), ..BlobFilter::default() };
        let page1 = store.list_blobs(kim.id, day.clone(), None, 2).await.unwrap();
        assert_eq!(page1, vec![a.clone(), b.clone()], "{name}");
        let cursor = ListCursor { time_start: b.time_start, blob_id: b.blob_id };
        assert_eq!(store.list_blobs(kim.id, day.clone(), Some(cursor), 2).await.unwrap(), vec![c.clone()], "{name}");
        let after_c = ListCursor { time_start: c.time_start, blob_id: c.blob_id };
        assert_eq!(store.list_blobs(kim.id, day.clone(), Some(after_c), 2).await.unwrap(), vec![], "{name}");
        // Same time_start: the blob id breaks the tie.
        let twin = sync_server::store::metadata::BlobMeta { blob_id: sync_core::BlobId([0; 16]), ..b.clone() };
        stored(store, &kim, &twin, &[], at(DAY + 3)).await;
        let ties = store.list_blobs(
            kim.id,
            day.clone(),
            Some(ListCursor { time_start: a.time_start, blob_id: a.blob_id }),
            10,
        );
        assert_eq!(ties.await.unwrap(), vec![twin.clone(), b.clone(), c.clone()], "{name}");

        // Filters: overlap (inclusive), types, devices; an empty list matches nothing.
        let narrow = BlobFilter { time_range: Some((at(11 * MINUTE), at(12 * MINUTE))), ..BlobFilter::default() };
        assert_eq!(store.list_blobs(kim.id, narrow, None, 10).await.unwrap(), vec![twin.clone(), b.clone()], "{name}");
        let edge = BlobFilter { time_range: Some((at(25 * MINUTE), at(DAY))), ..BlobFilter::default() };
        assert_eq!(store.list_blobs(kim.id, edge, None, 10).await.unwrap(), vec![c.clone()], "{name}");
        let audio = BlobFilter { blob_types: Some(vec![BlobType::Audio]), ..day.clone() };
        assert_eq!(store.list_blobs(kim.id, audio, None, 10).await.unwrap(), vec![c.clone()], "{name}");
        let k2 = BlobFilter { device_ids: Some(vec![dev("k2")]), ..day.clone() };
        assert_eq!(store.list_blobs(kim.id, k2, None, 10).await.unwrap(), vec![twin.clone(), b.clone()], "{name}");
        let nobody = BlobFilter { device_ids: Some(vec![]), ..day.clone() };
        assert_eq!(store.list_blobs(kim.id, nobody, None, 10).await.unwrap(), vec![], "{name}");

        // By ids: in the order asked, unknown, pending and other accounts' ids left out.
        let ids = vec![c.blob_id, sync_core::BlobId([4; 16]), sync_core::BlobId([5; 16]), a.blob_id];
        assert_eq!(store.blobs_by_ids(kim.id, ids).await.unwrap(), vec![c.clone(), a.clone()], "{name}");
        assert_eq!(store.blobs_by_ids(kim.id, vec![]).await.unwrap(), vec![], "{name}");
    }
}

#[tokio::test]
async fn search_ranks_and_filters() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let (kim, [a, b, c]) = three_blobs(store).await;
        let all = BlobFilter::default();
        let found = |hits: &[sync_server::store::metadata::SearchHit]| -> Vec<(sync_core::BlobId, u32)> {
            hits.iter().map(|h| (h.meta.blob_id, h.match_count)).collect()
        };
        // Most tokens first, then newest first.
        let (hits, total) = store.search(kim.id, vec![tok("hello"), tok("world")], all.clone(), 10).await.unwrap();
        assert_eq!(total, 3, "{name}");
        assert_eq!(found(&hits), vec![(c.blob_id, 2), (a.blob_id, 2), (b.blob_id, 1)], "{name}");
        assert_eq!(hits[0].meta, c, "{name}");
        // The limit cuts the page, not the total.
        let (hits, total) = store.search(kim.id, vec![tok("hello")], all.clone(), 1).await.unwrap();
        assert_eq!((found(&hits), total), (vec![(c.blob_id, 1)], 3), "{name}");
        // Filters by type and by time overlap.
        let texts = BlobFilter { blob_types: Some(vec![BlobType::Text]), ..all.clone() };
        let (hits, total) = store.search(kim.id, vec![tok("world")], texts, 10).await.unwrap();
        assert_eq!((found(&hits), total), (vec![(a.blob_id, 1)], 1), "{name}");
        let window = BlobFilter { time_range: Some((at(9 * MINUTE), at(16 * MINUTE))), ..all.clone() };
        let (hits, total) = store.search(kim.id, vec![tok("hello")], window, 10).await.unwrap();
        assert_eq!((found(&hits), total), (vec![(b.blob_id, 1)], 1), "{name}");
        // Nothing for absent tokens, no tokens, or another account.
        assert_eq!(store.search(kim.id, vec![tok("absent")], all.clone(), 10).await.unwrap(), (vec![], 0), "{name}");
        assert_eq!(store.search(kim.id, vec![], all.clone(), 10).await.unwrap(), (vec![], 0), "{name}");
        let other = user(store, "other@example.com", SyncTier::Pro).await;
        assert_eq!(store.search(other.id, vec![tok("hello")], all, 10).await.unwrap(), (vec![], 0), "{name}");
    }
}

#[tokio::test]
async fn usage_per_type() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let empty = user(store, "empty@example.com", SyncTier::Pro).await;
        let usage = store.usage(empty.id).await.unwrap();
        assert_eq!(usage, sync_server::store::metadata::Usage::default(), "{name}");
        let (kim, [a, _, c]) = three_blobs(store).await;
        store
            .declare_blob(
                kim.id,
                meta(9, BlobType::Frames, -DAY, 5000, "k1"),
                vec![],
                sync_server::store::metadata::UploadLimits::UNLIMITED,
                at(0),
            )
            .await
            .unwrap();
        let usage = store.usage(kim.id).await.unwrap();
        assert_eq!((usage.text_bytes, usage.frames_bytes, usage.audio_bytes), (300, 0, 300), "{name}");
        assert_eq!((usage.total_blobs, usage.device_count, usage.storage_used()), (3, 2, 600), "{name}");
        assert_eq!((usage.oldest_data, usage.newest_data), (Some(a.time_start), Some(c.time_end)), "{name}");
        assert_eq!(usage.last_sync, Some(at(DAY + 2)), "{name}");
        assert_eq!(store.storage_used(kim.id).await.unwrap(), 600, "{name}");
    }
}

/// After a rotation only the account's current key is accepted, in the declaring and the
/// completing transactions: a blob under the old key is refused (nothing stored), a pending one
/// stays pending; before the account has keys, any key is accepted.
#[tokio::test]
async fn only_the_current_key_after_a_rotation() {
    use sync_server::store::metadata::{KeysUpdate, UpdateKeysOutcome};
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let lea = user(store, "lea@example.com", SyncTier::Pro).await;
        register(store, &lea, "l1").await;
        // No keys yet: nothing to compare with.
        let mut keyless = meta(1, BlobType::Text, 0, 10, "l1");
        keyless.key_id = sync_core::KeyId([7; 16]);
        assert_eq!(
            store
                .declare_blob(lea.id, keyless, vec![], sync_server::store::metadata::UploadLimits::UNLIMITED, at(0))
                .await
                .unwrap(),
            DeclareOutcome::Pending,
            "{name}"
        );
        store.create_keys(lea.id, envelope(1, 1), recovery(1, 1)).await.unwrap();
        let done = meta(2, BlobType::Text, 0, 10, "l1");
        stored(store, &lea, &done, &["a"], at(1)).await;
        let pending = meta(3, BlobType::Text, MINUTE, 20, "l1");
        assert_eq!(
            store
                .declare_blob(
                    lea.id,
                    pending.clone(),
                    vec![],
                    sync_server::store::metadata::UploadLimits::UNLIMITED,
                    at(2)
                )
                .await
                .unwrap(),
            DeclareOutcome::Pending
        );
        let rotation =
            KeysUpdate { envelope: envelope(2, 2), rotation: Some((vec![keyring_entry(1)], recovery(2, 2))) };
        assert_eq!(store.update_keys(lea.id, 1, rotation).await.unwrap(), UpdateKeysOutcome::Updated(2), "{name}");

        let late = meta(4, BlobType::Text, 2 * MINUTE, 30, "l1");
        assert_eq!(
            store
                .declare_blob(
                    lea.id,
                    late.clone(),
                    vec![],
                    sync_server::store::metadata::UploadLimits::UNLIMITED,
                    at(3)
                )
                .await
                .unwrap(),
            DeclareOutcome::KeyRotated
        );
        assert_eq!(store.blob(lea.id, late.blob_id).await.unwrap(), None, "{name}");
        let refused =
            store.complete_blob(lea.id, pending.blob_id, &dev("l1"), checked(&pending), u64::MAX, at(4)).await.unwrap();
        assert_eq!(refused, CompleteOutcome::KeyRotated, "{name}");
        assert_eq!(store.blob(lea.id, pending.blob_id).await.unwrap().unwrap().state, BlobState::Pending, "{name}");
        assert_eq!(store.storage_used(lea.id).await.unwrap(), 10, "{name}");
        // A blob completed before the rotation stays and declaring it again is a no-op.
        let again = store
            .declare_blob(lea.id, done.clone(), vec![], sync_server::store::metadata::UploadLimits::UNLIMITED, at(5))
            .await
            .unwrap();
        assert_eq!(again, DeclareOutcome::AlreadyComplete, "{name}");
        // Re-sealed under the new key, the pending blob completes.
        let resealed = sync_server::store::metadata::BlobMeta { key_id: sync_core::KeyId([2; 16]), ..pending };
        assert_eq!(
            store
                .declare_blob(
                    lea.id,
                    resealed.clone(),
                    vec![],
                    sync_server::store::metadata::UploadLimits::UNLIMITED,
                    at(6)
                )
                .await
                .unwrap(),
            DeclareOutcome::Pending
        );
        let completed = store
            .complete_blob(lea.id, resealed.blob_id, &dev("l1"), checked(&resealed), u64::MAX, at(7))
            .await
            .unwrap();
        assert_eq!(completed, CompleteOutcome::Completed { storage_used: 30 }, "{name}");
    }
}

/// Pending uploads reserve their bytes against the storage limit (a blob declared again replaces
/// its own reservation), the pending count and bytes are capped per account, completing turns a
/// reservation into storage, and abandonment is timed from the first declaration.
#[tokio::test]
async fn pending_uploads_reserve_quota_under_caps() {
    use sync_server::store::metadata::UploadLimits;
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let pia = user(store, "pia@example.com", SyncTier::Starter).await;
        register(store, &pia, "p1").await;
        let quota = UploadLimits { storage_bytes: 1000, pending_blobs: 100, pending_bytes: 100_000 };
        let declare = |seed: u8, size: u64, limits: UploadLimits, now: i64| {
            store.declare_blob(
                pia.id,
                meta(seed, BlobType::Audio, i64::from(seed) * MINUTE, size, "p1"),
                vec![],
                limits,
                at(now),
            )
        };
        assert_eq!(declare(1, 600, quota, 0).await.unwrap(), DeclareOutcome::Pending, "{name}");
        assert_eq!(declare(2, 500, quota, 0).await.unwrap(), DeclareOutcome::QuotaExceeded { used: 600 }, "{name}");
        assert_eq!(store.blob(pia.id, sync_core::BlobId([2; 16])).await.unwrap(), None, "{name}");
        // Declared again bigger: its own reservation is replaced, not added to.
        assert_eq!(declare(1, 900, quota, 1).await.unwrap(), DeclareOutcome::Pending, "{name}");
        assert_eq!(declare(2, 100, quota, 1).await.unwrap(), DeclareOutcome::Pending, "{name}");
        assert_eq!(declare(3, 1, quota, 1).await.unwrap(), DeclareOutcome::QuotaExceeded { used: 1000 }, "{name}");
        // Caps on pending uploads: their number (a blob declared again is not a new one) ...
        let two = UploadLimits { storage_bytes: u64::MAX, pending_blobs: 2, pending_bytes: 100_000 };
        assert_eq!(declare(3, 1, two, 2).await.unwrap(), DeclareOutcome::PendingLimit, "{name}");
        assert_eq!(declare(2, 100, two, 2).await.unwrap(), DeclareOutcome::Pending, "{name}");
        // ... and their bytes.
        let bytes = UploadLimits { storage_bytes: u64::MAX, pending_blobs: 100, pending_bytes: 1000 };
        assert_eq!(declare(3, 1, bytes, 2).await.unwrap(), DeclareOutcome::PendingLimit, "{name}");
        // Completing turns the reservation into storage: the total stays what it was.
        let done = store
            .complete_blob(
                pia.id,
                sync_core::BlobId([1; 16]),
                &dev("p1"),
                checked(&meta(1, BlobType::Audio, MINUTE, 900, "p1")),
                1000,
                at(3),
            )
            .await
            .unwrap();
        assert_eq!(done, CompleteOutcome::Completed { storage_used: 900 }, "{name}");
        assert_eq!(declare(3, 1, quota, 3).await.unwrap(), DeclareOutcome::QuotaExceeded { used: 1000 }, "{name}");
        assert_eq!(declare(3, 1, bytes, 3).await.unwrap(), DeclareOutcome::Pending, "{name}");

        // Abandonment counts from the first declaration: declaring again does not postpone it.
        let ned = user(store, "ned@example.com", SyncTier::Starter).await;
        register(store, &ned, "n1").await;
        let kept = meta(9, BlobType::Text, 0, 10, "n1");
        for now in [0, 10 * MINUTE, 20 * MINUTE] {
            let again = store.declare_blob(ned.id, kept.clone(), vec![], UploadLimits::UNLIMITED, at(now)).await;
            assert_eq!(again.unwrap(), DeclareOutcome::Pending, "{name}");
        }
        let removed = store.remove_abandoned_uploads(at(5 * MINUTE), 100).await.unwrap();
        let keys: Vec<_> = removed.objects.iter().filter(|k| k.user_id == ned.id).map(|k| k.blob_id).collect();
        assert_eq!(keys, vec![kept.blob_id], "{name}");
        assert_eq!(store.blob(ned.id, kept.blob_id).await.unwrap(), None, "{name}");
    }
}

/// Search tokens count against the quota, 16 bytes each: declared ones (pending) and indexed
/// ones (complete); removing blobs gives their tokens back.
#[tokio::test]
async fn search_tokens_count_against_the_quota() {
    use sync_server::store::metadata::UploadLimits;
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let tom = user(store, "tom@example.com", SyncTier::Starter).await;
        register(store, &tom, "t1").await;
        let words: Vec<String> = (0..10).map(|i| format!("w{i}")).collect();
        let tokens: Vec<_> = words.iter().map(|w| tok(w)).collect();
        // 100 bytes and 10 tokens charge 260 quota bytes.
        let limits = UploadLimits { storage_bytes: 500, pending_blobs: 10, pending_bytes: 10_000 };
        let a = meta(1, BlobType::Text, 0, 100, "t1");
        assert_eq!(
            store.declare_blob(tom.id, a.clone(), tokens.clone(), limits, at(0)).await.unwrap(),
            DeclareOutcome::Pending
        );
        // Pending: 260 reserved; 100 bytes more with 10 tokens (260) do not fit, without tokens they do.
        let b = meta(2, BlobType::Text, MINUTE, 100, "t1");
        let refused = store.declare_blob(tom.id, b.clone(), tokens.clone(), limits, at(1)).await.unwrap();
        assert_eq!(refused, DeclareOutcome::QuotaExceeded { used: 260 }, "{name}");
        assert_eq!(
            store.declare_blob(tom.id, b.clone(), vec![], limits, at(1)).await.unwrap(),
            DeclareOutcome::Pending
        );
        // Completed: the tokens are indexed and counted; the storage reported is bytes of blobs.
        let done = store.complete_blob(tom.id, a.blob_id, &dev("t1"), checked(&a), 500, at(2)).await.unwrap();
        assert_eq!(done, CompleteOutcome::Completed { storage_used: 100 }, "{name}");
        assert_eq!(store.usage(tom.id).await.unwrap().index_tokens, 10, "{name}");
        // 260 stored + 100 = 360: b fits under 360, not under 359.
        let over = store.complete_blob(tom.id, b.blob_id, &dev("t1"), checked(&b), 359, at(3)).await.unwrap();
        assert_eq!(over, CompleteOutcome::QuotaExceeded { storage_used: 100 }, "{name}");
        let fits = store.complete_blob(tom.id, b.blob_id, &dev("t1"), checked(&b), 360, at(3)).await.unwrap();
        assert_eq!(fits, CompleteOutcome::Completed { storage_used: 200 }, "{name}");
        // Removing the data gives the tokens back.
        store.delete_all_blobs(tom.id).await.unwrap();
        assert_eq!(store.usage(tom.id).await.unwrap().index_tokens, 0, "{name}");
        // So does retention (a Starter blob past 183 days).
        stored(store, &tom, &a, &["x", "y", "z"], at(4)).await;
        assert_eq!(store.usage(tom.id).await.unwrap().index_tokens, 3, "{name}");
        let removed = store.remove_expired_blobs(SyncTier::Starter, at(DAY), 100).await.unwrap();
        assert_eq!(removed.completed, 1, "{name}");
        assert_eq!(store.usage(tom.id).await.unwrap().index_tokens, 0, "{name}");
    }
}

/// Equal matches (same number of tokens, same `time_end`) come in the order they were stored.
#[tokio::test]
async fn equal_matches_keep_their_stored_order() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let uli = user(store, "uli@example.com", SyncTier::Pro).await;
        register(store, &uli, "u1").await;
        // Stored in the order 3, 1, 2; all end at the same time with the same two tokens.
        for seed in [3u8, 1, 2] {
            stored(store, &uli, &meta(seed, BlobType::Text, 0, 10, "u1"), &["same", "words"], at(i64::from(seed)))
                .await;
        }
        stored(store, &uli, &meta(4, BlobType::Text, 0, 10, "u1"), &["same"], at(5)).await;
        let (hits, total) =
            store.search(uli.id, vec![tok("same"), tok("words")], BlobFilter::default(), 10).await.unwrap();
        let order: Vec<(u8, u32)> = hits.iter().map(|h| (h.meta.blob_id.0[0], h.match_count)).collect();
        assert_eq!((order, total), (vec![(3, 2), (1, 2), (2, 2), (4, 1)], 4), "{name}");
    }
}

/// The completing transaction compares the checked object with the blob as it reads it: a blob
/// declared again (other size and checksum) between the check and the transaction does not
/// complete with the object checked for its former declaration, and nothing checked completes
/// nothing.
#[tokio::test]
async fn completion_compares_the_checked_object_in_its_transaction() {
    use sync_server::store::metadata::{BlobMeta, UploadLimits};
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let vic = user(store, "vic@example.com", SyncTier::Pro).await;
        register(store, &vic, "v1").await;
        let first = meta(1, BlobType::Text, 0, 100, "v1");
        store.declare_blob(vic.id, first.clone(), vec![], UploadLimits::UNLIMITED, at(0)).await.unwrap();
        // The object of `first` is checked; then the blob is declared again, other bytes.
        let checked_first = checked(&first);
        let again = BlobMeta { size_bytes: 120, checksum: sync_core::wire::Checksum([7; 32]), ..first.clone() };
        store.declare_blob(vic.id, again.clone(), vec![], UploadLimits::UNLIMITED, at(1)).await.unwrap();
        for verified in [checked_first, None] {
            let outcome = store.complete_blob(vic.id, first.blob_id, &dev("v1"), verified, u64::MAX, at(2)).await;
            assert_eq!(outcome.unwrap(), CompleteOutcome::NotVerified, "{name}");
        }
        let record = store.blob(vic.id, first.blob_id).await.unwrap().unwrap();
        assert_eq!((record.state, record.meta), (BlobState::Pending, again.clone()), "{name}");
        assert_eq!(store.storage_used(vic.id).await.unwrap(), 0, "{name}");
        // Checked as it is now, it completes; once complete, no check is needed.
        let done = store.complete_blob(vic.id, again.blob_id, &dev("v1"), checked(&again), u64::MAX, at(3)).await;
        assert_eq!(done.unwrap(), CompleteOutcome::Completed { storage_used: 120 }, "{name}");
        let twice = store.complete_blob(vic.id, again.blob_id, &dev("v1"), None, u64::MAX, at(4)).await;
        assert_eq!(twice.unwrap(), CompleteOutcome::AlreadyComplete { storage_used: 120 }, "{name}");
    }
}

/// Posting lists longer than one chunk (256 postings): counts, ranks and filters stay exact,
/// and removing blobs (here the oldest, by retention) takes exactly their postings out.
#[tokio::test]
async fn posting_lists_across_chunks() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let max = user(store, "max@example.com", SyncTier::Starter).await;
        register(store, &max, "m1").await;
        let count: i64 = 520;
        for i in 0..count {
            let kind = if i % 2 == 0 { BlobType::Audio } else { BlobType::Text };
            let mut words = vec!["common"];
            if i % 3 == 0 {
                words.push("third");
            }
            let mut m = meta(0, kind, i * MINUTE, 10, "m1");
            m.blob_id = sync_core::BlobId(u128::try_from(i).unwrap().to_be_bytes());
            stored(store, &max, &m, &words, at(i)).await;
        }
        let id = |i: i64| sync_core::BlobId(u128::try_from(i).unwrap().to_be_bytes());
        let all = BlobFilter::default();
        let (hits, total) = store.search(max.id, vec![tok("common")], all.clone(), 3).await.unwrap();
        assert_eq!(total, 520, "{name}");
        let order: Vec<_> = hits.iter().map(|h| (h.meta.blob_id, h.match_count)).collect();
        assert_eq!(order, vec![(id(519), 1), (id(518), 1), (id(517), 1)], "{name}");
        let (hits, total) = store.search(max.id, vec![tok("common"), tok("third")], all.clone(), 2).await.unwrap();
        assert_eq!(total, 520, "{name}");
        assert_eq!((hits[0].meta.blob_id, hits[0].match_count), (id(519), 2), "{name}");
        assert_eq!((hits[1].meta.blob_id, hits[1].match_count), (id(516), 2), "{name}");
        let audio = BlobFilter { blob_types: Some(vec![BlobType::Audio]), ..all.clone() };
        assert_eq!(store.search(max.id, vec![tok("common")], audio, 1).await.unwrap().1, 260, "{name}");
        // Blob i spans minutes [i, i + 5]: those from 195 to 206 overlap [200, 206].
        let window = BlobFilter { time_range: Some((at(200 * MINUTE), at(206 * MINUTE))), ..all.clone() };
        assert_eq!(store.search(max.id, vec![tok("common")], window, 100).await.unwrap().1, 12, "{name}");
        // The oldest 95 end before minute 100: retention removes them and their postings.
        let removed = store.remove_expired_blobs(SyncTier::Starter, at(100 * MINUTE), 1000).await.unwrap();
        assert_eq!(removed.completed, 95, "{name}");
        let (_, total) = store.search(max.id, vec![tok("common")], all.clone(), 1).await.unwrap();
        assert_eq!(total, 425, "{name}");
        let thirds = (95..count).filter(|i| i % 3 == 0).count() as u64;
        assert_eq!(store.search(max.id, vec![tok("third")], all.clone(), 1).await.unwrap().1, thirds, "{name}");
        let (hits, _) = store.search(max.id, vec![tok("common")], all.clone(), 1000).await.unwrap();
        assert_eq!(hits.last().map(|h| h.meta.blob_id), Some(id(95)), "{name}");
        // New blobs still append after removals.
        let mut late = meta(0, BlobType::Text, 10_000 * MINUTE, 10, "m1");
        late.blob_id = id(9_999);
        stored(store, &max, &late, &["common", "third"], at(9_999)).await;
        let (hits, total) = store.search(max.id, vec![tok("third"), tok("common")], all.clone(), 1).await.unwrap();
        assert_eq!((hits[0].meta.blob_id, hits[0].match_count, total), (id(9_999), 2, 426), "{name}");
        assert_eq!(store.usage(max.id).await.unwrap().index_tokens, 426 + thirds + 1, "{name}");
    }
}
