//! The SBC's `MediaEngine` as a relay under test, set up as the daemon does it.
//!
//! One call per stream: allocate an A and a B stream, `set_remote` A to the generator
//! and B to the sink (what the offer/answer would say), `connect`, then `sync` so every
//! command is applied before the first packet. `workers = 1` (one relay core) and
//! `defer_wakeups = true` as in the daemon. CPU is the sum over the `sbc-media-*`
//! threads of this process. SRTP rows pass each leg's per-stream keys with
//! `RemoteMedia::with_srtp`, as signaling does after an SDES offer/answer; the
//! contexts are built on the worker before `sync` returns, so they are part of the
//! RSS per stream.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::{anyhow, bail, Result};
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::{Direction, MediaControl, RemoteMedia};
use sbc_media::{DropReason, MediaEngine, MediaSettings};

use crate::procfs;
use crate::relay::Relay;
use crate::srtp::SrtpPlan;

const THREAD_PREFIX: &str = "sbc-media-";

pub struct SbcEngine {
    engine: MediaEngine,
    ingress: Vec<SocketAddr>,
    calls: Vec<CallRef>,
    rss_per_stream: Option<f64>,
}

impl SbcEngine {
    pub fn start(
        streams: usize,
        source: SocketAddr,
        sink: SocketAddr,
        ports: (u16, u16),
        srtp: Option<SrtpPlan>,
    ) -> Result<SbcEngine> {
        let mut settings = MediaSettings::new(IpAddr::V4(Ipv4Addr::LOCALHOST), ports.0, ports.1);
        settings.workers = 1;
        settings.defer_wakeups = true;
        let engine = MediaEngine::start(settings).map_err(|e| anyhow!("media engine: {e}"))?;
        // After start: the worker's own buffers are not per-stream memory.
        let rss_before = procfs::rss_bytes("self").ok();
        let mut me = SbcEngine {
            engine,
            ingress: Vec::with_capacity(streams),
            calls: Vec::with_capacity(streams),
            rss_per_stream: None,
        };
        for i in 0..streams {
            let call = CallRef(i as u64 + 1);
            me.calls.push(call);
            let ingress = me.add_call(call, i, source, sink, srtp)?;
            me.ingress.push(ingress);
        }
        me.engine.sync().map_err(|e| anyhow!("media sync: {e}"))?;
        me.rss_per_stream = rss_before
            .zip(procfs::rss_bytes("self").ok())
            .map(|(b, a)| a.saturating_sub(b) as f64 / streams as f64);
        let (_, threads) = procfs::named_threads_cpu_ns(THREAD_PREFIX)?;
        if threads != 1 {
            bail!("expected one {THREAD_PREFIX}* thread, found {threads}");
        }
        Ok(me)
    }

    fn add_call(
        &self,
        call: CallRef,
        stream: usize,
        source: SocketAddr,
        sink: SocketAddr,
        srtp: Option<SrtpPlan>,
    ) -> Result<SocketAddr> {
        let e = &self.engine;
        let err = |what: &str, e: sbc_core::media::MediaError| anyhow!("{what}: {e}");
        let (a, a_local) = e
            .allocate(call, LegSide::A)
            .map_err(|x| err("allocate A", x))?;
        let (b, _) = e
            .allocate(call, LegSide::B)
            .map_err(|x| err("allocate B", x))?;
        let remote = |rtp: SocketAddr, leg: LegSide| -> Result<RemoteMedia> {
            let rtcp = SocketAddr::new(rtp.ip(), rtp.port().wrapping_add(1));
            let plain = RemoteMedia::new(Some(rtp), Some(rtcp), false, Direction::SendRecv);
            Ok(
                match srtp.map(|p| p.keying(leg, stream)).transpose()?.flatten() {
                    Some(keying) => plain.with_srtp(keying),
                    None => plain,
                },
            )
        };
        e.set_remote(a, remote(source, LegSide::A)?)
            .map_err(|x| err("set_remote A", x))?;
        e.set_remote(b, remote(sink, LegSide::B)?)
            .map_err(|x| err("set_remote B", x))?;
        e.connect(a, b).map_err(|x| err("connect", x))?;
        Ok(a_local.rtp)
    }
}

impl Relay for SbcEngine {
    fn ingress(&self) -> &[SocketAddr] {
        &self.ingress
    }
    fn cpu_ns(&self) -> Result<u64> {
        Ok(procfs::named_threads_cpu_ns(THREAD_PREFIX)?.0)
    }
    fn rss_per_stream(&self) -> Option<f64> {
        self.rss_per_stream
    }
    fn drop_summary(&self) -> Option<String> {
        let drops = self.engine.stats().traffic.drops;
        let parts: Vec<String> = DropReason::ALL
            .iter()
            .filter(|&&r| drops.get(r) > 0)
            .map(|&r| format!("{} {}", r.as_str(), drops.get(r)))
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

impl Drop for SbcEngine {
    fn drop(&mut self) {
        for &call in &self.calls {
            self.engine.release_call(call);
        }
        self.engine.shutdown();
    }
}
