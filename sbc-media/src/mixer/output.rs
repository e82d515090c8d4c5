//! One mixer output: a listener's mix, resampled to its codec's rate, encoded a frame
//! at a time, and wrapped in RTP with one SSRC and gapless sequence numbers and
//! timestamps (in the codec's RTP clock: 8 kHz for G.722) for the output's lifetime.
//!
//! What the output hears changes freely (`hears`); the stream does not notice:
//! the same codec state, the same numbering, just different PCM going in.

use super::ids::InputSet;
use super::pcm::PcmFifo;
use super::{MixerError, OutputConfig, OutputStats};
use crate::codec::{AudioCodec, Resampler, SampleRate, MAX_FRAME_SAMPLES, MAX_PAYLOAD_BYTES};
use crate::rtp::RTP_HEADER_LEN;

/// Packets one tick can produce per output: two for 10 ms frames, else one.
pub(crate) const MAX_PACKETS_PER_TICK: usize = 2;
/// Room for one packet: fixed header and the largest encoded frame.
const PACKET_CAPACITY: usize = RTP_HEADER_LEN + MAX_PAYLOAD_BYTES;

pub(crate) struct MixOutput {
    config: OutputConfig,
    pub(crate) hears: InputSet,
    codec: AudioCodec,
    resampler: Resampler,
    /// Mixed PCM at the codec's rate waiting to fill a frame.
    pending: PcmFifo,
    seq: u16,
    timestamp: u32,
    /// The next packet is the stream's first: it carries the marker bit.
    first: bool,
    /// `MAX_PACKETS_PER_TICK` packet buffers and this tick's lengths.
    packets: Box<[u8]>,
    lens: [usize; MAX_PACKETS_PER_TICK],
    count: usize,
    stats: OutputStats,
}

impl MixOutput {
    pub(crate) fn new(
        config: OutputConfig,
        mix_rate: SampleRate,
        tick_samples: usize,
    ) -> Result<Self, MixerError> {
        let codec = AudioCodec::new(config.codec)?;
        Ok(MixOutput {
            resampler: Resampler::new(mix_rate, codec.sample_rate()),
            codec,
            hears: InputSet::EMPTY,
            pending: PcmFifo::new(tick_samples + MAX_FRAME_SAMPLES),
            seq: config.first_seq,
            timestamp: config.first_timestamp,
            first: true,
            packets: vec![0; PACKET_CAPACITY * MAX_PACKETS_PER_TICK].into_boxed_slice(),
            lens: [0; MAX_PACKETS_PER_TICK],
            count: 0,
            stats: OutputStats::default(),
            config,
        })
    }

    pub(crate) fn config(&self) -> &OutputConfig {
        &self.config
    }

    /// Take one tick of mixed PCM (mix rate) and packetize every whole frame.
    pub(crate) fn emit(&mut self, mix: &[i16]) {
        self.count = 0;
        match self.resampler.process(mix, self.pending.spare_mut()) {
            Ok(n) => self.pending.commit(n),
            Err(_) => self.stats.encode_errors += 1,
        }
        let frame = self.codec.samples_per_frame();
        while self.pending.len() >= frame && self.count < MAX_PACKETS_PER_TICK {
            self.packetize(frame);
            self.pending.consume(frame);
        }
    }

    /// Encode one frame from the front of `pending` into the next packet buffer.
    fn packetize(&mut self, frame: usize) {
        let increment = self.codec.timestamp_increment();
        let start = self.count * PACKET_CAPACITY;
        let Some(buf) = self.packets.get_mut(start..start + PACKET_CAPACITY) else {
            return;
        };
        let (header, payload) = buf.split_at_mut(RTP_HEADER_LEN);
        let encoded = self.codec.encode(self.pending.front(frame), payload);
        let Ok(len) = encoded else {
            // No packet, but time moves on: the next one's timestamp says so.
            self.stats.encode_errors += 1;
            self.timestamp = self.timestamp.wrapping_add(increment);
            return;
        };
        let marker = if self.first { 0x80 } else { 0 };
        header[0] = 0x80; // V=2, no padding, no extension, no CSRC.
        header[1] = marker | self.config.payload_type.get();
        header[2..4].copy_from_slice(&self.seq.to_be_bytes());
        header[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        header[8..12].copy_from_slice(&self.config.ssrc.0.to_be_bytes());
        let total = RTP_HEADER_LEN + len;
        if let Some(l) = self.lens.get_mut(self.count) {
            *l = total;
        }
        self.count += 1;
        self.first = false;
        self.seq = self.seq.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(increment);
        self.stats.packets += 1;
        self.stats.bytes += total as u64;
    }

    /// Forget the last tick's packets (a call of `tick` that was not due).
    pub(crate) fn clear_packets(&mut self) {
        self.count = 0;
    }

    /// Packets produced by the last `emit`.
    pub(crate) fn packet_count(&self) -> usize {
        self.count
    }

    /// The `i`-th packet of the last `emit`.
    pub(crate) fn packet(&self, i: usize) -> &[u8] {
        let len = self.lens.get(i).copied().unwrap_or(0);
        let start = i * PACKET_CAPACITY;
        self.packets.get(start..start + len).unwrap_or(&[])
    }

    pub(crate) fn stats(&self) -> OutputStats {
        OutputStats {
            next_seq: self.seq,
            next_timestamp: self.timestamp,
            ..self.stats
        }
    }
}
