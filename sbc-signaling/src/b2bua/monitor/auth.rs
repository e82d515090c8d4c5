//! Who a supervisor's INVITE is from: a trusted `P-Asserted-Identity`, or SIP digest
//! (RFC 8760) against the supervisors' stored HA1s, with failures limited per source
//! address and per username.
//!
//! Only what the monitoring plane must record becomes an event: a verified account, a
//! password guess (a wrong response to a nonce we issued to that address, so the
//! sender receives our answers), and the moment a source or username gets blocked.
//! Missing credentials, stale or foreign nonces and malformed headers just get a new
//! challenge: they prove nothing about the sender and would let spoofed datagrams
//! flood the audit log.

use std::net::IpAddr;
use std::time::Instant;

use rand::RngCore;
use sbc_core::config::Config;
use sbc_core::ids::TrunkName;
use sbc_core::monitoring::{JoinAuth, SupervisorAuth, SupervisorId};

use crate::auth::{
    AuthFailure, Credentials, DigestVerifier, FailureLimiter, LimiterSettings, StoredCredential,
    VerifierSettings,
};

/// The verdict on one INVITE's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AuthStep {
    /// Send a 401 with fresh challenges (`stale`: the nonce only expired).
    Challenge { stale: bool },
    /// Blocked, already reported when the block began: 403, nothing else.
    Forbidden,
    /// Hand to the monitoring plane (which audits it).
    Report(JoinAuth),
}

pub(super) struct JoinAuthenticator {
    verifier: DigestVerifier,
    by_source: FailureLimiter<IpAddr>,
    by_user: FailureLimiter<String>,
}

impl std::fmt::Debug for JoinAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinAuthenticator")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl JoinAuthenticator {
    pub(super) fn new(config: &Config, rng: &mut dyn RngCore, origin: Instant) -> Self {
        let m = &config.monitoring;
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut secret);
        let limits = LimiterSettings {
            max_failures: m.max_auth_failures,
            window: m.failure_window,
            block_for: m.block_for,
            ..LimiterSettings::default()
        };
        JoinAuthenticator {
            verifier: DigestVerifier::new(
                VerifierSettings {
                    realm: m.realm.clone(),
                    nonce_lifetime: m.nonce_lifetime,
                },
                &secret,
                origin,
            ),
            by_source: FailureLimiter::new(limits),
            by_user: FailureLimiter::new(limits),
        }
    }

    /// The `WWW-Authenticate` values of a 401 to `client`.
    pub(super) fn challenges(&self, now: Instant, client: IpAddr, stale: bool) -> Vec<String> {
        self.verifier.challenges(now, client, stale)
    }

    /// Judges one INVITE. `authorization`: its `Authorization` header; `asserted`: its
    /// `P-Asserted-Identity`, considered only when some supervisor trusts `ingress`
    /// for asserted identities (the monitoring plane checks the pairing).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn judge(
        &mut self,
        config: &Config,
        now: Instant,
        client: IpAddr,
        request_uri: &str,
        authorization: Option<&str>,
        asserted: Option<&str>,
        ingress: Option<&TrunkName>,
    ) -> AuthStep {
        if let (Some(identity), Some(trunk), None) = (asserted, ingress, authorization) {
            if trusts_assertions(config, trunk) {
                return AuthStep::Report(JoinAuth::Asserted {
                    identity: identity.trim().to_owned(),
                    ingress: trunk.clone(),
                });
            }
        }
        if self.by_source.is_blocked(&client, now) {
            return AuthStep::Forbidden;
        }
        let Some(value) = authorization else {
            return AuthStep::Challenge { stale: false };
        };
        let Ok(creds) = Credentials::parse(value) else {
            return AuthStep::Challenge { stale: false };
        };
        let username = creds.username.clone();
        if self.by_user.is_blocked(&username, now) {
            return AuthStep::Forbidden;
        }
        let stored = stored_credential(config, &username);
        match self
            .verifier
            .verify(now, client, "INVITE", request_uri, &creds, stored.as_ref())
        {
            Ok(()) => {
                self.by_source.record_success(&client, now);
                self.by_user.record_success(&username, now);
                AuthStep::Report(JoinAuth::Digest(SupervisorId::new(&username)))
            }
            Err(AuthFailure::Stale) => AuthStep::Challenge { stale: true },
            Err(f) if f.is_guess() => {
                let source_blocked = self.by_source.record_failure(&client, now);
                let user_blocked = self.by_user.record_failure(&username, now);
                if source_blocked || user_blocked {
                    AuthStep::Report(JoinAuth::Blocked {
                        username: Some(username),
                    })
                } else {
                    AuthStep::Report(JoinAuth::DigestFailed {
                        username: Some(username),
                        reason: failure_tag(f),
                    })
                }
            }
            Err(_) => AuthStep::Challenge { stale: false },
        }
    }
}

/// Whether any supervisor accepts asserted identities from `trunk`.
fn trusts_assertions(config: &Config, trunk: &TrunkName) -> bool {
    config.supervisors.iter().any(|s| {
        matches!(&s.auth, SupervisorAuth::AssertedIdentity { trusted_trunks, .. }
            if trusted_trunks.contains(trunk))
    })
}

/// The stored HA1s of a digest account (`None`: unknown, or not a digest account).
fn stored_credential(config: &Config, username: &str) -> Option<StoredCredential> {
    let s = config
        .supervisors
        .iter()
        .find(|s| s.id.as_str() == username)?;
    match &s.auth {
        SupervisorAuth::Digest(h) => StoredCredential::new(h.sha256_hex(), h.md5_hex()).ok(),
        SupervisorAuth::AssertedIdentity { .. } => None,
    }
}

fn failure_tag(f: AuthFailure) -> &'static str {
    match f {
        AuthFailure::UnknownUser => "unknown_user",
        AuthFailure::NoCredentialForAlgorithm => "no_credential_for_algorithm",
        _ => "bad_password",
    }
}
