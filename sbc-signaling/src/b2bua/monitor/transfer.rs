//! A monitored call transferred away (REFER, see `b2bua::transfer`): supervisors
//! joined to watch the departing party, usually an agent, and their role and scope
//! were judged for that agent; they do not follow the call to whoever takes it.
//! Each supervisor leg gets a BYE with a Reason and ends as `Transferred` (audited by
//! the monitoring plane), and the media plane goes back to the plain relay before the
//! stream is pointed at the new party.

use std::time::Instant;

use sbc_core::ids::CallRef;
use sbc_core::monitoring::SessionEnd;

use crate::b2bua::B2bua;

/// The Reason (RFC 3326) of the BYE each supervisor gets.
const TRANSFERRED: &str = "SIP;cause=200;text=\"Monitored call transferred\"";

impl B2bua {
    /// Ends every supervisor leg of `call` because the call was transferred.
    pub(in crate::b2bua) fn end_monitoring_for_transfer(&mut self, now: Instant, call: CallRef) {
        if !self.monitor.by_call.contains_key(&call) {
            return;
        }
        let extra = [("Reason", TRANSFERRED)];
        for stream in self.hang_up_supervisors(now, call, SessionEnd::Transferred, &extra) {
            self.media.release_stream(stream);
        }
        // The call's picture without supervisors: the plain relay again.
        if let Err(e) = self.push_monitoring(call) {
            tracing::warn!(%call, error = %e, "media plane refused the end of monitoring");
        }
        self.monitor.by_call.remove(&call);
    }
}
