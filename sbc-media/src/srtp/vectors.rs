//! RFC 7714 §16-17 vectors (AEAD SRTP and SRTCP), byte-exact in both directions. They
//! give session keys directly, so these tests build contexts below the KDF. The RFC 3711
//! B.2/B.3 vectors sit beside the code they test (`cm.rs`, `kdf.rs`).

use super::context::{Keys, SrtpConfig, SrtpContext};
use super::gcm::GcmKeys;
use super::suite::Suite;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const KEY_128: &str = "000102030405060708090a0b0c0d0e0f";
const KEY_256: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const SALT: [u8; 12] = *b"Quid pro quo";

fn ctx(suite: Suite, encrypt_rtcp: bool) -> SrtpContext {
    let key = hex(if suite == Suite::AeadAes256Gcm {
        KEY_256
    } else {
        KEY_128
    });
    let keys = Keys::Gcm {
        rtp: GcmKeys::from_session_keys(&key, &SALT).unwrap(),
        rtcp: GcmKeys::from_session_keys(&key, &SALT).unwrap(),
    };
    let cfg = SrtpConfig {
        encrypt_rtcp,
        ..SrtpConfig::default()
    };
    SrtpContext::with_keys(suite, keys, &cfg).unwrap()
}

const RTP: &str = "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976
                   69736120 696e2070 61727465 73207472 6573";

fn rtp_case(suite: Suite, protected: &str) {
    let plain = hex(RTP);
    let want = hex(protected);
    let mut buf = vec![0u8; 200];
    buf[..plain.len()].copy_from_slice(&plain);
    let n = ctx(suite, true).protect_rtp(&mut buf, plain.len()).unwrap();
    assert_eq!(&buf[..n], &want[..], "protect {suite:?}");
    let mut rx = want.clone();
    let m = ctx(suite, true).unprotect_rtp(&mut rx).unwrap();
    assert_eq!(&rx[..m], &plain[..], "unprotect {suite:?}");
}

#[test]
fn rfc7714_16_1_rtp_aes_128_gcm() {
    rtp_case(
        Suite::AeadAes128Gcm,
        "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5
         0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce",
    );
}

#[test]
fn rfc7714_16_2_rtp_aes_256_gcm() {
    rtp_case(
        Suite::AeadAes256Gcm,
        "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238
         9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13",
    );
}

const RTCP: &str = "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
                    deadbeef deadbeef deadbeef deadbeef deadbeef";

fn rtcp_case(suite: Suite, encrypt: bool, protected: &str) {
    let plain = hex(RTCP);
    let want = hex(protected);
    let mut tx = ctx(suite, encrypt);
    tx.set_srtcp_index(0x4d61_7273, 0x5d3);
    let mut buf = vec![0u8; 200];
    buf[..plain.len()].copy_from_slice(&plain);
    let n = tx.protect_rtcp(&mut buf, plain.len()).unwrap();
    assert_eq!(&buf[..n], &want[..], "protect {suite:?} E={encrypt}");
    assert_eq!(tx.srtcp_index(0x4d61_7273), Some(0x5d4));
    let mut rx = want.clone();
    let m = ctx(suite, encrypt).unprotect_rtcp(&mut rx).unwrap();
    assert_eq!(&rx[..m], &plain[..], "unprotect {suite:?} E={encrypt}");
    // One flipped bit anywhere in the authenticated part fails.
    let mut bad = want.clone();
    bad[3] ^= 1;
    assert!(ctx(suite, encrypt).unprotect_rtcp(&mut bad).is_err());
}

#[test]
fn rfc7714_17_1_rtcp_aes_128_gcm_encrypted() {
    rtcp_case(
        Suite::AeadAes128Gcm,
        true,
        "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
         c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872
         45d9eade 800005d4",
    );
}

#[test]
fn rfc7714_17_2_rtcp_aes_256_gcm_encrypted() {
    rtcp_case(
        Suite::AeadAes256Gcm,
        true,
        "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50
         a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c
         b26ac3be 800005d4",
    );
}

#[test]
fn rfc7714_17_3_rtcp_aes_128_gcm_tag_only() {
    rtcp_case(
        Suite::AeadAes128Gcm,
        false,
        "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
         deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790
         125f62b3 000005d4",
    );
}

#[test]
fn rfc7714_17_4_rtcp_aes_256_gcm_tag_only() {
    rtcp_case(
        Suite::AeadAes256Gcm,
        false,
        "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
         deadbeef deadbeef deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393
         ed2615fe 000005d4",
    );
}
