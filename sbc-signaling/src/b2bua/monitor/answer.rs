//! The SBC's SDP answer to a supervisor's offer: one audio stream from the mixer, in
//! the first format of the offer the mixer can encode (the supervisor's preference),
//! with RFC 4733 telephone-event when offered (the supervisor switches modes with
//! digits). Every other m= line is refused (port 0), as RFC 3264 §6 requires the
//! answer to keep the offer's lines.
//!
//! The answered line is the first audio line acceptable under the SRTP policy
//! (`srtp`): RTP/AVP(F), or RTP/SAVP(F) with a usable `a=crypto` line, which the
//! answer accepts with one line of its own.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use sbc_core::config::SrtpPolicy;
use sbc_core::media::{AudioFormat, RemoteMedia};
use smallvec::SmallVec;

use super::srtp::Policy;
use crate::sdp::crypto::choose;
use crate::sdp::{crypto_lines, CryptoAttr, MediaDescription, Sdp};

/// Why a supervisor's offer cannot be answered (488, `reason`). When several audio
/// lines are refused, the first one's problem is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(super) enum OfferProblem {
    #[error("no SDP offer (monitoring needs one in the INVITE)")]
    Missing,
    #[error("malformed SDP")]
    Malformed,
    #[error("no RTP audio stream")]
    NoAudio,
    #[error("no codec the mixer has (PCMU, PCMA, G722, opus)")]
    NoCodec,
    #[error("SRTP offered but SRTP is off for supervisors")]
    SrtpOff,
    #[error("plain RTP offered but SRTP is required for supervisors")]
    SrtpRequired,
    #[error("no usable a=crypto line (suite, key or parameters)")]
    NoUsableCrypto,
}

impl OfferProblem {
    /// The reason phrase of the 488.
    pub(super) fn reason(self) -> &'static str {
        match self {
            OfferProblem::Missing => {
                "Not Acceptable Here (no SDP offer: monitoring needs one in the INVITE)"
            }
            OfferProblem::Malformed => "Not Acceptable Here (malformed SDP)",
            OfferProblem::NoAudio => "Not Acceptable Here (monitoring needs an RTP audio stream)",
            OfferProblem::NoCodec => {
                "Not Acceptable Here (no codec the mixer has: PCMU, PCMA, G722, opus)"
            }
            OfferProblem::SrtpOff => "Not Acceptable Here (SRTP is off for supervisors)",
            OfferProblem::SrtpRequired => {
                "Not Acceptable Here (SRTP is required for supervisors: RTP/SAVP with a=crypto)"
            }
            OfferProblem::NoUsableCrypto => {
                "Not Acceptable Here (no usable a=crypto line: suite, key or parameters)"
            }
        }
    }

    /// Whether the offer was refused on SRTP grounds.
    pub(super) fn is_srtp(self) -> bool {
        matches!(
            self,
            OfferProblem::SrtpOff | OfferProblem::SrtpRequired | OfferProblem::NoUsableCrypto
        )
    }
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
    /// Where the supervisor receives media, in the form the media plane takes (plain:
    /// the caller adds the SRTP keying).
    pub remote: RemoteMedia,
    /// The supervisor's accepted `a=crypto` line (RTP/SAVP(F)), `None` for plain RTP.
    pub crypto: Option<CryptoAttr>,
}

/// How one audio line fares under the policy.
enum Verdict {
    /// Not an RTP profile (e.g. `UDP/TLS/RTP/SAVPF`, `udptl`): not a candidate.
    NotRtp,
    Refused(OfferProblem),
    /// Acceptable, with the crypto line accepted for SRTP.
    Acceptable(Option<CryptoAttr>),
}

fn judge(md: &MediaDescription<'_>, policy: &Policy) -> Verdict {
    let is = |p: &str| md.proto.eq_ignore_ascii_case(p);
    let secure = if is("RTP/AVP") || is("RTP/AVPF") {
        false
    } else if is("RTP/SAVP") || is("RTP/SAVPF") {
        true
    } else {
        return Verdict::NotRtp;
    };
    match (secure, policy.mode) {
        (true, SrtpPolicy::Off) => Verdict::Refused(OfferProblem::SrtpOff),
        (true, _) => {
            // Malformed lines are skipped like unusable ones (RFC 4568 §7.1.2).
            let lines: SmallVec<[CryptoAttr; 4]> =
                crypto_lines(md).filter_map(Result::ok).collect();
            match choose(&lines, &policy.suites) {
                Some(line) => Verdict::Acceptable(Some(line.clone())),
                None => Verdict::Refused(OfferProblem::NoUsableCrypto),
            }
        }
        (false, SrtpPolicy::Mandatory) => Verdict::Refused(OfferProblem::SrtpRequired),
        (false, _) => Verdict::Acceptable(None),
    }
}

/// Picks the stream, codec and (SRTP) crypto line to answer: the first audio line
/// acceptable under `policy`.
pub(super) fn accept(offer: &[u8], policy: &Policy) -> Result<Accepted, OfferProblem> {
    if offer.is_empty() {
        return Err(OfferProblem::Missing);
    }
    let sdp = Sdp::parse(offer).map_err(|_| OfferProblem::Malformed)?;
    let mut refusal = None;
    let mut chosen = None;
    for (line, md) in sdp.media().iter().enumerate() {
        if !md.kind.eq_ignore_ascii_case("audio") || md.port == 0 {
            continue;
        }
        match judge(md, policy) {
            Verdict::NotRtp => {}
            Verdict::Refused(p) => {
                refusal.get_or_insert(p);
            }
            Verdict::Acceptable(crypto) => {
                chosen = Some((line, md, crypto));
                break;
            }
        }
    }
    let (line, md, crypto) = chosen.ok_or(refusal.unwrap_or(OfferProblem::NoAudio))?;
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
        crypto,
    })
}

/// Writes the answer: `local` is the supervisor stream's endpoint on the SBC,
/// `crypto` the value of the answer's one `a=crypto` line (SRTP), with its key.
pub(super) fn write(
    accepted: &Accepted,
    local: SocketAddr,
    media_ip: IpAddr,
    session: (u64, u64),
    crypto: Option<&str>,
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
        if let Some(value) = crypto {
            let _ = write!(s, "a=crypto:{value}\r\n");
        }
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
    use smallvec::smallvec;

    use crate::sdp::Suite;

    const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\n\
        t=0 0\r\nm=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
        m=audio 4000 RTP/AVP 18 9 0 101\r\na=rtpmap:101 telephone-event/8000\r\n\
        a=rtcp-mux\r\n";
    const AES80: &str = "AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
    const GCM: &str = "AEAD_AES_128_GCM inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3OA==";

    fn policy(mode: SrtpPolicy) -> Policy {
        Policy {
            mode,
            suites: smallvec![Suite::AeadAes128Gcm, Suite::AesCm128HmacSha1_80],
        }
    }

    fn optional() -> Policy {
        policy(SrtpPolicy::Optional)
    }

    fn savp(crypto: &str) -> String {
        OFFER
            .replace("RTP/AVP 18", "RTP/SAVP 18")
            .replace("a=rtcp-mux\r\n", &format!("a=rtcp-mux\r\n{crypto}"))
    }

    #[test]
    fn answers_the_preferred_mixable_codec_and_refuses_other_lines() {
        let acc = accept(OFFER.as_bytes(), &optional()).unwrap();
        assert_eq!(acc.format.encoding, AudioEncoding::G722);
        assert_eq!(acc.remote.telephone_event, Some(101));
        assert_eq!(acc.remote.rtp, Some("192.0.2.5:4000".parse().unwrap()));
        assert!(acc.crypto.is_none());
        let local = "10.0.0.2:30000".parse().unwrap();
        let ans = write(&acc, local, local.ip(), (7, 1), None);
        let text = String::from_utf8(ans).unwrap();
        assert!(text.contains("m=video 0 RTP/AVP 96\r\n"), "{text}");
        assert!(text.contains("m=audio 30000 RTP/AVP 9 101\r\n"), "{text}");
        assert!(text.contains("a=rtpmap:9 G722/8000\r\n"), "{text}");
        assert!(text.contains("a=fmtp:101 0-16\r\n"), "{text}");
        assert!(text.contains("a=rtcp-mux\r\n"), "{text}");
        assert!(!text.contains("192.0.2.5"), "{text}");
        assert!(!text.contains("a=crypto"), "{text}");
        assert!(Sdp::parse(text.as_bytes()).is_ok());
    }

    #[test]
    fn srtp_accepts_the_first_usable_line_in_policy_order() {
        // GCM is preferred by the policy although offered second; the F8 line and the
        // malformed one are skipped.
        let offer = savp(&format!(
            "a=crypto:1 F8_128_HMAC_SHA1_80 inline:x\r\na=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:!!\r\n\
             a=crypto:3 {AES80}\r\na=crypto:4 {GCM}\r\n"
        ));
        let acc = accept(offer.as_bytes(), &optional()).unwrap();
        let crypto = acc.crypto.as_ref().unwrap();
        assert_eq!((crypto.tag, &crypto.suite), (4, &Suite::AeadAes128Gcm));
        let local = "10.0.0.2:30000".parse().unwrap();
        let text = String::from_utf8(write(
            &acc,
            local,
            local.ip(),
            (7, 1),
            Some("4 AEAD_AES_128_GCM inline:c2Jj"),
        ))
        .unwrap();
        assert!(text.contains("m=audio 30000 RTP/SAVP 9 101\r\n"), "{text}");
        assert_eq!(text.matches("a=crypto:").count(), 1, "{text}");
        assert!(text.contains("a=crypto:4 AEAD_AES_128_GCM inline:c2Jj\r\n"));
        // AES-CM only in the policy: tag 3.
        let aes = Policy {
            mode: SrtpPolicy::Mandatory,
            suites: smallvec![Suite::AesCm128HmacSha1_80],
        };
        let acc = accept(offer.as_bytes(), &aes).unwrap();
        assert_eq!(acc.crypto.map(|c| c.tag), Some(3));
    }

    #[test]
    fn the_first_line_acceptable_under_the_policy_is_answered() {
        let two = format!(
            "{}m=audio 6000 RTP/SAVPF 0\r\na=crypto:1 {AES80}\r\n",
            OFFER
        );
        // Optional: the plain line comes first.
        let acc = accept(two.as_bytes(), &optional()).unwrap();
        assert_eq!((acc.line, acc.crypto.is_none()), (1, true));
        // Mandatory: the plain line is skipped for the SRTP one.
        let acc = accept(two.as_bytes(), &policy(SrtpPolicy::Mandatory)).unwrap();
        assert_eq!((acc.line, acc.crypto.map(|c| c.tag)), (2, Some(1)));
        let local = "10.0.0.2:30000".parse().unwrap();
        let acc = accept(two.as_bytes(), &policy(SrtpPolicy::Mandatory)).unwrap();
        let text = String::from_utf8(write(&acc, local, local.ip(), (1, 1), Some("1 x"))).unwrap();
        assert!(text.contains("m=audio 0 RTP/AVP 18 9 0 101\r\nm=audio 30000 RTP/SAVPF 0\r\n"));
        // Off: a SAVP line before a plain one is skipped.
        let rev = format!(
            "{}m=audio 6000 RTP/AVP 0\r\n",
            savp(&format!("a=crypto:1 {AES80}\r\n"))
        );
        let acc = accept(rev.as_bytes(), &policy(SrtpPolicy::Off)).unwrap();
        assert_eq!((acc.line, acc.crypto.is_none()), (2, true));
    }

    #[test]
    fn refusals() {
        let e = |text: &str, p: &Policy| accept(text.as_bytes(), p).unwrap_err();
        assert_eq!(e("", &optional()), OfferProblem::Missing);
        assert_eq!(e("garbage", &optional()), OfferProblem::Malformed);
        let g729 = OFFER.replace("18 9 0 101", "18 101");
        assert_eq!(e(&g729, &optional()), OfferProblem::NoCodec);
        let dtls = OFFER.replace("RTP/AVP 18", "UDP/TLS/RTP/SAVPF 18");
        assert_eq!(e(&dtls, &optional()), OfferProblem::NoAudio);
        let keyed = savp(&format!("a=crypto:1 {AES80}\r\n"));
        assert_eq!(e(&keyed, &policy(SrtpPolicy::Off)), OfferProblem::SrtpOff);
        assert_eq!(
            e(OFFER, &policy(SrtpPolicy::Mandatory)),
            OfferProblem::SrtpRequired
        );
        assert_eq!(e(&savp(""), &optional()), OfferProblem::NoUsableCrypto);
        let f8 = savp("a=crypto:1 F8_128_HMAC_SHA1_80 inline:x\r\n");
        assert_eq!(e(&f8, &optional()), OfferProblem::NoUsableCrypto);
        let unencrypted = savp(&format!("a=crypto:1 {AES80} UNENCRYPTED_SRTP\r\n"));
        assert_eq!(e(&unencrypted, &optional()), OfferProblem::NoUsableCrypto);
        assert!(OfferProblem::SrtpOff
            .reason()
            .contains("SRTP is off for supervisors"));
        assert!(OfferProblem::SrtpRequired
            .reason()
            .contains("SRTP is required"));
        assert!(OfferProblem::NoUsableCrypto.is_srtp() && !OfferProblem::NoCodec.is_srtp());
    }
}
