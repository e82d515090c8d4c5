//! Signaling counters, shared between the call engine (which counts) and the daemon's
//! `/metrics` endpoint (which reads). Plain relaxed atomics: counting never blocks the
//! engine, and a scrape sees a consistent-enough snapshot.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use sbc_core::call::EndCause;

/// Why an inbound message was dropped without a response. Closed set: these are the
/// `reason` labels of `sbc_sip_drops_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SipDrop {
    /// A response that did not parse: nothing can be answered, so it is counted.
    MalformedResponse,
    /// Bytes that are not a SIP message at all (no request or status line).
    Garbage,
    /// A request too broken to answer (no Via/From/To/Call-ID/CSeq to copy).
    UnanswerableRequest,
    /// A response that matched no transaction and is not a 2xx to re-ACK.
    StrayResponse,
    /// An ACK that matched no dialog.
    StrayAck,
}

impl SipDrop {
    pub const ALL: [SipDrop; 5] = [
        SipDrop::MalformedResponse,
        SipDrop::Garbage,
        SipDrop::UnanswerableRequest,
        SipDrop::StrayResponse,
        SipDrop::StrayAck,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SipDrop::MalformedResponse => "malformed_response",
            SipDrop::Garbage => "garbage",
            SipDrop::UnanswerableRequest => "unanswerable_request",
            SipDrop::StrayResponse => "stray_response",
            SipDrop::StrayAck => "stray_ack",
        }
    }
}

/// Counters of the signaling plane.
#[derive(Debug, Default)]
pub struct SignalingMetrics {
    pub calls_active: AtomicI64,
    pub calls_started: AtomicU64,
    calls_ended: [AtomicU64; EndCause::ALL.len()],
    /// Responses the SBC sent, by class 1xx..6xx (index 0 = 1xx).
    responses_sent: [AtomicU64; 6],
    /// Responses the SBC received from peers, by class.
    responses_received: [AtomicU64; 6],
    drops: [AtomicU64; SipDrop::ALL.len()],
    /// Client transactions that timed out (Timer B/F) plus calls ended by Timer C.
    pub transaction_timeouts: AtomicU64,
    /// Requests the SBC refused itself, by status (403 source, 404 route, 503 ports...).
    pub requests_rejected: AtomicU64,
}

fn class_index(status: u16) -> Option<usize> {
    match status {
        100..=699 => Some(usize::from(status / 100) - 1),
        _ => None,
    }
}

impl SignalingMetrics {
    pub fn call_ended(&self, cause: EndCause) {
        self.calls_active.fetch_sub(1, Ordering::Relaxed);
        let i = EndCause::ALL.iter().position(|c| *c == cause).unwrap_or(0);
        self.calls_ended[i].fetch_add(1, Ordering::Relaxed);
    }
    pub fn call_started(&self) {
        self.calls_active.fetch_add(1, Ordering::Relaxed);
        self.calls_started.fetch_add(1, Ordering::Relaxed);
    }
    pub fn response_sent(&self, status: u16) {
        if let Some(i) = class_index(status) {
            self.responses_sent[i].fetch_add(1, Ordering::Relaxed);
        }
    }
    pub fn response_received(&self, status: u16) {
        if let Some(i) = class_index(status) {
            self.responses_received[i].fetch_add(1, Ordering::Relaxed);
        }
    }
    pub fn count_drop(&self, reason: SipDrop) {
        let i = SipDrop::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        self.drops[i].fetch_add(1, Ordering::Relaxed);
    }

    pub fn ended(&self, cause: EndCause) -> u64 {
        let i = EndCause::ALL.iter().position(|c| *c == cause).unwrap_or(0);
        self.calls_ended[i].load(Ordering::Relaxed)
    }
    pub fn drops(&self, reason: SipDrop) -> u64 {
        let i = SipDrop::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        self.drops[i].load(Ordering::Relaxed)
    }
    /// (class label "1xx".."6xx", sent, received)
    pub fn responses(&self) -> [(&'static str, u64, u64); 6] {
        const LABELS: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "6xx"];
        std::array::from_fn(|i| {
            (
                LABELS[i],
                self.responses_sent[i].load(Ordering::Relaxed),
                self.responses_received[i].load(Ordering::Relaxed),
            )
        })
    }
}
