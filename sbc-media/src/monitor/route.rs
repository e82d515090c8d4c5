//! Who hears whom in a monitor group, and how each party is fed (control time).
//!
//! `MixPlan::for_call` gives every party's hear set; a party then gets one of three
//! routes. Customer and agent hearing exactly each other are `Relay`: the other's
//! packets, relayed untouched (listen is a pure tap); hearing nobody is `Silent`
//! (the agent released by a take-over); anything else, and every supervisor, is
//! `Mixer`: an output of the mixer, whose RTP is spliced into the leg's stream by
//! the leg's egress rewriting. The relay between customer and agent carries RTP only
//! towards a `Relay` party (RTCP always). While the beep plays, the agent is fed by
//! the mixer with the beep added, unless it is `Silent`; while a supervisor's notice
//! plays, the supervisors it is for hear it added to their mix (`notice`).
//!
//! A party's packets are pushed into the mixer only while some output hears it.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Instant;

use sbc_core::media::AudioFormat;

use super::formats::{codec_config, codec_kind};
use super::group::{GroupError, MonitorGroup, Party, Route, AGENT, CUSTOMER, MAX_PARTIES};
use super::slot_mut;
use crate::egress::{Egress, EgressRewrite};
use crate::mixer::{InputId, MixPlan, OutputConfig, OutputId, Participant, Supervisor};
use crate::rtp::Ssrc;
use crate::slot::StreamSlot;

/// Generation of the stand-in outputs a plan is computed with (real outputs exist
/// only for parties the mixer feeds, so the plan cannot name them all).
const PLAN_GENERATION: u32 = u32::MAX;

fn stand_in(party: usize) -> OutputId {
    OutputId::new(party, PLAN_GENERATION)
}

/// `Relay` if `hears` is exactly the other party, `Silent` if nobody, else `Mixer`.
fn leg_route(hears: &[InputId], other: InputId) -> Route {
    match hears {
        [] => Route::Silent,
        [only] if *only == other => Route::Relay,
        _ => Route::Mixer,
    }
}

impl MonitorGroup {
    /// Recomputes every party's route and hear set and applies them: outputs
    /// created or removed, hear sets set, the relay between the legs muted or not.
    pub(crate) fn replan(&mut self, slots: &mut [Option<StreamSlot>]) -> Result<(), GroupError> {
        self.plan_steady()?;
        for i in 0..MAX_PARTIES {
            self.apply_route(i, slots)?;
        }
        self.update_heard();
        self.sync_relay(slots);
        Ok(())
    }

    fn participant(&self, i: usize) -> Option<Participant> {
        let p = self.parties.get(i)?.as_ref()?;
        Some(Participant {
            input: p.primary()?,
            output: stand_in(i),
        })
    }

    /// Each party's steady route and hear set (all of a heard party's inputs).
    fn plan_steady(&mut self) -> Result<(), GroupError> {
        let (Some(c), Some(a)) = (self.participant(CUSTOMER), self.participant(AGENT)) else {
            return Err(GroupError::Incomplete);
        };
        let supervisors: Vec<Supervisor> = (AGENT + 1..MAX_PARTIES)
            .filter_map(|i| {
                let mode = self.parties.get(i)?.as_ref()?.mode?;
                Some(Supervisor {
                    party: self.participant(i)?,
                    mode,
                })
            })
            .collect();
        let plan = MixPlan::for_call(c, a, &supervisors, self.after_takeover);
        for i in 0..MAX_PARTIES {
            let hears = plan.hears(stand_in(i));
            let route = match i {
                CUSTOMER => leg_route(hears, a.input),
                AGENT => leg_route(hears, c.input),
                _ => Route::Mixer,
            };
            let expanded = self.expand(hears);
            if let Some(Some(p)) = self.parties.get_mut(i) {
                p.steady_route = route;
                p.steady_hears = expanded;
            }
        }
        Ok(())
    }

    /// Every input of every party whose primary input is in `primaries`.
    fn expand(&self, primaries: &[InputId]) -> Vec<InputId> {
        let mut out = Vec::new();
        for p in self.parties.iter().flatten() {
            if p.primary().is_some_and(|x| primaries.contains(&x)) {
                out.extend(p.inputs.iter().map(|(_, id)| *id));
            }
        }
        out
    }

    /// The beep input, while a run is playing.
    fn beeping(&self) -> Option<InputId> {
        self.beep
            .as_ref()
            .filter(|(track, _)| track.is_running())
            .map(|(_, id)| *id)
    }

    /// Feeds party `i` as its route says (the beep included, for the agent; the
    /// notice, for a supervisor it plays to).
    pub(super) fn apply_route(
        &mut self,
        i: usize,
        slots: &mut [Option<StreamSlot>],
    ) -> Result<(), GroupError> {
        let beep = self.beeping();
        let notice = self.notice_for(i);
        let MonitorGroup { parties, mixer, .. } = self;
        let Some(Some(p)) = parties.get_mut(i) else {
            return Ok(());
        };
        let beep = beep.filter(|_| i == AGENT && p.steady_route != Route::Silent);
        let route = if beep.is_some() {
            Route::Mixer
        } else {
            p.steady_route
        };
        if route != Route::Mixer {
            if let Some(out) = p.output.take() {
                let _ = mixer.remove_output(out);
            }
            p.route = route;
            return Ok(());
        }
        let output = match p.output {
            Some(out) => out,
            None => {
                let (codec, payload_type) = codec_config(p.out_format);
                let r = random();
                let out = mixer.add_output(OutputConfig {
                    codec,
                    payload_type,
                    ssrc: Ssrc(r as u32),
                    first_seq: (r >> 32) as u16,
                    first_timestamp: (r >> 16) as u32,
                    own_input: p.primary(),
                })?;
                p.output = Some(out);
                out
            }
        };
        let mut hears = p.steady_hears.clone();
        hears.extend(beep);
        hears.extend(notice);
        mixer.set_hears(output, &hears)?;
        p.route = Route::Mixer;
        if let Some(slot) = slot_mut(slots, p.slot) {
            ensure_egress(slot, p.out_format);
        }
        Ok(())
    }

    /// Marks the parties some mixer-fed party hears (their packets are pushed).
    /// Allocation-free: also run at a tick, when a beep run ends.
    pub(crate) fn update_heard(&mut self) {
        for j in 0..MAX_PARTIES {
            let heard = match self.parties.get(j).and_then(Option::as_ref) {
                Some(pj) => self.parties.iter().flatten().any(|pi| {
                    pi.route == Route::Mixer && pi.steady_hears.iter().any(|x| pj.owns(*x))
                }),
                None => continue,
            };
            if let Some(Some(pj)) = self.parties.get_mut(j) {
                pj.heard = heard;
            }
        }
    }

    /// Relays RTP between the legs only towards a `Relay` party. Allocation-free.
    pub(crate) fn sync_relay(&self, slots: &mut [Option<StreamSlot>]) {
        let party = |i: usize| self.parties.get(i).and_then(Option::as_ref);
        let (Some(c), Some(a)) = (party(CUSTOMER), party(AGENT)) else {
            return;
        };
        set_muted(slots, c, a.route != Route::Relay);
        set_muted(slots, a, c.route != Route::Relay);
    }
}

fn set_muted(slots: &mut [Option<StreamSlot>], from: &Party, muted: bool) {
    if let Some(slot) = slot_mut(slots, from.slot) {
        if slot.peer_rtp_muted != muted {
            slot.peer_rtp_muted = muted;
            slot.compile_sinks();
        }
    }
}

/// Turns on egress rewriting for a leg the mixer is about to feed, continuing the
/// stream its peer has been receiving (same SSRC, next sequence number). A leg that
/// was never sent anything gets a fresh random SSRC. Already on: only the clock of
/// the format now sent is updated.
fn ensure_egress(slot: &mut StreamSlot, format: AudioFormat) {
    let clock_rate = codec_kind(format.encoding).rtp_clock_rate();
    if let Some(egress) = &mut slot.egress {
        egress.set_clock_rate(clock_rate);
        return;
    }
    slot.egress = Some(match slot.last_sent {
        Some(mark) => Egress::continuing(
            EgressRewrite {
                clock_rate,
                ..EgressRewrite::with_ssrc(mark.ssrc)
            },
            mark,
        ),
        None => Egress::new(EgressRewrite {
            clock_rate,
            ..EgressRewrite::with_ssrc(random() as u32)
        }),
    });
}

/// 64 random bits for RTP identities (RFC 3550 §5.1 wants them unpredictable; the
/// std hasher's per-instance random keys are enough, no extra dependency).
fn random() -> u64 {
    RandomState::new().hash_one(Instant::now())
}
