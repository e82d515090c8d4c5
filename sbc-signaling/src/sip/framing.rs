//! Message framing for stream transports (RFC 3261 §18.3): given the bytes read so far
//! on a TCP/TLS connection, say whether a whole message is there and how long it is.
//!
//! Content-Length is mandatory on streams; leading CRLFs are keep-alives (RFC 5626
//! §4.4.1 double-CRLF ping) reported separately so the transport can drop them and
//! answer a ping with a pong. Never looks past [`MAX_MESSAGE_BYTES`].

use super::head::{line_at, skip_crlf, HeaderLines};
use super::message::parse_content_length;
use super::{HeaderName, ParseError, MAX_MESSAGE_BYTES};

/// What the start of a stream buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// `len` leading CR/LF bytes (keep-alive): drop them and call again. A
    /// `"\r\n\r\n"` ping is `len == 4`; the transport answers it with `"\r\n"`.
    KeepAlive { len: usize },
    /// Not enough bytes yet for a whole message; read more.
    Incomplete,
    /// The first `len` bytes are one whole message; pass them to `SipMessage::parse`.
    Complete { len: usize },
}

/// Frames the next message at the start of `buf`.
///
/// Errors: [`ParseError::TooLarge`] if the head or the announced length exceeds
/// [`MAX_MESSAGE_BYTES`] (answer 513 and close); [`ParseError::MissingContentLength`]
/// or a malformed head (answer 400 and close: the stream cannot be resynchronised).
pub fn message_length(buf: &[u8]) -> Result<Frame, ParseError> {
    let crlf = skip_crlf(buf, 0);
    if crlf > 0 {
        return Ok(Frame::KeepAlive { len: crlf });
    }
    let window = buf.get(..buf.len().min(MAX_MESSAGE_BYTES)).unwrap_or(buf);
    let Some((_, next)) = line_at(window, 0) else {
        return incomplete(buf.len());
    };
    let mut content_length = None;
    let mut lines = HeaderLines::new(window, next);
    for line in lines.by_ref() {
        let line = match line {
            Ok(line) => line,
            Err(ParseError::Truncated) => return incomplete(buf.len()),
            Err(e) => return Err(e),
        };
        let name = window.get(line.name).unwrap_or(&[]);
        if HeaderName::from_bytes(name) == HeaderName::ContentLength {
            let n = parse_content_length(window.get(line.value).unwrap_or(&[]))?;
            if content_length.is_some_and(|prev| prev != n) {
                return Err(ParseError::BadContentLength);
            }
            content_length = Some(n);
        }
    }
    let body_start = lines.body_start().ok_or(ParseError::Truncated)?;
    let total = body_start + content_length.ok_or(ParseError::MissingContentLength)?;
    if total > MAX_MESSAGE_BYTES {
        return Err(ParseError::TooLarge { len: total });
    }
    Ok(if buf.len() >= total {
        Frame::Complete { len: total }
    } else {
        Frame::Incomplete
    })
}

/// The head is not complete: wait, unless we already hold the maximum.
fn incomplete(have: usize) -> Result<Frame, ParseError> {
    if have >= MAX_MESSAGE_BYTES {
        Err(ParseError::TooLarge { len: have })
    } else {
        Ok(Frame::Incomplete)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &str =
        "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 4\r\n\r\nbody";

    #[test]
    fn whole_partial_and_pipelined() {
        assert_eq!(
            message_length(MSG.as_bytes()),
            Ok(Frame::Complete { len: MSG.len() })
        );
        for cut in 0..MSG.len() {
            assert_eq!(
                message_length(&MSG.as_bytes()[..cut]),
                Ok(Frame::Incomplete),
                "{cut}"
            );
        }
        let two = format!("{MSG}{MSG}");
        assert_eq!(
            message_length(two.as_bytes()),
            Ok(Frame::Complete { len: MSG.len() })
        );
    }

    #[test]
    fn keep_alives() {
        assert_eq!(
            message_length(b"\r\n\r\nOPTIONS"),
            Ok(Frame::KeepAlive { len: 4 })
        );
        assert_eq!(message_length(b"\r\n"), Ok(Frame::KeepAlive { len: 2 }));
        assert_eq!(message_length(b""), Ok(Frame::Incomplete));
    }

    #[test]
    fn errors() {
        let no_cl = "BYE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n";
        assert_eq!(
            message_length(no_cl.as_bytes()),
            Err(ParseError::MissingContentLength)
        );
        let huge = "BYE sip:a@b SIP/2.0\r\nContent-Length: 70000\r\n\r\n";
        assert_eq!(
            message_length(huge.as_bytes()),
            Err(ParseError::TooLarge {
                len: 70_000 + huge.len()
            })
        );
        let neg = "BYE sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n";
        assert_eq!(
            message_length(neg.as_bytes()),
            Err(ParseError::BadContentLength)
        );
        let endless = vec![b'a'; MAX_MESSAGE_BYTES + 10];
        assert!(matches!(
            message_length(&endless),
            Err(ParseError::TooLarge { .. })
        ));
        let mut long_head = b"BYE sip:a@b SIP/2.0\r\n".to_vec();
        while long_head.len() < MAX_MESSAGE_BYTES {
            long_head.extend_from_slice(b"X-Pad: 0123456789012345678901234567890123456789\r\n");
        }
        assert!(matches!(
            message_length(&long_head),
            Err(ParseError::TooLarge { .. })
        ));
    }
}
