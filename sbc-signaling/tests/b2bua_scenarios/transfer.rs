//! Call transfer by REFER, carried out by the SBC (issue 4: "handle REFER from the
//! agent side without breaking the customer's audio"). The agent (uas, B side) sends
//! REFER; the SBC answers 202, NOTIFYs progress, calls the Refer-To user through its
//! routes (a target trunk at 10.0.0.4, driven by hand here) and on answer swaps the
//! target in for the agent: the stream facing B is re-pointed, the customer (uac)
//! never gets a request, the agent gets NOTIFY 200 and BYE. Failures leave the call
//! as it was; the agent hanging up early leaves the customer waiting for the target.

use std::time::Duration;

use bytes::BytesMut;
use sbc_core::call::EndCause;
use sbc_core::ids::LegSide;
use sbc_core::monitoring::{MonitorSessionId, SessionEnd};
use sbc_signaling::b2bua::CallEvent;
use sbc_signaling::sip::{Method, SipMessage};

use crate::sim::{addr, Sim, SimConfig};
use crate::ua_msg;

const TARGET: &str = "10.0.0.4:5060";
/// Transfers from the agent's trunk to users starting with 2 go to the target trunk.
const ROUTES: &str = "[[route]]\nname = \"transfers\"\ningress_trunk = \"uas\"\n\
                      user_prefix = \"2\"\ntarget = \"target\"\n";
const TARGET_TRUNK: &str = "[[trunk]]\nname = \"target\"\naddress = \"10.0.0.4:5060\"\n\
                            accept_from = []\n";
const REFER_TO: &str = "<sip:2000@agents.internal.example;user=phone>";

fn config(seed: u64, target_keys: &str, extra: &str) -> SimConfig {
    let mut cfg = SimConfig::new(seed);
    cfg.routes = ROUTES;
    cfg.timer_c_secs = 20;
    cfg.extra = Box::leak(format!("{TARGET_TRUNK}{target_keys}\n{extra}").into_boxed_str());
    cfg
}

fn answered(cfg: SimConfig) -> Sim {
    let mut sim = Sim::new(cfg);
    let now = sim.now;
    sim.uac.invite(now, true);
    let ok = sim.run_until(Duration::from_secs(5), |s| {
        s.uac.statuses(Method::Invite).contains(&200) && s.uas.got(Method::Ack)
    });
    assert!(ok, "call not established:\n{}", sim.trace_tail(40));
    sim
}

/// What the SBC sent the transfer target, by method (responses: `None`).
fn to_target(sim: &Sim, method: Option<Method>) -> Vec<SipMessage> {
    let target = addr(TARGET);
    sim.unrouted
        .iter()
        .filter(|(_, d)| d.to == target)
        .filter_map(|(_, d)| SipMessage::parse(d.payload.clone()).ok())
        .filter(|m| m.method() == method)
        .collect()
}

const TARGET_SDP: &str = "v=0\r\no=carol 77 1 IN IP4 10.0.0.4\r\ns=-\r\nc=IN IP4 10.0.0.4\r\n\
                          t=0 0\r\nm=audio 8000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
                          a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

/// The target answers the SBC's INVITE with `status` (and `body` for a 2xx).
fn target_replies(sim: &mut Sim, status: u16, body: Option<&str>) {
    let invite = to_target(sim, Some(Method::Invite))
        .pop()
        .expect("INVITE to the target");
    let mut buf = BytesMut::new();
    let resp = ua_msg::response(
        &mut buf,
        &invite,
        status,
        Some("carol1"),
        Some(addr(TARGET)),
        body,
    );
    sim.inject(addr(TARGET), resp.as_bytes());
    sim.run_for(Duration::from_millis(300));
}

fn refer(sim: &mut Sim, extra: &[(&str, &str)]) {
    let now = sim.now;
    assert!(sim.uas.refer(now, REFER_TO, extra));
    sim.run_for(Duration::from_millis(300));
}

/// The sipfrag status lines and Subscription-State of the NOTIFYs the agent got.
fn notifies(sim: &Sim) -> Vec<(String, String)> {
    sim.uas
        .requests_of(Method::Notify)
        .iter()
        .map(|n| {
            let body = String::from_utf8_lossy(n.body()).trim_end().to_owned();
            let state = n.header_by_name("Subscription-State").unwrap_or_default();
            (body, state.split(';').next().unwrap_or_default().to_owned())
        })
        .collect()
}

fn transferred(sim: &Sim) -> Vec<(LegSide, String)> {
    sim.events
        .iter()
        .filter_map(|(_, e)| match e {
            CallEvent::Transferred { side, target, .. } => Some((*side, target.to_string())),
            _ => None,
        })
        .collect()
}

fn sdp_port(body: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(body);
    let m = text.lines().find(|l| l.starts_with("m=audio"))?;
    m.split(' ').nth(1)?.parse().ok()
}

#[test]
fn blind_transfer_connects_the_customer_to_the_target_without_touching_its_leg() {
    let mut sim = answered(config(70, "", ""));
    let agent_offer = sim.uas.requests_of(Method::Invite)[0].clone();
    refer(&mut sim, &[("Referred-By", "<sip:1007@cc.example>")]);
    assert_eq!(sim.uas.statuses(Method::Refer), [202]);
    let notify = sim.uas.requests_of(Method::Notify)[0].clone();
    let event = notify
        .header_by_name("Event")
        .unwrap_or_default()
        .to_owned();
    assert!(event.starts_with("refer;id="), "{event}");
    assert_eq!(notify.content_type(), Some("message/sipfrag;version=2.0"));
    assert_eq!(
        notifies(&sim),
        [("SIP/2.0 100 Trying".into(), "active".into())]
    );

    // The target is called through the route, not at the Refer-To's host.
    let invite = to_target(&sim, Some(Method::Invite)).pop().expect("INVITE");
    assert_eq!(invite.request_uri(), Some("sip:2000@10.0.0.4:5060"));
    let text = String::from_utf8_lossy(invite.as_bytes()).into_owned();
    assert!(!text.contains("agents.internal.example"), "{text}");
    assert!(
        !text.contains("10.0.0.1") && !text.contains("10.0.0.3"),
        "{text}"
    );
    assert_eq!(
        invite.header_by_name("Referred-By"),
        Some("<sip:1007@cc.example>")
    );
    assert_ne!(invite.call_id(), agent_offer.call_id());
    // The session as it stands, on a new SBC endpoint of its own.
    let target_port = sdp_port(invite.body());
    assert!(target_port.is_some());
    assert_ne!(target_port, sdp_port(agent_offer.body()));
    assert!(String::from_utf8_lossy(invite.body()).contains("a=sendrecv"));

    let remotes_before = sim.media.snapshot().remotes_facing(LegSide::B).len();
    target_replies(&mut sim, 180, None);
    assert!(sim.uas.requests_of(Method::Bye).is_empty());
    target_replies(&mut sim, 200, Some(TARGET_SDP));
    assert_eq!(to_target(&sim, Some(Method::Ack)).len(), 1);
    assert_eq!(
        notifies(&sim),
        [
            ("SIP/2.0 100 Trying".into(), "active".into()),
            ("SIP/2.0 200 OK".into(), "terminated".into())
        ]
    );
    let byes = sim.uas.requests_of(Method::Bye);
    assert_eq!(byes.len(), 1, "{}", sim.trace_tail(20));
    assert!(byes[0]
        .header_by_name("Reason")
        .unwrap_or_default()
        .contains("Call transferred"));
    // Media: the customer's stream is connected to the target's new stream, which
    // sends to the target; the agent's stream is released.
    let media = sim.media.snapshot();
    let remotes = media.remotes_facing(LegSide::B);
    assert_eq!(remotes.len(), remotes_before + 1);
    assert_eq!(
        remotes.last().and_then(|r| r.rtp),
        Some(addr("10.0.0.4:8000"))
    );
    let endpoint = |side| {
        media
            .allocated
            .iter()
            .filter(|(_, s, _, _)| *s == side)
            .map(|(_, _, id, e)| (*id, e.rtp.port()))
            .collect::<Vec<_>>()
    };
    let (customer, agents) = (endpoint(LegSide::A), endpoint(LegSide::B));
    assert_eq!(agents.len(), 2, "the agent's stream and the target's");
    assert_eq!(Some(agents[1].1), target_port);
    assert_eq!(media.connects.last(), Some(&(customer[0].0, agents[1].0)));
    assert_eq!(media.released_streams, [agents[0].0]);
    assert!(sim.uac.requests.is_empty(), "{:?}", sim.uac.requests);
    assert_eq!(transferred(&sim), [(LegSide::B, "target".to_owned())]);
    assert!(sim.cdrs().is_empty(), "the call goes on");

    // The customer hangs up: the BYE goes to the target.
    let now = sim.now;
    assert!(sim.uac.bye(now));
    sim.run_for(Duration::from_millis(300));
    let bye = to_target(&sim, Some(Method::Bye))
        .pop()
        .expect("BYE to the target");
    assert_eq!(bye.call_id(), invite.call_id());
    let cdrs = sim.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].cause, EndCause::NormalClearing);
    assert_eq!(
        cdrs[0].target_trunk.as_ref().map(|t| t.as_str()),
        Some("target")
    );
    assert_eq!(sim.sbc.active_calls(), 0);
}

#[test]
fn a_failed_attempt_leaves_the_call_with_the_agent_and_a_second_one_works() {
    let mut sim = answered(config(71, "", ""));
    refer(&mut sim, &[]);
    target_replies(&mut sim, 486, None);
    assert_eq!(
        notifies(&sim).last(),
        Some(&("SIP/2.0 486 Busy Here".to_owned(), "terminated".to_owned()))
    );
    assert!(sim.uas.requests_of(Method::Bye).is_empty());
    assert!(transferred(&sim).is_empty());
    // The call is the agent's as before: the customer's re-INVITE reaches it.
    let now = sim.now;
    assert!(sim.uac.reinvite(now, Some("sendonly")));
    sim.run_for(Duration::from_millis(500));
    assert_eq!(sim.uac.statuses(Method::Invite).last(), Some(&200));
    assert_eq!(sim.uas.requests_of(Method::Invite).len(), 2);
    // Again, and this time the target answers.
    refer(&mut sim, &[]);
    target_replies(&mut sim, 200, Some(TARGET_SDP));
    assert_eq!(transferred(&sim).len(), 1);
    assert_eq!(sim.uas.requests_of(Method::Bye).len(), 1);
}

#[test]
fn the_customer_stays_on_when_the_agent_hangs_up_before_the_target_answers() {
    let mut sim = answered(config(72, "", ""));
    refer(&mut sim, &[]);
    let now = sim.now;
    assert!(sim.uas.bye(now));
    sim.run_for(Duration::from_millis(300));
    assert_eq!(sim.uas.statuses(Method::Bye), [200]);
    assert!(sim.uac.requests.is_empty(), "the customer is not hung up");
    assert!(sim.cdrs().is_empty());
    target_replies(&mut sim, 200, Some(TARGET_SDP));
    assert_eq!(transferred(&sim).len(), 1);
    let remotes = sim.media.snapshot().remotes_facing(LegSide::B);
    assert_eq!(
        remotes.last().and_then(|r| r.rtp),
        Some(addr("10.0.0.4:8000"))
    );
    // No NOTIFY or BYE to an agent that is gone.
    assert_eq!(notifies(&sim).len(), 1);
    assert_eq!(sim.uas.requests_of(Method::Bye).len(), 0);
    assert!(sim.uac.requests.is_empty());
}

#[test]
fn the_customer_is_hung_up_when_the_agent_left_and_the_target_fails() {
    let mut sim = answered(config(73, "", ""));
    refer(&mut sim, &[]);
    let now = sim.now;
    assert!(sim.uas.bye(now));
    sim.run_for(Duration::from_millis(300));
    target_replies(&mut sim, 480, None);
    assert!(sim.uac.got(Method::Bye), "{}", sim.trace_tail(20));
    let cdrs = sim.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].final_status, 480);
    assert_eq!(cdrs[0].ended_by, Some(LegSide::B));
    assert_eq!(sim.sbc.active_calls(), 0);
}

#[test]
fn the_customer_hanging_up_during_the_attempt_cancels_the_target() {
    let mut sim = answered(config(74, "", ""));
    refer(&mut sim, &[]);
    target_replies(&mut sim, 180, None);
    let now = sim.now;
    assert!(sim.uac.bye(now));
    sim.run_for(Duration::from_millis(300));
    assert_eq!(to_target(&sim, Some(Method::Cancel)).len(), 1);
    assert!(sim.uas.got(Method::Bye));
    assert_eq!(sim.cdrs().len(), 1);
    // The target's answer crossing the CANCEL is ACKed and hung up.
    target_replies(&mut sim, 200, Some(TARGET_SDP));
    assert_eq!(to_target(&sim, Some(Method::Ack)).len(), 1);
    assert_eq!(to_target(&sim, Some(Method::Bye)).len(), 1);
    assert!(transferred(&sim).is_empty());
}

#[test]
fn an_unanswered_target_is_cancelled_at_timer_c_and_reported_408() {
    let mut sim = answered(config(75, "", ""));
    refer(&mut sim, &[]);
    target_replies(&mut sim, 180, None);
    sim.run_for(Duration::from_secs(21));
    // (retransmitted: nobody answers it here)
    assert!(!to_target(&sim, Some(Method::Cancel)).is_empty());
    target_replies(&mut sim, 487, None);
    assert_eq!(
        notifies(&sim).last(),
        Some(&(
            "SIP/2.0 408 Request Timeout".to_owned(),
            "terminated".to_owned()
        ))
    );
    assert!(sim.uas.requests_of(Method::Bye).is_empty());
    assert!(sim.cdrs().is_empty());
}

#[test]
fn refer_sub_false_gets_no_notify() {
    let mut sim = answered(config(76, "", ""));
    refer(&mut sim, &[("Refer-Sub", "false")]);
    let accepted = sim.uas.responses_to(Method::Refer)[0].clone();
    assert_eq!(accepted.header_by_name("Refer-Sub"), Some("false"));
    target_replies(&mut sim, 200, Some(TARGET_SDP));
    assert!(notifies(&sim).is_empty());
    assert_eq!(sim.uas.requests_of(Method::Bye).len(), 1);
}

#[test]
fn refers_the_sbc_cannot_carry_out_are_refused_and_change_nothing() {
    let mut sim = answered(config(77, "", ""));
    let status = |sim: &mut Sim, refer_to: Option<&str>| {
        let now = sim.now;
        match refer_to {
            Some(to) => assert!(sim.uas.refer(now, to, &[])),
            None => assert!(sim.uas.request(now, Method::Refer)),
        }
        sim.run_for(Duration::from_millis(300));
        *sim.uas.statuses(Method::Refer).last().unwrap()
    };
    assert_eq!(status(&mut sim, None), 400);
    assert_eq!(
        status(&mut sim, Some("<sip:2000@x?Replaces=abc%3Bto-tag%3D1>")),
        403
    );
    assert_eq!(status(&mut sim, Some("<sip:2000@x;method=BYE>")), 403);
    assert_eq!(status(&mut sim, Some("<mailto:a@b>")), 416);
    assert_eq!(status(&mut sim, Some("not a uri")), 400);
    assert!(to_target(&sim, Some(Method::Invite)).is_empty());
    // One at a time; and no session change while the target is being called.
    assert_eq!(status(&mut sim, Some(REFER_TO)), 202);
    assert_eq!(status(&mut sim, Some(REFER_TO)), 491);
    let now = sim.now;
    assert!(sim.uac.reinvite(now, Some("sendonly")));
    sim.run_for(Duration::from_millis(300));
    assert_eq!(sim.uac.statuses(Method::Invite).last(), Some(&491));
    assert_eq!(sim.uas.requests_of(Method::Invite).len(), 1);
}

#[test]
fn the_agent_trunk_may_relay_or_reject_refer_instead() {
    let mut cfg = config(78, "", "");
    cfg.trunk_b = "refer = \"reject\"\n";
    let mut sim = answered(cfg);
    refer(&mut sim, &[]);
    assert_eq!(sim.uas.statuses(Method::Refer), [403]);
    assert!(to_target(&sim, Some(Method::Invite)).is_empty());

    let mut cfg = config(79, "", "");
    cfg.trunk_b = "refer = \"relay\"\n";
    let mut sim = answered(cfg);
    refer(&mut sim, &[]);
    let relayed = sim.uac.requests_of(Method::Refer);
    assert_eq!(relayed.len(), 1);
    assert_eq!(relayed[0].header_by_name("Refer-To"), Some(REFER_TO));
    assert!(to_target(&sim, Some(Method::Invite)).is_empty());
}

#[test]
fn an_srtp_target_gets_fresh_keys_and_an_unusable_answer_keeps_the_agent() {
    let mut sim = answered(config(
        80,
        "srtp = \"mandatory\"\nsrtp_suites = [\"AES_CM_128_HMAC_SHA1_80\"]\n",
        "",
    ));
    refer(&mut sim, &[]);
    let invite = to_target(&sim, Some(Method::Invite)).pop().expect("INVITE");
    let offer = String::from_utf8_lossy(invite.body()).into_owned();
    assert!(offer.contains("RTP/SAVP"), "{offer}");
    let crypto = offer
        .lines()
        .find_map(|l| l.strip_prefix("a=crypto:"))
        .expect("a=crypto")
        .to_owned();
    // A plain answer does not fit: the target is hung up, the agent told 488.
    target_replies(&mut sim, 200, Some(TARGET_SDP));
    assert_eq!(to_target(&sim, Some(Method::Bye)).len(), 1);
    assert_eq!(
        notifies(&sim).last().map(|n| n.0.as_str()),
        Some("SIP/2.0 488 Not Acceptable Here (unusable SRTP answer)")
    );
    assert!(sim.uas.requests_of(Method::Bye).is_empty());
    // Again, answered with SRTP: the stream facing B gets the target's key.
    refer(&mut sim, &[]);
    let tag_suite = crypto.split(" inline:").next().unwrap_or_default();
    let answer = TARGET_SDP.replace("RTP/AVP", "RTP/SAVP").replace(
        "a=sendrecv\r\n",
        &format!("a=sendrecv\r\na=crypto:{tag_suite} inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"),
    );
    target_replies(&mut sim, 200, Some(&answer));
    assert_eq!(transferred(&sim).len(), 1, "{}", sim.trace_tail(20));
    let keying = sim.media.snapshot().keyings_facing(LegSide::B);
    assert!(keying.last().cloned().flatten().is_some());
}

#[test]
fn supervisors_of_a_transferred_call_are_released() {
    let mut cfg = crate::monitor::config(81);
    cfg.routes = ROUTES;
    cfg.extra = Box::leak(format!("{}{TARGET_TRUNK}", cfg.extra).into_boxed_str());
    let mut sim = answered(cfg);
    let call = sim
        .events
        .iter()
        .find_map(|(_, e)| match e {
            CallEvent::Answered { call, .. } => Some(*call),
            _ => None,
        })
        .expect("answered");
    let session = MonitorSessionId(5);
    let mut phone = crate::monitor::Phone::new("sup-transfer");
    let req = crate::monitor::join_at(
        &mut sim,
        &mut phone,
        crate::monitor::JOIN_URI,
        "",
        crate::monitor::PASSWORD,
    )
    .expect("join");
    crate::monitor::admit(&mut sim, req.ticket, call, session.0);
    assert_eq!(crate::monitor::last_status(&sim, Method::Invite), Some(200));
    refer(&mut sim, &[]);
    target_replies(&mut sim, 200, Some(TARGET_SDP));
    let reason = crate::monitor::supervisor_bye_reason(&sim).expect("BYE to the supervisor");
    assert!(reason.contains("transferred"), "{reason}");
    assert_eq!(
        crate::monitor::ended(&sim),
        [(session, SessionEnd::Transferred)]
    );
    let picture = sim
        .media
        .snapshot()
        .monitoring
        .last()
        .cloned()
        .expect("picture");
    assert!(picture.supervisors.is_empty(), "back to the plain relay");
    assert_eq!(sim.sbc.monitor_footprint(), 0);
}

#[test]
fn a_customer_held_before_the_transfer_is_taken_off_hold() {
    let mut sim = answered(config(82, "", ""));
    // The agent holds the customer, then transfers.
    let now = sim.now;
    assert!(sim.uas.reinvite(now, Some("sendonly")));
    sim.run_for(Duration::from_millis(500));
    assert_eq!(sim.uas.statuses(Method::Invite).last(), Some(&200));
    let held = sim.uac.requests_of(Method::Invite).len();
    assert_eq!(held, 1);
    refer(&mut sim, &[]);
    let invite = to_target(&sim, Some(Method::Invite)).pop().expect("INVITE");
    assert!(String::from_utf8_lossy(invite.body()).contains("a=sendrecv"));
    sim.uac.media_port = 4100;
    target_replies(&mut sim, 200, Some(TARGET_SDP));
    // The SBC re-INVITEs the customer: the same session, sendrecv, a new o= version.
    let resumes = sim.uac.requests_of(Method::Invite);
    assert_eq!(resumes.len(), 2, "{}", sim.trace_tail(20));
    let (before, after) = (
        String::from_utf8_lossy(resumes[0].body()).into_owned(),
        String::from_utf8_lossy(resumes[1].body()).into_owned(),
    );
    assert!(
        before.contains("a=sendonly") && after.contains("a=sendrecv"),
        "{after}"
    );
    let version = |sdp: &str| {
        sdp.lines()
            .find_map(|l| l.strip_prefix("o="))
            .and_then(|o| o.split(' ').nth(2))
            .and_then(|v| v.parse::<u64>().ok())
    };
    assert_eq!(version(&after), version(&before).map(|v| v + 1));
    assert_eq!(sdp_port(resumes[1].body()), sdp_port(resumes[0].body()));
    // Its answer is applied: the customer moved its media.
    sim.run_for(Duration::from_millis(300));
    let remotes = sim.media.snapshot().remotes_facing(LegSide::A);
    assert_eq!(
        remotes.last().and_then(|r| r.rtp).map(|a| a.port()),
        Some(4100)
    );
    assert!(sim.uac.got(Method::Ack), "the customer's 200 is ACKed");
    // The re-INVITE slot is free again: the customer's next re-INVITE reaches the
    // target (not 491).
    let now = sim.now;
    assert!(sim.uac.reinvite(now, Some("sendrecv")));
    sim.run_for(Duration::from_millis(300));
    assert!(!sim.uac.statuses(Method::Invite).contains(&491));
    let in_target_dialog = to_target(&sim, Some(Method::Invite))
        .iter()
        .filter(|m| m.call_id() == invite.call_id() && m.to_hdr().is_ok_and(|t| t.tag().is_some()))
        .count();
    assert!(in_target_dialog >= 1, "{}", sim.trace_tail(20));
}

#[test]
fn no_media_for_the_target_is_reported_in_the_notify() {
    let mut sim = answered(config(83, "", ""));
    sim.media.exhaust();
    refer(&mut sim, &[]);
    assert_eq!(sim.uas.statuses(Method::Refer), [202]);
    assert_eq!(
        notifies(&sim),
        [
            ("SIP/2.0 100 Trying".into(), "active".into()),
            (
                "SIP/2.0 503 Service Unavailable (no media ports)".into(),
                "terminated".into()
            )
        ]
    );
    assert!(to_target(&sim, Some(Method::Invite)).is_empty());
    assert!(sim.uas.requests_of(Method::Bye).is_empty());
    assert!(sim.cdrs().is_empty());
}
