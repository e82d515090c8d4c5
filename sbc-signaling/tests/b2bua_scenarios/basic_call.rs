//! Scenario 1: INVITE / 180 / 200 / ACK / BYE, hung up by the caller and by the callee.
//! Checks topology hiding (no caller address or Call-ID reaches the callee, in headers
//! or SDP), the CDR, and that every transaction and table entry is gone afterwards.

use std::time::Duration;

use sbc_core::call::EndCause;
use sbc_core::ids::LegSide;
use sbc_signaling::sip::Method;

use crate::sim::{Sim, SimConfig, T1};

/// Sets up a call and returns once the caller has its 200 and the callee its ACK.
pub fn established(seed: u64) -> Sim {
    let mut sim = Sim::new(SimConfig::new(seed));
    let now = sim.now;
    sim.uac.invite(now, true);
    let ok = sim.run_until(Duration::from_secs(5), |s| {
        s.uac.statuses(Method::Invite).contains(&200) && s.uas.got(Method::Ack)
    });
    assert!(ok, "call not established:\n{}", sim.trace_tail(40));
    sim
}

fn assert_hidden(sim: &Sim) {
    let uac_call_id = sim
        .uac
        .live()
        .map(|d| d.call_id.clone())
        .unwrap_or_default();
    let inv = sim.uas.requests_of(Method::Invite);
    let b_call_id = inv.first().and_then(|m| m.call_id().ok()).unwrap_or("");
    assert!(!b_call_id.is_empty());
    assert_ne!(b_call_id, uac_call_id, "B leg must have its own Call-ID");
    let seen = sim.uas.raw_text();
    assert!(
        !seen.contains("10.0.0.1"),
        "caller address leaked to the callee:\n{seen}"
    );
    assert!(!seen.contains(&uac_call_id), "caller Call-ID leaked");
    // The SDP the callee got names the SBC's media endpoint.
    let body = String::from_utf8_lossy(inv.first().map(|m| m.body()).unwrap_or(b""));
    assert!(
        body.contains("c=IN IP4 10.0.0.2"),
        "SDP not anchored: {body}"
    );
    assert!(
        body.contains("m=audio 2000"),
        "SDP port not anchored: {body}"
    );
    // ... and the caller never sees the callee's address either.
    assert!(!sim.uac.raw_text().contains("10.0.0.3"));
}

fn assert_clean(sim: &mut Sim) {
    assert_eq!(sim.sbc.active_calls(), 0);
    sim.run_for(T1 * 64 + Duration::from_secs(5));
    assert_eq!(
        sim.sbc.footprint(),
        (0, 0, 0),
        "engine leaked state:\n{}",
        sim.trace_tail(30)
    );
    assert_eq!(sim.media.snapshot().released.len(), 1);
}

#[test]
fn caller_hangs_up() {
    let mut sim = established(1);
    assert_eq!(sim.uac.statuses(Method::Invite), vec![100, 180, 200]);
    assert_hidden(&sim);
    sim.run_for(Duration::from_secs(2));
    let now = sim.now;
    assert!(sim.uac.bye(now));
    let ok = sim.run_until(Duration::from_secs(5), |s| {
        s.uac.statuses(Method::Bye) == vec![200] && s.uas.got(Method::Bye)
    });
    assert!(ok, "BYE did not complete:\n{}", sim.trace_tail(20));
    let cdrs = sim.cdrs();
    assert_eq!(cdrs.len(), 1);
    let cdr = &cdrs[0];
    assert_eq!(cdr.cause, EndCause::NormalClearing);
    assert_eq!(cdr.cause.as_str(), "normal_clearing");
    assert_eq!(cdr.ended_by, Some(LegSide::A));
    assert_eq!(cdr.final_status, 200);
    assert!(cdr.answered.is_some());
    assert_clean(&mut sim);
}

#[test]
fn callee_hangs_up() {
    let mut sim = established(2);
    sim.run_for(Duration::from_secs(2));
    let now = sim.now;
    assert!(sim.uas.bye(now));
    let ok = sim.run_until(Duration::from_secs(5), |s| {
        s.uas.statuses(Method::Bye) == vec![200] && s.uac.got(Method::Bye)
    });
    assert!(ok, "BYE did not complete:\n{}", sim.trace_tail(20));
    // The caller's BYE is in the caller's dialog: its Call-ID and tags.
    let bye = sim.uac.requests_of(Method::Bye)[0];
    let d = sim.uac.dialogs[0].clone();
    assert_eq!(bye.call_id().ok(), Some(d.call_id.as_str()));
    assert_eq!(
        bye.to_hdr().ok().and_then(|t| t.tag()),
        Some(d.local_tag.as_str())
    );
    assert_eq!(
        bye.from_hdr().ok().and_then(|t| t.tag()),
        Some(d.remote_tag.as_str())
    );
    let cdrs = sim.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].cause, EndCause::NormalClearing);
    assert_eq!(cdrs[0].ended_by, Some(LegSide::B));
    assert_clean(&mut sim);
}
