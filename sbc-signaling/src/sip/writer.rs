//! The serializer: builds a message into a caller-owned, reusable `BytesMut`, so the
//! steady state allocates nothing but the frozen result's share of that buffer.
//!
//! Header values are written verbatim except that a bare CR or LF (header injection
//! from a config value or a peer-supplied string) is replaced by SP; raw folds copied
//! from a parsed message thus become plain LWS, which is equivalent (RFC 3261 §7.3.1).

use std::fmt::{self, Write as _};

use bytes::{BufMut, Bytes, BytesMut};

use super::{HeaderName, Method, SipMessage};

/// Writes one message; obtain it with [`MessageWriter::request`],
/// [`MessageWriter::response`] or [`response_to`], then [`MessageWriter::finish`].
#[derive(Debug)]
pub struct MessageWriter<'b> {
    buf: &'b mut BytesMut,
}

impl<'b> MessageWriter<'b> {
    /// Starts `METHOD uri SIP/2.0`. Clears whatever `buf` held.
    pub fn request(buf: &'b mut BytesMut, method: Method, uri: &str) -> Self {
        buf.clear();
        buf.put_slice(method.as_str().as_bytes());
        buf.put_u8(b' ');
        put_sanitized(buf, uri.as_bytes());
        buf.put_slice(b" SIP/2.0\r\n");
        MessageWriter { buf }
    }

    /// Starts `SIP/2.0 status reason`. Clears whatever `buf` held.
    pub fn response(buf: &'b mut BytesMut, status: u16, reason: &str) -> Self {
        buf.clear();
        buf.put_slice(b"SIP/2.0 ");
        // Infallible: BytesMut's fmt::Write grows the buffer.
        let _ = write!(buf, "{status:03} ");
        put_sanitized(buf, reason.as_bytes());
        buf.put_slice(b"\r\n");
        MessageWriter { buf }
    }

    /// Adds `Name: value` with the canonical long name. Writing `Other` is a caller
    /// bug; it is skipped rather than producing a nameless line.
    pub fn header(&mut self, name: HeaderName, value: &str) -> &mut Self {
        if name != HeaderName::Other {
            self.header_raw(name.as_str(), value);
        }
        self
    }

    /// Adds a header with a name given as text (unknown or copied headers).
    pub fn header_raw(&mut self, name: &str, value: &str) -> &mut Self {
        put_sanitized(self.buf, name.as_bytes());
        self.buf.put_slice(b": ");
        put_sanitized(self.buf, value.as_bytes());
        self.buf.put_slice(b"\r\n");
        self
    }

    /// Adds a header whose value is formatted in place (no intermediate `String`).
    pub fn header_fmt(&mut self, name: HeaderName, value: fmt::Arguments<'_>) -> &mut Self {
        if name == HeaderName::Other {
            return self;
        }
        self.buf.put_slice(name.as_str().as_bytes());
        self.buf.put_slice(b": ");
        let start = self.buf.len();
        let _ = self.buf.write_fmt(value);
        if let Some(written) = self.buf.get_mut(start..) {
            for b in written.iter_mut().filter(|b| matches!(**b, b'\r' | b'\n')) {
                *b = b' ';
            }
        }
        self.buf.put_slice(b"\r\n");
        self
    }

    /// Writes Content-Type (if the body is non-empty and a type is given),
    /// Content-Length, the blank line and the body; returns the finished message and
    /// leaves `buf` empty for reuse.
    pub fn finish(self, content_type: Option<&str>, body: &[u8]) -> Bytes {
        if let (false, Some(ct)) = (body.is_empty(), content_type) {
            self.buf.put_slice(b"Content-Type: ");
            put_sanitized(self.buf, ct.as_bytes());
            self.buf.put_slice(b"\r\n");
        }
        let _ = write!(self.buf, "Content-Length: {}\r\n\r\n", body.len());
        self.buf.put_slice(body);
        self.buf.split().freeze()
    }
}

/// Appends `s`, replacing CR and LF by SP so a value can never end the header early.
fn put_sanitized(buf: &mut BytesMut, s: &[u8]) {
    let mut rest = s;
    while let Some(i) = memchr::memchr2(b'\r', b'\n', rest) {
        buf.put_slice(rest.get(..i).unwrap_or(&[]));
        buf.put_u8(b' ');
        rest = rest.get(i + 1..).unwrap_or(&[]);
    }
    buf.put_slice(rest);
}

/// Starts a response to `req` (RFC 3261 §8.2.6.2): status line, then every Via in
/// order (values byte-exact), From, To (adding `;tag=<to_tag>` if given and To has no
/// tag; a To that does not parse is copied unchanged), Call-ID and CSeq. Header lines
/// that are not UTF-8 are skipped. The caller adds Contact, Record-Route (RFC 3261
/// §12.1.1, for dialog-creating responses), Timestamp (for 100), etc., then finishes.
pub fn response_to<'b>(
    buf: &'b mut BytesMut,
    req: &SipMessage,
    status: u16,
    reason: &str,
    to_tag: Option<&str>,
) -> MessageWriter<'b> {
    let mut w = MessageWriter::response(buf, status, reason);
    for h in req.headers().filter(|h| h.name == HeaderName::Via) {
        w.header(HeaderName::Via, h.value);
    }
    if let Some(from) = req.header(HeaderName::From) {
        w.header(HeaderName::From, from);
    }
    if let Some(to) = req.header(HeaderName::To) {
        let has_tag = req.to_hdr().map_or(true, |t| t.tag().is_some());
        match to_tag {
            Some(tag) if !has_tag => {
                w.header_fmt(HeaderName::To, format_args!("{to};tag={tag}"));
            }
            _ => {
                w.header(HeaderName::To, to);
            }
        }
    }
    for name in [HeaderName::CallId, HeaderName::CSeq] {
        if let Some(v) = req.header(name) {
            w.header(name, v);
        }
    }
    w
}

/// The RFC 3261 §21 reason phrase (plus common extensions) for a status code;
/// a class default for unknown codes.
pub fn default_reason(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        199 => "Early Dialog Terminated",
        200 => "OK",
        202 => "Accepted",
        204 => "No Notification",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        412 => "Conditional Request Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        422 => "Session Interval Too Small",
        423 => "Interval Too Brief",
        429 => "Provide Referrer Identity",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        493 => "Undecipherable",
        494 => "Security Agreement Required",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        580 => "Precondition Failure",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        607 => "Unwanted",
        _ => class_reason(status),
    }
}

/// The default phrase for a status class, for codes without their own phrase.
fn class_reason(status: u16) -> &'static str {
    match status / 100 {
        1 => "Session Progress",
        2 => "OK",
        3 => "Redirection",
        4 => "Client Error",
        5 => "Server Error",
        _ => "Global Failure",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_reuse() {
        let mut buf = BytesMut::with_capacity(512);
        let mut w = MessageWriter::request(&mut buf, Method::Options, "sip:a@b");
        w.header(HeaderName::MaxForwards, "70")
            .header_raw("X-Evil", "a\r\nInjected: 1")
            .header_fmt(HeaderName::CSeq, format_args!("{} {}", 7, Method::Options));
        let msg = w.finish(Some("application/sdp"), b"");
        assert_eq!(
            &msg[..],
            b"OPTIONS sip:a@b SIP/2.0\r\nMax-Forwards: 70\r\nX-Evil: a  Injected: 1\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        assert!(buf.is_empty());
        let msg = MessageWriter::response(&mut buf, 200, "OK").finish(Some("text/plain"), b"hi");
        assert_eq!(
            &msg[..],
            b"SIP/2.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"
        );
    }

    #[test]
    fn reasons() {
        assert_eq!(default_reason(486), "Busy Here");
        assert_eq!(default_reason(299), "OK");
        assert_eq!(default_reason(699), "Global Failure");
    }
}
