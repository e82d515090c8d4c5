//! Replay protection, ROC estimation across the sequence wrap, tamper handling, MKI and
//! key-error behaviour of `SrtpContext`, for every suite.

use sbc_media::srtp::{Mki, SrtpConfig, SrtpContext, SrtpError, SrtpKeyError, Suite};

const SSRC: u32 = 0xCAFE_F00D;
const SUITES: [Suite; 4] = [
    Suite::AesCm128HmacSha1_80,
    Suite::AesCm128HmacSha1_32,
    Suite::AeadAes128Gcm,
    Suite::AeadAes256Gcm,
];

fn ctx_with(suite: Suite, cfg: &SrtpConfig) -> SrtpContext {
    let key: Vec<u8> = (0..suite.key_len() as u8).collect();
    let salt: Vec<u8> = (0..suite.salt_len() as u8).map(|b| b ^ 0x5A).collect();
    SrtpContext::new(suite, &key, &salt, cfg).unwrap()
}

fn ctx(suite: Suite) -> SrtpContext {
    ctx_with(suite, &SrtpConfig::default())
}

fn rtp(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 0, 0, 0, 0, 0, 0, 0];
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&SSRC.to_be_bytes());
    p.extend(std::iter::repeat_n(seq as u8, 40));
    p
}

fn protect(tx: &mut SrtpContext, seq: u16) -> Vec<u8> {
    let plain = rtp(seq);
    let mut buf = vec![0u8; plain.len() + 32];
    buf[..plain.len()].copy_from_slice(&plain);
    let n = tx.protect_rtp(&mut buf, plain.len()).unwrap();
    buf.truncate(n);
    buf
}

fn unprotect(rx: &mut SrtpContext, pkt: &[u8]) -> Result<Vec<u8>, SrtpError> {
    let mut buf = pkt.to_vec();
    let n = rx.unprotect_rtp(&mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

#[test]
fn duplicate_old_and_too_old() {
    for suite in SUITES {
        let mut tx = ctx(suite);
        let pkts: Vec<Vec<u8>> = (0..=200).map(|s| protect(&mut tx, s)).collect();
        let mut rx = ctx(suite);
        assert_eq!(unprotect(&mut rx, &pkts[200]), Ok(rtp(200)));
        assert_eq!(unprotect(&mut rx, &pkts[200]), Err(SrtpError::Replayed));
        // Old but inside the 128-packet window: accepted exactly once.
        assert_eq!(unprotect(&mut rx, &pkts[150]), Ok(rtp(150)));
        assert_eq!(unprotect(&mut rx, &pkts[150]), Err(SrtpError::Replayed));
        assert_eq!(unprotect(&mut rx, &pkts[73]), Ok(rtp(73)));
        assert_eq!(unprotect(&mut rx, &pkts[72]), Err(SrtpError::TooOld));
        assert_eq!(unprotect(&mut rx, &pkts[0]), Err(SrtpError::TooOld));
    }
}

#[test]
fn protect_refuses_reused_index() {
    for suite in SUITES {
        let mut tx = ctx(suite);
        protect(&mut tx, 7);
        let plain = rtp(7);
        let mut buf = vec![0u8; 128];
        buf[..plain.len()].copy_from_slice(&plain);
        assert_eq!(
            tx.protect_rtp(&mut buf, plain.len()),
            Err(SrtpError::Replayed)
        );
    }
}

#[test]
fn tampered_tag_changes_nothing() {
    for suite in SUITES {
        let mut tx = ctx(suite);
        let pkts: Vec<Vec<u8>> = [65534u16, 65535, 0, 1]
            .iter()
            .map(|&s| protect(&mut tx, s))
            .collect();
        let mut rx = ctx(suite);
        unprotect(&mut rx, &pkts[0]).unwrap();
        unprotect(&mut rx, &pkts[1]).unwrap();
        for byte in [0usize, 13, pkts[2].len() - 1] {
            let mut bad = pkts[2].clone();
            bad[byte] ^= 0x40;
            let err = unprotect(&mut rx, &bad).unwrap_err();
            assert!(
                matches!(err, SrtpError::AuthFailed | SrtpError::BadHeader),
                "{suite:?}: {err:?}"
            );
            assert_eq!(
                rx.roc(SSRC),
                Some(0),
                "{suite:?}: ROC moved on a forged packet"
            );
        }
        // The genuine packet is neither replayed nor lost.
        assert_eq!(unprotect(&mut rx, &pkts[2]), Ok(rtp(0)));
        assert_eq!(rx.roc(SSRC), Some(1));
    }
}

#[test]
fn roc_across_wrap_both_ways() {
    for suite in SUITES {
        let mut tx = ctx(suite);
        let seqs = [65533u16, 65534, 65535, 0, 1, 2];
        let pkts: Vec<Vec<u8>> = seqs.iter().map(|&s| protect(&mut tx, s)).collect();
        assert_eq!(tx.roc(SSRC), Some(1));
        let mut rx = ctx(suite);
        // 65533, 0, 1 (ROC -> 1), then late 65535 and 65534 from ROC 0, then 2.
        for i in [0usize, 3, 4, 2, 1, 5] {
            assert_eq!(
                unprotect(&mut rx, &pkts[i]),
                Ok(rtp(seqs[i])),
                "{suite:?} seq {}",
                seqs[i]
            );
        }
        assert_eq!(rx.roc(SSRC), Some(1));
        assert_eq!(unprotect(&mut rx, &pkts[2]), Err(SrtpError::Replayed));
    }
}

#[test]
fn known_roc_is_honoured_and_carried() {
    for suite in SUITES {
        let mut tx = ctx(suite);
        tx.set_roc(SSRC, 3);
        let p10 = protect(&mut tx, 10);
        let p11 = protect(&mut tx, 11);
        assert_eq!(tx.roc(SSRC), Some(3));
        // A receiver assuming ROC 0 cannot authenticate it (the ROC is in the MAC/IV).
        assert_eq!(unprotect(&mut ctx(suite), &p10), Err(SrtpError::AuthFailed));
        let mut rx = ctx(suite);
        rx.set_roc(SSRC, 3);
        assert_eq!(unprotect(&mut rx, &p10), Ok(rtp(10)));
        // Re-INVITE with the same key: a new context carries the state over.
        let mut rx2 = ctx(suite);
        rx2.carry_state_from(&rx);
        assert_eq!(unprotect(&mut rx2, &p10), Err(SrtpError::Replayed));
        assert_eq!(unprotect(&mut rx2, &p11), Ok(rtp(11)));
    }
}

#[test]
fn mki_written_checked_and_stripped() {
    for suite in SUITES {
        let cfg = SrtpConfig {
            mki: Some(Mki::from_value(1, 4).unwrap()),
            ..SrtpConfig::default()
        };
        let mut tx = ctx_with(suite, &cfg);
        let pkt = protect(&mut tx, 1);
        assert_eq!(pkt.len(), rtp(1).len() + suite.rtp_tag_len() + 4);
        assert_eq!(tx.rtp_overhead(), suite.rtp_tag_len() + 4);
        assert_eq!(unprotect(&mut ctx_with(suite, &cfg), &pkt), Ok(rtp(1)));
        let other = SrtpConfig {
            mki: Some(Mki::from_value(2, 4).unwrap()),
            ..SrtpConfig::default()
        };
        assert_eq!(
            unprotect(&mut ctx_with(suite, &other), &pkt),
            Err(SrtpError::UnknownMki)
        );
        assert_eq!(unprotect(&mut ctx(suite), &pkt), Err(SrtpError::AuthFailed));

        let plain = [0x81, 201, 0, 1, 0xCA, 0xFE, 0xF0, 0x0D];
        let mut buf = [0u8; 64];
        buf[..8].copy_from_slice(&plain);
        let n = tx.protect_rtcp(&mut buf, 8).unwrap();
        assert_eq!(n, 8 + tx.rtcp_overhead());
        let mut rx = ctx_with(suite, &cfg);
        let mut got = buf[..n].to_vec();
        assert_eq!(rx.unprotect_rtcp(&mut got), Ok(8));
        assert_eq!(&got[..8], &plain);
    }
    assert!(Mki::new(&[]).is_err());
    assert!(Mki::new(&[1, 2, 3, 4, 5]).is_err());
    assert!(Mki::from_value(256, 1).is_err());
}

#[test]
fn srtcp_replay_and_tamper() {
    for suite in SUITES {
        let mut tx = ctx(suite);
        let mut rx = ctx(suite);
        let plain = [0x80, 200, 0, 1, 0xCA, 0xFE, 0xF0, 0x0D];
        let mut pkts = Vec::new();
        for _ in 0..3 {
            let mut buf = [0u8; 64];
            buf[..8].copy_from_slice(&plain);
            let n = tx.protect_rtcp(&mut buf, 8).unwrap();
            pkts.push(buf[..n].to_vec());
        }
        let mut bad = pkts[1].clone();
        bad[5] ^= 1;
        assert_eq!(rx.unprotect_rtcp(&mut bad), Err(SrtpError::AuthFailed));
        for p in [&pkts[2], &pkts[0], &pkts[1]] {
            assert_eq!(rx.unprotect_rtcp(&mut p.clone()), Ok(8));
        }
        assert_eq!(
            rx.unprotect_rtcp(&mut pkts[0].clone()),
            Err(SrtpError::Replayed)
        );
    }
}

#[test]
fn malformed_input_is_a_typed_error() {
    for suite in SUITES {
        let mut rx = ctx(suite);
        for len in 0..40 {
            let mut junk = vec![0x80u8; len];
            assert!(rx.unprotect_rtp(&mut junk).is_err());
            assert!(rx.unprotect_rtcp(&mut junk).is_err());
        }
        let mut v1 = protect(&mut ctx(suite), 1);
        v1[0] = 0x40;
        assert_eq!(rx.unprotect_rtp(&mut v1), Err(SrtpError::BadHeader));
        let mut tx = ctx(suite);
        let mut short = [0x80u8; 20];
        assert_eq!(
            tx.protect_rtp(&mut short, 20),
            Err(SrtpError::BufferTooSmall)
        );
        assert_eq!(
            tx.protect_rtp(&mut short, 30),
            Err(SrtpError::BufferTooSmall)
        );
    }
}

#[test]
fn key_errors() {
    let cfg = SrtpConfig::default();
    let s = Suite::AesCm128HmacSha1_80;
    assert_eq!(
        SrtpContext::new(s, &[0; 15], &[0; 14], &cfg).err(),
        Some(SrtpKeyError::MasterKeyLength { want: 16, got: 15 })
    );
    assert_eq!(
        SrtpContext::new(Suite::AeadAes128Gcm, &[0; 16], &[0; 14], &cfg).err(),
        Some(SrtpKeyError::MasterSaltLength { want: 12, got: 14 })
    );
    let kdr = SrtpConfig {
        key_derivation_rate: 1 << 16,
        ..SrtpConfig::default()
    };
    assert_eq!(
        SrtpContext::new(s, &[0; 16], &[0; 14], &kdr).err(),
        Some(SrtpKeyError::UnsupportedKdr(1 << 16))
    );
    let win = SrtpConfig {
        replay_window: 32,
        ..SrtpConfig::default()
    };
    assert!(SrtpContext::new(s, &[0; 16], &[0; 14], &win).is_err());
    assert_eq!(
        Suite::from_sdes_name("AEAD_AES_256_GCM"),
        Some(Suite::AeadAes256Gcm)
    );
    assert_eq!(SrtpError::AuthFailed.as_str(), "srtp_auth_failed");
}
