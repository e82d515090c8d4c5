//! The base64 alphabet of RFC 4648 §4, just for SDES key-salt (RFC 4568 §6.1): a
//! decoder that writes into a caller-owned fixed buffer (so key material never lands in
//! a growable heap allocation that could be copied and left behind un-zeroed) and that
//! accepts input with or without `=` padding (rtpengine and others send AEAD keys
//! unpadded), and an encoder that writes padded output straight into a formatter, as
//! RFC 4568 asks of senders.
//!
//! A dependency (the `base64` crate) would do the same with more configuration and an
//! intermediate `Vec`; these 80 lines are the whole need.

use std::fmt;

use zeroize::Zeroize;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Why a key-salt string is not base64 of the right size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// A character outside the alphabet, misplaced padding, or a length no encoder
    /// produces (4n+1 characters).
    Invalid,
    /// Valid base64, but of `len` bytes, more than the buffer holds.
    TooLong { len: usize },
}

/// Decodes `text` into the front of `out`, returning how many bytes it wrote. Padding
/// is optional but, when present, must complete the last quantum. Bits left over in
/// the last character are ignored (RFC 4648 §3.5 lets decoders accept them).
pub(crate) fn decode(text: &str, out: &mut [u8]) -> Result<usize, DecodeError> {
    let bytes = text.as_bytes();
    let unpadded = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="));
    let (data, padded) = match unpadded {
        Some(data) => (data, true),
        None => (bytes, false),
    };
    if (padded && !bytes.len().is_multiple_of(4)) || data.len() % 4 == 1 {
        return Err(DecodeError::Invalid);
    }
    let len = data.len() / 4 * 3 + (data.len() % 4).saturating_sub(1);
    if len > out.len() {
        return Err(DecodeError::TooLong { len });
    }
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut written = 0;
    for &c in data {
        acc = (acc << 6) | u32::from(sextet(c).ok_or(DecodeError::Invalid)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            if let Some(slot) = out.get_mut(written) {
                // Truncation keeps exactly the byte just completed.
                *slot = (acc >> bits) as u8;
            }
            written += 1;
        }
    }
    // The leftover bits may be key bits.
    acc.zeroize();
    Ok(written)
}

fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Writes `data` as padded base64.
pub(crate) fn encode(data: &[u8], f: &mut impl fmt::Write) -> fmt::Result {
    for chunk in data.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = ((n >> (18 - 6 * i)) & 0x3f) as usize;
                f.write_char(char::from(ALPHABET.get(index).copied().unwrap_or(b'A')))?;
            } else {
                f.write_char('=')?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Result<Vec<u8>, DecodeError> {
        let mut buf = [0u8; 64];
        let n = decode(text, &mut buf)?;
        Ok(buf[..n].to_vec())
    }

    fn enc(data: &[u8]) -> String {
        let mut s = String::new();
        encode(data, &mut s).unwrap();
        s
    }

    #[test]
    fn rfc4648_vectors_both_ways() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in vectors {
            assert_eq!(enc(plain.as_bytes()), coded);
            assert_eq!(dec(coded).unwrap(), plain.as_bytes());
            assert_eq!(dec(coded.trim_end_matches('=')).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn refuses_malformed_input() {
        for bad in [
            "Z", "Zg=", "Z===", "Zm9v=", "Zm 9", "Zm-v", "=Zm9", "Zg==Zg==", "é",
        ] {
            assert_eq!(dec(bad), Err(DecodeError::Invalid), "{bad:?}");
        }
        let mut small = [0u8; 2];
        assert_eq!(
            decode("Zm9v", &mut small),
            Err(DecodeError::TooLong { len: 3 })
        );
    }

    #[test]
    fn every_byte_value_round_trips() {
        let data: Vec<u8> = (0..=255).collect();
        let mut buf = [0u8; 256];
        let n = decode(&enc(&data), &mut buf).unwrap();
        assert_eq!(&buf[..n], &data[..]);
    }
}
