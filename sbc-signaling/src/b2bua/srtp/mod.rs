//! SRTP at the B2BUA (SDES, RFC 4568; suites of RFC 3711 and RFC 7714): each leg's
//! security follows its trunk's policy, and the SBC owns the keys of both legs. It
//! answers an SRTP offer with one `a=crypto` line (the accepted tag and suite, its own
//! key), offers its own keys on the other leg, checks the answers it gets, and tells
//! the media plane, per stream, the peer's key (inbound) and its own (outbound).
//! `a=crypto` never crosses the SBC: every m= section of every SDP it relays has its
//! crypto lines replaced or removed.
//!
//! - this file: the per-leg policy ([`LegPolicy`]), the per-call state ([`StreamSrtp`])
//!   and why an SDP is refused ([`SrtpRefusal`]);
//! - `offer`: an offer received on one leg, and the offer the other leg gets;
//! - `answer`: an answer received on one leg, and the answer the other leg gets;
//! - `keying`: the conversion to the media port's `SrtpKeying`;
//! - `transfer`: the offer to a transfer target (a new peer on an existing leg: fresh
//!   keys), the check of its answer, and the hand-over of the leg's state.
//!
//! Only m= sections with an RTP profile (RTP/AVP, RTP/AVPF and their SAVP forms) are
//! subject to the policy; others (T.38 `udptl`, DTLS `UDP/TLS/RTP/SAVPF`) keep their
//! proto and lose any crypto line. SRTP on a leg requires an RTP/SAVP(F) offer: crypto
//! lines in an RTP/AVP offer ("best effort SRTP", never standardised) are ignored, and
//! that leg is plain. Keys are never logged: `KeyParam` and `CryptoAttr` redact them.

mod answer;
pub(super) mod keying;
mod offer;
mod transfer;

pub(super) use transfer::{reoffered, target_offer, TargetSrtp};

use rand::{CryptoRng, RngCore};
use sbc_core::config::{SrtpPolicy, TrunkConfig};
use sbc_core::ids::LegSide;
use sbc_core::media::{SrtpKeying, SrtpSuite};
use smallvec::SmallVec;
use zeroize::Zeroize;

use crate::sdp::{CryptoAttr, CryptoError, Sdp, Suite};

/// A cryptographically secure random generator for the SBC's SRTP keys. The engine
/// holds one as a trait object so the daemon can give it the OS generator and tests a
/// seeded one (deterministic keys).
pub trait KeyRng: RngCore + CryptoRng + Send {}

impl<T: RngCore + CryptoRng + Send> KeyRng for T {}

/// One leg's SRTP policy: its trunk's `srtp` and `srtp_suites`.
#[derive(Debug, Clone)]
pub(super) struct LegPolicy {
    pub(super) mode: SrtpPolicy,
    /// Most preferred first; tags of an offer are 1..=n in this order.
    pub(super) suites: SmallVec<[Suite; 4]>,
}

impl LegPolicy {
    /// The policy of a leg toward `trunk`; a leg with no trunk (none configured for it)
    /// gets the defaults: optional, every suite.
    pub(super) fn of(trunk: Option<&TrunkConfig>) -> LegPolicy {
        let suites: &[SrtpSuite] = trunk.map_or(&SrtpSuite::ALL, |t| &t.srtp_suites);
        LegPolicy {
            mode: trunk.map_or(SrtpPolicy::Optional, |t| t.srtp),
            suites: suites.iter().map(|s| keying::suite_from(*s)).collect(),
        }
    }
}

/// The policies of both legs of a call, indexed by side.
#[derive(Debug, Clone)]
pub(super) struct LegPolicies {
    pub(super) a: LegPolicy,
    pub(super) b: LegPolicy,
}

impl LegPolicies {
    pub(super) fn of(&self, side: LegSide) -> &LegPolicy {
        match side {
            LegSide::A => &self.a,
            LegSide::B => &self.b,
        }
    }
}

/// Whether the SDP being anchored is an offer or an answer (RFC 3264): the caller
/// knows from the message it came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SdpRole {
    Offer,
    Answer,
}

/// What the SBC last offered one leg on one m= line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Offered {
    Plain,
    /// The (tag, suite) of each a=crypto line offered.
    Srtp(SmallVec<[(u32, Suite); 4]>),
}

/// How the SBC answers the offer one leg last sent on one m= line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Accepted {
    /// The proto of that leg's offer, which the answer must repeat (RFC 3264 §6).
    proto: &'static str,
    /// The accepted (tag, suite), `None` for plain RTP.
    srtp: Option<(u32, Suite)>,
}

/// One leg's SRTP state on one m= line.
#[derive(Debug, Clone, Default)]
struct LegSrtp {
    /// The SBC's own keys toward this leg, at most one per suite, created on first use
    /// and reused in every later offer and answer: the same key in a re-INVITE keeps
    /// the media plane's crypto state (ROC). Tags in these lines are meaningless.
    own: SmallVec<[CryptoAttr; 1]>,
    offered: Option<Offered>,
    accepted: Option<Accepted>,
}

impl LegSrtp {
    /// The SBC's key for `suite` on this leg, created from `rng` the first time.
    fn own_key(&mut self, suite: &Suite, rng: &mut dyn KeyRng) -> Result<&CryptoAttr, SrtpRefusal> {
        let index = match self.own.iter().position(|a| a.suite == *suite) {
            Some(i) => i,
            None => {
                let mut rng = rng;
                let attr = CryptoAttr::generate(0, suite.clone(), &mut rng)
                    .map_err(SrtpRefusal::KeyGeneration)?;
                self.own.push(attr);
                self.own.len() - 1
            }
        };
        self.own.get(index).ok_or(SrtpRefusal::Internal)
    }

    /// The SBC's existing key for `suite` on this leg.
    fn existing_key(&self, suite: &Suite) -> Option<&CryptoAttr> {
        self.own.iter().find(|a| a.suite == *suite)
    }
}

/// SRTP state of one m= line of a call: one entry per leg.
#[derive(Debug, Clone, Default)]
pub struct StreamSrtp {
    a: LegSrtp,
    b: LegSrtp,
}

impl StreamSrtp {
    fn legs(&mut self, from: LegSide) -> (&mut LegSrtp, &mut LegSrtp) {
        match from {
            LegSide::A => (&mut self.a, &mut self.b),
            LegSide::B => (&mut self.b, &mut self.a),
        }
    }
}

/// What to write into one m= section of the copy sent on the other leg, owned (the
/// crypto values hold keys: zeroed on drop).
#[derive(Default)]
pub(super) struct SectionRewrite {
    pub(super) proto: Option<&'static str>,
    pub(super) crypto: Vec<String>,
}

impl Drop for SectionRewrite {
    fn drop(&mut self) {
        for line in &mut self.crypto {
            line.zeroize();
        }
    }
}

/// The outcome of negotiating one SDP: per m= line, the rewrite for the other leg's
/// copy and the keying of the stream facing the sender (`None`: plain RTP).
#[derive(Default)]
pub(super) struct Negotiated {
    pub(super) sections: SmallVec<[SectionRewrite; 2]>,
    pub(super) keyings: SmallVec<[Option<SrtpKeying>; 2]>,
}

/// Why the SBC refuses an SDP on SRTP grounds. Carries no key material. `line` is the
/// 1-based line of the m= in the body.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SrtpRefusal {
    #[error("m= line {line}: the trunk requires SRTP (RTP/SAVP with a=crypto)")]
    Required { line: usize },
    #[error("m= line {line}: SRTP-only offer on a trunk with SRTP off")]
    NotAllowed { line: usize },
    #[error("m= line {line}: no usable a=crypto line (suite, key or parameters)")]
    NoUsableCrypto { line: usize },
    #[error("m= line {line}: SRTP was offered but the answer is not RTP/SAVP(F)")]
    AnswerNotSrtp { line: usize },
    #[error("m= line {line}: plain RTP was offered but the answer is not RTP/AVP(F)")]
    AnswerNotPlain { line: usize },
    /// RFC 4568 §7.1.3/§7.5: the answer must accept one offered tag with its suite.
    #[error("m= line {line}: the answer accepts no offered a=crypto tag and suite")]
    AnswerMismatch { line: usize },
    #[error("SRTP key generation failed: {0}")]
    KeyGeneration(CryptoError),
    #[error("trunk SRTP policy names no suite")]
    NoSuites,
    #[error("internal SRTP state error")]
    Internal,
}

/// Negotiates SRTP for the SDP `from` sent, in `role`, on `state` (one entry per m=
/// line, grown as needed). On error `state` may be half-updated: the caller works on a
/// copy and keeps it only on success, so a refused SDP changes nothing.
pub(super) fn negotiate(
    state: &mut SmallVec<[StreamSrtp; 2]>,
    sdp: &Sdp<'_>,
    from: LegSide,
    role: SdpRole,
    policies: &LegPolicies,
    rng: &mut dyn KeyRng,
) -> Result<Negotiated, SrtpRefusal> {
    if state.len() < sdp.media().len() {
        state.resize_with(sdp.media().len(), StreamSrtp::default);
    }
    let mut out = Negotiated::default();
    for (md, stream) in sdp.media().iter().zip(state.iter_mut()) {
        let (sender, other) = stream.legs(from);
        let (section, keying) = match role {
            SdpRole::Offer => offer::line(md, sender, other, policies, from, rng)?,
            SdpRole::Answer => answer::line(md, sender, other)?,
        };
        out.sections.push(section);
        out.keyings.push(keying);
    }
    Ok(out)
}

/// Whether `proto` is an RTP profile the policy applies to, as a static string, and
/// whether it is the secure one.
fn rtp_profile(proto: &str) -> Option<(&'static str, bool)> {
    match proto {
        "RTP/AVP" => Some(("RTP/AVP", false)),
        "RTP/AVPF" => Some(("RTP/AVPF", false)),
        "RTP/SAVP" => Some(("RTP/SAVP", true)),
        "RTP/SAVPF" => Some(("RTP/SAVPF", true)),
        _ => None,
    }
}

/// Every a=crypto line of a section that parses; malformed ones are skipped like
/// unusable ones (RFC 4568 §7.1.2: the answerer picks among acceptable lines).
fn parsed_lines(md: &crate::sdp::MediaDescription<'_>) -> SmallVec<[CryptoAttr; 4]> {
    crate::sdp::crypto_lines(md)
        .filter_map(Result::ok)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const AES80: &str = "AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

    fn policies(a: SrtpPolicy, b: SrtpPolicy) -> LegPolicies {
        let p = |mode| LegPolicy {
            mode,
            suites: [Suite::AesCm128HmacSha1_80, Suite::AeadAes128Gcm]
                .into_iter()
                .collect(),
        };
        LegPolicies { a: p(a), b: p(b) }
    }

    fn body(media: &str) -> String {
        format!("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n{media}")
    }

    fn run(
        state: &mut SmallVec<[StreamSrtp; 2]>,
        text: &str,
        from: LegSide,
        role: SdpRole,
        p: &LegPolicies,
    ) -> Result<Negotiated, SrtpRefusal> {
        let text = body(text);
        let sdp = Sdp::parse(text.as_bytes()).unwrap();
        let mut rng = StdRng::seed_from_u64(3);
        negotiate(state, &sdp, from, role, p, &mut rng)
    }

    #[test]
    fn audio_and_video_each_negotiated_disabled_and_non_rtp_lines_carry_no_crypto() {
        let p = policies(SrtpPolicy::Optional, SrtpPolicy::Optional);
        let mut state = SmallVec::new();
        let offer = format!(
            "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 {AES80}\r\n\
             m=video 4002 RTP/SAVPF 96\r\na=crypto:3 {AES80}\r\n\
             m=video 0 RTP/SAVP 97\r\na=crypto:1 {AES80}\r\n\
             m=image 4004 udptl t38\r\na=crypto:1 {AES80}\r\n"
        );
        let out = run(&mut state, &offer, LegSide::A, SdpRole::Offer, &p).unwrap();
        let protos: Vec<_> = out.sections.iter().map(|s| s.proto).collect();
        assert_eq!(protos, [Some("RTP/SAVP"), Some("RTP/SAVPF"), None, None]);
        let lines: Vec<_> = out.sections.iter().map(|s| s.crypto.len()).collect();
        assert_eq!(lines, [2, 2, 0, 0]);
        let keyed: Vec<_> = out.keyings.iter().map(Option::is_some).collect();
        assert_eq!(keyed, [true, true, false, false]);
        // The audio and video keys toward B differ.
        assert_ne!(out.sections[0].crypto[0], out.sections[1].crypto[0]);

        let answer = format!(
            "m=audio 6000 RTP/SAVP 0\r\na=crypto:2 AEAD_AES_128_GCM inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3OA==\r\n\
             m=video 6002 RTP/SAVPF 96\r\na=crypto:1 {AES80}\r\n\
             m=video 0 RTP/SAVP 97\r\nm=image 6004 udptl t38\r\n"
        );
        let back = run(&mut state, &answer, LegSide::B, SdpRole::Answer, &p).unwrap();
        // A gets one line per stream with its own tags (1 and 3) and AES-CM.
        let a: Vec<_> = back.sections.iter().map(|s| s.crypto.clone()).collect();
        assert!(a[0][0].starts_with("1 AES_CM_128_HMAC_SHA1_80 inline:"));
        assert!(a[1][0].starts_with("3 AES_CM_128_HMAC_SHA1_80 inline:"));
        assert!(a[2].is_empty() && a[3].is_empty());
        assert_eq!(back.sections[2].proto, Some("RTP/SAVP"));
        let keyed: Vec<_> = back.keyings.iter().map(Option::is_some).collect();
        assert_eq!(keyed, [true, true, false, false]);
    }

    #[test]
    fn answers_that_do_not_fit_the_offer_are_refused() {
        let p = policies(SrtpPolicy::Optional, SrtpPolicy::Mandatory);
        let mut state = SmallVec::new();
        run(
            &mut state,
            "m=audio 4000 RTP/AVP 0\r\n",
            LegSide::A,
            SdpRole::Offer,
            &p,
        )
        .unwrap();
        let wrong_suite = format!("m=audio 6000 RTP/SAVP 0\r\na=crypto:2 {AES80}\r\n");
        let plain = "m=audio 6000 RTP/AVP 0\r\n";
        let udptl = "m=audio 6000 udptl t38\r\n";
        let e = |text: &str| {
            let mut s = state.clone();
            run(&mut s, text, LegSide::B, SdpRole::Answer, &p).err()
        };
        assert_eq!(
            e(&wrong_suite),
            Some(SrtpRefusal::AnswerMismatch { line: 6 })
        );
        assert_eq!(e(plain), Some(SrtpRefusal::AnswerNotSrtp { line: 6 }));
        assert_eq!(e(udptl), Some(SrtpRefusal::AnswerNotSrtp { line: 6 }));
        let ok = format!("m=audio 6000 RTP/SAVP 0\r\na=crypto:1 {AES80}\r\n");
        let back = run(&mut state, &ok, LegSide::B, SdpRole::Answer, &p).unwrap();
        assert_eq!(back.sections[0].proto, Some("RTP/AVP"));
        assert!(back.sections[0].crypto.is_empty());
    }

    #[test]
    fn offers_against_the_policy_are_refused() {
        let srtp = format!("m=audio 4000 RTP/SAVP 0\r\na=crypto:1 {AES80}\r\n");
        let e = |a, text: &str| {
            let p = policies(a, SrtpPolicy::Optional);
            run(&mut SmallVec::new(), text, LegSide::A, SdpRole::Offer, &p).err()
        };
        assert_eq!(
            e(SrtpPolicy::Off, &srtp),
            Some(SrtpRefusal::NotAllowed { line: 6 })
        );
        let plain = "m=audio 4000 RTP/AVP 0\r\n";
        assert_eq!(
            e(SrtpPolicy::Mandatory, plain),
            Some(SrtpRefusal::Required { line: 6 })
        );
        let f8 = "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 F8_128_HMAC_SHA1_80 inline:x\r\n";
        assert_eq!(
            e(SrtpPolicy::Optional, f8),
            Some(SrtpRefusal::NoUsableCrypto { line: 6 })
        );
        // Crypto in an RTP/AVP offer is ignored: the leg is plain.
        let best_effort = format!("m=audio 4000 RTP/AVP 0\r\na=crypto:1 {AES80}\r\n");
        assert_eq!(e(SrtpPolicy::Optional, &best_effort), None);
    }
}
