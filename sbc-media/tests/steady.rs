//! Steady state: 10,000 packets each way through one call, no loss, within a hard time
//! bound. The senders keep at most `WINDOW` packets in flight so the test phones'
//! receive buffers cannot overflow when the machine is busy: any packet the relay
//! loses shows up as a stall and fails the test.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::MediaControl;

const PACKETS: u16 = 10_000;
const WINDOW: u32 = 64;
const LIMIT: Duration = Duration::from_secs(5);

#[test]
fn relays_ten_thousand_packets_each_way_without_loss() {
    let engine = engine(4);
    let (a, ep_a) = engine.allocate(CallRef(7), LegSide::A).unwrap();
    let (b, ep_b) = engine.allocate(CallRef(7), LegSide::B).unwrap();
    let (pa, pb) = (phone(), phone());
    engine
        .set_remote(a, remote(addr(&pa), addr(&phone())))
        .unwrap();
    engine
        .set_remote(b, remote(addr(&pb), addr(&phone())))
        .unwrap();
    engine.connect(a, b).unwrap();
    engine.sync().unwrap();

    let deadline = Instant::now() + LIMIT;
    let a_to_b = spawn_flow(&pa, ep_a.rtp, &pb, deadline);
    let b_to_a = spawn_flow(&pb, ep_b.rtp, &pa, deadline);
    assert_eq!(a_to_b.join().unwrap(), u32::from(PACKETS), "A -> B");
    assert_eq!(b_to_a.join().unwrap(), u32::from(PACKETS), "B -> A");
    assert!(Instant::now() < deadline, "too slow");

    let sent = || engine.stats().traffic.packets_sent;
    eventually(sent, 2 * u64::from(PACKETS));
    assert_eq!(engine.stats().traffic.drops.total(), 0);
}

/// Sends `PACKETS` from `tx` to `to` while a second thread counts distinct arrivals on
/// `rx`; returns how many distinct packets arrived.
fn spawn_flow(
    tx: &UdpSocket,
    to: SocketAddr,
    rx: &UdpSocket,
    deadline: Instant,
) -> thread::JoinHandle<u32> {
    let (tx, rx) = (tx.try_clone().unwrap(), rx.try_clone().unwrap());
    let received = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&received);
    let receiver = thread::spawn(move || receive_all(&rx, &counter, deadline));
    thread::spawn(move || {
        for seq in 0..PACKETS {
            while u32::from(seq) >= received.load(Ordering::Relaxed) + WINDOW {
                if Instant::now() > deadline {
                    break;
                }
                thread::sleep(Duration::from_micros(200));
            }
            tx.send_to(&rtp(seq), to).unwrap();
        }
        receiver.join().unwrap()
    })
}

/// Counts distinct sequence numbers until all arrived or the deadline passes.
fn receive_all(s: &UdpSocket, count: &AtomicU32, deadline: Instant) -> u32 {
    let mut seen = vec![false; usize::from(PACKETS)];
    let mut buf = [0u8; 2048];
    let mut distinct = 0u32;
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    while distinct < u32::from(PACKETS) && Instant::now() < deadline {
        let Ok((n, _)) = s.recv_from(&mut buf) else {
            continue;
        };
        if n < 4 {
            continue;
        }
        let seq = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        if let Some(flag) = seen.get_mut(seq).filter(|f| !**f) {
            *flag = true;
            distinct += 1;
            count.store(distinct, Ordering::Relaxed);
        }
    }
    distinct
}
