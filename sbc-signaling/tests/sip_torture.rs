//! Torture tests for the SIP parser in the spirit of RFC 4475: odd but valid messages
//! must parse with the right field values, invalid ones must fail with the right
//! error and status, and nothing may panic.

use bytes::{Bytes, BytesMut};
use sbc_signaling::sip::{
    message_length, response_to, Frame, HeaderName, Method, ParseError, Rport, Scheme, SipMessage,
    StartLine, Uri, MAX_MESSAGE_BYTES,
};

fn parse(s: &str) -> Result<SipMessage, ParseError> {
    SipMessage::parse(Bytes::copy_from_slice(s.as_bytes()))
}

/// Builds a message from `head` (lines joined with CRLF, `{CL}` replaced by the body
/// length) and `body`.
fn msg(head: &[&str], body: &str) -> String {
    let head = head.join("\r\n").replace("{CL}", &body.len().to_string());
    format!("{head}\r\n\r\n{body}")
}

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\nm=audio 49217 RTP/AVP 0\r\n";

/// RFC 4475 §3.1.1.1 "wsinv": folding, odd case, LWS everywhere.
fn wsinv() -> String {
    msg(
        &[
            "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0",
            "TO :",
            " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
            "from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>",
            "  ;",
            "  tag = 98asjd8",
            "MaX-fOrWaRdS: 0068",
            "Call-ID: wsinv.ndaksdj@192.0.2.1",
            "Content-Length   : {CL}",
            "cseq: 0009",
            "  INVITE",
            "Via  : SIP  /   2.0",
            " /UDP",
            "    192.0.2.2;rport;branch=390skdjuw",
            "s :",
            "NewFangledHeader:   newfangled value",
            " continued newfangled value",
            "UnknownHeaderWithUnusualValue: ;;,,;;,;",
            "Content-Type: application/sdp",
            "Route:",
            " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>",
            "v:  SIP  / 2.0  / TCP     spindle.example.com   ;",
            "  branch  =   z9hG4bK9ikj8  ,",
            " SIP  /    2.0   / UDP  192.168.255.111   ; branch=",
            " z9hG4bK30239",
            "m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =",
            "      newvalue ;",
            "  secondparam ; q = 0.33",
        ],
        SDP,
    )
}

#[test]
fn wsinv_folding_and_whitespace() {
    let m = parse(&wsinv()).unwrap();
    assert_eq!(m.method(), Some(Method::Invite));
    assert_eq!(m.call_id(), Ok("wsinv.ndaksdj@192.0.2.1"));
    let cseq = m.cseq().unwrap();
    assert_eq!((cseq.seq, cseq.method), (9, Method::Invite));
    assert_eq!(m.max_forwards(), Ok(Some(68)));
    let to = m.to_hdr().unwrap();
    assert_eq!(
        (to.uri, to.tag()),
        ("sip:vivekg@chair-dnrc.example.com", Some("1918181833n"))
    );
    let from = m.from_hdr().unwrap();
    assert_eq!(from.display_name, Some(r#"J Rosenberg \\\""#));
    assert_eq!(from.tag(), Some("98asjd8"));
    let vias: Vec<_> = m.vias().collect::<Result<_, _>>().unwrap();
    assert_eq!(vias.len(), 3);
    assert_eq!(
        (vias[0].transport, vias[0].host, vias[0].rport()),
        ("UDP", "192.0.2.2", Rport::Requested)
    );
    assert_eq!(vias[0].branch(), Some("390skdjuw"));
    assert_eq!(
        (vias[1].transport, vias[1].host, vias[1].branch()),
        ("TCP", "spindle.example.com", Some("z9hG4bK9ikj8"))
    );
    assert_eq!(
        (vias[2].host, vias[2].branch()),
        ("192.168.255.111", Some("z9hG4bK30239"))
    );
    assert_eq!(m.top_via().unwrap(), vias[0]);
    let contact = m.contact().unwrap().unwrap();
    assert_eq!(contact.display_name, Some(r#"Quoted string \"\""#));
    assert_eq!(contact.param("newparam"), Some(Some("newvalue")));
    assert_eq!(contact.param("secondparam"), Some(None));
    assert_eq!(contact.param("q"), Some(Some("0.33")));
    assert_eq!(m.header(HeaderName::Subject), Some(""));
    assert_eq!(
        m.header_by_name("unknownheaderwithunusualvalue"),
        Some(";;,,;;,;")
    );
    assert_eq!(
        m.header_by_name("NewFangledHeader"),
        Some("newfangled value\r\n continued newfangled value")
    );
    let route = m.header_values(HeaderName::Route).next().unwrap();
    assert_eq!(
        route,
        "<sip:services.example.com;lr;unknownwith=value;unknown-no-value>"
    );
    assert_eq!(m.body(), SDP.as_bytes());
    assert_eq!(m.content_type(), Some("application/sdp"));
}

#[test]
fn compact_forms_everywhere() {
    let m = parse(&msg(
        &[
            "INVITE sip:bob@example.com SIP/2.0",
            "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKcompact",
            "f: <sip:alice@example.com>;tag=a",
            "t: <sip:bob@example.com>",
            "i: compact@192.0.2.1",
            "CSeq: 1 INVITE",
            "m: <sip:alice@192.0.2.1>",
            "k: 100rel, timer",
            "c: application/sdp",
            "x: 1800;refresher=uac",
            "l: {CL}",
        ],
        SDP,
    ))
    .unwrap();
    assert_eq!(m.call_id(), Ok("compact@192.0.2.1"));
    assert_eq!(m.from_hdr().unwrap().tag(), Some("a"));
    assert_eq!(m.to_hdr().unwrap().tag(), None);
    assert_eq!(
        m.header_values(HeaderName::Supported).collect::<Vec<_>>(),
        ["100rel", "timer"]
    );
    assert_eq!(
        m.header(HeaderName::SessionExpires),
        Some("1800;refresher=uac")
    );
    assert_eq!(m.content_type(), Some("application/sdp"));
    assert_eq!(m.body().len(), SDP.len());
    assert_eq!(
        m.header_by_name("Content-Length"),
        Some(SDP.len().to_string().as_str())
    );
}

#[test]
fn ipv6_everywhere() {
    let m = parse(&msg(
        &[
            "INVITE sip:bob@[2001:db8::10]:5070;transport=udp SIP/2.0",
            "Via: SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK6;received=[2001:db8::8];rport=5061",
            "From: <sip:alice@[2001:db8::9]>;tag=x",
            "To: <sip:bob@[2001:db8::10]:5070>",
            "Call-ID: v6@[2001:db8::9]",
            "CSeq: 2 INVITE",
            "Contact: <sip:alice@[2001:db8::9]:5060;transport=udp>",
            "Content-Length: 0",
        ],
        "",
    ))
    .unwrap();
    let uri = Uri::parse(m.request_uri().unwrap()).unwrap();
    assert_eq!(
        (uri.host, uri.port, uri.param("transport")),
        ("[2001:db8::10]", Some(5070), Some(Some("udp")))
    );
    let via = m.top_via().unwrap();
    assert_eq!(
        (via.host, via.port, via.received(), via.rport()),
        (
            "[2001:db8::9]",
            Some(5060),
            Some("[2001:db8::8]"),
            Rport::Value(5061)
        )
    );
    let c = m.contact().unwrap().unwrap().parsed_uri().unwrap();
    assert_eq!((c.host, c.port), ("[2001:db8::9]", Some(5060)));
}

#[test]
fn quoted_commas_and_contact_lists() {
    let m = parse(&msg(
        &[
            "REGISTER sip:registrar.example.com SIP/2.0",
            "Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKreg",
            "From: \"Doe, \\\"JD\\\" John\" <sip:jd@example.com>;tag=r1",
            "To: \"Doe, \\\"JD\\\" John\" <sip:jd@example.com>",
            "Call-ID: reg-1",
            "CSeq: 10 REGISTER",
            "Contact: \"A, B\" <sip:jd@192.0.2.1;x=\"1,2\">;expires=60, <sip:jd@192.0.2.2>;q=0.5",
            "Contact: sip:jd@192.0.2.3;expires=30",
            "Content-Length: 0",
        ],
        "",
    ))
    .unwrap();
    assert_eq!(
        m.from_hdr().unwrap().display_name,
        Some(r#"Doe, \"JD\" John"#)
    );
    let contacts: Vec<_> = m.header_values(HeaderName::Contact).collect();
    assert_eq!(contacts.len(), 3);
    assert_eq!(
        contacts[0],
        "\"A, B\" <sip:jd@192.0.2.1;x=\"1,2\">;expires=60"
    );
    assert_eq!(
        m.contact().unwrap().unwrap().param("expires"),
        Some(Some("60"))
    );
}

#[test]
fn unknown_headers_preserved_byte_exact_in_order() {
    let text = msg(
        &[
            "OPTIONS sip:x@example.com SIP/2.0",
            "Via: SIP/2.0/UDP h;branch=z9hG4bKo;x-unknown=\"weird;value\"",
            "X-Empty:",
            "X-Odd:   a,b ; c=\"d\"",
            "From: <sip:a@b>;tag=1",
            "To: <sip:x@example.com>",
            "Call-ID: opt",
            "CSeq: 1 OPTIONS",
        ],
        "",
    );
    let m = parse(&text).unwrap();
    let names: Vec<_> = m.headers().map(|h| h.raw_name).collect();
    assert_eq!(
        names,
        ["Via", "X-Empty", "X-Odd", "From", "To", "Call-ID", "CSeq"]
    );
    assert_eq!(m.header_by_name("x-empty"), Some(""));
    assert_eq!(m.header_by_name("X-ODD"), Some("a,b ; c=\"d\""));
    assert_eq!(
        m.top_via().unwrap().param("x-unknown"),
        Some(Some("\"weird;value\""))
    );
    assert!(m.body().is_empty());
}

#[test]
fn bare_lf_and_leading_crlf() {
    let text = "\r\n\r\nBYE sip:b@example.com SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKlf\nFrom: <sip:a@b>;tag=1\nTo: <sip:b@c>;tag=2\nCall-ID: lf\nCSeq: 3 BYE\nContent-Length: 0\n\n";
    let m = parse(text).unwrap();
    assert_eq!(m.method(), Some(Method::Bye));
    assert_eq!(m.to_hdr().unwrap().tag(), Some("2"));
}

#[test]
fn tel_uri_and_extension_method() {
    let m = parse(&msg(
        &[
            "NEWMETHOD tel:+1-201-555-0123;phone-context=example.com SIP/2.0",
            "Via: SIP/2.0/UDP h;branch=z9hG4bKtel",
            "From: <tel:+15551000>;tag=1",
            "To: <tel:+1-201-555-0123>",
            "Call-ID: tel",
            "CSeq: 1 NEWMETHOD",
        ],
        "",
    ))
    .unwrap();
    assert_eq!(m.method().map(|m| m.to_string()), Some("NEWMETHOD".into()));
    let uri = Uri::parse(m.request_uri().unwrap()).unwrap();
    assert_eq!(
        (uri.scheme, uri.user, uri.host),
        (Scheme::Tel, Some("+1-201-555-0123"), "")
    );
    let unknown = parse(&msg(
        &[
            "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0",
            "Via: SIP/2.0/UDP h;branch=z9hG4bKu",
            "From: <sip:a@b>;tag=1",
            "To: <sip:x@y>",
            "Call-ID: unk",
            "CSeq: 1 OPTIONS",
        ],
        "",
    ))
    .unwrap();
    assert_eq!(
        Uri::parse(unknown.request_uri().unwrap()).unwrap().scheme,
        Scheme::Other
    );
}

fn base_request() -> Vec<&'static str> {
    vec![
        "INVITE sip:bob@example.com SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKbase",
        "Max-Forwards: 70",
        "From: <sip:alice@example.com>;tag=1",
        "To: <sip:bob@example.com>",
        "Call-ID: base@192.0.2.1",
        "CSeq: 1 INVITE",
        "Content-Length: {CL}",
    ]
}

fn with(replace: &str, by: Option<&str>) -> String {
    let lines: Vec<&str> = base_request()
        .into_iter()
        .filter_map(|l| if l.starts_with(replace) { by } else { Some(l) })
        .collect();
    msg(&lines, "")
}

#[test]
fn missing_headers_are_400_with_reason() {
    for (prefix, name, reason) in [
        ("Via:", HeaderName::Via, "Missing Via"),
        ("From:", HeaderName::From, "Missing From"),
        ("To:", HeaderName::To, "Missing To"),
        ("Call-ID:", HeaderName::CallId, "Missing Call-ID"),
        ("CSeq:", HeaderName::CSeq, "Missing CSeq"),
    ] {
        let e = parse(&with(prefix, None)).unwrap_err();
        assert_eq!(e, ParseError::MissingHeader(name));
        assert_eq!((e.status(), e.reason().as_str()), (400, reason));
    }
    // Max-Forwards is never required at parse time.
    assert!(parse(&with("Max-Forwards:", None)).is_ok());
}

#[test]
fn invalid_messages_map_to_errors_and_statuses() {
    let cases: Vec<(String, ParseError, u16)> = vec![
        (
            with("INVITE", Some("INVITE sip:bob@example.com SIP/7.0")),
            ParseError::VersionNotSupported,
            505,
        ),
        (
            with("INVITE", Some("INVITE <sip:bob@example.com> SIP/2.0")),
            ParseError::BadStartLine,
            400,
        ),
        (
            with("INVITE", Some("INVITE sip:bob@example.com; lr SIP/2.0")),
            ParseError::BadStartLine,
            400,
        ),
        (
            with("CSeq:", Some("CSeq: abc INVITE")),
            ParseError::BadHeader(HeaderName::CSeq),
            400,
        ),
        (
            with("CSeq:", Some("CSeq: 1 BYE")),
            ParseError::CSeqMethodMismatch,
            400,
        ),
        (
            with("Content-Length:", Some("Content-Length: -5")),
            ParseError::BadContentLength,
            400,
        ),
        (
            with(
                "Content-Length:",
                Some("Content-Length: 99999999999999999999"),
            ),
            ParseError::BadContentLength,
            400,
        ),
        (
            with("Content-Length:", Some("Content-Length: 5000")),
            ParseError::Truncated,
            400,
        ),
        (
            with("Max-Forwards:", Some("NoColonHere")),
            ParseError::MissingColon,
            400,
        ),
        (
            with("Max-Forwards:", Some("Bad Name: x")),
            ParseError::BadHeaderName,
            400,
        ),
        (
            with("Call-ID:", Some("Call-ID: a\r\nCall-ID: b")),
            ParseError::BadHeader(HeaderName::CallId),
            400,
        ),
    ];
    for (text, err, status) in cases {
        let e = parse(&text).unwrap_err();
        assert_eq!((e, e.status()), (err, status), "{text}");
    }
    assert_eq!(
        ParseError::BadHeader(HeaderName::CSeq).reason(),
        "Bad CSeq header"
    );
}

#[test]
fn truncated_message() {
    let full = msg(&base_request(), "");
    let head_end = full.find("\r\n\r\n").unwrap();
    for cut in [10, 40, head_end, head_end + 2] {
        assert!(parse(&full[..cut]).is_err(), "{cut}");
    }
    assert_eq!(
        parse(&full[..head_end + 2]).unwrap_err(),
        ParseError::Truncated
    );
}

#[test]
fn oversized_message_is_513() {
    let pad = "X-Pad: ".to_string() + &"a".repeat(70_000);
    let text = msg(&[&base_request()[..7], &[pad.as_str()]].concat(), "");
    assert!(text.len() > MAX_MESSAGE_BYTES);
    let e = parse(&text).unwrap_err();
    assert!(matches!(e, ParseError::TooLarge { .. }));
    assert_eq!(e.status(), 513);
    assert!(matches!(
        message_length(text.as_bytes()),
        Err(ParseError::TooLarge { .. })
    ));
}

#[test]
fn many_headers_spill_past_inline_index() {
    let mut lines = base_request();
    let extra: Vec<String> = (0..100).map(|i| format!("X-H{i}: {i}")).collect();
    lines.extend(extra.iter().map(String::as_str));
    let m = parse(&msg(&lines, "")).unwrap();
    assert_eq!(m.headers().count(), 107);
    assert_eq!(m.header_by_name("x-h99"), Some("99"));
}

#[test]
fn non_utf8_from_is_refused_at_parse() {
    // From, To and Via are echoed in every response: a message whose copies could not
    // be written is refused outright (a request nobody can answer would hold its
    // transaction open forever).
    let mut raw = with("From:", Some("From: \"~\" <sip:a@b>;tag=1")).into_bytes();
    let i = raw.iter().position(|&b| b == b'~').unwrap();
    raw[i] = 0xfe;
    let err = SipMessage::parse(Bytes::from(raw)).unwrap_err();
    assert_eq!(err, ParseError::InvalidUtf8(HeaderName::From));
    assert_eq!(err.status(), 400);
}

#[test]
fn bad_typed_headers_do_not_fail_parse() {
    let m = parse(&with("Max-Forwards:", Some("Max-Forwards: 300"))).unwrap();
    assert_eq!(
        m.max_forwards(),
        Err(ParseError::BadHeader(HeaderName::MaxForwards))
    );
    let m = parse(&with("To:", Some("To: \"unbalanced <sip:bob@example.com>"))).unwrap();
    assert_eq!(m.to_hdr(), Err(ParseError::BadHeader(HeaderName::To)));
    let m = parse(&with("Via:", Some("Via: SIP/2.0/UDP"))).unwrap();
    assert_eq!(m.top_via(), Err(ParseError::BadHeader(HeaderName::Via)));
}

#[test]
fn responses() {
    let m = parse(&msg(
        &[
            "SIP/2.0 180 Ringing",
            "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKbase",
            "From: <sip:alice@example.com>;tag=1",
            "To: <sip:bob@example.com>;tag=b2",
            "Call-ID: base@192.0.2.1",
            "CSeq: 1 INVITE",
            "Content-Length: 0",
        ],
        "",
    ))
    .unwrap();
    assert_eq!(
        m.start_line(),
        StartLine::Response {
            status: 180,
            reason: "Ringing"
        }
    );
    assert_eq!(
        (m.status(), m.reason_phrase(), m.method()),
        (Some(180), Some("Ringing"), None)
    );
    assert_eq!(m.cseq().unwrap().method, Method::Invite);
    assert_eq!(m.max_forwards(), Ok(None));
}

#[test]
fn response_to_round_trip() {
    let req_text = msg(
        &[
            "INVITE sip:bob@example.com SIP/2.0",
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport",
            "v: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKb, SIP/2.0/UDP [2001:db8::1];branch=z9hG4bKc",
            "From: \"Al, \\\"ice\\\"\" <sip:alice@example.com>;tag=1",
            "To: Bob <sip:bob@example.com>",
            "i: rt@192.0.2.1",
            "CSeq: 77 INVITE",
            "l: {CL}",
        ],
        SDP,
    );
    let req = parse(&req_text).unwrap();
    let mut buf = BytesMut::with_capacity(1024);
    let mut w = response_to(&mut buf, &req, 200, "OK", Some("totag9"));
    w.header(HeaderName::Contact, "<sip:sbc@192.0.2.99>");
    let out = w.finish(Some("application/sdp"), SDP.as_bytes());
    assert!(buf.is_empty());
    let resp = SipMessage::parse(out).unwrap();
    assert_eq!(resp.status(), Some(200));
    assert_eq!(resp.call_id(), req.call_id());
    assert_eq!(resp.cseq(), req.cseq());
    let branches = |m: &SipMessage| -> Vec<String> {
        m.vias()
            .map(|v| v.unwrap().branch().unwrap().to_string())
            .collect()
    };
    assert_eq!(branches(&resp), ["z9hG4bKa", "z9hG4bKb", "z9hG4bKc"]);
    assert_eq!(resp.from_hdr().unwrap(), req.from_hdr().unwrap());
    assert_eq!(resp.to_hdr().unwrap().tag(), Some("totag9"));
    assert_eq!(resp.to_hdr().unwrap().uri, "sip:bob@example.com");
    assert_eq!(resp.body(), SDP.as_bytes());
    // A To that already has a tag keeps it.
    let resp2 = response_to(&mut buf, &resp, 180, "Ringing", Some("other")).finish(None, b"");
    let resp2 = SipMessage::parse(resp2).unwrap();
    assert_eq!(resp2.to_hdr().unwrap().tag(), Some("totag9"));
}

#[test]
fn stream_framing_matches_parse() {
    let one = msg(&base_request(), "");
    let stream = format!("\r\n\r\n{one}{one}");
    let mut bytes = stream.as_bytes();
    let mut parsed = 0;
    while !bytes.is_empty() {
        match message_length(bytes).unwrap() {
            Frame::KeepAlive { len } => bytes = &bytes[len..],
            Frame::Complete { len } => {
                parse(std::str::from_utf8(&bytes[..len]).unwrap()).unwrap();
                bytes = &bytes[len..];
                parsed += 1;
            }
            Frame::Incomplete => panic!("incomplete"),
        }
    }
    assert_eq!(parsed, 2);
}

/// Every prefix and many byte mutations of a rich message: errors allowed, panics not.
#[test]
fn no_panic_on_prefixes_and_mutations() {
    let base = wsinv().into_bytes();
    for cut in 0..base.len() {
        exercise(&base[..cut]);
    }
    let specials = [
        b'\r', b'\n', b' ', b':', b';', b',', b'"', b'<', b'>', b'[', b']', 0xff, b'\\', 0,
    ];
    for i in (0..base.len()).step_by(3) {
        for &s in &specials {
            let mut m = base.clone();
            m[i] = s;
            exercise(&m);
        }
    }
}

fn exercise(buf: &[u8]) {
    let _ = message_length(buf);
    let Ok(m) = SipMessage::parse(Bytes::copy_from_slice(buf)) else {
        return;
    };
    let _ = (
        m.start_line(),
        m.call_id(),
        m.cseq(),
        m.max_forwards(),
        m.content_type(),
    );
    let _ = m.top_via().map(|v| (v.branch(), v.received(), v.rport()));
    let _ = m.vias().count();
    let _ = m.from_hdr().map(|f| (f.tag(), f.parsed_uri()));
    let _ = m.to_hdr().map(|t| (t.tag(), t.parsed_uri()));
    let _ = m.contact().map(|c| c.map(|c| c.parsed_uri()));
    let _ = m.headers().count() + m.header_values(HeaderName::Route).count();
    let _ = m.request_uri().map(Uri::parse);
    let mut out = BytesMut::new();
    let _ = response_to(&mut out, &m, 200, "OK", Some("t")).finish(None, b"");
}
