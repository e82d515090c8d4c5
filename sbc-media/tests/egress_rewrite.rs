//! Egress rewriting keeps what a leg's peer receives one continuous RTP stream while
//! its source is switched (the other leg, then a stand-in for a mixer or a
//! supervisor, then back): one SSRC, sequence numbers without gaps, timestamps that
//! only move forward, the marker bit on each splice, payload types mapped.

mod common;

use common::*;
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::MediaControl;
use sbc_media::EgressRewrite;

fn pkt(seq: u16, ts: u32, ssrc: u32, pt: u8) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0xAB; 160]);
    p
}

struct Seen {
    seq: u16,
    ts: u32,
    ssrc: u32,
    pt: u8,
    marker: bool,
}

fn seen(p: &[u8]) -> Seen {
    Seen {
        marker: p[1] & 0x80 != 0,
        pt: p[1] & 0x7f,
        seq: u16::from_be_bytes([p[2], p[3]]),
        ts: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
        ssrc: u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
    }
}

#[test]
fn switching_sources_keeps_one_continuous_stream() {
    let engine = engine(8);
    let call = CallRef(1);
    let (pa, pb, pm) = (phone(), phone(), phone());
    let (a, ep_a) = engine.allocate(call, LegSide::A).unwrap();
    let (b, ep_b) = engine.allocate(call, LegSide::B).unwrap();
    let (m, ep_m) = engine.allocate(call, LegSide::B).unwrap();
    engine.set_remote(a, remote_mux(addr(&pa))).unwrap();
    engine.set_remote(b, remote_mux(addr(&pb))).unwrap();
    engine.set_remote(m, remote_mux(addr(&pm))).unwrap();
    engine.connect(a, b).unwrap();
    let mut rewrite = EgressRewrite::with_ssrc(0xB0B0_B0B0);
    assert!(rewrite.map_payload_type(101, 96));
    engine.set_egress_rewrite(b, Some(rewrite)).unwrap();
    engine.sync().unwrap();
    let _ = ep_b;

    // A feeds B: the first input keeps its numbering, only the SSRC changes.
    let mut last = None;
    for k in 0..10u16 {
        pa.send_to(
            &pkt(100 + k, 1000 + 160 * u32::from(k), 0xAAAA, 0),
            ep_a.rtp,
        )
        .unwrap();
        let s = seen(&recv(&pb).0);
        assert_eq!(
            (s.seq, s.ts, s.ssrc),
            (100 + k, 1000 + 160 * u32::from(k), 0xB0B0_B0B0)
        );
        assert!(!s.marker);
        last = Some((s.seq, s.ts));
    }
    // A telephone-event packet: payload type mapped 101 -> 96.
    pa.send_to(&pkt(110, 2600, 0xAAAA, 101), ep_a.rtp).unwrap();
    let s = seen(&recv(&pb).0);
    assert_eq!((s.seq, s.pt), (110, 96));
    last = Some((s.seq, s.ts)).or(last);

    // Switch B's source to M (wildly different numbering): B's peer sees no jump.
    engine.connect(m, b).unwrap();
    engine.sync().unwrap();
    let (mut prev_seq, mut prev_ts) = last.unwrap();
    for k in 0..10u16 {
        pm.send_to(
            &pkt(40_000 + k, 9_000_000 + 160 * u32::from(k), 0xCCCC, 0),
            ep_m.rtp,
        )
        .unwrap();
        let s = seen(&recv(&pb).0);
        assert_eq!(s.ssrc, 0xB0B0_B0B0);
        assert_eq!(s.seq, prev_seq.wrapping_add(1), "no sequence gap at k={k}");
        assert!(
            s.ts.wrapping_sub(prev_ts) >= 160 && s.ts.wrapping_sub(prev_ts) < 8000 * 5,
            "ts {} after {prev_ts}",
            s.ts
        );
        assert_eq!(s.marker, k == 0, "marker only on the splice");
        (prev_seq, prev_ts) = (s.seq, s.ts);
    }

    // And back to A, which went on counting meanwhile.
    engine.connect(a, b).unwrap();
    engine.sync().unwrap();
    for k in 0..5u16 {
        pa.send_to(
            &pkt(500 + k, 80_000 + 160 * u32::from(k), 0xAAAA, 0),
            ep_a.rtp,
        )
        .unwrap();
        let s = seen(&recv(&pb).0);
        assert_eq!(s.seq, prev_seq.wrapping_add(1));
        assert!(s.ts.wrapping_sub(prev_ts) >= 160);
        (prev_seq, prev_ts) = (s.seq, s.ts);
    }

    // Rewriting off: packets pass untouched again.
    engine.set_egress_rewrite(b, None).unwrap();
    engine.sync().unwrap();
    let raw = pkt(505, 80_800, 0xAAAA, 0);
    pa.send_to(&raw, ep_a.rtp).unwrap();
    assert_eq!(recv(&pb).0, raw);
}
