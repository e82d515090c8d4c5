//! RTP packets as the test phone writes and reads them (RFC 3550 §5.1), and
//! the RFC 4733 §2.3 telephone-event payload. Parsing never panics: a short
//! or inconsistent datagram is `None`, counted by the caller.

use std::ops::Range;

/// The fixed RTP header fields a test looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub pt: u8,
    pub seq: u16,
    pub ts: u32,
    pub ssrc: u32,
    /// CSRCs present (a mixer lists its contributors here, RFC 3550 §7.1).
    pub csrc_count: u8,
    pub extension: bool,
    pub padding: bool,
}

impl RtpHeader {
    /// A plain header: no CSRC, extension or padding.
    pub fn new(pt: u8, seq: u16, ts: u32, ssrc: u32, marker: bool) -> RtpHeader {
        RtpHeader {
            marker,
            pt,
            seq,
            ts,
            ssrc,
            csrc_count: 0,
            extension: false,
            padding: false,
        }
    }

    /// Writes the 12-octet header (CSRC, extension and padding are not
    /// written: the phone never sends them) followed by `payload`.
    pub fn write(&self, payload: &[u8], out: &mut Vec<u8>) {
        out.clear();
        out.push(0x80);
        out.push(u8::from(self.marker) << 7 | (self.pt & 0x7F));
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.ts.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(payload);
    }

    /// The header of an RTP packet and where its payload lies (after CSRCs
    /// and any header extension, before any padding).
    pub fn parse(buf: &[u8]) -> Option<(RtpHeader, Range<usize>)> {
        let fixed = buf.get(..12)?;
        if fixed[0] >> 6 != 2 {
            return None;
        }
        let csrc_count = fixed[0] & 0x0F;
        let header = RtpHeader {
            marker: fixed[1] & 0x80 != 0,
            pt: fixed[1] & 0x7F,
            seq: u16::from_be_bytes([fixed[2], fixed[3]]),
            ts: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            ssrc: u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
            csrc_count,
            extension: fixed[0] & 0x10 != 0,
            padding: fixed[0] & 0x20 != 0,
        };
        let mut start = 12 + 4 * usize::from(csrc_count);
        if header.extension {
            let ext = buf.get(start..start + 4)?;
            let words = usize::from(u16::from_be_bytes([ext[2], ext[3]]));
            start += 4 + 4 * words;
        }
        let mut end = buf.len();
        if header.padding {
            let pad = usize::from(*buf.last()?);
            end = end.checked_sub(pad).filter(|_| pad > 0)?;
        }
        (start <= end).then_some((header, start..end))
    }
}

/// Whether a datagram on an RTP port is RTCP rather than RTP: payload type
/// octets 192-223 are RTCP (RFC 5761 §4).
pub fn is_rtcp(buf: &[u8]) -> bool {
    buf.len() >= 8 && buf[0] >> 6 == 2 && (192..=223).contains(&buf[1])
}

/// One RFC 4733 §2.3 named-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// 0-9, 10 = `*`, 11 = `#`, 12-15 = A-D (RFC 4733 §3.2).
    pub event: u8,
    pub end: bool,
    /// Power level in -dBm0 (0-63).
    pub volume: u8,
    /// In RTP clock ticks since the event's timestamp.
    pub duration: u16,
}

impl TelephoneEvent {
    /// The first four octets of `payload`; `None` if shorter.
    pub fn parse(payload: &[u8]) -> Option<TelephoneEvent> {
        let p = payload.get(..4)?;
        Some(TelephoneEvent {
            event: p[0],
            end: p[1] & 0x80 != 0,
            volume: p[1] & 0x3F,
            duration: u16::from_be_bytes([p[2], p[3]]),
        })
    }

    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            u8::from(self.end) << 7 | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }
}

/// The event code of a DTMF character (`0`-`9`, `*`, `#`, `A`-`D`).
pub fn dtmf_event(digit: char) -> Option<u8> {
    match digit.to_ascii_uppercase() {
        d @ '0'..='9' => Some(d as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        d @ 'A'..='D' => Some(d as u8 - b'A' + 12),
        _ => None,
    }
}
