//! SDES `a=crypto` (RFC 4568) end to end through the public API: the RFC examples,
//! unpadded AEAD keys, unsupported suites and session parameters, key generation, key
//! redaction, and the SDP rewrite that replaces or removes crypto lines and switches
//! the m= proto while keeping every other byte.

use std::net::{IpAddr, SocketAddr};

use rand::rngs::OsRng;
use sbc_core::media::LocalEndpoint;
use sbc_signaling::sdp::crypto::{secure_proto, Mki, Unusable, DEFAULT_PREFERENCE};
use sbc_signaling::sdp::{
    choose, crypto_lines, rewrite, CryptoAttr, CryptoError, LineProblem, RewritePlan, Sdp,
    SdpError, SecurityRewrite, Suite,
};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Padded base64, written here independently of the crate's encoder.
fn b64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() {
                char::from(A[((n >> (18 - 6 * i)) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

fn parse(value: &str) -> CryptoAttr {
    CryptoAttr::parse(value).unwrap_or_else(|e| panic!("{value}: {e}"))
}

#[test]
fn rfc4568_section4_example() {
    let a = parse(
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32",
    );
    assert_eq!(
        (a.tag, &a.suite, a.keys.len()),
        (1, &Suite::AesCm128HmacSha1_80, 1)
    );
    let k = &a.keys[0];
    assert_eq!(k.master_key(), hex("3D2D6E40255E7821426A75667239293F"));
    assert_eq!(k.master_salt(), hex("2C2335685C603D265D7B71695051"));
    assert_eq!(k.lifetime, Some(1 << 20));
    assert_eq!(k.mki, Some(Mki { value: 1, len: 32 }));
    // Parses, but a 32-octet MKI is more than the SRTP contexts carry.
    assert_eq!(a.usable(), Err(Unusable::MkiLength(32)));
}

#[test]
fn rfc4568_offer_answer_example_with_fec_order() {
    let a = parse(
        "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 FEC_ORDER=FEC_SRTP",
    );
    let k = a.key().unwrap();
    assert_eq!(k.master_key(), hex("59535F5F5F73656D63746C202829207B"));
    assert_eq!(k.master_salt(), hex("093232303B7D0A7D0A756E6C6573"));
    assert_eq!(k.master_key(), b"YS___semctl () {");
    assert_eq!(
        (k.lifetime, k.mki),
        (Some(1 << 20), Some(Mki { value: 1, len: 4 }))
    );
    assert_eq!(a.params.len(), 1);
    assert_eq!(a.usable(), Ok(()));
    assert_eq!(
        a.to_string(),
        "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 FEC_ORDER=FEC_SRTP"
    );
}

#[test]
fn aead_keys_with_and_without_padding() {
    // RFC 7714 §16 keys and salt ("Quid pro quo").
    let salt = hex("517569642070726f2071756f");
    let key256 = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    let key128 = hex("000102030405060708090a0b0c0d0e0f");
    for (suite, key, padded_len, unpadded_len) in [
        ("AEAD_AES_256_GCM", &key256, 60, 59),
        ("AEAD_AES_128_GCM", &key128, 40, 38),
    ] {
        let padded = b64(&[key.as_slice(), &salt].concat());
        let unpadded = padded.trim_end_matches('=');
        assert_eq!((padded.len(), unpadded.len()), (padded_len, unpadded_len));
        for text in [padded.as_str(), unpadded] {
            let a = parse(&format!("2 {suite} inline:{text}"));
            assert_eq!(a.keys[0].master_key(), key.as_slice());
            assert_eq!(a.keys[0].master_salt(), salt.as_slice());
            // Output is always padded (RFC 4568 §6.1).
            assert_eq!(a.to_string(), format!("2 {suite} inline:{padded}"));
        }
    }
}

#[test]
fn wrong_key_length_for_the_suite() {
    let gcm = b64(&[7u8; 44]);
    assert_eq!(
        CryptoAttr::parse(&format!("1 AES_CM_128_HMAC_SHA1_80 inline:{gcm}")).unwrap_err(),
        CryptoError::KeyLength {
            suite: Suite::AesCm128HmacSha1_80,
            expected: 30,
            found: 44
        }
    );
    let long = b64(&[7u8; 200]);
    assert!(matches!(
        CryptoAttr::parse(&format!("1 AEAD_AES_256_GCM inline:{long}")),
        Err(CryptoError::KeyLength { found: 200, .. })
    ));
}

#[test]
fn unsupported_suite_is_kept_and_skipped() {
    let a = parse("3 F8_128_HMAC_SHA1_80 inline:anything|goes;here WHATEVER=1");
    assert_eq!(a.suite, Suite::Unsupported("F8_128_HMAC_SHA1_80".into()));
    assert!(a.keys.is_empty() && a.params.is_empty());
    assert!(matches!(a.usable(), Err(Unusable::Suite(_))));
    let good = parse("4 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
    let offers = [a, good];
    assert_eq!(choose(&offers, DEFAULT_PREFERENCE).map(|c| c.tag), Some(4));
    assert!(choose(&offers, &[Suite::AeadAes128Gcm]).is_none());
}

#[test]
fn unsupported_session_parameters_make_the_line_unusable() {
    let base = "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
    for (param, why) in [
        ("KDR=1", Unusable::KeyDerivationRate(1)),
        ("UNENCRYPTED_SRTP", Unusable::Unencrypted),
        ("UNENCRYPTED_SRTCP", Unusable::Unencrypted),
        ("UNAUTHENTICATED_SRTP", Unusable::Unauthenticated),
        (
            "FEC_KEY=inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
            Unusable::FecKey,
        ),
        ("NEW_MANDATORY", Unusable::UnknownParam),
    ] {
        let a = parse(&format!("{base} {param}"));
        assert_eq!(a.usable(), Err(why), "{param}");
        assert!(choose(std::slice::from_ref(&a), DEFAULT_PREFERENCE).is_none());
    }
    for param in ["KDR=0", "WSH=64", "FEC_ORDER=SRTP_FEC", "-OPTIONAL_EXT"] {
        assert_eq!(
            parse(&format!("{base} {param}")).usable(),
            Ok(()),
            "{param}"
        );
    }
    let two_keys = "1 AES_CM_128_HMAC_SHA1_80 \
        inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;\
        inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|2:4";
    let a = parse(two_keys);
    assert_eq!((a.keys.len(), a.keys[1].mki.map(|m| m.value)), (2, Some(2)));
    assert_eq!(a.usable(), Err(Unusable::MultipleKeys));
}

#[test]
fn generated_keys_round_trip_and_differ() {
    for suite in DEFAULT_PREFERENCE {
        let a = CryptoAttr::generate(9, suite.clone(), &mut OsRng).unwrap();
        let text = a.to_string();
        let inline = text.rsplit("inline:").next().unwrap();
        assert_eq!(inline.len() % 4, 0, "padded base64: {inline}");
        let b = parse(&text);
        assert_eq!((b.tag, &b.suite), (9, suite));
        assert_eq!(b.keys[0].master_key(), a.keys[0].master_key());
        assert_eq!(b.keys[0].master_salt(), a.keys[0].master_salt());
        assert_eq!(b.usable(), Ok(()));
        let c = CryptoAttr::generate(9, suite.clone(), &mut OsRng).unwrap();
        assert_ne!(c.keys[0].master_key(), a.keys[0].master_key());
        assert_ne!(c.keys[0].master_salt(), a.keys[0].master_salt());
    }
    let f8 = Suite::Unsupported("F8_128_HMAC_SHA1_80".into());
    assert_eq!(
        CryptoAttr::generate(1, f8.clone(), &mut OsRng).unwrap_err(),
        CryptoError::UnsupportedSuite(f8)
    );
    assert_eq!(
        CryptoAttr::generate(1_000_000_000, Suite::AeadAes128Gcm, &mut OsRng).unwrap_err(),
        CryptoError::BadTag
    );
}

#[test]
fn debug_never_shows_key_material() {
    let a =
        parse("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4");
    let shown = format!("{a:?} {:#?}", a.keys[0]);
    assert!(shown.contains("redacted"));
    for leak in ["WVNf", "89, 83, 95", "0x59", "59535F", "semctl"] {
        assert!(!shown.contains(leak), "{leak} in {shown}");
    }
    let security = SecurityRewrite {
        proto: None,
        crypto: &[a.to_string()],
    };
    assert!(!format!("{security:?}").contains("WVNf"));
}

const OFFER: &str = "v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
    a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n\
    m=audio 4000 RTP/SAVP 0 8  101\r\na=rtpmap:101 telephone-event/8000\r\n\
    a=crypto:1 AEAD_AES_256_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9RdWlkIHBybyBxdW8\r\n\
    a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20\r\n\
    a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:***\r\na=sendrecv\r\n\
    m=video 0 RTP/AVPF 96\r\na=x-unknown:1\r\n";

fn endpoint(port: u16) -> Option<LocalEndpoint> {
    let ip: IpAddr = "0.0.0.0".parse().unwrap();
    Some(LocalEndpoint {
        rtp: SocketAddr::new(ip, port),
        rtcp: SocketAddr::new(ip, port + 1),
    })
}

fn rewritten(body: &str, security: &[Option<SecurityRewrite<'_>>]) -> Result<String, SdpError> {
    let sdp = Sdp::parse(body.as_bytes()).unwrap();
    let endpoints = [endpoint(30000), None];
    let plan = RewritePlan {
        address: "203.0.113.10".parse().unwrap(),
        origin_user: "sbc",
        session_id: 5,
        session_version: 1,
        endpoints: &endpoints,
        security,
    };
    let mut out = Vec::new();
    rewrite(&sdp, &plan, &mut out)?;
    let text = String::from_utf8(out).unwrap();
    Sdp::parse(text.as_bytes()).expect("rewritten SDP parses again");
    Ok(text)
}

const HEAD: &str =
    "v=0\r\no=sbc 5 1 IN IP4 203.0.113.10\r\ns=-\r\nc=IN IP4 203.0.113.10\r\nt=0 0\r\n";

#[test]
fn crypto_lines_of_a_media_description() {
    let sdp = Sdp::parse(OFFER.as_bytes()).unwrap();
    let lines: Vec<_> = crypto_lines(&sdp.media()[0]).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].as_ref().unwrap().suite, Suite::AeadAes256Gcm);
    assert_eq!(lines[2].as_ref().unwrap_err(), &CryptoError::BadBase64);
    let offers: Vec<CryptoAttr> = lines.into_iter().filter_map(Result::ok).collect();
    let prefer_cm = [Suite::AesCm128HmacSha1_80, Suite::AeadAes256Gcm];
    assert_eq!(choose(&offers, &prefer_cm).map(|c| c.tag), Some(2));
    assert_eq!(choose(&offers, DEFAULT_PREFERENCE).map(|c| c.tag), Some(1));
    assert_eq!(crypto_lines(&sdp.media()[1]).count(), 0);
}

#[test]
fn rewrite_replaces_crypto_lines_in_place() {
    let ours = [
        "5 AEAD_AES_256_GCM inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
            .to_owned(),
        "6 AES_CM_128_HMAC_SHA1_80 inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
    ];
    let security = [
        Some(SecurityRewrite {
            proto: None,
            crypto: &ours,
        }),
        None,
    ];
    let expected = format!(
        "{HEAD}m=audio 30000 RTP/SAVP 0 8  101\r\na=rtpmap:101 telephone-event/8000\r\n\
         a=crypto:{}\r\na=crypto:{}\r\na=sendrecv\r\nm=video 0 RTP/AVPF 96\r\na=x-unknown:1\r\n",
        ours[0], ours[1]
    );
    assert_eq!(rewritten(OFFER, &security).unwrap(), expected);
}

#[test]
fn rewrite_removes_crypto_and_switches_to_plain_rtp() {
    let security = [
        Some(SecurityRewrite {
            proto: Some("RTP/AVP"),
            crypto: &[],
        }),
        Some(SecurityRewrite {
            proto: Some("RTP/SAVPF"),
            crypto: &[],
        }),
    ];
    let expected = format!(
        "{HEAD}m=audio 30000 RTP/AVP 0 8  101\r\na=rtpmap:101 telephone-event/8000\r\n\
         a=sendrecv\r\nm=video 0 RTP/SAVPF 96\r\na=x-unknown:1\r\n"
    );
    assert_eq!(rewritten(OFFER, &security).unwrap(), expected);
}

#[test]
fn rewrite_adds_crypto_to_a_plain_offer() {
    let plain = "v=0\r\no=a 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n\
                 m=audio 4000/2 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\na=ptime:20\r\n\
                 m=video 0 RTP/AVP 96\r\n";
    let key = CryptoAttr::generate(1, Suite::AesCm128HmacSha1_80, &mut OsRng).unwrap();
    let ours = [key.to_string()];
    let proto = secure_proto("RTP/AVP");
    let security = [
        Some(SecurityRewrite {
            proto,
            crypto: &ours,
        }),
        None,
    ];
    let expected = format!(
        "v=0\r\no=sbc 5 1 IN IP4 203.0.113.10\r\ns=-\r\nt=0 0\r\n\
         m=audio 30000/2 RTP/SAVP 0\r\nc=IN IP4 203.0.113.10\r\na=ptime:20\r\n\
         a=crypto:{}\r\nm=video 0 RTP/AVP 96\r\n",
        ours[0]
    );
    let text = rewritten(plain, &security).unwrap();
    assert_eq!(text, expected);
    let sdp = Sdp::parse(text.as_bytes()).unwrap();
    let back: Vec<_> = crypto_lines(&sdp.media()[0])
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(back[0].keys[0].master_key(), key.keys[0].master_key());
}

#[test]
fn without_overrides_everything_is_kept() {
    let text = rewritten(OFFER, &[]).unwrap();
    assert!(text.contains("\r\na=crypto:9 AES_CM_128_HMAC_SHA1_80"));
    assert_eq!(text.matches("a=crypto:").count(), 4);
}

#[test]
fn bad_overrides_are_refused() {
    let inject = ["1 X inline:a\r\na=evil".to_owned()];
    let security = [
        Some(SecurityRewrite {
            proto: None,
            crypto: &inject,
        }),
        None,
    ];
    assert_eq!(
        rewritten(OFFER, &security),
        Err(SdpError::Line {
            line: 7,
            problem: LineProblem::ForbiddenByte
        })
    );
    let security = [
        Some(SecurityRewrite {
            proto: Some("RTP/ SAVP"),
            crypto: &[],
        }),
        None,
    ];
    assert_eq!(
        rewritten(OFFER, &security),
        Err(SdpError::Line {
            line: 7,
            problem: LineProblem::BadProto
        })
    );
    assert_eq!(
        rewritten(OFFER, &[None]),
        Err(SdpError::EndpointCount { plan: 1, media: 2 })
    );
}
