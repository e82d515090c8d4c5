//! A supervisor's phone that never ACKs the SBC's 200 (RFC 3261 §13.3.1.4): after the
//! 200's retransmissions give up (64*T1), the SBC hangs the leg up with a BYE, the
//! session ends as `AckTimeout` and the call's media goes back to the plain relay. A
//! leg that did ACK stays.

use std::time::Duration;

use sbc_core::ids::LegSide;
use sbc_core::media::AgentAfterTakeover;
use sbc_core::monitoring::{Admission, MonitorMode, MonitorSessionId, SessionEnd};
use sbc_signaling::sip::Method;

use crate::monitor::{answered_call, join_at, to_supervisor, Phone, JOIN_URI, PASSWORD};

#[test]
fn a_supervisor_leg_never_acked_is_hung_up() {
    let (mut sim, call) = answered_call(91);
    let mut phone = Phone::new("sup-unacked");
    let req = join_at(&mut sim, &mut phone, JOIN_URI, "", PASSWORD).expect("join");
    let session = MonitorSessionId(3);
    let now = sim.now;
    sim.sbc.monitor_admit(
        now,
        Admission {
            ticket: req.ticket,
            session,
            call,
            agent_side: LegSide::B,
            mode: MonitorMode::Listen,
            after_takeover: AgentAfterTakeover::Released,
            agent_beep: false,
        },
    );
    sim.run_for(Duration::from_secs(20));
    assert_eq!(sim.sbc.monitor_footprint(), 1, "still waiting for the ACK");
    sim.run_for(Duration::from_secs(20));
    let bye = to_supervisor(&sim)
        .into_iter()
        .find(|m| m.method() == Some(Method::Bye))
        .expect("BYE to the supervisor");
    assert!(bye
        .header_by_name("Reason")
        .unwrap_or_default()
        .contains("No ACK"));
    assert_eq!(
        crate::monitor::ended(&sim),
        [(session, SessionEnd::AckTimeout)]
    );
    assert_eq!(sim.sbc.monitor_footprint(), 0);
    let picture = sim
        .media
        .snapshot()
        .monitoring
        .last()
        .cloned()
        .expect("picture");
    assert!(picture.supervisors.is_empty());
    assert!(sim.cdrs().is_empty(), "the monitored call goes on");
}
