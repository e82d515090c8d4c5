//! Traffic counters: written by exactly one relay worker, read by anyone, lock-free.
//!
//! Each `Counters` block belongs to one stream or one worker and only that worker's
//! thread writes it, so an increment is a relaxed load + store (a plain `mov`, no
//! `lock` prefix) instead of an atomic read-modify-write. Readers (the metrics scrape)
//! see values that are at most a few packets old, which is all a counter needs.

use std::ops::AddAssign;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Why a received packet was not relayed (each reason is its own counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Shorter than an RTP (12) or RTCP (8) header.
    TooShort,
    /// Version bits are not 2 (not RTP/RTCP: STUN, DTLS, garbage).
    BadVersion,
    /// The stream is not connected to anything yet.
    NotConnected,
    /// The sink's peer has neither a latched nor an SDP address.
    NoDestination,
    /// The kernel refused the send (buffer full, unreachable, filtered).
    SendFailed,
    /// `recv_from` failed with something other than "would block".
    RecvFailed,
    /// Larger than a receive slot (2 KiB): no RTP/RTCP packet is, so it is not
    /// relayed (truncating it would forward a corrupt packet).
    Oversize,
    /// Strict source: the stream has latched and this came from another address.
    ForeignSource,
    /// The SRTP/SRTCP authentication tag did not verify (wrong key, forged, corrupt).
    SrtpAuth,
    /// An SRTP/SRTCP index already seen or older than the replay window.
    SrtpReplay,
    /// Too short for its SRTP trailer, a bad header, or an MKI we did not issue.
    SrtpMalformed,
    /// The key's packet budget is used up (RFC 3711 §9.2): a re-key is needed.
    SrtpKeyExhausted,
    /// Signaling asked for SRTP with keys the media plane could not use.
    SrtpNoKey,
}

impl DropReason {
    pub const COUNT: usize = 13;
    pub const ALL: [DropReason; DropReason::COUNT] = [
        DropReason::TooShort,
        DropReason::BadVersion,
        DropReason::NotConnected,
        DropReason::NoDestination,
        DropReason::SendFailed,
        DropReason::RecvFailed,
        DropReason::Oversize,
        DropReason::ForeignSource,
        DropReason::SrtpAuth,
        DropReason::SrtpReplay,
        DropReason::SrtpMalformed,
        DropReason::SrtpKeyExhausted,
        DropReason::SrtpNoKey,
    ];

    /// Stable label for metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::TooShort => "too_short",
            DropReason::BadVersion => "bad_version",
            DropReason::NotConnected => "not_connected",
            DropReason::NoDestination => "no_destination",
            DropReason::SendFailed => "send_failed",
            DropReason::RecvFailed => "recv_failed",
            DropReason::Oversize => "oversize",
            DropReason::ForeignSource => "foreign_source",
            DropReason::SrtpAuth => "srtp_auth",
            DropReason::SrtpReplay => "srtp_replay",
            DropReason::SrtpMalformed => "srtp_malformed",
            DropReason::SrtpKeyExhausted => "srtp_key_exhausted",
            DropReason::SrtpNoKey => "srtp_no_key",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Drop counts by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropCounts([u64; DropReason::COUNT]);

impl DropCounts {
    pub fn get(&self, reason: DropReason) -> u64 {
        self.0.get(reason.index()).copied().unwrap_or(0)
    }
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
    /// `(reason, count)` pairs, for exporting.
    pub fn iter(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL.iter().map(|&r| (r, self.get(r)))
    }
}

/// A snapshot of one stream's (or a whole engine's) traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrafficStats {
    pub packets_received: u64,
    pub bytes_received: u64,
    /// Packets sent out of this stream's sockets (for totals: packets relayed).
    pub packets_sent: u64,
    pub bytes_sent: u64,
    /// Valid packets from a source other than the latched one (relayed, not latched):
    /// a rise means NAT rebinding or someone spraying RTP at our ports.
    pub foreign_source_packets: u64,
    pub drops: DropCounts,
    pub rtp: RtpQuality,
}

/// RFC 3550 receive quality of the RTP a stream got from its peer (current source).
/// Engine totals sum `expected` and `lost` over all sources ever seen; `jitter_us`
/// and `duplicates` are per stream only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RtpQuality {
    /// Packets expected from the sequence numbers (A.3).
    pub expected: u64,
    /// Expected minus received; negative with duplicates (A.3).
    pub lost: i64,
    /// Interarrival jitter (A.8), in microseconds.
    pub jitter_us: u64,
    pub duplicates: u64,
}

impl AddAssign for TrafficStats {
    fn add_assign(&mut self, o: TrafficStats) {
        self.packets_received += o.packets_received;
        self.bytes_received += o.bytes_received;
        self.packets_sent += o.packets_sent;
        self.bytes_sent += o.bytes_sent;
        self.foreign_source_packets += o.foreign_source_packets;
        self.rtp.expected += o.rtp.expected;
        self.rtp.lost += o.rtp.lost;
        self.rtp.duplicates += o.rtp.duplicates;
        self.rtp.jitter_us = self.rtp.jitter_us.max(o.rtp.jitter_us);
        for (mine, theirs) in self.drops.0.iter_mut().zip(o.drops.0) {
            *mine += theirs;
        }
    }
}

/// Engine-wide totals for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaStats {
    pub active_streams: u64,
    /// Ports bound by active streams.
    pub ports_in_use: u64,
    /// Ports of ended streams kept bound for reuse by later calls.
    pub ports_parked: u64,
    pub traffic: TrafficStats,
}

/// The live counters. Single writer (one worker thread); see the module doc.
#[derive(Debug, Default)]
#[repr(align(64))] // own cache line: streams of different workers must not false-share
pub(crate) struct Counters {
    rx_packets: AtomicU64,
    rx_bytes: AtomicU64,
    tx_packets: AtomicU64,
    tx_bytes: AtomicU64,
    foreign: AtomicU64,
    drops: [AtomicU64; DropReason::COUNT],
    rtp_expected: AtomicU64,
    /// `i64` bits.
    rtp_lost: AtomicU64,
    rtp_jitter_us: AtomicU64,
    rtp_duplicates: AtomicU64,
}

/// Single-writer increment: no read-modify-write needed because nobody else writes.
#[inline]
fn bump(a: &AtomicU64, n: u64) {
    a.store(a.load(Relaxed).wrapping_add(n), Relaxed);
}

impl Counters {
    /// A whole batch received: one store per counter instead of one per packet.
    #[inline]
    pub(crate) fn on_rx_batch(&self, packets: usize, bytes: usize) {
        bump(&self.rx_packets, packets as u64);
        bump(&self.rx_bytes, bytes as u64);
    }
    /// A whole batch sent (see `on_rx_batch`).
    #[inline]
    pub(crate) fn on_tx_batch(&self, packets: usize, bytes: usize) {
        bump(&self.tx_packets, packets as u64);
        bump(&self.tx_bytes, bytes as u64);
    }
    /// `n` packets dropped for the same reason at once.
    #[inline]
    pub(crate) fn on_drops(&self, reason: DropReason, n: usize) {
        if let Some(c) = self.drops.get(reason.index()) {
            bump(c, n as u64);
        }
    }
    #[inline]
    pub(crate) fn on_foreign(&self) {
        bump(&self.foreign, 1);
    }
    #[inline]
    pub(crate) fn on_drop(&self, reason: DropReason) {
        if let Some(c) = self.drops.get(reason.index()) {
            bump(c, 1);
        }
    }

    /// A stream's current quality figures (replaced, not added).
    pub(crate) fn set_quality(&self, expected: u64, lost: i64, jitter_us: u64, duplicates: u64) {
        self.rtp_expected.store(expected, Relaxed);
        self.rtp_lost.store(lost as u64, Relaxed);
        self.rtp_jitter_us.store(jitter_us, Relaxed);
        self.rtp_duplicates.store(duplicates, Relaxed);
    }

    /// Worker totals: expected and lost packets added by one stream since last time.
    pub(crate) fn add_quality(&self, expected: u64, lost: u64) {
        bump(&self.rtp_expected, expected);
        bump(&self.rtp_lost, lost);
    }

    pub(crate) fn snapshot(&self) -> TrafficStats {
        let mut drops = DropCounts::default();
        for (out, c) in drops.0.iter_mut().zip(&self.drops) {
            *out = c.load(Relaxed);
        }
        TrafficStats {
            packets_received: self.rx_packets.load(Relaxed),
            bytes_received: self.rx_bytes.load(Relaxed),
            packets_sent: self.tx_packets.load(Relaxed),
            bytes_sent: self.tx_bytes.load(Relaxed),
            foreign_source_packets: self.foreign.load(Relaxed),
            drops,
            rtp: RtpQuality {
                expected: self.rtp_expected.load(Relaxed),
                lost: self.rtp_lost.load(Relaxed) as i64,
                jitter_us: self.rtp_jitter_us.load(Relaxed),
                duplicates: self.rtp_duplicates.load(Relaxed),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_snapshot_and_sum() {
        let c = Counters::default();
        c.on_rx_batch(1, 100);
        c.on_rx_batch(1, 50);
        c.on_tx_batch(1, 100);
        c.on_drop(DropReason::BadVersion);
        c.on_drop(DropReason::BadVersion);
        c.on_foreign();
        let s = c.snapshot();
        assert_eq!((s.packets_received, s.bytes_received), (2, 150));
        assert_eq!((s.packets_sent, s.bytes_sent), (1, 100));
        assert_eq!(s.drops.get(DropReason::BadVersion), 2);
        assert_eq!(s.drops.total(), 2);
        assert_eq!(s.foreign_source_packets, 1);
        let mut total = TrafficStats::default();
        total += s;
        total += s;
        assert_eq!(total.drops.get(DropReason::BadVersion), 4);
        assert_eq!(total.packets_received, 4);
    }

    #[test]
    fn labels_are_distinct() {
        let mut labels: Vec<_> = DropReason::ALL.iter().map(|r| r.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), DropReason::COUNT);
    }
}
