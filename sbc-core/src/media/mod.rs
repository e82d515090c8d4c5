//! The `MediaControl` port: how signaling asks the media plane for endpoints and tells
//! it where packets go. Implemented by `sbc-media`; faked in signaling's tests.
//!
//! Calls are made at signaling time only (never per packet) and must be cheap and
//! non-blocking: an implementation reserves ports synchronously (so the B2BUA can
//! answer 503 when none are left) and hands the rest to its workers through a queue.
//! The types are open for growth (SRTP keys, sink lists for taps and mixers) so later
//! features add fields rather than new calls.

use std::net::SocketAddr;

use crate::ids::{CallRef, LegSide, StreamId};

mod events;
mod format;
mod monitor;
mod srtp;

pub use events::{MediaEvent, MediaEventKind};
pub use format::{AudioEncoding, AudioFormat};
pub use monitor::{AgentAfterTakeover, MonitorLeg, MonitoredMedia, SupervisorNotice};
pub use srtp::{SrtpKey, SrtpKeyError, SrtpKeying, SrtpMki, SrtpSuite};

/// The SBC-side address of one stream, to be written into that leg's SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalEndpoint {
    pub rtp: SocketAddr,
    /// RTCP port (rtp + 1). With rtcp-mux the peer may send RTCP to `rtp` instead.
    pub rtcp: SocketAddr,
}

/// SDP media direction attribute, from the point of view of the SDP's author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

/// What one leg's SDP says about where it wants media sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteMedia {
    /// Where the peer said it receives RTP; `None` for a hold with 0.0.0.0 or port 0.
    pub rtp: Option<SocketAddr>,
    /// Where the peer said it receives RTCP (a=rtcp, else rtp + 1).
    pub rtcp: Option<SocketAddr>,
    /// The peer offered/accepted RFC 5761 rtcp-mux.
    pub rtcp_mux: bool,
    pub direction: Direction,
    /// SRTP keys of this leg (SDES), `None` for plain RTP. A re-INVITE that keeps the
    /// same keys keeps the crypto state (ROC, replay window): only a changed key
    /// starts a new context.
    pub srtp: Option<SrtpKeying>,
    /// RTP clock rate of the first payload type of the m= line (for jitter in
    /// time units); `None`: 8 kHz is assumed.
    pub clock_rate: Option<u32>,
    /// The payload type of `telephone-event` (RFC 4733) in this SDP, if any: the
    /// media plane reports the digits it carries.
    pub telephone_event: Option<u8>,
    /// The formats of the m= line the mixer can decode and encode, in the SDP's order
    /// (for an answer, the first is the negotiated codec). Empty: the leg cannot be
    /// mixed, only relayed and tapped.
    pub audio: Vec<AudioFormat>,
}

impl RemoteMedia {
    pub fn new(
        rtp: Option<SocketAddr>,
        rtcp: Option<SocketAddr>,
        rtcp_mux: bool,
        direction: Direction,
    ) -> Self {
        RemoteMedia {
            rtp,
            rtcp,
            rtcp_mux,
            direction,
            srtp: None,
            clock_rate: None,
            telephone_event: None,
            audio: Vec::new(),
        }
    }

    /// The formats of the m= line that the mixer knows, in SDP order.
    pub fn with_audio(mut self, audio: Vec<AudioFormat>) -> Self {
        self.audio = audio;
        self
    }

    /// The main payload's clock rate and the telephone-event payload type, from SDP.
    pub fn with_payloads(mut self, clock_rate: Option<u32>, telephone_event: Option<u8>) -> Self {
        self.clock_rate = clock_rate;
        self.telephone_event = telephone_event;
        self
    }

    /// The same media, protected with SRTP.
    pub fn with_srtp(mut self, keying: SrtpKeying) -> Self {
        self.srtp = Some(keying);
        self
    }
}

/// Why the media plane could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// No free port pair in the configured range: the call gets 503.
    #[error("media port range exhausted")]
    PortsExhausted,
    #[error("unknown media stream {0}")]
    UnknownStream(StreamId),
    #[error("media socket error: {0}")]
    Io(String),
    /// A monitored call whose streams cannot be mixed (no common codec, a stream of
    /// another call, more supervisors than the mixer has room for).
    #[error("cannot monitor: {0}")]
    Monitor(String),
}

/// The port. All methods are control-plane operations.
pub trait MediaControl: Send + Sync {
    /// Reserve a local RTP/RTCP port pair for one stream of one leg of a call.
    fn allocate(
        &self,
        call: CallRef,
        side: LegSide,
    ) -> Result<(StreamId, LocalEndpoint), MediaError>;

    /// Set or update (re-INVITE) where the peer of `stream` wants media sent. Symmetric
    /// latching may later override the address with the packets' real source.
    fn set_remote(&self, stream: StreamId, remote: RemoteMedia) -> Result<(), MediaError>;

    /// Relay both ways: what arrives on `a` is sent to `b`'s peer and vice versa.
    fn connect(&self, a: StreamId, b: StreamId) -> Result<(), MediaError>;

    /// Release every stream of a call and return its ports to the pool.
    fn release_call(&self, call: CallRef);

    /// Reserve a stream for a supervisor's leg on `call` (served by the same worker as
    /// the call's own streams). It is released with the call, or by
    /// `release_stream` when the supervisor hangs up first.
    fn allocate_monitor(&self, call: CallRef) -> Result<(StreamId, LocalEndpoint), MediaError>;

    /// Release one stream (a supervisor's) before its call ends.
    fn release_stream(&self, stream: StreamId);

    /// Set who hears whom on a monitored call (see `MonitoredMedia`). Takes effect
    /// between two packet batches of the call's worker.
    fn set_monitoring(&self, media: MonitoredMedia) -> Result<(), MediaError>;

    /// Play `notice` to the supervisor on `stream` only, mixed into what it hears.
    /// `stream` must be a supervisor's stream in its call's current monitoring
    /// picture; anything else is an error (`UnknownStream`, `Monitor`).
    fn play_notice(&self, stream: StreamId, notice: SupervisorNotice) -> Result<(), MediaError>;
}
