//! `SipMessage`: a parsed SIP message that borrows its bytes. Parsing reads the start
//! line, indexes every header line (kind + byte ranges) and checks the mandatory
//! headers; values are decoded only when an accessor asks for them.
//!
//! Folded values: `header()` returns the raw value, which may still contain
//! `CRLF SP`/`CRLF HT`. Every typed accessor treats those bytes as ordinary LWS, so a
//! folded value parses exactly like its unfolded form. No copy is ever made.
//!
//! Non-UTF-8 bytes are only rejected where they are read: `header()` yields `None` for
//! such a line and typed accessors return [`ParseError::InvalidUtf8`]; the mandatory
//! Call-ID and CSeq are checked at parse time.

use std::fmt;
use std::ops::Range;

use bytes::Bytes;
use smallvec::SmallVec;

use super::head::{line_at, skip_crlf, HeaderLines};
use super::start_line::{parse_start_line, Start};
use super::{HeaderName, Method, ParseError, MAX_MESSAGE_BYTES};

/// A byte range into the message. `u16` is enough because messages are capped at
/// [`MAX_MESSAGE_BYTES`], and it keeps the inline header index small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: u16,
    end: u16,
}

impl Span {
    pub(crate) fn new(r: Range<usize>) -> Result<Span, ParseError> {
        let conv = |n: usize| u16::try_from(n).map_err(|_| ParseError::TooLarge { len: n });
        Ok(Span {
            start: conv(r.start)?,
            end: conv(r.end)?,
        })
    }

    pub(crate) fn range(self) -> Range<usize> {
        usize::from(self.start)..usize::from(self.end)
    }
}

/// One indexed header line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderEntry {
    pub(crate) kind: HeaderName,
    pub(crate) name: Span,
    pub(crate) value: Span,
}

/// The parsed start line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    Request { method: Method, uri: &'a str },
    Response { status: u16, reason: &'a str },
}

/// One header line as received: canonical kind, raw name and raw (trimmed) value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    pub name: HeaderName,
    pub raw_name: &'a str,
    pub value: &'a str,
}

/// Headers a message cannot be processed without (RFC 3261 §8.1.1), in the order
/// a missing one is reported.
const REQUIRED: [HeaderName; 5] = [
    HeaderName::CallId,
    HeaderName::CSeq,
    HeaderName::From,
    HeaderName::To,
    HeaderName::Via,
];

/// Which mandatory headers the index saw, and which single-valued ones twice.
#[derive(Default)]
struct Required {
    seen: u8,
    repeated: u8,
}

impl Required {
    fn saw(&mut self, kind: HeaderName) {
        if let Some(i) = REQUIRED.iter().position(|&k| k == kind) {
            let bit = 1u8 << i;
            self.repeated |= self.seen & bit;
            self.seen |= bit;
        }
    }

    /// Mandatory headers present; single-valued ones (all but Via) exactly once,
    /// since a second Call-ID/CSeq/From/To is ambiguous (RFC 4475 §3.1.2.6).
    fn check(&self) -> Result<(), ParseError> {
        for (i, kind) in REQUIRED.into_iter().enumerate() {
            let bit = 1u8 << i;
            if self.seen & bit == 0 {
                return Err(ParseError::MissingHeader(kind));
            }
            if self.repeated & bit != 0 && kind != HeaderName::Via {
                return Err(ParseError::BadHeader(kind));
            }
        }
        Ok(())
    }
}

/// A parsed SIP message. Cloning is cheap: the buffer is reference-counted and the
/// header index is a small inline array.
#[derive(Clone)]
pub struct SipMessage {
    buf: Bytes,
    start: Start,
    headers: SmallVec<[HeaderEntry; 32]>,
    body: Span,
}

impl SipMessage {
    /// Parses one whole datagram (or one framed stream message). Trailing bytes beyond
    /// Content-Length are ignored (RFC 3261 §18.3); a Content-Length larger than the
    /// available body is [`ParseError::Truncated`]. Without Content-Length the body is
    /// the rest of the buffer.
    pub fn parse(buf: Bytes) -> Result<SipMessage, ParseError> {
        if buf.len() > MAX_MESSAGE_BYTES {
            return Err(ParseError::TooLarge { len: buf.len() });
        }
        let b: &[u8] = &buf;
        let pos = skip_crlf(b, 0);
        if pos >= b.len() {
            return Err(ParseError::Empty);
        }
        let (line_end, next) = line_at(b, pos).ok_or(ParseError::Truncated)?;
        let start = parse_start_line(b, pos..line_end)?;

        let mut headers: SmallVec<[HeaderEntry; 32]> = SmallVec::new();
        let mut content_length: Option<usize> = None;
        let mut required = Required::default();
        let mut lines = HeaderLines::new(b, next);
        for line in lines.by_ref() {
            let line = line?;
            let kind = HeaderName::from_bytes(b.get(line.name.clone()).unwrap_or(&[]));
            required.saw(kind);
            if kind == HeaderName::ContentLength {
                let n = parse_content_length(b.get(line.value.clone()).unwrap_or(&[]))?;
                // Two different lengths is a request-smuggling vector: refuse.
                if content_length.is_some_and(|prev| prev != n) {
                    return Err(ParseError::BadContentLength);
                }
                content_length = Some(n);
            }
            headers.push(HeaderEntry {
                kind,
                name: Span::new(line.name)?,
                value: Span::new(line.value)?,
            });
        }
        let body_start = lines.body_start().ok_or(ParseError::Truncated)?;
        let body_end = match content_length {
            Some(n) => body_start
                .checked_add(n)
                .filter(|&end| end <= b.len())
                .ok_or(ParseError::Truncated)?,
            None => b.len(),
        };
        let body = Span::new(body_start..body_end)?;
        let msg = SipMessage {
            buf,
            start,
            headers,
            body,
        };
        required.check()?;
        msg.validate()?;
        Ok(msg)
    }

    /// Call-ID usable, CSeq well-formed and matching the request method.
    fn validate(&self) -> Result<(), ParseError> {
        // Every response echoes From, To and all Vias byte-exact (RFC 3261 §8.2.6.2): if
        // one is not text no response can be written, and a request nobody can answer
        // would hold its server transaction open forever. Refuse it here instead.
        for h in self.headers.iter() {
            let echoed = matches!(h.kind, HeaderName::From | HeaderName::To | HeaderName::Via);
            if echoed && self.text(h.value).is_none() {
                return Err(ParseError::InvalidUtf8(h.kind));
            }
        }
        self.call_id()?;
        let cseq = self.cseq()?;
        if let Start::Request { method, .. } = self.start {
            if cseq.method != method {
                return Err(ParseError::CSeqMethodMismatch);
            }
        }
        Ok(())
    }

    /// The request or status line.
    pub fn start_line(&self) -> StartLine<'_> {
        match self.start {
            Start::Request { method, uri } => StartLine::Request {
                method,
                uri: self.text(uri).unwrap_or(""),
            },
            Start::Response { status, reason } => StartLine::Response {
                status,
                reason: self.text(reason).unwrap_or(""),
            },
        }
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start, Start::Request { .. })
    }

    /// The request method; `None` for responses.
    pub fn method(&self) -> Option<Method> {
        match self.start {
            Start::Request { method, .. } => Some(method),
            Start::Response { .. } => None,
        }
    }

    /// The raw Request-URI text; `None` for responses.
    pub fn request_uri(&self) -> Option<&str> {
        match self.start_line() {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code; `None` for requests.
    pub fn status(&self) -> Option<u16> {
        match self.start {
            Start::Response { status, .. } => Some(status),
            Start::Request { .. } => None,
        }
    }

    /// The reason phrase (may be empty); `None` for requests.
    pub fn reason_phrase(&self) -> Option<&str> {
        match self.start_line() {
            StartLine::Response { reason, .. } => Some(reason),
            StartLine::Request { .. } => None,
        }
    }

    /// The raw value of the first `name` header (trimmed; folds kept, see module doc).
    /// `None` if absent or not UTF-8.
    pub fn header(&self, name: HeaderName) -> Option<&str> {
        self.entries(name).next().and_then(|h| self.text(h.value))
    }

    /// The first header called `name` (case-insensitive, long or compact form for the
    /// known headers, exact raw name otherwise). `None` if absent or not UTF-8.
    pub fn header_by_name(&self, name: &str) -> Option<&str> {
        let kind = HeaderName::from_bytes(name.as_bytes());
        let entry = if kind == HeaderName::Other {
            self.headers.iter().find(|h| {
                h.kind == HeaderName::Other
                    && self.bytes(h.name).eq_ignore_ascii_case(name.as_bytes())
            })
        } else {
            self.entries(kind).next()
        };
        entry.and_then(|h| self.text(h.value))
    }

    /// Every header line in order, byte-exact. Lines that are not UTF-8 are skipped.
    pub fn headers(&self) -> impl Iterator<Item = Header<'_>> {
        self.headers.iter().filter_map(move |h| {
            Some(Header {
                name: h.kind,
                raw_name: self.text(h.name)?,
                value: self.text(h.value)?,
            })
        })
    }

    /// All values of a list header across all its lines, split on top-level commas
    /// (not inside quotes or `<...>`), trimmed, empty elements dropped.
    pub fn header_values(&self, name: HeaderName) -> impl Iterator<Item = &str> {
        self.entries(name)
            .filter_map(move |h| self.text(h.value))
            .flat_map(super::scan::CommaSplit::new)
    }

    /// The message body (bounded by Content-Length when present).
    pub fn body(&self) -> &[u8] {
        self.bytes(self.body)
    }

    /// The body as a cheap slice of the receive buffer.
    pub fn body_bytes(&self) -> Bytes {
        self.buf.slice(self.body.range())
    }

    /// The whole message as received (including any bytes after the body).
    pub fn as_bytes(&self) -> &Bytes {
        &self.buf
    }

    /// Index entries of one header kind, in order.
    pub(crate) fn entries(&self, kind: HeaderName) -> impl Iterator<Item = &HeaderEntry> {
        self.headers.iter().filter(move |h| h.kind == kind)
    }

    /// The first value of a header a typed accessor needs, or the error it reports.
    pub(crate) fn required_value(&self, kind: HeaderName) -> Result<&str, ParseError> {
        let entry = self
            .entries(kind)
            .next()
            .ok_or(ParseError::MissingHeader(kind))?;
        self.text(entry.value).ok_or(ParseError::InvalidUtf8(kind))
    }

    pub(crate) fn text(&self, span: Span) -> Option<&str> {
        std::str::from_utf8(self.bytes(span)).ok()
    }

    pub(crate) fn bytes(&self, span: Span) -> &[u8] {
        self.buf.get(span.range()).unwrap_or(&[])
    }
}

impl fmt::Debug for SipMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SipMessage")
            .field("start_line", &self.start_line())
            .field("call_id", &self.header(HeaderName::CallId))
            .field("headers", &self.headers.len())
            .field("body_len", &self.body().len())
            .finish()
    }
}

/// `Content-Length = 1*DIGIT` (no sign, no junk); capped so it cannot overflow.
/// Shared with the stream framer so both read the length the same way.
pub(crate) fn parse_content_length(v: &[u8]) -> Result<usize, ParseError> {
    if v.is_empty() || v.len() > 9 || !v.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::BadContentLength);
    }
    Ok(v.iter()
        .fold(0usize, |n, &d| n * 10 + usize::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKa, SIP/2.0/TCP [::1];branch=z9hG4bKb\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
i: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
X-Custom: keep  me\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\ntrailing junk";

    fn parse(s: &str) -> Result<SipMessage, ParseError> {
        SipMessage::parse(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn parses_request_and_indexes_headers() {
        let m = parse(INVITE).unwrap();
        assert!(m.is_request());
        assert_eq!(m.method(), Some(Method::Invite));
        assert_eq!(m.request_uri(), Some("sip:bob@biloxi.example.com"));
        assert_eq!(m.status(), None);
        assert_eq!(
            m.header(HeaderName::CallId),
            Some("a84b4c76e66710@pc33.atlanta.example.com")
        );
        assert_eq!(m.header_by_name("call-id"), m.header(HeaderName::CallId));
        assert_eq!(m.header_by_name("x-custom"), Some("keep  me"));
        assert_eq!(m.header_values(HeaderName::Via).count(), 3);
        assert_eq!(m.body(), b"v=0\n");
        assert_eq!(&m.body_bytes()[..], b"v=0\n");
        assert_eq!(m.headers().count(), 10);
        let h = m.headers().find(|h| h.raw_name == "i").unwrap();
        assert_eq!(h.name, HeaderName::CallId);
        assert!(format!("{m:?}").contains("a84b4c76"));
    }

    #[test]
    fn required_headers_and_lengths() {
        let no_callid = INVITE.replace("i: a84b4c76e66710@pc33.atlanta.example.com\r\n", "");
        assert_eq!(
            parse(&no_callid).err(),
            Some(ParseError::MissingHeader(HeaderName::CallId))
        );
        let mismatch = INVITE.replace("314159 INVITE", "314159 BYE");
        assert_eq!(parse(&mismatch).err(), Some(ParseError::CSeqMethodMismatch));
        let long = INVITE.replace("Content-Length: 4", "Content-Length: 400");
        assert_eq!(parse(&long).err(), Some(ParseError::Truncated));
        let dup = INVITE.replace("Content-Length: 4\r\n", "Content-Length: 4\r\nl: 5\r\n");
        assert_eq!(parse(&dup).err(), Some(ParseError::BadContentLength));
        let no_cl = INVITE.replace("Content-Length: 4\r\n", "");
        assert_eq!(parse(&no_cl).unwrap().body(), b"v=0\ntrailing junk");
        assert_eq!(parse("").err(), Some(ParseError::Empty));
        assert_eq!(parse("\r\n\r\n").err(), Some(ParseError::Empty));
    }

    #[test]
    fn non_utf8_value_is_an_accessor_error_not_a_panic() {
        let mut raw = INVITE.replace("keep  me", "~").into_bytes();
        let k = raw.iter().position(|&b| b == b'~').unwrap();
        raw[k] = 0xff;
        let m = SipMessage::parse(Bytes::from(raw)).unwrap();
        assert_eq!(m.header_by_name("X-Custom"), None);
        assert_eq!(m.headers().count(), 9);
    }
}
