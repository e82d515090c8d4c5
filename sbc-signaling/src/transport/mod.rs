//! SIP transports, the IO edge of signaling: UDP and TCP listeners over IPv4 and IPv6,
//! TCP connection management (limits, idle timeout, keep-alives, bounded write
//! queues) and outgoing connections. Everything above this module is sans-IO; it gets
//! `Inbound` messages from a channel and gives back `Transmit`s.
//!
//! Lifetime: `Transports` is a cheap clonable handle. `shutdown()` on any clone, or
//! dropping the last clone, stops every listener and connection task.

mod conns;
mod framing;
mod head_hint;
mod limits;
mod shared;
mod signal;
mod stats;
mod tcp;
mod tcp_conn;
mod types;
mod udp;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::mpsc;

pub use stats::TransportStats;
pub use types::{DropReason, Inbound, IpFamily, TransportConfig, TransportError};

use crate::net::{ConnectionId, Transmit, TransportKind};
use shared::{Parts, Shared, UdpEndpoint};
use signal::Trigger;

/// Handle to the bound transports. Clone freely; see the module doc for lifetime.
#[derive(Debug, Clone)]
pub struct Transports {
    shared: Arc<Shared>,
    /// Fires the stop signal when the last handle is dropped. Tasks never hold it.
    life: Arc<Trigger>,
}

impl Transports {
    /// Binds every listener (port 0 = the OS picks) and starts their tasks. Received
    /// datagrams and framed TCP messages go to `inbound`. Must be called within a tokio
    /// runtime.
    pub async fn bind(
        listeners: &[(TransportKind, SocketAddr)],
        cfg: TransportConfig,
        inbound: mpsc::Sender<Inbound>,
    ) -> io::Result<Transports> {
        let mut udp = Vec::new();
        let mut tcp = Vec::new();
        let mut locals = Vec::with_capacity(listeners.len());
        for &(kind, addr) in listeners {
            let local = match kind {
                TransportKind::Udp => {
                    let (socket, sender) = udp::bind(addr)?;
                    let local = socket.local_addr()?;
                    udp.push(UdpEndpoint {
                        local,
                        socket: Arc::new(socket),
                        sender,
                    });
                    local
                }
                TransportKind::Tcp => {
                    let listener = tcp::bind(addr)?;
                    let local = listener.local_addr()?;
                    tcp.push((listener, local));
                    local
                }
            };
            locals.push((kind, local));
        }
        let (life, stop) = signal::pair();
        let parts = Parts {
            inbound,
            stop,
            udp,
            tcp_locals: tcp.iter().map(|(_, l)| *l).collect(),
            locals,
            runtime: tokio::runtime::Handle::current(),
        };
        let shared = Arc::new(Shared::new(cfg, parts));
        for ep in &shared.udp {
            tokio::spawn(udp::recv_loop(ep.socket.clone(), ep.local, shared.clone()));
        }
        for (listener, local) in tcp {
            tokio::spawn(tcp::accept_loop(listener, local, shared.clone()));
        }
        Ok(Transports {
            shared,
            life: Arc::new(life),
        })
    }

    /// The bound listener addresses, in the order given to `bind`.
    pub fn local_addrs(&self) -> Vec<(TransportKind, SocketAddr)> {
        self.shared.locals.clone()
    }

    /// Sends one message. UDP: from the listener of the destination's IP family.
    /// TCP: on `peer.conn` if still open, else on an open connection to `peer.addr`,
    /// else on a new connection (bounded by `tcp_connect_timeout`). Returns the TCP
    /// connection used, so the caller can pin a dialog to it.
    pub async fn send(&self, t: Transmit) -> Result<Option<ConnectionId>, TransportError> {
        self.shared.ensure_running()?;
        match t.peer.transport {
            TransportKind::Udp => udp::send(&self.shared, &t).await.map(|()| None),
            TransportKind::Tcp => send_tcp(&self.shared, t).await.map(Some),
        }
    }

    /// Sends without waiting: `try_send` on UDP (`WouldBlock` if the socket buffer is
    /// full), a queue push for TCP. With no open TCP connection to the peer, a connect
    /// is started in the background; its failure is only counted
    /// (`TransportStats::tcp_connect_failures`), so callers that must know use `send`.
    pub fn send_nowait(&self, t: Transmit) -> Result<(), TransportError> {
        self.shared.ensure_running()?;
        match t.peer.transport {
            TransportKind::Udp => udp::try_send(&self.shared, &t),
            TransportKind::Tcp => {
                if let Some(h) = self.shared.conns.lookup(&t.peer) {
                    match self.shared.enqueue(&h, t.payload.clone()) {
                        Err(TransportError::ConnectionClosed(_)) => {}
                        other => return other,
                    }
                }
                let shared = self.shared.clone();
                self.shared.runtime.spawn(async move {
                    let _ = send_tcp(&shared, t).await;
                });
                Ok(())
            }
        }
    }

    /// Closes one TCP connection (for example after a dialog pinned to it failed).
    pub fn close_connection(&self, id: ConnectionId) {
        if let Some(h) = self.shared.conns.get(id) {
            h.close();
        }
    }

    /// Whether a TCP connection is still registered as open.
    pub fn is_open(&self, id: ConnectionId) -> bool {
        self.shared.conns.get(id).is_some()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> TransportStats {
        self.shared.counters.snapshot()
    }

    /// Stops every listener and connection; later sends fail with `Shutdown`. Tasks
    /// end promptly; the inbound channel closes once they have (and all handles are
    /// dropped, since the handles hold its sender too).
    pub fn shutdown(&self) {
        self.life.fire();
        self.shared.conns.close_all();
    }
}

/// The TCP send path shared by `send` and the background part of `send_nowait`.
async fn send_tcp(shared: &Arc<Shared>, t: Transmit) -> Result<ConnectionId, TransportError> {
    if let Some(h) = shared.conns.lookup(&t.peer) {
        match shared.enqueue(&h, t.payload.clone()) {
            Ok(()) => return Ok(h.id),
            // Closed between lookup and push: fall through to a new connection.
            Err(TransportError::ConnectionClosed(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let h = tcp::connect(shared, t.peer.addr).await?;
    shared.enqueue(&h, t.payload)?;
    Ok(h.id)
}
