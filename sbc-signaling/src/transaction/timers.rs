//! RFC 3261 §17 timers: the configured base values (T1, T2, T4), the timer kinds
//! A–M, the small per-transaction table that says which timer is armed in which
//! slot, and the layer-wide min-heap that says which transaction wakes next.
//!
//! The heap is lazily cleaned: re-arming or stopping a timer only rewrites the
//! owner's table, and heap entries that no longer match their table are dropped
//! when they reach the top. That keeps arming O(log n) and stopping O(1).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use super::{ClientTxId, ServerTxId};

/// The base timer values of RFC 3261 §17.1.1.1 and Table 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate: first retransmission interval.
    pub t1: Duration,
    /// Cap on the retransmission interval for non-INVITE requests and INVITE responses.
    pub t2: Duration,
    /// Maximum time a message stays in the network.
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl TimerConfig {
    /// Values the layer can run with: T1 of at least 1 ms (a zero T1 would make the
    /// retransmission timers fire forever at the same instant) and T2 >= T1.
    pub fn sanitized(self) -> Self {
        let t1 = self.t1.max(Duration::from_millis(1));
        TimerConfig {
            t1,
            t2: self.t2.max(t1),
            t4: self.t4,
        }
    }

    /// Timers B, F, H, J (unreliable), L and M: 64*T1.
    pub fn t1x64(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// Timer D: "at least 32 seconds" for unreliable transports (§17.1.1.2), and at
    /// least 64*T1 so a raised T1 still covers the server's whole Timer G schedule.
    pub fn timer_d(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            self.t1x64().max(Duration::from_secs(32))
        }
    }

    /// Timers I and K: T4 on unreliable transports, zero on reliable ones.
    pub fn t4_unless_reliable(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            self.t4
        }
    }

    /// Timer J: 64*T1 on unreliable transports, zero on reliable ones.
    pub fn timer_j(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            self.t1x64()
        }
    }

    /// Next retransmission interval when doubling is capped at T2 (E, G, 2xx).
    pub fn double_capped(&self, current: Duration) -> Duration {
        current.saturating_mul(2).min(self.t2)
    }
}

/// Every timer the layer runs. The letters are RFC 3261 / RFC 6026 names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TimerKind {
    /// INVITE client: request retransmission (unreliable only).
    A,
    /// INVITE client: transaction timeout in Calling.
    B,
    /// INVITE client: wait for final-response retransmissions in Completed.
    D,
    /// Non-INVITE client: request retransmission (unreliable only).
    E,
    /// Non-INVITE client: transaction timeout.
    F,
    /// Non-INVITE client: wait for response retransmissions in Completed.
    K,
    /// INVITE server: non-2xx final retransmission (unreliable only).
    G,
    /// INVITE server: wait for the ACK to a non-2xx final.
    H,
    /// INVITE server: absorb ACK retransmissions in Confirmed.
    I,
    /// Non-INVITE server: absorb request retransmissions in Completed.
    J,
    /// INVITE server (RFC 6026): linger in Accepted.
    L,
    /// INVITE client (RFC 6026): linger in Accepted to catch forked/retransmitted 2xx.
    M,
    /// INVITE server in Accepted: 2xx retransmission (§13.3.1.4), T1 doubling to T2.
    Retransmit2xx,
    /// INVITE client in Proceeding after CANCEL: give up after 64*T1 (§9.1).
    CancelGuard,
}

impl TimerKind {
    /// Which table slot the timer lives in. Timers sharing a slot are never armed
    /// together (e.g. B stops before CancelGuard can start).
    fn slot(self) -> usize {
        match self {
            TimerKind::A | TimerKind::E | TimerKind::G | TimerKind::Retransmit2xx => 0,
            TimerKind::B | TimerKind::F | TimerKind::H | TimerKind::L | TimerKind::CancelGuard => 1,
            TimerKind::D | TimerKind::K | TimerKind::I | TimerKind::J | TimerKind::M => 2,
        }
    }
}

/// The armed timers of one transaction: at most one per slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable {
    slots: [Option<(TimerKind, Instant)>; 3],
}

impl TimerTable {
    pub(crate) fn stop(&mut self, kind: TimerKind) {
        if let Some(slot) = self.slots.get_mut(kind.slot()) {
            if matches!(slot, Some((k, _)) if *k == kind) {
                *slot = None;
            }
        }
    }

    pub(crate) fn stop_all(&mut self) {
        self.slots = [None; 3];
    }

    #[cfg(test)]
    pub(crate) fn is_armed(&self, kind: TimerKind) -> bool {
        matches!(self.slots.get(kind.slot()), Some(Some((k, _))) if *k == kind)
    }

    /// True (and disarms it) if `kind` is armed for exactly `at`: the heap entry is live.
    pub(crate) fn take_if_due(&mut self, kind: TimerKind, at: Instant) -> bool {
        match self.slots.get_mut(kind.slot()) {
            Some(slot @ Some(_)) if *slot == Some((kind, at)) => {
                *slot = None;
                true
            }
            _ => false,
        }
    }

    /// Whether a heap entry is still live, without disarming.
    pub(crate) fn is_live(&self, kind: TimerKind, at: Instant) -> bool {
        matches!(self.slots.get(kind.slot()), Some(Some(entry)) if *entry == (kind, at))
    }

    fn set(&mut self, kind: TimerKind, at: Instant) {
        if let Some(slot) = self.slots.get_mut(kind.slot()) {
            *slot = Some((kind, at));
        }
    }
}

/// Which transaction owns a heap entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TxRef {
    Client(ClientTxId),
    Server(ServerTxId),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Due {
    pub at: Instant,
    pub tx: TxRef,
    pub kind: TimerKind,
}

#[derive(Debug)]
struct Entry {
    at: Instant,
    /// Insertion order breaks ties so equal deadlines fire first-armed-first.
    seq: u64,
    tx: TxRef,
    kind: TimerKind,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.seq == other.seq
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Layer-wide min-heap of deadlines.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
}

impl TimerQueue {
    /// Arm (or re-arm) `kind` for `tx` at `at`; any previous deadline in the same slot
    /// becomes stale.
    pub(crate) fn arm(&mut self, table: &mut TimerTable, tx: TxRef, kind: TimerKind, at: Instant) {
        table.set(kind, at);
        self.seq = self.seq.wrapping_add(1);
        self.heap.push(Reverse(Entry {
            at,
            seq: self.seq,
            tx,
            kind,
        }));
    }

    /// Earliest entry, live or stale.
    pub(crate) fn peek(&self) -> Option<Due> {
        self.heap.peek().map(|Reverse(e)| Due {
            at: e.at,
            tx: e.tx,
            kind: e.kind,
        })
    }

    /// Remove the earliest entry.
    pub(crate) fn pop(&mut self) -> Option<Due> {
        self.heap.pop().map(|Reverse(e)| Due {
            at: e.at,
            tx: e.tx,
            kind: e.kind,
        })
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_derived_values() {
        let c = TimerConfig::default();
        assert_eq!(c.t1x64(), Duration::from_secs(32));
        assert_eq!(c.timer_d(false), Duration::from_secs(32));
        assert_eq!(c.timer_d(true), Duration::ZERO);
        assert_eq!(
            c.double_capped(Duration::from_secs(3)),
            Duration::from_secs(4)
        );
        assert_eq!(c.t4_unless_reliable(true), Duration::ZERO);
    }

    #[test]
    fn sanitized_rejects_zero_t1() {
        let c = TimerConfig {
            t1: Duration::ZERO,
            t2: Duration::ZERO,
            t4: Duration::ZERO,
        };
        let s = c.sanitized();
        assert_eq!(s.t1, Duration::from_millis(1));
        assert_eq!(s.t2, Duration::from_millis(1));
    }

    #[test]
    fn rearming_makes_old_entry_stale() {
        let now = Instant::now();
        let mut q = TimerQueue::default();
        let mut t = TimerTable::default();
        let tx = TxRef::Client(ClientTxId(1));
        q.arm(&mut t, tx, TimerKind::A, now + Duration::from_millis(500));
        q.arm(&mut t, tx, TimerKind::A, now + Duration::from_secs(1));
        let first = q.pop().map(|d| (d.kind, d.at));
        assert_eq!(
            first,
            Some((TimerKind::A, now + Duration::from_millis(500)))
        );
        assert!(!t.take_if_due(TimerKind::A, now + Duration::from_millis(500)));
        assert!(t.take_if_due(TimerKind::A, now + Duration::from_secs(1)));
        assert!(!t.is_armed(TimerKind::A));
    }

    #[test]
    fn slots_are_independent() {
        let now = Instant::now();
        let mut q = TimerQueue::default();
        let mut t = TimerTable::default();
        let tx = TxRef::Server(ServerTxId(7));
        q.arm(&mut t, tx, TimerKind::G, now);
        q.arm(&mut t, tx, TimerKind::H, now);
        t.stop(TimerKind::G);
        assert!(t.is_armed(TimerKind::H));
        assert!(!t.is_live(TimerKind::G, now));
        // Stopping a kind that is not the one in the slot leaves the slot alone.
        t.stop(TimerKind::L);
        assert!(t.is_armed(TimerKind::H));
        assert_eq!(q.len(), 2);
    }
}
