//! Fixed-window request counting per key, in memory.
//!
//! Clerk limits the Backend API per secret key (100 requests per 10 s in
//! development, 1000 in production). Counting is per node: with N nodes the
//! effective limit is up to N times higher, which is the usual trade-off of a
//! limiter that costs no database round trip.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts hits per key in fixed windows.
pub struct RateLimiter<K> {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    /// `limit` hits per `window`; a limit of 0 allows everything.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Count a hit; `Err(seconds)` says how long until the window resets.
    pub fn hit(&self, key: &K) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut map = match self.windows.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = map.entry(key.clone()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_resets() {
        let rl = RateLimiter::new(2, Duration::from_millis(50));
        assert!(rl.hit(&"a").is_ok());
        assert!(rl.hit(&"a").is_ok());
        assert_eq!(rl.hit(&"a"), Err(1));
        assert!(rl.hit(&"b").is_ok(), "keys are independent");
        std::thread::sleep(Duration::from_millis(60));
        assert!(rl.hit(&"a").is_ok(), "a new window");
        let off = RateLimiter::new(0, Duration::from_secs(10));
        for _ in 0..1000 {
            assert!(off.hit(&"a").is_ok());
        }
    }
}
