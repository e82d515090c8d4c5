//! Port allocation: even/odd pairs, exhaustion and release, round-robin reuse, and
//! skipping ports that someone else holds.

mod common;

use std::net::{Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant};

use common::*;
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::{MediaControl, MediaError};
use sbc_media::MediaEngine;

#[test]
fn exhaustion_then_release_frees_ports() {
    let engine = engine(2);
    let first = engine.allocate(CallRef(1), LegSide::A).unwrap().1;
    let second = engine.allocate(CallRef(1), LegSide::B).unwrap().1;
    assert_ne!(first.rtp, second.rtp);
    assert_eq!(
        engine.allocate(CallRef(2), LegSide::A),
        Err(MediaError::PortsExhausted)
    );
    assert_eq!(engine.stats().ports_in_use, 4);

    engine.release_call(CallRef(1));
    engine.sync().unwrap(); // the worker has closed the sockets and freed the ports
    assert_eq!(engine.stats().ports_in_use, 0);
    assert_eq!(engine.stats().active_streams, 0);
    let (_, again) = engine.allocate(CallRef(2), LegSide::A).unwrap();
    assert!(again.rtp == first.rtp || again.rtp == second.rtp);
}

#[test]
fn freed_pair_is_not_reused_immediately() {
    let engine = engine(3);
    let (_, e1) = engine.allocate(CallRef(1), LegSide::A).unwrap();
    engine.release_call(CallRef(1));
    engine.sync().unwrap();
    let (_, e2) = engine.allocate(CallRef(2), LegSide::A).unwrap();
    let (_, e3) = engine.allocate(CallRef(3), LegSide::A).unwrap();
    assert_eq!(e2.rtp.port(), e1.rtp.port() + 2);
    assert_eq!(e3.rtp.port(), e1.rtp.port() + 4);
    // Only after the cursor has wrapped does the first pair come back.
    engine.release_call(CallRef(2));
    engine.sync().unwrap();
    let (_, e4) = engine.allocate(CallRef(4), LegSide::A).unwrap();
    assert_eq!(e4.rtp, e1.rtp);
}

#[test]
fn ports_held_by_others_are_skipped() {
    let mut s = settings(4, 1);
    let base = s.port_min;
    s.port_min = base - 1; // odd: aligned up to `base`
    let hold = |p: u16| UdpSocket::bind((Ipv4Addr::LOCALHOST, p)).unwrap();
    // Someone holds pair 0's RTP port and pair 1's RTCP port.
    let _rtp0 = hold(base);
    let _rtcp1 = hold(base + 3);
    let engine = MediaEngine::start(s).unwrap();
    let (_, ep) = engine.allocate(CallRef(1), LegSide::A).unwrap();
    assert_eq!((ep.rtp.port(), ep.rtcp.port()), (base + 4, base + 5));
    assert_eq!(ep.rtp.ip(), Ipv4Addr::LOCALHOST);
    let (_, ep) = engine.allocate(CallRef(1), LegSide::B).unwrap();
    assert_eq!(ep.rtp.port(), base + 6);
    assert_eq!(
        engine.allocate(CallRef(1), LegSide::B),
        Err(MediaError::PortsExhausted)
    );
    assert_eq!(engine.stats().ports_in_use, 4);
}

#[test]
fn unknown_streams_and_bad_settings_are_errors() {
    let engine = engine(2);
    let bogus = sbc_core::ids::StreamId(999_999);
    let remote = remote(addr(&phone()), addr(&phone()));
    assert_eq!(
        engine.set_remote(bogus, remote),
        Err(MediaError::UnknownStream(bogus))
    );
    let (a, _) = engine.allocate(CallRef(1), LegSide::A).unwrap();
    assert_eq!(
        engine.connect(a, bogus),
        Err(MediaError::UnknownStream(bogus))
    );
    assert!(engine.connect(a, a).is_err());
    engine.release_call(CallRef(42)); // unknown call: a no-op

    let mut s = settings(1, 1);
    s.port_max = s.port_min; // no room for RTCP
    assert!(MediaEngine::start(s).is_err());
    let mut s = settings(1, 1);
    s.bind = Ipv4Addr::UNSPECIFIED.into();
    assert!(
        MediaEngine::start(s.clone()).is_err(),
        "0.0.0.0 needs an advertise address"
    );
    s.advertise = Some(Ipv4Addr::new(203, 0, 113, 9).into());
    let e = MediaEngine::start(s).unwrap();
    assert_eq!(e.advertised_ip(), Ipv4Addr::new(203, 0, 113, 9));
}

#[test]
fn allocate_is_fast_and_spreads_calls_over_workers() {
    let engine = MediaEngine::start(settings(64, 4)).unwrap();
    let t = Instant::now();
    for call in 0..32 {
        for side in [LegSide::A, LegSide::B] {
            engine.allocate(CallRef(call), side).unwrap();
        }
    }
    assert!(t.elapsed() < Duration::from_secs(2));
    engine.sync().unwrap();
    assert_eq!(engine.stats().active_streams, 64);
    for call in 0..32 {
        engine.release_call(CallRef(call));
    }
    engine.sync().unwrap();
    assert_eq!(engine.stats().ports_in_use, 0);
}
