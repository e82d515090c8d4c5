//! Transport counters: lock-free atomics bumped on the IO paths, and a plain snapshot
//! (`TransportStats`) for metrics export and tests.

use std::sync::atomic::{AtomicU64, Ordering};

use super::types::DropReason;

/// Live counters, shared by every transport task.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    drops: [AtomicU64; DropReason::ALL.len()],
    tcp_open: AtomicU64,
    tcp_accepted: AtomicU64,
    tcp_connected: AtomicU64,
    tcp_connect_failures: AtomicU64,
    tcp_pings: AtomicU64,
    udp_keepalives: AtomicU64,
    udp_oversize: AtomicU64,
    udp_recv_errors: AtomicU64,
    accept_errors: AtomicU64,
}

/// Which plain counter to bump (drops and the open-connection gauge have their own calls).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    TcpAccepted,
    TcpConnected,
    TcpConnectFailure,
    TcpPing,
    UdpKeepAlive,
    UdpOversize,
    UdpRecvError,
    AcceptError,
}

impl Counters {
    pub(crate) fn drop(&self, reason: DropReason) {
        if let Some(c) = self.drops.get(reason.index()) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn event(&self, event: Event) {
        let c = match event {
            Event::TcpAccepted => &self.tcp_accepted,
            Event::TcpConnected => &self.tcp_connected,
            Event::TcpConnectFailure => &self.tcp_connect_failures,
            Event::TcpPing => &self.tcp_pings,
            Event::UdpKeepAlive => &self.udp_keepalives,
            Event::UdpOversize => &self.udp_oversize,
            Event::UdpRecvError => &self.udp_recv_errors,
            Event::AcceptError => &self.accept_errors,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn conn_opened(&self) {
        self.tcp_open.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn conn_closed(&self) {
        // Saturating: a gauge must never wrap even if a bug pairs calls wrongly.
        let _ = self
            .tcp_open
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(1))
            });
    }

    pub(crate) fn snapshot(&self) -> TransportStats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        TransportStats {
            drops: DropReason::ALL.map(|r| (r, self.drops.get(r.index()).map_or(0, load))),
            tcp_open: load(&self.tcp_open),
            tcp_accepted: load(&self.tcp_accepted),
            tcp_connected: load(&self.tcp_connected),
            tcp_connect_failures: load(&self.tcp_connect_failures),
            tcp_pings: load(&self.tcp_pings),
            udp_keepalives: load(&self.udp_keepalives),
            udp_oversize: load(&self.udp_oversize),
            udp_recv_errors: load(&self.udp_recv_errors),
            accept_errors: load(&self.accept_errors),
        }
    }
}

/// A point-in-time copy of the counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportStats {
    /// Drops by reason, one entry per `DropReason::ALL`.
    pub drops: [(DropReason, u64); DropReason::ALL.len()],
    /// TCP connections open now (accepted and outgoing).
    pub tcp_open: u64,
    /// TCP connections accepted and registered since start (refused ones not included).
    pub tcp_accepted: u64,
    /// Outgoing TCP connections established since start.
    pub tcp_connected: u64,
    pub tcp_connect_failures: u64,
    /// CRLFCRLF pings answered with a CRLF pong (RFC 5626 §4.4.1).
    pub tcp_pings: u64,
    /// CRLF-only UDP datagrams, silently ignored.
    pub udp_keepalives: u64,
    /// UDP datagrams above the size limit, delivered as `Inbound::Oversize`.
    pub udp_oversize: u64,
    /// Errors from UDP receive (ICMP unreachable and the like); the socket keeps going.
    pub udp_recv_errors: u64,
    /// Errors from accept (descriptor exhaustion and the like); the listener keeps going.
    pub accept_errors: u64,
}

impl TransportStats {
    /// Drops counted for one reason.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.drops
            .iter()
            .find(|(r, _)| *r == reason)
            .map_or(0, |(_, n)| *n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_drops_by_reason() {
        let c = Counters::default();
        c.drop(DropReason::Framing);
        c.drop(DropReason::Framing);
        c.drop(DropReason::InboundQueueFull);
        let s = c.snapshot();
        assert_eq!(s.dropped(DropReason::Framing), 2);
        assert_eq!(s.dropped(DropReason::InboundQueueFull), 1);
        assert_eq!(s.dropped(DropReason::TooLarge), 0);
    }

    #[test]
    fn open_gauge_never_wraps() {
        let c = Counters::default();
        c.conn_closed();
        assert_eq!(c.snapshot().tcp_open, 0);
        c.conn_opened();
        assert_eq!(c.snapshot().tcp_open, 1);
    }

    #[test]
    fn drop_reason_index_matches_all() {
        for (i, r) in DropReason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
    }
}
