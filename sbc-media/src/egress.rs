//! Egress rewriting: one continuous RTP stream towards a leg's peer, whatever feeds it.
//!
//! When a leg is switched between sources (the other leg relayed, a mixer output, a
//! supervisor taking over), the peer must see one SSRC with sequence numbers and
//! timestamps that simply go on: a jump makes phones reset their jitter buffer, play
//! a click or drop audio. With rewriting enabled on a stream, every RTP packet sent to
//! its peer carries the stream's own output SSRC, and each new input (source slot and
//! input SSRC) is mapped so that its first packet follows the last one sent: sequence
//! plus one, timestamp + the time that passed (in the payload's clock). Payload types are
//! mapped per pair when the legs negotiated different numbers for the same payload.
//! A splice also sets the marker bit (RFC 3551 §4.1: the start of a talkspurt) so the
//! peer's jitter buffer re-synchronises at once. Disabled (the default), packets pass
//! untouched. RTCP passes unchanged: its SSRCs keep describing the inputs until the
//! mixer issue brings RTCP termination.
//!
//! Monitoring turns rewriting on for a leg the moment the mixer first feeds it, and
//! never before: a leg the mixer never fed stays byte-identical. It then continues
//! from the last packet the leg's peer got (`Egress::continuing`, from the slot's
//! `SentMark`): same SSRC, next sequence number, timestamp advanced by the time that
//! passed. The mixer's packets count as one more input (`MIXER_SOURCE`), and once
//! the mixer stops, the relayed packets stay rewritten so the numbering runs on.

use std::time::Instant;

use crate::rtp::ClockRate;
use crate::sink::SlotIndex;

/// The source of the mixer's packets in a splice (never a real slot index: slot
/// indices come from the token space, which stops far below).
pub(crate) const MIXER_SOURCE: SlotIndex = SlotIndex(u32::MAX);

/// How many payload-type pairs a stream maps (audio, telephone-event, comfort noise…).
pub const MAX_PT_MAPS: usize = 4;

/// What signaling asks for a stream's egress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EgressRewrite {
    /// SSRC of everything sent to this stream's peer.
    pub ssrc: u32,
    /// Payload-type pairs `(as received, as sent)`.
    pub payload_types: [(u8, u8); MAX_PT_MAPS],
    pub payload_type_count: u8,
    /// Clock of the egress payload (timestamp advance over silent gaps).
    pub clock_rate: u32,
}

impl EgressRewrite {
    /// Output SSRC only, no payload-type mapping, 8 kHz.
    pub fn with_ssrc(ssrc: u32) -> Self {
        EgressRewrite {
            ssrc,
            payload_types: [(0, 0); MAX_PT_MAPS],
            payload_type_count: 0,
            clock_rate: 8000,
        }
    }

    /// Adds a payload-type mapping; false if the table is full.
    pub fn map_payload_type(&mut self, from: u8, to: u8) -> bool {
        let Some(slot) = self
            .payload_types
            .get_mut(usize::from(self.payload_type_count))
        else {
            return false;
        };
        *slot = (from & 0x7f, to & 0x7f);
        self.payload_type_count += 1;
        true
    }

    fn map_pt(&self, pt: u8) -> u8 {
        let n = usize::from(self.payload_type_count);
        self.payload_types
            .get(..n)
            .unwrap_or_default()
            .iter()
            .find(|(from, _)| *from == pt)
            .map_or(pt, |(_, to)| *to)
    }
}

/// What the last RTP packet sent to a stream's peer looked like, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SentMark {
    pub ssrc: u32,
    pub seq: u16,
    pub ts: u32,
    pub payload_type: u8,
    pub at: Instant,
}

impl SentMark {
    /// The mark of the plain RTP packet `pkt` (`None` if it has no fixed header).
    #[inline]
    pub(crate) fn of(pkt: &[u8], at: Instant) -> Option<Self> {
        let h = pkt.get(..12)?;
        Some(SentMark {
            payload_type: h[1] & 0x7f,
            seq: u16::from_be_bytes([h[2], h[3]]),
            ts: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
            ssrc: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
            at,
        })
    }
}

/// The input currently mapped onto the output.
#[derive(Debug, Clone, Copy)]
struct Input {
    source: SlotIndex,
    ssrc: u32,
    seq_delta: u16,
    ts_delta: u32,
}

/// Per-stream egress state (in the target's slot; written only by its worker).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Egress {
    rewrite: EgressRewrite,
    input: Option<Input>,
    /// Last packet sent: sequence, timestamp, when.
    last: Option<(u16, u32, Instant)>,
}

impl Egress {
    pub(crate) fn new(rewrite: EgressRewrite) -> Self {
        Egress {
            rewrite,
            input: None,
            last: None,
        }
    }

    /// Rewriting that takes over a stream already running: whatever feeds it next
    /// continues right after `mark` (give `rewrite` the mark's SSRC to keep it).
    pub(crate) fn continuing(rewrite: EgressRewrite, mark: SentMark) -> Self {
        Egress {
            rewrite,
            input: None,
            last: Some((mark.seq, mark.ts, mark.at)),
        }
    }

    /// The clock of what is sent now (a new mixer output format): timestamp gaps
    /// at the next splices are measured in it.
    pub(crate) fn set_clock_rate(&mut self, hz: u32) {
        self.rewrite.clock_rate = hz;
    }

    /// Rewrites the plain RTP packet `pkt` (from `source`) in place.
    #[inline]
    pub(crate) fn apply(&mut self, source: SlotIndex, pkt: &mut [u8], now: Instant) {
        let Some(h) = pkt.get_mut(..12) else {
            return;
        };
        let in_seq = u16::from_be_bytes([h[2], h[3]]);
        let in_ts = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
        let in_ssrc = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
        let (input, spliced) = match self.input {
            Some(i) if i.source == source && i.ssrc == in_ssrc => (i, false),
            _ => {
                let i = self.splice(source, in_ssrc, in_seq, in_ts, now);
                self.input = Some(i);
                (i, self.last.is_some())
            }
        };
        let seq = in_seq.wrapping_add(input.seq_delta);
        let ts = in_ts.wrapping_add(input.ts_delta);
        let marker = if spliced { 0x80 } else { h[1] & 0x80 };
        h[1] = marker | self.rewrite.map_pt(h[1] & 0x7f);
        h[2..4].copy_from_slice(&seq.to_be_bytes());
        h[4..8].copy_from_slice(&ts.to_be_bytes());
        h[8..12].copy_from_slice(&self.rewrite.ssrc.to_be_bytes());
        // Only a newer packet moves "last": a late one must not pull the splice back.
        let newer = self
            .last
            .is_none_or(|(s, _, _)| seq.wrapping_sub(s).wrapping_sub(1) < 0x8000);
        if newer {
            self.last = Some((seq, ts, now));
        }
    }

    /// Deltas that make the new input's first packet follow the last one sent.
    fn splice(&self, source: SlotIndex, ssrc: u32, seq: u16, ts: u32, now: Instant) -> Input {
        let (seq_delta, ts_delta) = match self.last {
            // The very first input keeps its own numbering (only the SSRC changes).
            None => (0, 0),
            Some((last_seq, last_ts, at)) => {
                let rate = ClockRate::new(self.rewrite.clock_rate).unwrap_or(ClockRate::NARROWBAND);
                let gap = crate::rtp::to_rtp_units(now.saturating_duration_since(at), rate);
                // At least one 20 ms frame later, so the splice never repeats a timestamp.
                let advance = gap.max(rate.hz() / 50);
                (
                    last_seq.wrapping_add(1).wrapping_sub(seq),
                    last_ts.wrapping_add(advance).wrapping_sub(ts),
                )
            }
        };
        Input {
            source,
            ssrc,
            seq_delta,
            ts_delta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn pkt(seq: u16, ts: u32, ssrc: u32) -> [u8; 12] {
        let mut p = [0u8; 12];
        p[0] = 0x80;
        p[2..4].copy_from_slice(&seq.to_be_bytes());
        p[4..8].copy_from_slice(&ts.to_be_bytes());
        p[8..12].copy_from_slice(&ssrc.to_be_bytes());
        p
    }

    #[test]
    fn continuing_splices_after_the_mark_and_keeps_its_ssrc() {
        let t0 = Instant::now();
        let mark = SentMark::of(&pkt(500, 80_000, 0xAAAA), t0).unwrap();
        let mut e = Egress::continuing(EgressRewrite::with_ssrc(mark.ssrc), mark);
        // The mixer's first packet, 60 ms later, with its own numbering.
        let mut p = pkt(7, 1_000_000, 0x5BC0);
        e.apply(MIXER_SOURCE, &mut p, t0 + Duration::from_millis(60));
        let m = SentMark::of(&p, t0).unwrap();
        assert_eq!((m.ssrc, m.seq, m.ts), (0xAAAA, 501, 80_000 + 480));
        assert_ne!(p[1] & 0x80, 0, "a splice is marked");
        // Back to the relayed source: it continues from the mixer's last packet.
        let mut q = pkt(520, 83_200, 0xAAAA);
        e.apply(SlotIndex(3), &mut q, t0 + Duration::from_millis(80));
        let m = SentMark::of(&q, t0).unwrap();
        assert_eq!((m.ssrc, m.seq, m.ts), (0xAAAA, 502, 80_480 + 160));
    }
}
