//! Differential test against webrtc-srtp 0.17: same master keys, a packet sequence that
//! wraps the sequence number (ROC 0 -> 1) across several SSRCs, CSRCs and odd payload
//! sizes. Our protect must be byte-identical to theirs, and each side must unprotect
//! what the other protected. RTCP likewise (both start SRTCP indices at 1).

use sbc_media::srtp::{SrtpConfig, SrtpContext, Suite};
use webrtc_srtp::context::Context;
use webrtc_srtp::protection_profile::ProtectionProfile;

const SUITES: [(Suite, ProtectionProfile); 4] = [
    (
        Suite::AesCm128HmacSha1_80,
        ProtectionProfile::Aes128CmHmacSha1_80,
    ),
    (
        Suite::AesCm128HmacSha1_32,
        ProtectionProfile::Aes128CmHmacSha1_32,
    ),
    (Suite::AeadAes128Gcm, ProtectionProfile::AeadAes128Gcm),
    (Suite::AeadAes256Gcm, ProtectionProfile::AeadAes256Gcm),
];

const SSRCS: [u32; 3] = [0x1111_1111, 0xDEAD_BEEF, 0x0000_0001];

fn master(suite: Suite) -> (Vec<u8>, Vec<u8>) {
    let key = (0..suite.key_len())
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(3))
        .collect();
    let salt = (0..suite.salt_len()).map(|i| 0xA0 ^ i as u8).collect();
    (key, salt)
}

fn ours(suite: Suite) -> SrtpContext {
    let (k, s) = master(suite);
    SrtpContext::new(suite, &k, &s, &SrtpConfig::default()).unwrap()
}

fn theirs(suite: Suite, profile: ProtectionProfile) -> Context {
    let (k, s) = master(suite);
    Context::new(&k, &s, profile, None, None).unwrap()
}

/// RTP packets: per SSRC, sequence numbers 65530..=65535 then 0..=6 (a wrap), with a
/// CSRC on some and payload sizes 1..=170, SSRCs interleaved.
fn rtp_packets() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for step in 0..13u16 {
        for (n, ssrc) in SSRCS.iter().enumerate() {
            let seq = 65530u16.wrapping_add(step);
            let csrc = (step + n as u16).is_multiple_of(4);
            let mut p = vec![if csrc { 0x81 } else { 0x80 }, 0x00];
            p.extend_from_slice(&seq.to_be_bytes());
            p.extend_from_slice(&(u32::from(step) * 160).to_be_bytes());
            p.extend_from_slice(&ssrc.to_be_bytes());
            if csrc {
                p.extend_from_slice(&0x0102_0304u32.to_be_bytes());
            }
            let len = 1 + (usize::from(step) * 13 + n * 31) % 170;
            p.extend((0..len).map(|i| (i as u8) ^ (step as u8)));
            out.push(p);
        }
    }
    out
}

/// An RTCP receiver report with one report block, from `ssrc`.
fn rtcp_packet(ssrc: u32, k: u8) -> Vec<u8> {
    let mut p = vec![0x81, 201, 0x00, 0x07];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..24).map(|i| i as u8 ^ k));
    p
}

fn protect_rtp(ctx: &mut SrtpContext, plain: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; plain.len() + 32];
    buf[..plain.len()].copy_from_slice(plain);
    let n = ctx.protect_rtp(&mut buf, plain.len()).unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn rtp_matches_webrtc_srtp() {
    for (suite, profile) in SUITES {
        let (mut our_tx, mut our_rx) = (ours(suite), ours(suite));
        let (mut their_tx, mut their_rx) = (theirs(suite, profile), theirs(suite, profile));
        for plain in rtp_packets() {
            let mine = protect_rtp(&mut our_tx, &plain);
            let reference = their_tx.encrypt_rtp(&plain).unwrap();
            assert_eq!(mine, reference.to_vec(), "{suite:?} protect differs");

            let mut rx = reference.to_vec();
            let n = our_rx.unprotect_rtp(&mut rx).unwrap();
            assert_eq!(&rx[..n], &plain[..], "{suite:?} our unprotect");

            let back = their_rx.decrypt_rtp(&mine).unwrap();
            assert_eq!(back.to_vec(), plain, "{suite:?} their unprotect");
        }
        for ssrc in SSRCS {
            assert_eq!(our_tx.roc(ssrc), Some(1), "{suite:?} tx ROC after wrap");
            assert_eq!(our_rx.roc(ssrc), Some(1), "{suite:?} rx ROC after wrap");
        }
    }
}

#[test]
fn rtcp_matches_webrtc_srtp() {
    for (suite, profile) in SUITES {
        let (mut our_tx, mut our_rx) = (ours(suite), ours(suite));
        let (mut their_tx, mut their_rx) = (theirs(suite, profile), theirs(suite, profile));
        for k in 0..5u8 {
            for ssrc in SSRCS {
                let plain = rtcp_packet(ssrc, k);
                let mut buf = vec![0u8; plain.len() + 64];
                buf[..plain.len()].copy_from_slice(&plain);
                let n = our_tx.protect_rtcp(&mut buf, plain.len()).unwrap();
                let reference = their_tx.encrypt_rtcp(&plain).unwrap();
                assert_eq!(&buf[..n], &reference[..], "{suite:?} SRTCP protect differs");

                let mut rx = reference.to_vec();
                let m = our_rx.unprotect_rtcp(&mut rx).unwrap();
                assert_eq!(&rx[..m], &plain[..], "{suite:?} our SRTCP unprotect");

                let back = their_rx.decrypt_rtcp(&buf[..n]).unwrap();
                assert_eq!(back.to_vec(), plain, "{suite:?} their SRTCP unprotect");
            }
        }
        assert_eq!(our_tx.srtcp_index(SSRCS[0]), Some(5));
    }
}
