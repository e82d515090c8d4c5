//! SIP parse micro-benchmark: ns/message, throughput and allocations per parse for a
//! realistic ~900-byte INVITE, a 200 OK and a short ACK, with `rsip` 0.4 parsing the
//! same INVITE as the baseline in the same run. Finishes in well under 60 s:
//! `cargo bench --bench sip_parse`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use sbc_signaling::sip::SipMessage;

/// Counts every allocation (and reallocation) made through the global allocator.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: delegates every call unchanged to `System`, which upholds the contract.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SDP: &str = "v=0\r\n\
o=CarrierSwitch 1700000000 1700000001 IN IP4 192.0.2.44\r\n\
s=SIP Call\r\n\
c=IN IP4 192.0.2.44\r\n\
t=0 0\r\n\
m=audio 31000 RTP/AVP 0 8 101\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=sendrecv\r\n";

const INVITE_HEAD: &str = "INVITE sip:+15551234567@sbc.example.com:5060;user=phone SIP/2.0\r\n\
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-d8754z-1a2b3c4d5e6f-1---d8754z-;rport\r\n\
Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK4b43c2ff8.1;received=203.0.113.5\r\n\
Via: SIP/2.0/TCP 192.0.2.44:5060;branch=z9hG4bK776asdhds\r\n\
Record-Route: <sip:198.51.100.10;lr;ftag=as6b7c8d9e>\r\n\
Max-Forwards: 68\r\n\
From: \"Alice Caller\" <sip:+15557654321@carrier.example.net;user=phone>;tag=as6b7c8d9e\r\n\
To: <sip:+15551234567@sbc.example.com;user=phone>\r\n\
Call-ID: 1j9FpLxk3uxtm8tn@carrier.example.net\r\n\
CSeq: 102 INVITE\r\n\
Contact: <sip:+15557654321@192.0.2.44:5060;transport=tcp>\r\n\
Supported: replaces, timer, 100rel\r\n\
X-Carrier-Route: trunk-7;region=us-east\r\n\
X-Correlation-ID: 8f14e45f-ceea-467f-a8dd-7b5a1c2d3e4f\r\n\
User-Agent: CarrierSwitch/5.2\r\n\
Content-Type: application/sdp\r\n";

const OK_HEAD: &str = "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-d8754z-1a2b3c4d5e6f-1---d8754z-;rport=5060;received=198.51.100.10\r\n\
Record-Route: <sip:198.51.100.10;lr;ftag=as6b7c8d9e>\r\n\
From: \"Alice Caller\" <sip:+15557654321@carrier.example.net;user=phone>;tag=as6b7c8d9e\r\n\
To: <sip:+15551234567@sbc.example.com;user=phone>;tag=sbc-8d2f1c\r\n\
Call-ID: 1j9FpLxk3uxtm8tn@carrier.example.net\r\n\
CSeq: 102 INVITE\r\n\
Contact: <sip:sbc@203.0.113.200:5060>\r\n\
Content-Type: application/sdp\r\n";

const ACK: &str = "ACK sip:sbc@203.0.113.200:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bKack1;rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:+15557654321@carrier.example.net>;tag=as6b7c8d9e\r\n\
To: <sip:+15551234567@sbc.example.com>;tag=sbc-8d2f1c\r\n\
Call-ID: 1j9FpLxk3uxtm8tn@carrier.example.net\r\n\
CSeq: 102 ACK\r\n\
Content-Length: 0\r\n\r\n";

/// A message as a `'static` Bytes, so cloning it in the loop costs no allocation.
fn leak(head: &str, body: &str) -> Bytes {
    let text = if body.is_empty() && head.ends_with("\r\n\r\n") {
        head.to_string()
    } else {
        format!("{head}Content-Length: {}\r\n\r\n{body}", body.len())
    };
    Bytes::from_static(Box::leak(text.into_bytes().into_boxed_slice()))
}

/// Parse, then read what the transaction and dialog layers read on every message.
fn parse_and_read_keys(buf: &Bytes) -> usize {
    let Ok(m) = SipMessage::parse(buf.clone()) else {
        return 0;
    };
    let call_id = m.call_id().map_or(0, str::len);
    let cseq = m.cseq().map_or(0, |c| c.seq as usize);
    let branch = m
        .top_via()
        .ok()
        .and_then(|v| v.branch())
        .map_or(0, str::len);
    let from = m.from_hdr().ok().and_then(|f| f.tag()).map_or(0, str::len);
    let to = m.to_hdr().ok().and_then(|t| t.tag()).map_or(0, str::len);
    call_id + cseq + branch + from + to
}

fn allocations_per<F: FnMut()>(iters: usize, mut f: F) -> f64 {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..iters {
        f();
    }
    (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / iters as f64
}

fn ns_per<F: FnMut()>(iters: u32, mut f: F) -> f64 {
    for _ in 0..iters / 10 {
        f();
    }
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed().as_nanos() as f64 / f64::from(iters)
}

/// A quick table printed before criterion's detailed runs: allocations and the
/// rsip ratio measured in the same process.
fn summary(invite: &Bytes, ok: &Bytes, ack: &Bytes) {
    assert!(
        SipMessage::parse(invite.clone()).is_ok(),
        "INVITE must parse"
    );
    assert!(
        rsip::SipMessage::try_from(invite.clone()).is_ok(),
        "rsip must parse the INVITE"
    );
    println!(
        "\n== sip_parse summary (INVITE {} B, 200 OK {} B, ACK {} B) ==",
        invite.len(),
        ok.len(),
        ack.len()
    );
    for (name, msg) in [("INVITE", invite), ("200 OK", ok), ("ACK", ack)] {
        let a_parse = allocations_per(1000, || drop(black_box(SipMessage::parse(msg.clone()))));
        let a_keys = allocations_per(1000, || {
            black_box(parse_and_read_keys(msg));
        });
        println!("{name:7} allocations per parse: {a_parse}  (parse + Call-ID, CSeq, branch, tags: {a_keys})");
    }
    let a_rsip = allocations_per(1000, || {
        drop(black_box(rsip::SipMessage::try_from(invite.clone())))
    });
    println!("rsip    allocations per parse: {a_rsip} (INVITE)");
    let ours = ns_per(200_000, || {
        drop(black_box(SipMessage::parse(black_box(invite.clone()))))
    });
    let keys = ns_per(200_000, || {
        black_box(parse_and_read_keys(black_box(invite)));
    });
    let theirs = ns_per(20_000, || {
        drop(black_box(rsip::SipMessage::try_from(black_box(
            invite.clone(),
        ))))
    });
    let mb_s = |ns: f64| invite.len() as f64 / ns * 1e3;
    println!(
        "INVITE parse:        {ours:8.0} ns/msg  {:7.0} MB/s  {:9.0} msg/s",
        mb_s(ours),
        1e9 / ours
    );
    println!(
        "INVITE parse + keys: {keys:8.0} ns/msg  {:7.0} MB/s  {:9.0} msg/s",
        mb_s(keys),
        1e9 / keys
    );
    println!(
        "rsip 0.4 INVITE:     {theirs:8.0} ns/msg  {:7.0} MB/s  {:9.0} msg/s",
        mb_s(theirs),
        1e9 / theirs
    );
    println!(
        "ratio rsip / ours: {:.1}x (parse), {:.1}x (parse + keys)\n",
        theirs / ours,
        theirs / keys
    );
}

fn main() {
    let invite = leak(INVITE_HEAD, SDP);
    let ok = leak(OK_HEAD, SDP);
    let ack = leak(ACK, "");
    summary(&invite, &ok, &ack);

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .configure_from_args();
    let mut g = c.benchmark_group("sip_parse");
    for (name, msg) in [("invite", &invite), ("200ok", &ok), ("ack", &ack)] {
        g.throughput(Throughput::Bytes(msg.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| SipMessage::parse(black_box(msg.clone())))
        });
    }
    g.throughput(Throughput::Bytes(invite.len() as u64));
    g.bench_function("invite_parse_and_keys", |b| {
        b.iter(|| parse_and_read_keys(black_box(&invite)))
    });
    g.bench_function("rsip_invite", |b| {
        b.iter(|| rsip::SipMessage::try_from(black_box(invite.clone())))
    });
    g.finish();
    c.final_summary();
}
