//! Call setup: the caller's INVITE becomes a routed B-leg INVITE; the callee's
//! provisional and final responses map back (early dialogs per fork, early media,
//! late offer), CANCEL (including the CANCEL/200 race), and Timer C.

use std::time::Instant;

use sbc_core::call::EndCause;
use sbc_core::ids::{CallRef, LegSide};

use super::anchor::{anchor, AnchorError, Env, Received};
use super::build::{self, DialogView, Payload};
use super::call::{Call, CallPhase, Fork, Leg};
use super::headers;
use super::settings::host_port;
use super::srtp::{LegPolicies, LegPolicy, SdpRole};
use super::{response_map, routing, B2bua, CallEvent, ClientRole};
use crate::net::{Peer, TransportKind};
use crate::sip::{HeaderName, Method, SipMessage, Uri};
use crate::transaction::{ClientTxId, ServerTxId};

pub(super) const SDP: &str = "application/sdp";

/// The CSeq of the B-leg INVITE: the B dialog starts at 1 (`Leg::next_cseq` from 0).
const B_INVITE_CSEQ: u32 = 1;

/// True if the message carries an SDP body.
pub(super) fn has_sdp(msg: &SipMessage) -> bool {
    !msg.body().is_empty()
        && msg
            .content_type()
            .map(|c| c.trim().to_ascii_lowercase().starts_with(SDP))
            .unwrap_or(false)
}

/// Why a new INVITE is refused: the response the caller gets.
struct Refusal {
    status: u16,
    reason: String,
    extra: Vec<(HeaderName, String)>,
}

impl Refusal {
    fn new(status: u16, reason: impl Into<String>) -> Self {
        Refusal {
            status,
            reason: reason.into(),
            extra: Vec::new(),
        }
    }
    fn with(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }
}

/// What the caller's INVITE says, checked before any state is created.
struct Admitted {
    ingress: Option<sbc_core::TrunkName>,
    target: sbc_core::TrunkName,
    target_peer: Peer,
    max_forwards: u8,
    user: String,
    from_user: String,
    from_display: String,
}

impl B2bua {
    pub(super) fn on_invite(&mut self, now: Instant, tx: ServerTxId, msg: SipMessage, from: Peer) {
        let admitted = match self.admit(&msg, from) {
            Ok(a) => a,
            Err(r) => {
                let extra: Vec<(&str, &str)> = r
                    .extra
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                return self.reject(now, tx, &msg, r.status, &r.reason, &extra);
            }
        };
        let call = self.new_call(now, tx, &msg, from, &admitted);
        let id = call.id;
        self.calls.insert(id, call);
        self.server_roles.insert(tx, id);

        let mut body = Vec::new();
        if has_sdp(&msg) {
            let Some(call) = self.calls.get_mut(&id) else {
                return;
            };
            let mut env = Env {
                media: self.media.as_ref(),
                media_ip: self.settings.media_ip,
                rng: &mut *self.key_rng,
            };
            let offer = Received {
                from: LegSide::A,
                role: SdpRole::Offer,
                body: msg.body(),
            };
            if let Err(e) = anchor(&mut env, call, offer, &mut body) {
                if matches!(e, AnchorError::Srtp(_)) {
                    let _span = super::call_span(id).entered();
                    tracing::info!(error = %e, "caller's offer refused");
                }
                return self.refuse_new_call(now, id, tx, &msg, &e);
            }
        }
        let Some(invite) = self.b_invite(id, &msg, &admitted, &body) else {
            return self.refuse_new_call(now, id, tx, &msg, &AnchorError::Ports);
        };
        let Some(ctx) = self.send_request(now, invite, admitted.target_peer) else {
            return self.refuse_new_call(now, id, tx, &msg, &AnchorError::Ports);
        };
        self.client_roles.insert(ctx, ClientRole::InitialInvite(id));
        let deadline = now + self.settings.config.sip.timer_c;
        if let Some(call) = self.calls.get_mut(&id) {
            call.b_invite_tx = Some(ctx);
            call.timer_c = Some(deadline);
        }
        self.call_timers.insert((deadline, id));
        let _span = super::call_span(id).entered();
        tracing::debug!(target_trunk = %admitted.target, user = %admitted.user, "call routed");
        self.metrics.call_started();
        self.events.push_back(CallEvent::Started {
            call: id,
            ingress: admitted.ingress,
            target: admitted.target,
        });
    }

    /// Policy and syntax checks of a new INVITE. Err = (status, reason, extra headers).
    fn admit(&self, msg: &SipMessage, from: Peer) -> Result<Admitted, Refusal> {
        let cfg = &self.settings.config;
        let ingress = cfg.ingress_trunk(from.addr.ip()).map(|t| t.name.clone());
        let max_forwards = msg
            .max_forwards()
            .map_err(|e| Refusal::new(400, e.reason()))?
            .unwrap_or(70);
        if max_forwards == 0 {
            return Err(Refusal::new(483, "Too Many Hops"));
        }
        let unsupported = headers::unsupported_requires(msg);
        if !unsupported.is_empty() {
            return Err(Refusal::new(420, "Bad Extension")
                .with(HeaderName::Unsupported, unsupported.join(", ")));
        }
        // A bad or unsupported Request-URI never gets here (`precheck_request`: 400/416).
        let ruri = msg.request_uri().unwrap_or_default();
        let user = Uri::parse(ruri)
            .ok()
            .and_then(|u| u.user)
            .unwrap_or_default()
            .to_owned();
        if !msg.body().is_empty() && !has_sdp(msg) {
            return Err(Refusal::new(415, "Unsupported Media Type")
                .with(HeaderName::Accept, "application/sdp"));
        }
        let route = cfg
            .route(ingress.as_ref(), &user)
            .ok_or_else(|| Refusal::new(404, "Not Found (no route)"))?;
        let trunk = cfg
            .trunk(&route.target)
            .ok_or_else(|| Refusal::new(500, "Server Internal Error (route target)"))?;
        let from_hdr = msg.from_hdr().map_err(|e| Refusal::new(400, e.reason()))?;
        let from_user = from_hdr
            .parsed_uri()
            .ok()
            .and_then(|u| u.user)
            .unwrap_or("anonymous")
            .to_owned();
        Ok(Admitted {
            ingress,
            target: trunk.name.clone(),
            target_peer: routing::trunk_peer(trunk),
            max_forwards: max_forwards.saturating_sub(1).min(cfg.sip.max_forwards),
            user,
            from_user,
            from_display: from_hdr.display_name.unwrap_or_default().to_owned(),
        })
    }

    fn new_call(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        msg: &SipMessage,
        from: Peer,
        ad: &Admitted,
    ) -> Call {
        let id = sbc_core::CallRef(self.next_call);
        self.next_call += 1;
        let a_tag = self.token(12);
        let b_tag = self.token(12);
        let b_call_id = self.token(24);
        let (sid_a, sid_b) = (self.rng_u32(), self.rng_u32());
        let b_local = self
            .settings
            .local_addr(ad.target_peer.transport, ad.target_peer.addr);
        let display = if ad.from_display.is_empty() {
            String::new()
        } else {
            format!("{} ", ad.from_display)
        };
        let a = Leg::uas(msg, from, a_tag, u64::from(sid_a));
        let b = Leg {
            call_id: b_call_id,
            local_tag: b_tag,
            remote_tag: None,
            local_uri: format!("{display}<sip:{}@{}>", ad.from_user, host_port(b_local)),
            remote_uri: format!("<sip:{}@{}>", ad.user, host_port(ad.target_peer.addr)),
            remote_target: Some(self.b_request_uri(ad)),
            route_set: Vec::new(),
            peer: ad.target_peer,
            local_cseq: 0,
            remote_cseq: None,
            sdp_session_id: u64::from(sid_b),
            sdp_version: 1,
            last_sdp: Vec::new(),
            remote_origin: None,
        };
        let config = &self.settings.config;
        let srtp_policies = LegPolicies {
            a: LegPolicy::of(ad.ingress.as_ref().and_then(|t| config.trunk(t))),
            b: LegPolicy::of(config.trunk(&ad.target)),
        };
        Call {
            id,
            phase: CallPhase::Proceeding,
            a,
            b,
            a_invite: msg.clone(),
            a_invite_tx: tx,
            b_invite_tx: None,
            forks: Default::default(),
            media: Default::default(),
            srtp_policies,
            srtp: Default::default(),
            late_offer: !has_sdp(msg),
            pending_b_ack: None,
            provisional_seen: false,
            timer_c: None,
            ack_guard: None,
            b_gone: false,
            released: None,
            reinvite: None,
            transfer: None,
            ingress: ad.ingress.clone(),
            target: ad.target.clone(),
            from_user: ad.from_user.clone(),
            to_user: ad.user.clone(),
            started: now,
            answered: None,
        }
    }

    fn b_request_uri(&self, ad: &Admitted) -> String {
        let tp = if ad.target_peer.transport == TransportKind::Tcp {
            ";transport=tcp"
        } else {
            ""
        };
        if ad.user.is_empty() {
            format!("sip:{}{tp}", host_port(ad.target_peer.addr))
        } else {
            format!("sip:{}@{}{tp}", ad.user, host_port(ad.target_peer.addr))
        }
    }

    pub(super) fn rng_u32(&mut self) -> u32 {
        use rand::Rng;
        self.rng.gen_range(1..u32::MAX / 2)
    }

    /// The B-leg INVITE: the SBC's own dialog identifiers, the caller's end-to-end headers.
    fn b_invite(
        &mut self,
        id: CallRef,
        a_invite: &SipMessage,
        ad: &Admitted,
        body: &[u8],
    ) -> Option<SipMessage> {
        let branch = self.txl.new_branch();
        let hop = self.hop(ad.target_peer);
        let ua = self.user_agent();
        let call = self.calls.get_mut(&id)?;
        let cseq = call.b.next_cseq();
        let view = DialogView {
            call_id: &call.b.call_id,
            local_uri: &call.b.local_uri,
            local_tag: &call.b.local_tag,
            remote_uri: &call.b.remote_uri,
            remote_tag: None,
            target: call.b.remote_target.as_deref(),
            route_set: &[],
            fallback: ad.target_peer,
        };
        // The caller's Max-Forwards minus one: loop protection across chained B2BUAs.
        let p = Payload {
            e2e_from: Some(a_invite),
            body: Some((SDP, body)),
            user_agent: &ua,
            max_forwards: Some(ad.max_forwards),
            extra: &[],
        };
        build::dialog_request(&mut self.buf, &view, hop, Method::Invite, cseq, &branch, p)
    }

    fn refuse_new_call(
        &mut self,
        now: Instant,
        id: CallRef,
        tx: ServerTxId,
        msg: &SipMessage,
        e: &AnchorError,
    ) {
        let (status, reason) = e.status();
        self.reject(now, tx, msg, status, reason, &[]);
        if let Some(call) = self.calls.remove(&id) {
            self.media.release_call(call.id);
        }
        self.server_roles.remove(&tx);
    }

    pub(super) fn on_b_invite_response(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        id: CallRef,
        msg: SipMessage,
    ) {
        let status = msg.status().unwrap_or(0);
        if !self.calls.contains_key(&id) {
            if (200..300).contains(&status) {
                self.orphan_2xx(now, &msg);
            }
            return;
        }
        match status {
            101..=199 => self.on_b_provisional(now, id, msg),
            200..=299 => self.on_b_answer(now, tx, id, msg),
            300..=699 => self.on_b_failure(now, id, msg),
            _ => {}
        }
    }

    /// The A-leg to-tag standing for the B-leg fork `b_tag` (created on first sight:
    /// the first fork reuses the tag chosen at call creation).
    fn fork_for(&mut self, id: CallRef, msg: &SipMessage) -> Option<String> {
        let b_tag = msg.to_hdr().ok()?.tag()?.to_owned();
        let new_tag = self.token(12);
        let call = self.calls.get_mut(&id)?;
        if let Some(f) = call.fork_by_b_tag(&b_tag) {
            return Some(f.a_tag.clone());
        }
        let a_tag = if call.forks.is_empty() {
            call.a.local_tag.clone()
        } else {
            new_tag
        };
        let mut route_set: Vec<String> = msg
            .header_values(HeaderName::RecordRoute)
            .map(str::to_owned)
            .collect();
        route_set.reverse();
        call.forks.push(Fork {
            b_tag,
            a_tag: a_tag.clone(),
            b_target: msg.contact().and_then(Result::ok).map(|c| c.uri.to_owned()),
            b_route_set: route_set,
        });
        self.dialogs.insert(a_tag.clone(), (id, LegSide::A));
        self.dialogs
            .insert(call.b.local_tag.clone(), (id, LegSide::B));
        Some(a_tag)
    }

    fn on_b_provisional(&mut self, now: Instant, id: CallRef, msg: SipMessage) {
        let a_tag = self.fork_for(id, &msg);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.provisional_seen = true;
        let deadline = now + self.settings.config.sip.timer_c;
        call.timer_c = Some(deadline);
        self.call_timers.insert((deadline, id));
        let a_tag = a_tag.unwrap_or_else(|| call.a.local_tag.clone());
        // A provisional whose SDP is refused is not relayed; the final answer decides.
        let _ = self.relay_to_caller(now, id, &msg, &a_tag);
    }

    /// Sends `msg` (a callee response to the B INVITE) to the caller as a response to
    /// the A INVITE, with the SDP re-anchored. `Err` if the callee's SDP is refused,
    /// `Ok(false)` if no response could be built.
    fn relay_to_caller(
        &mut self,
        now: Instant,
        id: CallRef,
        msg: &SipMessage,
        a_tag: &str,
    ) -> Result<bool, AnchorError> {
        let status = msg.status().unwrap_or(0);
        let Some(call) = self.calls.get_mut(&id) else {
            return Ok(false);
        };
        self.sdp_buf.clear();
        if has_sdp(msg) {
            // With a late offer the callee's SDP is the offer; otherwise the answer.
            let role = if call.late_offer {
                SdpRole::Offer
            } else {
                SdpRole::Answer
            };
            let mut env = Env {
                media: self.media.as_ref(),
                media_ip: self.settings.media_ip,
                rng: &mut *self.key_rng,
            };
            let sdp = Received {
                from: LegSide::B,
                role,
                body: msg.body(),
            };
            if let Err(e) = anchor(&mut env, call, sdp, &mut self.sdp_buf) {
                tracing::warn!(call = %id, error = %e, "callee SDP refused");
                return Err(e);
            }
        }
        let (a_invite, a_tx, a_peer) = (call.a_invite.clone(), call.a_invite_tx, call.a.peer);
        let hop = self.hop(a_peer);
        let ua = self.user_agent();
        let body = std::mem::take(&mut self.sdp_buf);
        let p = Payload {
            e2e_from: Some(msg),
            body: Some((SDP, &body)),
            user_agent: &ua,
            ..Payload::default()
        };
        let reason = msg.reason_phrase().unwrap_or_default().to_owned();
        let resp = build::response(
            &mut self.buf,
            &a_invite,
            status,
            &reason,
            Some(a_tag),
            Some(hop),
            p,
        );
        self.sdp_buf = body;
        match resp {
            Some(r) => {
                self.respond(now, a_tx, r);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn on_b_answer(&mut self, now: Instant, tx: ClientTxId, id: CallRef, msg: SipMessage) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.phase == CallPhase::Answered {
            // Another fork answered first: this one is not wanted.
            return self.orphan_2xx(now, &msg);
        }
        let a_tag = self.fork_for(id, &msg);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.phase = CallPhase::Answered;
        call.answered = Some(now);
        call.timer_c = None;
        if let Some(tag) = a_tag {
            call.a.local_tag = tag;
        }
        call.b.remote_tag = msg.to_hdr().ok().and_then(|t| t.tag()).map(str::to_owned);
        call.b.remote_target = msg.contact().and_then(Result::ok).map(|c| c.uri.to_owned());
        let mut rs: Vec<String> = msg
            .header_values(HeaderName::RecordRoute)
            .map(str::to_owned)
            .collect();
        rs.reverse();
        call.b.route_set = rs;
        let late_offer = call.late_offer;
        let a_tag = call.a.local_tag.clone();
        // Early dialogs of other forks are gone; only the answered one stays routable.
        let stale: Vec<String> = call
            .forks
            .iter()
            .map(|f| f.a_tag.clone())
            .filter(|t| *t != a_tag)
            .collect();
        for t in stale {
            self.dialogs.remove(&t);
        }
        self.dialogs.insert(a_tag.clone(), (id, LegSide::A));
        let refusal = match self.relay_to_caller(now, id, &msg, &a_tag) {
            Ok(true) => None,
            Ok(false) => Some((502, "Bad Gateway (unusable SDP from callee)")),
            Err(e) => Some(e.answer_status()),
        };
        if let Some((status, reason)) = refusal {
            // The callee's SDP was unusable: the caller (who got no 2xx) gets a final
            // error; the callee's 2xx is ACKed and its dialog BYEd. For an SRTP answer
            // that accepts none of the SBC's crypto lines, RFC 4568 §7.1.3 has the
            // offerer treat the stream as rejected and then re-offer or end the session;
            // the SBC ends it, and the caller learns its offer failed (488).
            let offer = late_offer.then(|| msg.body());
            self.refuse_answer(now, id, tx, status, reason, offer);
            return;
        }
        let answered = self.calls.get(&id).map(|c| {
            let config = &self.settings.config;
            let a = super::monitor::party_hints(
                config,
                &c.a_invite,
                c.ingress.as_ref(),
                c.a_invite.from_hdr().ok().map(|f| f.uri),
            );
            let b = super::monitor::party_hints(
                config,
                &msg,
                Some(&c.target),
                msg.to_hdr().ok().map(|t| t.uri),
            );
            CallEvent::Answered {
                call: id,
                ingress: c.ingress.clone(),
                target: c.target.clone(),
                a,
                b,
            }
        });
        if late_offer && has_sdp(&msg) {
            let guard = now + self.settings.config.sip.t1 * 32;
            if let Some(call) = self.calls.get_mut(&id) {
                call.pending_b_ack = Some((tx, msg));
                call.ack_guard = Some(guard);
            }
            self.call_timers.insert((guard, id));
        } else {
            self.send_ack_b(now, id, tx, None);
        }
        self.events.extend(answered);
    }

    /// The callee answered with SDP the SBC cannot use: `status` (502, or 488 for SRTP)
    /// to the caller, ACK + BYE to the callee. `offer` is the callee's 2xx body when it
    /// was an offer (late offer): the ACK must then carry an answer, one refusing every
    /// stream.
    fn refuse_answer(
        &mut self,
        now: Instant,
        id: CallRef,
        tx: ClientTxId,
        status: u16,
        reason: &str,
        offer: Option<&[u8]>,
    ) {
        self.final_to_caller(now, id, status, reason, None, &[]);
        let media_ip = self.settings.media_ip;
        let answer = offer.and_then(|o| super::anchor::rejecting_answer(o, media_ip).ok());
        self.send_ack_b(now, id, tx, answer.as_deref());
        self.send_bye(now, id, LegSide::B, None);
        self.end_call(now, id, status, EndCause::Refused, None);
    }

    /// A final response to the caller's INVITE (on the A leg's initial transaction),
    /// carrying `e2e_from`'s end-to-end headers when it relays the callee's answer.
    fn final_to_caller(
        &mut self,
        now: Instant,
        id: CallRef,
        status: u16,
        reason: &str,
        e2e_from: Option<&SipMessage>,
        extra: &[(&str, &str)],
    ) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let (a_invite, a_tx, a_tag) = (
            call.a_invite.clone(),
            call.a_invite_tx,
            call.a.local_tag.clone(),
        );
        let ua = self.user_agent();
        let p = Payload {
            e2e_from,
            user_agent: &ua,
            extra,
            ..Payload::default()
        };
        if let Some(r) = build::response(
            &mut self.buf,
            &a_invite,
            status,
            reason,
            Some(&a_tag),
            None,
            p,
        ) {
            self.respond(now, a_tx, r);
        }
    }

    /// ACK the B leg's 2xx to its INVITE (initial: CSeq 1), optionally with the answer SDP.
    pub(super) fn send_ack_b(
        &mut self,
        now: Instant,
        id: CallRef,
        tx: ClientTxId,
        body: Option<&[u8]>,
    ) {
        self.send_dialog_ack(now, id, LegSide::B, tx, B_INVITE_CSEQ, body);
    }

    fn on_b_failure(&mut self, now: Instant, id: CallRef, msg: SipMessage) {
        let status = msg.status().unwrap_or(500);
        let (mapped, reason) =
            response_map::map_final(status, msg.reason_phrase().unwrap_or_default());
        // A redirect's targets are the callee's answer: they go to the caller.
        let contacts: Vec<String> = if (300..400).contains(&status) {
            msg.header_values(HeaderName::Contact)
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        };
        let extra: Vec<(&str, &str)> = contacts.iter().map(|c| ("Contact", c.as_str())).collect();
        self.final_to_caller(now, id, mapped, &reason, Some(&msg), &extra);
        let cause = if status == 408 {
            EndCause::Timeout
        } else {
            EndCause::Rejected
        };
        self.end_call(now, id, mapped, cause, Some(LegSide::B));
    }

    /// CANCEL from the caller for its pending INVITE: 487 to the caller at once, CANCEL
    /// toward the callee. If the callee's 200 crosses our CANCEL, it is ACKed and BYEd
    /// as an orphan (the call is gone by then).
    pub(super) fn on_cancel(&mut self, now: Instant, tx: ServerTxId) {
        if self.cancel_join(now, tx) {
            return;
        }
        let Some(&id) = self.server_roles.get(&tx) else {
            return;
        };
        match self.calls.get(&id) {
            Some(c) if c.phase == CallPhase::Proceeding => {}
            _ => return,
        }
        self.fail_setup_with(
            now,
            id,
            487,
            "Request Terminated",
            EndCause::Cancelled,
            Some(LegSide::A),
        );
    }

    /// A call deadline passed: Timer C (of the call, a re-INVITE or a transfer target),
    /// or the late-offer ACK guard.
    pub(super) fn fire_call_timers(&mut self, now: Instant, id: CallRef, at: Instant) {
        let guard = self.calls.get(&id).and_then(|c| c.ack_guard) == Some(at);
        if guard {
            self.give_up_late_offer(now, id);
        }
        self.fire_reinvite_timer(now, id, at);
        self.fire_transfer_timer(now, id, at);
        self.fire_timer_c(now, id, at);
    }

    /// The caller has not ACKed (so brought no answer) halfway through its Timer L: the
    /// callee, whose own Timer L started earlier, must get its ACK now. It gets an
    /// answer refusing every stream, then BYE; the caller keeps its own Timer L.
    fn give_up_late_offer(&mut self, now: Instant, id: CallRef) {
        let pending = self
            .calls
            .get(&id)
            .is_some_and(|c| c.pending_b_ack.is_some());
        if !pending {
            return;
        }
        self.settle_pending_ack(now, id);
        self.send_bye(now, id, LegSide::B, None);
        if let Some(call) = self.calls.get_mut(&id) {
            call.b_gone = true;
        }
    }

    /// Timer C expired: the callee sent provisionals but never a final answer.
    fn fire_timer_c(&mut self, now: Instant, id: CallRef, at: Instant) {
        let live = self
            .calls
            .get(&id)
            .map(|c| c.timer_c == Some(at) && c.phase == CallPhase::Proceeding);
        if live == Some(true) {
            self.metrics
                .transaction_timeouts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.fail_setup(now, id, 408, "Request Timeout");
        }
    }

    /// Ends a call that is still being set up: final response to the caller, CANCEL to
    /// the callee.
    pub(super) fn fail_setup(&mut self, now: Instant, id: CallRef, status: u16, reason: &str) {
        // 408 is Timer B or C; anything else (an unreachable next hop) is the SBC's refusal.
        let cause = if status == 408 {
            EndCause::Timeout
        } else {
            EndCause::Refused
        };
        self.fail_setup_with(now, id, status, reason, cause, None);
    }

    fn fail_setup_with(
        &mut self,
        now: Instant,
        id: CallRef,
        status: u16,
        reason: &str,
        cause: EndCause,
        by: Option<LegSide>,
    ) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.phase != CallPhase::Proceeding {
            return;
        }
        let b_tx = call.b_invite_tx;
        self.final_to_caller(now, id, status, reason, None, &[]);
        if let Some(b_tx) = b_tx {
            // No role for the CANCEL: its answer needs no routing, and the layer may
            // never send it (no provisional before the INVITE's final), which would
            // leave a role behind forever.
            let _ = self.txl.cancel(now, b_tx);
        }
        self.end_call(now, id, status, cause, by);
    }

    /// Removes a call: dialogs, media, metrics, CDR. Transactions still in flight finish
    /// on their own; a late 2xx for it is handled as an orphan.
    pub(super) fn end_call(
        &mut self,
        now: Instant,
        id: CallRef,
        final_status: u16,
        cause: EndCause,
        by: Option<LegSide>,
    ) {
        // Every path that ends a call settles a held 2xx (normally done before BYE).
        self.settle_pending_ack(now, id);
        // Requests relayed for this call and still unanswered get a final response: a
        // server transaction without one has no timer and would live forever.
        let orphaned: Vec<ServerTxId> = self
            .relayed
            .iter()
            .filter(|(_, r)| r.call == id)
            .map(|(tx, _)| *tx)
            .collect();
        // Their twins toward the other leg: an INVITE client transaction that got a
        // provisional has no timer of its own (RFC 3261 §17.1.1.2; proxies use Timer C),
        // so it is CANCELed; the layer ends it at the latest 64*T1 later.
        let pending: Vec<(ClientTxId, bool)> = self
            .client_roles
            .iter()
            .filter_map(|(ctx, role)| match role {
                ClientRole::Relay { call, method, .. } if *call == id => {
                    Some((*ctx, *method == Method::Invite))
                }
                _ => None,
            })
            .collect();
        for (ctx, invite) in pending {
            self.client_roles.remove(&ctx);
            if invite {
                let _ = self.txl.cancel(now, ctx);
            }
        }
        for tx in orphaned {
            if let Some(r) = self.relayed.remove(&tx) {
                let status = if r.req.method() == Some(Method::Invite) {
                    487
                } else {
                    481
                };
                let reason = if status == 487 {
                    "Request Terminated"
                } else {
                    "Call/Transaction Does Not Exist"
                };
                self.reject(now, tx, &r.req, status, reason, &[]);
            }
        }
        self.abandon_transfer(now, id);
        self.end_monitoring(now, id);
        let Some(call) = self.calls.remove(&id) else {
            return;
        };
        self.dialogs.remove(&call.a.local_tag);
        self.dialogs.remove(&call.b.local_tag);
        for f in &call.forks {
            self.dialogs.remove(&f.a_tag);
        }
        self.media.release_call(id);
        self.metrics.call_ended(cause);
        self.events
            .push_back(CallEvent::Ended(call.cdr(now, final_status, cause, by)));
    }
}
