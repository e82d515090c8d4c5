//! `SrtpContext`: one direction of one SRTP session (one master key), holding the cached
//! cipher state and the bounded per-SSRC table, with in-place SRTP protect/unprotect.
//! SRTCP lives in `rtcp.rs` as a second `impl` block on the same type.

use super::cm::CmKeys;
use super::error::{SrtpError, SrtpKeyError};
use super::gcm::{self, GcmKeys};
use super::header::rtp_fields;
use super::kdf::Prf;
use super::replay::{estimate_roc, packet_index, MAX_REPLAY_WINDOW, MIN_REPLAY_WINDOW};
use super::suite::Suite;
use super::table::SsrcTable;

/// A Master Key Identifier of 1..=4 octets (RFC 3711 §3.1), carried on every packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mki {
    bytes: [u8; 4],
    len: u8,
}

impl Mki {
    /// From the wire octets (1..=4).
    pub fn new(value: &[u8]) -> Result<Self, SrtpKeyError> {
        if value.is_empty() || value.len() > 4 {
            return Err(SrtpKeyError::MkiLength(value.len()));
        }
        let mut bytes = [0u8; 4];
        bytes[..value.len()].copy_from_slice(value);
        Ok(Self {
            bytes,
            len: value.len() as u8,
        })
    }

    /// From an SDES `value:length` pair (RFC 4568 §6.1), big-endian in `len` octets.
    pub fn from_value(value: u32, len: usize) -> Result<Self, SrtpKeyError> {
        if !(1..=4).contains(&len) || (len < 4 && value >> (8 * len) != 0) {
            return Err(SrtpKeyError::MkiLength(len));
        }
        Self::new(&value.to_be_bytes()[4 - len..])
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// Options of a context beyond the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpConfig {
    /// Replay window in packets, 64..=1024 (RFC 3711 §3.3.2; default 128).
    pub replay_window: u32,
    /// SSRCs tracked at once; the least recently used is evicted beyond this.
    pub max_ssrcs: usize,
    /// MKI written on protect and required on unprotect.
    pub mki: Option<Mki>,
    /// RFC 3711 key_derivation_rate; only 0 is supported.
    pub key_derivation_rate: u64,
    /// Set the SRTCP E flag and encrypt RTCP on protect (unprotect accepts both).
    pub encrypt_rtcp: bool,
}

impl Default for SrtpConfig {
    fn default() -> Self {
        Self {
            replay_window: 128,
            max_ssrcs: 16,
            mki: None,
            key_derivation_rate: 0,
            encrypt_rtcp: true,
        }
    }
}

/// Session keys for both stream kinds, by transform family.
pub(crate) enum Keys {
    Cm { rtp: CmKeys, rtcp: CmKeys },
    Gcm { rtp: GcmKeys, rtcp: GcmKeys },
}

/// One direction of an SRTP session: use one context to protect what a leg sends and
/// another to unprotect what it receives (each keeps its own ROC/replay state).
pub struct SrtpContext {
    pub(crate) suite: Suite,
    pub(crate) keys: Keys,
    pub(crate) mki: Option<Mki>,
    pub(crate) encrypt_rtcp: bool,
    pub(crate) table: SsrcTable,
}

impl SrtpContext {
    /// Derive the session keys from the master key and salt and build the context.
    pub fn new(
        suite: Suite,
        master_key: &[u8],
        master_salt: &[u8],
        config: &SrtpConfig,
    ) -> Result<Self, SrtpKeyError> {
        if master_key.len() != suite.key_len() {
            return Err(SrtpKeyError::MasterKeyLength {
                want: suite.key_len(),
                got: master_key.len(),
            });
        }
        if master_salt.len() != suite.salt_len() {
            return Err(SrtpKeyError::MasterSaltLength {
                want: suite.salt_len(),
                got: master_salt.len(),
            });
        }
        let prf = Prf::new(master_key)?;
        let keys = if suite.is_aead() {
            Keys::Gcm {
                rtp: GcmKeys::derive(&prf, master_salt, suite.key_len(), false)?,
                rtcp: GcmKeys::derive(&prf, master_salt, suite.key_len(), true)?,
            }
        } else {
            Keys::Cm {
                rtp: CmKeys::derive(&prf, master_salt, false)?,
                rtcp: CmKeys::derive(&prf, master_salt, true)?,
            }
        };
        Self::with_keys(suite, keys, config)
    }

    pub(crate) fn with_keys(
        suite: Suite,
        keys: Keys,
        config: &SrtpConfig,
    ) -> Result<Self, SrtpKeyError> {
        if config.key_derivation_rate != 0 {
            return Err(SrtpKeyError::UnsupportedKdr(config.key_derivation_rate));
        }
        if !(MIN_REPLAY_WINDOW..=MAX_REPLAY_WINDOW).contains(&config.replay_window) {
            return Err(SrtpKeyError::ReplayWindow(config.replay_window));
        }
        if !(1..=256).contains(&config.max_ssrcs) {
            return Err(SrtpKeyError::MaxSsrcs(config.max_ssrcs));
        }
        Ok(Self {
            suite,
            keys,
            mki: config.mki,
            encrypt_rtcp: config.encrypt_rtcp,
            table: SsrcTable::new(config.max_ssrcs, config.replay_window),
        })
    }

    pub fn suite(&self) -> Suite {
        self.suite
    }

    pub(crate) fn mki_len(&self) -> usize {
        self.mki.map_or(0, |m| m.as_bytes().len())
    }

    /// Octets `protect_rtp` appends (tag + MKI).
    pub fn rtp_overhead(&self) -> usize {
        self.suite.rtp_tag_len() + self.mki_len()
    }

    /// Octets `protect_rtcp` appends (E|index + tag + MKI).
    pub fn rtcp_overhead(&self) -> usize {
        4 + self.suite.rtcp_tag_len() + self.mki_len()
    }

    /// The current ROC of `ssrc`, if the context knows the SSRC.
    pub fn roc(&self, ssrc: u32) -> Option<u32> {
        self.table.get(ssrc).map(|s| s.roc)
    }

    /// Set the ROC for `ssrc` (e.g. carried across a re-INVITE that keeps the key, or
    /// signalled out of band). The next packet's sequence number is taken as `s_l`.
    pub fn set_roc(&mut self, ssrc: u32, roc: u32) {
        let st = self.table.entry(ssrc);
        st.roc = roc;
        st.seq_known = false;
    }

    /// Carry every SSRC's ROC, highest sequence, replay windows and SRTCP index over
    /// from `old` (a re-INVITE that keeps the same master key must not reset them).
    pub fn carry_state_from(&mut self, old: &SrtpContext) {
        self.table = old.table.clone();
    }

    /// Check the MKI octets at `at` against ours.
    pub(crate) fn check_mki(&self, buf: &[u8], at: usize) -> Result<(), SrtpError> {
        match self.mki {
            None => Ok(()),
            Some(m) => match buf.get(at..at + m.as_bytes().len()) {
                Some(got) if got == m.as_bytes() => Ok(()),
                _ => Err(SrtpError::UnknownMki),
            },
        }
    }

    pub(crate) fn write_mki(&self, buf: &mut [u8], at: usize) {
        if let Some(m) = self.mki {
            if let Some(dst) = buf.get_mut(at..at + m.as_bytes().len()) {
                dst.copy_from_slice(m.as_bytes());
            }
        }
    }

    /// Rollover guess for `seq` and the replay check of the resulting index.
    fn rtp_guess(&self, ssrc: u32, seq: u16) -> Result<u32, SrtpError> {
        let Some(st) = self.table.get(ssrc) else {
            return Ok(0);
        };
        if !st.seq_known {
            return Ok(st.roc);
        }
        let v = estimate_roc(st.roc, st.s_l, seq)?;
        st.rtp_window.check(packet_index(v, seq))?;
        Ok(v)
    }

    /// Protect the RTP packet in `buf[..len]` in place and append MKI/tag; returns the
    /// SRTP length. `buf` must have `rtp_overhead()` spare octets after `len`.
    /// A sequence number already protected is refused (`Replayed`): reusing an index
    /// would reuse keystream.
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let f = rtp_fields(buf.get(..len).ok_or(SrtpError::BufferTooSmall)?)?;
        let mki_len = self.mki_len();
        let out_len = len + self.suite.rtp_tag_len() + mki_len;
        if out_len > buf.len() {
            return Err(SrtpError::BufferTooSmall);
        }
        let v = self.rtp_guess(f.ssrc, f.seq)?;
        match &self.keys {
            Keys::Cm { rtp, .. } => {
                rtp.apply_keystream(f.ssrc, packet_index(v, f.seq), &mut buf[f.header_len..len]);
                let tag = rtp.tag(&[&buf[..len], &v.to_be_bytes()]);
                let tag_len = self.suite.rtp_tag_len();
                buf[len + mki_len..out_len].copy_from_slice(&tag[..tag_len]);
                self.write_mki(buf, len);
            }
            Keys::Gcm { rtp, .. } => {
                let (hdr, rest) = buf.split_at_mut(f.header_len);
                let nonce = rtp.rtp_nonce(f.ssrc, v, f.seq);
                let tag = rtp.seal(nonce, hdr, &mut rest[..len - f.header_len])?;
                buf[len..len + gcm::TAG_LEN].copy_from_slice(&tag);
                self.write_mki(buf, len + gcm::TAG_LEN);
            }
        }
        self.table.entry(f.ssrc).commit_rtp(v, f.seq);
        Ok(out_len)
    }

    /// Verify and decrypt the SRTP packet that fills `buf`; returns the RTP length.
    /// ROC, `s_l` and the replay window change only once the tag verified. After an
    /// error the content of `buf` is unspecified (drop the packet).
    pub fn unprotect_rtp(&mut self, buf: &mut [u8]) -> Result<usize, SrtpError> {
        let len = buf.len();
        let mki_len = self.mki_len();
        let tag_len = self.suite.rtp_tag_len();
        let plain_len = len
            .checked_sub(tag_len + mki_len)
            .filter(|&n| n >= 12)
            .ok_or(SrtpError::TooShort)?;
        let f = rtp_fields(&buf[..plain_len])?;
        let v = match &self.keys {
            Keys::Cm { rtp, .. } => {
                self.check_mki(buf, plain_len)?;
                let v = self.rtp_guess(f.ssrc, f.seq)?;
                let (auth, tag) = buf.split_at_mut(plain_len);
                rtp.verify(&[auth, &v.to_be_bytes()], &tag[mki_len..])?;
                rtp.apply_keystream(f.ssrc, packet_index(v, f.seq), &mut auth[f.header_len..]);
                v
            }
            Keys::Gcm { rtp, .. } => {
                self.check_mki(buf, len - mki_len)?;
                let v = self.rtp_guess(f.ssrc, f.seq)?;
                let (hdr, rest) = buf.split_at_mut(f.header_len);
                let nonce = rtp.rtp_nonce(f.ssrc, v, f.seq);
                rtp.open(nonce, hdr, &mut rest[..len - mki_len - f.header_len])?;
                v
            }
        };
        self.table.entry(f.ssrc).commit_rtp(v, f.seq);
        Ok(plain_len)
    }
}
