//! Just enough RTP/RTCP header parsing for SRTP: where the encrypted part starts and
//! which SSRC/sequence number the packet claims. Full RTP parsing lives in `crate::rtp`;
//! this stays separate so the crypto path depends on nothing but the bytes.

use super::error::SrtpError;

/// The fields SRTP needs from an RTP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RtpFields {
    /// Header length including CSRCs and the extension (RFC 3550 §5.1, §5.3.1).
    pub(crate) header_len: usize,
    pub(crate) seq: u16,
    pub(crate) ssrc: u32,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at + 2)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Parse the RTP header at the start of `pkt` (the authenticated portion).
pub(crate) fn rtp_fields(pkt: &[u8]) -> Result<RtpFields, SrtpError> {
    let first = *pkt.first().ok_or(SrtpError::TooShort)?;
    if pkt.len() < 12 {
        return Err(SrtpError::TooShort);
    }
    if first >> 6 != 2 {
        return Err(SrtpError::BadHeader);
    }
    let mut len = 12 + 4 * usize::from(first & 0x0F);
    if first & 0x10 != 0 {
        let words = be16(pkt, len + 2).ok_or(SrtpError::BadHeader)?;
        len += 4 + 4 * usize::from(words);
    }
    if len > pkt.len() {
        return Err(SrtpError::BadHeader);
    }
    Ok(RtpFields {
        header_len: len,
        seq: be16(pkt, 2).ok_or(SrtpError::TooShort)?,
        ssrc: be32(pkt, 8).ok_or(SrtpError::TooShort)?,
    })
}

/// Check the fixed 8-octet RTCP header and return the sender SSRC.
pub(crate) fn rtcp_ssrc(pkt: &[u8]) -> Result<u32, SrtpError> {
    let first = *pkt.first().ok_or(SrtpError::TooShort)?;
    if pkt.len() < 8 {
        return Err(SrtpError::TooShort);
    }
    if first >> 6 != 2 {
        return Err(SrtpError::BadHeader);
    }
    be32(pkt, 4).ok_or(SrtpError::TooShort)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrc_and_extension() {
        let mut p = vec![0x91, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 9];
        p.extend_from_slice(&[1, 2, 3, 4]); // CSRC
        p.extend_from_slice(&[0xBE, 0xDE, 0, 1, 0xAA, 0, 0, 0]); // extension, one word
        p.push(0x55);
        let f = rtp_fields(&p).unwrap();
        assert_eq!(
            f,
            RtpFields {
                header_len: 24,
                seq: 5,
                ssrc: 9
            }
        );
        assert_eq!(rtp_fields(&p[..22]), Err(SrtpError::BadHeader));
        assert_eq!(rtp_fields(&p[..11]), Err(SrtpError::TooShort));
        assert_eq!(rtp_fields(&[0x40; 12]), Err(SrtpError::BadHeader));
    }
}
