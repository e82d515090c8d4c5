//! Authorization as a table: every tenant x role x scope x mode x call, against
//! expectations written out independently of the implementation; then the deny
//! reasons' precedence and the SIP status of every refusal.

use sbc_core::config::Config;
use sbc_core::ids::CallRef;
use sbc_core::monitoring::{
    tenant_id, AgentId, AgentIdentity, FeatureCodeError, MonitorMode, QueueName, SupervisorId,
    TeamName,
};

use super::*;
use crate::policy::Policy;

const TENANTS: [&str; 2] = ["acme", "globex"];
/// Role name and the modes it permits, in DTMF order (1 listen .. 4 takeover).
const ROLES: [(&str, [bool; 4]); 4] = [
    ("listener", [true, false, false, false]),
    ("coach", [true, true, false, false]),
    ("barger", [true, true, true, false]),
    ("manager", [true, true, true, true]),
];
/// Scope keys as written in config.
const SCOPES: [(&str, &str); 3] = [
    ("whole", "whole_tenant = true"),
    ("sales", "queues = [\"sales\"]"),
    ("blue", "teams = [\"blue\"]"),
];
const QUEUES: [Option<&str>; 3] = [Some("sales"), Some("support"), None];
const TEAMS: [Option<&str>; 3] = [Some("blue"), Some("red"), None];

const MD5: &str = "0123456789abcdef0123456789abcdef";

/// Two tenants, four roles and one supervisor per (tenant, role, scope), named
/// `TENANT-ROLE-SCOPE`.
fn table_config() -> String {
    let mut text = String::from(
        "[[trunk]]\nname = \"t-acme\"\naddress = \"10.0.0.1:5060\"\n\
         [[trunk]]\nname = \"t-globex\"\naddress = \"10.0.0.2:5060\"\n\
         [audit]\npath = \"/tmp/audit.db\"\n",
    );
    for t in TENANTS {
        text += &format!("[[tenant]]\nid = \"{t}\"\ntrunks = [\"t-{t}\"]\n");
    }
    for (role, modes) in ROLES {
        let names: Vec<String> = MonitorMode::ALL
            .iter()
            .zip(modes)
            .filter(|(_, on)| *on)
            .map(|(m, _)| format!("\"{m}\""))
            .collect();
        text += &format!(
            "[[role]]\nname = \"{role}\"\nmodes = [{}]\n",
            names.join(", ")
        );
    }
    for t in TENANTS {
        for (role, _) in ROLES {
            for (scope, line) in SCOPES {
                text += &format!(
                    "[[supervisor]]\nid = \"{t}-{role}-{scope}\"\ntenant = \"{t}\"\nrole = \"{role}\"\n{line}\nha1_md5 = \"{MD5}\"\n"
                );
            }
        }
    }
    text
}

fn policy_from(text: &str) -> Policy {
    match Config::from_toml_str(text, "authz.toml") {
        Ok(c) => Policy::from_config(&c),
        Err(e) => panic!("{e}"),
    }
}

fn call(tenant: &str, queue: Option<&str>, team: Option<&str>) -> MonitoredCall {
    MonitoredCall {
        call: CallRef(7),
        tenant: tenant_id(tenant),
        agent: AgentIdentity {
            agent: AgentId::new("a1"),
            queue: queue.map(QueueName::new),
            team: team.map(TeamName::new),
        },
    }
}

/// The expected answer, from the tables above.
fn expected(
    sup_tenant: &str,
    role: usize,
    scope: &str,
    mode: usize,
    c: (&str, Option<&str>, Option<&str>),
) -> Decision {
    let (tenant, queue, team) = c;
    let deny = Decision::Deny;
    if sup_tenant != tenant {
        return deny(DenyReason::OtherTenant);
    }
    if !ROLES[role].1[mode] {
        return deny(DenyReason::ModeNotInRole);
    }
    match (scope, queue, team) {
        ("whole", _, _) => Decision::Allow,
        ("sales", Some("sales"), _) => Decision::Allow,
        ("sales", Some(_), _) => deny(DenyReason::QueueOutOfScope),
        ("sales", None, _) => deny(DenyReason::QueueUnknown),
        ("blue", _, Some("blue")) => Decision::Allow,
        ("blue", _, Some(_)) => deny(DenyReason::TeamOutOfScope),
        _ => deny(DenyReason::TeamUnknown),
    }
}

#[test]
fn exhaustive_table() {
    let policy = policy_from(&table_config());
    let mut checked = 0;
    let mut allowed = 0;
    for sup_tenant in TENANTS {
        for (r, (role, _)) in ROLES.iter().enumerate() {
            for (scope, _) in SCOPES {
                let id = format!("{sup_tenant}-{role}-{scope}");
                let sup = policy.supervisor(&id).unwrap_or_else(|| panic!("{id}"));
                for (m, mode) in MonitorMode::ALL.into_iter().enumerate() {
                    for tenant in TENANTS {
                        for queue in QUEUES {
                            for team in TEAMS {
                                let got = authorize(&policy, sup, &call(tenant, queue, team), mode);
                                let want = expected(sup_tenant, r, scope, m, (tenant, queue, team));
                                assert_eq!(got, want, "{id} {mode} on {tenant}/{queue:?}/{team:?}");
                                checked += 1;
                                allowed += usize::from(got.is_allowed());
                            }
                        }
                    }
                }
            }
        }
    }
    // 2 tenants x 4 roles x 3 scopes x 4 modes x 2 call tenants x 3 queues x 3 teams.
    assert_eq!(checked, 1728);
    // Allowed: own tenant only; modes per role 1+2+3+4 = 10; per mode, whole=9 calls,
    // sales=3, blue=3 -> 15 per (tenant, permitted mode) -> 2 * 10 * 15.
    assert_eq!(allowed, 300);
}

#[test]
fn unknown_or_removed_supervisor_is_denied() {
    let before = policy_from(&table_config());
    let sup = before.supervisor("acme-manager-whole").cloned().unwrap();
    let target = call("acme", Some("sales"), Some("blue"));
    assert_eq!(
        authorize(&before, &sup, &target, MonitorMode::Barge),
        Decision::Allow
    );
    // A reload without the account: the old record no longer authorizes anything.
    let after = policy_from(&table_config().replace("acme-manager-whole", "renamed"));
    assert_eq!(
        authorize(&after, &sup, &target, MonitorMode::Listen),
        Decision::Deny(DenyReason::UnknownSupervisor)
    );
    let mut stranger = sup.clone();
    stranger.id = SupervisorId::new("nobody");
    assert_eq!(
        authorize(&before, &stranger, &target, MonitorMode::Listen),
        Decision::Deny(DenyReason::UnknownSupervisor)
    );
}

#[test]
fn reload_narrowing_a_role_applies_to_existing_sessions() {
    let text = table_config();
    let before = policy_from(&text);
    let sup = before.supervisor("acme-coach-whole").cloned().unwrap();
    let target = call("acme", None, None);
    assert!(authorize(&before, &sup, &target, MonitorMode::Whisper).is_allowed());
    let narrowed = text.replace(
        "name = \"coach\"\nmodes = [\"listen\", \"whisper\"]",
        "name = \"coach\"\nmodes = [\"listen\"]",
    );
    let after = policy_from(&narrowed);
    assert_eq!(
        authorize(&after, &sup, &target, MonitorMode::Whisper),
        Decision::Deny(DenyReason::ModeNotInRole)
    );
}

#[test]
fn dangling_role_denies() {
    let mut c = Config::from_toml_str(&table_config(), "authz.toml").unwrap();
    c.roles.retain(|r| r.name.as_str() != "manager");
    let policy = Policy::from_config(&c);
    let sup = policy.supervisor("globex-manager-whole").unwrap();
    assert_eq!(
        authorize(
            &policy,
            sup,
            &call("globex", None, None),
            MonitorMode::Listen
        ),
        Decision::Deny(DenyReason::UnknownRole)
    );
}

#[test]
fn tenant_is_checked_before_anything_about_the_call() {
    let policy = policy_from(&table_config());
    let sup = policy.supervisor("acme-listener-sales").unwrap();
    // Wrong mode and out of scope too, but the tenant is what is reported.
    let got = authorize(
        &policy,
        sup,
        &call("globex", Some("support"), None),
        MonitorMode::Takeover,
    );
    assert_eq!(got, Decision::Deny(DenyReason::OtherTenant));
}

#[test]
fn deny_reason_tags_are_unique_and_stable() {
    let tags: std::collections::HashSet<&str> =
        DenyReason::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(tags.len(), DenyReason::ALL.len());
    assert_eq!(DenyReason::ModeNotInRole.to_string(), "mode_not_in_role");
}

#[test]
fn sip_status_of_every_refusal() {
    use JoinRefusal::*;
    let cases = [
        (Challenge, 401, false),
        (BadCredentials, 401, true),
        (Blocked, 403, true),
        (UnknownSupervisor, 403, true),
        (BadFeatureCode(FeatureCodeError::MissingTarget), 484, true),
        (BadFeatureCode(FeatureCodeError::BadAgentId), 404, true),
        (UnknownAgent, 404, true),
        (UnknownCall, 404, true),
        (AgentIdle, 480, true),
        (AgentReleased, 480, true),
        (NotAgentDialog, 403, true),
        (Denied(DenyReason::OtherTenant), 404, true),
    ];
    for (refusal, code, audited) in cases {
        assert_eq!(sip_status(&refusal).code, code, "{refusal:?}");
        assert_eq!(refusal.is_audited(), audited, "{refusal:?}");
    }
    for reason in DenyReason::ALL
        .into_iter()
        .filter(|r| *r != DenyReason::OtherTenant)
    {
        let s = sip_status(&Denied(reason));
        assert_eq!((s.code, s.reason), (403, "Forbidden"), "{reason:?}");
        assert_eq!(Denied(reason).audit_reason(), reason.as_str());
    }
    assert_eq!(sip_status(&AgentIdle).reason, "Temporarily Unavailable");
}
