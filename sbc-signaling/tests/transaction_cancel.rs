//! CANCEL (RFC 3261 §9): the server side answers 200 when it matches an INVITE
//! server transaction and 481 otherwise; the client side builds the CANCEL from the
//! INVITE and holds it until a provisional arrives.

mod transaction_util;

use std::time::{Duration, Instant};

use sbc_signaling::sip::{HeaderName, Method};
use sbc_signaling::transaction::TxEvent;
use transaction_util::*;

#[test]
fn cancel_matching_an_invite_gets_200_with_the_invite_to_tag() {
    let mut l = layer();
    let t0 = Instant::now();
    let invite = Req::new(Method::Invite, "z9hG4bKc1").build();
    l.handle_message(t0, invite.clone(), udp(UAC_ADDR));
    let [TxEvent::Request { tx: inv_tx, .. }] = drain_ev(&mut l)[..] else {
        panic!()
    };
    l.send_response(t0, inv_tx, response(&invite, 180, Some("uasC")))
        .unwrap();
    drain_tx(&mut l);

    let cancel = Req::new(Method::Cancel, "z9hG4bKc1").build();
    l.handle_message(t0 + ms(100), cancel.clone(), udp(UAC_ADDR));
    let ev = drain_ev(&mut l);
    assert!(
        matches!(ev.as_slice(), [TxEvent::Cancel { invite_tx: Some(t), .. }] if *t == inv_tx),
        "{ev:?}"
    );
    let out = drain_tx(&mut l);
    assert_eq!(out.len(), 1);
    assert_eq!(first_line(&out[0]), "SIP/2.0 200 OK");
    let ok = parse(out[0].payload.clone());
    assert_eq!(ok.cseq().unwrap().method, Method::Cancel);
    assert_eq!(ok.to_hdr().unwrap().tag(), Some("uasC"));

    // A retransmitted CANCEL gets the same 200, no new event.
    l.handle_message(t0 + ms(600), cancel, udp(UAC_ADDR));
    assert!(drain_ev(&mut l).is_empty());
    assert_eq!(drain_tx(&mut l)[0].payload, out[0].payload);

    // The TU answers the INVITE 487; the usual non-2xx flow follows.
    l.send_response(t0 + ms(700), inv_tx, response(&invite, 487, Some("uasC")))
        .unwrap();
    assert_eq!(
        first_line(&drain_tx(&mut l)[0]),
        "SIP/2.0 487 Request Terminated"
    );
    let mut ack = Req::new(Method::Ack, "z9hG4bKc1");
    ack.to_tag = Some("uasC");
    l.handle_message(t0 + ms(800), ack.build(), udp(UAC_ADDR));
    run_out(&mut l);
    assert_eq!(l.len(), 0);
}

#[test]
fn cancel_for_unknown_transaction_gets_481() {
    let mut l = layer();
    let t0 = Instant::now();
    let cancel = Req::new(Method::Cancel, "z9hG4bKnone").build();
    l.handle_message(t0, cancel, udp(UAC_ADDR));
    let ev = drain_ev(&mut l);
    assert!(
        matches!(
            ev.as_slice(),
            [TxEvent::Cancel {
                invite_tx: None,
                ..
            }]
        ),
        "{ev:?}"
    );
    let out = drain_tx(&mut l);
    assert_eq!(
        first_line(&out[0]),
        "SIP/2.0 481 Call/Transaction Does Not Exist"
    );
    run_out(&mut l);
    assert_eq!(l.len(), 0);
    // The layer's own CANCEL transaction is not reported as Terminated.
    assert!(drain_ev(&mut l).is_empty());
}

#[test]
fn cancel_with_other_sent_by_does_not_match() {
    let mut l = layer();
    let t0 = Instant::now();
    let invite = Req::new(Method::Invite, "z9hG4bKc3").build();
    l.handle_message(t0, invite, udp(UAC_ADDR));
    drain_ev(&mut l);
    let mut c = Req::new(Method::Cancel, "z9hG4bKc3");
    c.via = "SIP/2.0/UDP 192.0.2.77:5060;branch=z9hG4bKc3".into();
    l.handle_message(t0, c.build(), udp(UAC_ADDR));
    assert!(matches!(
        drain_ev(&mut l).as_slice(),
        [TxEvent::Cancel {
            invite_tx: None,
            ..
        }]
    ));
}

#[test]
fn client_cancel_waits_for_a_provisional_then_goes_with_the_invite_identity() {
    let mut l = layer();
    let t0 = Instant::now();
    let branch = l.new_branch();
    let mut r = Req::new(Method::Invite, &branch);
    r.via = format!("SIP/2.0/UDP 192.0.2.10:5060;branch={branch}");
    let invite = r.build();
    let inv = l.send_request(t0, invite.clone(), udp(UAS_ADDR)).unwrap();
    drain_tx(&mut l);

    let cancel_id = l
        .cancel(t0 + ms(100), inv)
        .expect("pending INVITE can be cancelled");
    assert!(
        drain_tx(&mut l).is_empty(),
        "no CANCEL before a provisional (§9.1)"
    );
    assert_eq!(
        l.cancel(t0 + ms(150), inv),
        Some(cancel_id),
        "asking twice is idempotent"
    );

    // Timer A keeps running meanwhile.
    let sends = run_timers(&mut l, t0, t0 + ms(600));
    assert_eq!(sends.len(), 1);
    assert!(first_line(&sends[0].1).starts_with("INVITE "));

    l.handle_message(
        t0 + ms(700),
        response(&invite, 180, Some("r1")),
        udp(UAS_ADDR),
    );
    let out = drain_tx(&mut l);
    assert_eq!(out.len(), 1);
    let c = parse(out[0].payload.clone());
    assert_eq!(c.method(), Some(Method::Cancel));
    assert_eq!(c.request_uri(), invite.request_uri());
    assert_eq!(c.call_id().unwrap(), invite.call_id().unwrap());
    assert_eq!(c.cseq().unwrap().seq, invite.cseq().unwrap().seq);
    assert_eq!(c.top_via().unwrap().branch(), Some(branch.as_str()));
    assert_eq!(c.header(HeaderName::From), invite.header(HeaderName::From));
    assert_eq!(c.header(HeaderName::To), invite.header(HeaderName::To));
    assert_eq!(c.header_values(HeaderName::Via).count(), 1);
    assert_eq!(out[0].peer, udp(UAS_ADDR));

    // 200 to the CANCEL and 487 to the INVITE each reach their own transaction.
    l.handle_message(t0 + ms(800), response(&c, 200, Some("r1")), udp(UAS_ADDR));
    l.handle_message(
        t0 + ms(810),
        response(&invite, 487, Some("r1")),
        udp(UAS_ADDR),
    );
    let ev = drain_ev(&mut l);
    let ids: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            TxEvent::Response { tx, msg } => Some((*tx, msg.status())),
            _ => None,
        })
        .collect();
    assert_eq!(
        ids,
        vec![(inv, Some(180)), (cancel_id, Some(200)), (inv, Some(487))]
    );
    let ack = drain_tx(&mut l);
    assert!(first_line(&ack[0]).starts_with("ACK "));
    run_out(&mut l);
    assert_eq!(l.len(), 0);
}

#[test]
fn cancelled_invite_without_final_gives_up_after_64_t1() {
    let mut l = layer();
    let t0 = Instant::now();
    let branch = l.new_branch();
    let invite = Req::new(Method::Invite, &branch).build();
    let inv = l.send_request(t0, invite.clone(), udp(UAS_ADDR)).unwrap();
    l.handle_message(t0 + ms(10), response(&invite, 100, None), udp(UAS_ADDR));
    let c = l.cancel(t0 + ms(20), inv).unwrap();
    drain_ev(&mut l);
    let out = drain_tx(&mut l);
    let cancel = parse(out.last().unwrap().payload.clone());
    l.handle_message(
        t0 + ms(30),
        response(&cancel, 200, Some("z")),
        udp(UAS_ADDR),
    );
    run_timers(&mut l, t0, t0 + Duration::from_secs(60));
    let ev = drain_ev(&mut l);
    assert!(ev
        .iter()
        .any(|e| matches!(e, TxEvent::Response { tx, .. } if *tx == c)));
    assert!(
        ev.iter()
            .any(|e| matches!(e, TxEvent::Timeout { tx } if *tx == inv)),
        "{ev:?}"
    );
    assert_eq!(l.len(), 0);
}

#[test]
fn cancel_after_final_is_refused() {
    let mut l = layer();
    let t0 = Instant::now();
    let branch = l.new_branch();
    let invite = Req::new(Method::Invite, &branch).build();
    let inv = l.send_request(t0, invite.clone(), udp(UAS_ADDR)).unwrap();
    l.handle_message(
        t0 + ms(10),
        response(&invite, 603, Some("d")),
        udp(UAS_ADDR),
    );
    assert_eq!(l.cancel(t0 + ms(20), inv), None);
}
