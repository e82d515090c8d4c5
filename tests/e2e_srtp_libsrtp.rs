//! End-to-end SRTP through the real daemon, checked against libsrtp: for
//! each SDES suite, a call whose media is SRTP on one leg and plain RTP on
//! the other (both ways round), and SRTP on both legs. The SIP sides are the
//! project's test UA (`support::ua`); the media of both ends is libsrtp
//! (`tests/media/srtp_peer.py`, pylibsrtp), so the SBC's SRTP/SRTCP is
//! proven interoperable with an independent implementation, with a key of
//! its own on each leg. Topology and config: `support::ua::srtp_call`.
//!
//! The test fails, never skips, when /usr/bin/python3 cannot import
//! pylibsrtp (Debian: python3-pylibsrtp).

mod support;

use std::fmt::Write as _;
use std::time::Duration;

use support::ua::libsrtp_peer::{self, DirectionStats};
use support::ua::srtp_call::{
    self, Case, Leg, Outcome, Parties, CALLEE_IP, CALLER_IP, PACKETS, RTCP_PACKETS, SIP_TIMEOUT,
};
use support::ua::{Callee, Caller, LocalMedia, PeerMedia, Suite, UaError};
use support::SbcProcess;

// ---------------------------------------------------------------- the cases

/// The harness itself: plain RTP on both legs, default trunk policy.
#[test]
fn plain_rtp_call_through_the_sbc() {
    run(Case {
        caller: Leg::Plain,
        callee: Leg::Plain,
        srtp_config: false,
    });
}

fn rtp_to_srtp(suite: Suite) {
    run(Case {
        caller: Leg::Plain,
        callee: Leg::Srtp(suite),
        srtp_config: true,
    });
}

fn srtp_to_rtp(suite: Suite) {
    run(Case {
        caller: Leg::Srtp(suite),
        callee: Leg::Plain,
        srtp_config: true,
    });
}

fn srtp_to_srtp(suite: Suite) {
    run(Case {
        caller: Leg::Srtp(suite),
        callee: Leg::Srtp(suite),
        srtp_config: true,
    });
}

#[test]
fn rtp_to_srtp_aes_cm_128_hmac_sha1_80() {
    rtp_to_srtp(Suite::AesCm128HmacSha1_80);
}

#[test]
fn rtp_to_srtp_aes_cm_128_hmac_sha1_32() {
    rtp_to_srtp(Suite::AesCm128HmacSha1_32);
}

#[test]
fn rtp_to_srtp_aead_aes_128_gcm() {
    rtp_to_srtp(Suite::AeadAes128Gcm);
}

#[test]
fn rtp_to_srtp_aead_aes_256_gcm() {
    rtp_to_srtp(Suite::AeadAes256Gcm);
}

#[test]
fn srtp_to_rtp_aes_cm_128_hmac_sha1_80() {
    srtp_to_rtp(Suite::AesCm128HmacSha1_80);
}

#[test]
fn srtp_to_rtp_aes_cm_128_hmac_sha1_32() {
    srtp_to_rtp(Suite::AesCm128HmacSha1_32);
}

#[test]
fn srtp_to_rtp_aead_aes_128_gcm() {
    srtp_to_rtp(Suite::AeadAes128Gcm);
}

#[test]
fn srtp_to_rtp_aead_aes_256_gcm() {
    srtp_to_rtp(Suite::AeadAes256Gcm);
}

#[test]
fn srtp_to_srtp_aes_cm_128_hmac_sha1_80() {
    srtp_to_srtp(Suite::AesCm128HmacSha1_80);
}

#[test]
fn srtp_to_srtp_aead_aes_256_gcm() {
    srtp_to_srtp(Suite::AeadAes256Gcm);
}

/// A plain offer from a trunk whose policy is `mandatory` is refused with
/// 488 (the SBC cannot answer SRTP without the caller's key), and the
/// callee is never called.
#[test]
fn plain_offer_to_a_mandatory_trunk_gets_488() {
    let case = Case {
        caller: Leg::Srtp(Suite::AesCm128HmacSha1_80),
        callee: Leg::Plain,
        srtp_config: true,
    };
    let refuse = Box::new(|offer: &PeerMedia| {
        Err(UaError::Protocol(format!(
            "the callee was called although the caller's offer was refused:\n{}",
            offer.raw
        )))
    });
    let callee = Callee::spawn(CALLEE_IP, SIP_TIMEOUT, refuse).unwrap_or_else(|e| panic!("{e}"));
    let caller = Caller::bind(CALLER_IP).unwrap_or_else(|e| panic!("{e}"));
    let sbc =
        SbcProcess::start_with(|dir| srtp_call::config(dir, &case, caller.addr(), callee.addr()));
    let plain = LocalMedia {
        ip: CALLER_IP,
        rtp_port: 9,
        rtcp_port: 10,
        crypto: Vec::new(),
    };
    match caller.invite(sbc.sip_udp(), "bob", &plain.to_sdp(1, 1), SIP_TIMEOUT) {
        Err(UaError::Rejected { status: 488, .. }) => {}
        Err(e) => panic!("want 488, got: {e}\n{}", sbc_report(&sbc)),
        Ok(call) => panic!(
            "want 488, the call was answered with:\n{}\n{}",
            call.answer.raw,
            sbc_report(&sbc)
        ),
    }
    assert!(
        callee.wait_answered(Duration::from_millis(300)).is_err(),
        "the callee was called"
    );
}

#[test]
fn test_ua_keys_are_base64_of_the_suite_length() {
    use support::ua::keys::{base64, generate_key_salt};
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    for suite in Suite::ALL {
        let key = generate_key_salt(suite);
        assert_eq!(key.len(), suite.key_salt_len().div_ceil(3) * 4);
        assert_ne!(key, generate_key_salt(suite));
    }
}

// ------------------------------------------------------------ one call

fn run(case: Case) {
    libsrtp_peer::require_pylibsrtp();
    let parties = Parties::start(&case).unwrap_or_else(|e| panic!("{case:?}: {e}"));
    let sbc = SbcProcess::start_with(|dir| parties.config(dir, &case));
    let outcome = parties
        .call(&case, &sbc)
        .unwrap_or_else(|e| panic!("{case:?}: {e}\n{}", sbc_report(&sbc)));
    if let Err(why) = check(&case, &outcome) {
        panic!(
            "{case:?}: {why}\n{}\n{}",
            outcome.describe(),
            sbc_report(&sbc)
        );
    }
    eprintln!("{case:?}: ok\n{}", outcome.describe());
}

// ------------------------------------------------------------ assertions

fn check(case: &Case, o: &Outcome) -> Result<(), String> {
    let leg_a = "leg A (the SBC's answer to the caller)";
    check_leg(leg_a, case.caller, &o.caller_offer, &o.sbc_answer)?;
    let leg_b = "leg B (the SBC's offer to the callee)";
    check_leg(leg_b, case.callee, &o.leg_b.answer, &o.leg_b.offer)?;
    if let (Some(a), Some(b)) = (o.sbc_answer.crypto.first(), o.leg_b.offer.crypto.first()) {
        if a.key_salt == b.key_salt {
            return Err("the SBC used the same key on both legs".into());
        }
    }
    check_direction("caller -> callee", &o.media.caller_to_callee)?;
    check_direction("callee -> caller", &o.media.callee_to_caller)
}

/// The SBC's SDP on one leg: the profile the leg's policy calls for and,
/// for SRTP, exactly one line of our suite with a key of the SBC's own.
fn check_leg(name: &str, leg: Leg, ours: &LocalMedia, sbc: &PeerMedia) -> Result<(), String> {
    let want = match leg {
        Leg::Plain => "RTP/AVP",
        Leg::Srtp(_) => "RTP/SAVP",
    };
    if sbc.profile != want {
        return Err(format!("{name}: profile {}, want {want}", sbc.profile));
    }
    let Leg::Srtp(suite) = leg else {
        return match sbc.crypto.is_empty() {
            true => Ok(()),
            false => Err(format!("{name}: a=crypto on a plain leg")),
        };
    };
    let [line] = sbc.crypto.as_slice() else {
        return Err(format!(
            "{name}: {} a=crypto lines, want 1",
            sbc.crypto.len()
        ));
    };
    if line.known_suite() != Some(suite) {
        return Err(format!("{name}: suite {}, want {suite}", line.suite));
    }
    if ours.crypto.iter().any(|c| c.key_salt == line.key_salt) {
        return Err(format!(
            "{name}: the SBC echoed our key instead of using its own"
        ));
    }
    Ok(())
}

/// At least 95% of the RTP and every RTCP packet arrived intact, and
/// libsrtp rejected nothing.
fn check_direction(name: &str, d: &DirectionStats) -> Result<(), String> {
    let min = d.sent * 95 / 100;
    let failures = [
        ("auth failures", d.auth_failures),
        ("replay failures", d.replay_failures),
        ("other libsrtp errors", d.other_errors),
        ("payload mismatches", d.mismatches),
        ("SRTCP auth failures", d.rtcp_auth_failures),
        ("other SRTCP errors", d.rtcp_other_errors),
        ("RTCP mismatches", d.rtcp_mismatches),
    ];
    if let Some((what, n)) = failures.into_iter().find(|(_, n)| *n > 0) {
        return Err(format!(
            "{name}: {n} {what} (first error: {:?})",
            d.first_error
        ));
    }
    if d.sent != PACKETS || d.received < min {
        return Err(format!(
            "{name}: {} of {} RTP packets received, want >= {min}",
            d.received, d.sent
        ));
    }
    if d.rtcp_sent != RTCP_PACKETS || d.rtcp_received < d.rtcp_sent {
        return Err(format!(
            "{name}: {} of {} RTCP packets received",
            d.rtcp_received, d.rtcp_sent
        ));
    }
    Ok(())
}

/// The daemon's media and call counters and the tail of its log.
fn sbc_report(sbc: &SbcProcess) -> String {
    let metrics = support::metrics::fetch(sbc.metrics()).unwrap_or_else(|e| e);
    let interesting = metrics
        .lines()
        .filter(|l| l.starts_with("sbc_media") || l.starts_with("sbc_calls"))
        .fold(String::new(), |mut s, l| {
            let _ = writeln!(s, "{l}");
            s
        });
    format!(
        "--- sbc media/call metrics ---\n{interesting}--- sbc stderr (tail) ---\n{}",
        support::tail(&sbc.stderr(), 6000)
    )
}
