//! Throttling password guessing: failed attempts are counted per key (the client's
//! address, and separately the username) in a fixed window; too many and the key is
//! blocked for a while (the caller answers 403 without checking credentials). Bounded
//! memory: expired entries are pruned when the table is full, and if it is still full
//! a new key is treated as blocked (fail closed) rather than evicting a live block.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimiterSettings {
    /// Failures allowed within `window` before the key is blocked.
    pub max_failures: u32,
    pub window: Duration,
    pub block_for: Duration,
    /// Keys tracked at once.
    pub max_keys: usize,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        LimiterSettings {
            max_failures: 5,
            window: Duration::from_secs(60),
            block_for: Duration::from_secs(300),
            max_keys: 100_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    window_start: Instant,
    blocked_until: Option<Instant>,
}

#[derive(Debug)]
pub struct FailureLimiter<K> {
    settings: LimiterSettings,
    entries: HashMap<K, Entry>,
}

impl<K: Hash + Eq + Clone> FailureLimiter<K> {
    pub fn new(settings: LimiterSettings) -> Self {
        FailureLimiter {
            settings,
            entries: HashMap::new(),
        }
    }

    pub fn is_blocked(&self, key: &K, now: Instant) -> bool {
        self.entries
            .get(key)
            .and_then(|e| e.blocked_until)
            .is_some_and(|until| now < until)
    }

    /// Counts a failure; returns true if `key` is blocked now.
    pub fn record_failure(&mut self, key: &K, now: Instant) -> bool {
        if !self.entries.contains_key(key) && self.entries.len() >= self.settings.max_keys {
            self.prune(now);
            if self.entries.len() >= self.settings.max_keys {
                return true;
            }
        }
        let s = self.settings;
        let e = self.entries.entry(key.clone()).or_insert(Entry {
            failures: 0,
            window_start: now,
            blocked_until: None,
        });
        if now.saturating_duration_since(e.window_start) > s.window {
            *e = Entry {
                failures: 0,
                window_start: now,
                blocked_until: e.blocked_until.filter(|u| now < *u),
            };
        }
        e.failures = e.failures.saturating_add(1);
        if e.failures >= s.max_failures {
            e.blocked_until = Some(now + s.block_for);
        }
        e.blocked_until.is_some_and(|u| now < u)
    }

    /// A success forgets earlier failures (unless the key is blocked: a block runs out).
    pub fn record_success(&mut self, key: &K, now: Instant) {
        if !self.is_blocked(key, now) {
            self.entries.remove(key);
        }
    }

    fn prune(&mut self, now: Instant) {
        let window = self.settings.window;
        self.entries.retain(|_, e| {
            let blocked = e.blocked_until.is_some_and(|u| now < u);
            blocked || now.saturating_duration_since(e.window_start) <= window
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_and_releases_later() {
        let t0 = Instant::now();
        let mut l = FailureLimiter::new(LimiterSettings {
            max_failures: 3,
            window: Duration::from_secs(10),
            block_for: Duration::from_secs(60),
            max_keys: 10,
        });
        let at = |s| t0 + Duration::from_secs(s);
        assert!(!l.record_failure(&"ip", at(0)));
        assert!(!l.record_failure(&"ip", at(1)));
        assert!(l.record_failure(&"ip", at(2)));
        assert!(l.is_blocked(&"ip", at(30)));
        l.record_success(&"ip", at(30));
        assert!(
            l.is_blocked(&"ip", at(30)),
            "a success does not lift a block"
        );
        assert!(!l.is_blocked(&"ip", at(63)));
        assert!(!l.is_blocked(&"other", at(2)));
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let t0 = Instant::now();
        let mut l = FailureLimiter::new(LimiterSettings {
            max_failures: 2,
            window: Duration::from_secs(10),
            block_for: Duration::from_secs(60),
            max_keys: 10,
        });
        assert!(!l.record_failure(&1, t0));
        assert!(!l.record_failure(&1, t0 + Duration::from_secs(11)));
        assert!(l.record_failure(&1, t0 + Duration::from_secs(12)));
    }

    #[test]
    fn a_full_table_fails_closed_but_prunes_first() {
        let t0 = Instant::now();
        let mut l = FailureLimiter::new(LimiterSettings {
            max_failures: 5,
            window: Duration::from_secs(10),
            block_for: Duration::from_secs(60),
            max_keys: 2,
        });
        l.record_failure(&1, t0);
        l.record_failure(&2, t0);
        assert!(l.record_failure(&3, t0), "no room: treated as blocked");
        assert!(
            !l.record_failure(&3, t0 + Duration::from_secs(20)),
            "old entries pruned"
        );
    }
}
