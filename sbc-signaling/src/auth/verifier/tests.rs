use super::*;

const REALM: &str = "sbc.example";
const URI: &str = "sip:*81a1@sbc.example";

fn verifier(t0: Instant) -> DigestVerifier {
    DigestVerifier::new(
        VerifierSettings {
            realm: REALM.into(),
            nonce_lifetime: Duration::from_secs(60),
        },
        &[3; 32],
        t0,
    )
}

/// What a phone computes from a challenge (RFC 7616 §3.4.1, qop=auth).
fn answer(nonce: &str, alg: DigestAlgorithm, password: &str, nc: u32, uri: &str) -> Credentials {
    let ha1 = alg.ha1("sup1", REALM, password);
    let ha2 = alg.hex(&[b"INVITE:", uri.as_bytes()]);
    let nc = format!("{nc:08x}");
    let response = alg.hex(&[
        ha1.as_bytes(),
        b":",
        nonce.as_bytes(),
        b":",
        nc.as_bytes(),
        b":cafe:auth:",
        ha2.as_bytes(),
    ]);
    Credentials {
        username: "sup1".into(),
        realm: REALM.into(),
        nonce: nonce.into(),
        uri: uri.into(),
        response,
        algorithm: Some(alg.name().into()),
        cnonce: Some("cafe".into()),
        qop: Some("auth".into()),
        nc: Some(nc),
        opaque: None,
    }
}

fn nonce_of(challenge: &str) -> String {
    let start = challenge.find("nonce=\"").unwrap() + 7;
    let end = challenge[start..].find('"').unwrap();
    challenge[start..start + end].to_owned()
}

#[test]
fn both_algorithms_verify_and_nc_cannot_be_replayed() {
    let t0 = Instant::now();
    let mut v = verifier(t0);
    let ip: IpAddr = "192.0.2.10".parse().unwrap();
    let stored = StoredCredential::from_password("sup1", REALM, "secret");
    let ch = v.challenges(t0, ip, false);
    assert_eq!(ch.len(), 2);
    assert!(ch[0].contains("algorithm=SHA-256") && ch[1].contains("algorithm=MD5"));
    let nonce = nonce_of(&ch[0]);
    for (nc, alg) in [(1, DigestAlgorithm::Sha256), (2, DigestAlgorithm::Md5)] {
        let c = answer(&nonce, alg, "secret", nc, URI);
        assert_eq!(
            v.verify(t0, ip, "INVITE", URI, &c, Some(&stored)),
            Ok(()),
            "{alg:?}"
        );
    }
    let again = answer(&nonce, DigestAlgorithm::Sha256, "secret", 2, URI);
    assert_eq!(
        v.verify(t0, ip, "INVITE", URI, &again, Some(&stored)),
        Err(AuthFailure::Replayed)
    );
}

#[test]
fn every_refusal_has_its_reason() {
    let t0 = Instant::now();
    let mut v = verifier(t0);
    let ip: IpAddr = "192.0.2.10".parse().unwrap();
    let stored = StoredCredential::from_password("sup1", REALM, "secret");
    let nonce = nonce_of(&v.challenges(t0, ip, false)[0]);
    let good = || answer(&nonce, DigestAlgorithm::Sha256, "secret", 1, URI);
    let mut check =
        |c: Credentials, from: IpAddr, at: Instant, stored: Option<&StoredCredential>| {
            v.verify(at, from, "INVITE", URI, &c, stored)
        };
    let wrong_pw = answer(&nonce, DigestAlgorithm::Sha256, "guess", 1, URI);
    assert_eq!(
        check(wrong_pw, ip, t0, Some(&stored)),
        Err(AuthFailure::BadResponse)
    );
    let other_ip: IpAddr = "192.0.2.11".parse().unwrap();
    assert_eq!(
        check(good(), other_ip, t0, Some(&stored)),
        Err(AuthFailure::InvalidNonce)
    );
    let later = t0 + Duration::from_secs(61);
    assert_eq!(
        check(good(), ip, later, Some(&stored)),
        Err(AuthFailure::Stale)
    );
    assert_eq!(check(good(), ip, t0, None), Err(AuthFailure::UnknownUser));
    let md5_only = StoredCredential::new(None, Some(&"0".repeat(32))).unwrap();
    assert_eq!(
        check(good(), ip, t0, Some(&md5_only)),
        Err(AuthFailure::NoCredentialForAlgorithm)
    );
    let mut no_qop = good();
    no_qop.qop = None;
    assert_eq!(
        check(no_qop, ip, t0, Some(&stored)),
        Err(AuthFailure::QopRequired)
    );
    let mut realm = good();
    realm.realm = "evil".into();
    assert_eq!(
        check(realm, ip, t0, Some(&stored)),
        Err(AuthFailure::WrongRealm)
    );
    let mut alg = good();
    alg.algorithm = Some("SHA-512-256".into());
    assert_eq!(
        check(alg, ip, t0, Some(&stored)),
        Err(AuthFailure::UnknownAlgorithm)
    );
    let other_uri = answer(
        &nonce,
        DigestAlgorithm::Sha256,
        "secret",
        1,
        "sip:*84a1@sbc.example",
    );
    assert_eq!(
        check(other_uri, ip, t0, Some(&stored)),
        Err(AuthFailure::UriMismatch)
    );
    assert!(AuthFailure::BadResponse.is_guess() && !AuthFailure::InvalidNonce.is_guess());
}
