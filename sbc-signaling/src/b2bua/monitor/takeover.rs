//! Take-over on the signaling side: a supervisor replaces the agent.
//!
//! When a supervisor enters take-over (key `4`, `*84`, or an INVITE with `Replaces`
//! naming the agent's dialog, RFC 3891) and the tenant releases the agent
//! (`after_takeover = "release"`), the SBC hangs up the agent's leg with a BYE and the
//! call goes on between the customer's leg and the supervisor's leg:
//! - media: the mixer's take-over picture (customer <-> supervisor) stays for the rest
//!   of the call. The mixer encodes into each leg's own negotiated codec, so the
//!   customer never needs a re-INVITE, whatever codec the supervisor's phone chose;
//! - the customer's BYE ends the call (the supervisor gets a BYE, as every supervisor
//!   does when a monitored call ends); the supervisor's BYE ends it too (the customer
//!   gets a BYE);
//! - the customer's other in-dialog requests are answered here, since there is no
//!   agent to relay them to: a session refresh (an offer with the `o=` version the
//!   customer last sent) gets the SBC's current answer; a changed offer gets 488 (the
//!   session stays as it was, RFC 3261 §14.2); INFO, OPTIONS and offerless UPDATE get
//!   200; anything else 403;
//! - the released agent's dialog is forgotten at once: its late requests get 481.
//!
//! With `after_takeover = "listen"` nothing here happens: the agent stays on, hears
//! both and is not heard (a media-plane picture only).

use std::time::Instant;

use sbc_core::call::EndCause;
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::AgentAfterTakeover;
use sbc_core::monitoring::{MonitorMode, MonitorSessionId};

use crate::b2bua::anchor::origin_key;
use crate::b2bua::invite::has_sdp;
use crate::b2bua::{B2bua, CallEvent};
use crate::sdp::Sdp;
use crate::sip::{Method, SipMessage};
use crate::transaction::ServerTxId;

/// The Reason (RFC 3326) of the BYE that releases the agent.
const RELEASE_REASON: &str = "SIP;cause=200;text=\"Call taken over by a supervisor\"";

impl B2bua {
    /// After `session` entered take-over on `call`: if the tenant releases the agent
    /// and nobody did yet, BYE the agent's leg and make `session` the customer's party.
    pub(super) fn take_over(&mut self, now: Instant, call: CallRef, session: MonitorSessionId) {
        let Some(cm) = self.monitor.by_call.get_mut(&call) else {
            return;
        };
        if cm.after_takeover != AgentAfterTakeover::Released || cm.taker.is_some() {
            return;
        }
        let agent_side = cm.agent_side;
        cm.taker = Some(session);
        let Some(tag) = self
            .calls
            .get(&call)
            .map(|c| c.leg(agent_side).local_tag.clone())
        else {
            return;
        };
        let extra = [("Reason", RELEASE_REASON)];
        self.send_bye_with(now, call, agent_side, None, &extra);
        // From now on the agent's leg is gone: no second BYE, its requests get 481.
        if let Some(c) = self.calls.get_mut(&call) {
            c.released = Some(agent_side);
        }
        self.dialogs.remove(&tag);
        let _span = crate::b2bua::call_span(call).entered();
        tracing::info!(%session, "supervisor took over; agent released");
        self.events
            .push_back(CallEvent::AgentReleased { call, session });
    }

    /// Whether `session` took over `call` and released its agent: a switch away from
    /// take-over would leave the customer talking to nobody.
    pub(super) fn is_taker(&self, call: CallRef, session: MonitorSessionId) -> bool {
        self.monitor
            .by_call
            .get(&call)
            .is_some_and(|cm| cm.taker == Some(session))
    }

    /// The supervisor who took over hung up: the customer gets a BYE and the call
    /// ends (the agent's side, now the supervisor's, ended it).
    pub(super) fn end_taken_over_call(&mut self, now: Instant, call: CallRef) {
        let Some(c) = self.calls.get(&call) else {
            return;
        };
        let Some(agent_side) = c.released else {
            return;
        };
        self.send_bye(now, call, agent_side.other(), None);
        self.end_call(now, call, 200, EndCause::NormalClearing, Some(agent_side));
    }

    /// An in-dialog request from the customer of a taken-over call (not BYE): answered
    /// here, there is no agent to relay it to.
    pub(in crate::b2bua) fn taken_over_request(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        id: CallRef,
        side: LegSide,
        msg: &SipMessage,
        method: Method,
    ) {
        match method {
            Method::Invite | Method::Update if has_sdp(msg) => {
                let unchanged = Sdp::parse(msg.body()).ok().is_some_and(|sdp| {
                    let key = origin_key(&sdp);
                    self.calls
                        .get(&id)
                        .is_some_and(|c| c.leg(side).remote_origin.as_deref() == Some(&key))
                });
                if unchanged {
                    self.answer_with_session(now, tx, id, side, msg);
                } else {
                    self.reject(
                        now,
                        tx,
                        msg,
                        488,
                        "Not Acceptable Here (call taken over; session changes are not supported)",
                        &[],
                    );
                }
            }
            // An offerless re-INVITE: our current session is the offer (the ACK's
            // answer can only repeat it).
            Method::Invite => self.answer_with_session(now, tx, id, side, msg),
            Method::Update | Method::Info | Method::Options => {
                self.reject(now, tx, msg, 200, "OK", &[]);
            }
            _ => self.reject(
                now,
                tx,
                msg,
                403,
                "Forbidden (call taken over by a supervisor)",
                &[],
            ),
        }
    }

    /// 200 with the SDP the SBC last sent on `side` (the session as it stands).
    fn answer_with_session(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        id: CallRef,
        side: LegSide,
        msg: &SipMessage,
    ) {
        let Some(c) = self.calls.get(&id) else {
            return;
        };
        let leg = c.leg(side);
        let (body, tag, peer) = (leg.last_sdp.clone(), leg.local_tag.clone(), leg.peer);
        self.ok_with_sdp(now, tx, msg, &tag, peer, &body);
    }

    /// Whether a mode switch must not be applied: the supervisor who took over (and
    /// released the agent) cannot leave take-over.
    pub(super) fn switch_blocked(
        &self,
        call: CallRef,
        session: MonitorSessionId,
        mode: MonitorMode,
    ) -> bool {
        mode != MonitorMode::Takeover && self.is_taker(call, session)
    }
}
