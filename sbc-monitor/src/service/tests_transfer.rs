//! Transfer (REFER carried out by signaling): the call follows its new party. The
//! agent who transferred it is free, the new party is the call's agent only if its
//! own answer says so from the tenant's trunks, and the sessions that watched the old
//! agent end audited as `transferred`.

use sbc_core::ids::LegSide;
use sbc_core::monitoring::{AgentId, MonitorMode, SessionEnd};

use super::tests::{admit, agent, call, digest, party, refused, request, service, ACME_SALES, T0};
use super::*;
use crate::audit::AuditKind;

fn agent_1008() -> PartyHints {
    party(
        Some("acme-cc"),
        &[("X-Agent-Id", "1008"), ("X-Queue", "sales")],
        "sip:1008@acme",
    )
}

#[test]
fn the_call_follows_the_agent_it_was_transferred_to() {
    let mut svc = service();
    let session = admit(&mut svc, "bob", MonitorMode::Listen, "1007").session;
    svc.call_transferred(ACME_SALES, LegSide::B, &agent_1008());
    let out = svc.session_ended(T0, session, SessionEnd::Transferred);
    let [end] = out.audit.as_slice() else {
        panic!("{:?}", out.audit)
    };
    assert_eq!(
        (end.kind, end.reason.as_str()),
        (AuditKind::End, "transferred")
    );
    assert_eq!(end.agent, Some(AgentId::new("1007")));
    // 1007 left the call: idle. 1008 is on it now.
    refused(
        svc.join(
            T0,
            &request(digest("bob"), agent(MonitorMode::Listen, "1007")),
        ),
        480,
        "agent_idle",
    );
    let adm = admit(&mut svc, "bob", MonitorMode::Whisper, "1008");
    assert_eq!((adm.call, adm.agent_side), (ACME_SALES, LegSide::B));
    // Ending the call unlinks 1008, not 1007 twice.
    svc.call_ended(ACME_SALES);
    refused(
        svc.join(
            T0,
            &request(digest("bob"), agent(MonitorMode::Listen, "1008")),
        ),
        480,
        "agent_idle",
    );
}

#[test]
fn a_party_of_another_tenant_cannot_claim_to_be_an_agent() {
    let mut svc = service();
    // globex's platform answers saying it is acme's agent 1008: not believed.
    let claim = party(
        Some("globex-cc"),
        &[("X-Agent-Id", "1008"), ("X-Queue", "sales")],
        "sip:someone@globex",
    );
    svc.call_transferred(ACME_SALES, LegSide::B, &claim);
    refused(
        svc.join(
            T0,
            &request(digest("bob"), agent(MonitorMode::Listen, "1008")),
        ),
        404,
        "unknown_agent",
    );
    refused(
        svc.join(
            T0,
            &request(digest("bob"), agent(MonitorMode::Listen, "1007")),
        ),
        480,
        "agent_idle",
    );
    // By reference the call has no agent any more: nothing to monitor.
    refused(
        svc.join(
            T0,
            &request(digest("bob"), call(MonitorMode::Listen, ACME_SALES)),
        ),
        404,
        "unknown_call",
    );
}

#[test]
fn a_transfer_by_the_customer_keeps_the_agent() {
    let mut svc = service();
    svc.call_transferred(ACME_SALES, LegSide::A, &agent_1008());
    assert_eq!(
        admit(&mut svc, "bob", MonitorMode::Listen, "1007").call,
        ACME_SALES
    );
    // Unknown calls are ignored.
    svc.call_transferred(CallRef(999), LegSide::B, &agent_1008());
}
