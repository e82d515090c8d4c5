//! Just enough bencode for rtpengine's ng protocol: encode a dict of strings and lists,
//! decode a reply into a tree and look keys up.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bytes(Vec<u8>),
    Int(i64),
    List(Vec<Value>),
    Dict(BTreeMap<Vec<u8>, Value>),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Bytes(s.as_bytes().to_vec())
    }

    pub fn dict(pairs: &[(&str, Value)]) -> Value {
        Value::Dict(
            pairs
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.clone()))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(d) => d.get(key.as_bytes()),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Bytes(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Value::Bytes(b) => {
                out.extend_from_slice(format!("{}:", b.len()).as_bytes());
                out.extend_from_slice(b);
            }
            Value::Int(i) => out.extend_from_slice(format!("i{i}e").as_bytes()),
            Value::List(l) => {
                out.push(b'l');
                l.iter().for_each(|v| v.encode(out));
                out.push(b'e');
            }
            // BTreeMap keeps keys sorted, as bencode requires.
            Value::Dict(d) => {
                out.push(b'd');
                for (k, v) in d {
                    Value::Bytes(k.clone()).encode(out);
                    v.encode(out);
                }
                out.push(b'e');
            }
        }
    }

    /// Decodes one value; trailing bytes are an error.
    pub fn decode(input: &[u8]) -> Result<Value> {
        let (v, rest) = decode_at(input, 0)?;
        if !rest.is_empty() {
            bail!("trailing bytes after bencoded value");
        }
        Ok(v)
    }
}

/// Nesting bound: a hostile or broken reply cannot exhaust the stack.
const MAX_DEPTH: usize = 32;

fn decode_at(input: &[u8], depth: usize) -> Result<(Value, &[u8])> {
    if depth > MAX_DEPTH {
        bail!("bencode nested too deeply");
    }
    match input.first().context("bencode truncated")? {
        b'i' => {
            let end = input
                .iter()
                .position(|&c| c == b'e')
                .context("unterminated int")?;
            let n = std::str::from_utf8(&input[1..end])?.parse()?;
            Ok((Value::Int(n), &input[end + 1..]))
        }
        b'l' => {
            let mut rest = &input[1..];
            let mut items = Vec::new();
            while rest.first() != Some(&b'e') {
                let (v, r) = decode_at(rest, depth + 1)?;
                items.push(v);
                rest = r;
            }
            Ok((Value::List(items), &rest[1..]))
        }
        b'd' => {
            let mut rest = &input[1..];
            let mut map = BTreeMap::new();
            while rest.first() != Some(&b'e') {
                let (k, r) = decode_at(rest, depth + 1)?;
                let Value::Bytes(k) = k else {
                    bail!("bencode dict key is not a string");
                };
                let (v, r) = decode_at(r, depth + 1)?;
                map.insert(k, v);
                rest = r;
            }
            Ok((Value::Dict(map), &rest[1..]))
        }
        b'0'..=b'9' => {
            let colon = input
                .iter()
                .position(|&c| c == b':')
                .context("string without ':'")?;
            let len: usize = std::str::from_utf8(&input[..colon])?.parse()?;
            let body = input
                .get(colon + 1..colon + 1 + len)
                .context("string truncated")?;
            Ok((Value::Bytes(body.to_vec()), &input[colon + 1 + len..]))
        }
        c => bail!("unexpected bencode byte {c:#x}"),
    }
}
