//! Accounting of accepted TCP connections against the total and per-source-IP limits.
//!
//! `ConnLimits` is plain bookkeeping (unit-tested without sockets); `ConnPermit` is the
//! RAII guard a connection task holds so the slot is released however the task ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Which limit refused a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LimitExceeded {
    #[error("total TCP connection limit reached")]
    Total,
    #[error("per-IP TCP connection limit reached")]
    PerIp,
}

/// Counts of open accepted connections.
#[derive(Debug)]
pub(crate) struct ConnLimits {
    max_total: usize,
    max_per_ip: usize,
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

impl ConnLimits {
    pub(crate) fn new(max_total: usize, max_per_ip: usize) -> Self {
        ConnLimits {
            max_total,
            max_per_ip,
            total: 0,
            per_ip: HashMap::new(),
        }
    }

    /// Takes one slot for `ip`, or says which limit is full.
    pub(crate) fn try_acquire(&mut self, ip: IpAddr) -> Result<(), LimitExceeded> {
        let ip = canonical(ip);
        if self.total >= self.max_total {
            return Err(LimitExceeded::Total);
        }
        let n = self.per_ip.entry(ip).or_insert(0);
        if *n >= self.max_per_ip {
            return Err(LimitExceeded::PerIp);
        }
        *n += 1;
        self.total += 1;
        Ok(())
    }

    /// Returns one slot of `ip`; entries that reach zero are removed so the map only
    /// holds IPs with open connections (no growth from many one-shot peers).
    pub(crate) fn release(&mut self, ip: IpAddr) {
        let ip = canonical(ip);
        if let Some(n) = self.per_ip.get_mut(&ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_ip.remove(&ip);
            }
            self.total = self.total.saturating_sub(1);
        }
    }

    #[cfg(test)]
    pub(crate) fn total(&self) -> usize {
        self.total
    }

    #[cfg(test)]
    pub(crate) fn tracked_ips(&self) -> usize {
        self.per_ip.len()
    }
}

/// A v4-mapped IPv6 peer (dual-stack socket) is the same host as its IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// The shared limits, as the accept loops use them.
#[derive(Debug, Clone)]
pub(crate) struct SharedLimits(Arc<Mutex<ConnLimits>>);

impl SharedLimits {
    pub(crate) fn new(max_total: usize, max_per_ip: usize) -> Self {
        SharedLimits(Arc::new(Mutex::new(ConnLimits::new(max_total, max_per_ip))))
    }

    pub(crate) fn try_acquire(&self, ip: IpAddr) -> Result<ConnPermit, LimitExceeded> {
        // A poisoned lock only means another thread panicked mid-update of plain counters;
        // keep serving rather than cascade the panic.
        let mut l = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        l.try_acquire(ip)?;
        Ok(ConnPermit {
            limits: self.clone(),
            ip,
        })
    }

    fn release(&self, ip: IpAddr) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .release(ip);
    }
}

/// One taken slot; released on drop.
#[derive(Debug)]
pub(crate) struct ConnPermit {
    limits: SharedLimits,
    ip: IpAddr,
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        self.limits.release(self.ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn per_ip_limit() {
        let mut l = ConnLimits::new(10, 2);
        assert_eq!(l.try_acquire(A), Ok(()));
        assert_eq!(l.try_acquire(A), Ok(()));
        assert_eq!(l.try_acquire(A), Err(LimitExceeded::PerIp));
        assert_eq!(l.try_acquire(B), Ok(()));
        l.release(A);
        assert_eq!(l.try_acquire(A), Ok(()));
        assert_eq!(l.total(), 3);
    }

    #[test]
    fn total_limit() {
        let mut l = ConnLimits::new(2, 5);
        assert_eq!(l.try_acquire(A), Ok(()));
        assert_eq!(l.try_acquire(B), Ok(()));
        assert_eq!(l.try_acquire(B), Err(LimitExceeded::Total));
    }

    #[test]
    fn releases_forget_ips_and_ignore_unknown() {
        let mut l = ConnLimits::new(10, 2);
        l.release(A);
        assert_eq!(l.total(), 0);
        assert_eq!(l.try_acquire(A), Ok(()));
        l.release(A);
        assert_eq!(l.tracked_ips(), 0);
        assert_eq!(l.total(), 0);
    }

    #[test]
    fn v4_mapped_counts_as_v4() {
        let mut l = ConnLimits::new(10, 1);
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped());
        assert_eq!(l.try_acquire(A), Ok(()));
        assert_eq!(l.try_acquire(mapped), Err(LimitExceeded::PerIp));
        assert_eq!(l.try_acquire(IpAddr::V6(Ipv6Addr::LOCALHOST)), Ok(()));
    }

    #[test]
    fn permit_releases_on_drop() {
        let s = SharedLimits::new(1, 1);
        let p = s.try_acquire(A);
        assert!(p.is_ok());
        assert!(s.try_acquire(B).is_err());
        drop(p);
        assert!(s.try_acquire(B).is_ok());
    }
}
