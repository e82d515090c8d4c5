//! Media plane: anchors RTP/RTCP for every call behind the `MediaControl` port.
//!
//! Port pairs from a range, relay workers (one thread and one `mio::Poll` each),
//! symmetric latching (optionally strict), RFC 5761 rtcp-mux, per-stream and engine
//! counters, SRTP/SRTCP per leg. The relay reads and sends in `recvmmsg`/`sendmmsg`
//! batches; a packet is decrypted once in its receive slot with the sending leg's key
//! and encrypted per sink with the receiving leg's key (`security`). Forks copy a
//! stream to recorders; monitored calls get a mixer on their worker (`monitor`).
//!
//! Module map: `engine` (the public face), `pool` + `socket` (ports), `command`
//! (control queue), `worker` (thread, tables, commands), `relay` (packet path),
//! `mmsg` (batched syscalls), `slot`, `latch`, `sink`, `packet`, `security` (per-stream
//! pieces), `srtp` (the transforms), `rtp` (header views, RTCP, stats, DTMF),
//! `stats` (counters), `egress` (RTP continuity of a leg), `mixer` (the sans-IO
//! monitoring mixer), `monitor` (mixers wired into the workers), `codec`.

pub mod codec;
mod command;
mod egress;
mod engine;
mod latch;
pub mod mixer;
mod mmsg;
mod monitor;
mod packet;
mod pool;
mod quality;
mod relay;
pub mod rtp;
mod security;
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

pub use egress::{EgressRewrite, MAX_PT_MAPS};
pub use engine::{CallMediaStats, MediaEngine};
pub use settings::MediaSettings;
pub use stats::{DropCounts, DropReason, MediaStats, RtpQuality, TrafficStats};
