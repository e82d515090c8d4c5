//! Per-stream receive quality and DTMF detection on the relay path.
//!
//! Every plain RTP packet a stream receives (after SRTP decryption) feeds RFC 3550
//! sequence/loss/jitter accounting (`rtp::ReceiveStats`) and, when the SDP named a
//! telephone-event payload type, the RFC 4733 detector. A new SSRC starts the
//! accounting over (a restarted or switched source is not loss). The numbers are
//! published to the stream's counters once per batch; digits leave as `MediaEvent`s.
//! Allocation-free: fixed-size state in the stream slot.

use std::time::Instant;

use crate::rtp::{
    ArrivalClock, ClockRate, DtmfDetector, DtmfEvent, PayloadType, ReceiveStats, RtpHeader,
};
use crate::stats::Counters;

/// The receive side of one stream: what its peer's packets look like.
#[derive(Debug, Clone)]
pub(crate) struct StreamQuality {
    rate: ClockRate,
    source: Option<Source>,
    dtmf: Option<DtmfDetector>,
    /// What the worker totals already include from this stream (they get deltas).
    published: Published,
}

#[derive(Debug, Clone)]
struct Source {
    ssrc: u32,
    clock: ArrivalClock,
    stats: ReceiveStats,
}

#[derive(Debug, Clone, Copy, Default)]
struct Published {
    expected: u64,
    lost: i64,
}

impl Default for StreamQuality {
    fn default() -> Self {
        StreamQuality {
            rate: ClockRate::NARROWBAND,
            source: None,
            dtmf: None,
            published: Published::default(),
        }
    }
}

impl StreamQuality {
    /// Applies what a new SDP says about the payloads. The running accounting stays
    /// (a re-INVITE does not restart the peer's RTP stream).
    pub(crate) fn configure(&mut self, clock_rate: Option<u32>, telephone_event: Option<u8>) {
        self.rate = clock_rate
            .and_then(ClockRate::new)
            .unwrap_or(ClockRate::NARROWBAND);
        let pt = telephone_event.and_then(PayloadType::new);
        if self.dtmf.as_ref().map(DtmfDetector::payload_type) != pt {
            self.dtmf = pt.map(DtmfDetector::new);
        }
    }

    /// Accounts one plain RTP packet received at `now`; returns a key press if this
    /// packet started one.
    #[inline]
    pub(crate) fn on_rtp(&mut self, pkt: &[u8], now: Instant) -> Option<DtmfEvent> {
        let hdr = RtpHeader::parse(pkt).ok()?;
        let ssrc = hdr.ssrc().0;
        let rate = self.rate;
        let src = match &mut self.source {
            Some(s) if s.ssrc == ssrc => s,
            other => other.insert(Source {
                ssrc,
                clock: ArrivalClock::new(now, rate),
                // Signaling vouched for the source (SDP, latch, SRTP auth): no probation.
                stats: ReceiveStats::with_min_sequential(1),
            }),
        };
        src.stats
            .on_packet(hdr.sequence(), hdr.timestamp(), src.clock.arrival(now));
        let dtmf = self.dtmf.as_mut()?;
        dtmf.on_packet(&hdr, hdr.payload())
    }

    /// Publishes the current numbers to the stream's counters and the deltas to the
    /// worker's totals.
    pub(crate) fn publish(&mut self, stream: &Counters, worker: &Counters) {
        let Some(src) = &self.source else {
            return;
        };
        let (expected, lost) = (src.stats.expected(), src.stats.lost());
        let jitter_us =
            u64::from(src.stats.jitter()) * 1_000_000 / u64::from(src.clock.rate().hz());
        stream.set_quality(expected, lost, jitter_us, src.stats.duplicates());
        // A new SSRC starts from zero: the worker keeps what the old one counted.
        let d_expected = expected.saturating_sub(self.published.expected);
        let d_lost = lost.saturating_sub(self.published.lost).max(0);
        if d_expected > 0 || d_lost > 0 {
            worker.add_quality(d_expected, d_lost.unsigned_abs());
        }
        self.published = Published { expected, lost };
    }

    /// Forgets the source (the stream slot is being reused).
    pub(crate) fn reset(&mut self) {
        *self = StreamQuality::default();
    }
}
