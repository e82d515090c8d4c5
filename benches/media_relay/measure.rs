//! The measurement protocol of one row: real-rate step, saturation search, half load.
//!
//! A step offers a fixed rate for a fixed time from a generator thread, waits for the
//! pipeline to drain, then reads the sink's count for that step and the relay's CPU
//! delta. Saturation doubles the rate until loss exceeds 1% (or the generator cannot
//! offer more), then bisects twice; latency is recorded at half the saturation rate.

use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::loadgen::Generator;
use crate::relay::Relay;
use crate::sink::{Sink, SinkSrtpErrors};

/// Real G.711 rate per stream (20 ms packets).
pub const REAL_PPS_PER_STREAM: f64 = 50.0;
/// Saturation means more than this share of packets lost.
pub const MAX_LOSS: f64 = 0.01;
const FIRST_SATURATION_RATE: f64 = 50_000.0;
const MAX_RATE: f64 = 3_200_000.0;
const BISECTIONS: usize = 2;
/// Time for packets still in socket buffers to reach the sink after the generator stops.
const DRAIN: Duration = Duration::from_millis(150);
/// The generator counts as the limit when it offers less than this share of the target.
const GENERATOR_SHORTFALL: f64 = 0.95;

#[derive(Debug, Clone, Copy, Default)]
pub struct Step {
    pub target_pps: f64,
    pub sent_pps: f64,
    pub sent: u64,
    pub received: u64,
    pub rx_pps: f64,
    pub cpu_ns: u64,
    pub seconds: f64,
}

impl Step {
    pub fn loss(&self) -> f64 {
        if self.sent == 0 {
            return 0.0;
        }
        self.sent.saturating_sub(self.received) as f64 / self.sent as f64
    }
    pub fn cpu_ns_per_packet(&self) -> Option<f64> {
        (self.received > 0 && self.cpu_ns > 0).then(|| self.cpu_ns as f64 / self.received as f64)
    }
    /// Share of one core the relay used during the step.
    pub fn cpu_share(&self) -> f64 {
        self.cpu_ns as f64 / 1e9 / self.seconds.max(1e-9)
    }
}

/// Latency percentiles in ns.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub p50: u64,
    pub p99: u64,
    pub p999: u64,
}

#[derive(Debug, Clone)]
pub struct RowResult {
    pub relay: String,
    pub streams: usize,
    pub real: Step,
    pub saturation: Step,
    pub generator_limited: bool,
    pub half: Step,
    pub latency: Option<Latency>,
    pub rss_per_stream: Option<f64>,
    /// Sink unprotect failures over the whole row (warm-up included); `None`: plain.
    pub srtp_errors: Option<SinkSrtpErrors>,
    /// The relay's own non-zero drop counters, if it keeps any.
    pub relay_drops: Option<String>,
}

impl RowResult {
    /// Packets/s one relay core would move at the saturation step's CPU cost per
    /// packet (received pps / share of a core used); `None` without a CPU figure.
    pub fn pps_per_core(&self) -> Option<f64> {
        self.saturation.cpu_ns_per_packet().map(|ns| 1e9 / ns)
    }
}

pub struct Runner<'a> {
    pub sink: &'a Sink,
    pub seconds: f64,
    pub next_step: u32,
}

impl Runner<'_> {
    /// Offers `rate` pps for `seconds` and measures what came out.
    pub fn step(
        &mut self,
        gen: &mut Generator,
        relay: &dyn Relay,
        rate: f64,
        seconds: f64,
        record: bool,
    ) -> Result<Step> {
        self.next_step += 1;
        let id = self.next_step;
        self.sink.begin_step(id, record);
        let cpu0 = relay.cpu_ns()?;
        let sent = std::thread::scope(|s| {
            std::thread::Builder::new()
                .name("bench-gen".into())
                .spawn_scoped(s, || gen.run(rate, Duration::from_secs_f64(seconds), id))
                .map(|h| h.join())
        })
        .context("spawning generator")?
        .map_err(|_| anyhow::anyhow!("generator panicked"))?;
        if sent.protect_errors > 0 {
            bail!(
                "the generator failed to protect {} packets",
                sent.protect_errors
            );
        }
        std::thread::sleep(DRAIN);
        let received = self.sink.received();
        let cpu1 = relay.cpu_ns()?;
        Ok(Step {
            target_pps: rate,
            sent_pps: sent.packets as f64 / sent.seconds.max(1e-9),
            sent: sent.packets,
            received,
            rx_pps: received as f64 / sent.seconds.max(1e-9),
            cpu_ns: cpu1.saturating_sub(cpu0),
            seconds: sent.seconds + DRAIN.as_secs_f64(),
        })
    }

    /// The whole protocol for one relay already set up with `streams` streams.
    pub fn row(
        &mut self,
        name: &str,
        streams: usize,
        gen: &mut Generator,
        relay: &dyn Relay,
    ) -> Result<RowResult> {
        let real_rate = REAL_PPS_PER_STREAM * streams as f64;
        // Warm-up: latches, caches, first-packet paths; not reported.
        self.step(gen, relay, real_rate, 0.3, false)?;
        let real = self.step(gen, relay, real_rate, self.seconds, false)?;
        let (saturation, generator_limited) = self.saturate(gen, relay, real)?;
        let half_rate = (saturation.rx_pps / 2.0).max(1.0);
        let half = self.step(gen, relay, half_rate, self.seconds, true)?;
        let latency = self
            .sink
            .latency()
            .filter(|h| !h.is_empty())
            .map(|h| Latency {
                p50: h.value_at_quantile(0.5),
                p99: h.value_at_quantile(0.99),
                p999: h.value_at_quantile(0.999),
            });
        Ok(RowResult {
            relay: name.to_string(),
            streams,
            real,
            saturation,
            generator_limited,
            half,
            latency,
            rss_per_stream: relay.rss_per_stream(),
            srtp_errors: self.sink.srtp_errors(),
            relay_drops: relay.drop_summary(),
        })
    }

    /// Best step with loss <= 1%, and whether the generator rather than the relay capped it.
    fn saturate(
        &mut self,
        gen: &mut Generator,
        relay: &dyn Relay,
        real: Step,
    ) -> Result<(Step, bool)> {
        let mut best = real;
        let mut failed: Option<f64> = None;
        let mut rate = (real.target_pps * 2.0).max(FIRST_SATURATION_RATE);
        while rate <= MAX_RATE {
            let s = self.step(gen, relay, rate, self.seconds, false)?;
            if s.loss() > MAX_LOSS {
                failed = Some(rate);
                break;
            }
            if s.rx_pps > best.rx_pps {
                best = s;
            }
            if s.sent_pps < GENERATOR_SHORTFALL * rate {
                return Ok((best, true));
            }
            rate *= 2.0;
        }
        let Some(mut hi) = failed else {
            return Ok((best, false));
        };
        let mut lo = best.target_pps;
        for _ in 0..BISECTIONS {
            let mid = (lo + hi) / 2.0;
            let s = self.step(gen, relay, mid, self.seconds, false)?;
            if s.loss() > MAX_LOSS {
                hi = mid;
            } else {
                if s.rx_pps > best.rx_pps {
                    best = s;
                }
                lo = mid;
            }
        }
        Ok((best, false))
    }
}
