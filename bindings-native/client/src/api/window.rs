//! An adaptive in-flight window for object transfers, in both directions (push `PUT`s, pull
//! `GET`s): [`TransferWindow`] starts at [`START`] transfers (or the setting, if lower), and
//! after each *round* (as many transfers finished as the window allowed) compares the round's
//! throughput with the previous one:
//!
//! - it doubled the window while below the threshold, then adds one ([`WindowRule::on_done`]),
//!   as long as bytes/s or files/s rose by [`GROWTH`] or more — a link (or the client's own
//!   bandwidth limit, `api/throttle.rs`) that is full stops the growth by itself;
//! - it halves the window (and the threshold) on a sign of congestion: a `429`/`503`, a 5xx or
//!   a network error ([`Signal::Congested`]);
//! - it never passes the setting (`upload_concurrency`, `download_concurrency`).
//!
//! [`TransferWindow::unordered`] runs a list of transfers through the window, answers as they
//! finish; [`TransferWindow::ordered`] answers in the list's order (the pull imports in order
//! while later blobs download).

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::stream::{FuturesOrdered, FuturesUnordered, Stream, StreamExt};

use crate::error::SyncError;

/// The window a transfer list starts at.
pub const START: usize = 4;
/// The rise of throughput (bytes/s or files/s) from one round to the next that lets the
/// window grow: 10 %.
pub const GROWTH: f64 = 1.10;

/// What one finished transfer tells the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// It moved this many bytes.
    Done(u64),
    /// The server or the network pushed back (429, 503, 5xx, connection errors).
    Congested,
    /// It failed for a reason of its own (a refusal, a damaged object): no sign either way.
    Neutral,
}

impl Signal {
    /// The signal of a transfer's outcome that moved `bytes` when it succeeded.
    pub fn of<T>(outcome: &Result<T, SyncError>, bytes: u64) -> Signal {
        match outcome {
            Ok(_) => Signal::Done(bytes),
            Err(e) if congestion(e) => Signal::Congested,
            Err(_) => Signal::Neutral,
        }
    }
}

/// True for the errors that mean "too much at once": 429, 503 and other 5xx answers, network
/// errors.
pub fn congestion(e: &SyncError) -> bool {
    match e {
        SyncError::RetryLater { .. } | SyncError::Network { .. } => true,
        SyncError::Api { status, .. } => *status == 429 || *status >= 500,
        _ => false,
    }
}

/// The window rule, without a clock of its own (unit-tested with given instants).
#[derive(Debug, Clone)]
pub struct WindowRule {
    size: usize,
    max: usize,
    threshold: usize,
    round_start: Instant,
    round_bytes: u64,
    round_files: usize,
    last: Option<(f64, f64)>,
}

impl WindowRule {
    /// A window of `min(START, max)` that never passes `max` (at least 1).
    pub fn new(max: usize, now: Instant) -> WindowRule {
        let max = max.max(1);
        WindowRule {
            size: START.min(max),
            max,
            threshold: max,
            round_start: now,
            round_bytes: 0,
            round_files: 0,
            last: None,
        }
    }

    /// Transfers allowed in flight now.
    pub fn size(&self) -> usize {
        self.size
    }

    /// A transfer finished at `now` with `signal`.
    pub fn on_done(&mut self, signal: Signal, now: Instant) {
        match signal {
            Signal::Congested => {
                self.threshold = (self.size / 2).max(1);
                self.size = self.threshold;
                self.new_round(now, None);
            }
            Signal::Neutral => self.round_files += 1,
            Signal::Done(bytes) => {
                self.round_bytes += bytes;
                self.round_files += 1;
                if self.round_files < self.size {
                    return;
                }
                let secs = now.duration_since(self.round_start).max(Duration::from_millis(1)).as_secs_f64();
                let rate = (self.round_bytes as f64 / secs, self.round_files as f64 / secs);
                let grew = self.last.is_none_or(|(bytes, files)| rate.0 >= bytes * GROWTH || rate.1 >= files * GROWTH);
                if grew && self.size < self.max {
                    let next = if self.size < self.threshold { self.size * 2 } else { self.size + 1 };
                    self.size = next.min(self.max);
                }
                self.new_round(now, Some(rate));
            }
        }
    }

    fn new_round(&mut self, now: Instant, rate: Option<(f64, f64)>) {
        self.round_start = now;
        self.round_bytes = 0;
        self.round_files = 0;
        self.last = rate;
    }
}

/// A [`WindowRule`] shared by the transfers of one push or pull.
#[derive(Debug)]
pub struct TransferWindow {
    rule: Mutex<WindowRule>,
}

impl TransferWindow {
    /// A window that never passes `max` transfers in flight.
    pub fn new(max: usize) -> TransferWindow {
        TransferWindow { rule: Mutex::new(WindowRule::new(max, Instant::now())) }
    }

    /// Transfers allowed in flight now.
    pub fn size(&self) -> usize {
        self.rule.lock().unwrap_or_else(std::sync::PoisonError::into_inner).size()
    }

    fn record(&self, signal: Signal) {
        self.rule.lock().unwrap_or_else(std::sync::PoisonError::into_inner).on_done(signal, Instant::now());
    }

    /// Runs `transfer` on every item, at most [`Self::size`] at once; answers as they finish.
    pub fn unordered<'a, T, R, Fut>(
        &'a self,
        items: impl IntoIterator<Item = T> + 'a,
        transfer: impl FnMut(T) -> Fut + 'a,
    ) -> impl Stream<Item = R> + 'a
    where
        T: 'a,
        R: 'a,
        Fut: Future<Output = (R, Signal)> + 'a,
    {
        let state = (items.into_iter(), FuturesUnordered::new(), transfer);
        futures::stream::unfold(state, move |(mut items, mut running, mut transfer)| async move {
            while running.len() < self.size() {
                match items.next() {
                    Some(item) => running.push(transfer(item)),
                    None => break,
                }
            }
            let (answer, signal) = running.next().await?;
            self.record(signal);
            Some((answer, (items, running, transfer)))
        })
    }

    /// Runs `transfer` on every item, at most [`Self::size`] at once; answers in the items'
    /// order (a finished transfer waits for those before it, and counts as in flight meanwhile).
    pub fn ordered<'a, T, R, Fut>(
        &'a self,
        items: impl IntoIterator<Item = T> + 'a,
        transfer: impl FnMut(T) -> Fut + 'a,
    ) -> impl Stream<Item = R> + 'a
    where
        T: 'a,
        R: 'a,
        Fut: Future<Output = (R, Signal)> + 'a,
    {
        self.ordered_within(items, |_| 0, 0, transfer)
    }

    /// [`Self::ordered`], with at most `budget` of `weight` in flight (the bytes a transfer holds
    /// in memory until it is answered; one item is always let through, whatever its weight).
    pub fn ordered_within<'a, T, R, Fut>(
        &'a self,
        items: impl IntoIterator<Item = T> + 'a,
        weight: impl Fn(&T) -> u64 + 'a,
        budget: u64,
        transfer: impl FnMut(T) -> Fut + 'a,
    ) -> impl Stream<Item = R> + 'a
    where
        T: 'a,
        R: 'a,
        Fut: Future<Output = (R, Signal)> + 'a,
    {
        let items = items.into_iter().peekable();
        let state = (items, FuturesOrdered::new(), VecDeque::<u64>::new(), transfer);
        futures::stream::unfold(state, move |(mut items, mut running, mut weights, mut transfer)| {
            // Admission is synchronous: only the wait for the next answer is async.
            while running.len() < self.size() {
                let Some(next) = items.peek() else { break };
                let w = weight(next);
                let held: u64 = weights.iter().sum();
                if !weights.is_empty() && budget > 0 && held.saturating_add(w) > budget {
                    break;
                }
                let Some(item) = items.next() else { break };
                weights.push_back(w);
                running.push_back(transfer(item));
            }
            async move {
                let (answer, signal) = running.next().await?;
                weights.pop_front();
                self.record(signal);
                Some((answer, (items, running, weights, transfer)))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// One round of `n` transfers of `bytes` each, taking `secs`.
    fn round(rule: &mut WindowRule, t: &mut Instant, n: usize, bytes: u64, secs: f64) {
        *t += Duration::from_secs_f64(secs);
        for _ in 0..n {
            rule.on_done(Signal::Done(bytes), *t);
        }
    }

    #[test]
    fn grows_while_throughput_grows_and_stops_at_the_setting() {
        let mut t = Instant::now();
        let mut rule = WindowRule::new(16, t);
        assert_eq!(rule.size(), START);
        // The first round always grows (nothing to compare with): 4 -> 8.
        round(&mut rule, &mut t, 4, 100, 1.0);
        assert_eq!(rule.size(), 8);
        // Twice the files in the same time: 8 -> 16, and never past the setting.
        round(&mut rule, &mut t, 8, 100, 1.0);
        assert_eq!(rule.size(), 16);
        round(&mut rule, &mut t, 16, 100, 1.0);
        assert_eq!(rule.size(), 16);
        // A setting below START is the start.
        assert_eq!(WindowRule::new(2, t).size(), 2);
        assert_eq!(WindowRule::new(0, t).size(), 1);
    }

    #[test]
    fn holds_when_the_link_is_full() {
        let mut t = Instant::now();
        let mut rule = WindowRule::new(64, t);
        round(&mut rule, &mut t, 4, 1000, 1.0); // 4 -> 8
        assert_eq!(rule.size(), 8);
        // Twice the transfers take twice the time: the same throughput, the window holds.
        round(&mut rule, &mut t, 8, 1000, 2.0);
        assert_eq!(rule.size(), 8);
        round(&mut rule, &mut t, 8, 1000, 2.0);
        assert_eq!(rule.size(), 8);
        // 5 % more is not growth.
        round(&mut rule, &mut t, 8, 1050, 2.0);
        assert_eq!(rule.size(), 8);
    }

    #[test]
    fn halves_on_congestion_then_grows_by_one() {
        let mut t = Instant::now();
        let mut rule = WindowRule::new(64, t);
        round(&mut rule, &mut t, 4, 100, 1.0);
        round(&mut rule, &mut t, 8, 100, 1.0);
        assert_eq!(rule.size(), 16);
        rule.on_done(Signal::Congested, t);
        assert_eq!(rule.size(), 8);
        rule.on_done(Signal::Congested, t);
        assert_eq!(rule.size(), 4);
        // Past the threshold now: growth is additive.
        round(&mut rule, &mut t, 4, 100, 1.0);
        assert_eq!(rule.size(), 5);
        round(&mut rule, &mut t, 5, 100, 0.5);
        assert_eq!(rule.size(), 6);
        // Never below one.
        for _ in 0..10 {
            rule.on_done(Signal::Congested, t);
        }
        assert_eq!(rule.size(), 1);
        // A refusal of one blob says nothing about the link.
        rule.on_done(Signal::Neutral, t);
        assert_eq!(rule.size(), 1);
    }

    #[test]
    fn signals_of_outcomes() {
        let retry =
            SyncError::RetryLater { status: 429, code: "RATE_LIMITED".into(), message: "m".into(), retry_after: None };
        assert_eq!(Signal::of::<()>(&Err(retry), 5), Signal::Congested);
        let api = |status| SyncError::Api { status, code: "X".into(), message: "m".into() };
        assert_eq!(Signal::of::<()>(&Err(api(503)), 5), Signal::Congested);
        assert_eq!(Signal::of::<()>(&Err(api(403)), 5), Signal::Neutral);
        assert_eq!(Signal::of(&Ok::<(), SyncError>(()), 5), Signal::Done(5));
    }

    #[tokio::test]
    async fn streams_keep_within_the_window_and_the_order() {
        let window = TransferWindow::new(3);
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let transfer = |i: u64| {
            let (running, most) = (&running, &most);
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // Later items finish first.
                tokio::time::sleep(Duration::from_millis(20 - i)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                (i, Signal::Done(1))
            }
        };
        let ordered: Vec<u64> = window.ordered(0..10u64, transfer).collect().await;
        assert_eq!(ordered, (0..10).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 3, "never more than the setting in flight");

        // A byte budget: never more than 25 in flight, but one always goes.
        let window = TransferWindow::new(8);
        let held = AtomicUsize::new(0);
        let most_held = AtomicUsize::new(0);
        let weighed = |i: u64| {
            let (held, most_held) = (&held, &most_held);
            async move {
                let w = if i == 3 { 40 } else { 10 };
                most_held.fetch_max(held.fetch_add(w, Ordering::SeqCst) + w, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                held.fetch_sub(w, Ordering::SeqCst);
                (i, Signal::Done(1))
            }
        };
        let weight = |i: &u64| if *i == 3 { 40 } else { 10 };
        let got: Vec<u64> = window.ordered_within(0..8u64, weight, 25, weighed).collect().await;
        assert_eq!(got, (0..8).collect::<Vec<_>>());
        assert_eq!(most_held.load(Ordering::SeqCst), 40, "two of 10, or the heavy one alone");

        let window = TransferWindow::new(8);
        let mut unordered: Vec<u64> = window.unordered(0..10u64, transfer).collect().await;
        assert_ne!(unordered, (0..10).collect::<Vec<_>>(), "answers as they finish");
        unordered.sort_unstable();
        assert_eq!(unordered, (0..10).collect::<Vec<_>>());
    }
}
