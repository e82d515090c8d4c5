//! Message construction for the test UAs: the initial INVITE, in-dialog requests and
//! ACKs (RFC 3261 §12.2.1.1, §13.2.2.4), responses (§8.2.6) and SDP bodies. Kept apart
//! from `ua` (behaviour) so each file has one job.

use std::net::SocketAddr;

use bytes::BytesMut;
use sbc_signaling::sip::{response_to, HeaderName, MessageWriter, Method, SipMessage, Uri};

/// The state of one dialog as a test UA sees it (RFC 3261 §12).
#[derive(Debug, Clone)]
pub struct Dialog {
    pub call_id: String,
    /// Our From/To name-addr without tag, and our tag.
    pub local_uri: String,
    pub local_tag: String,
    pub remote_uri: String,
    pub remote_tag: String,
    /// The peer's Contact URI: the Request-URI of our requests.
    pub remote_target: String,
    /// Route set in sending order.
    pub route_set: Vec<String>,
    pub local_cseq: u32,
    /// The ACK has been sent (UAC) or received (UAS).
    pub confirmed: bool,
    pub terminated: bool,
}

/// Removes the `;tag=` parameter of a From/To value (test inputs are well-formed).
pub fn strip_tag(v: &str) -> String {
    let lower = v.to_ascii_lowercase();
    match lower.find(";tag=") {
        Some(i) => {
            let rest = v.get(i + 5..).unwrap_or("");
            let end = rest.find(';').map(|j| i + 5 + j).unwrap_or(v.len());
            format!("{}{}", v.get(..i).unwrap_or(""), v.get(end..).unwrap_or(""))
        }
        None => v.to_owned(),
    }
}

/// The URI inside `<...>` of a name-addr (or the value itself for an addr-spec).
pub fn uri_of(v: &str) -> String {
    match (v.find('<'), v.find('>')) {
        (Some(a), Some(b)) if a < b => v.get(a + 1..b).unwrap_or("").to_owned(),
        _ => v.split(';').next().unwrap_or("").trim().to_owned(),
    }
}

/// Where a URI with an IP-literal host points; `fallback` otherwise.
pub fn resolve(uri: &str, fallback: SocketAddr) -> SocketAddr {
    let uri = uri_of(uri);
    match Uri::parse(&uri) {
        Ok(u) => match u.host.parse() {
            Ok(ip) => SocketAddr::new(ip, u.port.unwrap_or(5060)),
            Err(_) => fallback,
        },
        Err(_) => fallback,
    }
}

pub fn parse(bytes: bytes::Bytes) -> SipMessage {
    match SipMessage::parse(bytes) {
        Ok(m) => m,
        Err(e) => panic!("test UA built an unparsable message: {e:?}"),
    }
}

/// The fields of a test UA's SDP.
pub struct SdpSpec<'a> {
    pub user: &'a str,
    pub ip: std::net::IpAddr,
    pub port: u16,
    pub version: u64,
    pub dir: &'a str,
    pub proto: &'a str,
}

/// An SDP offer or answer from `s.user` with media direction `s.dir`, the given proto
/// and `a=crypto` values (what follows `a=crypto:`).
pub fn sdp_with(s: &SdpSpec<'_>, crypto: &[String]) -> String {
    let (user, ip, port, version, dir, proto) = (s.user, s.ip, s.port, s.version, s.dir, s.proto);
    let mut body = format!(
        "v=0\r\no={user} 4242 {version} IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} {proto} 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na={dir}\r\n"
    );
    for c in crypto {
        body.push_str(&format!("a=crypto:{c}\r\n"));
    }
    body
}

/// The direction an answerer uses for an offer's direction (RFC 3264 §6.1).
pub fn answer_direction(offer: &[u8]) -> &'static str {
    let text = String::from_utf8_lossy(offer);
    if text.contains("a=sendonly") {
        "recvonly"
    } else if text.contains("a=recvonly") {
        "sendonly"
    } else if text.contains("a=inactive") {
        "inactive"
    } else {
        "sendrecv"
    }
}

pub struct NewInvite<'a> {
    pub ruri: &'a str,
    pub local: SocketAddr,
    pub user: &'a str,
    pub to_user: &'a str,
    pub to_host: SocketAddr,
    pub call_id: &'a str,
    pub tag: &'a str,
    pub branch: &'a str,
    pub body: Option<&'a str>,
}

/// The dialog-creating INVITE (CSeq 1).
pub fn invite(buf: &mut BytesMut, p: &NewInvite<'_>) -> SipMessage {
    let mut w = MessageWriter::request(buf, Method::Invite, p.ruri);
    w.header(
        HeaderName::Via,
        &format!("SIP/2.0/UDP {};branch={};rport", p.local, p.branch),
    );
    w.header(HeaderName::MaxForwards, "70");
    w.header(
        HeaderName::From,
        &format!("\"{}\" <sip:{}@{}>;tag={}", p.user, p.user, p.local, p.tag),
    );
    w.header(
        HeaderName::To,
        &format!("<sip:{}@{}>", p.to_user, p.to_host),
    );
    w.header(HeaderName::CallId, p.call_id);
    w.header(HeaderName::CSeq, "1 INVITE");
    w.header(
        HeaderName::Contact,
        &format!("<sip:{}@{}>", p.user, p.local),
    );
    w.header_raw("Subject", "scenario");
    parse(match p.body {
        Some(b) => w.finish(Some("application/sdp"), b.as_bytes()),
        None => w.finish(None, b""),
    })
}

/// A request inside `d` (ACK included; its CSeq is the INVITE's, chosen by the caller).
pub fn in_dialog(
    buf: &mut BytesMut,
    d: &Dialog,
    local: SocketAddr,
    method: Method,
    cseq: u32,
    branch: &str,
    body: Option<&str>,
) -> SipMessage {
    in_dialog_with(buf, d, local, (method, cseq), branch, body, &[])
}

/// As [`in_dialog`], with extra header fields (name, value) before the body.
pub fn in_dialog_with(
    buf: &mut BytesMut,
    d: &Dialog,
    local: SocketAddr,
    (method, cseq): (Method, u32),
    branch: &str,
    body: Option<&str>,
    extra: &[(&str, &str)],
) -> SipMessage {
    let mut w = MessageWriter::request(buf, method, &uri_of(&d.remote_target));
    w.header(
        HeaderName::Via,
        &format!("SIP/2.0/UDP {local};branch={branch};rport"),
    );
    w.header(HeaderName::MaxForwards, "70");
    w.header(
        HeaderName::From,
        &format!("{};tag={}", d.local_uri, d.local_tag),
    );
    w.header(
        HeaderName::To,
        &format!("{};tag={}", d.remote_uri, d.remote_tag),
    );
    w.header(HeaderName::CallId, &d.call_id);
    w.header(HeaderName::CSeq, &format!("{cseq} {}", method.as_str()));
    for r in &d.route_set {
        w.header(HeaderName::Route, r);
    }
    if method == Method::Invite {
        w.header(HeaderName::Contact, &format!("<sip:ua@{local}>"));
    }
    for (name, value) in extra {
        w.header_raw(name, value);
    }
    parse(match body {
        Some(b) => w.finish(Some("application/sdp"), b.as_bytes()),
        None => w.finish(None, b""),
    })
}

/// A response to `req`; `contact` for dialog-creating/refreshing responses.
pub fn response(
    buf: &mut BytesMut,
    req: &SipMessage,
    status: u16,
    tag: Option<&str>,
    contact: Option<SocketAddr>,
    body: Option<&str>,
) -> SipMessage {
    let reason = sbc_signaling::sip::default_reason(status);
    let mut w = response_to(buf, req, status, reason, tag);
    if let Some(c) = contact {
        w.header(HeaderName::Contact, &format!("<sip:ua@{c}>"));
    }
    parse(match body {
        Some(b) => w.finish(Some("application/sdp"), b.as_bytes()),
        None => w.finish(None, b""),
    })
}
