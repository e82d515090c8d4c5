//! Deferred control (`MediaSettings::defer_wakeups`, what the daemon runs): commands
//! wake no worker, yet streams come up, relay from the first packet, follow a changed
//! remote, and release their ports.

mod common;

use std::time::{Duration, Instant};

use common::*;
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::MediaControl;
use sbc_media::MediaEngine;

fn deferred_engine(pairs: u16) -> MediaEngine {
    let mut s = settings(pairs, 2);
    s.defer_wakeups = true;
    MediaEngine::start(s).expect("engine starts")
}

#[test]
fn relays_without_control_wakeups() {
    let engine = deferred_engine(4);
    let call = CallRef(1);
    let (a, ep_a) = engine.allocate(call, LegSide::A).unwrap();
    let (b, ep_b) = engine.allocate(call, LegSide::B).unwrap();
    let (pa, pb) = (phone(), phone());
    engine
        .set_remote(a, remote(addr(&pa), addr(&phone())))
        .unwrap();
    engine.connect(a, b).unwrap();
    // B's answer arrives just before B's first packet: the worker must apply the queued
    // SetRemote before relaying the packet that woke it (no sync, no wake-up).
    engine
        .set_remote(b, remote(addr(&pb), addr(&phone())))
        .unwrap();
    // The new sockets are registered within the control interval; send until one lands.
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut got = None;
    while got.is_none() && Instant::now() < deadline {
        pa.send_to(&rtp(1), ep_a.rtp).unwrap();
        pb.set_read_timeout(Some(Duration::from_millis(30)))
            .unwrap();
        let mut buf = [0u8; 2048];
        if let Ok((n, from)) = pb.recv_from(&mut buf) {
            got = Some((buf[..n].to_vec(), from));
        }
    }
    assert_eq!(
        got,
        Some((rtp(1), ep_b.rtp)),
        "A -> B relayed in deferred mode"
    );
    pb.send_to(&rtp(2), ep_b.rtp).unwrap();
    assert_eq!(recv(&pa), (rtp(2), ep_a.rtp), "B -> A relayed");
}

#[test]
fn released_ports_return_within_the_control_interval() {
    let engine = deferred_engine(2);
    let (_, _) = engine.allocate(CallRef(1), LegSide::A).unwrap();
    let (_, _) = engine.allocate(CallRef(1), LegSide::B).unwrap();
    assert!(
        engine.allocate(CallRef(2), LegSide::A).is_err(),
        "range is full"
    );
    engine.release_call(CallRef(1));
    eventually(|| engine.stats().ports_in_use, 0);
    assert!(engine.allocate(CallRef(2), LegSide::A).is_ok());
}
