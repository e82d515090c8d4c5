//! Zero-copy view of an RTP packet (RFC 3550 section 5.1): fixed header, CSRC list,
//! header extension, payload and padding, validated once by [`RtpHeader::parse`].
//!
//! The view stores only offsets into the borrowed buffer, so the accessors are plain
//! loads: the relay can parse every packet without allocating or copying.

use std::ops::Range;

use super::error::RtpError;
use super::extension::HeaderExtension;
use super::types::{PayloadType, Ssrc};

/// Size of the fixed header: V/P/X/CC, M/PT, sequence, timestamp, SSRC.
pub const RTP_HEADER_LEN: usize = 12;
/// The only RTP version in use.
pub const RTP_VERSION: u8 = 2;
/// Each CSRC is a 32-bit identifier.
const CSRC_LEN: usize = 4;
/// Extension header: 16-bit profile field plus 16-bit length in 32-bit words.
const EXT_HEADER_LEN: usize = 4;

/// A validated RTP packet borrowed from the receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader<'a> {
    buf: &'a [u8],
    /// Where the extension body starts and ends, when the X bit is set.
    ext: Option<(u16, usize, usize)>,
    payload_start: usize,
    payload_end: usize,
}

impl<'a> RtpHeader<'a> {
    /// Validates `buf` as one RTP packet.
    ///
    /// Checks the version, that the CSRC list and extension fit, and that the padding
    /// count (when P is set) is at least 1 and no larger than what follows the header;
    /// RFC 3550 says the count includes the count byte itself, so 0 is malformed.
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        let (&b0, len) = match buf.first() {
            Some(b0) if buf.len() >= RTP_HEADER_LEN => (b0, buf.len()),
            _ => {
                return Err(RtpError::TooShort {
                    len: buf.len(),
                    needed: RTP_HEADER_LEN,
                })
            }
        };
        let version = b0 >> 6;
        if version != RTP_VERSION {
            return Err(RtpError::BadVersion(version));
        }
        let cc = b0 & 0x0f;
        let mut pos = RTP_HEADER_LEN + usize::from(cc) * CSRC_LEN;
        if pos > len {
            return Err(RtpError::CsrcOverrun { count: cc });
        }
        let ext = if b0 & 0x10 != 0 {
            let (profile, start, end) = extension_bounds(buf, pos)?;
            pos = end;
            Some((profile, start, end))
        } else {
            None
        };
        let padding = if b0 & 0x20 != 0 {
            padding_len(buf, pos)?
        } else {
            0
        };
        Ok(Self {
            buf,
            ext,
            payload_start: pos,
            payload_end: len - padding,
        })
    }

    /// Always 2 for a parsed packet; kept for completeness of the field set.
    pub fn version(&self) -> u8 {
        self.byte(0) >> 6
    }

    /// The P bit.
    pub fn has_padding(&self) -> bool {
        self.byte(0) & 0x20 != 0
    }

    /// The X bit.
    pub fn has_extension(&self) -> bool {
        self.ext.is_some()
    }

    /// CC: number of CSRC identifiers.
    pub fn csrc_count(&self) -> u8 {
        self.byte(0) & 0x0f
    }

    /// M: marks a talkspurt start for audio, a frame end for video.
    pub fn marker(&self) -> bool {
        self.byte(1) & 0x80 != 0
    }

    /// PT.
    pub fn payload_type(&self) -> PayloadType {
        PayloadType::from_wire(self.byte(1))
    }

    /// Sequence number.
    pub fn sequence(&self) -> u16 {
        u16::from_be_bytes([self.byte(2), self.byte(3)])
    }

    /// Media timestamp in clock-rate units.
    pub fn timestamp(&self) -> u32 {
        self.word(4)
    }

    /// Synchronization source.
    pub fn ssrc(&self) -> Ssrc {
        Ssrc(self.word(8))
    }

    /// The contributing sources, in order.
    pub fn csrcs(&self) -> impl Iterator<Item = Ssrc> + 'a {
        let end = RTP_HEADER_LEN + usize::from(self.csrc_count()) * CSRC_LEN;
        self.buf
            .get(RTP_HEADER_LEN..end)
            .unwrap_or_default()
            .chunks_exact(CSRC_LEN)
            .map(|c| Ssrc(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
    }

    /// The header extension, when the X bit is set.
    pub fn extension(&self) -> Option<HeaderExtension<'a>> {
        let (profile, start, end) = self.ext?;
        Some(HeaderExtension::new(
            profile,
            self.buf.get(start..end).unwrap_or_default(),
        ))
    }

    /// Total header size: fixed part, CSRCs and extension. Equals the payload offset.
    pub fn header_len(&self) -> usize {
        self.payload_start
    }

    /// Where the payload sits in the packet, padding excluded.
    pub fn payload_range(&self) -> Range<usize> {
        self.payload_start..self.payload_end
    }

    /// The payload, padding excluded.
    pub fn payload(&self) -> &'a [u8] {
        self.buf
            .get(self.payload_start..self.payload_end)
            .unwrap_or_default()
    }

    /// Number of padding bytes at the end (0 when P is clear).
    pub fn padding_len(&self) -> usize {
        self.buf.len() - self.payload_end
    }

    /// The whole packet as parsed.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// A byte of the fixed header; `parse` guaranteed at least 12 bytes.
    fn byte(&self, i: usize) -> u8 {
        self.buf.get(i).copied().unwrap_or(0)
    }

    fn word(&self, i: usize) -> u32 {
        u32::from_be_bytes([
            self.byte(i),
            self.byte(i + 1),
            self.byte(i + 2),
            self.byte(i + 3),
        ])
    }
}

/// Profile field and body bounds of the extension starting at `pos`.
fn extension_bounds(buf: &[u8], pos: usize) -> Result<(u16, usize, usize), RtpError> {
    let head = buf
        .get(pos..pos + EXT_HEADER_LEN)
        .ok_or(RtpError::ExtensionOverrun)?;
    let profile = u16::from_be_bytes([head[0], head[1]]);
    let words = usize::from(u16::from_be_bytes([head[2], head[3]]));
    let start = pos + EXT_HEADER_LEN;
    let end = start + words * 4;
    if end > buf.len() {
        return Err(RtpError::ExtensionOverrun);
    }
    Ok((profile, start, end))
}

/// Padding length from the last byte, checked against what follows the header.
fn padding_len(buf: &[u8], header_end: usize) -> Result<usize, RtpError> {
    let available = buf.len() - header_end;
    let count = buf.last().copied().unwrap_or(0);
    if count == 0 || usize::from(count) > available {
        return Err(RtpError::BadPadding { count, available });
    }
    Ok(usize::from(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PCMA packet: M set, seq 0x1234, ts 0xdeadbeef, SSRC 0x01020304, 4-byte payload.
    fn basic() -> Vec<u8> {
        let mut p = vec![0x80, 0x88, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4];
        p.extend_from_slice(&[0xd5; 4]);
        p
    }

    #[test]
    fn parses_fixed_header() {
        let p = basic();
        let h = RtpHeader::parse(&p).expect("valid");
        assert_eq!(h.version(), 2);
        assert!(h.marker());
        assert_eq!(h.payload_type(), PayloadType::PCMA);
        assert_eq!(h.sequence(), 0x1234);
        assert_eq!(h.timestamp(), 0xdead_beef);
        assert_eq!(h.ssrc(), Ssrc(0x0102_0304));
        assert_eq!(h.payload_range(), 12..16);
        assert_eq!(h.payload(), &[0xd5; 4]);
        assert!(h.extension().is_none());
        assert_eq!(h.csrcs().count(), 0);
    }

    #[test]
    fn rejects_short_and_bad_version() {
        assert!(matches!(
            RtpHeader::parse(&[0x80; 11]),
            Err(RtpError::TooShort { len: 11, .. })
        ));
        assert_eq!(
            RtpHeader::parse(&[]),
            Err(RtpError::TooShort { len: 0, needed: 12 })
        );
        let mut p = basic();
        p[0] = 0x40;
        assert_eq!(RtpHeader::parse(&p), Err(RtpError::BadVersion(1)));
    }

    #[test]
    fn csrc_list() {
        let mut p = basic();
        p[0] = 0x82;
        p.truncate(12);
        assert_eq!(
            RtpHeader::parse(&p),
            Err(RtpError::CsrcOverrun { count: 2 })
        );
        p.extend_from_slice(&[0, 0, 0, 7, 0, 0, 0, 9, 0xaa]);
        let h = RtpHeader::parse(&p).expect("valid");
        let csrcs: Vec<_> = h.csrcs().collect();
        assert_eq!(csrcs, vec![Ssrc(7), Ssrc(9)]);
        assert_eq!(h.payload(), &[0xaa]);
    }

    #[test]
    fn extension_bounds_checked() {
        let mut p = basic();
        p[0] = 0x90;
        p.truncate(12);
        p.extend_from_slice(&[0xbe, 0xde, 0, 1]);
        assert_eq!(RtpHeader::parse(&p), Err(RtpError::ExtensionOverrun));
        p.extend_from_slice(&[0x10, 0xff, 0, 0, 0x55]);
        let h = RtpHeader::parse(&p).expect("valid");
        let ext = h.extension().expect("ext");
        assert_eq!(ext.profile(), 0xbede);
        assert_eq!(ext.data(), &[0x10, 0xff, 0, 0]);
        assert_eq!(h.header_len(), 20);
        assert_eq!(h.payload(), &[0x55]);
    }

    #[test]
    fn padding_validated() {
        let mut p = basic();
        p[0] = 0xa0;
        p.extend_from_slice(&[0, 0, 3]);
        let h = RtpHeader::parse(&p).expect("valid");
        assert_eq!(h.padding_len(), 3);
        assert_eq!(h.payload(), &[0xd5; 4]);
        *p.last_mut().expect("non-empty") = 0;
        assert!(matches!(
            RtpHeader::parse(&p),
            Err(RtpError::BadPadding { count: 0, .. })
        ));
        *p.last_mut().expect("non-empty") = 8;
        assert_eq!(
            RtpHeader::parse(&p),
            Err(RtpError::BadPadding {
                count: 8,
                available: 7
            })
        );
        // A header-only packet whose padding covers everything after the header.
        let mut q = basic();
        q[0] = 0xa0;
        q.truncate(12);
        q.extend_from_slice(&[0, 0, 0, 4]);
        assert_eq!(RtpHeader::parse(&q).map(|h| h.payload().len()), Ok(0));
    }

    #[test]
    fn padding_count_cannot_eat_header() {
        // P set on a 12-byte packet: the last header byte is not a padding count.
        let mut p = basic();
        p[0] = 0xa0;
        p.truncate(12);
        assert!(matches!(
            RtpHeader::parse(&p),
            Err(RtpError::BadPadding { available: 0, .. })
        ));
    }
}
