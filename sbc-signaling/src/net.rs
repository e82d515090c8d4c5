//! Transport-neutral addressing shared by the sans-IO layers and the transport edge.
//!
//! The transaction layer and the call engine say *whom* to send to (`Peer`); the
//! transport layer (the IO edge) owns the sockets and connections that do it.

use std::fmt;
use std::net::SocketAddr;

use bytes::Bytes;

/// A SIP transport protocol. TLS joins in a later issue; the seam is ready for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    Udp,
    Tcp,
}

impl TransportKind {
    /// Reliable transports get no retransmissions and zero-length wait timers (§17).
    pub fn is_reliable(self) -> bool {
        !matches!(self, TransportKind::Udp)
    }
    /// The token used in Via and `transport=` parameters.
    pub fn via_token(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.via_token())
    }
}

/// One stream connection accepted or opened by the transport layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionId(pub u64);

/// The other end of a message: where it came from, or where it must go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    pub transport: TransportKind,
    pub addr: SocketAddr,
    /// For stream transports: the connection a request arrived on, so responses go
    /// back on it (RFC 3261 §18.2.2). `None` lets the transport find or open one.
    pub conn: Option<ConnectionId>,
}

impl Peer {
    pub fn udp(addr: SocketAddr) -> Self {
        Peer {
            transport: TransportKind::Udp,
            addr,
            conn: None,
        }
    }
}

/// A serialized message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub peer: Peer,
    pub payload: Bytes,
}
