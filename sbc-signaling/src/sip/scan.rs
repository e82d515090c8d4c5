//! Lexical helpers shared by the header parsers (RFC 3261 §25.1): tokens, linear white
//! space, top-level comma splitting and `;name=value` parameter lists.
//!
//! Folded header values are kept raw (they still contain `CRLF SP`), so every helper
//! here treats CR and LF exactly like SP and HT: as linear white space.

/// RFC 3261 `token` characters as a lookup table: this test runs on every byte of every
/// header name, so it must be one load rather than a chain of comparisons.
static TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        i += 1;
    }
    t
};

/// RFC 3261 `token` characters.
#[inline]
pub(crate) fn is_token_char(b: u8) -> bool {
    TOKEN[usize::from(b)]
}

/// True for a non-empty run of token characters.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_token_char(b))
}

/// Linear white space, including the CR/LF of a folded line.
#[inline]
pub(crate) fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Trims linear white space (including folds) from both ends.
pub(crate) fn trim_lws(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii() && is_lws(c as u8))
}

/// Trims linear white space from the start only.
pub(crate) fn trim_lws_start(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_ascii() && is_lws(c as u8))
}

/// Byte index of the closing quote of a quoted string whose opening quote is at
/// `open`, honouring `\"` escapes; `None` if unterminated.
pub(crate) fn closing_quote(s: &[u8], open: usize) -> Option<usize> {
    let mut i = open.checked_add(1)?;
    while let Some(&b) = s.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// First index of `needle` outside quoted strings and `<...>`; `None` if absent or the
/// quoting is unbalanced.
pub(crate) fn find_top_level(s: &str, needle: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut angle = false;
    while let Some(&b) = bytes.get(i) {
        if b == needle && !angle {
            return Some(i);
        }
        match b {
            b'"' if !angle => i = closing_quote(bytes, i)?,
            b'<' => angle = true,
            b'>' => angle = false,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Splits a list header value on commas outside quoted strings and `<...>`, yielding
/// trimmed, non-empty elements (RFC 3261 §7.3.1).
#[derive(Debug, Clone)]
pub(crate) struct CommaSplit<'a> {
    rest: Option<&'a str>,
}

impl<'a> CommaSplit<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        CommaSplit { rest: Some(s) }
    }
}

impl<'a> Iterator for CommaSplit<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let rest = self.rest?;
            let (item, tail) = match find_top_level(rest, b',') {
                Some(i) => (rest.get(..i)?, rest.get(i + 1..)),
                // No more top-level commas (or unbalanced quoting): the rest is one item.
                None => (rest, None),
            };
            self.rest = tail;
            let item = trim_lws(item);
            if !item.is_empty() {
                return Some(item);
            }
        }
    }
}

/// Iterates `;name[=value]` parameters (RFC 3261 `generic-param`), allowing LWS around
/// `;` and `=`. Quoted values are returned with their quotes. Iteration stops at the
/// first malformed parameter; [`Params::is_well_formed`] tells whether that happened.
#[derive(Debug, Clone)]
pub(crate) struct Params<'a> {
    rest: &'a str,
}

/// One parameter: its name and, unless it is a flag, its raw value.
pub(crate) type Param<'a> = (&'a str, Option<&'a str>);

impl<'a> Params<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        Params { rest: s }
    }

    /// True if every parameter in `s` parses (and nothing but parameters follows).
    pub(crate) fn is_well_formed(s: &'a str) -> bool {
        let mut it = Params::new(s);
        while it.next().is_some() {}
        trim_lws(it.rest).is_empty()
    }

    /// Looks a parameter up by case-insensitive name: `None` if absent, `Some(None)`
    /// for a flag, `Some(Some(v))` for a value.
    pub(crate) fn find(s: &'a str, name: &str) -> Option<Option<&'a str>> {
        Params::new(s)
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    fn parse_one(s: &'a str) -> Option<(Param<'a>, &'a str)> {
        let s = trim_lws_start(s).strip_prefix(';')?;
        let s = trim_lws_start(s);
        let name_len = s.bytes().take_while(|&b| is_token_char(b)).count();
        let (name, after) = (s.get(..name_len)?, s.get(name_len..)?);
        if name.is_empty() {
            return None;
        }
        let Some(v) = trim_lws_start(after).strip_prefix('=') else {
            return Some(((name, None), after));
        };
        let v = trim_lws_start(v);
        let len = match v.as_bytes().first() {
            Some(b'"') => closing_quote(v.as_bytes(), 0)? + 1,
            _ => v
                .bytes()
                .take_while(|&b| !is_lws(b) && !matches!(b, b';' | b',' | b'"'))
                .count(),
        };
        if len == 0 {
            return None;
        }
        Some(((name, Some(v.get(..len)?)), v.get(len..)?))
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        let (param, rest) = Params::parse_one(self.rest)?;
        self.rest = rest;
        Some(param)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_split_respects_quotes_and_angles() {
        let v = r#""a, \"b\" c" <sip:x@y;p=1,2>;q=1 , <sip:z>,,"#;
        let items: Vec<_> = CommaSplit::new(v).collect();
        assert_eq!(items, [r#""a, \"b\" c" <sip:x@y;p=1,2>;q=1"#, "<sip:z>"]);
        assert_eq!(CommaSplit::new("a,\r\n b").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(
            CommaSplit::new("\"open, b").collect::<Vec<_>>(),
            ["\"open, b"]
        );
    }

    #[test]
    fn params_with_lws_flags_and_quotes() {
        let p = " ; branch = z9hG4bK1 ;rport; received=[2001:db8::1];x=\"a;b\"";
        let all: Vec<_> = Params::new(p).collect();
        assert_eq!(
            all,
            [
                ("branch", Some("z9hG4bK1")),
                ("rport", None),
                ("received", Some("[2001:db8::1]")),
                ("x", Some("\"a;b\"")),
            ]
        );
        assert!(Params::is_well_formed(p));
        assert_eq!(Params::find(p, "BRANCH"), Some(Some("z9hG4bK1")));
        assert_eq!(Params::find(p, "rport"), Some(None));
        assert_eq!(Params::find(p, "nope"), None);
        assert!(!Params::is_well_formed(";a=1;=2"));
        assert!(!Params::is_well_formed(";a=\"open"));
        assert!(!Params::is_well_formed("junk"));
        assert!(Params::is_well_formed(""));
    }

    #[test]
    fn closing_quote_handles_escapes() {
        assert_eq!(closing_quote(br#""a\"b""#, 0), Some(5));
        assert_eq!(closing_quote(br#""a\"#, 0), None);
        assert_eq!(find_top_level("\"x;y\";z", b';'), Some(5));
    }
}
