//! Who hears what: the decoded audio of received packets, split into one
//! stream per SSRC and sample rate (so two interleaved sources are never
//! spliced into one signal), analysed in 50 ms blocks with `tone.rs`'s
//! Goertzel detector.
//!
//! Two questions: `heard` ("is this one tone there, alone and intact?",
//! `tone::ToneReport`) and `listen` ("which of these tones are there, and
//! with what share of the energy?" — a mix of two equal tones gives each
//! about 0.5, which `heard`'s 90% criterion would call absent).

use std::fmt::Write as _;

use super::super::tone::{mean_energy, tone_ratio, Detector, ToneReport};
use super::rtp_log::{PacketRecord, PayloadKind};

/// Blocks quieter than this RMS are silence (about -40 dBFS), as in
/// `Detector::narrowband`.
const MIN_RMS: f64 = 300.0;

/// The audio of one source at one rate, in arrival order.
#[derive(Debug, Clone)]
pub struct Segment {
    pub ssrc: u32,
    pub pt: u8,
    pub sample_rate: u32,
    pub packets: usize,
    pub pcm: Vec<i16>,
}

impl Segment {
    fn detector(&self) -> Detector {
        Detector {
            sample_rate: self.sample_rate,
            // 50 ms: 20 Hz resolution at any rate.
            block: (self.sample_rate / 20).max(1) as usize,
            ..Detector::narrowband()
        }
    }
}

/// Splits the decoded audio of `records` by (SSRC, PT, rate).
pub fn segments<'a>(records: impl IntoIterator<Item = &'a PacketRecord>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for r in records {
        if r.kind != PayloadKind::Audio || r.pcm.is_empty() {
            continue;
        }
        let key = (r.header.ssrc, r.header.pt, r.sample_rate);
        match out
            .iter_mut()
            .find(|s| (s.ssrc, s.pt, s.sample_rate) == key)
        {
            Some(s) => {
                s.packets += 1;
                s.pcm.extend_from_slice(&r.pcm);
            }
            None => out.push(Segment {
                ssrc: key.0,
                pt: key.1,
                sample_rate: key.2,
                packets: 1,
                pcm: r.pcm.clone(),
            }),
        }
    }
    out
}

/// Whether `freq_hz` alone was heard: the blocks of every stream, merged.
pub fn heard<'a>(records: impl IntoIterator<Item = &'a PacketRecord>, freq_hz: f64) -> ToneReport {
    let mut total = ToneReport {
        freq_hz,
        blocks: 0,
        tone_blocks: 0,
        quiet_blocks: 0,
        min_ratio: 1.0,
        mean_ratio: 0.0,
    };
    for seg in segments(records) {
        merge(&mut total, &seg.detector().analyze(&seg.pcm, freq_hz));
    }
    total
}

/// Adds `b`'s blocks to `a` (means weighted by loud blocks).
fn merge(a: &mut ToneReport, b: &ToneReport) {
    let loud_a = (a.blocks - a.quiet_blocks) as f64;
    let loud_b = (b.blocks - b.quiet_blocks) as f64;
    if loud_a + loud_b > 0.0 {
        a.mean_ratio = (a.mean_ratio * loud_a + b.mean_ratio * loud_b) / (loud_a + loud_b);
    }
    if loud_b > 0.0 {
        a.min_ratio = a.min_ratio.min(b.min_ratio);
    }
    a.blocks += b.blocks;
    a.tone_blocks += b.tone_blocks;
    a.quiet_blocks += b.quiet_blocks;
}

/// One tone's share of a stream's energy over its loud blocks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneShare {
    pub freq_hz: f64,
    /// Mean share (0..1) over the loud blocks; 0 if none.
    pub mean: f64,
    /// Lowest share among the loud blocks; 0 if none.
    pub min: f64,
}

/// What one received stream carried.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamLevels {
    pub ssrc: u32,
    pub pt: u8,
    pub sample_rate: u32,
    pub packets: usize,
    /// Seconds of decoded audio.
    pub secs: f64,
    pub blocks: usize,
    /// Blocks above the silence floor.
    pub loud_blocks: usize,
    /// RMS over the whole stream.
    pub rms: f64,
    pub shares: Vec<ToneShare>,
}

/// A tone counts as heard with this share of the received energy (two voices mixed
/// each get about half)...
pub const HEARD_SHARE: f64 = 0.2;
/// ...and as absent below this share.
pub const ABSENT_SHARE: f64 = 0.02;

/// The tones present in a window, per received stream.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Listening {
    pub streams: Vec<StreamLevels>,
}

impl Listening {
    /// The largest mean share of `freq_hz` in any stream (0 if never heard).
    pub fn share(&self, freq_hz: f64) -> f64 {
        self.streams
            .iter()
            .flat_map(|s| s.shares.iter())
            .filter(|t| t.freq_hz == freq_hz)
            .map(|t| t.mean)
            .fold(0.0, f64::max)
    }

    /// Whether some stream carried `freq_hz` with at least `min_share` of
    /// its energy on average.
    pub fn hears(&self, freq_hz: f64, min_share: f64) -> bool {
        self.share(freq_hz) >= min_share
    }

    /// Asserts that each of `want` is heard (a share of at least [`HEARD_SHARE`]) and
    /// every other tone of `tones` is absent (at most [`ABSENT_SHARE`]); `who` names
    /// the listener in the failure message.
    pub fn assert_hears(&self, who: &str, tones: &[f64], want: &[f64]) {
        for &hz in tones {
            let share = self.share(hz);
            if want.contains(&hz) {
                assert!(
                    share >= HEARD_SHARE,
                    "{who} should hear {hz} Hz (share {share:.3})\n{}",
                    self.describe()
                );
            } else {
                assert!(
                    share <= ABSENT_SHARE,
                    "{who} must not hear {hz} Hz (share {share:.3})\n{}",
                    self.describe()
                );
            }
        }
    }

    /// Loud audio blocks over all streams (0: only silence or nothing).
    pub fn loud_blocks(&self) -> usize {
        self.streams.iter().map(|s| s.loud_blocks).sum()
    }

    /// One line per stream, for failure messages.
    pub fn describe(&self) -> String {
        if self.streams.is_empty() {
            return "no audio received".into();
        }
        let mut out = String::new();
        for s in &self.streams {
            let _ = write!(
                out,
                "ssrc {:08x} pt {} {} Hz: {} packets, {:.2} s, {}/{} loud blocks, rms {:.0};",
                s.ssrc, s.pt, s.sample_rate, s.packets, s.secs, s.loud_blocks, s.blocks, s.rms
            );
            for t in &s.shares {
                let _ = write!(out, " {} Hz {:.2} (min {:.2})", t.freq_hz, t.mean, t.min);
            }
            out.push('\n');
        }
        out
    }
}

/// The share of each of `freqs` in each received stream.
pub fn listen<'a>(records: impl IntoIterator<Item = &'a PacketRecord>, freqs: &[f64]) -> Listening {
    let streams = segments(records)
        .into_iter()
        .map(|seg| stream_levels(&seg, freqs))
        .collect();
    Listening { streams }
}

fn stream_levels(seg: &Segment, freqs: &[f64]) -> StreamLevels {
    let block = seg.detector().block;
    let loud: Vec<&[i16]> = seg
        .pcm
        .chunks_exact(block)
        .filter(|b| mean_energy(b) >= MIN_RMS * MIN_RMS)
        .collect();
    let shares = freqs
        .iter()
        .map(|&freq_hz| {
            let ratios: Vec<f64> = loud
                .iter()
                .map(|b| tone_ratio(b, freq_hz, seg.sample_rate))
                .collect();
            let mean = match ratios.len() {
                0 => 0.0,
                n => ratios.iter().sum::<f64>() / n as f64,
            };
            let min = ratios.iter().copied().reduce(f64::min).unwrap_or(0.0);
            ToneShare { freq_hz, mean, min }
        })
        .collect();
    StreamLevels {
        ssrc: seg.ssrc,
        pt: seg.pt,
        sample_rate: seg.sample_rate,
        packets: seg.packets,
        secs: seg.pcm.len() as f64 / f64::from(seg.sample_rate.max(1)),
        blocks: seg.pcm.len() / block,
        loud_blocks: loud.len(),
        rms: mean_energy(&seg.pcm).sqrt(),
        shares,
    }
}
