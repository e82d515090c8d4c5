//! The clock seam. Library state machines take `now: Instant` as an argument; only the
//! IO shell holds a `Clock`, so tests can drive whole call flows in virtual time.

use std::time::Instant;

pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
}

/// The real monotonic clock, used by the daemon.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}
