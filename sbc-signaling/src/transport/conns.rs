//! The table of open TCP connections (accepted and outgoing), by id and by remote
//! address, so a send can go on the connection a request came in on (RFC 3261
//! §18.2.2) or reuse an open one to the same address (§18.1.1).
//!
//! Entries are cheap handles (a queue sender and a close trigger); the table never
//! holds a lock across an await: lookups clone the handle out.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use tokio::sync::mpsc::{self, error::TrySendError};

use super::signal::Trigger;
use super::types::TransportError;
use crate::net::{ConnectionId, Peer, TransportKind};

/// A handle to one open connection's writer.
#[derive(Debug, Clone)]
pub(crate) struct ConnHandle {
    pub(crate) id: ConnectionId,
    pub(crate) remote: SocketAddr,
    pub(crate) local: SocketAddr,
    tx: mpsc::Sender<Bytes>,
    close: Arc<Trigger>,
}

impl ConnHandle {
    pub(crate) fn new(
        id: ConnectionId,
        remote: SocketAddr,
        local: SocketAddr,
        tx: mpsc::Sender<Bytes>,
        close: Arc<Trigger>,
    ) -> Self {
        ConnHandle {
            id,
            remote,
            local,
            tx,
            close,
        }
    }

    /// The peer as the core sees it: responses sent to it go back on this connection.
    pub(crate) fn peer(&self) -> Peer {
        Peer {
            transport: TransportKind::Tcp,
            addr: self.remote,
            conn: Some(self.id),
        }
    }

    /// Queues `payload` for the writer. A full queue closes the connection: a peer
    /// that does not read must not make us buffer without bound.
    pub(crate) fn enqueue(&self, payload: Bytes) -> Result<(), TransportError> {
        match self.tx.try_send(payload) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => {
                self.close.fire();
                Err(TransportError::QueueFull(self.id))
            }
            Err(TrySendError::Closed(_)) => Err(TransportError::ConnectionClosed(self.id)),
        }
    }

    /// Asks both halves of the connection to stop.
    pub(crate) fn close(&self) {
        self.close.fire();
    }
}

/// Open connections.
#[derive(Debug, Default)]
pub(crate) struct ConnTable {
    inner: Mutex<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    by_id: HashMap<ConnectionId, ConnHandle>,
    /// The most recent connection to each remote address.
    by_remote: HashMap<SocketAddr, ConnectionId>,
}

impl ConnTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        // Plain maps: a panic elsewhere mid-update can't leave them unsafe to read.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn insert(&self, h: ConnHandle) {
        let mut t = self.lock();
        t.by_remote.insert(h.remote, h.id);
        t.by_id.insert(h.id, h);
    }

    pub(crate) fn remove(&self, id: ConnectionId) {
        let mut t = self.lock();
        if let Some(h) = t.by_id.remove(&id) {
            if t.by_remote.get(&h.remote) == Some(&id) {
                t.by_remote.remove(&h.remote);
            }
        }
    }

    pub(crate) fn get(&self, id: ConnectionId) -> Option<ConnHandle> {
        self.lock().by_id.get(&id).cloned()
    }

    /// The connection for `peer`: the pinned one if still open, else any open one to
    /// the same address.
    pub(crate) fn lookup(&self, peer: &Peer) -> Option<ConnHandle> {
        let t = self.lock();
        if let Some(h) = peer.conn.and_then(|id| t.by_id.get(&id)) {
            return Some(h.clone());
        }
        t.by_remote
            .get(&peer.addr)
            .and_then(|id| t.by_id.get(id))
            .cloned()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    /// Closes every connection (on shutdown the tasks also stop by themselves).
    pub(crate) fn close_all(&self) {
        for h in self.lock().by_id.values() {
            h.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::signal;

    fn handle(id: u64, remote: &str) -> (ConnHandle, mpsc::Receiver<Bytes>) {
        let (tx, rx) = mpsc::channel(1);
        let (trigger, _stop) = signal::pair();
        let remote = remote.parse().unwrap();
        let local = SocketAddr::from(([127, 0, 0, 1], 5060));
        (
            ConnHandle::new(ConnectionId(id), remote, local, tx, Arc::new(trigger)),
            rx,
        )
    }

    #[test]
    fn lookup_prefers_pinned_then_remote() {
        let t = ConnTable::default();
        let (a, _ra) = handle(1, "192.0.2.1:5060");
        let (b, _rb) = handle(2, "192.0.2.1:5060");
        t.insert(a);
        t.insert(b);
        let mut peer = Peer {
            transport: TransportKind::Tcp,
            addr: "192.0.2.1:5060".parse().unwrap(),
            conn: Some(ConnectionId(1)),
        };
        assert_eq!(t.lookup(&peer).map(|h| h.id), Some(ConnectionId(1)));
        peer.conn = Some(ConnectionId(9));
        assert_eq!(t.lookup(&peer).map(|h| h.id), Some(ConnectionId(2)));
        t.remove(ConnectionId(2));
        // The remote index pointed at 2; removing 2 leaves 1 reachable only by id.
        assert_eq!(t.lookup(&peer).map(|h| h.id), None);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn removing_old_connection_keeps_newer_remote_entry() {
        let t = ConnTable::default();
        let (a, _ra) = handle(1, "192.0.2.1:5060");
        let (b, _rb) = handle(2, "192.0.2.1:5060");
        t.insert(a.clone());
        t.insert(b);
        t.remove(ConnectionId(1));
        let peer = Peer {
            conn: None,
            ..a.peer()
        };
        assert_eq!(t.lookup(&peer).map(|h| h.id), Some(ConnectionId(2)));
    }

    #[test]
    fn full_queue_reports_and_closed_queue_reports() {
        let (h, rx) = handle(1, "192.0.2.1:5060");
        assert!(h.enqueue(Bytes::from_static(b"a")).is_ok());
        assert!(matches!(
            h.enqueue(Bytes::from_static(b"b")),
            Err(TransportError::QueueFull(_))
        ));
        drop(rx);
        assert!(matches!(
            h.enqueue(Bytes::from_static(b"c")),
            Err(TransportError::ConnectionClosed(_))
        ));
    }
}
