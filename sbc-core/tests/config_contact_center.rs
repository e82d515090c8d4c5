//! The contact-center example: two tenants, three roles, supervisors of every kind,
//! an agent directory, and the embedded default with monitoring off.

use std::path::{Path, PathBuf};

use sbc_core::config::Config;
use sbc_core::monitoring::{
    AgentNotice, MonitorMode, Scope, SupervisorAuth, SupervisorId, TeamName, UriKey,
};
use sbc_core::TrunkName;

fn example() -> Config {
    let path: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples/contact-center.toml");
    match Config::load(&path) {
        Ok(c) => c,
        Err(e) => panic!("{} should be valid:\n{e}", path.display()),
    }
}

#[test]
fn embedded_default_has_monitoring_off() {
    let c = Config::embedded_default();
    assert!(c.supervisors.is_empty() && c.tenants.is_empty() && c.roles.is_empty());
    assert!(c.agents.is_empty());
    assert_eq!(c.audit.path, None);
    assert_eq!(c.monitoring.feature_codes.code(MonitorMode::Listen), "*81");
}

#[test]
fn tenants_and_roles() {
    let c = example();
    let ids: Vec<&str> = c.tenants.iter().map(|t| t.id.0.as_ref()).collect();
    assert_eq!(ids, ["acme", "globex"]);
    assert_eq!(c.tenants[0].trunks, [TrunkName::new("acme-cc")]);
    assert_eq!(c.tenants[0].agent_notice, AgentNotice::Beep);
    assert_eq!(c.tenants[1].agent_notice, AgentNotice::None);
    let modes: Vec<(String, usize)> = c
        .roles
        .iter()
        .map(|r| (r.name.to_string(), r.modes.len()))
        .collect();
    assert_eq!(
        modes,
        [
            ("listener".into(), 1),
            ("coach".into(), 2),
            ("manager".into(), 4)
        ]
    );
    // The carrier is shared: it belongs to no tenant.
    assert!(c
        .tenants
        .iter()
        .all(|t| !t.trunks.contains(&TrunkName::new("carrier"))));
}

#[test]
fn supervisors_of_every_kind() {
    let c = example();
    let find = |id: &str| {
        c.supervisors
            .iter()
            .find(|s| s.id == SupervisorId::new(id))
            .unwrap()
    };
    assert!(matches!(&find("alice").scope, Scope::Queues(q) if q.len() == 1));
    assert_eq!(find("bob").scope, Scope::WholeTenant);
    assert_eq!(
        find("carol").scope,
        Scope::Teams([TeamName::new("night")].into_iter().collect())
    );
    match &find("dave").auth {
        SupervisorAuth::Digest(h) => assert!(h.sha256_hex().is_some() && h.md5_hex().is_none()),
        other => panic!("{other:?}"),
    }
    match &find("wallboard").auth {
        SupervisorAuth::AssertedIdentity {
            identity,
            trusted_trunks,
        } => {
            assert_eq!(
                Some(identity),
                UriKey::parse("sip:wallboard@globex.example.com").as_ref()
            );
            assert_eq!(trusted_trunks, &[TrunkName::new("globex-cc")]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.monitoring.realm, "cc.example.com");
    assert_eq!(c.audit.retention_days, 400);
    assert_eq!(c.agents.len(), 2);
}
