//! `MediaSettings`: what the media plane needs from the daemon's configuration.
//!
//! Kept local to this crate (the daemon maps its config onto it) so the relay does not
//! depend on the config schema, and tests can build one in a line.

use std::net::IpAddr;
use std::num::NonZeroUsize;

use sbc_core::media::MediaError;

/// Upper bound on relay workers: one per core is the design; more is a misconfiguration.
const MAX_WORKERS: usize = 1024;

/// Settings of the media engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSettings {
    /// Local address the RTP/RTCP sockets bind to.
    pub bind: IpAddr,
    /// Address written into SDP when it differs from `bind` (NAT, 1:1 public IP).
    pub advertise: Option<IpAddr>,
    /// First port of the media range (aligned up to even: RTP is even, RTCP odd).
    pub port_min: u16,
    /// Last port of the media range (inclusive).
    pub port_max: u16,
    /// Relay worker threads; 0 means one per available core.
    pub workers: usize,
    /// Do not wake a worker for each control command: workers apply queued commands
    /// before relaying any packet that woke them (so an answer's addresses are always in
    /// effect for the first packet they concern) and otherwise at least every
    /// `CONTROL_INTERVAL`. At thousands of calls per second, per-command wake-ups (an
    /// eventfd write and a context switch each) cost more CPU than the calls themselves;
    /// the price is up to 20 ms before a new stream's first packets are read and before
    /// released ports return to the pool.
    pub defer_wakeups: bool,
    /// Once a stream has latched, drop packets from any other source (counted as
    /// `foreign_source`) instead of relaying them. A new SDP from the peer (re-INVITE)
    /// re-opens the latch either way.
    pub strict_source: bool,
    /// SRTP replay window in packets, 64..=1024 (RFC 3711 §3.3.2).
    pub srtp_replay_window: u32,
}

/// How long a worker in deferred mode sleeps at most before applying control commands.
pub const CONTROL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(20);

impl MediaSettings {
    /// Settings for a given bind address and range with defaults for the rest.
    pub fn new(bind: IpAddr, port_min: u16, port_max: u16) -> Self {
        MediaSettings {
            bind,
            advertise: None,
            port_min,
            port_max,
            workers: 0,
            defer_wakeups: false,
            strict_source: false,
            srtp_replay_window: 128,
        }
    }

    /// The address signaling must put into SDP (`c=` line).
    pub fn advertised_ip(&self) -> IpAddr {
        self.advertise.unwrap_or(self.bind)
    }

    /// The number of worker threads to spawn.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            n => n,
        }
    }

    /// Rejects settings that would make the engine useless or advertise a wrong address.
    pub(crate) fn validate(&self) -> Result<(), MediaError> {
        if self.bind.is_unspecified() && self.advertise.is_none() {
            return Err(invalid(
                "media bind address is unspecified: set an advertise address for SDP",
            ));
        }
        if self.advertise.is_some_and(|ip| ip.is_unspecified()) {
            return Err(invalid("media advertise address must not be unspecified"));
        }
        if self.workers > MAX_WORKERS {
            return Err(invalid("too many media workers"));
        }
        if !(crate::srtp::MIN_REPLAY_WINDOW..=crate::srtp::MAX_REPLAY_WINDOW)
            .contains(&self.srtp_replay_window)
        {
            return Err(invalid("SRTP replay window must be 64 to 1024 packets"));
        }
        // The port range itself is checked by the pool, which owns its arithmetic.
        Ok(())
    }
}

fn invalid(what: &str) -> MediaError {
    MediaError::Io(format!("invalid media settings: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn advertise_overrides_bind() {
        let mut s = MediaSettings::new(Ipv4Addr::LOCALHOST.into(), 10000, 10100);
        assert_eq!(s.advertised_ip(), IpAddr::from(Ipv4Addr::LOCALHOST));
        s.advertise = Some(Ipv4Addr::new(203, 0, 113, 7).into());
        assert_eq!(
            s.advertised_ip(),
            IpAddr::from(Ipv4Addr::new(203, 0, 113, 7))
        );
    }

    #[test]
    fn unspecified_bind_needs_advertise() {
        let mut s = MediaSettings::new(Ipv4Addr::UNSPECIFIED.into(), 10000, 10100);
        assert!(s.validate().is_err());
        s.advertise = Some(Ipv4Addr::new(203, 0, 113, 7).into());
        assert!(s.validate().is_ok());
    }

    #[test]
    fn zero_workers_means_per_core() {
        let s = MediaSettings::new(Ipv4Addr::LOCALHOST.into(), 10000, 10100);
        assert!(s.worker_count() >= 1);
    }
}
