//! Search over the opaque token index: which blobs match, and in which order.
//!
//! A blob matches when it holds any query token (duplicate query tokens count once) and passes
//! the filters (time range overlap, types). Matches are ranked by the number of distinct query
//! tokens they hold (most first), then by `time_end` (newest first), then by index row (oldest
//! first, so equal matches keep a stable order); `total` counts every match before the limit.
//!
//! The SQLite store ranks in Rust with [`rank`]; the PostgreSQL store ranks in SQL in the same
//! order (`ORDER BY n DESC, te DESC, blob_ref`). `server/tests/store_conformance` checks both.

use sync_core::UnixMillis;

/// Whether a blob spanning `[start, end]` overlaps the filter's `[from, to]` (all inclusive).
pub fn overlaps(start: UnixMillis, end: UnixMillis, (from, to): (UnixMillis, UnixMillis)) -> bool {
    end >= from && start <= to
}

/// One matching index entry: the blob's row reference and its `time_end` (ms).
pub type Entry = (i64, i64);

/// Ranks matching index entries (one per blob and matching token, in any order): the first
/// `limit` blobs as `(row reference, match count)`, best first, and the number of matching blobs.
pub fn rank(mut entries: Vec<Entry>, limit: u32) -> (Vec<(i64, u32)>, u64) {
    // Each token's entries come in row order, so a run-aware stable sort merges them in
    // O(n log tokens).
    entries.sort_by_key(|e| e.0);
    let mut ranked: Vec<(u32, i64, i64)> = entries
        .chunk_by(|a, b| a.0 == b.0)
        .filter_map(|run| run.first().map(|&(r, end)| (u32::try_from(run.len()).unwrap_or(u32::MAX), end, r)))
        .collect();
    let total = ranked.len() as u64;
    let order = |a: &(u32, i64, i64), b: &(u32, i64, i64)| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2));
    let limit = limit as usize;
    if ranked.len() > limit {
        ranked.select_nth_unstable_by(limit, order);
        ranked.truncate(limit);
    }
    ranked.sort_unstable_by(order);
    (ranked.into_iter().map(|(n, _, r)| (r, n)).collect(), total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking() {
        // Blob 1: 2 tokens, end 10; blob 2: 2 tokens, end 20; blob 3: 1 token, end 30;
        // blob 4: 2 tokens, end 20 (a later row than blob 2).
        let entries = vec![(1, 10), (2, 20), (3, 30), (4, 20), (1, 10), (2, 20), (4, 20)];
        assert_eq!(rank(entries.clone(), 10), (vec![(2, 2), (4, 2), (1, 2), (3, 1)], 4));
        assert_eq!(rank(entries.clone(), 2), (vec![(2, 2), (4, 2)], 4));
        assert_eq!(rank(entries, 0), (vec![], 4));
        assert_eq!(rank(Vec::new(), 5), (vec![], 0));
    }

    #[test]
    fn overlap_is_inclusive() {
        let range = (UnixMillis(10), UnixMillis(20));
        assert!(overlaps(UnixMillis(0), UnixMillis(10), range));
        assert!(overlaps(UnixMillis(20), UnixMillis(30), range));
        assert!(overlaps(UnixMillis(12), UnixMillis(13), range));
        assert!(!overlaps(UnixMillis(0), UnixMillis(9), range));
        assert!(!overlaps(UnixMillis(21), UnixMillis(30), range));
    }
}
