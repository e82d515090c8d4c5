//! Per-stream receive quality (RFC 3550 loss and jitter) and RFC 4733 digits, measured
//! on the relay path: what a stream's peer sent, as the stream's counters and the
//! engine's event queue report it.

mod common;

use std::time::Duration;

use common::*;
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::{MediaEventKind, RemoteMedia};

fn rtp_pt(seq: u16, ts: u32, pt: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0xC0FF_EE00u32.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn with_payloads(r: RemoteMedia, rate: u32, te: u8) -> RemoteMedia {
    r.with_payloads(Some(rate), Some(te))
}

#[test]
fn loss_is_counted_per_stream_and_in_the_totals() {
    let engine = engine(4);
    let (a, b) = (phone(), phone());
    let c = connected_call(
        &engine,
        CallRef(1),
        remote_mux(addr(&a)),
        remote_mux(addr(&b)),
    );
    // 100 packets of 20 ms audio, every tenth lost on the way to the SBC.
    let mut sent = 0;
    for seq in 0..100u16 {
        if seq % 10 == 5 {
            continue;
        }
        a.send_to(&rtp_pt(seq, u32::from(seq) * 160, 0, &[0; 160]), c.ep_a.rtp)
            .unwrap();
        recv(&b);
        sent += 1;
    }
    assert_eq!(sent, 90);
    eventually(|| engine.stream_stats(c.a).unwrap().rtp.expected, 100);
    let q = engine.stream_stats(c.a).unwrap().rtp;
    assert_eq!((q.expected, q.lost, q.duplicates), (100, 10, 0), "{q:?}");
    // Nothing came from B.
    assert_eq!(engine.stream_stats(c.b).unwrap().rtp.expected, 0);
    let total = engine.stats().traffic.rtp;
    assert_eq!((total.expected, total.lost), (100, 10));
}

#[test]
fn jitter_reflects_irregular_arrival() {
    let engine = engine(4);
    let (a, b) = (phone(), phone());
    let c = connected_call(
        &engine,
        CallRef(1),
        with_payloads(remote_mux(addr(&a)), 8000, 101),
        remote_mux(addr(&b)),
    );
    // Timestamps say 20 ms apart; they arrive back to back and then 40 ms late:
    // the RFC 3550 estimate must be well above zero (a few ms).
    for seq in 0..30u16 {
        if seq % 3 == 0 {
            std::thread::sleep(Duration::from_millis(40));
        }
        a.send_to(&rtp_pt(seq, u32::from(seq) * 160, 0, &[0; 160]), c.ep_a.rtp)
            .unwrap();
        recv(&b);
    }
    eventually(|| engine.stream_stats(c.a).unwrap().rtp.expected, 30);
    let q = engine.stream_stats(c.a).unwrap().rtp;
    assert!(q.jitter_us > 2_000, "jitter {q:?}");
    assert!(q.jitter_us < 200_000, "jitter {q:?}");
}

#[test]
fn each_dtmf_digit_is_reported_once() {
    let engine = engine(4);
    let events = engine.take_events().expect("first taker gets the queue");
    assert!(engine.take_events().is_none(), "one consumer only");
    let (a, b) = (phone(), phone());
    let c = connected_call(
        &engine,
        CallRef(7),
        with_payloads(remote_mux(addr(&a)), 8000, 101),
        remote_mux(addr(&b)),
    );
    let mut seq = 0u16;
    // Key "5" then "#": each sent as three updates and three end packets (RFC 4733
    // §2.5.1.4 retransmits the end), all relayed, each reported once.
    for (event, ts) in [(5u8, 8000u32), (11, 16000)] {
        for (dur, end) in [
            (160u16, false),
            (320, false),
            (480, false),
            (640, true),
            (640, true),
            (640, true),
        ] {
            let mut payload = vec![event, if end { 0x80 | 10 } else { 10 }];
            payload.extend_from_slice(&dur.to_be_bytes());
            let pkt = rtp_pt(seq, ts, 101, &payload);
            a.send_to(&pkt, c.ep_a.rtp).unwrap();
            assert_eq!(recv(&b).0, pkt, "telephone-event relayed unchanged");
            seq += 1;
        }
    }
    let mut digits = Vec::new();
    while let Ok(ev) = events.recv_timeout(Duration::from_millis(300)) {
        assert_eq!(
            (ev.call, ev.side, ev.stream),
            (CallRef(7), Some(LegSide::A), c.a)
        );
        let MediaEventKind::Dtmf { digit, .. } = ev.kind else {
            panic!("unexpected event {ev:?}");
        };
        digits.push(digit);
    }
    assert_eq!(digits, ['5', '#']);
}

#[test]
fn a_released_call_leaves_its_figures_for_the_cdr() {
    use sbc_core::media::MediaControl;
    let engine = engine(4);
    let (a, b) = (phone(), phone());
    let c = connected_call(
        &engine,
        CallRef(3),
        remote_mux(addr(&a)),
        remote_mux(addr(&b)),
    );
    for seq in [0u16, 1, 2, 4] {
        a.send_to(&rtp_pt(seq, u32::from(seq) * 160, 0, &[0; 160]), c.ep_a.rtp)
            .unwrap();
        recv(&b);
    }
    b.send_to(&rtp_pt(0, 0, 0, &[0; 160]), c.ep_b.rtp).unwrap();
    recv(&a);
    eventually(|| engine.stream_stats(c.a).unwrap().packets_sent, 1);
    eventually(|| engine.stream_stats(c.b).unwrap().packets_sent, 4);
    eventually(|| engine.stream_stats(c.a).unwrap().rtp.expected, 5);
    engine.release_call(CallRef(3));
    let s = engine.take_call_stats(CallRef(3)).expect("figures kept");
    assert_eq!((s.a.packets_received, s.a.packets_sent), (4, 1));
    assert_eq!((s.b.packets_received, s.b.packets_sent), (1, 4));
    assert_eq!((s.a.rtp.expected, s.a.rtp.lost), (5, 1));
    assert!(engine.take_call_stats(CallRef(3)).is_none(), "taken once");
}
