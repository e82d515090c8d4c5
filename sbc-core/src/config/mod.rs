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
//! unknown keys).

mod cidr;
mod decode;
mod error;
mod load;
mod lookup;
mod schema;
mod sections;
mod srtp;
mod suggest;
mod validate;

pub use cidr::{IpNet, IpNetError};
pub use error::{ConfigError, ConfigErrorKind, ConfigErrors, Position};
pub use load::EMBEDDED_DEFAULT_TOML;
pub use schema::{
    CdrConfig, Config, ListenConfig, LogConfig, MediaConfig, MetricsConfig, RouteConfig, SipConfig,
    SrtpPolicy, TcpConfig, Transport, TrunkConfig,
};
