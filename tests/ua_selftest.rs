//! Self-tests of the test UA's monitoring parts, without the SBC: two Rust
//! RTP phones on loopback hear each other's tone (and not a third) in each
//! codec, payloads arrive bit for bit, RFC 4733 digits are well formed, the
//! digest client reproduces RFC 7616's worked examples, the continuity
//! checker flags what it must, and the SIP flows (digest retry, extra
//! headers, INFO, BYE from either side) work against a scripted UAS and
//! against the test callee.

mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::thread;
use std::time::{Duration, Instant};

use sbc_signaling::sip::{HeaderName, Method, SipMessage};
use support::ua::digest::{self, Challenge, DigestAlgorithm, DigestCredentials};
use support::ua::g711;
use support::ua::hash::{md5_hex, sha256_hex};
use support::ua::message::{self, Body, RequestHead};
use support::ua::rtp_checks::{self, continuity};
use support::ua::rtp_log::{PacketRecord, PayloadKind};
use support::ua::rtp_packet::RtpHeader;
use support::ua::transport::SipSocket;
use support::ua::{
    Callee, CalleeOptions, Caller, InviteOptions, LocalMedia, PhoneCodec, PhoneConfig, RtpMap,
    RtpPhone, UaError,
};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const A_HZ: f64 = 440.0;
const B_HZ: f64 = 1000.0;
const THIRD_HZ: f64 = 1700.0;
const SIP_TIMEOUT: Duration = Duration::from_secs(5);

fn ok<T>(r: Result<T, UaError>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

// ------------------------------------------------------------- media

/// Two phones in `codec` send each other a different tone for 1 s.
fn phones_hear_each_other(codec: PhoneCodec) {
    let a = ok(RtpPhone::start(PhoneConfig::new(LOOPBACK, codec)));
    let b = ok(RtpPhone::start(PhoneConfig::new(LOOPBACK, codec)));
    a.set_remote(b.local());
    b.set_remote(a.local());
    a.play_tone(A_HZ);
    b.play_tone(B_HZ);
    let start = Instant::now();
    // Past the decoders' warm-up (Opus and G.722 start from silence).
    let settled = start + Duration::from_millis(200);
    thread::sleep(Duration::from_millis(1200));
    let end = Instant::now();
    for (name, ear, speaker, own) in [("b", &b, A_HZ, B_HZ), ("a", &a, B_HZ, A_HZ)] {
        let report = ear.heard(speaker, settled, end);
        assert!(
            report.blocks >= 10 && report.tone_share() >= 0.95,
            "{codec:?}: {name} did not hear {speaker} Hz: {report:?}"
        );
        let heard = ear.listen_between(&[speaker, own, THIRD_HZ], settled, end);
        let why = heard.describe();
        assert_eq!(heard.streams.len(), 1, "{codec:?} {name}: {why}");
        assert!(heard.hears(speaker, 0.9), "{codec:?} {name}: {why}");
        assert!(!heard.hears(own, 0.02), "{codec:?} {name}: {why}");
        assert!(!heard.hears(THIRD_HZ, 0.02), "{codec:?} {name}: {why}");
        let c = ear.continuity(start, end, Duration::from_millis(250));
        assert!(
            c.is_seamless() && c.packets >= 30,
            "{codec:?} {name}: {c:?}"
        );
        eprintln!(
            "{codec:?} {name}: {} of {} blocks carry {speaker} Hz (min ratio {:.4}), \
             max ts drift {:.1} ms\n{why}",
            report.tone_blocks,
            report.blocks,
            report.min_ratio,
            c.max_ts_drift * 1000.0
        );
    }
    let m = b.matches_sent_by(&a);
    assert!(
        m.received >= 30 && m.matched == m.received,
        "{codec:?}: b's payloads are not a's: {m:?}"
    );
    let counters = b.counters();
    assert_eq!(
        counters.decode_errors + counters.malformed,
        0,
        "{counters:?}"
    );
    ok(a.stop());
    ok(b.stop());
}

#[test]
fn pcmu_phones_hear_each_other() {
    phones_hear_each_other(PhoneCodec::Pcmu);
}

#[test]
fn pcma_phones_hear_each_other() {
    phones_hear_each_other(PhoneCodec::Pcma);
}

#[test]
fn g722_phones_hear_each_other() {
    phones_hear_each_other(PhoneCodec::G722);
}

#[test]
fn opus_phones_hear_each_other() {
    phones_hear_each_other(PhoneCodec::Opus { pt: 111 });
}

/// A phone that stops sending goes quiet at the far end; one that sends
/// silence keeps the stream but carries no tone.
#[test]
fn silence_and_stop_are_not_heard() {
    let a = ok(RtpPhone::start(PhoneConfig::new(
        LOOPBACK,
        PhoneCodec::Pcmu,
    )));
    let b = ok(RtpPhone::start(PhoneConfig::new(
        LOOPBACK,
        PhoneCodec::Pcmu,
    )));
    a.set_remote(b.local());
    a.play_silence();
    thread::sleep(Duration::from_millis(300));
    let quiet = b.listen(&[A_HZ], Duration::from_millis(250));
    assert_eq!(quiet.loud_blocks(), 0, "{}", quiet.describe());
    assert!(quiet.streams.first().is_some_and(|s| s.packets >= 8));
    a.stop_sending();
    thread::sleep(Duration::from_millis(100));
    let (before, _) = b.counts();
    thread::sleep(Duration::from_millis(200));
    assert_eq!(b.counts().0, before, "packets after stop_sending");
}

/// RFC 4733 from the sender's log and as received: marker on the first
/// packet, growing durations, the end sent 3 times, one timestamp per
/// event; the audio after it resumes on the schedule's timestamp.
fn digits_are_well_formed(codec: PhoneCodec) {
    let start = Instant::now();
    let a = ok(RtpPhone::start(PhoneConfig::new(LOOPBACK, codec)));
    let b = ok(RtpPhone::start(PhoneConfig::new(LOOPBACK, codec)));
    a.set_remote(b.local());
    a.play_tone(A_HZ);
    thread::sleep(Duration::from_millis(100));
    ok(a.send_digit('5', Duration::from_millis(100)));
    ok(a.send_digit('#', Duration::from_millis(40)));
    let done = support::wait_for(Duration::from_secs(2), || {
        let sent = a.dtmf_sent();
        (sent.len() == 2 && sent.iter().all(|d| d.end_packets() == 3)).then_some(sent)
    });
    let sent = done.unwrap_or_else(|| panic!("{codec:?}: digits not sent: {:?}", a.dtmf_sent()));
    thread::sleep(Duration::from_millis(100));
    let tick = codec.ticks_per_frame() as u16;
    let want = [(5, vec![1, 2, 3, 4, 5, 5, 5]), (11, vec![1, 2, 2, 2])];
    for (digit, (event, frames)) in sent.iter().zip(want) {
        assert_eq!(digit.defect(), None, "{digit:?}");
        assert_eq!((digit.event, digit.pt, digit.volume), (event, 101, 10));
        let durations: Vec<u16> = frames.iter().map(|f| f * tick).collect();
        assert_eq!(digit.durations, durations, "{codec:?}: {digit:?}");
    }
    assert_eq!(b.dtmf_received(), sent, "{codec:?}: received != sent");
    // The audio packet after the '#' event: its slot is the event's start
    // plus the event's packets.
    let records = a.sent();
    let last = &sent[1];
    let after = records
        .iter()
        .skip_while(|r| r.header.seq != *last.seqs.last().unwrap_or(&0))
        .find(|r| r.kind == PayloadKind::Audio)
        .unwrap_or_else(|| panic!("no audio after the digits"));
    let slots = last.seqs.len() as u32;
    let step = after.header.ts.wrapping_sub(last.ts);
    assert_eq!(step, slots * codec.ticks_per_frame(), "{codec:?}");
    let c = b.continuity(start, Instant::now(), Duration::from_millis(250));
    assert!(c.is_seamless(), "{codec:?}: {c:?}");
}

#[test]
fn rfc4733_digits_are_well_formed_at_8khz() {
    digits_are_well_formed(PhoneCodec::Pcmu);
}

#[test]
fn rfc4733_digits_are_well_formed_on_the_opus_clock() {
    digits_are_well_formed(PhoneCodec::Opus { pt: 111 });
}

// ------------------------------------------------------ continuity checker

fn record(ssrc: u32, seq: u16, ts: u32, at: Instant) -> PacketRecord {
    PacketRecord {
        at,
        peer: SocketAddr::new(LOOPBACK, 9),
        header: RtpHeader::new(0, seq, ts, ssrc, false),
        payload: vec![0xFF; 160],
        kind: PayloadKind::Audio,
        clock_rate: 8000,
        pcm: Vec::new(),
        sample_rate: 0,
        decode_error: None,
    }
}

#[test]
fn continuity_flags_gaps_jumps_and_ssrc_changes() {
    let t0 = Instant::now();
    let ms = |n: u64| t0 + Duration::from_millis(n);
    let seamless: Vec<_> = (0..10u16)
        .map(|i| record(7, 100 + i, 1000 + 160 * u32::from(i), ms(20 * u64::from(i))))
        .collect();
    let tol = Duration::from_millis(30);
    assert!(continuity(&seamless, tol).is_seamless());

    let mut gap = seamless.clone();
    gap.remove(4);
    let c = continuity(&gap, tol);
    assert_eq!(c.seq_gaps.len(), 1, "{c:?}");
    assert_eq!((c.seq_gaps[0].after, c.seq_gaps[0].missing), (103, 1));
    assert!(c.ts_jumps.is_empty(), "a lost packet is not a jump: {c:?}");

    let mut jump = seamless.clone();
    for r in jump.iter_mut().skip(5) {
        r.header.ts = r.header.ts.wrapping_add(8000);
    }
    let c = continuity(&jump, tol);
    assert_eq!(c.ts_jumps.len(), 1, "{c:?}");
    assert!((c.max_ts_drift - 1.0).abs() < 1e-9, "{c:?}");

    let mut switched = seamless.clone();
    for r in switched.iter_mut().skip(6) {
        r.header.ssrc = 8;
        r.header.seq = r.header.seq.wrapping_add(5000);
    }
    let c = continuity(&switched, tol);
    assert_eq!((c.ssrcs.clone(), c.ssrc_changes), (vec![7, 8], 1), "{c:?}");
    assert!(c.seq_gaps.is_empty() && !c.is_seamless());

    let mut dup = seamless;
    dup.insert(3, dup[2].clone());
    assert_eq!(continuity(&dup, tol).seq_backwards, 1);
}

#[test]
fn payload_match_finds_the_first_foreign_payload() {
    let t0 = Instant::now();
    let sent: Vec<_> = (0..20u16)
        .map(|i| {
            let mut r = record(1, i, 0, t0);
            r.payload = vec![i as u8; 4];
            r
        })
        .collect();
    let mut received: Vec<_> = sent.iter().step_by(2).cloned().collect();
    let m = rtp_checks::match_payloads(&sent, &received);
    assert_eq!((m.received, m.matched, m.first_unmatched), (10, 10, None));
    received[4].payload[0] ^= 1;
    let m = rtp_checks::match_payloads(&sent, &received);
    assert_eq!((m.matched, m.first_unmatched), (9, Some(4)));
}

// ------------------------------------------------------------- G.711

#[test]
fn g711_matches_the_reference_points_and_round_trips() {
    assert_eq!(g711::linear_to_ulaw(0), 0xFF);
    assert_eq!(g711::linear_to_alaw(0), 0xD5);
    assert_eq!(g711::ulaw_to_linear(0x80), 32124);
    assert_eq!(g711::ulaw_to_linear(0x00), -32124);
    assert_eq!(g711::ulaw_to_linear(0xFF), 0);
    assert_eq!(g711::alaw_to_linear(0xD5), 8);
    assert_eq!(g711::alaw_to_linear(0xAA), 32256);
    for code in 0..=255u8 {
        let u = g711::ulaw_to_linear(code);
        // 0x7F is µ-law's negative zero; it encodes back as positive zero.
        if code != 0x7F {
            assert_eq!(g711::linear_to_ulaw(u), code, "µ-law {code:#x}");
        }
        assert_eq!(
            g711::linear_to_alaw(g711::alaw_to_linear(code)),
            code,
            "A-law {code:#x}"
        );
    }
    for x in (i16::MIN..=i16::MAX).step_by(7) {
        let bound = i32::from(x).abs() / 16 + 40;
        let eu = (i32::from(g711::ulaw_to_linear(g711::linear_to_ulaw(x))) - i32::from(x)).abs();
        let ea = (i32::from(g711::alaw_to_linear(g711::linear_to_alaw(x))) - i32::from(x)).abs();
        assert!(
            eu <= bound && ea <= bound,
            "{x}: µ-law error {eu}, A-law error {ea}"
        );
    }
}

// ------------------------------------------------------------- digest

#[test]
fn hashes_match_their_standard_vectors() {
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        md5_hex(
            b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
        ),
        "57edf4a22be3c955ac49da2e2107b67a"
    );
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
}

/// RFC 7616 §3.9.1: Mufasa / "Circle of Life" (erratum 4495: lower-case
/// "of"), GET /dir/index.html, nc=00000001, qop=auth.
const RFC_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const RFC_OPAQUE: &str = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
const RFC_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

fn rfc_challenge(algorithm: &str) -> String {
    format!(
        "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", \
         algorithm={algorithm}, nonce=\"{RFC_NONCE}\", opaque=\"{RFC_OPAQUE}\""
    )
}

fn param(value: &str, name: &str) -> Option<String> {
    digest::digest_params(value)?
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

#[test]
fn digest_responses_match_rfc_7616_examples() {
    let credentials = DigestCredentials::new("Mufasa", "Circle of Life");
    let cases = [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        (
            "SHA-256",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
    ];
    for (algorithm, want) in cases {
        let challenge = ok(Challenge::parse(&rfc_challenge(algorithm)));
        assert!(challenge.offers_auth());
        let value = credentials.authorization_with_cnonce(
            &challenge,
            "GET",
            "/dir/index.html",
            1,
            RFC_CNONCE,
        );
        assert_eq!(param(&value, "response").as_deref(), Some(want), "{value}");
        assert_eq!(param(&value, "nc").as_deref(), Some("00000001"));
        assert_eq!(param(&value, "qop").as_deref(), Some("auth"));
        assert_eq!(param(&value, "opaque").as_deref(), Some(RFC_OPAQUE));
        assert_eq!(param(&value, "algorithm").as_deref(), Some(algorithm));
    }
}

#[test]
fn digest_client_prefers_sha256_and_can_be_told_md5() {
    let challenges = [
        ok(Challenge::parse(&rfc_challenge("MD5"))),
        ok(Challenge::parse(&rfc_challenge("SHA-256"))),
        ok(Challenge::parse(&rfc_challenge("SHA-512-256"))),
    ];
    assert_eq!(challenges[2].algorithm, None);
    let c = DigestCredentials::new("u", "p");
    let pick = |c: &DigestCredentials| c.choose(&challenges).and_then(|ch| ch.algorithm);
    assert_eq!(pick(&c), Some(DigestAlgorithm::Sha256));
    let md5 = c.clone().with_algorithm(DigestAlgorithm::Md5);
    assert_eq!(pick(&md5), Some(DigestAlgorithm::Md5));
    let escaped = ok(Challenge::parse(
        r#"Digest realm="a \"quoted\" realm", nonce="n", stale=TRUE"#,
    ));
    assert_eq!(escaped.realm, "a \"quoted\" realm");
    assert!(escaped.stale && escaped.qop.is_empty());
    assert_eq!(escaped.algorithm, Some(DigestAlgorithm::Md5));
    assert!(Challenge::parse("Basic realm=\"x\"").is_err());
}

// ------------------------------------------------------------- SIP flows

/// A scripted UAS: challenges the first INVITE with 401 (SHA-256 and MD5),
/// checks the second's credentials, answers 200 with `X-Agent-Id`, answers
/// an INFO, then hangs up with its own BYE. Returns what it saw.
struct Script {
    invites: Vec<SipMessage>,
    info: Option<SipMessage>,
    bye_status: Option<u16>,
}

fn scripted_uas(sock: &SipSocket, password: &str) -> Result<Script, UaError> {
    let deadline = Instant::now() + SIP_TIMEOUT;
    let mut script = Script {
        invites: Vec::new(),
        info: None,
        bye_status: None,
    };
    let next = |want: Method| -> Result<(SipMessage, SocketAddr), UaError> {
        loop {
            match sock.recv_until(deadline)? {
                Some((m, from)) if m.method() == Some(want) => return Ok((m, from)),
                Some(_) => {}
                None if Instant::now() >= deadline => {
                    return Err(UaError::timeout(format!("{want}"), SIP_TIMEOUT))
                }
                None => {}
            }
        }
    };
    let (first, from) = next(Method::Invite)?;
    let challenge = |alg: &str| {
        (
            "WWW-Authenticate".to_owned(),
            format!("Digest realm=\"sbc\", nonce=\"n0nce\", algorithm={alg}, qop=\"auth\""),
        )
    };
    let challenges = [challenge("SHA-256"), challenge("MD5")];
    let unauthorized = message::response_with(
        &first,
        401,
        "Unauthorized",
        Some("uas"),
        None,
        &challenges,
        None,
    );
    sock.send(from, &unauthorized)?;
    script.invites.push(first);
    next(Method::Ack)?;
    let (second, from) = next(Method::Invite)?;
    let auth = second.header(HeaderName::Authorization).unwrap_or_default();
    let uri = second.request_uri().unwrap_or_default();
    let ch = Challenge::parse(&challenges[0].1)?;
    let cnonce = param(auth, "cnonce").unwrap_or_default();
    let expected = DigestCredentials::new("sup1", password)
        .authorization_with_cnonce(&ch, "INVITE", uri, 1, &cnonce);
    let status = if param(auth, "response") == param(&expected, "response") {
        200
    } else {
        403
    };
    let sdp = LocalMedia {
        ip: LOOPBACK,
        rtp_port: 9,
        rtcp_port: 10,
        crypto: Vec::new(),
    }
    .to_sdp(1, 1);
    let extra = [("X-Agent-Id".to_owned(), "a1".to_owned())];
    let local = Some(sock.local());
    let body = (status == 200).then(|| Body::sdp(&sdp));
    let answer =
        message::response_with(&second, status, "Answer", Some("uas"), local, &extra, body);
    sock.send(from, &answer)?;
    script.invites.push(second.clone());
    if status != 200 {
        return Ok(script);
    }
    next(Method::Ack)?;
    let (info, from) = next(Method::Info)?;
    sock.send(from, &message::response(&info, 200, "OK", None, None, None))?;
    script.info = Some(info);
    // Our BYE: From and To swapped, to the caller's Contact.
    let to = second
        .header(HeaderName::From)
        .unwrap_or_default()
        .to_owned();
    let from_hdr = format!(
        "{};tag=uas",
        second.header(HeaderName::To).unwrap_or_default()
    );
    let call_id = second
        .header(HeaderName::CallId)
        .unwrap_or_default()
        .to_owned();
    let head = RequestHead {
        local: sock.local(),
        branch: "byebranch",
        from: &from_hdr,
        to: &to,
        call_id: &call_id,
        cseq: 1,
        routes: &[],
    };
    let target = second
        .contact()
        .and_then(|c| c.ok())
        .map(|c| c.uri.to_owned())
        .unwrap_or_default();
    sock.send(from, &message::request("BYE", &target, &head, None))?;
    let deadline = Instant::now() + SIP_TIMEOUT;
    while script.bye_status.is_none() && Instant::now() < deadline {
        if let Some((m, _)) = sock.recv_until(deadline)? {
            if message::cseq_of(&m).is_some_and(|(_, method)| method == "BYE") {
                script.bye_status = m.status();
            }
        }
    }
    Ok(script)
}

#[test]
fn caller_answers_a_digest_challenge_sends_info_and_sees_the_bye() {
    let uas = ok(SipSocket::bind(LOOPBACK));
    let uas_addr = uas.local();
    let script = thread::spawn(move || scripted_uas(&uas, "secret"));
    let caller = ok(Caller::bind(LOOPBACK));
    let options = InviteOptions::default()
        .credentials(DigestCredentials::new("sup1", "secret"))
        .header("X-Queue", "billing")
        .caller_user("sup1");
    let sdp = LocalMedia {
        ip: LOOPBACK,
        rtp_port: 4000,
        rtcp_port: 4001,
        crypto: Vec::new(),
    }
    .to_sdp(1, 1);
    let mut call = ok(caller.invite_with(uas_addr, "*81a1", &sdp, SIP_TIMEOUT, &options));
    assert_eq!(call.ok.header_by_name("X-Agent-Id"), Some("a1"));
    let algorithms: Vec<_> = call.challenges.iter().map(|c| c.algorithm).collect();
    assert_eq!(
        algorithms,
        [Some(DigestAlgorithm::Sha256), Some(DigestAlgorithm::Md5)]
    );
    assert_eq!(ok(call.info_dtmf('2', 160, SIP_TIMEOUT)), 200);
    ok(call.wait_bye(SIP_TIMEOUT));
    assert!(call.bye_received());
    ok(call.hangup(SIP_TIMEOUT));
    let script = ok(script
        .join()
        .unwrap_or_else(|_| panic!("UAS thread panicked")));
    let [first, second] = script.invites.as_slice() else {
        panic!("want 2 INVITEs, got {}", script.invites.len());
    };
    let cseq = |m: &SipMessage| message::cseq_of(m).map(|(n, _)| n);
    assert_eq!((cseq(first), cseq(second)), (Some(1), Some(2)));
    assert_eq!(
        first.header(HeaderName::CallId),
        second.header(HeaderName::CallId)
    );
    assert!(first.header(HeaderName::Authorization).is_none());
    let auth = second.header(HeaderName::Authorization).unwrap_or_default();
    assert_eq!(
        param(auth, "algorithm").as_deref(),
        Some("SHA-256"),
        "{auth}"
    );
    assert_eq!(param(auth, "username").as_deref(), Some("sup1"));
    assert_eq!(param(auth, "uri").as_deref(), second.request_uri());
    assert!(second
        .request_uri()
        .is_some_and(|u| u.starts_with("sip:*81a1@")));
    assert_eq!(second.header_by_name("X-Queue"), Some("billing"));
    let info = script.info.unwrap_or_else(|| panic!("no INFO"));
    assert_eq!(
        info.header(HeaderName::ContentType),
        Some("application/dtmf-relay")
    );
    assert_eq!(info.body(), b"Signal=2\r\nDuration=160\r\n");
    assert_eq!(script.bye_status, Some(200));
}

#[test]
fn caller_reports_a_wrong_password_as_rejected() {
    let uas = ok(SipSocket::bind(LOOPBACK));
    let uas_addr = uas.local();
    let script = thread::spawn(move || scripted_uas(&uas, "right"));
    let caller = ok(Caller::bind(LOOPBACK));
    let options = InviteOptions::default().credentials(DigestCredentials::new("sup1", "wrong"));
    let sdp = LocalMedia {
        ip: LOOPBACK,
        rtp_port: 4000,
        rtcp_port: 4001,
        crypto: Vec::new(),
    }
    .to_sdp(1, 1);
    match caller.invite_with(uas_addr, "*81a1", &sdp, SIP_TIMEOUT, &options) {
        Err(UaError::Rejected { status: 403, .. }) => {}
        other => panic!("want 403, got {other:?}"),
    }
    let script = ok(script
        .join()
        .unwrap_or_else(|_| panic!("UAS thread panicked")));
    assert_eq!(script.invites.len(), 2);
}

/// The test callee adds headers to its 200, answers with the formats the
/// test picks from the offer, answers INFO, and reports the caller's BYE.
#[test]
fn callee_adds_headers_answers_info_and_reports_the_bye() {
    let answer = Box::new(|_: &support::ua::PeerMedia| {
        Ok(LocalMedia {
            ip: LOOPBACK,
            rtp_port: 5000,
            rtcp_port: 5001,
            crypto: Vec::new(),
        })
    });
    let options = CalleeOptions::default()
        .header("X-Agent-Id", "a1")
        .payloads(|offer| {
            offer
                .payload("opus")
                .into_iter()
                .cloned()
                .chain(offer.payload("telephone-event").cloned())
                .collect()
        });
    let callee = ok(Callee::spawn_with(
        LOOPBACK,
        SIP_TIMEOUT * 2,
        answer,
        options,
    ));
    let caller = ok(Caller::bind(LOOPBACK));
    let payloads = [
        RtpMap::pcmu(),
        RtpMap::opus(111),
        RtpMap::telephone_event(101, 48_000),
    ];
    let offer = LocalMedia {
        ip: LOOPBACK,
        rtp_port: 4000,
        rtcp_port: 4001,
        crypto: Vec::new(),
    }
    .to_sdp_with(1, 1, &payloads, "sendrecv");
    let options = InviteOptions::default().header("X-Queue", "q1");
    let mut call = ok(caller.invite_with(callee.addr(), "agent", &offer, SIP_TIMEOUT, &options));
    assert_eq!(call.ok.header_by_name("X-Agent-Id"), Some("a1"));
    let formats: Vec<u8> = call.answer.payloads.iter().map(|p| p.pt).collect();
    assert_eq!(formats, [111, 101], "{}", call.answer.raw);
    assert_eq!(call.answer.payload("opus"), Some(&RtpMap::opus(111)));
    assert_eq!(call.answer.direction, "sendrecv");
    let answered = ok(callee.wait_answered(SIP_TIMEOUT));
    assert_eq!(answered.invite.header_by_name("X-Queue"), Some("q1"));
    assert_eq!(ok(call.info_dtmf('#', 100, SIP_TIMEOUT)), 200);
    ok(call.hangup(SIP_TIMEOUT));
    ok(callee.wait_bye(SIP_TIMEOUT));
    ok(callee.join(SIP_TIMEOUT));
}

#[test]
fn g711_agrees_with_the_sbc_codec() {
    use sbc_media::codec::g711 as sbc;
    for code in 0..=255u8 {
        assert_eq!(
            g711::ulaw_to_linear(code),
            sbc::ulaw_decode(code),
            "µ-law {code:#x}"
        );
        assert_eq!(
            g711::alaw_to_linear(code),
            sbc::alaw_decode(code),
            "A-law {code:#x}"
        );
    }
    let mut differ = (0, 0);
    for x in i16::MIN..=i16::MAX {
        differ.0 += usize::from(g711::linear_to_ulaw(x) != sbc::ulaw_encode(x));
        differ.1 += usize::from(g711::linear_to_alaw(x) != sbc::alaw_encode(x));
    }
    assert_eq!(differ, (0, 0), "samples encoded differently (µ-law, A-law)");
}

/// Interop with the SBC's own verifier (the library, not the daemon): each
/// algorithm's answer is accepted, a wrong password is not.
#[test]
fn digest_client_satisfies_the_sbc_verifier() {
    use sbc_signaling::auth::{
        AuthFailure, Credentials, DigestVerifier, StoredCredential, VerifierSettings,
    };
    let origin = Instant::now();
    let settings = VerifierSettings {
        realm: "sbc.test".into(),
        nonce_lifetime: Duration::from_secs(30),
    };
    let mut verifier = DigestVerifier::new(settings, &[7; 32], origin);
    let uri = "sip:*81a1@127.0.0.1:5060";
    let stored = StoredCredential::from_password("sup1", "sbc.test", "pw");
    let challenges: Vec<Challenge> = verifier
        .challenges(origin, LOOPBACK, false)
        .iter()
        .map(|c| ok(Challenge::parse(c)))
        .collect();
    let mut verify = |credentials: &DigestCredentials, nc: u32| {
        let challenge = credentials
            .choose(&challenges)
            .unwrap_or_else(|| panic!("no challenge for {credentials:?} in {challenges:?}"));
        let value = credentials.authorization(challenge, "INVITE", uri, nc);
        let parsed = Credentials::parse(&value).unwrap_or_else(|e| panic!("{value}: {e}"));
        verifier.verify(origin, LOOPBACK, "INVITE", uri, &parsed, Some(&stored))
    };
    let right = DigestCredentials::new("sup1", "pw");
    assert_eq!(verify(&right, 1), Ok(()));
    assert_eq!(
        verify(&right.clone().with_algorithm(DigestAlgorithm::Md5), 2),
        Ok(())
    );
    assert_eq!(verify(&right, 2), Err(AuthFailure::Replayed));
    let wrong = DigestCredentials::new("sup1", "guess");
    assert_eq!(verify(&wrong, 3), Err(AuthFailure::BadResponse));
}
