//! End-to-end call flows through the real daemon on loopback, driven by
//! SIPp: UAC -> SBC -> UAS, one test per flow. Each test starts its own
//! UAS, daemon (own media port range) and UAC on free ports, asserts both
//! SIPp sides saw every call succeed, then checks the daemon's metrics
//! (and CDRs, and an independent packet capture when tshark is present).
//!
//! The same scenario pairs run without the SBC in `e2e_harness.rs`.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use support::capture::{self, Capture};
use support::metrics;
use support::scenarios::{self, AFTER_RESUME, BEFORE_HOLD};
use support::{SbcConfig, SbcProcess, SipTransport, SippResult};

/// The UAS's timewait (4 s for the built-in one) plus margin.
const GRACE: Duration = Duration::from_secs(6);
/// How long counters may lag behind the SIP flow (media workers batch).
const SETTLE: Duration = Duration::from_secs(5);

fn start_sbc(uas: SocketAddr) -> (SbcProcess, SbcConfig) {
    let config = SbcConfig::new(uas);
    let sbc = SbcProcess::start_with(|dir| config.to_toml(dir));
    (sbc, config)
}

/// Daemon state for failure messages: metrics and the tail of its log.
fn sbc_report(sbc: &SbcProcess) -> String {
    let metrics = support::metrics::fetch(sbc.metrics()).unwrap_or_else(|e| e);
    format!(
        "--- sbc metrics ---\n{}\n--- sbc stderr (tail) ---\n{}",
        support::tail(&metrics, 4000),
        support::tail(&sbc.stderr(), 6000)
    )
}

fn assert_calls(sbc: &SbcProcess, uac: &SippResult, uas: &SippResult, calls: u64) {
    for side in [uac, uas] {
        if let Err(why) = side.check(calls) {
            panic!("{why}\n{}", sbc_report(sbc));
        }
    }
}

/// Waits until no call is active any more and asserts it.
fn assert_no_active_calls(sbc: &SbcProcess) {
    let text = sbc.wait_metrics(SETTLE, |t| {
        metrics::lookup(t, "sbc_calls_active") == Some(0.0)
    });
    assert_eq!(
        metrics::lookup(&text, "sbc_calls_active"),
        Some(0.0),
        "sbc_calls_active did not return to 0\n{}",
        sbc_report(sbc)
    );
}

#[test]
fn basic_1000_calls_at_100_cps() {
    const CALLS: u64 = 1000;
    let uas = scenarios::basic_uas(CALLS).spawn();
    let (sbc, _) = start_sbc(uas.sip_addr());
    let uac = scenarios::basic_uac(sbc.sip_udp(), CALLS, 100).timeout(Duration::from_secs(40));
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    assert_calls(&sbc, &uac, &uas, CALLS);

    assert_no_active_calls(&sbc);
    let text = sbc.wait_metrics(SETTLE, |t| {
        metrics::sum(t, "sbc_calls_ended_total") >= CALLS as f64
    });
    let report = || sbc_report(&sbc);
    assert_eq!(
        metrics::sum(&text, "sbc_calls_ended_total"),
        CALLS as f64,
        "{}",
        report()
    );
    assert_eq!(
        metrics::lookup(&text, "sbc_calls_started_total"),
        Some(CALLS as f64),
        "{}",
        report()
    );
    let cdrs = support::wait_for(SETTLE, || (sbc.cdr_lines() >= CALLS as usize).then_some(()));
    assert!(
        cdrs.is_some(),
        "CDR file has {} lines, want {CALLS}",
        sbc.cdr_lines()
    );
    assert_eq!(sbc.cdr_lines(), CALLS as usize, "{}", report());
}

/// One call playing g711a.pcap (236 packets) to a UAS that echoes it: both
/// directions must carry (nearly) every packet through the SBC.
#[test]
fn rtp_is_relayed_both_ways() {
    let total = scenarios::g711a_packets();
    let uas = scenarios::rtp_uas().spawn();
    let uas_port = uas.media_port();
    let (sbc, config) = start_sbc(uas.sip_addr());
    // Both legs of the SBC's media use its configured range.
    let cap = Capture::start_range(config.media.min, config.media.max);
    let uac = scenarios::rtp_uac(sbc.sip_udp());
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    assert_calls(&sbc, &uac, &uas, 1);

    // Each direction relays at most `total` packets, so a sum of at least
    // 2 * 95% proves both directions carried at least 90%.
    let want = (2 * total) as f64 * 0.95;
    let text = sbc.wait_metrics(SETTLE, |t| {
        metrics::sum(t, "sbc_media_packets_relayed_total") >= want
    });
    let relayed = metrics::sum(&text, "sbc_media_packets_relayed_total");
    eprintln!("g711a.pcap: {total} packets; sbc relayed {relayed}");
    assert!(
        relayed >= want && relayed <= (2 * total) as f64,
        "sbc_media_packets_relayed_total = {relayed}, want {want}..={}\n{}",
        2 * total,
        sbc_report(&sbc)
    );

    if let Some(cap) = cap {
        let packets = cap.stop();
        let to_uas = capture::count_to(&packets, uas_port);
        let to_uac = capture::count_to(&packets, uac.media_port);
        eprintln!("capture: {to_uas} packets reached the UAS, {to_uac} the UAC");
        let min = total * 95 / 100;
        assert!(
            to_uas >= min && to_uac >= min,
            "capture: {to_uas} packets reached the UAS, {to_uac} the UAC; want >= {min} each \
             of {total}\n{}",
            sbc_report(&sbc)
        );
    }
    assert_no_active_calls(&sbc);

    // The CDR carries each leg's media figures: what its peer sent (RTP quality
    // included) and what the SBC sent it.
    support::wait_for(SETTLE, || (sbc.cdr_lines() >= 1).then_some(()));
    let line = support::read_text(&sbc.cdr_path());
    let cdr: serde_json::Value = serde_json::from_str(line.trim()).expect("one CDR line");
    let min = (total * 95 / 100) as u64;
    for leg in ["a", "b"] {
        let m = &cdr["media"][leg];
        let rx = m["rx_packets"].as_u64().unwrap_or(0);
        let expected = m["rtp_expected"].as_u64().unwrap_or(0);
        assert!(
            rx >= min && m["tx_packets"].as_u64().unwrap_or(0) >= min,
            "CDR {leg}: {m}"
        );
        assert!(
            expected >= rx,
            "CDR {leg}: RFC 3550 expected < received: {m}"
        );
        assert!(m["jitter_ms"].as_f64().is_some(), "CDR {leg}: {m}");
    }
    let text = support::metrics::fetch(sbc.metrics()).unwrap_or_default();
    assert!(
        metrics::sum(&text, "sbc_media_rtp_expected_packets_total") >= 2.0 * min as f64,
        "{}",
        sbc_report(&sbc)
    );
}

#[test]
fn cancel_after_ringing() {
    let uas = scenarios::cancel_uas(3).spawn();
    let (sbc, _) = start_sbc(uas.sip_addr());
    let uac = scenarios::cancel_uac(sbc.sip_udp(), 3);
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    assert_calls(&sbc, &uac, &uas, 3);
    assert_no_active_calls(&sbc);
}

#[test]
fn callee_hangs_up() {
    let uas = scenarios::callee_bye_uas(3).spawn();
    let (sbc, _) = start_sbc(uas.sip_addr());
    let uac = scenarios::callee_bye_uac(sbc.sip_udp(), 3);
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    assert_calls(&sbc, &uac, &uas, 3);
    assert_no_active_calls(&sbc);
}

#[test]
fn busy_486_reaches_the_caller() {
    let uas = scenarios::busy_uas(3).spawn();
    let (sbc, _) = start_sbc(uas.sip_addr());
    let uac = scenarios::busy_uac(sbc.sip_udp(), 3);
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    // uac_busy.xml only completes a call on a 486 it then ACKs.
    assert_calls(&sbc, &uac, &uas, 3);
    assert_no_active_calls(&sbc);
}

/// Hold (sendonly/recvonly) and resume (sendrecv) by re-INVITE; media must
/// flow again after the resume, in both directions.
#[test]
fn reinvite_hold_and_resume() {
    let uas = scenarios::hold_uas().spawn();
    let uas_port = uas.media_port();
    let (sbc, config) = start_sbc(uas.sip_addr());
    let cap = Capture::start_range(config.media.min, config.media.max);
    let uac = scenarios::hold_uac(sbc.sip_udp());
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    assert_calls(&sbc, &uac, &uas, 1);

    // RTP flows only before the hold (BEFORE_HOLD packets each way at
    // most) and after the resume. Anything above 2 * BEFORE_HOLD was
    // relayed after the resume; 2 * 95% of AFTER_RESUME more proves both
    // directions flowed again (each direction carries at most
    // AFTER_RESUME packets after the resume).
    let (before, after) = (BEFORE_HOLD.len(), AFTER_RESUME.len());
    let want = (2 * before) as f64 + (2 * after) as f64 * 0.95;
    let text = sbc.wait_metrics(SETTLE, |t| {
        metrics::sum(t, "sbc_media_packets_relayed_total") >= want
    });
    let relayed = metrics::sum(&text, "sbc_media_packets_relayed_total");
    eprintln!("hold/resume: {before} + {after} packets played; sbc relayed {relayed}");
    assert!(
        relayed >= want,
        "sbc_media_packets_relayed_total = {relayed}, want >= {want} ({before} packets each way \
         before the hold, {after} after the resume)\n{}",
        sbc_report(&sbc)
    );

    if let Some(cap) = cap {
        let packets = cap.stop();
        let min = before + after * 95 / 100;
        let to_uas = capture::count_to(&packets, uas_port);
        let to_uac = capture::count_to(&packets, uac.media_port);
        eprintln!("capture: {to_uas} packets reached the UAS, {to_uac} the UAC");
        assert!(
            to_uas >= min && to_uac >= min,
            "capture: {to_uas} packets reached the UAS, {to_uac} the UAC; want >= {min} each\n{}",
            sbc_report(&sbc)
        );
    }
    assert_no_active_calls(&sbc);
}

/// The caller on TCP, the callee on UDP.
#[test]
fn basic_calls_over_tcp() {
    const CALLS: u64 = 50;
    let uas = scenarios::basic_uas(CALLS).spawn();
    let (sbc, _) = start_sbc(uas.sip_addr());
    let uac = scenarios::basic_uac(sbc.sip_tcp(), CALLS, 25).transport(SipTransport::Tcp);
    let (uac, uas) = scenarios::run_pair(uas, uac, GRACE);
    assert_calls(&sbc, &uac, &uas, CALLS);
    assert_no_active_calls(&sbc);
}
