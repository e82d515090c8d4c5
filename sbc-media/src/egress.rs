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

use std::time::Instant;

use crate::rtp::ClockRate;
use crate::sink::SlotIndex;

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
