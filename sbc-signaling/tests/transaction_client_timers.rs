//! Client transaction timers in virtual time: INVITE Timer A/B over UDP, non-INVITE
//! Timer E/F capped at T2, and no retransmissions at all over TCP.

mod transaction_util;

use std::time::{Duration, Instant};

use sbc_signaling::sip::Method;
use sbc_signaling::transaction::TxEvent;
use transaction_util::*;

fn offsets(sends: &[(Duration, sbc_signaling::net::Transmit)]) -> Vec<u64> {
    sends.iter().map(|(d, _)| d.as_millis() as u64).collect()
}

#[test]
fn invite_over_udp_retransmits_on_timer_a_and_times_out_on_b() {
    let mut l = layer();
    let t0 = Instant::now();
    let branch = l.new_branch();
    let invite = Req::new(Method::Invite, &branch).build();
    let id = l.send_request(t0, invite, udp(UAS_ADDR)).unwrap();
    assert_eq!(drain_tx(&mut l).len(), 1, "initial send");

    let sends = run_timers(&mut l, t0, t0 + Duration::from_secs(40));
    assert_eq!(offsets(&sends), vec![500, 1500, 3500, 7500, 15500, 31500]);
    assert!(sends
        .iter()
        .all(|(_, t)| first_line(t).starts_with("INVITE ")));

    let ev = drain_ev(&mut l);
    assert!(
        matches!(ev.as_slice(), [TxEvent::Timeout { tx }] if *tx == id),
        "{ev:?}"
    );
    assert_eq!(l.len(), 0);
    assert_eq!(l.poll_timeout(), None);
    assert_eq!(l.stats().timeouts, 1);
}

#[test]
fn timer_b_fires_at_exactly_64_t1() {
    let mut l = layer();
    let t0 = Instant::now();
    let branch = l.new_branch();
    l.send_request(t0, Req::new(Method::Invite, &branch).build(), udp(UAS_ADDR))
        .unwrap();
    run_timers(&mut l, t0, t0 + Duration::from_millis(31_999));
    assert!(drain_ev(&mut l).is_empty());
    l.handle_timeout(t0 + Duration::from_secs(32));
    assert!(matches!(
        drain_ev(&mut l).as_slice(),
        [TxEvent::Timeout { .. }]
    ));
}

#[test]
fn provisional_stops_invite_retransmissions_and_timer_b() {
    let mut l = layer();
    let t0 = Instant::now();
    let branch = l.new_branch();
    let invite = Req::new(Method::Invite, &branch).build();
    let id = l.send_request(t0, invite.clone(), udp(UAS_ADDR)).unwrap();
    drain_tx(&mut l);
    l.handle_message(t0 + ms(100), response(&invite, 100, None), udp(UAS_ADDR));
    let sends = run_timers(&mut l, t0, t0 + Duration::from_secs(300));
    assert!(sends.is_empty(), "no retransmission after 1xx");
    let ev = drain_ev(&mut l);
    assert!(
        matches!(ev.as_slice(), [TxEvent::Response { tx, .. }] if *tx == id),
        "{ev:?}"
    );
    assert_eq!(l.len(), 1, "Proceeding waits for the final (no Timer B)");
    l.handle_message(
        t0 + Duration::from_secs(301),
        response(&invite, 486, Some("u1")),
        udp(UAS_ADDR),
    );
    // ACK for the non-2xx goes out at once.
    let acks = drain_tx(&mut l);
    assert_eq!(acks.len(), 1);
    assert!(first_line(&acks[0]).starts_with("ACK sip:bob@198.51.100.20 "));
    run_out(&mut l);
    assert_eq!(l.len(), 0);
}

#[test]
fn non_invite_timer_e_caps_at_t2_and_f_times_out() {
    let mut l = layer();
    let t0 = Instant::now();
    let branch = l.new_branch();
    let id = l
        .send_request(
            t0,
            Req::new(Method::Options, &branch).build(),
            udp(UAS_ADDR),
        )
        .unwrap();
    drain_tx(&mut l);
    let sends = run_timers(&mut l, t0, t0 + Duration::from_secs(40));
    assert_eq!(
        offsets(&sends),
        vec![500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    let ev = drain_ev(&mut l);
    assert!(matches!(ev.as_slice(), [TxEvent::Timeout { tx }] if *tx == id));
    assert_eq!(l.len(), 0);
}

#[test]
fn non_invite_in_proceeding_retransmits_every_t2() {
    let mut l = layer();
    let t0 = Instant::now();
    let branch = l.new_branch();
    let bye = Req::new(Method::Bye, &branch).build();
    l.send_request(t0, bye.clone(), udp(UAS_ADDR)).unwrap();
    drain_tx(&mut l);
    // E fires at 0.5 (Trying, next 1.0 later); a 1xx at 0.6 moves to Proceeding.
    let early = run_timers(&mut l, t0, t0 + ms(500));
    assert_eq!(offsets(&early), vec![500]);
    l.handle_message(t0 + ms(600), response(&bye, 180, Some("x")), udp(UAS_ADDR));
    let sends = run_timers(&mut l, t0, t0 + Duration::from_secs(12));
    // 1.5 was armed in Trying; from then on every T2.
    assert_eq!(offsets(&sends), vec![1500, 5500, 9500]);
}

#[test]
fn non_invite_final_then_timer_k_then_gone() {
    let mut l = layer();
    let t0 = Instant::now();
    let branch = l.new_branch();
    let opt = Req::new(Method::Options, &branch).build();
    let id = l.send_request(t0, opt.clone(), udp(UAS_ADDR)).unwrap();
    drain_tx(&mut l);
    let ok = response(&opt, 200, Some("t"));
    l.handle_message(t0 + ms(50), ok.clone(), udp(UAS_ADDR));
    // A retransmitted final is absorbed in Completed.
    l.handle_message(t0 + ms(60), ok.clone(), udp(UAS_ADDR));
    let ev = drain_ev(&mut l);
    assert!(
        matches!(ev.as_slice(), [TxEvent::Response { tx, .. }] if *tx == id),
        "{ev:?}"
    );
    assert_eq!(
        l.poll_timeout(),
        Some(t0 + ms(50) + Duration::from_secs(5)),
        "Timer K = T4"
    );
    run_out(&mut l);
    assert_eq!(l.len(), 0);
    // After K, the same response is a stray.
    l.handle_message(t0 + Duration::from_secs(10), ok, udp(UAS_ADDR));
    assert!(matches!(
        drain_ev(&mut l).as_slice(),
        [TxEvent::StrayResponse { .. }]
    ));
}

#[test]
fn tcp_has_no_retransmissions_and_zero_wait_timers() {
    let mut l = layer();
    let t0 = Instant::now();
    let peer = tcp(UAS_ADDR, 9);
    let b1 = l.new_branch();
    let invite = Req::new(Method::Invite, &b1).build();
    l.send_request(t0, invite.clone(), peer).unwrap();
    let b2 = l.new_branch();
    let opt = Req::new(Method::Options, &b2).build();
    l.send_request(t0, opt.clone(), peer).unwrap();
    assert_eq!(drain_tx(&mut l).len(), 2);
    // Only Timer B and F remain, both at 64*T1.
    assert_eq!(l.poll_timeout(), Some(t0 + Duration::from_secs(32)));
    let sends = run_timers(&mut l, t0, t0 + ms(31_000));
    assert!(sends.is_empty());
    // Finals over TCP: D and K are zero, the transactions end at once.
    l.handle_message(t0 + ms(31_100), response(&invite, 404, Some("a")), peer);
    l.handle_message(t0 + ms(31_100), response(&opt, 200, Some("b")), peer);
    let acks = drain_tx(&mut l);
    assert_eq!(acks.len(), 1, "the ACK for the 404 only");
    assert_eq!(l.len(), 0);
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn send_request_rejects_missing_branch_and_ack() {
    let mut l = layer();
    let t0 = Instant::now();
    let mut r = Req::new(Method::Options, "old-style-branch");
    assert!(l.send_request(t0, r.build(), udp(UAS_ADDR)).is_err());
    r.via = "SIP/2.0/UDP 192.0.2.10:5060".into();
    assert!(l.send_request(t0, r.build(), udp(UAS_ADDR)).is_err());
    let ack = Req::new(Method::Ack, "z9hG4bKack").build();
    assert!(l.send_request(t0, ack, udp(UAS_ADDR)).is_err());
    assert_eq!(l.len(), 0);
    assert!(drain_tx(&mut l).is_empty());
}

#[test]
fn branches_are_unique_and_cookied() {
    let mut l = layer();
    let a = l.new_branch();
    let b = l.new_branch();
    assert!(a.starts_with("z9hG4bK") && a.len() >= 7 + 16);
    assert_ne!(a, b);
}
