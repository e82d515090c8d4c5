//! Packet sanity and RTP/RTCP demultiplexing (RFC 3550 headers, RFC 5761 section 4).
//!
//! Runs once per received packet, before latching, so a malformed datagram (scanner,
//! STUN/DTLS we do not speak yet, garbage) can neither hijack the latch nor be relayed.

use crate::stats::DropReason;

/// Which socket of a stream a packet arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leg {
    Rtp,
    Rtcp,
}

/// What a valid packet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PacketKind {
    Rtp,
    Rtcp,
}

/// Fixed RTP header: V/P/X/CC, M/PT, sequence, timestamp, SSRC.
pub(crate) const RTP_MIN_LEN: usize = 12;
/// RTCP common header plus the sender SSRC: the smallest packet (an empty RR).
pub(crate) const RTCP_MIN_LEN: usize = 8;
const VERSION: u8 = 2;
/// RFC 5761 section 4: with rtcp-mux, a second byte of 192..=223 is an RTCP packet type
/// (RTP payload types 64-95 with the marker bit, which muxing peers must not use).
const MUXED_RTCP_TYPES: std::ops::RangeInclusive<u8> = 192..=223;

/// Checks a packet and says whether it is RTP or RTCP.
///
/// Anything on the RTCP socket is RTCP. On the RTP socket the RFC 5761 rule is applied
/// whatever the SDP said: an offerer may start muxing before it has our answer, and a
/// non-muxing peer never uses payload types 64-95, so the test is unambiguous.
pub(crate) fn classify(pkt: &[u8], arrived_on: Leg) -> Result<PacketKind, DropReason> {
    let (Some(&b0), Some(&b1)) = (pkt.first(), pkt.get(1)) else {
        return Err(DropReason::TooShort);
    };
    if pkt.len() < RTCP_MIN_LEN {
        return Err(DropReason::TooShort);
    }
    if b0 >> 6 != VERSION {
        return Err(DropReason::BadVersion);
    }
    let kind = match arrived_on {
        Leg::Rtcp => PacketKind::Rtcp,
        Leg::Rtp if MUXED_RTCP_TYPES.contains(&b1) => PacketKind::Rtcp,
        Leg::Rtp => PacketKind::Rtp,
    };
    if kind == PacketKind::Rtp && pkt.len() < RTP_MIN_LEN {
        return Err(DropReason::TooShort);
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp(pt: u8) -> [u8; 12] {
        let mut p = [0u8; 12];
        p[0] = 0x80;
        p[1] = pt;
        p
    }

    #[test]
    fn plain_rtp() {
        assert_eq!(classify(&rtp(0), Leg::Rtp), Ok(PacketKind::Rtp));
        assert_eq!(classify(&rtp(0x80 | 8), Leg::Rtp), Ok(PacketKind::Rtp)); // marker + PCMA
        assert_eq!(classify(&rtp(111), Leg::Rtp), Ok(PacketKind::Rtp));
    }

    #[test]
    fn muxed_rtcp_on_rtp_port() {
        // SR = 200, RR = 201, PSFB = 206: all RTCP when they arrive on the RTP port.
        for pt in [200u8, 201, 206, 192, 223] {
            assert_eq!(classify(&rtp(pt), Leg::Rtp), Ok(PacketKind::Rtcp), "{pt}");
        }
        assert_eq!(classify(&rtp(224), Leg::Rtp), Ok(PacketKind::Rtp));
        assert_eq!(classify(&rtp(191), Leg::Rtp), Ok(PacketKind::Rtp));
    }

    #[test]
    fn short_rtcp_is_fine_short_rtp_is_not() {
        let rr = [0x80u8, 201, 0, 1, 1, 2, 3, 4];
        assert_eq!(classify(&rr, Leg::Rtcp), Ok(PacketKind::Rtcp));
        assert_eq!(classify(&rr, Leg::Rtp), Ok(PacketKind::Rtcp));
        let short_rtp = [0x80u8, 0, 0, 1, 1, 2, 3, 4];
        assert_eq!(classify(&short_rtp, Leg::Rtp), Err(DropReason::TooShort));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(classify(&[], Leg::Rtp), Err(DropReason::TooShort));
        assert_eq!(classify(&[0x80], Leg::Rtp), Err(DropReason::TooShort));
        assert_eq!(classify(&[0x80; 7], Leg::Rtcp), Err(DropReason::TooShort));
        let mut stun = rtp(1);
        stun[0] = 0x00; // STUN binding request starts with 0b00
        assert_eq!(classify(&stun, Leg::Rtp), Err(DropReason::BadVersion));
        let mut dtls = rtp(0);
        dtls[0] = 22; // DTLS handshake
        assert_eq!(classify(&dtls, Leg::Rtp), Err(DropReason::BadVersion));
        let mut v1 = rtp(0);
        v1[0] = 0x40;
        assert_eq!(classify(&v1, Leg::Rtcp), Err(DropReason::BadVersion));
    }
}
