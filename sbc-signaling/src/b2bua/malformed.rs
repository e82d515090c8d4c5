//! Answers to requests the parser refused (400 with the reason, 505, 513, 416...).
//!
//! A message that failed to parse has no `SipMessage`, yet RFC 3261 §8.2 wants the
//! error answered, and a response must echo Via, From, To, Call-ID and CSeq. So this
//! scans the raw header lines leniently, copies those five (byte-exact, all Via lines),
//! and writes the response. If the first line is not a request line, or one of the five
//! is missing, there is nobody to answer and the message is only counted.

use bytes::{Bytes, BytesMut};

use crate::sip::{HeaderName, MessageWriter};

/// Maximum header lines scanned: bounds the work an attacker can cause.
const MAX_LINES: usize = 200;

/// True if the first line looks like `METHOD SP ...` (a request), not `SIP/...` (a response).
pub fn looks_like_request(buf: &[u8]) -> bool {
    let first = buf.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let token = first.split(|b| *b == b' ').next().unwrap_or(&[]);
    !token.is_empty()
        && !token.starts_with(b"SIP/")
        && token
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(b))
        && first.windows(4).any(|w| w == b"SIP/")
}

/// Builds `status reason` for an unparseable request, or `None` if it cannot be answered.
pub fn respond(
    buf: &[u8],
    status: u16,
    reason: &str,
    to_tag: &str,
    out: &mut BytesMut,
) -> Option<Bytes> {
    if !looks_like_request(buf) {
        return None;
    }
    let text = std::str::from_utf8(buf).ok().or_else(|| {
        // Keep the valid prefix: header lines are ASCII in practice, bodies may not be.
        let valid = std::str::from_utf8(buf).err()?.valid_up_to();
        std::str::from_utf8(&buf[..valid]).ok()
    })?;
    let mut vias = Vec::new();
    let (mut from, mut to, mut call_id, mut cseq) = (None, None, None, None);
    for line in text.lines().skip(1).take(MAX_LINES) {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match HeaderName::from_bytes(name.trim().as_bytes()) {
            HeaderName::Via => vias.push(value),
            HeaderName::From => from = Some(value),
            HeaderName::To => to = Some(value),
            HeaderName::CallId => call_id = Some(value),
            HeaderName::CSeq => cseq = Some(value),
            _ => {}
        }
    }
    let (from, to, call_id, cseq) = (from?, to?, call_id?, cseq?);
    if vias.is_empty() {
        return None;
    }
    let reason = sanitize_reason(reason);
    let mut w = MessageWriter::response(out, status, &reason);
    for v in vias {
        w.header(HeaderName::Via, v);
    }
    w.header(HeaderName::From, from);
    let to_has_tag = to.to_ascii_lowercase().contains(";tag=");
    if to_has_tag {
        w.header(HeaderName::To, to);
    } else {
        w.header_fmt(HeaderName::To, format_args!("{to};tag={to_tag}"));
    }
    w.header(HeaderName::CallId, call_id);
    w.header(HeaderName::CSeq, cseq);
    Some(w.finish(None, b""))
}

/// A reason phrase must be one line of printable text (it may quote attacker input).
pub fn sanitize_reason(reason: &str) -> String {
    reason
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_a_request_with_the_five_headers() {
        let raw = b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP 5.6.7.8;branch=z9hG4bK2\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c1\r\nCSeq: x INVITE\r\n\r\n";
        let mut buf = BytesMut::new();
        let out = respond(raw, 400, "Bad CSeq\r\nX: injected", "t1", &mut buf).unwrap();
        let s = std::str::from_utf8(&out).unwrap();
        assert!(s.starts_with("SIP/2.0 400 Bad CSeqX: injected\r\n"), "{s}");
        assert_eq!(s.matches("Via:").count(), 2);
        assert!(s.contains("To: <sip:a@b>;tag=t1\r\n"));
        assert!(s.contains("CSeq: x INVITE\r\n"));
    }

    #[test]
    fn responses_and_garbage_are_not_answered() {
        let mut buf = BytesMut::new();
        assert!(respond(b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n", 400, "x", "t", &mut buf).is_none());
        assert!(respond(b"\x00\x01\x02", 400, "x", "t", &mut buf).is_none());
        assert!(respond(
            b"INVITE sip:a SIP/2.0\r\nVia: x\r\n\r\n",
            400,
            "x",
            "t",
            &mut buf
        )
        .is_none());
    }
}
