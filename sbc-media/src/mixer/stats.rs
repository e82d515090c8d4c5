//! Counters of one mixer input and one output, as snapshots for the API and tests.

/// Receive and playout counters of one input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputStats {
    /// RTP packets of the input's payload type accepted by `push`.
    pub received: u64,
    /// Arrived after their turn to play: dropped.
    pub late: u64,
    /// Never arrived in time: concealed.
    pub lost: u64,
    /// Frames synthesized (losses and underruns).
    pub concealed: u64,
    /// Copies of packets already held: dropped.
    pub duplicates: u64,
    /// Pulls that found nothing to play while playing.
    pub underruns: u64,
    /// Frames dropped to give back latency, or pushed out by a burst.
    pub skipped: u64,
    /// Source restarts (sequence jumps) and SSRC changes.
    pub restarts: u64,
    /// Packets that were not RTP, not the negotiated payload type, or too large.
    pub rejected: u64,
    /// Payloads the decoder refused (concealed instead).
    pub decode_errors: u64,
    /// Media held now, from the play cursor to the newest packet, in ms.
    pub depth_ms: u32,
    /// The adaptive target depth now, in ms.
    pub target_ms: u32,
    /// RFC 3550 interarrival jitter, in ms.
    pub jitter_ms: u32,
}

/// Send counters of one output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputStats {
    /// RTP packets produced.
    pub packets: u64,
    /// RTP bytes produced (headers included).
    pub bytes: u64,
    /// Frames the encoder or resampler refused: skipped (the timestamp still
    /// advances, so the stream stays in real time).
    pub encode_errors: u64,
    /// Sequence number of the next packet.
    pub next_seq: u16,
    /// Timestamp of the next packet.
    pub next_timestamp: u32,
}
