//! Unit tests of `ReceiveStats`: RFC 3550 A.1 probation, wrap, restart, A.3 loss and
//! A.8 jitter, duplicates and reordering.

use super::*;

/// Feeds `seqs` with 20 ms G.711 spacing and perfectly regular arrival.
fn feed(stats: &mut ReceiveStats, seqs: impl IntoIterator<Item = u16>) -> Vec<SeqStatus> {
    seqs.into_iter()
        .map(|s| {
            let ts = u32::from(s) * 160;
            stats.on_packet(s, ts, ts.wrapping_add(1000))
        })
        .collect()
}

#[test]
fn probation_then_in_order() {
    let mut st = ReceiveStats::new();
    assert_eq!(feed(&mut st, [10]), [SeqStatus::Probation]);
    assert!(!st.is_valid());
    assert_eq!(st.take_report(), None);
    assert_eq!(feed(&mut st, 11..=20), [SeqStatus::InOrder; 10]);
    assert!(st.is_valid());
    assert_eq!((st.expected(), st.received(), st.lost()), (10, 10, 0));
    assert_eq!(st.jitter(), 0);
}

#[test]
fn probation_resets_on_non_sequential() {
    let mut st = ReceiveStats::new();
    let got = feed(&mut st, [10, 50, 51, 52]);
    assert_eq!(
        got,
        [
            SeqStatus::Probation,
            SeqStatus::Probation,
            SeqStatus::InOrder,
            SeqStatus::InOrder
        ]
    );
    assert_eq!(st.expected(), 2);
}

#[test]
fn min_sequential_one_accepts_first_packet() {
    let mut st = ReceiveStats::with_min_sequential(1);
    assert_eq!(feed(&mut st, [7]), [SeqStatus::InOrder]);
    assert_eq!(st.received(), 1);
}

#[test]
fn wraps_count_cycles() {
    let mut st = ReceiveStats::with_min_sequential(1);
    feed(&mut st, (65_530..=65_535).chain(0..=5));
    assert_eq!(st.extended_max_seq(), (1 << 16) | 5);
    assert_eq!((st.expected(), st.lost()), (12, 0));
    let r = st.take_report().expect("valid");
    assert_eq!(r.extended_highest_seq, 0x0001_0005);
}

#[test]
fn loss_and_fraction_lost() {
    let mut st = ReceiveStats::with_min_sequential(1);
    feed(&mut st, (0..100).filter(|s| s % 4 != 3));
    // 0..=98 expected (99); 24 lost (3, 7, ..., 95): 99 is past the highest received.
    assert_eq!(st.expected(), 99);
    assert_eq!(st.lost(), 24);
    let r = st.take_report().expect("valid");
    assert_eq!(r.cumulative_lost, 24);
    assert_eq!(r.fraction_lost, (24 * 256 / 99) as u8);
    // Next interval without loss: fraction back to 0, cumulative unchanged.
    feed(&mut st, 99..120);
    let r = st.take_report().expect("valid");
    assert_eq!((r.fraction_lost, r.cumulative_lost), (0, 24));
}

#[test]
fn duplicates_and_reordering() {
    let mut st = ReceiveStats::with_min_sequential(1);
    let got = feed(&mut st, [1, 2, 4, 3, 3, 4, 5]);
    use SeqStatus::*;
    assert_eq!(
        got,
        [InOrder, InOrder, InOrder, Reordered, Duplicate, Duplicate, InOrder]
    );
    assert_eq!((st.duplicates(), st.reordered()), (2, 1));
    // RFC 3550 A.3: duplicates count as received, so loss goes negative.
    assert_eq!((st.expected(), st.received(), st.lost()), (5, 7, -2));
}

#[test]
fn restart_after_big_jump_needs_two_packets() {
    let mut st = ReceiveStats::with_min_sequential(1);
    feed(&mut st, 100..110);
    use SeqStatus::*;
    // One stray packet far away is ignored...
    assert_eq!(feed(&mut st, [30_000]), [BadJump]);
    assert_eq!(feed(&mut st, [110]), [InOrder]);
    // ...but two in sequence mean the source restarted.
    assert_eq!(
        feed(&mut st, [40_000, 40_001, 40_002]),
        [BadJump, Restarted, InOrder]
    );
    assert_eq!(st.restarts(), 1);
    assert_eq!((st.expected(), st.received(), st.lost()), (2, 2, 0));
}

#[test]
fn gap_below_dropout_is_loss() {
    let mut st = ReceiveStats::with_min_sequential(1);
    feed(&mut st, [0, 2999]);
    assert_eq!(st.lost(), 2998);
    // A jump back of more than MAX_MISORDER is a jump, not a late packet.
    assert_eq!(feed(&mut st, [2000]), [SeqStatus::BadJump]);
}

#[test]
fn jitter_follows_a8() {
    let mut st = ReceiveStats::with_min_sequential(1);
    // Arrival alternates 0 and +80 units late: |D| = 80 after the first packet.
    for i in 0..200u32 {
        let ts = i * 160;
        let late = if i % 2 == 0 { 0 } else { 80 };
        st.on_packet(i as u16, ts, ts + late);
    }
    // J converges to |D| = 80 (integer form leaves it within a unit or so).
    assert!((78..=80).contains(&st.jitter()), "{}", st.jitter());
}

#[test]
fn jitter_handles_timestamp_wrap() {
    let mut st = ReceiveStats::with_min_sequential(1);
    for i in 0..50u32 {
        let ts = 0xffff_ff00u32.wrapping_add(i * 160);
        st.on_packet(i as u16, ts, ts.wrapping_add(12_345));
    }
    assert_eq!(st.jitter(), 0);
}
