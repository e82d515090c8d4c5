//! SIP signaling: message parsing and serializing (`sip`), SDP (`sdp`), transports,
//! the RFC 3261 transaction layer, dialogs and the B2BUA call engine.
//!
//! Everything except `transport` is sans-IO: state machines take input and an explicit
//! `now`, and are drained for what to send and when to wake.

pub mod auth;
pub mod b2bua;
pub mod metrics;
pub mod net;
pub mod sdp;
pub mod sip;
pub mod transaction;
pub mod transport;
