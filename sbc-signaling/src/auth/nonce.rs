//! Stateless nonces: `hex(issued_ms || HMAC-SHA-256(secret, issued_ms || realm ||
//! client address)[..16])`. The SBC keeps no state to issue one, a forged or altered
//! nonce fails the MAC, a nonce used from another address fails it too (a captured
//! challenge cannot be replayed from elsewhere), and an old one is reported stale so
//! the phone retries with a fresh challenge and no user prompt (RFC 7616 §3.3).
//!
//! Time is milliseconds since the issuer's origin (`now` is always the caller's):
//! nonces die with the process, which only costs phones one more challenge.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use ring::hmac;

const TAG_LEN: usize = 16;
const NONCE_HEX_LEN: usize = 2 * (8 + TAG_LEN);

/// Issues and checks nonces for one realm.
pub struct NonceIssuer {
    key: hmac::Key,
    origin: Instant,
    lifetime: Duration,
}

impl std::fmt::Debug for NonceIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceIssuer")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// Why a nonce was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NonceCheck {
    /// Ours, for this client, still valid; issued at this many ms after the origin.
    Fresh(u64),
    /// Ours, but older than the lifetime: challenge again with `stale=true`.
    Stale,
    /// Not ours, altered, or issued to another address.
    Invalid,
}

impl NonceIssuer {
    /// `secret` must come from a CSPRNG (the daemon draws it at start).
    pub fn new(secret: &[u8; 32], origin: Instant, lifetime: Duration) -> Self {
        NonceIssuer {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            origin,
            lifetime,
        }
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// `now` on the nonce clock (ms since the origin).
    pub(crate) fn issue_ms(&self, now: Instant) -> u64 {
        millis(now.saturating_duration_since(self.origin))
    }

    pub fn issue(&self, now: Instant, realm: &str, client: IpAddr) -> String {
        let ms = self.issue_ms(now);
        let tag = self.tag(ms, realm, client);
        let mut out = String::with_capacity(NONCE_HEX_LEN);
        for b in ms.to_be_bytes().iter().chain(tag.iter()) {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }

    pub(crate) fn check(
        &self,
        nonce: &str,
        now: Instant,
        realm: &str,
        client: IpAddr,
    ) -> NonceCheck {
        let Some(bytes) = unhex::<{ 8 + TAG_LEN }>(nonce) else {
            return NonceCheck::Invalid;
        };
        let (ms_bytes, tag) = bytes.split_at(8);
        let Ok(ms_arr) = <[u8; 8]>::try_from(ms_bytes) else {
            return NonceCheck::Invalid;
        };
        let ms = u64::from_be_bytes(ms_arr);
        let expected = self.tag(ms, realm, client);
        if !constant_time_eq(tag, &expected) {
            return NonceCheck::Invalid;
        }
        let now_ms = millis(now.saturating_duration_since(self.origin));
        match now_ms.checked_sub(ms) {
            Some(age) if age <= millis(self.lifetime) => NonceCheck::Fresh(ms),
            Some(_) => NonceCheck::Stale,
            // From the future: not something we issued.
            None => NonceCheck::Invalid,
        }
    }

    fn tag(&self, ms: u64, realm: &str, client: IpAddr) -> [u8; TAG_LEN] {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(&ms.to_be_bytes());
        ctx.update(&(realm.len() as u64).to_be_bytes());
        ctx.update(realm.as_bytes());
        match client {
            IpAddr::V4(a) => ctx.update(&a.octets()),
            IpAddr::V6(a) => ctx.update(&a.octets()),
        }
        let full = ctx.sign();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(full.as_ref().get(..TAG_LEN).unwrap_or(&[0; TAG_LEN]));
        tag
    }
}

/// Equality that takes the same time wherever the first difference is.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
        let hi = char::from(*pair.first()?).to_digit(16)?;
        let lo = char::from(*pair.get(1)?).to_digit(16)?;
        *o = u8::try_from(hi << 4 | lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer(origin: Instant) -> NonceIssuer {
        NonceIssuer::new(&[7; 32], origin, Duration::from_secs(60))
    }

    #[test]
    fn fresh_stale_forged_and_moved() {
        let t0 = Instant::now();
        let n = issuer(t0);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let nonce = n.issue(t0 + Duration::from_secs(5), "sbc", ip);
        assert_eq!(nonce.len(), NONCE_HEX_LEN);
        let at = |s| t0 + Duration::from_secs(s);
        assert_eq!(n.check(&nonce, at(10), "sbc", ip), NonceCheck::Fresh(5000));
        assert_eq!(n.check(&nonce, at(70), "sbc", ip), NonceCheck::Stale);
        assert_eq!(n.check(&nonce, at(10), "other", ip), NonceCheck::Invalid);
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(n.check(&nonce, at(10), "sbc", other), NonceCheck::Invalid);
        let mut forged = nonce.clone().into_bytes();
        forged[3] = if forged[3] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(n.check(&forged, at(10), "sbc", ip), NonceCheck::Invalid);
        assert_eq!(n.check("zz", at(10), "sbc", ip), NonceCheck::Invalid);
        let other_key = NonceIssuer::new(&[8; 32], t0, Duration::from_secs(60));
        assert_eq!(
            other_key.check(&nonce, at(10), "sbc", ip),
            NonceCheck::Invalid
        );
    }
}
