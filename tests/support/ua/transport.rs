//! The UA's SIP transport: one UDP socket on a loopback address, sending
//! message text and receiving parsed messages with a deadline. Datagrams
//! that do not parse are reported, not skipped: the SBC must never send
//! one, so seeing one is a finding.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sbc_signaling::sip::SipMessage;

use super::UaError;

/// Longest single wait on the socket, so callers can check a stop flag.
const POLL: Duration = Duration::from_millis(100);

/// A bound SIP/UDP socket.
#[derive(Debug)]
pub struct SipSocket {
    sock: UdpSocket,
    local: SocketAddr,
}

impl SipSocket {
    /// Binds an OS-picked port on `ip`.
    pub fn bind(ip: IpAddr) -> Result<SipSocket, UaError> {
        let sock = UdpSocket::bind(SocketAddr::new(ip, 0))
            .map_err(|e| UaError::io(format!("bind SIP socket on {ip}"), e))?;
        let local = sock
            .local_addr()
            .map_err(|e| UaError::io("SIP socket address", e))?;
        Ok(SipSocket { sock, local })
    }

    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// Sends one message.
    pub fn send(&self, to: SocketAddr, text: &str) -> Result<(), UaError> {
        self.sock
            .send_to(text.as_bytes(), to)
            .map(|_| ())
            .map_err(|e| UaError::io(format!("send SIP to {to}"), e))
    }

    /// The next message, or `Ok(None)` if none arrived within
    /// min(`deadline`, 100 ms); callers loop until their own deadline.
    pub fn recv_until(
        &self,
        deadline: Instant,
    ) -> Result<Option<(SipMessage, SocketAddr)>, UaError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        self.sock
            .set_read_timeout(Some(left.min(POLL)))
            .map_err(|e| UaError::io("set SIP read timeout", e))?;
        let mut buf = vec![0u8; 65_535];
        match self.sock.recv_from(&mut buf) {
            Ok((len, from)) => {
                buf.truncate(len);
                let text = String::from_utf8_lossy(&buf).into_owned();
                let msg = SipMessage::parse(Bytes::from(buf)).map_err(|e| {
                    UaError::Protocol(format!("unparsable datagram from {from} ({e}):\n{text}"))
                })?;
                Ok(Some((msg, from)))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(UaError::io("receive SIP", e)),
        }
    }
}
