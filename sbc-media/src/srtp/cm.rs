//! AES_CM_128 + HMAC-SHA1 transform (RFC 3711 §4.1.1, §4.2.1) with cached state: the
//! AES-128 key schedule and the HMAC inner/outer pads are computed once when the
//! context is built; per packet we only clone the keyed HMAC (two SHA-1 states) and run
//! AES over counter blocks in batches of 8 so AES-NI pipelines them.

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes::Aes128;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::error::{SrtpError, SrtpKeyError};
use super::kdf::{Label, Prf};

type HmacSha1 = Hmac<Sha1>;

/// HMAC-SHA1 output length; tags are its leftmost 4 or 10 octets.
pub(crate) const HMAC_LEN: usize = 20;
/// Session salt length for AES-CM (112 bits).
const SALT_LEN: usize = 14;
/// Counter blocks encrypted per batch.
const BATCH: usize = 8;

/// Session keys of one AES-CM/HMAC-SHA1 stream kind (SRTP or SRTCP).
#[derive(Clone)]
pub(crate) struct CmKeys {
    aes: Aes128,
    salt: [u8; SALT_LEN],
    mac: HmacSha1,
}

impl CmKeys {
    /// Derive the SRTP (`rtcp = false`) or SRTCP session keys.
    pub(crate) fn derive(prf: &Prf, master_salt: &[u8], rtcp: bool) -> Result<Self, SrtpKeyError> {
        let (enc, auth, salt_label) = if rtcp {
            (Label::RtcpEncryption, Label::RtcpAuth, Label::RtcpSalt)
        } else {
            (Label::RtpEncryption, Label::RtpAuth, Label::RtpSalt)
        };
        let mut key = [0u8; 16];
        let mut auth_key = [0u8; HMAC_LEN];
        let mut salt = [0u8; SALT_LEN];
        prf.derive(master_salt, enc, &mut key);
        prf.derive(master_salt, auth, &mut auth_key);
        prf.derive(master_salt, salt_label, &mut salt);
        Self::from_session_keys(&key, &salt, &auth_key)
    }

    pub(crate) fn from_session_keys(
        key: &[u8],
        salt: &[u8; SALT_LEN],
        auth_key: &[u8],
    ) -> Result<Self, SrtpKeyError> {
        Ok(Self {
            aes: Aes128::new_from_slice(key).map_err(|_| SrtpKeyError::Cipher)?,
            salt: *salt,
            mac: <HmacSha1 as KeyInit>::new_from_slice(auth_key)
                .map_err(|_| SrtpKeyError::Cipher)?,
        })
    }

    /// IV = (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16), RFC 3711 §4.1.1.
    fn iv(&self, ssrc: u32, index: u64) -> u128 {
        let mut iv = [0u8; 16];
        iv[..SALT_LEN].copy_from_slice(&self.salt);
        for (d, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
            *d ^= s;
        }
        for (d, s) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
            *d ^= s;
        }
        u128::from_be_bytes(iv)
    }

    /// XOR the AES-CM keystream for (ssrc, index) into `data` (encrypt == decrypt).
    pub(crate) fn apply_keystream(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        let iv = self.iv(ssrc, index);
        let mut blocks = [aes::Block::default(); BATCH];
        let mut counter = 0u128;
        for chunk in data.chunks_mut(16 * BATCH) {
            let n = chunk.len().div_ceil(16);
            for b in blocks.iter_mut().take(n) {
                *b = aes::Block::from(iv.wrapping_add(counter).to_be_bytes());
                counter += 1;
            }
            if let Some(batch) = blocks.get_mut(..n) {
                self.aes.encrypt_blocks(batch);
            }
            for (bytes, ks) in chunk.chunks_mut(16).zip(blocks.iter()) {
                for (d, k) in bytes.iter_mut().zip(ks.iter()) {
                    *d ^= k;
                }
            }
        }
    }

    /// Full HMAC-SHA1 over the concatenation of `parts`.
    pub(crate) fn tag(&self, parts: &[&[u8]]) -> [u8; HMAC_LEN] {
        let mut mac = self.mac.clone();
        for p in parts {
            mac.update(p);
        }
        let mut out = [0u8; HMAC_LEN];
        out.copy_from_slice(&mac.finalize().into_bytes());
        out
    }

    /// Constant-time check of a truncated tag over the concatenation of `parts`.
    pub(crate) fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> Result<(), SrtpError> {
        let mut mac = self.mac.clone();
        for p in parts {
            mac.update(p);
        }
        mac.verify_truncated_left(tag)
            .map_err(|_| SrtpError::AuthFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3711 Appendix B.2: session salt F0..FD (already shifted), SSRC 0, index 0.
    #[test]
    fn rfc3711_b2_keystream() {
        let key = [
            0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6, 0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF,
            0x4F, 0x3C,
        ];
        let salt = [
            0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD,
        ];
        let keys = CmKeys::from_session_keys(&key, &salt, &[0u8; 20]).unwrap();
        // Enough for blocks 0..=0xFF01 so both ends of the RFC table are covered.
        let mut ks = vec![0u8; 16 * 0xFF02];
        keys.apply_keystream(0, 0, &mut ks);
        let block = |i: usize| ks[16 * i..16 * i + 16].to_vec();
        let h = |s: &str| -> Vec<u8> {
            (0..32)
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        assert_eq!(block(0), h("E03EAD0935C95E80E166B16DD92B4EB4"));
        assert_eq!(block(1), h("D23513162B02D0F72A43A2FE4A5F97AB"));
        assert_eq!(block(2), h("41E95B3BB0A2E8DD477901E4FCA894C0"));
        assert_eq!(block(0xFEFF), h("EC8CDF7398607CB0F2D21675EA9EA1E4"));
        assert_eq!(block(0xFF00), h("362B7C3C6773516318A077D7FC5073AE"));
        assert_eq!(block(0xFF01), h("6A2CC3787889374FBEB4C81B17BA6C44"));
    }
}
