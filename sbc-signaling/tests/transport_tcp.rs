//! TCP transport, inbound side on loopback: framing across writes, CRLF ping/pong,
//! size and framing errors, idle timeout and per-IP connection limits.

use std::net::SocketAddr;
use std::time::Duration;

use sbc_signaling::net::TransportKind;
use sbc_signaling::transport::{DropReason, Inbound, TransportConfig, Transports};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;

const T: Duration = Duration::from_secs(5);

fn options(body: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:sbc@example.com SIP/2.0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn cfg() -> TransportConfig {
    TransportConfig {
        max_message_bytes: 1024,
        ..TransportConfig::default()
    }
}

async fn start(cfg: TransportConfig) -> (Transports, mpsc::Receiver<Inbound>, SocketAddr) {
    let (tx, rx) = mpsc::channel(64);
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let t = Transports::bind(&[(TransportKind::Tcp, listen)], cfg, tx)
        .await
        .unwrap();
    let local = t.local_addrs()[0].1;
    (t, rx, local)
}

async fn next(rx: &mut mpsc::Receiver<Inbound>) -> Inbound {
    timeout(T, rx.recv()).await.unwrap().unwrap()
}

async fn next_message(rx: &mut mpsc::Receiver<Inbound>) -> Vec<u8> {
    match next(rx).await {
        Inbound::Message { bytes, from, .. } => {
            assert_eq!(from.transport, TransportKind::Tcp);
            assert!(from.conn.is_some());
            bytes.to_vec()
        }
        other => panic!("expected a message, got {other:?}"),
    }
}

/// True once the server closed the connection (EOF or reset).
async fn closed_by_server(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 256];
    loop {
        match timeout(T, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
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

async fn expect_dropped(rx: &mut mpsc::Receiver<Inbound>, reason: DropReason) {
    match next(rx).await {
        Inbound::Dropped { reason: r, .. } => assert_eq!(r, reason),
        other => panic!("expected Dropped({reason:?}), got {other:?}"),
    }
}

#[tokio::test]
async fn tcp_two_messages_in_one_write() {
    let (_t, mut rx, local) = start(cfg()).await;
    let mut c = TcpStream::connect(local).await.unwrap();
    let (a, b) = (options("first"), options("second"));
    c.write_all(&[a.clone(), b.clone()].concat()).await.unwrap();
    assert_eq!(next_message(&mut rx).await, a);
    assert_eq!(next_message(&mut rx).await, b);
}

#[tokio::test]
async fn tcp_one_message_split_across_three_writes() {
    let (_t, mut rx, local) = start(cfg()).await;
    let mut c = TcpStream::connect(local).await.unwrap();
    c.set_nodelay(true).unwrap();
    let m = options("v=0\r\n");
    // Cut inside the start line and inside the body.
    for part in [&m[..10], &m[10..m.len() - 3], &m[m.len() - 3..]] {
        c.write_all(part).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(next_message(&mut rx).await, m);
}

#[tokio::test]
async fn tcp_crlf_ping_gets_pong() {
    let (t, mut rx, local) = start(cfg()).await;
    let mut c = TcpStream::connect(local).await.unwrap();
    c.write_all(b"\r\n\r\n").await.unwrap();
    let mut pong = [0u8; 2];
    timeout(T, c.read_exact(&mut pong)).await.unwrap().unwrap();
    assert_eq!(&pong, b"\r\n");
    assert_eq!(t.stats().tcp_pings, 1);
    // The connection carries messages after a ping as before.
    let m = options("");
    c.write_all(&m).await.unwrap();
    assert_eq!(next_message(&mut rx).await, m);
}

#[tokio::test]
async fn tcp_message_over_limit_closes_and_counts() {
    let (t, mut rx, local) = start(cfg()).await;
    let mut c = TcpStream::connect(local).await.unwrap();
    c.write_all(&options(&"x".repeat(2000))).await.unwrap();
    assert!(closed_by_server(&mut c).await);
    expect_dropped(&mut rx, DropReason::TooLarge).await;
    assert_eq!(t.stats().dropped(DropReason::TooLarge), 1);
    wait_until(|| t.stats().tcp_open == 0).await;
}

#[tokio::test]
async fn tcp_endless_header_section_closes_at_limit() {
    let (t, mut rx, local) = start(cfg()).await;
    let mut c = TcpStream::connect(local).await.unwrap();
    let _ = c.write_all(&vec![b'a'; 1500]).await;
    assert!(closed_by_server(&mut c).await);
    expect_dropped(&mut rx, DropReason::TooLarge).await;
    assert_eq!(t.stats().dropped(DropReason::TooLarge), 1);
}

#[tokio::test]
async fn tcp_missing_content_length_closes_and_counts() {
    let (t, mut rx, local) = start(cfg()).await;
    let mut c = TcpStream::connect(local).await.unwrap();
    c.write_all(b"OPTIONS sip:sbc@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n")
        .await
        .unwrap();
    assert!(closed_by_server(&mut c).await);
    expect_dropped(&mut rx, DropReason::Framing).await;
    assert_eq!(t.stats().dropped(DropReason::Framing), 1);
}

#[tokio::test]
async fn tcp_idle_connection_is_closed() {
    let cfg = TransportConfig {
        tcp_idle_timeout: Duration::from_millis(200),
        ..cfg()
    };
    let (t, mut rx, local) = start(cfg).await;
    let mut c = TcpStream::connect(local).await.unwrap();
    // Activity postpones the timeout.
    tokio::time::sleep(Duration::from_millis(120)).await;
    c.write_all(b"\r\n\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(t.stats().dropped(DropReason::IdleTimeout), 0);
    assert!(closed_by_server(&mut c).await);
    expect_dropped(&mut rx, DropReason::IdleTimeout).await;
    assert_eq!(t.stats().dropped(DropReason::IdleTimeout), 1);
}

#[tokio::test]
async fn tcp_per_ip_connection_limit() {
    let cfg = TransportConfig {
        tcp_max_connections_per_ip: 2,
        ..cfg()
    };
    let (t, mut rx, local) = start(cfg).await;
    let c1 = TcpStream::connect(local).await.unwrap();
    let mut c2 = TcpStream::connect(local).await.unwrap();
    wait_until(|| t.stats().tcp_open == 2).await;

    let mut c3 = TcpStream::connect(local).await.unwrap();
    assert!(closed_by_server(&mut c3).await);
    expect_dropped(&mut rx, DropReason::ConnectionLimit).await;
    assert_eq!(t.stats().dropped(DropReason::ConnectionLimit), 1);

    // The admitted ones still work, and a freed slot admits a new connection.
    let m = options("");
    c2.write_all(&m).await.unwrap();
    assert_eq!(next_message(&mut rx).await, m);
    drop(c1);
    wait_until(|| t.stats().tcp_open == 1).await;
    let mut c4 = TcpStream::connect(local).await.unwrap();
    c4.write_all(&m).await.unwrap();
    assert_eq!(next_message(&mut rx).await, m);
    assert_eq!(t.stats().tcp_accepted, 3);
}

#[tokio::test]
async fn tcp_total_connection_limit() {
    let cfg = TransportConfig {
        tcp_max_connections: 1,
        ..cfg()
    };
    let (t, mut rx, local) = start(cfg).await;
    let _c1 = TcpStream::connect(local).await.unwrap();
    wait_until(|| t.stats().tcp_open == 1).await;
    let mut c2 = TcpStream::connect(local).await.unwrap();
    assert!(closed_by_server(&mut c2).await);
    expect_dropped(&mut rx, DropReason::ConnectionLimit).await;
}

#[tokio::test]
async fn tcp_ipv6_message_is_received() {
    let (tx, mut rx) = mpsc::channel(8);
    let listen: SocketAddr = "[::1]:0".parse().unwrap();
    let t = Transports::bind(&[(TransportKind::Tcp, listen)], cfg(), tx)
        .await
        .unwrap();
    let local = t.local_addrs()[0].1;
    let mut c = TcpStream::connect(local).await.unwrap();
    let m = options("");
    c.write_all(&m).await.unwrap();
    match next(&mut rx).await {
        Inbound::Message {
            bytes,
            from,
            local: l,
        } => {
            assert_eq!(&bytes[..], &m[..]);
            assert_eq!(from.addr, c.local_addr().unwrap());
            assert_eq!(l, local);
        }
        other => panic!("unexpected {other:?}"),
    }
}
