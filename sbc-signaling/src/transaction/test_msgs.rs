//! Message fixtures for the state-machine unit tests (test builds only).

use std::net::SocketAddr;

use bytes::Bytes;

use crate::net::{ConnectionId, Peer, TransportKind};
use crate::sip::SipMessage;

pub(crate) fn msg(text: &str) -> SipMessage {
    let wire = text.replace('\n', "\r\n");
    SipMessage::parse(Bytes::from(wire)).expect("fixture parses")
}

pub(crate) fn request(method: &str, branch: &str) -> SipMessage {
    msg(&format!(
        "{method} sip:bob@198.51.100.20 SIP/2.0\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch={branch}\n\
         Max-Forwards: 70\n\
         From: <sip:alice@192.0.2.10>;tag=f1\n\
         To: <sip:bob@198.51.100.20>\n\
         Call-ID: unit-1\n\
         CSeq: 1 {method}\n\
         Content-Length: 0\n\n"
    ))
}

pub(crate) fn response(method: &str, branch: &str, status: u16, to_tag: &str) -> SipMessage {
    msg(&format!(
        "SIP/2.0 {status} Whatever\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch={branch}\n\
         From: <sip:alice@192.0.2.10>;tag=f1\n\
         To: <sip:bob@198.51.100.20>;tag={to_tag}\n\
         Call-ID: unit-1\n\
         CSeq: 1 {method}\n\
         Content-Length: 0\n\n"
    ))
}

pub(crate) fn udp() -> Peer {
    Peer::udp(addr())
}

pub(crate) fn tcp() -> Peer {
    Peer {
        transport: TransportKind::Tcp,
        addr: addr(),
        conn: Some(ConnectionId(1)),
    }
}

fn addr() -> SocketAddr {
    SocketAddr::from(([198, 51, 100, 20], 5060))
}
