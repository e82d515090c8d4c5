//! Header names the SBC reads or writes, recognised case-insensitively in long and
//! compact form (RFC 3261 §7.3.3 and the extension RFCs). Anything else is `Other` and
//! is matched by its raw name.

/// A header name known to the SBC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderName {
    Via,
    From,
    To,
    CallId,
    CSeq,
    Contact,
    MaxForwards,
    ContentLength,
    ContentType,
    ContentEncoding,
    Route,
    RecordRoute,
    Require,
    ProxyRequire,
    Supported,
    Unsupported,
    Allow,
    Accept,
    Expires,
    UserAgent,
    Server,
    RSeq,
    RAck,
    ReferTo,
    ReferredBy,
    Replaces,
    Event,
    SubscriptionState,
    Authorization,
    WwwAuthenticate,
    ProxyAuthorization,
    ProxyAuthenticate,
    PAssertedIdentity,
    PPreferredIdentity,
    SessionExpires,
    MinSe,
    Reason,
    Date,
    Timestamp,
    Subject,
    Organization,
    AllowEvents,
    /// Any header not listed above; read it with `header_by_name`.
    Other,
}

use HeaderName as H;

impl HeaderName {
    /// Recognises a header name, case-insensitively, in long or compact form:
    /// `i` Call-ID, `m` Contact, `e` Content-Encoding, `l` Content-Length,
    /// `c` Content-Type, `f` From, `s` Subject, `k` Supported, `t` To, `v` Via,
    /// `o` Event, `r` Refer-To, `b` Referred-By, `x` Session-Expires, `u` Allow-Events.
    /// Compact forms of headers outside this enum (`a`, `j`, `d`, `y`, `n`) are `Other`.
    pub fn from_bytes(name: &[u8]) -> HeaderName {
        let Some(&first) = name.first() else {
            return H::Other;
        };
        if name.len() == 1 {
            return compact(first.to_ascii_lowercase());
        }
        // Dispatch on (length, first letter): at most two candidates, so recognising a
        // name costs one or two case-insensitive compares of equal-length slices.
        let candidates: &[HeaderName] = match (name.len(), first.to_ascii_lowercase()) {
            (2, b't') => &[H::To],
            (3, b'v') => &[H::Via],
            (4, b'c') => &[H::CSeq],
            (4, b'd') => &[H::Date],
            (4, b'f') => &[H::From],
            (4, b'r') => &[H::RSeq, H::RAck],
            (5, b'a') => &[H::Allow],
            (5, b'e') => &[H::Event],
            (5, b'r') => &[H::Route],
            (6, b'a') => &[H::Accept],
            (6, b'm') => &[H::MinSe],
            (6, b'r') => &[H::Reason],
            (6, b's') => &[H::Server],
            (7, b'c') => &[H::CallId, H::Contact],
            (7, b'e') => &[H::Expires],
            (7, b'r') => &[H::Require],
            (7, b's') => &[H::Subject],
            (8, b'r') => &[H::ReferTo, H::Replaces],
            (9, b's') => &[H::Supported],
            (9, b't') => &[H::Timestamp],
            (10, b'u') => &[H::UserAgent],
            (11, b'r') => &[H::ReferredBy],
            (11, b'u') => &[H::Unsupported],
            (12, b'a') => &[H::AllowEvents],
            (12, b'c') => &[H::ContentType],
            (12, b'm') => &[H::MaxForwards],
            (12, b'o') => &[H::Organization],
            (12, b'r') => &[H::RecordRoute],
            (13, b'a') => &[H::Authorization],
            (13, b'p') => &[H::ProxyRequire],
            (14, b'c') => &[H::ContentLength],
            (15, b's') => &[H::SessionExpires],
            (16, b'c') => &[H::ContentEncoding],
            (16, b'w') => &[H::WwwAuthenticate],
            (18, b'p') => &[H::ProxyAuthenticate],
            (18, b's') => &[H::SubscriptionState],
            (19, b'p') => &[H::ProxyAuthorization, H::PAssertedIdentity],
            (20, b'p') => &[H::PPreferredIdentity],
            _ => &[],
        };
        candidates
            .iter()
            .copied()
            .find(|h| {
                // Canonical case is the norm on the wire: try one memcmp before the
                // byte-by-byte case-insensitive compare.
                let canon = h.as_str().as_bytes();
                canon == name || canon.eq_ignore_ascii_case(name)
            })
            .unwrap_or(H::Other)
    }

    /// The canonical long form; `Other` gives `""`.
    pub fn as_str(&self) -> &'static str {
        match self {
            H::Via => "Via",
            H::From => "From",
            H::To => "To",
            H::CallId => "Call-ID",
            H::CSeq => "CSeq",
            H::Contact => "Contact",
            H::MaxForwards => "Max-Forwards",
            H::ContentLength => "Content-Length",
            H::ContentType => "Content-Type",
            H::ContentEncoding => "Content-Encoding",
            H::Route => "Route",
            H::RecordRoute => "Record-Route",
            H::Require => "Require",
            H::ProxyRequire => "Proxy-Require",
            H::Supported => "Supported",
            H::Unsupported => "Unsupported",
            H::Allow => "Allow",
            H::Accept => "Accept",
            H::Expires => "Expires",
            H::UserAgent => "User-Agent",
            H::Server => "Server",
            H::RSeq => "RSeq",
            H::RAck => "RAck",
            H::ReferTo => "Refer-To",
            H::ReferredBy => "Referred-By",
            H::Replaces => "Replaces",
            H::Event => "Event",
            H::SubscriptionState => "Subscription-State",
            H::Authorization => "Authorization",
            H::WwwAuthenticate => "WWW-Authenticate",
            H::ProxyAuthorization => "Proxy-Authorization",
            H::ProxyAuthenticate => "Proxy-Authenticate",
            H::PAssertedIdentity => "P-Asserted-Identity",
            H::PPreferredIdentity => "P-Preferred-Identity",
            H::SessionExpires => "Session-Expires",
            H::MinSe => "Min-SE",
            H::Reason => "Reason",
            H::Date => "Date",
            H::Timestamp => "Timestamp",
            H::Subject => "Subject",
            H::Organization => "Organization",
            H::AllowEvents => "Allow-Events",
            H::Other => "",
        }
    }
}

/// Compact forms (RFC 3261 §7.3.3, RFC 3515, RFC 3892, RFC 4028, RFC 6665).
fn compact(c: u8) -> HeaderName {
    match c {
        b'i' => H::CallId,
        b'm' => H::Contact,
        b'e' => H::ContentEncoding,
        b'l' => H::ContentLength,
        b'c' => H::ContentType,
        b'f' => H::From,
        b's' => H::Subject,
        b'k' => H::Supported,
        b't' => H::To,
        b'v' => H::Via,
        b'o' => H::Event,
        b'r' => H::ReferTo,
        b'b' => H::ReferredBy,
        b'x' => H::SessionExpires,
        b'u' => H::AllowEvents,
        _ => H::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[HeaderName] = &[
        H::Via,
        H::From,
        H::To,
        H::CallId,
        H::CSeq,
        H::Contact,
        H::MaxForwards,
        H::ContentLength,
        H::ContentType,
        H::ContentEncoding,
        H::Route,
        H::RecordRoute,
        H::Require,
        H::ProxyRequire,
        H::Supported,
        H::Unsupported,
        H::Allow,
        H::Accept,
        H::Expires,
        H::UserAgent,
        H::Server,
        H::RSeq,
        H::RAck,
        H::ReferTo,
        H::ReferredBy,
        H::Replaces,
        H::Event,
        H::SubscriptionState,
        H::Authorization,
        H::WwwAuthenticate,
        H::ProxyAuthorization,
        H::ProxyAuthenticate,
        H::PAssertedIdentity,
        H::PPreferredIdentity,
        H::SessionExpires,
        H::MinSe,
        H::Reason,
        H::Date,
        H::Timestamp,
        H::Subject,
        H::Organization,
        H::AllowEvents,
    ];

    #[test]
    fn every_long_form_round_trips_in_any_case() {
        for h in ALL {
            let s = h.as_str();
            assert_eq!(HeaderName::from_bytes(s.as_bytes()), *h, "{s}");
            assert_eq!(
                HeaderName::from_bytes(s.to_ascii_uppercase().as_bytes()),
                *h
            );
            assert_eq!(
                HeaderName::from_bytes(s.to_ascii_lowercase().as_bytes()),
                *h
            );
        }
    }

    #[test]
    fn compact_forms() {
        let pairs = [
            ("i", H::CallId),
            ("M", H::Contact),
            ("l", H::ContentLength),
            ("v", H::Via),
            ("f", H::From),
            ("T", H::To),
            ("r", H::ReferTo),
            ("x", H::SessionExpires),
            ("a", H::Other),
        ];
        for (s, h) in pairs {
            assert_eq!(HeaderName::from_bytes(s.as_bytes()), h, "{s}");
        }
    }

    #[test]
    fn unknown_names() {
        assert_eq!(HeaderName::from_bytes(b"X-Custom"), H::Other);
        assert_eq!(HeaderName::from_bytes(b""), H::Other);
        assert_eq!(HeaderName::from_bytes(b"Vias"), H::Other);
        assert_eq!(H::Other.as_str(), "");
    }
}
