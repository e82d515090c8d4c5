//! `MediaEngine`: owns the port pool and the relay workers, implements `MediaControl`.
//!
//! Control calls run on signaling threads: they bind sockets synchronously (so a full
//! range becomes a 503 at once), record the stream in a small registry, and queue a
//! command for the worker that owns the call. All streams of one call go to the same
//! worker (chosen from the `CallRef`) so a relayed pair never crosses threads.
//!
//! Released pairs are parked on their worker rather than closed (up to a cap), and
//! reused by later calls on that worker after a quarantine: a call then costs no
//! socket/bind/setsockopt/epoll_ctl/close syscalls at all (44 per call otherwise,
//! more than all of its SIP messages). The quarantine keeps late packets of an old
//! call from reaching the next one, as the pool's round-robin does for fresh pairs.
//! (`engine/streams.rs`: allocating and releasing single streams.)
//!
//! Monitoring: a supervisor's stream is allocated on its call's worker
//! (`allocate_monitor`); `set_monitoring` checks the picture against the registry
//! (`monitor::control`) so signaling gets an error at once, then hands it to the
//! worker, which builds the call's mixer (`monitor`). `play_notice` is checked the
//! same way (`engine/notice.rs`).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::{Poll, Waker};
use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{
    AudioFormat, LocalEndpoint, MediaControl, MediaError, MediaEvent, MonitoredMedia, RemoteMedia,
    SupervisorNotice,
};

use crate::command::Command;
use crate::egress::EgressRewrite;
use crate::monitor::control::{self, StreamView};
use crate::pool::{PairIndex, PortPool};
use crate::settings::MediaSettings;
use crate::slot::{RelayPolicy, StreamRole};
use crate::stats::{Counters, MediaStats, TrafficStats};
use crate::worker::{lock, Worker, WorkerSetup, WAKER_TOKEN};

/// How long `sync` waits for a worker before calling it stuck.
const SYNC_TIMEOUT: Duration = Duration::from_secs(5);

mod notice;
mod streams;

/// A parked pair is reused only after this long (unless the range is otherwise full).
pub const REUSE_QUARANTINE: Duration = Duration::from_secs(2);

struct WorkerHandle {
    commands: Sender<Command>,
    waker: Waker,
    counters: Arc<Counters>,
    defer_wakeups: bool,
    /// Pairs parked on this worker, oldest first.
    parked: Mutex<VecDeque<Parked>>,
}

/// A released pair whose sockets its worker kept.
#[derive(Debug, Clone, Copy)]
struct Parked {
    pair: PairIndex,
    endpoint: LocalEndpoint,
    since: Instant,
}

struct StreamEntry {
    worker: usize,
    call: CallRef,
    role: StreamRole,
    counters: Arc<Counters>,
    pair: PairIndex,
    endpoint: LocalEndpoint,
    /// The mixable formats of the last SDP (checked by `set_monitoring`).
    audio: Vec<AudioFormat>,
    /// A supervisor's stream in its call's current monitoring picture.
    supervising: bool,
}

/// Control-plane view of the streams. Every command is sent while holding this lock,
/// so the order a worker sees matches the order of the registry changes.
#[derive(Default)]
struct Registry {
    streams: HashMap<StreamId, StreamEntry>,
    calls: HashMap<CallRef, Vec<StreamId>>,
}

/// The media relay. Share it as `Arc<dyn MediaControl>`; dropping the last reference
/// (or calling `shutdown`) stops and joins the workers.
pub struct MediaEngine {
    settings: MediaSettings,
    pool: Arc<Mutex<PortPool>>,
    workers: Vec<WorkerHandle>,
    registry: Mutex<Registry>,
    next_stream: AtomicU64,
    /// Most pairs one worker keeps parked (0: close on release).
    park_cap: usize,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Final per-leg figures of released calls, until their CDR takes them.
    ended: Mutex<EndedCalls>,
    /// Events from all workers, until someone takes the receiver.
    events: Mutex<Option<Receiver<MediaEvent>>>,
}

/// Media events queued before the consumer falls behind and new ones are lost.
const EVENT_QUEUE: usize = 4096;

impl std::fmt::Debug for MediaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaEngine")
            .field("settings", &self.settings)
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl MediaEngine {
    /// Validates the settings and spawns the relay workers.
    pub fn start(settings: MediaSettings) -> Result<MediaEngine, MediaError> {
        settings.validate()?;
        let pool = PortPool::new(settings.bind, settings.port_min, settings.port_max)?;
        let pool = Arc::new(Mutex::new(pool));
        let (events_tx, events_rx) = mpsc::sync_channel(EVENT_QUEUE);
        let mut engine = MediaEngine {
            settings,
            pool,
            workers: Vec::new(),
            registry: Mutex::new(Registry::default()),
            next_stream: AtomicU64::new(1),
            park_cap: 0,
            threads: Mutex::new(Vec::new()),
            events: Mutex::new(Some(events_rx)),
            ended: Mutex::new(EndedCalls::default()),
        };
        // At most half the range parked across all workers: idle sockets must never be
        // why a call gets 503.
        let workers = engine.settings.worker_count().max(1);
        engine.park_cap = lock(&engine.pool).pair_count() / workers / 2;
        for index in 0..engine.settings.worker_count() {
            // On error, dropping `engine` shuts down the workers spawned so far.
            let policy = RelayPolicy {
                strict_source: engine.settings.strict_source,
                replay_window: engine.settings.srtp_replay_window,
            };
            let (handle, thread) = spawn_worker(
                index,
                &engine.pool,
                engine.settings.defer_wakeups,
                policy,
                events_tx.clone(),
            )?;
            engine.workers.push(handle);
            guard(&engine.threads).push(thread);
        }
        Ok(engine)
    }

    /// The address signaling must write into SDP (`advertise`, else `bind`).
    pub fn advertised_ip(&self) -> IpAddr {
        self.settings.advertised_ip()
    }

    /// Engine-wide totals for `/metrics`.
    pub fn stats(&self) -> MediaStats {
        let active_streams = guard(&self.registry).streams.len() as u64;
        let parked: usize = self.workers.iter().map(|w| guard(&w.parked).len()).sum();
        let ports_parked = parked as u64 * 2;
        let ports_in_use =
            (lock(&self.pool).pairs_in_use() as u64 * 2).saturating_sub(ports_parked);
        let mut traffic = TrafficStats::default();
        for w in &self.workers {
            traffic += w.counters.snapshot();
        }
        MediaStats {
            active_streams,
            ports_in_use,
            ports_parked,
            traffic,
        }
    }

    /// The queue of media events (DTMF digits…) from every worker. There is one
    /// consumer: the first call gets it, later calls get `None`. Untaken, the queue
    /// fills and further events are dropped (the relay never waits for it).
    pub fn take_events(&self) -> Option<Receiver<MediaEvent>> {
        guard(&self.events).take()
    }

    /// Also sends what `from` receives to `to`'s peer (a recording fork, a monitoring
    /// input), or stops (`add: false`). Both streams must belong to one call. The copy
    /// is taken after decryption and sealed with `to`'s own keys and egress rewriting.
    pub fn fork(&self, from: StreamId, to: StreamId, add: bool) -> Result<(), MediaError> {
        let reg = guard(&self.registry);
        let (wf, wt) = (self.entry_worker(&reg, from)?, self.entry_worker(&reg, to)?);
        if wf != wt {
            return Err(MediaError::Io(format!(
                "{from} and {to} belong to different calls on different media workers"
            )));
        }
        let handle = self.workers.get(wf).ok_or_else(stopped)?;
        send(handle, Command::Fork { from, to, add })
    }

    /// Makes everything `stream` sends to its peer one continuous RTP stream with SSRC
    /// `rewrite.ssrc`, whatever feeds it (see `egress`); `None` stops rewriting.
    pub fn set_egress_rewrite(
        &self,
        stream: StreamId,
        rewrite: Option<EgressRewrite>,
    ) -> Result<(), MediaError> {
        let reg = guard(&self.registry);
        let worker = self.entry_worker(&reg, stream)?;
        let handle = self.workers.get(worker).ok_or_else(stopped)?;
        send(
            handle,
            Command::SetEgress {
                id: stream,
                rewrite,
            },
        )
    }

    /// The media figures of a released call, per leg (once: for its CDR). Kept for
    /// the last `ENDED_KEPT` released calls only.
    pub fn take_call_stats(&self, call: CallRef) -> Option<CallMediaStats> {
        guard(&self.ended).take(call)
    }

    /// One stream's counters, while it exists.
    pub fn stream_stats(&self, stream: StreamId) -> Option<TrafficStats> {
        let reg = guard(&self.registry);
        reg.streams.get(&stream).map(|e| e.counters.snapshot())
    }

    /// Waits until every worker has applied all commands sent before this call
    /// (for tests and orderly operations; signaling never needs it).
    pub fn sync(&self) -> Result<(), MediaError> {
        let mut answers = Vec::with_capacity(self.workers.len());
        for w in &self.workers {
            let (tx, rx) = mpsc::sync_channel(1);
            send(w, Command::Barrier(tx))?;
            answers.push(rx);
        }
        for rx in answers {
            rx.recv_timeout(SYNC_TIMEOUT)
                .map_err(|_| MediaError::Io("media worker did not answer".into()))?;
        }
        Ok(())
    }

    /// Stops and joins the workers; streams are closed. Idempotent.
    pub fn shutdown(&self) {
        let threads = std::mem::take(&mut *guard(&self.threads));
        if threads.is_empty() {
            return;
        }
        for w in &self.workers {
            let _ = send(w, Command::Shutdown);
        }
        for t in threads {
            if t.join().is_err() {
                tracing::error!("media worker panicked");
            }
        }
    }

    fn worker_for(&self, call: CallRef) -> Option<usize> {
        let n = self.workers.len() as u64;
        // Fibonacci hashing spreads sequential call numbers evenly over workers.
        let h = call.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        usize::try_from(h.checked_rem(n)?).ok()
    }

    fn entry_worker(&self, reg: &Registry, id: StreamId) -> Result<usize, MediaError> {
        reg.streams
            .get(&id)
            .map(|e| e.worker)
            .ok_or(MediaError::UnknownStream(id))
    }
}

impl MediaControl for MediaEngine {
    fn allocate(
        &self,
        call: CallRef,
        side: LegSide,
    ) -> Result<(StreamId, LocalEndpoint), MediaError> {
        self.allocate_role(call, StreamRole::Leg(side))
    }

    fn allocate_monitor(&self, call: CallRef) -> Result<(StreamId, LocalEndpoint), MediaError> {
        self.allocate_role(call, StreamRole::Monitor)
    }

    fn release_stream(&self, stream: StreamId) {
        self.release_one(stream);
    }

    fn set_monitoring(&self, media: MonitoredMedia) -> Result<(), MediaError> {
        let mut reg = guard(&self.registry);
        if media.supervisors.is_empty() && !reg.calls.contains_key(&media.call) {
            return Ok(()); // the call is gone, and its monitoring with it
        }
        control::check(&media, |id| {
            reg.streams.get(&id).map(|e| StreamView {
                call: e.call,
                role: e.role,
                audio: &e.audio,
            })
        })?;
        let worker = self.entry_worker(&reg, media.customer)?;
        let handle = self.workers.get(worker).ok_or_else(stopped)?;
        notice::mark_supervising(&mut reg, &media);
        send(handle, Command::Monitor(Box::new(media)))
    }

    fn play_notice(&self, stream: StreamId, notice: SupervisorNotice) -> Result<(), MediaError> {
        self.notice(stream, notice)
    }

    fn set_remote(&self, stream: StreamId, remote: RemoteMedia) -> Result<(), MediaError> {
        let mut reg = guard(&self.registry);
        let worker = self.entry_worker(&reg, stream)?;
        if let Some(e) = reg.streams.get_mut(&stream) {
            if e.audio != remote.audio {
                e.audio.clone_from(&remote.audio);
            }
        }
        let handle = self.workers.get(worker).ok_or_else(stopped)?;
        send(handle, Command::SetRemote { id: stream, remote })
    }

    fn connect(&self, a: StreamId, b: StreamId) -> Result<(), MediaError> {
        let reg = guard(&self.registry);
        let (wa, wb) = (self.entry_worker(&reg, a)?, self.entry_worker(&reg, b)?);
        if a == b {
            return Err(MediaError::Io(format!("cannot connect {a} to itself")));
        }
        if wa != wb {
            // Only streams of one call are guaranteed to share a worker.
            return Err(MediaError::Io(format!(
                "{a} and {b} belong to different calls on different media workers"
            )));
        }
        let handle = self.workers.get(wa).ok_or_else(stopped)?;
        send(handle, Command::Connect { a, b })
    }

    fn release_call(&self, call: CallRef) {
        let mut reg = guard(&self.registry);
        let Some(ids) = reg.calls.remove(&call) else {
            return;
        };
        let Some(handle) = self.worker_for(call).and_then(|w| self.workers.get(w)) else {
            return;
        };
        // Park while there is room on this worker; the parked queue is updated under
        // the registry lock, before the command, so a later allocate can only reuse a
        // pair whose Release the worker will have applied first (one FIFO queue).
        let now = Instant::now();
        let mut parked = guard(&handle.parked);
        let park = parked.len() + ids.len() <= self.park_cap;
        let mut totals = CallMediaStats::default();
        for id in &ids {
            if let Some(e) = reg.streams.remove(id) {
                match e.role {
                    StreamRole::Leg(LegSide::A) => totals.a += e.counters.snapshot(),
                    StreamRole::Leg(LegSide::B) => totals.b += e.counters.snapshot(),
                    // A supervisor's leg is not the call's: no CDR column.
                    StreamRole::Monitor => {}
                }
                if park {
                    parked.push_back(Parked {
                        pair: e.pair,
                        endpoint: e.endpoint,
                        since: now,
                    });
                }
            }
        }
        drop(parked);
        guard(&self.ended).insert(call, totals);
        if let Err(e) = send(handle, Command::Release { ids, park }) {
            tracing::warn!(%call, error = %e, "media release not delivered");
        }
    }
}

impl Drop for MediaEngine {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn spawn_worker(
    index: usize,
    pool: &Arc<Mutex<PortPool>>,
    defer_wakeups: bool,
    policy: RelayPolicy,
    events: SyncSender<MediaEvent>,
) -> Result<(WorkerHandle, JoinHandle<()>), MediaError> {
    let io_err = |e: std::io::Error| MediaError::Io(format!("starting media worker: {e}"));
    let poll = Poll::new().map_err(io_err)?;
    let waker = Waker::new(poll.registry(), WAKER_TOKEN).map_err(io_err)?;
    let (tx, rx) = mpsc::channel();
    let counters = Arc::new(Counters::default());
    let idle = defer_wakeups.then_some(crate::settings::CONTROL_INTERVAL);
    let worker = Worker::new(WorkerSetup {
        index,
        poll,
        commands: rx,
        counters: Arc::clone(&counters),
        pool: Arc::clone(pool),
        idle_timeout: idle,
        policy,
        media_events: events,
    });
    let thread = std::thread::Builder::new()
        .name(format!("sbc-media-{index}"))
        .spawn(move || worker.run())
        .map_err(io_err)?;
    let handle = WorkerHandle {
        commands: tx,
        waker,
        counters,
        defer_wakeups,
        parked: Mutex::new(VecDeque::new()),
    };
    Ok((handle, thread))
}

/// Queues a command and interrupts the worker's poll (or, deferred, marks it for the
/// next flush).
fn send(w: &WorkerHandle, cmd: Command) -> Result<(), MediaError> {
    // Someone waits on these: they are never deferred.
    let urgent = matches!(cmd, Command::Barrier(_) | Command::Shutdown);
    w.commands.send(cmd).map_err(|_| stopped())?;
    if urgent || !w.defer_wakeups {
        wake(w);
    }
    Ok(())
}

fn wake(w: &WorkerHandle) {
    if let Err(e) = w.waker.wake() {
        // The command is queued and will run on the next packet or wake-up.
        tracing::warn!(error = %e, "media worker wake-up failed");
    }
}

/// Media figures of one ended call: what each leg's streams received from their peer
/// (packets, bytes, loss, jitter, drops) and sent to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallMediaStats {
    pub a: TrafficStats,
    pub b: TrafficStats,
}

/// Released calls kept for their CDR (a bounded map: the oldest go first).
const ENDED_KEPT: usize = 16_384;

#[derive(Default)]
struct EndedCalls {
    stats: HashMap<CallRef, CallMediaStats>,
    order: VecDeque<CallRef>,
}

impl EndedCalls {
    fn insert(&mut self, call: CallRef, stats: CallMediaStats) {
        if self.stats.insert(call, stats).is_none() {
            self.order.push_back(call);
        }
        while self.order.len() > ENDED_KEPT {
            if let Some(old) = self.order.pop_front() {
                self.stats.remove(&old);
            }
        }
    }

    fn take(&mut self, call: CallRef) -> Option<CallMediaStats> {
        // The order queue keeps the ref until it is evicted; a missing entry is skipped.
        self.stats.remove(&call)
    }
}

fn stopped() -> MediaError {
    MediaError::Io("media engine stopped".into())
}

/// Registry and thread-list state stays consistent across a panic, so poisoning is
/// ignored rather than turned into a second panic.
fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
