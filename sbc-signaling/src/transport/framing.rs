//! Sans-IO framing of a SIP byte stream (TCP) and keep-alive recognition for datagrams.
//!
//! A stream carries messages delimited by Content-Length (RFC 3261 §18.3, mandatory on
//! streams) and, between messages, RFC 5626 §4.4.1 keep-alives: a CRLFCRLF "ping" that
//! must be answered with a CRLF "pong". RFC 3261 §7.5 also allows stray CRLFs before a
//! start line. Keep-alives are handled here (a ping may arrive split across reads);
//! message boundaries are decided by `sip::message_length`, called only when the
//! `head_hint` scan says it can succeed.

use super::head_hint::{expected_length, find_body_start};
use super::types::DropReason;
use crate::sip::{self, ParseError};

/// What is at the head of a stream's read buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    /// Not enough bytes to decide; read more.
    NeedMore,
    /// A CRLFCRLF ping (4 bytes): consume and answer with a CRLF pong.
    Ping,
    /// Bytes to discard silently: a lone CRLF (a pong, or padding before a start line).
    Skip(usize),
    /// A complete message of this many bytes.
    Message(usize),
    /// The stream can't continue: count the reason and close the connection.
    Close(DropReason),
}

const PING: &[u8] = b"\r\n\r\n";

/// Framing state of one stream: how far the head was searched for its blank line and,
/// once found, the length the head announces. So a peer dripping bytes costs linear,
/// not quadratic, work.
#[derive(Debug)]
pub(crate) struct StreamFramer {
    max: usize,
    /// Bytes of the current message already searched for the blank line.
    scanned: usize,
    /// First body byte of the current message, once its head is complete.
    body_start: Option<usize>,
    /// Total length announced by the head; `None` if unknown (then every read asks).
    expected: Option<usize>,
}

impl StreamFramer {
    /// A framer for a stream whose messages may not exceed `max` bytes.
    pub(crate) fn new(max: usize) -> Self {
        StreamFramer {
            max,
            scanned: 0,
            body_start: None,
            expected: None,
        }
    }

    /// Classifies the head of `buf`. After `Ping`, `Skip(n)` or `Message(n)` the caller
    /// must remove those bytes from the front of `buf` before calling again; between
    /// calls otherwise `buf` may only grow at the end.
    pub(crate) fn next_frame(&mut self, buf: &[u8]) -> Frame {
        let frame = self.classify(buf);
        if matches!(frame, Frame::Ping | Frame::Skip(_) | Frame::Message(_)) {
            *self = StreamFramer::new(self.max);
        }
        frame
    }

    fn classify(&mut self, buf: &[u8]) -> Frame {
        if self.body_start.is_none() {
            match buf.first() {
                None => return Frame::NeedMore,
                Some(b'\r' | b'\n') if self.scanned == 0 => return keepalive_frame(buf),
                Some(_) => {}
            }
            // Back up so a blank line split across reads is still found.
            let Some(body_start) = find_body_start(buf, self.scanned.saturating_sub(2)) else {
                self.scanned = buf.len();
                return self.need_more(buf);
            };
            self.body_start = Some(body_start);
            self.expected = expected_length(buf, body_start);
        }
        match self.expected {
            Some(n) if n > self.max => return Frame::Close(DropReason::TooLarge),
            Some(n) if buf.len() < n => return Frame::NeedMore,
            _ => {}
        }
        self.verdict(buf)
    }

    /// Asks the SIP framer, now that it can answer.
    fn verdict(&mut self, buf: &[u8]) -> Frame {
        match sip::message_length(buf) {
            Ok(sip::Frame::Complete { len }) if len > self.max => {
                Frame::Close(DropReason::TooLarge)
            }
            Ok(sip::Frame::Complete { len }) => Frame::Message(len),
            Ok(sip::Frame::KeepAlive { len }) => Frame::Skip(len),
            Ok(sip::Frame::Incomplete) => {
                // The hint disagreed with the parser: stop trusting it for this message.
                self.expected = None;
                self.need_more(buf)
            }
            Err(ParseError::TooLarge { .. }) => Frame::Close(DropReason::TooLarge),
            Err(_) => Frame::Close(DropReason::Framing),
        }
    }

    /// Nothing complete yet; a message already over the limit can only grow.
    fn need_more(&self, buf: &[u8]) -> Frame {
        if buf.len() > self.max {
            Frame::Close(DropReason::TooLarge)
        } else {
            Frame::NeedMore
        }
    }
}

fn keepalive_frame(buf: &[u8]) -> Frame {
    if buf.starts_with(PING) {
        Frame::Ping
    } else if PING.starts_with(buf) {
        // "\r", "\r\n" or "\r\n\r": maybe a ping in two reads.
        Frame::NeedMore
    } else if buf.starts_with(b"\r\n") {
        Frame::Skip(2)
    } else if buf.starts_with(b"\n") {
        // A bare LF between messages: tolerated like a CRLF (robustness principle).
        Frame::Skip(1)
    } else {
        // A CR followed by anything but LF can't start a message or a keep-alive.
        Frame::Close(DropReason::Framing)
    }
}

/// A datagram made only of CR and LF bytes (or empty): a keep-alive to ignore silently.
/// RFC 5626 uses STUN for UDP keep-alives; plain CRLF datagrams are common in the field.
pub(crate) fn is_datagram_keepalive(datagram: &[u8]) -> bool {
    datagram.iter().all(|b| matches!(b, b'\r' | b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next_frame(buf: &[u8], max: usize) -> Frame {
        StreamFramer::new(max).next_frame(buf)
    }

    const MSG: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabc";

    #[test]
    fn complete_message() {
        assert_eq!(next_frame(MSG, 1000), Frame::Message(MSG.len()));
    }

    #[test]
    fn two_messages_frame_one_at_a_time() {
        let two = [MSG, MSG].concat();
        assert_eq!(next_frame(&two, 1000), Frame::Message(MSG.len()));
    }

    #[test]
    fn partial_message_needs_more() {
        for cut in 1..MSG.len() {
            assert_eq!(
                next_frame(&MSG[..cut], 1000),
                Frame::NeedMore,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn ping_and_partial_ping() {
        assert_eq!(next_frame(b"\r\n\r\n", 1000), Frame::Ping);
        assert_eq!(next_frame(b"\r\n\r\nOPTIONS", 1000), Frame::Ping);
        assert_eq!(next_frame(b"\r", 1000), Frame::NeedMore);
        assert_eq!(next_frame(b"\r\n", 1000), Frame::NeedMore);
        assert_eq!(next_frame(b"\r\n\r", 1000), Frame::NeedMore);
    }

    #[test]
    fn lone_crlf_before_message_is_skipped() {
        let mut buf = b"\r\n".to_vec();
        buf.extend_from_slice(MSG);
        assert_eq!(next_frame(&buf, 1000), Frame::Skip(2));
        assert_eq!(next_frame(b"\nOPTIONS", 1000), Frame::Skip(1));
    }

    #[test]
    fn cr_without_lf_closes() {
        assert_eq!(next_frame(b"\rX", 1000), Frame::Close(DropReason::Framing));
    }

    #[test]
    fn declared_length_over_limit_closes() {
        assert_eq!(
            next_frame(MSG, MSG.len() - 1),
            Frame::Close(DropReason::TooLarge)
        );
    }

    #[test]
    fn endless_header_section_closes_at_limit() {
        let junk = vec![b'a'; 65];
        assert_eq!(next_frame(&junk, 64), Frame::Close(DropReason::TooLarge));
        assert_eq!(next_frame(&junk[..64], 64), Frame::NeedMore);
    }

    #[test]
    fn missing_content_length_closes() {
        let m = b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n";
        assert_eq!(next_frame(m, 1000), Frame::Close(DropReason::Framing));
    }

    #[test]
    fn byte_at_a_time_with_state() {
        let two = [MSG, b"\r\n\r\n", MSG].concat();
        let mut f = StreamFramer::new(1000);
        let mut buf = Vec::new();
        let mut frames = Vec::new();
        for b in two {
            buf.push(b);
            loop {
                match f.next_frame(&buf) {
                    Frame::NeedMore => break,
                    Frame::Close(r) => panic!("closed: {r:?}"),
                    fr @ (Frame::Ping | Frame::Skip(_) | Frame::Message(_)) => {
                        let n = match fr {
                            Frame::Ping => 4,
                            Frame::Skip(n) | Frame::Message(n) => n,
                            _ => 0,
                        };
                        frames.push(fr);
                        buf.drain(..n);
                    }
                }
            }
        }
        assert_eq!(
            frames,
            vec![
                Frame::Message(MSG.len()),
                Frame::Ping,
                Frame::Message(MSG.len())
            ]
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn bare_lf_head_is_framed() {
        let m = b"OPTIONS sip:a@b SIP/2.0\nContent-Length: 3\n\nabc";
        assert_eq!(next_frame(m, 1000), Frame::Message(m.len()));
    }

    /// A peer dripping a large message one byte per read must cost linear work: a
    /// quadratic framer would take minutes here in a debug build.
    #[test]
    fn dripped_large_message_is_linear() {
        let mut head = b"INVITE sip:b@example.com SIP/2.0\r\nContent-Length: 30000\r\n".to_vec();
        while head.len() < 30_000 {
            head.extend_from_slice(b"X-Pad: 0123456789012345678901234567890123456789\r\n");
        }
        head.extend_from_slice(b"\r\n");
        let total = head.len() + 30_000;
        let msg = [head, vec![b'v'; 30_000]].concat();
        let mut f = StreamFramer::new(65_535);
        let started = std::time::Instant::now();
        for end in 1..msg.len() {
            assert_eq!(f.next_frame(&msg[..end]), Frame::NeedMore);
        }
        assert_eq!(f.next_frame(&msg), Frame::Message(total));
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn datagram_keepalives() {
        assert!(is_datagram_keepalive(b"\r\n\r\n"));
        assert!(is_datagram_keepalive(b"\r\n"));
        assert!(is_datagram_keepalive(b""));
        assert!(!is_datagram_keepalive(b"\r\nX"));
    }
}
