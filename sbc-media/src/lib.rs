//! Media plane: anchors RTP/RTCP for every call behind the `MediaControl` port.
//!
//! v0 relays plain RTP/RTCP: port pairs from a range, relay workers (one thread and one
//! `mio::Poll` each), symmetric latching, RFC 5761 rtcp-mux, per-stream and engine
//! counters. The relay reads and sends in `recvmmsg`/`sendmmsg` batches. The layout
//! leaves room for what comes next without a rewrite: SRTP is a transform between
//! `classify` and the sink plan in `relay.rs`, taps/recorders/mixers are further
//! `Sink` kinds.
//!
//! Module map: `engine` (the public face), `pool` + `socket` (ports), `command`
//! (control queue), `worker` (thread, tables, commands), `relay` (packet path),
//! `mmsg` (batched syscalls), `slot`, `latch`, `sink`, `packet` (per-stream pieces),
//! `stats` (counters).

mod command;
mod engine;
mod latch;
mod mmsg;
mod packet;
mod pool;
mod relay;
pub mod rtp;
mod settings;
mod sink;
mod slot;
mod socket;
pub mod srtp;
mod stats;
mod worker;

/// Hooks for the crate's own integration tests; not a public API.
#[doc(hidden)]
pub mod testing {
    /// True on a media relay worker thread (the allocation test counts only those).
    pub fn in_media_worker() -> bool {
        crate::worker::in_media_worker()
    }
}

pub use engine::MediaEngine;
pub use settings::MediaSettings;
pub use stats::{DropCounts, DropReason, MediaStats, TrafficStats};
