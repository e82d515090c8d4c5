//! UDP: binding listener sockets, the receive loop of each socket, and sending.
//!
//! One socket per listener, one receive task per socket with one reusable buffer of
//! `max_message_bytes + 1` bytes (the extra byte reveals an oversize datagram). Each
//! message is copied out into its own `Bytes` so the buffer is never pinned by the core.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use super::framing::is_datagram_keepalive;
use super::shared::Shared;
use super::stats::Event;
use super::types::{Inbound, TransportError};
use crate::net::{Peer, Transmit};

/// Kernel receive buffer asked for: signaling bursts (a registration storm after an
/// outage) must queue in the kernel, not be dropped there. The kernel may cap it.
const RECV_BUFFER_BYTES: usize = 4 << 20;

/// Largest UDP payload over IPv4 (65535 minus the IP and UDP headers).
const MAX_DATAGRAM_BYTES: usize = 65_507;

/// Pause after an unexpected receive error so a persistent one can't spin a core.
const ERROR_BACKOFF: Duration = Duration::from_millis(10);

/// Binds a UDP listener. IPv6 sockets are IPv6-only, so each family is served by its
/// own listener and the source family of a send is always explicit.
pub(crate) fn bind(addr: SocketAddr) -> io::Result<(UdpSocket, std::net::UdpSocket)> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    // Best effort: a smaller buffer still works, just drops earlier under bursts.
    let _ = socket.set_recv_buffer_size(RECV_BUFFER_BYTES);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    let sender = socket.try_clone()?;
    Ok((UdpSocket::from_std(socket.into())?, sender.into()))
}

/// Receives datagrams until the transports stop or the core's queue is closed.
pub(crate) async fn recv_loop(socket: Arc<UdpSocket>, local: SocketAddr, shared: Arc<Shared>) {
    let max = shared.cfg.max_message_bytes;
    let mut buf = vec![0u8; max.saturating_add(1)];
    let mut stop = shared.stop.clone();
    let stopped = stop.wait();
    tokio::pin!(stopped);
    loop {
        let received = tokio::select! {
            biased;
            _ = &mut stopped => return,
            r = socket.recv_from(&mut buf) => r,
        };
        match received {
            Ok((n, from)) => {
                let datagram = buf.get(..n).unwrap_or_default();
                if !on_datagram(&shared, datagram, from, local) {
                    return;
                }
            }
            Err(e) => on_recv_error(&shared, &e).await,
        }
    }
}

/// Classifies one datagram and hands it on. `false`: the core is gone, stop.
fn on_datagram(shared: &Shared, datagram: &[u8], from: SocketAddr, local: SocketAddr) -> bool {
    if is_datagram_keepalive(datagram) {
        shared.counters.event(Event::UdpKeepAlive);
        return true;
    }
    let from = Peer::udp(from);
    let max = shared.cfg.max_message_bytes;
    let msg = match datagram.get(..max) {
        Some(head) if datagram.len() > max => {
            shared.counters.event(Event::UdpOversize);
            Inbound::Oversize {
                head: Bytes::copy_from_slice(head),
                from,
                local,
            }
        }
        _ => Inbound::Message {
            bytes: Bytes::copy_from_slice(datagram),
            from,
            local,
        },
    };
    shared.deliver_nowait(msg)
}

async fn on_recv_error(shared: &Shared, e: &io::Error) {
    shared.counters.event(Event::UdpRecvError);
    // ICMP port/host unreachable for an earlier send surfaces here on Linux as
    // ECONNREFUSED and friends: it concerns one peer, the socket is fine.
    let per_peer = matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    );
    if !per_peer {
        tokio::time::sleep(ERROR_BACKOFF).await;
    }
}

fn check_size(t: &Transmit) -> Result<(), TransportError> {
    // The kernel would refuse it anyway (EMSGSIZE); say why in the error's own terms.
    if t.payload.len() > MAX_DATAGRAM_BYTES {
        return Err(TransportError::DatagramTooLarge {
            len: t.payload.len(),
        });
    }
    Ok(())
}

/// Sends one datagram from the listener of the destination's family.
pub(crate) async fn send(shared: &Shared, t: &Transmit) -> Result<(), TransportError> {
    check_size(t)?;
    let ep = shared.udp_for(&t.peer.addr)?;
    let addr = t.peer.addr;
    match ep.socket.send_to(&t.payload, addr).await {
        Ok(_) => Ok(()),
        Err(source) => Err(TransportError::UdpSend { addr, source }),
    }
}

/// Sends one datagram if the socket can take it now.
pub(crate) fn try_send(shared: &Shared, t: &Transmit) -> Result<(), TransportError> {
    check_size(t)?;
    let ep = shared.udp_for(&t.peer.addr)?;
    let addr = t.peer.addr;
    match ep.sender.send_to(&t.payload, addr) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(TransportError::WouldBlock(addr)),
        Err(source) => Err(TransportError::UdpSend { addr, source }),
    }
}
