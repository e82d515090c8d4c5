//! Media anchoring at signaling time: every SDP that crosses the SBC points the media
//! plane at the sender's addresses (and, for SRTP, the keys of that leg), and the copy
//! sent on the other leg names the SBC's endpoints and carries the SBC's own crypto
//! lines instead (`srtp`). Streams are allocated per m= line on first sight (both legs
//! at once, connected to each other) and released with the call.

use std::net::IpAddr;

use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{LocalEndpoint, MediaControl, MediaError, RemoteMedia};
use smallvec::SmallVec;

use super::call::{Call, Leg, MediaPair};
use super::srtp::{self, KeyRng, Negotiated, SdpRole, SrtpRefusal};
use crate::sdp::{rewrite, RewritePlan, Sdp, SdpError, SecurityRewrite};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnchorError {
    #[error("malformed SDP: {0}")]
    Sdp(#[from] SdpError),
    #[error("no media ports left")]
    Ports,
    #[error("SRTP: {0}")]
    Srtp(#[from] SrtpRefusal),
}

impl AnchorError {
    /// The response a request carrying this SDP gets.
    pub fn status(&self) -> (u16, &'static str) {
        match self {
            AnchorError::Sdp(_) => (488, "Not Acceptable Here (malformed SDP)"),
            AnchorError::Ports => (503, "Service Unavailable (no media ports)"),
            AnchorError::Srtp(SrtpRefusal::KeyGeneration(_) | SrtpRefusal::Internal) => {
                (500, "Server Internal Error (SRTP keys)")
            }
            AnchorError::Srtp(_) => (488, "Not Acceptable Here (SRTP policy)"),
        }
    }

    /// What the caller gets when the callee's final answer carries this SDP: the
    /// callee's SRTP answer does not fit the SBC's offer (488, as the offer failed), or
    /// its SDP is unusable otherwise (502).
    pub fn answer_status(&self) -> (u16, &'static str) {
        match self {
            AnchorError::Srtp(SrtpRefusal::KeyGeneration(_) | SrtpRefusal::Internal) => {
                (500, "Server Internal Error (SRTP keys)")
            }
            AnchorError::Srtp(_) => (488, "Not Acceptable Here (unusable SRTP answer)"),
            _ => (502, "Bad Gateway (unusable SDP from callee)"),
        }
    }
}

/// What anchoring needs from the engine besides the call: the media port, the address
/// for SDP, and the generator of the SBC's SRTP keys.
pub struct Env<'e> {
    pub media: &'e dyn MediaControl,
    pub media_ip: IpAddr,
    pub rng: &'e mut dyn KeyRng,
}

/// One SDP to anchor: who sent it and whether it is an offer or an answer.
#[derive(Debug, Clone, Copy)]
pub struct Received<'b> {
    pub from: LegSide,
    pub role: SdpRole,
    pub body: &'b [u8],
}

fn allocate_pair(media: &dyn MediaControl, call: CallRef) -> Result<MediaPair, AnchorError> {
    // Every media failure refuses the call the same way (503); say why in the log.
    let map = |e: MediaError| {
        if e != MediaError::PortsExhausted {
            tracing::warn!(%call, error = %e, "media allocation failed");
        }
        AnchorError::Ports
    };
    let a = media.allocate(call, LegSide::A).map_err(map)?;
    let b = media.allocate(call, LegSide::B).map_err(map)?;
    media.connect(a.0, b.0).map_err(map)?;
    Ok(MediaPair { a, b })
}

/// Where the sender of an SDP wants media, per stream: what `set_remote` is told once
/// the SDP is part of the session.
pub type RemoteUpdates = SmallVec<[(StreamId, RemoteMedia); 2]>;

/// Points the media plane at the peers' addresses.
pub fn apply(media: &dyn MediaControl, call: CallRef, updates: &RemoteUpdates) {
    for (stream, remote) in updates {
        if let Err(e) = media.set_remote(*stream, remote.clone()) {
            tracing::warn!(%call, error = %e, "media plane refused remote update");
        }
    }
}

/// Anchors the SDP `sdp.from` sent and applies it to the media plane at once (initial
/// offers and every answer). Writes the SDP for the other leg into `out`.
pub fn anchor(
    env: &mut Env<'_>,
    call: &mut Call,
    sdp: Received<'_>,
    out: &mut Vec<u8>,
) -> Result<(), AnchorError> {
    let updates = prepare(env, call, sdp, out)?;
    apply(env.media, call.id, &updates);
    Ok(())
}

/// Allocates streams for new m= lines, negotiates SRTP and writes the SDP for the other
/// leg, but leaves the media plane's view of the sender unchanged: for a re-offer,
/// which RFC 3264 §8 lets become the session only with its answer (and RFC 3261 §14.1
/// says a rejected one changes nothing). The caller applies the returned updates on a
/// 2xx. An SDP refused on SRTP grounds changes no SRTP state.
pub fn prepare(
    env: &mut Env<'_>,
    call: &mut Call,
    received: Received<'_>,
    out: &mut Vec<u8>,
) -> Result<RemoteUpdates, AnchorError> {
    let from = received.from;
    let sdp = Sdp::parse(received.body)?;
    let mut srtp_state = call.srtp.clone();
    let Negotiated { sections, keyings } = srtp::negotiate(
        &mut srtp_state,
        &sdp,
        from,
        received.role,
        &call.srtp_policies,
        &mut *env.rng,
    )?;
    let mut updates = RemoteUpdates::new();
    let mut endpoints: SmallVec<[Option<LocalEndpoint>; 4]> = SmallVec::new();
    for (i, (md, keying)) in sdp.media().iter().zip(keyings).enumerate() {
        if md.port == 0 {
            endpoints.push(None);
            continue;
        }
        if call.media.len() <= i {
            call.media.resize(i + 1, None);
        }
        let pair = match call.media.get(i).copied().flatten() {
            Some(p) => p,
            None => {
                let p = allocate_pair(env.media, call.id)?;
                if let Some(slot) = call.media.get_mut(i) {
                    *slot = Some(p);
                }
                p
            }
        };
        let remote = md.remote_media();
        let remote = match keying {
            Some(k) => remote.with_srtp(k),
            None => remote,
        };
        updates.push((pair.facing(from).0, remote));
        endpoints.push(Some(pair.facing(from.other()).1));
    }
    let security: SmallVec<[Option<SecurityRewrite<'_>>; 4]> = sections
        .iter()
        .map(|s| {
            Some(SecurityRewrite {
                proto: s.proto,
                crypto: &s.crypto,
            })
        })
        .collect();
    let leg = call.leg_mut(from.other());
    write_versioned(&sdp, leg, env.media_ip, &endpoints, &security, out)?;
    call.srtp = srtp_state;
    call.leg_mut(from).remote_origin = Some(origin_key(&sdp));
    Ok(updates)
}

/// What identifies a session description's version: `o=` session id and version.
pub fn origin_key(sdp: &Sdp<'_>) -> String {
    let o = sdp.origin();
    format!("{} {}", o.session_id, o.session_version)
}

/// An answer refusing every stream of `offer` (all m= ports 0, RFC 3264 §6): what the
/// SBC must put in an ACK when it gives up on a 2xx that carried an offer (§13.2.2.4:
/// every 2xx is ACKed, and that ACK must hold the answer).
pub fn rejecting_answer(offer: &[u8], media_ip: IpAddr) -> Result<Vec<u8>, AnchorError> {
    let sdp = Sdp::parse(offer)?;
    let endpoints: SmallVec<[Option<LocalEndpoint>; 4]> =
        sdp.media().iter().map(|_| None).collect();
    // The offerer's own keys are not echoed back: every crypto line is removed.
    let strip = SecurityRewrite {
        proto: None,
        crypto: &[],
    };
    let security: SmallVec<[Option<SecurityRewrite<'_>>; 4]> =
        sdp.media().iter().map(|_| Some(strip)).collect();
    let plan = RewritePlan {
        address: media_ip,
        origin_user: "sbc",
        session_id: 1,
        session_version: 1,
        endpoints: &endpoints,
        security: &security,
    };
    let mut out = Vec::with_capacity(offer.len());
    rewrite(&sdp, &plan, &mut out)?;
    let text = String::from_utf8_lossy(&out);
    let mut answer = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        match line.strip_prefix("m=") {
            Some(rest) => {
                let mut fields = rest.splitn(3, ' ');
                let (kind, _port, tail) = (
                    fields.next().unwrap_or(""),
                    fields.next(),
                    fields.next().unwrap_or("\r\n"),
                );
                answer.push_str(&format!("m={kind} 0 {tail}"));
            }
            None => answer.push_str(line),
        }
    }
    Ok(answer.into_bytes())
}

/// Rewrites for `leg`, bumping the o= version only when the content changed (RFC 3264
/// §8: the same SDP re-sent, e.g. in 183 and again in 200, keeps its version).
fn write_versioned(
    sdp: &Sdp<'_>,
    leg: &mut Leg,
    media_ip: IpAddr,
    endpoints: &[Option<LocalEndpoint>],
    security: &[Option<SecurityRewrite<'_>>],
    out: &mut Vec<u8>,
) -> Result<(), AnchorError> {
    let mut plan = RewritePlan {
        address: media_ip,
        origin_user: "sbc",
        session_id: leg.sdp_session_id,
        session_version: leg.sdp_version,
        endpoints,
        security,
    };
    rewrite(sdp, &plan, out)?;
    if !leg.last_sdp.is_empty() && *out != leg.last_sdp {
        leg.sdp_version += 1;
        plan.session_version = leg.sdp_version;
        rewrite(sdp, &plan, out)?;
    }
    leg.last_sdp.clone_from(out);
    Ok(())
}
