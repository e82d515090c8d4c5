//! The virtual-time simulator: one SBC engine, a calling UA and a called UA, joined by a
//! lossy in-memory network. Nothing touches a socket or a clock: `now` is a base
//! `Instant` plus a virtual offset, datagrams are delivered after a seeded random delay
//! (which also reorders them), and can be lost or duplicated with seeded probabilities.
//!
//! The loop: collect every node's output into the network, pick the earliest event
//! (a datagram due, or any node's `poll_timeout`), advance time to it, deliver / fire,
//! repeat. Bounded by a virtual deadline and a step budget, so no scenario can hang.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sbc_core::config::Config;
use sbc_signaling::b2bua::{B2bua, CallEvent, EngineSettings};
use sbc_signaling::metrics::SignalingMetrics;
use sbc_signaling::net::{Peer, TransportKind};

use crate::fake_media::{FakeMedia, MEDIA_IP};
use crate::ua::Ua;

pub const UAC: &str = "10.0.0.1:5060";
pub const SBC: &str = "10.0.0.2:5060";
pub const UAS: &str = "10.0.0.3:5060";
/// RFC 3261 T1 as configured (the default 500 ms).
pub const T1: Duration = Duration::from_millis(500);
/// A generous step budget: a whole call is a few hundred steps even under loss.
const MAX_STEPS: usize = 200_000;

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|_| panic!("test address {s}"))
}

/// xorshift64*: tiny, seeded, good enough for loss and jitter decisions.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range_ms(&mut self, lo: u64, hi: u64) -> Duration {
        let span = hi.saturating_sub(lo) + 1;
        Duration::from_millis(lo + self.next_u64() % span)
    }
}

/// How the network misbehaves. Reordering comes from the jitter between min and max delay.
#[derive(Debug, Clone, Copy)]
pub struct NetConfig {
    pub min_delay_ms: u64,
    pub max_delay_ms: u64,
    pub loss: f64,
    pub duplicate: f64,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            min_delay_ms: 5,
            max_delay_ms: 40,
            loss: 0.0,
            duplicate: 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SimConfig {
    pub seed: u64,
    pub net: NetConfig,
    pub timer_c_secs: u64,
    /// Extra TOML keys of a trunk of the caller's own (`uac`, listed first so it is the
    /// caller's ingress trunk); `None`: the caller comes in on the callee's trunk.
    pub trunk_a: Option<&'static str>,
    /// Extra TOML keys of the callee's trunk (`uas`).
    pub trunk_b: &'static str,
    /// Extra top-level TOML (tenants, supervisors, `[monitoring]`…), appended last.
    pub extra: &'static str,
    /// Routes (and anything else) placed before the default route to `uas`, so they
    /// win over it (the first matching route does).
    pub routes: &'static str,
}

impl SimConfig {
    pub fn new(seed: u64) -> Self {
        SimConfig {
            seed,
            net: NetConfig::default(),
            timer_c_secs: 180,
            trunk_a: None,
            trunk_b: "",
            extra: "",
            routes: "",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Datagram {
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub payload: Bytes,
}

/// A datagram in flight, ordered by delivery time then send order.
struct InFlight {
    at: Instant,
    seq: u64,
    d: Datagram,
}
impl PartialEq for InFlight {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for InFlight {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// Decides the fate of one datagram before the random loss (test-specific surgery).
pub type Filter = Box<dyn FnMut(Instant, &Datagram) -> bool>;

pub struct Sim {
    pub base: Instant,
    pub now: Instant,
    pub sbc: B2bua,
    pub sbc_addr: SocketAddr,
    pub uac: Ua,
    pub uas: Ua,
    pub media: Arc<FakeMedia>,
    pub metrics: Arc<SignalingMetrics>,
    /// Every event the engine emitted, with its time.
    pub events: Vec<(Instant, CallEvent)>,
    /// Datagrams addressed to nobody in the simulation (e.g. answers to probe sources).
    pub unrouted: Vec<(Instant, Datagram)>,
    pub net: NetConfig,
    /// Returns false to drop a datagram (applied before random loss).
    pub filter: Option<Filter>,
    pub trace: Vec<String>,
    pub lost: usize,
    rng: XorShift,
    in_flight: BinaryHeap<Reverse<InFlight>>,
    seq: u64,
    steps: usize,
}

pub fn config_toml(cfg: &SimConfig) -> String {
    let timer_c_secs = cfg.timer_c_secs;
    let trunk_a = match cfg.trunk_a {
        Some(keys) => format!(
            "[[trunk]]\nname = \"uac\"\naddress = \"{UAC}\"\n\
             accept_from = [\"10.0.0.1/32\"]\n{keys}\n"
        ),
        None => String::new(),
    };
    let trunk_b = cfg.trunk_b;
    let extra = cfg.extra;
    let routes = cfg.routes;
    format!(
        "[sip]\ntimer_c_secs = {timer_c_secs}\n\
         [[sip.listen]]\ntransport = \"udp\"\naddress = \"{SBC}\"\n\
         {trunk_a}\
         [[trunk]]\nname = \"uas\"\naddress = \"{UAS}\"\naccept_from = [\"10.0.0.0/8\"]\n\
         {trunk_b}\n\
         {routes}\n\
         [[route]]\nname = \"default\"\ntarget = \"uas\"\n{extra}\n"
    )
}

impl Sim {
    pub fn new(cfg: SimConfig) -> Sim {
        let config = match Config::from_toml_str(&config_toml(&cfg), "scn.toml") {
            Ok(c) => c,
            Err(e) => panic!("scenario config: {e:?}"),
        };
        let sbc_addr = addr(SBC);
        let settings = EngineSettings {
            config: Arc::new(config),
            signaling: vec![(TransportKind::Udp, sbc_addr)],
            media_ip: MEDIA_IP,
        };
        let media = Arc::new(FakeMedia::default());
        let metrics = Arc::new(SignalingMetrics::default());
        let base = Instant::now();
        let sbc = B2bua::new(settings, media.clone(), metrics.clone(), Some(cfg.seed));
        Sim {
            base,
            now: base,
            sbc,
            sbc_addr,
            uac: Ua::new("alice", addr(UAC), sbc_addr, cfg.seed ^ 0xA),
            uas: Ua::new("bob", addr(UAS), sbc_addr, cfg.seed ^ 0xB),
            media,
            metrics,
            events: Vec::new(),
            unrouted: Vec::new(),
            net: cfg.net,
            filter: None,
            trace: Vec::new(),
            lost: 0,
            rng: XorShift::new(cfg.seed),
            in_flight: BinaryHeap::new(),
            seq: 0,
            steps: 0,
        }
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.base
    }

    /// Hands a raw datagram to the engine now, as if it arrived from `from`.
    pub fn inject(&mut self, from: SocketAddr, payload: &[u8]) {
        self.log(from, self.sbc_addr, payload, "inject");
        let bytes = Bytes::copy_from_slice(payload);
        self.sbc.handle_inbound(self.now, bytes, Peer::udp(from));
        self.collect();
    }

    /// Runs until `done` holds (checked after every step) or `limit` of virtual time
    /// passes. Returns whether `done` held.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Sim) -> bool) -> bool {
        let end = self.now + limit;
        loop {
            self.collect();
            if done(self) {
                return true;
            }
            if !self.step(end) {
                self.collect();
                return done(self);
            }
        }
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        self.run_until(d, |_| false);
    }

    /// One step: advance to the earliest due event (if before `end`) and process it.
    fn step(&mut self, end: Instant) -> bool {
        self.steps += 1;
        assert!(
            self.steps < MAX_STEPS,
            "step budget exhausted at {:?}: a timer that never advances?\n{}",
            self.elapsed(),
            self.trace_tail(60)
        );
        let next = [
            self.in_flight.peek().map(|Reverse(f)| f.at),
            self.sbc.poll_timeout(),
            self.uac.poll_timeout(),
            self.uas.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next.filter(|t| *t <= end) else {
            self.now = self.now.max(end);
            return false;
        };
        self.now = self.now.max(next);
        let now = self.now;
        while self.in_flight.peek().is_some_and(|Reverse(f)| f.at <= now) {
            if let Some(Reverse(f)) = self.in_flight.pop() {
                self.deliver(f.d);
            }
        }
        if self.sbc.poll_timeout().is_some_and(|t| t <= now) {
            self.sbc.handle_timeout(now);
        }
        if self.uac.poll_timeout().is_some_and(|t| t <= now) {
            self.uac.handle_timeout(now);
        }
        if self.uas.poll_timeout().is_some_and(|t| t <= now) {
            self.uas.handle_timeout(now);
        }
        true
    }

    fn deliver(&mut self, d: Datagram) {
        let now = self.now;
        let from = Peer::udp(d.from);
        if d.to == self.sbc_addr {
            self.sbc.handle_inbound(now, d.payload, from);
        } else if d.to == self.uac.addr {
            self.uac.on_datagram(now, d.payload, from);
        } else if d.to == self.uas.addr {
            self.uas.on_datagram(now, d.payload, from);
        } else {
            self.unrouted.push((now, d));
        }
    }

    /// Drains every node's transmits into the network, and the engine's events.
    fn collect(&mut self) {
        while let Some(t) = self.sbc.poll_transmit() {
            self.send(self.sbc_addr, t.peer.addr, t.payload);
        }
        while let Some(t) = self.uac.poll_transmit() {
            self.send(self.uac.addr, t.peer.addr, t.payload);
        }
        while let Some(t) = self.uas.poll_transmit() {
            self.send(self.uas.addr, t.peer.addr, t.payload);
        }
        while let Some(e) = self.sbc.poll_event() {
            self.events.push((self.now, e));
        }
    }

    fn send(&mut self, from: SocketAddr, to: SocketAddr, payload: Bytes) {
        let d = Datagram { from, to, payload };
        let keep = match self.filter.as_mut() {
            Some(f) => f(self.now, &d),
            None => true,
        };
        if !keep || self.rng.unit() < self.net.loss {
            self.lost += 1;
            self.log(from, to, &d.payload, "LOST");
            return;
        }
        let copies = if self.rng.unit() < self.net.duplicate {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = self
                .rng
                .range_ms(self.net.min_delay_ms, self.net.max_delay_ms);
            self.log(from, to, &d.payload, "sent");
            self.seq += 1;
            self.in_flight.push(Reverse(InFlight {
                at: self.now + delay,
                seq: self.seq,
                d: d.clone(),
            }));
        }
    }

    fn log(&mut self, from: SocketAddr, to: SocketAddr, payload: &[u8], what: &str) {
        let first = payload
            .split(|b| *b == b'\r' || *b == b'\n')
            .next()
            .unwrap_or(&[]);
        let cseq = header_line(payload, "CSeq").unwrap_or_default();
        self.trace.push(format!(
            "{:>9.3}s {from} -> {to} {what}: {} [{cseq}]",
            self.elapsed().as_secs_f64(),
            String::from_utf8_lossy(first)
        ));
    }

    /// The last `n` lines of the network trace, for assertion messages.
    pub fn trace_tail(&self, n: usize) -> String {
        let start = self.trace.len().saturating_sub(n);
        self.trace.get(start..).unwrap_or(&[]).join("\n")
    }

    /// The CDRs emitted so far.
    pub fn cdrs(&self) -> Vec<sbc_core::call::Cdr> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                CallEvent::Ended(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }
}

/// The value of the first header line named `name` in raw bytes (for traces).
pub fn header_line(payload: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(payload);
    text.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}
