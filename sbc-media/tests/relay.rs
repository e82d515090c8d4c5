//! Relaying through a connected pair: both directions, latching, RTCP, rtcp-mux,
//! re-latching after a re-INVITE, and counted drops of bad packets.

mod common;

use common::*;
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::{Direction, MediaControl, RemoteMedia};
use sbc_media::DropReason;

#[test]
fn relays_both_directions_from_the_sbc_ports() {
    let engine = engine(4);
    let call = CallRef(1);
    let (pa, pb) = (phone(), phone());
    let ConnectedCall { a, ep_a, b, ep_b } = connected_call(
        &engine,
        call,
        remote(addr(&pa), addr(&phone())),
        remote(addr(&pb), addr(&phone())),
    );

    pa.send_to(&rtp(1), ep_a.rtp).unwrap();
    let (pkt, from) = recv(&pb);
    assert_eq!(
        (pkt, from),
        (rtp(1), ep_b.rtp),
        "B sees only the SBC's B-side port"
    );

    pb.send_to(&rtp(2), ep_b.rtp).unwrap();
    let (pkt, from) = recv(&pa);
    assert_eq!((pkt, from), (rtp(2), ep_a.rtp));

    let rx_tx = |id| {
        engine
            .stream_stats(id)
            .map(|s| (s.packets_received, s.packets_sent))
    };
    eventually(|| rx_tx(a), Some((1, 1)));
    eventually(|| rx_tx(b), Some((1, 1)));
    let total = engine.stats();
    assert_eq!(total.active_streams, 2);
    assert_eq!(total.ports_in_use, 4);
    assert_eq!(total.traffic.packets_sent, 2);
}

#[test]
fn symmetric_latching_overrides_the_sdp_address() {
    let engine = engine(4);
    let call = CallRef(2);
    // A's SDP says X (a private address behind NAT); A really sends from Y.
    let (sdp_x, real_y, pb) = (phone(), phone(), phone());
    let ConnectedCall { a, ep_a, ep_b, .. } = connected_call(
        &engine,
        call,
        remote(addr(&sdp_x), addr(&phone())),
        remote(addr(&pb), addr(&phone())),
    );

    // Before A sends anything, B's media goes to the SDP address.
    pb.send_to(&rtp(1), ep_b.rtp).unwrap();
    assert_eq!(recv(&sdp_x).0, rtp(1));

    real_y.send_to(&rtp(2), ep_a.rtp).unwrap();
    assert_eq!(recv(&pb).0, rtp(2));
    pb.send_to(&rtp(3), ep_b.rtp).unwrap();
    assert_eq!(recv(&real_y), (rtp(3), ep_a.rtp));
    assert_silent(&sdp_x);

    // A third party cannot move the latch (but is counted).
    let stranger = phone();
    stranger.send_to(&rtp(4), ep_a.rtp).unwrap();
    assert_eq!(recv(&pb).0, rtp(4));
    pb.send_to(&rtp(5), ep_b.rtp).unwrap();
    assert_eq!(recv(&real_y).0, rtp(5));
    assert_silent(&stranger);
    eventually(
        || engine.stream_stats(a).map(|s| s.foreign_source_packets),
        Some(1),
    );
}

#[test]
fn rtcp_on_rtp_plus_one_is_relayed() {
    let engine = engine(4);
    let call = CallRef(3);
    let (a, ep_a) = engine.allocate(call, LegSide::A).unwrap();
    let (b, ep_b) = engine.allocate(call, LegSide::B).unwrap();
    assert_eq!(ep_a.rtp.port() % 2, 0);
    assert_eq!(ep_a.rtcp.port(), ep_a.rtp.port() + 1);
    let (pa, pa_c, pb, pb_c) = (phone(), phone(), phone(), phone());
    engine
        .set_remote(a, remote(addr(&pa), addr(&pa_c)))
        .unwrap();
    engine
        .set_remote(b, remote(addr(&pb), addr(&pb_c)))
        .unwrap();
    engine.connect(a, b).unwrap();
    engine.sync().unwrap();

    pa_c.send_to(&rtcp_rr(0xA), ep_a.rtcp).unwrap();
    assert_eq!(recv(&pb_c), (rtcp_rr(0xA), ep_b.rtcp));
    pb_c.send_to(&rtcp_rr(0xB), ep_b.rtcp).unwrap();
    assert_eq!(recv(&pa_c), (rtcp_rr(0xB), ep_a.rtcp));
    assert_silent(&pa);
    assert_silent(&pb);
}

#[test]
fn rtcp_mux_on_one_side_only() {
    let engine = engine(4);
    let call = CallRef(4);
    let (a, ep_a) = engine.allocate(call, LegSide::A).unwrap();
    let (b, ep_b) = engine.allocate(call, LegSide::B).unwrap();
    // A (e.g. WebRTC-ish) muxes RTCP on one socket; B (a trunk) uses rtp + 1.
    let (pa, pb, pb_c) = (phone(), phone(), phone());
    engine.set_remote(a, remote_mux(addr(&pa))).unwrap();
    engine
        .set_remote(b, remote(addr(&pb), addr(&pb_c)))
        .unwrap();
    engine.connect(a, b).unwrap();
    engine.sync().unwrap();

    pa.send_to(&rtp(1), ep_a.rtp).unwrap();
    assert_eq!(recv(&pb), (rtp(1), ep_b.rtp));
    pa.send_to(&rtcp_rr(0xA), ep_a.rtp).unwrap();
    assert_eq!(recv(&pb_c), (rtcp_rr(0xA), ep_b.rtcp));

    pb.send_to(&rtp(2), ep_b.rtp).unwrap();
    assert_eq!(recv(&pa), (rtp(2), ep_a.rtp));
    pb_c.send_to(&rtcp_rr(0xB), ep_b.rtcp).unwrap();
    assert_eq!(
        recv(&pa),
        (rtcp_rr(0xB), ep_a.rtp),
        "muxed RTCP arrives on the RTP port"
    );
    assert_silent(&pb);
}

#[test]
fn new_sdp_address_reopens_latching() {
    let engine = engine(4);
    let call = CallRef(5);
    let (sdp1, y1, pb) = (phone(), phone(), phone());
    let ConnectedCall { a, ep_a, ep_b, .. } = connected_call(
        &engine,
        call,
        remote(addr(&sdp1), addr(&phone())),
        remote(addr(&pb), addr(&phone())),
    );
    y1.send_to(&rtp(1), ep_a.rtp).unwrap();
    assert_eq!(recv(&pb).0, rtp(1));

    // Same SDP again (a session refresh): the latch stays.
    engine
        .set_remote(a, remote(addr(&sdp1), addr(&phone())))
        .unwrap();
    engine.sync().unwrap();
    pb.send_to(&rtp(2), ep_b.rtp).unwrap();
    assert_eq!(recv(&y1).0, rtp(2));

    // A re-INVITE moves A to a new address: send there until A's new source latches.
    let (sdp2, y2) = (phone(), phone());
    engine
        .set_remote(a, remote(addr(&sdp2), addr(&phone())))
        .unwrap();
    engine.sync().unwrap();
    pb.send_to(&rtp(3), ep_b.rtp).unwrap();
    assert_eq!(recv(&sdp2).0, rtp(3));
    y2.send_to(&rtp(4), ep_a.rtp).unwrap();
    assert_eq!(recv(&pb).0, rtp(4));
    pb.send_to(&rtp(5), ep_b.rtp).unwrap();
    assert_eq!(recv(&y2).0, rtp(5));
    assert_silent(&y1);
    assert_silent(&sdp2);
}

#[test]
fn bad_packets_are_dropped_and_counted() {
    let engine = engine(4);
    let call = CallRef(6);
    let (a, ep_a) = engine.allocate(call, LegSide::A).unwrap();
    let (b, ep_b) = engine.allocate(call, LegSide::B).unwrap();
    let (pa, pb) = (phone(), phone());
    engine
        .set_remote(b, remote(addr(&pb), addr(&phone())))
        .unwrap();
    engine.sync().unwrap();

    // Not connected yet: a valid packet has nowhere to go.
    pa.send_to(&rtp(1), ep_a.rtp).unwrap();
    let dropped = |r| engine.stream_stats(a).map(|s| s.drops.get(r));
    eventually(|| dropped(DropReason::NotConnected), Some(1));
    engine.connect(a, b).unwrap();
    engine.sync().unwrap();

    let mut stun = rtp(2);
    stun[0] = 0x00;
    let mut short_rtp = rtp(3);
    short_rtp.truncate(10);
    pa.send_to(&[0x80, 0, 1], ep_a.rtp).unwrap();
    pa.send_to(&short_rtp, ep_a.rtp).unwrap();
    pa.send_to(&stun, ep_a.rtp).unwrap();
    pa.send_to(&[0x80, 201, 0], ep_a.rtcp).unwrap();
    pa.send_to(&rtp(4), ep_a.rtp).unwrap();
    assert_eq!(recv(&pb).0, rtp(4), "only the valid packet is relayed");

    // B's SDP gives no RTCP address and B never sent RTCP: A's RTCP has nowhere to go.
    let no_rtcp = RemoteMedia::new(Some(addr(&pb)), None, false, Direction::SendRecv);
    engine.set_remote(b, no_rtcp).unwrap();
    engine.sync().unwrap();
    pa.send_to(&rtcp_rr(1), ep_a.rtcp).unwrap();
    // The very first packet (while unconnected) latched A, so B -> A still flows.
    pb.send_to(&rtp(5), ep_b.rtp).unwrap();
    assert_eq!(recv(&pa).0, rtp(5));
    engine.sync().unwrap();

    eventually(|| dropped(DropReason::NoDestination), Some(1));
    let st = engine.stream_stats(a).unwrap();
    assert_eq!(st.drops.get(DropReason::NotConnected), 1);
    assert_eq!(st.drops.get(DropReason::TooShort), 3);
    assert_eq!(st.drops.get(DropReason::BadVersion), 1);
    assert_eq!(st.packets_received, 7);
    let total = engine.stats().traffic;
    assert_eq!(total.drops.total(), 6);
    assert_eq!(total.packets_sent, 2);
}
