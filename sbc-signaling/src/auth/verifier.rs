//! Challenge and verify (RFC 3261 §22.4, RFC 7616 §3.4, RFC 8760): one 401 carries a
//! challenge per algorithm, SHA-256 first; credentials must use qop=auth, our realm, a
//! nonce we issued to this client and still valid, an `nc` above any seen with that
//! nonce, and the response computed from the user's stored HA1 for that algorithm.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::algorithm::{DigestAlgorithm, StoredCredential};
use super::credentials::Credentials;
use super::nonce::{constant_time_eq, NonceCheck, NonceIssuer};

/// Nonces whose `nc` is remembered at once. Expired ones are pruned when full; a
/// live one is never forgotten (see `remember`).
const MAX_TRACKED_NONCES: usize = 65_536;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierSettings {
    pub realm: String,
    pub nonce_lifetime: Duration,
}

/// Why credentials were refused. `Stale` means: challenge again with `stale=true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("realm is not ours")]
    WrongRealm,
    #[error("unsupported digest algorithm")]
    UnknownAlgorithm,
    #[error("nonce expired")]
    Stale,
    #[error("nonce not issued by us to this client")]
    InvalidNonce,
    #[error("nonce count not above the last one used")]
    Replayed,
    #[error("qop=auth with cnonce and nc is required")]
    QopRequired,
    #[error("digest uri does not match the Request-URI")]
    UriMismatch,
    #[error("unknown user")]
    UnknownUser,
    #[error("no stored credential for this algorithm")]
    NoCredentialForAlgorithm,
    #[error("wrong response (bad password)")]
    BadResponse,
}

impl AuthFailure {
    /// A password guess that should count towards rate limiting: only failures after
    /// the nonce proved the client receives our responses at its address (so spoofed
    /// UDP sources cannot lock out a real user or fill the limiter).
    pub fn is_guess(self) -> bool {
        matches!(
            self,
            AuthFailure::BadResponse
                | AuthFailure::UnknownUser
                | AuthFailure::NoCredentialForAlgorithm
        )
    }
}

pub struct DigestVerifier {
    realm: String,
    nonces: NonceIssuer,
    /// Highest nc accepted per nonce, with the nonce's issue time (ms) for pruning.
    used: HashMap<String, (u32, u64)>,
}

impl std::fmt::Debug for DigestVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestVerifier")
            .field("realm", &self.realm)
            .field("tracked_nonces", &self.used.len())
            .finish_non_exhaustive()
    }
}

impl DigestVerifier {
    /// `secret`: 32 bytes from a CSPRNG, drawn once at start.
    pub fn new(settings: VerifierSettings, secret: &[u8; 32], origin: Instant) -> Self {
        DigestVerifier {
            nonces: NonceIssuer::new(secret, origin, settings.nonce_lifetime),
            realm: settings.realm,
            used: HashMap::new(),
        }
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The `WWW-Authenticate` values of a 401, strongest algorithm first.
    pub fn challenges(&self, now: Instant, client: IpAddr, stale: bool) -> Vec<String> {
        let nonce = self.nonces.issue(now, &self.realm, client);
        DigestAlgorithm::PREFERENCE
            .iter()
            .map(|alg| {
                format!(
                    "Digest realm=\"{}\", nonce=\"{nonce}\", algorithm={}, qop=\"auth\"{}",
                    self.realm,
                    alg.name(),
                    if stale { ", stale=true" } else { "" }
                )
            })
            .collect()
    }

    /// Checks `creds` sent by `client` on a `method` request to `request_uri`.
    pub fn verify(
        &mut self,
        now: Instant,
        client: IpAddr,
        method: &str,
        request_uri: &str,
        creds: &Credentials,
        stored: Option<&StoredCredential>,
    ) -> Result<(), AuthFailure> {
        if creds.realm != self.realm {
            return Err(AuthFailure::WrongRealm);
        }
        let algorithm = DigestAlgorithm::from_param(creds.algorithm.as_deref())
            .ok_or(AuthFailure::UnknownAlgorithm)?;
        let issued = match self.nonces.check(&creds.nonce, now, &self.realm, client) {
            NonceCheck::Fresh(ms) => ms,
            NonceCheck::Stale => return Err(AuthFailure::Stale),
            NonceCheck::Invalid => return Err(AuthFailure::InvalidNonce),
        };
        let (Some(qop), Some(cnonce), Some(nc_text)) = (&creds.qop, &creds.cnonce, &creds.nc)
        else {
            return Err(AuthFailure::QopRequired);
        };
        let nc = u32::from_str_radix(nc_text, 16).map_err(|_| AuthFailure::QopRequired)?;
        if !qop.eq_ignore_ascii_case("auth") || nc_text.len() != 8 {
            return Err(AuthFailure::QopRequired);
        }
        if !creds.uri.eq_ignore_ascii_case(request_uri) {
            return Err(AuthFailure::UriMismatch);
        }
        let stored = stored.ok_or(AuthFailure::UnknownUser)?;
        let ha1 = stored
            .ha1(algorithm)
            .ok_or(AuthFailure::NoCredentialForAlgorithm)?;
        let ha2 = algorithm.hex(&[method.as_bytes(), b":", creds.uri.as_bytes()]);
        let expected = algorithm.hex(&[
            ha1.as_bytes(),
            b":",
            creds.nonce.as_bytes(),
            b":",
            nc_text.as_bytes(),
            b":",
            cnonce.as_bytes(),
            b":",
            qop.as_bytes(),
            b":",
            ha2.as_bytes(),
        ]);
        let given = creds.response.to_ascii_lowercase();
        if !constant_time_eq(expected.as_bytes(), given.as_bytes()) {
            return Err(AuthFailure::BadResponse);
        }
        self.remember(&creds.nonce, nc, issued, now)
    }

    /// Accepts `nc` for `nonce` only if it is above every nc accepted before.
    fn remember(
        &mut self,
        nonce: &str,
        nc: u32,
        issued: u64,
        now: Instant,
    ) -> Result<(), AuthFailure> {
        if let Some((last, _)) = self.used.get(nonce) {
            if nc <= *last {
                return Err(AuthFailure::Replayed);
            }
        }
        if self.used.len() >= MAX_TRACKED_NONCES {
            self.prune(now);
        }
        if self.used.len() >= MAX_TRACKED_NONCES {
            // Still full of live nonces (a flood of successful logins?): refuse rather
            // than forget a live nonce's nc and open a replay window.
            return Err(AuthFailure::Replayed);
        }
        self.used.insert(nonce.to_owned(), (nc, issued));
        Ok(())
    }

    /// Forgets nonces past their lifetime (they fail as stale anyway).
    fn prune(&mut self, now: Instant) {
        let live_after = self
            .nonces
            .issue_ms(now)
            .saturating_sub(u64::try_from(self.nonces.lifetime().as_millis()).unwrap_or(u64::MAX));
        self.used.retain(|_, (_, issued)| *issued >= live_after);
    }
}

#[cfg(test)]
mod tests;
