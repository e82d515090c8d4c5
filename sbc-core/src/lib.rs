//! The SBC's domain, with no IO and no async runtime.
//!
//! Owns: typed identifiers, the `Clock` seam, the configuration schema and its
//! validation, and the ports (traits) through which the planes talk to each other
//! (`MediaControl`, implemented by `sbc-media` and called by `sbc-signaling`).
//! Nothing here touches a socket, a thread or the wall clock.

pub mod call;
pub mod clock;
pub mod config;
pub mod ids;
pub mod media;
pub mod monitoring;

pub use clock::{Clock, SystemClock};
pub use ids::{CallRef, LegSide, StreamId, TenantId, TrunkName};
