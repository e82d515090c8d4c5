//! Scenario 10: failures and refusals. Callee finals mapped for the caller (486 passes,
//! 503 becomes 500: a hop status must not say the SBC is overloaded, RFC 3261 §16.7);
//! requests the SBC refuses itself (483, 420 + Unsupported, 403 by source, 481 out of
//! dialog, 503 without media ports, 400 with a reason for a bad CSeq); OPTIONS answered
//! with Allow; garbage dropped and counted, never answered.

use std::net::SocketAddr;
use std::time::Duration;

use sbc_core::call::EndCause;
use sbc_signaling::metrics::SipDrop;
use sbc_signaling::sip::{HeaderName, Method, SipMessage};

use crate::sim::{addr, Sim, SimConfig};
use crate::ua::Script;

/// A source inside the trunk's accept_from that is not a simulated node: the SBC's
/// answers to it land in `sim.unrouted`.
const PROBE: &str = "10.0.0.9:5060";
const OUTSIDER: &str = "192.0.2.99:5060";

fn request(method: &str, from: &str, extra: &str, cseq: &str) -> String {
    format!(
        "{method} sip:bob@10.0.0.2:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {from};branch=z9hG4bKprobe{method}1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@{from}>;tag=p1\r\n\
         To: <sip:bob@10.0.0.2:5060>\r\n\
         Call-ID: probe-{method}@{from}\r\n\
         CSeq: {cseq}\r\n\
         {extra}Content-Length: 0\r\n\r\n"
    )
}

/// Injects `raw` from `src` and returns the SBC's final responses to it.
fn probe(raw: &str, src: &str) -> (Sim, Vec<SipMessage>) {
    let mut sim = Sim::new(SimConfig::new(20));
    let src: SocketAddr = addr(src);
    sim.inject(src, raw.as_bytes());
    sim.run_for(Duration::from_millis(200));
    let finals = sim
        .unrouted
        .iter()
        .filter(|(_, d)| d.to == src)
        .filter_map(|(_, d)| SipMessage::parse(d.payload.clone()).ok())
        .filter(|m| m.status().is_some_and(|s| s >= 200))
        .collect();
    (sim, finals)
}

fn only_status(finals: &[SipMessage]) -> u16 {
    assert_eq!(finals.len(), 1, "exactly one final response");
    finals[0].status().unwrap_or(0)
}

fn callee_final(status: u16) -> (Sim, Vec<u16>) {
    let mut sim = Sim::new(SimConfig::new(21));
    sim.uas.script = Script::reject(status);
    let now = sim.now;
    sim.uac.invite(now, true);
    sim.run_until(Duration::from_secs(3), |s| {
        s.uac.statuses(Method::Invite).iter().any(|c| *c >= 300)
    });
    sim.run_for(Duration::from_secs(1));
    let st = sim.uac.statuses(Method::Invite);
    (sim, st)
}

#[test]
fn busy_passes_through() {
    let (sim, st) = callee_final(486);
    assert_eq!(st, vec![100, 486]);
    assert_eq!(sim.cdrs()[0].cause, EndCause::Rejected);
    assert_eq!(sim.cdrs()[0].final_status, 486);
    // The callee's 486 was ACKed (by the SBC's transaction layer).
    assert_eq!(sim.uas.wire_requests(Method::Ack), 1);
}

#[test]
fn callee_503_becomes_500() {
    let (sim, st) = callee_final(503);
    assert_eq!(st, vec![100, 500]);
    assert_eq!(sim.cdrs()[0].final_status, 500);
}

#[test]
fn unsupported_uri_scheme_is_416() {
    let raw = request("INVITE", PROBE, "", "1 INVITE").replacen(
        "INVITE sip:bob@10.0.0.2:5060",
        "INVITE mailto:bob@example.com",
        1,
    );
    let (sim, finals) = probe(&raw, PROBE);
    assert_eq!(only_status(&finals), 416);
    assert_eq!(sim.uas.raw.len(), 0, "nothing may reach the callee");
    assert_eq!(
        sim.sbc.footprint(),
        (0, 0, 0),
        "answered without a transaction"
    );
}

#[test]
fn max_forwards_zero_is_483() {
    let raw = request("INVITE", PROBE, "Max-Forwards: 0\r\n", "1 INVITE").replacen(
        "Max-Forwards: 70\r\n",
        "",
        1,
    );
    let (sim, finals) = probe(&raw, PROBE);
    assert_eq!(only_status(&finals), 483);
    assert_eq!(sim.uas.raw.len(), 0, "nothing may reach the callee");
}

#[test]
fn unknown_require_is_420_with_unsupported() {
    let raw = request("INVITE", PROBE, "Require: foo, 100rel\r\n", "1 INVITE");
    let (_, finals) = probe(&raw, PROBE);
    assert_eq!(only_status(&finals), 420);
    assert_eq!(finals[0].header(HeaderName::Unsupported), Some("foo"));
}

#[test]
fn options_gets_200_with_allow() {
    let raw = request("OPTIONS", PROBE, "", "1 OPTIONS");
    let (_, finals) = probe(&raw, PROBE);
    assert_eq!(only_status(&finals), 200);
    let allow = finals[0].header(HeaderName::Allow).unwrap_or_default();
    for m in ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"] {
        assert!(allow.contains(m), "Allow lacks {m}: {allow}");
    }
}

#[test]
fn unknown_source_is_403() {
    let raw = request("INVITE", OUTSIDER, "", "1 INVITE");
    let (sim, finals) = probe(&raw, OUTSIDER);
    assert_eq!(only_status(&finals), 403);
    assert_eq!(sim.sbc.active_calls(), 0);
    assert_eq!(sim.uas.raw.len(), 0);
}

#[test]
fn out_of_dialog_bye_is_481() {
    let raw = request("BYE", PROBE, "", "2 BYE").replace(
        "To: <sip:bob@10.0.0.2:5060>",
        "To: <sip:bob@10.0.0.2:5060>;tag=nosuchdialog",
    );
    let (_, finals) = probe(&raw, PROBE);
    assert_eq!(only_status(&finals), 481);
}

#[test]
fn no_media_ports_is_503() {
    let mut sim = Sim::new(SimConfig::new(22));
    sim.media.exhaust();
    let now = sim.now;
    sim.uac.invite(now, true);
    sim.run_for(Duration::from_secs(2));
    // The 100 and the 503 leave together; jitter may reorder them.
    let finals: Vec<u16> = sim
        .uac
        .statuses(Method::Invite)
        .into_iter()
        .filter(|s| *s >= 200)
        .collect();
    assert_eq!(finals, vec![503]);
    assert_eq!(sim.uas.raw.len(), 0, "no B leg without media");
    assert_eq!(sim.sbc.active_calls(), 0);
}

#[test]
fn garbage_is_dropped_and_counted() {
    let (sim, _) = probe("\x16\x03\x01 hello, not SIP\r\n\r\n", PROBE);
    assert!(sim.unrouted.is_empty(), "garbage must never be answered");
    assert_eq!(sim.metrics.drops(SipDrop::Garbage), 1);
}

#[test]
fn bad_cseq_is_400_with_reason() {
    let raw = request("INVITE", PROBE, "", "one INVITE");
    let (sim, _) = probe(&raw, PROBE);
    // The 400 echoes the request's CSeq byte-exact (§8.2.6.2), so it is as unparsable as
    // the request was: read its status line as text.
    let lines: Vec<String> = sim
        .unrouted
        .iter()
        .map(|(_, d)| {
            String::from_utf8_lossy(&d.payload)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(lines.len(), 1, "exactly one answer: {lines:?}");
    let line = &lines[0];
    assert!(line.starts_with("SIP/2.0 400 "), "{line}");
    assert!(
        line.to_ascii_lowercase().contains("cseq"),
        "reason should name the bad header: {line:?}"
    );
    assert_eq!(sim.sbc.active_calls(), 0);
}

/// Found by the engine fuzzer: a callee 200 whose SDP the SBC cannot use must still end
/// the caller's INVITE (502), and the callee's 2xx is ACKed and BYEd; nothing leaks.
#[test]
fn unusable_callee_sdp_is_502_and_the_callee_is_hung_up() {
    let mut sim = Sim::new(SimConfig::new(23));
    sim.uas.broken_sdp = true;
    let now = sim.now;
    sim.uac.invite(now, true);
    let done = sim.run_until(Duration::from_secs(5), |s| {
        s.uac.statuses(Method::Invite).iter().any(|c| *c >= 300)
    });
    assert!(done, "caller got no final:\n{}", sim.trace_tail(20));
    assert!(sim.uac.statuses(Method::Invite).contains(&502));
    assert!(!sim.uac.statuses(Method::Invite).contains(&200));
    sim.run_for(Duration::from_secs(2));
    assert!(sim.uas.got(Method::Ack) && sim.uas.got(Method::Bye));
    assert_eq!(sim.cdrs()[0].cause, EndCause::Refused);
    sim.run_for(Duration::from_secs(40));
    assert_eq!(
        sim.sbc.footprint(),
        (0, 0, 0),
        "no transaction, dialog or role left"
    );
}

/// Found by the engine fuzzer: a request whose From is not UTF-8 cannot be answered
/// (every response echoes From), so it is refused at parse time rather than leaving a
/// server transaction open forever.
#[test]
fn request_with_non_utf8_from_leaves_nothing_behind() {
    let mut raw = request("OPTIONS", PROBE, "", "1 OPTIONS").into_bytes();
    let at = raw.windows(4).position(|w| w == b"tag=").expect("tag") + 4;
    raw[at] = 0xff;
    let mut sim = Sim::new(SimConfig::new(24));
    sim.inject(addr(PROBE), &raw);
    sim.run_for(Duration::from_secs(40));
    assert_eq!(sim.sbc.footprint(), (0, 0, 0));
    assert_eq!(sim.metrics.drops(SipDrop::UnanswerableRequest), 1);
}
