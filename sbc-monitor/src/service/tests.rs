//! Joins on the shipped contact-center example: every refusal with its status and
//! audit pair, admission in each mode, and who is believed about the agent.
//! Helpers here are shared with `tests_sessions`.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;

use sbc_core::config::Config;
use sbc_core::ids::{CallRef, LegSide, TrunkName};
use sbc_core::media::AgentAfterTakeover;
use sbc_core::monitoring::{
    tenant_id, AgentId, FeatureCodeError, JoinAuth, JoinRequest, JoinTarget, JoinTicket,
    MonitorMode, MonitorSessionId, PartyHints, QueueName, SupervisorId, Target,
};

use super::*;
use crate::audit::{AuditKind, AuditRecord};

pub(super) const T0: UnixMillis = UnixMillis(1_700_000_000_000);
const SOURCE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));

/// acme: agent 1007 in queue sales on call 1 (customer from the carrier).
pub(super) const ACME_SALES: CallRef = CallRef(1);
/// globex: directory agent 2001 (team night, queue support) on call 2.
pub(super) const GLOBEX_2001: CallRef = CallRef(2);

pub(super) fn example_policy() -> Arc<Policy> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples/contact-center.toml");
    match Config::load(&path) {
        Ok(c) => Arc::new(Policy::from_config(&c)),
        Err(e) => panic!("{e}"),
    }
}

pub(super) fn trunk(name: &str) -> TrunkName {
    TrunkName::new(name)
}

pub(super) fn party(trunk_name: Option<&str>, headers: &[(&str, &str)], uri: &str) -> PartyHints {
    PartyHints {
        trunk: trunk_name.map(trunk),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        uri: Some(uri.to_owned()).filter(|u| !u.is_empty()),
    }
}

/// A customer call from the carrier to `platform`, answered by `b`.
pub(super) fn inbound(svc: &mut MonitorService, call: CallRef, platform: &str, b: PartyHints) {
    let a = party(Some("carrier"), &[], "sip:+15550100@198.51.100.10");
    svc.call_answered(call, Some(&trunk("carrier")), &trunk(platform), &a, &b);
}

/// The example policy with calls 1 (acme, 1007, sales) and 2 (globex, 2001).
pub(super) fn service() -> MonitorService {
    let mut svc = MonitorService::new(example_policy());
    let acme_b = party(
        Some("acme-cc"),
        &[("X-Agent-Id", "1007"), ("X-Queue", "sales")],
        "sip:1007@10.1.0.10",
    );
    inbound(&mut svc, ACME_SALES, "acme-cc", acme_b);
    let globex_b = party(Some("globex-cc"), &[], "sip:2001@10.2.0.10");
    inbound(&mut svc, GLOBEX_2001, "globex-cc", globex_b);
    svc
}

pub(super) fn digest(user: &str) -> JoinAuth {
    JoinAuth::Digest(SupervisorId::new(user))
}

pub(super) fn agent(mode: MonitorMode, id: &str) -> Result<JoinTarget, FeatureCodeError> {
    Ok(JoinTarget {
        mode,
        target: Target::Agent(AgentId::new(id)),
    })
}

pub(super) fn call(mode: MonitorMode, c: CallRef) -> Result<JoinTarget, FeatureCodeError> {
    Ok(JoinTarget {
        mode,
        target: Target::Call(c),
    })
}

pub(super) fn request(auth: JoinAuth, target: Result<JoinTarget, FeatureCodeError>) -> JoinRequest {
    JoinRequest {
        ticket: JoinTicket(9),
        auth,
        target,
        replaces: None,
        source: SOURCE,
    }
}

/// Joins and expects admission; returns the admission.
pub(super) fn admit(
    svc: &mut MonitorService,
    user: &str,
    mode: MonitorMode,
    who: &str,
) -> Admission {
    let out = svc.join(T0, &request(digest(user), agent(mode, who)));
    match out.effect {
        Some(Effect::Admit(adm)) => adm,
        other => panic!("{user} {mode} {who}: {other:?} {:?}", out.audit),
    }
}

/// Expects a refusal with `code`, audited as attempt + denied(`reason`); returns the
/// denied record.
pub(super) fn refused(out: Outcome, code: u16, reason: &str) -> AuditRecord {
    match &out.effect {
        Some(Effect::Refuse { ticket, status }) => {
            assert_eq!(*ticket, JoinTicket(9));
            assert_eq!(status.code, code, "{out:?}");
        }
        other => panic!("expected refusal {code}, got {other:?}"),
    }
    let kinds: Vec<_> = out.audit.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [AuditKind::Attempt, AuditKind::Denied]);
    let [attempt, denied] = [&out.audit[0], &out.audit[1]];
    assert_eq!(denied.reason, reason);
    assert!(
        attempt.reason.starts_with("source 192.0.2.7"),
        "{attempt:?}"
    );
    // Both records carry the same facts; only kind and reason differ.
    let same = AuditRecord {
        kind: denied.kind,
        reason: denied.reason.clone(),
        ..attempt.clone()
    };
    assert_eq!(&same, denied);
    denied.clone()
}

#[test]
fn credentials_refusals_record_the_claimed_name() {
    let mut svc = service();
    let auth = JoinAuth::DigestFailed {
        username: Some("alice".into()),
        reason: "wrong response",
    };
    let out = svc.join(T0, &request(auth, agent(MonitorMode::Listen, "1007")));
    assert!(out.audit[0].reason.ends_with("digest: wrong response"));
    let r = refused(out, 401, "bad_credentials");
    assert_eq!(r.supervisor.as_str(), "alice");
    assert_eq!((r.tenant, r.call, r.queue), (None, None, None));
    assert_eq!(r.agent, Some(AgentId::new("1007")));
    assert_eq!(r.mode, Some(MonitorMode::Listen));

    let blocked = JoinAuth::Blocked { username: None };
    let out = svc.join(T0, &request(blocked, call(MonitorMode::Barge, ACME_SALES)));
    let r = refused(out, 403, "blocked");
    assert_eq!(r.supervisor.as_str(), "");
    assert_eq!(r.call, Some(ACME_SALES));

    let long = "x".repeat(10_000);
    let auth = JoinAuth::DigestFailed {
        username: Some(long),
        reason: "wrong response",
    };
    let out = svc.join(T0, &request(auth, agent(MonitorMode::Listen, "1007")));
    let r = refused(out, 401, "bad_credentials");
    assert_eq!(r.supervisor.as_str().len(), MAX_CLAIMED_LEN);
    assert_eq!(svc.active_sessions(), 0);
}

#[test]
fn unknown_supervisors_are_forbidden() {
    let mut svc = service();
    let out = svc.join(
        T0,
        &request(digest("mallory"), agent(MonitorMode::Listen, "1007")),
    );
    let r = refused(out, 403, "unknown_supervisor");
    assert_eq!((r.supervisor.as_str(), r.tenant), ("mallory", None));

    // The wallboard's identity, but from a trunk not trusted for it.
    let pai = "sip:wallboard@globex.example.com";
    let auth = JoinAuth::Asserted {
        identity: pai.into(),
        ingress: trunk("carrier"),
    };
    let out = svc.join(T0, &request(auth, agent(MonitorMode::Listen, "2001")));
    let r = refused(out, 403, "unknown_supervisor");
    assert_eq!(r.supervisor.as_str(), pai);
}

#[test]
fn unknown_and_idle_agents() {
    let mut svc = service();
    let out = svc.join(
        T0,
        &request(digest("bob"), agent(MonitorMode::Listen, "9999")),
    );
    let r = refused(out, 404, "unknown_agent");
    assert_eq!(r.tenant, Some(tenant_id("acme")));
    assert_eq!(r.agent, Some(AgentId::new("9999")));

    svc.call_ended(ACME_SALES);
    let out = svc.join(
        T0,
        &request(digest("bob"), agent(MonitorMode::Listen, "1007")),
    );
    let r = refused(out, 480, "agent_idle");
    assert_eq!(r.call, None);
    // Seen in acme only: for globex the agent is unknown, not idle.
    let out = svc.join(
        T0,
        &request(digest("dave"), agent(MonitorMode::Listen, "1007")),
    );
    refused(out, 404, "unknown_agent");
    // A directory agent listed with its tenant (2002, globex) is idle before its
    // first call, but only for that tenant: to acme it does not exist.
    let out = svc.join(
        T0,
        &request(digest("dave"), agent(MonitorMode::Listen, "2002")),
    );
    refused(out, 480, "agent_idle");
    let out = svc.join(
        T0,
        &request(digest("bob"), agent(MonitorMode::Listen, "2002")),
    );
    refused(out, 404, "unknown_agent");
}

#[test]
fn other_tenants_agent_is_answered_404_and_audited_as_other_tenant() {
    let mut svc = service();
    let out = svc.join(
        T0,
        &request(digest("dave"), agent(MonitorMode::Listen, "1007")),
    );
    let r = refused(out, 404, "other_tenant");
    assert_eq!(r.tenant, Some(tenant_id("globex")));
    assert_eq!(r.call, Some(ACME_SALES));
    // Nothing of the other tenant's call leaks into the record.
    assert_eq!(r.queue, None);

    let out = svc.join(
        T0,
        &request(digest("bob"), call(MonitorMode::Listen, GLOBEX_2001)),
    );
    let r = refused(out, 404, "other_tenant");
    assert_eq!(r.call, Some(GLOBEX_2001));
    assert_eq!(r.agent, None);
}

#[test]
fn calls_by_reference() {
    let mut svc = service();
    let out = svc.join(
        T0,
        &request(digest("bob"), call(MonitorMode::Listen, CallRef(77))),
    );
    refused(out, 404, "unknown_call");
    // A call of no tenant (carrier to carrier) belongs to nobody's supervisors.
    let nobody = party(Some("carrier"), &[("X-Agent-Id", "1007")], "");
    svc.call_answered(
        CallRef(3),
        Some(&trunk("carrier")),
        &trunk("carrier"),
        &nobody,
        &nobody,
    );
    let out = svc.join(
        T0,
        &request(digest("bob"), call(MonitorMode::Listen, CallRef(3))),
    );
    refused(out, 404, "other_tenant");
    // acme's call without an identified agent: nothing to monitor.
    inbound(
        &mut svc,
        CallRef(4),
        "acme-cc",
        party(Some("acme-cc"), &[], ""),
    );
    let out = svc.join(
        T0,
        &request(digest("bob"), call(MonitorMode::Listen, CallRef(4))),
    );
    refused(out, 404, "unknown_call");
    // By reference, the agent and queue are filled from the registry.
    let out = svc.join(
        T0,
        &request(digest("bob"), call(MonitorMode::Listen, ACME_SALES)),
    );
    assert_eq!(out.audit[1].agent, Some(AgentId::new("1007")));
    assert_eq!(out.audit[1].queue, Some(QueueName::new("sales")));
    assert!(matches!(out.effect, Some(Effect::Admit(_))));
}

#[test]
fn role_and_scope_refusals_are_403() {
    let mut svc = service();
    // alice: coach (listen, whisper) for queue sales.
    let out = svc.join(
        T0,
        &request(digest("alice"), agent(MonitorMode::Barge, "1007")),
    );
    let r = refused(out, 403, "mode_not_in_role");
    assert_eq!(r.queue, Some(QueueName::new("sales")));
    assert_eq!(r.call, Some(ACME_SALES));
    let support = party(
        Some("acme-cc"),
        &[("X-Agent-Id", "1010"), ("X-Queue", "support")],
        "",
    );
    inbound(&mut svc, CallRef(5), "acme-cc", support);
    let out = svc.join(
        T0,
        &request(digest("alice"), agent(MonitorMode::Listen, "1010")),
    );
    refused(out, 403, "queue_out_of_scope");
    // carol: listener for team night; 2002 is in team day.
    inbound(
        &mut svc,
        CallRef(6),
        "globex-cc",
        party(None, &[], "sip:2002@10.2.0.10"),
    );
    let out = svc.join(
        T0,
        &request(digest("carol"), agent(MonitorMode::Listen, "2002")),
    );
    refused(out, 403, "team_out_of_scope");
    assert_eq!(svc.active_sessions(), 0);
}

#[test]
fn bad_feature_codes() {
    let mut svc = service();
    let out = svc.join(
        T0,
        &request(digest("bob"), Err(FeatureCodeError::MissingTarget)),
    );
    let r = refused(out, 484, "bad_feature_code");
    assert_eq!((r.mode, r.agent, r.call), (None, None, None));
    assert_eq!(r.tenant, Some(tenant_id("acme")));
    let out = svc.join(
        T0,
        &request(digest("bob"), Err(FeatureCodeError::BadAgentId)),
    );
    refused(out, 404, "bad_feature_code");
    // Credentials are judged before the target.
    let auth = JoinAuth::Blocked {
        username: Some("bob".into()),
    };
    let out = svc.join(T0, &request(auth, Err(FeatureCodeError::BadCallRef)));
    refused(out, 403, "blocked");
}

#[test]
fn every_mode_is_admitted_with_its_audit_pair() {
    let mut svc = service();
    let mut ids = Vec::new();
    for mode in MonitorMode::ALL {
        let out = svc.join(T0, &request(digest("bob"), agent(mode, "1007")));
        let kinds: Vec<_> = out.audit.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [AuditKind::Attempt, AuditKind::Start]);
        let start = &out.audit[1];
        assert_eq!(start.reason, "ok");
        assert_eq!(start.time, T0);
        assert_eq!(start.supervisor.as_str(), "bob");
        assert_eq!(start.tenant, Some(tenant_id("acme")));
        assert_eq!(start.queue, Some(QueueName::new("sales")));
        assert_eq!(start.agent, Some(AgentId::new("1007")));
        assert_eq!(start.call, Some(ACME_SALES));
        assert_eq!(start.mode, Some(mode));
        let Some(Effect::Admit(adm)) = out.effect else {
            panic!("{mode}: {:?}", out.effect)
        };
        assert_eq!(adm.ticket, JoinTicket(9));
        assert_eq!((adm.call, adm.mode), (ACME_SALES, mode));
        assert_eq!(adm.agent_side, LegSide::B);
        assert_eq!(adm.after_takeover, AgentAfterTakeover::Released);
        assert!(adm.agent_beep, "acme's agent_notice is beep");
        ids.push(adm.session);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);
    assert_eq!(svc.active_sessions(), 4);
    // globex: no beep; the wallboard authenticates by asserted identity.
    let adm = admit(&mut svc, "dave", MonitorMode::Takeover, "2001");
    assert!(!adm.agent_beep);
    let auth = JoinAuth::Asserted {
        identity: "<sip:wallboard@globex.example.com>".into(),
        ingress: trunk("globex-cc"),
    };
    let out = svc.join(T0, &request(auth, agent(MonitorMode::Listen, "2001")));
    assert_eq!(out.audit[1].supervisor.as_str(), "wallboard");
    assert!(matches!(out.effect, Some(Effect::Admit(_))));
    // carol's team scope admits night-team 2001.
    admit(&mut svc, "carol", MonitorMode::Listen, "2001");
    assert_ne!(adm.session, MonitorSessionId(0));
}

#[test]
fn agent_on_the_a_side_of_an_outbound_call() {
    let mut svc = service();
    let a = party(
        Some("acme-cc"),
        &[("X-Agent-Id", "1020")],
        "sip:1020@10.1.0.10",
    );
    let b = party(Some("carrier"), &[], "sip:+15550199@198.51.100.10");
    svc.call_answered(
        CallRef(8),
        Some(&trunk("acme-cc")),
        &trunk("carrier"),
        &a,
        &b,
    );
    let adm = admit(&mut svc, "bob", MonitorMode::Listen, "1020");
    assert_eq!((adm.call, adm.agent_side), (CallRef(8), LegSide::A));
}

#[test]
fn headers_from_untrusted_trunks_are_ignored() {
    let mut svc = service();
    // The carrier's INVITE claims an agent; acme's answer names none.
    let a = party(
        Some("carrier"),
        &[("X-Agent-Id", "666")],
        "sip:+1@198.51.100.10",
    );
    let b = party(Some("acme-cc"), &[], "sip:x@10.1.0.10");
    svc.call_answered(
        CallRef(10),
        Some(&trunk("carrier")),
        &trunk("acme-cc"),
        &a,
        &b,
    );
    let out = svc.join(
        T0,
        &request(digest("bob"), agent(MonitorMode::Listen, "666")),
    );
    refused(out, 404, "unknown_agent");
    // Headers on the B side from a trunk of another tenant (or of none) are ignored too.
    for from in [Some("globex-cc"), Some("carrier"), None] {
        let b = party(from, &[("X-Agent-Id", "667")], "");
        inbound(&mut svc, CallRef(11), "acme-cc", b);
        let out = svc.join(
            T0,
            &request(digest("bob"), agent(MonitorMode::Listen, "667")),
        );
        refused(out, 404, "unknown_agent");
    }
    // A malformed header on a trusted party makes it unidentifiable (not silently
    // replaced by the directory entry of its URI).
    let b = party(
        Some("globex-cc"),
        &[("X-Agent-Id", "a b")],
        "sip:2002@10.2.0.10",
    );
    inbound(&mut svc, CallRef(12), "globex-cc", b);
    let out = svc.join(
        T0,
        &request(digest("dave"), agent(MonitorMode::Listen, "2002")),
    );
    // Not on this call: idle (the directory lists 2002 for globex), never admitted.
    refused(out, 480, "agent_idle");
    // An untrusted party's URI is still looked up in the directory.
    let b = party(
        Some("carrier"),
        &[("X-Agent-Id", "x")],
        "sip:2001@10.2.0.10",
    );
    inbound(&mut svc, CallRef(13), "globex-cc", b);
    let adm = admit(&mut svc, "dave", MonitorMode::Listen, "2001");
    assert_eq!(adm.call, CallRef(13), "the newest call of the agent");
}
