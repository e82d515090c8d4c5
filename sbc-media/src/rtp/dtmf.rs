//! RFC 4733 telephone-event detection: one [`DtmfEvent`] per key press, whatever the
//! redundancy, loss or duplication on the wire.
//!
//! A key press is one RTP timestamp: every packet of an event (start, updates with a
//! growing duration, three retransmitted end packets, section 2.5.1.4) carries the
//! timestamp of its start. So the detector emits when it first sees a timestamp, and
//! stays quiet for every later packet with that timestamp.
//!
//! **Emit at start, not at end.** Monitoring switches modes on digits and IVR-style
//! logic should react while the key is still down; waiting for the end costs the whole
//! key duration (often 100-250 ms) and, when all three end packets are lost, forever.
//! The emitted duration is therefore the duration known at that point (0 on a clean
//! start); `end_seen` says the first packet we got was already an end packet.
//!
//! Robustness rules: a late packet of an older event (timestamp behind the current one)
//! is ignored; a long event split into segments (section 2.5.1.3: same event, next
//! timestamp = previous + duration, no marker) is one press; a new SSRC starts afresh;
//! events 16 and up (tones, not DTMF) are ignored without touching state.

use super::header::RtpHeader;
use super::types::{PayloadType, Ssrc};

/// RFC 4733 section 2.3: event, E|R|volume, duration.
const EVENT_LEN: usize = 4;
/// How far behind the current event a timestamp may be and still count as a late
/// packet of an old event rather than a timestamp restart (about 2 minutes at 8 kHz).
const STALE_WINDOW: u32 = 1 << 20;
/// Largest segment length of a long-duration event (the 16-bit duration field).
const MAX_SEGMENT: u32 = 0xffff;

/// A DTMF key (RFC 4733 section 3.2, events 0-15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtmfDigit {
    D0,
    D1,
    D2,
    D3,
    D4,
    D5,
    D6,
    D7,
    D8,
    D9,
    Star,
    Pound,
    A,
    B,
    C,
    D,
}

impl DtmfDigit {
    const ALL: [Self; 16] = [
        Self::D0,
        Self::D1,
        Self::D2,
        Self::D3,
        Self::D4,
        Self::D5,
        Self::D6,
        Self::D7,
        Self::D8,
        Self::D9,
        Self::Star,
        Self::Pound,
        Self::A,
        Self::B,
        Self::C,
        Self::D,
    ];

    /// The digit for event codes 0-15; `None` for other telephone events.
    pub fn from_event(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }

    /// The RFC 4733 event code.
    pub fn event_code(self) -> u8 {
        self as u8
    }

    /// '0'-'9', '*', '#', 'A'-'D'.
    pub fn as_char(self) -> char {
        char::from(
            b"0123456789*#ABCD"
                .get(usize::from(self.event_code()))
                .copied()
                .unwrap_or(b'?'),
        )
    }
}

/// One decoded telephone-event payload (the first event block; RFC 2198 redundancy
/// uses its own payload type and is not parsed here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    pub event: u8,
    /// The E bit: this packet ends the event.
    pub end: bool,
    /// Power level in -dBm0 (0-63); meaningless for non-tone events.
    pub volume: u8,
    /// Duration so far, in timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// `None` when the payload is shorter than 4 bytes.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let b: [u8; EVENT_LEN] = payload.get(..EVENT_LEN)?.try_into().ok()?;
        Some(Self {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3f,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }
}

/// A key press, reported once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfEvent {
    pub digit: DtmfDigit,
    pub ssrc: Ssrc,
    /// RTP timestamp of the event start: the key-press identity.
    pub timestamp: u32,
    /// Duration known when emitted, in timestamp units.
    pub duration: u16,
    pub volume: u8,
    /// The first packet seen already had the E bit (start and updates were lost).
    pub end_seen: bool,
}

/// The event in progress for one stream.
#[derive(Debug, Clone, Copy)]
struct Current {
    ssrc: Ssrc,
    /// Timestamp of the latest segment (equals the start for short events).
    timestamp: u32,
    event: u8,
    duration: u16,
    ended: bool,
}

/// RFC 4733 detector for one stream and one negotiated telephone-event payload type.
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    payload_type: PayloadType,
    current: Option<Current>,
    malformed: u64,
}

impl DtmfDetector {
    /// Detects events carried with `payload_type` (from `a=rtpmap:N telephone-event/...`).
    pub fn new(payload_type: PayloadType) -> Self {
        Self {
            payload_type,
            current: None,
            malformed: 0,
        }
    }

    /// The configured payload type.
    pub fn payload_type(&self) -> PayloadType {
        self.payload_type
    }

    /// Telephone-event packets too short to decode.
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    /// Feeds one packet; returns the event when this packet starts a new key press.
    pub fn on_packet(&mut self, hdr: &RtpHeader<'_>, payload: &[u8]) -> Option<DtmfEvent> {
        if hdr.payload_type() != self.payload_type {
            return None;
        }
        let Some(te) = TelephoneEvent::parse(payload) else {
            self.malformed += 1;
            return None;
        };
        let digit = DtmfDigit::from_event(te.event)?;
        let (ssrc, ts) = (hdr.ssrc(), hdr.timestamp());
        if let Some(cur) = self.current.as_mut().filter(|c| c.ssrc == ssrc) {
            if ts == cur.timestamp {
                cur.duration = cur.duration.max(te.duration);
                cur.ended |= te.end;
                return None;
            }
            if is_stale(ts, cur.timestamp) {
                return None;
            }
            if continues_segment(cur, ts, &te, hdr.marker()) {
                *cur = Current {
                    timestamp: ts,
                    duration: te.duration,
                    ended: te.end,
                    ..*cur
                };
                return None;
            }
        }
        self.current = Some(Current {
            ssrc,
            timestamp: ts,
            event: te.event,
            duration: te.duration,
            ended: te.end,
        });
        Some(DtmfEvent {
            digit,
            ssrc,
            timestamp: ts,
            duration: te.duration,
            volume: te.volume,
            end_seen: te.end,
        })
    }
}

/// `ts` is behind `current` (serial arithmetic) by less than the stale window.
fn is_stale(ts: u32, current: u32) -> bool {
    let behind = current.wrapping_sub(ts);
    behind != 0 && behind < STALE_WINDOW
}

/// Section 2.5.1.3: the next segment of a long event has the same code, no marker, and
/// starts where the previous segment's duration ended (at most 0xFFFF later).
fn continues_segment(cur: &Current, ts: u32, te: &TelephoneEvent, marker: bool) -> bool {
    let delta = ts.wrapping_sub(cur.timestamp);
    te.event == cur.event
        && !cur.ended
        && !marker
        && delta >= u32::from(cur.duration)
        && delta <= MAX_SEGMENT
}

#[cfg(test)]
mod tests {
    use super::*;

    const PT: u8 = 101;

    /// An RTP packet carrying one telephone event.
    fn pkt(seq: u16, ts: u32, marker: bool, event: u8, end: bool, duration: u16) -> Vec<u8> {
        let mut p = vec![0x80, PT | if marker { 0x80 } else { 0 }];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&0x1111_2222u32.to_be_bytes());
        p.extend_from_slice(&[event, if end { 0x80 } else { 0 } | 10]);
        p.extend_from_slice(&duration.to_be_bytes());
        p
    }

    fn run(det: &mut DtmfDetector, pkts: &[Vec<u8>]) -> Vec<DtmfEvent> {
        pkts.iter()
            .filter_map(|p| {
                let h = RtpHeader::parse(p).expect("valid RTP");
                det.on_packet(&h, h.payload())
            })
            .collect()
    }

    fn detector() -> DtmfDetector {
        DtmfDetector::new(PayloadType::new(PT).expect("7 bits"))
    }

    /// A full press: marker start, two updates, three end packets.
    fn press(seq: u16, ts: u32, event: u8) -> Vec<Vec<u8>> {
        vec![
            pkt(seq, ts, true, event, false, 0),
            pkt(seq + 1, ts, false, event, false, 160),
            pkt(seq + 2, ts, false, event, false, 320),
            pkt(seq + 3, ts, false, event, true, 480),
            pkt(seq + 4, ts, false, event, true, 480),
            pkt(seq + 5, ts, false, event, true, 480),
        ]
    }

    #[test]
    fn one_event_per_press_emitted_at_start() {
        let mut det = detector();
        let ev = run(&mut det, &press(1, 8000, 5));
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].digit, DtmfDigit::D5);
        assert_eq!(
            (ev[0].timestamp, ev[0].duration, ev[0].volume),
            (8000, 0, 10)
        );
        assert!(!ev[0].end_seen);
    }

    #[test]
    fn lost_start_still_emits_once() {
        let mut det = detector();
        let pkts = press(1, 8000, 11);
        let ev = run(&mut det, &pkts[3..]);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].digit, DtmfDigit::Pound);
        assert!(ev[0].end_seen);
        assert_eq!(ev[0].duration, 480);
    }

    #[test]
    fn same_digit_new_timestamp_emits_again() {
        let mut det = detector();
        let mut pkts = press(1, 8000, 1);
        pkts.extend(press(7, 9600, 1));
        let ev = run(&mut det, &pkts);
        assert_eq!(
            ev.iter().map(|e| e.timestamp).collect::<Vec<_>>(),
            [8000, 9600]
        );
    }

    #[test]
    fn late_end_of_previous_event_is_ignored() {
        let mut det = detector();
        let mut pkts = press(1, 8000, 1)[..3].to_vec();
        pkts.extend(press(7, 9600, 2));
        pkts.push(pkt(4, 8000, false, 1, true, 480));
        pkts.push(pkt(5, 7000, false, 1, true, 480));
        let ev = run(&mut det, &pkts);
        let digits: Vec<_> = ev.iter().map(|e| e.digit.as_char()).collect();
        assert_eq!(digits, ['1', '2']);
    }

    #[test]
    fn long_event_segments_are_one_press() {
        let mut det = detector();
        let pkts = vec![
            pkt(1, 1000, true, 0, false, 0),
            pkt(2, 1000, false, 0, false, 0xffff),
            pkt(3, 1000 + 0xffff, false, 0, false, 160),
            pkt(4, 1000 + 0xffff, false, 0, true, 320),
        ];
        assert_eq!(run(&mut det, &pkts).len(), 1);
    }

    #[test]
    fn non_dtmf_events_wrong_pt_and_short_payloads_ignored() {
        let mut det = detector();
        assert!(run(&mut det, &[pkt(1, 100, true, 16, false, 0)]).is_empty());
        assert!(run(&mut det, &[pkt(2, 200, true, 70, false, 0)]).is_empty());
        let mut other = pkt(3, 300, true, 3, false, 0);
        other[1] = 0x80;
        assert!(run(&mut det, &[other]).is_empty());
        let mut short = pkt(4, 400, true, 3, false, 0);
        short.truncate(14);
        assert!(run(&mut det, &[short]).is_empty());
        assert_eq!(det.malformed(), 1);
        // The ignored packets left no state behind: the next real press is reported.
        assert_eq!(run(&mut det, &press(5, 500, 15))[0].digit, DtmfDigit::D);
    }

    #[test]
    fn new_ssrc_starts_afresh() {
        let mut det = detector();
        let first = press(1, 8000, 4);
        let mut second = press(1, 8000, 4);
        for p in &mut second {
            p[8..12].copy_from_slice(&0x3333_4444u32.to_be_bytes());
        }
        assert_eq!(run(&mut det, &first).len(), 1);
        assert_eq!(run(&mut det, &second).len(), 1);
    }

    #[test]
    fn digits_map_to_chars() {
        let s: String = (0..16)
            .filter_map(DtmfDigit::from_event)
            .map(DtmfDigit::as_char)
            .collect();
        assert_eq!(s, "0123456789*#ABCD");
        assert_eq!(DtmfDigit::from_event(16), None);
    }
}
