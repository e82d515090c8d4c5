//! Differential test against `rsip` 0.4: for realistic messages and generated
//! variants (compact names, odd case, LWS, folding, bare LF, IPv6, comma-joined Vias),
//! wherever both parsers accept a message, the fields the transaction and dialog
//! layers key on (Call-ID, CSeq number and method, top Via branch, From and To tags)
//! must agree. Also counts how often each parser rejects what the other accepts.

use bytes::Bytes;
use rsip::prelude::*;
use sbc_signaling::sip::SipMessage;

/// The fields both parsers must agree on.
#[derive(Debug, PartialEq, Eq)]
struct Keys {
    call_id: String,
    cseq: u32,
    method: String,
    branch: Option<String>,
    from_tag: Option<String>,
    to_tag: Option<String>,
}

fn ours(text: &str) -> Option<Keys> {
    let m = SipMessage::parse(Bytes::copy_from_slice(text.as_bytes())).ok()?;
    let cseq = m.cseq().ok()?;
    Some(Keys {
        call_id: m.call_id().ok()?.to_string(),
        cseq: cseq.seq,
        method: cseq.method.to_string(),
        branch: m.top_via().ok()?.branch().map(str::to_string),
        from_tag: m.from_hdr().ok()?.tag().map(str::to_string),
        to_tag: m.to_hdr().ok()?.tag().map(str::to_string),
    })
}

fn theirs(text: &str) -> Option<Keys> {
    let m = rsip::SipMessage::try_from(text).ok()?;
    let cseq = m.cseq_header().ok()?;
    Some(Keys {
        call_id: m.call_id_header().ok()?.value().to_string(),
        cseq: cseq.seq().ok()?,
        method: cseq.method().ok()?.to_string(),
        branch: m
            .via_header()
            .ok()?
            .typed()
            .ok()?
            .branch()
            .map(|b| b.to_string()),
        from_tag: m.from_header().ok()?.tag().ok()?.map(|t| t.to_string()),
        to_tag: m.to_header().ok()?.tag().ok()?.map(|t| t.to_string()),
    })
}

const SDP: &str = "v=0\r\no=- 20518 0 IN IP4 203.0.113.1\r\ns=-\r\nc=IN IP4 203.0.113.1\r\nt=0 0\r\nm=audio 54400 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

const VIA: &str = "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-524287-1---77ba;rport";
const FROM: &str = "From: \"Alice\" <sip:alice@example.com>;tag=9fxced76sl";
const TO: &str = "To: <sip:bob@example.net>";
const TO_TAGGED: &str = "To: <sip:bob@example.net>;tag=8321234356";
const CALL_ID: &str = "Call-ID: 3848276298220188511@203.0.113.1";

fn build(start: &str, headers: &[&str], body: &str) -> String {
    let mut s = format!("{start}\r\n");
    for h in headers {
        s.push_str(h);
        s.push_str("\r\n");
    }
    s.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s
}

fn base_messages() -> Vec<String> {
    let req = |method: &str, cseq: &str, to: &str, extra: &[&str], body: &str| {
        let mut h = vec![VIA, "Max-Forwards: 70", FROM, to, CALL_ID, cseq];
        h.extend_from_slice(extra);
        build(&format!("{method} sip:bob@example.net SIP/2.0"), &h, body)
    };
    let resp = |status: &str, cseq: &str, extra: &[&str], body: &str| {
        let mut h = vec![VIA, FROM, TO_TAGGED, CALL_ID, cseq];
        h.extend_from_slice(extra);
        build(&format!("SIP/2.0 {status}"), &h, body)
    };
    let contact = "Contact: <sip:alice@203.0.113.1:5060>";
    let sdp_ct = "Content-Type: application/sdp";
    vec![
        req(
            "INVITE",
            "CSeq: 1 INVITE",
            TO,
            &[
                contact,
                sdp_ct,
                "Allow: INVITE, ACK, BYE, CANCEL",
                "Supported: replaces, timer",
                "User-Agent: Test/1.0",
            ],
            SDP,
        ),
        resp("100 Trying", "CSeq: 1 INVITE", &[], ""),
        resp("180 Ringing", "CSeq: 1 INVITE", &[contact], ""),
        resp(
            "183 Session Progress",
            "CSeq: 1 INVITE",
            &[contact, sdp_ct],
            SDP,
        ),
        resp(
            "200 OK",
            "CSeq: 1 INVITE",
            &[contact, sdp_ct, "Record-Route: <sip:p1.example.com;lr>"],
            SDP,
        ),
        req("ACK", "CSeq: 1 ACK", TO_TAGGED, &[], ""),
        req("BYE", "CSeq: 2 BYE", TO_TAGGED, &[], ""),
        resp("200 OK", "CSeq: 2 BYE", &[], ""),
        req("CANCEL", "CSeq: 1 CANCEL", TO, &[], ""),
        resp("487 Request Terminated", "CSeq: 1 INVITE", &[], ""),
        resp("486 Busy Here", "CSeq: 1 INVITE", &[], ""),
        req(
            "OPTIONS",
            "CSeq: 100 OPTIONS",
            TO,
            &["Accept: application/sdp"],
            "",
        ),
        req(
            "REGISTER",
            "CSeq: 7 REGISTER",
            TO,
            &[contact, "Expires: 3600"],
            "",
        ),
        resp(
            "401 Unauthorized",
            "CSeq: 7 REGISTER",
            &["WWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\""],
            "",
        ),
        req(
            "INFO",
            "CSeq: 3 INFO",
            TO_TAGGED,
            &["Content-Type: application/dtmf-relay"],
            "Signal=5\r\nDuration=160\r\n",
        ),
        req(
            "UPDATE",
            "CSeq: 4 UPDATE",
            TO_TAGGED,
            &[contact, sdp_ct],
            SDP,
        ),
        req(
            "PRACK",
            "CSeq: 5 PRACK",
            TO_TAGGED,
            &["RAck: 1 1 INVITE"],
            "",
        ),
        req(
            "REFER",
            "CSeq: 6 REFER",
            TO_TAGGED,
            &["Refer-To: <sip:carol@example.org>", contact],
            "",
        ),
        req(
            "NOTIFY",
            "CSeq: 8 NOTIFY",
            TO_TAGGED,
            &[
                "Event: refer",
                "Subscription-State: active",
                "Content-Type: message/sipfrag",
            ],
            "SIP/2.0 200 OK\r\n",
        ),
        req(
            "MESSAGE",
            "CSeq: 9 MESSAGE",
            TO,
            &["Content-Type: text/plain"],
            "hello",
        ),
        req(
            "SUBSCRIBE",
            "CSeq: 10 SUBSCRIBE",
            TO,
            &["Event: presence", contact, "Expires: 600"],
            "",
        ),
    ]
}

/// Text transformations a real network produces.
fn variants(base: &str) -> Vec<(&'static str, String)> {
    let compact = base
        .replace("\nVia:", "\nv:")
        .replace("\nFrom:", "\nf:")
        .replace("\nTo:", "\nt:")
        .replace("\nCall-ID:", "\ni:")
        .replace("\nContact:", "\nm:")
        .replace("\nContent-Type:", "\nc:")
        .replace("\nContent-Length:", "\nl:");
    let lower = base
        .replace("\nVia:", "\nvia:")
        .replace("\nFrom:", "\nFROM:")
        .replace("\nCall-ID:", "\ncall-id:")
        .replace("\nCSeq:", "\ncseq:");
    let spaced = base
        .replace("\nVia: ", "\nVia  :   ")
        .replace("\nCSeq: ", "\nCSeq:\t ")
        .replace("\nFrom: ", "\nFrom:    ");
    let folded = base
        .replace(";branch=", "\r\n ;branch=")
        .replace(";tag=", " ;\r\n\ttag=");
    let head_end = base.find("\r\n\r\n").unwrap_or(base.len());
    let lf = format!(
        "{}{}",
        base[..head_end].replace("\r\n", "\n"),
        base[head_end..].replacen("\r\n\r\n", "\n\n", 1)
    );
    let v6 = base.replace("203.0.113.1:5060;branch", "[2001:db8::1]:5060;branch");
    let joined = base.replacen(
        "\r\nVia: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-524287-1---77ba;rport",
        "\r\nVia: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-524287-1---77ba;rport, SIP/2.0/TCP 198.51.100.7;branch=z9hG4bKdeep",
        1,
    );
    let two_lines = base.replacen(
        "\r\nFrom:",
        "\r\nVia: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKsecond\r\nFrom:",
        1,
    );
    let quoted = base.replace("\"Alice\"", "\"Alice \\\"A, B\\\" Liddell\"");
    let trailing = format!("{base}\r\n\r\n");
    vec![
        ("original", base.to_string()),
        ("compact", compact),
        ("lowercase", lower),
        ("spaced", spaced),
        ("folded", folded),
        ("bare-lf", lf),
        ("ipv6-via", v6),
        ("comma-via", joined),
        ("two-via-lines", two_lines),
        ("quoted-display", quoted),
        ("trailing-bytes", trailing),
    ]
}

#[test]
fn agrees_with_rsip_where_both_accept() {
    let (mut both, mut only_ours, mut only_rsip, mut neither) = (0, 0, 0, 0);
    let mut rsip_rejected: Vec<&str> = Vec::new();
    let mut we_rejected: Vec<String> = Vec::new();
    for base in base_messages() {
        for (kind, text) in variants(&base) {
            match (ours(&text), theirs(&text)) {
                (Some(a), Some(b)) => {
                    both += 1;
                    assert_eq!(a, b, "disagreement on {kind} variant:\n{text}");
                }
                (Some(_), None) => {
                    only_ours += 1;
                    rsip_rejected.push(kind);
                }
                (None, Some(_)) => {
                    only_rsip += 1;
                    we_rejected.push(format!("{kind}: {}", text.lines().next().unwrap_or("")));
                }
                (None, None) => neither += 1,
            }
        }
    }
    rsip_rejected.sort_unstable();
    rsip_rejected.dedup();
    println!(
        "rsip differential: both accept {both}, only we accept {only_ours}, only rsip accepts {only_rsip}, neither {neither}"
    );
    println!("variant kinds rsip rejected: {rsip_rejected:?}");
    assert!(both >= base_messages().len(), "too few comparable cases");
    assert!(
        we_rejected.is_empty(),
        "we rejected what rsip accepts: {we_rejected:#?}"
    );
    assert_eq!(neither, 0, "every generated variant is valid SIP");
}
