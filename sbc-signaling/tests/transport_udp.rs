//! UDP transport on loopback: round trips over IPv4 and IPv6, keep-alives, oversize
//! datagrams, source-family selection and task shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use sbc_signaling::net::{Peer, Transmit, TransportKind};
use sbc_signaling::transport::{Inbound, IpFamily, TransportConfig, TransportError, Transports};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::timeout;

const T: Duration = Duration::from_secs(5);
const OPTIONS: &[u8] = b"OPTIONS sip:sbc@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n";
const OK: &[u8] = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";

async fn start(
    listeners: &[(TransportKind, SocketAddr)],
    cfg: TransportConfig,
) -> (Transports, mpsc::Receiver<Inbound>) {
    let (tx, rx) = mpsc::channel(64);
    let t = Transports::bind(listeners, cfg, tx).await.unwrap();
    (t, rx)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

async fn next(rx: &mut mpsc::Receiver<Inbound>) -> Inbound {
    timeout(T, rx.recv()).await.unwrap().unwrap()
}

async fn round_trip(bind: &str) {
    let (t, mut rx) = start(
        &[(TransportKind::Udp, addr(bind))],
        TransportConfig::default(),
    )
    .await;
    let local = t.local_addrs()[0].1;
    assert_ne!(local.port(), 0);
    let client = UdpSocket::bind(SocketAddr::new(local.ip(), 0))
        .await
        .unwrap();
    client.send_to(OPTIONS, local).await.unwrap();

    let Inbound::Message {
        bytes,
        from,
        local: got_local,
    } = next(&mut rx).await
    else {
        panic!("expected a message")
    };
    assert_eq!(&bytes[..], OPTIONS);
    assert_eq!(from, Peer::udp(client.local_addr().unwrap()));
    assert_eq!(got_local, local);

    let conn = t
        .send(Transmit {
            peer: from,
            payload: Bytes::from_static(OK),
        })
        .await
        .unwrap();
    assert_eq!(conn, None);
    let mut buf = [0u8; 2048];
    let (n, src) = timeout(T, client.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], OK);
    assert_eq!(src, local);
}

#[tokio::test]
async fn udp_round_trip_v4() {
    round_trip("127.0.0.1:0").await;
}

#[tokio::test]
async fn udp_round_trip_v6() {
    round_trip("[::1]:0").await;
}

#[tokio::test]
async fn udp_crlf_keepalive_is_ignored_and_counted() {
    let (t, mut rx) = start(
        &[(TransportKind::Udp, addr("127.0.0.1:0"))],
        TransportConfig::default(),
    )
    .await;
    let local = t.local_addrs()[0].1;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    client.send_to(b"\r\n\r\n", local).await.unwrap();
    client.send_to(b"\r\n", local).await.unwrap();
    client.send_to(OPTIONS, local).await.unwrap();
    let Inbound::Message { bytes, .. } = next(&mut rx).await else {
        panic!("expected a message")
    };
    assert_eq!(&bytes[..], OPTIONS);
    assert_eq!(t.stats().udp_keepalives, 2);
}

#[tokio::test]
async fn udp_oversize_datagram_delivers_its_head() {
    let cfg = TransportConfig {
        max_message_bytes: 100,
        ..TransportConfig::default()
    };
    let (t, mut rx) = start(&[(TransportKind::Udp, addr("127.0.0.1:0"))], cfg).await;
    let local = t.local_addrs()[0].1;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let big = vec![b'x'; 300];
    client.send_to(&big, local).await.unwrap();
    let Inbound::Oversize { head, from, .. } = next(&mut rx).await else {
        panic!("expected oversize")
    };
    assert_eq!(head.len(), 100);
    assert_eq!(from.addr, client.local_addr().unwrap());
    assert_eq!(t.stats().udp_oversize, 1);
    // Exactly at the limit is a normal message.
    client.send_to(&big[..100], local).await.unwrap();
    assert!(matches!(next(&mut rx).await, Inbound::Message { bytes, .. } if bytes.len() == 100));
}

#[tokio::test]
async fn udp_sends_from_the_listener_of_the_destination_family() {
    let listeners = [
        (TransportKind::Udp, addr("127.0.0.1:0")),
        (TransportKind::Udp, addr("[::1]:0")),
    ];
    let (t, _rx) = start(&listeners, TransportConfig::default()).await;
    let (v4, v6) = (t.local_addrs()[0].1, t.local_addrs()[1].1);
    for (client_bind, expected_src) in [("[::1]:0", v6), ("127.0.0.1:0", v4)] {
        let client = UdpSocket::bind(client_bind).await.unwrap();
        let peer = Peer::udp(client.local_addr().unwrap());
        t.send(Transmit {
            peer,
            payload: Bytes::from_static(OK),
        })
        .await
        .unwrap();
        let mut buf = [0u8; 2048];
        let (_, src) = timeout(T, client.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(src, expected_src);
    }
}

#[tokio::test]
async fn udp_send_without_a_listener_of_that_family_fails() {
    let (t, _rx) = start(
        &[(TransportKind::Udp, addr("127.0.0.1:0"))],
        TransportConfig::default(),
    )
    .await;
    let peer = Peer::udp(addr("[::1]:5060"));
    let r = t
        .send(Transmit {
            peer,
            payload: Bytes::from_static(OK),
        })
        .await;
    assert!(
        matches!(
            r,
            Err(TransportError::NoListener {
                family: IpFamily::V6,
                ..
            })
        ),
        "{r:?}"
    );
    let r = t.send_nowait(Transmit {
        peer,
        payload: Bytes::from_static(OK),
    });
    assert!(matches!(r, Err(TransportError::NoListener { .. })), "{r:?}");
}

#[tokio::test]
async fn udp_send_nowait_round_trip() {
    let (t, _rx) = start(
        &[(TransportKind::Udp, addr("127.0.0.1:0"))],
        TransportConfig::default(),
    )
    .await;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer = Peer::udp(client.local_addr().unwrap());
    t.send_nowait(Transmit {
        peer,
        payload: Bytes::from_static(OK),
    })
    .unwrap();
    let mut buf = [0u8; 2048];
    let (n, _) = timeout(T, client.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], OK);
}

#[tokio::test]
async fn udp_keeps_receiving_after_sending_to_a_closed_port() {
    let (t, mut rx) = start(
        &[(TransportKind::Udp, addr("127.0.0.1:0"))],
        TransportConfig::default(),
    )
    .await;
    let local = t.local_addrs()[0].1;
    let gone = UdpSocket::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    for _ in 0..3 {
        // Each provokes an ICMP port unreachable back to our socket.
        t.send(Transmit {
            peer: Peer::udp(gone),
            payload: Bytes::from_static(OK),
        })
        .await
        .ok();
    }
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    client.send_to(OPTIONS, local).await.unwrap();
    assert!(matches!(next(&mut rx).await, Inbound::Message { .. }));
}

#[tokio::test]
async fn udp_shutdown_stops_tasks_and_sends() {
    let (t, mut rx) = start(
        &[(TransportKind::Udp, addr("127.0.0.1:0"))],
        TransportConfig::default(),
    )
    .await;
    let peer = Peer::udp(addr("127.0.0.1:9"));
    t.shutdown();
    let r = t
        .send(Transmit {
            peer,
            payload: Bytes::from_static(OK),
        })
        .await;
    assert!(matches!(r, Err(TransportError::Shutdown)), "{r:?}");
    drop(t);
    // Every task held a sender clone: the channel closes only once all have ended.
    assert!(timeout(T, rx.recv()).await.unwrap().is_none());
}

#[tokio::test]
async fn udp_dropping_the_last_handle_stops_tasks() {
    let (t, mut rx) = start(
        &[(TransportKind::Udp, addr("[::1]:0"))],
        TransportConfig::default(),
    )
    .await;
    let t2 = t.clone();
    drop(t);
    assert!(
        timeout(Duration::from_millis(100), rx.recv())
            .await
            .is_err(),
        "a clone is alive"
    );
    drop(t2);
    assert!(timeout(T, rx.recv()).await.unwrap().is_none());
}
