//! Converting arrival instants to RTP timestamp units for the jitter estimate
//! (RFC 3550 A.8 wants arrival and media time in the same clock).
//!
//! No clock is read here: the caller passes `now`, as everywhere in the media core.

use std::time::{Duration, Instant};

use super::types::ClockRate;

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// `elapsed` in ticks of `rate`, modulo 2^32 like RTP timestamps themselves: the
/// jitter formula only ever uses differences, so the wrap is harmless.
pub fn to_rtp_units(elapsed: Duration, rate: ClockRate) -> u32 {
    let ticks = elapsed.as_nanos() * u128::from(rate.hz()) / NANOS_PER_SEC;
    // Truncation is the intended modulo-2^32 wrap.
    ticks as u32
}

/// Arrival clock of one stream: an origin instant plus the payload's clock rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrivalClock {
    origin: Instant,
    rate: ClockRate,
}

impl ArrivalClock {
    /// Starts counting at `origin` (typically the first packet's arrival).
    pub fn new(origin: Instant, rate: ClockRate) -> Self {
        Self { origin, rate }
    }

    /// `now` as an arrival value for [`ReceiveStats::on_packet`](super::ReceiveStats::on_packet).
    /// Instants before the origin count as the origin rather than panicking.
    pub fn arrival(&self, now: Instant) -> u32 {
        to_rtp_units(now.saturating_duration_since(self.origin), self.rate)
    }

    /// The clock rate.
    pub fn rate(&self) -> ClockRate {
        self.rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_with_rate() {
        assert_eq!(
            to_rtp_units(Duration::from_millis(20), ClockRate::NARROWBAND),
            160
        );
        assert_eq!(
            to_rtp_units(Duration::from_millis(20), ClockRate::OPUS),
            960
        );
        assert_eq!(
            to_rtp_units(Duration::from_micros(125), ClockRate::NARROWBAND),
            1
        );
    }

    #[test]
    fn wraps_modulo_two_to_the_32() {
        // 2^32 ticks at 8 kHz is 536870.912 s.
        let wrap = Duration::from_nanos(536_870_912_000_000);
        assert_eq!(to_rtp_units(wrap, ClockRate::NARROWBAND), 0);
        assert_eq!(
            to_rtp_units(wrap + Duration::from_millis(1), ClockRate::NARROWBAND),
            8
        );
    }

    #[test]
    fn clock_relative_to_origin() {
        let t0 = Instant::now();
        let clock = ArrivalClock::new(t0 + Duration::from_secs(1), ClockRate::NARROWBAND);
        assert_eq!(clock.arrival(t0), 0);
        assert_eq!(clock.arrival(t0 + Duration::from_millis(1500)), 4000);
    }
}
