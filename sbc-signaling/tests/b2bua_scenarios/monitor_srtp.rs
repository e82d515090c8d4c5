//! SDES-SRTP on a supervisor's leg (`[monitoring]` `srtp`, `srtp_suites`): an
//! RTP/SAVP offer is answered RTP/SAVP with one a=crypto line (the accepted tag and
//! suite, the SBC's own fresh key), and the fake media plane is given the
//! supervisor's key inbound and the SBC's outbound; a re-INVITE repeats the same line
//! and keying, and one that changes the crypto gets 488 with nothing changed.
//! Policies: `mandatory` refuses plain RTP, `off` refuses SRTP, and an offer with no
//! usable line is refused; each 488 says why.

use std::time::Duration;

use sbc_core::ids::{CallRef, StreamId};
use sbc_core::media::{SrtpKey, SrtpKeying, SrtpSuite};
use sbc_core::monitoring::{JoinTicket, MonitorSessionId, SessionEnd};
use sbc_signaling::b2bua::CallEvent;
use sbc_signaling::sdp::{crypto_lines, CryptoAttr, Sdp, Suite};
use sbc_signaling::sip::{Method, SipMessage};

use crate::monitor::{
    admit, authorization, config, ended, to_supervisor, Phone, JOIN_URI, PASSWORD, SUPERVISOR,
};
use crate::sim::{addr, Sim};

/// The supervisor's keys: AES-CM (tag 1) and AES-128-GCM (tag 2).
const AES80: &str = "AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
const GCM: &str = "AEAD_AES_128_GCM inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3OA==";
const GCM_REKEYED: &str = "AEAD_AES_128_GCM inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYg==";

fn offer(proto: &str, crypto: &str) -> String {
    format!(
        "v=0\r\no=- 5 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
         m=audio 7000 {proto} 0 101\r\na=rtpmap:101 telephone-event/8000\r\n{crypto}"
    )
}

fn savp_offer() -> String {
    offer(
        "RTP/SAVP",
        &format!("a=crypto:1 {AES80}\r\na=crypto:2 {GCM}\r\n"),
    )
}

/// An answered call uac -> uas with `monitoring` lines added to `[monitoring]`.
fn answered_call(seed: u64, monitoring: &str) -> (Sim, CallRef) {
    let mut cfg = config(seed);
    let extra = cfg
        .extra
        .replace("[monitoring]\n", &format!("[monitoring]\n{monitoring}"));
    cfg.extra = Box::leak(extra.into_boxed_str());
    let mut sim = Sim::new(cfg);
    let now = sim.now;
    sim.uac.invite(now, true);
    let ok = sim.run_until(Duration::from_secs(5), |s| {
        s.uac.statuses(Method::Invite).contains(&200) && s.uas.got(Method::Ack)
    });
    assert!(ok, "call not established:\n{}", sim.trace_tail(40));
    let call = sim
        .events
        .iter()
        .find_map(|(_, e)| match e {
            CallEvent::Answered { call, .. } => Some(*call),
            _ => None,
        })
        .expect("Answered event");
    (sim, call)
}

/// INVITE with `sdp`, 401, ACK, INVITE with credentials: the join's ticket.
fn join(sim: &mut Sim, phone: &mut Phone, sdp: &str) -> JoinTicket {
    let from = addr(SUPERVISOR);
    let invite = phone.request("INVITE", JOIN_URI, "", ("application/sdp", sdp));
    sim.inject(from, invite.as_bytes());
    sim.run_for(Duration::from_millis(100));
    let challenged = to_supervisor(sim)
        .into_iter()
        .rev()
        .find(|m| m.status() == Some(401))
        .expect("challenge");
    let tag = challenged
        .to_hdr()
        .ok()
        .and_then(|t| t.tag().map(str::to_owned));
    sim.inject(from, phone.ack_non_2xx(JOIN_URI, &tag.unwrap()).as_bytes());
    let raw = String::from_utf8_lossy(challenged.as_bytes()).to_string();
    let challenge = raw
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("www-authenticate:"))
        .map(|l| l.split_once(':').unwrap().1.trim().to_owned())
        .expect("WWW-Authenticate");
    let auth = authorization(&challenge, PASSWORD, JOIN_URI);
    let before = sim.events.len();
    let invite = phone.request(
        "INVITE",
        JOIN_URI,
        &format!("Authorization: {auth}\r\n"),
        ("application/sdp", sdp),
    );
    sim.inject(from, invite.as_bytes());
    sim.run_for(Duration::from_millis(100));
    sim.events[before..]
        .iter()
        .find_map(|(_, e)| match e {
            CallEvent::MonitorJoin(req) => Some(req.ticket),
            _ => None,
        })
        .expect("join reported")
}

/// The SBC's final response to the supervisor's last request (`method`).
fn last_final(sim: &Sim, phone: &Phone, method: Method) -> SipMessage {
    to_supervisor(sim)
        .into_iter()
        .rev()
        .find(|m| {
            m.cseq()
                .is_ok_and(|c| c.method == method && c.seq == phone.cseq)
                && m.status().is_some_and(|s| s >= 200)
        })
        .expect("a final response")
}

/// The proto of the first live m= line and its a=crypto lines.
fn security(body: &[u8]) -> (String, Vec<CryptoAttr>) {
    let sdp = Sdp::parse(body).expect("SDP");
    let md = sdp
        .media()
        .iter()
        .find(|m| m.port != 0)
        .expect("a live m= line");
    let lines = crypto_lines(md).map(|l| l.expect("crypto line")).collect();
    (md.proto.to_owned(), lines)
}

fn media_key(attr: &CryptoAttr) -> SrtpKey {
    let k = attr.key().expect("key");
    let suite = SrtpSuite::ALL
        .into_iter()
        .find(|s| s.sdes_name() == attr.suite.name())
        .expect("suite");
    SrtpKey::new(suite, &[k.master_key(), k.master_salt()].concat(), None).expect("key")
}

/// Every SRTP keying the media plane was given for `stream`, in order.
fn keyings(sim: &Sim, stream: StreamId) -> Vec<Option<SrtpKeying>> {
    sim.media
        .snapshot()
        .remotes
        .iter()
        .filter(|(s, _)| *s == stream)
        .map(|(_, r)| r.srtp.clone())
        .collect()
}

/// Re-INVITE (in the dialog) with `sdp`; the final response.
fn reinvite(sim: &mut Sim, phone: &mut Phone, sdp: &str) -> SipMessage {
    let invite = phone.request("INVITE", JOIN_URI, "", ("application/sdp", sdp));
    sim.inject(addr(SUPERVISOR), invite.as_bytes());
    sim.run_for(Duration::from_millis(100));
    let resp = last_final(sim, phone, Method::Invite);
    let ack = if resp.status() == Some(200) {
        phone.request("ACK", JOIN_URI, "", ("", ""))
    } else {
        let tag = phone.to_tag.clone().unwrap_or_default();
        phone.ack_non_2xx(JOIN_URI, &tag)
    };
    sim.inject(addr(SUPERVISOR), ack.as_bytes());
    sim.run_for(Duration::from_millis(50));
    resp
}

/// Joins with `sdp` and expects a 488 whose reason names `why`; nothing allocated.
fn refused(monitoring: &str, sdp: &str, why: &str, seed: u64) {
    let (mut sim, call) = answered_call(seed, monitoring);
    let mut phone = Phone::new(&format!("sup-refused-{seed}"));
    let ticket = join(&mut sim, &mut phone, sdp);
    admit(&mut sim, ticket, call, 1);
    let resp = last_final(&sim, &phone, Method::Invite);
    assert_eq!(resp.status(), Some(488), "{monitoring}: {resp:?}");
    let reason = resp.reason_phrase().unwrap_or_default();
    assert!(reason.contains(why), "{monitoring}: reason `{reason}`");
    assert_eq!(
        ended(&sim),
        vec![(MonitorSessionId(1), SessionEnd::MediaFailed)]
    );
    assert!(sim.media.snapshot().monitors.is_empty());
    assert_eq!(sim.sbc.monitor_footprint(), 0);
}

#[test]
fn savp_offer_is_answered_savp_with_one_line_and_the_sbcs_own_key() {
    let (mut sim, call) = answered_call(61, "");
    let mut phone = Phone::new("sup-srtp-1");
    let sdp = savp_offer();
    let ticket = join(&mut sim, &mut phone, &sdp);
    admit(&mut sim, ticket, call, 3);
    let ok = last_final(&sim, &phone, Method::Invite);
    assert_eq!(ok.status(), Some(200));
    let body = String::from_utf8_lossy(ok.body()).to_string();
    assert!(body.contains(" RTP/SAVP 0 101\r\n"), "{body}");
    // One line: the tag and suite accepted (GCM before AES-CM in the default order)
    // and a key of the SBC's, not the supervisor's.
    let (proto, lines) = security(ok.body());
    assert_eq!(proto, "RTP/SAVP");
    assert_eq!(lines.len(), 1, "{body}");
    let answer = &lines[0];
    assert_eq!((answer.tag, &answer.suite), (2, &Suite::AeadAes128Gcm));
    let theirs = CryptoAttr::parse(&format!("2 {GCM}")).unwrap();
    assert_ne!(
        answer.key().unwrap().master_key(),
        theirs.key().unwrap().master_key()
    );
    assert!(answer.usable().is_ok());
    phone.to_tag = ok.to_hdr().ok().and_then(|t| t.tag()).map(str::to_owned);
    let ack = phone.request("ACK", JOIN_URI, "", ("", ""));
    sim.inject(addr(SUPERVISOR), ack.as_bytes());

    // The media plane: the supervisor's key inbound, the SBC's outbound.
    let stream = sim.media.snapshot().monitors[0].1;
    let want = SrtpKeying {
        inbound: media_key(&theirs),
        outbound: media_key(answer),
    };
    assert_eq!(keyings(&sim, stream), vec![Some(want.clone())]);
    assert!(sim.events.iter().any(|(_, e)| matches!(e,
        CallEvent::MonitorStarted { session, .. } if *session == MonitorSessionId(3))));

    // A refresh re-INVITE with the same offer: the same line, the same keying.
    let again = reinvite(&mut sim, &mut phone, &sdp);
    assert_eq!(again.status(), Some(200));
    assert_eq!(security(again.body()).1[0].to_string(), answer.to_string());
    assert_eq!(
        keyings(&sim, stream),
        vec![Some(want.clone()), Some(want.clone())]
    );

    // A re-offer with another key, another tag, or plain RTP: 488, nothing changes.
    for changed in [
        offer("RTP/SAVP", &format!("a=crypto:2 {GCM_REKEYED}\r\n")),
        offer("RTP/SAVP", &format!("a=crypto:3 {GCM}\r\n")),
        offer("RTP/SAVP", &format!("a=crypto:1 {AES80}\r\n")),
        offer("RTP/AVP", ""),
    ] {
        let resp = reinvite(&mut sim, &mut phone, &changed);
        assert_eq!(resp.status(), Some(488), "{changed}");
        assert!(
            resp.reason_phrase()
                .unwrap_or_default()
                .contains("may not change the supervisor's SRTP keys"),
            "{resp:?}"
        );
        assert_eq!(keyings(&sim, stream).len(), 2, "{changed}");
    }
    // The session goes on: the original offer still refreshes it.
    let again = reinvite(&mut sim, &mut phone, &sdp);
    assert_eq!(again.status(), Some(200));
    assert_eq!(again.body(), ok.body());
    assert_eq!(keyings(&sim, stream).last(), Some(&Some(want)));
    assert!(ended(&sim).is_empty());
}

#[test]
fn srtp_suites_choose_the_line_and_plain_legs_stay_plain() {
    // Only AES-CM allowed: tag 1 is accepted though GCM is offered too.
    let (mut sim, call) = answered_call(62, "srtp_suites = [\"AES_CM_128_HMAC_SHA1_80\"]\n");
    let mut phone = Phone::new("sup-srtp-2");
    let ticket = join(&mut sim, &mut phone, &savp_offer());
    admit(&mut sim, ticket, call, 4);
    let ok = last_final(&sim, &phone, Method::Invite);
    let (proto, lines) = security(ok.body());
    assert_eq!((proto.as_str(), lines.len()), ("RTP/SAVP", 1));
    assert_eq!(
        (lines[0].tag, &lines[0].suite),
        (1, &Suite::AesCm128HmacSha1_80)
    );

    // Under the default (optional) policy a plain offer gets a plain answer, and its
    // re-INVITE may not turn to SRTP.
    let (mut sim, call) = answered_call(63, "");
    let mut phone = Phone::new("sup-srtp-3");
    let plain = offer("RTP/AVP", "");
    let ticket = join(&mut sim, &mut phone, &plain);
    admit(&mut sim, ticket, call, 5);
    let ok = last_final(&sim, &phone, Method::Invite);
    assert_eq!(ok.status(), Some(200));
    let (proto, lines) = security(ok.body());
    assert_eq!((proto.as_str(), lines.len()), ("RTP/AVP", 0));
    let stream = sim.media.snapshot().monitors[0].1;
    assert_eq!(keyings(&sim, stream), vec![None]);
    phone.to_tag = ok.to_hdr().ok().and_then(|t| t.tag()).map(str::to_owned);
    let resp = reinvite(&mut sim, &mut phone, &savp_offer());
    assert_eq!(resp.status(), Some(488));
    assert_eq!(reinvite(&mut sim, &mut phone, &plain).status(), Some(200));
    assert_eq!(keyings(&sim, stream), vec![None, None]);
}

#[test]
fn mandatory_refuses_a_plain_offer() {
    refused(
        "srtp = \"mandatory\"\n",
        &offer("RTP/AVP", ""),
        "SRTP is required for supervisors",
        64,
    );
}

#[test]
fn off_refuses_an_srtp_offer() {
    refused(
        "srtp = \"off\"\n",
        &savp_offer(),
        "SRTP is off for supervisors",
        65,
    );
}

#[test]
fn an_offer_without_a_usable_crypto_line_is_refused() {
    // A suite the SBC lacks, a refused session parameter, and a suite outside
    // `srtp_suites`.
    let unusable = offer(
        "RTP/SAVP",
        &format!(
            "a=crypto:1 F8_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n\
             a=crypto:2 {AES80} UNENCRYPTED_SRTP\r\na=crypto:3 {GCM}\r\n"
        ),
    );
    refused(
        "srtp_suites = [\"AES_CM_128_HMAC_SHA1_80\"]\n",
        &unusable,
        "no usable a=crypto line",
        66,
    );
}
