//! Shared helpers for the transaction scenario tests: message builders, peers,
//! virtual-time drivers. Everything is deterministic.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use sbc_signaling::net::{ConnectionId, Peer, Transmit, TransportKind};
use sbc_signaling::sip::{response_to, HeaderName, MessageWriter, Method, SipMessage};
use sbc_signaling::transaction::{TimerConfig, TransactionLayer, TxEvent};

pub const UAC_ADDR: &str = "192.0.2.10:5060";
pub const UAS_ADDR: &str = "198.51.100.20:5060";

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn udp(s: &str) -> Peer {
    Peer::udp(addr(s))
}

pub fn tcp(s: &str, conn: u64) -> Peer {
    Peer {
        transport: TransportKind::Tcp,
        addr: addr(s),
        conn: Some(ConnectionId(conn)),
    }
}

pub fn layer() -> TransactionLayer {
    TransactionLayer::with_seed(TimerConfig::default(), 7)
}

pub fn parse(b: Bytes) -> SipMessage {
    SipMessage::parse(b).expect("test message parses")
}

/// Parameters of a test request.
#[derive(Clone)]
pub struct Req<'a> {
    pub method: Method,
    pub uri: &'a str,
    pub via: String,
    pub call_id: &'a str,
    pub from_tag: &'a str,
    pub to_tag: Option<&'a str>,
    pub cseq: u32,
}

impl<'a> Req<'a> {
    pub fn new(method: Method, branch: &str) -> Self {
        Req {
            method,
            uri: "sip:bob@198.51.100.20",
            via: format!("SIP/2.0/UDP 192.0.2.10:5060;branch={branch}"),
            call_id: "call-1@192.0.2.10",
            from_tag: "ftag1",
            to_tag: None,
            cseq: 1,
        }
    }

    pub fn build(&self) -> SipMessage {
        let mut buf = BytesMut::new();
        let mut w = MessageWriter::request(&mut buf, self.method, self.uri);
        w.header(HeaderName::Via, &self.via)
            .header(HeaderName::MaxForwards, "70")
            .header_fmt(
                HeaderName::From,
                format_args!("<sip:alice@192.0.2.10>;tag={}", self.from_tag),
            );
        match self.to_tag {
            Some(t) => w.header_fmt(
                HeaderName::To,
                format_args!("<sip:bob@198.51.100.20>;tag={t}"),
            ),
            None => w.header(HeaderName::To, "<sip:bob@198.51.100.20>"),
        };
        w.header(HeaderName::CallId, self.call_id).header_fmt(
            HeaderName::CSeq,
            format_args!("{} {}", self.cseq, self.method),
        );
        parse(w.finish(None, b""))
    }
}

/// A response to `req` with `status`, tagging To with `to_tag` when given.
pub fn response(req: &SipMessage, status: u16, to_tag: Option<&str>) -> SipMessage {
    let mut buf = BytesMut::new();
    let reason = sbc_signaling::sip::default_reason(status);
    parse(response_to(&mut buf, req, status, reason, to_tag).finish(None, b""))
}

/// The ACK for a 2xx, as a TU builds it (new branch, To with the 2xx tag).
pub fn ack_for_2xx(invite: &SipMessage, ok: &SipMessage, branch: &str) -> SipMessage {
    let mut buf = BytesMut::new();
    let seq = invite.cseq().unwrap().seq;
    let mut w = MessageWriter::request(&mut buf, Method::Ack, invite.request_uri().unwrap());
    w.header_fmt(
        HeaderName::Via,
        format_args!("SIP/2.0/UDP 192.0.2.10:5060;branch={branch}"),
    )
    .header(HeaderName::MaxForwards, "70")
    .header(HeaderName::From, invite.header(HeaderName::From).unwrap())
    .header(HeaderName::To, ok.header(HeaderName::To).unwrap())
    .header(HeaderName::CallId, invite.call_id().unwrap())
    .header_fmt(HeaderName::CSeq, format_args!("{seq} ACK"));
    parse(w.finish(None, b""))
}

pub fn drain_tx(l: &mut TransactionLayer) -> Vec<Transmit> {
    std::iter::from_fn(|| l.poll_transmit()).collect()
}

pub fn drain_ev(l: &mut TransactionLayer) -> Vec<TxEvent> {
    std::iter::from_fn(|| l.poll_event()).collect()
}

/// First line of a transmitted message, e.g. "INVITE sip:.. SIP/2.0" or "SIP/2.0 200 OK".
pub fn first_line(t: &Transmit) -> String {
    let s = String::from_utf8_lossy(&t.payload);
    s.lines().next().unwrap_or("").to_string()
}

/// Run all timers until `until`, returning (offset from `t0`, transmit) for every send.
pub fn run_timers(
    l: &mut TransactionLayer,
    t0: Instant,
    until: Instant,
) -> Vec<(Duration, Transmit)> {
    let mut out = Vec::new();
    while let Some(at) = l.poll_timeout() {
        if at > until {
            break;
        }
        l.handle_timeout(at);
        for t in drain_tx(l) {
            out.push((at - t0, t));
        }
    }
    out
}

/// Run every timer to exhaustion (leak checks).
pub fn run_out(l: &mut TransactionLayer) {
    let mut guard = 0;
    while let Some(at) = l.poll_timeout() {
        l.handle_timeout(at);
        drain_tx(l);
        guard += 1;
        assert!(guard < 10_000, "timers never settle");
    }
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
