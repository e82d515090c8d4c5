//! Printing the results: one table, the ratios the issue asks for, and the method.

use crate::measure::{RowResult, MAX_LOSS, REAL_PPS_PER_STREAM};

const FORWARDER: &str = "forwarder mmsg";
pub const SBC: &str = "sbc MediaEngine";
pub const SBC_RTP_SRTP: &str = "sbc RTP↔SRTP";
pub const SBC_SRTP_CM: &str = "sbc SRTP↔SRTP CM";
pub const SBC_SRTP_GCM: &str = "sbc SRTP↔SRTP GCM";
pub const RTPENGINE: &str = "rtpengine user";
pub const RTPENGINE_RTP_SRTP: &str = "rtpengine RTP↔SRTP";

/// Each SBC row and the rtpengine row set up the same way.
const PEERS: [(&str, &str); 2] = [(SBC, RTPENGINE), (SBC_RTP_SRTP, RTPENGINE_RTP_SRTP)];

/// Per-relay-core targets of the issue for the SRTP rows, in packets/s.
const SRTP_TARGETS: [(&str, f64); 2] = [(SBC_SRTP_CM, 650_000.0), (SBC_SRTP_GCM, 850_000.0)];

fn opt(v: Option<f64>, scale: f64, prec: usize) -> String {
    v.map_or("-".into(), |x| format!("{:.*}", prec, x / scale))
}

fn kilo(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{:.0}k", x / 1e3))
}

pub fn print(results: &[RowResult], notes: &[String], seconds: f64) {
    println!();
    println!("media relay, G.711 172-byte RTP packets (+10 B SRTP CM-80 tag, +16 B GCM tag), 127.0.0.1, one relay core, {seconds} s per step");
    println!(
        "{:<23} {:>7} {:>11} {:>5} {:>9} {:>10} {:>10} {:>7} {:>9} {:>7} {:>7} {:>8} {:>9} {:>8}",
        "relay",
        "streams",
        "sat pps",
        "cpu%",
        "pps/core",
        "ns/pkt@50",
        "ns/pkt@sat",
        "loss@50",
        "loss@half",
        "p50 us",
        "p99 us",
        "p999 us",
        "RSS B/str",
        "srtp err"
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
        let srtp_err = r
            .srtp_errors
            .map_or("-".into(), |e| format!("{}/{}", e.auth, e.other));
        println!(
            "{:<23} {:>7} {:>11} {:>5.0} {:>9} {:>10} {:>10} {:>6.2}% {:>8.2}% {:>7} {:>7} {:>8} {:>9} {:>8}",
            r.relay,
            r.streams,
            sat,
            r.saturation.cpu_share() * 100.0,
            kilo(r.pps_per_core()),
            opt(r.real.cpu_ns_per_packet(), 1.0, 0),
            opt(r.saturation.cpu_ns_per_packet(), 1.0, 0),
            r.real.loss() * 100.0,
            r.half.loss() * 100.0,
            opt(p50, 1e3, 1),
            opt(p99, 1e3, 1),
            opt(p999, 1e3, 1),
            opt(r.rss_per_stream, 1.0, 0),
            srtp_err,
        );
    }
    print_ratios(results);
    println!();
    println!("method:");
    println!("  sat pps: highest received packets/s of a step with loss <= {:.0}% (rate doubled from 50k, then bisected twice); * = generator-limited", MAX_LOSS * 100.0);
    println!("  cpu%: relay CPU during the saturation step / wall time (schedstat ns of: forwarder thread, sbc-media-* threads, whole rtpengine process)");
    println!("  pps/core: packets per relay CPU-second at the saturation step (sat pps / cpu%): what one relay core moves at that cost; generator and sink CPU (SRTP protect/unprotect included) are not charged");
    println!("  ns/pkt@50: relay CPU ns / packets relayed at the real rate ({REAL_PPS_PER_STREAM} pps per stream, the same offered load for every relay)");
    println!("  loss@50: lost share at the real rate; p50/p99/p999: sink now - generator timestamp (CLOCK_MONOTONIC) at half the saturation rate, end to end");
    println!("  (the 'direct' row is the generator->sink floor: subtract it for the relay's own added latency; SRTP rows include the generator's protect and the sink's unprotect)");
    println!("  RSS B/str: VmRSS delta over setting up the streams / streams (user memory only, SRTP contexts included; kernel socket buffers not counted)");
    println!("  srtp err: sink unprotect failures over the whole row, authentication/other (must be 0/0); per-stream keys, independent per leg");
    println!("  generator, sink and relay share this machine's cores with each other (and any other load)");
    for r in results {
        if let Some(d) = &r.relay_drops {
            println!(
                "  note: {} x {} relay drop counters: {d}",
                r.relay, r.streams
            );
        }
    }
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
        if let (Some(sbc), Some(fwd)) = (
            find(results, SBC, streams),
            find(results, FORWARDER, streams),
        ) {
            let ratio = sbc.saturation.rx_pps / fwd.saturation.rx_pps.max(1.0);
            let per_core = match (sbc.pps_per_core(), fwd.pps_per_core()) {
                (Some(s), Some(f)) => format!("{:.0}%", s / f * 100.0),
                _ => "-".into(),
            };
            println!(
                "  {streams:>5} streams: sbc pps / forwarder pps = {:.0}% at saturation, {per_core} per relay core   (target >= 85%)",
                ratio * 100.0
            );
        }
        for (ours, theirs) in PEERS {
            let (Some(sbc), Some(rtp)) =
                (find(results, ours, streams), find(results, theirs, streams))
            else {
                continue;
            };
            let at = |r: &RowResult| per_cpu_second(r.real.cpu_ns_per_packet());
            let sat = |r: &RowResult| per_cpu_second(r.saturation.cpu_ns_per_packet());
            let fmt = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) => format!("{:.2}x", a / b),
                _ => "-".into(),
            };
            println!(
                "  {streams:>5} streams: {ours} pkts per CPU-s / {theirs}'s = {} at equal load (50 pps/stream), {} at each one's saturation   (target >= 3x for plain RTP)",
                fmt(at(sbc), at(rtp)),
                fmt(sat(sbc), sat(rtp)),
            );
        }
        for (name, target) in SRTP_TARGETS {
            let Some(r) = find(results, name, streams) else {
                continue;
            };
            println!(
                "  {streams:>5} streams: {name} pps per relay core = {} at saturation, {} at 50 pps/stream   (target >= {:.0}k)",
                kilo(r.pps_per_core()),
                kilo(per_cpu_second(r.real.cpu_ns_per_packet())),
                target / 1e3,
            );
        }
        for name in [SBC, SBC_RTP_SRTP, SBC_SRTP_CM, SBC_SRTP_GCM] {
            if let Some(l) = find(results, name, streams).and_then(|r| r.latency) {
                println!(
                    "  {streams:>5} streams: {name} p99 end-to-end latency at half load = {:.1} us   (target added < 100 us)",
                    l.p99 as f64 / 1e3
                );
            }
        }
    }
}
