//! Lookups the call engine makes against a loaded config: which trunk a source belongs
//! to, a trunk by name, and the route for a new call.
//!
//! Linear scans on purpose: trunk and route lists are tens of entries, looked up once
//! per new dialog, and first-match-in-file-order is the documented semantics. If lists
//! grow to thousands, compile an index at load time without changing these signatures.

use std::net::IpAddr;

use super::schema::{Config, RouteConfig, TrunkConfig};
use crate::ids::TrunkName;

impl TrunkConfig {
    /// Whether a request from `ip` is accepted as coming from this trunk.
    pub fn accepts(&self, ip: IpAddr) -> bool {
        self.accept_from.iter().any(|net| net.contains(ip))
    }
}

impl RouteConfig {
    /// Whether a new call from `ingress` to Request-URI user `user` takes this route.
    pub fn matches(&self, ingress: Option<&TrunkName>, user: &str) -> bool {
        let ingress_ok = match &self.ingress_trunk {
            None => true,
            Some(want) => ingress == Some(want),
        };
        let user_ok = match &self.user_prefix {
            None => true,
            Some(prefix) => user.starts_with(prefix.as_str()),
        };
        ingress_ok && user_ok
    }
}

impl Config {
    /// The trunk called `name`.
    pub fn trunk(&self, name: &TrunkName) -> Option<&TrunkConfig> {
        self.trunks.iter().find(|t| &t.name == name)
    }

    /// The trunk a request from `source` belongs to (first whose accept_from contains
    /// it). `None` means the request is from an unknown source: answer 403.
    pub fn ingress_trunk(&self, source: IpAddr) -> Option<&TrunkConfig> {
        self.trunks.iter().find(|t| t.accepts(source))
    }

    /// First route matching (ingress trunk, Request-URI user). `None`: answer 404.
    pub fn route(&self, ingress: Option<&TrunkName>, user: &str) -> Option<&RouteConfig> {
        self.routes.iter().find(|r| r.matches(ingress, user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{IpNet, Transport};

    fn trunk(name: &str, addr: &str, nets: &[&str]) -> TrunkConfig {
        TrunkConfig {
            name: TrunkName::new(name),
            address: addr.parse().unwrap(),
            transport: Transport::Udp,
            accept_from: nets.iter().map(|n| n.parse::<IpNet>().unwrap()).collect(),
            srtp: Default::default(),
            srtp_suites: crate::media::SrtpSuite::ALL.to_vec(),
            refer: Default::default(),
        }
    }

    fn route(name: &str, ingress: Option<&str>, prefix: Option<&str>, target: &str) -> RouteConfig {
        RouteConfig {
            name: name.into(),
            ingress_trunk: ingress.map(TrunkName::new),
            user_prefix: prefix.map(str::to_owned),
            target: TrunkName::new(target),
        }
    }

    fn config() -> Config {
        Config {
            trunks: vec![
                trunk("carrier", "192.0.2.10:5060", &["192.0.2.0/24"]),
                trunk("pbx", "10.0.0.5:5060", &["10.0.0.0/8", "192.0.2.77"]),
            ],
            routes: vec![
                route("emergency", None, Some("911"), "carrier"),
                route("inbound", Some("carrier"), None, "pbx"),
                route("outbound", Some("pbx"), Some("+"), "carrier"),
            ],
            ..Config::default()
        }
    }

    #[test]
    fn ingress_trunk_is_first_accepting_trunk() {
        let c = config();
        let name = |ip: &str| {
            c.ingress_trunk(ip.parse().unwrap())
                .map(|t| t.name.to_string())
        };
        assert_eq!(name("192.0.2.9").as_deref(), Some("carrier"));
        assert_eq!(name("10.9.9.9").as_deref(), Some("pbx"));
        // 192.0.2.77 is listed by pbx but carrier's /24 comes first.
        assert_eq!(name("192.0.2.77").as_deref(), Some("carrier"));
        assert_eq!(name("203.0.113.1"), None);
    }

    #[test]
    fn route_is_first_match_in_order() {
        let c = config();
        let carrier = TrunkName::new("carrier");
        let pbx = TrunkName::new("pbx");
        let r = |i: Option<&TrunkName>, u: &str| c.route(i, u).map(|r| r.name.as_str());
        assert_eq!(r(Some(&pbx), "911"), Some("emergency"));
        assert_eq!(r(Some(&carrier), "5551234"), Some("inbound"));
        assert_eq!(r(Some(&pbx), "+15551234"), Some("outbound"));
        assert_eq!(r(Some(&pbx), "5551234"), None);
        assert_eq!(r(None, "5551234"), None);
        assert_eq!(c.trunk(&pbx).map(|t| t.address.port()), Some(5060));
        assert!(c.trunk(&TrunkName::new("nope")).is_none());
    }
}
