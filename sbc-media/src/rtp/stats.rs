//! Per-SSRC receive statistics: RFC 3550 Appendix A.1 sequence validation (probation,
//! wrap, restart detection), A.3 loss accounting and A.8 interarrival jitter, plus
//! duplicate and reorder counts a monitoring dashboard wants.
//!
//! Sans-IO and allocation-free: the caller passes the sequence number, the RTP timestamp
//! and the arrival time already in RTP units (see [`ArrivalClock`](super::ArrivalClock)).
//!
//! Counting follows the RFC so our report blocks mean what peers expect: `received`
//! includes duplicates and late packets (A.3), so cumulative loss can go negative.
//! Duplicates are also counted on their own, over a 128-packet window that covers
//! `MAX_MISORDER`, so callers can tell real loss from duplication.

/// A.1: a jump forward by less than this is a gap, not a restart.
pub const MAX_DROPOUT: u16 = 3000;
/// A.1: a jump backward by at most this is a late packet, not a restart.
pub const MAX_MISORDER: u16 = 100;
/// A.1: sequential packets needed before a new source is believed.
pub const MIN_SEQUENTIAL: u8 = 2;
const SEQ_MOD: u32 = 1 << 16;
/// Size of the duplicate-detection window (bits of `seen`).
const WINDOW: u16 = 128;

/// What one packet did to the stream's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqStatus {
    /// New source not yet validated: not counted.
    Probation,
    /// At or after the expected sequence number (a gap means loss).
    InOrder,
    /// Behind the highest sequence number, first copy.
    Reordered,
    /// A copy of a packet already received.
    Duplicate,
    /// A jump too large to be loss or reordering: not counted, remembered in case the
    /// source restarted.
    BadJump,
    /// The packet after a [`BadJump`](Self::BadJump) followed it: the source restarted,
    /// and statistics started over from here.
    Restarted,
}

/// The numbers for an RTCP report block (A.3), as of one report interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiveReport {
    /// Lost fraction of the packets expected since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative loss, clamped to the signed 24-bit field.
    pub cumulative_lost: i32,
    /// Cycles in the high 16 bits, highest sequence number in the low 16.
    pub extended_highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
}

/// Receive state of one SSRC.
#[derive(Debug, Clone)]
pub struct ReceiveStats {
    min_sequential: u8,
    started: bool,
    probation: u8,
    max_seq: u16,
    /// Number of 2^16 wraps since the base.
    cycles: u32,
    base_seq: u16,
    /// Sequence number that would confirm a restart; `SEQ_MOD + 1` when none.
    bad_seq: u32,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    /// Previous relative transit time (arrival - timestamp), when there is one.
    transit: Option<u32>,
    /// Jitter scaled by 16, as in the A.8 integer implementation.
    jitter_q4: u64,
    duplicates: u64,
    reordered: u64,
    restarts: u64,
    /// Bit i set: `max_seq - i` was received.
    seen: u128,
}

impl Default for ReceiveStats {
    fn default() -> Self {
        Self::new()
    }
}

impl ReceiveStats {
    /// A source that needs [`MIN_SEQUENTIAL`] packets in sequence to become valid.
    pub fn new() -> Self {
        Self::with_min_sequential(MIN_SEQUENTIAL)
    }

    /// Custom probation length; 1 validates the source on its first packet (useful when
    /// signaling already vouched for it). 0 is treated as 1.
    pub fn with_min_sequential(min_sequential: u8) -> Self {
        Self {
            min_sequential: min_sequential.max(1),
            started: false,
            probation: 0,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: SEQ_MOD + 1,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter_q4: 0,
            duplicates: 0,
            reordered: 0,
            restarts: 0,
            seen: 0,
        }
    }

    /// Accounts one packet: sequence number, RTP timestamp, arrival in RTP units.
    pub fn on_packet(&mut self, seq: u16, ts: u32, arrival: u32) -> SeqStatus {
        if !self.started {
            self.started = true;
            self.init_seq(seq);
            self.max_seq = seq.wrapping_sub(1);
            self.probation = self.min_sequential;
        }
        if self.probation > 0 {
            return self.on_probation(seq, ts, arrival);
        }
        let udelta = seq.wrapping_sub(self.max_seq);
        if udelta == 0 {
            self.count_duplicate()
        } else if udelta < MAX_DROPOUT {
            self.advance(seq, udelta);
            self.count_valid(ts, arrival, SeqStatus::InOrder)
        } else if u32::from(udelta) <= SEQ_MOD - u32::from(MAX_MISORDER) {
            self.on_jump(seq, ts, arrival)
        } else {
            self.on_late(seq, ts, arrival)
        }
    }

    /// A.1 `init_seq`: a new base; jitter keeps its value but loses its transit
    /// baseline, since a restarted source also restarts its timestamps.
    fn init_seq(&mut self, seq: u16) {
        self.base_seq = seq;
        self.max_seq = seq;
        self.bad_seq = SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
        self.transit = None;
        self.seen = 1;
    }

    fn on_probation(&mut self, seq: u16, ts: u32, arrival: u32) -> SeqStatus {
        if seq == self.max_seq.wrapping_add(1) {
            self.probation -= 1;
            self.max_seq = seq;
            if self.probation == 0 {
                self.init_seq(seq);
                return self.count_valid(ts, arrival, SeqStatus::InOrder);
            }
        } else {
            self.probation = self.min_sequential - 1;
            self.max_seq = seq;
        }
        SeqStatus::Probation
    }

    /// Moves the highest sequence number forward by `udelta`, counting a wrap.
    fn advance(&mut self, seq: u16, udelta: u16) {
        if seq < self.max_seq {
            self.cycles = self.cycles.wrapping_add(1);
        }
        self.seen = if udelta >= WINDOW {
            1
        } else {
            (self.seen << udelta) | 1
        };
        self.max_seq = seq;
    }

    fn on_jump(&mut self, seq: u16, ts: u32, arrival: u32) -> SeqStatus {
        if u32::from(seq) == self.bad_seq {
            // Two sequential packets after a jump: the peer restarted without telling.
            self.init_seq(seq);
            self.restarts += 1;
            self.count_valid(ts, arrival, SeqStatus::Restarted)
        } else {
            self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
            SeqStatus::BadJump
        }
    }

    fn on_late(&mut self, seq: u16, ts: u32, arrival: u32) -> SeqStatus {
        // Always within the window: this branch only sees packets up to MAX_MISORDER back.
        let back = self.max_seq.wrapping_sub(seq);
        if back < WINDOW {
            let bit = 1u128 << back;
            if self.seen & bit != 0 {
                return self.count_duplicate();
            }
            self.seen |= bit;
        }
        self.reordered += 1;
        self.count_valid(ts, arrival, SeqStatus::Reordered)
    }

    fn count_duplicate(&mut self) -> SeqStatus {
        // A.3 counts duplicates as received; the jitter estimate skips them because a
        // copy says nothing about network delay variation of the original.
        self.received += 1;
        self.duplicates += 1;
        SeqStatus::Duplicate
    }

    fn count_valid(&mut self, ts: u32, arrival: u32, status: SeqStatus) -> SeqStatus {
        self.received += 1;
        self.update_jitter(ts, arrival);
        status
    }

    /// A.8: J += (|D| - J) / 16, in the integer form scaled by 16.
    fn update_jitter(&mut self, ts: u32, arrival: u32) {
        let transit = arrival.wrapping_sub(ts);
        if let Some(prev) = self.transit {
            // Differences are taken modulo 2^32 then read as signed, so wraps cancel.
            let d = u64::from((transit.wrapping_sub(prev) as i32).unsigned_abs());
            self.jitter_q4 = self.jitter_q4.saturating_add(d) - ((self.jitter_q4 + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    /// True once probation is over.
    pub fn is_valid(&self) -> bool {
        self.started && self.probation == 0
    }

    /// Cycles in the high bits, highest sequence number in the low 16 (64-bit so it never
    /// wraps; the report block carries the low 32 bits).
    pub fn extended_max_seq(&self) -> u64 {
        (u64::from(self.cycles) << 16) | u64::from(self.max_seq)
    }

    /// Packets expected since the base (A.3); 0 before validation.
    pub fn expected(&self) -> u64 {
        if !self.is_valid() {
            return 0;
        }
        (self.extended_max_seq() + 1).saturating_sub(u64::from(self.base_seq))
    }

    /// Packets received since the base, duplicates and late packets included (A.3).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Expected minus received: negative when duplicates outnumber losses.
    pub fn lost(&self) -> i64 {
        i64::try_from(self.expected()).unwrap_or(i64::MAX)
            - i64::try_from(self.received).unwrap_or(i64::MAX)
    }

    /// Interarrival jitter in timestamp units.
    pub fn jitter(&self) -> u32 {
        u32::try_from(self.jitter_q4 >> 4).unwrap_or(u32::MAX)
    }

    /// Packets seen twice (within the 128-packet window).
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Packets that arrived behind a later one.
    pub fn reordered(&self) -> u64 {
        self.reordered
    }

    /// Times the source was detected restarting its sequence numbers.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Report-block numbers for the interval since the previous call (A.3); `None` while
    /// the source is on probation. Moves the interval forward.
    pub fn take_report(&mut self) -> Option<ReceiveReport> {
        if !self.is_valid() {
            return None;
        }
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let fraction_lost = match expected_interval.checked_sub(received_interval) {
            Some(lost) if lost > 0 && expected_interval > 0 => {
                u8::try_from((lost << 8) / expected_interval).unwrap_or(u8::MAX)
            }
            _ => 0,
        };
        Some(ReceiveReport {
            fraction_lost,
            cumulative_lost: self.lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            extended_highest_seq: self.extended_max_seq() as u32,
            jitter: self.jitter(),
        })
    }
}

#[cfg(test)]
mod tests {
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
        // 0..=98 expected (99), 25 of them lost (3, 7, ..., 95 and... 99 not expected).
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
}
