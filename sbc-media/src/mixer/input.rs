//! One mixer input: a leg's received RTP, through its jitter buffer and decoder,
//! resampled to the mix rate, delivered as one tick of PCM at a time.
//!
//! Decoding is on demand: each tick pulls packets until a tick's worth of samples is
//! queued, so the input adds no delay beyond the jitter buffer's, whatever the
//! peer's ptime. Losses and underruns are filled by the codec's own concealment
//! (Opus rebuilds from the next packet's FEC when it is held).

use std::time::Instant;

use super::jitter::{JitterBuffer, Pull, PushOutcome};
use super::{InputConfig, InputStats, JitterConfig, MixerError};
use crate::codec::{AudioCodec, Resampler, SampleRate, MAX_FRAME_SAMPLES};
use crate::rtp::{ArrivalClock, ClockRate, ReceiveStats, RtpHeader, Ssrc};

/// Pulls per tick at most: enough for 10 ms frames with losses, and a bound that
/// guarantees the tick ends even if a codec conceals nothing.
const MAX_PULLS_PER_TICK: usize = 6;

pub(crate) struct MixInput {
    config: InputConfig,
    codec: AudioCodec,
    resampler: Resampler,
    jitter: JitterBuffer,
    /// Decoded PCM of one packet, at the codec's rate.
    decoded: Box<[i16]>,
    /// Resampled PCM waiting for the next tick, at the mix rate.
    queue: super::pcm::PcmFifo,
    /// This tick's PCM at the mix rate.
    frame: Box<[i16]>,
    /// Whether `frame` carries the source (played or concealed), not just silence.
    audible: bool,
    ssrc: Option<Ssrc>,
    receive: ReceiveStats,
    clock: Option<ArrivalClock>,
    stats: InputStats,
}

impl MixInput {
    pub(crate) fn new(
        config: InputConfig,
        jitter: &JitterConfig,
        mix_rate: SampleRate,
        tick_samples: usize,
    ) -> Result<Self, MixerError> {
        let codec = AudioCodec::new(config.codec)?;
        let ms = |d: std::time::Duration| d.as_millis() as u32;
        Ok(MixInput {
            resampler: Resampler::new(codec.sample_rate(), mix_rate),
            jitter: JitterBuffer::new(
                config.codec.frame.millis(),
                ms(jitter.min),
                ms(jitter.initial),
                ms(jitter.max),
            ),
            codec,
            config,
            decoded: vec![0; MAX_FRAME_SAMPLES].into_boxed_slice(),
            queue: super::pcm::PcmFifo::new(tick_samples + 2 * MAX_FRAME_SAMPLES),
            frame: vec![0; tick_samples].into_boxed_slice(),
            audible: false,
            ssrc: None,
            receive: ReceiveStats::with_min_sequential(1),
            clock: None,
            stats: InputStats::default(),
        })
    }

    /// Accept one plain RTP packet of this input.
    pub(crate) fn push(
        &mut self,
        packet: &[u8],
        arrival: Instant,
    ) -> Result<PushOutcome, MixerError> {
        let header = RtpHeader::parse(packet).inspect_err(|_| self.stats.rejected += 1)?;
        let expected = self.config.payload_type.get();
        let got = header.payload_type().get();
        if got != expected {
            self.stats.rejected += 1;
            return Err(MixerError::PayloadType { expected, got });
        }
        if self.ssrc.is_some_and(|s| s != header.ssrc()) {
            self.new_source();
        }
        self.ssrc = Some(header.ssrc());
        let outcome = self
            .jitter
            .insert(header.sequence(), header.payload())
            .inspect_err(|_| self.stats.rejected += 1)?;
        self.stats.received += 1;
        let rate = ClockRate::new(self.codec.rtp_clock_rate()).unwrap_or(ClockRate::NARROWBAND);
        let clock = *self.clock.get_or_insert(ArrivalClock::new(arrival, rate));
        self.receive.on_packet(
            header.sequence(),
            header.timestamp(),
            clock.arrival(arrival),
        );
        Ok(outcome)
    }

    /// A new SSRC: whatever the old source left in buffers and codec state is void.
    fn new_source(&mut self) {
        self.stats.restarts += 1;
        self.jitter.clear();
        self.queue.clear();
        self.resampler.reset();
        if self.codec.reset().is_err() {
            self.stats.decode_errors += 1;
        }
        self.receive = ReceiveStats::with_min_sequential(1);
        self.clock = None;
    }

    /// Produce this tick's PCM into `frame` (read it with `frame()`).
    pub(crate) fn produce(&mut self) {
        self.jitter.on_tick();
        let need = self.frame.len();
        self.audible = false;
        for _ in 0..MAX_PULLS_PER_TICK {
            if self.queue.len() >= need {
                break;
            }
            let Some(n) = self.decode_next() else {
                break;
            };
            self.audible = true;
            let pcm = self.decoded.get(..n).unwrap_or(&[]);
            match self.resampler.process(pcm, self.queue.spare_mut()) {
                Ok(written) => self.queue.commit(written),
                Err(_) => self.stats.decode_errors += 1,
            }
        }
        let moved = self.queue.pop_into(&mut self.frame);
        self.audible |= moved > 0;
    }

    /// Decode (or conceal) the next packet into `decoded`; `None` when the buffer
    /// says silence, or nothing could be produced.
    fn decode_next(&mut self) -> Option<usize> {
        let n = match self.jitter.pull() {
            Pull::Silent => return None,
            Pull::Packet(slot) => {
                let payload = self.jitter.payload(slot);
                match self.codec.decode(payload, &mut self.decoded) {
                    Ok(n) => Ok(n),
                    Err(_) => {
                        self.stats.decode_errors += 1;
                        self.stats.concealed += 1;
                        self.codec.conceal(None, &mut self.decoded)
                    }
                }
            }
            Pull::Lost { next } => {
                self.stats.concealed += 1;
                let next = next.map(|slot| self.jitter.payload(slot));
                self.codec.conceal(next, &mut self.decoded)
            }
            Pull::Underrun => {
                self.stats.concealed += 1;
                self.codec.conceal(None, &mut self.decoded)
            }
        };
        match n {
            Ok(n) if n > 0 => Some(n),
            Ok(_) => None,
            Err(_) => {
                self.stats.decode_errors += 1;
                None
            }
        }
    }

    /// This tick's PCM at the mix rate, if the source is audible.
    pub(crate) fn frame(&self) -> Option<&[i16]> {
        self.audible.then_some(&self.frame[..])
    }

    pub(crate) fn stats(&self) -> InputStats {
        let c = self.jitter.counters();
        let rate = self.codec.rtp_clock_rate().max(1);
        InputStats {
            late: c.late,
            lost: c.lost,
            duplicates: c.duplicates,
            underruns: c.underruns,
            skipped: c.skipped,
            restarts: self.stats.restarts + c.restarts,
            depth_ms: self.jitter.depth_ms(),
            target_ms: self.jitter.target_ms(),
            jitter_ms: (u64::from(self.receive.jitter()) * 1000 / u64::from(rate)) as u32,
            ..self.stats
        }
    }
}
