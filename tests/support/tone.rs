//! Pure tones for the audio end-to-end tests: generating a sine, writing
//! and reading mono 16-bit PCM WAV files, and a Goertzel detector that says
//! how much of a recording's energy sits at one frequency, block by block.
//!
//! The detector answers "did this side hear that tone, intact?": a relay
//! that drops, duplicates, mis-keys or corrupts packets turns blocks into
//! silence or broadband noise, so the tone's share of each block's energy
//! falls, which a plain "something was received" check would not see.

use std::f64::consts::PI;
use std::path::Path;

/// Samples per analysis block: 50 ms at 8 kHz, 20 Hz resolution, short
/// enough that a burst of lost packets shows up as failed blocks.
pub const BLOCK_8K: usize = 400;

/// A sine of `freq_hz` at `amplitude` (full scale is 32767), `secs` long.
pub fn sine(freq_hz: f64, sample_rate: u32, secs: f64, amplitude: i16) -> Vec<i16> {
    let count = (f64::from(sample_rate) * secs).round() as usize;
    let step = 2.0 * PI * freq_hz / f64::from(sample_rate);
    (0..count)
        .map(|n| (f64::from(amplitude) * (step * n as f64).sin()).round() as i16)
        .collect()
}

/// The Goertzel power of `samples` at exactly `freq_hz` (not rounded to
/// a DFT bin, so any block length works): |X(f)|^2.
pub fn goertzel_power(samples: &[i16], freq_hz: f64, sample_rate: u32) -> f64 {
    let omega = 2.0 * PI * freq_hz / f64::from(sample_rate);
    let coeff = 2.0 * omega.cos();
    let (mut s1, mut s2) = (0.0_f64, 0.0_f64);
    for &x in samples {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2).max(0.0)
}

/// Mean energy per sample (the square of the RMS).
pub fn mean_energy(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&x| f64::from(x).powi(2)).sum();
    sum / samples.len() as f64
}

/// The share of the block's energy at `freq_hz`: about 1.0 for a pure tone
/// at that frequency, about 0 for another tone, small for white noise
/// (about 2/len) and 0 for digital silence.
pub fn tone_ratio(samples: &[i16], freq_hz: f64, sample_rate: u32) -> f64 {
    let energy = mean_energy(samples) * samples.len() as f64;
    if energy <= 0.0 {
        return 0.0;
    }
    // A sine of amplitude A over N samples: |X|^2 = (A N / 2)^2, energy
    // A^2 N / 2, so 2 |X|^2 / (N energy) = 1.
    2.0 * goertzel_power(samples, freq_hz, sample_rate) / (samples.len() as f64 * energy)
}

/// What the detector found in a recording, for assertions and messages.
#[derive(Debug, Clone, PartialEq)]
pub struct ToneReport {
    pub freq_hz: f64,
    /// Whole blocks analysed.
    pub blocks: usize,
    /// Blocks that are loud enough and whose energy is mostly the tone.
    pub tone_blocks: usize,
    /// Blocks below the loudness floor (silence, lost audio).
    pub quiet_blocks: usize,
    /// The lowest tone ratio among the loud blocks (1.0 if none).
    pub min_ratio: f64,
    /// Mean tone ratio over the loud blocks (0.0 if none).
    pub mean_ratio: f64,
}

impl ToneReport {
    /// Seconds of audio in which the tone was found.
    pub fn tone_secs(&self, block: usize, sample_rate: u32) -> f64 {
        (self.tone_blocks * block) as f64 / f64::from(sample_rate)
    }

    /// Share of the analysed blocks that carried the tone.
    pub fn tone_share(&self) -> f64 {
        if self.blocks == 0 {
            return 0.0;
        }
        self.tone_blocks as f64 / self.blocks as f64
    }
}

/// Tone detection criteria.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detector {
    pub sample_rate: u32,
    pub block: usize,
    /// A block's tone ratio must reach this to count as the tone.
    pub min_ratio: f64,
    /// Blocks whose RMS is below this are quiet, not tone.
    pub min_rms: f64,
}

impl Detector {
    /// 8 kHz, 50 ms blocks, tone at least 90% of the energy, RMS at least
    /// 300 (about -40 dBFS; G.711 keeps a -12 dBFS tone far above it).
    pub fn narrowband() -> Detector {
        Detector {
            sample_rate: 8000,
            block: BLOCK_8K,
            min_ratio: 0.9,
            min_rms: 300.0,
        }
    }

    /// Analyses `samples` for `freq_hz`, block by block (a last partial
    /// block is ignored).
    pub fn analyze(&self, samples: &[i16], freq_hz: f64) -> ToneReport {
        let floor = self.min_rms * self.min_rms;
        let mut report = ToneReport {
            freq_hz,
            blocks: 0,
            tone_blocks: 0,
            quiet_blocks: 0,
            min_ratio: 1.0,
            mean_ratio: 0.0,
        };
        let mut ratio_sum = 0.0;
        for block in samples.chunks_exact(self.block.max(1)) {
            report.blocks += 1;
            if mean_energy(block) < floor {
                report.quiet_blocks += 1;
                continue;
            }
            let ratio = tone_ratio(block, freq_hz, self.sample_rate);
            ratio_sum += ratio;
            report.min_ratio = report.min_ratio.min(ratio);
            if ratio >= self.min_ratio {
                report.tone_blocks += 1;
            }
        }
        let loud = report.blocks - report.quiet_blocks;
        if loud > 0 {
            report.mean_ratio = ratio_sum / loud as f64;
        }
        report
    }
}

/// Mono 16-bit PCM audio read from or written to a WAV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    pub sample_rate: u32,
    pub samples: Vec<i16>,
}

impl Wav {
    /// Writes a canonical 44-byte-header WAV file.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let data_len = u32::try_from(self.samples.len() * 2)
            .map_err(|_| std::io::Error::other("too many samples for a WAV file"))?;
        let mut out = Vec::with_capacity(44 + self.samples.len() * 2);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // PCM
        out.extend_from_slice(&1u16.to_le_bytes()); // mono
        out.extend_from_slice(&self.sample_rate.to_le_bytes());
        out.extend_from_slice(&(self.sample_rate * 2).to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes()); // block align
        out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        for s in &self.samples {
            out.extend_from_slice(&s.to_le_bytes());
        }
        std::fs::write(path, out)
    }

    /// Reads a mono 16-bit PCM WAV file, walking its chunks (libsndfile
    /// may add some). A data chunk whose length runs past the end of the
    /// file (a writer killed before it fixed the header) is read up to the
    /// end rather than refused.
    pub fn read(path: &Path) -> Result<Wav, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the bytes of a WAV file (see [`Wav::read`]).
    pub fn parse(bytes: &[u8]) -> Result<Wav, String> {
        if bytes.get(0..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
            return Err("not a RIFF/WAVE file".into());
        }
        let mut at = 12;
        let mut sample_rate = None;
        while let Some(header) = bytes.get(at..at + 8) {
            let (id, len) = header.split_at(4);
            let len = le_u32(len).ok_or("truncated chunk header")? as usize;
            let body_start = at + 8;
            let body = bytes
                .get(body_start..body_start.saturating_add(len).min(bytes.len()))
                .unwrap_or_default();
            match id {
                b"fmt " => sample_rate = Some(parse_fmt(body)?),
                b"data" => {
                    let rate = sample_rate.ok_or("data chunk before fmt chunk")?;
                    let samples = body
                        .chunks_exact(2)
                        .map(|b| i16::from_le_bytes([b[0], b[1]]))
                        .collect();
                    return Ok(Wav {
                        sample_rate: rate,
                        samples,
                    });
                }
                _ => {}
            }
            // Chunks are padded to an even length.
            at = body_start.saturating_add(len).saturating_add(len & 1);
        }
        Err("no data chunk".into())
    }

    pub fn duration_secs(&self) -> f64 {
        if self.sample_rate == 0 {
            return 0.0;
        }
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }
}

fn le_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(0..4)?.try_into().ok()?))
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

/// The sample rate of a fmt chunk that describes mono 16-bit PCM.
fn parse_fmt(body: &[u8]) -> Result<u32, String> {
    let format = le_u16(body, 0).ok_or("short fmt chunk")?;
    let channels = le_u16(body, 2).ok_or("short fmt chunk")?;
    let rate = body.get(4..8).and_then(le_u32).ok_or("short fmt chunk")?;
    let bits = le_u16(body, 14).ok_or("short fmt chunk")?;
    // 0xFFFE is WAVE_FORMAT_EXTENSIBLE, which libsndfile may use for PCM.
    if !matches!(format, 1 | 0xFFFE) || channels != 1 || bits != 16 {
        return Err(format!(
            "want mono 16-bit PCM, got format {format:#x}, {channels} channels, {bits} bits"
        ));
    }
    Ok(rate)
}
