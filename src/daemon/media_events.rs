//! Consumes the media plane's event queue (RFC 4733 digits today): digits on a
//! supervisor's stream go to the monitoring thread (mode switches), every digit is
//! logged per call. A plain thread: the queue is a blocking std channel, and it ends
//! when the media workers do.

use sbc_core::media::{MediaEvent, MediaEventKind};
use sbc_media::MediaEngine;

use super::monitor::MonitorInput;

pub fn spawn(
    media: &MediaEngine,
    monitor: Option<std::sync::mpsc::Sender<MonitorInput>>,
) -> Option<std::thread::JoinHandle<()>> {
    let events = media.take_events()?;
    std::thread::Builder::new()
        .name("sbc-media-events".into())
        .spawn(move || {
            for ev in events {
                log(&ev);
                if let (None, MediaEventKind::Dtmf { digit, .. }, Some(m)) =
                    (ev.side, &ev.kind, &monitor)
                {
                    let _ = m.send(MonitorInput::Digit {
                        stream: ev.stream,
                        digit: *digit,
                    });
                }
            }
        })
        .map_err(|e| tracing::error!(error = %e, "media events thread not started"))
        .ok()
}

fn log(ev: &MediaEvent) {
    match ev.kind {
        MediaEventKind::Dtmf { digit, .. } => tracing::info!(
            call = %ev.call, side = ev.side.map_or("monitor", |s| s.as_str()), stream = %ev.stream, %digit,
            "DTMF digit"
        ),
        _ => tracing::debug!(call = %ev.call, event = ?ev.kind, "media event"),
    }
}
