//! What a benchmark row relays through: the `Relay` trait and the no-relay baseline.
//!
//! A row is "a relay under test + a configuration": each relay sets up N streams that
//! deliver to the sink, says where the generator must send each stream, and how much
//! CPU it has used so far. SRTP rows are the same relays set up with keys.

use std::net::SocketAddr;

use anyhow::Result;
use sbc_core::media::SrtpKey;

pub trait Relay {
    /// Where the generator sends stream i (index = stream).
    fn ingress(&self) -> &[SocketAddr];
    /// Cumulative CPU ns of the relay's threads or process.
    fn cpu_ns(&self) -> Result<u64>;
    /// Resident memory added per stream by setting the streams up, if measurable.
    fn rss_per_stream(&self) -> Option<f64>;
    /// Packets the relay itself counted as dropped, by reason, if it keeps such
    /// counters and any is non-zero (an SRTP row with `srtp_auth` drops is misconfigured).
    fn drop_summary(&self) -> Option<String> {
        None
    }
    /// Per stream, the SRTP key the relay chose itself to protect towards the sink
    /// (SDES answer from the relay); `None`: the row's own keys apply.
    fn sink_keys(&self) -> Option<&[SrtpKey]> {
        None
    }
}

/// Generator straight to sink: the loopback and load generator's own floor (latency
/// zero point, and the most the generator/sink pair can move).
pub struct Direct {
    ingress: Vec<SocketAddr>,
}

impl Direct {
    pub fn new(streams: usize, sink: SocketAddr) -> Direct {
        Direct {
            ingress: vec![sink; streams],
        }
    }
}

impl Relay for Direct {
    fn ingress(&self) -> &[SocketAddr] {
        &self.ingress
    }
    fn cpu_ns(&self) -> Result<u64> {
        Ok(0)
    }
    fn rss_per_stream(&self) -> Option<f64> {
        None
    }
}
