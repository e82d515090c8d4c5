#![no_main]
//! SRTP/SRTCP unprotect on hostile input: the first byte picks the suite (and whether an
//! MKI is configured), the rest is a packet handed to `unprotect_rtp` and
//! `unprotect_rtcp` (each on its own copy). Must never panic; errors are fine.

use sbc_media::srtp::{Mki, SrtpConfig, SrtpContext, Suite};

const SUITES: [Suite; 4] = [
    Suite::AesCm128HmacSha1_80,
    Suite::AesCm128HmacSha1_32,
    Suite::AeadAes128Gcm,
    Suite::AeadAes256Gcm,
];

/// Fixed master key/salt (the seeds were protected with these).
const KEY: [u8; 32] = [0x11; 32];
const SALT: [u8; 14] = [0x22; 14];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&sel, pkt)) = data.split_first() else {
        return;
    };
    let suite = SUITES[usize::from(sel & 3)];
    let mut cfg = SrtpConfig::default();
    if sel & 4 != 0 {
        cfg.mki = Mki::new(&[0xAB, 0xCD]).ok();
    }
    let Ok(mut ctx) = SrtpContext::new(
        suite,
        &KEY[..suite.key_len()],
        &SALT[..suite.salt_len()],
        &cfg,
    ) else {
        return;
    };
    let mut buf = pkt.to_vec();
    if let Ok(n) = ctx.unprotect_rtp(&mut buf) {
        assert!(n <= pkt.len());
    }
    let mut buf = pkt.to_vec();
    if let Ok(n) = ctx.unprotect_rtcp(&mut buf) {
        assert!(n <= pkt.len());
    }
    // Same packet twice: the second must be refused or be a different index, never panic.
    let mut buf = pkt.to_vec();
    let _ = ctx.unprotect_rtp(&mut buf);
});
