//! Talking phones for the monitoring tests: each sends a pure tone as 20 ms RTP
//! frames in its own codec (optionally SRTP), in real time, and keeps everything it
//! receives (plain bytes, arrival, decoded PCM by payload type) for analysis with
//! Goertzel. `Call` sets up customer, agent and supervisors around one engine.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::HashMap;
use std::f64::consts::PI;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{
    AgentAfterTakeover, AudioEncoding, AudioFormat, Direction, MediaControl, MonitorLeg,
    MonitoredMedia, RemoteMedia, SrtpKey, SrtpKeying, SrtpSuite,
};
use sbc_core::monitoring::MonitorMode;
use sbc_media::codec::goertzel::tone_amplitude;
use sbc_media::codec::MAX_PAYLOAD_BYTES;
use sbc_media::codec::{AudioCodec, CodecConfig, CodecKind, FrameDuration, MAX_FRAME_SAMPLES};
use sbc_media::srtp::{SrtpConfig, SrtpContext, Suite};
use sbc_media::{MediaEngine, MediaSettings};

pub const FRAME: Duration = Duration::from_millis(20);
/// Peak amplitude of every phone's tone.
pub const AMPLITUDE: f64 = 6000.0;
pub const OPUS_PT: u8 = 111;
pub const DTMF_PT: u8 = 101;

/// A codec as SDP lists it.
pub fn format(kind: CodecKind) -> AudioFormat {
    let (payload_type, encoding) = match kind {
        CodecKind::Pcmu => (0, AudioEncoding::Pcmu),
        CodecKind::Pcma => (8, AudioEncoding::Pcma),
        CodecKind::G722 => (9, AudioEncoding::G722),
        CodecKind::Opus => (OPUS_PT, AudioEncoding::Opus),
    };
    AudioFormat {
        payload_type,
        encoding,
        ptime_ms: None,
    }
}

fn kind_of(pt: u8) -> Option<CodecKind> {
    match pt {
        0 => Some(CodecKind::Pcmu),
        8 => Some(CodecKind::Pcma),
        9 => Some(CodecKind::G722),
        OPUS_PT => Some(CodecKind::Opus),
        _ => None,
    }
}

/// One received packet.
pub struct Rx {
    pub at: Instant,
    /// The plain RTP packet (after SRTP, for an SRTP phone).
    pub pkt: Vec<u8>,
    pub pcm: Vec<i16>,
    pub rate: u32,
}

impl Rx {
    pub fn seq(&self) -> u16 {
        u16::from_be_bytes([self.pkt[2], self.pkt[3]])
    }
    pub fn ts(&self) -> u32 {
        u32::from_be_bytes([self.pkt[4], self.pkt[5], self.pkt[6], self.pkt[7]])
    }
    pub fn ssrc(&self) -> u32 {
        u32::from_be_bytes([self.pkt[8], self.pkt[9], self.pkt[10], self.pkt[11]])
    }
    pub fn pt(&self) -> u8 {
        self.pkt[1] & 0x7f
    }
}

/// SRTP keys of one leg: the phone's and the SBC's.
pub struct LegKeys {
    pub phone: SrtpKey,
    pub sbc: SrtpKey,
}

impl LegKeys {
    pub fn new(seed: u8) -> Self {
        let suite = SrtpSuite::AesCm128HmacSha1_80;
        let key = |s: u8| {
            let bytes: Vec<u8> = (0..suite.key_salt_len() as u8).map(|i| i ^ s).collect();
            SrtpKey::new(suite, &bytes, None).unwrap()
        };
        LegKeys {
            phone: key(seed),
            sbc: key(seed.wrapping_add(100)),
        }
    }

    fn ctx(key: &SrtpKey) -> SrtpContext {
        let suite = Suite::AesCm128HmacSha1_80;
        let (m, s) = key.key_salt().split_at(suite.key_len());
        SrtpContext::new(suite, m, s, &SrtpConfig::default()).unwrap()
    }
}

/// A phone sending one tone.
pub struct Voice {
    pub sock: UdpSocket,
    /// The SBC port it talks to.
    pub to: SocketAddr,
    pub tone: f64,
    codec: AudioCodec,
    pub pt: u8,
    pub ssrc: u32,
    seq: u16,
    ts: u32,
    sample: u64,
    tx: Option<SrtpContext>,
    rx: Option<SrtpContext>,
    decoders: HashMap<u8, AudioCodec>,
    /// Plain packets sent, in order.
    pub sent: Vec<Vec<u8>>,
    pub got: Vec<Rx>,
    /// Packets that failed SRTP or could not be parsed.
    pub bad: usize,
    /// Mute the tone (send silence) while false.
    pub talking: bool,
}

impl Voice {
    pub fn new(kind: CodecKind, tone: f64, ssrc: u32) -> Self {
        let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        sock.set_nonblocking(true).unwrap();
        Voice {
            sock,
            to: SocketAddr::from((Ipv4Addr::LOCALHOST, 9)),
            tone,
            codec: AudioCodec::new(CodecConfig::new(kind, FrameDuration::Ms20)).unwrap(),
            pt: format(kind).payload_type,
            ssrc,
            seq: (ssrc as u16).wrapping_mul(7),
            ts: ssrc.wrapping_mul(13),
            sample: 0,
            tx: None,
            rx: None,
            decoders: HashMap::new(),
            sent: Vec::new(),
            got: Vec::new(),
            bad: 0,
            talking: true,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.sock.local_addr().unwrap()
    }

    /// Sends in `kind` from now on (after a re-INVITE), same SSRC and numbering.
    pub fn set_codec(&mut self, kind: CodecKind) {
        self.codec = AudioCodec::new(CodecConfig::new(kind, FrameDuration::Ms20)).unwrap();
        self.pt = format(kind).payload_type;
        self.sample = 0;
    }

    pub fn use_srtp(&mut self, keys: &LegKeys) {
        self.tx = Some(LegKeys::ctx(&keys.phone));
        self.rx = Some(LegKeys::ctx(&keys.sbc));
    }

    /// Sends one 20 ms frame of the tone.
    pub fn send_frame(&mut self) {
        let rate = f64::from(self.codec.sample_rate().hz());
        let n = self.codec.samples_per_frame();
        let pcm: Vec<i16> = (0..n)
            .map(|i| {
                let t = (self.sample + i as u64) as f64 / rate;
                let v = AMPLITUDE * (2.0 * PI * self.tone * t).sin();
                if self.talking {
                    v.round() as i16
                } else {
                    0
                }
            })
            .collect();
        self.sample += n as u64;
        let mut payload = vec![0u8; MAX_PAYLOAD_BYTES];
        let len = self.codec.encode(&pcm, &mut payload).unwrap();
        let mut pkt = rtp_header(self.pt, self.seq, self.ts, self.ssrc);
        pkt.extend_from_slice(&payload[..len]);
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(self.codec.timestamp_increment());
        self.send_plain(pkt);
    }

    /// Sends an RFC 4733 key press (start, update, three ends) in its own timestamp.
    pub fn send_digit(&mut self, event: u8) {
        let ts = self.ts;
        for (dur, end) in [
            (160u16, false),
            (320, false),
            (480, true),
            (480, true),
            (480, true),
        ] {
            let mut pkt = rtp_header(DTMF_PT, self.seq, ts, self.ssrc);
            pkt.extend_from_slice(&[event, if end { 0x8a } else { 0x0a }]);
            pkt.extend_from_slice(&dur.to_be_bytes());
            self.seq = self.seq.wrapping_add(1);
            self.send_plain(pkt);
        }
    }

    fn send_plain(&mut self, pkt: Vec<u8>) {
        let wire = match &mut self.tx {
            Some(ctx) => {
                let mut buf = vec![0u8; pkt.len() + 64];
                buf[..pkt.len()].copy_from_slice(&pkt);
                let n = ctx.protect_rtp(&mut buf, pkt.len()).unwrap();
                buf.truncate(n);
                buf
            }
            None => pkt.clone(),
        };
        self.sock.send_to(&wire, self.to).unwrap();
        self.sent.push(pkt);
    }

    /// Reads everything queued, decoding audio by payload type.
    pub fn drain(&mut self) {
        let mut buf = [0u8; 4096];
        loop {
            let n = match self.sock.recv_from(&mut buf) {
                Ok((n, _)) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => panic!("phone receive failed: {e}"),
            };
            let at = Instant::now();
            let mut pkt = buf[..n].to_vec();
            if let Some(ctx) = &mut self.rx {
                match ctx.unprotect_rtp(&mut pkt) {
                    Ok(len) => pkt.truncate(len),
                    Err(_) => {
                        self.bad += 1;
                        continue;
                    }
                }
            }
            if pkt.len() < 12 {
                self.bad += 1;
                continue;
            }
            let pt = pkt[1] & 0x7f;
            let (pcm, rate) = match kind_of(pt) {
                Some(kind) => {
                    let dec = self.decoders.entry(pt).or_insert_with(|| {
                        AudioCodec::new(CodecConfig::new(kind, FrameDuration::Ms20)).unwrap()
                    });
                    let mut out = [0i16; MAX_FRAME_SAMPLES];
                    let n = dec.decode(&pkt[12..], &mut out).unwrap_or(0);
                    (out[..n].to_vec(), dec.sample_rate().hz())
                }
                None => (Vec::new(), 0),
            };
            self.got.push(Rx { at, pkt, pcm, rate });
        }
    }

    /// The amplitude of each of `freqs` in what arrived in `got[from..to]`, skipping
    /// `settle` after the window opened (only packets at the window's last rate).
    pub fn amplitudes(
        &self,
        (from, to): (usize, usize),
        settle: Duration,
        freqs: &[f64],
    ) -> Vec<f64> {
        let window = &self.got[from..to];
        let Some(start) = window.first().map(|r| r.at + settle) else {
            return vec![0.0; freqs.len()];
        };
        let rate = window
            .iter()
            .rev()
            .find(|r| r.rate > 0)
            .map_or(0, |r| r.rate);
        let pcm: Vec<i16> = window
            .iter()
            .filter(|r| r.at >= start && r.rate == rate)
            .flat_map(|r| r.pcm.iter().copied())
            .collect();
        freqs
            .iter()
            .map(|&f| tone_amplitude(&pcm, f, rate.max(1)))
            .collect()
    }

    /// The amplitude of `freq` in each audio packet of `got[from..to]`, in order.
    pub fn packet_levels(&self, (from, to): (usize, usize), freq: f64) -> Vec<f64> {
        self.got[from..to]
            .iter()
            .filter(|r| r.rate > 0)
            .map(|r| tone_amplitude(&r.pcm, freq, r.rate))
            .collect()
    }

    /// Audio packets received in `got[from..to]` after `settle`.
    pub fn audio_packets(&self, (from, to): (usize, usize), settle: Duration) -> usize {
        let window = &self.got[from..to];
        let Some(start) = window.first().map(|r| r.at + settle) else {
            return 0;
        };
        window
            .iter()
            .filter(|r| r.at >= start && r.rate > 0)
            .count()
    }
}

pub fn rtp_header(pt: u8, seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p
}

/// Asserts which of the tones `freqs` are heard (`expected`) in an amplitude list.
pub fn assert_hears(who: &str, what: &str, amps: &[f64], freqs: &[f64], expected: &[bool]) {
    for ((a, f), on) in amps.iter().zip(freqs).zip(expected) {
        let ok = if *on {
            *a > 0.7 * AMPLITUDE
        } else {
            *a < 0.05 * AMPLITUDE
        };
        assert!(
            ok,
            "{what}: {who} {} {f} Hz (amplitude {a:.0}; all {amps:.0?} for {freqs:?})",
            if *on {
                "should hear"
            } else {
                "should not hear"
            }
        );
    }
}

/// The lengths of the runs of consecutive levels above `threshold` (bursts of a
/// tone, in packets).
pub fn bursts(levels: &[f64], threshold: f64) -> Vec<usize> {
    levels
        .split(|l| *l <= threshold)
        .map(<[f64]>::len)
        .filter(|n| *n > 0)
        .collect()
}

/// Asserts `got` is one RTP stream: one SSRC, sequence numbers +1, timestamps only
/// forward and, over the whole run, advancing with the time that passed (`clock`
/// Hz), whatever fed it.
pub fn assert_continuous(who: &str, got: &[Rx], clock: u32) {
    let audio: Vec<&Rx> = got.iter().filter(|r| r.rate > 0).collect();
    assert!(audio.len() > 10, "{who}: too few packets ({})", audio.len());
    let first = audio[0];
    for w in audio.windows(2) {
        let (p, q) = (w[0], w[1]);
        assert_eq!(
            q.ssrc(),
            first.ssrc(),
            "{who}: SSRC changed at seq {}",
            q.seq()
        );
        assert_eq!(
            q.seq(),
            p.seq().wrapping_add(1),
            "{who}: sequence gap after {}",
            p.seq()
        );
        let dts = q.ts().wrapping_sub(p.ts());
        assert!(
            dts > 0 && dts < clock,
            "{who}: timestamp step {dts} at seq {} (ts {} -> {})",
            q.seq(),
            p.ts(),
            q.ts()
        );
    }
    let last = audio[audio.len() - 1];
    let media_s = f64::from(last.ts().wrapping_sub(first.ts())) / f64::from(clock);
    let wall_s = last.at.duration_since(first.at).as_secs_f64();
    assert!(
        (media_s - wall_s).abs() < 0.25 + 0.1 * wall_s,
        "{who}: timestamps advanced {media_s:.3} s in {wall_s:.3} s"
    );
}

/// Customer, agent and supervisors of one monitored call on a one-worker engine.
pub struct Call {
    pub engine: MediaEngine,
    pub call: CallRef,
    pub customer: StreamId,
    pub agent: StreamId,
    pub supervisors: Vec<StreamId>,
    /// Phones: customer, agent, then the supervisors.
    pub phones: Vec<Voice>,
    pub t0: Instant,
    pub ticks: u32,
}

/// What one party of a `Call` is.
pub struct Party {
    pub kind: CodecKind,
    pub tone: f64,
    /// The SDP's mixable formats (default: the party's own codec).
    pub audio: Option<Vec<AudioFormat>>,
    pub srtp: Option<LegKeys>,
}

impl Party {
    pub fn new(kind: CodecKind, tone: f64) -> Self {
        Party {
            kind,
            tone,
            audio: None,
            srtp: None,
        }
    }
}

/// What phone `v` of party `p` says in its SDP.
pub fn remote_of(v: &Voice, p: &Party) -> RemoteMedia {
    let audio = p.audio.clone().unwrap_or_else(|| vec![format(p.kind)]);
    let clock = format(p.kind).encoding.rtp_clock_rate();
    let remote = RemoteMedia::new(Some(v.addr()), Some(v.addr()), true, Direction::SendRecv)
        .with_payloads(Some(clock), Some(DTMF_PT))
        .with_audio(audio);
    match &p.srtp {
        Some(keys) => remote.with_srtp(SrtpKeying {
            inbound: keys.phone.clone(),
            outbound: keys.sbc.clone(),
        }),
        None => remote,
    }
}

/// A one-worker engine (a call's streams and mixer share a worker anyway).
pub fn engine_settings(pairs: u16) -> MediaSettings {
    crate::common::settings(pairs, 1)
}

impl Call {
    /// Allocates and connects customer and agent, allocates the supervisors' streams
    /// (not yet monitoring), points everything at the phones.
    pub fn new(engine: MediaEngine, parties: Vec<Party>) -> Self {
        let call = CallRef(42);
        let mut phones = Vec::new();
        let mut ids = Vec::new();
        for (i, p) in parties.iter().enumerate() {
            let (id, ep) = match i {
                0 => engine.allocate(call, LegSide::A),
                1 => engine.allocate(call, LegSide::B),
                _ => engine.allocate_monitor(call),
            }
            .unwrap();
            let mut v = Voice::new(p.kind, p.tone, 0x1000_0000 + i as u32 * 0x111);
            v.to = ep.rtp;
            if let Some(keys) = &p.srtp {
                v.use_srtp(keys);
            }
            engine.set_remote(id, remote_of(&v, p)).unwrap();
            phones.push(v);
            ids.push(id);
        }
        engine.connect(ids[0], ids[1]).unwrap();
        engine.sync().unwrap();
        Call {
            engine,
            call,
            customer: ids[0],
            agent: ids[1],
            supervisors: ids[2..].to_vec(),
            phones,
            t0: Instant::now(),
            ticks: 0,
        }
    }

    /// Sets the monitoring picture: supervisor `i` in `modes[i]` (fewer modes than
    /// supervisors leaves the rest out).
    pub fn monitor(&self, modes: &[MonitorMode], after: AgentAfterTakeover, beep: bool) {
        self.engine
            .set_monitoring(self.picture(modes, after, beep))
            .unwrap();
        self.engine.sync().unwrap();
    }

    pub fn picture(
        &self,
        modes: &[MonitorMode],
        after: AgentAfterTakeover,
        beep: bool,
    ) -> MonitoredMedia {
        MonitoredMedia {
            call: self.call,
            customer: self.customer,
            agent: self.agent,
            supervisors: modes
                .iter()
                .zip(&self.supervisors)
                .map(|(&mode, &stream)| MonitorLeg { stream, mode })
                .collect(),
            after_takeover: after,
            agent_beep: beep,
        }
    }

    /// Every phone sends a frame every 20 ms for `ms`, in real time (an absolute
    /// schedule: a late turn is caught up, never drifts), and drains its socket.
    pub fn talk(&mut self, ms: u32) {
        self.talk_with(ms, &mut []);
    }

    /// As [`Call::talk`], with `others` (phones a test brings, e.g. an SRTP one)
    /// driven on the same schedule.
    pub fn talk_with(&mut self, ms: u32, others: &mut [&mut dyn Talker]) {
        for _ in 0..ms / 20 {
            let due = self.t0 + FRAME * self.ticks;
            loop {
                for p in &mut self.phones {
                    p.drain();
                }
                for o in others.iter_mut() {
                    o.drain();
                }
                let now = Instant::now();
                if now >= due {
                    break;
                }
                std::thread::sleep((due - now).min(Duration::from_millis(4)));
            }
            for p in &mut self.phones {
                p.send_frame();
            }
            for o in others.iter_mut() {
                o.send_frame();
            }
            self.ticks += 1;
        }
        self.settle();
        for o in others.iter_mut() {
            o.drain();
        }
    }

    /// Waits out what is still in flight and drains every phone: a mixer tick can
    /// send one last packet between a phase's final drain and a control change taking
    /// effect, so phase marks are taken after this.
    pub fn settle(&mut self) {
        std::thread::sleep(Duration::from_millis(30));
        for p in &mut self.phones {
            p.drain();
        }
    }

    /// Party `i` re-INVITEs to `p` (new formats) and its phone switches codec.
    pub fn reinvite(&mut self, i: usize, p: &Party) {
        let ids: Vec<StreamId> = [self.customer, self.agent]
            .into_iter()
            .chain(self.supervisors.iter().copied())
            .collect();
        self.phones[i].set_codec(p.kind);
        self.engine
            .set_remote(ids[i], remote_of(&self.phones[i], p))
            .unwrap();
        self.engine.sync().unwrap();
    }

    /// How many packets each phone has received so far (phase boundaries).
    pub fn marks(&self) -> Vec<usize> {
        self.phones.iter().map(|p| p.got.len()).collect()
    }

    /// Amplitudes of `freqs` at phone `i` since `marks`.
    pub fn heard(&self, i: usize, marks: &[usize], freqs: &[f64]) -> Vec<f64> {
        let p = &self.phones[i];
        p.amplitudes((marks[i], p.got.len()), SETTLE, freqs)
    }
}

/// Time after a switch before a phase's audio is analysed: jitter buffer (20-60 ms),
/// a tick, codec delay, and the old audio draining.
pub const SETTLE: Duration = Duration::from_millis(200);

/// A phone outside the call's own list that `Call::talk_with` drives: it reads what
/// arrived and sends one 20 ms frame per tick.
pub trait Talker {
    fn drain(&mut self);
    fn send_frame(&mut self);
}
