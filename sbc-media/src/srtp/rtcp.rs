//! SRTCP protect/unprotect (RFC 3711 §3.4, RFC 7714 §9) on `SrtpContext`.
//!
//! Layouts (MKI optional):
//! - AES-CM:  header(8) | payload (encrypted if E) | E+index(4) | MKI | tag(10)
//! - AEAD:    header(8) | payload (encrypted if E) | tag(16) | E+index(4) | MKI
//!
//! The first index sent is 1, as libsrtp and webrtc-srtp do. With E = 0 the AEAD AAD is
//! the whole packet followed by the E+index word; to keep it contiguous without a copy
//! the tag and the index word swap places in the buffer around the AEAD call.

use super::context::{Keys, SrtpContext};
use super::error::SrtpError;
use super::gcm::TAG_LEN;
use super::header::{be32, rtcp_ssrc};

/// SRTCP indices are 31 bits; reaching this means the key must change.
const MAX_SRTCP_INDEX: u32 = 0x7FFF_FFFF;
const E_FLAG: u32 = 0x8000_0000;

impl SrtpContext {
    /// The last SRTCP index sent for `ssrc` (0 if none yet).
    pub fn srtcp_index(&self, ssrc: u32) -> Option<u32> {
        self.table.get(ssrc).map(|s| s.rtcp_tx_index)
    }

    /// Continue SRTCP for `ssrc` after index `last_sent` (the next packet uses +1).
    pub fn set_srtcp_index(&mut self, ssrc: u32, last_sent: u32) {
        self.table.entry(ssrc).rtcp_tx_index = last_sent & MAX_SRTCP_INDEX;
    }

    /// Protect the compound RTCP packet in `buf[..len]` in place and append the
    /// trailer; returns the SRTCP length (`len + rtcp_overhead()`).
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let ssrc = rtcp_ssrc(buf.get(..len).ok_or(SrtpError::BufferTooSmall)?)?;
        let out_len = len + self.rtcp_overhead();
        if out_len > buf.len() {
            return Err(SrtpError::BufferTooSmall);
        }
        let index = self.table.get(ssrc).map_or(0, |s| s.rtcp_tx_index) + 1;
        if index > MAX_SRTCP_INDEX {
            return Err(SrtpError::KeyExhausted);
        }
        let encrypt = self.encrypt_rtcp;
        let word = (if encrypt { index | E_FLAG } else { index }).to_be_bytes();
        match &self.keys {
            Keys::Cm { rtcp, .. } => {
                if encrypt {
                    rtcp.apply_keystream(ssrc, u64::from(index), &mut buf[8..len]);
                }
                buf[len..len + 4].copy_from_slice(&word);
                let tag = rtcp.tag(&[&buf[..len + 4]]);
                let tag_len = self.suite.rtcp_tag_len();
                buf[out_len - tag_len..out_len].copy_from_slice(&tag[..tag_len]);
                self.write_mki(buf, len + 4);
            }
            Keys::Gcm { rtcp, .. } => {
                let nonce = rtcp.rtcp_nonce(ssrc, index);
                if encrypt {
                    let mut aad = [0u8; 12];
                    aad[..8].copy_from_slice(&buf[..8]);
                    aad[8..].copy_from_slice(&word);
                    let tag = rtcp.seal(nonce, &aad, &mut buf[8..len])?;
                    buf[len..len + TAG_LEN].copy_from_slice(&tag);
                    buf[len + TAG_LEN..len + TAG_LEN + 4].copy_from_slice(&word);
                } else {
                    buf[len..len + 4].copy_from_slice(&word);
                    let tag = rtcp.seal(nonce, &buf[..len + 4], &mut [])?;
                    buf[len + 4..len + 4 + TAG_LEN].copy_from_slice(&tag);
                    buf[len..len + 4 + TAG_LEN].rotate_left(4);
                }
                self.write_mki(buf, len + TAG_LEN + 4);
            }
        }
        self.table.entry(ssrc).rtcp_tx_index = index;
        Ok(out_len)
    }

    /// Verify (and decrypt when E is set) the SRTCP packet filling `buf`; returns the
    /// RTCP length. The replay window changes only after the tag verified.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, SrtpError> {
        let len = buf.len();
        let mki_len = self.mki_len();
        let tag_len = self.suite.rtcp_tag_len();
        let plain_len = len
            .checked_sub(4 + mki_len + tag_len)
            .filter(|&n| n >= 8)
            .ok_or(SrtpError::TooShort)?;
        let ssrc = rtcp_ssrc(buf)?;
        let (idx_at, mki_at) = match self.keys {
            Keys::Cm { .. } => (plain_len, plain_len + 4),
            Keys::Gcm { .. } => (plain_len + TAG_LEN, plain_len + TAG_LEN + 4),
        };
        self.check_mki(buf, mki_at)?;
        let word = be32(buf, idx_at).ok_or(SrtpError::TooShort)?;
        let encrypted = word & E_FLAG != 0;
        let index = word & MAX_SRTCP_INDEX;
        if let Some(st) = self.table.get(ssrc) {
            st.rtcp_window.check(u64::from(index))?;
        }
        match &self.keys {
            Keys::Cm { rtcp, .. } => {
                let (auth, tag) = buf.split_at_mut(mki_at);
                rtcp.verify(&[auth], &tag[mki_len..])?;
                if encrypted {
                    rtcp.apply_keystream(ssrc, u64::from(index), &mut auth[8..plain_len]);
                }
            }
            Keys::Gcm { rtcp, .. } => {
                let nonce = rtcp.rtcp_nonce(ssrc, index);
                if encrypted {
                    let mut aad = [0u8; 12];
                    aad[..8].copy_from_slice(&buf[..8]);
                    aad[8..].copy_from_slice(&word.to_be_bytes());
                    rtcp.open(nonce, &aad, &mut buf[8..idx_at])?;
                } else {
                    // tag | word  ->  word | tag, so the AAD (packet | word) is contiguous.
                    buf[plain_len..mki_at].rotate_right(4);
                    let mut tag = [0u8; TAG_LEN];
                    tag.copy_from_slice(&buf[plain_len + 4..mki_at]);
                    rtcp.verify_only(nonce, &buf[..plain_len + 4], tag)?;
                }
            }
        }
        self.table.entry(ssrc).rtcp_window.commit(u64::from(index));
        Ok(plain_len)
    }
}
