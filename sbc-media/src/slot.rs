//! One stream as a relay worker holds it: sockets, latches, peer and compiled sinks,
//! and what monitoring adds to it (its role, its mixable formats, its mixer tap).

use std::net::SocketAddr;
use std::sync::Arc;

use mio::net::UdpSocket;
use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{AudioFormat, RemoteMedia};

use crate::egress::SentMark;
use crate::latch::Latch;
use crate::monitor::Tap;
use crate::packet::{Leg, PacketKind};
use crate::pool::PairIndex;
use crate::quality::StreamQuality;
use crate::security::StreamSecurity;
use crate::sink::{SinkList, SlotIndex};
use crate::stats::Counters;

/// The worker-wide rules the packet path applies (from `MediaSettings`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RelayPolicy {
    pub strict_source: bool,
    pub replay_window: u32,
}

/// What a stream is to its call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamRole {
    /// One of the call's two legs.
    Leg(LegSide),
    /// A supervisor's leg: it speaks into and hears only the call's mixer.
    Monitor,
}

impl StreamRole {
    /// The leg, `None` for a supervisor's stream (as `MediaEvent::side` says it).
    pub(crate) fn side(self) -> Option<LegSide> {
        match self {
            StreamRole::Leg(side) => Some(side),
            StreamRole::Monitor => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StreamRole::Leg(side) => side.as_str(),
            StreamRole::Monitor => "monitor",
        }
    }
}

#[derive(Debug)]
pub(crate) struct StreamSlot {
    pub id: StreamId,
    pub call: CallRef,
    pub role: StreamRole,
    pub pair: PairIndex,
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
    /// Peer address for packets we send from `rtp` (learned on `rtp`).
    pub rtp_latch: Latch,
    /// Peer address for packets we send from `rtcp` (learned on `rtcp`).
    pub rtcp_latch: Latch,
    /// The peer wants RTCP on its RTP address, sent from our RTP port (RFC 5761).
    pub rtcp_mux: bool,
    /// The stream this one is connected to (symmetric).
    pub peer: Option<SlotIndex>,
    /// Where packets received here go; compiled by `compile_sinks`.
    pub sinks: SinkList,
    /// The sinks RTP goes to: `sinks` without an `rtcp_only` peer (the mixer feeds
    /// it). Compiled with `sinks`, so the packet path only picks one by kind.
    pub rtp_sinks: SinkList,
    /// Extra destinations of what this stream receives (a recorder, a mixer input's
    /// stream): the packet as received (decrypted, then sealed for the fork's leg).
    pub forks: SinkList,
    /// SRTP contexts of this leg (plain RTP by default).
    pub security: StreamSecurity,
    /// SSRC/sequence/timestamp/payload-type rewriting of what we send to the peer.
    pub egress: Option<crate::egress::Egress>,
    /// Loss, jitter and DTMF of what the peer sends.
    pub quality: StreamQuality,
    pub counters: Arc<Counters>,
    /// The formats of the peer's SDP the mixer can use (read at control time only).
    pub audio: Vec<AudioFormat>,
    /// The monitor group party this stream is: its plain RTP is also lent to the
    /// mixer (a copy: the relayed packet is untouched).
    pub tap: Option<Tap>,
    /// RTP received here is not relayed to the peer (whose leg the mixer feeds, or
    /// who must hear nobody); RTCP still is.
    pub peer_rtp_muted: bool,
    /// The last RTP packet sent to this stream's peer: where a mixer splice starts.
    pub last_sent: Option<SentMark>,
}

impl StreamSlot {
    /// Applies an SDP offer/answer (addresses, mux, SRTP keys). Returns true if a
    /// latch was re-opened. With `strict` every new SDP re-opens the latches.
    pub(crate) fn set_remote(&mut self, remote: &RemoteMedia, policy: &RelayPolicy) -> bool {
        let mut reopened = self.rtp_latch.set_sdp(remote.rtp);
        reopened |= self.rtcp_latch.set_sdp(remote.rtcp);
        if policy.strict_source {
            self.rtp_latch.reopen();
            self.rtcp_latch.reopen();
            reopened = true;
        }
        self.rtcp_mux = remote.rtcp_mux;
        if self.audio != remote.audio {
            self.audio.clone_from(&remote.audio);
        }
        self.quality
            .configure(remote.clock_rate, remote.telephone_event);
        if let Err(e) = self
            .security
            .update(remote.srtp.as_ref(), policy.replay_window)
        {
            tracing::error!(stream = %self.id, call = %self.call, error = %e,
                "SRTP keys unusable: the stream drops every packet");
        }
        reopened
    }

    /// Forgets everything learned for the previous stream on these sockets.
    pub(crate) fn reset(&mut self) {
        self.rtp_latch = Default::default();
        self.rtcp_latch = Default::default();
        self.rtcp_mux = false;
        self.peer = None;
        self.sinks.clear();
        self.rtp_sinks.clear();
        self.forks.clear();
        self.security = StreamSecurity::Plain;
        self.quality.reset();
        self.egress = None;
        self.audio.clear();
        self.tap = None;
        self.peer_rtp_muted = false;
        self.last_sent = None;
    }

    pub(crate) fn latch_mut(&mut self, leg: Leg) -> &mut Latch {
        match leg {
            Leg::Rtp => &mut self.rtp_latch,
            Leg::Rtcp => &mut self.rtcp_latch,
        }
    }

    /// The socket to send a packet of `kind` to this stream's peer from, and where to.
    /// A muxing peer gets its RTCP on its RTP address from our RTP port.
    #[inline]
    pub(crate) fn egress(&self, kind: PacketKind) -> (&UdpSocket, Option<SocketAddr>) {
        match kind {
            PacketKind::Rtp => (&self.rtp, self.rtp_latch.dest()),
            PacketKind::Rtcp if self.rtcp_mux => (&self.rtp, self.rtp_latch.dest()),
            PacketKind::Rtcp => (&self.rtcp, self.rtcp_latch.dest()),
        }
    }

    /// Rebuilds the sink list from the stream's relations: its peer, then its forks.
    pub(crate) fn compile_sinks(&mut self) {
        self.sinks.clear();
        if let Some(peer) = self.peer {
            // Capacity is MAX_SINKS >= 1, so the peer always fits.
            let _ = self.sinks.push(crate::sink::Sink {
                target: peer,
                rtcp_only: self.peer_rtp_muted,
            });
        }
        for fork in self.forks.as_slice() {
            // `add_fork` keeps peer + forks within MAX_SINKS.
            let _ = self.sinks.push(*fork);
        }
        self.rtp_sinks = self.sinks.for_rtp();
    }
}
