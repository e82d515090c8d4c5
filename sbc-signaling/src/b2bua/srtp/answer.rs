//! An answer received on one leg (the responder) for one m= section: it is checked
//! against what the SBC offered that leg, gives the keying of the stream facing the
//! responder, and the answer the other leg gets follows what the SBC accepted from
//! that leg's offer (its proto, and one a=crypto line with the accepted tag and the
//! SBC's key for that leg).
//!
//! RFC 4568 §7.1.3 / §7.5: an answer to an SRTP offer must carry a crypto line whose
//! tag is one the offer had, with that tag's suite; otherwise the offerer considers the
//! media stream rejected. The SBC also requires the answer's proto to be the offer's
//! kind (an RTP/SAVP offer needs an RTP/SAVP answer, a plain offer a plain answer), and
//! the accepted line to be usable (one key, no refused parameter).

use sbc_core::media::SrtpKeying;

use super::keying::{keying, line as crypto_line};
use super::{parsed_lines, rtp_profile, LegSrtp, Offered, SectionRewrite, SrtpRefusal};
use crate::sdp::MediaDescription;

pub(super) fn line(
    md: &MediaDescription<'_>,
    responder: &LegSrtp,
    other: &LegSrtp,
) -> Result<(SectionRewrite, Option<SrtpKeying>), SrtpRefusal> {
    let keying = if md.port == 0 {
        None
    } else {
        check(md, responder)?
    };
    let Some(accepted) = other.accepted.as_ref() else {
        // No offer from the other leg on this line that the SBC judged: keep the proto,
        // drop any crypto.
        return Ok((SectionRewrite::default(), keying));
    };
    let mut section = SectionRewrite {
        proto: Some(accepted.proto),
        crypto: Vec::new(),
    };
    if let Some((tag, suite)) = accepted.srtp.as_ref().filter(|_| md.port != 0) {
        let own = other.existing_key(suite).ok_or(SrtpRefusal::Internal)?;
        section.crypto.push(crypto_line(own, *tag));
    }
    Ok((section, keying))
}

/// Checks the responder's answer against the SBC's offer; the keying if SRTP.
pub(super) fn check(
    md: &MediaDescription<'_>,
    responder: &LegSrtp,
) -> Result<Option<SrtpKeying>, SrtpRefusal> {
    let line = md.line();
    let secure = rtp_profile(md.proto).map(|(_, secure)| secure);
    match (&responder.offered, secure) {
        // A line the SBC never offered (not RTP, or beyond the offer): nothing to check.
        (None, _) => Ok(None),
        (Some(Offered::Plain), Some(false)) => Ok(None),
        (Some(Offered::Plain), _) => Err(SrtpRefusal::AnswerNotPlain { line }),
        (Some(Offered::Srtp(tags)), Some(true)) => {
            let lines = parsed_lines(md);
            let peer = lines
                .iter()
                .find(|l| tags.iter().any(|(tag, _)| *tag == l.tag))
                .ok_or(SrtpRefusal::AnswerMismatch { line })?;
            let offered_suite = tags.iter().find(|(tag, _)| *tag == peer.tag);
            if offered_suite.map(|(_, s)| s) != Some(&peer.suite) || peer.usable().is_err() {
                return Err(SrtpRefusal::AnswerMismatch { line });
            }
            let own = responder
                .existing_key(&peer.suite)
                .ok_or(SrtpRefusal::Internal)?;
            Ok(Some(keying(peer, own)?))
        }
        (Some(Offered::Srtp(_)), _) => Err(SrtpRefusal::AnswerNotSrtp { line }),
    }
}
