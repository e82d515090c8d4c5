//! Supervisor legs: the B2BUA side of monitoring.
//!
//! A supervisor's INVITE to a feature code (`*81a1007`) is not routed: it is
//! authenticated here (`auth`), parked as a pending join and handed to the monitoring
//! plane as `CallEvent::MonitorJoin`. The plane authorizes it, writes the audit record
//! durably, and only then calls back `monitor_admit` (200 with the mixer's stream,
//! `answer`) or `monitor_refuse`. Admitted legs are small UAS dialogs (`dialog`):
//! ACK, BYE, INFO digits, re-INVITE refreshes; they end with the monitored call, or
//! when it is transferred away from the agent (`transfer`). A leg may be SDES-SRTP
//! under `[monitoring] srtp` (`srtp`).
//!
//! The monitored call's own dialogs are not touched: a mode is only a media plane
//! picture (`MonitoredMedia`), rebuilt from every supervisor leg of the call. The one
//! exception is take-over with the agent released (`takeover`): the agent's leg gets
//! a BYE and the supervisor's leg becomes the customer's party for the rest of the
//! call. An INVITE with `Replaces` naming the agent's dialog (RFC 3891) is a join in
//! take-over (`intake`).

mod answer;
mod auth;
mod dialog;
mod hints;
mod intake;
mod notice;
mod srtp;
mod takeover;
mod transfer;

use std::collections::HashMap;
use std::time::Instant;

use sbc_core::ids::{CallRef, LegSide, StreamId};
use sbc_core::media::{AgentAfterTakeover, MonitorLeg, MonitoredMedia};
use sbc_core::monitoring::{Admission, JoinTicket, MonitorMode, MonitorSessionId, SessionEnd};

use super::build::{self, Payload};
use super::call::{CallPhase, Leg};
use super::{B2bua, CallEvent};
use crate::net::Peer;
use crate::sip::SipMessage;
use crate::transaction::ServerTxId;
use auth::JoinAuthenticator;
pub(super) use hints::party_hints;

/// A supervisor's INVITE waiting for the monitoring plane.
#[derive(Debug)]
struct PendingJoin {
    tx: ServerTxId,
    req: SipMessage,
    from: Peer,
}

/// An admitted supervisor leg: the SBC is the UAS of its dialog.
#[derive(Debug)]
struct SupervisorLeg {
    call: CallRef,
    dialog: Leg,
    stream: StreamId,
    mode: MonitorMode,
    /// SDES keys of an SRTP leg (`srtp`), `None` for plain RTP; fixed for the leg's
    /// life (a re-INVITE repeats them).
    srtp: Option<srtp::LegKeys>,
}

/// The monitoring of one call: who the agent is and its supervisors, in join order.
#[derive(Debug)]
struct CallMonitoring {
    agent_side: LegSide,
    after_takeover: AgentAfterTakeover,
    agent_beep: bool,
    sessions: Vec<MonitorSessionId>,
    /// The supervisor who took over and released the agent (see `takeover`).
    taker: Option<MonitorSessionId>,
}

/// All supervisor state of the engine.
#[derive(Debug, Default)]
pub(super) struct MonitorLegs {
    /// `None` until monitoring is configured (at least one supervisor).
    auth: Option<JoinAuthenticator>,
    next_ticket: u64,
    pending: HashMap<JoinTicket, PendingJoin>,
    pending_tx: HashMap<ServerTxId, JoinTicket>,
    legs: HashMap<MonitorSessionId, SupervisorLeg>,
    by_tag: HashMap<String, MonitorSessionId>,
    by_call: HashMap<CallRef, CallMonitoring>,
    /// The join INVITE's server transaction of each admitted leg, until the leg ends:
    /// its `AckTimeout` (no ACK for the 200) names the leg to hang up.
    answered_by: HashMap<ServerTxId, MonitorSessionId>,
}

impl MonitorLegs {
    /// A reload changed `[monitoring]` (realm, nonce lifetime, failure limits): the
    /// next join builds its authenticator from the new settings. Outstanding nonces
    /// then fail as foreign and get a fresh challenge.
    pub(super) fn monitoring_reconfigured(&mut self) {
        self.auth = None;
    }

    pub(super) fn len(&self) -> usize {
        self.legs.len() + self.pending.len()
    }
}

impl B2bua {
    /// Refuses a pending join (`status` 401 gets a fresh digest challenge).
    pub fn monitor_refuse(&mut self, now: Instant, ticket: JoinTicket, status: u16, reason: &str) {
        let Some(p) = self.take_pending(ticket) else {
            return;
        };
        if status == 401 {
            return self.challenge(now, p.tx, &p.req, p.from, false);
        }
        self.reject(now, p.tx, &p.req, status, reason, &[]);
        self.drain(now);
    }

    /// Admits a pending join: a stream for the supervisor, the call's new media
    /// picture, 200 with the SDP answer. If the call or the supervisor's INVITE is gone
    /// by now, or the media plane refuses, the join fails and `MonitorEnded` says why
    /// (the monitoring plane has already recorded the start).
    pub fn monitor_admit(&mut self, now: Instant, adm: Admission) {
        let Some(p) = self.take_pending(adm.ticket) else {
            return self.monitor_ended(adm.session, SessionEnd::Cancelled);
        };
        let end = match self.try_admit(now, &adm, &p) {
            Ok(()) => None,
            Err((status, reason, end)) => {
                self.reject(now, p.tx, &p.req, status, reason, &[]);
                Some(end)
            }
        };
        if let Some(end) = end {
            self.monitor_ended(adm.session, end);
        }
        self.drain(now);
    }

    /// Switches a session's mode (already authorized and audited). Entering take-over
    /// may release the agent (`takeover`); the supervisor who did so cannot switch
    /// away (false, nothing changes).
    pub fn monitor_set_mode(
        &mut self,
        now: Instant,
        session: MonitorSessionId,
        mode: MonitorMode,
    ) -> bool {
        let Some(call) = self.monitor.legs.get(&session).map(|l| l.call) else {
            return false;
        };
        if self.switch_blocked(call, session, mode) {
            return false;
        }
        if let Some(leg) = self.monitor.legs.get_mut(&session) {
            leg.mode = mode;
        }
        let applied = self.push_monitoring(call).is_ok();
        if applied && mode == MonitorMode::Takeover {
            self.take_over(now, call, session);
        }
        self.drain(now);
        applied
    }

    /// The supervisor stream of a session (for DTMF from the media plane).
    pub fn monitor_stream(&self, session: MonitorSessionId) -> Option<StreamId> {
        self.monitor.legs.get(&session).map(|l| l.stream)
    }

    /// Supervisor legs admitted or pending, for leak checks.
    pub fn monitor_footprint(&self) -> usize {
        self.monitor.len()
    }

    fn take_pending(&mut self, ticket: JoinTicket) -> Option<PendingJoin> {
        let p = self.monitor.pending.remove(&ticket)?;
        self.monitor.pending_tx.remove(&p.tx);
        Some(p)
    }

    fn try_admit(
        &mut self,
        now: Instant,
        adm: &Admission,
        p: &PendingJoin,
    ) -> Result<(), (u16, &'static str, SessionEnd)> {
        const GONE: (u16, &str, SessionEnd) = (
            480,
            "Temporarily Unavailable (call ended)",
            SessionEnd::CallGone,
        );
        let call = self.calls.get(&adm.call).ok_or(GONE)?;
        if call.phase != CallPhase::Answered {
            return Err(GONE);
        }
        if call.media.first().copied().flatten().is_none() {
            return Err(GONE);
        }
        let policy = srtp::Policy::of(&self.settings.config.monitoring);
        let mut accepted = answer::accept(p.req.body(), &policy)
            .map_err(|e| (488, e.reason(), SessionEnd::MediaFailed))?;
        // SRTP: the SBC's key for the accepted line, and the keying the media plane
        // protects the supervisor's stream with.
        let srtp_failed = |e: srtp::KeyProblem| {
            tracing::warn!(call = %adm.call, error = %e, "supervisor SRTP keys not set up");
            (
                500,
                "Server Internal Error (SRTP keys)",
                SessionEnd::MediaFailed,
            )
        };
        let (keys, remote) = match accepted.crypto.take() {
            Some(peer) => {
                let mut rng = &mut *self.key_rng;
                let keys = srtp::LegKeys::new(peer, &mut rng).map_err(srtp_failed)?;
                let keying = keys.keying().map_err(srtp_failed)?;
                (Some(keys), accepted.remote.clone().with_srtp(keying))
            }
            None => (None, accepted.remote.clone()),
        };
        let media_failed = (503, "Service Unavailable (media)", SessionEnd::MediaFailed);
        let (stream, local) = self
            .media
            .allocate_monitor(adm.call)
            .map_err(|_| media_failed)?;
        if self.media.set_remote(stream, remote).is_err() {
            self.media.release_stream(stream);
            return Err(media_failed);
        }
        let tag = self.token(12);
        let session_id = u64::from(self.rng_u32());
        let crypto = keys.as_ref().map(srtp::LegKeys::answer_line);
        let body = answer::write(
            &accepted,
            local.rtp,
            self.settings.media_ip,
            (session_id, 1),
            crypto.as_deref().map(String::as_str),
        );
        let hop = self.hop(p.from);
        let ua = self.user_agent();
        let resp = build::response(
            &mut self.buf,
            &p.req,
            200,
            "OK",
            Some(&tag),
            Some(hop),
            Payload {
                body: Some((super::invite::SDP, &body)),
                user_agent: &ua,
                ..Payload::default()
            },
        );
        let Some(resp) = resp else {
            self.media.release_stream(stream);
            return Err((500, "Server Internal Error", SessionEnd::MediaFailed));
        };
        let mut dialog = Leg::uas(&p.req, p.from, tag.clone(), session_id);
        dialog.last_sdp = body;
        self.monitor
            .by_call
            .entry(adm.call)
            .or_insert_with(|| CallMonitoring {
                agent_side: adm.agent_side,
                after_takeover: adm.after_takeover,
                agent_beep: adm.agent_beep,
                sessions: Vec::new(),
                taker: None,
            })
            .sessions
            .push(adm.session);
        self.monitor.legs.insert(
            adm.session,
            SupervisorLeg {
                call: adm.call,
                dialog,
                stream,
                mode: adm.mode,
                srtp: keys,
            },
        );
        if let Err(e) = self.push_monitoring(adm.call) {
            tracing::warn!(call = %adm.call, error = %e, "media plane refused monitoring");
            self.drop_leg(adm.session);
            return Err(media_failed);
        }
        self.monitor.by_tag.insert(tag, adm.session);
        self.respond(now, p.tx, resp);
        self.monitor.answered_by.insert(p.tx, adm.session);
        let _span = super::call_span(adm.call).entered();
        tracing::info!(session = %adm.session, mode = adm.mode.as_str(), "supervisor joined");
        self.events.push_back(CallEvent::MonitorStarted {
            session: adm.session,
            call: adm.call,
            stream,
        });
        if adm.mode == MonitorMode::Takeover {
            self.take_over(now, adm.call, adm.session);
        }
        Ok(())
    }

    /// Tells the media plane who hears whom on `call`, from its supervisor legs.
    fn push_monitoring(&mut self, call: CallRef) -> Result<(), sbc_core::media::MediaError> {
        let Some(pair) = self
            .calls
            .get(&call)
            .and_then(|c| c.media.first().copied().flatten())
        else {
            return Ok(());
        };
        let Some(cm) = self.monitor.by_call.get(&call) else {
            return Ok(());
        };
        let supervisors = cm
            .sessions
            .iter()
            .filter_map(|s| self.monitor.legs.get(s))
            .map(|l| MonitorLeg {
                stream: l.stream,
                mode: l.mode,
            })
            .collect();
        self.media.set_monitoring(MonitoredMedia {
            call,
            customer: pair.facing(cm.agent_side.other()).0,
            agent: pair.facing(cm.agent_side).0,
            supervisors,
            after_takeover: cm.after_takeover,
            agent_beep: cm.agent_beep,
        })
    }

    /// Ends a supervisor leg on the media side: forgotten, its stream released, and the
    /// call's picture rebuilt without it (back to the plain relay if it was the last).
    fn drop_leg(&mut self, session: MonitorSessionId) -> Option<SupervisorLeg> {
        let leg = self.forget_leg(session)?;
        self.media.release_stream(leg.stream);
        if let Err(e) = self.push_monitoring(leg.call) {
            tracing::warn!(call = %leg.call, error = %e, "media plane refused monitoring update");
        }
        Some(leg)
    }

    /// Drops a supervisor leg from every index (its stream is the caller's business).
    fn forget_leg(&mut self, session: MonitorSessionId) -> Option<SupervisorLeg> {
        let leg = self.monitor.legs.remove(&session)?;
        self.monitor.by_tag.remove(&leg.dialog.local_tag);
        self.monitor.answered_by.retain(|_, s| *s != session);
        // The call's entry stays (with no sessions) until the call ends, so the media
        // plane can be told that monitoring stopped.
        if let Some(cm) = self.monitor.by_call.get_mut(&leg.call) {
            cm.sessions.retain(|s| *s != session);
        }
        Some(leg)
    }

    fn monitor_ended(&mut self, session: MonitorSessionId, end: SessionEnd) {
        self.events
            .push_back(CallEvent::MonitorEnded { session, end });
    }
}
