//! Why an `a=crypto` value was refused ([`CryptoError`]: it does not parse) or cannot be
//! used by the SBC ([`Unusable`]: it parses but asks for something the SRTP contexts do
//! not do). Neither ever carries key material, so both are safe to log and to put in a
//! Warning header.

use super::suite::Suite;

/// An `a=crypto` value that does not follow RFC 4568 §9, or a generation failure.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// A mandatory field (`tag`, `crypto-suite`, `key-params`) is absent.
    #[error("a=crypto has no {0}")]
    Missing(&'static str),
    /// The tag is not 1 to 9 decimal digits (RFC 4568 §9.1).
    #[error("a=crypto tag is not 1 to 9 digits")]
    BadTag,
    /// The suite name is not 1*(ALPHA / DIGIT / "_").
    #[error("a=crypto suite name is not letters, digits and '_'")]
    BadSuiteName,
    /// A key-param is not `<method>:<info>`, or its method is not `inline` (the only
    /// one defined for SRTP, RFC 4568 §6.1).
    #[error("a=crypto key-param is not inline:<key||salt>[|lifetime][|MKI:length]")]
    BadKeyMethod,
    /// More than the key-salt, a lifetime and an MKI in one key-param, or the lifetime
    /// after the MKI.
    #[error("a=crypto key-param has misplaced or extra '|' fields")]
    BadKeyFields,
    /// The key-salt is not base64 (padded or not).
    #[error("a=crypto key-salt is not base64")]
    BadBase64,
    /// The decoded key-salt does not have the suite's master key + salt length.
    #[error("a=crypto key-salt for {suite} is {found} octets, expected {expected}")]
    KeyLength {
        suite: Suite,
        expected: usize,
        found: usize,
    },
    /// The lifetime is not a positive decimal or `2^n` that fits 64 bits.
    #[error("a=crypto key lifetime is not a positive decimal or 2^n below 2^64")]
    BadLifetime,
    /// The MKI is not `value:length` with length 1..=128 and a value that fits both
    /// 32 bits and `length` octets.
    #[error("a=crypto MKI is not value:length (length 1..=128, value fitting it)")]
    BadMki,
    /// More key-params than anyone sends (the cap bounds the work on hostile input).
    #[error("a=crypto has more than {max} key-params")]
    TooManyKeys { max: usize },
    /// Several keys without an MKI to tell them apart (RFC 4568 §6.1 requires one).
    #[error("a=crypto has several keys but not every key has an MKI")]
    MultipleKeysWithoutMki,
    /// A known session parameter with a malformed value (named, never its value).
    #[error("a=crypto session parameter {0} has a bad value")]
    BadSessionParam(&'static str),
    /// Too many session parameters.
    #[error("a=crypto has more than {max} session parameters")]
    TooManySessionParams { max: usize },
    /// `generate` was asked for a suite the SBC does not implement.
    #[error("cannot generate keys for unsupported suite {0}")]
    UnsupportedSuite(Suite),
    /// The system random generator failed; no key was made.
    #[error("random generator failed")]
    Rng,
}

/// Why a well-formed crypto line cannot be used; the answerer skips it (RFC 4568 §7.1.2:
/// the answerer picks one acceptable line) and refuses the stream if none is left.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    #[error("crypto suite {0} is not supported")]
    Suite(Suite),
    /// KDR other than 0 (RFC 4568 §6.3.1, RFC 3711 §4.3.1): periodic re-derivation of
    /// session keys is not implemented by the SRTP contexts, and almost no one uses it.
    #[error("key derivation rate KDR={0} is not supported")]
    KeyDerivationRate(u8),
    /// UNENCRYPTED_SRTP / UNENCRYPTED_SRTCP (RFC 4568 §6.3.2): the SBC does not relay
    /// cleartext media on a leg that negotiated SRTP.
    #[error("unencrypted SRTP/SRTCP is not supported")]
    Unencrypted,
    /// UNAUTHENTICATED_SRTP (RFC 4568 §6.3.3): RFC 3711 §9.5 warns against it, and
    /// unauthenticated packets let anyone inject media through the SBC.
    #[error("unauthenticated SRTP is not supported")]
    Unauthenticated,
    /// FEC_KEY (RFC 4568 §6.3.5): the SBC does not protect an FEC stream.
    #[error("a separate FEC key is not supported")]
    FecKey,
    /// More than one key (RFC 4568 §6.1): switching keys by MKI mid-stream is not
    /// implemented by the SRTP contexts.
    #[error("more than one master key is not supported")]
    MultipleKeys,
    /// An MKI longer than 4 octets (the SRTP contexts carry at most a 32-bit MKI).
    #[error("MKI of {0} octets is not supported (at most 4)")]
    MkiLength(u8),
    /// A session parameter we do not know and that is not marked optional with a
    /// leading '-' (RFC 4568 §6.3.7: the attribute MUST then be considered invalid).
    #[error("unknown mandatory session parameter")]
    UnknownParam,
}
