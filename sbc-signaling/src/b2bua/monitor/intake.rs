//! A new INVITE that dials a feature code: recognised, authenticated and parked until
//! the monitoring plane decides (see the module docs of `monitor`).

use std::time::Instant;

use sbc_core::ids::{CallRef, LegSide};
use sbc_core::monitoring::{
    FeatureCodeError, JoinRequest, JoinTarget, JoinTicket, MonitorMode, Target,
};

use super::auth::{AuthStep, JoinAuthenticator};
use super::PendingJoin;
use crate::b2bua::call::CallPhase;
use crate::b2bua::invite::has_sdp;
use crate::b2bua::{B2bua, CallEvent};
use crate::net::Peer;
use crate::sip::{HeaderName, NameAddr, SipMessage, Uri};
use crate::transaction::ServerTxId;

/// Pending joins at once; more get 503 (the monitoring plane is slow or flooded).
const MAX_PENDING: usize = 1024;

impl B2bua {
    /// Handles the INVITE if it dials a feature code (true), else leaves it to routing.
    pub(in crate::b2bua) fn maybe_join(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        msg: &SipMessage,
        from: Peer,
    ) -> bool {
        let config = &self.settings.config;
        if config.supervisors.is_empty() {
            return false;
        }
        let wanted = match msg.header_by_name("Replaces") {
            // Resolved once the supervisor is authenticated (below).
            Some(r) => Wanted::Replaces(Replaces::parse(r)),
            None => {
                let Some(user) = msg
                    .request_uri()
                    .and_then(|u| Uri::parse(u).ok())
                    .and_then(|u| u.user)
                else {
                    return false;
                };
                match config.monitoring.feature_codes.parse(user) {
                    Ok(None) => return false,
                    Ok(Some(t)) => Wanted::Code(Ok(t)),
                    Err(e) => Wanted::Code(Err(e)),
                }
            }
        };
        if !has_sdp(msg) {
            self.reject(
                now,
                tx,
                msg,
                488,
                "Not Acceptable Here (monitoring needs an SDP offer)",
                &[],
            );
            return true;
        }
        if self.monitor.auth.is_none() {
            let auth = JoinAuthenticator::new(config, &mut *self.key_rng, now);
            self.monitor.auth = Some(auth);
        }
        let ingress = config.ingress_trunk(from.addr.ip()).map(|t| t.name.clone());
        let Some(auth) = self.monitor.auth.as_mut() else {
            return true;
        };
        let step = auth.judge(
            &self.settings.config,
            now,
            from.addr.ip(),
            msg.request_uri().unwrap_or_default(),
            msg.header(HeaderName::Authorization),
            msg.header_by_name("P-Asserted-Identity")
                .and_then(|v| NameAddr::parse(v).ok())
                .map(|n| n.uri),
            ingress.as_ref(),
        );
        match step {
            AuthStep::Challenge { stale } => self.challenge(now, tx, msg, from, stale),
            AuthStep::Forbidden => self.reject(
                now,
                tx,
                msg,
                403,
                "Forbidden (too many failed attempts)",
                &[],
            ),
            AuthStep::Report(auth) => {
                let (target, replaced_side) = match wanted {
                    Wanted::Code(t) => (t, None),
                    Wanted::Replaces(r) => match self.replaced_dialog(r) {
                        Ok((call, side)) => (
                            Ok(JoinTarget {
                                mode: MonitorMode::Takeover,
                                target: Target::Call(call),
                            }),
                            Some(side),
                        ),
                        Err((status, reason)) => {
                            self.reject(now, tx, msg, status, reason, &[]);
                            return true;
                        }
                    },
                };
                if self.monitor.pending.len() >= MAX_PENDING {
                    self.reject(now, tx, msg, 503, "Service Unavailable", &[]);
                    return true;
                }
                self.monitor.next_ticket += 1;
                let ticket = JoinTicket(self.monitor.next_ticket);
                self.monitor.pending.insert(
                    ticket,
                    PendingJoin {
                        tx,
                        req: msg.clone(),
                        from,
                    },
                );
                self.monitor.pending_tx.insert(tx, ticket);
                self.events.push_back(CallEvent::MonitorJoin(JoinRequest {
                    ticket,
                    auth,
                    target,
                    replaces: replaced_side,
                    source: from.addr.ip(),
                }));
            }
        }
        true
    }

    /// The answered call and leg whose dialog a `Replaces` header names (RFC 3891
    /// §3: its to-tag is our tag on that leg, its from-tag the peer's), or the
    /// response refusing it.
    fn replaced_dialog(
        &self,
        r: Result<Replaces<'_>, ()>,
    ) -> Result<(CallRef, LegSide), (u16, &'static str)> {
        const NO_DIALOG: (u16, &str) = (481, "Call/Transaction Does Not Exist");
        let r = r.map_err(|()| (400, "Bad Request (malformed Replaces header)"))?;
        let &(call, side) = self.dialogs.get(r.to_tag).ok_or(NO_DIALOG)?;
        let c = self.calls.get(&call).ok_or(NO_DIALOG)?;
        let leg = c.leg(side);
        if leg.call_id != r.call_id || leg.remote_tag.as_deref() != Some(r.from_tag) {
            return Err(NO_DIALOG);
        }
        if c.phase != CallPhase::Answered || c.is_gone(side) {
            return Err(NO_DIALOG);
        }
        if r.early_only {
            return Err((486, "Busy Here (the dialog is confirmed)"));
        }
        Ok((call, side))
    }

    /// 401 with a challenge per digest algorithm.
    pub(super) fn challenge(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        msg: &SipMessage,
        from: Peer,
        stale: bool,
    ) {
        let challenges = self
            .monitor
            .auth
            .as_ref()
            .map(|a| a.challenges(now, from.addr.ip(), stale))
            .unwrap_or_default();
        let extra: Vec<(&str, &str)> = challenges
            .iter()
            .map(|c| ("WWW-Authenticate", c.as_str()))
            .collect();
        self.reject(now, tx, msg, 401, "Unauthorized", &extra);
    }

    /// CANCEL of a pending join: 487 now; the plane's later answer finds no ticket.
    pub(in crate::b2bua) fn cancel_join(&mut self, now: Instant, tx: ServerTxId) -> bool {
        let Some(ticket) = self.monitor.pending_tx.remove(&tx) else {
            return false;
        };
        if let Some(p) = self.monitor.pending.remove(&ticket) {
            self.reject(now, tx, &p.req, 487, "Request Terminated", &[]);
        }
        true
    }
}

/// What a join INVITE asks for: a feature code (parsed), or the take-over of the
/// dialog its `Replaces` names.
enum Wanted<'a> {
    Code(Result<JoinTarget, FeatureCodeError>),
    Replaces(Result<Replaces<'a>, ()>),
}

/// A `Replaces` header (RFC 3891 §6.1): `call-id;to-tag=..;from-tag=..[;early-only]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Replaces<'a> {
    call_id: &'a str,
    to_tag: &'a str,
    from_tag: &'a str,
    early_only: bool,
}

impl<'a> Replaces<'a> {
    /// `Err` when the call-id or either tag is missing or repeated.
    fn parse(value: &'a str) -> Result<Replaces<'a>, ()> {
        let mut parts = value.split(';');
        let call_id = parts
            .next()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or(())?;
        let (mut to_tag, mut from_tag, mut early_only) = (None, None, false);
        for p in parts {
            let (name, val) = match p.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (p.trim(), None),
            };
            let slot = if name.eq_ignore_ascii_case("to-tag") {
                &mut to_tag
            } else if name.eq_ignore_ascii_case("from-tag") {
                &mut from_tag
            } else {
                early_only |= name.eq_ignore_ascii_case("early-only");
                continue;
            };
            let val = val.filter(|v| !v.is_empty()).ok_or(())?;
            if slot.replace(val).is_some() {
                return Err(());
            }
        }
        Ok(Replaces {
            call_id,
            to_tag: to_tag.ok_or(())?,
            from_tag: from_tag.ok_or(())?,
            early_only,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Replaces;

    #[test]
    fn replaces_header_grammar() {
        let r = Replaces::parse("98asjd8@test.com ; to-tag=12345 ;from-tag=54321;early-only");
        assert_eq!(
            r,
            Ok(Replaces {
                call_id: "98asjd8@test.com",
                to_tag: "12345",
                from_tag: "54321",
                early_only: true,
            })
        );
        let r = Replaces::parse("abc;FROM-TAG=f;To-Tag=t;x=1").map(|r| (r.to_tag, r.from_tag));
        assert_eq!(r, Ok(("t", "f")));
        for bad in [
            "",
            ";to-tag=a;from-tag=b",
            "c;to-tag=a",
            "c;from-tag=b",
            "c;to-tag=;from-tag=b",
            "c;to-tag;from-tag=b",
            "c;to-tag=a;to-tag=a;from-tag=b",
        ] {
            assert_eq!(Replaces::parse(bad), Err(()), "{bad:?}");
        }
    }
}
