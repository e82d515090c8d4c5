//! Building the messages the SBC sends on a leg: in-dialog requests, ACKs, responses.
//! Every hop-owned header (Via, Contact, Route, Call-ID, tags, CSeq) is the leg's own;
//! end-to-end headers come from the message being relayed (see `headers`).

use bytes::BytesMut;

use super::headers::{self, with_tag, ALLOW};
use super::settings::host_port;
use crate::net::{Peer, TransportKind};
use crate::sip::{response_to, HeaderName, MessageWriter, Method, SipMessage};

/// The remote half of a dialog as seen when sending a request on it. Usually the leg's
/// own state; for an early dialog with one fork of a forking callee, that fork's.
#[derive(Debug, Clone, Copy)]
pub struct DialogView<'a> {
    pub call_id: &'a str,
    pub local_uri: &'a str,
    pub local_tag: &'a str,
    pub remote_uri: &'a str,
    pub remote_tag: Option<&'a str>,
    pub target: Option<&'a str>,
    pub route_set: &'a [String],
    pub fallback: Peer,
}

/// Who we are on the wire for one message: our sent-by and the transport it goes on.
#[derive(Debug, Clone, Copy)]
pub struct Hop {
    pub local: std::net::SocketAddr,
    pub transport: TransportKind,
}

impl Hop {
    pub fn for_peer(settings: &super::settings::EngineSettings, peer: Peer) -> Hop {
        Hop {
            local: settings.local_addr(peer.transport, peer.addr),
            transport: peer.transport,
        }
    }
    pub fn contact(&self) -> String {
        match self.transport {
            TransportKind::Udp => format!("<sip:sbc@{}>", host_port(self.local)),
            TransportKind::Tcp => format!("<sip:sbc@{};transport=tcp>", host_port(self.local)),
        }
    }
    pub fn via(&self, branch: &str) -> String {
        format!(
            "SIP/2.0/{} {};branch={branch};rport",
            self.transport.via_token(),
            host_port(self.local)
        )
    }
}

/// What a relayed message carries besides the dialog headers.
#[derive(Clone, Copy, Default)]
pub struct Payload<'a> {
    /// Copy its end-to-end headers (see `headers::copy_end_to_end`).
    pub e2e_from: Option<&'a SipMessage>,
    /// (Content-Type, body); an empty body writes Content-Length: 0 only.
    pub body: Option<(&'a str, &'a [u8])>,
    pub user_agent: &'a str,
    /// Max-Forwards for a request; `None` writes 70 (in-dialog requests).
    pub max_forwards: Option<u8>,
    /// Headers the SBC adds itself (name, value), before the end-to-end ones.
    pub extra: &'a [(&'a str, &'a str)],
}

/// An in-dialog request (or ACK) on a leg.
pub fn dialog_request(
    buf: &mut BytesMut,
    d: &DialogView<'_>,
    hop: Hop,
    method: Method,
    cseq: u32,
    branch: &str,
    p: Payload<'_>,
) -> Option<SipMessage> {
    let target = d.target.unwrap_or(d.remote_uri);
    let target = target.trim().trim_start_matches('<').trim_end_matches('>');
    let mut w = MessageWriter::request(buf, method, target);
    w.header(HeaderName::Via, &hop.via(branch));
    w.header_fmt(
        HeaderName::MaxForwards,
        format_args!("{}", p.max_forwards.unwrap_or(70)),
    );
    w.header(HeaderName::From, &with_tag(d.local_uri, Some(d.local_tag)));
    w.header(HeaderName::To, &with_tag(d.remote_uri, d.remote_tag));
    w.header(HeaderName::CallId, d.call_id);
    w.header_fmt(HeaderName::CSeq, format_args!("{cseq} {method}"));
    for r in d.route_set {
        w.header(HeaderName::Route, r);
    }
    if matches!(
        method,
        Method::Invite | Method::Update | Method::Subscribe | Method::Refer | Method::Notify
    ) {
        w.header(HeaderName::Contact, &hop.contact());
        w.header(HeaderName::Allow, ALLOW);
    }
    finish(w, p)
}

/// A response to `req` (a request the SBC received on some leg).
pub fn response(
    buf: &mut BytesMut,
    req: &SipMessage,
    status: u16,
    reason: &str,
    to_tag: Option<&str>,
    dialog_hop: Option<Hop>,
    p: Payload<'_>,
) -> Option<SipMessage> {
    let mut w = response_to(buf, req, status, reason, to_tag);
    if let Some(hop) = dialog_hop {
        // Dialog-creating responses echo Record-Route (§12.1.1) and name our Contact.
        for rr in req.header_values(HeaderName::RecordRoute) {
            w.header(HeaderName::RecordRoute, rr);
        }
        w.header(HeaderName::Contact, &hop.contact());
        w.header(HeaderName::Allow, ALLOW);
    }
    finish(w, p)
}

fn finish(mut w: MessageWriter<'_>, p: Payload<'_>) -> Option<SipMessage> {
    for (n, v) in p.extra {
        w.header_raw(n, v);
    }
    if !p.user_agent.is_empty() {
        w.header(HeaderName::UserAgent, p.user_agent);
    }
    if let Some(src) = p.e2e_from {
        headers::copy_end_to_end(src, &mut w);
    }
    let bytes = match p.body {
        Some((ctype, body)) if !body.is_empty() => w.finish(Some(ctype), body),
        _ => w.finish(None, b""),
    };
    // What we wrote must parse; if it does not, that is our bug, not the peer's, and
    // the caller answers 500 rather than sending garbage.
    SipMessage::parse(bytes).ok()
}

/// ACK and BYE for a 2xx that belongs to no live call (a second fork answering, the
/// CANCEL/200 race, a 2xx after Timer C): everything needed is in the 2xx itself.
pub fn orphan_ack_and_bye(
    buf: &mut BytesMut,
    resp: &SipMessage,
    hop_for: impl Fn(Peer) -> Hop,
    ack_branch: &str,
    bye_branch: &str,
    fallback: Peer,
) -> Option<(SipMessage, SipMessage, Peer)> {
    let cseq = resp.cseq().ok()?;
    let call_id = resp.call_id().ok()?.to_owned();
    let from = resp.from_hdr().ok()?;
    let to = resp.to_hdr().ok()?;
    let local_tag = from.tag()?.to_owned();
    let local_uri = headers::strip_tag(from.raw);
    let remote_uri = headers::strip_tag(to.raw);
    let remote_tag = to.tag().map(str::to_owned);
    let target = resp
        .contact()
        .and_then(Result::ok)
        .map(|c| c.uri.to_owned());
    let mut route_set: Vec<String> = resp
        .header_values(HeaderName::RecordRoute)
        .map(str::to_owned)
        .collect();
    route_set.reverse();
    let dest = super::routing::next_hop(&route_set, target.as_deref(), fallback);
    let view = DialogView {
        call_id: &call_id,
        local_uri: &local_uri,
        local_tag: &local_tag,
        remote_uri: &remote_uri,
        remote_tag: remote_tag.as_deref(),
        target: target.as_deref(),
        route_set: &route_set,
        fallback,
    };
    let hop = hop_for(dest);
    let ack = dialog_request(
        buf,
        &view,
        hop,
        Method::Ack,
        cseq.seq,
        ack_branch,
        Payload::default(),
    )?;
    let bye = dialog_request(
        buf,
        &view,
        hop,
        Method::Bye,
        cseq.seq.wrapping_add(1),
        bye_branch,
        Payload::default(),
    )?;
    Some((ack, bye, dest))
}
