//! The caller half of the test UA: responses to its requests; every 2xx to an INVITE is
//! ACKed by the UA core (RFC 3261 §13.2.2.4), with the answer when the 2xx carried the
//! offer, and re-ACKed when a retransmitted 2xx arrives after the transaction ended.

use std::time::Instant;

use sbc_signaling::net::{Peer, Transmit};
use sbc_signaling::sip::{HeaderName, Method, SipMessage};
use sbc_signaling::transaction::ClientTxId;

use super::{Kind, Ua};
use crate::ua_msg::{self, answer_direction, strip_tag, uri_of, Dialog};

impl Ua {
    pub(super) fn on_response(&mut self, now: Instant, tx: ClientTxId, msg: SipMessage) {
        let status = msg.status().unwrap_or(0);
        let kind = self.kinds.get(&tx).copied();
        let tag = msg.to_hdr().ok().and_then(|t| t.tag().map(str::to_owned));
        match kind {
            Some(Kind::Invite) if status < 200 => {
                if let Some(t) = tag {
                    if !self.early_tags.contains(&t) {
                        self.early_tags.push(t);
                    }
                }
            }
            Some(Kind::Invite) if status < 300 => self.on_invite_2xx(now, tx, &msg),
            Some(Kind::Reinvite { offerless, cseq }) if status >= 200 => {
                self.reinvite_pending = None;
                if status < 300 {
                    let body = (offerless && !msg.body().is_empty())
                        .then(|| self.next_sdp(answer_direction(msg.body()), msg.body()));
                    self.send_ack(now, tx, cseq, tag.as_deref(), body);
                }
            }
            Some(Kind::Bye) if status >= 200 => {
                if let Some(d) = self
                    .dialogs
                    .iter_mut()
                    .find(|d| Some(&d.remote_tag) == tag.as_ref())
                {
                    d.terminated = true;
                }
            }
            _ => {}
        }
    }

    /// A 2xx to our INVITE: the dialog is born; ACK it (with the answer for a late offer).
    pub(super) fn on_invite_2xx(&mut self, now: Instant, tx: ClientTxId, msg: &SipMessage) {
        let Some((_, invite)) = &self.invite else {
            return;
        };
        let late_offer = invite.body().is_empty();
        let Some(d) = uac_dialog(invite, msg) else {
            return;
        };
        let tag = d.remote_tag.clone();
        self.dialogs.push(d);
        let body = (late_offer && !msg.body().is_empty())
            .then(|| self.next_sdp(answer_direction(msg.body()), msg.body()));
        self.send_ack(now, tx, 1, Some(&tag), body);
    }

    pub(super) fn send_ack(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        cseq: u32,
        tag: Option<&str>,
        body: Option<String>,
    ) {
        let branch = self.txl.new_branch();
        let Some(d) = self
            .dialogs
            .iter_mut()
            .find(|d| Some(d.remote_tag.as_str()) == tag)
        else {
            return;
        };
        d.confirmed = true;
        let dest = ua_msg::resolve(d.route_set.first().unwrap_or(&d.remote_target), self.proxy);
        let ack = ua_msg::in_dialog(
            &mut self.buf,
            d,
            self.addr,
            Method::Ack,
            cseq,
            &branch,
            body.as_deref(),
        );
        self.acks
            .insert(d.remote_tag.clone(), ack.as_bytes().clone());
        self.txl.send_ack_for_2xx(now, tx, ack, Peer::udp(dest));
    }

    /// A 2xx retransmission after our INVITE transaction ended: re-send our ACK.
    pub(super) fn on_stray(&mut self, msg: SipMessage) {
        let tag = msg.to_hdr().ok().and_then(|t| t.tag().map(str::to_owned));
        let is_2xx = msg.status().is_some_and(|s| (200..300).contains(&s));
        if let (true, Some(ack)) = (is_2xx, tag.and_then(|t| self.acks.get(&t))) {
            self.out.push_back(Transmit {
                peer: Peer::udp(self.proxy),
                payload: ack.clone(),
            });
        }
        self.strays.push(msg);
    }
}

/// The caller's view of the dialog a 2xx creates (§12.1.2).
fn uac_dialog(invite: &SipMessage, resp: &SipMessage) -> Option<Dialog> {
    let from = invite.header(HeaderName::From)?;
    let to = resp.header(HeaderName::To)?;
    let mut route_set: Vec<String> = resp
        .header_values(HeaderName::RecordRoute)
        .map(str::to_owned)
        .collect();
    route_set.reverse();
    Some(Dialog {
        call_id: invite.call_id().ok()?.to_owned(),
        local_uri: strip_tag(from),
        local_tag: invite.from_hdr().ok()?.tag()?.to_owned(),
        remote_uri: strip_tag(to),
        remote_tag: resp.to_hdr().ok()?.tag()?.to_owned(),
        remote_target: uri_of(resp.contact()?.ok()?.uri),
        route_set,
        local_cseq: 1,
        confirmed: false,
        terminated: false,
    })
}
