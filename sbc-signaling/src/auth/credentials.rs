//! Parsing the value of an `Authorization` (or `Proxy-Authorization`) header field
//! carrying Digest credentials (RFC 3261 §25.1 `credentials`, RFC 7616 §3.4):
//! `Digest` then comma-separated `name=value` pairs, values being tokens or quoted
//! strings with backslash escapes. Unknown parameters are ignored, a repeated known
//! one is an error (which copy would count is ambiguous, a classic smuggling trick).

/// Longest value accepted: real credentials are a few hundred octets.
const MAX_LEN: usize = 4096;

/// The parameters a UAS checks. Values are unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Option<String>,
    pub cnonce: Option<String>,
    pub opaque: Option<String>,
    pub qop: Option<String>,
    pub nc: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("not Digest credentials")]
    NotDigest,
    #[error("credentials longer than {MAX_LEN} octets")]
    TooLong,
    #[error("malformed parameter list")]
    Syntax,
    #[error("parameter {0} appears twice")]
    Duplicate(&'static str),
    #[error("parameter {0} is missing")]
    Missing(&'static str),
}

impl Credentials {
    pub fn parse(value: &str) -> Result<Credentials, CredentialsError> {
        if value.len() > MAX_LEN {
            return Err(CredentialsError::TooLong);
        }
        let value = value.trim_start_matches([' ', '\t']);
        let (scheme, rest) = value
            .split_once([' ', '\t'])
            .ok_or(CredentialsError::NotDigest)?;
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(CredentialsError::NotDigest);
        }
        let mut c = Credentials::default();
        let mut seen = [false; NAMES.len()];
        let mut input = rest;
        loop {
            input = skip_lws(input);
            if input.is_empty() {
                break;
            }
            let (name, val, tail) = param(input)?;
            if let Some(i) = NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)) {
                let (Some(flag), Some(&canonical)) = (seen.get_mut(i), NAMES.get(i)) else {
                    return Err(CredentialsError::Syntax);
                };
                if std::mem::replace(flag, true) {
                    return Err(CredentialsError::Duplicate(canonical));
                }
                c.set(canonical, val);
            }
            input = skip_lws(tail);
            match input.strip_prefix(',') {
                Some(after) => input = after,
                None if input.is_empty() => break,
                None => return Err(CredentialsError::Syntax),
            }
        }
        for (i, required) in ["username", "realm", "nonce", "uri", "response"]
            .into_iter()
            .enumerate()
        {
            if !seen.get(i).copied().unwrap_or(false) {
                return Err(CredentialsError::Missing(required));
            }
        }
        Ok(c)
    }

    fn set(&mut self, name: &str, val: String) {
        match name {
            "username" => self.username = val,
            "realm" => self.realm = val,
            "nonce" => self.nonce = val,
            "uri" => self.uri = val,
            "response" => self.response = val,
            "algorithm" => self.algorithm = Some(val),
            "cnonce" => self.cnonce = Some(val),
            "opaque" => self.opaque = Some(val),
            "qop" => self.qop = Some(val),
            "nc" => self.nc = Some(val),
            _ => {}
        }
    }
}

/// Known parameters; the first five are required.
const NAMES: [&str; 10] = [
    "username",
    "realm",
    "nonce",
    "uri",
    "response",
    "algorithm",
    "cnonce",
    "opaque",
    "qop",
    "nc",
];

fn skip_lws(s: &str) -> &str {
    s.trim_start_matches([' ', '\t', '\r', '\n'])
}

/// One `name = value` at the start of `s`: the name, the unescaped value, the rest.
fn param(s: &str) -> Result<(&str, String, &str), CredentialsError> {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)))
        .unwrap_or(s.len());
    let (name, rest) = s.split_at(end);
    if name.is_empty() {
        return Err(CredentialsError::Syntax);
    }
    let rest = skip_lws(rest)
        .strip_prefix('=')
        .ok_or(CredentialsError::Syntax)?;
    let rest = skip_lws(rest);
    if let Some(quoted) = rest.strip_prefix('"') {
        let (val, tail) = quoted_string(quoted)?;
        return Ok((name, val, tail));
    }
    let end = rest
        .find(|c: char| c == ',' || c.is_ascii_whitespace())
        .unwrap_or(rest.len());
    let (token, tail) = rest.split_at(end);
    if token.is_empty() {
        return Err(CredentialsError::Syntax);
    }
    Ok((name, token.to_owned(), tail))
}

/// The body of a quoted string (after its opening quote): unescaped, and the rest
/// after the closing quote.
fn quoted_string(s: &str) -> Result<(String, &str), CredentialsError> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, s.get(i + 1..).unwrap_or(""))),
            '\\' => match chars.next() {
                Some((_, escaped)) => out.push(escaped),
                None => return Err(CredentialsError::Syntax),
            },
            _ => out.push(c),
        }
    }
    Err(CredentialsError::Syntax)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC: &str = r#"Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

    #[test]
    fn rfc3261_example_parses() {
        let c = Credentials::parse(RFC).unwrap();
        assert_eq!(c.username, "bob");
        assert_eq!(c.uri, "sip:bob@biloxi.com");
        assert_eq!(c.qop.as_deref(), Some("auth"));
        assert_eq!(c.nc.as_deref(), Some("00000001"));
        assert_eq!(c.algorithm, None);
    }

    #[test]
    fn escapes_case_and_spacing() {
        let c = Credentials::parse(
            "digest  USERNAME = \"a\\\"b\" ,realm=\"r\",\r\n nonce=\"n\",uri=\"u\",response=\"x\",algorithm=SHA-256,future=1",
        )
        .unwrap();
        assert_eq!(c.username, "a\"b");
        assert_eq!(c.algorithm.as_deref(), Some("SHA-256"));
    }

    #[test]
    fn bad_input_is_an_error() {
        let cases = [
            ("Basic dXNlcjpwYXNz", CredentialsError::NotDigest),
            ("Digest", CredentialsError::NotDigest),
            ("Digest username=\"a", CredentialsError::Syntax),
            ("Digest username=", CredentialsError::Syntax),
            ("Digest =x", CredentialsError::Syntax),
            ("Digest username=a realm=b", CredentialsError::Syntax),
            (
                "Digest username=a,username=b",
                CredentialsError::Duplicate("username"),
            ),
            ("Digest username=a", CredentialsError::Missing("realm")),
        ];
        for (input, want) in cases {
            assert_eq!(Credentials::parse(input), Err(want), "{input}");
        }
        assert_eq!(
            Credentials::parse(&format!("Digest username=\"{}\"", "a".repeat(5000))),
            Err(CredentialsError::TooLong)
        );
    }
}
