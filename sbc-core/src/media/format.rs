//! Audio formats a leg's SDP offers or accepted, as far as the media plane can decode
//! and encode them (the monitoring mixer). Formats it cannot transcode are simply
//! absent: relaying never needs them, only mixing does.

/// An audio encoding the mixer implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioEncoding {
    /// G.711 µ-law (RFC 3551 PCMU, static payload type 0).
    Pcmu,
    /// G.711 A-law (RFC 3551 PCMA, static payload type 8).
    Pcma,
    /// G.722 (static payload type 9; RTP clock 8000 by RFC 3551's historical error,
    /// sampled at 16 kHz).
    G722,
    /// Opus (RFC 7587: always `opus/48000/2` in SDP).
    Opus,
}

impl AudioEncoding {
    /// The encoding an `a=rtpmap` names (`name/rate[/channels]`), if the mixer has it.
    pub fn from_rtpmap(name: &str, clock_rate: u32) -> Option<AudioEncoding> {
        let e = match name.to_ascii_lowercase().as_str() {
            "pcmu" => AudioEncoding::Pcmu,
            "pcma" => AudioEncoding::Pcma,
            "g722" => AudioEncoding::G722,
            "opus" => AudioEncoding::Opus,
            _ => return None,
        };
        (clock_rate == e.rtp_clock_rate()).then_some(e)
    }

    /// The encoding of an RFC 3551 static payload type without an rtpmap.
    pub fn from_static(pt: u8) -> Option<AudioEncoding> {
        match pt {
            0 => Some(AudioEncoding::Pcmu),
            8 => Some(AudioEncoding::Pcma),
            9 => Some(AudioEncoding::G722),
            _ => None,
        }
    }

    /// The RTP timestamp clock (not always the sampling rate: G.722).
    pub fn rtp_clock_rate(self) -> u32 {
        match self {
            AudioEncoding::Pcmu | AudioEncoding::Pcma | AudioEncoding::G722 => 8000,
            AudioEncoding::Opus => 48_000,
        }
    }

    /// The `a=rtpmap` value for payload type `pt`.
    pub fn rtpmap(self, pt: u8) -> String {
        match self {
            AudioEncoding::Pcmu => format!("{pt} PCMU/8000"),
            AudioEncoding::Pcma => format!("{pt} PCMA/8000"),
            AudioEncoding::G722 => format!("{pt} G722/8000"),
            AudioEncoding::Opus => format!("{pt} opus/48000/2"),
        }
    }
}

/// One payload type of a leg's m= line that the mixer can handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioFormat {
    pub payload_type: u8,
    pub encoding: AudioEncoding,
    /// Packetization in milliseconds (`a=ptime`), `None`: 20 ms.
    pub ptime_ms: Option<u16>,
}
