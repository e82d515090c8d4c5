//! The monitoring policy: the config's tenants, roles, supervisors and agent directory,
//! indexed for the lookups a join makes (tenant of a trunk, supervisor by digest
//! username or by trusted asserted identity, agent by URI, feature codes).
//!
//! Built once per config load (start and SIGHUP) from a validated `Config`, then
//! read-only: share it behind an `Arc` and swap the whole `Arc` on reload, so every
//! decision is made against one consistent config. Lookups are hash-map reads.

use std::collections::HashMap;

use sbc_core::config::Config;
use sbc_core::ids::{TenantId, TrunkName};
use sbc_core::monitoring::{
    identify_agent, AgentDirectory, AgentHeaderNames, AgentId, AgentIdentity, DigestHa1,
    FeatureCodeError, FeatureCodes, IdentityError, JoinTarget, Role, RoleName, Supervisor,
    SupervisorAuth, SupervisorId, TenantConfig, UriKey,
};

/// Everything authorization needs from config, indexed.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    tenants: HashMap<TenantId, TenantConfig>,
    tenant_by_trunk: HashMap<TrunkName, TenantId>,
    roles: HashMap<RoleName, Role>,
    supervisors: HashMap<SupervisorId, Supervisor>,
    by_identity: HashMap<UriKey, SupervisorId>,
    directory: AgentDirectory,
    feature_codes: FeatureCodes,
    agent_headers: AgentHeaderNames,
}

impl Policy {
    /// Indexes `config`. Validation guarantees unique IDs and one tenant per trunk;
    /// on a hand-built config that breaks those rules the first entry wins, and a
    /// dangling reference (a supervisor's unknown role) simply authorizes nothing.
    pub fn from_config(config: &Config) -> Policy {
        let mut p = Policy {
            directory: AgentDirectory::new(&config.agents),
            feature_codes: config.monitoring.feature_codes.clone(),
            agent_headers: config.monitoring.agent_headers.clone(),
            ..Policy::default()
        };
        for t in &config.tenants {
            for trunk in &t.trunks {
                p.tenant_by_trunk
                    .entry(trunk.clone())
                    .or_insert_with(|| t.id.clone());
            }
            p.tenants.entry(t.id.clone()).or_insert_with(|| t.clone());
        }
        for r in &config.roles {
            p.roles.entry(r.name.clone()).or_insert_with(|| r.clone());
        }
        for s in &config.supervisors {
            if p.supervisors.contains_key(&s.id) {
                continue;
            }
            if let SupervisorAuth::AssertedIdentity { identity, .. } = &s.auth {
                p.by_identity
                    .entry(identity.clone())
                    .or_insert_with(|| s.id.clone());
            }
            p.supervisors.insert(s.id.clone(), s.clone());
        }
        p
    }

    /// Whether monitoring is on at all: at least one supervisor is configured.
    pub fn is_enabled(&self) -> bool {
        !self.supervisors.is_empty()
    }

    pub fn tenant(&self, id: &TenantId) -> Option<&TenantConfig> {
        self.tenants.get(id)
    }

    /// The tenant a trunk is bound to.
    pub fn tenant_of_trunk(&self, trunk: &TrunkName) -> Option<&TenantId> {
        self.tenant_by_trunk.get(trunk)
    }

    /// The tenant of a call: that of its ingress trunk, else that of the trunk it was
    /// routed to (a customer's call from a shared carrier belongs to the tenant whose
    /// platform it goes to). `None`: no tenant, so no supervisor may monitor it.
    pub fn tenant_of_call(
        &self,
        ingress: Option<&TrunkName>,
        target: Option<&TrunkName>,
    ) -> Option<&TenantId> {
        ingress
            .and_then(|t| self.tenant_of_trunk(t))
            .or_else(|| target.and_then(|t| self.tenant_of_trunk(t)))
    }

    pub fn role(&self, name: &RoleName) -> Option<&Role> {
        self.roles.get(name)
    }

    /// The current record of a supervisor, by account name.
    pub fn supervisor(&self, id: &str) -> Option<&Supervisor> {
        self.supervisors.get(id)
    }

    /// A digest account and its stored HA1s, for the digest verifier's credential
    /// lookup. Accounts that authenticate by asserted identity are not returned: they
    /// have no password, so a digest login as them always fails.
    pub fn digest_account(&self, username: &str) -> Option<(&Supervisor, &DigestHa1)> {
        let s = self.supervisors.get(username)?;
        match &s.auth {
            SupervisorAuth::Digest(h) => Some((s, h)),
            SupervisorAuth::AssertedIdentity { .. } => None,
        }
    }

    /// The supervisor a `P-Asserted-Identity` names, believed only when the request
    /// came from one of that supervisor's trusted trunks (`ingress`).
    pub fn supervisor_by_asserted_identity(
        &self,
        asserted: &str,
        ingress: &TrunkName,
    ) -> Option<&Supervisor> {
        let id = self.by_identity.get(&UriKey::parse(asserted)?)?;
        let s = self.supervisors.get(id)?;
        match &s.auth {
            SupervisorAuth::AssertedIdentity { trusted_trunks, .. }
                if trusted_trunks.contains(ingress) =>
            {
                Some(s)
            }
            _ => None,
        }
    }

    /// Whether a Request-URI user asks to join a call. `Ok(None)` also when monitoring
    /// is off: feature codes are then ordinary numbers, routed like any call.
    pub fn parse_join(&self, user: &str) -> Result<Option<JoinTarget>, FeatureCodeError> {
        if !self.is_enabled() {
            return Ok(None);
        }
        self.feature_codes.parse(user)
    }

    pub fn feature_codes(&self) -> &FeatureCodes {
        &self.feature_codes
    }

    pub fn agent_headers(&self) -> &AgentHeaderNames {
        &self.agent_headers
    }

    /// The agent on a call, from the configured headers or the directory (see
    /// `sbc_core::monitoring::identify_agent`). Only pass headers of requests from
    /// the tenant's own trunks: anyone else could forge them.
    pub fn identify_agent<'m>(
        &self,
        header: &dyn Fn(&str) -> Option<&'m str>,
        agent_uri: Option<&str>,
    ) -> Result<AgentIdentity, IdentityError> {
        identify_agent(&self.agent_headers, header, agent_uri, &self.directory)
    }

    /// Whether the directory lists `agent` as an agent of `tenant` (a linear scan:
    /// only refused joins ask, and the directory is config-sized).
    pub fn directory_agent_of(&self, tenant: &TenantId, agent: &AgentId) -> bool {
        self.directory.has_agent_of(tenant, agent)
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
