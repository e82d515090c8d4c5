//! A relay worker: one thread, one `mio::Poll`, a flat table of the streams it owns.
//!
//! Control commands arrive on a queue (with a `Waker` to interrupt the poll) and are
//! applied between packet batches; the packet path itself lives in `relay.rs`. Every
//! stream of a call lives on one worker, so a relayed pair never crosses threads, and
//! neither does a monitored call's mixer (`monitor`): the poll also wakes for the
//! mixers' 20 ms ticks, which run after each round of packets and commands.

use std::cell::Cell;
use std::collections::HashMap;
use std::io;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};
use sbc_core::ids::StreamId;
use sbc_core::media::{MediaEvent, RemoteMedia};

use crate::command::{Command, NewStream, Reuse};
use crate::monitor::{MonitorGroups, TickIo};
use crate::packet::Leg;
use crate::pool::{PairIndex, PortPool};
use crate::relay::RelayIo;
use crate::sink::{Sink, SlotIndex, MAX_SINKS};
use crate::slot::{RelayPolicy, StreamSlot};
use crate::stats::Counters;

/// Token of the worker's `Waker`; stream tokens are `slot << 1 | leg`.
pub(crate) const WAKER_TOKEN: Token = Token(usize::MAX);
const EVENTS_CAPACITY: usize = 1024;

thread_local! {
    /// Set by a relay worker thread at start; read by allocation-counting tests
    /// (const-initialized `Cell`: reading it never allocates).
    static IN_MEDIA_WORKER: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as a media worker (unit tests of `crate::testing`).
#[cfg(test)]
pub(crate) fn mark_media_worker() {
    IN_MEDIA_WORKER.with(|f| f.set(true));
}

/// True on a media relay worker thread (see `crate::testing`).
pub(crate) fn in_media_worker() -> bool {
    IN_MEDIA_WORKER.try_with(Cell::get).unwrap_or(false)
}

pub(crate) fn token_for(slot: SlotIndex, leg: Leg) -> Token {
    let leg_bit = match leg {
        Leg::Rtp => 0,
        Leg::Rtcp => 1,
    };
    Token(slot.get() << 1 | leg_bit)
}

pub(crate) fn decode_token(token: Token) -> Option<(SlotIndex, Leg)> {
    if token == WAKER_TOKEN {
        return None;
    }
    let slot = SlotIndex(u32::try_from(token.0 >> 1).ok()?);
    let leg = if token.0 & 1 == 0 {
        Leg::Rtp
    } else {
        Leg::Rtcp
    };
    Some((slot, leg))
}

pub(crate) struct Worker {
    /// Longest sleep without packets: `None` (wait for a wake-up) unless control
    /// commands are deferred (`MediaSettings::defer_wakeups`).
    idle_timeout: Option<std::time::Duration>,
    pub(crate) index: usize,
    pub(crate) poll: Poll,
    events: Events,
    commands: Receiver<Command>,
    pub(crate) slots: Vec<Option<StreamSlot>>,
    free_slots: Vec<SlotIndex>,
    by_id: HashMap<StreamId, SlotIndex>,
    /// Released streams whose sockets stay bound and registered, ready for `Reuse`.
    parked: HashMap<PairIndex, SlotIndex>,
    /// Sockets whose read budget ran out: revisited without waiting for a new edge.
    pub(crate) pending: Vec<Token>,
    ready: Vec<Token>,
    pub(crate) counters: Arc<Counters>,
    pool: Arc<Mutex<PortPool>>,
    pub(crate) policy: RelayPolicy,
    /// Where detected events go (bounded; a full queue loses events, never blocks).
    pub(crate) media_events: SyncSender<MediaEvent>,
    /// The mixers of this worker's monitored calls.
    pub(crate) groups: MonitorGroups,
    running: bool,
}

/// How a worker is wired to its engine: shared pool and counters, its queues, rules.
pub(crate) struct WorkerSetup {
    pub index: usize,
    pub poll: Poll,
    pub commands: Receiver<Command>,
    pub counters: Arc<Counters>,
    pub pool: Arc<Mutex<PortPool>>,
    pub idle_timeout: Option<std::time::Duration>,
    pub policy: RelayPolicy,
    pub media_events: SyncSender<MediaEvent>,
}

impl Worker {
    pub(crate) fn new(setup: WorkerSetup) -> Self {
        let WorkerSetup {
            index,
            poll,
            commands,
            counters,
            pool,
            idle_timeout,
            policy,
            media_events,
        } = setup;
        Worker {
            idle_timeout,
            index,
            poll,
            events: Events::with_capacity(EVENTS_CAPACITY),
            commands,
            slots: Vec::new(),
            free_slots: Vec::new(),
            by_id: HashMap::new(),
            parked: HashMap::new(),
            pending: Vec::with_capacity(EVENTS_CAPACITY),
            ready: Vec::with_capacity(EVENTS_CAPACITY),
            counters,
            pool,
            policy,
            media_events,
            groups: MonitorGroups::default(),
            running: true,
        }
    }

    /// The thread body: poll, relay, apply commands, until `Shutdown`.
    pub(crate) fn run(mut self) {
        IN_MEDIA_WORKER.with(|f| f.set(true));
        // The batch buffers (about 550 KiB) live for the thread: nothing is allocated later.
        let mut io = RelayIo::new();
        while self.running {
            // Unfinished sockets mean "do not sleep": poll just to collect new edges.
            // Otherwise sleep until a packet, a wake-up, the next mixer tick, or
            // (deferred control) the interval at which queued commands are picked up.
            let timeout = if self.pending.is_empty() {
                self.sleep_limit()
            } else {
                Some(Duration::ZERO)
            };
            if let Err(e) = self.poll.poll(&mut self.events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                tracing::error!(worker = self.index, error = %e, "media worker poll failed");
                break;
            }
            // Commands before packets too: with deferred control no one woke us for
            // them, and the packet that did may need a `SetRemote` queued just before it.
            self.apply_commands();
            self.ready.clear();
            self.ready.append(&mut self.pending);
            for ev in self.events.iter() {
                if ev.token() != WAKER_TOKEN {
                    self.ready.push(ev.token());
                }
            }
            // Take the list out so `drain` can borrow `self` mutably; no allocation.
            let ready = std::mem::take(&mut self.ready);
            for &token in &ready {
                if self.drain(token, &mut io) {
                    self.pending.push(token);
                }
            }
            self.ready = ready;
            // Commands after packets: a `Barrier` answered here also covers every
            // datagram that was queued when it was sent (tests and stats rely on it).
            self.apply_commands();
            self.run_ticks(&mut io);
        }
        self.close_all();
    }

    /// How long the poll may sleep: until the next mixer tick at the latest. The
    /// mixers keep an absolute schedule, so a late wake-up (poll rounds up to whole
    /// milliseconds) costs latency once but never drifts.
    fn sleep_limit(&self) -> Option<Duration> {
        let Some(next) = self.groups.next_tick() else {
            return self.idle_timeout;
        };
        let until = next.saturating_duration_since(Instant::now());
        Some(self.idle_timeout.map_or(until, |idle| idle.min(until)))
    }

    /// Runs the mixer ticks that are due.
    fn run_ticks(&mut self, io: &mut RelayIo) {
        if self.groups.is_empty() {
            return;
        }
        let mut tick = TickIo {
            worker: &self.counters,
            scratch: &mut io.mixed,
        };
        self.groups.tick(Instant::now(), &mut self.slots, &mut tick);
    }

    fn apply_commands(&mut self) {
        loop {
            match self.commands.try_recv() {
                Ok(cmd) => self.apply(cmd),
                Err(TryRecvError::Empty) => return,
                // The engine is gone without a shutdown: nothing can control us any more.
                Err(TryRecvError::Disconnected) => {
                    self.running = false;
                    return;
                }
            }
        }
    }

    fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::Add(new) => self.add(*new),
            Command::SetRemote { id, remote } => self.set_remote(id, &remote),
            Command::Connect { a, b } => self.connect(a, b),
            Command::Monitor(media) => {
                self.groups
                    .set(&media, &self.by_id, &mut self.slots, Instant::now());
            }
            Command::Notice { id, notice } => {
                if let Some(&idx) = self.by_id.get(&id) {
                    self.groups.play_notice(idx, notice, &mut self.slots);
                }
            }
            Command::Fork { from, to, add } => self.fork(from, to, add),
            Command::SetEgress { id, rewrite } => {
                if let Some(slot) = self.by_id.get(&id).copied().and_then(|i| self.slot_mut(i)) {
                    slot.egress = rewrite.map(crate::egress::Egress::new);
                }
            }
            Command::Reuse(r) => self.reuse(*r),
            Command::Release { ids, park } => {
                for id in ids {
                    if park {
                        self.park(id);
                    } else {
                        self.release(id);
                    }
                }
            }
            Command::Barrier(done) => {
                let _ = done.send(());
            }
            Command::Shutdown => self.running = false,
        }
    }

    fn slot_mut(&mut self, idx: SlotIndex) -> Option<&mut StreamSlot> {
        self.slots.get_mut(idx.get()).and_then(Option::as_mut)
    }

    fn add(&mut self, new: NewStream) {
        let idx = match self.free_slots.pop() {
            Some(idx) => idx,
            None => match u32::try_from(self.slots.len()) {
                Ok(n) => {
                    self.slots.push(None);
                    SlotIndex(n)
                }
                Err(_) => return self.give_back(new.pair, new.id, "slot table full"),
            },
        };
        let mut slot = StreamSlot {
            id: new.id,
            call: new.call,
            role: new.role,
            pair: new.pair,
            rtp: mio::net::UdpSocket::from_std(new.rtp),
            rtcp: mio::net::UdpSocket::from_std(new.rtcp),
            rtp_latch: Default::default(),
            rtcp_latch: Default::default(),
            rtcp_mux: false,
            peer: None,
            sinks: Default::default(),
            rtp_sinks: Default::default(),
            forks: Default::default(),
            security: Default::default(),
            quality: Default::default(),
            egress: None,
            counters: new.counters,
            audio: Vec::new(),
            tap: None,
            peer_rtp_muted: false,
            last_sent: None,
        };
        let registry = self.poll.registry();
        let registered = registry
            .register(&mut slot.rtp, token_for(idx, Leg::Rtp), Interest::READABLE)
            .and_then(|()| {
                registry.register(
                    &mut slot.rtcp,
                    token_for(idx, Leg::Rtcp),
                    Interest::READABLE,
                )
            });
        if let Err(e) = registered {
            tracing::error!(stream = %slot.id, error = %e, "media socket registration failed");
            let pair = slot.pair;
            drop(slot);
            self.free_slots.push(idx);
            return self.give_back(pair, new.id, "registration failed");
        }
        match self.slots.get_mut(idx.get()) {
            Some(entry) => *entry = Some(slot),
            None => return self.give_back(slot.pair, new.id, "slot vanished"),
        }
        self.by_id.insert(new.id, idx);
    }

    fn give_back(&self, pair: crate::pool::PairIndex, id: StreamId, why: &str) {
        tracing::error!(worker = self.index, stream = %id, why, "media stream not added");
        lock(&self.pool).free(pair);
    }

    fn set_remote(&mut self, id: StreamId, remote: &RemoteMedia) {
        let Some(&idx) = self.by_id.get(&id) else {
            return;
        };
        let policy = self.policy;
        let mut formats_changed = false;
        if let Some(slot) = self.slot_mut(idx) {
            formats_changed = slot.tap.is_some() && slot.audio != remote.audio;
            if slot.set_remote(remote, &policy) {
                tracing::debug!(stream = %id, call = %slot.call, "media latch re-opened by new SDP");
            }
        }
        if formats_changed {
            self.groups.refresh(idx, &mut self.slots);
        }
    }

    fn connect(&mut self, a: StreamId, b: StreamId) {
        let (Some(&ia), Some(&ib)) = (self.by_id.get(&a), self.by_id.get(&b)) else {
            return;
        };
        self.unlink(ia);
        self.unlink(ib);
        for (me, peer) in [(ia, ib), (ib, ia)] {
            if let Some(slot) = self.slot_mut(me) {
                slot.peer = Some(peer);
                slot.compile_sinks();
            }
        }
    }

    fn fork(&mut self, from: StreamId, to: StreamId, add: bool) {
        let (Some(&src), Some(&dst)) = (self.by_id.get(&from), self.by_id.get(&to)) else {
            return;
        };
        let Some(slot) = self.slot_mut(src) else {
            return;
        };
        if add {
            // One place is always kept for the peer.
            let room = slot.forks.len() + 1 < MAX_SINKS;
            if slot.forks.contains(dst) || src == dst {
                return;
            }
            let fork = Sink {
                target: dst,
                rtcp_only: false,
            };
            if !room || slot.forks.push(fork).is_err() {
                tracing::warn!(stream = %from, fork = %to, "media fork refused: sink list full");
                return;
            }
        } else {
            slot.forks.remove(dst);
        }
        slot.compile_sinks();
    }

    /// Removes every fork towards `idx` (the stream is ending).
    fn drop_forks_to(&mut self, idx: SlotIndex) {
        for slot in self.slots.iter_mut().flatten() {
            if slot.forks.contains(idx) {
                slot.forks.remove(idx);
                slot.compile_sinks();
            }
        }
    }

    /// Detaches a stream from its peer (both directions) and recompiles both.
    fn unlink(&mut self, idx: SlotIndex) {
        let Some(slot) = self.slot_mut(idx) else {
            return;
        };
        let old = slot.peer.take();
        slot.compile_sinks();
        if let Some(other) = old.and_then(|p| self.slot_mut(p)) {
            if other.peer == Some(idx) {
                other.peer = None;
                other.compile_sinks();
            }
        }
    }

    /// Ends a stream but keeps its sockets: detached, state reset, still registered (a
    /// stray late packet is read and dropped as not connected).
    fn park(&mut self, id: StreamId) {
        let Some(idx) = self.by_id.remove(&id) else {
            return;
        };
        self.groups.leave(idx, &mut self.slots);
        self.unlink(idx);
        self.drop_forks_to(idx);
        if let Some(slot) = self.slot_mut(idx) {
            slot.reset();
            let pair = slot.pair;
            self.parked.insert(pair, idx);
        }
    }

    /// Gives a parked pair a new stream identity.
    fn reuse(&mut self, r: Reuse) {
        let Some(idx) = self.parked.remove(&r.pair) else {
            tracing::error!(worker = self.index, stream = %r.id, "reuse of a pair that is not parked here");
            return;
        };
        if let Some(slot) = self.slot_mut(idx) {
            slot.reset();
            slot.id = r.id;
            slot.call = r.call;
            slot.role = r.role;
            slot.counters = r.counters;
            self.by_id.insert(r.id, idx);
        }
    }

    fn release(&mut self, id: StreamId) {
        let Some(idx) = self.by_id.remove(&id) else {
            return;
        };
        self.groups.leave(idx, &mut self.slots);
        self.unlink(idx);
        self.drop_forks_to(idx);
        let Some(mut slot) = self.slots.get_mut(idx.get()).and_then(Option::take) else {
            return;
        };
        let registry = self.poll.registry();
        let _ = registry.deregister(&mut slot.rtp);
        let _ = registry.deregister(&mut slot.rtcp);
        let pair = slot.pair;
        // Close the sockets before the ports go back to the pool.
        drop(slot);
        lock(&self.pool).free(pair);
        self.free_slots.push(idx);
        self.pending
            .retain(|t| decode_token(*t).is_none_or(|(s, _)| s != idx));
    }

    fn close_all(&mut self) {
        let ids: Vec<StreamId> = self.by_id.keys().copied().collect();
        for id in ids {
            self.release(id);
        }
        // Parked slots have no stream id any more: give each a throwaway one to close it.
        let parked: Vec<SlotIndex> = self.parked.drain().map(|(_, idx)| idx).collect();
        for idx in parked {
            if let Some(slot) = self.slot_mut(idx) {
                let id = slot.id;
                self.by_id.insert(id, idx);
                self.release(id);
            }
        }
    }
}

/// The pool's state stays consistent even if a holder panicked, so poisoning is ignored.
pub(crate) fn lock(pool: &Mutex<PortPool>) -> std::sync::MutexGuard<'_, PortPool> {
    pool.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for (slot, leg) in [(0u32, Leg::Rtp), (0, Leg::Rtcp), (12345, Leg::Rtcp)] {
            let t = token_for(SlotIndex(slot), leg);
            assert_eq!(decode_token(t), Some((SlotIndex(slot), leg)));
        }
        assert_eq!(decode_token(WAKER_TOKEN), None);
    }
}
