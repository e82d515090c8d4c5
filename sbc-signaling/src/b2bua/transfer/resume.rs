//! Taking the other party off hold after a transfer. A transferor usually holds the
//! other party before it sends REFER: the SBC relayed that hold, so its last SDP to
//! the other party says `sendonly` (or `inactive`) and the other party only listens.
//! The target cannot make it talk (its dialog is with the SBC), so once the target is
//! in, the SBC re-INVITEs the other party with the session it last sent it, made
//! `sendrecv` (o= version + 1; same endpoint, formats and SRTP keys). The answer
//! points the other party's stream at wherever it now wants media. While this
//! re-INVITE is out, re-INVITEs from either party get 491 (it holds the call's
//! re-INVITE slot). A refusal leaves the other party on hold: the target can still
//! resume it with a re-INVITE of its own.
//!
//! Only an RFC 3264 hold (a direction attribute) is undone; an RFC 2543 hold
//! (`c=0.0.0.0`) is left as it is.

use std::time::Instant;

use sbc_core::ids::{CallRef, LegSide};

use crate::b2bua::anchor::{apply, origin_key};
use crate::b2bua::build::{self, Hop, Payload};
use crate::b2bua::call::PendingReinvite;
use crate::b2bua::dialog::view;
use crate::b2bua::invite::{has_sdp, SDP};
use crate::b2bua::srtp::{self, SdpRole};
use crate::b2bua::{routing, B2bua, ClientRole};
use crate::sdp::Sdp;
use crate::sip::{Method, SipMessage};
use crate::transaction::ClientTxId;

impl B2bua {
    /// Re-INVITEs `other` with `sendrecv` if the SBC's last SDP to it holds it.
    pub(super) fn resume_after_transfer(&mut self, now: Instant, id: CallRef, other: LegSide) {
        let branch = self.txl.new_branch();
        let ua = self.user_agent();
        let deadline = now + self.settings.config.sip.timer_c;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.reinvite.is_some() || call.is_gone(other) {
            return;
        }
        let leg = call.leg_mut(other);
        let Some(body) = resumed(&leg.last_sdp, leg.sdp_version + 1) else {
            return;
        };
        let Ok(sdp) = Sdp::parse(&body) else {
            return;
        };
        srtp::reoffered(&mut call.srtp, other, &sdp);
        let leg = call.leg_mut(other);
        leg.sdp_version += 1;
        leg.last_sdp.clone_from(&body);
        let cseq = leg.next_cseq();
        let dest = routing::next_hop(&leg.route_set, leg.remote_target.as_deref(), leg.peer);
        let hop = Hop::for_peer(&self.settings, dest);
        let p = Payload {
            body: Some((SDP, &body)),
            user_agent: &ua,
            ..Payload::default()
        };
        let invite = build::dialog_request(
            &mut self.buf,
            &view(leg),
            hop,
            Method::Invite,
            cseq,
            &branch,
            p,
        );
        let Some(ctx) = invite.and_then(|invite| self.send_request(now, invite, dest)) else {
            return;
        };
        self.client_roles.insert(ctx, ClientRole::Resume(id));
        if let Some(call) = self.calls.get_mut(&id) {
            call.reinvite = Some(PendingReinvite {
                from: other.other(),
                offerless: false,
                client_tx: ctx,
                cseq,
                answered: false,
                deadline,
            });
        }
        self.call_timers.insert((deadline, id));
        let _span = crate::b2bua::call_span(id).entered();
        tracing::info!("taking the other party off hold after the transfer");
    }

    /// A response to the SBC's resume re-INVITE.
    pub(in crate::b2bua) fn on_resume_response(
        &mut self,
        now: Instant,
        ctx: ClientTxId,
        id: CallRef,
        msg: SipMessage,
    ) {
        let status = msg.status().unwrap_or(0);
        let pending = self
            .calls
            .get(&id)
            .and_then(|c| c.reinvite)
            .filter(|p| p.client_tx == ctx);
        let Some(p) = pending else {
            if (200..300).contains(&status) && !self.calls.contains_key(&id) {
                self.orphan_2xx(now, &msg);
            }
            return;
        };
        let other = p.from.other();
        match status {
            101..=199 => self.restart_reinvite_timer(now, id),
            200..=299 => {
                if let Some(c) = self.calls.get_mut(&id) {
                    c.reinvite = None;
                }
                self.apply_resume_answer(id, other, &msg);
                self.send_dialog_ack(now, id, other, ctx, p.cseq, None);
            }
            _ => {
                if let Some(c) = self.calls.get_mut(&id) {
                    c.reinvite = None;
                }
                let _span = crate::b2bua::call_span(id).entered();
                tracing::info!(status, "the other party stays on hold after the transfer");
            }
        }
    }

    /// The resume re-INVITE ended without a final response.
    pub(in crate::b2bua) fn resume_unanswered(&mut self, ctx: ClientTxId, id: CallRef) {
        if let Some(c) = self.calls.get_mut(&id) {
            if c.reinvite.is_some_and(|p| p.client_tx == ctx) {
                c.reinvite = None;
            }
        }
    }

    /// The other party's answer: where it wants media now, with its SRTP keys.
    fn apply_resume_answer(&mut self, id: CallRef, other: LegSide, msg: &SipMessage) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let sdp = has_sdp(msg).then(|| Sdp::parse(msg.body()).ok()).flatten();
        let Some(sdp) = sdp else {
            tracing::warn!(call = %id, "no usable SDP in the answer to the resume re-INVITE");
            return;
        };
        let mut state = call.srtp.clone();
        let negotiated = srtp::negotiate(
            &mut state,
            &sdp,
            other,
            SdpRole::Answer,
            &call.srtp_policies,
            &mut *self.key_rng,
        );
        let keyings = match negotiated {
            Ok(n) => n.keyings,
            Err(e) => {
                tracing::warn!(call = %id, error = %e, "answer to the resume re-INVITE refused");
                return;
            }
        };
        let updates = super::stream_remotes(&sdp, &keyings, |i| {
            call.media
                .get(i)
                .copied()
                .flatten()
                .map(|p| p.facing(other).0)
        });
        call.srtp = state;
        call.leg_mut(other).remote_origin = Some(origin_key(&sdp));
        apply(self.media.as_ref(), id, &updates);
    }
}

/// `sdp` (the SBC's last SDP to a party) with every hold direction made sendrecv and
/// the o= version set to `version`; `None` if it holds nobody.
fn resumed(sdp: &[u8], version: u64) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(sdp).ok()?;
    let held = text
        .lines()
        .any(|l| matches!(l.trim_end(), "a=sendonly" | "a=inactive"));
    if !held {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\r', '\n']);
        if matches!(bare, "a=sendonly" | "a=inactive") {
            out.push_str("a=sendrecv\r\n");
        } else if let Some(origin) = bare.strip_prefix("o=") {
            let mut fields: Vec<&str> = origin.split(' ').collect();
            let v = version.to_string();
            if let Some(slot) = fields.get_mut(2) {
                *slot = &v;
            }
            out.push_str("o=");
            out.push_str(&fields.join(" "));
            out.push_str("\r\n");
        } else {
            out.push_str(line);
        }
    }
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::resumed;

    #[test]
    fn a_held_session_is_resumed_with_a_new_version() {
        let held = b"v=0\r\no=sbc 42 3 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n\
                     m=audio 20000 RTP/AVP 0\r\na=sendonly\r\n";
        let out = String::from_utf8(resumed(held, 4).unwrap()).unwrap();
        assert!(out.contains("o=sbc 42 4 IN IP4 10.0.0.2\r\n"), "{out}");
        assert!(
            out.ends_with("m=audio 20000 RTP/AVP 0\r\na=sendrecv\r\n"),
            "{out}"
        );
        let talking = b"v=0\r\no=sbc 42 3 IN IP4 10.0.0.2\r\nm=audio 1 RTP/AVP 0\r\na=recvonly\r\n";
        assert_eq!(resumed(talking, 4), None);
    }
}
