//! The few messages the transaction layer writes itself: 100 Trying (§17.2.1), the
//! ACK to a non-2xx final (§17.1.1.3), CANCEL (§9.1) and the layer's own answers to
//! CANCEL (200 / 481, §9.2). Everything else is built by the TU.

use bytes::{Bytes, BytesMut};

use crate::sip::{response_to, HeaderName, MessageWriter, Method, ParseError, SipMessage};

/// Max-Forwards for requests the layer originates (§8.1.1.6 recommends 70).
const MAX_FORWARDS: &str = "70";

/// The first Via value of `msg` (its own text, even when several Vias share a line).
fn top_via_value(msg: &SipMessage) -> Result<&str, ParseError> {
    msg.top_via().map(|v| v.raw)
}

/// The raw value of a header the parser guarantees (From, To) on a parsed message.
fn required(msg: &SipMessage, name: HeaderName) -> Result<&str, ParseError> {
    msg.header(name).ok_or(ParseError::MissingHeader(name))
}

/// 100 Trying for `req`: no To tag (§17.2.1 downgrades it to SHOULD NOT) and a copy of
/// any Timestamp header (§8.2.6.1).
pub(crate) fn trying(buf: &mut BytesMut, req: &SipMessage) -> Bytes {
    let mut w = response_to(buf, req, 100, "Trying", None);
    if let Some(ts) = req.header(HeaderName::Timestamp) {
        w.header(HeaderName::Timestamp, ts);
    }
    w.finish(None, b"")
}

/// A body-less response built by the layer (200 to a CANCEL, 481).
pub(crate) fn simple_response(
    buf: &mut BytesMut,
    req: &SipMessage,
    status: u16,
    reason: &str,
    to_tag: Option<&str>,
) -> Bytes {
    response_to(buf, req, status, reason, to_tag).finish(None, b"")
}

/// Request-URI, Call-ID, From, CSeq number, single top Via and Route set copied from
/// `original`; the caller supplies the To value and the method.
fn request_like(
    buf: &mut BytesMut,
    original: &SipMessage,
    method: Method,
    to: &str,
) -> Result<Bytes, ParseError> {
    let uri = original.request_uri().unwrap_or("");
    let via = top_via_value(original)?;
    let call_id = original.call_id()?;
    let seq = original.cseq()?.seq;
    let from = required(original, HeaderName::From)?;
    let mut w = MessageWriter::request(buf, method, uri);
    w.header(HeaderName::Via, via);
    for route in original.header_values(HeaderName::Route) {
        w.header(HeaderName::Route, route);
    }
    w.header(HeaderName::MaxForwards, MAX_FORWARDS)
        .header(HeaderName::From, from)
        .header(HeaderName::To, to)
        .header(HeaderName::CallId, call_id)
        .header_fmt(HeaderName::CSeq, format_args!("{seq} {method}"));
    Ok(w.finish(None, b""))
}

/// ACK for a non-2xx final (§17.1.1.3): like the INVITE, but To comes from the
/// response (it carries the UAS tag) and the CSeq method is ACK.
pub(crate) fn ack_for_non2xx(
    buf: &mut BytesMut,
    invite: &SipMessage,
    response: &SipMessage,
) -> Result<Bytes, ParseError> {
    let to = required(response, HeaderName::To)?;
    request_like(buf, invite, Method::Ack, to)
}

/// CANCEL for a pending INVITE (§9.1): every identifying field of the INVITE,
/// including its To (no tag) and its top Via (same branch), method CANCEL.
pub(crate) fn cancel(buf: &mut BytesMut, invite: &SipMessage) -> Result<Bytes, ParseError> {
    let to = required(invite, HeaderName::To)?;
    request_like(buf, invite, Method::Cancel, to)
}
