//! The calling side of the test UA (UAC, RFC 3261 §13.2, §17.1): sends an
//! INVITE with our SDP, retransmits it until the SBC answers (Timer A),
//! ACKs the 2xx (or the final failure), and later hangs up with BYE
//! (retransmitted per Timer E). Blocking, with a deadline on every wait.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sbc_signaling::sip::{HeaderName, Method, SipMessage};

use super::message::{self, RequestHead};
use super::sdp::PeerMedia;
use super::transport::SipSocket;
use super::{keys, UaError, T1, T2};

/// A UAC bound to one loopback address.
#[derive(Debug)]
pub struct Caller {
    sock: SipSocket,
}

/// An answered call: its dialog and the SDP answer the SBC sent.
#[derive(Debug)]
pub struct OutgoingCall<'a> {
    caller: &'a Caller,
    dialog: Dialog,
    /// The SBC's answer (its media address and, for SRTP, its key).
    pub answer: PeerMedia,
}

/// The UAC's view of the dialog (RFC 3261 §12.1.2).
#[derive(Debug, Clone)]
struct Dialog {
    sbc: SocketAddr,
    call_id: String,
    from: String,
    to: String,
    remote_target: String,
    routes: Vec<String>,
    cseq: u32,
}

impl Caller {
    pub fn bind(ip: IpAddr) -> Result<Caller, UaError> {
        Ok(Caller {
            sock: SipSocket::bind(ip)?,
        })
    }

    /// Our SIP address (a trunk's `address` and `accept_from`).
    pub fn addr(&self) -> SocketAddr {
        self.sock.local()
    }

    /// Calls `user` at the SBC with `sdp` as the offer; returns once the
    /// 2xx is ACKed. A final failure is ACKed and returned as `Rejected`.
    pub fn invite(
        &self,
        sbc: SocketAddr,
        user: &str,
        sdp: &str,
        timeout: Duration,
    ) -> Result<OutgoingCall<'_>, UaError> {
        let local = self.addr();
        let dialog = Dialog {
            sbc,
            call_id: format!("{}@test-ua", keys::token()),
            from: format!("<sip:caller@{local}>;tag={}", keys::token()),
            to: format!("<sip:{user}@{sbc}>"),
            remote_target: format!("sip:{user}@{sbc}"),
            routes: Vec::new(),
            cseq: 1,
        };
        let branch = keys::token();
        let invite = message::request(
            "INVITE",
            &dialog.remote_target,
            &dialog.head(local, &branch),
            Some(sdp),
        );
        let deadline = Instant::now() + timeout;
        let final_response = self.invite_transaction(&invite, sbc, deadline)?;
        let status = final_response.status().unwrap_or_default();
        if !(200..300).contains(&status) {
            // §17.1.1.3: the ACK of a failure reuses the INVITE's branch and To tag.
            let to = final_response
                .header(HeaderName::To)
                .unwrap_or_default()
                .to_owned();
            let head = RequestHead {
                to: &to,
                ..dialog.head(local, &branch)
            };
            self.sock.send(
                sbc,
                &message::request("ACK", &dialog.remote_target, &head, None),
            )?;
            let reason = final_response
                .reason_phrase()
                .unwrap_or_default()
                .to_owned();
            return Err(UaError::Rejected { status, reason });
        }
        let dialog = dialog.established(&final_response)?;
        self.ack(&dialog)?;
        let answer = PeerMedia::parse(&message::body_text(&final_response))?;
        Ok(OutgoingCall {
            caller: self,
            dialog,
            answer,
        })
    }

    /// Sends the INVITE until a response arrives, then waits for the final one.
    fn invite_transaction(
        &self,
        invite: &str,
        sbc: SocketAddr,
        deadline: Instant,
    ) -> Result<SipMessage, UaError> {
        let started = Instant::now();
        let mut interval = T1;
        let mut next_send = Instant::now();
        let mut provisional = false;
        loop {
            if !provisional && Instant::now() >= next_send {
                self.sock.send(sbc, invite)?;
                next_send = Instant::now() + interval;
                interval *= 2;
            }
            if Instant::now() >= deadline {
                return Err(UaError::timeout(
                    "a final response to the INVITE",
                    started.elapsed(),
                ));
            }
            let Some((msg, _)) = self.sock.recv_until(deadline.min(next_send))? else {
                continue;
            };
            let Some((_, method)) = message::cseq_of(&msg).filter(|_| !msg.is_request()) else {
                continue;
            };
            match msg.status() {
                Some(s) if method == "INVITE" && s < 200 => provisional = true,
                Some(_) if method == "INVITE" => return Ok(msg),
                _ => {}
            }
        }
    }

    fn ack(&self, dialog: &Dialog) -> Result<(), UaError> {
        // §13.2.2.4: the ACK of a 2xx is a new transaction with the INVITE's CSeq number.
        let branch = keys::token();
        let ack = message::request(
            "ACK",
            &dialog.remote_target,
            &dialog.head(self.addr(), &branch),
            None,
        );
        self.sock.send(dialog.sbc, &ack)
    }
}

impl OutgoingCall<'_> {
    /// Sends BYE and waits for its 2xx; re-ACKs a retransmitted INVITE 2xx
    /// (our ACK was lost) and answers a BYE that crossed ours.
    pub fn hangup(mut self, timeout: Duration) -> Result<(), UaError> {
        let local = self.caller.addr();
        self.dialog.cseq += 1;
        let branch = keys::token();
        let bye = message::request(
            "BYE",
            &self.dialog.remote_target,
            &self.dialog.head(local, &branch),
            None,
        );
        let started = Instant::now();
        let deadline = started + timeout;
        let mut interval = T1;
        let mut next_send = Instant::now();
        loop {
            if Instant::now() >= next_send {
                self.caller.sock.send(self.dialog.sbc, &bye)?;
                next_send = Instant::now() + interval;
                interval = (interval * 2).min(T2);
            }
            if Instant::now() >= deadline {
                return Err(UaError::timeout("the 200 to our BYE", started.elapsed()));
            }
            let Some((msg, from)) = self.caller.sock.recv_until(deadline.min(next_send))? else {
                continue;
            };
            if msg.method() == Some(Method::Bye) {
                let ok = message::response(&msg, 200, "OK", None, None, None);
                self.caller.sock.send(from, &ok)?;
                continue;
            }
            match (message::cseq_of(&msg), msg.status()) {
                (Some((_, m)), Some(s)) if m == "INVITE" && (200..300).contains(&s) => {
                    let mut invite_dialog = self.dialog.clone();
                    invite_dialog.cseq -= 1;
                    self.caller.ack(&invite_dialog)?;
                }
                (Some((n, m)), Some(s)) if m == "BYE" && n == self.dialog.cseq && s >= 200 => {
                    return match s {
                        200..=299 => Ok(()),
                        _ => Err(UaError::Protocol(format!("BYE answered with {s}"))),
                    };
                }
                _ => {}
            }
        }
    }
}

impl Dialog {
    fn head<'a>(&'a self, local: SocketAddr, branch: &'a str) -> RequestHead<'a> {
        RequestHead {
            local,
            branch,
            from: &self.from,
            to: &self.to,
            call_id: &self.call_id,
            cseq: self.cseq,
            routes: &self.routes,
        }
    }

    /// The dialog the 2xx creates: remote tag, target (Contact) and the
    /// route set (Record-Route in reverse, §12.1.2).
    fn established(mut self, ok: &SipMessage) -> Result<Dialog, UaError> {
        let bad = |why: &str| UaError::Protocol(format!("2xx to INVITE {why}"));
        self.to = ok
            .header(HeaderName::To)
            .ok_or_else(|| bad("without To"))?
            .to_owned();
        if ok.to_hdr().ok().and_then(|t| t.tag()).is_none() {
            return Err(bad("without a To tag"));
        }
        let contact = ok.contact().ok_or_else(|| bad("without Contact"))?;
        self.remote_target = contact
            .map_err(|e| bad(&format!("with a bad Contact: {e}")))?
            .uri
            .to_owned();
        let mut routes: Vec<String> = ok
            .header_values(HeaderName::RecordRoute)
            .flat_map(|v| v.split(',').map(|r| r.trim().to_owned()))
            .collect();
        routes.reverse();
        self.routes = routes;
        Ok(self)
    }
}
