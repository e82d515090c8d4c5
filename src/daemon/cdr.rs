//! The CDR writer: one JSON object per line per ended call, appended to the configured
//! file. Instants from the engine become wall-clock times here, at the edge.

use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use std::sync::Arc;

use sbc_core::call::Cdr;
use sbc_media::{CallMediaStats, MediaEngine, TrafficStats};
use sbc_signaling::b2bua::CallEvent;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// Maps the engine's monotonic instants to wall-clock time.
#[derive(Clone, Copy)]
struct WallClock {
    instant: Instant,
    system: SystemTime,
}

impl WallClock {
    fn now() -> Self {
        WallClock {
            instant: Instant::now(),
            system: SystemTime::now(),
        }
    }
    fn unix_ms(&self, at: Instant) -> u128 {
        let t = if at >= self.instant {
            self.system + (at - self.instant)
        } else {
            self.system - (self.instant - at)
        };
        t.duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    }
}

/// One leg's media figures: what its peer sent us and what we sent it.
fn leg_json(t: &TrafficStats) -> serde_json::Value {
    serde_json::json!({
        "rx_packets": t.packets_received,
        "rx_bytes": t.bytes_received,
        "tx_packets": t.packets_sent,
        "tx_bytes": t.bytes_sent,
        "rtp_expected": t.rtp.expected,
        "rtp_lost": t.rtp.lost,
        "jitter_ms": t.rtp.jitter_us as f64 / 1000.0,
        "dropped": t.drops.total(),
    })
}

fn to_json(cdr: &Cdr, media: Option<&CallMediaStats>, clock: WallClock) -> String {
    let ms = |a: Instant| clock.unix_ms(a);
    serde_json::json!({
        "call": cdr.call.0,
        "a_call_id": cdr.a_call_id,
        "b_call_id": cdr.b_call_id,
        "from": cdr.from_user,
        "to": cdr.to_user,
        "ingress_trunk": cdr.ingress_trunk.as_ref().map(|t| t.as_str()),
        "target_trunk": cdr.target_trunk.as_ref().map(|t| t.as_str()),
        "start_ms": ms(cdr.started),
        "answer_ms": cdr.answered.map(ms),
        "end_ms": ms(cdr.ended),
        "duration_ms": cdr.answered.map(|a| cdr.ended.saturating_duration_since(a).as_millis()),
        "setup_ms": cdr.answered.unwrap_or(cdr.ended).saturating_duration_since(cdr.started).as_millis(),
        "final_status": cdr.final_status,
        "cause": cdr.cause.as_str(),
        "ended_by": cdr.ended_by.map(|s| s.as_str()),
        "media": media.map(|m| serde_json::json!({ "a": leg_json(&m.a), "b": leg_json(&m.b) })),
    })
    .to_string()
}

pub async fn write(
    path: Option<PathBuf>,
    media: Arc<MediaEngine>,
    mut events: mpsc::UnboundedReceiver<CallEvent>,
) {
    let clock = WallClock::now();
    let mut file = match &path {
        Some(p) => match tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .await
        {
            Ok(f) => Some(tokio::io::BufWriter::new(f)),
            Err(e) => {
                tracing::error!(file = %p.display(), error = %e, "cannot open the CDR file; CDRs are not written");
                None
            }
        },
        None => None,
    };
    while let Some(ev) = events.recv().await {
        let CallEvent::Ended(cdr) = ev else { continue };
        // Taken even without a file, so the engine's store does not fill up.
        let stats = media.take_call_stats(cdr.call);
        let Some(f) = file.as_mut() else { continue };
        let mut line = to_json(&cdr, stats.as_ref(), clock);
        line.push('\n');
        let res = f.write_all(line.as_bytes()).await;
        // Flush when the queue is drained: batches under load, prompt when idle.
        let res = match res {
            Ok(()) if events.is_empty() => f.flush().await,
            r => r,
        };
        if let Err(e) = res {
            tracing::error!(error = %e, "writing a CDR failed");
        }
    }
    if let Some(f) = file.as_mut() {
        let _ = f.flush().await;
    }
}
