//! One monitored call on its worker: the `Mixer` and its parties (customer, agent,
//! each supervisor), each party a stream slot with one mixer input per usable format
//! and, while the mixer feeds it, one output. This file builds and changes the table
//! (control time: everything here may allocate); `route` decides who hears whom,
//! `tick` runs the packet-time side.

use std::time::Instant;

use sbc_core::ids::{CallRef, StreamId};
use sbc_core::media::{AgentAfterTakeover, AudioFormat};
use sbc_core::monitoring::MonitorMode;

use super::beep::{BeepTrack, AGENT_BEEP};
use super::formats::{codec_config, codec_kind, input_formats, output_format, MAX_FORMATS};
use super::{slot_mut, Tap};
use crate::codec::SampleRate;
use crate::mixer::{
    InputConfig, InputId, Mixer, MixerConfig, MixerError, OutputId, MAX_INPUTS, MAX_OUTPUTS,
};
use crate::sink::SlotIndex;
use crate::slot::StreamSlot;

/// Supervisors one call takes at most: with `MAX_FORMATS` inputs per party the
/// mixer's 32 inputs hold customer, agent, the supervisors, the beep and the
/// supervisors' notice.
pub(crate) const MAX_SUPERVISORS: usize = 5;
pub(crate) const MAX_PARTIES: usize = 2 + MAX_SUPERVISORS;
// Every party's inputs, one more for the beep and one for the notice.
const _: () = assert!(MAX_PARTIES * MAX_FORMATS + 2 <= MAX_INPUTS);
// `MonitorGroup::noticed` is a bit per party.
const _: () = assert!(MAX_PARTIES <= u8::BITS as usize);
const _: () = assert!(MAX_PARTIES <= MAX_OUTPUTS);
pub(crate) const CUSTOMER: usize = 0;
pub(crate) const AGENT: usize = 1;

/// How a party is fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// The other party's packets, relayed untouched (customer and agent only).
    Relay,
    /// Nothing at all.
    Silent,
    /// A mixer output.
    Mixer,
}

/// Why a group could not be built or changed (logged: signaling was already told
/// yes by the engine's checks, so this is a codec or table failure).
#[derive(Debug, thiserror::Error)]
pub(crate) enum GroupError {
    #[error("{0} has no audio format the mixer can use")]
    NoFormat(StreamId),
    #[error("the customer's or the agent's stream is gone")]
    Incomplete,
    #[error(transparent)]
    Mixer(#[from] MixerError),
}

/// What a new group is built with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupSpec {
    pub call: CallRef,
    pub after_takeover: AgentAfterTakeover,
    /// The tenant wants the agent told (beep) when monitoring starts and stops.
    pub agent_beep: bool,
    /// Play the starting beep now (not when a group is only rebuilt).
    pub beep_now: bool,
    pub rate: SampleRate,
}

/// A supervisor as the worker resolved it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SupervisorSlot {
    pub slot: SlotIndex,
    pub stream: StreamId,
    pub mode: MonitorMode,
}

#[derive(Debug)]
pub(crate) struct Party {
    pub slot: SlotIndex,
    pub stream: StreamId,
    /// `None` for customer and agent.
    pub mode: Option<MonitorMode>,
    /// `(payload type, input)` per usable format, in SDP order; never empty.
    pub inputs: Vec<(u8, InputId)>,
    /// The formats `inputs` were built from.
    formats: Vec<AudioFormat>,
    /// What the mixer encodes for this party.
    pub out_format: AudioFormat,
    pub output: Option<OutputId>,
    /// Some output hears this party: its packets go into the mixer.
    pub heard: bool,
    pub route: Route,
    /// Route and hear set of the monitoring picture itself, without the beep.
    pub steady_route: Route,
    pub steady_hears: Vec<InputId>,
}

impl Party {
    /// The input that stands for the party in a `MixPlan`.
    pub fn primary(&self) -> Option<InputId> {
        self.inputs.first().map(|(_, i)| *i)
    }

    pub fn owns(&self, input: InputId) -> bool {
        self.inputs.iter().any(|(_, i)| *i == input)
    }
}

pub(crate) struct MonitorGroup {
    pub call: CallRef,
    /// Its index in the worker's group table (what taps name).
    pub index: u32,
    pub mixer: Mixer,
    /// `MAX_PARTIES` entries: customer, agent, then supervisors where there is room.
    pub parties: Vec<Option<Party>>,
    pub after_takeover: AgentAfterTakeover,
    pub agent_beep: bool,
    /// The agent's notice and the mixer input it plays through.
    pub beep: Option<(BeepTrack, InputId)>,
    /// The supervisors' notice and its mixer input, from the first notice on.
    pub notice: Option<(BeepTrack, InputId)>,
    /// The parties that hear the notice while it plays (bit `i`: party `i`).
    pub noticed: u8,
    /// No supervisor is left: the group lives on only to finish the closing beep.
    pub ending: bool,
}

impl std::fmt::Debug for MonitorGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonitorGroup")
            .field("call", &self.call)
            .field("index", &self.index)
            .field("ending", &self.ending)
            .finish_non_exhaustive()
    }
}

/// The mix rate a picture needs: the highest rate any party is sent in.
pub(crate) fn required_rate<'a>(slots: impl IntoIterator<Item = &'a StreamSlot>) -> SampleRate {
    let kinds = slots.into_iter().filter_map(|s| {
        let last = s.last_sent.map(|m| m.payload_type);
        output_format(&s.audio, last).map(|f| codec_kind(f.encoding))
    });
    MixerConfig::for_codecs(kinds).mix_rate
}

impl MonitorGroup {
    /// A group with customer and agent at `customer` and `agent`, its first tick due
    /// at `now`. Supervisors come with `update`, routes with `replan`.
    pub(crate) fn new(
        index: u32,
        spec: GroupSpec,
        (customer, agent): (SlotIndex, SlotIndex),
        slots: &mut [Option<StreamSlot>],
        now: Instant,
    ) -> Result<Self, GroupError> {
        let config = MixerConfig {
            mix_rate: spec.rate,
            ..MixerConfig::default()
        };
        let mut group = MonitorGroup {
            call: spec.call,
            index,
            mixer: Mixer::new(config, now)?,
            parties: (0..MAX_PARTIES).map(|_| None).collect(),
            after_takeover: spec.after_takeover,
            agent_beep: spec.agent_beep,
            beep: None,
            notice: None,
            noticed: 0,
            ending: false,
        };
        group.add_party(CUSTOMER, customer, None, slots)?;
        group.add_party(AGENT, agent, None, slots)?;
        if spec.agent_beep {
            let mut track = BeepTrack::new(&AGENT_BEEP).map_err(MixerError::from)?;
            let input = group.mixer.add_input(BeepTrack::input_config())?;
            if spec.beep_now {
                track.start();
            }
            group.beep = Some((track, input));
        }
        Ok(group)
    }

    pub(crate) fn mix_rate(&self) -> SampleRate {
        self.mixer.config().mix_rate
    }

    pub(crate) fn slot_of(&self, party: usize) -> Option<SlotIndex> {
        self.parties.get(party)?.as_ref().map(|p| p.slot)
    }

    /// Brings the supervisors in line with `supervisors` (modes, joins, leaves) and
    /// every party's inputs with its stream's current SDP.
    pub(crate) fn update(
        &mut self,
        after_takeover: AgentAfterTakeover,
        supervisors: &[SupervisorSlot],
        slots: &mut [Option<StreamSlot>],
    ) -> Result<(), GroupError> {
        self.after_takeover = after_takeover;
        self.ending = false;
        for i in AGENT + 1..MAX_PARTIES {
            let keep = self.parties.get(i).and_then(Option::as_ref).and_then(|p| {
                supervisors
                    .iter()
                    .find(|s| s.slot == p.slot && s.stream == p.stream)
            });
            match keep {
                Some(s) => {
                    if let Some(Some(p)) = self.parties.get_mut(i) {
                        p.mode = Some(s.mode);
                    }
                }
                None => self.remove_party(i, slots),
            }
        }
        for s in supervisors {
            let present = self.parties.iter().flatten().any(|p| p.slot == s.slot);
            if present {
                continue;
            }
            let free =
                (AGENT + 1..MAX_PARTIES).find(|i| matches!(self.parties.get(*i), Some(None)));
            let Some(i) = free else {
                tracing::warn!(call = %self.call, stream = %s.stream, "monitor group full: supervisor left out");
                continue;
            };
            self.add_party(i, s.slot, Some(s.mode), slots)?;
        }
        for i in 0..MAX_PARTIES {
            self.refresh_inputs(i, slots)?;
        }
        Ok(())
    }

    /// The supervisors as they are now, but `except`.
    pub(crate) fn supervisor_slots(&self, except: Option<SlotIndex>) -> Vec<SupervisorSlot> {
        self.parties
            .iter()
            .skip(AGENT + 1)
            .flatten()
            .filter(|p| Some(p.slot) != except)
            .filter_map(|p| {
                Some(SupervisorSlot {
                    slot: p.slot,
                    stream: p.stream,
                    mode: p.mode?,
                })
            })
            .collect()
    }

    /// Removes every supervisor (monitoring is ending).
    pub(crate) fn remove_supervisors(&mut self, slots: &mut [Option<StreamSlot>]) {
        for i in AGENT + 1..MAX_PARTIES {
            self.remove_party(i, slots);
        }
    }

    fn add_party(
        &mut self,
        i: usize,
        idx: SlotIndex,
        mode: Option<MonitorMode>,
        slots: &mut [Option<StreamSlot>],
    ) -> Result<(), GroupError> {
        let Some(slot) = slot_mut(slots, idx) else {
            return Ok(());
        };
        let last = slot.last_sent.map(|m| m.payload_type);
        let out_format = output_format(&slot.audio, last).ok_or(GroupError::NoFormat(slot.id))?;
        let formats = input_formats(&slot.audio);
        let inputs = self.add_inputs(&formats)?;
        slot.tap = Some(Tap {
            group: self.index,
            party: i as u8,
        });
        let party = Party {
            slot: idx,
            stream: slot.id,
            mode,
            inputs,
            formats,
            out_format,
            output: None,
            heard: false,
            route: Route::Relay,
            steady_route: Route::Relay,
            steady_hears: Vec::new(),
        };
        if let Some(entry) = self.parties.get_mut(i) {
            *entry = Some(party);
        }
        Ok(())
    }

    /// One mixer input per format; on failure none is left behind.
    fn add_inputs(&mut self, formats: &[AudioFormat]) -> Result<Vec<(u8, InputId)>, GroupError> {
        let mut inputs = Vec::with_capacity(formats.len());
        for f in formats {
            let (codec, payload_type) = codec_config(*f);
            match self.mixer.add_input(InputConfig {
                codec,
                payload_type,
            }) {
                Ok(id) => inputs.push((f.payload_type, id)),
                Err(e) => {
                    for (_, id) in inputs {
                        let _ = self.mixer.remove_input(id);
                    }
                    return Err(e.into());
                }
            }
        }
        Ok(inputs)
    }

    /// A re-INVITE changed a party's formats: new inputs (and, if its output's format
    /// is gone, a new output format; `replan` rebuilds the output).
    fn refresh_inputs(
        &mut self,
        i: usize,
        slots: &mut [Option<StreamSlot>],
    ) -> Result<(), GroupError> {
        let Some(Some(p)) = self.parties.get(i) else {
            return Ok(());
        };
        let Some(slot) = slot_mut(slots, p.slot) else {
            return Ok(());
        };
        let formats = input_formats(&slot.audio);
        if formats.is_empty() || formats == p.formats {
            return Ok(());
        }
        let keep_output = slot.audio.contains(&p.out_format);
        let out_format = output_format(&slot.audio, slot.last_sent.map(|m| m.payload_type));
        let inputs = self.add_inputs(&formats)?;
        let Some(Some(p)) = self.parties.get_mut(i) else {
            return Ok(());
        };
        let old = std::mem::replace(&mut p.inputs, inputs);
        p.formats = formats;
        let stale_output = if keep_output { None } else { p.output.take() };
        if let (false, Some(f)) = (keep_output, out_format) {
            p.out_format = f;
        }
        for (_, id) in old {
            let _ = self.mixer.remove_input(id);
        }
        if let Some(out) = stale_output {
            let _ = self.mixer.remove_output(out);
        }
        Ok(())
    }

    fn remove_party(&mut self, i: usize, slots: &mut [Option<StreamSlot>]) {
        let Some(p) = self.parties.get_mut(i).and_then(Option::take) else {
            return;
        };
        self.noticed &= !super::notice::bit(i);
        for (_, id) in &p.inputs {
            let _ = self.mixer.remove_input(*id);
        }
        if let Some(out) = p.output {
            let _ = self.mixer.remove_output(out);
        }
        if let Some(slot) = slot_mut(slots, p.slot) {
            slot.tap = None;
        }
    }

    /// Detaches the group from its streams: no taps, the plain relay both ways. The
    /// legs keep their egress rewriting, so a leg the mixer fed stays continuous.
    pub(crate) fn dismantle(&mut self, slots: &mut [Option<StreamSlot>]) {
        for p in self.parties.iter().flatten() {
            if let Some(slot) = slot_mut(slots, p.slot) {
                slot.tap = None;
                if slot.peer_rtp_muted {
                    slot.peer_rtp_muted = false;
                    slot.compile_sinks();
                }
            }
        }
    }
}
