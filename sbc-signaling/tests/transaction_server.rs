//! Server transactions in virtual time: 100 Trying, absorption of retransmitted
//! requests (re-sending the last response), Timer G/H/I for non-2xx, the 2xx
//! retransmission until the ACK, Timer L, response addressing (§18.2.2, RFC 3581).

mod transaction_util;

use std::time::{Duration, Instant};

use sbc_signaling::net::Peer;
use sbc_signaling::sip::{Method, SipMessage};
use sbc_signaling::transaction::{ServerTxId, TransactionLayer, TxEvent};
use transaction_util::*;

/// Deliver `req` to a fresh server layer, return the new tx id and the 100 (if any).
fn receive(l: &mut TransactionLayer, now: Instant, req: &SipMessage, from: Peer) -> ServerTxId {
    l.handle_message(now, req.clone(), from);
    let ev = drain_ev(l);
    match ev.as_slice() {
        [TxEvent::Request { tx, .. }] => *tx,
        other => panic!("expected one Request, got {other:?}"),
    }
}

#[test]
fn invite_gets_100_at_once_and_retransmissions_get_the_last_provisional() {
    let mut l = layer();
    let t0 = Instant::now();
    let invite = Req::new(Method::Invite, "z9hG4bKsrv1").build();
    let tx = receive(&mut l, t0, &invite, udp(UAC_ADDR));
    let out = drain_tx(&mut l);
    assert_eq!(out.len(), 1);
    assert_eq!(first_line(&out[0]), "SIP/2.0 100 Trying");
    assert_eq!(out[0].peer, udp(UAC_ADDR));

    // The TU's own 100 is a duplicate and is not sent again.
    l.send_response(t0, tx, response(&invite, 100, None))
        .unwrap();
    assert!(drain_tx(&mut l).is_empty());

    // Retransmitted INVITE: absorbed, the 100 re-sent.
    l.handle_message(t0 + ms(500), invite.clone(), udp(UAC_ADDR));
    assert!(drain_ev(&mut l).is_empty());
    let out = drain_tx(&mut l);
    assert_eq!(
        out.iter().map(first_line).collect::<Vec<_>>(),
        ["SIP/2.0 100 Trying"]
    );

    l.send_response(t0 + ms(600), tx, response(&invite, 180, Some("uas1")))
        .unwrap();
    drain_tx(&mut l);
    l.handle_message(t0 + ms(1500), invite, udp(UAC_ADDR));
    let out = drain_tx(&mut l);
    assert_eq!(
        out.iter().map(first_line).collect::<Vec<_>>(),
        ["SIP/2.0 180 Ringing"]
    );
    assert_eq!(l.stats().request_retransmissions, 2);
}

#[test]
fn non_2xx_final_retransmits_on_g_until_ack_then_absorbs_acks_until_i() {
    let mut l = layer();
    let t0 = Instant::now();
    let invite = Req::new(Method::Invite, "z9hG4bKsrv2").build();
    let tx = receive(&mut l, t0, &invite, udp(UAC_ADDR));
    drain_tx(&mut l);
    let busy = response(&invite, 486, Some("uas2"));
    l.send_response(t0, tx, busy.clone()).unwrap();
    assert_eq!(drain_tx(&mut l).len(), 1);

    let sends = run_timers(&mut l, t0, t0 + ms(8_000));
    let at: Vec<u64> = sends.iter().map(|(d, _)| d.as_millis() as u64).collect();
    assert_eq!(at, vec![500, 1500, 3500, 7500], "G doubles up to T2");

    // A retransmitted INVITE in Completed gets the final again.
    l.handle_message(t0 + ms(8_100), invite.clone(), udp(UAC_ADDR));
    assert_eq!(
        drain_tx(&mut l).iter().map(first_line).collect::<Vec<_>>(),
        ["SIP/2.0 486 Busy Here"]
    );

    // The ACK (same branch, built like a client transaction would) confirms.
    let mut ack = Req::new(Method::Ack, "z9hG4bKsrv2");
    ack.to_tag = Some("uas2");
    l.handle_message(t0 + ms(8_200), ack.build(), udp(UAC_ADDR));
    l.handle_message(t0 + ms(8_300), ack.build(), udp(UAC_ADDR));
    assert!(
        drain_ev(&mut l).is_empty(),
        "ACKs to a non-2xx never reach the TU"
    );
    let sends = run_timers(&mut l, t0, t0 + ms(20_000));
    assert!(sends.is_empty(), "no more G after the ACK");
    let ev = drain_ev(&mut l);
    assert!(
        matches!(ev.as_slice(), [TxEvent::Terminated { tx: t }] if *t == tx),
        "{ev:?}"
    );
    assert_eq!(l.len(), 0, "Timer I (T4) ended it");
}

#[test]
fn timer_h_reports_ack_timeout() {
    let mut l = layer();
    let t0 = Instant::now();
    let invite = Req::new(Method::Invite, "z9hG4bKsrv3").build();
    let tx = receive(&mut l, t0, &invite, udp(UAC_ADDR));
    l.send_response(t0, tx, response(&invite, 503, Some("x")))
        .unwrap();
    run_timers(&mut l, t0, t0 + ms(31_999));
    assert!(drain_ev(&mut l).is_empty());
    l.handle_timeout(t0 + Duration::from_secs(32));
    let ev = drain_ev(&mut l);
    assert!(
        matches!(ev.as_slice(), [TxEvent::AckTimeout { tx: a }, TxEvent::Terminated { tx: b }] if *a == tx && *b == tx),
        "{ev:?}"
    );
    assert_eq!(l.len(), 0);
}

#[test]
fn two_xx_is_retransmitted_until_the_ack_then_lingers_until_l() {
    let mut l = layer();
    let t0 = Instant::now();
    let invite = Req::new(Method::Invite, "z9hG4bKsrv4").build();
    let tx = receive(&mut l, t0, &invite, udp(UAC_ADDR));
    drain_tx(&mut l);
    let ok = response(&invite, 200, Some("uas4"));
    l.send_response(t0, tx, ok.clone()).unwrap();
    assert_eq!(drain_tx(&mut l).len(), 1);
    let sends = run_timers(&mut l, t0, t0 + ms(12_000));
    let at: Vec<u64> = sends.iter().map(|(d, _)| d.as_millis() as u64).collect();
    assert_eq!(at, vec![500, 1500, 3500, 7500, 11500]);
    assert!(sends.iter().all(|(_, t)| first_line(t) == "SIP/2.0 200 OK"));

    // Retransmitted INVITE while Accepted: absorbed, 2xx re-sent.
    l.handle_message(t0 + ms(12_100), invite.clone(), udp(UAC_ADDR));
    assert_eq!(drain_tx(&mut l).len(), 1);
    assert!(drain_ev(&mut l).is_empty());

    // The ACK (new branch) reaches the TU and stops the retransmissions.
    let ack = ack_for_2xx(&invite, &ok, "z9hG4bKack4");
    l.handle_message(t0 + ms(12_200), ack, udp(UAC_ADDR));
    assert!(matches!(drain_ev(&mut l).as_slice(), [TxEvent::Ack { .. }]));
    let sends = run_timers(&mut l, t0, t0 + ms(31_999));
    assert!(sends.is_empty());
    assert_eq!(l.len(), 1, "lingers in Accepted");
    run_out(&mut l);
    let ev = drain_ev(&mut l);
    assert!(
        matches!(ev.as_slice(), [TxEvent::Terminated { .. }]),
        "no AckTimeout: {ev:?}"
    );
    assert_eq!(l.len(), 0);
}

#[test]
fn two_xx_without_ack_ends_with_ack_timeout_at_timer_l() {
    let mut l = layer();
    let t0 = Instant::now();
    let invite = Req::new(Method::Invite, "z9hG4bKsrv5").build();
    let tx = receive(&mut l, t0, &invite, udp(UAC_ADDR));
    l.send_response(t0, tx, response(&invite, 200, Some("uas5")))
        .unwrap();
    run_timers(&mut l, t0, t0 + Duration::from_secs(32));
    let ev = drain_ev(&mut l);
    assert!(
        matches!(
            ev.as_slice(),
            [TxEvent::AckTimeout { .. }, TxEvent::Terminated { .. }]
        ),
        "{ev:?}"
    );
    assert_eq!(l.len(), 0);
    assert!(l
        .send_response(t0, tx, response(&invite, 200, Some("uas5")))
        .is_err());
}

#[test]
fn non_invite_absorbs_retransmissions_and_resends_the_final_until_j() {
    let mut l = layer();
    let t0 = Instant::now();
    let bye = Req::new(Method::Bye, "z9hG4bKsrv6").build();
    let tx = receive(&mut l, t0, &bye, udp(UAC_ADDR));
    assert!(drain_tx(&mut l).is_empty(), "no 100 for non-INVITE");
    // Trying: the retransmission is absorbed silently.
    l.handle_message(t0 + ms(500), bye.clone(), udp(UAC_ADDR));
    assert!(drain_tx(&mut l).is_empty() && drain_ev(&mut l).is_empty());
    l.send_response(t0 + ms(600), tx, response(&bye, 200, Some("t6")))
        .unwrap();
    assert_eq!(drain_tx(&mut l).len(), 1);
    assert!(l
        .send_response(t0 + ms(700), tx, response(&bye, 500, None))
        .is_err());
    l.handle_message(t0 + ms(1500), bye.clone(), udp(UAC_ADDR));
    assert_eq!(
        drain_tx(&mut l).iter().map(first_line).collect::<Vec<_>>(),
        ["SIP/2.0 200 OK"]
    );
    assert_eq!(
        l.poll_timeout(),
        Some(t0 + ms(600) + Duration::from_secs(32)),
        "Timer J"
    );
    run_out(&mut l);
    assert_eq!(l.len(), 0);
}

#[test]
fn responses_follow_via_rport_and_tcp_connection() {
    let t0 = Instant::now();
    let src = "203.0.113.5:40000";
    // No rport: source IP, Via port.
    let mut l = layer();
    let mut r = Req::new(Method::Options, "z9hG4bKaddr1");
    r.via = "SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKaddr1".into();
    let tx = receive(&mut l, t0, &r.build(), udp(src));
    l.send_response(t0, tx, response(&r.build(), 200, Some("a")))
        .unwrap();
    assert_eq!(drain_tx(&mut l)[0].peer, udp("203.0.113.5:5070"));
    // No rport, no port: 5060.
    r.via = "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKaddr2".into();
    let tx = receive(&mut l, t0, &r.build(), udp(src));
    l.send_response(t0, tx, response(&r.build(), 200, Some("a")))
        .unwrap();
    assert_eq!(drain_tx(&mut l)[0].peer, udp("203.0.113.5:5060"));
    // rport: the source address exactly.
    r.via = "SIP/2.0/UDP 10.0.0.1:5070;rport;branch=z9hG4bKaddr3".into();
    let tx = receive(&mut l, t0, &r.build(), udp(src));
    l.send_response(t0, tx, response(&r.build(), 200, Some("a")))
        .unwrap();
    assert_eq!(drain_tx(&mut l)[0].peer, udp(src));
    // TCP: the same connection.
    r.via = "SIP/2.0/TCP 10.0.0.1:5070;branch=z9hG4bKaddr4".into();
    let tx = receive(&mut l, t0, &r.build(), tcp(src, 42));
    l.send_response(t0, tx, response(&r.build(), 200, Some("a")))
        .unwrap();
    assert_eq!(drain_tx(&mut l)[0].peer, tcp(src, 42));
    assert_eq!(l.len(), 3, "the TCP one ended at once (J = 0)");
}

#[test]
fn same_branch_different_sent_by_or_method_is_a_new_transaction() {
    let mut l = layer();
    let t0 = Instant::now();
    let mut r = Req::new(Method::Options, "z9hG4bKsame");
    receive(&mut l, t0, &r.build(), udp(UAC_ADDR));
    r.via = "SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKsame".into();
    receive(&mut l, t0, &r.build(), udp(UAC_ADDR));
    let mut r2 = Req::new(Method::Info, "z9hG4bKsame");
    r2.cseq = 2;
    receive(&mut l, t0, &r2.build(), udp(UAC_ADDR));
    assert_eq!(l.len(), 3);
}
