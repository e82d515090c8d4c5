//! SIP digest authentication as a UAS (RFC 3261 §22, RFC 7616, RFC 8760): the SBC
//! challenges supervisors who join calls from an ordinary phone.
//!
//! Sans-IO like the rest of signaling: callers pass `now` and the request's pieces;
//! this module says what to put in the 401 and whether credentials are good.
//!
//! - `credentials`: parsing an `Authorization: Digest …` value (never panics; fuzzed);
//! - `algorithm`: MD5 and SHA-256 (RFC 8760), and stored HA1 hashes (passwords are
//!   never stored, only `H(username:realm:password)` per algorithm);
//! - `nonce`: stateless nonces (issue time + HMAC-SHA-256 over it, the realm and the
//!   client's address), so a nonce cannot be forged, moved to another host or used
//!   after its lifetime; `nc` replay is tracked per nonce;
//! - `verifier`: challenge and verify, with the failure kinds a UAS needs (stale nonce
//!   gets a new challenge with `stale=true`, a bad response is a failure);
//! - `limiter`: failed attempts per source address and per username, so password
//!   guessing is throttled (403 while blocked).

mod algorithm;
mod credentials;
mod limiter;
mod nonce;
mod verifier;

pub use algorithm::{DigestAlgorithm, StoredCredential, StoredCredentialError};
pub use credentials::{Credentials, CredentialsError};
pub use limiter::{FailureLimiter, LimiterSettings};
pub use nonce::NonceIssuer;
pub use verifier::{AuthFailure, DigestVerifier, VerifierSettings};
