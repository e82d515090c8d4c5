//! Allocating and releasing single streams of the engine: a parked pair past its
//! quarantine, else a fresh pair from the pool, else (range full) any parked pair;
//! and releasing one stream ahead of its call (a supervisor's leg).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use sbc_core::ids::{CallRef, StreamId};
use sbc_core::media::{LocalEndpoint, MediaError};

use super::{
    guard, send, stopped, MediaEngine, Parked, StreamEntry, WorkerHandle, REUSE_QUARANTINE,
};
use crate::command::{Command, NewStream, Reuse};
use crate::pool::PairIndex;
use crate::slot::StreamRole;
use crate::stats::Counters;
use crate::worker::lock;

impl MediaEngine {
    /// Reserves a pair for a stream of `call` in `role` (see `allocate`).
    pub(super) fn allocate_role(
        &self,
        call: CallRef,
        role: StreamRole,
    ) -> Result<(StreamId, LocalEndpoint), MediaError> {
        let worker = self.worker_for(call).ok_or_else(stopped)?;
        let handle = self.workers.get(worker).ok_or_else(stopped)?;
        let id = StreamId(self.next_stream.fetch_add(1, Ordering::Relaxed));
        let counters = Arc::new(Counters::default());
        let mut reg = guard(&self.registry);
        let now = Instant::now();
        let out_of_quarantine = |p: &Parked| now.duration_since(p.since) >= REUSE_QUARANTINE;
        // A parked pair past quarantine, else a fresh one, else (range full) any parked.
        let (pair, endpoint, cmd) = match take_parked(handle, out_of_quarantine) {
            Some(p) => (
                p.pair,
                p.endpoint,
                reuse_cmd(p.pair, id, call, role, &counters),
            ),
            None => match lock(&self.pool).allocate() {
                Ok(bound) => {
                    let (pair, endpoint) = (bound.pair, bound.endpoint);
                    let new = NewStream {
                        id,
                        call,
                        role,
                        pair,
                        rtp: bound.rtp,
                        rtcp: bound.rtcp,
                        counters: Arc::clone(&counters),
                    };
                    (pair, endpoint, Command::Add(Box::new(new)))
                }
                Err(MediaError::PortsExhausted) => match take_parked(handle, |_| true) {
                    Some(p) => (
                        p.pair,
                        p.endpoint,
                        reuse_cmd(p.pair, id, call, role, &counters),
                    ),
                    None => return Err(MediaError::PortsExhausted),
                },
                Err(e) => return Err(e),
            },
        };
        let reused = matches!(cmd, Command::Reuse(_));
        if let Err(e) = send(handle, cmd) {
            if !reused {
                // The command (and its sockets) came back dropped: the ports are closed.
                lock(&self.pool).free(pair);
            }
            return Err(e);
        }
        reg.streams.insert(
            id,
            StreamEntry {
                worker,
                call,
                role,
                counters,
                pair,
                endpoint,
                audio: Vec::new(),
                supervising: false,
            },
        );
        reg.calls.entry(call).or_default().push(id);
        Ok((id, endpoint))
    }

    /// Ends one stream before its call (a supervisor hanging up): out of the
    /// registry, its pair parked while there is room, its worker told.
    pub(super) fn release_one(&self, stream: StreamId) {
        let mut reg = guard(&self.registry);
        let Some(e) = reg.streams.remove(&stream) else {
            return;
        };
        if let Some(ids) = reg.calls.get_mut(&e.call) {
            ids.retain(|id| *id != stream);
            if ids.is_empty() {
                reg.calls.remove(&e.call);
            }
        }
        let Some(handle) = self.workers.get(e.worker) else {
            return;
        };
        let mut parked = guard(&handle.parked);
        let park = parked.len() < self.park_cap;
        if park {
            parked.push_back(Parked {
                pair: e.pair,
                endpoint: e.endpoint,
                since: Instant::now(),
            });
        }
        drop(parked);
        let cmd = Command::Release {
            ids: vec![stream],
            park,
        };
        if let Err(err) = send(handle, cmd) {
            tracing::warn!(%stream, error = %err, "media release not delivered");
        }
    }
}

/// Takes the oldest parked pair if `ok` accepts it.
fn take_parked(w: &WorkerHandle, ok: impl Fn(&Parked) -> bool) -> Option<Parked> {
    let mut q = guard(&w.parked);
    let first = q.front()?;
    if ok(first) {
        q.pop_front()
    } else {
        None
    }
}

fn reuse_cmd(
    pair: PairIndex,
    id: StreamId,
    call: CallRef,
    role: StreamRole,
    counters: &Arc<Counters>,
) -> Command {
    Command::Reuse(Box::new(Reuse {
        pair,
        id,
        call,
        role,
        counters: Arc::clone(counters),
    }))
}
