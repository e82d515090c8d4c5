//! The test UA's digest client (RFC 3261 §22.4, RFC 7616 §3.4, RFC 8760):
//! reads the challenges of a 401/407 (`WWW-Authenticate`, possibly one per
//! algorithm), picks one, and writes the `Authorization` value with
//! qop=auth, a cnonce and a nonce count. Parsing and hashing are its own
//! (`hash`), independent of the SBC's verifier.

use std::fmt::{self, Write as _};

use super::hash::{md5_hex, sha256_hex};
use super::{keys, UaError};

/// The digest algorithms the client can answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    Md5,
    Sha256,
}

impl DigestAlgorithm {
    /// The `algorithm` token (RFC 7616 §6.1).
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Sha256 => "SHA-256",
        }
    }

    /// The algorithm of a challenge's `algorithm` parameter; absent is MD5
    /// (RFC 7616 §3.3). Session variants (`-sess`) are not answered.
    pub fn from_param(value: Option<&str>) -> Option<DigestAlgorithm> {
        match value {
            None => Some(DigestAlgorithm::Md5),
            Some(v) if v.eq_ignore_ascii_case("MD5") => Some(DigestAlgorithm::Md5),
            Some(v) if v.eq_ignore_ascii_case("SHA-256") => Some(DigestAlgorithm::Sha256),
            Some(_) => None,
        }
    }

    /// Lower-case hex hash of `data`.
    pub fn hex(self, data: &str) -> String {
        match self {
            DigestAlgorithm::Md5 => md5_hex(data.as_bytes()),
            DigestAlgorithm::Sha256 => sha256_hex(data.as_bytes()),
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `Digest` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    /// `None`: an algorithm we cannot answer (its token is in `algorithm_name`).
    pub algorithm: Option<DigestAlgorithm>,
    pub algorithm_name: Option<String>,
    /// The offered qop values (`auth`, `auth-int`); empty: RFC 2069 style.
    pub qop: Vec<String>,
    pub opaque: Option<String>,
    pub stale: bool,
}

impl Challenge {
    /// Parses a `WWW-Authenticate` / `Proxy-Authenticate` value.
    pub fn parse(value: &str) -> Result<Challenge, UaError> {
        let bad = |why: &str| UaError::Protocol(format!("challenge {value:?}: {why}"));
        let value = value.trim();
        let (scheme, rest) = value
            .split_once([' ', '\t'])
            .ok_or_else(|| bad("no scheme"))?;
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(bad("not Digest"));
        }
        let params = parse_params(rest).ok_or_else(|| bad("malformed parameters"))?;
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let algorithm_name = get("algorithm");
        Ok(Challenge {
            realm: get("realm").ok_or_else(|| bad("no realm"))?,
            nonce: get("nonce").ok_or_else(|| bad("no nonce"))?,
            algorithm: DigestAlgorithm::from_param(algorithm_name.as_deref()),
            algorithm_name,
            qop: get("qop")
                .map(|q| q.split(',').map(|s| s.trim().to_owned()).collect())
                .unwrap_or_default(),
            opaque: get("opaque"),
            stale: get("stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }

    /// Whether qop=auth is offered.
    pub fn offers_auth(&self) -> bool {
        self.qop.iter().any(|q| q.eq_ignore_ascii_case("auth"))
    }
}

/// Who we are and which algorithm to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCredentials {
    pub username: String,
    pub password: String,
    /// Answer only this algorithm's challenge; `None`: the strongest offered.
    pub algorithm: Option<DigestAlgorithm>,
}

impl DigestCredentials {
    pub fn new(username: &str, password: &str) -> DigestCredentials {
        DigestCredentials {
            username: username.to_owned(),
            password: password.to_owned(),
            algorithm: None,
        }
    }

    /// The same credentials, answering only `algorithm`.
    pub fn with_algorithm(mut self, algorithm: DigestAlgorithm) -> DigestCredentials {
        self.algorithm = Some(algorithm);
        self
    }

    /// The challenge to answer among `challenges`: the wanted algorithm, or
    /// SHA-256 before MD5 (RFC 8760 §2.4: the strongest the client supports).
    pub fn choose<'a>(&self, challenges: &'a [Challenge]) -> Option<&'a Challenge> {
        let order = match self.algorithm {
            Some(alg) => vec![alg],
            None => vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5],
        };
        order
            .into_iter()
            .find_map(|alg| challenges.iter().find(|c| c.algorithm == Some(alg)))
    }

    /// The `Authorization` value for `method` on `uri` answering `challenge`,
    /// with a fresh cnonce and nonce count `nc`.
    pub fn authorization(&self, challenge: &Challenge, method: &str, uri: &str, nc: u32) -> String {
        self.authorization_with_cnonce(challenge, method, uri, nc, &keys::token())
    }

    /// As [`Self::authorization`] with a given cnonce (for known vectors).
    pub fn authorization_with_cnonce(
        &self,
        challenge: &Challenge,
        method: &str,
        uri: &str,
        nc: u32,
        cnonce: &str,
    ) -> String {
        let alg = challenge.algorithm.unwrap_or(DigestAlgorithm::Md5);
        let qop = challenge.offers_auth().then_some("auth");
        let nc_text = format!("{nc:08x}");
        let response = response(
            alg,
            &Inputs {
                username: &self.username,
                realm: &challenge.realm,
                password: &self.password,
                method,
                uri,
                nonce: &challenge.nonce,
                qop: qop.map(|q| (q, nc_text.as_str(), cnonce)),
            },
        );
        let mut out = String::with_capacity(320);
        let _ = write!(
            out,
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", \
             response=\"{response}\", algorithm={}",
            quote(&self.username),
            quote(&challenge.realm),
            quote(&challenge.nonce),
            alg.name(),
        );
        if let Some(q) = qop {
            let _ = write!(out, ", cnonce=\"{}\", qop={q}, nc={nc_text}", quote(cnonce));
        }
        if let Some(opaque) = &challenge.opaque {
            let _ = write!(out, ", opaque=\"{}\"", quote(opaque));
        }
        out
    }
}

/// What goes into a digest response (RFC 7616 §3.4.1).
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub username: &'a str,
    pub realm: &'a str,
    pub password: &'a str,
    pub method: &'a str,
    pub uri: &'a str,
    pub nonce: &'a str,
    /// (qop, nc as 8 hex digits, cnonce); `None` for RFC 2069 style.
    pub qop: Option<(&'a str, &'a str, &'a str)>,
}

/// The `response` parameter: KD(H(A1), nonce:nc:cnonce:qop:H(A2)).
pub fn response(alg: DigestAlgorithm, i: &Inputs<'_>) -> String {
    let ha1 = alg.hex(&format!("{}:{}:{}", i.username, i.realm, i.password));
    let ha2 = alg.hex(&format!("{}:{}", i.method, i.uri));
    match i.qop {
        Some((qop, nc, cnonce)) => alg.hex(&format!(
            "{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}",
            nonce = i.nonce
        )),
        None => alg.hex(&format!("{ha1}:{}:{ha2}", i.nonce)),
    }
}

/// The parameters of a `Digest ...` value (a challenge or credentials),
/// unescaped, in order; `None` if it is not Digest or does not parse.
pub fn digest_params(value: &str) -> Option<Vec<(String, String)>> {
    let (scheme, rest) = value.trim().split_once([' ', '\t'])?;
    if !scheme.eq_ignore_ascii_case("Digest") {
        return None;
    }
    parse_params(rest)
}

/// Escapes a quoted-string's content (RFC 3261 §25.1).
fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `name=value` pairs separated by commas; values are tokens or quoted
/// strings with backslash escapes. `None` on a syntax error.
fn parse_params(input: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut rest = input.trim_start();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, tail) = match after.strip_prefix('"') {
            Some(quoted) => quoted_string(quoted)?,
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim_end().to_owned(), &after[end..])
            }
        };
        out.push((name.trim().to_owned(), value));
        rest = tail.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Some(out)
}

/// The unescaped content of a quoted string (after its opening quote) and
/// what follows its closing quote.
fn quoted_string(input: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = input.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => value.push(chars.next()?.1),
            '"' => return Some((value, &input[i + 1..])),
            c => value.push(c),
        }
    }
    None
}
