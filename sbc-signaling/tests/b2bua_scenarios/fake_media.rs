//! A `MediaControl` fake: hands out endpoints 10.0.0.2:20000+2n and records every call
//! the engine makes (allocate / set_remote with its SRTP keying / connect / release /
//! monitoring pictures / supervisor notices),
//! so scenarios can assert on media anchoring without a media plane. `exhaust()` makes
//! `allocate` fail like a full port range.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{
    LocalEndpoint, MediaControl, MediaError, MonitoredMedia, RemoteMedia, SrtpKeying,
    SupervisorNotice,
};

pub const MEDIA_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
const FIRST_PORT: u16 = 20000;

#[derive(Debug, Default, Clone)]
pub struct MediaLog {
    pub allocated: Vec<(CallRef, LegSide, StreamId, LocalEndpoint)>,
    pub remotes: Vec<(StreamId, RemoteMedia)>,
    pub connects: Vec<(StreamId, StreamId)>,
    pub released: Vec<CallRef>,
    /// Supervisor streams: (call, stream, endpoint).
    pub monitors: Vec<(CallRef, StreamId, LocalEndpoint)>,
    pub released_streams: Vec<StreamId>,
    /// Every monitoring picture set, in order.
    pub monitoring: Vec<MonitoredMedia>,
    /// Every notice played to a supervisor's stream, in order.
    pub notices: Vec<(StreamId, SupervisorNotice)>,
}

impl MediaLog {
    /// The leg a stream was allocated for.
    pub fn side_of(&self, s: StreamId) -> Option<LegSide> {
        self.allocated
            .iter()
            .find(|(_, _, id, _)| *id == s)
            .map(|(_, side, _, _)| *side)
    }
    /// Every remote set on a stream facing `side`, in order.
    pub fn remotes_facing(&self, side: LegSide) -> Vec<RemoteMedia> {
        self.remotes
            .iter()
            .filter(|(s, _)| self.side_of(*s) == Some(side))
            .map(|(_, r)| r.clone())
            .collect()
    }
    /// The SRTP keying of every remote set on a stream facing `side`, in order (`None`
    /// for plain RTP).
    pub fn keyings_facing(&self, side: LegSide) -> Vec<Option<SrtpKeying>> {
        self.remotes_facing(side)
            .into_iter()
            .map(|r| r.srtp)
            .collect()
    }
}

#[derive(Debug, Default)]
pub struct FakeMedia {
    log: Mutex<MediaLog>,
    exhausted: AtomicBool,
}

impl FakeMedia {
    pub fn snapshot(&self) -> MediaLog {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
    /// From now on every `allocate` fails with `PortsExhausted`.
    pub fn exhaust(&self) {
        self.exhausted.store(true, Ordering::Relaxed);
    }

    /// The next free endpoint and stream ID (leg and supervisor streams share them).
    fn next_endpoint(&self) -> Result<(StreamId, LocalEndpoint), MediaError> {
        if self.exhausted.load(Ordering::Relaxed) {
            return Err(MediaError::PortsExhausted);
        }
        let log = self
            .log
            .lock()
            .map_err(|_| MediaError::Io("poisoned".into()))?;
        let n = (log.allocated.len() + log.monitors.len()) as u16;
        let port = FIRST_PORT + 2 * n;
        let ep = LocalEndpoint {
            rtp: SocketAddr::new(MEDIA_IP, port),
            rtcp: SocketAddr::new(MEDIA_IP, port + 1),
        };
        Ok((StreamId(u64::from(n) + 1), ep))
    }

    fn with_log(&self, f: impl FnOnce(&mut MediaLog)) {
        if let Ok(mut log) = self.log.lock() {
            f(&mut log);
        }
    }
}

impl MediaControl for FakeMedia {
    fn allocate(
        &self,
        call: CallRef,
        side: LegSide,
    ) -> Result<(StreamId, LocalEndpoint), MediaError> {
        let (id, ep) = self.next_endpoint()?;
        self.with_log(|log| log.allocated.push((call, side, id, ep)));
        Ok((id, ep))
    }

    fn set_remote(&self, stream: StreamId, remote: RemoteMedia) -> Result<(), MediaError> {
        if let Ok(mut log) = self.log.lock() {
            log.remotes.push((stream, remote));
        }
        Ok(())
    }

    fn connect(&self, a: StreamId, b: StreamId) -> Result<(), MediaError> {
        if let Ok(mut log) = self.log.lock() {
            log.connects.push((a, b));
        }
        Ok(())
    }

    fn release_call(&self, call: CallRef) {
        if let Ok(mut log) = self.log.lock() {
            log.released.push(call);
        }
    }

    fn allocate_monitor(&self, call: CallRef) -> Result<(StreamId, LocalEndpoint), MediaError> {
        let (id, ep) = self.next_endpoint()?;
        self.with_log(|log| log.monitors.push((call, id, ep)));
        Ok((id, ep))
    }

    fn release_stream(&self, stream: StreamId) {
        if let Ok(mut log) = self.log.lock() {
            log.released_streams.push(stream);
        }
    }

    fn set_monitoring(&self, media: MonitoredMedia) -> Result<(), MediaError> {
        if let Ok(mut log) = self.log.lock() {
            log.monitoring.push(media);
        }
        Ok(())
    }

    fn play_notice(&self, stream: StreamId, notice: SupervisorNotice) -> Result<(), MediaError> {
        self.with_log(|log| log.notices.push((stream, notice)));
        Ok(())
    }
}
