//! Media plane: anchors RTP/RTCP for every call behind the `MediaControl` port.
//!
//! v0 relays plain RTP/RTCP: port pairs from a range, relay workers (one thread and one
//! `mio::Poll` each), symmetric latching, RFC 5761 rtcp-mux, per-stream and engine
//! counters. The layout leaves room for what comes next without a rewrite: SRTP is a
//! transform between `classify` and the sink loop in `relay.rs`, batching replaces the
//! single buffer in `drain`, taps/recorders/mixers are further `Sink` kinds.
//!
//! Module map: `engine` (the public face), `pool` + `socket` (ports), `command`
//! (control queue), `worker` (thread, tables, commands), `relay` (packet path),
//! `slot`, `latch`, `sink`, `packet` (per-stream pieces), `stats` (counters).

mod command;
mod engine;
mod latch;
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

pub use engine::MediaEngine;
pub use settings::MediaSettings;
pub use stats::{DropCounts, DropReason, MediaStats, TrafficStats};
