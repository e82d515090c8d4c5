//! Fuzz target for SDES `a=crypto` (RFC 4568): parse arbitrary bytes as an attribute
//! value (a line that parses must print and parse back to the same keys), and as an
//! SDP whose crypto lines are read and then replaced/removed by a rewrite that must
//! parse again. Must never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sbc_signaling::sdp::crypto::DEFAULT_PREFERENCE;
use sbc_signaling::sdp::{
    choose, crypto_lines, rewrite, CryptoAttr, RewritePlan, Sdp, SecurityRewrite,
};

const OURS: &str = "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check_value(text);
    }
    let Ok(sdp) = Sdp::parse(data) else {
        return;
    };
    let mut offers = Vec::new();
    for m in sdp.media() {
        offers.extend(crypto_lines(m).filter_map(Result::ok));
    }
    let _ = choose(&offers, DEFAULT_PREFERENCE).map(|c| c.usable());

    let ours = [OURS.to_owned()];
    let endpoints = vec![None; sdp.media().len()];
    // Alternate replace (and go secure) / remove (and go plain) across m= lines.
    let security: Vec<_> = (0..sdp.media().len())
        .map(|i| {
            Some(if i % 2 == 0 {
                SecurityRewrite {
                    proto: Some("RTP/SAVP"),
                    crypto: &ours[..],
                }
            } else {
                SecurityRewrite {
                    proto: Some("RTP/AVP"),
                    crypto: &[],
                }
            })
        })
        .collect();
    let plan = RewritePlan {
        address: "203.0.113.10".parse().expect("literal"),
        origin_user: "sbc",
        session_id: 1,
        session_version: 1,
        endpoints: &endpoints,
        security: &security,
    };
    let mut out = Vec::new();
    rewrite(&sdp, &plan, &mut out).expect("a plan that fits the SDP rewrites");
    let again = Sdp::parse(&out).expect("rewritten SDP parses again");
    for (i, m) in again.media().iter().enumerate() {
        let lines: Vec<_> = crypto_lines(m).collect();
        if i % 2 == 0 {
            assert_eq!(lines.len(), 1);
            assert!(lines.iter().all(Result::is_ok));
        } else {
            assert!(lines.is_empty());
        }
    }
});

fn check_value(text: &str) {
    let Ok(attr) = CryptoAttr::parse(text) else {
        return;
    };
    let _ = (attr.usable(), format!("{attr:?}"));
    if !attr.suite.is_supported() {
        return;
    }
    let printed = attr.to_string();
    let back = CryptoAttr::parse(&printed).expect("printed a=crypto parses again");
    assert_eq!(back.tag, attr.tag);
    assert_eq!(back.suite, attr.suite);
    assert_eq!(back.keys.len(), attr.keys.len());
    for (a, b) in attr.keys.iter().zip(&back.keys) {
        assert_eq!(a.master_key(), b.master_key());
        assert_eq!(a.master_salt(), b.master_salt());
        assert_eq!((a.lifetime, a.mki), (b.lifetime, b.mki));
    }
    assert_eq!(back.params, attr.params);
}
