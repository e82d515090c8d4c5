//! The B2BUA call engine, sans-IO.
//!
//! Owns both dialogs of every call: the A leg (the SBC is the UAS toward the caller) and
//! the B leg (the SBC is the UAC toward the routed trunk), with its own Call-ID, tags,
//! Via and Contact on each (topology hiding), and the media anchoring of every SDP.
//! It sits on the transaction layer: the daemon feeds datagrams and timeouts in with an
//! explicit `now`, and drains `poll_transmit` / `poll_event` / `poll_timeout`.
//!
//! Files: `invite` (call setup, CANCEL, Timer C), `dialog` (BYE, re-INVITE, relayed
//! in-dialog requests and their responses), `build` (message construction), `headers`
//! (what crosses the SBC), `anchor` (SDP and media), `malformed` (answers to unparseable
//! requests), `routing` (URI to peer), `response_map` (final status mapping), `srtp`
//! (each leg's SRTP policy, SDES offer/answer and the media plane's keys), `transfer`
//! (REFER carried out by the SBC), `monitor` (supervisor legs).

mod anchor;
mod build;
mod call;
mod dialog;
pub mod events;
mod headers;
mod invite;
mod malformed;
mod monitor;
mod received;
pub mod response_map;
mod routing;
pub mod settings;
mod srtp;
mod transfer;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rand::rngs::{OsRng, StdRng};
use rand::{Rng, SeedableRng};
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::MediaControl;

use crate::metrics::{SignalingMetrics, SipDrop};
use crate::net::{Peer, Transmit};
use crate::sip::{Method, Scheme, SipMessage, Uri};
use crate::transaction::{ClientTxId, ServerTxId, TimerConfig, TransactionLayer, TxEvent};
use build::{Hop, Payload};
use call::Call;
pub use events::CallEvent;
pub use settings::EngineSettings;
pub use srtp::{KeyRng, SrtpRefusal};

/// What a client transaction of ours is for, so its responses find their way.
#[derive(Debug, Clone, Copy)]
enum ClientRole {
    /// The B-leg INVITE of a call.
    InitialInvite(CallRef),
    /// A request relayed from `from`'s server transaction `server_tx`.
    Relay {
        call: CallRef,
        server_tx: ServerTxId,
        from: LegSide,
        method: Method,
    },
    /// The INVITE to a transfer target (see `transfer`).
    Transfer(CallRef),
    /// The SBC's own re-INVITE taking a party off hold after a transfer.
    Resume(CallRef),
    /// A request the SBC originated (BYE on hang-up, clean-up BYEs): no follow-up.
    Own,
}

pub struct B2bua {
    settings: EngineSettings,
    txl: TransactionLayer,
    media: Arc<dyn MediaControl>,
    metrics: Arc<SignalingMetrics>,
    calls: HashMap<CallRef, Call>,
    next_call: u64,
    /// Our local tag on a leg (unique, random) -> the call and the leg.
    dialogs: HashMap<String, (CallRef, LegSide)>,
    /// Initial INVITE server transactions -> their call (CANCEL, ACK timeouts).
    server_roles: HashMap<ServerTxId, CallRef>,
    client_roles: HashMap<ClientTxId, ClientRole>,
    /// In-dialog requests relayed to the other leg, until their final response.
    relayed: HashMap<ServerTxId, Relayed>,
    /// Per-call deadlines (Timer C, the late-offer ACK guard); stale entries are
    /// skipped: the call holds its live deadlines.
    call_timers: BTreeSet<(Instant, CallRef)>,
    out: VecDeque<Transmit>,
    events: VecDeque<CallEvent>,
    buf: BytesMut,
    sdp_buf: Vec<u8>,
    rng: StdRng,
    /// The SBC's SRTP master keys come from here: a CSPRNG (`OsRng` in the daemon).
    key_rng: Box<dyn KeyRng>,
    /// Supervisor legs (joins waiting for the monitoring plane, admitted legs).
    monitor: monitor::MonitorLegs,
}

impl B2bua {
    /// `seed` makes tags, Call-IDs and SRTP keys reproducible in tests; `None` seeds
    /// from the OS (and keys come from the OS generator). A seeded engine's keys are
    /// predictable: production passes `None` or its own generator (`with_key_rng`).
    pub fn new(
        settings: EngineSettings,
        media: Arc<dyn MediaControl>,
        metrics: Arc<SignalingMetrics>,
        seed: Option<u64>,
    ) -> Self {
        let sip = &settings.config.sip;
        let timers = TimerConfig {
            t1: sip.t1,
            t2: sip.t2,
            t4: sip.t4,
        };
        B2bua {
            txl: match seed {
                Some(s) => TransactionLayer::with_seed(timers, s),
                None => TransactionLayer::new(timers),
            },
            settings,
            media,
            metrics,
            calls: HashMap::new(),
            next_call: 1,
            dialogs: HashMap::new(),
            server_roles: HashMap::new(),
            client_roles: HashMap::new(),
            relayed: HashMap::new(),
            call_timers: BTreeSet::new(),
            out: VecDeque::new(),
            events: VecDeque::new(),
            buf: BytesMut::with_capacity(4096),
            sdp_buf: Vec::with_capacity(1024),
            rng: match seed {
                Some(s) => StdRng::seed_from_u64(s),
                None => StdRng::from_entropy(),
            },
            key_rng: match seed {
                // StdRng is a CSPRNG; only its seed is known here.
                Some(s) => Box::new(StdRng::seed_from_u64(s ^ 0x5352_5450_4b45_5953)),
                None => Box::new(OsRng),
            },
            monitor: monitor::MonitorLegs::default(),
        }
    }

    /// Replaces the generator of the SBC's SRTP keys (the daemon passes `OsRng`).
    pub fn with_key_rng(mut self, rng: Box<dyn KeyRng>) -> Self {
        self.key_rng = rng;
        self
    }

    /// New routes, trunks and policy (SIGHUP). Calls in progress keep their legs.
    pub fn set_settings(&mut self, settings: EngineSettings) {
        if settings.config.monitoring != self.settings.config.monitoring {
            self.monitor.monitoring_reconfigured();
        }
        self.settings = settings;
    }

    /// A datagram or framed stream message arrived.
    pub fn handle_inbound(&mut self, now: Instant, bytes: Bytes, from: Peer) {
        match SipMessage::parse(bytes.clone()) {
            Ok(msg) => {
                if msg.is_request() {
                    if let Some((status, reason)) = self.precheck_request(&msg) {
                        return self.reject_unparsed(&bytes, status, &reason, from);
                    }
                } else {
                    self.metrics.response_received(msg.status().unwrap_or(0));
                }
                let msg = if msg.is_request() {
                    received::stamp_top_via(msg, from.addr)
                } else {
                    msg
                };
                self.txl.handle_message(now, msg, from);
                self.drain(now);
            }
            Err(e) => self.reject_unparsed(&bytes, e.status(), &e.reason(), from),
        }
    }

    /// A message larger than the configured limit: answer 513 if it is a request.
    pub fn handle_oversize(&mut self, head: Bytes, from: Peer) {
        self.reject_unparsed(&head, 513, "Message Too Large", from);
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.txl.handle_timeout(now);
        while let Some(&(at, call)) = self.call_timers.first() {
            if at > now {
                break;
            }
            self.call_timers.pop_first();
            self.fire_call_timers(now, call, at);
        }
        self.drain(now);
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let c = self.call_timers.first().map(|(at, _)| *at);
        match (self.txl.poll_timeout(), c) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front().or_else(|| self.txl.poll_transmit())
    }

    pub fn poll_event(&mut self) -> Option<CallEvent> {
        self.events.pop_front()
    }

    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    /// Live transactions and bookkeeping entries, for leak checks in tests.
    pub fn footprint(&self) -> (usize, usize, usize) {
        (
            self.txl.len(),
            self.dialogs.len(),
            self.client_roles.len() + self.relayed.len(),
        )
    }

    fn drain(&mut self, now: Instant) {
        while let Some(ev) = self.txl.poll_event() {
            match ev {
                TxEvent::Request { tx, msg, from } => self.on_request(now, tx, msg, from),
                TxEvent::Ack { msg, .. } => self.on_ack(now, msg),
                TxEvent::Cancel {
                    invite_tx: Some(tx),
                    ..
                } => self.on_cancel(now, tx),
                TxEvent::Cancel {
                    invite_tx: None, ..
                } => {}
                TxEvent::Response { tx, msg } => self.on_response(now, tx, msg),
                TxEvent::StrayResponse { msg } => self.on_stray_response(now, msg),
                TxEvent::Timeout { tx } => self.on_client_timeout(now, tx, 408, "Request Timeout"),
                TxEvent::TransportError { tx } => self.on_client_timeout(
                    now,
                    tx,
                    503,
                    "Service Unavailable (next hop unreachable)",
                ),
                TxEvent::AckTimeout { tx } => self.on_ack_timeout(now, tx),
                TxEvent::Terminated { tx } => {
                    self.server_roles.remove(&tx);
                }
            }
        }
    }

    /// Checks that need no transaction: an unsupported URI scheme (416). Everything
    /// the parser already refused never gets here.
    fn precheck_request(&self, msg: &SipMessage) -> Option<(u16, String)> {
        let uri = msg.request_uri()?;
        match Uri::parse(uri) {
            Ok(u) if u.scheme == Scheme::Other => Some((416, "Unsupported URI Scheme".into())),
            Ok(_) => None,
            Err(e) => Some((400, format!("Bad Request-URI: {}", e.reason()))),
        }
    }

    /// Answers a request statelessly from its raw bytes: one the parser refused, or one
    /// refused before any transaction exists (unsupported URI scheme).
    fn reject_unparsed(&mut self, bytes: &[u8], status: u16, reason: &str, from: Peer) {
        if !malformed::looks_like_request(bytes) {
            let drop = if bytes.starts_with(b"SIP/") {
                SipDrop::MalformedResponse
            } else {
                SipDrop::Garbage
            };
            self.metrics.count_drop(drop);
            return;
        }
        let tag = self.token(10);
        match malformed::respond(bytes, status, reason, &tag, &mut self.buf) {
            Some(out) => {
                self.metrics.response_sent(status);
                self.metrics
                    .requests_rejected
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                // Symmetric response: the source is the one path known to reach a
                // caller behind NAT (and, for TCP, the connection it came on).
                self.out.push_back(Transmit {
                    peer: from,
                    payload: out,
                });
            }
            None => self.metrics.count_drop(SipDrop::UnanswerableRequest),
        }
    }

    fn on_request(&mut self, now: Instant, tx: ServerTxId, msg: SipMessage, from: Peer) {
        let Some(method) = msg.method() else { return };
        let to_tag = match msg.to_hdr() {
            Ok(to) => to.tag().map(str::to_owned),
            Err(e) => return self.reject(now, tx, &msg, 400, &e.reason(), &[]),
        };
        if let Some(tag) = to_tag {
            if self.monitor_in_dialog(now, tx, &msg, from, &tag) {
                return;
            }
            return self.on_in_dialog(now, tx, msg, from, &tag);
        }
        // Supervisors' phones may call from anywhere: digest guards a join, not the
        // source address (a join never reaches a trunk).
        if method == Method::Invite && self.maybe_join(now, tx, &msg, from) {
            return;
        }
        if self.settings.config.ingress_trunk(from.addr.ip()).is_none() {
            return self.reject(now, tx, &msg, 403, "Forbidden (unknown source)", &[]);
        }
        match method {
            Method::Invite => self.on_invite(now, tx, msg, from),
            Method::Options => {
                let extra = [
                    ("Allow", headers::ALLOW),
                    ("Accept", "application/sdp"),
                    ("Supported", "100rel, timer"),
                ];
                self.reject(now, tx, &msg, 200, "OK", &extra)
            }
            Method::Bye | Method::Info | Method::Update | Method::Prack | Method::Notify => {
                self.reject(now, tx, &msg, 481, "Call/Transaction Does Not Exist", &[])
            }
            _ => self.reject(
                now,
                tx,
                &msg,
                405,
                "Method Not Allowed",
                &[("Allow", headers::ALLOW)],
            ),
        }
    }

    /// Answers a request on its server transaction with a response built by the SBC
    /// (errors, and the 200 to OPTIONS).
    fn reject(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        req: &SipMessage,
        status: u16,
        reason: &str,
        extra: &[(&str, &str)],
    ) {
        let tag = self.token(10);
        let reason = malformed::sanitize_reason(reason);
        let ua = self.settings.config.sip.user_agent.clone();
        let p = Payload {
            user_agent: &ua,
            extra,
            ..Payload::default()
        };
        // Should the response not build (it always should: the parser refuses requests
        // whose echoed headers are not text), answer a bare 500 from the raw request so
        // the server transaction still ends.
        let resp = build::response(&mut self.buf, req, status, &reason, Some(&tag), None, p)
            .or_else(|| {
                let raw = malformed::respond(
                    req.as_bytes(),
                    500,
                    "Server Internal Error",
                    &tag,
                    &mut self.buf,
                )?;
                SipMessage::parse(raw).ok()
            });
        if let Some(resp) = resp {
            if status >= 300 {
                self.metrics
                    .requests_rejected
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            self.respond(now, tx, resp);
        }
    }

    fn respond(&mut self, now: Instant, tx: ServerTxId, resp: SipMessage) {
        let status = resp.status().unwrap_or(0);
        // A final response racing another (a 487 after the 200 left) is refused by the
        // transaction; that is the race resolving itself, not an error.
        match self.txl.send_response(now, tx, resp) {
            Ok(()) => self.metrics.response_sent(status),
            Err(e) => tracing::debug!(%tx, status, error = %e, "response not sent"),
        }
    }

    fn on_response(&mut self, now: Instant, tx: ClientTxId, msg: SipMessage) {
        let status = msg.status().unwrap_or(0);
        let role = self.client_roles.get(&tx).copied();
        if status >= 200 {
            self.client_roles.remove(&tx);
        }
        match role {
            Some(ClientRole::InitialInvite(call)) => self.on_b_invite_response(now, tx, call, msg),
            Some(ClientRole::Relay {
                call,
                server_tx,
                from,
                method,
            }) => self.on_relay_response(now, tx, call, server_tx, from, method, msg),
            Some(ClientRole::Transfer(call)) => self.on_transfer_response(now, tx, call, msg),
            Some(ClientRole::Resume(call)) => self.on_resume_response(now, tx, call, msg),
            Some(ClientRole::Own) | None => {
                if (200..300).contains(&status)
                    && matches!(msg.cseq().map(|c| c.method), Ok(Method::Invite))
                {
                    self.orphan_2xx(now, &msg);
                }
            }
        }
    }

    fn on_stray_response(&mut self, now: Instant, msg: SipMessage) {
        let status = msg.status().unwrap_or(0);
        if (200..300).contains(&status)
            && matches!(msg.cseq().map(|c| c.method), Ok(Method::Invite))
        {
            self.orphan_2xx(now, &msg);
        } else {
            self.metrics.count_drop(SipDrop::StrayResponse);
        }
    }

    /// ACK and BYE a 2xx that no live call wants, so the far side does not keep a
    /// half-open call (and retransmit its 2xx for 32 s).
    fn orphan_2xx(&mut self, now: Instant, msg: &SipMessage) {
        let (ack_branch, bye_branch) = (self.txl.new_branch(), self.txl.new_branch());
        let settings = &self.settings;
        let hop_for = |p: Peer| Hop::for_peer(settings, p);
        let fallback = self.settings.config.trunks.first().map(routing::trunk_peer);
        let Some(fallback) = fallback else { return };
        let Some((ack, bye, dest)) = build::orphan_ack_and_bye(
            &mut self.buf,
            msg,
            hop_for,
            &ack_branch,
            &bye_branch,
            fallback,
        ) else {
            return;
        };
        self.out.push_back(Transmit {
            peer: dest,
            payload: ack.as_bytes().clone(),
        });
        let Some(ctx) = self.send_request(now, bye, dest) else {
            return;
        };
        self.client_roles.insert(ctx, ClientRole::Own);
    }

    /// A client transaction ended without a final response: Timer B/F (408) or an
    /// unreachable next hop (503, mapped to 500 toward the caller like a relayed 503).
    fn on_client_timeout(&mut self, now: Instant, tx: ClientTxId, status: u16, reason: &str) {
        self.metrics
            .transaction_timeouts
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (status, reason) = if status == 503 {
            (500, "Server Internal Error (next hop unreachable)")
        } else {
            (status, reason)
        };
        match self.client_roles.remove(&tx) {
            Some(ClientRole::InitialInvite(call)) => self.fail_setup(now, call, status, reason),
            Some(ClientRole::Relay {
                call,
                server_tx,
                method,
                ..
            }) => {
                if method == Method::Invite {
                    if let Some(c) = self.calls.get_mut(&call) {
                        c.reinvite = None;
                    }
                }
                if let Some(r) = self.relayed.remove(&server_tx) {
                    self.reject(now, server_tx, &r.req, status, reason, &[]);
                }
            }
            Some(ClientRole::Transfer(call)) => {
                self.transfer_unanswered(now, tx, call, status, reason);
            }
            Some(ClientRole::Resume(call)) => self.resume_unanswered(tx, call),
            Some(ClientRole::Own) | None => {}
        }
    }

    /// Starts a client transaction; a refusal is our own bug (a message we built
    /// without a branch), logged rather than sent.
    fn send_request(&mut self, now: Instant, req: SipMessage, to: Peer) -> Option<ClientTxId> {
        match self.txl.send_request(now, req, to) {
            Ok(tx) => Some(tx),
            Err(e) => {
                tracing::error!(error = %e, "transaction layer refused a request the engine built");
                None
            }
        }
    }

    fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| char::from(ALPHABET[self.rng.gen_range(0..ALPHABET.len())]))
            .collect()
    }

    fn hop(&self, peer: Peer) -> Hop {
        Hop::for_peer(&self.settings, peer)
    }

    fn user_agent(&self) -> String {
        self.settings.config.sip.user_agent.clone()
    }
}

/// An in-dialog request relayed to the other leg, until its final response.
struct Relayed {
    call: CallRef,
    req: SipMessage,
    /// What its SDP offer changes on the media plane, applied only on a 2xx.
    deferred: anchor::RemoteUpdates,
}

/// The tracing span of one call: handlers enter it, so every log line about a call
/// carries its reference (the daemon's subscriber decides what is recorded).
fn call_span(id: CallRef) -> tracing::Span {
    tracing::debug_span!("call", call = id.0)
}
