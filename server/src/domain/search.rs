//! Search over the opaque token index: which blobs match, and in which order.
//!
//! A blob matches when it holds any query token (duplicate query tokens count once) and passes
//! the filters (time range overlap, types). Matches are ranked by the number of distinct query
//! tokens they hold (most first), then by `time_end` (newest first), then by completion order
//! (oldest first, so equal matches keep a stable order); `total` counts every match before the
//! limit. Both counts are exact.
//!
//! The index is one *posting list* per token: the [`Posting`]s of the blobs holding it, in
//! completion order (`seq`), each carrying what a search filters and ranks on, so a search reads
//! the lists of its tokens and no blob row but those it returns. [`rank`] merges the lists (each
//! sorted by `seq`) in one pass and keeps the best `limit` matches; both stores call it, over
//! lists they keep packed ([`crate::store::metadata`]'s `postings`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use sync_core::UnixMillis;

/// Whether a blob spanning `[start, end]` overlaps the filter's `[from, to]` (all inclusive).
pub fn overlaps(start: UnixMillis, end: UnixMillis, (from, to): (UnixMillis, UnixMillis)) -> bool {
    end >= from && start <= to
}

/// One blob in a token's posting list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Posting {
    /// The blob's completion number in its account (increasing: a list is sorted by it).
    pub seq: i64,
    /// Its `time_start`, ms.
    pub time_start: i64,
    /// Its `time_end`, ms.
    pub time_end: i64,
    /// Its type's code.
    pub type_code: i16,
}

/// What matches must pass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostingFilter {
    /// Overlap with this range.
    pub time_range: Option<(UnixMillis, UnixMillis)>,
    /// One of these type codes.
    pub type_codes: Option<Vec<i16>>,
}

impl PostingFilter {
    fn accepts(&self, p: &Posting) -> bool {
        self.time_range.is_none_or(|range| overlaps(UnixMillis(p.time_start), UnixMillis(p.time_end), range))
            && self.type_codes.as_ref().is_none_or(|codes| codes.contains(&p.type_code))
    }
}

/// A ranked match: better is greater (more tokens, then newer, then older `seq`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rank(u32, i64, Reverse<i64>);

/// Merges the posting lists of distinct query tokens (each sorted by `seq`, each blob at most
/// once per list) and ranks the matches that pass `filter`: the best `limit` as
/// `(seq, distinct matching tokens)`, best first, and the number of matches. A list that fails
/// to read stops the search with its error.
pub fn rank<E, I>(lists: Vec<I>, filter: &PostingFilter, limit: u32) -> Result<(Vec<(i64, u32)>, u64), E>
where
    I: Iterator<Item = Result<Posting, E>>,
{
    let mut lists = lists;
    // Heads of the lists, smallest `seq` on top.
    let mut heads: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::with_capacity(lists.len());
    let mut current: Vec<Option<Posting>> = vec![None; lists.len()];
    for (i, list) in lists.iter_mut().enumerate() {
        if let Some(p) = list.next().transpose()? {
            heads.push(Reverse((p.seq, i)));
            current[i] = Some(p);
        }
    }
    let limit = limit as usize;
    // The best matches so far, the worst on top.
    let mut best: BinaryHeap<Reverse<Rank>> = BinaryHeap::with_capacity(limit.saturating_add(1));
    let mut total = 0u64;
    while let Some(Reverse((seq, first))) = heads.pop() {
        let mut count = 1u32;
        let mut posting = current[first];
        advance(&mut lists, &mut current, &mut heads, first)?;
        while let Some(Reverse((next, i))) = heads.peek().copied() {
            if next != seq {
                break;
            }
            heads.pop();
            count += 1;
            posting = posting.or(current[i]);
            advance(&mut lists, &mut current, &mut heads, i)?;
        }
        let Some(posting) = posting else { continue };
        if !filter.accepts(&posting) {
            continue;
        }
        total += 1;
        let rank = Rank(count, posting.time_end, Reverse(seq));
        if best.len() < limit {
            best.push(Reverse(rank));
        } else if best.peek().is_some_and(|Reverse(worst)| rank > *worst) {
            best.pop();
            best.push(Reverse(rank));
        }
    }
    let mut ranked: Vec<Rank> = best.into_iter().map(|Reverse(r)| r).collect();
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    Ok((ranked.into_iter().map(|Rank(n, _, Reverse(seq))| (seq, n)).collect(), total))
}

/// Moves list `i` to its next posting (the one just taken is kept in `current` until then).
fn advance<E, I>(
    lists: &mut [I],
    current: &mut [Option<Posting>],
    heads: &mut BinaryHeap<Reverse<(i64, usize)>>,
    i: usize,
) -> Result<(), E>
where
    I: Iterator<Item = Result<Posting, E>>,
{
    let next = match lists.get_mut(i) {
        Some(list) => list.next().transpose()?,
        None => None,
    };
    if let Some(p) = next {
        heads.push(Reverse((p.seq, i)));
    }
    if let Some(slot) = current.get_mut(i) {
        *slot = next;
    }
    Ok(())
}

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

    fn p(seq: i64, end: i64, code: i16) -> Posting {
        Posting { seq, time_start: end - 5, time_end: end, type_code: code }
    }

    fn lists(of: &[&[Posting]]) -> Vec<std::vec::IntoIter<Result<Posting, ()>>> {
        of.iter().map(|l| l.iter().copied().map(Ok).collect::<Vec<_>>().into_iter()).collect()
    }

    #[test]
    fn ranking() {
        // Blob 1: 2 tokens, end 10; blob 2: 2 tokens, end 20; blob 3: 1 token, end 30;
        // blob 4: 2 tokens, end 20 (completed after blob 2).
        let a = [p(1, 10, 0), p(2, 20, 0), p(4, 20, 0)];
        let b = [p(1, 10, 0), p(2, 20, 0), p(3, 30, 0), p(4, 20, 0)];
        let all = PostingFilter::default();
        assert_eq!(rank(lists(&[&a, &b]), &all, 10), Ok((vec![(2, 2), (4, 2), (1, 2), (3, 1)], 4)));
        assert_eq!(rank(lists(&[&a, &b]), &all, 2), Ok((vec![(2, 2), (4, 2)], 4)));
        assert_eq!(rank(lists(&[&a, &b]), &all, 0), Ok((vec![], 4)));
        assert_eq!(rank(lists(&[]), &all, 5), Ok((vec![], 0)));
        assert_eq!(rank(lists(&[&[], &b]), &all, 1), Ok((vec![(3, 1)], 4)));
    }

    #[test]
    fn filters_apply_before_counting() {
        let a = [p(1, 10, 0), p(2, 20, 1), p(3, 30, 2)];
        let audio = PostingFilter { type_codes: Some(vec![2]), ..PostingFilter::default() };
        assert_eq!(rank(lists(&[&a]), &audio, 10), Ok((vec![(3, 1)], 1)));
        let window = PostingFilter { time_range: Some((UnixMillis(16), UnixMillis(21))), ..PostingFilter::default() };
        assert_eq!(rank(lists(&[&a]), &window, 10), Ok((vec![(2, 1)], 1)));
    }

    #[test]
    fn a_failing_list_stops_the_search() {
        let failing: Vec<std::vec::IntoIter<Result<Posting, &str>>> =
            vec![vec![Ok(p(1, 1, 0)), Err("corrupt")].into_iter()];
        assert_eq!(rank(failing, &PostingFilter::default(), 10), Err("corrupt"));
    }
}
