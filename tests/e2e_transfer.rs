//! Call transfer by REFER end to end, through the real daemon, with audio. An
//! agent's platform (127.0.0.1, trunk `agents`) calls a customer behind the carrier
//! (127.0.0.2); the agent then REFERs the customer to the transfer desk, user 2000,
//! which the SBC's routes send to trunk `desk` (127.0.0.4). The SBC answers 202,
//! NOTIFYs 100 then 200, calls the desk itself and swaps it in for the agent: the
//! customer's leg gets no request at all, and the tones (Goertzel) show that the
//! customer and the desk hear each other, and nobody hears the agent any more.

mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use support::ports::media_range;
use support::ua::rtp_phone::{PhoneConfig, RtpPhone};
use support::ua::{Callee, CalleeOptions, Caller, PhoneCodec};
use support::SbcProcess;

const AGENT_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const CUSTOMER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const DESK_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 4));

const CUSTOMER_HZ: f64 = 500.0;
const AGENT_HZ: f64 = 1100.0;
const DESK_HZ: f64 = 1700.0;
const TONES: [f64; 3] = [CUSTOMER_HZ, AGENT_HZ, DESK_HZ];

const SIP_TIMEOUT: Duration = Duration::from_secs(5);
const SETTLE: Duration = Duration::from_millis(600);
const WINDOW: Duration = Duration::from_millis(1200);
/// Where the agent asks the customer to go: the host is the agent side's business
/// and must never reach the desk or the customer.
const REFER_TO: &str = "<sip:2000@desk.internal.example>";

fn config(dir: &Path, customer: SocketAddr, desk: SocketAddr) -> String {
    let media = media_range();
    let cdr = serde_json::to_string(&dir.join("cdr.jsonl").to_string_lossy()).unwrap_or_default();
    format!(
        "[sip]\nt1_ms = 500\n\n\
         [[sip.listen]]\ntransport = \"udp\"\naddress = \"127.0.0.1:0\"\n\n\
         [media]\nbind = \"127.0.0.1\"\nport_min = {min}\nport_max = {max}\n\n\
         [[trunk]]\nname = \"agents\"\naddress = \"127.0.0.1:5060\"\n\
         accept_from = [\"127.0.0.1/32\"]\n\n\
         [[trunk]]\nname = \"carrier\"\naddress = \"{customer}\"\n\n\
         [[trunk]]\nname = \"desk\"\naddress = \"{desk}\"\naccept_from = []\n\n\
         [[route]]\nname = \"transfers\"\ningress_trunk = \"agents\"\nuser_prefix = \"2\"\n\
         target = \"desk\"\n\n\
         [[route]]\nname = \"outbound\"\ningress_trunk = \"agents\"\ntarget = \"carrier\"\n\n\
         [metrics]\nlisten = \"127.0.0.1:0\"\n\n\
         [cdr]\npath = {cdr}\n",
        min = media.min,
        max = media.max,
    )
}

/// A UAS answering one call with `phone`'s media.
fn answering(ip: IpAddr, phone: &RtpPhone) -> Callee {
    let local = phone.local_media();
    let maps = phone.rtpmaps();
    let options = CalleeOptions::default().payloads(move |_offer| maps);
    Callee::spawn_with(
        ip,
        Duration::from_secs(60),
        Box::new(move |_offer| Ok(local)),
        options,
    )
    .expect("callee")
}

fn expect(who: &str, phone: &RtpPhone, want: &[f64]) {
    std::thread::sleep(SETTLE + WINDOW);
    let to = Instant::now();
    phone
        .listen_between(&TONES, to - WINDOW, to)
        .assert_hears(who, &TONES, want);
}

#[test]
fn the_agent_transfers_the_customer_who_then_talks_to_the_desk() {
    let customer = RtpPhone::start(PhoneConfig::new(CUSTOMER_IP, PhoneCodec::Pcmu)).unwrap();
    let desk = RtpPhone::start(PhoneConfig::new(DESK_IP, PhoneCodec::Pcmu)).unwrap();
    let agent = RtpPhone::start(PhoneConfig::new(AGENT_IP, PhoneCodec::Pcmu)).unwrap();
    let customer_ua = answering(CUSTOMER_IP, &customer);
    let desk_ua = answering(DESK_IP, &desk);
    let sbc = SbcProcess::start_with(|dir| config(dir, customer_ua.addr(), desk_ua.addr()));
    let logs = || support::tail(&sbc.stderr(), 3000).to_owned();

    let agent_ua = Caller::bind(AGENT_IP).unwrap();
    let mut call = agent_ua
        .invite(sbc.sip_udp(), "+15550100", &agent.sdp(), SIP_TIMEOUT)
        .unwrap_or_else(|e| panic!("call: {e}\n{}", logs()));
    agent.set_remote(call.answer.rtp());
    let answered = customer_ua.wait_answered(SIP_TIMEOUT).unwrap();
    customer.set_remote(answered.offer.rtp());
    customer.play_tone(CUSTOMER_HZ);
    agent.play_tone(AGENT_HZ);
    desk.play_tone(DESK_HZ);
    expect("customer before the transfer", &customer, &[AGENT_HZ]);

    assert_eq!(call.refer(REFER_TO, SIP_TIMEOUT).unwrap(), 202);
    let desk_call = desk_ua
        .wait_answered(SIP_TIMEOUT)
        .unwrap_or_else(|e| panic!("desk: {e}\n{}", logs()));
    // The desk got an SBC endpoint of its own, and nothing of the agent side's
    // topology.
    assert_ne!(desk_call.offer.rtp(), call.answer.rtp());
    let invite = String::from_utf8_lossy(desk_call.invite.as_bytes()).into_owned();
    assert!(!invite.contains("desk.internal.example"), "{invite}");
    desk.set_remote(desk_call.offer.rtp());

    let notifies = call.wait_notifies(2, SIP_TIMEOUT).unwrap();
    let frags: Vec<String> = notifies
        .iter()
        .map(|n| String::from_utf8_lossy(n.body()).trim_end().to_owned())
        .collect();
    assert_eq!(frags, ["SIP/2.0 100 Trying", "SIP/2.0 200 OK"]);
    call.wait_bye(SIP_TIMEOUT).expect("BYE to the agent");

    expect("customer after the transfer", &customer, &[DESK_HZ]);
    expect("desk", &desk, &[CUSTOMER_HZ]);
    // The agent is gone from the media too (it hears nobody).
    let to = Instant::now();
    let heard = agent.listen_between(&TONES, to - WINDOW, to);
    heard.assert_hears("agent", &TONES, &[]);
    // The customer's dialog saw nothing: no re-INVITE, no BYE.
    assert!(customer_ua.wait_bye(Duration::from_millis(200)).is_err());

    for phone in [customer, desk, agent] {
        phone.stop().unwrap();
    }
}
