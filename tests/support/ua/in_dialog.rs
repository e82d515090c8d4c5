//! What the calling side does inside its dialog once the INVITE is ACKed:
//! non-INVITE requests of its own (BYE, INFO with a DTMF relay body) as
//! client transactions with Timer E retransmissions (RFC 3261 §17.1.2),
//! and the far end's requests: its BYE is answered 200 and remembered
//! (`wait_bye`), INFO and OPTIONS get 200, NOTIFY gets 200 and is kept (the
//! progress of our REFER, `wait_notifies`), anything else 501, and a
//! retransmitted 2xx of our INVITE is ACKed again (our ACK was lost).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sbc_signaling::sip::{Method, SipMessage};

use super::caller::OutgoingCall;
use super::message::{self, Body};
use super::{keys, UaError, T1, T2};

/// The body type of SIP INFO DTMF relay (the de facto `application/dtmf-relay`).
pub const DTMF_RELAY: &str = "application/dtmf-relay";

impl OutgoingCall<'_> {
    /// Sends BYE and waits for its 2xx; re-ACKs a retransmitted INVITE 2xx
    /// (our ACK was lost) and answers a BYE that crossed ours. A call the far
    /// end already ended (its BYE was seen) needs no BYE: `Ok` at once.
    pub fn hangup(mut self, timeout: Duration) -> Result<(), UaError> {
        if self.bye_at.is_some() {
            return Ok(());
        }
        let response = self.request("BYE", &[], None, timeout)?;
        match response.status().unwrap_or_default() {
            200..=299 => Ok(()),
            s => Err(UaError::Protocol(format!("BYE answered with {s}"))),
        }
    }

    /// Sends INFO with `body` of `content_type`; returns the final status.
    pub fn info(
        &mut self,
        content_type: &str,
        body: &str,
        timeout: Duration,
    ) -> Result<u16, UaError> {
        let body = Body {
            content_type,
            text: body,
        };
        let response = self.request("INFO", &[], Some(body), timeout)?;
        Ok(response.status().unwrap_or_default())
    }

    /// Sends one DTMF digit by SIP INFO (`application/dtmf-relay`,
    /// `Signal=2\r\nDuration=160\r\n`); returns the final status.
    pub fn info_dtmf(
        &mut self,
        signal: char,
        duration_ms: u32,
        timeout: Duration,
    ) -> Result<u16, UaError> {
        let body = format!("Signal={signal}\r\nDuration={duration_ms}\r\n");
        self.info(DTMF_RELAY, &body, timeout)
    }

    /// Waits until the far end sends BYE (answered 200); `Ok` at once if it
    /// already did.
    pub fn wait_bye(&mut self, timeout: Duration) -> Result<(), UaError> {
        let started = Instant::now();
        let deadline = started + timeout;
        while self.bye_at.is_none() {
            if Instant::now() >= deadline {
                return Err(UaError::timeout("the far end's BYE", started.elapsed()));
            }
            if let Some((msg, from)) = self.caller.sock.recv_until(deadline)? {
                self.handle_incoming(&msg, from)?;
            }
        }
        Ok(())
    }

    /// Sends REFER (RFC 3515) with `Refer-To: refer_to`; returns the final status.
    pub fn refer(&mut self, refer_to: &str, timeout: Duration) -> Result<u16, UaError> {
        let extra = [("Refer-To".to_owned(), refer_to.to_owned())];
        let response = self.request("REFER", &extra, None, timeout)?;
        Ok(response.status().unwrap_or_default())
    }

    /// Waits until the far end has sent at least `count` NOTIFYs; returns them all.
    pub fn wait_notifies(
        &mut self,
        count: usize,
        timeout: Duration,
    ) -> Result<&[SipMessage], UaError> {
        let started = Instant::now();
        let deadline = started + timeout;
        while self.notifies.len() < count {
            if Instant::now() >= deadline {
                return Err(UaError::timeout(
                    format!("{count} NOTIFYs (got {})", self.notifies.len()),
                    started.elapsed(),
                ));
            }
            if let Some((msg, from)) = self.caller.sock.recv_until(deadline)? {
                if msg.is_request() {
                    self.handle_incoming(&msg, from)?;
                } else {
                    self.reack_if_invite_2xx(&msg)?;
                }
            }
        }
        Ok(&self.notifies)
    }

    /// Whether the far end has hung up (its BYE was seen and answered).
    pub fn bye_received(&self) -> bool {
        self.bye_at.is_some()
    }

    /// When the far end's BYE arrived.
    pub fn bye_at(&self) -> Option<Instant> {
        self.bye_at
    }

    /// The start lines of the requests the far end sent inside the dialog.
    pub fn requests_received(&self) -> &[String] {
        &self.requests
    }

    /// One in-dialog request of ours (CSeq + 1) as a non-INVITE client
    /// transaction: retransmitted per Timer E until a final response with
    /// its CSeq arrives, which is returned whatever its status.
    pub fn request(
        &mut self,
        method: &str,
        extra: &[(String, String)],
        body: Option<Body<'_>>,
        timeout: Duration,
    ) -> Result<SipMessage, UaError> {
        let local = self.caller.addr();
        self.dialog.cseq += 1;
        let cseq = self.dialog.cseq;
        let branch = keys::token();
        let text = message::request_with(
            method,
            &self.dialog.remote_target,
            &self.dialog.head(local, &branch),
            extra,
            body,
        );
        let started = Instant::now();
        let deadline = started + timeout;
        let mut interval = T1;
        let mut next_send = Instant::now();
        loop {
            if Instant::now() >= next_send {
                self.caller.sock.send(self.dialog.sbc, &text)?;
                next_send = Instant::now() + interval;
                interval = (interval * 2).min(T2);
            }
            if Instant::now() >= deadline {
                let what = format!("a final response to our {method}");
                return Err(UaError::timeout(what, started.elapsed()));
            }
            let recv = self.caller.sock.recv_until(deadline.min(next_send))?;
            let Some((msg, from)) = recv else {
                continue;
            };
            if msg.is_request() {
                self.handle_incoming(&msg, from)?;
                continue;
            }
            let ours = message::cseq_of(&msg).is_some_and(|(n, m)| n == cseq && m == method);
            match msg.status() {
                Some(s) if ours && s >= 200 => return Ok(msg),
                _ if ours => {}
                _ => self.handle_incoming(&msg, from)?,
            }
        }
    }

    /// A message that is not the response we wait for.
    fn handle_incoming(&mut self, msg: &SipMessage, from: SocketAddr) -> Result<(), UaError> {
        let Some(method) = msg.method() else {
            return self.reack_if_invite_2xx(msg);
        };
        if method == Method::Ack {
            return Ok(());
        }
        let start = format!("{method} {}", msg.request_uri().unwrap_or_default());
        self.requests.push(start);
        let (status, reason) = match method {
            Method::Bye => {
                self.bye_at.get_or_insert_with(Instant::now);
                (200, "OK")
            }
            Method::Info | Method::Options => (200, "OK"),
            Method::Notify => {
                self.notifies.push(msg.clone());
                (200, "OK")
            }
            _ => (501, "Not Implemented"),
        };
        let resp = message::response(msg, status, reason, None, None, None);
        self.caller.sock.send(from, &resp)
    }

    /// A retransmitted 2xx of our INVITE: our ACK was lost, send it again.
    fn reack_if_invite_2xx(&self, msg: &SipMessage) -> Result<(), UaError> {
        let is_invite_2xx = matches!(
            (message::cseq_of(msg), msg.status()),
            (Some((n, m)), Some(200..=299)) if m == "INVITE" && n == self.dialog.invite_cseq
        );
        if is_invite_2xx {
            self.caller.ack_2xx(&self.dialog)?;
        }
        Ok(())
    }
}
