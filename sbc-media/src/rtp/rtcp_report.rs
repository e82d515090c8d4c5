//! Sender and receiver reports (RFC 3550 sections 6.4.1 and 6.4.2) and their report
//! blocks: what the relay reads to learn loss, jitter and round-trip time per leg.

use super::error::RtcpError;
use super::rtcp::RawRtcp;
use super::types::Ssrc;

const SSRC_LEN: usize = 4;
const SENDER_INFO_LEN: usize = 20;
const REPORT_BLOCK_LEN: usize = 24;

/// Big-endian u32 at `off`; 0 past the end (callers validated the length first).
pub(crate) fn be32(buf: &[u8], off: usize) -> u32 {
    buf.get(off..off + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_be_bytes)
}

/// NTP time, RTP time and the sender's counters (section 6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    /// 64-bit NTP timestamp: seconds since 1900 in the high word, fraction in the low.
    pub ntp_timestamp: u64,
    pub rtp_timestamp: u32,
    pub packet_count: u32,
    pub octet_count: u32,
}

impl SenderInfo {
    /// The middle 32 bits of the NTP timestamp: what a receiver echoes as LSR.
    pub fn compact_ntp(&self) -> u32 {
        (self.ntp_timestamp >> 16) as u32
    }
}

/// One reception report block (section 6.4.1), decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: Ssrc,
    /// Fraction lost since the last report, in 1/256 units.
    pub fraction_lost: u8,
    /// Cumulative packets lost: a signed 24-bit value (negative with duplicates).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received (cycles in the high 16 bits).
    pub highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Last SR timestamp (compact NTP), 0 if none received.
    pub lsr: u32,
    /// Delay since last SR, in 1/65536 s.
    pub dlsr: u32,
}

impl ReportBlock {
    fn decode(b: &[u8]) -> Self {
        let word1 = be32(b, 4);
        // Sign-extend the 24-bit field by shifting it into the top of an i32 and back.
        let cumulative_lost = ((word1 << 8) as i32) >> 8;
        Self {
            ssrc: Ssrc(be32(b, 0)),
            fraction_lost: (word1 >> 24) as u8,
            cumulative_lost,
            highest_seq: be32(b, 8),
            jitter: be32(b, 12),
            lsr: be32(b, 16),
            dlsr: be32(b, 20),
        }
    }
}

/// Iterator over the report blocks of an SR or RR.
#[derive(Debug, Clone)]
pub struct ReportBlocks<'a> {
    chunks: std::iter::Take<std::slice::ChunksExact<'a, u8>>,
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;

    fn next(&mut self) -> Option<ReportBlock> {
        self.chunks.next().map(ReportBlock::decode)
    }
}

fn blocks(body: &[u8], start: usize, count: u8) -> ReportBlocks<'_> {
    ReportBlocks {
        chunks: body
            .get(start..)
            .unwrap_or_default()
            .chunks_exact(REPORT_BLOCK_LEN)
            .take(usize::from(count)),
    }
}

/// Checks that `fixed` bytes plus `count` report blocks fit in the body.
fn check_len(raw: &RawRtcp<'_>, fixed: usize) -> Result<(), RtcpError> {
    let needed = fixed + usize::from(raw.count()) * REPORT_BLOCK_LEN;
    if raw.body().len() < needed {
        return Err(raw.truncated());
    }
    Ok(())
}

/// A sender report (PT 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<'a> {
    raw: RawRtcp<'a>,
}

impl<'a> SenderReport<'a> {
    pub(crate) fn new(raw: RawRtcp<'a>) -> Result<Self, RtcpError> {
        check_len(&raw, SSRC_LEN + SENDER_INFO_LEN)?;
        Ok(Self { raw })
    }

    /// The sender.
    pub fn ssrc(&self) -> Ssrc {
        Ssrc(be32(self.raw.body(), 0))
    }

    /// NTP/RTP timestamps and counters.
    pub fn sender_info(&self) -> SenderInfo {
        let b = self.raw.body();
        SenderInfo {
            ntp_timestamp: (u64::from(be32(b, 4)) << 32) | u64::from(be32(b, 8)),
            rtp_timestamp: be32(b, 12),
            packet_count: be32(b, 16),
            octet_count: be32(b, 20),
        }
    }

    /// The RC report blocks.
    pub fn report_blocks(&self) -> ReportBlocks<'a> {
        blocks(
            self.raw.body(),
            SSRC_LEN + SENDER_INFO_LEN,
            self.raw.count(),
        )
    }

    /// Profile-specific extension after the blocks (usually empty).
    pub fn profile_extension(&self) -> &'a [u8] {
        let end = SSRC_LEN + SENDER_INFO_LEN + usize::from(self.raw.count()) * REPORT_BLOCK_LEN;
        self.raw.body().get(end..).unwrap_or_default()
    }

    /// The untyped packet.
    pub fn raw(&self) -> RawRtcp<'a> {
        self.raw
    }
}

/// A receiver report (PT 201).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    raw: RawRtcp<'a>,
}

impl<'a> ReceiverReport<'a> {
    pub(crate) fn new(raw: RawRtcp<'a>) -> Result<Self, RtcpError> {
        check_len(&raw, SSRC_LEN)?;
        Ok(Self { raw })
    }

    /// The reporter.
    pub fn ssrc(&self) -> Ssrc {
        Ssrc(be32(self.raw.body(), 0))
    }

    /// The RC report blocks.
    pub fn report_blocks(&self) -> ReportBlocks<'a> {
        blocks(self.raw.body(), SSRC_LEN, self.raw.count())
    }

    /// Profile-specific extension after the blocks (usually empty).
    pub fn profile_extension(&self) -> &'a [u8] {
        let end = SSRC_LEN + usize::from(self.raw.count()) * REPORT_BLOCK_LEN;
        self.raw.body().get(end..).unwrap_or_default()
    }

    /// The untyped packet.
    pub fn raw(&self) -> RawRtcp<'a> {
        self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_block_sign_extends_cumulative_lost() {
        let mut b = [0u8; 24];
        b[..4].copy_from_slice(&7u32.to_be_bytes());
        b[4..8].copy_from_slice(&[0x40, 0xff, 0xff, 0xfe]); // 25% lost, cumulative -2
        b[8..12].copy_from_slice(&0x0001_0005u32.to_be_bytes());
        b[12..16].copy_from_slice(&42u32.to_be_bytes());
        b[16..20].copy_from_slice(&0x1234_5678u32.to_be_bytes());
        b[20..24].copy_from_slice(&0x0001_0000u32.to_be_bytes());
        let rb = ReportBlock::decode(&b);
        assert_eq!(rb.ssrc, Ssrc(7));
        assert_eq!(rb.fraction_lost, 0x40);
        assert_eq!(rb.cumulative_lost, -2);
        assert_eq!(rb.highest_seq, 0x0001_0005);
        assert_eq!(rb.jitter, 42);
        assert_eq!(rb.lsr, 0x1234_5678);
        assert_eq!(rb.dlsr, 0x0001_0000);
        b[4..8].copy_from_slice(&[0, 0x7f, 0xff, 0xff]);
        assert_eq!(ReportBlock::decode(&b).cumulative_lost, 0x7f_ffff);
    }

    #[test]
    fn compact_ntp_is_middle_bits() {
        let si = SenderInfo {
            ntp_timestamp: 0xaabb_ccdd_eeff_0011,
            rtp_timestamp: 0,
            packet_count: 0,
            octet_count: 0,
        };
        assert_eq!(si.compact_ntp(), 0xccdd_eeff);
    }
}
