//! The relay's packet path allocates nothing: after a warm-up, 10,000 packets each way
//! (plus RTCP) through one call leave the media worker threads' allocation counter at
//! zero, also when re-INVITEs re-open the latch mid-stream. Control commands may
//! allocate, so counting is switched off around them.
//!
//! Own test binary because it installs a counting `#[global_allocator]`. Only threads
//! the engine marks as media workers (`sbc_media::testing::in_media_worker`) count;
//! the test's own threads (phones, harness) allocate freely.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use common::*;
use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{LocalEndpoint, MediaControl};
use sbc_media::{testing::in_media_worker, MediaEngine};

struct Counting;

static ENABLED: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `in_media_worker` reads a const-initialized thread-local: it never allocates.
        if ENABLED.load(Relaxed) && in_media_worker() {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(layout.size(), Relaxed);
        }
        // SAFETY: forwarding the caller's layout to the system allocator unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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

fn start_counting() {
    ALLOCS.store(0, Relaxed);
    BYTES.store(0, Relaxed);
    ENABLED.store(true, Relaxed);
}

/// Stops counting and returns `(allocations, bytes)` seen on media worker threads.
fn stop_counting() -> (usize, usize) {
    ENABLED.store(false, Relaxed);
    (ALLOCS.load(Relaxed), BYTES.load(Relaxed))
}

#[test]
fn steady_state_relaying_allocates_nothing() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let c = setup();
    burst(&c, 0, WARM_UP);
    c.engine.sync().unwrap();

    start_counting();
    let mut seq = WARM_UP;
    while seq < WARM_UP + PACKETS {
        burst(&c, seq, BURST);
        seq += BURST;
    }
    // Every packet was received by the phones, so the worker is done with them.
    let (allocs, bytes) = stop_counting();
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
        start_counting();
        burst(&c, seq, BURST);
        let (allocs, bytes) = stop_counting();
        total = (total.0 + allocs, total.1 + bytes);
        seq += BURST;
    }
    assert!(round >= 9, "the latch was re-opened {round} times");
    assert_eq!(total, (0, 0), "media worker allocated while relaying");
    assert_eq!(c.engine.stats().traffic.drops.total(), 0);
}
