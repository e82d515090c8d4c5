//! Requests inside a supervisor's dialog, and its end: BYE from the supervisor, BYE
//! from the SBC when the monitored call ends, INFO digits (`application/dtmf-relay`,
//! the SIP way to press 1-4), re-INVITE refreshes (same answer, same SRTP keys: a
//! re-offer that changes the crypto gets 488, see `srtp`).

use std::time::Instant;

use sbc_core::ids::{CallRef, StreamId};
use sbc_core::monitoring::{MonitorSessionId, SessionEnd};

use super::{answer, srtp};
use crate::b2bua::build::{self, Payload};
use crate::b2bua::invite::{has_sdp, SDP};
use crate::b2bua::{B2bua, CallEvent};
use crate::net::Peer;
use crate::sip::{Method, SipMessage};
use crate::transaction::ServerTxId;

impl B2bua {
    /// An in-dialog request whose to-tag names a supervisor leg (true), else false.
    pub(in crate::b2bua) fn monitor_in_dialog(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        msg: &SipMessage,
        from: Peer,
        to_tag: &str,
    ) -> bool {
        let Some(&session) = self.monitor.by_tag.get(to_tag) else {
            return false;
        };
        let Some(leg) = self.monitor.legs.get_mut(&session) else {
            return false;
        };
        let Ok(cseq) = msg.cseq() else { return true };
        if msg.call_id().ok() != Some(leg.dialog.call_id.as_str()) {
            self.reject(now, tx, msg, 481, "Call/Transaction Does Not Exist", &[]);
            return true;
        }
        if leg.dialog.remote_cseq.is_some_and(|r| cseq.seq <= r) {
            self.reject(
                now,
                tx,
                msg,
                500,
                "Server Internal Error (CSeq out of order)",
                &[],
            );
            return true;
        }
        leg.dialog.remote_cseq = Some(cseq.seq);
        if leg.dialog.peer.addr == from.addr {
            leg.dialog.peer = from;
        }
        match cseq.method {
            Method::Bye => {
                self.reject(now, tx, msg, 200, "OK", &[]);
                self.end_supervisor_leg(now, session, SessionEnd::SupervisorHangup);
            }
            Method::Info => {
                let digit = dtmf_relay_digit(msg);
                self.reject(now, tx, msg, 200, "OK", &[]);
                if let Some(digit) = digit {
                    self.events
                        .push_back(CallEvent::MonitorDigit { session, digit });
                }
            }
            Method::Invite => self.monitor_reinvite(now, tx, msg, session),
            Method::Options => self.reject(now, tx, msg, 200, "OK", &[]),
            Method::Update if !has_sdp(msg) => self.reject(now, tx, msg, 200, "OK", &[]),
            _ => self.reject(now, tx, msg, 488, "Not Acceptable Here", &[]),
        }
        true
    }

    /// A re-INVITE from the supervisor (session refresh, new address): the same answer
    /// again (with the same SRTP line and key), with the media plane pointed at the new
    /// address and given the same keying (its SRTP contexts survive). A re-offer that
    /// changes the leg's crypto is refused (488) and changes nothing.
    fn monitor_reinvite(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        msg: &SipMessage,
        session: MonitorSessionId,
    ) {
        const REKEY: &str =
            "Not Acceptable Here (a re-INVITE may not change the supervisor's SRTP keys)";
        let Some(leg) = self.monitor.legs.get(&session) else {
            return;
        };
        let stream = leg.stream;
        if has_sdp(msg) {
            let keys = leg.srtp.as_ref();
            let acc = match answer::accept(msg.body(), &srtp::Policy::pinned(keys)) {
                Ok(acc) => acc,
                Err(e) if e.is_srtp() => return self.reject(now, tx, msg, 488, REKEY, &[]),
                Err(e) => return self.reject(now, tx, msg, 488, e.reason(), &[]),
            };
            let remote = match (keys, &acc.crypto) {
                (None, None) => acc.remote,
                (Some(keys), Some(line)) if keys.same_peer(line) => match keys.keying() {
                    Ok(keying) => acc.remote.with_srtp(keying),
                    Err(_) => {
                        let reason = "Server Internal Error (SRTP keys)";
                        return self.reject(now, tx, msg, 500, reason, &[]);
                    }
                },
                _ => return self.reject(now, tx, msg, 488, REKEY, &[]),
            };
            if let Err(e) = self.media.set_remote(stream, remote) {
                tracing::warn!(%session, error = %e, "supervisor re-INVITE not applied");
            }
        }
        let Some(leg) = self.monitor.legs.get(&session) else {
            return;
        };
        let body = leg.dialog.last_sdp.clone();
        let (tag, peer) = (leg.dialog.local_tag.clone(), leg.dialog.peer);
        self.ok_with_sdp(now, tx, msg, &tag, peer, &body);
    }

    /// 200 to an in-dialog request of a dialog the SBC answers itself (`tag` ours,
    /// `peer` where the dialog's requests come from), carrying `sdp`.
    pub(super) fn ok_with_sdp(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        msg: &SipMessage,
        tag: &str,
        peer: Peer,
        sdp: &[u8],
    ) {
        let hop = self.hop(peer);
        let ua = self.user_agent();
        let resp = build::response(
            &mut self.buf,
            msg,
            200,
            "OK",
            Some(tag),
            Some(hop),
            Payload {
                body: Some((SDP, sdp)),
                user_agent: &ua,
                ..Payload::default()
            },
        );
        if let Some(resp) = resp {
            self.respond(now, tx, resp);
        }
    }

    /// An ACK in a supervisor's dialog: nothing to do (true), or not ours (false).
    pub(in crate::b2bua) fn monitor_ack(&self, to_tag: &str) -> bool {
        self.monitor.by_tag.contains_key(to_tag)
    }

    /// The supervisor hung up (or its leg failed): stream released, the call's media
    /// picture rebuilt without it, the end reported. If it had taken over the call
    /// from a released agent, the call ends with it.
    fn end_supervisor_leg(&mut self, now: Instant, session: MonitorSessionId, end: SessionEnd) {
        let Some(call) = self.monitor.legs.get(&session).map(|l| l.call) else {
            return;
        };
        let _span = crate::b2bua::call_span(call).entered();
        tracing::info!(%session, end = end.as_str(), "supervisor left");
        if self.is_taker(call, session) {
            // Its stream goes with the call's.
            self.forget_leg(session);
            self.monitor_ended(session, end);
            return self.end_taken_over_call(now, call);
        }
        self.drop_leg(session);
        self.monitor_ended(session, end);
    }

    /// The supervisor's phone never ACKed the 200 of the join `tx` (true; false if
    /// `tx` is not a join): the leg is hung up with a BYE (RFC 3261 §13.3.1.4), as if
    /// the supervisor had left, and ends as `AckTimeout`.
    pub(in crate::b2bua) fn monitor_ack_timeout(&mut self, now: Instant, tx: ServerTxId) -> bool {
        let Some(session) = self.monitor.answered_by.remove(&tx) else {
            return false;
        };
        let Some(mut dialog) = self.monitor.legs.get(&session).map(|l| l.dialog.clone()) else {
            return true;
        };
        self.bye_leg(
            now,
            &mut dialog,
            &[("Reason", "SIP;cause=408;text=\"No ACK\"")],
        );
        self.end_supervisor_leg(now, session, SessionEnd::AckTimeout);
        true
    }

    /// The monitored call is ending: BYE to every supervisor on it (their streams go
    /// with the call's).
    pub(in crate::b2bua) fn end_monitoring(&mut self, now: Instant, call: CallRef) {
        self.hang_up_supervisors(now, call, SessionEnd::CallEnded, &[]);
        self.monitor.by_call.remove(&call);
    }

    /// BYE (with `extra` headers) to every supervisor leg of `call`, each forgotten
    /// and ended as `end`; returns their streams, which the caller releases or not.
    pub(super) fn hang_up_supervisors(
        &mut self,
        now: Instant,
        call: CallRef,
        end: SessionEnd,
        extra: &[(&str, &str)],
    ) -> Vec<StreamId> {
        let sessions = self
            .monitor
            .by_call
            .get(&call)
            .map(|cm| cm.sessions.clone())
            .unwrap_or_default();
        let mut streams = Vec::with_capacity(sessions.len());
        for session in sessions {
            let Some(mut leg) = self.forget_leg(session) else {
                continue;
            };
            self.bye_leg(now, &mut leg.dialog, extra);
            self.monitor_ended(session, end);
            streams.push(leg.stream);
        }
        streams
    }
}

/// The digit of an INFO with `Content-Type: application/dtmf-relay` (`Signal=2`).
fn dtmf_relay_digit(msg: &SipMessage) -> Option<char> {
    let ct = msg.content_type()?.trim().to_ascii_lowercase();
    if !ct.starts_with("application/dtmf-relay") {
        return None;
    }
    let body = std::str::from_utf8(msg.body()).ok()?;
    body.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("signal") {
            return None;
        }
        let mut chars = value.trim().chars();
        let c = chars.next()?.to_ascii_uppercase();
        (chars.next().is_none() && matches!(c, '0'..='9' | '*' | '#' | 'A'..='D')).then_some(c)
    })
}
