//! Monitoring end to end, through the real daemon: a customer calls in, the acme
//! platform's agent answers (identified by `X-Agent-Id`), and a supervisor joins
//! from an ordinary SIP phone with a feature code and digest credentials. Every
//! party sends its own pure tone; each test measures who hears whom in every mode
//! and after every DTMF switch, that listening leaves the call's packets untouched,
//! that RTP stays continuous, and that every join, switch, refusal and end is in
//! the audit log. Topology: `support::contact_center`.

mod support;

use std::time::{Duration, Instant};

use sbc_monitor::audit::AuditKind;
use support::contact_center::{
    self as cc, AGENT_HZ, ALICE, BOB, CUSTOMER_HZ, CUSTOMER_IP, GINA, SAM, SUPERVISOR_HZ,
    SUPERVISOR_IP,
};
use support::ua::rtp_phone::{PhoneConfig, RtpPhone};
use support::ua::{Caller, PhoneCodec, UaError};

const TONES: [f64; 3] = [CUSTOMER_HZ, AGENT_HZ, SUPERVISOR_HZ];
/// How long a mode is measured, after it had time to settle.
const WINDOW: Duration = Duration::from_millis(1200);
const SETTLE: Duration = Duration::from_millis(600);

/// What each party hears over one window, as a readable table for failures.
struct Heard {
    customer: support::ua::rtp_tones::Listening,
    agent: support::ua::rtp_tones::Listening,
    supervisor: support::ua::rtp_tones::Listening,
}

impl Heard {
    fn measure(customer: &RtpPhone, agent: &RtpPhone, supervisor: &RtpPhone) -> Heard {
        std::thread::sleep(SETTLE + WINDOW);
        let to = Instant::now();
        let from = to - WINDOW;
        Heard {
            customer: customer.listen_between(&TONES, from, to),
            agent: agent.listen_between(&TONES, from, to),
            supervisor: supervisor.listen_between(&TONES, from, to),
        }
    }

    /// Asserts exactly `hears` (and none of the other tones) for each party.
    fn expect(&self, mode: &str, customer: &[f64], agent: &[f64], supervisor: &[f64]) {
        for (who, l, want) in [
            ("customer", &self.customer, customer),
            ("agent", &self.agent, agent),
            ("supervisor", &self.supervisor, supervisor),
        ] {
            l.assert_hears(&format!("{mode}: {who}"), &TONES, want);
        }
    }
}

fn tones(customer: &RtpPhone, agent: &RtpPhone, supervisor: &RtpPhone) {
    customer.play_tone(CUSTOMER_HZ);
    agent.play_tone(AGENT_HZ);
    supervisor.play_tone(SUPERVISOR_HZ);
}

#[test]
fn supervisor_listens_whispers_barges_and_listens_again() {
    let (sbc, agent) = cc::start(PhoneCodec::Pcmu);
    let customer_ua = Caller::bind(CUSTOMER_IP).unwrap();
    let call = cc::place_call(&sbc, &customer_ua, PhoneCodec::Pcmu, agent)
        .unwrap_or_else(|e| panic!("call: {e}\n{}", support::tail(&sbc.stderr(), 3000)));
    let sup_ua = Caller::bind(SUPERVISOR_IP).unwrap();
    let sup = RtpPhone::start(PhoneConfig::new(SUPERVISOR_IP, PhoneCodec::Pcmu)).unwrap();
    let t0 = Instant::now();
    tones(&call.customer, &call.agent.phone, &sup);
    let mut session = cc::join(&sbc, &sup_ua, &sup, BOB, "*81a1007")
        .unwrap_or_else(|e| panic!("join: {e}\n{}", support::tail(&sbc.stderr(), 3000)));
    assert!(
        session
            .challenges
            .iter()
            .any(|c| c.algorithm == Some(support::ua::DigestAlgorithm::Sha256)),
        "challenged with SHA-256 first: {:?}",
        session.challenges
    );
    let (c, a) = (&call.customer, &call.agent.phone);

    let listen = Heard::measure(c, a, &sup);
    listen.expect(
        "listen",
        &[AGENT_HZ],
        &[CUSTOMER_HZ],
        &[CUSTOMER_HZ, AGENT_HZ],
    );

    sup.send_digit('2', Duration::from_millis(120)).unwrap();
    let whisper = Heard::measure(c, a, &sup);
    whisper.expect(
        "whisper",
        &[AGENT_HZ],
        &[CUSTOMER_HZ, SUPERVISOR_HZ],
        &[CUSTOMER_HZ, AGENT_HZ],
    );

    sup.send_digit('3', Duration::from_millis(120)).unwrap();
    let barge = Heard::measure(c, a, &sup);
    barge.expect(
        "barge",
        &[AGENT_HZ, SUPERVISOR_HZ],
        &[CUSTOMER_HZ, SUPERVISOR_HZ],
        &[CUSTOMER_HZ, AGENT_HZ],
    );

    // Back to listening, this time by SIP INFO.
    assert_eq!(session.info_dtmf('1', 160, cc::SIP_TIMEOUT).unwrap(), 200);
    let again = Heard::measure(c, a, &sup);
    again.expect(
        "listen again",
        &[AGENT_HZ],
        &[CUSTOMER_HZ],
        &[CUSTOMER_HZ, AGENT_HZ],
    );

    // What the customer and the agent received never jumped: one SSRC each,
    // no sequence gaps, timestamps in step with time.
    let end = Instant::now();
    for (who, phone) in [("customer", c), ("agent", a)] {
        let cont = phone.continuity(t0, end, Duration::from_millis(60));
        assert!(
            cont.is_seamless(),
            "{who}'s stream across the switches: {cont:?}"
        );
    }

    // The customer hangs up: the supervisor is hung up too.
    call.customer_call.hangup(cc::SIP_TIMEOUT).unwrap();
    session
        .wait_bye(cc::SIP_TIMEOUT)
        .expect("BYE to the supervisor");
    std::thread::sleep(Duration::from_millis(300));
    let records = cc::audit(&sbc);
    let kinds: Vec<AuditKind> = records.iter().map(|r| r.0).collect();
    assert_eq!(
        kinds,
        vec![
            AuditKind::Attempt,
            AuditKind::Start,
            AuditKind::ModeChange,
            AuditKind::ModeChange,
            AuditKind::ModeChange,
            AuditKind::End
        ],
        "{records:?}"
    );
    let switches: Vec<&str> = records
        .iter()
        .filter(|r| r.0 == AuditKind::ModeChange)
        .filter_map(|r| r.2.as_deref())
        .collect();
    assert_eq!(switches, ["whisper", "barge", "listen"], "{records:?}");
    assert_eq!(records.last().map(|r| r.1.as_str()), Some("call_ended"));
    sup.stop().unwrap();
}

#[test]
fn listening_leaves_the_call_bit_identical() {
    let (sbc, agent) = cc::start(PhoneCodec::Pcmu);
    let customer_ua = Caller::bind(CUSTOMER_IP).unwrap();
    let call = cc::place_call(&sbc, &customer_ua, PhoneCodec::Pcmu, agent).unwrap();
    let sup_ua = Caller::bind(SUPERVISOR_IP).unwrap();
    let sup = RtpPhone::start(PhoneConfig::new(SUPERVISOR_IP, PhoneCodec::Pcmu)).unwrap();
    tones(&call.customer, &call.agent.phone, &sup);
    let session = cc::join(&sbc, &sup_ua, &sup, BOB, "*81a1007").unwrap();
    let heard = Heard::measure(&call.customer, &call.agent.phone, &sup);
    heard.expect(
        "listen",
        &[AGENT_HZ],
        &[CUSTOMER_HZ],
        &[CUSTOMER_HZ, AGENT_HZ],
    );
    session.hangup(cc::SIP_TIMEOUT).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // Every packet each party received is one the other sent, byte for byte, in
    // order, under the sender's own SSRC: monitoring touched nothing.
    for (who, rx, tx) in [
        ("customer", &call.customer, &call.agent.phone),
        ("agent", &call.agent.phone, &call.customer),
    ] {
        let m = rx.matches_sent_by(tx);
        assert!(m.received > 100, "{who} received {m:?}");
        assert_eq!(m.matched, m.received, "{who}: {m:?}");
        let ssrcs: std::collections::BTreeSet<u32> =
            rx.received().iter().map(|p| p.header.ssrc).collect();
        assert_eq!(
            ssrcs.into_iter().collect::<Vec<_>>(),
            vec![tx.ssrc()],
            "{who}"
        );
    }
    call.customer_call.hangup(cc::SIP_TIMEOUT).unwrap();
    sup.stop().unwrap();
}

/// A refused join: the status, and no media toward the supervisor.
fn refused(sbc: &support::SbcProcess, who: (&str, &str), code: &str) -> u16 {
    let ua = Caller::bind(SUPERVISOR_IP).unwrap();
    let phone = RtpPhone::start(PhoneConfig::new(SUPERVISOR_IP, PhoneCodec::Pcmu)).unwrap();
    let status = match cc::join(sbc, &ua, &phone, who, code) {
        Err(UaError::Rejected { status, .. }) => status,
        Ok(_) => panic!("{code} as {} was admitted", who.0),
        Err(e) => panic!("{code} as {}: {e}", who.0),
    };
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(phone.counts().0, 0, "a refused supervisor got media");
    phone.stop().unwrap();
    status
}

#[test]
fn every_refusal_is_answered_and_audited_without_audio() {
    let (sbc, agent) = cc::start(PhoneCodec::Pcmu);
    let customer_ua = Caller::bind(CUSTOMER_IP).unwrap();
    let call = cc::place_call(&sbc, &customer_ua, PhoneCodec::Pcmu, agent).unwrap();
    call.customer.play_tone(CUSTOMER_HZ);
    call.agent.phone.play_tone(AGENT_HZ);

    // Another tenant's supervisor: the agent looks unknown (404), audited as such.
    assert_eq!(refused(&sbc, GINA, "*81a1007"), 404);
    // A mode outside the role: alice coaches (listen, whisper), not barge.
    assert_eq!(refused(&sbc, ALICE, "*83a1007"), 403);
    // A queue outside the scope: sam coaches support, the call is in sales.
    assert_eq!(refused(&sbc, SAM, "*81a1007"), 403);
    // Unknown agent.
    assert_eq!(refused(&sbc, BOB, "*81a4242"), 404);
    // Wrong password.
    // Wrong password: challenged again (the phone gives up after a second 401).
    assert_eq!(refused(&sbc, (BOB.0, "not-the-password"), "*81a1007"), 401);
    // Agent idle: the agent's call ends, then a join finds no call.
    call.customer_call.hangup(cc::SIP_TIMEOUT).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(refused(&sbc, BOB, "*81a1007"), 480);

    std::thread::sleep(Duration::from_millis(300));
    let records = cc::audit(&sbc);
    let denied: Vec<&str> = records
        .iter()
        .filter(|r| r.0 == AuditKind::Denied)
        .map(|r| r.1.as_str())
        .collect();
    assert_eq!(
        denied,
        vec![
            "other_tenant",
            "mode_not_in_role",
            "queue_out_of_scope",
            "unknown_agent",
            "bad_credentials",
            "agent_idle"
        ],
        "{records:?}"
    );
    assert!(
        !records.iter().any(|r| r.0 == AuditKind::Start),
        "{records:?}"
    );
}

#[test]
fn a_kill_right_after_the_join_loses_no_audit_record() {
    let (mut sbc, agent) = cc::start(PhoneCodec::Pcmu);
    let customer_ua = Caller::bind(CUSTOMER_IP).unwrap();
    let call = cc::place_call(&sbc, &customer_ua, PhoneCodec::Pcmu, agent).unwrap();
    let sup_ua = Caller::bind(SUPERVISOR_IP).unwrap();
    let sup = RtpPhone::start(PhoneConfig::new(SUPERVISOR_IP, PhoneCodec::Pcmu)).unwrap();
    let _session = cc::join(&sbc, &sup_ua, &sup, BOB, "*81a1007").unwrap();
    // The 200 means the start record was durable before it was sent.
    sbc.kill9();
    let records = cc::audit(&sbc);
    let kinds: Vec<AuditKind> = records.iter().map(|r| r.0).collect();
    assert_eq!(
        kinds,
        vec![AuditKind::Attempt, AuditKind::Start],
        "{records:?}"
    );
    let out = std::process::Command::new(support::sbc::sbc_binary())
        .args(["audit", "verify", "--db"])
        .arg(sbc.dir().join("audit.db"))
        .output()
        .expect("sbc audit verify");
    assert!(
        out.status.success(),
        "verify after kill -9: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    drop(call);
    sup.stop().unwrap();
}

/// The call in one codec, the supervisor in another: the mixer transcodes and
/// resamples between them, and the legs it feeds stay continuous.
fn mixed_codecs(call_codec: PhoneCodec, supervisor_codec: PhoneCodec) {
    let (sbc, agent) = cc::start(call_codec);
    let customer_ua = Caller::bind(CUSTOMER_IP).unwrap();
    let call = cc::place_call(&sbc, &customer_ua, call_codec, agent).unwrap();
    let sup_ua = Caller::bind(SUPERVISOR_IP).unwrap();
    let sup = RtpPhone::start(PhoneConfig::new(SUPERVISOR_IP, supervisor_codec)).unwrap();
    let t0 = Instant::now();
    tones(&call.customer, &call.agent.phone, &sup);
    let session = cc::join(&sbc, &sup_ua, &sup, BOB, "*83a1007")
        .unwrap_or_else(|e| panic!("join: {e}\n{}", support::tail(&sbc.stderr(), 3000)));
    let (c, a) = (&call.customer, &call.agent.phone);
    let barge = Heard::measure(c, a, &sup);
    barge.expect(
        "barge",
        &[AGENT_HZ, SUPERVISOR_HZ],
        &[CUSTOMER_HZ, SUPERVISOR_HZ],
        &[CUSTOMER_HZ, AGENT_HZ],
    );
    sup.send_digit('1', Duration::from_millis(120)).unwrap();
    let listen = Heard::measure(c, a, &sup);
    listen.expect(
        "listen",
        &[AGENT_HZ],
        &[CUSTOMER_HZ],
        &[CUSTOMER_HZ, AGENT_HZ],
    );
    let end = Instant::now();
    for (who, phone) in [("customer", c), ("agent", a)] {
        let cont = phone.continuity(t0, end, Duration::from_millis(60));
        assert!(cont.is_seamless(), "{who}: {cont:?}");
    }
    session.hangup(cc::SIP_TIMEOUT).unwrap();
    call.customer_call.hangup(cc::SIP_TIMEOUT).unwrap();
    sup.stop().unwrap();
}

#[test]
fn pcma_call_with_an_opus_supervisor() {
    mixed_codecs(PhoneCodec::Pcma, PhoneCodec::Opus { pt: 111 });
}

#[test]
fn g722_call_with_a_pcmu_supervisor() {
    mixed_codecs(PhoneCodec::G722, PhoneCodec::Pcmu);
}
