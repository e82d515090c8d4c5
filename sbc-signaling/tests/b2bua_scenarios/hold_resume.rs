//! Scenario 9: hold and resume by re-INVITE (RFC 3264 §8.4). a=sendonly then a=sendrecv
//! from the caller are relayed with the SDP re-anchored: the callee sees the SBC's
//! addresses, the direction unchanged, and an o= version that grows by one with each
//! changed SDP (§8); the media plane is told each new remote and direction.

use std::time::Duration;

use sbc_core::ids::LegSide;
use sbc_core::media::Direction;
use sbc_signaling::sip::{Method, SipMessage};

use crate::basic_call::established;

fn origin_version(m: &SipMessage) -> u64 {
    let body = String::from_utf8_lossy(m.body()).into_owned();
    body.lines()
        .find(|l| l.starts_with("o="))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn reinvite_and_wait(sim: &mut crate::sim::Sim, dir: &str, n: usize) -> SipMessage {
    let now = sim.now;
    assert!(sim.uac.reinvite(now, Some(dir)));
    let ok = sim.run_until(Duration::from_secs(3), |s| {
        s.uas.requests_of(Method::Invite).len() == n && s.uas.requests_of(Method::Ack).len() == n
    });
    assert!(ok, "re-INVITE {dir} not completed:\n{}", sim.trace_tail(20));
    sim.uas.requests_of(Method::Invite)[n - 1].clone()
}

#[test]
fn hold_then_resume_is_relayed_and_reanchored() {
    let mut sim = established(12);
    let v0 = origin_version(sim.uas.requests_of(Method::Invite)[0]);
    let hold = reinvite_and_wait(&mut sim, "sendonly", 2);
    let body = String::from_utf8_lossy(hold.body()).into_owned();
    assert!(body.contains("a=sendonly"), "{body}");
    assert!(
        body.contains("c=IN IP4 10.0.0.2") && !body.contains("10.0.0.1"),
        "{body}"
    );
    let v1 = origin_version(&hold);
    assert_eq!(v1, v0 + 1, "o= version must grow by one on a changed SDP");
    // The caller got the callee's answer (recvonly), anchored.
    let answers = sim.uac.responses_to(Method::Invite);
    let ans = answers
        .last()
        .map(|m| String::from_utf8_lossy(m.body()).into_owned())
        .unwrap_or_default();
    assert!(
        ans.contains("a=recvonly") && ans.contains("c=IN IP4 10.0.0.2"),
        "{ans}"
    );

    let resume = reinvite_and_wait(&mut sim, "sendrecv", 3);
    let body = String::from_utf8_lossy(resume.body()).into_owned();
    assert!(body.contains("a=sendrecv"), "{body}");
    assert_eq!(origin_version(&resume), v1 + 1);
    // Same session id throughout.
    let sid = |m: &SipMessage| {
        String::from_utf8_lossy(m.body())
            .lines()
            .find(|l| l.starts_with("o="))
            .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
    };
    assert_eq!(sid(&hold), sid(&resume));

    let media = sim.media.snapshot();
    let a: Vec<Direction> = media
        .remotes_facing(LegSide::A)
        .iter()
        .map(|r| r.direction)
        .collect();
    let b: Vec<Direction> = media
        .remotes_facing(LegSide::B)
        .iter()
        .map(|r| r.direction)
        .collect();
    assert_eq!(
        a,
        vec![
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::SendRecv
        ]
    );
    assert_eq!(
        b,
        vec![
            Direction::SendRecv,
            Direction::RecvOnly,
            Direction::SendRecv
        ]
    );
    assert_eq!(media.allocated.len(), 2, "re-INVITE must reuse the streams");
}
