//! From SDES lines to the media port's keys: the signaling crate's [`Suite`] and
//! [`CryptoAttr`] become `sbc_core::media`'s `SrtpSuite` and `SrtpKey`. The master key
//! and salt pass through a buffer that is zeroed when dropped.

use sbc_core::media::{SrtpKey, SrtpKeying, SrtpMki, SrtpSuite};
use zeroize::Zeroizing;

use super::SrtpRefusal;
use crate::sdp::{CryptoAttr, Suite};

/// The SDP suite of a media-port suite.
pub(super) fn suite_from(suite: SrtpSuite) -> Suite {
    match suite {
        SrtpSuite::AesCm128HmacSha1_80 => Suite::AesCm128HmacSha1_80,
        SrtpSuite::AesCm128HmacSha1_32 => Suite::AesCm128HmacSha1_32,
        SrtpSuite::AeadAes128Gcm => Suite::AeadAes128Gcm,
        SrtpSuite::AeadAes256Gcm => Suite::AeadAes256Gcm,
    }
}

/// The media-port suite of an SDP suite; `None` for one the SBC does not implement.
fn suite_to(suite: &Suite) -> Option<SrtpSuite> {
    match suite {
        Suite::AesCm128HmacSha1_80 => Some(SrtpSuite::AesCm128HmacSha1_80),
        Suite::AesCm128HmacSha1_32 => Some(SrtpSuite::AesCm128HmacSha1_32),
        Suite::AeadAes128Gcm => Some(SrtpSuite::AeadAes128Gcm),
        Suite::AeadAes256Gcm => Some(SrtpSuite::AeadAes256Gcm),
        Suite::Unsupported(_) => None,
    }
}

/// The media-port key of a usable line (one key; an MKI of at most 4 octets).
pub(in crate::b2bua) fn key_of(attr: &CryptoAttr) -> Result<SrtpKey, SrtpRefusal> {
    let suite = suite_to(&attr.suite).ok_or(SrtpRefusal::Internal)?;
    let key = attr.key().ok_or(SrtpRefusal::Internal)?;
    let mut key_salt = Zeroizing::new([0u8; 64]);
    let (k, s) = (key.master_key(), key.master_salt());
    let total = k.len() + s.len();
    key_salt
        .get_mut(..k.len())
        .ok_or(SrtpRefusal::Internal)?
        .copy_from_slice(k);
    key_salt
        .get_mut(k.len()..total)
        .ok_or(SrtpRefusal::Internal)?
        .copy_from_slice(s);
    let mki = match key.mki {
        Some(m) => Some(SrtpMki::new(m.value, m.len).map_err(|_| SrtpRefusal::Internal)?),
        None => None,
    };
    let bytes = key_salt.get(..total).ok_or(SrtpRefusal::Internal)?;
    SrtpKey::new(suite, bytes, mki).map_err(|_| SrtpRefusal::Internal)
}

/// The keying of a stream: `peer` is the line its peer sent (the key it protects
/// with), `own` the SBC's line toward that peer.
pub(super) fn keying(peer: &CryptoAttr, own: &CryptoAttr) -> Result<SrtpKeying, SrtpRefusal> {
    Ok(SrtpKeying {
        inbound: key_of(peer)?,
        outbound: key_of(own)?,
    })
}

/// The line the SBC writes: its own key for the suite, under `tag`.
pub(super) fn line(own: &CryptoAttr, tag: u32) -> String {
    CryptoAttr {
        tag,
        suite: own.suite.clone(),
        keys: own.keys.clone(),
        params: Default::default(),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn suites_round_trip() {
        for s in SrtpSuite::ALL {
            assert_eq!(suite_to(&suite_from(s)), Some(s));
        }
        assert_eq!(suite_to(&Suite::Unsupported("X".into())), None);
    }

    #[test]
    fn key_and_salt_are_joined_and_mki_kept() {
        let attr = CryptoAttr::parse(
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4",
        )
        .unwrap();
        let key = key_of(&attr).unwrap();
        let k = attr.key().unwrap();
        assert_eq!(key.key_salt(), [k.master_key(), k.master_salt()].concat());
        assert_eq!(key.mki(), Some(SrtpMki::new(1, 4).unwrap()));
        let own =
            CryptoAttr::generate(1, Suite::AeadAes256Gcm, &mut StdRng::seed_from_u64(1)).unwrap();
        assert_eq!(key_of(&own).unwrap().key_salt().len(), 44);
        assert!(line(&own, 7).starts_with("7 AEAD_AES_256_GCM inline:"));
    }
}
