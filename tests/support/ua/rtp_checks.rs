//! Checks on logged RTP that a monitoring test asserts: stream continuity
//! (SSRC changes, sequence gaps, timestamps that disagree with arrival
//! times — what a relay switching a leg to the mixer must not cause), the
//! RFC 4733 digits in a log and whether each is well formed, and whether
//! what one phone received is, payload for payload, what another sent.

use std::time::Duration;

use super::rtp_log::{PacketRecord, PayloadKind};

/// A run of missing sequence numbers in one SSRC's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqGap {
    pub ssrc: u32,
    /// The last sequence number before the gap.
    pub after: u16,
    pub missing: u16,
}

/// Two consecutive audio packets of one SSRC whose timestamp step and
/// arrival step disagree by more than the tolerance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TsJump {
    pub ssrc: u32,
    /// The sequence number of the later packet.
    pub seq: u16,
    /// The timestamp step in seconds (by the payload type's clock).
    pub ts_secs: f64,
    /// The arrival step in seconds.
    pub arrival_secs: f64,
}

/// The continuity of the packets checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Continuity {
    pub packets: usize,
    /// The SSRCs in order of first appearance.
    pub ssrcs: Vec<u32>,
    /// How often a packet's SSRC differed from the previous packet's.
    pub ssrc_changes: usize,
    pub seq_gaps: Vec<SeqGap>,
    /// Packets whose sequence number was not after the previous one's
    /// (duplicates, reordering, a restarted counter).
    pub seq_backwards: usize,
    pub ts_jumps: Vec<TsJump>,
    /// The largest |timestamp step - arrival step| seen, in seconds.
    pub max_ts_drift: f64,
}

impl Continuity {
    /// One SSRC, no gap, no step back, no timestamp jump.
    pub fn is_seamless(&self) -> bool {
        self.ssrcs.len() <= 1
            && self.seq_gaps.is_empty()
            && self.seq_backwards == 0
            && self.ts_jumps.is_empty()
    }

    /// Packets missing over all gaps.
    pub fn missing(&self) -> u32 {
        self.seq_gaps.iter().map(|g| u32::from(g.missing)).sum()
    }
}

/// Checks `records` in arrival order. Sequence numbers and timestamps are
/// compared with the previous packet of the same SSRC; timestamps only
/// between audio packets (an RFC 4733 event keeps its start timestamp), by
/// each packet's clock, against `tolerance`.
pub fn continuity<'a>(
    records: impl IntoIterator<Item = &'a PacketRecord>,
    tolerance: Duration,
) -> Continuity {
    let mut c = Continuity::default();
    // Per SSRC: the last packet, and the last audio packet.
    let mut last: Vec<(u32, &PacketRecord, Option<&PacketRecord>)> = Vec::new();
    let mut previous_ssrc = None;
    for r in records {
        c.packets += 1;
        let ssrc = r.header.ssrc;
        if previous_ssrc.is_some_and(|p| p != ssrc) {
            c.ssrc_changes += 1;
        }
        previous_ssrc = Some(ssrc);
        let audio = (r.kind == PayloadKind::Audio).then_some(r);
        let Some(entry) = last.iter_mut().find(|(s, _, _)| *s == ssrc) else {
            c.ssrcs.push(ssrc);
            last.push((ssrc, r, audio));
            continue;
        };
        let step = r.header.seq.wrapping_sub(entry.1.header.seq);
        match step {
            1 => {}
            2..=0x7FFF => c.seq_gaps.push(SeqGap {
                ssrc,
                after: entry.1.header.seq,
                missing: step - 1,
            }),
            _ => c.seq_backwards += 1,
        }
        entry.1 = r;
        if let (Some(now), Some(before)) = (audio, entry.2) {
            check_timestamps(&mut c, before, now, tolerance);
        }
        if audio.is_some() {
            entry.2 = audio;
        }
    }
    c
}

fn check_timestamps(c: &mut Continuity, before: &PacketRecord, now: &PacketRecord, tol: Duration) {
    if now.clock_rate == 0 || now.clock_rate != before.clock_rate {
        return;
    }
    let ticks = now.header.ts.wrapping_sub(before.header.ts) as i32;
    let ts_secs = f64::from(ticks) / f64::from(now.clock_rate);
    let arrival_secs = now.at.saturating_duration_since(before.at).as_secs_f64();
    let drift = (ts_secs - arrival_secs).abs();
    c.max_ts_drift = c.max_ts_drift.max(drift);
    if drift > tol.as_secs_f64() {
        c.ts_jumps.push(TsJump {
            ssrc: now.header.ssrc,
            seq: now.header.seq,
            ts_secs,
            arrival_secs,
        });
    }
}

/// One RFC 4733 event as a run of packets with one SSRC and timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtmfDigit {
    pub ssrc: u32,
    pub pt: u8,
    pub ts: u32,
    pub event: u8,
    pub volume: u8,
    /// Sequence numbers of its packets, in order.
    pub seqs: Vec<u16>,
    /// The marker bit of each packet.
    pub markers: Vec<bool>,
    /// The duration field of each packet.
    pub durations: Vec<u16>,
    /// The end bit of each packet.
    pub ends: Vec<bool>,
    /// Whether the event code changed inside the run (never legal).
    pub mixed_events: bool,
}

impl DtmfDigit {
    /// Packets with the end bit (RFC 4733 §2.5.1.4: the end is sent 3 times).
    pub fn end_packets(&self) -> usize {
        self.ends.iter().filter(|&&e| e).count()
    }

    /// The final duration in ticks (of the last packet).
    pub fn duration(&self) -> u16 {
        self.durations.last().copied().unwrap_or(0)
    }

    /// Why this event is not well formed, if it is not: marker on the first
    /// packet only, durations never decreasing, seqs consecutive, end bit
    /// only on a tail of at least 3 packets with equal durations.
    pub fn defect(&self) -> Option<String> {
        let first_end = self.ends.iter().position(|&e| e);
        let checks = [
            (self.mixed_events, "the event code changes"),
            (
                self.markers.first() != Some(&true),
                "no marker on the first packet",
            ),
            (
                self.markers.iter().skip(1).any(|&m| m),
                "a marker after the first packet",
            ),
            (
                self.durations.windows(2).any(|w| w[1] < w[0]),
                "a duration decreases",
            ),
            (
                self.seqs.windows(2).any(|w| w[1] != w[0].wrapping_add(1)),
                "seqs not consecutive",
            ),
            (self.end_packets() < 3, "fewer than 3 end packets"),
            (
                first_end.is_some_and(|i| self.ends[i..].iter().any(|&e| !e)),
                "a packet without the end bit after the end",
            ),
            (
                first_end
                    .is_some_and(|i| self.durations[i..].iter().any(|&d| d != self.duration())),
                "end packets with different durations",
            ),
        ];
        checks
            .iter()
            .find(|(bad, _)| *bad)
            .map(|(_, why)| format!("event {} at ts {}: {why}", self.event, self.ts))
    }
}

/// The telephone-events among `records`, grouped by (SSRC, timestamp).
pub fn dtmf_digits<'a>(records: impl IntoIterator<Item = &'a PacketRecord>) -> Vec<DtmfDigit> {
    let mut out: Vec<DtmfDigit> = Vec::new();
    for r in records {
        let Some(ev) = r.event() else {
            continue;
        };
        let h = r.header;
        let index = match out.iter().position(|d| d.ssrc == h.ssrc && d.ts == h.ts) {
            Some(i) => i,
            None => {
                out.push(DtmfDigit {
                    ssrc: h.ssrc,
                    pt: h.pt,
                    ts: h.ts,
                    event: ev.event,
                    volume: ev.volume,
                    seqs: Vec::new(),
                    markers: Vec::new(),
                    durations: Vec::new(),
                    ends: Vec::new(),
                    mixed_events: false,
                });
                out.len() - 1
            }
        };
        let Some(digit) = out.get_mut(index) else {
            continue;
        };
        digit.mixed_events |= digit.event != ev.event;
        digit.seqs.push(h.seq);
        digit.markers.push(h.marker);
        digit.durations.push(ev.duration);
        digit.ends.push(ev.end);
    }
    out
}

/// How much of what was received is, byte for byte and in order, what was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadMatch {
    pub received: usize,
    /// Received payloads found among the sent ones, in order.
    pub matched: usize,
    /// The index (among the received) of the first payload not found.
    pub first_unmatched: Option<usize>,
}

/// How far ahead in the sent log a received payload is looked for (loss).
const MATCH_LOOKAHEAD: usize = 250;

/// Walks `received` in order, finding each payload in `sent` after the
/// previous match (headers are ignored: a relay rewrites SSRC, sequence and
/// timestamp, but must not touch the payload unless it transcodes).
pub fn match_payloads(sent: &[PacketRecord], received: &[PacketRecord]) -> PayloadMatch {
    let mut next = 0;
    let mut m = PayloadMatch {
        received: received.len(),
        matched: 0,
        first_unmatched: None,
    };
    for (i, r) in received.iter().enumerate() {
        let window = sent.iter().enumerate().skip(next).take(MATCH_LOOKAHEAD);
        match window.into_iter().find(|(_, s)| s.payload == r.payload) {
            Some((j, _)) => {
                m.matched += 1;
                next = j + 1;
            }
            None => {
                m.first_unmatched.get_or_insert(i);
            }
        }
    }
    m
}
