//! AEAD_AES_128_GCM / AEAD_AES_256_GCM transform (RFC 7714) on `ring`: the GCM key
//! (AES schedule and GHASH table) is expanded once into a `LessSafeKey`; per packet we
//! build the 12-octet IV on the stack and seal/open in place with no allocation.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};

use super::error::{SrtpError, SrtpKeyError};
use super::kdf::{Label, Prf};

/// GCM tag length (RFC 7714 §8: 16 octets for both suites).
pub(crate) const TAG_LEN: usize = 16;
const SALT_LEN: usize = 12;

/// Session key and salt of one AEAD stream kind (SRTP or SRTCP).
pub(crate) struct GcmKeys {
    key: LessSafeKey,
    salt: [u8; SALT_LEN],
}

impl GcmKeys {
    /// Derive the SRTP (`rtcp = false`) or SRTCP session key and salt (RFC 7714 §11).
    pub(crate) fn derive(
        prf: &Prf,
        master_salt: &[u8],
        key_len: usize,
        rtcp: bool,
    ) -> Result<Self, SrtpKeyError> {
        let (enc, salt_label) = if rtcp {
            (Label::RtcpEncryption, Label::RtcpSalt)
        } else {
            (Label::RtpEncryption, Label::RtpSalt)
        };
        let mut key = [0u8; 32];
        let key = key.get_mut(..key_len).ok_or(SrtpKeyError::Cipher)?;
        let mut salt = [0u8; SALT_LEN];
        prf.derive(master_salt, enc, key);
        prf.derive(master_salt, salt_label, &mut salt);
        Self::from_session_keys(key, &salt)
    }

    pub(crate) fn from_session_keys(
        key: &[u8],
        salt: &[u8; SALT_LEN],
    ) -> Result<Self, SrtpKeyError> {
        let alg = match key.len() {
            16 => &aead::AES_128_GCM,
            32 => &aead::AES_256_GCM,
            _ => return Err(SrtpKeyError::Cipher),
        };
        let unbound = UnboundKey::new(alg, key).map_err(|_| SrtpKeyError::Cipher)?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
            salt: *salt,
        })
    }

    fn nonce(&self, mut iv: [u8; SALT_LEN]) -> Nonce {
        for (d, s) in iv.iter_mut().zip(self.salt) {
            *d ^= s;
        }
        Nonce::assume_unique_for_key(iv)
    }

    /// RFC 7714 §8.1: IV = (0^16 || SSRC || ROC || SEQ) XOR salt.
    pub(crate) fn rtp_nonce(&self, ssrc: u32, roc: u32, seq: u16) -> Nonce {
        let mut iv = [0u8; SALT_LEN];
        iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
        iv[6..10].copy_from_slice(&roc.to_be_bytes());
        iv[10..12].copy_from_slice(&seq.to_be_bytes());
        self.nonce(iv)
    }

    /// RFC 7714 §9.1: IV = (0^16 || SSRC || 0^16 || 0 || SRTCP index) XOR salt.
    pub(crate) fn rtcp_nonce(&self, ssrc: u32, index: u32) -> Nonce {
        let mut iv = [0u8; SALT_LEN];
        iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
        iv[8..12].copy_from_slice(&(index & 0x7FFF_FFFF).to_be_bytes());
        self.nonce(iv)
    }

    /// Encrypt `data` in place; returns the tag to append.
    pub(crate) fn seal(
        &self,
        nonce: Nonce,
        aad: &[u8],
        data: &mut [u8],
    ) -> Result<[u8; TAG_LEN], SrtpError> {
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), data)
            .map_err(|_| SrtpError::BufferTooSmall)?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Verify and decrypt `data` (ciphertext || tag) in place; returns the plaintext
    /// length. On failure the content of `data` is unspecified (the packet is dropped).
    pub(crate) fn open(
        &self,
        nonce: Nonce,
        aad: &[u8],
        data: &mut [u8],
    ) -> Result<usize, SrtpError> {
        self.key
            .open_in_place(nonce, Aad::from(aad), data)
            .map(|plain| plain.len())
            .map_err(|_| SrtpError::AuthFailed)
    }

    /// Verify a tag over `aad` alone (SRTCP with E = 0: nothing is encrypted).
    pub(crate) fn verify_only(
        &self,
        nonce: Nonce,
        aad: &[u8],
        tag: [u8; TAG_LEN],
    ) -> Result<(), SrtpError> {
        self.key
            .open_in_place_separate_tag(nonce, Aad::from(aad), aead::Tag::from(tag), &mut [], 0..)
            .map(|_| ())
            .map_err(|_| SrtpError::AuthFailed)
    }
}
