//! What the test phone keeps of its RTP: one record per packet sent or
//! received (header, payload bytes, and for received audio the decoded PCM),
//! in bounded logs that drop the oldest records first and count them.
//!
//! A record owns its payload and PCM: at 50 packets a second a test phone
//! allocates nothing that matters, and owned records can be handed to a test
//! by value.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use super::rtp_packet::{RtpHeader, TelephoneEvent};

/// How the phone understood a packet's payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    /// A codec the phone decodes.
    Audio,
    /// RFC 4733 telephone-event.
    Event,
    /// A payload type the phone does not know (kept, not decoded).
    Unknown,
}

/// One RTP packet sent or received.
#[derive(Debug, Clone)]
pub struct PacketRecord {
    /// When it was received (or sent).
    pub at: Instant,
    /// Where it came from (or went to).
    pub peer: SocketAddr,
    pub header: RtpHeader,
    pub payload: Vec<u8>,
    pub kind: PayloadKind,
    /// The RTP clock of its payload type (0 if unknown).
    pub clock_rate: u32,
    /// Decoded audio (received audio only; empty if not decodable).
    pub pcm: Vec<i16>,
    /// The rate of `pcm` (0 when empty).
    pub sample_rate: u32,
    /// Why decoding failed, if it did.
    pub decode_error: Option<String>,
}

impl PacketRecord {
    /// The telephone-event payload of an event packet.
    pub fn event(&self) -> Option<TelephoneEvent> {
        match self.kind {
            PayloadKind::Event => TelephoneEvent::parse(&self.payload),
            _ => None,
        }
    }
}

/// A bounded log of records, oldest first.
#[derive(Debug)]
pub struct PacketLog {
    records: VecDeque<PacketRecord>,
    capacity: usize,
    /// Records dropped to keep within `capacity`.
    pub dropped: u64,
    /// Records ever pushed.
    pub total: u64,
}

impl PacketLog {
    pub fn new(capacity: usize) -> PacketLog {
        PacketLog {
            records: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
            dropped: 0,
            total: 0,
        }
    }

    pub fn push(&mut self, record: PacketRecord) {
        if self.records.len() >= self.capacity {
            self.records.pop_front();
            self.dropped += 1;
        }
        self.records.push_back(record);
        self.total += 1;
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &PacketRecord> {
        self.records.iter()
    }

    /// The records with `from <= at < to`.
    pub fn between(&self, from: Instant, to: Instant) -> Vec<&PacketRecord> {
        self.records
            .iter()
            .filter(|r| r.at >= from && r.at < to)
            .collect()
    }

    pub fn clear(&mut self) {
        self.records.clear();
    }
}

/// Receive-side counters beyond the log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceiveCounters {
    /// Datagrams that were RTCP (RFC 5761 §4 PT range).
    pub rtcp: u64,
    /// Datagrams that were neither RTP nor RTCP.
    pub malformed: u64,
    /// Audio payloads the decoder refused.
    pub decode_errors: u64,
}

/// Everything the phone's thread records, behind one mutex per phone.
#[derive(Debug)]
pub struct PhoneLogs {
    pub sent: PacketLog,
    pub received: PacketLog,
    pub counters: ReceiveCounters,
}

impl PhoneLogs {
    pub fn new(capacity: usize) -> PhoneLogs {
        PhoneLogs {
            sent: PacketLog::new(capacity),
            received: PacketLog::new(capacity),
            counters: ReceiveCounters::default(),
        }
    }
}
