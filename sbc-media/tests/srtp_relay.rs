//! SRTP on the relay path: each leg has its own keys, the packet is decrypted once with
//! the sender's key and encrypted with the receiving leg's key, and the far end (an
//! independent `SrtpContext` keyed like a phone) gets back exactly what was sent. Also:
//! RTP↔SRTP interworking, drops counted per reason (auth, replay, strict source), the
//! ROC kept across a re-INVITE with the same keys (across a sequence wrap), and re-keying.

mod common;

use common::*;
use sbc_core::ids::CallRef;
use sbc_core::media::{MediaControl, RemoteMedia, SrtpKey, SrtpKeying, SrtpMki, SrtpSuite};
use sbc_media::srtp::{Mki, SrtpConfig, SrtpContext, Suite};
use sbc_media::{DropReason, MediaEngine};

/// A deterministic key for `suite`, distinct per `seed`.
fn key(suite: SrtpSuite, seed: u8, mki: Option<SrtpMki>) -> SrtpKey {
    let bytes: Vec<u8> = (0..suite.key_salt_len() as u8)
        .map(|i| i.wrapping_mul(31) ^ seed)
        .collect();
    SrtpKey::new(suite, &bytes, mki).unwrap()
}

/// What a phone holding `k` uses to protect (or unprotect) its side.
fn context(k: &SrtpKey) -> SrtpContext {
    let suite = Suite::from(k.suite());
    let (master, salt) = k.key_salt().split_at(suite.key_len());
    let config = SrtpConfig {
        mki: k
            .mki()
            .map(|m| Mki::from_value(m.value(), usize::from(m.len())).unwrap()),
        ..SrtpConfig::default()
    };
    SrtpContext::new(suite, master, salt, &config).unwrap()
}

/// One leg's keys: the phone's own and the SBC's for that leg.
struct LegKeys {
    phone: SrtpKey,
    sbc: SrtpKey,
}

impl LegKeys {
    fn new(suite: SrtpSuite, seed: u8) -> Self {
        LegKeys {
            phone: key(suite, seed, None),
            sbc: key(suite, seed ^ 0x5A, None),
        }
    }
    fn keying(&self) -> SrtpKeying {
        SrtpKeying {
            inbound: self.phone.clone(),
            outbound: self.sbc.clone(),
        }
    }
}

fn protect(ctx: &mut SrtpContext, plain: &[u8]) -> Vec<u8> {
    let mut buf = plain.to_vec();
    buf.resize(plain.len() + 64, 0);
    let n = ctx.protect_rtp(&mut buf, plain.len()).unwrap();
    buf.truncate(n);
    buf
}

fn unprotect(ctx: &mut SrtpContext, wire: &[u8]) -> Vec<u8> {
    let mut buf = wire.to_vec();
    let n = ctx.unprotect_rtp(&mut buf).expect("far end authenticates");
    buf.truncate(n);
    buf
}

fn rtp_with(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = rtp(seq);
    p[8..12].copy_from_slice(&ssrc.to_be_bytes());
    for (i, b) in p[12..].iter_mut().enumerate() {
        *b = (i as u8) ^ (seq as u8);
    }
    p
}

fn srtp_remote(s: &std::net::UdpSocket, keys: &LegKeys) -> RemoteMedia {
    remote_mux(addr(s)).with_srtp(keys.keying())
}

/// Two phones on one SRTP call: A's leg keyed with `ka`, B's with `kb`.
fn srtp_call(
    engine: &sbc_media::MediaEngine,
    ka: &LegKeys,
    kb: &LegKeys,
) -> (std::net::UdpSocket, std::net::UdpSocket, ConnectedCall) {
    let (a, b) = (phone(), phone());
    let c = connected_call(engine, CallRef(1), srtp_remote(&a, ka), srtp_remote(&b, kb));
    (a, b, c)
}

#[test]
fn srtp_to_srtp_each_suite_with_independent_keys() {
    let engine = engine(16);
    for (n, suite) in SrtpSuite::ALL.into_iter().enumerate() {
        let (ka, kb) = (LegKeys::new(suite, 1), LegKeys::new(suite, 2));
        let a = phone();
        let b = phone();
        let c = connected_call(
            &engine,
            CallRef(100 + n as u64),
            srtp_remote(&a, &ka),
            srtp_remote(&b, &kb),
        );
        let (mut a_tx, mut a_rx) = (context(&ka.phone), context(&ka.sbc));
        let (mut b_tx, mut b_rx) = (context(&kb.phone), context(&kb.sbc));
        for seq in 0..20u16 {
            let plain = rtp_with(seq, 0xA1);
            a.send_to(&protect(&mut a_tx, &plain), c.ep_a.rtp).unwrap();
            let (wire, _) = recv(&b);
            assert_ne!(wire[12..], plain[12..], "{suite}: B gets ciphertext");
            assert_eq!(unprotect(&mut b_rx, &wire), plain, "{suite} A->B seq {seq}");

            let plain = rtp_with(seq, 0xB2);
            b.send_to(&protect(&mut b_tx, &plain), c.ep_b.rtp).unwrap();
            let (wire, _) = recv(&a);
            assert_eq!(unprotect(&mut a_rx, &wire), plain, "{suite} B->A seq {seq}");
        }
        // SRTCP both ways (muxed on the RTP port).
        let rr = rtcp_rr(0xA1);
        let mut buf = rr.clone();
        buf.resize(rr.len() + 64, 0);
        let len = a_tx.protect_rtcp(&mut buf, rr.len()).unwrap();
        a.send_to(&buf[..len], c.ep_a.rtp).unwrap();
        let (mut wire, _) = recv(&b);
        let n = b_rx.unprotect_rtcp(&mut wire).expect("SRTCP authenticates");
        assert_eq!(wire[..n], rr[..], "{suite}: SRTCP A->B");
        let stats = engine.stream_stats(c.a).unwrap();
        assert_eq!(stats.drops.total(), 0, "{suite}: {stats:?}");
    }
}

#[test]
fn rtp_to_srtp_and_back() {
    let engine = engine(4);
    let kb = LegKeys::new(SrtpSuite::AesCm128HmacSha1_80, 3);
    let a = phone();
    let b = phone();
    let c = connected_call(
        &engine,
        CallRef(1),
        remote_mux(addr(&a)),
        srtp_remote(&b, &kb),
    );
    let (mut b_tx, mut b_rx) = (context(&kb.phone), context(&kb.sbc));
    for seq in 0..10u16 {
        let plain = rtp_with(seq, 7);
        a.send_to(&plain, c.ep_a.rtp).unwrap();
        let (wire, _) = recv(&b);
        assert_eq!(wire.len(), plain.len() + 10, "an 80-bit tag was added");
        assert_eq!(unprotect(&mut b_rx, &wire), plain);

        let plain = rtp_with(seq, 8);
        b.send_to(&protect(&mut b_tx, &plain), c.ep_b.rtp).unwrap();
        let (got, _) = recv(&a);
        assert_eq!(got, plain, "A gets plain RTP");
    }
}

#[test]
fn forged_replayed_and_plain_packets_are_dropped_and_counted() {
    let engine = engine(4);
    let (ka, kb) = (
        LegKeys::new(SrtpSuite::AeadAes128Gcm, 4),
        LegKeys::new(SrtpSuite::AeadAes128Gcm, 5),
    );
    let (a, b, c) = srtp_call(&engine, &ka, &kb);
    let (mut a_tx, mut b_rx) = (context(&ka.phone), context(&kb.sbc));
    let good = protect(&mut a_tx, &rtp_with(1, 9));
    a.send_to(&good, c.ep_a.rtp).unwrap();
    unprotect(&mut b_rx, &recv(&b).0);
    // The same packet again: a replay.
    a.send_to(&good, c.ep_a.rtp).unwrap();
    // A flipped bit in the payload: the tag fails.
    let mut forged = protect(&mut a_tx, &rtp_with(2, 9));
    forged[20] ^= 1;
    a.send_to(&forged, c.ep_a.rtp).unwrap();
    // Plain RTP on an SRTP leg: no valid tag either.
    a.send_to(&rtp_with(3, 9), c.ep_a.rtp).unwrap();
    // A packet protected with the SBC's key instead of the phone's.
    let mut wrong = context(&ka.sbc);
    a.send_to(&protect(&mut wrong, &rtp_with(4, 9)), c.ep_a.rtp)
        .unwrap();
    assert_silent(&b);
    let drops = || engine.stream_stats(c.a).unwrap().drops;
    eventually(|| drops().get(DropReason::SrtpReplay), 1);
    eventually(|| drops().get(DropReason::SrtpAuth), 3);
    // The stream still works.
    a.send_to(&protect(&mut a_tx, &rtp_with(5, 9)), c.ep_a.rtp)
        .unwrap();
    let (wire, _) = recv(&b);
    assert_eq!(unprotect(&mut b_rx, &wire), rtp_with(5, 9));
}

#[test]
fn reinvite_with_the_same_keys_keeps_the_rollover_counter() {
    let engine = engine(4);
    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let (ka, kb) = (LegKeys::new(suite, 6), LegKeys::new(suite, 7));
    let (a, b, c) = srtp_call(&engine, &ka, &kb);
    let (mut a_tx, mut b_rx) = (context(&ka.phone), context(&kb.sbc));
    let mut send = |seq: u16| {
        let plain = rtp_with(seq, 0x42);
        a.send_to(&protect(&mut a_tx, &plain), c.ep_a.rtp).unwrap();
        let (wire, _) = recv(&b);
        assert_eq!(unprotect(&mut b_rx, &wire), plain, "seq {seq}");
    };
    // Across the wrap: ROC becomes 1 on every context.
    for seq in [65_530u16, 65_533, 65_535, 0, 2, 5] {
        send(seq);
    }
    // Re-INVITE (e.g. hold/resume) with the very same keys on both legs.
    engine.set_remote(c.a, srtp_remote(&a, &ka)).unwrap();
    engine.set_remote(c.b, srtp_remote(&b, &kb)).unwrap();
    engine.sync().unwrap();
    for seq in [6u16, 7, 100] {
        send(seq);
    }
    assert_eq!(engine.stream_stats(c.a).unwrap().drops.total(), 0);
}

#[test]
fn a_new_peer_key_replaces_only_that_context() {
    let engine = engine(4);
    let suite = SrtpSuite::AeadAes256Gcm;
    let (ka, kb) = (LegKeys::new(suite, 8), LegKeys::new(suite, 9));
    let (a, b, c) = srtp_call(&engine, &ka, &kb);
    let (mut a_tx, mut b_rx) = (context(&ka.phone), context(&kb.sbc));
    for seq in 0..3u16 {
        a.send_to(&protect(&mut a_tx, &rtp_with(seq, 1)), c.ep_a.rtp)
            .unwrap();
        let (wire, _) = recv(&b);
        unprotect(&mut b_rx, &wire);
    }
    // A re-keys in a re-INVITE; the SBC's own key for A stays.
    let ka2 = LegKeys {
        phone: key(suite, 0x77, None),
        sbc: ka.sbc.clone(),
    };
    engine.set_remote(c.a, srtp_remote(&a, &ka2)).unwrap();
    engine.sync().unwrap();
    // Old key: refused. New key: relayed, and B's context (unchanged) keeps going.
    a.send_to(&protect(&mut a_tx, &rtp_with(3, 1)), c.ep_a.rtp)
        .unwrap();
    assert_silent(&b);
    let mut a_tx2 = context(&ka2.phone);
    a.send_to(&protect(&mut a_tx2, &rtp_with(4, 1)), c.ep_a.rtp)
        .unwrap();
    let (wire, _) = recv(&b);
    assert_eq!(unprotect(&mut b_rx, &wire), rtp_with(4, 1));
    eventually(
        || {
            engine
                .stream_stats(c.a)
                .unwrap()
                .drops
                .get(DropReason::SrtpAuth)
        },
        1,
    );
}

#[test]
fn mki_is_written_and_required() {
    let engine = engine(4);
    let suite = SrtpSuite::AesCm128HmacSha1_32;
    let mki = |v| Some(SrtpMki::new(v, 2).unwrap());
    let ka = LegKeys {
        phone: key(suite, 10, mki(1)),
        sbc: key(suite, 11, mki(2)),
    };
    let kb = LegKeys {
        phone: key(suite, 12, mki(3)),
        sbc: key(suite, 13, mki(4)),
    };
    let (a, b, c) = srtp_call(&engine, &ka, &kb);
    let (mut a_tx, mut b_rx) = (context(&ka.phone), context(&kb.sbc));
    let plain = rtp_with(1, 3);
    a.send_to(&protect(&mut a_tx, &plain), c.ep_a.rtp).unwrap();
    let (wire, _) = recv(&b);
    assert_eq!(wire.len(), plain.len() + 2 + 4, "MKI (2) + 32-bit tag");
    assert_eq!(
        wire[plain.len()..plain.len() + 2],
        [0, 4],
        "the SBC's MKI for B"
    );
    assert_eq!(unprotect(&mut b_rx, &wire), plain);
}

#[test]
fn strict_source_drops_other_senders_until_a_new_sdp() {
    let mut settings = settings(4, 1);
    settings.strict_source = true;
    let engine = MediaEngine::start(settings).unwrap();
    let a = phone();
    let b = phone();
    let intruder = phone();
    let c = connected_call(
        &engine,
        CallRef(1),
        remote_mux(addr(&a)),
        remote_mux(addr(&b)),
    );
    a.send_to(&rtp(1), c.ep_a.rtp).unwrap();
    recv(&b);
    intruder.send_to(&rtp(2), c.ep_a.rtp).unwrap();
    assert_silent(&b);
    eventually(
        || {
            engine
                .stream_stats(c.a)
                .unwrap()
                .drops
                .get(DropReason::ForeignSource)
        },
        1,
    );
    // A re-INVITE from A's side re-opens the latch: the new source may latch.
    engine.set_remote(c.a, remote_mux(addr(&a))).unwrap();
    engine.sync().unwrap();
    intruder.send_to(&rtp(3), c.ep_a.rtp).unwrap();
    assert_eq!(recv(&b).0, rtp(3));
    a.send_to(&rtp(4), c.ep_a.rtp).unwrap();
    assert_silent(&b);
}
