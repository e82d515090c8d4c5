//! The test UA's error type: what went wrong in a call flow, worded for a
//! failing test's message (which side, which message, what was expected).

use std::fmt;
use std::time::Duration;

/// A failed step of a call flow or of the media peer.
#[derive(Debug)]
pub enum UaError {
    /// A socket or process operation failed.
    Io {
        what: String,
        source: std::io::Error,
    },
    /// Nothing (or not the expected message) arrived in time.
    Timeout {
        waiting_for: String,
        after: Duration,
    },
    /// The peer answered the INVITE with a final non-2xx response.
    Rejected { status: u16, reason: String },
    /// A message or SDP we received is not what the flow needs.
    Protocol(String),
    /// The media peer (Python/libsrtp) failed or reported nonsense.
    MediaPeer(String),
}

impl UaError {
    pub fn io(what: impl Into<String>, source: std::io::Error) -> UaError {
        UaError::Io {
            what: what.into(),
            source,
        }
    }

    pub fn timeout(waiting_for: impl Into<String>, after: Duration) -> UaError {
        UaError::Timeout {
            waiting_for: waiting_for.into(),
            after,
        }
    }
}

impl fmt::Display for UaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UaError::Io { what, source } => write!(f, "{what}: {source}"),
            UaError::Timeout { waiting_for, after } => {
                write!(f, "timed out after {after:?} waiting for {waiting_for}")
            }
            UaError::Rejected { status, reason } => {
                write!(f, "call rejected with {status} {reason}")
            }
            UaError::Protocol(what) => write!(f, "protocol error: {what}"),
            UaError::MediaPeer(what) => write!(f, "media peer: {what}"),
        }
    }
}

impl std::error::Error for UaError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UaError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
