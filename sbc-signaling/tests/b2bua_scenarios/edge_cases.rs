//! Extra corner cases around setup: Timer C restarted by each provisional, a CANCEL
//! before any provisional from the callee (RFC 3261 §9.1: held until one arrives), and
//! a late-offer caller that never ACKs (Timer L on the A leg: both legs torn down and
//! the callee's 2xx still ACKed, §13.3.1.4 / §15).

use std::time::Duration;

use sbc_core::call::EndCause;
use sbc_signaling::sip::Method;

use crate::sim::{NetConfig, Sim, SimConfig, T1};
use crate::ua::{Script, Step};

#[test]
fn each_provisional_restarts_timer_c() {
    let mut cfg = SimConfig::new(30);
    cfg.timer_c_secs = 5;
    let mut sim = Sim::new(cfg);
    sim.uas.script = Script::Steps(vec![
        Step::new(50, 180, "t1"),
        Step::new(3000, 183, "t1"),
        Step::new(3000, 180, "t1"),
        Step::new(3000, 200, "t1"),
    ]);
    let now = sim.now;
    sim.uac.invite(now, true);
    let up = sim.run_until(Duration::from_secs(12), |s| s.uas.got(Method::Ack));
    assert!(
        up,
        "Timer C fired despite provisionals:\n{}",
        sim.trace_tail(20)
    );
    let finals: Vec<u16> = sim
        .uac
        .statuses(Method::Invite)
        .into_iter()
        .filter(|s| *s >= 200)
        .collect();
    assert_eq!(finals, vec![200]);
    assert!(sim.cdrs().is_empty());
}

#[test]
fn cancel_before_any_provisional_from_callee() {
    let mut cfg = SimConfig::new(31);
    cfg.net = NetConfig {
        min_delay_ms: 20,
        max_delay_ms: 20,
        ..NetConfig::default()
    };
    let mut sim = Sim::new(cfg);
    sim.uas.script = Script::ring_forever();
    let now = sim.now;
    sim.uac.invite(now, true);
    // Cancel as soon as the SBC's 100 arrives: the B-leg INVITE is still in flight.
    assert!(sim.run_until(Duration::from_secs(1), |s| s
        .uac
        .statuses(Method::Invite)
        .contains(&100)));
    let now = sim.now;
    assert!(sim.uac.cancel(now));
    let done = sim.run_until(Duration::from_secs(5), |s| {
        s.uac.statuses(Method::Invite).contains(&487) && s.uas.got(Method::Cancel)
    });
    assert!(done, "cancel incomplete:\n{}", sim.trace_tail(20));
    sim.run_for(Duration::from_secs(1));
    assert!(sim.uas.live().is_none());
    assert_eq!(sim.uas.wire_requests(Method::Ack), 1, "callee's 487 ACKed");
    sim.run_for(T1 * 64 + Duration::from_secs(5));
    assert_eq!(sim.sbc.footprint(), (0, 0, 0));
}

#[test]

fn late_offer_caller_never_acks() {
    let mut sim = Sim::new(SimConfig::new(32));
    // Every ACK the caller sends is lost.
    sim.filter = Some(Box::new(|_, d| {
        !(d.from.to_string() == crate::sim::UAC && d.payload.starts_with(b"ACK "))
    }));
    let now = sim.now;
    sim.uac.invite(now, false);
    sim.run_for(T1 * 64 + Duration::from_secs(5));
    let cdrs = sim.cdrs();
    assert_eq!(cdrs.len(), 1, "call must end on Timer L");
    assert_eq!(cdrs[0].cause, EndCause::AckTimeout);
    // The callee is not left with a call: its 2xx was ACKed, then BYE.
    assert!(
        sim.uas.got(Method::Ack),
        "callee's 200 never ACKed:\n{}",
        sim.trace_tail(30)
    );
    assert!(sim.uas.got(Method::Bye));
    assert!(sim.uas.live().is_none());
    assert_eq!(sim.uas.ack_timeouts, 0, "callee hit its own Timer L");
    sim.run_for(T1 * 64 + Duration::from_secs(5));
    assert_eq!(sim.sbc.footprint(), (0, 0, 0));
}
