//! State shared by every transport task and by the `Transports` handles: config,
//! sockets, the connection table, limits, counters and the stop signal.
//!
//! Tasks hold `Arc<Shared>`, never the handle's lifetime trigger, so dropping the last
//! `Transports` fires the stop signal and every task ends.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::mpsc::{self, error::TrySendError};

use super::conns::{ConnHandle, ConnTable};
use super::limits::SharedLimits;
use super::signal::Stop;
use super::stats::Counters;
use super::types::{DropReason, Inbound, IpFamily, TransportConfig, TransportError};
use crate::net::{ConnectionId, Peer, TransportKind};

/// One bound UDP listener.
#[derive(Debug)]
pub(crate) struct UdpEndpoint {
    pub(crate) local: SocketAddr,
    pub(crate) socket: Arc<UdpSocket>,
    /// A duplicate descriptor of the same socket for `send_nowait`: a plain
    /// non-blocking `sendto`, independent of the reactor's readiness bookkeeping
    /// (which reports "would block" until the reactor has first polled the socket).
    pub(crate) sender: std::net::UdpSocket,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) cfg: TransportConfig,
    pub(crate) inbound: mpsc::Sender<Inbound>,
    pub(crate) counters: Counters,
    pub(crate) stop: Stop,
    pub(crate) udp: Vec<UdpEndpoint>,
    /// Bound TCP listener addresses: outgoing connections bind to the same-family IP.
    pub(crate) tcp_locals: Vec<SocketAddr>,
    /// Every listener in the order given to `bind`.
    pub(crate) locals: Vec<(TransportKind, SocketAddr)>,
    pub(crate) conns: ConnTable,
    pub(crate) limits: SharedLimits,
    next_conn: AtomicU64,
    /// For `send_nowait`, which may be called from outside the runtime.
    pub(crate) runtime: tokio::runtime::Handle,
}

/// Everything `Shared::new` needs besides the config.
pub(crate) struct Parts {
    pub(crate) inbound: mpsc::Sender<Inbound>,
    pub(crate) stop: Stop,
    pub(crate) udp: Vec<UdpEndpoint>,
    pub(crate) tcp_locals: Vec<SocketAddr>,
    pub(crate) locals: Vec<(TransportKind, SocketAddr)>,
    pub(crate) runtime: tokio::runtime::Handle,
}

impl Shared {
    pub(crate) fn new(cfg: TransportConfig, p: Parts) -> Self {
        let limits = SharedLimits::new(cfg.tcp_max_connections, cfg.tcp_max_connections_per_ip);
        Shared {
            cfg,
            inbound: p.inbound,
            counters: Counters::default(),
            stop: p.stop,
            udp: p.udp,
            tcp_locals: p.tcp_locals,
            locals: p.locals,
            conns: ConnTable::default(),
            limits,
            next_conn: AtomicU64::new(1),
            runtime: p.runtime,
        }
    }

    pub(crate) fn next_conn_id(&self) -> ConnectionId {
        ConnectionId(self.next_conn.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn ensure_running(&self) -> Result<(), TransportError> {
        if self.stop.is_stopped() {
            Err(TransportError::Shutdown)
        } else {
            Ok(())
        }
    }

    /// Counts a drop and tells the core, without ever waiting: if the core's queue is
    /// full the counter alone records it.
    pub(crate) fn dropped(&self, from: Peer, reason: DropReason) {
        self.counters.drop(reason);
        let _ = self.inbound.try_send(Inbound::Dropped { from, reason });
    }

    /// Queues a message on a connection; a full queue closes it and is counted.
    pub(crate) fn enqueue(&self, h: &ConnHandle, payload: Bytes) -> Result<(), TransportError> {
        let r = h.enqueue(payload);
        if let Err(TransportError::QueueFull(_)) = r {
            self.dropped(h.peer(), DropReason::WriteQueueFull);
        }
        r
    }

    /// Hands a datagram's message to the core without waiting (a slow core must not
    /// stall the socket; the drop is counted instead). `false`: the core is gone.
    pub(crate) fn deliver_nowait(&self, msg: Inbound) -> bool {
        match self.inbound.try_send(msg) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.counters.drop(DropReason::InboundQueueFull);
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }

    /// The UDP listener to send from: the first of the destination's IP family.
    pub(crate) fn udp_for(&self, dest: &SocketAddr) -> Result<&UdpEndpoint, TransportError> {
        let family = IpFamily::of(dest);
        self.udp
            .iter()
            .find(|e| IpFamily::of(&e.local) == family)
            .ok_or(TransportError::NoListener {
                kind: TransportKind::Udp,
                family,
            })
    }

    /// The TCP listener address of `dest`'s family, to bind outgoing connections to.
    pub(crate) fn tcp_local_for(&self, dest: &SocketAddr) -> Option<SocketAddr> {
        let family = IpFamily::of(dest);
        self.tcp_locals
            .iter()
            .copied()
            .find(|l| IpFamily::of(l) == family)
    }
}
