//! Parked pairs: a released call's sockets stay bound on its worker and are reused by
//! a later call (after a quarantine, or at once when the range is otherwise full),
//! with nothing of the old call (latches, peer) carried over.

mod common;

use common::*;
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::MediaControl;
use sbc_media::MediaEngine;

/// One worker and 4 pairs: the park cap is 4 / 1 / 2 = 2 pairs, one call's worth.
fn small_engine() -> MediaEngine {
    MediaEngine::start(settings(4, 1)).expect("engine starts")
}

#[test]
fn released_pairs_are_parked_then_reused_when_the_range_is_full() {
    let engine = small_engine();
    let (a1, ep_a1) = engine.allocate(CallRef(1), LegSide::A).unwrap();
    let (b1, ep_b1) = engine.allocate(CallRef(1), LegSide::B).unwrap();
    // Call 1 talks, so its streams latch to these phones.
    let (pa1, pb1) = (phone(), phone());
    engine
        .set_remote(a1, remote(addr(&pa1), addr(&phone())))
        .unwrap();
    engine
        .set_remote(b1, remote(addr(&pb1), addr(&phone())))
        .unwrap();
    engine.connect(a1, b1).unwrap();
    engine.sync().unwrap();
    pa1.send_to(&rtp(1), ep_a1.rtp).unwrap();
    assert_eq!(recv(&pb1).0, rtp(1));

    engine.release_call(CallRef(1));
    engine.sync().unwrap();
    let st = engine.stats();
    assert_eq!(
        (st.active_streams, st.ports_in_use, st.ports_parked),
        (0, 0, 4)
    );

    // In quarantine: call 2 gets the two fresh pairs, not the parked ones.
    let (_, ep_a2) = engine.allocate(CallRef(2), LegSide::A).unwrap();
    let (_, ep_b2) = engine.allocate(CallRef(2), LegSide::B).unwrap();
    let parked = [ep_a1.rtp, ep_b1.rtp];
    assert!(!parked.contains(&ep_a2.rtp) && !parked.contains(&ep_b2.rtp));

    // The range is now full except for the parked pairs: call 3 reuses them at once.
    let (a3, ep_a3) = engine.allocate(CallRef(3), LegSide::A).unwrap();
    let (b3, ep_b3) = engine.allocate(CallRef(3), LegSide::B).unwrap();
    assert!(parked.contains(&ep_a3.rtp) && parked.contains(&ep_b3.rtp));
    assert!(
        engine.allocate(CallRef(4), LegSide::A).is_err(),
        "nothing left"
    );

    // Reused streams relay for call 3's phones; call 1's latches are forgotten.
    let (pa3, pb3) = (phone(), phone());
    engine
        .set_remote(a3, remote(addr(&pa3), addr(&phone())))
        .unwrap();
    engine
        .set_remote(b3, remote(addr(&pb3), addr(&phone())))
        .unwrap();
    engine.connect(a3, b3).unwrap();
    engine.sync().unwrap();
    pa3.send_to(&rtp(7), ep_a3.rtp).unwrap();
    assert_eq!(recv(&pb3), (rtp(7), ep_b3.rtp));
    pb3.send_to(&rtp(8), ep_b3.rtp).unwrap();
    assert_eq!(recv(&pa3), (rtp(8), ep_a3.rtp));
    assert_silent(&pa1);
    assert_silent(&pb1);
}

#[test]
fn parked_pair_drops_stray_packets_and_forwards_nothing() {
    let engine = small_engine();
    let (a, ep_a) = engine.allocate(CallRef(1), LegSide::A).unwrap();
    let (b, _) = engine.allocate(CallRef(1), LegSide::B).unwrap();
    let (pa, pb) = (phone(), phone());
    engine
        .set_remote(a, remote(addr(&pa), addr(&phone())))
        .unwrap();
    engine
        .set_remote(b, remote(addr(&pb), addr(&phone())))
        .unwrap();
    engine.connect(a, b).unwrap();
    engine.release_call(CallRef(1));
    engine.sync().unwrap();
    // A late packet of the ended call reaches the parked socket: read, dropped.
    pa.send_to(&rtp(1), ep_a.rtp).unwrap();
    assert_silent(&pb);
    eventually(|| engine.stats().traffic.drops.total() >= 1, true);
}
