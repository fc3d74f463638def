//! An optional bandwidth limit shared by every transfer of a client: a token bucket refilled
//! at `bytes_per_sec`, with a burst of one second.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// A shared token bucket.
#[derive(Debug)]
pub struct RateLimiter {
    bytes_per_sec: u64,
    state: Mutex<(Instant, f64)>,
}

impl RateLimiter {
    /// A limiter of `bytes_per_sec` (at least 1).
    pub fn new(bytes_per_sec: u64) -> RateLimiter {
        let rate = bytes_per_sec.max(1);
        RateLimiter { bytes_per_sec: rate, state: Mutex::new((Instant::now(), rate as f64)) }
    }

    /// The configured rate.
    pub fn bytes_per_sec(&self) -> u64 {
        self.bytes_per_sec
    }

    /// Waits until `n` bytes may pass.
    pub async fn acquire(&self, n: usize) {
        let rate = self.bytes_per_sec as f64;
        let wait = {
            let mut guard = self.state.lock().await;
            let (last, tokens) = &mut *guard;
            let now = Instant::now();
            *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(rate);
            *last = now;
            *tokens -= n as f64;
            if *tokens < 0.0 { Duration::from_secs_f64(-*tokens / rate) } else { Duration::ZERO }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// Parses a rate such as `500000`, `800K`, `2M` or `1.5MB` (bytes per second, K = 1000).
pub fn parse_rate(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_uppercase();
    let t = t.strip_suffix("/S").unwrap_or(&t);
    let t = t.strip_suffix('B').unwrap_or(t);
    let (num, mult) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 1e3),
        'M' => (&t[..t.len() - 1], 1e6),
        'G' => (&t[..t.len() - 1], 1e9),
        _ => (t, 1.0),
    };
    let value: f64 = num.trim().parse().ok()?;
    if !value.is_finite() || value <= 0.0 {
        return None;
    }
    let bytes = value * mult;
    (1.0..1e15).contains(&bytes).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("500000"), Some(500_000));
        assert_eq!(parse_rate("800K"), Some(800_000));
        assert_eq!(parse_rate("2M"), Some(2_000_000));
        assert_eq!(parse_rate("1.5MB"), Some(1_500_000));
        assert_eq!(parse_rate("1.5mb/s"), Some(1_500_000));
        assert_eq!(parse_rate("0"), None);
        assert_eq!(parse_rate("fast"), None);
        assert_eq!(parse_rate("-3K"), None);
    }
}
