//! The project's own test SIP user agent, blocking and UDP-only, for
//! end-to-end tests that need more control than SIPp gives: it places a
//! call with an SDP the test builds (RTP/AVP or RTP/SAVP with SDES keys),
//! answers one, and hands the SBC's SDP of each leg back to the test.
//!
//! SIP and media are kept apart: `caller`, `callee`, `message`, `sdp` and
//! `transport` are signaling; `libsrtp_peer` drives the media (RTP/SRTP by
//! libsrtp in a Python child). Every wait has a deadline, every socket is
//! bound to port 0, every thread is joined.

pub mod callee;
pub mod caller;
pub mod error;
pub mod keys;
pub mod libsrtp_peer;
pub mod message;
pub mod sdp;
pub mod srtp_call;
pub mod transport;

use std::time::Duration;

// Not every includer uses every re-export.
#[allow(unused_imports)]
pub use callee::{AnswerFn, Answered, Callee};
#[allow(unused_imports)]
pub use caller::{Caller, OutgoingCall};
#[allow(unused_imports)]
pub use error::UaError;
#[allow(unused_imports)]
pub use keys::Suite;
#[allow(unused_imports)]
pub use sdp::{CryptoLine, LocalMedia, PeerMedia, Profile};

/// RFC 3261 T1 (RTT estimate): first retransmission interval.
pub const T1: Duration = Duration::from_millis(500);
/// RFC 3261 T2: cap of the non-INVITE and 2xx retransmission interval.
pub const T2: Duration = Duration::from_secs(4);
