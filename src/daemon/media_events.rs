//! Consumes the media plane's event queue (RFC 4733 digits today). Until the
//! monitoring plane subscribes (issue 4), events are logged per call. A plain thread:
//! the queue is a blocking std channel, and it ends when the media workers do.

use sbc_core::media::{MediaEvent, MediaEventKind};
use sbc_media::MediaEngine;

pub fn spawn(media: &MediaEngine) -> Option<std::thread::JoinHandle<()>> {
    let events = media.take_events()?;
    std::thread::Builder::new()
        .name("sbc-media-events".into())
        .spawn(move || {
            for ev in events {
                log(&ev);
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
