//! The vocabulary of the transport edge: its configuration, what it delivers to the
//! core (`Inbound`), why it drops things (`DropReason`, one metrics label each) and how
//! a send fails (`TransportError`).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;

use crate::net::{ConnectionId, Peer, TransportKind};

/// Limits and timeouts of the transport edge. Every limit exists because the peer is
/// untrusted: nothing a peer sends may grow memory or hold a task without bound.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Largest SIP message accepted. UDP datagrams above it are delivered truncated as
    /// `Inbound::Oversize`; a TCP message above it closes the connection.
    pub max_message_bytes: usize,
    /// Accepted (inbound) TCP connections, all peers together.
    pub tcp_max_connections: usize,
    /// Accepted (inbound) TCP connections from one source IP.
    pub tcp_max_connections_per_ip: usize,
    /// A TCP connection that receives no byte for this long is closed.
    pub tcp_idle_timeout: Duration,
    /// Bound on an outgoing TCP connect.
    pub tcp_connect_timeout: Duration,
    /// Messages queued for one connection's writer; a full queue means the peer does not
    /// read, and the connection is dropped rather than buffered without bound.
    pub tcp_write_queue: usize,
    /// Bound on writing one message to a connection whose peer stopped reading.
    pub tcp_write_timeout: Duration,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            max_message_bytes: crate::sip::MAX_MESSAGE_BYTES,
            tcp_max_connections: 10_000,
            tcp_max_connections_per_ip: 64,
            tcp_idle_timeout: Duration::from_secs(300),
            tcp_connect_timeout: Duration::from_secs(5),
            tcp_write_queue: 256,
            tcp_write_timeout: Duration::from_secs(10),
        }
    }
}

/// What the transport hands to the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// One complete message: a datagram, or one framed message of a stream. For TCP,
    /// `from.conn` names the connection, so responses can go back on it.
    Message {
        bytes: Bytes,
        from: Peer,
        local: SocketAddr,
    },
    /// A UDP datagram longer than `max_message_bytes`: its first `max_message_bytes`
    /// bytes. The core answers 513 (RFC 3261 §21.5.14) if it can parse enough of it.
    Oversize {
        head: Bytes,
        from: Peer,
        local: SocketAddr,
    },
    /// Counted, nothing to route; delivered so the core can log or rate-limit the peer.
    Dropped { from: Peer, reason: DropReason },
}

/// Why the transport discarded input or a connection. `as_str` is the metrics label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// A TCP message longer than `max_message_bytes`: the connection is closed.
    TooLarge,
    /// A TCP stream that cannot be framed (no Content-Length, bad header section).
    Framing,
    /// A TCP connection refused by the total or per-IP limit.
    ConnectionLimit,
    /// A TCP connection silent for `tcp_idle_timeout`.
    IdleTimeout,
    /// A connection's write queue was full: the peer does not read fast enough.
    WriteQueueFull,
    /// A write to a connection did not finish within `tcp_write_timeout`.
    WriteTimeout,
    /// The core's inbound queue was full; the UDP datagram was discarded.
    InboundQueueFull,
}

impl DropReason {
    /// Every reason, in `index` order (for counters and metrics export).
    pub const ALL: [DropReason; 7] = [
        DropReason::TooLarge,
        DropReason::Framing,
        DropReason::ConnectionLimit,
        DropReason::IdleTimeout,
        DropReason::WriteQueueFull,
        DropReason::WriteTimeout,
        DropReason::InboundQueueFull,
    ];

    /// The metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::TooLarge => "too_large",
            DropReason::Framing => "framing",
            DropReason::ConnectionLimit => "connection_limit",
            DropReason::IdleTimeout => "idle_timeout",
            DropReason::WriteQueueFull => "write_queue_full",
            DropReason::WriteTimeout => "write_timeout",
            DropReason::InboundQueueFull => "inbound_queue_full",
        }
    }

    /// Position in `ALL`.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// IP family of an address: a UDP send goes out of a listener of the same family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    V4,
    V6,
}

impl IpFamily {
    pub fn of(addr: &SocketAddr) -> Self {
        if addr.is_ipv4() {
            IpFamily::V4
        } else {
            IpFamily::V6
        }
    }
}

/// Why a send failed. Returned to the caller, never logged per packet here.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("no {kind} listener for {family:?} destinations")]
    NoListener {
        kind: TransportKind,
        family: IpFamily,
    },
    #[error("transports are shut down")]
    Shutdown,
    #[error("UDP send to {addr} failed: {source}")]
    UdpSend {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("UDP socket busy, datagram to {0} not sent")]
    WouldBlock(SocketAddr),
    #[error("message of {len} bytes too large for a datagram")]
    DatagramTooLarge { len: usize },
    #[error("TCP connect to {addr} failed: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("TCP connect to {0} timed out")]
    ConnectTimeout(SocketAddr),
    #[error("write queue of {0:?} full, connection dropped")]
    QueueFull(ConnectionId),
    #[error("connection {0:?} closed")]
    ConnectionClosed(ConnectionId),
}
