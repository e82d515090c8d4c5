//! Batched relaying (`recvmmsg`/`sendmmsg`): bursts arrive complete and in order,
//! oversized datagrams are counted drops, muxed RTP/RTCP keep their destinations
//! inside one batch, and streams sharing a worker all flow.

mod common;

use std::net::{SocketAddr, UdpSocket};

use common::*;
use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{LocalEndpoint, MediaControl};
use sbc_media::{DropReason, MediaEngine};
use socket2::SockRef;

const BURST: u16 = 500;

/// A phone whose receive buffer holds a whole burst (the relay sends it back-to-back).
fn big_phone() -> UdpSocket {
    let s = phone();
    // Best effort, capped by net.core.rmem_max; 4 MiB is far more than a burst needs.
    let _ = SockRef::from(&s).set_recv_buffer_size(4 << 20);
    s
}

struct Call {
    a: StreamId,
    b: StreamId,
    ep_a: LocalEndpoint,
    ep_b: LocalEndpoint,
    pa: UdpSocket,
    pb: UdpSocket,
}

/// Two connected streams with plain (non-muxed) phones on both sides.
fn call(engine: &MediaEngine, id: u64) -> Call {
    let (a, ep_a) = engine.allocate(CallRef(id), LegSide::A).unwrap();
    let (b, ep_b) = engine.allocate(CallRef(id), LegSide::B).unwrap();
    let (pa, pb) = (big_phone(), big_phone());
    engine
        .set_remote(a, remote(addr(&pa), addr(&phone())))
        .unwrap();
    engine
        .set_remote(b, remote(addr(&pb), addr(&phone())))
        .unwrap();
    engine.connect(a, b).unwrap();
    engine.sync().unwrap();
    Call {
        a,
        b,
        ep_a,
        ep_b,
        pa,
        pb,
    }
}

/// Receives `n` datagrams and checks they are `rtp(first..first + n)` from `from`.
fn expect_in_order(s: &UdpSocket, first: u16, n: u16, from: SocketAddr) {
    for seq in first..first + n {
        assert_eq!(recv(s), (rtp(seq), from), "packet {seq}");
    }
}

#[test]
fn a_burst_arrives_complete_and_in_order() {
    let engine = engine(4);
    let c = call(&engine, 1);
    for seq in 0..BURST {
        c.pa.send_to(&rtp(seq), c.ep_a.rtp).unwrap();
    }
    expect_in_order(&c.pb, 0, BURST, c.ep_b.rtp);
    for seq in 0..BURST {
        c.pb.send_to(&rtp(seq), c.ep_b.rtp).unwrap();
    }
    expect_in_order(&c.pa, 0, BURST, c.ep_a.rtp);
    let total = u64::from(BURST);
    eventually(
        || {
            engine
                .stream_stats(c.a)
                .map(|s| (s.packets_received, s.packets_sent))
        },
        Some((total, total)),
    );
    eventually(|| engine.stats().traffic.packets_sent, 2 * total);
    assert_eq!(engine.stats().traffic.drops.total(), 0);
    let b = engine.stream_stats(c.b).unwrap();
    assert_eq!(b.bytes_sent, total * 172, "tx bytes counted per batch");
}

/// Receive slots are 2 KiB: no RTP/RTCP packet is larger than an Ethernet MTU, so a
/// bigger datagram is abnormal and dropped whole (never relayed cut short).
#[test]
fn an_oversized_datagram_is_a_counted_drop() {
    let engine = engine(4);
    let c = call(&engine, 2);
    let mut jumbo = rtp(1);
    jumbo.resize(3000, 0xAB);
    c.pa.send_to(&rtp(0), c.ep_a.rtp).unwrap();
    c.pa.send_to(&jumbo, c.ep_a.rtp).unwrap();
    c.pa.send_to(&rtp(2), c.ep_a.rtp).unwrap();
    assert_eq!(recv(&c.pb).0, rtp(0));
    assert_eq!(recv(&c.pb).0, rtp(2), "the jumbo datagram is not relayed");
    assert_silent(&c.pb);
    let stats = || engine.stream_stats(c.a).unwrap();
    eventually(|| stats().drops.get(DropReason::Oversize), 1);
    let s = stats();
    assert_eq!(s.packets_received, 3);
    assert_eq!(s.bytes_received, 172 + 3000 + 172, "real size counted");
    assert_eq!(s.drops.total(), 1);
    assert_eq!(engine.stats().traffic.packets_sent, 2);
}

/// A muxing phone interleaves RTP and RTCP on one port; the other side does not mux,
/// so one received batch leaves through two egress sockets (two `sendmmsg`s).
#[test]
fn muxed_rtp_and_rtcp_keep_their_destinations() {
    let engine = engine(4);
    let (a, ep_a) = engine.allocate(CallRef(3), LegSide::A).unwrap();
    let (b, ep_b) = engine.allocate(CallRef(3), LegSide::B).unwrap();
    let (pa, pb, pb_c) = (big_phone(), big_phone(), big_phone());
    engine.set_remote(a, remote_mux(addr(&pa))).unwrap();
    engine
        .set_remote(b, remote(addr(&pb), addr(&pb_c)))
        .unwrap();
    engine.connect(a, b).unwrap();
    engine.sync().unwrap();

    const PAIRS: u16 = 200;
    for i in 0..PAIRS {
        pa.send_to(&rtp(i), ep_a.rtp).unwrap();
        pa.send_to(&rtcp_rr(u32::from(i)), ep_a.rtp).unwrap();
    }
    expect_in_order(&pb, 0, PAIRS, ep_b.rtp);
    for i in 0..PAIRS {
        assert_eq!(recv(&pb_c), (rtcp_rr(u32::from(i)), ep_b.rtcp), "rr {i}");
    }
    assert_silent(&pb);

    // Back: B's RTCP (own port) and RTP both reach the muxing phone on its one port.
    for i in 0..PAIRS {
        pb.send_to(&rtp(i), ep_b.rtp).unwrap();
        pb_c.send_to(&rtcp_rr(u32::from(i)), ep_b.rtcp).unwrap();
    }
    let (mut rtp_seen, mut rr_seen) = (0u16, 0u32);
    for _ in 0..2 * PAIRS {
        let (pkt, from) = recv(&pa);
        assert_eq!(from, ep_a.rtp, "all of it from the SBC's RTP port");
        if pkt.get(1) == Some(&201) {
            assert_eq!(pkt, rtcp_rr(rr_seen));
            rr_seen += 1;
        } else {
            assert_eq!(pkt, rtp(rtp_seen));
            rtp_seen += 1;
        }
    }
    assert_eq!((rtp_seen, rr_seen), (PAIRS, u32::from(PAIRS)));
    assert_eq!(engine.stats().traffic.drops.total(), 0);
}

#[test]
fn two_streams_on_one_worker_both_flow() {
    let engine = MediaEngine::start(settings(8, 1)).expect("engine starts");
    let (c1, c2) = (call(&engine, 4), call(&engine, 5));
    const N: u16 = 300;
    for seq in 0..N {
        c1.pa.send_to(&rtp(seq), c1.ep_a.rtp).unwrap();
        c2.pa.send_to(&rtp(seq), c2.ep_a.rtp).unwrap();
        c1.pb.send_to(&rtp(seq), c1.ep_b.rtp).unwrap();
        c2.pb.send_to(&rtp(seq), c2.ep_b.rtp).unwrap();
    }
    expect_in_order(&c1.pb, 0, N, c1.ep_b.rtp);
    expect_in_order(&c2.pb, 0, N, c2.ep_b.rtp);
    expect_in_order(&c1.pa, 0, N, c1.ep_a.rtp);
    expect_in_order(&c2.pa, 0, N, c2.ep_a.rtp);
    eventually(|| engine.stats().traffic.packets_sent, 4 * u64::from(N));
    assert_eq!(engine.stats().traffic.drops.total(), 0);
}

/// A worker stops reading a socket after a short batch (no extra recvmmsg for
/// EAGAIN). Bursts of every size around the batch limit, sent while the worker may
/// be mid-read, must never leave a datagram stranded: each burst arrives whole
/// before the next is sent, or `recv` fails the test after its timeout.
#[test]
fn short_batches_never_strand_a_datagram() {
    let engine = engine(4);
    let c = call(&engine, 9);
    let from = c.ep_b.rtp;
    let mut seq = 0u16;
    for round in 0..400u16 {
        // 1..=70: below, at and above the 64-datagram batch, in a shifting pattern.
        let n = 1 + (round * 37) % 70;
        for k in 0..n {
            c.pa.send_to(&rtp(seq.wrapping_add(k)), c.ep_a.rtp).unwrap();
            if k % 7 == 3 {
                // Let the worker start a read in the middle of the burst.
                std::thread::yield_now();
            }
        }
        expect_in_order(&c.pb, seq, n, from);
        seq = seq.wrapping_add(n);
    }
    assert_eq!(engine.stream_stats(c.a).unwrap().drops.total(), 0);
}
