//! Scenario 7: a forking callee. Early dialogs with different to-tags on the B leg must
//! appear as early dialogs with different to-tags on the A leg (RFC 3261 §12.1, §13.2.2.4),
//! the answer carries the answered fork's mapped tag, and ACK/BYE go to that fork.
//! When two forks answer, the SBC keeps the first and ACKs + BYEs the other (§13.2.2.4:
//! a UAC that does not want a second dialog must ACK and then BYE it).

use std::time::Duration;

use sbc_signaling::sip::{Method, SipMessage};

use crate::sim::{Sim, SimConfig, T1};
use crate::ua::{Script, Step};

fn to_tag(m: &SipMessage) -> String {
    m.to_hdr()
        .ok()
        .and_then(|t| t.tag().map(str::to_owned))
        .unwrap_or_default()
}

#[test]
fn early_dialogs_keep_distinct_tags_and_answer_follows_its_fork() {
    let mut sim = Sim::new(SimConfig::new(8));
    sim.uas.script = Script::Steps(vec![
        Step::new(50, 180, "X"),
        Step::new(50, 183, "Y").with_sdp(true),
        Step::new(400, 200, "Y"),
    ]);
    let now = sim.now;
    sim.uac.invite(now, true);
    let up = sim.run_until(Duration::from_secs(3), |s| {
        s.uac.statuses(Method::Invite).contains(&200) && s.uas.got(Method::Ack)
    });
    assert!(up, "not answered:\n{}", sim.trace_tail(30));
    let invite_resps = sim.uac.responses_to(Method::Invite);
    let by_status = |st: u16| {
        invite_resps
            .iter()
            .find(|r| r.status() == Some(st))
            .map(|r| to_tag(r))
            .unwrap_or_default()
    };
    let (tag_x, tag_y, tag_200) = (by_status(180), by_status(183), by_status(200));
    assert!(!tag_x.is_empty() && !tag_y.is_empty());
    assert_ne!(
        tag_x, tag_y,
        "two forks must be two early dialogs for the caller"
    );
    assert_eq!(tag_200, tag_y, "the 200 must carry fork Y's mapped tag");
    assert!(tag_x != "X" && tag_y != "Y", "callee tags must not leak");
    // The 183's SDP was anchored for the caller.
    let early = invite_resps
        .iter()
        .find(|r| r.status() == Some(183))
        .map(|r| String::from_utf8_lossy(r.body()).into_owned())
        .unwrap_or_default();
    assert!(early.contains("c=IN IP4 10.0.0.2"), "183 SDP: {early}");
    let ack = sim.uas.requests_of(Method::Ack)[0];
    assert_eq!(to_tag(ack), "Y");
    let now = sim.now;
    assert!(sim.uac.bye(now));
    assert!(sim.run_until(Duration::from_secs(3), |s| s.uas.got(Method::Bye)));
    assert_eq!(to_tag(sim.uas.requests_of(Method::Bye)[0]), "Y");
    assert_eq!(sim.uac.statuses(Method::Bye), vec![200]);
    sim.run_for(T1 * 64 + Duration::from_secs(5));
    assert_eq!(sim.sbc.footprint(), (0, 0, 0));
}

#[test]
fn second_answering_fork_is_acked_and_byed() {
    let mut sim = Sim::new(SimConfig::new(9));
    sim.uas.script = Script::Steps(vec![
        Step::new(50, 180, "X"),
        Step::new(20, 180, "Y"),
        Step::new(300, 200, "X"),
        Step::new(50, 200, "Y"),
    ]);
    let now = sim.now;
    sim.uac.invite(now, true);
    let done = sim.run_until(Duration::from_secs(3), |s| {
        s.uas.requests_of(Method::Ack).len() >= 2 && s.uas.got(Method::Bye)
    });
    assert!(done, "extra fork not cleaned up:\n{}", sim.trace_tail(30));
    sim.run_for(Duration::from_secs(1));
    let acked: Vec<String> = sim
        .uas
        .requests_of(Method::Ack)
        .into_iter()
        .map(to_tag)
        .collect();
    assert!(
        acked.contains(&"X".to_owned()) && acked.contains(&"Y".to_owned()),
        "{acked:?}"
    );
    let byes: Vec<String> = sim
        .uas
        .requests_of(Method::Bye)
        .into_iter()
        .map(to_tag)
        .collect();
    assert_eq!(byes, vec!["Y".to_owned()], "only the extra fork is hung up");
    assert_eq!(
        sim.uas.live().map(|d| d.local_tag.clone()),
        Some("X".to_owned())
    );
    // The caller sees exactly one answer.
    let finals: Vec<u16> = sim
        .uac
        .statuses(Method::Invite)
        .into_iter()
        .filter(|s| *s >= 200)
        .collect();
    assert_eq!(finals, vec![200]);
    assert_eq!(sim.sbc.active_calls(), 1);
    let now = sim.now;
    assert!(sim.uac.bye(now));
    assert!(sim.run_until(Duration::from_secs(3), |s| s
        .uas
        .requests_of(Method::Bye)
        .len()
        == 2));
    assert_eq!(to_tag(sim.uas.requests_of(Method::Bye)[1]), "X");
    sim.run_for(T1 * 64 + Duration::from_secs(5));
    assert_eq!(sim.sbc.footprint(), (0, 0, 0));
}
