//! Session key derivation: the AES-CM PRF of RFC 3711 §4.3.1/§4.3.3 with
//! key_derivation_rate 0, also used unchanged by AEAD suites (RFC 7714 §11, the 96-bit
//! master salt is zero-padded to 112 bits). Runs once per context, never per packet.

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes::{Aes128, Aes256};

use super::error::SrtpKeyError;

/// RFC 3711 §4.3.2 key labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Label {
    RtpEncryption = 0,
    RtpAuth = 1,
    RtpSalt = 2,
    RtcpEncryption = 3,
    RtcpAuth = 4,
    RtcpSalt = 5,
}

/// The PRF keyed with the master key (AES-128 or AES-256 by key length).
pub(crate) enum Prf {
    Aes128(Aes128),
    Aes256(Aes256),
}

impl Prf {
    pub(crate) fn new(master_key: &[u8]) -> Result<Self, SrtpKeyError> {
        match master_key.len() {
            16 => Aes128::new_from_slice(master_key)
                .map(Self::Aes128)
                .map_err(|_| SrtpKeyError::Cipher),
            32 => Aes256::new_from_slice(master_key)
                .map(Self::Aes256)
                .map_err(|_| SrtpKeyError::Cipher),
            got => Err(SrtpKeyError::MasterKeyLength { want: 16, got }),
        }
    }

    /// Fill `out` with the keystream for `label`: x = master_salt XOR (label || 0^48)
    /// (label at octet 7 of the 14-octet value), AES-CM with IV x * 2^16.
    pub(crate) fn derive(&self, master_salt: &[u8], label: Label, out: &mut [u8]) {
        let mut x = [0u8; 16];
        let n = master_salt.len().min(14);
        x[..n].copy_from_slice(&master_salt[..n]);
        x[7] ^= label as u8;
        for (i, chunk) in out.chunks_mut(16).enumerate() {
            let mut block = aes::Block::from(x);
            // The block counter occupies the low 16 bits; outputs here are < 3 blocks.
            block[14..16].copy_from_slice(&(i as u16).to_be_bytes());
            match self {
                Self::Aes128(c) => c.encrypt_block(&mut block),
                Self::Aes256(c) => c.encrypt_block(&mut block),
            }
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 3711 Appendix B.3.
    #[test]
    fn rfc3711_b3_key_derivation() {
        let prf = Prf::new(&hex("E1F97A0D3E018BE0D64FA32C06DE4139")).unwrap();
        let salt = hex("0EC675AD498AFEEBB6960B3AABE6");
        let mut key = [0u8; 16];
        prf.derive(&salt, Label::RtpEncryption, &mut key);
        assert_eq!(key.to_vec(), hex("C61E7A93744F39EE10734AFE3FF7A087"));
        let mut s = [0u8; 14];
        prf.derive(&salt, Label::RtpSalt, &mut s);
        assert_eq!(s.to_vec(), hex("30CBBC08863D8C85D49DB34A9AE1"));
        let mut auth = [0u8; 94];
        prf.derive(&salt, Label::RtpAuth, &mut auth);
        let want = hex(
            "CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE
             E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25
             6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2",
        );
        assert_eq!(auth.to_vec(), want);
        let mut auth20 = [0u8; 20];
        prf.derive(&salt, Label::RtpAuth, &mut auth20);
        assert_eq!(
            auth20.to_vec(),
            hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
        );
    }
}
