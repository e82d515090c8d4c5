//! Media anchoring at signaling time: every SDP that crosses the SBC points the media
//! plane at the sender's addresses, and the copy sent on the other leg names the SBC's
//! endpoints instead. Streams are allocated per m= line on first sight (both legs at
//! once, connected to each other) and released with the call.

use std::net::IpAddr;

use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{LocalEndpoint, MediaControl, MediaError, RemoteMedia};
use smallvec::SmallVec;

use super::call::{Call, Leg, MediaPair};
use crate::sdp::{rewrite, RewritePlan, Sdp, SdpError};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnchorError {
    #[error("malformed SDP: {0}")]
    Sdp(#[from] SdpError),
    #[error("no media ports left")]
    Ports,
}

impl AnchorError {
    /// The response a request carrying this SDP gets.
    pub fn status(&self) -> (u16, &'static str) {
        match self {
            AnchorError::Sdp(_) => (488, "Not Acceptable Here (malformed SDP)"),
            AnchorError::Ports => (503, "Service Unavailable (no media ports)"),
        }
    }
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

/// Anchors the SDP `from` sent and applies it to the media plane at once (initial
/// offers and every answer). Writes the SDP for the other leg into `out`.
pub fn anchor(
    media: &dyn MediaControl,
    call: &mut Call,
    from: LegSide,
    body: &[u8],
    media_ip: IpAddr,
    out: &mut Vec<u8>,
) -> Result<(), AnchorError> {
    let updates = prepare(media, call, from, body, media_ip, out)?;
    apply(media, call.id, &updates);
    Ok(())
}

/// Allocates streams for new m= lines and writes the SDP for the other leg, but leaves
/// the media plane's view of `from` unchanged: for a re-offer, which RFC 3264 §8 lets
/// become the session only with its answer (and RFC 3261 §14.1 says a rejected one
/// changes nothing). The caller applies the returned updates on a 2xx.
pub fn prepare(
    media: &dyn MediaControl,
    call: &mut Call,
    from: LegSide,
    body: &[u8],
    media_ip: IpAddr,
    out: &mut Vec<u8>,
) -> Result<RemoteUpdates, AnchorError> {
    let sdp = Sdp::parse(body)?;
    let mut updates = RemoteUpdates::new();
    let mut endpoints: SmallVec<[Option<LocalEndpoint>; 4]> = SmallVec::new();
    for (i, md) in sdp.media().iter().enumerate() {
        if md.port == 0 {
            endpoints.push(None);
            continue;
        }
        if call.media.len() <= i {
            call.media.resize(i + 1, None);
        }
        let pair = match call.media[i] {
            Some(p) => p,
            None => {
                let p = allocate_pair(media, call.id)?;
                call.media[i] = Some(p);
                p
            }
        };
        updates.push((pair.facing(from).0, md.remote_media()));
        endpoints.push(Some(pair.facing(from.other()).1));
    }
    write_versioned(&sdp, call.leg_mut(from.other()), media_ip, &endpoints, out)?;
    Ok(updates)
}

/// An answer refusing every stream of `offer` (all m= ports 0, RFC 3264 §6): what the
/// SBC must put in an ACK when it gives up on a 2xx that carried an offer (§13.2.2.4:
/// every 2xx is ACKed, and that ACK must hold the answer).
pub fn rejecting_answer(offer: &[u8], media_ip: IpAddr) -> Result<Vec<u8>, AnchorError> {
    let sdp = Sdp::parse(offer)?;
    let endpoints: SmallVec<[Option<LocalEndpoint>; 4]> =
        sdp.media().iter().map(|_| None).collect();
    let plan = RewritePlan {
        address: media_ip,
        origin_user: "sbc",
        session_id: 1,
        session_version: 1,
        endpoints: &endpoints,
        security: &[],
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
    out: &mut Vec<u8>,
) -> Result<(), AnchorError> {
    let mut plan = RewritePlan {
        address: media_ip,
        origin_user: "sbc",
        session_id: leg.sdp_session_id,
        session_version: leg.sdp_version,
        endpoints,
        security: &[],
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
