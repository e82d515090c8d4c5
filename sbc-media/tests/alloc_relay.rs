//! The relay's packet path allocates nothing: after a warm-up, 10,000 packets each way
//! (plus RTCP) through one call leave the media worker threads' allocation counter at
//! zero, also when re-INVITEs re-open the latch mid-stream, and with SRTP on both legs
//! (decrypt and re-encrypt in place). Control commands may
//! allocate, so counting is switched off around them.
//!
//! Own test binary because it installs a counting `#[global_allocator]`. Only threads
//! the engine marks as media workers (`sbc_media::testing::in_media_worker`) count;
//! the test's own threads (phones, harness) allocate freely.

mod common;

use std::net::UdpSocket;
use std::sync::Mutex;

use common::*;
use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{LocalEndpoint, MediaControl};
use sbc_media::{testing::WorkerAllocations, MediaEngine};

#[global_allocator]
static GLOBAL: WorkerAllocations = WorkerAllocations::new();

/// The two tests share the global counters: run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const PACKETS: u16 = 10_000;
const WARM_UP: u16 = 100;
/// Packets per direction sent before waiting for them: far below any socket buffer.
const BURST: u16 = 50;

struct Call {
    engine: MediaEngine,
    a: StreamId,
    ep_a: LocalEndpoint,
    ep_b: LocalEndpoint,
    /// Phones: RTP and RTCP of each side.
    pa: UdpSocket,
    pa_c: UdpSocket,
    pb: UdpSocket,
    pb_c: UdpSocket,
}

fn setup() -> Call {
    let engine = MediaEngine::start(settings(4, 1)).expect("engine starts");
    let (a, ep_a) = engine.allocate(CallRef(1), LegSide::A).unwrap();
    let (b, ep_b) = engine.allocate(CallRef(1), LegSide::B).unwrap();
    let (pa, pa_c, pb, pb_c) = (phone(), phone(), phone(), phone());
    engine
        .set_remote(a, remote(addr(&pa), addr(&pa_c)))
        .unwrap();
    engine
        .set_remote(b, remote(addr(&pb), addr(&pb_c)))
        .unwrap();
    engine.connect(a, b).unwrap();
    engine.sync().unwrap();
    Call {
        engine,
        a,
        ep_a,
        ep_b,
        pa,
        pa_c,
        pb,
        pb_c,
    }
}

/// One burst each way (A first, so a re-opened latch is set again before B sends),
/// plus one RTCP report each way; waits until every packet arrived (bounded).
fn burst(c: &Call, first: u16, n: u16) {
    for seq in first..first + n {
        c.pa.send_to(&rtp(seq), c.ep_a.rtp).unwrap();
    }
    for seq in first..first + n {
        assert_eq!(recv(&c.pb).0, rtp(seq), "A -> B {seq}");
    }
    for seq in first..first + n {
        c.pb.send_to(&rtp(seq), c.ep_b.rtp).unwrap();
    }
    for seq in first..first + n {
        assert_eq!(recv(&c.pa).0, rtp(seq), "B -> A {seq}");
    }
    c.pa_c.send_to(&rtcp_rr(1), c.ep_a.rtcp).unwrap();
    c.pb_c.send_to(&rtcp_rr(2), c.ep_b.rtcp).unwrap();
    assert_eq!(recv(&c.pb_c).0, rtcp_rr(1));
    assert_eq!(recv(&c.pa_c).0, rtcp_rr(2));
}

#[test]
fn steady_state_relaying_allocates_nothing() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let c = setup();
    burst(&c, 0, WARM_UP);
    c.engine.sync().unwrap();

    GLOBAL.start();
    let mut seq = WARM_UP;
    while seq < WARM_UP + PACKETS {
        burst(&c, seq, BURST);
        seq += BURST;
    }
    // Every packet was received by the phones, so the worker is done with them.
    let (allocs, bytes) = GLOBAL.stop();
    assert_eq!(
        (allocs, bytes),
        (0, 0),
        "media worker allocated while relaying"
    );
    // RTP both ways, plus one RTCP report each way per burst (the warm-up is one).
    let rtcp = 2 * (1 + u64::from(PACKETS / BURST));
    let expected = 2 * u64::from(WARM_UP + PACKETS) + rtcp;
    eventually(|| c.engine.stats().traffic.packets_sent, expected);
    assert_eq!(c.engine.stats().traffic.drops.total(), 0);
}

#[test]
fn relaying_across_re_invites_allocates_nothing() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let c = setup();
    let (sdp1, sdp2) = (phone(), phone());
    burst(&c, 0, WARM_UP);
    c.engine.sync().unwrap();

    let mut total = (0, 0);
    let mut seq = WARM_UP;
    let mut round = 0u32;
    while seq < WARM_UP + PACKETS {
        // Every 1,000 packets A "moves" (a re-INVITE with a new SDP address): the
        // latch re-opens and A's next packet latches its real source again. The
        // control command itself is not counted, the relaying around it is.
        if seq.is_multiple_of(1000) {
            let sdp = if round.is_multiple_of(2) {
                &sdp1
            } else {
                &sdp2
            };
            round += 1;
            c.engine
                .set_remote(c.a, remote(addr(sdp), addr(&c.pa_c)))
                .unwrap();
            c.engine.sync().unwrap();
        }
        GLOBAL.start();
        burst(&c, seq, BURST);
        let (allocs, bytes) = GLOBAL.stop();
        total = (total.0 + allocs, total.1 + bytes);
        seq += BURST;
    }
    assert!(round >= 9, "the latch was re-opened {round} times");
    assert_eq!(total, (0, 0), "media worker allocated while relaying");
    assert_eq!(c.engine.stats().traffic.drops.total(), 0);
}

/// SRTP on both legs with different suites (A: AES_CM_128_HMAC_SHA1_80, B:
/// AEAD_AES_128_GCM), SRTP and SRTCP both ways: decrypting and re-encrypting in place
/// allocates nothing either. The phones' own crypto runs on the test thread (not counted).
#[test]
fn srtp_relaying_allocates_nothing() {
    use sbc_core::media::{SrtpKey, SrtpKeying, SrtpSuite};
    use sbc_media::srtp::{SrtpConfig, SrtpContext, Suite};

    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = |suite: SrtpSuite, seed: u8| {
        let bytes: Vec<u8> = (0..suite.key_salt_len() as u8).map(|i| i ^ seed).collect();
        SrtpKey::new(suite, &bytes, None).unwrap()
    };
    let ctx = |k: &SrtpKey, suite: Suite| {
        let (m, s) = k.key_salt().split_at(suite.key_len());
        SrtpContext::new(suite, m, s, &SrtpConfig::default()).unwrap()
    };
    let (cm, gcm) = (SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AeadAes128Gcm);
    let (a_phone, a_sbc, b_phone, b_sbc) = (key(cm, 1), key(cm, 2), key(gcm, 3), key(gcm, 4));
    let engine = MediaEngine::start(settings(4, 1)).expect("engine starts");
    let (a, ep_a) = engine.allocate(CallRef(1), LegSide::A).unwrap();
    let (b, ep_b) = engine.allocate(CallRef(1), LegSide::B).unwrap();
    let (pa, pb) = (phone(), phone());
    let keying = |inbound: &SrtpKey, outbound: &SrtpKey| SrtpKeying {
        inbound: inbound.clone(),
        outbound: outbound.clone(),
    };
    engine
        .set_remote(a, remote_mux(addr(&pa)).with_srtp(keying(&a_phone, &a_sbc)))
        .unwrap();
    engine
        .set_remote(b, remote_mux(addr(&pb)).with_srtp(keying(&b_phone, &b_sbc)))
        .unwrap();
    engine.connect(a, b).unwrap();
    engine.sync().unwrap();
    let (mut a_tx, mut a_rx) = (
        ctx(&a_phone, Suite::AesCm128HmacSha1_80),
        ctx(&a_sbc, Suite::AesCm128HmacSha1_80),
    );
    let (mut b_tx, mut b_rx) = (
        ctx(&b_phone, Suite::AeadAes128Gcm),
        ctx(&b_sbc, Suite::AeadAes128Gcm),
    );
    let mut buf = [0u8; 2048];
    // Sends `plain` protected by `tx` from `from` to `to`, receives it on `at`,
    // unprotects it with `rx` and checks it is `plain` again.
    let mut hop = |plain: &[u8],
                   rtcp: bool,
                   tx: &mut SrtpContext,
                   rx: &mut SrtpContext,
                   from: &UdpSocket,
                   to: std::net::SocketAddr,
                   at: &UdpSocket| {
        buf[..plain.len()].copy_from_slice(plain);
        let n = if rtcp {
            tx.protect_rtcp(&mut buf, plain.len()).unwrap()
        } else {
            tx.protect_rtp(&mut buf, plain.len()).unwrap()
        };
        from.send_to(&buf[..n], to).unwrap();
        let (mut wire, _) = recv(at);
        let n = if rtcp {
            rx.unprotect_rtcp(&mut wire)
        } else {
            rx.unprotect_rtp(&mut wire)
        }
        .expect("the far end authenticates the SBC's packet");
        assert_eq!(&wire[..n], plain);
    };
    let mut round = |seq: u16| {
        hop(&rtp(seq), false, &mut a_tx, &mut b_rx, &pa, ep_a.rtp, &pb);
        hop(&rtp(seq), false, &mut b_tx, &mut a_rx, &pb, ep_b.rtp, &pa);
        if seq.is_multiple_of(BURST) {
            hop(&rtcp_rr(1), true, &mut a_tx, &mut b_rx, &pa, ep_a.rtp, &pb);
            hop(&rtcp_rr(2), true, &mut b_tx, &mut a_rx, &pb, ep_b.rtp, &pa);
        }
    };
    for seq in 0..WARM_UP {
        round(seq);
    }
    engine.sync().unwrap();
    GLOBAL.start();
    for seq in WARM_UP..WARM_UP + PACKETS / 2 {
        round(seq);
    }
    let (allocs, bytes) = GLOBAL.stop();
    assert_eq!(
        (allocs, bytes),
        (0, 0),
        "media worker allocated while relaying SRTP"
    );
    assert_eq!(engine.stats().traffic.drops.total(), 0);
}
