//! The state of one call inside the engine: both legs' dialog state, the media streams
//! anchored for it, and what is in flight. Plain data; the engine's handlers mutate it.

use std::time::Instant;

use sbc_core::call::Cdr;
use sbc_core::ids::{CallRef, LegSide, StreamId, TrunkName};
use sbc_core::media::LocalEndpoint;
use smallvec::SmallVec;

use super::headers::strip_tag;
use super::srtp::{LegPolicies, StreamSrtp};
use super::transfer::Transfer;
use crate::net::Peer;
use crate::sip::{HeaderName, SipMessage};
use crate::transaction::{ClientTxId, ServerTxId};

/// Where a call is in its life. Ended calls are removed from the engine at once; late
/// messages for them are handled statelessly (a stray 2xx gets ACK + BYE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallPhase {
    /// The B-leg INVITE is out; no final answer yet.
    Proceeding,
    /// The callee answered: both dialogs are confirmed (or awaiting the caller's ACK).
    Answered,
}

/// The dialog state of one leg, from the SBC's point of view (the SBC is the UAS on
/// the A leg and the UAC on the B leg; the fields are "local" = the SBC).
#[derive(Debug, Clone)]
pub struct Leg {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: Option<String>,
    /// Our From/To name-addr on this leg, without tag.
    pub local_uri: String,
    /// The peer's From/To name-addr on this leg, without tag.
    pub remote_uri: String,
    /// The peer's Contact URI: the Request-URI of requests we send on this leg.
    pub remote_target: Option<String>,
    /// Route set for requests on this leg (RFC 3261 §12.1), in sending order.
    pub route_set: Vec<String>,
    /// Where requests on this leg go when neither route set nor target resolve.
    pub peer: Peer,
    pub local_cseq: u32,
    pub remote_cseq: Option<u32>,
    /// Our SDP origin on this leg (o= session id and version), and the last body sent.
    pub sdp_session_id: u64,
    pub sdp_version: u64,
    pub last_sdp: Vec<u8>,
    /// The peer's last SDP origin on this leg (`o=` session id and version): an offer
    /// with the same origin repeats the session unchanged (RFC 3264 §8).
    pub remote_origin: Option<String>,
}

impl Leg {
    /// The dialog a request creates with the SBC as its UAS (the caller's A leg, a
    /// supervisor's leg): the peer's identifiers, target and route set from `req`.
    pub fn uas(req: &SipMessage, peer: Peer, local_tag: String, sdp_session_id: u64) -> Leg {
        Leg {
            call_id: req.call_id().unwrap_or_default().to_owned(),
            local_tag,
            remote_tag: req.from_hdr().ok().and_then(|f| f.tag()).map(str::to_owned),
            local_uri: req.to_hdr().map(|t| strip_tag(t.raw)).unwrap_or_default(),
            remote_uri: req.from_hdr().map(|f| strip_tag(f.raw)).unwrap_or_default(),
            remote_target: req.contact().and_then(Result::ok).map(|c| c.uri.to_owned()),
            route_set: req
                .header_values(HeaderName::RecordRoute)
                .map(str::to_owned)
                .collect(),
            peer,
            local_cseq: 0,
            remote_cseq: req.cseq().ok().map(|c| c.seq),
            sdp_session_id,
            sdp_version: 1,
            last_sdp: Vec::new(),
            remote_origin: None,
        }
    }

    pub fn next_cseq(&mut self) -> u32 {
        self.local_cseq = self.local_cseq.wrapping_add(1);
        self.local_cseq
    }
}

/// One early dialog on the B leg (a fork) and the to-tag it was given on the A leg, so a
/// forking callee looks like a forking callee to the caller too.
#[derive(Debug, Clone)]
pub struct Fork {
    pub b_tag: String,
    pub a_tag: String,
    pub b_target: Option<String>,
    pub b_route_set: Vec<String>,
}

/// The SBC's endpoints for one m= line: one stream facing each leg, relayed together.
#[derive(Debug, Clone, Copy)]
pub struct MediaPair {
    pub a: (StreamId, LocalEndpoint),
    pub b: (StreamId, LocalEndpoint),
}

impl MediaPair {
    pub fn facing(&self, side: LegSide) -> (StreamId, LocalEndpoint) {
        match side {
            LegSide::A => self.a,
            LegSide::B => self.b,
        }
    }
}

/// A relayed re-INVITE in flight: who sent it (for glare) and whether its 2xx must wait
/// for the sender's ACK because the offer comes in the 2xx.
#[derive(Debug, Clone, Copy)]
pub struct PendingReinvite {
    pub from: LegSide,
    pub offerless: bool,
    /// The client transaction of the relayed INVITE and its CSeq, to ACK its 2xx later.
    pub client_tx: ClientTxId,
    pub cseq: u32,
    /// Offerless only: the 2xx (with the offer) was relayed; its ACK brings the answer.
    pub answered: bool,
    /// Timer C for the relayed INVITE (RFC 3261 §16.6 step 11 applied to a re-INVITE):
    /// an INVITE client transaction that got a provisional has no timer of its own.
    pub deadline: Instant,
}

#[derive(Debug)]
pub struct Call {
    pub id: CallRef,
    pub phase: CallPhase,
    pub a: Leg,
    pub b: Leg,
    /// The caller's INVITE, kept to build responses to it.
    pub a_invite: SipMessage,
    pub a_invite_tx: ServerTxId,
    pub b_invite_tx: Option<ClientTxId>,
    pub forks: SmallVec<[Fork; 2]>,
    /// Streams per m= line (index = m-line position); `None` for rejected lines.
    pub media: SmallVec<[Option<MediaPair>; 2]>,
    /// SRTP policy of each leg, fixed at call creation (a reload changes new calls).
    pub(super) srtp_policies: LegPolicies,
    /// SRTP state per m= line: keys, what was offered and accepted on each leg.
    pub(super) srtp: SmallVec<[StreamSrtp; 2]>,
    /// The caller sent no SDP: the callee's 2xx carries the offer, the caller's ACK the
    /// answer, so the B-leg ACK waits for the A-leg ACK.
    pub late_offer: bool,
    /// A 2xx from B waiting for the A-leg ACK (late offer), as (tx, 2xx).
    pub pending_b_ack: Option<(ClientTxId, SipMessage)>,
    pub provisional_seen: bool,
    /// Timer C deadline (RFC 3261 §16.6 step 11), reset by each provisional.
    pub timer_c: Option<Instant>,
    /// Late offer: when to stop waiting for the caller's ACK (half of Timer L, so the
    /// callee, whose Timer L started earlier, still gets its ACK in time).
    pub ack_guard: Option<Instant>,
    /// The B leg was already hung up by the SBC (late-offer give-up).
    pub b_gone: bool,
    /// The agent's leg, hung up by the SBC because a supervisor took over: the call
    /// goes on between the other leg (the customer) and the supervisor's leg, and the
    /// SBC answers the customer's in-dialog requests itself (`takeover`).
    pub released: Option<LegSide>,
    pub reinvite: Option<PendingReinvite>,
    /// A transfer in progress (REFER handled by the SBC, see `transfer`).
    pub transfer: Option<Box<Transfer>>,
    pub ingress: Option<TrunkName>,
    pub target: TrunkName,
    pub from_user: String,
    pub to_user: String,
    pub started: Instant,
    pub answered: Option<Instant>,
}

impl Call {
    pub fn leg(&self, side: LegSide) -> &Leg {
        match side {
            LegSide::A => &self.a,
            LegSide::B => &self.b,
        }
    }
    pub fn leg_mut(&mut self, side: LegSide) -> &mut Leg {
        match side {
            LegSide::A => &mut self.a,
            LegSide::B => &mut self.b,
        }
    }
    /// Whether the SBC already hung up `side` while the call went on.
    pub fn is_gone(&self, side: LegSide) -> bool {
        (side == LegSide::B && self.b_gone) || self.released == Some(side)
    }
    pub fn fork_by_b_tag(&self, tag: &str) -> Option<&Fork> {
        self.forks.iter().find(|f| f.b_tag == tag)
    }
    pub fn fork_by_a_tag(&self, tag: &str) -> Option<&Fork> {
        self.forks.iter().find(|f| f.a_tag == tag)
    }

    /// The call detail record for this call ending now.
    pub fn cdr(
        &self,
        now: Instant,
        final_status: u16,
        cause: sbc_core::call::EndCause,
        by: Option<LegSide>,
    ) -> Cdr {
        Cdr {
            call: self.id,
            a_call_id: self.a.call_id.clone(),
            b_call_id: Some(self.b.call_id.clone()),
            from_user: self.from_user.clone(),
            to_user: self.to_user.clone(),
            ingress_trunk: self.ingress.clone(),
            target_trunk: Some(self.target.clone()),
            started: self.started,
            answered: self.answered,
            ended: now,
            final_status,
            cause,
            ended_by: by,
        }
    }
}
