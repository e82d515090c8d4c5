//! A monitored call allocates nothing on the media worker once it runs: tapping
//! packets into the mixer, the 20 ms ticks (decode, mix, encode for three outputs),
//! egress splicing and SRTP sealing of the mixer's packets, for two seconds of barge
//! and whisper with PCMU, G.722 over SRTP and Opus; nor when a beep ends at a tick
//! (the agent back on the relay) or the closing beep ends the group; nor while a
//! supervisor's error tone plays and when it ends. Setting the
//! picture (a control command) may allocate and is not counted. The same style as `alloc_relay.rs`: own
//! test binary, a counting global allocator that counts media worker threads only.

mod common;
mod voice;

use sbc_core::media::{AgentAfterTakeover, MediaControl, SupervisorNotice};
use sbc_core::monitoring::MonitorMode;
use sbc_media::codec::CodecKind;
use sbc_media::testing::WorkerAllocations;
use sbc_media::MediaEngine;
use voice::{Call, LegKeys, Party};

#[global_allocator]
static GLOBAL: WorkerAllocations = WorkerAllocations::new();

#[test]
fn a_monitored_call_allocates_nothing_per_packet_or_tick() {
    let engine = MediaEngine::start(voice::engine_settings(8)).expect("engine starts");
    let mut agent = Party::new(CodecKind::G722, 1000.0);
    agent.srtp = Some(LegKeys::new(3));
    let mut call = Call::new(
        engine,
        vec![
            Party::new(CodecKind::Pcmu, 500.0),
            agent,
            Party::new(CodecKind::Opus, 1800.0),
        ],
    );
    let after = AgentAfterTakeover::Released;
    for mode in [MonitorMode::Barge, MonitorMode::Whisper] {
        call.monitor(&[mode], after, true);
        call.talk(600); // warm-up: the beep played, jitter buffers settled
        let before = call.marks();
        let (allocs, bytes) = GLOBAL.during(|| call.talk(1000));
        assert_eq!(
            (allocs, bytes),
            (0, 0),
            "media worker allocated in steady {mode} monitoring"
        );
        // It did work meanwhile: every phone got about 50 packets.
        for (i, (b, a)) in before.iter().zip(call.marks()).enumerate() {
            assert!(a - b >= 40, "phone {i} got {} packets", a - b);
        }
    }
    // The closing beep, then the group dismantled at a tick; then monitoring again,
    // the starting beep ending at a tick.
    for modes in [&[][..], &[MonitorMode::Listen][..]] {
        call.monitor(modes, after, true);
        let (allocs, bytes) = GLOBAL.during(|| call.talk(800));
        assert_eq!(
            (allocs, bytes),
            (0, 0),
            "allocated around a beep ({modes:?})"
        );
    }
    // The supervisor's error tone (a refused mode switch): its ticks and its end.
    // Starting it (a control command, the first one encoding the tone) is not counted.
    for _ in 0..2 {
        let m = call.marks();
        let sup = call.supervisors[0];
        call.engine
            .play_notice(sup, SupervisorNotice::Refused)
            .unwrap();
        call.engine.sync().unwrap();
        let (allocs, bytes) = GLOBAL.during(|| call.talk(800));
        assert_eq!((allocs, bytes), (0, 0), "allocated around the error tone");
        // It did play (620 Hz, `monitor/notice.rs`).
        let level = call.heard(2, &m, &[620.0])[0];
        assert!(level > 1000.0, "the supervisor heard no tone ({level:.0})");
    }
    assert_eq!(call.phones[1].bad, 0);
}
