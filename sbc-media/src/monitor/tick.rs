//! The packet-time side of a monitor group: a tapped packet goes into its party's
//! mixer input, and each 20 ms tick sends the mixer's packets to the legs it feeds.
//!
//! A mixer packet leaves like a relayed one: through the target stream's RTP socket
//! to its peer, after the target's egress rewriting (the splice that keeps the leg
//! one continuous RTP stream) and sealed with the target's outbound SRTP context.
//! The agent's beep and the supervisors' notice are stepped here, one packet a tick.
//! Nothing here allocates; ending a beep run (and with it, maybe, the group) only
//! frees.

use std::time::Instant;

use super::beep::{BeepStep, BeepTrack, BEEP_PACKET_LEN};
use super::group::{MonitorGroup, Route, AGENT};
use super::slot_mut;
use crate::egress::{SentMark, MIXER_SOURCE};
use crate::mixer::{InputId, Mixer};
use crate::packet::PacketKind;
use crate::slot::StreamSlot;
use crate::stats::{Counters, DropReason};

/// Ticks run in one go at most when the worker woke late (the mixer itself resets
/// its schedule beyond five ticks of lag).
const MAX_CATCH_UP: usize = 8;

/// What a tick left of the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TickOutcome {
    Running,
    /// The closing beep is over: the group must be dismantled.
    Over,
}

/// The worker's pieces a tick sends with.
pub(crate) struct TickIo<'a> {
    pub worker: &'a Counters,
    /// Room for one mixer packet plus its SRTP trailer.
    pub scratch: &'a mut [u8],
}

impl MonitorGroup {
    /// Lends one plain RTP packet of party `party` to the mixer input of its payload
    /// type, if someone hears the party (other payload types, RFC 4733 events and
    /// comfort noise, are not mixed).
    #[inline]
    pub(crate) fn push(&mut self, party: u8, pkt: &[u8], now: Instant) {
        let Some(Some(p)) = self.parties.get(usize::from(party)) else {
            return;
        };
        if !p.heard {
            return;
        }
        let Some(&b1) = pkt.get(1) else {
            return;
        };
        let pt = b1 & 0x7f;
        if let Some((_, input)) = p.inputs.iter().find(|(t, _)| *t == pt) {
            // A refused packet is counted in the input's stats.
            let _ = self.mixer.push(*input, pkt, now);
        }
    }

    /// Runs every tick due at `now` and sends what it produced.
    pub(crate) fn tick(
        &mut self,
        now: Instant,
        slots: &mut [Option<StreamSlot>],
        io: &mut TickIo<'_>,
    ) -> TickOutcome {
        let mut beep_over = false;
        let mut beep_pkt = [0u8; BEEP_PACKET_LEN];
        for _ in 0..MAX_CATCH_UP {
            if self.mixer.poll_timeout().is_none_or(|t| t > now) {
                break;
            }
            if let Some((track, input)) = &mut self.beep {
                beep_over |= step_track(&mut self.mixer, track, *input, &mut beep_pkt, now);
            }
            if let Some((track, input)) = &mut self.notice {
                if step_track(&mut self.mixer, track, *input, &mut beep_pkt, now) {
                    self.end_notice();
                }
            }
            let MonitorGroup { mixer, parties, .. } = self;
            for (output, pkt) in mixer.tick(now) {
                let target = parties
                    .iter()
                    .flatten()
                    .find(|p| p.output == Some(output))
                    .and_then(|p| slot_mut(slots, p.slot));
                if let Some(target) = target {
                    send_mixed(target, pkt, now, io);
                }
            }
        }
        if beep_over {
            return self.end_beep(slots);
        }
        TickOutcome::Running
    }

    /// A beep run ended: the agent goes back to its steady route (or, if monitoring
    /// is over, the whole group goes).
    fn end_beep(&mut self, slots: &mut [Option<StreamSlot>]) -> TickOutcome {
        if self.ending {
            return TickOutcome::Over;
        }
        let MonitorGroup { parties, mixer, .. } = self;
        let Some(Some(agent)) = parties.get_mut(AGENT) else {
            return TickOutcome::Running;
        };
        match (agent.steady_route, agent.output) {
            (Route::Mixer, Some(out)) => {
                let _ = mixer.set_hears(out, &agent.steady_hears);
            }
            (_, out) => {
                if let Some(out) = out {
                    let _ = mixer.remove_output(out);
                }
                agent.output = None;
            }
        }
        agent.route = agent.steady_route;
        self.update_heard();
        self.sync_relay(slots);
        TickOutcome::Running
    }
}

/// Sends one mixer packet to `target`'s peer: egress splice, SRTP, one `sendto`.
fn send_mixed(target: &mut StreamSlot, pkt: &[u8], now: Instant, io: &mut TickIo<'_>) {
    let Some(dest) = target.egress(PacketKind::Rtp).1 else {
        drop_packet(target, io.worker, DropReason::NoDestination);
        return;
    };
    let len = pkt.len();
    let Some(buf) = io.scratch.get_mut(..len) else {
        drop_packet(target, io.worker, DropReason::Oversize);
        return;
    };
    buf.copy_from_slice(pkt);
    if let Some(egress) = target.egress.as_mut() {
        egress.apply(MIXER_SOURCE, buf, now);
    }
    target.last_sent = SentMark::of(buf, now);
    let len = match target.security.seal(PacketKind::Rtp, io.scratch, len) {
        Ok(n) => n,
        Err(reason) => return drop_packet(target, io.worker, reason),
    };
    let wire = io.scratch.get(..len).unwrap_or(&[]);
    match target.rtp.send_to(wire, dest) {
        Ok(n) => {
            target.counters.on_tx_batch(1, n);
            io.worker.on_tx_batch(1, n);
        }
        Err(_) => drop_packet(target, io.worker, DropReason::SendFailed),
    }
}

fn drop_packet(target: &StreamSlot, worker: &Counters, reason: DropReason) {
    target.counters.on_drop(reason);
    worker.on_drop(reason);
}

/// One tick of a sound track (the agent's beep, a supervisor's notice): its next
/// packet into its mixer input. True once when the run is over.
fn step_track(
    mixer: &mut Mixer,
    track: &mut BeepTrack,
    input: InputId,
    pkt: &mut [u8; BEEP_PACKET_LEN],
    now: Instant,
) -> bool {
    match track.step(pkt) {
        BeepStep::Push(n) => {
            // A refused packet is counted in the input's stats.
            let _ = mixer.push(input, pkt.get(..n).unwrap_or(&[]), now);
            false
        }
        BeepStep::Finished => true,
        BeepStep::Idle | BeepStep::Wait => false,
    }
}
