//! More in-dialog flows: an offerless re-INVITE (the offer comes in the 2xx, the answer
//! in the ACK, RFC 3261 §14.1 / RFC 3264 §5, so the SBC must hold the far leg's ACK until
//! the near leg's ACK brings the answer); a callee-initiated hold (the caller's o=
//! version grows on the A leg); INFO relayed end to end in both directions.

use std::time::Duration;

use sbc_signaling::sip::{Method, SipMessage};

use crate::basic_call::established;

fn origin_version(m: &SipMessage) -> Option<u64> {
    String::from_utf8_lossy(m.body())
        .lines()
        .find(|l| l.starts_with("o="))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
}

#[test]
fn offerless_reinvite_answer_travels_in_ack() {
    let mut sim = established(40);
    sim.run_for(Duration::from_secs(1));
    let now = sim.now;
    assert!(sim.uac.reinvite(now, None));
    let done = sim.run_until(Duration::from_secs(3), |s| {
        s.uas.requests_of(Method::Ack).len() == 2
    });
    assert!(
        done,
        "no ACK for the re-INVITE 2xx:\n{}",
        sim.trace_tail(20)
    );
    let reinv = sim.uas.requests_of(Method::Invite)[1];
    assert!(
        reinv.body().is_empty(),
        "offerless re-INVITE must stay offerless"
    );
    let ack = sim.uas.requests_of(Method::Ack)[1];
    let body = String::from_utf8_lossy(ack.body()).into_owned();
    assert!(
        body.contains("c=IN IP4 10.0.0.2"),
        "ACK must carry the anchored answer: {body:?}"
    );
    assert!(!body.contains("10.0.0.1"));
    assert_eq!(
        ack.cseq().map(|c| c.seq).ok(),
        reinv.cseq().map(|c| c.seq).ok()
    );
    // The caller got the offer (anchored) in the 200.
    let ok = sim
        .uac
        .responses_to(Method::Invite)
        .last()
        .map(|r| (*r).clone());
    let offer = ok
        .map(|r| String::from_utf8_lossy(r.body()).into_owned())
        .unwrap_or_default();
    assert!(
        offer.contains("c=IN IP4 10.0.0.2") && !offer.contains("10.0.0.3"),
        "{offer}"
    );
    assert_eq!(sim.sbc.active_calls(), 1);
    sim.run_for(Duration::from_secs(40));
    assert_eq!(sim.uas.ack_timeouts, 0);
    assert_eq!(sim.uac.ack_timeouts, 0);
    assert_eq!(sim.sbc.active_calls(), 1, "call must survive");
}

#[test]
fn callee_hold_bumps_caller_side_version() {
    let mut sim = established(41);
    let first = sim
        .uac
        .responses_to(Method::Invite)
        .into_iter()
        .find(|r| r.status() == Some(200))
        .and_then(origin_version);
    let now = sim.now;
    assert!(sim.uas.reinvite(now, Some("sendonly")));
    let done = sim.run_until(Duration::from_secs(3), |s| {
        s.uas.statuses(Method::Invite).contains(&200)
    });
    assert!(done, "{}", sim.trace_tail(20));
    let reinv = sim.uac.requests_of(Method::Invite)[0];
    let body = String::from_utf8_lossy(reinv.body()).into_owned();
    assert!(
        body.contains("a=sendonly") && body.contains("c=IN IP4 10.0.0.2"),
        "{body}"
    );
    assert_eq!(
        origin_version(reinv),
        first.map(|v| v + 1),
        "A-leg o= version"
    );
    // The re-INVITE toward the caller is in the caller's dialog: its Call-ID, our tag.
    let d = sim.uac.dialogs[0].clone();
    assert_eq!(reinv.call_id().ok(), Some(d.call_id.as_str()));
    assert_eq!(
        reinv.to_hdr().ok().and_then(|t| t.tag()),
        Some(d.local_tag.as_str())
    );
}

#[test]
fn info_is_relayed_both_ways() {
    let mut sim = established(42);
    let now = sim.now;
    assert!(sim.uac.request(now, Method::Info));
    assert!(sim.uas.request(now, Method::Info));
    let done = sim.run_until(Duration::from_secs(3), |s| {
        s.uac.statuses(Method::Info) == vec![200] && s.uas.statuses(Method::Info) == vec![200]
    });
    assert!(done, "{}", sim.trace_tail(20));
    assert_eq!(sim.uas.requests_of(Method::Info).len(), 1);
    assert_eq!(sim.uac.requests_of(Method::Info).len(), 1);
}
