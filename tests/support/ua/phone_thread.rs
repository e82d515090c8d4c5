//! The RTP phone's thread: applies the test's commands, sends the slot's
//! packet when its time comes (slot n is due at start + n x 20 ms, so the
//! pace never drifts; a thread more than a few slots late skips them, as a
//! real phone's lost frames), and in between receives, logs and decodes.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use super::phone_codec::{Coder, PhoneCodec};
use super::rtp_log::{PacketRecord, PayloadKind, PhoneLogs};
use super::rtp_packet::{is_rtcp, RtpHeader};
use super::rtp_phone::PhoneConfig;
use super::rtp_sender::{SendMode, Sender, FRAME};
use super::{keys, UaError};

/// Slots the thread may fall behind before it skips instead of bursting.
const MAX_BURST: u64 = 5;

/// What the test asks of the thread.
#[derive(Debug, Clone, Copy)]
pub enum Command {
    Remote(SocketAddr),
    Mode(SendMode),
    Codec(PhoneCodec),
    Decode(PhoneCodec),
    DtmfPt(u8),
    Digit(u8, Duration),
}

pub struct PhoneThread {
    sock: UdpSocket,
    commands: mpsc::Receiver<Command>,
    logs: Arc<Mutex<PhoneLogs>>,
    sender: Sender,
    remote: Option<SocketAddr>,
    /// When slot 0 was due (set when the remote is first known).
    start: Option<Instant>,
    dtmf_pt: u8,
    /// The codecs we decode, by payload type.
    codecs: HashMap<u8, PhoneCodec>,
    /// One decoder per (SSRC, PT): each source keeps its own codec state.
    decoders: HashMap<(u32, u8), Coder>,
    out: Vec<u8>,
    buf: Vec<u8>,
}

impl PhoneThread {
    pub fn new(
        sock: UdpSocket,
        config: &PhoneConfig,
        ssrc: u32,
        commands: mpsc::Receiver<Command>,
        logs: Arc<Mutex<PhoneLogs>>,
    ) -> Result<PhoneThread, UaError> {
        let r = keys::random_u64();
        let sender = Sender::new(
            config.codec,
            ssrc,
            r as u16,
            (r >> 32) as u32,
            config.amplitude,
            config.dtmf_pt,
        )?;
        let codecs = std::iter::once(config.codec)
            .chain(config.also_decode.iter().copied())
            .map(|c| (c.pt(), c))
            .collect();
        Ok(PhoneThread {
            sock,
            commands,
            logs,
            sender,
            remote: None,
            start: None,
            dtmf_pt: config.dtmf_pt,
            codecs,
            decoders: HashMap::new(),
            out: Vec::with_capacity(1500),
            buf: vec![0; 2048],
        })
    }

    pub fn run(mut self, stop: &AtomicBool) -> Result<(), UaError> {
        while !stop.load(Ordering::Relaxed) {
            self.apply_commands()?;
            let wait = self.send_due()?;
            self.receive(wait)?;
        }
        Ok(())
    }

    fn apply_commands(&mut self) -> Result<(), UaError> {
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::Remote(addr) => {
                    self.remote = Some(addr);
                    self.start.get_or_insert_with(Instant::now);
                }
                Command::Mode(mode) => self.sender.set_mode(mode),
                Command::Codec(codec) => {
                    self.sender.set_codec(codec)?;
                    self.codecs.insert(codec.pt(), codec);
                }
                Command::Decode(codec) => {
                    self.codecs.insert(codec.pt(), codec);
                }
                Command::DtmfPt(pt) => {
                    self.dtmf_pt = pt;
                    self.sender.set_dtmf_pt(pt);
                }
                Command::Digit(event, duration) => self.sender.queue_digit(event, duration),
            }
        }
        Ok(())
    }

    /// Sends every slot that is due; returns how long to wait for the next.
    fn send_due(&mut self) -> Result<Duration, UaError> {
        let (Some(remote), Some(start)) = (self.remote, self.start) else {
            return Ok(FRAME);
        };
        let now = Instant::now();
        let due_slots =
            (now.saturating_duration_since(start).as_micros() / FRAME.as_micros()) as u64 + 1;
        let behind = due_slots.saturating_sub(self.sender.slot());
        if behind > MAX_BURST {
            self.sender.skip(behind - 1);
        }
        while self.sender.slot() < due_slots {
            let Some(header) = self.sender.next_packet(&mut self.out)? else {
                continue;
            };
            // Logged before it leaves: a far end reading both logs must never see
            // a packet received that is not yet in the sent log.
            self.log_sent(header, remote);
            // A send error on loopback (ICMP unreachable from an earlier
            // datagram) is the far end's state, not ours: keep going.
            let _ = self.sock.send_to(&self.out, remote);
        }
        let next_due = start + FRAME * (self.sender.slot() as u32);
        Ok(next_due.saturating_duration_since(Instant::now()))
    }

    fn receive(&mut self, wait: Duration) -> Result<(), UaError> {
        let wait = wait.clamp(Duration::from_millis(1), FRAME);
        self.sock
            .set_read_timeout(Some(wait))
            .map_err(|e| UaError::io("set RTP read timeout", e))?;
        let (len, from) = match self.sock.recv_from(&mut self.buf) {
            Ok(got) => got,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Ok(());
            }
            Err(e) => return Err(UaError::io("receive RTP", e)),
        };
        let at = Instant::now();
        let datagram = self.buf.get(..len).unwrap_or_default();
        if is_rtcp(datagram) {
            self.logs().counters.rtcp += 1;
            return Ok(());
        }
        let Some((header, payload)) = RtpHeader::parse(datagram) else {
            self.logs().counters.malformed += 1;
            return Ok(());
        };
        let payload = datagram.get(payload).unwrap_or_default().to_vec();
        let record = self.decode(at, from, header, payload);
        let mut logs = self.logs();
        if record.decode_error.is_some() {
            logs.counters.decode_errors += 1;
        }
        logs.received.push(record);
        Ok(())
    }

    /// A record of a received packet, with its audio decoded by PT.
    fn decode(
        &mut self,
        at: Instant,
        from: SocketAddr,
        header: RtpHeader,
        payload: Vec<u8>,
    ) -> PacketRecord {
        let mut record = PacketRecord {
            at,
            peer: from,
            header,
            payload,
            kind: PayloadKind::Unknown,
            clock_rate: 0,
            pcm: Vec::new(),
            sample_rate: 0,
            decode_error: None,
        };
        if header.pt == self.dtmf_pt {
            record.kind = PayloadKind::Event;
            record.clock_rate = self.sender.codec().clock_rate();
            return record;
        }
        let Some(&codec) = self.codecs.get(&header.pt) else {
            return record;
        };
        record.kind = PayloadKind::Audio;
        record.clock_rate = codec.clock_rate();
        let key = (header.ssrc, header.pt);
        let decoder = match self.decoders.entry(key) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => match Coder::new(codec) {
                Ok(d) => v.insert(d),
                Err(e) => {
                    record.decode_error = Some(e.to_string());
                    return record;
                }
            },
        };
        match decoder.decode(&record.payload, &mut record.pcm) {
            Ok(()) => record.sample_rate = codec.sample_rate(),
            Err(e) => {
                record.pcm.clear();
                record.decode_error = Some(e.to_string());
            }
        }
        record
    }

    fn log_sent(&mut self, header: RtpHeader, to: SocketAddr) {
        let codec = self.sender.codec();
        let kind = if header.pt == self.dtmf_pt {
            PayloadKind::Event
        } else {
            PayloadKind::Audio
        };
        let record = PacketRecord {
            at: Instant::now(),
            peer: to,
            header,
            payload: self.out.get(12..).unwrap_or_default().to_vec(),
            kind,
            clock_rate: codec.clock_rate(),
            pcm: Vec::new(),
            sample_rate: 0,
            decode_error: None,
        };
        self.logs().sent.push(record);
    }

    fn logs(&self) -> std::sync::MutexGuard<'_, PhoneLogs> {
        self.logs.lock().unwrap_or_else(|e| e.into_inner())
    }
}
