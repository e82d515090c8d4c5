//! A supervisor's phone that never ACKs the SBC's 200 (RFC 3261 §13.3.1.4): after the
//! 200's retransmissions give up (64*T1), the SBC hangs the leg up with a BYE, the
//! session ends as `AckTimeout` and the call's media goes back to the plain relay.

use std::time::Duration;

use sbc_core::monitoring::{MonitorSessionId, SessionEnd};

use crate::monitor::{
    admit, answered_call, join_at, supervisor_bye_reason, Phone, JOIN_URI, PASSWORD,
};

#[test]
fn a_supervisor_leg_never_acked_is_hung_up() {
    let (mut sim, call) = answered_call(91);
    let mut phone = Phone::new("sup-unacked");
    let req = join_at(&mut sim, &mut phone, JOIN_URI, "", PASSWORD).expect("join");
    let session = MonitorSessionId(3);
    admit(&mut sim, req.ticket, call, session.0);
    sim.run_for(Duration::from_secs(20));
    assert_eq!(sim.sbc.monitor_footprint(), 1, "still waiting for the ACK");
    sim.run_for(Duration::from_secs(20));
    let reason = supervisor_bye_reason(&sim).expect("BYE to the supervisor");
    assert!(reason.contains("No ACK"), "{reason}");
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
