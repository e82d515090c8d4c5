//! Monitoring through the real relay: customer, agent and supervisors are UDP phones
//! on loopback, each sending a pure tone in real time (customer 500 Hz, agent
//! 1000 Hz, supervisor 1800 Hz, a second supervisor 2400 Hz); what each receives is
//! decoded and analysed with Goertzel to prove who hears whom in every mode and
//! after switches. Also shown: listen leaves the legs' packets bit-identical; a leg
//! switched between relay and mixer stays one RTP stream (SSRC, sequence, time);
//! mixed codecs and SRTP; two supervisors; releasing a supervisor or the call;
//! a supervisor's DTMF; the agent's beep; a supervisor's error tone (620 Hz) after a
//! refused mode switch. The tests share the CPU-bound real-time
//! phones, so they run one at a time.

mod common;
mod voice;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use sbc_core::ids::{LegSide, StreamId};
use sbc_core::media::{
    AgentAfterTakeover, MediaControl, MediaError, MediaEventKind, SupervisorNotice,
};
use sbc_core::monitoring::MonitorMode::{Barge, Listen, Takeover, Whisper};
use sbc_media::codec::CodecKind::{Opus, Pcma, Pcmu, G722};
use sbc_media::MediaEngine;
use voice::*;

const C: f64 = 500.0;
const A: f64 = 1000.0;
const S: f64 = 1800.0;
const S2: f64 = 2400.0;
const TONES: [f64; 3] = [C, A, S];
const BEEP: f64 = 1400.0;
const CUSTOMER: usize = 0;
const AGENT: usize = 1;
const SUPERVISOR: usize = 2;
const RELEASED: AgentAfterTakeover = AgentAfterTakeover::Released;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn engine() -> MediaEngine {
    MediaEngine::start(engine_settings(16)).expect("engine starts")
}

fn three(customer: Party, agent: Party, supervisor: Party) -> Call {
    Call::new(engine(), vec![customer, agent, supervisor])
}

/// The only packets dropped are the supervisor's, sent in the first `ms` before
/// monitoring started (its stream was not connected to anything yet).
fn assert_only_early_supervisor_drops(call: &Call, ms: u64) {
    use sbc_media::DropReason;
    let drops = call.engine.stats().traffic.drops;
    let early = drops.get(DropReason::NotConnected);
    assert_eq!(drops.total(), early, "{drops:?}");
    let sup = call.engine.stream_stats(call.supervisors[0]).unwrap().drops;
    assert_eq!(sup.get(DropReason::NotConnected), early);
    assert!(early <= ms / 20, "{early} early drops");
}

/// Asserts what customer, agent and supervisor heard since `m`.
fn expect(call: &Call, what: &str, m: &[usize], hears: [[bool; 3]; 3]) {
    for (i, who) in ["customer", "agent", "supervisor"].iter().enumerate() {
        let amps = call.heard(i, m, &TONES);
        assert_hears(who, what, &amps, &TONES, &hears[i]);
    }
}

#[test]
fn listen_is_a_pure_tap_and_the_supervisor_hears_both() {
    let _serial = serial();
    let mut call = three(
        Party::new(Pcmu, C),
        Party::new(Pcmu, A),
        Party::new(Opus, S),
    );
    call.talk(300);
    let m = call.marks();
    call.monitor(&[Listen], RELEASED, false);
    call.talk(900);
    expect(
        &call,
        "listen",
        &m,
        [
            [false, true, false],
            [true, false, false],
            [true, true, false],
        ],
    );
    // Before and during listen, every packet crossed unchanged, byte for byte.
    for (from, to) in [(CUSTOMER, AGENT), (AGENT, CUSTOMER)] {
        let sent = &call.phones[from].sent;
        let got: Vec<&Vec<u8>> = call.phones[to].got.iter().map(|r| &r.pkt).collect();
        assert_eq!(got.len(), sent.len(), "every packet relayed {from} -> {to}");
        assert!(
            got.iter().zip(sent).all(|(g, s)| *g == s),
            "{from} -> {to}: relayed packets differ from what was sent"
        );
    }
    assert_only_early_supervisor_drops(&call, 300);
}

#[test]
fn every_mode_routes_the_right_tones_on_one_continuous_stream_per_leg() {
    let _serial = serial();
    let mut call = three(
        Party::new(Pcmu, C),
        Party::new(Pcmu, A),
        Party::new(Opus, S),
    );
    call.talk(200);
    let phases = [
        (
            Listen,
            RELEASED,
            [
                [false, true, false],
                [true, false, false],
                [true, true, false],
            ],
        ),
        (
            Whisper,
            RELEASED,
            [
                [false, true, false],
                [true, false, true],
                [true, true, false],
            ],
        ),
        (
            Barge,
            RELEASED,
            [
                [false, true, true],
                [true, false, true],
                [true, true, false],
            ],
        ),
        (
            Listen,
            RELEASED,
            [
                [false, true, false],
                [true, false, false],
                [true, true, false],
            ],
        ),
        (
            Takeover,
            AgentAfterTakeover::Listening,
            [
                [false, false, true],
                [true, false, true],
                [true, false, false],
            ],
        ),
    ];
    for (mode, after, hears) in phases {
        let m = call.marks();
        call.monitor(&[mode], after, false);
        call.talk(700);
        expect(&call, &format!("{mode} ({after:?})"), &m, hears);
    }
    // Take-over with the agent released: the agent gets nothing, and is heard by
    // nobody.
    let m = call.marks();
    call.monitor(&[Takeover], RELEASED, false);
    call.talk(700);
    let agent = &call.phones[AGENT];
    assert_eq!(
        agent.audio_packets((m[AGENT], agent.got.len()), SETTLE),
        0,
        "a released agent is sent nothing"
    );
    for (i, who, hears) in [
        (CUSTOMER, "customer", [false, false, true]),
        (SUPERVISOR, "supervisor", [true, false, false]),
    ] {
        assert_hears(
            who,
            "take-over (released)",
            &call.heard(i, &m, &TONES),
            &TONES,
            &hears,
        );
    }
    // Back to listen: the agent's stream resumes where it stopped.
    let m = call.marks();
    call.monitor(&[Listen], RELEASED, false);
    call.talk(600);
    expect(
        &call,
        "listen again",
        &m,
        [
            [false, true, false],
            [true, false, false],
            [true, true, false],
        ],
    );
    // Whatever fed them, customer and agent each received one RTP stream.
    assert_continuous("customer", &call.phones[CUSTOMER].got, 8000);
    assert_continuous("agent", &call.phones[AGENT].got, 8000);
    assert_continuous("supervisor", &call.phones[SUPERVISOR].got, 48_000);
}

#[test]
fn mixed_codecs_and_an_srtp_leg() {
    let _serial = serial();
    let mut agent = Party::new(G722, A);
    agent.srtp = Some(LegKeys::new(7));
    let mut call = three(Party::new(Pcmu, C), agent, Party::new(Opus, S));
    call.talk(200);
    for (mode, hears) in [
        (
            Barge,
            [
                [false, true, true],
                [true, false, true],
                [true, true, false],
            ],
        ),
        (
            Whisper,
            [
                [false, true, false],
                [true, false, true],
                [true, true, false],
            ],
        ),
    ] {
        let m = call.marks();
        call.monitor(&[mode], RELEASED, false);
        call.talk(800);
        expect(&call, &format!("{mode}, PCMU/G.722+SRTP/Opus"), &m, hears);
    }
    let agent = &call.phones[AGENT];
    assert_eq!(agent.bad, 0, "every packet to the SRTP leg authenticates");
    // The agent got G.722 from the mixer, the customer's PCMU from the relay.
    assert!(agent.got.iter().any(|r| r.pt() == 9) && agent.got.iter().any(|r| r.pt() == 0));
    assert_continuous("agent", &agent.got, 8000);
    assert_continuous("customer", &call.phones[CUSTOMER].got, 8000);
    assert_only_early_supervisor_drops(&call, 200);
}

#[test]
fn a_supervisor_changing_codec_mid_call_is_still_mixed() {
    let _serial = serial();
    let mut call = three(
        Party::new(Pcmu, C),
        Party::new(Pcmu, A),
        Party::new(Opus, S),
    );
    call.monitor(&[Barge], RELEASED, false);
    call.talk(500);
    // A re-INVITE: the supervisor now sends and takes G.722 only.
    call.reinvite(SUPERVISOR, &Party::new(G722, S));
    let m = call.marks();
    call.talk(700);
    expect(
        &call,
        "barge after the supervisor's re-INVITE",
        &m,
        [
            [false, true, true],
            [true, false, true],
            [true, true, false],
        ],
    );
    let sup = &call.phones[SUPERVISOR];
    assert!(
        sup.got[m[SUPERVISOR] + 15..].iter().all(|r| r.pt() == 9),
        "sent G.722 now"
    );
}

#[test]
fn two_supervisors_then_each_released() {
    let _serial = serial();
    let mut call = Call::new(
        engine(),
        vec![
            Party::new(Pcmu, C),
            Party::new(Pcmu, A),
            Party::new(Opus, S),
            Party::new(Pcma, S2),
        ],
    );
    let tones = [C, A, S, S2];
    call.talk(200);
    let m = call.marks();
    call.monitor(&[Listen, Barge], RELEASED, false);
    call.talk(800);
    for (i, who, hears) in [
        (0, "customer", [false, true, false, true]),
        (1, "agent", [true, false, false, true]),
        (2, "listener", [true, true, false, true]),
        (3, "barger", [true, true, false, false]),
    ] {
        assert_hears(
            who,
            "listen + barge",
            &call.heard(i, &m, &tones),
            &tones,
            &hears,
        );
    }
    // The barger hangs up: the listener goes on, the legs hear each other again.
    call.engine.release_stream(call.supervisors[1]);
    call.engine.sync().unwrap();
    call.settle();
    let m = call.marks();
    call.talk(700);
    for (i, who, hears) in [
        (0, "customer", [false, true, false, false]),
        (1, "agent", [true, false, false, false]),
        (2, "listener", [true, true, false, false]),
    ] {
        assert_hears(
            who,
            "barger released",
            &call.heard(i, &m, &tones),
            &tones,
            &hears,
        );
    }
    let barger_got = call.phones[3].got.len();
    // The listener hangs up too: monitoring is over, plain relay.
    call.engine.release_stream(call.supervisors[0]);
    call.engine.sync().unwrap();
    call.settle();
    let m = call.marks();
    call.talk(500);
    assert_eq!(
        call.phones[2].got.len(),
        m[2],
        "a released supervisor gets nothing"
    );
    assert_eq!(call.phones[3].got.len(), barger_got);
    for (i, who, hears) in [(0, "customer", [false, true]), (1, "agent", [true, false])] {
        assert_hears(
            who,
            "unmonitored",
            &call.heard(i, &m, &[C, A]),
            &[C, A],
            &hears,
        );
    }
    assert_eq!(call.engine.stats().active_streams, 2);
    assert_continuous("customer", &call.phones[CUSTOMER].got, 8000);
    assert_continuous("agent", &call.phones[AGENT].got, 8000);
}

#[test]
fn releasing_a_monitored_call_ends_everything() {
    let _serial = serial();
    let mut call = three(
        Party::new(Pcmu, C),
        Party::new(Pcmu, A),
        Party::new(Opus, S),
    );
    call.monitor(&[Barge], RELEASED, true);
    call.talk(400);
    call.engine.release_call(call.call);
    call.engine.sync().unwrap();
    assert_eq!(call.engine.stats().active_streams, 0);
    call.settle();
    let m = call.marks();
    call.talk(200);
    assert_eq!(call.marks(), m, "nothing is sent after the release");
    // The worker lives on: a new call relays (reusing the released ports).
    let (a, b) = (common::phone(), common::phone());
    let c = common::connected_call(
        &call.engine,
        sbc_core::ids::CallRef(43),
        common::remote_mux(common::addr(&a)),
        common::remote_mux(common::addr(&b)),
    );
    a.send_to(&common::rtp(1), c.ep_a.rtp).unwrap();
    assert_eq!(common::recv(&b).0, common::rtp(1));
}

#[test]
fn a_supervisors_digits_are_reported_without_a_side() {
    let _serial = serial();
    let engine = engine();
    let events = engine.take_events().expect("event queue");
    let mut call = Call::new(
        engine,
        vec![
            Party::new(Pcmu, C),
            Party::new(Pcmu, A),
            Party::new(Opus, S),
        ],
    );
    call.monitor(&[Listen], RELEASED, false);
    call.talk(100);
    call.phones[SUPERVISOR].send_digit(2);
    call.phones[CUSTOMER].send_digit(5);
    let mut seen = Vec::new();
    while let Ok(ev) = events.recv_timeout(Duration::from_millis(500)) {
        let MediaEventKind::Dtmf { digit, .. } = ev.kind else {
            panic!("unexpected {ev:?}");
        };
        seen.push((ev.side, ev.stream, digit));
        if seen.len() == 2 {
            break;
        }
    }
    seen.sort_by_key(|(_, _, d)| *d);
    assert_eq!(
        seen,
        [
            (None, call.supervisors[0], '2'),
            (Some(LegSide::A), call.customer, '5')
        ]
    );
}

/// Amplitude of the beep in what phone `i` got in `[from, to)`, no settling.
fn beep_level(call: &Call, i: usize, from: usize, to: usize) -> f64 {
    call.phones[i].amplitudes((from, to), Duration::ZERO, &[BEEP])[0]
}

#[test]
fn the_agent_hears_a_beep_when_monitoring_starts_and_stops() {
    let _serial = serial();
    let mut call = three(
        Party::new(Pcmu, C),
        Party::new(Pcmu, A),
        Party::new(Opus, S),
    );
    call.talk(300);
    let before = call.marks();
    call.monitor(&[Listen], RELEASED, true);
    call.talk(600);
    let started = call.marks();
    call.talk(600);
    let steady = call.marks();
    // Monitoring ends: the closing beep.
    call.engine
        .set_monitoring(call.picture(&[], RELEASED, true))
        .unwrap();
    call.engine.sync().unwrap();
    call.talk(600);
    let stopped = call.marks();
    call.talk(400);
    let end = call.marks();
    // Two bursts of 100 ms in a 600 ms window: a third of the beep's amplitude.
    let level = |i: usize, a: &[usize], b: &[usize]| beep_level(&call, i, a[i], b[i]);
    assert!(level(AGENT, &before, &started) > 1200.0, "start beep");
    assert!(
        level(AGENT, &started, &steady) < 200.0,
        "no beep while monitoring"
    );
    assert!(level(AGENT, &steady, &stopped) > 1200.0, "stop beep");
    assert!(level(AGENT, &stopped, &end) < 200.0, "no beep after");
    for (a, b) in [(&before, &started), (&steady, &stopped)] {
        assert!(
            level(CUSTOMER, a, b) < 200.0,
            "the customer never hears the beep"
        );
    }
    // After each beep the agent is relayed to again: the customer's payloads,
    // unchanged, in one continuous stream.
    let agent = &call.phones[AGENT];
    let sent: Vec<&[u8]> = call.phones[CUSTOMER]
        .sent
        .iter()
        .map(|p| &p[12..])
        .collect();
    let tail = &agent.got[end[AGENT] - 10..end[AGENT]];
    for r in tail {
        assert!(sent.contains(&&r.pkt[12..]), "relayed payload, not a mix");
    }
    assert_continuous("agent", &agent.got, 8000);
}

#[test]
fn pictures_that_cannot_be_mixed_are_refused() {
    let _serial = serial();
    let mut no_codec = Party::new(Pcmu, S);
    no_codec.audio = Some(Vec::new());
    let call = Call::new(
        engine(),
        vec![
            Party::new(Pcmu, C),
            Party::new(Pcmu, A),
            Party::new(Opus, S),
            no_codec,
        ],
    );
    let mut bad = call.picture(&[Listen], RELEASED, false);
    bad.supervisors[0].stream = StreamId(9999);
    assert_eq!(
        call.engine.set_monitoring(bad),
        Err(MediaError::UnknownStream(StreamId(9999)))
    );
    let mut bad = call.picture(&[Listen], RELEASED, false);
    bad.agent = call.supervisors[0];
    assert!(matches!(
        call.engine.set_monitoring(bad),
        Err(MediaError::Monitor(_))
    ));
    let bad = call.picture(&[Listen, Listen], RELEASED, false);
    assert!(
        matches!(call.engine.set_monitoring(bad), Err(MediaError::Monitor(_))),
        "a supervisor without a mixable format"
    );
    // Stopping monitoring that never started, or on a call that is gone, is fine.
    assert_eq!(
        call.engine
            .set_monitoring(call.picture(&[], RELEASED, true)),
        Ok(())
    );
    call.engine.release_call(call.call);
    assert_eq!(
        call.engine
            .set_monitoring(call.picture(&[], RELEASED, true)),
        Ok(())
    );
    call.engine.release_stream(StreamId(12345));
}

/// The refusal tone's frequency (`sbc-media/src/monitor/notice.rs`).
const REFUSED: f64 = 620.0;

#[test]
fn a_refused_switch_plays_the_error_tone_to_that_supervisor_only() {
    let _serial = serial();
    let mut call = Call::new(
        engine(),
        vec![
            Party::new(Pcmu, C),
            Party::new(Pcmu, A),
            Party::new(Opus, S),
            Party::new(Pcma, S2),
        ],
    );
    let (listener, whisperer) = (SUPERVISOR, SUPERVISOR + 1);
    let notice = SupervisorNotice::Refused;
    call.monitor(&[Listen], RELEASED, false);
    // Only a supervisor in the call's picture can be told anything.
    let refused = |r: Result<(), MediaError>| matches!(r, Err(MediaError::Monitor(_)));
    assert!(refused(
        call.engine.play_notice(call.supervisors[1], notice)
    ));
    assert!(refused(call.engine.play_notice(call.customer, notice)));
    assert!(refused(call.engine.play_notice(call.agent, notice)));
    assert_eq!(
        call.engine.play_notice(StreamId(9999), notice),
        Err(MediaError::UnknownStream(StreamId(9999)))
    );
    // The whisperer joins; the agent is fed by the mixer from now on.
    call.monitor(&[Listen, Whisper], RELEASED, false);
    call.talk(600);
    let before = call.marks();
    call.engine
        .play_notice(call.supervisors[0], notice)
        .unwrap();
    call.engine.sync().unwrap();
    call.talk(800);
    let toned = call.marks();
    call.talk(600);
    let after = call.marks();

    // The listener: three bursts of about 100 ms (5 packets) on top of its mix.
    let sup = &call.phones[listener];
    let levels = sup.packet_levels((before[listener], toned[listener]), REFUSED);
    let runs = bursts(&levels, 3000.0);
    assert!(
        runs.len() == 3 && runs.iter().all(|n| (4..=6).contains(n)),
        "bursts {runs:?} in {levels:.0?}"
    );
    let quiet = sup.packet_levels((toned[listener], after[listener]), REFUSED);
    assert!(bursts(&quiet, 1500.0).is_empty(), "once: {quiet:.0?}");
    // ...and it heard the call all along, on one continuous stream.
    for (what, from, to) in [("tone", &before, &toned), ("after", &toned, &after)] {
        let window = (from[listener], to[listener]);
        let amps = call.phones[listener].amplitudes(window, SETTLE, &[C, A]);
        assert_hears("listener", what, &amps, &[C, A], &[true, true]);
    }
    assert_continuous("listener", &call.phones[listener].got, 48_000);
    // Nobody else hears it: not the other supervisor, not the agent (mixer-fed),
    // not the customer.
    for (i, who) in [
        (whisperer, "whisperer"),
        (AGENT, "agent"),
        (CUSTOMER, "customer"),
    ] {
        let level = call.phones[i].amplitudes((before[i], after[i]), Duration::ZERO, &[REFUSED])[0];
        assert!(level < 200.0, "{who} heard the tone ({level:.0})");
        let peak = call.phones[i]
            .packet_levels((before[i], after[i]), REFUSED)
            .into_iter()
            .fold(0.0, f64::max);
        assert!(
            peak < 1500.0,
            "{who} heard the tone in a packet ({peak:.0})"
        );
    }
    assert_continuous("agent", &call.phones[AGENT].got, 8000);
    assert_continuous("whisperer", &call.phones[whisperer].got, 8000);
    // A released supervisor's stream is gone.
    call.engine.release_stream(call.supervisors[0]);
    assert_eq!(
        call.engine.play_notice(call.supervisors[0], notice),
        Err(MediaError::UnknownStream(call.supervisors[0]))
    );
}
