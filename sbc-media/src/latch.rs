//! Symmetric latching of one local socket's peer address.
//!
//! SDP addresses lie behind NAT, so the first valid packet received on a socket fixes
//! where we send to that peer (what every SBC and rtpengine do by default). The latch
//! is kept for the life of the SDP address: packets from other sources are still
//! relayed but do not move it (so a stray sender cannot steal the return path), and a
//! re-INVITE that changes the address re-opens it.

use std::net::SocketAddr;

/// What observing a packet source did to the latch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Observation {
    /// First packet: the latch is now set to this source.
    Latched,
    /// From the latched source.
    Same,
    /// From another source while latched.
    Foreign,
}

/// Latch state of one socket (RTP or RTCP) of a stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Latch {
    sdp: Option<SocketAddr>,
    latched: Option<SocketAddr>,
}

impl Latch {
    /// Where to send to this peer: the latched source, else what SDP said.
    #[inline]
    pub(crate) fn dest(&self) -> Option<SocketAddr> {
        self.latched.or(self.sdp)
    }

    #[inline]
    pub(crate) fn observe(&mut self, src: SocketAddr) -> Observation {
        match self.latched {
            None => {
                self.latched = Some(src);
                Observation::Latched
            }
            Some(l) if l == src => Observation::Same,
            Some(_) => Observation::Foreign,
        }
    }

    /// Latched to a source other than `src` (strict mode drops such packets before
    /// spending any crypto on them).
    #[inline]
    pub(crate) fn is_foreign(&self, src: SocketAddr) -> bool {
        self.latched.is_some_and(|l| l != src)
    }

    /// Forgets the latched source (strict mode: a new SDP from the peer may come
    /// with a new NAT binding, so the next valid packet latches again).
    pub(crate) fn reopen(&mut self) {
        self.latched = None;
    }

    /// Applies the SDP address from an offer/answer. Returns true if an existing latch
    /// was re-opened because the peer announced a different address (re-INVITE).
    ///
    /// The first SDP address (from none) does not re-open: a callee often sends media
    /// before signaling has applied its answer, and that latch is the right one.
    pub(crate) fn set_sdp(&mut self, sdp: Option<SocketAddr>) -> bool {
        let changed = self.sdp.is_some() && self.sdp != sdp;
        self.sdp = sdp;
        if changed && self.latched.is_some() {
            self.latched = None;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(p: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], p))
    }

    #[test]
    fn sdp_until_first_packet_then_latched() {
        let mut l = Latch::default();
        assert_eq!(l.dest(), None);
        l.set_sdp(Some(addr(4000)));
        assert_eq!(l.dest(), Some(addr(4000)));
        assert_eq!(l.observe(addr(5000)), Observation::Latched);
        assert_eq!(l.dest(), Some(addr(5000)));
        assert_eq!(l.observe(addr(5000)), Observation::Same);
        assert_eq!(l.observe(addr(6000)), Observation::Foreign);
        assert_eq!(l.dest(), Some(addr(5000)));
    }

    #[test]
    fn same_sdp_keeps_latch_changed_sdp_reopens() {
        let mut l = Latch::default();
        l.set_sdp(Some(addr(4000)));
        l.observe(addr(5000));
        assert!(!l.set_sdp(Some(addr(4000))));
        assert_eq!(l.dest(), Some(addr(5000)));
        assert!(l.set_sdp(Some(addr(4002))));
        assert_eq!(l.dest(), Some(addr(4002)));
        assert_eq!(l.observe(addr(7000)), Observation::Latched);
        assert_eq!(l.dest(), Some(addr(7000)));
    }

    #[test]
    fn early_media_latch_survives_first_sdp() {
        let mut l = Latch::default();
        l.observe(addr(5000));
        assert!(!l.set_sdp(Some(addr(4000))));
        assert_eq!(l.dest(), Some(addr(5000)));
    }

    #[test]
    fn hold_with_no_address_reopens() {
        let mut l = Latch::default();
        l.set_sdp(Some(addr(4000)));
        l.observe(addr(5000));
        assert!(l.set_sdp(None));
        assert_eq!(l.dest(), None);
    }
}
