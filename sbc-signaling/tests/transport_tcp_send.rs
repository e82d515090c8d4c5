//! TCP transport, sending side on loopback: responses on the request's connection,
//! outgoing connects and their responses, fallback from a closed connection, the
//! bounded write queue, and shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use sbc_signaling::net::{ConnectionId, Peer, Transmit, TransportKind};
use sbc_signaling::transport::{DropReason, Inbound, TransportConfig, TransportError, Transports};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

const T: Duration = Duration::from_secs(5);
const INVITE: &[u8] = b"INVITE sip:b@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n";
const OK: &[u8] = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";

async fn start(
    bind: &str,
    cfg: TransportConfig,
) -> (Transports, mpsc::Receiver<Inbound>, SocketAddr) {
    let (tx, rx) = mpsc::channel(64);
    let listen: SocketAddr = bind.parse().unwrap();
    let t = Transports::bind(&[(TransportKind::Tcp, listen)], cfg, tx)
        .await
        .unwrap();
    let local = t.local_addrs()[0].1;
    (t, rx, local)
}

fn tcp_peer(addr: SocketAddr, conn: Option<ConnectionId>) -> Peer {
    Peer {
        transport: TransportKind::Tcp,
        addr,
        conn,
    }
}

async fn next(rx: &mut mpsc::Receiver<Inbound>) -> Inbound {
    timeout(T, rx.recv()).await.unwrap().unwrap()
}

async fn read_exactly(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    timeout(T, s.read_exact(&mut buf)).await.unwrap().unwrap();
    buf
}

async fn wait_until(mut cond: impl FnMut() -> bool) {
    timeout(T, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
}

async fn response_on_same_connection(bind: &str) {
    let (t, mut rx, local) = start(bind, TransportConfig::default()).await;
    let mut c = TcpStream::connect(local).await.unwrap();
    c.write_all(INVITE).await.unwrap();
    let Inbound::Message { from, .. } = next(&mut rx).await else {
        panic!("expected a message")
    };
    let conn = from.conn.unwrap();
    let used = t
        .send(Transmit {
            peer: from,
            payload: Bytes::from_static(OK),
        })
        .await
        .unwrap();
    assert_eq!(used, Some(conn));
    assert_eq!(read_exactly(&mut c, OK.len()).await, OK);
}

#[tokio::test]
async fn tcp_response_goes_back_on_the_same_connection_v4() {
    response_on_same_connection("127.0.0.1:0").await;
}

#[tokio::test]
async fn tcp_response_goes_back_on_the_same_connection_v6() {
    response_on_same_connection("[::1]:0").await;
}

#[tokio::test]
async fn tcp_send_nowait_on_an_open_connection() {
    let (t, mut rx, local) = start("127.0.0.1:0", TransportConfig::default()).await;
    let mut c = TcpStream::connect(local).await.unwrap();
    c.write_all(INVITE).await.unwrap();
    let Inbound::Message { from, .. } = next(&mut rx).await else {
        panic!("expected a message")
    };
    t.send_nowait(Transmit {
        peer: from,
        payload: Bytes::from_static(OK),
    })
    .unwrap();
    assert_eq!(read_exactly(&mut c, OK.len()).await, OK);
}

/// Accepts one connection and reads one INVITE from it.
async fn accept_invite(server: &TcpListener) -> (TcpStream, SocketAddr) {
    let (mut s, from) = timeout(T, server.accept()).await.unwrap().unwrap();
    assert_eq!(read_exactly(&mut s, INVITE.len()).await, INVITE);
    (s, from)
}

#[tokio::test]
async fn tcp_outgoing_connect_receives_the_response() {
    let (t, mut rx, local) = start("127.0.0.1:0", TransportConfig::default()).await;
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let trunk = server.local_addr().unwrap();

    let used = t.send(Transmit {
        peer: tcp_peer(trunk, None),
        payload: Bytes::from_static(INVITE),
    });
    let used = used.await.unwrap().unwrap();
    let (mut s, from) = accept_invite(&server).await;
    // Bound to the listener's IP, with an ephemeral port.
    assert_eq!(from.ip(), local.ip());

    s.write_all(OK).await.unwrap();
    let Inbound::Message { bytes, from, .. } = next(&mut rx).await else {
        panic!("expected a message")
    };
    assert_eq!(&bytes[..], OK);
    assert_eq!(from, tcp_peer(trunk, Some(used)));
    assert_eq!(t.stats().tcp_connected, 1);

    // Another send to the same address reuses the open connection.
    let again = t.send(Transmit {
        peer: tcp_peer(trunk, None),
        payload: Bytes::from_static(INVITE),
    });
    assert_eq!(again.await.unwrap(), Some(used));
    assert_eq!(read_exactly(&mut s, INVITE.len()).await, INVITE);
}

#[tokio::test]
async fn tcp_send_to_a_closed_connection_falls_back_to_a_new_one() {
    let (t, _rx, _) = start("127.0.0.1:0", TransportConfig::default()).await;
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let trunk = server.local_addr().unwrap();

    let first = t.send(Transmit {
        peer: tcp_peer(trunk, None),
        payload: Bytes::from_static(INVITE),
    });
    let first = first.await.unwrap().unwrap();
    let (s, _) = accept_invite(&server).await;
    drop(s);
    wait_until(|| !t.is_open(first)).await;
    assert_eq!(t.stats().tcp_open, 0);

    let pinned = tcp_peer(trunk, Some(first));
    let second = t.send(Transmit {
        peer: pinned,
        payload: Bytes::from_static(INVITE),
    });
    let second = second.await.unwrap().unwrap();
    assert_ne!(second, first);
    accept_invite(&server).await;
    assert!(t.is_open(second));
}

#[tokio::test]
async fn tcp_send_nowait_connects_in_the_background() {
    let (t, _rx, _) = start("127.0.0.1:0", TransportConfig::default()).await;
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let trunk = server.local_addr().unwrap();
    t.send_nowait(Transmit {
        peer: tcp_peer(trunk, None),
        payload: Bytes::from_static(INVITE),
    })
    .unwrap();
    accept_invite(&server).await;
}

#[tokio::test]
async fn tcp_connect_failure_is_an_error() {
    let (t, _rx, _) = start("127.0.0.1:0", TransportConfig::default()).await;
    // A bound but non-listening socket holds the port for the whole test, so
    // no parallel test can be handed it, and a connect to it is refused.
    let holder = tokio::net::TcpSocket::new_v4().unwrap();
    holder.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let gone = holder.local_addr().unwrap();
    let r = t
        .send(Transmit {
            peer: tcp_peer(gone, None),
            payload: Bytes::from_static(INVITE),
        })
        .await;
    assert!(matches!(r, Err(TransportError::Connect { .. })), "{r:?}");
    assert_eq!(t.stats().tcp_connect_failures, 1);
}

// Single-threaded runtime: the writer task can't drain the queue between two pushes.
#[tokio::test(flavor = "current_thread")]
async fn tcp_full_write_queue_drops_the_connection() {
    let cfg = TransportConfig {
        tcp_write_queue: 1,
        ..TransportConfig::default()
    };
    let (t, mut rx, local) = start("127.0.0.1:0", cfg).await;
    let mut c = TcpStream::connect(local).await.unwrap();
    c.write_all(INVITE).await.unwrap();
    let Inbound::Message { from, .. } = next(&mut rx).await else {
        panic!("expected a message")
    };
    let tx = |t: &Transports| {
        t.send_nowait(Transmit {
            peer: from,
            payload: Bytes::from_static(OK),
        })
    };
    tx(&t).unwrap();
    assert!(matches!(tx(&t), Err(TransportError::QueueFull(_))));
    let Inbound::Dropped { reason, .. } = next(&mut rx).await else {
        panic!("expected a drop")
    };
    assert_eq!(reason, DropReason::WriteQueueFull);
    wait_until(|| t.stats().tcp_open == 0).await;
    assert_eq!(t.stats().dropped(DropReason::WriteQueueFull), 1);
}

#[tokio::test]
async fn tcp_shutdown_closes_connections_and_ends_tasks() {
    let (t, mut rx, local) = start("127.0.0.1:0", TransportConfig::default()).await;
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let trunk = server.local_addr().unwrap();
    let mut inbound_conn = TcpStream::connect(local).await.unwrap();
    t.send(Transmit {
        peer: tcp_peer(trunk, None),
        payload: Bytes::from_static(INVITE),
    })
    .await
    .unwrap();
    let (mut outgoing_conn, _) = accept_invite(&server).await;
    wait_until(|| t.stats().tcp_open == 2).await;

    t.shutdown();
    let r = t.send(Transmit {
        peer: tcp_peer(trunk, None),
        payload: Bytes::from_static(INVITE),
    });
    assert!(matches!(r.await, Err(TransportError::Shutdown)));
    let mut buf = [0u8; 16];
    for s in [&mut inbound_conn, &mut outgoing_conn] {
        let n = timeout(T, s.read(&mut buf)).await.unwrap().unwrap_or(0);
        assert_eq!(n, 0);
    }
    drop(t);
    assert!(timeout(T, rx.recv()).await.unwrap().is_none());
}
