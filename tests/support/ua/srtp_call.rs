//! One test call through the SBC with its media by libsrtp: the two-trunk
//! daemon config for a call shape (each leg plain or SRTP with one suite),
//! placing the call with the test UA, running `srtp_peer.py` over both
//! legs with the keys each side negotiated, and hanging up. Assertions are
//! the test's; this returns everything the call produced ([`Outcome`]).
//!
//! Topology, all on loopback: the caller (SIP and media) on 127.0.0.2, the
//! callee on 127.0.0.1, the SBC on 127.0.0.1. The SBC tells trunks apart by
//! source address, so trunk "a" accepts 127.0.0.2 only and the route from
//! "a" targets trunk "b" (the callee).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use super::super::ports::media_range;
use super::super::SbcProcess;
use super::libsrtp_peer::{DirectionStats, KeyPlan, MediaPlan, MediaSummary, SidePlan, SrtpPeer};
use super::{keys, Answered, Callee, Caller, CryptoLine, LocalMedia, PeerMedia, Suite, UaError};

pub const CALLER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
pub const CALLEE_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
/// RTP packets each way (200 x 5 ms = 1 s of media).
pub const PACKETS: u32 = 200;
/// RTCP packets each way.
pub const RTCP_PACKETS: u32 = 5;
const INTERVAL_MS: u32 = 5;
/// Bound of each signaling step.
pub const SIP_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound of the media exchange (1 s of packets plus the straggler wait).
const MEDIA_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the callee thread lives at most.
const CALLEE_LIFETIME: Duration = Duration::from_secs(40);

/// How one leg carries media, and the policy of its trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    /// RTP/AVP; trunk `srtp = "off"`.
    Plain,
    /// RTP/SAVP; trunk `srtp = "mandatory"` with this suite only.
    Srtp(Suite),
}

impl Leg {
    fn trunk_keys(self) -> String {
        match self {
            Leg::Plain => "srtp = \"off\"\n".to_owned(),
            Leg::Srtp(suite) => {
                format!(
                    "srtp = \"mandatory\"\nsrtp_suites = [\"{}\"]\n",
                    suite.name()
                )
            }
        }
    }
}

/// One call's shape: the caller's leg (A) and the callee's leg (B).
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub caller: Leg,
    pub callee: Leg,
    /// Whether to write the trunks' srtp keys (false: the daemon's defaults).
    pub srtp_config: bool,
}

/// Everything one call produced, for assertions and failure messages.
#[derive(Debug)]
pub struct Outcome {
    /// Our offer to the SBC on leg A.
    pub caller_offer: LocalMedia,
    /// The SBC's answer on leg A.
    pub sbc_answer: PeerMedia,
    /// The SBC's offer on leg B, and our answer.
    pub leg_b: Answered,
    pub media: MediaSummary,
}

/// The UAs and media peer of one call, bound before the daemon starts
/// (the daemon's config names their addresses).
pub struct Parties {
    pub caller: Caller,
    pub callee: Callee,
    peer: SrtpPeer,
}

impl Parties {
    /// Starts the media peer and binds both UAs; the callee answers with
    /// the peer's callee ports and, on an SRTP leg, a fresh key.
    pub fn start(case: &Case) -> Result<Parties, UaError> {
        let peer = SrtpPeer::spawn(CALLER_IP, CALLEE_IP)?;
        let (ports, leg) = (peer.callee, case.callee);
        let answer = Box::new(move |offer: &PeerMedia| {
            Ok(LocalMedia {
                ip: CALLEE_IP,
                rtp_port: ports.rtp,
                rtcp_port: ports.rtcp,
                crypto: answer_crypto(offer, leg)?,
            })
        });
        Ok(Parties {
            callee: Callee::spawn(CALLEE_IP, CALLEE_LIFETIME, answer)?,
            caller: Caller::bind(CALLER_IP)?,
            peer,
        })
    }

    /// The daemon's config for this call (see [`config`]).
    pub fn config(&self, dir: &Path, case: &Case) -> String {
        config(dir, case, self.caller.addr(), self.callee.addr())
    }

    /// Places the call, runs the media both ways, hangs up.
    pub fn call(self, case: &Case, sbc: &SbcProcess) -> Result<Outcome, UaError> {
        let Parties {
            caller,
            callee,
            peer,
        } = self;
        let caller_offer = LocalMedia {
            ip: CALLER_IP,
            rtp_port: peer.caller.rtp,
            rtcp_port: peer.caller.rtcp,
            crypto: match case.caller {
                Leg::Plain => Vec::new(),
                Leg::Srtp(suite) => vec![CryptoLine::generate(1, suite)],
            },
        };
        let sdp = caller_offer.to_sdp(keys::random_u64() >> 1, 1);
        let established = caller.invite(sbc.sip_udp(), "bob", &sdp, SIP_TIMEOUT)?;
        let leg_b = callee.wait_answered(SIP_TIMEOUT)?;
        let sbc_answer = established.answer.clone();
        let plan = MediaPlan {
            packets: PACKETS,
            rtcp: RTCP_PACKETS,
            interval_ms: INTERVAL_MS,
            caller: side_plan(&caller_offer, &sbc_answer)?,
            callee: side_plan(&leg_b.answer, &leg_b.offer)?,
        };
        let media = peer.run(&plan, MEDIA_TIMEOUT)?;
        established.hangup(SIP_TIMEOUT)?;
        callee.join(SIP_TIMEOUT)?;
        Ok(Outcome {
            caller_offer,
            sbc_answer,
            leg_b,
            media,
        })
    }
}

/// The callee's crypto for its answer: for an SRTP leg, a fresh key with
/// the tag and suite of the SBC's line of our suite (RFC 4568 §7.1.2).
fn answer_crypto(offer: &PeerMedia, leg: Leg) -> Result<Vec<CryptoLine>, UaError> {
    let Leg::Srtp(suite) = leg else {
        return Ok(Vec::new());
    };
    let line = offer
        .crypto
        .iter()
        .find(|c| c.known_suite() == Some(suite))
        .ok_or_else(|| {
            UaError::Protocol(format!(
                "the SBC's offer to the SRTP callee has no {suite} line:\n{}",
                offer.raw
            ))
        })?;
    Ok(vec![CryptoLine::generate(line.tag, suite)])
}

/// One end's media plan: send to the SBC's address in `remote`, protect
/// with our key (from `local`), unprotect with the SBC's (from `remote`).
fn side_plan(local: &LocalMedia, remote: &PeerMedia) -> Result<SidePlan, UaError> {
    let rx = match (local.crypto.first(), remote.crypto.first()) {
        (Some(_), Some(theirs)) => Some(KeyPlan::from_line(theirs)?),
        _ => None,
    };
    Ok(SidePlan {
        remote_rtp: remote.rtp(),
        remote_rtcp: remote.rtcp(),
        tx: local.crypto.first().map(KeyPlan::from_line).transpose()?,
        rx,
    })
}

/// The daemon's config: UDP SIP on loopback, trunk "a" (the caller, by its
/// source address) routed to trunk "b" (the callee), each with the SRTP
/// policy of its leg when `case.srtp_config`.
pub fn config(dir: &Path, case: &Case, caller: SocketAddr, callee: SocketAddr) -> String {
    let media = media_range();
    let keys = |leg: Leg| match case.srtp_config {
        true => leg.trunk_keys(),
        false => String::new(),
    };
    // A JSON string literal is a valid TOML basic string.
    let cdr = serde_json::to_string(&dir.join("cdr.jsonl").to_string_lossy()).unwrap_or_default();
    format!(
        "[sip]\nt1_ms = 500\n\n\
         [[sip.listen]]\ntransport = \"udp\"\naddress = \"127.0.0.1:0\"\n\n\
         [media]\nbind = \"127.0.0.1\"\nport_min = {min}\nport_max = {max}\n\n\
         [[trunk]]\nname = \"a\"\naddress = \"{caller}\"\ntransport = \"udp\"\n\
         accept_from = [\"{caller_ip}/32\"]\n{a_keys}\n\
         [[trunk]]\nname = \"b\"\naddress = \"{callee}\"\ntransport = \"udp\"\n\
         accept_from = [\"{callee_ip}/32\"]\n{b_keys}\n\
         [[route]]\nname = \"a-to-b\"\ningress_trunk = \"a\"\ntarget = \"b\"\n\n\
         [metrics]\nlisten = \"127.0.0.1:0\"\n\n\
         [cdr]\npath = {cdr}\n",
        min = media.min,
        max = media.max,
        caller_ip = caller.ip(),
        callee_ip = callee.ip(),
        a_keys = keys(case.caller),
        b_keys = keys(case.callee),
    )
}

impl Outcome {
    /// The SDPs of both legs and the media counters (keys included: they
    /// are throwaway test keys, and a failure needs them).
    pub fn describe(&self) -> String {
        format!(
            "--- caller's offer (leg A) ---\n{}--- SBC's answer (leg A) ---\n{}\
             --- SBC's offer (leg B) ---\n{}--- callee's answer (leg B) ---\n{}\
             --- media ---\n{}\n{:#?}",
            self.caller_offer.to_sdp(0, 1),
            self.sbc_answer.raw,
            self.leg_b.offer.raw,
            self.leg_b.answer.to_sdp(0, 1),
            media_line(&self.media),
            self.media
        )
    }
}

/// One line per call: received/sent and failures, both directions.
pub fn media_line(m: &MediaSummary) -> String {
    let one = |d: &DirectionStats| {
        format!(
            "{}/{} rtp, {}/{} rtcp, {} dup, {} auth fail, {} mismatch",
            d.received,
            d.sent,
            d.rtcp_received,
            d.rtcp_sent,
            d.duplicates,
            d.auth_failures,
            d.mismatches
        )
    };
    format!(
        "caller -> callee: {}; callee -> caller: {}",
        one(&m.caller_to_callee),
        one(&m.callee_to_caller)
    )
}
