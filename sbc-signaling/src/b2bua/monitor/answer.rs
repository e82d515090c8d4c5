//! The SBC's SDP answer to a supervisor's offer: one audio stream from the mixer, in
//! the first format of the offer the mixer can encode (the supervisor's preference),
//! with RFC 4733 telephone-event when offered (the supervisor switches modes with
//! digits). Every other m= line is refused (port 0), as RFC 3264 §6 requires the
//! answer to keep the offer's lines.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use sbc_core::media::{AudioFormat, RemoteMedia};

use crate::sdp::Sdp;

/// Why a supervisor's offer cannot be answered (488 with this text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(super) enum OfferProblem {
    #[error("no SDP offer (monitoring needs one in the INVITE)")]
    Missing,
    #[error("malformed SDP")]
    Malformed,
    #[error("no plain RTP audio stream")]
    NoAudio,
    #[error("no codec the mixer has (PCMU, PCMA, G722, opus)")]
    NoCodec,
}

/// What was accepted from the offer.
#[derive(Debug, Clone)]
pub(super) struct Accepted {
    /// Index of the audio m= line answered.
    line: usize,
    pub format: AudioFormat,
    /// telephone-event payload type and clock rate, if offered.
    event: Option<(u8, u32)>,
    rtcp_mux: bool,
    ptime: u16,
    /// Every m= line of the offer (kind, proto, formats), refused in the answer but
    /// `line`.
    offered: Vec<(String, String, String)>,
    /// Where the supervisor receives media, in the form the media plane takes.
    pub remote: RemoteMedia,
}

/// Picks the stream and codec to answer.
pub(super) fn accept(offer: &[u8]) -> Result<Accepted, OfferProblem> {
    if offer.is_empty() {
        return Err(OfferProblem::Missing);
    }
    let sdp = Sdp::parse(offer).map_err(|_| OfferProblem::Malformed)?;
    let (line, md) = sdp
        .media()
        .iter()
        .enumerate()
        .find(|(_, m)| {
            m.kind.eq_ignore_ascii_case("audio")
                && m.port != 0
                && (m.proto.eq_ignore_ascii_case("RTP/AVP")
                    || m.proto.eq_ignore_ascii_case("RTP/AVPF"))
        })
        .ok_or(OfferProblem::NoAudio)?;
    let format = *md.audio_formats().first().ok_or(OfferProblem::NoCodec)?;
    let event = md
        .telephone_event()
        .and_then(|pt| Some((pt, md.clock_rate(pt)?)));
    let remote = md
        .remote_media()
        .with_audio(vec![format])
        .with_payloads(Some(format.encoding.rtp_clock_rate()), event.map(|e| e.0));
    let offered = sdp
        .media()
        .iter()
        .map(|m| (m.kind.to_owned(), m.proto.to_owned(), m.formats.to_owned()))
        .collect();
    Ok(Accepted {
        line,
        offered,
        format,
        event,
        rtcp_mux: md.rtcp_mux(),
        ptime: format.ptime_ms.unwrap_or(20),
        remote,
    })
}

/// Writes the answer: `local` is the supervisor stream's endpoint on the SBC.
pub(super) fn write(
    accepted: &Accepted,
    local: SocketAddr,
    media_ip: IpAddr,
    session: (u64, u64),
) -> Vec<u8> {
    let family = if media_ip.is_ipv6() { "IP6" } else { "IP4" };
    let mut s = String::with_capacity(320);
    let _ = write!(
        s,
        "v=0\r\no=sbc {} {} IN {family} {media_ip}\r\ns=sbc\r\nc=IN {family} {media_ip}\r\nt=0 0\r\n",
        session.0, session.1
    );
    for (i, (kind, proto, formats)) in accepted.offered.iter().enumerate() {
        if i != accepted.line {
            let _ = write!(s, "m={kind} 0 {proto} {}\r\n", formats.trim());
            continue;
        }
        let f = accepted.format;
        let _ = write!(s, "m=audio {} {proto} {}", local.port(), f.payload_type);
        if let Some((pt, _)) = accepted.event {
            let _ = write!(s, " {pt}");
        }
        let _ = write!(s, "\r\na=rtpmap:{}\r\n", f.encoding.rtpmap(f.payload_type));
        if let Some((pt, rate)) = accepted.event {
            let _ = write!(
                s,
                "a=rtpmap:{pt} telephone-event/{rate}\r\na=fmtp:{pt} 0-16\r\n"
            );
        }
        let _ = write!(s, "a=ptime:{}\r\n", accepted.ptime);
        if accepted.rtcp_mux {
            s.push_str("a=rtcp-mux\r\n");
        }
        s.push_str("a=sendrecv\r\n");
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbc_core::media::AudioEncoding;

    const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\n\
        t=0 0\r\nm=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
        m=audio 4000 RTP/AVP 18 9 0 101\r\na=rtpmap:101 telephone-event/8000\r\n\
        a=rtcp-mux\r\n";

    #[test]
    fn answers_the_preferred_mixable_codec_and_refuses_other_lines() {
        let acc = accept(OFFER.as_bytes()).unwrap();
        assert_eq!(acc.format.encoding, AudioEncoding::G722);
        assert_eq!(acc.remote.telephone_event, Some(101));
        assert_eq!(acc.remote.rtp, Some("192.0.2.5:4000".parse().unwrap()));
        let local = "10.0.0.2:30000".parse().unwrap();
        let ans = write(&acc, local, local.ip(), (7, 1));
        let text = String::from_utf8(ans).unwrap();
        assert!(text.contains("m=video 0 RTP/AVP 96\r\n"), "{text}");
        assert!(text.contains("m=audio 30000 RTP/AVP 9 101\r\n"), "{text}");
        assert!(text.contains("a=rtpmap:9 G722/8000\r\n"), "{text}");
        assert!(text.contains("a=fmtp:101 0-16\r\n"), "{text}");
        assert!(text.contains("a=rtcp-mux\r\n"), "{text}");
        assert!(!text.contains("192.0.2.5"), "{text}");
        assert!(Sdp::parse(text.as_bytes()).is_ok());
    }

    #[test]
    fn refusals() {
        assert_eq!(accept(b"").unwrap_err(), OfferProblem::Missing);
        assert_eq!(accept(b"garbage").unwrap_err(), OfferProblem::Malformed);
        let savp = OFFER.replace("RTP/AVP 18", "RTP/SAVP 18");
        assert_eq!(accept(savp.as_bytes()).unwrap_err(), OfferProblem::NoAudio);
        let g729 = OFFER.replace("18 9 0 101", "18 101");
        assert_eq!(accept(g729.as_bytes()).unwrap_err(), OfferProblem::NoCodec);
    }
}
