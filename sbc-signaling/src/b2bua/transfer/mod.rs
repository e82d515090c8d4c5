//! Call transfer by REFER (RFC 3515), carried out by the SBC itself.
//!
//! A REFER from one party (typically the agent, on the contact center's trunk) asks
//! that the other party (the customer) be connected to the Refer-To target. Relaying
//! it would hand the customer's network the agent side's addresses and ask a carrier
//! trunk to place a call it usually will not; so, unless the sender's trunk says
//! `refer = "relay"` (or `"reject"`), the SBC does it:
//! - it checks the REFER: an answered call, no transfer or re-INVITE in flight, one
//!   SIP/SIPS/tel Refer-To without `Replaces` (attended transfer is not supported) and
//!   naming INVITE, a route for its user part from the sender's trunk. The Refer-To's
//!   host is ignored: the target is reached only through the SBC's own routes, as if
//!   the sender's trunk had called it;
//! - it answers 202 and (unless `Refer-Sub: false`, RFC 4488) NOTIFYs `100 Trying`;
//! - it calls the target on a dialog of its own (`target`), offering the session as
//!   it stands on the sender's leg (`offer`) on a new SBC media endpoint, with only
//!   the negotiated formats and fresh SRTP keys under the target trunk's policy;
//! - on the target's 2xx the target's dialog replaces the sender's leg and the new
//!   stream replaces the sender's: the other party's stream is connected to it and
//!   the sender's is released (its late packets hit a parked port and are dropped;
//!   they never reach the other party nor capture the target's latch). The other
//!   party's stream, its dialog and its packets are not touched: no re-INVITE, no
//!   gap. The sender gets NOTIFY `200 OK` and a BYE. On a failure the sender gets
//!   the final status in a NOTIFY and the call stays as it was (RFC 5589 §6: the
//!   transferor keeps the call);
//! - if the sender had held the other party before it transferred (the usual way),
//!   the other party is still on hold: the SBC re-INVITEs it with the same session,
//!   sendrecv (`resume`), so that it talks to the target;
//! - if the sender hangs up while the target is being called (a common blind
//!   transfer), the other party stays on: a 2xx connects it to the target, a failure
//!   ends the call;
//! - a monitored call's supervisors do not follow it to the target (their scope was
//!   the sender, an agent): their legs end (`monitor::transfer`), and the monitoring
//!   plane learns who the new party is (`CallEvent::Transferred`).

mod notify;
mod offer;
mod resume;
mod target;

use std::time::Instant;

use sbc_core::config::ReferPolicy;
use sbc_core::ids::{CallRef, LegSide, StreamId, TrunkName};
use sbc_core::media::LocalEndpoint;
use smallvec::SmallVec;

use super::call::{CallPhase, Leg};
use super::srtp::{LegPolicy, TargetSrtp};
use super::B2bua;
use crate::sip::{HeaderName, NameAddr, Scheme, SipMessage, Uri};
use crate::transaction::{ClientTxId, ServerTxId};

/// A transfer in progress: the target is being called.
#[derive(Debug)]
pub struct Transfer {
    /// The side of the party that sent REFER: the target takes its place.
    pub side: LegSide,
    /// The `Event` value of its NOTIFYs; `None` without a subscription (RFC 4488).
    pub event: Option<String>,
    /// The target's dialog (the SBC is its UAC), becoming `side`'s leg on answer.
    pub leg: Leg,
    /// Per m= line, the stream the SBC allocated toward the target (the departing
    /// party keeps its own until the swap, so its late packets never reach the
    /// other party, and its port cannot capture the target's latch).
    pub streams: TargetStreams,
    pub tx: ClientTxId,
    pub trunk: TrunkName,
    pub(super) srtp: TargetSrtp,
    pub(super) policy: LegPolicy,
    /// Timer C of the target's INVITE, restarted by its provisionals.
    pub deadline: Instant,
    /// Timer C fired and the INVITE was cancelled: its 487 is reported as 408.
    pub timed_out: bool,
    /// The Refer-To URI (for the monitoring plane's directory lookup).
    pub target_uri: String,
}

/// Per m= line, the stream toward a transfer target and its endpoint.
pub type TargetStreams = SmallVec<[Option<(StreamId, LocalEndpoint)>; 2]>;

/// What the REFER asks for, once checked.
struct Target {
    /// The Refer-To's user part: what the routes see.
    user: String,
    /// The Refer-To URI (for the monitoring plane's directory).
    uri: String,
    /// Referred-By (RFC 3892), passed on to the target.
    referred_by: Option<String>,
    /// The `Event` value of the NOTIFYs; `None` with `Refer-Sub: false`.
    event: Option<String>,
}

impl B2bua {
    /// A REFER in an answered or early dialog on `side` (not from a released leg).
    /// `relay` is how the engine relays it when the sender's trunk asks for that.
    pub(super) fn on_refer(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        id: CallRef,
        side: LegSide,
        msg: &SipMessage,
    ) -> ReferPolicy {
        let policy = self.refer_policy(id, side);
        if policy != ReferPolicy::Handle {
            if policy == ReferPolicy::Reject {
                self.reject(now, tx, msg, 403, "Forbidden (REFER not allowed)", &[]);
            }
            return policy;
        }
        if let Err((status, reason)) = self.start_transfer(now, tx, id, side, msg) {
            let _span = super::call_span(id).entered();
            tracing::info!(status, reason, "REFER refused");
            self.reject(now, tx, msg, status, reason, &[]);
        }
        ReferPolicy::Handle
    }

    /// The trunk policy of `side`'s leg (a leg with no trunk: the default).
    fn refer_policy(&self, id: CallRef, side: LegSide) -> ReferPolicy {
        let config = &self.settings.config;
        self.calls
            .get(&id)
            .and_then(|c| match side {
                LegSide::A => c.ingress.as_ref(),
                LegSide::B => Some(&c.target),
            })
            .and_then(|t| config.trunk(t))
            .map_or(ReferPolicy::default(), |t| t.refer)
    }

    fn start_transfer(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        id: CallRef,
        side: LegSide,
        msg: &SipMessage,
    ) -> Result<(), (u16, &'static str)> {
        let call = self
            .calls
            .get(&id)
            .ok_or((481, "Call/Transaction Does Not Exist"))?;
        if call.phase != CallPhase::Answered {
            return Err((403, "Forbidden (REFER before the call is answered)"));
        }
        if call.transfer.is_some() {
            return Err((491, "Request Pending (a transfer is in progress)"));
        }
        if call.reinvite.is_some() {
            return Err((491, "Request Pending"));
        }
        let mut target = refer_target(msg)?;
        let from_trunk = match side {
            LegSide::A => call.ingress.clone(),
            LegSide::B => Some(call.target.clone()),
        };
        let config = &self.settings.config;
        let route = config
            .route(from_trunk.as_ref(), &target.user)
            .ok_or((404, "Not Found (no route to the transfer target)"))?;
        let trunk = config
            .trunk(&route.target)
            .ok_or((500, "Server Internal Error (route target)"))?
            .clone();
        let subscribe = !msg
            .header_by_name("Refer-Sub")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
        target.event = subscribe.then(|| {
            let cseq = msg.cseq().map(|c| c.seq).unwrap_or_default();
            format!("refer;id={cseq}")
        });
        target.referred_by = msg.header(HeaderName::ReferredBy).map(str::to_owned);
        // Accepted first (RFC 3515 §2.4.2: what follows is reported by NOTIFY), so the
        // sender hears 202 and 100 Trying before the target's INVITE leaves.
        let extra: &[(&str, &str)] = if subscribe {
            &[]
        } else {
            &[("Refer-Sub", "false")]
        };
        self.reject(now, tx, msg, 202, "Accepted", extra);
        let event = target.event.clone();
        if let Some(event) = &event {
            self.notify_refer(now, id, side, event, (100, "Trying"), false);
        }
        let _span = super::call_span(id).entered();
        match self.call_target(now, id, side, &trunk, target) {
            Ok(()) => tracing::info!(target_trunk = %trunk.name, "transfer started"),
            Err((status, reason)) => {
                tracing::warn!(status, reason, "transfer target not called");
                if let Some(event) = &event {
                    self.notify_refer(now, id, side, event, (status, reason), true);
                }
            }
        }
        Ok(())
    }
}

/// The checked Refer-To of a REFER.
fn refer_target(msg: &SipMessage) -> Result<Target, (u16, &'static str)> {
    let mut values = msg.header_values(HeaderName::ReferTo);
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err((400, "Bad Request (exactly one Refer-To is required)"));
    };
    let bad = (400, "Bad Request (malformed Refer-To)");
    let name_addr = NameAddr::parse(value).map_err(|_| bad)?;
    let uri = Uri::parse(name_addr.uri).map_err(|_| bad)?;
    if !matches!(uri.scheme, Scheme::Sip | Scheme::Sips | Scheme::Tel) {
        return Err((416, "Unsupported URI Scheme (Refer-To)"));
    }
    let replaces = uri.headers.is_some_and(|h| {
        h.split('&').any(|kv| {
            kv.split('=')
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case("replaces"))
        })
    });
    if replaces {
        return Err((403, "Forbidden (attended transfer is not supported)"));
    }
    if uri
        .param("method")
        .flatten()
        .is_some_and(|m| !m.eq_ignore_ascii_case("INVITE"))
    {
        return Err((403, "Forbidden (only INVITE transfers)"));
    }
    let user = uri.user.unwrap_or_default();
    if user.is_empty() {
        return Err((404, "Not Found (the Refer-To has no user)"));
    }
    Ok(Target {
        user: user.to_owned(),
        uri: name_addr.uri.to_owned(),
        referred_by: None,
        event: None,
    })
}

/// Where a peer's SDP wants media: for each m= line `i` with a stream (`stream_of(i)`)
/// and a non-zero port, its remote, with the line's SRTP keying if any.
fn stream_remotes(
    sdp: &crate::sdp::Sdp<'_>,
    keyings: &[Option<sbc_core::media::SrtpKeying>],
    stream_of: impl Fn(usize) -> Option<StreamId>,
) -> super::anchor::RemoteUpdates {
    let mut updates = super::anchor::RemoteUpdates::new();
    for (i, md) in sdp.media().iter().enumerate() {
        let Some(stream) = stream_of(i).filter(|_| md.port != 0) else {
            continue;
        };
        let remote = md.remote_media();
        let remote = match keyings.get(i).cloned().flatten() {
            Some(k) => remote.with_srtp(k),
            None => remote,
        };
        updates.push((stream, remote));
    }
    updates
}
