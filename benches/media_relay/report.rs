//! Printing the results: one table, the ratios the issue asks for, and the method.

use crate::measure::{RowResult, MAX_LOSS, REAL_PPS_PER_STREAM};

const FORWARDER: &str = "forwarder mmsg";
const SBC: &str = "sbc MediaEngine";
const RTPENGINE: &str = "rtpengine user";

fn opt(v: Option<f64>, scale: f64, prec: usize) -> String {
    v.map_or("-".into(), |x| format!("{:.*}", prec, x / scale))
}

pub fn print(results: &[RowResult], notes: &[String], seconds: f64) {
    println!();
    println!("media relay, plain RTP, G.711 172-byte packets, 127.0.0.1, one relay core, {seconds} s per step");
    println!(
        "{:<18} {:>7} {:>11} {:>6} {:>10} {:>10} {:>8} {:>9} {:>8} {:>8} {:>8} {:>10}",
        "relay",
        "streams",
        "sat pps",
        "cpu%",
        "ns/pkt@50",
        "ns/pkt@sat",
        "loss@50",
        "loss@half",
        "p50 us",
        "p99 us",
        "p999 us",
        "RSS B/str"
    );
    for r in results {
        let sat = format!(
            "{:.0}{}",
            r.saturation.rx_pps,
            if r.generator_limited { "*" } else { "" }
        );
        let (p50, p99, p999) = r.latency.map_or((None, None, None), |l| {
            (Some(l.p50 as f64), Some(l.p99 as f64), Some(l.p999 as f64))
        });
        println!(
            "{:<18} {:>7} {:>11} {:>6.0} {:>10} {:>10} {:>7.2}% {:>8.2}% {:>8} {:>8} {:>8} {:>10}",
            r.relay,
            r.streams,
            sat,
            r.saturation.cpu_share() * 100.0,
            opt(r.real.cpu_ns_per_packet(), 1.0, 0),
            opt(r.saturation.cpu_ns_per_packet(), 1.0, 0),
            r.real.loss() * 100.0,
            r.half.loss() * 100.0,
            opt(p50, 1e3, 1),
            opt(p99, 1e3, 1),
            opt(p999, 1e3, 1),
            opt(r.rss_per_stream, 1.0, 0),
        );
    }
    print_ratios(results);
    println!();
    println!("method:");
    println!("  sat pps: highest received packets/s of a step with loss <= {:.0}% (rate doubled from 50k, then bisected twice); * = generator-limited", MAX_LOSS * 100.0);
    println!("  cpu%: relay CPU during the saturation step / wall time (schedstat ns of: forwarder thread, sbc-media-* threads, whole rtpengine process)");
    println!("  ns/pkt@50: relay CPU ns / packets relayed at the real rate ({REAL_PPS_PER_STREAM} pps per stream, the same offered load for every relay)");
    println!("  loss@50: lost share at the real rate; p50/p99/p999: sink now - generator timestamp (CLOCK_MONOTONIC) at half the saturation rate, end to end");
    println!("  (the 'direct' row is the generator->sink floor: subtract it for the relay's own added latency)");
    println!("  RSS B/str: VmRSS delta over setting up the streams / streams (user memory only; kernel socket buffers not counted)");
    println!("  generator, sink and relay share this machine's cores with each other (and any other load)");
    for n in notes {
        println!("  note: {n}");
    }
}

fn find<'a>(results: &'a [RowResult], relay: &str, streams: usize) -> Option<&'a RowResult> {
    results
        .iter()
        .find(|r| r.relay == relay && r.streams == streams)
}

/// Packets relayed per CPU-second.
fn per_cpu_second(ns_per_pkt: Option<f64>) -> Option<f64> {
    ns_per_pkt.map(|ns| 1e9 / ns)
}

fn print_ratios(results: &[RowResult]) {
    let mut counts: Vec<usize> = results.iter().map(|r| r.streams).collect();
    counts.dedup();
    println!();
    println!("ratios (targets from the issue, printed not tuned to):");
    for streams in counts {
        let Some(sbc) = find(results, SBC, streams) else {
            continue;
        };
        if let Some(fwd) = find(results, FORWARDER, streams) {
            let ratio = sbc.saturation.rx_pps / fwd.saturation.rx_pps.max(1.0);
            println!(
                "  {streams:>5} streams: sbc pps / forwarder pps = {:.0}%   (target >= 85%)",
                ratio * 100.0
            );
        }
        if let Some(rtp) = find(results, RTPENGINE, streams) {
            let at = |r: &RowResult| per_cpu_second(r.real.cpu_ns_per_packet());
            let sat = |r: &RowResult| per_cpu_second(r.saturation.cpu_ns_per_packet());
            let fmt = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) => format!("{:.2}x", a / b),
                _ => "-".into(),
            };
            println!(
                "  {streams:>5} streams: sbc pkts per CPU-s / rtpengine's = {} at equal load (50 pps/stream), {} at each one's saturation   (target >= 3x)",
                fmt(at(sbc), at(rtp)),
                fmt(sat(sbc), sat(rtp)),
            );
        }
        if let Some(l) = sbc.latency {
            println!(
                "  {streams:>5} streams: sbc p99 end-to-end latency at half load = {:.1} us   (target added < 100 us)",
                l.p99 as f64 / 1e3
            );
        }
    }
}
