//! The `Mixer`: the table of inputs and outputs of one monitored call and its 20 ms
//! tick. Sans-IO: packets come in through `push` with their arrival time, `tick(now)`
//! runs one period and lends out the RTP packets to send, `poll_timeout` says when
//! the next period is due. The mixer never reads a clock.
//!
//! One tick: every input yields 20 ms at the mix rate (played, concealed or silent);
//! every output sums the inputs it hears in `i32` and clamps once (saturation, no
//! wrap-around), then resamples and encodes for its listener. Buffers are all built
//! when inputs and outputs are added; `push` and `tick` allocate nothing.

use std::time::Instant;

use super::ids::{InputSet, Slots};
use super::input::MixInput;
use super::jitter::PushOutcome;
use super::output::MixOutput;
use super::{
    InputConfig, InputId, InputStats, MixerConfig, MixerError, OutputConfig, OutputId, OutputStats,
    MAX_INPUTS, MAX_OUTPUTS, TICK,
};

/// Ticks the caller may fall behind before the schedule is reset to `now` (a
/// stalled thread must not make the mixer burst a backlog out at once).
const MAX_LAG_TICKS: u32 = 5;

/// A mixer for one monitored call.
pub struct Mixer {
    config: MixerConfig,
    tick_samples: usize,
    inputs: Slots<MixInput>,
    outputs: Slots<MixOutput>,
    /// Per-tick sum before clamping, and the clamped mix.
    sum: Box<[i32]>,
    mix: Box<[i16]>,
    next_tick: Instant,
    /// Ticks dropped because the caller fell more than `MAX_LAG_TICKS` behind.
    skipped_ticks: u64,
}

impl std::fmt::Debug for Mixer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mixer")
            .field("config", &self.config)
            .field("next_tick", &self.next_tick)
            .finish_non_exhaustive()
    }
}

impl Mixer {
    /// A mixer whose first tick is due at `now`.
    pub fn new(config: MixerConfig, now: Instant) -> Result<Self, MixerError> {
        config.jitter.validate()?;
        let tick_samples = (u128::from(config.mix_rate.hz()) * TICK.as_millis() / 1000) as usize;
        Ok(Mixer {
            config,
            tick_samples,
            inputs: Slots::with_capacity(MAX_INPUTS),
            outputs: Slots::with_capacity(MAX_OUTPUTS),
            sum: vec![0; tick_samples].into_boxed_slice(),
            mix: vec![0; tick_samples].into_boxed_slice(),
            next_tick: now,
            skipped_ticks: 0,
        })
    }

    pub fn config(&self) -> &MixerConfig {
        &self.config
    }

    /// Add a source (allocates its buffers and codec state).
    pub fn add_input(&mut self, config: InputConfig) -> Result<InputId, MixerError> {
        let input = MixInput::new(
            config,
            &self.config.jitter,
            self.config.mix_rate,
            self.tick_samples,
        )?;
        let (index, generation) = self.inputs.insert(input).ok_or(MixerError::TooManyInputs)?;
        Ok(InputId::new(index, generation))
    }

    /// Remove a source; no output hears it any more.
    pub fn remove_input(&mut self, id: InputId) -> Result<(), MixerError> {
        self.inputs
            .remove(id.index(), id.generation())
            .ok_or(MixerError::UnknownInput(id))?;
        for (_, out) in self.outputs.iter_mut() {
            out.hears = out.hears.without(id.index());
        }
        Ok(())
    }

    /// Add a listener, hearing nothing until `set_hears`.
    pub fn add_output(&mut self, config: OutputConfig) -> Result<OutputId, MixerError> {
        let output = MixOutput::new(config, self.config.mix_rate, self.tick_samples)?;
        let (index, generation) = self
            .outputs
            .insert(output)
            .ok_or(MixerError::TooManyOutputs)?;
        Ok(OutputId::new(index, generation))
    }

    pub fn remove_output(&mut self, id: OutputId) -> Result<(), MixerError> {
        self.outputs
            .remove(id.index(), id.generation())
            .map(|_| ())
            .ok_or(MixerError::UnknownOutput(id))
    }

    /// Replace what `output` hears, effective from the next tick. Every input must
    /// exist and none may be the output's own; on error nothing changes.
    pub fn set_hears(&mut self, output: OutputId, inputs: &[InputId]) -> Result<(), MixerError> {
        let set = self.check_hears(output, inputs)?;
        if let Some(out) = self.outputs.get_mut(output.index(), output.generation()) {
            out.hears = set;
        }
        Ok(())
    }

    /// Validate a hear set for `output` and build its mask.
    pub(crate) fn check_hears(
        &self,
        output: OutputId,
        inputs: &[InputId],
    ) -> Result<InputSet, MixerError> {
        let out = self
            .outputs
            .get(output.index(), output.generation())
            .ok_or(MixerError::UnknownOutput(output))?;
        let mut set = InputSet::EMPTY;
        for &input in inputs {
            if self.inputs.get(input.index(), input.generation()).is_none() {
                return Err(MixerError::UnknownInput(input));
            }
            if out.config().own_input == Some(input) {
                return Err(MixerError::HearsItself { output, input });
            }
            set = set.with(input.index());
        }
        Ok(set)
    }

    /// Whether `output` currently hears `input`.
    pub fn hears(&self, output: OutputId, input: InputId) -> Result<bool, MixerError> {
        let out = self
            .outputs
            .get(output.index(), output.generation())
            .ok_or(MixerError::UnknownOutput(output))?;
        Ok(self.inputs.get(input.index(), input.generation()).is_some()
            && out.hears.contains(input.index()))
    }

    /// Hand one plain (decrypted) RTP packet of `input` to its jitter buffer.
    pub fn push(
        &mut self,
        input: InputId,
        rtp_packet: &[u8],
        arrival: Instant,
    ) -> Result<PushOutcome, MixerError> {
        self.inputs
            .get_mut(input.index(), input.generation())
            .ok_or(MixerError::UnknownInput(input))?
            .push(rtp_packet, arrival)
    }

    /// When `tick` is next due. Always `Some`: a mixer ticks for as long as it exists.
    pub fn poll_timeout(&self) -> Option<Instant> {
        Some(self.next_tick)
    }

    /// Run one 20 ms period if it is due at `now` (else do nothing) and lend out the
    /// packets produced, in output order. A caller that woke late calls `tick` again
    /// while `poll_timeout() <= now` to catch up; beyond `MAX_LAG_TICKS` behind, the
    /// schedule restarts from `now` instead.
    pub fn tick(&mut self, now: Instant) -> TickPackets<'_> {
        if now < self.next_tick {
            for (_, out) in self.outputs.iter_mut() {
                out.clear_packets();
            }
            return TickPackets::new(&self.outputs);
        }
        self.next_tick += TICK;
        if now.saturating_duration_since(self.next_tick) > TICK * MAX_LAG_TICKS {
            let behind = now.saturating_duration_since(self.next_tick);
            self.skipped_ticks += (behind.as_micros() / TICK.as_micros()) as u64;
            self.next_tick = now + TICK;
        }
        for (_, input) in self.inputs.iter_mut() {
            input.produce();
        }
        for (_, output) in self.outputs.iter_mut() {
            mix_into(&self.inputs, output.hears, &mut self.sum, &mut self.mix);
            output.emit(&self.mix);
        }
        TickPackets::new(&self.outputs)
    }

    /// Ticks skipped because the caller fell far behind schedule.
    pub fn skipped_ticks(&self) -> u64 {
        self.skipped_ticks
    }

    pub fn input_stats(&self, id: InputId) -> Result<InputStats, MixerError> {
        self.inputs
            .get(id.index(), id.generation())
            .map(MixInput::stats)
            .ok_or(MixerError::UnknownInput(id))
    }

    pub fn output_stats(&self, id: OutputId) -> Result<OutputStats, MixerError> {
        self.outputs
            .get(id.index(), id.generation())
            .map(MixOutput::stats)
            .ok_or(MixerError::UnknownOutput(id))
    }
}

/// Sum the audible inputs in `hears` with saturation into `mix`.
fn mix_into(inputs: &Slots<MixInput>, hears: InputSet, sum: &mut [i32], mix: &mut [i16]) {
    sum.fill(0);
    let heard = inputs
        .iter()
        .filter(|(index, _, _)| hears.contains(*index))
        .filter_map(|(_, _, input)| input.frame());
    for frame in heard {
        for (s, &x) in sum.iter_mut().zip(frame) {
            *s += i32::from(x);
        }
    }
    for (m, &s) in mix.iter_mut().zip(sum.iter()) {
        *m = s.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
    }
}

/// The packets of one tick: `(output, RTP packet)` borrowed from the mixer until the
/// next call that changes it.
pub struct TickPackets<'a> {
    outputs: &'a Slots<MixOutput>,
    index: usize,
    packet: usize,
}

impl<'a> TickPackets<'a> {
    fn new(outputs: &'a Slots<MixOutput>) -> Self {
        TickPackets {
            outputs,
            index: 0,
            packet: 0,
        }
    }
}

impl<'a> Iterator for TickPackets<'a> {
    type Item = (OutputId, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (generation, out) = match self.outputs.entry(self.index)? {
                Some(entry) => entry,
                None => {
                    self.index += 1;
                    continue;
                }
            };
            if self.packet < out.packet_count() {
                let id = OutputId::new(self.index, generation);
                let pkt = out.packet(self.packet);
                self.packet += 1;
                return Some((id, pkt));
            }
            self.index += 1;
            self.packet = 0;
        }
    }
}
