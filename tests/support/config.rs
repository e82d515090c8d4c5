//! The daemon configuration the end-to-end tests run: every listener on an
//! OS-picked loopback port, one trunk to the test's UAS, a default route,
//! a media port range of the test's own, and the CDR file in the daemon's
//! temporary directory. Rendered as the TOML the daemon reads.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;

use super::ports::{media_range, PortRange};

/// Transport of a listener or of the trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

/// Builder for a test configuration.
#[derive(Debug, Clone)]
pub struct SbcConfig {
    /// Where the SBC sends B-leg INVITEs.
    pub uas: SocketAddr,
    pub uas_transport: Transport,
    pub listeners: Vec<Transport>,
    pub media: PortRange,
    pub t1_ms: u32,
    pub timer_c_secs: u32,
}

impl SbcConfig {
    /// UDP and TCP listeners, trunk "uas" over UDP, the default route to it.
    pub fn new(uas: SocketAddr) -> SbcConfig {
        SbcConfig {
            uas,
            uas_transport: Transport::Udp,
            listeners: vec![Transport::Udp, Transport::Tcp],
            media: media_range(),
            t1_ms: 500,
            timer_c_secs: 180,
        }
    }

    /// The TOML text; the CDR file goes to `dir/cdr.jsonl`.
    pub fn to_toml(&self, dir: &Path) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "[sip]\nt1_ms = {}\ntimer_c_secs = {}",
            self.t1_ms, self.timer_c_secs
        );
        for transport in &self.listeners {
            let _ = writeln!(
                out,
                "\n[[sip.listen]]\ntransport = \"{}\"\naddress = \"127.0.0.1:0\"",
                transport.as_str()
            );
        }
        let _ = writeln!(
            out,
            "\n[media]\nbind = \"127.0.0.1\"\nport_min = {}\nport_max = {}",
            self.media.min, self.media.max
        );
        let _ = writeln!(
            out,
            "\n[[trunk]]\nname = \"uas\"\naddress = \"{}\"\ntransport = \"{}\"\n\
             accept_from = [\"127.0.0.0/8\"]",
            self.uas,
            self.uas_transport.as_str()
        );
        let _ = writeln!(out, "\n[[route]]\nname = \"default\"\ntarget = \"uas\"");
        let _ = writeln!(out, "\n[metrics]\nlisten = \"127.0.0.1:0\"");
        let cdr = dir.join("cdr.jsonl");
        // A JSON string literal is a valid TOML basic string.
        let cdr = serde_json::to_string(&cdr.to_string_lossy()).unwrap_or_default();
        let _ = writeln!(out, "\n[cdr]\npath = {cdr}");
        out
    }
}
