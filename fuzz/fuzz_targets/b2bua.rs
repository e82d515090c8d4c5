//! Fuzz target for the sans-IO call engine (`B2bua`): the input is a script of
//! datagrams from three peers, interleaved with time passing, after which the engine
//! runs on its own timers for five virtual minutes. Oracles: no panic, no timer that
//! stays due after it fired, every message the engine emits parses again, and the
//! books balance at the end (calls, media, transactions).
//!
//! Input format: chunks separated by the 4 bytes `00 ff 00 ff`. The first byte of a
//! chunk is an opcode, the rest the datagram:
//!   bits 0-1  source: 0 and 3 = 10.0.0.1 (accepted by trunk `uas`), 1 = 192.0.2.66
//!             (no trunk accepts it: 403), 2 = 10.0.0.3 (the trunk itself)
//!   bits 2-4  advance virtual time by 0..=700 ms (100 ms steps) before delivery
//!   bit  5    run `handle_timeout` after advancing, before delivery
//!   bits 6-7  0 deliver once, 1 deliver twice (a retransmission), 2 toggle media port
//!             exhaustion then deliver, 3 hand the bytes to `handle_oversize` instead
//! Placeholders in the datagram are replaced with header values of the last message
//! the engine sent to that source, so static seeds can answer dynamic branches, tags
//! and Call-IDs: `$V` top Via value, `$F` From, `$T` To, `$I` Call-ID, `$Q` CSeq,
//! `$N` CSeq number, `$K` Contact URI, `$R` Request-URI (empty when unknown).
//!
//! Monitoring is configured: a supervisor authenticated by `P-Asserted-Identity`
//! from trunk `uas` (digest cannot be fuzzed blind), so an INVITE to `*81a1` from
//! 10.0.0.1 with `P-Asserted-Identity: <sip:wall@pbx>` becomes a join. The harness
//! plays the monitoring plane at once: odd tickets are refused, even ones admitted to
//! the newest answered call (or to a call that never existed).
//!
//! Set `B2BUA_FUZZ_TRACE=1` to print every datagram and event (for writing seeds).
//!
//! Parse oracle exceptions: the answers the engine builds from an *unparsed* request
//! (400, 505, 513, via `malformed::respond`) echo its Via/From/To/Call-ID/CSeq
//! byte-exact, as RFC 3261 §8.2.6.2 requires, so a request refused for a bad CSeq gets
//! that bad CSeq back and the answer cannot parse either. A message over the size cap
//! (`TooLarge`) is also tolerated: canonical header names can grow a message.

#![no_main]

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sbc_core::config::Config;
use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{
    AgentAfterTakeover, LocalEndpoint, MediaControl, MediaError, MonitoredMedia, RemoteMedia,
    SupervisorNotice,
};
use sbc_core::monitoring::{Admission, MonitorMode, MonitorSessionId};
use sbc_signaling::b2bua::{B2bua, CallEvent, EngineSettings};
use sbc_signaling::metrics::SignalingMetrics;
use sbc_signaling::net::{Peer, TransportKind};
use sbc_signaling::sip::{HeaderName, ParseError, SipMessage};

const DELIMITER: &[u8] = b"\x00\xff\x00\xff";
const SBC: &str = "10.0.0.2:5060";
const PEERS: [&str; 4] = [
    "10.0.0.1:5060",
    "192.0.2.66:5060",
    "10.0.0.3:5060",
    "10.0.0.1:5060",
];
const CONFIG: &str = "[sip]\ntimer_c_secs = 180\n\
    [[sip.listen]]\ntransport = \"udp\"\naddress = \"10.0.0.2:5060\"\n\
    [[trunk]]\nname = \"uas\"\naddress = \"10.0.0.3:5060\"\naccept_from = [\"10.0.0.0/8\"]\n\
    [[route]]\nname = \"default\"\ntarget = \"uas\"\n\
    [[tenant]]\nid = \"t\"\ntrunks = [\"uas\"]\n\
    [[role]]\nname = \"all\"\nmodes = [\"listen\", \"whisper\", \"barge\", \"takeover\"]\n\
    [[supervisor]]\nid = \"wall\"\ntenant = \"t\"\nrole = \"all\"\nwhole_tenant = true\n\
    asserted_identity = \"sip:wall@pbx\"\ntrusted_trunks = [\"uas\"]\n\
    [audit]\npath = \"/nonexistent/fuzz-audit.db\"\n";
/// The quiet period after the script: longer than Timer C (180 s) plus Timer B (32 s).
const DRAIN: Duration = Duration::from_secs(300);
const MAX_DRAIN_STEPS: usize = 100_000;

fuzz_target!(|data: &[u8]| {
    let mut h = Harness::new();
    for chunk in split(data) {
        h.step(chunk);
    }
    h.drain_to_quiet();
});

struct Harness {
    sbc: B2bua,
    media: Arc<FakeMedia>,
    now: Instant,
    /// Per source: the last message the engine sent to it, for placeholders.
    last_to: [Option<SipMessage>; 4],
    started: usize,
    ended: usize,
    /// The newest answered call, for admissions.
    answered: Option<CallRef>,
    sessions: u64,
}

impl Harness {
    fn new() -> Harness {
        let config = match Config::from_toml_str(CONFIG, "fuzz.toml") {
            Ok(c) => c,
            Err(e) => panic!("fuzz harness config: {e}"),
        };
        let settings = EngineSettings {
            config: Arc::new(config),
            signaling: vec![(TransportKind::Udp, addr(SBC))],
            media_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        };
        let media = Arc::new(FakeMedia::default());
        let metrics = Arc::new(SignalingMetrics::default());
        Harness {
            sbc: B2bua::new(settings, media.clone(), metrics, Some(7)),
            media,
            now: Instant::now(),
            last_to: [None, None, None, None],
            started: 0,
            ended: 0,
            answered: None,
            sessions: 0,
        }
    }

    fn step(&mut self, chunk: &[u8]) {
        let Some((&op, payload)) = chunk.split_first() else {
            return;
        };
        let source = usize::from(op & 3);
        self.now += Duration::from_millis(100 * u64::from((op >> 2) & 7));
        if op & 0x20 != 0 {
            self.timeout(self.now);
        }
        let datagram = Bytes::from(self.substitute(source, payload));
        trace(|| {
            format!(
                "{} -> sbc (op {op:#04x}): {}",
                PEERS[source],
                first_line(&datagram)
            )
        });
        let from = Peer::udp(addr(PEERS[source]));
        match op >> 6 {
            1 => {
                self.sbc.handle_inbound(self.now, datagram.clone(), from);
                self.collect();
                self.sbc.handle_inbound(self.now, datagram, from);
            }
            2 => {
                self.media.exhausted.fetch_xor(true, Ordering::Relaxed);
                self.sbc.handle_inbound(self.now, datagram, from);
            }
            3 => self.sbc.handle_oversize(datagram, from),
            _ => self.sbc.handle_inbound(self.now, datagram, from),
        }
        self.collect();
    }

    fn timeout(&mut self, now: Instant) {
        self.sbc.handle_timeout(now);
        self.collect();
        // A timer still due after it fired would spin a real event loop.
        if let Some(next) = self.sbc.poll_timeout() {
            assert!(next > now, "timer due {:?} after firing", now - next);
        }
    }

    /// Runs the engine on its own timers until five minutes have passed: every
    /// transaction and per-call timer started by the script must have run out.
    fn drain_to_quiet(&mut self) {
        let end = self.now + DRAIN;
        let mut steps = 0;
        while let Some(at) = self.sbc.poll_timeout().filter(|t| *t <= end) {
            steps += 1;
            assert!(steps < MAX_DRAIN_STEPS, "timers never settle");
            self.now = self.now.max(at);
            self.timeout(self.now);
        }
        let active = self.sbc.active_calls();
        assert_eq!(
            self.started,
            self.ended + active,
            "every started call ends or is still active"
        );
        let leaked = self.media.unreleased();
        assert!(
            leaked <= active,
            "{leaked} media calls unreleased, {active} active"
        );
        let (transactions, dialogs, roles) = self.sbc.footprint();
        assert_eq!(transactions, 0, "transactions outlive their timers");
        assert_eq!(roles, 0, "client roles / relayed requests leaked");
        assert!(
            active > 0 || dialogs == 0,
            "{dialogs} dialogs outlive every call"
        );
        assert!(
            active > 0 || self.sbc.monitor_footprint() == 0,
            "supervisor legs outlive every call"
        );
    }

    fn collect(&mut self) {
        while let Some(t) = self.sbc.poll_transmit() {
            trace(|| format!("  sbc -> {}: {}", t.peer.addr, first_line(&t.payload)));
            let msg = check_emitted(&t.payload);
            if let (Some(i), Some(msg)) = (PEERS.iter().position(|p| addr(p) == t.peer.addr), msg) {
                self.last_to[i] = Some(msg);
            }
        }
        let mut joins = Vec::new();
        let mut switches = Vec::new();
        while let Some(e) = self.sbc.poll_event() {
            trace(|| format!("  event: {e:?}"));
            match e {
                CallEvent::Started { .. } => self.started += 1,
                CallEvent::Ended(_) => self.ended += 1,
                CallEvent::Answered { call, .. } => self.answered = Some(call),
                CallEvent::MonitorJoin(req) => joins.push(req.ticket),
                // The plane allows every switch, take-over included.
                CallEvent::MonitorDigit { session, digit } => switches.push((session, digit)),
                CallEvent::MonitorStarted { .. }
                | CallEvent::AgentReleased { .. }
                | CallEvent::MonitorEnded { .. }
                | CallEvent::Transferred { .. } => {}
            }
        }
        for (session, digit) in switches {
            if let Some(mode) = MonitorMode::from_dtmf(digit) {
                self.sbc.monitor_set_mode(self.now, session, mode);
                self.collect();
            }
        }
        for ticket in joins {
            if ticket.0 % 2 == 1 {
                self.sbc.monitor_refuse(self.now, ticket, 403, "Forbidden");
            } else {
                self.sessions += 1;
                let adm = Admission {
                    ticket,
                    session: MonitorSessionId(self.sessions),
                    call: self.answered.unwrap_or(CallRef(u64::MAX)),
                    agent_side: LegSide::B,
                    // Every fourth join takes over at once (the agent is released).
                    mode: if ticket.0 % 4 == 0 {
                        MonitorMode::Takeover
                    } else {
                        MonitorMode::Listen
                    },
                    after_takeover: AgentAfterTakeover::Released,
                    agent_beep: false,
                };
                self.sbc.monitor_admit(self.now, adm);
            }
            self.collect();
        }
    }

    fn substitute(&self, source: usize, payload: &[u8]) -> Vec<u8> {
        // Source 3 aliases source 0's address, so it shares its history.
        let last = self.last_to[if source == 3 { 0 } else { source }].as_ref();
        let mut out = Vec::with_capacity(payload.len() + 256);
        let mut i = 0;
        while let Some(&b) = payload.get(i) {
            let value = match (b, payload.get(i + 1)) {
                (b'$', Some(&key)) => placeholder(last, key),
                _ => None,
            };
            match value {
                Some(v) => {
                    out.extend_from_slice(v.as_bytes());
                    i += 2;
                }
                None => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        out
    }
}

/// The value a `$key` placeholder stands for; `None` if `key` is not a placeholder.
fn placeholder(last: Option<&SipMessage>, key: u8) -> Option<String> {
    let header = |name| last.and_then(|m| m.header(name)).unwrap_or("").to_owned();
    Some(match key {
        b'V' => header(HeaderName::Via),
        b'F' => header(HeaderName::From),
        b'T' => header(HeaderName::To),
        b'I' => header(HeaderName::CallId),
        b'Q' => header(HeaderName::CSeq),
        b'N' => last
            .and_then(|m| m.cseq().ok())
            .map(|c| c.seq.to_string())
            .unwrap_or_default(),
        b'K' => last
            .and_then(|m| m.contact())
            .and_then(Result::ok)
            .map(|c| c.uri.to_owned())
            .unwrap_or_default(),
        b'R' => last
            .and_then(SipMessage::request_uri)
            .unwrap_or("")
            .to_owned(),
        _ => return None,
    })
}

/// Asserts that an emitted message parses (see the module doc for the exceptions) and
/// returns it parsed.
fn check_emitted(payload: &Bytes) -> Option<SipMessage> {
    match SipMessage::parse(payload.clone()) {
        Ok(m) => Some(m),
        Err(ParseError::TooLarge { .. }) => None,
        Err(e) => {
            let status = payload
                .strip_prefix(b"SIP/2.0 ")
                .and_then(|rest| rest.get(..3))
                .and_then(|code| std::str::from_utf8(code).ok())
                .and_then(|code| code.parse::<u16>().ok());
            assert!(
                matches!(status, Some(400 | 505 | 513)),
                "the engine emitted an unparsable message ({e}):\n{}",
                String::from_utf8_lossy(payload)
            );
            None
        }
    }
}

fn split(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(DELIMITER.len()).position(|w| w == DELIMITER) {
            Some(at) => {
                rest = r.get(at + DELIMITER.len()..);
                r.get(..at)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

fn trace(line: impl FnOnce() -> String) {
    static ON: OnceLock<bool> = OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("B2BUA_FUZZ_TRACE").is_some()) {
        eprintln!("{}", line());
    }
}

fn first_line(b: &[u8]) -> String {
    let line = b
        .split(|c| *c == b'\r' || *c == b'\n')
        .next()
        .unwrap_or(&[]);
    String::from_utf8_lossy(line).into_owned()
}

fn addr(s: &str) -> SocketAddr {
    match s.parse() {
        Ok(a) => a,
        Err(_) => panic!("harness address {s}"),
    }
}

/// Hands out 10.0.0.2:20000+2n and remembers which calls hold ports, so the end check
/// can tell a call that ended without releasing its media.
#[derive(Default)]
struct FakeMedia {
    next: AtomicU64,
    exhausted: AtomicBool,
    holding: Mutex<HashSet<CallRef>>,
}

impl FakeMedia {
    fn unreleased(&self) -> usize {
        self.holding.lock().map(|h| h.len()).unwrap_or(0)
    }
}

impl MediaControl for FakeMedia {
    fn allocate(
        &self,
        call: CallRef,
        _side: LegSide,
    ) -> Result<(StreamId, LocalEndpoint), MediaError> {
        if self.exhausted.load(Ordering::Relaxed) {
            return Err(MediaError::PortsExhausted);
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let port = 20_000 + 2 * (n % 10_000) as u16;
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        if let Ok(mut h) = self.holding.lock() {
            h.insert(call);
        }
        Ok((
            StreamId(n + 1),
            LocalEndpoint {
                rtp: SocketAddr::new(ip, port),
                rtcp: SocketAddr::new(ip, port + 1),
            },
        ))
    }

    fn set_remote(&self, _stream: StreamId, _remote: RemoteMedia) -> Result<(), MediaError> {
        Ok(())
    }

    fn connect(&self, _a: StreamId, _b: StreamId) -> Result<(), MediaError> {
        Ok(())
    }

    fn release_call(&self, call: CallRef) {
        if let Ok(mut h) = self.holding.lock() {
            h.remove(&call);
        }
    }

    fn allocate_monitor(&self, call: CallRef) -> Result<(StreamId, LocalEndpoint), MediaError> {
        self.allocate(call, LegSide::B)
    }

    fn release_stream(&self, _stream: StreamId) {}

    fn set_monitoring(&self, _media: MonitoredMedia) -> Result<(), MediaError> {
        Ok(())
    }

    fn play_notice(&self, _stream: StreamId, _notice: SupervisorNotice) -> Result<(), MediaError> {
        Ok(())
    }
}
