//! The monitoring mixer, sans-IO: one per monitored call, driven by a 20 ms tick.
//!
//! Inputs are the legs that speak (customer, agent, each supervisor), each with its
//! negotiated codec and payload type; outputs are the legs that must hear a mix, each
//! with its own codec, payload type and RTP identity, and a set of inputs it hears.
//! A monitoring mode (`sbc_core::monitoring::MonitorMode`) is only a choice of those
//! sets (`modes`), so the tick never asks which mode it is in. Per input: adaptive
//! jitter buffer (`jitter`, 20–60 ms), decode, concealment, resampling to the mix
//! rate (`input`); per output: saturating sum, resampling, encoding and gapless RTP
//! (`output`); the table, the tick and the packets it lends out (`engine`).
//!
//! File map: `engine` (the `Mixer`), `input`, `output`, `jitter` (+ `jitter_tests`),
//! `pcm` (sample queue), `modes` (hear sets per mode), `ids` (handles, slot table,
//! input sets), `config`, `stats`, `error`.
//!
//! Contract: everything is allocated when inputs and outputs are added; `push` and
//! `tick` never allocate, never read a clock and never panic on a peer's bytes.

mod config;
mod engine;
mod error;
mod ids;
mod input;
mod jitter;
mod modes;
mod output;
mod pcm;
mod stats;

pub use config::{InputConfig, JitterConfig, MixerConfig, OutputConfig, TICK};
pub use engine::{Mixer, TickPackets};
pub use error::MixerError;
pub use ids::{InputId, OutputId, MAX_INPUTS, MAX_OUTPUTS};
pub use jitter::PushOutcome;
pub use modes::{MixPlan, Participant, Supervisor};
pub use stats::{InputStats, OutputStats};
