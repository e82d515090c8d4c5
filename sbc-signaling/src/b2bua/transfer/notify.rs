//! The implicit subscription of a REFER (RFC 3515 §2.4.4, RFC 6665): NOTIFYs in the
//! departing party's dialog whose `message/sipfrag` body is the status line of the
//! target's response. The SBC sends one with `100 Trying` when it accepts the REFER and
//! one with the final status when the attempt ends (terminated), and none at all when
//! the REFER said `Refer-Sub: false` (RFC 4488) and the SBC agreed.

use std::time::Instant;

use sbc_core::ids::{CallRef, LegSide};

use crate::b2bua::build::{self, Hop, Payload};
use crate::b2bua::dialog::view;
use crate::b2bua::{routing, B2bua, ClientRole};
use crate::sip::Method;

/// The body type of REFER progress reports.
const SIPFRAG: &str = "message/sipfrag;version=2.0";

/// How long the SBC says the subscription lasts while the attempt runs: longer than
/// Timer C would be pointless, the final NOTIFY ends it anyway.
const ACTIVE_SECS: u32 = 180;

impl B2bua {
    /// A NOTIFY on `side`'s dialog reporting `status reason` for the REFER whose
    /// `Event` value is `event`; `last` ends the subscription.
    pub(super) fn notify_refer(
        &mut self,
        now: Instant,
        id: CallRef,
        side: LegSide,
        event: &str,
        (status, reason): (u16, &str),
        last: bool,
    ) {
        let branch = self.txl.new_branch();
        let ua = self.user_agent();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.is_gone(side) {
            return;
        }
        let leg = call.leg_mut(side);
        let cseq = leg.next_cseq();
        let dest = routing::next_hop(&leg.route_set, leg.remote_target.as_deref(), leg.peer);
        let hop = Hop::for_peer(&self.settings, dest);
        let state = if last {
            "terminated;reason=noresource".to_owned()
        } else {
            format!("active;expires={ACTIVE_SECS}")
        };
        let reason = crate::b2bua::malformed::sanitize_reason(reason);
        let body = format!("SIP/2.0 {status} {reason}\r\n");
        let extra = [("Event", event), ("Subscription-State", state.as_str())];
        let p = Payload {
            body: Some((SIPFRAG, body.as_bytes())),
            user_agent: &ua,
            extra: &extra,
            ..Payload::default()
        };
        let Some(notify) = build::dialog_request(
            &mut self.buf,
            &view(leg),
            hop,
            Method::Notify,
            cseq,
            &branch,
            p,
        ) else {
            return;
        };
        if let Some(ctx) = self.send_request(now, notify, dest) {
            self.client_roles.insert(ctx, ClientRole::Own);
        }
    }
}
