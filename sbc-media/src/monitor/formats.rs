//! From a leg's SDP formats (`sbc_core::media::AudioFormat`) to the mixer's codec
//! vocabulary: which formats of a party become mixer inputs, and which one the mixer
//! encodes what the party hears in.
//!
//! Rules (control time only):
//! - inputs: the first `MAX_FORMATS` formats of the list, one per payload type, so a
//!   packet is decoded by its own payload type whatever the peer picked;
//! - output: the format of the last RTP packet the party's peer was sent, if the
//!   party's SDP lists it (that is what its phone is decoding right now: for the
//!   offerer's leg the SDP lists its whole offer, not the answer's choice), else the
//!   first format (for an answer, the negotiated codec);
//! - packetization: the SDP's `ptime` when the codec can frame it (10, 20, 30, 40 or
//!   60 ms; Opus not 30), else 20 ms, which every phone takes.

use sbc_core::media::{AudioEncoding, AudioFormat};

use crate::codec::{CodecConfig, CodecKind, FrameDuration};
use crate::rtp::PayloadType;

/// Mixer inputs per party at most (one per listed format).
pub(crate) const MAX_FORMATS: usize = 4;

/// The codec behind an SDP encoding.
pub(crate) fn codec_kind(encoding: AudioEncoding) -> CodecKind {
    match encoding {
        AudioEncoding::Pcmu => CodecKind::Pcmu,
        AudioEncoding::Pcma => CodecKind::Pcma,
        AudioEncoding::G722 => CodecKind::G722,
        AudioEncoding::Opus => CodecKind::Opus,
    }
}

/// Codec and payload type of one format, framed as its SDP asks (see module doc).
pub(crate) fn codec_config(format: AudioFormat) -> (CodecConfig, PayloadType) {
    let kind = codec_kind(format.encoding);
    let frame = format
        .ptime_ms
        .and_then(|ms| FrameDuration::from_millis(u32::from(ms)))
        .filter(|f| kind.supports(*f))
        .unwrap_or(FrameDuration::Ms20);
    // `AudioFormat` payload types come from SDP (0..=127); 0 is a safe stand-in.
    let pt = PayloadType::new(format.payload_type).unwrap_or(PayloadType::PCMU);
    (CodecConfig::new(kind, frame), pt)
}

/// The formats that become mixer inputs: SDP order, distinct payload types, capped.
pub(crate) fn input_formats(audio: &[AudioFormat]) -> Vec<AudioFormat> {
    let mut out: Vec<AudioFormat> = Vec::with_capacity(MAX_FORMATS);
    for f in audio {
        if out.len() == MAX_FORMATS {
            break;
        }
        if out.iter().all(|o| o.payload_type != f.payload_type) {
            out.push(*f);
        }
    }
    out
}

/// The format the mixer sends the party in (see module doc).
pub(crate) fn output_format(
    audio: &[AudioFormat],
    last_sent_pt: Option<u8>,
) -> Option<AudioFormat> {
    last_sent_pt
        .and_then(|pt| audio.iter().find(|f| f.payload_type == pt))
        .or_else(|| audio.first())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pt: u8, encoding: AudioEncoding, ptime_ms: Option<u16>) -> AudioFormat {
        AudioFormat {
            payload_type: pt,
            encoding,
            ptime_ms,
        }
    }

    #[test]
    fn framing_falls_back_to_20_ms() {
        let (c, pt) = codec_config(f(111, AudioEncoding::Opus, Some(30)));
        assert_eq!(
            (c.kind, c.frame, pt.get()),
            (CodecKind::Opus, FrameDuration::Ms20, 111)
        );
        let (c, _) = codec_config(f(8, AudioEncoding::Pcma, Some(40)));
        assert_eq!(c.frame, FrameDuration::Ms40);
        let (c, _) = codec_config(f(0, AudioEncoding::Pcmu, Some(120)));
        assert_eq!(c.frame, FrameDuration::Ms20);
    }

    #[test]
    fn output_follows_what_the_phone_receives() {
        let list = [
            f(0, AudioEncoding::Pcmu, None),
            f(9, AudioEncoding::G722, None),
        ];
        assert_eq!(
            output_format(&list, Some(9)).map(|f| f.payload_type),
            Some(9)
        );
        assert_eq!(
            output_format(&list, Some(101)).map(|f| f.payload_type),
            Some(0)
        );
        assert_eq!(output_format(&list, None).map(|f| f.payload_type), Some(0));
        assert_eq!(output_format(&[], Some(0)), None);
    }

    #[test]
    fn inputs_are_distinct_and_capped() {
        let list: Vec<AudioFormat> = [0u8, 0, 8, 9, 111, 96]
            .iter()
            .map(|&pt| f(pt, AudioEncoding::Pcmu, None))
            .collect();
        let pts: Vec<u8> = input_formats(&list)
            .iter()
            .map(|f| f.payload_type)
            .collect();
        assert_eq!(pts, [0, 8, 9, 111]);
    }
}
