//! Demultiplexing of one UDP port carrying RTP, RTCP (RFC 5761 rtcp-mux) and the
//! protocols that share it in practice: STUN, DTLS, ZRTP, TURN channels (RFC 7983).
//!
//! Only the first two bytes are looked at; the full parse comes after.

/// What a datagram on a media port is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketClass {
    Rtp,
    Rtcp,
    Stun,
    Dtls,
    Zrtp,
    TurnChannel,
    /// Empty, a lone byte in the RTP range, or a first byte no protocol claims.
    Unknown,
}

/// Classifies by RFC 7983 section 7 (first byte), then RFC 5761 section 4 for RTP vs
/// RTCP: a second byte of 192..=223 is an RTCP packet type (SR 200, RR 201, ...), which
/// an RTP packet could only carry as payload types 64-95 with M set, and RFC 5761 forbids
/// those payload types on a muxed port.
pub fn demux(pkt: &[u8]) -> PacketClass {
    let Some(&b0) = pkt.first() else {
        return PacketClass::Unknown;
    };
    match b0 {
        0..=3 => PacketClass::Stun,
        16..=19 => PacketClass::Zrtp,
        20..=63 => PacketClass::Dtls,
        64..=79 => PacketClass::TurnChannel,
        128..=191 => match pkt.get(1) {
            Some(192..=223) => PacketClass::Rtcp,
            Some(_) => PacketClass::Rtp,
            None => PacketClass::Unknown,
        },
        _ => PacketClass::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_and_rtcp_split_on_second_byte() {
        assert_eq!(demux(&[0x80, 0x08]), PacketClass::Rtp);
        assert_eq!(demux(&[0x80, 0x88]), PacketClass::Rtp); // PCMA + marker
        assert_eq!(demux(&[0x80, 0xe5]), PacketClass::Rtp); // PT 101 + marker
        for pt in [192u8, 200, 201, 202, 203, 204, 205, 206, 223] {
            assert_eq!(demux(&[0x81, pt]), PacketClass::Rtcp, "{pt}");
        }
        assert_eq!(demux(&[0x80, 224]), PacketClass::Rtp);
    }

    #[test]
    fn other_protocols_by_first_byte() {
        assert_eq!(demux(&[0x00, 0x01]), PacketClass::Stun);
        assert_eq!(demux(&[0x16, 0xfe]), PacketClass::Dtls);
        assert_eq!(demux(&[0x10]), PacketClass::Zrtp);
        assert_eq!(demux(&[0x40, 0]), PacketClass::TurnChannel);
        assert_eq!(demux(&[]), PacketClass::Unknown);
        assert_eq!(demux(&[0x80]), PacketClass::Unknown);
        assert_eq!(demux(&[0xc0, 0]), PacketClass::Unknown);
    }
}
