//! The RTP/RTCP port pool: even RTP port, RTCP on RTP + 1, bound at allocation time.
//!
//! Allocation walks the range from a round-robin cursor, so a pair freed by one call is
//! reused only after the whole range has been cycled: late packets of the old call then
//! never reach the next one. A pair that fails to bind because someone else holds one
//! of its ports is skipped (it stays free in our books and is retried next cycle).

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};

use sbc_core::media::{LocalEndpoint, MediaError};

use crate::socket::bind_media_socket;

/// Index of an RTP/RTCP pair in the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PairIndex(pub u32);

/// A freshly bound pair, ready to hand to a worker.
#[derive(Debug)]
pub(crate) struct BoundPair {
    pub pair: PairIndex,
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
    pub endpoint: LocalEndpoint,
}

#[derive(Debug)]
pub(crate) struct PortPool {
    ip: IpAddr,
    first_rtp: u16,
    in_use: Vec<bool>,
    used: usize,
    cursor: usize,
}

impl PortPool {
    /// A pool over `[port_min, port_max]`, `port_min` aligned up to even.
    pub(crate) fn new(ip: IpAddr, port_min: u16, port_max: u16) -> Result<Self, MediaError> {
        if port_min == 0 {
            return Err(range_error(port_min, port_max));
        }
        let first = u32::from(port_min) + u32::from(port_min) % 2;
        let last = u32::from(port_max);
        // Whole pairs only: the last RTCP port (rtp + 1) must stay within the range.
        let ports = (last + 1).saturating_sub(first);
        let pairs = ports / 2;
        let first_rtp = u16::try_from(first).map_err(|_| range_error(port_min, port_max))?;
        if pairs == 0 {
            return Err(range_error(port_min, port_max));
        }
        Ok(PortPool {
            ip,
            first_rtp,
            in_use: vec![false; pairs as usize],
            used: 0,
            cursor: 0,
        })
    }

    /// Pairs currently handed out.
    pub(crate) fn pair_count(&self) -> usize {
        self.in_use.len()
    }

    pub(crate) fn pairs_in_use(&self) -> usize {
        self.used
    }

    /// Binds the next free pair after the cursor.
    pub(crate) fn allocate(&mut self) -> Result<BoundPair, MediaError> {
        let n = self.in_use.len();
        for step in 0..n {
            let idx = (self.cursor + step) % n;
            if self.in_use.get(idx).copied().unwrap_or(true) {
                continue;
            }
            let pair = PairIndex(idx as u32);
            match self.bind_pair(pair) {
                Ok(bound) => {
                    if let Some(flag) = self.in_use.get_mut(idx) {
                        *flag = true;
                    }
                    self.used += 1;
                    self.cursor = (idx + 1) % n;
                    return Ok(bound);
                }
                // Held by another process (or a parallel test): try the next pair.
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
                Err(e) => return Err(MediaError::Io(format!("binding media port: {e}"))),
            }
        }
        Err(MediaError::PortsExhausted)
    }

    /// Returns a pair to the pool; its sockets must already be closed.
    pub(crate) fn free(&mut self, pair: PairIndex) {
        if let Some(flag) = self.in_use.get_mut(pair.0 as usize) {
            if *flag {
                *flag = false;
                self.used -= 1;
            }
        }
    }

    fn bind_pair(&self, pair: PairIndex) -> io::Result<BoundPair> {
        let rtp_port = u32::from(self.first_rtp) + 2 * pair.0;
        let (rtp_port, rtcp_port) = match (u16::try_from(rtp_port), u16::try_from(rtp_port + 1)) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return Err(io::Error::new(io::ErrorKind::InvalidInput, "port overflow")),
        };
        let rtp_addr = SocketAddr::new(self.ip, rtp_port);
        let rtcp_addr = SocketAddr::new(self.ip, rtcp_port);
        let rtp = bind_media_socket(rtp_addr)?;
        // If RTCP fails, `rtp` is dropped here and its port closes again.
        let rtcp = bind_media_socket(rtcp_addr)?;
        Ok(BoundPair {
            pair,
            rtp,
            rtcp,
            endpoint: LocalEndpoint {
                rtp: rtp_addr,
                rtcp: rtcp_addr,
            },
        })
    }
}

fn range_error(min: u16, max: u16) -> MediaError {
    MediaError::Io(format!(
        "invalid media port range {min}-{max}: need at least one even/odd pair above 0"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn lo() -> IpAddr {
        Ipv4Addr::LOCALHOST.into()
    }

    #[test]
    fn range_arithmetic() {
        assert!(PortPool::new(lo(), 0, 100).is_err());
        assert!(PortPool::new(lo(), 10001, 10001).is_err());
        assert!(PortPool::new(lo(), 10001, 10002).is_err()); // 10002 has no room for RTCP
        assert!(PortPool::new(lo(), 10010, 10000).is_err());
        assert!(PortPool::new(lo(), 65535, 65535).is_err());
        let p = PortPool::new(lo(), 10001, 10005).map(|p| p.in_use.len());
        assert_eq!(p.ok(), Some(2)); // 10002/3, 10004/5
        let p = PortPool::new(lo(), 65534, 65535).map(|p| p.in_use.len());
        assert_eq!(p.ok(), Some(1));
    }

    #[test]
    fn free_is_idempotent() {
        let mut p = match PortPool::new(lo(), 10000, 10003) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        if let Some(f) = p.in_use.get_mut(1) {
            *f = true;
        }
        p.used = 1;
        p.free(PairIndex(1));
        p.free(PairIndex(1));
        p.free(PairIndex(99));
        assert_eq!(p.pairs_in_use(), 0);
    }
}
