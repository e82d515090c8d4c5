//! TCP listeners, their accept loops with connection limits, and outgoing connects.
//! What happens on a connection once open is in `tcp_conn`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpListener, TcpSocket};

use super::conns::ConnHandle;
use super::shared::Shared;
use super::stats::Event;
use super::tcp_conn;
use super::types::{DropReason, TransportError};
use crate::net::{Peer, TransportKind};

/// Pending-connection backlog of a listener.
const BACKLOG: i32 = 1024;

/// Pause after an accept error (descriptor exhaustion): retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Binds a TCP listener; IPv6 listeners are IPv6-only (see `udp::bind`).
pub(crate) fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    // Restart without waiting out TIME_WAIT of the previous process's connections.
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    TcpListener::from_std(socket.into())
}

/// Accepts connections until the transports stop.
pub(crate) async fn accept_loop(listener: TcpListener, local: SocketAddr, shared: Arc<Shared>) {
    let mut stop = shared.stop.clone();
    let stopped = stop.wait();
    tokio::pin!(stopped);
    loop {
        let accepted = tokio::select! {
            biased;
            _ = &mut stopped => return,
            r = listener.accept() => r,
        };
        match accepted {
            Ok((stream, remote)) => on_accept(&shared, stream, remote, local),
            Err(_) => {
                shared.counters.event(Event::AcceptError);
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                }
            }
        }
    }
}

fn on_accept(
    shared: &Arc<Shared>,
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    local: SocketAddr,
) {
    let permit = match shared.limits.try_acquire(remote.ip()) {
        Ok(p) => p,
        Err(_) => {
            // Refusing = closing at once; the kernel already completed the handshake.
            drop(stream);
            let peer = Peer {
                transport: TransportKind::Tcp,
                addr: remote,
                conn: None,
            };
            shared.dropped(peer, DropReason::ConnectionLimit);
            return;
        }
    };
    let local = stream.local_addr().unwrap_or(local);
    shared.counters.event(Event::TcpAccepted);
    tcp_conn::start(shared, stream, remote, local, Some(permit));
}

/// Opens a connection to `addr`, registered like an accepted one so responses on it
/// reach the core. Bound to the TCP listener's IP of the same family when that IP is
/// specific, so a multi-homed SBC sends from the interface it advertises.
pub(crate) async fn connect(
    shared: &Arc<Shared>,
    addr: SocketAddr,
) -> Result<ConnHandle, TransportError> {
    shared.ensure_running()?;
    let r = tokio::time::timeout(shared.cfg.tcp_connect_timeout, open(shared, addr)).await;
    let stream = match r {
        Ok(Ok(s)) => s,
        Ok(Err(source)) => {
            shared.counters.event(Event::TcpConnectFailure);
            return Err(TransportError::Connect { addr, source });
        }
        Err(_) => {
            shared.counters.event(Event::TcpConnectFailure);
            return Err(TransportError::ConnectTimeout(addr));
        }
    };
    let local = stream
        .local_addr()
        .map_err(|source| TransportError::Connect { addr, source })?;
    shared.counters.event(Event::TcpConnected);
    Ok(tcp_conn::start(shared, stream, addr, local, None))
}

async fn open(shared: &Shared, addr: SocketAddr) -> io::Result<tokio::net::TcpStream> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(l) = shared
        .tcp_local_for(&addr)
        .filter(|l| !l.ip().is_unspecified())
    {
        socket.bind(SocketAddr::new(l.ip(), 0))?;
    }
    socket.connect(addr).await
}
