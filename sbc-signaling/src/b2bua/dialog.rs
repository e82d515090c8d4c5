//! Requests inside a dialog: BYE from either side, re-INVITE (with glare handling,
//! RFC 3261 §14.2), REFER (handed to `transfer` unless the sender's trunk relays it),
//! and everything else (INFO, UPDATE, PRACK, MESSAGE, NOTIFY, OPTIONS...) relayed to the
//! other leg with the SDP re-anchored; their responses relayed back; ACKs for 2xx
//! (late-offer answers travel in them); ACK timeouts.

use std::time::Instant;

use rand::Rng;
use sbc_core::call::EndCause;
use sbc_core::config::ReferPolicy;
use sbc_core::ids::{CallRef, LegSide};

use super::anchor::{
    anchor, apply, prepare, rejecting_answer, AnchorError, Env, Received, RemoteUpdates,
};
use super::build::{self, DialogView, Hop, Payload};
use super::call::{Call, CallPhase, Leg, PendingReinvite};
use super::invite::{has_sdp, SDP};
use super::srtp::SdpRole;
use super::{routing, B2bua, ClientRole, Relayed};
use crate::metrics::SipDrop;
use crate::net::Peer;
use crate::sip::{HeaderName, Method, SipMessage};
use crate::transaction::{ClientTxId, ServerTxId};

/// The dialog of a leg as its own state describes it.
pub(super) fn view(leg: &Leg) -> DialogView<'_> {
    DialogView {
        call_id: &leg.call_id,
        local_uri: &leg.local_uri,
        local_tag: &leg.local_tag,
        remote_uri: &leg.remote_uri,
        remote_tag: leg.remote_tag.as_deref(),
        target: leg.remote_target.as_deref(),
        route_set: &leg.route_set,
        fallback: leg.peer,
    }
}

/// The dialog a request relayed to `to` travels in. Before the answer, a forking callee
/// has several early dialogs: the caller's to-tag (or the callee's from-tag) says which.
fn relay_view<'c>(call: &'c Call, to: LegSide, incoming_tag: &str) -> DialogView<'c> {
    let mut v = view(call.leg(to));
    if call.phase == CallPhase::Proceeding {
        match to {
            LegSide::B => {
                if let Some(f) = call.fork_by_a_tag(incoming_tag) {
                    v.remote_tag = Some(&f.b_tag);
                    v.target = f.b_target.as_deref();
                    v.route_set = &f.b_route_set;
                }
            }
            LegSide::A => {
                if let Some(f) = call.fork_by_b_tag(incoming_tag) {
                    v.local_tag = &f.a_tag;
                }
            }
        }
    }
    v
}

/// The CSeq number of the INVITE that created `side`'s dialog (for RAck rewriting).
fn invite_cseq(call: &Call, side: LegSide) -> u32 {
    match side {
        LegSide::A => call.a_invite.cseq().map(|c| c.seq).unwrap_or(1),
        LegSide::B => 1,
    }
}

impl B2bua {
    pub(super) fn on_in_dialog(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        msg: SipMessage,
        from: Peer,
        to_tag: &str,
    ) {
        let Some(&(id, side)) = self.dialogs.get(to_tag) else {
            return self.reject(now, tx, &msg, 481, "Call/Transaction Does Not Exist", &[]);
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return self.reject(now, tx, &msg, 481, "Call/Transaction Does Not Exist", &[]);
        };
        let _span = super::call_span(id).entered();
        let leg = call.leg_mut(side);
        if msg.call_id().ok() != Some(leg.call_id.as_str()) {
            return self.reject(now, tx, &msg, 481, "Call/Transaction Does Not Exist", &[]);
        }
        let Ok(cseq) = msg.cseq() else { return };
        if leg.remote_cseq.is_some_and(|r| cseq.seq <= r) {
            return self.reject(
                now,
                tx,
                &msg,
                500,
                "Server Internal Error (CSeq out of order)",
                &[],
            );
        }
        leg.remote_cseq = Some(cseq.seq);
        if leg.peer.addr == from.addr {
            // A new TCP connection from the same peer: answer and send on the live one.
            leg.peer = from;
        }
        let answered = call.phase == CallPhase::Answered;
        // In early dialogs the relevant tag is the callee's From tag (requests from B)
        // or the caller's To tag (requests from A).
        let incoming_tag = match side {
            LegSide::A => to_tag.to_owned(),
            LegSide::B => msg
                .from_hdr()
                .ok()
                .and_then(|f| f.tag())
                .unwrap_or_default()
                .to_owned(),
        };
        let taken_over = answered && call.released.is_some();
        // While a transfer target is being called, the session is not renegotiated:
        // the target's offer was made from the session as it stood.
        let transferring = call.transfer.is_some();
        match cseq.method {
            Method::Bye if self.transferor_left(now, tx, id, side, &msg) => {}
            Method::Bye => self.on_bye(now, tx, id, side, msg, answered),
            method if taken_over => self.taken_over_request(now, tx, id, side, &msg, method),
            Method::Invite if !answered => self.reject(now, tx, &msg, 491, "Request Pending", &[]),
            Method::Invite => {
                if transferring {
                    self.reject(
                        now,
                        tx,
                        &msg,
                        491,
                        "Request Pending (transfer in progress)",
                        &[],
                    );
                } else {
                    self.on_reinvite(now, tx, id, side, msg);
                }
            }
            Method::Update if transferring && has_sdp(&msg) => {
                self.reject(
                    now,
                    tx,
                    &msg,
                    491,
                    "Request Pending (transfer in progress)",
                    &[],
                );
            }
            Method::Refer => {
                if self.on_refer(now, tx, id, side, &msg) == ReferPolicy::Relay {
                    self.relay_request(now, tx, id, side, msg, &incoming_tag);
                }
            }
            _ => {
                self.relay_request(now, tx, id, side, msg, &incoming_tag);
            }
        }
    }

    fn on_bye(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        id: CallRef,
        side: LegSide,
        msg: SipMessage,
        answered: bool,
    ) {
        self.reject(now, tx, &msg, 200, "OK", &[]);
        if !answered {
            // BYE in an early dialog from the caller ends the attempt like a CANCEL.
            if side == LegSide::A {
                if let Some(a_tx) = self.calls.get(&id).map(|c| c.a_invite_tx) {
                    self.on_cancel(now, a_tx);
                }
            }
            return;
        }
        self.settle_pending_ack(now, id);
        self.send_bye(now, id, side.other(), Some(&msg));
        self.end_call(now, id, 200, EndCause::NormalClearing, Some(side));
    }

    /// A callee 2xx held for the caller's ACK (late offer) must still be ACKed when the
    /// call ends first (§13.2.2.4); the ACK carries an answer refusing every stream.
    pub(super) fn settle_pending_ack(&mut self, now: Instant, id: CallRef) {
        let media_ip = self.settings.media_ip;
        let Some((tx, two_xx)) = self.calls.get_mut(&id).and_then(|c| c.pending_b_ack.take())
        else {
            return;
        };
        let answer = rejecting_answer(two_xx.body(), media_ip).ok();
        self.send_ack_b(now, id, tx, answer.as_deref());
    }

    /// Hangs up an answered call from the SBC's side: BYE on both legs.
    pub(super) fn hang_up(
        &mut self,
        now: Instant,
        id: CallRef,
        first: LegSide,
        status: u16,
        cause: EndCause,
        by: Option<LegSide>,
    ) {
        self.settle_pending_ack(now, id);
        self.send_bye(now, id, first, None);
        self.send_bye(now, id, first.other(), None);
        self.end_call(now, id, status, cause, by);
    }

    pub(super) fn send_bye(
        &mut self,
        now: Instant,
        id: CallRef,
        on: LegSide,
        cause_from: Option<&SipMessage>,
    ) {
        self.send_bye_with(now, id, on, cause_from, &[]);
    }

    /// BYE on a dialog the engine holds outside a call's two legs (a supervisor's, a
    /// transfer target's), with `extra` headers of the SBC's own (e.g. a Reason).
    pub(super) fn bye_leg(&mut self, now: Instant, leg: &mut Leg, extra: &[(&str, &str)]) {
        let branch = self.txl.new_branch();
        let ua = self.user_agent();
        let bye = bye_request(
            &mut self.buf,
            &self.settings,
            leg,
            &branch,
            &ua,
            None,
            extra,
        );
        if let Some((bye, dest)) = bye {
            if let Some(ctx) = self.send_request(now, bye, dest) {
                self.client_roles.insert(ctx, ClientRole::Own);
            }
        }
    }

    /// As `send_bye`, with `extra` headers of the SBC's own (e.g. a Reason).
    pub(super) fn send_bye_with(
        &mut self,
        now: Instant,
        id: CallRef,
        on: LegSide,
        cause_from: Option<&SipMessage>,
        extra: &[(&str, &str)],
    ) {
        let branch = self.txl.new_branch();
        let ua = self.user_agent();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.is_gone(on) {
            return;
        }
        // The BYE carries the other side's end-to-end headers (e.g. Reason).
        let bye = bye_request(
            &mut self.buf,
            &self.settings,
            call.leg_mut(on),
            &branch,
            &ua,
            cause_from,
            extra,
        );
        if let Some((bye, dest)) = bye {
            if let Some(ctx) = self.send_request(now, bye, dest) {
                self.client_roles.insert(ctx, ClientRole::Own);
            }
        }
    }

    fn on_reinvite(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        id: CallRef,
        side: LegSide,
        msg: SipMessage,
    ) {
        let pending = self.calls.get(&id).and_then(|c| c.reinvite);
        if let Some(p) = pending {
            if p.from == side {
                // §14.2: a second INVITE from the same side before the first is answered.
                let retry = self.rng.gen_range(1..=10u32).to_string();
                return self.reject(
                    now,
                    tx,
                    &msg,
                    500,
                    "Server Internal Error (INVITE pending)",
                    &[("Retry-After", &retry)],
                );
            }
            // Glare: the other side's re-INVITE is in flight toward this side.
            return self.reject(now, tx, &msg, 491, "Request Pending", &[]);
        }
        let offerless = !has_sdp(&msg);
        if let Some((ctx, cseq)) = self.relay_request(now, tx, id, side, msg, "") {
            let deadline = now + self.settings.config.sip.timer_c;
            if let Some(call) = self.calls.get_mut(&id) {
                call.reinvite = Some(PendingReinvite {
                    from: side,
                    offerless,
                    client_tx: ctx,
                    cseq,
                    answered: false,
                    deadline,
                });
            }
            self.call_timers.insert((deadline, id));
        }
    }

    /// Relays an in-dialog request to the other leg. Returns the client transaction and
    /// the CSeq used, or `None` if the request was answered here (bad SDP, no ports).
    fn relay_request(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        id: CallRef,
        from: LegSide,
        msg: SipMessage,
        incoming_tag: &str,
    ) -> Option<(ClientTxId, u32)> {
        let method = msg.method()?;
        let to = from.other();
        let branch = self.txl.new_branch();
        let ua = self.user_agent();
        let media_ip = self.settings.media_ip;
        let call = self.calls.get_mut(&id)?;
        self.sdp_buf.clear();
        let mut deferred = RemoteUpdates::new();
        if has_sdp(&msg) {
            // An offer (re-INVITE, UPDATE) becomes the session only with its answer;
            // anything else with SDP (an answer in PRACK) applies now.
            let offer = matches!(method, Method::Invite | Method::Update);
            let mut env = Env {
                media: self.media.as_ref(),
                media_ip,
                rng: &mut *self.key_rng,
            };
            let sdp = Received {
                from,
                role: if offer {
                    SdpRole::Offer
                } else {
                    SdpRole::Answer
                },
                body: msg.body(),
            };
            match prepare(&mut env, call, sdp, &mut self.sdp_buf) {
                Ok(updates) if offer => deferred = updates,
                Ok(updates) => apply(env.media, id, &updates),
                Err(e) => {
                    let (status, reason) = e.status();
                    self.reject(now, tx, &msg, status, reason, &[]);
                    return None;
                }
            }
        }
        let cseq = call.leg_mut(to).next_cseq();
        let call = self.calls.get(&id)?;
        let v = relay_view(call, to, incoming_tag);
        let dest = routing::next_hop(v.route_set, v.target, v.fallback);
        let hop = Hop::for_peer(&self.settings, dest);
        let rack = rewrite_rack(&msg, invite_cseq(call, to));
        let extra: Vec<(&str, &str)> = rack.iter().map(|r| ("RAck", r.as_str())).collect();
        let ctype = msg.content_type().unwrap_or(SDP).to_owned();
        let body: &[u8] = if has_sdp(&msg) {
            &self.sdp_buf
        } else {
            msg.body()
        };
        let p = Payload {
            e2e_from: Some(&msg),
            body: Some((&ctype, body)),
            user_agent: &ua,
            ..Payload::default()
        };
        let req = build::dialog_request(
            &mut self.buf,
            &v,
            hop,
            method,
            cseq,
            &branch,
            Payload { extra: &extra, ..p },
        )?;
        let ctx = self.send_request(now, req, dest)?;
        self.client_roles.insert(
            ctx,
            ClientRole::Relay {
                call: id,
                server_tx: tx,
                from,
                method,
            },
        );
        self.relayed.insert(
            tx,
            Relayed {
                call: id,
                req: msg,
                deferred,
            },
        );
        Some((ctx, cseq))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_relay_response(
        &mut self,
        now: Instant,
        ctx: ClientTxId,
        id: CallRef,
        server_tx: ServerTxId,
        from: LegSide,
        method: Method,
        msg: SipMessage,
    ) {
        let status = msg.status().unwrap_or(0);
        if status == 100 {
            return;
        }
        if method == Method::Invite && (101..200).contains(&status) {
            self.restart_reinvite_timer(now, id);
        }
        let Some(req) = self.relayed.get(&server_tx).map(|r| r.req.clone()) else {
            return;
        };
        if status >= 200 {
            if let Some(r) = self.relayed.remove(&server_tx) {
                if (200..300).contains(&status) {
                    // The offer is now the session: media goes to its addresses.
                    apply(self.media.as_ref(), id, &r.deferred);
                }
            }
        }
        let responder = from.other();
        let media_ip = self.settings.media_ip;
        let Some(call) = self.calls.get_mut(&id) else {
            if (200..300).contains(&status) && method == Method::Invite {
                self.orphan_2xx(now, &msg);
            }
            return;
        };
        self.sdp_buf.clear();
        let mut refused = None;
        if has_sdp(&msg) {
            // An offerless re-INVITE gets the offer in its 2xx; else a response's SDP
            // is the answer.
            let role = match call.reinvite {
                Some(p) if method == Method::Invite && p.offerless => SdpRole::Offer,
                _ => SdpRole::Answer,
            };
            let mut env = Env {
                media: self.media.as_ref(),
                media_ip,
                rng: &mut *self.key_rng,
            };
            let sdp = Received {
                from: responder,
                role,
                body: msg.body(),
            };
            if let Err(e) = anchor(&mut env, call, sdp, &mut self.sdp_buf) {
                tracing::warn!(call = %id, error = %e, "SDP in relayed response refused");
                refused = Some(e);
            }
        }
        if let Some(e) = refused.filter(|e| matches!(e, AnchorError::Srtp(_))) {
            if (200..300).contains(&status) {
                return self.refuse_relayed_2xx(now, id, responder, ctx, server_tx, &req, &msg, &e);
            }
        }
        let mut ack_now = None;
        if method == Method::Invite && status >= 200 {
            if (200..300).contains(&status) {
                if let Some(c) = msg.contact().and_then(Result::ok) {
                    call.leg_mut(responder).remote_target = Some(c.uri.to_owned());
                    // target refresh
                }
                match call.reinvite.as_mut() {
                    Some(p) if p.offerless && has_sdp(&msg) => p.answered = true, // answer comes in the ACK
                    Some(p) => {
                        ack_now = Some(p.cseq);
                        call.reinvite = None;
                    }
                    None => ack_now = msg.cseq().ok().map(|c| c.seq),
                }
            } else {
                call.reinvite = None;
            }
        }
        let from_peer = call.leg(from).peer;
        if let Some(cseq) = ack_now {
            self.send_dialog_ack(now, id, responder, ctx, cseq, None);
        }
        let ua = self.user_agent();
        let reason = msg.reason_phrase().unwrap_or_default().to_owned();
        let dialog_hop =
            (method == Method::Invite || method == Method::Update).then(|| self.hop(from_peer));
        let ctype = msg.content_type().unwrap_or(SDP).to_owned();
        let body = std::mem::take(&mut self.sdp_buf);
        let body_ref: &[u8] = if has_sdp(&msg) { &body } else { msg.body() };
        let p = Payload {
            e2e_from: Some(&msg),
            body: Some((&ctype, body_ref)),
            user_agent: &ua,
            ..Payload::default()
        };
        let resp = build::response(
            &mut self.buf,
            &req,
            status,
            &reason,
            None,
            dialog_hop.filter(|_| (101..300).contains(&status)),
            p,
        );
        self.sdp_buf = body;
        if let Some(r) = resp {
            self.respond(now, server_tx, r);
        }
    }

    /// A relayed re-INVITE or UPDATE was accepted with SDP the SBC cannot use on SRTP
    /// grounds (an answer that fits none of its crypto lines, or an offer against the
    /// responder's policy). The responder already holds the new session, so the call
    /// cannot stay as it was: the responder's 2xx is ACKed (with an answer refusing
    /// every stream if it carried an offer), the sender gets 488, and both legs BYE.
    #[allow(clippy::too_many_arguments)]
    fn refuse_relayed_2xx(
        &mut self,
        now: Instant,
        id: CallRef,
        responder: LegSide,
        ctx: ClientTxId,
        server_tx: ServerTxId,
        req: &SipMessage,
        msg: &SipMessage,
        e: &AnchorError,
    ) {
        let (status, reason) = e.answer_status();
        let pending = self.calls.get_mut(&id).and_then(|c| c.reinvite.take());
        if msg.cseq().map(|c| c.method) == Ok(Method::Invite) {
            let offer_in_2xx = pending.is_some_and(|p| p.offerless);
            let body = offer_in_2xx
                .then(|| rejecting_answer(msg.body(), self.settings.media_ip).ok())
                .flatten();
            let cseq = pending.map_or_else(|| msg.cseq().map(|c| c.seq).unwrap_or(1), |p| p.cseq);
            self.send_dialog_ack(now, id, responder, ctx, cseq, body.as_deref());
        }
        self.reject(now, server_tx, req, status, reason, &[]);
        self.hang_up(now, id, LegSide::A, status, EndCause::Refused, None);
    }

    /// Each provisional to a relayed re-INVITE restarts its Timer C (§16.7 step 2).
    pub(super) fn restart_reinvite_timer(&mut self, now: Instant, id: CallRef) {
        let deadline = now + self.settings.config.sip.timer_c;
        if let Some(p) = self.calls.get_mut(&id).and_then(|c| c.reinvite.as_mut()) {
            p.deadline = deadline;
            self.call_timers.insert((deadline, id));
        }
    }

    /// A relayed re-INVITE's Timer C fired: CANCEL it toward the other leg. Its final
    /// (487, or a 2xx that crossed the CANCEL) is relayed as usual; if none comes, the
    /// transaction layer ends it 64*T1 later and the sender gets 408.
    pub(super) fn fire_reinvite_timer(&mut self, now: Instant, id: CallRef, at: Instant) {
        let pending = self.calls.get(&id).and_then(|c| c.reinvite);
        if let Some(p) = pending.filter(|p| p.deadline == at && !p.answered) {
            self.metrics
                .transaction_timeouts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let _ = self.txl.cancel(now, p.client_tx);
        }
    }

    /// ACK for a 2xx on `side`'s dialog, optionally carrying the answer SDP.
    pub(super) fn send_dialog_ack(
        &mut self,
        now: Instant,
        id: CallRef,
        side: LegSide,
        tx: ClientTxId,
        cseq: u32,
        body: Option<&[u8]>,
    ) {
        let branch = self.txl.new_branch();
        let ua = self.user_agent();
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let leg = call.leg(side);
        let dest = routing::next_hop(&leg.route_set, leg.remote_target.as_deref(), leg.peer);
        let hop = Hop::for_peer(&self.settings, dest);
        let p = Payload {
            body: body.map(|b| (SDP, b)),
            user_agent: &ua,
            ..Payload::default()
        };
        if let Some(ack) = build::dialog_request(
            &mut self.buf,
            &view(leg),
            hop,
            Method::Ack,
            cseq,
            &branch,
            p,
        ) {
            self.txl.send_ack_for_2xx(now, tx, ack, dest);
        }
    }

    /// An ACK for a 2xx. Usually nothing to do (we ACKed the other leg already); with a
    /// late offer or an offerless re-INVITE it carries the answer for the other leg.
    pub(super) fn on_ack(&mut self, now: Instant, msg: SipMessage) {
        let tag = msg.to_hdr().ok().and_then(|t| t.tag().map(str::to_owned));
        if tag.as_deref().is_some_and(|t| self.monitor_ack(t)) {
            return;
        }
        let Some(&(id, side)) = tag.as_deref().and_then(|t| self.dialogs.get(t)) else {
            return self.metrics.count_drop(SipDrop::StrayAck);
        };
        let media_ip = self.settings.media_ip;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // The other leg's 2xx that carried the offer (late offer: kept in full, so a
        // refused answer can still be turned into one refusing every stream).
        let (other_tx, cseq, offer_2xx) = if side == LegSide::A && call.pending_b_ack.is_some() {
            let Some((tx, two_xx)) = call.pending_b_ack.take() else {
                return;
            };
            (tx, 1, Some(two_xx))
        } else {
            match call.reinvite {
                Some(p) if p.from == side && p.offerless && p.answered => {
                    call.reinvite = None;
                    (p.client_tx, p.cseq, None)
                }
                _ => return,
            }
        };
        self.sdp_buf.clear();
        let mut refused = false;
        if has_sdp(&msg) {
            let mut env = Env {
                media: self.media.as_ref(),
                media_ip,
                rng: &mut *self.key_rng,
            };
            let sdp = Received {
                from: side,
                role: SdpRole::Answer,
                body: msg.body(),
            };
            if let Err(e) = anchor(&mut env, call, sdp, &mut self.sdp_buf) {
                tracing::warn!(call = %id, error = %e, "SDP answer in ACK refused");
                refused = matches!(e, AnchorError::Srtp(_));
            }
        }
        if refused {
            // An answer that fits none of the SBC's crypto lines: the other leg's
            // offer gets an answer refusing every stream, and the call ends.
            let answer = offer_2xx.and_then(|m| rejecting_answer(m.body(), media_ip).ok());
            self.send_dialog_ack(now, id, side.other(), other_tx, cseq, answer.as_deref());
            return self.hang_up(now, id, side, 488, EndCause::Refused, None);
        }
        let body = std::mem::take(&mut self.sdp_buf);
        self.send_dialog_ack(
            now,
            id,
            side.other(),
            other_tx,
            cseq,
            (!body.is_empty()).then_some(&body[..]),
        );
        self.sdp_buf = body;
    }

    /// The caller never ACKed our 2xx (Timer L): the SBC hangs up both legs (§13.3.1.4).
    pub(super) fn on_ack_timeout(&mut self, now: Instant, tx: ServerTxId) {
        if self.monitor_ack_timeout(now, tx) {
            return;
        }
        let Some(&id) = self.server_roles.get(&tx) else {
            return;
        };
        if self.calls.get(&id).map(|c| c.phase) == Some(CallPhase::Answered) {
            self.hang_up(now, id, LegSide::A, 200, EndCause::AckTimeout, None);
        }
    }
}

/// PRACK's RAck names the INVITE's CSeq of the leg it travels on: `rseq cseq method`.
fn rewrite_rack(msg: &SipMessage, invite_cseq: u32) -> Option<String> {
    let rack = msg.header(HeaderName::RAck)?;
    let mut parts = rack.split_whitespace();
    let rseq = parts.next()?;
    let _old = parts.next()?;
    let method = parts.next()?;
    Some(format!("{rseq} {invite_cseq} {method}"))
}

/// A BYE in `leg`'s dialog (its next CSeq) and where it goes, with `cause_from`'s
/// end-to-end headers if given, and `extra` headers of the SBC's own.
fn bye_request(
    buf: &mut bytes::BytesMut,
    settings: &super::settings::EngineSettings,
    leg: &mut Leg,
    branch: &str,
    user_agent: &str,
    cause_from: Option<&SipMessage>,
    extra: &[(&str, &str)],
) -> Option<(SipMessage, Peer)> {
    let cseq = leg.next_cseq();
    let dest = routing::next_hop(&leg.route_set, leg.remote_target.as_deref(), leg.peer);
    let hop = Hop::for_peer(settings, dest);
    let p = Payload {
        e2e_from: cause_from,
        extra,
        user_agent,
        ..Payload::default()
    };
    let bye = build::dialog_request(buf, &view(leg), hop, Method::Bye, cseq, branch, p)?;
    Some((bye, dest))
}
