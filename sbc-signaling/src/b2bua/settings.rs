//! What the call engine needs to know about its environment: the configuration (routes,
//! trunks, timers) and the addresses it presents on the wire. Built by the daemon once
//! the transports are bound (port 0 becomes a real port) and replaced on reload.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use sbc_core::config::Config;

use crate::net::TransportKind;

#[derive(Debug, Clone)]
pub struct EngineSettings {
    pub config: Arc<Config>,
    /// The address written into Via and Contact for each transport: the listener's
    /// advertised address if configured, else its bound address.
    pub signaling: Vec<(TransportKind, SocketAddr)>,
    /// The address written into SDP c=/o= for the SBC's media endpoints.
    pub media_ip: IpAddr,
}

impl EngineSettings {
    /// Our sent-by for a transport, preferring the IP family of the peer.
    pub fn local_addr(&self, transport: TransportKind, peer: SocketAddr) -> SocketAddr {
        let same = |a: &SocketAddr| a.is_ipv4() == peer.is_ipv4();
        self.signaling
            .iter()
            .find(|(t, a)| *t == transport && same(a))
            .or_else(|| self.signaling.iter().find(|(t, _)| *t == transport))
            .or_else(|| self.signaling.first())
            .map(|(_, a)| *a)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5060)))
    }
}

/// Formats a socket address the way SIP writes host:port (IPv6 in brackets).
pub fn host_port(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

/// Formats an IP the way a SIP URI host writes it.
pub fn host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    }
}
