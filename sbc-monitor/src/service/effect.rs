//! What the service hands back for each input: the audit records to append durably,
//! in order, and then the one effect to apply. The caller must not apply the effect
//! unless every record was appended; if an append fails, [`Effect::on_audit_failure`]
//! says what to do instead (never the action itself).

use sbc_core::ids::CallRef;
// The admission is the domain's: signaling carries out the very same value.
pub use sbc_core::monitoring::Admission;
use sbc_core::monitoring::{JoinTicket, MonitorMode, MonitorSessionId};

use crate::audit::AuditRecord;
use crate::authz::SipStatus;

/// The answer to a join whose audit records could not be written: no monitoring
/// without an audit trail.
pub const AUDIT_UNAVAILABLE: SipStatus = SipStatus {
    code: 500,
    reason: "Audit Log Unavailable",
};

/// The result of one input: append `audit` (in order, durably), then apply `effect`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[must_use = "the audit records must be appended and the effect applied"]
pub struct Outcome {
    pub audit: Vec<AuditRecord>,
    pub effect: Option<Effect>,
}

impl Outcome {
    /// Nothing to record, nothing to do (ignored input).
    pub fn none() -> Outcome {
        Outcome::default()
    }

    pub fn is_empty(&self) -> bool {
        self.audit.is_empty() && self.effect.is_none()
    }
}

/// What signaling and media must do once the audit records are durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Answer the join with this status (401: signaling adds a fresh challenge).
    Refuse {
        ticket: JoinTicket,
        status: SipStatus,
    },
    /// Answer 200 and start media.
    Admit(Admission),
    /// Switch a running session's mode. `previous` is the mode it leaves, so a failed
    /// audit append can put the session back (see `MonitorService::audit_failed`).
    SetMode {
        session: MonitorSessionId,
        call: CallRef,
        mode: MonitorMode,
        previous: MonitorMode,
    },
    /// A switch the role does not allow: play the supervisor a short error tone. The
    /// session stays in its mode.
    RefuseMode {
        session: MonitorSessionId,
        mode: MonitorMode,
    },
}

impl Effect {
    /// What to do instead of this effect when its audit records could not be
    /// appended: a join is refused with 500 (whether it was to be admitted or
    /// refused), a mode switch is refused with the error tone. `None` would mean
    /// "nothing to do"; every current effect has a safe fallback.
    pub fn on_audit_failure(&self) -> Option<Effect> {
        match self {
            Effect::Refuse { ticket, .. } | Effect::Admit(Admission { ticket, .. }) => {
                Some(Effect::Refuse {
                    ticket: *ticket,
                    status: AUDIT_UNAVAILABLE,
                })
            }
            Effect::SetMode { session, mode, .. } | Effect::RefuseMode { session, mode } => {
                Some(Effect::RefuseMode {
                    session: *session,
                    mode: *mode,
                })
            }
        }
    }
}
