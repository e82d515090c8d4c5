//! SRTP micro-benchmark: protect and unprotect of an RTP packet with a 160-byte payload
//! (20 ms of G.711) per suite, in ns/packet and packets/s, with webrtc-srtp 0.17 in the
//! same run as the baseline and the ratio printed. Under 90 s:
//! `cargo bench --bench srtp`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use sbc_media::srtp::{SrtpConfig, SrtpContext, Suite};
use webrtc_srtp::context::Context;
use webrtc_srtp::protection_profile::ProtectionProfile;

const PAYLOAD: usize = 160;
const RTP_LEN: usize = 12 + PAYLOAD;
const SSRC: u32 = 0x1234_5678;
/// Packets protected (untimed) per chunk before timing their unprotect.
const CHUNK: usize = 1024;

const SUITES: [(Suite, ProtectionProfile, &str); 4] = [
    (
        Suite::AesCm128HmacSha1_80,
        ProtectionProfile::Aes128CmHmacSha1_80,
        "aes_cm_sha1_80",
    ),
    (
        Suite::AesCm128HmacSha1_32,
        ProtectionProfile::Aes128CmHmacSha1_32,
        "aes_cm_sha1_32",
    ),
    (
        Suite::AeadAes128Gcm,
        ProtectionProfile::AeadAes128Gcm,
        "aead_aes_128_gcm",
    ),
    (
        Suite::AeadAes256Gcm,
        ProtectionProfile::AeadAes256Gcm,
        "aead_aes_256_gcm",
    ),
];

fn keys(suite: Suite) -> (Vec<u8>, Vec<u8>) {
    (vec![0x42; suite.key_len()], vec![0x24; suite.salt_len()])
}

fn ours(suite: Suite) -> SrtpContext {
    let (k, s) = keys(suite);
    SrtpContext::new(suite, &k, &s, &SrtpConfig::default()).expect("context")
}

fn theirs(suite: Suite, profile: ProtectionProfile) -> Context {
    let (k, s) = keys(suite);
    Context::new(&k, &s, profile, None, None).expect("webrtc context")
}

fn rtp_header(buf: &mut [u8], seq: u16) {
    buf[0] = 0x80;
    buf[1] = 0;
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[8..12].copy_from_slice(&SSRC.to_be_bytes());
}

/// Our protect: `n` packets with consecutive sequence numbers, total time.
fn our_protect(ctx: &mut SrtpContext, seq: &mut u16, n: u64) -> Duration {
    let mut buf = [0u8; 256];
    rtp_header(&mut buf, 0);
    let t = Instant::now();
    for _ in 0..n {
        *seq = seq.wrapping_add(1);
        buf[2..4].copy_from_slice(&seq.to_be_bytes());
        black_box(
            ctx.protect_rtp(black_box(&mut buf), RTP_LEN)
                .expect("protect"),
        );
    }
    t.elapsed()
}

/// Our unprotect: packets protected untimed in chunks, only unprotect timed.
fn our_unprotect(tx: &mut SrtpContext, rx: &mut SrtpContext, seq: &mut u16, n: u64) -> Duration {
    let mut pkts = vec![[0u8; 256]; CHUNK];
    let mut total = Duration::ZERO;
    let mut left = n;
    while left > 0 {
        let k = left.min(CHUNK as u64) as usize;
        let mut len = 0;
        for p in pkts.iter_mut().take(k) {
            *seq = seq.wrapping_add(1);
            rtp_header(p, *seq);
            len = tx.protect_rtp(p, RTP_LEN).expect("protect");
        }
        let t = Instant::now();
        for p in pkts.iter_mut().take(k) {
            black_box(
                rx.unprotect_rtp(black_box(&mut p[..len]))
                    .expect("unprotect"),
            );
        }
        total += t.elapsed();
        left -= k as u64;
    }
    total
}

/// webrtc-srtp protect (allocates the output per packet).
fn their_protect(ctx: &mut Context, seq: &mut u16, n: u64) -> Duration {
    let mut plain = [0u8; RTP_LEN];
    rtp_header(&mut plain, 0);
    let t = Instant::now();
    for _ in 0..n {
        *seq = seq.wrapping_add(1);
        plain[2..4].copy_from_slice(&seq.to_be_bytes());
        black_box(ctx.encrypt_rtp(black_box(&plain)).expect("webrtc protect"));
    }
    t.elapsed()
}

/// webrtc-srtp unprotect, timed like ours.
fn their_unprotect(tx: &mut Context, rx: &mut Context, seq: &mut u16, n: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = n;
    let mut plain = [0u8; RTP_LEN];
    rtp_header(&mut plain, 0);
    while left > 0 {
        let k = left.min(CHUNK as u64) as usize;
        let pkts: Vec<_> = (0..k)
            .map(|_| {
                *seq = seq.wrapping_add(1);
                plain[2..4].copy_from_slice(&seq.to_be_bytes());
                tx.encrypt_rtp(&plain).expect("webrtc protect")
            })
            .collect();
        let t = Instant::now();
        for p in &pkts {
            black_box(rx.decrypt_rtp(black_box(p)).expect("webrtc unprotect"));
        }
        total += t.elapsed();
        left -= k as u64;
    }
    total
}

fn ns(d: Duration, n: u64) -> f64 {
    d.as_nanos() as f64 / n as f64
}

fn summary() {
    const N: u64 = 200_000;
    println!("\n== srtp summary: RTP, {PAYLOAD}-byte payload, ns/packet (packets/s) ==");
    println!(
        "{:18} {:>20} {:>20} {:>20} {:>20} {:>7} {:>7}",
        "suite", "protect", "unprotect", "webrtc protect", "webrtc unprotect", "x prot", "x unpr"
    );
    for (suite, profile, name) in SUITES {
        let (mut tx, mut rx) = (ours(suite), ours(suite));
        let (mut wtx, mut wrx) = (theirs(suite, profile), theirs(suite, profile));
        let mut seq = 0u16;
        our_protect(&mut tx, &mut seq, N / 10);
        let p = ns(our_protect(&mut tx, &mut seq, N), N);
        let (mut tx2, mut s2) = (ours(suite), 0u16);
        let u = ns(our_unprotect(&mut tx2, &mut rx, &mut s2, N), N);
        let mut s3 = 0u16;
        their_protect(&mut wtx, &mut s3, N / 10);
        let wp = ns(their_protect(&mut wtx, &mut s3, N), N);
        let (mut wtx2, mut s4) = (theirs(suite, profile), 0u16);
        let wu = ns(their_unprotect(&mut wtx2, &mut wrx, &mut s4, N), N);
        let cell = |v: f64| format!("{v:7.0} ({:9.0})", 1e9 / v);
        println!(
            "{name:18} {:>20} {:>20} {:>20} {:>20} {:>6.1}x {:>6.1}x",
            cell(p),
            cell(u),
            cell(wp),
            cell(wu),
            wp / p,
            wu / u
        );
    }
    println!();
}

fn main() {
    summary();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(30)
        .configure_from_args();
    let mut g = c.benchmark_group("srtp");
    g.throughput(Throughput::Elements(1));
    for (suite, profile, name) in SUITES {
        let (mut tx, mut seq) = (ours(suite), 0u16);
        g.bench_function(format!("{name}/protect"), |b| {
            b.iter_custom(|n| our_protect(&mut tx, &mut seq, n))
        });
        let (mut tx, mut rx, mut seq) = (ours(suite), ours(suite), 0u16);
        g.bench_function(format!("{name}/unprotect"), |b| {
            b.iter_custom(|n| our_unprotect(&mut tx, &mut rx, &mut seq, n))
        });
        let (mut wtx, mut seq) = (theirs(suite, profile), 0u16);
        g.bench_function(format!("{name}/webrtc_protect"), |b| {
            b.iter_custom(|n| their_protect(&mut wtx, &mut seq, n))
        });
    }
    g.finish();
    c.final_summary();
}
