//! Scenario 5: the caller cancels after 180. The caller's CANCEL gets 200 and its
//! INVITE 487; the callee gets a CANCEL for the B-leg INVITE and ends it with 487,
//! which the SBC ACKs. CDR cancelled, ended by the A side.

use std::time::Duration;

use sbc_core::call::EndCause;
use sbc_core::ids::LegSide;
use sbc_signaling::sip::Method;

use crate::sim::{Sim, SimConfig, T1};
use crate::ua::Script;

#[test]
fn cancel_after_ringing() {
    let mut sim = Sim::new(SimConfig::new(5));
    sim.uas.script = Script::ring_forever();
    let now = sim.now;
    sim.uac.invite(now, true);
    assert!(sim.run_until(Duration::from_secs(2), |s| s
        .uac
        .statuses(Method::Invite)
        .contains(&180)));
    let now = sim.now;
    assert!(sim.uac.cancel(now));
    let done = sim.run_until(Duration::from_secs(5), |s| {
        s.uac.statuses(Method::Invite).contains(&487)
            && s.uac.statuses(Method::Cancel).contains(&200)
            && s.uas.got(Method::Cancel)
            && s.uas.wire_requests(Method::Ack) > 0
    });
    assert!(done, "cancel incomplete:\n{}", sim.trace_tail(30));
    assert_eq!(sim.uac.statuses(Method::Invite), vec![100, 180, 487]);
    assert_eq!(sim.uac.statuses(Method::Cancel), vec![200]);
    assert!(
        sim.uas.live().is_none(),
        "callee must be left without a call"
    );
    let cdrs = sim.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].cause, EndCause::Cancelled);
    assert_eq!(cdrs[0].final_status, 487);
    assert_eq!(cdrs[0].ended_by, Some(LegSide::A));
    sim.run_for(T1 * 64 + Duration::from_secs(5));
    assert_eq!(sim.sbc.footprint(), (0, 0, 0));
    assert_eq!(sim.uac.transactions(), 0);
    assert_eq!(sim.uas.transactions(), 0);
}

/// The same under 30 % loss, 20 seeds: the CANCEL and 487 are retransmitted until they
/// get through, and nothing lingers (the callee never answers, so 487 is the only
/// possible outcome).
#[test]
fn cancel_after_ringing_under_loss() {
    for seed in 200..220 {
        let mut cfg = SimConfig::new(seed);
        cfg.net.loss = 0.3;
        let mut sim = Sim::new(cfg);
        sim.uas.script = Script::ring_forever();
        let now = sim.now;
        sim.uac.invite(now, true);
        let ringing = sim.run_until(Duration::from_secs(40), |s| {
            s.uac.statuses(Method::Invite).contains(&180)
        });
        if !ringing {
            continue; // every 180 lost: it is not retransmitted (no 100rel); legal.
        }
        let now = sim.now;
        assert!(sim.uac.cancel(now));
        let done = sim.run_until(T1 * 64, |s| {
            s.uac.statuses(Method::Invite).contains(&487)
                && s.uac.statuses(Method::Cancel).contains(&200)
                && s.uas.got(Method::Cancel)
                && s.uas.wire_requests(Method::Ack) > 0
        });
        assert!(
            done,
            "seed {seed}: cancel incomplete:\n{}",
            sim.trace_tail(40)
        );
        assert_eq!(sim.cdrs()[0].cause, EndCause::Cancelled, "seed {seed}");
        sim.run_for(T1 * 64 + Duration::from_secs(5));
        assert_eq!(sim.sbc.footprint(), (0, 0, 0), "seed {seed}");
    }
}
