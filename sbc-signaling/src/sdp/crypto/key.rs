//! One SDES key (RFC 4568 §6.1): `inline:<base64 key||salt>[|lifetime][|MKI:length]`.
//! The master key and salt are secrets: they live in fixed arrays that are zeroed on
//! drop, and Debug shows only their lengths. (A move is a memcpy Rust does not zero;
//! keep `KeyParam`s in place — in a `CryptoAttr` — rather than shuffling them around.)

use std::fmt;

use rand::{CryptoRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

use super::base64::{self, DecodeError};
use super::error::CryptoError;
use super::params::digits;
use super::suite::{Suite, MAX_KEY_LEN, MAX_SALT_LEN};

/// A master key identifier (RFC 3711 §3.1): the value and its length on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mki {
    pub value: u32,
    /// Octets, 1..=128 as RFC 4568 §9.2 allows; the SBC uses at most 4.
    pub len: u8,
}

/// One master key and salt with its lifetime and MKI.
#[derive(Clone)]
pub struct KeyParam {
    key: [u8; MAX_KEY_LEN],
    salt: [u8; MAX_SALT_LEN],
    key_len: u8,
    salt_len: u8,
    /// Packets this key may protect (RFC 4568 §6.1), `None` for the transform's
    /// maximum. The media plane must stop using the key when it runs out.
    pub lifetime: Option<u64>,
    pub mki: Option<Mki>,
}

impl KeyParam {
    pub fn master_key(&self) -> &[u8] {
        self.key
            .get(..usize::from(self.key_len))
            .unwrap_or_default()
    }

    pub fn master_salt(&self) -> &[u8] {
        self.salt
            .get(..usize::from(self.salt_len))
            .unwrap_or_default()
    }

    /// Parses the key-info after `inline:` for `suite` (a supported one).
    pub(crate) fn parse(info: &str, suite: &Suite) -> Result<KeyParam, CryptoError> {
        let (key_len, salt_len) = suite
            .key_salt_len()
            .ok_or_else(|| CryptoError::UnsupportedSuite(suite.clone()))?;
        let mut fields = info.split('|');
        let key_salt = fields.next().unwrap_or_default();
        let (mut lifetime, mut mki) = (None, None);
        for field in fields {
            if field.contains(':') {
                if mki.replace(parse_mki(field)?).is_some() {
                    return Err(CryptoError::BadKeyFields);
                }
            } else if mki.is_some() || lifetime.replace(parse_lifetime(field)?).is_some() {
                // RFC 4568 §9.2: key-salt ["|" lifetime] ["|" mki], in that order.
                return Err(CryptoError::BadKeyFields);
            }
        }
        let length_error = |found| CryptoError::KeyLength {
            suite: suite.clone(),
            expected: key_len + salt_len,
            found,
        };
        let mut buf = Zeroizing::new([0u8; MAX_KEY_LEN + MAX_SALT_LEN]);
        let found = match base64::decode(key_salt, &mut buf[..]) {
            Ok(n) => n,
            Err(DecodeError::Invalid) => return Err(CryptoError::BadBase64),
            Err(DecodeError::TooLong { len }) => return Err(length_error(len)),
        };
        if found != key_len + salt_len {
            return Err(length_error(found));
        }
        let mut key = KeyParam::empty(key_len, salt_len);
        let (k, s) = buf.split_at_checked(key_len).unwrap_or_default();
        key.key
            .get_mut(..key_len)
            .unwrap_or_default()
            .copy_from_slice(k);
        let s = s.get(..salt_len).unwrap_or_default();
        key.salt
            .get_mut(..salt_len)
            .unwrap_or_default()
            .copy_from_slice(s);
        key.lifetime = lifetime;
        key.mki = mki;
        Ok(key)
    }

    /// A fresh key and salt for `suite` from a cryptographically secure generator; no
    /// lifetime (the transform's maximum) and no MKI, as most peers expect.
    pub(crate) fn random<R: RngCore + CryptoRng>(
        suite: &Suite,
        rng: &mut R,
    ) -> Result<KeyParam, CryptoError> {
        let (key_len, salt_len) = suite
            .key_salt_len()
            .ok_or_else(|| CryptoError::UnsupportedSuite(suite.clone()))?;
        let mut key = KeyParam::empty(key_len, salt_len);
        let k = key.key.get_mut(..key_len).unwrap_or_default();
        rng.try_fill_bytes(k).map_err(|_| CryptoError::Rng)?;
        let s = key.salt.get_mut(..salt_len).unwrap_or_default();
        rng.try_fill_bytes(s).map_err(|_| CryptoError::Rng)?;
        Ok(key)
    }

    fn empty(key_len: usize, salt_len: usize) -> KeyParam {
        KeyParam {
            key: [0; MAX_KEY_LEN],
            salt: [0; MAX_SALT_LEN],
            // Callers pass a suite's lengths, which fit the arrays (and so a u8).
            key_len: u8::try_from(key_len.min(MAX_KEY_LEN)).unwrap_or(0),
            salt_len: u8::try_from(salt_len.min(MAX_SALT_LEN)).unwrap_or(0),
            lifetime: None,
            mki: None,
        }
    }
}

impl Drop for KeyParam {
    fn drop(&mut self) {
        self.key.zeroize();
        self.salt.zeroize();
    }
}

impl fmt::Debug for KeyParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyParam")
            .field(
                "master_key",
                &format_args!("<{} octets redacted>", self.key_len),
            )
            .field(
                "master_salt",
                &format_args!("<{} octets redacted>", self.salt_len),
            )
            .field("lifetime", &self.lifetime)
            .field("mki", &self.mki)
            .finish()
    }
}

/// `inline:<key||salt, padded base64>[|2^n or decimal][|value:length]`.
impl fmt::Display for KeyParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut joined = Zeroizing::new([0u8; MAX_KEY_LEN + MAX_SALT_LEN]);
        let (key, salt) = (self.master_key(), self.master_salt());
        let total = key.len() + salt.len();
        joined
            .get_mut(..key.len())
            .unwrap_or_default()
            .copy_from_slice(key);
        joined
            .get_mut(key.len()..total)
            .unwrap_or_default()
            .copy_from_slice(salt);
        f.write_str("inline:")?;
        base64::encode(joined.get(..total).unwrap_or_default(), f)?;
        match self.lifetime {
            Some(n) if n.is_power_of_two() => write!(f, "|2^{}", n.trailing_zeros())?,
            Some(n) => write!(f, "|{n}")?,
            None => {}
        }
        if let Some(mki) = self.mki {
            write!(f, "|{}:{}", mki.value, mki.len)?;
        }
        Ok(())
    }
}

/// `["2^"] 1*DIGIT` (RFC 4568 §9.2), positive and below 2^64.
fn parse_lifetime(s: &str) -> Result<u64, CryptoError> {
    let value = match s.strip_prefix("2^") {
        Some(exp) => digits(exp, 1, 2).filter(|&n| n < 64).map(|n| 1u64 << n),
        None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        None => None,
    };
    value.filter(|&n| n > 0).ok_or(CryptoError::BadLifetime)
}

/// `mki-value ":" mki-length`, length 1*3DIGIT in 1..=128 (RFC 4568 §9.2). The value
/// must fit 32 bits (our limit) and `length` octets (else it cannot be sent).
fn parse_mki(s: &str) -> Result<Mki, CryptoError> {
    let (value, len) = s.split_once(':').ok_or(CryptoError::BadMki)?;
    let value = digits(value, 1, 10).ok_or(CryptoError::BadMki)?;
    let len = digits(len, 1, 3)
        .filter(|n| (1..=128).contains(n))
        .and_then(|n| u8::try_from(n).ok())
        .ok_or(CryptoError::BadMki)?;
    if len < 4 && u64::from(value) >> (8 * u32::from(len)) != 0 {
        return Err(CryptoError::BadMki);
    }
    Ok(Mki { value, len })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("2^20"), Ok(1 << 20));
        assert_eq!(parse_lifetime("2^63"), Ok(1 << 63));
        assert_eq!(parse_lifetime("1000"), Ok(1000));
        assert_eq!(parse_lifetime("18446744073709551615"), Ok(u64::MAX));
        for bad in [
            "",
            "0",
            "2^",
            "2^64",
            "2^-1",
            "+5",
            "18446744073709551616",
            "2^1x",
            "x",
        ] {
            assert_eq!(
                parse_lifetime(bad),
                Err(CryptoError::BadLifetime),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn mkis() {
        assert_eq!(parse_mki("1:4"), Ok(Mki { value: 1, len: 4 }));
        assert_eq!(parse_mki("255:1"), Ok(Mki { value: 255, len: 1 }));
        assert_eq!(parse_mki("1:128"), Ok(Mki { value: 1, len: 128 }));
        assert_eq!(
            parse_mki("4294967295:4"),
            Ok(Mki {
                value: u32::MAX,
                len: 4
            })
        );
        for bad in [
            "1",
            "1:0",
            "1:129",
            "256:1",
            "4294967296:8",
            ":4",
            "1:",
            "a:1",
            "1:2:3",
        ] {
            assert_eq!(parse_mki(bad), Err(CryptoError::BadMki), "{bad:?}");
        }
    }
}
