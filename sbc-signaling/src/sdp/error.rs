//! Errors of SDP parsing and rewriting: every parse error names the 1-based line of the
//! body it was found on and what is wrong, so a 488 can carry a useful Warning and the
//! log line points at the offending byte range.

/// Why an SDP body was refused or could not be rewritten.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum SdpError {
    /// The body holds no line at all.
    #[error("SDP body is empty")]
    Empty,
    /// A line is malformed or not allowed where it stands.
    #[error("SDP line {line}: {problem}")]
    Line { line: usize, problem: LineProblem },
    /// A mandatory session-level line (`o=`, `s=`, `t=`) never appeared.
    #[error("SDP has no {0}= line")]
    Missing(char),
    /// More m= lines than the SBC is willing to anchor for one session.
    #[error("SDP has more than {max} m= lines")]
    TooManyMedia { max: usize },
    /// The rewrite plan does not have one entry per m= line.
    #[error("rewrite plan has {plan} endpoints for {media} m= lines")]
    EndpointCount { plan: usize, media: usize },
    /// The plan asks to anchor a stream that has no connection address at all (a
    /// port-0 stream without c=): the output would be invalid SDP.
    #[error("m= line {line}: cannot anchor a stream without a connection address")]
    AnchorWithoutConnection { line: usize },
    /// The plan's o= username is empty or holds whitespace/control characters.
    #[error("rewrite plan: invalid o= username {0:?}")]
    InvalidOriginUser(String),
}

impl SdpError {
    /// The 1-based body line the error points at, when it points at one.
    pub fn line(&self) -> Option<usize> {
        match self {
            SdpError::Line { line, .. } | SdpError::AnchorWithoutConnection { line } => Some(*line),
            _ => None,
        }
    }

    pub(crate) fn at(line: usize, problem: LineProblem) -> SdpError {
        SdpError::Line { line, problem }
    }
}

/// What is wrong with one line.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    #[error("not of the form <letter>=<value>")]
    NotTypeValue,
    #[error("unknown line type '{0}'")]
    UnknownType(char),
    #[error("contains a NUL or bare CR byte")]
    ForbiddenByte,
    #[error("is not valid UTF-8")]
    NotUtf8,
    #[error("first line must be v=0")]
    VersionFirst,
    #[error("unsupported SDP version (only v=0)")]
    BadVersion,
    #[error("{0}= line appears more than once")]
    Duplicate(char),
    #[error("{0}= line not allowed inside a media description")]
    SessionOnly(char),
    #[error("o= needs 6 fields: username sess-id sess-version nettype addrtype address")]
    BadOrigin,
    #[error("c= needs 3 fields: nettype addrtype address")]
    BadConnection,
    #[error("unsupported network type (only IN)")]
    BadNetType,
    #[error("unsupported address type (only IP4 or IP6)")]
    BadAddrType,
    #[error("address is not an IP literal of its address type")]
    BadAddress,
    #[error("m= needs: media port[/count] proto fmt...")]
    BadMedia,
    #[error("m= port is not a number in 0..=65535")]
    BadPort,
    #[error("m= port count is not a number in 1..=65535")]
    BadPortCount,
    #[error("m= has no format")]
    NoFormat,
    #[error("media description has no c= line and the session has none")]
    MissingConnection,
    #[error("attribute name is empty or not a token")]
    BadAttributeName,
    #[error("more than one direction attribute at this level")]
    DuplicateDirection,
    #[error("a=rtcp needs: port [nettype addrtype address]")]
    BadRtcp,
    #[error("more than one a=rtcp in this media description")]
    DuplicateRtcp,
    #[error("m= proto is not token[/token...]")]
    BadProto,
    #[error("m= media type or format is not a token")]
    BadToken,
}
