//! The audio codecs the test phone speaks, by RTP payload type: G.711 by
//! the test's own `g711`, G.722 and Opus through `sbc_media`'s
//! `AudioCodec` (libopus and a G.722 crate; writing those again would prove
//! nothing about the SBC). Frames are always 20 ms.

use sbc_media::codec::{AudioCodec, CodecConfig, CodecKind, FrameDuration};

use super::g711::Law;
use super::sdp::RtpMap;
use super::UaError;

/// Longest PCM of one received packet: 120 ms of Opus at 48 kHz.
const MAX_DECODED: usize = 5760;

/// One codec and its payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneCodec {
    /// PT 0.
    Pcmu,
    /// PT 8.
    Pcma,
    /// PT 9: 16 kHz audio on the 8 kHz RTP clock.
    G722,
    /// A dynamic PT, 48 kHz audio and clock, mono.
    Opus { pt: u8 },
}

impl PhoneCodec {
    pub fn pt(self) -> u8 {
        match self {
            PhoneCodec::Pcmu => 0,
            PhoneCodec::Pcma => 8,
            PhoneCodec::G722 => 9,
            PhoneCodec::Opus { pt } => pt,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PhoneCodec::Pcmu => "PCMU",
            PhoneCodec::Pcma => "PCMA",
            PhoneCodec::G722 => "G722",
            PhoneCodec::Opus { .. } => "opus",
        }
    }

    /// The PCM rate the codec encodes and decodes.
    pub fn sample_rate(self) -> u32 {
        match self {
            PhoneCodec::Pcmu | PhoneCodec::Pcma => 8000,
            PhoneCodec::G722 => 16_000,
            PhoneCodec::Opus { .. } => 48_000,
        }
    }

    /// The RTP timestamp clock (also the telephone-event clock we pair with it).
    pub fn clock_rate(self) -> u32 {
        match self {
            PhoneCodec::Opus { .. } => 48_000,
            _ => 8000,
        }
    }

    /// PCM samples in one 20 ms frame.
    pub fn samples_per_frame(self) -> usize {
        self.sample_rate() as usize / 50
    }

    /// RTP timestamp advance per 20 ms frame.
    pub fn ticks_per_frame(self) -> u32 {
        self.clock_rate() / 50
    }

    /// The SDP description of this codec.
    pub fn rtpmap(self) -> RtpMap {
        match self {
            PhoneCodec::Pcmu => RtpMap::pcmu(),
            PhoneCodec::Pcma => RtpMap::pcma(),
            PhoneCodec::G722 => RtpMap::g722(),
            PhoneCodec::Opus { pt } => RtpMap::opus(pt),
        }
    }

    /// The codec an SDP payload format names, if the phone speaks it.
    pub fn from_rtpmap(map: &RtpMap) -> Option<PhoneCodec> {
        let name = map.encoding.to_ascii_lowercase();
        match (name.as_str(), map.clock_rate) {
            ("pcmu", 8000) => Some(PhoneCodec::Pcmu),
            ("pcma", 8000) => Some(PhoneCodec::Pcma),
            ("g722", 8000) => Some(PhoneCodec::G722),
            ("opus", 48_000) => Some(PhoneCodec::Opus { pt: map.pt }),
            _ => None,
        }
    }

    fn kind(self) -> CodecKind {
        match self {
            PhoneCodec::Pcmu => CodecKind::Pcmu,
            PhoneCodec::Pcma => CodecKind::Pcma,
            PhoneCodec::G722 => CodecKind::G722,
            PhoneCodec::Opus { .. } => CodecKind::Opus,
        }
    }
}

/// One direction's codec state (an encoder or a decoder).
pub struct Coder {
    codec: PhoneCodec,
    engine: Engine,
    scratch: Vec<i16>,
}

enum Engine {
    G711(Law),
    Media(Box<AudioCodec>),
}

impl std::fmt::Debug for Coder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coder")
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

impl Coder {
    pub fn new(codec: PhoneCodec) -> Result<Coder, UaError> {
        let engine = match codec {
            PhoneCodec::Pcmu => Engine::G711(Law::Mu),
            PhoneCodec::Pcma => Engine::G711(Law::A),
            _ => {
                let config = CodecConfig::new(codec.kind(), FrameDuration::Ms20);
                let media = AudioCodec::new(config).map_err(|e| {
                    UaError::MediaPeer(format!("cannot build a {} codec: {e}", codec.name()))
                })?;
                Engine::Media(Box::new(media))
            }
        };
        Ok(Coder {
            codec,
            engine,
            scratch: vec![0; MAX_DECODED],
        })
    }

    pub fn codec(&self) -> PhoneCodec {
        self.codec
    }

    /// Encodes one 20 ms frame into `out` (cleared first).
    pub fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), UaError> {
        out.clear();
        match &mut self.engine {
            Engine::G711(law) => law.encode(pcm, out),
            Engine::Media(codec) => {
                out.resize(sbc_media::codec::MAX_PAYLOAD_BYTES, 0);
                let n = codec
                    .encode(pcm, out)
                    .map_err(|e| UaError::MediaPeer(format!("encode: {e}")))?;
                out.truncate(n);
            }
        }
        Ok(())
    }

    /// Decodes one payload, appending the PCM to `out`. A payload the codec
    /// refuses is an error (the caller records it, it is the peer's fault).
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), UaError> {
        match &mut self.engine {
            Engine::G711(law) => law.decode(payload, out),
            Engine::Media(codec) => {
                let n = codec
                    .decode(payload, &mut self.scratch)
                    .map_err(|e| UaError::MediaPeer(format!("decode: {e}")))?;
                out.extend_from_slice(self.scratch.get(..n).unwrap_or_default());
            }
        }
        Ok(())
    }
}
