//! What the test phone sends in each 20 ms slot, without IO: a frame of a
//! pure tone (or of silence) in the current codec, or a packet of a queued
//! RFC 4733 digit, or nothing. The RTP timestamp is tied to the slot
//! number, so it follows the monotonic schedule the phone's thread keeps
//! even when the thread falls behind and slots are skipped.

use std::collections::VecDeque;
use std::f64::consts::PI;
use std::time::Duration;

use super::phone_codec::{Coder, PhoneCodec};
use super::rtp_packet::{RtpHeader, TelephoneEvent};
use super::UaError;

/// The phone's frame length.
pub const FRAME: Duration = Duration::from_millis(20);

/// RFC 4733 §2.3.4 volume of our digits: -10 dBm0.
const DTMF_VOLUME: u8 = 10;

/// End packets beyond the first (RFC 4733 §2.5.1.4: the end is sent 3 times).
const END_REPEATS: u32 = 2;

/// What the phone sends in each slot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SendMode {
    /// A sine at this frequency.
    Tone(f64),
    /// Frames of digital silence (the stream goes on).
    Silence,
    /// Nothing (except queued digits).
    Stop,
}

/// A digit being sent: its code, start timestamp and length in frames.
#[derive(Debug, Clone, Copy)]
struct EventRun {
    event: u8,
    ts: u32,
    frames: u32,
    sent: u32,
}

/// The sending state of one RTP stream.
#[derive(Debug)]
pub struct Sender {
    coder: Coder,
    ssrc: u32,
    seq: u16,
    ts_base: u32,
    slot: u64,
    mode: SendMode,
    amplitude: i16,
    dtmf_pt: u8,
    digits: VecDeque<(u8, u32)>,
    event: Option<EventRun>,
    /// Set the marker on the next audio packet (first of a talkspurt).
    marker: bool,
    pcm: Vec<i16>,
    payload: Vec<u8>,
}

impl Sender {
    pub fn new(
        codec: PhoneCodec,
        ssrc: u32,
        first_seq: u16,
        ts_base: u32,
        amplitude: i16,
        dtmf_pt: u8,
    ) -> Result<Sender, UaError> {
        Ok(Sender {
            coder: Coder::new(codec)?,
            ssrc,
            seq: first_seq,
            ts_base,
            slot: 0,
            mode: SendMode::Stop,
            amplitude,
            dtmf_pt,
            digits: VecDeque::new(),
            event: None,
            marker: true,
            pcm: Vec::with_capacity(960),
            payload: Vec::with_capacity(1500),
        })
    }

    pub fn codec(&self) -> PhoneCodec {
        self.coder.codec()
    }

    /// Switches codec; the timestamp of the current slot is kept so the
    /// stream stays continuous (only its rate of advance changes).
    pub fn set_codec(&mut self, codec: PhoneCodec) -> Result<(), UaError> {
        let now = self.ts_at(self.slot);
        self.coder = Coder::new(codec)?;
        let elapsed = (self.slot as u32).wrapping_mul(codec.ticks_per_frame());
        self.ts_base = now.wrapping_sub(elapsed);
        Ok(())
    }

    pub fn set_mode(&mut self, mode: SendMode) {
        if self.mode == SendMode::Stop && mode != SendMode::Stop {
            self.marker = true;
        }
        self.mode = mode;
    }

    pub fn set_dtmf_pt(&mut self, pt: u8) {
        self.dtmf_pt = pt;
    }

    /// Queues a digit (event code) of `duration`, rounded up to whole frames.
    pub fn queue_digit(&mut self, event: u8, duration: Duration) {
        let frames = duration.as_millis().div_ceil(FRAME.as_millis()).max(1);
        self.digits
            .push_back((event, u32::try_from(frames).unwrap_or(u32::MAX)));
    }

    /// No digit queued or in progress.
    pub fn dtmf_idle(&self) -> bool {
        self.event.is_none() && self.digits.is_empty()
    }

    /// The slot the next packet belongs to.
    pub fn slot(&self) -> u64 {
        self.slot
    }

    /// Passes over `slots` without sending (the thread was late).
    pub fn skip(&mut self, slots: u64) {
        self.slot += slots;
    }

    /// The packet of the current slot into `out`, if the slot has one, and
    /// moves on to the next slot.
    pub fn next_packet(&mut self, out: &mut Vec<u8>) -> Result<Option<RtpHeader>, UaError> {
        let packet = match self.event_packet() {
            Some(header) => Some(header),
            None => self.audio_packet()?,
        };
        if let Some(header) = &packet {
            header.write(&self.payload, out);
            self.seq = self.seq.wrapping_add(1);
        }
        self.slot += 1;
        Ok(packet)
    }

    fn ts_at(&self, slot: u64) -> u32 {
        let ticks = self.coder.codec().ticks_per_frame();
        self.ts_base.wrapping_add((slot as u32).wrapping_mul(ticks))
    }

    /// RFC 4733 §2.5.1: the first packet has the marker, every packet the
    /// event's start timestamp and its duration so far; the last one the
    /// end bit, sent 3 times with the same duration.
    fn event_packet(&mut self) -> Option<RtpHeader> {
        if self.event.is_none() {
            let (event, frames) = self.digits.pop_front()?;
            self.event = Some(EventRun {
                event,
                ts: self.ts_at(self.slot),
                frames,
                sent: 0,
            });
        }
        let run = self.event.as_mut()?;
        let ticks = self.coder.codec().ticks_per_frame();
        let k = run.sent;
        let elapsed = (k + 1).min(run.frames).saturating_mul(ticks);
        let ev = TelephoneEvent {
            event: run.event,
            end: k + 1 >= run.frames,
            volume: DTMF_VOLUME,
            duration: u16::try_from(elapsed).unwrap_or(u16::MAX),
        };
        self.payload.clear();
        self.payload.extend_from_slice(&ev.to_bytes());
        let header = RtpHeader::new(self.dtmf_pt, self.seq, run.ts, self.ssrc, k == 0);
        run.sent += 1;
        if run.sent >= run.frames + END_REPEATS {
            self.event = None;
        }
        Some(header)
    }

    fn audio_packet(&mut self) -> Result<Option<RtpHeader>, UaError> {
        let codec = self.coder.codec();
        let n = codec.samples_per_frame();
        self.pcm.clear();
        match self.mode {
            SendMode::Stop => return Ok(None),
            SendMode::Silence => self.pcm.resize(n, 0),
            SendMode::Tone(freq) => {
                let step = 2.0 * PI * freq / f64::from(codec.sample_rate());
                let first = self.slot * n as u64;
                let amp = f64::from(self.amplitude);
                self.pcm.extend(
                    (first..first + n as u64).map(|i| (amp * (step * i as f64).sin()) as i16),
                );
            }
        }
        self.coder.encode(&self.pcm, &mut self.payload)?;
        let marker = std::mem::take(&mut self.marker);
        let ts = self.ts_at(self.slot);
        Ok(Some(RtpHeader::new(
            codec.pt(),
            self.seq,
            ts,
            self.ssrc,
            marker,
        )))
    }
}
