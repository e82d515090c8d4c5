//! Dispatch of messages from the transport: responses to client transactions
//! (§17.1.3), requests to server transactions (§17.2.3) including the two special
//! cases, ACK (to a non-2xx: absorbed; to a 2xx: the TU's) and CANCEL (answered here,
//! §9.2).

use std::time::Instant;

use super::build;
use super::client_invite::Flow;
use super::io::response_peer;
use super::key::{ack2xx_hash, server_method, ServerKeyRef};
use super::layer::{ClientTx, ServerTx, TransactionLayer};
use super::server_invite::{AckOutcome, ServerInvite};
use super::server_non_invite::ServerNonInvite;
use super::{ServerTxId, TxEvent};
use crate::net::Peer;
use crate::sip::{Method, SipMessage};

/// How a request relates to the To tag check of RFC 2543 matching.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Compare with the To tag of the request that created the transaction.
    Request,
    /// An ACK: compare with the To tag of our response.
    Ack,
}

impl TransactionLayer {
    /// A message arrived from the transport. It has been parsed and validated by the
    /// caller; anything the layer still cannot read (e.g. a bad Via) is dropped and
    /// counted in `stats().dropped_unparsable`.
    pub fn handle_message(&mut self, now: Instant, msg: SipMessage, from: Peer) {
        match (msg.method(), msg.status()) {
            (Some(method), _) => self.on_request(now, msg, method, from),
            (None, Some(status)) => self.on_response(now, msg, status),
            (None, None) => self.io.stats.dropped_unparsable += 1,
        }
        self.prune();
    }

    fn on_response(&mut self, now: Instant, msg: SipMessage, status: u16) {
        let found = {
            let (Ok(via), Ok(cseq)) = (msg.top_via(), msg.cseq()) else {
                self.io.stats.dropped_unparsable += 1;
                return;
            };
            via.branch().and_then(|branch| {
                let hash = super::key::client_hash(&self.hasher, branch, cseq.method);
                self.client_index
                    .candidates(hash)
                    .iter()
                    .copied()
                    .find(|id| {
                        self.clients.get(id).is_some_and(|tx| match tx {
                            ClientTx::Invite(t) => t.key.same(branch, cseq.method),
                            ClientTx::NonInvite(t) => t.key.same(branch, cseq.method),
                        })
                    })
            })
        };
        let Some(id) = found else {
            self.io.stats.stray_responses += 1;
            self.io.emit(TxEvent::StrayResponse { msg });
            return;
        };
        let (flow, ready_cancel) = match self.clients.get_mut(&id) {
            Some(ClientTx::Invite(t)) => {
                let flow = t.on_response(&mut self.io, now, msg, status);
                (flow, t.take_ready_cancel(&mut self.io, now))
            }
            Some(ClientTx::NonInvite(t)) => (t.on_response(&mut self.io, now, msg, status), None),
            None => return,
        };
        if let Some(cancel_id) = ready_cancel {
            self.start_cancel(now, id, cancel_id);
        }
        if flow == Flow::Terminate {
            self.remove_client(id);
        }
    }

    /// The server transaction `key` names, if any. For RFC 2543 keys the To tag is
    /// compared too (§17.2.3).
    fn find_server(
        &self,
        key: &ServerKeyRef<'_>,
        to_tag: Option<&str>,
        role: Role,
    ) -> Option<ServerTxId> {
        let hash = key.hash_with(&self.hasher);
        self.server_index
            .candidates(hash)
            .iter()
            .copied()
            .find(|id| {
                let Some(tx) = self.servers.get(id) else {
                    return false;
                };
                let (k, req_tag, resp_tag) = match tx {
                    ServerTx::Invite(t) => {
                        (&t.key, &t.request_to_tag, t.response_to_tag.as_deref())
                    }
                    ServerTx::NonInvite(t) => (&t.key, &t.request_to_tag, None),
                };
                if !k.same(key) {
                    return false;
                }
                !k.is_legacy()
                    || match role {
                        Role::Request => req_tag.as_deref() == to_tag,
                        Role::Ack => resp_tag == to_tag,
                    }
            })
    }

    fn on_request(&mut self, now: Instant, msg: SipMessage, method: Method, from: Peer) {
        match method {
            Method::Ack => self.on_ack(now, msg, from),
            Method::Cancel => self.on_cancel(now, msg, from),
            _ => self.on_new_request(msg, method, from),
        }
    }

    fn on_new_request(&mut self, msg: SipMessage, method: Method, from: Peer) {
        let lookup = (|| {
            let via = msg.top_via().ok()?;
            let key = ServerKeyRef::of_request(&msg, &via, server_method(method)).ok()?;
            let to_tag = msg.to_hdr().ok()?.tag();
            let found = self.find_server(&key, to_tag, Role::Request);
            let hash = key.hash_with(&self.hasher);
            Some((
                found,
                key.to_owned_key(),
                hash,
                response_peer(from, &via),
                to_tag.map(Box::from),
            ))
        })();
        let Some((found, key, hash, peer, to_tag)) = lookup else {
            self.io.stats.dropped_unparsable += 1;
            return;
        };
        if let Some(id) = found {
            match self.servers.get_mut(&id) {
                Some(ServerTx::Invite(t)) => t.on_retransmit(&mut self.io),
                Some(ServerTx::NonInvite(t)) => t.on_retransmit(&mut self.io),
                None => {}
            }
            return;
        }
        let id = ServerTxId(self.alloc_id());
        let tx = if method == Method::Invite {
            let t = ServerInvite::start(id, key, hash, msg.clone(), peer, to_tag, &mut self.io);
            ServerTx::Invite(Box::new(t))
        } else {
            ServerTx::NonInvite(Box::new(ServerNonInvite::new(id, key, hash, peer, to_tag)))
        };
        self.server_index.insert(hash, id);
        self.servers.insert(id, tx);
        self.io.emit(TxEvent::Request { tx: id, msg, from });
    }

    fn on_ack(&mut self, now: Instant, msg: SipMessage, from: Peer) {
        let found = (|| {
            let via = msg.top_via().ok()?;
            let key = ServerKeyRef::of_request(&msg, &via, Method::Invite).ok()?;
            let to_tag = msg.to_hdr().ok()?.tag();
            self.find_server(&key, to_tag, Role::Ack)
        })();
        if let Some(id) = found {
            let Some(ServerTx::Invite(t)) = self.servers.get_mut(&id) else {
                return;
            };
            match t.on_ack(&mut self.io, now) {
                AckOutcome::Absorbed(Flow::Terminate) => self.remove_server(id),
                AckOutcome::Absorbed(Flow::Continue) => {}
                AckOutcome::ToTu => self.io.emit(TxEvent::Ack { msg, from }),
            }
            return;
        }
        // The ACK to a 2xx has its own branch: match the Accepted INVITE by dialog.
        self.stop_2xx_retransmission(&msg);
        self.io.emit(TxEvent::Ack { msg, from });
    }

    fn stop_2xx_retransmission(&mut self, ack: &SipMessage) {
        let (Ok(call_id), Ok(cseq), Ok(from_hdr)) = (ack.call_id(), ack.cseq(), ack.from_hdr())
        else {
            return;
        };
        let from_tag = from_hdr.tag().unwrap_or("");
        let hash = ack2xx_hash(&self.hasher, call_id, cseq.seq, from_tag);
        for id in self.ack2xx_index.candidates(hash) {
            if let Some(ServerTx::Invite(t)) = self.servers.get_mut(id) {
                if t.acks_our_2xx(call_id, cseq.seq, from_tag) {
                    t.on_2xx_ack();
                }
            }
        }
    }

    fn on_cancel(&mut self, now: Instant, msg: SipMessage, from: Peer) {
        let lookup = (|| {
            let via = msg.top_via().ok()?;
            let own = ServerKeyRef::of_request(&msg, &via, Method::Cancel).ok()?;
            let invite = ServerKeyRef::of_request(&msg, &via, Method::Invite).ok()?;
            let to_tag = msg.to_hdr().ok()?.tag();
            let retransmit = self.find_server(&own, to_tag, Role::Request);
            let invite_tx = self.find_server(&invite, to_tag, Role::Request);
            let hash = own.hash_with(&self.hasher);
            let peer = response_peer(from, &via);
            Some((
                retransmit,
                invite_tx,
                own.to_owned_key(),
                hash,
                peer,
                to_tag.map(Box::from),
            ))
        })();
        let Some((retransmit, invite_tx, key, hash, peer, to_tag)) = lookup else {
            self.io.stats.dropped_unparsable += 1;
            return;
        };
        if let Some(id) = retransmit {
            if let Some(ServerTx::NonInvite(t)) = self.servers.get_mut(&id) {
                t.on_retransmit(&mut self.io);
            }
            return;
        }
        // §9.2: 200 if the CANCEL matched, with the To tag of our INVITE responses.
        let invite_tag = invite_tx.and_then(|id| match self.servers.get(&id) {
            Some(ServerTx::Invite(t)) => Some(t.response_to_tag.as_deref().map(String::from)),
            _ => None,
        });
        let invite_tx = invite_tag.as_ref().and(invite_tx);
        let (status, reason, tag) = match invite_tag {
            Some(Some(tag)) => (200, "OK", tag),
            Some(None) => (200, "OK", self.new_tag()),
            None => (481, "Call/Transaction Does Not Exist", self.new_tag()),
        };
        let answer = build::simple_response(&mut self.io.buf, &msg, status, reason, Some(&tag));
        let id = ServerTxId(self.alloc_id());
        let mut tx = ServerNonInvite::new(id, key, hash, peer, to_tag);
        tx.internal = true;
        self.server_index.insert(hash, id);
        let flow = tx.send_response(&mut self.io, now, answer, status);
        self.servers.insert(id, ServerTx::NonInvite(Box::new(tx)));
        if matches!(flow, Ok(Flow::Terminate)) {
            self.remove_server(id);
        }
        self.io.emit(TxEvent::Cancel {
            invite_tx,
            msg,
            from,
        });
    }
}
