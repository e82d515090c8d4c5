//! Monitoring config: `[[tenant]]`, `[[role]]`, `[[supervisor]]`, `[[agent]]`,
//! `[monitoring]` and `[audit]`. Each rule's violation is one error naming its key
//! and line.

use std::time::Duration;

use sbc_core::config::{Config, ConfigError};
use sbc_core::media::AgentAfterTakeover;
use sbc_core::monitoring::{
    AgentNotice, MonitorMode, QueueName, RoleName, Scope, SupervisorAuth, SupervisorId, UriKey,
};
use sbc_core::TrunkName;

/// A valid base (lines 1-25) that tests append to; appended text starts at line 26.
const BASE: &str = "\
[[trunk]]
name = \"acme-pbx\"
address = \"10.0.0.10:5060\"

[[trunk]]
name = \"globex-pbx\"
address = \"10.0.1.10:5060\"

[[tenant]]
id = \"acme\"
trunks = [\"acme-pbx\"]

[[role]]
name = \"coach\"
modes = [\"listen\", \"whisper\"]

[[supervisor]]
id = \"alice\"
tenant = \"acme\"
role = \"coach\"
queues = [\"sales\"]
ha1_md5 = \"5fc265c393f3f15296eb2a2c72ee160a\"

[audit]
path = \"/var/lib/sbc/audit.db\"
";

const MD5: &str = "5fc265c393f3f15296eb2a2c72ee160a";

fn errors(text: &str) -> Vec<ConfigError> {
    match Config::from_toml_str(text, "monitoring.toml") {
        Ok(c) => panic!("expected errors, got {c:?}"),
        Err(e) => e.into_vec(),
    }
}

fn assert_one(text: &str, key: &str, line: usize, message_part: &str) {
    let e = errors(text);
    assert_eq!(e.len(), 1, "expected exactly one error, got: {e:#?}");
    let (k, l, m) = (&e[0].key, e[0].line().unwrap_or(0), e[0].kind.to_string());
    assert_eq!((k.as_str(), l), (key, line), "message: {m}");
    assert!(
        m.contains(message_part),
        "`{m}` should contain `{message_part}`"
    );
}

fn ok(text: &str) -> Config {
    match Config::from_toml_str(text, "monitoring.toml") {
        Ok(c) => c,
        Err(e) => panic!("expected valid config:\n{e}"),
    }
}

/// A second supervisor (lines 26-31, the `[[supervisor]]` header on 26) plus `extra`
/// lines from 32 on.
fn supervisor(extra: &str) -> String {
    format!("{BASE}[[supervisor]]\nid = \"bob\"\ntenant = \"acme\"\nrole = \"coach\"\nwhole_tenant = true\nha1_md5 = \"{MD5}\"\n{extra}")
}

#[test]
fn base_decodes_every_field() {
    let c = ok(BASE);
    assert_eq!(c.tenants.len(), 1);
    assert_eq!(c.tenants[0].id.0.as_ref(), "acme");
    assert_eq!(c.tenants[0].trunks, [TrunkName::new("acme-pbx")]);
    assert_eq!(c.tenants[0].agent_notice, AgentNotice::None);
    assert_eq!(c.tenants[0].after_takeover, AgentAfterTakeover::Released);
    assert_eq!(c.roles[0].name, RoleName::new("coach"));
    assert!(c.roles[0].permits(MonitorMode::Whisper) && !c.roles[0].permits(MonitorMode::Barge));
    let s = &c.supervisors[0];
    assert_eq!(s.id, SupervisorId::new("alice"));
    assert_eq!(
        s.scope,
        Scope::Queues([QueueName::new("sales")].into_iter().collect())
    );
    match &s.auth {
        SupervisorAuth::Digest(h) => assert_eq!((h.md5_hex(), h.sha256_hex()), (Some(MD5), None)),
        other => panic!("{other:?}"),
    }
    assert_eq!(c.audit.retention_days, 365);
    assert_eq!(c.monitoring.realm, "sbc");
    assert_eq!(
        c.monitoring.feature_codes.code(MonitorMode::Takeover),
        "*84"
    );
    assert_eq!(c.monitoring.agent_headers.agent, "X-Agent-Id");
    assert_eq!(c.monitoring.nonce_lifetime, Duration::from_secs(300));
}

#[test]
fn no_monitoring_sections_means_monitoring_off() {
    let c = ok("");
    assert!(c.tenants.is_empty() && c.supervisors.is_empty() && c.roles.is_empty());
    assert_eq!(c.audit.path, None);
}

#[test]
fn every_monitoring_setting_decodes() {
    let text = format!(
        "{BASE}retention_days = 90\n\
         [monitoring]\nrealm = \"cc.example.com\"\nnonce_lifetime_secs = 60\n\
         max_auth_failures = 3\nfailure_window_secs = 30\nblock_secs = 900\n\
         [monitoring.feature_codes]\nlisten = \"#1\"\nwhisper = \"#2\"\nbarge = \"#3\"\ntakeover = \"#4\"\n\
         [monitoring.agent_headers]\nagent = \"P-Agent\"\nqueue = \"P-Queue\"\nteam = \"P-Team\"\n"
    );
    let c = ok(&text);
    let m = &c.monitoring;
    assert_eq!(c.audit.retention_days, 90);
    assert_eq!(m.realm, "cc.example.com");
    assert_eq!(m.nonce_lifetime, Duration::from_secs(60));
    assert_eq!(
        (m.max_auth_failures, m.failure_window, m.block_for),
        (3, Duration::from_secs(30), Duration::from_secs(900))
    );
    assert_eq!(m.feature_codes.code(MonitorMode::Barge), "#3");
    assert_eq!(
        (
            m.agent_headers.queue.as_str(),
            m.agent_headers.team.as_str()
        ),
        ("P-Queue", "P-Team")
    );
}

#[test]
fn tenant_rules() {
    assert_one(
        &format!("{BASE}[[tenant]]\nid = \"globex\"\ntrunks = [\"nope\"]\n"),
        "tenant[1].trunks[0]",
        28,
        "unknown trunk `nope`; trunks are: acme-pbx, globex-pbx",
    );
    assert_one(
        &format!("{BASE}[[tenant]]\nid = \"globex\"\ntrunks = [\"acme-pbx\"]\n"),
        "tenant[1].trunks[0]",
        28,
        "already belongs to tenant[0] (line 9)",
    );
    assert_one(
        &format!("{BASE}[[tenant]]\nid = \"acme\"\ntrunks = [\"globex-pbx\"]\n"),
        "tenant[1].id",
        27,
        "tenant ID `acme` is already used by tenant[0] (line 10)",
    );
    assert_one(
        &format!("{BASE}[[tenant]]\nid = \"glo bex\"\ntrunks = [\"globex-pbx\"]\n"),
        "tenant[1].id",
        27,
        "must be 1-64 characters",
    );
    assert_one(
        &format!("{BASE}[[tenant]]\nid = \"globex\"\ntrunks = []\n"),
        "tenant[1].trunks",
        28,
        "at least one trunk",
    );
    assert_one(
        &format!("{BASE}[[tenant]]\nid = \"globex\"\n"),
        "tenant[1].trunks",
        26,
        "missing required key `trunks`",
    );
    assert_one(&format!("{BASE}[[tenant]]\nid = \"globex\"\ntrunks = [\"globex-pbx\"]\nagent_notice = \"chime\"\n"), "tenant[1].agent_notice", 29, "expected one of: none, beep");
    let beep = ok(&format!(
        "{BASE}[[tenant]]\nid = \"globex\"\ntrunks = [\"globex-pbx\"]\nagent_notice = \"Beep\"\n"
    ));
    assert_eq!(beep.tenants[1].agent_notice, AgentNotice::Beep);
    assert_one(&format!("{BASE}[[tenant]]\nid = \"globex\"\ntrunks = [\"globex-pbx\"]\nafter_takeover = \"hold\"\n"), "tenant[1].after_takeover", 29, "expected one of: release, listen");
    let listen = ok(&format!(
        "{BASE}[[tenant]]\nid = \"globex\"\ntrunks = [\"globex-pbx\"]\nafter_takeover = \"listen\"\n"
    ));
    assert_eq!(
        listen.tenants[1].after_takeover,
        AgentAfterTakeover::Listening
    );
}

#[test]
fn role_rules() {
    assert_one(
        &format!("{BASE}[[role]]\nname = \"x\"\nmodes = []\n"),
        "role[1].modes",
        28,
        "at least one mode",
    );
    assert_one(
        &format!("{BASE}[[role]]\nname = \"x\"\nmodes = [\"listen\", \"spy\"]\n"),
        "role[1].modes[1]",
        28,
        "unknown mode `spy`; expected one of: listen, whisper, barge, takeover",
    );
    assert_one(
        &format!("{BASE}[[role]]\nname = \"x\"\nmodes = [\"listen\", \"LISTEN\"]\n"),
        "role[1].modes[1]",
        28,
        "listen is listed twice",
    );
    assert_one(
        &format!("{BASE}[[role]]\nname = \"coach\"\nmodes = [\"barge\"]\n"),
        "role[1].name",
        27,
        "role name `coach` is already used by role[0] (line 14)",
    );
    assert_one(
        &format!("{BASE}[[role]]\nname = \"x\"\n"),
        "role[1].modes",
        26,
        "missing required key `modes`",
    );
    let all = ok(&format!("{BASE}[[role]]\nname = \"manager\"\nmodes = [\"listen\", \"whisper\", \"barge\", \"takeover\"]\n"));
    assert_eq!(all.roles[1].modes.len(), 4);
}

#[test]
fn supervisor_references() {
    let text = format!("{BASE}[[supervisor]]\nid = \"bob\"\ntenant = \"globex\"\nrole = \"coach\"\nwhole_tenant = true\nha1_md5 = \"{MD5}\"\n");
    assert_one(
        &text,
        "supervisor[1].tenant",
        28,
        "unknown tenant `globex`; tenants are: [acme]",
    );
    let text = format!("{BASE}[[supervisor]]\nid = \"bob\"\ntenant = \"acme\"\nrole = \"boss\"\nwhole_tenant = true\nha1_md5 = \"{MD5}\"\n");
    assert_one(
        &text,
        "supervisor[1].role",
        29,
        "unknown role `boss`; roles are: [coach]",
    );
    let text = format!("{BASE}[[supervisor]]\nid = \"alice\"\ntenant = \"acme\"\nrole = \"coach\"\nwhole_tenant = true\nha1_md5 = \"{MD5}\"\n");
    assert_one(
        &text,
        "supervisor[1].id",
        27,
        "supervisor ID `alice` is already used by supervisor[0] (line 18)",
    );
    let text = format!("{BASE}[[supervisor]]\nid = \"b\\\"ob\"\ntenant = \"acme\"\nrole = \"coach\"\nwhole_tenant = true\nha1_md5 = \"{MD5}\"\n");
    assert_one(&text, "supervisor[1].id", 27, "digest username");
    assert_eq!(ok(&supervisor("")).supervisors[1].scope, Scope::WholeTenant);
}

#[test]
fn supervisor_scope_rules() {
    let base = |scope: &str| {
        format!("{BASE}[[supervisor]]\nid = \"bob\"\ntenant = \"acme\"\nrole = \"coach\"\nha1_md5 = \"{MD5}\"\n{scope}")
    };
    assert_one(&base(""), "supervisor[1].queues", 26, "no scope");
    assert_one(
        &base("queues = [\"a\"]\nteams = [\"b\"]\n"),
        "supervisor[1].teams",
        32,
        "`queues` is already set",
    );
    assert_one(
        &base("queues = []\n"),
        "supervisor[1].queues",
        31,
        "at least one",
    );
    assert_one(
        &base("teams = []\n"),
        "supervisor[1].teams",
        31,
        "at least one",
    );
    assert_one(
        &base("whole_tenant = false\n"),
        "supervisor[1].whole_tenant",
        31,
        "grants nothing",
    );
    assert_one(
        &base("queues = [\" sales\"]\n"),
        "supervisor[1].queues[0]",
        31,
        "no leading or trailing spaces",
    );
    let teams = ok(&base("teams = [\"blue\", \"red\", \"blue\"]\n"));
    assert!(matches!(&teams.supervisors[1].scope, Scope::Teams(t) if t.len() == 2));
}

#[test]
fn supervisor_credential_rules() {
    let base = |cred: &str| {
        format!("{BASE}[[supervisor]]\nid = \"bob\"\ntenant = \"acme\"\nrole = \"coach\"\nwhole_tenant = true\n{cred}")
    };
    assert_one(&base(""), "supervisor[1].ha1_sha256", 26, "no credential");
    assert_one(
        &base("ha1_md5 = \"abc\"\n"),
        "supervisor[1].ha1_md5",
        31,
        "exactly 32 hex digits",
    );
    assert_one(
        &base(&format!("ha1_sha256 = \"{MD5}\"\n")),
        "supervisor[1].ha1_sha256",
        31,
        "exactly 64 hex digits",
    );
    assert_one(
        &base(&format!("ha1_sha256 = \"{}\"\n", "x".repeat(64))),
        "supervisor[1].ha1_sha256",
        31,
        "hex digits",
    );
    assert_one(&base(&format!("ha1_md5 = \"{MD5}\"\nasserted_identity = \"sip:bob@pbx\"\ntrusted_trunks = [\"acme-pbx\"]\n")), "supervisor[1].asserted_identity", 32, "not both");
    assert_one(
        &base(&format!(
            "ha1_md5 = \"{MD5}\"\ntrusted_trunks = [\"acme-pbx\"]\n"
        )),
        "supervisor[1].trusted_trunks",
        32,
        "only applies with asserted_identity",
    );
    assert_one(
        &base("asserted_identity = \"sip:bob@pbx\"\n"),
        "supervisor[1].trusted_trunks",
        31,
        "needs trusted_trunks",
    );
    assert_one(
        &base("asserted_identity = \"sip:bob@pbx\"\ntrusted_trunks = []\n"),
        "supervisor[1].trusted_trunks",
        32,
        "at least one trunk",
    );
    assert_one(
        &base("asserted_identity = \"bob\"\ntrusted_trunks = [\"acme-pbx\"]\n"),
        "supervisor[1].asserted_identity",
        31,
        "not a sip:, sips: or tel: URI",
    );
    assert_one(
        &base("asserted_identity = \"sip:bob@pbx\"\ntrusted_trunks = [\"globex-pbx\"]\n"),
        "supervisor[1].trusted_trunks[0]",
        32,
        "not a trunk of tenant `acme`",
    );
    assert_one(
        &base("asserted_identity = \"sip:bob@pbx\"\ntrusted_trunks = [\"nope\"]\n"),
        "supervisor[1].trusted_trunks[0]",
        32,
        "unknown trunk `nope`",
    );
    let both = ok(&base(&format!(
        "ha1_sha256 = \"{}\"\nha1_md5 = \"{}\"\n",
        "A".repeat(64),
        MD5.to_uppercase()
    )));
    match &both.supervisors[1].auth {
        SupervisorAuth::Digest(h) => assert_eq!(h.sha256_hex(), Some("a".repeat(64).as_str())),
        other => panic!("{other:?}"),
    }
    let pai = ok(&base(
        "asserted_identity = \"<SIP:bob@PBX>\"\ntrusted_trunks = [\"acme-pbx\"]\n",
    ));
    assert_eq!(
        pai.supervisors[1].auth,
        SupervisorAuth::AssertedIdentity {
            identity: UriKey::parse("sip:bob@pbx").unwrap(),
            trusted_trunks: vec![TrunkName::new("acme-pbx")],
        }
    );
    let dup = format!("{}[[supervisor]]\nid = \"carol\"\ntenant = \"acme\"\nrole = \"coach\"\nwhole_tenant = true\nasserted_identity = \"sip:bob@pbx;user=phone\"\ntrusted_trunks = [\"acme-pbx\"]\n", base("asserted_identity = \"sip:bob@pbx\"\ntrusted_trunks = [\"acme-pbx\"]\n"));
    assert_one(
        &dup,
        "supervisor[2].asserted_identity",
        38,
        "asserted identity `sip:bob@pbx` is already used by supervisor[1]",
    );
}

#[test]
fn agent_directory_rules() {
    let agent = |body: &str| format!("{BASE}[[agent]]\n{body}");
    let c = ok(&agent("uri = \"sip:1001@PBX\"\nid = \"a1001\"\nteam = \"blue\"\nqueues = [\"sales\", \"support\"]\n"));
    assert_eq!(c.agents[0].uri.as_str(), "sip:1001@pbx");
    assert_eq!(c.agents[0].queues.len(), 2);
    assert_one(
        &agent("uri = \"1001\"\nid = \"a1\"\n"),
        "agent[0].uri",
        27,
        "not a sip:, sips: or tel: URI",
    );
    assert_one(
        &agent("uri = \"sip:1@pbx\"\nid = \"a 1\"\n"),
        "agent[0].id",
        28,
        "agent ID `a 1`",
    );
    assert_one(
        &agent("uri = \"sip:1@pbx\"\nid = \"a1\"\nteam = \"\"\n"),
        "agent[0].team",
        29,
        "1-128 bytes",
    );
    assert_one(
        &agent("uri = \"sip:1@pbx\"\nid = \"a1\"\nqueues = [1]\n"),
        "agent[0].queues[0]",
        29,
        "expected a string, found integer",
    );
    assert_one(
        &agent("id = \"a1\"\n"),
        "agent[0].uri",
        26,
        "missing required key `uri`",
    );
    let dup = format!(
        "{}[[agent]]\nuri = \"<sip:1@pbx;transport=tcp>\"\nid = \"a2\"\n",
        agent("uri = \"sip:1@pbx\"\nid = \"a1\"\n")
    );
    assert_one(
        &dup,
        "agent[1].uri",
        30,
        "agent URI `sip:1@pbx` is already used by agent[0] (line 27)",
    );
    let with_tenant = ok(&agent(
        "uri = \"sip:1@pbx\"\nid = \"a1\"\ntenant = \"acme\"\n",
    ));
    assert_eq!(
        with_tenant.agents[0].tenant,
        Some(sbc_core::monitoring::tenant_id("acme"))
    );
    assert_eq!(c.agents[0].tenant, None);
    assert_one(
        &agent("uri = \"sip:1@pbx\"\nid = \"a1\"\ntenant = \"initech\"\n"),
        "agent[0].tenant",
        29,
        "unknown tenant `initech`; tenants are: [acme]",
    );
}

#[test]
fn monitoring_settings_rules() {
    let m = |body: &str| format!("{BASE}[monitoring]\n{body}");
    assert_one(
        &m("realm = \"a\\\"b\"\n"),
        "monitoring.realm",
        27,
        "no quote",
    );
    assert_one(&m("realm = \"\"\n"), "monitoring.realm", 27, "1-128");
    assert_one(
        &m("nonce_lifetime_secs = 5\n"),
        "monitoring.nonce_lifetime_secs",
        27,
        "between 10 and 86400",
    );
    assert_one(
        &m("max_auth_failures = 0\n"),
        "monitoring.max_auth_failures",
        27,
        "between 1 and 1000",
    );
    assert_one(
        &m("block_secs = 0\n"),
        "monitoring.block_secs",
        27,
        "between 1 and",
    );
    assert_one(
        &m("failure_window_secs = \"60\"\n"),
        "monitoring.failure_window_secs",
        27,
        "expected an integer",
    );
    assert_one(
        &m("[monitoring.agent_headers]\nagent = \"X Agent\"\n"),
        "monitoring.agent_headers.agent",
        28,
        "not a SIP header name",
    );
    assert_one(
        &m("[monitoring.feature_codes]\nlisten = \"*8a\"\n"),
        "monitoring.feature_codes.listen",
        28,
        "0-9, * and #",
    );
    assert_one(
        &m("[monitoring.feature_codes]\nbarge = \"*8\"\n"),
        "monitoring.feature_codes.barge",
        28,
        "no code may be a prefix of another",
    );
    assert_one(
        &m("[monitoring.feature_codes]\nlisten = \"*82\"\n"),
        "monitoring.feature_codes.listen",
        28,
        "ambiguous",
    );
    assert_one(
        &m("[monitoring.feature_codes]\nlsiten = \"*80\"\n"),
        "monitoring.feature_codes.lsiten",
        28,
        "did you mean `listen`?",
    );
}

#[test]
fn audit_rules() {
    let without_audit = BASE.replace("[audit]\npath = \"/var/lib/sbc/audit.db\"\n", "");
    assert_one(
        &without_audit,
        "audit.path",
        17,
        "every monitoring action must be audited",
    );
    let empty_audit = BASE.replace(
        "path = \"/var/lib/sbc/audit.db\"\n",
        "retention_days = 30\n",
    );
    assert_one(&empty_audit, "audit.path", 24, "must be audited");
    assert_one(
        &BASE.replace("/var/lib/sbc/audit.db", ""),
        "audit.path",
        25,
        "must not be empty",
    );
    assert_one(
        &format!("{BASE}retention_days = 0\n"),
        "audit.retention_days",
        26,
        "between 1 and 36500",
    );
    // An audit log without supervisors is fine (monitoring off, log kept for queries).
    ok("[audit]\npath = \"/tmp/a.db\"\n");
}

#[test]
fn a_typo_in_a_reference_gives_one_error() {
    // A tenant ID that fails its alphabet is not reported again as unknown.
    let text = format!("{BASE}[[supervisor]]\nid = \"bob\"\ntenant = \"a cme\"\nrole = \"coach\"\nwhole_tenant = true\nha1_md5 = \"{MD5}\"\n");
    assert_one(
        &text,
        "supervisor[1].tenant",
        28,
        "tenant ID `a cme` must be",
    );
}

#[test]
fn errors_display_file_line_col_key() {
    let e = errors(&format!(
        "{BASE}[[role]]\nname = \"x\"\nmodes = [\"spy\"]\n"
    ));
    assert_eq!(
        e[0].to_string(),
        "monitoring.toml:28:10: role[1].modes[0]: unknown mode `spy`; expected one of: listen, whisper, barge, takeover"
    );
}

#[test]
fn supervisor_srtp_defaults_and_values() {
    use sbc_core::config::SrtpPolicy;
    use sbc_core::media::SrtpSuite;
    let c = ok(BASE);
    assert_eq!(c.monitoring.srtp, SrtpPolicy::Optional);
    assert_eq!(c.monitoring.srtp_suites, SrtpSuite::ALL.to_vec());
    let c = ok(&format!(
        "{BASE}[monitoring]\nsrtp = \"Mandatory\"\n\
         srtp_suites = [\"aes_cm_128_hmac_sha1_80\", \"AEAD_AES_128_GCM\"]\n"
    ));
    assert_eq!(c.monitoring.srtp, SrtpPolicy::Mandatory);
    assert_eq!(
        c.monitoring.srtp_suites,
        [SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AeadAes128Gcm]
    );
    let c = ok(&format!("{BASE}[monitoring]\nsrtp = \"off\"\n"));
    assert_eq!(c.monitoring.srtp, SrtpPolicy::Off);
}

#[test]
fn supervisor_srtp_rules() {
    let m = |body: &str| format!("{BASE}[monitoring]\n{body}");
    assert_one(
        &m("srtp = \"required\"\n"),
        "monitoring.srtp",
        27,
        "unknown SRTP policy `required`; expected one of: off, optional, mandatory",
    );
    assert_one(&m("srtp = 1\n"), "monitoring.srtp", 27, "expected a string");
    assert_one(
        &m("srtp_suites = [\"AEAD_AES_256_GCM\", \"F8_128_HMAC_SHA1_80\"]\n"),
        "monitoring.srtp_suites[1]",
        27,
        "unknown SRTP suite `F8_128_HMAC_SHA1_80`",
    );
    assert_one(
        &m("srtp_suites = []\n"),
        "monitoring.srtp_suites",
        27,
        "must name at least one suite",
    );
    assert_one(
        &m("srtp_suites = [\"AEAD_AES_128_GCM\", \"aead_aes_128_gcm\"]\n"),
        "monitoring.srtp_suites[1]",
        27,
        "listed twice",
    );
    // An unknown key of the section is still refused, with a suggestion.
    assert_one(
        &m("srtp_suite = []\n"),
        "monitoring.srtp_suite",
        27,
        "did you mean `srtp_suites`?",
    );
    // The error renders as FILE:LINE:COL: KEY: MESSAGE.
    let e = errors(&m("srtp = \"sometimes\"\n"));
    assert!(
        e[0].to_string()
            .starts_with("monitoring.toml:27:1: monitoring.srtp: unknown SRTP policy"),
        "{}",
        e[0]
    );
}
