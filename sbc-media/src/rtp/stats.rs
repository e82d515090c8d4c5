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
#[path = "stats_tests.rs"]
mod tests;
