//! Fuzz target for SIP digest credentials (`Authorization: Digest …`, RFC 3261 §25.1,
//! RFC 7616): parse arbitrary text; whatever parses is then verified against a real
//! challenge (it must be refused, never panic), and a verifier fed garbage nonces,
//! counts and algorithms must answer with an error.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use sbc_signaling::auth::{Credentials, DigestVerifier, StoredCredential, VerifierSettings};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(creds) = Credentials::parse(text) else {
        return;
    };
    let t0 = Instant::now();
    let mut v = DigestVerifier::new(
        VerifierSettings {
            realm: creds.realm.clone(),
            nonce_lifetime: Duration::from_secs(30),
        },
        &[9; 32],
        t0,
    );
    let stored = StoredCredential::from_password(&creds.username, &creds.realm, "pw");
    let ip = "192.0.2.1".parse().expect("literal");
    let r = v.verify(t0, ip, "INVITE", &creds.uri, &creds, Some(&stored));
    // A nonce the fuzzer made up cannot carry our HMAC.
    assert!(r.is_err(), "forged credentials accepted: {creds:?}");
});
