//! Typed accessors on `SipMessage` for the headers the transaction layer and call
//! engine read on every message. Each re-parses from the index on demand (cheap: a
//! few comparisons on a short slice) and labels errors with the header they concern.

use super::message::SipMessage;
use super::scan::{trim_lws, CommaSplit};
use super::{HeaderName, Method, NameAddr, ParseError, Via};

/// The CSeq header: sequence number and method (RFC 3261 §20.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

impl CSeq {
    /// `CSeq = 1*DIGIT LWS Method`.
    pub fn parse(v: &str) -> Result<CSeq, ParseError> {
        let bad = ParseError::BadHeader(HeaderName::CSeq);
        let v = trim_lws(v);
        let digits = v.bytes().take_while(u8::is_ascii_digit).count();
        let (num, rest) = (v.get(..digits).ok_or(bad)?, v.get(digits..).ok_or(bad)?);
        if num.is_empty() || num.len() > 10 {
            return Err(bad);
        }
        let seq: u32 = num.parse().map_err(|_| bad)?;
        let method = trim_lws(rest);
        if method.len() == rest.len() {
            return Err(bad); // no LWS between number and method
        }
        let method = Method::parse(method.as_bytes()).map_err(|_| bad)?;
        Ok(CSeq { seq, method })
    }
}

impl SipMessage {
    /// The Call-ID (validated at parse time: present, non-empty, no white space).
    pub fn call_id(&self) -> Result<&str, ParseError> {
        let v = self.required_value(HeaderName::CallId)?;
        if v.is_empty()
            || v.bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(ParseError::BadHeader(HeaderName::CallId));
        }
        Ok(v)
    }

    /// The CSeq (validated at parse time).
    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        CSeq::parse(self.required_value(HeaderName::CSeq)?)
    }

    /// The topmost Via element (first element of the first Via line).
    pub fn top_via(&self) -> Result<Via<'_>, ParseError> {
        let v = self.required_value(HeaderName::Via)?;
        let first = CommaSplit::new(v)
            .next()
            .ok_or(ParseError::BadHeader(HeaderName::Via))?;
        Via::parse(first)
    }

    /// Every Via element, in order, across lines and commas. A Via line that is not
    /// UTF-8 yields one `InvalidUtf8(Via)` item.
    pub fn vias(&self) -> impl Iterator<Item = Result<Via<'_>, ParseError>> {
        self.entries(HeaderName::Via).flat_map(move |h| {
            let (text, err) = match self.text(h.value) {
                Some(t) => (t, None),
                None => ("", Some(Err(ParseError::InvalidUtf8(HeaderName::Via)))),
            };
            err.into_iter().chain(CommaSplit::new(text).map(Via::parse))
        })
    }

    /// The From header.
    pub fn from_hdr(&self) -> Result<NameAddr<'_>, ParseError> {
        self.name_addr(HeaderName::From)
    }

    /// The To header.
    pub fn to_hdr(&self) -> Result<NameAddr<'_>, ParseError> {
        self.name_addr(HeaderName::To)
    }

    /// The first Contact element, if any.
    pub fn contact(&self) -> Option<Result<NameAddr<'_>, ParseError>> {
        let h = self.entries(HeaderName::Contact).next()?;
        let relabel = |_| ParseError::BadHeader(HeaderName::Contact);
        Some(match self.text(h.value) {
            None => Err(ParseError::InvalidUtf8(HeaderName::Contact)),
            Some(v) => CommaSplit::new(v)
                .next()
                .ok_or(ParseError::BadHeader(HeaderName::Contact))
                .and_then(|first| NameAddr::parse(first).map_err(relabel)),
        })
    }

    /// Max-Forwards (0..=255); `Ok(None)` if absent.
    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        let Some(h) = self.entries(HeaderName::MaxForwards).next() else {
            return Ok(None);
        };
        let bad = ParseError::BadHeader(HeaderName::MaxForwards);
        let v = self.text(h.value).ok_or(bad)?;
        // Leading zeros are legal (`0068`, RFC 4475 §3.1.1.1); values above 255 are not.
        let digits = v.trim_start_matches('0');
        if v.is_empty() || digits.len() > 3 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad);
        }
        match digits {
            "" => Ok(Some(0)),
            d => d.parse().map(Some).map_err(|_| bad),
        }
    }

    /// The raw Content-Type value (media type and parameters).
    pub fn content_type(&self) -> Option<&str> {
        self.header(HeaderName::ContentType)
    }

    fn name_addr(&self, kind: HeaderName) -> Result<NameAddr<'_>, ParseError> {
        let v = self.required_value(kind)?;
        NameAddr::parse(v).map_err(|_| ParseError::BadHeader(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq_grammar() {
        assert_eq!(
            CSeq::parse("4711 INVITE"),
            Ok(CSeq {
                seq: 4711,
                method: Method::Invite
            })
        );
        assert_eq!(
            CSeq::parse(" 1\r\n\tACK ").map(|c| c.method),
            Ok(Method::Ack)
        );
        let bad = Err(ParseError::BadHeader(HeaderName::CSeq));
        for v in [
            "INVITE",
            "1INVITE",
            "-1 INVITE",
            "1 ",
            "99999999999 INVITE",
            "1 INVITE x",
            "4294967296 BYE",
        ] {
            assert_eq!(CSeq::parse(v), bad, "{v}");
        }
        assert_eq!(CSeq::parse("4294967295 BYE").map(|c| c.seq), Ok(u32::MAX));
    }
}
