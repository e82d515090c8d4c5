//! A contact center on loopback for the monitoring end-to-end tests: the
//! customer's phone behind trunk `carrier` (127.0.0.2), the agent's phone
//! behind tenant acme's platform trunk `acme-cc` (127.0.0.1, answering with
//! `X-Agent-Id` and `X-Queue` like a contact-center platform does), and
//! supervisors' phones on 127.0.0.3 (no trunk: digest is their only key).
//! Each party is a `RtpPhone` sending its own pure tone, so who hears whom is
//! measured, not assumed.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use super::ports::media_range;
use super::ua::callee::Answered;
use super::ua::digest::DigestAlgorithm;
use super::ua::phone_codec::PhoneCodec;
use super::ua::rtp_phone::{PhoneConfig, RtpPhone};
use super::ua::{Callee, CalleeOptions, Caller, DigestCredentials, InviteOptions, OutgoingCall};
use super::ua::{RtpMap, UaError};
use super::SbcProcess;
use sbc_monitor::audit::{AuditFilter, AuditKind, AuditLog};

pub const AGENT_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
pub const CUSTOMER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
pub const SUPERVISOR_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));

/// Each party's tone (no one is a harmonic of another).
pub const CUSTOMER_HZ: f64 = 500.0;
pub const AGENT_HZ: f64 = 1100.0;
pub const SUPERVISOR_HZ: f64 = 1700.0;

pub const REALM: &str = "sbc";
pub const SIP_TIMEOUT: Duration = Duration::from_secs(5);

/// Supervisors of the test config: (id, password). `bob` manages all of acme,
/// `alice` coaches acme's sales queue (listen, whisper), `gina` manages globex,
/// `sam` coaches acme's support queue.
pub const BOB: (&str, &str) = ("bob", "bob-test-pass");
pub const ALICE: (&str, &str) = ("alice", "alice-test-pass");
pub const GINA: (&str, &str) = ("gina", "gina-test-pass");
pub const SAM: (&str, &str) = ("sam", "sam-test-pass");

fn ha1s(user: &str, password: &str) -> String {
    let data = format!("{user}:{REALM}:{password}");
    format!(
        "ha1_sha256 = \"{}\"\nha1_md5 = \"{}\"\n",
        DigestAlgorithm::Sha256.hex(&data),
        DigestAlgorithm::Md5.hex(&data)
    )
}

/// The daemon's config: `agent` is the acme platform's SIP address.
pub fn config(dir: &Path, agent: std::net::SocketAddr) -> String {
    let media = media_range();
    let audit = serde_json::to_string(&dir.join("audit.db").to_string_lossy()).unwrap_or_default();
    let cdr = serde_json::to_string(&dir.join("cdr.jsonl").to_string_lossy()).unwrap_or_default();
    let supervisor = |(id, pw): (&str, &str), tenant: &str, role: &str, scope: &str| {
        format!(
            "[[supervisor]]\nid = \"{id}\"\ntenant = \"{tenant}\"\nrole = \"{role}\"\n{scope}\n{}\n",
            ha1s(id, pw)
        )
    };
    format!(
        "[sip]\nt1_ms = 500\n\n\
         [[sip.listen]]\ntransport = \"udp\"\naddress = \"127.0.0.1:0\"\n\n\
         [media]\nbind = \"127.0.0.1\"\nport_min = {min}\nport_max = {max}\n\n\
         [[trunk]]\nname = \"carrier\"\naddress = \"127.0.0.2:5060\"\n\
         accept_from = [\"127.0.0.2/32\"]\n\n\
         [[trunk]]\nname = \"acme-cc\"\naddress = \"{agent}\"\naccept_from = [\"127.0.0.1/32\"]\n\n\
         [[trunk]]\nname = \"globex-cc\"\naddress = \"127.0.0.9:5060\"\n\
         accept_from = [\"127.0.0.9/32\"]\n\n\
         [[route]]\nname = \"inbound\"\ningress_trunk = \"carrier\"\ntarget = \"acme-cc\"\n\n\
         [[tenant]]\nid = \"acme\"\ntrunks = [\"acme-cc\"]\n\n\
         [[tenant]]\nid = \"globex\"\ntrunks = [\"globex-cc\"]\n\n\
         [[role]]\nname = \"manager\"\nmodes = [\"listen\", \"whisper\", \"barge\", \"takeover\"]\n\n\
         [[role]]\nname = \"coach\"\nmodes = [\"listen\", \"whisper\"]\n\n\
         {bob}{alice}{gina}{sam}\
         [monitoring]\nrealm = \"{REALM}\"\nmax_auth_failures = 3\n\n\
         [audit]\npath = {audit}\n\n\
         [metrics]\nlisten = \"127.0.0.1:0\"\n\n\
         [cdr]\npath = {cdr}\n",
        min = media.min,
        max = media.max,
        bob = supervisor(BOB, "acme", "manager", "whole_tenant = true"),
        alice = supervisor(ALICE, "acme", "coach", "queues = [\"sales\"]"),
        gina = supervisor(GINA, "globex", "manager", "whole_tenant = true"),
        sam = supervisor(SAM, "acme", "coach", "queues = [\"support\"]"),
    )
}

/// The agent's side: the acme platform answering for agent 1007 of the sales
/// queue, and the agent's phone.
pub struct Agent {
    pub callee: Callee,
    pub phone: RtpPhone,
}

impl Agent {
    pub fn spawn(codec: PhoneCodec) -> Result<Agent, UaError> {
        let phone = RtpPhone::start(PhoneConfig::new(AGENT_IP, codec))?;
        let local = phone.local_media();
        let maps = phone.rtpmaps();
        let options = CalleeOptions::default()
            .header("X-Agent-Id", "1007")
            .header("X-Queue", "sales")
            .payloads(move |_offer| maps);
        let callee = Callee::spawn_with(
            AGENT_IP,
            Duration::from_secs(60),
            Box::new(move |_offer| Ok(local)),
            options,
        )?;
        Ok(Agent { callee, phone })
    }
}

/// A customer→agent call, answered, with both phones pointed at the SBC.
pub struct MonitoredCall<'c> {
    pub customer_call: OutgoingCall<'c>,
    pub customer: RtpPhone,
    pub agent: Agent,
    /// The agent's leg as the agent saw it (its dialog identifiers, for `Replaces`).
    pub answered: Answered,
}

/// Places the customer's call; `customer` is the customer's SIP UA.
pub fn place_call<'c>(
    sbc: &SbcProcess,
    customer_ua: &'c Caller,
    customer_codec: PhoneCodec,
    agent: Agent,
) -> Result<MonitoredCall<'c>, UaError> {
    let customer = RtpPhone::start(PhoneConfig::new(CUSTOMER_IP, customer_codec))?;
    let call = customer_ua.invite(sbc.sip_udp(), "+15550100", &customer.sdp(), SIP_TIMEOUT)?;
    customer.set_remote(call.answer.rtp());
    let answered = agent.callee.wait_answered(SIP_TIMEOUT)?;
    agent.phone.set_remote(answered.offer.rtp());
    Ok(MonitoredCall {
        customer_call: call,
        customer,
        agent,
        answered,
    })
}

/// A supervisor joining with `code` (e.g. `*81a1007`) as `who`.
pub fn join<'s>(
    sbc: &SbcProcess,
    ua: &'s Caller,
    phone: &RtpPhone,
    who: (&str, &str),
    code: &str,
) -> Result<OutgoingCall<'s>, UaError> {
    let options = InviteOptions::default()
        .credentials(DigestCredentials::new(who.0, who.1))
        .caller_user(who.0);
    let call = ua.invite_with(sbc.sip_udp(), code, &phone.sdp(), SIP_TIMEOUT, &options)?;
    phone.set_remote(call.answer.rtp());
    Ok(call)
}

/// The rtpmaps a phone of `codec` offers (for tests choosing the agent's codec).
pub fn maps(codec: PhoneCodec) -> Vec<RtpMap> {
    vec![
        codec.rtpmap(),
        RtpMap::telephone_event(101, codec.clock_rate()),
    ]
}

/// The agent's side (its phone in `codec`) and the daemon configured for it.
pub fn start(codec: PhoneCodec) -> (SbcProcess, Agent) {
    let agent = Agent::spawn(codec).expect("agent");
    let addr = agent.callee.addr();
    let sbc = SbcProcess::start_with(|dir| config(dir, addr));
    (sbc, agent)
}

/// The daemon's audit log in the order it was written: (kind, reason, mode).
pub fn audit(sbc: &SbcProcess) -> Vec<(AuditKind, String, Option<String>)> {
    let log = AuditLog::open_existing(sbc.dir().join("audit.db")).expect("audit db");
    let mut entries = log.query(&AuditFilter::default()).expect("audit query");
    // Newest first from the query; tests read them in the order they happened.
    entries.sort_by_key(|e| e.seq);
    entries
        .into_iter()
        .map(|e| {
            (
                e.record.kind,
                e.record.reason.clone(),
                e.record.mode.map(|m| m.as_str().to_owned()),
            )
        })
        .collect()
}
