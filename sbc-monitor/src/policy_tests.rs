//! The policy's lookups, on the shipped contact-center example.

use std::path::Path;

use ring::digest;
use sbc_core::config::Config;
use sbc_core::ids::TrunkName;
use sbc_core::monitoring::{
    tenant_id, AgentId, AgentIdentity, FeatureCodeError, IdentityError, JoinTarget, MonitorMode,
    QueueName, Target, TeamName,
};

use super::Policy;
use crate::authz::{authorize, Decision, DenyReason, MonitoredCall};

fn example() -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples/contact-center.toml");
    match Config::load(&path) {
        Ok(c) => Policy::from_config(&c),
        Err(e) => panic!("{e}"),
    }
}

fn trunk(name: &str) -> TrunkName {
    TrunkName::new(name)
}

#[test]
fn example_ha1s_match_the_documented_test_passwords() {
    let p = example();
    for (user, password) in [
        ("alice", "alice-test-pass"),
        ("bob", "bob-test-pass"),
        ("carol", "carol-test-pass"),
        ("dave", "dave-test-pass"),
    ] {
        let (_, ha1) = p.digest_account(user).unwrap_or_else(|| panic!("{user}"));
        let input = format!("{user}:cc.example.com:{password}");
        let want: String = digest::digest(&digest::SHA256, input.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(ha1.sha256_hex(), Some(want.as_str()), "{user}");
    }
    // The asserted-identity account has no password: no digest login as it.
    assert!(p.digest_account("wallboard").is_none());
    assert!(p.digest_account("mallory").is_none());
}

#[test]
fn tenant_of_a_call_is_its_ingress_or_target_trunks() {
    let p = example();
    let acme = tenant_id("acme");
    assert_eq!(p.tenant_of_trunk(&trunk("acme-cc")), Some(&acme));
    assert_eq!(p.tenant_of_trunk(&trunk("carrier")), None);
    // Customer from the shared carrier, routed to acme's platform.
    assert_eq!(
        p.tenant_of_call(Some(&trunk("carrier")), Some(&trunk("acme-cc"))),
        Some(&acme)
    );
    // Outbound from globex's platform.
    assert_eq!(
        p.tenant_of_call(Some(&trunk("globex-cc")), Some(&trunk("carrier"))),
        Some(&tenant_id("globex"))
    );
    assert_eq!(p.tenant_of_call(Some(&trunk("carrier")), None), None);
    assert!(p.tenant(&acme).is_some());
}

#[test]
fn asserted_identity_is_believed_only_from_trusted_trunks() {
    let p = example();
    let pai = "\"Wallboard\" <sip:wallboard@GLOBEX.example.com;user=phone>";
    let found = p.supervisor_by_asserted_identity(pai, &trunk("globex-cc"));
    assert_eq!(found.map(|s| s.id.as_str()), Some("wallboard"));
    assert!(p
        .supervisor_by_asserted_identity(pai, &trunk("carrier"))
        .is_none());
    assert!(p
        .supervisor_by_asserted_identity(pai, &trunk("acme-cc"))
        .is_none());
    assert!(p
        .supervisor_by_asserted_identity("sip:alice@x", &trunk("acme-cc"))
        .is_none());
    assert!(p
        .supervisor_by_asserted_identity("garbage", &trunk("globex-cc"))
        .is_none());
}

#[test]
fn joins_parse_only_when_monitoring_is_on() {
    let p = example();
    assert_eq!(
        p.parse_join("*82a2001"),
        Ok(Some(JoinTarget {
            mode: MonitorMode::Whisper,
            target: Target::Agent(AgentId::new("2001"))
        }))
    );
    assert_eq!(p.parse_join("*81"), Err(FeatureCodeError::MissingTarget));
    assert_eq!(p.parse_join("+15550100"), Ok(None));
    let off = Policy::from_config(&Config::embedded_default());
    assert!(!off.is_enabled());
    assert_eq!(off.parse_join("*81a1"), Ok(None));
}

#[test]
fn directory_agents_are_authorized_by_team() {
    let p = example();
    let none = |_: &str| None;
    let night = p.identify_agent(&none, Some("sip:2001@10.2.0.10")).unwrap();
    assert_eq!(
        night,
        AgentIdentity {
            agent: AgentId::new("2001"),
            queue: Some(QueueName::new("support")),
            team: Some(TeamName::new("night")),
        }
    );
    let day = p.identify_agent(&none, Some("sip:2002@10.2.0.10")).unwrap();
    assert_eq!(day.queue, None, "two queues in the directory: unknown");
    assert_eq!(
        p.identify_agent(&none, Some("sip:9@10.2.0.10")),
        Err(IdentityError::Unidentified)
    );

    let carol = p.supervisor("carol").unwrap();
    let on = |agent: AgentIdentity| MonitoredCall {
        call: sbc_core::ids::CallRef(1),
        tenant: tenant_id("globex"),
        agent,
    };
    assert_eq!(
        authorize(&p, carol, &on(night.clone()), MonitorMode::Listen),
        Decision::Allow
    );
    assert_eq!(
        authorize(&p, carol, &on(night), MonitorMode::Whisper),
        Decision::Deny(DenyReason::ModeNotInRole)
    );
    assert_eq!(
        authorize(&p, carol, &on(day), MonitorMode::Listen),
        Decision::Deny(DenyReason::TeamOutOfScope)
    );
}

#[test]
fn platform_headers_identify_acme_agents() {
    let p = example();
    let headers = |name: &str| match name {
        "X-Agent-Id" => Some("1007"),
        "X-Queue" => Some("sales"),
        _ => None,
    };
    let agent = p.identify_agent(&headers, None).unwrap();
    let alice = p.supervisor("alice").unwrap();
    let target = MonitoredCall {
        call: sbc_core::ids::CallRef(2),
        tenant: tenant_id("acme"),
        agent,
    };
    assert!(authorize(&p, alice, &target, MonitorMode::Whisper).is_allowed());
    assert_eq!(
        authorize(&p, alice, &target, MonitorMode::Barge),
        Decision::Deny(DenyReason::ModeNotInRole)
    );
    let bob = p.supervisor("bob").unwrap();
    assert!(authorize(&p, bob, &target, MonitorMode::Takeover).is_allowed());
    let dave = p.supervisor("dave").unwrap();
    assert_eq!(
        authorize(&p, dave, &target, MonitorMode::Listen),
        Decision::Deny(DenyReason::OtherTenant)
    );
}
