//! The callee half of the test UA: a new INVITE starts the script of timed responses;
//! CANCEL gets 487, BYE 200 (481 outside a dialog), re-INVITE 200 with an answer or 491
//! (glare, RFC 3261 §14.2).

use std::time::Instant;

use sbc_signaling::sip::{HeaderName, Method, SipMessage};
use sbc_signaling::transaction::ServerTxId;

use super::{Incoming, ReinviteAnswer, Script, Step, Ua};
use crate::ua_msg::{self, answer_direction, strip_tag, Dialog};

impl Ua {
    pub(super) fn on_request(&mut self, now: Instant, tx: ServerTxId, msg: SipMessage) {
        let to_tag = msg.to_hdr().ok().and_then(|t| t.tag().map(str::to_owned));
        let method = msg.method();
        let Some(to_tag) = to_tag else {
            if method == Some(Method::Invite) {
                return self.on_new_invite(now, tx, msg);
            }
            return self.reply(now, tx, &msg, 200, None, None);
        };
        let call_id = msg.call_id().unwrap_or_default().to_owned();
        let idx = self
            .dialogs
            .iter()
            .position(|d| d.local_tag == to_tag && d.call_id == call_id && !d.terminated);
        let Some(idx) = idx else {
            return self.reply(now, tx, &msg, 481, None, None);
        };
        match method {
            Some(Method::Bye) => {
                if let Some(d) = self.dialogs.get_mut(idx) {
                    d.terminated = true;
                }
                self.reply(now, tx, &msg, 200, None, None);
            }
            Some(Method::Invite) => self.on_reinvite(now, tx, idx, &msg),
            _ => self.reply(now, tx, &msg, 200, None, None),
        }
    }

    pub(super) fn on_reinvite(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        idx: usize,
        msg: &SipMessage,
    ) {
        if self.reinvite_pending.is_some() || self.on_reinvite == ReinviteAnswer::Reject491 {
            return self.reply(now, tx, msg, 491, None, None);
        }
        if self.on_reinvite == ReinviteAnswer::Ring {
            self.ringing_reinvite = Some((tx, msg.clone()));
            return self.reply(now, tx, msg, 180, None, None);
        }
        if let Some(c) = msg.contact().and_then(Result::ok) {
            let target = c.uri.to_owned();
            if let Some(d) = self.dialogs.get_mut(idx) {
                d.remote_target = target;
            }
        }
        let dir = if msg.body().is_empty() {
            "sendrecv"
        } else {
            answer_direction(msg.body())
        };
        let body = self.next_sdp(dir, msg.body());
        let tag = self.dialogs.get(idx).map(|d| d.local_tag.clone());
        self.reply(now, tx, msg, 200, tag.as_deref(), Some(&body));
    }

    pub(super) fn on_new_invite(&mut self, now: Instant, tx: ServerTxId, msg: SipMessage) {
        self.invite_at.get_or_insert(now);
        self.incoming = Some(Incoming {
            tx,
            msg,
            final_sent: false,
        });
        self.scheduled.clear();
        if let Script::Steps(steps) = &self.script {
            let mut at = now;
            for s in steps {
                at += s.after;
                self.scheduled.push_back((at, *s));
            }
        }
    }

    pub(super) fn respond_step(&mut self, now: Instant, step: Step) {
        let Some(inc) = &self.incoming else { return };
        let (tx, req) = (inc.tx, inc.msg.clone());
        let body = if step.sdp && self.broken_sdp {
            Some("v=0\r\n".to_owned())
        } else if step.sdp {
            let dir = if req.body().is_empty() {
                "sendrecv"
            } else {
                answer_direction(req.body())
            };
            Some(self.next_sdp(dir, req.body()))
        } else {
            None
        };
        if step.status >= 200 {
            if let Some(inc) = self.incoming.as_mut() {
                inc.final_sent = true;
            }
        }
        if (200..300).contains(&step.status)
            && !self.dialogs.iter().any(|d| d.local_tag == step.tag)
        {
            self.dialogs.push(uas_dialog(&req, step.tag));
        }
        self.reply(now, tx, &req, step.status, Some(step.tag), body.as_deref());
    }

    pub(super) fn reply(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        req: &SipMessage,
        status: u16,
        tag: Option<&str>,
        body: Option<&str>,
    ) {
        let dialog_creating = req.method() == Some(Method::Invite) && (101..300).contains(&status);
        let contact = dialog_creating.then_some(self.addr);
        let resp = ua_msg::response(&mut self.buf, req, status, tag, contact, body);
        // A final racing another (487 after our 200) is refused: the race resolving.
        let _ = self.txl.send_response(now, tx, resp);
    }

    pub(super) fn on_cancel(&mut self, now: Instant, invite_tx: Option<ServerTxId>) {
        if let Some((tx, req)) = self.ringing_reinvite.take() {
            if Some(tx) == invite_tx {
                return self.reply(now, tx, &req, 487, None, None);
            }
            self.ringing_reinvite = Some((tx, req));
        }
        let Some(inc) = &self.incoming else { return };
        if Some(inc.tx) != invite_tx || inc.final_sent {
            return;
        }
        let (tx, req) = (inc.tx, inc.msg.clone());
        self.scheduled.clear();
        if let Some(inc) = self.incoming.as_mut() {
            inc.final_sent = true;
        }
        self.reply(now, tx, &req, 487, Some("t1"), None);
    }
}

/// The callee's view of the dialog its 2xx with `tag` creates (§12.1.1).
fn uas_dialog(req: &SipMessage, tag: &str) -> Dialog {
    let from = req.header(HeaderName::From).unwrap_or_default();
    let to = req.header(HeaderName::To).unwrap_or_default();
    Dialog {
        call_id: req.call_id().unwrap_or_default().to_owned(),
        local_uri: strip_tag(to),
        local_tag: tag.to_owned(),
        remote_uri: strip_tag(from),
        remote_tag: req
            .from_hdr()
            .ok()
            .and_then(|f| f.tag())
            .unwrap_or_default()
            .to_owned(),
        remote_target: req
            .contact()
            .and_then(Result::ok)
            .map(|c| c.uri.to_owned())
            .unwrap_or_default(),
        route_set: req
            .header_values(HeaderName::RecordRoute)
            .map(str::to_owned)
            .collect(),
        local_cseq: 100,
        confirmed: false,
        terminated: false,
    }
}
