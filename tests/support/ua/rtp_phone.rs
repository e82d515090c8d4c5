//! A Rust RTP media endpoint for end-to-end tests ("a phone"): one UDP
//! socket and one thread that sends a pure tone as 20 ms frames on a
//! monotonic schedule (PCMU, PCMA, G.722 or Opus), RFC 4733 digits on
//! request, and receives, logs and decodes whatever arrives. The test then
//! asks who was heard (`heard`, `listen`), checks continuity and DTMF, and
//! compares sent and received payloads bit for bit.
//!
//! Control goes to the thread over a channel; the logs come back through
//! one mutex per phone. The thread is joined on `stop` and on drop. RTCP
//! arriving on the socket (the SDP's `a=rtcp` names the RTP port) is counted
//! and otherwise ignored.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::super::tone::ToneReport;
use super::phone_codec::PhoneCodec;
use super::phone_thread::{Command, PhoneThread};
use super::rtp_checks::{self, Continuity, DtmfDigit, PayloadMatch};
use super::rtp_log::{PacketRecord, PhoneLogs, ReceiveCounters};
use super::rtp_packet::dtmf_event;
use super::rtp_sender::SendMode;
use super::rtp_tones::{self, Listening};
use super::sdp::{LocalMedia, RtpMap};
use super::{keys, UaError};

/// How a phone starts.
#[derive(Debug, Clone)]
pub struct PhoneConfig {
    pub ip: IpAddr,
    /// The codec it sends (and decodes).
    pub codec: PhoneCodec,
    /// Further codecs it decodes by payload type.
    pub also_decode: Vec<PhoneCodec>,
    /// The telephone-event payload type (sent and recognised).
    pub dtmf_pt: u8,
    /// Peak amplitude of the tone (full scale 32767).
    pub amplitude: i16,
    /// Records kept in each of the sent and received logs.
    pub log_capacity: usize,
}

impl PhoneConfig {
    /// A phone on `ip` sending `codec`, DTMF on PT 101, a -12 dBFS tone and
    /// logs of 15000 packets (5 minutes) each way.
    pub fn new(ip: IpAddr, codec: PhoneCodec) -> PhoneConfig {
        PhoneConfig {
            ip,
            codec,
            also_decode: Vec::new(),
            dtmf_pt: 101,
            amplitude: 8000,
            log_capacity: 15_000,
        }
    }
}

/// A running phone.
#[derive(Debug)]
pub struct RtpPhone {
    local: SocketAddr,
    ssrc: u32,
    codec: PhoneCodec,
    dtmf_pt: u8,
    commands: mpsc::Sender<Command>,
    logs: Arc<Mutex<PhoneLogs>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<(), UaError>>>,
}

impl RtpPhone {
    /// Binds a port on `config.ip` and starts the thread; it sends nothing
    /// until it has a remote address and a mode.
    pub fn start(config: PhoneConfig) -> Result<RtpPhone, UaError> {
        let sock = UdpSocket::bind(SocketAddr::new(config.ip, 0))
            .map_err(|e| UaError::io(format!("bind RTP socket on {}", config.ip), e))?;
        let local = sock
            .local_addr()
            .map_err(|e| UaError::io("RTP socket address", e))?;
        let ssrc = keys::random_u64() as u32;
        let logs = Arc::new(Mutex::new(PhoneLogs::new(config.log_capacity)));
        let stop = Arc::new(AtomicBool::new(false));
        let (commands, rx) = mpsc::channel();
        let worker = PhoneThread::new(sock, &config, ssrc, rx, Arc::clone(&logs))?;
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("test-rtp-phone".into())
            .spawn(move || worker.run(&flag))
            .map_err(|e| UaError::io("spawn the RTP phone thread", e))?;
        Ok(RtpPhone {
            local,
            ssrc,
            codec: config.codec,
            dtmf_pt: config.dtmf_pt,
            commands,
            logs,
            stop,
            thread: Some(thread),
        })
    }

    /// Our RTP address.
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// The SSRC of what we send.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Our side for the SDP (RTCP named on the RTP port, see the module doc).
    pub fn local_media(&self) -> LocalMedia {
        LocalMedia {
            ip: self.local.ip(),
            rtp_port: self.local.port(),
            rtcp_port: self.local.port(),
            crypto: Vec::new(),
        }
    }

    /// The payload formats to put in our SDP: the codec, then telephone-event.
    pub fn rtpmaps(&self) -> Vec<RtpMap> {
        vec![
            self.codec.rtpmap(),
            RtpMap::telephone_event(self.dtmf_pt, self.codec.clock_rate()),
        ]
    }

    /// An SDP offer or answer for this phone (RTP/AVP, sendrecv).
    pub fn sdp(&self) -> String {
        let id = keys::random_u64() >> 1;
        self.local_media()
            .to_sdp_with(id, 1, &self.rtpmaps(), "sendrecv")
    }

    /// Where to send (the SBC's address from its SDP).
    pub fn set_remote(&self, remote: SocketAddr) {
        self.command(Command::Remote(remote));
    }

    /// Sends a tone of `freq_hz` from the next slot on.
    pub fn play_tone(&self, freq_hz: f64) {
        self.command(Command::Mode(SendMode::Tone(freq_hz)));
    }

    /// Sends frames of silence (the stream goes on).
    pub fn play_silence(&self) {
        self.command(Command::Mode(SendMode::Silence));
    }

    /// Sends no audio (queued digits still go out).
    pub fn stop_sending(&self) {
        self.command(Command::Mode(SendMode::Stop));
    }

    /// Switches the codec we send (and decode), e.g. to the PT the SBC chose.
    pub fn set_codec(&mut self, codec: PhoneCodec) {
        self.codec = codec;
        self.command(Command::Codec(codec));
    }

    /// Decodes `codec` too when it arrives.
    pub fn also_decode(&self, codec: PhoneCodec) {
        self.command(Command::Decode(codec));
    }

    /// The telephone-event PT to send and recognise.
    pub fn set_dtmf_pt(&mut self, pt: u8) {
        self.dtmf_pt = pt;
        self.command(Command::DtmfPt(pt));
    }

    /// Queues an RFC 4733 digit (`0`-`9`, `*`, `#`, `A`-`D`) lasting
    /// `duration`; it replaces the audio while it is sent.
    pub fn send_digit(&self, digit: char, duration: Duration) -> Result<(), UaError> {
        let event = dtmf_event(digit)
            .ok_or_else(|| UaError::MediaPeer(format!("{digit:?} is not a DTMF digit")))?;
        self.command(Command::Digit(event, duration));
        Ok(())
    }

    /// Forgets everything logged so far (both ways) and the counters.
    pub fn clear_logs(&self) {
        let mut logs = self.lock();
        logs.sent.clear();
        logs.received.clear();
        logs.counters = ReceiveCounters::default();
    }

    /// Copies of the received packets, oldest first.
    pub fn received(&self) -> Vec<PacketRecord> {
        self.lock().received.iter().cloned().collect()
    }

    /// Copies of the received packets with `from <= arrival < to`.
    pub fn received_between(&self, from: Instant, to: Instant) -> Vec<PacketRecord> {
        let logs = self.lock();
        logs.received
            .between(from, to)
            .into_iter()
            .cloned()
            .collect()
    }

    /// Copies of the sent packets, oldest first.
    pub fn sent(&self) -> Vec<PacketRecord> {
        self.lock().sent.iter().cloned().collect()
    }

    /// Packets received and sent so far (including those dropped from the logs).
    pub fn counts(&self) -> (u64, u64) {
        let logs = self.lock();
        (logs.received.total, logs.sent.total)
    }

    pub fn counters(&self) -> ReceiveCounters {
        self.lock().counters
    }

    /// Whether `freq_hz` alone was heard between `from` and `to`.
    pub fn heard(&self, freq_hz: f64, from: Instant, to: Instant) -> ToneReport {
        rtp_tones::heard(self.lock().received.between(from, to), freq_hz)
    }

    /// The share of each of `freqs` per received stream in the last `window`.
    pub fn listen(&self, freqs: &[f64], window: Duration) -> Listening {
        let to = Instant::now();
        self.listen_between(freqs, to.checked_sub(window).unwrap_or(to), to)
    }

    /// The share of each of `freqs` per received stream between `from` and `to`.
    pub fn listen_between(&self, freqs: &[f64], from: Instant, to: Instant) -> Listening {
        rtp_tones::listen(self.lock().received.between(from, to), freqs)
    }

    /// Continuity of what was received between `from` and `to`.
    pub fn continuity(&self, from: Instant, to: Instant, tolerance: Duration) -> Continuity {
        rtp_checks::continuity(self.lock().received.between(from, to), tolerance)
    }

    /// The RFC 4733 events received.
    pub fn dtmf_received(&self) -> Vec<DtmfDigit> {
        rtp_checks::dtmf_digits(self.lock().received.iter())
    }

    /// The RFC 4733 events sent.
    pub fn dtmf_sent(&self) -> Vec<DtmfDigit> {
        rtp_checks::dtmf_digits(self.lock().sent.iter())
    }

    /// How much of what `self` received is what `sender` sent, in order.
    pub fn matches_sent_by(&self, sender: &RtpPhone) -> PayloadMatch {
        // Received first: every packet in that snapshot was sent before it was read,
        // so the later snapshot of the sender's log holds them all (the other order
        // races with a packet sent and received between the two reads).
        let received = self.received();
        let sent = sender.sent();
        rtp_checks::match_payloads(&sent, &received)
    }

    /// Stops the thread and joins it; reports a failure of the thread.
    pub fn stop(mut self) -> Result<(), UaError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), UaError> {
        self.stop.store(true, Ordering::Relaxed);
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        thread
            .join()
            .unwrap_or_else(|_| Err(UaError::MediaPeer("the RTP phone thread panicked".into())))
    }

    fn command(&self, command: Command) {
        // The thread only ends on stop or a socket error, which `stop` reports.
        let _ = self.commands.send(command);
    }

    fn lock(&self) -> MutexGuard<'_, PhoneLogs> {
        // A panic while holding the lock cannot leave the logs inconsistent
        // in a way that matters to a test: take them anyway.
        self.logs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for RtpPhone {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}
