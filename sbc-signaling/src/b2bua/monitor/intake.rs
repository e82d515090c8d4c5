//! A new INVITE that dials a feature code: recognised, authenticated and parked until
//! the monitoring plane decides (see the module docs of `monitor`).

use std::time::Instant;

use sbc_core::monitoring::{JoinRequest, JoinTicket};

use super::auth::{AuthStep, JoinAuthenticator};
use super::PendingJoin;
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
        let Some(user) = msg
            .request_uri()
            .and_then(|u| Uri::parse(u).ok())
            .and_then(|u| u.user)
        else {
            return false;
        };
        let target = match config.monitoring.feature_codes.parse(user) {
            Ok(None) => return false,
            Ok(Some(t)) => Ok(t),
            Err(e) => Err(e),
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
                    source: from.addr.ip(),
                }));
            }
        }
        true
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
