//! Take-over end to end, through the real daemon (topology: `support::contact_center`).
//! A manager takes over agent 1007's call, by key `4` during a session or by an INVITE
//! with `Replaces` naming the agent's dialog (RFC 3891): the agent's leg is hung up
//! with a Reason, the customer and the supervisor then hear each other (tones, by
//! Goertzel) and nobody hears the agent, the customer's stream never jumps, and
//! every step is in the audit log. A coach's `Replaces` is refused and changes nothing.

mod support;

use std::time::{Duration, Instant};

use sbc_monitor::audit::AuditKind;
use support::contact_center::{
    self as cc, AGENT_HZ, ALICE, BOB, CUSTOMER_HZ, CUSTOMER_IP, SUPERVISOR_HZ, SUPERVISOR_IP,
};
use support::ua::rtp_phone::{PhoneConfig, RtpPhone};
use support::ua::{Caller, DigestCredentials, InviteOptions, PhoneCodec, UaError};

const TONES: [f64; 3] = [CUSTOMER_HZ, AGENT_HZ, SUPERVISOR_HZ];
const WINDOW: Duration = Duration::from_millis(1200);
const SETTLE: Duration = Duration::from_millis(600);

/// Customer and supervisor hear exactly each other over the last window; the agent's
/// tone reaches nobody.
fn expect_bridged(customer: &RtpPhone, supervisor: &RtpPhone) {
    std::thread::sleep(SETTLE + WINDOW);
    let to = Instant::now();
    let from = to - WINDOW;
    for (who, phone, want) in [
        ("customer", customer, SUPERVISOR_HZ),
        ("supervisor", supervisor, CUSTOMER_HZ),
    ] {
        phone
            .listen_between(&TONES, from, to)
            .assert_hears(who, &TONES, &[want]);
    }
}

#[test]
fn key_4_takes_over_releases_the_agent_and_the_supervisor_ends_the_call() {
    let (sbc, agent) = cc::start(PhoneCodec::Pcmu);
    let customer_ua = Caller::bind(CUSTOMER_IP).unwrap();
    let call = cc::place_call(&sbc, &customer_ua, PhoneCodec::Pcmu, agent)
        .unwrap_or_else(|e| panic!("call: {e}\n{}", support::tail(&sbc.stderr(), 3000)));
    let sup_ua = Caller::bind(SUPERVISOR_IP).unwrap();
    // An Opus phone: the customer keeps its PCMU, no re-INVITE is needed.
    let sup = RtpPhone::start(PhoneConfig::new(
        SUPERVISOR_IP,
        PhoneCodec::Opus { pt: 111 },
    ))
    .unwrap();
    let t0 = Instant::now();
    call.customer.play_tone(CUSTOMER_HZ);
    call.agent.phone.play_tone(AGENT_HZ);
    sup.play_tone(SUPERVISOR_HZ);
    let session = cc::join(&sbc, &sup_ua, &sup, BOB, "*81a1007")
        .unwrap_or_else(|e| panic!("join: {e}\n{}", support::tail(&sbc.stderr(), 3000)));
    std::thread::sleep(Duration::from_millis(400));

    sup.send_digit('4', Duration::from_millis(120)).unwrap();
    let (_, bye) = call
        .agent
        .callee
        .wait_bye_message(cc::SIP_TIMEOUT)
        .unwrap_or_else(|e| panic!("agent BYE: {e}\n{}", support::tail(&sbc.stderr(), 3000)));
    let reason = bye.header_by_name("Reason").unwrap_or_default().to_owned();
    assert!(reason.contains("taken over"), "{reason}");
    expect_bridged(&call.customer, &sup);
    let cont = call
        .customer
        .continuity(t0, Instant::now(), Duration::from_millis(60));
    assert!(
        cont.is_seamless(),
        "the customer's stream across the take-over: {cont:?}"
    );

    // The supervisor hangs up: the call is over for the customer too.
    let mut customer_call = call.customer_call;
    session.hangup(cc::SIP_TIMEOUT).unwrap();
    customer_call
        .wait_bye(cc::SIP_TIMEOUT)
        .expect("BYE to the customer");
    std::thread::sleep(Duration::from_millis(300));
    let records = cc::audit(&sbc);
    let steps: Vec<(AuditKind, &str)> = records.iter().map(|r| (r.0, r.1.as_str())).collect();
    assert_eq!(
        steps,
        [
            (AuditKind::Attempt, steps[0].1),
            (AuditKind::Start, "ok"),
            (AuditKind::Takeover, "ok"),
            (AuditKind::End, "supervisor_hangup"),
        ],
        "{records:?}"
    );
    assert_eq!(records[2].2.as_deref(), Some("takeover"));
    sup.stop().unwrap();
}

/// The `Replaces` value naming the agent's dialog at the SBC (RFC 3891 §3: to-tag is
/// the SBC's tag, from-tag the agent's).
fn replaces_agent(call: &cc::MonitoredCall<'_>) -> String {
    let invite = &call.answered.invite;
    let call_id = invite.call_id().unwrap_or_default();
    let sbc_tag = invite
        .from_hdr()
        .ok()
        .and_then(|f| f.tag())
        .unwrap_or_default();
    format!(
        "{call_id};to-tag={sbc_tag};from-tag={}",
        call.answered.to_tag
    )
}

#[test]
fn an_invite_with_replaces_takes_over_and_a_coach_may_not() {
    let (sbc, agent) = cc::start(PhoneCodec::Pcmu);
    let customer_ua = Caller::bind(CUSTOMER_IP).unwrap();
    let call = cc::place_call(&sbc, &customer_ua, PhoneCodec::Pcmu, agent)
        .unwrap_or_else(|e| panic!("call: {e}\n{}", support::tail(&sbc.stderr(), 3000)));
    call.customer.play_tone(CUSTOMER_HZ);
    call.agent.phone.play_tone(AGENT_HZ);
    let replaces = replaces_agent(&call);
    let sup_ua = Caller::bind(SUPERVISOR_IP).unwrap();
    let sup = RtpPhone::start(PhoneConfig::new(SUPERVISOR_IP, PhoneCodec::Pcmu)).unwrap();
    sup.play_tone(SUPERVISOR_HZ);
    let invite = |who: (&str, &str)| {
        let options = InviteOptions::default()
            .credentials(DigestCredentials::new(who.0, who.1))
            .caller_user(who.0)
            .header("Replaces", &replaces);
        sup_ua.invite_with(sbc.sip_udp(), "1007", &sup.sdp(), cc::SIP_TIMEOUT, &options)
    };
    // Alice coaches: take-over is not in her role. The agent stays on.
    match invite(ALICE) {
        Err(UaError::Rejected { status, .. }) => assert_eq!(status, 403),
        Ok(_) => panic!("a coach took over"),
        Err(e) => panic!("{e}"),
    }
    assert!(call
        .agent
        .callee
        .wait_bye(Duration::from_millis(300))
        .is_err());
    // Bob manages: he replaces the agent.
    let session = invite(BOB)
        .unwrap_or_else(|e| panic!("replaces: {e}\n{}", support::tail(&sbc.stderr(), 3000)));
    sup.set_remote(session.answer.rtp());
    call.agent
        .callee
        .wait_bye(cc::SIP_TIMEOUT)
        .expect("the replaced agent gets a BYE");
    expect_bridged(&call.customer, &sup);
    // The dialog is gone now: naming it again finds nothing.
    match invite(BOB) {
        Err(UaError::Rejected { status, .. }) => assert_eq!(status, 481),
        other => panic!("a replaced dialog replaced again: {:?}", other.map(|_| ())),
    }
    call.customer_call.hangup(cc::SIP_TIMEOUT).unwrap();
    let mut session = session;
    session
        .wait_bye(cc::SIP_TIMEOUT)
        .expect("BYE to the supervisor");
    std::thread::sleep(Duration::from_millis(300));
    let records = cc::audit(&sbc);
    let steps: Vec<(AuditKind, &str, Option<&str>)> = records
        .iter()
        .map(|r| (r.0, r.1.as_str(), r.2.as_deref()))
        .collect();
    assert_eq!(
        steps[1],
        (AuditKind::Denied, "mode_not_in_role", Some("takeover"))
    );
    assert_eq!(steps[3], (AuditKind::Start, "ok", Some("takeover")));
    assert_eq!(steps.last().map(|s| s.1), Some("call_ended"));
    assert_eq!(steps.len(), 5, "{records:?}");
    sup.stop().unwrap();
}
