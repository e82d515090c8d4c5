//! One TCP connection: a reader task (framing, keep-alive pongs, idle timeout, size
//! limit) and a writer task fed by a bounded queue (write timeout). Either task ending
//! ends the other; a guard owned by the reader unregisters the connection and returns
//! its limit slot however the task ends.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::conns::ConnHandle;
use super::framing::{Frame, StreamFramer};
use super::limits::ConnPermit;
use super::shared::Shared;
use super::signal::{self, Stop, Trigger};
use super::stats::Event;
use super::types::{DropReason, Inbound};
use crate::net::ConnectionId;

/// Read buffer growth step; most SIP messages fit in one.
const READ_CHUNK: usize = 8 * 1024;

/// RFC 5626 §4.4.1 pong.
const PONG: Bytes = Bytes::from_static(b"\r\n");

/// Registers a connection and starts its tasks; returns the handle to send on it.
pub(crate) fn start(
    shared: &Arc<Shared>,
    stream: TcpStream,
    remote: SocketAddr,
    local: SocketAddr,
    permit: Option<ConnPermit>,
) -> ConnHandle {
    // SIP messages are whole writes; Nagle would only add latency.
    let _ = stream.set_nodelay(true);
    let id = shared.next_conn_id();
    let (tx, rx) = mpsc::channel(shared.cfg.tcp_write_queue.max(1));
    let (trigger, closed) = signal::pair();
    let trigger = Arc::new(trigger);
    let handle = ConnHandle::new(id, remote, local, tx, trigger.clone());
    shared.conns.insert(handle.clone());
    shared.counters.conn_opened();
    let guard = ConnGuard {
        shared: shared.clone(),
        id,
        trigger: trigger.clone(),
        _permit: permit,
    };
    let (rd, wr) = stream.into_split();
    tokio::spawn(write_loop(
        wr,
        rx,
        closed.clone(),
        shared.clone(),
        handle.clone(),
        trigger,
    ));
    tokio::spawn(read_loop(rd, closed, handle.clone(), guard));
    handle
}

/// Unregisters a connection when its reader ends (or its task is dropped).
struct ConnGuard {
    shared: Arc<Shared>,
    id: ConnectionId,
    trigger: Arc<Trigger>,
    _permit: Option<ConnPermit>,
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.trigger.fire();
        self.shared.conns.remove(self.id);
        self.shared.counters.conn_closed();
    }
}

async fn read_loop(rd: OwnedReadHalf, closed: Stop, h: ConnHandle, guard: ConnGuard) {
    let shared = guard.shared.clone();
    if let Some(reason) = read_until_done(rd, closed, &h, &shared).await {
        shared.dropped(h.peer(), reason);
    }
    drop(guard);
}

/// Reads and frames until EOF, error, a stop, or a reason to close (returned).
async fn read_until_done(
    mut rd: OwnedReadHalf,
    mut closed: Stop,
    h: &ConnHandle,
    shared: &Shared,
) -> Option<DropReason> {
    let mut stop = shared.stop.clone();
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut framer = StreamFramer::new(shared.cfg.max_message_bytes);
    let idle = shared.cfg.tcp_idle_timeout;
    loop {
        if buf.is_empty() && buf.capacity() > 4 * READ_CHUNK {
            // One large message must not keep a large buffer for the connection's life.
            buf = BytesMut::with_capacity(READ_CHUNK);
        } else if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            buf.reserve(READ_CHUNK);
        }
        let read = tokio::select! {
            biased;
            _ = stop.wait() => return None,
            _ = closed.wait() => return None,
            r = tokio::time::timeout(idle, rd.read_buf(&mut buf)) => r,
        };
        match read {
            Err(_) => return Some(DropReason::IdleTimeout),
            // EOF or a reset: the peer's choice, nothing to count as a drop.
            Ok(Ok(0)) | Ok(Err(_)) => return None,
            Ok(Ok(_)) => {}
        }
        match drain(&mut framer, &mut buf, h, shared, &mut stop).await {
            Drained::More => {}
            Drained::Stop => return None,
            Drained::Close(reason) => return Some(reason),
        }
    }
}

enum Drained {
    More,
    Stop,
    Close(DropReason),
}

/// Hands every complete message in `buf` to the core and answers pings.
async fn drain(
    framer: &mut StreamFramer,
    buf: &mut BytesMut,
    h: &ConnHandle,
    shared: &Shared,
    stop: &mut Stop,
) -> Drained {
    loop {
        match framer.next_frame(buf) {
            Frame::NeedMore => return Drained::More,
            Frame::Close(reason) => return Drained::Close(reason),
            Frame::Skip(n) => buf.advance(n.min(buf.len())),
            Frame::Ping => {
                buf.advance(4.min(buf.len()));
                shared.counters.event(Event::TcpPing);
                // A full queue closes the connection and is counted by `enqueue`.
                if shared.enqueue(h, PONG).is_err() {
                    return Drained::Stop;
                }
            }
            Frame::Message(n) => {
                // Copied out rather than split off: a message the core keeps (an INVITE
                // held by its transaction) then pins its own size, not a read chunk.
                let n = n.min(buf.len());
                let bytes = Bytes::copy_from_slice(buf.get(..n).unwrap_or_default());
                buf.advance(n);
                let msg = Inbound::Message {
                    bytes,
                    from: h.peer(),
                    local: h.local,
                };
                // Waiting here is TCP backpressure: a slow core slows this peer only.
                let sent = tokio::select! {
                    _ = stop.wait() => return Drained::Stop,
                    r = shared.inbound.send(msg) => r,
                };
                if sent.is_err() {
                    return Drained::Stop;
                }
            }
        }
    }
}

async fn write_loop(
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Bytes>,
    mut closed: Stop,
    shared: Arc<Shared>,
    h: ConnHandle,
    trigger: Arc<Trigger>,
) {
    let mut stop = shared.stop.clone();
    let write_timeout = shared.cfg.tcp_write_timeout;
    loop {
        let next = tokio::select! {
            biased;
            _ = stop.wait() => break,
            _ = closed.wait() => break,
            m = rx.recv() => m,
        };
        let Some(msg) = next else { break };
        match tokio::time::timeout(write_timeout, wr.write_all(&msg)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => break,
            Err(_) => {
                shared.dropped(h.peer(), DropReason::WriteTimeout);
                break;
            }
        }
    }
    trigger.fire();
    // Sends FIN; bounded because a shutdown of the write side never waits on the peer.
    let _ = wr.shutdown().await;
}
