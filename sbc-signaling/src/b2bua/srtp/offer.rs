//! An offer received on one leg (the sender) for one m= section: what the SBC will
//! answer the sender (judged now, by the sender's policy), the keying of the stream
//! facing the sender, and the offer the other leg gets (by the other leg's policy).
//!
//! The sender's policy (RFC 4568 §7.1.2 for the choice among lines):
//! - RTP/SAVP(F): `off` refuses it (the SBC cannot answer SAVP without crypto);
//!   otherwise the first usable line in the trunk's suite order is accepted; none
//!   usable refuses the offer.
//! - RTP/AVP(F): `mandatory` refuses it; otherwise the leg is plain.
//!
//! The other leg's offer: `mandatory` is SRTP, `off` plain, `optional` mirrors the
//! sender. An SRTP offer carries one line per configured suite, tags 1..=n, with the
//! SBC's keys for that leg (the same keys in every offer of the call).

use sbc_core::config::SrtpPolicy;
use sbc_core::ids::LegSide;
use sbc_core::media::SrtpKeying;
use smallvec::SmallVec;

use super::keying::{keying, line as crypto_line};
use super::{
    parsed_lines, rtp_profile, Accepted, KeyRng, LegPolicies, LegSrtp, Offered, SectionRewrite,
    SrtpRefusal,
};
use crate::sdp::crypto::{choose, plain_proto, secure_proto};
use crate::sdp::MediaDescription;

pub(super) fn line(
    md: &MediaDescription<'_>,
    sender: &mut LegSrtp,
    other: &mut LegSrtp,
    policies: &LegPolicies,
    from: LegSide,
    rng: &mut dyn KeyRng,
) -> Result<(SectionRewrite, Option<SrtpKeying>), SrtpRefusal> {
    let Some((proto, secure)) = rtp_profile(md.proto) else {
        // Not RTP: no policy, no state; crypto lines still never cross.
        sender.accepted = None;
        other.offered = None;
        return Ok((SectionRewrite::default(), None));
    };
    if md.port == 0 {
        // A disabled stream carries no crypto either way (RFC 3264 §8.2).
        sender.accepted = Some(Accepted { proto, srtp: None });
        other.offered = Some(Offered::Plain);
        return Ok((SectionRewrite::default(), None));
    }
    let (mine, theirs) = (policies.of(from), policies.of(from.other()));
    let line = md.line();
    let lines = parsed_lines(md);
    let chosen = match (secure, mine.mode) {
        (true, SrtpPolicy::Off) => return Err(SrtpRefusal::NotAllowed { line }),
        (true, _) => {
            Some(choose(&lines, &mine.suites).ok_or(SrtpRefusal::NoUsableCrypto { line })?)
        }
        (false, SrtpPolicy::Mandatory) => return Err(SrtpRefusal::Required { line }),
        (false, _) => None,
    };
    let keying = match chosen {
        Some(peer) => Some(keying(peer, sender.own_key(&peer.suite, rng)?)?),
        None => None,
    };
    sender.accepted = Some(Accepted {
        proto,
        srtp: chosen.map(|c| (c.tag, c.suite.clone())),
    });
    let srtp_out = match theirs.mode {
        SrtpPolicy::Mandatory => true,
        SrtpPolicy::Off => false,
        SrtpPolicy::Optional => chosen.is_some(),
    };
    let base = plain_proto(proto).unwrap_or(proto);
    let section = if srtp_out {
        offer_srtp(other, &theirs.suites, base, rng)?
    } else {
        other.offered = Some(Offered::Plain);
        SectionRewrite {
            proto: Some(base),
            crypto: Vec::new(),
        }
    };
    Ok((section, keying))
}

/// The SRTP offer toward `leg`: one line per suite, tags 1..=n.
pub(super) fn offer_srtp(
    leg: &mut LegSrtp,
    suites: &[crate::sdp::Suite],
    base: &'static str,
    rng: &mut dyn KeyRng,
) -> Result<SectionRewrite, SrtpRefusal> {
    if suites.is_empty() {
        return Err(SrtpRefusal::NoSuites);
    }
    let mut tags = SmallVec::new();
    let mut crypto = Vec::with_capacity(suites.len());
    for (tag, suite) in (1u32..).zip(suites) {
        crypto.push(crypto_line(leg.own_key(suite, rng)?, tag));
        tags.push((tag, suite.clone()));
    }
    leg.offered = Some(Offered::Srtp(tags));
    Ok(SectionRewrite {
        proto: secure_proto(base).or(Some(base)),
        crypto,
    })
}
