//! End-to-end calls between two real SIP user agents (baresip) through the
//! real daemon on loopback: alice calls bob through the SBC, each plays a
//! different pure tone (alice 440 Hz, bob 1000 Hz) and records what it
//! hears; a Goertzel detector then proves each side heard the other's tone,
//! intact and nearly complete, and never its own.
//!
//! Two flavours: plain RTP on both legs, and SDES-SRTP mandatory on both
//! legs (`mediaenc=srtp-mand` on the UAs, `srtp = "mandatory"` on both
//! trunks), where the SDP traces must also show RTP/SAVP with different
//! keys on the two legs: the SBC terminates SRTP on each leg, it does not
//! pass keys through.
//!
//! Both UAs and both trunks sit on 127.0.0.1; the SBC tells the legs apart
//! by port and routes by the Request-URI user (`bob`, `alice`).

mod support;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use support::baresip::{self, Baresip, TracedMessage, UaConfig};
use support::ports::{media_range, PortRange};
use support::tone::{self, Detector, ToneReport, Wav};
use support::{metrics, SbcProcess};

const ALICE_HZ: f64 = 440.0;
const BOB_HZ: f64 = 1000.0;
/// alice quits (hanging up) this long after starting.
const CALL: Duration = Duration::from_secs(6);
/// Tone files outlast the call: aufile plays silence after the end.
const TONE_SECS: f64 = 10.0;
/// About -12 dBFS: loud, far from G.711 clipping.
const AMPLITUDE: i16 = 8000;
/// A side must hear at least this share of what the other side sent.
const MIN_HEARD_SHARE: f64 = 0.9;
/// Share of the heard blocks that must be clean tone.
const MIN_TONE_SHARE: f64 = 0.95;

/// The two trunks (one per UA, both on loopback) and routes by user.
fn sbc_toml(
    dir: &Path,
    alice: SocketAddr,
    bob: SocketAddr,
    media: PortRange,
    srtp: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "[sip]\nt1_ms = 500\n\n[[sip.listen]]\ntransport = \"udp\"\naddress = \"127.0.0.1:0\"\n\n\
         [media]\nbind = \"127.0.0.1\"\nport_min = {}\nport_max = {}",
        media.min, media.max
    );
    let srtp_line = if srtp { "srtp = \"mandatory\"\n" } else { "" };
    for (name, addr) in [("alice", alice), ("bob", bob)] {
        let _ = writeln!(
            out,
            "\n[[trunk]]\nname = \"{name}\"\naddress = \"{addr}\"\ntransport = \"udp\"\n\
             accept_from = [\"127.0.0.1\"]\n{srtp_line}"
        );
        let _ = writeln!(
            out,
            "[[route]]\nname = \"to-{name}\"\nuser_prefix = \"{name}\"\ntarget = \"{name}\""
        );
    }
    let _ = writeln!(out, "\n[metrics]\nlisten = \"127.0.0.1:0\"");
    let cdr = serde_json::to_string(&dir.join("cdr.jsonl").to_string_lossy()).unwrap_or_default();
    let _ = writeln!(out, "\n[cdr]\npath = {cdr}");
    out
}

/// Everything a finished call left behind, for the assertions.
struct Call {
    sbc: SbcProcess,
    alice: Baresip,
    bob: Baresip,
    _dir: tempfile::TempDir,
}

impl Call {
    /// Daemon metrics and logs plus both UAs' log tails, for failures.
    fn report(&self) -> String {
        let metrics = metrics::fetch(self.sbc.metrics()).unwrap_or_else(|e| e);
        format!(
            "--- sbc metrics ---\n{}\n--- sbc stderr ---\n{}\n--- alice log ---\n{}\n\
             --- bob log ---\n{}",
            support::tail(&metrics, 3000),
            support::tail(&self.sbc.stderr(), 4000),
            support::tail(&strip_stats(&self.alice.log()), 6000),
            support::tail(&strip_stats(&self.bob.log()), 6000),
        )
    }
}

/// baresip's status line (`[0:00:03] audio=64000/64000 (bit/s)`) is
/// redrawn in place many times a second; drop it from failure output.
fn strip_stats(log: &str) -> String {
    log.split('\r')
        .filter(|part| !part.contains("(bit/s)"))
        .collect()
}

/// Runs one call alice -> SBC -> bob and waits until both UAs are done.
fn run_call(srtp: bool) -> Call {
    baresip::require_baresip();
    let dir = support::temp_dir("baresip");
    let tones = [("alice", ALICE_HZ), ("bob", BOB_HZ)];
    for (user, hz) in tones {
        let wav = Wav {
            sample_rate: 8000,
            samples: tone::sine(hz, 8000, TONE_SECS, AMPLITUDE),
        };
        let path = dir.path().join(format!("{user}-tone.wav"));
        wav.write(&path)
            .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
    // One block for the UAs' RTP, split in two; the daemon gets its own.
    let rtp = media_range();
    let half = rtp.min + (rtp.max - rtp.min) / 2;
    let ua = |user: &str, rtp: PortRange, auto_answer: bool| UaConfig {
        user: user.to_owned(),
        sip_port: baresip::free_sip_port_pair(),
        rtp,
        source_wav: dir.path().join(format!("{user}-tone.wav")),
        srtp_mandatory: srtp,
        auto_answer,
    };
    let alice_cfg = ua(
        "alice",
        PortRange {
            min: rtp.min,
            max: half,
        },
        false,
    );
    let bob_cfg = ua(
        "bob",
        PortRange {
            min: half + 1,
            max: rtp.max,
        },
        true,
    );

    let media = media_range();
    let (alice_addr, bob_addr) = (alice_cfg.sip_addr(), bob_cfg.sip_addr());
    let sbc = SbcProcess::start_with(|d| sbc_toml(d, alice_addr, bob_addr, media, srtp));
    let mut bob = Baresip::start(dir.path(), bob_cfg, None);
    bob.wait_ready();
    let target = format!("sip:bob@{}", sbc.sip_udp());
    let mut alice = Baresip::start(dir.path(), alice_cfg, Some((&target, CALL)));
    let exited = alice.wait_exit(CALL + Duration::from_secs(8));
    // alice's BYE ends bob's call, which closes bob's recording.
    bob.wait_log("terminated", Duration::from_secs(5));
    bob.stop();
    let call = Call {
        sbc,
        alice,
        bob,
        _dir: dir,
    };
    assert!(
        exited.is_some(),
        "alice did not quit within {CALL:?} + 8 s\n{}",
        call.report()
    );
    for ua in [&call.alice, &call.bob] {
        assert!(
            ua.log().contains("Call established"),
            "{}: no call established\n{}",
            ua.config().user,
            call.report()
        );
    }
    call
}

/// Asserts `listener` heard `speaker`'s tone: nearly all of what the
/// speaker sent, clean, and none of its own tone.
fn assert_heard(call: &Call, listener: &Baresip, speaker: &Baresip, hz: f64, own_hz: f64) {
    let fail = |why: String| -> ! { panic!("{why}\n{}", call.report()) };
    let heard = listener.heard().unwrap_or_else(|e| fail(e));
    let sent = speaker.sent().unwrap_or_else(|e| fail(e));
    let (who, from) = (&listener.config().user, &speaker.config().user);
    if heard.sample_rate != 8000 {
        fail(format!("{who} recorded at {} Hz", heard.sample_rate));
    }
    let det = Detector::narrowband();
    let tone: ToneReport = det.analyze(&heard.samples, hz);
    let own = det.analyze(&heard.samples, own_hz);
    eprintln!(
        "{who} heard {:.2} s of {from}'s {:.2} s; {hz} Hz in {}/{} blocks (min ratio {:.3}, \
         mean {:.3}, {} quiet); own {own_hz} Hz in {} blocks",
        heard.duration_secs(),
        sent.duration_secs(),
        tone.tone_blocks,
        tone.blocks,
        tone.min_ratio,
        tone.mean_ratio,
        tone.quiet_blocks,
        own.tone_blocks
    );
    let share = heard.duration_secs() / sent.duration_secs().max(f64::MIN_POSITIVE);
    if share < MIN_HEARD_SHARE {
        fail(format!(
            "{who} heard {:.2} s of the {:.2} s {from} sent (want >= {:.0}%)",
            heard.duration_secs(),
            sent.duration_secs(),
            MIN_HEARD_SHARE * 100.0
        ));
    }
    if tone.tone_share() < MIN_TONE_SHARE {
        fail(format!(
            "{who}: {hz} Hz tone in only {}/{} blocks: {tone:?}",
            tone.tone_blocks, tone.blocks
        ));
    }
    if own.tone_blocks > 0 {
        fail(format!("{who} heard its own {own_hz} Hz tone: {own:?}"));
    }
}

/// The SDP of the INVITE offer and of its 200 answer in a UA's trace:
/// (offer, answer).
fn invite_sdps(ua: &Baresip) -> (TracedMessage, TracedMessage) {
    let trace = ua.sip_trace();
    let find = |pred: &dyn Fn(&TracedMessage) -> bool| {
        trace
            .iter()
            .find(|m| pred(m) && m.audio_proto.is_some())
            .cloned()
            .unwrap_or_else(|| panic!("{}: no such message in trace: {trace:#?}", ua.config().user))
    };
    let offer = find(&|m| m.is_request("INVITE"));
    let answer = find(&|m| m.is_response(200, "INVITE"));
    (offer, answer)
}

/// Both UAs heard each other, and the media went through the SBC.
fn assert_audio_through_sbc(call: &Call) {
    assert_heard(call, &call.alice, &call.bob, BOB_HZ, ALICE_HZ);
    assert_heard(call, &call.bob, &call.alice, ALICE_HZ, BOB_HZ);
    let text = call.sbc.fetch_metrics();
    let drops: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("sbc_media_drops_total{") && !l.ends_with(" 0"))
        .collect();
    eprintln!("sbc media drops: {drops:?}");
    // baresip 1.0 sends an RTCP APP "PINGPONG" (16 bytes, unprotected)
    // from its RTP and RTCP sockets as the stream starts, before SRTP is
    // on; an SRTP leg rightly drops those (srtp_malformed or srtp_auth).
    // Wrong keys would drop every packet, hundreds in this call.
    let srtp_drops: f64 = ["srtp_auth", "srtp_malformed", "srtp_replay", "srtp_no_key"]
        .iter()
        .filter_map(|r| metrics::lookup(&text, &format!("sbc_media_drops_total{{reason=\"{r}\"}}")))
        .sum();
    assert!(
        srtp_drops <= 8.0,
        "sbc dropped {srtp_drops} packets for SRTP reasons\n{}",
        call.report()
    );
    let relayed = metrics::sum(&text, "sbc_media_packets_relayed_total");
    // 6 s of 20 ms packets each way is about 600 packets.
    assert!(
        relayed >= 400.0,
        "sbc relayed only {relayed} packets\n{}",
        call.report()
    );
}

#[test]
fn plain_rtp_call_carries_both_tones() {
    let call = run_call(false);
    assert_audio_through_sbc(&call);
    let (a_offer, a_answer) = invite_sdps(&call.alice);
    let (b_offer, b_answer) = invite_sdps(&call.bob);
    for (what, m) in [
        ("alice's offer", &a_offer),
        ("answer to alice", &a_answer),
        ("offer to bob", &b_offer),
        ("bob's answer", &b_answer),
    ] {
        assert_eq!(m.audio_proto.as_deref(), Some("RTP/AVP"), "{what}: {m:?}");
        assert!(m.crypto_keys.is_empty(), "{what} has a=crypto: {m:?}");
    }
}

#[test]
fn srtp_mandatory_call_carries_both_tones_with_per_leg_keys() {
    let call = run_call(true);
    assert_audio_through_sbc(&call);
    for ua in [&call.alice, &call.bob] {
        assert!(
            ua.log().contains("SRTP is Enabled"),
            "{}: SRTP not enabled\n{}",
            ua.config().user,
            call.report()
        );
    }
    let (a_offer, a_answer) = invite_sdps(&call.alice);
    let (b_offer, b_answer) = invite_sdps(&call.bob);
    let legs = [
        ("alice's offer (A leg, alice's key)", &a_offer),
        ("answer to alice (A leg, SBC's key)", &a_answer),
        ("offer to bob (B leg, SBC's key)", &b_offer),
        ("bob's answer (B leg, bob's key)", &b_answer),
    ];
    for (what, m) in legs {
        assert_eq!(m.audio_proto.as_deref(), Some("RTP/SAVP"), "{what}: {m:?}");
        assert!(!m.crypto_keys.is_empty(), "{what} has no a=crypto: {m:?}");
    }
    // The SBC owns a key per leg: no key may appear in two of the four
    // SDPs (a key passed through would show up on both legs).
    for (i, (what, m)) in legs.iter().enumerate() {
        for (other_what, other) in legs.iter().skip(i + 1) {
            let shared: Vec<&String> = m
                .crypto_keys
                .iter()
                .filter(|k| other.crypto_keys.contains(k))
                .collect();
            assert!(
                shared.is_empty(),
                "{what} and {other_what} share {} key(s): the SBC passed a key through",
                shared.len()
            );
        }
    }
    eprintln!(
        "A leg suite {:?}, B leg suite {:?}",
        a_answer.crypto_suites, b_answer.crypto_suites
    );
    // Each answer accepts exactly one crypto line (RFC 4568 section 7.1.2).
    assert_eq!(a_answer.crypto_keys.len(), 1, "{a_answer:?}");
    assert_eq!(b_answer.crypto_keys.len(), 1, "{b_answer:?}");
}

/// The detector and the WAV codec the call tests rely on.
mod detector {
    use super::support::tone::{sine, Detector, Wav};

    #[test]
    fn detects_its_own_tone_and_not_another() {
        let det = Detector::narrowband();
        let tone = sine(440.0, 8000, 1.0, 8000);
        let report = det.analyze(&tone, 440.0);
        assert_eq!(report.tone_blocks, report.blocks);
        assert!(report.min_ratio > 0.99, "{report:?}");
        let other = det.analyze(&tone, 1000.0);
        assert_eq!(other.tone_blocks, 0);
        assert!(other.mean_ratio < 0.01, "{other:?}");
    }

    #[test]
    fn off_bin_frequencies_still_detected() {
        // 1013 Hz is not a whole number of cycles per 400-sample block.
        let tone = sine(1013.0, 8000, 0.5, 8000);
        let report = Detector::narrowband().analyze(&tone, 1013.0);
        assert_eq!(report.tone_blocks, report.blocks, "{report:?}");
    }

    #[test]
    fn noise_silence_and_gaps_are_not_clean_tone() {
        let mut x: u32 = 12345;
        let noise: Vec<i16> = (0..8000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ((x >> 16) as i16) / 4
            })
            .collect();
        let det = Detector::narrowband();
        assert_eq!(det.analyze(&noise, 440.0).tone_blocks, 0);
        let report = det.analyze(&vec![0i16; 8000], 440.0);
        assert_eq!((report.tone_blocks, report.quiet_blocks), (0, 20));
        // The tone with every other 20 ms packet replaced by noise.
        let mut damaged = sine(440.0, 8000, 1.0, 8000);
        for (i, frame) in damaged.chunks_mut(160).enumerate() {
            if i % 2 == 1 {
                frame.copy_from_slice(&noise[..frame.len()]);
            }
        }
        assert_eq!(det.analyze(&damaged, 440.0).tone_blocks, 0);
    }

    #[test]
    fn wav_round_trip_and_truncated_header() {
        let dir = super::support::temp_dir("wav");
        let path = dir.path().join("t.wav");
        let wav = Wav {
            sample_rate: 8000,
            samples: sine(1000.0, 8000, 0.1, 1000),
        };
        wav.write(&path).unwrap();
        assert_eq!(Wav::read(&path).unwrap(), wav);
        // A data length past the end of the file reads what is there.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Wav::parse(&bytes).unwrap(), wav);
        assert!(Wav::parse(b"RIFX....WAVE").is_err());
    }
}
