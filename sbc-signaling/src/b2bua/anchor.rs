//! Media anchoring at signaling time: every SDP that crosses the SBC points the media
//! plane at the sender's addresses, and the copy sent on the other leg names the SBC's
//! endpoints instead. Streams are allocated per m= line on first sight (both legs at
//! once, connected to each other) and released with the call.

use std::net::IpAddr;

use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::{LocalEndpoint, MediaControl, MediaError};
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
    let map = |e: MediaError| match e {
        MediaError::PortsExhausted => AnchorError::Ports,
        _ => AnchorError::Ports,
    };
    let a = media.allocate(call, LegSide::A).map_err(map)?;
    let b = media.allocate(call, LegSide::B).map_err(map)?;
    media.connect(a.0, b.0).map_err(map)?;
    Ok(MediaPair { a, b })
}

/// Anchors the SDP `from` sent and writes the SDP for the other leg into `out`.
pub fn anchor(
    media: &dyn MediaControl,
    call: &mut Call,
    from: LegSide,
    body: &[u8],
    media_ip: IpAddr,
    out: &mut Vec<u8>,
) -> Result<(), AnchorError> {
    let sdp = Sdp::parse(body)?;
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
        if let Err(e) = media.set_remote(pair.facing(from).0, md.remote_media()) {
            tracing::warn!(call = %call.id, error = %e, "media plane refused remote update");
        }
        endpoints.push(Some(pair.facing(from.other()).1));
    }
    write_versioned(&sdp, call.leg_mut(from.other()), media_ip, &endpoints, out)
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
