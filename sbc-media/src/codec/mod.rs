//! Audio codecs and resampling for the mixer: decode a leg's RTP payload to PCM,
//! resample between 8, 16 and 48 kHz, and encode per listener in that leg's codec.
//!
//! Owns: the codec vocabulary (`CodecKind`, `SampleRate`, `FrameDuration`,
//! `CodecConfig`), the `AudioCodec` front (`audio`), G.711 µ-law/A-law (`g711`),
//! G.722 (`g722`, over the pure-Rust `audio-codec` crate), Opus (`opus`, over
//! libopus), packet-loss concealment for the waveform codecs (`plc`), streaming
//! polyphase resampling (`resample`, filters designed in `fir`) and the Goertzel
//! tone detector (`goertzel`) that tests and the mixer use.
//!
//! Hot-path contract: all state is built by `new`; `decode`, `conceal`, `encode`
//! and `Resampler::process` work in the caller's buffers and never allocate.
//! Samples are mono `i16` at the codec's own rate (`CodecKind::sample_rate`).

mod audio;
mod error;
mod fir;
pub mod g711;
mod g722;
pub mod goertzel;
mod opus;
mod plc;
mod resample;

pub use audio::AudioCodec;
pub use error::CodecError;
pub use goertzel::Goertzel;
pub use resample::Resampler;

/// PCM samples in the longest frame any codec here handles (60 ms at 48 kHz): a
/// buffer of this size fits one decoded frame of every codec and frame duration.
pub const MAX_FRAME_SAMPLES: usize = 2880;

/// Payload bytes that always suffice for one encoded frame (libopus's recommended
/// ceiling; G.711 and G.722 need at most 480).
pub const MAX_PAYLOAD_BYTES: usize = 4000;

/// The PCM sample rates the mixer works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleRate {
    /// Narrowband (G.711).
    Hz8000,
    /// Wideband (G.722 audio).
    Hz16000,
    /// Fullband (Opus).
    Hz48000,
}

impl SampleRate {
    /// Samples per second.
    pub const fn hz(self) -> u32 {
        match self {
            SampleRate::Hz8000 => 8_000,
            SampleRate::Hz16000 => 16_000,
            SampleRate::Hz48000 => 48_000,
        }
    }

    /// Samples in one frame of `frame` at this rate.
    pub const fn samples(self, frame: FrameDuration) -> usize {
        (self.hz() / 1000 * frame.millis()) as usize
    }
}

/// Packetization time of one RTP payload (`a=ptime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameDuration {
    Ms10,
    Ms20,
    Ms30,
    Ms40,
    Ms60,
}

impl FrameDuration {
    /// Length in milliseconds.
    pub const fn millis(self) -> u32 {
        match self {
            FrameDuration::Ms10 => 10,
            FrameDuration::Ms20 => 20,
            FrameDuration::Ms30 => 30,
            FrameDuration::Ms40 => 40,
            FrameDuration::Ms60 => 60,
        }
    }

    /// The duration for an SDP `ptime`, if it is one of ours.
    pub const fn from_millis(millis: u32) -> Option<Self> {
        match millis {
            10 => Some(FrameDuration::Ms10),
            20 => Some(FrameDuration::Ms20),
            30 => Some(FrameDuration::Ms30),
            40 => Some(FrameDuration::Ms40),
            60 => Some(FrameDuration::Ms60),
            _ => None,
        }
    }
}

/// The codecs a leg may negotiate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKind {
    /// G.711 µ-law (RFC 3551 PCMU).
    Pcmu,
    /// G.711 A-law (RFC 3551 PCMA).
    Pcma,
    /// G.722 at 64 kbit/s (RFC 3551 G722).
    G722,
    /// Opus (RFC 7587), mono.
    Opus,
}

impl CodecKind {
    /// The PCM rate the codec consumes and produces.
    pub const fn sample_rate(self) -> SampleRate {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma => SampleRate::Hz8000,
            CodecKind::G722 => SampleRate::Hz16000,
            CodecKind::Opus => SampleRate::Hz48000,
        }
    }

    /// The RTP timestamp clock. G.722 samples at 16 kHz but keeps the 8 kHz clock
    /// of its original (erroneous) registration (RFC 3551 section 4.5.2); Opus
    /// always uses 48 kHz (RFC 7587 section 4.1).
    pub const fn rtp_clock_rate(self) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma | CodecKind::G722 => 8_000,
            CodecKind::Opus => 48_000,
        }
    }

    /// The static payload type (RFC 3551 table 4), if any; Opus is dynamic.
    pub const fn static_payload_type(self) -> Option<u8> {
        match self {
            CodecKind::Pcmu => Some(0),
            CodecKind::Pcma => Some(8),
            CodecKind::G722 => Some(9),
            CodecKind::Opus => None,
        }
    }

    /// The encoding name of `a=rtpmap` (compared case-insensitively in SDP).
    pub const fn encoding_name(self) -> &'static str {
        match self {
            CodecKind::Pcmu => "PCMU",
            CodecKind::Pcma => "PCMA",
            CodecKind::G722 => "G722",
            CodecKind::Opus => "opus",
        }
    }

    /// Whether one RTP payload of this codec can carry `frame`. Opus frames are
    /// 2.5–60 ms but 30 ms is not among them (RFC 6716 section 3.1).
    pub const fn supports(self, frame: FrameDuration) -> bool {
        !matches!((self, frame), (CodecKind::Opus, FrameDuration::Ms30))
    }
}

/// Opus encoder settings (RFC 7587 section 7 and libopus CTLs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusSettings {
    /// Target bitrate in bit/s, 6000..=510000.
    pub bitrate_bps: u32,
    /// Send in-band FEC (LBRR) so a receiver can rebuild a lost frame from the next.
    pub inband_fec: bool,
    /// Expected loss in percent; libopus sizes its FEC to it.
    pub expected_loss_pct: u8,
    /// Encoder complexity 0..=10 (values above 10 act as 10): CPU against quality.
    /// 10 costs about 65 µs per 20 ms frame (encode + decode) on the 2-core dev box.
    pub complexity: u8,
}

impl Default for OpusSettings {
    /// 32 kbit/s voice with FEC tuned for 5 % loss, at libopus's default complexity.
    fn default() -> Self {
        OpusSettings {
            bitrate_bps: 32_000,
            inband_fec: true,
            expected_loss_pct: 5,
            complexity: 10,
        }
    }
}

/// Everything needed to build an `AudioCodec` for one leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecConfig {
    pub kind: CodecKind,
    /// The frame `encode` takes and `conceal` produces.
    pub frame: FrameDuration,
    /// Ignored unless `kind` is `Opus`.
    pub opus: OpusSettings,
}

impl CodecConfig {
    /// `kind` at `frame` with default Opus settings.
    pub fn new(kind: CodecKind, frame: FrameDuration) -> Self {
        CodecConfig {
            kind,
            frame,
            opus: OpusSettings::default(),
        }
    }
}
