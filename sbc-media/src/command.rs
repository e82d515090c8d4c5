//! Control messages from the engine (signaling threads) to one relay worker.
//!
//! They travel over the worker's queue and take effect between packet batches, so a
//! worker's tables are only ever touched by its own thread.

use std::net::UdpSocket;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;

use sbc_core::ids::{CallRef, StreamId};
use sbc_core::media::{MonitoredMedia, RemoteMedia, SupervisorNotice};

use crate::pool::PairIndex;
use crate::slot::StreamRole;
use crate::stats::Counters;

/// A new stream's sockets and identity, bound by the engine.
#[derive(Debug)]
pub(crate) struct NewStream {
    pub id: StreamId,
    pub call: CallRef,
    pub role: StreamRole,
    pub pair: PairIndex,
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
    pub counters: Arc<Counters>,
}

/// A new identity for a parked pair (see `Worker::park`): its sockets stay bound and
/// registered, so a reused stream costs no syscall at all.
#[derive(Debug)]
pub(crate) struct Reuse {
    pub pair: PairIndex,
    pub id: StreamId,
    pub call: CallRef,
    pub role: StreamRole,
    pub counters: Arc<Counters>,
}

#[derive(Debug)]
pub(crate) enum Command {
    Add(Box<NewStream>),
    Reuse(Box<Reuse>),
    SetRemote {
        id: StreamId,
        remote: RemoteMedia,
    },
    Connect {
        a: StreamId,
        b: StreamId,
    },
    /// Also send what `from` receives to `to`'s peer (`add`), or stop (`!add`).
    Fork {
        from: StreamId,
        to: StreamId,
        add: bool,
    },
    /// Set (or, with no supervisors, end) the monitoring picture of a call.
    Monitor(Box<MonitoredMedia>),
    /// Play a notice to the supervisor on `id` (see `monitor::notice`).
    Notice {
        id: StreamId,
        notice: SupervisorNotice,
    },
    /// Rewrite (or stop rewriting) what `id` sends to its peer.
    SetEgress {
        id: StreamId,
        rewrite: Option<crate::egress::EgressRewrite>,
    },
    /// End these streams: park their sockets for reuse (`park`: true) or close them and
    /// return their ports to the pool.
    Release {
        ids: Vec<StreamId>,
        park: bool,
    },
    /// Answered once every earlier command has been applied.
    Barrier(SyncSender<()>),
    Shutdown,
}
