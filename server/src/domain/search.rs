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

/// What a store knows of the lists it hands to [`rank`] before reading them: the smallest and
/// largest `seq` they may hold and how many postings they hold in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListBounds {
    /// No posting has a smaller `seq`.
    pub min_seq: i64,
    /// No posting has a larger `seq`.
    pub max_seq: i64,
    /// Postings in all the lists.
    pub postings: u64,
}

/// Spans of `seq` up to this many times the postings read are counted in an array (see
/// [`rank`]); sparser lists are merged.
const DENSE_SPAN_PER_POSTING: i64 = 16;

/// The best `limit` ranks of `best` (a heap of the worst on top), best first.
fn ordered(best: BinaryHeap<Reverse<Rank>>) -> Vec<(i64, u32)> {
    let mut ranked: Vec<Rank> = best.into_iter().map(|Reverse(r)| r).collect();
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    ranked.into_iter().map(|Rank(n, _, Reverse(seq))| (seq, n)).collect()
}

/// Keeps `rank` among the best `limit` of `best` (worst on top).
fn keep(best: &mut BinaryHeap<Reverse<Rank>>, rank: Rank, limit: usize) {
    if best.len() < limit {
        best.push(Reverse(rank));
    } else if best.peek().is_some_and(|Reverse(worst)| rank > *worst) {
        best.pop();
        best.push(Reverse(rank));
    }
}

/// Ranks the matches of the posting lists of distinct query tokens (each sorted by `seq`, each
/// blob at most once per list) that pass `filter`: the best `limit` as
/// `(seq, distinct matching tokens)`, best first, and the number of matches. A list that fails
/// to read stops the search with its error.
///
/// With `bounds` whose `seq` span is dense enough (an account's blobs are numbered 1, 2, 3...,
/// so frequent tokens are), every list is read once into an array indexed by `seq` (counts and
/// `time_end`), which is then scanned newest first; otherwise the lists are merged with a heap.
/// Both give the same answer.
pub fn rank<E, I>(
    lists: Vec<I>,
    bounds: Option<ListBounds>,
    filter: &PostingFilter,
    limit: u32,
) -> Result<(Vec<(i64, u32)>, u64), E>
where
    I: Iterator<Item = Result<Posting, E>>,
{
    if let Some(b) = bounds
        && b.max_seq >= b.min_seq
    {
        let span = b.max_seq.saturating_sub(b.min_seq).saturating_add(1);
        let postings = i64::try_from(b.postings).unwrap_or(i64::MAX);
        if span <= postings.saturating_mul(DENSE_SPAN_PER_POSTING).max(1 << 12) && lists.len() < usize::from(SKIP) {
            return rank_dense(lists, b.min_seq, span, filter, limit);
        }
    }
    rank_merged(lists, filter, limit)
}

/// A count that marks a blob the filter refused.
const SKIP: u16 = u16::MAX;

fn rank_dense<E, I>(
    lists: Vec<I>,
    base: i64,
    span: i64,
    filter: &PostingFilter,
    limit: u32,
) -> Result<(Vec<(i64, u32)>, u64), E>
where
    I: Iterator<Item = Result<Posting, E>>,
{
    let span = usize::try_from(span).unwrap_or(0);
    let mut counts = vec![0u16; span];
    let mut ends = vec![0i64; span];
    for list in lists {
        for posting in list {
            let p = posting?;
            let Some(i) = usize::try_from(p.seq.wrapping_sub(base)).ok().filter(|i| *i < span) else { continue };
            match counts[i] {
                SKIP => {}
                0 if !filter.accepts(&p) => counts[i] = SKIP,
                0 => {
                    counts[i] = 1;
                    ends[i] = p.time_end;
                }
                n => counts[i] = n + 1,
            }
        }
    }
    let limit = limit as usize;
    let mut best: BinaryHeap<Reverse<Rank>> = BinaryHeap::with_capacity(limit.saturating_add(1));
    let mut total = 0u64;
    // Newest first: later blobs mostly end later, so few of them displace a kept one.
    for i in (0..span).rev() {
        let n = counts[i];
        if n == 0 || n == SKIP {
            continue;
        }
        total += 1;
        keep(&mut best, Rank(u32::from(n), ends[i], Reverse(base + i as i64)), limit);
    }
    Ok((ordered(best), total))
}

fn rank_merged<E, I>(lists: Vec<I>, filter: &PostingFilter, limit: u32) -> Result<(Vec<(i64, u32)>, u64), E>
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
        keep(&mut best, Rank(count, posting.time_end, Reverse(seq)), limit);
    }
    Ok((ordered(best), total))
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
        let b_list = |_: &Option<ListBounds>| [p(1, 10, 0), p(2, 20, 0), p(3, 30, 0), p(4, 20, 0)];
        let all = PostingFilter::default();
        let bounds = Some(ListBounds { min_seq: 1, max_seq: 4, postings: 7 });
        for b in [None, bounds] {
            assert_eq!(rank(lists(&[&a, &b_list(&None)]), b, &all, 10), Ok((vec![(2, 2), (4, 2), (1, 2), (3, 1)], 4)));
            assert_eq!(rank(lists(&[&a, &b_list(&None)]), b, &all, 2), Ok((vec![(2, 2), (4, 2)], 4)));
            assert_eq!(rank(lists(&[&a, &b_list(&None)]), b, &all, 0), Ok((vec![], 4)));
            assert_eq!(rank(lists(&[]), b, &all, 5), Ok((vec![], 0)));
            assert_eq!(rank(lists(&[&[], &b_list(&None)]), b, &all, 1), Ok((vec![(3, 1)], 4)));
        }
    }

    #[test]
    fn filters_apply_before_counting() {
        let a = [p(1, 10, 0), p(2, 20, 1), p(3, 30, 2)];
        let audio = PostingFilter { type_codes: Some(vec![2]), ..PostingFilter::default() };
        let window = PostingFilter { time_range: Some((UnixMillis(16), UnixMillis(21))), ..PostingFilter::default() };
        for bounds in [None, Some(ListBounds { min_seq: 1, max_seq: 3, postings: 3 })] {
            assert_eq!(rank(lists(&[&a]), bounds, &audio, 10), Ok((vec![(3, 1)], 1)));
            assert_eq!(rank(lists(&[&a]), bounds, &window, 10), Ok((vec![(2, 1)], 1)));
        }
    }

    #[test]
    fn a_failing_list_stops_the_search() {
        let failing: Vec<std::vec::IntoIter<Result<Posting, &str>>> =
            vec![vec![Ok(p(1, 1, 0)), Err("corrupt")].into_iter()];
        assert_eq!(rank(failing, None, &PostingFilter::default(), 10), Err("corrupt"));
        let failing: Vec<std::vec::IntoIter<Result<Posting, &str>>> =
            vec![vec![Ok(p(1, 1, 0)), Err("corrupt")].into_iter()];
        let bounds = Some(ListBounds { min_seq: 1, max_seq: 2, postings: 2 });
        assert_eq!(rank(failing, bounds, &PostingFilter::default(), 10), Err("corrupt"));
    }

    /// The array and the merge give the same answer on random lists, with and without filters.
    #[test]
    fn both_ways_agree() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..200 {
            let tokens = 1 + (next() % 6) as usize;
            let max_seq = 1 + (next() % 300) as i64;
            let mut all: Vec<Vec<Posting>> = Vec::new();
            for _ in 0..tokens {
                let list: Vec<Posting> = (1..=max_seq)
                    .filter(|_| next() % 3 == 0)
                    .map(|seq| p(seq, 1_000 + (seq * 7919) % 97, (seq % 3) as i16))
                    .collect();
                all.push(list);
            }
            let postings: u64 = all.iter().map(|l| l.len() as u64).sum();
            let refs: Vec<&[Posting]> = all.iter().map(Vec::as_slice).collect();
            let filter = match round % 3 {
                0 => PostingFilter::default(),
                1 => PostingFilter { type_codes: Some(vec![1, 2]), ..PostingFilter::default() },
                _ => PostingFilter {
                    time_range: Some((UnixMillis(1_020), UnixMillis(1_060))),
                    ..PostingFilter::default()
                },
            };
            let limit = (next() % 50) as u32;
            let bounds = Some(ListBounds { min_seq: 1, max_seq, postings });
            let merged = rank(lists(&refs), None, &filter, limit);
            let dense = rank(lists(&refs), bounds, &filter, limit);
            assert_eq!(merged, dense, "round {round}");
        }
    }
}
