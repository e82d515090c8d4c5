//! The calling side of the test UA (UAC, RFC 3261 §13.2, §17.1): sends an
//! INVITE with our SDP (and any extra headers the test wants), retransmits
//! it until the SBC answers (Timer A), answers a 401/407 digest challenge
//! by ACKing it and re-sending the INVITE with credentials and CSeq + 1
//! (§22.2), and ACKs the 2xx (or the final failure). What happens inside the
//! dialog afterwards (BYE, INFO, the far end's BYE) is `in_dialog`.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sbc_signaling::sip::{HeaderName, SipMessage};

use super::dialog::Dialog;
use super::digest::{Challenge, DigestCredentials};
use super::message::{self, Body, RequestHead};
use super::sdp::PeerMedia;
use super::transport::SipSocket;
use super::{keys, UaError, T1};

/// INVITEs sent at most for one call: the first, the answer to the
/// challenge, and one more if the nonce went stale meanwhile.
const MAX_INVITES: u32 = 3;

/// A UAC bound to one loopback address.
#[derive(Debug)]
pub struct Caller {
    pub(super) sock: SipSocket,
}

/// How to place a call beyond the SDP: all optional.
#[derive(Debug, Clone, Default)]
pub struct InviteOptions {
    /// Answer a 401/407 with these credentials (else a challenge is a rejection).
    pub credentials: Option<DigestCredentials>,
    /// Extra header fields of every INVITE (e.g. `X-Agent-Id`, `X-Queue`).
    pub extra_headers: Vec<(String, String)>,
    /// The user part of our From URI (default `caller`).
    pub from_user: Option<String>,
}

impl InviteOptions {
    /// Adds one extra header field.
    pub fn header(mut self, name: &str, value: &str) -> InviteOptions {
        self.extra_headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Answers digest challenges with `credentials`.
    pub fn credentials(mut self, credentials: DigestCredentials) -> InviteOptions {
        self.credentials = Some(credentials);
        self
    }

    pub fn caller_user(mut self, user: &str) -> InviteOptions {
        self.from_user = Some(user.to_owned());
        self
    }
}

/// An answered call: its dialog and the SDP answer the SBC sent.
#[derive(Debug)]
pub struct OutgoingCall<'a> {
    pub(super) caller: &'a Caller,
    pub(super) dialog: Dialog,
    /// The SBC's answer (its media address and, for SRTP, its key).
    pub answer: PeerMedia,
    /// The 2xx that answered the INVITE (its headers, for assertions).
    pub ok: SipMessage,
    /// The challenges of every 401/407 we answered, in order.
    pub challenges: Vec<Challenge>,
    /// When the far end's BYE arrived (we answered it with 200).
    pub(super) bye_at: Option<Instant>,
    /// The start lines of in-dialog requests from the far end, in order.
    pub(super) requests: Vec<String>,
    /// NOTIFYs the far end sent in the dialog (REFER progress), answered 200.
    pub(super) notifies: Vec<SipMessage>,
}

/// The state of the INVITE attempts of one call.
struct Attempt<'o> {
    options: &'o InviteOptions,
    dialog: Dialog,
    /// Authorization / Proxy-Authorization of the next INVITE.
    auth: Option<(String, String)>,
    challenges: Vec<Challenge>,
    /// The nonce last answered and its count (§22.4: nc grows per nonce).
    last_nonce: Option<(String, u32)>,
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
        self.invite_with(sbc, user, sdp, timeout, &InviteOptions::default())
    }

    /// As [`Caller::invite`], with extra headers and digest credentials.
    /// The Request-URI is `sip:{user}@{sbc}` (a feature code like `*81a1`
    /// is a user part like any other).
    pub fn invite_with(
        &self,
        sbc: SocketAddr,
        user: &str,
        sdp: &str,
        timeout: Duration,
        options: &InviteOptions,
    ) -> Result<OutgoingCall<'_>, UaError> {
        let from_user = options.from_user.as_deref().unwrap_or("caller");
        let mut attempt = Attempt {
            options,
            dialog: Dialog::new(self.addr(), sbc, from_user, user),
            auth: None,
            challenges: Vec::new(),
            last_nonce: None,
        };
        let deadline = Instant::now() + timeout;
        for _ in 0..MAX_INVITES {
            let branch = keys::token();
            let invite = attempt.invite_text(self.addr(), &branch, sdp);
            let response = self.invite_transaction(&invite, &attempt.dialog, deadline)?;
            let status = response.status().unwrap_or_default();
            if (200..300).contains(&status) {
                return self.confirm(attempt, response);
            }
            self.ack_failure(&attempt.dialog, &branch, &response)?;
            if !attempt.answer_challenge(&response)? {
                let reason = response.reason_phrase().unwrap_or_default().to_owned();
                return Err(UaError::Rejected { status, reason });
            }
        }
        Err(UaError::Protocol(format!(
            "still challenged after {MAX_INVITES} INVITEs"
        )))
    }

    /// The 2xx: the dialog it sets up, our ACK, and the SBC's SDP.
    fn confirm<'c>(
        &'c self,
        attempt: Attempt<'_>,
        ok: SipMessage,
    ) -> Result<OutgoingCall<'c>, UaError> {
        let dialog = attempt.dialog.established(&ok)?;
        self.ack_2xx(&dialog)?;
        let answer = PeerMedia::parse(&message::body_text(&ok))?;
        Ok(OutgoingCall {
            caller: self,
            dialog,
            answer,
            ok,
            challenges: attempt.challenges,
            bye_at: None,
            requests: Vec::new(),
            notifies: Vec::new(),
        })
    }

    /// Sends the INVITE until a response arrives, then waits for the final
    /// one with this INVITE's CSeq (a late retransmission of an earlier
    /// 401 must not be taken for this one's answer).
    fn invite_transaction(
        &self,
        invite: &str,
        dialog: &Dialog,
        deadline: Instant,
    ) -> Result<SipMessage, UaError> {
        let started = Instant::now();
        let mut interval = T1;
        let mut next_send = Instant::now();
        let mut provisional = false;
        loop {
            if !provisional && Instant::now() >= next_send {
                self.sock.send(dialog.sbc, invite)?;
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
            let Some((seq, method)) = message::cseq_of(&msg).filter(|_| !msg.is_request()) else {
                continue;
            };
            if method != "INVITE" || seq != dialog.cseq {
                continue;
            }
            match msg.status() {
                Some(s) if s < 200 => provisional = true,
                Some(_) => return Ok(msg),
                None => {}
            }
        }
    }

    /// §17.1.1.3: the ACK of a failure reuses the INVITE's branch and takes
    /// the response's To (with its tag).
    fn ack_failure(
        &self,
        dialog: &Dialog,
        branch: &str,
        response: &SipMessage,
    ) -> Result<(), UaError> {
        let to = response
            .header(HeaderName::To)
            .unwrap_or_default()
            .to_owned();
        let head = RequestHead {
            to: &to,
            ..dialog.head(self.addr(), branch)
        };
        self.sock.send(
            dialog.sbc,
            &message::request("ACK", &dialog.remote_target, &head, None),
        )
    }

    /// §13.2.2.4: the ACK of a 2xx is a new transaction with the INVITE's
    /// CSeq number.
    pub(super) fn ack_2xx(&self, dialog: &Dialog) -> Result<(), UaError> {
        let branch = keys::token();
        let head = RequestHead {
            cseq: dialog.invite_cseq,
            ..dialog.head(self.addr(), &branch)
        };
        let ack = message::request("ACK", &dialog.remote_target, &head, None);
        self.sock.send(dialog.sbc, &ack)
    }
}

impl Attempt<'_> {
    fn invite_text(&self, local: SocketAddr, branch: &str, sdp: &str) -> String {
        let mut headers = self.options.extra_headers.clone();
        headers.extend(self.auth.clone());
        message::request_with(
            "INVITE",
            &self.dialog.remote_target,
            &self.dialog.head(local, branch),
            &headers,
            Some(Body::sdp(sdp)),
        )
    }

    /// Prepares the next INVITE if `response` is a challenge we can answer
    /// (we have credentials, and either have not answered yet or the SBC
    /// says our nonce only went stale). `false`: give up.
    fn answer_challenge(&mut self, response: &SipMessage) -> Result<bool, UaError> {
        let (challenge_header, auth_header) = match response.status() {
            Some(401) => (HeaderName::WwwAuthenticate, "Authorization"),
            Some(407) => (HeaderName::ProxyAuthenticate, "Proxy-Authorization"),
            _ => return Ok(false),
        };
        let Some(credentials) = &self.options.credentials else {
            return Ok(false);
        };
        let challenges = response
            .headers()
            .filter(|h| h.name == challenge_header)
            .map(|h| Challenge::parse(h.value))
            .collect::<Result<Vec<_>, _>>()?;
        let chosen = credentials.choose(&challenges).cloned();
        let retry_allowed = self.auth.is_none() || challenges.iter().any(|c| c.stale);
        self.challenges.extend(challenges);
        let Some(challenge) = chosen.filter(|_| retry_allowed) else {
            return Ok(false);
        };
        let nc = match &self.last_nonce {
            Some((nonce, nc)) if *nonce == challenge.nonce => nc + 1,
            _ => 1,
        };
        self.last_nonce = Some((challenge.nonce.clone(), nc));
        let value = credentials.authorization(&challenge, "INVITE", &self.dialog.remote_target, nc);
        self.auth = Some((auth_header.to_owned(), value));
        self.dialog.cseq += 1;
        Ok(true)
    }
}
