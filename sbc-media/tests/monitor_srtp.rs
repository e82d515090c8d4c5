//! A supervisor on SDES-SRTP through the real relay, checked against an independent
//! SRTP implementation (webrtc-srtp): the supervisor's phone protects what it sends
//! and unprotects what it gets with webrtc-srtp, the SBC's stream with the keying
//! signaling gives `set_remote` (the phone's key inbound, the SBC's outbound).
//! Shown: the mixed audio the supervisor hears is SRTP that webrtc-srtp authenticates
//! and decrypts (customer 500 Hz and agent 1000 Hz heard, by Goertzel); the
//! supervisor's SRTP telephone-event is reported as a digit; in whisper its SRTP
//! voice (1800 Hz) is decoded and heard by the agent only; once the phone protects
//! with a key the SBC does not know, nothing of it is heard (packets dropped).

mod common;
mod voice;

use std::f64::consts::PI;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use sbc_core::media::{
    AgentAfterTakeover, Direction, MediaControl, MediaEventKind, RemoteMedia, SrtpKey, SrtpKeying,
    SrtpSuite,
};
use sbc_core::monitoring::MonitorMode::{Listen, Whisper};
use sbc_media::codec::goertzel::tone_amplitude;
use sbc_media::codec::CodecKind::Pcmu;
use sbc_media::codec::{
    AudioCodec, CodecConfig, FrameDuration, MAX_FRAME_SAMPLES, MAX_PAYLOAD_BYTES,
};
use sbc_media::{DropReason, MediaEngine};
use voice::*;
use webrtc_srtp::context::Context;
use webrtc_srtp::protection_profile::ProtectionProfile;

const C: f64 = 500.0;
const A: f64 = 1000.0;
const S: f64 = 1800.0;
const TONES: [f64; 3] = [C, A, S];
const SUITE: SrtpSuite = SrtpSuite::AeadAes128Gcm;
const PROFILE: ProtectionProfile = ProtectionProfile::AeadAes128Gcm;
/// GCM's authentication tag.
const TAG_LEN: usize = 16;

/// Key and salt for `SUITE`, all derived from `seed`.
fn key_salt(seed: u8) -> Vec<u8> {
    (0..SUITE.key_salt_len() as u8)
        .map(|i| i.wrapping_mul(31) ^ seed)
        .collect()
}

fn webrtc(seed: u8) -> Context {
    let ks = key_salt(seed);
    let (key, salt) = ks.split_at(16);
    Context::new(key, salt, PROFILE, None, None).expect("webrtc-srtp context")
}

/// The supervisor's phone: PCMU frames of a tone, SRTP by webrtc-srtp both ways.
struct SrtpPhone {
    sock: UdpSocket,
    to: SocketAddr,
    codec: AudioCodec,
    ssrc: u32,
    seq: u16,
    ts: u32,
    sample: u64,
    tx: Context,
    rx: Context,
    /// (arrival, decoded PCM) of every audio packet that authenticated.
    got: Vec<(Instant, Vec<i16>)>,
    /// Datagrams received, and those that failed SRTP or were too short.
    received: usize,
    bad: usize,
    /// Audio packets whose payload on the wire equals the plain payload.
    in_clear: usize,
}

impl SrtpPhone {
    fn new(phone_seed: u8, sbc_seed: u8) -> Self {
        let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        sock.set_nonblocking(true).unwrap();
        SrtpPhone {
            sock,
            to: SocketAddr::from((Ipv4Addr::LOCALHOST, 9)),
            codec: AudioCodec::new(CodecConfig::new(Pcmu, FrameDuration::Ms20)).unwrap(),
            ssrc: 0x5150_0001,
            seq: 4000,
            ts: 77_000,
            sample: 0,
            tx: webrtc(phone_seed),
            rx: webrtc(sbc_seed),
            got: Vec::new(),
            received: 0,
            bad: 0,
            in_clear: 0,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.sock.local_addr().unwrap()
    }

    fn send(&mut self, plain: &[u8]) {
        let wire = self.tx.encrypt_rtp(plain).expect("webrtc-srtp protects");
        self.sock.send_to(&wire, self.to).unwrap();
    }

    fn send_frame(&mut self) {
        let n = self.codec.samples_per_frame();
        let pcm: Vec<i16> = (0..n)
            .map(|i| {
                let t = (self.sample + i as u64) as f64 / 8000.0;
                (AMPLITUDE * (2.0 * PI * S * t).sin()).round() as i16
            })
            .collect();
        self.sample += n as u64;
        let mut payload = vec![0u8; MAX_PAYLOAD_BYTES];
        let len = self.codec.encode(&pcm, &mut payload).unwrap();
        let mut pkt = rtp_header(0, self.seq, self.ts, self.ssrc);
        pkt.extend_from_slice(&payload[..len]);
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(160);
        self.send(&pkt);
    }

    /// An RFC 4733 key press, as `Voice::send_digit` sends it.
    fn send_digit(&mut self, event: u8) {
        for (dur, end) in [
            (160u16, false),
            (320, false),
            (480, true),
            (480, true),
            (480, true),
        ] {
            let mut pkt = rtp_header(DTMF_PT, self.seq, self.ts, self.ssrc);
            pkt.extend_from_slice(&[event, if end { 0x8a } else { 0x0a }]);
            pkt.extend_from_slice(&dur.to_be_bytes());
            self.seq = self.seq.wrapping_add(1);
            self.send(&pkt);
        }
    }

    fn drain(&mut self) {
        let mut buf = [0u8; 4096];
        loop {
            let n = match self.sock.recv_from(&mut buf) {
                Ok((n, _)) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => panic!("supervisor receive failed: {e}"),
            };
            self.received += 1;
            let wire = &buf[..n];
            let Ok(plain) = self.rx.decrypt_rtp(wire) else {
                self.bad += 1;
                continue;
            };
            if plain.len() < 12 || plain.len() + TAG_LEN != n {
                self.bad += 1;
                continue;
            }
            if plain[1] & 0x7f != 0 {
                continue;
            }
            if wire[12..n - TAG_LEN] == plain[12..] {
                self.in_clear += 1;
            }
            let mut out = [0i16; MAX_FRAME_SAMPLES];
            let samples = self.codec.decode(&plain[12..], &mut out).unwrap_or(0);
            self.got.push((Instant::now(), out[..samples].to_vec()));
        }
    }

    /// Amplitudes of `freqs` in what authenticated since `mark`, after `SETTLE`.
    fn heard(&self, mark: usize, freqs: &[f64]) -> Vec<f64> {
        let window = &self.got[mark..];
        let Some(start) = window.first().map(|(at, _)| *at + SETTLE) else {
            return vec![0.0; freqs.len()];
        };
        let pcm: Vec<i16> = window
            .iter()
            .filter(|(at, _)| *at >= start)
            .flat_map(|(_, pcm)| pcm.iter().copied())
            .collect();
        freqs
            .iter()
            .map(|&f| tone_amplitude(&pcm, f, 8000))
            .collect()
    }
}

impl Talker for SrtpPhone {
    fn drain(&mut self) {
        SrtpPhone::drain(self);
    }
    fn send_frame(&mut self) {
        SrtpPhone::send_frame(self);
    }
}

fn marks(call: &Call, sup: &SrtpPhone) -> (Vec<usize>, usize) {
    (call.marks(), sup.got.len())
}

/// Asserts what customer, agent and supervisor heard since `m`.
fn expect(
    call: &Call,
    sup: &SrtpPhone,
    what: &str,
    m: &(Vec<usize>, usize),
    hears: [[bool; 3]; 3],
) {
    for (i, who) in ["customer", "agent"].iter().enumerate() {
        assert_hears(who, what, &call.heard(i, &m.0, &TONES), &TONES, &hears[i]);
    }
    assert_hears(
        "supervisor",
        what,
        &sup.heard(m.1, &TONES),
        &TONES,
        &hears[2],
    );
}

#[test]
fn an_srtp_supervisor_is_heard_decoded_and_protected() {
    let engine = MediaEngine::start(engine_settings(16)).expect("engine starts");
    let events = engine.take_events().expect("event queue");
    let mut call = Call::new(engine, vec![Party::new(Pcmu, C), Party::new(Pcmu, A)]);
    // The supervisor's stream, keyed as signaling keys it.
    let (phone_seed, sbc_seed) = (0x11, 0x77);
    let mut sup = SrtpPhone::new(phone_seed, sbc_seed);
    let (stream, ep) = call.engine.allocate_monitor(call.call).unwrap();
    sup.to = ep.rtp;
    let key = |seed| SrtpKey::new(SUITE, &key_salt(seed), None).unwrap();
    let remote = RemoteMedia::new(
        Some(sup.addr()),
        Some(sup.addr()),
        true,
        Direction::SendRecv,
    )
    .with_payloads(Some(8000), Some(DTMF_PT))
    .with_audio(vec![format(Pcmu)])
    .with_srtp(SrtpKeying {
        inbound: key(phone_seed),
        outbound: key(sbc_seed),
    });
    call.engine.set_remote(stream, remote).unwrap();
    call.supervisors.push(stream);
    call.engine.sync().unwrap();
    call.talk_with(200, &mut [&mut sup]);

    // Listen: the supervisor hears both parties, in SRTP webrtc-srtp opens.
    let m = marks(&call, &sup);
    call.monitor(&[Listen], AgentAfterTakeover::Released, false);
    call.talk_with(800, &mut [&mut sup]);
    let listen = [
        [false, true, false],
        [true, false, false],
        [true, true, false],
    ];
    expect(&call, &sup, "listen, SRTP supervisor", &m, listen);
    assert!(sup.got.len() - m.1 > 25, "{} packets", sup.got.len() - m.1);
    assert_eq!(sup.bad, 0, "every packet to the supervisor authenticates");
    assert_eq!(sup.in_clear, 0, "no audio payload crossed in the clear");

    // Its SRTP key press is reported for its stream.
    sup.send_digit(3);
    let digit = loop {
        let ev = events
            .recv_timeout(Duration::from_secs(2))
            .expect("the supervisor's digit");
        if let MediaEventKind::Dtmf { digit, .. } = ev.kind {
            assert_eq!((ev.stream, ev.side), (stream, None));
            break digit;
        }
    };
    assert_eq!(digit, '3');

    // Whisper: its SRTP voice is decrypted, decoded and mixed for the agent only.
    let m = marks(&call, &sup);
    call.monitor(&[Whisper], AgentAfterTakeover::Released, false);
    call.talk_with(800, &mut [&mut sup]);
    let whisper = [
        [false, true, false],
        [true, false, true],
        [true, true, false],
    ];
    expect(&call, &sup, "whisper, SRTP supervisor", &m, whisper);
    assert_eq!(sup.bad, 0);
    let drops = call.engine.stream_stats(stream).unwrap().drops;
    assert_eq!(drops.get(DropReason::SrtpAuth), 0, "{drops:?}");

    // Protected with a key the SBC was not given: dropped, not heard.
    sup.tx = webrtc(0x42);
    let m = marks(&call, &sup);
    call.talk_with(600, &mut [&mut sup]);
    expect(&call, &sup, "whisper, wrong key", &m, listen);
    let drops = call.engine.stream_stats(stream).unwrap().drops;
    assert!(drops.get(DropReason::SrtpAuth) >= 20, "{drops:?}");
}
