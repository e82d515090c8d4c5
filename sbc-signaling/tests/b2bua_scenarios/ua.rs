//! A scripted test UA on the real `TransactionLayer`: as caller it sends INVITE, ACKs
//! every 2xx itself (RFC 3261 §13.2.2.4, with the answer when the offer came in the
//! 2xx), and can CANCEL, BYE and re-INVITE; as callee it follows a script of timed
//! responses (possibly with several to-tags, i.e. forking), answers CANCEL with 487,
//! BYE with 200 and re-INVITE with 200 or 491 (always 491 while its own re-INVITE is
//! pending: glare, §14.2). Everything received is recorded for assertions.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use sbc_signaling::net::{Peer, Transmit};
use sbc_signaling::sip::{Method, SipMessage};
use sbc_signaling::transaction::{ClientTxId, ServerTxId, TimerConfig, TransactionLayer, TxEvent};

mod callee;
mod caller;

use crate::sim::XorShift;
use crate::ua_msg::{self, Dialog, NewInvite};

/// See [`Ua::media`]: (proto, a=crypto values) for an SDP answering `offer`.
pub type MediaHook = Box<dyn FnMut(Option<&[u8]>) -> (String, Vec<String>)>;

/// One timed response of a callee script; `after` counts from the previous step.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub after: Duration,
    pub status: u16,
    pub tag: &'static str,
    pub sdp: bool,
}

impl Step {
    pub fn new(after_ms: u64, status: u16, tag: &'static str) -> Step {
        Step {
            after: Duration::from_millis(after_ms),
            status,
            tag,
            sdp: (200..300).contains(&status),
        }
    }
    pub fn with_sdp(mut self, sdp: bool) -> Step {
        self.sdp = sdp;
        self
    }
}

/// What a callee does with a new INVITE.
#[derive(Debug, Clone)]
pub enum Script {
    Steps(Vec<Step>),
    /// Never answers, not even 100 Trying: the INVITE is dropped before the transaction
    /// layer sees it (a dead host).
    Silent,
}

impl Script {
    pub fn ring_answer() -> Script {
        Script::Steps(vec![Step::new(50, 180, "t1"), Step::new(300, 200, "t1")])
    }
    pub fn ring_forever() -> Script {
        Script::Steps(vec![Step::new(50, 180, "t1")])
    }
    pub fn reject(status: u16) -> Script {
        Script::Steps(vec![Step::new(50, status, "t1")])
    }
}

/// How a UA answers a re-INVITE when it has none of its own pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReinviteAnswer {
    Accept,
    Reject491,
    /// 180, then nothing: only a CANCEL ends it (with 487).
    Ring,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invite,
    Reinvite { offerless: bool, cseq: u32 },
    Bye,
    Other,
}

/// The INVITE this UA received and has not finished answering.
struct Incoming {
    tx: ServerTxId,
    msg: SipMessage,
    final_sent: bool,
}

pub struct Ua {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub proxy: SocketAddr,
    pub script: Script,
    pub on_reinvite: ReinviteAnswer,
    pub dialogs: Vec<Dialog>,
    /// To-tags of provisional responses to our INVITE (early dialogs), in arrival order.
    pub early_tags: Vec<String>,
    // --- records ---
    pub requests: Vec<(Instant, SipMessage)>,
    pub responses: Vec<(Instant, SipMessage)>,
    pub strays: Vec<SipMessage>,
    pub raw: Vec<Bytes>,
    pub timeouts: usize,
    pub ack_timeouts: usize,
    /// Answer with an SDP the SBC cannot parse (a broken peer).
    pub broken_sdp: bool,
    /// A re-INVITE left ringing (`ReinviteAnswer::Ring`), for CANCEL to end.
    pub ringing_reinvite: Option<(ServerTxId, SipMessage)>,
    pub invite_at: Option<Instant>,
    /// The RTP port this UA offers/answers (change it to move the media).
    pub media_port: u16,
    /// Decides the proto and a=crypto values of each SDP this UA writes, given the
    /// offer it answers (`None` when it offers); `None`: plain RTP/AVP.
    pub media: Option<MediaHook>,
    txl: TransactionLayer,
    buf: BytesMut,
    out: VecDeque<Transmit>,
    rng: XorShift,
    kinds: HashMap<ClientTxId, Kind>,
    invite: Option<(ClientTxId, SipMessage)>,
    incoming: Option<Incoming>,
    scheduled: VecDeque<(Instant, Step)>,
    reinvite_pending: Option<ClientTxId>,
    acks: HashMap<String, Bytes>,
    sdp_version: u64,
}

impl Ua {
    pub fn new(name: &'static str, addr: SocketAddr, proxy: SocketAddr, seed: u64) -> Ua {
        Ua {
            name,
            addr,
            proxy,
            script: Script::ring_answer(),
            on_reinvite: ReinviteAnswer::Accept,
            dialogs: Vec::new(),
            early_tags: Vec::new(),
            requests: Vec::new(),
            responses: Vec::new(),
            strays: Vec::new(),
            raw: Vec::new(),
            timeouts: 0,
            ack_timeouts: 0,
            broken_sdp: false,
            ringing_reinvite: None,
            invite_at: None,
            media_port: if name == "alice" { 4000 } else { 6000 },
            media: None,
            txl: TransactionLayer::with_seed(TimerConfig::default(), seed),
            buf: BytesMut::with_capacity(2048),
            out: VecDeque::new(),
            rng: XorShift::new(seed),
            kinds: HashMap::new(),
            invite: None,
            incoming: None,
            scheduled: VecDeque::new(),
            reinvite_pending: None,
            acks: HashMap::new(),
            sdp_version: 0,
        }
    }

    // ----- driving (called by the simulator) -----

    pub fn on_datagram(&mut self, now: Instant, bytes: Bytes, from: Peer) {
        self.raw.push(bytes.clone());
        let Ok(msg) = SipMessage::parse(bytes) else {
            return;
        };
        let new_invite = msg.method() == Some(Method::Invite)
            && msg.to_hdr().map(|t| t.tag().is_none()).unwrap_or(false);
        if new_invite && matches!(self.script, Script::Silent) {
            self.invite_at.get_or_insert(now);
            return;
        }
        self.txl.handle_message(now, msg, from);
        self.drain(now);
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.txl.handle_timeout(now);
        self.drain(now);
        while self.scheduled.front().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, step)) = self.scheduled.pop_front() {
                self.respond_step(now, step);
            }
        }
        self.drain(now);
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let s = self.scheduled.front().map(|(at, _)| *at);
        [self.txl.poll_timeout(), s].into_iter().flatten().min()
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front().or_else(|| self.txl.poll_transmit())
    }

    /// Live transactions in this UA (leak checks).
    pub fn transactions(&self) -> usize {
        self.txl.len()
    }

    // ----- caller actions -----

    /// Sends the initial INVITE to the SBC; with `offer` false it is a late offer.
    pub fn invite(&mut self, now: Instant, offer: bool) {
        let tag = self.token();
        let call_id = format!("{}@{}", self.token(), self.addr.ip());
        let branch = self.txl.new_branch();
        let body = offer.then(|| self.next_sdp("sendrecv", b""));
        let msg = ua_msg::invite(
            &mut self.buf,
            &NewInvite {
                ruri: &format!("sip:bob@{}", self.proxy),
                local: self.addr,
                user: self.name,
                to_user: "bob",
                to_host: self.proxy,
                call_id: &call_id,
                tag: &tag,
                branch: &branch,
                body: body.as_deref(),
            },
        );
        self.send_request(now, msg, Kind::Invite, self.proxy);
    }

    pub fn cancel(&mut self, now: Instant) -> bool {
        let Some((tx, _)) = &self.invite else {
            return false;
        };
        let tx = *tx;
        match self.txl.cancel(now, tx) {
            Some(c) => {
                self.kinds.insert(c, Kind::Other);
                true
            }
            None => false,
        }
    }

    /// BYE on the live confirmed dialog.
    pub fn bye(&mut self, now: Instant) -> bool {
        self.in_dialog(now, Method::Bye, None, Kind::Bye)
    }

    /// re-INVITE with an offer of direction `dir`, or offerless with `None`.
    pub fn reinvite(&mut self, now: Instant, dir: Option<&str>) -> bool {
        let body = dir.map(|d| self.next_sdp(d, b""));
        let cseq = self.live().map(|d| d.local_cseq + 1).unwrap_or(0);
        let kind = Kind::Reinvite {
            offerless: body.is_none(),
            cseq,
        };
        self.in_dialog(now, Method::Invite, body, kind)
    }

    /// re-INVITE repeating the current session (the same o= version): a session
    /// refresh (RFC 4028) that changes nothing.
    pub fn refresh(&mut self, now: Instant) -> bool {
        self.sdp_version = self.sdp_version.saturating_sub(1);
        self.reinvite(now, Some("sendrecv"))
    }

    /// Any other in-dialog request (INFO, OPTIONS, ...), without body.
    pub fn request(&mut self, now: Instant, m: Method) -> bool {
        self.in_dialog(now, m, None, Kind::Other)
    }

    /// REFER (RFC 3515) on the live dialog, with `Refer-To: refer_to` and `extra`.
    pub fn refer(&mut self, now: Instant, refer_to: &str, extra: &[(&str, &str)]) -> bool {
        let mut headers = vec![("Refer-To", refer_to)];
        headers.extend_from_slice(extra);
        self.in_dialog_with(now, Method::Refer, None, Kind::Other, &headers)
    }

    fn in_dialog(&mut self, now: Instant, m: Method, body: Option<String>, kind: Kind) -> bool {
        self.in_dialog_with(now, m, body, kind, &[])
    }

    fn in_dialog_with(
        &mut self,
        now: Instant,
        m: Method,
        body: Option<String>,
        kind: Kind,
        extra: &[(&str, &str)],
    ) -> bool {
        let branch = self.txl.new_branch();
        let local = self.addr;
        let proxy = self.proxy;
        let Some(d) = self.dialogs.iter_mut().find(|d| !d.terminated) else {
            return false;
        };
        d.local_cseq += 1;
        let dest = ua_msg::resolve(d.route_set.first().unwrap_or(&d.remote_target), proxy);
        let msg = ua_msg::in_dialog_with(
            &mut self.buf,
            d,
            local,
            (m, d.local_cseq),
            &branch,
            body.as_deref(),
            extra,
        );
        let tx = self.send_request(now, msg, kind, dest);
        if matches!(kind, Kind::Reinvite { .. }) {
            self.reinvite_pending = tx;
        }
        true
    }

    fn send_request(
        &mut self,
        now: Instant,
        msg: SipMessage,
        kind: Kind,
        to: SocketAddr,
    ) -> Option<ClientTxId> {
        let keep = msg.clone();
        match self.txl.send_request(now, msg, Peer::udp(to)) {
            Ok(tx) => {
                self.kinds.insert(tx, kind);
                if kind == Kind::Invite {
                    self.invite = Some((tx, keep));
                }
                Some(tx)
            }
            Err(e) => panic!("{}: transaction layer refused our request: {e}", self.name),
        }
    }

    // ----- queries -----

    /// The confirmed, not terminated dialog (the call), if any.
    pub fn live(&self) -> Option<&Dialog> {
        self.dialogs.iter().find(|d| !d.terminated)
    }

    /// Statuses of responses received for requests of `method`, in order.
    pub fn statuses(&self, method: Method) -> Vec<u16> {
        self.responses
            .iter()
            .filter(|(_, r)| r.cseq().map(|c| c.method) == Ok(method))
            .filter_map(|(_, r)| r.status())
            .collect()
    }

    pub fn responses_to(&self, method: Method) -> Vec<&SipMessage> {
        self.responses
            .iter()
            .filter(|(_, r)| r.cseq().map(|c| c.method) == Ok(method))
            .map(|(_, r)| r)
            .collect()
    }

    /// Requests received (ACK and CANCEL included), by method.
    pub fn requests_of(&self, method: Method) -> Vec<&SipMessage> {
        self.requests
            .iter()
            .filter(|(_, r)| r.method() == Some(method))
            .map(|(_, r)| r)
            .collect()
    }

    pub fn got(&self, method: Method) -> bool {
        !self.requests_of(method).is_empty()
    }

    /// Requests of `method` seen on the wire, retransmissions and transaction-level
    /// ACKs (to non-2xx finals, absorbed by the layer) included.
    pub fn wire_requests(&self, method: Method) -> usize {
        self.raw
            .iter()
            .filter_map(|b| SipMessage::parse(b.clone()).ok())
            .filter(|m| m.method() == Some(method))
            .count()
    }

    /// Everything received on the wire, as text.
    pub fn raw_text(&self) -> String {
        self.raw
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect::<Vec<_>>()
            .join("\n----\n")
    }

    // ----- internals -----

    fn token(&mut self) -> String {
        format!("{}{:x}", self.name, self.rng.next_u64() & 0xffff_ffff)
    }

    /// The next SDP of this UA: an offer when `offer` is empty, else the answer to it.
    /// Without a `media` hook it is plain RTP/AVP.
    fn next_sdp(&mut self, dir: &str, offer: &[u8]) -> String {
        self.sdp_version += 1;
        let offer = (!offer.is_empty()).then_some(offer);
        let (proto, crypto) = match self.media.as_mut() {
            Some(hook) => hook(offer),
            None => ("RTP/AVP".to_owned(), Vec::new()),
        };
        ua_msg::sdp_with(
            &ua_msg::SdpSpec {
                user: self.name,
                ip: self.addr.ip(),
                port: self.media_port,
                version: self.sdp_version,
                dir,
                proto: &proto,
            },
            &crypto,
        )
    }

    fn drain(&mut self, now: Instant) {
        while let Some(ev) = self.txl.poll_event() {
            match ev {
                TxEvent::Request { tx, msg, .. } => {
                    self.requests.push((now, msg.clone()));
                    self.on_request(now, tx, msg);
                }
                TxEvent::Ack { msg, .. } => {
                    let tag = msg.to_hdr().ok().and_then(|t| t.tag().map(str::to_owned));
                    if let Some(d) = self
                        .dialogs
                        .iter_mut()
                        .find(|d| Some(&d.local_tag) == tag.as_ref())
                    {
                        d.confirmed = true;
                    }
                    self.requests.push((now, msg));
                }
                TxEvent::Cancel { invite_tx, msg, .. } => {
                    self.requests.push((now, msg));
                    self.on_cancel(now, invite_tx);
                }
                TxEvent::Response { tx, msg } => {
                    self.responses.push((now, msg.clone()));
                    self.on_response(now, tx, msg);
                }
                TxEvent::StrayResponse { msg } => self.on_stray(msg),
                TxEvent::Timeout { tx } | TxEvent::TransportError { tx } => {
                    self.timeouts += 1;
                    if self.reinvite_pending == Some(tx) {
                        self.reinvite_pending = None;
                    }
                }
                TxEvent::AckTimeout { .. } => self.ack_timeouts += 1,
                TxEvent::Terminated { .. } => {}
            }
        }
    }
}
