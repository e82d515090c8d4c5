//! The request line and status line (RFC 3261 §7.1, §7.2), parsed strictly: single
//! SP separators, a Request-URI with a scheme, and `SIP/2.0` (other well-formed
//! versions are reported as 505, anything else as 400).

use std::ops::Range;

use super::message::Span;
use super::{Method, ParseError};

/// The start line as spans into the buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Start {
    Request { method: Method, uri: Span },
    Response { status: u16, reason: Span },
}

/// Parses the start line occupying `line` (terminator excluded) in `buf`.
pub(crate) fn parse_start_line(buf: &[u8], line: Range<usize>) -> Result<Start, ParseError> {
    let text = buf.get(line.clone()).ok_or(ParseError::BadStartLine)?;
    if text.len() >= 4
        && text
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
    {
        parse_status_line(text, line.start)
    } else {
        parse_request_line(text, line.start)
    }
}

fn parse_request_line(text: &[u8], base: usize) -> Result<Start, ParseError> {
    let bad = ParseError::BadStartLine;
    let sp1 = memchr::memchr(b' ', text).ok_or(bad)?;
    let method = Method::parse(text.get(..sp1).ok_or(bad)?)?;
    let rest = text.get(sp1 + 1..).ok_or(bad)?;
    let sp2 = memchr::memchr(b' ', rest).ok_or(bad)?;
    let uri = rest.get(..sp2).ok_or(bad)?;
    check_version(rest.get(sp2 + 1..).ok_or(bad)?)?;
    if !has_scheme(uri) || std::str::from_utf8(uri).is_err() {
        return Err(bad);
    }
    let uri_start = base + sp1 + 1;
    Ok(Start::Request {
        method,
        uri: Span::new(uri_start..uri_start + uri.len())?,
    })
}

fn parse_status_line(text: &[u8], base: usize) -> Result<Start, ParseError> {
    let bad = ParseError::BadStartLine;
    let sp1 = memchr::memchr(b' ', text).ok_or(bad)?;
    check_version(text.get(..sp1).ok_or(bad)?)?;
    let rest = text.get(sp1 + 1..).ok_or(bad)?;
    let code = rest.get(..3).ok_or(ParseError::BadStatus)?;
    if !code.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::BadStatus);
    }
    let status = code.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    if !(100..=699).contains(&status) {
        return Err(ParseError::BadStatus);
    }
    // Be lenient with a missing reason phrase ("SIP/2.0 200"), which some stacks send.
    let reason_start = match rest.get(3) {
        None => 3,
        Some(b' ') => 4,
        Some(_) => return Err(ParseError::BadStatus),
    };
    let reason = rest.get(reason_start..).unwrap_or(&[]);
    if std::str::from_utf8(reason).is_err() {
        return Err(bad);
    }
    let start = base + sp1 + 1 + reason_start;
    Ok(Start::Response {
        status,
        reason: Span::new(start..start + reason.len())?,
    })
}

/// `SIP/2.0` passes; `SIP/<digits>.<digits>` is a version we do not support (505);
/// anything else is a malformed start line.
fn check_version(v: &[u8]) -> Result<(), ParseError> {
    if v.eq_ignore_ascii_case(b"SIP/2.0") {
        return Ok(());
    }
    let well_formed = v.get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
        && v.get(4..).is_some_and(|num| {
            let mut parts = num.split(|&b| b == b'.');
            let ok = |p: Option<&[u8]>| {
                p.is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))
            };
            ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
        });
    if well_formed {
        Err(ParseError::VersionNotSupported)
    } else {
        Err(ParseError::BadStartLine)
    }
}

/// `scheme ":"` with `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`; rejects
/// `<sip:...>` and other junk in the Request-URI (RFC 4475 §3.1.2.9).
fn has_scheme(uri: &[u8]) -> bool {
    let Some(colon) = memchr::memchr(b':', uri) else {
        return false;
    };
    let scheme = uri.get(..colon).unwrap_or(&[]);
    scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        && uri.len() > colon + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Start, ParseError> {
        parse_start_line(s.as_bytes(), 0..s.len())
    }

    #[test]
    fn request_lines() {
        let Ok(Start::Request { method, uri }) = parse("INVITE sip:bob@[2001:db8::1]:5060 SIP/2.0")
        else {
            panic!("expected request");
        };
        assert_eq!(method, Method::Invite);
        assert_eq!(uri.range(), 7..33);
        assert_eq!(parse("INVITE sip:a@b sip/2.0").map(|_| ()), Ok(()));
        assert_eq!(
            parse("INVITE  sip:a@b SIP/2.0").err(),
            Some(ParseError::BadStartLine)
        );
        assert_eq!(
            parse("INVITE <sip:a@b> SIP/2.0").err(),
            Some(ParseError::BadStartLine)
        );
        assert_eq!(
            parse("INVITE sip:a@b SIP/2.0 ").err(),
            Some(ParseError::BadStartLine)
        );
        assert_eq!(
            parse("INVITE sip:a@b SIP/7.0").err(),
            Some(ParseError::VersionNotSupported)
        );
        assert_eq!(
            parse("INVITE sip:a@b").err(),
            Some(ParseError::BadStartLine)
        );
        assert_eq!(
            parse("INV ITE sip:a@b SIP/2.0").err(),
            Some(ParseError::BadStartLine)
        );
    }

    #[test]
    fn status_lines() {
        let Ok(Start::Response { status, reason }) = parse("SIP/2.0 180 Ringing Now") else {
            panic!("expected response");
        };
        assert_eq!((status, reason.range()), (180, 12..23));
        assert!(matches!(
            parse("SIP/2.0 200"),
            Ok(Start::Response { status: 200, .. })
        ));
        assert!(matches!(
            parse("SIP/2.0 200 "),
            Ok(Start::Response { status: 200, .. })
        ));
        assert_eq!(parse("SIP/2.0 099 Low").err(), Some(ParseError::BadStatus));
        assert_eq!(parse("SIP/2.0 20 OK").err(), Some(ParseError::BadStatus));
        assert_eq!(parse("SIP/2.0 2000 OK").err(), Some(ParseError::BadStatus));
        assert_eq!(
            parse("SIP/3.0 200 OK").err(),
            Some(ParseError::VersionNotSupported)
        );
        assert_eq!(parse("SIP/2 200 OK").err(), Some(ParseError::BadStartLine));
    }
}
