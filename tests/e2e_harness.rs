//! Self-tests of the end-to-end harness and of every SIPp scenario pair,
//! with the UAC talking straight to the UAS (no SBC): when an SBC test in
//! `e2e_sipp.rs` fails, these tell whether the scenario itself is sound.

mod support;

use std::time::Duration;

use support::capture::{self, Capture};
use support::scenarios::{self, AFTER_RESUME, BEFORE_HOLD};
use support::{SipTransport, Sipp};

/// The UAS's timewait plus margin.
const GRACE: Duration = Duration::from_secs(6);

#[test]
fn g711a_pcap_holds_236_rtp_packets() {
    assert_eq!(scenarios::g711a_packets(), 236);
    let data = scenarios::g711a();
    let part = support::pcap::slice(&data, AFTER_RESUME).expect("slice");
    assert_eq!(support::pcap::udp_packets(&part).expect("parse").len(), 80);
    assert!(support::pcap::slice(&data, 200..300).is_err());
    assert!(support::pcap::udp_packets(b"garbage").is_err());
}

#[test]
fn direct_basic_udp() {
    let uas = scenarios::basic_uas(50).spawn();
    let uac = scenarios::basic_uac(uas.sip_addr(), 50, 50);
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    uac.assert_all_successful(50);
    uas.assert_all_successful(50);
}

#[test]
fn direct_basic_tcp() {
    let uas = scenarios::basic_uas(20)
        .transport(SipTransport::Tcp)
        .spawn();
    let uac = scenarios::basic_uac(uas.sip_addr(), 20, 20).transport(SipTransport::Tcp);
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    uac.assert_all_successful(20);
    // A TCP UAS counts the calls still in their final timewait as failed
    // when the UAC closes the connection on exit, so only totals match.
    assert_eq!(uas.successful + uas.failed, 20, "{}", uas.report());
}

#[test]
fn direct_cancel() {
    let uas = scenarios::cancel_uas(3).spawn();
    let uac = scenarios::cancel_uac(uas.sip_addr(), 3);
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    uac.assert_all_successful(3);
    uas.assert_all_successful(3);
}

#[test]
fn direct_callee_bye() {
    let uas = scenarios::callee_bye_uas(3).spawn();
    let uac = scenarios::callee_bye_uac(uas.sip_addr(), 3);
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    uac.assert_all_successful(3);
    uas.assert_all_successful(3);
}

#[test]
fn direct_busy() {
    let uas = scenarios::busy_uas(3).spawn();
    let uac = scenarios::busy_uac(uas.sip_addr(), 3);
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    uac.assert_all_successful(3);
    uas.assert_all_successful(3);
}

#[test]
fn direct_rtp_echo_carries_every_packet() {
    let total = scenarios::g711a_packets();
    let uas = scenarios::rtp_uas().spawn();
    let uac = scenarios::rtp_uac(uas.sip_addr());
    // The UAC's -mp is only known once it runs: capture the UAS side,
    // which sees both directions of the direct call.
    let cap = Capture::start(&[uas.media_port()]);
    let uas_port = uas.media_port();
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    uac.assert_all_successful(1);
    uas.assert_all_successful(1);
    if let Some(cap) = cap {
        let packets = cap.stop();
        assert_eq!(
            capture::count_to(&packets, uas_port),
            total,
            "{}",
            uac.report()
        );
        assert_eq!(
            capture::count_from(&packets, uas_port),
            total,
            "{}",
            uas.report()
        );
    }
}

#[test]
fn direct_hold_resume() {
    let uas = scenarios::hold_uas().spawn();
    let uac = scenarios::hold_uac(uas.sip_addr());
    let cap = Capture::start(&[uas.media_port()]);
    let uas_port = uas.media_port();
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    uac.assert_all_successful(1);
    uas.assert_all_successful(1);
    if let Some(cap) = cap {
        let packets = cap.stop();
        let played = BEFORE_HOLD.len() + AFTER_RESUME.len();
        assert_eq!(capture::count_to(&packets, uas_port), played);
        assert_eq!(capture::count_from(&packets, uas_port), played);
    }
}

#[test]
fn uas_that_never_gets_a_call_is_stopped_and_reports_zero() {
    let uas = Sipp::uas(support::Scenario::Builtin("uas"))
        .calls(1)
        .spawn();
    let result = uas.finish(Duration::from_millis(200));
    assert_eq!(
        (result.successful, result.failed),
        (0, 0),
        "{}",
        result.report()
    );
    assert!(!result.killed_at_deadline);
}

#[test]
fn metrics_lookup_ignores_label_order_and_comments() {
    use support::metrics::{lookup, mentions, sum};
    let text = "# TYPE a counter\na{y=\"2\",x=\"1\"} 3\nb 4.5 1700000000\n\
                e{cause=\"bye\"} 2\ne{cause=\"cancel\"} 3\nef 100\n";
    assert_eq!(lookup(text, "a{x=\"1\",y=\"2\"}"), Some(3.0));
    assert_eq!(lookup(text, "b"), Some(4.5));
    assert_eq!(lookup(text, "c"), None);
    assert!(mentions(text, "a"));
    assert_eq!(sum(text, "e"), 5.0);
    let chunked = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    assert_eq!(support::metrics::dechunk(chunked), "abcde");
}

#[test]
fn sipp_counts_parse_from_screen_and_csv() {
    use support::sipp::{parse_screen, parse_stat_csv};
    let screen = "  Successful call        |        0                  |       20    \n\
                  \x20 Failed call            |        0                  |        3    \n";
    assert_eq!(parse_screen(screen), Some((20, 3)));
    let csv = "A;SuccessfulCall(C);FailedCall(C);\nx;0;0;\ny;7;2;\n";
    assert_eq!(parse_stat_csv(csv), Some((7, 2)));
}

#[test]
fn uac_with_nobody_answering_fails_within_its_bounds() {
    // Port 9 (discard) on loopback: nothing answers.
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], 9));
    let started = std::time::Instant::now();
    let result = scenarios::basic_uac(target, 1, 1)
        .recv_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(10))
        .run();
    assert!(
        started.elapsed() < Duration::from_secs(16),
        "{}",
        result.report()
    );
    assert!(result.check(1).is_err(), "{}", result.report());
    assert_eq!(result.successful, 0, "{}", result.report());
}
