//! The SDP offer a transfer target gets. It is made from the SBC's last SDP on the
//! departing party's leg (the template: the session as it stands, the SBC's own
//! endpoint on that leg, which the target takes over), changed where a new party needs
//! it:
//! - formats: only those the session negotiated, i.e. those in both legs' last SDPs
//!   (one of the two is the offer, the other the answer, a subset of it). The other
//!   party keeps sending what it sends now, so the target must not pick anything else;
//!   that is what lets the transfer go without touching the other party's leg;
//! - direction: sendrecv. The template may be on hold (the departing party often holds
//!   the other party before it transfers); the target is a new party and talks;
//! - o=: the new dialog's own session id, version 1;
//! - proto and a=crypto: for the target's trunk policy, with fresh SBC keys
//!   (`srtp::target_offer`).

use std::net::IpAddr;

use sbc_core::media::LocalEndpoint;
use smallvec::SmallVec;

use crate::b2bua::anchor::AnchorError;
use crate::b2bua::srtp::{self, KeyRng, LegPolicy, TargetSrtp};
use crate::sdp::{rewrite, RewritePlan, Sdp, SecurityRewrite};

/// What is needed to write the offer.
pub(super) struct OfferInput<'a> {
    /// The SBC's last SDP on the departing party's leg.
    pub template: &'a [u8],
    /// The SBC's last SDP on the other leg.
    pub other: &'a [u8],
    /// Per m= line, the SBC's endpoint on the departing party's leg.
    pub endpoints: &'a [Option<LocalEndpoint>],
    pub media_ip: IpAddr,
    pub session_id: u64,
    pub policy: &'a LegPolicy,
}

/// Writes the offer into `out`; returns the SRTP state to check the answer with.
pub(super) fn write(
    input: &OfferInput<'_>,
    rng: &mut dyn KeyRng,
    out: &mut Vec<u8>,
) -> Result<TargetSrtp, AnchorError> {
    let template = Sdp::parse(input.template)?;
    let other = Sdp::parse(input.other).ok();
    let (state, sections) = srtp::target_offer(&template, input.policy, rng)?;
    let security: SmallVec<[Option<SecurityRewrite<'_>>; 4]> = sections
        .iter()
        .map(|s| {
            Some(SecurityRewrite {
                proto: s.proto,
                crypto: &s.crypto,
            })
        })
        .collect();
    // One endpoint per m= line of the template; a line it disables stays disabled.
    let endpoints: SmallVec<[Option<LocalEndpoint>; 4]> = template
        .media()
        .iter()
        .enumerate()
        .map(|(i, md)| {
            let endpoint = input.endpoints.get(i).copied().flatten();
            endpoint.filter(|_| md.port != 0)
        })
        .collect();
    let plan = RewritePlan {
        address: input.media_ip,
        origin_user: "sbc",
        session_id: input.session_id,
        session_version: 1,
        endpoints: &endpoints,
        security: &security,
    };
    let mut rewritten = Vec::with_capacity(input.template.len() + 64);
    rewrite(&template, &plan, &mut rewritten)?;
    let allowed: Vec<Option<Vec<String>>> = template
        .media()
        .iter()
        .enumerate()
        .map(|(i, md)| {
            let theirs = other.as_ref()?.media().get(i)?;
            let keep: Vec<String> = md
                .format_list()
                .filter(|f| theirs.format_list().any(|g| g == *f))
                .map(str::to_owned)
                .collect();
            (!keep.is_empty()).then_some(keep)
        })
        .collect();
    out.clear();
    out.extend_from_slice(restrict(&String::from_utf8_lossy(&rewritten), &allowed).as_bytes());
    Ok(state)
}

/// `sdp` with each m= line's formats narrowed to `allowed` (its rtpmap, fmtp and
/// rtcp-fb lines for dropped formats removed), and every direction attribute made
/// sendrecv.
fn restrict(sdp: &str, allowed: &[Option<Vec<String>>]) -> String {
    let mut out = String::with_capacity(sdp.len());
    let mut media: Option<usize> = None;
    for line in sdp.split_inclusive('\n') {
        let text = line.trim_end_matches(['\r', '\n']);
        if let Some(rest) = text.strip_prefix("m=") {
            let index = media.map_or(0, |i| i + 1);
            media = Some(index);
            match allowed.get(index).and_then(Option::as_ref) {
                Some(keep) => {
                    let fields: Vec<&str> = rest.split(' ').collect();
                    let (head, formats) = fields.split_at(fields.len().min(3));
                    let kept: Vec<&str> = formats
                        .iter()
                        .copied()
                        .filter(|f| keep.iter().any(|k| k == f))
                        .collect();
                    out.push_str("m=");
                    out.push_str(&head.join(" "));
                    for f in kept {
                        out.push(' ');
                        out.push_str(f);
                    }
                    out.push_str("\r\n");
                }
                None => out.push_str(line),
            }
            continue;
        }
        if matches!(text, "a=sendonly" | "a=recvonly" | "a=inactive") {
            out.push_str("a=sendrecv\r\n");
            continue;
        }
        let dropped = media
            .and_then(|i| allowed.get(i).and_then(Option::as_ref))
            .is_some_and(|keep| {
                format_attribute(text).is_some_and(|pt| !keep.iter().any(|k| k == pt))
            });
        if !dropped {
            out.push_str(line);
        }
    }
    out
}

/// The payload type an `a=rtpmap`, `a=fmtp` or `a=rtcp-fb` line is about.
fn format_attribute(line: &str) -> Option<&str> {
    let value = ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"]
        .iter()
        .find_map(|p| line.strip_prefix(p))?;
    let pt = value.split(' ').next()?;
    (pt != "*").then_some(pt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_negotiated_formats_and_makes_the_target_talk() {
        let sdp = "v=0\r\no=sbc 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
                   m=audio 4000 RTP/AVP 0 8 9 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
                   a=rtpmap:9 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
                   a=fmtp:101 0-16\r\na=rtcp-fb:* nack\r\na=sendonly\r\na=ptime:20\r\n\
                   m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
        let allowed = vec![Some(vec!["8".to_owned(), "101".to_owned()]), None];
        let out = restrict(sdp, &allowed);
        assert!(out.contains("m=audio 4000 RTP/AVP 8 101\r\n"), "{out}");
        assert!(!out.contains("PCMU") && !out.contains("G722"), "{out}");
        assert!(out.contains("a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"));
        assert!(out.contains("a=fmtp:101 0-16\r\na=rtcp-fb:* nack\r\na=sendrecv\r\na=ptime:20\r\n"));
        assert!(!out.contains("sendonly"));
        // A line with nothing to narrow is kept as it is.
        assert!(out.ends_with("m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"));
    }
}
