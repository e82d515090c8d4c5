//! SIP message text for the test UA (RFC 3261 §8.1.1 requests, §8.2.6
//! responses): just the headers a UA needs, written by hand so the SBC is
//! tested against an encoder that is not its own.

use std::fmt::Write as _;
use std::net::SocketAddr;

use sbc_signaling::sip::{HeaderName, SipMessage};

/// RFC 3261 §8.1.1.7: branches of RFC 3261 transactions start with this.
pub const BRANCH_COOKIE: &str = "z9hG4bK";

/// What a request needs besides its method and Request-URI.
#[derive(Debug, Clone)]
pub struct RequestHead<'a> {
    /// Our socket: the Via sent-by and the Contact host.
    pub local: SocketAddr,
    /// Without the magic cookie.
    pub branch: &'a str,
    /// Full From header value, with our tag.
    pub from: &'a str,
    /// Full To header value (with the peer's tag inside a dialog).
    pub to: &'a str,
    pub call_id: &'a str,
    pub cseq: u32,
    /// Route header values, in order (the dialog's route set).
    pub routes: &'a [String],
}

/// A message body with its media type.
#[derive(Debug, Clone, Copy)]
pub struct Body<'a> {
    pub content_type: &'a str,
    pub text: &'a str,
}

impl<'a> Body<'a> {
    pub fn sdp(text: &'a str) -> Body<'a> {
        Body {
            content_type: "application/sdp",
            text,
        }
    }
}

/// Extra header fields, as (name, value), written after the standard ones.
pub type ExtraHeaders = [(String, String)];

/// A request; `body` is SDP when present.
pub fn request(method: &str, uri: &str, head: &RequestHead<'_>, body: Option<&str>) -> String {
    request_with(method, uri, head, &[], body.map(Body::sdp))
}

/// A request with extra header fields and a body of any type.
pub fn request_with(
    method: &str,
    uri: &str,
    head: &RequestHead<'_>,
    extra: &ExtraHeaders,
    body: Option<Body<'_>>,
) -> String {
    let mut out = String::with_capacity(512);
    let _ = write!(
        out,
        "{method} {uri} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch={BRANCH_COOKIE}{branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: {from}\r\n\
         To: {to}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} {method}\r\n\
         Contact: <sip:ua@{local}>\r\n",
        local = head.local,
        branch = head.branch,
        from = head.from,
        to = head.to,
        call_id = head.call_id,
        cseq = head.cseq,
    );
    for route in head.routes {
        let _ = write!(out, "Route: {route}\r\n");
    }
    finish(out, extra, body)
}

/// A response to `req` (§8.2.6.2): Vias, From, To (plus `to_tag` if the
/// request's To has none), Call-ID and CSeq copied; Record-Route copied too
/// (§12.1.1), so a proxy's route set survives; Contact when we give one.
pub fn response(
    req: &SipMessage,
    status: u16,
    reason: &str,
    to_tag: Option<&str>,
    contact: Option<SocketAddr>,
    body: Option<&str>,
) -> String {
    response_with(
        req,
        status,
        reason,
        to_tag,
        contact,
        &[],
        body.map(Body::sdp),
    )
}

/// A response (see [`response`]) with extra header fields and any body.
pub fn response_with(
    req: &SipMessage,
    status: u16,
    reason: &str,
    to_tag: Option<&str>,
    contact: Option<SocketAddr>,
    extra: &ExtraHeaders,
    body: Option<Body<'_>>,
) -> String {
    let mut out = String::with_capacity(512);
    let _ = write!(out, "SIP/2.0 {status} {reason}\r\n");
    for via in req.header_values(HeaderName::Via) {
        let _ = write!(out, "Via: {via}\r\n");
    }
    let header = |name| req.header(name).unwrap_or_default();
    let _ = write!(out, "From: {}\r\n", header(HeaderName::From));
    let to = header(HeaderName::To);
    match to_tag {
        Some(tag) if req.to_hdr().ok().and_then(|t| t.tag()).is_none() => {
            let _ = write!(out, "To: {to};tag={tag}\r\n");
        }
        _ => {
            let _ = write!(out, "To: {to}\r\n");
        }
    }
    let _ = write!(out, "Call-ID: {}\r\n", header(HeaderName::CallId));
    let _ = write!(out, "CSeq: {}\r\n", header(HeaderName::CSeq));
    for rr in req.header_values(HeaderName::RecordRoute) {
        let _ = write!(out, "Record-Route: {rr}\r\n");
    }
    if let Some(local) = contact {
        let _ = write!(out, "Contact: <sip:ua@{local}>\r\n");
    }
    finish(out, extra, body)
}

fn finish(mut out: String, extra: &ExtraHeaders, body: Option<Body<'_>>) -> String {
    for (name, value) in extra {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    out.push_str("User-Agent: sbc-test-ua\r\n");
    match body {
        Some(Body { content_type, text }) => {
            let _ = write!(
                out,
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{text}",
                text.len()
            );
        }
        None => out.push_str("Content-Length: 0\r\n\r\n"),
    }
    out
}

/// The CSeq method and number of a message, for matching responses.
pub fn cseq_of(msg: &SipMessage) -> Option<(u32, String)> {
    let cseq = msg.cseq().ok()?;
    Some((cseq.seq, cseq.method.to_string()))
}

/// The body as text (SDP is ASCII).
pub fn body_text(msg: &SipMessage) -> String {
    String::from_utf8_lossy(msg.body()).into_owned()
}
