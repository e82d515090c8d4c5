//! What the media plane needs to know about a monitored call: which stream is the
//! customer's, which the agent's, and each supervisor's stream and mode. The plane
//! turns it into taps, mixer inputs and outputs (DESIGN.md: a mode is nothing but a
//! sink/mixer configuration); signaling and the monitoring plane decide it.
//! `SupervisorNotice` is a short sound for one supervisor only.

use crate::ids::{CallRef, StreamId};
use crate::monitoring::MonitorMode;

/// One supervisor leg on a monitored call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonitorLeg {
    /// The supervisor's stream, from `MediaControl::allocate_monitor`.
    pub stream: StreamId,
    pub mode: MonitorMode,
}

/// What happens to the agent's leg while a supervisor has taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AgentAfterTakeover {
    /// The agent is being released (BYE): it is sent nothing.
    #[default]
    Released,
    /// The agent stays on, hearing customer and supervisor, and is not heard.
    Listening,
}

/// The full monitoring picture of one call. Each `set_monitoring` replaces the
/// previous one; an empty `supervisors` list ends monitoring and restores the plain
/// relay (with RTP continuity kept on any leg that was fed by the mixer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoredMedia {
    pub call: CallRef,
    /// The customer's stream (the side that is not the agent).
    pub customer: StreamId,
    /// The agent's stream.
    pub agent: StreamId,
    pub supervisors: Vec<MonitorLeg>,
    pub after_takeover: AgentAfterTakeover,
    /// Play a short beep to the agent when monitoring starts and when it stops
    /// (the tenant's `agent_notice = "beep"`).
    pub agent_beep: bool,
}

/// A short sound the media plane mixes into what one supervisor hears (never into
/// what the customer or the agent hear); the supervisor's stream stays continuous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupervisorNotice {
    /// A mode switch the supervisor's role lacks was refused: a short error tone. The
    /// session stays in its mode.
    Refused,
}
