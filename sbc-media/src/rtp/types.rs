//! Newtypes shared by the RTP/RTCP views: SSRC, payload type, clock rate.

use std::fmt;

/// A synchronization source identifier (RFC 3550 section 3): the key of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ssrc(pub u32);

impl fmt::Display for Ssrc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

/// An RTP payload type: 7 bits on the wire, so the constructor rejects 128 and up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PayloadType(u8);

impl PayloadType {
    /// PCMU (RFC 3551 static assignment).
    pub const PCMU: Self = Self(0);
    /// PCMA (RFC 3551 static assignment).
    pub const PCMA: Self = Self(8);

    /// `None` when `pt` does not fit in 7 bits.
    pub const fn new(pt: u8) -> Option<Self> {
        if pt < 128 {
            Some(Self(pt))
        } else {
            None
        }
    }

    /// Takes the low 7 bits: for values read from a header, where the marker is bit 7.
    pub(crate) const fn from_wire(byte: u8) -> Self {
        Self(byte & 0x7f)
    }

    /// The numeric value, 0..=127.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for PayloadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// RTP clock rate in Hz (the timestamp unit of a payload format). Never zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClockRate(u32);

impl ClockRate {
    /// 8 kHz: G.711, G.729, and RFC 4733 events alongside them.
    pub const NARROWBAND: Self = Self(8_000);
    /// 48 kHz: Opus always signals this rate (RFC 7587).
    pub const OPUS: Self = Self(48_000);

    /// `None` for a zero rate, which would make every conversion meaningless.
    pub const fn new(hz: u32) -> Option<Self> {
        if hz == 0 {
            None
        } else {
            Some(Self(hz))
        }
    }

    /// Hz.
    pub const fn hz(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_type_is_seven_bits() {
        assert_eq!(PayloadType::new(127).map(PayloadType::get), Some(127));
        assert_eq!(PayloadType::new(128), None);
        assert_eq!(PayloadType::from_wire(0x88), PayloadType::PCMA);
    }

    #[test]
    fn clock_rate_rejects_zero() {
        assert!(ClockRate::new(0).is_none());
        assert_eq!(ClockRate::new(16_000).map(ClockRate::hz), Some(16_000));
    }

    #[test]
    fn ssrc_displays_hex() {
        assert_eq!(Ssrc(0xdead).to_string(), "0x0000dead");
    }
}
