//! Streaming sample-rate conversion between 8, 16 and 48 kHz (all six directions
//! are integer ratios: 2, 3 or 6), by polyphase FIR (filters from `fir`).
//!
//! Streaming: the last taps' worth of input is kept across calls, so feeding 20 ms
//! frames one by one gives exactly the output of one long call (no clicks at frame
//! boundaries; tested). Allocation-free: coefficients and the history buffer are
//! built in `new`; longer inputs are processed in fixed chunks of that buffer.
//! Arithmetic is `f32` with 8-lane partial sums, which the compiler vectorizes.

use super::fir::design_lowpass;
use super::{CodecError, SampleRate};

/// Input samples processed per inner pass (60 ms at 8 kHz, 10 ms at 48 kHz).
const CHUNK: usize = 480;

/// Converts one mono stream from one rate to another.
#[derive(Debug, Clone)]
pub struct Resampler {
    from: SampleRate,
    to: SampleRate,
    mode: Mode,
}

#[derive(Debug, Clone)]
enum Mode {
    Copy,
    Up(Filter),
    Down(Filter),
}

/// The shared machinery: a window of recent input and one or more coefficient rows.
#[derive(Debug, Clone)]
struct Filter {
    /// Up: outputs per input (L). Down: inputs per output (M).
    factor: usize,
    /// Length of one coefficient row = samples in the dot product.
    width: usize,
    /// Up: L rows (one per output phase), each reversed and scaled by L.
    /// Down: one row, the whole prototype reversed.
    rows: Vec<f32>,
    /// `width - 1` samples of history (oldest first), then room for `CHUNK` inputs.
    buf: Vec<f32>,
    /// Down only: inputs consumed since the last output.
    phase: usize,
}

impl Filter {
    fn new(factor: usize, high: SampleRate, low: SampleRate, up: bool) -> Self {
        let proto = design_lowpass(f64::from(high.hz()), f64::from(low.hz()), factor);
        let (width, rows) = if up {
            let width = proto.len() / factor;
            let mut rows = vec![0.0f32; proto.len()];
            for k in 0..factor {
                for t in 0..width {
                    // Row k, tap t multiplies x[n-(width-1-t)]: h[k + (width-1-t)L].
                    let h = proto
                        .get(k + (width - 1 - t) * factor)
                        .copied()
                        .unwrap_or(0.0);
                    if let Some(c) = rows.get_mut(k * width + t) {
                        *c = (h * factor as f64) as f32;
                    }
                }
            }
            (width, rows)
        } else {
            (proto.len(), proto.iter().rev().map(|&h| h as f32).collect())
        };
        Filter {
            factor,
            width,
            rows,
            buf: vec![0.0; width - 1 + CHUNK],
            phase: 0,
        }
    }

    fn history(&self) -> usize {
        self.width - 1
    }

    /// Append `chunk` (at most `CHUNK` samples) after the history.
    fn load(&mut self, chunk: &[i16]) {
        let hist = self.history();
        if let Some(dst) = self.buf.get_mut(hist..hist + chunk.len()) {
            for (d, &s) in dst.iter_mut().zip(chunk) {
                *d = f32::from(s);
            }
        }
    }

    /// Keep the newest `width - 1` samples as the next call's history.
    fn shift(&mut self, consumed: usize) {
        let hist = self.history();
        self.buf.copy_within(consumed..consumed + hist, 0);
    }

    fn interpolate(&mut self, chunk: &[i16], out: &mut [i16]) -> usize {
        self.load(chunk);
        let mut outs = out.iter_mut();
        for i in 0..chunk.len() {
            let window = self.buf.get(i..i + self.width).unwrap_or(&[]);
            for row in self.rows.chunks_exact(self.width) {
                if let Some(o) = outs.next() {
                    *o = to_i16(dot(window, row));
                }
            }
        }
        self.shift(chunk.len());
        chunk.len() * self.factor
    }

    fn decimate(&mut self, chunk: &[i16], out: &mut [i16]) -> usize {
        self.load(chunk);
        let mut written = 0;
        for i in 0..chunk.len() {
            self.phase += 1;
            if self.phase < self.factor {
                continue;
            }
            self.phase = 0;
            let window = self.buf.get(i..i + self.width).unwrap_or(&[]);
            if let Some(o) = out.get_mut(written) {
                *o = to_i16(dot(window, &self.rows));
            }
            written += 1;
        }
        self.shift(chunk.len());
        written
    }

    fn reset(&mut self) {
        self.buf.fill(0.0);
        self.phase = 0;
    }
}

/// Dot product with 8 independent partial sums (lets LLVM use SIMD lanes).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (a8.remainder(), b8.remainder());
    for (x, y) in a8.zip(b8) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// Round to the nearest sample; `as` saturates out-of-range values (overshoot of a
/// full-scale input) instead of wrapping.
#[inline]
fn to_i16(v: f32) -> i16 {
    v.round() as i16
}

impl Resampler {
    /// Build the filter for `from` -> `to` (allocates its tables; identity copies).
    pub fn new(from: SampleRate, to: SampleRate) -> Self {
        let (f, t) = (from.hz() as usize, to.hz() as usize);
        let mode = if f == t {
            Mode::Copy
        } else if t > f {
            Mode::Up(Filter::new(t / f, to, from, true))
        } else {
            Mode::Down(Filter::new(f / t, from, to, false))
        };
        Resampler { from, to, mode }
    }

    pub fn from_rate(&self) -> SampleRate {
        self.from
    }

    pub fn to_rate(&self) -> SampleRate {
        self.to
    }

    /// Exactly how many samples the next `process` of `input_len` samples yields.
    pub fn output_len(&self, input_len: usize) -> usize {
        match &self.mode {
            Mode::Copy => input_len,
            Mode::Up(f) => input_len * f.factor,
            Mode::Down(f) => (f.phase + input_len) / f.factor,
        }
    }

    /// Group delay the filter adds, in microseconds (for latency accounting).
    pub fn delay_micros(&self) -> u32 {
        let (taps, high) = match &self.mode {
            Mode::Copy => return 0,
            Mode::Up(f) => (f.rows.len(), self.to.hz()),
            Mode::Down(f) => (f.rows.len(), self.from.hz()),
        };
        ((taps as u64 - 1) * 500_000 / u64::from(high)) as u32
    }

    /// Convert `input` (any length) into `output`; returns the samples written
    /// (`output_len(input.len())`). If `output` is too short nothing is consumed.
    pub fn process(&mut self, input: &[i16], output: &mut [i16]) -> Result<usize, CodecError> {
        let needed = self.output_len(input.len());
        CodecError::check_capacity(needed, output.len())?;
        let mut written = 0;
        for chunk in input.chunks(CHUNK) {
            let out = output.get_mut(written..).unwrap_or(&mut []);
            written += match &mut self.mode {
                Mode::Copy => {
                    for (o, &s) in out.iter_mut().zip(chunk) {
                        *o = s;
                    }
                    chunk.len()
                }
                Mode::Up(f) => f.interpolate(chunk, out),
                Mode::Down(f) => f.decimate(chunk, out),
            };
        }
        Ok(written)
    }

    /// Forget the history (a new source): the next output starts from silence.
    pub fn reset(&mut self) {
        match &mut self.mode {
            Mode::Copy => {}
            Mode::Up(f) | Mode::Down(f) => f.reset(),
        }
    }
}

#[cfg(test)]
#[path = "resample_tests.rs"]
mod tests;
