//! Prometheus text exposition: fetching `/metrics` over a plain TCP GET (no
//! HTTP client dependency) and looking series up by name and labels.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A series key: metric name plus its labels, sorted so that
/// `a{x="1",y="2"}` and `a{y="2",x="1"}` are the same series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesKey {
    pub name: String,
    pub labels: Vec<(String, String)>,
}

impl SeriesKey {
    /// Parses `name` or `name{k="v",...}`; `None` if malformed.
    pub fn parse(text: &str) -> Option<SeriesKey> {
        let text = text.trim();
        let Some(open) = text.find('{') else {
            return Some(SeriesKey {
                name: text.to_owned(),
                labels: Vec::new(),
            });
        };
        let name = text.get(..open)?.trim().to_owned();
        let body = text.get(open + 1..)?.strip_suffix('}')?;
        let mut labels = Vec::new();
        let mut rest = body.trim();
        while !rest.is_empty() {
            let eq = rest.find('=')?;
            let key = rest.get(..eq)?.trim().to_owned();
            let after = rest.get(eq + 1..)?.trim_start().strip_prefix('"')?;
            let (value, tail) = split_quoted(after)?;
            labels.push((key, value));
            rest = tail.trim_start().trim_start_matches(',').trim_start();
        }
        labels.sort();
        Some(SeriesKey { name, labels })
    }
}

/// Splits `value"rest` at the closing quote, undoing `\"`, `\\` and `\n`.
fn split_quoted(s: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, s.get(i + 1..)?)),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                other => value.push(other),
            },
            other => value.push(other),
        }
    }
    None
}

/// One sample line: its series and value (timestamps are ignored).
pub fn parse_sample(line: &str) -> Option<(SeriesKey, f64)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    // The value follows the label block (labels may hold spaces).
    let key_end = match line.find('{') {
        Some(_) => line.rfind('}')? + 1,
        None => line.find(char::is_whitespace)?,
    };
    let key = SeriesKey::parse(line.get(..key_end)?)?;
    let value = line.get(key_end..)?.split_whitespace().next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    Some((key, value))
}

/// All samples of an exposition.
pub fn parse(text: &str) -> Vec<(SeriesKey, f64)> {
    text.lines().filter_map(parse_sample).collect()
}

/// The value of exactly the series `name_with_labels`, if exposed.
pub fn lookup(text: &str, name_with_labels: &str) -> Option<f64> {
    let want = SeriesKey::parse(name_with_labels)?;
    parse(text)
        .into_iter()
        .find(|(key, _)| *key == want)
        .map(|(_, v)| v)
}

/// The sum of every series of metric `name`, whatever its labels.
pub fn sum(text: &str, name: &str) -> f64 {
    parse(text)
        .into_iter()
        .filter(|(key, _)| key.name == name)
        .map(|(_, v)| v)
        .sum()
}

/// Whether the exposition mentions metric `name` at all (a sample, or its
/// `# TYPE` line).
pub fn mentions(text: &str, name: &str) -> bool {
    let type_line = format!("# TYPE {name} ");
    text.lines().any(|l| l.starts_with(&type_line))
        || parse(text).iter().any(|(key, _)| key.name == name)
}

/// GET /metrics from `addr`; the body, or an error describing what failed.
pub fn fetch(addr: SocketAddr) -> Result<String, String> {
    let timeout = Duration::from_secs(5);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("connect to metrics {addr}: {e}"))?;
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    // HTTP/1.0 so the server closes after the body and never chunks it.
    let request = format!("GET /metrics HTTP/1.0\r\nHost: {addr}\r\nAccept: text/plain\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send metrics request: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read metrics response: {e}"))?;
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("malformed HTTP response from {addr}: {raw:?}"))?;
    let status = head.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(format!("GET /metrics from {addr}: {status}"));
    }
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().replace(' ', "") == "transfer-encoding:chunked");
    Ok(if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    })
}

/// Decodes a chunked body (in case the server ignores HTTP/1.0).
pub fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size_line, rest)) = body.split_once("\r\n") {
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size_hex, 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        let Some(chunk) = rest.get(..size) else {
            break;
        };
        out.push_str(chunk);
        body = rest
            .get(size..)
            .unwrap_or_default()
            .trim_start_matches("\r\n");
    }
    out
}
