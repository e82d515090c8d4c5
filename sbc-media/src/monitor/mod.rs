//! Monitoring on a relay worker: one group per monitored call, each holding the
//! call's `Mixer` (customer, agent and every supervisor as parties), owned and run by
//! the worker that owns the call's streams.
//!
//! How a monitored call's packets move:
//! - every party's stream has a *tap*: after decryption its plain RTP is lent to the
//!   mixer (a copy into the jitter buffer) before the relay touches it, so what the
//!   relay sends is exactly what it would send without monitoring;
//! - customer and agent keep relaying to each other while they hear just each other
//!   (listen: a pure tap, byte-identical); a leg that must hear a mix (whisper,
//!   barge, take-over) is fed a mixer output instead and its direct RTP is muted;
//!   a supervisor's stream relays nothing and hears only its output;
//! - the worker's poll wakes for the groups' 20 ms ticks (`next_tick`), and each
//!   tick's packets leave through the target leg's socket with its egress splice
//!   (one SSRC, gapless sequence, timestamps that follow time) and its SRTP.
//!
//! Everything is built when signaling sets the picture (`set`, a control command);
//! the packet path (`push`) and the tick allocate nothing.
//!
//! File map: `group` (the party table), `route` (who hears whom, how each party is
//! fed), `tick` (push, tick, send), `beep` (the agent's notice), `notice` (a
//! supervisor's notices: the error tone of a refused mode switch), `formats` (SDP
//! formats to codecs), `control` (the engine's synchronous checks).

mod beep;
pub(crate) mod control;
mod formats;
mod group;
mod notice;
mod route;
mod tick;

use std::collections::HashMap;
use std::time::Instant;

use sbc_core::ids::{CallRef, StreamId};
use sbc_core::media::{AgentAfterTakeover, MonitoredMedia};

use crate::sink::SlotIndex;
use crate::slot::StreamSlot;
pub(crate) use group::MAX_SUPERVISORS;
use group::{required_rate, GroupSpec, MonitorGroup, SupervisorSlot, AGENT, CUSTOMER};
pub(crate) use tick::TickIo;
use tick::TickOutcome;

/// Which party of which group a stream is (`StreamSlot::tap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tap {
    pub group: u32,
    pub party: u8,
}

pub(crate) fn slot_mut(
    slots: &mut [Option<StreamSlot>],
    idx: SlotIndex,
) -> Option<&mut StreamSlot> {
    slots.get_mut(idx.get()).and_then(Option::as_mut)
}

/// A worker's monitor groups.
#[derive(Debug, Default)]
pub(crate) struct MonitorGroups {
    groups: Vec<Option<MonitorGroup>>,
    by_call: HashMap<CallRef, u32>,
}

impl MonitorGroups {
    /// Packet path: `pkt` (plain RTP) was received on a tapped stream.
    #[inline]
    pub(crate) fn push(&mut self, tap: Tap, pkt: &[u8], now: Instant) {
        if let Some(Some(g)) = self.groups.get_mut(tap.group as usize) {
            g.push(tap.party, pkt, now);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_call.is_empty()
    }

    /// When the earliest group tick is due.
    pub(crate) fn next_tick(&self) -> Option<Instant> {
        self.groups
            .iter()
            .flatten()
            .filter_map(|g| g.mixer.poll_timeout())
            .min()
    }

    /// Runs every tick due at `now`; drops the groups whose closing beep ended.
    pub(crate) fn tick(
        &mut self,
        now: Instant,
        slots: &mut [Option<StreamSlot>],
        io: &mut TickIo<'_>,
    ) {
        for i in 0..self.groups.len() {
            let Some(Some(g)) = self.groups.get_mut(i) else {
                continue;
            };
            if g.tick(now, slots, io) == TickOutcome::Over {
                self.remove(i, slots);
            }
        }
    }

    /// Applies a monitoring picture (control command).
    pub(crate) fn set(
        &mut self,
        media: &MonitoredMedia,
        by_id: &HashMap<StreamId, SlotIndex>,
        slots: &mut [Option<StreamSlot>],
        now: Instant,
    ) {
        let call = media.call;
        let existing = self.by_call.get(&call).map(|&i| i as usize);
        let legs = (by_id.get(&media.customer), by_id.get(&media.agent));
        let (Some(&customer), Some(&agent)) = legs else {
            tracing::warn!(%call, "monitoring of a call whose legs are gone");
            if let Some(i) = existing {
                self.remove(i, slots);
            }
            return;
        };
        let supervisors = resolve_supervisors(media, by_id);
        if supervisors.is_empty() {
            if let Some(i) = existing {
                self.stop(i, media.agent_beep, slots);
            }
            return;
        }
        let parties = [customer, agent]
            .into_iter()
            .chain(supervisors.iter().map(|s| s.slot));
        let rate = required_rate(parties.filter_map(|i| slots.get(i.get())?.as_ref()));
        let mut spec = GroupSpec {
            call,
            after_takeover: media.after_takeover,
            agent_beep: media.agent_beep,
            beep_now: media.agent_beep,
            rate,
        };
        if let Some(i) = existing {
            let keep = self
                .groups
                .get(i)
                .and_then(Option::as_ref)
                .is_some_and(|g| {
                    g.slot_of(CUSTOMER) == Some(customer)
                        && g.slot_of(AGENT) == Some(agent)
                        && g.mix_rate().hz() >= rate.hz()
                });
            if keep {
                return self.change(
                    i,
                    media.agent_beep,
                    media.after_takeover,
                    &supervisors,
                    slots,
                );
            }
            // Other legs or a higher rate: a new mixer (the legs' egress keeps their
            // streams continuous across the change), without a second beep.
            self.remove(i, slots);
            spec.beep_now = false;
        }
        self.create(spec, (customer, agent), &supervisors, slots, now);
    }

    fn create(
        &mut self,
        spec: GroupSpec,
        legs: (SlotIndex, SlotIndex),
        supervisors: &[SupervisorSlot],
        slots: &mut [Option<StreamSlot>],
        now: Instant,
    ) {
        let index = match self.groups.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.groups.push(None);
                self.groups.len() - 1
            }
        };
        let built = MonitorGroup::new(index as u32, spec, legs, slots, now).and_then(|mut g| {
            g.update(spec.after_takeover, supervisors, slots)?;
            g.replan(slots)?;
            Ok(g)
        });
        match built {
            Ok(g) => {
                if let Some(entry) = self.groups.get_mut(index) {
                    *entry = Some(g);
                    self.by_call.insert(spec.call, index as u32);
                }
            }
            Err(e) => {
                tracing::error!(call = %spec.call, error = %e, "monitoring could not start");
                // Taps set before the failure, naming a group that does not exist.
                for slot in slots.iter_mut().flatten() {
                    if slot.tap.is_some_and(|t| t.group == index as u32) {
                        slot.tap = None;
                        slot.peer_rtp_muted = false;
                        slot.compile_sinks();
                    }
                }
            }
        }
    }

    /// New supervisors or modes for group `i`.
    fn change(
        &mut self,
        i: usize,
        agent_beep: bool,
        after_takeover: AgentAfterTakeover,
        supervisors: &[SupervisorSlot],
        slots: &mut [Option<StreamSlot>],
    ) {
        let Some(Some(g)) = self.groups.get_mut(i) else {
            return;
        };
        g.agent_beep = agent_beep;
        let done = g
            .update(after_takeover, supervisors, slots)
            .and_then(|()| g.replan(slots));
        if let Err(e) = done {
            tracing::error!(call = %g.call, error = %e, "monitoring change failed: monitoring ended");
            self.remove(i, slots);
        }
    }

    /// The last supervisor left: a closing beep first if asked for, else the end.
    fn stop(&mut self, i: usize, beep: bool, slots: &mut [Option<StreamSlot>]) {
        let Some(Some(g)) = self.groups.get_mut(i) else {
            return;
        };
        if g.ending {
            return; // already stopping: one closing beep is enough
        }
        g.remove_supervisors(slots);
        if let (Some((track, _)), true) = (&mut g.beep, beep) {
            track.start();
            g.ending = true;
            if g.replan(slots).is_ok() {
                return;
            }
        }
        self.remove(i, slots);
    }

    /// A stream is being released or parked: it leaves its group. The customer or
    /// agent leaving ends the group (the call is ending); a supervisor leaving
    /// re-plans it, and the last one stops monitoring (with the closing beep).
    pub(crate) fn leave(&mut self, idx: SlotIndex, slots: &mut [Option<StreamSlot>]) {
        let Some(tap) = slot_mut(slots, idx).and_then(|s| s.tap) else {
            return;
        };
        let i = tap.group as usize;
        let Some(Some(g)) = self.groups.get(i) else {
            return;
        };
        if usize::from(tap.party) <= AGENT {
            return self.remove(i, slots);
        }
        let remaining = g.supervisor_slots(Some(idx));
        let (beep, after) = (g.agent_beep, g.after_takeover);
        if remaining.is_empty() {
            return self.stop(i, beep, slots);
        }
        self.change(i, beep, after, &remaining, slots);
    }

    /// A party's SDP changed (re-INVITE): its mixer inputs (and, if its format is
    /// gone, its output) follow the new formats.
    pub(crate) fn refresh(&mut self, idx: SlotIndex, slots: &mut [Option<StreamSlot>]) {
        let Some(tap) = slot_mut(slots, idx).and_then(|s| s.tap) else {
            return;
        };
        let i = tap.group as usize;
        let Some(Some(g)) = self.groups.get(i) else {
            return;
        };
        if g.ending {
            return; // dismantled in a moment anyway
        }
        let supervisors = g.supervisor_slots(None);
        let (beep, after) = (g.agent_beep, g.after_takeover);
        self.change(i, beep, after, &supervisors, slots);
    }

    /// Dismantles and drops group `i` (no allocation: also run at a tick).
    fn remove(&mut self, i: usize, slots: &mut [Option<StreamSlot>]) {
        let Some(mut g) = self.groups.get_mut(i).and_then(Option::take) else {
            return;
        };
        g.dismantle(slots);
        self.by_call.remove(&g.call);
    }
}

/// The supervisors' slots (a stream released meanwhile is left out).
fn resolve_supervisors(
    media: &MonitoredMedia,
    by_id: &HashMap<StreamId, SlotIndex>,
) -> Vec<SupervisorSlot> {
    media
        .supervisors
        .iter()
        .filter_map(|s| match by_id.get(&s.stream) {
            Some(&slot) => Some(SupervisorSlot {
                slot,
                stream: s.stream,
                mode: s.mode,
            }),
            None => {
                tracing::warn!(call = %media.call, stream = %s.stream, "monitoring: supervisor stream gone");
                None
            }
        })
        .collect()
}
