//! Scenario 6: the caller's CANCEL and the callee's 200 cross.
//!
//! (a) The CANCEL wins at the SBC: the SBC has answered the caller 487 and sent CANCEL
//! to the callee when the callee's 200 arrives. RFC 3261 §9.1/§15: the callee's 2xx
//! creates a dialog that must be ACKed and then BYEd, so the callee is not left with
//! a hanging call; the caller keeps its 487.
//! (b) The 200 wins at the SBC: the caller gets 200 (its CANCEL gets 200 but has no
//! effect, §9.2), the call is up and ends normally with BYE.
//!
//! Fixed 20 ms network delay so the crossing is exact.

use std::time::Duration;

use sbc_core::call::EndCause;
use sbc_signaling::sip::Method;

use crate::sim::{NetConfig, Sim, SimConfig, T1};
use crate::ua::{Script, Step};

const ANSWER_AFTER_MS: u64 = 1000;

/// A call ringing on a fixed-delay network, run to `offset` before the callee's 200
/// leaves (negative: after).
fn ringing_until_200(seed: u64, before_200: i64) -> Sim {
    let mut cfg = SimConfig::new(seed);
    cfg.net = NetConfig {
        min_delay_ms: 20,
        max_delay_ms: 20,
        ..NetConfig::default()
    };
    let mut sim = Sim::new(cfg);
    sim.uas.script = Script::Steps(vec![
        Step::new(50, 180, "t1"),
        Step::new(ANSWER_AFTER_MS - 50, 200, "t1"),
    ]);
    let now = sim.now;
    sim.uac.invite(now, true);
    assert!(sim.run_until(Duration::from_secs(1), |s| s.uas.invite_at.is_some()));
    let t200 = sim.uas.invite_at.unwrap_or(sim.now) + Duration::from_millis(ANSWER_AFTER_MS);
    let until = if before_200 >= 0 {
        t200 - Duration::from_millis(before_200.unsigned_abs())
    } else {
        t200 + Duration::from_millis(before_200.unsigned_abs())
    };
    sim.run_for(until - sim.now);
    sim
}

#[test]
fn cancel_wins_callee_200_is_acked_and_byed() {
    // CANCEL leaves the caller 10 ms before the 200 leaves the callee: it reaches the
    // SBC at T+10, the 200 at T+20, the SBC's CANCEL reaches the callee at T+30.
    let mut sim = ringing_until_200(6, 10);
    let now = sim.now;
    assert!(sim.uac.cancel(now));
    let done = sim.run_until(Duration::from_secs(5), |s| {
        s.uac.statuses(Method::Invite).contains(&487)
            && s.uas.got(Method::Ack)
            && s.uas.statuses(Method::Bye).is_empty()
            && s.uas.got(Method::Bye)
    });
    assert!(done, "race not resolved:\n{}", sim.trace_tail(40));
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.uac.statuses(Method::Invite), vec![100, 180, 487]);
    assert_eq!(sim.uac.statuses(Method::Cancel), vec![200]);
    // It really was a race: the CANCEL reached the callee after its 200 left.
    let t200 = sim.uas.invite_at.unwrap_or(sim.base) + Duration::from_millis(ANSWER_AFTER_MS);
    let cancel_at = sim
        .uas
        .requests
        .iter()
        .find(|(_, r)| r.method() == Some(Method::Cancel))
        .map(|(t, _)| *t);
    assert!(
        cancel_at.is_some_and(|t| t > t200),
        "CANCEL did not cross the 200"
    );
    // The ACK and BYE are in the callee's dialog (its to-tag, the B Call-ID).
    let invite = sim.uas.requests_of(Method::Invite)[0];
    for m in [Method::Ack, Method::Bye] {
        let r = sim.uas.requests_of(m)[0];
        assert_eq!(r.call_id().ok(), invite.call_id().ok(), "{m:?} Call-ID");
        assert_eq!(
            r.to_hdr().ok().and_then(|t| t.tag()),
            Some("t1"),
            "{m:?} to-tag"
        );
    }
    assert!(sim.uas.live().is_none(), "callee left with a hanging call");
    let cdrs = sim.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].cause, EndCause::Cancelled);
    assert_eq!(cdrs[0].final_status, 487);
    sim.run_for(T1 * 64 + Duration::from_secs(5));
    assert_eq!(sim.sbc.footprint(), (0, 0, 0));
}

#[test]
fn answer_wins_cancel_has_no_effect() {
    // CANCEL leaves the caller 15 ms after the 200 left the callee: the 200 reaches
    // the SBC first (T+20) and is relayed; the CANCEL arrives at T+35.
    let mut sim = ringing_until_200(7, -15);
    let now = sim.now;
    assert!(sim.uac.cancel(now));
    let up = sim.run_until(Duration::from_secs(3), |s| {
        s.uac.statuses(Method::Invite).contains(&200) && s.uas.got(Method::Ack)
    });
    assert!(up, "answer lost:\n{}", sim.trace_tail(40));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.statuses(Method::Invite), vec![100, 180, 200]);
    assert_eq!(sim.uac.statuses(Method::Cancel), vec![200]);
    assert!(!sim.uas.got(Method::Bye), "call must stay up");
    assert_eq!(sim.sbc.active_calls(), 1);
    let now = sim.now;
    assert!(sim.uac.bye(now));
    assert!(sim.run_until(Duration::from_secs(3), |s| s.uas.got(Method::Bye)));
    assert_eq!(sim.cdrs()[0].cause, EndCause::NormalClearing);
}
