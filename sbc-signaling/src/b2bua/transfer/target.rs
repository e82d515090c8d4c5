//! The transfer target's dialog: the SBC's INVITE to it (the SBC is the UAC), its
//! responses, Timer C, and the end of the attempt, which either swaps the target in
//! for the departing party (`commit`) or leaves the call as it was (`fail`).

use std::time::Instant;

use sbc_core::call::EndCause;
use sbc_core::config::TrunkConfig;
use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{LocalEndpoint, MediaControl};
use smallvec::SmallVec;

use super::offer::{self, OfferInput};
use super::{Target, TargetStreams, Transfer};
use crate::b2bua::anchor::{apply, origin_key, RemoteUpdates};
use crate::b2bua::build::{self, Hop, Payload};
use crate::b2bua::call::{Call, Leg};
use crate::b2bua::dialog::view;
use crate::b2bua::invite::{has_sdp, SDP};
use crate::b2bua::monitor::party_hints;
use crate::b2bua::settings::host_port;
use crate::b2bua::srtp::LegPolicy;
use crate::b2bua::{routing, B2bua, CallEvent, ClientRole};
use crate::net::TransportKind;
use crate::sdp::Sdp;
use crate::sip::{HeaderName, Method, SipMessage};
use crate::transaction::{ClientTxId, ServerTxId};

/// The Reason (RFC 3326) of the BYE the departing party gets.
const TRANSFERRED: &str = "SIP;cause=200;text=\"Call transferred\"";

/// Why a refusal happened, as (status, reason) for the REFER or the NOTIFY.
type Refusal = (u16, &'static str);

/// Identity headers of the other party's INVITE that the target gets too (the
/// customer's number, as the departing party saw it).
const IDENTITY: [&str; 2] = ["P-Asserted-Identity", "Privacy"];

impl B2bua {
    /// Sends the INVITE to the transfer target and records the attempt on the call.
    pub(super) fn call_target(
        &mut self,
        now: Instant,
        id: CallRef,
        side: LegSide,
        trunk: &TrunkConfig,
        target: Target,
    ) -> Result<(), Refusal> {
        let peer = routing::trunk_peer(trunk);
        let hop = self.hop(peer);
        let (tag, call_id) = (self.token(12), self.token(24));
        let session_id = u64::from(self.rng_u32());
        let branch = self.txl.new_branch();
        let ua = self.user_agent();
        let media_ip = self.settings.media_ip;
        let max_forwards = self.settings.config.sip.max_forwards;
        let policy = LegPolicy::of(Some(trunk));
        let call = self
            .calls
            .get(&id)
            .ok_or((481, "Call/Transaction Does Not Exist"))?;
        let departing = call.leg(side);
        if departing.last_sdp.is_empty() {
            return Err((488, "Not Acceptable Here (no media session to transfer)"));
        }
        let streams = allocate_streams(self.media.as_ref(), call, side)?;
        let endpoints: SmallVec<[Option<LocalEndpoint>; 4]> =
            streams.iter().map(|s| s.map(|(_, e)| e)).collect();
        let input = OfferInput {
            template: &departing.last_sdp,
            other: &call.leg(side.other()).last_sdp,
            endpoints: &endpoints,
            media_ip,
            session_id,
            policy: &policy,
        };
        let mut body = Vec::new();
        let srtp = match offer::write(&input, &mut *self.key_rng, &mut body) {
            Ok(s) => s,
            Err(e) => {
                release_streams(self.media.as_ref(), &streams);
                return Err(e.status());
            }
        };
        let transport = if peer.transport == TransportKind::Tcp {
            ";transport=tcp"
        } else {
            ""
        };
        let host = host_port(peer.addr);
        let mut leg = Leg {
            call_id,
            local_tag: tag,
            remote_tag: None,
            local_uri: departing.local_uri.clone(),
            remote_uri: format!("<sip:{}@{host}>", target.user),
            remote_target: Some(format!("sip:{}@{host}{transport}", target.user)),
            route_set: Vec::new(),
            peer,
            local_cseq: 0,
            remote_cseq: None,
            sdp_session_id: session_id,
            sdp_version: 1,
            last_sdp: body,
            remote_origin: None,
        };
        let cseq = leg.next_cseq();
        // The other party's identity as its own INVITE gave it (when it was the caller).
        let other_invite = (side == LegSide::B).then(|| call.a_invite.clone());
        let mut extra: Vec<(&str, &str)> = IDENTITY
            .iter()
            .filter_map(|name| {
                let value = other_invite.as_ref()?.header_by_name(name)?;
                Some((*name, value))
            })
            .collect();
        if let Some(r) = target.referred_by.as_deref() {
            extra.push(("Referred-By", r));
        }
        let p = Payload {
            body: Some((SDP, &leg.last_sdp)),
            user_agent: &ua,
            max_forwards: Some(max_forwards),
            extra: &extra,
            e2e_from: None,
        };
        let invite = build::dialog_request(
            &mut self.buf,
            &view(&leg),
            hop,
            Method::Invite,
            cseq,
            &branch,
            p,
        );
        let ctx = invite.and_then(|invite| self.send_request(now, invite, peer));
        let Some(ctx) = ctx else {
            release_streams(self.media.as_ref(), &streams);
            return Err((500, "Server Internal Error"));
        };
        self.client_roles.insert(ctx, ClientRole::Transfer(id));
        let deadline = now + self.settings.config.sip.timer_c;
        self.call_timers.insert((deadline, id));
        if let Some(call) = self.calls.get_mut(&id) {
            call.transfer = Some(Box::new(Transfer {
                side,
                event: target.event,
                leg,
                streams,
                tx: ctx,
                trunk: trunk.name.clone(),
                srtp,
                policy,
                deadline,
                timed_out: false,
                target_uri: target.uri,
            }));
        }
        Ok(())
    }

    /// A response from the transfer target.
    pub(in crate::b2bua) fn on_transfer_response(
        &mut self,
        now: Instant,
        ctx: ClientTxId,
        id: CallRef,
        msg: SipMessage,
    ) {
        let status = msg.status().unwrap_or(0);
        let live = self
            .calls
            .get(&id)
            .and_then(|c| c.transfer.as_ref())
            .is_some_and(|t| t.tx == ctx);
        if !live {
            // The call ended or the attempt was given up: a late answer is hung up.
            if (200..300).contains(&status) {
                self.orphan_2xx(now, &msg);
            }
            return;
        }
        match status {
            101..=199 => self.restart_transfer_timer(now, id),
            200..=299 => self.answer_transfer(now, ctx, id, &msg),
            300..=699 => {
                let Some(t) = self.take_transfer(id) else {
                    return;
                };
                let reason = msg.reason_phrase().unwrap_or_default().to_owned();
                let (status, reason) = if t.timed_out {
                    (408, "Request Timeout".to_owned())
                } else {
                    (status, reason)
                };
                self.fail_transfer(now, id, *t, status, &reason);
            }
            _ => {}
        }
    }

    /// The target's INVITE ended without a final response (Timer B, unreachable).
    pub(in crate::b2bua) fn transfer_unanswered(
        &mut self,
        now: Instant,
        ctx: ClientTxId,
        id: CallRef,
        status: u16,
        reason: &str,
    ) {
        let live = self
            .calls
            .get(&id)
            .and_then(|c| c.transfer.as_ref())
            .is_some_and(|t| t.tx == ctx);
        if let Some(t) = live.then(|| self.take_transfer(id)).flatten() {
            self.fail_transfer(now, id, *t, status, reason);
        }
    }

    /// Timer C of the target's INVITE fired: CANCEL it; its 487 ends the attempt as a
    /// timeout (or, with no provisional seen, Timer B does).
    pub(in crate::b2bua) fn fire_transfer_timer(&mut self, now: Instant, id: CallRef, at: Instant) {
        let Some(t) = self.calls.get_mut(&id).and_then(|c| c.transfer.as_mut()) else {
            return;
        };
        if t.deadline != at || t.timed_out {
            return;
        }
        t.timed_out = true;
        let tx = t.tx;
        self.metrics
            .transaction_timeouts
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let _ = self.txl.cancel(now, tx);
    }

    /// The call is ending: a target still being called gets a CANCEL (a 2xx crossing
    /// it is ACKed and hung up as an orphan).
    pub(in crate::b2bua) fn abandon_transfer(&mut self, now: Instant, id: CallRef) {
        if let Some(t) = self.take_transfer(id) {
            release_streams(self.media.as_ref(), &t.streams);
            let _ = self.txl.cancel(now, t.tx);
        }
    }

    /// A BYE from the departing party while its target is being called: answered,
    /// and the other party stays on to be connected to the target. False if no
    /// transfer of `side` is in progress (an ordinary BYE).
    pub(in crate::b2bua) fn transferor_left(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        id: CallRef,
        side: LegSide,
        msg: &SipMessage,
    ) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        if call.transfer.as_ref().is_none_or(|t| t.side != side) {
            return false;
        }
        call.released = Some(side);
        let tag = call.leg(side).local_tag.clone();
        self.dialogs.remove(&tag);
        self.reject(now, tx, msg, 200, "OK", &[]);
        true
    }

    fn take_transfer(&mut self, id: CallRef) -> Option<Box<Transfer>> {
        self.calls.get_mut(&id).and_then(|c| c.transfer.take())
    }

    fn restart_transfer_timer(&mut self, now: Instant, id: CallRef) {
        let deadline = now + self.settings.config.sip.timer_c;
        if let Some(t) = self.calls.get_mut(&id).and_then(|c| c.transfer.as_mut()) {
            if !t.timed_out {
                t.deadline = deadline;
                self.call_timers.insert((deadline, id));
            }
        }
    }

    /// The target answered: its dialog is confirmed (ACK) and, if its answer fits the
    /// offer, it takes the departing party's place.
    fn answer_transfer(&mut self, now: Instant, ctx: ClientTxId, id: CallRef, msg: &SipMessage) {
        let Some(mut t) = self.take_transfer(id) else {
            return;
        };
        t.leg.remote_tag = msg.to_hdr().ok().and_then(|h| h.tag()).map(str::to_owned);
        t.leg.remote_target = msg.contact().and_then(Result::ok).map(|c| c.uri.to_owned());
        let mut route_set: Vec<String> = msg
            .header_values(HeaderName::RecordRoute)
            .map(str::to_owned)
            .collect();
        route_set.reverse();
        t.leg.route_set = route_set;
        let cseq = t.leg.local_cseq;
        self.ack_target(now, &t.leg, ctx, cseq);
        match self.target_answer(id, &t, msg) {
            Ok((updates, origin)) => self.commit_transfer(now, id, *t, &updates, origin, msg),
            Err((status, reason)) => {
                let _span = crate::b2bua::call_span(id).entered();
                tracing::warn!(status, reason, "transfer target's answer refused");
                self.bye_target(now, &mut t.leg, status);
                self.fail_transfer(now, id, *t, status, reason);
            }
        }
    }

    /// Where media to the target goes, per stream, from its answer.
    fn target_answer(
        &self,
        id: CallRef,
        t: &Transfer,
        msg: &SipMessage,
    ) -> Result<(RemoteUpdates, String), Refusal> {
        if !has_sdp(msg) {
            return Err((502, "Bad Gateway (no SDP answer from the transfer target)"));
        }
        let sdp = Sdp::parse(msg.body())
            .map_err(|_| (502, "Bad Gateway (malformed SDP from the transfer target)"))?;
        let keyings = t
            .srtp
            .check_answer(&sdp)
            .map_err(|_| (488, "Not Acceptable Here (unusable SRTP answer)"))?;
        if !self.calls.contains_key(&id) {
            return Err((481, "Call/Transaction Does Not Exist"));
        }
        let updates = super::stream_remotes(&sdp, &keyings, |i| {
            t.streams.get(i).copied().flatten().map(|(s, _)| s)
        });
        if updates.is_empty() {
            return Err((
                488,
                "Not Acceptable Here (the transfer target refused every stream)",
            ));
        }
        Ok((updates, origin_key(&sdp)))
    }

    /// The target takes the departing party's place.
    fn commit_transfer(
        &mut self,
        now: Instant,
        id: CallRef,
        t: Transfer,
        updates: &RemoteUpdates,
        origin: String,
        answer: &SipMessage,
    ) {
        let side = t.side;
        if let Some(event) = t.event.as_deref() {
            self.notify_refer(now, id, side, event, (200, "OK"), true);
        }
        self.send_bye_with(now, id, side, None, &[("Reason", TRANSFERRED)]);
        // Supervisors were there for the departing party: they do not follow the call.
        self.end_monitoring_for_transfer(now, id);
        apply(self.media.as_ref(), id, updates);
        self.swap_streams(id, side, &t.streams);
        let hints = party_hints(
            &self.settings.config,
            answer,
            Some(&t.trunk),
            Some(&t.target_uri),
        );
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let mut leg = t.leg;
        leg.remote_origin = Some(origin);
        let new_tag = leg.local_tag.clone();
        let old = std::mem::replace(call.leg_mut(side), leg);
        t.srtp.adopt(&mut call.srtp, side);
        match side {
            LegSide::A => {
                call.srtp_policies.a = t.policy;
                call.ingress = Some(t.trunk.clone());
            }
            LegSide::B => {
                call.srtp_policies.b = t.policy;
                call.target = t.trunk.clone();
                call.b_gone = false;
            }
        }
        if call.released == Some(side) {
            call.released = None;
        }
        self.dialogs.remove(&old.local_tag);
        self.dialogs.insert(new_tag, (id, side));
        self.resume_after_transfer(now, id, side.other());
        let _span = crate::b2bua::call_span(id).entered();
        tracing::info!(target_trunk = %t.trunk, "transfer completed");
        self.events.push_back(CallEvent::Transferred {
            call: id,
            side,
            target: t.trunk,
            party: hints,
        });
    }

    /// The target's streams take the departing party's place: each is connected to
    /// the other party's stream of its m= line, and the departing party's is released.
    fn swap_streams(
        &mut self,
        id: CallRef,
        side: LegSide,
        streams: &[Option<(StreamId, LocalEndpoint)>],
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return release_streams(self.media.as_ref(), streams);
        };
        for (slot, new) in call.media.iter_mut().zip(streams) {
            let (Some(pair), Some(new)) = (slot.as_mut(), *new) else {
                continue;
            };
            let (kept, old) = (pair.facing(side.other()).0, pair.facing(side).0);
            if let Err(e) = self.media.connect(kept, new.0) {
                tracing::warn!(call = %id, error = %e, "media plane refused the transfer swap");
            }
            self.media.release_stream(old);
            match side {
                LegSide::A => pair.a = new,
                LegSide::B => pair.b = new,
            }
        }
    }

    /// The attempt failed: the departing party learns why and keeps the call; if it
    /// already hung up, the other party has nobody left and the call ends.
    fn fail_transfer(&mut self, now: Instant, id: CallRef, t: Transfer, status: u16, reason: &str) {
        release_streams(self.media.as_ref(), &t.streams);
        let side = t.side;
        let _span = crate::b2bua::call_span(id).entered();
        tracing::info!(status, reason, "transfer failed");
        let gone = self.calls.get(&id).is_some_and(|c| c.is_gone(side));
        if gone {
            self.send_bye(now, id, side.other(), None);
            return self.end_call(now, id, status, EndCause::NormalClearing, Some(side));
        }
        if let Some(event) = t.event {
            self.notify_refer(now, id, side, &event, (status, reason), true);
        }
    }

    fn ack_target(&mut self, now: Instant, leg: &Leg, ctx: ClientTxId, cseq: u32) {
        let branch = self.txl.new_branch();
        let ua = self.user_agent();
        let dest = routing::next_hop(&leg.route_set, leg.remote_target.as_deref(), leg.peer);
        let hop = Hop::for_peer(&self.settings, dest);
        let p = Payload {
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
            self.txl.send_ack_for_2xx(now, ctx, ack, dest);
        }
    }

    /// Hangs up a target whose answer cannot be used.
    fn bye_target(&mut self, now: Instant, leg: &mut Leg, status: u16) {
        let reason = format!("SIP;cause={status};text=\"Unusable answer\"");
        self.bye_leg(now, leg, &[("Reason", reason.as_str())]);
    }
}

/// A new stream toward the target for every m= line the call has media on.
fn allocate_streams(
    media: &dyn MediaControl,
    call: &Call,
    side: LegSide,
) -> Result<TargetStreams, Refusal> {
    let mut streams = SmallVec::new();
    for pair in &call.media {
        let stream = match pair {
            Some(_) => match media.allocate(call.id, side) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!(call = %call.id, error = %e, "no media for the transfer target");
                    release_streams(media, &streams);
                    return Err((503, "Service Unavailable (no media ports)"));
                }
            },
            None => None,
        };
        streams.push(stream);
    }
    Ok(streams)
}

fn release_streams(media: &dyn MediaControl, streams: &[Option<(StreamId, LocalEndpoint)>]) {
    for (stream, _) in streams.iter().flatten() {
        media.release_stream(*stream);
    }
}
