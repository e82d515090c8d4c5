//! In-place rewriting of the RTP fields a relay changes (SSRC, sequence, timestamp,
//! payload type, marker) when it keeps stream continuity across a source switch.
//!
//! The writers only touch the 12-byte fixed header, so they need no full parse; they
//! check that much is present and report `TooShort` otherwise.

use super::error::RtpError;
use super::header::RTP_HEADER_LEN;
use super::types::{PayloadType, Ssrc};

/// The fixed header of `buf`, or `TooShort`.
fn fixed(buf: &mut [u8]) -> Result<&mut [u8], RtpError> {
    let len = buf.len();
    buf.get_mut(..RTP_HEADER_LEN).ok_or(RtpError::TooShort {
        len,
        needed: RTP_HEADER_LEN,
    })
}

/// Writes the SSRC (bytes 8..12).
pub fn set_ssrc(buf: &mut [u8], ssrc: Ssrc) -> Result<(), RtpError> {
    fixed(buf)?[8..12].copy_from_slice(&ssrc.0.to_be_bytes());
    Ok(())
}

/// Writes the sequence number (bytes 2..4).
pub fn set_seq(buf: &mut [u8], seq: u16) -> Result<(), RtpError> {
    fixed(buf)?[2..4].copy_from_slice(&seq.to_be_bytes());
    Ok(())
}

/// Writes the timestamp (bytes 4..8).
pub fn set_timestamp(buf: &mut [u8], ts: u32) -> Result<(), RtpError> {
    fixed(buf)?[4..8].copy_from_slice(&ts.to_be_bytes());
    Ok(())
}

/// Writes the payload type, keeping the marker bit.
pub fn set_payload_type(buf: &mut [u8], pt: PayloadType) -> Result<(), RtpError> {
    let h = fixed(buf)?;
    h[1] = (h[1] & 0x80) | pt.get();
    Ok(())
}

/// Sets or clears the marker bit, keeping the payload type.
pub fn set_marker(buf: &mut [u8], marker: bool) -> Result<(), RtpError> {
    let h = fixed(buf)?;
    h[1] = (h[1] & 0x7f) | if marker { 0x80 } else { 0 };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::header::RtpHeader;
    use super::*;

    #[test]
    fn rewrites_round_trip() {
        let mut p = [0x80u8, 0x08, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xd5];
        set_ssrc(&mut p, Ssrc(0xcafe_babe)).expect("12 bytes");
        set_seq(&mut p, 0xfffe).expect("12 bytes");
        set_timestamp(&mut p, 0x8000_0001).expect("12 bytes");
        set_payload_type(&mut p, PayloadType::new(101).expect("7 bits")).expect("12 bytes");
        set_marker(&mut p, true).expect("12 bytes");
        let h = RtpHeader::parse(&p).expect("valid");
        assert_eq!(h.ssrc(), Ssrc(0xcafe_babe));
        assert_eq!(h.sequence(), 0xfffe);
        assert_eq!(h.timestamp(), 0x8000_0001);
        assert_eq!(h.payload_type().get(), 101);
        assert!(h.marker());
        set_payload_type(&mut p, PayloadType::PCMU).expect("12 bytes");
        assert!(RtpHeader::parse(&p).expect("valid").marker());
        set_marker(&mut p, false).expect("12 bytes");
        let h = RtpHeader::parse(&p).expect("valid");
        assert!(!h.marker());
        assert_eq!(h.payload_type(), PayloadType::PCMU);
        assert_eq!(h.payload(), &[0xd5]);
    }

    #[test]
    fn short_buffer_is_an_error() {
        let mut p = [0x80u8; 11];
        assert!(matches!(
            set_seq(&mut p, 1),
            Err(RtpError::TooShort { len: 11, .. })
        ));
        assert!(set_marker(&mut [], true).is_err());
    }
}
