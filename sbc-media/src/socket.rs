//! Opening one media socket with the options a relay needs.

use std::io;
use std::net::{SocketAddr, UdpSocket};

use socket2::{Domain, Protocol, Socket, Type};

/// Kernel buffers sized for bursts across many streams; the kernel caps the value at
/// `net.core.{r,w}mem_max`, which is why failures here are ignored.
const SOCKET_BUFFER_BYTES: usize = 1 << 20;
/// DSCP EF (46) in the TOS/traffic-class byte: voice gets expedited forwarding.
const TOS_EF: u32 = 46 << 2;

/// Binds a non-blocking UDP socket at `addr`, without `SO_REUSEADDR` so a port held by
/// anyone else fails with `AddrInUse` instead of silently sharing traffic.
pub(crate) fn bind_media_socket(addr: SocketAddr) -> io::Result<UdpSocket> {
    let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    sock.set_reuse_address(false)?;
    sock.set_nonblocking(true)?;
    // Best effort: a smaller buffer or no DSCP marking is not a reason to refuse a call.
    let _ = sock.set_recv_buffer_size(SOCKET_BUFFER_BYTES);
    let _ = sock.set_send_buffer_size(SOCKET_BUFFER_BYTES);
    let _ = match addr {
        SocketAddr::V4(_) => sock.set_tos(TOS_EF),
        SocketAddr::V6(_) => sock.set_tclass_v6(TOS_EF),
    };
    sock.bind(&addr.into())?;
    Ok(sock.into())
}
