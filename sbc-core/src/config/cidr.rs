//! `IpNet`: an IPv4 or IPv6 network in CIDR form, as used by `trunk.accept_from`.
//!
//! Small on purpose (parse, display, contains): the SBC only needs membership tests.
//! Parsing is strict — a network with host bits set (`10.0.0.1/8`) is refused, because
//! in an ACL it is almost always a typo for something narrower or wider.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// A network: an address with all host bits zero and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    prefix_len: u8,
}

/// Why a string is not a network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpNetError {
    #[error("`{0}` is not an IP address")]
    BadAddress(String),
    #[error("prefix length `{0}` is not a number")]
    BadPrefix(String),
    #[error("prefix length /{len} is too long for {family} (max /{max})")]
    PrefixTooLong {
        len: u8,
        family: &'static str,
        max: u8,
    },
    #[error("`{given}` has host bits set; did you mean `{suggested}`?")]
    HostBitsSet { given: String, suggested: String },
}

impl IpNet {
    /// A network from an address and prefix length; `None` if the prefix is too long
    /// for the family. Host bits are cleared.
    pub fn new(addr: IpAddr, prefix_len: u8) -> Option<IpNet> {
        if prefix_len > max_prefix(addr) {
            return None;
        }
        // An IPv4-mapped network (::ffff:a.b.c.d/96+) is an IPv4 network: `contains`
        // compares sources in canonical (IPv4) form, so keep the network that way too.
        if let IpAddr::V6(v6) = addr {
            if let (Some(v4), true) = (v6.to_ipv4_mapped(), prefix_len >= 96) {
                return IpNet::new(IpAddr::V4(v4), prefix_len - 96);
            }
        }
        Some(IpNet {
            addr: mask(addr, prefix_len),
            prefix_len,
        })
    }

    /// The single-host network of `addr` (/32 or /128). An IPv4-mapped IPv6 address
    /// becomes its IPv4 host, so it matches what `contains` compares against.
    pub fn host(addr: IpAddr) -> IpNet {
        let addr = addr.to_canonical();
        IpNet {
            addr,
            prefix_len: max_prefix(addr),
        }
    }

    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Whether `ip` is inside this network. IPv4-mapped IPv6 sources (`::ffff:a.b.c.d`,
    /// what a dual-stack socket reports for IPv4 peers) match IPv4 networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                mask(ip, self.prefix_len) == self.addr
            }
            _ => false,
        }
    }
}

fn max_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// `addr` with everything after the first `prefix_len` bits cleared.
fn mask(addr: IpAddr, prefix_len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = u32::MAX
                .checked_shl(32 - u32::from(prefix_len))
                .unwrap_or(0);
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = u128::MAX
                .checked_shl(128 - u32::from(prefix_len))
                .unwrap_or(0);
            IpAddr::V6((bits & m).into())
        }
    }
}

impl FromStr for IpNet {
    type Err = IpNetError;

    /// `a.b.c.d/len`, `v6/len`, or a bare address (a single host).
    fn from_str(s: &str) -> Result<IpNet, IpNetError> {
        let (addr_text, prefix_text) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr_text
            .parse()
            .map_err(|_| IpNetError::BadAddress(addr_text.to_owned()))?;
        let Some(prefix_text) = prefix_text else {
            return Ok(IpNet::host(addr));
        };
        let len: u8 = prefix_text
            .parse()
            .map_err(|_| IpNetError::BadPrefix(prefix_text.to_owned()))?;
        let net = IpNet::new(addr, len).ok_or(IpNetError::PrefixTooLong {
            len,
            family: if addr.is_ipv4() { "IPv4" } else { "IPv6" },
            max: max_prefix(addr),
        })?;
        // Host bits are judged in the family written (a mapped network becomes IPv4).
        if mask(addr, len) != addr {
            return Err(IpNetError::HostBitsSet {
                given: s.to_owned(),
                suggested: net.to_string(),
            });
        }
        Ok(net)
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

#[cfg(test)]
mod tests {

    /// Found by the config fuzzer: a mapped network was kept as IPv6 and so matched no
    /// source (sources are compared in canonical IPv4 form).
    #[test]
    fn ipv4_mapped_networks_match_ipv4_sources() {
        let net: IpNet = "::ffff:10.0.0.0/104".parse().unwrap();
        assert_eq!(net.to_string(), "10.0.0.0/8");
        assert!(net.contains("10.1.2.3".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.2.3".parse().unwrap()));
    }

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_networks_and_hosts() {
        let n: IpNet = "127.0.0.0/8".parse().unwrap();
        assert_eq!(n.to_string(), "127.0.0.0/8");
        assert_eq!(
            "10.1.2.3".parse::<IpNet>().unwrap().to_string(),
            "10.1.2.3/32"
        );
        assert_eq!("2001:db8::/32".parse::<IpNet>().unwrap().prefix_len(), 32);
        assert_eq!("::1".parse::<IpNet>().unwrap().prefix_len(), 128);
        assert_eq!("0.0.0.0/0".parse::<IpNet>().unwrap().prefix_len(), 0);
    }

    #[test]
    fn rejects_malformed_networks() {
        assert!(matches!(
            "x/8".parse::<IpNet>(),
            Err(IpNetError::BadAddress(_))
        ));
        assert!(matches!(
            "10.0.0.0/".parse::<IpNet>(),
            Err(IpNetError::BadPrefix(_))
        ));
        assert!(matches!(
            "10.0.0.0/33".parse::<IpNet>(),
            Err(IpNetError::PrefixTooLong { .. })
        ));
        assert!(matches!(
            "::/129".parse::<IpNet>(),
            Err(IpNetError::PrefixTooLong { .. })
        ));
        let e = "10.0.0.1/8".parse::<IpNet>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "`10.0.0.1/8` has host bits set; did you mean `10.0.0.0/8`?"
        );
    }

    #[test]
    fn contains_respects_prefix_and_family() {
        let n: IpNet = "192.168.0.0/16".parse().unwrap();
        assert!(n.contains(ip("192.168.255.1")));
        assert!(!n.contains(ip("192.169.0.1")));
        assert!(!n.contains(ip("::1")));
        assert!(
            n.contains(ip("::ffff:192.168.1.1")),
            "v4-mapped source matches v4 net"
        );
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        let v6: IpNet = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")));
        assert!(!v6.contains(ip("2001:db9::5")));
    }
}
