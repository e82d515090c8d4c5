//! Supervisor legs (issue 4): a phone dials `*81a1`, is challenged (401, digest
//! SHA-256 and MD5), authenticates, and waits while the monitoring plane decides; the
//! engine then answers with the mixer's stream and tells the media plane who hears
//! whom. In the call: INFO digits, mode switches, BYE from either side; the monitored
//! call's end hangs the supervisor up. The supervisor is raw SIP injected from
//! 192.0.2.9 (not a trunk); what the SBC sends it lands in `sim.unrouted`.

use std::net::SocketAddr;
use std::time::Duration;

use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::AgentAfterTakeover;
use sbc_core::monitoring::{
    Admission, JoinAuth, JoinRequest, JoinTicket, MonitorMode, MonitorSessionId, SessionEnd, Target,
};
use sbc_signaling::auth::DigestAlgorithm;
use sbc_signaling::b2bua::CallEvent;
use sbc_signaling::sip::{Method, SipMessage};

use crate::sim::{addr, Sim, SimConfig};

pub(crate) const SUPERVISOR: &str = "192.0.2.9:5060";
pub(crate) const PASSWORD: &str = "bob-pass";

pub(crate) fn config(seed: u64) -> SimConfig {
    let sha = DigestAlgorithm::Sha256.ha1("bob", "sbc", PASSWORD);
    let md5 = DigestAlgorithm::Md5.ha1("bob", "sbc", PASSWORD);
    let extra = format!(
        "[[tenant]]\nid = \"acme\"\ntrunks = [\"uas\", \"uac\"]\n\
         [[role]]\nname = \"manager\"\nmodes = [\"listen\", \"whisper\", \"barge\", \"takeover\"]\n\
         [[supervisor]]\nid = \"bob\"\ntenant = \"acme\"\nrole = \"manager\"\nwhole_tenant = true\n\
         ha1_sha256 = \"{sha}\"\nha1_md5 = \"{md5}\"\n\
         [[supervisor]]\nid = \"wall\"\ntenant = \"acme\"\nrole = \"manager\"\nwhole_tenant = true\n\
         asserted_identity = \"sip:wall@pbx\"\ntrusted_trunks = [\"uac\"]\n\
         [monitoring]\nmax_auth_failures = 3\n\
         [audit]\npath = \"/nonexistent/audit.db\"\n"
    );
    SimConfig {
        trunk_a: Some(""),
        extra: Box::leak(extra.into_boxed_str()),
        ..SimConfig::new(seed)
    }
}

/// A call from uac to uas, answered; returns the sim and the call's reference.
pub(crate) fn answered_call(seed: u64) -> (Sim, CallRef) {
    let mut sim = Sim::new(config(seed));
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
            CallEvent::Answered { call, target, .. } => {
                assert_eq!(target.as_str(), "uas");
                Some(*call)
            }
            _ => None,
        })
        .expect("Answered event");
    (sim, call)
}

pub(crate) const OFFER: &str =
    "v=0\r\no=- 5 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
    m=audio 7000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";

/// The supervisor's requests, built by hand.
pub(crate) struct Phone {
    pub call_id: String,
    pub from_tag: &'static str,
    pub cseq: u32,
    pub to_tag: Option<String>,
}

impl Phone {
    pub fn new(call_id: &str) -> Phone {
        Phone {
            call_id: call_id.to_owned(),
            from_tag: "sup1",
            cseq: 0,
            to_tag: None,
        }
    }

    /// The ACK for a non-2xx final to our last INVITE (same branch, its to-tag):
    /// without it the SBC retransmits the final (Timer G).
    pub fn ack_non_2xx(&self, uri: &str, to_tag: &str) -> String {
        format!(
            "ACK {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {SUPERVISOR};branch=z9hG4bKINVITE{cseq}{call}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:bob@192.0.2.9>;tag={tag}\r\nTo: <{uri}>;tag={to_tag}\r\n\
             Call-ID: {call}\r\nCSeq: {cseq} ACK\r\nContent-Length: 0\r\n\r\n",
            cseq = self.cseq,
            call = self.call_id,
            tag = self.from_tag,
        )
    }

    pub fn request(&mut self, method: &str, uri: &str, extra: &str, body: (&str, &str)) -> String {
        if method != "ACK" {
            self.cseq += 1;
        }
        let to_tag = self
            .to_tag
            .as_deref()
            .map(|t| format!(";tag={t}"))
            .unwrap_or_default();
        let (ctype, body) = body;
        let ctype = if body.is_empty() {
            String::new()
        } else {
            format!("Content-Type: {ctype}\r\n")
        };
        format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {SUPERVISOR};branch=z9hG4bK{method}{cseq}{call}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:bob@192.0.2.9>;tag={tag}\r\nTo: <{uri}>{to_tag}\r\n\
             Call-ID: {call}\r\nCSeq: {cseq} {method}\r\nContact: <sip:bob@{SUPERVISOR}>\r\n\
             {extra}{ctype}Content-Length: {len}\r\n\r\n{body}",
            cseq = self.cseq,
            call = self.call_id,
            tag = self.from_tag,
            len = body.len()
        )
    }
}

pub(crate) const JOIN_URI: &str = "sip:*81a1@10.0.0.2";

/// The SIP messages the SBC sent the supervisor so far.
pub(crate) fn to_supervisor(sim: &Sim) -> Vec<SipMessage> {
    let sup: SocketAddr = addr(SUPERVISOR);
    sim.unrouted
        .iter()
        .filter(|(_, d)| d.to == sup)
        .filter_map(|(_, d)| SipMessage::parse(d.payload.clone()).ok())
        .collect()
}

pub(crate) fn last_status(sim: &Sim, method: Method) -> Option<u16> {
    to_supervisor(sim)
        .iter()
        .rev()
        .find(|m| m.cseq().map(|c| c.method) == Ok(method) && m.status().is_some_and(|s| s >= 200))
        .and_then(SipMessage::status)
}

/// The Authorization for `challenge` (a WWW-Authenticate value), digest SHA-256.
pub(crate) fn authorization(challenge: &str, password: &str, uri: &str) -> String {
    let param = |name: &str| {
        let at = challenge.find(&format!("{name}=\""))? + name.len() + 2;
        let end = challenge.get(at..)?.find('"')? + at;
        challenge.get(at..end).map(str::to_owned)
    };
    let (realm, nonce) = (param("realm").unwrap(), param("nonce").unwrap());
    let h = |s: String| {
        let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
        d.as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let ha1 = h(format!("bob:{realm}:{password}"));
    let ha2 = h(format!("INVITE:{uri}"));
    // A fresh nc each time: a nonce may be reused (within its lifetime) but never
    // with an nc already seen.
    static NC: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let nc = format!(
        "{:08x}",
        NC.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let response = h(format!("{ha1}:{nonce}:{nc}:abc123:auth:{ha2}"));
    format!(
        "Digest username=\"bob\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", \
         response=\"{response}\", algorithm=SHA-256, qop=auth, nc={nc}, cnonce=\"abc123\""
    )
}

/// INVITE to `uri` with `extra` headers, 401, INVITE with credentials: the join
/// the engine reported (None if it was not challenged or reported nothing).
pub(crate) fn join_at(
    sim: &mut Sim,
    phone: &mut Phone,
    uri: &str,
    extra: &str,
    password: &str,
) -> Option<JoinRequest> {
    let from = addr(SUPERVISOR);
    let invite = phone.request("INVITE", uri, extra, ("application/sdp", OFFER));
    sim.inject(from, invite.as_bytes());
    sim.run_for(Duration::from_millis(100));
    let challenged = to_supervisor(sim)
        .into_iter()
        .rev()
        .find(|m| m.status() == Some(401));
    if let Some(tag) = challenged
        .as_ref()
        .and_then(|m| m.to_hdr().ok()?.tag().map(str::to_owned))
    {
        let ack = phone.ack_non_2xx(uri, &tag);
        sim.inject(from, ack.as_bytes());
    }
    let challenge = challenged.map(|m| {
        let raw = String::from_utf8_lossy(m.as_bytes()).to_string();
        let values: Vec<String> = raw
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("www-authenticate:"))
            .map(|l| l.split_once(':').unwrap().1.trim().to_owned())
            .collect();
        assert_eq!(values.len(), 2, "one challenge per algorithm: {raw}");
        assert!(values[0].contains("algorithm=SHA-256"), "{raw}");
        values[0].clone()
    })?;
    let before = sim.events.len();
    let auth = authorization(&challenge, password, uri);
    let invite = phone.request(
        "INVITE",
        uri,
        &format!("{extra}Authorization: {auth}\r\n"),
        ("application/sdp", OFFER),
    );
    sim.inject(from, invite.as_bytes());
    sim.run_for(Duration::from_millis(100));
    sim.events[before..].iter().find_map(|(_, e)| match e {
        CallEvent::MonitorJoin(req) => Some(req.clone()),
        _ => None,
    })
}

/// INVITE, 401, ACK, INVITE with credentials: returns the join ticket (or the auth the
/// engine reported, for failure tests).
fn join(sim: &mut Sim, phone: &mut Phone, password: &str) -> Option<(JoinTicket, JoinAuth)> {
    let req = join_at(sim, phone, JOIN_URI, "", password)?;
    assert_eq!(req.source, addr(SUPERVISOR).ip());
    assert_eq!(req.replaces, None);
    if let Ok(t) = &req.target {
        assert_eq!(t.mode, MonitorMode::Listen);
        assert_eq!(
            t.target,
            Target::Agent(sbc_core::monitoring::AgentId::new("1"))
        );
    }
    Some((req.ticket, req.auth))
}

/// Admits the join `ticket` to `call` as `session`, in listen, agent on B.
pub(crate) fn admit(sim: &mut Sim, ticket: JoinTicket, call: CallRef, session: u64) {
    let now = sim.now;
    sim.sbc.monitor_admit(
        now,
        Admission {
            ticket,
            session: MonitorSessionId(session),
            call,
            agent_side: LegSide::B,
            mode: MonitorMode::Listen,
            after_takeover: AgentAfterTakeover::Released,
            agent_beep: false,
        },
    );
    sim.run_for(Duration::from_millis(100));
}

/// The first BYE the SBC sent the supervisor, and its Reason.
pub(crate) fn supervisor_bye_reason(sim: &Sim) -> Option<String> {
    to_supervisor(sim)
        .into_iter()
        .find(|m| m.method() == Some(Method::Bye))
        .map(|bye| bye.header_by_name("Reason").unwrap_or_default().to_owned())
}

pub(crate) fn ended(sim: &Sim) -> Vec<(MonitorSessionId, SessionEnd)> {
    sim.events
        .iter()
        .filter_map(|(_, e)| match e {
            CallEvent::MonitorEnded { session, end } => Some((*session, *end)),
            _ => None,
        })
        .collect()
}

#[test]
fn supervisor_joins_switches_and_is_hung_up_with_the_call() {
    let (mut sim, call) = answered_call(41);
    let mut phone = Phone::new("sup-call-1");
    let (ticket, auth) = join(&mut sim, &mut phone, PASSWORD).expect("join reported");
    assert_eq!(
        auth,
        JoinAuth::Digest(sbc_core::monitoring::SupervisorId::new("bob"))
    );
    // Nothing is answered before the monitoring plane decides.
    assert_eq!(last_status(&sim, Method::Invite), Some(401));
    admit(&mut sim, ticket, call, 7);
    let ok = to_supervisor(&sim)
        .into_iter()
        .rev()
        .find(|m| m.status() == Some(200))
        .expect("200 to the supervisor");
    let body = String::from_utf8_lossy(ok.body()).to_string();
    assert!(body.contains("m=audio 2000"), "{body}");
    assert!(body.contains("RTP/AVP 0 101"), "{body}");
    assert!(
        !body.contains("10.0.0.1") && !body.contains("10.0.0.3"),
        "{body}"
    );
    phone.to_tag = ok.to_hdr().ok().and_then(|t| t.tag()).map(str::to_owned);
    let ack = phone.request("ACK", JOIN_URI, "", ("", ""));
    sim.inject(addr(SUPERVISOR), ack.as_bytes());

    let log = sim.media.snapshot();
    assert_eq!(log.monitors.len(), 1);
    let (mcall, stream, _) = log.monitors[0];
    assert_eq!(mcall, call);
    let picture = log.monitoring.last().expect("monitoring set").clone();
    let side = |s| log.side_of(s);
    assert_eq!(side(picture.customer), Some(LegSide::A));
    assert_eq!(side(picture.agent), Some(LegSide::B));
    assert_eq!(picture.supervisors.len(), 1);
    assert_eq!(picture.supervisors[0].stream, stream);
    assert_eq!(picture.supervisors[0].mode, MonitorMode::Listen);
    assert!(sim.events.iter().any(|(_, e)| matches!(e,
        CallEvent::MonitorStarted { session, stream: s, .. } if *session == MonitorSessionId(7) && *s == stream)));
    let remote = log
        .remotes
        .iter()
        .rev()
        .find(|(s, _)| *s == stream)
        .map(|(_, r)| r.clone())
        .expect("supervisor remote");
    assert_eq!(remote.rtp, Some("192.0.2.9:7000".parse().unwrap()));
    assert_eq!(remote.telephone_event, Some(101));

    // A digit by INFO is reported; the switch itself comes back from the plane.
    let info = phone.request(
        "INFO",
        JOIN_URI,
        "",
        ("application/dtmf-relay", "Signal=2\r\nDuration=160\r\n"),
    );
    sim.inject(addr(SUPERVISOR), info.as_bytes());
    sim.run_for(Duration::from_millis(100));
    assert_eq!(last_status(&sim, Method::Info), Some(200));
    assert!(sim.events.iter().any(|(_, e)| matches!(e,
        CallEvent::MonitorDigit { session, digit: '2' } if *session == MonitorSessionId(7))));
    assert!(sim
        .sbc
        .monitor_set_mode(sim.now, MonitorSessionId(7), MonitorMode::Whisper));
    let picture = sim.media.snapshot().monitoring.last().cloned().unwrap();
    assert_eq!(picture.supervisors[0].mode, MonitorMode::Whisper);

    // The customer hangs up: the supervisor gets a BYE, the session ends.
    let now = sim.now;
    assert!(sim.uac.bye(now));
    sim.run_for(Duration::from_secs(1));
    let byes = to_supervisor(&sim)
        .into_iter()
        .filter(|m| m.method() == Some(Method::Bye))
        .count();
    assert!(byes >= 1, "{}", sim.trace_tail(20));
    assert_eq!(
        ended(&sim),
        vec![(MonitorSessionId(7), SessionEnd::CallEnded)]
    );
    assert_eq!(sim.sbc.monitor_footprint(), 0);
}

#[test]
fn supervisor_hangs_up_and_the_relay_is_restored() {
    let (mut sim, call) = answered_call(42);
    let mut phone = Phone::new("sup-call-2");
    let (ticket, _) = join(&mut sim, &mut phone, PASSWORD).unwrap();
    admit(&mut sim, ticket, call, 8);
    let ok = to_supervisor(&sim)
        .into_iter()
        .rev()
        .find(|m| m.status() == Some(200))
        .unwrap();
    phone.to_tag = ok.to_hdr().ok().and_then(|t| t.tag()).map(str::to_owned);
    let bye = phone.request("BYE", JOIN_URI, "", ("", ""));
    sim.inject(addr(SUPERVISOR), bye.as_bytes());
    sim.run_for(Duration::from_millis(100));
    assert_eq!(last_status(&sim, Method::Bye), Some(200));
    assert_eq!(
        ended(&sim),
        vec![(MonitorSessionId(8), SessionEnd::SupervisorHangup)]
    );
    let log = sim.media.snapshot();
    assert_eq!(log.released_streams, vec![log.monitors[0].1]);
    let picture = log.monitoring.last().unwrap();
    assert!(picture.supervisors.is_empty(), "{picture:?}");
    // The call itself goes on.
    assert!(sim.cdrs().is_empty());
    assert_eq!(sim.sbc.active_calls(), 1);
}

#[test]
fn wrong_passwords_are_reported_then_blocked() {
    let (mut sim, _) = answered_call(43);
    let mut reported = Vec::new();
    for i in 0..3 {
        let mut phone = Phone::new(&format!("bad-{i}"));
        let (ticket, auth) = join(&mut sim, &mut phone, "guess").expect("reported");
        reported.push(auth.clone());
        let now = sim.now;
        sim.sbc.monitor_refuse(now, ticket, 401, "Unauthorized");
        sim.run_for(Duration::from_millis(100));
        assert_eq!(last_status(&sim, Method::Invite), Some(401));
    }
    assert!(
        matches!(reported[0], JoinAuth::DigestFailed { .. }),
        "{reported:?}"
    );
    // The third failure reaches the limit: reported once as blocked.
    assert!(
        matches!(reported[2], JoinAuth::Blocked { .. }),
        "{reported:?}"
    );
    // From now on: 403 at once, nothing more for the audit log.
    let mut phone = Phone::new("bad-4");
    let invite = phone.request("INVITE", JOIN_URI, "", ("application/sdp", OFFER));
    let before = sim.events.len();
    sim.inject(addr(SUPERVISOR), invite.as_bytes());
    sim.run_for(Duration::from_millis(100));
    assert_eq!(last_status(&sim, Method::Invite), Some(403));
    assert!(sim.events[before..].is_empty());
}

#[test]
fn cancelled_join_and_admission_of_a_gone_call() {
    let (mut sim, call) = answered_call(44);
    let mut phone = Phone::new("sup-cancel");
    let (ticket, _) = join(&mut sim, &mut phone, PASSWORD).unwrap();
    // CANCEL names the INVITE's branch and CSeq number.
    let cancel = format!(
        "CANCEL {JOIN_URI} SIP/2.0\r\nVia: SIP/2.0/UDP {SUPERVISOR};branch=z9hG4bKINVITE2sup-cancel\r\n\
         Max-Forwards: 70\r\nFrom: <sip:bob@192.0.2.9>;tag=sup1\r\nTo: <{JOIN_URI}>\r\n\
         Call-ID: sup-cancel\r\nCSeq: 2 CANCEL\r\nContent-Length: 0\r\n\r\n"
    );
    sim.inject(addr(SUPERVISOR), cancel.as_bytes());
    sim.run_for(Duration::from_millis(100));
    assert_eq!(last_status(&sim, Method::Invite), Some(487));
    admit(&mut sim, ticket, call, 9);
    assert_eq!(
        ended(&sim),
        vec![(MonitorSessionId(9), SessionEnd::Cancelled)]
    );
    assert!(sim.media.snapshot().monitors.is_empty());

    // A join admitted after its call ended gets 480.
    let mut phone = Phone::new("sup-late");
    let (ticket, _) = join(&mut sim, &mut phone, PASSWORD).unwrap();
    let now = sim.now;
    assert!(sim.uac.bye(now));
    sim.run_for(Duration::from_secs(1));
    admit(&mut sim, ticket, call, 10);
    assert_eq!(last_status(&sim, Method::Invite), Some(480));
    assert!(ended(&sim).contains(&(MonitorSessionId(10), SessionEnd::CallGone)));
    assert_eq!(sim.sbc.monitor_footprint(), 0);
}

#[test]
fn feature_codes_without_offer_or_with_bad_target() {
    let (mut sim, _) = answered_call(45);
    let mut phone = Phone::new("no-sdp");
    let invite = phone.request("INVITE", JOIN_URI, "", ("", ""));
    sim.inject(addr(SUPERVISOR), invite.as_bytes());
    sim.run_for(Duration::from_millis(100));
    assert_eq!(last_status(&sim, Method::Invite), Some(488));
    // An ordinary number from the supervisor's (non-trunk) address is not routed.
    let mut phone = Phone::new("plain");
    let invite = phone.request(
        "INVITE",
        "sip:1234@10.0.0.2",
        "",
        ("application/sdp", OFFER),
    );
    sim.inject(addr(SUPERVISOR), invite.as_bytes());
    sim.run_for(Duration::from_millis(100));
    assert_eq!(last_status(&sim, Method::Invite), Some(403));
}

#[test]
fn a_reload_with_a_new_realm_challenges_in_it() {
    let (mut sim, _) = answered_call(46);
    let challenge = |sim: &Sim| {
        to_supervisor(sim)
            .into_iter()
            .rev()
            .find(|m| m.status() == Some(401))
            .map(|m| String::from_utf8_lossy(m.as_bytes()).to_string())
            .expect("401")
    };
    // A first challenge builds the authenticator from the running config.
    let mut phone = Phone::new("before-reload");
    let invite = phone.request("INVITE", JOIN_URI, "", ("application/sdp", OFFER));
    sim.inject(addr(SUPERVISOR), invite.as_bytes());
    sim.run_for(Duration::from_millis(100));
    assert!(challenge(&sim).contains("realm=\"sbc\""));
    let mut cfg = config(46);
    let extra = cfg
        .extra
        .replace("[monitoring]\n", "[monitoring]\nrealm = \"cc2\"\n");
    cfg.extra = Box::leak(extra.into_boxed_str());
    let toml = crate::sim::config_toml(&cfg);
    let config = sbc_core::config::Config::from_toml_str(&toml, "reload.toml").expect("config");
    let settings = sbc_signaling::b2bua::EngineSettings {
        config: std::sync::Arc::new(config),
        signaling: vec![(
            sbc_signaling::net::TransportKind::Udp,
            addr(crate::sim::SBC),
        )],
        media_ip: crate::fake_media::MEDIA_IP,
    };
    sim.sbc.set_settings(settings);
    let mut phone = Phone::new("after-reload");
    let invite = phone.request("INVITE", JOIN_URI, "", ("application/sdp", OFFER));
    sim.inject(addr(SUPERVISOR), invite.as_bytes());
    sim.run_for(Duration::from_millis(100));
    let after = challenge(&sim);
    assert!(after.contains("realm=\"cc2\""), "{after}");
}

#[test]
fn an_asserted_identity_with_a_display_name_from_a_trusted_trunk() {
    let (mut sim, _) = answered_call(47);
    let mut phone = Phone::new("pai");
    let invite = phone.request(
        "INVITE",
        JOIN_URI,
        "P-Asserted-Identity: \"Wall Board\" <sip:wall@pbx>;x=1\r\n",
        ("application/sdp", OFFER),
    );
    let before = sim.events.len();
    // From the caller's trunk `uac`, which the supervisor `wall` trusts: no challenge.
    sim.inject(addr(crate::sim::UAC), invite.as_bytes());
    sim.run_for(Duration::from_millis(100));
    let auth = sim.events[before..].iter().find_map(|(_, e)| match e {
        CallEvent::MonitorJoin(req) => Some(req.auth.clone()),
        _ => None,
    });
    assert_eq!(
        auth,
        Some(JoinAuth::Asserted {
            identity: "sip:wall@pbx".into(),
            ingress: sbc_core::TrunkName::new("uac"),
        })
    );
}
