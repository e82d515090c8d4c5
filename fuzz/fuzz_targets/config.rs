//! Fuzz target for configuration loading: arbitrary bytes go through
//! `Config::from_toml_str`. Errors must format (every one, and the list) without
//! panicking and point inside the text; an accepted config must answer every lookup
//! the call engine makes, and keep the promises validation makes (unique trunk names,
//! route references that resolve, no route shadowed by an earlier one).
//!
//! Input decoding: lossy UTF-8 (`String::from_utf8_lossy`), not "valid UTF-8 only".
//! Every input then reaches the TOML parser instead of being discarded, and invalid
//! bytes become U+FFFD (3 bytes, 1 character), which exercises the byte-offset to
//! character-column mapping of error positions with multi-byte text for free.

#![no_main]

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use sbc_core::config::{Config, ConfigErrors, IpNet};
use sbc_core::ids::TrunkName;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Config::from_toml_str(&text, "fuzz.toml") {
        Ok(config) => check_accepted(&config),
        Err(errors) => check_errors(&text, &errors),
    }
});

fn check_errors(text: &str, errors: &ConfigErrors) {
    assert!(!errors.is_empty(), "an Err carries at least one error");
    // Lines the text has, counting a final line without a newline, plus the empty line
    // after a trailing newline (where "unexpected end of input" is reported).
    let lines = text.split('\n').count();
    let mut out = String::new();
    for e in errors.errors() {
        out.clear();
        let _ = write!(out, "{e}");
        assert!(out.starts_with("fuzz.toml:"), "origin first: {out}");
        if let Some(p) = e.position {
            assert!(p.line >= 1 && p.column >= 1, "1-based position: {out}");
            assert!(p.line <= lines, "line {} of {lines}: {out}", p.line);
        }
    }
    out.clear();
    let _ = write!(out, "{errors}");
    assert_eq!(out.lines().count(), errors.len(), "one error per line");
}

fn check_accepted(config: &Config) {
    // Trunk names are unique: looking a trunk up by its name finds that very trunk.
    for t in &config.trunks {
        let found = config.trunk(&t.name);
        assert!(
            found.is_some_and(|f| std::ptr::eq(f, t)),
            "trunk `{}`",
            t.name
        );
        for net in &t.accept_from {
            assert!(net.contains(net.addr()), "{net} contains its own address");
            assert_eq!(net.to_string().parse::<IpNet>().ok(), Some(*net));
            // Some trunk (this one or an earlier one) owns every accepted address.
            let owner = config.ingress_trunk(net.addr());
            assert!(owner.is_some_and(|o| o.accepts(net.addr())));
        }
        let _ = config.ingress_trunk(t.address.ip());
    }
    for ip in [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1)),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ] {
        if let Some(t) = config.ingress_trunk(ip) {
            assert!(t.accepts(ip));
        }
    }
    for (i, r) in config.routes.iter().enumerate() {
        // References resolve: validation refuses routes naming unknown trunks.
        assert!(
            config.trunk(&r.target).is_some(),
            "route `{}` target",
            r.name
        );
        if let Some(ingress) = &r.ingress_trunk {
            assert!(
                config.trunk(ingress).is_some(),
                "route `{}` ingress",
                r.name
            );
        }
        // No route is shadowed: a call with exactly this route's keys takes it.
        let user = r.user_prefix.as_deref().unwrap_or("");
        let taken = config.route(r.ingress_trunk.as_ref(), user);
        assert!(
            taken.is_some_and(|t| std::ptr::eq(t, r)),
            "route[{i}] `{}` is reachable, got {:?}",
            r.name,
            taken.map(|t| &t.name)
        );
    }
    let _ = config.route(None, "");
    let _ = config.route(Some(&TrunkName::new("no-such-trunk")), "+15550100");
}
