//! A refused mode switch end to end, through the real daemon: alice coaches
//! (listen, whisper) and joins the acme agent's call in listen; she presses 3
//! (barge) by RFC 4733. The monitoring plane audits the refusal (Denied,
//! `mode_not_in_role`), and she hears the error tone — three ~100 ms bursts of
//! 620 Hz (`sbc-media/src/monitor/notice.rs`) — mixed into what she hears, on the
//! same continuous stream, while she still hears customer and agent. She stays
//! in listen: the customer and the agent never hear her, nor the tone.
//! Topology: `support::contact_center`.

mod support;

use std::time::{Duration, Instant};

use sbc_monitor::audit::AuditKind;
use support::contact_center::{
    self as cc, AGENT_HZ, ALICE, CUSTOMER_HZ, CUSTOMER_IP, SUPERVISOR_HZ, SUPERVISOR_IP,
};
use support::tone::tone_ratio;
use support::ua::rtp_log::{PacketRecord, PayloadKind};
use support::ua::rtp_phone::{PhoneConfig, RtpPhone};
use support::ua::rtp_tones::HEARD_SHARE;
use support::ua::{Caller, PhoneCodec};

/// The error tone's frequency.
const REFUSED_HZ: f64 = 620.0;
const TONES: [f64; 4] = [CUSTOMER_HZ, AGENT_HZ, SUPERVISOR_HZ, REFUSED_HZ];
/// Time for a join or a switch to settle before measuring.
const SETTLE: Duration = Duration::from_millis(600);
/// How long after the key press the tone is looked for (it lasts 560 ms; the
/// refusal is audited durably before it is played).
const TONE_WINDOW: Duration = Duration::from_millis(2000);
/// A 20 ms packet carries the error tone above this share of its energy (the
/// tone at -15 dBFS on two -12 dBFS voices: about 0.2)...
const TONE_PACKET: f64 = 0.1;
/// ...and is free of it below this one (what a 500 Hz voice leaks into a 20 ms
/// Goertzel at 620 Hz: at most about 0.016).
const NO_TONE_PACKET: f64 = 0.05;

/// The 620 Hz share of each received audio packet, in arrival order.
fn tone_shares(records: &[PacketRecord]) -> Vec<f64> {
    records
        .iter()
        .filter(|r| r.kind == PayloadKind::Audio && !r.pcm.is_empty())
        .map(|r| tone_ratio(&r.pcm, REFUSED_HZ, r.sample_rate))
        .collect()
}

/// The lengths of the runs of packets above `threshold`.
fn bursts(shares: &[f64], threshold: f64) -> Vec<usize> {
    shares
        .split(|s| *s <= threshold)
        .map(<[f64]>::len)
        .filter(|n| *n > 0)
        .collect()
}

/// Asserts that `who` heard each of `want` and none of the other `TONES`.
fn expect(who: &str, phone: &RtpPhone, from: Instant, to: Instant, want: &[f64]) {
    phone
        .listen_between(&TONES, from, to)
        .assert_hears(who, &TONES, want);
}

#[test]
fn a_refused_barge_plays_the_error_tone_to_the_supervisor_only() {
    let (sbc, agent) = cc::start(PhoneCodec::Pcmu);
    let customer_ua = Caller::bind(CUSTOMER_IP).unwrap();
    let call = cc::place_call(&sbc, &customer_ua, PhoneCodec::Pcmu, agent)
        .unwrap_or_else(|e| panic!("call: {e}\n{}", support::tail(&sbc.stderr(), 3000)));
    let sup_ua = Caller::bind(SUPERVISOR_IP).unwrap();
    let alice = RtpPhone::start(PhoneConfig::new(SUPERVISOR_IP, PhoneCodec::Pcmu)).unwrap();
    let (c, a) = (&call.customer, &call.agent.phone);
    c.play_tone(CUSTOMER_HZ);
    a.play_tone(AGENT_HZ);
    alice.play_tone(SUPERVISOR_HZ);
    let t0 = Instant::now();
    let session = cc::join(&sbc, &sup_ua, &alice, ALICE, "*81a1007")
        .unwrap_or_else(|e| panic!("join: {e}\n{}", support::tail(&sbc.stderr(), 3000)));
    std::thread::sleep(SETTLE);
    let joined = Instant::now();
    std::thread::sleep(SETTLE);
    expect(
        "alice (listen)",
        &alice,
        joined,
        Instant::now(),
        &[CUSTOMER_HZ, AGENT_HZ],
    );

    // Barge is not in the coach role: refused.
    let pressed = Instant::now();
    alice.send_digit('3', Duration::from_millis(120)).unwrap();
    std::thread::sleep(TONE_WINDOW);
    let toned = Instant::now();
    std::thread::sleep(SETTLE + SETTLE);
    let end = Instant::now();

    // Alice heard the tone once: three bursts of about 100 ms (5 packets).
    let shares = tone_shares(&alice.received_between(pressed, toned));
    let runs = bursts(&shares, TONE_PACKET);
    assert!(
        runs.len() == 3 && runs.iter().all(|n| (3..=7).contains(n)),
        "alice's error tone: bursts {runs:?} in {shares:.2?}\n{}",
        support::tail(&sbc.stderr(), 2000)
    );
    let after = tone_shares(&alice.received_between(toned, end));
    assert!(
        bursts(&after, NO_TONE_PACKET).is_empty(),
        "one tone only: {after:.2?}"
    );
    // ...while still hearing the call, in listen, on one continuous stream.
    expect(
        "alice (after the tone)",
        &alice,
        toned,
        end,
        &[CUSTOMER_HZ, AGENT_HZ],
    );
    let l = alice.listen_between(&TONES, pressed, toned);
    for hz in [CUSTOMER_HZ, AGENT_HZ] {
        assert!(
            l.share(hz) >= HEARD_SHARE,
            "alice during the tone, {hz} Hz\n{}",
            l.describe()
        );
    }
    let cont = alice.continuity(joined, end, Duration::from_millis(60));
    assert!(
        cont.is_seamless(),
        "alice's stream across the tone: {cont:?}"
    );

    // The customer and the agent heard each other only, all along: not alice
    // (still in listen), not the tone (not even in one packet).
    for (who, phone, other) in [("customer", c, AGENT_HZ), ("agent", a, CUSTOMER_HZ)] {
        expect(who, phone, t0, end, &[other]);
        let peak = tone_shares(&phone.received_between(t0, end))
            .into_iter()
            .fold(0.0, f64::max);
        assert!(
            peak <= NO_TONE_PACKET,
            "{who} heard the error tone ({peak:.3})"
        );
        let cont = phone.continuity(t0, end, Duration::from_millis(60));
        assert!(cont.is_seamless(), "{who}'s stream: {cont:?}");
    }

    session.hangup(cc::SIP_TIMEOUT).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let records = cc::audit(&sbc);
    let kinds: Vec<AuditKind> = records.iter().map(|r| r.0).collect();
    assert_eq!(
        kinds,
        vec![
            AuditKind::Attempt,
            AuditKind::Start,
            AuditKind::Denied,
            AuditKind::End
        ],
        "{records:?}"
    );
    let denied = &records[2];
    assert_eq!(
        (denied.1.as_str(), denied.2.as_deref()),
        ("mode_not_in_role", Some("barge")),
        "{records:?}"
    );
    call.customer_call.hangup(cc::SIP_TIMEOUT).unwrap();
    alice.stop().unwrap();
}
