//! Typed identifiers: a bare integer or string never crosses a module boundary.

use std::fmt;
use std::sync::Arc;

/// Internal handle of one call (both legs). Never sent on the wire: the SIP Call-IDs of
/// the two legs are separate strings owned by the dialogs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallRef(pub u64);

impl fmt::Display for CallRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call-{}", self.0)
    }
}

/// Which leg of a call. A is the side the INVITE came from, B the side the SBC called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegSide {
    A,
    B,
}

impl LegSide {
    pub fn other(self) -> LegSide {
        match self {
            LegSide::A => LegSide::B,
            LegSide::B => LegSide::A,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            LegSide::A => "a",
            LegSide::B => "b",
        }
    }
}

/// One media stream (an RTP/RTCP port pair) owned by the media plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(pub u64);

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stream-{}", self.0)
    }
}

/// A tenant of the platform. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(pub Arc<str>);

/// The configured name of a trunk (a SIP peer the SBC talks to). Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrunkName(pub Arc<str>);

impl TrunkName {
    pub fn new(name: &str) -> Self {
        TrunkName(Arc::from(name))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrunkName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
