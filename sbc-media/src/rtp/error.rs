//! Typed parse errors for RTP and RTCP: each variant names the peer's mistake so the
//! relay can count drops by reason.

use thiserror::Error;

/// Why bytes are not a valid RTP packet (RFC 3550 section 5.1, RFC 8285).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header.
    #[error("RTP packet too short: {len} bytes, need at least {needed}")]
    TooShort { len: usize, needed: usize },
    /// The version field is not 2.
    #[error("RTP version {0}, expected 2")]
    BadVersion(u8),
    /// The CSRC count points past the end of the packet.
    #[error("CSRC list of {count} entries overruns the packet")]
    CsrcOverrun { count: u8 },
    /// The X bit is set but the extension header or its body does not fit.
    #[error("header extension overruns the packet")]
    ExtensionOverrun,
    /// An RFC 8285 element's length points past the end of the extension block.
    #[error("header extension element {id} overruns the extension block")]
    ExtElementOverrun { id: u8 },
    /// The P bit is set but the padding count is zero or larger than the payload.
    #[error("padding count {count} invalid for {available} bytes after the header")]
    BadPadding { count: u8, available: usize },
}

/// Why bytes are not a valid RTCP compound packet (RFC 3550 section 6, Appendix A.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtcpError {
    /// Shorter than a common header plus SSRC, or not a multiple of 4 bytes.
    #[error("RTCP packet too short or unaligned: {len} bytes")]
    TooShort { len: usize },
    /// A packet in the compound has a version other than 2.
    #[error("RTCP version {0}, expected 2")]
    BadVersion(u8),
    /// The first packet of a compound is not SR or RR (A.2), reduced-size mode aside.
    #[error("RTCP compound starts with packet type {0}, expected SR or RR")]
    FirstNotReport(u8),
    /// The length fields do not add up to the datagram size exactly.
    #[error("RTCP length fields do not add up: packet at offset {offset} overruns")]
    LengthMismatch { offset: usize },
    /// The P bit is set on a packet that is not the last of the compound.
    #[error("RTCP padding on a packet that is not last (offset {offset})")]
    PaddingNotLast { offset: usize },
    /// The padding count is zero or exceeds the packet body.
    #[error("RTCP padding count {count} invalid")]
    BadPadding { count: u8 },
    /// A packet body is too short for what its header (count, type) announces.
    #[error("RTCP packet type {packet_type} body too short for its content")]
    Truncated { packet_type: u8 },
}
