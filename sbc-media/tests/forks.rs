//! Forks: what one stream receives also goes to another stream's peer (a recorder, a
//! monitoring input), decrypted once and sealed separately for each destination's leg.
//! This is the multi-sink path of the relay (copy slots), so it also checks that the
//! peer's in-place encryption never leaks into a fork's copy and the other way round.

mod common;

use common::*;
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::{MediaControl, SrtpKey, SrtpKeying, SrtpSuite};
use sbc_media::srtp::{SrtpConfig, SrtpContext, Suite};
use sbc_media::EgressRewrite;

fn key(seed: u8) -> SrtpKey {
    let suite = SrtpSuite::AeadAes128Gcm;
    let bytes: Vec<u8> = (0..suite.key_salt_len() as u8).map(|i| i ^ seed).collect();
    SrtpKey::new(suite, &bytes, None).unwrap()
}

fn ctx(k: &SrtpKey) -> SrtpContext {
    let (m, s) = k.key_salt().split_at(16);
    SrtpContext::new(Suite::AeadAes128Gcm, m, s, &SrtpConfig::default()).unwrap()
}

#[test]
fn a_fork_gets_its_own_copy_sealed_for_its_own_leg() {
    let engine = engine(8);
    let call = CallRef(1);
    let (pa, pb, pr, pr2) = (phone(), phone(), phone(), phone());
    let (a, ep_a) = engine.allocate(call, LegSide::A).unwrap();
    let (b, ep_b) = engine.allocate(call, LegSide::B).unwrap();
    let (r, _) = engine.allocate(call, LegSide::B).unwrap();
    let (r2, _) = engine.allocate(call, LegSide::B).unwrap();
    // B is SRTP (GCM), A plain; the recorder R plain, R2 SRTP with its own key.
    let (b_phone, b_sbc, r2_sbc) = (key(1), key(2), key(3));
    engine.set_remote(a, remote_mux(addr(&pa))).unwrap();
    engine
        .set_remote(
            b,
            remote_mux(addr(&pb)).with_srtp(SrtpKeying {
                inbound: b_phone.clone(),
                outbound: b_sbc.clone(),
            }),
        )
        .unwrap();
    engine.set_remote(r, remote_mux(addr(&pr))).unwrap();
    engine
        .set_remote(
            r2,
            remote_mux(addr(&pr2)).with_srtp(SrtpKeying {
                inbound: key(9),
                outbound: r2_sbc.clone(),
            }),
        )
        .unwrap();
    engine.connect(a, b).unwrap();
    engine.fork(a, r, true).unwrap();
    engine.fork(b, r, true).unwrap();
    engine.fork(a, r2, true).unwrap();
    engine
        .set_egress_rewrite(r, Some(EgressRewrite::with_ssrc(0x5EC0_4D00)))
        .unwrap();
    engine.sync().unwrap();

    let (mut b_rx, mut b_tx, mut r2_rx) = (ctx(&b_sbc), ctx(&b_phone), ctx(&r2_sbc));
    for seq in 0..30u16 {
        // A -> B (sealed for B), and copies to R (plain, rewritten) and R2 (sealed for R2).
        let plain = rtp(seq);
        pa.send_to(&plain, ep_a.rtp).unwrap();
        let mut wire = recv(&pb).0;
        let n = b_rx
            .unprotect_rtp(&mut wire)
            .expect("B's copy authenticates");
        assert_eq!(wire[..n], plain[..]);
        let copy = recv(&pr).0;
        assert_eq!(copy[12..], plain[12..], "R gets the plain payload");
        assert_eq!(copy[8..12], 0x5EC0_4D00u32.to_be_bytes(), "R's own SSRC");
        let mut wire = recv(&pr2).0;
        let n = r2_rx
            .unprotect_rtp(&mut wire)
            .expect("R2's copy authenticates");
        assert_eq!(wire[..n], plain[..]);

        // B -> A (decrypted), and a plain copy to R (B's fork).
        let plain = rtp(1000 + seq);
        let mut buf = plain.clone();
        buf.resize(plain.len() + 32, 0);
        let n = b_tx.protect_rtp(&mut buf, plain.len()).unwrap();
        pb.send_to(&buf[..n], ep_b.rtp).unwrap();
        assert_eq!(recv(&pa).0, plain);
        assert_eq!(recv(&pr).0[12..], plain[12..]);
    }

    // Removing a fork, then releasing the call, leaves nothing behind.
    engine.fork(a, r2, false).unwrap();
    engine.sync().unwrap();
    pa.send_to(&rtp(99), ep_a.rtp).unwrap();
    recv(&pb);
    recv(&pr);
    assert_silent(&pr2);
    assert_eq!(engine.stream_stats(a).unwrap().drops.total(), 0);
    engine.release_call(call);
    engine.sync().unwrap();
    assert_eq!(engine.stats().active_streams, 0);
}

#[test]
fn forks_are_bounded_and_only_within_a_call() {
    let engine = engine(16);
    let call = CallRef(1);
    let (pa, pb) = (phone(), phone());
    let (a, ep_a) = engine.allocate(call, LegSide::A).unwrap();
    let (b, _) = engine.allocate(call, LegSide::B).unwrap();
    engine.set_remote(a, remote_mux(addr(&pa))).unwrap();
    engine.set_remote(b, remote_mux(addr(&pb))).unwrap();
    engine.connect(a, b).unwrap();
    // Peer + three forks fill the sink list; a fourth fork is refused.
    let recorders: Vec<_> = (0..4)
        .map(|_| {
            let p = phone();
            let (s, _) = engine.allocate(call, LegSide::B).unwrap();
            engine.set_remote(s, remote_mux(addr(&p))).unwrap();
            engine.fork(a, s, true).unwrap();
            p
        })
        .collect();
    engine.sync().unwrap();
    pa.send_to(&rtp(1), ep_a.rtp).unwrap();
    assert_eq!(recv(&pb).0, rtp(1));
    for p in &recorders[..3] {
        assert_eq!(recv(p).0, rtp(1));
    }
    assert_silent(&recorders[3]);

    // A stream of another call may live on another worker: such a fork is refused.
    let refused = (2..40).any(|n| {
        let (s, _) = engine.allocate(CallRef(n), LegSide::A).unwrap();
        engine.fork(a, s, true).is_err()
    });
    assert!(
        refused,
        "a stream on another worker cannot be a fork target"
    );
}
