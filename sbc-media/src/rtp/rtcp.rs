//! RTCP compound packet walker (RFC 3550 section 6 and the Appendix A.2 validity
//! checks) yielding typed, borrowed views of each packet.
//!
//! [`RtcpCompound::parse`] validates the framing of the whole datagram once: version 2
//! everywhere, first packet SR or RR, length fields that add up exactly to the datagram,
//! padding only on the last packet. Iterating then builds the typed views, each of which
//! checks that its body holds what its header announces.

use super::error::RtcpError;
use super::rtcp_other::{App, Bye, Feedback};
use super::rtcp_report::{ReceiverReport, SenderReport};
use super::rtcp_sdes::Sdes;

/// Common header: V/P/count, packet type, length in 32-bit words minus one.
const COMMON_HEADER_LEN: usize = 4;
const VERSION: u8 = 2;

/// RTCP packet types (RFC 3550 section 12.1, RFC 4585, RFC 3611).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpPacketType {
    SenderReport,
    ReceiverReport,
    Sdes,
    Bye,
    App,
    /// RFC 4585 transport-layer feedback (NACK, TWCC...).
    Rtpfb,
    /// RFC 4585 payload-specific feedback (PLI, FIR, REMB...).
    Psfb,
    /// RFC 3611 extended reports.
    Xr,
    Other(u8),
}

impl From<u8> for RtcpPacketType {
    fn from(pt: u8) -> Self {
        match pt {
            200 => Self::SenderReport,
            201 => Self::ReceiverReport,
            202 => Self::Sdes,
            203 => Self::Bye,
            204 => Self::App,
            205 => Self::Rtpfb,
            206 => Self::Psfb,
            207 => Self::Xr,
            other => Self::Other(other),
        }
    }
}

/// One packet of a compound, untyped: header fields and body with padding removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawRtcp<'a> {
    header: [u8; COMMON_HEADER_LEN],
    body: &'a [u8],
}

impl<'a> RawRtcp<'a> {
    /// The P bit.
    pub fn has_padding(&self) -> bool {
        self.header[0] & 0x20 != 0
    }

    /// The 5-bit count field: RC, SC, FMT or APP subtype depending on the type.
    pub fn count(&self) -> u8 {
        self.header[0] & 0x1f
    }

    /// The packet type byte.
    pub fn packet_type_byte(&self) -> u8 {
        self.header[1]
    }

    /// The packet type.
    pub fn packet_type(&self) -> RtcpPacketType {
        RtcpPacketType::from(self.header[1])
    }

    /// Everything after the common header, padding excluded.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// `Truncated` error for this packet's type.
    pub(crate) fn truncated(&self) -> RtcpError {
        RtcpError::Truncated {
            packet_type: self.header[1],
        }
    }
}

/// A typed view of one packet of a compound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    SenderReport(SenderReport<'a>),
    ReceiverReport(ReceiverReport<'a>),
    Sdes(Sdes<'a>),
    Bye(Bye<'a>),
    App(App<'a>),
    TransportFeedback(Feedback<'a>),
    PayloadFeedback(Feedback<'a>),
    /// XR and unknown types, passed through as raw.
    Other(RawRtcp<'a>),
}

impl<'a> RtcpPacket<'a> {
    fn from_raw(raw: RawRtcp<'a>) -> Result<Self, RtcpError> {
        Ok(match raw.packet_type() {
            RtcpPacketType::SenderReport => Self::SenderReport(SenderReport::new(raw)?),
            RtcpPacketType::ReceiverReport => Self::ReceiverReport(ReceiverReport::new(raw)?),
            RtcpPacketType::Sdes => Self::Sdes(Sdes::new(raw)?),
            RtcpPacketType::Bye => Self::Bye(Bye::new(raw)?),
            RtcpPacketType::App => Self::App(App::new(raw)?),
            RtcpPacketType::Rtpfb => Self::TransportFeedback(Feedback::new(raw)?),
            RtcpPacketType::Psfb => Self::PayloadFeedback(Feedback::new(raw)?),
            RtcpPacketType::Xr | RtcpPacketType::Other(_) => Self::Other(raw),
        })
    }
}

/// A compound RTCP datagram whose framing has been validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpCompound<'a> {
    buf: &'a [u8],
}

impl<'a> RtcpCompound<'a> {
    /// Validates with every RFC 3550 A.2 rule, including "first packet is SR or RR".
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtcpError> {
        validate(buf, true)?;
        Ok(Self { buf })
    }

    /// As [`parse`](Self::parse) but without the first-packet rule, for streams that
    /// negotiated reduced-size RTCP (RFC 5506 `a=rtcp-rsize`), where a lone PLI or NACK
    /// is legal.
    pub fn parse_reduced_size(buf: &'a [u8]) -> Result<Self, RtcpError> {
        validate(buf, false)?;
        Ok(Self { buf })
    }

    /// The datagram.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The packets, in order, each as a typed view or the reason its body is malformed.
    pub fn packets(&self) -> RtcpPackets<'a> {
        RtcpPackets { rest: self.buf }
    }
}

/// Iterator over the packets of a validated compound.
#[derive(Debug, Clone)]
pub struct RtcpPackets<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for RtcpPackets<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        let header = read_header(self.rest)?;
        let (pkt, rest) = self.rest.split_at_checked(header.total_len)?;
        self.rest = rest;
        let mut body = pkt.get(COMMON_HEADER_LEN..)?;
        if header.padded {
            // Validated in `validate`: the count fits inside the body.
            let pad = usize::from(body.last().copied().unwrap_or(0));
            body = body.get(..body.len().saturating_sub(pad))?;
        }
        Some(RtcpPacket::from_raw(RawRtcp {
            header: header.bytes,
            body,
        }))
    }
}

struct Header {
    bytes: [u8; COMMON_HEADER_LEN],
    padded: bool,
    /// Header plus body, in bytes: (length field + 1) * 4.
    total_len: usize,
}

fn read_header(buf: &[u8]) -> Option<Header> {
    let bytes: [u8; COMMON_HEADER_LEN] = buf.get(..COMMON_HEADER_LEN)?.try_into().ok()?;
    let words = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    Some(Header {
        bytes,
        padded: bytes[0] & 0x20 != 0,
        total_len: (words + 1) * 4,
    })
}

/// The A.2 walk: every header version 2, lengths add up exactly, padding only last.
fn validate(buf: &[u8], require_report_first: bool) -> Result<(), RtcpError> {
    if buf.len() < COMMON_HEADER_LEN || !buf.len().is_multiple_of(4) {
        return Err(RtcpError::TooShort { len: buf.len() });
    }
    let mut offset = 0;
    while let Some(header) = buf.get(offset..).and_then(read_header) {
        let version = header.bytes[0] >> 6;
        if version != VERSION {
            return Err(RtcpError::BadVersion(version));
        }
        let pt = header.bytes[1];
        if offset == 0 && require_report_first && !matches!(pt, 200 | 201) {
            return Err(RtcpError::FirstNotReport(pt));
        }
        let end = offset + header.total_len;
        if end > buf.len() {
            return Err(RtcpError::LengthMismatch { offset });
        }
        if header.padded {
            if end != buf.len() {
                return Err(RtcpError::PaddingNotLast { offset });
            }
            check_padding(buf.get(offset + COMMON_HEADER_LEN..end).unwrap_or_default())?;
        }
        offset = end;
    }
    // The buffer is a multiple of 4 and every packet is too, so the walk ends exactly
    // at the end unless a header was cut short, which the alignment rules out.
    if offset == buf.len() {
        Ok(())
    } else {
        Err(RtcpError::LengthMismatch { offset })
    }
}

/// The last byte counts the padding, itself included: 1..=body length.
fn check_padding(body: &[u8]) -> Result<(), RtcpError> {
    let count = body.last().copied().unwrap_or(0);
    if count == 0 || usize::from(count) > body.len() {
        return Err(RtcpError::BadPadding { count });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_types_map() {
        assert_eq!(RtcpPacketType::from(200), RtcpPacketType::SenderReport);
        assert_eq!(RtcpPacketType::from(206), RtcpPacketType::Psfb);
        assert_eq!(RtcpPacketType::from(195), RtcpPacketType::Other(195));
    }

    #[test]
    fn empty_rr_and_empty_bye_walk() {
        // RR with no blocks (8 bytes) then a BYE with SC=0 (header only).
        let pkt = [0x80, 201, 0, 1, 0, 0, 0, 7, 0x80, 203, 0, 0];
        let compound = RtcpCompound::parse(&pkt).expect("valid");
        let kinds: Vec<_> = compound
            .packets()
            .map(|p| match p {
                Ok(RtcpPacket::ReceiverReport(rr)) => rr.report_blocks().count() as i32,
                Ok(RtcpPacket::Bye(bye)) => -(bye.sources().count() as i32) - 1,
                _ => 99,
            })
            .collect();
        assert_eq!(kinds, [0, -1]);
    }

    #[test]
    fn rr_without_ssrc_is_truncated() {
        let pkt = [0x80, 201, 0, 0];
        let compound = RtcpCompound::parse(&pkt).expect("framing is fine");
        assert_eq!(
            compound.packets().next(),
            Some(Err(RtcpError::Truncated { packet_type: 201 }))
        );
    }

    #[test]
    fn only_padding_on_single_packet_is_checked() {
        // P on the only packet: count 4 eats the whole body (allowed), 5 overruns.
        let mut pkt = [0xa0, 201, 0, 1, 0, 0, 0, 4];
        assert!(RtcpCompound::parse(&pkt).is_ok());
        pkt[7] = 5;
        assert_eq!(
            RtcpCompound::parse(&pkt),
            Err(RtcpError::BadPadding { count: 5 })
        );
    }
}
