//! What the media plane reports to the rest of the SBC (the monitoring plane, logs,
//! later the API): events detected on the packet path, delivered on a bounded queue.

use crate::ids::{CallRef, LegSide, StreamId};

/// One event seen in a stream's media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaEvent {
    pub call: CallRef,
    /// The leg whose peer sent the media; `None` for a supervisor's (monitor) stream.
    pub side: Option<LegSide>,
    pub stream: StreamId,
    pub kind: MediaEventKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaEventKind {
    /// An RFC 4733 key press, reported once when it starts.
    Dtmf {
        /// `0`-`9`, `*`, `#`, `A`-`D`.
        digit: char,
        /// RTP timestamp of the event start (identifies the key press).
        timestamp: u32,
    },
}
