//! Fuzz target for the SIP parser, framer and serializer: arbitrary bytes go through
//! `message_length` and `SipMessage::parse`, then every accessor and `response_to`.
//! Errors are fine; a panic, hang or out-of-bounds access is a bug.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use sbc_signaling::sip::{message_length, response_to, HeaderName, ParseError, SipMessage, Uri};

fuzz_target!(|data: &[u8]| {
    let _ = message_length(data);
    let Ok(m) = SipMessage::parse(Bytes::copy_from_slice(data)) else {
        return;
    };
    let _ = (
        m.start_line(),
        m.is_request(),
        m.method(),
        m.status(),
        m.reason_phrase(),
    );
    let _ = m.request_uri().map(Uri::parse);
    let _ = (m.call_id(), m.cseq(), m.max_forwards(), m.content_type());
    if let Ok(v) = m.top_via() {
        let _ = (v.branch(), v.received(), v.rport(), v.param("maddr"));
    }
    for v in m.vias().flatten() {
        let _ = v.branch();
    }
    for na in [m.from_hdr(), m.to_hdr()].into_iter().flatten() {
        let _ = (na.tag(), na.param("x"));
        if let Ok(u) = na.parsed_uri() {
            let _ = u.param("transport");
        }
    }
    if let Some(Ok(c)) = m.contact() {
        let _ = c.parsed_uri();
    }
    for h in m.headers() {
        let _ = m.header_by_name(h.raw_name);
    }
    for name in [
        HeaderName::Route,
        HeaderName::RecordRoute,
        HeaderName::Supported,
    ] {
        let _ = m.header_values(name).count();
    }
    let _ = (m.body().len(), m.body_bytes().len(), m.as_bytes().len());
    let mut buf = BytesMut::new();
    let out = response_to(&mut buf, &m, 200, "OK", Some("fuzz")).finish(None, b"");
    // A response to a request whose dialog headers parse must itself parse (it may
    // only grow past the size cap: canonical names are longer than compact ones).
    let well_formed = m.from_hdr().is_ok() && m.to_hdr().is_ok() && m.vias().all(|v| v.is_ok());
    if m.is_request() && well_formed {
        match SipMessage::parse(out) {
            Ok(_) | Err(ParseError::TooLarge { .. }) => {}
            Err(e) => panic!("response_to produced an unparsable message: {e}"),
        }
    }
});
