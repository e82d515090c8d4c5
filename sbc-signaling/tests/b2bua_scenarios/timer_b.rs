//! Scenario 3: the callee is dead (no 100, nothing). The B-leg INVITE is retransmitted
//! (Timer A: 7 copies in 64*T1) and Timer B ends it at 32 s: the caller gets 408, the
//! CDR says timeout, and nothing lingers.

use std::time::Duration;

use sbc_core::call::EndCause;
use sbc_signaling::sip::Method;

use crate::sim::{Sim, SimConfig, T1};
use crate::ua::Script;

#[test]
fn silent_callee_gives_408_at_timer_b() {
    let mut sim = Sim::new(SimConfig::new(3));
    sim.uas.script = Script::Silent;
    let now = sim.now;
    sim.uac.invite(now, true);
    let got = sim.run_until(Duration::from_secs(40), |s| {
        s.uac.statuses(Method::Invite).contains(&408)
    });
    assert!(got, "no 408:\n{}", sim.trace_tail(30));
    let (at, _) = sim
        .uac
        .responses
        .iter()
        .find(|(_, r)| r.status() == Some(408))
        .cloned()
        .unwrap_or_else(|| unreachable!());
    let after = at - sim.base;
    assert!(
        after >= T1 * 64 && after <= T1 * 64 + Duration::from_secs(1),
        "408 at {after:?}, Timer B is 64*T1 = 32 s"
    );
    assert_eq!(sim.uac.statuses(Method::Invite), vec![100, 408]);
    // Timer A: INVITE at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s.
    assert_eq!(sim.uas.raw.len(), 7, "INVITE transmissions");
    let cdrs = sim.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].cause, EndCause::Timeout);
    assert_eq!(cdrs[0].final_status, 408);
    assert!(cdrs[0].answered.is_none());
    sim.run_for(T1 * 64 + Duration::from_secs(5));
    assert_eq!(sim.sbc.active_calls(), 0);
    assert_eq!(sim.sbc.footprint(), (0, 0, 0));
    assert_eq!(sim.media.snapshot().released.len(), 1);
}
