//! SRTP for a transfer target: the SBC calls a new party on an existing leg (the side
//! that sent REFER), so that party gets an offer of its own under its trunk's policy,
//! with fresh SBC keys: it must not inherit the departing party's keys, whose SRTP
//! contexts (and rollover counters) are the departing party's.
//!
//! - [`target_offer`]: per m= line of the template (the SBC's last SDP on that leg,
//!   which describes the session as it stands), the proto and crypto lines to offer.
//!   `mandatory` offers SRTP, `off` plain RTP, `optional` mirrors the template (the
//!   departing party's leg);
//! - [`TargetSrtp::check_answer`]: the target's answer against that offer (RFC 4568
//!   §7.1.3), giving the keying of each stream facing the target;
//! - [`TargetSrtp::adopt`]: on success the target's state replaces the departing
//!   party's in the call, so later re-INVITEs on either leg see the target's keys.

use sbc_core::ids::LegSide;
use sbc_core::media::SrtpKeying;
use smallvec::SmallVec;

use super::answer::check;
use super::offer::offer_srtp;
use super::{
    parsed_lines, rtp_profile, KeyRng, LegPolicy, LegSrtp, Offered, SectionRewrite, SrtpRefusal,
};
use super::{SrtpPolicy, StreamSrtp};
use crate::sdp::crypto::plain_proto;
use crate::sdp::Sdp;

/// What the SBC offered a transfer target, per m= line.
#[derive(Debug, Clone, Default)]
pub(in crate::b2bua) struct TargetSrtp {
    lines: SmallVec<[LegSrtp; 2]>,
}

/// The offer to a transfer target: per m= line of `template`, the rewrite of its
/// proto and crypto lines, and the state to check the answer against.
pub(in crate::b2bua) fn target_offer(
    template: &Sdp<'_>,
    policy: &LegPolicy,
    rng: &mut dyn KeyRng,
) -> Result<(TargetSrtp, SmallVec<[SectionRewrite; 2]>), SrtpRefusal> {
    let mut state = TargetSrtp::default();
    let mut sections = SmallVec::new();
    for md in template.media() {
        let mut leg = LegSrtp::default();
        let section = match rtp_profile(md.proto) {
            None => SectionRewrite::default(),
            Some((proto, secure)) => {
                let base = plain_proto(proto).unwrap_or(proto);
                let srtp = md.port != 0
                    && match policy.mode {
                        SrtpPolicy::Mandatory => true,
                        SrtpPolicy::Off => false,
                        SrtpPolicy::Optional => secure,
                    };
                if srtp {
                    offer_srtp(&mut leg, &policy.suites, base, rng)?
                } else {
                    leg.offered = Some(Offered::Plain);
                    SectionRewrite {
                        proto: Some(base),
                        crypto: Vec::new(),
                    }
                }
            }
        };
        state.lines.push(leg);
        sections.push(section);
    }
    Ok((state, sections))
}

/// The SBC re-offers `side` the session it last sent it (`transfer::resume`): what
/// it offers on each m= line is what that SDP carries, the SBC's own crypto lines
/// (its keys unchanged) or plain RTP, and the answer is checked against that.
pub(in crate::b2bua) fn reoffered(
    state: &mut SmallVec<[StreamSrtp; 2]>,
    side: LegSide,
    sdp: &Sdp<'_>,
) {
    if state.len() < sdp.media().len() {
        state.resize_with(sdp.media().len(), StreamSrtp::default);
    }
    for (md, stream) in sdp.media().iter().zip(state.iter_mut()) {
        let leg = match side {
            LegSide::A => &mut stream.a,
            LegSide::B => &mut stream.b,
        };
        leg.offered = match rtp_profile(md.proto) {
            None => None,
            Some((_, true)) if md.port != 0 => Some(Offered::Srtp(
                parsed_lines(md)
                    .into_iter()
                    .map(|l| (l.tag, l.suite))
                    .collect(),
            )),
            Some(_) => Some(Offered::Plain),
        };
    }
}

impl TargetSrtp {
    /// Checks the target's answer: per m= line, the keying of the stream facing the
    /// target (`None`: plain RTP or a refused line).
    pub(in crate::b2bua) fn check_answer(
        &self,
        answer: &Sdp<'_>,
    ) -> Result<SmallVec<[Option<SrtpKeying>; 2]>, SrtpRefusal> {
        answer
            .media()
            .iter()
            .zip(&self.lines)
            .map(|(md, leg)| {
                if md.port == 0 {
                    Ok(None)
                } else {
                    check(md, leg)
                }
            })
            .collect()
    }

    /// The target is now the party on `side`: its SRTP state replaces the departing
    /// party's on every m= line.
    pub(in crate::b2bua) fn adopt(self, state: &mut SmallVec<[StreamSrtp; 2]>, side: LegSide) {
        if state.len() < self.lines.len() {
            state.resize_with(self.lines.len(), StreamSrtp::default);
        }
        for (stream, leg) in state.iter_mut().zip(self.lines) {
            match side {
                LegSide::A => stream.a = leg,
                LegSide::B => stream.b = leg,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::Suite;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn policy(mode: SrtpPolicy) -> LegPolicy {
        LegPolicy {
            mode,
            suites: [Suite::AesCm128HmacSha1_80].into_iter().collect(),
        }
    }

    fn sdp(media: &str) -> String {
        format!(
            "v=0\r\no=sbc 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n{media}"
        )
    }

    const OLD_KEY: &str =
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n";

    #[test]
    fn offers_follow_the_target_policy_with_fresh_keys() {
        let template = sdp(&format!("m=audio 4000 RTP/SAVP 0\r\n{OLD_KEY}"));
        let template = Sdp::parse(template.as_bytes()).unwrap();
        let mut rng = StdRng::seed_from_u64(9);
        let (_, optional) =
            target_offer(&template, &policy(SrtpPolicy::Optional), &mut rng).unwrap();
        assert_eq!(optional[0].proto, Some("RTP/SAVP"));
        assert_eq!(optional[0].crypto.len(), 1);
        assert!(!OLD_KEY.contains(&optional[0].crypto[0]));
        let (_, off) = target_offer(&template, &policy(SrtpPolicy::Off), &mut rng).unwrap();
        assert_eq!(off[0].proto, Some("RTP/AVP"));
        assert!(off[0].crypto.is_empty());

        let plain = sdp("m=audio 4000 RTP/AVP 0\r\nm=image 0 udptl t38\r\n");
        let plain = Sdp::parse(plain.as_bytes()).unwrap();
        let (_, mandatory) =
            target_offer(&plain, &policy(SrtpPolicy::Mandatory), &mut rng).unwrap();
        assert_eq!(mandatory[0].proto, Some("RTP/SAVP"));
        assert_eq!(mandatory[0].crypto.len(), 1);
        assert_eq!(mandatory[1].proto, None);
    }

    #[test]
    fn the_answer_must_fit_the_offer_and_is_adopted_on_the_side() {
        let template = sdp("m=audio 4000 RTP/AVP 0\r\n");
        let template = Sdp::parse(template.as_bytes()).unwrap();
        let mut rng = StdRng::seed_from_u64(4);
        let (state, offer) =
            target_offer(&template, &policy(SrtpPolicy::Mandatory), &mut rng).unwrap();
        let tag_and_suite = offer[0].crypto[0].split(" inline:").next().unwrap();
        let plain = sdp("m=audio 6000 RTP/AVP 0\r\n");
        assert_eq!(
            state.check_answer(&Sdp::parse(plain.as_bytes()).unwrap()),
            Err(SrtpRefusal::AnswerNotSrtp { line: 6 })
        );
        let good = sdp(&format!(
            "m=audio 6000 RTP/SAVP 0\r\na=crypto:{tag_and_suite} inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"
        ));
        let keyings = state
            .check_answer(&Sdp::parse(good.as_bytes()).unwrap())
            .unwrap();
        assert!(keyings[0].is_some());
        let mut call_state: SmallVec<[StreamSrtp; 2]> = SmallVec::new();
        state.adopt(&mut call_state, LegSide::B);
        assert!(call_state[0].b.offered.is_some());
        assert!(call_state[0].a.offered.is_none());
    }
}
