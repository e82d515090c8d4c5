//! Take-over: the tenant's `after_takeover` policy reaches the admission, `Replaces`
//! may only name the agent's dialog, and once signaling released the agent the call
//! has nobody left to monitor (joins 480, switches refused and audited).

use std::sync::Arc;

use sbc_core::config::Config;
use sbc_core::ids::LegSide;
use sbc_core::media::AgentAfterTakeover;
use sbc_core::monitoring::{AgentId, MonitorMode};

use super::tests::{
    admit, agent, call, digest, inbound, party, refused, request, service, ACME_SALES, T0,
};
use super::*;
use crate::audit::AuditKind;

const T1: UnixMillis = UnixMillis(T0.0 + 1_000);

fn takeover_by_replaces(svc: &mut MonitorService, side: LegSide) -> Outcome {
    let mut req = request(digest("bob"), call(MonitorMode::Takeover, ACME_SALES));
    req.replaces = Some(side);
    svc.join(T0, &req)
}

#[test]
fn replaces_may_name_only_the_agents_dialog() {
    let mut svc = service();
    // Agent 1007 answered call 1: the B party.
    let denied = refused(
        takeover_by_replaces(&mut svc, LegSide::A),
        403,
        "replaces_not_agent",
    );
    assert_eq!(denied.agent, Some(AgentId::new("1007")));
    assert_eq!(denied.mode, Some(MonitorMode::Takeover));
    match takeover_by_replaces(&mut svc, LegSide::B).effect {
        Some(Effect::Admit(adm)) => {
            assert_eq!(adm.mode, MonitorMode::Takeover);
            assert_eq!(adm.agent_side, LegSide::B);
            assert_eq!(adm.after_takeover, AgentAfterTakeover::Released);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_released_agent_leaves_nothing_to_join_or_switch_to() {
    let mut svc = service();
    let taker = admit(&mut svc, "bob", MonitorMode::Listen, "1007").session;
    let coach = admit(&mut svc, "alice", MonitorMode::Whisper, "1007").session;
    assert!(matches!(
        svc.digit(T1, taker, '4').effect,
        Some(Effect::SetMode { .. })
    ));
    svc.agent_released(ACME_SALES);
    // The supervisor who took over cannot go back: there is no agent any more.
    let out = svc.digit(T1, taker, '1');
    assert_eq!(
        out.effect,
        Some(Effect::RefuseMode {
            session: taker,
            mode: MonitorMode::Listen
        })
    );
    let [r] = out.audit.as_slice() else {
        panic!("{:?}", out.audit)
    };
    assert_eq!(
        (r.kind, r.reason.as_str(), r.mode),
        (
            AuditKind::Denied,
            "agent_released",
            Some(MonitorMode::Listen)
        )
    );
    assert_eq!(svc.session_mode(taker), Some(MonitorMode::Takeover));
    // Another supervisor may fall back to listening, but not whisper to nobody.
    let out = svc.digit(T1, coach, '1');
    assert!(
        matches!(out.effect, Some(Effect::SetMode { .. })),
        "{out:?}"
    );
    let out = svc.digit(T1, coach, '2');
    assert_eq!(out.audit[0].reason, "agent_released");
    assert!(matches!(out.effect, Some(Effect::RefuseMode { .. })));
    // Joins: the agent is idle now, the call by reference has no agent.
    refused(
        svc.join(
            T1,
            &request(digest("bob"), agent(MonitorMode::Listen, "1007")),
        ),
        480,
        "agent_idle",
    );
    refused(
        svc.join(
            T1,
            &request(digest("bob"), call(MonitorMode::Listen, ACME_SALES)),
        ),
        480,
        "agent_released",
    );
    // The agent's next call is joinable again; the old call's end unlinks nothing twice.
    let next = CallRef(77);
    let b = party(
        Some("acme-cc"),
        &[("X-Agent-Id", "1007"), ("X-Queue", "sales")],
        "sip:1007@10.1.0.10",
    );
    inbound(&mut svc, next, "acme-cc", b);
    svc.call_ended(ACME_SALES);
    let adm = admit(&mut svc, "bob", MonitorMode::Listen, "1007");
    assert_eq!(adm.call, next);
    // Releasing again, or an unknown call, changes nothing.
    svc.agent_released(ACME_SALES);
    svc.agent_released(CallRef(999));
    assert_eq!(
        admit(&mut svc, "bob", MonitorMode::Listen, "1007").call,
        next
    );
}

#[test]
fn the_tenants_after_takeover_policy_reaches_the_admission() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config/examples/contact-center.toml");
    let text = std::fs::read_to_string(&path).expect("example config");
    let text = text.replacen(
        "trunks = [\"acme-cc\"]",
        "trunks = [\"acme-cc\"]\nafter_takeover = \"listen\"",
        1,
    );
    let config = match Config::from_toml_str(&text, "contact-center.toml") {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let mut svc = service();
    svc.set_policy(Arc::new(Policy::from_config(&config)));
    let adm = admit(&mut svc, "bob", MonitorMode::Takeover, "1007");
    assert_eq!(adm.after_takeover, AgentAfterTakeover::Listening);
}
