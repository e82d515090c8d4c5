//! Scenario 4: the callee rings forever (one 180, then nothing). With timer_c_secs = 5
//! the SBC gives up at ~5 s after the last provisional (RFC 3261 §16.6 step 11): 408 to
//! the caller, CANCEL to the callee, whose INVITE then ends 487; CDR timeout.

use std::time::Duration;

use sbc_core::call::EndCause;
use sbc_signaling::sip::Method;

use crate::sim::{Sim, SimConfig, T1};
use crate::ua::Script;

#[test]
fn ringing_forever_hits_timer_c() {
    let mut cfg = SimConfig::new(4);
    cfg.timer_c_secs = 5;
    let mut sim = Sim::new(cfg);
    sim.uas.script = Script::ring_forever();
    let now = sim.now;
    sim.uac.invite(now, true);
    let got = sim.run_until(Duration::from_secs(10), |s| {
        s.uac.statuses(Method::Invite).contains(&408)
    });
    assert!(got, "no 408:\n{}", sim.trace_tail(30));
    let at = sim
        .uac
        .responses
        .iter()
        .find(|(_, r)| r.status() == Some(408))
        .map(|(t, _)| *t - sim.base)
        .unwrap_or_default();
    // The 180 reaches the SBC at ~0.1 s; Timer C runs 5 s from it.
    assert!(
        at >= Duration::from_secs(5) && at <= Duration::from_millis(5300),
        "408 at {at:?}"
    );
    assert_eq!(sim.uac.statuses(Method::Invite), vec![100, 180, 408]);
    let done = sim.run_until(Duration::from_secs(5), |s| {
        s.uas.got(Method::Cancel) && s.uas.wire_requests(Method::Ack) > 0
    });
    assert!(done, "callee not cancelled:\n{}", sim.trace_tail(30));
    // The callee answered the CANCEL 200 (its layer) and the INVITE 487; the SBC ACKed.
    let cancel = sim.uas.requests_of(Method::Cancel)[0];
    let invite = sim.uas.requests_of(Method::Invite)[0];
    assert_eq!(cancel.call_id().ok(), invite.call_id().ok());
    assert_eq!(
        cancel
            .top_via()
            .ok()
            .and_then(|v| v.branch().map(str::to_owned)),
        invite
            .top_via()
            .ok()
            .and_then(|v| v.branch().map(str::to_owned)),
        "CANCEL must carry the INVITE's branch (§9.1)"
    );
    let cdrs = sim.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].cause, EndCause::Timeout);
    assert_eq!(cdrs[0].final_status, 408);
    sim.run_for(T1 * 64 + Duration::from_secs(5));
    assert_eq!(sim.sbc.footprint(), (0, 0, 0));
}

/// A relayed re-INVITE that the far side only rings (180, then nothing) would leave an
/// INVITE client transaction with no timer at all (§17.1.1.2). Timer C covers it too:
/// the SBC CANCELs it, the callee answers 487, the caller gets 487 — and the call itself
/// stays up.
#[test]
fn ringing_reinvite_is_cancelled_by_timer_c_and_the_call_survives() {
    let mut cfg = SimConfig::new(41);
    cfg.timer_c_secs = 5;
    let mut sim = Sim::new(cfg);
    let now = sim.now;
    sim.uac.invite(now, true);
    assert!(sim.run_until(Duration::from_secs(3), |s| s.uas.got(Method::Ack)));

    sim.uas.on_reinvite = crate::ua::ReinviteAnswer::Ring;
    let now = sim.now;
    let sent = now;
    assert!(sim.uac.reinvite(now, Some("sendonly")));
    let cancelled = sim.run_until(Duration::from_secs(10), |s| s.uas.got(Method::Cancel));
    assert!(
        cancelled,
        "no CANCEL toward the ringing callee:\n{}",
        sim.trace_tail(30)
    );
    let final_487 = sim.run_until(Duration::from_secs(3), |s| {
        s.uac
            .statuses(Method::Invite)
            .iter()
            .filter(|c| **c == 487)
            .count()
            == 1
    });
    assert!(
        final_487,
        "caller's re-INVITE not ended 487:\n{}",
        sim.trace_tail(30)
    );
    assert!(
        sim.now - sent >= Duration::from_secs(5),
        "Timer C fired early"
    );

    let now = sim.now;
    assert!(sim.uac.bye(now), "the call is still up");
    assert!(sim.run_until(Duration::from_secs(3), |s| s.uas.got(Method::Bye)));
    assert_eq!(sim.cdrs()[0].cause, EndCause::NormalClearing);
    sim.run_for(T1 * 64 + Duration::from_secs(5));
    assert_eq!(sim.sbc.footprint(), (0, 0, 0));
}
