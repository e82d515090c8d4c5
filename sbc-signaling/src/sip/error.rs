//! The parser's error type: one variant per way a peer can send us a bad message,
//! each mapping to the status an SBC answers a *request* with (RFC 3261 §8.2, §21).

use thiserror::Error;

use super::HeaderName;

/// Why a SIP message (or one of its headers) could not be parsed.
///
/// Variants carry only `Copy` data so the error is cheap to clone and compare and can be
/// produced on the hot path without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ParseError {
    /// Larger than [`super::MAX_MESSAGE_BYTES`]: answer 513 (and close a stream).
    #[error("message too large ({len} bytes)")]
    TooLarge { len: usize },
    /// No start line at all (empty datagram or only CRLFs).
    #[error("empty message")]
    Empty,
    /// The header section never ends, or Content-Length promises more body than arrived.
    #[error("truncated message")]
    Truncated,
    /// The request or status line does not follow RFC 3261 §7.1 / §7.2.
    #[error("malformed start line")]
    BadStartLine,
    /// Well-formed `SIP/x.y` but not `SIP/2.0`: answer 505.
    #[error("unsupported SIP version")]
    VersionNotSupported,
    /// A method token that is not a token, or longer than an inline extension method.
    #[error("malformed method")]
    BadMethod,
    /// A status code outside 100..=699 or not three digits.
    #[error("malformed status code")]
    BadStatus,
    /// A header line without a colon.
    #[error("header line without colon")]
    MissingColon,
    /// A header name that is not an RFC 3261 token, or a fold with no header to continue.
    #[error("malformed header name")]
    BadHeaderName,
    /// A header every request/response must carry is absent (RFC 3261 §8.1.1).
    #[error("missing {0:?} header")]
    MissingHeader(HeaderName),
    /// A header whose value does not follow its grammar.
    #[error("malformed {0:?} header")]
    BadHeader(HeaderName),
    /// The CSeq method differs from the request method (RFC 3261 §8.1.1.5).
    #[error("CSeq method does not match request method")]
    CSeqMethodMismatch,
    /// Content-Length is not a number, is negative, or appears twice with different values.
    #[error("malformed Content-Length")]
    BadContentLength,
    /// A stream-transport message without Content-Length (RFC 3261 §18.3 makes it mandatory).
    #[error("missing Content-Length on a stream transport")]
    MissingContentLength,
    /// A header value (or start line) that is not UTF-8.
    #[error("{0:?} header is not valid UTF-8")]
    InvalidUtf8(HeaderName),
    /// A URI that does not follow RFC 3261 §19.1 (or RFC 3966 for `tel:`).
    #[error("malformed URI")]
    BadUri,
}

impl ParseError {
    /// Short human text for the reason phrase of the error response, e.g.
    /// "Bad CSeq header" or "Missing Call-ID". Returns an owned `String` because some
    /// phrases embed the header name; this runs only on the error path.
    pub fn reason(&self) -> String {
        match self {
            ParseError::TooLarge { .. } => "Message Too Large".into(),
            ParseError::Empty => "Empty message".into(),
            ParseError::Truncated => "Truncated message".into(),
            ParseError::BadStartLine => "Bad request line".into(),
            ParseError::VersionNotSupported => "SIP Version Not Supported".into(),
            ParseError::BadMethod => "Bad method".into(),
            ParseError::BadStatus => "Bad status code".into(),
            ParseError::MissingColon => "Header without colon".into(),
            ParseError::BadHeaderName => "Bad header name".into(),
            ParseError::MissingHeader(h) => format!("Missing {}", display_name(*h)),
            ParseError::BadHeader(HeaderName::Other) => "Bad header".into(),
            ParseError::BadHeader(h) => format!("Bad {} header", h.as_str()),
            ParseError::CSeqMethodMismatch => "CSeq method mismatch".into(),
            ParseError::BadContentLength => "Bad Content-Length header".into(),
            ParseError::MissingContentLength => "Missing Content-Length".into(),
            ParseError::InvalidUtf8(h) => format!("Invalid UTF-8 in {}", display_name(*h)),
            ParseError::BadUri => "Bad URI".into(),
        }
    }

    /// The status code to answer a *request* carrying this error with: 513 for too
    /// large, 505 for a SIP version other than 2.0, 400 for everything else. Responses
    /// that fail to parse are dropped, never answered (RFC 3261 §18.1.2).
    ///
    /// An unsupported Request-URI scheme (416) is not detected here: `parse` keeps the
    /// Request-URI raw, and the caller checks [`super::Scheme::Other`].
    pub fn status(&self) -> u16 {
        match self {
            ParseError::TooLarge { .. } => 513,
            ParseError::VersionNotSupported => 505,
            _ => 400,
        }
    }
}

fn display_name(h: HeaderName) -> &'static str {
    match h.as_str() {
        "" => "header",
        s => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_statuses() {
        assert_eq!(
            ParseError::MissingHeader(HeaderName::CallId).reason(),
            "Missing Call-ID"
        );
        assert_eq!(
            ParseError::BadHeader(HeaderName::CSeq).reason(),
            "Bad CSeq header"
        );
        assert_eq!(
            ParseError::BadHeader(HeaderName::Other).reason(),
            "Bad header"
        );
        assert_eq!(ParseError::TooLarge { len: 70_000 }.status(), 513);
        assert_eq!(ParseError::VersionNotSupported.status(), 505);
        assert_eq!(ParseError::Truncated.status(), 400);
    }
}
