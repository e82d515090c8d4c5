//! Which headers cross the SBC and which it owns. Topology hiding lives here: every
//! header that names a hop (Via, Contact, Route, Record-Route, Call-ID) or is rebuilt per
//! leg (From/To tags, CSeq, Max-Forwards, Content-*) is written by the SBC itself; the
//! rest passes end to end byte-exact, so extensions the SBC does not know (P-Asserted-
//! Identity, X-Agent-Id, Session-Expires, RSeq...) keep working.

use crate::sip::{HeaderName, MessageWriter, SipMessage};

/// Headers the SBC writes itself on each leg; never copied from the other leg.
fn is_leg_owned(name: HeaderName, raw_name: &str) -> bool {
    use HeaderName::*;
    match name {
        Via | From | To | CallId | CSeq | Contact | MaxForwards | Route | RecordRoute
        | ContentLength | ContentType | UserAgent | Server | Authorization | ProxyAuthorization
        | ProxyRequire | RAck | Allow => true,
        // Replaces names a dialog of the other leg (RFC 3891): forwarded as-is it leaks
        // that leg's Call-ID and tags and matches nothing on this one. Translating it is
        // the monitoring issue's take-over work; until then it stops here.
        Replaces => true,
        Other => {
            // Hop-by-hop headers of extensions that carry addresses of the other side.
            const OWNED: [&str; 4] = [
                "path",
                "service-route",
                "p-visited-network-id",
                "p-charging-vector",
            ];
            OWNED.iter().any(|o| raw_name.eq_ignore_ascii_case(o))
        }
        _ => false,
    }
}

/// Copies every end-to-end header of `from` into `w`, in order.
pub fn copy_end_to_end(from: &SipMessage, w: &mut MessageWriter<'_>) {
    for h in from.headers() {
        if !is_leg_owned(h.name, h.raw_name) {
            w.header_raw(h.raw_name, h.value);
        }
    }
}

/// Extensions the SBC can carry through: `Require` naming anything else gets 420.
pub const SUPPORTED_EXTENSIONS: [&str; 2] = ["100rel", "timer"];

/// The `Require` option tags of a request that the SBC does not support.
pub fn unsupported_requires(msg: &SipMessage) -> Vec<String> {
    msg.header_values(HeaderName::Require)
        .map(str::trim)
        .filter(|t| {
            !t.is_empty()
                && !SUPPORTED_EXTENSIONS
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(t))
        })
        .map(str::to_owned)
        .collect()
}

pub const ALLOW: &str =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, PRACK, MESSAGE, NOTIFY, REFER, SUBSCRIBE";

/// Removes the `tag` parameter from a From/To header value, keeping everything else
/// byte-exact. The tag is a header parameter: it follows the `>` of a name-addr, or the
/// URI of an addr-spec (where every `;` parameter belongs to the header).
pub fn strip_tag(value: &str) -> String {
    let params_start = match value.rfind('>') {
        Some(gt) => gt + 1,
        None => value.find(';').unwrap_or(value.len()),
    };
    let (head, params) = value.split_at(params_start);
    let mut out = String::with_capacity(value.len());
    out.push_str(head.trim_end());
    for p in params.split(';') {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        let name = p.split('=').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("tag") {
            continue;
        }
        out.push(';');
        out.push_str(p);
    }
    out
}

/// Writes `name: value;tag=tag`.
pub fn with_tag(value: &str, tag: Option<&str>) -> String {
    match tag {
        Some(t) => format!("{value};tag={t}"),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(extra: &str) -> SipMessage {
        let text = format!(
            "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
             From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\
             {extra}Content-Length: 0\r\n\r\n"
        );
        SipMessage::parse(bytes::Bytes::from(text)).unwrap()
    }

    #[test]
    fn replaces_is_not_supported_and_never_crosses() {
        let m = invite(
            "Require: 100rel, replaces\r\nReplaces: x@y;to-tag=1;from-tag=2\r\nX-Agent-Id: 7\r\n",
        );
        assert_eq!(unsupported_requires(&m), vec!["replaces".to_owned()]);
        let mut buf = bytes::BytesMut::new();
        let mut w = MessageWriter::request(&mut buf, crate::sip::Method::Invite, "sip:b@h");
        copy_end_to_end(&m, &mut w);
        let out = w.finish(None, b"");
        let text = std::str::from_utf8(&out).unwrap();
        assert!(!text.contains("Replaces:"), "{text}");
        assert!(
            text.contains("X-Agent-Id: 7"),
            "end-to-end headers still cross"
        );
    }

    #[test]
    fn strip_tag_keeps_other_params_and_uri_params() {
        assert_eq!(
            strip_tag("\"A;b\" <sip:a@h;lr>;tag=123;x=y"),
            "\"A;b\" <sip:a@h;lr>;x=y"
        );
        assert_eq!(strip_tag("sip:a@h;TAG=9"), "sip:a@h");
        assert_eq!(strip_tag("<sip:a@h>"), "<sip:a@h>");
        assert_eq!(strip_tag("<sip:a@h> ; tag = 5 "), "<sip:a@h>");
    }
}
