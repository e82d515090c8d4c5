//! Scenario 8: re-INVITE glare (RFC 3261 §14.2). Both parties send a re-INVITE at the
//! same moment. The SBC relays the first to arrive and answers the second 491 itself;
//! the far UA, with its own re-INVITE pending, answers the relayed one 491, which the
//! SBC relays back. Both get 491; a retry later succeeds and re-anchors the media.
//! Also: a rejected re-INVITE leaves the session unchanged (§14.1).

use std::time::Duration;

use sbc_core::ids::LegSide;
use sbc_signaling::sip::Method;

use crate::basic_call::established;
use crate::sim::{NetConfig, Sim, SimConfig, T1};

fn reinvite_finals(sim: &Sim, caller: bool) -> Vec<u16> {
    let ua = if caller { &sim.uac } else { &sim.uas };
    ua.responses_to(Method::Invite)
        .into_iter()
        .filter(|r| r.cseq().map(|c| c.seq != 1).unwrap_or(false))
        .filter_map(|r| r.status())
        .filter(|s| *s >= 200)
        .collect()
}

#[test]
fn glare_gives_491_both_ways_then_retry_succeeds() {
    let mut sim = established(10);
    sim.run_for(Duration::from_secs(1));
    let before = sim.media.snapshot().remotes.len();
    let now = sim.now;
    assert!(sim.uac.reinvite(now, Some("sendrecv")));
    assert!(sim.uas.reinvite(now, Some("sendrecv")));
    let both = sim.run_until(Duration::from_secs(5), |s| {
        !reinvite_finals(s, true).is_empty() && !reinvite_finals(s, false).is_empty()
    });
    assert!(both, "glare unresolved:\n{}", sim.trace_tail(30));
    assert_eq!(reinvite_finals(&sim, true), vec![491], "caller");
    assert_eq!(reinvite_finals(&sim, false), vec![491], "callee");
    assert_eq!(sim.sbc.active_calls(), 1, "glare must not end the call");
    // §14.1: the Call-ID owner (the caller) retries after 2.1..4 s.
    sim.run_for(Duration::from_secs(3));
    let now = sim.now;
    assert!(sim.uac.reinvite(now, Some("sendrecv")));
    let ok = sim.run_until(Duration::from_secs(5), |s| {
        reinvite_finals(s, true).contains(&200) && s.uas.requests_of(Method::Ack).len() >= 2
    });
    assert!(ok, "retry failed:\n{}", sim.trace_tail(30));
    assert_eq!(reinvite_finals(&sim, true), vec![491, 200]);
    let media = sim.media.snapshot();
    // The retry's offer (A side) and answer (B side) both reached the media plane.
    assert!(
        media.remotes.len() >= before + 2,
        "set_remote not called for the retry"
    );
    let a = media.remotes_facing(LegSide::A);
    let b = media.remotes_facing(LegSide::B);
    assert_eq!(
        a.last()
            .and_then(|r| r.rtp)
            .map(|s| s.to_string())
            .as_deref(),
        Some("10.0.0.1:4000")
    );
    assert_eq!(
        b.last()
            .and_then(|r| r.rtp)
            .map(|s| s.to_string())
            .as_deref(),
        Some("10.0.0.3:6000")
    );
    // Call still healthy: BYE ends it.
    let now = sim.now;
    assert!(sim.uas.bye(now));
    assert!(sim.run_until(Duration::from_secs(3), |s| s.uac.got(Method::Bye)));
    sim.run_for(T1 * 64 + Duration::from_secs(5));
    assert_eq!(sim.sbc.footprint(), (0, 0, 0));
}

#[test]

fn rejected_reinvite_leaves_media_unchanged() {
    // Fixed delays: the caller's re-INVITE (new port 4002) reaches the SBC first and is
    // relayed; the callee, with its own re-INVITE pending, rejects it with 491.
    let mut cfg = SimConfig::new(11);
    cfg.net = NetConfig {
        min_delay_ms: 20,
        max_delay_ms: 20,
        ..NetConfig::default()
    };
    let mut sim = Sim::new(cfg);
    let now = sim.now;
    sim.uac.invite(now, true);
    assert!(sim.run_until(Duration::from_secs(3), |s| s.uas.got(Method::Ack)));
    sim.run_for(Duration::from_secs(1));
    sim.uac.media_port = 4002;
    let now = sim.now;
    assert!(sim.uac.reinvite(now, Some("sendrecv")));
    sim.run_for(Duration::from_millis(5));
    let now = sim.now;
    assert!(sim.uas.reinvite(now, Some("sendrecv")));
    assert!(
        sim.run_until(Duration::from_secs(3), |s| reinvite_finals(s, true)
            == vec![491])
    );
    sim.run_for(Duration::from_secs(1));
    // §14.1: after a non-2xx to a re-INVITE the session is as if it had not been sent:
    // the SBC must still send the caller's media to port 4000, not the rejected 4002.
    let a = sim.media.snapshot().remotes_facing(LegSide::A);
    assert_eq!(
        a.last()
            .and_then(|r| r.rtp)
            .map(|s| s.to_string())
            .as_deref(),
        Some("10.0.0.1:4000"),
        "media plane still points at the rejected offer: {a:?}"
    );
}
