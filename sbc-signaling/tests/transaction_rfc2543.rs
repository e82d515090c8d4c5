//! RFC 2543 fallback matching (RFC 3261 §17.2.3, last paragraphs): without a
//! z9hG4bK branch, requests match by Request-URI, To tag, From tag, Call-ID, CSeq and
//! top Via; an ACK matches when its To tag is the one of our response.

mod transaction_util;

use std::time::Instant;

use sbc_signaling::sip::Method;
use sbc_signaling::transaction::TxEvent;
use transaction_util::*;

fn old_style(method: Method) -> Req<'static> {
    let mut r = Req::new(method, "unused");
    r.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=1234abcd".into();
    r
}

#[test]
fn retransmission_without_cookie_is_absorbed() {
    let mut l = layer();
    let t0 = Instant::now();
    let invite = old_style(Method::Invite).build();
    l.handle_message(t0, invite.clone(), udp(UAC_ADDR));
    assert_eq!(drain_ev(&mut l).len(), 1);
    drain_tx(&mut l);
    l.handle_message(t0 + ms(500), invite.clone(), udp(UAC_ADDR));
    assert!(drain_ev(&mut l).is_empty(), "absorbed");
    assert_eq!(first_line(&drain_tx(&mut l)[0]), "SIP/2.0 100 Trying");

    // A different top Via (here one without any branch) is a different transaction.
    let mut other = old_style(Method::Invite);
    other.via = "SIP/2.0/UDP 192.0.2.10:5060".into();
    l.handle_message(t0 + ms(600), other.build(), udp(UAC_ADDR));
    assert_eq!(drain_ev(&mut l).len(), 1);

    // A different CSeq is a new request.
    let mut next = old_style(Method::Invite);
    next.cseq = 2;
    l.handle_message(t0 + ms(700), next.build(), udp(UAC_ADDR));
    assert_eq!(drain_ev(&mut l).len(), 1);
    assert_eq!(l.len(), 3);
}

#[test]
fn ack_matches_by_response_to_tag() {
    let mut l = layer();
    let t0 = Instant::now();
    let invite = old_style(Method::Invite).build();
    l.handle_message(t0, invite.clone(), udp(UAC_ADDR));
    let [TxEvent::Request { tx, .. }] = drain_ev(&mut l)[..] else {
        panic!()
    };
    l.send_response(t0, tx, response(&invite, 404, Some("ours")))
        .unwrap();
    drain_tx(&mut l);

    // Wrong To tag: not ours, so it is treated as an ACK to a 2xx (the TU's).
    let mut wrong = old_style(Method::Ack);
    wrong.to_tag = Some("theirs");
    l.handle_message(t0 + ms(10), wrong.build(), udp(UAC_ADDR));
    assert!(matches!(drain_ev(&mut l).as_slice(), [TxEvent::Ack { .. }]));

    // Right To tag: absorbed, the transaction is Confirmed (no more Timer G).
    let mut ack = old_style(Method::Ack);
    ack.to_tag = Some("ours");
    l.handle_message(t0 + ms(20), ack.build(), udp(UAC_ADDR));
    assert!(drain_ev(&mut l).is_empty());
    let sends = run_timers(&mut l, t0, t0 + ms(4_000));
    assert!(sends.is_empty());
    run_out(&mut l);
    assert_eq!(l.len(), 0);
}

#[test]
fn cancel_without_cookie_matches_the_invite() {
    let mut l = layer();
    let t0 = Instant::now();
    let invite = old_style(Method::Invite).build();
    l.handle_message(t0, invite, udp(UAC_ADDR));
    let [TxEvent::Request { tx, .. }] = drain_ev(&mut l)[..] else {
        panic!()
    };
    l.handle_message(
        t0 + ms(10),
        old_style(Method::Cancel).build(),
        udp(UAC_ADDR),
    );
    let ev = drain_ev(&mut l);
    assert!(
        matches!(ev.as_slice(), [TxEvent::Cancel { invite_tx: Some(t), .. }] if *t == tx),
        "{ev:?}"
    );
}
