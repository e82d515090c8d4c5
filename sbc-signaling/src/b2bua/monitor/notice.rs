//! Notices to a supervisor: sounds for the supervisor's ear only, played by the media
//! plane into the supervisor's mix (`MediaControl::play_notice`). The first: a mode
//! switch the role lacks is refused (the monitoring plane has audited it as denied)
//! with a short error tone, and the session stays in its mode. Neither the monitored
//! call's dialogs nor its media picture change.

use sbc_core::media::SupervisorNotice;
use sbc_core::monitoring::MonitorSessionId;

use crate::b2bua::{call_span, B2bua};

impl B2bua {
    /// Plays the error tone of a refused mode switch (already audited) to the
    /// supervisor of `session`. False if the session is gone or the media plane could
    /// not play it; the session's mode is unchanged either way.
    pub fn monitor_refuse_mode(&mut self, session: MonitorSessionId) -> bool {
        let Some(leg) = self.monitor.legs.get(&session) else {
            return false;
        };
        let _span = call_span(leg.call).entered();
        match self
            .media
            .play_notice(leg.stream, SupervisorNotice::Refused)
        {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(%session, error = %e, "error tone not played");
                false
            }
        }
    }
}
