//! [`BundleCache`]: records bundles decrypted for a cloud query, kept in memory only (never on
//! disk, never in screenpipe's database), bounded by count and by bytes, the least recently used
//! dropped first. A later query over the same blobs skips their download and decryption.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use sync_core::records::RecordsBundle;
use sync_core::{BlobId, DeviceId};

/// A decrypted bundle and the device that pushed it.
#[derive(Clone, Debug)]
pub struct CachedBundle {
    /// The origin device.
    pub device_id: DeviceId,
    /// The decrypted records.
    pub bundle: Arc<RecordsBundle>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<BlobId, (CachedBundle, usize)>,
    /// Least recently used first.
    order: VecDeque<BlobId>,
    bytes: usize,
}

/// An in-memory, bounded cache of decrypted bundles (shared: the daemon keeps one for all its
/// queries). `Debug` shows only its size: it holds plaintext.
pub struct BundleCache {
    max_entries: usize,
    max_bytes: usize,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for BundleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (entries, bytes) = self.usage();
        f.debug_struct("BundleCache")
            .field("entries", &entries)
            .field("bytes", &bytes)
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

/// The approximate memory a bundle takes: the length of its JSON form.
pub fn bundle_bytes(bundle: &RecordsBundle) -> usize {
    serde_json::to_vec(bundle).map(|v| v.len()).unwrap_or(0)
}

impl BundleCache {
    /// A cache of at most `max_entries` bundles and `max_bytes` (approximate, see
    /// [`bundle_bytes`]).
    pub fn new(max_entries: usize, max_bytes: usize) -> BundleCache {
        BundleCache { max_entries, max_bytes, inner: Mutex::new(Inner::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// True when `id` is cached (its place in the order unchanged).
    pub fn contains(&self, id: &BlobId) -> bool {
        self.lock().entries.contains_key(id)
    }

    /// The bundle of `id`, if cached (it becomes the most recently used).
    pub fn get(&self, id: &BlobId) -> Option<CachedBundle> {
        let mut inner = self.lock();
        let found = inner.entries.get(id).map(|(c, _)| c.clone())?;
        if let Some(pos) = inner.order.iter().position(|x| x == id) {
            inner.order.remove(pos);
        }
        inner.order.push_back(*id);
        Some(found)
    }

    /// Keeps `bundle`, dropping the least recently used ones beyond the bounds (a bundle larger
    /// than the byte bound is not kept).
    pub fn insert(&self, id: BlobId, entry: CachedBundle) {
        let size = bundle_bytes(&entry.bundle);
        if size > self.max_bytes || self.max_entries == 0 {
            return;
        }
        let mut inner = self.lock();
        if let Some((_, old)) = inner.entries.remove(&id) {
            inner.bytes -= old;
            if let Some(pos) = inner.order.iter().position(|x| *x == id) {
                inner.order.remove(pos);
            }
        }
        while inner.entries.len() >= self.max_entries || inner.bytes + size > self.max_bytes {
            let Some(oldest) = inner.order.pop_front() else { break };
            if let Some((_, b)) = inner.entries.remove(&oldest) {
                inner.bytes -= b;
            }
        }
        inner.entries.insert(id, (entry, size));
        inner.order.push_back(id);
        inner.bytes += size;
    }

    /// Entries and bytes held.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }

    /// Drops everything (at lock: plaintext leaves memory with the keys).
    pub fn clear(&self) {
        *self.lock() = Inner::default();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn bundle(n: usize) -> CachedBundle {
        let device_id = DeviceId::new("device-a").unwrap();
        let mut b = RecordsBundle::new(device_id.clone(), sync_core::UnixMillis(0), sync_core::UnixMillis(1));
        b.memories = (0..n)
            .map(|i| sync_core::records::MemoryRecord {
                row_id: i64::try_from(i).unwrap(),
                content: "x".repeat(40),
                source: "user".into(),
                source_context: None,
                tags: "[]".into(),
                importance: None,
                frame_row_id: None,
                created_at: "2026-01-01T00:00:00Z".into(),
                updated_at: "2026-01-01T00:00:00Z".into(),
                sync_uuid: None,
            })
            .collect();
        CachedBundle { device_id, bundle: Arc::new(b) }
    }

    #[test]
    fn bounded_by_count_and_bytes_least_recently_used_first() {
        let one = bundle_bytes(&bundle(1).bundle);
        let cache = BundleCache::new(2, one * 10);
        cache.insert(BlobId([1; 16]), bundle(1));
        cache.insert(BlobId([2; 16]), bundle(1));
        assert!(cache.get(&BlobId([1; 16])).is_some());
        cache.insert(BlobId([3; 16]), bundle(1));
        assert!(cache.get(&BlobId([2; 16])).is_none(), "the least recently used went");
        assert!(cache.get(&BlobId([1; 16])).is_some());
        assert_eq!(cache.usage(), (2, 2 * one));
        let big = bundle(100);
        assert!(bundle_bytes(&big.bundle) > one * 10);
        cache.insert(BlobId([4; 16]), big);
        assert!(cache.get(&BlobId([4; 16])).is_none(), "larger than the bound: not kept");
        assert!(!format!("{cache:?}").contains("xxxx"));
        cache.clear();
        assert_eq!(cache.usage(), (0, 0));
    }
}
