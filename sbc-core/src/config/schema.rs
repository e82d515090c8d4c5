//! The configuration schema: one typed struct per TOML section, with the defaults an
//! absent key takes. Decoding lives in `decode`/`sections`, rules in `validate`, and
//! lookups used at call time (`Config::route` and friends) in `lookup`.
//!
//! TOML keys are the snake_case field names; durations are written as integers with a
//! unit suffix (`t1_ms`, `timer_c_secs`) so a bare number is never ambiguous.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use super::cidr::IpNet;
use crate::ids::TrunkName;
use crate::media::SrtpSuite;
use crate::monitoring::{
    AgentDirectoryEntry, AuditConfig, MonitoringConfig, Role, Supervisor, TenantConfig,
};

/// The whole configuration. `Config::default()` is what an empty file gives: valid,
/// one UDP listener on loopback, no trunks and no routes (so every call is refused).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub sip: SipConfig,
    pub media: MediaConfig,
    /// `[[trunk]]`, in file order.
    pub trunks: Vec<TrunkConfig>,
    /// `[[route]]`, in file order; the first matching route wins.
    pub routes: Vec<RouteConfig>,
    pub metrics: MetricsConfig,
    pub cdr: CdrConfig,
    pub log: LogConfig,
    /// `[[tenant]]`, in file order.
    pub tenants: Vec<TenantConfig>,
    /// `[[role]]`, in file order.
    pub roles: Vec<Role>,
    /// `[[supervisor]]`, in file order; none (the default) means monitoring is off.
    pub supervisors: Vec<Supervisor>,
    /// `[[agent]]`: the agent directory, in file order.
    pub agents: Vec<AgentDirectoryEntry>,
    pub monitoring: MonitoringConfig,
    pub audit: AuditConfig,
}

/// `[sip]`: listeners, RFC 3261 timers and message limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipConfig {
    /// `[[sip.listen]]`; at least one. Absent: UDP on 127.0.0.1:5060.
    pub listen: Vec<ListenConfig>,
    /// RTT estimate (`t1_ms`, default 500).
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses
    /// (`t2_ms`, default 4000).
    pub t2: Duration,
    /// Maximum duration a message stays in the network (`t4_ms`, default 5000).
    pub t4: Duration,
    /// INVITE transaction timeout for a provisional-only B leg (`timer_c_secs`, default
    /// 180). RFC 3261 §16.6 wants more than 3 minutes; values down to 1 s are accepted
    /// so tests can run it quickly.
    pub timer_c: Duration,
    /// Max-Forwards put on the B leg when the A leg's is higher (default 70).
    pub max_forwards: u8,
    /// Largest SIP message accepted (default 65535, range 1024..=65535); larger -> 513.
    pub max_message_bytes: usize,
    /// Value of User-Agent/Server (default "sbc"); empty omits the header.
    pub user_agent: String,
    pub tcp: TcpConfig,
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig {
            listen: vec![ListenConfig {
                transport: Transport::Udp,
                address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5060),
                advertise: None,
            }],
            t1: Duration::from_millis(500),
            t2: Duration::from_millis(4000),
            t4: Duration::from_millis(5000),
            timer_c: Duration::from_secs(180),
            max_forwards: 70,
            max_message_bytes: 65535,
            user_agent: "sbc".to_owned(),
            tcp: TcpConfig::default(),
        }
    }
}

/// One `[[sip.listen]]` socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenConfig {
    pub transport: Transport,
    /// Local address to bind; port 0 lets the OS pick (tests).
    pub address: SocketAddr,
    /// Address written into Via/Contact/Record-Route instead of the bound one, e.g. the
    /// public address when the SBC sits behind 1:1 NAT.
    pub advertise: Option<IpAddr>,
}

/// SIP transport. TOML: `"udp"` or `"tcp"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    /// The lowercase token used in TOML and in Via (`SIP/2.0/UDP` upper-cases it).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[sip.tcp]`: connection limits, the first defence against connection floods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpConfig {
    /// Total accepted connections (default 10000).
    pub max_connections: usize,
    /// Accepted connections from one source IP (default 200).
    pub max_connections_per_ip: usize,
    /// A connection with no traffic for this long is closed (`idle_timeout_secs`, 300).
    pub idle_timeout: Duration,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            max_connections: 10_000,
            max_connections_per_ip: 200,
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// `[media]`: where RTP is relayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// Local address media sockets bind to (default 127.0.0.1).
    pub bind: IpAddr,
    /// Address written into SDP instead of `bind` (NAT).
    pub advertise: Option<IpAddr>,
    /// First port of the RTP range (default 20000, at least 1024).
    pub port_min: u16,
    /// Last port of the RTP range, inclusive (default 39999).
    pub port_max: u16,
    /// Relay worker threads; 0 means one per core.
    pub workers: usize,
    /// Once a stream has latched onto a source, drop packets from any other source
    /// instead of relaying them (default false: follow the newest source, as NATed
    /// phones need).
    pub strict_source: bool,
    /// SRTP replay window in packets (RFC 3711 §3.3.2), 64..=1024 (default 128).
    pub srtp_replay_window: u32,
}

impl MediaConfig {
    /// The accepted range of `srtp_replay_window`.
    pub const REPLAY_WINDOW: (u32, u32) = (64, 1024);
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            advertise: None,
            port_min: 20000,
            port_max: 39999,
            workers: 0,
            strict_source: false,
            srtp_replay_window: 128,
        }
    }
}

/// One `[[trunk]]`: a SIP peer the SBC sends calls to and accepts calls from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkConfig {
    /// Unique, non-empty, `[A-Za-z0-9._-]` (it appears in logs, metrics and CDRs).
    pub name: TrunkName,
    /// Where requests to this trunk are sent.
    pub address: SocketAddr,
    /// Default `"udp"`.
    pub transport: Transport,
    /// Source networks whose requests are accepted as coming from this trunk; default:
    /// the address's IP as a /32 (/128). An explicit empty list makes the trunk
    /// outbound-only. A request from a source no trunk accepts gets 403.
    pub accept_from: Vec<IpNet>,
    /// Whether media on legs to and from this trunk is SRTP (SDES, RFC 4568).
    pub srtp: SrtpPolicy,
    /// The SRTP suites this trunk may use, most preferred first; never empty.
    /// Default: every suite the SBC implements, strongest first.
    pub srtp_suites: Vec<SrtpSuite>,
    /// What a REFER from this trunk's leg does (RFC 3515 transfer). Default `"handle"`.
    pub refer: ReferPolicy,
}

/// What the SBC does with a REFER (call transfer, RFC 3515) received on a leg toward a
/// trunk. TOML: `"handle"` (default), `"relay"` or `"reject"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReferPolicy {
    /// The SBC carries the transfer out itself: it calls the Refer-To target through
    /// its own routes and swaps it in for the sender's leg; the other party's leg and
    /// media stay as they are, and the Refer-To never crosses the SBC.
    #[default]
    Handle,
    /// The REFER is relayed to the other party like any in-dialog request, Refer-To
    /// included (it may reveal the sender's network: for trusted peers only).
    Relay,
    /// REFER is refused with 403.
    Reject,
}

impl ReferPolicy {
    pub const NAMES: [&'static str; 3] = ["handle", "relay", "reject"];
}

/// A trunk's SRTP policy. TOML: `"off"`, `"optional"` (default) or `"mandatory"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SrtpPolicy {
    /// Plain RTP only: crypto offered by the peer is ignored, an SRTP-only offer is
    /// refused (488), and the SBC never offers SRTP to the trunk.
    Off,
    /// SRTP when the peer offers it; offers to the trunk mirror the other leg.
    #[default]
    Optional,
    /// SRTP only: a plain offer from the trunk is refused (488), and every offer to it
    /// is RTP/SAVP.
    Mandatory,
}

impl SrtpPolicy {
    /// The TOML spellings, in the order of the enum.
    pub const NAMES: [&'static str; 3] = ["off", "optional", "mandatory"];

    pub fn as_str(self) -> &'static str {
        match self {
            SrtpPolicy::Off => "off",
            SrtpPolicy::Optional => "optional",
            SrtpPolicy::Mandatory => "mandatory",
        }
    }
}

impl std::fmt::Display for SrtpPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[[route]]`: which trunk a new call goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteConfig {
    /// Unique, non-empty; appears in logs and CDRs.
    pub name: String,
    /// Only calls arriving from this trunk match; absent: any ingress.
    pub ingress_trunk: Option<TrunkName>,
    /// Only Request-URI users starting with this match; absent: any user.
    pub user_prefix: Option<String>,
    /// The trunk the B leg is sent to.
    pub target: TrunkName,
}

/// `[metrics]`: Prometheus exposition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetricsConfig {
    /// HTTP listen address for `/metrics`; absent: metrics endpoint off.
    pub listen: Option<SocketAddr>,
}

/// `[cdr]`: call detail records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CdrConfig {
    /// File the CDRs are appended to, one JSON object per line; absent: off.
    pub path: Option<PathBuf>,
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// One of `error`, `warn`, `info` (default), `debug`, `trace`.
    pub level: String,
}

impl LogConfig {
    /// The accepted values of `level`, most to least severe.
    pub const LEVELS: [&'static str; 5] = ["error", "warn", "info", "debug", "trace"];
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".to_owned(),
        }
    }
}
