//! The set-up under test: a one-worker `MediaEngine` on loopback and calls on it, each
//! with a customer, an agent and (when monitored) a supervisor phone. A phone is one
//! UDP socket that sends 20 ms PCMU frames and receives on the same port (symmetric
//! RTP, as the SDP below says). Frames are whole cycles of their tone (160 samples
//! at 8 kHz hold an integral number of periods of 500, 1000 and 1700 Hz), so one
//! precomputed payload per tone repeats seamlessly and Goertzel on one frame is exact.

use std::f64::consts::PI;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};

use anyhow::{anyhow, Result};
use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{
    AgentAfterTakeover, AudioEncoding, AudioFormat, Direction, MediaControl, MonitorLeg,
    MonitoredMedia, RemoteMedia,
};
use sbc_core::monitoring::MonitorMode;
use sbc_media::codec::g711::ulaw_encode;
use sbc_media::{MediaEngine, MediaSettings};

/// Samples in one 20 ms PCMU frame.
pub const FRAME_SAMPLES: usize = 160;
/// RTP header (no CSRC, no extension) + one PCMU frame.
pub const PACKET_BYTES: usize = 12 + FRAME_SAMPLES;
/// Peak amplitude of every tone.
pub const AMPLITUDE: f64 = 8000.0;
/// The supervisor's tone (and the customer's burst in the relay baseline).
pub const BURST_HZ: f64 = 1700.0;
const TELEPHONE_EVENT_PT: u8 = 101;
/// The worker threads' name prefix (`sbc-media-<index>`).
pub const WORKER_PREFIX: &str = "sbc-media-";

/// How a call is served: relayed only, or monitored with one supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Relay,
    Whisper,
    Barge,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Relay => "relay",
            Mode::Whisper => "whisper",
            Mode::Barge => "barge",
        }
    }

    fn monitor(self) -> Option<MonitorMode> {
        match self {
            Mode::Relay => None,
            Mode::Whisper => Some(MonitorMode::Whisper),
            Mode::Barge => Some(MonitorMode::Barge),
        }
    }
}

/// One 20 ms PCMU payload of a tone at `freq` Hz (`None`: silence).
pub fn payload(freq: Option<f64>) -> [u8; FRAME_SAMPLES] {
    let mut out = [0u8; FRAME_SAMPLES];
    for (i, b) in out.iter_mut().enumerate() {
        let v = freq.map_or(0.0, |f| {
            AMPLITUDE * (2.0 * PI * f * i as f64 / 8000.0).sin()
        });
        *b = ulaw_encode(v.round() as i16);
    }
    out
}

/// A phone: its socket, the SBC port it sends to, and its RTP numbering.
pub struct Phone {
    pub sock: UdpSocket,
    pub to: SocketAddr,
    ssrc: u32,
    seq: u16,
    ts: u32,
}

impl Phone {
    fn new(ssrc: u32) -> Result<Phone> {
        let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        sock.set_nonblocking(true)?;
        Ok(Phone {
            sock,
            to: SocketAddr::from((Ipv4Addr::LOCALHOST, 9)),
            ssrc,
            seq: ssrc as u16,
            ts: ssrc.wrapping_mul(7),
        })
    }

    /// Sends the next frame carrying `payload`; false if the kernel refused it.
    pub fn send(&mut self, payload: &[u8; FRAME_SAMPLES]) -> bool {
        let mut pkt = [0u8; PACKET_BYTES];
        pkt[0] = 0x80;
        pkt[2..4].copy_from_slice(&self.seq.to_be_bytes());
        pkt[4..8].copy_from_slice(&self.ts.to_be_bytes());
        pkt[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        pkt[12..].copy_from_slice(payload);
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(FRAME_SAMPLES as u32);
        self.sock.send_to(&pkt, self.to).is_ok()
    }

    /// What this phone says in its SDP: PCMU only, rtcp-mux.
    fn remote(&self) -> Result<RemoteMedia> {
        let addr = self.sock.local_addr()?;
        let pcmu = AudioFormat {
            payload_type: 0,
            encoding: AudioEncoding::Pcmu,
            ptime_ms: None,
        };
        Ok(
            RemoteMedia::new(Some(addr), Some(addr), true, Direction::SendRecv)
                .with_payloads(Some(8000), Some(TELEPHONE_EVENT_PT))
                .with_audio(vec![pcmu]),
        )
    }
}

/// Indices into `BenchCall::phones`.
pub const CUSTOMER: usize = 0;
pub const AGENT: usize = 1;
pub const SUPERVISOR: usize = 2;

/// A call on the engine: customer and agent connected, plus a supervisor when
/// monitored. `phones` is customer, agent[, supervisor].
pub struct BenchCall {
    pub phones: Vec<Phone>,
}

/// A one-worker engine as the daemon runs it (deferred wake-ups), on `ports`.
pub fn engine(ports: (u16, u16)) -> Result<MediaEngine> {
    let mut settings = MediaSettings::new(IpAddr::V4(Ipv4Addr::LOCALHOST), ports.0, ports.1);
    settings.workers = 1;
    settings.defer_wakeups = true;
    MediaEngine::start(settings).map_err(|e| anyhow!("media engine: {e}"))
}

/// Sets call `n` up in `mode` (not yet applied: call `engine.sync()` after the batch).
pub fn add_call(engine: &MediaEngine, n: u64, mode: Mode) -> Result<BenchCall> {
    let call = CallRef(n);
    let err = |what: &'static str| move |e| anyhow!("{what}: {e}");
    let mut phones = Vec::with_capacity(3);
    let mut ids: Vec<StreamId> = Vec::with_capacity(3);
    let parties = if mode.monitor().is_some() { 3 } else { 2 };
    for i in 0..parties {
        let (id, ep) = match i {
            CUSTOMER => engine.allocate(call, LegSide::A),
            AGENT => engine.allocate(call, LegSide::B),
            _ => engine.allocate_monitor(call),
        }
        .map_err(err("allocate"))?;
        let mut phone = Phone::new(0x1000_0000 + (n as u32) * 4 + i as u32)?;
        phone.to = ep.rtp;
        engine
            .set_remote(id, phone.remote()?)
            .map_err(err("set_remote"))?;
        phones.push(phone);
        ids.push(id);
    }
    engine
        .connect(ids[CUSTOMER], ids[AGENT])
        .map_err(err("connect"))?;
    if let Some(mode) = mode.monitor() {
        engine
            .set_monitoring(MonitoredMedia {
                call,
                customer: ids[CUSTOMER],
                agent: ids[AGENT],
                supervisors: vec![MonitorLeg {
                    stream: ids[SUPERVISOR],
                    mode,
                }],
                after_takeover: AgentAfterTakeover::Released,
                agent_beep: false,
            })
            .map_err(err("set_monitoring"))?;
    }
    Ok(BenchCall { phones })
}

/// Engine-wide drop counters, for the notes ("" when none).
pub fn drops(engine: &MediaEngine) -> String {
    let drops = engine.stats().traffic.drops;
    sbc_media::DropReason::ALL
        .iter()
        .filter(|&&r| drops.get(r) > 0)
        .map(|&r| format!("{} {}", r.as_str(), drops.get(r)))
        .collect::<Vec<_>>()
        .join(", ")
}
