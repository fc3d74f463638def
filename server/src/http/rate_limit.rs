//! Rate limits against brute force and floods, answered `429 RATE_LIMITED` with `Retry-After`:
//!
//! - failed bearer tokens (missing, malformed or unknown) per client address: once a client has
//!   spent its allowance, every request it makes with a bearer token is refused until the
//!   allowance refills, before the token is even looked up (tokens are 256-bit, so this saves
//!   logs and CPU rather than guesses; clients behind one NAT share an allowance);
//! - `/init` per client address and per account (it registers devices and can create keys);
//! - the pairing mailbox per account: opening and joining (each join is one guess of a code),
//!   and the other calls (`/pair/*`).
//!
//! Each limit is a token bucket per key (a client address, an account): `per_minute` requests,
//! in bursts of as many, refilled continuously. The state is this process's memory: behind a
//! load balancer each process counts on its own (the allowance is per process). At most
//! [`MAX_KEYS`] keys are tracked per limit; full buckets are forgotten first.
//!
//! Client addresses: the peer's address, or with `client_ip_header` set (behind a reverse proxy
//! that sets it), the last address in that header, which the proxy appended. IPv6 addresses
//! count per /64 (what one subscriber usually holds), IPv4 addresses one by one.
//!
//! Why not `governor`/`tower_governor`: three keyed limits with one small bucket type, a
//! `Retry-After` and a bounded key set are about a hundred lines; the crates bring a
//! lock-free keyed store and their own clock abstraction this server does not need.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

use crate::config::Limits;

/// Keys tracked per limit at most.
pub const MAX_KEYS: usize = 100_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A token bucket per key: `per_minute` requests in bursts of as many.
#[derive(Debug)]
pub struct KeyedLimit<K> {
    per_minute: u32,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: std::hash::Hash + Eq + Clone> KeyedLimit<K> {
    /// A limit of `per_minute` (0: no limit).
    pub fn new(per_minute: u32) -> KeyedLimit<K> {
        KeyedLimit { per_minute, buckets: Mutex::new(HashMap::new()) }
    }

    fn capacity(&self) -> f64 {
        f64::from(self.per_minute)
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        (bucket.tokens + elapsed * self.capacity() / 60.0).min(self.capacity())
    }

    /// Time until `key` has a whole token at `now` (`None`: it has one now).
    fn wait(&self, tokens: f64) -> Option<Duration> {
        (tokens < 1.0).then(|| Duration::from_secs_f64((1.0 - tokens) * 60.0 / self.capacity()))
    }

    /// Whether `key` may make a request at `now` without spending anything: `Err(wait)` when
    /// it must wait.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match buckets.get(key).and_then(|b| self.wait(self.refilled(*b, now))) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Spends one request of `key` at `now`: `Err(wait)` when none is left (nothing spent).
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(key) {
            let capacity = self.capacity();
            buckets.retain(|_, b| self.refilled(*b, now) < capacity);
            if buckets.len() >= MAX_KEYS
                && let Some(any) = buckets.keys().next().cloned()
            {
                buckets.remove(&any);
            }
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket { tokens: self.capacity(), at: now });
        let tokens = self.refilled(*bucket, now);
        if let Some(wait) = self.wait(tokens) {
            return Err(wait);
        }
        *bucket = Bucket { tokens: tokens - 1.0, at: now };
        Ok(())
    }
}

/// The server's rate limits.
#[derive(Debug)]
pub struct RateLimits {
    /// Failed bearer tokens per client address.
    pub auth_failures: KeyedLimit<IpAddr>,
    /// `/init` calls per client address.
    pub init_per_address: KeyedLimit<IpAddr>,
    /// `/init` calls per account.
    pub init_per_account: KeyedLimit<i64>,
    /// Pairing mailboxes opened or joined per account (each join is one guess of a code).
    pub pair_starts: KeyedLimit<i64>,
    /// Other pairing calls per account.
    pub pair_calls: KeyedLimit<i64>,
    /// The header naming the client's address, set by a trusted reverse proxy.
    pub client_ip_header: Option<axum::http::HeaderName>,
}

impl RateLimits {
    /// The limits the configuration sets.
    pub fn new(limits: &Limits) -> RateLimits {
        RateLimits {
            auth_failures: KeyedLimit::new(limits.auth_failures_per_minute),
            init_per_address: KeyedLimit::new(limits.init_per_minute_per_address),
            init_per_account: KeyedLimit::new(limits.init_per_minute_per_account),
            pair_starts: KeyedLimit::new(limits.pair_starts_per_minute_per_account),
            pair_calls: KeyedLimit::new(limits.pair_calls_per_minute_per_account),
            client_ip_header: limits.client_ip_header.clone(),
        }
    }

    /// The client's address as the limits count it (see the module documentation); `None`
    /// when unknown (requests built in process).
    pub fn client(&self, parts: &Parts) -> Option<IpAddr> {
        let address = match &self.client_ip_header {
            Some(name) => parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .next_back()
                .and_then(|last| last.trim().parse::<IpAddr>().ok()),
            None => parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip()),
        }?;
        Some(counted(address))
    }
}

/// The address a limit counts: IPv6 by its /64 (IPv4-mapped ones as IPv4), IPv4 as is.
pub fn counted(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                for s in segments.iter_mut().skip(4) {
                    *s = 0;
                }
                IpAddr::V6(segments.into())
            }
        },
    }
}

/// Whole seconds to announce in `Retry-After` for `wait` (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs().saturating_add(u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_spend_refill_and_wait() {
        let limit = KeyedLimit::<u8>::new(6); // one every 10 s, bursts of 6
        let t0 = Instant::now();
        for _ in 0..6 {
            assert_eq!(limit.take(&1, t0), Ok(()));
        }
        let wait = limit.take(&1, t0).unwrap_err();
        assert_eq!(retry_after_secs(wait), 10);
        assert_eq!(limit.check(&1, t0), Err(wait));
        // Another key has its own allowance.
        assert_eq!(limit.take(&2, t0), Ok(()));
        // 5 s later half a token: still waiting 5 s; 10 s later one request.
        assert_eq!(retry_after_secs(limit.check(&1, t0 + Duration::from_secs(5)).unwrap_err()), 5);
        assert_eq!(limit.take(&1, t0 + Duration::from_secs(10)), Ok(()));
        assert!(limit.take(&1, t0 + Duration::from_secs(10)).is_err());
        // No limit at all.
        let none = KeyedLimit::<u8>::new(0);
        for _ in 0..100 {
            assert_eq!(none.take(&1, t0), Ok(()));
        }
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(2500)), 3);
    }

    #[test]
    fn the_key_set_is_bounded() {
        let limit = KeyedLimit::<u32>::new(1);
        let t0 = Instant::now();
        for key in 0..(MAX_KEYS as u32 + 10) {
            let _ = limit.take(&key, t0);
        }
        assert!(limit.buckets.lock().unwrap().len() <= MAX_KEYS);
    }

    #[test]
    fn addresses_are_counted_per_subscriber() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(counted(a), counted(b));
        assert_ne!(counted(a), counted(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(counted(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
        let v4: IpAddr = "192.0.2.8".parse().unwrap();
        assert_eq!(counted(v4), v4);
    }
}
