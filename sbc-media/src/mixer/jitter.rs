//! Per-input adaptive jitter buffer: reorders packets by sequence number, decides
//! when a missing packet is lost (conceal and move on) or just late (stretch and
//! wait), and adapts its target depth between the configured bounds.
//!
//! Depth is counted in the input's frames (its negotiated ptime) from the play cursor
//! to the newest packet held, gaps included. Policy, once per pull:
//! - before playing, wait until the depth reaches the target (silence meanwhile);
//! - the packet at the cursor is here: play it;
//! - it is missing but newer packets give at least the target depth: it is lost
//!   (the caller conceals, with the next packet for Opus FEC) and the cursor moves;
//! - nothing to play: underrun; the caller conceals without moving the cursor, so
//!   the late packet still plays when it comes (the delay grows by a frame), and the
//!   target grows. After `IDLE_PULLS` underruns in a row the source is taken as
//!   paused (hold, DTX): silence, and a fresh start when packets return (also after
//!   a sequence gap: a packet a ring or more ahead of a paused cursor restarts).
//!
//! A packet behind the cursor is late: dropped, counted, and the target grows.
//! Every `WINDOW_TICKS` the buffer looks back: after `CALM_WINDOWS` calm windows the
//! target shrinks a frame, and a window whose minimum depth stayed a frame above the
//! target skips one frame, so latency a burst added is given back.
//!
//! Storage is a fixed ring of `SLOTS` payload buffers built in `new`; nothing here
//! allocates afterwards.

use super::MixerError;

/// Packets held at most (16 × 20 ms = 320 ms, far beyond the 60 ms ceiling).
pub(crate) const SLOTS: usize = 16;
/// Largest payload a slot holds: a full Ethernet MTU, above any audio frame here.
pub(crate) const MAX_SLOT_PAYLOAD: usize = 1500;
/// A sequence jump at least this large is a restarted source (RFC 3550 A.1 dropout).
const RESTART_JUMP: u32 = 3000;
/// Ticks per adaptation window (1 s).
const WINDOW_TICKS: u32 = 50;
/// Calm windows in a row before the target shrinks by a frame.
const CALM_WINDOWS: u32 = 3;
/// Consecutive underrun pulls after which the source counts as paused.
const IDLE_PULLS: u32 = 10;

struct Slot {
    seq: u16,
    len: u16,
    full: bool,
    data: [u8; MAX_SLOT_PAYLOAD],
}

/// What `insert` did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Held for playout.
    Buffered,
    /// Arrived after its turn: dropped.
    Late,
    /// A copy of a packet already held: dropped.
    Duplicate,
    /// Far ahead or behind: the source restarted; the buffer started over from it.
    Restarted,
}

/// What the next frame of playout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pull {
    /// Decode the payload in this slot.
    Packet(usize),
    /// The packet at the cursor is lost; `next` (a slot) is the following packet if
    /// held, for in-band FEC.
    Lost { next: Option<usize> },
    /// Nothing to play yet: conceal without consuming anything.
    Underrun,
    /// Not playing (not started or paused): silence.
    Silent,
}

/// Counters a jitter buffer keeps (the input adds its own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct JitterCounters {
    pub late: u64,
    pub lost: u64,
    pub duplicates: u64,
    pub underruns: u64,
    pub skipped: u64,
    pub restarts: u64,
}

pub(crate) struct JitterBuffer {
    slots: Box<[Slot]>,
    /// Next sequence number to play; meaningful once `primed`.
    cursor: u16,
    /// Newest sequence number held or played.
    highest: u16,
    /// A first packet has set the cursor.
    primed: bool,
    playing: bool,
    frame_ms: u32,
    min_ms: u32,
    max_ms: u32,
    target_ms: u32,
    window_ticks: u32,
    window_min_ms: u32,
    window_trouble: bool,
    calm_windows: u32,
    underrun_run: u32,
    grew_this_tick: bool,
    counters: JitterCounters,
}

/// Signed distance `a - b` in sequence space.
fn seq_diff(a: u16, b: u16) -> i32 {
    i32::from(a.wrapping_sub(b) as i16)
}

/// `ms` rounded up to whole frames, at least one.
fn round_to_frames(ms: u32, frame_ms: u32) -> u32 {
    ms.div_ceil(frame_ms).max(1) * frame_ms
}

impl JitterBuffer {
    /// Bounds in ms, already validated (`0 < min <= initial <= max`); all are
    /// rounded up to whole frames of `frame_ms`.
    pub(crate) fn new(frame_ms: u32, min_ms: u32, initial_ms: u32, max_ms: u32) -> Self {
        let frame_ms = frame_ms.max(1);
        let min_ms = round_to_frames(min_ms, frame_ms);
        let max_ms = round_to_frames(max_ms, frame_ms).max(min_ms);
        let target_ms = round_to_frames(initial_ms, frame_ms).clamp(min_ms, max_ms);
        let slots = (0..SLOTS)
            .map(|_| Slot {
                seq: 0,
                len: 0,
                full: false,
                data: [0; MAX_SLOT_PAYLOAD],
            })
            .collect();
        JitterBuffer {
            slots,
            cursor: 0,
            highest: 0,
            primed: false,
            playing: false,
            frame_ms,
            min_ms,
            max_ms,
            target_ms,
            window_ticks: 0,
            window_min_ms: u32::MAX,
            window_trouble: false,
            calm_windows: 0,
            underrun_run: 0,
            grew_this_tick: false,
            counters: JitterCounters::default(),
        }
    }

    pub(crate) fn counters(&self) -> &JitterCounters {
        &self.counters
    }

    pub(crate) fn target_ms(&self) -> u32 {
        self.target_ms
    }

    /// Media held from the cursor to the newest packet, gaps included.
    pub(crate) fn depth_ms(&self) -> u32 {
        if !self.primed {
            return 0;
        }
        let frames = seq_diff(self.highest, self.cursor) + 1;
        frames.max(0) as u32 * self.frame_ms
    }

    /// The payload in `slot` (as returned by `pull`).
    pub(crate) fn payload(&self, slot: usize) -> &[u8] {
        self.slots
            .get(slot)
            .and_then(|s| s.data.get(..usize::from(s.len)))
            .unwrap_or(&[])
    }

    /// Forget everything held (a new source behind the input); targets are kept.
    pub(crate) fn clear(&mut self) {
        for s in self.slots.iter_mut() {
            s.full = false;
        }
        self.primed = false;
        self.playing = false;
        self.underrun_run = 0;
    }

    /// Hold one packet's payload for playout.
    pub(crate) fn insert(&mut self, seq: u16, payload: &[u8]) -> Result<PushOutcome, MixerError> {
        if payload.len() > MAX_SLOT_PAYLOAD {
            return Err(MixerError::PayloadTooLarge {
                len: payload.len(),
                max: MAX_SLOT_PAYLOAD,
            });
        }
        let mut outcome = PushOutcome::Buffered;
        if !self.primed {
            self.start_at(seq);
        }
        let d = seq_diff(seq, self.cursor);
        // Not playing (still buffering, or paused) and a ring or more ahead: nothing
        // held is worth waiting for, so start over from this packet instead of
        // concealing the whole gap frame by frame (a paused input whose packets
        // were not handed over, e.g. a supervisor the mixer started to hear).
        let resume = !self.playing && d >= SLOTS as i32;
        if d.unsigned_abs() >= RESTART_JUMP || resume {
            self.counters.restarts += 1;
            self.clear();
            self.start_at(seq);
            outcome = PushOutcome::Restarted;
        } else if d < 0 {
            // Before playout starts an earlier packet may still move the start back,
            // as long as the ring spans it and the newest.
            if self.playing || seq_diff(self.highest, seq) >= SLOTS as i32 {
                self.counters.late += 1;
                self.trouble();
                return Ok(PushOutcome::Late);
            }
            self.cursor = seq;
        } else if d >= SLOTS as i32 {
            // A burst beyond the ring: give up the oldest frames, as if played.
            let keep_from = seq.wrapping_sub(SLOTS as u16 - 1);
            while seq_diff(keep_from, self.cursor) > 0 {
                self.discard_cursor();
            }
        }
        let Some(slot) = self.slots.get_mut(usize::from(seq) % SLOTS) else {
            return Ok(PushOutcome::Late);
        };
        if slot.full && slot.seq == seq {
            self.counters.duplicates += 1;
            return Ok(PushOutcome::Duplicate);
        }
        if let Some(dst) = slot.data.get_mut(..payload.len()) {
            dst.copy_from_slice(payload);
        }
        slot.seq = seq;
        slot.len = payload.len() as u16;
        slot.full = true;
        if seq_diff(seq, self.highest) > 0 {
            self.highest = seq;
        }
        Ok(outcome)
    }

    fn start_at(&mut self, seq: u16) {
        self.primed = true;
        self.cursor = seq;
        self.highest = seq;
    }

    /// Drop whatever is at the cursor and move past it (skip or overflow).
    fn discard_cursor(&mut self) {
        if let Some(s) = self.slots.get_mut(usize::from(self.cursor) % SLOTS) {
            if s.full && s.seq == self.cursor {
                self.counters.skipped += 1;
            }
            s.full = false;
        }
        self.cursor = self.cursor.wrapping_add(1);
    }

    /// The slot holding `seq`, if it is held.
    fn held(&self, seq: u16) -> Option<usize> {
        let i = usize::from(seq) % SLOTS;
        self.slots
            .get(i)
            .filter(|s| s.full && s.seq == seq)
            .map(|_| i)
    }

    /// Late packet or underrun: grow the target (once per tick) and mark the window.
    fn trouble(&mut self) {
        self.window_trouble = true;
        self.calm_windows = 0;
        if !self.grew_this_tick && self.target_ms < self.max_ms {
            self.target_ms = (self.target_ms + self.frame_ms).min(self.max_ms);
            self.grew_this_tick = true;
        }
    }

    /// The next frame's worth of playout (see the module docs for the policy).
    pub(crate) fn pull(&mut self) -> Pull {
        if !self.primed {
            return Pull::Silent;
        }
        let depth = self.depth_ms();
        if !self.playing {
            if depth == 0 || depth < self.target_ms {
                return Pull::Silent;
            }
            self.playing = true;
        }
        if let Some(slot) = self.held(self.cursor) {
            if let Some(s) = self.slots.get_mut(slot) {
                s.full = false;
            }
            self.cursor = self.cursor.wrapping_add(1);
            self.underrun_run = 0;
            return Pull::Packet(slot);
        }
        if depth > self.frame_ms && depth >= self.target_ms {
            self.counters.lost += 1;
            self.cursor = self.cursor.wrapping_add(1);
            self.underrun_run = 0;
            return Pull::Lost {
                next: self.held(self.cursor),
            };
        }
        self.counters.underruns += 1;
        self.underrun_run += 1;
        if self.underrun_run > IDLE_PULLS {
            self.playing = false;
            self.underrun_run = 0;
            return Pull::Silent;
        }
        if self.underrun_run == 1 {
            self.trouble();
        }
        Pull::Underrun
    }

    /// Once per mixer tick, before the pulls: the adaptation bookkeeping.
    pub(crate) fn on_tick(&mut self) {
        self.grew_this_tick = false;
        if !self.playing {
            return;
        }
        self.window_min_ms = self.window_min_ms.min(self.depth_ms());
        self.window_ticks += 1;
        if self.window_ticks < WINDOW_TICKS {
            return;
        }
        if self.window_trouble {
            self.calm_windows = 0;
        } else {
            self.calm_windows += 1;
            if self.calm_windows >= CALM_WINDOWS && self.target_ms > self.min_ms {
                self.target_ms -= self.frame_ms;
                self.calm_windows = 0;
            }
            if self.window_min_ms >= self.target_ms + self.frame_ms {
                self.discard_cursor();
            }
        }
        self.window_ticks = 0;
        self.window_min_ms = u32::MAX;
        self.window_trouble = false;
    }
}

#[cfg(test)]
#[path = "jitter_tests.rs"]
mod tests;
