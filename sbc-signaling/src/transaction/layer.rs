//! `TransactionLayer`: the public entry points for the TU, transaction storage, timer
//! and the `poll_*` drains. Incoming messages are dispatched in `incoming.rs`, timers
//! in `expiry.rs`.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::build;
use super::client_invite::{CancelNow, ClientInvite, Flow};
use super::client_non_invite::ClientNonInvite;
use super::io::Io;
use super::key::{is_rfc3261_branch, ClientKey, KeyIndex};
use super::server_invite::ServerInvite;
use super::server_non_invite::ServerNonInvite;
use super::timers::{TimerConfig, TimerTable};
use super::{ClientTxId, ServerTxId, TxError, TxEvent, TxStats};
use crate::net::{Peer, Transmit};
use crate::sip::{Method, SipMessage};

/// Random characters after the magic cookie: 20 of 62 symbols is ~119 bits.
const BRANCH_RANDOM_LEN: usize = 20;
/// Random To tags the layer makes for its own CANCEL answers.
const TAG_LEN: usize = 12;
const ALPHANUMERIC: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Same transport and address; the connection id is ignored (a failed connection
/// fails every transaction bound for that address).
fn same_destination(a: Peer, b: Peer) -> bool {
    a.transport == b.transport && a.addr == b.addr
}

#[derive(Debug)]
pub(super) enum ClientTx {
    // Boxed: the map holds 16-byte entries and each transaction is one allocation
    // (an INVITE keeps its parsed request, several hundred bytes).
    Invite(Box<ClientInvite>),
    NonInvite(Box<ClientNonInvite>),
}

#[derive(Debug)]
pub(super) enum ServerTx {
    // Boxed like `ClientTx`.
    Invite(Box<ServerInvite>),
    NonInvite(Box<ServerNonInvite>),
}

impl ClientTx {
    pub(super) fn timers(&mut self) -> &mut TimerTable {
        match self {
            ClientTx::Invite(t) => &mut t.timers,
            ClientTx::NonInvite(t) => &mut t.timers,
        }
    }
}

impl ServerTx {
    pub(super) fn timers(&mut self) -> &mut TimerTable {
        match self {
            ServerTx::Invite(t) => &mut t.timers,
            ServerTx::NonInvite(t) => &mut t.timers,
        }
    }
}

/// All client and server transactions of one signaling instance. See the module docs
/// of `transaction` for the driving loop.
#[derive(Debug)]
pub struct TransactionLayer {
    pub(super) io: Io,
    pub(super) clients: HashMap<ClientTxId, ClientTx>,
    pub(super) servers: HashMap<ServerTxId, ServerTx>,
    pub(super) client_index: KeyIndex<ClientTxId>,
    pub(super) server_index: KeyIndex<ServerTxId>,
    /// INVITE server transactions in Accepted, by Call-ID + CSeq + From tag.
    pub(super) ack2xx_index: KeyIndex<ServerTxId>,
    /// Keyed hashing: branches and Call-IDs are peer-chosen (hash flooding).
    pub(super) hasher: RandomState,
    next_id: u64,
    rng: StdRng,
}

impl TransactionLayer {
    pub fn new(timers: TimerConfig) -> Self {
        Self::with_rng(timers, StdRng::from_entropy())
    }

    /// Deterministic branches and tags, for tests and reproducible simulations.
    pub fn with_seed(timers: TimerConfig, seed: u64) -> Self {
        Self::with_rng(timers, StdRng::seed_from_u64(seed))
    }

    fn with_rng(timers: TimerConfig, rng: StdRng) -> Self {
        TransactionLayer {
            io: Io::new(timers.sanitized()),
            clients: HashMap::new(),
            servers: HashMap::new(),
            client_index: KeyIndex::default(),
            server_index: KeyIndex::default(),
            ack2xx_index: KeyIndex::default(),
            hasher: RandomState::new(),
            next_id: 0,
            rng,
        }
    }

    pub(super) fn alloc_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Send `request` in a new client transaction, INVITE or non-INVITE by its method.
    /// Its top Via branch (from [`new_branch`](Self::new_branch)) keys the transaction.
    /// ACK is refused: the ACK to a 2xx goes through `send_ack_for_2xx`, the ACK to a
    /// non-2xx is the layer's own.
    pub fn send_request(
        &mut self,
        now: Instant,
        request: SipMessage,
        to: Peer,
    ) -> Result<ClientTxId, TxError> {
        let method = request.method().ok_or(TxError::WrongMessageKind)?;
        if method == Method::Ack {
            return Err(TxError::WrongMessageKind);
        }
        let key = {
            let via = request.top_via()?;
            let branch = via.branch().filter(|b| is_rfc3261_branch(b));
            ClientKey::new(&self.hasher, branch.ok_or(TxError::MissingBranch)?, method)
        };
        let id = ClientTxId(self.alloc_id());
        self.client_index.insert(key.hash, id);
        let tx = if method == Method::Invite {
            ClientTx::Invite(Box::new(ClientInvite::start(
                id,
                key,
                request,
                to,
                &mut self.io,
                now,
            )))
        } else {
            let payload = request.as_bytes().clone();
            let t = ClientNonInvite::start(id, key, payload, to, &mut self.io, now);
            ClientTx::NonInvite(Box::new(t))
        };
        self.clients.insert(id, tx);
        Ok(id)
    }

    /// Send a provisional or final response on a server transaction. A 100 from the TU
    /// after the layer's own 100 is dropped as a duplicate.
    pub fn send_response(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        response: SipMessage,
    ) -> Result<(), TxError> {
        let status = response.status().ok_or(TxError::WrongMessageKind)?;
        let server = self
            .servers
            .get_mut(&tx)
            .ok_or(TxError::UnknownTransaction)?;
        let flow = match server {
            ServerTx::Invite(t) => {
                let flow = t.send_response(&mut self.io, now, &response, status)?;
                if t.is_accepted() && t.ack2xx_hash.is_none() {
                    let hash = Self::ack2xx_hash_of(&self.hasher, &t.request);
                    if let Some(hash) = hash {
                        t.ack2xx_hash = Some(hash);
                        self.ack2xx_index.insert(hash, tx);
                    }
                }
                flow
            }
            ServerTx::NonInvite(t) => {
                t.send_response(&mut self.io, now, response.as_bytes().clone(), status)?
            }
        };
        if flow == Flow::Terminate {
            self.remove_server(tx);
        }
        self.prune();
        Ok(())
    }

    fn ack2xx_hash_of(hasher: &RandomState, invite: &SipMessage) -> Option<u64> {
        let call_id = invite.call_id().ok()?;
        let cseq = invite.cseq().ok()?.seq;
        let from = invite.from_hdr().ok()?;
        Some(super::key::ack2xx_hash(
            hasher,
            call_id,
            cseq,
            from.tag().unwrap_or(""),
        ))
    }

    /// CANCEL a pending INVITE client transaction (§9.1). Returns the CANCEL's own
    /// client transaction id; `None` if the INVITE is unknown or already has a final
    /// response. If no provisional has arrived yet the CANCEL is held until one does;
    /// if the INVITE then gets a final response first, the CANCEL is never sent and its
    /// id never produces events.
    pub fn cancel(&mut self, now: Instant, invite: ClientTxId) -> Option<ClientTxId> {
        let reserve = ClientTxId(self.alloc_id());
        let Some(ClientTx::Invite(inv)) = self.clients.get_mut(&invite) else {
            return None;
        };
        let decision = inv.request_cancel(&mut self.io, now, reserve)?;
        let id = match decision {
            CancelNow::Start(id) => {
                self.start_cancel(now, invite, id);
                id
            }
            CancelNow::Existing(id) => id,
        };
        self.prune();
        Some(id)
    }

    /// Start the CANCEL client transaction `id` for INVITE `invite`.
    pub(super) fn start_cancel(&mut self, now: Instant, invite: ClientTxId, id: ClientTxId) {
        let Some(ClientTx::Invite(inv)) = self.clients.get(&invite) else {
            return;
        };
        let (peer, key) = (
            inv.peer,
            ClientKey::new(&self.hasher, &inv.key.branch, Method::Cancel),
        );
        let payload = match build::cancel(&mut self.io.buf, &inv.request) {
            Ok(p) => p,
            Err(_) => {
                self.io.stats.dropped_unparsable += 1;
                return;
            }
        };
        self.client_index.insert(key.hash, id);
        let tx = ClientNonInvite::start(id, key, payload, peer, &mut self.io, now);
        self.clients.insert(id, ClientTx::NonInvite(Box::new(tx)));
    }

    /// Send the TU's ACK for a 2xx (no transaction, §13.2.2.4). While the INVITE
    /// transaction lingers in Accepted (Timer M) the layer answers retransmissions of
    /// that 2xx (same To tag) with this ACK itself.
    pub fn send_ack_for_2xx(
        &mut self,
        now: Instant,
        invite: ClientTxId,
        ack: SipMessage,
        to: Peer,
    ) {
        let _ = now;
        let bytes = ack.as_bytes().clone();
        self.io.send(to, bytes.clone());
        if let Some(ClientTx::Invite(inv)) = self.clients.get_mut(&invite) {
            let tag = ack.to_hdr().ok().and_then(|t| t.tag()).unwrap_or("");
            inv.remember_ack(tag, bytes, to);
        }
    }

    /// The transport could not reach `peer` (ICMP unreachable, TCP connect refused or
    /// reset): every client transaction still waiting on it ends with
    /// `TxEvent::TransportError` (§17.1.1.2, §17.1.2.2: inform the TU, terminate).
    pub fn handle_transport_error(&mut self, _now: Instant, peer: Peer) {
        let failed: Vec<ClientTxId> = self
            .clients
            .iter()
            .filter(|(_, tx)| match tx {
                ClientTx::Invite(t) => same_destination(t.peer, peer) && t.awaiting_final(),
                ClientTx::NonInvite(t) => same_destination(t.peer, peer) && t.awaiting_final(),
            })
            .map(|(id, _)| *id)
            .collect();
        for id in failed {
            self.io.emit(TxEvent::TransportError { tx: id });
            self.remove_client(id);
        }
        self.prune();
    }

    pub(super) fn remove_client(&mut self, id: ClientTxId) {
        if let Some(tx) = self.clients.remove(&id) {
            let hash = match &tx {
                ClientTx::Invite(t) => t.key.hash,
                ClientTx::NonInvite(t) => t.key.hash,
            };
            self.client_index.remove(hash, id);
        }
    }

    pub(super) fn remove_server(&mut self, id: ServerTxId) {
        let Some(tx) = self.servers.remove(&id) else {
            return;
        };
        let announced = match tx {
            ServerTx::Invite(t) => {
                self.server_index.remove(t.key_hash, id);
                if let Some(h) = t.ack2xx_hash {
                    self.ack2xx_index.remove(h, id);
                }
                true
            }
            ServerTx::NonInvite(t) => {
                self.server_index.remove(t.key_hash, id);
                !t.internal
            }
        };
        if announced {
            self.io.emit(TxEvent::Terminated { tx: id });
        }
    }

    /// The earliest instant `handle_timeout` has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.io.timers.peek().map(|d| d.at)
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.io.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<TxEvent> {
        self.io.events.pop_front()
    }

    /// A fresh RFC 3261 branch: the magic cookie plus 20 random alphanumerics.
    pub fn new_branch(&mut self) -> String {
        let mut s = String::with_capacity(super::key::MAGIC_COOKIE.len() + BRANCH_RANDOM_LEN);
        s.push_str(super::key::MAGIC_COOKIE);
        self.push_random(&mut s, BRANCH_RANDOM_LEN);
        s
    }

    /// A random tag for the layer's own responses.
    pub(super) fn new_tag(&mut self) -> String {
        let mut s = String::with_capacity(TAG_LEN);
        self.push_random(&mut s, TAG_LEN);
        s
    }

    fn push_random(&mut self, s: &mut String, n: usize) {
        for _ in 0..n {
            let i = self.rng.gen_range(0..ALPHANUMERIC.len());
            s.push(char::from(ALPHANUMERIC.get(i).copied().unwrap_or(b'0')));
        }
    }

    /// Live transactions, client and server.
    pub fn len(&self) -> usize {
        self.clients.len() + self.servers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> TxStats {
        self.io.stats
    }

    pub fn timer_config(&self) -> &TimerConfig {
        &self.io.cfg
    }
}
