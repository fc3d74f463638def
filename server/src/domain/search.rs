//! Search over the opaque token index: which blobs match, and in which order.
//!
//! A blob matches when it holds any query token (duplicate query tokens count once) and passes
//! the filters (time range overlap, types). Matches are ranked by the number of distinct query
//! tokens they hold (most first), then by `time_end` (newest first), then by index row (oldest
//! first, so equal matches keep a stable order); `total` counts every match before the limit.
//!
//! Both stores count and rank in SQL, ordering by [`RANK_ORDER`] over the columns `n` (distinct
//! matching tokens), `te` (the blob's `time_end`) and `blob_ref` (its row);
//! `server/tests/store_conformance` checks both.

use sync_core::UnixMillis;

/// Whether a blob spanning `[start, end]` overlaps the filter's `[from, to]` (all inclusive).
pub fn overlaps(start: UnixMillis, end: UnixMillis, (from, to): (UnixMillis, UnixMillis)) -> bool {
    end >= from && start <= to
}

/// The ranking as an SQL `ORDER BY` list: most distinct matching tokens first, then newest
/// `time_end`, then the oldest index row.
pub const RANK_ORDER: &str = "n DESC, te DESC, blob_ref";

#[cfg(test)]
mod tests {
    use super::*;

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
