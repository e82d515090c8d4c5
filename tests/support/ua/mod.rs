//! The project's own test SIP user agent, blocking and UDP-only, for
//! end-to-end tests that need more control than SIPp gives: it places a
//! call with an SDP the test builds (RTP/AVP or RTP/SAVP with SDES keys),
//! answering a digest challenge if asked to, answers one, sends INFO and
//! notices the far end's BYE, and hands the SBC's SDP of each leg back to
//! the test.
//!
//! SIP and media are kept apart. Signaling: `caller` (INVITE and digest
//! retry), `in_dialog` (BYE, INFO, the far end's BYE), `dialog`, `callee`,
//! `digest` and `hash`, `message`, `sdp`, `transport`. Media: `libsrtp_peer`
//! (RTP/SRTP by libsrtp in a Python child) and `rtp_phone`, a Rust RTP
//! endpoint sending tones and RFC 4733 digits and analysing what it hears
//! (`phone_thread`, `rtp_sender`, `phone_codec`, `g711`, `rtp_packet`,
//! `rtp_log`, `rtp_tones`, `rtp_checks`). Every wait has a deadline, every
//! socket is bound to port 0, every thread is joined.

pub mod callee;
pub mod caller;
pub mod dialog;
pub mod digest;
pub mod error;
pub mod g711;
pub mod hash;
pub mod in_dialog;
pub mod keys;
pub mod libsrtp_peer;
pub mod message;
pub mod phone_codec;
pub mod phone_thread;
pub mod rtp_checks;
pub mod rtp_log;
pub mod rtp_packet;
pub mod rtp_phone;
pub mod rtp_sender;
pub mod rtp_tones;
pub mod sdp;
pub mod srtp_call;
pub mod transport;

use std::time::Duration;

// Not every includer uses every re-export.
#[allow(unused_imports)]
pub use callee::{AnswerFn, Answered, Callee, CalleeOptions};
#[allow(unused_imports)]
pub use caller::{Caller, InviteOptions, OutgoingCall};
#[allow(unused_imports)]
pub use digest::{DigestAlgorithm, DigestCredentials};
#[allow(unused_imports)]
pub use error::UaError;
#[allow(unused_imports)]
pub use keys::Suite;
#[allow(unused_imports)]
pub use phone_codec::PhoneCodec;
#[allow(unused_imports)]
pub use rtp_phone::{PhoneConfig, RtpPhone};
#[allow(unused_imports)]
pub use sdp::{CryptoLine, LocalMedia, PeerMedia, Profile, RtpMap};

/// RFC 3261 T1 (RTT estimate): first retransmission interval.
pub const T1: Duration = Duration::from_millis(500);
/// RFC 3261 T2: cap of the non-INVITE and 2xx retransmission interval.
pub const T2: Duration = Duration::from_secs(4);
