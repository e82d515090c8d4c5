//! Scenario 11: late offer (RFC 3261 §13.2.1, RFC 3264 §5). The caller's INVITE has no
//! SDP; the callee's 200 carries the offer, re-anchored for the caller; the caller's ACK
//! carries the answer, which the SBC re-anchors into the ACK it sends the callee (so the
//! B-leg ACK waits for the A-leg ACK).

use std::time::Duration;

use sbc_core::ids::LegSide;
use sbc_signaling::sip::Method;

use crate::sim::{Sim, SimConfig};

#[test]
fn offer_in_200_answer_in_ack() {
    let mut sim = Sim::new(SimConfig::new(13));
    let now = sim.now;
    sim.uac.invite(now, false);
    let done = sim.run_until(Duration::from_secs(3), |s| s.uas.got(Method::Ack));
    assert!(done, "no ACK at the callee:\n{}", sim.trace_tail(20));
    let invite = sim.uas.requests_of(Method::Invite)[0];
    assert!(invite.body().is_empty(), "B-leg INVITE must stay offerless");
    // The offer the caller got is the SBC's.
    let ok = sim
        .uac
        .responses_to(Method::Invite)
        .into_iter()
        .find(|r| r.status() == Some(200))
        .map(|r| String::from_utf8_lossy(r.body()).into_owned())
        .unwrap_or_default();
    assert!(
        ok.contains("c=IN IP4 10.0.0.2") && !ok.contains("10.0.0.3"),
        "{ok}"
    );
    // The answer the callee got in the ACK is the SBC's rewrite of the caller's answer.
    let ack = sim.uas.requests_of(Method::Ack)[0];
    let body = String::from_utf8_lossy(ack.body()).into_owned();
    assert!(!body.is_empty(), "ACK must carry the answer");
    assert!(body.contains("c=IN IP4 10.0.0.2"), "{body}");
    assert!(!body.contains("10.0.0.1"), "caller address leaked: {body}");
    assert!(body.contains("m=audio 2000"), "{body}");
    assert_eq!(
        ack.header(sbc_signaling::sip::HeaderName::ContentType),
        Some("application/sdp")
    );
    // Media: the callee's offer and the caller's answer both reached the media plane.
    let media = sim.media.snapshot();
    let a = media.remotes_facing(LegSide::A);
    let b = media.remotes_facing(LegSide::B);
    assert_eq!(
        a.last()
            .and_then(|r| r.rtp)
            .map(|s| s.to_string())
            .as_deref(),
        Some("10.0.0.1:4000")
    );
    assert_eq!(
        b.last()
            .and_then(|r| r.rtp)
            .map(|s| s.to_string())
            .as_deref(),
        Some("10.0.0.3:6000")
    );
    // And the call works: BYE from the callee.
    let now = sim.now;
    assert!(sim.uas.bye(now));
    assert!(sim.run_until(Duration::from_secs(3), |s| s.uac.got(Method::Bye)));
    assert_eq!(sim.sbc.active_calls(), 0);
}
