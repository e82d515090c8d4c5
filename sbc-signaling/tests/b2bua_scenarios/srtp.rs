//! SRTP per trunk (SDES, RFC 4568): the SBC owns the keys of both legs. Each scenario
//! checks what each UA sees in SDP (proto, a=crypto lines, never the other leg's key)
//! and what the media plane is told per stream: the peer's key inbound, the SBC's own
//! key for that leg outbound. Policies come from the trunks (`srtp`, `srtp_suites`).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use rand::{CryptoRng, RngCore};
use sbc_core::call::EndCause;
use sbc_core::ids::LegSide;
use sbc_core::media::{SrtpKey, SrtpKeying, SrtpMki, SrtpSuite};
use sbc_signaling::sdp::{crypto_lines, CryptoAttr, Sdp, Suite};
use sbc_signaling::sip::{Method, SipMessage};

use crate::sim::{Sim, SimConfig};
use crate::ua::MediaHook;

/// A "generator" that repeats one byte, so a UA's keys are predictable.
struct Fill(u8);

impl RngCore for Fill {
    fn next_u32(&mut self) -> u32 {
        u32::from_ne_bytes([self.0; 4])
    }
    fn next_u64(&mut self) -> u64 {
        u64::from_ne_bytes([self.0; 8])
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(self.0);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        dest.fill(self.0);
        Ok(())
    }
}
impl CryptoRng for Fill {}

/// An a=crypto value for `suite` whose key and salt are all `fill`.
fn line(tag: u32, suite: Suite, fill: u8) -> String {
    match CryptoAttr::generate(tag, suite, &mut Fill(fill)) {
        Ok(a) => a.to_string(),
        Err(e) => panic!("test key: {e}"),
    }
}

/// The media-port key whose key and salt are all `fill`.
fn key(suite: SrtpSuite, fill: u8, mki: Option<SrtpMki>) -> SrtpKey {
    match SrtpKey::new(suite, &vec![fill; suite.key_salt_len()], mki) {
        Ok(k) => k,
        Err(e) => panic!("test key: {e}"),
    }
}

fn media_suite(s: &Suite) -> SrtpSuite {
    match SrtpSuite::ALL
        .into_iter()
        .find(|m| m.sdes_name() == s.name())
    {
        Some(m) => m,
        None => panic!("unsupported suite {s}"),
    }
}

/// The media-port key of an a=crypto line the SBC wrote.
fn key_of(attr: &CryptoAttr) -> SrtpKey {
    let k = match attr.key() {
        Some(k) => k,
        None => panic!("line without key"),
    };
    let bytes = [k.master_key(), k.master_salt()].concat();
    match SrtpKey::new(media_suite(&attr.suite), &bytes, None) {
        Ok(k) => k,
        Err(e) => panic!("SBC key: {e}"),
    }
}

/// The proto of the first m= line and its a=crypto lines.
fn security(body: &[u8]) -> (String, Vec<CryptoAttr>) {
    let sdp = match Sdp::parse(body) {
        Ok(s) => s,
        Err(e) => panic!(
            "SBC SDP does not parse: {e}\n{}",
            String::from_utf8_lossy(body)
        ),
    };
    let md = &sdp.media()[0];
    let lines = crypto_lines(md)
        .map(|l| l.expect("SBC crypto line"))
        .collect();
    (md.proto.to_owned(), lines)
}

/// A UA that offers RTP/SAVP with `lines` (whose key bytes come from `fill` when it is
/// shared, so a test can change the key between offers) and answers an offer with its
/// first a=crypto line of a supported suite, tag echoed, key bytes `answer_fill`.
fn srtp_ua(offer: impl Fn() -> Vec<String> + 'static, answer_fill: u8) -> MediaHook {
    Box::new(move |received: Option<&[u8]>| match received {
        None => ("RTP/SAVP".to_owned(), offer()),
        Some(body) => {
            let (proto, lines) = security(body);
            match lines.iter().find(|l| l.suite.is_supported()) {
                Some(l) => (proto, vec![line(l.tag, l.suite.clone(), answer_fill)]),
                None => (proto, Vec::new()),
            }
        }
    })
}

/// A callee that answers with `tag` whatever was offered (first offered suite).
fn answering_tag(tag: u32) -> MediaHook {
    Box::new(move |received: Option<&[u8]>| {
        let (proto, lines) = security(received.unwrap_or_default());
        let suite = lines
            .first()
            .map_or(Suite::AesCm128HmacSha1_80, |l| l.suite.clone());
        (proto, vec![line(tag, suite, 0x22)])
    })
}

fn established(sim: &mut Sim) {
    let now = sim.now;
    sim.uac.invite(now, true);
    let ok = sim.run_until(Duration::from_secs(5), |s| {
        s.uac.statuses(Method::Invite).contains(&200) && s.uas.got(Method::Ack)
    });
    assert!(ok, "call not established:\n{}", sim.trace_tail(40));
}

fn refused(sim: &mut Sim, status: u16) {
    let now = sim.now;
    sim.uac.invite(now, true);
    let ok = sim.run_until(Duration::from_secs(5), |s| {
        s.uac.statuses(Method::Invite).contains(&status)
    });
    assert!(ok, "no {status}:\n{}", sim.trace_tail(40));
}

fn last_body(msgs: Vec<&SipMessage>) -> Vec<u8> {
    msgs.iter()
        .rev()
        .find(|m| !m.body().is_empty())
        .map(|m| m.body().to_vec())
        .unwrap_or_default()
}

/// The SDP the caller got in its 200 and the callee in its (last) INVITE.
fn bodies(sim: &Sim) -> (Vec<u8>, Vec<u8>) {
    (
        last_body(sim.uac.responses_to(Method::Invite)),
        last_body(sim.uas.requests_of(Method::Invite)),
    )
}

fn two_trunks(a: &'static str, b: &'static str) -> SimConfig {
    let mut cfg = SimConfig::new(40);
    cfg.trunk_a = Some(a);
    cfg.trunk_b = b;
    cfg
}

const AES80_A: fn() -> Vec<String> = || vec![line(1, Suite::AesCm128HmacSha1_80, 0x11)];

#[test]
fn srtp_to_srtp_each_leg_has_its_own_keys() {
    let mut sim = Sim::new(SimConfig::new(41));
    sim.uac.media = Some(srtp_ua(AES80_A, 0));
    sim.uas.media = Some(srtp_ua(Vec::new, 0x22));
    established(&mut sim);
    let (to_a, to_b) = bodies(&sim);

    // Caller: one line, its tag and suite, the SBC's key (not its own).
    let (proto, a_lines) = security(&to_a);
    assert_eq!(proto, "RTP/SAVP");
    assert_eq!(a_lines.len(), 1, "{}", String::from_utf8_lossy(&to_a));
    assert_eq!(
        (a_lines[0].tag, &a_lines[0].suite),
        (1, &Suite::AesCm128HmacSha1_80)
    );
    let sbc_a = key_of(&a_lines[0]);
    assert_ne!(sbc_a, key(SrtpSuite::AesCm128HmacSha1_80, 0x11, None));

    // Callee: the trunk's suites in order, tags 1..=4, none of them the caller's key.
    let (proto, b_lines) = security(&to_b);
    assert_eq!(proto, "RTP/SAVP");
    let offered: Vec<(u32, SrtpSuite)> = b_lines
        .iter()
        .map(|l| (l.tag, media_suite(&l.suite)))
        .collect();
    assert_eq!(
        offered,
        SrtpSuite::ALL
            .into_iter()
            .enumerate()
            .map(|(i, s)| (i as u32 + 1, s))
            .collect::<Vec<_>>()
    );
    assert!(!String::from_utf8_lossy(&to_b).contains(&AES80_A()[0][2..]));
    let sbc_b = key_of(&b_lines[0]);
    assert_ne!(
        sbc_a.key_salt(),
        &sbc_b.key_salt()[..sbc_a.key_salt().len()]
    );

    let media = sim.media.snapshot();
    let a = media.keyings_facing(LegSide::A);
    let b = media.keyings_facing(LegSide::B);
    assert_eq!(
        a,
        [Some(SrtpKeying {
            inbound: key(SrtpSuite::AesCm128HmacSha1_80, 0x11, None),
            outbound: sbc_a,
        })]
    );
    assert_eq!(
        b,
        [Some(SrtpKeying {
            inbound: key(SrtpSuite::AeadAes256Gcm, 0x22, None),
            outbound: sbc_b,
        })]
    );
}

#[test]
fn rtp_caller_to_mandatory_srtp_callee() {
    let cfg = two_trunks(
        "",
        "srtp = \"mandatory\"\nsrtp_suites = [\"AES_CM_128_HMAC_SHA1_80\"]",
    );
    let mut sim = Sim::new(cfg);
    sim.uas.media = Some(srtp_ua(Vec::new, 0x22));
    established(&mut sim);
    let (to_a, to_b) = bodies(&sim);
    let (proto, b_lines) = security(&to_b);
    assert_eq!((proto.as_str(), b_lines.len()), ("RTP/SAVP", 1));
    assert_eq!(
        (b_lines[0].tag, &b_lines[0].suite),
        (1, &Suite::AesCm128HmacSha1_80)
    );
    let (proto, a_lines) = security(&to_a);
    assert_eq!((proto.as_str(), a_lines.len()), ("RTP/AVP", 0));

    let media = sim.media.snapshot();
    assert_eq!(media.keyings_facing(LegSide::A), [None]);
    assert_eq!(
        media.keyings_facing(LegSide::B),
        [Some(SrtpKeying {
            inbound: key(SrtpSuite::AesCm128HmacSha1_80, 0x22, None),
            outbound: key_of(&b_lines[0]),
        })]
    );
}

#[test]
fn srtp_caller_to_plain_callee() {
    let mut sim = Sim::new(two_trunks("", "srtp = \"off\""));
    sim.uac.media = Some(srtp_ua(AES80_A, 0));
    established(&mut sim);
    let (to_a, to_b) = bodies(&sim);
    let (proto, b_lines) = security(&to_b);
    assert_eq!((proto.as_str(), b_lines.len()), ("RTP/AVP", 0));
    let (proto, a_lines) = security(&to_a);
    assert_eq!((proto.as_str(), a_lines.len()), ("RTP/SAVP", 1));
    let media = sim.media.snapshot();
    assert_eq!(media.keyings_facing(LegSide::B), [None]);
    assert_eq!(
        media.keyings_facing(LegSide::A),
        [Some(SrtpKeying {
            inbound: key(SrtpSuite::AesCm128HmacSha1_80, 0x11, None),
            outbound: key_of(&a_lines[0]),
        })]
    );
}

/// A refused offer never reaches the callee and leaves nothing behind.
fn assert_refused_before_b(sim: &Sim) {
    assert!(!sim.uas.got(Method::Invite), "{}", sim.trace_tail(20));
    assert_eq!(sim.sbc.active_calls(), 0);
    assert!(sim.media.snapshot().remotes.is_empty());
}

#[test]
fn mandatory_without_crypto_is_488() {
    let mut sim = Sim::new(two_trunks("srtp = \"mandatory\"", ""));
    refused(&mut sim, 488);
    assert_refused_before_b(&sim);

    // RTP/SAVP without any a=crypto line cannot be answered either.
    let mut sim = Sim::new(SimConfig::new(42));
    sim.uac.media = Some(Box::new(|_: Option<&[u8]>| {
        ("RTP/SAVP".to_owned(), Vec::new())
    }));
    refused(&mut sim, 488);
    assert_refused_before_b(&sim);
}

#[test]
fn srtp_only_offer_on_a_plain_trunk_is_488() {
    let mut sim = Sim::new(two_trunks("srtp = \"off\"", ""));
    sim.uac.media = Some(srtp_ua(AES80_A, 0));
    refused(&mut sim, 488);
    assert_refused_before_b(&sim);
}

#[test]
fn unsupported_suites_and_parameters_only_is_488() {
    let mut sim = Sim::new(SimConfig::new(43));
    sim.uac.media = Some(srtp_ua(
        || {
            vec![
                "1 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw".to_owned(),
                format!(
                    "2 {} UNENCRYPTED_SRTP",
                    line(0, Suite::AesCm128HmacSha1_80, 1)
                        .split_once(' ')
                        .map_or("", |(_, r)| r)
                ),
                format!(
                    "3 {} KDR=1",
                    line(0, Suite::AeadAes128Gcm, 1)
                        .split_once(' ')
                        .map_or("", |(_, r)| r)
                ),
            ]
        },
        0,
    ));
    refused(&mut sim, 488);
    assert_refused_before_b(&sim);
}

#[test]
fn unusable_lines_are_skipped_not_half_used() {
    // The first line asks for something refused; the second is used.
    let mut sim = Sim::new(SimConfig::new(44));
    sim.uac.media = Some(srtp_ua(
        || {
            let bad = line(1, Suite::AeadAes256Gcm, 0x11);
            vec![
                format!("{bad} UNENCRYPTED_SRTCP"),
                line(2, Suite::AeadAes128Gcm, 0x12),
            ]
        },
        0,
    ));
    sim.uas.media = Some(srtp_ua(Vec::new, 0x22));
    established(&mut sim);
    let (proto, a_lines) = security(&bodies(&sim).0);
    assert_eq!(proto, "RTP/SAVP");
    assert_eq!(a_lines.len(), 1);
    assert_eq!(
        (a_lines[0].tag, &a_lines[0].suite),
        (2, &Suite::AeadAes128Gcm)
    );
    let a = sim.media.snapshot().keyings_facing(LegSide::A);
    assert_eq!(
        a[0].as_ref().map(|k| k.inbound.clone()),
        Some(key(SrtpSuite::AeadAes128Gcm, 0x12, None))
    );
}

#[test]
fn unpadded_gcm_key_is_accepted() {
    let mut sim = Sim::new(SimConfig::new(45));
    sim.uac.media = Some(srtp_ua(
        || vec![line(1, Suite::AeadAes128Gcm, 0x13).replace('=', "")],
        0,
    ));
    sim.uas.media = Some(srtp_ua(Vec::new, 0x22));
    assert!(!line(1, Suite::AeadAes128Gcm, 0x13)
        .replace('=', "")
        .contains('='));
    established(&mut sim);
    let a = sim.media.snapshot().keyings_facing(LegSide::A);
    assert_eq!(
        a[0].as_ref().map(|k| k.inbound.clone()),
        Some(key(SrtpSuite::AeadAes128Gcm, 0x13, None))
    );
    // The SBC's own lines are padded, as RFC 4568 §6.1 asks of senders.
    let (_, a_lines) = security(&bodies(&sim).0);
    assert!(a_lines[0].to_string().ends_with('='));
}

#[test]
fn mki_is_carried_to_the_media_plane() {
    let mut sim = Sim::new(SimConfig::new(46));
    sim.uac.media = Some(srtp_ua(
        || {
            vec![format!(
                "{}|2^31|7:2",
                line(1, Suite::AesCm128HmacSha1_32, 0x14)
            )]
        },
        0,
    ));
    sim.uas.media = Some(srtp_ua(Vec::new, 0x22));
    established(&mut sim);
    let a = sim.media.snapshot().keyings_facing(LegSide::A);
    let mki = SrtpMki::new(7, 2).ok();
    assert_eq!(
        a[0].as_ref().map(|k| k.inbound.clone()),
        Some(key(SrtpSuite::AesCm128HmacSha1_32, 0x14, mki))
    );
}

/// An established SRTP call whose caller's key bytes follow `fill`.
fn srtp_call(seed: u64, fill: Rc<Cell<u8>>) -> Sim {
    let mut sim = Sim::new(SimConfig::new(seed));
    sim.uac.media = Some(srtp_ua(
        move || vec![line(1, Suite::AeadAes256Gcm, fill.get())],
        0,
    ));
    sim.uas.media = Some(srtp_ua(Vec::new, 0x22));
    established(&mut sim);
    sim
}

fn reinvite(sim: &mut Sim, n: usize) {
    let now = sim.now;
    assert!(sim.uac.reinvite(now, Some("sendrecv")));
    let ok = sim.run_until(Duration::from_secs(3), |s| {
        s.uas.requests_of(Method::Invite).len() == n && s.uas.requests_of(Method::Ack).len() == n
    });
    assert!(ok, "re-INVITE not completed:\n{}", sim.trace_tail(20));
}

#[test]
fn reinvite_with_the_same_keys_keeps_the_keying() {
    let fill = Rc::new(Cell::new(0x15));
    let mut sim = srtp_call(47, fill);
    let (first_a, first_b) = bodies(&sim);
    reinvite(&mut sim, 2);
    let (again_a, again_b) = bodies(&sim);
    // The SBC re-offers and re-answers with the same keys...
    assert_eq!(
        security(&first_b).1[0].to_string(),
        security(&again_b).1[0].to_string()
    );
    assert_eq!(
        security(&first_a).1[0].to_string(),
        security(&again_a).1[0].to_string()
    );
    // ...so the media plane keeps its crypto state on both legs.
    let media = sim.media.snapshot();
    for side in [LegSide::A, LegSide::B] {
        let k = media.keyings_facing(side);
        assert_eq!(k.len(), 2, "{side:?}");
        assert!(k[0].is_some() && k[0] == k[1], "{side:?}");
    }
}

#[test]
fn reinvite_with_a_new_peer_key_changes_only_inbound() {
    let fill = Rc::new(Cell::new(0x15));
    let mut sim = srtp_call(48, fill.clone());
    fill.set(0x16);
    reinvite(&mut sim, 2);
    let media = sim.media.snapshot();
    let a = media.keyings_facing(LegSide::A);
    let (before, after) = match (&a[0], &a[1]) {
        (Some(x), Some(y)) => (x, y),
        other => panic!("expected SRTP both times: {other:?}"),
    };
    assert_eq!(after.inbound, key(SrtpSuite::AeadAes256Gcm, 0x16, None));
    assert_ne!(before.inbound, after.inbound);
    assert_eq!(before.outbound, after.outbound);
    let b = media.keyings_facing(LegSide::B);
    assert_eq!(b[0], b[1], "the callee's leg is untouched");
}

#[test]
fn answer_with_a_tag_never_offered_refuses_the_call() {
    let mut sim = Sim::new(SimConfig::new(49));
    sim.uac.media = Some(srtp_ua(AES80_A, 0));
    sim.uas.media = Some(answering_tag(9));
    refused(&mut sim, 488);
    // The callee's 2xx is ACKed, then its dialog is hung up.
    let ok = sim.run_until(Duration::from_secs(5), |s| {
        s.uas.got(Method::Ack) && s.uas.got(Method::Bye)
    });
    assert!(ok, "callee not ACKed and BYEd:\n{}", sim.trace_tail(30));
    let cdrs = sim.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(
        (cdrs[0].final_status, cdrs[0].cause),
        (488, EndCause::Refused)
    );
    assert_eq!(sim.sbc.active_calls(), 0);
}

#[test]
fn plain_answer_to_an_srtp_offer_refuses_the_call() {
    let mut sim = Sim::new(SimConfig::new(50));
    sim.uac.media = Some(srtp_ua(AES80_A, 0));
    sim.uas.media = Some(Box::new(|_: Option<&[u8]>| {
        ("RTP/AVP".to_owned(), Vec::new())
    }));
    refused(&mut sim, 488);
    let ok = sim.run_until(Duration::from_secs(5), |s| s.uas.got(Method::Bye));
    assert!(ok, "callee not BYEd:\n{}", sim.trace_tail(30));
}

#[test]
fn reinvite_answered_with_a_tag_never_offered_ends_the_call() {
    let fill = Rc::new(Cell::new(0x15));
    let mut sim = srtp_call(51, fill);
    sim.uas.media = Some(answering_tag(9));
    let now = sim.now;
    assert!(sim.uac.reinvite(now, Some("sendrecv")));
    let ok = sim.run_until(Duration::from_secs(5), |s| {
        s.uac.statuses(Method::Invite).contains(&488)
            && s.uac.got(Method::Bye)
            && s.uas.got(Method::Bye)
    });
    assert!(ok, "re-INVITE not refused:\n{}", sim.trace_tail(30));
    // The callee's 2xx to the re-INVITE was ACKed (it holds the new session).
    assert_eq!(sim.uas.requests_of(Method::Ack).len(), 2);
    let cdrs = sim.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].cause, EndCause::Refused);
}

#[test]
fn late_offer_srtp_answer_comes_in_the_ack() {
    let mut sim = Sim::new(SimConfig::new(52));
    sim.uac.media = Some(srtp_ua(Vec::new, 0x11));
    sim.uas.media = Some(srtp_ua(|| vec![line(5, Suite::AeadAes128Gcm, 0x22)], 0));
    let now = sim.now;
    sim.uac.invite(now, false);
    let ok = sim.run_until(Duration::from_secs(5), |s| {
        s.uas.got(Method::Ack) && s.media.snapshot().remotes.len() == 2
    });
    assert!(ok, "late offer not completed:\n{}", sim.trace_tail(30));
    // The caller was offered the SBC's keys for every suite; it took tag 1.
    let (proto, a_lines) = security(&last_body(sim.uac.responses_to(Method::Invite)));
    assert_eq!((proto.as_str(), a_lines.len()), ("RTP/SAVP", 4));
    // The callee's ACK carries the answer: its tag, its suite, the SBC's key.
    let (proto, b_lines) = security(&last_body(sim.uas.requests_of(Method::Ack)));
    assert_eq!(proto, "RTP/SAVP");
    assert_eq!((b_lines.len(), b_lines[0].tag), (1, 5));
    let media = sim.media.snapshot();
    assert_eq!(
        media.keyings_facing(LegSide::B),
        [Some(SrtpKeying {
            inbound: key(SrtpSuite::AeadAes128Gcm, 0x22, None),
            outbound: key_of(&b_lines[0]),
        })]
    );
    assert_eq!(
        media.keyings_facing(LegSide::A),
        [Some(SrtpKeying {
            inbound: key(SrtpSuite::AeadAes256Gcm, 0x11, None),
            outbound: key_of(&a_lines[0]),
        })]
    );
}
