//! The supervisors' notices: a short sound mixed into what one supervisor hears and
//! never into what the customer or the agent hear. One today, `Refused`: the error
//! tone of a mode switch the supervisor's role lacks (the session stays in its mode).
//!
//! The sound: three 100 ms bursts of 620 Hz, 100 ms apart, at about -15 dBFS with
//! 5 ms raised-cosine edges, then 60 ms of silence (560 ms in all). A low, dull tone
//! like the "reorder" family of error signals; below the DTMF grid (697 Hz is its
//! lowest tone); and far, for a Goertzel detector, from the agent's 1400 Hz beep and
//! from the 500/1000/1100/1700/1800/2400 Hz tones the tests give the parties (the
//! nearest, 500 Hz, is 120 Hz away; no harmonic of 620 Hz lands near any of them).
//!
//! Played like the agent's beep: a `BeepTrack` encoded at control time, one packet per
//! tick into a mixer input of its own (created at the group's first notice and kept).
//! That input is in the hear sets of exactly the supervisors the notice plays to
//! (`MonitorGroup::noticed`), only while it plays. A supervisor's output exists in
//! every mode, so its stream simply carries the tone in its mix: same SSRC, no gap.
//! A notice while one plays restarts the track (one input, one track), so the new
//! supervisor hears the whole tone; the one already hearing it hears it from the top.
//!
//! Control time (`play_notice`) may allocate; the tick side (`end_notice`) does not.

use sbc_core::media::SupervisorNotice;

use super::beep::{BeepSound, BeepTrack};
use super::group::{GroupError, MonitorGroup, AGENT};
use super::{slot_mut, MonitorGroups};
use crate::mixer::{InputId, MixerError};
use crate::sink::SlotIndex;
use crate::slot::StreamSlot;

/// Frequency of the refusal tone.
pub(crate) const REFUSED_HZ: f64 = 620.0;

/// The refusal tone: 100 ms on, 100 off, 100 on, 100 off, 100 on, 60 off.
pub(crate) const REFUSED_TONE: BeepSound = BeepSound {
    hz: REFUSED_HZ,
    amplitude: 6000.0,
    pattern: &[
        true, true, true, true, true, false, false, false, false, false, true, true, true, true,
        true, false, false, false, false, false, true, true, true, true, true, false, false, false,
    ],
    ssrc: 0xE220_0001,
};

fn sound(notice: SupervisorNotice) -> &'static BeepSound {
    match notice {
        SupervisorNotice::Refused => &REFUSED_TONE,
    }
}

/// Party `i`'s bit in `MonitorGroup::noticed` (none past the eighth party).
pub(super) fn bit(i: usize) -> u8 {
    u32::try_from(i)
        .ok()
        .and_then(|i| 1u8.checked_shl(i))
        .unwrap_or(0)
}

impl MonitorGroups {
    /// Plays `notice` to the supervisor on slot `idx` (control command). A stream that
    /// is not a supervisor of a monitored call is refused by the engine beforehand; one
    /// that stopped being one since is logged and left alone.
    pub(crate) fn play_notice(
        &mut self,
        idx: SlotIndex,
        notice: SupervisorNotice,
        slots: &mut [Option<StreamSlot>],
    ) {
        let tap = slot_mut(slots, idx).and_then(|s| s.tap);
        let Some(tap) = tap.filter(|t| usize::from(t.party) > AGENT) else {
            tracing::warn!(
                ?notice,
                "notice for a stream that is no monitoring supervisor"
            );
            return;
        };
        let Some(Some(g)) = self.groups.get_mut(tap.group as usize) else {
            return;
        };
        if g.ending {
            return; // no supervisor left to hear it
        }
        if let Err(e) = g.play_notice(usize::from(tap.party), notice, slots) {
            tracing::warn!(call = %g.call, error = %e, "supervisor notice not played");
        }
    }
}

impl MonitorGroup {
    /// Plays `notice` to supervisor party `i`, added to its mix (control time).
    pub(crate) fn play_notice(
        &mut self,
        i: usize,
        notice: SupervisorNotice,
        slots: &mut [Option<StreamSlot>],
    ) -> Result<(), GroupError> {
        let present = self.parties.get(i).is_some_and(Option::is_some);
        if i <= AGENT || !present {
            return Ok(());
        }
        let (track, _) = match &mut self.notice {
            Some(n) => n,
            None => {
                let track = BeepTrack::new(sound(notice)).map_err(MixerError::from)?;
                let input = self.mixer.add_input(BeepTrack::input_config())?;
                self.notice.insert((track, input))
            }
        };
        track.start();
        self.noticed |= bit(i);
        self.apply_route(i, slots)
    }

    /// The notice input, while it plays to party `i`.
    pub(super) fn notice_for(&self, i: usize) -> Option<InputId> {
        if self.noticed & bit(i) == 0 {
            return None;
        }
        self.notice
            .as_ref()
            .filter(|(track, _)| track.is_running())
            .map(|(_, id)| *id)
    }

    /// The notice ended (at a tick): its supervisors hear their steady mix again.
    /// Allocation-free.
    pub(super) fn end_notice(&mut self) {
        let MonitorGroup {
            parties,
            mixer,
            noticed,
            ..
        } = self;
        for (i, p) in parties.iter().enumerate() {
            let Some(p) = p.as_ref().filter(|_| *noticed & bit(i) != 0) else {
                continue;
            };
            if let Some(out) = p.output {
                let _ = mixer.set_hears(out, &p.steady_hears);
            }
        }
        *noticed = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::goertzel::tone_amplitude;
    use crate::monitor::beep::tests::{per_frame, play};
    use crate::monitor::beep::{AGENT_BEEP, BEEP_HZ, FRAME_SAMPLES};

    #[test]
    fn three_low_bursts_then_silence() {
        let (pcm, ssrc) = play(&REFUSED_TONE);
        let heard = per_frame(&pcm, REFUSED_HZ);
        assert_eq!(heard.len() * 20, 560, "560 ms in all");
        for (i, a) in heard.iter().enumerate() {
            let on = REFUSED_TONE.pattern[i];
            assert!(if on { *a > 3000.0 } else { *a < 10.0 }, "frame {i}: {a}");
        }
        let p = REFUSED_TONE.pattern;
        let bursts = p.windows(2).filter(|w| !w[0] && w[1]).count() + usize::from(p[0]);
        assert_eq!(bursts, 3);
        assert!(
            p.split(|on| !on)
                .filter(|b| !b.is_empty())
                .all(|b| b.len() == 5),
            "100 ms bursts"
        );
        assert!(!p[p.len() - 1], "ends in silence");
        assert_eq!(ssrc, REFUSED_TONE.ssrc);
        assert_ne!(ssrc, AGENT_BEEP.ssrc);
    }

    #[test]
    fn distinct_from_the_beep_and_the_test_tones() {
        // Over a whole burst (100 ms: 10 Hz bins), a detector tuned to any of the
        // other tones sees next to nothing of it, and one tuned to 620 Hz next to
        // nothing of the beep.
        let burst = |pcm: &[i16]| pcm[..5 * FRAME_SAMPLES].to_vec();
        let tone = burst(&play(&REFUSED_TONE).0);
        let peak = tone_amplitude(&tone, REFUSED_HZ, 8000);
        assert!(peak > 5000.0, "{peak}");
        for hz in [500.0, 1000.0, 1100.0, BEEP_HZ, 1700.0, 1800.0, 2400.0] {
            let leak = tone_amplitude(&tone, hz, 8000);
            assert!(leak < peak * 0.05, "{hz} Hz: {leak} vs {peak}");
        }
        let beep = burst(&play(&AGENT_BEEP).0);
        let leak = tone_amplitude(&beep, REFUSED_HZ, 8000);
        assert!(leak < peak * 0.05, "beep at {REFUSED_HZ} Hz: {leak}");
    }

    #[test]
    fn party_bits() {
        assert_eq!(bit(0), 1);
        assert_eq!(bit(6), 64);
        assert_eq!(bit(8), 0);
        assert_eq!(bit(usize::MAX), 0);
    }
}
