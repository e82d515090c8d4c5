//! Take-over (issue 4): a supervisor replaces the agent. The agent's leg (uas, the B
//! side) gets a BYE with a Reason, the call goes on between the customer (uac) and
//! the supervisor, the customer's in-dialog requests are answered by the SBC, and
//! either of them hanging up ends the call. `Replaces` (RFC 3891) naming the agent's
//! dialog is the standard way in; with `after_takeover = "listen"` the agent stays.

use std::time::Duration;

use sbc_core::call::EndCause;
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::AgentAfterTakeover;
use sbc_core::monitoring::{
    Admission, JoinTicket, MonitorMode, MonitorSessionId, SessionEnd, Target,
};
use sbc_signaling::b2bua::CallEvent;
use sbc_signaling::sip::{Method, SipMessage};

use crate::monitor::{
    answered_call, ended, join_at, last_status, to_supervisor, Phone, JOIN_URI, PASSWORD,
    SUPERVISOR,
};
use crate::sim::{addr, Sim, SBC, UAS};

const SESSION: MonitorSessionId = MonitorSessionId(7);

fn admit(
    sim: &mut Sim,
    ticket: JoinTicket,
    call: CallRef,
    mode: MonitorMode,
    after: AgentAfterTakeover,
) {
    let now = sim.now;
    sim.sbc.monitor_admit(
        now,
        Admission {
            ticket,
            session: SESSION,
            call,
            agent_side: LegSide::B,
            mode,
            after_takeover: after,
            agent_beep: false,
        },
    );
    sim.run_for(Duration::from_millis(100));
}

/// Joins with `*81a1`, is admitted in `mode` and ACKs the 200.
fn supervisor_on(
    sim: &mut Sim,
    call: CallRef,
    mode: MonitorMode,
    after: AgentAfterTakeover,
) -> Phone {
    let mut phone = Phone::new("sup-takeover");
    let req = join_at(sim, &mut phone, JOIN_URI, "", PASSWORD).expect("join reported");
    admit(sim, req.ticket, call, mode, after);
    let ok = to_supervisor(sim)
        .into_iter()
        .rev()
        .find(|m| m.status() == Some(200))
        .expect("200 to the supervisor");
    phone.to_tag = ok.to_hdr().ok().and_then(|t| t.tag()).map(str::to_owned);
    let ack = phone.request("ACK", JOIN_URI, "", ("", ""));
    sim.inject(addr(SUPERVISOR), ack.as_bytes());
    sim.run_for(Duration::from_millis(50));
    phone
}

fn agent_byes(sim: &Sim) -> Vec<SipMessage> {
    sim.uas
        .requests_of(Method::Bye)
        .into_iter()
        .cloned()
        .collect()
}

fn released(sim: &Sim) -> Vec<(CallRef, MonitorSessionId)> {
    sim.events
        .iter()
        .filter_map(|(_, e)| match e {
            CallEvent::AgentReleased { call, session } => Some((*call, *session)),
            _ => None,
        })
        .collect()
}

#[test]
fn take_over_releases_the_agent_and_the_supervisor_ends_the_call() {
    let (mut sim, call) = answered_call(61);
    let mut phone = supervisor_on(
        &mut sim,
        call,
        MonitorMode::Listen,
        AgentAfterTakeover::Released,
    );
    assert!(agent_byes(&sim).is_empty());
    let now = sim.now;
    assert!(sim
        .sbc
        .monitor_set_mode(now, SESSION, MonitorMode::Takeover));
    sim.run_for(Duration::from_millis(200));
    // The agent is hung up, saying why; the call is not.
    let byes = agent_byes(&sim);
    assert_eq!(byes.len(), 1, "{}", sim.trace_tail(20));
    let reason = byes[0].header_by_name("Reason").unwrap_or_default();
    assert!(reason.contains("taken over"), "{reason}");
    assert_eq!(released(&sim), [(call, SESSION)]);
    assert!(sim.cdrs().is_empty(), "the call goes on");
    assert!(!sim.uac.got(Method::Bye));
    let picture = sim.media.snapshot().monitoring.last().cloned().unwrap();
    assert_eq!(picture.supervisors[0].mode, MonitorMode::Takeover);
    assert_eq!(picture.after_takeover, AgentAfterTakeover::Released);
    // The supervisor who took over cannot leave take-over.
    let now = sim.now;
    assert!(!sim.sbc.monitor_set_mode(now, SESSION, MonitorMode::Listen));
    let picture = sim.media.snapshot().monitoring.last().cloned().unwrap();
    assert_eq!(picture.supervisors[0].mode, MonitorMode::Takeover);

    // The customer's requests are answered by the SBC: a session refresh gets the
    // session as it stands, a changed offer 488, INFO and OPTIONS 200.
    let before = sim.uac.responses_to(Method::Invite).len();
    let now = sim.now;
    assert!(sim.uac.refresh(now));
    sim.run_for(Duration::from_millis(300));
    let refresh = sim.uac.responses_to(Method::Invite)[before..]
        .iter()
        .find(|r| r.status().is_some_and(|s| s >= 200))
        .map(|r| (*r).clone())
        .expect("refresh answered");
    assert_eq!(refresh.status(), Some(200), "{}", sim.trace_tail(20));
    let initial = sim.uac.responses_to(Method::Invite)[..before]
        .iter()
        .rev()
        .find(|r| r.status() == Some(200))
        .map(|r| r.body().to_vec())
        .unwrap();
    assert_eq!(
        refresh.body(),
        &initial[..],
        "the same session, same o= version"
    );
    let now = sim.now;
    assert!(sim.uac.reinvite(now, Some("sendonly")));
    sim.run_for(Duration::from_millis(300));
    assert_eq!(sim.uac.statuses(Method::Invite).last(), Some(&488));
    for m in [Method::Info, Method::Options] {
        let now = sim.now;
        assert!(sim.uac.request(now, m));
        sim.run_for(Duration::from_millis(200));
        assert_eq!(sim.uac.statuses(m).last(), Some(&200), "{m:?}");
    }
    assert_eq!(agent_byes(&sim).len(), 1, "nothing more reaches the agent");
    assert!(!sim.uas.got(Method::Info) && !sim.uas.got(Method::Options));

    // The supervisor hangs up: the customer gets a BYE and the call ends.
    let bye = phone.request("BYE", JOIN_URI, "", ("", ""));
    sim.inject(addr(SUPERVISOR), bye.as_bytes());
    sim.run_for(Duration::from_secs(1));
    assert_eq!(last_status(&sim, Method::Bye), Some(200));
    assert!(sim.uac.got(Method::Bye), "{}", sim.trace_tail(20));
    assert_eq!(ended(&sim), [(SESSION, SessionEnd::SupervisorHangup)]);
    let cdrs = sim.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(
        (cdrs[0].cause, cdrs[0].ended_by),
        (EndCause::NormalClearing, Some(LegSide::B))
    );
    assert_eq!(agent_byes(&sim).len(), 1, "the agent is not hung up twice");
    assert_eq!(sim.sbc.monitor_footprint(), 0);
    assert_eq!(sim.sbc.active_calls(), 0);
}

#[test]
fn a_customer_hang_up_after_a_take_over_by_feature_code() {
    let (mut sim, call) = answered_call(62);
    let (call_id, ours, theirs) = agent_dialog(&sim);
    supervisor_on(
        &mut sim,
        call,
        MonitorMode::Takeover,
        AgentAfterTakeover::Released,
    );
    sim.run_for(Duration::from_millis(200));
    assert_eq!(agent_byes(&sim).len(), 1, "{}", sim.trace_tail(20));
    assert_eq!(released(&sim), [(call, SESSION)]);
    // A late request from the released agent: its dialog is gone.
    let info = format!(
        "INFO sip:sbc@{SBC} SIP/2.0\r\nVia: SIP/2.0/UDP {UAS};branch=z9hG4bKlate1\r\n\
         Max-Forwards: 70\r\nFrom: <sip:agent@{UAS}>;tag={theirs}\r\n\
         To: <sip:sbc@{SBC}>;tag={ours}\r\nCall-ID: {call_id}\r\nCSeq: 99 INFO\r\n\
         Content-Length: 0\r\n\r\n"
    );
    sim.inject(addr(UAS), info.as_bytes());
    sim.run_for(Duration::from_millis(200));
    assert!(
        sim.uas.raw_text().contains("SIP/2.0 481"),
        "{}",
        sim.trace_tail(10)
    );
    let now = sim.now;
    assert!(sim.uac.bye(now));
    sim.run_for(Duration::from_secs(1));
    let sup_byes = to_supervisor(&sim)
        .iter()
        .filter(|m| m.method() == Some(Method::Bye))
        .count();
    assert!(sup_byes >= 1, "{}", sim.trace_tail(20));
    assert_eq!(ended(&sim), [(SESSION, SessionEnd::CallEnded)]);
    assert_eq!(agent_byes(&sim).len(), 1);
    let cdrs = sim.cdrs();
    assert_eq!(cdrs[0].ended_by, Some(LegSide::A));
    assert_eq!(sim.sbc.monitor_footprint(), 0);
}

#[test]
fn after_takeover_listen_keeps_the_agent_on() {
    let (mut sim, call) = answered_call(63);
    supervisor_on(
        &mut sim,
        call,
        MonitorMode::Takeover,
        AgentAfterTakeover::Listening,
    );
    sim.run_for(Duration::from_millis(300));
    assert!(agent_byes(&sim).is_empty());
    assert!(released(&sim).is_empty());
    let picture = sim.media.snapshot().monitoring.last().cloned().unwrap();
    assert_eq!(picture.after_takeover, AgentAfterTakeover::Listening);
    // Nothing is answered locally: the customer's INFO reaches the agent.
    let now = sim.now;
    assert!(sim.uac.request(now, Method::Info));
    sim.run_for(Duration::from_millis(300));
    assert!(sim.uas.got(Method::Info));
}

/// The agent's dialog as seen from the SBC (RFC 3891 §3: to-tag = the SBC's tag).
fn agent_dialog(sim: &Sim) -> (String, String, String) {
    let d = sim.uas.live().expect("agent dialog");
    (d.call_id.clone(), d.remote_tag.clone(), d.local_tag.clone())
}

fn replaces_join(
    sim: &mut Sim,
    call_id: &str,
    header: &str,
) -> Option<sbc_core::monitoring::JoinRequest> {
    let mut phone = Phone::new(call_id);
    join_at(
        sim,
        &mut phone,
        "sip:agent@10.0.0.2",
        &format!("Replaces: {header}\r\n"),
        PASSWORD,
    )
}

#[test]
fn replaces_naming_the_agents_dialog_is_a_take_over() {
    let (mut sim, call) = answered_call(64);
    let (call_id, ours, theirs) = agent_dialog(&sim);
    let header = format!("{call_id};to-tag={ours};from-tag={theirs}");
    let req = replaces_join(&mut sim, "rep-1", &header).expect("join reported");
    let target = req.target.clone().expect("target");
    assert_eq!(target.mode, MonitorMode::Takeover);
    assert_eq!(target.target, Target::Call(call));
    assert_eq!(req.replaces, Some(LegSide::B));
    admit(
        &mut sim,
        req.ticket,
        call,
        MonitorMode::Takeover,
        AgentAfterTakeover::Released,
    );
    sim.run_for(Duration::from_millis(200));
    assert_eq!(last_status(&sim, Method::Invite), Some(200));
    assert_eq!(agent_byes(&sim).len(), 1, "{}", sim.trace_tail(20));
    // The replaced dialog is gone: naming it again finds nothing.
    assert!(replaces_join(&mut sim, "rep-2", &header).is_none());
    assert_eq!(last_status(&sim, Method::Invite), Some(481));
}

#[test]
fn replaces_that_names_nothing_is_refused_after_authentication() {
    let (mut sim, _call) = answered_call(65);
    let (call_id, ours, theirs) = agent_dialog(&sim);
    let cases = [
        (format!("{call_id};to-tag=nope;from-tag={theirs}"), 481),
        (format!("other@x;to-tag={ours};from-tag={theirs}"), 481),
        (format!("{call_id};to-tag={ours};from-tag=nope"), 481),
        (
            format!("{call_id};to-tag={ours};from-tag={theirs};early-only"),
            486,
        ),
        (format!("{call_id};to-tag={ours}"), 400),
    ];
    for (i, (header, status)) in cases.iter().enumerate() {
        // Challenged first (nothing is revealed to the unauthenticated), then refused.
        let req = replaces_join(&mut sim, &format!("rep-bad-{i}"), header);
        assert!(req.is_none(), "{header}");
        assert_eq!(
            last_status(&sim, Method::Invite),
            Some(*status),
            "{header}\n{}",
            sim.trace_tail(12)
        );
    }
    assert!(agent_byes(&sim).is_empty());
}
