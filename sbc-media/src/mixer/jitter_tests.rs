//! Unit tests of the jitter buffer's playout policy and adaptation.

use super::*;

fn jb() -> JitterBuffer {
    JitterBuffer::new(20, 20, 20, 60)
}

fn payload(jb: &JitterBuffer, pull: Pull) -> Option<u8> {
    match pull {
        Pull::Packet(slot) => jb.payload(slot).first().copied(),
        _ => None,
    }
}

#[test]
fn plays_in_sequence_order() {
    let mut b = jb();
    assert_eq!(b.pull(), Pull::Silent);
    assert_eq!(b.insert(11, &[11]), Ok(PushOutcome::Buffered));
    assert_eq!(b.insert(10, &[10]), Ok(PushOutcome::Buffered));
    b.on_tick();
    let p = b.pull();
    assert_eq!(payload(&b, p), Some(10));
    let p = b.pull();
    assert_eq!(payload(&b, p), Some(11));
    assert_eq!(b.depth_ms(), 0);
}

#[test]
fn gap_with_newer_packet_is_lost_and_offers_fec_source() {
    let mut b = jb();
    b.insert(1, &[1]).ok();
    assert!(matches!(b.pull(), Pull::Packet(_)));
    b.insert(3, &[3]).ok();
    let Pull::Lost { next: Some(slot) } = b.pull() else {
        panic!("expected a loss with the next packet held");
    };
    assert_eq!(b.payload(slot), &[3]);
    assert!(matches!(b.pull(), Pull::Packet(_)));
    assert_eq!(b.counters().lost, 1);
}

#[test]
fn underrun_stretches_then_plays_the_late_packet_and_grows() {
    let mut b = jb();
    b.insert(1, &[1]).ok();
    b.on_tick();
    assert!(matches!(b.pull(), Pull::Packet(_)));
    b.on_tick();
    assert_eq!(b.pull(), Pull::Underrun);
    assert_eq!(b.target_ms(), 40);
    b.insert(2, &[2]).ok();
    b.on_tick();
    let p = b.pull();
    assert_eq!(payload(&b, p), Some(2));
    assert_eq!(b.counters().underruns, 1);
}

#[test]
fn late_and_duplicate_packets_are_dropped_and_counted() {
    let mut b = jb();
    b.insert(5, &[5]).ok();
    assert_eq!(b.insert(5, &[5]), Ok(PushOutcome::Duplicate));
    assert!(matches!(b.pull(), Pull::Packet(_)));
    assert_eq!(b.insert(4, &[4]), Ok(PushOutcome::Late));
    assert_eq!(b.counters().late, 1);
    assert_eq!(b.counters().duplicates, 1);
    assert_eq!(b.target_ms(), 40);
}

#[test]
fn big_jump_restarts() {
    let mut b = jb();
    b.insert(100, &[1]).ok();
    assert_eq!(b.insert(40_000, &[2]), Ok(PushOutcome::Restarted));
    let p = b.pull();
    assert_eq!(payload(&b, p), Some(2));
}

#[test]
fn oversize_payload_is_an_error() {
    let mut b = jb();
    let big = [0u8; MAX_SLOT_PAYLOAD + 1];
    assert!(matches!(
        b.insert(1, &big),
        Err(MixerError::PayloadTooLarge { .. })
    ));
}

#[test]
fn waits_for_target_depth_before_playing() {
    let mut b = JitterBuffer::new(20, 20, 40, 60);
    b.insert(1, &[1]).ok();
    assert_eq!(b.pull(), Pull::Silent);
    b.insert(2, &[2]).ok();
    assert!(matches!(b.pull(), Pull::Packet(_)));
}

#[test]
fn calm_windows_shrink_target_and_excess_depth() {
    let mut b = JitterBuffer::new(20, 20, 60, 60);
    let mut seq = 0u16;
    for _ in 0..3 {
        b.insert(seq, &[0]).ok();
        seq += 1;
    }
    // One packet in, one out per tick: depth stays at 60 ms.
    for _ in 0..(WINDOW_TICKS * CALM_WINDOWS * 3) {
        b.insert(seq, &[0]).ok();
        seq = seq.wrapping_add(1);
        b.on_tick();
        let _ = b.pull();
    }
    assert_eq!(b.target_ms(), 20);
    assert!(b.depth_ms() <= 40, "depth {}", b.depth_ms());
    assert!(b.counters().skipped >= 1);
}

#[test]
fn long_silence_pauses_and_restarts_cleanly() {
    let mut b = jb();
    b.insert(1, &[1]).ok();
    assert!(matches!(b.pull(), Pull::Packet(_)));
    let mut silent = false;
    for _ in 0..(IDLE_PULLS + 1) {
        b.on_tick();
        silent = b.pull() == Pull::Silent;
    }
    assert!(silent);
    b.insert(2, &[2]).ok();
    b.insert(3, &[3]).ok();
    let p = b.pull();
    assert_eq!(payload(&b, p), Some(2));
}

#[test]
fn a_paused_source_resuming_far_ahead_starts_over() {
    let mut b = jb();
    b.insert(1, &[1]).ok();
    assert!(matches!(b.pull(), Pull::Packet(_)));
    for _ in 0..(IDLE_PULLS + 1) {
        b.on_tick();
        b.pull();
    }
    // 40 frames were never handed over (the input was not listened to).
    assert_eq!(b.insert(42, &[42]), Ok(PushOutcome::Restarted));
    b.insert(43, &[43]).ok();
    b.on_tick();
    let p = b.pull();
    assert_eq!(payload(&b, p), Some(42), "no concealment of the gap");
    assert_eq!(b.counters().lost, 0);
}
