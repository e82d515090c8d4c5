//! ACK handling on the client side: the layer's ACK for a non-2xx (§17.1.1.3) and its
//! re-sending on retransmitted finals; 2xx handling in Accepted (RFC 6026): forks are
//! delivered, retransmissions are not, and the TU's ACK is re-sent for them.

mod transaction_util;

use std::time::Instant;

use sbc_signaling::sip::{HeaderName, Method};
use sbc_signaling::transaction::TxEvent;
use transaction_util::*;

#[test]
fn ack_for_non_2xx_is_built_per_17_1_1_3_and_resent_on_retransmitted_final() {
    let mut l = layer();
    let t0 = Instant::now();
    let branch = l.new_branch();
    let mut r = Req::new(Method::Invite, &branch);
    r.via = format!("SIP/2.0/UDP 192.0.2.10:5060;branch={branch}");
    let mut invite_text = String::from_utf8(r.build().as_bytes().to_vec()).unwrap();
    // Give the INVITE a Route set: the ACK must copy it.
    invite_text = invite_text.replacen(
        "Max-Forwards: 70\r\n",
        "Max-Forwards: 70\r\nRoute: <sip:p1.example.net;lr>, <sip:p2.example.net;lr>\r\n",
        1,
    );
    let invite = parse(invite_text.into());
    let id = l.send_request(t0, invite.clone(), udp(UAS_ADDR)).unwrap();
    drain_tx(&mut l);

    let busy = response(&invite, 486, Some("uasX"));
    l.handle_message(t0 + ms(50), busy.clone(), udp(UAS_ADDR));
    let ev = drain_ev(&mut l);
    assert!(matches!(ev.as_slice(), [TxEvent::Response { tx, .. }] if *tx == id));
    let out = drain_tx(&mut l);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].peer, udp(UAS_ADDR));
    let ack = parse(out[0].payload.clone());
    assert_eq!(ack.method(), Some(Method::Ack));
    assert_eq!(ack.request_uri(), invite.request_uri());
    assert_eq!(
        ack.top_via().unwrap().branch(),
        Some(branch.as_str()),
        "same branch"
    );
    assert_eq!(ack.header_values(HeaderName::Via).count(), 1);
    assert_eq!(
        ack.to_hdr().unwrap().tag(),
        Some("uasX"),
        "To from the response"
    );
    assert_eq!(
        ack.header(HeaderName::From),
        invite.header(HeaderName::From)
    );
    let cseq = ack.cseq().unwrap();
    assert_eq!(
        (cseq.seq, cseq.method),
        (invite.cseq().unwrap().seq, Method::Ack)
    );
    let routes: Vec<_> = ack.header_values(HeaderName::Route).collect();
    assert_eq!(
        routes,
        ["<sip:p1.example.net;lr>", "<sip:p2.example.net;lr>"]
    );

    // The final is retransmitted (our ACK was lost): ACK again, TU not bothered.
    l.handle_message(t0 + ms(600), busy.clone(), udp(UAS_ADDR));
    assert!(drain_ev(&mut l).is_empty());
    let again = drain_tx(&mut l);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].payload, out[0].payload);

    // Timer D (32 s) ends it.
    assert_eq!(
        l.poll_timeout(),
        Some(t0 + ms(50) + std::time::Duration::from_secs(32))
    );
    run_out(&mut l);
    assert_eq!(l.len(), 0);
}

#[test]
fn forked_2xx_are_delivered_and_retransmitted_2xx_are_re_acked() {
    let mut l = layer();
    let t0 = Instant::now();
    let branch = l.new_branch();
    let invite = Req::new(Method::Invite, &branch).build();
    let id = l.send_request(t0, invite.clone(), udp(UAS_ADDR)).unwrap();
    drain_tx(&mut l);

    let ok_a = response(&invite, 200, Some("forkA"));
    let ok_b = response(&invite, 200, Some("forkB"));
    l.handle_message(t0 + ms(100), ok_a.clone(), udp(UAS_ADDR));
    let ack_a = ack_for_2xx(&invite, &ok_a, "z9hG4bKackA");
    l.send_ack_for_2xx(t0 + ms(110), id, ack_a.clone(), udp(UAS_ADDR));
    assert_eq!(drain_tx(&mut l).len(), 1);

    // Retransmitted 2xx from fork A: re-ACKed by the layer, not delivered.
    l.handle_message(t0 + ms(600), ok_a.clone(), udp(UAS_ADDR));
    let out = drain_tx(&mut l);
    assert_eq!(out.len(), 1);
    assert_eq!(&out[0].payload, ack_a.as_bytes());

    // A 2xx from another fork is new: delivered.
    l.handle_message(t0 + ms(700), ok_b.clone(), udp(UAS_ADDR));
    l.handle_message(t0 + ms(800), ok_b, udp(UAS_ADDR));
    let ev = drain_ev(&mut l);
    let tags: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            TxEvent::Response { msg, .. } => {
                msg.to_hdr().ok().and_then(|t| t.tag()).map(String::from)
            }
            _ => None,
        })
        .collect();
    assert_eq!(tags, ["forkA", "forkB"]);
    assert!(
        drain_tx(&mut l).is_empty(),
        "fork B not yet ACKed by the TU: nothing to re-send"
    );

    // Timer M ends it; later 2xx retransmissions are strays for the TU.
    run_out(&mut l);
    assert_eq!(l.len(), 0);
    l.handle_message(t0 + ms(40_000), ok_a, udp(UAS_ADDR));
    assert!(matches!(
        drain_ev(&mut l).as_slice(),
        [TxEvent::StrayResponse { .. }]
    ));
}

#[test]
fn ack_to_unknown_2xx_goes_to_the_tu() {
    let mut l = layer();
    let t0 = Instant::now();
    let mut ack = Req::new(Method::Ack, "z9hG4bKlonely");
    ack.to_tag = Some("t");
    l.handle_message(t0, ack.build(), udp(UAC_ADDR));
    assert!(matches!(drain_ev(&mut l).as_slice(), [TxEvent::Ack { .. }]));
    assert_eq!(l.len(), 0);
}
