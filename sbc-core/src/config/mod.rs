//! Configuration: the typed schema, loading from TOML, and validation as a whole.
//!
//! Owns the one `Config` struct the daemon runs from. Loading collects every problem
//! in the file (unknown keys, wrong types, bad values, broken cross-references), each
//! with file, line, column and dotted key path, so `sbc check-config FILE` can print
//! them all at once. Nothing here does IO beyond reading the file it is asked to load.
//!
//! Layout: `schema` (structs and defaults), `decode` (span-aware TOML walker),
//! `sections` (per-section decoding and single-value rules), `srtp` (a trunk's SRTP
//! keys), `validate` (cross-field rules), `lookup` (route/trunk lookups at call time),
//! `cidr` (IP networks), `error`, `load` (entry points), `suggest` (did-you-mean for
//! unknown keys). Monitoring: `monitoring` (`[[tenant]]`, `[[role]]`, `[[agent]]`),
//! `supervisor` (`[[supervisor]]`), `monitoring_settings` (`[monitoring]`, `[audit]`),
//! `validate_monitoring` (their cross-references); the types are in
//! `crate::monitoring`.

mod cidr;
mod decode;
mod error;
mod load;
mod lookup;
mod monitoring;
mod monitoring_settings;
mod schema;
mod sections;
mod srtp;
mod suggest;
mod supervisor;
mod validate;
mod validate_monitoring;

pub use crate::monitoring::{AuditConfig, MonitoringConfig};
pub use cidr::{IpNet, IpNetError};
pub use error::{ConfigError, ConfigErrorKind, ConfigErrors, Position};
pub use load::EMBEDDED_DEFAULT_TOML;
pub use schema::{
    CdrConfig, Config, ListenConfig, LogConfig, MediaConfig, MetricsConfig, ReferPolicy,
    RouteConfig, SipConfig, SrtpPolicy, TcpConfig, Transport, TrunkConfig,
};
