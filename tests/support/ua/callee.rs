//! The called side of the test UA (UAS, RFC 3261 §13.3, §17.2) on its own
//! thread: waits for one INVITE, answers 100 then 200 with the SDP the
//! test's `answer` function makes from the offer (with the payload formats
//! and extra headers of its `CalleeOptions`), retransmits the 200 until the
//! ACK (Timer G), answers in-dialog INFO/OPTIONS with 200, then answers BYE
//! with 200 and reports it (`wait_bye`). The thread stops at its deadline,
//! on BYE, or when the `Callee` is dropped, and is always joined.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sbc_signaling::sip::{Method, SipMessage};

use super::message;
use super::message::Body;
use super::sdp::{LocalMedia, PeerMedia, RtpMap};
use super::transport::SipSocket;
use super::{keys, UaError, T1, T2};

/// Makes our SDP answer from the SBC's offer.
pub type AnswerFn = Box<dyn FnOnce(&PeerMedia) -> Result<LocalMedia, UaError> + Send>;

/// Picks the payload formats of our answer from the SBC's offer.
pub type PayloadFn = Box<dyn FnOnce(&PeerMedia) -> Vec<RtpMap> + Send>;

/// How the callee answers beyond the SDP's addresses and keys.
#[derive(Default)]
pub struct CalleeOptions {
    /// Extra header fields of the 200 OK (e.g. `X-Agent-Id: a1`).
    pub extra_headers: Vec<(String, String)>,
    /// The answer's payload formats; `None`: PCMU and telephone-event 101.
    pub payloads: Option<PayloadFn>,
}

impl CalleeOptions {
    /// Adds one extra header field to the 200 OK.
    pub fn header(mut self, name: &str, value: &str) -> CalleeOptions {
        self.extra_headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Answers with the formats `pick` chooses from the offer.
    pub fn payloads(
        mut self,
        pick: impl FnOnce(&PeerMedia) -> Vec<RtpMap> + Send + 'static,
    ) -> CalleeOptions {
        self.payloads = Some(Box::new(pick));
        self
    }
}

/// What the callee saw once the call was confirmed by the ACK.
#[derive(Debug, Clone)]
pub struct Answered {
    /// The SBC's offer on this leg (its media address and keys).
    pub offer: PeerMedia,
    /// What we answered (our media address and keys).
    pub answer: LocalMedia,
    /// The SDP we answered with.
    pub answer_sdp: String,
    /// The INVITE as received (for its headers, e.g. `X-Queue`).
    pub invite: SipMessage,
    /// Our tag in the dialog (the To tag of our 200).
    pub to_tag: String,
}

/// A UAS thread waiting for one call.
#[derive(Debug)]
pub struct Callee {
    addr: SocketAddr,
    answered: mpsc::Receiver<Answered>,
    bye: mpsc::Receiver<(Instant, SipMessage)>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<(), UaError>>>,
}

impl Callee {
    /// Binds on `ip` and starts the thread; it gives up after `lifetime`.
    pub fn spawn(ip: IpAddr, lifetime: Duration, answer: AnswerFn) -> Result<Callee, UaError> {
        Callee::spawn_with(ip, lifetime, answer, CalleeOptions::default())
    }

    /// As [`Callee::spawn`], answering with `options`.
    pub fn spawn_with(
        ip: IpAddr,
        lifetime: Duration,
        answer: AnswerFn,
        options: CalleeOptions,
    ) -> Result<Callee, UaError> {
        let sock = SipSocket::bind(ip)?;
        let addr = sock.local();
        let (tx, answered) = mpsc::channel();
        let (bye_tx, bye) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let uas = Uas {
            sock,
            stop: Arc::clone(&stop),
            deadline: Instant::now() + lifetime,
            lifetime,
            to_tag: keys::token(),
            extra_headers: options.extra_headers,
        };
        let payloads = options.payloads;
        let thread = std::thread::Builder::new()
            .name("test-ua-callee".into())
            .spawn(move || uas.run(answer, payloads, &tx, &bye_tx))
            .map_err(|e| UaError::io("spawn the callee thread", e))?;
        Ok(Callee {
            addr,
            answered,
            bye,
            stop,
            thread: Some(thread),
        })
    }

    /// Our SIP address (the callee trunk's `address`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits until the call is answered and ACKed.
    pub fn wait_answered(&self, timeout: Duration) -> Result<Answered, UaError> {
        self.answered.recv_timeout(timeout).map_err(|_| {
            UaError::timeout("the callee to be called, answer and get the ACK", timeout)
        })
    }

    /// Waits until the far end's BYE arrived (and was answered 200); returns
    /// when it arrived.
    pub fn wait_bye(&self, timeout: Duration) -> Result<Instant, UaError> {
        self.wait_bye_message(timeout).map(|(at, _)| at)
    }

    /// As [`Callee::wait_bye`], with the BYE itself (for its `Reason`).
    pub fn wait_bye_message(&self, timeout: Duration) -> Result<(Instant, SipMessage), UaError> {
        self.bye
            .recv_timeout(timeout)
            .map_err(|_| UaError::timeout("the BYE to the callee", timeout))
    }

    /// Waits up to `timeout` for the thread to finish the call (answer the
    /// BYE), then joins it; stops it first if it is still waiting.
    pub fn join(mut self, timeout: Duration) -> Result<(), UaError> {
        let done = super::super::wait_for(timeout, || {
            self.thread
                .as_ref()
                .is_none_or(JoinHandle::is_finished)
                .then_some(())
        });
        if done.is_none() {
            self.stop.store(true, Ordering::Relaxed);
            let _ = self.finish();
            return Err(UaError::timeout("the callee to receive the BYE", timeout));
        }
        self.finish()
    }

    fn finish(&mut self) -> Result<(), UaError> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        thread
            .join()
            .unwrap_or_else(|_| Err(UaError::Protocol("the callee thread panicked".into())))
    }
}

impl Drop for Callee {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.finish();
    }
}

/// The thread's state.
struct Uas {
    sock: SipSocket,
    stop: Arc<AtomicBool>,
    deadline: Instant,
    lifetime: Duration,
    to_tag: String,
    /// Extra header fields of our 200 OK to the INVITE.
    extra_headers: Vec<(String, String)>,
}

impl Uas {
    fn run(
        self,
        answer: AnswerFn,
        payloads: Option<PayloadFn>,
        tx: &mpsc::Sender<Answered>,
        bye_tx: &mpsc::Sender<(Instant, SipMessage)>,
    ) -> Result<(), UaError> {
        let (invite, from) = self.next_request("an INVITE", |m| m == Method::Invite)?;
        let offer = PeerMedia::parse(&message::body_text(&invite))?;
        self.sock.send(
            from,
            &message::response(&invite, 100, "Trying", None, None, None),
        )?;
        let payloads = payloads.map(|pick| pick(&offer));
        let answer = answer(&offer)?;
        let session = keys::random_u64() >> 1;
        let sdp = match &payloads {
            Some(p) => answer.to_sdp_with(session, 1, p, "sendrecv"),
            None => answer.to_sdp(session, 1),
        };
        let ok = message::response_with(
            &invite,
            200,
            "OK",
            Some(&self.to_tag),
            Some(self.sock.local()),
            &self.extra_headers,
            Some(Body::sdp(&sdp)),
        );
        self.await_ack(&ok, from)?;
        // The test may have stopped waiting; the call goes on regardless.
        let _ = tx.send(Answered {
            offer,
            answer,
            answer_sdp: sdp,
            invite,
            to_tag: self.to_tag.clone(),
        });
        let (bye, from) = self.next_request("a BYE", |m| m == Method::Bye)?;
        let _ = bye_tx.send((Instant::now(), bye.clone()));
        let ok = message::response(&bye, 200, "OK", Some(&self.to_tag), None, None);
        self.sock.send(from, &ok)
    }

    /// Sends the 2xx until the ACK arrives (§13.3.1.4: T1 doubling, capped at T2).
    fn await_ack(&self, ok: &str, to: SocketAddr) -> Result<(), UaError> {
        let mut interval = T1;
        let mut next_send = Instant::now();
        loop {
            if Instant::now() >= next_send {
                self.sock.send(to, ok)?;
                next_send = Instant::now() + interval;
                interval = (interval * 2).min(T2);
            }
            let Some((msg, from)) = self.recv(next_send, "the ACK")? else {
                continue;
            };
            match msg.method() {
                Some(Method::Ack) => return Ok(()),
                // A retransmitted INVITE gets the 2xx again on the next round.
                Some(Method::Invite) => next_send = Instant::now(),
                Some(_) => self.refuse(&msg, from)?,
                None => {}
            }
        }
    }

    /// The next request `wanted` accepts; INFO and OPTIONS get 200, other
    /// requests are refused, responses and retransmitted ACKs ignored.
    fn next_request(
        &self,
        what: &str,
        wanted: impl Fn(Method) -> bool,
    ) -> Result<(SipMessage, SocketAddr), UaError> {
        loop {
            let Some((msg, from)) = self.recv(self.deadline, what)? else {
                continue;
            };
            match msg.method() {
                Some(m) if wanted(m) => return Ok((msg, from)),
                Some(Method::Ack | Method::Invite) | None => {}
                Some(Method::Info | Method::Options) => {
                    let ok = message::response(&msg, 200, "OK", Some(&self.to_tag), None, None);
                    self.sock.send(from, &ok)?;
                }
                Some(_) => self.refuse(&msg, from)?,
            }
        }
    }

    /// One message or `None` (poll again); an error at the deadline or on stop.
    fn recv(
        &self,
        until: Instant,
        what: &str,
    ) -> Result<Option<(SipMessage, SocketAddr)>, UaError> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(UaError::Protocol(format!(
                "callee stopped while waiting for {what}"
            )));
        }
        if Instant::now() >= self.deadline {
            return Err(UaError::timeout(what, self.lifetime));
        }
        self.sock.recv_until(until.min(self.deadline))
    }

    /// A request the flow does not expect: 501 (§8.2.1 would say 405 for a
    /// known method; the SBC should send neither, and the test sees it).
    fn refuse(&self, msg: &SipMessage, from: SocketAddr) -> Result<(), UaError> {
        let resp = message::response(msg, 501, "Not Implemented", Some(&self.to_tag), None, None);
        self.sock.send(from, &resp)
    }
}
