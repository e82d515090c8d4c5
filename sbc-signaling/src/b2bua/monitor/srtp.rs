//! SDES-SRTP (RFC 4568) on a supervisor's leg: `[monitoring]` `srtp` and
//! `srtp_suites`, with a trunk's semantics.
//!
//! - Join (`answer::accept`, then `LegKeys::new`): the first audio line acceptable
//!   under the policy is answered. RTP/SAVP(F) needs a policy other than `off` and a
//!   usable `a=crypto` line; the first one in `srtp_suites` order is accepted
//!   (RFC 4568 §7.1.2) and answered with ONE line: its tag and suite, and a fresh SBC
//!   key from the engine's CSPRNG. RTP/AVP(F) is refused under `mandatory`. The media
//!   plane gets the supervisor's key inbound and the SBC's outbound.
//! - Re-INVITE (`monitor_reinvite`): a leg keeps the security it joined with, whatever
//!   a reload did to the policy since. An SRTP leg's re-offer must carry the accepted
//!   line again (same tag, suite and key): the answer repeats the SBC's line and key,
//!   and the media plane gets the same keying, so its SRTP contexts (ROC, replay
//!   window) survive. A re-offer that changes the crypto (new key, another tag or
//!   suite, plain RTP), or SRTP on a plain leg, is refused with 488 and the session is
//!   unchanged (RFC 3264 §8): there is no re-keying; a supervisor who must re-key
//!   hangs up and joins again.
//!
//! Keys are never logged: `CryptoAttr` and `SrtpKey` redact them in Debug, and the
//! key and salt pass through a buffer zeroed on drop.

use rand::{CryptoRng, RngCore};
use sbc_core::config::SrtpPolicy;
use sbc_core::media::{SrtpKey, SrtpKeying};
use sbc_core::monitoring::MonitoringConfig;
use smallvec::SmallVec;
use zeroize::Zeroizing;

use crate::sdp::{CryptoAttr, CryptoError, Suite};

/// What a supervisor's offer must be to be answered.
#[derive(Debug, Clone)]
pub(super) struct Policy {
    pub(super) mode: SrtpPolicy,
    /// Most preferred first.
    pub(super) suites: SmallVec<[Suite; 4]>,
}

impl Policy {
    /// The policy of a new join: `[monitoring]` `srtp` and `srtp_suites`.
    pub(super) fn of(config: &MonitoringConfig) -> Policy {
        Policy {
            mode: config.srtp,
            suites: config
                .srtp_suites
                .iter()
                .map(|s| Suite::from_name(s.sdes_name()))
                .collect(),
        }
    }

    /// The policy of a re-offer on an admitted leg: SRTP with the accepted suite for
    /// an SRTP leg (whose line must then be the accepted one, `LegKeys::same_peer`),
    /// plain RTP for a plain leg.
    pub(super) fn pinned(keys: Option<&LegKeys>) -> Policy {
        match keys {
            Some(k) => Policy {
                mode: SrtpPolicy::Mandatory,
                suites: SmallVec::from_iter([k.peer.suite.clone()]),
            },
            None => Policy {
                mode: SrtpPolicy::Off,
                suites: SmallVec::new(),
            },
        }
    }
}

/// Why an SRTP leg's keys cannot be set up (500: the offer was fine).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum KeyProblem {
    #[error("SRTP key generation failed: {0}")]
    Generation(CryptoError),
    #[error("SRTP key conversion failed")]
    Conversion,
}

/// The crypto of an SRTP supervisor leg, kept for its life: the line accepted from
/// the supervisor and the SBC's own (same tag and suite). Debug shows no key.
#[derive(Debug, Clone)]
pub(super) struct LegKeys {
    peer: CryptoAttr,
    own: CryptoAttr,
}

impl LegKeys {
    /// The keys for an accepted line (a usable one): the SBC's key is fresh from `rng`
    /// (a CSPRNG).
    pub(super) fn new<R: RngCore + CryptoRng>(
        peer: CryptoAttr,
        rng: &mut R,
    ) -> Result<LegKeys, KeyProblem> {
        let own = CryptoAttr::generate(peer.tag, peer.suite.clone(), rng)
            .map_err(KeyProblem::Generation)?;
        let keys = LegKeys { peer, own };
        // Refuse now, not at the first re-INVITE, keys the media port cannot take.
        keys.keying()?;
        Ok(keys)
    }

    /// The media plane's keying: the supervisor's key inbound, the SBC's outbound.
    pub(super) fn keying(&self) -> Result<SrtpKeying, KeyProblem> {
        Ok(SrtpKeying {
            inbound: media_key(&self.peer)?,
            outbound: media_key(&self.own)?,
        })
    }

    /// The value of the answer's `a=crypto` (the accepted tag and suite, the SBC's
    /// key), zeroed when dropped.
    pub(super) fn answer_line(&self) -> Zeroizing<String> {
        Zeroizing::new(self.own.to_string())
    }

    /// Whether `line` (from a re-offer) is the line accepted at join: same tag, suite,
    /// key, salt and MKI.
    pub(super) fn same_peer(&self, line: &CryptoAttr) -> bool {
        line.tag == self.peer.tag
            && matches!(
                (media_key(line), media_key(&self.peer)),
                (Ok(a), Ok(b)) if a == b
            )
    }
}

/// The media port's key of a usable line (the conversion the call legs use).
fn media_key(attr: &CryptoAttr) -> Result<SrtpKey, KeyProblem> {
    crate::b2bua::srtp::keying::key_of(attr).map_err(|_| KeyProblem::Conversion)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use sbc_core::media::{SrtpMki, SrtpSuite};

    const PEER: &str =
        "3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";

    #[test]
    fn the_sbc_answers_the_peers_tag_and_suite_with_its_own_key() {
        let peer = CryptoAttr::parse(PEER).unwrap();
        let keys = LegKeys::new(peer.clone(), &mut StdRng::seed_from_u64(9)).unwrap();
        let line = keys.answer_line();
        assert!(
            line.starts_with("3 AES_CM_128_HMAC_SHA1_80 inline:"),
            "redacted"
        );
        let own = CryptoAttr::parse(&line).unwrap();
        let keying = keys.keying().unwrap();
        let k = peer.key().unwrap();
        assert_eq!(
            keying.inbound.key_salt(),
            [k.master_key(), k.master_salt()].concat()
        );
        assert_eq!(keying.inbound.mki(), Some(SrtpMki::new(1, 4).unwrap()));
        assert_eq!(keying.outbound, media_key(&own).unwrap());
        assert_ne!(keying.inbound.key_salt(), keying.outbound.key_salt());
        assert!(keys.same_peer(&peer));
        // Another key, tag or MKI is another line.
        let other = CryptoAttr::parse(&PEER.replace("PS1u", "QS1u")).unwrap();
        assert!(!keys.same_peer(&other));
        let retagged = CryptoAttr::parse(&PEER.replacen('3', "4", 1)).unwrap();
        assert!(!keys.same_peer(&retagged));
        let mki = CryptoAttr::parse(&PEER.replace("|1:4", "|2:4")).unwrap();
        assert!(!keys.same_peer(&mki));
        // Debug shows no key material.
        let shown = format!("{keys:?}");
        assert!(!shown.contains("PS1u") && !shown.contains(own.to_string().as_str()));
    }

    #[test]
    fn policies() {
        let config = MonitoringConfig {
            srtp_suites: vec![SrtpSuite::AeadAes128Gcm],
            ..MonitoringConfig::default()
        };
        let p = Policy::of(&config);
        assert_eq!(p.mode, SrtpPolicy::Optional);
        assert_eq!(p.suites.as_slice(), [Suite::AeadAes128Gcm]);
        assert_eq!(Policy::pinned(None).mode, SrtpPolicy::Off);
        let peer = CryptoAttr::parse(PEER).unwrap();
        let keys = LegKeys::new(peer, &mut StdRng::seed_from_u64(1)).unwrap();
        let pinned = Policy::pinned(Some(&keys));
        assert_eq!(pinned.mode, SrtpPolicy::Mandatory);
        assert_eq!(pinned.suites.as_slice(), [Suite::AesCm128HmacSha1_80]);
    }
}
